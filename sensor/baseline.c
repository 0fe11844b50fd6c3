/*
 * baseline.c - the baseline store's tables: per endpoint and per (endpoint, principal), the
 * open minute and the learned profile (see baseline.h).
 *
 * Fed by the pipeline (baseline_observe per API call, baseline_tick with packet time); feeds
 * the detectors (views) and the Redis store (finished minutes, baseline_redis.c) or a file
 * (baseline_file.c). Every table is allocated once in baseline_new and capped: a call whose
 * endpoint or principal finds no room is counted and not learned, a distinct count whose
 * dense block finds no room stays sparse (counted), a name past a first-N table goes to its
 * `other` count. Minutes are finished lazily: when a call of a later minute arrives, and by a
 * sweep of the entries with an open minute when packet time enters a new minute.
 */
#include "baseline_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "sensitive.h"
#include "siphash.h"

#define BL_MINUTE_US 60000000ull

void baseline_config_default(baseline_config_t *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->learning_us = 30ull * BL_MINUTE_US;
	cfg->min_calls = 10; /* with the learning period: docs/baselines.md */
	cfg->principal_min_calls = 30;
	cfg->max_endpoints = 2048;
	cfg->max_principals = 16384;
	cfg->hll_dense = 256;
	cfg->body_sample = 4;
	cfg->body_scan_max = 64 * 1024;
	snprintf(cfg->redis_prefix, sizeof(cfg->redis_prefix), "apiwatch:");
	cfg->redis_flush_us = 1000000;
	cfg->redis_queue_batches = 64;
	cfg->redis_batch_bytes = 256 * 1024;
	cfg->redis_ttl_us = 2 * 3600ull * 1000000;
	cfg->redis_timeout_us = 500000;
	cfg->redis_drain_us = 5000000;
}

/* ------------------------------------------------------------------------------------------ */
/* Keys and name hashes */

uint64_t baseline_endpoint_key(const baseline_t *b, aw_slice_t host, aw_slice_t method,
			       aw_slice_t endpoint)
{
	uint8_t buf[1024];
	size_t o = 0;

	/* host NUL method NUL template; a long template is folded in by its own hash. */
	if (host.len + method.len + 2 + (endpoint.len < 512 ? endpoint.len : 9) > sizeof(buf))
		host.len = sizeof(buf) / 2;
	buf[o++] = 'E';
	aw_mem_copy(buf + o, host.ptr, host.len);
	o += host.len;
	buf[o++] = 0;
	aw_mem_copy(buf + o, method.ptr, method.len < 64 ? method.len : 64);
	o += method.len < 64 ? method.len : 64;
	buf[o++] = 0;
	if (endpoint.len < 512) {
		aw_mem_copy(buf + o, endpoint.ptr, endpoint.len);
		o += endpoint.len;
	} else {
		uint64_t h = siphash24(b->cfg.hash_key, endpoint.ptr, endpoint.len);

		buf[o++] = 1;
		memcpy(buf + o, &h, sizeof(h));
		o += sizeof(h);
	}
	return siphash24(b->cfg.hash_key, buf, o);
}

uint64_t baseline_principal_key(const baseline_t *b, aw_slice_t principal)
{
	return siphash24(b->cfg.hash_key, principal.ptr, principal.len);
}

static inline uint64_t bl_load64(const char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t bl_load32(const char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* a and b hold the same n bytes: word by word (the last word overlapping the one before),
 * reading nothing outside [a, a + n) and [b, b + n); the caches' texts are mostly short
 * names, for which a memcmp call would cost more than the comparison. */
static inline int bl_text_eq(const char *a, const char *b, size_t n)
{
	size_t i;

	if (n >= 8) {
		for (i = 0; i + 8 < n; i += 8)
			if (bl_load64(a + i) != bl_load64(b + i))
				return 0;
		return bl_load64(a + n - 8) == bl_load64(b + n - 8);
	}
	if (n >= 4)
		return bl_load32(a) == bl_load32(b) && bl_load32(a + n - 4) == bl_load32(b + n - 4);
	for (i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

/* Index of the first '/' of s[i, n), or n: eight bytes at a time while eight are left (the
 * lowest byte flagged by the zero-byte test is always a true match; little-endian). */
static inline size_t bl_next_slash(const char *s, size_t i, size_t n)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	for (; i + 8 <= n; i += 8) {
		uint64_t x = bl_load64(s + i) ^ 0x2f2f2f2f2f2f2f2full;
		uint64_t z = (x - 0x0101010101010101ull) & ~x & 0x8080808080808080ull;

		if (z)
			return i + ((unsigned)__builtin_ctzll(z) >> 3);
	}
#endif
	while (i < n && s[i] != '/')
		i++;
	return i;
}

/* A cheap mix of a few bytes of a string, for a cache slot (the entry is compared in full). */
static uint32_t bl_cache_slot(aw_slice_t s, uint64_t salt, uint32_t slots)
{
	uint64_t x = s.len * 0x9e3779b97f4a7c15ull ^ salt, y = 0;

	if (s.len >= 8) {
		memcpy(&y, s.ptr + s.len - 8, 8);
		x ^= y;
		memcpy(&y, s.ptr, 8);
		x ^= y * 0xc2b2ae3d27d4eb4full;
	} else if (s.len) {
		aw_mem_copy(&y, s.ptr, s.len);
		x ^= y;
	}
	x *= 0xff51afd7ed558ccdull;
	return (uint32_t)(x >> 40) & (slots - 1);
}

/* The endpoint cache is part of the store's memory figure (stats): its entry keeps its size. */
_Static_assert(sizeof(bl_ekey_cache_t) == 216, "an endpoint cache entry takes 216 bytes");
_Static_assert(BL_EKC_TEXT <= UINT8_MAX, "object-ID offsets fit a byte");

/* Whether template segment s (n bytes) stands for an object ID: a parameter, not the
 * catch-all {*}. */
static inline int bl_tpl_is_id(const char *s, size_t n)
{
	return n && s[0] == '{' && !(n == 3 && s[1] == '*');
}

/* The ID of path segment seg (n bytes > 0) at template offset off; *last_int and *last_is_int
 * get its value when it is a number of at most 15 digits. */
static uint64_t bl_object_id(const baseline_t *b, const char *seg, size_t n, size_t off,
			     int64_t *last_int, int *last_is_int)
{
	int64_t v = 0;
	size_t k;

	*last_is_int = n <= 15;
	for (k = 0; k < n && *last_is_int; k++) {
		if (seg[k] < '0' || seg[k] > '9')
			*last_is_int = 0;
		else
			v = v * 10 + (seg[k] - '0');
	}
	*last_int = v;
	return siphash24(b->cfg.hash_key, seg, n) ^ (uint64_t)off * 0x9e3779b97f4a7c15ull;
}

/* The object-ID segments of template tpl, as baseline_object_ids walks it. */
static void bl_tpl_ids(bl_ekey_cache_t *c, aw_slice_t tpl)
{
	size_t ti = 0, ts;
	unsigned k;

	c->nid = 0;
	for (k = 0; ti < tpl.len; k++) {
		while (ti < tpl.len && tpl.ptr[ti] == '/')
			ti++;
		ts = ti;
		ti = bl_next_slash(tpl.ptr, ti, tpl.len);
		if (bl_tpl_is_id(tpl.ptr + ts, ti - ts)) {
			if (c->nid == BASELINE_OBS_IDS) {
				c->nid = UINT8_MAX;
				return;
			}
			c->id_seg[c->nid] = (uint8_t)k; /* both under BL_EKC_TEXT */
			c->id_off[c->nid++] = (uint8_t)ts;
		}
	}
}

/* The cache entry of an endpoint (its key and its template's object-ID segments), or NULL
 * when its strings are too long to be cached; *key gets its key either way. */
static const bl_ekey_cache_t *bl_cached_endpoint(baseline_t *b, aw_slice_t host, aw_slice_t method,
						 aw_slice_t tpl, uint64_t *key)
{
	bl_ekey_cache_t *c;
	uint64_t k;

	if (host.len + method.len + tpl.len > BL_EKC_TEXT) {
		*key = baseline_endpoint_key(b, host, method, tpl);
		return NULL;
	}
	c = &b->ekc[bl_cache_slot(tpl, host.len << 8 ^ method.len, BL_EKC_SLOTS)];
	if (c->key && c->host_len == host.len && c->method_len == method.len &&
	    c->tpl_len == tpl.len && bl_text_eq(c->text, tpl.ptr, tpl.len) &&
	    bl_text_eq(c->text + tpl.len, method.ptr, method.len) &&
	    bl_text_eq(c->text + tpl.len + method.len, host.ptr, host.len)) {
		*key = c->key;
		return c;
	}
	k = baseline_endpoint_key(b, host, method, tpl);
	*key = k;
	if (!k)
		return NULL; /* 0 marks an empty slot: a key of 0 is worked out every time */
	c->key = k;
	c->host_len = (uint16_t)host.len;
	c->method_len = (uint16_t)method.len;
	c->tpl_len = (uint16_t)tpl.len;
	c->ep = 0;
	aw_mem_copy(c->text, tpl.ptr, tpl.len);
	aw_mem_copy(c->text + tpl.len, method.ptr, method.len);
	aw_mem_copy(c->text + tpl.len + method.len, host.ptr, host.len);
	bl_tpl_ids(c, tpl);
	return c;
}

static uint64_t bl_cached_principal_key(baseline_t *b, aw_slice_t pr)
{
	bl_pkey_cache_t *c;
	uint64_t k;

	if (pr.len > BL_PKC_TEXT)
		return baseline_principal_key(b, pr);
	c = &b->pkc[bl_cache_slot(pr, 0, BL_PKC_SLOTS)];
	if (c->key && c->len == pr.len && bl_text_eq(c->text, pr.ptr, pr.len))
		return c->key;
	k = baseline_principal_key(b, pr);
	c->key = k;
	c->len = (uint32_t)pr.len;
	aw_mem_copy(c->text, pr.ptr, pr.len);
	return k;
}

static uint64_t bl_cached_header_name(baseline_t *b, aw_slice_t s)
{
	bl_hname_cache_t *c;
	uint64_t h;

	if (s.len > BL_HNC_TEXT)
		return baseline_hash_name(s.ptr, s.len, 1);
	c = &b->hnc[bl_cache_slot(s, 0x68, BL_HNC_SLOTS)];
	if (c->hash && c->len == s.len && bl_text_eq(c->text, s.ptr, s.len))
		return c->hash;
	h = baseline_hash_name(s.ptr, s.len, 1); /* never 0 */
	c->hash = h;
	c->len = (uint32_t)s.len;
	aw_mem_copy(c->text, s.ptr, s.len);
	return h;
}

static uint64_t bl_cached_agent(baseline_t *b, aw_slice_t s)
{
	bl_agent_cache_t *c;
	uint64_t h;

	if (s.len > BL_UAC_TEXT)
		return baseline_hash_name(s.ptr, s.len, 0);
	c = &b->uac[bl_cache_slot(s, 0x7561, BL_UAC_SLOTS)];
	if (c->hash && c->len == s.len && bl_text_eq(c->text, s.ptr, s.len))
		return c->hash;
	h = baseline_hash_name(s.ptr, s.len, 0);
	c->hash = h;
	c->len = (uint32_t)s.len;
	aw_mem_copy(c->text, s.ptr, s.len);
	return h;
}

/* Calls fn(ud, hash) for each object ID of path under template tpl: the segments at its {...}
 * positions ({*} excepted), each hashed and mixed with its position (/users/1 and /orders/1
 * differ). Returns the number of IDs; *last_int gets the last one as an integer and
 * *last_is_int whether it is one. */
uint32_t baseline_object_ids(const baseline_t *b, aw_slice_t tpl, aw_slice_t path, uint64_t *ids,
			     uint32_t max, int64_t *last_int, int *last_is_int)
{
	size_t ti = 0, pi = 0;
	uint32_t n = 0;

	*last_is_int = 0;
	*last_int = 0;
	while (ti < tpl.len && pi < path.len) {
		size_t ts, ps;

		while (ti < tpl.len && tpl.ptr[ti] == '/')
			ti++;
		while (pi < path.len && path.ptr[pi] == '/')
			pi++;
		ts = ti;
		ps = pi;
		ti = bl_next_slash(tpl.ptr, ti, tpl.len);
		pi = bl_next_slash(path.ptr, pi, path.len);
		if (bl_tpl_is_id(tpl.ptr + ts, ti - ts) && pi > ps) {
			uint64_t id =
				bl_object_id(b, path.ptr + ps, pi - ps, ts, last_int, last_is_int);

			if (n < max)
				ids[n] = id;
			n++;
		}
	}
	return n;
}

/* baseline_object_ids for a template whose object-ID segments c holds (at most max): the
 * path is walked segment by segment up to the last of them only. */
static uint32_t bl_object_ids_cached(const baseline_t *b, const bl_ekey_cache_t *c, aw_slice_t path,
				     uint64_t *ids, int64_t *last_int, int *last_is_int)
{
	size_t pi = 0, ps;
	uint32_t n = 0, j, seg;

	*last_is_int = 0;
	*last_int = 0;
	for (seg = 0, j = 0; j < c->nid && pi < path.len; seg++) {
		while (pi < path.len && path.ptr[pi] == '/')
			pi++;
		ps = pi;
		pi = bl_next_slash(path.ptr, pi, path.len);
		if (seg != c->id_seg[j])
			continue;
		j++;
		if (pi > ps)
			ids[n++] = bl_object_id(b, path.ptr + ps, pi - ps, c->id_off[j - 1],
						last_int, last_is_int);
	}
	return n;
}

void baseline_obs_keys(baseline_t *b, baseline_obs_t *o)
{
	uint32_t i, n = o->nreq_headers < BASELINE_OBS_NAMES ? o->nreq_headers : BASELINE_OBS_NAMES;
	const bl_ekey_cache_t *c =
		bl_cached_endpoint(b, o->host, o->method, o->endpoint, &o->ep_key);
	uint32_t hint = c ? c->ep : 0;

	if (c && c->nid <= BASELINE_OBS_IDS)
		o->nids = bl_object_ids_cached(b, c, o->path, o->ids, &o->last_id_int,
					       &o->last_id_is_int);
	else
		o->nids = baseline_object_ids(b, o->endpoint, o->path, o->ids, BASELINE_OBS_IDS,
					      &o->last_id_int, &o->last_id_is_int);
	o->ids_known = o->nids <= BASELINE_OBS_IDS;

	o->pr_key = o->principal.len ? bl_cached_principal_key(b, o->principal) : 0;
	o->ua_hash = o->user_agent.len ? bl_cached_agent(b, o->user_agent) : 0;
	for (i = 0; i < n; i++)
		o->name_hash[i] = bl_cached_header_name(b, o->req_headers[i].name);
	o->nname_hash = n;
	b->obs_hint = hint; /* last: its line has been read by now (baseline_private.h) */
}

/* FNV-1a over 64 bits, optionally of the lower-cased bytes: names are public (header names,
 * agents, keys) and go to linear first-N tables, not hash buckets, so a keyed hash buys
 * nothing; the hash must be the same on every sensor. */
uint64_t baseline_hash_name(const char *s, size_t n, int lower)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t c = (uint8_t)s[i];

		if (lower && c >= 'A' && c <= 'Z')
			c = (uint8_t)(c + 32);
		h = (h ^ c) * 0x100000001b3ull;
	}
	return h ? h : 1;
}

uint64_t bl_index_pair(uint64_t ep, uint64_t pr)
{
	uint64_t h = ep ^ (pr * 0x9e3779b97f4a7c15ull);

	return h ^ (h >> 29);
}

/* ------------------------------------------------------------------------------------------ */
/* The key index */

static int bl_index_init(bl_index_t *ix, uint32_t entries, mem_account_t *acct)
{
	uint32_t n = 16;

	while (n < entries * 2u)
		n <<= 1;
	ix->slot = mem_table_alloc(acct, (size_t)n * sizeof(uint32_t));
	ix->mask = n - 1;
	return ix->slot ? 0 : AW_ENOMEM;
}

#define BL_SLOT_DELETED UINT32_MAX

/* The slot of key (match(entry) decides), or of the free slot where it would go. */
typedef int (*bl_match_fn)(const baseline_t *b, uint32_t idx, uint64_t k1, uint64_t k2);

static uint32_t *bl_index_find(const baseline_t *b, const bl_index_t *ix, uint64_t h,
			       bl_match_fn match, uint64_t k1, uint64_t k2, uint32_t **free_slot)
{
	uint32_t i = (uint32_t)h & ix->mask, n;

	*free_slot = NULL;
	for (n = 0; n <= ix->mask; n++, i = (i + 1) & ix->mask) {
		uint32_t v = ix->slot[i];

		if (v == 0) {
			if (!*free_slot)
				*free_slot = &ix->slot[i];
			return NULL;
		}
		if (v == BL_SLOT_DELETED) {
			if (!*free_slot)
				*free_slot = &ix->slot[i];
			continue;
		}
		if (match(b, v - 1, k1, k2))
			return &ix->slot[i];
	}
	return NULL;
}

static int bl_ep_match(const baseline_t *b, uint32_t idx, uint64_t k1, uint64_t k2)
{
	(void)k2;
	return b->ep[idx].key == k1;
}

static int bl_pr_match(const baseline_t *b, uint32_t idx, uint64_t k1, uint64_t k2)
{
	return b->pr[idx].ep_key == k1 && b->pr[idx].key == k2;
}

bl_endpoint_t *bl_ep_find(const baseline_t *b, uint64_t key, uint32_t *idx)
{
	uint32_t *fs, *s = bl_index_find(b, &b->ep_index, key, bl_ep_match, key, 0, &fs);

	if (!s)
		return NULL;
	if (idx)
		*idx = *s - 1;
	return &b->ep[*s - 1];
}

bl_principal_t *bl_pr_find(const baseline_t *b, uint64_t ep_key, uint64_t key, uint32_t *idx)
{
	uint32_t *fs, *s = bl_index_find(b, &b->pr_index, bl_index_pair(ep_key, key), bl_pr_match,
					 ep_key, key, &fs);

	if (!s)
		return NULL;
	if (idx)
		*idx = *s - 1;
	return &b->pr[*s - 1];
}

bl_endpoint_t *bl_ep_get(baseline_t *b, uint64_t key, uint32_t *idx)
{
	uint32_t *fs, *s = bl_index_find(b, &b->ep_index, key, bl_ep_match, key, 0, &fs);
	uint32_t i;
	bl_endpoint_t *e;

	if (s) {
		*idx = *s - 1;
		return &b->ep[*s - 1];
	}
	if (b->ep_free) {
		i = b->ep_free - 1;
		b->ep_free = b->ep[i].next_free;
	} else if (b->ep_used < b->cfg.max_endpoints) {
		i = b->ep_used++;
	} else {
		b->counters.endpoint_cap_hits++;
		return NULL;
	}
	if (!fs) { /* cannot happen: the index has twice the entries' slots */
		b->counters.endpoint_cap_hits++;
		return NULL;
	}
	e = &b->ep[i];
	memset(e, 0, sizeof(*e));
	if (b->ep_remote) {
		e->remote = &b->ep_remote[i];
		e->inflight = &b->ep_inflight[i];
	}
	e->key = key;
	e->used = 1;
	*fs = i + 1;
	b->counters.endpoints++;
	*idx = i;
	return e;
}

bl_principal_t *bl_pr_get(baseline_t *b, uint64_t ep_key, uint32_t ep, uint64_t key, uint32_t *idx)
{
	uint32_t *fs, *s = bl_index_find(b, &b->pr_index, bl_index_pair(ep_key, key), bl_pr_match,
					 ep_key, key, &fs);
	uint32_t i;
	bl_principal_t *p;

	if (s) {
		*idx = *s - 1;
		return &b->pr[*s - 1];
	}
	if (b->pr_free) {
		i = b->pr_free - 1;
		b->pr_free = b->pr[i].next_free;
	} else if (b->pr_used < b->cfg.max_principals) {
		i = b->pr_used++;
	} else {
		b->counters.principal_cap_hits++;
		return NULL;
	}
	if (!fs) {
		b->counters.principal_cap_hits++;
		return NULL;
	}
	p = &b->pr[i];
	memset(p, 0, sizeof(*p));
	p->ep_key = ep_key;
	p->key = key;
	p->ep = ep;
	p->used = 1;
	*fs = i + 1;
	b->counters.principals++;
	*idx = i;
	return p;
}

/* ------------------------------------------------------------------------------------------ */
/* Set-up */

static int bl_alloc_tables(baseline_t *b)
{
	const baseline_config_t *c = &b->cfg;
	int rc;

	b->ep = mem_table_alloc(b->acct, (size_t)c->max_endpoints * sizeof(bl_endpoint_t));
	b->pr = mem_table_alloc(b->acct, (size_t)c->max_principals * sizeof(bl_principal_t));
	b->scratch = mem_alloc(b->acct, sizeof(sensitive_report_t));
	b->ekc = mem_calloc(b->acct, BL_EKC_SLOTS * sizeof(bl_ekey_cache_t));
	b->pkc = mem_calloc(b->acct, BL_PKC_SLOTS * sizeof(bl_pkey_cache_t));
	b->hnc = mem_calloc(b->acct, BL_HNC_SLOTS * sizeof(bl_hname_cache_t));
	b->uac = mem_calloc(b->acct, BL_UAC_SLOTS * sizeof(bl_agent_cache_t));
	if (!b->ep || !b->pr || !b->scratch || !b->ekc || !b->pkc || !b->hnc || !b->uac)
		return AW_ENOMEM;
	rc = bl_index_init(&b->ep_index, c->max_endpoints, b->acct);
	if (rc == 0)
		rc = bl_index_init(&b->pr_index, c->max_principals, b->acct);
	if (rc == 0)
		rc = bl_hll_pool_init(&b->hll, c->hll_dense, b->acct);
	if (rc == 0 && c->redis_url[0]) {
		/* Slot i's Redis profiles; bl_ep_get points the endpoint at them. Touched only as
		 * endpoints come into use. */
		b->ep_remote =
			mem_table_alloc(b->acct, (size_t)c->max_endpoints * sizeof(bl_profile_t));
		b->ep_inflight =
			mem_table_alloc(b->acct, (size_t)c->max_endpoints * sizeof(bl_profile_t));
		if (!b->ep_remote || !b->ep_inflight)
			rc = AW_ENOMEM;
	}
	return rc;
}

int baseline_new(baseline_t **out, const baseline_config_t *cfg, mem_account_t *acct, char *errbuf,
		 size_t errlen)
{
	baseline_t *b;
	int rc;

	*out = NULL;
	b = mem_calloc(acct, sizeof(*b));
	if (!b)
		return AW_ENOMEM;
	b->cfg = *cfg;
	b->acct = acct;
	if (!b->cfg.max_endpoints)
		b->cfg.max_endpoints = 1;
	if (!b->cfg.max_principals)
		b->cfg.max_principals = 1;
	rc = bl_alloc_tables(b);
	if (rc < 0) {
		snprintf(errbuf, errlen, "cannot set up the baselines: %s", error_str(rc));
		baseline_free(b);
		return rc;
	}
	if (cfg->load_path && (rc = bl_file_load(b, cfg->load_path, errbuf, errlen)) < 0) {
		baseline_free(b);
		return rc;
	}
	if (cfg->redis_url[0] && (rc = baseline_redis_new(&b->redis, b, errbuf, errlen)) < 0) {
		baseline_free(b);
		return rc;
	}
	*out = b;
	return 0;
}

void baseline_free(baseline_t *b)
{
	if (!b)
		return;
	baseline_redis_free(b->redis);
	if (b->ep_remote)
		mem_table_free(b->acct, b->ep_remote,
			       (size_t)b->cfg.max_endpoints * sizeof(bl_profile_t));
	if (b->ep_inflight)
		mem_table_free(b->acct, b->ep_inflight,
			       (size_t)b->cfg.max_endpoints * sizeof(bl_profile_t));
	if (b->ep)
		mem_table_free(b->acct, b->ep,
			       (size_t)b->cfg.max_endpoints * sizeof(bl_endpoint_t));
	if (b->pr)
		mem_table_free(b->acct, b->pr,
			       (size_t)b->cfg.max_principals * sizeof(bl_principal_t));
	if (b->ep_index.slot)
		mem_table_free(b->acct, b->ep_index.slot, ((size_t)b->ep_index.mask + 1) * 4);
	if (b->pr_index.slot)
		mem_table_free(b->acct, b->pr_index.slot, ((size_t)b->pr_index.mask + 1) * 4);
	if (b->scratch)
		mem_free(b->acct, b->scratch, sizeof(sensitive_report_t));
	if (b->ekc)
		mem_free(b->acct, b->ekc, BL_EKC_SLOTS * sizeof(bl_ekey_cache_t));
	if (b->pkc)
		mem_free(b->acct, b->pkc, BL_PKC_SLOTS * sizeof(bl_pkey_cache_t));
	if (b->hnc)
		mem_free(b->acct, b->hnc, BL_HNC_SLOTS * sizeof(bl_hname_cache_t));
	if (b->uac)
		mem_free(b->acct, b->uac, BL_UAC_SLOTS * sizeof(bl_agent_cache_t));
	bl_hll_pool_fini(&b->hll, b->acct);
	mem_free(b->acct, b, sizeof(*b));
}

int baseline_is_redis(const baseline_t *b)
{
	return b && b->redis != NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Finishing minutes */

static uint64_t bl_sq(uint64_t v)
{
	return v > 0xffffffffull ? UINT64_MAX : v * v;
}

static void bl_ep_finish(baseline_t *b, uint32_t idx)
{
	bl_endpoint_t *e = &b->ep[idx];
	bl_profile_t *d = &e->cur;
	uint64_t d1 = bl_hll_count(&b->hll, &e->principals),
		 d2 = bl_hll_count(&b->hll, &e->clients);

	d->f[BL_F_MINUTES] = 1;
	d->f[BL_F_CALLS] = e->cur_calls;
	d->f[BL_F_CALLS_SQ] = bl_sq(e->cur_calls);
	d->f[BL_F_FAILS] = e->cur_fails;
	d->f[BL_F_FAILS_SQ] = bl_sq(e->cur_fails);
	d->f[BL_F_D1] = d1;
	d->f[BL_F_D1_SQ] = bl_sq(d1);
	d->f[BL_F_D2] = d2;
	d->f[BL_F_D2_SQ] = bl_sq(d2);
	d->last_us = (e->minute + 1) * BL_MINUTE_US;
	bl_profile_add(&e->learned, d);
	if (b->redis) {
		/* A minute the queue could not take stays in flight: the view keeps it. */
		baseline_redis_put_endpoint(b->redis, idx, e, d, e->minute);
		bl_profile_add(e->inflight, d);
	}
	memset(d, 0, sizeof(*d));
	bl_hll_clear(&b->hll, &e->principals);
	bl_hll_clear(&b->hll, &e->clients);
	e->cur_calls = e->cur_fails = 0;
	e->active = 0;
	b->counters.minutes_finished++;
}

static void bl_pr_finish(baseline_t *b, uint32_t idx)
{
	bl_principal_t *p = &b->pr[idx];
	bl_pprofile_t d;
	uint64_t ids = bl_hll_count(&b->hll, &p->ids);

	memset(&d, 0, sizeof(d));
	d.f[BL_F_MINUTES] = 1;
	d.f[BL_F_CALLS] = p->cur_calls;
	d.f[BL_F_CALLS_SQ] = bl_sq(p->cur_calls);
	d.f[BL_F_FAILS] = p->cur_fails;
	d.f[BL_F_FAILS_SQ] = bl_sq(p->cur_fails);
	d.f[BL_F_D1] = ids;
	d.f[BL_F_D1_SQ] = bl_sq(ids);
	d.first_us = p->cur_first_us;
	d.last_us = (p->minute + 1) * BL_MINUTE_US;
	bl_pprofile_add(&p->learned, &d);
	if (b->redis) {
		baseline_redis_put_principal(b->redis, idx, p, &d, p->minute);
		bl_pprofile_add(&p->inflight, &d);
	}
	bl_hll_clear(&b->hll, &p->ids);
	p->cur_calls = p->cur_fails = 0;
	p->active = 0;
	b->counters.minutes_finished++;
}

/* Finishes the open minutes older than `minute` (all of them when minute is UINT64_MAX). */
static void bl_sweep(baseline_t *b, uint64_t minute)
{
	uint32_t i, next, keep = 0;

	for (i = b->ep_active; i; i = next) {
		bl_endpoint_t *e = &b->ep[i - 1];

		next = e->next_active;
		if (e->active && e->minute < minute)
			bl_ep_finish(b, i - 1);
		if (e->active) {
			e->next_active = keep;
			keep = i;
		} else {
			e->listed = 0;
			if (!e->used) { /* merged away while listed: free now */
				e->next_free = b->ep_free;
				b->ep_free = i;
			}
		}
	}
	b->ep_active = keep;
	keep = 0;
	for (i = b->pr_active; i; i = next) {
		bl_principal_t *p = &b->pr[i - 1];

		next = p->next_active;
		if (p->active && p->minute < minute)
			bl_pr_finish(b, i - 1);
		if (p->active) {
			p->next_active = keep;
			keep = i;
		} else {
			p->listed = 0;
			if (!p->used) {
				p->next_free = b->pr_free;
				b->pr_free = i;
			}
		}
	}
	b->pr_active = keep;
}

void baseline_tick(baseline_t *b, uint64_t now_us)
{
	uint64_t minute = now_us / BL_MINUTE_US;
	int finished = 0;

	if (now_us > b->now_us)
		b->now_us = now_us;
	if (minute > b->minute) {
		if (b->minute)
			finished = 1;
		b->minute = minute;
		bl_sweep(b, minute);
	}
	if (b->redis)
		baseline_redis_tick(b->redis, finished);
}

void baseline_finish(baseline_t *b)
{
	bl_sweep(b, UINT64_MAX);
	/* Redis: give the thread the drain timeout to write everything, so that the final stats
	 * event says what was written. */
	if (b->redis)
		baseline_redis_drain(b->redis);
}

/* ------------------------------------------------------------------------------------------ */
/* Observing a call */

/* Client addresses go into a distinct count only (registers, never the address): a fixed
 * mix (the same on every sensor) is enough. */
static uint64_t bl_addr_hash(const net_addr_t *a)
{
	uint64_t x, y;

	memcpy(&x, a->b, 8);
	memcpy(&y, a->b + 8, 8);
	x ^= y * 0x9e3779b97f4a7c15ull;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

static void bl_headers(bl_profile_t *cur, const baseline_obs_t *o)
{
	uint64_t seen[BASELINE_TOP_HEADERS], seen_bits = 0;
	uint32_t i, j, n = 0, at = 0;

	for (i = 0; i < o->nreq_headers; i++) {
		const api_header_t *h = &o->req_headers[i];
		uint64_t x = i < o->nname_hash ? o->name_hash[i]
					       : baseline_hash_name(h->name.ptr, h->name.len, 1);
		uint64_t bit = 1ull << (x & 63);

		/* seen_bits has the bit of every hash in seen[]: a clear bit says "not seen". */
		if (seen_bits & bit) {
			for (j = 0; j < n && seen[j] != x; j++)
				;
			if (j < n)
				continue; /* a repeated header counts once per call */
		}
		if (n < BASELINE_TOP_HEADERS) {
			seen[n++] = x;
			seen_bits |= bit;
		}
		/* Names come in much the same order call after call: most are the item after the
		 * last one's. */
		if (at < cur->n[BL_L_HEADERS] && cur->item[BL_L_HEADERS][at].hash == x) {
			if (cur->item[BL_L_HEADERS][at].count != UINT64_MAX)
				cur->item[BL_L_HEADERS][at].count++;
			at++;
		} else {
			at = bl_list_add_at(cur, BL_L_HEADERS, x, 1, at);
		}
	}
}

static void bl_query_keys(bl_profile_t *cur, aw_slice_t q)
{
	uint64_t seen[BASELINE_TOP_QUERY];
	uint32_t n = 0, j;
	size_t i = 0;

	while (i < q.len) {
		size_t s = i, k;
		uint64_t x;

		while (i < q.len && q.ptr[i] != '&')
			i++;
		for (k = s; k < i && q.ptr[k] != '='; k++)
			;
		if (k > s) {
			x = baseline_hash_name(q.ptr + s, k - s, 0);
			for (j = 0; j < n && seen[j] != x; j++)
				;
			if (j == n) {
				if (n < BASELINE_TOP_QUERY)
					seen[n++] = x;
				bl_list_add(cur, BL_L_QUERY, x, 1);
			}
		}
		i++;
	}
}

/* Distinct object IDs: the path segments at the template's {...} positions. */
static void bl_object_ids(baseline_t *b, bl_principal_t *p, const baseline_obs_t *o)
{
	uint64_t many[64];
	const uint64_t *ids = o->ids;
	uint32_t i, n = o->nids;
	int64_t last_int;
	int last_is_int;

	if (!o->ids_known) { /* not worked out, or more than the observation carries */
		n = baseline_object_ids(b, o->endpoint, o->path, many, 64, &last_int, &last_is_int);
		ids = many;
		if (n > 64)
			n = 64;
	}
	for (i = 0; i < n; i++)
		bl_hll_add(&b->hll, &p->ids, ids[i]);
}

static void bl_sample_bodies(baseline_t *b, bl_profile_t *cur, const api_call_t *call)
{
	sensitive_config_t scfg;
	sensitive_report_t *rep = b->scratch;
	const aw_slice_t *body;
	unsigned t;

	cur->f[BL_F_BODY_SAMPLES]++;
	b->counters.body_samples++;
	/* Request body keys: top-level members of a JSON body, when it is kept in clear. */
	if (call->req.body.len && call->req.body_state != API_BODY_ENCODED &&
	    aw_mem_has(call->req.content_type.ptr, call->req.content_type.len, "json", 4)) {
		aw_slice_t key, val;
		size_t off = 0;
		int kind, n = 0;

		b->counters.body_key_scans++;
		while (n++ < 64 && sensitive__json_member(call->req.body.ptr, call->req.body.len,
							  &off, &key, &val, &kind) == 1)
			bl_list_add(cur, BL_L_BODY, baseline_hash_name(key.ptr, key.len, 0), 1);
	}
	/* Sensitive types in the response body. */
	body = call->resp.body.len || call->resp.body_raw.len ? api_call_body(call, 1) : NULL;
	if (!body || !body->len)
		return;
	sensitive_config_default(&scfg);
	scfg.max_scan = b->cfg.body_scan_max;
	sensitive_report_reset(rep);
	sensitive_scan(
		&scfg, rep,
		aw_mem_has(call->resp.content_type.ptr, call->resp.content_type.len, "json", 4)
			? SENSITIVE_SRC_JSON
			: SENSITIVE_SRC_TEXT,
		body->ptr, body->len);
	b->counters.sensitive_scans++;
	for (t = 0; t < BASELINE_SENSITIVE_TYPES && t < SENSITIVE__COUNT; t++)
		if (rep->types & (1u << t))
			cur->f[BL_F_SENS0 + t]++;
}

/* Learns the call in the endpoint's open minute, all but the distinct counts (baseline_observe
 * adds them once it knows the principal's entry); returns the client address's hash. */
static uint64_t bl_observe_endpoint(baseline_t *b, bl_endpoint_t *e, uint32_t idx,
				    const baseline_obs_t *o, uint64_t minute)
{
	bl_profile_t *cur = &e->cur;
	int cls = o->status >= 100 && o->status < 600 ? o->status / 100 : 0;
	uint64_t addr_hash = 0;

	if (e->active && minute > e->minute)
		bl_ep_finish(b, idx); /* it stays listed: the sweep skips it while it is open */
	if (!e->active) {
		e->active = 1;
		e->minute = minute > e->minute ? minute : e->minute;
	}
	if (!e->listed) {
		e->listed = 1;
		e->next_active = b->ep_active;
		b->ep_active = idx + 1;
	}
	/* The client count is added last: its register is fetched meanwhile. */
	if (o->client) {
		addr_hash = bl_addr_hash(o->client);
		bl_hll_prefetch(&b->hll, &e->clients, addr_hash);
	}
	e->cur_calls++;
	if (cls == 4)
		e->cur_fails++;
	if (!cur->first_us || o->time_us < cur->first_us)
		cur->first_us = o->time_us;
	cur->f[BL_F_ST0 + cls]++;
	cur->f[BL_F_SIZE0 + bl_hist_bucket(o->resp_bytes)]++;
	if (o->latency_us)
		cur->f[BL_F_LAT0 + bl_hist_bucket(o->latency_us)]++;
	else
		cur->f[BL_F_LAT_UNKNOWN]++;
	bl_headers(cur, o);
	if (o->user_agent.len)
		bl_list_add(cur, BL_L_AGENTS,
			    o->ua_hash
				    ? o->ua_hash
				    : baseline_hash_name(o->user_agent.ptr, o->user_agent.len, 0),
			    1);
	else
		cur->f[BL_F_NO_AGENT]++;
	if (o->query.len)
		bl_query_keys(cur, o->query);
	/* The first body-sample calls of each minute: the cost is bounded per endpoint whatever
	 * its rate, and a replay samples the same calls. */
	if (o->call && cur->f[BL_F_BODY_SAMPLES] < b->cfg.body_sample)
		bl_sample_bodies(b, cur, o->call);
	return addr_hash;
}

static void bl_observe_principal(baseline_t *b, bl_principal_t *p, uint32_t idx,
				 const baseline_obs_t *o, uint64_t minute)
{
	if (p->active && minute > p->minute)
		bl_pr_finish(b, idx);
	if (!p->active) {
		p->active = 1;
		p->minute = minute > p->minute ? minute : p->minute;
		p->cur_first_us = o->time_us;
	}
	if (!p->listed) {
		p->listed = 1;
		p->next_active = b->pr_active;
		b->pr_active = idx + 1;
	}
	p->cur_calls++;
	if (o->status >= 400 && o->status < 500)
		p->cur_fails++;
	bl_object_ids(b, p, o);
}

void baseline_prefetch(const baseline_t *b, uint64_t ep_key, uint64_t pr_key)
{
	if (b->obs_hint)
		__builtin_prefetch(&b->ep[b->obs_hint - 1]);
	else
		__builtin_prefetch(&b->ep_index.slot[ep_key & b->ep_index.mask]);
	if (pr_key)
		__builtin_prefetch(
			&b->pr_index.slot[bl_index_pair(ep_key, pr_key) & b->pr_index.mask]);
}

/* The endpoint's entry: the one the endpoint cache remembered for the call's key (checked:
 * entries are freed by merges and taken again), without the index, else bl_ep_get's, which
 * the cache then remembers. */
static bl_endpoint_t *bl_ep_hinted(baseline_t *b, const baseline_obs_t *o, uint64_t ek,
				   uint32_t *idx)
{
	uint32_t h = b->obs_hint;
	bl_endpoint_t *e;
	bl_ekey_cache_t *c;

	b->obs_hint = 0;
	if (h && h <= b->ep_used && b->ep[h - 1].used && b->ep[h - 1].key == ek) {
		*idx = h - 1;
		return &b->ep[h - 1];
	}
	e = bl_ep_get(b, ek, idx);
	if (!e || o->host.len + o->method.len + o->endpoint.len > BL_EKC_TEXT)
		return e;
	c = &b->ekc[bl_cache_slot(o->endpoint, o->host.len << 8 ^ o->method.len, BL_EKC_SLOTS)];
	if (c->key == ek)
		c->ep = *idx + 1;
	return e;
}

void baseline_observe(baseline_t *b, const baseline_obs_t *o)
{
	uint64_t t = o->time_us > b->now_us ? o->time_us : b->now_us, minute = t / BL_MINUTE_US;
	uint64_t ek, pk = 0, addr_hash;
	bl_endpoint_t *e;
	bl_principal_t *p;
	uint32_t ei, pi;

	if (!o->endpoint.len) {
		b->counters.no_endpoint++;
		return;
	}
	b->counters.calls++;
	if (minute > b->minute)
		baseline_tick(b, t);
	ek = o->ep_key ? o->ep_key : baseline_endpoint_key(b, o->host, o->method, o->endpoint);
	if (o->principal.len)
		pk = o->pr_key ? o->pr_key : baseline_principal_key(b, o->principal);
	/* The principal's index slot, then its entry, are fetched while the endpoint learns. */
	if (pk)
		__builtin_prefetch(&b->pr_index.slot[bl_index_pair(ek, pk) & b->pr_index.mask]);
	e = bl_ep_hinted(b, o, ek, &ei);
	b->obs_ep = e ? ei + 1 : 0;
	if (!e)
		return;
	if (pk) {
		uint32_t v = b->pr_index.slot[bl_index_pair(ek, pk) & b->pr_index.mask];

		if (v && v != BL_SLOT_DELETED) {
			__builtin_prefetch(&b->pr[v - 1], 1);
			__builtin_prefetch((const char *)&b->pr[v - 1] + 64, 1);
			__builtin_prefetch((const char *)&b->pr[v - 1] + 128, 1);
		}
	}
	addr_hash = bl_observe_endpoint(b, e, ei, o, minute);
	p = pk ? bl_pr_get(b, ek, ei, pk, &pi) : NULL;
	/* Distinct principals: a principal is in the endpoint's set from its first call of the
	 * minute there, the call that opens its own entry's minute (both minutes are the current
	 * one: they are finished together by the sweep). Adding it then only gives the same
	 * registers as adding it on every call; one refused an entry is added every time. The
	 * sets are added to in the same order as before (principals, clients, object IDs). */
	if (pk && (!p || !p->active || minute > p->minute))
		bl_hll_add(&b->hll, &e->principals, pk);
	if (o->client)
		bl_hll_add(&b->hll, &e->clients, addr_hash);
	if (p)
		bl_observe_principal(b, p, pi, o, minute);
}

/* The profile the detectors' figures of a call go to: the open minute of the endpoint the
 * call was learned in (the one baseline_observe just had at hand); an endpoint not observed
 * last is looked up, and learns into its finished minutes when none is open. */
static bl_profile_t *bl_learn_profile(baseline_t *b, uint64_t key)
{
	bl_endpoint_t *e = b->obs_ep ? &b->ep[b->obs_ep - 1] : NULL;

	if (!e || e->key != key || !e->used) {
		e = bl_ep_find(b, key, NULL);
		if (!e)
			return NULL;
	}
	return e->active ? &e->cur : &e->learned;
}

void baseline_learn_records(baseline_t *b, uint64_t key, uint64_t records)
{
	bl_profile_t *p = bl_learn_profile(b, key);

	if (p)
		p->f[BL_F_REC0 + baseline_records_bucket(records)]++;
}

void baseline_learn_objects(baseline_t *b, uint64_t key, uint32_t objects, uint32_t shared)
{
	bl_profile_t *p = bl_learn_profile(b, key);

	if (p) {
		p->f[BL_F_OBJECTS] += objects;
		p->f[BL_F_OBJECTS_SHARED] += shared;
	}
}

void baseline_obs_from_call(baseline_obs_t *o, const api_call_t *c, uint64_t now_us)
{
	static const char no_host[] = "-";
	const api_header_t *ua = api_message_known(&c->req, API_HDR_USER_AGENT);

	memset(o, 0, sizeof(*o));
	o->host = c->host;
	if (!o->host.len) {
		o->host.ptr = no_host;
		o->host.len = 1;
	}
	o->method = c->method;
	o->endpoint = c->endpoint;
	o->path = c->path;
	o->principal = c->principal;
	o->client = c->flow ? &c->flow->addr[0] : NULL;
	o->time_us = c->req.first_us ? c->req.first_us : now_us;
	o->status = c->status;
	o->resp_bytes = c->resp.body_bytes != API_SIZE_UNKNOWN ? c->resp.body_bytes
							       : c->resp.body_wire_bytes;
	o->latency_us = api_call_latency_us(c);
	o->req_headers = c->req.headers;
	o->nreq_headers = c->req.nheaders;
	if (ua)
		o->user_agent = ua->value;
	o->query = c->query;
	o->call = c;
}

/* ------------------------------------------------------------------------------------------ */
/* Views and merges */

/* What the store knows of an endpoint: its own minutes, or (Redis) the merged profile plus
 * what is still on its way there. */
const bl_profile_t *bl_ep_effective(const bl_endpoint_t *e, bl_profile_t *tmp)
{
	if (!e->remote || !e->inflight || bl_profile_empty(e->remote))
		return &e->learned;
	*tmp = *e->remote;
	bl_profile_add(tmp, e->inflight);
	return tmp;
}

int baseline_endpoint_view(const baseline_t *b, uint64_t key, baseline_endpoint_view_t *v)
{
	const bl_endpoint_t *e = bl_ep_find(b, key, NULL);
	bl_profile_t tmp;
	const bl_profile_t *p;

	if (!e)
		return AW_ENOENT;
	p = bl_ep_effective(e, &tmp);
	bl_profile_view(p, &b->cfg, v);
	v->remote = p == &tmp;
	return 0;
}

int baseline_principal_view(const baseline_t *b, uint64_t ep_key, uint64_t key,
			    baseline_principal_view_t *v)
{
	const bl_principal_t *p = bl_pr_find(b, ep_key, key, NULL);
	bl_pprofile_t tmp;

	if (!p)
		return AW_ENOENT;
	if (p->has_remote) {
		tmp = p->remote;
		bl_pprofile_add(&tmp, &p->inflight);
		bl_pprofile_view(&tmp, &b->cfg, v);
		v->remote = 1;
		return 0;
	}
	bl_pprofile_view(&p->learned, &b->cfg, v);
	return 0;
}

static void bl_index_delete(baseline_t *b, bl_index_t *ix, uint64_t h, bl_match_fn match,
			    uint64_t k1, uint64_t k2)
{
	uint32_t *fs, *s = bl_index_find(b, ix, h, match, k1, k2, &fs);

	if (s)
		*s = BL_SLOT_DELETED;
}

/* Moves the principals of endpoint `from` to `into` (merging pairs present on both). */
static void bl_merge_principals(baseline_t *b, uint64_t from_key, uint64_t into_key, uint32_t into)
{
	uint32_t i;

	for (i = 0; i < b->pr_used; i++) {
		bl_principal_t *p = &b->pr[i], *q;
		uint32_t qi;

		if (!p->used || p->ep_key != from_key)
			continue;
		if (p->active)
			bl_pr_finish(b, i);
		bl_index_delete(b, &b->pr_index, bl_index_pair(from_key, p->key), bl_pr_match,
				from_key, p->key);
		q = bl_pr_find(b, into_key, p->key, &qi);
		if (q) {
			bl_pprofile_add(&q->learned, &p->learned);
			bl_pprofile_add(&q->inflight, &p->inflight);
			bl_pprofile_add(&q->inflight, &p->remote);
			p->used = 0;
			if (!p->listed) {
				p->next_free = b->pr_free;
				b->pr_free = i + 1;
			}
			b->counters.principals--;
			continue;
		}
		{
			uint32_t *fs;

			bl_index_find(b, &b->pr_index, bl_index_pair(into_key, p->key), bl_pr_match,
				      into_key, p->key, &fs);
			p->ep_key = into_key;
			p->ep = into;
			if (fs)
				*fs = i + 1;
		}
	}
}

void baseline_merge_endpoint(baseline_t *b, uint64_t from_key, uint64_t into_key)
{
	uint32_t fi, ii;
	bl_endpoint_t *from, *into;

	if (from_key == into_key || !(from = bl_ep_find(b, from_key, &fi)))
		return;
	into = bl_ep_get(b, into_key, &ii);
	from = &b->ep[fi];
	if (!into)
		return;
	if (from->active)
		bl_ep_finish(b, fi);
	bl_profile_add(&into->learned, &from->learned);
	if (into->inflight && from->inflight) {
		/* The other template's Redis profile is folded into this one's on its way. */
		bl_profile_add(into->inflight, from->inflight);
		bl_profile_add(into->inflight, from->remote);
	}
	bl_merge_principals(b, from_key, into_key, ii);
	bl_index_delete(b, &b->ep_index, from_key, bl_ep_match, from_key, 0);
	from->used = 0;
	from->active = 0;
	if (!from->listed) {
		from->next_free = b->ep_free;
		b->ep_free = fi + 1;
	}
	if (from->remote)
		memset(from->remote, 0, sizeof(bl_profile_t));
	if (from->inflight)
		memset(from->inflight, 0, sizeof(bl_profile_t));
	b->counters.endpoints--;
	b->counters.merges++;
}

const baseline_counters_t *baseline_counters(baseline_t *b)
{
	b->counters.hll_dense_cap_hits = b->hll.cap_hits;
	if (b->redis)
		baseline_redis_counters(b->redis, &b->counters);
	return &b->counters;
}

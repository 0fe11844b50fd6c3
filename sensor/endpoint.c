/*
 * endpoint.c - the endpoint catalogue: the table of endpoints, the facts of every call, the
 * sampled reading of bodies and the folding of collapsed templates (see endpoint.h).
 *
 * The estimators (histograms, callers, risk) are in endpoint_facts.c; the writers in
 * endpoint_json.c and endpoint_openapi.c.
 */
#include "endpoint_private.h"

#include <string.h>
#include <strings.h>

#include "error.h"
#include "output_http.h"

void endpoint_config_default(endpoint_config_t *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_endpoints = 10000;
	cfg->sample_first = 16;
	cfg->sample_rate = 256;
	cfg->event_budget = 100;
	cfg->interval_us = 300ull * 1000000;
}

/* ------------------------------------------------------------------------------------------ */
/* The table: open addressing on the template id (ids are sequential, not chosen by the
 * traffic; a multiplicative mix spreads them), linear probing, deletion by backward shift. */

static uint32_t endpoint_slot(const endpoint_catalog_t *cat, uint64_t id)
{
	return (uint32_t)((id * 0x9e3779b97f4a7c15ull) >> 32) & cat->mask;
}

endpoint_t *endpoint_catalog_find(const endpoint_catalog_t *cat, uint64_t template_id)
{
	uint32_t i = endpoint_slot(cat, template_id);

	while (cat->slots[i]) {
		if (cat->slots[i]->id == template_id)
			return cat->slots[i];
		i = (i + 1) & cat->mask;
	}
	return NULL;
}

static void endpoint_table_insert(endpoint_catalog_t *cat, endpoint_t *ep)
{
	uint32_t i = endpoint_slot(cat, ep->id);

	while (cat->slots[i])
		i = (i + 1) & cat->mask;
	cat->slots[i] = ep;
}

static void endpoint_table_remove(endpoint_catalog_t *cat, const endpoint_t *ep)
{
	uint32_t i = endpoint_slot(cat, ep->id), j, k;

	while (cat->slots[i] && cat->slots[i] != ep)
		i = (i + 1) & cat->mask;
	if (!cat->slots[i])
		return;
	cat->slots[i] = NULL;
	/* Shift back the entries of the run after i whose home is not between i and them. */
	for (j = (i + 1) & cat->mask; cat->slots[j]; j = (j + 1) & cat->mask) {
		k = endpoint_slot(cat, cat->slots[j]->id);
		if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
			cat->slots[i] = cat->slots[j];
			cat->slots[j] = NULL;
			i = j;
		}
	}
}

int endpoint_catalog_new(endpoint_catalog_t **out, const endpoint_config_t *cfg,
			 const uint8_t hash_key[SIPHASH_KEY_LEN], mem_account_t *acct)
{
	endpoint_catalog_t *cat;
	uint32_t size = 64;

	*out = NULL;
	if (!cfg || !hash_key || !cfg->max_endpoints)
		return AW_EINVAL;
	cat = mem_calloc(acct, sizeof(*cat));
	if (!cat)
		return AW_ENOMEM;
	cat->cfg = *cfg;
	if (!cat->cfg.sample_rate)
		cat->cfg.sample_rate = 1;
	cat->acct = acct;
	memcpy(cat->key, hash_key, SIPHASH_KEY_LEN);
	endpoint_schema_limits_default(&cat->slim);
	memcpy(cat->slim.hash_key, hash_key, SIPHASH_KEY_LEN);
	sensitive_config_default(&cat->scfg);
	cat->scfg.max_scan = 64u << 10;
	while (size < 2ull * cfg->max_endpoints && size < (1u << 30))
		size <<= 1;
	cat->slots = mem_calloc(acct, (size_t)size * sizeof(*cat->slots));
	if (!cat->slots) {
		mem_free(acct, cat, sizeof(*cat));
		return AW_ENOMEM;
	}
	cat->mask = size - 1;
	*out = cat;
	return 0;
}

static void endpoint_schemas_free(endpoint_t *ep)
{
	endpoint_schema_free(ep->query);
	endpoint_schema_free(ep->req_body);
	endpoint_schema_free(ep->resp_body);
	endpoint_schema_free(ep->resp_error);
	ep->query = ep->req_body = ep->resp_body = ep->resp_error = NULL;
}

void endpoint_catalog_free(endpoint_catalog_t *cat)
{
	endpoint_t *ep;
	uint32_t i;

	if (!cat)
		return;
	for (i = 0; i <= cat->mask; i++) {
		if ((ep = cat->slots[i]) != NULL) {
			endpoint_schemas_free(ep);
			mem_free(cat->acct, ep, sizeof(*ep));
		}
	}
	while ((ep = cat->free_list) != NULL) {
		cat->free_list = ep->next_free;
		mem_free(cat->acct, ep, sizeof(*ep));
	}
	mem_free(cat->acct, cat->slots, (size_t)(cat->mask + 1) * sizeof(*cat->slots));
	(void)endpoint_catalog_set_spec(cat, NULL);
	mem_free(cat->acct, cat, sizeof(*cat));
}

const endpoint_counters_t *endpoint_catalog_counters(const endpoint_catalog_t *cat)
{
	return &cat->counters;
}

/* ------------------------------------------------------------------------------------------ */
/* Announcements */

static void endpoint_announce(endpoint_catalog_t *cat, endpoint_t *ep, uint32_t replaced)
{
	uint32_t i;

	if (ep->queued) {
		for (i = 0; i < cat->nnews; i++)
			if (cat->news[i].ep == ep)
				cat->news[i].replaced += replaced;
		return;
	}
	if (cat->nnews >= ENDPOINT_NEWS_MAX) {
		cat->counters.news_dropped++;
		return;
	}
	cat->news[cat->nnews].ep = ep;
	cat->news[cat->nnews].replaced = replaced;
	cat->nnews++;
	ep->queued = 1;
}

/* An endpoint that goes away leaves the queue. */
static void endpoint_unqueue(endpoint_catalog_t *cat, endpoint_t *ep)
{
	uint32_t i, o = 0;

	if (!ep->queued)
		return;
	for (i = 0; i < cat->nnews; i++)
		if (cat->news[i].ep != ep)
			cat->news[o++] = cat->news[i];
	cat->nnews = o;
	ep->queued = 0;
}

size_t endpoint_catalog_take_news(endpoint_catalog_t *cat, endpoint_news_t *out, size_t max)
{
	size_t n = cat->nnews < max ? cat->nnews : max, i;

	for (i = 0; i < n; i++) {
		out[i] = cat->news[i];
		((endpoint_t *)out[i].ep)->queued = 0;
	}
	memmove(cat->news, cat->news + n, (cat->nnews - n) * sizeof(cat->news[0]));
	cat->nnews -= (uint32_t)n;
	return n;
}

/* ------------------------------------------------------------------------------------------ */
/* Endpoints come and go */

static endpoint_t *endpoint_create(endpoint_catalog_t *cat, const path_template_t *t)
{
	endpoint_t *ep;

	if (cat->counters.endpoints >= cat->cfg.max_endpoints) {
		cat->counters.cap_hits++;
		return NULL;
	}
	ep = cat->free_list;
	if (ep) {
		cat->free_list = ep->next_free;
		memset(ep, 0, sizeof(*ep));
	} else if (!(ep = mem_calloc(cat->acct, sizeof(*ep)))) {
		cat->counters.alloc_fail++;
		return NULL;
	}
	ep->tpl = t;
	ep->id = t->id;
	ep->spec_op = -1;
	endpoint_table_insert(cat, ep);
	cat->counters.endpoints++;
	cat->counters.endpoints_created++;
	return ep;
}

static void endpoint_release(endpoint_catalog_t *cat, endpoint_t *ep)
{
	endpoint_unqueue(cat, ep);
	endpoint_table_remove(cat, ep);
	endpoint_schemas_free(ep);
	ep->next_free = cat->free_list;
	cat->free_list = ep;
	cat->counters.endpoints--;
}

/* ------------------------------------------------------------------------------------------ */
/* Small bounded sets */

size_t endpoint__media_type(char *out, size_t cap, const char *v, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n && v[i] != ';' && o + 1 < cap; i++) {
		char c = v[i];

		if (c == ' ' || c == '\t')
			continue;
		out[o++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	out[o] = '\0';
	return o;
}

int endpoint__write_method(const char *m)
{
	return !strcmp(m, "POST") || !strcmp(m, "PUT") || !strcmp(m, "PATCH") ||
	       !strcmp(m, "DELETE");
}

/* Keeps the raw value that gave entry idx, when it fits. */
static void endpoint_ctype_memo(endpoint_side_t *s, aw_slice_t ct, uint32_t idx)
{
	if (ct.len >= sizeof(s->last_raw)) {
		s->last_len = 0;
		return;
	}
	aw_mem_copy(s->last_raw, ct.ptr, ct.len);
	s->last_len = (uint8_t)ct.len;
	s->last_idx = (uint8_t)idx;
}

static void endpoint_add_ctype(endpoint_catalog_t *cat, endpoint_side_t *s, aw_slice_t ct,
			       uint64_t n)
{
	char mt[ENDPOINT_CTYPE_LEN];
	uint32_t i;

	if (!ct.len)
		return;
	if (ct.len == s->last_len && aw_mem_eq(ct.ptr, s->last_raw, ct.len)) {
		s->ctypes[s->last_idx].count += n;
		return;
	}
	if (!endpoint__media_type(mt, sizeof(mt), ct.ptr, ct.len))
		return;
	for (i = 0; i < s->nctypes; i++) {
		if (strcmp(s->ctypes[i].type, mt) == 0) {
			s->ctypes[i].count += n;
			endpoint_ctype_memo(s, ct, i);
			return;
		}
	}
	if (s->nctypes >= ENDPOINT_MAX_CTYPES) {
		s->ctypes_other += n;
		cat->counters.ctypes_cut++;
		return;
	}
	memcpy(s->ctypes[s->nctypes].type, mt, sizeof(mt));
	s->ctypes[s->nctypes].count = n;
	endpoint_ctype_memo(s, ct, s->nctypes++);
}

static void endpoint_add_code(endpoint_catalog_t *cat, endpoint_t *ep, uint16_t code, uint64_t n)
{
	uint32_t i;

	for (i = 0; i < ep->ncodes; i++) {
		if (ep->codes[i].code == code) {
			ep->codes[i].count += n;
			return;
		}
	}
	if (ep->ncodes >= ENDPOINT_MAX_CODES) {
		ep->codes_other += n;
		cat->counters.codes_cut++;
		return;
	}
	ep->codes[ep->ncodes].code = code;
	ep->codes[ep->ncodes++].count = n;
}

static void endpoint_add_spath(endpoint_catalog_t *cat, endpoint_side_t *s, unsigned type,
			       unsigned source, const char *path, uint64_t n)
{
	uint32_t i;

	for (i = 0; i < s->nspaths; i++) {
		if (s->spaths[i].type == type && s->spaths[i].source == source &&
		    strcmp(s->spaths[i].path, path) == 0) {
			s->spaths[i].count += n;
			return;
		}
	}
	if (s->nspaths >= ENDPOINT_MAX_SPATHS) {
		s->spaths_other += n;
		cat->counters.sensitive_paths_cut++;
		return;
	}
	s->spaths[s->nspaths].type = (uint8_t)type;
	s->spaths[s->nspaths].source = (uint8_t)source;
	snprintf(s->spaths[s->nspaths].path, ENDPOINT_SPATH_LEN, "%s", path);
	s->spaths[s->nspaths++].count = n;
}

/* Adds a name to a small set of fixed-size strings; 0, or -1 when the set is full. */
static int endpoint_add_name(char (*set)[PRINCIPAL_CLAIM_LEN], uint8_t *n, unsigned max,
			     const char *name)
{
	unsigned i;

	for (i = 0; i < *n; i++)
		if (strcmp(set[i], name) == 0)
			return 0;
	if (*n >= max)
		return -1;
	snprintf(set[*n], PRINCIPAL_CLAIM_LEN, "%s", name);
	(*n)++;
	return 0;
}

static void endpoint_add_alg(endpoint_catalog_t *cat, endpoint_t *ep, const char *alg)
{
	unsigned i;

	for (i = 0; i < ep->nalgs; i++)
		if (strcmp(ep->algs[i], alg) == 0)
			return;
	if (ep->nalgs >= ENDPOINT_MAX_ALGS) {
		cat->counters.claims_cut++;
		return;
	}
	snprintf(ep->algs[ep->nalgs++], PRINCIPAL_ALG_LEN, "%s", alg);
}

static void endpoint_keep_name(char dst[PRINCIPAL_NAME_LEN], const char *src)
{
	if (!dst[0] && src[0])
		snprintf(dst, PRINCIPAL_NAME_LEN, "%s", src);
}

/* ------------------------------------------------------------------------------------------ */
/* Facts of every call */

/* Addresses that are not public: RFC 1918, loopback, link-local, CGNAT, ULA. */
static int endpoint_addr_private(const net_addr_t *a, int v)
{
	const uint8_t *b = a->b;

	if (v == 4)
		return b[0] == 10 || b[0] == 127 || (b[0] == 172 && (b[1] & 0xf0) == 16) ||
		       (b[0] == 192 && b[1] == 168) || (b[0] == 169 && b[1] == 254) ||
		       (b[0] == 100 && (b[1] & 0xc0) == 64) || b[0] == 0;
	if (v == 6) {
		static const uint8_t loop[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

		return memcmp(b, loop, 16) == 0 || (b[0] & 0xfe) == 0xfc ||
		       (b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
	}
	return 1;
}

static void endpoint_auth(endpoint_catalog_t *cat, endpoint_t *ep, const principal_t *p,
			  int sampled)
{
	unsigned i;

	ep->auth_calls[p->auth < PRINCIPAL_AUTH__COUNT ? p->auth : 0]++;
	ep->auth_seen |= p->auth_seen;
	if (p->flags &
	    (PRINCIPAL_F_JWT_ALG_NONE | PRINCIPAL_F_JWT_NO_ALG | PRINCIPAL_F_JWT_NO_SIGNATURE))
		ep->jwt_weak++;
	if (p->flags & PRINCIPAL_F_TOKEN_IN_QUERY)
		ep->token_in_query++;
	if (p->jwt_alg[0])
		endpoint_add_alg(cat, ep, p->jwt_alg);
	if (p->apikey_header[0] | p->apikey_param[0] | p->cookie_name[0]) {
		endpoint_keep_name(ep->apikey_header, p->apikey_header);
		endpoint_keep_name(ep->apikey_param, p->apikey_param);
		endpoint_keep_name(ep->cookie_name, p->cookie_name);
	}
	/* Claim names are many string compares: sampled calls only. */
	for (i = 0; sampled && i < p->nclaims; i++)
		if (endpoint_add_name(ep->claims, &ep->nclaims, ENDPOINT_MAX_CLAIMS, p->claims[i]) <
		    0) {
			cat->counters.claims_cut++;
			break;
		}
	if (p->ip_version && !endpoint_addr_private(&p->client, p->ip_version))
		ep->external++;
}

static void endpoint_facts(endpoint_catalog_t *cat, endpoint_t *ep, const api_call_t *c)
{
	uint64_t lat = api_call_latency_us(c),
		 ts = c->req.first_us ? c->req.first_us : c->resp.first_us;

	ep->hits++;
	if (ts && (!ep->first_us || ts < ep->first_us))
		ep->first_us = ts;
	if (ts > ep->last_us)
		ep->last_us = ts;
	if (c->status >= 100 && c->status <= 599) {
		ep->status_class[c->status / 100]++;
		endpoint_add_code(cat, ep, (uint16_t)c->status, 1);
	} else {
		ep->status_class[0]++;
	}
	endpoint_add_ctype(cat, &ep->req, c->req.content_type, 1);
	if (c->resp.progress != API_MSG_NONE) {
		uint64_t size = c->resp.body_bytes != API_SIZE_UNKNOWN ? c->resp.body_bytes
								       : c->resp.body_wire_bytes;

		endpoint_add_ctype(cat, &ep->resp, c->resp.content_type, 1);
		endpoint__hist_add(&ep->resp_bytes, size);
	}
	if (lat)
		endpoint__hist_add(&ep->latency_us, lat);
}

/* ------------------------------------------------------------------------------------------ */
/* Sampled: bodies, query, headers */

static int endpoint_is_json(const aw_slice_t *ct)
{
	size_t i;

	/* application/json, application/problem+json, application/vnd.api+json ... */
	for (i = 0; i + 4 <= ct->len && ct->ptr[i] != ';'; i++)
		if ((ct->ptr[i] | 32) == 'j' && (ct->ptr[i + 1] | 32) == 's' &&
		    (ct->ptr[i + 2] | 32) == 'o' && (ct->ptr[i + 3] | 32) == 'n')
			return 1;
	return 0;
}

static int endpoint_is_form(const aw_slice_t *ct)
{
	static const char form[] = "application/x-www-form-urlencoded";

	return ct->len >= sizeof(form) - 1 && strncasecmp(ct->ptr, form, sizeof(form) - 1) == 0;
}

/* Text worth scanning: text types, XML, JSON, forms; not images, archives or octet streams. */
static int endpoint_is_text(const aw_slice_t *ct)
{
	size_t i;

	if (!ct->len || endpoint_is_json(ct) || endpoint_is_form(ct))
		return 1;
	if (ct->len >= 5 && strncasecmp(ct->ptr, "text/", 5) == 0)
		return 1;
	for (i = 0; i + 3 <= ct->len && ct->ptr[i] != ';'; i++)
		if ((ct->ptr[i] | 32) == 'x' && (ct->ptr[i + 1] | 32) == 'm' &&
		    (ct->ptr[i + 2] | 32) == 'l')
			return 1;
	return 0;
}

/*
 * Standard headers whose values are protocol data (dates, lengths, media types, caching, agents)
 * are not scanned: sensitive data travels in bodies, the query and custom headers, and reading
 * every header of every sampled message costs more than all the rest of the sample.
 */
static int endpoint_header_plain(const api_header_t *h)
{
	static const char *const plain[] = {"host",
					    "user-agent",
					    "accept",
					    "accept-encoding",
					    "accept-language",
					    "content-type",
					    "content-length",
					    "content-encoding",
					    "transfer-encoding",
					    "connection",
					    "date",
					    "server",
					    "cache-control",
					    "etag",
					    "vary",
					    "expires",
					    "last-modified",
					    "pragma",
					    "keep-alive",
					    "if-none-match",
					    "if-modified-since",
					    "origin",
					    "referer",
					    "accept-ranges",
					    "age",
					    "upgrade",
					    "te",
					    "via"};
	size_t i, n = h->name.len;

	if (n >= 22 && strncasecmp(h->name.ptr, "access-control-", 15) == 0)
		return 1;
	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (strlen(plain[i]) == n && strncasecmp(h->name.ptr, plain[i], n) == 0)
			return 1;
	return 0;
}

/* Makes a schema on its first document; NULL when memory is refused (counted). */
static endpoint_schema_t *endpoint_schema(endpoint_catalog_t *cat, endpoint_schema_t **s)
{
	if (!*s && endpoint_schema_new(s, &cat->slim, cat->acct) < 0) {
		*s = NULL;
		cat->counters.alloc_fail++;
	}
	return *s;
}

static void endpoint_fold_report(endpoint_catalog_t *cat, endpoint_side_t *s,
				 const sensitive_report_t *r)
{
	uint32_t i;

	if (!r->types)
		return;
	s->sens_types |= r->types;
	for (i = 0; i < SENSITIVE__COUNT; i++)
		s->sens_counts[i] += r->counts[i];
	for (i = 0; i < r->nfindings; i++)
		endpoint_add_spath(cat, s, r->findings[i].type, r->findings[i].source,
				   r->findings[i].path, r->findings[i].count);
}

/* Scans one message's headers (credentials aside: they are the auth facts) and body. */
static void endpoint_scan_message(endpoint_catalog_t *cat, endpoint_t *ep, const api_call_t *c,
				  int dir, endpoint_schema_t **schema)
{
	const api_message_t *m = dir ? &c->resp : &c->req;
	sensitive_report_t *r = &cat->rep;
	const aw_slice_t *body;
	uint32_t i;

	sensitive_report_reset(r);
	if (dir == 0 && c->query.len)
		sensitive_scan(&cat->scfg, r, SENSITIVE_SRC_QUERY, c->query.ptr, c->query.len);
	for (i = 0; i < m->nheaders; i++) {
		const api_header_t *h = &m->headers[i];

		if (!h->value.len || endpoint_header_plain(h) ||
		    output_http_is_secret(h->name.ptr, h->name.len))
			continue;
		sensitive_scan_header(&cat->scfg, r, h->name.ptr, h->name.len, h->value.ptr,
				      h->value.len);
	}
	if (m->body_wire_bytes && endpoint_is_text(&m->content_type)) {
		body = api_call_body(c, dir);
		if (body && body->len) {
			int json = endpoint_is_json(&m->content_type);

			sensitive_scan(&cat->scfg, r,
				       json				    ? SENSITIVE_SRC_JSON
				       : endpoint_is_form(&m->content_type) ? SENSITIVE_SRC_QUERY
									    : SENSITIVE_SRC_TEXT,
				       body->ptr, body->len);
			if (json && schema && endpoint_schema(cat, schema))
				(void)endpoint_schema_observe_json(*schema, body->ptr, body->len);
		}
	}
	endpoint_fold_report(cat, dir ? &ep->resp : &ep->req, r);
}

/* The lexical classes of the values at the template's parameter positions. */
static void endpoint_path_params(endpoint_t *ep, const api_call_t *c)
{
	const char *t = ep->tpl->str, *te = t + ep->tpl->len;
	const char *p = c->path.ptr, *pe = p + c->path.len;
	unsigned k = 0;

	while (t < te && p < pe && k < ENDPOINT_MAX_PARAMS) {
		const char *tn, *pn;

		while (t < te && *t == '/')
			t++;
		while (p < pe && *p == '/')
			p++;
		if (t >= te || p >= pe)
			break;
		tn = memchr(t, '/', (size_t)(te - t));
		pn = memchr(p, '/', (size_t)(pe - p));
		tn = tn ? tn : te;
		pn = pn ? pn : pe;
		if (t < tn && *t == '{') {
			if (tn - t == 3 && t[1] == '*')
				break; /* the rest of the path */
			ep->param_classes[k++] |=
				(uint16_t)(1u << path_template_classify(p, (size_t)(pn - p)));
		}
		t = tn;
		p = pn;
	}
	if (k > ep->nparams)
		ep->nparams = (uint8_t)k;
}

static uint64_t endpoint_versions(const endpoint_t *ep)
{
	return (ep->query ? endpoint_schema_version(ep->query) : 0) +
	       (ep->req_body ? endpoint_schema_version(ep->req_body) : 0) +
	       (ep->resp_body ? endpoint_schema_version(ep->resp_body) : 0) +
	       (ep->resp_error ? endpoint_schema_version(ep->resp_error) : 0);
}

static void endpoint_scan(endpoint_catalog_t *cat, endpoint_t *ep, const api_call_t *c)
{
	uint64_t v;

	ep->scanned++;
	cat->counters.scanned++;
	if (c->query.len && endpoint_schema(cat, &ep->query))
		(void)endpoint_schema_observe_query(ep->query, c->query.ptr, c->query.len);
	endpoint_scan_message(cat, ep, c, 0, &ep->req_body);
	if (c->resp.progress != API_MSG_NONE)
		endpoint_scan_message(cat, ep, c, 1,
				      c->status >= 400 ? &ep->resp_error : &ep->resp_body);
	endpoint_path_params(ep, c);
	v = endpoint_versions(ep);
	if (v != ep->schema_version) {
		ep->schema_version = v;
		ep->changed_at = ep->hits;
	}
}

/* Eight lower-case hex digits at s (most significant first) into *v; 0 when one is not. */
static int endpoint_hex8(const char *s, uint32_t *v)
{
	const uint64_t ones = 0x0101010101010101ull, high = ones * 0x80;
	uint64_t x, dig, let;

	memcpy(&x, s, 8);
	/* Per byte (all below 0x80), the high bit says: at least lo, and not above hi. */
	dig = (x + ones * (0x80 - '0')) & ~(x + ones * (0x7f - '9'));
	let = (x + ones * (0x80 - 'a')) & ~(x + ones * (0x7f - 'f'));
	if ((x & high) || ((dig | let) & high) != high)
		return 0;
	x = (x & ones * 0x0f) + ((let & high) >> 7) * 9; /* byte k: the value of digit k */
	x = (x << 4 | x >> 8) & 0x00ff00ff00ff00ffull;
	x = (x | x >> 8) & 0x0000ffff0000ffffull;
	x = (x | x >> 16) & 0xffffffffull;
	*v = __builtin_bswap32((uint32_t)x);
	return 1;
}

/*
 * The principal into the callers' estimate. Ids of credentials end in a keyed hash already
 * ("jwt:p:0123456789abcdef"): its digits are the hash; addresses are hashed here.
 */
static void endpoint_caller(const endpoint_catalog_t *cat, endpoint_t *ep, const char *id)
{
	const char *p = id;
	uint64_t h = 0;
	uint32_t hi, lo;
	int i;

	/* The first ":p:", and 16 characters after it to the end. */
	while (*p && !(p[0] == ':' && p[1] == 'p' && p[2] == ':'))
		p++;
	if (*p && strlen(p + 3) == 16) {
		if (endpoint_hex8(p + 3, &hi) && endpoint_hex8(p + 11, &lo)) {
			h = (uint64_t)hi << 32 | lo;
		} else {
			for (i = 3; i < 19; i++) {
				char c = p[i];

				h = h << 4 | (uint64_t)(c <= '9' ? c - '0' : (c | 32) - 'a' + 10);
			}
		}
	} else {
		h = siphash24(cat->key, id, strlen(id));
	}
	if (h == ep->last_caller)
		return;
	ep->last_caller = h;
	endpoint__hll_add(ep->hll, h);
}

/* Read in full: the first calls, the calls soon after a schema change, then 1 in sample_rate. */
static int endpoint_sampled(const endpoint_catalog_t *cat, const endpoint_t *ep)
{
	return ep->hits <= cat->cfg.sample_first ||
	       ep->hits - ep->changed_at <= cat->cfg.sample_first ||
	       ep->hits % cat->cfg.sample_rate == 0;
}

endpoint_t *endpoint_catalog_observe(endpoint_catalog_t *cat, const path_template_t *t,
				     const api_call_t *call, const principal_t *p)
{
	endpoint_t *ep;
	int sampled;

	if (!t)
		return NULL;
	cat->counters.calls++;
	ep = endpoint_catalog_find(cat, t->id);
	if (!ep) {
		ep = endpoint_create(cat, t);
		if (!ep)
			return NULL;
		endpoint_announce(cat, ep, 0);
	}
	endpoint_facts(cat, ep, call);
	sampled = endpoint_sampled(cat, ep);
	if (p) {
		endpoint_auth(cat, ep, p, sampled);
		if (p->id[0])
			endpoint_caller(cat, ep, p->id);
	} else {
		ep->auth_calls[PRINCIPAL_AUTH_NONE]++;
	}
	if (sampled) {
		endpoint_scan(cat, ep, call);
	} else {
		ep->skipped++;
		cat->counters.skipped++;
	}
	return ep;
}

/* ------------------------------------------------------------------------------------------ */
/* Template collapse: folding one endpoint into another */

static void endpoint_fold_hist(endpoint_hist_t *into, const endpoint_hist_t *from)
{
	unsigned i;

	for (i = 0; i < ENDPOINT_HIST_BUCKETS; i++) {
		uint64_t s = (uint64_t)into->b[i] + from->b[i];

		into->b[i] = s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
	}
	into->n += from->n;
}

static void endpoint_fold_side(endpoint_catalog_t *cat, endpoint_side_t *into,
			       const endpoint_side_t *from)
{
	uint32_t i;

	for (i = 0; i < from->nctypes; i++) {
		aw_slice_t ct = {from->ctypes[i].type, strlen(from->ctypes[i].type)};

		endpoint_add_ctype(cat, into, ct, from->ctypes[i].count);
	}
	into->ctypes_other += from->ctypes_other;
	into->sens_types |= from->sens_types;
	for (i = 0; i < SENSITIVE__COUNT; i++)
		into->sens_counts[i] += from->sens_counts[i];
	for (i = 0; i < from->nspaths; i++)
		endpoint_add_spath(cat, into, from->spaths[i].type, from->spaths[i].source,
				   from->spaths[i].path, from->spaths[i].count);
	into->spaths_other += from->spaths_other;
}

static void endpoint_fold_schema(endpoint_schema_t **into, endpoint_schema_t **from)
{
	if (!*from)
		return;
	if (!*into) {
		*into = *from; /* taken over */
		*from = NULL;
		return;
	}
	endpoint_schema_merge(*into, *from);
}

static void endpoint_fold(endpoint_catalog_t *cat, endpoint_t *into, endpoint_t *from)
{
	unsigned i;

	into->hits += from->hits;
	if (from->first_us && (!into->first_us || from->first_us < into->first_us))
		into->first_us = from->first_us;
	if (from->last_us > into->last_us)
		into->last_us = from->last_us;
	for (i = 0; i < 6; i++)
		into->status_class[i] += from->status_class[i];
	for (i = 0; i < from->ncodes; i++)
		endpoint_add_code(cat, into, from->codes[i].code, from->codes[i].count);
	into->codes_other += from->codes_other;
	endpoint_fold_side(cat, &into->req, &from->req);
	endpoint_fold_side(cat, &into->resp, &from->resp);
	endpoint_fold_schema(&into->query, &from->query);
	endpoint_fold_schema(&into->req_body, &from->req_body);
	endpoint_fold_schema(&into->resp_body, &from->resp_body);
	endpoint_fold_schema(&into->resp_error, &from->resp_error);
	into->scanned += from->scanned;
	into->skipped += from->skipped;
	into->schema_version = endpoint_versions(into);
	into->changed_at = into->hits; /* the shape moved: read the next calls again */
	endpoint_fold_hist(&into->latency_us, &from->latency_us);
	endpoint_fold_hist(&into->resp_bytes, &from->resp_bytes);
	for (i = 0; i < ENDPOINT_HLL_REGS; i++)
		if (from->hll[i] > into->hll[i])
			into->hll[i] = from->hll[i];
	for (i = 0; i < PRINCIPAL_AUTH__COUNT; i++)
		into->auth_calls[i] += from->auth_calls[i];
	into->auth_seen |= from->auth_seen;
	into->jwt_weak += from->jwt_weak;
	into->token_in_query += from->token_in_query;
	for (i = 0; i < from->nalgs; i++)
		endpoint_add_alg(cat, into, from->algs[i]);
	for (i = 0; i < from->nclaims; i++)
		if (endpoint_add_name(into->claims, &into->nclaims, ENDPOINT_MAX_CLAIMS,
				      from->claims[i]) < 0)
			cat->counters.claims_cut++;
	endpoint_keep_name(into->apikey_header, from->apikey_header);
	endpoint_keep_name(into->apikey_param, from->apikey_param);
	endpoint_keep_name(into->cookie_name, from->cookie_name);
	into->external += from->external;
	into->merged += from->merged + 1;
	endpoint__drift_fold(into, from);
}

void endpoint_catalog_merge_cb(const path_template_t *from, const path_template_t *into, void *ud)
{
	endpoint_catalog_t *cat = ud;
	endpoint_t *ef = endpoint_catalog_find(cat, from->id);
	endpoint_t *ei = endpoint_catalog_find(cat, into->id);

	if (!ef)
		return;
	cat->counters.endpoints_merged++;
	if (!ei) {
		/* The new template takes over the old one's block: nothing to copy. */
		endpoint_unqueue(cat, ef);
		endpoint_table_remove(cat, ef);
		ef->tpl = into;
		ef->id = into->id;
		ef->merged++;
		ef->nparams = 0; /* the parameter positions moved */
		memset(ef->param_classes, 0, sizeof(ef->param_classes));
		ef->changed_at = ef->hits;
		ef->spec_op = -1;
		endpoint_table_insert(cat, ef);
		endpoint_announce(cat, ef, 1);
		return;
	}
	endpoint_fold(cat, ei, ef);
	if (ei->queued)
		endpoint_announce(cat, ei, 1);
	endpoint_release(cat, ef);
}

/* ------------------------------------------------------------------------------------------ */
/* Reading */

const path_template_t *endpoint_template(const endpoint_t *ep)
{
	return ep->tpl;
}

uint64_t endpoint_hits(const endpoint_t *ep)
{
	return ep->hits;
}

uint64_t endpoint_first_seen(const endpoint_t *ep)
{
	return ep->first_us;
}

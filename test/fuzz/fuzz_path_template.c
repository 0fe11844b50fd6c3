/*
 * fuzz_path_template.c - libFuzzer target for endpoint templates (sensor/path_template.c).
 *
 * Input: byte 0 picks the configuration (bit 0: tight caps, a 64 KiB memcap, 48 nodes per tree,
 * 4 trees; bit 1: quick learning, soft cap 3, hard cap 6, 8 calls before the novelty test, 4
 * segments of at most 12 bytes; bit 2: every record is sent twice). Then records of
 * [host byte][method byte][length byte][length bytes of path]; the host byte picks one of
 * eight hosts (one empty, one longer than a DNS name) and the method byte one of six methods
 * (one junk, one too long). A short last record takes what is left.
 *
 * Besides the sanitizers, every call checks what the module promises: a template that starts
 * with '/' and has no empty segment, byte counts that match the account and stay under the
 * memcap, and stability: a call that got template T before gets T again, or what T was merged
 * into (or a catch-all, which caps may hand out and take back).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "path_template.h"

#define FUZZ_SEEN 256
#define FUZZ_KEY 96

typedef struct fuzz_seen {
	char key[FUZZ_KEY];
	size_t klen;
	uint64_t id;
	int used;
} fuzz_seen_t;

typedef struct fuzz_state {
	uint64_t *into; /* by template id: what it was merged into, 0 if live */
	size_t cap;
	uint64_t catchall_max; /* catch-alls seen as merge targets have ids up to this */
	uint8_t *is_catchall; /* by template id */
	fuzz_seen_t seen[FUZZ_SEEN];
} fuzz_state_t;

static void fuzz_grow(fuzz_state_t *st, uint64_t id)
{
	size_t ncap = st->cap ? st->cap : 256;

	if (id < st->cap)
		return;
	while (ncap <= id)
		ncap *= 2;
	st->into = realloc(st->into, ncap * sizeof(*st->into));
	st->is_catchall = realloc(st->is_catchall, ncap);
	if (!st->into || !st->is_catchall)
		abort();
	memset(st->into + st->cap, 0, (ncap - st->cap) * sizeof(*st->into));
	memset(st->is_catchall + st->cap, 0, ncap - st->cap);
	st->cap = ncap;
}

static void fuzz_note(fuzz_state_t *st, const path_template_t *t)
{
	fuzz_grow(st, t->id);
	if (t->len == 4 && !memcmp(t->str, "/{*}", 4))
		st->is_catchall[t->id] = 1;
}

static void fuzz_merge_cb(const path_template_t *from, const path_template_t *into, void *ud)
{
	fuzz_state_t *st = ud;

	if (from->id == into->id || from->id == 0 || into->id == 0)
		abort();
	fuzz_note(st, from);
	fuzz_note(st, into);
	if (st->into[from->id])
		abort(); /* merged twice: it should have been freed */
	st->into[from->id] = into->id;
}

static void fuzz_check_template(const path_template_t *t)
{
	uint32_t i;

	if (!t || !t->str || t->len == 0 || t->str[0] != '/' || strlen(t->str) != t->len ||
	    !t->host || !t->method)
		abort();
	for (i = 1; i < t->len; i++)
		if (t->str[i] == '/' && t->str[i - 1] == '/')
			abort();
	if (t->len > 1 && t->str[t->len - 1] == '/')
		abort();
}

/* The stability promise, for calls whose key fits the table. */
static void fuzz_check_stable(fuzz_state_t *st, const char *key, size_t klen,
			      const path_template_t *t)
{
	uint64_t h = 1469598103934665603ull, old;
	fuzz_seen_t *e;
	size_t i;

	if (klen > FUZZ_KEY)
		return;
	for (i = 0; i < klen; i++)
		h = (h ^ (uint8_t)key[i]) * 1099511628211ull;
	e = &st->seen[h % FUZZ_SEEN];
	fuzz_note(st, t);
	if (!e->used || e->klen != klen || memcmp(e->key, key, klen)) {
		memcpy(e->key, key, klen);
		e->klen = klen;
		e->id = t->id;
		e->used = 1;
		return;
	}
	old = e->id;
	while (old < st->cap && st->into[old])
		old = st->into[old];
	if (old != t->id && !st->is_catchall[t->id] && !(old < st->cap && st->is_catchall[old]))
		abort();
	e->id = t->id;
}

static void fuzz_config(path_template_config_t *cfg, uint8_t b)
{
	path_template_config_default(cfg);
	if (b & 1) {
		cfg->memcap = 64u << 10;
		cfg->max_nodes = 48;
		cfg->max_trees = 4;
	}
	if (b & 2) {
		cfg->soft_cap = 3;
		cfg->hard_cap = 6;
		cfg->min_traffic = 8;
		cfg->novelty_min = 2;
		cfg->keep_hits = 4;
		cfg->max_segments = 4;
		cfg->max_segment_len = 12;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const hosts[] = {
		"api.example",
		"",
		"shop.example",
		"a",
		"x.example",
		"y.example",
		"z.example",
		"long-host-000000000000000000000000000000000000000000000000000000000000000000000000"
		"0000000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"0000000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"00000000000000000000000.example",
	};
	static const char *const methods[] = {"GET", "POST",  "DELETE",
					      "get", "G E T", "AVERYLONGMETHODNAME"};
	static fuzz_state_t st;
	path_template_config_t cfg;
	path_template_ctx_t *ctx;
	mem_account_t acct;
	size_t off = 1;
	int twice;

	if (size < 1)
		return 0;
	fuzz_config(&cfg, data[0]);
	twice = (data[0] & 4) != 0;
	free(st.into);
	free(st.is_catchall);
	memset(&st, 0, sizeof(st));
	mem_account_init(&acct, "inventory", 0);
	if (path_template_ctx_new(&ctx, &cfg, &acct, fuzz_merge_cb, &st) < 0)
		abort();
	while (off + 3 <= size) {
		const char *host = hosts[data[off] & 7], *method = methods[data[off + 1] % 6];
		size_t len = data[off + 2], rep;
		aw_slice_t h, m, p;
		char key[FUZZ_KEY];

		/* The stability key: host and method indices, then the path. */
		key[0] = (char)((data[off] & 7) * 8 + data[off + 1] % 6);
		off += 3;
		if (len > size - off)
			len = size - off;
		h.ptr = host, h.len = strlen(host);
		m.ptr = method, m.len = strlen(method);
		p.ptr = (const char *)data + off, p.len = len;
		if (len + 1 <= sizeof(key))
			memcpy(key + 1, p.ptr, len);
		for (rep = 0; rep <= (size_t)twice; rep++) {
			const path_template_t *t = NULL;
			const path_template_counters_t *c;
			unsigned fl = 0;

			if (path_template_apply(ctx, &t, &fl, h, m, p) != 0)
				abort();
			fuzz_check_template(t);
			if (!(fl & PATH_TEMPLATE_F_OVERFLOW))
				fuzz_check_stable(&st, key, len + 1, t);
			c = path_template_counters(ctx);
			if (c->bytes != acct.in_use || c->bytes > cfg.memcap)
				abort();
		}
		off += len;
	}
	path_template_ctx_free(ctx);
	if (acct.in_use != 0)
		abort();
	return 0;
}

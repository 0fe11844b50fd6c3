/*
 * fuzz_endpoint_schema.c - libFuzzer target for inferred body and query shapes
 * (sensor/endpoint_schema.c and its writers).
 *
 * Input: byte 0 picks the limits (bit 0: tiny caps, 8 entries, depth 3, 64 bytes scanned;
 * bit 1: a 4 KiB memory cap). The rest is read as one JSON document, then again one item a
 * line: a line starting with '?' is a query string, any other line a JSON document.
 *
 * Besides the sanitizers, the module's promises are checked: the entry count stays under
 * max_keys and the account under its cap, the counters add up, a document at or past the end
 * of its buffer is never read past (documents are copied to exact-size buffers), every writer
 * gives the same bytes twice, and a second schema fed the same input, or merged from the first
 * into an empty one, writes the same inventory.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "endpoint_schema.h"

static void fuzz_feed(endpoint_schema_t *s, const char *p, size_t n)
{
	size_t i = 0;
	char *doc = malloc(n ? n : 1);

	if (!doc)
		abort();
	memcpy(doc, p, n);
	endpoint_schema_observe_json(s, doc, n);
	free(doc);
	while (i < n) {
		const char *nl = memchr(p + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - p) : n, len = e - i;
		char *line = malloc(len ? len : 1);

		if (!line)
			abort();
		memcpy(line, p + i, len);
		if (len > 0 && line[0] == '?') {
			if (endpoint_schema_observe_query(s, line, len) != 0)
				abort();
		} else {
			endpoint_schema_observe_json(s, line, len);
		}
		free(line);
		i = e + 1;
	}
}

static void fuzz_check(const endpoint_schema_t *s, const endpoint_schema_limits_t *l)
{
	const endpoint_schema_counters_t *c = endpoint_schema_counters(s);

	if (endpoint_schema_size(s) > l->max_keys || endpoint_schema_size(s) < 1)
		abort();
	if (c->invalid + c->truncated > c->json_docs || c->depth_cut > c->json_docs ||
	    c->scan_cut > c->json_docs + c->query_docs ||
	    endpoint_schema_docs(s) != c->json_docs + c->query_docs)
		abort();
}

/* Everything the writers give, as one line; the caller frees it. */
static char *fuzz_write(const endpoint_schema_t *s, mem_account_t *acct, size_t *len)
{
	json_buf_t jb;
	const char *p;
	char *out;

	json_buf_init(&jb, acct, 1 << 24);
	json_begin(&jb);
	endpoint_schema_write_inventory(s, &jb, "inventory");
	endpoint_schema_write_openapi(s, &jb, "schema");
	json_open_array(&jb, "parameters");
	endpoint_schema_write_openapi_params(s, &jb);
	json_close_array(&jb);
	json_end(&jb);
	p = json_line(&jb, len);
	out = malloc(*len + 1);
	if (!out)
		abort();
	memcpy(out, p, *len);
	json_buf_free(&jb);
	return out;
}

static void fuzz_same(char *a, size_t an, char *b, size_t bn)
{
	if (an != bn || memcmp(a, b, an) != 0)
		abort();
	free(a);
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	endpoint_schema_limits_t lim;
	endpoint_schema_t *s, *t, *m;
	mem_account_t acct, out;
	size_t i, an, bn;
	char *a, *b;

	if (size < 1)
		return 0;
	endpoint_schema_limits_default(&lim);
	for (i = 0; i < sizeof(lim.hash_key); i++)
		lim.hash_key[i] = (uint8_t)(i * 13 + 5);
	if (data[0] & 1) {
		lim.max_keys = 8;
		lim.max_depth = 3;
		lim.max_scan = 64;
	}
	mem_account_init(&acct, "schema", (data[0] & 2) ? 4096 : 0);
	mem_account_init(&out, "out", 0);
	if (endpoint_schema_new(&s, &lim, &acct) != 0)
		return 0;
	fuzz_feed(s, (const char *)data + 1, size - 1);
	fuzz_check(s, &lim);
	if ((data[0] & 2) && acct.in_use > 4096)
		abort();
	a = fuzz_write(s, &out, &an);
	b = fuzz_write(s, &out, &bn);
	fuzz_same(a, an, b, bn);
	/* Without a memory cap, learning is a function of the input alone. */
	if (!(data[0] & 2) && endpoint_schema_new(&t, &lim, &acct) == 0) {
		fuzz_feed(t, (const char *)data + 1, size - 1);
		if (endpoint_schema_version(t) != endpoint_schema_version(s))
			abort();
		a = fuzz_write(s, &out, &an);
		b = fuzz_write(t, &out, &bn);
		fuzz_same(a, an, b, bn);
		if (endpoint_schema_new(&m, &lim, &acct) == 0) {
			endpoint_schema_merge(m, s);
			fuzz_check(m, &lim);
			a = fuzz_write(s, &out, &an);
			b = fuzz_write(m, &out, &bn);
			fuzz_same(a, an, b, bn);
			endpoint_schema_merge(m, t);
			fuzz_check(m, &lim);
			endpoint_schema_free(m);
		}
		endpoint_schema_free(t);
	}
	endpoint_schema_free(s);
	if (acct.in_use != 0 || out.in_use != 0)
		abort();
	return 0;
}

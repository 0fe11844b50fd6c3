/*
 * fuzz_endpoint_spec.c - libFuzzer target for the spec loader, router and checker
 * (sensor/endpoint_spec*.c).
 *
 * Input: a whole spec file, YAML or JSON (the loader picks by the first byte). The caps are
 * tightened (256 KiB, 50,000 nodes, depth 48, 2,000 operations, schemas nested 24 deep) so that
 * each run stays fast; the code paths are the same. A spec that loads is then exercised: every
 * operation is routed by its own template (as a learned template and as a concrete path with
 * each parameter replaced by "1") and checked against a fixed call with a query, headers, a
 * cookie and a JSON body.
 *
 * Besides the sanitizers, the harness checks what the module promises: an error is one
 * non-empty line naming the input, memory goes back to zero, a template routes to an operation
 * of the same method, a check's count is at least the number of kinds it reports, and every
 * host the spec names is one it covers.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endpoint_spec.h"

static aw_slice_t fuzz_slice(const char *s)
{
	aw_slice_t r = {s, strlen(s)};

	return r;
}

/* A concrete path for a template: "{...}" becomes "1". */
static void fuzz_concrete(char *out, size_t cap, const char *tmpl)
{
	size_t o = 0;

	for (; *tmpl && o + 2 < cap; tmpl++) {
		if (*tmpl == '{') {
			while (*tmpl && *tmpl != '}')
				tmpl++;
			out[o++] = '1';
			if (!*tmpl)
				break;
		} else {
			out[o++] = *tmpl;
		}
	}
	out[o] = '\0';
}

/* The fixed call of every check, from a pool as the dissector makes them. */
static api_call_t *fuzz_call(const char *method, const char *path)
{
	static const char body[] = "{\"name\": \"x\", \"id\": 1, \"tags\": [\"a\", 2, null], "
				   "\"nested\": {\"a\": {\"b\": [true, {\"c\": 1.5e3}]}}, "
				   "\"email\": \"a@b.test\", \"when\": \"2024-01-31T10:00:00Z\"}";
	static const char query[] = "limit=10&species=cat&tags=a&tags=b&filter%5Bx%5D=1&flag&q=a+b";
	static api_call_pool_t *pool;
	static mem_account_t pacct;
	api_call_limits_t lim = {.max_headers = 8,
				 .max_arena = 8192,
				 .max_body = 4096,
				 .max_free = 2,
				 .decompress_ratio = 100};
	api_call_t *c;
	size_t room, n = strlen(body);
	char *p;

	if (!pool) {
		mem_account_init(&pacct, "dissector", 0);
		if (api_call_pool_new(&pool, &lim, &pacct) < 0)
			abort();
	}
	c = api_call_get(pool);
	if (!c || api_call_copy(c, &c->method, method, strlen(method)) ||
	    api_call_copy(c, &c->path, path, strlen(path)) ||
	    api_call_copy(c, &c->query, query, strlen(query)) ||
	    api_call_add_header(c, 0, "X-Request-Id", 12, "0b8e8f8e-3c1a-4f6e-9a4b-2d3c4e5f6a7b",
				36) ||
	    api_call_add_header(c, 0, "Cookie", 6, "session=abc; theme=dark", 23) ||
	    api_call_add_header(c, 0, "Content-Type", 12, "application/json", 16))
		abort();
	c->req.content_type = c->req.headers[2].value;
	p = api_call_body_reserve(c, 0, 0, n, &room);
	if (!p || room < n)
		abort();
	memcpy(p, body, n);
	api_call_body_commit(c, 0, 0, n);
	c->req.content_length = (int64_t)n;
	c->req.body_wire_bytes = c->req.body_bytes = n;
	return c;
}

static void fuzz_check(const endpoint_spec_t *spec, const endpoint_spec_op_t *op, const char *path)
{
	api_call_t *call = fuzz_call(op->method_name, path);
	endpoint_spec_result_t res;
	unsigned kinds, k, n = 0;

	kinds = endpoint_spec_check(spec, &res, op, call);
	for (k = 0; k < ENDPOINT_SPEC_V__COUNT; k++)
		n += (kinds >> k) & 1;
	if (kinds != res.kinds || res.count < n ||
	    (kinds && res.first_kind >= ENDPOINT_SPEC_V__COUNT))
		abort();
	api_call_release(call);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	endpoint_spec_limits_t lim;
	endpoint_spec_t *spec = NULL;
	mem_account_t acct;
	char err[512] = "";
	uint32_t i;
	int rc;

	endpoint_spec_limits_default(&lim);
	lim.max_file = 256u << 10;
	lim.max_nodes = 50000;
	lim.max_depth = 48;
	lim.max_operations = 2000;
	lim.max_schema_depth = 24;
	mem_account_init(&acct, "inventory", 0);
	rc = endpoint_spec_load_mem(&spec, "fuzz.yaml", (const char *)data, size, &lim, &acct, err,
				    sizeof(err));
	if (rc < 0) {
		if (spec || strncmp(err, "fuzz.yaml", 9) != 0 || strchr(err, '\n') ||
		    acct.in_use != 0)
			abort();
		return 0;
	}
	for (i = 0; i < endpoint_spec_op_count(spec); i++) {
		const endpoint_spec_op_t *op = endpoint_spec_op(spec, i), *m;
		char path[2048];

		if (!op || op->index != i)
			abort();
		m = endpoint_spec_match_template(spec, fuzz_slice(op->method_name),
						 fuzz_slice(op->path));
		if (m && m->method != op->method)
			abort();
		fuzz_concrete(path, sizeof(path), op->path);
		m = endpoint_spec_match(spec, fuzz_slice(op->method_name), fuzz_slice(path));
		if (m && m->method != op->method)
			abort();
		fuzz_check(spec, op, path);
		if (m)
			fuzz_check(spec, m, path);
	}
	{
		/* The hosts of its servers: each one is covered, in the case it is kept. */
		const char *h;
		size_t hl = 0;
		uint32_t k;

		for (k = 0; (h = endpoint_spec_host(spec, k, &hl)) != NULL; k++) {
			aw_slice_t hs = {h, hl};

			if (!hl || !endpoint_spec_covers_host(spec, hs))
				abort();
		}
		if (k != endpoint_spec_info(spec)->hosts)
			abort();
	}
	endpoint_spec_free(spec);
	if (acct.in_use != 0)
		abort();
	return 0;
}

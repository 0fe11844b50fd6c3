/*
 * test_endpoint.c - the endpoint catalogue: facts of calls, percentiles, the distinct-callers
 * estimate, sampling, template merges, caps under a million random paths, risk reasons and the
 * atomic writers.
 */
#include "test_common.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <unistd.h>

#include "endpoint_private.h"
#include "error.h"

static const uint8_t key[SIPHASH_KEY_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static mem_account_t macct;
static endpoint_config_t cfg;
static endpoint_catalog_t *cat;
/* Calls come from a real pool: api_call_body() reads the record's pool slot. */
static mem_account_t pacct;
static api_call_pool_t *pool;
static api_call_t *callp;
static principal_t pr;
static api_header_t hdrs[2][4];

static int setup(void **state)
{
	api_call_limits_t lim = {.max_headers = 16,
				 .max_arena = 4096,
				 .max_body = 4096,
				 .max_free = 4,
				 .decompress_ratio = 100};

	(void)state;
	mem_account_init(&pacct, "dissector", 0);
	assert_int_equal(api_call_pool_new(&pool, &lim, &pacct), 0);
	callp = api_call_get(pool);
	assert_non_null(callp);
	mem_account_init(&macct, "inventory", 0);
	endpoint_config_default(&cfg);
	assert_int_equal(endpoint_catalog_new(&cat, &cfg, key, &macct), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	endpoint_catalog_free(cat);
	cat = NULL;
	assert_int_equal(macct.in_use, 0);
	memset(callp, 0, sizeof(*callp));
	api_call_release(callp);
	api_call_pool_free(pool);
	assert_int_equal(pacct.in_use, 0);
	return 0;
}

static aw_slice_t sl(const char *s)
{
	aw_slice_t r = {s, s ? strlen(s) : 0};

	return r;
}

static path_template_t tpl(uint64_t id, const char *host, const char *method, const char *str)
{
	path_template_t t = {
		.id = id, .len = (uint32_t)strlen(str), .str = str, .host = host, .method = method};

	return t;
}

/* A call at time t_ms with a status, latency in microseconds and optional bodies. */
static api_call_t *mk(const char *path, uint64_t t_ms, int status, uint64_t lat_us,
		      const char *req_ct, const char *req_body, const char *resp_ct,
		      const char *resp_body)
{
	memset(callp, 0, sizeof(*callp));
	callp->method = sl("GET");
	callp->path = sl(path);
	callp->status = status;
	callp->req.first_us = callp->req.end_us = t_ms * 1000;
	callp->req.progress = API_MSG_DONE;
	callp->req.headers = hdrs[0];
	callp->resp.headers = hdrs[1];
	callp->req.content_type = sl(req_ct);
	callp->req.body = sl(req_body);
	callp->req.body_wire_bytes = callp->req.body.len;
	callp->req.body_bytes = callp->req.body.len;
	if (status) {
		callp->resp.progress = API_MSG_DONE;
		callp->resp.first_us = callp->req.end_us + lat_us;
		callp->resp.end_us = callp->resp.first_us;
		callp->resp.content_type = sl(resp_ct);
		callp->resp.body = sl(resp_body);
		callp->resp.body_wire_bytes = callp->resp.body.len;
		callp->resp.body_bytes = callp->resp.body.len;
	}
	return callp;
}

static const principal_t *who(unsigned auth, const char *id, const char *addr)
{
	memset(&pr, 0, sizeof(pr));
	pr.auth = (uint8_t)auth;
	if (auth)
		pr.auth_seen = (uint16_t)(1u << auth);
	snprintf(pr.id, sizeof(pr.id), "%s", id);
	pr.ip_version = 4;
	inet_pton(AF_INET, addr, pr.client.b);
	return &pr;
}

static uint64_t ctype(const endpoint_side_t *s, const char *t)
{
	uint32_t i;

	for (i = 0; i < s->nctypes; i++)
		if (strcmp(s->ctypes[i].type, t) == 0)
			return s->ctypes[i].count;
	return 0;
}

static uint64_t code(const endpoint_t *ep, uint16_t c)
{
	uint32_t i;

	for (i = 0; i < ep->ncodes; i++)
		if (ep->codes[i].code == c)
			return ep->codes[i].count;
	return 0;
}

/* ------------------------------------------------------------------------------------------ */

static void test_facts(void **state)
{
	path_template_t t = tpl(7, "api.example", "GET", "/users/{userId}");
	endpoint_news_t news[4];
	endpoint_t *ep;

	(void)state;
	ep = endpoint_catalog_observe(cat, &t,
				      mk("/users/12", 2000, 200, 1500, NULL, NULL,
					 "Application/JSON; charset=utf-8", "{\"id\":12}"),
				      who(PRINCIPAL_AUTH_BEARER_JWT, "jwt:p:1", "10.0.0.1"));
	assert_non_null(ep);
	assert_int_equal(endpoint_catalog_take_news(cat, news, 4), 1);
	assert_ptr_equal(news[0].ep, ep);
	assert_int_equal(news[0].replaced, 0);
	assert_int_equal(endpoint_catalog_take_news(cat, news, 4), 0);
	endpoint_catalog_observe(cat, &t,
				 mk("/users/99", 1000, 404, 500, NULL, NULL, "text/plain", "no"),
				 who(PRINCIPAL_AUTH_BEARER_JWT, "jwt:p:2", "10.0.0.2"));
	endpoint_catalog_observe(cat, &t,
				 mk("/users/abc-def-ghi", 3000, 0, 0, NULL, NULL, NULL, NULL),
				 who(PRINCIPAL_AUTH_NONE, "ip:203.0.113.9", "203.0.113.9"));
	assert_int_equal(endpoint_catalog_take_news(cat, news, 4), 0);
	assert_ptr_equal(endpoint_catalog_find(cat, 7), ep);
	assert_null(endpoint_catalog_find(cat, 8));
	assert_int_equal(ep->hits, 3);
	assert_int_equal(ep->first_us, 1000000);
	assert_int_equal(ep->last_us, 3000000);
	assert_int_equal(ep->status_class[2], 1);
	assert_int_equal(ep->status_class[4], 1);
	assert_int_equal(ep->status_class[0], 1);
	assert_int_equal(code(ep, 200), 1);
	assert_int_equal(code(ep, 404), 1);
	assert_int_equal(ctype(&ep->resp, "application/json"), 1);
	assert_int_equal(ctype(&ep->resp, "text/plain"), 1);
	assert_int_equal(ep->resp.nctypes, 2);
	assert_int_equal(ep->auth_calls[PRINCIPAL_AUTH_BEARER_JWT], 2);
	assert_int_equal(ep->auth_calls[PRINCIPAL_AUTH_NONE], 1);
	assert_int_equal(ep->external, 1);
	assert_int_equal(endpoint_callers(ep), 3);
	assert_int_equal(ep->latency_us.n, 2);
	/* The path values: integers twice, a word once (learned positions). */
	assert_int_equal(ep->nparams, 1);
	assert_true(ep->param_classes[0] & (1u << PATH_TEMPLATE_CLASS_INTEGER));
	assert_true(ep->param_classes[0] & ~(1u << PATH_TEMPLATE_CLASS_INTEGER));
}

static void test_media_type(void **state)
{
	char out[ENDPOINT_CTYPE_LEN];

	(void)state;
	assert_int_equal(endpoint__media_type(out, sizeof(out), "Text/HTML ; charset=x", 21), 9);
	assert_string_equal(out, "text/html");
	assert_int_equal(endpoint__media_type(out, 5, "application/json", 16), 4);
	assert_string_equal(out, "appl");
	assert_int_equal(endpoint__media_type(out, sizeof(out), "; x", 3), 0);
}

/* Cap of the per-endpoint sets: status codes past the cap are counted, not kept. */
static void test_inner_caps(void **state)
{
	path_template_t t = tpl(1, "h", "GET", "/x");
	char ct[32];
	int i;

	(void)state;
	for (i = 0; i < 40; i++) {
		snprintf(ct, sizeof(ct), "type/sub%d", i);
		endpoint_catalog_observe(cat, &t, mk("/x", 1, 200 + i, 1, NULL, NULL, ct, "x"),
					 NULL);
	}
	assert_int_equal(endpoint_catalog_find(cat, 1)->ncodes, ENDPOINT_MAX_CODES);
	assert_int_equal(endpoint_catalog_find(cat, 1)->codes_other, 40 - ENDPOINT_MAX_CODES);
	assert_int_equal(endpoint_catalog_counters(cat)->codes_cut, 40 - ENDPOINT_MAX_CODES);
	assert_int_equal(endpoint_catalog_find(cat, 1)->resp.nctypes, ENDPOINT_MAX_CTYPES);
	assert_int_equal(endpoint_catalog_find(cat, 1)->resp.ctypes_other,
			 40 - ENDPOINT_MAX_CTYPES);
}

static void test_percentiles(void **state)
{
	static endpoint_hist_t h;
	static const double q[] = {0.5, 0.9, 0.99};
	uint64_t v;
	unsigned i;

	(void)state;
	memset(&h, 0, sizeof(h));
	assert_int_equal(endpoint__hist_quantile(&h, 0.5), 0);
	for (v = 1; v <= 100000; v++)
		endpoint__hist_add(&h, v);
	for (i = 0; i < 3; i++) {
		double want = q[i] * 100000, got = (double)endpoint__hist_quantile(&h, q[i]);

		/* A bucket spans a quarter of its power of two: its middle is within 1/8. */
		assert_true(got >= want * 0.875 && got <= want * 1.125);
	}
	/* Small values are exact. */
	memset(&h, 0, sizeof(h));
	endpoint__hist_add(&h, 3);
	assert_int_equal(endpoint__hist_quantile(&h, 0.99), 3);
	/* Huge values land in the last bucket, no overflow. */
	endpoint__hist_add(&h, UINT64_MAX);
	assert_true(endpoint__hist_quantile(&h, 0.99) > (1ull << 38));
	/* A saturated bucket halves the histogram and keeps counting. */
	memset(&h, 0, sizeof(h));
	h.b[5] = UINT32_MAX;
	endpoint__hist_add(&h, 5);
	assert_int_equal(h.b[5], (UINT32_MAX + 1ull) / 2 + 1);
}

static void test_hll_error(void **state)
{
	static const unsigned ns[] = {1, 10, 100, 1000, 10000, 200000};
	uint8_t regs[ENDPOINT_HLL_REGS];
	unsigned i, k;

	(void)state;
	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		double est, err;

		memset(regs, 0, sizeof(regs));
		for (k = 0; k < ns[i]; k++) {
			char id[32];
			int n = snprintf(id, sizeof(id), "apikey:p:%08x", k);

			endpoint__hll_add(regs, siphash24(key, id, (size_t)n));
			/* Repeats do not count. */
			endpoint__hll_add(regs, siphash24(key, id, (size_t)n));
		}
		est = (double)endpoint__hll_estimate(regs);
		err = (est - ns[i]) / ns[i];
		/* 256 registers: 6.5 % standard error; three of them bound it. */
		assert_true(err > -0.2 && err < 0.2);
	}
	memset(regs, 0, sizeof(regs));
	assert_int_equal(endpoint__hll_estimate(regs), 0);
}

static void test_sampling(void **state)
{
	path_template_t t = tpl(3, "h", "GET", "/s");
	endpoint_t *ep = NULL;
	int i;

	(void)state;
	endpoint_catalog_free(cat);
	cfg.sample_first = 4;
	cfg.sample_rate = 10;
	assert_int_equal(endpoint_catalog_new(&cat, &cfg, key, &macct), 0);
	for (i = 0; i < 100; i++)
		ep = endpoint_catalog_observe(cat, &t, mk("/s", 1, 200, 1, NULL, NULL, NULL, NULL),
					      NULL);
	/* Calls 1-4, then 10, 20, ... 100: nothing in them ever changed a schema. */
	assert_int_equal(ep->scanned, 14);
	assert_int_equal(ep->skipped, 86);
	assert_int_equal(endpoint_catalog_counters(cat)->scanned, 14);
	assert_int_equal(endpoint_catalog_counters(cat)->skipped, 86);
}

static void test_sensitive_and_risk(void **state)
{
	path_template_t t = tpl(4, "h", "POST", "/accounts");
	endpoint_risk_t r;
	endpoint_t *ep;
	unsigned i;

	(void)state;
	hdrs[0][0].name = sl("Authorization");
	hdrs[0][0].value = sl("Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.");
	hdrs[0][1].name = sl("X-Contact");
	hdrs[0][1].value = sl("alice@example.com");
	ep = endpoint_catalog_observe(cat, &t,
				      mk("/accounts", 1, 500, 10, "application/json",
					 "{\"card\":\"4111111111111111\"}", "application/json",
					 "{\"owner\":{\"email\":\"bob@example.org\"}}"),
				      who(PRINCIPAL_AUTH_NONE, "ip:8.8.8.8", "8.8.8.8"));
	callp->req.nheaders = 2;
	ep = endpoint_catalog_observe(
		cat, &t,
		mk("/accounts", 2, 500, 10, "application/json", "{}", "application/json", "{}"),
		who(PRINCIPAL_AUTH_NONE, "ip:8.8.8.8", "8.8.8.8"));
	callp->req.nheaders = 0;
	assert_true(ep->req.sens_types & (1u << SENSITIVE_CARD));
	assert_true(ep->resp.sens_types & (1u << SENSITIVE_EMAIL));
	/* The credential header is the auth facts' business, not a finding. */
	assert_false(ep->req.sens_types & (1u << SENSITIVE_JWT));
	for (i = 0; i < ep->resp.nspaths; i++)
		if (ep->resp.spaths[i].type == SENSITIVE_EMAIL)
			assert_string_equal(ep->resp.spaths[i].path, "owner.email");
	assert_int_equal(ep->resp.nspaths, 1);
	endpoint_risk(ep, &r);
	assert_true(r.reasons & (1u << ENDPOINT_RISK_SENSITIVE_RESPONSE));
	assert_true(r.reasons & (1u << ENDPOINT_RISK_SENSITIVE_REQUEST));
	assert_true(r.reasons & (1u << ENDPOINT_RISK_UNAUTHENTICATED));
	assert_true(r.reasons & (1u << ENDPOINT_RISK_WRITE_METHOD));
	assert_true(r.reasons & (1u << ENDPOINT_RISK_SERVER_ERRORS));
	assert_true(r.reasons & (1u << ENDPOINT_RISK_EXTERNAL));
	assert_false(r.reasons & (1u << ENDPOINT_RISK_SECRETS_RESPONSE));
	assert_false(r.reasons & (1u << ENDPOINT_RISK_WEAK_JWT));
	assert_int_equal(r.score, 25 + 5 + 20 + 10 + 10 + 15);
	assert_string_equal(endpoint_risk_reason_name(ENDPOINT_RISK_EXTERNAL), "external-exposure");
}

static void test_risk_quiet(void **state)
{
	path_template_t t = tpl(5, "h", "GET", "/health");
	endpoint_risk_t r;
	endpoint_t *ep = NULL;
	int i;

	(void)state;
	for (i = 0; i < 50; i++)
		ep = endpoint_catalog_observe(
			cat, &t, mk("/health", 1, 200, 10, NULL, NULL, "text/plain", "ok"),
			who(PRINCIPAL_AUTH_APIKEY_HEADER, "apikey:p:1", "10.1.2.3"));
	endpoint_risk(ep, &r);
	assert_int_equal(r.score, 0);
	assert_int_equal(r.reasons, 0);
	/* Weak JWTs, credentials in the query and Basic are reasons of their own. */
	pr.flags = PRINCIPAL_F_JWT_ALG_NONE | PRINCIPAL_F_TOKEN_IN_QUERY;
	pr.auth_seen |= 1u << PRINCIPAL_AUTH_BASIC;
	endpoint_catalog_observe(cat, &t, mk("/health", 1, 200, 10, NULL, NULL, NULL, NULL), &pr);
	endpoint_risk(ep, &r);
	assert_int_equal(r.reasons, (1u << ENDPOINT_RISK_WEAK_JWT) |
					    (1u << ENDPOINT_RISK_CREDENTIAL_IN_QUERY) |
					    (1u << ENDPOINT_RISK_BASIC_AUTH));
	assert_int_equal(r.score, 30);
}

static void test_merge_folding(void **state)
{
	path_template_t a = tpl(10, "h", "GET", "/u/alice"), b = tpl(11, "h", "GET", "/u/bob"),
			into = tpl(12, "h", "GET", "/u/{param}");
	endpoint_news_t news[4];
	endpoint_t *ea, *eb, *ei;

	(void)state;
	ea = endpoint_catalog_observe(cat, &a,
				      mk("/u/alice", 5000, 200, 10, NULL, NULL, NULL, NULL),
				      who(PRINCIPAL_AUTH_COOKIE, "cookie:p:1", "10.0.0.1"));
	endpoint_catalog_observe(cat, &a, mk("/u/alice", 6000, 200, 10, NULL, NULL, NULL, NULL),
				 who(PRINCIPAL_AUTH_COOKIE, "cookie:p:1", "10.0.0.1"));
	eb = endpoint_catalog_observe(cat, &b, mk("/u/bob", 4000, 403, 10, NULL, NULL, NULL, NULL),
				      who(PRINCIPAL_AUTH_COOKIE, "cookie:p:2", "10.0.0.2"));
	assert_int_equal(endpoint_catalog_take_news(cat, news, 4), 2);
	(void)eb;
	/* The collapse: both fold into a template the catalogue has never seen. */
	endpoint_catalog_merge_cb(&a, &into, cat);
	ei = endpoint_catalog_find(cat, 12);
	assert_ptr_equal(ei, ea); /* the block was taken over */
	assert_null(endpoint_catalog_find(cat, 10));
	endpoint_catalog_merge_cb(&b, &into, cat);
	assert_null(endpoint_catalog_find(cat, 11));
	assert_int_equal(endpoint_catalog_counters(cat)->endpoints, 1);
	assert_int_equal(endpoint_catalog_counters(cat)->endpoints_merged, 2);
	assert_int_equal(ei->hits, 3);
	assert_int_equal(ei->first_us, 4000000);
	assert_int_equal(ei->last_us, 6000000);
	assert_int_equal(code(ei, 200), 2);
	assert_int_equal(code(ei, 403), 1);
	assert_int_equal(ei->merged, 2);
	assert_int_equal(endpoint_callers(ei), 2);
	assert_ptr_equal(endpoint_template(ei), &into);
	/* Announced once, with the two templates it replaced. */
	assert_int_equal(endpoint_catalog_take_news(cat, news, 4), 1);
	assert_ptr_equal(news[0].ep, ei);
	assert_int_equal(news[0].replaced, 2);
	/* A merge of a template the catalogue never saw changes nothing. */
	endpoint_catalog_merge_cb(&a, &into, cat);
	assert_int_equal(ei->hits, 3);
}

/* Table deletions keep every other endpoint findable (backward shift). */
static void test_table_churn(void **state)
{
	static path_template_t t[3000];
	path_template_t into = tpl(999999, "h", "GET", "/{x}");
	unsigned i;

	(void)state;
	for (i = 0; i < 3000; i++) {
		t[i] = tpl(i + 1, "h", "GET", "/p");
		assert_non_null(endpoint_catalog_observe(cat, &t[i],
							 mk("/p", 1, 200, 1, 0, 0, 0, 0), NULL));
	}
	for (i = 0; i < 3000; i += 3)
		endpoint_catalog_merge_cb(&t[i], &into, cat);
	for (i = 0; i < 3000; i++)
		if (i % 3)
			assert_non_null(endpoint_catalog_find(cat, i + 1));
		else
			assert_null(endpoint_catalog_find(cat, i + 1));
	assert_int_equal(endpoint_catalog_find(cat, 999999)->hits, 1000);
	assert_int_equal(endpoint_catalog_counters(cat)->endpoints, 2001);
}

/* A million random paths through the template learner and the catalogue: the caps hold. */
static void test_caps_million(void **state)
{
	path_template_ctx_t *ptc;
	mem_account_t tacct;
	char path[64];
	unsigned i, seed = 12345;

	(void)state;
	endpoint_catalog_free(cat);
	cfg.max_endpoints = 500;
	assert_int_equal(endpoint_catalog_new(&cat, &cfg, key, &macct), 0);
	mem_account_init(&tacct, "templates", 0);
	assert_int_equal(path_template_ctx_new(&ptc, NULL, &tacct, endpoint_catalog_merge_cb, cat),
			 0);
	for (i = 0; i < 1000000; i++) {
		const path_template_t *t = NULL;
		endpoint_news_t news[8];
		int n;

		seed = seed * 1103515245u + 12345u;
		n = snprintf(path, sizeof(path), "/%c%x/%x/w%u", 'a' + (seed >> 8) % 26,
			     (seed >> 4) & 0xfff, seed, (seed >> 20) % 50);
		assert_int_equal(path_template_apply(ptc, &t, NULL, sl(i % 2 ? "a" : "b"),
						     sl(i % 3 ? "GET" : "POST"),
						     (aw_slice_t){path, (size_t)n}),
				 0);
		endpoint_catalog_observe(cat, t, mk(path, i, 200, 5, NULL, NULL, NULL, NULL), NULL);
		while (endpoint_catalog_take_news(cat, news, 8))
			;
	}
	assert_true(endpoint_catalog_counters(cat)->endpoints <= 500);
	assert_int_equal(endpoint_catalog_counters(cat)->calls, 1000000);
	/* Memory: the table and at most 500 endpoints. */
	assert_true(macct.in_use < 500 * sizeof(endpoint_t) + (64u << 10) + sizeof(*cat));
	path_template_ctx_free(ptc);
	assert_int_equal(tacct.in_use, 0);
}

static void test_cap_counted(void **state)
{
	path_template_t t[4];
	unsigned i;

	(void)state;
	endpoint_catalog_free(cat);
	cfg.max_endpoints = 3;
	assert_int_equal(endpoint_catalog_new(&cat, &cfg, key, &macct), 0);
	for (i = 0; i < 4; i++) {
		t[i] = tpl(i + 1, "h", "GET", "/c");
		endpoint_catalog_observe(cat, &t[i], mk("/c", 1, 200, 1, 0, 0, 0, 0), NULL);
	}
	assert_null(endpoint_catalog_find(cat, 4));
	assert_int_equal(endpoint_catalog_counters(cat)->cap_hits, 1);
	assert_int_equal(endpoint_catalog_counters(cat)->endpoints, 3);
}

static char *slurp(const char *path)
{
	static char buf[1 << 16];
	FILE *fp = fopen(path, "rb");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* Drift against a declared spec: declared, shadow and zombie endpoints, violations counted with
 * their first offender, orphans in the file. */
static void test_drift(void **state)
{
	static const char spec_yaml[] =
		"openapi: 3.0.3\n"
		"info: {title: t, version: '1'}\n"
		"paths:\n"
		"  /users/{id}:\n"
		"    get:\n"
		"      operationId: getUser\n"
		"      parameters:\n"
		"        - {name: id, in: path, required: true, schema: {type: integer}}\n"
		"        - {name: fields, in: query, schema: {type: string}}\n"
		"  /legacy:\n"
		"    get: {operationId: legacy, deprecated: true}\n"
		"  /never:\n"
		"    get: {operationId: neverCalled}\n";
	path_template_t tu = tpl(1, "h", "GET", "/users/{userId}");
	path_template_t tl = tpl(2, "h", "GET", "/legacy");
	path_template_t ts = tpl(3, "h", "GET", "/admin/dump");
	const char *inv = "test_endpoint_drift.json";
	const endpoint_spec_op_t *op;
	endpoint_spec_t *spec;
	endpoint_t *ep;
	char err[256], *s;
	uint32_t i = 0;

	(void)state;
	assert_int_equal(endpoint_spec_load_mem(&spec, "t.yaml", spec_yaml, sizeof(spec_yaml) - 1,
						NULL, &macct, err, sizeof(err)),
			 0);
	assert_int_equal(endpoint_catalog_set_spec(cat, spec), 0);
	ep = endpoint_catalog_observe(cat, &tu,
				      mk("/users/7", 1000, 200, 10, NULL, NULL, NULL, NULL), NULL);
	assert_int_equal(endpoint_drift_observe(cat, ep, callp), 0);
	ep = endpoint_catalog_observe(cat, &tu,
				      mk("/users/x", 1001, 200, 10, NULL, NULL, NULL, NULL), NULL);
	callp->query = sl("fields=a&debug=1");
	assert_int_equal(endpoint_drift_observe(cat, ep, callp), 0);
	ep = endpoint_catalog_observe(cat, &tl,
				      mk("/legacy", 1002, 200, 10, NULL, NULL, NULL, NULL), NULL);
	assert_int_equal(endpoint_drift_observe(cat, ep, callp), ENDPOINT_DRIFT_F_ZOMBIE);
	assert_int_equal(endpoint_drift_observe(cat, ep, callp), 0); /* told once */
	ep = endpoint_catalog_observe(
		cat, &ts, mk("/admin/dump", 1003, 200, 10, NULL, NULL, NULL, NULL), NULL);
	assert_int_equal(endpoint_drift_observe(cat, ep, callp), ENDPOINT_DRIFT_F_SHADOW);
	assert_int_equal(cat->counters.spec_shadow_endpoints, 1);
	assert_int_equal(cat->counters.spec_zombie_endpoints, 1);
	assert_int_equal(cat->counters.spec_bad, 1);
	op = endpoint_drift_orphan(cat, &i);
	assert_non_null(op);
	assert_string_equal(op->operation_id, "neverCalled");
	assert_null(endpoint_drift_orphan(cat, &i));
	assert_int_equal(endpoint_drift_orphans(cat), 1);
	assert_int_equal(endpoint_catalog_write_inventory(cat, inv, 5000000), 0);
	s = slurp(inv);
	assert_non_null(strstr(s, "\"spec\":{\"status\":\"declared\",\"operation\":0,"
				  "\"path\":\"/users/{id}\",\"operation_id\":\"getUser\","
				  "\"deprecated\":false,\"checked\":2,\"violating\":1"));
	assert_non_null(strstr(s, "\"parameter_type\":{\"calls\":1,\"first\":\"id\"}"));
	assert_non_null(strstr(s, "\"unknown_parameter\":{\"calls\":1,\"first\":\"debug\"}"));
	assert_non_null(strstr(s, "\"status\":\"zombie\""));
	assert_non_null(strstr(s, "\"status\":\"shadow\""));
	assert_non_null(strstr(s, "\"orphans\":[{\"method\":\"GET\",\"path\":\"/never\","
				  "\"operation_id\":\"neverCalled\",\"deprecated\":false}]"));
	remove(inv);
	endpoint_catalog_free(cat);
	cat = NULL;
	endpoint_spec_free(spec);
	assert_int_equal(endpoint_catalog_new(&cat, &cfg, key, &macct), 0);
}

static void test_writers(void **state)
{
	path_template_t a = tpl(1, "b.example", "GET", "/v1/items/{itemId}"),
			b = tpl(2, "a.example", "POST", "/v1/\"quoted\"");
	char dir[] = "/tmp/test_endpoint_XXXXXX", inv[256], oa[256], tmp[300];
	const char *s;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(inv, sizeof(inv), "%s/inventory.json", dir);
	snprintf(oa, sizeof(oa), "%s/openapi.json", dir);
	endpoint_catalog_observe(cat, &a, mk("/v1/items/7", 1000, 200, 2000, 0, 0, "a/\"b", "x"),
				 who(PRINCIPAL_AUTH_BEARER_JWT, "jwt:p:9", "10.0.0.1"));
	endpoint_catalog_observe(cat, &b, mk("/v1/x", 1000, 201, 2000, 0, 0, 0, 0), NULL);
	assert_int_equal(endpoint_catalog_write_inventory(cat, inv, 5000000), 0);
	snprintf(tmp, sizeof(tmp), "%s.tmp", inv);
	assert_int_equal(access(tmp, F_OK), -1);
	s = slurp(inv);
	assert_non_null(
		strstr(s, "{\"generated\":\"1970-01-01T00:00:05.000000+0000\",\"endpoints\":["));
	/* Sorted by host first: a.example before b.example; keys from traffic escaped. */
	assert_true(strstr(s, "a.example") < strstr(s, "b.example"));
	assert_non_null(strstr(s, "\"a/\\\"b\":1"));
	assert_non_null(strstr(s, "\"latency_ms\":{\"p50\":1.920"));
	assert_null(strstr(s, "\"spec\""));
	assert_int_equal(endpoint_catalog_write_openapi(cat, oa), 0);
	s = slurp(oa);
	assert_non_null(strstr(s, "\"openapi\":\"3.0.3\""));
	assert_non_null(strstr(s, "\"/v1/\\\"quoted\\\"\":{\"post\""));
	assert_non_null(strstr(s, "\"bearerJwt\":{\"type\":\"http\",\"scheme\":\"bearer\","
				  "\"bearerFormat\":\"JWT\"}"));
	assert_non_null(strstr(s, "\"x-apiwatch-hosts\":[\"b.example\"]"));
	/* A broken media type stays in the inventory, not in an OpenAPI content map. */
	assert_null(strstr(s, "a/\\\"b"));
	assert_non_null(strstr(s, "\"200\":{\"description\":\"observed\"}"));
	remove(inv);
	remove(oa);
	/* A directory that does not exist: an error, no file left behind. */
	snprintf(inv, sizeof(inv), "%s/none/inventory.json", dir);
	assert_int_equal(endpoint_catalog_write_inventory(cat, inv, 0), AW_EIO);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_facts, setup, teardown),
		cmocka_unit_test(test_media_type),
		cmocka_unit_test_setup_teardown(test_inner_caps, setup, teardown),
		cmocka_unit_test(test_percentiles),
		cmocka_unit_test(test_hll_error),
		cmocka_unit_test_setup_teardown(test_sampling, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sensitive_and_risk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_risk_quiet, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_folding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_churn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_caps_million, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drift, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

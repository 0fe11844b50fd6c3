/*
 * test_path_template.c - endpoint templates: lexical classes and their look-alikes,
 * normalisation, parameter names, caps and collapses, learning on synthetic traffic of three
 * APIs (accuracy, template count, stability), a random-path scanner against the memory caps,
 * a scanner flooding a learned API, and the cost of a typical call.
 *
 * The synthetic traffic is deterministic (xorshift, fixed seeds). Route and value popularity
 * are skewed (Zipf-Mandelbrot, weight 1 / (rank + q)) as in production logs: a few routes and
 * a few users carry most calls, with a long tail of rare ones.
 */
#include "test_common.h"

#include <stdlib.h>
#include <time.h>

#include "error.h"
#include "path_template.h"

/* ------------------------------------------------------------------------------------------ */
/* Helpers */

static aw_slice_t sl(const char *s)
{
	aw_slice_t x = {s, s ? strlen(s) : 0};

	return x;
}

static const path_template_t *apply(path_template_ctx_t *ctx, const char *host, const char *method,
				    const char *path, unsigned *flags)
{
	const path_template_t *t = NULL;
	unsigned f = 0;

	assert_int_equal(path_template_apply(ctx, &t, &f, sl(host), sl(method), sl(path)), 0);
	assert_non_null(t);
	assert_int_equal(strlen(t->str), t->len);
	assert_true(t->str[0] == '/');
	if (flags)
		*flags = f;
	return t;
}

static const char *tpl(path_template_ctx_t *ctx, const char *path)
{
	return apply(ctx, "api.example", "GET", path, NULL)->str;
}

static path_template_ctx_t *ctx_new(mem_account_t *acct, const path_template_config_t *cfg,
				    path_template_merge_cb cb, void *ud)
{
	path_template_ctx_t *ctx = NULL;

	mem_account_init(acct, "inventory", 0);
	assert_int_equal(path_template_ctx_new(&ctx, cfg, acct, cb, ud), 0);
	return ctx;
}

static void ctx_free(path_template_ctx_t *ctx, mem_account_t *acct)
{
	assert_int_equal(acct->in_use, path_template_counters(ctx)->bytes);
	path_template_ctx_free(ctx);
	assert_int_equal(acct->in_use, 0);
}

typedef struct rng {
	uint64_t s;
} rng_t;

static uint64_t rng_next(rng_t *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 2685821657736338717ull;
}

static uint32_t rng_below(rng_t *r, uint32_t n)
{
	return (uint32_t)((rng_next(r) >> 11) % n);
}

/* Zipf-Mandelbrot with exponent 1: weight of rank k is 1 / (k + q). */
typedef struct zipf {
	uint32_t n;
	double *cdf;
} zipf_t;

static void zipf_init(zipf_t *z, uint32_t n, double q)
{
	double sum = 0;
	uint32_t k;

	z->n = n;
	z->cdf = malloc(n * sizeof(double));
	assert_non_null(z->cdf);
	for (k = 0; k < n; k++) {
		sum += 1.0 / (k + 1 + q);
		z->cdf[k] = sum;
	}
}

static uint32_t zipf_draw(const zipf_t *z, rng_t *r)
{
	double u = (double)(rng_next(r) >> 11) / 9007199254740992.0 * z->cdf[z->n - 1];
	uint32_t lo = 0, hi = z->n - 1;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (z->cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Compares templates with every {name} taken as equal: the structure, not the names. */
static int same_shape(const char *a, const char *b)
{
	while (*a && *b) {
		if (*a == '{' && *b == '{') {
			while (*a && *a != '}')
				a++;
			while (*b && *b != '}')
				b++;
			continue;
		}
		if (*a++ != *b++)
			return 0;
	}
	return *a == *b;
}

/* ------------------------------------------------------------------------------------------ */
/* Lexical classes */

typedef struct class_case {
	const char *seg;
	enum path_template_class cls;
} class_case_t;

static void test_classes(void **state)
{
	static const class_case_t cases[] = {
		{"4711", PATH_TEMPLATE_CLASS_INTEGER},
		{"0", PATH_TEMPLATE_CLASS_INTEGER},
		{"9f0c1b2e-7b1c-4f6e-9a4b-2d3c4e5f6a7b", PATH_TEMPLATE_CLASS_UUID},
		{"9F0C1B2E-7B1C-4F6E-9A4B-2D3C4E5F6A7B", PATH_TEMPLATE_CLASS_UUID},
		{"507f1f77bcf86cd799439011", PATH_TEMPLATE_CLASS_OBJECT_ID},
		{"deadbeefcafe1234ab", PATH_TEMPLATE_CLASS_HEX},
		{"d41d8cd98f00b204e9800998ecf8427e", PATH_TEMPLATE_CLASS_HASH},
		{"da39a3ee5e6b4b0d3255bfef95601890afd80709", PATH_TEMPLATE_CLASS_HASH},
		{"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		 PATH_TEMPLATE_CLASS_HASH},
		{"dGhpcyBpcyBhIHRva2VuIQ", PATH_TEMPLATE_CLASS_BASE64},
		{"Zx-kPmQvLrNbTwYcAhJdEs", PATH_TEMPLATE_CLASS_BASE64},
		{"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", PATH_TEMPLATE_CLASS_JWT},
		{"eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.", PATH_TEMPLATE_CLASS_JWT},
		{"bob@example.com", PATH_TEMPLATE_CLASS_EMAIL},
		{"first.last+tag@mail.example.co.uk", PATH_TEMPLATE_CLASS_EMAIL},
		{"2024-01-31", PATH_TEMPLATE_CLASS_DATE},
		{"20240131", PATH_TEMPLATE_CLASS_DATE},
		{"2024-01-31T10:00:00Z", PATH_TEMPLATE_CLASS_DATE},
		{"abc123xyz", PATH_TEMPLATE_CLASS_MIXED},
		{"ORD-123456", PATH_TEMPLATE_CLASS_MIXED},
		{"a1b2c3", PATH_TEMPLATE_CLASS_MIXED},
		{"item12345", PATH_TEMPLATE_CLASS_MIXED},
		{"3f2a9c1e.png", PATH_TEMPLATE_CLASS_MIXED},
		{"10.0.0.1", PATH_TEMPLATE_CLASS_IP},
		{"{id}", PATH_TEMPLATE_CLASS_OPAQUE},
		{"a\x01"
		 "b",
		 PATH_TEMPLATE_CLASS_OPAQUE},
		/* Look-alikes that must stay literal. */
		{"v1", PATH_TEMPLATE_CLASS_LITERAL},
		{"v2", PATH_TEMPLATE_CLASS_LITERAL},
		{"v99", PATH_TEMPLATE_CLASS_LITERAL},
		{"V3", PATH_TEMPLATE_CLASS_LITERAL},
		{"v1beta1", PATH_TEMPLATE_CLASS_LITERAL},
		{"v2alpha", PATH_TEMPLATE_CLASS_LITERAL},
		{"1.0", PATH_TEMPLATE_CLASS_LITERAL},
		{"2.3.1", PATH_TEMPLATE_CLASS_LITERAL},
		{"v1.2.0-beta.1", PATH_TEMPLATE_CLASS_LITERAL},
		{"oauth2", PATH_TEMPLATE_CLASS_LITERAL},
		{"html5", PATH_TEMPLATE_CLASS_LITERAL},
		{"2fa", PATH_TEMPLATE_CLASS_LITERAL},
		{"utf8", PATH_TEMPLATE_CLASS_LITERAL},
		{"utf-16", PATH_TEMPLATE_CLASS_LITERAL},
		{"iso-8859-1", PATH_TEMPLATE_CLASS_LITERAL},
		{"s3", PATH_TEMPLATE_CLASS_LITERAL},
		{"ipv6", PATH_TEMPLATE_CLASS_LITERAL},
		{"k8s", PATH_TEMPLATE_CLASS_LITERAL},
		{"sha256", PATH_TEMPLATE_CLASS_LITERAL},
		{"x86_64", PATH_TEMPLATE_CLASS_LITERAL},
		{"es2015", PATH_TEMPLATE_CLASS_LITERAL},
		{"me", PATH_TEMPLATE_CLASS_LITERAL},
		{"self", PATH_TEMPLATE_CLASS_LITERAL},
		{"login", PATH_TEMPLATE_CLASS_LITERAL},
		{"latest", PATH_TEMPLATE_CLASS_LITERAL},
		{"facade", PATH_TEMPLATE_CLASS_LITERAL},
		{"deadbeef", PATH_TEMPLATE_CLASS_LITERAL},
		{"index.html", PATH_TEMPLATE_CLASS_LITERAL},
		{"openapi.json", PATH_TEMPLATE_CLASS_LITERAL},
		{"jquery.min.js", PATH_TEMPLATE_CLASS_LITERAL},
		{"HowToResetYourPassword", PATH_TEMPLATE_CLASS_LITERAL},
		{"how-to-reset-your-password", PATH_TEMPLATE_CLASS_LITERAL},
		{"openid-configuration", PATH_TEMPLATE_CLASS_LITERAL},
		{".well-known", PATH_TEMPLATE_CLASS_LITERAL},
		{"user@", PATH_TEMPLATE_CLASS_LITERAL},
		{"caf\xc3\xa9", PATH_TEMPLATE_CLASS_LITERAL},
		{"2024-13-01", PATH_TEMPLATE_CLASS_LITERAL},
		{"*", PATH_TEMPLATE_CLASS_LITERAL},
	};
	char longseg[PATH_TEMPLATE_SEGMENT_MAX + 2];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum path_template_class c =
			path_template_classify(cases[i].seg, strlen(cases[i].seg));

		if (c != cases[i].cls)
			fail_msg("%s: %s, expected %s", cases[i].seg, path_template_class_name(c),
				 path_template_class_name(cases[i].cls));
	}
	memset(longseg, 'a', sizeof(longseg));
	assert_int_equal(path_template_classify(longseg, sizeof(longseg)),
			 PATH_TEMPLATE_CLASS_OPAQUE);
	assert_int_equal(path_template_classify("", 0), PATH_TEMPLATE_CLASS_LITERAL);
	assert_string_equal(path_template_class_name(PATH_TEMPLATE_CLASS_OBJECT_ID), "object_id");
	assert_string_equal(path_template_class_name(PATH_TEMPLATE_CLASS__COUNT), "unknown");
}

/* ------------------------------------------------------------------------------------------ */
/* Normalisation and names */

static void test_normalise(void **state)
{
	mem_account_t acct;
	path_template_ctx_t *ctx = ctx_new(&acct, NULL, NULL, NULL);
	char deep[512];
	const path_template_t *t, *u;
	unsigned fl;
	int i, n = 0;

	assert_string_equal(tpl(ctx, ""), "/");
	assert_string_equal(tpl(ctx, "/"), "/");
	assert_string_equal(tpl(ctx, "///"), "/");
	assert_string_equal(tpl(ctx, "//api///v1/users/me/"), "/api/v1/users/me");
	t = apply(ctx, "api.example", "GET", "/api/v1/users/me", NULL);
	u = apply(ctx, "api.example", "GET", "/api/v1//users/me//", NULL);
	assert_ptr_equal(t, u);
	t = apply(ctx, "api.example", "GET", "/api/./v1/x/../users/me", &fl);
	assert_ptr_equal(t, u);
	assert_true(fl & PATH_TEMPLATE_F_DOT_SEGMENT);
	assert_string_equal(tpl(ctx, "/../../etc/passwd"), "/etc/passwd");
	assert_string_equal(tpl(ctx, "*"), "/*");
	/* Past 32 segments the rest folds into {*}. */
	for (i = 0; i < 40; i++)
		n += snprintf(deep + n, sizeof(deep) - (size_t)n, "/s%c", 'a' + i % 26);
	t = apply(ctx, "api.example", "GET", deep, &fl);
	assert_true(fl & PATH_TEMPLATE_F_TRUNCATED);
	assert_true(t->len > 4 && !strcmp(t->str + t->len - 4, "/{*}"));
	assert_int_equal(path_template_counters(ctx)->truncated, 1);
	/* Host and method pick the tree; the template carries them. */
	t = apply(ctx, "api.example", "POST", "/api/v1/users/me", &fl);
	assert_ptr_not_equal(t, u);
	assert_string_equal(t->str, u->str);
	assert_string_equal(t->method, "POST");
	assert_string_equal(t->host, "api.example");
	assert_true(fl & PATH_TEMPLATE_F_ROOT_NEW);
	assert_true(fl & PATH_TEMPLATE_F_NEW);
	t = apply(ctx, "api.example", "GET /x", "/a", NULL);
	assert_string_equal(t->method, "OTHER");
	t = apply(ctx, NULL, NULL, NULL, NULL);
	assert_string_equal(t->str, "/");
	assert_string_equal(t->host, "");
	/* Long, odd and brace segments are opaque parameters, never literals. */
	memset(deep, 'x', 300);
	deep[0] = '/';
	memcpy(deep + 1, "files/", 6);
	deep[300] = '\0';
	assert_string_equal(tpl(ctx, deep), "/files/{fileId}");
	assert_string_equal(tpl(ctx, "/files/{id}"), "/files/{fileId}");
	assert_string_equal(tpl(ctx, "/files/a\x7f"
				     "b"),
			    "/files/{fileId}");
	assert_int_equal(path_template_apply(NULL, &t, NULL, sl("h"), sl("GET"), sl("/")),
			 AW_EINVAL);
	assert_int_equal(path_template_apply(ctx, NULL, NULL, sl("h"), sl("GET"), sl("/")),
			 AW_EINVAL);
	ctx_free(ctx, &acct);
}

static void test_names(void **state)
{
	mem_account_t acct;
	path_template_ctx_t *ctx = ctx_new(&acct, NULL, NULL, NULL);

	assert_string_equal(
		tpl(ctx, "/api/v1/users/4711/orders/9f0c1b2e-7b1c-4f6e-9a4b-2d3c4e5f6a7b"),
		"/api/v1/users/{userId}/orders/{orderId}");
	assert_string_equal(tpl(ctx, "/api/v1/categories/12"), "/api/v1/categories/{categoryId}");
	assert_string_equal(tpl(ctx, "/api/v1/addresses/507f1f77bcf86cd799439011"),
			    "/api/v1/addresses/{addressId}");
	assert_string_equal(tpl(ctx, "/boxes/7"), "/boxes/{boxId}");
	assert_string_equal(tpl(ctx, "/matches/7"), "/matches/{matchId}");
	assert_string_equal(tpl(ctx, "/statuses/7"), "/statuses/{statusId}");
	assert_string_equal(tpl(ctx, "/people/7"), "/people/{personId}");
	assert_string_equal(tpl(ctx, "/movies/7"), "/movies/{movieId}");
	assert_string_equal(tpl(ctx, "/order-items/7"), "/order-items/{orderItemId}");
	assert_string_equal(tpl(ctx, "/line_items/7"), "/line_items/{lineItemId}");
	assert_string_equal(tpl(ctx, "/userStatuses/7"), "/userStatuses/{userStatusId}");
	assert_string_equal(tpl(ctx, "/USERS/7"), "/USERS/{userId}");
	assert_string_equal(tpl(ctx, "/user/7"), "/user/{userId}");
	assert_string_equal(tpl(ctx, "/status/7"), "/status/{statusId}");
	/* No resource word before the value. */
	assert_string_equal(tpl(ctx, "/api/7"), "/api/{id}");
	assert_string_equal(tpl(ctx, "/v2/7"), "/v2/{id}");
	assert_string_equal(tpl(ctx, "/7"), "/{id}");
	assert_string_equal(tpl(ctx, "/7/8/9"), "/{id}/{id2}/{id3}");
	assert_string_equal(tpl(ctx, "/files.v2/7"), "/files.v2/{id}");
	/* Classes named by class. */
	assert_string_equal(tpl(ctx, "/invites/bob@example.com"), "/invites/{email}");
	assert_string_equal(tpl(ctx, "/reports/2024-01-31"), "/reports/{date}");
	assert_string_equal(tpl(ctx, "/verify/eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0."),
			    "/verify/{token}");
	assert_string_equal(tpl(ctx, "/hosts/10.1.2.3"), "/hosts/{ip}");
	assert_string_equal(tpl(ctx, "/audit/20240131"), "/audit/{auditId}");
	/* Duplicates take a suffix. */
	assert_string_equal(tpl(ctx, "/users/1/users/2/users/3"),
			    "/users/{userId}/users/{userId2}/users/{userId3}");
	assert_string_equal(tpl(ctx, "/a/2024-01-01/2024-02-01"), "/a/{date}/{date2}");
	/* The name is fixed by the first value; later classes share it. */
	assert_string_equal(tpl(ctx, "/users/9f0c1b2e-7b1c-4f6e-9a4b-2d3c4e5f6a7b"),
			    "/users/{userId}");
	ctx_free(ctx, &acct);
}

/* ------------------------------------------------------------------------------------------ */
/* Caps, collapses, merges */

typedef struct merge_log {
	int n;
	uint64_t from[4096], into[4096];
	char from_str[8][64], into_str[8][64];
} merge_log_t;

static void on_merge(const path_template_t *from, const path_template_t *into, void *ud)
{
	merge_log_t *m = ud;

	assert_int_not_equal(from->id, into->id);
	if (m->n < 4096) {
		m->from[m->n] = from->id;
		m->into[m->n] = into->id;
	}
	if (m->n < 8) {
		snprintf(m->from_str[m->n], 64, "%s", from->str);
		snprintf(m->into_str[m->n], 64, "%s", into->str);
	}
	m->n++;
}

/* A few recurring literals stay literal however long the traffic. */
static void test_recurring_literals(void **state)
{
	static const char *const paths[] = {
		"/sessions/login", "/sessions/logout", "/sessions/refresh", "/reports/daily",
		"/reports/weekly", "/reports/monthly", "/sessions/login",   "/sessions/login",
	};
	mem_account_t acct;
	merge_log_t log = {0};
	path_template_ctx_t *ctx = ctx_new(&acct, NULL, on_merge, &log);
	rng_t r = {42};
	int i;

	for (i = 0; i < 20000; i++) {
		const char *p = paths[rng_below(&r, 8)];

		assert_string_equal(tpl(ctx, p), p);
	}
	/* Dates next to a literal do not take the literal along. */
	for (i = 0; i < 2000; i++) {
		char p[64];

		snprintf(p, sizeof(p), "/reports/2023-%02d-%02d", 1 + i % 12, 1 + i % 28);
		assert_string_equal(tpl(ctx, p), "/reports/{date}");
		assert_string_equal(tpl(ctx, "/reports/daily"), "/reports/daily");
	}
	assert_int_equal(log.n, 0);
	assert_int_equal(path_template_counters(ctx)->collapse_hard +
				 path_template_counters(ctx)->collapse_novelty,
			 0);
	ctx_free(ctx, &acct);
}

/* Past the soft cap new values go to the parameter; past the hard cap the position
 * collapses and its literals are merged, each reported once. */
static void test_soft_and_hard_cap(void **state)
{
	path_template_config_t cfg;
	mem_account_t acct;
	merge_log_t log = {0};
	path_template_ctx_t *ctx;
	const path_template_t *t;
	unsigned fl, all = 0;
	char p[64];
	int i, k;

	path_template_config_default(&cfg);
	cfg.min_traffic = 1000000; /* the caps alone */
	ctx = ctx_new(&acct, &cfg, on_merge, &log);
	/* Every value twice: no value is new for long, the novelty test would not fire. */
	for (i = 0; i < 50; i++) {
		snprintf(p, sizeof(p), "/tags/%s%c%c", "tag", 'a' + i / 26, 'a' + i % 26);
		for (k = 0; k < 2; k++) {
			t = apply(ctx, "h", "GET", p, &fl);
			assert_string_equal(t->str, p);
		}
	}
	snprintf(p, sizeof(p), "/tags/zzzz");
	t = apply(ctx, "h", "GET", p, &fl);
	assert_string_equal(t->str, "/tags/{tagId}");
	assert_true(fl & PATH_TEMPLATE_F_CAPPED);
	assert_int_equal(log.n, 0);
	/* Old literals keep their templates until the hard cap. */
	assert_string_equal(apply(ctx, "h", "GET", "/tags/tagaa", NULL)->str, "/tags/tagaa");
	for (i = 0; i < 400 && !(all & PATH_TEMPLATE_F_COLLAPSED); i++) {
		snprintf(p, sizeof(p), "/tags/value%c%c%c", 'a' + i / 676, 'a' + i / 26 % 26,
			 'a' + i % 26);
		t = apply(ctx, "h", "GET", p, &fl);
		assert_string_equal(t->str, "/tags/{tagId}");
		all |= fl;
	}
	assert_true(all & PATH_TEMPLATE_F_COLLAPSED);
	/* The hard cap (200) counts literals (50) and distinct values turned away. */
	assert_in_range(i, 120, 220);
	assert_int_equal(path_template_counters(ctx)->collapse_hard, 1);
	assert_int_equal(log.n, 50);
	assert_int_equal(log.into[0], t->id);
	assert_string_equal(log.into_str[0], "/tags/{tagId}");
	assert_memory_equal(log.from_str[0], "/tags/tag", 9);
	assert_string_equal(apply(ctx, "h", "GET", "/tags/tagaa", NULL)->str, "/tags/{tagId}");
	assert_int_equal(path_template_counters(ctx)->templates_merged, 50);
	ctx_free(ctx, &acct);
}

/* Usernames under /users collapse by the novelty test, with their subtrees; /users/me, a
 * heavy literal, stays. */
static void test_novelty_collapse(void **state)
{
	mem_account_t acct;
	merge_log_t log = {0};
	path_template_ctx_t *ctx = ctx_new(&acct, NULL, on_merge, &log);
	const path_template_t *t;
	rng_t r = {7};
	char p[64];
	unsigned fl, all = 0;
	int i;

	for (i = 0; i < 3000; i++) {
		uint32_t u = rng_below(&r, 5000);

		if (i % 4 == 0)
			snprintf(p, sizeof(p), "/users/me");
		else if (i % 4 == 1)
			snprintf(p, sizeof(p), "/users/user%c%c%c/repos", 'a' + u % 26,
				 'a' + u / 26 % 26, 'a' + u / 676 % 26);
		else
			snprintf(p, sizeof(p), "/users/user%c%c%c", 'a' + u % 26, 'a' + u / 26 % 26,
				 'a' + u / 676 % 26);
		t = apply(ctx, "h", "GET", p, &fl);
		all |= fl;
	}
	assert_true(all & PATH_TEMPLATE_F_COLLAPSED);
	assert_int_equal(path_template_counters(ctx)->collapse_novelty, 1);
	assert_string_equal(apply(ctx, "h", "GET", "/users/me", NULL)->str, "/users/me");
	assert_string_equal(apply(ctx, "h", "GET", "/users/someone", NULL)->str, "/users/{userId}");
	assert_string_equal(apply(ctx, "h", "GET", "/users/someone/repos", NULL)->str,
			    "/users/{userId}/repos");
	/* /users/me, /users/{userId}, /users/{userId}/repos, and the catch-alls of the tree and
	 * of the overflow tree. */
	assert_int_equal(path_template_counters(ctx)->templates, 5);
	(void)t;
	ctx_free(ctx, &acct);
}

/* Few calls, most of them new values after a resource word: the fast novelty test makes the
 * position a parameter long before min_traffic; a heavy literal (/profiles/me) stays. At the
 * root and after a version, where a broad API's resources all show up at first, it does not. */
static void test_fast_novelty(void **state)
{
	static const char *const words[] = {
		"quick", "simple", "modern", "classic", "cozy", "green", "smart",  "tiny",
		"bold",	 "quiet",  "bright", "honest",	"lazy", "fresh", "hidden", "daily",
	};
	mem_account_t acct;
	merge_log_t log = {0};
	path_template_ctx_t *ctx = ctx_new(&acct, NULL, on_merge, &log);
	char p[96];
	int i, first_param = -1;

	for (i = 0; i < 40; i++) {
		const char *t;

		snprintf(p, sizeof(p), "/blog/%s-%s-guide", words[i % 16],
			 words[(i / 16 + i) % 16]);
		t = tpl(ctx, p);
		if (first_param < 0 && !strcmp(t, "/blog/{blogId}"))
			first_param = i;
		if (i % 2 == 0)
			assert_string_equal(tpl(ctx, "/profiles/me"), "/profiles/me");
		snprintf(p, sizeof(p), "/profiles/%s_%s", words[i % 16], words[(i * 7 + 3) % 16]);
		tpl(ctx, p);
	}
	/* 16 literal calls with 40% new ones at the earliest. */
	assert_in_range(first_param, 15, 20);
	assert_string_equal(tpl(ctx, "/blog/quick-quick-guide"), "/blog/{blogId}");
	assert_string_equal(tpl(ctx, "/profiles/someone_else"), "/profiles/{profileId}");
	assert_string_equal(tpl(ctx, "/profiles/me"), "/profiles/me");
	assert_int_equal(path_template_counters(ctx)->collapse_novelty, 2);
	/* Forty resources seen once each, at the root and after a version: no fast test. */
	for (i = 0; i < 40; i++) {
		snprintf(p, sizeof(p), "/%s%s", words[i % 16], words[(i / 16) % 16]);
		assert_string_equal(tpl(ctx, p), p);
		snprintf(p, sizeof(p), "/v1/%s%s", words[i % 16], words[(i / 16) % 16]);
		assert_string_equal(tpl(ctx, p), p);
	}
	assert_int_equal(path_template_counters(ctx)->collapse_novelty, 2);
	ctx_free(ctx, &acct);
}

/* A small pool of recurring values whose subtrees look alike (/fleets/north/reports/daily) is
 * a parameter by the shape test; resources sharing a sub-route after a version are not. */
static void test_shape_collapse(void **state)
{
	static const char *const fleets[] = {
		"north",  "south", "harbor",  "airport", "downtown", "valley", "river",
		"summit", "depot", "central", "east",	 "west",     "lake",   "bay",
	};
	mem_account_t acct;
	merge_log_t log = {0};
	path_template_ctx_t *ctx = ctx_new(&acct, NULL, on_merge, &log);
	char p[96];
	unsigned fl, all = 0;
	int i;

	for (i = 0; i < 7 * 14; i++) {
		snprintf(p, sizeof(p), "/v2/fleets/%s/reports/%s", fleets[i % 14],
			 i % 3 ? "daily" : "monthly");
		apply(ctx, "fleet.example", "GET", p, &fl);
		all |= fl;
		/* Resources of an API after a version, each with a search sub-route. */
		snprintf(p, sizeof(p), "/v2/%ss/search", fleets[i % 14]);
		assert_string_equal(apply(ctx, "fleet.example", "GET", p, NULL)->str, p);
	}
	assert_true(all & PATH_TEMPLATE_F_COLLAPSED);
	assert_true(log.n >= 8);
	assert_string_equal(log.into_str[0], "/v2/fleets/{fleetId}/reports/daily");
	assert_string_equal(
		apply(ctx, "fleet.example", "GET", "/v2/fleets/north/reports/daily", NULL)->str,
		"/v2/fleets/{fleetId}/reports/daily");
	assert_string_equal(
		apply(ctx, "fleet.example", "GET", "/v2/fleets/new/reports/monthly", NULL)->str,
		"/v2/fleets/{fleetId}/reports/monthly");
	assert_int_equal(path_template_counters(ctx)->collapse_novelty, 1);
	/* /v2/fleets/{fleetId}/reports/{daily,monthly}, 14 /v2/<word>s/search, two catch-alls. */
	assert_int_equal(path_template_counters(ctx)->templates, 2 + 14 + 2);
	ctx_free(ctx, &acct);
}

static void test_tree_cap(void **state)
{
	path_template_config_t cfg;
	mem_account_t acct;
	path_template_ctx_t *ctx;
	const path_template_t *t;
	unsigned fl;
	char host[32];
	int i;

	path_template_config_default(&cfg);
	cfg.max_trees = 4;
	ctx = ctx_new(&acct, &cfg, NULL, NULL);
	for (i = 0; i < 4; i++) {
		snprintf(host, sizeof(host), "h%d.example", i);
		t = apply(ctx, host, "GET", "/x", &fl);
		assert_string_equal(t->host, host);
		assert_false(fl & PATH_TEMPLATE_F_OVERFLOW);
	}
	t = apply(ctx, "h9.example", "GET", "/x", &fl);
	assert_true(fl & PATH_TEMPLATE_F_OVERFLOW);
	assert_string_equal(t->host, "*");
	assert_string_equal(t->method, "*");
	assert_string_equal(t->str, "/x");
	assert_int_equal(path_template_counters(ctx)->tree_cap_hits, 1);
	assert_int_equal(path_template_counters(ctx)->trees, 5);
	ctx_free(ctx, &acct);
}

static void test_config(void **state)
{
	path_template_config_t cfg;
	path_template_ctx_t *ctx = NULL;
	mem_account_t acct;

	mem_account_init(&acct, "inventory", 0);
	path_template_config_default(&cfg);
	cfg.hard_cap = cfg.soft_cap;
	assert_int_equal(path_template_ctx_new(&ctx, &cfg, &acct, NULL, NULL), AW_ECONFIG);
	assert_null(ctx);
	path_template_config_default(&cfg);
	cfg.max_segments = 65;
	assert_int_equal(path_template_ctx_new(&ctx, &cfg, &acct, NULL, NULL), AW_ECONFIG);
	path_template_config_default(&cfg);
	cfg.max_segment_len = PATH_TEMPLATE_SEGMENT_MAX + 1;
	assert_int_equal(path_template_ctx_new(&ctx, &cfg, &acct, NULL, NULL), AW_ECONFIG);
	assert_int_equal(acct.in_use, 0);
	/* An account too small for the context's set-up. */
	mem_account_init(&acct, "inventory", 1024);
	assert_int_equal(path_template_ctx_new(&ctx, NULL, &acct, NULL, NULL), AW_ENOMEM);
	assert_int_equal(acct.in_use, 0);
	path_template_ctx_free(NULL);
	/* Zero fields are defaults. */
	memset(&cfg, 0, sizeof(cfg));
	mem_account_init(&acct, "inventory", 0);
	assert_int_equal(path_template_ctx_new(&ctx, &cfg, &acct, NULL, NULL), 0);
	assert_int_equal(path_template_config(ctx)->soft_cap, 50);
	path_template_ctx_free(ctx);
}

/* ------------------------------------------------------------------------------------------ */
/* Synthetic APIs */

enum gen {
	G_INT,
	G_UUID,
	G_OID,
	G_SHA,
	G_HASH32,
	G_USER,
	G_REPO,
	G_ORG,
	G_CAT,
	G_TEAM,
	G_CODE,
	G_TOKEN,
	G_EMAIL,
	G_DATE,
	G_DATE8,
	G_JWT,
	G_B64,
	G_SKU,
	G_IMG,
	G__COUNT
};

typedef struct route {
	const char *host, *method;
	const char *pattern; /* {INT}, {USER}, ... see gen_names */
	const char *expect; /* the template, names as the scheme gives them */
	double weight;
} route_t;

static const char *const gen_names[G__COUNT] = {
	"INT",	"UUID",	 "OID",	  "SHA",  "HASH32", "USER", "REPO", "ORG", "CAT", "TEAM",
	"CODE", "TOKEN", "EMAIL", "DATE", "DATE8",  "JWT",  "B64",  "SKU", "IMG",
};

#define SHOP "shop.example.com"
#define CODE "code.example.org"
#define FILES "files.example.net"

static const route_t routes[] = {
	/* A shop: numeric, UUID and object ids, category slugs, coupon codes, hashed assets. */
	{SHOP, "GET", "/api/v1/products", "/api/v1/products", 60},
	{SHOP, "GET", "/api/v1/products/{INT}", "/api/v1/products/{productId}", 120},
	{SHOP, "GET", "/api/v1/products/{INT}/reviews", "/api/v1/products/{productId}/reviews", 30},
	{SHOP, "GET", "/api/v1/categories", "/api/v1/categories", 15},
	{SHOP, "GET", "/api/v1/categories/{CAT}", "/api/v1/categories/{categoryId}", 40},
	{SHOP, "GET", "/api/v1/users/me", "/api/v1/users/me", 50},
	{SHOP, "GET", "/api/v1/users/{UUID}", "/api/v1/users/{userId}", 35},
	{SHOP, "GET", "/api/v1/users/{UUID}/orders", "/api/v1/users/{userId}/orders", 25},
	{SHOP, "GET", "/api/v1/users/{UUID}/orders/{INT}",
	 "/api/v1/users/{userId}/orders/{orderId}", 20},
	{SHOP, "GET", "/api/v1/users/{UUID}/addresses/{OID}",
	 "/api/v1/users/{userId}/addresses/{addressId}", 8},
	{SHOP, "GET", "/api/v1/cart", "/api/v1/cart", 45},
	{SHOP, "GET", "/api/v1/cart/items/{SKU}", "/api/v1/cart/items/{itemId}", 18},
	{SHOP, "GET", "/api/v1/coupons/{CODE}", "/api/v1/coupons/{couponId}", 10},
	{SHOP, "GET", "/api/v1/search", "/api/v1/search", 40},
	{SHOP, "GET", "/api/v1/reports/daily", "/api/v1/reports/daily", 2},
	{SHOP, "GET", "/api/v1/reports/weekly", "/api/v1/reports/weekly", 1},
	{SHOP, "GET", "/api/v1/orders/{INT}/invoice.pdf", "/api/v1/orders/{orderId}/invoice.pdf",
	 5},
	{SHOP, "GET", "/health", "/health", 20},
	{SHOP, "GET", "/static/img/{IMG}", "/static/img/{imgId}", 30},
	{SHOP, "POST", "/api/v1/sessions/login", "/api/v1/sessions/login", 10},
	{SHOP, "POST", "/api/v1/sessions/logout", "/api/v1/sessions/logout", 3},
	{SHOP, "POST", "/api/v1/sessions/refresh", "/api/v1/sessions/refresh", 6},
	{SHOP, "POST", "/api/v1/cart/items", "/api/v1/cart/items", 8},
	{SHOP, "POST", "/api/v1/users/{UUID}/orders", "/api/v1/users/{userId}/orders", 4},
	{SHOP, "POST", "/api/v1/products/{INT}/reviews", "/api/v1/products/{productId}/reviews", 2},
	/* A code host: usernames, repository and organisation names, commit hashes. */
	{CODE, "GET", "/users/{USER}", "/users/{userId}", 40},
	{CODE, "GET", "/users/{USER}/repos", "/users/{userId}/repos", 25},
	{CODE, "GET", "/users/{USER}/followers", "/users/{userId}/followers", 6},
	{CODE, "GET", "/users/{USER}/starred", "/users/{userId}/starred", 4},
	{CODE, "GET", "/repos/{USER}/{REPO}", "/repos/{repoId}/{param}", 50},
	{CODE, "GET", "/repos/{USER}/{REPO}/issues", "/repos/{repoId}/{param}/issues", 20},
	{CODE, "GET", "/repos/{USER}/{REPO}/issues/{INT}",
	 "/repos/{repoId}/{param}/issues/{issueId}", 30},
	{CODE, "GET", "/repos/{USER}/{REPO}/pulls/{INT}", "/repos/{repoId}/{param}/pulls/{pullId}",
	 15},
	{CODE, "GET", "/repos/{USER}/{REPO}/commits/{SHA}",
	 "/repos/{repoId}/{param}/commits/{commitId}", 12},
	{CODE, "GET", "/repos/{USER}/{REPO}/readme", "/repos/{repoId}/{param}/readme", 5},
	{CODE, "GET", "/orgs/{ORG}", "/orgs/{orgId}", 10},
	{CODE, "GET", "/orgs/{ORG}/members", "/orgs/{orgId}/members", 6},
	{CODE, "GET", "/user", "/user", 35},
	{CODE, "GET", "/user/repos", "/user/repos", 15},
	{CODE, "GET", "/search/repositories", "/search/repositories", 12},
	{CODE, "GET", "/search/users", "/search/users", 4},
	{CODE, "GET", "/gists/{HASH32}", "/gists/{gistId}", 8},
	{CODE, "GET", "/notifications", "/notifications", 20},
	{CODE, "GET", "/rate_limit", "/rate_limit", 10},
	{CODE, "GET", "/emojis", "/emojis", 1},
	{CODE, "GET", "/meta", "/meta", 1},
	{CODE, "POST", "/repos/{USER}/{REPO}/issues", "/repos/{repoId}/{param}/issues", 6},
	{CODE, "POST", "/user/repos", "/user/repos", 2},
	{CODE, "POST", "/repos/{USER}/{REPO}/issues/{INT}/comments",
	 "/repos/{repoId}/{param}/issues/{issueId}/comments", 5},
	/* A file service: UUIDs, one-time share tokens, e-mails, dates, JWTs, team slugs. */
	{FILES, "GET", "/v2/files/{UUID}", "/v2/files/{fileId}", 50},
	{FILES, "GET", "/v2/files/{UUID}/content", "/v2/files/{fileId}/content", 30},
	{FILES, "GET", "/v2/files/{UUID}/versions/{INT}", "/v2/files/{fileId}/versions/{versionId}",
	 8},
	{FILES, "GET", "/v2/share/{TOKEN}", "/v2/share/{shareId}", 15},
	{FILES, "GET", "/v2/share/{TOKEN}/download", "/v2/share/{shareId}/download", 10},
	{FILES, "GET", "/v2/invites/{EMAIL}", "/v2/invites/{email}", 5},
	{FILES, "GET", "/v2/reports/{DATE}", "/v2/reports/{date}", 6},
	{FILES, "GET", "/v2/reports/daily", "/v2/reports/daily", 4},
	{FILES, "GET", "/v2/auth/verify/{JWT}", "/v2/auth/verify/{token}", 6},
	{FILES, "GET", "/v2/teams/{TEAM}", "/v2/teams/{teamId}", 12},
	{FILES, "GET", "/v2/teams/{TEAM}/members/{INT}", "/v2/teams/{teamId}/members/{memberId}",
	 8},
	{FILES, "GET", "/v2/me", "/v2/me", 40},
	{FILES, "GET", "/v2/me/settings", "/v2/me/settings", 10},
	{FILES, "GET", "/v2/search", "/v2/search", 15},
	{FILES, "GET", "/v2/download/{B64}", "/v2/download/{downloadId}", 10},
	{FILES, "GET", "/v2/audit/{DATE8}", "/v2/audit/{auditId}", 3},
	{FILES, "GET", "/.well-known/openid-configuration", "/.well-known/openid-configuration", 2},
	{FILES, "GET", "/v2/status", "/v2/status", 5},
	{FILES, "POST", "/v2/files", "/v2/files", 12},
	{FILES, "POST", "/v2/share", "/v2/share", 4},
	{FILES, "DELETE", "/v2/files/{UUID}", "/v2/files/{fileId}", 3},
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

static const char *const first_names[] = {
	"alice", "bob",	   "carol",   "dave",	"erin",	  "frank", "grace",  "heidi",
	"ivan",	 "judy",   "mallory", "niaj",	"olivia", "peggy", "rupert", "sybil",
	"trent", "victor", "walter",  "yvonne", "zoe",	  "liam",  "noah",   "emma",
	"ava",	 "mia",	   "lucas",   "mateo",	"elena",  "sofia", "hugo",   "ines",
	"ana",	 "jonas",  "lena",    "omar",	"priya",  "ravi",  "sanjay", "yuki",
};
static const char *const surnames[] = {
	"smith",  "jones",  "garcia",	"miller",   "davis",   "lopez",	 "wilson", "moore",
	"taylor", "thomas", "white",	"harris",   "martin",  "clark",	 "lewis",  "walker",
	"young",  "allen",  "king",	"wright",   "scott",   "green",	 "baker",  "adams",
	"nelson", "hill",   "campbell", "mitchell", "roberts", "carter",
};
static const char *const nouns[] = {
	"awesome",  "server",  "client", "dotfiles",  "toolkit",   "parser",	"engine", "cli",
	"web",	    "mobile",  "app",	 "docs",      "infra",	   "terraform", "config", "scripts",
	"utils",    "core",    "sdk",	 "bot",	      "dashboard", "plugin",	"theme",  "starter",
	"template", "example", "demo",	 "benchmark", "lab",	   "gateway",
};
static const char *const shop_a[] = {
	"garden", "kitchen", "office", "outdoor", "kids",    "pet",   "bath", "home",
	"sports", "travel",  "winter", "summer",  "vintage", "smart", "eco",
};
static const char *const shop_b[] = {
	"tools",       "storage",     "lighting", "decor", "furniture", "toys",	 "supplies", "gear",
	"accessories", "electronics", "shoes",	  "bags",  "books",	"games", "audio",
};
static const char *const orgs[] = {
	"acme",	  "globex",    "initech", "umbrella", "hooli",	  "stark",     "wayne",	 "wonka",
	"tyrell", "cyberdyne", "soylent", "aperture", "vandelay", "piedpiper", "dunder",
};
static const char *const org_suffix[] = {"",	 "-labs", "-inc", "-io",
					 "-dev", "-hq",	  "-oss", "-team"};
static const char *const colours[] = {
	"red",	  "blue",    "green", "amber", "violet", "silver",
	"golden", "crimson", "teal",  "ivory", "coral",	 "indigo",
};
static const char *const animals[] = {
	"fox",	 "whale", "otter", "falcon", "badger", "lynx", "heron",	 "panda",
	"koala", "bison", "raven", "gecko",  "marten", "ibex", "puffin",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define POOL_MAX 4000

/* The values of one generator: a pool drawn with Zipf popularity, or fresh each call. */
typedef struct pool {
	int n;
	char (*v)[48];
	zipf_t z;
} pool_t;

typedef struct traffic {
	rng_t r;
	pool_t pools[G__COUNT];
	zipf_t routes_z; /* unused: routes are drawn by weight */
	double route_cdf[NROUTES];
} traffic_t;

static void rand_chars(rng_t *r, char *out, int n, const char *alphabet)
{
	int i, k = (int)strlen(alphabet);

	for (i = 0; i < n; i++)
		out[i] = alphabet[rng_below(r, (uint32_t)k)];
	out[n] = '\0';
}

static const char hexd[] = "0123456789abcdef";
static const char b64u[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void gen_fresh(traffic_t *tr, enum gen g, char *out)
{
	rng_t *r = &tr->r;

	switch (g) {
	case G_INT:
		snprintf(out, 48, "%u", 1 + rng_below(r, 2000000));
		break;
	case G_UUID:
		rand_chars(r, out, 36, hexd);
		out[8] = out[13] = out[18] = out[23] = '-';
		break;
	case G_OID:
		rand_chars(r, out, 24, hexd);
		break;
	case G_SHA:
		rand_chars(r, out, 40, hexd);
		break;
	case G_HASH32:
		rand_chars(r, out, 32, hexd);
		break;
	case G_TOKEN:
		rand_chars(r, out, 12, "abcdefghijklmnopqrstuvwxyz");
		break;
	case G_CODE:
		rand_chars(r, out, 8, "ABCDEFGHJKLMNPQRSTUVWXYZ");
		break;
	case G_DATE:
		snprintf(out, 48, "%u-%02u-%02u", 2022 + rng_below(r, 3), 1 + rng_below(r, 12),
			 1 + rng_below(r, 28));
		break;
	case G_DATE8:
		snprintf(out, 48, "%u%02u%02u", 2022 + rng_below(r, 3), 1 + rng_below(r, 12),
			 1 + rng_below(r, 28));
		break;
	case G_JWT: {
		char a[24], b[40], c[44];

		rand_chars(r, a, 20, b64u);
		rand_chars(r, b, 36, b64u);
		rand_chars(r, c, 43, b64u);
		snprintf(out, 48, "eyJ%.12s.%.14s.%.12s", a, b, c);
		break;
	}
	case G_B64:
		rand_chars(r, out, 32, b64u);
		break;
	case G_SKU:
		snprintf(out, 48, "SKU-%06u", rng_below(r, 1000000));
		break;
	case G_IMG:
		rand_chars(r, out, 16, hexd);
		memcpy(out + 16, ".png", 5);
		break;
	default:
		fail_msg("no fresh generator %d", g);
	}
}

static void pool_init(traffic_t *tr, enum gen g)
{
	pool_t *p = &tr->pools[g];
	int i;

	p->v = calloc(POOL_MAX, sizeof(*p->v));
	assert_non_null(p->v);
	switch (g) {
	case G_USER:
		p->n = 3000;
		for (i = 0; i < p->n; i++) {
			const char *f = first_names[i % NELEM(first_names)];
			const char *s = surnames[(i / NELEM(first_names)) % NELEM(surnames)];

			switch (i / (int)(NELEM(first_names) * NELEM(surnames))) {
			case 0:
				snprintf(p->v[i], 48, "%s_%s", f, s);
				break;
			case 1:
				snprintf(p->v[i], 48, "%s%s", f, s);
				break;
			default:
				snprintf(p->v[i], 48, "%s%s%02d", f, s, i % 100);
			}
		}
		break;
	case G_REPO:
		p->n = 0;
		for (i = 0; i < (int)(NELEM(nouns) * NELEM(nouns)) && p->n < 400; i++) {
			const char *a = nouns[i % NELEM(nouns)], *b = nouns[i / NELEM(nouns)];

			if (a != b)
				snprintf(p->v[p->n++], 48, "%s-%s", a, b);
		}
		break;
	case G_ORG:
		p->n = (int)(NELEM(orgs) * NELEM(org_suffix));
		for (i = 0; i < p->n; i++)
			snprintf(p->v[i], 48, "%s%s", orgs[i % NELEM(orgs)],
				 org_suffix[i / NELEM(orgs)]);
		break;
	case G_CAT:
		p->n = (int)(NELEM(shop_a) * NELEM(shop_b));
		for (i = 0; i < p->n; i++)
			snprintf(p->v[i], 48, "%s-%s", shop_a[i % NELEM(shop_a)],
				 shop_b[i / NELEM(shop_a)]);
		break;
	case G_TEAM:
		p->n = (int)(NELEM(colours) * NELEM(animals));
		for (i = 0; i < p->n; i++)
			snprintf(p->v[i], 48, "%s-%s", colours[i % NELEM(colours)],
				 animals[i / NELEM(colours)]);
		break;
	case G_CODE:
		p->n = 500;
		for (i = 0; i < p->n; i++)
			gen_fresh(tr, G_CODE, p->v[i]);
		break;
	case G_EMAIL:
		p->n = 2000;
		for (i = 0; i < p->n; i++)
			snprintf(p->v[i], 48, "%s.%s%d@mail%d.example", first_names[i % 40],
				 surnames[i / 40 % 30], i, i % 7);
		break;
	default:
		p->n = 0; /* fresh values each call */
		return;
	}
	/* Shuffle so that popularity does not follow the generation order. */
	for (i = p->n - 1; i > 0; i--) {
		char tmp[48];
		int j = (int)rng_below(&tr->r, (uint32_t)i + 1);

		memcpy(tmp, p->v[i], 48);
		memcpy(p->v[i], p->v[j], 48);
		memcpy(p->v[j], tmp, 48);
	}
	zipf_init(&p->z, (uint32_t)p->n, 2.0);
}

static void traffic_init(traffic_t *tr, uint64_t seed)
{
	double sum = 0;
	size_t i;

	memset(tr, 0, sizeof(*tr));
	tr->r.s = seed;
	for (i = 0; i < G__COUNT; i++)
		pool_init(tr, (enum gen)i);
	for (i = 0; i < NROUTES; i++) {
		sum += routes[i].weight;
		tr->route_cdf[i] = sum;
	}
}

static void traffic_free(traffic_t *tr)
{
	int i;

	for (i = 0; i < G__COUNT; i++) {
		free(tr->pools[i].v);
		free(tr->pools[i].z.cdf);
	}
}

static size_t traffic_route(traffic_t *tr)
{
	double u =
		(double)(rng_next(&tr->r) >> 11) / 9007199254740992.0 * tr->route_cdf[NROUTES - 1];
	size_t i;

	for (i = 0; i < NROUTES - 1 && tr->route_cdf[i] < u; i++)
		;
	return i;
}

/* Writes a concrete path of route ri. */
static void traffic_path(traffic_t *tr, size_t ri, char *out, size_t cap)
{
	const char *p = routes[ri].pattern;
	size_t n = 0;

	while (*p && n + 64 < cap) {
		const char *e;
		int g;

		if (*p != '{') {
			out[n++] = *p++;
			continue;
		}
		e = strchr(p, '}');
		for (g = 0; g < G__COUNT; g++)
			if (strlen(gen_names[g]) == (size_t)(e - p - 1) &&
			    !memcmp(gen_names[g], p + 1, (size_t)(e - p - 1)))
				break;
		assert_true(g < G__COUNT);
		if (tr->pools[g].n) {
			pool_t *pl = &tr->pools[g];

			n += (size_t)snprintf(out + n, cap - n, "%s",
					      pl->v[zipf_draw(&pl->z, &tr->r)]);
		} else {
			gen_fresh(tr, (enum gen)g, out + n);
			n += strlen(out + n);
		}
		p = e + 1;
	}
	out[n] = '\0';
}

/* ------------------------------------------------------------------------------------------ */
/* Stability bookkeeping: the last template of every concrete call, and the merges. */

#define SEEN_SLOTS (1u << 19)

typedef struct seen {
	char **key;
	uint64_t *id;
	uint64_t *merged_into; /* by template id */
	size_t merged_cap;
	uint64_t changes, unexplained;
} seen_t;

static void seen_init(seen_t *s)
{
	s->key = calloc(SEEN_SLOTS, sizeof(*s->key));
	s->id = calloc(SEEN_SLOTS, sizeof(*s->id));
	s->merged_cap = 1u << 20;
	s->merged_into = calloc(s->merged_cap, sizeof(*s->merged_into));
	assert_true(s->key && s->id && s->merged_into);
	s->changes = s->unexplained = 0;
}

static void seen_free(seen_t *s)
{
	size_t i;

	for (i = 0; i < SEEN_SLOTS; i++)
		free(s->key[i]);
	free(s->key);
	free(s->id);
	free(s->merged_into);
}

static void seen_merge_cb(const path_template_t *from, const path_template_t *into, void *ud)
{
	seen_t *s = ud;

	assert_true(from->id < s->merged_cap);
	assert_int_equal(s->merged_into[from->id], 0);
	s->merged_into[from->id] = into->id;
}

/* Checks that a call that got another template before got it only by merges. */
static void seen_check(seen_t *s, const char *host, const char *method, const char *path,
		       uint64_t id)
{
	char key[512];
	uint64_t h = 1469598103934665603ull;
	size_t i, n = (size_t)snprintf(key, sizeof(key), "%s %s %s", method, host, path);

	for (i = 0; i < n; i++)
		h = (h ^ (uint8_t)key[i]) * 1099511628211ull;
	for (i = h & (SEEN_SLOTS - 1); s->key[i]; i = (i + 1) & (SEEN_SLOTS - 1)) {
		uint64_t old = s->id[i];

		if (strcmp(s->key[i], key))
			continue;
		if (old != id) {
			s->changes++;
			while (old < s->merged_cap && s->merged_into[old])
				old = s->merged_into[old];
			if (old != id)
				s->unexplained++;
			s->id[i] = id;
		}
		return;
	}
	s->key[i] = strdup(key);
	s->id[i] = id;
}

/* ------------------------------------------------------------------------------------------ */
/* Learning on the synthetic APIs */

#define CALLS 120000

typedef struct route_stats {
	uint32_t calls, shape_ok, exact_ok;
} route_stats_t;

static void test_learning_accuracy(void **state)
{
	static char path[512];
	static route_stats_t rs[NROUTES];
	static seen_t seen;
	traffic_t *tr = malloc(sizeof(*tr));
	mem_account_t acct;
	path_template_ctx_t *ctx;
	uint64_t shape_ok = 0, exact_ok = 0, tail_calls = 0, tail_ok = 0;
	const path_template_counters_t *c;
	size_t i, live;
	int k;

	assert_non_null(tr);
	memset(rs, 0, sizeof(rs));
	seen_init(&seen);
	traffic_init(tr, 0x5eed);
	ctx = ctx_new(&acct, NULL, seen_merge_cb, &seen);
	for (k = 0; k < CALLS; k++) {
		size_t ri = traffic_route(tr);
		const path_template_t *t;
		int ok;

		traffic_path(tr, ri, path, sizeof(path));
		t = apply(ctx, routes[ri].host, routes[ri].method, path, NULL);
		ok = same_shape(t->str, routes[ri].expect);
		rs[ri].calls++;
		rs[ri].shape_ok += ok;
		rs[ri].exact_ok += !strcmp(t->str, routes[ri].expect);
		shape_ok += ok;
		exact_ok += !strcmp(t->str, routes[ri].expect);
		if (k >= CALLS * 4 / 5) {
			tail_calls++;
			tail_ok += ok;
		}
		seen_check(&seen, routes[ri].host, routes[ri].method, path, t->id);
	}
	c = path_template_counters(ctx);
	live = c->templates - c->trees; /* without the catch-alls */
	print_message("learning: %d calls, %zu routes: %.2f%% on the right template (%.2f%% with "
		      "exact names), last 20%%: %.2f%%; %zu live templates (bound %zu); %llu "
		      "merged; collapses %llu novelty, %llu hard; %llu template changes, all "
		      "merges\n",
		      CALLS, NROUTES, 100.0 * shape_ok / CALLS, 100.0 * exact_ok / CALLS,
		      100.0 * tail_ok / tail_calls, live, NROUTES * 6 / 5,
		      (unsigned long long)c->templates_merged,
		      (unsigned long long)c->collapse_novelty, (unsigned long long)c->collapse_hard,
		      (unsigned long long)seen.changes);
	print_message("learning: %llu nodes, %llu bytes (peak %llu)\n",
		      (unsigned long long)c->nodes, (unsigned long long)c->bytes,
		      (unsigned long long)c->bytes_peak);
	for (i = 0; i < NROUTES; i++)
		if (rs[i].calls && rs[i].shape_ok < rs[i].calls * 0.95)
			print_message("  %-45s %5u calls, %5.1f%% right\n", routes[i].pattern,
				      rs[i].calls, 100.0 * rs[i].shape_ok / rs[i].calls);
	/* After learning, every route's template as the scheme names it. */
	for (i = 0; i < NROUTES; i++) {
		const path_template_t *t;

		traffic_path(tr, i, path, sizeof(path));
		t = apply(ctx, routes[i].host, routes[i].method, path, NULL);
		if (strcmp(t->str, routes[i].expect))
			fail_msg("%s %s: %s, expected %s", routes[i].method, path, t->str,
				 routes[i].expect);
	}
	assert_true(shape_ok >= CALLS * 0.95);
	assert_true(tail_ok >= tail_calls * 0.99);
	assert_true(live <= NROUTES * 6 / 5);
	assert_int_equal(seen.unexplained, 0);
	assert_int_equal(c->catchall, 0);
	ctx_free(ctx, &acct);
	seen_free(&seen);
	traffic_free(tr);
	free(tr);
}

/* Same traffic, same ids and templates: the per-context hash key changes nothing. */
static void test_replay_deterministic(void **state)
{
	static char path[512];
	traffic_t *tr = malloc(sizeof(*tr));
	mem_account_t a1, a2;
	path_template_ctx_t *c1, *c2;
	int k;

	assert_non_null(tr);
	c1 = ctx_new(&a1, NULL, NULL, NULL);
	c2 = ctx_new(&a2, NULL, NULL, NULL);
	traffic_init(tr, 99);
	for (k = 0; k < 20000; k++) {
		size_t ri = traffic_route(tr);
		const path_template_t *t1, *t2;

		traffic_path(tr, ri, path, sizeof(path));
		t1 = apply(c1, routes[ri].host, routes[ri].method, path, NULL);
		t2 = apply(c2, routes[ri].host, routes[ri].method, path, NULL);
		assert_int_equal(t1->id, t2->id);
		assert_string_equal(t1->str, t2->str);
	}
	ctx_free(c1, &a1);
	ctx_free(c2, &a2);
	traffic_free(tr);
	free(tr);
}

/* ------------------------------------------------------------------------------------------ */
/* Scanners */

static void random_path(rng_t *r, char *out, size_t cap, int max_depth)
{
	static const char alpha[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
				    "-._~%!$&'()*+,;=:@";
	int depth = 1 + (int)rng_below(r, (uint32_t)max_depth), d;
	size_t n = 0;

	for (d = 0; d < depth && n + 20 < cap; d++) {
		int len = 1 + (int)rng_below(r, 16), i;

		out[n++] = '/';
		for (i = 0; i < len; i++)
			out[n++] = alpha[rng_below(r, sizeof(alpha) - 1)];
	}
	out[n] = '\0';
}

/* A million random paths of random depth: nodes, bytes and templates stay under the caps. */
static void test_scanner_bounded(void **state)
{
	static const char *const methods[] = {"GET", "POST", "HEAD", "PROPFIND"};
	path_template_config_t cfg;
	mem_account_t acct;
	path_template_ctx_t *ctx;
	const path_template_counters_t *c;
	rng_t r = {12345};
	char path[1024];
	int k;

	path_template_config_default(&cfg);
	ctx = ctx_new(&acct, &cfg, NULL, NULL);
	for (k = 0; k < 1000000; k++) {
		random_path(&r, path, sizeof(path), 40);
		apply(ctx, "victim.example", methods[k & 3], path, NULL);
	}
	c = path_template_counters(ctx);
	print_message("scanner: 1e6 random paths: %llu trees, %llu nodes (peak %llu, cap %u per "
		      "tree), %llu templates, %llu bytes (peak %llu, cap %llu); %llu merged, %llu "
		      "node-cap hits, %llu memcap hits, %llu catch-all\n",
		      (unsigned long long)c->trees, (unsigned long long)c->nodes,
		      (unsigned long long)c->nodes_peak, cfg.max_nodes,
		      (unsigned long long)c->templates, (unsigned long long)c->bytes,
		      (unsigned long long)c->bytes_peak, (unsigned long long)cfg.memcap,
		      (unsigned long long)c->templates_merged, (unsigned long long)c->node_cap_hits,
		      (unsigned long long)c->mem_cap_hits, (unsigned long long)c->catchall);
	assert_true(c->nodes_peak <= (uint64_t)cfg.max_nodes * c->trees);
	assert_true(c->bytes_peak <= cfg.memcap);
	assert_true(acct.peak <= cfg.memcap);
	/* Learning turns the scan into a few parameter chains: far below the caps. */
	assert_true(c->nodes < 20000);
	ctx_free(ctx, &acct);
}

/* Tight caps and many hosts: the caps hold, and every call still gets a template. */
static void test_scanner_tight_caps(void **state)
{
	path_template_config_t cfg;
	mem_account_t acct;
	path_template_ctx_t *ctx;
	const path_template_counters_t *c;
	rng_t r = {777};
	char path[1024], host[32];
	int k;

	path_template_config_default(&cfg);
	cfg.memcap = 256 << 10;
	cfg.max_nodes = 300;
	cfg.max_trees = 32;
	cfg.soft_cap = 40;
	cfg.hard_cap = 100000; /* the hard cap out of the way: the other caps must hold */
	cfg.min_traffic = 1000000;
	ctx = ctx_new(&acct, &cfg, NULL, NULL);
	for (k = 0; k < 200000; k++) {
		unsigned fl;

		snprintf(host, sizeof(host), "h%u.example", rng_below(&r, 500));
		random_path(&r, path, sizeof(path), 40);
		apply(ctx, host, "GET", path, &fl);
	}
	c = path_template_counters(ctx);
	print_message("tight caps: %llu trees, %llu nodes (peak %llu), %llu bytes (peak %llu, cap "
		      "%llu), %llu tree-cap, %llu node-cap, %llu memcap hits, %llu catch-all\n",
		      (unsigned long long)c->trees, (unsigned long long)c->nodes,
		      (unsigned long long)c->nodes_peak, (unsigned long long)c->bytes,
		      (unsigned long long)c->bytes_peak, (unsigned long long)cfg.memcap,
		      (unsigned long long)c->tree_cap_hits, (unsigned long long)c->node_cap_hits,
		      (unsigned long long)c->mem_cap_hits, (unsigned long long)c->catchall);
	assert_true(c->trees <= cfg.max_trees + 1);
	assert_true(c->nodes_peak <= (uint64_t)cfg.max_nodes * (cfg.max_trees + 1));
	assert_true(c->bytes_peak <= cfg.memcap);
	assert_true(c->tree_cap_hits > 0);
	assert_true(c->node_cap_hits + c->mem_cap_hits > 0);
	ctx_free(ctx, &acct);
}

/* A scanner on a learned API: established routes keep their templates. */
static void test_scanner_after_learning(void **state)
{
	static char path[512];
	traffic_t *tr = malloc(sizeof(*tr));
	mem_account_t acct;
	path_template_ctx_t *ctx;
	const path_template_t *before[NROUTES];
	rng_t r = {4242};
	size_t i, kept = 0, heavy = 0;
	int k;

	assert_non_null(tr);
	traffic_init(tr, 0xbeef);
	ctx = ctx_new(&acct, NULL, NULL, NULL);
	for (k = 0; k < 60000; k++) {
		size_t ri = traffic_route(tr);

		traffic_path(tr, ri, path, sizeof(path));
		apply(ctx, routes[ri].host, routes[ri].method, path, NULL);
	}
	for (i = 0; i < NROUTES; i++) {
		traffic_path(tr, i, path, sizeof(path));
		before[i] = apply(ctx, routes[i].host, routes[i].method, path, NULL);
	}
	for (k = 0; k < 300000; k++) {
		random_path(&r, path, sizeof(path), 8);
		apply(ctx, SHOP, "GET", path, NULL);
		random_path(&r, path, sizeof(path), 8);
		apply(ctx, CODE, "GET", path, NULL);
	}
	/* Routes with at least 1% of calls on their (host, method) keep their template. */
	for (i = 0; i < NROUTES; i++) {
		const path_template_t *t;

		if (strcmp(routes[i].method, "GET") || routes[i].weight < 10)
			continue;
		heavy++;
		traffic_path(tr, i, path, sizeof(path));
		t = apply(ctx, routes[i].host, routes[i].method, path, NULL);
		if (!strcmp(t->str, routes[i].expect))
			kept++;
		else
			print_message("  after scan: %s -> %s (was %s)\n", path, t->str,
				      before[i]->str);
	}
	print_message("scanner after learning: %zu of %zu busy GET routes kept their template\n",
		      kept, heavy);
	assert_int_equal(kept, heavy);
	ctx_free(ctx, &acct);
	traffic_free(tr);
	free(tr);
}

/* ------------------------------------------------------------------------------------------ */
/* Cost of a call */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_speed(void **state)
{
	enum { N = 50000 };
	static char paths[N][160];
	static size_t rix[N];
	traffic_t *tr = malloc(sizeof(*tr));
	mem_account_t acct;
	path_template_ctx_t *ctx;
	double t0, dt;
	int k, round;

	assert_non_null(tr);
	traffic_init(tr, 31337);
	for (k = 0; k < N; k++) {
		rix[k] = traffic_route(tr);
		traffic_path(tr, rix[k], paths[k], sizeof(paths[k]));
	}
	ctx = ctx_new(&acct, NULL, NULL, NULL);
	for (k = 0; k < N; k++)
		apply(ctx, routes[rix[k]].host, routes[rix[k]].method, paths[k], NULL);
	t0 = now_s();
	for (round = 0; round < 4; round++) {
		for (k = 0; k < N; k++) {
			const path_template_t *t;

			path_template_apply(ctx, &t, NULL, sl(routes[rix[k]].host),
					    sl(routes[rix[k]].method), sl(paths[k]));
		}
	}
	dt = now_s() - t0;
	print_message("speed: %.0f ns per call on typical API paths (this build)\n",
		      dt / (4.0 * N) * 1e9);
	ctx_free(ctx, &acct);
	traffic_free(tr);
	free(tr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_normalise),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_recurring_literals),
		cmocka_unit_test(test_soft_and_hard_cap),
		cmocka_unit_test(test_novelty_collapse),
		cmocka_unit_test(test_fast_novelty),
		cmocka_unit_test(test_shape_collapse),
		cmocka_unit_test(test_tree_cap),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_learning_accuracy),
		cmocka_unit_test(test_replay_deterministic),
		cmocka_unit_test(test_scanner_bounded),
		cmocka_unit_test(test_scanner_tight_caps),
		cmocka_unit_test(test_scanner_after_learning),
		cmocka_unit_test(test_speed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

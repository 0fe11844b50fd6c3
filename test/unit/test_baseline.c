/*
 * test_baseline.c - the embedded baseline store: per-minute aggregation, arming, quantiles,
 * HyperLogLog accuracy and its Redis encoding, table caps, save/load round trip and corrupt
 * files, folding one endpoint into another, and the figures the detectors learn into it
 * (record histogram, object sharing) through a file and a merge.
 */
#include "test_common.h"

#include <math.h>
#include <stdlib.h>

#include "baseline_private.h"
#include "error.h"

#define MIN_US 60000000ull
#define T0 (1700000000ull * 1000000ull) /* a minute boundary: 1700000000 = 28333333 * 60 + 20 */

static mem_account_t acct;

static baseline_t *mk(uint32_t max_ep, uint32_t max_pr, const char *load)
{
	baseline_config_t cfg;
	baseline_t *b = NULL;
	char err[256];

	baseline_config_default(&cfg);
	cfg.learning_us = 5 * MIN_US;
	cfg.min_calls = 50;
	cfg.principal_min_calls = 10;
	cfg.max_endpoints = max_ep;
	cfg.max_principals = max_pr;
	cfg.load_path = load;
	mem_account_init(&acct, "baseline", 0);
	assert_int_equal(baseline_new(&b, &cfg, &acct, err, sizeof(err)), 0);
	return b;
}

static aw_slice_t sl(const char *s)
{
	aw_slice_t x = {s, strlen(s)};

	return x;
}

static int with_keys; /* call() works the keys out first, as the pipeline does */

/* One call to GET host/users/{userId} at time t. */
static void call(baseline_t *b, const char *tpl, const char *path, const char *who, uint64_t t,
		 int status, uint64_t size, uint64_t lat)
{
	static const api_header_t hdr[3] = {{{"Host", 4}, {"api", 3}},
					    {{"X-App-Token", 11}, {"t", 1}},
					    {{"ACCEPT", 6}, {"*", 1}}};
	baseline_obs_t o;
	net_addr_t a;

	memset(&o, 0, sizeof(o));
	memset(&a, 0, sizeof(a));
	a.b[0] = 10;
	a.b[3] = (uint8_t)(t / MIN_US % 7);
	o.host = sl("api");
	o.method = sl("GET");
	o.endpoint = sl(tpl);
	o.path = sl(path);
	o.principal = sl(who);
	o.client = &a;
	o.time_us = t;
	o.status = status;
	o.resp_bytes = size;
	o.latency_us = lat;
	o.req_headers = hdr;
	o.nreq_headers = (t / 1000) % 10 ? 3 : 2; /* the Accept header on 90% of calls */
	o.user_agent = sl("app/1.0");
	o.query = sl("page=1&limit=5&page=2");
	if (with_keys)
		baseline_obs_keys(b, &o);
	baseline_observe(b, &o);
}

static uint64_t ek(baseline_t *b, const char *tpl)
{
	return baseline_endpoint_key(b, sl("api"), sl("GET"), sl(tpl));
}

/* Minute m (0-based) gets 10 * (m % 3 + 1) calls from alice. */
static void feed(baseline_t *b, int minutes)
{
	int m, i;
	char path[64];

	for (m = 0; m < minutes; m++)
		for (i = 0; i < 10 * (m % 3 + 1); i++) {
			snprintf(path, sizeof(path), "/users/%d", m * 100 + i % 5);
			call(b, "/users/{userId}", path, "jwt:alice",
			     T0 + (uint64_t)m * MIN_US + 1000u * (uint64_t)i,
			     i % 10 == 9 ? 404 : 200, 100u + (uint64_t)i, 2000);
		}
}

static void test_aggregation(void **state)
{
	baseline_t *b = mk(16, 64, NULL);
	baseline_endpoint_view_t v;
	baseline_principal_view_t pv;
	uint64_t k = ek(b, "/users/{userId}");

	(void)state;
	feed(b, 6);
	/* Only finished minutes count: the sixth is still open. */
	assert_int_equal(baseline_endpoint_view(b, k, &v), 0);
	assert_int_equal(v.minutes, 5);
	assert_int_equal(v.calls, 10 + 20 + 30 + 10 + 20);
	assert_true(fabs(v.rate.mean - 18.0) < 1e-9);
	/* Variance of 10,20,30,10,20: mean 18, E[x^2] = 1900/5 = 380, var = 56. */
	assert_true(fabs(v.rate.var - 56.0) < 1e-9);
	assert_int_equal(v.status[2], 90 - 9);
	assert_int_equal(v.status[4], 9);
	assert_true(fabs(v.fails.mean - 9.0 / 5) < 1e-9);
	assert_int_equal(v.principals.mean, 1);
	assert_int_equal(v.nagents, 1);
	assert_true(v.agents[0].hash == baseline_hash_name("app/1.0", 7, 0) &&
		    v.agents[0].share == 1.0);
	/* Header names are case-insensitive, counted once per call. */
	assert_int_equal(v.nheaders, 3);
	assert_true(v.headers[0].share == 1.0 && v.headers[1].share == 1.0);
	assert_true(v.headers[2].hash == baseline_hash_name("accept", 6, 1) &&
		    v.headers[2].share < 1.0);
	assert_int_equal(v.nquery_keys, 2);
	assert_int_equal(v.query_keys[0].count, 90); /* page once per call, not twice */
	assert_int_equal(
		baseline_principal_view(b, k, baseline_principal_key(b, sl("jwt:alice")), &pv), 0);
	assert_int_equal(pv.calls, 90);
	assert_int_equal(pv.fails, 9);
	/* Five distinct user IDs per minute. */
	assert_true(fabs(pv.object_ids.mean - 5.0) < 0.01);
	assert_int_equal(
		baseline_principal_view(b, k, baseline_principal_key(b, sl("jwt:bob")), &pv),
		AW_ENOENT);
	baseline_finish(b);
	assert_int_equal(baseline_endpoint_view(b, k, &v), 0);
	assert_int_equal(v.minutes, 6);
	baseline_free(b);
}

static void test_armed(void **state)
{
	baseline_t *b = mk(16, 64, NULL);
	baseline_endpoint_view_t v;
	uint64_t k = ek(b, "/users/{userId}");

	(void)state;
	feed(b, 4); /* 3 finished minutes, 60 calls: enough calls, too short */
	baseline_endpoint_view(b, k, &v);
	assert_true(v.calls >= 50);
	assert_false(v.armed);
	feed(b, 7);
	baseline_tick(b, T0 + 7 * MIN_US);
	baseline_endpoint_view(b, k, &v);
	assert_true(v.armed);
	baseline_free(b);
}

static void test_quantiles(void **state)
{
	uint64_t h[BASELINE_HIST_BUCKETS] = {0};
	baseline_dist_t d;
	unsigned i;

	(void)state;
	for (i = 1; i <= 1000; i++)
		h[bl_hist_bucket(i)]++;
	bl_hist_dist(h, &d);
	assert_int_equal(d.n, 1000);
	/* log2 buckets: within a factor of two of the true quantile. */
	assert_true(d.p50 >= 250 && d.p50 <= 1000);
	assert_true(d.p90 >= 450 && d.p90 <= 1800);
	assert_true(d.p99 >= d.p90 && d.max == 1024);
	assert_int_equal(bl_hist_bucket(0), 0);
	assert_int_equal(bl_hist_bucket(1), 1);
	assert_int_equal(bl_hist_bucket(UINT64_MAX), BASELINE_HIST_BUCKETS - 1);
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

static void test_hll(void **state)
{
	static const uint64_t sizes[] = {1, 10, 24, 100, 1000, 20000, 200000};
	bl_hll_pool_t pool;
	unsigned s;

	(void)state;
	assert_int_equal(bl_hll_pool_init(&pool, 2, &acct), 0);
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		bl_hll_t h;
		uint64_t i, est;
		double err;

		memset(&h, 0, sizeof(h));
		for (i = 0; i < sizes[s]; i++) {
			bl_hll_add(&pool, &h, mix(i + s * 1000000));
			bl_hll_add(&pool, &h, mix(i + s * 1000000)); /* duplicates count once */
		}
		est = bl_hll_count(&pool, &h);
		err = fabs((double)est - (double)sizes[s]) / (double)sizes[s];
		assert_true(err < 0.03);
		bl_hll_clear(&pool, &h);
	}
	/* Pools exhausted: a set stays in the form it has, a lower bound, counted once per set. */
	{
		bl_hll_t a, b2, c, m[BL_HLL_MID_PER_DENSE * 2 + 4];
		uint64_t i;
		unsigned k, inline_sets = 0;

		memset(&a, 0, sizeof(a));
		memset(&b2, 0, sizeof(b2));
		memset(&c, 0, sizeof(c));
		for (i = 0; i < 300; i++)
			bl_hll_add(&pool, &a, mix(i));
		for (i = 0; i < 300; i++)
			bl_hll_add(&pool, &b2, mix(i + 150));
		for (i = 0; i < 300; i++)
			bl_hll_add(&pool, &c, mix(i + 900));
		assert_true(a.dense && b2.dense && !c.dense && c.mid);
		assert_int_equal(pool.cap_hits, 1);
		assert_true(bl_hll_count(&pool, &c) >= 240 && bl_hll_count(&pool, &c) <= 270);
		/* Merge of two dense sets. */
		bl_hll_merge(&pool, &a, &b2);
		assert_true(bl_hll_count(&pool, &a) > 430 && bl_hll_count(&pool, &a) < 470);
		/* The mid pool (c holds one block): the sets that find none stay inline. */
		memset(m, 0, sizeof(m));
		for (k = 0; k < sizeof(m) / sizeof(m[0]); k++) {
			for (i = 0; i < 60; i++)
				bl_hll_add(&pool, &m[k], mix(i + 10000 * (k + 1)));
			if (!m[k].mid) {
				inline_sets++;
				assert_true(bl_hll_count(&pool, &m[k]) <= 26);
			} else {
				assert_true(bl_hll_count(&pool, &m[k]) >= 55 &&
					    bl_hll_count(&pool, &m[k]) <= 65);
			}
		}
		assert_int_equal(inline_sets, sizeof(m) / sizeof(m[0]) - (pool.mid_cap - 1));
		assert_int_equal(pool.cap_hits, 1 + inline_sets);
		/* Blocks go back to the pools and are taken again, clean. */
		for (k = 0; k < sizeof(m) / sizeof(m[0]); k++)
			bl_hll_clear(&pool, &m[k]);
		bl_hll_clear(&pool, &a);
		bl_hll_clear(&pool, &b2);
		bl_hll_clear(&pool, &c);
		assert_int_equal(pool.nfree, pool.cap);
		assert_int_equal(pool.mid_nfree, pool.mid_cap);
		for (i = 0; i < 100; i++)
			bl_hll_add(&pool, &c, mix(i + 5));
		assert_true(c.mid && bl_hll_count(&pool, &c) >= 95 &&
			    bl_hll_count(&pool, &c) <= 105);
		bl_hll_clear(&pool, &c);
	}
	bl_hll_pool_fini(&pool, &acct);
}

/* Decodes Redis's sparse HLL opcodes after the 16-byte header (ZERO 00xxxxxx, XZERO 01xxxxxx
 * yyyyyyyy, VAL 1vvvvvxx) into regs; returns the registers the opcodes cover. */
static uint32_t sparse_decode(const uint8_t *out, size_t n, uint8_t *regs)
{
	uint32_t reg = 0;
	size_t o;

	memset(regs, 0, BL_HLL_REGS);
	for (o = 16; o < n;) {
		uint8_t op = out[o];

		if ((op & 0xc0) == 0) {
			reg += (op & 0x3fu) + 1;
			o++;
		} else if ((op & 0xc0) == 0x40) {
			reg += (((op & 0x3fu) << 8) | out[o + 1]) + 1;
			o += 2;
		} else {
			uint32_t run = (op & 3u) + 1, k;

			for (k = 0; k < run; k++, reg++) /* counted past the end, not written */
				if (reg < BL_HLL_REGS)
					regs[reg] = (uint8_t)(((op >> 2) & 0x1f) + 1);
			o++;
		}
	}
	return reg;
}

/* The Redis string forms decode to the registers they were made from. */
static void test_hll_encoding(void **state)
{
	bl_hll_pool_t pool;
	bl_hll_t h;
	static uint8_t out[BL_HLL_REDIS_MAX];
	uint8_t regs[BL_HLL_REGS];
	size_t n;
	uint32_t i;

	(void)state;
	assert_int_equal(bl_hll_pool_init(&pool, 1, &acct), 0);
	memset(&h, 0, sizeof(h));
	for (i = 1; i <= 20; i++) /* mix(0) is 0: rank 51, which only the dense form holds */
		bl_hll_add(&pool, &h, mix(i));
	n = bl_hll_redis_encode(&pool, &h, out);
	assert_memory_equal(out, "HYLL\x01", 5);
	assert_int_equal(sparse_decode(out, n, regs), BL_HLL_REGS);
	assert_int_equal(bl_hll_estimate_regs(regs), bl_hll_count(&pool, &h));
	/* The mid form writes the same sparse opcodes, registers in order. */
	for (i = 21; i <= 200; i++)
		bl_hll_add(&pool, &h, mix(i));
	assert_true(h.mid != 0 && !h.dense);
	n = bl_hll_redis_encode(&pool, &h, out);
	assert_memory_equal(out, "HYLL\x01", 5);
	assert_int_equal(sparse_decode(out, n, regs), BL_HLL_REGS);
	assert_int_equal(bl_hll_estimate_regs(regs), bl_hll_count(&pool, &h));
	/* Dense: 6-bit registers, little-endian bit order. */
	for (i = 0; i < 5000; i++)
		bl_hll_add(&pool, &h, mix(i + 77));
	assert_true(h.dense != 0);
	n = bl_hll_redis_encode(&pool, &h, out);
	assert_int_equal(n, BL_HLL_REDIS_DENSE);
	for (i = 0; i < BL_HLL_REGS; i++) {
		uint32_t bit = i * 6, byte = 16 + bit / 8, fb = bit & 7;
		unsigned v = (unsigned)(out[byte] >> fb);

		if (fb > 2)
			v |= (unsigned)out[byte + 1] << (8 - fb);
		regs[i] = (uint8_t)(v & 63);
	}
	assert_int_equal(bl_hll_estimate_regs(regs), bl_hll_count(&pool, &h));
	bl_hll_clear(&pool, &h);
	bl_hll_pool_fini(&pool, &acct);
}

static void test_caps(void **state)
{
	baseline_t *b = mk(2, 3, NULL);
	char tpl[32], who[32];
	int i;

	(void)state;
	for (i = 0; i < 5; i++) {
		snprintf(tpl, sizeof(tpl), "/e%d", i);
		snprintf(who, sizeof(who), "ip:10.0.0.%d", i);
		call(b, tpl, tpl, who, T0, 200, 1, 1);
		call(b, "/e0", "/e0", who, T0, 200, 1, 1);
	}
	assert_int_equal(baseline_counters(b)->endpoints, 2);
	assert_int_equal(baseline_counters(b)->endpoint_cap_hits, 3);
	assert_int_equal(baseline_counters(b)->principals, 3);
	assert_true(baseline_counters(b)->principal_cap_hits > 0);
	baseline_free(b);

	/* First-N tables: names past the cap go to the table's other count. */
	{
		bl_profile_t p;
		uint64_t x;

		memset(&p, 0, sizeof(p));
		for (x = 1; x <= BASELINE_TOP_AGENTS + 5; x++)
			bl_list_add(&p, BL_L_AGENTS, x, 1);
		assert_int_equal(p.n[BL_L_AGENTS], BASELINE_TOP_AGENTS);
		assert_int_equal(p.f[BL_F_OTHER_AGENTS], 5);
	}
}

/* baseline_obs_keys works object IDs out from its endpoint cache (the template's ID segments
 * kept with its key): the same as baseline_obs_keys without it, baseline_object_ids, twice
 * (the second time from the cache). */
static void test_obs_ids(void **state)
{
	static const char *const cases[][2] = {
		{"/users/{userId}", "/users/42"},
		{"/users/{userId}", "/users/"},
		{"/users/{userId}", "/users"},
		{"/users/{userId}/orders/{orderId}", "/users/7/orders/abc-9"},
		{"/users/{userId}/orders/{orderId}", "//users//7///orders/12345678901234567"},
		{"/users/{userId}/orders/{orderId}", "/users/7/orders/"},
		{"/a/{x}/", "/a/1/b/c"},
		{"/{*}/{id}", "/static/99"},
		{"/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}/{j}", "/1/2/3/4/5/6/7/8/9/10"},
		{"/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}", "/1/2/3/4/5/6/7/8x"},
		{"/plain/path", "/plain/path"},
		{"/v1/{id}", "/v1/012345678901234"},
		{"/v1/{id}/{id2}", "/v1/-5/x"},
		{"{id}", "abc"},
	};
	baseline_t *b = mk(16, 64, NULL);
	unsigned i, r, j;

	(void)state;
	for (r = 0; r < 2; r++) {
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			baseline_obs_t o;
			uint64_t ids[BASELINE_OBS_IDS];
			int64_t last_int;
			int last_is_int;
			uint32_t n;

			memset(&o, 0, sizeof(o));
			o.host = sl("api");
			o.method = sl("GET");
			o.endpoint = sl(cases[i][0]);
			o.path = sl(cases[i][1]);
			baseline_obs_keys(b, &o);
			n = baseline_object_ids(b, o.endpoint, o.path, ids, BASELINE_OBS_IDS,
						&last_int, &last_is_int);
			assert_int_equal(o.ep_key, ek(b, cases[i][0]));
			assert_int_equal(o.nids, n);
			assert_int_equal(o.ids_known, n <= BASELINE_OBS_IDS);
			assert_int_equal(o.last_id_is_int, last_is_int);
			assert_int_equal(o.last_id_int, last_int);
			for (j = 0; j < n && j < BASELINE_OBS_IDS; j++)
				assert_true(o.ids[j] == ids[j]);
		}
	}
	baseline_free(b);
}

/* The endpoint's distinct principals per minute: a principal is counted from its first call
 * of the minute, also when calls of several interleave, and also one the principal table
 * had no room for. */
static void test_distinct_principals(void **state)
{
	static const char *const who[] = {"jwt:a", "jwt:b", "jwt:a", "jwt:c", "jwt:b",
					  "jwt:d", "jwt:a", "jwt:d", "jwt:e", "jwt:c"};
	unsigned cap, m, i;

	(void)state;
	for (cap = 2; cap <= 64; cap += 62) {
		baseline_t *b = mk(4, cap, NULL);
		baseline_endpoint_view_t v;

		for (m = 0; m < 3; m++)
			for (i = 0; i < sizeof(who) / sizeof(who[0]); i++)
				call(b, "/users/{userId}", "/users/1", who[(i + m) % 10],
				     T0 + m * MIN_US + i * 1000u, 200, 1, 1);
		baseline_finish(b);
		assert_int_equal(baseline_endpoint_view(b, ek(b, "/users/{userId}"), &v), 0);
		assert_int_equal(v.minutes, 3);
		assert_true(fabs(v.principals.mean - 5.0) < 1e-9);
		assert_true(fabs(v.principals.var) < 1e-9);
		assert_int_equal(baseline_counters(b)->principal_cap_hits > 0, cap == 2);
		baseline_free(b);
	}
}

/* The endpoint cache remembers each endpoint's entry: one merged away (/d), or merged away
 * and its entry taken by another endpoint (/a), is found again through the index. */
static void test_obs_hint(void **state)
{
	static const char *const want[][2] = {
		{"/a", "2"}, {"/b", "8"}, {"/c", "2"}, {"/d", "1"}, {"/e", "1"}};
	baseline_t *b = mk(16, 64, NULL);
	baseline_endpoint_view_t v;
	unsigned i;

	(void)state;
	with_keys = 1;
	for (i = 0; i < 3; i++) {
		call(b, "/a", "/a", "jwt:x", T0 + i, 200, 1, 1);
		call(b, "/b", "/b", "jwt:x", T0 + i, 200, 1, 1);
	}
	call(b, "/d", "/d", "jwt:x", T0 + 5, 200, 1, 1);
	baseline_merge_endpoint(b, ek(b, "/a"), ek(b, "/b"));
	baseline_merge_endpoint(b, ek(b, "/d"), ek(b, "/b"));
	call(b, "/d", "/d", "jwt:x", T0 + 10, 200, 1, 1);
	/* The next minute's sweep frees /a's and /d's first entries: /c and /e take them. */
	call(b, "/c", "/c", "jwt:x", T0 + MIN_US, 200, 1, 1);
	call(b, "/e", "/e", "jwt:x", T0 + MIN_US, 200, 1, 1);
	call(b, "/a", "/a", "jwt:x", T0 + MIN_US + 1, 200, 1, 1);
	call(b, "/a", "/a", "jwt:x", T0 + MIN_US + 2, 200, 1, 1);
	call(b, "/b", "/b", "jwt:x", T0 + MIN_US + 3, 200, 1, 1);
	call(b, "/c", "/c", "jwt:x", T0 + MIN_US + 4, 200, 1, 1);
	with_keys = 0;
	baseline_finish(b);
	assert_int_equal(baseline_counters(b)->endpoints, 5);
	assert_int_equal(baseline_counters(b)->calls, 14);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(baseline_endpoint_view(b, ek(b, want[i][0]), &v), 0);
		assert_int_equal(v.calls, strtoull(want[i][1], NULL, 10));
	}
	baseline_free(b);
}

static void test_save_load(void **state)
{
	const char *path = "test_baseline.tmp";
	baseline_t *b = mk(16, 64, NULL), *c;
	baseline_endpoint_view_t v1, v2;
	baseline_principal_view_t p1, p2;
	uint64_t k = ek(b, "/users/{userId}"), pk;
	char err[256];
	FILE *fp;
	long size;
	uint8_t *buf;

	(void)state;
	feed(b, 8);
	baseline_finish(b);
	pk = baseline_principal_key(b, sl("jwt:alice"));
	assert_int_equal(baseline_save(b, path, err, sizeof(err)), 0);
	c = mk(16, 64, path);
	assert_int_equal(baseline_endpoint_view(b, k, &v1), 0);
	assert_int_equal(baseline_endpoint_view(c, k, &v2), 0);
	assert_memory_equal(&v1, &v2, sizeof(v1));
	assert_int_equal(baseline_principal_view(b, k, pk, &p1), 0);
	assert_int_equal(baseline_principal_view(c, k, pk, &p2), 0);
	assert_memory_equal(&p1, &p2, sizeof(p1));
	assert_int_equal(baseline_counters(c)->loaded_endpoints, 1);
	/* Learning goes on from what was loaded. */
	feed(c, 2);
	baseline_finish(c);
	baseline_endpoint_view(c, k, &v2);
	assert_int_equal(v2.minutes, v1.minutes + 2);
	baseline_free(c);
	baseline_free(b);

	/* Corrupt: a flipped byte, a cut file, another format, too many entries. */
	fp = fopen(path, "rb");
	fseek(fp, 0, SEEK_END);
	size = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc((size_t)size);
	assert_int_equal(fread(buf, 1, (size_t)size, fp), (size_t)size);
	fclose(fp);
	{
		baseline_config_t cfg;
		baseline_t *x = NULL;

		baseline_config_default(&cfg);
		cfg.load_path = path;
		buf[100] ^= 1;
		fp = fopen(path, "wb");
		fwrite(buf, 1, (size_t)size, fp);
		fclose(fp);
		assert_int_equal(baseline_new(&x, &cfg, &acct, err, sizeof(err)), AW_EMALFORMED);
		assert_non_null(strstr(err, "checksum"));
		buf[100] ^= 1;
		fp = fopen(path, "wb");
		fwrite(buf, 1, (size_t)size / 2, fp);
		fclose(fp);
		assert_true(baseline_new(&x, &cfg, &acct, err, sizeof(err)) < 0);
		fp = fopen(path, "wb");
		fwrite("hello world, not a baseline at all, long enough to be read", 1, 58, fp);
		fclose(fp);
		assert_int_equal(baseline_new(&x, &cfg, &acct, err, sizeof(err)), AW_EFORMAT);
		assert_non_null(strstr(err, "not an apiwatch baseline"));
		fp = fopen(path, "wb");
		fwrite(buf, 1, (size_t)size, fp);
		fclose(fp);
		cfg.max_principals = 0; /* 1 after the floor, the file has 1: fits */
		cfg.max_endpoints = 1;
		assert_int_equal(baseline_new(&x, &cfg, &acct, err, sizeof(err)), 0);
		baseline_free(x);
		cfg.hash_key[0] ^= 1;
		assert_int_equal(baseline_new(&x, &cfg, &acct, err, sizeof(err)), AW_ECONFIG);
		assert_non_null(strstr(err, "hash-key"));
		cfg.load_path = "/nonexistent/baseline.bin";
		assert_int_equal(baseline_new(&x, &cfg, &acct, err, sizeof(err)), AW_ENOENT);
	}
	free(buf);
	remove(path);
	assert_int_equal(acct.in_use, 0);
}

static void test_merge(void **state)
{
	baseline_t *b = mk(16, 64, NULL);
	baseline_endpoint_view_t v;
	baseline_principal_view_t pv;
	uint64_t a, c;
	int i;

	(void)state;
	for (i = 0; i < 10; i++) {
		call(b, "/users/alice", "/users/alice", "jwt:alice", T0 + (uint64_t)i, 200, 10, 10);
		call(b, "/users/bob", "/users/bob", "jwt:alice", T0 + (uint64_t)i, 200, 10, 10);
		call(b, "/users/{userId}", "/users/carol", "jwt:alice", T0 + (uint64_t)i, 200, 10,
		     10);
	}
	a = ek(b, "/users/alice");
	c = ek(b, "/users/{userId}");
	baseline_merge_endpoint(b, a, c);
	baseline_merge_endpoint(b, ek(b, "/users/bob"), c);
	assert_int_equal(baseline_endpoint_view(b, a, &v), AW_ENOENT);
	assert_int_equal(baseline_counters(b)->endpoints, 1);
	assert_int_equal(baseline_counters(b)->principals, 1);
	baseline_finish(b);
	assert_int_equal(baseline_endpoint_view(b, c, &v), 0);
	assert_int_equal(v.calls, 30);
	assert_int_equal(
		baseline_principal_view(b, c, baseline_principal_key(b, sl("jwt:alice")), &pv), 0);
	assert_int_equal(pv.calls, 30);
	/* A merged-away entry is reused. */
	call(b, "/x", "/x", "jwt:alice", T0 + 2 * MIN_US, 200, 1, 1);
	assert_int_equal(baseline_counters(b)->endpoints, 2);
	baseline_free(b);
}

/* Minute m of test_learned: 5 calls, each with a sampled response of 3 << (m % 4)
 * records (buckets 2..5) and one of 0 records, an object seen and every other one shared. */
static void feed_records(baseline_t *b, const char *tpl, int from, int minutes)
{
	uint64_t k = ek(b, tpl);
	int m, i;

	for (m = from; m < from + minutes; m++)
		for (i = 0; i < 5; i++) {
			call(b, tpl, "/users/7", "jwt:alice",
			     T0 + (uint64_t)m * MIN_US + 1000u * (uint64_t)i, 200, 100, 10);
			baseline_learn_records(b, k, i ? 3u << (m % 4) : 0);
			baseline_learn_objects(b, k, 1, i % 2);
		}
}

static void test_learned(void **state)
{
	const char *path = "test_baseline_rec.tmp";
	baseline_t *b = mk(16, 64, NULL), *c;
	baseline_endpoint_view_t v1, v2;
	uint64_t k = ek(b, "/users/{userId}"), other = ek(b, "/other");
	char err[256];
	uint8_t head[12];
	FILE *fp;
	int m;

	(void)state;
	feed_records(b, "/users/{userId}", 0, 8);
	/* Only finished minutes count, as for every other figure. */
	assert_int_equal(baseline_endpoint_view(b, k, &v1), 0);
	assert_int_equal(v1.record_samples, 7 * 5);
	baseline_finish(b);
	assert_int_equal(baseline_endpoint_view(b, k, &v1), 0);
	assert_int_equal(v1.record_samples, 8 * 5);
	assert_int_equal(v1.records[0], 8); /* one empty response a minute */
	for (m = 0; m < 4; m++) /* 3, 6, 12, 24 records: buckets 2, 3, 4, 5, two minutes each */
		assert_int_equal(v1.records[2 + m], 2 * 4);
	assert_int_equal(v1.records[1] + v1.records[6], 0);
	assert_int_equal(v1.objects, 40);
	assert_int_equal(v1.objects_shared, 16);
	assert_int_equal(baseline_records_bucket(1), 1);
	assert_int_equal(baseline_records_bucket(3), 2);
	assert_int_equal(baseline_records_bucket(UINT64_MAX), BASELINE_REC_BUCKETS - 1);
	/* An endpoint learned earlier is looked up; an unknown one learns nothing. */
	call(b, "/other", "/other", "jwt:bob", T0 + 9 * MIN_US, 200, 1, 1);
	baseline_learn_records(b, k, 1u << 30);
	baseline_learn_records(b, ek(b, "/never"), 5);
	baseline_learn_objects(b, other, 2, 1);
	baseline_finish(b);
	assert_int_equal(baseline_endpoint_view(b, k, &v1), 0);
	assert_int_equal(v1.records[BASELINE_REC_BUCKETS - 1], 1);
	assert_int_equal(v1.record_samples, 8 * 5 + 1);
	assert_int_equal(baseline_endpoint_view(b, other, &v2), 0);
	assert_int_equal(v2.objects, 2);
	assert_int_equal(v2.objects_shared, 1);
	assert_int_equal(v2.record_samples, 0);

	/* The file carries them; learning goes on from what was loaded (sums add). */
	assert_int_equal(baseline_save(b, path, err, sizeof(err)), 0);
	c = mk(16, 64, path);
	assert_int_equal(baseline_endpoint_view(c, k, &v2), 0);
	assert_memory_equal(&v1, &v2, sizeof(v1));
	feed_records(c, "/users/{userId}", 20, 4);
	baseline_finish(c);
	assert_int_equal(baseline_endpoint_view(c, k, &v2), 0);
	assert_int_equal(v2.record_samples, v1.record_samples + 4 * 5);
	for (m = 0; m < 4; m++)
		assert_int_equal(v2.records[2 + m], v1.records[2 + m] + 4);
	assert_int_equal(v2.objects, v1.objects + 20);
	assert_int_equal(v2.objects_shared, v1.objects_shared + 8);
	/* A template folded into another brings its figures along. */
	baseline_merge_endpoint(c, other, k);
	assert_int_equal(baseline_endpoint_view(c, k, &v1), 0);
	assert_int_equal(v1.objects, v2.objects + 2);
	assert_int_equal(v1.objects_shared, v2.objects_shared + 1);
	assert_memory_equal(v1.records, v2.records, sizeof(v1.records));
	baseline_free(c);
	baseline_free(b);

	/* A file of the previous version (no such figures) is refused, with one line. */
	fp = fopen(path, "r+b");
	assert_non_null(fp);
	assert_int_equal(fread(head, 1, sizeof(head), fp), sizeof(head));
	head[8] = 1;
	head[9] = head[10] = head[11] = 0;
	fseek(fp, 0, SEEK_SET);
	assert_int_equal(fwrite(head, 1, sizeof(head), fp), sizeof(head));
	fclose(fp);
	{
		baseline_config_t cfg;
		baseline_t *x = NULL;

		baseline_config_default(&cfg);
		cfg.load_path = path;
		assert_int_equal(baseline_new(&x, &cfg, &acct, err, sizeof(err)), AW_EFORMAT);
		assert_null(x);
		assert_non_null(strstr(err, "format version 1, this apiwatch reads version 2"));
		assert_null(strchr(err, '\n'));
	}
	remove(path);
	assert_int_equal(acct.in_use, 0);
}

/* Every field's name reads back as that field; near misses are no field. */
static void test_field_names(void **state)
{
	static const char *const bad[] = {"",	  "sz",	  "sz1",    "sz0a",  "szz01", "lt-1",
					  "sens", "rc99", "calls ", "Calls", "rc1\0"};
	char buf[16];
	unsigned f, i;

	(void)state;
	for (f = 0; f < BL_F__COUNT; f++) {
		const char *n = bl_field_name(f, buf, sizeof(buf));

		assert_int_equal(bl_field_lookup(n, strlen(n)), (int)f);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(bl_field_lookup(bad[i], strlen(bad[i]) + (i == 10)), -1);
	/* A name with a NUL inside is not the name before it. */
	assert_int_equal(bl_field_lookup("calls\0x", 7), -1);
	assert_int_equal(bl_field_lookup("sz01", 4), (int)BL_F_SIZE0 + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aggregation),  cmocka_unit_test(test_armed),
		cmocka_unit_test(test_quantiles),    cmocka_unit_test(test_hll),
		cmocka_unit_test(test_hll_encoding), cmocka_unit_test(test_caps),
		cmocka_unit_test(test_save_load),    cmocka_unit_test(test_merge),
		cmocka_unit_test(test_learned),	     cmocka_unit_test(test_field_names),
		cmocka_unit_test(test_obs_ids),	     cmocka_unit_test(test_distinct_principals),
		cmocka_unit_test(test_obs_hint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

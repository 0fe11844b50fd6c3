/*
 * test_api_call.c - API call records: strings copied into the arena at every length (each
 * size class of the short copy, and past it), the well-known header index (letter case, names
 * that share a prefix or a length with a known one, empty names and values), folded values,
 * copies from the arena itself, and the caps.
 */
#include "test_common.h"

#include <stdlib.h>

#include "api_call.h"
#include "error.h"
#include "mem.h"

typedef struct t_pool {
	mem_account_t acct;
	api_call_pool_t *pool;
} t_pool_t;

static void t_pool_new(t_pool_t *t, uint32_t max_headers, uint32_t max_arena)
{
	api_call_limits_t lim = {
		.max_headers = max_headers,
		.max_arena = max_arena,
		.max_body = 4096,
		.max_free = 4,
		.decompress_ratio = 100,
	};

	mem_account_init(&t->acct, "dissector", 0);
	assert_int_equal(api_call_pool_new(&t->pool, &lim, &t->acct), 0);
}

static void t_slice_eq(const aw_slice_t *s, const char *p, size_t n)
{
	assert_int_equal(s->len, n);
	assert_non_null(s->ptr);
	if (n)
		assert_memory_equal(s->ptr, p, n);
}

/* Names and values of every length from 0 to 70 bytes, in both directions: each is copied
 * whole (no byte lost or doubled where the moves of a size class overlap), and the bytes
 * around it in the arena are its neighbours'. */
static void test_api_call_copy_lengths(void **state)
{
	char src[80];
	t_pool_t t;
	api_call_t *c;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(src); i++)
		src[i] = (char)('a' + i % 26);
	t_pool_new(&t, 200, 64 << 10);
	c = api_call_get(t.pool);
	assert_non_null(c);
	for (n = 0; n <= 70; n++) {
		assert_int_equal(api_call_add_header(c, 0, src + 1, n, src + 3, 70 - n), 0);
		assert_int_equal(api_call_add_header(c, 1, src, n, src + 2, n), 0);
	}
	for (n = 0; n <= 70; n++) {
		t_slice_eq(&c->req.headers[n].name, src + 1, n);
		t_slice_eq(&c->req.headers[n].value, src + 3, 70 - n);
		t_slice_eq(&c->resp.headers[n].name, src, n);
		t_slice_eq(&c->resp.headers[n].value, src + 2, n);
	}
	/* Start-line strings of every length, the arena growing on the way. */
	for (n = 0; n <= 70; n++) {
		aw_slice_t s;

		assert_int_equal(api_call_copy(c, &s, src + n % 5, n), 0);
		t_slice_eq(&s, src + n % 5, n);
	}
	/* Earlier copies survived the growth (their slices moved with the arena). */
	t_slice_eq(&c->req.headers[70].value, src + 3, 0);
	t_slice_eq(&c->req.headers[33].name, src + 1, 33);
	api_call_release(c);
	api_call_pool_free(t.pool);
}

/* A copy of bytes the arena already holds (a path copied to be decoded), with room and without
 * (the arena moves while it copies). */
static void test_api_call_copy_from_arena(void **state)
{
	static const char url[] = "/api/v1/users/%41%42?x=1";
	t_pool_t t;
	api_call_t *c;
	aw_slice_t path;
	int i;

	(void)state;
	t_pool_new(&t, 16, 64 << 10);
	c = api_call_get(t.pool);
	assert_int_equal(api_call_copy(c, &c->url, url, sizeof(url) - 1), 0);
	assert_int_equal(api_call_copy(c, &path, c->url.ptr, 19), 0);
	t_slice_eq(&path, url, 19);
	for (i = 0; i < 200; i++)
		assert_int_equal(api_call_copy(c, &path, c->url.ptr + 1, 20), 0);
	t_slice_eq(&path, url + 1, 20);
	t_slice_eq(&c->url, url, sizeof(url) - 1);
	api_call_release(c);
	api_call_pool_free(t.pool);
}

#define T_ADD(c, dir, name, value) \
	api_call_add_header((c), (dir), (name), strlen(name), (value), strlen(value))

/* The index of well-known headers: any letter case; only letters may differ; names that share
 * a length, a first letter or a prefix with a known one are not it; repeats are flagged. */
static void test_api_call_known_headers(void **state)
{
	static const char *const others[] = {
		"",
		"Hos",
		"Hostx",
		"Hos\x74\x01",
		"H0st",
		"Ghost",
		"Referrer",
		"Upgrade-",
		"Locations",
		"Content-Typ",
		"Content_Type",
		"Content-Lengthy",
		"X-Forwarded-Fo",
		"X-Forwarded-Host",
		"Content-Encodinf",
		"Transfer-Encodinh",
		"Connection\t",
		"Content-Rang",
		"Keep-Alive",
		"Accept",
		"User-Agent2",
		"Content\rLength",
		"Content-Range:",
		"HOST\x80",
		"Uzgrade",
		"Rsferer",
		"Connectioo",
		"Location\xc9",
	};
	static const struct {
		const char *name;
		enum api_hdr h;
	} known[] = {
		{"hOsT", API_HDR_HOST},
		{"USER-AGENT", API_HDR_USER_AGENT},
		{"Referer", API_HDR_REFERER},
		{"x-forwarded-FOR", API_HDR_X_FORWARDED_FOR},
		{"Content-type", API_HDR_CONTENT_TYPE},
		{"CONTENT-LENGTH", API_HDR_CONTENT_LENGTH},
		{"content-encoding", API_HDR_CONTENT_ENCODING},
		{"Transfer-Encoding", API_HDR_TRANSFER_ENCODING},
		{"Content-Range", API_HDR_CONTENT_RANGE},
		{"LOCATION", API_HDR_LOCATION},
		{"connection", API_HDR_CONNECTION},
		{"Upgrade", API_HDR_UPGRADE},
	};
	t_pool_t t;
	api_call_t *c;
	size_t i;
	int h;

	(void)state;
	t_pool_new(&t, 100, 64 << 10);
	c = api_call_get(t.pool);
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		assert_int_equal(T_ADD(c, 0, others[i], "v"), 0);
	for (h = 0; h < API_HDR__COUNT; h++)
		assert_null(api_message_known(&c->req, (enum api_hdr)h));
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		assert_int_equal(T_ADD(c, 0, known[i].name, known[i].name), 0);
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		const api_header_t *hd = api_message_known(&c->req, known[i].h);

		assert_non_null(hd);
		t_slice_eq(&hd->value, known[i].name, strlen(known[i].name));
		assert_ptr_equal(api_message_header(&c->req, api_hdr_name(known[i].h), 0), hd);
	}
	assert_int_equal(c->req.known_repeated, 0);
	assert_int_equal(T_ADD(c, 0, "content-length", "2"), 0);
	assert_int_equal(c->req.known_repeated, 1u << API_HDR_CONTENT_LENGTH);
	t_slice_eq(&api_message_known(&c->req, API_HDR_CONTENT_LENGTH)->value, "CONTENT-LENGTH",
		   14);
	assert_null(api_message_known(&c->resp, API_HDR_HOST));
	api_call_release(c);
	api_call_pool_free(t.pool);
}

/* Empty names and values, and folded lines appended to the last value. */
static void test_api_call_empty_and_folded(void **state)
{
	t_pool_t t;
	api_call_t *c;

	(void)state;
	t_pool_new(&t, 16, 64 << 10);
	c = api_call_get(t.pool);
	assert_int_equal(api_call_header_append(c, 0, "x", 1), AW_EINVAL);
	assert_int_equal(api_call_add_header(c, 0, NULL, 0, NULL, 0), 0);
	t_slice_eq(&c->req.headers[0].name, "", 0);
	t_slice_eq(&c->req.headers[0].value, "", 0);
	assert_int_equal(api_call_add_header(c, 0, "X-Folded", 8, "a", 1), 0);
	assert_int_equal(api_call_header_append(c, 0, " ", 1), 0);
	assert_int_equal(api_call_header_append(c, 0, "b c", 3), 0);
	assert_int_equal(api_call_add_header(c, 0, "Host", 4, "", 0), 0);
	assert_int_equal(api_call_header_append(c, 0, " ", 1), 0);
	assert_int_equal(api_call_header_append(c, 0, "later", 5), 0);
	t_slice_eq(&c->req.headers[1].value, "a b c", 5);
	t_slice_eq(&c->req.headers[2].value, " later", 6);
	t_slice_eq(&api_message_known(&c->req, API_HDR_HOST)->value, " later", 6);
	assert_int_equal(c->req.nheaders, 3);
	api_call_release(c);
	api_call_pool_free(t.pool);
}

/* The count and arena caps: a header that does not fit leaves the record unchanged. */
static void test_api_call_caps(void **state)
{
	char big[300];
	t_pool_t t;
	api_call_t *c;
	aw_slice_t s;
	int i;

	(void)state;
	memset(big, 'q', sizeof(big));
	t_pool_new(&t, 4, 256);
	c = api_call_get(t.pool);
	for (i = 0; i < 4; i++)
		assert_int_equal(api_call_add_header(c, 1, "N", 1, "v", 1), 0);
	assert_int_equal(api_call_add_header(c, 1, "N", 1, "v", 1), AW_ELIMIT);
	assert_int_equal(c->resp.nheaders, 4);
	/* 8 bytes used: 255 with this one, one short of the cap. */
	assert_int_equal(api_call_add_header(c, 0, "Big", 3, big, 244), 0);
	assert_int_equal(api_call_add_header(c, 0, "B", 1, big, 3), AW_ELIMIT);
	assert_int_equal(c->req.nheaders, 1);
	assert_int_equal(api_call_copy(c, &s, big, 2), AW_ELIMIT);
	assert_int_equal(api_call_copy(c, &s, big, 1), 0);
	assert_int_equal(api_call_header_append(c, 0, "x", 1), AW_ELIMIT);
	t_slice_eq(&c->req.headers[0].value, big, 244);
	t_slice_eq(&s, big, 1);
	api_call_release(c);
	api_call_pool_free(t.pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_api_call_copy_lengths),
		cmocka_unit_test(test_api_call_copy_from_arena),
		cmocka_unit_test(test_api_call_known_headers),
		cmocka_unit_test(test_api_call_empty_and_folded),
		cmocka_unit_test(test_api_call_caps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

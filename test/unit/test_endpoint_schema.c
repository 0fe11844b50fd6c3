/*
 * test_endpoint_schema.c - inferred shapes of JSON bodies and query strings: types and formats,
 * arrays of objects, maps keyed by ids, required members, query parameter types and repeats,
 * merge, every cap (distinct keys, depth, scan length, memory), truncated and invalid documents
 * at every cut, the exact bytes of each writer, and a throughput measurement.
 */
#include "test_common.h"

#include <stdlib.h>
#include <time.h>

#include "endpoint_schema.h"
#include "error.h"
#include "json.h"

static mem_account_t acct;
static json_buf_t jb;

static int setup(void **state)
{
	(void)state;
	mem_account_init(&acct, "schema", 0);
	json_buf_init(&jb, &acct, 1 << 22);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	json_buf_free(&jb);
	assert_int_equal(acct.in_use, 0);
	return 0;
}

static void limits(endpoint_schema_limits_t *l)
{
	size_t i;

	endpoint_schema_limits_default(l);
	for (i = 0; i < sizeof(l->hash_key); i++)
		l->hash_key[i] = (uint8_t)i;
}

static endpoint_schema_t *mk_with(uint32_t keys, uint32_t depth, uint32_t scan)
{
	endpoint_schema_limits_t l;
	endpoint_schema_t *s;

	limits(&l);
	l.max_keys = keys;
	l.max_depth = depth;
	l.max_scan = scan;
	assert_int_equal(endpoint_schema_new(&s, &l, &acct), 0);
	return s;
}

static endpoint_schema_t *mk(void)
{
	return mk_with(256, 16, 64 * 1024);
}

static int obs(endpoint_schema_t *s, const char *doc)
{
	return endpoint_schema_observe_json(s, doc, strlen(doc));
}

static void q(endpoint_schema_t *s, const char *qs)
{
	assert_int_equal(endpoint_schema_observe_query(s, qs, strlen(qs)), 0);
}

/* The last line of jb as a C string, without its newline. */
static const char *line(void)
{
	static char out[1 << 16];
	size_t len;
	const char *p = json_line(&jb, &len);

	assert_true(len > 0 && len < sizeof(out));
	memcpy(out, p, len - 1);
	out[len - 1] = '\0';
	json_buf_clear(&jb);
	return out;
}

static const char *inv(const endpoint_schema_t *s)
{
	json_begin(&jb);
	endpoint_schema_write_inventory(s, &jb, "k");
	assert_int_equal(json_end(&jb), 0);
	return line();
}

static const char *oa(const endpoint_schema_t *s)
{
	json_begin(&jb);
	endpoint_schema_write_openapi(s, &jb, "schema");
	assert_int_equal(json_end(&jb), 0);
	return line();
}

static const char *params(const endpoint_schema_t *s)
{
	json_begin(&jb);
	json_open_array(&jb, "parameters");
	endpoint_schema_write_openapi_params(s, &jb);
	json_close_array(&jb);
	assert_int_equal(json_end(&jb), 0);
	return line();
}

static int has(const endpoint_schema_t *s, const char *path)
{
	endpoint_schema_entry_t e;

	return endpoint_schema_find(s, path, &e);
}

static endpoint_schema_entry_t entry(const endpoint_schema_t *s, const char *path)
{
	endpoint_schema_entry_t e;

	assert_true(endpoint_schema_find(s, path, &e));
	return e;
}

/* ------------------------------------------------------------------------------------------ */

static void test_types_and_formats(void **state)
{
	endpoint_schema_t *s = mk();

	(void)state;
	assert_int_equal(
		obs(s, "{\"id\": 1, \"price\": 1.5e3, \"ok\": true, \"gone\": null,"
		       "\"name\": \"ann\", \"email\": \"ann.lee@example.com\","
		       "\"at\": \"2024-01-02T03:04:05.123+01:00\", \"day\": \"2024-02-29\","
		       "\"uid\": \"550E8400-e29b-41d4-a716-446655440000\","
		       "\"site\": \"https:\\/\\/example.com\\/a?b=c\", \"ip\": \"10.0.0.255\","
		       "\"ext\": \"-0042\", \"off\": false}"),
		0);
	assert_string_equal(
		inv(s),
		"{\"k\":[{\"path\":\"\",\"types\":[\"object\"],\"seen\":1},"
		"{\"path\":\"at\",\"types\":[\"string\"],\"seen\":1,\"format\":\"date-time\"},"
		"{\"path\":\"day\",\"types\":[\"string\"],\"seen\":1,\"format\":\"date\"},"
		"{\"path\":\"email\",\"types\":[\"string\"],\"seen\":1,\"format\":\"email\"},"
		"{\"path\":\"ext\",\"types\":[\"string\"],\"seen\":1,\"format\":\"integer-string\"},"
		"{\"path\":\"gone\",\"types\":[\"null\"],\"seen\":1},"
		"{\"path\":\"id\",\"types\":[\"integer\"],\"seen\":1},"
		"{\"path\":\"ip\",\"types\":[\"string\"],\"seen\":1,\"format\":\"ipv4\"},"
		"{\"path\":\"name\",\"types\":[\"string\"],\"seen\":1},"
		"{\"path\":\"off\",\"types\":[\"boolean\"],\"seen\":1},"
		"{\"path\":\"ok\",\"types\":[\"boolean\"],\"seen\":1},"
		"{\"path\":\"price\",\"types\":[\"number\"],\"seen\":1},"
		"{\"path\":\"site\",\"types\":[\"string\"],\"seen\":1,\"format\":\"uri\"},"
		"{\"path\":\"uid\",\"types\":[\"string\"],\"seen\":1,\"format\":\"uuid\"}]}");
	/* Look-alikes fit no format. */
	assert_int_equal(
		obs(s,
		    "{\"at\": \"2024-01-02T03:04:05\", \"day\": \"2024-13-01\","
		    "\"email\": \"ann@localhost\", \"uid\": \"550e8400e29b41d4a716446655440000\","
		    "\"site\": \"note: hi\", \"ip\": \"10.0.0.256\", \"ext\": \"12a\"}"),
		0);
	assert_int_equal(entry(s, "at").format, ENDPOINT_SCHEMA_FMT_NONE);
	assert_int_equal(entry(s, "day").format, ENDPOINT_SCHEMA_FMT_NONE);
	assert_int_equal(entry(s, "email").format, ENDPOINT_SCHEMA_FMT_NONE);
	assert_int_equal(entry(s, "uid").format, ENDPOINT_SCHEMA_FMT_NONE);
	assert_int_equal(entry(s, "site").format, ENDPOINT_SCHEMA_FMT_NONE);
	assert_int_equal(entry(s, "ip").format, ENDPOINT_SCHEMA_FMT_NONE);
	assert_int_equal(entry(s, "ext").format, ENDPOINT_SCHEMA_FMT_NONE);
	assert_int_equal(entry(s, "id").seen, 1);
	assert_int_equal(entry(s, "at").seen, 2);
	assert_int_equal(endpoint_schema_docs(s), 2);
	endpoint_schema_free(s);
}

static void test_format_narrowing_and_version(void **state)
{
	endpoint_schema_t *s = mk();
	uint64_t v;
	int i;

	(void)state;
	assert_int_equal(endpoint_schema_version(s), 0);
	obs(s, "{\"a\": \"x@example.com\", \"b\": 1}");
	v = endpoint_schema_version(s);
	assert_true(v > 0);
	/* The same shape again: nothing new, the version stays. */
	for (i = 0; i < 5; i++)
		obs(s, "{\"b\": 2, \"a\": \"y@example.org\"}");
	assert_int_equal(endpoint_schema_version(s), v);
	assert_int_equal(entry(s, "a").format, ENDPOINT_SCHEMA_FMT_EMAIL);
	/* A string that is no e-mail takes the hint away: the version moves. */
	obs(s, "{\"a\": \"nobody\", \"b\": 3}");
	assert_true(endpoint_schema_version(s) > v);
	assert_int_equal(entry(s, "a").format, ENDPOINT_SCHEMA_FMT_NONE);
	v = endpoint_schema_version(s);
	/* A new type moves it, a type seen before does not. */
	obs(s, "{\"a\": \"z\", \"b\": 3.5}");
	assert_true(endpoint_schema_version(s) > v);
	v = endpoint_schema_version(s);
	obs(s, "{\"a\": \"z\", \"b\": 4}");
	assert_int_equal(endpoint_schema_version(s), v);
	assert_int_equal(entry(s, "b").types,
			 (1u << ENDPOINT_SCHEMA_INTEGER) | (1u << ENDPOINT_SCHEMA_NUMBER));
	endpoint_schema_free(s);
}

static void test_arrays_of_objects(void **state)
{
	endpoint_schema_t *s = mk();
	endpoint_schema_entry_t e;

	(void)state;
	obs(s, "{\"items\": [{\"id\": 1, \"tag\": \"a\"}, {\"id\": 2}], \"n\": [[1, 2], []]}");
	obs(s, "{\"items\": [], \"n\": []}");
	e = entry(s, "items[].id");
	assert_int_equal(e.types, 1u << ENDPOINT_SCHEMA_INTEGER);
	assert_int_equal(e.seen, 1);
	assert_true(e.required);
	assert_false(entry(s, "items[].tag").required);
	assert_true(entry(s, "items").required);
	assert_int_equal(entry(s, "n[]").types, 1u << ENDPOINT_SCHEMA_ARRAY);
	assert_int_equal(entry(s, "n[][]").types, 1u << ENDPOINT_SCHEMA_INTEGER);
	assert_string_equal(
		oa(s),
		"{\"schema\":{\"type\":\"object\",\"properties\":{"
		"\"items\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{"
		"\"id\":{\"type\":\"integer\"},\"tag\":{\"type\":\"string\"}},\"required\":[\"id\"]}},"
		"\"n\":{\"type\":\"array\",\"items\":{\"type\":\"array\",\"items\":{\"type\":"
		"\"integer\"}}}},\"required\":[\"items\",\"n\"]}}");
	endpoint_schema_free(s);

	/* A root array, and an array never seen with elements. */
	s = mk();
	obs(s, "[{\"a\": 1}, {\"a\": 2, \"b\": [] }]");
	assert_string_equal(inv(s), "{\"k\":[{\"path\":\"\",\"types\":[\"array\"],\"seen\":1},"
				    "{\"path\":\"[]\",\"types\":[\"object\"],\"seen\":1},"
				    "{\"path\":\"[].a\",\"types\":[\"integer\"],\"seen\":1},"
				    "{\"path\":\"[].b\",\"types\":[\"array\"],\"seen\":1}]}");
	assert_string_equal(oa(s), "{\"schema\":{\"type\":\"array\",\"items\":{\"type\":\"object\","
				   "\"properties\":{\"a\":{\"type\":\"integer\"},\"b\":{\"type\":"
				   "\"array\",\"items\":{}}},\"required\":[\"a\"]}}}");
	endpoint_schema_free(s);
}

static void test_maps_keyed_by_ids(void **state)
{
	endpoint_schema_t *s = mk();
	char doc[64 * 1024];
	size_t o = 0;
	int i;

	(void)state;
	o += (size_t)snprintf(doc + o, sizeof(doc) - o, "{\"users\": {");
	for (i = 0; i < 500; i++)
		o += (size_t)snprintf(doc + o, sizeof(doc) - o, "\"%d\": {\"name\": \"u%d\"}, ", i,
				      i);
	o += (size_t)snprintf(
		doc + o, sizeof(doc) - o,
		"\"ann@example.com\": {\"name\": \"a\"},"
		"\"550e8400-e29b-41d4-a716-446655440000\": {\"name\": \"b\"},"
		"\"deadbeefcafe\": {\"name\": \"c\"}, \"2024-01-02\": {\"name\": \"d\"},"
		"\"user_1234\": {\"name\": \"e\"}, \"-7\": {\"name\": \"f\"},"
		"\"\\u0001x\": {\"name\": \"g\"}, \"*\": {\"name\": \"h\"}},"
		"\"sha256\": \"x\", \"address2\": \"y\", \"decade\": \"z\"}");
	assert_int_equal(obs(s, doc), 0);
	assert_string_equal(inv(s),
			    "{\"k\":[{\"path\":\"\",\"types\":[\"object\"],\"seen\":1},"
			    "{\"path\":\"address2\",\"types\":[\"string\"],\"seen\":1},"
			    "{\"path\":\"decade\",\"types\":[\"string\"],\"seen\":1},"
			    "{\"path\":\"sha256\",\"types\":[\"string\"],\"seen\":1},"
			    "{\"path\":\"users\",\"types\":[\"object\"],\"seen\":1},"
			    "{\"path\":\"users.*\",\"types\":[\"object\"],\"seen\":1},"
			    "{\"path\":\"users.*.name\",\"types\":[\"string\"],\"seen\":1}]}");
	assert_int_equal(endpoint_schema_size(s), 7);
	assert_true(entry(s, "users.*.name").required);
	assert_string_equal(
		oa(s),
		"{\"schema\":{\"type\":\"object\",\"properties\":{\"address2\":{\"type\":\"string\"},"
		"\"decade\":{\"type\":\"string\"},\"sha256\":{\"type\":\"string\"},\"users\":{"
		"\"type\":\"object\",\"additionalProperties\":{\"type\":\"object\",\"properties\":{"
		"\"name\":{\"type\":\"string\"}},\"required\":[\"name\"]}}},\"required\":["
		"\"address2\",\"decade\",\"sha256\",\"users\"]}}");
	endpoint_schema_free(s);
}

static void test_required_nullable_oneof(void **state)
{
	endpoint_schema_t *s = mk();

	(void)state;
	obs(s,
	    "{\"id\": 1, \"note\": null, \"v\": 1, \"user\": {\"name\": \"a\", \"nick\": \"b\"}}");
	obs(s, "{\"id\": 2, \"note\": \"x\", \"v\": \"s\", \"user\": {\"name\": \"c\"}}");
	obs(s, "{\"id\": 3, \"v\": 2.5, \"user\": null, \"extra\": true}");
	assert_true(entry(s, "id").required);
	assert_false(entry(s, "note").required);
	assert_true(entry(s, "user.name").required);
	assert_false(entry(s, "user.nick").required);
	assert_false(entry(s, "extra").required);
	assert_int_equal(entry(s, "").seen, 3);
	assert_string_equal(
		oa(s),
		"{\"schema\":{\"type\":\"object\",\"properties\":{"
		"\"extra\":{\"type\":\"boolean\"},"
		"\"id\":{\"type\":\"integer\"},"
		"\"note\":{\"type\":\"string\",\"nullable\":true},"
		"\"user\":{\"type\":\"object\",\"nullable\":true,\"properties\":{"
		"\"name\":{\"type\":\"string\"},\"nick\":{\"type\":\"string\"}},\"required\":[\"name\"]},"
		"\"v\":{\"oneOf\":[{\"type\":\"number\"},{\"type\":\"string\"}]}},"
		"\"required\":[\"id\",\"user\",\"v\"]}}");
	endpoint_schema_free(s);

	/* Only null; a scalar root; nothing at all. */
	s = mk();
	assert_string_equal(oa(s), "{\"schema\":{}}");
	assert_string_equal(inv(s), "{\"k\":[]}");
	obs(s, "{\"a\": null, \"b\": [null, 1, \"x\"]}");
	assert_string_equal(
		oa(s), "{\"schema\":{\"type\":\"object\",\"properties\":{\"a\":{\"nullable\":true},"
		       "\"b\":{\"type\":\"array\",\"items\":{\"oneOf\":[{\"type\":\"integer\","
		       "\"nullable\":true},{\"type\":\"string\"}]}}},\"required\":[\"a\",\"b\"]}}");
	endpoint_schema_free(s);
	s = mk();
	assert_int_equal(obs(s, " \"2024-01-02\" "), 0);
	assert_int_equal(obs(s, "42"), 0);
	assert_string_equal(oa(s), "{\"schema\":{\"oneOf\":[{\"type\":\"integer\"},"
				   "{\"type\":\"string\",\"format\":\"date\"}]}}");
	endpoint_schema_free(s);
}

static void test_query(void **state)
{
	endpoint_schema_t *s = mk();
	endpoint_schema_entry_t e;

	(void)state;
	q(s, "?limit=10&offset=0&sort=name&tag=a&tag=b&active=true&id=550e8400-e29b-41d4-a716-"
	     "446655440000&since=2024-01-02&f%20x=1.5&debug&ids%5B%5D=1");
	q(s, "limit=20&sort=-date&active=FALSE&since=2024-02-03&f+x=2&ids[]=3&12345=x&"
	     "at=2024-01-02T03%3A04%3A05Z&=novalue&&");
	q(s, "limit=x1&");
	assert_true(endpoint_schema_find_param(s, "limit", &e));
	assert_true(e.required);
	assert_int_equal(e.seen, 3);
	assert_int_equal(e.types, 1u << ENDPOINT_SCHEMA_STRING);
	assert_true(endpoint_schema_find_param(s, "f x", &e));
	assert_int_equal(e.types, 1u << ENDPOINT_SCHEMA_NUMBER);
	assert_false(e.required);
	assert_true(endpoint_schema_find_param(s, "tag", &e));
	assert_true(e.repeated);
	assert_true(endpoint_schema_find_param(s, "ids[]", &e));
	assert_true(e.repeated);
	assert_true(endpoint_schema_find_param(s, "*", &e));
	assert_false(endpoint_schema_find_param(s, "12345", &e));
	assert_string_equal(
		params(s),
		"{\"parameters\":["
		"{\"name\":\"active\",\"in\":\"query\",\"schema\":{\"type\":\"boolean\"}},"
		"{\"name\":\"at\",\"in\":\"query\",\"schema\":{\"type\":\"string\",\"format\":"
		"\"date-time\"}},"
		"{\"name\":\"debug\",\"in\":\"query\",\"allowEmptyValue\":true,\"schema\":{\"type\":"
		"\"string\"}},"
		"{\"name\":\"f x\",\"in\":\"query\",\"schema\":{\"type\":\"number\"}},"
		"{\"name\":\"id\",\"in\":\"query\",\"schema\":{\"type\":\"string\",\"format\":"
		"\"uuid\"}},"
		"{\"name\":\"ids[]\",\"in\":\"query\",\"schema\":{\"type\":\"array\",\"items\":{"
		"\"type\":\"integer\"}}},"
		"{\"name\":\"limit\",\"in\":\"query\",\"required\":true,\"schema\":{\"type\":"
		"\"string\"}},"
		"{\"name\":\"offset\",\"in\":\"query\",\"schema\":{\"type\":\"integer\"}},"
		"{\"name\":\"since\",\"in\":\"query\",\"schema\":{\"type\":\"string\",\"format\":"
		"\"date\"}},"
		"{\"name\":\"sort\",\"in\":\"query\",\"schema\":{\"type\":\"string\"}},"
		"{\"name\":\"tag\",\"in\":\"query\",\"schema\":{\"type\":\"array\",\"items\":{"
		"\"type\":\"string\"}}}]}");
	/* Query parameters are listed after the body paths, with their own fields. */
	obs(s, "{\"a\": 1}");
	assert_string_equal(
		inv(s),
		"{\"k\":[{\"path\":\"\",\"types\":[\"object\"],\"seen\":1},"
		"{\"path\":\"a\",\"types\":[\"integer\"],\"seen\":1},"
		"{\"path\":\"*\",\"in\":\"query\",\"types\":[\"string\"],\"seen\":1},"
		"{\"path\":\"active\",\"in\":\"query\",\"types\":[\"boolean\"],\"seen\":2},"
		"{\"path\":\"at\",\"in\":\"query\",\"types\":[\"string\"],\"seen\":1,\"format\":"
		"\"date-time\"},"
		"{\"path\":\"debug\",\"in\":\"query\",\"types\":[\"string\"],\"seen\":1},"
		"{\"path\":\"f x\",\"in\":\"query\",\"types\":[\"number\"],\"seen\":2},"
		"{\"path\":\"id\",\"in\":\"query\",\"types\":[\"string\"],\"seen\":1,\"format\":"
		"\"uuid\"},"
		"{\"path\":\"ids[]\",\"in\":\"query\",\"types\":[\"integer\"],\"seen\":2,"
		"\"repeated\":true},"
		"{\"path\":\"limit\",\"in\":\"query\",\"types\":[\"string\"],\"seen\":3,"
		"\"required\":true},"
		"{\"path\":\"offset\",\"in\":\"query\",\"types\":[\"integer\"],\"seen\":1},"
		"{\"path\":\"since\",\"in\":\"query\",\"types\":[\"string\"],\"seen\":2,\"format\":"
		"\"date\"},"
		"{\"path\":\"sort\",\"in\":\"query\",\"types\":[\"string\"],\"seen\":2},"
		"{\"path\":\"tag\",\"in\":\"query\",\"types\":[\"string\"],\"seen\":1,"
		"\"repeated\":true}]}");
	assert_int_equal(endpoint_schema_counters(s)->query_docs, 3);
	assert_int_equal(endpoint_schema_docs(s), 4);
	endpoint_schema_free(s);
}

static void test_query_hostile(void **state)
{
	endpoint_schema_t *s = mk_with(16, 16, 4096);
	char buf[100 * 1024];
	size_t o = 0;
	int i;

	(void)state;
	/* Long names are data; so are names with control bytes or invalid UTF-8. */
	q(s, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=1&%01x=2&%ff=3&"
	     "caf%C3%A9=4&%zz=5&%=6&%4=7");
	assert_int_equal(endpoint_schema_size(s), 6); /* root, "*", café, %zz, %, %4 */
	for (i = 0; i < 5000; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "p%c%c%c=1&", 'a' + i % 26,
				      'a' + i / 26 % 26, 'a' + i / 676 % 26);
	q(s, buf);
	assert_int_equal(endpoint_schema_size(s), 16);
	assert_true(endpoint_schema_counters(s)->keys_cut > 0);
	assert_int_equal(endpoint_schema_counters(s)->scan_cut, 1);
	q(s, "");
	q(s, "?");
	q(s, "&&&=&");
	assert_int_equal(endpoint_schema_counters(s)->query_docs, 5);
	endpoint_schema_free(s);
}

static void test_merge(void **state)
{
	endpoint_schema_t *a = mk(), *b = mk(), *c = mk_with(4, 16, 0);
	uint64_t v;

	(void)state;
	obs(a, "{\"id\": 1, \"name\": \"x@example.com\", \"tags\": [\"a\"]}");
	obs(a, "{\"id\": 2, \"name\": \"y@example.com\"}");
	obs(b, "{\"id\": 3, \"name\": \"z@example.com\", \"extra\": {\"k\": null}}");
	obs(b, "{\"id\": null, \"name\": \"z@example.com\"}");
	q(a, "x=1");
	q(b, "x=2&x=3&y=a");
	v = endpoint_schema_version(a);
	endpoint_schema_merge(a, b);
	assert_true(endpoint_schema_version(a) > v);
	assert_int_equal(endpoint_schema_docs(a), 6);
	assert_int_equal(entry(a, "id").seen, 4);
	assert_true(entry(a, "id").required);
	assert_true(entry(a, "name").required);
	assert_int_equal(entry(a, "name").format, ENDPOINT_SCHEMA_FMT_EMAIL);
	assert_false(entry(a, "tags").required);
	assert_false(entry(a, "extra").required);
	assert_true(entry(a, "extra.k").required);
	assert_int_equal(entry(a, "id").types,
			 (1u << ENDPOINT_SCHEMA_INTEGER) | (1u << ENDPOINT_SCHEMA_NULL));
	assert_string_equal(params(a),
			    "{\"parameters\":[{\"name\":\"x\",\"in\":\"query\",\"required\":true,"
			    "\"schema\":{\"type\":\"array\",\"items\":{\"type\":\"integer\"}}},"
			    "{\"name\":\"y\",\"in\":\"query\",\"schema\":{\"type\":\"string\"}}]}");
	/* A schema merged into itself is left as it is. */
	v = endpoint_schema_version(a);
	endpoint_schema_merge(a, a);
	assert_int_equal(endpoint_schema_version(a), v);
	/* Into a smaller schema: what does not fit is counted. */
	endpoint_schema_merge(c, a);
	assert_int_equal(endpoint_schema_size(c), 4);
	assert_true(endpoint_schema_counters(c)->keys_cut > 0);
	assert_int_equal(endpoint_schema_docs(c), 6);
	endpoint_schema_free(a);
	endpoint_schema_free(b);
	endpoint_schema_free(c);
}

/* 100k distinct keys: the table stops at max_keys, the rest is counted, and the known keys
 * are still learned. */
static void test_key_cap(void **state)
{
	endpoint_schema_t *s = mk_with(256, 16, 0);
	size_t cap = 3u << 20, o = 0;
	char *doc = malloc(cap);
	uint64_t before;
	int i;

	(void)state;
	assert_non_null(doc);
	obs(s, "{\"known\": 1}");
	o += (size_t)snprintf(doc + o, cap - o, "{\"known\": \"s\"");
	for (i = 0; i < 100000; i++)
		o += (size_t)snprintf(doc + o, cap - o, ", \"k%c%c%c%c\": {\"x\": 1}", 'a' + i % 26,
				      'a' + i / 26 % 26, 'a' + i / 676 % 26, 'a' + i / 17576 % 26);
	o += (size_t)snprintf(doc + o, cap - o, "}");
	assert_int_equal(obs(s, doc), 0);
	assert_int_equal(endpoint_schema_size(s), 256);
	assert_true(endpoint_schema_counters(s)->keys_cut >= 100000 - 256);
	assert_int_equal(entry(s, "known").types,
			 (1u << ENDPOINT_SCHEMA_INTEGER) | (1u << ENDPOINT_SCHEMA_STRING));
	before = acct.in_use;
	assert_int_equal(obs(s, doc), 0);
	assert_int_equal(acct.in_use, before); /* full: no more memory */
	free(doc);
	endpoint_schema_free(s);
}

/* 10k levels of nesting: learned to max_depth, the rest skipped in one pass and counted. */
static void test_depth_cap(void **state)
{
	endpoint_schema_t *s = mk_with(256, 4, 0);
	size_t n = 10000, i, o = 0;
	char *doc = malloc(6 * n + 64);

	(void)state;
	assert_non_null(doc);
	for (i = 0; i < n; i++)
		o += (size_t)sprintf(doc + o, "{\"a\":");
	o += (size_t)sprintf(doc + o, "1");
	for (i = 0; i < n; i++)
		doc[o++] = '}';
	doc[o] = '\0';
	assert_int_equal(obs(s, doc), 0);
	assert_int_equal(endpoint_schema_counters(s)->depth_cut, 1);
	assert_true(has(s, "a.a.a.a"));
	assert_false(has(s, "a.a.a.a.a"));
	/* Arrays the same, with strings holding brackets in the skipped part. */
	o = 0;
	for (i = 0; i < n; i++)
		doc[o++] = '[';
	o += (size_t)sprintf(doc + o, "\"]]}\\\"\"");
	for (i = 0; i < n; i++)
		doc[o++] = ']';
	doc[o] = '\0';
	assert_int_equal(obs(s, doc), 0);
	assert_int_equal(endpoint_schema_counters(s)->depth_cut, 2);
	/* Cut short inside the skipped part: truncated. */
	assert_int_equal(endpoint_schema_observe_json(s, doc, n / 2), AW_ETRUNCATED);
	/* Unbalanced inside: the skip follows brackets only, the grammar catches the end. */
	assert_int_equal(obs(s, "[[[[[[[}]]]]]]]"), AW_EMALFORMED);
	assert_int_equal(entry(s, "").seen, 4);
	free(doc);
	endpoint_schema_free(s);
}

static void test_scan_cap(void **state)
{
	endpoint_schema_t *s = mk_with(256, 16, 16);

	(void)state;
	/* Cut at 16 bytes: "a" learned, the open object rolled back, not counted as truncated. */
	assert_int_equal(obs(s, "{\"a\": 1, \"b\": {\"c\": 2}}"), 0);
	assert_int_equal(endpoint_schema_counters(s)->scan_cut, 1);
	assert_int_equal(endpoint_schema_counters(s)->truncated, 0);
	assert_true(has(s, "a"));
	assert_false(has(s, "b.c"));
	assert_false(entry(s, "a").required); /* no complete instance of the root yet */
	assert_int_equal(obs(s, "{\"a\": 2}"), 0);
	assert_true(entry(s, "a").required);
	endpoint_schema_free(s);
}

/* Every prefix of a document: no crash, counted as truncated (or invalid where a prefix is a
 * broken token), and what is learned stays consistent: members of complete objects only. */
static void test_every_prefix(void **state)
{
	static const char doc[] =
		"{\"id\": 12, \"name\": \"a\\u00e9\\\"b\", \"ok\": true, \"none\": null,"
		" \"f\": -1.5e-3, \"items\": [{\"k\": \"2024-01-02\"}, {\"k\": \"x\"}], \"m\": {}}";
	size_t n = strlen(doc), cut, first_elem_end = (size_t)(strstr(doc, "02\"}") - doc) + 4;

	(void)state;
	for (cut = 0; cut <= n; cut++) {
		endpoint_schema_t *s = mk();
		const endpoint_schema_counters_t *c = endpoint_schema_counters(s);
		int rc = endpoint_schema_observe_json(s, doc, cut);
		endpoint_schema_entry_t e;

		if (cut == n) {
			assert_int_equal(rc, 0);
		} else if (cut == 0) {
			assert_int_equal(rc, AW_EMALFORMED);
			assert_int_equal(c->invalid, 1);
		} else {
			assert_int_equal(rc, AW_ETRUNCATED);
			assert_int_equal(c->truncated, 1);
			assert_int_equal(c->invalid, 0);
			/* The root never completed: nothing in it is required. */
			if (endpoint_schema_find(s, "id", &e))
				assert_false(e.required);
		}
		/* Values cut short are not learned with a wrong type. */
		if (endpoint_schema_find(s, "id", &e))
			assert_true(e.types == 0 || e.types == 1u << ENDPOINT_SCHEMA_INTEGER);
		if (endpoint_schema_find(s, "f", &e))
			assert_true(e.types == 0 || e.types == 1u << ENDPOINT_SCHEMA_NUMBER);
		/* Required once the first element is whole, whatever is open after it. */
		if (endpoint_schema_find(s, "items[].k", &e))
			assert_int_equal(e.required, cut >= first_elem_end);
		/* A later whole document makes the shape whole. */
		assert_int_equal(endpoint_schema_observe_json(s, doc, n), 0);
		assert_true(entry(s, "id").required);
		assert_true(entry(s, "items[].k").required);
		assert_int_equal(entry(s, "name").types, 1u << ENDPOINT_SCHEMA_STRING);
		endpoint_schema_free(s);
	}
}

static void test_invalid(void **state)
{
	static const char *const bad[] = {
		"",
		"   ",
		"{",
		"}",
		"{\"a\" 1}",
		"{\"a\": 1,}",
		"[1,]",
		"{\"a\": 01}",
		"{\"a\": 1.}",
		"{\"a\": tru}",
		"{\"a\": nul",
		"{a: 1}",
		"[1] [2]",
		"{\"a\": \"\x01\"}",
		"{\"a\": \"\\x\"}",
		"{\"a\": \"\\u12g4\"}",
		"{\"a\": 1]",
		"[1}",
		"<html>",
		"{\"a\":-}",
		"{\"a\": 1e}",
		"{\"a\": .5}",
		"{\"a\": +1}",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		endpoint_schema_t *s = mk();
		int rc = obs(s, bad[i]);
		const endpoint_schema_counters_t *c = endpoint_schema_counters(s);

		assert_true(rc == AW_EMALFORMED || rc == AW_ETRUNCATED);
		assert_int_equal(c->invalid + c->truncated, 1);
		endpoint_schema_free(s);
	}
	{
		endpoint_schema_t *s = mk();
		const endpoint_schema_counters_t *c = endpoint_schema_counters(s);

		assert_int_equal(obs(s, "{\"a\": 1, \"b\": {\"c\": 2} x"), AW_EMALFORMED);
		assert_int_equal(c->invalid, 1);
		/* What completed before the break is kept; the open root is not an instance. */
		assert_int_equal(entry(s, "a").types, 1u << ENDPOINT_SCHEMA_INTEGER);
		assert_true(entry(s, "b.c").required);
		assert_false(entry(s, "a").required);
		/* Invalid UTF-8 in values passes; in keys it makes the key data. */
		assert_int_equal(obs(s, "{\"\xff\xfe\": \"\xc0\xaf\", \"caf\xc3\xa9\": 1, "
					"\"\\ud800x\": 2, \"\\ud83d\\ude00\": 3}"),
				 0);
		assert_true(has(s, "*"));
		assert_true(has(s, "caf\xc3\xa9"));
		assert_true(has(s, "\xf0\x9f\x98\x80"));
		/* A byte-order mark is skipped. */
		assert_int_equal(obs(s, "\xef\xbb\xbf{\"a\": 3}"), 0);
		endpoint_schema_free(s);
	}
}

/* The same documents in another order give the same bytes. */
static void test_determinism(void **state)
{
	static const char *const docs[] = {
		"{\"z\": 1, \"a\": {\"y\": \"2024-01-01\", \"b\": [1, 2.5]}, \"m\": {\"123\": 1}}",
		"{\"a\": {\"b\": [], \"c\": null}, \"z\": \"s\"}",
		"{\"q\": true}",
	};
	endpoint_schema_t *x = mk(), *y = mk();
	char a[4096], b[4096];
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		obs(x, docs[i]);
		obs(y, docs[2 - i]);
	}
	q(x, "b=1&a=2");
	q(y, "a=3&b=4");
	strcpy(a, inv(x));
	strcpy(b, inv(y));
	assert_string_equal(a, b);
	strcpy(a, oa(x));
	strcpy(b, oa(y));
	assert_string_equal(a, b);
	strcpy(a, params(x));
	strcpy(b, params(y));
	assert_string_equal(a, b);
	endpoint_schema_free(x);
	endpoint_schema_free(y);
}

/* Writing into an EVE line that is already deep: schemas are left open, the line stays valid. */
static void test_writer_depth(void **state)
{
	endpoint_schema_t *s = mk_with(256, 64, 0);
	char doc[1024];
	size_t o = 0, i;
	const char *l;

	(void)state;
	for (i = 0; i < 40; i++)
		o += (size_t)sprintf(doc + o, "{\"a\":");
	o += (size_t)sprintf(doc + o, "1");
	for (i = 0; i < 40; i++)
		doc[o++] = '}';
	doc[o] = '\0';
	assert_int_equal(obs(s, doc), 0);
	json_begin(&jb);
	endpoint_schema_write_openapi(s, &jb, "schema");
	assert_int_equal(json_end(&jb), 0);
	l = line();
	assert_non_null(strstr(l, "\"a\":{}"));
	endpoint_schema_free(s);
}

static void test_memory_and_limits(void **state)
{
	endpoint_schema_limits_t l;
	endpoint_schema_t *s;
	mem_account_t small;

	(void)state;
	endpoint_schema_limits_default(&l);
	assert_int_equal(l.max_keys, 256);
	assert_int_equal(l.max_depth, 16);
	assert_int_equal(l.max_scan, 64 * 1024);
	/* A memory cap refuses the schema, or its growth: counted, never fatal. */
	mem_account_init(&small, "small", 64);
	assert_int_equal(endpoint_schema_new(&s, &l, &small), AW_ENOMEM);
	assert_null(s);
	mem_account_init(&small, "small", 4096);
	assert_int_equal(endpoint_schema_new(&s, &l, &small), 0);
	{
		char doc[8192];
		size_t o = 0;
		int i;

		o += (size_t)sprintf(doc, "{\"k\": 0");
		for (i = 0; i < 200; i++)
			o += (size_t)sprintf(doc + o, ", \"k%c%c\": %d", 'a' + i % 26, 'a' + i / 26,
					     i);
		sprintf(doc + o, "}");
		assert_int_equal(obs(s, doc), 0);
	}
	assert_true(endpoint_schema_size(s) < 202);
	assert_true(endpoint_schema_counters(s)->keys_cut > 0);
	assert_true(small.in_use <= 4096);
	endpoint_schema_free(s);
	assert_int_equal(small.in_use, 0);
	endpoint_schema_free(NULL);
	assert_string_equal(endpoint_schema_type_name(ENDPOINT_SCHEMA_ARRAY), "array");
	assert_string_equal(endpoint_schema_format_name(ENDPOINT_SCHEMA_FMT_URI), "uri");
	assert_string_equal(endpoint_schema_format_name(99), "unknown");
}

/* Throughput on a typical response: an array of records, pretty-printed. Reported, and held
 * to a floor far below the target so that a loaded machine does not fail it. */
static void test_throughput(void **state)
{
	endpoint_schema_t *s = mk();
	size_t cap = 64 * 1024, o = 0, total = 0;
	char *doc = malloc(cap);
	struct timespec t0, t1;
	double sec, mbs;
	int i;

	(void)state;
	assert_non_null(doc);
	o += (size_t)snprintf(doc + o, cap - o, "{\"data\": [\n");
	for (i = 0; o < cap - 600; i++)
		o += (size_t)snprintf(
			doc + o, cap - o,
			"%s  {\"id\": %d, \"uuid\": \"550e8400-e29b-41d4-a716-%012d\",\n"
			"   \"name\": \"Customer number %d with a longer display name\",\n"
			"   \"email\": \"user%d@example.com\", \"active\": %s, \"score\": %d.%d,\n"
			"   \"created_at\": \"2024-01-02T03:04:%02dZ\", \"tags\": [\"a\", \"bb\"],\n"
			"   \"address\": {\"city\": \"Paris\", \"zip\": \"750%02d\"}, \"note\": null}",
			i ? ",\n" : "", i, i, i, i, i % 2 ? "true" : "false", i, i % 10, i % 60,
			i % 100);
	o += (size_t)snprintf(doc + o, cap - o, "\n], \"next\": null}");
	assert_int_equal(endpoint_schema_observe_json(s, doc, o), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 2000; i++) {
		assert_int_equal(endpoint_schema_observe_json(s, doc, o), 0);
		total += o;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	sec = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	mbs = (double)total / sec / 1e6;
	printf("endpoint_schema: %.0f MB/s of JSON (%zu-byte documents)\n", mbs, o);
	assert_true(mbs > 20);
	assert_true(entry(s, "data[].address.zip").required);
	assert_int_equal(entry(s, "data[].created_at").format, ENDPOINT_SCHEMA_FMT_DATE_TIME);
	free(doc);
	endpoint_schema_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_types_and_formats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_format_narrowing_and_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arrays_of_objects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_maps_keyed_by_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_required_nullable_oneof, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_hostile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_depth_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_determinism, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_depth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory_and_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_throughput, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

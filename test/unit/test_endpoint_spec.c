/*
 * test_endpoint_spec.c - the declared API: loading YAML and JSON specs, references and their
 * loops, base paths, literal-over-template precedence, learned-template matching, every kind of
 * violation with calls that must and must not raise it, hostile documents with their one-line
 * errors, and the cost of a match on a 100-operation spec.
 */
#include "test_common.h"

#include <stdlib.h>
#include <time.h>

#include "endpoint_spec.h"
#include "error.h"

#define SPECS AW_TEST_DIR "/specs/"
#define HEAD "openapi: 3.0.0\ninfo: {title: t, version: '1'}\n"

static mem_account_t acct;
static char err[512];

static endpoint_spec_t *load(const char *file)
{
	endpoint_spec_t *s = NULL;
	int rc = endpoint_spec_load_file(&s, file, NULL, &acct, err, sizeof(err));

	if (rc != 0)
		fail_msg("%s: %s", file, err);
	return s;
}

/* Loads text that must fail; returns the code, with the message in err. */
static int load_bad(const char *text, const endpoint_spec_limits_t *lim)
{
	endpoint_spec_t *s = NULL;
	uint64_t before = acct.in_use;
	int rc = endpoint_spec_load_mem(&s, "t.yaml", text, strlen(text), lim, &acct, err,
					sizeof(err));

	assert_null(s);
	assert_true(rc < 0);
	assert_int_equal(acct.in_use, before);
	assert_null(strchr(err, '\n'));
	return rc;
}

static endpoint_spec_t *load_text(const char *text)
{
	endpoint_spec_t *s = NULL;

	if (endpoint_spec_load_mem(&s, "t.yaml", text, strlen(text), NULL, &acct, err,
				   sizeof(err)) != 0)
		fail_msg("%s", err);
	return s;
}

static aw_slice_t sl(const char *s)
{
	aw_slice_t r = {s, strlen(s)};

	return r;
}

static const char *op_id(const endpoint_spec_t *s, const char *method, const char *path)
{
	const endpoint_spec_op_t *op = endpoint_spec_match(s, sl(method), sl(path));

	return op ? op->operation_id : "-";
}

static const char *tmpl_id(const endpoint_spec_t *s, const char *method, const char *path)
{
	const endpoint_spec_op_t *op = endpoint_spec_match_template(s, sl(method), sl(path));

	return op ? op->operation_id : "-";
}

/* ------------------------------------------------------------------------------------------ */
/* Calls */

static api_call_pool_t *pool;

/* A request: target "path?query", headers "Name: value\n...", body (NULL: none). */
static api_call_t *call(const char *method, const char *target, const char *headers,
			const char *ctype, const char *body)
{
	api_call_t *c = api_call_get(pool);
	const char *q = strchr(target, '?');
	size_t plen = q ? (size_t)(q - target) : strlen(target);

	assert_non_null(c);
	assert_int_equal(api_call_copy(c, &c->method, method, strlen(method)), 0);
	assert_int_equal(api_call_copy(c, &c->path, target, plen), 0);
	if (q)
		assert_int_equal(api_call_copy(c, &c->query, q + 1, strlen(q + 1)), 0);
	while (headers && *headers) {
		const char *colon = strchr(headers, ':'), *nl = strchr(headers, '\n');

		if (!nl)
			nl = headers + strlen(headers);
		assert_int_equal(api_call_add_header(c, 0, headers, (size_t)(colon - headers),
						     colon + 2, (size_t)(nl - colon - 2)),
				 0);
		headers = *nl ? nl + 1 : nl;
	}
	if (ctype) {
		assert_int_equal(
			api_call_add_header(c, 0, "Content-Type", 12, ctype, strlen(ctype)), 0);
		c->req.content_type = c->req.headers[c->req.nheaders - 1].value;
	}
	if (body) {
		size_t n = strlen(body), room;
		char *p = api_call_body_reserve(c, 0, 0, n, &room);

		assert_true(room >= n);
		memcpy(p, body, n);
		api_call_body_commit(c, 0, 0, n);
		c->req.body_wire_bytes = c->req.body_bytes = n;
		c->req.content_length = (int64_t)n;
	}
	return c;
}

static endpoint_spec_result_t res;

/* Routes and checks a call; returns the kinds. */
static unsigned check(const endpoint_spec_t *s, const char *method, const char *target,
		      const char *headers, const char *ctype, const char *body)
{
	api_call_t *c = call(method, target, headers, ctype, body);
	const endpoint_spec_op_t *op = endpoint_spec_match(s, c->method, c->path);
	unsigned k;

	if (!op)
		fail_msg("no operation for %s %s", method, target);
	k = endpoint_spec_check(s, &res, op, c);
	api_call_release(c);
	return k;
}

#define V(kind) (1u << ENDPOINT_SPEC_V_##kind)
#define NAME(kind) endpoint_spec_result_name(&res, ENDPOINT_SPEC_V_##kind)

static int setup(void **state)
{
	api_call_limits_t lim = {.max_headers = 64,
				 .max_arena = 1 << 16,
				 .max_body = 1 << 16,
				 .max_free = 4,
				 .decompress_ratio = 100};
	static mem_account_t pacct;

	(void)state;
	mem_account_init(&acct, "inventory", 0);
	mem_account_init(&pacct, "dissector", 0);
	return api_call_pool_new(&pool, &lim, &pacct);
}

static int teardown(void **state)
{
	(void)state;
	api_call_pool_free(pool);
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Loading and the model */

static void test_load_yaml(void **state)
{
	endpoint_spec_t *s = load(SPECS "petstore.yaml");
	const endpoint_spec_info_t *in = endpoint_spec_info(s);
	const endpoint_spec_op_t *op;
	uint32_t i, deprecated = 0;

	(void)state;
	assert_string_equal(in->openapi, "3.0.3");
	assert_string_equal(in->title, "Pet shop");
	assert_string_equal(in->version, "1.4.0");
	assert_int_equal(in->paths, 6);
	assert_int_equal(in->operations, 8);
	assert_int_equal(endpoint_spec_op_count(s), 8);
	assert_int_equal(in->bases, 3); /* /api/v1, /live/v1, /staging/v1 */
	assert_int_equal(in->warnings, 0);
	assert_int_equal(in->deprecated, 1);
	for (i = 0; (op = endpoint_spec_op(s, i)) != NULL; i++) {
		assert_int_equal(op->index, i);
		deprecated += op->deprecated;
	}
	assert_int_equal(i, 8);
	assert_int_equal(deprecated, 1);
	op = endpoint_spec_op(s, 0);
	assert_string_equal(op->path, "/pets");
	assert_string_equal(op->method_name, "GET");
	assert_string_equal(op->operation_id, "listPets");
	assert_int_equal(op->nparams, 4); /* the $ref'd limit included */
	op = endpoint_spec_op(s, 3);
	assert_string_equal(op->operation_id, "deletePet");
	assert_true(op->deprecated);
	assert_int_equal(op->nparams, 1); /* path-level petId */
	endpoint_spec_free(s);
	assert_int_equal(acct.in_use, 0);
}

static void test_load_json(void **state)
{
	endpoint_spec_t *s = load(SPECS "library.json");
	const endpoint_spec_info_t *in = endpoint_spec_info(s);

	(void)state;
	assert_string_equal(in->openapi, "3.1.0");
	/* An escaped surrogate pair, which libyaml would refuse. */
	assert_string_equal(in->title, "Lending library \xf0\x9f\x93\x9a");
	assert_int_equal(in->operations, 4);
	assert_int_equal(in->bases, 1);
	assert_int_equal(in->unchecked_schemas, 1); /* meta: oneOf */
	assert_string_equal(op_id(s, "GET", "/books/978-0-00"), "getBook");
	assert_string_equal(op_id(s, "GET", "/legacy/search"), "oldSearch");
	assert_true(endpoint_spec_match(s, sl("GET"), sl("/legacy/search"))->deprecated);
	endpoint_spec_free(s);
}

static void test_json_long_key_tabs(void **state)
{
	char *text = malloc(8192);
	endpoint_spec_t *s;
	size_t o;

	(void)state;
	/* Tabs, a key of 2000 bytes, a \u escape in a path: valid JSON that YAML 1.1 rejects. */
	o = (size_t)sprintf(text, "{\n\t\"openapi\": \"3.0.0\",\n\t\"x-long\": {\"");
	memset(text + o, 'k', 2000);
	o += 2000;
	sprintf(text + o,
		"\": 1},\n\t\"info\": {\"title\": \"t\", \"version\": \"1\"},\n\t\"paths\": "
		"{\"/caf\\u00e9\": {\"get\": {\"responses\": {}}}}\n}\n");
	s = load_text(text);
	assert_int_equal(endpoint_spec_op_count(s), 1);
	assert_string_equal(endpoint_spec_op(s, 0)->path, "/caf\xc3\xa9");
	assert_non_null(endpoint_spec_match(s, sl("GET"), sl("/caf\xc3\xa9")));
	endpoint_spec_free(s);
	free(text);
}

static void test_refs_and_recursion(void **state)
{
	endpoint_spec_t *s = load(SPECS "petstore.yaml");
	unsigned k;

	(void)state;
	/* Owner.friends[] is Owner again: a recursive schema checks at every level. */
	k = check(s, "PUT", "/api/v1/owners/0b8e8f8e-3c1a-4f6e-9a4b-2d3c4e5f6a7b",
		  "Cookie: session=abc", "application/json",
		  "{\"email\": \"a@b.test\", \"friends\": [{\"email\": \"c@d.test\", "
		  "\"friends\": [{\"name\": \"x\"}]}]}");
	assert_int_equal(k, V(MISSING_PROPERTY));
	assert_string_equal(NAME(MISSING_PROPERTY), "friends[].friends[].email");
	endpoint_spec_free(s);
}

static void test_external_refs(void **state)
{
	endpoint_spec_t *s = load(SPECS "external-ref.yaml");
	const endpoint_spec_info_t *in = endpoint_spec_info(s);

	(void)state;
	assert_int_equal(in->external_refs, 2);
	assert_true(in->warnings >= 2);
	assert_non_null(strstr(in->first_warning, "external $ref"));
	/* A parameter that cannot be named: unknown parameters are not told. */
	assert_int_equal(check(s, "GET", "/items?page=2&q=x&other=1", NULL, NULL, NULL), 0);
	assert_true(res.flags & ENDPOINT_SPEC_C_NO_UNKNOWN);
	assert_int_equal(check(s, "POST", "/items", NULL, "application/json", "{\"a\": [1]}"), 0);
	endpoint_spec_free(s);
}

static void test_bases(void **state)
{
	endpoint_spec_t *s = load_text("openapi: 3.0.0\n"
				       "info: {title: t, version: '1'}\n"
				       "servers:\n"
				       "  - url: https://api.example.test:8443/v2/?x=1\n"
				       "  - url: v3\n"
				       "  - url: //cdn.example.test/static\n"
				       "  - url: '{scheme}://h/{base}'\n"
				       "    variables:\n"
				       "      scheme: {default: https}\n"
				       "      base: {default: a, enum: [a, b]}\n"
				       "paths:\n"
				       "  /x: {get: {operationId: x}}\n");
	endpoint_spec_route_t r;

	(void)state;
	assert_int_equal(endpoint_spec_info(s)->bases, 5);
	assert_string_equal(op_id(s, "GET", "/v2/x"), "x");
	assert_string_equal(op_id(s, "GET", "/v3/x"), "x");
	assert_string_equal(op_id(s, "GET", "/static/x"), "x");
	assert_string_equal(op_id(s, "GET", "/a/x"), "x");
	assert_string_equal(op_id(s, "GET", "/b/x"), "x");
	assert_string_equal(op_id(s, "GET", "/c/x"), "-");
	endpoint_spec_route(s, &r, sl("GET"), sl("/x"), 0);
	assert_null(r.op);
	assert_true(r.flags & ENDPOINT_SPEC_R_NO_BASE);
	endpoint_spec_free(s);

	/* No servers: the base is "/". */
	s = load_text("openapi: 3.1.0\ninfo: {title: t, version: '1'}\n"
		      "paths: {/x: {get: {operationId: x}}}\n");
	assert_int_equal(endpoint_spec_info(s)->bases, 1);
	assert_string_equal(op_id(s, "GET", "/x"), "x");
	endpoint_spec_free(s);
}

/* The hosts a spec is about: its absolute server URLs' (no port, no userinfo, any case); a
 * relative URL, none, or a variable in the host make it every host; inventory.spec-hosts
 * replaces the scope. */
static void test_hosts(void **state)
{
	endpoint_spec_t *s = load_text("openapi: 3.0.0\n"
				       "info: {title: t, version: '1'}\n"
				       "servers:\n"
				       "  - url: https://user@API.Example.test:8443/v2\n"
				       "  - url: http://[::1]:8080/\n"
				       "  - url: '{scheme}://b.example.test/'\n"
				       "    variables: {scheme: {default: https}}\n"
				       "paths:\n"
				       "  /x: {get: {operationId: x}}\n");
	const char *h;
	size_t n = 0;
	char ebuf[160];

	(void)state;
	assert_int_equal(endpoint_spec_info(s)->hosts, 3);
	h = endpoint_spec_host(s, 0, &n);
	assert_int_equal(n, strlen("api.example.test"));
	assert_memory_equal(h, "api.example.test", n);
	assert_true(endpoint_spec_covers_host(s, sl("api.example.test")));
	assert_true(endpoint_spec_covers_host(s, sl("b.example.test")));
	assert_true(endpoint_spec_covers_host(s, sl("[::1]")));
	assert_false(endpoint_spec_covers_host(s, sl("other.example.test")));
	assert_false(endpoint_spec_covers_host(s, sl("api.example.test.evil")));
	/* The setting replaces the scope; '*' is every host; empty names are refused. */
	assert_int_equal(
		endpoint_spec_set_hosts(s, " Other.example.test , c.test", ebuf, sizeof(ebuf)), 0);
	assert_true(endpoint_spec_covers_host(s, sl("other.example.test")));
	assert_true(endpoint_spec_covers_host(s, sl("c.test")));
	assert_false(endpoint_spec_covers_host(s, sl("api.example.test")));
	assert_int_equal(endpoint_spec_set_hosts(s, "*", ebuf, sizeof(ebuf)), 0);
	assert_true(endpoint_spec_covers_host(s, sl("anything.test")));
	assert_null(endpoint_spec_host(s, 0, &n));
	assert_int_equal(endpoint_spec_set_hosts(s, "a.test,,b.test", ebuf, sizeof(ebuf)), -1);
	assert_non_null(strstr(ebuf, "empty host name"));
	assert_int_equal(endpoint_spec_check_hosts("a, b", ebuf, sizeof(ebuf)), 0);
	endpoint_spec_free(s);

	/* A relative server URL: every host. So is a variable in the host. */
	s = load_text("openapi: 3.0.0\ninfo: {title: t, version: '1'}\n"
		      "servers: [{url: 'https://a.test/'}, {url: /v1}]\n"
		      "paths: {/x: {get: {operationId: x}}}\n");
	assert_int_equal(endpoint_spec_info(s)->hosts, 0);
	assert_true(endpoint_spec_covers_host(s, sl("z.test")));
	endpoint_spec_free(s);
	s = load_text("openapi: 3.0.0\ninfo: {title: t, version: '1'}\n"
		      "servers: [{url: 'https://{tenant}.api.test/'}]\n"
		      "paths: {/x: {get: {operationId: x}}}\n");
	assert_true(endpoint_spec_covers_host(s, sl("acme.api.test")));
	endpoint_spec_free(s);
}

/* ------------------------------------------------------------------------------------------ */
/* Matching */

static void test_match(void **state)
{
	endpoint_spec_t *s = load(SPECS "petstore.yaml");
	endpoint_spec_route_t r;

	(void)state;
	assert_string_equal(op_id(s, "GET", "/api/v1/pets"), "listPets");
	assert_string_equal(op_id(s, "GET", "/api/v1/pets/"), "listPets");
	assert_string_equal(op_id(s, "GET", "//api//v1/pets"), "listPets");
	assert_string_equal(op_id(s, "POST", "/live/v1/pets"), "createPet");
	assert_string_equal(op_id(s, "GET", "/staging/v1/pets"), "listPets");
	/* The literal path wins over the template, for the methods it has. */
	assert_string_equal(op_id(s, "GET", "/api/v1/pets/mine"), "myPets");
	assert_string_equal(op_id(s, "GET", "/api/v1/pets/42"), "getPet");
	assert_string_equal(op_id(s, "DELETE", "/api/v1/pets/mine"), "deletePet");
	assert_string_equal(op_id(s, "GET", "/api/v1/pets/7/photos/a1.png"), "getPhoto");
	assert_string_equal(op_id(s, "GET", "/api/v1/pets/7/photos/a.b.jpg"), "getPhoto");
	assert_string_equal(op_id(s, "GET", "/api/v1/pets/7/photos/a1"), "-");
	assert_string_equal(op_id(s, "GET", "/api/v1/pets/7/photos/.png"), "-");
	assert_string_equal(op_id(s, "GET", "/api/v1/Pets"), "-"); /* paths are case-sensitive */
	assert_string_equal(op_id(s, "get", "/api/v1/pets"), "-"); /* so are methods */
	assert_string_equal(op_id(s, "GET", "/api/v1"), "-");
	assert_string_equal(op_id(s, "GET", "/api/v1/pets/1/2"), "-");

	endpoint_spec_route(s, &r, sl("POST"), sl("/api/v1/pets/mine"), 0);
	assert_null(r.op);
	assert_int_equal(r.flags, ENDPOINT_SPEC_R_PATH); /* declared path, undeclared method */
	endpoint_spec_route(s, &r, sl("PROPFIND"), sl("/api/v1/pets"), 0);
	assert_null(r.op);
	assert_int_equal(r.flags, ENDPOINT_SPEC_R_PATH);
	endpoint_spec_route(s, &r, sl("GET"), sl("/api/v1/nothing"), 0);
	assert_int_equal(r.flags, 0);
	endpoint_spec_route(s, &r, sl("GET"), sl("/pets"), 0);
	assert_int_equal(r.flags, ENDPOINT_SPEC_R_NO_BASE);
	endpoint_spec_free(s);
}

static void test_match_template(void **state)
{
	endpoint_spec_t *s = load(SPECS "petstore.yaml");

	(void)state;
	assert_string_equal(tmpl_id(s, "GET", "/api/v1/pets/{petId}"), "getPet");
	assert_string_equal(tmpl_id(s, "GET", "/api/v1/pets/{id}"), "getPet");
	assert_string_equal(tmpl_id(s, "DELETE", "/api/v1/pets/{param}"), "deletePet");
	/* A learned literal still goes the concrete way. */
	assert_string_equal(tmpl_id(s, "GET", "/api/v1/pets/mine"), "myPets");
	assert_string_equal(tmpl_id(s, "GET", "/api/v1/pets/12"), "getPet");
	/* A learned parameter never matches a declared literal... */
	assert_string_equal(tmpl_id(s, "GET", "/api/v1/{x}"), "-");
	assert_string_equal(tmpl_id(s, "GET", "/{a}/v1/pets"), "-");
	/* ... matches a segment with a parameter inside, and the catch-all matches nothing. */
	assert_string_equal(tmpl_id(s, "GET", "/api/v1/pets/{petId}/photos/{file}"), "getPhoto");
	assert_string_equal(tmpl_id(s, "GET", "/{*}"), "-");
	assert_string_equal(tmpl_id(s, "GET", "/api/v1/pets/{*}"), "-");
	/* Braces in a concrete path are just bytes. */
	assert_string_equal(op_id(s, "GET", "/api/v1/pets/{petId}"), "getPet");
	endpoint_spec_free(s);
}

static void test_match_hostile_paths(void **state)
{
	char path[8192], *text = malloc(1 << 17);
	endpoint_spec_t *s;
	endpoint_spec_route_t r;
	size_t o;
	int i, k;

	(void)state;
	/* Every combination of a literal and a parameter over 10 segments: 1024 operations, and
	 * a path that fails at the last segment would try them all without the visit cap. */
	o = (size_t)sprintf(text, HEAD "paths:\n");
	for (i = 0; i < 1024; i++) {
		o += (size_t)sprintf(text + o, "  \"");
		for (k = 0; k < 10; k++)
			o += (size_t)sprintf(text + o, "%s", (i >> k) & 1 ? "/{p}" : "/a");
		o += (size_t)sprintf(text + o, "/z\": {get: {operationId: o%d}}\n", i);
	}
	s = load_text(text);
	assert_int_equal(endpoint_spec_op_count(s), 1024);
	assert_string_equal(op_id(s, "GET", "/a/a/a/a/a/a/a/a/a/a/z"), "o0");
	assert_string_equal(op_id(s, "GET", "/b/a/a/a/a/a/a/a/a/a/z"), "o1");
	assert_string_equal(op_id(s, "GET", "/b/b/b/b/b/b/b/b/b/b/z"), "o1023");
	endpoint_spec_route(s, &r, sl("GET"), sl("/a/a/a/a/a/a/a/a/a/a/q"), 0);
	assert_null(r.op);
	assert_true(r.flags & ENDPOINT_SPEC_R_TOO_LONG);
	o = 0;
	for (i = 0; i < 2000; i++)
		o += (size_t)snprintf(path + o, sizeof(path) - o, "/a");
	endpoint_spec_route(s, &r, sl("GET"), sl(path), 0);
	assert_null(r.op);
	assert_true(r.flags & ENDPOINT_SPEC_R_TOO_LONG);
	endpoint_spec_route(s, &r, sl("GET"), sl(""), 0);
	assert_null(r.op);
	endpoint_spec_free(s);
	free(text);
}

/* ------------------------------------------------------------------------------------------ */
/* Checking calls */

#define RID "X-Request-Id: 0b8e8f8e-3c1a-4f6e-9a4b-2d3c4e5f6a7b"

static void test_check_parameters(void **state)
{
	endpoint_spec_t *s = load(SPECS "petstore.yaml");

	(void)state;
	assert_int_equal(
		check(s, "GET", "/api/v1/pets?limit=10&species=cat&tags=a&tags=b", RID, NULL, NULL),
		0);
	assert_int_equal(res.count, 0);
	assert_int_equal(res.first_kind, ENDPOINT_SPEC_V__COUNT);
	assert_string_equal(endpoint_spec_result_first(&res, NULL), "");

	/* unknown_parameter */
	assert_int_equal(check(s, "GET", "/api/v1/pets?limit=1&fo%6F=1&bar", RID, NULL, NULL),
			 V(UNKNOWN_PARAMETER));
	assert_string_equal(NAME(UNKNOWN_PARAMETER), "foo");
	assert_int_equal(res.count, 2);
	/* missing_parameter (header) */
	assert_int_equal(check(s, "GET", "/api/v1/pets", NULL, NULL, NULL), V(MISSING_PARAMETER));
	assert_string_equal(NAME(MISSING_PARAMETER), "X-Request-Id");
	assert_int_equal(check(s, "GET", "/api/v1/pets",
			       "x-request-id: 0b8e8f8e-3c1a-4f6e-9a4b-2d3c4e5f6a7b", NULL, NULL),
			 0);
	/* parameter_type: integer, range, enum, format */
	assert_int_equal(check(s, "GET", "/api/v1/pets?limit=ten", RID, NULL, NULL),
			 V(PARAMETER_TYPE));
	assert_string_equal(NAME(PARAMETER_TYPE), "limit");
	assert_int_equal(check(s, "GET", "/api/v1/pets?limit=0", RID, NULL, NULL),
			 V(PARAMETER_TYPE));
	assert_int_equal(check(s, "GET", "/api/v1/pets?limit=101", RID, NULL, NULL),
			 V(PARAMETER_TYPE));
	assert_int_equal(check(s, "GET", "/api/v1/pets?limit=100", RID, NULL, NULL), 0);
	assert_int_equal(check(s, "GET", "/api/v1/pets?limit=1.5", RID, NULL, NULL),
			 V(PARAMETER_TYPE));
	assert_int_equal(check(s, "GET", "/api/v1/pets?species=fish", RID, NULL, NULL),
			 V(PARAMETER_TYPE));
	assert_string_equal(NAME(PARAMETER_TYPE), "species");
	assert_int_equal(check(s, "GET", "/api/v1/pets", "X-Request-Id: 12345", NULL, NULL),
			 V(PARAMETER_TYPE));
	assert_string_equal(NAME(PARAMETER_TYPE), "X-Request-Id");
	/* Path parameters. */
	assert_int_equal(check(s, "GET", "/api/v1/pets/42", NULL, NULL, NULL), 0);
	assert_int_equal(check(s, "GET", "/api/v1/pets/abc", NULL, NULL, NULL), V(PARAMETER_TYPE));
	assert_string_equal(NAME(PARAMETER_TYPE), "petId");
	assert_int_equal(check(s, "GET", "/live/v1/pets/0", NULL, NULL, NULL), V(PARAMETER_TYPE));
	/* Query booleans and deepObject. */
	assert_int_equal(
		check(s, "POST", "/api/v1/orders?dryRun=true&filter%5Bstatus%5D=open", NULL,
		      "application/json",
		      "{\"customer\": \"c\", \"items\": [{\"sku\": \"a\", \"quantity\": 2}]}"),
		0);
	assert_int_equal(check(s, "POST", "/api/v1/orders?dryRun=maybe", NULL, "application/json",
			       "{\"customer\": \"c\", \"items\": []}"),
			 V(PARAMETER_TYPE));
	assert_string_equal(NAME(PARAMETER_TYPE), "dryRun");
	/* Several kinds at once; names are per kind, the first is remembered. */
	assert_int_equal(check(s, "GET", "/api/v1/pets?limit=x&zzz=1", NULL, NULL, NULL),
			 V(PARAMETER_TYPE) | V(UNKNOWN_PARAMETER) | V(MISSING_PARAMETER));
	{
		unsigned kind;

		assert_string_equal(endpoint_spec_result_first(&res, &kind), "limit");
		assert_int_equal(kind, ENDPOINT_SPEC_V_PARAMETER_TYPE);
	}
	endpoint_spec_free(s);
}

static void test_check_cookie_and_body_required(void **state)
{
	endpoint_spec_t *s = load(SPECS "petstore.yaml");
	const char *uuid = "/api/v1/owners/0b8e8f8e-3c1a-4f6e-9a4b-2d3c4e5f6a7b";

	(void)state;
	assert_int_equal(check(s, "PUT", uuid, "Cookie: a=1; session=xyz", "application/json",
			       "{\"email\": \"o@example.test\"}"),
			 0);
	assert_int_equal(check(s, "PUT", uuid, "Cookie: a=1", "application/json",
			       "{\"email\": \"o@example.test\"}"),
			 V(MISSING_PARAMETER));
	assert_string_equal(NAME(MISSING_PARAMETER), "session");
	assert_int_equal(check(s, "PUT", uuid, "Cookie: session=1", NULL, NULL),
			 V(MISSING_PARAMETER));
	assert_string_equal(NAME(MISSING_PARAMETER), "requestBody");
	assert_int_equal(check(s, "PUT", "/api/v1/owners/not-a-uuid", "Cookie: session=1",
			       "application/json", "{\"email\": \"o@example.test\"}"),
			 V(PARAMETER_TYPE));
	assert_string_equal(NAME(PARAMETER_TYPE), "ownerId");
	/* A declared form body is not checked as JSON. */
	assert_int_equal(check(s, "PUT", uuid, "Cookie: session=1",
			       "application/x-www-form-urlencoded; charset=utf-8", "email=x"),
			 0);
	assert_false(res.flags & ENDPOINT_SPEC_C_BODY_CHECKED);
	endpoint_spec_free(s);
}

static unsigned pet(const endpoint_spec_t *s, const char *body)
{
	return check(s, "POST", "/api/v1/pets", NULL, "application/json", body);
}

static void test_check_body(void **state)
{
	endpoint_spec_t *s = load(SPECS "petstore.yaml");

	(void)state;
	assert_int_equal(pet(s, "{\"name\": \"Rex\", \"species\": \"dog\"}"), 0);
	assert_true(res.flags & ENDPOINT_SPEC_C_BODY_CHECKED);
	assert_int_equal(pet(s, " {\"name\":\"Rex\",\"species\":\"cat\",\"born\":\"2020-02-29\","
				"\"weight\":null,\"chip\":\"0b8e8f8e-3c1a-4f6e-9a4b-2d3c4e5f6a7b\","
				"\"tags\":[\"a\",\"b\"],\"owner\":{\"email\":\"o@x.test\"}}\r\n"),
			 0);
	/* body_type: enum, format, type, arrays, nested, the body itself */
	assert_int_equal(pet(s, "{\"name\": \"Rex\", \"species\": \"fish\"}"), V(BODY_TYPE));
	assert_string_equal(NAME(BODY_TYPE), "species");
	assert_int_equal(
		pet(s, "{\"name\": \"Rex\", \"species\": \"cat\", \"born\": \"2021-02-29\"}"),
		V(BODY_TYPE));
	assert_string_equal(NAME(BODY_TYPE), "born");
	assert_int_equal(pet(s, "{\"name\": 7, \"species\": \"cat\"}"), V(BODY_TYPE));
	assert_string_equal(NAME(BODY_TYPE), "name");
	assert_int_equal(pet(s, "{\"name\": \"R\", \"species\": \"cat\", \"weight\": \"9\"}"),
			 V(BODY_TYPE));
	assert_int_equal(pet(s, "{\"name\": \"R\", \"species\": \"cat\", \"weight\": 9.5}"), 0);
	assert_int_equal(pet(s, "{\"name\": \"R\", \"species\": \"cat\", \"tags\": [\"a\", 1]}"),
			 V(BODY_TYPE));
	assert_string_equal(NAME(BODY_TYPE), "tags[]");
	assert_int_equal(pet(s, "{\"name\": \"R\", \"species\": \"cat\", \"owner\": {\"email\": "
				"\"nobody\"}}"),
			 V(BODY_TYPE));
	assert_string_equal(NAME(BODY_TYPE), "owner.email");
	assert_int_equal(pet(s, "[1, 2]"), V(BODY_TYPE));
	assert_string_equal(NAME(BODY_TYPE), "$");
	/* missing_property, unknown_property (additionalProperties: false) */
	assert_int_equal(pet(s, "{\"name\": \"Rex\"}"), V(MISSING_PROPERTY));
	assert_string_equal(NAME(MISSING_PROPERTY), "species");
	assert_int_equal(pet(s, "{}"), V(MISSING_PROPERTY));
	assert_int_equal(res.count, 2);
	assert_int_equal(
		pet(s, "{\"name\": \"R\", \"species\": \"cat\", \"colour\": {\"a\": [1]}}"),
		V(UNKNOWN_PROPERTY));
	assert_string_equal(NAME(UNKNOWN_PROPERTY), "colour");
	/* An escaped key is compared decoded. */
	assert_int_equal(pet(s, "{\"n\\u0061me\": \"R\", \"species\": \"cat\"}"),
			 V(UNKNOWN_PROPERTY) | V(MISSING_PROPERTY));
	assert_int_equal(pet(s, "{\"na\\/me\": \"R\", \"species\": \"cat\"}"),
			 V(UNKNOWN_PROPERTY) | V(MISSING_PROPERTY));
	assert_string_equal(NAME(UNKNOWN_PROPERTY), "na/me");
	/* body_not_json, and nothing else from such a body */
	assert_int_equal(pet(s, "name=Rex&species=cat"), V(BODY_NOT_JSON));
	assert_int_equal(res.count, 1);
	assert_int_equal(pet(s, "{\"name\": \"Rex\", \"species\": \"fish\",}"), V(BODY_NOT_JSON));
	assert_int_equal(pet(s, "{\"name\": \"Rex\"} {}"), V(BODY_NOT_JSON));
	assert_int_equal(pet(s, "{\"name\": \"Rex\""), V(BODY_NOT_JSON));
	assert_int_equal(pet(s, "{\"name\": tru}"), V(BODY_NOT_JSON));
	assert_int_equal(pet(s, "{\"name\": \"a\x01\"}"), V(BODY_NOT_JSON));
	assert_int_equal(check(s, "POST", "/api/v1/pets", NULL, "text/plain", "hello"),
			 V(BODY_NOT_JSON));
	assert_string_equal(NAME(BODY_NOT_JSON), "$");
	endpoint_spec_free(s);
}

static void test_check_body_partial_and_deep(void **state)
{
	endpoint_spec_t *s = load(SPECS "petstore.yaml"), *lib = load(SPECS "library.json");
	api_call_t *c;
	const endpoint_spec_op_t *op;
	char deep[4096];
	size_t o = 0;
	int i;

	(void)state;
	/* A body cut by the limit: checked as far as it goes, no not-JSON, no missing keys. */
	c = call("POST", "/api/v1/pets", NULL, "application/json",
		 "{\"name\": 5, \"species\": \"cat\", \"owner\": {\"na");
	c->flags |= API_CALL_F_REQ_BODY_CUT;
	op = endpoint_spec_match(s, c->method, c->path);
	assert_int_equal(endpoint_spec_check(s, &res, op, c), V(BODY_TYPE));
	assert_true(res.flags & ENDPOINT_SPEC_C_BODY_PARTIAL);
	api_call_release(c);

	/* Recursive chapters 60 deep: values past the depth cap are skipped, not a failure. */
	o += (size_t)snprintf(deep, sizeof(deep), "{\"title\": \"t\", \"chapters\": [");
	for (i = 0; i < 60; i++)
		o += (size_t)snprintf(deep + o, sizeof(deep) - o, "{\"title\": \"c\", \"sub\": [");
	for (i = 0; i < 60; i++)
		o += (size_t)snprintf(deep + o, sizeof(deep) - o, "]}");
	snprintf(deep + o, sizeof(deep) - o, "]}");
	assert_int_equal(check(lib, "POST", "/books", NULL, "application/json", deep), 0);
	assert_true(res.flags & ENDPOINT_SPEC_C_BODY_DEEP);
	/* 3.1: type lists, const, oneOf left unchecked. */
	assert_int_equal(check(lib, "POST", "/books", NULL, "application/json",
			       "{\"title\": \"t\", \"year\": null, \"format\": \"paper\", "
			       "\"meta\": [true]}"),
			 0);
	assert_int_equal(check(lib, "POST", "/books", NULL, "application/json",
			       "{\"title\": \"t\", \"year\": 1999.5}"),
			 V(BODY_TYPE));
	assert_int_equal(check(lib, "POST", "/books", NULL, "application/json",
			       "{\"title\": \"t\", \"format\": \"ebook\"}"),
			 V(BODY_TYPE));
	assert_string_equal(NAME(BODY_TYPE), "format");
	/* Comma-separated arrays (explode: false) and 3.1 exclusiveMinimum. */
	assert_int_equal(check(lib, "GET", "/books?ids=1,2,3&page=1", NULL, NULL, NULL), 0);
	assert_int_equal(check(lib, "GET", "/books?ids=1,x", NULL, NULL, NULL), V(PARAMETER_TYPE));
	assert_int_equal(check(lib, "GET", "/books?page=0", NULL, NULL, NULL), V(PARAMETER_TYPE));
	endpoint_spec_free(s);
	endpoint_spec_free(lib);
}

static void test_check_allof(void **state)
{
	endpoint_spec_t *s = load(SPECS "petstore.yaml");

	(void)state;
	assert_int_equal(check(s, "POST", "/api/v1/orders", NULL, "application/json",
			       "{\"items\": [{\"sku\": \"a\", \"quantity\": 2}]}"),
			 V(MISSING_PROPERTY));
	assert_string_equal(NAME(MISSING_PROPERTY), "customer");
	assert_int_equal(check(s, "POST", "/api/v1/orders", NULL, "application/json",
			       "{\"customer\": \"c\", \"placed\": \"2024-01-31T10:00:00.5+01:00\", "
			       "\"items\": [{\"sku\": \"a\", \"quantity\": 2, \"gift\": true}]}"),
			 V(UNKNOWN_PROPERTY));
	assert_string_equal(NAME(UNKNOWN_PROPERTY), "items[].gift");
	assert_int_equal(
		check(s, "POST", "/api/v1/orders", NULL, "application/json",
		      "{\"customer\": \"c\", \"items\": [{\"sku\": \"a\", \"quantity\": 100}]}"),
		V(BODY_TYPE));
	assert_string_equal(NAME(BODY_TYPE), "items[].quantity");
	assert_int_equal(check(s, "POST", "/api/v1/orders", NULL, "application/json",
			       "{\"customer\": \"c\", \"placed\": \"yesterday\", \"items\": []}"),
			 V(BODY_TYPE));
	assert_string_equal(NAME(BODY_TYPE), "placed");
	endpoint_spec_free(s);
}

static void test_names(void **state)
{
	static const char *const want[] = {
		"unknown_parameter", "missing_parameter", "parameter_type",  "body_not_json",
		"body_type",	     "unknown_property",  "missing_property"};
	unsigned i;

	(void)state;
	for (i = 0; i < ENDPOINT_SPEC_V__COUNT; i++)
		assert_string_equal(endpoint_spec_violation_name(i), want[i]);
	assert_string_equal(endpoint_spec_violation_name(ENDPOINT_SPEC_V__COUNT), "unknown");
}

/* ------------------------------------------------------------------------------------------ */
/* Hostile and broken specs */

static void expect_error(const char *text, int code, const char *what)
{
	int rc = load_bad(text, NULL);

	if (rc != code || !strstr(err, what))
		fail_msg("got %s '%s', want %s with '%s'", error_name(rc), err, error_name(code),
			 what);
	assert_true(strncmp(err, "t.yaml", 6) == 0);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("", AW_EMALFORMED, "empty file");
	expect_error("  \n\t\n", AW_EMALFORMED, "empty file");
	expect_error("# only a comment\n", AW_EMALFORMED, "empty document");
	{
		endpoint_spec_t *s = NULL;

		assert_int_equal(endpoint_spec_load_mem(&s, "t.bin", "a: b\n\0c: d\n", 11, NULL,
							&acct, err, sizeof(err)),
				 AW_EMALFORMED);
		assert_string_equal(err, "t.bin: not a text file (NUL byte)");
	}
	expect_error("openapi: 3.0.0\npaths: [x\n", AW_EMALFORMED, "t.yaml:3:1: not valid YAML");
	expect_error("{\"openapi\": \"3.0.0\", \"paths\": {\"/x\": }}", AW_EMALFORMED,
		     "t.yaml:1:38: not valid JSON");
	expect_error("- a\n- b\n", AW_EMALFORMED, "top level is not a mapping");
	expect_error("title: nothing\n", AW_EMALFORMED, "no 'openapi' version");
	expect_error("swagger: '2.0'\n", AW_ENOTSUP, "Swagger 2.0");
	expect_error("openapi: 2.5.0\n", AW_ENOTSUP, "not 3.x");
	expect_error(HEAD "paths: [a]\n", AW_EMALFORMED, "#/paths: 'paths' must be a mapping");
	expect_error(HEAD "paths:\n  x: {}\n", AW_EMALFORMED, "t.yaml:4:6: #/paths/x: a path");
	expect_error(HEAD "paths:\n  /x: {get: {parameters: {}}}\n", AW_EMALFORMED,
		     "'parameters' must be a list");
	expect_error(HEAD "paths:\n  /x: {get: {parameters: [{name: q}]}}\n", AW_EMALFORMED,
		     "#/paths/~1x/get/parameters/0: a parameter needs 'name' and 'in'");
	expect_error(HEAD "paths:\n  /x: {get: {deprecated: yes please}}\n", AW_EMALFORMED,
		     "'deprecated' must be true or false");
	expect_error(HEAD "paths:\n  /x:\n    post:\n      requestBody:\n        content:\n"
			  "          application/json: {schema: {type: integre}}\n",
		     AW_EMALFORMED, "unknown type 'integre'");
	expect_error(HEAD "paths:\n  /x: {post: {requestBody: {content: {application/json: "
			  "{schema: {properties: [a]}}}}}}\n",
		     AW_EMALFORMED, "'properties' must be a mapping");
	expect_error(HEAD "paths:\n  /x: {get: {parameters: [{name: q, in: query, schema: "
			  "{minimum: low}}]}}\n",
		     AW_EMALFORMED, "'minimum' must be a number");
	expect_error(HEAD "paths:\n  /x/{id: {get: {}}\n", AW_EMALFORMED, "unclosed '{'");
	expect_error(HEAD "paths:\n  /x/{}: {get: {}}\n", AW_EMALFORMED, "bad template segment");
	expect_error(HEAD "paths:\n  /x: {get: {parameters: [{$ref: '#/components/nope'}]}}\n",
		     AW_EMALFORMED, "$ref '#/components/nope' does not resolve");
	expect_error(HEAD "servers: {url: /v1}\npaths: {}\n", AW_EMALFORMED,
		     "'servers' must be a list");
	expect_error(HEAD "x-a: *nothing\n", AW_EMALFORMED, "unknown YAML anchor");
	expect_error(HEAD "x-a: &a {b: 1}\nx-b: {<<: *a}\n", AW_ENOTSUP, "merge keys");
	expect_error(HEAD "---\n" HEAD, AW_EMALFORMED, "more than one YAML document");
	expect_error(HEAD "? [a]\n: b\n", AW_EMALFORMED, "a mapping key must be a scalar");
}

static void test_error_files(void **state)
{
	endpoint_spec_t *s = NULL;
	int rc;

	(void)state;
	rc = endpoint_spec_load_file(&s, SPECS "ref-loop.yaml", NULL, &acct, err, sizeof(err));
	assert_int_equal(rc, AW_ELIMIT);
	assert_non_null(strstr(err, "ref-loop.yaml:14:15: #/components/schemas/B: $ref chain"));
	assert_non_null(strstr(err, "$ref chain longer than 32"));
	rc = endpoint_spec_load_file(&s, SPECS "swagger2.yaml", NULL, &acct, err, sizeof(err));
	assert_int_equal(rc, AW_ENOTSUP);
	rc = endpoint_spec_load_file(&s, SPECS "bad-in.yaml", NULL, &acct, err, sizeof(err));
	assert_int_equal(rc, AW_EMALFORMED);
	assert_non_null(
		strstr(err, "bad-in.yaml:8:15: #/paths/~1x/get/parameters/0: 'in' must be"));
	rc = endpoint_spec_load_file(&s, SPECS "not-yaml.yaml", NULL, &acct, err, sizeof(err));
	assert_int_equal(rc, AW_EMALFORMED);
	assert_non_null(strstr(err, "not-yaml.yaml:4:"));
	rc = endpoint_spec_load_file(&s, SPECS "no-such-file.yaml", NULL, &acct, err, sizeof(err));
	assert_int_equal(rc, AW_ENOENT);
	assert_non_null(strstr(err, "No such file"));
	rc = endpoint_spec_load_file(&s, SPECS, NULL, &acct, err, sizeof(err));
	assert_int_equal(rc, AW_EIO);
	assert_null(s);
	assert_int_equal(acct.in_use, 0);
}

static void test_limits(void **state)
{
	endpoint_spec_limits_t lim;
	char *text;
	size_t o = 0;
	int i;

	(void)state;
	endpoint_spec_limits_default(&lim);
	lim.max_file = 64;
	assert_int_equal(load_bad(HEAD "paths: {/x: {get: {}}}\nx-pad: 0123456789\n", &lim),
			 AW_ELIMIT);
	assert_non_null(strstr(err, "larger than 64 bytes"));

	endpoint_spec_limits_default(&lim);
	lim.max_operations = 2;
	assert_int_equal(load_bad(HEAD "paths: {/a: {get: {}, put: {}}, /b: {get: {}}}\n", &lim),
			 AW_ELIMIT);
	assert_non_null(strstr(err, "more than 2 operations"));

	endpoint_spec_limits_default(&lim);
	lim.max_nodes = 20;
	assert_int_equal(load_bad(HEAD "paths: {/a: {get: {}, put: {}}, /b: {get: {x: [1, 2, 3, "
				       "4, 5, 6, 7, 8, 9]}}}\n",
				  &lim),
			 AW_ELIMIT);
	assert_non_null(strstr(err, "more than 20 nodes"));

	endpoint_spec_limits_default(&lim);
	lim.max_schema_depth = 3;
	assert_int_equal(load_bad(HEAD "paths: {/a: {post: {requestBody: {content: "
				       "{application/json: {schema: {items: {items: {items: "
				       "{items: {}}}}}}}}}}}\n",
				  &lim),
			 AW_ELIMIT);
	assert_non_null(strstr(err, "schemas nested deeper than 3"));

	/* Deep nesting, YAML and JSON: an error, no stack trouble. */
	text = malloc(200000);
	for (i = 0; i < 50000; i++)
		text[o++] = '[';
	text[o] = '\0';
	assert_int_equal(load_bad(text, NULL), AW_ELIMIT);
	assert_non_null(strstr(err, "nesting deeper than 128"));
	o = (size_t)sprintf(text, "{\"openapi\": \"3.0.0\", \"x\": ");
	for (i = 0; i < 1000; i++)
		o += (size_t)sprintf(text + o, "{\"a\": ");
	o += (size_t)sprintf(text + o, "1");
	for (i = 0; i < 1000; i++)
		text[o++] = '}';
	text[o++] = '}';
	text[o] = '\0';
	assert_int_equal(load_bad(text, NULL), AW_ELIMIT);
	assert_non_null(strstr(err, "nesting deeper than 128"));
	free(text);
}

static void test_alias_bomb(void **state)
{
	/* Nine levels of ten aliases: a billion schemas if expanded, ten as a DAG. */
	char text[4096];
	endpoint_spec_t *s;
	size_t o;
	int i, k;

	(void)state;
	o = (size_t)snprintf(text, sizeof(text),
			     HEAD "x-0: &a0 {type: object, properties: {leaf: {type: integer}}}\n");
	for (i = 1; i < 10; i++) {
		o += (size_t)snprintf(text + o, sizeof(text) - o,
				      "x-%d: &a%d {type: object, properties: {", i, i);
		for (k = 0; k < 10; k++)
			o += (size_t)snprintf(text + o, sizeof(text) - o, "%sp%d: *a%d",
					      k ? ", " : "", k, i - 1);
		o += (size_t)snprintf(text + o, sizeof(text) - o, "}}\n");
	}
	snprintf(text + o, sizeof(text) - o,
		 "paths:\n  /x: {post: {requestBody: {content: {application/json: {schema: "
		 "*a9}}}}}\n");
	s = load_text(text);
	assert_true(endpoint_spec_info(s)->schemas <= 12);
	assert_int_equal(check(s, "POST", "/x", NULL, "application/json",
			       "{\"p3\": {\"p9\": {\"p0\": {\"p1\": {\"p2\": {\"p3\": "
			       "{\"p4\": {\"p5\": {\"p6\": {\"leaf\": \"x\"}}}}}}}}}}"),
			 V(BODY_TYPE));
	assert_string_equal(NAME(BODY_TYPE), "p3.p9.p0.p1.p2.p3.p4.p5.p6.leaf");
	endpoint_spec_free(s);
}

static void test_yaml_aliases_shared(void **state)
{
	endpoint_spec_t *s = load_text(HEAD "x-params: &p\n"
					    "  - {name: q, in: query, schema: {type: integer}}\n"
					    "paths:\n"
					    "  /a: {get: {operationId: a, parameters: *p}}\n"
					    "  /b: {get: {operationId: b, parameters: *p}}\n");

	(void)state;
	assert_int_equal(check(s, "GET", "/a?q=1", NULL, NULL, NULL), 0);
	assert_int_equal(check(s, "GET", "/b?q=x", NULL, NULL, NULL), V(PARAMETER_TYPE));
	endpoint_spec_free(s);
}

/* ------------------------------------------------------------------------------------------ */
/* Cost of a match */

static void test_match_speed(void **state)
{
	static const char *const words[] = {"users",	 "orders",  "items",   "carts",	 "invoices",
					    "shipments", "reviews", "coupons", "stores", "reports"};
	char *text = malloc(1 << 16), paths[4][64];
	endpoint_spec_t *s;
	struct timespec t0, t1;
	size_t o;
	int i, n = 0;
	const int rounds = 400000;
	double ns;

	(void)state;
	o = (size_t)sprintf(text, HEAD "servers: [{url: /api/v1}]\npaths:\n");
	/* 100 operations: 10 resources x (collection get/post, item get/put/delete, 5 subs). */
	for (i = 0; i < 10; i++) {
		const char *w = words[i];

		o += (size_t)sprintf(text + o, "  /%s: {get: {}, post: {}}\n", w);
		o += (size_t)sprintf(text + o, "  /%s/{id}: {get: {}, put: {}, delete: {}}\n", w);
		o += (size_t)sprintf(text + o, "  /%s/{id}/history: {get: {}}\n", w);
		o += (size_t)sprintf(text + o, "  /%s/{id}/notes/{noteId}: {get: {}, patch: {}}\n",
				     w);
		o += (size_t)sprintf(text + o, "  /%s/search: {get: {}}\n", w);
		o += (size_t)sprintf(text + o, "  /%s/{id}/export.{fmt}: {get: {}}\n", w);
	}
	s = load_text(text);
	assert_int_equal(endpoint_spec_op_count(s), 100);
	snprintf(paths[0], 64, "/api/v1/orders/4711");
	snprintf(paths[1], 64, "/api/v1/reviews/99/notes/12");
	snprintf(paths[2], 64, "/api/v1/users/search");
	snprintf(paths[3], 64, "/api/v1/stores/42/export.csv");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < rounds; i++)
		n += endpoint_spec_match(s, sl("GET"), sl(paths[i & 3])) != NULL;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(n, rounds);
	ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / rounds;
	printf("endpoint_spec_match: %.0f ns per call on a 100-operation spec\n", ns);
	/* The target is 200 ns in a release build; the bound leaves room for sanitizers. */
	assert_true(ns < 5000);
	endpoint_spec_free(s);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_yaml),
		cmocka_unit_test(test_load_json),
		cmocka_unit_test(test_json_long_key_tabs),
		cmocka_unit_test(test_refs_and_recursion),
		cmocka_unit_test(test_external_refs),
		cmocka_unit_test(test_bases),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_match_template),
		cmocka_unit_test(test_match_hostile_paths),
		cmocka_unit_test(test_check_parameters),
		cmocka_unit_test(test_check_cookie_and_body_required),
		cmocka_unit_test(test_check_body),
		cmocka_unit_test(test_check_body_partial_and_deep),
		cmocka_unit_test(test_check_allof),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_error_files),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_alias_bomb),
		cmocka_unit_test(test_yaml_aliases_shared),
		cmocka_unit_test(test_match_speed),
		cmocka_unit_test(test_hosts),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * endpoint_openapi.c - the OpenAPI 3.0.3 export of the catalogue (--openapi), written at exit.
 *
 * One document for every host: `servers` lists the hosts, `paths` is keyed by endpoint
 * template, one operation per method. When one template and method were seen on several hosts
 * their facts are united into one operation, which then names its hosts in x-apiwatch-hosts
 * (whenever the document has more than one host). Path parameters take their names from the
 * template and a type from the values seen; query parameters, request bodies and responses per
 * status come from the schemas endpoint_schema.c inferred; security schemes from the
 * credentials seen, with the operation's `security` listing them (and `{}` when calls without
 * credentials were seen too). Everything is sorted, so the same traffic gives the same bytes.
 *
 * Not here: what was never observed (descriptions, examples, response headers) and any value of
 * a credential or of sensitive data.
 */
#include "endpoint_private.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#define ENDPOINT_OPENAPI_MAX (256u << 20) /* bytes of the document */
#define ENDPOINT_OPENAPI_CODES 64
#define ENDPOINT_OPENAPI_CTYPES 16
#define ENDPOINT_OPENAPI_SCHEMES 64
#define ENDPOINT_OPENAPI_NAME 80
#define ENDPOINT_OPENAPI_KEY 16384 /* longest path key renamed */

/* Security schemes: the kinds of credential principal.c tells apart. */
enum openapi_scheme_kind {
	OPENAPI_BEARER_JWT = 0,
	OPENAPI_BEARER,
	OPENAPI_BASIC,
	OPENAPI_APIKEY_HEADER,
	OPENAPI_APIKEY_QUERY,
	OPENAPI_COOKIE
};

typedef struct openapi_scheme {
	uint8_t kind;
	char param[PRINCIPAL_NAME_LEN]; /* header, query parameter or cookie name */
	char id[ENDPOINT_OPENAPI_NAME]; /* key in components.securitySchemes */
} openapi_scheme_t;

typedef struct openapi_doc {
	endpoint_catalog_t *cat;
	json_buf_t jb;
	size_t nhosts;
	uint32_t nschemes;
	openapi_scheme_t schemes[ENDPOINT_OPENAPI_SCHEMES];
} openapi_doc_t;

/* The operation being written: endpoints v[a..b) share template and method. */
typedef struct openapi_op {
	endpoint_t *const *v;
	size_t a, b;
} openapi_op_t;

static int openapi_cmp(const void *x, const void *y)
{
	const endpoint_t *p = *(endpoint_t *const *)x, *q = *(endpoint_t *const *)y;
	int c = strcmp(p->tpl->str, q->tpl->str);

	if (!c)
		c = strcmp(p->tpl->method, q->tpl->method);
	if (!c)
		c = strcmp(p->tpl->host, q->tpl->host);
	if (!c)
		c = p->id < q->id ? -1 : p->id > q->id;
	return c;
}

/* Hosts that name a server: not the overflow tree's "*", nor "-" (no Host header). */
static int openapi_real_host(const char *h)
{
	return strcmp(h, "*") != 0 && strcmp(h, "-") != 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Security schemes */

/* Component keys allow letters, digits, '.', '-' and '_' only. */
static void openapi_scheme_id(openapi_scheme_t *s)
{
	static const char *const prefix[] = {"bearerJwt",    "bearer",	    "basic",
					     "apiKeyHeader", "apiKeyQuery", "cookie"};
	size_t o, i;

	o = (size_t)snprintf(s->id, sizeof(s->id), "%s", prefix[s->kind]);
	if (!s->param[0])
		return;
	s->id[o++] = '_';
	for (i = 0; s->param[i] && o + 1 < sizeof(s->id); i++) {
		char c = s->param[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			 (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';

		s->id[o++] = ok ? c : '_';
	}
	s->id[o] = '\0';
}

/* The scheme of a kind and name, added when new; NULL when the table is full. */
static const openapi_scheme_t *openapi_scheme(openapi_doc_t *d, unsigned kind, const char *param)
{
	openapi_scheme_t *s;
	uint32_t i;

	for (i = 0; i < d->nschemes; i++)
		if (d->schemes[i].kind == kind && strcmp(d->schemes[i].param, param) == 0)
			return &d->schemes[i];
	if (d->nschemes >= ENDPOINT_OPENAPI_SCHEMES)
		return NULL;
	s = &d->schemes[d->nschemes++];
	s->kind = (uint8_t)kind;
	snprintf(s->param, sizeof(s->param), "%s", param);
	openapi_scheme_id(s);
	return s;
}

/* The schemes of one endpoint, in a fixed order; returns how many were put in out. */
static unsigned openapi_endpoint_schemes(openapi_doc_t *d, const endpoint_t *ep,
					 const openapi_scheme_t **out)
{
	unsigned n = 0;

#define OPENAPI_ADD(kind, param)                                                 \
	do {                                                                     \
		const openapi_scheme_t *s_ = openapi_scheme(d, (kind), (param)); \
		if (s_)                                                          \
			out[n++] = s_;                                           \
	} while (0)
	if (ep->auth_seen & (1u << PRINCIPAL_AUTH_BEARER_JWT))
		OPENAPI_ADD(OPENAPI_BEARER_JWT, "");
	if (ep->auth_seen & (1u << PRINCIPAL_AUTH_BEARER_OPAQUE))
		OPENAPI_ADD(OPENAPI_BEARER, "");
	if (ep->auth_seen & (1u << PRINCIPAL_AUTH_BASIC))
		OPENAPI_ADD(OPENAPI_BASIC, "");
	if ((ep->auth_seen & (1u << PRINCIPAL_AUTH_APIKEY_HEADER)) && ep->apikey_header[0])
		OPENAPI_ADD(OPENAPI_APIKEY_HEADER, ep->apikey_header);
	if ((ep->auth_seen & (1u << PRINCIPAL_AUTH_APIKEY_QUERY)) && ep->apikey_param[0])
		OPENAPI_ADD(OPENAPI_APIKEY_QUERY, ep->apikey_param);
	if ((ep->auth_seen & (1u << PRINCIPAL_AUTH_COOKIE)) && ep->cookie_name[0])
		OPENAPI_ADD(OPENAPI_COOKIE, ep->cookie_name);
#undef OPENAPI_ADD
	return n;
}

static void openapi_write_security(openapi_doc_t *d, const openapi_op_t *op)
{
	const openapi_scheme_t *got[8 * 6], *one[6];
	unsigned n = 0, k, j, i;
	int unauth = 0;
	size_t e;

	for (e = op->a; e < op->b; e++) {
		unsigned m = openapi_endpoint_schemes(d, op->v[e], one);

		unauth |= op->v[e]->auth_calls[PRINCIPAL_AUTH_NONE] != 0;
		for (k = 0; k < m; k++) {
			for (j = 0; j < n && got[j] != one[k]; j++)
				;
			if (j == n && n < sizeof(got) / sizeof(got[0]))
				got[n++] = one[k];
		}
	}
	if (!n)
		return;
	json_open_array(&d->jb, "security");
	for (i = 0; i < n; i++) {
		json_open_object(&d->jb, NULL);
		json_open_array(&d->jb, got[i]->id);
		json_close_array(&d->jb);
		json_close_object(&d->jb);
	}
	if (unauth) {
		json_open_object(&d->jb, NULL);
		json_close_object(&d->jb);
	}
	json_close_array(&d->jb);
}

static void openapi_write_schemes(openapi_doc_t *d)
{
	json_buf_t *jb = &d->jb;
	uint32_t i;

	json_open_object(jb, "components");
	json_open_object(jb, "securitySchemes");
	for (i = 0; i < d->nschemes; i++) {
		const openapi_scheme_t *s = &d->schemes[i];

		json_open_object(jb, s->id);
		switch (s->kind) {
		case OPENAPI_BEARER_JWT:
		case OPENAPI_BEARER:
			json_kv_str(jb, "type", "http");
			json_kv_str(jb, "scheme", "bearer");
			if (s->kind == OPENAPI_BEARER_JWT)
				json_kv_str(jb, "bearerFormat", "JWT");
			break;
		case OPENAPI_BASIC:
			json_kv_str(jb, "type", "http");
			json_kv_str(jb, "scheme", "basic");
			break;
		default:
			json_kv_str(jb, "type", "apiKey");
			json_kv_str(jb, "in",
				    s->kind == OPENAPI_APIKEY_HEADER  ? "header"
				    : s->kind == OPENAPI_APIKEY_QUERY ? "query"
								      : "cookie");
			json_kv_str(jb, "name", s->param);
			break;
		}
		json_close_object(jb);
	}
	json_close_object(jb);
	json_close_object(jb);
}

/* ------------------------------------------------------------------------------------------ */
/* Parameters */

/* A Schema Object for the value classes seen at a path position. */
static void openapi_param_schema(json_buf_t *jb, uint16_t classes)
{
	json_open_object(jb, "schema");
	if (classes == (1u << PATH_TEMPLATE_CLASS_INTEGER)) {
		json_kv_str(jb, "type", "integer");
	} else {
		json_kv_str(jb, "type", "string");
		if (classes == (1u << PATH_TEMPLATE_CLASS_UUID))
			json_kv_str(jb, "format", "uuid");
		else if (classes == (1u << PATH_TEMPLATE_CLASS_EMAIL))
			json_kv_str(jb, "format", "email");
		else if (classes == (1u << PATH_TEMPLATE_CLASS_IP))
			json_kv_str(jb, "format", "ipv4");
	}
	json_close_object(jb);
}

/* The template's "{*}" is not a name OpenAPI tooling accepts: it becomes {rest}. */
static void openapi_param_name(const char **name, size_t *n)
{
	if (*n == 1 && (*name)[0] == '*') {
		*name = "rest";
		*n = 4;
	}
}

static void openapi_write_parameters(openapi_doc_t *d, const openapi_op_t *op,
				     endpoint_schema_t *query)
{
	json_buf_t *jb = &d->jb;
	const endpoint_t *ep0 = op->v[op->a];
	const char *name;
	size_t n, e;
	unsigned i;

	json_open_array(jb, "parameters");
	for (i = 0; endpoint__param_name(ep0->tpl, i, &name, &n); i++) {
		uint16_t classes = 0;

		for (e = op->a; e < op->b && i < ENDPOINT_MAX_PARAMS; e++)
			if (i < op->v[e]->nparams)
				classes |= op->v[e]->param_classes[i];
		openapi_param_name(&name, &n);
		json_open_object(jb, NULL);
		json_kv_strn(jb, "name", name, n);
		json_kv_str(jb, "in", "path");
		json_kv_bool(jb, "required", 1);
		openapi_param_schema(jb, classes);
		json_close_object(jb);
	}
	if (query)
		endpoint_schema_write_openapi_params(query, jb);
	json_close_array(jb);
}

/* ------------------------------------------------------------------------------------------ */
/* Bodies and responses */

static int openapi_ctype_is_json(const char *t)
{
	return strstr(t, "json") != NULL;
}

/* type/subtype of RFC 9110 tokens: traffic also carries broken Content-Type values, which the
 * inventory keeps as seen but an OpenAPI content map cannot take. */
static int openapi_media_ok(const char *t)
{
	static const char tchar[] = "!#$%&'*+-.^_`|~";
	size_t i, slash = 0, nslash = 0;

	for (i = 0; t[i]; i++) {
		char c = t[i];

		if (c == '/') {
			slash = i;
			nslash++;
		} else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			     strchr(tchar, c))) {
			return 0;
		}
	}
	return nslash == 1 && slash > 0 && t[slash + 1];
}

static int openapi_ctype_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The union of the operation's media types of one direction, sorted. */
static size_t openapi_ctypes(const openapi_op_t *op, int dir, char out[][ENDPOINT_CTYPE_LEN])
{
	size_t n = 0, e, k;
	uint32_t i;

	for (e = op->a; e < op->b; e++) {
		const endpoint_side_t *s = dir ? &op->v[e]->resp : &op->v[e]->req;

		for (i = 0; i < s->nctypes; i++) {
			if (!openapi_media_ok(s->ctypes[i].type))
				continue;
			for (k = 0; k < n && strcmp(out[k], s->ctypes[i].type) != 0; k++)
				;
			if (k == n && n < ENDPOINT_OPENAPI_CTYPES)
				memcpy(out[n++], s->ctypes[i].type, ENDPOINT_CTYPE_LEN);
		}
	}
	qsort(out, n, ENDPOINT_CTYPE_LEN, openapi_ctype_cmp);
	return n;
}

static void openapi_write_content(json_buf_t *jb, char ct[][ENDPOINT_CTYPE_LEN], size_t n,
				  const endpoint_schema_t *schema)
{
	size_t i;

	json_open_object(jb, "content");
	for (i = 0; i < n; i++) {
		json_open_object_keyn(jb, ct[i], strlen(ct[i]));
		if (openapi_ctype_is_json(ct[i]) && schema) {
			endpoint_schema_write_openapi(schema, jb, "schema");
		} else {
			json_open_object(jb, "schema");
			if (!openapi_ctype_is_json(ct[i]))
				json_kv_str(jb, "type", "string");
			json_close_object(jb);
		}
		json_close_object(jb);
	}
	json_close_object(jb);
}

static int openapi_code_cmp(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static void openapi_write_responses(openapi_doc_t *d, const openapi_op_t *op,
				    const endpoint_schema_t *ok, const endpoint_schema_t *err)
{
	char ct[ENDPOINT_OPENAPI_CTYPES][ENDPOINT_CTYPE_LEN];
	uint16_t codes[ENDPOINT_OPENAPI_CODES];
	json_buf_t *jb = &d->jb;
	size_t nct = openapi_ctypes(op, 1, ct), n = 0, e, k;
	uint32_t i;
	char num[8];

	for (e = op->a; e < op->b; e++) {
		for (i = 0; i < op->v[e]->ncodes; i++) {
			uint16_t c = op->v[e]->codes[i].code;

			for (k = 0; k < n && codes[k] != c; k++)
				;
			if (k == n && n < ENDPOINT_OPENAPI_CODES)
				codes[n++] = c;
		}
	}
	qsort(codes, n, sizeof(codes[0]), openapi_code_cmp);
	json_open_object(jb, "responses");
	for (k = 0; k < n; k++) {
		uint16_t c = codes[k];

		snprintf(num, sizeof(num), "%u", c);
		json_open_object(jb, num);
		json_kv_str(jb, "description", "observed");
		/* No body with 1xx, 204 and 304 (RFC 9110). */
		if (nct && c >= 200 && c != 204 && c != 304)
			openapi_write_content(jb, ct, nct, c >= 400 ? err : ok);
		json_close_object(jb);
	}
	if (!n) {
		json_open_object(jb, "default");
		json_kv_str(jb, "description", "no response observed");
		json_close_object(jb);
	}
	json_close_object(jb);
}

/* ------------------------------------------------------------------------------------------ */
/* Operations */

/* The operation's schema of one kind: the endpoint's own when alone, else a union made for the
 * export (*tmp, freed by the caller). */
static endpoint_schema_t *openapi_union(openapi_doc_t *d, const openapi_op_t *op, size_t field,
					endpoint_schema_t **tmp)
{
	endpoint_schema_t *one = NULL;
	size_t e, n = 0;

	for (e = op->a; e < op->b; e++) {
		endpoint_schema_t *s = *(endpoint_schema_t **)((char *)op->v[e] + field);

		if (s) {
			one = s;
			n++;
		}
	}
	if (n <= 1)
		return one;
	if (endpoint_schema_new(tmp, &d->cat->slim, d->cat->acct) < 0)
		return one;
	for (e = op->a; e < op->b; e++) {
		endpoint_schema_t *s = *(endpoint_schema_t **)((char *)op->v[e] + field);

		if (s)
			endpoint_schema_merge(*tmp, s);
	}
	return *tmp;
}

static void openapi_write_operation(openapi_doc_t *d, const openapi_op_t *op)
{
	static const size_t fields[4] = {
		offsetof(endpoint_t, query), offsetof(endpoint_t, req_body),
		offsetof(endpoint_t, resp_body), offsetof(endpoint_t, resp_error)};
	endpoint_schema_t *tmp[4] = {NULL, NULL, NULL, NULL}, *s[4];
	char ct[ENDPOINT_OPENAPI_CTYPES][ENDPOINT_CTYPE_LEN];
	json_buf_t *jb = &d->jb;
	const endpoint_t *ep0 = op->v[op->a];
	uint64_t hits = 0;
	uint32_t risk = 0;
	size_t e, nct;
	char lower[16];
	unsigned i;

	for (i = 0; i < 4; i++)
		s[i] = openapi_union(d, op, fields[i], &tmp[i]);
	for (i = 0; ep0->tpl->method[i] && i + 1 < sizeof(lower); i++)
		lower[i] = (char)(ep0->tpl->method[i] | 32);
	lower[i] = '\0';
	json_open_object(jb, lower);
	json_kv_str(jb, "summary", "observed in traffic");
	openapi_write_parameters(d, op, s[0]);
	nct = openapi_ctypes(op, 0, ct);
	if (nct) {
		json_open_object(jb, "requestBody");
		openapi_write_content(jb, ct, nct, s[1]);
		json_close_object(jb);
	}
	openapi_write_responses(d, op, s[2], s[3]);
	openapi_write_security(d, op);
	for (e = op->a; e < op->b; e++) {
		endpoint_risk_t r;

		hits += op->v[e]->hits;
		endpoint_risk(op->v[e], &r);
		risk = r.score > risk ? r.score : risk;
	}
	if (d->nhosts > 1) {
		json_open_array(jb, "x-apiwatch-hosts");
		for (e = op->a; e < op->b; e++)
			json_str(jb, op->v[e]->tpl->host);
		json_close_array(jb);
	}
	json_kv_u64(jb, "x-apiwatch-hits", hits);
	json_kv_u64(jb, "x-apiwatch-risk", risk);
	json_close_object(jb);
	for (i = 0; i < 4; i++)
		endpoint_schema_free(tmp[i]);
}

/* Methods OpenAPI 3.0 has a field for; others (PROPFIND, "*") cannot be exported. */
static int openapi_method_ok(const char *m)
{
	static const char *const ok[] = {"GET",	    "PUT",  "POST",  "DELETE",
					 "OPTIONS", "HEAD", "PATCH", "TRACE"};
	unsigned i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(m, ok[i]) == 0)
			return 1;
	return 0;
}

/* Opens the path item of a template; a trailing "{*}" is written {rest}, as its parameter. */
static void openapi_path_key(json_buf_t *jb, const path_template_t *t)
{
	char key[ENDPOINT_OPENAPI_KEY];

	if (t->len >= 3 && t->len + 4 < sizeof(key) && memcmp(t->str + t->len - 3, "{*}", 3) == 0) {
		memcpy(key, t->str, t->len - 3);
		memcpy(key + t->len - 3, "{rest}", 6);
		json_open_object_keyn(jb, key, t->len + 3);
		return;
	}
	json_open_object_keyn(jb, t->str, t->len);
}

static void openapi_write_paths(openapi_doc_t *d, endpoint_t **v, size_t n)
{
	json_buf_t *jb = &d->jb;
	const char *open_path = NULL;
	size_t a = 0, b;

	json_open_object(jb, "paths");
	while (a < n) {
		openapi_op_t op;

		for (b = a + 1; b < n && strcmp(v[b]->tpl->str, v[a]->tpl->str) == 0 &&
				strcmp(v[b]->tpl->method, v[a]->tpl->method) == 0;
		     b++)
			;
		if (!openapi_method_ok(v[a]->tpl->method) || v[a]->tpl->str[0] != '/') {
			a = b;
			continue;
		}
		if (!open_path || strcmp(open_path, v[a]->tpl->str) != 0) {
			if (open_path)
				json_close_object(jb);
			open_path = v[a]->tpl->str;
			openapi_path_key(jb, v[a]->tpl);
		}
		op.v = v;
		op.a = a;
		op.b = b;
		openapi_write_operation(d, &op);
		a = b;
	}
	if (open_path)
		json_close_object(jb);
	json_close_object(jb);
}

/* ------------------------------------------------------------------------------------------ */
/* The document */

static void openapi_write_servers(openapi_doc_t *d, endpoint_t **v, size_t n)
{
	json_buf_t *jb = &d->jb;
	const char *last = NULL;
	char url[300];
	size_t i;

	/* v is in the catalogue's order: hosts come grouped and sorted. */
	json_open_array(jb, "servers");
	for (i = 0; i < n; i++) {
		const char *h = v[i]->tpl->host;

		if (!openapi_real_host(h) || (last && strcmp(last, h) == 0))
			continue;
		last = h;
		d->nhosts++;
		snprintf(url, sizeof(url), "http://%s", h);
		json_open_object(jb, NULL);
		json_kv_str(jb, "url", url);
		json_close_object(jb);
	}
	if (!d->nhosts) {
		json_open_object(jb, NULL);
		json_kv_str(jb, "url", "/");
		json_close_object(jb);
	}
	json_close_array(jb);
}

int endpoint_catalog_write_openapi(endpoint_catalog_t *cat, const char *path)
{
	openapi_doc_t *d;
	endpoint_file_t f;
	endpoint_t **v;
	const char *line;
	size_t n, len;
	int rc;

	d = mem_calloc(cat->acct, sizeof(*d));
	if (!d)
		return AW_ENOMEM;
	rc = endpoint__file_open(&f, path);
	if (rc < 0) {
		mem_free(cat->acct, d, sizeof(*d));
		return rc;
	}
	d->cat = cat;
	json_buf_init(&d->jb, cat->acct, ENDPOINT_OPENAPI_MAX);
	v = endpoint__sorted(cat, &n);
	json_begin(&d->jb);
	json_kv_str(&d->jb, "openapi", "3.0.3");
	json_open_object(&d->jb, "info");
	json_kv_str(&d->jb, "title", "API inventory observed by apiwatch");
	json_kv_str(&d->jb, "version", APIWATCH_VERSION);
	json_kv_str(&d->jb, "description",
		    "Endpoints, parameters, bodies and credentials learned from passive traffic.");
	json_close_object(&d->jb);
	openapi_write_servers(d, v, n);
	if (n)
		qsort(v, n, sizeof(*v), openapi_cmp);
	openapi_write_paths(d, v, n);
	openapi_write_schemes(d);
	rc = json_end(&d->jb);
	if (rc == 0) {
		line = json_line(&d->jb, &len);
		endpoint__file_write(&f, line, len);
	} else if (!f.err) {
		f.err = EFBIG;
	}
	endpoint__sorted_free(cat, v, n);
	json_buf_free(&d->jb);
	mem_free(cat->acct, d, sizeof(*d));
	return endpoint__file_close(&f);
}

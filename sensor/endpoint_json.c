/*
 * endpoint_json.c - the inventory document (--inventory): every endpoint of the catalogue and
 * its facts, as JSON (layout in docs/inventory.md).
 *
 * The document is written one endpoint per line into a temporary file renamed over the target
 * when complete, so readers never see half a document; endpoints are sorted by host, template
 * and method, and sets inside an endpoint by name or code, so the same traffic gives the same
 * bytes. Values of credentials and sensitive data never appear: only names, types and counts.
 */
#include "endpoint_private.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"

#define ENDPOINT_JSON_LINE_MAX (64u << 20)

int endpoint__param_name(const path_template_t *t, unsigned index, const char **name, size_t *n)
{
	const char *p = t->str, *e = t->str + t->len;
	unsigned k = 0;

	while ((p = memchr(p, '{', (size_t)(e - p))) != NULL) {
		const char *c = memchr(p, '}', (size_t)(e - p));

		if (!c)
			return 0;
		if (k++ == index) {
			*name = p + 1;
			*n = (size_t)(c - p - 1);
			return 1;
		}
		p = c + 1;
	}
	return 0;
}

static int endpoint_code_cmp(const void *a, const void *b)
{
	const endpoint_code_t *x = a, *y = b;

	return (int)x->code - (int)y->code;
}

static int endpoint_ctype_cmp(const void *a, const void *b)
{
	return strcmp(((const endpoint_ctype_t *)a)->type, ((const endpoint_ctype_t *)b)->type);
}

static int endpoint_spath_cmp(const void *a, const void *b)
{
	const endpoint_spath_t *x = a, *y = b;
	int c = strcmp(sensitive_type_name(x->type), sensitive_type_name(y->type));

	if (!c)
		c = (int)x->source - (int)y->source;
	if (!c)
		c = strcmp(x->path, y->path);
	return c;
}

static void endpoint_json_status(json_buf_t *jb, const endpoint_t *ep)
{
	static const char *const cls[6] = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};
	endpoint_code_t codes[ENDPOINT_MAX_CODES];
	char num[8];
	unsigned i;

	json_open_object(jb, "status");
	for (i = 0; i < 6; i++)
		if (ep->status_class[i])
			json_kv_u64(jb, cls[i], ep->status_class[i]);
	memcpy(codes, ep->codes, ep->ncodes * sizeof(codes[0]));
	qsort(codes, ep->ncodes, sizeof(codes[0]), endpoint_code_cmp);
	json_open_object(jb, "codes");
	for (i = 0; i < ep->ncodes; i++) {
		snprintf(num, sizeof(num), "%u", codes[i].code);
		json_kv_u64(jb, num, codes[i].count);
	}
	json_close_object(jb);
	if (ep->codes_other)
		json_kv_u64(jb, "codes_other", ep->codes_other);
	json_close_object(jb);
}

static void endpoint_json_ctypes(json_buf_t *jb, const endpoint_side_t *s)
{
	endpoint_ctype_t ct[ENDPOINT_MAX_CTYPES];
	unsigned i;

	memcpy(ct, s->ctypes, s->nctypes * sizeof(ct[0]));
	qsort(ct, s->nctypes, sizeof(ct[0]), endpoint_ctype_cmp);
	json_open_object(jb, "content_types");
	for (i = 0; i < s->nctypes; i++)
		json_kv_u64_keyn(jb, ct[i].type, strlen(ct[i].type), ct[i].count);
	if (s->ctypes_other)
		json_kv_u64(jb, "other", s->ctypes_other);
	json_close_object(jb);
}

static const char *const endpoint_source_names[SENSITIVE_SRC__COUNT] = {"json", "text", "query",
									"header"};

static void endpoint_json_sensitive(json_buf_t *jb, const endpoint_side_t *s)
{
	endpoint_spath_t sp[ENDPOINT_MAX_SPATHS];
	unsigned i;

	json_open_object(jb, "sensitive");
	json_open_object(jb, "types");
	for (i = 0; i < SENSITIVE__COUNT; i++)
		if (s->sens_types & (1u << i))
			json_kv_u64(jb, sensitive_type_name(i), s->sens_counts[i]);
	json_close_object(jb);
	json_open_array(jb, "paths");
	memcpy(sp, s->spaths, s->nspaths * sizeof(sp[0]));
	qsort(sp, s->nspaths, sizeof(sp[0]), endpoint_spath_cmp);
	for (i = 0; i < s->nspaths; i++) {
		json_open_object(jb, NULL);
		json_kv_str(jb, "type", sensitive_type_name(sp[i].type));
		json_kv_str(jb, "in",
			    sp[i].source < SENSITIVE_SRC__COUNT
				    ? endpoint_source_names[sp[i].source]
				    : "unknown");
		json_kv_str(jb, "path", sp[i].path);
		json_kv_u64(jb, "count", sp[i].count);
		json_close_object(jb);
	}
	json_close_array(jb);
	if (s->spaths_other)
		json_kv_u64(jb, "paths_other", s->spaths_other);
	json_close_object(jb);
}

static void endpoint_json_schema(json_buf_t *jb, const endpoint_schema_t *s, const char *key)
{
	if (s) {
		endpoint_schema_write_inventory(s, jb, key);
	} else {
		json_open_array(jb, key);
		json_close_array(jb);
	}
}

static void endpoint_json_percentiles(json_buf_t *jb, const char *key, const endpoint_hist_t *h,
				      int milli)
{
	static const double q[3] = {0.5, 0.9, 0.99};
	static const char *const names[3] = {"p50", "p90", "p99"};
	unsigned i;

	json_open_object(jb, key);
	for (i = 0; i < 3; i++) {
		uint64_t v = endpoint__hist_quantile(h, q[i]);

		if (milli)
			json_kv_milli(jb, names[i], v);
		else
			json_kv_u64(jb, names[i], v);
	}
	json_close_object(jb);
}

static void endpoint_json_auth(json_buf_t *jb, const endpoint_t *ep)
{
	unsigned i;

	json_open_object(jb, "auth");
	json_open_object(jb, "calls");
	for (i = 0; i < PRINCIPAL_AUTH__COUNT; i++)
		if (ep->auth_calls[i])
			json_kv_u64(jb, principal_auth_name(i), ep->auth_calls[i]);
	json_close_object(jb);
	json_open_array(jb, "seen");
	for (i = 1; i < PRINCIPAL_AUTH__COUNT; i++)
		if (ep->auth_seen & (1u << i))
			json_str(jb, principal_auth_name(i));
	json_close_array(jb);
	if (ep->nalgs) {
		json_open_array(jb, "jwt_algs");
		for (i = 0; i < ep->nalgs; i++)
			json_str(jb, ep->algs[i]);
		json_close_array(jb);
	}
	if (ep->nclaims) {
		json_open_array(jb, "jwt_claims");
		for (i = 0; i < ep->nclaims; i++)
			json_str(jb, ep->claims[i]);
		json_close_array(jb);
	}
	if (ep->jwt_weak)
		json_kv_u64(jb, "jwt_weak", ep->jwt_weak);
	if (ep->apikey_header[0])
		json_kv_str(jb, "apikey_header", ep->apikey_header);
	if (ep->apikey_param[0])
		json_kv_str(jb, "apikey_query", ep->apikey_param);
	if (ep->cookie_name[0])
		json_kv_str(jb, "session_cookie", ep->cookie_name);
	json_close_object(jb);
}

static void endpoint_json_params(json_buf_t *jb, const endpoint_t *ep)
{
	const char *name;
	size_t n;
	unsigned i, c;

	json_open_array(jb, "path_params");
	for (i = 0; endpoint__param_name(ep->tpl, i, &name, &n); i++) {
		json_open_object(jb, NULL);
		json_kv_strn(jb, "name", name, n);
		json_open_array(jb, "classes");
		for (c = 0; i < ep->nparams && c < PATH_TEMPLATE_CLASS__COUNT; c++)
			if (ep->param_classes[i] & (1u << c))
				json_str(jb, path_template_class_name(c));
		json_close_array(jb);
		json_close_object(jb);
	}
	json_close_array(jb);
}

static void endpoint_json_risk(json_buf_t *jb, const endpoint_t *ep)
{
	endpoint_risk_t r;
	unsigned i;

	endpoint_risk(ep, &r);
	json_open_object(jb, "risk");
	json_kv_u64(jb, "score", r.score);
	json_open_array(jb, "reasons");
	for (i = 0; i < ENDPOINT_RISK__COUNT; i++)
		if (r.reasons & (1u << i))
			json_str(jb, endpoint_risk_reason_name(i));
	json_close_array(jb);
	json_close_object(jb);
}

static void endpoint_json_members(const endpoint_t *ep, json_buf_t *jb)
{
	json_kv_str(jb, "host", ep->tpl->host);
	json_kv_str(jb, "method", ep->tpl->method);
	json_kv_strn(jb, "template", ep->tpl->str, ep->tpl->len);
	json_kv_u64(jb, "hits", ep->hits);
	json_kv_time(jb, "first_seen", ep->first_us);
	json_kv_time(jb, "last_seen", ep->last_us);
	endpoint_json_status(jb, ep);
	json_open_object(jb, "request");
	endpoint_json_ctypes(jb, &ep->req);
	endpoint_json_schema(jb, ep->query, "query");
	endpoint_json_schema(jb, ep->req_body, "schema");
	endpoint_json_sensitive(jb, &ep->req);
	json_close_object(jb);
	json_open_object(jb, "response");
	endpoint_json_ctypes(jb, &ep->resp);
	endpoint_json_schema(jb, ep->resp_body, "schema");
	endpoint_json_schema(jb, ep->resp_error, "error_schema");
	endpoint_json_sensitive(jb, &ep->resp);
	json_close_object(jb);
	endpoint_json_params(jb, ep);
	endpoint_json_percentiles(jb, "latency_ms", &ep->latency_us, 1);
	endpoint_json_percentiles(jb, "response_bytes", &ep->resp_bytes, 0);
	json_kv_u64(jb, "callers", endpoint_callers(ep));
	endpoint_json_auth(jb, ep);
	json_kv_u64(jb, "external_calls", ep->external);
	json_open_object(jb, "sampling");
	json_kv_u64(jb, "scanned", ep->scanned);
	json_kv_u64(jb, "skipped", ep->skipped);
	json_close_object(jb);
	if (ep->merged)
		json_kv_u64(jb, "merged", ep->merged);
	endpoint__drift_json(jb, ep);
	endpoint_json_risk(jb, ep);
}

void endpoint_write_json(const endpoint_t *ep, json_buf_t *jb, const char *key)
{
	json_open_object(jb, key);
	endpoint_json_members(ep, jb);
	json_close_object(jb);
}

/* ------------------------------------------------------------------------------------------ */
/* The document */

int endpoint_catalog_write_inventory(endpoint_catalog_t *cat, const char *path,
				     uint64_t generated_us)
{
	char head[128];
	endpoint_file_t f;
	json_buf_t jb;
	endpoint_t **v;
	size_t n, i, len;
	int rc;

	rc = endpoint__file_open(&f, path);
	if (rc < 0)
		return rc;
	json_buf_init(&jb, cat->acct, ENDPOINT_JSON_LINE_MAX);
	v = endpoint__sorted(cat, &n);
	json_format_time(head, sizeof(head), generated_us);
	len = strlen(head);
	endpoint__file_write(&f, "{\"generated\":\"", 14);
	endpoint__file_write(&f, head, len);
	endpoint__file_write(&f, "\",\"endpoints\":[\n", 16);
	for (i = 0; i < n; i++) {
		const char *line;

		json_begin(&jb);
		endpoint_json_members(v[i], &jb);
		if (json_end(&jb) < 0)
			continue;
		line = json_line(&jb, &len);
		if (i)
			endpoint__file_write(&f, ",", 1);
		endpoint__file_write(&f, line, len);
		json_buf_clear(&jb);
	}
	endpoint__file_write(&f, "]", 1);
	if (cat->spec) {
		/* The declared side: a one-member object whose braces are dropped. */
		json_begin(&jb);
		endpoint__drift_json_doc(&jb, cat);
		if (json_end(&jb) == 0) {
			const char *line = json_line(&jb, &len);

			endpoint__file_write(&f, ",", 1);
			endpoint__file_write(&f, line + 1, len - 3);
		}
		json_buf_clear(&jb);
	}
	endpoint__file_write(&f, "}\n", 2);
	endpoint__sorted_free(cat, v, n);
	json_buf_free(&jb);
	return endpoint__file_close(&f);
}

/*
 * endpoint_spec_check.c - checking one API call against its declared operation (see
 * endpoint_spec.h): parameters by location, then the JSON request body in one pass.
 *
 * Fed by the inventory with a call and the operation endpoint_spec_match() gave it; feeds the
 * inventory (and through it the api_endpoint events) with the kinds of violation, a count and
 * the first offending name of each kind. No allocation: values are decoded into fixed buffers on
 * the stack, the body walk recurses at most ENDPOINT_SPEC_MAX_BODY_DEPTH levels and skips what is
 * deeper. Only names leave this file, never values.
 */
#include "endpoint_spec_private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CHECK_NAME_BUF 128 /* a decoded parameter name or body key */
#define CHECK_VALUE_BUF 512 /* a decoded parameter value or body string */

static const char *const check_kind_names[ENDPOINT_SPEC_V__COUNT] = {
	"unknown_parameter", "missing_parameter", "parameter_type",  "body_not_json",
	"body_type",	     "unknown_property",  "missing_property"};

const char *endpoint_spec_violation_name(unsigned kind)
{
	return kind < ENDPOINT_SPEC_V__COUNT ? check_kind_names[kind] : "unknown";
}

const char *endpoint_spec_result_name(const endpoint_spec_result_t *res, unsigned kind)
{
	return kind < ENDPOINT_SPEC_V__COUNT ? res->name[kind] : "";
}

const char *endpoint_spec_result_first(const endpoint_spec_result_t *res, unsigned *kind)
{
	if (kind)
		*kind = res->first_kind;
	return res->first_kind < ENDPOINT_SPEC_V__COUNT ? res->name[res->first_kind] : "";
}

/* Records a violation; the first name of each kind is kept, printable bytes only. */
static void check_violation(endpoint_spec_result_t *res, unsigned kind, const char *name, size_t n)
{
	size_t i;

	if (!(res->kinds & (1u << kind))) {
		char *out = res->name[kind];

		if (n > ENDPOINT_SPEC_MAX_NAME)
			n = ENDPOINT_SPEC_MAX_NAME;
		for (i = 0; i < n; i++)
			out[i] = name[i] >= 0x20 && name[i] < 0x7f ? name[i] : '?';
		out[n] = '\0';
		res->kinds |= 1u << kind;
	}
	if (res->first_kind == ENDPOINT_SPEC_V__COUNT)
		res->first_kind = (uint8_t)kind;
	if (res->count < UINT32_MAX)
		res->count++;
}

/* ------------------------------------------------------------------------------------------ */
/* Scalars: formats, numbers, enums */

static int check_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return n > 0;
}

static unsigned check_num(const char *s, size_t n)
{
	unsigned v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	return v;
}

static int check_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int check_uuid(const char *s, size_t n)
{
	size_t i;

	if (n != 36)
		return 0;
	for (i = 0; i < 36; i++)
		if (i == 8 || i == 13 || i == 18 || i == 23 ? s[i] != '-' : !check_hex(s[i]))
			return 0;
	return 1;
}

static int check_date(const char *s, size_t n)
{
	static const unsigned mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	unsigned y, m, d;

	if (n != 10 || s[4] != '-' || s[7] != '-' || !check_digits(s, 4) ||
	    !check_digits(s + 5, 2) || !check_digits(s + 8, 2))
		return 0;
	y = check_num(s, 4);
	m = check_num(s + 5, 2);
	d = check_num(s + 8, 2);
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	return !(m == 2 && d == 29 && (y % 4 || (y % 100 == 0 && y % 400)));
}

/* RFC 3339 date-time: 2024-01-31T10:00:00(.123)?(Z|+01:00). */
static int check_date_time(const char *s, size_t n)
{
	size_t i = 19;

	if (n < 20 || !check_date(s, 10) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    s[13] != ':' || s[16] != ':' || !check_digits(s + 11, 2) || !check_digits(s + 14, 2) ||
	    !check_digits(s + 17, 2) || check_num(s + 11, 2) > 23 || check_num(s + 14, 2) > 59 ||
	    check_num(s + 17, 2) > 60)
		return 0;
	if (s[i] == '.') {
		size_t f = ++i;

		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == f)
			return 0;
	}
	if (i + 1 == n && (s[i] == 'Z' || s[i] == 'z'))
		return 1;
	return i + 6 == n && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':' &&
	       check_digits(s + i + 1, 2) && check_digits(s + i + 4, 2) &&
	       check_num(s + i + 1, 2) < 24 && check_num(s + i + 4, 2) < 60;
}

static int check_ipv4(const char *s, size_t n)
{
	size_t i = 0, start;
	int parts = 0;

	while (parts < 4) {
		start = i;
		while (i < n && s[i] >= '0' && s[i] <= '9' && i - start < 3)
			i++;
		if (i == start || check_num(s + start, i - start) > 255)
			return 0;
		if (++parts < 4 && (i >= n || s[i++] != '.'))
			return 0;
	}
	return i == n;
}

static int check_email(const char *s, size_t n)
{
	const char *at = memchr(s, '@', n);
	size_t i;

	if (!at || at == s || at == s + n - 1 || memchr(at + 1, '@', (size_t)(s + n - at - 1)) ||
	    !memchr(at + 1, '.', (size_t)(s + n - at - 1)))
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ')
			return 0;
	return 1;
}

/* A string value against a format; formats not listed pass. */
static int check_format(uint8_t format, const char *s, size_t n)
{
	switch (format) {
	case ENDPOINT_SPEC__F_UUID:
		return check_uuid(s, n);
	case ENDPOINT_SPEC__F_DATE:
		return check_date(s, n);
	case ENDPOINT_SPEC__F_DATE_TIME:
		return check_date_time(s, n);
	case ENDPOINT_SPEC__F_IPV4:
		return check_ipv4(s, n);
	case ENDPOINT_SPEC__F_EMAIL:
		return check_email(s, n);
	default:
		return 1;
	}
}

/* Parses a number the way JSON writes it (no hex, no inf, no leading '+'); sets *integral. */
static int check_parse_number(const char *s, size_t n, double *v, int *integral)
{
	char buf[64];
	char *end;
	size_t i = 0;

	if (n == 0 || n >= sizeof(buf))
		return 0;
	if (s[i] == '-')
		i++;
	if (i == n || s[i] < '0' || s[i] > '9')
		return 0;
	for (; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == 'e' || s[i] == 'E' ||
		      s[i] == '+' || s[i] == '-'))
			return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	*v = strtod(buf, &end);
	if (*end || !isfinite(*v))
		return 0;
	*integral = *v == floor(*v) && fabs(*v) < 9.3e18;
	return 1;
}

static int check_range(const endpoint_spec__schema_t *s, double v)
{
	if (s->flags & ENDPOINT_SPEC__S_MIN) {
		if (v < s->min || ((s->flags & ENDPOINT_SPEC__S_MIN_EXCL) && v == s->min))
			return 0;
	}
	if (s->flags & ENDPOINT_SPEC__S_MAX) {
		if (v > s->max || ((s->flags & ENDPOINT_SPEC__S_MAX_EXCL) && v == s->max))
			return 0;
	}
	if (s->format == ENDPOINT_SPEC__F_INT32 && (v < -2147483648.0 || v > 2147483647.0))
		return 0;
	return 1;
}

/* Whether a value is in the enum: by text, or by number when both are numbers. */
static int check_enum(const endpoint_spec__schema_t *s, const char *v, size_t n, int want_string)
{
	double a, b;
	int ia, ib, num;
	uint32_t i;

	if (!(s->flags & ENDPOINT_SPEC__S_ENUM))
		return 1;
	num = !want_string && check_parse_number(v, n, &a, &ia);
	for (i = 0; i < s->nenum; i++) {
		const endpoint_spec__enum_t *e = &s->enums[i];

		if (want_string >= 0 && e->is_string != want_string && !(want_string && !num))
			continue;
		if (e->len == n && memcmp(e->text, v, n) == 0)
			return 1;
		if (num && check_parse_number(e->text, e->len, &b, &ib) && a == b)
			return 1;
	}
	return 0;
}

static int check_any(const endpoint_spec__schema_t *s)
{
	return !s || (s->flags & ENDPOINT_SPEC__S_ANY);
}

#define CHECK_T(t) (1u << ENDPOINT_SPEC__T_##t)

/* A parameter value (text) against a scalar schema: 1 when it fits. Empty values are taken
 * as given (allowEmptyValue, flags such as ?debug). */
static int check_text(const endpoint_spec__schema_t *s, const char *v, size_t n)
{
	unsigned t;
	double d = 0;
	int is_num, integral = 0, is_bool;

	if (check_any(s) || n == 0)
		return 1;
	t = s->types;
	if (t & (CHECK_T(OBJECT) | CHECK_T(ARRAY)))
		return 1; /* serialised structures are not taken apart */
	is_num = check_parse_number(v, n, &d, &integral);
	is_bool = (n == 4 && strncasecmp(v, "true", 4) == 0) ||
		  (n == 5 && strncasecmp(v, "false", 5) == 0);
	if (t && !(t & CHECK_T(STRING)) && !((t & CHECK_T(NUMBER)) && is_num) &&
	    !((t & CHECK_T(INTEGER)) && is_num && integral) &&
	    !((t & CHECK_T(BOOLEAN)) && is_bool) &&
	    !((t & CHECK_T(NULL)) && n == 4 && memcmp(v, "null", 4) == 0))
		return 0;
	if (!check_enum(s, v, n, -1))
		return 0;
	if (is_num && (t & (CHECK_T(NUMBER) | CHECK_T(INTEGER))) && !check_range(s, d))
		return 0;
	if ((!t || (t & CHECK_T(STRING))) && !check_format(s->format, v, n))
		return 0;
	return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Parameters */

/* Percent-decodes (and '+' to space when plus) into out; returns the length, or cap + 1 when
 * the result does not fit. */
static size_t check_decode(char *out, size_t cap, const char *s, size_t n, int plus)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '%' && i + 2 < n && check_hex(s[i + 1]) && check_hex(s[i + 2])) {
			char hex[3] = {s[i + 1], s[i + 2], 0};

			c = (char)strtol(hex, NULL, 16);
			i += 2;
		} else if (c == '+' && plus) {
			c = ' ';
		}
		if (o == cap)
			return cap + 1;
		out[o++] = c;
	}
	return o;
}

/* A parameter value: an array is split at sep (0: one item), each item checked. */
static int check_param_value(const endpoint_spec__param_t *p, const char *v, size_t n, char sep)
{
	const endpoint_spec__schema_t *s = p->schema;
	size_t i, start = 0;

	if (check_any(s) || p->style == ENDPOINT_SPEC__STYLE_OTHER)
		return 1;
	if (!(s->types & CHECK_T(ARRAY)) || (s->types & CHECK_T(STRING)))
		return check_text(s, v, n);
	if (!sep)
		return check_text(s->items, v, n);
	for (i = 0; i <= n; i++) {
		if (i < n && v[i] != sep)
			continue;
		if (!check_text(s->items, v + start, i - start))
			return 0;
		start = i + 1;
	}
	return 1;
}

static char check_separator(const endpoint_spec__param_t *p)
{
	switch (p->style) {
	case ENDPOINT_SPEC__STYLE_SPACE:
		return ' ';
	case ENDPOINT_SPEC__STYLE_PIPE:
		return '|';
	case ENDPOINT_SPEC__STYLE_FORM:
		return p->explode ? 0 : ',';
	default:
		return ',';
	}
}

typedef struct check_ctx {
	const struct endpoint_spec_detail *d;
	uint32_t nparams;
	endpoint_spec_result_t *res;
	uint64_t seen; /* bit per parameter index */
} check_ctx_t;

/* A query name that is not a parameter: a property of an exploded form object, or the
 * "name[key]" of a deepObject (or PHP-style "name[]" of an array). Returns the parameter's
 * index, -1 if none, -2 when some object parameter takes any name. */
static int check_query_indirect(const check_ctx_t *c, const char *name, size_t n)
{
	const char *br = memchr(name, '[', n);
	uint32_t i, k;
	int open = -1;

	for (i = 0; i < c->nparams; i++) {
		const endpoint_spec__param_t *p = &c->d->params[i];
		const endpoint_spec__schema_t *s = p->schema;

		if (p->in != ENDPOINT_SPEC__IN_QUERY)
			continue;
		if (br && (size_t)(br - name) == p->len && memcmp(name, p->name, p->len) == 0)
			return (int)i;
		if (check_any(s) || !(s->types & CHECK_T(OBJECT)) ||
		    p->style != ENDPOINT_SPEC__STYLE_FORM || !p->explode)
			continue;
		for (k = 0; k < s->nprops; k++)
			if (s->props[k].len == n && memcmp(s->props[k].name, name, n) == 0)
				return (int)i;
		if (!(s->flags & ENDPOINT_SPEC__S_NO_ADDITIONAL))
			open = -2;
	}
	return open;
}

static void check_query_pair(check_ctx_t *c, const char *s, size_t n)
{
	const char *eq = memchr(s, '=', n);
	size_t nl = eq ? (size_t)(eq - s) : n, dl, vl;
	char name[CHECK_NAME_BUF], value[CHECK_VALUE_BUF];
	uint32_t i;
	int idx = -1;

	dl = check_decode(name, sizeof(name), s, nl, 1);
	if (dl > sizeof(name) || dl == 0) {
		if (dl && !(c->res->flags & ENDPOINT_SPEC_C_NO_UNKNOWN))
			check_violation(c->res, ENDPOINT_SPEC_V_UNKNOWN_PARAMETER, name,
					sizeof(name));
		return;
	}
	for (i = 0; i < c->nparams && idx < 0; i++) {
		const endpoint_spec__param_t *p = &c->d->params[i];

		if (p->in == ENDPOINT_SPEC__IN_QUERY && p->len == dl &&
		    memcmp(p->name, name, dl) == 0)
			idx = (int)i;
	}
	if (idx < 0) {
		idx = check_query_indirect(c, name, dl);
		if (idx >= 0)
			c->seen |= 1ull << idx;
		else if (idx == -1 && !(c->res->flags & ENDPOINT_SPEC_C_NO_UNKNOWN))
			check_violation(c->res, ENDPOINT_SPEC_V_UNKNOWN_PARAMETER, name, dl);
		return;
	}
	c->seen |= 1ull << idx;
	vl = eq ? check_decode(value, sizeof(value), eq + 1, n - nl - 1, 1) : 0;
	if (vl <= sizeof(value) &&
	    !check_param_value(&c->d->params[idx], value, vl, check_separator(&c->d->params[idx])))
		check_violation(c->res, ENDPOINT_SPEC_V_PARAMETER_TYPE, name, dl);
}

static void check_query(check_ctx_t *c, aw_slice_t q)
{
	size_t i, start = 0;

	for (i = 0; i <= q.len; i++) {
		if (i < q.len && q.ptr[i] != '&')
			continue;
		if (i > start)
			check_query_pair(c, q.ptr + start, i - start);
		start = i + 1;
	}
}

/* The value of cookie name in the request's Cookie headers; NULL if absent. */
static const char *check_cookie(const api_call_t *call, const endpoint_spec__param_t *p,
				size_t *vlen)
{
	const api_header_t *h;
	unsigned k;

	for (k = 0; (h = api_message_header(&call->req, "cookie", k)) != NULL; k++) {
		const char *s = h->value.ptr, *end = s + h->value.len;

		while (s < end) {
			const char *semi = memchr(s, ';', (size_t)(end - s));
			const char *e = semi ? semi : end, *eq;

			while (s < e && *s == ' ')
				s++;
			eq = s < e ? memchr(s, '=', (size_t)(e - s)) : NULL;
			if (eq && (size_t)(eq - s) == p->len && memcmp(s, p->name, p->len) == 0) {
				*vlen = (size_t)(e - eq - 1);
				return eq + 1;
			}
			s = semi ? semi + 1 : end;
		}
	}
	return NULL;
}

static void check_headers_cookies(check_ctx_t *c, const api_call_t *call)
{
	uint32_t i;

	for (i = 0; i < c->nparams; i++) {
		const endpoint_spec__param_t *p = &c->d->params[i];
		const char *v = NULL;
		size_t vl = 0;

		if (p->in == ENDPOINT_SPEC__IN_HEADER) {
			const api_header_t *h;

			/* OpenAPI ignores header parameters of these names. */
			if (!strcasecmp(p->name, "accept") ||
			    !strcasecmp(p->name, "content-type") ||
			    !strcasecmp(p->name, "authorization"))
				continue;
			h = api_message_header(&call->req, p->name, 0);
			if (h) {
				v = h->value.ptr;
				vl = h->value.len;
			}
		} else if (p->in == ENDPOINT_SPEC__IN_COOKIE) {
			v = check_cookie(call, p, &vl);
		} else {
			continue;
		}
		if (!v && p->required)
			check_violation(c->res, ENDPOINT_SPEC_V_MISSING_PARAMETER, p->name, p->len);
		else if (v && !check_param_value(p, v, vl, ','))
			check_violation(c->res, ENDPOINT_SPEC_V_PARAMETER_TYPE, p->name, p->len);
	}
}

static void check_path(const endpoint_spec_t *spec, check_ctx_t *c, aw_slice_t path)
{
	const char *seg[2 * ENDPOINT_SPEC_MAX_SEGMENTS];
	uint32_t len[2 * ENDPOINT_SPEC_MAX_SEGMENTS], n, i;
	int k;

	n = endpoint_spec__split(path.ptr, path.len, seg, len, 2 * ENDPOINT_SPEC_MAX_SEGMENTS);
	k = endpoint_spec__strip_base(spec, seg, len, n, c->d->nseg);
	if (k < 0)
		return;
	for (i = 0; i < c->d->nseg; i++) {
		const endpoint_spec__seg_t *s = &c->d->seg[i];
		const endpoint_spec__param_t *p;

		if (s->kind != ENDPOINT_SPEC__SEG_PARAM || s->param < 0)
			continue;
		p = &c->d->params[s->param];
		if (!check_param_value(p, seg[(uint32_t)k + i], len[(uint32_t)k + i], ','))
			check_violation(c->res, ENDPOINT_SPEC_V_PARAMETER_TYPE, p->name, p->len);
	}
}

/* ------------------------------------------------------------------------------------------ */
/* The JSON body, walked once with its schema */

enum { CHECK_JSON_OK = 0, CHECK_JSON_BAD = -1, CHECK_JSON_EOF = -2 };

typedef struct check_body {
	const char *p;
	size_t n, i;
	endpoint_spec_result_t *res;
	size_t plen;
	char path[ENDPOINT_SPEC_MAX_NAME + 1];
} check_body_t;

static void body_ws(check_body_t *b)
{
	while (b->i < b->n && (b->p[b->i] == ' ' || b->p[b->i] == '\t' || b->p[b->i] == '\n' ||
			       b->p[b->i] == '\r'))
		b->i++;
}

/* The evidence name of the current value: its key path, "$" for the body itself. */
static void body_violation(check_body_t *b, unsigned kind)
{
	if (b->plen)
		check_violation(b->res, kind, b->path, b->plen);
	else
		check_violation(b->res, kind, "$", 1);
}

/* Appends ".key" (or "key" at the top, or "[]") to the path; returns the old length. */
static size_t body_path_push(check_body_t *b, const char *s, size_t n, int is_key)
{
	size_t old = b->plen;

	if (is_key && b->plen && b->plen < ENDPOINT_SPEC_MAX_NAME)
		b->path[b->plen++] = '.';
	if (n > ENDPOINT_SPEC_MAX_NAME - b->plen)
		n = ENDPOINT_SPEC_MAX_NAME - b->plen;
	memcpy(b->path + b->plen, s, n);
	b->plen += n;
	return old;
}

/* Finds the end of a string whose content starts at b->i; decodes it into out (up to cap
 * bytes; *olen is cap + 1 when it did not fit). Returns CHECK_JSON_*. */
static int body_string(check_body_t *b, char *out, size_t cap, size_t *olen)
{
	size_t o = 0;

	while (b->i < b->n) {
		unsigned char c = (unsigned char)b->p[b->i++];

		if (c == '"') {
			*olen = o;
			return CHECK_JSON_OK;
		}
		if (c < 0x20)
			return CHECK_JSON_BAD;
		if (c == '\\') {
			if (b->i >= b->n)
				return CHECK_JSON_EOF;
			c = (unsigned char)b->p[b->i++];
			if (c == 'u') {
				size_t k;

				for (k = 0; k < 4; k++, b->i++) {
					if (b->i >= b->n)
						return CHECK_JSON_EOF;
					if (!check_hex(b->p[b->i]))
						return CHECK_JSON_BAD;
				}
				c = '?'; /* compared as an unknown byte: no enum or key has it */
			} else if (strchr("\"\\/bfnrt", c)) {
				c = c == 'n'   ? '\n'
				    : c == 't' ? '\t'
				    : c == 'r' ? '\r'
				    : c == 'b' ? '\b'
				    : c == 'f' ? '\f'
					       : c;
			} else {
				return CHECK_JSON_BAD;
			}
		}
		if (o < cap)
			out[o] = (char)c;
		o += o <= cap;
	}
	return CHECK_JSON_EOF;
}

/* Skips a value deeper than the cap: brackets counted, strings skipped, nothing checked. */
static int body_skip(check_body_t *b)
{
	size_t depth = 0, dummy;
	char tmp[1];

	do {
		char c;

		body_ws(b);
		if (b->i >= b->n)
			return CHECK_JSON_EOF;
		c = b->p[b->i++];
		if (c == '"') {
			int rc = body_string(b, tmp, 0, &dummy);

			if (rc)
				return rc;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			if (!depth)
				return CHECK_JSON_BAD;
			depth--;
		}
	} while (depth);
	return CHECK_JSON_OK;
}

static int body_type_ok(const endpoint_spec__schema_t *s, unsigned bit)
{
	return check_any(s) || !s->types || (s->types & bit);
}

static int body_value(check_body_t *b, const endpoint_spec__schema_t *s, unsigned depth);

static const endpoint_spec__schema_t *body_prop(const endpoint_spec__schema_t *s, const char *k,
						size_t n, int *known)
{
	uint32_t i;

	*known = 0;
	if (check_any(s))
		return NULL;
	for (i = 0; i < s->nprops; i++)
		if (s->props[i].len == n && memcmp(s->props[i].name, k, n) == 0) {
			*known = 1;
			return s->props[i].schema;
		}
	return s->additional;
}

static int body_object(check_body_t *b, const endpoint_spec__schema_t *s, unsigned depth)
{
	char key[CHECK_NAME_BUF];
	uint64_t seen = 0;
	uint32_t i;
	int rc, first = 1;

	if (!body_type_ok(s, CHECK_T(OBJECT))) {
		body_violation(b, ENDPOINT_SPEC_V_BODY_TYPE);
		s = NULL;
	}
	if (check_any(s))
		s = NULL;
	for (;;) {
		const endpoint_spec__schema_t *child;
		size_t klen, old;
		int known, fits;

		body_ws(b);
		if (b->i >= b->n)
			return CHECK_JSON_EOF;
		if (b->p[b->i] == '}' && first) {
			b->i++;
			break;
		}
		if (b->p[b->i++] != '"')
			return CHECK_JSON_BAD;
		rc = body_string(b, key, sizeof(key), &klen);
		if (rc)
			return rc;
		body_ws(b);
		if (b->i >= b->n)
			return CHECK_JSON_EOF;
		if (b->p[b->i++] != ':')
			return CHECK_JSON_BAD;
		fits = klen <= sizeof(key);
		if (!fits) {
			/* Longer than any name kept: matches no declared property. */
			klen = sizeof(key);
			known = 0;
			child = s ? s->additional : NULL;
		} else {
			child = body_prop(s, key, klen, &known);
		}
		old = body_path_push(b, key, klen, 1);
		if (s && !known && (s->flags & ENDPOINT_SPEC__S_NO_ADDITIONAL))
			body_violation(b, ENDPOINT_SPEC_V_UNKNOWN_PROPERTY);
		for (i = 0; s && fits && i < s->nrequired; i++)
			if (s->required[i].len == klen &&
			    memcmp(s->required[i].name, key, klen) == 0)
				seen |= 1ull << i;
		rc = body_value(b, child, depth + 1);
		b->plen = old;
		if (rc)
			return rc;
		body_ws(b);
		if (b->i >= b->n)
			return CHECK_JSON_EOF;
		first = 0;
		if (b->p[b->i] == '}') {
			b->i++;
			break;
		}
		if (b->p[b->i++] != ',')
			return CHECK_JSON_BAD;
	}
	for (i = 0; s && i < s->nrequired; i++) {
		if (seen & (1ull << i))
			continue;
		{
			size_t old = body_path_push(b, s->required[i].name, s->required[i].len, 1);

			body_violation(b, ENDPOINT_SPEC_V_MISSING_PROPERTY);
			b->plen = old;
		}
	}
	return CHECK_JSON_OK;
}

static int body_array(check_body_t *b, const endpoint_spec__schema_t *s, unsigned depth)
{
	const endpoint_spec__schema_t *items = NULL;
	size_t old;
	int rc;

	if (!body_type_ok(s, CHECK_T(ARRAY)))
		body_violation(b, ENDPOINT_SPEC_V_BODY_TYPE);
	else if (!check_any(s))
		items = s->items;
	body_ws(b);
	if (b->i < b->n && b->p[b->i] == ']') {
		b->i++;
		return CHECK_JSON_OK;
	}
	old = body_path_push(b, "[]", 2, 0);
	for (;;) {
		rc = body_value(b, items, depth + 1);
		if (rc)
			break;
		body_ws(b);
		if (b->i >= b->n) {
			rc = CHECK_JSON_EOF;
			break;
		}
		if (b->p[b->i] == ']') {
			b->i++;
			break;
		}
		if (b->p[b->i++] != ',') {
			rc = CHECK_JSON_BAD;
			break;
		}
	}
	b->plen = old;
	return rc;
}

static int body_scalar_string(check_body_t *b, const endpoint_spec__schema_t *s)
{
	char v[CHECK_VALUE_BUF];
	size_t n;
	int rc = body_string(b, v, sizeof(v), &n);

	if (rc)
		return rc;
	if (!body_type_ok(s, CHECK_T(STRING))) {
		body_violation(b, ENDPOINT_SPEC_V_BODY_TYPE);
		return CHECK_JSON_OK;
	}
	if (check_any(s))
		return CHECK_JSON_OK;
	/* Too long to keep: no enum value or checked format is that long. */
	if (n > sizeof(v) ? ((s->flags & ENDPOINT_SPEC__S_ENUM) ||
			     (s->format && s->format != ENDPOINT_SPEC__F_EMAIL))
			  : (!check_enum(s, v, n, 1) || !check_format(s->format, v, n)))
		body_violation(b, ENDPOINT_SPEC_V_BODY_TYPE);
	return CHECK_JSON_OK;
}

static int body_scalar(check_body_t *b, const endpoint_spec__schema_t *s)
{
	const char *v = b->p + b->i;
	size_t start = b->i, n;
	double d;
	int integral, ok;

	while (b->i < b->n && ((b->p[b->i] >= 'a' && b->p[b->i] <= 'z') ||
			       (b->p[b->i] >= '0' && b->p[b->i] <= '9') || b->p[b->i] == '-' ||
			       b->p[b->i] == '+' || b->p[b->i] == '.' || b->p[b->i] == 'E'))
		b->i++;
	n = b->i - start;
	if (b->i == b->n)
		return CHECK_JSON_EOF; /* a number or literal may go on */
	if ((n == 4 && memcmp(v, "true", 4) == 0) || (n == 5 && memcmp(v, "false", 5) == 0))
		ok = body_type_ok(s, CHECK_T(BOOLEAN)) && (check_any(s) || check_enum(s, v, n, 0));
	else if (n == 4 && memcmp(v, "null", 4) == 0)
		ok = body_type_ok(s, CHECK_T(NULL)) && (check_any(s) || check_enum(s, v, n, 0));
	else if (check_parse_number(v, n, &d, &integral))
		ok = body_type_ok(s, integral ? CHECK_T(INTEGER) | CHECK_T(NUMBER)
					      : CHECK_T(NUMBER)) &&
		     (check_any(s) || (check_enum(s, v, n, 0) && check_range(s, d)));
	else
		return CHECK_JSON_BAD;
	if (!ok)
		body_violation(b, ENDPOINT_SPEC_V_BODY_TYPE);
	return CHECK_JSON_OK;
}

static int body_value(check_body_t *b, const endpoint_spec__schema_t *s, unsigned depth)
{
	char c;

	body_ws(b);
	if (b->i >= b->n)
		return CHECK_JSON_EOF;
	c = b->p[b->i];
	if ((c == '{' || c == '[') && depth >= ENDPOINT_SPEC_MAX_BODY_DEPTH) {
		b->res->flags |= ENDPOINT_SPEC_C_BODY_DEEP;
		return body_skip(b);
	}
	if (c == '{' || c == '[' || c == '"')
		b->i++;
	if (c == '{')
		return body_object(b, s, depth);
	if (c == '[')
		return body_array(b, s, depth);
	if (c == '"')
		return body_scalar_string(b, s);
	return body_scalar(b, s);
}

/* Whether the request's media type is one the operation declares besides JSON. */
static int check_media_declared(const struct endpoint_spec_detail *d, aw_slice_t ct)
{
	size_t n = 0;
	uint32_t k;

	while (n < ct.len && ct.ptr[n] != ';' && ct.ptr[n] != ' ')
		n++;
	for (k = 0; k < d->nmedia; k++) {
		const char *m = d->media[k];
		size_t ml = strlen(m);

		if (strcmp(m, "*/*") == 0)
			return 1;
		if (ml >= 2 && m[ml - 1] == '*' && m[ml - 2] == '/' && n >= ml - 1 &&
		    strncasecmp(ct.ptr, m, ml - 1) == 0)
			return 1;
		if (ml == n && strncasecmp(ct.ptr, m, n) == 0)
			return 1;
	}
	return 0;
}

static void check_body(endpoint_spec_result_t *res, const struct endpoint_spec_detail *d,
		       const api_call_t *call)
{
	const uint32_t cut = API_CALL_F_REQ_BODY_CUT | API_CALL_F_GAP_REQUEST |
			     API_CALL_F_DECOMPRESS_ERR | API_CALL_F_BOMB | API_CALL_F_INCOMPLETE;
	const aw_slice_t *body;
	endpoint_spec_result_t saved;
	check_body_t b;
	int rc, partial;

	if (!(d->flags & ENDPOINT_SPEC__D_BODY_DECLARED))
		return;
	if (call->req.body_wire_bytes == 0 && call->req.content_length <= 0) {
		if ((d->flags & ENDPOINT_SPEC__D_BODY_REQUIRED) &&
		    !(call->flags & API_CALL_F_GAP_REQUEST))
			check_violation(res, ENDPOINT_SPEC_V_MISSING_PARAMETER, "requestBody", 11);
		return;
	}
	if (!(d->flags & ENDPOINT_SPEC__D_BODY_JSON) || call->req.encoding == API_ENC_UNSUPPORTED ||
	    check_media_declared(d, call->req.content_type))
		return;
	body = api_call_body(call, 0);
	if (!body || !body->len)
		return; /* not kept (http.body-limit) */
	partial = (call->flags & cut) ||
		  (call->req.body_bytes != API_SIZE_UNKNOWN && body->len < call->req.body_bytes);
	memset(&b, 0, sizeof(b));
	b.p = body->ptr;
	b.n = body->len;
	b.res = res;
	saved = *res;
	res->flags |= ENDPOINT_SPEC_C_BODY_CHECKED | (partial ? ENDPOINT_SPEC_C_BODY_PARTIAL : 0);
	rc = body_value(&b, d->body, 0);
	if (rc == CHECK_JSON_OK) {
		body_ws(&b);
		if (b.i < b.n)
			rc = CHECK_JSON_BAD;
	}
	if (rc == CHECK_JSON_OK || (partial && rc == CHECK_JSON_EOF))
		return;
	if (partial && (call->flags & (API_CALL_F_DECOMPRESS_ERR | API_CALL_F_BOMB)))
		return;
	/* Not JSON: what the walk found on the way means nothing. */
	saved.flags = res->flags;
	*res = saved;
	check_violation(res, ENDPOINT_SPEC_V_BODY_NOT_JSON, "$", 1);
}

/* ------------------------------------------------------------------------------------------ */

unsigned endpoint_spec_check(const endpoint_spec_t *spec, endpoint_spec_result_t *res,
			     const endpoint_spec_op_t *op, const api_call_t *call)
{
	check_ctx_t c;
	uint32_t i;

	memset(res, 0, sizeof(*res));
	res->first_kind = ENDPOINT_SPEC_V__COUNT;
	c.d = op->detail;
	c.nparams = op->nparams;
	c.res = res;
	c.seen = 0;
	if (c.d->flags & ENDPOINT_SPEC__D_NO_UNKNOWN)
		res->flags |= ENDPOINT_SPEC_C_NO_UNKNOWN;
	check_path(spec, &c, call->path);
	check_query(&c, call->query);
	for (i = 0; i < c.nparams; i++) {
		const endpoint_spec__param_t *p = &c.d->params[i];

		if (p->in == ENDPOINT_SPEC__IN_QUERY && p->required && !(c.seen & (1ull << i)))
			check_violation(res, ENDPOINT_SPEC_V_MISSING_PARAMETER, p->name, p->len);
	}
	check_headers_cookies(&c, call);
	check_body(res, c.d, call);
	return res->kinds;
}

/*
 * endpoint_spec.c - the declared API: from the document tree (endpoint_spec_doc.c) to the model
 * of operations, parameters and schemas, and the routing of calls to operations (see
 * endpoint_spec.h for the contract).
 *
 * Fed once with a file at start-up; feeds the inventory with the operation of each call and
 * endpoint_spec_check.c with the model. The model lives in one arena charged to the caller's
 * account and is never changed after loading. The routing trie is keyed by segments of the
 * spec, not of the traffic: its edge table cannot grow or be flooded, so a plain FNV hash does.
 */
#include "endpoint_spec_private.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

static const char *const spec_methods[ENDPOINT_SPEC_METHOD__COUNT] = {
	"get", "put", "post", "delete", "options", "head", "patch", "trace"};
static const char *const spec_methods_upper[ENDPOINT_SPEC_METHOD__COUNT] = {
	"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"};

void endpoint_spec_limits_default(endpoint_spec_limits_t *lim)
{
	lim->max_file = ENDPOINT_SPEC_MAX_FILE;
	lim->max_nodes = ENDPOINT_SPEC_MAX_NODES;
	lim->max_depth = ENDPOINT_SPEC_MAX_DEPTH;
	lim->max_operations = ENDPOINT_SPEC_MAX_OPERATIONS;
	lim->max_ref_chain = ENDPOINT_SPEC_MAX_REF_CHAIN;
	lim->max_schema_depth = ENDPOINT_SPEC_MAX_SCHEMA_DEPTH;
	lim->max_schemas = ENDPOINT_SPEC_MAX_SCHEMAS;
}

int endpoint_spec_method_index(aw_slice_t method)
{
	int i;

	for (i = 0; i < ENDPOINT_SPEC_METHOD__COUNT; i++)
		if (method.len == strlen(spec_methods_upper[i]) &&
		    memcmp(method.ptr, spec_methods_upper[i], method.len) == 0)
			return i;
	return -1;
}

/* ------------------------------------------------------------------------------------------ */
/* Building: context, errors with a JSON pointer, references */

#define SPEC_PTR_MAX 160

typedef struct spec_ptr {
	const char *key; /* NULL: an index */
	uint32_t len;
	uint32_t idx;
	uint8_t absolute; /* key is a "#/..." reference: the pointer restarts there */
} spec_ptr_t;

/* An operation being collected, before the trie is built. */
typedef struct spec_pending {
	endpoint_spec_op_t op;
	struct spec_pending *next;
} spec_pending_t;

typedef struct spec_build {
	endpoint_spec_t *spec;
	endpoint_spec__doc_t *doc;
	const endpoint_spec_limits_t *lim;
	const char *name;
	char *errbuf;
	size_t errlen;
	spec_ptr_t ptr[SPEC_PTR_MAX];
	uint32_t nptr;
	uint32_t schema_depth;
	spec_pending_t *ops, *ops_last;
	uint32_t total_segments;
} spec_build_t;

static void spec_push(spec_build_t *b, const char *key, uint32_t len)
{
	if (b->nptr < SPEC_PTR_MAX)
		b->ptr[b->nptr] = (spec_ptr_t){.key = key, .len = len};
	b->nptr++;
}

static void spec_push_idx(spec_build_t *b, uint32_t idx)
{
	if (b->nptr < SPEC_PTR_MAX)
		b->ptr[b->nptr] = (spec_ptr_t){.idx = idx};
	b->nptr++;
}

static void spec_push_ref(spec_build_t *b, const char *ref)
{
	if (b->nptr < SPEC_PTR_MAX)
		b->ptr[b->nptr] =
			(spec_ptr_t){.key = ref, .len = (uint32_t)strlen(ref), .absolute = 1};
	b->nptr++;
}

static void spec_pop(spec_build_t *b)
{
	b->nptr--;
}

/* Writes the JSON pointer of the current place into out. */
static void spec_pointer(const spec_build_t *b, char *out, size_t cap)
{
	uint32_t i, start = 0, n = b->nptr < SPEC_PTR_MAX ? b->nptr : SPEC_PTR_MAX;
	size_t o = 0;

	for (i = 0; i < n; i++)
		if (b->ptr[i].absolute)
			start = i;
	if (start < n && b->ptr[start].absolute) {
		o = (size_t)snprintf(out, cap, "%.*s", (int)b->ptr[start].len, b->ptr[start].key);
		start++;
	} else {
		o = (size_t)snprintf(out, cap, "#");
	}
	for (i = start; i < n && o + 8 < cap; i++) {
		const spec_ptr_t *p = &b->ptr[i];
		uint32_t k;

		out[o++] = '/';
		if (!p->key) {
			o += (size_t)snprintf(out + o, cap - o, "%u", p->idx);
			continue;
		}
		for (k = 0; k < p->len && o + 3 < cap; k++) {
			if (p->key[k] == '~' || p->key[k] == '/') {
				out[o++] = '~';
				out[o++] = p->key[k] == '~' ? '0' : '1';
			} else {
				out[o++] = p->key[k];
			}
		}
	}
	if (o >= cap)
		o = cap - 1;
	out[o] = '\0';
}

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static int
spec_fail(spec_build_t *b, const endpoint_spec__node_t *n, int rc, const char *fmt, ...)
{
	char what[256], ptr[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	spec_pointer(b, ptr, sizeof(ptr));
	if (n && n->line)
		snprintf(b->errbuf, b->errlen, "%s:%u:%u: %s: %s", b->name, n->line, n->col, ptr,
			 what);
	else
		snprintf(b->errbuf, b->errlen, "%s: %s: %s", b->name, ptr, what);
	endpoint_spec__one_line(b->errbuf);
	return rc;
}

static void spec_warn(spec_build_t *b, const char *what)
{
	endpoint_spec_info_t *info = &b->spec->info;
	char ptr[128];

	if (!info->warnings++) {
		spec_pointer(b, ptr, sizeof(ptr));
		if (snprintf(info->first_warning, sizeof(info->first_warning), "%s: %s", ptr,
			     what) < 0)
			info->first_warning[0] = '\0';
		endpoint_spec__one_line(info->first_warning);
	}
}

static int spec_nomem(spec_build_t *b)
{
	return spec_fail(b, NULL, AW_ENOMEM, "out of memory");
}

static int spec_is_scalar(const endpoint_spec__node_t *n)
{
	return n && (n->kind == ENDPOINT_SPEC__N_SCALAR || n->kind == ENDPOINT_SPEC__N_STRING);
}

/* Reads a boolean field; absent gives def. */
static int spec_bool(spec_build_t *b, const endpoint_spec__node_t *map, const char *key, int def,
		     int *out)
{
	const endpoint_spec__node_t *n = endpoint_spec__get(map, key);
	int rc;

	*out = def;
	if (!n)
		return 0;
	if (spec_is_scalar(n) && (strcmp(n->str, "true") == 0 || strcmp(n->str, "false") == 0)) {
		*out = n->str[0] == 't';
		return 0;
	}
	spec_push(b, key, (uint32_t)strlen(key));
	rc = spec_fail(b, n, AW_EMALFORMED, "'%s' must be true or false", key);
	spec_pop(b);
	return rc;
}

/* Reads a string field; absent gives NULL. */
static int spec_string(spec_build_t *b, const endpoint_spec__node_t *map, const char *key,
		       const endpoint_spec__node_t **out)
{
	const endpoint_spec__node_t *n = endpoint_spec__get(map, key);
	int rc;

	*out = NULL;
	if (!n)
		return 0;
	if (spec_is_scalar(n)) {
		*out = n;
		return 0;
	}
	spec_push(b, key, (uint32_t)strlen(key));
	rc = spec_fail(b, n, AW_EMALFORMED, "'%s' must be a string", key);
	spec_pop(b);
	return rc;
}

/* Follows a local JSON pointer ("#/components/schemas/Pet", ~0 ~1 and %XX unescaped). */
static endpoint_spec__node_t *spec_pointer_get(const spec_build_t *b, const char *ref)
{
	endpoint_spec__node_t *n = b->doc->root;
	const char *p = ref + 1;
	char key[512];

	while (n && *p == '/') {
		size_t k = 0;

		p++;
		while (*p && *p != '/' && k + 1 < sizeof(key)) {
			char c = *p++;

			if (c == '~' && (*p == '0' || *p == '1'))
				c = *p++ == '0' ? '~' : '/';
			else if (c == '%' && p[0] && p[1] &&
				 strchr("0123456789abcdefABCDEF", p[0]) &&
				 strchr("0123456789abcdefABCDEF", p[1])) {
				char hex[3] = {p[0], p[1], 0};

				c = (char)strtol(hex, NULL, 16);
				p += 2;
			}
			key[k++] = c;
		}
		if (*p && *p != '/')
			return NULL; /* a segment longer than the buffer names nothing we keep */
		key[k] = '\0';
		if (n->kind == ENDPOINT_SPEC__N_MAP) {
			n = endpoint_spec__get(n, key);
		} else if (n->kind == ENDPOINT_SPEC__N_SEQ) {
			char *end;
			unsigned long idx = strtoul(key, &end, 10);
			const endpoint_spec__member_t *m = n->first;

			if (!k || *end)
				return NULL;
			while (m && idx--)
				m = m->next;
			n = m ? m->value : NULL;
		} else {
			return NULL;
		}
	}
	return *p ? NULL : n;
}

/*
 * Follows $ref from *n until a node without one. Returns 0 (followed; *n the target, *nrefs
 * references pushed on the pointer stack for the caller to pop), 1 for an external reference
 * (counted and warned; *n untouched), or an error.
 */
static int spec_resolve(spec_build_t *b, const endpoint_spec__node_t **n, uint32_t *nrefs)
{
	const endpoint_spec__node_t *ref;
	uint32_t chain = 0;

	*nrefs = 0;
	while ((ref = endpoint_spec__get(*n, "$ref"))) {
		const endpoint_spec__node_t *t;

		if (!spec_is_scalar(ref))
			return spec_fail(b, ref, AW_EMALFORMED, "'$ref' must be a string");
		if (ref->str[0] != '#') {
			b->spec->info.external_refs++;
			spec_warn(b, "external $ref not followed");
			b->nptr -= *nrefs;
			*nrefs = 0;
			return 1;
		}
		if (++chain > b->lim->max_ref_chain)
			return spec_fail(b, ref, AW_ELIMIT,
					 "$ref chain longer than %u (a loop of references?)",
					 b->lim->max_ref_chain);
		t = spec_pointer_get(b, ref->str);
		if (!t)
			return spec_fail(b, ref, AW_EMALFORMED, "$ref '%.120s' does not resolve",
					 ref->str);
		spec_push_ref(b, ref->str);
		(*nrefs)++;
		*n = t;
	}
	return 0;
}

static void spec_unresolve(spec_build_t *b, uint32_t nrefs)
{
	b->nptr -= nrefs;
}

/* ------------------------------------------------------------------------------------------ */
/* Schemas */

static int spec_schema(spec_build_t *b, const endpoint_spec__node_t *n,
		       const endpoint_spec__schema_t **out);

static const endpoint_spec__schema_t spec_schema_any = {.flags = ENDPOINT_SPEC__S_ANY};

static int spec_number(spec_build_t *b, const endpoint_spec__node_t *n, const char *key,
		       double *out)
{
	char *end;
	int rc;

	if (spec_is_scalar(n) && n->len) {
		errno = 0;
		*out = strtod(n->str, &end);
		if (!*end && isfinite(*out))
			return 0;
	}
	spec_push(b, key, (uint32_t)strlen(key));
	rc = spec_fail(b, n, AW_EMALFORMED, "'%s' must be a number", key);
	spec_pop(b);
	return rc;
}

static int spec_type_bit(const char *t)
{
	static const char *const names[ENDPOINT_SPEC__T__COUNT] = {
		"null", "boolean", "object", "array", "number", "integer", "string"};
	int i;

	for (i = 0; i < ENDPOINT_SPEC__T__COUNT; i++)
		if (strcmp(t, names[i]) == 0)
			return i;
	return -1;
}

static int spec_schema_type(spec_build_t *b, const endpoint_spec__node_t *map,
			    endpoint_spec__schema_t *s)
{
	const endpoint_spec__node_t *t = endpoint_spec__get(map, "type");
	const endpoint_spec__member_t *m;
	int bit, nullable, rc = 0;

	if (t) {
		spec_push(b, "type", 4);
		if (spec_is_scalar(t)) {
			bit = spec_type_bit(t->str);
			if (bit < 0)
				rc = spec_fail(b, t, AW_EMALFORMED, "unknown type '%.40s'", t->str);
			else
				s->types = (uint16_t)(1u << bit);
		} else if (t->kind == ENDPOINT_SPEC__N_SEQ) {
			for (m = t->first; m && rc == 0; m = m->next) {
				bit = spec_is_scalar(m->value) ? spec_type_bit(m->value->str) : -1;
				if (bit < 0)
					rc = spec_fail(b, m->value, AW_EMALFORMED,
						       "'type' lists an unknown type");
				else
					s->types |= (uint16_t)(1u << bit);
			}
		} else {
			rc = spec_fail(b, t, AW_EMALFORMED, "'type' must be a string or a list");
		}
		spec_pop(b);
		if (rc < 0)
			return rc;
	}
	rc = spec_bool(b, map, "nullable", 0, &nullable);
	if (rc < 0)
		return rc;
	if (nullable && s->types)
		s->types |= 1u << ENDPOINT_SPEC__T_NULL;
	/* A number may be an integer: intersections (allOf) and checks rely on it. */
	if (s->types & (1u << ENDPOINT_SPEC__T_NUMBER))
		s->types |= 1u << ENDPOINT_SPEC__T_INTEGER;
	return 0;
}

static uint8_t spec_format(const char *f)
{
	static const struct {
		const char *name;
		uint8_t fmt;
	} formats[] = {
		{"uuid", ENDPOINT_SPEC__F_UUID},	   {"date", ENDPOINT_SPEC__F_DATE},
		{"date-time", ENDPOINT_SPEC__F_DATE_TIME}, {"int32", ENDPOINT_SPEC__F_INT32},
		{"int64", ENDPOINT_SPEC__F_INT64},	   {"ipv4", ENDPOINT_SPEC__F_IPV4},
		{"email", ENDPOINT_SPEC__F_EMAIL},
	};
	size_t i;

	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (strcmp(f, formats[i].name) == 0)
			return formats[i].fmt;
	return ENDPOINT_SPEC__F_NONE;
}

static int spec_schema_enum(spec_build_t *b, const endpoint_spec__node_t *map,
			    endpoint_spec__schema_t *s)
{
	const endpoint_spec__node_t *e = endpoint_spec__get(map, "enum");
	const endpoint_spec__node_t *c = endpoint_spec__get(map, "const");
	const endpoint_spec__member_t *m;
	uint32_t i = 0;

	if (e && e->kind != ENDPOINT_SPEC__N_SEQ) {
		spec_push(b, "enum", 4);
		return spec_fail(b, e, AW_EMALFORMED, "'enum' must be a list");
	}
	if (!e && c && spec_is_scalar(c)) {
		s->enums = endpoint_spec__alloc(&b->spec->arena, sizeof(*s->enums));
		if (!s->enums)
			return spec_nomem(b);
		s->enums[0].text = endpoint_spec__strdup(&b->spec->arena, c->str, c->len);
		if (!s->enums[0].text)
			return spec_nomem(b);
		s->enums[0].len = c->len;
		s->enums[0].is_string = c->kind == ENDPOINT_SPEC__N_STRING || !!s->types;
		s->nenum = 1;
		s->flags |= ENDPOINT_SPEC__S_ENUM;
		return 0;
	}
	if (!e || e->n == 0 || e->n > ENDPOINT_SPEC__MAX_ENUM)
		return 0;
	for (m = e->first; m; m = m->next)
		if (!spec_is_scalar(m->value))
			return 0; /* objects or lists in an enum: not checked */
	s->enums = endpoint_spec__alloc(&b->spec->arena, sizeof(*s->enums) * e->n);
	if (!s->enums)
		return spec_nomem(b);
	for (m = e->first; m; m = m->next, i++) {
		const endpoint_spec__node_t *v = m->value;

		s->enums[i].text = endpoint_spec__strdup(&b->spec->arena, v->str, v->len);
		if (!s->enums[i].text)
			return spec_nomem(b);
		s->enums[i].len = v->len;
		/* A plain YAML scalar is a string unless it reads as something else; the
		 * checks compare texts, so only "is it a string" matters for bodies. */
		s->enums[i].is_string = v->kind == ENDPOINT_SPEC__N_STRING ||
					(s->types == (1u << ENDPOINT_SPEC__T_STRING));
	}
	s->nenum = i;
	s->flags |= ENDPOINT_SPEC__S_ENUM;
	return 0;
}

static int spec_schema_range(spec_build_t *b, const endpoint_spec__node_t *map,
			     endpoint_spec__schema_t *s)
{
	static const char *const keys[4] = {"minimum", "maximum", "exclusiveMinimum",
					    "exclusiveMaximum"};
	int i, rc;

	for (i = 0; i < 4; i++) {
		const endpoint_spec__node_t *n = endpoint_spec__get(map, keys[i]);
		double v = 0;

		if (!n)
			continue;
		if (i >= 2 && spec_is_scalar(n) &&
		    (strcmp(n->str, "true") == 0 || strcmp(n->str, "false") == 0)) {
			/* 3.0: a boolean that makes minimum / maximum exclusive. */
			if (n->str[0] == 't')
				s->flags |= i == 2 ? ENDPOINT_SPEC__S_MIN_EXCL
						   : ENDPOINT_SPEC__S_MAX_EXCL;
			continue;
		}
		rc = spec_number(b, n, keys[i], &v);
		if (rc < 0)
			return rc;
		if (i % 2 == 0) {
			s->min = v;
			s->flags |= ENDPOINT_SPEC__S_MIN | (i == 2 ? ENDPOINT_SPEC__S_MIN_EXCL : 0);
		} else {
			s->max = v;
			s->flags |= ENDPOINT_SPEC__S_MAX | (i == 3 ? ENDPOINT_SPEC__S_MAX_EXCL : 0);
		}
	}
	return 0;
}

static int spec_schema_props(spec_build_t *b, const endpoint_spec__node_t *map,
			     endpoint_spec__schema_t *s)
{
	const endpoint_spec__node_t *p = endpoint_spec__get(map, "properties");
	const endpoint_spec__member_t *m;
	uint32_t i = 0;
	int rc = 0;

	if (!p)
		return 0;
	spec_push(b, "properties", 10);
	if (p->kind != ENDPOINT_SPEC__N_MAP) {
		rc = spec_fail(b, p, AW_EMALFORMED, "'properties' must be a mapping");
		spec_pop(b);
		return rc;
	}
	s->props = endpoint_spec__alloc(&b->spec->arena, sizeof(*s->props) * (p->n ? p->n : 1));
	if (!s->props)
		return spec_nomem(b);
	for (m = p->first; m && rc == 0; m = m->next) {
		spec_push(b, m->key, m->key_len);
		s->props[i].name = endpoint_spec__strdup(&b->spec->arena, m->key, m->key_len);
		s->props[i].len = m->key_len;
		rc = s->props[i].name ? spec_schema(b, m->value, &s->props[i].schema)
				      : spec_nomem(b);
		spec_pop(b);
		i++;
	}
	s->nprops = i;
	spec_pop(b);
	return rc;
}

static int spec_schema_required(spec_build_t *b, const endpoint_spec__node_t *map,
				endpoint_spec__schema_t *s)
{
	const endpoint_spec__node_t *r = endpoint_spec__get(map, "required");
	const endpoint_spec__member_t *m;
	uint32_t i = 0;

	if (!r)
		return 0;
	/* 3.0 parameters and properties misuse "required: true" often enough: not a list of
	 * names means nothing here. */
	if (r->kind != ENDPOINT_SPEC__N_SEQ) {
		if (spec_is_scalar(r))
			return 0;
		spec_push(b, "required", 8);
		return spec_fail(b, r, AW_EMALFORMED, "'required' must be a list of names");
	}
	s->required = endpoint_spec__alloc(&b->spec->arena,
					   sizeof(*s->required) * ENDPOINT_SPEC__MAX_REQUIRED);
	if (!s->required)
		return spec_nomem(b);
	for (m = r->first; m; m = m->next) {
		if (!spec_is_scalar(m->value)) {
			spec_push(b, "required", 8);
			return spec_fail(b, m->value, AW_EMALFORMED,
					 "'required' must be a list of names");
		}
		if (i == ENDPOINT_SPEC__MAX_REQUIRED) {
			spec_warn(b, "more required properties than are checked");
			break;
		}
		s->required[i].name =
			endpoint_spec__strdup(&b->spec->arena, m->value->str, m->value->len);
		if (!s->required[i].name)
			return spec_nomem(b);
		s->required[i++].len = m->value->len;
	}
	s->nrequired = i;
	return 0;
}

static int spec_schema_sub(spec_build_t *b, const endpoint_spec__node_t *map, const char *key,
			   const endpoint_spec__schema_t **out)
{
	const endpoint_spec__node_t *n = endpoint_spec__get(map, key);
	int rc;

	*out = NULL;
	if (!n)
		return 0;
	spec_push(b, key, (uint32_t)strlen(key));
	rc = spec_schema(b, n, out);
	spec_pop(b);
	return rc;
}

/* allOf: the members' constraints are merged into s (its own take precedence). */
static int spec_schema_merge(spec_build_t *b, endpoint_spec__schema_t *s,
			     const endpoint_spec__schema_t *m)
{
	uint32_t i, j, n;
	endpoint_spec__prop_t *props;

	if (m->flags & ENDPOINT_SPEC__S_ANY) {
		s->flags |= ENDPOINT_SPEC__S_ANY;
		return 0;
	}
	if (!s->types)
		s->types = m->types;
	else if (m->types && !(s->types &= m->types))
		s->flags |= ENDPOINT_SPEC__S_ANY; /* contradictory: do not raise alarms */
	if (!s->format)
		s->format = m->format;
	if (!(s->flags & ENDPOINT_SPEC__S_ENUM) && (m->flags & ENDPOINT_SPEC__S_ENUM)) {
		s->enums = m->enums;
		s->nenum = m->nenum;
		s->flags |= ENDPOINT_SPEC__S_ENUM;
	}
	if (!(s->flags & ENDPOINT_SPEC__S_MIN) && (m->flags & ENDPOINT_SPEC__S_MIN)) {
		s->min = m->min;
		s->flags |= m->flags & (ENDPOINT_SPEC__S_MIN | ENDPOINT_SPEC__S_MIN_EXCL);
	}
	if (!(s->flags & ENDPOINT_SPEC__S_MAX) && (m->flags & ENDPOINT_SPEC__S_MAX)) {
		s->max = m->max;
		s->flags |= m->flags & (ENDPOINT_SPEC__S_MAX | ENDPOINT_SPEC__S_MAX_EXCL);
	}
	if (!s->items)
		s->items = m->items;
	if (m->nprops) {
		props = endpoint_spec__alloc(&b->spec->arena,
					     sizeof(*props) * (s->nprops + m->nprops));
		if (!props)
			return spec_nomem(b);
		if (s->nprops)
			memcpy(props, s->props, sizeof(*props) * s->nprops);
		n = s->nprops;
		for (i = 0; i < m->nprops; i++) {
			for (j = 0; j < s->nprops; j++)
				if (props[j].len == m->props[i].len &&
				    memcmp(props[j].name, m->props[i].name, props[j].len) == 0)
					break;
			if (j == s->nprops)
				props[n++] = m->props[i];
		}
		s->props = props;
		s->nprops = n;
	}
	if (m->nrequired) {
		if (!s->required) {
			s->required = endpoint_spec__alloc(&b->spec->arena,
							   sizeof(*s->required) *
								   ENDPOINT_SPEC__MAX_REQUIRED);
			if (!s->required)
				return spec_nomem(b);
		}
		for (i = 0; i < m->nrequired && s->nrequired < ENDPOINT_SPEC__MAX_REQUIRED; i++)
			s->required[s->nrequired++] = m->required[i];
	}
	return 0;
}

static int spec_schema_combine(spec_build_t *b, const endpoint_spec__node_t *map,
			       endpoint_spec__schema_t *s)
{
	const endpoint_spec__node_t *all = endpoint_spec__get(map, "allOf");
	const endpoint_spec__member_t *m;
	uint32_t i = 0;
	int rc = 0;

	if (endpoint_spec__get(map, "oneOf") || endpoint_spec__get(map, "anyOf") ||
	    endpoint_spec__get(map, "not")) {
		s->flags |= ENDPOINT_SPEC__S_ANY;
		b->spec->info.unchecked_schemas++;
	}
	if (!all)
		return 0;
	spec_push(b, "allOf", 5);
	if (all->kind != ENDPOINT_SPEC__N_SEQ)
		rc = spec_fail(b, all, AW_EMALFORMED, "'allOf' must be a list");
	for (m = all ? all->first : NULL; m && rc == 0; m = m->next, i++) {
		const endpoint_spec__schema_t *ms;

		spec_push_idx(b, i);
		rc = spec_schema(b, m->value, &ms);
		if (rc == 0)
			rc = spec_schema_merge(b, s, ms);
		spec_pop(b);
	}
	spec_pop(b);
	return rc;
}

/* Fills a new schema from its mapping. */
static int spec_schema_fill(spec_build_t *b, const endpoint_spec__node_t *n,
			    endpoint_spec__schema_t *s)
{
	const endpoint_spec__node_t *f, *ap;
	int rc;

	rc = spec_schema_type(b, n, s);
	if (rc == 0)
		rc = spec_string(b, n, "format", &f);
	if (rc == 0 && f)
		s->format = spec_format(f->str);
	if (rc == 0)
		rc = spec_schema_enum(b, n, s);
	if (rc == 0)
		rc = spec_schema_range(b, n, s);
	if (rc == 0)
		rc = spec_schema_props(b, n, s);
	if (rc == 0)
		rc = spec_schema_required(b, n, s);
	if (rc == 0)
		rc = spec_schema_sub(b, n, "items", &s->items);
	ap = endpoint_spec__get(n, "additionalProperties");
	if (rc == 0 && ap) {
		if (spec_is_scalar(ap) && strcmp(ap->str, "false") == 0)
			s->flags |= ENDPOINT_SPEC__S_NO_ADDITIONAL;
		else if (!spec_is_scalar(ap))
			rc = spec_schema_sub(b, n, "additionalProperties", &s->additional);
	}
	if (rc == 0)
		rc = spec_schema_combine(b, n, s);
	return rc;
}

/* Compiles the schema at n (references followed); a schema reached again is shared, which is
 * what makes recursive schemas finite. */
static int spec_schema(spec_build_t *b, const endpoint_spec__node_t *n,
		       const endpoint_spec__schema_t **out)
{
	endpoint_spec__schema_t *s;
	uint32_t nrefs;
	int rc;

	*out = &spec_schema_any;
	rc = spec_resolve(b, &n, &nrefs);
	if (rc != 0) {
		b->spec->info.unchecked_schemas += rc == 1;
		return rc < 0 ? rc : 0;
	}
	if (n->memo) {
		*out = n->memo;
		spec_unresolve(b, nrefs);
		return 0;
	}
	rc = 0;
	if (spec_is_scalar(n) && (strcmp(n->str, "true") == 0 || strcmp(n->str, "false") == 0)) {
		/* 3.1 boolean schemas: true allows anything; false is taken as the same (it only
		 * appears to forbid a property, which additionalProperties does better). */
	} else if (n->kind != ENDPOINT_SPEC__N_MAP) {
		rc = spec_fail(b, n, AW_EMALFORMED, "a schema must be a mapping");
	} else if (b->schema_depth >= b->lim->max_schema_depth) {
		rc = spec_fail(b, n, AW_ELIMIT, "schemas nested deeper than %u",
			       b->lim->max_schema_depth);
	} else if (b->spec->info.schemas >= b->lim->max_schemas) {
		rc = spec_fail(b, n, AW_ELIMIT, "more than %u schemas", b->lim->max_schemas);
	} else if (!(s = endpoint_spec__alloc(&b->spec->arena, sizeof(*s)))) {
		rc = spec_nomem(b);
	} else {
		b->spec->info.schemas++;
		((endpoint_spec__node_t *)n)->memo = s;
		b->schema_depth++;
		rc = spec_schema_fill(b, n, s);
		b->schema_depth--;
		s->flags |= ENDPOINT_SPEC__S_DONE;
		*out = s;
	}
	spec_unresolve(b, nrefs);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Parameters and request bodies */

typedef struct spec_params {
	endpoint_spec__param_t p[ENDPOINT_SPEC_MAX_PARAMS];
	uint32_t n;
	uint32_t flags; /* ENDPOINT_SPEC__D_NO_UNKNOWN */
} spec_params_t;

static int spec_param_in(const char *in)
{
	static const char *const names[] = {"path", "query", "header", "cookie"};
	int i;

	for (i = 0; i < 4; i++)
		if (strcmp(in, names[i]) == 0)
			return i;
	return -1;
}

static uint8_t spec_param_style(const char *style, int in)
{
	if (!style)
		return in == ENDPOINT_SPEC__IN_QUERY || in == ENDPOINT_SPEC__IN_COOKIE
			       ? ENDPOINT_SPEC__STYLE_FORM
			       : ENDPOINT_SPEC__STYLE_SIMPLE;
	if (strcmp(style, "form") == 0)
		return ENDPOINT_SPEC__STYLE_FORM;
	if (strcmp(style, "simple") == 0)
		return ENDPOINT_SPEC__STYLE_SIMPLE;
	if (strcmp(style, "spaceDelimited") == 0)
		return ENDPOINT_SPEC__STYLE_SPACE;
	if (strcmp(style, "pipeDelimited") == 0)
		return ENDPOINT_SPEC__STYLE_PIPE;
	if (strcmp(style, "deepObject") == 0)
		return ENDPOINT_SPEC__STYLE_DEEP;
	return ENDPOINT_SPEC__STYLE_OTHER;
}

/* Compiles one parameter object at n into *p. */
static int spec_param(spec_build_t *b, const endpoint_spec__node_t *n, endpoint_spec__param_t *p)
{
	const endpoint_spec__node_t *name = NULL, *in = NULL, *style = NULL;
	int rc, required, explode, where;

	if (n->kind != ENDPOINT_SPEC__N_MAP)
		return spec_fail(b, n, AW_EMALFORMED, "a parameter must be a mapping");
	rc = spec_string(b, n, "name", &name);
	if (rc == 0)
		rc = spec_string(b, n, "in", &in);
	if (rc < 0)
		return rc;
	if (!name || !in)
		return spec_fail(b, n, AW_EMALFORMED, "a parameter needs 'name' and 'in'");
	where = spec_param_in(in->str);
	if (where < 0)
		return spec_fail(b, in, AW_EMALFORMED,
				 "'in' must be path, query, header or cookie, not '%.40s'",
				 in->str);
	rc = spec_bool(b, n, "required", where == ENDPOINT_SPEC__IN_PATH, &required);
	if (rc == 0)
		rc = spec_string(b, n, "style", &style);
	if (rc < 0)
		return rc;
	p->style = spec_param_style(style ? style->str : NULL, where);
	rc = spec_bool(b, n, "explode", p->style == ENDPOINT_SPEC__STYLE_FORM, &explode);
	if (rc < 0)
		return rc;
	p->name = endpoint_spec__strdup(&b->spec->arena, name->str, name->len);
	if (!p->name)
		return spec_nomem(b);
	p->len = name->len;
	p->in = (uint8_t)where;
	p->required = (uint8_t)(required || where == ENDPOINT_SPEC__IN_PATH);
	p->explode = (uint8_t)explode;
	/* A parameter described by "content" (a JSON value in a query) is not checked. */
	return spec_schema_sub(b, n, "schema", &p->schema);
}

/* Adds the parameters listed at list to ps; one of the same name and location is replaced. */
static int spec_params(spec_build_t *b, const endpoint_spec__node_t *list, spec_params_t *ps)
{
	const endpoint_spec__member_t *m;
	uint32_t i = 0, j, nrefs;
	int rc = 0;

	if (!list)
		return 0;
	spec_push(b, "parameters", 10);
	if (list->kind != ENDPOINT_SPEC__N_SEQ)
		rc = spec_fail(b, list, AW_EMALFORMED, "'parameters' must be a list");
	for (m = list->first; rc == 0 && m; m = m->next, i++) {
		const endpoint_spec__node_t *n = m->value;
		endpoint_spec__param_t p;

		spec_push_idx(b, i);
		memset(&p, 0, sizeof(p));
		rc = spec_resolve(b, &n, &nrefs);
		if (rc == 1) {
			ps->flags |= ENDPOINT_SPEC__D_NO_UNKNOWN; /* a parameter we cannot name */
			rc = 0;
		} else if (rc == 0) {
			rc = spec_param(b, n, &p);
			spec_unresolve(b, nrefs);
			for (j = 0; rc == 0 && j < ps->n; j++)
				if (ps->p[j].in == p.in && strcmp(ps->p[j].name, p.name) == 0)
					break;
			if (rc == 0 && j == ENDPOINT_SPEC_MAX_PARAMS)
				rc = spec_fail(b, n, AW_ELIMIT, "more than %d parameters",
					       ENDPOINT_SPEC_MAX_PARAMS);
			if (rc == 0) {
				ps->p[j] = p;
				ps->n += j == ps->n;
			}
		}
		spec_pop(b);
	}
	spec_pop(b);
	return rc;
}

static int spec_media_is_json(const char *t)
{
	size_t n = strcspn(t, ";");

	while (n && t[n - 1] == ' ')
		n--;
	return (n == 16 && strncasecmp(t, "application/json", 16) == 0) ||
	       (n >= 5 && strncasecmp(t + n - 5, "+json", 5) == 0) ||
	       (n == 6 && strncasecmp(t, "*/json", 6) == 0);
}

static int spec_body(spec_build_t *b, const endpoint_spec__node_t *op,
		     struct endpoint_spec_detail *d)
{
	const endpoint_spec__node_t *n = endpoint_spec__get(op, "requestBody"), *content;
	const endpoint_spec__member_t *m;
	uint32_t nrefs;
	int rc, required;

	if (!n)
		return 0;
	spec_push(b, "requestBody", 11);
	rc = spec_resolve(b, &n, &nrefs);
	if (rc != 0) {
		spec_pop(b);
		return rc < 0 ? rc : 0; /* external: no body check */
	}
	d->flags |= ENDPOINT_SPEC__D_BODY_DECLARED;
	rc = n->kind == ENDPOINT_SPEC__N_MAP
		     ? spec_bool(b, n, "required", 0, &required)
		     : spec_fail(b, n, AW_EMALFORMED, "'requestBody' must be a mapping");
	content = endpoint_spec__get(n, "content");
	if (rc == 0 && content && content->kind != ENDPOINT_SPEC__N_MAP)
		rc = spec_fail(b, content, AW_EMALFORMED, "'content' must be a mapping");
	if (rc == 0 && required)
		d->flags |= ENDPOINT_SPEC__D_BODY_REQUIRED;
	for (m = content ? content->first : NULL; rc == 0 && m; m = m->next) {
		if (spec_media_is_json(m->key) && !(d->flags & ENDPOINT_SPEC__D_BODY_JSON)) {
			d->flags |= ENDPOINT_SPEC__D_BODY_JSON;
			spec_push(b, "content", 7);
			spec_push(b, m->key, m->key_len);
			rc = spec_schema_sub(b, m->value, "schema", &d->body);
			spec_pop(b);
			spec_pop(b);
		} else if (!spec_media_is_json(m->key)) {
			char *t;
			uint32_t i;

			if (d->nmedia == ENDPOINT_SPEC__MAX_MEDIA) {
				/* Too many to tell apart: any type is taken as declared. */
				d->media[0] = "*/*";
				continue;
			}
			t = endpoint_spec__strdup(&b->spec->arena, m->key, m->key_len);
			if (!t)
				return spec_nomem(b);
			for (i = 0; t[i]; i++)
				t[i] = (char)(t[i] >= 'A' && t[i] <= 'Z' ? t[i] + 32 : t[i]);
			d->media[d->nmedia++] = t;
		}
	}
	spec_unresolve(b, nrefs);
	spec_pop(b);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Paths and operations */

/* Splits a declared template into segments and checks its braces. */
static int spec_template(spec_build_t *b, const endpoint_spec__node_t *at, const char *path,
			 struct endpoint_spec_detail *d, const spec_params_t *ps)
{
	const char *seg[ENDPOINT_SPEC_MAX_SEGMENTS + 1];
	uint32_t len[ENDPOINT_SPEC_MAX_SEGMENTS + 1], n, i, k, j;

	n = endpoint_spec__split(path, strlen(path), seg, len, ENDPOINT_SPEC_MAX_SEGMENTS);
	if (n > ENDPOINT_SPEC_MAX_SEGMENTS)
		return spec_fail(b, at, AW_ELIMIT, "path has more than %d segments",
				 ENDPOINT_SPEC_MAX_SEGMENTS);
	d->seg = endpoint_spec__alloc(&b->spec->arena, sizeof(*d->seg) * (n ? n : 1));
	if (!d->seg)
		return spec_nomem(b);
	d->nseg = n;
	for (i = 0; i < n; i++) {
		endpoint_spec__seg_t *s = &d->seg[i];
		int open = 0, params = 0;

		s->text = seg[i];
		s->len = len[i];
		s->param = -1;
		for (k = 0; k < len[i]; k++) {
			char c = seg[i][k];

			if ((c == '{' && open) || (c == '}' && !open) ||
			    (c == '}' && seg[i][k - 1] == '{') || (unsigned char)c < 0x20)
				return spec_fail(b, at, AW_EMALFORMED,
						 "bad template segment '%.*s'", (int)len[i],
						 seg[i]);
			open = c == '{' ? 1 : c == '}' ? 0 : open;
			params += c == '{';
		}
		if (open)
			return spec_fail(b, at, AW_EMALFORMED, "unclosed '{' in '%.*s'",
					 (int)len[i], seg[i]);
		if (!params)
			continue;
		s->kind = params == 1 && seg[i][0] == '{' && seg[i][len[i] - 1] == '}'
				  ? ENDPOINT_SPEC__SEG_PARAM
				  : ENDPOINT_SPEC__SEG_PATTERN;
		if (s->kind != ENDPOINT_SPEC__SEG_PARAM)
			continue;
		for (j = 0; j < ps->n; j++)
			if (ps->p[j].in == ENDPOINT_SPEC__IN_PATH && ps->p[j].len == len[i] - 2 &&
			    memcmp(ps->p[j].name, seg[i] + 1, len[i] - 2) == 0)
				s->param = (int16_t)j;
	}
	b->total_segments += n;
	return 0;
}

static int spec_operation(spec_build_t *b, const endpoint_spec__node_t *opn, const char *path,
			  int method, const spec_params_t *path_params)
{
	const endpoint_spec__node_t *id = NULL;
	struct endpoint_spec_detail *d;
	spec_pending_t *pe;
	spec_params_t ps;
	int rc, deprecated;

	if (b->spec->nops >= b->lim->max_operations)
		return spec_fail(b, opn, AW_ELIMIT, "more than %u operations",
				 b->lim->max_operations);
	if (opn->kind != ENDPOINT_SPEC__N_MAP)
		return spec_fail(b, opn, AW_EMALFORMED, "an operation must be a mapping");
	ps = *path_params;
	rc = spec_params(b, endpoint_spec__get(opn, "parameters"), &ps);
	if (rc == 0)
		rc = spec_string(b, opn, "operationId", &id);
	if (rc == 0)
		rc = spec_bool(b, opn, "deprecated", 0, &deprecated);
	if (rc < 0)
		return rc;
	pe = endpoint_spec__alloc(&b->spec->arena, sizeof(*pe));
	d = endpoint_spec__alloc(&b->spec->arena, sizeof(*d));
	if (!pe || !d)
		return spec_nomem(b);
	d->flags = ps.flags;
	if (ps.n) {
		d->params = endpoint_spec__alloc(&b->spec->arena, sizeof(*d->params) * ps.n);
		if (!d->params)
			return spec_nomem(b);
		memcpy(d->params, ps.p, sizeof(*d->params) * ps.n);
	}
	rc = spec_body(b, opn, d);
	if (rc == 0)
		rc = spec_template(b, opn, path, d, &ps);
	if (rc < 0)
		return rc;
	pe->op.index = b->spec->nops++;
	pe->op.method = (uint8_t)method;
	pe->op.deprecated = (uint8_t)deprecated;
	pe->op.nparams = (uint16_t)ps.n;
	pe->op.method_name = spec_methods_upper[method];
	pe->op.path = path;
	pe->op.operation_id = "";
	if (id && !(pe->op.operation_id = endpoint_spec__strdup(&b->spec->arena, id->str, id->len)))
		return spec_nomem(b);
	pe->op.detail = d;
	b->spec->info.deprecated += (uint32_t)deprecated;
	if (b->ops_last)
		b->ops_last->next = pe;
	else
		b->ops = pe;
	b->ops_last = pe;
	return 0;
}

static int spec_path_item(spec_build_t *b, const endpoint_spec__member_t *pm)
{
	const endpoint_spec__node_t *item = pm->value;
	spec_params_t ps;
	uint32_t nrefs;
	const char *path;
	int rc, i;

	if (pm->key[0] != '/') {
		if (strncmp(pm->key, "x-", 2) == 0)
			return 0;
		return spec_fail(b, item, AW_EMALFORMED, "a path must start with '/'");
	}
	rc = spec_resolve(b, &item, &nrefs);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	if (item->kind != ENDPOINT_SPEC__N_MAP) {
		rc = spec_fail(b, item, AW_EMALFORMED, "a path item must be a mapping");
		goto out;
	}
	path = endpoint_spec__strdup(&b->spec->arena, pm->key, pm->key_len);
	if (!path) {
		rc = spec_nomem(b);
		goto out;
	}
	memset(&ps, 0, sizeof(ps));
	rc = spec_params(b, endpoint_spec__get(item, "parameters"), &ps);
	b->spec->info.paths++;
	for (i = 0; rc == 0 && i < ENDPOINT_SPEC_METHOD__COUNT; i++) {
		const endpoint_spec__node_t *opn = endpoint_spec__get(item, spec_methods[i]);

		if (!opn)
			continue;
		spec_push(b, spec_methods[i], (uint32_t)strlen(spec_methods[i]));
		rc = spec_operation(b, opn, path, i, &ps);
		spec_pop(b);
	}
out:
	spec_unresolve(b, nrefs);
	return rc;
}

static int spec_paths(spec_build_t *b)
{
	const endpoint_spec__node_t *paths = endpoint_spec__get(b->doc->root, "paths");
	const endpoint_spec__member_t *m;
	int rc = 0;

	if (!paths)
		return 0; /* 3.1 allows a document of webhooks or components only */
	spec_push(b, "paths", 5);
	if (paths->kind != ENDPOINT_SPEC__N_MAP)
		rc = spec_fail(b, paths, AW_EMALFORMED, "'paths' must be a mapping");
	for (m = paths->first; rc == 0 && m; m = m->next) {
		spec_push(b, m->key, m->key_len);
		rc = spec_path_item(b, m);
		spec_pop(b);
	}
	spec_pop(b);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Base paths from servers[].url */

uint32_t endpoint_spec__split(const char *p, size_t n, const char **seg, uint32_t *len,
			      uint32_t max)
{
	uint32_t count = 0;
	size_t i = 0, start;

	while (i < n) {
		while (i < n && p[i] == '/')
			i++;
		if (i == n)
			break;
		start = i;
		while (i < n && p[i] != '/')
			i++;
		if (count == max)
			return max + 1;
		seg[count] = p + start;
		len[count++] = (uint32_t)(i - start);
	}
	return count;
}

/* Adds host (n bytes, any case, a port or userinfo around it) to the spec's scope. */
static int spec_host_add(endpoint_spec_t *spec, const char *host, size_t n)
{
	const char *at = memchr(host, '@', n);
	char *copy;
	uint32_t i;
	size_t k;

	if (at) { /* userinfo */
		n -= (size_t)(at + 1 - host);
		host = at + 1;
	}
	if (n && host[0] == '[') { /* [v6]:port */
		const char *e = memchr(host, ']', n);

		n = e ? (size_t)(e + 1 - host) : n;
	} else {
		const char *c = memchr(host, ':', n);

		n = c ? (size_t)(c - host) : n;
	}
	if (!n || memchr(host, '{', n)) { /* no host, or a variable left in it */
		spec->any_host = 1;
		return 0;
	}
	for (i = 0; i < spec->nhosts; i++)
		if (spec->host_len[i] == n && strncasecmp(spec->hosts[i], host, n) == 0)
			return 0;
	if (spec->nhosts == ENDPOINT_SPEC_MAX_HOSTS) {
		spec->any_host = 1; /* not all of them kept: do not leave any out */
		return 0;
	}
	copy = endpoint_spec__strdup(&spec->arena, host, n);
	if (!copy)
		return AW_ENOMEM;
	for (k = 0; k < n; k++)
		copy[k] = (char)tolower((unsigned char)copy[k]);
	spec->hosts[spec->nhosts] = copy;
	spec->host_len[spec->nhosts++] = (uint32_t)n;
	return 0;
}

/* The next name of a comma-separated host list at *p, blanks around it cut; NULL at the end.
 * *n is its length (0: an empty name). */
static const char *spec_hosts_next(const char **p, size_t *n)
{
	const char *h = *p;
	size_t k;

	if (!h || !*h)
		return NULL;
	k = strcspn(h, ",");
	*p = h + k + (h[k] == ',');
	while (k && (*h == ' ' || *h == '\t')) {
		h++;
		k--;
	}
	while (k && (h[k - 1] == ' ' || h[k - 1] == '\t'))
		k--;
	*n = k;
	return h;
}

int endpoint_spec_check_hosts(const char *list, char *errbuf, size_t errlen)
{
	const char *p = list;
	uint32_t count = 0;
	size_t n;

	while (spec_hosts_next(&p, &n)) {
		if (!n) {
			snprintf(errbuf, errlen, "inventory.spec-hosts: an empty host name in '%s'",
				 list);
			return -1;
		}
		if (++count > ENDPOINT_SPEC_MAX_HOSTS) {
			snprintf(errbuf, errlen, "inventory.spec-hosts: more than %d hosts",
				 ENDPOINT_SPEC_MAX_HOSTS);
			return -1;
		}
	}
	return 0;
}

int endpoint_spec_set_hosts(endpoint_spec_t *spec, const char *list, char *errbuf, size_t errlen)
{
	const char *p = list, *h;
	size_t n;

	if (!list || !*list)
		return 0;
	if (endpoint_spec_check_hosts(list, errbuf, errlen) < 0)
		return -1;
	spec->any_host = 0;
	spec->nhosts = 0;
	while ((h = spec_hosts_next(&p, &n)) != NULL) {
		if (n == 1 && h[0] == '*') {
			spec->any_host = 1;
		} else if (spec_host_add(spec, h, n) < 0) {
			snprintf(errbuf, errlen, "inventory.spec-hosts: %s", error_str(AW_ENOMEM));
			return -1;
		}
	}
	spec->info.hosts = spec->any_host ? 0 : spec->nhosts;
	return 0;
}

int endpoint_spec_covers_host(const endpoint_spec_t *spec, aw_slice_t host)
{
	uint32_t i;

	if (!spec || spec->any_host)
		return 1;
	for (i = 0; i < spec->nhosts; i++)
		if (spec->host_len[i] == host.len &&
		    memcmp(spec->hosts[i], host.ptr, host.len) == 0)
			return 1;
	return 0;
}

const char *endpoint_spec_host(const endpoint_spec_t *spec, uint32_t i, size_t *len)
{
	if (!spec || spec->any_host || i >= spec->nhosts)
		return NULL;
	*len = spec->host_len[i];
	return spec->hosts[i];
}

/* Adds the path part of a server URL (variables already substituted) as a base, and its host
 * (if it has one) to the spec's scope. */
static int spec_base_add(spec_build_t *b, const char *url)
{
	endpoint_spec_t *spec = b->spec;
	endpoint_spec__base_t base;
	const char *p = url, *q;
	char *copy;
	uint32_t i, k;
	size_t n;

	if ((q = strstr(p, "://")) != NULL && (size_t)(q - p) < 32 &&
	    !memchr(p, '/', (size_t)(q - p)))
		p = q + 3;
	else if (p[0] == '/' && p[1] == '/')
		p += 2;
	else
		q = NULL;
	if (q || (url[0] == '/' && url[1] == '/')) {
		size_t alen = strcspn(p, "/?#");

		if (spec_host_add(spec, p, alen) < 0)
			return spec_nomem(b);
		p += strcspn(p, "/"); /* skip the authority */
	} else {
		spec->any_host = 1; /* relative: wherever the document is served from */
	}
	n = strcspn(p, "?#");
	copy = endpoint_spec__strdup(&spec->arena, p, n);
	if (!copy)
		return spec_nomem(b);
	memset(&base, 0, sizeof(base));
	base.nseg = endpoint_spec__split(copy, n, base.seg, base.len, ENDPOINT_SPEC_MAX_SEGMENTS);
	if (base.nseg > ENDPOINT_SPEC_MAX_SEGMENTS)
		return spec_fail(b, NULL, AW_ELIMIT, "server URL with more than %d segments",
				 ENDPOINT_SPEC_MAX_SEGMENTS);
	/* A relative URL is relative to the document: "./v1" and "v1" both mean /v1. */
	if (base.nseg && base.len[0] == 1 && base.seg[0][0] == '.') {
		for (i = 1; i < base.nseg; i++) {
			base.seg[i - 1] = base.seg[i];
			base.len[i - 1] = base.len[i];
		}
		base.nseg--;
	}
	for (i = 0; i < spec->nbases; i++) {
		if (spec->bases[i].nseg != base.nseg)
			continue;
		for (k = 0; k < base.nseg; k++)
			if (spec->bases[i].len[k] != base.len[k] ||
			    memcmp(spec->bases[i].seg[k], base.seg[k], base.len[k]) != 0)
				break;
		if (k == base.nseg)
			return 0; /* already there */
	}
	if (spec->nbases == ENDPOINT_SPEC_MAX_BASES) {
		spec_warn(b, "more base paths than are kept");
		return 0;
	}
	/* Most segments first, so that /v1/admin is tried before /v1. */
	for (i = spec->nbases; i > 0 && spec->bases[i - 1].nseg < base.nseg; i--)
		spec->bases[i] = spec->bases[i - 1];
	spec->bases[i] = base;
	spec->nbases++;
	return 0;
}

/* The value of server variable name: its default, or enum value alt (0 = default). NULL when
 * there is no such alternative. */
static const char *spec_server_var(const endpoint_spec__node_t *vars, const char *name,
				   uint32_t alt)
{
	const endpoint_spec__node_t *v = endpoint_spec__get(vars, name), *e;
	const endpoint_spec__member_t *m;

	if (!v)
		return NULL;
	if (alt == 0) {
		e = endpoint_spec__get(v, "default");
		return spec_is_scalar(e) ? e->str : NULL;
	}
	e = endpoint_spec__get(v, "enum");
	for (m = e && e->kind == ENDPOINT_SPEC__N_SEQ ? e->first : NULL; m && --alt; m = m->next)
		;
	return m && spec_is_scalar(m->value) ? m->value->str : NULL;
}

/* Substitutes the variables of url (the one named vary by its enum value alt, the others by
 * their default) into out; 1 when that alternative does not exist. */
static int spec_server_expand(const endpoint_spec__node_t *vars, const char *url, const char *vary,
			      uint32_t alt, char *out, size_t cap)
{
	size_t o = 0;
	const char *p = url;

	while (*p && o + 1 < cap) {
		const char *e = *p == '{' ? strchr(p, '}') : NULL;
		const char *v;
		char name[128];

		if (!e || (size_t)(e - p - 1) >= sizeof(name)) {
			out[o++] = *p++;
			continue;
		}
		memcpy(name, p + 1, (size_t)(e - p - 1));
		name[e - p - 1] = '\0';
		v = spec_server_var(vars, name, vary && strcmp(vary, name) == 0 ? alt : 0);
		if (!v && vary && strcmp(vary, name) == 0)
			return 1;
		/* A variable without a value matches nothing literal: keep its name. */
		o += (size_t)snprintf(out + o, cap - o, "%s", v ? v : name);
		if (o >= cap)
			o = cap - 1;
		p = e + 1;
	}
	out[o] = '\0';
	return 0;
}

static int spec_server(spec_build_t *b, const endpoint_spec__node_t *srv)
{
	const endpoint_spec__node_t *url, *vars;
	const endpoint_spec__member_t *v;
	char buf[2048];
	uint32_t alt;
	int rc;

	if (srv->kind != ENDPOINT_SPEC__N_MAP)
		return spec_fail(b, srv, AW_EMALFORMED, "a server must be a mapping");
	rc = spec_string(b, srv, "url", &url);
	if (rc < 0)
		return rc;
	if (!url)
		return spec_fail(b, srv, AW_EMALFORMED, "a server needs a 'url'");
	vars = endpoint_spec__get(srv, "variables");
	if (vars && vars->kind != ENDPOINT_SPEC__N_MAP)
		return spec_fail(b, vars, AW_EMALFORMED, "'variables' must be a mapping");
	{
		/* A variable in the host ("https://{tenant}.api.example.com"): any tenant, so
		 * every host. */
		const char *a = strstr(url->str, "//");

		if (a && memchr(a + 2, '{', strcspn(a + 2, "/?#")))
			b->spec->any_host = 1;
	}
	spec_server_expand(vars, url->str, NULL, 0, buf, sizeof(buf));
	rc = spec_base_add(b, buf);
	/* Each enum value of each variable, the others at their default. */
	for (v = vars ? vars->first : NULL; rc == 0 && v; v = v->next)
		for (alt = 1; rc == 0 && alt <= ENDPOINT_SPEC_MAX_BASES; alt++) {
			if (spec_server_expand(vars, url->str, v->key, alt, buf, sizeof(buf)))
				break;
			rc = spec_base_add(b, buf);
		}
	return rc;
}

static int spec_servers(spec_build_t *b)
{
	const endpoint_spec__node_t *servers = endpoint_spec__get(b->doc->root, "servers");
	const endpoint_spec__member_t *m;
	uint32_t i = 0;
	int rc = 0;

	if (servers) {
		spec_push(b, "servers", 7);
		if (servers->kind != ENDPOINT_SPEC__N_SEQ)
			rc = spec_fail(b, servers, AW_EMALFORMED, "'servers' must be a list");
		for (m = servers->first; rc == 0 && m; m = m->next, i++) {
			spec_push_idx(b, i);
			rc = spec_server(b, m->value);
			spec_pop(b);
		}
		spec_pop(b);
	}
	if (rc == 0 && b->spec->nbases == 0)
		rc = spec_base_add(b, "/");
	b->spec->info.bases = b->spec->nbases;
	b->spec->info.hosts = b->spec->any_host ? 0 : b->spec->nhosts;
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* The routing trie */

static uint64_t spec_hash(uint32_t parent, const char *s, uint32_t n)
{
	uint64_t h = 14695981039346656037ull ^ ((uint64_t)parent * 0x9e3779b97f4a7c15ull);
	uint32_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
	return h ^ (h >> 29);
}

static endpoint_spec__tnode_t *spec_literal_child(const endpoint_spec_t *spec,
						  const endpoint_spec__tnode_t *node, const char *s,
						  uint32_t n)
{
	uint64_t h;
	uint32_t i;

	if (!node->nliteral)
		return NULL;
	h = spec_hash(node->id, s, n);
	for (i = (uint32_t)h & spec->edge_mask;; i = (i + 1) & spec->edge_mask) {
		const endpoint_spec__edge_t *e = &spec->edges[i];

		if (!e->child)
			return NULL;
		if (e->hash == h && e->parent == node->id && e->len == n &&
		    memcmp(e->seg, s, n) == 0)
			return e->child;
	}
}

static endpoint_spec__tnode_t *spec_tnode_new(spec_build_t *b)
{
	endpoint_spec__tnode_t *t = endpoint_spec__alloc(&b->spec->arena, sizeof(*t));

	if (t)
		t->id = b->spec->nnodes++;
	return t;
}

/* The pattern of a segment with parameters inside: each "{...}" becomes one 0x01 byte. */
static char *spec_pattern(spec_build_t *b, const endpoint_spec__seg_t *s, uint32_t *plen)
{
	char *p = endpoint_spec__alloc(&b->spec->arena, s->len + 1);
	uint32_t i, o = 0;

	if (!p)
		return NULL;
	for (i = 0; i < s->len; i++) {
		if (s->text[i] == '{') {
			while (s->text[i] != '}')
				i++;
			p[o++] = '\x01';
		} else {
			p[o++] = s->text[i];
		}
	}
	*plen = o;
	return p;
}

static endpoint_spec__tnode_t *spec_child(spec_build_t *b, endpoint_spec__tnode_t *node,
					  const endpoint_spec__seg_t *s)
{
	endpoint_spec_t *spec = b->spec;
	endpoint_spec__tnode_t *c;
	uint32_t plen, i;
	char *pat;

	if (s->kind == ENDPOINT_SPEC__SEG_PARAM) {
		if (!node->param)
			node->param = spec_tnode_new(b);
		return node->param;
	}
	if (s->kind == ENDPOINT_SPEC__SEG_PATTERN) {
		pat = spec_pattern(b, s, &plen);
		if (!pat)
			return NULL;
		for (c = node->patterns; c; c = c->next)
			if (c->pattern_len == plen && memcmp(c->pattern, pat, plen) == 0)
				return c;
		c = spec_tnode_new(b);
		if (c) {
			c->pattern = pat;
			c->pattern_len = plen;
			c->next = node->patterns;
			node->patterns = c;
		}
		return c;
	}
	c = spec_literal_child(spec, node, s->text, s->len);
	if (c)
		return c;
	c = spec_tnode_new(b);
	if (!c)
		return NULL;
	{
		uint64_t h = spec_hash(node->id, s->text, s->len);

		for (i = (uint32_t)h & spec->edge_mask; spec->edges[i].child;
		     i = (i + 1) & spec->edge_mask)
			;
		spec->edges[i] = (endpoint_spec__edge_t){h, s->text, s->len, node->id, c};
	}
	node->nliteral++;
	return c;
}

static int spec_trie(spec_build_t *b)
{
	endpoint_spec_t *spec = b->spec;
	const spec_pending_t *pe;
	uint32_t size = 16, i;

	while (size < 2 * b->total_segments + 16)
		size *= 2;
	spec->edges = endpoint_spec__alloc(&spec->arena, sizeof(*spec->edges) * size);
	spec->edge_mask = size - 1;
	spec->ops = endpoint_spec__alloc(&spec->arena, sizeof(*spec->ops) * (spec->nops + 1));
	spec->root = spec_tnode_new(b);
	if (!spec->edges || !spec->ops || !spec->root)
		return spec_nomem(b);
	for (pe = b->ops; pe; pe = pe->next)
		spec->ops[pe->op.index] = pe->op;
	for (i = 0; i < spec->nops; i++) {
		endpoint_spec_op_t *op = &spec->ops[i];
		endpoint_spec__tnode_t *t = spec->root;
		uint32_t k;

		for (k = 0; t && k < op->detail->nseg; k++)
			t = spec_child(b, t, &op->detail->seg[k]);
		if (!t)
			return spec_nomem(b);
		if (t->ops[op->method]) {
			/* /pets/{id} and /pets/{name}: the same path to OpenAPI. The first wins. */
			spec_push(b, "paths", 5);
			spec_push(b, op->path, (uint32_t)strlen(op->path));
			spec_warn(b, "same path and method as an earlier operation");
			spec_pop(b);
			spec_pop(b);
			continue;
		}
		t->ops[op->method] = op;
		t->nops++;
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Routing */

#define SPEC_ROUTE_SEGMENTS (2 * ENDPOINT_SPEC_MAX_SEGMENTS)

typedef struct spec_walk {
	const endpoint_spec_t *spec;
	const char *seg[SPEC_ROUTE_SEGMENTS];
	uint32_t len[SPEC_ROUTE_SEGMENTS];
	uint8_t learned[SPEC_ROUTE_SEGMENTS]; /* a "{name}" segment of a learned template */
	uint32_t nseg;
	int method; /* -1: not a method a spec declares */
	int budget;
	int path_found;
} spec_walk_t;

/* Whether s matches a pattern, each 0x01 standing for one or more bytes. */
static int spec_pattern_match(const char *pat, uint32_t plen, const char *s, uint32_t n)
{
	uint32_t p = 0, i = 0, star_p = UINT32_MAX, star_i = 0;

	while (i < n) {
		if (p < plen && pat[p] == '\x01') {
			star_p = p++;
			star_i = ++i; /* at least one byte */
		} else if (p < plen && pat[p] == s[i]) {
			p++;
			i++;
		} else if (star_p != UINT32_MAX) {
			p = star_p + 1;
			i = ++star_i;
		} else {
			return 0;
		}
	}
	return p == plen;
}

static const endpoint_spec_op_t *spec_walk(spec_walk_t *w, const endpoint_spec__tnode_t *t,
					   uint32_t i)
{
	const endpoint_spec__tnode_t *c;
	const endpoint_spec_op_t *op;

	if (--w->budget < 0)
		return NULL;
	if (i == w->nseg) {
		if (t->nops)
			w->path_found = 1;
		return w->method >= 0 ? t->ops[w->method] : NULL;
	}
	if (!w->learned[i]) {
		c = spec_literal_child(w->spec, t, w->seg[i], w->len[i]);
		if (c && (op = spec_walk(w, c, i + 1)))
			return op;
	}
	for (c = t->patterns; c; c = c->next)
		if ((w->learned[i] ||
		     spec_pattern_match(c->pattern, c->pattern_len, w->seg[i], w->len[i])) &&
		    (op = spec_walk(w, c, i + 1)))
			return op;
	return t->param ? spec_walk(w, t->param, i + 1) : NULL;
}

void endpoint_spec_route(const endpoint_spec_t *spec, endpoint_spec_route_t *r, aw_slice_t method,
			 aw_slice_t path, int is_template)
{
	spec_walk_t w;
	uint32_t bi, k, i;
	int any_base = 0;

	r->op = NULL;
	r->flags = 0;
	w.spec = spec;
	w.method = endpoint_spec_method_index(method);
	w.budget = ENDPOINT_SPEC_MAX_VISITS;
	w.path_found = 0;
	w.nseg = endpoint_spec__split(path.ptr, path.len, w.seg, w.len, SPEC_ROUTE_SEGMENTS);
	if (w.nseg > SPEC_ROUTE_SEGMENTS) {
		r->flags |= ENDPOINT_SPEC_R_TOO_LONG;
		return;
	}
	for (i = 0; i < w.nseg; i++) {
		w.learned[i] = is_template && w.len[i] >= 2 && w.seg[i][0] == '{' &&
			       w.seg[i][w.len[i] - 1] == '}';
		if (w.learned[i] && w.len[i] == 3 && w.seg[i][1] == '*')
			return; /* the catch-all of an overflowing tree stands for any path */
	}
	for (bi = 0; bi < spec->nbases && !r->op; bi++) {
		const endpoint_spec__base_t *b = &spec->bases[bi];

		if (b->nseg > w.nseg)
			continue;
		for (k = 0; k < b->nseg; k++)
			if (w.learned[k] || w.len[k] != b->len[k] ||
			    memcmp(w.seg[k], b->seg[k], b->len[k]) != 0)
				break;
		if (k < b->nseg)
			continue;
		any_base = 1;
		r->op = spec_walk(&w, spec->root, k);
		if (w.budget < 0)
			r->flags |= ENDPOINT_SPEC_R_TOO_LONG;
	}
	if (!any_base)
		r->flags |= ENDPOINT_SPEC_R_NO_BASE;
	if (r->op || w.path_found)
		r->flags |= ENDPOINT_SPEC_R_PATH;
}

const endpoint_spec_op_t *endpoint_spec_match(const endpoint_spec_t *spec, aw_slice_t method,
					      aw_slice_t path)
{
	endpoint_spec_route_t r;

	endpoint_spec_route(spec, &r, method, path, 0);
	return r.op;
}

const endpoint_spec_op_t *endpoint_spec_match_template(const endpoint_spec_t *spec,
						       aw_slice_t method, aw_slice_t tmpl)
{
	endpoint_spec_route_t r;

	endpoint_spec_route(spec, &r, method, tmpl, 1);
	return r.op;
}

int endpoint_spec__strip_base(const endpoint_spec_t *spec, const char *const *seg,
			      const uint32_t *len, uint32_t nseg, uint32_t want)
{
	uint32_t bi, k;

	for (bi = 0; bi < spec->nbases; bi++) {
		const endpoint_spec__base_t *b = &spec->bases[bi];

		if (b->nseg + want != nseg)
			continue;
		for (k = 0; k < b->nseg; k++)
			if (len[k] != b->len[k] || memcmp(seg[k], b->seg[k], len[k]) != 0)
				break;
		if (k == b->nseg)
			return (int)k;
	}
	return -1;
}

/* ------------------------------------------------------------------------------------------ */
/* Loading */

static int spec_info(spec_build_t *b)
{
	const endpoint_spec__node_t *root = b->doc->root, *v, *info, *s;
	endpoint_spec_info_t *in = &b->spec->info;
	int rc;

	if (root->kind != ENDPOINT_SPEC__N_MAP)
		return spec_fail(b, root, AW_EMALFORMED,
				 "not an OpenAPI document: the top level is not a mapping");
	if (endpoint_spec__get(root, "swagger") && !endpoint_spec__get(root, "openapi"))
		return spec_fail(b, root, AW_ENOTSUP,
				 "Swagger 2.0 is not supported: convert the document to OpenAPI 3");
	rc = spec_string(b, root, "openapi", &v);
	if (rc < 0)
		return rc;
	if (!v)
		return spec_fail(b, root, AW_EMALFORMED,
				 "not an OpenAPI document: no 'openapi' version");
	if (strncmp(v->str, "3.", 2) != 0) {
		spec_push(b, "openapi", 7);
		return spec_fail(b, v, AW_ENOTSUP, "OpenAPI version '%.20s' is not 3.x", v->str);
	}
	in->openapi = endpoint_spec__strdup(&b->spec->arena, v->str, v->len);
	in->title = in->version = "";
	info = endpoint_spec__get(root, "info");
	if (info && info->kind == ENDPOINT_SPEC__N_MAP) {
		if ((s = endpoint_spec__get(info, "title")) && spec_is_scalar(s))
			in->title = endpoint_spec__strdup(&b->spec->arena, s->str, s->len);
		if ((s = endpoint_spec__get(info, "version")) && spec_is_scalar(s))
			in->version = endpoint_spec__strdup(&b->spec->arena, s->str, s->len);
	}
	in->name = endpoint_spec__strdup(&b->spec->arena, b->name, strlen(b->name));
	return in->openapi && in->title && in->version && in->name ? 0 : spec_nomem(b);
}

int endpoint_spec_load_mem(endpoint_spec_t **out, const char *name, const char *data, size_t len,
			   const endpoint_spec_limits_t *lim, mem_account_t *acct, char *errbuf,
			   size_t errlen)
{
	endpoint_spec_limits_t deflim;
	endpoint_spec__doc_t doc;
	endpoint_spec_t *spec;
	spec_build_t b;
	int rc;

	*out = NULL;
	if (!lim) {
		endpoint_spec_limits_default(&deflim);
		lim = &deflim;
	}
	if (len > lim->max_file) {
		snprintf(errbuf, errlen, "%s: larger than %zu bytes", name, lim->max_file);
		endpoint_spec__one_line(errbuf);
		return AW_ELIMIT;
	}
	rc = endpoint_spec__doc_parse(&doc, name, data, len, lim, acct, errbuf, errlen);
	if (rc < 0) {
		endpoint_spec__doc_free(&doc);
		return rc;
	}
	spec = mem_calloc(acct, sizeof(*spec));
	if (!spec) {
		endpoint_spec__doc_free(&doc);
		snprintf(errbuf, errlen, "%s: out of memory", name);
		return AW_ENOMEM;
	}
	endpoint_spec__arena_init(&spec->arena, acct);
	memset(&b, 0, sizeof(b));
	b.spec = spec;
	b.doc = &doc;
	b.lim = lim;
	b.name = name;
	b.errbuf = errbuf;
	b.errlen = errlen;
	rc = spec_info(&b);
	if (rc == 0)
		rc = spec_servers(&b);
	if (rc == 0)
		rc = spec_paths(&b);
	if (rc == 0)
		rc = spec_trie(&b);
	endpoint_spec__doc_free(&doc);
	if (rc < 0) {
		endpoint_spec_free(spec);
		return rc;
	}
	spec->info.operations = spec->nops;
	*out = spec;
	return 0;
}

int endpoint_spec_load_file(endpoint_spec_t **out, const char *path,
			    const endpoint_spec_limits_t *lim, mem_account_t *acct, char *errbuf,
			    size_t errlen)
{
	endpoint_spec_limits_t deflim;
	struct stat st;
	char *data = NULL;
	size_t got = 0;
	int fd, rc;

	*out = NULL;
	if (!lim) {
		endpoint_spec_limits_default(&deflim);
		lim = &deflim;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		int e = fd < 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : errno ? errno : EINVAL;

		snprintf(errbuf, errlen, "%s: %s", path,
			 fd >= 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)
				 ? "not a regular file"
				 : strerror(e));
		if (fd >= 0)
			close(fd);
		return e == ENOENT ? AW_ENOENT : e == EACCES ? AW_EPERM : AW_EIO;
	}
	if ((uint64_t)st.st_size > lim->max_file) {
		close(fd);
		snprintf(errbuf, errlen, "%s: larger than %zu bytes", path, lim->max_file);
		return AW_ELIMIT;
	}
	/* Read whole, one byte more than the size said, so that a growing file is noticed. */
	data = mem_alloc(acct, (size_t)st.st_size + 1);
	if (!data) {
		close(fd);
		snprintf(errbuf, errlen, "%s: out of memory", path);
		return AW_ENOMEM;
	}
	for (;;) {
		ssize_t n = read(fd, data + got, (size_t)st.st_size + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
			mem_free(acct, data, (size_t)st.st_size + 1);
			close(fd);
			return AW_EIO;
		}
		if (n == 0 || (got += (size_t)n) > (size_t)st.st_size)
			break;
	}
	close(fd);
	if (got > (size_t)st.st_size) {
		snprintf(errbuf, errlen, "%s: the file changed while it was read", path);
		mem_free(acct, data, (size_t)st.st_size + 1);
		return AW_EIO;
	}
	rc = endpoint_spec_load_mem(out, path, data, got, lim, acct, errbuf, errlen);
	mem_free(acct, data, (size_t)st.st_size + 1);
	return rc;
}

void endpoint_spec_free(endpoint_spec_t *spec)
{
	mem_account_t *acct;

	if (!spec)
		return;
	acct = spec->arena.acct;
	endpoint_spec__arena_free(&spec->arena);
	mem_free(acct, spec, sizeof(*spec));
}

const endpoint_spec_info_t *endpoint_spec_info(const endpoint_spec_t *spec)
{
	return &spec->info;
}

uint32_t endpoint_spec_op_count(const endpoint_spec_t *spec)
{
	return spec->nops;
}

const endpoint_spec_op_t *endpoint_spec_op(const endpoint_spec_t *spec, uint32_t index)
{
	return index < spec->nops ? &spec->ops[index] : NULL;
}

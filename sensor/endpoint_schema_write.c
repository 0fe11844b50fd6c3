/*
 * endpoint_schema_write.c - an endpoint schema as inventory entries and as OpenAPI 3.0.
 *
 * Fed with a schema learned by endpoint_schema.c; feeds the catalogue's events and OpenAPI
 * export through the json.h writer. Output is deterministic: entries are sorted by path or name
 * (bytes, then kind), never written in the order they were learned. Writing allocates scratch
 * (paths, sorted child lists) charged to the schema's account and frees it before returning;
 * it runs when the catalogue reports, not per call.
 *
 * Deliberately not here: deciding what to write when (the catalogue's business) and anything
 * past the Schema Object and its parameters (paths, operations, responses).
 */
#include <stdlib.h>
#include <string.h>

#include "endpoint_schema_private.h"

/* ------------------------------------------------------------------------------------------ */
/* Names */

static const char *const es_type_names[ENDPOINT_SCHEMA__TYPES] = {
	[ENDPOINT_SCHEMA_NULL] = "null",       [ENDPOINT_SCHEMA_BOOLEAN] = "boolean",
	[ENDPOINT_SCHEMA_INTEGER] = "integer", [ENDPOINT_SCHEMA_NUMBER] = "number",
	[ENDPOINT_SCHEMA_STRING] = "string",   [ENDPOINT_SCHEMA_OBJECT] = "object",
	[ENDPOINT_SCHEMA_ARRAY] = "array",
};

static const char *const es_format_names[ENDPOINT_SCHEMA_FMT__COUNT] = {
	[ENDPOINT_SCHEMA_FMT_NONE] = "",     [ENDPOINT_SCHEMA_FMT_DATE_TIME] = "date-time",
	[ENDPOINT_SCHEMA_FMT_DATE] = "date", [ENDPOINT_SCHEMA_FMT_EMAIL] = "email",
	[ENDPOINT_SCHEMA_FMT_UUID] = "uuid", [ENDPOINT_SCHEMA_FMT_URI] = "uri",
	[ENDPOINT_SCHEMA_FMT_IPV4] = "ipv4", [ENDPOINT_SCHEMA_FMT_INT_STRING] = "integer-string",
};

const char *endpoint_schema_type_name(unsigned type)
{
	return type < ENDPOINT_SCHEMA__TYPES ? es_type_names[type] : "unknown";
}

const char *endpoint_schema_format_name(unsigned format)
{
	return format < ENDPOINT_SCHEMA_FMT__COUNT ? es_format_names[format] : "unknown";
}

/* ------------------------------------------------------------------------------------------ */
/* Paths */

typedef struct es_path {
	const char *path;
	uint32_t len;
	uint16_t idx;
	uint8_t param;
} es_path_t;

typedef struct es_paths {
	es_path_t *v;
	char *text;
	size_t size; /* bytes of the one block holding both */
} es_paths_t;

/* The path of every node, in index order (parents first): one block, freed by es_paths_free. */
static int es_paths_build(const endpoint_schema_t *s, es_paths_t *ps)
{
	size_t total = 0, off = 0, head = (size_t)s->nnodes * sizeof(es_path_t);
	uint32_t i;

	/* Lengths first, in a pass of their own: parents precede their children. */
	ps->v = mem_alloc(s->acct, head ? head : 1);
	if (!ps->v)
		return -1;
	for (i = 0; i < s->nnodes; i++) {
		const es_node_t *n = &s->node[i];
		uint32_t len = n->name_len;

		if (n->kind == ES_MEMBER || n->kind == ES_ANY) {
			uint32_t pl = ps->v[n->parent].len;

			len += pl + (pl > 0);
		} else if (n->kind == ES_ELEM) {
			len += ps->v[n->parent].len;
		}
		ps->v[i].len = len;
		ps->v[i].idx = (uint16_t)i;
		ps->v[i].param = n->kind == ES_PARAM;
		total += len + 1;
	}
	ps->text = mem_alloc(s->acct, total);
	if (!ps->text) {
		mem_free(s->acct, ps->v, head ? head : 1);
		ps->v = NULL;
		return -1;
	}
	ps->size = total;
	for (i = 0; i < s->nnodes; i++) {
		const es_node_t *n = &s->node[i];
		char *w = ps->text + off;

		if (n->kind == ES_MEMBER || n->kind == ES_ANY || n->kind == ES_ELEM) {
			const es_path_t *pp = &ps->v[n->parent];

			memcpy(w, pp->path, pp->len);
			w += pp->len;
			if (n->kind != ES_ELEM && pp->len > 0)
				*w++ = '.';
		}
		memcpy(w, es_name(s, n), n->name_len);
		w[n->name_len] = '\0';
		ps->v[i].path = ps->text + off;
		off += ps->v[i].len + 1;
	}
	return 0;
}

static void es_paths_free(const endpoint_schema_t *s, es_paths_t *ps)
{
	size_t head = (size_t)s->nnodes * sizeof(es_path_t);

	if (!ps->v)
		return;
	mem_free(s->acct, ps->text, ps->size);
	mem_free(s->acct, ps->v, head ? head : 1);
	ps->v = NULL;
}

/* Body paths before parameters, then bytes, then the shorter first; the index breaks ties (a
 * member named "a.b" and the path a.b), so equal input gives equal output. */
static int es_path_cmp(const void *a, const void *b)
{
	const es_path_t *x = a, *y = b;
	uint32_t n = x->len < y->len ? x->len : y->len;
	int c;

	if (x->param != y->param)
		return x->param - y->param;
	c = memcmp(x->path, y->path, n);
	if (c)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* ------------------------------------------------------------------------------------------ */
/* Entries */

static void es_entry(const endpoint_schema_t *s, const es_node_t *n, endpoint_schema_entry_t *out)
{
	memset(out, 0, sizeof(*out));
	out->seen = n->seen;
	out->required = n->kind == ES_ROOT ? n->seen > 0 : es_required(s, n);
	out->repeated = !!(n->flags & ES_F_REPEATED);
	if (n->kind == ES_PARAM) {
		unsigned t, f;

		endpoint_schema__param_type(n->types, &t, &f);
		out->types = 1u << t;
		out->format = f;
	} else {
		out->types = n->types;
		if (n->types & (1u << ENDPOINT_SCHEMA_STRING))
			out->format = es_format(n->fmt);
	}
}

int endpoint_schema_find(const endpoint_schema_t *s, const char *path, endpoint_schema_entry_t *out)
{
	size_t len = strlen(path);
	es_paths_t ps;
	uint32_t i;
	int found = 0;

	if (es_paths_build(s, &ps) < 0)
		return 0;
	for (i = 0; i < s->nnodes && !found; i++) {
		if (!ps.v[i].param && ps.v[i].len == len && memcmp(ps.v[i].path, path, len) == 0) {
			es_entry(s, &s->node[i], out);
			found = 1;
		}
	}
	es_paths_free(s, &ps);
	return found;
}

int endpoint_schema_find_param(const endpoint_schema_t *s, const char *name,
			       endpoint_schema_entry_t *out)
{
	size_t len = strlen(name);
	uint32_t i;

	for (i = 0; i < s->nnodes; i++) {
		const es_node_t *n = &s->node[i];

		if (n->kind == ES_PARAM && n->name_len == len &&
		    memcmp(es_name(s, n), name, len) == 0) {
			es_entry(s, n, out);
			return 1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Inventory */

static void es_inventory_entry(const endpoint_schema_t *s, json_buf_t *jb, const es_path_t *p)
{
	const es_node_t *n = &s->node[p->idx];
	endpoint_schema_entry_t e;
	unsigned t;

	es_entry(s, n, &e);
	json_open_object(jb, NULL);
	json_kv_strn(jb, "path", p->path, p->len);
	if (p->param)
		json_kv_str(jb, "in", "query");
	json_open_array(jb, "types");
	for (t = 0; t < ENDPOINT_SCHEMA__TYPES; t++)
		if (e.types & (1u << t))
			json_str(jb, es_type_names[t]);
	json_close_array(jb);
	json_kv_u64(jb, "seen", e.seen);
	if (e.format)
		json_kv_str(jb, "format", es_format_names[e.format]);
	if (p->param && e.required)
		json_kv_bool(jb, "required", 1);
	if (p->param && e.repeated)
		json_kv_bool(jb, "repeated", 1);
	json_close_object(jb);
}

void endpoint_schema_write_inventory(const endpoint_schema_t *s, json_buf_t *jb, const char *key)
{
	es_paths_t ps;
	uint32_t i;

	json_open_array(jb, key);
	if (es_paths_build(s, &ps) == 0) {
		qsort(ps.v, s->nnodes, sizeof(*ps.v), es_path_cmp);
		for (i = 0; i < s->nnodes; i++)
			if (s->node[ps.v[i].idx].types)
				es_inventory_entry(s, jb, &ps.v[i]);
		es_paths_free(s, &ps);
	}
	json_close_array(jb);
}

/* ------------------------------------------------------------------------------------------ */
/* OpenAPI */

/* The named members of each node sorted by name: kid[first[p] .. first[p + 1]). */
typedef struct es_kids {
	es_path_t *kid; /* path is the member's name here */
	uint32_t *first;
	size_t size;
} es_kids_t;

static int es_kid_cmp(const void *a, const void *b)
{
	const es_path_t *x = a, *y = b;

	/* The parent rides in len's place until sorted: see es_kids_build. */
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return strcmp(x->path, y->path);
}

static int es_kids_build(const endpoint_schema_t *s, es_kids_t *k)
{
	uint32_t i, m = 0;

	for (i = 0; i < s->nnodes; i++)
		m += s->node[i].kind == ES_MEMBER;
	k->size = (size_t)m * sizeof(es_path_t) + ((size_t)s->nnodes + 1) * sizeof(uint32_t);
	k->kid = mem_alloc(s->acct, k->size);
	if (!k->kid)
		return -1;
	k->first = (uint32_t *)(void *)(k->kid + m);
	memset(k->first, 0, ((size_t)s->nnodes + 1) * sizeof(uint32_t));
	m = 0;
	for (i = 0; i < s->nnodes; i++) {
		const es_node_t *n = &s->node[i];

		if (n->kind != ES_MEMBER)
			continue;
		k->kid[m].path = es_name(s, n);
		k->kid[m].len = n->parent;
		k->kid[m].idx = (uint16_t)i;
		k->first[n->parent + 1]++;
		m++;
	}
	qsort(k->kid, m, sizeof(*k->kid), es_kid_cmp);
	for (i = 0; i < s->nnodes; i++)
		k->first[i + 1] += k->first[i];
	return 0;
}

/* Room left in the writer's stack of open objects and arrays. */
static int es_room(const json_buf_t *jb)
{
	return JSON_MAX_DEPTH - jb->depth;
}

static void es_oa_schema(const endpoint_schema_t *s, const es_kids_t *k, json_buf_t *jb,
			 const char *key, uint16_t idx);

static void es_oa_object(const endpoint_schema_t *s, const es_kids_t *k, json_buf_t *jb,
			 uint16_t idx)
{
	const es_node_t *n = &s->node[idx];
	uint32_t a = k->first[idx], b = k->first[idx + 1], i;
	int req = 0;

	if (b > a && es_room(jb) >= 2) {
		json_open_object(jb, "properties");
		for (i = a; i < b; i++) {
			const es_node_t *kid = &s->node[k->kid[i].idx];

			/* A key whose value was cut short, in a document that broke: no schema. */
			if (kid->types == 0)
				continue;
			es_oa_schema(s, k, jb, k->kid[i].path, k->kid[i].idx);
			req += es_required(s, kid);
		}
		json_close_object(jb);
		if (req) {
			json_open_array(jb, "required");
			for (i = a; i < b; i++)
				if (s->node[k->kid[i].idx].types &&
				    es_required(s, &s->node[k->kid[i].idx]))
					json_str(jb, k->kid[i].path);
			json_close_array(jb);
		}
	}
	if (n->any != ES_NONE && es_room(jb) >= 1)
		es_oa_schema(s, k, jb, "additionalProperties", n->any);
}

/* The members of a schema of one type t of node idx. */
static void es_oa_type(const endpoint_schema_t *s, const es_kids_t *k, json_buf_t *jb, uint16_t idx,
		       unsigned t, int nullable)
{
	const es_node_t *n = &s->node[idx];
	unsigned f;

	json_kv_str(jb, "type", es_type_names[t]);
	if (nullable)
		json_kv_bool(jb, "nullable", 1);
	switch (t) {
	case ENDPOINT_SCHEMA_STRING:
		f = es_format(n->fmt);
		if (f == ENDPOINT_SCHEMA_FMT_INT_STRING)
			json_kv_str(jb, "pattern", "^-?[0-9]+$");
		else if (f != ENDPOINT_SCHEMA_FMT_NONE)
			json_kv_str(jb, "format", es_format_names[f]);
		break;
	case ENDPOINT_SCHEMA_OBJECT:
		es_oa_object(s, k, jb, idx);
		break;
	case ENDPOINT_SCHEMA_ARRAY:
		if (n->elem != ES_NONE) {
			es_oa_schema(s, k, jb, "items", n->elem);
		} else {
			json_open_object(jb, "items");
			json_close_object(jb);
		}
		break;
	default:
		break;
	}
}

/*
 * The Schema Object of node idx as member key (NULL: an element). null is no type in OpenAPI
 * 3.0: it makes the schema nullable, or the first alternative of a oneOf (the alternatives stay
 * exclusive). integer with number is number. Where the writer's nesting runs out, a schema is
 * left open ({}), never cut in the middle.
 */
static void es_oa_schema(const endpoint_schema_t *s, const es_kids_t *k, json_buf_t *jb,
			 const char *key, uint16_t idx)
{
	const es_node_t *n = &s->node[idx];
	unsigned types = n->types & ~(1u << ENDPOINT_SCHEMA_NULL), t, count = 0;
	int nullable = !!(n->types & (1u << ENDPOINT_SCHEMA_NULL));

	if ((types & (1u << ENDPOINT_SCHEMA_INTEGER)) && (types & (1u << ENDPOINT_SCHEMA_NUMBER)))
		types &= ~(1u << ENDPOINT_SCHEMA_INTEGER);
	for (t = 0; t < ENDPOINT_SCHEMA__TYPES; t++)
		count += (types >> t) & 1;
	json_open_object(jb, key);
	if (count == 1 && es_room(jb) >= 1) {
		for (t = 0; !(types & (1u << t)); t++)
			;
		es_oa_type(s, k, jb, idx, t, nullable);
	} else if (count > 1 && es_room(jb) >= 3) {
		json_open_array(jb, "oneOf");
		for (t = 0; t < ENDPOINT_SCHEMA__TYPES; t++) {
			if (!(types & (1u << t)))
				continue;
			json_open_object(jb, NULL);
			es_oa_type(s, k, jb, idx, t, nullable);
			nullable = 0;
			json_close_object(jb);
		}
		json_close_array(jb);
	} else if (count == 0 && nullable) {
		json_kv_bool(jb, "nullable", 1);
	}
	json_close_object(jb);
}

void endpoint_schema_write_openapi(const endpoint_schema_t *s, json_buf_t *jb, const char *key)
{
	es_kids_t k;

	if (s->node[0].types == 0 || es_kids_build(s, &k) < 0) {
		json_open_object(jb, key);
		json_close_object(jb);
		return;
	}
	es_oa_schema(s, &k, jb, key, 0);
	mem_free(s->acct, k.kid, k.size);
}

/* The schema of one parameter value. */
static void es_oa_param_type(json_buf_t *jb, const es_node_t *n)
{
	unsigned t, f;

	endpoint_schema__param_type(n->types, &t, &f);
	json_kv_str(jb, "type", es_type_names[t]);
	if (f != ENDPOINT_SCHEMA_FMT_NONE)
		json_kv_str(jb, "format", es_format_names[f]);
}

void endpoint_schema_write_openapi_params(const endpoint_schema_t *s, json_buf_t *jb)
{
	es_paths_t ps;
	uint32_t i;

	if (es_paths_build(s, &ps) < 0)
		return;
	qsort(ps.v, s->nnodes, sizeof(*ps.v), es_path_cmp);
	for (i = 0; i < s->nnodes; i++) {
		const es_node_t *n = &s->node[ps.v[i].idx];

		if (!ps.v[i].param || (n->name_len == 1 && es_name(s, n)[0] == '*'))
			continue;
		json_open_object(jb, NULL);
		json_kv_strn(jb, "name", ps.v[i].path, ps.v[i].len);
		json_kv_str(jb, "in", "query");
		if (es_required(s, n))
			json_kv_bool(jb, "required", 1);
		if (n->types & ES_Q_EMPTY)
			json_kv_bool(jb, "allowEmptyValue", 1);
		json_open_object(jb, "schema");
		if (n->flags & ES_F_REPEATED) {
			json_kv_str(jb, "type", "array");
			json_open_object(jb, "items");
			es_oa_param_type(jb, n);
			json_close_object(jb);
		} else {
			es_oa_param_type(jb, n);
		}
		json_close_object(jb);
		json_close_object(jb);
	}
	es_paths_free(s, &ps);
}

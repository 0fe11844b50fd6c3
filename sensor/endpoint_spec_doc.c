/*
 * endpoint_spec_doc.c - reading a spec file into a tree of nodes: the arena, libyaml for YAML,
 * jansson for JSON (see endpoint_spec.h for why two parsers).
 *
 * Fed by endpoint_spec.c with the bytes of the file; hands back a tree of maps, lists and
 * scalars with their positions, which the model builder walks and then frees. YAML anchors
 * become shared nodes (never copied, so alias bombs cost nothing); every node counts against
 * the node cap and every nesting level against the depth cap. It knows nothing of OpenAPI.
 */
#include "endpoint_spec_private.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <yaml.h>

#include "error.h"

/* ------------------------------------------------------------------------------------------ */
/* Arena */

#define ENDPOINT_SPEC_CHUNK (64u << 10)

struct endpoint_spec__chunk {
	endpoint_spec__chunk_t *next;
	size_t size; /* bytes allocated, header included */
};

void endpoint_spec__arena_init(endpoint_spec__arena_t *a, mem_account_t *acct)
{
	memset(a, 0, sizeof(*a));
	a->acct = acct;
}

void endpoint_spec__arena_free(endpoint_spec__arena_t *a)
{
	endpoint_spec__chunk_t *c, *n;

	for (c = a->chunks; c; c = n) {
		n = c->next;
		mem_free(a->acct, c, c->size);
	}
	a->chunks = NULL;
	a->cur = NULL;
	a->left = 0;
}

void *endpoint_spec__alloc(endpoint_spec__arena_t *a, size_t n)
{
	const size_t hdr = (sizeof(endpoint_spec__chunk_t) + 7) & ~(size_t)7;
	endpoint_spec__chunk_t *c;
	size_t size;
	void *p;

	n = (n + 7) & ~(size_t)7;
	if (n == 0)
		n = 8;
	if (n <= a->left) {
		p = a->cur;
		a->cur += n;
		a->left -= n;
		memset(p, 0, n);
		return p;
	}
	if (n > ((size_t)1 << 40))
		return NULL;
	/* Big blocks get a chunk of their own; the current chunk stays in use. */
	size = n > ENDPOINT_SPEC_CHUNK / 4 ? hdr + n : ENDPOINT_SPEC_CHUNK;
	c = mem_calloc(a->acct, size);
	if (!c)
		return NULL;
	c->size = size;
	c->next = a->chunks;
	a->chunks = c;
	p = (char *)c + hdr;
	if (size == ENDPOINT_SPEC_CHUNK) {
		a->cur = (char *)p + n;
		a->left = size - hdr - n;
	}
	return p;
}

char *endpoint_spec__strdup(endpoint_spec__arena_t *a, const char *s, size_t n)
{
	char *d = endpoint_spec__alloc(a, n + 1);

	if (d && n)
		memcpy(d, s, n);
	return d;
}

/* ------------------------------------------------------------------------------------------ */
/* Tree building, shared by both parsers */

typedef struct doc_build {
	endpoint_spec__doc_t *doc;
	const endpoint_spec_limits_t *lim;
	const char *name;
	char *errbuf;
	size_t errlen;
} doc_build_t;

/* Errors are one line: control bytes (a parser quoting the input, a key with a newline) are
 * written as spaces. */
void endpoint_spec__one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

static int doc_error(doc_build_t *b, uint32_t line, uint32_t col, int rc, const char *what)
{
	if (line && col)
		snprintf(b->errbuf, b->errlen, "%s:%u:%u: %s", b->name, line, col, what);
	else if (line)
		snprintf(b->errbuf, b->errlen, "%s:%u: %s", b->name, line, what);
	else
		snprintf(b->errbuf, b->errlen, "%s: %s", b->name, what);
	endpoint_spec__one_line(b->errbuf);
	return rc;
}

static endpoint_spec__node_t *doc_node(doc_build_t *b, int kind, uint32_t line, uint32_t col,
				       int *rc)
{
	endpoint_spec__node_t *n;

	if (b->doc->nodes >= b->lim->max_nodes) {
		char what[96];

		snprintf(what, sizeof(what), "more than %u nodes in the document",
			 b->lim->max_nodes);
		*rc = doc_error(b, line, col, AW_ELIMIT, what);
		return NULL;
	}
	n = endpoint_spec__alloc(&b->doc->arena, sizeof(*n));
	if (!n) {
		*rc = doc_error(b, line, col, AW_ENOMEM, "out of memory");
		return NULL;
	}
	b->doc->nodes++;
	n->kind = (uint8_t)kind;
	n->line = line;
	n->col = col;
	return n;
}

static int doc_scalar_text(doc_build_t *b, endpoint_spec__node_t *n, const char *s, size_t len)
{
	if (len > UINT32_MAX)
		return doc_error(b, n->line, n->col, AW_ELIMIT, "scalar too long");
	n->str = endpoint_spec__strdup(&b->doc->arena, s, len);
	n->len = (uint32_t)len;
	return n->str ? 0 : doc_error(b, n->line, n->col, AW_ENOMEM, "out of memory");
}

static int doc_append(doc_build_t *b, endpoint_spec__node_t *parent, const char *key,
		      uint32_t key_len, endpoint_spec__node_t *value)
{
	endpoint_spec__member_t *m = endpoint_spec__alloc(&b->doc->arena, sizeof(*m));

	if (!m)
		return doc_error(b, value->line, value->col, AW_ENOMEM, "out of memory");
	m->key = key;
	m->key_len = key_len;
	m->value = value;
	if (parent->last)
		parent->last->next = m;
	else
		parent->first = m;
	parent->last = m;
	parent->n++;
	return 0;
}

endpoint_spec__node_t *endpoint_spec__get(const endpoint_spec__node_t *map, const char *key)
{
	const endpoint_spec__member_t *m;
	size_t klen = strlen(key);

	if (!map || map->kind != ENDPOINT_SPEC__N_MAP)
		return NULL;
	for (m = map->first; m; m = m->next)
		if (m->key_len == klen && memcmp(m->key, key, klen) == 0)
			return m->value;
	return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* YAML */

#define DOC_ANCHOR_BUCKETS 4096
#define DOC_MAX_ANCHORS 65536

typedef struct doc_anchor {
	const char *name;
	endpoint_spec__node_t *node;
	struct doc_anchor *next;
} doc_anchor_t;

typedef struct doc_frame {
	endpoint_spec__node_t *node;
	const char *key; /* a map's key waiting for its value; NULL when a key is expected */
	uint32_t key_len;
	const char *anchor; /* registered when the collection ends */
} doc_frame_t;

typedef struct doc_yaml {
	doc_build_t *b;
	doc_frame_t *stack;
	uint32_t depth;
	uint32_t nanchors;
	doc_anchor_t **anchors;
} doc_yaml_t;

static uint32_t doc_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

static int doc_anchor_add(doc_yaml_t *y, const char *name, endpoint_spec__node_t *node)
{
	doc_anchor_t *a;
	uint32_t h = doc_hash(name) % DOC_ANCHOR_BUCKETS;

	if (++y->nanchors > DOC_MAX_ANCHORS)
		return doc_error(y->b, node->line, node->col, AW_ELIMIT, "too many YAML anchors");
	a = endpoint_spec__alloc(&y->b->doc->arena, sizeof(*a));
	if (!a)
		return doc_error(y->b, node->line, node->col, AW_ENOMEM, "out of memory");
	a->name = endpoint_spec__strdup(&y->b->doc->arena, name, strlen(name));
	if (!a->name)
		return doc_error(y->b, node->line, node->col, AW_ENOMEM, "out of memory");
	a->node = node;
	a->next = y->anchors[h];
	y->anchors[h] = a; /* a redefined anchor shadows the old one, as YAML says */
	return 0;
}

static endpoint_spec__node_t *doc_anchor_find(const doc_yaml_t *y, const char *name)
{
	const doc_anchor_t *a;

	for (a = y->anchors[doc_hash(name) % DOC_ANCHOR_BUCKETS]; a; a = a->next)
		if (strcmp(a->name, name) == 0)
			return a->node;
	return NULL;
}

/* Puts a finished value (scalar, alias or new collection) under the open collection. */
static int doc_yaml_place(doc_yaml_t *y, endpoint_spec__node_t *n)
{
	doc_frame_t *f;
	int rc;

	if (y->depth == 0) {
		if (y->b->doc->root)
			return doc_error(y->b, n->line, n->col, AW_EMALFORMED,
					 "more than one YAML document");
		y->b->doc->root = n;
		return 0;
	}
	f = &y->stack[y->depth - 1];
	if (f->node->kind == ENDPOINT_SPEC__N_SEQ)
		return doc_append(y->b, f->node, NULL, 0, n);
	if (!f->key) {
		if (n->kind != ENDPOINT_SPEC__N_SCALAR && n->kind != ENDPOINT_SPEC__N_STRING)
			return doc_error(y->b, n->line, n->col, AW_EMALFORMED,
					 "a mapping key must be a scalar");
		if (n->kind == ENDPOINT_SPEC__N_SCALAR && strcmp(n->str, "<<") == 0)
			return doc_error(y->b, n->line, n->col, AW_ENOTSUP,
					 "YAML merge keys (<<) are not supported");
		f->key = n->str;
		f->key_len = n->len;
		return 0;
	}
	rc = doc_append(y->b, f->node, f->key, f->key_len, n);
	f->key = NULL;
	return rc;
}

static int doc_yaml_open(doc_yaml_t *y, const yaml_event_t *ev, int kind)
{
	endpoint_spec__node_t *n;
	const yaml_char_t *anchor = kind == ENDPOINT_SPEC__N_MAP ? ev->data.mapping_start.anchor
								 : ev->data.sequence_start.anchor;
	int rc = 0;

	n = doc_node(y->b, kind, (uint32_t)ev->start_mark.line + 1,
		     (uint32_t)ev->start_mark.column + 1, &rc);
	if (!n)
		return rc;
	if (y->depth >= y->b->lim->max_depth) {
		char what[64];

		snprintf(what, sizeof(what), "nesting deeper than %u", y->b->lim->max_depth);
		return doc_error(y->b, n->line, n->col, AW_ELIMIT, what);
	}
	rc = doc_yaml_place(y, n);
	if (rc < 0)
		return rc;
	y->stack[y->depth].node = n;
	y->stack[y->depth].key = NULL;
	y->stack[y->depth].anchor = NULL;
	if (anchor) {
		y->stack[y->depth].anchor = endpoint_spec__strdup(
			&y->b->doc->arena, (const char *)anchor, strlen((const char *)anchor));
		if (!y->stack[y->depth].anchor)
			return doc_error(y->b, n->line, n->col, AW_ENOMEM, "out of memory");
	}
	y->depth++;
	return 0;
}

static int doc_yaml_close(doc_yaml_t *y)
{
	doc_frame_t *f = &y->stack[--y->depth];

	/* An anchor names its collection once complete: an alias inside it is unknown. */
	return f->anchor ? doc_anchor_add(y, f->anchor, f->node) : 0;
}

static int doc_yaml_scalar(doc_yaml_t *y, const yaml_event_t *ev)
{
	const int quoted = ev->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
			   ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE ||
			   ev->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
			   ev->data.scalar.style == YAML_FOLDED_SCALAR_STYLE;
	endpoint_spec__node_t *n;
	int rc = 0;

	n = doc_node(y->b, quoted ? ENDPOINT_SPEC__N_STRING : ENDPOINT_SPEC__N_SCALAR,
		     (uint32_t)ev->start_mark.line + 1, (uint32_t)ev->start_mark.column + 1, &rc);
	if (!n)
		return rc;
	rc = doc_scalar_text(y->b, n, (const char *)ev->data.scalar.value, ev->data.scalar.length);
	if (rc == 0 && ev->data.scalar.anchor)
		rc = doc_anchor_add(y, (const char *)ev->data.scalar.anchor, n);
	return rc < 0 ? rc : doc_yaml_place(y, n);
}

static int doc_yaml_alias(doc_yaml_t *y, const yaml_event_t *ev)
{
	endpoint_spec__node_t *n = doc_anchor_find(y, (const char *)ev->data.alias.anchor);

	if (!n) {
		char what[160];

		snprintf(what, sizeof(what), "unknown YAML anchor '%.64s'",
			 (const char *)ev->data.alias.anchor);
		return doc_error(y->b, (uint32_t)ev->start_mark.line + 1,
				 (uint32_t)ev->start_mark.column + 1, AW_EMALFORMED, what);
	}
	return doc_yaml_place(y, n);
}

static int doc_yaml_event(doc_yaml_t *y, const yaml_event_t *ev, int *done)
{
	switch (ev->type) {
	case YAML_MAPPING_START_EVENT:
		return doc_yaml_open(y, ev, ENDPOINT_SPEC__N_MAP);
	case YAML_SEQUENCE_START_EVENT:
		return doc_yaml_open(y, ev, ENDPOINT_SPEC__N_SEQ);
	case YAML_MAPPING_END_EVENT:
	case YAML_SEQUENCE_END_EVENT:
		return doc_yaml_close(y);
	case YAML_SCALAR_EVENT:
		return doc_yaml_scalar(y, ev);
	case YAML_ALIAS_EVENT:
		return doc_yaml_alias(y, ev);
	case YAML_STREAM_END_EVENT:
		*done = 1;
		return 0;
	default:
		return 0;
	}
}

static int doc_parse_yaml(doc_build_t *b, const char *data, size_t len)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	doc_yaml_t y;
	int rc = 0, done = 0;

	memset(&y, 0, sizeof(y));
	y.b = b;
	y.stack = endpoint_spec__alloc(&b->doc->arena, sizeof(*y.stack) * (b->lim->max_depth + 1));
	y.anchors = endpoint_spec__alloc(&b->doc->arena, sizeof(*y.anchors) * DOC_ANCHOR_BUCKETS);
	if (!y.stack || !y.anchors)
		return doc_error(b, 0, 0, AW_ENOMEM, "out of memory");
	if (!yaml_parser_initialize(&parser))
		return doc_error(b, 0, 0, AW_ENOMEM, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	while (!done && rc == 0) {
		if (!yaml_parser_parse(&parser, &ev)) {
			char what[256];

			snprintf(what, sizeof(what), "not valid YAML: %s%s%s",
				 parser.problem ? parser.problem : "syntax error",
				 parser.context ? " " : "", parser.context ? parser.context : "");
			rc = doc_error(b, (uint32_t)parser.problem_mark.line + 1,
				       (uint32_t)parser.problem_mark.column + 1, AW_EMALFORMED,
				       what);
			break;
		}
		rc = doc_yaml_event(&y, &ev, &done);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* JSON */

static int doc_json_value(doc_build_t *b, json_t *j, uint32_t depth, endpoint_spec__node_t **out);

static int doc_json_scalar(doc_build_t *b, json_t *j, endpoint_spec__node_t *n)
{
	char num[64];
	const char *s = num;
	size_t len;

	switch (json_typeof(j)) {
	case JSON_STRING:
		return doc_scalar_text(b, n, json_string_value(j), json_string_length(j));
	case JSON_REAL: {
		double v = json_real_value(j);

		/* Integers are read as reals (no overflow error on huge bounds): write them back
		 * without a fraction. */
		/* The range first: converting an out-of-range double is undefined. */
		if (v > -9007199254740992.0 && v < 9007199254740992.0 && v == (double)(long long)v)
			snprintf(num, sizeof(num), "%lld", (long long)v);
		else
			snprintf(num, sizeof(num), "%.17g", v);
		break;
	}
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(j));
		break;
	case JSON_TRUE:
		s = "true";
		break;
	case JSON_FALSE:
		s = "false";
		break;
	default:
		s = "null";
		break;
	}
	len = strlen(s);
	return doc_scalar_text(b, n, s, len);
}

static int doc_json_value(doc_build_t *b, json_t *j, uint32_t depth, endpoint_spec__node_t **out)
{
	endpoint_spec__node_t *n, *c;
	int rc = 0, kind;

	kind = json_is_object(j)   ? ENDPOINT_SPEC__N_MAP
	       : json_is_array(j)  ? ENDPOINT_SPEC__N_SEQ
	       : json_is_string(j) ? ENDPOINT_SPEC__N_STRING
				   : ENDPOINT_SPEC__N_SCALAR;
	n = doc_node(b, kind, 0, 0, &rc);
	if (!n)
		return rc;
	*out = n;
	if (kind != ENDPOINT_SPEC__N_MAP && kind != ENDPOINT_SPEC__N_SEQ)
		return doc_json_scalar(b, j, n);
	if (depth >= b->lim->max_depth) {
		char what[64];

		snprintf(what, sizeof(what), "nesting deeper than %u", b->lim->max_depth);
		return doc_error(b, 0, 0, AW_ELIMIT, what);
	}
	if (kind == ENDPOINT_SPEC__N_MAP) {
		const char *key;
		json_t *v;

		json_object_foreach(j, key, v)
		{
			size_t klen = strlen(key);
			char *k;

			rc = doc_json_value(b, v, depth + 1, &c);
			if (rc < 0)
				return rc;
			k = endpoint_spec__strdup(&b->doc->arena, key, klen);
			if (!k || klen > UINT32_MAX)
				return doc_error(b, 0, 0, AW_ENOMEM, "out of memory");
			rc = doc_append(b, n, k, (uint32_t)klen, c);
			if (rc < 0)
				return rc;
		}
	} else {
		size_t i;
		json_t *v;

		json_array_foreach(j, i, v)
		{
			rc = doc_json_value(b, v, depth + 1, &c);
			if (rc < 0)
				return rc;
			rc = doc_append(b, n, NULL, 0, c);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

static int doc_parse_json(doc_build_t *b, const char *data, size_t len)
{
	json_error_t err;
	json_t *j = json_loadb(data, len, JSON_DECODE_INT_AS_REAL, &err);
	int rc;

	if (!j) {
		char what[256];

		snprintf(what, sizeof(what), "not valid JSON: %s", err.text);
		return doc_error(b, err.line > 0 ? (uint32_t)err.line : 0,
				 err.column > 0 ? (uint32_t)err.column : 0, AW_EMALFORMED, what);
	}
	rc = doc_json_value(b, j, 0, &b->doc->root);
	json_decref(j);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */

int endpoint_spec__doc_parse(endpoint_spec__doc_t *doc, const char *name, const char *data,
			     size_t len, const endpoint_spec_limits_t *lim, mem_account_t *acct,
			     char *errbuf, size_t errlen)
{
	doc_build_t b;
	size_t i = 0, bom = 0;
	int rc;

	memset(doc, 0, sizeof(*doc));
	endpoint_spec__arena_init(&doc->arena, acct);
	b.doc = doc;
	b.lim = lim;
	b.name = name;
	b.errbuf = errbuf;
	b.errlen = errlen;
	/* A UTF-8 byte order mark is skipped (jansson does not know it; libyaml does). */
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		i = bom = 3;
	while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
		i++;
	if (i == len)
		return doc_error(&b, 0, 0, AW_EMALFORMED, "empty file");
	if (memchr(data, '\0', len))
		return doc_error(&b, 0, 0, AW_EMALFORMED, "not a text file (NUL byte)");
	rc = data[i] == '{' ? doc_parse_json(&b, data + bom, len - bom)
			    : doc_parse_yaml(&b, data, len);
	if (rc == 0 && !doc->root)
		rc = doc_error(&b, 0, 0, AW_EMALFORMED, "empty document");
	return rc;
}

void endpoint_spec__doc_free(endpoint_spec__doc_t *doc)
{
	endpoint_spec__arena_free(&doc->arena);
	doc->root = NULL;
}

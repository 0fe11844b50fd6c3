/*
 * endpoint_schema_private.h - the layout of an endpoint schema, shared by the learning side
 * (endpoint_schema.c) and the writers (endpoint_schema_write.c).
 *
 * Entries form a tree: each key path is a node with its parent, its last name segment and its
 * kind (a named member, the "*" member of a map, the element of an array); query parameters are
 * nodes without a parent. Nodes live in one arena, [nodes | hash index | names], which doubles
 * up to the cap; a parent always has a smaller index than its children, so one pass in index
 * order visits parents first.
 */
#ifndef APIWATCH_ENDPOINT_SCHEMA_PRIVATE_H
#define APIWATCH_ENDPOINT_SCHEMA_PRIVATE_H

#include "endpoint_schema.h"

#define ES_NONE 0xffffu /* no node */

enum es_kind {
	ES_ROOT = 0, /* the document itself, node 0 */
	ES_MEMBER, /* a named member of an object */
	ES_ANY, /* the members whose names look like data: "*" */
	ES_ELEM, /* the elements of an array: "[]" */
	ES_PARAM /* a query parameter */
};

/* Kinds of query parameter values, bits of es_node_t.types for ES_PARAM nodes. */
#define ES_Q_INT 0x01
#define ES_Q_NUM 0x02
#define ES_Q_BOOL 0x04
#define ES_Q_UUID 0x08
#define ES_Q_DATE 0x10
#define ES_Q_DATETIME 0x20
#define ES_Q_STR 0x40
#define ES_Q_EMPTY 0x80 /* "a=" or "a": no value */

/* es_node_t.flags */
#define ES_F_REPEATED 0x01 /* a parameter given twice in one request, or named "x[]" */
#define ES_F_ROLLBACK 0x02 /* transient: an instance being rolled back */

typedef struct es_node {
	uint64_t seen; /* documents that contained it */
	uint64_t present; /* instances of the parent object that had it (requests for a param) */
	uint64_t objects; /* complete instances of this node as an object */
	uint64_t last_doc; /* document serial of the last count of seen */
	uint64_t last_inst; /* parent instance of the last count of present */
	uint64_t inst; /* id of the current instance of this node as an object */
	uint32_t name_off; /* in the names area, NUL-terminated */
	uint16_t parent, name_len;
	uint16_t elem, any; /* the ES_ELEM and ES_ANY children, or ES_NONE */
	uint16_t first_hint; /* the member that came first in this object last time */
	uint16_t next_hint; /* the member that came after this one last time */
	uint8_t kind; /* enum es_kind */
	uint8_t types; /* JSON: bit (1u << ENDPOINT_SCHEMA_*); params: ES_Q_* */
	uint8_t fmt; /* formats every string so far fitted: bit (1u << ENDPOINT_SCHEMA_FMT_*) */
	uint8_t flags; /* ES_F_* */
} es_node_t;

typedef struct es_frame {
	uint16_t node; /* the container's node, or ES_NONE when not learned */
	uint16_t last; /* the member whose value is being read, or ES_NONE */
	uint8_t arr;
} es_frame_t;

struct endpoint_schema {
	endpoint_schema_limits_t lim;
	mem_account_t *acct;
	endpoint_schema_counters_t ctr;
	uint64_t version;
	uint64_t serial; /* the last document or object instance id given (ids start at 1) */
	uint64_t doc; /* id of the document being read */
	int depth_hit; /* the document went past max_depth */
	es_node_t *node; /* start of the arena */
	uint16_t *index; /* open addressing over ES_MEMBER and ES_PARAM nodes, ES_NONE empty */
	char *names;
	size_t arena_size;
	uint32_t nnodes, cap; /* nodes used, allocated */
	uint32_t icap; /* index slots, a power of two at least 2 * cap */
	uint32_t nnames, ncap; /* name bytes used, allocated */
	uint32_t nframes; /* frames allocated: max_depth */
	es_frame_t frame[]; /* the parser's stack */
};

static inline const char *es_name(const endpoint_schema_t *s, const es_node_t *n)
{
	return s->names + n->name_off;
}

/* Whether a member is in every complete instance of its parent object; a parameter in every
 * query string. */
static inline int es_required(const endpoint_schema_t *s, const es_node_t *n)
{
	if (n->kind == ES_PARAM)
		return n->present > 0 && n->present == s->ctr.query_docs;
	if (n->kind != ES_MEMBER)
		return 0;
	return s->node[n->parent].objects > 0 && n->present >= s->node[n->parent].objects;
}

/* The format written for a mask of candidates: the first in enum order, or FMT_NONE. */
static inline unsigned es_format(unsigned mask)
{
	unsigned f;

	for (f = 1; f < ENDPOINT_SCHEMA_FMT__COUNT; f++)
		if (mask & (1u << f))
			return f;
	return ENDPOINT_SCHEMA_FMT_NONE;
}

/* A parameter's value kinds read as one JSON type and format. */
void endpoint_schema__param_type(unsigned q, unsigned *type, unsigned *format);

#endif

/*
 * endpoint_spec_private.h - layouts shared by endpoint_spec.c (document, model, routing) and
 * endpoint_spec_check.c (checking calls), and nothing else.
 */
#ifndef APIWATCH_ENDPOINT_SPEC_PRIVATE_H
#define APIWATCH_ENDPOINT_SPEC_PRIVATE_H

#include "endpoint_spec.h"

/* ------------------------------------------------------------------------------------------ */
/* Arena: the spec's memory, in chunks charged to one account, freed at once. */

typedef struct endpoint_spec__chunk endpoint_spec__chunk_t;

typedef struct endpoint_spec__arena {
	mem_account_t *acct;
	endpoint_spec__chunk_t *chunks;
	char *cur;
	size_t left;
} endpoint_spec__arena_t;

void endpoint_spec__arena_init(endpoint_spec__arena_t *a, mem_account_t *acct);
void endpoint_spec__arena_free(endpoint_spec__arena_t *a);

/* n zeroed bytes, 8-aligned; NULL when memory is refused. */
void *endpoint_spec__alloc(endpoint_spec__arena_t *a, size_t n);

/* A NUL-terminated copy of n bytes. */
char *endpoint_spec__strdup(endpoint_spec__arena_t *a, const char *s, size_t n);

/* ------------------------------------------------------------------------------------------ */
/* Document: the parsed YAML or JSON, as a tree of nodes, kept while the model is built. */

enum endpoint_spec__node_kind {
	ENDPOINT_SPEC__N_SCALAR = 1, /* plain YAML scalar; JSON number, true, false, null */
	ENDPOINT_SPEC__N_STRING, /* quoted YAML scalar; JSON string */
	ENDPOINT_SPEC__N_MAP,
	ENDPOINT_SPEC__N_SEQ
};

typedef struct endpoint_spec__node endpoint_spec__node_t;
typedef struct endpoint_spec__member endpoint_spec__member_t;

/* A member of a map (key set) or an item of a list (key NULL). Values may be shared between
 * members (YAML aliases): the tree is a DAG, never expanded. */
struct endpoint_spec__member {
	const char *key; /* NUL-terminated */
	uint32_t key_len;
	endpoint_spec__node_t *value;
	endpoint_spec__member_t *next;
};

struct endpoint_spec__node {
	uint8_t kind; /* enum endpoint_spec__node_kind */
	uint32_t line, col; /* 1-based; 0 when the parser does not tell (JSON) */
	uint32_t n; /* members */
	const char *str; /* scalar text, NUL-terminated */
	uint32_t len;
	endpoint_spec__member_t *first, *last;
	const void *memo; /* the model's object built from this node, if any */
};

typedef struct endpoint_spec__doc {
	endpoint_spec__arena_t arena;
	endpoint_spec__node_t *root;
	uint32_t nodes;
} endpoint_spec__doc_t;

/*
 * Parses len bytes at data (JSON when the first non-blank byte is '{', else YAML) into doc,
 * within the node and depth caps. On error returns an AW_E* code with "NAME:LINE:COL: what"
 * in errbuf. The doc's arena is charged to acct; endpoint_spec__doc_free() releases it.
 */
int endpoint_spec__doc_parse(endpoint_spec__doc_t *doc, const char *name, const char *data,
			     size_t len, const endpoint_spec_limits_t *lim, mem_account_t *acct,
			     char *errbuf, size_t errlen);
void endpoint_spec__doc_free(endpoint_spec__doc_t *doc);

/* Replaces control bytes by spaces, so that an error message stays one line. */
void endpoint_spec__one_line(char *s);

/* The value of key in a map node; NULL when absent or node is not a map. */
endpoint_spec__node_t *endpoint_spec__get(const endpoint_spec__node_t *map, const char *key);

/* ------------------------------------------------------------------------------------------ */
/* Schemas */

/* endpoint_spec_schema_t.types: bit (1u << ENDPOINT_SPEC__T_*); 0 = any type. */
enum endpoint_spec__type {
	ENDPOINT_SPEC__T_NULL = 0,
	ENDPOINT_SPEC__T_BOOLEAN,
	ENDPOINT_SPEC__T_OBJECT,
	ENDPOINT_SPEC__T_ARRAY,
	ENDPOINT_SPEC__T_NUMBER,
	ENDPOINT_SPEC__T_INTEGER,
	ENDPOINT_SPEC__T_STRING,
	ENDPOINT_SPEC__T__COUNT
};

/* Formats that are checked; others are accepted as strings. */
enum endpoint_spec__format {
	ENDPOINT_SPEC__F_NONE = 0,
	ENDPOINT_SPEC__F_UUID,
	ENDPOINT_SPEC__F_DATE,
	ENDPOINT_SPEC__F_DATE_TIME,
	ENDPOINT_SPEC__F_INT32,
	ENDPOINT_SPEC__F_INT64,
	ENDPOINT_SPEC__F_IPV4,
	ENDPOINT_SPEC__F_EMAIL
};

/* endpoint_spec_schema_t.flags */
#define ENDPOINT_SPEC__S_ANY 0x01 /* accepts any value (oneOf, anyOf, not, external ref) */
#define ENDPOINT_SPEC__S_NO_ADDITIONAL 0x02 /* additionalProperties: false */
#define ENDPOINT_SPEC__S_MIN 0x04
#define ENDPOINT_SPEC__S_MAX 0x08
#define ENDPOINT_SPEC__S_MIN_EXCL 0x10
#define ENDPOINT_SPEC__S_MAX_EXCL 0x20
#define ENDPOINT_SPEC__S_ENUM 0x40
#define ENDPOINT_SPEC__S_DONE 0x80 /* compiled (a reference to it may be followed) */

typedef struct endpoint_spec__schema endpoint_spec__schema_t;

typedef struct endpoint_spec__prop {
	const char *name;
	uint32_t len;
	const endpoint_spec__schema_t *schema; /* NULL: any */
} endpoint_spec__prop_t;

/* An enum value: its text, and whether it was a string (else a number, boolean or null). */
typedef struct endpoint_spec__enum {
	const char *text;
	uint32_t len;
	uint8_t is_string;
} endpoint_spec__enum_t;

#define ENDPOINT_SPEC__MAX_REQUIRED 64 /* required names tracked per object schema */
#define ENDPOINT_SPEC__MAX_ENUM 256 /* enum values kept; a longer enum is not checked */

struct endpoint_spec__schema {
	uint16_t types;
	uint8_t format; /* enum endpoint_spec__format */
	uint8_t flags; /* ENDPOINT_SPEC__S_* */
	uint32_t nprops;
	uint32_t nrequired;
	uint32_t nenum;
	double min, max;
	endpoint_spec__prop_t *props;
	endpoint_spec__prop_t *required; /* names only (schema unused) */
	endpoint_spec__enum_t *enums;
	const endpoint_spec__schema_t *items; /* NULL: any */
	const endpoint_spec__schema_t *additional; /* additionalProperties schema; NULL: any */
};

/* ------------------------------------------------------------------------------------------ */
/* Operations */

enum endpoint_spec__in {
	ENDPOINT_SPEC__IN_PATH = 0,
	ENDPOINT_SPEC__IN_QUERY,
	ENDPOINT_SPEC__IN_HEADER,
	ENDPOINT_SPEC__IN_COOKIE
};

enum endpoint_spec__style {
	ENDPOINT_SPEC__STYLE_FORM = 0, /* query and cookie default */
	ENDPOINT_SPEC__STYLE_SIMPLE, /* path and header default */
	ENDPOINT_SPEC__STYLE_SPACE, /* spaceDelimited */
	ENDPOINT_SPEC__STYLE_PIPE, /* pipeDelimited */
	ENDPOINT_SPEC__STYLE_DEEP, /* deepObject */
	ENDPOINT_SPEC__STYLE_OTHER /* matrix, label: values not checked */
};

typedef struct endpoint_spec__param {
	const char *name; /* NUL-terminated */
	uint32_t len;
	uint8_t in; /* enum endpoint_spec__in */
	uint8_t required;
	uint8_t style; /* enum endpoint_spec__style */
	uint8_t explode;
	const endpoint_spec__schema_t *schema; /* NULL: any value */
} endpoint_spec__param_t;

/* One segment of an operation's path template. */
typedef struct endpoint_spec__seg {
	const char *text; /* as declared: "users", "{id}", "{name}.json" */
	uint32_t len;
	int16_t param; /* index in params of a whole-parameter segment, else -1 */
	uint8_t kind; /* ENDPOINT_SPEC__SEG_* */
} endpoint_spec__seg_t;

#define ENDPOINT_SPEC__SEG_LITERAL 0
#define ENDPOINT_SPEC__SEG_PARAM 1 /* "{id}" */
#define ENDPOINT_SPEC__SEG_PATTERN 2 /* "{name}.json", "v{n}" */

/* endpoint_spec_detail.flags */
#define ENDPOINT_SPEC__D_NO_UNKNOWN 0x01 /* unknown query parameters cannot be told */
#define ENDPOINT_SPEC__D_BODY_REQUIRED 0x02
#define ENDPOINT_SPEC__D_BODY_JSON 0x04 /* a JSON media type is declared */
#define ENDPOINT_SPEC__D_BODY_DECLARED 0x08 /* a requestBody is declared */

#define ENDPOINT_SPEC__MAX_MEDIA 8 /* non-JSON media types kept per body */

struct endpoint_spec_detail {
	endpoint_spec__param_t *params;
	uint32_t flags; /* ENDPOINT_SPEC__D_* */
	uint32_t nseg;
	uint32_t nmedia;
	endpoint_spec__seg_t *seg;
	const endpoint_spec__schema_t *body; /* schema of the JSON media type; NULL: any */
	const char *media[ENDPOINT_SPEC__MAX_MEDIA]; /* other media types, lower case */
};

/* ------------------------------------------------------------------------------------------ */
/* Routing trie */

typedef struct endpoint_spec__tnode endpoint_spec__tnode_t;

struct endpoint_spec__tnode {
	uint32_t id;
	uint32_t nliteral; /* literal children, found through the edge table */
	endpoint_spec__tnode_t *param; /* "{x}" child */
	endpoint_spec__tnode_t *patterns; /* first "{x}.json" child; linked by next */
	endpoint_spec__tnode_t *next; /* next pattern sibling */
	const char *pattern; /* this node's pattern segment; NULL for others */
	uint32_t pattern_len;
	uint32_t nops;
	const endpoint_spec_op_t *ops[ENDPOINT_SPEC_METHOD__COUNT];
};

typedef struct endpoint_spec__edge {
	uint64_t hash;
	const char *seg;
	uint32_t len;
	uint32_t parent;
	endpoint_spec__tnode_t *child;
} endpoint_spec__edge_t;

typedef struct endpoint_spec__base {
	uint32_t nseg;
	const char *seg[ENDPOINT_SPEC_MAX_SEGMENTS];
	uint32_t len[ENDPOINT_SPEC_MAX_SEGMENTS];
} endpoint_spec__base_t;

struct endpoint_spec {
	endpoint_spec__arena_t arena;
	endpoint_spec_info_t info;
	endpoint_spec_op_t *ops;
	uint32_t nops;
	uint32_t nnodes;
	endpoint_spec__tnode_t *root;
	endpoint_spec__edge_t *edges; /* open addressing, power-of-two size */
	uint32_t edge_mask;
	uint32_t nbases;
	endpoint_spec__base_t bases[ENDPOINT_SPEC_MAX_BASES]; /* most segments first */
	/* The hosts the spec is about (lower case, no port), from absolute servers[].url or
	 * inventory.spec-hosts; any_host: every host (a relative server URL, none, or '*'). */
	int any_host;
	uint32_t nhosts;
	const char *hosts[ENDPOINT_SPEC_MAX_HOSTS];
	uint32_t host_len[ENDPOINT_SPEC_MAX_HOSTS];
};

/* ------------------------------------------------------------------------------------------ */
/* Cross-file internals */

/* A slice of text split into path segments; empty segments are skipped. Returns the count, or
 * max + 1 when there are more than max. */
uint32_t endpoint_spec__split(const char *p, size_t n, const char **seg, uint32_t *len,
			      uint32_t max);

/* Strips the first base path that prefixes segs and leaves exactly want segments; returns the
 * number of base segments, or -1. */
int endpoint_spec__strip_base(const endpoint_spec_t *spec, const char *const *seg,
			      const uint32_t *len, uint32_t nseg, uint32_t want);

#endif

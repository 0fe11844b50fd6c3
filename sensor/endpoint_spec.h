/*
 * endpoint_spec.h - the declared API: an OpenAPI 3.0 / 3.1 document (`--spec FILE`, setting
 * inventory.spec), the routing of observed calls to its operations, and the checking of a call
 * against what the operation declares.
 *
 * Fed once at start-up with a file; read, const, by the inventory stage for every API call:
 * endpoint_spec_match() names the declared operation of a call (none: a shadow endpoint; a
 * deprecated one: a zombie; never matched by the end: an orphan) and endpoint_spec_check()
 * lists how the call breaks the declared parameters and JSON request body. A loaded spec is
 * never changed, so one spec may serve several pipelines.
 *
 * Loading. The first byte that is not white space decides the parser: '{' is JSON (jansson:
 * libyaml is YAML 1.1 and refuses valid JSON such as escaped surrogate pairs and keys longer
 * than 1024 bytes), anything else YAML (libyaml; anchors and aliases are followed as shared
 * nodes, never expanded; merge keys "<<" are refused). Everything is bounded by
 * endpoint_spec_limits_t: file size, document nodes, nesting depth, operations, $ref chains and
 * schema nesting. Local references (#/components/schemas|parameters|requestBodies|pathItems
 * and any other JSON pointer into the document) are resolved; a chain of references that only
 * leads to itself is an error, a schema that contains itself (a tree) is fine. External
 * references (other files, URLs) are not fetched: the place that uses one is left unchecked (a
 * parameter list with one disables the unknown-parameter check of its operations) and a warning
 * is counted. Errors are one line: "FILE:LINE:COL: #/json/pointer: what is wrong" (no line for
 * JSON documents, whose parser does not keep positions of values).
 *
 * Model. Base paths come from servers[].url, path part only ("https://api.example.com/v1" ->
 * "/v1"); server variables take their default, and every value of their enum ("/{version}"
 * with enum [v1, v2] gives "/v1" and "/v2"); no servers means "/". Path-level parameters apply
 * to every operation of the path; an operation's parameter of the same name and location
 * replaces one. Schemas keep what checking needs: type (a 3.1 type list, 3.0 nullable), format,
 * enum, minimum / maximum (and their exclusive forms), properties, required,
 * additionalProperties, items; allOf members are merged into their schema; a schema with oneOf,
 * anyOf or not accepts any value (no false alarms from alternatives that are not modelled).
 * Path-level and operation-level servers are not modelled: every operation has the document's
 * base paths.
 *
 * Matching. A concrete, percent-decoded request path without its query: the longest base path
 * that prefixes it (at a segment boundary) is stripped, empty segments (a trailing slash,
 * doubled slashes) are ignored, and a trie of segments finds the operation. Literal segments
 * win over segments with a parameter inside ("{name}.json"), which win over whole-parameter
 * segments; a literal path that lacks the method gives way to a templated path that has it
 * (DELETE /users/me goes to DELETE /users/{id} when /users/me only has GET). The walk visits at
 * most ENDPOINT_SPEC_MAX_VISITS nodes per call, so hostile paths cannot make it expensive.
 *
 * Checking. Query parameters (names percent-decoded, '+' as space; form arrays exploded or
 * comma-separated; deepObject "name[key]"; exploded form objects by their property names),
 * header and cookie parameters, path parameter values, and a JSON request body walked once with
 * the schema (depth ENDPOINT_SPEC_MAX_BODY_DEPTH; deeper values are not checked). Values are
 * never copied out: the result names only the offending parameter or the key path of the body
 * value ("items[].sku"), cut at ENDPOINT_SPEC_MAX_NAME bytes, non-printable bytes as '?'. A
 * body cut by the body limit, a gap or a failed decompression is checked as far as it goes
 * (missing properties and not-JSON are not reported for it).
 *
 * Not here: learning endpoints (path_template.c), keeping per-endpoint state or the set of
 * operations already seen (the inventory keeps a bitmap by endpoint_spec_op_t.index), writing
 * events, response checking, security schemes.
 */
#ifndef APIWATCH_ENDPOINT_SPEC_H
#define APIWATCH_ENDPOINT_SPEC_H

#include <stddef.h>
#include <stdint.h>

#include "api_call.h"
#include "mem.h"

/* HTTP methods an OpenAPI path item declares, in document order of the standard. */
enum endpoint_spec_method {
	ENDPOINT_SPEC_GET = 0,
	ENDPOINT_SPEC_PUT,
	ENDPOINT_SPEC_POST,
	ENDPOINT_SPEC_DELETE,
	ENDPOINT_SPEC_OPTIONS,
	ENDPOINT_SPEC_HEAD,
	ENDPOINT_SPEC_PATCH,
	ENDPOINT_SPEC_TRACE,
	ENDPOINT_SPEC_METHOD__COUNT
};

/* Caps of the loader; endpoint_spec_limits_default() gives the values below. */
#define ENDPOINT_SPEC_MAX_FILE (32u << 20) /* bytes of a spec file */
#define ENDPOINT_SPEC_MAX_NODES 2000000u /* document nodes (maps, lists, scalars) */
#define ENDPOINT_SPEC_MAX_DEPTH 128u /* nesting of the document */
#define ENDPOINT_SPEC_MAX_OPERATIONS 20000u
#define ENDPOINT_SPEC_MAX_REF_CHAIN 32u /* $ref to $ref to ... */
#define ENDPOINT_SPEC_MAX_SCHEMA_DEPTH 64u /* nested schemas compiled, references included */
#define ENDPOINT_SPEC_MAX_SCHEMAS 200000u /* distinct schemas compiled */

/* Fixed caps of the model and the checks. */
#define ENDPOINT_SPEC_MAX_PARAMS 64 /* parameters per operation; more is an error */
#define ENDPOINT_SPEC_MAX_SEGMENTS 32 /* segments of a path template; more is an error */
#define ENDPOINT_SPEC_MAX_BASES 16 /* base paths; more is an error */
#define ENDPOINT_SPEC_MAX_HOSTS 32 /* hosts of absolute server URLs; more: every host */
#define ENDPOINT_SPEC_MAX_VISITS 256 /* trie nodes visited per match */
#define ENDPOINT_SPEC_MAX_BODY_DEPTH 32 /* JSON nesting checked in a body */
#define ENDPOINT_SPEC_MAX_NAME 96 /* bytes of an evidence name, without the NUL */

typedef struct endpoint_spec_limits {
	size_t max_file; /* bytes */
	uint32_t max_nodes;
	uint32_t max_depth;
	uint32_t max_operations;
	uint32_t max_ref_chain;
	uint32_t max_schema_depth;
	uint32_t max_schemas;
} endpoint_spec_limits_t;

void endpoint_spec_limits_default(endpoint_spec_limits_t *lim);

/* What was loaded. Strings are owned by the spec. */
typedef struct endpoint_spec_info {
	const char *name; /* the file name given to the loader */
	const char *openapi; /* "3.0.3" */
	const char *title; /* info.title, "" if none */
	const char *version; /* info.version, "" if none */
	uint32_t paths; /* path templates */
	uint32_t operations;
	uint32_t deprecated; /* operations marked deprecated */
	uint32_t bases; /* base paths (at least one: "/") */
	uint32_t hosts; /* hosts the spec is scoped to; 0: every host */
	uint32_t schemas; /* schemas compiled */
	uint32_t unchecked_schemas; /* oneOf / anyOf / not, external references: accept anything */
	uint32_t warnings; /* things left out, each also counted above or below */
	uint32_t external_refs; /* $refs to other documents, not followed */
	char first_warning[160]; /* the first of them, for the start-up line; "" if none */
} endpoint_spec_info_t;

/* One declared operation. Fields are read-only; index runs from 0 to count - 1 in document
 * order, so that the inventory can keep which operations it saw in a bitmap. */
typedef struct endpoint_spec_op {
	uint32_t index;
	uint8_t method; /* enum endpoint_spec_method */
	uint8_t deprecated; /* deprecated: true */
	uint16_t nparams; /* path-level and operation-level parameters, merged */
	const char *method_name; /* "GET" */
	const char *path; /* the template as declared, "/users/{userId}", without base path */
	const char *operation_id; /* "" if none */
	const struct endpoint_spec_detail *detail; /* parameters and body (endpoint_spec.c) */
} endpoint_spec_op_t;

typedef struct endpoint_spec endpoint_spec_t;

/*
 * Loads a spec from a file (read whole, at most lim->max_file bytes) or from len bytes at data
 * (name is used in messages). lim NULL means the defaults. The spec and everything it holds is
 * charged to acct (temporary parser memory of JSON documents is not). Returns 0 and sets *out,
 * or an AW_E* code with one line in errbuf naming the file: AW_ENOENT / AW_EIO / AW_EPERM when
 * the file cannot be read, AW_ELIMIT past a cap, AW_EMALFORMED when the document is not YAML or
 * JSON or not an OpenAPI 3.x document, AW_ENOTSUP for Swagger 2.0, AW_ENOMEM.
 */
int endpoint_spec_load_file(endpoint_spec_t **out, const char *path,
			    const endpoint_spec_limits_t *lim, mem_account_t *acct, char *errbuf,
			    size_t errlen);
int endpoint_spec_load_mem(endpoint_spec_t **out, const char *name, const char *data, size_t len,
			   const endpoint_spec_limits_t *lim, mem_account_t *acct, char *errbuf,
			   size_t errlen);

/* NULL is fine. */
void endpoint_spec_free(endpoint_spec_t *spec);

/*
 * Hosts. A spec is about the hosts of its absolute server URLs ("https://api.example.com/v1":
 * api.example.com, any port); a relative URL ("/v1"), no servers, or a host with an unexpanded
 * variable makes it about every host. Calls to other hosts are outside it: not routed, not
 * shadow. endpoint_spec_set_hosts replaces that scope with a comma-separated list (case does
 * not matter, ports are ignored; "*": every host; "" keeps the servers'); -1 with one line in
 * errbuf for an empty name or too many hosts.
 */
int endpoint_spec_set_hosts(endpoint_spec_t *spec, const char *list, char *errbuf, size_t errlen);
/* The same checks of a list without a spec (settings are checked before anything opens). */
int endpoint_spec_check_hosts(const char *list, char *errbuf, size_t errlen);
/* Whether calls to host (lower case, no port, as api_call_t.host) are about this spec. */
int endpoint_spec_covers_host(const endpoint_spec_t *spec, aw_slice_t host);
/* The i-th host of the scope (none when it is every host); NULL past the end. */
const char *endpoint_spec_host(const endpoint_spec_t *spec, uint32_t i, size_t *len);

const endpoint_spec_info_t *endpoint_spec_info(const endpoint_spec_t *spec);

/* Operations in document order (paths, then methods in enum order); NULL past the end. */
uint32_t endpoint_spec_op_count(const endpoint_spec_t *spec);
const endpoint_spec_op_t *endpoint_spec_op(const endpoint_spec_t *spec, uint32_t index);

/* Method name to enum endpoint_spec_method (case-sensitive, as HTTP); -1 for others. */
int endpoint_spec_method_index(aw_slice_t method);

/* ------------------------------------------------------------------------------------------ */
/* Matching */

/* endpoint_spec_route_t.flags */
#define ENDPOINT_SPEC_R_PATH 0x01 /* the path is declared (by op's path, or for other methods) */
#define ENDPOINT_SPEC_R_NO_BASE 0x02 /* no base path prefixes the request path */
#define ENDPOINT_SPEC_R_TOO_LONG 0x04 /* more segments than any template, or the visit cap */

typedef struct endpoint_spec_route {
	const endpoint_spec_op_t *op; /* NULL: not declared for this method */
	unsigned flags; /* ENDPOINT_SPEC_R_* */
} endpoint_spec_route_t;

/*
 * Routes a call: method as sent, path percent-decoded without the query. With is_template, the
 * path is one of apiwatch's learned templates, whose "{name}" segments match only declared
 * parameter segments, whatever the names ("{*}" matches nothing). Never allocates.
 */
void endpoint_spec_route(const endpoint_spec_t *spec, endpoint_spec_route_t *r, aw_slice_t method,
			 aw_slice_t path, int is_template);

/* The declared operation of a concrete path, or NULL. */
const endpoint_spec_op_t *endpoint_spec_match(const endpoint_spec_t *spec, aw_slice_t method,
					      aw_slice_t path);

/* The declared operation of a learned template (/users/{userId}), or NULL. */
const endpoint_spec_op_t *endpoint_spec_match_template(const endpoint_spec_t *spec,
						       aw_slice_t method, aw_slice_t tmpl);

/* ------------------------------------------------------------------------------------------ */
/* Checking a call against its operation */

/* Kinds of violation; the bit of a kind in masks is (1u << kind). */
enum endpoint_spec_violation {
	ENDPOINT_SPEC_V_UNKNOWN_PARAMETER =
		0, /* a query parameter the operation does not declare */
	ENDPOINT_SPEC_V_MISSING_PARAMETER, /* a required query / header / cookie parameter, or
					    * a required request body, is absent */
	ENDPOINT_SPEC_V_PARAMETER_TYPE, /* a path / query / header / cookie value breaks its
					 * schema: type, format, enum, minimum / maximum */
	ENDPOINT_SPEC_V_BODY_NOT_JSON, /* JSON declared, the body does not parse as JSON */
	ENDPOINT_SPEC_V_BODY_TYPE, /* a body value breaks its schema (type, format, enum, range) */
	ENDPOINT_SPEC_V_UNKNOWN_PROPERTY, /* a key where additionalProperties is false */
	ENDPOINT_SPEC_V_MISSING_PROPERTY, /* a required key is absent */
	ENDPOINT_SPEC_V__COUNT
};

/* endpoint_spec_result_t.flags */
#define ENDPOINT_SPEC_C_BODY_CHECKED 0x01 /* a JSON body was walked with a schema */
#define ENDPOINT_SPEC_C_BODY_PARTIAL 0x02 /* ... but it was cut: checked as far as it goes */
#define ENDPOINT_SPEC_C_BODY_DEEP 0x04 /* ... values deeper than the cap were not checked */
#define ENDPOINT_SPEC_C_NO_UNKNOWN 0x08 /* unknown parameters not checked (see above) */

/* What a call breaks. Owned by the caller; endpoint_spec_check() fills it from scratch. */
typedef struct endpoint_spec_result {
	uint32_t kinds; /* bit (1u << ENDPOINT_SPEC_V_*) per kind found */
	uint32_t count; /* violations of all kinds (saturates) */
	uint32_t flags; /* ENDPOINT_SPEC_C_* */
	uint8_t first_kind; /* kind of the first violation found; ENDPOINT_SPEC_V__COUNT if none */
	/* First offender of each kind: a parameter name or a body key path, NUL-terminated. */
	char name[ENDPOINT_SPEC_V__COUNT][ENDPOINT_SPEC_MAX_NAME + 1];
} endpoint_spec_result_t;

/*
 * Checks call (request side) against op, which must come from spec. Returns the kinds found
 * (res->kinds). Reads the body through api_call_body() (which may decode it on first use);
 * nothing is allocated.
 */
unsigned endpoint_spec_check(const endpoint_spec_t *spec, endpoint_spec_result_t *res,
			     const endpoint_spec_op_t *op, const api_call_t *call);

/* Stable name of a kind as written in events ("unknown_parameter"); "unknown" out of range. */
const char *endpoint_spec_violation_name(unsigned kind);

/* The first offender of kind ("" if none), and of the first violation found (kind in *kind,
 * may be NULL; "" and ENDPOINT_SPEC_V__COUNT when the call is clean). */
const char *endpoint_spec_result_name(const endpoint_spec_result_t *res, unsigned kind);
const char *endpoint_spec_result_first(const endpoint_spec_result_t *res, unsigned *kind);

#endif

/*
 * endpoint_schema.h - the inferred shape of an endpoint's JSON bodies and query strings.
 *
 * Fed by the endpoint catalogue with sampled API calls: one JSON document at a time (a request
 * or response body) and query strings or form bodies. Feeds the inventory and OpenAPI export
 * with what it learned: per key path the JSON types seen, in how many documents, and a format
 * hint for strings; per query parameter a type, a count and whether every request carried it.
 *
 * One pass over the bytes, no allocation per document: a hand-written streaming tokenizer walks
 * the document and finds each key's entry through a guess (documents of one endpoint repeat
 * their keys in the same order, so the entry that followed last time is compared first) and a
 * keyed hash table otherwise. Key paths follow sensitive.c: "user.address.city", array elements
 * as "items[].id", the root's elements as "[]", the root itself as "". Keys that look like data
 * (numbers, UUIDs, long hex, e-mails, dates, over-long or control bytes) are written "*" so that
 * a map keyed by ids stays one entry.
 *
 * Bounded: at most max_keys entries (one arena that grows by doubling up to that cap), max_depth
 * levels of nesting and max_scan bytes per document; past a cap it counts and keeps what it has.
 * A document that breaks off or breaks the grammar keeps the paths and types of the values that
 * were complete before the break; the containers still open there are rolled back, so that
 * "present in every instance" (required) stays exact.
 *
 * Deliberately not here: deciding which calls to sample, per-endpoint keying and spec drift (the
 * catalogue's business), decoding bodies (api_call_body() does), values (none is kept: only
 * key names, types and format hints).
 */
#ifndef APIWATCH_ENDPOINT_SCHEMA_H
#define APIWATCH_ENDPOINT_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "mem.h"
#include "siphash.h"

typedef struct endpoint_schema endpoint_schema_t; /* opaque, bounded */

/* Hard ceilings of the limits. */
#define ENDPOINT_SCHEMA_MAX_KEYS 65535
#define ENDPOINT_SCHEMA_MAX_DEPTH 256
#define ENDPOINT_SCHEMA_MAX_NAME 64 /* bytes of one key or parameter name; longer ones are "*" */

typedef struct endpoint_schema_limits {
	uint32_t max_keys; /* distinct entries (key paths and parameters), root included */
	uint32_t max_depth; /* nesting levels learned; deeper content is skipped and counted */
	uint32_t max_scan; /* bytes read per document; 0 = all */
	uint8_t hash_key[SIPHASH_KEY_LEN]; /* key of the entry table's hash */
} endpoint_schema_limits_t;

/* The JSON types, bit (1u << type) in endpoint_schema_entry_t.types. */
enum endpoint_schema_type {
	ENDPOINT_SCHEMA_NULL = 0,
	ENDPOINT_SCHEMA_BOOLEAN,
	ENDPOINT_SCHEMA_INTEGER,
	ENDPOINT_SCHEMA_NUMBER,
	ENDPOINT_SCHEMA_STRING,
	ENDPOINT_SCHEMA_OBJECT,
	ENDPOINT_SCHEMA_ARRAY,
	ENDPOINT_SCHEMA__TYPES
};

/* String format hints: the one every string value so far fitted. */
enum endpoint_schema_format {
	ENDPOINT_SCHEMA_FMT_NONE = 0,
	ENDPOINT_SCHEMA_FMT_DATE_TIME, /* RFC 3339 date-time, with its offset */
	ENDPOINT_SCHEMA_FMT_DATE, /* RFC 3339 full-date */
	ENDPOINT_SCHEMA_FMT_EMAIL,
	ENDPOINT_SCHEMA_FMT_UUID,
	ENDPOINT_SCHEMA_FMT_URI, /* scheme "://" ..., or a urn: / mailto: / tel: / data: URI */
	ENDPOINT_SCHEMA_FMT_IPV4,
	ENDPOINT_SCHEMA_FMT_INT_STRING, /* an integer written as a string: "12345" */
	ENDPOINT_SCHEMA_FMT__COUNT
};

/* What is known of one key path or query parameter (endpoint_schema_find*). */
typedef struct endpoint_schema_entry {
	uint32_t types; /* bit (1u << ENDPOINT_SCHEMA_*): JSON types, or those a parameter's values
			   read as (integer, number, boolean, string) */
	uint32_t format; /* enum endpoint_schema_format */
	uint64_t seen; /* documents (requests) that contained it */
	int required; /* present in every instance of its parent object (every request) */
	int repeated; /* a parameter given several times in one request, or named "x[]" */
} endpoint_schema_entry_t;

/* Caps hit and broken documents. Each is a count of documents except keys_cut. */
typedef struct endpoint_schema_counters {
	uint64_t json_docs; /* JSON documents observed, whole or not */
	uint64_t query_docs; /* query strings and form bodies observed */
	uint64_t invalid; /* documents that broke the JSON grammar (or were empty) */
	uint64_t truncated; /* documents that ended inside a value */
	uint64_t keys_cut; /* key or parameter occurrences not learned: max_keys (or memory) */
	uint64_t depth_cut; /* documents nested past max_depth */
	uint64_t scan_cut; /* documents longer than max_scan */
} endpoint_schema_counters_t;

/* The defaults: 256 entries, 16 levels, 64 KiB per document, a random hash key (one system
 * call: fill one set of limits at start-up and share it among schemas). */
void endpoint_schema_limits_default(endpoint_schema_limits_t *l);

/* Creates an empty schema charged to acct; lim NULL means the defaults (values above the
 * ceilings are lowered to them, zero max_keys / max_depth take the defaults). 0 or AW_ENOMEM. */
int endpoint_schema_new(endpoint_schema_t **out, const endpoint_schema_limits_t *lim,
			mem_account_t *acct);
void endpoint_schema_free(endpoint_schema_t *s);

/* Adds what from knows to into (two templates collapsed into one): paths, types, formats,
 * counts and counters. Entries past into's max_keys are counted in its keys_cut. */
void endpoint_schema_merge(endpoint_schema_t *into, const endpoint_schema_t *from);

/*
 * Learns from one JSON document of n bytes at p (borrowed for the call; nothing of the values
 * is kept). Returns 0 for a whole document (caps hit included: those are counted), AW_ETRUNCATED
 * when it ended inside a value, AW_EMALFORMED when it broke the grammar; both are counted and
 * what came before the break is kept (see the top of this file).
 */
int endpoint_schema_observe_json(endpoint_schema_t *s, const char *p, size_t n);

/* Learns from one query string or form body: a=1&b=x, percent-encoded, a leading '?' allowed.
 * Always 0: there is no invalid query string. */
int endpoint_schema_observe_query(endpoint_schema_t *s, const char *p, size_t n);

/* JSON documents plus query strings observed. */
uint64_t endpoint_schema_docs(const endpoint_schema_t *s);

/* Bumps when a key path, a parameter, a type, a narrower format hint or a repeated parameter
 * is learned: a caller sees the shape has settled when it stops moving, and may sample less. */
uint64_t endpoint_schema_version(const endpoint_schema_t *s);

const endpoint_schema_counters_t *endpoint_schema_counters(const endpoint_schema_t *s);

/* Distinct entries held (root and parameters included), at most max_keys. */
uint32_t endpoint_schema_size(const endpoint_schema_t *s);

/* Looks up a key path as written in the inventory ("" the root) or a query parameter by its
 * decoded name. 1 and *out filled when known, 0 otherwise. Linear: for tests and tools. */
int endpoint_schema_find(const endpoint_schema_t *s, const char *path,
			 endpoint_schema_entry_t *out);
int endpoint_schema_find_param(const endpoint_schema_t *s, const char *name,
			       endpoint_schema_entry_t *out);

/*
 * Writes "<key>": [...] into the open object of jb: one object per key path sorted by path,
 * {"path": "user.id", "types": ["integer"], "seen": 97}, with "format" when strings have one,
 * then one per query parameter sorted by name, {"path": "limit", "in": "query", "types":
 * ["integer"], "seen": 9, "required": true} and "repeated": true when so. key NULL writes the
 * array as an element. Deterministic: the same observations give the same bytes.
 */
void endpoint_schema_write_inventory(const endpoint_schema_t *s, json_buf_t *jb, const char *key);

/* Writes "<key>": an OpenAPI 3.0 Schema Object of the JSON documents ({} when none was learned).
 * key NULL writes it as an element. */
void endpoint_schema_write_openapi(const endpoint_schema_t *s, json_buf_t *jb, const char *key);

/* Writes the query parameters as elements of the open OpenAPI "parameters" array of jb, sorted
 * by name: {"name": "limit", "in": "query", "required": true, "schema": {"type": "integer"}}.
 * Parameters whose names look like data ("*") are left out: OpenAPI has no name for them. */
void endpoint_schema_write_openapi_params(const endpoint_schema_t *s, json_buf_t *jb);

/* Names as written: "integer", "date-time"; "" for ENDPOINT_SCHEMA_FMT_NONE. */
const char *endpoint_schema_type_name(unsigned type);
const char *endpoint_schema_format_name(unsigned format);

#endif

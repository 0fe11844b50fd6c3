/*
 * endpoint.h - the endpoint catalogue: what the inventory knows about each endpoint.
 *
 * Fed by the inventory stage (inventory.c) with every API call, its endpoint template
 * (path_template.c: host, method and template, with a stable id) and its principal
 * (principal.c); feeds the inventory file (--inventory, endpoint_json.c), the OpenAPI export
 * (--openapi, endpoint_openapi.c), the api_endpoint events (output_endpoint.c) and, later, the
 * spec-drift checks and detectors. Per endpoint it keeps hits, first and last seen, status codes,
 * content types, query parameters and JSON body schemas (endpoint_schema.c), response size and
 * latency percentiles, approximate distinct callers, the authentication seen, sensitive data
 * types with their key paths, and derives a risk score with its reasons.
 *
 * Cost: every call costs a hash lookup by template id and a few counter updates. Reading bodies
 * (decoding, schema inference, sensitive-data scans) is sampled: every call of the first
 * sample_first calls of an endpoint and of the sample_first calls after its schema last
 * changed, then one call in sample_rate. Nothing is allocated per call: an endpoint is one
 * fixed-size block allocated when it is first seen (its schemas are bounded objects made on
 * their first document), every inner set has a cap and a counter, and the number of endpoints
 * is capped (calls of endpoints past the cap are counted and not catalogued).
 *
 * Templates that collapse into a parameter template are folded in through the merge callback
 * (endpoint_catalog_merge): the old endpoint's facts move into the new one, which is announced
 * as new with the number of templates it replaced when it did not exist before.
 *
 * Not here: deciding what the facts mean beyond the risk score (detectors), writing events
 * (output_endpoint.c), spec matching (the spec-drift stage fills spec_op and the violation
 * counters it finds reserved in each endpoint).
 */
#ifndef APIWATCH_ENDPOINT_H
#define APIWATCH_ENDPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "api_call.h"
#include "json.h"
#include "mem.h"
#include "path_template.h"
#include "principal.h"

typedef struct endpoint_spec endpoint_spec_t;
typedef struct endpoint_spec_op endpoint_spec_op_t;

#define ENDPOINT_PATH_MAX 256 /* bytes of a file path setting, NUL included */

/* Settings (inventory.*); see config.c for their meaning and defaults. */
typedef struct endpoint_config {
	uint32_t max_endpoints; /* endpoints catalogued; calls past the cap are counted */
	uint32_t sample_first; /* calls read in full at first and after a schema change */
	uint32_t sample_rate; /* then 1 call in this many (1: every call) */
	uint32_t event_budget; /* api_endpoint events per minute of packet time */
	uint64_t interval_us; /* packet time between inventory files; 0 = only at exit */
	char inventory_path[ENDPOINT_PATH_MAX]; /* --inventory; "" = none */
	char openapi_path[ENDPOINT_PATH_MAX]; /* --openapi; "" = none */
} endpoint_config_t;

void endpoint_config_default(endpoint_config_t *cfg);

/* Kinds of drift against a declared spec, counted per endpoint by the spec-drift stage. */
enum endpoint_spec_kind {
	ENDPOINT_SPEC_SHADOW = 0, /* seen in traffic, not in the spec */
	ENDPOINT_SPEC_ZOMBIE, /* deprecated in the spec, still called */
	ENDPOINT_SPEC_ORPHAN, /* in the spec, never seen */
	ENDPOINT_SPEC__COUNT
};

/* Why an endpoint is risky: bit (1u << ENDPOINT_RISK_*) in endpoint_risk_t.reasons. */
enum endpoint_risk_reason {
	ENDPOINT_RISK_SENSITIVE_RESPONSE = 0, /* personal data in responses */
	ENDPOINT_RISK_SECRETS_RESPONSE, /* keys, tokens, passwords in responses */
	ENDPOINT_RISK_SENSITIVE_REQUEST, /* personal data or secrets sent by clients */
	ENDPOINT_RISK_UNAUTHENTICATED, /* every call came without credentials */
	ENDPOINT_RISK_PARTLY_UNAUTHENTICATED, /* some calls came without credentials */
	ENDPOINT_RISK_WRITE_METHOD, /* POST, PUT, PATCH, DELETE */
	ENDPOINT_RISK_SERVER_ERRORS, /* 5xx in 5 % of responses or more */
	ENDPOINT_RISK_AUTH_FAILURES, /* 401 / 403 in 10 % of responses or more */
	ENDPOINT_RISK_EXTERNAL, /* called from public (non-private) addresses */
	ENDPOINT_RISK_WEAK_JWT, /* JWTs with alg "none", no alg or no signature */
	ENDPOINT_RISK_CREDENTIAL_IN_QUERY, /* credentials in the query string */
	ENDPOINT_RISK_BASIC_AUTH, /* Basic credentials (cleartext passwords) */
	ENDPOINT_RISK__COUNT
};

typedef struct endpoint_risk {
	uint32_t score; /* 0-100 */
	uint32_t reasons; /* bit (1u << ENDPOINT_RISK_*) */
} endpoint_risk_t;

typedef struct endpoint_counters {
	uint64_t calls; /* calls observed (with a template) */
	uint64_t endpoints; /* live endpoints */
	uint64_t endpoints_created;
	uint64_t endpoints_merged; /* folded into another by a template collapse */
	uint64_t cap_hits; /* calls not catalogued: max_endpoints reached */
	uint64_t alloc_fail; /* endpoints or schemas refused by the memory account */
	uint64_t scanned; /* calls whose bodies, query and headers were read */
	uint64_t skipped; /* calls only counted (sampling) */
	uint64_t codes_cut; /* status codes past the per-endpoint set */
	uint64_t ctypes_cut; /* content types past the per-endpoint set */
	uint64_t sensitive_paths_cut; /* sensitive key paths past the per-endpoint set */
	uint64_t claims_cut; /* JWT algs or claim names past the per-endpoint sets */
	uint64_t news_dropped; /* announcements past the pending queue */
	/* Against the declared spec (--spec). */
	uint64_t spec_calls; /* calls routed or checked */
	uint64_t spec_checked; /* calls checked against their declared operation */
	uint64_t spec_bad; /* ... that broke it */
	uint64_t spec_shadow_endpoints; /* endpoints no operation declares */
	uint64_t spec_zombie_endpoints; /* endpoints of deprecated operations */
	uint64_t spec_outside_endpoints; /* endpoints of hosts the spec is not about */
	uint64_t spec_outside_calls; /* ... and their calls (not routed, not checked) */
} endpoint_counters_t;

typedef struct endpoint endpoint_t; /* layout: endpoint_private.h */
typedef struct endpoint_catalog endpoint_catalog_t;

/* Creates a catalogue charged to acct; hash_key keys the callers' estimator and the schemas'
 * tables (results never depend on it). 0 or AW_ENOMEM / AW_EINVAL. */
int endpoint_catalog_new(endpoint_catalog_t **out, const endpoint_config_t *cfg,
			 const uint8_t hash_key[SIPHASH_KEY_LEN], mem_account_t *acct);
void endpoint_catalog_free(endpoint_catalog_t *cat);

/*
 * Adds one call to the endpoint of template t (created when first seen, unless the cap is
 * reached). p is the call's principal (NULL when none could be worked out). Returns the
 * endpoint, or NULL when the call was not catalogued. Every input is borrowed for the call.
 */
endpoint_t *endpoint_catalog_observe(endpoint_catalog_t *cat, const path_template_t *t,
				     const api_call_t *call, const principal_t *p);

/* The merge callback of path_template_ctx_new (ud: the catalogue): folds the endpoint of from
 * into the endpoint of into (which takes over from's block when it does not exist yet). */
void endpoint_catalog_merge_cb(const path_template_t *from, const path_template_t *into, void *ud);

/* An endpoint waiting to be announced: new from traffic, or made by a collapse of replaced
 * templates (0 for a plain new one). */
typedef struct endpoint_news {
	const endpoint_t *ep;
	uint32_t replaced;
} endpoint_news_t;

/* Takes up to max announcements queued since the last call (oldest first). The endpoints stay
 * valid until the next observe or merge. */
size_t endpoint_catalog_take_news(endpoint_catalog_t *cat, endpoint_news_t *out, size_t max);

/* The endpoint of a template id; NULL when not catalogued. */
endpoint_t *endpoint_catalog_find(const endpoint_catalog_t *cat, uint64_t template_id);

const endpoint_counters_t *endpoint_catalog_counters(const endpoint_catalog_t *cat);

/* ------------------------------------------------------------------------------------------ */
/* Reading an endpoint */

const path_template_t *endpoint_template(const endpoint_t *ep);
uint64_t endpoint_hits(const endpoint_t *ep);
uint64_t endpoint_first_seen(const endpoint_t *ep);

/* Percentile q (0 < q < 1) of the latencies in microseconds, or of the response sizes in bytes;
 * 0 when nothing was recorded. */
uint64_t endpoint_latency_us(const endpoint_t *ep, double q);
uint64_t endpoint_response_bytes(const endpoint_t *ep, double q);

/* Approximate distinct principals (HyperLogLog, 256 registers: about 6.5 % standard error). */
uint64_t endpoint_callers(const endpoint_t *ep);

/* The risk score and its reasons. */
void endpoint_risk(const endpoint_t *ep, endpoint_risk_t *out);
const char *endpoint_risk_reason_name(unsigned reason);

/* ------------------------------------------------------------------------------------------ */
/* Drift against a declared spec (endpoint_drift.c) */

/* endpoint_drift_observe's answer: what became known of the endpoint with this call. */
#define ENDPOINT_DRIFT_F_SHADOW 0x01 /* no declared operation: a shadow endpoint */
#define ENDPOINT_DRIFT_F_ZOMBIE 0x02 /* a deprecated operation: a zombie endpoint */

/* Lends the catalogue the declared spec (NULL: none; it must outlive the catalogue).
 * AW_ENOMEM when the bitmap of seen operations is refused. */
int endpoint_catalog_set_spec(endpoint_catalog_t *cat, const endpoint_spec_t *spec);

/* With a spec: routes the endpoint to its operation on its first call, counts the call (shadow,
 * zombie) and checks it against the operation. ENDPOINT_DRIFT_F_* on the call that made the
 * endpoint shadow or zombie, else 0. ep may be NULL (not catalogued). */
unsigned endpoint_drift_observe(endpoint_catalog_t *cat, endpoint_t *ep, const api_call_t *call);

/* Declared operations that no call matched, from *index on (advanced past the one returned);
 * NULL when there are no more. */
const endpoint_spec_op_t *endpoint_drift_orphan(const endpoint_catalog_t *cat, uint32_t *index);
uint32_t endpoint_drift_orphans(const endpoint_catalog_t *cat);

/* ------------------------------------------------------------------------------------------ */
/* Writers (endpoint_json.c, endpoint_openapi.c) */

/* Writes the inventory document to path atomically (path.tmp, then rename). generated_us is
 * the packet time written as "generated". 0, AW_EIO (errno set) or AW_ENOMEM. */
int endpoint_catalog_write_inventory(endpoint_catalog_t *cat, const char *path,
				     uint64_t generated_us);

/* Writes an OpenAPI 3.0.3 document of every endpoint to path, atomically. */
int endpoint_catalog_write_openapi(endpoint_catalog_t *cat, const char *path);

/* Writes one endpoint's inventory object as an element (or member key) of jb. */
void endpoint_write_json(const endpoint_t *ep, json_buf_t *jb, const char *key);

#endif

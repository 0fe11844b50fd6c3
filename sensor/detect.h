/*
 * detect.h - the detection stage: API abuse found by how a call, or a caller's last minutes,
 * depart from what the baselines learned.
 *
 * Fed by the pipeline with every annotated API call (endpoint template and principal set by the
 * inventory, the call already learned by baseline_observe), with the inventory's principal of
 * the call (JWT flags, client address after trusted proxies) and with packet time; feeds the
 * alert stage with findings through an alert_emit_fn (alert.h). Detectors are grouped by
 * family, one file each: detect_object.c (API1 object level), detect_auth.c (API2
 * authentication), detect_exposure.c (API3 data exposure, mass assignment), detect_rate.c
 * (API4 rates, 5xx spikes), detect_flow.c (API5 function level, API6 scraping) and
 * detect_client.c (client impersonation, unauthenticated calls, shadow endpoints).
 *
 * Learned normals come from the baseline views, read once per endpoint per packet-time minute
 * and reduced to the figures the detectors use (a cache entry per endpoint); short-term state
 * (this minute's counters per principal, endpoint and client, ID walks, login failure runs,
 * scraping windows, object owners) lives in fixed set-associative tables keyed by SipHash under
 * privacy.hash-key, whose least recently used entry (packet time) makes room for a new one and
 * is counted. Nothing is allocated per call; nothing of a credential or a body is kept but
 * keyed hashes.
 *
 * A detector that compares with a baseline fires only once the endpoint's (or principal's)
 * baseline is armed; rule-like ones (an unsigned JWT answered 2xx, a shadow endpoint) do not
 * wait. Each fires at most once per key (principal, client or endpoint) per window, so a
 * finding is a minute of abuse, not a call; the alert stage grows one alert out of them.
 *
 * Not here: learning (baseline*.c), alert deduplication and writing (alert*.c).
 */
#ifndef APIWATCH_DETECT_H
#define APIWATCH_DETECT_H

#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "api_call.h"
#include "baseline.h"
#include "endpoint_spec.h"
#include "mem.h"
#include "principal.h"

/* Settings (detect.*); config.c documents each one and its default. */
typedef struct detect_config {
	int enabled; /* detect.enabled (on: the baselines are on too) */
	uint32_t sigma; /* detect.sigma: standard deviations past the mean that are abnormal */
	uint32_t max_endpoints; /* detect.max-endpoints: cached endpoint figures */
	uint32_t max_states; /* detect.max-states: entries of each short-term table */
	uint32_t max_objects; /* detect.max-objects: object IDs whose readers are kept */

	int bola; /* detect.bola.enabled */
	uint32_t bola_min_ids; /* detect.bola.min-ids: distinct IDs per minute, at least */
	uint32_t bola_walk; /* detect.bola.walk-length: sequential IDs in a row */
	uint32_t bola_fail_ids; /* detect.bola.fail-ids: distinct IDs answered 403/404 per minute */
	uint32_t bola_readers; /* detect.bola.readers: principals served one object */

	int auth; /* detect.auth.enabled: stuffing, brute force, success after failures */
	uint64_t auth_window_us; /* detect.auth.window */
	uint32_t auth_usernames; /* detect.auth.usernames: distinct usernames from one client */
	uint32_t auth_failures; /* detect.auth.failures: failed logins from one client */
	uint32_t auth_user_failures; /* detect.auth.user-failures: failures of one username */
	uint32_t auth_run; /* detect.auth.failure-run: failures before a success that fires */
	uint32_t auth_global_min; /* detect.auth.global-min: failures per minute, endpoint */
	int sharing; /* detect.credential-sharing.enabled */
	uint64_t sharing_window_us; /* detect.credential-sharing.window */
	uint32_t sharing_clients; /* detect.credential-sharing.clients */
	uint32_t sharing_agents; /* detect.credential-sharing.agents */
	int jwt; /* detect.jwt-unsigned.enabled */

	int exposure; /* detect.data-exposure.enabled */
	uint32_t exposure_factor; /* detect.data-exposure.factor: times the learned p99 */
	uint64_t exposure_min_bytes; /* detect.data-exposure.min-bytes */
	uint32_t exposure_min_records; /* detect.data-exposure.min-records */
	int sensitive_new; /* detect.sensitive-new.enabled */
	int mass_assignment; /* detect.mass-assignment.enabled */

	int rate; /* detect.rate-spike.enabled */
	uint32_t rate_endpoint_min; /* detect.rate-spike.endpoint-min: calls per minute */
	uint32_t rate_principal_min; /* detect.rate-spike.principal-min */
	uint32_t rate_client_min; /* detect.rate-spike.client-min */
	uint32_t rate_factor; /* detect.rate-spike.factor: times the learned mean, at least */
	uint32_t rate_sustain; /* detect.rate-spike.sustain: minutes in a row over the limit */
	int errors; /* detect.error-spike.enabled */
	uint32_t errors_min; /* detect.error-spike.min: 5xx per minute */

	int authz; /* detect.function-authz.enabled */
	uint32_t authz_share; /* detect.function-authz.max-share: percent of the API's callers */

	int scraping; /* detect.scraping.enabled */
	uint64_t scraping_window_us; /* detect.scraping.window */
	uint32_t scraping_min_calls; /* detect.scraping.min-calls */
	uint32_t scraping_min_ids; /* detect.scraping.min-ids */
	uint32_t scraping_max_cv; /* detect.scraping.max-cv: percent */
	uint32_t scraping_max_endpoints; /* detect.scraping.max-endpoints */

	int impersonation; /* detect.impersonation.enabled */
	uint32_t imp_presence; /* detect.impersonation.presence: percent of normal calls */
	uint32_t imp_min_calls; /* detect.impersonation.min-calls: odd calls per window */
	uint64_t imp_window_us; /* detect.impersonation.window */
	uint32_t imp_thin_calls; /* detect.impersonation.thin-min-calls */
	uint32_t imp_thin_minutes; /* detect.impersonation.thin-min-minutes */
	int unauth; /* detect.unauthenticated.enabled */
	uint32_t unauth_presence; /* detect.unauthenticated.presence: percent */
	uint32_t unauth_min_calls; /* detect.unauthenticated.min-calls */
	int shadow; /* detect.shadow-endpoint.enabled (needs inventory.spec) */
} detect_config_t;

void detect_config_default(detect_config_t *cfg);

/* The detector rules, in the order of their counters (api.stats.detect.findings). */
enum detect_rule {
	DETECT_BOLA_ENUMERATION = 0,
	DETECT_BOLA_WALK,
	DETECT_BOLA_FAILURES,
	DETECT_BOLA_SHARED_OBJECT,
	DETECT_AUTH_STUFFING,
	DETECT_AUTH_STUFFING_GLOBAL,
	DETECT_AUTH_BRUTEFORCE,
	DETECT_AUTH_SUCCESS_AFTER_FAILURES,
	DETECT_CREDENTIAL_SHARING,
	DETECT_JWT_UNSIGNED,
	DETECT_DATA_EXPOSURE_BYTES,
	DETECT_DATA_EXPOSURE_RECORDS,
	DETECT_SENSITIVE_NEW,
	DETECT_MASS_ASSIGNMENT,
	DETECT_RATE_ENDPOINT,
	DETECT_RATE_PRINCIPAL,
	DETECT_RATE_CLIENT,
	DETECT_FUNCTION_AUTHZ,
	DETECT_SCRAPING,
	DETECT_IMPERSONATION_HEADERS,
	DETECT_IMPERSONATION_AGENT,
	DETECT_UNAUTHENTICATED,
	DETECT_ERROR_SPIKE,
	DETECT_SHADOW_ENDPOINT,
	DETECT__COUNT
};

/* The static description of a rule (signature id, OWASP tag, severity); NULL out of range. */
const alert_detector_t *detect_rule_info(unsigned rule);

/* The short-term tables, in the order of their counters (api.stats.detect.tables). */
enum detect_table {
	DETECT_T_ENDPOINTS = 0, /* cached endpoint figures and their minute counters */
	DETECT_T_PAIRS, /* (endpoint, principal): this minute */
	DETECT_T_PRINCIPALS, /* principal: scraping and sharing windows */
	DETECT_T_CLIENTS, /* client address: rate, login failures */
	DETECT_T_USERS, /* login username (hashed): failures */
	DETECT_T_OBJECTS, /* (endpoint, object ID): principals served */
	DETECT_T__COUNT
};

typedef struct detect_table_counters {
	uint64_t entries; /* slots in use */
	uint64_t capacity;
	uint64_t evictions; /* a live entry (younger than its window) gave way to a new one */
} detect_table_counters_t;

typedef struct detect_counters {
	uint64_t calls; /* calls evaluated */
	uint64_t no_endpoint; /* calls without an endpoint template (not evaluated) */
	uint64_t findings; /* findings handed to the alert stage */
	uint64_t by_rule[DETECT__COUNT];
	uint64_t view_reads; /* baseline views read (once per endpoint and minute) */
	uint64_t record_scans; /* response bodies whose records were counted */
	uint64_t body_scans; /* request bodies read for usernames or privileged keys */
	detect_table_counters_t tables[DETECT_T__COUNT];
} detect_counters_t;

typedef struct detect detect_t;

/*
 * Creates the stage. bl is the baseline store (borrowed, outliving the stage); spec the
 * declared API (NULL: none; shadow_endpoint is then idle); hash_key keys every table (the
 * privacy key). emit receives every finding, with ud. Memory is charged to acct; AW_ENOMEM
 * with a message in errbuf when it is refused.
 */
int detect_new(detect_t **out, const detect_config_t *cfg, baseline_t *bl,
	       const endpoint_spec_t *spec, const uint8_t hash_key[SIPHASH_KEY_LEN],
	       alert_emit_fn emit, void *ud, mem_account_t *acct, char *errbuf, size_t errlen);

/* Frees the stage; NULL is fine. */
void detect_free(detect_t *d);

/*
 * Evaluates one annotated call, after baseline_observe saw it. who is the inventory's
 * principal of the call (NULL: unknown; the JWT and client-address rules then stay idle or use
 * the flow's address). Packet thread; never allocates, never blocks.
 */
void detect_call(detect_t *d, const api_call_t *call, const principal_t *who, uint64_t now_us);

/* The same with the call's endpoint and principal keys already worked out (baseline_obs_keys:
 * baseline_endpoint_key and baseline_principal_key of the call, pr_key 0 without one). */
void detect_call_keyed(detect_t *d, const api_call_t *call, const principal_t *who, uint64_t now_us,
		       uint64_t ep_key, uint64_t pr_key);

/* The same from the baseline's observation of the call (baseline_obs_from_call of this call,
 * then baseline_obs_keys): its keys, and its user agent and request header name hashes, are
 * reused rather than worked out again. */
void detect_call_obs(detect_t *d, const api_call_t *call, const principal_t *who, uint64_t now_us,
		     const baseline_obs_t *obs);

/* Asks the CPU cache for the table sets detect_call_keyed will read for these keys; called
 * before other work on the call, it overlaps their memory latency with that work. No effect on
 * what is detected. */
void detect_prefetch(detect_t *d, uint64_t ep_key, uint64_t pr_key);

/* Advances packet time (windows are rolled lazily; this only moves the clock). */
void detect_tick(detect_t *d, uint64_t now_us);

const detect_counters_t *detect_counters(detect_t *d);

#endif

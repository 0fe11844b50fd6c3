/*
 * baseline.h - behavioural baselines: what each endpoint's (and each caller's) normal traffic
 * looks like, learned from the API call records.
 *
 * Fed by the pipeline with every API call that has an endpoint template, after the inventory
 * annotated it (baseline_observe), and with packet time (baseline_tick); read by the detectors
 * through views (baseline_endpoint_view, baseline_principal_view) that say what was learned and
 * whether it is armed: the learning period is over and there is enough data to compare with.
 *
 * What is learned per endpoint (host + method + template): calls and 4xx per minute (mean and
 * variance over finished minute buckets), status-class mix, response size and latency
 * histograms (log2 buckets, quantiles), distinct principals and client addresses per minute
 * (HyperLogLog), request header names nearly always present, query keys, JSON body keys and
 * usual user agents (hashed, first-N tables with presence counts), sensitive data types in
 * responses (sampled). Per principal on an endpoint: calls, 4xx and distinct object IDs (the
 * path values at the template's {...} positions) per minute. Two figures are learned on the
 * detectors' word, since they decide what to count (baseline_learn_records,
 * baseline_learn_objects): record counts of sampled JSON responses, and objects seen and
 * objects served to more than one principal.
 *
 * Statistics are kept as sums (calls, calls squared, ... over finished minutes; histogram and
 * table counts), never as running means: sums add up across sensors and across a save and a
 * load, so the embedded store and the Redis store (several sensors, one picture) give the same
 * answers. Minutes are packet-time minutes since the epoch, so a replay is deterministic.
 *
 * Two stores behind one interface: embedded (default; in-process, saved to and loaded from a
 * file) and Redis (baseline_redis.c: a thread of its own flushes finished minutes in pipelined
 * batches and reads merged profiles back into a cache; the packet thread never waits on the
 * network). The packet-thread functions never block, never do I/O and never allocate after
 * baseline_new: tables and pools are fixed and capped, and a full one is counted.
 *
 * Not here: deciding what is abnormal (the detectors), endpoint templates (the inventory).
 */
#ifndef APIWATCH_BASELINE_H
#define APIWATCH_BASELINE_H

#include <stddef.h>
#include <stdint.h>

#include "api_call.h"
#include "mem.h"

/* Sizes of the learned tables and histograms (fixed: they are part of the file format). */
#define BASELINE_HIST_BUCKETS 40 /* log2 buckets: 0, [1,2), [2,4), ... */
#define BASELINE_TOP_HEADERS 32 /* request header names tracked per endpoint */
#define BASELINE_TOP_AGENTS 16 /* user agents tracked per endpoint */
#define BASELINE_OBS_NAMES 32 /* request header name hashes carried by an observation */
#define BASELINE_OBS_IDS 8 /* object IDs carried by an observation */
#define BASELINE_TOP_QUERY 32 /* query parameter names tracked per endpoint */
#define BASELINE_TOP_BODY 32 /* JSON body keys tracked per endpoint */
#define BASELINE_SENSITIVE_TYPES 16 /* bits of the sensitive-type mask (sensitive.h) */
#define BASELINE_REC_BUCKETS 24 /* log2 buckets of response record counts (detectors) */

typedef struct baseline_config {
	uint64_t learning_us; /* baseline.learning-period: packet time learned before arming */
	uint32_t min_calls; /* baseline.min-calls: endpoint calls needed to arm */
	uint32_t principal_min_calls; /* baseline.principal-min-calls */
	uint32_t max_endpoints; /* baseline.max-endpoints */
	uint32_t max_principals; /* baseline.max-principals: (endpoint, principal) pairs */
	uint32_t hll_dense; /* baseline.hll-dense-pool: full-precision HyperLogLog blocks */
	uint32_t body_sample; /* baseline.body-sample: calls per endpoint-minute scanned */
	uint64_t body_scan_max; /* baseline.body-scan-max: bytes of a body scanned */
	uint8_t hash_key[16]; /* privacy.hash-key: endpoint and principal keys */
	/* Redis store (empty url: embedded). */
	char redis_url[256];
	char redis_prefix[64]; /* baseline.redis.prefix */
	uint64_t redis_flush_us; /* baseline.redis.flush-interval (wall clock) */
	uint32_t redis_queue_batches; /* baseline.redis.queue-batches */
	uint64_t redis_batch_bytes; /* baseline.redis.batch-size */
	uint64_t redis_ttl_us; /* baseline.redis.minute-ttl: life of per-minute keys */
	uint64_t redis_timeout_us; /* baseline.redis.timeout: connect and reply timeout */
	uint64_t redis_drain_us; /* baseline.redis.drain-timeout: at exit, retry writes so long */
	int redis_wait_full; /* capture files: a full queue waits for Redis (while it is up) */
	/* Files (command line). */
	const char *save_path;
	const char *load_path;
} baseline_config_t;

void baseline_config_default(baseline_config_t *cfg);

/* One API call as the baselines see it. Slices are borrowed for the baseline_observe call. */
typedef struct baseline_obs {
	aw_slice_t host, method, endpoint; /* the template, e.g. /users/{userId} */
	aw_slice_t path; /* the concrete path: object IDs at the template's {...} positions */
	aw_slice_t principal; /* empty when unknown */
	const net_addr_t *client; /* NULL when unknown */
	uint64_t time_us; /* packet time of the call */
	int status; /* 0: no response */
	uint64_t resp_bytes; /* response body size (decoded when known) */
	uint64_t latency_us; /* 0: unknown */
	const api_header_t *req_headers;
	uint32_t nreq_headers;
	aw_slice_t user_agent; /* empty when absent */
	aw_slice_t query; /* raw query string */
	const api_call_t *call; /* for sampled body scans; NULL: no body scan */
	/* The call's keys when already worked out (baseline_obs_keys); 0: baseline_observe
	 * works them out. */
	uint64_t ep_key, pr_key;
	/* Name hashes worked out by baseline_obs_keys, for the baseline and the detectors:
	 * baseline_hash_name() of the user agent (0: not worked out) and of the first
	 * nname_hash request header names, lower-cased (in req_headers order). */
	uint64_t ua_hash;
	uint32_t nname_hash;
	uint64_t name_hash[BASELINE_OBS_NAMES];
	/* Object IDs worked out by baseline_obs_keys (ids_known), for the baseline's distinct
	 * counts and the detectors: the concrete segments at the template's {...} positions,
	 * each a keyed hash mixed with its position, and whether the last is an integer. */
	int ids_known, last_id_is_int;
	uint32_t nids;
	uint64_t ids[BASELINE_OBS_IDS];
	int64_t last_id_int;
} baseline_obs_t;

/* Fills obs from an annotated call (endpoint and principal set by the inventory). */
void baseline_obs_from_call(baseline_obs_t *obs, const api_call_t *call, uint64_t now_us);

/* Quantiles of a log2 histogram. */
typedef struct baseline_dist {
	uint64_t n;
	double p50, p90, p99, max; /* max: upper bound of the highest non-empty bucket */
} baseline_dist_t;

/* Mean and variance of a per-minute figure, over the minutes with traffic (active) and over
 * every minute between the first and the last (idle minutes count as zero). */
typedef struct baseline_rate {
	double mean, var; /* over active minutes */
	double mean_all, var_all; /* over all minutes of the span */
} baseline_rate_t;

/* A hashed name with its presence: share of calls (or of sampled calls) that carried it. */
typedef struct baseline_presence {
	uint64_t hash; /* baseline_hash_name() of the lower-cased name, or of the agent */
	uint64_t count;
	double share;
} baseline_presence_t;

typedef struct baseline_endpoint_view {
	int armed; /* learning period over and at least min-calls calls */
	uint64_t calls, minutes, span_minutes; /* finished minutes: active, first to last */
	uint64_t first_us, last_us; /* packet time of the first call, end of the last minute */
	baseline_rate_t rate, fails, principals, clients; /* per minute */
	uint64_t status[6]; /* no response, 1xx, 2xx, 3xx, 4xx, 5xx */
	baseline_dist_t resp_bytes, latency_us;
	baseline_presence_t headers[BASELINE_TOP_HEADERS];
	uint32_t nheaders;
	baseline_presence_t agents[BASELINE_TOP_AGENTS];
	uint32_t nagents;
	uint64_t no_agent; /* calls without a User-Agent */
	baseline_presence_t query_keys[BASELINE_TOP_QUERY];
	uint32_t nquery_keys;
	baseline_presence_t body_keys[BASELINE_TOP_BODY]; /* share of body samples */
	uint32_t nbody_keys;
	uint64_t body_samples; /* calls whose bodies were scanned */
	uint32_t sensitive_types; /* bit (1 << SENSITIVE_*) seen in sampled responses */
	uint64_t sensitive_counts[BASELINE_SENSITIVE_TYPES]; /* sampled responses with the type */
	/* Learned by the detectors: sampled JSON responses per log2 bucket of their record count
	 * (baseline_records_bucket) and their sum; object IDs seen, and those served to two
	 * principals or more. */
	uint64_t records[BASELINE_REC_BUCKETS];
	uint64_t record_samples;
	uint64_t objects, objects_shared;
	int remote; /* the figures include other sensors' (Redis store) */
} baseline_endpoint_view_t;

typedef struct baseline_principal_view {
	int armed;
	uint64_t calls, fails, minutes, span_minutes;
	uint64_t first_us, last_us;
	baseline_rate_t rate, fails_rate, object_ids; /* per minute */
	int remote;
} baseline_principal_view_t;

typedef struct baseline_counters {
	uint64_t calls; /* calls observed */
	uint64_t no_endpoint; /* calls without an endpoint (not observed) */
	uint64_t endpoints, principals; /* live entries */
	uint64_t endpoint_cap_hits, principal_cap_hits; /* calls an entry could not be had for */
	uint64_t hll_dense_cap_hits; /* HyperLogLogs kept sparse (less precise): pool empty */
	uint64_t minutes_finished;
	uint64_t body_samples, sensitive_scans, body_key_scans;
	uint64_t merges;
	uint64_t loaded_endpoints, loaded_principals;
	/* Redis store. */
	uint64_t redis_round_trips, redis_flushes, redis_failures, redis_reconnects;
	uint64_t redis_connect_failures, redis_queue_drops, redis_items_written;
	uint64_t redis_queue_waits, redis_queue_wait_us;
	uint64_t redis_items_unwritten, redis_reads, redis_pending;
} baseline_counters_t;

typedef struct baseline baseline_t;

/* Object IDs of a call: the segments of path at template tpl's {...} positions ({*} aside),
 * each a keyed hash mixed with its position; the first max into ids. Returns how many there
 * are; *last_int gets the last one as an integer and *last_is_int whether it is one.
 * baseline_obs_keys fills baseline_obs_t's with it. */
uint32_t baseline_object_ids(const baseline_t *b, aw_slice_t tpl, aw_slice_t path, uint64_t *ids,
			     uint32_t max, int64_t *last_int, int *last_is_int);

/* Creates the store (embedded, or Redis when cfg->redis_url is set), loading cfg->load_path if
 * set. Its memory is charged to acct. On failure an AW_E* code with a message in errbuf. An
 * unreachable Redis is not a failure: the store starts, warns on stderr and keeps retrying. */
int baseline_new(baseline_t **out, const baseline_config_t *cfg, mem_account_t *acct, char *errbuf,
		 size_t errlen);

/* Stops the Redis thread (after the drain timeout) and frees everything; NULL is fine. */
void baseline_free(baseline_t *b);

/* Learns from one call. Packet thread; never blocks, never allocates. */
/* Asks the cache for the index slots baseline_observe() will read for these keys (from
 * baseline_obs_keys); no effect on the store. */
void baseline_prefetch(const baseline_t *b, uint64_t ep_key, uint64_t pr_key);
void baseline_observe(baseline_t *b, const baseline_obs_t *obs);

/* Advances packet time: finishes minute buckets, hands them to the Redis thread, takes the
 * merged profiles it read back. Cheap when nothing is due. */
void baseline_tick(baseline_t *b, uint64_t now_us);

/* End of input: finishes every open minute and hands everything to the store. */
void baseline_finish(baseline_t *b);

/* Writes the learned picture to path (baseline_file.c). */
int baseline_save(baseline_t *b, const char *path, char *errbuf, size_t errlen);

/* Keys: SipHash under privacy.hash-key of host, method and template (endpoint) or of the
 * principal string, the same on every sensor sharing the key. */
uint64_t baseline_endpoint_key(const baseline_t *b, aw_slice_t host, aw_slice_t method,
			       aw_slice_t endpoint);
uint64_t baseline_principal_key(const baseline_t *b, aw_slice_t principal);

/* Sets obs->ep_key and obs->pr_key (0 without a principal), obs->ua_hash and
 * obs->name_hash[], through small caches of the last templates, principals, agents and header
 * names seen (compared byte for byte: the keys and hashes are the functions above), so that
 * the detectors can reuse them. Packet thread. */
void baseline_obs_keys(baseline_t *b, baseline_obs_t *obs);

/* Hash of a header name (lower-cased), agent or key, as in the views' presence tables. */
uint64_t baseline_hash_name(const char *s, size_t n, int lower);

/* The learned profile of an endpoint / of a principal on it. 0, or AW_ENOENT when unknown. */
int baseline_endpoint_view(const baseline_t *b, uint64_t endpoint_key,
			   baseline_endpoint_view_t *view);
int baseline_principal_view(const baseline_t *b, uint64_t endpoint_key, uint64_t principal_key,
			    baseline_principal_view_t *view);

/* Bucket of a record count in the views' records[]: 0 for none, b for [2^(b-1), 2^b), the
 * last bucket for anything larger. */
static inline unsigned baseline_records_bucket(uint64_t n)
{
	unsigned b = n ? 64u - (unsigned)__builtin_clzll(n) : 0;

	return b < BASELINE_REC_BUCKETS ? b : BASELINE_REC_BUCKETS - 1;
}

/* What the detectors learn on a call that baseline_observe has just learned (endpoint_key is
 * that call's): a sampled JSON response with `records` records; `objects` object IDs seen for
 * the first time and `shared` served to a second principal. Counted in the endpoint's open
 * minute like the rest of the call (saved, loaded, sent to Redis with it). Packet thread; the
 * endpoint of the last observed call is at hand, any other is looked up; an unknown one is
 * not learned. */
void baseline_learn_records(baseline_t *b, uint64_t endpoint_key, uint64_t records);
void baseline_learn_objects(baseline_t *b, uint64_t endpoint_key, uint32_t objects,
			    uint32_t shared);

/* The inventory folded template `from` into `into`: their baselines become one. */
void baseline_merge_endpoint(baseline_t *b, uint64_t from_key, uint64_t into_key);

const baseline_counters_t *baseline_counters(baseline_t *b);

/* 1 when the Redis store is in use. */
int baseline_is_redis(const baseline_t *b);

#endif

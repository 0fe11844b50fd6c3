/*
 * endpoint_private.h - the layout of an endpoint and of the catalogue, shared by endpoint.c,
 * endpoint_json.c, endpoint_openapi.c and output_endpoint.c only.
 */
#ifndef APIWATCH_ENDPOINT_PRIVATE_H
#define APIWATCH_ENDPOINT_PRIVATE_H

#include <stdio.h>

#include "endpoint.h"
#include "endpoint_schema.h"
#include "endpoint_spec.h"
#include "sensitive.h"
#include "siphash.h"

#define ENDPOINT_SPEC_FIRST_LEN 48 /* bytes kept of a violation's first offender, NUL included */

/* Caps of the per-endpoint sets. */
#define ENDPOINT_MAX_CODES 16 /* exact status codes */
#define ENDPOINT_MAX_CTYPES 6 /* media types per direction */
#define ENDPOINT_CTYPE_LEN 64 /* bytes of a media type kept, NUL included */
#define ENDPOINT_MAX_ALGS 4 /* JWT alg values */
#define ENDPOINT_MAX_CLAIMS 16 /* JWT claim names */
#define ENDPOINT_MAX_SPATHS 16 /* sensitive (type, source, key path) entries per direction */
#define ENDPOINT_SPATH_LEN 64 /* bytes of such a key path kept, NUL included */
#define ENDPOINT_MAX_PARAMS 8 /* path parameters whose value classes are tracked */
#define ENDPOINT_HLL_BITS 8
#define ENDPOINT_HLL_REGS (1u << ENDPOINT_HLL_BITS)

/*
 * A log-bucket histogram: values below 4 have a bucket each; above, each power of two is split
 * in ENDPOINT_HIST_SUB buckets, so a percentile is off by at most an eighth of its value (the
 * middle of a bucket is reported). Values past 2^ENDPOINT_HIST_EXP land in the last bucket.
 * Counts are 32-bit: when one would overflow, every bucket is halved (the shape is kept).
 */
#define ENDPOINT_HIST_SUB 4
#define ENDPOINT_HIST_EXP 40
#define ENDPOINT_HIST_BUCKETS (ENDPOINT_HIST_SUB * (ENDPOINT_HIST_EXP - 1))

typedef struct endpoint_hist {
	uint64_t n; /* values recorded */
	uint32_t b[ENDPOINT_HIST_BUCKETS];
} endpoint_hist_t;

typedef struct endpoint_code {
	uint16_t code;
	uint64_t count;
} endpoint_code_t;

typedef struct endpoint_ctype {
	uint64_t count;
	char type[ENDPOINT_CTYPE_LEN]; /* lower case, without parameters */
} endpoint_ctype_t;

typedef struct endpoint_spath {
	uint8_t type; /* enum sensitive_type */
	uint8_t source; /* enum sensitive_source */
	uint64_t count;
	char path[ENDPOINT_SPATH_LEN];
} endpoint_spath_t;

/* What one direction (request or response) carried. */
typedef struct endpoint_side {
	uint8_t last_len; /* the last raw Content-Type value (0: none) and its entry: */
	uint8_t last_idx; /* messages of an endpoint repeat it, and a compare is cheaper */
	char last_raw[ENDPOINT_CTYPE_LEN]; /* than taking the media type apart again */
	uint32_t nctypes;
	uint64_t ctypes_other; /* messages whose media type found no room */
	endpoint_ctype_t ctypes[ENDPOINT_MAX_CTYPES];
	uint32_t sens_types; /* bit (1u << SENSITIVE_*) */
	uint64_t sens_counts[SENSITIVE__COUNT];
	uint32_t nspaths;
	uint64_t spaths_other; /* occurrences whose entry found no room */
	endpoint_spath_t spaths[ENDPOINT_MAX_SPATHS];
} endpoint_side_t;

struct endpoint {
	endpoint_t *next_free; /* the catalogue's free list */
	const path_template_t *tpl; /* valid while the endpoint lives (removed on merge) */
	uint64_t id; /* the template id */
	uint64_t hits, first_us, last_us;
	uint64_t status_class[6]; /* [0] no response or no number, [1..5] 1xx..5xx */
	uint32_t ncodes;
	uint64_t codes_other;
	endpoint_code_t codes[ENDPOINT_MAX_CODES];
	endpoint_side_t req, resp;

	/* Sampled: schemas made on their first document. */
	endpoint_schema_t *query; /* query parameters */
	endpoint_schema_t *req_body; /* JSON request bodies */
	endpoint_schema_t *resp_body; /* JSON response bodies, status below 400 */
	endpoint_schema_t *resp_error; /* JSON response bodies, status 400 and up */
	uint8_t nparams; /* path parameters of the template, up to ENDPOINT_MAX_PARAMS */
	uint16_t param_classes[ENDPOINT_MAX_PARAMS]; /* bit per path_template_class seen */
	uint64_t scanned, skipped;
	uint64_t schema_version; /* sum of the schemas' versions at the last scan */
	uint64_t changed_at; /* hits when a schema last changed */

	endpoint_hist_t latency_us, resp_bytes;
	uint64_t last_caller; /* hash of the last principal: a run of calls is added once */
	uint8_t hll[ENDPOINT_HLL_REGS];

	/* Authentication. */
	uint64_t auth_calls[PRINCIPAL_AUTH__COUNT]; /* by the credential used; NONE: none */
	uint16_t auth_seen; /* bit (1u << PRINCIPAL_AUTH_*) of every credential present */
	uint64_t jwt_weak; /* JWTs with alg none, no alg or no signature */
	uint64_t token_in_query; /* calls with a credential in the query */
	uint8_t nalgs, nclaims;
	char algs[ENDPOINT_MAX_ALGS][PRINCIPAL_ALG_LEN];
	char claims[ENDPOINT_MAX_CLAIMS][PRINCIPAL_CLAIM_LEN];
	char apikey_header[PRINCIPAL_NAME_LEN];
	char apikey_param[PRINCIPAL_NAME_LEN];
	char cookie_name[PRINCIPAL_NAME_LEN];

	uint64_t external; /* calls from public addresses */
	uint32_t merged; /* templates folded into this endpoint */

	/* Against the declared spec (endpoint_drift.c; only with --spec). */
	int32_t spec_op; /* matched operation of the declared spec, -1 none */
	const endpoint_spec_op_t *spec_opp; /* ... itself */
	uint8_t spec_state; /* ENDPOINT_DRIFT_*: not routed yet, declared, shadow, zombie */
	uint64_t spec_violations[ENDPOINT_SPEC__COUNT]; /* calls: shadow, zombie; orphan unused */
	uint64_t spec_checked, spec_bad; /* calls checked against the operation, and breaking it */
	uint64_t spec_kinds[ENDPOINT_SPEC_V__COUNT]; /* calls per violation kind */
	char spec_first[ENDPOINT_SPEC_V__COUNT][ENDPOINT_SPEC_FIRST_LEN]; /* first offenders */

	uint8_t queued; /* waiting in the announcement queue */
};

#define ENDPOINT_NEWS_MAX 64

/* endpoint_t.spec_state */
#define ENDPOINT_DRIFT_UNROUTED 0
#define ENDPOINT_DRIFT_DECLARED 1
#define ENDPOINT_DRIFT_SHADOW 2
#define ENDPOINT_DRIFT_ZOMBIE 3
#define ENDPOINT_DRIFT_OUTSIDE 4 /* a host the spec is not about (endpoint_spec_covers_host) */

struct endpoint_catalog {
	endpoint_config_t cfg;
	mem_account_t *acct;
	uint8_t key[SIPHASH_KEY_LEN];
	endpoint_schema_limits_t slim;
	sensitive_config_t scfg;
	sensitive_report_t rep; /* scratch of one scan */
	endpoint_t **slots; /* open addressing by template id, linear probing */
	uint32_t mask; /* slots - 1 */
	endpoint_t *free_list;
	uint32_t nnews;
	endpoint_news_t news[ENDPOINT_NEWS_MAX];
	endpoint_counters_t counters;
	const endpoint_spec_t *spec; /* the declared API (endpoint_drift.c), or NULL */
	uint8_t *spec_seen; /* bit per operation index: matched by some call */
	size_t spec_seen_len;
};

/* endpoint_drift.c: folding, and the spec objects of the inventory file. */
void endpoint__drift_fold(endpoint_t *into, const endpoint_t *from);
void endpoint__drift_json(json_buf_t *jb, const endpoint_t *ep);
void endpoint__drift_json_doc(json_buf_t *jb, const endpoint_catalog_t *cat);

/* Media type of a Content-Type value: lower case, parameters and spaces dropped, cut to cap-1.
 * Returns its length (0 when empty). */
size_t endpoint__media_type(char *out, size_t cap, const char *v, size_t n);

/* The name of the index-th path parameter of a template ({userId} -> userId); 0 past the end. */
int endpoint__param_name(const path_template_t *t, unsigned index, const char **name, size_t *n);

/* Whether a method writes (POST, PUT, PATCH, DELETE). */
int endpoint__write_method(const char *m);

/* Records one value in a histogram. */
void endpoint__hist_add(endpoint_hist_t *h, uint64_t v);

/* Adds a 64-bit hash to HyperLogLog registers; the estimate of distinct hashes added. */
void endpoint__hll_add(uint8_t regs[ENDPOINT_HLL_REGS], uint64_t hash);
uint64_t endpoint__hll_estimate(const uint8_t regs[ENDPOINT_HLL_REGS]);

/* The value at percentile q of a histogram (bucket middle); 0 when empty. */
uint64_t endpoint__hist_quantile(const endpoint_hist_t *h, double q);

/* Every live endpoint, sorted by host, template, method (then id): an array allocated from the
 * catalogue's account (free with endpoint__sorted_free), NULL with *n 0 when empty or refused. */
endpoint_t **endpoint__sorted(endpoint_catalog_t *cat, size_t *n);
void endpoint__sorted_free(endpoint_catalog_t *cat, endpoint_t **v, size_t n);

/* A file written atomically: text goes to path.tmp, renamed to path when complete. */
typedef struct endpoint_file {
	FILE *fp;
	const char *path;
	int err; /* errno of the first failure, 0 none */
	char tmp[ENDPOINT_PATH_MAX + 8];
} endpoint_file_t;

/* 0, or AW_EIO with errno set. */
int endpoint__file_open(endpoint_file_t *f, const char *path);
void endpoint__file_write(endpoint_file_t *f, const char *p, size_t n);
/* Closes and renames into place; on any failure removes the temporary file. 0 or AW_EIO. */
int endpoint__file_close(endpoint_file_t *f);

#endif

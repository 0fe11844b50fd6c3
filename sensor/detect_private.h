/*
 * detect_private.h - layouts shared by the detection stage's files (detect*.c) only.
 */
#ifndef APIWATCH_DETECT_PRIVATE_H
#define APIWATCH_DETECT_PRIVATE_H

#include <math.h>
#include <stdint.h>

#include "detect.h"

#define DT_MINUTE_US 60000000ull
/* Work done once per endpoint, pair or key, not per call: kept out of line and apart from the
 * per-call path, whose code then spans fewer instruction cache lines. */
#define DT_COLD __attribute__((cold, noinline))
#define DT_WAYS 8 /* ways of a set of the short-term tables */
#define DT_REQ_HEADERS 8 /* headers nearly always present, kept per endpoint */
#define DT_REC_BUCKETS BASELINE_REC_BUCKETS /* log2 buckets of response record counts */
#define DT_AGENT_WORDS 64 /* 4096-bit set of the user agents of armed endpoints' pictures */

/* ------------------------------------------------------------------------------------------ */
/* Set-associative tables of fixed-size entries (detect.c) */

/* Every entry starts with this header. Keys live in the table's keys array only (0 marks a
 * free slot): a lookup reads its set's keys, one cache line, then the entry it found. */
typedef struct dt_head {
	uint64_t last_us; /* packet time of the last use: the oldest of a set goes first */
} dt_head_t;

#define DT_LINE 64 /* cache line: sets of keys and entries are aligned to it */

typedef struct dt_table {
	uint8_t *slots; /* aligned to DT_LINE; entries of stride bytes */
	uint64_t *keys; /* a set's DT_WAYS keys side by side, aligned to DT_LINE */
	uint32_t stride; /* bytes of an entry, header included: a multiple of DT_LINE, or a
			  * power of two below it, so that no entry straddles more lines than it
			  * must */
	uint32_t mask; /* sets - 1 */
	uint64_t horizon_us; /* an entry unused for this long is free to take, not evicted */
	detect_table_counters_t *c;
} dt_table_t;

/* The entry of key, made (zeroed) when absent: *fresh is set then. Never NULL. */
void *dt_get(dt_table_t *t, uint64_t key, uint64_t now_us, int *fresh);
/* The entry of key, or NULL. */
void *dt_find(dt_table_t *t, uint64_t key);

/* A 512-bit linear-counting sketch: distinct values seen, estimated from the empty bits. */
typedef struct dt_bits512 {
	uint64_t w[8];
} dt_bits512_t;

typedef struct dt_bits256 {
	uint64_t w[4];
} dt_bits256_t;

/* Adds a hash; 1 when its bit was new (the value is new for sure). Inline: nwords is a
 * constant at every call, and the bit's index a mask rather than a division. */
static inline int dt_bits_add(uint64_t *w, unsigned nwords, uint64_t h)
{
	unsigned bit = (unsigned)((h ^ (h >> 32)) % (nwords * 64u));
	uint64_t m = 1ull << (bit & 63);

	if (w[bit >> 6] & m)
		return 0;
	w[bit >> 6] |= m;
	return 1;
}
/* Whether a hash's bit is set. */
static inline int dt_bits_test(const uint64_t *w, unsigned nwords, uint64_t h)
{
	unsigned bit = (unsigned)((h ^ (h >> 32)) % (nwords * 64u));

	return (w[bit >> 6] >> (bit & 63)) & 1;
}
/* Estimated distinct values of a sketch of nwords 64-bit words. */
double dt_bits_count(const uint64_t *w, unsigned nwords);

/* ------------------------------------------------------------------------------------------ */
/* Entries */

/* The entries below put what every call reads or counts in their first line (64 bytes, the
 * header's included) and what only an armed endpoint's rules read after it. */

/* An endpoint: the figures of its baseline view (refreshed once per minute) and this minute's
 * counters. */
typedef struct dt_endpoint {
	dt_head_t h;
	uint64_t view_minute; /* 1 + the minute the figures were read in; 0 never */
	uint64_t minute; /* minute of the counters below (and of cur_* further on) */
	uint32_t cur_calls, cur_samples; /* this minute */
	uint64_t host_key; /* an endpoint's: its host's entry (0: not worked out yet) */
	/* From the baseline view. */
	uint8_t armed, known, app_only, shadow_checked, shadow;
	/* By method and template, worked out with the first call: 0 not yet, 1 no, 2 yes. */
	uint8_t login, privileged;
	uint8_t pictured; /* usual headers and agents taken (armed, or thin: detect.c) */
	/* Calls and credentialed calls (a principal from a credential), learned here: the
	 * baseline counts credential headers one name at a time, and an endpoint's callers use
	 * several (bearer, cookie, API key header or query). Calls the unauthenticated rule
	 * fires on are not learned. */
	uint64_t cred_seen, cred_calls;
	/* This minute, read by rules that can fire only. */
	uint32_t cur_errors, cur_login_fails;
	uint32_t fired; /* bit (1 << rule): fired this minute */
	uint32_t over_minutes; /* minutes in a row over the rate limit */
	uint64_t calls, body_samples;
	double fail_share; /* 4xx share of calls */
	double rate_mean, rate_sd, principals_mean;
	double clients_mean, fails_mean, fails_sd;
	double err_mean; /* 5xx per active minute */
	double bytes_p99, bytes_max;
	uint8_t nreq; /* headers in req[] */
	uint8_t nagents;
	uint8_t sens_ref_set; /* sens_ref holds the types of the first armed view */
	uint32_t sens_ref, sens_now; /* sensitive types: at arming, now */
	uint32_t priv_keys_normal; /* bit i: privileged body key i is normal here */
	uint64_t ref_calls; /* calls of the view the usual headers and agents were taken from */
	uint64_t req[DT_REQ_HEADERS]; /* name hashes of headers in >= presence of calls */
	uint64_t agents[BASELINE_TOP_AGENTS];
	/* Learned by the detectors into the baseline store (baseline_learn_records, _objects):
	 * record counts of sampled responses, and how often an object has had more than one
	 * reader. The view's figures, plus what this sensor's calls added since it was read. */
	uint64_t rec_hist[DT_REC_BUCKETS];
	uint64_t rec_n;
	uint64_t objects, objects_shared;
	/* A host's entry (key of 'H' host; detect_rate.c): finished minutes and their 5xx, minutes
	 * that fired error_spike left out. */
	uint64_t host_minutes, host_errors;
	dt_bits256_t members; /* a family's entry (detect_exposure.c): its endpoints */
} dt_endpoint_t;

/* A principal on an endpoint, this minute. */
typedef struct dt_pair {
	dt_head_t h;
	uint64_t minute;
	uint32_t calls, fails, over_minutes, fired;
	int64_t walk_last[2]; /* last integer object ID of two runs (detect_object.c) */
	uint32_t walk_run[2]; /* IDs in a row one to three from the previous */
	int8_t walk_dir[2];
	uint8_t walk_misses; /* IDs in a row that extended neither run */
	/* The principal's own baseline on the endpoint, read with the first call of the minute. */
	uint8_t pv_armed, pv_known;
	/* Impersonation, over detect.impersonation.window: calls, calls lacking the usual
	 * headers, calls with an agent unknown on an app-only endpoint. */
	uint64_t imp_start;
	uint32_t imp_calls, imp_missing, imp_odd, imp_fired;
	uint64_t pv_calls;
	double pv_rate_mean, pv_rate_sd, pv_ids_mean, pv_ids_sd;
	_Alignas(DT_LINE) dt_bits512_t ids; /* a line of its own */
	double pv_fails_mean, pv_fails_sd;
	dt_bits256_t fail_ids;
} dt_pair_t;

/* A principal across endpoints: the sharing window and the scraping window (from calls to
 * ids: zeroed together when it starts again). */
typedef struct dt_principal {
	dt_head_t h;
	uint64_t share_start;
	uint32_t share_fired;
	uint32_t calls;
	uint64_t win_start, last_call_us;
	uint32_t gaps, nendpoints, fired_win;
	uint8_t endpoints_over;
	double gap_sum, gap_sq; /* seconds */
	uint64_t endpoints[4];
	uint64_t armed_endpoint; /* an armed endpoint it called in the window */
	double own_ids_mean; /* the largest learned IDs per minute of its endpoints */
	_Alignas(DT_LINE) dt_bits512_t ids; /* a line of its own */
	dt_bits256_t clients, agents;
} dt_principal_t;

/* A client address: this minute's calls, and its login attempts in the auth window. */
typedef struct dt_client {
	dt_head_t h;
	uint64_t minute;
	uint32_t calls, over_minutes, fired;
	uint64_t login_start;
	uint32_t login_calls, login_fails, fail_run, login_fired;
	dt_bits256_t usernames;
} dt_client_t;

/* A login username (keyed hash), in the auth window. */
typedef struct dt_user {
	dt_head_t h;
	uint64_t start;
	uint32_t fails, fired;
	dt_bits256_t clients;
} dt_user_t;

/* An object ID of an endpoint: the first principals it was served to. */
typedef struct dt_object {
	dt_head_t h;
	uint32_t readers[4];
	uint8_t n, fired;
} dt_object_t;

/* ------------------------------------------------------------------------------------------ */
/* The stage */

/* Direct-mapped cache of client keys (dt_hash 'C') by the address's bytes. */
#define DT_CKC_SLOTS 256

typedef struct dt_ckey_cache {
	uint64_t key; /* 0: empty */
	uint8_t addr[16];
} dt_ckey_cache_t;

/* Families switched on (DT_ON_*): the settings every call tests, in one word. */
enum {
	DT_ON_BOLA = 1u << 0,
	DT_ON_AUTH = 1u << 1,
	DT_ON_SHARING = 1u << 2,
	DT_ON_JWT = 1u << 3,
	DT_ON_EXPOSURE = 1u << 4,
	DT_ON_SENSITIVE_NEW = 1u << 5,
	DT_ON_MASS_ASSIGNMENT = 1u << 6,
	DT_ON_RATE = 1u << 7,
	DT_ON_ERRORS = 1u << 8,
	DT_ON_AUTHZ = 1u << 9,
	DT_ON_SCRAPING = 1u << 10,
	DT_ON_IMPERSONATION = 1u << 11,
	DT_ON_UNAUTH = 1u << 12,
	DT_ON_SHADOW = 1u << 13, /* and a spec to compare with */
};

/* The stage. What every call reads comes first, aligned to a cache line (the stage is
 * allocated so): the clock, the enabled families, the tables. */
struct detect {
	uint64_t now_us;
	double api_principals; /* the largest learned principals per minute of an endpoint */
	uint32_t on; /* DT_ON_* */
	/* Settings of cfg that every call with a principal reads, again. */
	uint32_t scraping_min_calls;
	uint64_t scraping_window_us, sharing_window_us;
	dt_table_t t[DETECT_T__COUNT];
	detect_config_t cfg;
	baseline_t *bl;
	const endpoint_spec_t *spec;
	uint8_t key[SIPHASH_KEY_LEN];
	alert_emit_fn emit;
	void *ud;
	mem_account_t *acct;
	baseline_endpoint_view_t *view; /* scratch, one view read at a time */
	struct {
		uint64_t w[DT_AGENT_WORDS];
	} known_agents; /* agents in the picture of any armed endpoint (bits of their hashes) */
	detect_counters_t counters;
	dt_ckey_cache_t ckc[DT_CKC_SLOTS];
};

/* What one call is, worked out once for every family. */
typedef struct dt_call {
	const api_call_t *call;
	const principal_t *who;
	uint64_t t_us, minute;
	uint64_t ep_key, pr_key; /* pr_key 0: no principal */
	uint64_t client_key; /* keyed hash of the client address; 0 unknown */
	const net_addr_t *client;
	int status, cls; /* status and its class (0 none) */
	int credentialed; /* the principal comes from a credential, not the address */
	int write; /* POST, PUT, PATCH, DELETE */
	int has_id, has_int; /* an object ID at a {...} position; an integer one */
	uint64_t id_hash;
	int64_t id_int;
	uint64_t resp_bytes;
	dt_endpoint_t *ep;
	dt_pair_t *pair; /* NULL without a principal */
	dt_principal_t *pr;
	dt_client_t *cl; /* NULL without a client address */
	/* From the baseline's observation: baseline_hash_name() of the user agent (0: work it
	 * out) and of the first nname_hash request header names (lower-cased). */
	uint64_t ua_hash;
	const uint64_t *name_hash;
	uint32_t nname_hash;
} dt_call_t;

/* baseline_hash_name() of the call's user agent ua (api_message_known of the request). */
static inline uint64_t dt_agent_hash(const dt_call_t *c, const api_header_t *ua)
{
	return c->ua_hash ? c->ua_hash : baseline_hash_name(ua->value.ptr, ua->value.len, 0);
}

/* baseline_hash_name() of request header i's lower-cased name. */
static inline uint64_t dt_header_hash(const dt_call_t *c, uint32_t i)
{
	const api_header_t *h = &c->call->req.headers[i];

	return i < c->nname_hash ? c->name_hash[i]
				 : baseline_hash_name(h->name.ptr, h->name.len, 1);
}

/* Hands a finding on (counted). principal_kind: 0 none, 1 the call's principal, 2 the client
 * address. */
void dt_emit(detect_t *d, const dt_call_t *c, unsigned rule, int principal_kind, double observed,
	     double baseline, const char *unit, const char *reason);

/* Whether rule fired under mask already; marks it. */
/* A rule's condition holds on this call: the rule is marked fired on the entry (learning
 * leaves its minutes out, dt_roll counts them) and the call is reported, the first one and
 * every later one, so that the attack's alert grows with it (count, last_seen, evidence;
 * the alert stage writes updates at most once per alert.update-interval). */
static inline int dt_fire(uint32_t *fired, unsigned rule)
{
	*fired |= 1u << rule;
	return 1;
}

/* fired bit: the rate limit was passed this minute (rules use bits 0..DETECT__COUNT-1). */
#define DT_OVER (1u << 31)

/* A new minute of an entry whose `fired` holds DT_OVER: minutes in a row over the limit. */
static inline void dt_roll(uint32_t *fired, uint32_t *over_minutes, uint64_t old_minute,
			   uint64_t new_minute)
{
	*over_minutes = (*fired & DT_OVER) && new_minute == old_minute + 1 ? *over_minutes + 1 : 0;
	*fired = 0;
}

/* mean + sigma * sd, at least floor. */
static inline double dt_limit(const detect_t *d, double mean, double sd, double floor)
{
	double l = mean + (double)d->cfg.sigma * sd;

	return l > floor ? l : floor;
}

uint64_t dt_hash(const detect_t *d, uint8_t tag, const void *p, size_t n);
/* Whether s is lit (lower case) in any case. Inline: the length of a literal is folded. */
static inline int dt_slice_ieq(aw_slice_t s, const char *lit)
{
	return aw_ieq(s.ptr, s.len, lit, __builtin_strlen(lit));
}

/* Whether a segment of template tpl is one of words (NULL-terminated), case aside. */
int dt_tpl_has_word(aw_slice_t tpl, const char *const *words);
/* Top-level members of a JSON object body: calls fn(key, value, ud) for each, up to max; the
 * value slice is raw (strings with their quotes). Returns the members seen. */
typedef int (*dt_member_fn)(aw_slice_t key, aw_slice_t val, void *ud);
unsigned dt_json_members(const char *p, size_t n, unsigned max, dt_member_fn fn, void *ud);
/* Records of a JSON response: elements of a top-level array, or of the largest array member
 * of a top-level object. -1 when it is neither. */
long dt_json_records(const char *p, size_t n);

/* The families, in the order they run for a call. */
void detect_object_call(detect_t *d, dt_call_t *c);
void detect_auth_call(detect_t *d, dt_call_t *c);
void detect_exposure_call(detect_t *d, dt_call_t *c);
void detect_rate_call(detect_t *d, dt_call_t *c);
void detect_flow_call(detect_t *d, dt_call_t *c);
void detect_client_call(detect_t *d, dt_call_t *c);
/* At the first call of an endpoint in a minute, after its figures were read. */
void detect_exposure_minute(detect_t *d, dt_call_t *c);
/* Whether an endpoint looks like a login, a privileged function (by template and method). */
int detect_auth_is_login(aw_slice_t method, aw_slice_t tpl);
int detect_flow_is_privileged(aw_slice_t method, aw_slice_t tpl);
/* The same for the call's endpoint, kept in its entry after the first call. */
static inline int dt_ep_is_login(dt_call_t *c)
{
	if (!c->ep->login)
		c->ep->login =
			(uint8_t)(1 + detect_auth_is_login(c->call->method, c->call->endpoint));
	return c->ep->login - 1;
}

static inline int dt_ep_is_privileged(dt_call_t *c)
{
	if (!c->ep->privileged)
		c->ep->privileged = (uint8_t)(1 + detect_flow_is_privileged(c->call->method,
									    c->call->endpoint));
	return c->ep->privileged - 1;
}
/* The privileged body keys (mass assignment), NULL-terminated; at most 32. */
extern const char *const detect_priv_keys[];

#endif

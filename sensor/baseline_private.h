/*
 * baseline_private.h - layouts shared by baseline.c, baseline_hll.c, baseline_profile.c,
 * baseline_file.c and baseline_redis.c only.
 */
#ifndef APIWATCH_BASELINE_PRIVATE_H
#define APIWATCH_BASELINE_PRIVATE_H

#include <stdint.h>

#include "baseline.h"

/* ------------------------------------------------------------------------------------------ */
/* HyperLogLog (baseline_hll.c): Redis's layout, 2^14 registers, so that a sensor's minute can
 * be merged into a Redis key with PFMERGE. Small sets stay sparse in the entry (exact register
 * list); larger ones take a full block from a fixed pool. */

#define BL_HLL_P 14
#define BL_HLL_REGS (1u << BL_HLL_P)
#define BL_HLL_SPARSE 24 /* registers kept inline before a mid block is needed */
#define BL_HLL_MID_SLOTS 512 /* open-addressed (register << 8 | rank) slots of a mid block */
#define BL_HLL_MID_MAX 256 /* registers a mid block holds (half full) before going dense */
#define BL_HLL_MID_PER_DENSE 16 /* mid blocks in the pool per dense block */
#define BL_HLL_REDIS_DENSE (16 + BL_HLL_REGS * 6 / 8) /* bytes of a Redis dense HLL */
#define BL_HLL_REDIS_MAX BL_HLL_REDIS_DENSE

/* Three forms, by size: up to 24 registers inline (exact list), up to 256 in a 2 KiB mid block
 * (a small hash table keyed by register), then the 16 KiB dense array. A set whose next form
 * finds its pool empty stays where it is, a lower bound (counted once per set). */
typedef struct bl_hll {
	uint64_t last; /* the last hash added: a repeat (the same caller again) costs nothing */
	uint32_t dense; /* 1 + dense block index in the pool; 0: none */
	uint32_t mid; /* 1 + mid block index; 0: none */
	uint16_t n; /* registers in use, inline or in the mid block */
	uint16_t capped; /* wanted a block and found none: a lower bound (counted once) */
	uint32_t sp[BL_HLL_SPARSE]; /* (register << 8) | rank */
} bl_hll_t;

typedef struct bl_hll_pool {
	uint8_t *blocks; /* cap blocks of BL_HLL_REGS bytes */
	uint32_t *free; /* stack of free block indices */
	uint32_t cap, nfree;
	uint32_t *mid_blocks; /* mid_cap blocks of BL_HLL_MID_SLOTS slots */
	uint32_t *mid_free;
	uint32_t mid_cap, mid_nfree;
	uint64_t cap_hits;
} bl_hll_pool_t;

int bl_hll_pool_init(bl_hll_pool_t *p, uint32_t cap, mem_account_t *acct);
void bl_hll_pool_fini(bl_hll_pool_t *p, mem_account_t *acct);
void bl_hll_add(bl_hll_pool_t *p, bl_hll_t *h, uint64_t hash);
uint64_t bl_hll_count(const bl_hll_pool_t *p, const bl_hll_t *h);
/* Asks the cache for the register that bl_hll_add(p, h, hash) will touch (a dense block's
 * registers are a cache miss each); no effect on the set. */
static inline void bl_hll_prefetch(const bl_hll_pool_t *p, const bl_hll_t *h, uint64_t hash)
{
	if (h->dense)
		__builtin_prefetch(p->blocks + (size_t)(h->dense - 1) * BL_HLL_REGS +
					   (hash & (BL_HLL_REGS - 1)),
				   1);
	else if (h->mid)
		__builtin_prefetch(p->mid_blocks + (size_t)(h->mid - 1) * BL_HLL_MID_SLOTS +
					   (hash & (BL_HLL_MID_SLOTS - 1)),
				   1);
}
/* Adds src into dst (dst may be promoted to a dense block). */
void bl_hll_merge(bl_hll_pool_t *p, bl_hll_t *dst, const bl_hll_t *src);
/* Empties h, giving its block back. */
void bl_hll_clear(bl_hll_pool_t *p, bl_hll_t *h);
/* Redis's string form of h (sparse or dense) in out (BL_HLL_REDIS_MAX bytes); its length, 0
 * when h is empty. */
size_t bl_hll_redis_encode(const bl_hll_pool_t *p, const bl_hll_t *h, uint8_t *out);
/* Estimate of a register array (tests compare with Redis). */
uint64_t bl_hll_estimate_regs(const uint8_t *regs);

/* ------------------------------------------------------------------------------------------ */
/* Profiles (baseline_profile.c): additive counters over finished minutes. */

/* Fixed counters. The first BL_F__PRINCIPAL are also a principal's profile. D1 is distinct
 * principals per minute for an endpoint, distinct object IDs for a principal; D2 distinct
 * client addresses. *_SQ are sums of squares of the per-minute figure. */
#define BL_FIELD_MAP(X)                   \
	X(MINUTES, "minutes")             \
	X(CALLS, "calls")                 \
	X(CALLS_SQ, "calls_sq")           \
	X(FAILS, "fails")                 \
	X(FAILS_SQ, "fails_sq")           \
	X(D1, "d1")                       \
	X(D1_SQ, "d1_sq")                 \
	X(D2, "d2")                       \
	X(D2_SQ, "d2_sq")                 \
	X(ST0, "st0")                     \
	X(ST1, "st1")                     \
	X(ST2, "st2")                     \
	X(ST3, "st3")                     \
	X(ST4, "st4")                     \
	X(ST5, "st5")                     \
	X(NO_AGENT, "no_agent")           \
	X(LAT_UNKNOWN, "lat_unknown")     \
	X(BODY_SAMPLES, "body_samples")   \
	X(OTHER_HEADERS, "other_headers") \
	X(OTHER_AGENTS, "other_agents")   \
	X(OTHER_QUERY, "other_query")     \
	X(OTHER_BODY, "other_body")       \
	X(OBJECTS, "objects")             \
	X(OBJECTS_SHARED, "objects_shared")

/* Then the histograms: response size (sz00...), latency (lt00...), sensitive types (sens00...)
 * and record counts (rc00...; OBJECTS, OBJECTS_SHARED and REC* are counted by the detectors). */
enum bl_field {
#define BL_FIELD_ENUM(name, str) BL_F_##name,
	BL_FIELD_MAP(BL_FIELD_ENUM)
#undef BL_FIELD_ENUM
		BL_F_SIZE0,
	BL_F_LAT0 = BL_F_SIZE0 + BASELINE_HIST_BUCKETS,
	BL_F_SENS0 = BL_F_LAT0 + BASELINE_HIST_BUCKETS,
	BL_F_REC0 = BL_F_SENS0 + BASELINE_SENSITIVE_TYPES,
	BL_F__COUNT = BL_F_REC0 + BASELINE_REC_BUCKETS
};

#define BL_F__PRINCIPAL (BL_F_D1_SQ + 1)
/* Fields the Redis script keeps itself from the minute buckets. */
#define BL_F__PER_MINUTE (BL_F_D2_SQ + 1)

/* First-N tables of hashed names. */
enum bl_list { BL_L_HEADERS = 0, BL_L_AGENTS, BL_L_QUERY, BL_L_BODY, BL_L__COUNT };
#define BL_TOP_MAX 32

typedef struct bl_item {
	uint64_t hash, count;
} bl_item_t;

typedef struct bl_profile {
	uint64_t f[BL_F__COUNT];
	uint64_t first_us, last_us; /* first call; end of the last minute (0: none) */
	uint32_t n[BL_L__COUNT];
	bl_item_t item[BL_L__COUNT][BL_TOP_MAX];
} bl_profile_t;

typedef struct bl_pprofile {
	uint64_t f[BL_F__PRINCIPAL];
	uint64_t first_us, last_us;
} bl_pprofile_t;

extern const uint32_t bl_list_cap[BL_L__COUNT];
extern const char *const bl_list_prefix[BL_L__COUNT]; /* "h:", "ua:", "q:", "b:" */
extern const uint8_t bl_list_other[BL_L__COUNT]; /* BL_F_OTHER_* of each list */

const char *bl_field_name(unsigned f, char *buf, size_t cap);
/* Field index of a name, -1 if none. */
int bl_field_lookup(const char *name, size_t n);

/* Counts one occurrence of hash in list l of p; a full table counts it in its other field. */
void bl_list_add(bl_profile_t *p, enum bl_list l, uint64_t hash, uint64_t count);
/* The same, looking first from index hint on (a hash is at most once in a list, so where the
 * search starts changes nothing but its cost): names that come in the same order call after
 * call are found at once when hint is the value returned for the name before. Returns 1 + the
 * hash's index, 0 when it went to the other count. */
uint32_t bl_list_add_at(bl_profile_t *p, enum bl_list l, uint64_t hash, uint64_t count,
			uint32_t hint);
void bl_profile_add(bl_profile_t *dst, const bl_profile_t *src);
void bl_profile_sub(bl_profile_t *dst, const bl_profile_t *src);
void bl_pprofile_add(bl_pprofile_t *dst, const bl_pprofile_t *src);
void bl_pprofile_sub(bl_pprofile_t *dst, const bl_pprofile_t *src);
int bl_profile_empty(const bl_profile_t *p);
/* Keeps the BL_TOP_MAX (per-list cap) largest entries of lists that grew past it. */
void bl_profile_trim(bl_profile_t *p);

void bl_profile_view(const bl_profile_t *p, const baseline_config_t *cfg,
		     baseline_endpoint_view_t *v);
void bl_pprofile_view(const bl_pprofile_t *p, const baseline_config_t *cfg,
		      baseline_principal_view_t *v);

/* log2 bucket of a value. */
unsigned bl_hist_bucket(uint64_t v);
void bl_hist_dist(const uint64_t *h, baseline_dist_t *d);

/* ------------------------------------------------------------------------------------------ */
/* The store's tables (baseline.c). */

typedef struct bl_endpoint {
	/* What every call reads or writes comes first, the client count's head among it (the
	 * principal count takes an add only on a principal's first call of the minute). */
	uint64_t key;
	uint64_t minute; /* open minute (minutes since the epoch) when active */
	uint32_t cur_calls, cur_fails;
	uint8_t used, active, listed;
	bl_hll_t clients; /* open minute: distinct client addresses */
	uint32_t next_active; /* 1 + index: the list of entries with an open minute */
	uint32_t next_free; /* 1 + index: freed entries (merges) */
	uint64_t sample_tick; /* unused (keeps the entry's size, part of the memory figures) */
	bl_hll_t principals; /* open minute: distinct principals */
	bl_profile_t cur; /* open minute's additive counters */
	bl_profile_t learned; /* finished minutes (embedded; Redis: this sensor's own) */
	bl_profile_t *remote; /* Redis: merged profile as read back; NULL before the first */
	bl_profile_t *inflight; /* Redis: handed to the store, not yet in `remote` */
} bl_endpoint_t;

typedef struct bl_principal {
	uint64_t ep_key, key;
	uint32_t ep; /* endpoint index */
	uint32_t next_active, next_free;
	uint8_t used, active, listed;
	uint64_t minute;
	uint32_t cur_calls, cur_fails;
	uint64_t cur_first_us;
	bl_hll_t ids; /* open minute: object IDs */
	bl_pprofile_t learned;
	bl_pprofile_t remote, inflight;
	uint8_t has_remote;
} bl_principal_t;

/* Open-addressing index of 64-bit keys to 1 + entry index; UINT32_MAX marks a deleted slot. */
typedef struct bl_index {
	uint32_t *slot;
	uint32_t mask;
} bl_index_t;

typedef struct baseline_redis baseline_redis_t;

/* Direct-mapped caches of keys by their strings (baseline_obs_keys). */
#define BL_EKC_SLOTS 256
#define BL_EKC_TEXT 180 /* host, method and template bytes; longer ones are not cached */
#define BL_PKC_SLOTS 1024
#define BL_PKC_TEXT 64

typedef struct bl_ekey_cache {
	uint64_t key; /* 0: empty */
	uint16_t host_len, method_len, tpl_len;
	/* The template's object-ID segments (baseline_object_ids): how many (UINT8_MAX: more
	 * than BASELINE_OBS_IDS, not kept), their indexes among its segments and their offsets
	 * in it (under BL_EKC_TEXT). An entry takes 216 bytes, as before they were kept. */
	uint8_t nid;
	uint8_t id_seg[BASELINE_OBS_IDS];
	uint8_t id_off[BASELINE_OBS_IDS];
	uint32_t ep; /* 1 + index of the endpoint's entry when last seen (checked), 0: none */
	char text[BL_EKC_TEXT];
} bl_ekey_cache_t;

typedef struct bl_pkey_cache {
	uint64_t key; /* 0: empty */
	uint32_t len;
	char text[BL_PKC_TEXT];
} bl_pkey_cache_t;

/* Direct-mapped caches of name hashes (baseline_hash_name) by the name's bytes as sent:
 * request header names (lower-cased hash) and user agents. */
#define BL_HNC_SLOTS 256
#define BL_HNC_TEXT 40 /* longer header names are hashed every time */
#define BL_UAC_SLOTS 128
#define BL_UAC_TEXT 248 /* longer agents are hashed every time */

typedef struct bl_hname_cache {
	uint64_t hash; /* 0: empty */
	uint32_t len;
	char text[BL_HNC_TEXT];
} bl_hname_cache_t;

typedef struct bl_agent_cache {
	uint64_t hash; /* 0: empty */
	uint32_t len;
	char text[BL_UAC_TEXT];
} bl_agent_cache_t;

struct baseline {
	baseline_config_t cfg;
	mem_account_t *acct;
	bl_index_t ep_index, pr_index;
	bl_endpoint_t *ep;
	bl_profile_t *ep_remote, *ep_inflight; /* Redis backend: slot i's profiles */
	bl_principal_t *pr;
	uint32_t ep_used, pr_used; /* high-water marks */
	uint32_t ep_free, pr_free; /* 1 + index of a freed entry chain (merges), 0 none */
	uint32_t ep_active, pr_active; /* 1 + index: heads of the active lists */
	bl_hll_pool_t hll;
	uint64_t minute; /* current packet-time minute */
	uint64_t now_us;
	baseline_redis_t *redis;
	baseline_counters_t counters;
	void *scratch; /* sensitive-scan report, allocated once */
	bl_ekey_cache_t *ekc; /* BL_EKC_SLOTS */
	bl_pkey_cache_t *pkc; /* BL_PKC_SLOTS */
	/* Written by baseline_obs_keys after it read the pointers around it: a line it has. */
	uint32_t obs_hint; /* 1 + index of the entry it expects for the call's endpoint, 0: none */
	uint32_t obs_ep; /* 1 + index of the endpoint baseline_observe last learned, 0: none */
	bl_hname_cache_t *hnc; /* BL_HNC_SLOTS */
	bl_agent_cache_t *uac; /* BL_UAC_SLOTS */
};

uint64_t bl_index_pair(uint64_t ep, uint64_t pr);
bl_endpoint_t *bl_ep_find(const baseline_t *b, uint64_t key, uint32_t *idx);
bl_principal_t *bl_pr_find(const baseline_t *b, uint64_t ep_key, uint64_t key, uint32_t *idx);
/* Finds or makes an entry; NULL when the table is full (counted). */
bl_endpoint_t *bl_ep_get(baseline_t *b, uint64_t key, uint32_t *idx);
bl_principal_t *bl_pr_get(baseline_t *b, uint64_t ep_key, uint32_t ep, uint64_t key, uint32_t *idx);
/* The endpoint's profile: its own minutes, or (Redis) the merged one plus what is in flight. */
const bl_profile_t *bl_ep_effective(const bl_endpoint_t *e, bl_profile_t *tmp);
/* Loads a saved picture (baseline_file.c). */
int bl_file_load(baseline_t *b, const char *path, char *errbuf, size_t errlen);

/* ------------------------------------------------------------------------------------------ */
/* The Redis store (baseline_redis.c). */

/* Parses redis://[[user]:password@]host[:port][/db]. 0 or AW_ECONFIG with a message. */
typedef struct bl_redis_url {
	char host[256];
	int port, db;
	char user[128], password[256];
} bl_redis_url_t;

int bl_redis_url_parse(bl_redis_url_t *u, const char *url, char *errbuf, size_t errlen);

int baseline_redis_new(baseline_redis_t **out, baseline_t *b, char *errbuf, size_t errlen);
void baseline_redis_free(baseline_redis_t *r);
/* Hands a finished minute of an endpoint / principal to the store (packet thread). The delta
 * is what the minute adds to the profile. 0, or -1 when it could not be queued (counted). */
int baseline_redis_put_endpoint(baseline_redis_t *r, uint32_t idx, const bl_endpoint_t *e,
				const bl_profile_t *delta, uint64_t minute);
int baseline_redis_put_principal(baseline_redis_t *r, uint32_t idx, const bl_principal_t *p,
				 const bl_pprofile_t *delta, uint64_t minute);
/* Hands over the open batch; applies profiles read back (packet thread, never waits). */
void baseline_redis_tick(baseline_redis_t *r, int handover);
/* Hands the open batch over and waits (at most timeout_ms) until the thread wrote every
 * queued batch and the profiles read back were applied; 0, or -1 on timeout. For tests. */
int baseline_redis_wait_idle(baseline_redis_t *r, uint64_t timeout_ms);
/* End of input: hands everything over and waits up to baseline.redis.drain-timeout. */
void baseline_redis_drain(baseline_redis_t *r);
/* Copies the thread's counters into c. */
void baseline_redis_counters(baseline_redis_t *r, baseline_counters_t *c);

#endif

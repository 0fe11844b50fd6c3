/*
 * baseline_redis.c - the Redis store: several sensors, one learned picture.
 *
 * Fed by the packet thread (baseline.c) with finished minutes: each is serialised into the
 * open batch, a buffer from a fixed pool; full batches, and the open one at each minute
 * boundary, go to a bounded queue. One thread of its own (hiredis, blocking calls with
 * timeouts) wakes every baseline.redis.flush-interval (wall clock) and writes every queued
 * batch in one pipelined round trip: per finished minute one EVALSHA of a small Lua script
 * (HINCRBY of the profile counters, HINCRBY of the minute bucket, SET + PFMERGE of the
 * minute's HyperLogLogs, EXPIRE on the per-minute keys, and the per-minute sums corrected by
 * delta so that two sensors writing the same minute give the figures of their union), then
 * HGETALL of the merged profile it just updated. The profiles read back go to an update table
 * that the packet thread takes under a try-lock at its next tick: it never waits on the thread
 * or the network.
 *
 * Batches stay queued until Redis acknowledged them: while Redis is down (reconnection with
 * exponential backoff) they are retained and written when it is back; when every buffer is
 * held, further minutes are dropped and counted (queue_drops). A minute whose reply is lost in
 * a broken pipeline is written again (at least once). At exit the thread keeps trying for
 * baseline.redis.drain-timeout, then counts what it could not write.
 *
 * Not here: what is learned (baseline.c), how it reads (baseline_profile.c).
 */
#include "baseline_private.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "json.h"
#include "waits.h"

/* ------------------------------------------------------------------------------------------ */
/* The per-minute script. KEYS: profile hash, minute bucket hash, scratch key, then one minute
 * HyperLogLog key per distinct count. ARGV: ttl seconds, calls, 4xx, first_us, last_us, n, n
 * field/increment pairs, then one HLL string (Redis's own encoding; empty: none) per HLL key.
 * The bucket remembers the per-minute figures already folded into the profile (_c, _f, _d1,
 * _d2), so a later write to the same minute (another sensor) corrects the sums by difference. */

static const char bl_redis_script[] =
	"local p, m, tmp = KEYS[1], KEYS[2], KEYS[3]\n"
	"local ttl = ARGV[1]\n"
	"local n = tonumber(ARGV[6])\n"
	"for i = 0, n - 1 do redis.call('HINCRBY', p, ARGV[7 + 2 * i], ARGV[8 + 2 * i]) end\n"
	"local c = redis.call('HINCRBY', m, 'calls', ARGV[2])\n"
	"local f = redis.call('HINCRBY', m, 'fails', ARGV[3])\n"
	"redis.call('EXPIRE', m, ttl)\n"
	"local d = {0, 0}\n"
	"local base = 7 + 2 * n\n"
	"for k = 4, #KEYS do\n"
	"  local blob = ARGV[base + k - 4]\n"
	"  if blob and #blob > 0 then\n"
	"    redis.call('SET', tmp, blob)\n"
	"    redis.call('PFMERGE', KEYS[k], tmp)\n"
	"    redis.call('EXPIRE', KEYS[k], ttl)\n"
	"  end\n"
	"  d[k - 3] = redis.call('PFCOUNT', KEYS[k])\n"
	"end\n"
	"redis.call('DEL', tmp)\n"
	"local old = redis.call('HMGET', m, '_c', '_f', '_d1', '_d2')\n"
	"if not old[1] then redis.call('HINCRBY', p, 'minutes', 1) end\n"
	"local function upd(field, new, prev)\n"
	"  prev = tonumber(prev or '0')\n"
	"  if new ~= prev then\n"
	"    redis.call('HINCRBY', p, field, string.format('%d', new - prev))\n"
	"    redis.call('HINCRBY', p, field .. '_sq', string.format('%d', new * new - prev * "
	"prev))\n"
	"  end\n"
	"end\n"
	"upd('calls', c, old[1])\n"
	"upd('fails', f, old[2])\n"
	"upd('d1', d[1], old[3])\n"
	"upd('d2', d[2], old[4])\n"
	"redis.call('HSET', m, '_c', c, '_f', f, '_d1', d[1], '_d2', d[2])\n"
	"local fst = redis.call('HGET', p, 'first')\n"
	"if not fst or tonumber(fst) > tonumber(ARGV[4]) then redis.call('HSET', p, 'first', "
	"ARGV[4]) end\n"
	"local lst = redis.call('HGET', p, 'last')\n"
	"if not lst or tonumber(lst) < tonumber(ARGV[5]) then redis.call('HSET', p, 'last', "
	"ARGV[5]) end\n"
	"return c\n";

/* ------------------------------------------------------------------------------------------ */
/* Batches: items one after another, 8-byte aligned. */

#define BL_ITEM_ENDPOINT 1
#define BL_ITEM_PRINCIPAL 2

typedef struct bl_item_hdr {
	uint32_t len; /* whole item, header included */
	uint8_t kind, nhll;
	uint16_t nfields;
	uint32_t idx; /* entry index on the packet thread */
	uint32_t pad;
	uint64_t ep_key, pr_key, minute, first_us, last_us;
	uint32_t calls, fails;
} bl_item_hdr_t;

typedef struct bl_field_rec {
	uint16_t id; /* field, or list index when list is set */
	uint8_t list; /* 0: fixed field; 1 + enum bl_list */
	uint8_t pad[5];
	uint64_t hash, value;
} bl_field_rec_t;

#define BL_ITEM_MAX                                                          \
	(sizeof(bl_item_hdr_t) +                                             \
	 (BL_F__COUNT + BL_L__COUNT * BL_TOP_MAX) * sizeof(bl_field_rec_t) + \
	 2 * (8 + BL_HLL_REDIS_MAX + 8))

typedef struct bl_upd_ep {
	uint64_t key;
	uint8_t dirty;
	bl_profile_t remote, written;
} bl_upd_ep_t;

typedef struct bl_upd_pr {
	uint64_t ep_key, key;
	uint8_t dirty;
	bl_pprofile_t remote, written;
} bl_upd_pr_t;

struct baseline_redis {
	baseline_t *b;
	bl_redis_url_t url;
	char tmp_key[96];
	char sha[48];
	size_t batch_cap;
	uint32_t nbufs;
	uint8_t **bufs; /* nbufs batches of batch_cap bytes, in buf_area */
	uint8_t *buf_area;
	size_t *lens;

	pthread_t thread;
	int thread_started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_cond_t freed; /* a buffer came back, or Redis went down */
	int up; /* under mu: the last connection or write succeeded */
	uint32_t *free_stack, nfree; /* under mu */
	uint32_t *queue, qhead, qlen; /* FIFO of buffer indices, under mu */
	int stop; /* under mu */
	int drained; /* the exit drain already waited: one last try at stop */

	/* Packet thread only. */
	int open; /* buffer index of the open batch, -1 none */
	uint64_t seen_gen;

	/* Updates read back, under mu; gen says there are some. */
	bl_upd_ep_t *upd_ep;
	bl_upd_pr_t *upd_pr;
	uint32_t *dirty_ep, ndirty_ep, *dirty_pr, ndirty_pr;
	uint64_t gen;

	/* Thread only. */
	redisContext *c;
	int down_reported;
	uint64_t attempts; /* connection attempts */
	uint64_t backoff_ms, next_try_ms;

	/* Counters (atomic). */
	uint64_t round_trips, flushes, failures, reconnects, connect_failures, queue_drops;
	uint64_t queue_waits, queue_wait_us;
	uint64_t items_written, items_unwritten, reads, pending;
};

#define BL_ADD(r, field, n) __atomic_add_fetch(&(r)->field, (n), __ATOMIC_RELAXED)
#define BL_GET(r, field) __atomic_load_n(&(r)->field, __ATOMIC_RELAXED)

static uint64_t bl_now_ms(void)
{
	return aw_now_us() / 1000u;
}

/* ------------------------------------------------------------------------------------------ */
/* URL */

int bl_redis_url_parse(bl_redis_url_t *u, const char *url, char *errbuf, size_t errlen)
{
	const char *p = url, *at, *hs, *he, *slash;
	char *end;
	long v;

	memset(u, 0, sizeof(*u));
	u->port = 6379;
	if (strncmp(p, "redis://", 8) != 0)
		goto bad;
	p += 8;
	slash = strchr(p, '/');
	at = memchr(p, '@', slash ? (size_t)(slash - p) : strlen(p));
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));

		if (!colon || (size_t)(colon - p) >= sizeof(u->user) ||
		    (size_t)(at - colon - 1) >= sizeof(u->password))
			goto bad;
		memcpy(u->user, p, (size_t)(colon - p));
		memcpy(u->password, colon + 1, (size_t)(at - colon - 1));
		p = at + 1;
	}
	if (*p == '[') { /* [IPv6]:port */
		hs = p + 1;
		he = strchr(hs, ']');
		if (!he)
			goto bad;
		p = he + 1;
	} else {
		hs = p;
		for (he = p; *he && *he != ':' && *he != '/'; he++)
			;
		p = he;
	}
	if (he == hs || (size_t)(he - hs) >= sizeof(u->host))
		goto bad;
	memcpy(u->host, hs, (size_t)(he - hs));
	if (*p == ':') {
		v = strtol(p + 1, &end, 10);
		if (end == p + 1 || v < 1 || v > 65535)
			goto bad;
		u->port = (int)v;
		p = end;
	}
	if (*p == '/' && p[1]) {
		v = strtol(p + 1, &end, 10);
		if (end == p + 1 || *end || v < 0 || v > 1000000)
			goto bad;
		u->db = (int)v;
	} else if (*p && !(*p == '/' && !p[1])) {
		goto bad;
	}
	return 0;
bad:
	snprintf(errbuf, errlen,
		 "--redis: cannot parse '%s' (want redis://[:password@]host:port[/db])", url);
	return AW_ECONFIG;
}

/* ------------------------------------------------------------------------------------------ */
/* Packet thread: serialising finished minutes */

/* Reading capture files (baseline.redis_wait_full), a full queue waits for the Redis thread
 * while Redis is up: a replay runs faster than Redis takes its minutes, and dropping them would
 * make what is learned depend on the machine's speed. At most baseline.redis.timeout per wait;
 * a live capture never waits. Under mu. */
static void bl_redis_wait_free(baseline_redis_t *r)
{
	uint64_t t0 = aw_now_us(), end = t0 + r->b->cfg.redis_timeout_us;

	BL_ADD(r, queue_waits, 1);
	pthread_cond_signal(&r->cv); /* write now, not at the next flush-interval */
	while (!r->nfree && r->up && !r->stop) {
		uint64_t now = aw_now_us();

		if (now >= end)
			break;
		aw_cond_wait_us(&r->freed, &r->mu, end - now);
	}
	BL_ADD(r, queue_wait_us, aw_now_us() - t0);
}

/* Room for one more item in the open batch; hands a full batch over. NULL: no buffer. */
static uint8_t *bl_redis_room(baseline_redis_t *r)
{
	if (r->open >= 0 && r->lens[r->open] + BL_ITEM_MAX > r->batch_cap)
		baseline_redis_tick(r, 1);
	if (r->open < 0) {
		pthread_mutex_lock(&r->mu);
		if (!r->nfree && r->b->cfg.redis_wait_full && r->up)
			bl_redis_wait_free(r);
		if (r->nfree)
			r->open = (int)r->free_stack[--r->nfree];
		pthread_mutex_unlock(&r->mu);
		if (r->open < 0)
			return NULL;
		r->lens[r->open] = 0;
	}
	return r->bufs[r->open] + r->lens[r->open];
}

static size_t bl_align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

static bl_field_rec_t *bl_put_fields(bl_field_rec_t *rec, const uint64_t *f, unsigned nf,
				     uint16_t *count)
{
	unsigned i;

	for (i = 0; i < nf; i++) {
		if (!f[i])
			continue;
		memset(rec, 0, sizeof(*rec));
		rec->id = (uint16_t)i;
		rec->value = f[i];
		rec++;
		(*count)++;
	}
	return rec;
}

static uint8_t *bl_put_hll(const baseline_t *b, const bl_hll_t *h, uint8_t *p)
{
	uint32_t n = (uint32_t)bl_hll_redis_encode(&b->hll, h, p + 8);

	memcpy(p, &n, sizeof(n));
	return p + 8 + bl_align8(n);
}

int baseline_redis_put_endpoint(baseline_redis_t *r, uint32_t idx, const bl_endpoint_t *e,
				const bl_profile_t *d, uint64_t minute)
{
	uint8_t *start = bl_redis_room(r), *p;
	bl_item_hdr_t *h;
	bl_field_rec_t *rec;
	unsigned l, i;

	if (!start) {
		BL_ADD(r, queue_drops, 1);
		return -1;
	}
	h = (bl_item_hdr_t *)(void *)start;
	memset(h, 0, sizeof(*h));
	h->kind = BL_ITEM_ENDPOINT;
	h->idx = idx;
	h->ep_key = e->key;
	h->minute = minute;
	h->first_us = d->first_us;
	h->last_us = d->last_us;
	h->calls = e->cur_calls;
	h->fails = e->cur_fails;
	rec = bl_put_fields((bl_field_rec_t *)(void *)(h + 1), d->f, BL_F__COUNT, &h->nfields);
	for (l = 0; l < BL_L__COUNT; l++)
		for (i = 0; i < d->n[l]; i++, rec++, h->nfields++) {
			memset(rec, 0, sizeof(*rec));
			rec->list = (uint8_t)(l + 1);
			rec->hash = d->item[l][i].hash;
			rec->value = d->item[l][i].count;
		}
	h->nhll = 2;
	p = bl_put_hll(r->b, &e->principals, (uint8_t *)rec);
	p = bl_put_hll(r->b, &e->clients, p);
	h->len = (uint32_t)(p - start);
	r->lens[r->open] += h->len;
	return 0;
}

int baseline_redis_put_principal(baseline_redis_t *r, uint32_t idx, const bl_principal_t *pr,
				 const bl_pprofile_t *d, uint64_t minute)
{
	uint8_t *start = bl_redis_room(r), *p;
	bl_item_hdr_t *h;
	bl_field_rec_t *rec;

	if (!start) {
		BL_ADD(r, queue_drops, 1);
		return -1;
	}
	h = (bl_item_hdr_t *)(void *)start;
	memset(h, 0, sizeof(*h));
	h->kind = BL_ITEM_PRINCIPAL;
	h->idx = idx;
	h->ep_key = pr->ep_key;
	h->pr_key = pr->key;
	h->minute = minute;
	h->first_us = d->first_us;
	h->last_us = d->last_us;
	h->calls = pr->cur_calls;
	h->fails = pr->cur_fails;
	rec = bl_put_fields((bl_field_rec_t *)(void *)(h + 1), d->f, BL_F__PRINCIPAL, &h->nfields);
	h->nhll = 1;
	p = bl_put_hll(r->b, &pr->ids, (uint8_t *)rec);
	h->len = (uint32_t)(p - start);
	r->lens[r->open] += h->len;
	return 0;
}

/* Applies the profiles read back (under the lock, taken without waiting). */
static void bl_redis_apply(baseline_redis_t *r)
{
	baseline_t *b = r->b;
	uint32_t i;

	for (i = 0; i < r->ndirty_ep; i++) {
		uint32_t idx = r->dirty_ep[i];
		bl_upd_ep_t *u = &r->upd_ep[idx];
		bl_endpoint_t *e = &b->ep[idx];

		if (e->used && e->key == u->key) {
			*e->remote = u->remote;
			bl_profile_sub(e->inflight, &u->written);
		}
		memset(&u->written, 0, sizeof(u->written));
		u->dirty = 0;
	}
	for (i = 0; i < r->ndirty_pr; i++) {
		uint32_t idx = r->dirty_pr[i];
		bl_upd_pr_t *u = &r->upd_pr[idx];
		bl_principal_t *p = &b->pr[idx];

		if (p->used && p->key == u->key && p->ep_key == u->ep_key) {
			p->remote = u->remote;
			p->has_remote = 1;
			bl_pprofile_sub(&p->inflight, &u->written);
		}
		memset(&u->written, 0, sizeof(u->written));
		u->dirty = 0;
	}
	r->ndirty_ep = r->ndirty_pr = 0;
}

void baseline_redis_tick(baseline_redis_t *r, int handover)
{
	if (handover && r->open >= 0 && r->lens[r->open]) {
		pthread_mutex_lock(&r->mu);
		r->queue[(r->qhead + r->qlen) % r->nbufs] = (uint32_t)r->open;
		r->qlen++;
		__atomic_store_n(&r->pending, r->qlen, __ATOMIC_RELAXED);
		pthread_mutex_unlock(&r->mu);
		r->open = -1;
	}
	if (__atomic_load_n(&r->gen, __ATOMIC_ACQUIRE) != r->seen_gen &&
	    pthread_mutex_trylock(&r->mu) == 0) {
		r->seen_gen = r->gen;
		bl_redis_apply(r);
		pthread_mutex_unlock(&r->mu);
	}
}

/* ------------------------------------------------------------------------------------------ */
/* The thread: connection */

static void bl_redis_disconnect(baseline_redis_t *r)
{
	if (r->c)
		redisFree(r->c);
	r->c = NULL;
}

static void bl_redis_down(baseline_redis_t *r, const char *why)
{
	if (!r->down_reported)
		fprintf(stderr,
			"apiwatch: warning: baseline store: Redis at %s:%d: %s; learning goes on "
			"locally and is written when Redis is back\n",
			r->url.host, r->url.port, why);
	r->down_reported = 1;
	bl_redis_disconnect(r);
	r->backoff_ms = r->backoff_ms ? r->backoff_ms * 2 : 100;
	if (r->backoff_ms > 5000)
		r->backoff_ms = 5000;
	r->next_try_ms = bl_now_ms() + r->backoff_ms;
}

/* Connects, authenticates, selects the database and loads the script: one round trip. */
static int bl_redis_connect(baseline_redis_t *r)
{
	const baseline_config_t *cfg = &r->b->cfg;
	struct timeval tv = {(time_t)(cfg->redis_timeout_us / 1000000),
			     (suseconds_t)(cfg->redis_timeout_us % 1000000)};
	redisReply *rep;
	int n = 0, i, ok = 1;
	char why[256] = "";

	r->c = redisConnectWithTimeout(r->url.host, r->url.port, tv);
	r->attempts++;
	if (!r->c || r->c->err) {
		snprintf(why, sizeof(why), "%s", r->c ? r->c->errstr : "cannot connect");
		BL_ADD(r, connect_failures, 1);
		bl_redis_down(r, why);
		return -1;
	}
	redisSetTimeout(r->c, tv);
	if (r->url.password[0]) {
		if (r->url.user[0])
			redisAppendCommand(r->c, "AUTH %s %s", r->url.user, r->url.password);
		else
			redisAppendCommand(r->c, "AUTH %s", r->url.password);
		n++;
	}
	if (r->url.db) {
		redisAppendCommand(r->c, "SELECT %d", r->url.db);
		n++;
	}
	redisAppendCommand(r->c, "SCRIPT LOAD %s", bl_redis_script);
	n++;
	for (i = 0; i < n; i++) {
		if (redisGetReply(r->c, (void **)&rep) != REDIS_OK || !rep) {
			snprintf(why, sizeof(why), "%s", r->c->errstr);
			ok = 0;
			break;
		}
		if (rep->type == REDIS_REPLY_ERROR) {
			snprintf(why, sizeof(why), "%s", rep->str);
			ok = 0;
		} else if (i == n - 1 && rep->type == REDIS_REPLY_STRING) {
			snprintf(r->sha, sizeof(r->sha), "%s", rep->str);
		}
		freeReplyObject(rep);
	}
	BL_ADD(r, round_trips, 1);
	if (!ok || !r->sha[0]) {
		BL_ADD(r, connect_failures, 1);
		bl_redis_down(r, why[0] ? why : "no script id");
		return -1;
	}
	if (r->down_reported)
		fprintf(stderr, "apiwatch: baseline store: Redis at %s:%d is back\n", r->url.host,
			r->url.port);
	if (r->attempts > 1) /* every connection but a first attempt's */
		BL_ADD(r, reconnects, 1);
	r->down_reported = 0;
	r->backoff_ms = 0;
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* The thread: writing batches */

typedef struct bl_cmd {
	const char *argv[24 + 2 * (BL_F__COUNT + BL_L__COUNT * BL_TOP_MAX)];
	size_t argl[24 + 2 * (BL_F__COUNT + BL_L__COUNT * BL_TOP_MAX)];
	char names[BL_F__COUNT + BL_L__COUNT * BL_TOP_MAX][24];
	char vals[BL_F__COUNT + BL_L__COUNT * BL_TOP_MAX][24];
	size_t namel[BL_F__COUNT + BL_L__COUNT * BL_TOP_MAX];
	size_t vall[BL_F__COUNT + BL_L__COUNT * BL_TOP_MAX];
	char k0[112], k1[160], k2[96], k3[192], k4[192];
	const char *keys[5];
	char small[7][24];
} bl_cmd_t;

/* Decimal digits of v at out (room for 21 bytes), NUL-terminated; returns their count. */
static size_t bl_u64_str(char *out, uint64_t v)
{
	char tmp[20];
	size_t n = json_format_u64(tmp + sizeof(tmp), v);

	memcpy(out, tmp + sizeof(tmp) - n, n);
	out[n] = '\0';
	return n;
}

/* prefix + 16 lowercase hex digits of v at out (room for strlen(prefix) + 17 bytes). */
static size_t bl_hex_name(char *out, const char *prefix, uint64_t v)
{
	size_t pl = strlen(prefix);

	memcpy(out, prefix, pl);
	json_format_hex64(out + pl, v);
	out[pl + 16] = '\0';
	return pl + 16;
}

/* Appends src (n bytes) at *at in a buffer ending at end; keeps it NUL-terminated and
 * truncates as snprintf would. */
static void bl_cat(char **at, char *end, const char *src, size_t n)
{
	size_t room = (size_t)(end - *at) - 1;

	if (n > room)
		n = room;
	memcpy(*at, src, n);
	*at += n;
	**at = '\0';
}

static void bl_redis_keys(const baseline_redis_t *r, const bl_item_hdr_t *h, bl_cmd_t *c)
{
	const char *pre = r->b->cfg.redis_prefix;
	char num[40], *at, *end;
	size_t n;

	/* No printf: five keys for every item of every minute. */
	at = c->k0;
	end = c->k0 + sizeof(c->k0);
	bl_cat(&at, end, pre, strlen(pre));
	if (h->kind == BL_ITEM_ENDPOINT) {
		n = bl_hex_name(num, "ep:", h->ep_key);
		bl_cat(&at, end, num, n);
	} else {
		n = bl_hex_name(num, "pr:", h->ep_key);
		bl_cat(&at, end, num, n);
		n = bl_hex_name(num, ":", h->pr_key);
		bl_cat(&at, end, num, n);
	}
	at = c->k1;
	end = c->k1 + sizeof(c->k1);
	bl_cat(&at, end, c->k0, strlen(c->k0));
	bl_cat(&at, end, ":m:", 3);
	n = bl_u64_str(num, h->minute);
	bl_cat(&at, end, num, n);
	n = strlen(c->k1);
	at = c->k2;
	end = c->k2 + sizeof(c->k2);
	bl_cat(&at, end, r->tmp_key, strlen(r->tmp_key));
	at = c->k3;
	end = c->k3 + sizeof(c->k3);
	bl_cat(&at, end, c->k1, n);
	bl_cat(&at, end, h->kind == BL_ITEM_ENDPOINT ? ":pr" : ":ids",
	       h->kind == BL_ITEM_ENDPOINT ? 3 : 4);
	at = c->k4;
	end = c->k4 + sizeof(c->k4);
	bl_cat(&at, end, c->k1, n);
	bl_cat(&at, end, ":cl", 3);
	c->keys[0] = c->k0;
	c->keys[1] = c->k1;
	c->keys[2] = c->k2;
	c->keys[3] = c->k3;
	c->keys[4] = c->k4;
}

/* Appends EVALSHA and HGETALL of one item. */
static void bl_redis_append_item(baseline_redis_t *r, const bl_item_hdr_t *h, bl_cmd_t *c)
{
	const bl_field_rec_t *rec = (const bl_field_rec_t *)(const void *)(h + 1);
	const uint8_t *hp = (const uint8_t *)(rec + h->nfields);
	unsigned nkeys = 3u + h->nhll, i, nf = 0;
	int a = 0;

	bl_redis_keys(r, h, c);
#define BL_ARG(s, n) (c->argv[a] = (s), c->argl[a] = (n), a++)
#define BL_ARGS(s) BL_ARG(s, strlen(s))
	BL_ARGS("EVALSHA");
	BL_ARGS(r->sha);
	BL_ARG(c->small[0], bl_u64_str(c->small[0], nkeys));
	for (i = 0; i < nkeys; i++)
		BL_ARGS(c->keys[i]);
	BL_ARG(c->small[1], bl_u64_str(c->small[1], r->b->cfg.redis_ttl_us / 1000000 + 1));
	BL_ARG(c->small[2], bl_u64_str(c->small[2], h->calls));
	BL_ARG(c->small[3], bl_u64_str(c->small[3], h->fails));
	BL_ARG(c->small[4], bl_u64_str(c->small[4], h->first_us));
	BL_ARG(c->small[5], bl_u64_str(c->small[5], h->last_us));
	/* Per field: no printf (tens of thousands of fields a minute on a busy sensor). */
	for (i = 0; i < h->nfields; i++) {
		if (!rec[i].list && rec[i].id < BL_F__PER_MINUTE)
			continue; /* the script keeps these from the minute buckets */
		if (rec[i].list) {
			c->namel[nf] = bl_hex_name(c->names[nf], bl_list_prefix[rec[i].list - 1],
						   rec[i].hash);
		} else {
			const char *fn = bl_field_name(rec[i].id, c->vals[nf], sizeof(c->vals[nf]));

			c->namel[nf] = strlen(fn);
			memcpy(c->names[nf], fn, c->namel[nf] + 1);
		}
		c->vall[nf] = bl_u64_str(c->vals[nf], rec[i].value);
		nf++;
	}
	BL_ARG(c->small[6], bl_u64_str(c->small[6], nf));
	for (i = 0; i < nf; i++) {
		BL_ARG(c->names[i], c->namel[i]);
		BL_ARG(c->vals[i], c->vall[i]);
	}
	for (i = 0; i < h->nhll; i++) {
		uint32_t n;

		memcpy(&n, hp, sizeof(n));
		BL_ARG((const char *)hp + 8, n);
		hp += 8 + bl_align8(n);
	}
	redisAppendCommandArgv(r->c, a, c->argv, c->argl);
	a = 0;
	BL_ARGS("HGETALL");
	BL_ARGS(c->keys[0]);
	redisAppendCommandArgv(r->c, a, c->argv, c->argl);
#undef BL_ARG
#undef BL_ARGS
}

/* Adds a name read back to a list; a full list keeps the larger counts. */
static void bl_list_keep(bl_profile_t *p, unsigned l, uint64_t hash, uint64_t count)
{
	uint32_t i, min = 0;

	if (p->n[l] < BL_TOP_MAX) {
		p->item[l][p->n[l]].hash = hash;
		p->item[l][p->n[l]].count = count;
		p->n[l]++;
		return;
	}
	for (i = 1; i < BL_TOP_MAX; i++)
		if (p->item[l][i].count < p->item[l][min].count)
			min = i;
	if (p->item[l][min].count >= count) {
		p->f[bl_list_other[l]] += count;
		return;
	}
	p->f[bl_list_other[l]] += p->item[l][min].count;
	p->item[l][min].hash = hash;
	p->item[l][min].count = count;
}

static void bl_redis_parse_field(bl_profile_t *p, const char *k, size_t kn, const char *v)
{
	uint64_t val = strtoull(v, NULL, 10);
	unsigned l;
	int f;

	if (kn == 5 && memcmp(k, "first", 5) == 0) {
		p->first_us = val;
		return;
	}
	if (kn == 4 && memcmp(k, "last", 4) == 0) {
		p->last_us = val;
		return;
	}
	for (l = 0; l < BL_L__COUNT; l++) {
		size_t pl = strlen(bl_list_prefix[l]);

		if (kn == pl + 16 && memcmp(k, bl_list_prefix[l], pl) == 0) {
			bl_list_keep(p, l, strtoull(k + pl, NULL, 16), val);
			return;
		}
	}
	f = bl_field_lookup(k, kn);
	if (f >= 0)
		p->f[f] = val;
}

/* Parses the HGETALL reply of an item and hands it to the packet thread with the delta the
 * item carried. */
static void bl_redis_take(baseline_redis_t *r, const bl_item_hdr_t *h, const redisReply *rep)
{
	const bl_field_rec_t *rec = (const bl_field_rec_t *)(const void *)(h + 1);
	bl_profile_t remote, delta;
	size_t i;

	memset(&remote, 0, sizeof(remote));
	memset(&delta, 0, sizeof(delta));
	for (i = 0; i + 1 < rep->elements; i += 2)
		if (rep->element[i]->type == REDIS_REPLY_STRING &&
		    rep->element[i + 1]->type == REDIS_REPLY_STRING)
			bl_redis_parse_field(&remote, rep->element[i]->str,
					     (size_t)rep->element[i]->len,
					     rep->element[i + 1]->str);
	bl_profile_trim(&remote);
	for (i = 0; i < h->nfields; i++) {
		if (rec[i].list)
			bl_list_add(&delta, (enum bl_list)(rec[i].list - 1), rec[i].hash,
				    rec[i].value);
		else
			delta.f[rec[i].id] = rec[i].value;
	}
	pthread_mutex_lock(&r->mu);
	if (h->kind == BL_ITEM_ENDPOINT && h->idx < r->b->cfg.max_endpoints) {
		bl_upd_ep_t *u = &r->upd_ep[h->idx];

		if (u->key != h->ep_key)
			memset(&u->written, 0, sizeof(u->written));
		u->key = h->ep_key;
		u->remote = remote;
		bl_profile_add(&u->written, &delta);
		if (!u->dirty)
			r->dirty_ep[r->ndirty_ep++] = h->idx;
		u->dirty = 1;
	} else if (h->kind == BL_ITEM_PRINCIPAL && h->idx < r->b->cfg.max_principals) {
		bl_upd_pr_t *u = &r->upd_pr[h->idx];
		bl_pprofile_t pd;

		if (u->key != h->pr_key || u->ep_key != h->ep_key)
			memset(&u->written, 0, sizeof(u->written));
		u->key = h->pr_key;
		u->ep_key = h->ep_key;
		memcpy(u->remote.f, remote.f, sizeof(u->remote.f));
		u->remote.first_us = remote.first_us;
		u->remote.last_us = remote.last_us;
		memcpy(pd.f, delta.f, sizeof(pd.f));
		pd.first_us = pd.last_us = 0;
		bl_pprofile_add(&u->written, &pd);
		if (!u->dirty)
			r->dirty_pr[r->ndirty_pr++] = h->idx;
		u->dirty = 1;
	}
	__atomic_add_fetch(&r->gen, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&r->mu);
	BL_ADD(r, reads, 1);
}

static uint32_t bl_batch_items(const uint8_t *buf, size_t len)
{
	size_t off = 0;
	uint32_t n = 0;

	while (off < len) {
		off += ((const bl_item_hdr_t *)(const void *)(buf + off))->len;
		n++;
	}
	return n;
}

/* Writes the first n queued batches in one pipeline. 0 when every reply came back. */
static int bl_redis_write(baseline_redis_t *r, const uint32_t *bufs, uint32_t n, bl_cmd_t *cmd)
{
	uint32_t i, items = 0;
	int ok = 1;

	for (i = 0; i < n; i++) {
		size_t off = 0;

		while (off < r->lens[bufs[i]]) {
			const bl_item_hdr_t *h =
				(const bl_item_hdr_t *)(const void *)(r->bufs[bufs[i]] + off);

			bl_redis_append_item(r, h, cmd);
			off += h->len;
			items++;
		}
	}
	for (i = 0; i < n && ok; i++) {
		size_t off = 0;

		while (off < r->lens[bufs[i]] && ok) {
			const bl_item_hdr_t *h =
				(const bl_item_hdr_t *)(const void *)(r->bufs[bufs[i]] + off);
			redisReply *e = NULL, *g = NULL;

			if (redisGetReply(r->c, (void **)&e) != REDIS_OK ||
			    redisGetReply(r->c, (void **)&g) != REDIS_OK) {
				ok = 0;
			} else if (e->type == REDIS_REPLY_ERROR || g->type != REDIS_REPLY_ARRAY) {
				/* Refused by Redis (a key of another type, NOSCRIPT): counted, and
				 * not retried - it would be refused again. */
				BL_ADD(r, failures, 1);
				BL_ADD(r, items_unwritten, 1);
			} else {
				bl_redis_take(r, h, g);
				BL_ADD(r, items_written, 1);
			}
			if (e)
				freeReplyObject(e);
			if (g)
				freeReplyObject(g);
			off += h->len;
		}
	}
	BL_ADD(r, round_trips, 1);
	if (!ok) {
		BL_ADD(r, failures, 1);
		bl_redis_down(r, r->c && r->c->errstr[0] ? r->c->errstr : "connection lost");
		return -1;
	}
	BL_ADD(r, flushes, 1);
	(void)items;
	return 0;
}

#define BL_BATCHES_PER_TRIP 16

/* Whether Redis takes writes, for a packet thread waiting on a full queue. */
static void bl_redis_set_up(baseline_redis_t *r, int up)
{
	pthread_mutex_lock(&r->mu);
	r->up = up;
	pthread_cond_broadcast(&r->freed);
	pthread_mutex_unlock(&r->mu);
}

/* Writes what is queued; returns the batches still queued. */
static uint32_t bl_redis_flush(baseline_redis_t *r, bl_cmd_t *cmd)
{
	uint32_t bufs[BL_BATCHES_PER_TRIP], n, i, left;

	for (;;) {
		pthread_mutex_lock(&r->mu);
		n = r->qlen < BL_BATCHES_PER_TRIP ? r->qlen : BL_BATCHES_PER_TRIP;
		for (i = 0; i < n; i++)
			bufs[i] = r->queue[(r->qhead + i) % r->nbufs];
		left = r->qlen;
		pthread_mutex_unlock(&r->mu);
		if (!n)
			return 0;
		if ((!r->c && (bl_now_ms() < r->next_try_ms || bl_redis_connect(r) < 0)) ||
		    bl_redis_write(r, bufs, n, cmd) < 0) {
			bl_redis_set_up(r, 0);
			return left;
		}
		pthread_mutex_lock(&r->mu);
		r->up = 1;
		pthread_cond_broadcast(&r->freed);
		for (i = 0; i < n; i++)
			r->free_stack[r->nfree++] = bufs[i];
		r->qhead = (r->qhead + n) % r->nbufs;
		r->qlen -= n;
		__atomic_store_n(&r->pending, r->qlen, __ATOMIC_RELAXED);
		pthread_mutex_unlock(&r->mu);
	}
}

static void *bl_redis_main(void *arg)
{
	baseline_redis_t *r = arg;
	const baseline_config_t *cfg = &r->b->cfg;
	bl_cmd_t *cmd = malloc(sizeof(*cmd));
	uint64_t deadline = 0;
	uint32_t left = 0, i;

	pthread_setname_np(pthread_self(), "aw-redis");
	if (!cmd)
		return NULL;
	pthread_mutex_lock(&r->mu);
	for (;;) {
		int stop;

		if (!r->stop)
			aw_cond_wait_us(&r->cv, &r->mu, cfg->redis_flush_us);
		stop = r->stop;
		pthread_mutex_unlock(&r->mu);
		if (stop && !deadline)
			deadline = bl_now_ms() + (__atomic_load_n(&r->drained, __ATOMIC_ACQUIRE)
							  ? 0
							  : cfg->redis_drain_us / 1000);
		left = bl_redis_flush(r, cmd);
		if (stop && (!left || bl_now_ms() >= deadline))
			break;
		if (stop) { /* draining: wait for the next try */
			uint64_t now = bl_now_ms(),
				 wait = r->next_try_ms > now ? r->next_try_ms - now : 10;

			if (now + wait > deadline)
				wait = deadline > now ? deadline - now : 0;
			usleep((useconds_t)(wait * 1000));
		}
		pthread_mutex_lock(&r->mu);
	}
	if (left) {
		uint64_t items = 0;

		pthread_mutex_lock(&r->mu);
		for (i = 0; i < r->qlen; i++) {
			uint32_t k = r->queue[(r->qhead + i) % r->nbufs];

			items += bl_batch_items(r->bufs[k], r->lens[k]);
		}
		pthread_mutex_unlock(&r->mu);
		BL_ADD(r, items_unwritten, items);
		fprintf(stderr,
			"apiwatch: warning: baseline store: %llu finished minutes could not be "
			"written to Redis at %s:%d\n",
			(unsigned long long)items, r->url.host, r->url.port);
	}
	bl_redis_disconnect(r);
	free(cmd);
	return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Set-up */

int baseline_redis_new(baseline_redis_t **out, baseline_t *b, char *errbuf, size_t errlen)
{
	const baseline_config_t *cfg = &b->cfg;
	baseline_redis_t *r;
	uint32_t i;
	int rc;

	*out = NULL;
	r = mem_calloc(b->acct, sizeof(*r));
	if (!r)
		return AW_ENOMEM;
	r->b = b;
	r->open = -1;
	rc = bl_redis_url_parse(&r->url, cfg->redis_url, errbuf, errlen);
	if (rc < 0) {
		mem_free(b->acct, r, sizeof(*r));
		return rc;
	}
	r->nbufs = cfg->redis_queue_batches ? cfg->redis_queue_batches : 1;
	r->batch_cap =
		cfg->redis_batch_bytes > 2 * BL_ITEM_MAX ? cfg->redis_batch_bytes : 2 * BL_ITEM_MAX;
	r->bufs = mem_calloc(b->acct, r->nbufs * sizeof(*r->bufs));
	r->lens = mem_calloc(b->acct, r->nbufs * sizeof(*r->lens));
	r->free_stack = mem_calloc(b->acct, r->nbufs * sizeof(uint32_t));
	r->queue = mem_calloc(b->acct, r->nbufs * sizeof(uint32_t));
	r->upd_ep = mem_table_alloc(b->acct, cfg->max_endpoints * sizeof(*r->upd_ep));
	r->upd_pr = mem_table_alloc(b->acct, cfg->max_principals * sizeof(*r->upd_pr));
	r->dirty_ep = mem_calloc(b->acct, cfg->max_endpoints * sizeof(uint32_t));
	r->dirty_pr = mem_calloc(b->acct, cfg->max_principals * sizeof(uint32_t));
	*out = r; /* freed by baseline_redis_free from here on */
	if (!r->bufs || !r->lens || !r->free_stack || !r->queue || !r->upd_ep || !r->upd_pr ||
	    !r->dirty_ep || !r->dirty_pr)
		goto nomem;
	/* One mapping for all batches (mem_table_alloc: huge pages), touched as batches fill. */
	r->buf_area = mem_table_alloc(b->acct, (size_t)r->nbufs * r->batch_cap);
	if (!r->buf_area)
		goto nomem;
	for (i = 0; i < r->nbufs; i++) {
		r->bufs[i] = r->buf_area + (size_t)i * r->batch_cap;
		r->free_stack[r->nfree++] = r->nbufs - 1 - i;
	}
	snprintf(r->tmp_key, sizeof(r->tmp_key), "%stmp:%d:%llx", cfg->redis_prefix, (int)getpid(),
		 (unsigned long long)bl_now_ms());
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	pthread_cond_init(&r->freed, NULL);
	/* The first connection is tried now, so that a dead Redis is reported at start. */
	r->up = bl_redis_connect(r) == 0;
	if (pthread_create(&r->thread, NULL, bl_redis_main, r) != 0) {
		snprintf(errbuf, errlen, "cannot start the Redis thread: %s", strerror(errno));
		return AW_ENOMEM;
	}
	r->thread_started = 1;
	return 0;
nomem:
	snprintf(errbuf, errlen, "cannot set up the Redis baseline store: %s",
		 error_str(AW_ENOMEM));
	return AW_ENOMEM;
}

void baseline_redis_free(baseline_redis_t *r)
{
	mem_account_t *acct;

	if (!r)
		return;
	acct = r->b->acct;
	if (r->thread_started) {
		baseline_redis_tick(r, 1);
		pthread_mutex_lock(&r->mu);
		r->stop = 1;
		pthread_cond_signal(&r->cv);
		pthread_mutex_unlock(&r->mu);
		pthread_join(r->thread, NULL);
		pthread_mutex_destroy(&r->mu);
		pthread_cond_destroy(&r->cv);
		pthread_cond_destroy(&r->freed);
	}
	bl_redis_disconnect(r);
	mem_table_free(acct, r->buf_area, (size_t)r->nbufs * r->batch_cap);
	if (r->bufs)
		mem_free(acct, r->bufs, r->nbufs * sizeof(*r->bufs));
	if (r->lens)
		mem_free(acct, r->lens, r->nbufs * sizeof(*r->lens));
	if (r->free_stack)
		mem_free(acct, r->free_stack, r->nbufs * sizeof(uint32_t));
	if (r->queue)
		mem_free(acct, r->queue, r->nbufs * sizeof(uint32_t));
	if (r->upd_ep)
		mem_table_free(acct, r->upd_ep, r->b->cfg.max_endpoints * sizeof(*r->upd_ep));
	if (r->upd_pr)
		mem_table_free(acct, r->upd_pr, r->b->cfg.max_principals * sizeof(*r->upd_pr));
	if (r->dirty_ep)
		mem_free(acct, r->dirty_ep, r->b->cfg.max_endpoints * sizeof(uint32_t));
	if (r->dirty_pr)
		mem_free(acct, r->dirty_pr, r->b->cfg.max_principals * sizeof(uint32_t));
	mem_free(acct, r, sizeof(*r));
}

int baseline_redis_wait_idle(baseline_redis_t *r, uint64_t timeout_ms)
{
	uint64_t end = bl_now_ms() + timeout_ms;

	baseline_redis_tick(r, 1);
	while (bl_now_ms() < end) {
		if (!BL_GET(r, pending) && r->open < 0) {
			baseline_redis_tick(r, 0);
			return 0;
		}
		pthread_mutex_lock(&r->mu);
		pthread_cond_signal(&r->cv);
		pthread_mutex_unlock(&r->mu);
		usleep(5000);
	}
	return -1;
}

void baseline_redis_drain(baseline_redis_t *r)
{
	baseline_redis_wait_idle(r, r->b->cfg.redis_drain_us / 1000);
	__atomic_store_n(&r->drained, 1, __ATOMIC_RELEASE);
}

void baseline_redis_counters(baseline_redis_t *r, baseline_counters_t *c)
{
	c->redis_round_trips = BL_GET(r, round_trips);
	c->redis_flushes = BL_GET(r, flushes);
	c->redis_failures = BL_GET(r, failures);
	c->redis_reconnects = BL_GET(r, reconnects);
	c->redis_connect_failures = BL_GET(r, connect_failures);
	c->redis_queue_drops = BL_GET(r, queue_drops);
	c->redis_queue_waits = BL_GET(r, queue_waits);
	c->redis_queue_wait_us = BL_GET(r, queue_wait_us);
	c->redis_items_written = BL_GET(r, items_written);
	c->redis_items_unwritten = BL_GET(r, items_unwritten);
	c->redis_reads = BL_GET(r, reads);
	c->redis_pending = BL_GET(r, pending);
}

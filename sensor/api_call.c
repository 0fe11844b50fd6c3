/*
 * api_call.c - the pool of API call records and their storage (see api_call.h).
 *
 * A record owns three kinds of storage: an arena for strings (start-line parts, header names
 * and values), one header array per message and one decoded-body buffer per message. All of
 * them are kept with the record when it goes back to the pool, so a steady stream of calls
 * allocates nothing; they grow (a counted slow path) only when a call carries more than any
 * before it, never past the limits, and oversized ones are dropped at release so that one huge
 * call does not pin memory forever. Slices point into the arena; when it grows, the record's
 * slices are moved with it.
 *
 * Encoded bodies (gzip, deflate) are kept as sent and decoded only when a stage asks for them
 * (api_call_body), with the pool's one zlib stream: decompression is the costliest thing a
 * sensor can do per byte, and most calls are never read that deeply.
 *
 * This file knows nothing of HTTP parsing: dissectors fill records, the pipeline releases them.
 */
#include "api_call.h"

#include <string.h>
#include <strings.h>

#include <zlib.h>

#include "error.h"

#define API_CALL_ARENA_MIN 2048u
#define API_CALL_ARENA_KEEP (8u << 10)
#define API_CALL_HDR_MIN 16u
#define API_CALL_HDR_KEEP 64u
#define API_CALL_BODY_MIN 4096u
#define API_CALL_BODY_KEEP (8u << 10)
#define API_CALL_IDLE_BUDGET (16u << 20) /* storage idle records may hold, per pool */
#define API_CALL_BOMB_MIN 4096u /* decoded output below this is never called a bomb */

typedef struct api_call_slot api_call_slot_t;
struct api_call_slot {
	api_call_t call; /* first member: a record pointer is a slot pointer */
	api_call_pool_t *pool;
	api_call_slot_t *free_next;
	char *arena;
	size_t arena_len, arena_cap;
	api_header_t *hdr[2];
	uint32_t hdr_cap[2];
	char *body[2];
	size_t body_cap[2];
	char *raw[2];
	size_t raw_cap[2];
	size_t idle_bytes; /* storage held while on the free list */
};

struct api_call_pool {
	api_call_limits_t lim;
	mem_account_t *acct;
	api_call_slot_t *free;
	uint32_t nfree;
	size_t idle_bytes; /* storage held by idle records */
	z_stream z; /* the decoder of encoded bodies, set up on first use */
	int z_bits; /* its window bits; 0 = not set up */
	api_call_pool_counters_t cnt;
};

/* ------------------------------------------------------------------------------------------ */
/* Record queries */

const api_header_t *api_message_header(const api_message_t *m, const char *name, unsigned idx)
{
	size_t n = strlen(name);
	uint32_t i;

	for (i = 0; i < m->nheaders; i++) {
		const api_header_t *h = &m->headers[i];

		if (h->name.len == n && strncasecmp(h->name.ptr, name, n) == 0 && idx-- == 0)
			return h;
	}
	return NULL;
}

static const char *const api_hdr_names[API_HDR__COUNT] = {
	"host",		 "user-agent",	   "referer",	       "x-forwarded-for",
	"content-type",	 "content-length", "content-encoding", "transfer-encoding",
	"content-range", "location",	   "connection",       "upgrade",
};

const char *api_hdr_name(enum api_hdr h)
{
	return h < API_HDR__COUNT ? api_hdr_names[h] : "";
}

/* Lower-cases the ASCII capitals among 8 bytes at once (SWAR); other bytes, including those
 * from 0x80 up, are left as they are. */
static uint64_t api_hdr_lower8(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ull;
	uint64_t h = w & (0x7F * ones); /* below 0x80 per byte: the additions cannot carry */
	uint64_t ge_a = h + (0x80 - 'A') * ones; /* bit 7: the byte is 'A' or more */
	uint64_t gt_z = h + (0x80 - 'Z' - 1) * ones; /* bit 7: the byte is past 'Z' */
	uint64_t upper = ge_a & ~gt_z & ~w & (0x80 * ones);

	return w | (upper >> 2); /* 0x80 >> 2 is the case bit, 0x20 */
}

static uint64_t api_hdr_load8(const char *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return w;
}

static uint64_t api_hdr_load4(const char *p)
{
	uint32_t w;

	memcpy(&w, p, 4);
	return w;
}

/* ASCII case-insensitive comparison of n bytes (4 or more) with a lower-case literal, a word at
 * a time (no locale, unlike strncasecmp; a byte that is not a letter must match exactly). The
 * last word overlaps the one before when n is not a multiple of its size. */
static int api_hdr_eq(const char *name, const char *lit, size_t n)
{
	size_t i;

	if (n < 8)
		return api_hdr_lower8(api_hdr_load4(name)) == api_hdr_load4(lit) &&
		       api_hdr_lower8(api_hdr_load4(name + n - 4)) == api_hdr_load4(lit + n - 4);
	for (i = 0; i + 8 < n; i += 8)
		if (api_hdr_lower8(api_hdr_load8(name + i)) != api_hdr_load8(lit + i))
			return 0;
	return api_hdr_lower8(api_hdr_load8(name + n - 8)) == api_hdr_load8(lit + n - 8);
}

/* Which well-known header a name is, or -1: by length first, so most names cost one compare. */
static int api_hdr_classify(const char *name, size_t n)
{
	int h;

	switch (n) {
	case 4:
		h = API_HDR_HOST;
		break;
	case 7:
		h = (name[0] | 0x20) == 'r' ? API_HDR_REFERER : API_HDR_UPGRADE;
		break;
	case 8:
		h = API_HDR_LOCATION;
		break;
	case 10:
		h = (name[0] | 0x20) == 'u' ? API_HDR_USER_AGENT : API_HDR_CONNECTION;
		break;
	case 12:
		h = API_HDR_CONTENT_TYPE;
		break;
	case 13:
		h = API_HDR_CONTENT_RANGE;
		break;
	case 14:
		h = API_HDR_CONTENT_LENGTH;
		break;
	case 15:
		h = API_HDR_X_FORWARDED_FOR;
		break;
	case 16:
		h = API_HDR_CONTENT_ENCODING;
		break;
	case 17:
		h = API_HDR_TRANSFER_ENCODING;
		break;
	default:
		return -1;
	}
	return api_hdr_eq(name, api_hdr_names[h], n) ? h : -1;
}

double api_call_latency_ms(const api_call_t *c)
{
	if (!c->req.end_us || !c->resp.first_us)
		return -1.0;
	return (double)api_call_latency_us(c) / 1000.0;
}

uint64_t api_call_latency_us(const api_call_t *c)
{
	/* A server may answer before the request body is complete (an early error). */
	if (!c->req.end_us || !c->resp.first_us || c->resp.first_us < c->req.end_us)
		return 0;
	return c->resp.first_us - c->req.end_us;
}

/* ------------------------------------------------------------------------------------------ */
/* Pool */

int api_call_pool_new(api_call_pool_t **out, const api_call_limits_t *lim, mem_account_t *acct)
{
	api_call_pool_t *p = mem_calloc(acct, sizeof(*p));

	*out = NULL;
	if (!p)
		return AW_ENOMEM;
	p->lim = *lim;
	p->acct = acct;
	*out = p;
	return 0;
}

static void api_call_slot_storage_free(api_call_pool_t *p, api_call_slot_t *s)
{
	int d;

	mem_free(p->acct, s->arena, s->arena_cap);
	s->arena = NULL;
	s->arena_cap = 0;
	for (d = 0; d < 2; d++) {
		mem_free(p->acct, s->hdr[d], s->hdr_cap[d] * sizeof(api_header_t));
		mem_free(p->acct, s->body[d], s->body_cap[d]);
		mem_free(p->acct, s->raw[d], s->raw_cap[d]);
		s->hdr[d] = NULL;
		s->body[d] = NULL;
		s->raw[d] = NULL;
		s->hdr_cap[d] = 0;
		s->body_cap[d] = 0;
		s->raw_cap[d] = 0;
	}
}

void api_call_pool_free(api_call_pool_t *p)
{
	api_call_slot_t *s, *n;

	if (!p)
		return;
	for (s = p->free; s; s = n) {
		n = s->free_next;
		api_call_slot_storage_free(p, s);
		mem_free(p->acct, s, sizeof(*s));
	}
	if (p->z_bits)
		inflateEnd(&p->z);
	mem_free(p->acct, p, sizeof(*p));
}

const api_call_pool_counters_t *api_call_pool_counters(const api_call_pool_t *p)
{
	return &p->cnt;
}

const api_call_limits_t *api_call_pool_limits(const api_call_pool_t *p)
{
	return &p->lim;
}

static void api_call_clear(api_call_slot_t *s)
{
	api_call_t *c = &s->call;

	memset(c, 0, sizeof(*c));
	c->port = -1;
	c->req.content_length = -1;
	c->resp.content_length = -1;
	c->req.headers = s->hdr[0];
	c->resp.headers = s->hdr[1];
	c->req.body.ptr = s->body[0];
	c->resp.body.ptr = s->body[1];
	c->req.body_raw.ptr = s->raw[0];
	c->resp.body_raw.ptr = s->raw[1];
	s->arena_len = 0;
}

api_call_t *api_call_get(api_call_pool_t *p)
{
	api_call_slot_t *s = p->free;

	if (s) {
		p->free = s->free_next;
		p->nfree--;
		p->idle_bytes -= s->idle_bytes;
	} else {
		s = mem_calloc(p->acct, sizeof(*s));
		if (!s) {
			p->cnt.alloc_fail++;
			return NULL;
		}
		s->pool = p;
		p->cnt.allocs++;
	}
	s->free_next = NULL;
	api_call_clear(s);
	p->cnt.gets++;
	p->cnt.in_use++;
	return &s->call;
}

/* Bytes of storage a record holds. */
static size_t api_call_slot_bytes(const api_call_slot_t *s)
{
	return s->arena_cap + (s->hdr_cap[0] + s->hdr_cap[1]) * sizeof(api_header_t) +
	       s->body_cap[0] + s->body_cap[1] + s->raw_cap[0] + s->raw_cap[1];
}

/* Gives back what one large call grew: the record keeps only ordinary-sized storage. */
static void api_call_slot_trim(api_call_pool_t *p, api_call_slot_t *s)
{
	int d;

	if (s->arena_cap > API_CALL_ARENA_KEEP) {
		mem_free(p->acct, s->arena, s->arena_cap);
		s->arena = NULL;
		s->arena_cap = 0;
	}
	for (d = 0; d < 2; d++) {
		if (s->hdr_cap[d] > API_CALL_HDR_KEEP) {
			mem_free(p->acct, s->hdr[d], s->hdr_cap[d] * sizeof(api_header_t));
			s->hdr[d] = NULL;
			s->hdr_cap[d] = 0;
		}
		if (s->body_cap[d] > API_CALL_BODY_KEEP) {
			mem_free(p->acct, s->body[d], s->body_cap[d]);
			s->body[d] = NULL;
			s->body_cap[d] = 0;
		}
		if (s->raw_cap[d] > API_CALL_BODY_KEEP) {
			mem_free(p->acct, s->raw[d], s->raw_cap[d]);
			s->raw[d] = NULL;
			s->raw_cap[d] = 0;
		}
	}
}

void api_call_release(api_call_t *c)
{
	api_call_slot_t *s = (api_call_slot_t *)c;
	api_call_pool_t *p;

	if (!c)
		return;
	p = s->pool;
	p->cnt.in_use--;
	if (p->nfree >= p->lim.max_free) {
		api_call_slot_storage_free(p, s);
		mem_free(p->acct, s, sizeof(*s));
		return;
	}
	/* Idle records keep their storage, so that steady traffic allocates nothing, up to a
	 * budget for the whole pool; past it they keep only ordinary-sized storage. */
	if (p->idle_bytes + api_call_slot_bytes(s) > API_CALL_IDLE_BUDGET)
		api_call_slot_trim(p, s);
	s->idle_bytes = api_call_slot_bytes(s);
	p->idle_bytes += s->idle_bytes;
	s->free_next = p->free;
	p->free = s;
	p->nfree++;
}

/* ------------------------------------------------------------------------------------------ */
/* Arena */

static void api_call_rebase_slice(aw_slice_t *sl, uintptr_t old, size_t old_len, char *nbase)
{
	uintptr_t at = (uintptr_t)sl->ptr;

	if (sl->ptr && at >= old && at < old + old_len)
		sl->ptr = nbase + (at - old);
}

/* Moves every slice that pointed into the old arena to the same offset in the new one. */
static void api_call_rebase(api_call_t *c, uintptr_t old, size_t old_len, char *nbase)
{
	aw_slice_t *const fixed[] = {&c->method,
				     &c->url,
				     &c->path,
				     &c->query,
				     &c->host,
				     &c->protocol,
				     &c->status_text,
				     &c->reason,
				     &c->endpoint,
				     &c->principal,
				     &c->req.content_type,
				     &c->req.content_encoding,
				     &c->req.transfer_encoding,
				     &c->resp.content_type,
				     &c->resp.content_encoding,
				     &c->resp.transfer_encoding};
	api_message_t *const msgs[] = {&c->req, &c->resp};
	size_t i;
	uint32_t h;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		api_call_rebase_slice(fixed[i], old, old_len, nbase);
	for (i = 0; i < 2; i++) {
		for (h = 0; h < msgs[i]->nheaders; h++) {
			api_call_rebase_slice(&msgs[i]->headers[h].name, old, old_len, nbase);
			api_call_rebase_slice(&msgs[i]->headers[h].value, old, old_len, nbase);
		}
	}
}

/* Makes room for n more arena bytes. */
static int api_call_arena_reserve(api_call_slot_t *s, size_t n)
{
	api_call_pool_t *p = s->pool;
	size_t want = s->arena_len + n, ncap;
	char *nb;

	if (want <= s->arena_cap)
		return 0;
	if (want > p->lim.max_arena)
		return AW_ELIMIT;
	ncap = s->arena_cap ? s->arena_cap * 2 : API_CALL_ARENA_MIN;
	while (ncap < want)
		ncap *= 2;
	if (ncap > p->lim.max_arena)
		ncap = p->lim.max_arena;
	nb = mem_alloc(p->acct, ncap);
	if (!nb) {
		p->cnt.alloc_fail++;
		return AW_ENOMEM;
	}
	if (s->arena) {
		memcpy(nb, s->arena, s->arena_len);
		api_call_rebase(&s->call, (uintptr_t)s->arena, s->arena_len, nb);
		mem_free(p->acct, s->arena, s->arena_cap);
		p->cnt.arena_grows++;
	}
	s->arena = nb;
	s->arena_cap = ncap;
	return 0;
}

/* Copies n bytes between ranges that do not overlap; up to 32 bytes (header names, most values
 * and start-line parts) with a few loads and stores instead of a call: the two moves of each
 * size class overlap in the middle when n is not the class's size. */
static inline void api_call_move(char *dst, const char *src, size_t n)
{
	uint64_t a, b, e, f;
	uint32_t x, y;

	if (n > 32) {
		memcpy(dst, src, n);
	} else if (n >= 16) {
		memcpy(&a, src, 8);
		memcpy(&b, src + 8, 8);
		memcpy(&e, src + n - 16, 8);
		memcpy(&f, src + n - 8, 8);
		memcpy(dst, &a, 8);
		memcpy(dst + 8, &b, 8);
		memcpy(dst + n - 16, &e, 8);
		memcpy(dst + n - 8, &f, 8);
	} else if (n >= 8) {
		memcpy(&a, src, 8);
		memcpy(&b, src + n - 8, 8);
		memcpy(dst, &a, 8);
		memcpy(dst + n - 8, &b, 8);
	} else if (n >= 4) {
		memcpy(&x, src, 4);
		memcpy(&y, src + n - 4, 4);
		memcpy(dst, &x, 4);
		memcpy(dst + n - 4, &y, 4);
	} else if (n) {
		char c0 = src[0], c1 = src[n / 2], c2 = src[n - 1];

		dst[0] = c0;
		dst[n / 2] = c1;
		dst[n - 1] = c2;
	}
}

int api_call_copy(api_call_t *c, aw_slice_t *dst, const void *src, size_t n)
{
	api_call_slot_t *s = (api_call_slot_t *)c;
	size_t off;
	int rc, inside;

	if (n == 0) {
		dst->ptr = "";
		dst->len = 0;
		return 0;
	}
	if (n <= s->arena_cap - s->arena_len) {
		/* Room already: nothing moves, and a source inside the arena lies before the
		 * copy. */
		api_call_move(s->arena + s->arena_len, src, n);
		dst->ptr = s->arena + s->arena_len;
		dst->len = n;
		s->arena_len += n;
		return 0;
	}
	/* The source may be the arena itself (a string re-copied to be rewritten, such as a
	 * path to decode), which growing it moves. */
	inside = s->arena && (const char *)src >= s->arena &&
		 (const char *)src < s->arena + s->arena_len;
	off = inside ? (size_t)((const char *)src - s->arena) : 0;
	rc = api_call_arena_reserve(s, n);
	if (rc < 0)
		return rc;
	if (inside)
		src = s->arena + off;
	memcpy(s->arena + s->arena_len, src, n);
	dst->ptr = s->arena + s->arena_len;
	dst->len = n;
	s->arena_len += n;
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Headers and bodies */

static int api_call_hdr_reserve(api_call_slot_t *s, int dir)
{
	api_call_pool_t *p = s->pool;
	api_message_t *m = dir ? &s->call.resp : &s->call.req;
	uint32_t ncap;
	api_header_t *nh;

	if (m->nheaders < s->hdr_cap[dir])
		return 0;
	if (m->nheaders >= p->lim.max_headers)
		return AW_ELIMIT;
	ncap = s->hdr_cap[dir] ? s->hdr_cap[dir] * 2 : API_CALL_HDR_MIN;
	if (ncap > p->lim.max_headers)
		ncap = p->lim.max_headers;
	nh = mem_realloc(p->acct, s->hdr[dir], s->hdr_cap[dir] * sizeof(api_header_t),
			 ncap * sizeof(api_header_t));
	if (!nh) {
		p->cnt.alloc_fail++;
		return AW_ENOMEM;
	}
	if (s->hdr_cap[dir])
		p->cnt.arena_grows++;
	s->hdr[dir] = nh;
	s->hdr_cap[dir] = ncap;
	m->headers = nh;
	return 0;
}

int api_call_add_header(api_call_t *c, int dir, const void *name, size_t nlen, const void *value,
			size_t vlen)
{
	api_call_slot_t *s = (api_call_slot_t *)c;
	api_message_t *m = dir ? &c->resp : &c->req;
	api_header_t *h;
	char *w;
	int rc;

	/* The usual record has room already: the reserves are only called to grow (the arena in
	 * one reserve for both strings, so that nothing moves between the two copies). */
	if (m->nheaders >= s->hdr_cap[dir] && (rc = api_call_hdr_reserve(s, dir)) < 0)
		return rc;
	if (s->arena_len + nlen + vlen > s->arena_cap &&
	    (rc = api_call_arena_reserve(s, nlen + vlen)) < 0)
		return rc;
	w = s->arena + s->arena_len;
	h = &m->headers[m->nheaders++];
	api_call_move(w, name, nlen);
	api_call_move(w + nlen, value, vlen);
	h->name.ptr = nlen ? w : "";
	h->name.len = nlen;
	h->value.ptr = vlen ? w + nlen : "";
	h->value.len = vlen;
	s->arena_len += nlen + vlen;
	rc = api_hdr_classify(name, nlen);
	if (rc >= 0) {
		if (m->known[rc])
			m->known_repeated |= (uint16_t)(1u << rc);
		else
			m->known[rc] = (uint16_t)m->nheaders;
	}
	return 0;
}

int api_call_header_append(api_call_t *c, int dir, const void *src, size_t n)
{
	api_call_slot_t *s = (api_call_slot_t *)c;
	api_message_t *m = dir ? &c->resp : &c->req;
	api_header_t *h;
	size_t off, vlen;
	int rc;

	if (m->nheaders == 0)
		return AW_EINVAL;
	if (n == 0)
		return 0;
	h = &m->headers[m->nheaders - 1];
	vlen = h->value.len;
	/* The value is usually the last string of the arena: it simply grows in place. */
	if (vlen && h->value.ptr + vlen == s->arena + s->arena_len) {
		rc = api_call_arena_reserve(s, n);
		if (rc < 0)
			return rc;
		memcpy(s->arena + s->arena_len, src, n);
		s->arena_len += n;
		h->value.len += n;
		return 0;
	}
	rc = api_call_arena_reserve(s, vlen + n);
	if (rc < 0)
		return rc;
	off = s->arena_len;
	if (vlen)
		memcpy(s->arena + off, h->value.ptr, vlen);
	memcpy(s->arena + off + vlen, src, n);
	h->value.ptr = s->arena + off;
	h->value.len = vlen + n;
	s->arena_len += vlen + n;
	return 0;
}

char *api_call_body_reserve(api_call_t *c, int dir, int raw, size_t want, size_t *room)
{
	api_call_slot_t *s = (api_call_slot_t *)c;
	api_call_pool_t *p = s->pool;
	api_message_t *m = dir ? &c->resp : &c->req;
	aw_slice_t *sl = raw ? &m->body_raw : &m->body;
	char **buf = raw ? &s->raw[dir] : &s->body[dir];
	size_t *cap = raw ? &s->raw_cap[dir] : &s->body_cap[dir];
	size_t need, ncap;
	char *nb;

	*room = 0;
	if (sl->len >= p->lim.max_body || want == 0)
		return NULL;
	if (want > p->lim.max_body - sl->len)
		want = p->lim.max_body - sl->len;
	need = sl->len + want;
	if (need > *cap) {
		ncap = *cap ? *cap * 2 : API_CALL_BODY_MIN;
		while (ncap < need)
			ncap *= 2;
		if (ncap > p->lim.max_body)
			ncap = p->lim.max_body;
		nb = mem_realloc(p->acct, *buf, *cap, ncap);
		if (!nb) {
			p->cnt.alloc_fail++;
			return NULL;
		}
		if (*cap)
			p->cnt.arena_grows++;
		*buf = nb;
		*cap = ncap;
		sl->ptr = nb;
	}
	*room = *cap - sl->len;
	return *buf + sl->len;
}

void api_call_body_commit(api_call_t *c, int dir, int raw, size_t n)
{
	api_message_t *m = dir ? &c->resp : &c->req;

	if (raw)
		m->body_raw.len += n;
	else
		m->body.len += n;
}

/* ------------------------------------------------------------------------------------------ */
/* Decoding on demand */

static voidpf api_call_zalloc(voidpf opaque, uInt items, uInt size)
{
	size_t n = (size_t)items * size;
	size_t *h;

	if (items && n / items != size)
		return Z_NULL;
	h = mem_alloc(opaque, n + 2 * sizeof(size_t));
	if (!h)
		return Z_NULL;
	h[0] = n + 2 * sizeof(size_t);
	return h + 2;
}

static void api_call_zfree(voidpf opaque, voidpf ptr)
{
	size_t *h;

	if (!ptr)
		return;
	h = (size_t *)ptr - 2;
	mem_free(opaque, h, h[0]);
}

/* Readies the pool's zlib stream for window_bits (15+32: gzip or zlib; 15: zlib; -15: raw). */
static int api_call_z_ready(api_call_pool_t *p, int window_bits)
{
	if (p->z_bits)
		return inflateReset2(&p->z, window_bits) == Z_OK ? 0 : -1;
	memset(&p->z, 0, sizeof(p->z));
	p->z.zalloc = api_call_zalloc;
	p->z.zfree = api_call_zfree;
	p->z.opaque = p->acct;
	if (inflateInit2(&p->z, window_bits) != Z_OK) {
		p->cnt.alloc_fail++;
		return -1;
	}
	p->z_bits = window_bits;
	return 0;
}

/* zlib-wrapped deflate starts with a CMF/FLG pair whose 16-bit value is a multiple of 31. */
static int api_call_deflate_bits(const aw_slice_t *in)
{
	const unsigned char *b = (const unsigned char *)in->ptr;

	if (in->len >= 2 && (b[0] & 0x0f) == 8 && ((b[0] << 8) | b[1]) % 31 == 0)
		return 15;
	return -15;
}

/* Inflates the encoded copy into the body; 0, or Z_DATA_ERROR-like failure (-1), or 1 when
 * the ratio cap stopped it. */
static int api_call_inflate(api_call_t *c, int dir, int window_bits)
{
	api_call_slot_t *s = (api_call_slot_t *)c;
	api_call_pool_t *p = s->pool;
	api_message_t *m = dir ? &c->resp : &c->req;
	z_stream *z = &p->z;
	int r = Z_OK;

	m->body.len = 0;
	if (api_call_z_ready(p, window_bits) < 0)
		return -1;
	z->next_in = (Bytef *)(uintptr_t)m->body_raw.ptr;
	z->avail_in = (uInt)m->body_raw.len;
	while (z->avail_in && r == Z_OK) {
		size_t room;
		char *w = api_call_body_reserve(c, dir, 0, 16384, &room);

		if (!w || room == 0) {
			c->flags |= dir ? API_CALL_F_RESP_BODY_CUT : API_CALL_F_REQ_BODY_CUT;
			return 0;
		}
		z->next_out = (Bytef *)w;
		z->avail_out = (uInt)room;
		r = inflate(z, Z_NO_FLUSH);
		api_call_body_commit(c, dir, 0, room - z->avail_out);
		if (m->body.len > API_CALL_BOMB_MIN &&
		    m->body.len / (m->body_raw.len - z->avail_in + 1) > p->lim.decompress_ratio)
			return 1;
		if (r == Z_BUF_ERROR && z->avail_out)
			break; /* the kept copy ended (cut at the limit, or a truncated message) */
	}
	return r == Z_OK || r == Z_STREAM_END || r == Z_BUF_ERROR ? 0 : -1;
}

const aw_slice_t *api_call_body(const api_call_t *cc, int dir)
{
	api_call_t *c = (api_call_t *)cc; /* decoding only adds the decoded copy */
	api_call_pool_t *p = ((api_call_slot_t *)c)->pool;
	api_message_t *m = dir ? &c->resp : &c->req;
	int bits, r;

	if (m->body_state != API_BODY_ENCODED)
		return &m->body;
	p->cnt.decodes++;
	bits = m->encoding == API_ENC_GZIP ? 15 + 32 : api_call_deflate_bits(&m->body_raw);
	r = api_call_inflate(c, dir, bits);
	if (r < 0 && m->encoding == API_ENC_DEFLATE)
		r = api_call_inflate(c, dir, bits == 15 ? -15 : 15); /* mislabelled wrapping */
	m->body_state = API_BODY_DECODED;
	if (r > 0) {
		c->flags |= API_CALL_F_BOMB;
		p->cnt.bombs++;
	} else if (r < 0) {
		c->flags |= API_CALL_F_DECOMPRESS_ERR;
		p->cnt.decode_errors++;
	}
	if (m->encoding == API_ENC_DEFLATE && r == 0 &&
	    !(c->flags & (dir ? API_CALL_F_RESP_BODY_CUT : API_CALL_F_REQ_BODY_CUT)))
		m->body_bytes = m->body.len;
	return &m->body;
}

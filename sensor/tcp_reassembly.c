/*
 * tcp_reassembly.c - the reassembly context, its pools, and the buffering and delivery of one
 * direction's bytes.
 *
 * Fed by tcp_session.c, which has already placed a packet in sequence space (base, SYN, FIN,
 * sanity of the sequence number); feeds the sink with in-order data, gaps and end of stream.
 * It does not interpret flags or handshakes, and it never looks at the wall clock: the only time
 * is the packet time carried in tcp_ctx_t.
 *
 * Data at next_seq is handed to the sink straight from the packet. Bytes ahead of a hole are
 * copied into 2 KiB chunks from a slab pool charged to the reassembly account; a segment larger
 * than the room left spans several chunks, and segments that follow each other share chunks, so
 * a lost packet followed by in-order traffic costs about one chunk per 2 KiB held. Chunks are
 * kept sorted and never overlap: a byte is stored once, and the first copy seen wins. A hole
 * becomes a gap when the bytes held behind it pass max_hold_bytes (or their chunks pass twice
 * that in memory, which bounds tiny scattered segments), when it is older than hold_timeout_us,
 * when the receiver acknowledges past it, or when the flow ends.
 *
 * Detecting retransmitted bytes that differ (overlap_diff_data; the first data always wins): bytes
 * still buffered are compared exactly with the held copy. Bytes already delivered are compared
 * with the direction's compare window, a ring of the last stream.compare-window bytes delivered
 * (default 2 KiB, rounded up to whole chunks; 0 turns it off). Its chunks are taken from the
 * chunk pool at the direction's first data, so that the first retransmission of a clean
 * connection is compared too, and every delivery is copied into it: about 7% of throughput on
 * the benchmark capture, where nothing else reads the payload. Windows together hold at most half
 * the memcap, so that they never starve the buffering of out-of-order bytes, which loses data
 * when refused; a direction refused its window goes without it for good
 * (compare_window_unavailable). Delivered bytes older than the window or than the last gap, and
 * those of a direction without a window, count as retransmission or overlap without comparison.
 *
 * Sinks may call tcp_session_stop() from their callbacks; nothing here holds a chunk of the
 * list across a sink call. They must not free the session.
 */
#include "tcp_session_private.h"

#include <string.h>

#include "error.h"

#define TCP_POOL_OBJ_HDR 16u /* back pointer to the slab, padded to keep objects 16-aligned */
#define TCP_POOL_CHUNKS_PER_SLAB 16u
#define TCP_POOL_SESSIONS_PER_SLAB 32u

typedef struct tcp_pool_slab {
	struct tcp_pool_slab *avail_prev, *avail_next;
	struct tcp_pool_slab *all_prev, *all_next;
	void *free; /* free objects of this slab, linked through their first bytes */
	uint32_t used;
	uint32_t nobj;
	size_t bytes;
} tcp_pool_slab_t;

/* A packet's payload, borrowed while its bytes are merged with the buffered ones. */
typedef struct tcp_seg_view {
	uint32_t seq, end;
	const uint8_t *data;
} tcp_seg_view_t;

/* ------------------------------------------------------------------------------------------ */
/* Pools                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static size_t tcp_pool_round16(size_t n)
{
	return (n + 15u) & ~(size_t)15u;
}

static void tcp_pool_init(tcp_pool_t *pool, size_t obj_size, uint32_t per_slab, uint64_t *grows)
{
	memset(pool, 0, sizeof(*pool));
	pool->obj_size = obj_size;
	pool->stride = TCP_POOL_OBJ_HDR + tcp_pool_round16(obj_size);
	pool->per_slab = per_slab;
	pool->grows = grows;
}

static void tcp_pool_avail_link(tcp_pool_t *pool, tcp_pool_slab_t *sl)
{
	sl->avail_prev = NULL;
	sl->avail_next = pool->avail;
	if (pool->avail)
		pool->avail->avail_prev = sl;
	pool->avail = sl;
}

static void tcp_pool_avail_unlink(tcp_pool_t *pool, tcp_pool_slab_t *sl)
{
	if (sl->avail_prev)
		sl->avail_prev->avail_next = sl->avail_next;
	else
		pool->avail = sl->avail_next;
	if (sl->avail_next)
		sl->avail_next->avail_prev = sl->avail_prev;
	sl->avail_prev = sl->avail_next = NULL;
}

/* Slow path: adds one slab of free objects. */
static tcp_pool_slab_t *tcp_pool_grow(tcp_reassembly_t *r, tcp_pool_t *pool)
{
	size_t hdr = tcp_pool_round16(sizeof(tcp_pool_slab_t));
	size_t bytes = hdr + (size_t)pool->per_slab * pool->stride;
	tcp_pool_slab_t *sl = mem_alloc(r->acct, bytes);
	uint8_t *obj;
	uint32_t i;

	if (!sl)
		return NULL;
	memset(sl, 0, sizeof(*sl));
	sl->nobj = pool->per_slab;
	sl->bytes = bytes;
	obj = (uint8_t *)sl + hdr;
	for (i = 0; i < sl->nobj; i++, obj += pool->stride) {
		void *payload = obj + TCP_POOL_OBJ_HDR;

		memcpy(obj, &sl, sizeof(sl));
		memcpy(payload, &sl->free, sizeof(void *));
		sl->free = payload;
	}
	sl->all_next = pool->all;
	if (pool->all)
		pool->all->all_prev = sl;
	pool->all = sl;
	tcp_pool_avail_link(pool, sl);
	pool->empty++;
	(*pool->grows)++;
	return sl;
}

void *tcp_reassembly__pool_get(tcp_reassembly_t *r, tcp_pool_t *pool)
{
	tcp_pool_slab_t *sl = pool->avail;
	void *obj;

	if (!sl) {
		sl = tcp_pool_grow(r, pool);
		if (!sl)
			return NULL;
	}
	obj = sl->free;
	memcpy(&sl->free, obj, sizeof(void *));
	if (sl->used++ == 0)
		pool->empty--;
	if (!sl->free)
		tcp_pool_avail_unlink(pool, sl);
	return obj;
}

static void tcp_pool_slab_free(tcp_reassembly_t *r, tcp_pool_t *pool, tcp_pool_slab_t *sl)
{
	tcp_pool_avail_unlink(pool, sl);
	if (sl->all_prev)
		sl->all_prev->all_next = sl->all_next;
	else
		pool->all = sl->all_next;
	if (sl->all_next)
		sl->all_next->all_prev = sl->all_prev;
	mem_free(r->acct, sl, sl->bytes);
}

/* Returns an object; a slab left wholly free is released unless it is the only spare one, so
 * that usage swinging around a slab boundary does not allocate and free on every packet. */
void tcp_reassembly__pool_put(tcp_reassembly_t *r, tcp_pool_t *pool, void *obj)
{
	tcp_pool_slab_t *sl;

	memcpy(&sl, (uint8_t *)obj - TCP_POOL_OBJ_HDR, sizeof(sl));
	if (!sl->free)
		tcp_pool_avail_link(pool, sl);
	memcpy(obj, &sl->free, sizeof(void *));
	sl->free = obj;
	if (--sl->used > 0)
		return;
	if (pool->empty >= 1)
		tcp_pool_slab_free(r, pool, sl);
	else
		pool->empty++;
}

static void tcp_pool_destroy(tcp_reassembly_t *r, tcp_pool_t *pool)
{
	while (pool->all) {
		tcp_pool_slab_t *sl = pool->all;

		pool->all = sl->all_next;
		mem_free(r->acct, sl, sl->bytes);
	}
	pool->avail = NULL;
	pool->empty = 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Context                                                                                    */
/* ------------------------------------------------------------------------------------------ */

void tcp_config_default(tcp_config_t *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->memcap = 64ull << 20;
	/* In-order data costs no memory, so reassembly has no depth by default: long keep-alive
	 * connections carry API calls until their end. */
	cfg->depth = 0;
	cfg->max_hold_bytes = 1u << 20;
	/* Longer than a typical retransmission timeout, short enough for one-sided captures. */
	cfg->hold_timeout_us = 2000000;
	cfg->midstream = 1;
	/* The last segment or two, which is what is usually resent. */
	cfg->compare_window = TCP_REASSEMBLY_CHUNK_DATA;
}

int tcp_reassembly_new(tcp_reassembly_t **out, const tcp_config_t *cfg, mem_account_t *acct)
{
	tcp_reassembly_t *r;

	if (!out)
		return AW_EINVAL;
	*out = NULL;
	if (!acct)
		return AW_EINVAL;
	r = mem_calloc(acct, sizeof(*r));
	if (!r)
		return AW_ENOMEM;
	if (cfg)
		r->cfg = *cfg;
	else
		tcp_config_default(&r->cfg);
	r->acct = acct;
	r->max_hold_chunks =
		(uint32_t)(((uint64_t)r->cfg.max_hold_bytes * 2u) / TCP_REASSEMBLY_CHUNK_DATA) + 1u;
	if (r->cfg.compare_window > TCP_SESSION_COMPARE_WINDOW_MAX)
		r->cfg.compare_window = TCP_SESSION_COMPARE_WINDOW_MAX;
	r->cmp_chunks = (uint32_t)((r->cfg.compare_window + TCP_REASSEMBLY_CHUNK_DATA - 1u) /
				   TCP_REASSEMBLY_CHUNK_DATA);
	tcp_pool_init(&r->chunks, sizeof(tcp_chunk_t), TCP_POOL_CHUNKS_PER_SLAB,
		      &r->cnt.pool_grows);
	tcp_pool_init(&r->sessions, sizeof(tcp_session_t), TCP_POOL_SESSIONS_PER_SLAB,
		      &r->cnt.session_pool_grows);
	*out = r;
	return 0;
}

/* Frees the context and every pooled object, including those of sessions still out. */
void tcp_reassembly_free(tcp_reassembly_t *r)
{
	mem_account_t *acct;

	if (!r)
		return;
	acct = r->acct;
	tcp_pool_destroy(r, &r->chunks);
	tcp_pool_destroy(r, &r->sessions);
	mem_free(acct, r, sizeof(*r));
}

const tcp_counters_t *tcp_reassembly_counters(const tcp_reassembly_t *r)
{
	return r ? &r->cnt : NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* The compare window: the last bytes delivered                                               */
/* ------------------------------------------------------------------------------------------ */

static void tcp_chunk_put(tcp_reassembly_t *r, tcp_chunk_t *ch)
{
	tcp_reassembly__pool_put(r, &r->chunks, ch);
}

/* Returns the window's chunks to the pool, linked in a ring or, when taking them failed, in a
 * chain. */
static void tcp_cmp_release(tcp_reassembly_t *r, tcp_dir_t *d)
{
	tcp_chunk_t *ch = d->cmp;

	while (ch) {
		tcp_chunk_t *next = ch->next == d->cmp ? NULL : ch->next;

		tcp_chunk_put(r, ch);
		r->cmp_bytes -= r->chunks.stride;
		ch = next;
	}
	d->cmp = NULL;
	d->cmp_cur = NULL;
	d->cmp_pos = 0;
	d->cmp_len = 0;
}

/* At the direction's first data: takes cmp_chunks chunks and links them in a ring, all or none.
 * Windows together hold at most half the memcap, so that they never starve the buffering of
 * out-of-order bytes (which loses data when refused). A direction that cannot have its window
 * goes without for good. */
static void tcp_cmp_start(tcp_reassembly_t *r, tcp_dir_t *d)
{
	uint64_t need = (uint64_t)r->cmp_chunks * r->chunks.stride;
	tcp_chunk_t *last = NULL;
	uint32_t i;

	if (r->cmp_chunks == 0) {
		d->flags |= TCP_SESSION_DIR_F_NOCMP;
		return;
	}
	if (r->acct->cap && r->cmp_bytes + need > r->acct->cap / 2)
		goto unavailable;
	for (i = 0; i < r->cmp_chunks; i++) {
		tcp_chunk_t *ch = tcp_reassembly__pool_get(r, &r->chunks);

		if (!ch) {
			tcp_cmp_release(r, d);
			goto unavailable;
		}
		r->cmp_bytes += r->chunks.stride;
		ch->next = d->cmp;
		d->cmp = ch;
		if (!last)
			last = ch;
	}
	last->next = d->cmp;
	d->cmp_cur = d->cmp;
	d->cmp_pos = 0;
	d->cmp_len = 0;
	return;
unavailable:
	d->flags |= TCP_SESSION_DIR_F_NOCMP;
	r->cnt.compare_window_unavailable++;
}

/* Copies len bytes being delivered at next_seq into the window over its oldest bytes. The
 * window is a ring of cmp_chunks chunks written in turn: the next byte goes at offset cmp_pos
 * (in chunk cmp_cur), and the cmp_len bytes before it, wrapping around, are the last ones
 * delivered. Offsets are relative to the ring, not to sequence numbers, so wrap-around of the
 * sequence space needs no care. */
static void tcp_cmp_record(const tcp_reassembly_t *r, tcp_dir_t *d, const uint8_t *data,
			   uint32_t len)
{
	const uint32_t size = r->cmp_chunks * TCP_REASSEMBLY_CHUNK_DATA;

	if (len > size) {
		data += len - size;
		len = size;
	}
	d->cmp_len = len >= size - d->cmp_len ? size : d->cmp_len + len;
	while (len > 0) {
		uint32_t at = d->cmp_pos & (TCP_REASSEMBLY_CHUNK_DATA - 1u);
		uint32_t k = TCP_REASSEMBLY_CHUNK_DATA - at;

		if (k > len)
			k = len;
		memcpy(d->cmp_cur->data + at, data, k);
		data += k;
		len -= k;
		d->cmp_pos += k;
		if (at + k == TCP_REASSEMBLY_CHUNK_DATA) {
			d->cmp_cur = d->cmp_cur->next;
			if (d->cmp_pos == size)
				d->cmp_pos = 0;
		}
	}
}

/* Compares bytes [seq, seq + len), all before next_seq, with the window where it still holds
 * them. Returns 1 when some byte differs. */
static int tcp_cmp_differs(const tcp_reassembly_t *r, const tcp_dir_t *d, uint32_t seq,
			   const uint8_t *data, uint32_t len)
{
	const uint32_t size = r->cmp_chunks * TCP_REASSEMBLY_CHUNK_DATA;
	uint32_t back = d->next_seq - seq; /* distance from the newest byte, at least len */
	const tcp_chunk_t *ch = d->cmp;
	uint32_t pos, i;

	if (back > d->cmp_len) {
		uint32_t skip = back - d->cmp_len;

		if (skip >= len)
			return 0;
		data += skip;
		len -= skip;
		back = d->cmp_len;
	}
	pos = d->cmp_pos >= back ? d->cmp_pos - back : d->cmp_pos + size - back;
	for (i = pos / TCP_REASSEMBLY_CHUNK_DATA; i > 0; i--)
		ch = ch->next;
	while (len > 0) {
		uint32_t at = pos & (TCP_REASSEMBLY_CHUNK_DATA - 1u);
		uint32_t k = TCP_REASSEMBLY_CHUNK_DATA - at;

		if (k > len)
			k = len;
		if (memcmp(ch->data + at, data, k) != 0)
			return 1;
		data += k;
		len -= k;
		pos += k;
		ch = ch->next;
	}
	return 0;
}

/* Keeps the bytes being delivered in the window, taking the window at the first data. */
static void tcp_cmp_keep(tcp_reassembly_t *r, tcp_dir_t *d, const uint8_t *data, uint32_t len)
{
	if (!d->cmp) {
		if (d->flags & TCP_SESSION_DIR_F_NOCMP)
			return;
		tcp_cmp_start(r, d);
		if (!d->cmp)
			return;
	}
	tcp_cmp_record(r, d, data, len);
}

/* ------------------------------------------------------------------------------------------ */
/* Handing bytes on                                                                           */
/* ------------------------------------------------------------------------------------------ */

void tcp_reassembly__release(tcp_reassembly_t *r, tcp_dir_t *d)
{
	while (d->head) {
		tcp_chunk_t *ch = d->head;

		d->head = ch->next;
		tcp_chunk_put(r, ch);
	}
	d->tail = NULL;
	d->held_bytes = 0;
	d->held_chunks = 0;
	tcp_cmp_release(r, d);
}

/* Room left under the depth limit. */
static uint64_t tcp_dir_room(const tcp_reassembly_t *r, const tcp_dir_t *d)
{
	if (r->cfg.depth == 0)
		return UINT64_MAX;
	return d->stream_off >= r->cfg.depth ? 0 : r->cfg.depth - d->stream_off;
}

static void tcp_dir_depth_check(tcp_ctx_t *c, tcp_dir_t *d)
{
	if (c->r->cfg.depth == 0 || d->stream_off < c->r->cfg.depth ||
	    (d->flags & TCP_SESSION_DIR_F_MUTE))
		return;
	d->flags |= TCP_SESSION_DIR_F_DEPTH;
	c->r->cnt.stream_depth_reached++;
	tcp_reassembly__release(c->r, d);
}

/* Hands len bytes sitting at next_seq to the sink (up to the depth) and moves past them. */
static void tcp_dir_emit_data(tcp_ctx_t *c, int dir, const uint8_t *data, uint32_t len)
{
	tcp_dir_t *d = &c->s->dir[dir];
	uint64_t room;

	d->next_seq += len;
	if (d->flags & TCP_SESSION_DIR_F_MUTE)
		return;
	room = tcp_dir_room(c->r, d);
	if (len > room)
		len = (uint32_t)room;
	if (len)
		tcp_cmp_keep(c->r, d, data, len);
	d->stream_off += len;
	d->delivered += len;
	c->r->cnt.bytes_delivered += len;
	if (len && c->sink->on_data)
		c->sink->on_data(c->ud, dir, data, len);
	tcp_dir_depth_check(c, d);
}

/* Declares the len bytes at next_seq missing and moves past them. */
static void tcp_dir_emit_gap(tcp_ctx_t *c, int dir, uint32_t len)
{
	tcp_dir_t *d = &c->s->dir[dir];
	uint64_t room, n = len;

	d->next_seq += len;
	d->cmp_len = 0; /* the window's bytes no longer end at next_seq */
	if ((d->flags & TCP_SESSION_DIR_F_MUTE) || len == 0)
		return;
	room = tcp_dir_room(c->r, d);
	if (n > room)
		n = room;
	d->stream_off += n;
	d->gaps++;
	d->gap_bytes += n;
	c->r->cnt.reassembly_gap++;
	c->r->cnt.gap_bytes += n;
	if (c->sink->on_gap)
		c->sink->on_gap(c->ud, dir, n);
	tcp_dir_depth_check(c, d);
}

void tcp_reassembly__close(tcp_ctx_t *c, int dir)
{
	tcp_dir_t *d = &c->s->dir[dir];

	if (d->flags & TCP_SESSION_DIR_F_CLOSED)
		return;
	d->flags |= TCP_SESSION_DIR_F_CLOSED;
	tcp_reassembly__release(c->r, d);
	if (c->sink->on_close)
		c->sink->on_close(c->ud, dir);
}

void tcp_reassembly__check_close(tcp_ctx_t *c, int dir)
{
	tcp_dir_t *d = &c->s->dir[dir];

	if ((d->flags & (TCP_SESSION_DIR_F_FIN | TCP_SESSION_DIR_F_CLOSED)) !=
	    TCP_SESSION_DIR_F_FIN)
		return;
	if (tcp_seq_ge(d->next_seq, d->fin_seq) || (d->flags & TCP_SESSION_DIR_F_MUTE))
		tcp_reassembly__close(c, dir);
}

/* Where delivery must stop: the FIN, or (without one) as far as a sane stream may go. */
static uint32_t tcp_dir_stop_seq(const tcp_dir_t *d)
{
	if (d->flags & TCP_SESSION_DIR_F_FIN)
		return d->fin_seq;
	return d->next_seq + TCP_SESSION_SEQ_SANE;
}

/* Delivers the head chunk, which starts at or before next_seq. Where the packet also carries
 * those bytes, the buffered copy wins and the packet's copy is compared with it. */
static void tcp_dir_drain_chunk(tcp_ctx_t *c, int dir, const tcp_seg_view_t *pkt)
{
	tcp_dir_t *d = &c->s->dir[dir];
	tcp_chunk_t *h = d->head;
	uint32_t off = d->next_seq - h->seq;
	uint32_t stop = tcp_dir_stop_seq(d);
	uint32_t n;

	d->head = h->next;
	if (!d->head)
		d->tail = NULL;
	d->held_bytes -= h->len;
	d->held_chunks--;
	if (off < h->len) {
		n = h->len - off;
		if (n > stop - d->next_seq)
			n = stop - d->next_seq;
		if (pkt && tcp_seq_lt(pkt->seq, d->next_seq + n) &&
		    tcp_seq_gt(pkt->end, d->next_seq)) {
			uint32_t lo = tcp_seq_gt(pkt->seq, d->next_seq) ? pkt->seq : d->next_seq;
			uint32_t hi =
				tcp_seq_lt(pkt->end, d->next_seq + n) ? pkt->end : d->next_seq + n;

			c->seg |= TCP_SESSION_SEG_OVERLAP;
			if (memcmp(pkt->data + (lo - pkt->seq), h->data + (lo - h->seq), hi - lo))
				c->seg |= TCP_SESSION_SEG_DIFF;
		}
		tcp_dir_emit_data(c, dir, h->data + off, n);
	}
	tcp_chunk_put(c->r, h);
}

/* Delivers everything in order: buffered chunks at next_seq and, when pkt is given, the
 * packet's own bytes at next_seq (borrowed, no copy). Stops at a hole or at the FIN. */
static void tcp_dir_drain(tcp_ctx_t *c, int dir, const tcp_seg_view_t *pkt)
{
	tcp_dir_t *d = &c->s->dir[dir];

	for (;;) {
		tcp_chunk_t *h = d->head;
		uint32_t stop = tcp_dir_stop_seq(d);
		uint32_t n;

		if (!tcp_seq_lt(d->next_seq, stop))
			break;
		if (h && tcp_seq_le(h->seq, d->next_seq)) {
			tcp_dir_drain_chunk(c, dir, pkt);
			continue;
		}
		if (!pkt || tcp_seq_gt(pkt->seq, d->next_seq) || !tcp_seq_lt(d->next_seq, pkt->end))
			break;
		n = pkt->end - d->next_seq;
		if (h && tcp_seq_lt(h->seq, pkt->end))
			n = h->seq - d->next_seq;
		if (n > stop - d->next_seq)
			n = stop - d->next_seq;
		c->fresh += n;
		tcp_dir_emit_data(c, dir, pkt->data + (d->next_seq - pkt->seq), n);
	}
}

/* Declares [next_seq, upto) a gap (nothing if upto is not ahead), then delivers what follows. */
static void tcp_dir_gap_to(tcp_ctx_t *c, int dir, uint32_t upto)
{
	tcp_dir_t *d = &c->s->dir[dir];

	if ((d->flags & TCP_SESSION_DIR_F_FIN) && tcp_seq_gt(upto, d->fin_seq))
		upto = d->fin_seq;
	if (tcp_seq_gt(upto, d->next_seq))
		tcp_dir_emit_gap(c, dir, upto - d->next_seq);
	tcp_dir_drain(c, dir, NULL);
	tcp_reassembly__check_close(c, dir);
}

/* ------------------------------------------------------------------------------------------ */
/* Buffering out-of-order bytes                                                               */
/* ------------------------------------------------------------------------------------------ */

static uint32_t tcp_chunk_end(const tcp_chunk_t *ch)
{
	return ch->seq + ch->len;
}

/* Takes a chunk for bytes at pos and links it after *prev, before next. Its time is that of the
 * hole before it, which is at least as old as the one before next. */
static tcp_chunk_t *tcp_dir_chunk_new(tcp_ctx_t *c, tcp_dir_t *d, tcp_chunk_t *prev,
				      tcp_chunk_t *next, uint32_t pos)
{
	tcp_chunk_t *ch = tcp_reassembly__pool_get(c->r, &c->r->chunks);

	if (!ch)
		return NULL;
	c->r->cnt.chunks_from_pool++;
	ch->seq = pos;
	ch->len = 0;
	ch->ts_us = next && next->ts_us < c->now ? next->ts_us : c->now;
	ch->next = next;
	if (prev)
		prev->next = ch;
	else
		d->head = ch;
	if (!next)
		d->tail = ch;
	d->held_chunks++;
	return ch;
}

/* Copies n bytes at pos into free sequence space between prev and next, filling prev's spare
 * room first. Returns -1 when a chunk cannot be had (the rest is dropped). */
static int tcp_dir_fill(tcp_ctx_t *c, tcp_dir_t *d, tcp_chunk_t **prev, tcp_chunk_t *next,
			uint32_t pos, const uint8_t *data, uint32_t n)
{
	while (n > 0) {
		tcp_chunk_t *p = *prev;
		uint32_t k;

		if (!p || tcp_chunk_end(p) != pos || p->len == TCP_REASSEMBLY_CHUNK_DATA) {
			p = tcp_dir_chunk_new(c, d, p, next, pos);
			if (!p)
				return -1;
			*prev = p;
		}
		k = TCP_REASSEMBLY_CHUNK_DATA - p->len;
		if (k > n)
			k = n;
		memcpy(p->data + p->len, data, k);
		p->len += k;
		d->held_bytes += k;
		c->fresh += k;
		pos += k;
		data += k;
		n -= k;
	}
	return 0;
}

/* Compares bytes at pos that a buffered chunk already holds. */
static void tcp_dir_overlap(tcp_ctx_t *c, const tcp_chunk_t *ch, uint32_t pos, const uint8_t *data,
			    uint32_t n)
{
	c->seg |= TCP_SESSION_SEG_OVERLAP;
	if (memcmp(ch->data + (pos - ch->seq), data, n) != 0)
		c->seg |= TCP_SESSION_SEG_DIFF;
}

/* Stores [seq, end) where nothing is held yet; held bytes win and are compared. */
static void tcp_dir_insert(tcp_ctx_t *c, tcp_dir_t *d, uint32_t seq, const uint8_t *data,
			   uint32_t end)
{
	tcp_chunk_t *prev = NULL, *cur = d->head;
	uint32_t pos = seq;

	/* Segments following the last one held (the usual case after a loss) go to the tail. */
	if (d->tail && tcp_seq_ge(seq, tcp_chunk_end(d->tail))) {
		prev = d->tail;
		cur = NULL;
	}
	while (tcp_seq_lt(pos, end)) {
		uint32_t lim;

		while (cur && tcp_seq_le(tcp_chunk_end(cur), pos)) {
			prev = cur;
			cur = cur->next;
		}
		if (cur && tcp_seq_le(cur->seq, pos)) {
			lim = tcp_seq_lt(end, tcp_chunk_end(cur)) ? end : tcp_chunk_end(cur);
			tcp_dir_overlap(c, cur, pos, data + (pos - seq), lim - pos);
			pos = lim;
			continue;
		}
		lim = cur && tcp_seq_lt(cur->seq, end) ? cur->seq : end;
		if (tcp_dir_fill(c, d, &prev, cur, pos, data + (pos - seq), lim - pos) < 0) {
			c->seg |= TCP_SESSION_SEG_MEMCAP;
			return;
		}
		pos = lim;
	}
}

/* Too much held behind the first hole: the hole becomes a gap, and so on while it is. */
static void tcp_dir_hold_check(tcp_ctx_t *c, int dir)
{
	tcp_dir_t *d = &c->s->dir[dir];

	while (d->head && !(d->flags & TCP_SESSION_DIR_F_MUTE) &&
	       (d->held_bytes > c->r->cfg.max_hold_bytes ||
		d->held_chunks > c->r->max_hold_chunks)) {
		c->r->cnt.hold_flushes++;
		tcp_dir_gap_to(c, dir, d->head->seq);
	}
}

/* A segment starting ahead of next_seq: buffer what falls before the FIN and the depth. */
static void tcp_dir_out_of_order(tcp_ctx_t *c, int dir, uint32_t seq, const uint8_t *data,
				 uint32_t end)
{
	tcp_dir_t *d = &c->s->dir[dir];
	uint64_t room = tcp_dir_room(c->r, d);

	c->seg |= TCP_SESSION_SEG_OOO;
	if (room < TCP_SESSION_SEQ_SANE * 2ull) {
		uint32_t max_end = d->next_seq + (uint32_t)room;

		if (!tcp_seq_lt(seq, max_end))
			return;
		if (tcp_seq_gt(end, max_end))
			end = max_end;
	}
	tcp_dir_insert(c, d, seq, data, end);
	if (c->fresh == 0 && !(c->seg & TCP_SESSION_SEG_MEMCAP))
		c->seg |= TCP_SESSION_SEG_RETRANS;
	tcp_dir_hold_check(c, dir);
}

/* Bytes before next_seq: only compared, never delivered again. */
static void tcp_dir_old(tcp_ctx_t *c, const tcp_dir_t *d, uint32_t seq, const uint8_t *data,
			uint32_t len)
{
	if (d->cmp && tcp_cmp_differs(c->r, d, seq, data, len))
		c->seg |= TCP_SESSION_SEG_DIFF;
}

void tcp_reassembly__segment(tcp_ctx_t *c, int dir, uint32_t seq, const uint8_t *data, uint32_t len)
{
	tcp_dir_t *d = &c->s->dir[dir];
	uint32_t end = seq + len;
	tcp_seg_view_t pkt;

	/* The common case: the next bytes, nothing held, no FIN to stop at. */
	if (seq == d->next_seq && !d->head && !(d->flags & TCP_SESSION_DIR_F_FIN)) {
		c->fresh += len;
		tcp_dir_emit_data(c, dir, data, len);
		return;
	}
	if ((d->flags & TCP_SESSION_DIR_F_FIN) && tcp_seq_gt(end, d->fin_seq))
		end = d->fin_seq; /* bytes past the FIN are not part of the stream */
	if (!tcp_seq_lt(seq, end))
		return;
	if (tcp_seq_le(end, d->next_seq)) {
		c->seg |= TCP_SESSION_SEG_RETRANS;
		tcp_dir_old(c, d, seq, data, end - seq);
		return;
	}
	if (tcp_seq_gt(seq, d->next_seq)) {
		tcp_dir_out_of_order(c, dir, seq, data, end);
		return;
	}
	if (seq != d->next_seq) {
		c->seg |= TCP_SESSION_SEG_OVERLAP;
		tcp_dir_old(c, d, seq, data, d->next_seq - seq);
	}
	pkt.seq = seq;
	pkt.end = end;
	pkt.data = data;
	tcp_dir_drain(c, dir, &pkt);
	if (c->fresh == 0)
		c->seg |= TCP_SESSION_SEG_RETRANS;
	tcp_reassembly__check_close(c, dir);
}

/* ------------------------------------------------------------------------------------------ */
/* Turning holes into gaps                                                                    */
/* ------------------------------------------------------------------------------------------ */

void tcp_reassembly__ack_gap(tcp_ctx_t *c, int dir, uint32_t ack)
{
	tcp_dir_t *d = &c->s->dir[dir];
	uint32_t rel = ack - d->next_seq;

	if ((d->flags & TCP_SESSION_DIR_F_MUTE) || !(d->flags & TCP_SESSION_DIR_F_BASE))
		return;
	if (!tcp_seq_gt(ack, d->next_seq) || rel > TCP_SESSION_SEQ_SANE)
		return;
	if ((d->flags & TCP_SESSION_DIR_F_FIN) && tcp_seq_gt(ack, d->fin_seq))
		ack = d->fin_seq;
	while (tcp_seq_lt(d->next_seq, ack) && !(d->flags & TCP_SESSION_DIR_F_MUTE)) {
		uint32_t before = d->next_seq;
		uint32_t upto = ack;

		if (d->head && tcp_seq_lt(d->head->seq, ack))
			upto = d->head->seq;
		tcp_dir_gap_to(c, dir, upto);
		if (d->next_seq == before)
			break;
	}
	tcp_reassembly__check_close(c, dir);
}

void tcp_reassembly__hold_timeout(tcp_ctx_t *c, int dir)
{
	tcp_dir_t *d = &c->s->dir[dir];

	while (!(d->flags & TCP_SESSION_DIR_F_MUTE)) {
		uint32_t before = d->next_seq;
		uint64_t since;
		uint32_t target;

		if (d->head) {
			since = d->head->ts_us;
			target = d->head->seq;
		} else if (d->flags & TCP_SESSION_DIR_F_FIN) {
			since = d->fin_ts_us;
			target = d->fin_seq;
		} else {
			break;
		}
		if (c->now < since || c->now - since < c->r->cfg.hold_timeout_us)
			break;
		c->r->cnt.hold_flushes++;
		tcp_dir_gap_to(c, dir, target);
		if (d->next_seq == before)
			break;
	}
}

void tcp_reassembly__flush(tcp_ctx_t *c, int dir)
{
	tcp_dir_t *d = &c->s->dir[dir];

	while (d->head && !(d->flags & TCP_SESSION_DIR_F_MUTE)) {
		uint32_t before = d->next_seq;

		tcp_dir_gap_to(c, dir, d->head->seq);
		if (d->next_seq == before)
			break;
	}
	if ((d->flags & TCP_SESSION_DIR_F_FIN) && !(d->flags & TCP_SESSION_DIR_F_MUTE))
		tcp_dir_gap_to(c, dir, d->fin_seq);
}

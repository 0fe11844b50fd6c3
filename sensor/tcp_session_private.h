/*
 * tcp_session_private.h - layouts shared by tcp_session.c (state tracking) and tcp_reassembly.c
 * (pools, segment buffering, delivery). Nothing outside those two files includes this header.
 *
 * Sequence numbers are compared with serial-number arithmetic (RFC 1982) everywhere, so that a
 * stream crossing 2^32 behaves like any other.
 */
#ifndef APIWATCH_TCP_SESSION_PRIVATE_H
#define APIWATCH_TCP_SESSION_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include "mem.h"
#include "packet.h"
#include "tcp_session.h"

/* Bytes of payload in one pooled chunk; the compare window is made of whole chunks. Power of 2. */
#define TCP_REASSEMBLY_CHUNK_DATA 2048u

/* Sequence numbers further than this from where a direction stands are insane (ignored). */
#define TCP_SESSION_SEQ_SANE (1u << 30)

/* tcp_dir_t.flags */
#define TCP_SESSION_DIR_F_BASE 0x0001 /* next_seq is known */
#define TCP_SESSION_DIR_F_SYN 0x0002 /* a SYN was seen; isn is its sequence number */
#define TCP_SESSION_DIR_F_FIN 0x0004 /* a FIN was seen; fin_seq is where it sits */
#define TCP_SESSION_DIR_F_FIN_ACKED 0x0008 /* the other side acknowledged the FIN */
#define TCP_SESSION_DIR_F_CLOSED 0x0010 /* on_close was sent: nothing more is delivered */
#define TCP_SESSION_DIR_F_STOPPED 0x0020 /* tcp_session_stop(): the dissector is done */
#define TCP_SESSION_DIR_F_DEPTH 0x0040 /* the depth limit was reached */
#define TCP_SESSION_DIR_F_ACK 0x0080 /* this side acknowledged; last_ack is its highest ACK */
#define TCP_SESSION_DIR_F_SYN_TS 0x0100 /* its SYNs carried timestamps: syn_ts_lo..syn_ts_hi */
#define TCP_SESSION_DIR_F_NOCMP 0x0200 /* goes without a compare window (off, or memcap) */

/* Directions in any of these states deliver nothing. */
#define TCP_SESSION_DIR_F_MUTE \
	(TCP_SESSION_DIR_F_CLOSED | TCP_SESSION_DIR_F_STOPPED | TCP_SESSION_DIR_F_DEPTH)

/* tcp_session_t.flags */
#define TCP_SESSION_F_SYN 0x01 /* a SYN without ACK was seen */
#define TCP_SESSION_F_SYNACK 0x02 /* a SYN/ACK was seen */
#define TCP_SESSION_F_ESTABLISHED 0x04 /* the ACK after the SYN/ACK was seen */
#define TCP_SESSION_F_MIDSTREAM 0x08 /* picked up without a handshake */
#define TCP_SESSION_F_RST 0x10 /* an acceptable RST was seen (tcp_session.c says which are) */

/* tcp_ctx_t.seg: what happened to the payload of the packet being processed. */
#define TCP_SESSION_SEG_OOO 0x01 /* arrived ahead of a hole */
#define TCP_SESSION_SEG_OVERLAP 0x02 /* some bytes had been seen already */
#define TCP_SESSION_SEG_DIFF 0x04 /* ... and some of those differed */
#define TCP_SESSION_SEG_RETRANS 0x08 /* every byte had been seen already */
#define TCP_SESSION_SEG_MEMCAP 0x10 /* some bytes could not be buffered */

/* One pooled chunk of buffered out-of-order bytes: [seq, seq + len) of one direction. */
typedef struct tcp_chunk {
	struct tcp_chunk *next; /* next chunk of the direction, in sequence order */
	uint64_t ts_us; /* packet time at which the hole before this chunk was first seen */
	uint32_t seq;
	uint32_t len;
	uint8_t data[TCP_REASSEMBLY_CHUNK_DATA];
} tcp_chunk_t;

/* A pool of fixed-size objects carved from slabs; wholly free slabs beyond one are released. */
typedef struct tcp_pool {
	struct tcp_pool_slab *avail; /* slabs with at least one free object */
	struct tcp_pool_slab *all; /* every slab, for tcp_reassembly_free() */
	size_t obj_size; /* bytes the caller asked for */
	size_t stride; /* bytes per object in a slab, back pointer included */
	uint32_t per_slab;
	uint32_t empty; /* slabs with no object in use */
	uint64_t *grows; /* counter bumped when a slab is added */
} tcp_pool_t;

/* One direction of a session: the sender's byte stream as the receiver should see it. */
typedef struct tcp_dir {
	tcp_chunk_t *head, *tail; /* buffered bytes beyond next_seq, sorted, never overlapping */
	tcp_chunk_t *cmp; /* compare window: ring of chunks of the last bytes delivered */
	tcp_chunk_t *cmp_cur; /* its chunk that the next delivered byte goes to */
	uint64_t stream_off; /* bytes handed on as data or gaps (what depth counts) */
	uint64_t delivered; /* bytes handed on as data */
	uint64_t gap_bytes;
	uint64_t fin_ts_us; /* packet time the FIN was seen */
	uint32_t isn;
	uint32_t next_seq; /* first byte not yet handed on */
	uint32_t max_seq; /* highest sequence number sent so far, plus one */
	uint32_t fin_seq; /* sequence number the FIN occupies */
	uint32_t last_ack; /* highest ACK number this side sent (TCP_SESSION_DIR_F_ACK) */
	uint32_t syn_ts_lo, syn_ts_hi; /* lowest and highest TSval of this side's SYNs */
	uint32_t held_bytes;
	uint32_t held_chunks;
	uint32_t gaps;
	uint32_t cmp_pos; /* offset in the window of the next delivered byte */
	uint32_t cmp_len; /* valid bytes in the window, ending just before next_seq */
	uint16_t flags; /* TCP_SESSION_DIR_F_* */
	uint8_t tcp_flags; /* PACKET_TCP_* seen from this side */
} tcp_dir_t;

struct tcp_session {
	tcp_dir_t dir[2];
	uint8_t flags; /* TCP_SESSION_F_* */
	uint8_t fin_first; /* direction that sent the first FIN; 2 while none did */
	uint8_t synack_dir; /* direction that sent the SYN/ACK */
};

struct tcp_reassembly {
	tcp_config_t cfg;
	mem_account_t *acct;
	tcp_counters_t cnt;
	tcp_pool_t chunks;
	tcp_pool_t sessions;
	uint32_t max_hold_chunks; /* chunks a direction may hold before its first hole is a gap */
	uint32_t cmp_chunks; /* chunks in a compare window; 0 = no window */
	uint64_t cmp_bytes; /* pool bytes held by compare windows (object strides) */
};

/* What every step of processing one packet needs. */
typedef struct tcp_ctx {
	tcp_reassembly_t *r;
	tcp_session_t *s;
	const tcp_sink_t *sink;
	void *ud;
	uint64_t now; /* packet time */
	uint32_t fresh; /* bytes of the current packet that were new (delivered or buffered) */
	uint8_t seg; /* TCP_SESSION_SEG_* */
} tcp_ctx_t;

static inline int tcp_seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline int tcp_seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

static inline int tcp_seq_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

static inline int tcp_seq_ge(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}

/* Pools (tcp_reassembly.c). get returns NULL when the memory cap or the system refuses. */
void *tcp_reassembly__pool_get(tcp_reassembly_t *r, tcp_pool_t *pool);
void tcp_reassembly__pool_put(tcp_reassembly_t *r, tcp_pool_t *pool, void *obj);

/* Payload [seq, seq + len) of a direction that delivers and whose base is known. */
void tcp_reassembly__segment(tcp_ctx_t *c, int dir, uint32_t seq, const uint8_t *data,
			     uint32_t len);

/* The other side acknowledged bytes up to ack: whatever of them was never seen is a gap. */
void tcp_reassembly__ack_gap(tcp_ctx_t *c, int dir, uint32_t ack);

/* Turns the first hole into a gap while it is older than the hold timeout. */
void tcp_reassembly__hold_timeout(tcp_ctx_t *c, int dir);

/* Delivers everything buffered, holes as gaps, up to the FIN when one was seen. */
void tcp_reassembly__flush(tcp_ctx_t *c, int dir);

/* Sends on_close once the FIN is reached (or at once if the direction no longer delivers). */
void tcp_reassembly__check_close(tcp_ctx_t *c, int dir);

/* Sends on_close if not sent yet and releases the direction's buffers. */
void tcp_reassembly__close(tcp_ctx_t *c, int dir);

/* Returns the direction's chunks and window to the pool. */
void tcp_reassembly__release(tcp_reassembly_t *r, tcp_dir_t *d);

#endif

/*
 * tcp_session.h - TCP state tracking and reassembly of each connection into two ordered byte
 * streams.
 *
 * Fed by the flow layer with each decoded TCP packet of a flow and its direction; feeds a sink
 * (the pipeline, which hands the bytes to the flow's dissector) with, per direction, in-order
 * data, gaps (bytes that were never seen, with their length) and end of stream.
 *
 * In-order data is handed on straight from the packet, without a copy. Out-of-order segments
 * are copied into pooled chunks charged to the reassembly memory account, and handed on once the
 * hole before them fills, or declared a gap when the hole outlives the flush policy (bytes held
 * or packet time), so a connection that never closes still delivers its data. Retransmissions
 * are deduplicated: the first data wins, and retransmitted bytes that differ from what was
 * already seen (still buffered, or among the last compare_window bytes delivered) are counted as
 * an anomaly. Depth limits stop reassembly of a direction (counted); the memory cap makes a
 * direction skip what it cannot buffer (reported as a gap, counted).
 *
 * Direction: 0 is client to server ("toserver"), 1 is server to client ("toclient"); the flow
 * layer decides which side is the client. Sessions come from a pool: no malloc per packet.
 */
#ifndef APIWATCH_TCP_SESSION_H
#define APIWATCH_TCP_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "mem.h"
#include "packet.h"

#define TCP_SESSION_TOSERVER 0
#define TCP_SESSION_TOCLIENT 1

/* Largest compare window a direction may keep (tcp_config_t.compare_window). */
#define TCP_SESSION_COMPARE_WINDOW_MAX (1u << 20)

/* Where reassembled bytes go. Bytes are borrowed for the duration of the call only. Each
 * direction ends with exactly one on_close, after all its data and gaps (also after
 * tcp_session_stop() or the depth limit). A callback may call tcp_session_stop(); it must not
 * free the session or feed it packets. */
typedef struct tcp_sink {
	void (*on_data)(void *ud, int dir, const uint8_t *data, size_t len);
	void (*on_gap)(void *ud, int dir, uint64_t len);
	void (*on_close)(void *ud, int dir);
} tcp_sink_t;

typedef struct tcp_config {
	uint64_t memcap; /* reassembly memory of a pipeline: buffered data and sessions */
	uint64_t depth; /* per direction; 0 = unlimited */
	uint32_t max_hold_bytes; /* out-of-order bytes held behind a hole before it is a gap */
	uint64_t hold_timeout_us; /* packet time a hole may stay open before it is a gap */
	int midstream; /* pick up connections whose handshake was not seen */
	/* Delivered bytes kept per direction to compare retransmissions with (rounded up to
	 * whole chunks, at most TCP_SESSION_COMPARE_WINDOW_MAX); 0 = off. */
	uint64_t compare_window;
} tcp_config_t;

/* Counters, written under stats.tcp / stats.stream with Suricata's names where it has them. */
typedef struct tcp_counters {
	uint64_t sessions; /* sessions created */
	uint64_t syn, synack, rst; /* packets with those flags */
	uint64_t midstream_pickups; /* sessions picked up without a handshake */
	uint64_t midstream_ignored; /* packets of sessions without handshake, midstream off */
	uint64_t reassembly_gap; /* gaps declared */
	uint64_t gap_bytes; /* bytes never seen, over all gaps */
	uint64_t retransmission; /* segments entirely made of already-seen bytes */
	uint64_t overlap; /* segments that overlapped already-seen bytes */
	uint64_t overlap_diff_data; /* ... and whose overlapping bytes differed */
	uint64_t out_of_order; /* segments that arrived ahead of a hole */
	uint64_t stream_depth_reached; /* directions that reached the depth limit */
	uint64_t segment_memcap_drop; /* segments not buffered because of the memory cap */
	uint64_t hold_flushes; /* holes turned into gaps by the flush policy */
	uint64_t pkt_invalid; /* packets impossible where they arrive (sequence, state), ignored */
	uint64_t session_reuse; /* a new SYN reused the 4-tuple of a closed session */
	uint64_t bytes_delivered; /* bytes handed to sinks */
	uint64_t chunks_from_pool; /* buffered segment chunks taken from the pool */
	uint64_t pool_grows; /* slow path: the chunk pool grew */
	uint64_t session_pool_grows; /* slow path: the session pool grew */
	uint64_t rst_invalid; /* RSTs the receiver would not act on (tcp_session.c), ignored */
	uint64_t compare_window_unavailable; /* directions refused a compare window (memory) */
} tcp_counters_t;

/* A per-direction summary for the flow event. */
typedef struct tcp_session_dir_info {
	uint8_t flags; /* PACKET_TCP_* flags seen */
	uint8_t gap; /* at least one gap */
	uint8_t depth_reached;
	uint8_t closed; /* FIN or RST seen */
	uint32_t gaps; /* number of gaps */
	uint64_t gap_bytes; /* bytes missed */
	uint64_t delivered; /* bytes handed on */
} tcp_session_dir_info_t;

typedef struct tcp_reassembly tcp_reassembly_t;
typedef struct tcp_session tcp_session_t;

void tcp_config_default(tcp_config_t *cfg);

/* Creates the reassembly context of one pipeline; buffered data is charged to acct (whose cap
 * is cfg->memcap). */
int tcp_reassembly_new(tcp_reassembly_t **out, const tcp_config_t *cfg, mem_account_t *acct);
void tcp_reassembly_free(tcp_reassembly_t *r);
const tcp_counters_t *tcp_reassembly_counters(const tcp_reassembly_t *r);

/* Takes a session from the pool; NULL when none can be had (counted by the caller). */
tcp_session_t *tcp_session_new(tcp_reassembly_t *r);

/* Returns a session to the pool, dropping buffered data without delivering it; NULL is fine. */
void tcp_session_free(tcp_reassembly_t *r, tcp_session_t *s);

/*
 * Processes one TCP packet of the session in direction dir. Delivers what became in order to
 * sink. Returns 1 when the packet is a SYN that starts a new connection on a session that is
 * already closed (port reuse): the caller ends this flow and starts a new one with the packet;
 * 0 otherwise.
 */
int tcp_session_packet(tcp_reassembly_t *r, tcp_session_t *s, int dir, const packet_t *p,
		       const tcp_sink_t *sink, void *ud);

/* The flow is ending: delivers what is buffered (holes reported as gaps), then on_close for each
 * direction not closed yet. */
void tcp_session_finish(tcp_reassembly_t *r, tcp_session_t *s, const tcp_sink_t *sink, void *ud);

/* Stops delivery in one direction (a dissector is done with it) and frees its buffers; sequence
 * tracking goes on, and on_close still comes once, at the FIN or at tcp_session_finish(). */
void tcp_session_stop(tcp_reassembly_t *r, tcp_session_t *s, int dir);

/* True once both directions closed (FIN each way) or an acceptable RST was seen. */
int tcp_session_is_closed(const tcp_session_t *s);

/* True when a handshake (SYN, SYN/ACK) was seen, i.e. the session is established. */
int tcp_session_is_established(const tcp_session_t *s);

/* Suricata's name for the session state: "none", "syn_sent", "syn_recv", "established",
 * "fin_wait1", "fin_wait2", "time_wait", "last_ack", "close_wait", "closing", "closed". */
const char *tcp_session_state_name(const tcp_session_t *s);

void tcp_session_dir_info(const tcp_session_t *s, int dir, tcp_session_dir_info_t *out);

#endif

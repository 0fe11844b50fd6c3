/*
 * tcp_session.c - TCP state tracking: handshakes, sequence bases, ACKs, FIN, RST, port reuse,
 * and the session pool.
 *
 * Fed by the flow layer with every TCP packet of a flow and its direction; feeds
 * tcp_reassembly.c with payload placed in sequence space, and the flow event with a state name
 * and per-direction summaries. It does not buffer or deliver bytes itself, does not decide which
 * side is the client (the flow layer does), and trusts no field of the packet: insane sequence
 * numbers and lengths are counted (pkt_invalid) and ignored, never asserted.
 *
 * Sequence bases: a SYN sets its direction's ISN (data starts at ISN + 1, so a SYN carrying
 * data, as with TCP Fast Open, is delivered); a SYN/ACK also gives the client's base through its
 * ACK when the SYN was missed. Without a handshake and with midstream pickup on, the first packet
 * of a direction sets its base, so one-sided captures work.
 *
 * Resets: an accepted RST flushes and closes both directions, after which nothing is delivered,
 * so a reset the receiver would ignore must be ignored here too (counted, rst_invalid), or a
 * forged one blinds the sensor. The rules follow what end hosts accept (RFC 9293 with RFC 5961,
 * as Linux, Windows and the BSDs implement it) and what Suricata ignores:
 *   - a RST carrying a TCP-MD5 or TCP-AO option (PACKET_F_TCP_AUTH_OPT) is ignored: a receiver
 *     that uses the option drops a segment whose signature fails, and none can be checked here;
 *   - while the client waits for the SYN/ACK (SYN_SENT), a server RST counts only with an ACK of
 *     the SYN (ISN < ack <= what the SYN sent), and, when it echoes a timestamp, only if that
 *     echo is one the SYNs sent (Linux's PAWS check of SYN_SENT); a client RST then answers a
 *     segment the client refused and does not end its attempt; every other server packet is
 *     dropped by the client (RFC 9293 3.10.7.3) and ignored here (pkt_invalid);
 *   - otherwise a RST counts only at exactly the next sequence number the receiver expects: the
 *     sender's highest sequence number seen (its SND.NXT), the receiver's highest ACK when that
 *     is ahead of it (the capture missed data), or the sender's FIN itself (Linux accepts
 *     RCV.NXT - 1 once the FIN is in). An in-window RST elsewhere only earns a challenge ACK
 *     (RFC 5961 3.2), and is ignored; with nothing seen of either side the RST counts.
 * Timestamps are read from the header here (decode keeps none) only on SYNs and on resets in
 * SYN_SENT. Ignoring a genuine reset costs little: the flow ends by timeout with the same data.
 */
#include "tcp_session.h"

#include <string.h>

#include "tcp_session_private.h"

#define TCP_SESSION_HDR_MIN 20u /* TCP header without options */
#define TCP_SESSION_OPT_EOL 0
#define TCP_SESSION_OPT_NOP 1
#define TCP_SESSION_OPT_TS 8
#define TCP_SESSION_OPT_TS_LEN 10

static const tcp_sink_t tcp_session_null_sink = {0};

static uint32_t tcp_session_rd32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* ------------------------------------------------------------------------------------------ */
/* Pool                                                                                       */
/* ------------------------------------------------------------------------------------------ */

tcp_session_t *tcp_session_new(tcp_reassembly_t *r)
{
	tcp_session_t *s;

	if (!r)
		return NULL;
	s = tcp_reassembly__pool_get(r, &r->sessions);
	if (!s)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->fin_first = 2;
	r->cnt.sessions++;
	return s;
}

void tcp_session_free(tcp_reassembly_t *r, tcp_session_t *s)
{
	if (!r || !s)
		return;
	tcp_reassembly__release(r, &s->dir[0]);
	tcp_reassembly__release(r, &s->dir[1]);
	tcp_reassembly__pool_put(r, &r->sessions, s);
}

/* ------------------------------------------------------------------------------------------ */
/* Handshake and sequence bases                                                               */
/* ------------------------------------------------------------------------------------------ */

static void tcp_dir_set_base(tcp_dir_t *d, uint32_t isn, uint32_t next_seq)
{
	d->isn = isn;
	d->next_seq = next_seq;
	d->max_seq = next_seq;
	d->flags |= TCP_SESSION_DIR_F_BASE;
}

/* A new SYN in the client direction of a session that has ended: the flow layer must start a
 * new flow. A retransmission of the SYN that opened this session is not reuse. */
static int tcp_session_reuse(tcp_reassembly_t *r, const tcp_session_t *s, int dir,
			     const packet_t *p)
{
	const tcp_dir_t *c = &s->dir[0];
	const uint16_t ended = TCP_SESSION_DIR_F_FIN | TCP_SESSION_DIR_F_CLOSED;

	if (dir != TCP_SESSION_TOSERVER || (p->tcp_flags & PACKET_TCP_ACK))
		return 0;
	if (!(s->flags & TCP_SESSION_F_RST) && !((c->flags | s->dir[1].flags) & ended))
		return 0;
	if ((c->flags & TCP_SESSION_DIR_F_SYN) && c->isn == p->tcp_seq)
		return 0;
	r->cnt.session_reuse++;
	return 1;
}

/* Finds the timestamps option (RFC 7323) in the TCP header at p->l4, bounds checked: packet_t
 * carries no timestamps. Returns 1 with both values when the option is present and well formed,
 * 0 otherwise (also when the packet has no header). */
static int tcp_session_ts_option(const packet_t *p, uint32_t *tsval, uint32_t *tsecr)
{
	const uint8_t *o;
	uint32_t hlen, len, i = 0;

	if (!p->l4 || p->l4_len < TCP_SESSION_HDR_MIN)
		return 0;
	hlen = (uint32_t)(p->l4[12] >> 4) * 4u;
	if (hlen < TCP_SESSION_HDR_MIN || hlen > p->l4_len)
		return 0;
	o = p->l4 + TCP_SESSION_HDR_MIN;
	len = hlen - TCP_SESSION_HDR_MIN;
	while (i < len && o[i] != TCP_SESSION_OPT_EOL) {
		if (o[i] == TCP_SESSION_OPT_NOP) {
			i++;
			continue;
		}
		if (len - i < 2 || o[i + 1] < 2 || o[i + 1] > len - i)
			return 0;
		if (o[i] == TCP_SESSION_OPT_TS && o[i + 1] == TCP_SESSION_OPT_TS_LEN) {
			*tsval = tcp_session_rd32(o + i + 2);
			*tsecr = tcp_session_rd32(o + i + 6);
			return 1;
		}
		i += o[i + 1];
	}
	return 0;
}

/* Keeps the range of TSvals the side's SYNs carried: a reset answering them must echo one. A
 * SYN with a new ISN starts a new attempt, and a new range. */
static void tcp_session_syn_ts(tcp_dir_t *d, const packet_t *p, int retransmitted)
{
	uint32_t tsval, tsecr;

	if (!retransmitted)
		d->flags &= (uint16_t)~TCP_SESSION_DIR_F_SYN_TS;
	if (!tcp_session_ts_option(p, &tsval, &tsecr))
		return;
	if (!(d->flags & TCP_SESSION_DIR_F_SYN_TS)) {
		d->syn_ts_lo = d->syn_ts_hi = tsval;
		d->flags |= TCP_SESSION_DIR_F_SYN_TS;
	} else if (tcp_seq_lt(tsval, d->syn_ts_lo)) {
		d->syn_ts_lo = tsval;
	} else if (tcp_seq_gt(tsval, d->syn_ts_hi)) {
		d->syn_ts_hi = tsval;
	}
}

/* Returns 1 when the packet is to be processed, 0 when it is ignored. */
static int tcp_session_syn(tcp_ctx_t *c, int dir, const packet_t *p)
{
	tcp_session_t *s = c->s;
	tcp_dir_t *d = &s->dir[dir];
	tcp_dir_t *o = &s->dir[!dir];
	int busy = d->stream_off != 0 || d->head != NULL ||
		   (d->flags & (TCP_SESSION_DIR_F_MUTE | TCP_SESSION_DIR_F_FIN));

	if (p->tcp_flags & PACKET_TCP_ACK) {
		s->flags |= TCP_SESSION_F_SYNACK;
		s->synack_dir = (uint8_t)dir;
	} else {
		s->flags |= TCP_SESSION_F_SYN;
	}
	if ((d->flags & TCP_SESSION_DIR_F_SYN) && d->isn == p->tcp_seq) {
		tcp_session_syn_ts(d, p, 1);
		return 1; /* retransmitted SYN: its data, if any, is deduplicated */
	}
	if (busy) {
		/* A SYN that does not match a direction already carrying data. */
		c->r->cnt.pkt_invalid++;
		return 0;
	}
	tcp_dir_set_base(d, p->tcp_seq, p->tcp_seq + 1u);
	d->flags |= TCP_SESSION_DIR_F_SYN;
	tcp_session_syn_ts(d, p, 0);
	/* The SYN/ACK acknowledges the client's ISN + 1: its base when the SYN was missed. */
	if ((p->tcp_flags & PACKET_TCP_ACK) && !(o->flags & TCP_SESSION_DIR_F_BASE))
		tcp_dir_set_base(o, p->tcp_ack - 1u, p->tcp_ack);
	return 1;
}

/* Makes sure the direction has a base. Returns 1 when the packet is to be processed. */
static int tcp_session_base(tcp_ctx_t *c, int dir, const packet_t *p)
{
	tcp_session_t *s = c->s;
	tcp_dir_t *d = &s->dir[dir];
	const uint8_t handshake = TCP_SESSION_F_SYN | TCP_SESSION_F_SYNACK;

	if (p->tcp_flags & PACKET_TCP_SYN)
		return tcp_session_syn(c, dir, p);
	if (d->flags & TCP_SESSION_DIR_F_BASE)
		return 1;
	if (!c->r->cfg.midstream && !(s->flags & handshake)) {
		c->r->cnt.midstream_ignored++;
		return 0;
	}
	tcp_dir_set_base(d, p->tcp_seq - 1u, p->tcp_seq);
	if (!(s->flags & (handshake | TCP_SESSION_F_MIDSTREAM))) {
		s->flags |= TCP_SESSION_F_MIDSTREAM;
		c->r->cnt.midstream_pickups++;
	}
	return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* ACK, FIN, RST                                                                              */
/* ------------------------------------------------------------------------------------------ */

/* The sender of this packet acknowledges the other direction's bytes up to tcp_ack. */
static void tcp_session_ack(tcp_ctx_t *c, int dir, const packet_t *p)
{
	tcp_session_t *s = c->s;
	tcp_dir_t *d = &s->dir[dir];
	tcp_dir_t *o = &s->dir[!dir];
	uint32_t ack = p->tcp_ack;

	if (!(d->flags & TCP_SESSION_DIR_F_ACK) || tcp_seq_gt(ack, d->last_ack)) {
		d->last_ack = ack;
		d->flags |= TCP_SESSION_DIR_F_ACK;
	}
	if ((s->flags & TCP_SESSION_F_SYNACK) && dir != s->synack_dir &&
	    !(p->tcp_flags & PACKET_TCP_SYN))
		s->flags |= TCP_SESSION_F_ESTABLISHED;
	if (!(o->flags & TCP_SESSION_DIR_F_BASE))
		return;
	if ((o->flags & TCP_SESSION_DIR_F_FIN) && tcp_seq_gt(ack, o->fin_seq))
		o->flags |= TCP_SESSION_DIR_F_FIN_ACKED;
	if (tcp_seq_gt(ack, o->next_seq))
		tcp_reassembly__ack_gap(c, !dir, ack);
}

static void tcp_session_fin(tcp_ctx_t *c, int dir, uint32_t fin_seq)
{
	tcp_dir_t *d = &c->s->dir[dir];

	if (d->flags & TCP_SESSION_DIR_F_FIN)
		return; /* the first FIN stands */
	if (tcp_seq_lt(fin_seq, d->next_seq))
		return; /* behind bytes already handed on: not believable */
	d->flags |= TCP_SESSION_DIR_F_FIN;
	d->fin_seq = fin_seq;
	d->fin_ts_us = c->now;
	if (c->s->fin_first > 1)
		c->s->fin_first = (uint8_t)dir;
}

/* The client sent its SYN and nothing shows it was answered: no SYN/ACK, no ACK from the client,
 * nothing from the server that set its base. */
static int tcp_session_syn_sent(const tcp_session_t *s)
{
	const tcp_dir_t *cl = &s->dir[TCP_SESSION_TOSERVER];

	return (cl->flags & (TCP_SESSION_DIR_F_SYN | TCP_SESSION_DIR_F_ACK)) ==
		       TCP_SESSION_DIR_F_SYN &&
	       !(s->flags & TCP_SESSION_F_SYNACK) &&
	       !(s->dir[TCP_SESSION_TOCLIENT].flags & TCP_SESSION_DIR_F_BASE);
}

/* A RST in SYN_SENT. The client's own reset answers a segment it refused (RFC 9293 3.10.7.3),
 * which ends nothing. The server's must acknowledge the SYN, and an echoed timestamp must be
 * one the SYNs sent: none when they sent no timestamps. An echo of 0, or SYNs whose TSval was
 * 0, prove nothing (as in Suricata's check). */
static int tcp_session_rst_syn_sent(const tcp_session_t *s, int dir, const packet_t *p)
{
	const tcp_dir_t *cl = &s->dir[TCP_SESSION_TOSERVER];
	uint32_t tsval, tsecr;

	if (dir == TCP_SESSION_TOSERVER)
		return 0;
	if (!(p->tcp_flags & PACKET_TCP_ACK) || !tcp_seq_gt(p->tcp_ack, cl->isn) ||
	    tcp_seq_gt(p->tcp_ack, cl->max_seq))
		return 0;
	if (!tcp_session_ts_option(p, &tsval, &tsecr) || tsecr == 0)
		return 1;
	if (!(cl->flags & TCP_SESSION_DIR_F_SYN_TS))
		return 0;
	if (cl->syn_ts_lo == 0 && cl->syn_ts_hi == 0)
		return 1;
	return tcp_seq_ge(tsecr, cl->syn_ts_lo) && tcp_seq_le(tsecr, cl->syn_ts_hi);
}

/* A RST once the handshake is answered (or without one): it counts only at exactly the next
 * sequence number the receiver expects, as far as the capture shows it. The receiver's ACK
 * stands for that number only when it is ahead of all the sender's bytes seen (the capture
 * missed some; tcp_reassembly__ack_gap trusts the same ACK as far): an ACK behind them is
 * stale while data is in flight, and a RST there earns a challenge ACK, not a reset. */
static int tcp_session_rst_in_sequence(const tcp_session_t *s, int dir, uint32_t seq)
{
	const tcp_dir_t *d = &s->dir[dir];
	const tcp_dir_t *o = &s->dir[!dir];
	int acked = (o->flags & TCP_SESSION_DIR_F_ACK) != 0;

	if (!(d->flags & TCP_SESSION_DIR_F_BASE))
		return !acked || seq == o->last_ack;
	if (seq == d->max_seq)
		return 1;
	if ((d->flags & TCP_SESSION_DIR_F_FIN) && (seq == d->fin_seq || seq == d->fin_seq + 1u))
		return 1;
	return acked && seq == o->last_ack && tcp_seq_gt(o->last_ack, d->max_seq) &&
	       o->last_ack - d->max_seq <= TCP_SESSION_SEQ_SANE;
}

/* Whether the receiver of this RST would act on it; see the head of the file. */
static int tcp_session_rst_valid(const tcp_session_t *s, int dir, const packet_t *p)
{
	if (p->flags & PACKET_F_TCP_AUTH_OPT)
		return 0;
	if (tcp_session_syn_sent(s))
		return tcp_session_rst_syn_sent(s, dir, p);
	return tcp_session_rst_in_sequence(s, dir, p->tcp_seq);
}

static void tcp_session_rst(tcp_ctx_t *c, int dir, const packet_t *p)
{
	int i;

	if (!tcp_session_rst_valid(c->s, dir, p)) {
		c->r->cnt.rst_invalid++;
		return;
	}
	c->s->flags |= TCP_SESSION_F_RST;
	for (i = 0; i < 2; i++) {
		tcp_reassembly__flush(c, i);
		tcp_reassembly__close(c, i);
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Payload                                                                                    */
/* ------------------------------------------------------------------------------------------ */

static void tcp_session_count_seg(tcp_counters_t *cnt, uint8_t seg)
{
	if (seg & TCP_SESSION_SEG_OOO)
		cnt->out_of_order++;
	if (seg & TCP_SESSION_SEG_RETRANS)
		cnt->retransmission++;
	else if (seg & TCP_SESSION_SEG_OVERLAP)
		cnt->overlap++;
	if (seg & TCP_SESSION_SEG_DIFF)
		cnt->overlap_diff_data++;
	if (seg & TCP_SESSION_SEG_MEMCAP)
		cnt->segment_memcap_drop++;
}

/* A keep-alive probe repeats the one byte before next_seq, often with garbage: it is neither a
 * retransmission nor different data. */
static int tcp_session_keepalive(const tcp_dir_t *d, uint32_t seq, uint32_t len, uint8_t flags)
{
	return len == 1 && seq + 1u == d->next_seq &&
	       !(flags & (PACKET_TCP_SYN | PACKET_TCP_FIN | PACKET_TCP_RST));
}

static void tcp_session_payload(tcp_ctx_t *c, int dir, const packet_t *p)
{
	tcp_dir_t *d = &c->s->dir[dir];
	uint32_t seq = p->tcp_seq + ((p->tcp_flags & PACKET_TCP_SYN) ? 1u : 0u);
	uint32_t len = p->payload_len;
	uint32_t end = seq + len;

	if ((d->flags & TCP_SESSION_DIR_F_CLOSED) || (len == 0 && !(p->tcp_flags & PACKET_TCP_FIN)))
		return;
	/* No byte may lie more than TCP_SESSION_SEQ_SANE ahead of or behind next_seq, so that no
	 * gap and no distance computed later can exceed it. */
	if ((len && !p->payload) || len >= TCP_SESSION_SEQ_SANE ||
	    tcp_seq_lt(seq, d->next_seq - TCP_SESSION_SEQ_SANE) ||
	    tcp_seq_gt(end, d->next_seq + TCP_SESSION_SEQ_SANE)) {
		c->r->cnt.pkt_invalid++;
		return;
	}
	if (p->tcp_flags & PACKET_TCP_FIN)
		tcp_session_fin(c, dir, end);
	if (tcp_seq_gt(end + ((p->tcp_flags & PACKET_TCP_FIN) ? 1u : 0u), d->max_seq))
		d->max_seq = end + ((p->tcp_flags & PACKET_TCP_FIN) ? 1u : 0u);
	if (len && !(d->flags & TCP_SESSION_DIR_F_MUTE) &&
	    !tcp_session_keepalive(d, seq, len, p->tcp_flags)) {
		c->fresh = 0;
		c->seg = 0;
		tcp_reassembly__segment(c, dir, seq, p->payload, len);
		if (c->seg)
			tcp_session_count_seg(&c->r->cnt, c->seg);
	}
	tcp_reassembly__check_close(c, dir);
}

/* Every packet of the session checks both directions' holes against packet time, and sends a
 * close that became due while a direction was stopped. */
static void tcp_session_timers(tcp_ctx_t *c)
{
	int i;

	for (i = 0; i < 2; i++) {
		tcp_dir_t *d = &c->s->dir[i];

		if ((d->flags & (TCP_SESSION_DIR_F_FIN | TCP_SESSION_DIR_F_CLOSED)) ==
		    TCP_SESSION_DIR_F_FIN)
			tcp_reassembly__check_close(c, i);
		if (d->head || (d->flags & (TCP_SESSION_DIR_F_FIN | TCP_SESSION_DIR_F_CLOSED)) ==
				       TCP_SESSION_DIR_F_FIN)
			tcp_reassembly__hold_timeout(c, i);
	}
}

static void tcp_session_count_flags(tcp_counters_t *cnt, uint8_t flags)
{
	if (flags & PACKET_TCP_SYN) {
		if (flags & PACKET_TCP_ACK)
			cnt->synack++;
		else
			cnt->syn++;
	}
	if (flags & PACKET_TCP_RST)
		cnt->rst++;
}

int tcp_session_packet(tcp_reassembly_t *r, tcp_session_t *s, int dir, const packet_t *p,
		       const tcp_sink_t *sink, void *ud)
{
	tcp_ctx_t c;
	tcp_dir_t *d;

	if (!r || !s || !p || (dir != TCP_SESSION_TOSERVER && dir != TCP_SESSION_TOCLIENT))
		return 0;
	if ((p->tcp_flags & PACKET_TCP_SYN) && tcp_session_reuse(r, s, dir, p))
		return 1;
	c.r = r;
	c.s = s;
	c.sink = sink ? sink : &tcp_session_null_sink;
	c.ud = ud;
	c.now = p->ts_us;
	c.fresh = 0;
	c.seg = 0;
	d = &s->dir[dir];
	d->tcp_flags |= p->tcp_flags;
	tcp_session_count_flags(&r->cnt, p->tcp_flags);
	if (p->tcp_flags & PACKET_TCP_RST) {
		tcp_session_rst(&c, dir, p);
		return 0;
	}
	if (dir == TCP_SESSION_TOCLIENT && !(p->tcp_flags & PACKET_TCP_SYN) &&
	    tcp_session_syn_sent(s)) {
		/* A client waiting for the SYN/ACK drops anything else the server sends; taking it
		 * would let a forged FIN or segment claim the server's side before the SYN/ACK. */
		r->cnt.pkt_invalid++;
		return 0;
	}
	if (!tcp_session_base(&c, dir, p))
		return 0;
	if (p->tcp_flags & PACKET_TCP_ACK)
		tcp_session_ack(&c, dir, p);
	tcp_session_payload(&c, dir, p);
	tcp_session_timers(&c);
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* End of flow, stop, queries                                                                 */
/* ------------------------------------------------------------------------------------------ */

void tcp_session_finish(tcp_reassembly_t *r, tcp_session_t *s, const tcp_sink_t *sink, void *ud)
{
	tcp_ctx_t c;
	int i;

	if (!r || !s)
		return;
	memset(&c, 0, sizeof(c));
	c.r = r;
	c.s = s;
	c.sink = sink ? sink : &tcp_session_null_sink;
	c.ud = ud;
	for (i = 0; i < 2; i++) {
		tcp_reassembly__flush(&c, i);
		tcp_reassembly__close(&c, i);
	}
}

void tcp_session_stop(tcp_reassembly_t *r, tcp_session_t *s, int dir)
{
	if (!r || !s || (dir != TCP_SESSION_TOSERVER && dir != TCP_SESSION_TOCLIENT))
		return;
	s->dir[dir].flags |= TCP_SESSION_DIR_F_STOPPED;
	tcp_reassembly__release(r, &s->dir[dir]);
}

int tcp_session_is_closed(const tcp_session_t *s)
{
	if (!s)
		return 0;
	return (s->flags & TCP_SESSION_F_RST) ||
	       ((s->dir[0].flags & s->dir[1].flags & TCP_SESSION_DIR_F_FIN) != 0);
}

int tcp_session_is_established(const tcp_session_t *s)
{
	return s && (s->flags & TCP_SESSION_F_ESTABLISHED);
}

/* Suricata names states from the server's side: a client FIN first is close_wait, a server FIN
 * first is fin_wait1. */
static const char *tcp_session_closing_name(const tcp_session_t *s)
{
	uint16_t f0 = s->dir[0].flags, f1 = s->dir[1].flags;
	int fin0 = (f0 & TCP_SESSION_DIR_F_FIN) != 0, fin1 = (f1 & TCP_SESSION_DIR_F_FIN) != 0;
	int ack0 = (f0 & TCP_SESSION_DIR_F_FIN_ACKED) != 0;
	int ack1 = (f1 & TCP_SESSION_DIR_F_FIN_ACKED) != 0;

	if (fin0 && fin1 && ack0 && ack1)
		return "closed";
	if (s->fin_first == TCP_SESSION_TOCLIENT) {
		if (!fin0)
			return ack1 ? "fin_wait2" : "fin_wait1";
		return ack1 ? "time_wait" : "closing";
	}
	return fin1 ? "last_ack" : "close_wait";
}

const char *tcp_session_state_name(const tcp_session_t *s)
{
	if (!s)
		return "none";
	if (s->flags & TCP_SESSION_F_RST)
		return "closed";
	if ((s->dir[0].flags | s->dir[1].flags) & TCP_SESSION_DIR_F_FIN)
		return tcp_session_closing_name(s);
	if (s->flags & (TCP_SESSION_F_ESTABLISHED | TCP_SESSION_F_MIDSTREAM))
		return "established";
	if (s->flags & TCP_SESSION_F_SYNACK)
		return "syn_recv";
	if (s->flags & TCP_SESSION_F_SYN)
		return "syn_sent";
	return "none";
}

void tcp_session_dir_info(const tcp_session_t *s, int dir, tcp_session_dir_info_t *out)
{
	const tcp_dir_t *d;

	if (!out)
		return;
	memset(out, 0, sizeof(*out));
	if (!s || (dir != TCP_SESSION_TOSERVER && dir != TCP_SESSION_TOCLIENT))
		return;
	d = &s->dir[dir];
	out->flags = d->tcp_flags;
	out->gap = d->gaps != 0;
	out->depth_reached = (d->flags & TCP_SESSION_DIR_F_DEPTH) != 0;
	out->closed = (d->flags & TCP_SESSION_DIR_F_FIN) || (s->flags & TCP_SESSION_F_RST);
	out->gaps = d->gaps;
	out->gap_bytes = d->gap_bytes;
	out->delivered = d->delivered;
}

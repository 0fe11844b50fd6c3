/*
 * fuzz_tcp_session.c - libFuzzer target for TCP state tracking and reassembly.
 *
 * The input is a 4-byte configuration header (see fz_config(); byte 0 bit 5 sets the compare
 * window to 41 * byte 2, 0 = off) followed by pseudo-segments of 8 header bytes:
 *   b0  bit 0 direction, bit 1 payload taken from the input (else the reference pattern),
 *       bit 2 tcp_session_stop() the direction afterwards, bit 3 jump the sequence by 1 GiB,
 *       bits 4-7 packet time advance (in 100 ms steps)
 *   b1  TCP flags
 *   b2-3 sequence delta (int16) from where the sender stands
 *   b4-5 payload length (mod 4096)
 *   b6-7 acknowledgment delta (int16) from where the other side stands; on a SYN, b7 bit 6
 *        adds a window scale option of b6 & 15
 * When b1 has CWR (0x80) set, 4 more input bytes, before any payload, give the packet a TCP
 * header as decode leaves it (see fz_header()): timestamps option, TCP-MD5/AO flag, malformed
 * options or a header cut short.
 * All segments go to one session (a new one after a port reuse, as the flow layer would do).
 *
 * The sink checks the invariants: nothing after on_close, on_close once per direction, no empty
 * data or gaps, never past the depth, and, while a direction only ever carried the reference
 * pattern, that every byte handed on is the byte sent at its sequence number; while no segment
 * carried other bytes, that no retransmission is ever found to differ (the compare window is
 * read at the right place). Memory stays under the cap, compare windows under half of it, and
 * all of it comes back at the end. A RST carrying a TCP-MD5/AO option never closes a session.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "packet.h"
#include "tcp_session.h"
#include "tcp_session_private.h"

#define FZ_CHECK(cond)                                                                        \
	do {                                                                                  \
		if (!(cond)) {                                                                \
			fprintf(stderr, "invariant failed: %s (line %d)\n", #cond, __LINE__); \
			abort();                                                              \
		}                                                                             \
	} while (0)

#define FZ_MAX_LEN 4096u
#define FZ_HDR_LEN 36u /* TCP header, 4 bytes of MSS or NOPs, NOP, NOP, timestamps */

typedef struct fz_dir {
	uint64_t off; /* stream bytes handed on (data and gaps) */
	uint32_t base; /* sequence number of stream byte 0 */
	int started;
	int closes;
	int tainted; /* bytes other than the reference pattern were sent */
} fz_dir_t;

typedef struct fz {
	mem_account_t acct;
	tcp_config_t cfg;
	tcp_reassembly_t *r;
	tcp_session_t *s;
	fz_dir_t d[2];
	int tainted; /* some segment of the input, in any session, was not the pattern */
} fz_t;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The byte a direction sends at a sequence number. */
static uint8_t fz_pattern(uint32_t seq, int dir)
{
	return (uint8_t)(seq ^ (seq >> 8) ^ ((seq >> 16) * 3u) ^ (uint32_t)(dir * 0x5b));
}

static void fz_start(fz_t *f, int dir)
{
	fz_dir_t *d = &f->d[dir];

	if (d->started)
		return;
	d->started = 1;
	d->base = f->s->dir[dir].isn + 1u;
}

static void fz_on_data(void *ud, int dir, const uint8_t *p, size_t len)
{
	fz_t *f = ud;
	fz_dir_t *d;
	size_t i;

	FZ_CHECK(dir == 0 || dir == 1);
	d = &f->d[dir];
	FZ_CHECK(d->closes == 0);
	FZ_CHECK(len > 0);
	fz_start(f, dir);
	if (!d->tainted)
		for (i = 0; i < len; i++)
			FZ_CHECK(p[i] == fz_pattern(d->base + (uint32_t)(d->off + i), dir));
	d->off += len;
	FZ_CHECK(f->cfg.depth == 0 || d->off <= f->cfg.depth);
}

static void fz_on_gap(void *ud, int dir, uint64_t len)
{
	fz_t *f = ud;
	fz_dir_t *d;

	FZ_CHECK(dir == 0 || dir == 1);
	d = &f->d[dir];
	FZ_CHECK(d->closes == 0);
	FZ_CHECK(len > 0 && len <= TCP_SESSION_SEQ_SANE);
	fz_start(f, dir);
	d->off += len;
	FZ_CHECK(f->cfg.depth == 0 || d->off <= f->cfg.depth);
}

static void fz_on_close(void *ud, int dir)
{
	fz_t *f = ud;

	FZ_CHECK(dir == 0 || dir == 1);
	f->d[dir].closes++;
	FZ_CHECK(f->d[dir].closes == 1);
}

static const tcp_sink_t fz_sink = {
	.on_data = fz_on_data,
	.on_gap = fz_on_gap,
	.on_close = fz_on_close,
};

static void fz_config(fz_t *f, const uint8_t *c)
{
	tcp_config_default(&f->cfg);
	f->cfg.midstream = !(c[0] & 0x01);
	if (c[0] & 0x02)
		f->cfg.depth = 1 + (uint64_t)c[1] * 64u;
	if (c[0] & 0x04)
		f->cfg.memcap = (c[0] & 0x40) ? 16384 : 60000;
	if (c[0] & 0x08)
		f->cfg.max_hold_bytes = (uint32_t)c[2] * 32u;
	if (c[0] & 0x10)
		f->cfg.hold_timeout_us = (uint64_t)c[3] * 10000u;
	if (c[0] & 0x20)
		f->cfg.compare_window = (uint64_t)c[2] * 41u;
	mem_account_init(&f->acct, "reassembly", f->cfg.memcap);
}

/* What the session reports must agree with what the sink saw. */
static void fz_check_summary(const fz_t *f)
{
	tcp_session_dir_info_t info;
	const char *state = tcp_session_state_name(f->s);
	int dir;

	FZ_CHECK(state != NULL && state[0] != '\0');
	FZ_CHECK(!tcp_session_is_established(f->s) || strcmp(state, "syn_sent") != 0);
	for (dir = 0; dir < 2; dir++) {
		tcp_session_dir_info(f->s, dir, &info);
		FZ_CHECK(info.delivered + info.gap_bytes == f->d[dir].off);
		FZ_CHECK(info.gap == (info.gaps != 0));
		FZ_CHECK(info.depth_reached == 0 || f->cfg.depth != 0);
	}
	if (tcp_session_is_closed(f->s))
		FZ_CHECK(strcmp(state, "established") != 0);
}

/* Ends the current session as the flow layer would: finish, check, free. */
static void fz_end_session(fz_t *f)
{
	tcp_session_finish(f->r, f->s, &fz_sink, f);
	FZ_CHECK(f->d[0].closes == 1 && f->d[1].closes == 1);
	fz_check_summary(f);
	tcp_session_free(f->r, f->s);
	f->s = NULL;
	memset(f->d, 0, sizeof(f->d));
}

static int fz_new_session(fz_t *f)
{
	f->s = tcp_session_new(f->r);
	memset(f->d, 0, sizeof(f->d));
	return f->s != NULL;
}

/*
 * The TCP header of a packet, from 4 input bytes o:
 *   o0  0: TSval 0, else TSval 0x1000 + o0 - 1
 *   o1  0: TSecr 0, else TSecr 0x1000 + o1 - 1 (so SYN TSvals can be echoed)
 *   o2  bit 0 timestamps option present, bit 1 PACKET_F_TCP_AUTH_OPT, bit 2 option length runs
 *       past the header, bit 3 l4_len shorter than the header, bit 4 an MSS option first
 */
static void fz_header(packet_t *p, uint8_t *hdr, const uint8_t *o)
{
	uint32_t tsval = o[0] ? 0x1000u + o[0] - 1u : 0u;
	uint32_t tsecr = o[1] ? 0x1000u + o[1] - 1u : 0u;
	int i;

	memset(hdr, 0, FZ_HDR_LEN);
	hdr[12] = (uint8_t)((FZ_HDR_LEN / 4u) << 4);
	memset(hdr + 20, 1, 6);
	if (o[2] & 0x10) {
		hdr[20] = 2;
		hdr[21] = 4;
		hdr[22] = 0x05;
		hdr[23] = 0xb4;
	}
	if (o[2] & 0x01) {
		hdr[26] = 8;
		hdr[27] = (o[2] & 0x04) ? 12 : 10;
		for (i = 0; i < 4; i++) {
			hdr[28 + i] = (uint8_t)(tsval >> (24 - 8 * i));
			hdr[32 + i] = (uint8_t)(tsecr >> (24 - 8 * i));
		}
	}
	if (o[2] & 0x02)
		p->flags |= PACKET_F_TCP_AUTH_OPT;
	p->l4 = hdr;
	p->l4_len = (o[2] & 0x08) ? 24u : FZ_HDR_LEN;
}

/* Builds one packet from an 8-byte header; its payload lives in buf. */
static void fz_packet(packet_t *p, uint8_t *buf, uint8_t *hdr, const uint8_t *h, const uint8_t **in,
		      size_t *left, uint32_t *cursor, uint64_t *ts)
{
	int dir = h[0] & 1;
	int16_t sd = (int16_t)(uint16_t)(h[2] | (h[3] << 8));
	int16_t ad = (int16_t)(uint16_t)(h[6] | (h[7] << 8));
	uint32_t len = (uint32_t)(h[4] | (h[5] << 8)) % FZ_MAX_LEN;
	uint32_t i, first;

	memset(p, 0, sizeof(*p));
	*ts += (uint64_t)(h[0] >> 4) * 100000u;
	p->ts_us = *ts;
	p->tcp_flags = h[1];
	p->tcp_seq = cursor[dir] + (uint32_t)(int32_t)sd + ((h[0] & 0x08) ? 0x40000000u : 0u);
	p->tcp_ack = cursor[!dir] + (uint32_t)(int32_t)ad;
	p->tcp_win = 1024;
	if ((h[1] & PACKET_TCP_CWR) && *left >= 4) {
		fz_header(p, hdr, *in);
		*in += 4;
		*left -= 4;
	}
	first = p->tcp_seq + ((p->tcp_flags & PACKET_TCP_SYN) ? 1u : 0u);
	for (i = 0; i < len; i++) {
		if ((h[0] & 0x02) && *left > 0) {
			buf[i] = **in;
			(*in)++;
			(*left)--;
		} else {
			buf[i] = fz_pattern(first + i, dir);
		}
	}
	if ((p->tcp_flags & PACKET_TCP_SYN) && (h[7] & 0x40)) {
		p->flags |= PACKET_F_TCP_WSCALE;
		p->tcp_wscale = h[6] & 0x0F;
	}
	p->payload = len ? buf : NULL;
	p->payload_len = len;
	if (tcp_seq_gt(first + len, cursor[dir]) && !(h[0] & 0x08))
		cursor[dir] = first + len + ((p->tcp_flags & PACKET_TCP_FIN) ? 1u : 0u);
}

static void fz_run(fz_t *f, const uint8_t *in, size_t left, uint32_t isn)
{
	static uint8_t buf[FZ_MAX_LEN];
	static uint8_t hdr[FZ_HDR_LEN];
	uint32_t cursor[2] = {isn, isn ^ 0x5a5a5a5au};
	uint64_t ts = 1000000;

	while (left >= 8 && f->s) {
		const uint8_t *h = in;
		packet_t p;
		int dir = h[0] & 1;
		int was_closed = tcp_session_is_closed(f->s);

		in += 8;
		left -= 8;
		fz_packet(&p, buf, hdr, h, &in, &left, cursor, &ts);
		if (h[0] & 0x02)
			f->d[dir].tainted = f->tainted = 1;
		if (tcp_session_packet(f->r, f->s, dir, &p, &fz_sink, f) == 1) {
			fz_end_session(f);
			if (!fz_new_session(f))
				break;
			f->d[dir].tainted = (h[0] & 0x02) != 0;
			FZ_CHECK(tcp_session_packet(f->r, f->s, dir, &p, &fz_sink, f) == 0);
		}
		FZ_CHECK(!(p.flags & PACKET_F_TCP_AUTH_OPT) || !(p.tcp_flags & PACKET_TCP_RST) ||
			 was_closed || !tcp_session_is_closed(f->s));
		if (h[0] & 0x04)
			tcp_session_stop(f->r, f->s, dir);
		fz_check_summary(f);
		FZ_CHECK(f->cfg.memcap == 0 || f->acct.in_use <= f->cfg.memcap);
		FZ_CHECK(f->cfg.memcap == 0 || f->r->cmp_bytes <= f->cfg.memcap / 2);
		FZ_CHECK(f->tainted || tcp_reassembly_counters(f->r)->overlap_diff_data == 0);
	}
	if (f->s)
		fz_end_session(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_t f;
	uint32_t isn;

	if (size < 4)
		return 0;
	memset(&f, 0, sizeof(f));
	fz_config(&f, data);
	isn = (data[1] & 0x80) ? 0xFFFFFF00u + data[3] : (uint32_t)data[2] << 12;
	if (tcp_reassembly_new(&f.r, &f.cfg, &f.acct) != 0)
		return 0;
	if (fz_new_session(&f))
		fz_run(&f, data + 4, size - 4, isn);
	tcp_reassembly_free(f.r);
	FZ_CHECK(f.acct.in_use == 0);
	return 0;
}

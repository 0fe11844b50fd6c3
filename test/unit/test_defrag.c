/*
 * test_defrag.c - IPv4 and IPv6 fragment reassembly through decode_packet(): in order, in
 * reverse, overlapping (first data wins), duplicated, timed out, over each limit (fragments
 * per datagram, trackers, memory), too large, inside and around tunnels, with checksums.
 *
 * Every datagram carries a TCP or UDP segment with a known byte pattern, so that the result of
 * a reassembly can be checked byte for byte.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "mem.h"
#include "test_frame.h"

/* ------------------------------------------------------------------ packet builders */

/* The rest of the builders are in test_frame.h. */
static uint16_t r16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* ------------------------------------------------------------------ fragments */

#define DLT_EN10MB 1
#define SEC 1000000ULL
#define T0 (1700000000ULL * SEC)

static frame_t F;
static uint8_t seg[66000]; /* the transport segment being fragmented */
static size_t seglen;

/* A TCP segment 40000 -> 80 with n pattern bytes, summed for the given addresses. */
static void make_tcp_seg(size_t n, int v6)
{
	f_init(&F);
	f_payload(&F, n, 0x30);
	f_tcp(&F, 40000, 80, PACKET_TCP_ACK | PACKET_TCP_PSH);
	f_l4csum(&F, v6, v6 ? A6 : A4, v6 ? B6 : B4, 6);
	seglen = f_len(&F);
	memcpy(seg, f_data(&F), seglen);
}

/* Prepends an IPv4 fragment of protocol proto carrying [off, off + len) of data. */
static void f_frag4(frame_t *f, const uint8_t *data, size_t off, size_t len, int more, uint16_t id,
		    uint8_t proto)
{
	memcpy(f_push(f, len), data + off, len);
	f_ipv4_x(f, proto, A4, B4, id, (uint16_t)((more ? 0x2000 : 0) | (off / 8)));
}

/* Ethernet / IPv4 fragment [off, off + len) of seg. */
static void frag4(frame_t *f, size_t off, size_t len, int more, uint16_t id)
{
	f_init(f);
	f_frag4(f, seg, off, len, more, id, 6);
	f_eth(f, 0x0800);
}

/* Ethernet / IPv6 / [hop-by-hop] / fragment header / [off, off + len) of seg. */
static void frag6(frame_t *f, size_t off, size_t len, int more, uint32_t id, int hbh)
{
	f_init(f);
	memcpy(f_push(f, len), seg + off, len);
	f_ipv6_frag(f, 6, (uint16_t)off, more, id);
	if (hbh) {
		f_ipv6_ext(f, 44, 8);
		f_ipv6(f, 0);
	} else {
		f_ipv6(f, 44);
	}
	f_eth(f, 0x86dd);
}

/* ------------------------------------------------------------------ fixture */

typedef struct fixture {
	mem_account_t acct;
	decode_config_t cfg;
	decode_ctx_t *ctx;
	packet_t p;
	uint8_t *copy;
	uint64_t now;
} fixture_t;

static int fx_setup(void **state)
{
	fixture_t *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	mem_account_init(&fx->acct, "defrag", 0);
	decode_config_default(&fx->cfg);
	fx->cfg.validate_checksums = 1;
	assert_int_equal(decode_ctx_new(&fx->ctx, &fx->cfg, &fx->acct), 0);
	fx->now = T0;
	*state = fx;
	return 0;
}

static int fx_teardown(void **state)
{
	fixture_t *fx = *state;

	/* Trackers still in progress are released too. */
	decode_ctx_free(fx->ctx);
	assert_int_equal(fx->acct.in_use, 0);
	free(fx->copy);
	free(fx);
	return 0;
}

static void fx_reconfig(fixture_t *fx)
{
	decode_ctx_free(fx->ctx);
	assert_int_equal(fx->acct.in_use, 0);
	assert_int_equal(decode_ctx_new(&fx->ctx, &fx->cfg, &fx->acct), 0);
}

/* Decodes f from an exact-length heap copy, 1 ms after the previous packet. */
static int feed(fixture_t *fx, frame_t *f)
{
	size_t n = f_len(f);

	free(fx->copy);
	fx->copy = malloc(n);
	assert_non_null(fx->copy);
	memcpy(fx->copy, f_data(f), n);
	memset(&fx->p, 0, sizeof(fx->p));
	fx->p.data = fx->copy;
	fx->p.caplen = fx->p.wirelen = (uint32_t)n;
	fx->p.linktype = DLT_EN10MB;
	fx->now += 1000;
	fx->p.ts_us = fx->now;
	return decode_packet(fx->ctx, &fx->p);
}

static int feed4(fixture_t *fx, size_t off, size_t len, int more, uint16_t id)
{
	frag4(&F, off, len, more, id);
	return feed(fx, &F);
}

static int feed6(fixture_t *fx, size_t off, size_t len, int more, uint32_t id, int hbh)
{
	frag6(&F, off, len, more, id, hbh);
	return feed(fx, &F);
}

static const defrag_counters_t *dc(const fixture_t *fx)
{
	return decode_defrag_counters(fx->ctx);
}

static uint64_t ev(const fixture_t *fx, enum decode_event e)
{
	return decode_counters(fx->ctx)->events[e];
}

/* The packet is the whole of seg, reassembled. */
static void assert_reassembled(const fixture_t *fx, int v6)
{
	const packet_t *p = &fx->p;

	assert_true(p->flags & PACKET_F_DEFRAG);
	assert_int_equal(p->ip_version, v6 ? 6 : 4);
	assert_int_equal(p->proto, 6);
	assert_int_equal(p->sport, 40000);
	assert_int_equal(p->dport, 80);
	assert_int_equal(p->l4_len, seglen);
	assert_memory_equal(p->l4, seg, seglen);
	assert_int_equal(p->payload_len, seglen - 20);
}

/* ------------------------------------------------------------------ IPv4 */

static void test_ipv4_in_order(void **state)
{
	fixture_t *fx = *state;

	make_tcp_seg(1000, 0);
	assert_int_equal(feed4(fx, 0, 400, 1, 7), DECODE_OTHER);
	assert_int_equal(feed4(fx, 400, 400, 1, 7), DECODE_OTHER);
	assert_int_equal(feed4(fx, 800, seglen - 800, 0, 7), DECODE_FLOW);
	assert_reassembled(fx, 0);
	assert_int_equal(fx->p.l3_len, 20 + seglen);
	assert_int_equal(r16(fx->p.l3 + 6) & 0x3fff, 0);
	assert_int_equal(dc(fx)->ipv4_fragments, 3);
	assert_int_equal(dc(fx)->ipv4_reassembled, 1);
	assert_int_equal(decode_counters(fx->ctx)->csum_invalid_ipv4, 0);
	assert_int_equal(decode_counters(fx->ctx)->csum_invalid_tcp, 0);
}

static void test_ipv4_reverse_order(void **state)
{
	fixture_t *fx = *state;

	make_tcp_seg(3000, 0);
	assert_int_equal(feed4(fx, 2400, seglen - 2400, 0, 8), DECODE_OTHER);
	assert_int_equal(feed4(fx, 1600, 800, 1, 8), DECODE_OTHER);
	assert_int_equal(feed4(fx, 800, 800, 1, 8), DECODE_OTHER);
	assert_int_equal(feed4(fx, 0, 800, 1, 8), DECODE_FLOW);
	assert_reassembled(fx, 0);
	assert_int_equal(dc(fx)->ipv4_reassembled, 1);
}

/* Overlaps keep the bytes that arrived first, whichever side they overlap from. */
static void test_ipv4_overlap_first_wins(void **state)
{
	fixture_t *fx = *state;
	uint8_t want[1100];

	fx->cfg.validate_checksums = 0;
	fx_reconfig(fx);
	make_tcp_seg(1000, 0);
	memcpy(want, seg, seglen);

	assert_int_equal(feed4(fx, 0, 400, 1, 9), DECODE_OTHER);
	memset(seg + 200, 0xee, 400); /* a second copy of 200..600 with other data */
	assert_int_equal(feed4(fx, 200, 400, 1, 9), DECODE_OTHER);
	assert_int_equal(ev(fx, DECODE_EV_IPV4_FRAG_OVERLAP), 1);
	memset(want + 400, 0xee, 200);
	memcpy(seg, want, seglen);
	memset(seg + 560, 0xdd, 100); /* later data for 560..660: 560..600 is already held */
	assert_int_equal(feed4(fx, 560, seglen - 560, 0, 9), DECODE_FLOW);
	memcpy(want + 600, seg + 600, seglen - 600);
	assert_int_equal(ev(fx, DECODE_EV_IPV4_FRAG_OVERLAP), 2);
	assert_int_equal(fx->p.l4_len, seglen);
	assert_memory_equal(fx->p.l4, want, seglen);
}

static void test_ipv4_duplicate(void **state)
{
	fixture_t *fx = *state;

	make_tcp_seg(600, 0);
	assert_int_equal(feed4(fx, 0, 320, 1, 10), DECODE_OTHER);
	assert_int_equal(feed4(fx, 0, 320, 1, 10), DECODE_OTHER);
	assert_int_equal(ev(fx, DECODE_EV_IPV4_FRAG_OVERLAP), 1);
	assert_int_equal(feed4(fx, 320, seglen - 320, 0, 10), DECODE_FLOW);
	assert_reassembled(fx, 0);
	/* A late duplicate after completion starts a tracker that will time out. */
	assert_int_equal(feed4(fx, 320, seglen - 320, 0, 10), DECODE_OTHER);
	decode_tick(fx->ctx, fx->now + 60 * SEC);
	assert_int_equal(dc(fx)->ipv4_timeouts, 1);
}

/* A non-last fragment is cut to a multiple of 8 bytes; the next one supplies the rest. */
static void test_ipv4_unaligned_fragment(void **state)
{
	fixture_t *fx = *state;

	make_tcp_seg(700, 0);
	assert_int_equal(feed4(fx, 0, 403, 1, 11), DECODE_OTHER);
	assert_int_equal(feed4(fx, 400, seglen - 400, 0, 11), DECODE_FLOW);
	assert_reassembled(fx, 0);
	assert_int_equal(ev(fx, DECODE_EV_IPV4_FRAG_OVERLAP), 0);
}

static void test_ipv4_timeout(void **state)
{
	fixture_t *fx = *state;

	make_tcp_seg(1000, 0);
	assert_int_equal(feed4(fx, 0, 504, 1, 12), DECODE_OTHER);
	decode_tick(fx->ctx, fx->now + 30 * SEC);
	assert_int_equal(dc(fx)->ipv4_timeouts, 0);
	decode_tick(fx->ctx, fx->now + 60 * SEC);
	assert_int_equal(dc(fx)->ipv4_timeouts, 1);
	assert_int_equal(feed4(fx, 504, seglen - 504, 0, 12), DECODE_OTHER);
	assert_int_equal(dc(fx)->ipv4_reassembled, 0);

	/* Without a tick, the next fragment's time expires the tracker. */
	fx->cfg.defrag_timeout_us = 2 * SEC;
	fx_reconfig(fx);
	assert_int_equal(feed4(fx, 0, 504, 1, 13), DECODE_OTHER);
	fx->now += 3 * SEC;
	assert_int_equal(feed4(fx, 504, seglen - 504, 0, 13), DECODE_OTHER);
	assert_int_equal(dc(fx)->ipv4_timeouts, 1);
	assert_int_equal(feed4(fx, 0, 504, 1, 13), DECODE_FLOW);
	assert_reassembled(fx, 0);

	/* Packet time stepping back does not expire anything. */
	assert_int_equal(feed4(fx, 0, 504, 1, 14), DECODE_OTHER);
	fx->now -= 10 * SEC;
	assert_int_equal(feed4(fx, 504, seglen - 504, 0, 14), DECODE_FLOW);
}

static void test_ipv4_too_many_fragments(void **state)
{
	fixture_t *fx = *state;
	size_t off;

	fx->cfg.defrag_max_frags = 4;
	fx_reconfig(fx);
	make_tcp_seg(100, 0);
	for (off = 0; off < 32; off += 8)
		assert_int_equal(feed4(fx, off, 8, 1, 15), DECODE_OTHER);
	assert_int_equal(feed4(fx, 32, 8, 1, 15), DECODE_DROP);
	assert_int_equal(dc(fx)->max_frags_reached, 1);
	assert_int_equal(ev(fx, DECODE_EV_IPV4_FRAG_IGNORED), 1);
	/* The datagram is dead until it times out: the rest is ignored. */
	assert_int_equal(feed4(fx, 40, seglen - 40, 0, 15), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_IPV4_FRAG_IGNORED), 2);
	assert_int_equal(dc(fx)->ipv4_reassembled, 0);
	/* Other datagrams are unaffected. */
	assert_int_equal(feed4(fx, 0, 64, 1, 16), DECODE_OTHER);
	assert_int_equal(feed4(fx, 64, seglen - 64, 0, 16), DECODE_FLOW);
	assert_reassembled(fx, 0);
}

static void test_ipv4_max_trackers(void **state)
{
	fixture_t *fx = *state;

	fx->cfg.defrag_max_trackers = 2;
	fx_reconfig(fx);
	make_tcp_seg(200, 0);
	assert_int_equal(feed4(fx, 0, 104, 1, 1), DECODE_OTHER);
	assert_int_equal(feed4(fx, 0, 104, 1, 2), DECODE_OTHER);
	assert_int_equal(feed4(fx, 0, 104, 1, 3), DECODE_DROP);
	assert_int_equal(dc(fx)->max_trackers_reached, 1);
	assert_int_equal(feed4(fx, 104, seglen - 104, 0, 1), DECODE_FLOW);
	assert_int_equal(feed4(fx, 0, 104, 1, 3), DECODE_OTHER);
	assert_int_equal(feed4(fx, 104, seglen - 104, 0, 3), DECODE_FLOW);
	assert_reassembled(fx, 0);
}

static void test_ipv4_memcap(void **state)
{
	fixture_t *fx = *state;

	fx->cfg.defrag_memcap = 4096; /* less than a header page and a data page */
	fx_reconfig(fx);
	make_tcp_seg(200, 0);
	assert_int_equal(feed4(fx, 0, 104, 1, 1), DECODE_DROP);
	assert_int_equal(dc(fx)->memcap_reached, 1);
	assert_int_equal(feed4(fx, 104, seglen - 104, 0, 1), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_IPV4_FRAG_IGNORED), 2);

	/* Room for three pages: a small datagram fits, a 5000-byte one does not. */
	fx->cfg.defrag_memcap = 7000;
	fx_reconfig(fx);
	assert_int_equal(feed4(fx, 0, 104, 1, 1), DECODE_OTHER);
	assert_int_equal(feed4(fx, 104, seglen - 104, 0, 1), DECODE_FLOW);
	assert_reassembled(fx, 0);
	make_tcp_seg(5000, 0);
	assert_int_equal(feed4(fx, 0, 2400, 1, 2), DECODE_OTHER);
	assert_int_equal(feed4(fx, 2400, 2400, 1, 2), DECODE_DROP);
	assert_int_equal(dc(fx)->memcap_reached, 1);
	assert_true(fx->acct.in_use > 0);
}

static void test_ipv4_too_large(void **state)
{
	fixture_t *fx = *state;

	make_tcp_seg(200, 0);
	assert_int_equal(feed4(fx, 65512, 40, 0, 1), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_IPV4_FRAG_PKT_TOO_LARGE), 1);
	assert_int_equal(feed4(fx, 65504, 8, 1, 2), DECODE_OTHER);
	assert_int_equal(feed4(fx, 65512, 3, 0, 2), DECODE_OTHER);
	assert_int_equal(ev(fx, DECODE_EV_IPV4_FRAG_PKT_TOO_LARGE), 1);
}

/* A datagram as big as IPv4 allows, in 1480-byte fragments. */
static void test_ipv4_largest(void **state)
{
	fixture_t *fx = *state;
	size_t off, n;

	make_tcp_seg(65515 - 20, 0);
	assert_int_equal(seglen, 65515);
	for (off = 0; off < seglen; off += n) {
		n = seglen - off > 1480 ? 1480 : seglen - off;
		assert_int_equal(feed4(fx, off, n, off + n < seglen, 77),
				 off + n < seglen ? DECODE_OTHER : DECODE_FLOW);
	}
	assert_reassembled(fx, 0);
	assert_int_equal(fx->p.l3_len, 65535);
}

/* Conflicting ends: nothing a receiver could rebuild. */
static void test_ipv4_inconsistent(void **state)
{
	fixture_t *fx = *state;

	make_tcp_seg(200, 0);
	assert_int_equal(feed4(fx, 104, seglen - 104, 0, 1), DECODE_OTHER);
	assert_int_equal(feed4(fx, 104, 16, 0, 1), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_IPV4_FRAG_IGNORED), 1);
	assert_int_equal(feed4(fx, 0, 104, 1, 1), DECODE_DROP);

	assert_int_equal(feed4(fx, 104, 16, 0, 2), DECODE_OTHER);
	assert_int_equal(feed4(fx, 0, 160, 1, 2), DECODE_DROP);
	assert_int_equal(dc(fx)->ipv4_reassembled, 0);
}

/* Same addresses and id on two VLANs: two datagrams. */
static void test_ipv4_key_includes_vlan(void **state)
{
	fixture_t *fx = *state;
	static frame_t V;

	make_tcp_seg(300, 0);
	f_init(&V);
	f_frag4(&V, seg, 0, 160, 1, 5, 6);
	f_vlan(&V, 10, 0x0800);
	f_eth(&V, 0x8100);
	assert_int_equal(feed(fx, &V), DECODE_OTHER);
	assert_int_equal(fx->p.vlan[0], 10);
	assert_int_equal(feed4(fx, 160, seglen - 160, 0, 5), DECODE_OTHER);
	assert_int_equal(feed4(fx, 0, 160, 1, 5), DECODE_FLOW);
	assert_reassembled(fx, 0);
	assert_int_equal(fx->p.vlan_count, 0);
}

/* ------------------------------------------------------------------ IPv6 */

static void test_ipv6_in_order_with_hbh(void **state)
{
	fixture_t *fx = *state;

	make_tcp_seg(2000, 1);
	assert_int_equal(feed6(fx, 0, 1000, 1, 0x11223344, 1), DECODE_OTHER);
	assert_int_equal(feed6(fx, 1000, seglen - 1000, 0, 0x11223344, 1), DECODE_FLOW);
	assert_reassembled(fx, 1);
	/* The hop-by-hop header now names TCP, and the payload length covers it all. */
	assert_int_equal(fx->p.l3[6], 0);
	assert_int_equal(fx->p.l3[40], 6);
	assert_int_equal(r16(fx->p.l3 + 4), 8 + seglen);
	assert_int_equal(fx->p.l3_len, 40 + 8 + seglen);
	assert_int_equal(dc(fx)->ipv6_fragments, 2);
	assert_int_equal(dc(fx)->ipv6_reassembled, 1);
}

static void test_ipv6_reverse_and_overlap(void **state)
{
	fixture_t *fx = *state;

	make_tcp_seg(3000, 1);
	assert_int_equal(feed6(fx, 2000, seglen - 2000, 0, 5, 0), DECODE_OTHER);
	assert_int_equal(feed6(fx, 1000, 1000, 1, 5, 0), DECODE_OTHER);
	assert_int_equal(feed6(fx, 1000, 1000, 1, 5, 0), DECODE_OTHER);
	assert_int_equal(ev(fx, DECODE_EV_IPV6_FRAG_OVERLAP), 1);
	assert_int_equal(feed6(fx, 0, 1000, 1, 5, 0), DECODE_FLOW);
	assert_reassembled(fx, 1);
	assert_int_equal(fx->p.l3[6], 6);
}

static void test_ipv6_invalid(void **state)
{
	fixture_t *fx = *state;

	make_tcp_seg(3000, 1);
	assert_int_equal(feed6(fx, 0, 1001, 1, 6, 0), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_IPV6_FRAG_INVALID_LENGTH), 1);
	assert_int_equal(feed6(fx, 65000, 600, 0, 6, 0), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_IPV6_FRAG_PKT_TOO_LARGE), 1);
	assert_int_equal(dc(fx)->ipv6_reassembled, 0);

	/* Truncated fragment header. */
	f_init(&F);
	f_push(&F, 4);
	f_ipv6(&F, 44);
	f_eth(&F, 0x86dd);
	assert_int_equal(feed(fx, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_IPV6_TRUNC_EXTHDR), 1);
}

static void test_ipv6_timeout_and_limits(void **state)
{
	fixture_t *fx = *state;

	fx->cfg.defrag_max_trackers = 1;
	fx_reconfig(fx);
	make_tcp_seg(100, 1);
	assert_int_equal(feed6(fx, 0, 64, 1, 1, 0), DECODE_OTHER);
	assert_int_equal(feed6(fx, 0, 64, 1, 2, 0), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_IPV6_FRAG_IGNORED), 1);
	decode_tick(fx->ctx, fx->now + 61 * SEC);
	assert_int_equal(dc(fx)->ipv6_timeouts, 1);
	fx->now += 61 * SEC;
	assert_int_equal(feed6(fx, 0, 64, 1, 2, 0), DECODE_OTHER);
	assert_int_equal(feed6(fx, 64, seglen - 64, 0, 2, 0), DECODE_FLOW);
	assert_reassembled(fx, 1);
}

/*
 * Fragment headers nested in reassembled IPv6 datagrams: level j's payload is the last fragment
 * of level j + 1, whose first fragments were sent ahead. The innermost level holds the TCP
 * segment. One packet then completes 'levels' datagrams in a row.
 */
static int feed_nested6(fixture_t *fx, int levels)
{
	uint8_t P[8][24];
	int j;

	make_tcp_seg(4, 1);
	assert_int_equal(seglen, 24);
	memcpy(P[levels], seg, 24);
	for (j = levels - 1; j >= 1; j--) {
		memset(P[j], 0, 8);
		P[j][0] = j + 1 == levels ? 6 : 44;
		w16(P[j] + 2, 8);
		w32(P[j] + 4, (uint32_t)(100 + j + 1));
		memcpy(P[j] + 8, P[j + 1] + 8, 16);
	}
	for (j = 1; j <= levels; j++) {
		f_init(&F);
		memcpy(f_push(&F, 8), P[j], 8);
		f_ipv6_frag(&F, j == levels ? 6 : 44, 0, 1, (uint32_t)(100 + j));
		f_ipv6(&F, 44);
		f_eth(&F, 0x86dd);
		assert_int_equal(feed(fx, &F), DECODE_OTHER);
	}
	f_init(&F);
	memcpy(f_push(&F, 16), P[1] + 8, 16);
	f_ipv6_frag(&F, 44, 8, 0, 101);
	f_ipv6(&F, 44);
	f_eth(&F, 0x86dd);
	return feed(fx, &F);
}

static void test_ipv6_nested_reassembly_capped(void **state)
{
	fixture_t *fx = *state;

	assert_int_equal(feed_nested6(fx, DECODE_MAX_TUNNEL_DEPTH + 1), DECODE_FLOW);
	assert_reassembled(fx, 1);
	assert_int_equal(dc(fx)->ipv6_reassembled, DECODE_MAX_TUNNEL_DEPTH + 1);
	assert_int_equal(decode_counters(fx->ctx)->too_many_layers, 0);

	fx_reconfig(fx);
	assert_int_equal(feed_nested6(fx, DECODE_MAX_TUNNEL_DEPTH + 2), DECODE_DROP);
	assert_int_equal(decode_counters(fx->ctx)->too_many_layers, 1);
}

/* ------------------------------------------------------------------ tunnels */

/* Ethernet / IPv4 / GRE (key) / IPv4 fragment of seg. */
static int feed_gre_frag(fixture_t *fx, size_t off, size_t len, int more, uint32_t key)
{
	uint8_t *g;

	f_init(&F);
	f_frag4(&F, seg, off, len, more, 21, 6);
	g = f_push(&F, 8);
	w16(g, 0x2000);
	w16(g + 2, 0x0800);
	w32(g + 4, key);
	f_ipv4_x(&F, 47, B4, A4, 1, 0);
	f_eth(&F, 0x0800);
	return feed(fx, &F);
}

/* Fragments of the datagram inside a GRE tunnel: the tunnel is part of the key. */
static void test_fragments_inside_gre(void **state)
{
	fixture_t *fx = *state;

	make_tcp_seg(900, 0);
	assert_int_equal(feed_gre_frag(fx, 0, 480, 1, 5), DECODE_OTHER);
	assert_int_equal(feed_gre_frag(fx, 480, seglen - 480, 0, 6), DECODE_OTHER);
	assert_int_equal(feed_gre_frag(fx, 480, seglen - 480, 0, 5), DECODE_FLOW);
	assert_reassembled(fx, 0);
	assert_int_equal(fx->p.tunnel_type, PACKET_TUNNEL_GRE);
	assert_int_equal(fx->p.tunnel_id, 5);
	assert_int_equal(fx->p.tunnel_depth, 1);
	assert_int_equal(dc(fx)->ipv4_reassembled, 1);
}

/* A fragmented outer datagram carrying a whole GRE-tunnelled packet. */
static void test_fragmented_tunnel(void **state)
{
	fixture_t *fx = *state;
	static uint8_t outer[4000];
	size_t olen;
	uint8_t *g;

	make_tcp_seg(1500, 0);
	f_init(&F);
	memcpy(f_push(&F, seglen), seg, seglen);
	f_ipv4_x(&F, 6, A4, B4, 3, 0);
	g = f_push(&F, 8);
	w16(g, 0x2000);
	w16(g + 2, 0x0800);
	w32(g + 4, 44);
	olen = f_len(&F);
	memcpy(outer, f_data(&F), olen);

	f_init(&F);
	f_frag4(&F, outer, 800, olen - 800, 0, 99, 47);
	f_eth(&F, 0x0800);
	assert_int_equal(feed(fx, &F), DECODE_OTHER);
	f_init(&F);
	f_frag4(&F, outer, 0, 800, 1, 99, 47);
	f_eth(&F, 0x0800);
	assert_int_equal(feed(fx, &F), DECODE_FLOW);
	assert_reassembled(fx, 0);
	assert_int_equal(fx->p.tunnel_type, PACKET_TUNNEL_GRE);
	assert_int_equal(fx->p.tunnel_id, 44);
}

/*
 * Both layers fragmented: the inner datagram's last fragment arrives inside a reassembled
 * outer datagram, so it lives in the very buffer its own reassembly is written to.
 */
static void test_nested_fragments(void **state)
{
	fixture_t *fx = *state;
	static uint8_t outer[4000];
	size_t olen;

	make_tcp_seg(1200, 0);
	/* Inner fragment 1 in an unfragmented IP-in-IP packet. */
	f_init(&F);
	f_frag4(&F, seg, 0, 600, 1, 31, 6);
	f_ipv4_x(&F, 4, B4, A4, 1, 0);
	f_eth(&F, 0x0800);
	assert_int_equal(feed(fx, &F), DECODE_OTHER);
	/* Inner fragment 2 in a fragmented outer datagram. */
	f_init(&F);
	f_frag4(&F, seg, 600, seglen - 600, 0, 31, 6);
	olen = f_len(&F);
	memcpy(outer, f_data(&F), olen);
	f_init(&F);
	f_frag4(&F, outer, 0, 304, 1, 32, 4);
	f_eth(&F, 0x0800);
	assert_int_equal(feed(fx, &F), DECODE_OTHER);
	f_init(&F);
	f_frag4(&F, outer, 304, olen - 304, 0, 32, 4);
	f_eth(&F, 0x0800);
	assert_int_equal(feed(fx, &F), DECODE_FLOW);
	assert_reassembled(fx, 0);
	assert_int_equal(fx->p.tunnel_type, PACKET_TUNNEL_IPIP);
	assert_int_equal(dc(fx)->ipv4_reassembled, 2);
}

/* Checksums of reassembled datagrams: a corrupted fragment fails the TCP sum of the whole. */
static void test_checksum_of_reassembled(void **state)
{
	fixture_t *fx = *state;

	make_tcp_seg(1000, 0);
	assert_int_equal(feed4(fx, 0, 504, 1, 41), DECODE_OTHER);
	seg[600] ^= 0x55;
	assert_int_equal(feed4(fx, 504, seglen - 504, 0, 41), DECODE_DROP);
	assert_int_equal(decode_counters(fx->ctx)->csum_invalid_tcp, 1);
	assert_int_equal(decode_counters(fx->ctx)->csum_invalid_ipv4, 0);
	assert_int_equal(dc(fx)->ipv4_reassembled, 1);
}

/* Fragments cut at every length never reach the defragmenter, and never crash. */
static void test_truncated_fragments(void **state)
{
	fixture_t *fx = *state;
	size_t n, len;
	int r;

	make_tcp_seg(300, 1);
	frag6(&F, 0, 160, 1, 9, 1);
	len = f_len(&F);
	for (n = 0; n < len; n++) {
		free(fx->copy);
		fx->copy = malloc(n ? n : 1);
		assert_non_null(fx->copy);
		memcpy(fx->copy, f_data(&F), n);
		memset(&fx->p, 0, sizeof(fx->p));
		fx->p.data = fx->copy;
		fx->p.caplen = (uint32_t)n;
		fx->p.linktype = DLT_EN10MB;
		fx->p.ts_us = fx->now;
		r = decode_packet(fx->ctx, &fx->p);
		assert_true(r == DECODE_DROP || r == DECODE_OTHER);
	}
	assert_int_equal(dc(fx)->ipv6_fragments, 0);
	assert_int_equal(feed(fx, &F), DECODE_OTHER);
	assert_int_equal(dc(fx)->ipv6_fragments, 1);
}

/* The reassembly buffer is taken up front: a cap too small for it fails creation cleanly. */
static void test_ctx_new_account_cap(void **state)
{
	mem_account_t acct;
	decode_config_t cfg;
	decode_ctx_t *ctx;

	(void)state;
	decode_config_default(&cfg);
	mem_account_init(&acct, "defrag", 40000);
	assert_int_not_equal(decode_ctx_new(&ctx, &cfg, &acct), 0);
	assert_null(ctx);
	assert_int_equal(acct.in_use, 0);
	assert_true(acct.cap_hits > 0);
	mem_account_init(&acct, "defrag", 200000);
	assert_int_equal(decode_ctx_new(&ctx, &cfg, &acct), 0);
	decode_ctx_free(ctx);
	assert_int_equal(acct.in_use, 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_ipv4_in_order),
		T(test_ipv4_reverse_order),
		T(test_ipv4_overlap_first_wins),
		T(test_ipv4_duplicate),
		T(test_ipv4_unaligned_fragment),
		T(test_ipv4_timeout),
		T(test_ipv4_too_many_fragments),
		T(test_ipv4_max_trackers),
		T(test_ipv4_memcap),
		T(test_ipv4_too_large),
		T(test_ipv4_largest),
		T(test_ipv4_inconsistent),
		T(test_ipv4_key_includes_vlan),
		T(test_ipv6_in_order_with_hbh),
		T(test_ipv6_reverse_and_overlap),
		T(test_ipv6_invalid),
		T(test_ipv6_timeout_and_limits),
		T(test_ipv6_nested_reassembly_capped),
		T(test_fragments_inside_gre),
		T(test_fragmented_tunnel),
		T(test_nested_fragments),
		T(test_checksum_of_reassembled),
		T(test_truncated_fragments),
		cmocka_unit_test(test_ctx_new_account_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

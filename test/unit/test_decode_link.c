/*
 * test_decode_link.c - the link layers of the decode stage: Linux cooked capture (SLL, SLL2),
 * raw IP, BSD null / loopback, VLAN stacks, MPLS (with Ethernet pseudowires), PPPoE sessions
 * and discovery, PPP, Cisco HDLC, NFLOG and 802.2 LLC / SNAP, and their truncation at every
 * byte offset (run it under ASan: each packet is decoded from a heap copy of exactly its length,
 * so any read past the end is caught).
 *
 * Split from test_decode.c, whose fixture this repeats; packets are built by the helpers in
 * test_frame.h and below.
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
#include "test_decode_fixture.h"

/* ------------------------------------------------------------------ packet builders */

/* The common builders are in test_frame.h. */

/* A PPPoE session header and the PPP protocol field, compressed to one byte when pfc. */
static void f_pppoe_ppp(frame_t *f, uint16_t proto, int pfc)
{
	uint8_t *h;
	size_t n;

	if (pfc)
		f_push(f, 1)[0] = (uint8_t)proto;
	else
		w16(f_push(f, 2), proto);
	n = f_len(f);
	h = f_push(f, 6);
	h[0] = 0x11; /* version 1, type 1 */
	w16(h + 2, 0x1234); /* session id */
	w16(h + 4, (uint16_t)n);
}

/* A whole PPPoE discovery frame of the given code: Service-Name (empty) and AC-Name tags. */
static void f_pppoe_disc(frame_t *f, uint8_t code)
{
	uint8_t *h;
	size_t n;

	f_init(f);
	memcpy(f_push(f, 8), "\x01\x02\x00\x04isp1", 8);
	memcpy(f_push(f, 4), "\x01\x01\x00\x00", 4);
	n = f_len(f);
	h = f_push(f, 6);
	h[0] = 0x11;
	h[1] = code;
	w16(h + 4, (uint16_t)n);
	f_eth(f, 0x8863);
}

static void f_chdlc(frame_t *f, uint16_t proto)
{
	uint8_t *h = f_push(f, 4);

	h[0] = 0x0f; /* unicast */
	w16(h + 2, proto);
}

/* 802.2 LLC SNAP: AA AA 03, the OUI and the protocol (an 802.3 length goes in front of it). */
static void f_snap(frame_t *f, uint32_t oui, uint16_t proto)
{
	uint8_t *h = f_push(f, 8);

	h[0] = 0xaa;
	h[1] = 0xaa;
	h[2] = 0x03;
	h[3] = (uint8_t)(oui >> 16);
	h[4] = (uint8_t)(oui >> 8);
	h[5] = (uint8_t)oui;
	w16(h + 6, proto);
}

/* NFLOG TLVs are in host byte order. */
static void wh16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* Prepends one NFLOG TLV holding v, padded to 4 bytes. */
static void f_nflog_tlv(frame_t *f, uint16_t type, const void *v, size_t len)
{
	uint8_t *h;

	f_push(f, (4 - len % 4) % 4);
	memcpy(f_push(f, len), v, len);
	h = f_push(f, 4);
	wh16(h, (uint16_t)(4 + len));
	wh16(h + 2, type);
}

/*
 * Wraps the IP packet in f into NFLOG of family fam: header, prefix (padded), packet header and
 * payload TLVs, then, with trailer, a UID TLV after the (padded) payload.
 */
static void f_nflog(frame_t *f, uint8_t fam, int trailer)
{
	static uint8_t ip[FRAME_CAP];
	size_t n = f_len(f);
	uint8_t *h;

	memcpy(ip, f_data(f), n);
	f_init(f);
	if (trailer)
		f_nflog_tlv(f, 11, "\0\0\0\x2a", 4); /* NFULA_UID */
	f_nflog_tlv(f, 9, ip, n); /* NFULA_PAYLOAD */
	f_nflog_tlv(f, 1, "\x08\x00\x03\x00", 4); /* NFULA_PACKET_HDR */
	f_nflog_tlv(f, 10, "web\0", 5); /* NFULA_PREFIX, 5 bytes: 3 of padding */
	h = f_push(f, 4);
	h[0] = fam;
	w16(h + 2, 7); /* resource id */
}

/* The fixture (decoder, exact-length copies, counters) is in test_decode_fixture.h. */

static frame_t F; /* 70 KB: kept off the stack */

/* ------------------------------------------------------------------ link types */

/* An Ethernet capture exposes its header, borrowed from the packet; a runt frame does not. */
static void test_linktype_ethernet_header(void **state)
{
	fixture_t *fx = *state;

	f_init(&F);
	f_tcp(&F, 11, 22, PACKET_TCP_ACK);
	f_ipv4(&F, 6);
	f_eth(&F, 0x0800);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_ptr_equal(fx->p.eth, fx->copy);
	assert_memory_equal(fx->p.eth, "\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\x08\x00",
			    14);
	assert_int_equal(decode_bytes(fx, DLT_EN10MB, f_data(&F), 13), DECODE_DROP);
	assert_null(fx->p.eth);

	f_init(&F);
	f_tcp(&F, 11, 22, PACKET_TCP_ACK);
	f_ipv4(&F, 6);
	assert_int_equal(decode_frame(fx, 12, &F), DECODE_FLOW);
	assert_null(fx->p.eth);
}

static void test_linktypes_cooked_raw(void **state)
{
	fixture_t *fx = *state;

	f_init(&F);
	f_tcp(&F, 11, 22, PACKET_TCP_ACK);
	f_ipv4(&F, 6);
	f_sll(&F, 0x0800);
	assert_int_equal(decode_frame(fx, 113, &F), DECODE_FLOW);
	assert_v4_tcp(&fx->p, 11, 22);
	assert_null(fx->p.eth); /* no Ethernet header: no `ether` in its events */
	assert_int_equal(cnt(fx)->sll, 1);
	assert_int_equal(decode_bytes(fx, 113, f_data(&F), 15), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_SLL_PKT_TOO_SMALL), 1);

	f_init(&F);
	f_tcp(&F, 11, 22, PACKET_TCP_ACK);
	f_ipv6(&F, 6);
	f_sll2(&F, 0x86dd);
	assert_int_equal(decode_frame(fx, 276, &F), DECODE_FLOW);
	assert_int_equal(fx->p.ip_version, 6);
	assert_int_equal(fx->p.dport, 22);
	assert_int_equal(cnt(fx)->sll2, 1);
	assert_int_equal(decode_bytes(fx, 276, f_data(&F), 19), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_SLL2_PKT_TOO_SMALL), 1);

	f_init(&F);
	f_tcp(&F, 11, 22, PACKET_TCP_ACK);
	f_ipv4(&F, 6);
	assert_int_equal(decode_frame(fx, 12, &F), DECODE_FLOW);
	assert_int_equal(decode_frame(fx, 101, &F), DECODE_FLOW);
	assert_int_equal(decode_frame(fx, 228, &F), DECODE_FLOW);
	assert_v4_tcp(&fx->p, 11, 22);
	assert_int_equal(decode_frame(fx, 229, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_IPV6_WRONG_IP_VERSION), 1);
	f_data(&F)[0] = 0x55;
	assert_int_equal(decode_frame(fx, 12, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_RAW_INVALID_IP_VERSION), 1);
	assert_int_equal(decode_bytes(fx, 101, f_data(&F), 0), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_RAW_INVALID_IP_VERSION), 2);

	f_init(&F);
	f_tcp(&F, 11, 22, PACKET_TCP_ACK);
	f_ipv6(&F, 6);
	assert_int_equal(decode_frame(fx, 12, &F), DECODE_FLOW);
	assert_int_equal(decode_frame(fx, 229, &F), DECODE_FLOW);
	assert_int_equal(fx->p.ip_version, 6);
	assert_int_equal(decode_frame(fx, 228, &F), DECODE_DROP);
	assert_int_equal(cnt(fx)->raw, 9);

	assert_int_equal(decode_frame(fx, 147, &F), DECODE_DROP);
	assert_int_equal(cnt(fx)->unsupported_linktype, 1);
}

static void test_linktypes_null_loop(void **state)
{
	fixture_t *fx = *state;
	static const uint32_t v6fam[] = {24, 28, 30};
	int be, i, lt;

	for (lt = 0; lt <= 108; lt += 108) {
		for (be = 0; be <= 1; be++) {
			f_init(&F);
			f_tcp(&F, 3, 4, PACKET_TCP_ACK);
			f_ipv4(&F, 6);
			f_null(&F, 2, be);
			assert_int_equal(decode_frame(fx, lt, &F), DECODE_FLOW);
			assert_v4_tcp(&fx->p, 3, 4);
			for (i = 0; i < 3; i++) {
				f_init(&F);
				f_tcp(&F, 3, 4, PACKET_TCP_ACK);
				f_ipv6(&F, 6);
				f_null(&F, v6fam[i], be);
				assert_int_equal(decode_frame(fx, lt, &F), DECODE_FLOW);
				assert_int_equal(fx->p.ip_version, 6);
			}
		}
	}
	assert_int_equal(cnt(fx)->null, 16);
	f_init(&F);
	f_payload(&F, 20, 0);
	f_null(&F, 7, 0);
	assert_int_equal(decode_frame(fx, 0, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_NULL_UNSUPPORTED_TYPE), 1);
	assert_int_equal(decode_bytes(fx, 108, f_data(&F), 3), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_NULL_PKT_TOO_SMALL), 1);
}

/* ------------------------------------------------------------------ VLAN and MPLS */

static void test_vlan_stacks(void **state)
{
	fixture_t *fx = *state;

	f_init(&F);
	f_tcp(&F, 1, 2, PACKET_TCP_ACK);
	f_ipv4(&F, 6);
	f_vlan(&F, 0xe00a, 0x0800); /* priority bits are not part of the id */
	f_eth(&F, 0x8100);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_int_equal(fx->p.vlan_count, 1);
	assert_int_equal(fx->p.vlan[0], 10);
	assert_ptr_equal(fx->p.l3, fx->p.data + 18);

	f_init(&F);
	f_tcp(&F, 1, 2, PACKET_TCP_ACK);
	f_ipv6(&F, 6);
	f_vlan(&F, 20, 0x86dd);
	f_vlan(&F, 10, 0x8100);
	f_eth(&F, 0x88a8);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_int_equal(fx->p.vlan_count, 2);
	assert_int_equal(fx->p.vlan[0], 10);
	assert_int_equal(fx->p.vlan[1], 20);

	f_init(&F);
	f_tcp(&F, 1, 2, PACKET_TCP_ACK);
	f_ipv4(&F, 6);
	f_vlan(&F, 30, 0x0800);
	f_vlan(&F, 20, 0x8100);
	f_vlan(&F, 10, 0x88a8);
	f_eth(&F, 0x9100);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_int_equal(fx->p.vlan_count, 3);
	assert_int_equal(fx->p.vlan[2], 30);
	assert_int_equal(cnt(fx)->vlan, 3);
	assert_int_equal(cnt(fx)->vlan_qinq, 2);
	assert_int_equal(cnt(fx)->vlan_qinqinq, 1);

	f_init(&F);
	f_tcp(&F, 1, 2, PACKET_TCP_ACK);
	f_ipv4(&F, 6);
	f_vlan(&F, 40, 0x0800);
	f_vlan(&F, 30, 0x8100);
	f_vlan(&F, 20, 0x8100);
	f_vlan(&F, 10, 0x8100);
	f_eth(&F, 0x8100);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_VLAN_TOO_MANY_LAYERS), 1);

	f_init(&F);
	f_push(&F, 3);
	f_eth(&F, 0x8100);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_VLAN_HEADER_TOO_SMALL), 1);
}

static void test_mpls(void **state)
{
	fixture_t *fx = *state;

	f_init(&F);
	f_tcp(&F, 1, 2, PACKET_TCP_ACK);
	f_ipv4(&F, 6);
	f_mpls(&F, 1000, 1);
	f_eth(&F, 0x8847);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_v4_tcp(&fx->p, 1, 2);

	f_init(&F);
	f_tcp(&F, 1, 2, PACKET_TCP_ACK);
	f_ipv6(&F, 6);
	f_mpls(&F, 2000, 1);
	f_mpls(&F, 1000, 0);
	f_eth(&F, 0x8848);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_int_equal(fx->p.ip_version, 6);

	/* IPv6 explicit null. */
	f_init(&F);
	f_tcp(&F, 1, 2, PACKET_TCP_ACK);
	f_ipv6(&F, 6);
	f_mpls(&F, 2, 1);
	f_eth(&F, 0x8847);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);

	/* Ethernet pseudowire with control word, inner VLAN. */
	f_init(&F);
	f_tcp(&F, 1, 2, PACKET_TCP_ACK);
	f_ipv4(&F, 6);
	f_vlan(&F, 77, 0x0800);
	f_eth(&F, 0x8100);
	f_push(&F, 4); /* control word */
	f_mpls(&F, 3000, 1);
	f_mpls(&F, 1000, 0);
	f_eth(&F, 0x8847);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_v4_tcp(&fx->p, 1, 2);
	assert_int_equal(fx->p.vlan[0], 77);
	assert_int_equal(cnt(fx)->mpls, 4);
	assert_int_equal(cnt(fx)->ethernet, 5);

	f_init(&F);
	f_payload(&F, 20, 0x50);
	f_mpls(&F, 1000, 1);
	f_eth(&F, 0x8847);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_MPLS_UNKNOWN_PAYLOAD_TYPE), 1);

	f_init(&F);
	f_mpls(&F, 1000, 1);
	f_eth(&F, 0x8847);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_MPLS_PKT_TOO_SMALL), 1);

	f_init(&F);
	f_push(&F, 2);
	f_mpls(&F, 1000, 0);
	f_eth(&F, 0x8847);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_MPLS_HEADER_TOO_SMALL), 1);
}

/* Pseudowires inside pseudowires: the link-layer cap stops the recursion. */
static void test_mpls_pw_recursion_capped(void **state)
{
	fixture_t *fx = *state;
	int i;

	f_init(&F);
	f_tcp(&F, 1, 2, PACKET_TCP_ACK);
	f_ipv4(&F, 6);
	f_eth(&F, 0x0800);
	for (i = 0; i < 40; i++) {
		f_push(&F, 4);
		f_mpls(&F, 100, 1);
		f_eth(&F, 0x8847);
	}
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_true(cnt(fx)->too_many_layers >= 1);
}

/* ------------------------------------------------------------------ PPPoE, PPP */

static void test_pppoe_session(void **state)
{
	fixture_t *fx = *state;

	f_inner_ip4(&F);
	f_pppoe_ppp(&F, 0x0021, 0);
	f_eth(&F, 0x8864);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_inner(&fx->p, PACKET_TUNNEL_NONE, 0, 0);
	assert_ptr_equal(fx->p.l3, fx->p.data + 14 + 8);
	assert_int_equal(cnt(fx)->pppoe, 1);
	assert_int_equal(cnt(fx)->ppp, 1);

	/* The protocol field compressed to one byte (odd first byte, RFC 1661 PFC). */
	f_inner_ip4(&F);
	f_pppoe_ppp(&F, 0x21, 1);
	f_eth(&F, 0x8864);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_inner(&fx->p, PACKET_TUNNEL_NONE, 0, 0);
	assert_ptr_equal(fx->p.l3, fx->p.data + 14 + 7);

	/* IPv6, both forms, behind a VLAN tag. */
	f_init(&F);
	f_tcp(&F, 5, 443, PACKET_TCP_SYN);
	f_ipv6(&F, 6);
	f_pppoe_ppp(&F, 0x0057, 0);
	f_vlan(&F, 12, 0x8864);
	f_eth(&F, 0x8100);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_int_equal(fx->p.ip_version, 6);
	assert_int_equal(fx->p.dport, 443);
	assert_int_equal(fx->p.vlan[0], 12);
	f_init(&F);
	f_tcp(&F, 5, 443, PACKET_TCP_SYN);
	f_ipv6(&F, 6);
	f_pppoe_ppp(&F, 0x57, 1);
	f_eth(&F, 0x8864);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_int_equal(fx->p.ip_version, 6);

	/* MPLS over PPP. */
	f_inner_ip4(&F);
	f_mpls(&F, 100, 1);
	f_pppoe_ppp(&F, 0x0281, 0);
	f_eth(&F, 0x8864);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_inner(&fx->p, PACKET_TUNNEL_NONE, 0, 0);
	assert_int_equal(cnt(fx)->mpls, 1);
	assert_int_equal(cnt(fx)->ppp, 5);
	assert_int_equal(cnt(fx)->invalid, 0);
}

/* Control protocols are flagged and left alone; an empty session frame carries nothing. */
static void test_pppoe_session_other(void **state)
{
	fixture_t *fx = *state;

	f_init(&F);
	f_payload(&F, 14, 1);
	f_pppoe_ppp(&F, 0xc021, 0); /* LCP */
	f_eth(&F, 0x8864);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_OTHER);
	assert_int_equal(ev(fx, DECODE_EV_PPP_UNSUP_PROTO), 1);
	f_init(&F);
	f_payload(&F, 14, 1);
	f_pppoe_ppp(&F, 0x2f, 1); /* Van Jacobson uncompressed */
	f_eth(&F, 0x8864);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_OTHER);
	assert_int_equal(ev(fx, DECODE_EV_PPP_UNSUP_PROTO), 2);

	f_inner_ip4(&F);
	f_pppoe_ppp(&F, 0x0021, 0);
	f_eth(&F, 0x8864);
	w16(f_data(&F) + 14 + 4, 0);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_OTHER);
	assert_int_equal(cnt(fx)->ppp, 2);
	assert_int_equal(cnt(fx)->invalid, 0);
}

static void test_pppoe_session_errors(void **state)
{
	fixture_t *fx = *state;
	static const uint16_t bad_proto[] = {0x0022, 0xc020, 0x0000};
	size_t i;

	f_inner_ip4(&F);
	f_pppoe_ppp(&F, 0x0021, 0);
	f_eth(&F, 0x8864);
	assert_int_equal(decode_bytes(fx, DLT_EN10MB, f_data(&F), 14 + 5), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_PPPOE_PKT_TOO_SMALL), 1);
	assert_int_equal(decode_bytes(fx, DLT_EN10MB, f_data(&F), 14 + 6), DECODE_DROP);
	assert_int_equal(decode_bytes(fx, DLT_EN10MB, f_data(&F), 14 + 7), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_PPP_PKT_TOO_SMALL), 2);
	assert_int_equal(decode_bytes(fx, DLT_EN10MB, f_data(&F), 14 + 8 + 19), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_PPP_IP4_PKT_TOO_SMALL), 1);

	f_init(&F);
	f_payload(&F, 39, 0x60);
	f_pppoe_ppp(&F, 0x57, 1);
	f_eth(&F, 0x8864);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_PPP_IP6_PKT_TOO_SMALL), 1);

	/* Not a PPP protocol number: the low octet even. (An odd high octet is the one-byte form.) */
	for (i = 0; i < sizeof(bad_proto) / sizeof(bad_proto[0]); i++) {
		f_inner_ip4(&F);
		f_pppoe_ppp(&F, bad_proto[i], 0);
		f_eth(&F, 0x8864);
		assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	}
	assert_int_equal(ev(fx, DECODE_EV_PPP_WRONG_TYPE), 3);
	assert_int_equal(ev(fx, DECODE_EV_PPP_UNSUP_PROTO), 0);
	assert_int_equal(cnt(fx)->invalid, 8);
}

static void test_pppoe_discovery(void **state)
{
	fixture_t *fx = *state;
	uint8_t *h, pad[60];

	f_pppoe_disc(&F, 0x09); /* PADI */
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_OTHER);
	assert_int_equal(cnt(fx)->pppoe, 1);
	assert_int_equal(cnt(fx)->ppp, 0);
	assert_int_equal(cnt(fx)->unknown_ethertype, 0);
	/* Ethernet padding after the tags is not part of them. */
	memset(pad, 0, sizeof(pad));
	memcpy(pad, f_data(&F), f_len(&F));
	assert_int_equal(decode_bytes(fx, DLT_EN10MB, pad, sizeof(pad)), DECODE_OTHER);

	f_pppoe_disc(&F, 0xbb);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_PPPOE_WRONG_CODE), 1);

	/* The payload length says more than the frame holds. */
	f_pppoe_disc(&F, 0x07);
	h = f_data(&F) + 14;
	w16(h + 4, 13);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	/* A tag runs past the payload. */
	w16(h + 4, 12);
	w16(h + 6 + 4 + 2, 5);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	/* A payload too short for a tag header. */
	w16(h + 6 + 4 + 2, 4);
	w16(h + 4, 6);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_PPPOE_MALFORMED_TAGS), 3);
	/* Whatever follows an End-Of-List tag is not read as tags. */
	w16(h + 4, 12);
	w16(h + 6, 0);
	w16(h + 6 + 4 + 2, 300);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_OTHER);

	assert_int_equal(decode_bytes(fx, DLT_EN10MB, f_data(&F), 14 + 5), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_PPPOE_PKT_TOO_SMALL), 1);
}

/* ------------------------------------------------------------------ Cisco HDLC, NFLOG, SNAP */

#define DLT_C_HDLC 104
#define DLT_NFLOG 239

static void test_chdlc(void **state)
{
	fixture_t *fx = *state;

	f_inner_ip4(&F);
	f_chdlc(&F, 0x0800);
	assert_int_equal(decode_frame(fx, DLT_C_HDLC, &F), DECODE_FLOW);
	assert_inner(&fx->p, PACKET_TUNNEL_NONE, 0, 0);
	assert_ptr_equal(fx->p.l3, fx->p.data + 4);
	assert_int_equal(cnt(fx)->chdlc, 1);
	assert_int_equal(cnt(fx)->ethernet, 0);

	f_init(&F);
	f_udp(&F, 53, 1053);
	f_ipv6(&F, 17);
	f_chdlc(&F, 0x86dd);
	assert_int_equal(decode_frame(fx, DLT_C_HDLC, &F), DECODE_FLOW);
	assert_int_equal(fx->p.ip_version, 6);

	/* SLARP keepalives carry nothing for us. */
	f_init(&F);
	f_payload(&F, 18, 0);
	f_chdlc(&F, 0x8035);
	assert_int_equal(decode_frame(fx, DLT_C_HDLC, &F), DECODE_OTHER);

	assert_int_equal(decode_bytes(fx, DLT_C_HDLC, f_data(&F), 3), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_CHDLC_PKT_TOO_SMALL), 1);
	assert_int_equal(cnt(fx)->chdlc, 4);
}

static void test_nflog(void **state)
{
	fixture_t *fx = *state;

	f_inner_ip4(&F);
	f_nflog(&F, 2, 1);
	assert_int_equal(decode_frame(fx, DLT_NFLOG, &F), DECODE_FLOW);
	assert_inner(&fx->p, PACKET_TUNNEL_NONE, 0, 0);
	assert_int_equal(fx->p.l3_len, 43);
	assert_int_equal(cnt(fx)->nflog, 1);

	/* IPv6 of an odd length, so that the payload TLV is padded before the trailing one. */
	f_init(&F);
	f_payload(&F, 7, 'x');
	f_udp(&F, 5353, 53);
	f_ipv6(&F, 17);
	f_nflog(&F, 10, 1);
	assert_int_equal(decode_frame(fx, DLT_NFLOG, &F), DECODE_FLOW);
	assert_int_equal(fx->p.ip_version, 6);
	assert_int_equal(fx->p.payload_len, 7);

	/* Netlink flag bits in the type are not part of it. */
	f_inner_ip4(&F);
	f_nflog(&F, 2, 0);
	wh16(f_data(&F) + 4 + 12 + 8 + 2, 9 | 0x4000);
	assert_int_equal(decode_frame(fx, DLT_NFLOG, &F), DECODE_FLOW);

	/* A payload cut by the snap length goes to IP, which says so (43 bytes, 1 of padding). */
	f_inner_ip4(&F);
	f_nflog(&F, 2, 0);
	assert_int_equal(decode_bytes(fx, DLT_NFLOG, f_data(&F), f_len(&F) - 1), DECODE_FLOW);
	assert_int_equal(decode_bytes(fx, DLT_NFLOG, f_data(&F), f_len(&F) - 2), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_IPV4_TRUNC_PKT), 1);

	/* No payload TLV (a copy range of 0): nothing to decode. */
	f_init(&F);
	f_nflog_tlv(&F, 1, "\x08\x00\x03\x00", 4);
	memcpy(f_push(&F, 4), "\x02\x00\x00\x07", 4);
	assert_int_equal(decode_frame(fx, DLT_NFLOG, &F), DECODE_OTHER);
	assert_int_equal(api_ev(fx, DECODE_API_EV_NFLOG_NO_PAYLOAD), 1);
	assert_int_equal(cnt(fx)->invalid, 1);
}

static void test_nflog_errors(void **state)
{
	fixture_t *fx = *state;
	uint8_t *d;

	f_inner_ip4(&F);
	f_nflog(&F, 2, 1);
	d = f_data(&F);
	assert_int_equal(decode_bytes(fx, DLT_NFLOG, d, 3), DECODE_DROP);
	assert_int_equal(api_ev(fx, DECODE_API_EV_NFLOG_PKT_TOO_SMALL), 1);
	d[1] = 1;
	assert_int_equal(decode_frame(fx, DLT_NFLOG, &F), DECODE_DROP);
	assert_int_equal(api_ev(fx, DECODE_API_EV_NFLOG_UNSUPPORTED_VERSION), 1);
	d[1] = 0;
	d[0] = 7; /* AF_BRIDGE */
	assert_int_equal(decode_frame(fx, DLT_NFLOG, &F), DECODE_DROP);
	assert_int_equal(api_ev(fx, DECODE_API_EV_NFLOG_UNSUPPORTED_TYPE), 1);
	d[0] = 2;
	/* A TLV shorter than its own header, and one longer than the packet. */
	wh16(d + 4, 3);
	assert_int_equal(decode_frame(fx, DLT_NFLOG, &F), DECODE_DROP);
	wh16(d + 4, 2000);
	assert_int_equal(decode_frame(fx, DLT_NFLOG, &F), DECODE_DROP);
	assert_int_equal(api_ev(fx, DECODE_API_EV_NFLOG_TLV_LEN_INVALID), 2);
	/* Family IPv6 with an IPv4 payload. */
	wh16(d + 4, 9);
	d[0] = 10;
	assert_int_equal(decode_frame(fx, DLT_NFLOG, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_IPV6_WRONG_IP_VERSION), 1);
	assert_int_equal(cnt(fx)->invalid, 6);
}

static void test_llc_snap(void **state)
{
	fixture_t *fx = *state;

	f_inner_ip4(&F);
	f_snap(&F, 0, 0x0800);
	f_eth(&F, (uint16_t)f_len(&F));
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_inner(&fx->p, PACKET_TUNNEL_NONE, 0, 0);
	assert_ptr_equal(fx->p.l3, fx->p.data + 14 + 8);
	assert_int_equal(cnt(fx)->llc, 1);

	/* 802.1H bridge-tunnel OUI, IPv6, behind a VLAN tag whose type is a length. */
	f_init(&F);
	f_tcp(&F, 1, 2, PACKET_TCP_ACK);
	f_ipv6(&F, 6);
	f_snap(&F, 0xf8, 0x86dd);
	f_vlan(&F, 9, (uint16_t)f_len(&F));
	f_eth(&F, 0x8100);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_int_equal(fx->p.ip_version, 6);
	assert_int_equal(fx->p.vlan[0], 9);

	/* A vendor OUI (Cisco CDP), a length as protocol, and spanning tree: nothing for us. */
	f_init(&F);
	f_payload(&F, 30, 0);
	f_snap(&F, 0x00000c, 0x2000);
	f_eth(&F, (uint16_t)f_len(&F));
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_OTHER);
	f_inner_ip4(&F);
	f_snap(&F, 0, 0x0100);
	f_eth(&F, (uint16_t)f_len(&F));
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_OTHER);
	f_init(&F);
	f_payload(&F, 35, 0);
	memcpy(f_push(&F, 3), "\x42\x42\x03", 3);
	f_eth(&F, (uint16_t)f_len(&F));
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_OTHER);
	assert_int_equal(cnt(fx)->unknown_ethertype, 0);

	/* Too short for LLC, or for SNAP. */
	assert_int_equal(decode_bytes(fx, DLT_EN10MB, f_data(&F), 16), DECODE_DROP);
	f_inner_ip4(&F);
	f_snap(&F, 0, 0x0800);
	f_eth(&F, (uint16_t)f_len(&F));
	assert_int_equal(decode_bytes(fx, DLT_EN10MB, f_data(&F), 21), DECODE_DROP);
	assert_int_equal(api_ev(fx, DECODE_API_EV_LLC_PKT_TOO_SMALL), 2);
	assert_int_equal(cnt(fx)->llc, 7);
}

/* ------------------------------------------------------------------ truncation */

/* Cut a valid packet at every length: never a read outside the copy, never a flow. */
static void truncate_everywhere(fixture_t *fx, int linktype, frame_t *f)
{
	size_t n, len = f_len(f);
	int r;

	assert_int_equal(decode_frame(fx, linktype, f), DECODE_FLOW);
	for (n = 0; n < len; n++) {
		r = decode_bytes(fx, linktype, f_data(f), n);
		if (r != DECODE_DROP && r != DECODE_OTHER)
			fail_msg("linktype %d cut at %zu of %zu gave %d", linktype, n, len, r);
	}
}

/*
 * Cut at every length as in test_decode.c's test_truncation: the link layers and options added
 * with PPPoE, Cisco HDLC, NFLOG and SNAP.
 */
static void test_truncation_added_layers(void **state)
{
	fixture_t *fx = *state;
	static const uint8_t md5[] = {1, 1, 19, 18, 1,	2,  3,	4,  5,	6,
				      7, 8, 9,	10, 11, 12, 13, 14, 15, 16};

	f_inner_ip4(&F);
	f_pppoe_ppp(&F, 0x0021, 0);
	f_vlan(&F, 3, 0x8864);
	f_eth(&F, 0x8100);
	truncate_everywhere(fx, DLT_EN10MB, &F);

	f_init(&F);
	f_udp(&F, 1, 2);
	f_ipv6(&F, 17);
	f_pppoe_ppp(&F, 0x57, 1);
	f_eth(&F, 0x8864);
	truncate_everywhere(fx, DLT_EN10MB, &F);

	f_inner_ip4(&F);
	f_chdlc(&F, 0x0800);
	truncate_everywhere(fx, DLT_C_HDLC, &F);

	f_init(&F);
	f_tcp(&F, 1, 2, PACKET_TCP_ACK);
	f_ipv6(&F, 6);
	f_nflog(&F, 10, 0);
	truncate_everywhere(fx, DLT_NFLOG, &F);

	f_inner_ip4(&F);
	f_snap(&F, 0, 0x0800);
	f_eth(&F, (uint16_t)f_len(&F));
	truncate_everywhere(fx, DLT_EN10MB, &F);

	f_tcp_opts_frame(&F, PACKET_TCP_ACK, md5, sizeof(md5));
	truncate_everywhere(fx, DLT_EN10MB, &F);
	assert_int_equal(cnt(fx)->pppoe > 0 && cnt(fx)->chdlc > 0 && cnt(fx)->nflog > 0, 1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_linktype_ethernet_header),
		T(test_linktypes_cooked_raw),
		T(test_linktypes_null_loop),
		T(test_vlan_stacks),
		T(test_mpls),
		T(test_mpls_pw_recursion_capped),
		T(test_pppoe_session),
		T(test_pppoe_session_other),
		T(test_pppoe_session_errors),
		T(test_pppoe_discovery),
		T(test_chdlc),
		T(test_nflog),
		T(test_nflog_errors),
		T(test_llc_snap),
		T(test_truncation_added_layers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

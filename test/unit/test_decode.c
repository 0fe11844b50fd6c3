/*
 * test_decode.c - the decode stage: Ethernet, IPv4 / IPv6 and their protocols, every tunnel
 * (VXLAN, Geneve, GRE, ERSPAN, IP in IP, GTP-U, GRE-in-UDP), IPv6 extension headers, TCP / UDP
 * fields and options, checksum validation, and truncation of valid packets at every byte offset
 * (run it under ASan: each packet is decoded from a heap copy of exactly its length, so any read
 * past the end is caught).
 *
 * Packets are built byte by byte by the helpers in test_frame.h and below; the link layers
 * (cooked capture, raw IP, null / loopback, VLAN, MPLS, PPPoE / PPP, Cisco HDLC, NFLOG, LLC /
 * SNAP) are test_decode_link.c, and fragment reassembly is test_defrag.c.
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

/*
 * The common builders (frame, checksums, TCP / UDP / IP / Ethernet / VLAN / MPLS, the cooked
 * and null link headers, the inner IPv4 packet and its checks) are in test_frame.h.
 */

static void f_ipv6_ah(frame_t *f, uint8_t nh, size_t len)
{
	uint8_t *h = f_push(f, len);

	h[0] = nh;
	h[1] = (uint8_t)(len / 4 - 2);
}

#define GRE_C 0x8000
#define GRE_R 0x4000
#define GRE_K 0x2000
#define GRE_S 0x1000

static void f_gre(frame_t *f, uint16_t flags, uint16_t proto, uint32_t key)
{
	size_t n = 4 + ((flags & (GRE_C | GRE_R)) ? 4 : 0) + ((flags & GRE_K) ? 4 : 0) +
		   ((flags & GRE_S) ? 4 : 0);
	uint8_t *h = f_push(f, n), *o = h + 4;

	w16(h, flags);
	w16(h + 2, proto);
	if (flags & (GRE_C | GRE_R))
		o += 4;
	if (flags & GRE_K) {
		w32(o, key);
		o += 4;
	}
	if (flags & GRE_S)
		w32(o, 77);
}

static void f_vxlan(frame_t *f, uint32_t vni)
{
	uint8_t *h = f_push(f, 8);

	h[0] = 0x08;
	w32(h + 4, vni << 8);
}

static void f_geneve(frame_t *f, uint16_t proto, uint32_t vni, int optwords)
{
	uint8_t *h;

	f_push(f, (size_t)optwords * 4);
	h = f_push(f, 8);
	h[0] = (uint8_t)optwords;
	w16(h + 2, proto);
	w32(h + 4, vni << 8);
}

static void f_erspan2(frame_t *f, uint16_t vlan, uint16_t session)
{
	uint8_t *h = f_push(f, 8);

	w16(h, (uint16_t)(0x1000 | vlan));
	w16(h + 2, session);
}

static void f_erspan3(frame_t *f, uint16_t vlan, uint16_t session, int subheader, int ft)
{
	uint8_t *h;

	if (subheader)
		f_push(f, 8);
	h = f_push(f, 12);
	w16(h, (uint16_t)(0x2000 | vlan));
	w16(h + 2, session);
	h[10] = (uint8_t)(ft << 2);
	h[11] = subheader ? 1 : 0;
}

#define GTP_E 0x04
#define GTP_S 0x02
#define GTP_GPDU 0xff

/*
 * GTPv1-U (version 1 and PT are added to flags) with n_ext extension headers when GTP_E is set:
 * alternately 1 and 2 units long, each naming a PDU session container (0x85) next.
 */
static void f_gtp(frame_t *f, uint8_t flags, uint8_t msg, uint32_t teid, int n_ext)
{
	uint8_t *h;
	size_t n;
	int i;

	for (i = 0; i < n_ext; i++) {
		h = f_push(f, (size_t)(i % 2 + 1) * 4);
		h[0] = (uint8_t)(i % 2 + 1);
		h[(i % 2 + 1) * 4 - 1] = i == 0 ? 0 : 0x85;
	}
	if (flags & 0x07) {
		h = f_push(f, 4);
		w16(h, 77); /* sequence number */
		h[3] = n_ext ? 0x85 : 0;
	}
	n = f_len(f);
	h = f_push(f, 8);
	h[0] = (uint8_t)(0x30 | flags);
	h[1] = msg;
	w16(h + 2, (uint16_t)n);
	w32(h + 4, teid);
}

/* Ethernet / IPv4 / TCP to port 80 with n payload bytes: the common case. */
static void f_tcp4_frame(frame_t *f, size_t n)
{
	f_init(f);
	f_payload(f, n, 'a');
	f_tcp(f, 40000, 80, 0x18);
	f_ipv4(f, 6);
	f_eth(f, 0x0800);
}

/* The fixture (decoder, exact-length copies, counters) is in test_decode_fixture.h. */

static frame_t F; /* 70 KB: kept off the stack */

/* ------------------------------------------------------------------ basics */

static void test_ether_ipv4_tcp(void **state)
{
	fixture_t *fx = *state;
	const packet_t *p = &fx->p;

	f_tcp4_frame(&F, 5);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_v4_tcp(p, 40000, 80);
	assert_int_equal(p->ttl, 64);
	assert_int_equal(p->tcp_seq, 1000);
	assert_int_equal(p->tcp_ack, 2000);
	assert_int_equal(p->tcp_flags, PACKET_TCP_PSH | PACKET_TCP_ACK);
	assert_int_equal(p->tcp_win, 8192);
	assert_ptr_equal(p->l3, p->data + 14);
	assert_int_equal(p->l3_len, 45);
	assert_ptr_equal(p->l4, p->data + 34);
	assert_int_equal(p->l4_len, 25);
	assert_ptr_equal(p->payload, p->data + 54);
	assert_int_equal(p->payload_len, 5);
	assert_memory_equal(p->payload, "abcde", 5);
	assert_int_equal(p->tunnel_depth, 0);
	assert_int_equal(p->vlan_count, 0);
	assert_int_equal(p->flags, 0);
	assert_int_equal(cnt(fx)->pkts, 1);
	assert_int_equal(cnt(fx)->bytes, f_len(&F));
	assert_int_equal(cnt(fx)->ethernet, 1);
	assert_int_equal(cnt(fx)->ipv4, 1);
	assert_int_equal(cnt(fx)->tcp, 1);
	assert_int_equal(cnt(fx)->invalid, 0);
}

/* A short frame padded to the Ethernet minimum: the IP total length trims the padding. */
static void test_ether_padding_trimmed(void **state)
{
	fixture_t *fx = *state;
	uint8_t buf[60];

	f_tcp4_frame(&F, 2);
	assert_true(f_len(&F) < sizeof(buf));
	memset(buf, 0xee, sizeof(buf));
	memcpy(buf, f_data(&F), f_len(&F));
	assert_int_equal(decode_bytes(fx, DLT_EN10MB, buf, sizeof(buf)), DECODE_FLOW);
	assert_int_equal(fx->p.l3_len, 42);
	assert_int_equal(fx->p.payload_len, 2);
	assert_int_equal(fx->p.l4_len, 22);
}

static void test_ether_ipv6_udp(void **state)
{
	fixture_t *fx = *state;
	const packet_t *p = &fx->p;

	f_init(&F);
	f_payload(&F, 11, 'x');
	f_udp(&F, 5353, 53);
	f_ipv6(&F, 17);
	f_eth(&F, 0x86dd);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_int_equal(p->ip_version, 6);
	assert_int_equal(p->proto, 17);
	assert_int_equal(p->ttl, 55);
	assert_memory_equal(p->src.b, A6, 16);
	assert_memory_equal(p->dst.b, B6, 16);
	assert_int_equal(p->sport, 5353);
	assert_int_equal(p->dport, 53);
	assert_int_equal(p->payload_len, 11);
	assert_int_equal(p->l3_len, 40 + 19);
	assert_int_equal(cnt(fx)->ipv6, 1);
	assert_int_equal(cnt(fx)->udp, 1);
}

/* The SYN options kept for the flow layer, with wscale clamped to 14. */
static void test_tcp_syn_options(void **state)
{
	fixture_t *fx = *state;
	static const uint8_t opt[] = {2, 4,  0x05, 0xb4, 1, 3, 3, 20, 4, 2, 1, 1,
				      8, 10, 0,	   0,	 0, 1, 0, 0,  0, 0, 0, 0};

	f_init(&F);
	f_tcp_opts(&F, 1234, 443, PACKET_TCP_SYN, opt, sizeof(opt));
	f_ipv4(&F, 6);
	f_eth(&F, 0x0800);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_int_equal(fx->p.tcp_mss, 1460);
	assert_int_equal(fx->p.tcp_wscale, 14);
	assert_true(fx->p.flags & PACKET_F_TCP_WSCALE);
	assert_true(fx->p.flags & PACKET_F_TCP_SACK_OK);
	assert_int_equal(fx->p.payload_len, 0);
	assert_int_equal(ev(fx, DECODE_EV_TCP_OPT_INVALID_LEN), 0);

	/* The same options without SYN are not read. */
	f_init(&F);
	f_tcp_opts(&F, 1234, 443, PACKET_TCP_ACK, opt, sizeof(opt));
	f_ipv4(&F, 6);
	f_eth(&F, 0x0800);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_int_equal(fx->p.tcp_mss, 0);
	assert_int_equal(fx->p.flags, 0);
}

static void test_tcp_bad_options_and_header(void **state)
{
	fixture_t *fx = *state;
	static const uint8_t bad_len[] = {2, 4, 0x05, 0xb4, 3, 1, 0, 0};
	static const uint8_t bad_mss[] = {2, 3, 0x05, 1};

	f_init(&F);
	f_tcp_opts(&F, 1, 2, PACKET_TCP_SYN, bad_len, sizeof(bad_len));
	f_ipv4(&F, 6);
	f_eth(&F, 0x0800);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_int_equal(fx->p.tcp_mss, 1460);
	assert_int_equal(ev(fx, DECODE_EV_TCP_OPT_INVALID_LEN), 1);

	f_init(&F);
	f_tcp_opts(&F, 1, 2, PACKET_TCP_SYN, bad_mss, sizeof(bad_mss));
	f_ipv4(&F, 6);
	f_eth(&F, 0x0800);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_int_equal(fx->p.tcp_mss, 0);
	assert_int_equal(ev(fx, DECODE_EV_TCP_OPT_INVALID_LEN), 2);

	/* Data offset below 5 words. */
	f_init(&F);
	f_tcp(&F, 1, 2, PACKET_TCP_ACK);
	f_data(&F)[12] = 0x40;
	f_ipv4(&F, 6);
	f_eth(&F, 0x0800);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_TCP_HLEN_TOO_SMALL), 1);

	/* Data offset past the segment. */
	f_init(&F);
	f_tcp(&F, 1, 2, PACKET_TCP_ACK);
	f_data(&F)[12] = 0xf0;
	f_ipv4(&F, 6);
	f_eth(&F, 0x0800);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_TCP_PKT_TOO_SMALL), 1);
	assert_int_equal(cnt(fx)->invalid, 2);
}

static void test_udp_errors(void **state)
{
	fixture_t *fx = *state;

	f_init(&F);
	f_payload(&F, 4, 0);
	f_udp(&F, 1, 2);
	w16(f_data(&F) + 4, 7);
	f_ipv4(&F, 17);
	f_eth(&F, 0x0800);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_UDP_HLEN_INVALID), 1);

	f_init(&F);
	f_payload(&F, 4, 0);
	f_udp(&F, 1, 2);
	w16(f_data(&F) + 4, 13);
	f_ipv4(&F, 17);
	f_eth(&F, 0x0800);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_UDP_LEN_INVALID), 1);

	f_init(&F);
	f_payload(&F, 4, 0);
	f_ipv4(&F, 17);
	f_eth(&F, 0x0800);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_UDP_PKT_TOO_SMALL), 1);
}

static void test_ipv4_errors(void **state)
{
	fixture_t *fx = *state;
	uint8_t *ip;

	f_tcp4_frame(&F, 4);
	ip = f_data(&F) + 14;
	ip[0] = 0x44;
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_IPV4_HLEN_TOO_SMALL), 1);

	ip[0] = 0x45;
	w16(ip + 2, 19);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_IPV4_IPLEN_SMALLER_THAN_HLEN), 1);

	w16(ip + 2, 200);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_IPV4_TRUNC_PKT), 1);

	ip[0] = 0x65;
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_IPV4_WRONG_IP_VERSION), 1);

	/* IPv4 options are skipped. */
	f_init(&F);
	f_tcp(&F, 7, 8, PACKET_TCP_ACK);
	f_l4csum(&F, 0, A4, B4, 6);
	ip = f_push(&F, 24);
	ip[0] = 0x46;
	w16(ip + 2, (uint16_t)f_len(&F));
	ip[8] = 1;
	ip[9] = 6;
	memcpy(ip + 12, A4, 4);
	memcpy(ip + 16, B4, 4);
	ip[20] = 1; /* NOP options */
	ip[21] = 1;
	ip[22] = 1;
	ip[23] = 0;
	f_eth(&F, 0x0800);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_v4_tcp(&fx->p, 7, 8);
	assert_ptr_equal(fx->p.l4, fx->p.data + 14 + 24);
}

static void test_icmp_and_other_protocols(void **state)
{
	fixture_t *fx = *state;

	f_init(&F);
	f_payload(&F, 8, 0);
	f_ipv4(&F, 1);
	f_eth(&F, 0x0800);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_OTHER);
	assert_int_equal(cnt(fx)->icmpv4, 1);

	f_init(&F);
	f_payload(&F, 8, 0);
	f_ipv6(&F, 58);
	f_eth(&F, 0x86dd);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_OTHER);
	assert_int_equal(cnt(fx)->icmpv6, 1);

	f_init(&F);
	f_payload(&F, 12, 0);
	f_ipv4(&F, 132); /* SCTP */
	f_eth(&F, 0x0800);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_OTHER);
	assert_int_equal(cnt(fx)->other_l4, 1);

	f_init(&F);
	f_payload(&F, 12, 0);
	f_ipv4(&F, 50); /* ESP */
	f_eth(&F, 0x0800);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_OTHER);
	assert_int_equal(cnt(fx)->esp, 1);

	f_init(&F);
	f_payload(&F, 12, 0);
	f_ipv4(&F, 200); /* unassigned */
	f_eth(&F, 0x0800);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_IPV4_UNKNOWN_PROTOCOL), 1);

	f_init(&F);
	f_payload(&F, 12, 0);
	f_ipv6(&F, 222);
	f_eth(&F, 0x86dd);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_IPV6_UNKNOWN_NEXT_HEADER), 1);
}

static void test_ethertypes(void **state)
{
	fixture_t *fx = *state;

	f_init(&F);
	f_payload(&F, 28, 0);
	f_eth(&F, 0x0806);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_OTHER);
	assert_int_equal(cnt(fx)->arp, 1);

	f_init(&F);
	f_payload(&F, 40, 0);
	f_eth(&F, 0x88cc); /* LLDP */
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_OTHER);

	f_init(&F);
	f_payload(&F, 40, 0);
	f_eth(&F, 0x0026); /* 802.3 length: LLC */
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_OTHER);
	assert_int_equal(cnt(fx)->unknown_ethertype, 0);

	f_init(&F);
	f_payload(&F, 40, 0);
	f_eth(&F, 0x1234);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_OTHER);
	assert_int_equal(cnt(fx)->unknown_ethertype, 1);
	assert_int_equal(ev(fx, DECODE_EV_ETH_UNKNOWN_ETHERTYPE), 1);
	assert_int_equal(cnt(fx)->invalid, 0);

	assert_int_equal(decode_bytes(fx, DLT_EN10MB, f_data(&F), 13), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_ETH_PKT_TOO_SMALL), 1);
}

/* Fields of a previous packet never leak into the next one. */
static void test_fields_reset(void **state)
{
	fixture_t *fx = *state;
	static const uint8_t opt[] = {2, 4, 0x05, 0xb4};

	f_init(&F);
	f_tcp_opts(&F, 1, 2, PACKET_TCP_SYN, opt, sizeof(opt));
	f_ipv4(&F, 6);
	f_vlan(&F, 5, 0x0800);
	f_eth(&F, 0x8100);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_int_equal(fx->p.tcp_mss, 1460);
	f_init(&F);
	f_payload(&F, 8, 0);
	f_ipv4(&F, 1);
	f_eth(&F, 0x0800);
	/* decode_bytes() zeroes p itself, so decode twice into the same packet_t. */
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_OTHER);
	fx->p.tcp_mss = 99;
	fx->p.vlan_count = 2;
	fx->p.sport = 5;
	assert_int_equal(decode_packet(fx->ctx, &fx->p), DECODE_OTHER);
	assert_int_equal(fx->p.tcp_mss, 0);
	assert_int_equal(fx->p.vlan_count, 0);
	assert_int_equal(fx->p.sport, 0);
	assert_int_equal(fx->p.proto, 1);
}

/* ------------------------------------------------------------------ tunnels */

/* The inner packet of every tunnel test: Ethernet / VLAN 42 / IPv4 / TCP 1111 -> 2222. */
static void f_inner_ether(frame_t *f)
{
	f_init(f);
	f_payload(f, 3, 'q');
	f_tcp(f, 1111, 2222, PACKET_TCP_ACK);
	f_ipv4(f, 6);
	f_vlan(f, 42, 0x0800);
	f_eth(f, 0x8100);
}

static void f_outer_udp4(frame_t *f, uint16_t dport)
{
	f_udp(f, 50000, dport);
	f_ipv4_x(f, 17, B4, A4, 9, 0);
	f_eth(f, 0x0800);
}

static void test_vxlan(void **state)
{
	fixture_t *fx = *state;

	f_inner_ether(&F);
	f_vxlan(&F, 0x123456);
	f_outer_udp4(&F, 4789);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_inner(&fx->p, PACKET_TUNNEL_VXLAN, 0x123456, 1);
	/* The Ethernet addresses are the outer frame's, not the tunnelled one's. */
	assert_ptr_equal(fx->p.eth, fx->copy);
	assert_int_equal(fx->p.vlan_count, 1);
	assert_int_equal(fx->p.vlan[0], 42);
	assert_int_equal(cnt(fx)->vxlan, 1);
	assert_int_equal(cnt(fx)->udp, 1);
	assert_int_equal(cnt(fx)->tcp, 1);

	/* Without the I flag it is not VXLAN: an ordinary UDP datagram to port 4789. */
	f_inner_ether(&F);
	f_push(&F, 8);
	f_outer_udp4(&F, 4789);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_int_equal(fx->p.proto, 17);
	assert_int_equal(fx->p.dport, 4789);
	assert_int_equal(fx->p.tunnel_depth, 0);

	/* An inner frame of an unknown ethertype. */
	f_init(&F);
	f_payload(&F, 30, 0);
	f_eth(&F, 0x1234);
	f_vxlan(&F, 1);
	f_outer_udp4(&F, 4789);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_VXLAN_UNKNOWN_PAYLOAD_TYPE), 1);

	/* The port is configurable, and 0 turns VXLAN off. */
	fx->cfg.vxlan_port = 8472;
	fx_reconfig(fx);
	f_inner_ether(&F);
	f_vxlan(&F, 7);
	f_outer_udp4(&F, 8472);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_inner(&fx->p, PACKET_TUNNEL_VXLAN, 7, 1);
	fx->cfg.vxlan_port = 0;
	fx_reconfig(fx);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_int_equal(fx->p.tunnel_depth, 0);
}

static void test_geneve(void **state)
{
	fixture_t *fx = *state;

	f_inner_ether(&F);
	f_geneve(&F, 0x6558, 0xabcdef, 3);
	f_outer_udp4(&F, 6081);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_inner(&fx->p, PACKET_TUNNEL_GENEVE, 0xabcdef, 1);
	assert_int_equal(cnt(fx)->geneve, 1);

	f_init(&F);
	f_payload(&F, 3, 'q');
	f_tcp(&F, 1111, 2222, PACKET_TCP_ACK);
	f_ipv4(&F, 6);
	f_geneve(&F, 0x0800, 5, 0);
	f_outer_udp4(&F, 6081);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_inner(&fx->p, PACKET_TUNNEL_GENEVE, 5, 1);

	f_inner_ether(&F);
	f_geneve(&F, 0x8137, 5, 0);
	f_outer_udp4(&F, 6081);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_GENEVE_UNKNOWN_PAYLOAD_TYPE), 1);

	/* Options longer than the datagram: not GENEVE, plain UDP. */
	f_init(&F);
	f_geneve(&F, 0x6558, 5, 0);
	f_data(&F)[0] = 10;
	f_outer_udp4(&F, 6081);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_int_equal(fx->p.tunnel_depth, 0);
}

static void test_gre(void **state)
{
	fixture_t *fx = *state;

	/* Checksum, key and sequence, bridging an Ethernet frame. */
	f_inner_ether(&F);
	f_gre(&F, GRE_C | GRE_K | GRE_S, 0x6558, 0xdeadbeef);
	f_ipv4_x(&F, 47, B4, A4, 3, 0);
	f_eth(&F, 0x0800);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_inner(&fx->p, PACKET_TUNNEL_GRE, 0xdeadbeef, 1);
	assert_int_equal(fx->p.vlan[0], 42);
	assert_int_equal(cnt(fx)->gre, 1);

	/* IPv4 straight in GRE over IPv6, key only. */
	f_init(&F);
	f_payload(&F, 3, 'q');
	f_tcp(&F, 1111, 2222, PACKET_TCP_ACK);
	f_ipv4(&F, 6);
	f_gre(&F, GRE_K, 0x0800, 9);
	f_ipv6(&F, 47);
	f_eth(&F, 0x86dd);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_inner(&fx->p, PACKET_TUNNEL_GRE, 9, 1);

	/* RFC 1701 routing: one source route entry, then the null entry. */
	f_init(&F);
	f_payload(&F, 3, 'q');
	f_tcp(&F, 1111, 2222, PACKET_TCP_ACK);
	f_ipv4(&F, 6);
	f_push(&F, 4);
	memcpy(f_push(&F, 8), "\x08\x00\x00\x04\x01\x02\x03\x04", 8);
	f_gre(&F, GRE_R, 0x0800, 0);
	f_ipv4_x(&F, 47, B4, A4, 3, 0);
	f_eth(&F, 0x0800);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_inner(&fx->p, PACKET_TUNNEL_GRE, 0, 1);
}

static void test_gre_errors(void **state)
{
	fixture_t *fx = *state;

	f_init(&F);
	f_payload(&F, 20, 0);
	f_gre(&F, 0x0001, 0x880b, 0); /* version 1: PPTP */
	f_ipv4(&F, 47);
	f_eth(&F, 0x0800);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_OTHER);

	f_init(&F);
	f_payload(&F, 20, 0);
	f_gre(&F, 0x0002, 0x0800, 0);
	f_ipv4(&F, 47);
	f_eth(&F, 0x0800);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_GRE_WRONG_VERSION), 1);

	f_init(&F);
	f_payload(&F, 20, 0);
	f_gre(&F, 0x0010, 0x0800, 0);
	f_ipv4(&F, 47);
	f_eth(&F, 0x0800);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_GRE_VERSION0_FLAGS), 1);

	f_init(&F);
	f_payload(&F, 20, 0);
	f_gre(&F, 0x0100, 0x0800, 0);
	f_ipv4(&F, 47);
	f_eth(&F, 0x0800);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_GRE_VERSION0_RECUR), 1);

	f_init(&F);
	memcpy(f_push(&F, 8), "\x20\x00\x08\x00\x00\x00\x00\x00", 8);
	f_ipv4(&F, 47);
	f_eth(&F, 0x0800);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_IPV4_PKT_TOO_SMALL), 1);

	f_init(&F);
	memcpy(f_push(&F, 6), "\xb0\x00\x08\x00\x00\x00", 6);
	f_ipv4(&F, 47);
	f_eth(&F, 0x0800);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_GRE_VERSION0_HDR_TOO_BIG), 1);

	f_init(&F);
	memcpy(f_push(&F, 8), "\x08\x00\x00\x09\x01\x02\x03\x04", 8);
	f_gre(&F, GRE_R, 0x0800, 0);
	f_ipv4(&F, 47);
	f_eth(&F, 0x0800);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_GRE_VERSION0_MALFORMED_SRE_HDR), 1);

	f_init(&F);
	memcpy(f_push(&F, 3), "\x00\x00\x08", 3);
	f_ipv4(&F, 47);
	f_eth(&F, 0x0800);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_GRE_PKT_TOO_SMALL), 1);
}

static void f_outer_gre(frame_t *f, uint16_t flags, uint16_t proto)
{
	f_gre(f, flags, proto, 0);
	f_ipv4_x(f, 47, B4, A4, 3, 0);
	f_eth(f, 0x0800);
}

static void test_erspan(void **state)
{
	fixture_t *fx = *state;

	/* Type II, the mirrored frame keeps its tag: the header's VLAN is not added again. */
	f_inner_ether(&F);
	f_erspan2(&F, 42, 0x155);
	f_outer_gre(&F, GRE_S, 0x88be);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_inner(&fx->p, PACKET_TUNNEL_ERSPAN, 0x155, 1);
	assert_int_equal(fx->p.vlan_count, 1);
	assert_int_equal(fx->p.vlan[0], 42);
	assert_int_equal(cnt(fx)->erspan, 1);
	assert_int_equal(cnt(fx)->gre, 1);

	/* Type II of an untagged frame: the header's VLAN is recorded. */
	f_init(&F);
	f_payload(&F, 3, 'q');
	f_tcp(&F, 1111, 2222, PACKET_TCP_ACK);
	f_ipv4(&F, 6);
	f_eth(&F, 0x0800);
	f_erspan2(&F, 100, 7);
	f_outer_gre(&F, GRE_S, 0x88be);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_inner(&fx->p, PACKET_TUNNEL_ERSPAN, 7, 1);
	assert_int_equal(fx->p.vlan_count, 1);
	assert_int_equal(fx->p.vlan[0], 100);

	/* Type I: no ERSPAN header (GRE without sequence number). */
	f_inner_ether(&F);
	f_outer_gre(&F, 0, 0x88be);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_inner(&fx->p, PACKET_TUNNEL_ERSPAN, 0, 1);

	/* Type III with and without the platform subheader. */
	f_inner_ether(&F);
	f_erspan3(&F, 0, 0x3ff, 1, 0);
	f_outer_gre(&F, GRE_S, 0x22eb);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_inner(&fx->p, PACKET_TUNNEL_ERSPAN, 0x3ff, 1);
	f_inner_ether(&F);
	f_erspan3(&F, 0, 12, 0, 0);
	f_outer_gre(&F, GRE_S, 0x22eb);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_inner(&fx->p, PACKET_TUNNEL_ERSPAN, 12, 1);
	assert_int_equal(cnt(fx)->erspan, 5);
}

static void test_erspan_errors(void **state)
{
	fixture_t *fx = *state;

	f_inner_ether(&F);
	f_erspan2(&F, 0, 1);
	f_data(&F)[0] = 0x30;
	f_outer_gre(&F, GRE_S, 0x88be);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_ERSPAN_UNSUPPORTED_VERSION), 1);

	f_init(&F);
	f_push(&F, 7);
	f_outer_gre(&F, GRE_S, 0x88be);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_ERSPAN_HEADER_TOO_SMALL), 1);

	/* Type III announcing a subheader that is not there. */
	f_init(&F);
	memcpy(f_push(&F, 12), "\x20\x00\x00\x01\0\0\0\0\0\0\0\x01", 12);
	f_outer_gre(&F, GRE_S, 0x22eb);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_ERSPAN_HEADER_TOO_SMALL), 2);

	/* An ERSPAN VLAN on top of three outer tags. */
	f_init(&F);
	f_payload(&F, 3, 'q');
	f_tcp(&F, 1111, 2222, PACKET_TCP_ACK);
	f_ipv4(&F, 6);
	f_eth(&F, 0x0800);
	f_erspan2(&F, 100, 7);
	f_gre(&F, GRE_S, 0x88be, 0);
	f_ipv4_x(&F, 47, B4, A4, 3, 0);
	f_vlan(&F, 3, 0x0800);
	f_vlan(&F, 2, 0x8100);
	f_vlan(&F, 1, 0x8100);
	f_eth(&F, 0x8100);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_ERSPAN_TOO_MANY_VLAN_LAYERS), 1);
}

static void test_ip_in_ip(void **state)
{
	fixture_t *fx = *state;
	int outer6, inner6;

	for (outer6 = 0; outer6 <= 1; outer6++) {
		for (inner6 = 0; inner6 <= 1; inner6++) {
			f_init(&F);
			f_tcp(&F, 1111, 2222, PACKET_TCP_ACK);
			if (inner6)
				f_ipv6(&F, 6);
			else
				f_ipv4(&F, 6);
			if (outer6)
				f_ipv6_x(&F, inner6 ? 41 : 4, B6, A6);
			else
				f_ipv4_x(&F, inner6 ? 41 : 4, B4, A4, 2, 0);
			f_eth(&F, outer6 ? 0x86dd : 0x0800);
			assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
			assert_int_equal(fx->p.ip_version, inner6 ? 6 : 4);
			assert_memory_equal(fx->p.src.b, inner6 ? A6 : A4, inner6 ? 16 : 4);
			assert_int_equal(fx->p.dport, 2222);
			assert_int_equal(fx->p.tunnel_type, PACKET_TUNNEL_IPIP);
			assert_int_equal(fx->p.tunnel_depth, 1);
		}
	}
	assert_int_equal(cnt(fx)->ipv4_in_ipv4, 1);
	assert_int_equal(cnt(fx)->ipv6_in_ipv4, 1);
	assert_int_equal(cnt(fx)->ipv4_in_ipv6, 1);
	assert_int_equal(cnt(fx)->ipv6_in_ipv6, 1);
}

/* The innermost tunnel is the one recorded; nesting stops at DECODE_MAX_TUNNEL_DEPTH. */
static void test_tunnel_nesting(void **state)
{
	fixture_t *fx = *state;
	int i;

	f_inner_ether(&F);
	f_vxlan(&F, 99);
	f_udp(&F, 1, 4789);
	f_ipv4_x(&F, 17, B4, A4, 4, 0);
	f_gre(&F, GRE_K, 0x0800, 5);
	f_ipv4_x(&F, 47, B4, A4, 3, 0);
	f_vlan(&F, 7, 0x0800);
	f_eth(&F, 0x8100);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_inner(&fx->p, PACKET_TUNNEL_VXLAN, 99, 2);
	assert_int_equal(fx->p.vlan_count, 2);
	assert_int_equal(fx->p.vlan[0], 7);
	assert_int_equal(fx->p.vlan[1], 42);

	f_init(&F);
	f_tcp(&F, 1111, 2222, PACKET_TCP_ACK);
	f_ipv4(&F, 6);
	for (i = 0; i < DECODE_MAX_TUNNEL_DEPTH; i++)
		f_ipv4_x(&F, 4, B4, A4, 1, 0);
	f_eth(&F, 0x0800);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_int_equal(fx->p.tunnel_depth, DECODE_MAX_TUNNEL_DEPTH);
	assert_memory_equal(fx->p.src.b, A4, 4);

	f_init(&F);
	f_tcp(&F, 1111, 2222, PACKET_TCP_ACK);
	f_ipv4(&F, 6);
	for (i = 0; i < DECODE_MAX_TUNNEL_DEPTH + 1; i++)
		f_ipv4_x(&F, 4, B4, A4, 1, 0);
	f_eth(&F, 0x0800);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(cnt(fx)->too_many_layers, 1);
}

/* ------------------------------------------------------------------ IPv6 extension headers */

static void test_ipv6_exthdrs(void **state)
{
	fixture_t *fx = *state;

	f_init(&F);
	f_payload(&F, 4, 'z');
	f_tcp(&F, 8080, 80, PACKET_TCP_ACK);
	f_l4csum(&F, 1, A6, B6, 6);
	f_ipv6_ext(&F, 6, 16); /* destination options */
	f_ipv6_ah(&F, 60, 24); /* AH */
	f_ipv6_ext(&F, 51, 24); /* routing */
	f_ipv6_frag(&F, 43, 0, 0, 1); /* atomic fragment: read through */
	f_ipv6_ext(&F, 44, 8); /* hop-by-hop */
	f_ipv6(&F, 0);
	f_eth(&F, 0x86dd);
	fx->cfg.validate_checksums = 1;
	fx_reconfig(fx);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_int_equal(fx->p.proto, 6);
	assert_int_equal(fx->p.sport, 8080);
	assert_int_equal(fx->p.payload_len, 4);
	assert_ptr_equal(fx->p.l4, fx->p.data + 14 + 40 + 8 + 8 + 24 + 24 + 16);
	assert_int_equal(decode_defrag_counters(fx->ctx)->ipv6_fragments, 0);
}

static void test_ipv6_exthdr_ends_and_errors(void **state)
{
	fixture_t *fx = *state;

	f_init(&F);
	f_payload(&F, 16, 0);
	f_ipv6_ext(&F, 50, 8);
	f_ipv6(&F, 0);
	f_eth(&F, 0x86dd);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_OTHER);
	assert_int_equal(cnt(fx)->esp, 1);

	f_init(&F);
	f_payload(&F, 16, 0);
	f_ipv6(&F, 59);
	f_eth(&F, 0x86dd);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_OTHER);

	/* A header whose length runs past the payload. */
	f_init(&F);
	f_payload(&F, 8, 0);
	f_ipv6_ext(&F, 6, 8);
	f_data(&F)[1] = 2;
	f_ipv6(&F, 60);
	f_eth(&F, 0x86dd);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_IPV6_TRUNC_EXTHDR), 1);

	/* Fewer than 8 bytes left for a header. */
	f_init(&F);
	f_payload(&F, 6, 0);
	f_ipv6(&F, 0);
	f_eth(&F, 0x86dd);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_IPV6_TRUNC_EXTHDR), 2);

	/* Option TLVs that overrun their header. */
	f_init(&F);
	f_tcp(&F, 1, 2, PACKET_TCP_ACK);
	f_ipv6_ext(&F, 6, 8);
	f_data(&F)[3] = 5;
	f_ipv6(&F, 0);
	f_eth(&F, 0x86dd);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_IPV6_EXTHDR_INVALID_OPTLEN), 1);

	f_init(&F);
	f_tcp(&F, 1, 2, PACKET_TCP_ACK);
	f_ipv6(&F, 6);
	f_eth(&F, 0x86dd);
	w16(f_data(&F) + 14 + 4, 100);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_IPV6_TRUNC_PKT), 1);
	assert_int_equal(decode_bytes(fx, DLT_EN10MB, f_data(&F), 14 + 39), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_IPV6_PKT_TOO_SMALL), 1);
}

/* ------------------------------------------------------------------ checksums */

static void test_checksums_off_by_default(void **state)
{
	fixture_t *fx = *state;

	f_tcp4_frame(&F, 10);
	f_data(&F)[14 + 20 + 16] ^= 0xff; /* TCP checksum */
	f_data(&F)[14 + 10] ^= 0xff; /* IPv4 header checksum */
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_int_equal(fx->p.flags & PACKET_F_BAD_CSUM, 0);
}

static void test_checksums_validated(void **state)
{
	fixture_t *fx = *state;

	fx->cfg.validate_checksums = 1;
	fx_reconfig(fx);

	f_tcp4_frame(&F, 11);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	f_data(&F)[14 + 10] ^= 0x01;
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_true(fx->p.flags & PACKET_F_BAD_CSUM);
	assert_int_equal(cnt(fx)->csum_invalid_ipv4, 1);

	f_tcp4_frame(&F, 11);
	f_data(&F)[14 + 20 + 20] ^= 0x01; /* payload */
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(cnt(fx)->csum_invalid_tcp, 1);

	f_init(&F);
	f_payload(&F, 9, 1);
	f_udp(&F, 1, 2);
	f_ipv4(&F, 17);
	f_eth(&F, 0x0800);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	f_data(&F)[14 + 20 + 8] ^= 0x10;
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(cnt(fx)->csum_invalid_udp, 1);
	w16(f_data(&F) + 14 + 20 + 6, 0); /* no checksum: fine over IPv4 */
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);

	f_init(&F);
	f_payload(&F, 9, 1);
	f_udp(&F, 1, 2);
	f_ipv6(&F, 17);
	f_eth(&F, 0x86dd);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	w16(f_data(&F) + 14 + 40 + 6, 0); /* not fine over IPv6 */
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(cnt(fx)->csum_invalid_udp, 2);

	f_init(&F);
	f_payload(&F, 7, 1);
	f_tcp(&F, 1, 2, PACKET_TCP_ACK);
	f_ipv6(&F, 6);
	f_eth(&F, 0x86dd);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	f_data(&F)[14 + 8] ^= 0x01; /* source address: the pseudo-header */
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(cnt(fx)->csum_invalid_tcp, 2);

	/* VXLAN over IPv6 with a zero UDP checksum (RFC 6935); the inner TCP sum is checked. */
	f_inner_ether(&F);
	f_vxlan(&F, 1);
	f_udp(&F, 1, 4789);
	f_ipv6_x(&F, 17, B6, A6);
	w16(f_data(&F) + 40 + 6, 0);
	f_eth(&F, 0x86dd);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_inner(&fx->p, PACKET_TUNNEL_VXLAN, 1, 1);
	f_data(&F)[f_len(&F) - 1] ^= 0x01;
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(cnt(fx)->csum_invalid_tcp, 3);
}

/* A routing header in transit hides the pseudo-header's destination: the sum is not judged. */
static void test_checksum_routing_header_in_transit(void **state)
{
	fixture_t *fx = *state;
	static const uint8_t final_dst[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
					      0,    0,	  0,	0,    0, 0, 0, 9};

	fx->cfg.validate_checksums = 1;
	fx_reconfig(fx);
	f_init(&F);
	f_payload(&F, 5, 1);
	f_tcp(&F, 1, 2, PACKET_TCP_ACK);
	f_l4csum(&F, 1, A6, final_dst, 6);
	f_ipv6_ext(&F, 6, 24);
	f_data(&F)[2] = 2; /* type 2 */
	f_data(&F)[3] = 1; /* one segment left */
	memcpy(f_data(&F) + 8, final_dst, 16);
	f_ipv6(&F, 43);
	f_eth(&F, 0x86dd);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_int_equal(cnt(fx)->csum_invalid_tcp, 0);

	/* With no segment left the header's destination is final, and the sum is checked. */
	f_data(&F)[14 + 40 + 3] = 0;
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(cnt(fx)->csum_invalid_tcp, 1);
}

/* ------------------------------------------------------------------ GTP-U, GRE-in-UDP */

static void test_gtp(void **state)
{
	fixture_t *fx = *state;

	/* The TEID is per direction: it is not recorded, as it would split flows. */
	f_inner_ip4(&F);
	f_gtp(&F, 0, GTP_GPDU, 0xabcdef01, 0);
	f_outer_udp4(&F, 2152);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_inner(&fx->p, PACKET_TUNNEL_GTP, 0, 1);
	assert_int_equal(cnt(fx)->gtp, 1);
	assert_int_equal(cnt(fx)->udp, 1);

	/* Sequence number; extension headers of 1 and 2 units. */
	f_inner_ip4(&F);
	f_gtp(&F, GTP_S, GTP_GPDU, 1, 0);
	f_outer_udp4(&F, 2152);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_inner(&fx->p, PACKET_TUNNEL_GTP, 0, 1);
	f_inner_ip4(&F);
	f_gtp(&F, GTP_E | GTP_S, GTP_GPDU, 1, 2);
	f_outer_udp4(&F, 2152);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_inner(&fx->p, PACKET_TUNNEL_GTP, 0, 1);
	assert_ptr_equal(fx->p.l3, fx->p.data + 14 + 20 + 8 + 12 + 12);

	/* IPv6 in GTP over IPv6. */
	f_init(&F);
	f_tcp(&F, 7, 80, PACKET_TCP_SYN);
	f_ipv6(&F, 6);
	f_gtp(&F, GTP_E, GTP_GPDU, 2, 1);
	f_udp(&F, 2152, 2152);
	f_ipv6_x(&F, 17, B6, A6);
	f_eth(&F, 0x86dd);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_int_equal(fx->p.ip_version, 6);
	assert_int_equal(fx->p.dport, 80);
	assert_int_equal(fx->p.tunnel_type, PACKET_TUNNEL_GTP);

	/* Signalling (echo request) is counted and left alone. */
	f_init(&F);
	f_gtp(&F, GTP_S, 1, 0, 0);
	f_outer_udp4(&F, 2152);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_OTHER);
	assert_int_equal(cnt(fx)->gtp, 5);
	assert_int_equal(cnt(fx)->invalid, 0);
}

static void test_gtp_not_gtp(void **state)
{
	fixture_t *fx = *state;

	/* GTPv2 and GTP' (PT 0) on the port are ordinary UDP. */
	f_inner_ip4(&F);
	f_gtp(&F, 0, GTP_GPDU, 1, 0);
	f_outer_udp4(&F, 2152);
	f_data(&F)[14 + 20 + 8] = 0x48;
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_int_equal(fx->p.proto, 17);
	assert_int_equal(fx->p.tunnel_depth, 0);
	f_data(&F)[14 + 20 + 8] = 0x20;
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_int_equal(fx->p.tunnel_depth, 0);
	assert_int_equal(cnt(fx)->gtp, 0);

	/* The port is configurable, and 0 turns GTP off. */
	fx->cfg.gtp_port = 3386;
	fx_reconfig(fx);
	f_inner_ip4(&F);
	f_gtp(&F, 0, GTP_GPDU, 1, 0);
	f_outer_udp4(&F, 3386);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_inner(&fx->p, PACKET_TUNNEL_GTP, 0, 1);
	fx->cfg.gtp_port = 0;
	fx_reconfig(fx);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_int_equal(fx->p.tunnel_depth, 0);
	assert_int_equal(cnt(fx)->gtp, 0);
}

static void test_gtp_errors(void **state)
{
	fixture_t *fx = *state;
	uint8_t *g;

	f_inner_ip4(&F);
	f_gtp(&F, GTP_E, GTP_GPDU, 1, 1);
	f_outer_udp4(&F, 2152);
	g = f_data(&F) + 14 + 20 + 8;
	w16(g + 2, (uint16_t)(f_len(&F) - 14 - 20 - 8 - 8 + 1));
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(api_ev(fx, DECODE_API_EV_GTP_LEN_INVALID), 1);
	/* The length leaves no room for the optional fields, or for the extension header. */
	w16(g + 2, 3);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	w16(g + 2, 4);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	w16(g + 2, 6);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(api_ev(fx, DECODE_API_EV_GTP_PKT_TOO_SMALL), 3);
	w16(g + 2, (uint16_t)(f_len(&F) - 14 - 20 - 8 - 8));
	g[12] = 0;
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(api_ev(fx, DECODE_API_EV_GTP_EXT_HDR_INVALID), 1);
	g[12] = 200;
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(api_ev(fx, DECODE_API_EV_GTP_PKT_TOO_SMALL), 4);

	/* A G-PDU with no packet, or one that is not IP. */
	f_init(&F);
	f_gtp(&F, 0, GTP_GPDU, 1, 0);
	f_outer_udp4(&F, 2152);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	f_init(&F);
	f_payload(&F, 40, 0);
	f_gtp(&F, 0, GTP_GPDU, 1, 0);
	f_outer_udp4(&F, 2152);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(api_ev(fx, DECODE_API_EV_GTP_UNKNOWN_PAYLOAD_TYPE), 2);
	assert_int_equal(cnt(fx)->invalid, 8);
}

static void test_gre_udp(void **state)
{
	fixture_t *fx = *state;

	f_inner_ether(&F);
	f_gre(&F, GRE_K, 0x6558, 77);
	f_outer_udp4(&F, 4754);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_inner(&fx->p, PACKET_TUNNEL_GRE, 77, 1);
	assert_int_equal(cnt(fx)->gre, 1);
	assert_int_equal(cnt(fx)->udp, 1);

	f_inner_ip4(&F);
	f_gre(&F, 0, 0x0800, 0);
	f_outer_udp4(&F, 4754);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_inner(&fx->p, PACKET_TUNNEL_GRE, 0, 1);

	/* A bad GRE header is a GRE error, counted as such. */
	f_inner_ip4(&F);
	f_gre(&F, 0x0002, 0x0800, 0);
	f_outer_udp4(&F, 4754);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_DROP);
	assert_int_equal(ev(fx, DECODE_EV_GRE_WRONG_VERSION), 1);

	/* Over IPv6 the UDP checksum may be zero (RFC 6935), with validation on. */
	fx->cfg.validate_checksums = 1;
	fx_reconfig(fx);
	f_inner_ip4(&F);
	f_gre(&F, 0, 0x0800, 0);
	f_udp(&F, 40000, 4754);
	f_ipv6_x(&F, 17, B6, A6);
	w16(f_data(&F) + 40 + 6, 0);
	f_eth(&F, 0x86dd);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_inner(&fx->p, PACKET_TUNNEL_GRE, 0, 1);

	/* Port 0 turns it off. */
	fx->cfg.gre_udp_port = 0;
	fx_reconfig(fx);
	f_inner_ip4(&F);
	f_gre(&F, 0, 0x0800, 0);
	f_outer_udp4(&F, 4754);
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_int_equal(fx->p.tunnel_depth, 0);
}

/* ------------------------------------------------------------------ TCP-MD5, TCP-AO */

static void test_tcp_auth_options(void **state)
{
	fixture_t *fx = *state;
	static const uint8_t md5[] = {1, 1, 19, 18, 1,	2,  3,	4,  5,	6,
				      7, 8, 9,	10, 11, 12, 13, 14, 15, 16};
	static const uint8_t ao[] = {1, 1, 29, 6, 3, 4, 0xaa, 0xbb};
	static const uint8_t syn_md5[] = {2, 4, 0x05, 0xb4, 19, 18, 1,	2,  3,	4,  5, 6,
					  7, 8, 9,    10,   11, 12, 13, 14, 15, 16, 0, 0};
	static const uint8_t ts[] = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};

	/* On any segment, not only SYNs. */
	f_tcp_opts_frame(&F, PACKET_TCP_ACK | PACKET_TCP_PSH, md5, sizeof(md5));
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_int_equal(fx->p.flags, PACKET_F_TCP_AUTH_OPT);
	assert_int_equal(fx->p.payload_len, 4);
	f_tcp_opts_frame(&F, PACKET_TCP_ACK, ao, sizeof(ao));
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_int_equal(fx->p.flags, PACKET_F_TCP_AUTH_OPT);
	f_tcp_opts_frame(&F, PACKET_TCP_SYN, syn_md5, sizeof(syn_md5));
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_int_equal(fx->p.flags, PACKET_F_TCP_AUTH_OPT);
	assert_int_equal(fx->p.tcp_mss, 1460);
	f_tcp_opts_frame(&F, PACKET_TCP_ACK, ts, sizeof(ts));
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_int_equal(fx->p.flags, 0);
	assert_int_equal(ev(fx, DECODE_EV_TCP_OPT_INVALID_LEN), 0);

	/* Wrong lengths for their kinds: flagged as invalid, not as authenticated. */
	f_tcp_opts_frame(&F, PACKET_TCP_ACK, md5, sizeof(md5));
	f_data(&F)[14 + 20 + 20 + 3] = 17;
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_int_equal(fx->p.flags, 0);
	f_tcp_opts_frame(&F, PACKET_TCP_ACK, ao, sizeof(ao));
	f_data(&F)[14 + 20 + 20 + 3] = 3;
	assert_int_equal(decode_frame(fx, DLT_EN10MB, &F), DECODE_FLOW);
	assert_int_equal(fx->p.flags, 0);
	assert_int_equal(ev(fx, DECODE_EV_TCP_OPT_INVALID_LEN), 2);
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

static void test_truncation(void **state)
{
	fixture_t *fx = *state;
	static const uint8_t opt[] = {2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2, 0, 0};

	f_init(&F);
	f_payload(&F, 9, 'a');
	f_tcp_opts(&F, 1, 2, PACKET_TCP_SYN, opt, sizeof(opt));
	f_ipv4(&F, 6);
	f_vlan(&F, 5, 0x0800);
	f_eth(&F, 0x8100);
	truncate_everywhere(fx, DLT_EN10MB, &F);

	f_init(&F);
	f_payload(&F, 5, 'a');
	f_udp(&F, 1, 2);
	f_l4csum(&F, 1, A6, B6, 17);
	f_ipv6_ext(&F, 17, 16);
	f_ipv6(&F, 0);
	f_vlan(&F, 6, 0x86dd);
	f_vlan(&F, 5, 0x8100);
	f_eth(&F, 0x88a8);
	truncate_everywhere(fx, DLT_EN10MB, &F);

	f_inner_ether(&F);
	f_vxlan(&F, 3);
	f_outer_udp4(&F, 4789);
	truncate_everywhere(fx, DLT_EN10MB, &F);

	f_inner_ether(&F);
	f_geneve(&F, 0x6558, 3, 2);
	f_outer_udp4(&F, 6081);
	truncate_everywhere(fx, DLT_EN10MB, &F);

	f_inner_ether(&F);
	f_erspan3(&F, 0, 12, 1, 0);
	f_outer_gre(&F, GRE_S, 0x22eb);
	truncate_everywhere(fx, DLT_EN10MB, &F);

	f_inner_ether(&F);
	f_gre(&F, GRE_C | GRE_K | GRE_S, 0x6558, 1);
	f_ipv6(&F, 47);
	f_eth(&F, 0x86dd);
	truncate_everywhere(fx, DLT_EN10MB, &F);

	f_init(&F);
	f_tcp(&F, 1, 2, PACKET_TCP_ACK);
	f_ipv4(&F, 6);
	f_eth(&F, 0x0800);
	f_push(&F, 4);
	f_mpls(&F, 3000, 1);
	f_mpls(&F, 1000, 0);
	f_eth(&F, 0x8847);
	truncate_everywhere(fx, DLT_EN10MB, &F);

	f_init(&F);
	f_tcp(&F, 1, 2, PACKET_TCP_ACK);
	f_ipv6(&F, 6);
	f_ipv4_x(&F, 41, B4, A4, 1, 0);
	f_sll2(&F, 0x0800);
	truncate_everywhere(fx, 276, &F);

	f_init(&F);
	f_udp(&F, 1, 2);
	f_ipv6(&F, 17);
	f_null(&F, 30, 0);
	truncate_everywhere(fx, 0, &F);

	f_init(&F);
	f_udp(&F, 1, 2);
	f_ipv4(&F, 17);
	f_sll(&F, 0x0800);
	truncate_everywhere(fx, 113, &F);
	assert_int_equal(fx->acct.in_use > 0, 1);
}

/*
 * Cuts the tunnel message in msg at every length and sends it as the payload of UDP to dport,
 * the outer lengths (and, at len_off, the message's own 16-bit length, counted from len_base)
 * made to match, so that the tunnel decoder itself meets the end of the data. Cuts shorter than
 * plain are not the tunnel at all (ordinary UDP); none of the others is a flow.
 */
static void truncate_udp_payload_everywhere(fixture_t *fx, const frame_t *msg, uint16_t dport,
					    size_t plain, int len_off, size_t len_base)
{
	static frame_t G;
	size_t n, len = f_len(msg);
	uint8_t *m;
	int r;

	for (n = 0; n < len; n++) {
		f_init(&G);
		m = f_push(&G, n);
		memcpy(m, msg->b + msg->head, n);
		if (len_off >= 0 && n >= len_base && n >= (size_t)len_off + 2)
			w16(m + len_off, (uint16_t)(n - len_base));
		f_outer_udp4(&G, dport);
		r = decode_frame(fx, DLT_EN10MB, &G);
		if (n < plain ? r != DECODE_FLOW || fx->p.tunnel_depth != 0 : r == DECODE_FLOW)
			fail_msg("UDP port %u cut at %zu of %zu gave %d", dport, n, len, r);
	}
}

static void test_truncation_udp_tunnels(void **state)
{
	fixture_t *fx = *state;
	static frame_t M;

	f_inner_ip4(&F);
	f_gtp(&F, GTP_E | GTP_S, GTP_GPDU, 5, 3);
	f_outer_udp4(&F, 2152);
	truncate_everywhere(fx, DLT_EN10MB, &F);
	f_inner_ip4(&M);
	f_gtp(&M, GTP_E | GTP_S, GTP_GPDU, 5, 3);
	truncate_udp_payload_everywhere(fx, &M, 2152, 8, 2, 8);
	f_init(&M);
	f_tcp(&M, 1, 2, PACKET_TCP_ACK);
	f_ipv6(&M, 6);
	f_gtp(&M, GTP_S, GTP_GPDU, 5, 0);
	truncate_udp_payload_everywhere(fx, &M, 2152, 8, 2, 8);

	f_inner_ether(&F);
	f_gre(&F, GRE_C | GRE_K | GRE_S, 0x6558, 1);
	f_outer_udp4(&F, 4754);
	truncate_everywhere(fx, DLT_EN10MB, &F);
	f_inner_ether(&M);
	f_gre(&M, GRE_C | GRE_K | GRE_S, 0x6558, 1);
	truncate_udp_payload_everywhere(fx, &M, 4754, 0, -1, 0);
	assert_true(cnt(fx)->gtp > 0);
}

/* ------------------------------------------------------------------ names */

static void test_event_names(void **state)
{
	int i;

	(void)state;
	assert_string_equal(decode_event_layer(DECODE_EV_IPV4_TRUNC_PKT), "ipv4");
	assert_string_equal(decode_event_name(DECODE_EV_IPV4_TRUNC_PKT), "trunc_pkt");
	assert_string_equal(decode_event_layer(DECODE_EV_NULL_PKT_TOO_SMALL), "ltnull");
	assert_string_equal(decode_event_name(DECODE_EV_GRE_VERSION0_HDR_TOO_BIG),
			    "version0_hdr_too_big");
	assert_string_equal(decode_event_name(DECODE_EV__COUNT), "unknown");
	assert_string_equal(decode_event_layer(DECODE_EV_PPP_IP4_PKT_TOO_SMALL), "ppp");
	assert_string_equal(decode_event_name(DECODE_EV_PPPOE_MALFORMED_TAGS), "malformed_tags");
	assert_string_equal(decode_event_layer(DECODE_EV_CHDLC_PKT_TOO_SMALL), "chdlc");
	for (i = 0; i < DECODE_EV__COUNT; i++) {
		assert_non_null(decode_event_layer((enum decode_event)i));
		assert_non_null(decode_event_name((enum decode_event)i));
	}
	assert_string_equal(decode_api_event_layer(DECODE_API_EV_GTP_EXT_HDR_INVALID), "gtp");
	assert_string_equal(decode_api_event_name(DECODE_API_EV_GTP_EXT_HDR_INVALID),
			    "ext_hdr_invalid");
	assert_string_equal(decode_api_event_layer(DECODE_API_EV_NFLOG_NO_PAYLOAD), "nflog");
	assert_string_equal(decode_api_event_name(DECODE_API_EV__COUNT), "unknown");
	assert_string_equal(decode_api_event_layer(DECODE_API_EV__COUNT), "unknown");
	for (i = 0; i < DECODE_API_EV__COUNT; i++) {
		assert_non_null(decode_api_event_layer((enum decode_api_event)i));
		assert_non_null(decode_api_event_name((enum decode_api_event)i));
	}
}

static void test_ctx_new_nomem(void **state)
{
	mem_account_t acct;
	decode_config_t cfg;
	decode_ctx_t *ctx = (decode_ctx_t *)&cfg;

	(void)state;
	mem_account_init(&acct, "tiny", 64);
	decode_config_default(&cfg);
	assert_int_not_equal(decode_ctx_new(&ctx, &cfg, &acct), 0);
	assert_null(ctx);
	assert_int_equal(acct.in_use, 0);
	decode_ctx_free(NULL);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_ether_ipv4_tcp),
		T(test_ether_padding_trimmed),
		T(test_ether_ipv6_udp),
		T(test_tcp_syn_options),
		T(test_tcp_bad_options_and_header),
		T(test_udp_errors),
		T(test_ipv4_errors),
		T(test_icmp_and_other_protocols),
		T(test_ethertypes),
		T(test_fields_reset),
		T(test_vxlan),
		T(test_geneve),
		T(test_gre),
		T(test_gre_errors),
		T(test_erspan),
		T(test_erspan_errors),
		T(test_ip_in_ip),
		T(test_tunnel_nesting),
		T(test_ipv6_exthdrs),
		T(test_ipv6_exthdr_ends_and_errors),
		T(test_checksums_off_by_default),
		T(test_checksums_validated),
		T(test_checksum_routing_header_in_transit),
		T(test_gtp),
		T(test_gtp_not_gtp),
		T(test_gtp_errors),
		T(test_gre_udp),
		T(test_tcp_auth_options),
		T(test_truncation),
		T(test_truncation_udp_tunnels),
		cmocka_unit_test(test_event_names),
		cmocka_unit_test(test_ctx_new_nomem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

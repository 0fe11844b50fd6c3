/*
 * decode_private.h - what the decode_*.c files share: the decoder context, byte readers and the
 * cross-file stage functions.
 *
 * Every stage function takes the bytes of its own header onwards, (d, len), with len the bytes
 * that may be read; it checks len before reading, fills its part of the packet_t and hands the
 * rest to the next stage. It returns an enum decode_result. Nothing here is used outside decode.
 */
#ifndef APIWATCH_DECODE_PRIVATE_H
#define APIWATCH_DECODE_PRIVATE_H

#include <stdint.h>

#include "decode.h"
#include "defrag_private.h"

/* Link layers (Ethernet frames, MPLS stacks) entered for one packet before it is dropped as
 * too_many_layers. Tunnels have their own, smaller, cap; this one bounds recursion through
 * MPLS pseudowires and VLAN-in-tunnel chains. */
#define DECODE_MAX_LAYERS 16

/* Ethertypes, IP protocol numbers and link types used across the decode files. */
#define DECODE_ETHERTYPE_IPV4 0x0800
#define DECODE_ETHERTYPE_ARP 0x0806
#define DECODE_ETHERTYPE_IPV6 0x86dd
#define DECODE_ETHERTYPE_VLAN 0x8100
#define DECODE_ETHERTYPE_QINQ 0x88a8
#define DECODE_ETHERTYPE_QINQ_OLD 0x9100
#define DECODE_ETHERTYPE_MPLS_UC 0x8847
#define DECODE_ETHERTYPE_MPLS_MC 0x8848
#define DECODE_ETHERTYPE_TEB 0x6558 /* transparent Ethernet bridging */
#define DECODE_ETHERTYPE_ERSPAN2 0x88be
#define DECODE_ETHERTYPE_ERSPAN3 0x22eb
#define DECODE_ETHERTYPE_PPPOE_DISC 0x8863
#define DECODE_ETHERTYPE_PPPOE_SESS 0x8864

#define DECODE_IPPROTO_ICMP 1
#define DECODE_IPPROTO_IPIP 4
#define DECODE_IPPROTO_TCP 6
#define DECODE_IPPROTO_UDP 17
#define DECODE_IPPROTO_IPV6 41
#define DECODE_IPPROTO_GRE 47
#define DECODE_IPPROTO_ESP 50
#define DECODE_IPPROTO_ICMPV6 58

struct decode_ctx {
	decode_config_t cfg;
	decode_counters_t cnt;
	defrag_counters_t defrag_cnt;
	mem_account_t *acct;
	defrag_t *defrag;
	uint32_t layers; /* link layers entered by the current packet */
	uint32_t reassemblies; /* datagrams the current packet completed (nesting) */
	/* The innermost IP layer hides the pseudo-header's destination (IPv6 routing header in
	 * transit): its TCP / UDP checksum cannot be checked. */
	uint8_t l4_csum_unknown;
};

/* Reassemblies one packet may complete: one per tunnel level and the outermost. A fragment
 * header inside a reassembled IPv6 datagram would otherwise recurse once per tracker. */
#define DECODE_MAX_REASSEMBLIES (DECODE_MAX_TUNNEL_DEPTH + 1)

static inline uint16_t decode__rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint32_t decode__rd32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Counts a decode event and returns DECODE_DROP, so that a stage can 'return' it. */
static inline int decode__event(decode_ctx_t *ctx, enum decode_event ev)
{
	ctx->cnt.events[ev]++;
	return DECODE_DROP;
}

/* The same for the events Suricata has no name for (DECODE_API_EVENT_MAP). */
static inline int decode__api_event(decode_ctx_t *ctx, enum decode_api_event ev)
{
	ctx->cnt.api_events[ev]++;
	return DECODE_DROP;
}

/* decode.c: the Internet checksum (RFC 1071) accumulated over bytes, and its final fold. */
uint64_t decode__csum_add(uint64_t sum, const uint8_t *d, uint32_t len);
uint16_t decode__csum_fold(uint64_t sum);

/* decode_ether.c: link layers. */
int decode__ether(decode_ctx_t *ctx, packet_t *p, const uint8_t *d, uint32_t len);
int decode__ethertype(decode_ctx_t *ctx, packet_t *p, uint16_t type, const uint8_t *d,
		      uint32_t len);
int decode__ethertype_known(uint16_t type);
int decode__sll(decode_ctx_t *ctx, packet_t *p, const uint8_t *d, uint32_t len);
int decode__sll2(decode_ctx_t *ctx, packet_t *p, const uint8_t *d, uint32_t len);
int decode__null(decode_ctx_t *ctx, packet_t *p, const uint8_t *d, uint32_t len);
int decode__chdlc(decode_ctx_t *ctx, packet_t *p, const uint8_t *d, uint32_t len);
int decode__nflog(decode_ctx_t *ctx, packet_t *p, const uint8_t *d, uint32_t len);

/* decode_ppp.c: PPPoE discovery and session frames, and the PPP frame a session carries. */
int decode__pppoe_discovery(decode_ctx_t *ctx, const uint8_t *d, uint32_t len);
int decode__pppoe_session(decode_ctx_t *ctx, packet_t *p, const uint8_t *d, uint32_t len);
int decode__ppp(decode_ctx_t *ctx, packet_t *p, const uint8_t *d, uint32_t len);

/* decode_ipv4.c, decode_ipv6.c: network layers, from the IP header onwards. */
int decode__ipv4(decode_ctx_t *ctx, packet_t *p, const uint8_t *d, uint32_t len);
int decode__ipv6(decode_ctx_t *ctx, packet_t *p, const uint8_t *d, uint32_t len);

/* decode_l4.c: the payload of an IP datagram of protocol proto (TCP, UDP, ICMP, tunnels). */
int decode__l4(decode_ctx_t *ctx, packet_t *p, uint8_t proto, const uint8_t *d, uint32_t len);

/*
 * decode_tunnel.c: tunnels. decode__udp_tunnel_port says whether UDP to that destination port is
 * configured as a tunnel; decode__udp_tunnel returns -1 when the datagram is not one after all.
 */
int decode__tunnel_enter(decode_ctx_t *ctx, packet_t *p, enum packet_tunnel type, uint32_t id);
int decode__gre(decode_ctx_t *ctx, packet_t *p, const uint8_t *d, uint32_t len);
int decode__udp_tunnel_port(const decode_ctx_t *ctx, uint16_t dport);
int decode__udp_tunnel(decode_ctx_t *ctx, packet_t *p, const uint8_t *d, uint32_t len);
int decode__ipip(decode_ctx_t *ctx, packet_t *p, uint8_t proto, const uint8_t *d, uint32_t len);

#endif

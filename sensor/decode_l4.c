/*
 * decode_l4.c - the transport layer: TCP and UDP headers, ICMP counted, tunnels handed on.
 *
 * Fed by the IPv4 / IPv6 stages with the payload of a datagram (trimmed to its IP length) and
 * its protocol; fills ports, TCP sequence numbers, flags, window, the SYN options the flow layer
 * needs (MSS, window scale, SACK permitted) and whether a segment carries TCP-MD5 / TCP-AO, and
 * validates checksums when configured. UDP to a tunnel port (VXLAN, GENEVE, GTP-U, GRE-in-UDP)
 * and GRE / IP-in-IP go to decode_tunnel.c. It does not look at payload bytes; segments without
 * options, the common case, cost one header.
 */
#include "decode_private.h"

#define DECODE_TCP_HLEN 20
#define DECODE_UDP_HLEN 8

/* TCP option kinds. */
#define DECODE_TCPOPT_EOL 0
#define DECODE_TCPOPT_NOP 1
#define DECODE_TCPOPT_MSS 2
#define DECODE_TCPOPT_WSCALE 3
#define DECODE_TCPOPT_SACK_OK 4
#define DECODE_TCPOPT_MD5 19 /* RFC 2385 */
#define DECODE_TCPOPT_AO 29 /* RFC 5925 */
#define DECODE_TCPOPT_MD5_LEN 18
#define DECODE_TCPOPT_AO_MIN_LEN 4 /* kind, length, key ids; then the MAC */
#define DECODE_TCP_MAX_WSCALE 14 /* RFC 7323: larger shifts are used as 14 */

/* The first IP protocol number IANA has not assigned (146..252 are free, 253/254 testing). */
#define DECODE_IPPROTO_UNASSIGNED_FIRST 146
#define DECODE_IPPROTO_UNASSIGNED_LAST 252

/* Checksum over the pseudo-header of p's (innermost) IP layer and the len bytes at d. */
static uint16_t decode_l4_csum(const packet_t *p, uint8_t proto, const uint8_t *d, uint32_t len)
{
	uint64_t sum;

	if (p->ip_version == 4) {
		sum = decode__csum_add(0, p->src.b, 4);
		sum = decode__csum_add(sum, p->dst.b, 4);
	} else {
		sum = decode__csum_add(0, p->src.b, 16);
		sum = decode__csum_add(sum, p->dst.b, 16);
		sum += len >> 16;
	}
	sum += (uint32_t)proto + (len & 0xffff);
	return decode__csum_fold(decode__csum_add(sum, d, len));
}

/*
 * One option, of length olen (within the options), at o: -1 when the length is wrong for its kind.
 * MSS, window scale and SACK permitted mean something on a SYN only, and are kept from SYNs only.
 */
static int decode_tcp_option(packet_t *p, int syn, const uint8_t *o, uint32_t olen)
{
	switch (o[0]) {
	case DECODE_TCPOPT_MSS:
		if (olen != 4)
			return -1;
		if (syn)
			p->tcp_mss = decode__rd16(o + 2);
		return 0;
	case DECODE_TCPOPT_WSCALE:
		if (olen != 3)
			return -1;
		if (syn) {
			p->tcp_wscale = o[2] > DECODE_TCP_MAX_WSCALE ? DECODE_TCP_MAX_WSCALE : o[2];
			p->flags |= PACKET_F_TCP_WSCALE;
		}
		return 0;
	case DECODE_TCPOPT_SACK_OK:
		if (olen != 2)
			return -1;
		if (syn)
			p->flags |= PACKET_F_TCP_SACK_OK;
		return 0;
	case DECODE_TCPOPT_MD5:
		if (olen != DECODE_TCPOPT_MD5_LEN)
			return -1;
		p->flags |= PACKET_F_TCP_AUTH_OPT;
		return 0;
	case DECODE_TCPOPT_AO:
		if (olen < DECODE_TCPOPT_AO_MIN_LEN)
			return -1;
		p->flags |= PACKET_F_TCP_AUTH_OPT;
		return 0;
	default:
		return 0;
	}
}

/* The options of any segment; malformed ones are flagged, and the segment is kept. */
static void decode_tcp_options(decode_ctx_t *ctx, packet_t *p, int syn, const uint8_t *o,
			       uint32_t len)
{
	uint32_t i = 0, olen;

	while (i < len && o[i] != DECODE_TCPOPT_EOL) {
		if (o[i] == DECODE_TCPOPT_NOP) {
			i++;
			continue;
		}
		if (len - i < 2 || o[i + 1] < 2 || o[i + 1] > len - i)
			goto bad;
		olen = o[i + 1];
		if (decode_tcp_option(p, syn, o + i, olen) < 0)
			goto bad;
		i += olen;
	}
	return;
bad:
	ctx->cnt.events[DECODE_EV_TCP_OPT_INVALID_LEN]++;
}

static int decode_tcp(decode_ctx_t *ctx, packet_t *p, const uint8_t *d, uint32_t len)
{
	uint32_t hlen;

	ctx->cnt.tcp++;
	if (len < DECODE_TCP_HLEN)
		return decode__event(ctx, DECODE_EV_TCP_PKT_TOO_SMALL);
	hlen = (uint32_t)(d[12] >> 4) * 4;
	if (hlen < DECODE_TCP_HLEN)
		return decode__event(ctx, DECODE_EV_TCP_HLEN_TOO_SMALL);
	if (hlen > len)
		return decode__event(ctx, DECODE_EV_TCP_PKT_TOO_SMALL);
	if (ctx->cfg.validate_checksums && !ctx->l4_csum_unknown &&
	    decode_l4_csum(p, DECODE_IPPROTO_TCP, d, len) != 0) {
		ctx->cnt.csum_invalid_tcp++;
		p->flags |= PACKET_F_BAD_CSUM;
		return DECODE_DROP;
	}
	p->sport = decode__rd16(d);
	p->dport = decode__rd16(d + 2);
	p->tcp_seq = decode__rd32(d + 4);
	p->tcp_ack = decode__rd32(d + 8);
	p->tcp_flags = d[13];
	p->tcp_win = decode__rd16(d + 14);
	p->l4 = d;
	p->l4_len = len;
	p->payload = d + hlen;
	p->payload_len = len - hlen;
	if (hlen > DECODE_TCP_HLEN)
		decode_tcp_options(ctx, p, !!(d[13] & PACKET_TCP_SYN), d + DECODE_TCP_HLEN,
				   hlen - DECODE_TCP_HLEN);
	return DECODE_FLOW;
}

/*
 * A zero UDP checksum means "none" over IPv4. Over IPv6 it is invalid (RFC 8200) except for
 * UDP tunnels, which RFC 6935 lets omit it: VXLAN and GENEVE senders commonly do.
 */
static int decode_udp_csum_ok(decode_ctx_t *ctx, const packet_t *p, const uint8_t *d, uint32_t len)
{
	if (decode__rd16(d + 6) == 0)
		return p->ip_version == 4 || decode__udp_tunnel_port(ctx, p->dport);
	return decode_l4_csum(p, DECODE_IPPROTO_UDP, d, len) == 0;
}

static int decode_udp(decode_ctx_t *ctx, packet_t *p, const uint8_t *d, uint32_t len)
{
	uint32_t ulen;
	int r;

	ctx->cnt.udp++;
	if (len < DECODE_UDP_HLEN)
		return decode__event(ctx, DECODE_EV_UDP_PKT_TOO_SMALL);
	ulen = decode__rd16(d + 4);
	if (ulen < DECODE_UDP_HLEN)
		return decode__event(ctx, DECODE_EV_UDP_HLEN_INVALID);
	if (ulen > len)
		return decode__event(ctx, DECODE_EV_UDP_LEN_INVALID);
	p->sport = decode__rd16(d);
	p->dport = decode__rd16(d + 2);
	if (ctx->cfg.validate_checksums && !ctx->l4_csum_unknown &&
	    !decode_udp_csum_ok(ctx, p, d, ulen)) {
		ctx->cnt.csum_invalid_udp++;
		p->flags |= PACKET_F_BAD_CSUM;
		return DECODE_DROP;
	}
	p->l4 = d;
	p->l4_len = ulen;
	p->payload = d + DECODE_UDP_HLEN;
	p->payload_len = ulen - DECODE_UDP_HLEN;
	if (decode__udp_tunnel_port(ctx, p->dport)) {
		r = decode__udp_tunnel(ctx, p, d + DECODE_UDP_HLEN, ulen - DECODE_UDP_HLEN);
		if (r >= 0)
			return r;
	}
	return DECODE_FLOW;
}

/* Protocols we do not follow: counted; unassigned numbers are flagged as unknown. */
static int decode_l4_other(decode_ctx_t *ctx, const packet_t *p, uint8_t proto)
{
	if (proto >= DECODE_IPPROTO_UNASSIGNED_FIRST && proto <= DECODE_IPPROTO_UNASSIGNED_LAST)
		return decode__event(ctx, p->ip_version == 4 ? DECODE_EV_IPV4_UNKNOWN_PROTOCOL
							     : DECODE_EV_IPV6_UNKNOWN_NEXT_HEADER);
	ctx->cnt.other_l4++;
	return DECODE_OTHER;
}

int decode__l4(decode_ctx_t *ctx, packet_t *p, uint8_t proto, const uint8_t *d, uint32_t len)
{
	switch (proto) {
	case DECODE_IPPROTO_TCP:
		return decode_tcp(ctx, p, d, len);
	case DECODE_IPPROTO_UDP:
		return decode_udp(ctx, p, d, len);
	case DECODE_IPPROTO_ICMP:
		ctx->cnt.icmpv4++;
		return DECODE_OTHER;
	case DECODE_IPPROTO_ICMPV6:
		ctx->cnt.icmpv6++;
		return DECODE_OTHER;
	case DECODE_IPPROTO_GRE:
		return decode__gre(ctx, p, d, len);
	case DECODE_IPPROTO_IPIP:
	case DECODE_IPPROTO_IPV6:
		return decode__ipip(ctx, p, proto, d, len);
	case DECODE_IPPROTO_ESP:
		ctx->cnt.esp++;
		return DECODE_OTHER;
	default:
		return decode_l4_other(ctx, p, proto);
	}
}

/*
 * decode_tunnel.c - the tunnels a mirror, overlay or mobile network wraps packets in: VXLAN,
 * GENEVE, GTP-U and GRE-in-UDP (on UDP), GRE with ERSPAN types I, II and III and transparent
 * Ethernet bridging, and IPv4 / IPv6 in IP.
 *
 * Fed by decode_l4.c with the payload after the outer UDP or IP header; strips the tunnel
 * header, records the innermost tunnel in p (type, VNI / GRE key / ERSPAN session / TEID,
 * depth) and decodes the inner frame or datagram as if it had been captured directly, so that
 * the flow layer sees the innermost headers. Nesting stops at DECODE_MAX_TUNNEL_DEPTH. GTP
 * signalling (GTP-C, and GTP-U messages other than G-PDUs) is counted, not interpreted.
 */
#include <string.h>

#include "decode_private.h"

#define DECODE_GRE_HLEN 4
#define DECODE_GRE_F_CSUM 0x8000
#define DECODE_GRE_F_ROUTE 0x4000
#define DECODE_GRE_F_KEY 0x2000
#define DECODE_GRE_F_SEQ 0x1000
#define DECODE_GRE_RECUR 0x0700
#define DECODE_GRE_RESERVED 0x00f8 /* the v1 ack flag and reserved bits: zero in v0 */
#define DECODE_GRE_VERSION 0x0007
#define DECODE_GRE_MAX_SRE 16

#define DECODE_ERSPAN2_HLEN 8
#define DECODE_ERSPAN3_HLEN 12
#define DECODE_ERSPAN3_SUBHLEN 8 /* optional platform-specific subheader */
#define DECODE_ERSPAN3_FT_ETHER 0
#define DECODE_ERSPAN3_FT_IP 2

#define DECODE_VXLAN_HLEN 8
#define DECODE_VXLAN_F_VNI 0x08
#define DECODE_GENEVE_HLEN 8
#define DECODE_ETHER_HLEN 14

/* GTPv1-U (3GPP TS 29.281): flags, message type, length of what follows the first 8 bytes, TEID;
 * with any of E, S, PN set, 4 more bytes (sequence number, N-PDU number, next extension type). */
#define DECODE_GTP_HLEN 8
#define DECODE_GTP_OPT_HLEN 4
#define DECODE_GTP_VERSION_PT_MASK 0xf0
#define DECODE_GTP_V1_GTP 0x30 /* version 1, protocol type GTP (not GTP') */
#define DECODE_GTP_F_E 0x04 /* extension headers follow */
#define DECODE_GTP_F_OPT 0x07 /* E, S, PN: the optional fields are present */
#define DECODE_GTP_MSG_GPDU 0xff
#define DECODE_GTP_EXT_UNIT 4 /* extension header lengths count 4-byte units */

int decode__tunnel_enter(decode_ctx_t *ctx, packet_t *p, enum packet_tunnel type, uint32_t id)
{
	if (p->tunnel_depth >= DECODE_MAX_TUNNEL_DEPTH) {
		ctx->cnt.too_many_layers++;
		return -1;
	}
	p->tunnel_depth++;
	p->tunnel_type = (uint8_t)type;
	p->tunnel_id = id;
	/* Forget the outer L3 / L4: the inner packet is decoded as if captured directly. */
	p->ip_version = 0;
	p->proto = 0;
	p->ttl = 0;
	p->sport = p->dport = 0;
	p->tcp_flags = p->tcp_wscale = 0;
	p->tcp_seq = p->tcp_ack = 0;
	p->tcp_win = p->tcp_mss = 0;
	p->flags &= ~(uint32_t)(PACKET_F_TCP_WSCALE | PACKET_F_TCP_SACK_OK | PACKET_F_TCP_AUTH_OPT);
	memset(&p->src, 0, sizeof(p->src));
	memset(&p->dst, 0, sizeof(p->dst));
	p->l3 = p->l4 = p->payload = NULL;
	p->l3_len = p->l4_len = p->payload_len = 0;
	return 0;
}

/* ------------------------------------------------------------------ ERSPAN */

/*
 * The ERSPAN header's VLAN is the mirrored frame's VLAN. It is kept with the others, unless the
 * frame still carries its own tag (which the Ethernet stage will record).
 */
static int decode_erspan_frame(decode_ctx_t *ctx, packet_t *p, uint16_t vlan, const uint8_t *d,
			       uint32_t len)
{
	uint16_t type;

	if (vlan != 0 && len >= DECODE_ETHER_HLEN) {
		type = decode__rd16(d + 12);
		if (type != DECODE_ETHERTYPE_VLAN && type != DECODE_ETHERTYPE_QINQ &&
		    type != DECODE_ETHERTYPE_QINQ_OLD) {
			if (p->vlan_count >= PACKET_MAX_VLAN)
				return decode__event(ctx, DECODE_EV_ERSPAN_TOO_MANY_VLAN_LAYERS);
			p->vlan[p->vlan_count++] = vlan;
		}
	}
	return decode__ether(ctx, p, d, len);
}

/* GRE protocol 0x88be: type II (8-byte header), or type I (no header) when GRE has no seq. */
static int decode_erspan2(decode_ctx_t *ctx, packet_t *p, int has_seq, const uint8_t *d,
			  uint32_t len)
{
	ctx->cnt.erspan++;
	if (!has_seq) {
		if (decode__tunnel_enter(ctx, p, PACKET_TUNNEL_ERSPAN, 0) < 0)
			return DECODE_DROP;
		return decode__ether(ctx, p, d, len);
	}
	if (len < DECODE_ERSPAN2_HLEN)
		return decode__event(ctx, DECODE_EV_ERSPAN_HEADER_TOO_SMALL);
	if ((d[0] >> 4) != 1)
		return decode__event(ctx, DECODE_EV_ERSPAN_UNSUPPORTED_VERSION);
	if (decode__tunnel_enter(ctx, p, PACKET_TUNNEL_ERSPAN, decode__rd16(d + 2) & 0x03ff) < 0)
		return DECODE_DROP;
	return decode_erspan_frame(ctx, p, decode__rd16(d) & 0x0fff, d + DECODE_ERSPAN2_HLEN,
				   len - DECODE_ERSPAN2_HLEN);
}

/* GRE protocol 0x22eb: type III, 12 bytes plus an optional 8-byte platform subheader. */
static int decode_erspan3(decode_ctx_t *ctx, packet_t *p, const uint8_t *d, uint32_t len)
{
	uint32_t hlen = DECODE_ERSPAN3_HLEN;
	uint8_t ft;

	ctx->cnt.erspan++;
	if (len < DECODE_ERSPAN3_HLEN)
		return decode__event(ctx, DECODE_EV_ERSPAN_HEADER_TOO_SMALL);
	if ((d[0] >> 4) != 2)
		return decode__event(ctx, DECODE_EV_ERSPAN_UNSUPPORTED_VERSION);
	if (d[11] & 0x01)
		hlen += DECODE_ERSPAN3_SUBHLEN;
	if (hlen > len)
		return decode__event(ctx, DECODE_EV_ERSPAN_HEADER_TOO_SMALL);
	if (decode__tunnel_enter(ctx, p, PACKET_TUNNEL_ERSPAN, decode__rd16(d + 2) & 0x03ff) < 0)
		return DECODE_DROP;
	ft = (d[10] >> 2) & 0x1f;
	if (ft == DECODE_ERSPAN3_FT_ETHER)
		return decode_erspan_frame(ctx, p, decode__rd16(d) & 0x0fff, d + hlen, len - hlen);
	if (ft == DECODE_ERSPAN3_FT_IP && hlen < len)
		return (d[hlen] >> 4) == 6 ? decode__ipv6(ctx, p, d + hlen, len - hlen)
					   : decode__ipv4(ctx, p, d + hlen, len - hlen);
	return DECODE_OTHER;
}

/* ------------------------------------------------------------------ GRE */

/* RFC 1701 source routing entries, up to the null entry; returns their length or 0. */
static uint32_t decode_gre_sre_len(const uint8_t *d, uint32_t len)
{
	uint32_t off = 0, n, sre_len;

	for (n = 0; n < DECODE_GRE_MAX_SRE; n++) {
		if (len - off < 4)
			return 0;
		sre_len = d[off + 3];
		if (decode__rd16(d + off) == 0 && sre_len == 0)
			return off + 4;
		if (sre_len > len - off - 4)
			return 0;
		off += 4 + sre_len;
	}
	return 0;
}

/* Header length of a version-0 GRE header with its optional fields, or 0 (event counted). */
static uint32_t decode_gre_hlen(decode_ctx_t *ctx, uint16_t flags, const uint8_t *d, uint32_t len)
{
	uint32_t hlen = DECODE_GRE_HLEN, sre;

	if (flags & (DECODE_GRE_F_CSUM | DECODE_GRE_F_ROUTE))
		hlen += 4;
	if (flags & DECODE_GRE_F_KEY)
		hlen += 4;
	if (flags & DECODE_GRE_F_SEQ)
		hlen += 4;
	if (hlen > len) {
		ctx->cnt.events[DECODE_EV_GRE_VERSION0_HDR_TOO_BIG]++;
		return 0;
	}
	if (flags & DECODE_GRE_F_ROUTE) {
		sre = decode_gre_sre_len(d + hlen, len - hlen);
		if (sre == 0) {
			ctx->cnt.events[DECODE_EV_GRE_VERSION0_MALFORMED_SRE_HDR]++;
			return 0;
		}
		hlen += sre;
	}
	return hlen;
}

int decode__gre(decode_ctx_t *ctx, packet_t *p, const uint8_t *d, uint32_t len)
{
	uint16_t flags, proto;
	uint32_t hlen, key = 0;

	ctx->cnt.gre++;
	if (len < DECODE_GRE_HLEN)
		return decode__event(ctx, DECODE_EV_GRE_PKT_TOO_SMALL);
	flags = decode__rd16(d);
	proto = decode__rd16(d + 2);
	if ((flags & DECODE_GRE_VERSION) == 1)
		return DECODE_OTHER; /* PPTP's enhanced GRE carries PPP: not followed */
	if ((flags & DECODE_GRE_VERSION) != 0)
		return decode__event(ctx, DECODE_EV_GRE_WRONG_VERSION);
	if (flags & DECODE_GRE_RESERVED)
		return decode__event(ctx, DECODE_EV_GRE_VERSION0_FLAGS);
	if (flags & DECODE_GRE_RECUR)
		return decode__event(ctx, DECODE_EV_GRE_VERSION0_RECUR);
	hlen = decode_gre_hlen(ctx, flags, d, len);
	if (hlen == 0)
		return DECODE_DROP;
	if (flags & DECODE_GRE_F_KEY)
		key = decode__rd32(d +
				   ((flags & (DECODE_GRE_F_CSUM | DECODE_GRE_F_ROUTE)) ? 8 : 4));
	d += hlen;
	len -= hlen;
	if (proto == DECODE_ETHERTYPE_ERSPAN2)
		return decode_erspan2(ctx, p, !!(flags & DECODE_GRE_F_SEQ), d, len);
	if (proto == DECODE_ETHERTYPE_ERSPAN3)
		return decode_erspan3(ctx, p, d, len);
	if (decode__tunnel_enter(ctx, p, PACKET_TUNNEL_GRE, key) < 0)
		return DECODE_DROP;
	if (proto == DECODE_ETHERTYPE_TEB)
		return decode__ether(ctx, p, d, len);
	return decode__ethertype(ctx, p, proto, d, len);
}

/* ------------------------------------------------------------------ UDP tunnels */

/* VXLAN (RFC 7348): flags with the I bit, 24 reserved bits, the VNI, an Ethernet frame. */
static int decode_vxlan(decode_ctx_t *ctx, packet_t *p, const uint8_t *d, uint32_t len)
{
	if (len < DECODE_VXLAN_HLEN || !(d[0] & DECODE_VXLAN_F_VNI))
		return -1; /* not VXLAN: an ordinary UDP datagram to that port */
	ctx->cnt.vxlan++;
	if (len - DECODE_VXLAN_HLEN >= DECODE_ETHER_HLEN &&
	    !decode__ethertype_known(decode__rd16(d + DECODE_VXLAN_HLEN + 12)))
		return decode__event(ctx, DECODE_EV_VXLAN_UNKNOWN_PAYLOAD_TYPE);
	if (decode__tunnel_enter(ctx, p, PACKET_TUNNEL_VXLAN, decode__rd32(d + 4) >> 8) < 0)
		return DECODE_DROP;
	return decode__ether(ctx, p, d + DECODE_VXLAN_HLEN, len - DECODE_VXLAN_HLEN);
}

/* GENEVE (RFC 8926): version, options length in words, protocol type, VNI; options skipped. */
static int decode_geneve(decode_ctx_t *ctx, packet_t *p, const uint8_t *d, uint32_t len)
{
	uint32_t hlen;
	uint16_t proto;

	if (len < DECODE_GENEVE_HLEN || (d[0] >> 6) != 0)
		return -1;
	hlen = DECODE_GENEVE_HLEN + (uint32_t)(d[0] & 0x3f) * 4;
	if (hlen > len)
		return -1;
	ctx->cnt.geneve++;
	proto = decode__rd16(d + 2);
	if (proto != DECODE_ETHERTYPE_TEB && proto != DECODE_ETHERTYPE_IPV4 &&
	    proto != DECODE_ETHERTYPE_IPV6)
		return decode__event(ctx, DECODE_EV_GENEVE_UNKNOWN_PAYLOAD_TYPE);
	if (decode__tunnel_enter(ctx, p, PACKET_TUNNEL_GENEVE, decode__rd32(d + 4) >> 8) < 0)
		return DECODE_DROP;
	if (proto == DECODE_ETHERTYPE_TEB)
		return decode__ether(ctx, p, d + hlen, len - hlen);
	return decode__ethertype(ctx, p, proto, d + hlen, len - hlen);
}

/*
 * The length of a GTPv1 header, optional fields and extension headers included, within a message
 * of mlen bytes; 0 when it does not fit (event counted).
 */
static uint32_t decode_gtp_hlen(decode_ctx_t *ctx, const uint8_t *d, uint32_t mlen)
{
	uint32_t hlen = DECODE_GTP_HLEN + DECODE_GTP_OPT_HLEN, elen;
	uint8_t next;

	if (!(d[0] & DECODE_GTP_F_OPT))
		return DECODE_GTP_HLEN;
	if (mlen < hlen) {
		ctx->cnt.api_events[DECODE_API_EV_GTP_PKT_TOO_SMALL]++;
		return 0;
	}
	next = (d[0] & DECODE_GTP_F_E) ? d[hlen - 1] : 0;
	/* Each extension header: its length in 4-byte units, its content, the next type. */
	while (next != 0) {
		if (hlen == mlen) {
			ctx->cnt.api_events[DECODE_API_EV_GTP_PKT_TOO_SMALL]++;
			return 0;
		}
		elen = (uint32_t)d[hlen] * DECODE_GTP_EXT_UNIT;
		if (elen == 0) {
			ctx->cnt.api_events[DECODE_API_EV_GTP_EXT_HDR_INVALID]++;
			return 0;
		}
		if (elen > mlen - hlen) {
			ctx->cnt.api_events[DECODE_API_EV_GTP_PKT_TOO_SMALL]++;
			return 0;
		}
		next = d[hlen + elen - 1];
		hlen += elen;
	}
	return hlen;
}

/*
 * GTPv1-U: a G-PDU carries one IPv4 or IPv6 packet of a mobile subscriber. Other GTP-U messages
 * (echo, error indication, end marker) carry nothing for us. The TEID names the receiving end of
 * the tunnel, so the two directions of one inner connection carry different TEIDs: as tunnel_id
 * is part of the flow key, it stays 0 here, or every GTP connection would split into two
 * one-sided flows.
 */
static int decode_gtp(decode_ctx_t *ctx, packet_t *p, const uint8_t *d, uint32_t len)
{
	uint32_t mlen, hlen;

	if (len < DECODE_GTP_HLEN || (d[0] & DECODE_GTP_VERSION_PT_MASK) != DECODE_GTP_V1_GTP)
		return -1; /* not GTPv1: an ordinary UDP datagram to that port */
	ctx->cnt.gtp++;
	mlen = DECODE_GTP_HLEN + (uint32_t)decode__rd16(d + 2);
	if (mlen > len)
		return decode__api_event(ctx, DECODE_API_EV_GTP_LEN_INVALID);
	hlen = decode_gtp_hlen(ctx, d, mlen);
	if (hlen == 0)
		return DECODE_DROP;
	if (d[1] != DECODE_GTP_MSG_GPDU)
		return DECODE_OTHER;
	if (hlen == mlen || ((d[hlen] >> 4) != 4 && (d[hlen] >> 4) != 6))
		return decode__api_event(ctx, DECODE_API_EV_GTP_UNKNOWN_PAYLOAD_TYPE);
	if (decode__tunnel_enter(ctx, p, PACKET_TUNNEL_GTP, 0) < 0)
		return DECODE_DROP;
	if ((d[hlen] >> 4) == 4)
		return decode__ipv4(ctx, p, d + hlen, mlen - hlen);
	return decode__ipv6(ctx, p, d + hlen, mlen - hlen);
}

int decode__udp_tunnel_port(const decode_ctx_t *ctx, uint16_t dport)
{
	return dport != 0 && (dport == ctx->cfg.vxlan_port || dport == ctx->cfg.geneve_port ||
			      dport == ctx->cfg.gtp_port || dport == ctx->cfg.gre_udp_port);
}

/*
 * By destination port. GRE-in-UDP (RFC 8086) is a plain GRE header and its payload: the source
 * port only spreads the load.
 */
int decode__udp_tunnel(decode_ctx_t *ctx, packet_t *p, const uint8_t *d, uint32_t len)
{
	if (ctx->cfg.vxlan_port != 0 && p->dport == ctx->cfg.vxlan_port)
		return decode_vxlan(ctx, p, d, len);
	if (ctx->cfg.geneve_port != 0 && p->dport == ctx->cfg.geneve_port)
		return decode_geneve(ctx, p, d, len);
	if (ctx->cfg.gtp_port != 0 && p->dport == ctx->cfg.gtp_port)
		return decode_gtp(ctx, p, d, len);
	if (ctx->cfg.gre_udp_port != 0 && p->dport == ctx->cfg.gre_udp_port)
		return decode__gre(ctx, p, d, len);
	return -1;
}

/* ------------------------------------------------------------------ IP in IP */

int decode__ipip(decode_ctx_t *ctx, packet_t *p, uint8_t proto, const uint8_t *d, uint32_t len)
{
	int outer_v4 = p->ip_version == 4;

	if (proto == DECODE_IPPROTO_IPIP) {
		if (outer_v4)
			ctx->cnt.ipv4_in_ipv4++;
		else
			ctx->cnt.ipv4_in_ipv6++;
	} else {
		if (outer_v4)
			ctx->cnt.ipv6_in_ipv4++;
		else
			ctx->cnt.ipv6_in_ipv6++;
	}
	if (decode__tunnel_enter(ctx, p, PACKET_TUNNEL_IPIP, 0) < 0)
		return DECODE_DROP;
	if (proto == DECODE_IPPROTO_IPIP)
		return decode__ipv4(ctx, p, d, len);
	return decode__ipv6(ctx, p, d, len);
}

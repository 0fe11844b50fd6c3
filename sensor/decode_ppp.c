/*
 * decode_ppp.c - PPP over Ethernet (RFC 2516) and the PPP frames its sessions carry (RFC 1661).
 *
 * Fed by decode_ether.c with the bytes after an 0x8863 (discovery) or 0x8864 (session)
 * ethertype. Discovery frames are checked and counted, nothing more: they set up sessions and
 * carry no traffic. A session frame holds a PPP protocol field, one byte when the peers
 * negotiated protocol-field compression, and the PPP payload: IPv4 and IPv6 go to their stages,
 * MPLS to the link layers. Link and network control protocols (LCP, IPCP, authentication...)
 * are counted and left alone. This file does not decompress Van Jacobson TCP/IP headers.
 */
#include "decode_private.h"

#define DECODE_PPPOE_HLEN 6 /* version / type, code, session id, payload length */
#define DECODE_PPPOE_TAG_HLEN 4 /* discovery tags: type, length */
#define DECODE_PPPOE_TAG_END_OF_LIST 0x0000

/* Discovery codes (RFC 2516 section 5). */
#define DECODE_PPPOE_PADI 0x09
#define DECODE_PPPOE_PADO 0x07
#define DECODE_PPPOE_PADR 0x19
#define DECODE_PPPOE_PADS 0x65
#define DECODE_PPPOE_PADT 0xa7

/* PPP protocol numbers we follow. */
#define DECODE_PPP_IPV4 0x0021
#define DECODE_PPP_IPV6 0x0057
#define DECODE_PPP_MPLS_UC 0x0281
#define DECODE_PPP_MPLS_MC 0x0283

#define DECODE_PPP_IPV4_MIN 20
#define DECODE_PPP_IPV6_MIN 40

static int decode_pppoe_code_ok(uint8_t code)
{
	switch (code) {
	case DECODE_PPPOE_PADI:
	case DECODE_PPPOE_PADO:
	case DECODE_PPPOE_PADR:
	case DECODE_PPPOE_PADS:
	case DECODE_PPPOE_PADT:
		return 1;
	default:
		return 0;
	}
}

/* The tags must exactly fill the payload length, up to an optional End-Of-List tag. */
static int decode_pppoe_tags_ok(const uint8_t *t, uint32_t len)
{
	uint32_t off = 0, tlen;

	while (off < len) {
		if (len - off < DECODE_PPPOE_TAG_HLEN)
			return 0;
		if (decode__rd16(t + off) == DECODE_PPPOE_TAG_END_OF_LIST)
			return 1;
		tlen = decode__rd16(t + off + 2);
		if (tlen > len - off - DECODE_PPPOE_TAG_HLEN)
			return 0;
		off += DECODE_PPPOE_TAG_HLEN + tlen;
	}
	return 1;
}

int decode__pppoe_discovery(decode_ctx_t *ctx, const uint8_t *d, uint32_t len)
{
	uint32_t plen;

	ctx->cnt.pppoe++;
	if (len < DECODE_PPPOE_HLEN)
		return decode__event(ctx, DECODE_EV_PPPOE_PKT_TOO_SMALL);
	if (!decode_pppoe_code_ok(d[1]))
		return decode__event(ctx, DECODE_EV_PPPOE_WRONG_CODE);
	/* The length excludes Ethernet padding, so it may be shorter than what follows. */
	plen = decode__rd16(d + 4);
	if (plen > len - DECODE_PPPOE_HLEN || !decode_pppoe_tags_ok(d + DECODE_PPPOE_HLEN, plen))
		return decode__event(ctx, DECODE_EV_PPPOE_MALFORMED_TAGS);
	return DECODE_OTHER;
}

/*
 * A session frame. An empty one (length 0) carries no PPP frame. The length is not used to trim
 * the payload: the IP stages trim padding from their own lengths.
 */
int decode__pppoe_session(decode_ctx_t *ctx, packet_t *p, const uint8_t *d, uint32_t len)
{
	ctx->cnt.pppoe++;
	if (len < DECODE_PPPOE_HLEN)
		return decode__event(ctx, DECODE_EV_PPPOE_PKT_TOO_SMALL);
	if (decode__rd16(d + 4) == 0)
		return DECODE_OTHER;
	return decode__ppp(ctx, p, d + DECODE_PPPOE_HLEN, len - DECODE_PPPOE_HLEN);
}

/*
 * A protocol we do not follow: well-formed or not. RFC 1661 makes the low octet odd and the high
 * octet even; the latter always holds here, as an odd first byte is read as the one-byte form.
 */
static int decode_ppp_other(decode_ctx_t *ctx, uint16_t proto)
{
	if (!(proto & 0x0001))
		return decode__event(ctx, DECODE_EV_PPP_WRONG_TYPE);
	ctx->cnt.events[DECODE_EV_PPP_UNSUP_PROTO]++;
	return DECODE_OTHER;
}

/*
 * A PPP frame without HDLC address and control (as in PPPoE): the protocol field, compressed to
 * one byte (RFC 1661 section 6.5) when its first byte is odd, then the payload.
 */
int decode__ppp(decode_ctx_t *ctx, packet_t *p, const uint8_t *d, uint32_t len)
{
	uint16_t proto;
	uint32_t hlen = 2;

	ctx->cnt.ppp++;
	if (len < 1)
		return decode__event(ctx, DECODE_EV_PPP_PKT_TOO_SMALL);
	if (d[0] & 0x01) {
		proto = d[0];
		hlen = 1;
	} else if (len < 2) {
		return decode__event(ctx, DECODE_EV_PPP_PKT_TOO_SMALL);
	} else {
		proto = decode__rd16(d);
	}
	d += hlen;
	len -= hlen;
	switch (proto) {
	case DECODE_PPP_IPV4:
		if (len < DECODE_PPP_IPV4_MIN)
			return decode__event(ctx, DECODE_EV_PPP_IP4_PKT_TOO_SMALL);
		return decode__ipv4(ctx, p, d, len);
	case DECODE_PPP_IPV6:
		if (len < DECODE_PPP_IPV6_MIN)
			return decode__event(ctx, DECODE_EV_PPP_IP6_PKT_TOO_SMALL);
		return decode__ipv6(ctx, p, d, len);
	case DECODE_PPP_MPLS_UC:
	case DECODE_PPP_MPLS_MC:
		return decode__ethertype(ctx, p, DECODE_ETHERTYPE_MPLS_UC, d, len);
	default:
		return decode_ppp_other(ctx, proto);
	}
}

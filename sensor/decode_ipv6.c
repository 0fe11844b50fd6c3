/*
 * decode_ipv6.c - the IPv6 header and its extension-header chain.
 *
 * Fed by the link layers and tunnels with the bytes from the IPv6 header on; trims them to the
 * payload length, walks hop-by-hop, routing, destination-options, fragment and AH headers, and
 * hands the upper-layer payload to decode_l4.c. Fragments go to the defragmenter and the
 * reassembled datagram comes back here. ESP and "no next header" end the walk: there is nothing
 * we can read behind them. Jumbograms (payload length 0 with a jumbo option) are not supported.
 */
#include <string.h>

#include "decode_private.h"

#define DECODE_IPV6_HLEN 40
#define DECODE_IPV6_EXT_MIN 8

/* Extension headers, and "no next header". ESP (50) ends the chain in decode_l4.c. */
#define DECODE_IPV6_HOPOPTS 0
#define DECODE_IPV6_ROUTING 43
#define DECODE_IPV6_FRAGMENT 44
#define DECODE_IPV6_AH 51
#define DECODE_IPV6_NONE 59
#define DECODE_IPV6_DSTOPTS 60

/* The TLV options of a hop-by-hop or destination-options header must exactly fill it. */
static int decode_ipv6_options_ok(const uint8_t *o, uint32_t len)
{
	uint32_t i = 0;

	while (i < len) {
		if (o[i] == 0) { /* Pad1 */
			i++;
			continue;
		}
		if (len - i < 2 || (uint32_t)o[i + 1] > len - i - 2)
			return 0;
		i += 2 + (uint32_t)o[i + 1];
	}
	return 1;
}

/* A fragment (not an atomic one): held until its datagram completes. */
static int decode_ipv6_frag(decode_ctx_t *ctx, packet_t *p, const uint8_t *d, uint32_t len,
			    uint32_t fh_off, uint32_t nh_off)
{
	const uint8_t *dgram;
	uint32_t dlen;

	if (ctx->reassemblies >= DECODE_MAX_REASSEMBLIES) {
		ctx->cnt.too_many_layers++;
		return DECODE_DROP;
	}
	switch (defrag__ipv6(ctx->defrag, p, d, len, fh_off, nh_off, &dgram, &dlen)) {
	case DEFRAG_HELD:
		return DECODE_OTHER;
	case DEFRAG_DONE:
		ctx->reassemblies++;
		p->flags |= PACKET_F_DEFRAG;
		return decode__ipv6(ctx, p, dgram, dlen);
	default:
		return DECODE_DROP;
	}
}

/*
 * Length of the extension header of type nh at d[off], or 0 when the header does not fit in
 * [off, end) (counted). Offsets stay below end, so 'end - off' is always safe.
 */
static uint32_t decode_ipv6_ext_len(decode_ctx_t *ctx, uint8_t nh, const uint8_t *d, uint32_t off,
				    uint32_t end)
{
	uint32_t hl;

	if (end - off < DECODE_IPV6_EXT_MIN) {
		ctx->cnt.events[DECODE_EV_IPV6_TRUNC_EXTHDR]++;
		return 0;
	}
	if (nh == DECODE_IPV6_FRAGMENT)
		return DECODE_IPV6_EXT_MIN;
	if (nh == DECODE_IPV6_AH)
		hl = ((uint32_t)d[off + 1] + 2) * 4;
	else
		hl = ((uint32_t)d[off + 1] + 1) * 8;
	if (hl > end - off) {
		ctx->cnt.events[DECODE_EV_IPV6_TRUNC_EXTHDR]++;
		return 0;
	}
	if ((nh == DECODE_IPV6_HOPOPTS || nh == DECODE_IPV6_DSTOPTS) &&
	    !decode_ipv6_options_ok(d + off + 2, hl - 2)) {
		ctx->cnt.events[DECODE_EV_IPV6_EXTHDR_INVALID_OPTLEN]++;
		return 0;
	}
	return hl;
}

/* Walks the extension headers from d[40] to the upper layer, within [0, end). */
static int decode_ipv6_exthdrs(decode_ctx_t *ctx, packet_t *p, const uint8_t *d, uint32_t end)
{
	uint32_t off = DECODE_IPV6_HLEN, nh_off = 6, hl;
	uint8_t nh = d[6];

	for (;;) {
		switch (nh) {
		case DECODE_IPV6_HOPOPTS:
		case DECODE_IPV6_ROUTING:
		case DECODE_IPV6_DSTOPTS:
		case DECODE_IPV6_AH:
		case DECODE_IPV6_FRAGMENT:
			break;
		case DECODE_IPV6_NONE:
			p->proto = nh;
			return DECODE_OTHER;
		default:
			p->proto = nh;
			return decode__l4(ctx, p, nh, d + off, end - off);
		}
		hl = decode_ipv6_ext_len(ctx, nh, d, off, end);
		if (hl == 0)
			return DECODE_DROP;
		/* Offset and M flag both zero: an atomic fragment (RFC 6946), read through. */
		if (nh == DECODE_IPV6_FRAGMENT && (decode__rd16(d + off + 2) & 0xfff9) != 0)
			return decode_ipv6_frag(ctx, p, d, end, off, nh_off);
		/* With segments left, the checksum covers the final destination (RFC 8200 8.1),
		 * which only the routing header knows, in a type-specific place. */
		if (nh == DECODE_IPV6_ROUTING && d[off + 3] != 0)
			ctx->l4_csum_unknown = 1;
		nh_off = off;
		nh = d[off];
		off += hl;
	}
}

int decode__ipv6(decode_ctx_t *ctx, packet_t *p, const uint8_t *d, uint32_t len)
{
	uint32_t end;

	ctx->cnt.ipv6++;
	if (len < DECODE_IPV6_HLEN)
		return decode__event(ctx, DECODE_EV_IPV6_PKT_TOO_SMALL);
	if ((d[0] >> 4) != 6)
		return decode__event(ctx, DECODE_EV_IPV6_WRONG_IP_VERSION);
	end = DECODE_IPV6_HLEN + (uint32_t)decode__rd16(d + 4);
	if (end > len)
		return decode__event(ctx, DECODE_EV_IPV6_TRUNC_PKT);

	ctx->l4_csum_unknown = 0;
	p->ip_version = 6;
	p->ttl = d[7];
	memcpy(p->src.b, d + 8, 16);
	memcpy(p->dst.b, d + 24, 16);
	p->l3 = d;
	p->l3_len = end;
	return decode_ipv6_exthdrs(ctx, p, d, end);
}

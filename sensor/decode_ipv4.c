/*
 * decode_ipv4.c - the IPv4 header.
 *
 * Fed by the link layers and tunnels with the bytes from the IPv4 header on (Ethernet padding
 * included); trims them to the total length, fills the addresses, TTL and protocol, and hands
 * the payload to decode_l4.c, or a fragment to the defragmenter and, once it completes, the
 * reassembled datagram back to itself. Options are skipped, not interpreted.
 */
#include <string.h>

#include "decode_private.h"

#define DECODE_IPV4_HLEN 20
#define DECODE_IPV4_MF 0x2000
#define DECODE_IPV4_OFFMASK 0x1fff

/* Validates the header checksum when asked to: a bad one is counted and drops the packet. */
static int decode_ipv4_csum_ok(decode_ctx_t *ctx, packet_t *p, const uint8_t *d, uint32_t hlen)
{
	if (!ctx->cfg.validate_checksums || decode__csum_fold(decode__csum_add(0, d, hlen)) == 0)
		return 1;
	ctx->cnt.csum_invalid_ipv4++;
	p->flags |= PACKET_F_BAD_CSUM;
	return 0;
}

/* A fragment: held until its datagram completes, then decoded as if captured whole. */
static int decode_ipv4_frag(decode_ctx_t *ctx, packet_t *p, const uint8_t *d, uint32_t len)
{
	const uint8_t *dgram;
	uint32_t dlen;

	if (ctx->reassemblies >= DECODE_MAX_REASSEMBLIES) {
		ctx->cnt.too_many_layers++;
		return DECODE_DROP;
	}
	switch (defrag__ipv4(ctx->defrag, p, d, len, &dgram, &dlen)) {
	case DEFRAG_HELD:
		return DECODE_OTHER;
	case DEFRAG_DONE:
		ctx->reassemblies++;
		p->flags |= PACKET_F_DEFRAG;
		return decode__ipv4(ctx, p, dgram, dlen);
	default:
		return DECODE_DROP;
	}
}

int decode__ipv4(decode_ctx_t *ctx, packet_t *p, const uint8_t *d, uint32_t len)
{
	uint32_t hlen, tot;

	ctx->cnt.ipv4++;
	if (len < DECODE_IPV4_HLEN)
		return decode__event(ctx, DECODE_EV_IPV4_PKT_TOO_SMALL);
	if ((d[0] >> 4) != 4)
		return decode__event(ctx, DECODE_EV_IPV4_WRONG_IP_VERSION);
	hlen = (uint32_t)(d[0] & 0x0f) * 4;
	if (hlen < DECODE_IPV4_HLEN)
		return decode__event(ctx, DECODE_EV_IPV4_HLEN_TOO_SMALL);
	tot = decode__rd16(d + 2);
	if (tot < hlen)
		return decode__event(ctx, DECODE_EV_IPV4_IPLEN_SMALLER_THAN_HLEN);
	if (tot > len)
		return decode__event(ctx, DECODE_EV_IPV4_TRUNC_PKT);
	if (!decode_ipv4_csum_ok(ctx, p, d, hlen))
		return DECODE_DROP;

	ctx->l4_csum_unknown = 0;
	p->ip_version = 4;
	p->ttl = d[8];
	p->proto = d[9];
	memset(&p->src, 0, sizeof(p->src));
	memset(&p->dst, 0, sizeof(p->dst));
	memcpy(p->src.b, d + 12, 4);
	memcpy(p->dst.b, d + 16, 4);
	p->l3 = d;
	p->l3_len = tot;
	if (decode__rd16(d + 6) & (DECODE_IPV4_MF | DECODE_IPV4_OFFMASK))
		return decode_ipv4_frag(ctx, p, d, tot);
	return decode__l4(ctx, p, d[9], d + hlen, tot - hlen);
}

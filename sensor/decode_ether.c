/*
 * decode_ether.c - link layers: Ethernet II and 802.3 with 802.2 LLC / SNAP, 802.1Q / 802.1ad /
 * QinQ tags, MPLS label stacks, Linux cooked captures (SLL v1 and v2), BSD null / loopback,
 * Cisco HDLC and Linux NFLOG.
 *
 * Fed by decode.c with the captured frame, and by the tunnel decoders with inner frames; feeds
 * the IPv4 / IPv6 stages, and PPPoE to decode_ppp.c. VLAN ids are appended to p->vlan (outermost
 * first). Ethertypes that carry nothing for the flow layer (ARP, LLDP, LACP...) are DECODE_OTHER;
 * unknown ones are counted and DECODE_OTHER too. This file does not trim padding: the IP stages
 * do, from the lengths in their own headers.
 */
#include <string.h>

#include "decode_private.h"

#define DECODE_ETHER_HLEN 14
#define DECODE_VLAN_HLEN 4
#define DECODE_MPLS_HLEN 4
#define DECODE_MPLS_MAX_LABELS 16
#define DECODE_SLL_HLEN 16
#define DECODE_SLL2_HLEN 20
#define DECODE_NULL_HLEN 4
#define DECODE_CHDLC_HLEN 4

/* 802.3: a type field up to this value is the frame's length, and 802.2 LLC follows. */
#define DECODE_8023_MAX_LEN 1500
#define DECODE_LLC_HLEN 3
#define DECODE_SNAP_HLEN 8 /* LLC AA AA 03, then a 3-byte OUI and a 2-byte protocol */
#define DECODE_OUI_ETHERTYPE 0x000000 /* RFC 1042: the protocol is an ethertype */
#define DECODE_OUI_BRIDGE_TUNNEL 0x0000f8 /* 802.1H: likewise */

/* NFLOG: family, version, resource id; then TLVs of host-order length (header included) and
 * type, each padded to 4 bytes. Only the payload TLV matters here. */
#define DECODE_NFLOG_HLEN 4
#define DECODE_NFLOG_TLV_HLEN 4
#define DECODE_NFLOG_TLV_TYPE_MASK 0x3fff /* the top bits are netlink flags */
#define DECODE_NFULA_PAYLOAD 9
#define DECODE_AF_INET6_LINUX 10

/* MPLS reserved labels that name their payload. */
#define DECODE_MPLS_LABEL_IPV4_NULL 0
#define DECODE_MPLS_LABEL_IPV6_NULL 2

/* Address families of BSD null / loop headers: AF_INET everywhere, AF_INET6 per OS. */
#define DECODE_AF_INET 2
#define DECODE_AF_INET6_BSD 24 /* NetBSD, OpenBSD */
#define DECODE_AF_INET6_FREEBSD 28 /* FreeBSD, DragonFly */
#define DECODE_AF_INET6_DARWIN 30 /* macOS, iOS */

/* Counts a link layer entered, and refuses one too many. */
static int decode_layer_enter(decode_ctx_t *ctx)
{
	if (++ctx->layers > DECODE_MAX_LAYERS) {
		ctx->cnt.too_many_layers++;
		return -1;
	}
	return 0;
}

int decode__ether(decode_ctx_t *ctx, packet_t *p, const uint8_t *d, uint32_t len)
{
	ctx->cnt.ethernet++;
	if (len < DECODE_ETHER_HLEN)
		return decode__event(ctx, DECODE_EV_ETH_PKT_TOO_SMALL);
	if (decode_layer_enter(ctx) < 0)
		return DECODE_DROP;
	return decode__ethertype(ctx, p, decode__rd16(d + 12), d + DECODE_ETHER_HLEN,
				 len - DECODE_ETHER_HLEN);
}

/* One 802.1Q / 802.1ad tag: TCI (priority, DEI, 12-bit id) and the next ethertype. */
static int decode_vlan(decode_ctx_t *ctx, packet_t *p, const uint8_t *d, uint32_t len)
{
	if (len < DECODE_VLAN_HLEN)
		return decode__event(ctx, DECODE_EV_VLAN_HEADER_TOO_SMALL);
	if (p->vlan_count >= PACKET_MAX_VLAN)
		return decode__event(ctx, DECODE_EV_VLAN_TOO_MANY_LAYERS);
	if (p->vlan_count == 0)
		ctx->cnt.vlan++;
	else if (p->vlan_count == 1)
		ctx->cnt.vlan_qinq++;
	else
		ctx->cnt.vlan_qinqinq++;
	p->vlan[p->vlan_count++] = decode__rd16(d) & 0x0fff;
	return decode__ethertype(ctx, p, decode__rd16(d + 2), d + DECODE_VLAN_HLEN,
				 len - DECODE_VLAN_HLEN);
}

/*
 * The payload under the bottom of an MPLS stack has no type field: the explicit-null labels
 * name it, else the first nibble guesses it (4, 6, or 0 for a pseudowire control word followed
 * by an Ethernet frame).
 */
static int decode_mpls_payload(decode_ctx_t *ctx, packet_t *p, uint32_t label, const uint8_t *d,
			       uint32_t len)
{
	if (len < 1)
		return decode__event(ctx, DECODE_EV_MPLS_PKT_TOO_SMALL);
	if (label == DECODE_MPLS_LABEL_IPV4_NULL)
		return decode__ipv4(ctx, p, d, len);
	if (label == DECODE_MPLS_LABEL_IPV6_NULL)
		return decode__ipv6(ctx, p, d, len);
	switch (d[0] >> 4) {
	case 4:
		return decode__ipv4(ctx, p, d, len);
	case 6:
		return decode__ipv6(ctx, p, d, len);
	case 0:
		if (len < DECODE_MPLS_HLEN)
			return decode__event(ctx, DECODE_EV_MPLS_PKT_TOO_SMALL);
		return decode__ether(ctx, p, d + DECODE_MPLS_HLEN, len - DECODE_MPLS_HLEN);
	default:
		return decode__event(ctx, DECODE_EV_MPLS_UNKNOWN_PAYLOAD_TYPE);
	}
}

static int decode_mpls(decode_ctx_t *ctx, packet_t *p, const uint8_t *d, uint32_t len)
{
	uint32_t off = 0, entry, n;

	ctx->cnt.mpls++;
	if (decode_layer_enter(ctx) < 0)
		return DECODE_DROP;
	for (n = 0; n < DECODE_MPLS_MAX_LABELS; n++) {
		if (len - off < DECODE_MPLS_HLEN)
			return decode__event(ctx, DECODE_EV_MPLS_HEADER_TOO_SMALL);
		entry = decode__rd32(d + off);
		off += DECODE_MPLS_HLEN;
		if (entry & 0x100) /* bottom of stack */
			return decode_mpls_payload(ctx, p, entry >> 12, d + off, len - off);
	}
	ctx->cnt.too_many_layers++;
	return DECODE_DROP;
}

int decode__ethertype_known(uint16_t type)
{
	switch (type) {
	case DECODE_ETHERTYPE_IPV4:
	case DECODE_ETHERTYPE_IPV6:
	case DECODE_ETHERTYPE_VLAN:
	case DECODE_ETHERTYPE_QINQ:
	case DECODE_ETHERTYPE_QINQ_OLD:
	case DECODE_ETHERTYPE_MPLS_UC:
	case DECODE_ETHERTYPE_MPLS_MC:
	case DECODE_ETHERTYPE_ARP:
	case 0x8035: /* RARP */
	case 0x88cc: /* LLDP */
	case 0x8809: /* slow protocols: LACP, marker, OAM */
	case 0x888e: /* EAPOL */
	case 0x88f7: /* PTP */
	case DECODE_ETHERTYPE_PPPOE_DISC:
	case DECODE_ETHERTYPE_PPPOE_SESS:
	case 0x88e5: /* MACsec */
	case 0x8902: /* CFM */
	case 0x8906: /* FCoE */
	case 0x8914: /* FIP */
	case 0x88e7: /* 802.1ah backbone */
	case 0x0842: /* Wake-on-LAN */
	case 0x893a: /* IEEE 1905.1 */
		return 1;
	default:
		return 0;
	}
}

/*
 * 802.2 LLC after an 802.3 length field. Only SNAP with an ethertype (RFC 1042, 802.1H) is
 * followed; the other LLC users (spanning tree, NetBIOS, CDP...) carry nothing for us.
 */
static int decode_llc(decode_ctx_t *ctx, packet_t *p, const uint8_t *d, uint32_t len)
{
	uint32_t oui;
	uint16_t type;

	ctx->cnt.llc++;
	if (len < DECODE_LLC_HLEN)
		return decode__api_event(ctx, DECODE_API_EV_LLC_PKT_TOO_SMALL);
	if (d[0] != 0xaa || d[1] != 0xaa || d[2] != 0x03)
		return DECODE_OTHER;
	if (len < DECODE_SNAP_HLEN)
		return decode__api_event(ctx, DECODE_API_EV_LLC_PKT_TOO_SMALL);
	oui = (uint32_t)d[3] << 16 | (uint32_t)d[4] << 8 | d[5];
	type = decode__rd16(d + 6);
	/* A SNAP protocol is an ethertype, never a length: this also stops LLC-in-LLC recursion. */
	if ((oui != DECODE_OUI_ETHERTYPE && oui != DECODE_OUI_BRIDGE_TUNNEL) || type < 0x0600)
		return DECODE_OTHER;
	return decode__ethertype(ctx, p, type, d + DECODE_SNAP_HLEN, len - DECODE_SNAP_HLEN);
}

int decode__ethertype(decode_ctx_t *ctx, packet_t *p, uint16_t type, const uint8_t *d, uint32_t len)
{
	switch (type) {
	case DECODE_ETHERTYPE_IPV4:
		return decode__ipv4(ctx, p, d, len);
	case DECODE_ETHERTYPE_IPV6:
		return decode__ipv6(ctx, p, d, len);
	case DECODE_ETHERTYPE_VLAN:
	case DECODE_ETHERTYPE_QINQ:
	case DECODE_ETHERTYPE_QINQ_OLD:
		return decode_vlan(ctx, p, d, len);
	case DECODE_ETHERTYPE_MPLS_UC:
	case DECODE_ETHERTYPE_MPLS_MC:
		return decode_mpls(ctx, p, d, len);
	case DECODE_ETHERTYPE_PPPOE_SESS:
		return decode__pppoe_session(ctx, p, d, len);
	case DECODE_ETHERTYPE_PPPOE_DISC:
		return decode__pppoe_discovery(ctx, d, len);
	case DECODE_ETHERTYPE_ARP:
		ctx->cnt.arp++;
		return DECODE_OTHER;
	default:
		break;
	}
	if (type <= DECODE_8023_MAX_LEN)
		return decode_llc(ctx, p, d, len);
	/* 1501..1535 are neither lengths nor ethertypes. */
	if (type < 0x0600 || decode__ethertype_known(type))
		return DECODE_OTHER;
	ctx->cnt.unknown_ethertype++;
	ctx->cnt.events[DECODE_EV_ETH_UNKNOWN_ETHERTYPE]++;
	return DECODE_OTHER;
}

/* Linux cooked v1: packet type, ARPHRD type, address length, 8 address bytes, protocol. */
int decode__sll(decode_ctx_t *ctx, packet_t *p, const uint8_t *d, uint32_t len)
{
	ctx->cnt.sll++;
	if (len < DECODE_SLL_HLEN)
		return decode__event(ctx, DECODE_EV_SLL_PKT_TOO_SMALL);
	return decode__ethertype(ctx, p, decode__rd16(d + 14), d + DECODE_SLL_HLEN,
				 len - DECODE_SLL_HLEN);
}

/* Linux cooked v2: protocol first, then interface index, ARPHRD type, packet type, address. */
int decode__sll2(decode_ctx_t *ctx, packet_t *p, const uint8_t *d, uint32_t len)
{
	ctx->cnt.sll2++;
	if (len < DECODE_SLL2_HLEN)
		return decode__event(ctx, DECODE_EV_SLL2_PKT_TOO_SMALL);
	return decode__ethertype(ctx, p, decode__rd16(d), d + DECODE_SLL2_HLEN,
				 len - DECODE_SLL2_HLEN);
}

/*
 * BSD null (host byte order of the capturing machine) and loop (network byte order): a 32-bit
 * address family. Captures move between machines, so both orders are accepted for both: the
 * family is small, so whichever order gives a value below 256 is the right one.
 */
int decode__null(decode_ctx_t *ctx, packet_t *p, const uint8_t *d, uint32_t len)
{
	uint32_t fam;

	ctx->cnt.null++;
	if (len < DECODE_NULL_HLEN)
		return decode__event(ctx, DECODE_EV_NULL_PKT_TOO_SMALL);
	fam = decode__rd32(d);
	if (fam > 0xff)
		fam = (uint32_t)d[3] << 24 | (uint32_t)d[2] << 16 | (uint32_t)d[1] << 8 | d[0];
	switch (fam) {
	case DECODE_AF_INET:
		return decode__ipv4(ctx, p, d + DECODE_NULL_HLEN, len - DECODE_NULL_HLEN);
	case DECODE_AF_INET6_BSD:
	case DECODE_AF_INET6_FREEBSD:
	case DECODE_AF_INET6_DARWIN:
		return decode__ipv6(ctx, p, d + DECODE_NULL_HLEN, len - DECODE_NULL_HLEN);
	default:
		return decode__event(ctx, DECODE_EV_NULL_UNSUPPORTED_TYPE);
	}
}

/* Cisco HDLC: address, control, then an ethertype. */
int decode__chdlc(decode_ctx_t *ctx, packet_t *p, const uint8_t *d, uint32_t len)
{
	ctx->cnt.chdlc++;
	if (len < DECODE_CHDLC_HLEN)
		return decode__event(ctx, DECODE_EV_CHDLC_PKT_TOO_SMALL);
	return decode__ethertype(ctx, p, decode__rd16(d + 2), d + DECODE_CHDLC_HLEN,
				 len - DECODE_CHDLC_HLEN);
}

/* NFLOG TLV fields are in the byte order of the capturing host, which libpcap converts to ours. */
static uint16_t decode_nflog_rd16(const uint8_t *b)
{
	uint16_t v;

	memcpy(&v, b, sizeof(v));
	return v;
}

/* The logged packet: IPv4 or IPv6 as the family says. */
static int decode_nflog_payload(decode_ctx_t *ctx, packet_t *p, uint8_t family, const uint8_t *d,
				uint32_t len)
{
	if (family == DECODE_AF_INET)
		return decode__ipv4(ctx, p, d, len);
	return decode__ipv6(ctx, p, d, len);
}

/*
 * Linux NFLOG (DLT_NFLOG): the TLVs are walked to the payload. A payload TLV longer than the
 * capture was cut by the snap length: what there is goes to IP, which counts the truncation.
 */
int decode__nflog(decode_ctx_t *ctx, packet_t *p, const uint8_t *d, uint32_t len)
{
	uint32_t off = DECODE_NFLOG_HLEN, tlen, step;

	ctx->cnt.nflog++;
	if (len < DECODE_NFLOG_HLEN)
		return decode__api_event(ctx, DECODE_API_EV_NFLOG_PKT_TOO_SMALL);
	if (d[1] != 0)
		return decode__api_event(ctx, DECODE_API_EV_NFLOG_UNSUPPORTED_VERSION);
	if (d[0] != DECODE_AF_INET && d[0] != DECODE_AF_INET6_LINUX)
		return decode__api_event(ctx, DECODE_API_EV_NFLOG_UNSUPPORTED_TYPE);
	while (len - off >= DECODE_NFLOG_TLV_HLEN) {
		tlen = decode_nflog_rd16(d + off);
		if (tlen < DECODE_NFLOG_TLV_HLEN)
			return decode__api_event(ctx, DECODE_API_EV_NFLOG_TLV_LEN_INVALID);
		off += DECODE_NFLOG_TLV_HLEN;
		tlen -= DECODE_NFLOG_TLV_HLEN;
		if ((decode_nflog_rd16(d + off - 2) & DECODE_NFLOG_TLV_TYPE_MASK) ==
		    DECODE_NFULA_PAYLOAD)
			return decode_nflog_payload(ctx, p, d[0], d + off,
						    tlen < len - off ? tlen : len - off);
		if (tlen > len - off)
			return decode__api_event(ctx, DECODE_API_EV_NFLOG_TLV_LEN_INVALID);
		/* The last TLV may go without its padding. */
		step = (tlen + 3) & ~3u;
		off += step < len - off ? step : len - off;
	}
	ctx->cnt.api_events[DECODE_API_EV_NFLOG_NO_PAYLOAD]++;
	return DECODE_OTHER;
}

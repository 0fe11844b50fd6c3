/*
 * test_frame.h - packet builders shared by the decode and defrag unit tests: a frame buffer
 * filled from the inside out, big-endian writers, Internet checksums, and TCP / UDP / IPv4 /
 * IPv6 (with extension and fragment headers) / Ethernet / VLAN / MPLS / cooked and null link
 * headers; the inner IPv4 packet of test_decode.c and test_decode_link.c and the checks of a
 * decoded one. Test-specific builders (tunnels, the other link types, fragment helpers) stay in
 * their test file.
 *
 * Everything is static inline so that a test which does not use a helper gets no warning.
 */
#ifndef APIWATCH_TEST_FRAME_H
#define APIWATCH_TEST_FRAME_H

#include "test_common.h"

#include "packet.h"

/*
 * Frames are built from the inside out: each f_* call prepends one header to what is already
 * in the frame, so a test reads "payload, TCP, IPv4, Ethernet". IP headers get their lengths
 * (and checksums) from what they wrap.
 */
#define FRAME_CAP 70000

typedef struct frame {
	uint8_t b[FRAME_CAP];
	size_t head;
} frame_t;

static const uint8_t A4[4] = {10, 0, 0, 1};
static const uint8_t B4[4] = {192, 168, 7, 2};
static const uint8_t A6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t B6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};

static inline void f_init(frame_t *f)
{
	f->head = FRAME_CAP;
}

static inline size_t f_len(const frame_t *f)
{
	return FRAME_CAP - f->head;
}

static inline uint8_t *f_data(frame_t *f)
{
	return f->b + f->head;
}

static inline uint8_t *f_push(frame_t *f, size_t n)
{
	assert_true(f->head >= n);
	f->head -= n;
	memset(f->b + f->head, 0, n);
	return f->b + f->head;
}

static inline void w16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void w32(uint8_t *p, uint32_t v)
{
	w16(p, (uint16_t)(v >> 16));
	w16(p + 2, (uint16_t)v);
}

/* n payload bytes: seed, seed + 1, ... */
static inline void f_payload(frame_t *f, size_t n, uint8_t seed)
{
	uint8_t *p = f_push(f, n);
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i);
}

static inline uint32_t csum_add(uint32_t sum, const uint8_t *d, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(d[i] << 8 | d[i + 1]);
	if (n & 1)
		sum += (uint32_t)d[n - 1] << 8;
	return sum;
}

static inline uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Sets the TCP or UDP checksum of the segment at the head of the frame. */
static inline void f_l4csum(frame_t *f, int v6, const uint8_t *src, const uint8_t *dst,
			    uint8_t proto)
{
	uint8_t *l4 = f_data(f);
	size_t n = f_len(f), at = proto == 6 ? 16 : 6;
	uint32_t sum;
	uint16_t c;

	if (n < at + 2)
		return; /* a deliberately short segment: nothing to sum */
	w16(l4 + at, 0);
	sum = csum_add(0, src, v6 ? 16 : 4);
	sum = csum_add(sum, dst, v6 ? 16 : 4);
	sum += proto + (uint32_t)(n & 0xffff) + (uint32_t)(n >> 16);
	c = csum_fold(csum_add(sum, l4, n));
	if (proto == 17 && c == 0)
		c = 0xffff;
	w16(l4 + at, c);
}

static inline void f_tcp_opts(frame_t *f, uint16_t sp, uint16_t dp, uint8_t flags,
			      const uint8_t *opt, size_t optlen)
{
	uint8_t *h = f_push(f, 20 + optlen);

	w16(h, sp);
	w16(h + 2, dp);
	w32(h + 4, 1000);
	w32(h + 8, 2000);
	h[12] = (uint8_t)(((20 + optlen) / 4) << 4);
	h[13] = flags;
	w16(h + 14, 8192);
	if (optlen)
		memcpy(h + 20, opt, optlen);
}

static inline void f_tcp(frame_t *f, uint16_t sp, uint16_t dp, uint8_t flags)
{
	f_tcp_opts(f, sp, dp, flags, NULL, 0);
}

static inline void f_udp(frame_t *f, uint16_t sp, uint16_t dp)
{
	size_t n = f_len(f) + 8;
	uint8_t *h = f_push(f, 8);

	w16(h, sp);
	w16(h + 2, dp);
	w16(h + 4, (uint16_t)n);
}

/* IPv4 header; frag is the flags/offset field. TCP/UDP checksums are set unless fragmented. */
static inline void f_ipv4_x(frame_t *f, uint8_t proto, const uint8_t *src, const uint8_t *dst,
			    uint16_t id, uint16_t frag)
{
	uint8_t *h;

	if ((proto == 6 || proto == 17) && (frag & 0x3fff) == 0)
		f_l4csum(f, 0, src, dst, proto);
	h = f_push(f, 20);
	h[0] = 0x45;
	w16(h + 2, (uint16_t)f_len(f));
	w16(h + 4, id);
	w16(h + 6, frag);
	h[8] = 64;
	h[9] = proto;
	memcpy(h + 12, src, 4);
	memcpy(h + 16, dst, 4);
	w16(h + 10, csum_fold(csum_add(0, h, 20)));
}

static inline void f_ipv4(frame_t *f, uint8_t proto)
{
	f_ipv4_x(f, proto, A4, B4, 1, 0x4000);
}

/* IPv6 header; the TCP/UDP checksum is set when nh is TCP/UDP itself. */
static inline void f_ipv6_x(frame_t *f, uint8_t nh, const uint8_t *src, const uint8_t *dst)
{
	size_t plen = f_len(f);
	uint8_t *h;

	if (nh == 6 || nh == 17)
		f_l4csum(f, 1, src, dst, nh);
	h = f_push(f, 40);
	h[0] = 0x60;
	w16(h + 4, (uint16_t)plen);
	h[6] = nh;
	h[7] = 55;
	memcpy(h + 8, src, 16);
	memcpy(h + 24, dst, 16);
}

static inline void f_ipv6(frame_t *f, uint8_t nh)
{
	f_ipv6_x(f, nh, A6, B6);
}

/* Hop-by-hop, routing or destination options of len bytes (multiple of 8), PadN-filled. */
static inline void f_ipv6_ext(frame_t *f, uint8_t nh, size_t len)
{
	uint8_t *h = f_push(f, len);

	h[0] = nh;
	h[1] = (uint8_t)(len / 8 - 1);
	h[2] = 1; /* PadN */
	h[3] = (uint8_t)(len - 4);
}

static inline void f_ipv6_frag(frame_t *f, uint8_t nh, uint16_t off, int more, uint32_t id)
{
	uint8_t *h = f_push(f, 8);

	h[0] = nh;
	w16(h + 2, (uint16_t)(off | (more ? 1 : 0)));
	w32(h + 4, id);
}

static inline void f_eth(frame_t *f, uint16_t type)
{
	uint8_t *h = f_push(f, 14);

	memcpy(h, "\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb", 12);
	w16(h + 12, type);
}

/* A VLAN tag: the TCI and the ethertype of what follows it. */
static inline void f_vlan(frame_t *f, uint16_t tci, uint16_t type)
{
	uint8_t *h = f_push(f, 4);

	w16(h, tci);
	w16(h + 2, type);
}

/* One MPLS label stack entry, TTL 64. */
static inline void f_mpls(frame_t *f, uint32_t label, int bottom)
{
	uint8_t *h = f_push(f, 4);

	w32(h, label << 12 | (bottom ? 0x100u : 0) | 64);
}

/* Linux cooked capture (SLL, SLL2) headers and the BSD null / loopback header. */
static inline void f_sll(frame_t *f, uint16_t proto)
{
	uint8_t *h = f_push(f, 16);

	w16(h + 2, 1); /* ARPHRD_ETHER */
	w16(h + 4, 6);
	w16(h + 14, proto);
}

static inline void f_sll2(frame_t *f, uint16_t proto)
{
	uint8_t *h = f_push(f, 20);

	w16(h, proto);
	w32(h + 4, 3);
	w16(h + 8, 1);
	h[11] = 6;
}

static inline void f_null(frame_t *f, uint32_t fam, int big_endian)
{
	uint8_t *h = f_push(f, 4);

	if (big_endian) {
		w32(h, fam);
	} else {
		h[0] = (uint8_t)fam;
		h[1] = (uint8_t)(fam >> 8);
	}
}

/* Ethernet / IPv4 / TCP 179 -> 40000 with the given options and 4 payload bytes. */
static inline void f_tcp_opts_frame(frame_t *f, uint8_t flags, const uint8_t *opt, size_t optlen)
{
	f_init(f);
	f_payload(f, 4, 'a');
	f_tcp_opts(f, 179, 40000, flags, opt, optlen);
	f_ipv4(f, 6);
	f_eth(f, 0x0800);
}

/* The inner packet of the PPPoE, GTP and NFLOG tests: IPv4 / TCP 1111 -> 2222, "qrs". */
static inline void f_inner_ip4(frame_t *f)
{
	f_init(f);
	f_payload(f, 3, 'q');
	f_tcp(f, 1111, 2222, PACKET_TCP_ACK);
	f_ipv4(f, 6);
}

/* A decoded IPv4 / TCP packet from A4 to B4 with these ports. */
static inline void assert_v4_tcp(const packet_t *p, uint16_t sp, uint16_t dp)
{
	assert_int_equal(p->ip_version, 4);
	assert_int_equal(p->proto, 6);
	assert_memory_equal(p->src.b, A4, 4);
	assert_memory_equal(p->dst.b, B4, 4);
	assert_int_equal(p->src.b[4] | p->src.b[15] | p->dst.b[4] | p->dst.b[15], 0);
	assert_int_equal(p->sport, sp);
	assert_int_equal(p->dport, dp);
}

/* The inner packet of f_inner_ip4 (or f_inner_ether) and the tunnel it came through. */
static inline void assert_inner(const packet_t *p, enum packet_tunnel type, uint32_t id, int depth)
{
	assert_v4_tcp(p, 1111, 2222);
	assert_int_equal(p->payload_len, 3);
	assert_memory_equal(p->payload, "qrs", 3);
	assert_int_equal(p->tunnel_type, type);
	assert_int_equal(p->tunnel_id, id);
	assert_int_equal(p->tunnel_depth, depth);
}

#endif

/*
 * packet.h - one captured packet as it moves through decode into the flow layer.
 *
 * Capture fills the first block (time, link type, borrowed bytes); decode fills the rest. All
 * pointers are borrowed: they point into the capture buffer (valid until the next read) or into
 * the defragmenter's reassembly buffer (valid until the next packet). Nothing here is freed.
 * A packet_t lives on the pipeline's stack or in its context: never malloc'd per packet.
 */
#ifndef APIWATCH_PACKET_H
#define APIWATCH_PACKET_H

#include <stdint.h>

#define PACKET_MAX_VLAN 3 /* 802.1Q, QinQ, and one more */

/* An IPv4 or IPv6 address. IPv4 uses the first 4 bytes, the rest are zero. */
typedef struct net_addr {
	uint8_t b[16];
} net_addr_t;

/* The tunnel a packet was carried in (innermost), kept as part of the flow key. */
enum packet_tunnel {
	PACKET_TUNNEL_NONE = 0,
	PACKET_TUNNEL_VXLAN,
	PACKET_TUNNEL_GENEVE,
	PACKET_TUNNEL_GRE,
	PACKET_TUNNEL_ERSPAN,
	PACKET_TUNNEL_IPIP,
	PACKET_TUNNEL_GTP
};

/* TCP flag bits as on the wire (flags byte of the TCP header). */
#define PACKET_TCP_FIN 0x01
#define PACKET_TCP_SYN 0x02
#define PACKET_TCP_RST 0x04
#define PACKET_TCP_PSH 0x08
#define PACKET_TCP_ACK 0x10
#define PACKET_TCP_URG 0x20
#define PACKET_TCP_ECE 0x40
#define PACKET_TCP_CWR 0x80

/* packet_t.flags */
#define PACKET_F_DEFRAG 0x0001 /* payload is a reassembled IP datagram */
#define PACKET_F_BAD_CSUM 0x0002 /* checksum validation on, and it failed */
#define PACKET_F_TCP_WSCALE 0x0004 /* tcp_wscale is set (SYN carried the option) */
#define PACKET_F_TCP_SACK_OK 0x0008
#define PACKET_F_TCP_AUTH_OPT 0x0010 /* TCP-MD5 (RFC 2385) or TCP-AO (RFC 5925) option present */

typedef struct packet {
	/* Filled by capture. */
	uint64_t ts_us; /* packet time, microseconds since the epoch */
	const uint8_t *data; /* captured bytes (borrowed) */
	uint32_t caplen; /* bytes captured */
	uint32_t wirelen; /* bytes on the wire */
	int linktype; /* DLT_* of the capture */
	uint64_t pcap_cnt; /* 1-based index of the packet in its capture */

	/* Filled by decode; the innermost headers after tunnels. */
	uint8_t ip_version; /* 4 or 6; 0 when no IP layer was found */
	uint8_t proto; /* IP protocol number of the transport layer */
	uint8_t vlan_count; /* VLAN tags seen (outermost first) */
	uint8_t tunnel_depth; /* number of tunnel layers stripped */
	uint8_t tunnel_type; /* enum packet_tunnel of the innermost tunnel */
	uint8_t tcp_flags; /* PACKET_TCP_* */
	uint8_t tcp_wscale; /* window scale option of a SYN */
	uint8_t ttl; /* IPv4 TTL or IPv6 hop limit */
	uint16_t vlan[PACKET_MAX_VLAN];
	uint16_t sport, dport;
	uint32_t flags; /* PACKET_F_* */
	uint32_t tunnel_id; /* VNI, GRE key or ERSPAN session id; 0 if none */
	net_addr_t src, dst;
	uint32_t tcp_seq, tcp_ack;
	uint16_t tcp_win;
	uint16_t tcp_mss; /* MSS option of a SYN, 0 if absent */

	const uint8_t *l3; /* innermost IP header */
	uint32_t l3_len; /* IP datagram length (header + payload, after trimming padding) */
	const uint8_t *l4; /* transport header */
	uint32_t l4_len; /* transport header + payload */
	const uint8_t *payload;
	uint32_t payload_len; /* transport payload bytes */
	/* The outer Ethernet header of an Ethernet capture (destination, source, type: 14 bytes),
	 * borrowed like data; NULL for every other link type. Inner frames (VXLAN...) leave it. */
	const uint8_t *eth;
} packet_t;

#endif

/*
 * decode.h - from captured bytes to parsed L2-L4 headers.
 *
 * Fed by capture (a packet_t with data, caplen, linktype, ts_us); feeds the flow layer with the
 * innermost IP/TCP/UDP headers filled in. Link layers: Ethernet (with 802.2 LLC/SNAP),
 * 802.1Q/QinQ, Linux cooked v1/v2, raw IP, BSD null/loop, Cisco HDLC, Linux NFLOG, MPLS, PPPoE
 * and the PPP it carries. Network: IPv4 (with bounded fragment reassembly), IPv6 (with extension
 * headers and fragments). Transport: TCP, UDP (ICMP counted only). Mirror and overlay tunnels are
 * stripped and the inner packet decoded as if captured directly: VXLAN, GENEVE, GRE (also over
 * UDP), ERSPAN II/III, GTP-U, IP-in-IP.
 *
 * Decode is pure apart from its counters and the defragmenter it owns: it never allocates per
 * packet and never reads outside [data, data + caplen). Every packet that cannot be used is
 * counted once by reason (DECODE_EVENT_MAP) and dropped.
 */
#ifndef APIWATCH_DECODE_H
#define APIWATCH_DECODE_H

#include <stdint.h>

#include "mem.h"
#include "packet.h"

/* Maximum tunnel layers stripped before a packet is dropped as too_many_layers. */
#define DECODE_MAX_TUNNEL_DEPTH 4

/*
 * Per-protocol packet counters: (json name). Written under stats.decoder with Suricata's names.
 */
#define DECODE_COUNTER_MAP(X) \
	X(pkts)               \
	X(bytes)              \
	X(invalid)            \
	X(ethernet)           \
	X(sll)                \
	X(sll2)               \
	X(null)               \
	X(chdlc)              \
	X(raw)                \
	X(vlan)               \
	X(vlan_qinq)          \
	X(vlan_qinqinq)       \
	X(mpls)               \
	X(pppoe)              \
	X(ppp)                \
	X(ipv4)               \
	X(ipv6)               \
	X(tcp)                \
	X(udp)                \
	X(icmpv4)             \
	X(icmpv6)             \
	X(gre)                \
	X(erspan)             \
	X(vxlan)              \
	X(geneve)             \
	X(ipv4_in_ipv4)       \
	X(ipv6_in_ipv4)       \
	X(ipv4_in_ipv6)       \
	X(ipv6_in_ipv6)       \
	X(too_many_layers)    \
	X(unknown_ethertype)  \
	X(arp)                \
	X(esp)

/*
 * Decode events: (enum suffix, layer, event name). Written as stats.decoder.event.<layer>.<name>,
 * the names Suricata uses, so that they validate against its EVE schema. A packet that raises an
 * event is dropped, except for these, which only flag it: ethernet.unknown_ethertype (the frame is
 * DECODE_OTHER), ppp.unsup_proto (a well-formed PPP protocol we do not follow: DECODE_OTHER),
 * ipv4/ipv6.frag_overlap (the first data wins and reassembly goes on) and tcp.opt_invalid_len
 * (options are not used, the segment is).
 */
#define DECODE_EVENT_MAP(X)                                                \
	X(ETH_PKT_TOO_SMALL, ethernet, pkt_too_small)                      \
	X(ETH_UNKNOWN_ETHERTYPE, ethernet, unknown_ethertype)              \
	X(VLAN_HEADER_TOO_SMALL, vlan, header_too_small)                   \
	X(VLAN_TOO_MANY_LAYERS, vlan, too_many_layers)                     \
	X(SLL_PKT_TOO_SMALL, sll, pkt_too_small)                           \
	X(SLL2_PKT_TOO_SMALL, sll2, pkt_too_small)                         \
	X(NULL_PKT_TOO_SMALL, ltnull, pkt_too_small)                       \
	X(NULL_UNSUPPORTED_TYPE, ltnull, unsupported_type)                 \
	X(CHDLC_PKT_TOO_SMALL, chdlc, pkt_too_small)                       \
	X(RAW_INVALID_IP_VERSION, ipraw, invalid_ip_version)               \
	X(MPLS_HEADER_TOO_SMALL, mpls, header_too_small)                   \
	X(MPLS_UNKNOWN_PAYLOAD_TYPE, mpls, unknown_payload_type)           \
	X(MPLS_PKT_TOO_SMALL, mpls, pkt_too_small)                         \
	X(PPPOE_PKT_TOO_SMALL, pppoe, pkt_too_small)                       \
	X(PPPOE_WRONG_CODE, pppoe, wrong_code)                             \
	X(PPPOE_MALFORMED_TAGS, pppoe, malformed_tags)                     \
	X(PPP_PKT_TOO_SMALL, ppp, pkt_too_small)                           \
	X(PPP_IP4_PKT_TOO_SMALL, ppp, ip4_pkt_too_small)                   \
	X(PPP_IP6_PKT_TOO_SMALL, ppp, ip6_pkt_too_small)                   \
	X(PPP_WRONG_TYPE, ppp, wrong_type)                                 \
	X(PPP_UNSUP_PROTO, ppp, unsup_proto)                               \
	X(IPV4_PKT_TOO_SMALL, ipv4, pkt_too_small)                         \
	X(IPV4_HLEN_TOO_SMALL, ipv4, hlen_too_small)                       \
	X(IPV4_IPLEN_SMALLER_THAN_HLEN, ipv4, iplen_smaller_than_hlen)     \
	X(IPV4_TRUNC_PKT, ipv4, trunc_pkt)                                 \
	X(IPV4_WRONG_IP_VERSION, ipv4, wrong_ip_version)                   \
	X(IPV4_UNKNOWN_PROTOCOL, ipv4, unknown_protocol)                   \
	X(IPV4_FRAG_PKT_TOO_LARGE, ipv4, frag_pkt_too_large)               \
	X(IPV4_FRAG_OVERLAP, ipv4, frag_overlap)                           \
	X(IPV4_FRAG_IGNORED, ipv4, frag_ignored)                           \
	X(IPV6_PKT_TOO_SMALL, ipv6, pkt_too_small)                         \
	X(IPV6_TRUNC_PKT, ipv6, trunc_pkt)                                 \
	X(IPV6_TRUNC_EXTHDR, ipv6, trunc_exthdr)                           \
	X(IPV6_WRONG_IP_VERSION, ipv6, wrong_ip_version)                   \
	X(IPV6_UNKNOWN_NEXT_HEADER, ipv6, unknown_next_header)             \
	X(IPV6_EXTHDR_INVALID_OPTLEN, ipv6, exthdr_invalid_optlen)         \
	X(IPV6_FRAG_PKT_TOO_LARGE, ipv6, frag_pkt_too_large)               \
	X(IPV6_FRAG_OVERLAP, ipv6, frag_overlap)                           \
	X(IPV6_FRAG_INVALID_LENGTH, ipv6, frag_invalid_length)             \
	X(IPV6_FRAG_IGNORED, ipv6, frag_ignored)                           \
	X(TCP_PKT_TOO_SMALL, tcp, pkt_too_small)                           \
	X(TCP_HLEN_TOO_SMALL, tcp, hlen_too_small)                         \
	X(TCP_INVALID_OPTLEN, tcp, invalid_optlen)                         \
	X(TCP_OPT_INVALID_LEN, tcp, opt_invalid_len)                       \
	X(UDP_PKT_TOO_SMALL, udp, pkt_too_small)                           \
	X(UDP_HLEN_INVALID, udp, hlen_invalid)                             \
	X(UDP_LEN_INVALID, udp, len_invalid)                               \
	X(GRE_PKT_TOO_SMALL, gre, pkt_too_small)                           \
	X(GRE_WRONG_VERSION, gre, wrong_version)                           \
	X(GRE_VERSION0_HDR_TOO_BIG, gre, version0_hdr_too_big)             \
	X(GRE_VERSION0_FLAGS, gre, version0_flags)                         \
	X(GRE_VERSION0_RECUR, gre, version0_recur)                         \
	X(GRE_VERSION0_MALFORMED_SRE_HDR, gre, version0_malformed_sre_hdr) \
	X(ERSPAN_HEADER_TOO_SMALL, erspan, header_too_small)               \
	X(ERSPAN_UNSUPPORTED_VERSION, erspan, unsupported_version)         \
	X(ERSPAN_TOO_MANY_VLAN_LAYERS, erspan, too_many_vlan_layers)       \
	X(VXLAN_UNKNOWN_PAYLOAD_TYPE, vxlan, unknown_payload_type)         \
	X(GENEVE_UNKNOWN_PAYLOAD_TYPE, geneve, unknown_payload_type)

enum decode_event {
#define DECODE_EVENT_ENUM(sym, layer, name) DECODE_EV_##sym,
	DECODE_EVENT_MAP(DECODE_EVENT_ENUM)
#undef DECODE_EVENT_ENUM
		DECODE_EV__COUNT
};

/*
 * Layers Suricata does not decode, so its EVE schema (which allows no other keys under
 * stats.decoder) has no names for them: their counters, (json name), and their events, (enum
 * suffix, layer, event name), belong under api.stats.decoder and api.stats.decoder.event. Every
 * event drops the packet except nflog.no_payload (nothing to decode: DECODE_OTHER).
 */
#define DECODE_API_COUNTER_MAP(X) \
	X(llc)                    \
	X(nflog)                  \
	X(gtp)

#define DECODE_API_EVENT_MAP(X)                                  \
	X(LLC_PKT_TOO_SMALL, llc, pkt_too_small)                 \
	X(NFLOG_PKT_TOO_SMALL, nflog, pkt_too_small)             \
	X(NFLOG_UNSUPPORTED_VERSION, nflog, unsupported_version) \
	X(NFLOG_UNSUPPORTED_TYPE, nflog, unsupported_type)       \
	X(NFLOG_TLV_LEN_INVALID, nflog, tlv_len_invalid)         \
	X(NFLOG_NO_PAYLOAD, nflog, no_payload)                   \
	X(GTP_PKT_TOO_SMALL, gtp, pkt_too_small)                 \
	X(GTP_LEN_INVALID, gtp, len_invalid)                     \
	X(GTP_EXT_HDR_INVALID, gtp, ext_hdr_invalid)             \
	X(GTP_UNKNOWN_PAYLOAD_TYPE, gtp, unknown_payload_type)

enum decode_api_event {
#define DECODE_API_EVENT_ENUM(sym, layer, name) DECODE_API_EV_##sym,
	DECODE_API_EVENT_MAP(DECODE_API_EVENT_ENUM)
#undef DECODE_API_EVENT_ENUM
		DECODE_API_EV__COUNT
};

typedef struct decode_counters {
#define DECODE_COUNTER_FIELD(name) uint64_t name;
	DECODE_COUNTER_MAP(DECODE_COUNTER_FIELD)
#undef DECODE_COUNTER_FIELD
	uint64_t events[DECODE_EV__COUNT];
#define DECODE_API_COUNTER_FIELD(name) uint64_t name;
	DECODE_API_COUNTER_MAP(DECODE_API_COUNTER_FIELD)
#undef DECODE_API_COUNTER_FIELD
	uint64_t api_events[DECODE_API_EV__COUNT];
	uint64_t csum_invalid_ipv4; /* with checksum validation on */
	uint64_t csum_invalid_tcp;
	uint64_t csum_invalid_udp;
	uint64_t unsupported_linktype;
	uint64_t other_l4; /* IP packets of protocols the flow layer ignores */
} decode_counters_t;

/* Defragmentation counters, written under stats.defrag with Suricata's names. */
typedef struct defrag_counters {
	uint64_t ipv4_fragments, ipv4_reassembled, ipv4_timeouts;
	uint64_t ipv6_fragments, ipv6_reassembled, ipv6_timeouts;
	uint64_t max_frags_reached; /* a datagram had too many fragments */
	uint64_t max_trackers_reached; /* too many datagrams in progress */
	uint64_t memcap_reached; /* fragment memory cap refused a fragment */
} defrag_counters_t;

typedef struct decode_config {
	int validate_checksums; /* drop (and count) packets with bad IPv4/TCP/UDP sums */
	uint64_t defrag_memcap; /* bytes held by fragments in progress */
	uint32_t defrag_max_trackers;
	uint32_t defrag_max_frags; /* fragments per datagram */
	uint32_t defrag_timeout_us; /* an incomplete datagram is dropped after this */
	uint16_t vxlan_port; /* 4789 */
	uint16_t geneve_port; /* 6081 */
	uint16_t gtp_port; /* 2152: GTP-U (G-PDUs are sent to it) */
	uint16_t gre_udp_port; /* 4754: GRE-in-UDP (RFC 8086) */
} decode_config_t;

typedef struct decode_ctx decode_ctx_t;

/* What decode_packet() did with a packet. */
enum decode_result {
	DECODE_FLOW = 0, /* TCP or UDP over IP: hand it to the flow layer */
	DECODE_OTHER = 1, /* decoded, but nothing for the flow layer (ARP, ICMP, a held fragment) */
	DECODE_DROP = 2 /* malformed, truncated or unsupported: counted, dropped */
};

/* Fills cfg with the defaults. */
void decode_config_default(decode_config_t *cfg);

/* Creates a decoder; its defragmenter draws on acct. Returns AW_ENOMEM on failure. */
int decode_ctx_new(decode_ctx_t **out, const decode_config_t *cfg, mem_account_t *acct);
void decode_ctx_free(decode_ctx_t *ctx);

/*
 * Decodes p->data according to p->linktype and fills the decode fields of p. Returns an
 * enum decode_result. Pointers set in p stay valid until the next call (reassembled fragments
 * live in ctx).
 */
int decode_packet(decode_ctx_t *ctx, packet_t *p);

/* Expires incomplete fragment trackers older than the timeout at packet time now_us. */
void decode_tick(decode_ctx_t *ctx, uint64_t now_us);

const decode_counters_t *decode_counters(const decode_ctx_t *ctx);
const defrag_counters_t *decode_defrag_counters(const decode_ctx_t *ctx);

/* The layer and name of a decode event, for stats. */
const char *decode_event_layer(enum decode_event ev);
const char *decode_event_name(enum decode_event ev);

/* The layer and name of an event of DECODE_API_EVENT_MAP, for api.stats. */
const char *decode_api_event_layer(enum decode_api_event ev);
const char *decode_api_event_name(enum decode_api_event ev);

#endif

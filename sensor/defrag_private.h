/*
 * defrag_private.h - IPv4 and IPv6 fragment reassembly, private to the decode stage.
 *
 * Fed by decode_ipv4.c / decode_ipv6.c with each fragment whose headers they have validated;
 * hands back, when a datagram completes, the whole datagram (header + payload) in a buffer it
 * owns, valid until the next fragment is given to it, which decode then decodes again.
 *
 * Bounded everywhere: trackers come from slabs up to cfg->defrag_max_trackers, fragment data
 * lives in 2 KiB pages from a pool capped by cfg->defrag_memcap, a datagram takes at most
 * cfg->defrag_max_frags fragments and cfg->defrag_timeout_us of packet time, and never more than
 * 65535 bytes. Overlaps keep the data that arrived first. It does not validate checksums and
 * does not interpret anything after the IP header.
 */
#ifndef APIWATCH_DEFRAG_PRIVATE_H
#define APIWATCH_DEFRAG_PRIVATE_H

#include <stdint.h>

#include "decode.h"
#include "mem.h"
#include "packet.h"

typedef struct defrag defrag_t;

/* What a fragment did. */
enum defrag_result {
	DEFRAG_HELD = 0, /* stored (or harmlessly ignored): nothing to decode yet */
	DEFRAG_DONE = 1, /* the datagram completed: *out holds it */
	DEFRAG_DROP = 2 /* refused: malformed, or a limit was hit (event counted) */
};

/*
 * Creates a defragmenter. Its memory is charged to acct; events are counted in dc and the
 * defrag counters in fc, both owned by the caller and outliving the defragmenter.
 * Returns 0 or AW_ENOMEM.
 */
int defrag__new(defrag_t **out, const decode_config_t *cfg, mem_account_t *acct,
		decode_counters_t *dc, defrag_counters_t *fc);
void defrag__free(defrag_t *d);

/*
 * Takes one IPv4 fragment: ip is its header, len its total length (validated by the caller,
 * header included). p gives the time and the VLAN / tunnel part of the key. On DEFRAG_DONE,
 * *out / *out_len is the reassembled datagram, with a fresh header (no MF, offset 0, total
 * length and checksum fixed). The fragment's bytes are copied before *out is written, so the
 * fragment may itself live in the previous output buffer (nested tunnels).
 */
int defrag__ipv4(defrag_t *d, const packet_t *p, const uint8_t *ip, uint32_t len,
		 const uint8_t **out, uint32_t *out_len);

/*
 * Takes one IPv6 fragment: ip is the IPv6 header, len the bytes of the datagram (40 + payload
 * length), fh_off the offset of the fragment header and nh_off the offset of the next-header
 * byte that names it. On DEFRAG_DONE the output is the unfragmentable part, with that byte
 * rewritten to the fragment header's next header, followed by the reassembled payload.
 */
int defrag__ipv6(defrag_t *d, const packet_t *p, const uint8_t *ip, uint32_t len, uint32_t fh_off,
		 uint32_t nh_off, const uint8_t **out, uint32_t *out_len);

/* Drops the trackers older than the timeout at packet time now_us. */
void defrag__tick(defrag_t *d, uint64_t now_us);

#endif

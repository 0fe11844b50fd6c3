/*
 * capture.h - where packets come from: capture files (pcap, pcapng, gzip-compressed either) and
 * live interfaces (SPAN / mirror ports), both through libpcap with an optional BPF filter.
 *
 * Feeds decode with a packet_t whose bytes are borrowed from libpcap until the next read. Files
 * compressed with gzip are recognised by their magic bytes and decompressed on the fly by zlib,
 * never unpacked to disk. Errors come back as AW_E* codes with a one-line message in errbuf.
 */
#ifndef APIWATCH_CAPTURE_H
#define APIWATCH_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "packet.h"

#define CAPTURE_ERRBUF_SIZE 512

typedef struct capture_config {
	int snaplen; /* bytes per packet; 262144 = full */
	int promisc;
	int immediate; /* deliver packets as they arrive */
	int buffer_mb; /* kernel ring buffer size */
	int timeout_ms; /* read timeout, so that signals and idle timeouts are seen */
} capture_config_t;

typedef struct capture_stats {
	uint64_t packets; /* packets read */
	uint64_t bytes; /* captured bytes read */
	uint64_t kernel_packets; /* live: packets the kernel saw (pcap_stats) */
	uint64_t kernel_drops; /* live: dropped for lack of buffer */
	uint64_t kernel_ifdrops; /* live: dropped by the interface */
	uint64_t errors; /* read errors (truncated or corrupt file tail) */
} capture_stats_t;

typedef struct capture capture_t;

void capture_config_default(capture_config_t *cfg);

/* Opens a capture file (pcap, pcapng, or either gzip-compressed), with an optional filter. */
int capture_open_file(capture_t **out, const char *path, const char *bpf, char *errbuf);

/* Opens a live interface, with an optional filter. */
int capture_open_live(capture_t **out, const char *iface, const capture_config_t *cfg,
		      const char *bpf, char *errbuf);

/*
 * Reads the next packet into p (capture fields only). Returns 1 with a packet, 0 when a live
 * read timed out (no packet), AW_E... at the end of a file is 0 with *eof set; a read error on a
 * file (truncated, corrupt) ends the file with its message in errbuf and AW_ETRUNCATED.
 */
int capture_next(capture_t *c, packet_t *p, int *eof, char *errbuf);

/*
 * Makes a live read that is waiting for packets return at once (pcap_breakloop: libpcap wakes
 * its poll through an event descriptor); capture_next then reports the end of input (0 with
 * *eof set). Safe from a signal handler, and from another thread than the reader's.
 */
void capture_breakloop(capture_t *c);

/* Fills in the counters (for live captures, the kernel's). */
void capture_get_stats(capture_t *c, capture_stats_t *out);

int capture_linktype(const capture_t *c);
int capture_is_live(const capture_t *c);
void capture_close(capture_t *c);

#endif

/*
 * bench-floor: the lower bound for reading a capture. Opens a pcap/pcapng file with libpcap and
 * walks it with pcap_next_ex(), touching nothing but the record headers; prints the number of
 * packets and of captured bytes. scripts/bench compiles it (cc -O2 ... -lpcap) and uses its time
 * as the "floor" row every other reader is compared with.
 *
 *   bench-floor FILE
 *   -> packets=N bytes=M
 */
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *hdr;
	const u_char *data;
	uint64_t packets = 0, bytes = 0;
	pcap_t *p;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: %s FILE\n", argv[0]);
		return 2;
	}
	p = pcap_open_offline(argv[1], errbuf);
	if (p == NULL) {
		fprintf(stderr, "bench-floor: %s\n", errbuf);
		return 1;
	}
	while ((rc = pcap_next_ex(p, &hdr, &data)) == 1) {
		packets++;
		bytes += hdr->caplen;
	}
	if (rc == PCAP_ERROR) {
		fprintf(stderr, "bench-floor: %s\n", pcap_geterr(p));
		pcap_close(p);
		return 1;
	}
	pcap_close(p);
	printf("packets=%" PRIu64 " bytes=%" PRIu64 "\n", packets, bytes);
	return 0;
}

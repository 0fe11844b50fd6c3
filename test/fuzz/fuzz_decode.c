/*
 * fuzz_decode.c - libFuzzer target for the decode stage, defragmentation included.
 *
 * Input: one selector byte, then packets, each prefixed by its length (2 bytes, big-endian).
 * The selector's low nibble picks the link type from the decoder's list and bit 4 turns
 * checksum validation on. Packets are decoded in order through one decoder with small defrag
 * limits and packet time advancing 100 ms a packet, so that fragments of a datagram can meet,
 * overlap, time out and hit the limits. Each packet is decoded from a heap copy of exactly its
 * length (ASan sees any over-read), and what decode hands the flow layer is checked for sanity.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "mem.h"

#define FUZZ_MAX_PACKETS 64
#define FUZZ_STEP_US 100000ULL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* New link types go at the end: the seeds name them by index. */
static const int fuzz_linktypes[] = {1, 113, 276, 12, 101, 228, 229, 0, 108, 104, 239};
#define FUZZ_N_LINKTYPES (sizeof(fuzz_linktypes) / sizeof(fuzz_linktypes[0]))

/* Reads every byte decode pointed at, so that ASan checks the whole range. */
static unsigned fuzz_touch(const uint8_t *b, uint32_t n)
{
	unsigned sum = 0;
	uint32_t i;

	for (i = 0; i < n; i++)
		sum += b[i];
	return sum;
}

/* What the flow layer may rely on for a DECODE_FLOW packet. */
static void fuzz_check(const packet_t *p, int r, const uint8_t *buf, uint32_t len)
{
	volatile unsigned sink;

	if (r != DECODE_FLOW && r != DECODE_OTHER && r != DECODE_DROP)
		abort();
	if (r != DECODE_FLOW)
		return;
	if ((p->ip_version != 4 && p->ip_version != 6) || (p->proto != 6 && p->proto != 17))
		abort();
	if (!p->l3 || !p->l4 || !p->payload || p->vlan_count > PACKET_MAX_VLAN ||
	    p->tunnel_depth > DECODE_MAX_TUNNEL_DEPTH)
		abort();
	if (p->l4 < p->l3 || p->l4 + p->l4_len > p->l3 + p->l3_len)
		abort();
	if (p->payload < p->l4 || p->payload + p->payload_len > p->l4 + p->l4_len)
		abort();
	if (!(p->flags & PACKET_F_DEFRAG) && (p->l3 < buf || p->l3 + p->l3_len > buf + len))
		abort();
	sink = fuzz_touch(p->l3, p->l3_len);
	(void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	decode_config_t cfg;
	mem_account_t acct;
	decode_ctx_t *ctx;
	packet_t p;
	uint64_t ts = 1700000000ULL * 1000000ULL;
	size_t off = 1, len;
	uint8_t *buf;
	int n, r;

	if (size < 1)
		return 0;
	decode_config_default(&cfg);
	cfg.validate_checksums = (data[0] & 0x10) != 0;
	cfg.defrag_max_trackers = 8;
	cfg.defrag_max_frags = 16;
	cfg.defrag_memcap = 64 * 1024;
	cfg.defrag_timeout_us = 2000000;
	mem_account_init(&acct, "fuzz", 16u << 20);
	if (decode_ctx_new(&ctx, &cfg, &acct) != 0)
		abort();
	for (n = 0; n < FUZZ_MAX_PACKETS && off + 2 <= size; n++) {
		len = (size_t)data[off] << 8 | data[off + 1];
		off += 2;
		if (len > size - off)
			len = size - off;
		buf = malloc(len ? len : 1);
		if (!buf)
			abort();
		memcpy(buf, data + off, len);
		off += len;
		memset(&p, 0, sizeof(p));
		p.data = buf;
		p.caplen = p.wirelen = (uint32_t)len;
		p.linktype = fuzz_linktypes[(data[0] & 0x0f) % FUZZ_N_LINKTYPES];
		p.ts_us = ts;
		p.pcap_cnt = (uint64_t)n + 1;
		r = decode_packet(ctx, &p);
		fuzz_check(&p, r, buf, (uint32_t)len);
		free(buf);
		ts += FUZZ_STEP_US;
		if ((n & 7) == 7)
			decode_tick(ctx, ts);
	}
	decode_ctx_free(ctx);
	if (acct.in_use != 0)
		abort();
	return 0;
}

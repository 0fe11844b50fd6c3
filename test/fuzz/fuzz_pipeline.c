/*
 * fuzz_pipeline.c - libFuzzer target for decode + flows + classification + TCP reassembly.
 *
 * Input: byte 0 picks the link type; then records of [2-byte length][1-byte time step][bytes],
 * each a packet. The pipeline is built once (nDPI's set-up is costly) and every flow is ended
 * after each input, so inputs do not leak state into each other beyond counters.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "pipeline.h"

static const int fuzz_linktypes[] = {1, 113, 276, 101, 12, 228, 229, 0, 108};

static pipeline_t *fuzz_pipeline(void)
{
	static aw_config_t cfg;
	static pipeline_t *pl;
	char err[256];

	if (pl)
		return pl;
	config_default(&cfg);
	cfg.output.eve_path = "/dev/null";
	cfg.flow.memcap = 4u << 20;
	cfg.tcp.memcap = 4u << 20;
	cfg.stats_interval_us = 30ull * 1000000;
	if (pipeline_new(&pl, &cfg, err, sizeof(err)) < 0)
		abort();
	return pl;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pipeline_t *pl = fuzz_pipeline();
	static uint64_t ts = 1600000000ull * 1000000;
	size_t off = 1;
	int linktype;
	uint64_t cnt = 0;

	if (size < 1)
		return 0;
	linktype = fuzz_linktypes[data[0] % (sizeof(fuzz_linktypes) / sizeof(fuzz_linktypes[0]))];
	while (off + 3 <= size) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];
		uint8_t step = data[off + 2];
		packet_t p;

		off += 3;
		if (len > size - off)
			len = size - off;
		memset(&p, 0, sizeof(p));
		/* Small steps mostly; a large one now and then crosses timeouts. */
		ts += step < 250 ? (uint64_t)step * 1000 : (uint64_t)(step - 249) * 20000000;
		p.ts_us = ts;
		p.data = data + off;
		p.caplen = p.wirelen = (uint32_t)len;
		p.linktype = linktype;
		p.pcap_cnt = ++cnt;
		pipeline_packet(pl, &p);
		off += len;
	}
	pipeline_finish(pl);
	return 0;
}

/*
 * fuzz_http1.c - libFuzzer target for the HTTP/1.x dissector (dissectors/http1*.c), with the
 * on-demand body decoding of api_call.c and the http event writer (output_http.c).
 *
 * Input: byte 0 sets the configuration (bit 0: small caps; bit 1: tiny body limit and ratio);
 * then records of [1-byte op][2-byte length, little endian][bytes], op bit 0 the direction
 * (0 client to server) and bits 1-2 what happens: 0 data (length bytes follow), 1 a gap of
 * length bytes, 2 end of that direction, 3 a packet without payload. A flow state is made per
 * input and freed at its end, so every record it still holds is emitted: each record's bodies
 * are decoded and its event written (to /dev/null) before it is released.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api_call.h"
#include "config.h"
#include "dissector.h"
#include "http1.h"
#include "output_http.h"

typedef struct fuzz_ctx {
	aw_config_t cfg;
	mem_account_t mem;
	dissector_env_t env;
	void *ctx;
	output_t *out;
	output_http_t *http;
} fuzz_ctx_t;

static void fuzz_emit(dissector_env_t *env, api_call_t *c)
{
	fuzz_ctx_t *f = env->ud;

	(void)api_call_body(c, 0);
	(void)api_call_body(c, 1);
	output_http_write(f->http, f->out, c, env->now_us, env->pcap_cnt, env->flow_end);
	api_call_release(c);
}

static void fuzz_anomaly(dissector_env_t *env, const flow_t *fl, int dir, uint64_t tx_id,
			 const char *app_proto, const char *event, const char *reason)
{
	fuzz_ctx_t *f = env->ud;

	output_http_anomaly_write(f->http, f->out, fl, dir, tx_id, app_proto, event, reason,
				  env->now_us, env->pcap_cnt);
}

/* Three contexts, one per configuration, made once: set-up is not what is being fuzzed. */
static fuzz_ctx_t *fuzz_get(int variant)
{
	static fuzz_ctx_t ctxs[3];
	static mem_account_t out_mem;
	static output_t *out;
	static output_http_t *http;
	fuzz_ctx_t *f = &ctxs[variant];

	if (!out) {
		output_config_t oc;
		output_http_config_t hc;

		mem_account_init(&out_mem, "output", 0);
		output_config_default(&oc);
		oc.eve_path = "/dev/null";
		output_http_config_default(&hc);
		hc.dump_headers = OUTPUT_HTTP_DUMP_BOTH;
		if (output_new(&out, &oc, &out_mem) < 0 ||
		    output_http_new(&http, &hc, &out_mem) < 0)
			abort();
	}
	if (f->ctx)
		return f;
	config_default(&f->cfg);
	if (variant == 1) {
		f->cfg.http.max_headers = 4;
		f->cfg.http.max_header_bytes = 1024;
		f->cfg.http.max_line = 128;
		f->cfg.http.max_pending = 3;
		f->cfg.http.tunnel_hold = 64;
	} else if (variant == 2) {
		f->cfg.http.body_limit = 256;
		f->cfg.http.decompress_ratio = 4;
	}
	mem_account_init(&f->mem, "dissector", 0);
	f->env.cfg = &f->cfg;
	f->env.mem = &f->mem;
	f->env.now_us = 1600000000000000ull;
	f->env.emit = fuzz_emit;
	f->env.anomaly = fuzz_anomaly;
	f->env.ud = f;
	f->out = out;
	f->http = http;
	if (http1_dissector.ctx_new(&f->ctx, &f->env) < 0)
		abort();
	return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_ctx_t *f;
	flow_t flow;
	void *st;
	size_t off = 1;
	int dead = 0;

	if (size < 1)
		return 0;
	f = fuzz_get(data[0] % 3);
	memset(&flow, 0, sizeof(flow));
	st = http1_dissector.state_new(f->ctx, &flow);
	if (!st)
		return 0;
	while (off + 3 <= size) {
		int op = data[off], dir = op & 1, rc = 0;
		size_t len = (size_t)data[off + 1] | (size_t)data[off + 2] << 8;

		off += 3;
		f->env.now_us += 1000;
		f->env.pcap_cnt++;
		switch ((op >> 1) & 3) {
		case 0:
			if (len > size - off)
				len = size - off;
			if (!dead)
				rc = http1_dissector.on_data(st, dir, data + off, len);
			off += len;
			break;
		case 1:
			if (!dead)
				rc = http1_dissector.on_gap(st, dir, len);
			break;
		case 2:
			if (!dead)
				rc = http1_dissector.on_close(st, dir);
			break;
		default:
			break;
		}
		if (rc != 0)
			dead = 1; /* the pipeline detaches the dissector */
		http1_dissector.on_packet(st, dir);
	}
	f->env.flow_end = 1;
	f->env.pcap_cnt = 0;
	http1_dissector.state_free(st);
	f->env.flow_end = 0;
	return 0;
}

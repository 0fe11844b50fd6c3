/*
 * http1.h - the HTTP/1.x dissector: its registration, settings and counters.
 *
 * Fed by the pipeline (dissector.h) with the reassembled bytes, gaps and ends of each direction
 * of a flow that probes as HTTP/1.x; feeds the pipeline API call records (api_call.h), one per
 * transaction, and anomaly events. The internals live in http1_private.h.
 */
#ifndef APIWATCH_HTTP1_H
#define APIWATCH_HTTP1_H

#include <stdint.h>

#include "dissector.h"

typedef struct http1_config {
	uint64_t body_limit; /* decoded body bytes kept per message (http.body-limit) */
	uint64_t max_header_bytes; /* bytes of start lines and headers kept per call */
	uint64_t max_line; /* longest start line or header line accepted */
	uint64_t tunnel_hold; /* bytes held while a CONNECT / Upgrade awaits its answer */
	uint64_t memcap; /* memory of the dissector: records, states, zlib (0 = none) */
	uint32_t max_headers; /* headers kept per message (http.max-headers) */
	uint32_t max_pending; /* requests awaiting their response (http.max-pending) */
	uint32_t decompress_ratio; /* decoded/wire ratio past which decompression stops */
} http1_config_t;

/* Counters: the first four are Suricata's stats.app_layer.{flow,tx,error}.http; the rest are
 * written under api.stats.http. */
typedef struct http1_counters {
	uint64_t flows; /* flows the dissector attached to */
	uint64_t tx; /* transactions handed on */
	uint64_t err_parser; /* malformed messages: the dissector gave up on a flow */
	uint64_t err_gap; /* gaps that lost a message boundary */
	uint64_t err_alloc; /* records or state refused by the memory cap */
	uint64_t err_internal;
	uint64_t requests, responses, interim;
	uint64_t no_response; /* transactions logged without a response */
	uint64_t no_request; /* responses whose request was not seen */
	uint64_t pending_evicted; /* requests logged early: too many awaited responses */
	uint64_t gaps; /* gaps reported by reassembly */
	uint64_t gaps_in_body; /* ... absorbed inside a body of known length */
	uint64_t resyncs; /* parsing resumed at a message boundary after a gap */
	uint64_t resync_skipped; /* bytes skipped looking for that boundary */
	uint64_t upgrades; /* 101 Switching Protocols and CONNECT tunnels */
	uint64_t tunnels_http; /* CONNECT tunnels found to carry HTTP, parsed */
	uint64_t headers_cut; /* messages whose headers passed a cap */
	uint64_t bodies_cut; /* bodies kept only up to the limit */
	uint64_t anomalies; /* anomaly events raised */
	uint64_t lines_too_long;
	uint64_t cruft_lines; /* request-side lines that were no request line (no call made) */
	uint64_t cruft_answered; /* responses to such lines (reported as anomalies, not calls) */
	uint64_t state_allocs; /* slow path: a flow state was allocated */
} http1_counters_t;

void http1_config_default(http1_config_t *cfg);

extern const dissector_t http1_dissector;

/* Counters of a context made by http1_dissector.ctx_new; records pool counters too. */
const http1_counters_t *http1_ctx_counters(const void *ctx);
const api_call_pool_counters_t *http1_ctx_pool_counters(const void *ctx);

#endif

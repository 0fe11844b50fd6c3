/*
 * output_endpoint.h - the api_endpoint EVE event (see output_endpoint.c).
 */
#ifndef APIWATCH_OUTPUT_ENDPOINT_H
#define APIWATCH_OUTPUT_ENDPOINT_H

#include <stdint.h>

#include "api_call.h"
#include "endpoint.h"
#include "output.h"

/*
 * Writes one api_endpoint event: Suricata's common header from call (its flow, client to
 * server; none when call is NULL), tx_id, and api_endpoint{event, host, method, template,
 * first_seen, hits, origin ("traffic", or "collapse" with replaced: the templates it took
 * over), path_params, auth, spec (with a declared spec: declared, operation, method, path,
 * operation_id, deprecated)}. event is "new", "shadow" or "zombie". Returns output_commit's
 * answer.
 */
int output_endpoint_write(output_t *o, const endpoint_t *ep, const char *event, uint32_t replaced,
			  const api_call_t *call, uint64_t ts_us, uint64_t pcap_cnt);

/* An api_endpoint event "orphan": a declared operation no call matched (no flow header). */
int output_endpoint_write_orphan(output_t *o, const endpoint_spec_op_t *op, uint64_t ts_us);

#endif

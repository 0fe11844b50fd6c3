/*
 * dissector.h - the interface between TCP reassembly and the application-layer dissectors.
 *
 * A dissector is a table of functions registered by name in dissector.c. The pipeline offers the
 * first bytes of each direction of a flow to the registered dissectors' probe functions; the
 * first that answers yes gets a state for that flow and from then on receives, per direction,
 * the ordered bytes, gaps and end of stream that reassembly produces. Bytes are borrowed for the
 * duration of the call only. A dissector that returns an error is detached from its flow
 * (counted); the flow and its flow event go on.
 *
 * What a dissector produces goes back through the environment the pipeline lends it
 * (dissector_env_t): API call records through emit (ownership passes to the pipeline, which
 * writes the event and releases the record) and protocol anomalies through anomaly. The
 * environment also carries the clock: the time and capture index of the packet being
 * processed, so that records carry packet time and replays are deterministic.
 */
#ifndef APIWATCH_DISSECTOR_H
#define APIWATCH_DISSECTOR_H

#include <stddef.h>
#include <stdint.h>

#include "api_call.h"
#include "flow.h"
#include "mem.h"

struct aw_config;

enum dissector_probe {
	DISSECTOR_PROBE_NO = 0,
	DISSECTOR_PROBE_YES = 1,
	DISSECTOR_PROBE_NEED_MORE = 2
};

/* on_data / on_gap / on_close result besides 0 and a negative error: the dissector is done with
 * the flow (the rest is another protocol); the pipeline detaches it without counting an error. */
#define DISSECTOR_DONE 1

typedef struct dissector_env dissector_env_t;
struct dissector_env {
	/* Set up by the pipeline; read-only for dissectors. */
	const struct aw_config *cfg;
	mem_account_t *mem; /* the dissector memory account (stats.api.memory.dissector) */

	/* The clock, maintained by the pipeline. */
	uint64_t now_us; /* time of the packet being processed (never goes backwards) */
	uint64_t pcap_cnt; /* its index in the capture; 0 when no packet is being processed */
	int flow_end; /* nonzero while a flow is being ended (timeout, eviction, exit) */

	/* A finished transaction: ownership of call passes to the pipeline. */
	void (*emit)(dissector_env_t *env, api_call_t *call);
	/* A protocol anomaly in direction dir of f (Suricata's event name, e.g.
	 * "DUPLICATE_CONTENT_LENGTH_FIELD_IN_REQUEST"); reason says more, or is NULL. */
	void (*anomaly)(dissector_env_t *env, const flow_t *f, int dir, uint64_t tx_id,
			const char *app_proto, const char *event, const char *reason);
	void *ud; /* the pipeline */
};

typedef struct dissector {
	const char *name; /* also the flow's app_proto once attached ("http") */
	/* Optional per-pipeline context (pools, counters): created with the pipeline. */
	int (*ctx_new)(void **ctx, dissector_env_t *env);
	void (*ctx_free)(void *ctx);
	int (*probe)(const uint8_t *data, size_t len, int dir);
	void *(*state_new)(void *ctx, flow_t *flow);
	int (*on_data)(void *state, int dir, const uint8_t *data, size_t len);
	int (*on_gap)(void *state, int dir, uint64_t len);
	int (*on_close)(void *state, int dir);
	/* Optional: a packet of the flow in direction dir was processed (after its bytes were
	 * delivered), even one without payload, such as a bare ACK. */
	void (*on_packet)(void *state, int dir);
	/* Releases the state; what it still holds is emitted first. */
	void (*state_free)(void *state);
} dissector_t;

/* The registered dissectors, NULL-terminated. */
extern const dissector_t *const dissector_table[];

#endif

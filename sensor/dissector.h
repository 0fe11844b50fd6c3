/*
 * dissector.h - the interface between TCP reassembly and the application-layer dissectors.
 *
 * A dissector is a table of functions registered by name in dissector.c. The pipeline offers the
 * first bytes of each direction of a flow to the registered dissectors' probe functions; the
 * first that answers yes gets a state for that flow and from then on receives, per direction,
 * the ordered bytes, gaps and end of stream that reassembly produces. Bytes are borrowed for the
 * duration of the call only. A dissector that returns an error is detached from its flow
 * (counted); the flow and its flow event go on.
 */
#ifndef APIWATCH_DISSECTOR_H
#define APIWATCH_DISSECTOR_H

#include <stddef.h>
#include <stdint.h>

#include "flow.h"

enum dissector_probe {
	DISSECTOR_PROBE_NO = 0,
	DISSECTOR_PROBE_YES = 1,
	DISSECTOR_PROBE_NEED_MORE = 2
};

typedef struct dissector_env dissector_env_t; /* what the pipeline lends a dissector */

typedef struct dissector {
	const char *name; /* also the flow's app_proto once attached ("http") */
	int (*probe)(const uint8_t *data, size_t len, int dir);
	void *(*state_new)(dissector_env_t *env, flow_t *flow);
	int (*on_data)(void *state, int dir, const uint8_t *data, size_t len);
	int (*on_gap)(void *state, int dir, uint64_t len);
	int (*on_close)(void *state, int dir);
	void (*state_free)(void *state);
} dissector_t;

/* The registered dissectors, NULL-terminated. */
extern const dissector_t *const dissector_table[];

#endif

/*
 * l7_classify.h - application protocol label of a flow, from nDPI.
 *
 * Fed by the pipeline with the first packets of each flow that no dissector has claimed (a TCP
 * segment after the dissectors saw its bytes); gives the flow an app_proto label
 * (Suricata's lowercase names: "http", "tls", "dns", ...; "failed" when nothing matched) that
 * the EVE events carry and that dissectors may take as a hint. nDPI's per-flow state is released
 * as soon as it decides, or after a bounded number of packets, so its memory stays small. This
 * is the only file that calls nDPI.
 */
#ifndef APIWATCH_L7_CLASSIFY_H
#define APIWATCH_L7_CLASSIFY_H

#include <stdint.h>

#include "flow.h"
#include "mem.h"
#include "packet.h"

typedef struct l7_counters {
	uint64_t flows_classified; /* flows nDPI decided on */
	uint64_t flows_given_up; /* flows ended or out of packets before a decision */
	uint64_t flows_guessed; /* ... of which nDPI guessed from ports */
	uint64_t packets; /* packets given to nDPI */
	uint64_t alloc_fail; /* flows not classified because memory was refused (or nDPI could
			      * not start) */
	uint64_t flows_dissector; /* flows a dissector claimed before nDPI decided (nDPI left
				   * out or its state released) */
	uint64_t ndpi_started; /* 1 once nDPI has been started (on first need) */
} l7_counters_t;

typedef struct l7_ctx l7_ctx_t;

/* Creates the classifier; per-flow state is charged to acct. max_packets bounds how many
 * packets with payload a flow may give nDPI before it gives up. */
int l7_ctx_new(l7_ctx_t **out, mem_account_t *acct, uint32_t max_packets);
void l7_ctx_free(l7_ctx_t *ctx);

/* Gives one packet of f to the classifier, unless it has decided already. */
void l7_classify_packet(l7_ctx_t *ctx, flow_t *f, const packet_t *p);

/* Ends classification of f (deciding with what it has) and releases nDPI's state. */
void l7_classify_release(l7_ctx_t *ctx, flow_t *f);

/* The label of an app_proto id; NULL for 0 (no decision, no payload seen). */
const char *l7_proto_name(const l7_ctx_t *ctx, uint16_t app_proto);

/* Labels f with a dissector's name ("http") and ends nDPI's part in it: the dissector's word
 * is final. */
void l7_set_proto(l7_ctx_t *ctx, flow_t *f, const char *name);

const l7_counters_t *l7_counters(const l7_ctx_t *ctx);

#endif

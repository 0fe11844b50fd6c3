/*
 * pipeline_private.h - the pipeline's layout, shared by pipeline.c and stats.c only.
 */
#ifndef APIWATCH_PIPELINE_PRIVATE_H
#define APIWATCH_PIPELINE_PRIVATE_H

#include "baseline.h"
#include "alert.h"
#include "decode.h"
#include "detect.h"
#include "dissector.h"
#include "endpoint_spec.h"
#include "flow.h"
#include "inventory.h"
#include "l7_classify.h"
#include "output.h"
#include "output_http.h"
#include "pipeline.h"
#include "tcp_session.h"

typedef struct pipeline_counters {
	uint64_t packets; /* packets given to the pipeline */
	uint64_t bytes; /* their captured bytes */
	uint64_t no_flow; /* flow packets that got no flow (memcap) */
	uint64_t no_tcp_session; /* TCP packets whose session could not be had */
	uint64_t time_backwards; /* packets older than the pipeline clock */
	uint64_t inputs; /* capture files or interfaces opened */
	uint64_t dissector_detached;
	uint64_t dissector_done; /* dissectors that left a flow to another protocol */
} pipeline_counters_t;

#define PIPELINE_MAX_DISSECTORS 8

struct pipeline {
	const aw_config_t *cfg;
	mem_account_t mem[PIPELINE_MEM__COUNT];
	decode_ctx_t *decode;
	flow_table_t *flows;
	tcp_reassembly_t *tcp;
	l7_ctx_t *l7;
	output_t *out;
	endpoint_spec_t *spec; /* the declared API (inventory.spec), or NULL */
	inventory_t *inv;
	baseline_t *bl; /* behavioural baselines, when enabled */
	detect_t *det; /* the detectors (detect.enabled), fed after the baselines */
	output_http_t *http_out; /* http / anomaly event writer */
	alerts_t *alerts; /* the alert stage (alert events, alert sinks) */
	dissector_env_t denv; /* lent to every dissector: clock, emit, anomaly */
	int live; /* the input is a live capture (timing-dependent counters may be written) */
	void *dctx[PIPELINE_MAX_DISSECTORS]; /* per-dissector contexts, as dissector_table */
	struct pipeline_probe_buf *probe_free; /* idle probe buffers (pipeline.c) */
	uint64_t now_us; /* packet clock */
	uint64_t first_us; /* first packet time */
	uint64_t tick_us; /* packet time between timeout sweeps */
	uint64_t next_tick_us; /* next timeout sweep */
	uint64_t next_stats_us; /* next periodic stats event */
	capture_stats_t capture;
	pipeline_counters_t counters;
	int inventory_warned; /* a periodic inventory file failed: said once */
};

/* Writes a stats event at packet time now_us (stats.c). */
void stats_write(pipeline_t *pl, uint64_t now_us);

#endif

/*
 * pipeline.h - one packet pipeline: decode, flows, classification, reassembly, dissectors and
 * output, with the contexts of every stage.
 *
 * The pipeline owns all mutable state of a worker; the configuration it reads is shared and
 * read-only. Packet time is its only clock: timeouts, stats intervals and event timestamps come
 * from the packets it is given, so replaying a capture twice gives the same output.
 */
#ifndef APIWATCH_PIPELINE_H
#define APIWATCH_PIPELINE_H

#include <stdint.h>

#include "alert.h"
#include "capture.h"
#include "config.h"
#include "endpoint_spec.h"
#include "packet.h"

/* Memory accounts of the pipeline's subsystems (stats.api.memory). */
enum pipeline_mem {
	PIPELINE_MEM_FLOW = 0,
	PIPELINE_MEM_STREAM,
	PIPELINE_MEM_DEFRAG,
	PIPELINE_MEM_L7,
	PIPELINE_MEM_DISSECT,
	PIPELINE_MEM_OUTPUT,
	PIPELINE_MEM_INVENTORY,
	PIPELINE_MEM_BASELINE,
	PIPELINE_MEM_ALERT,
	PIPELINE_MEM_DETECT,
	PIPELINE_MEM__COUNT
};

typedef struct pipeline pipeline_t;

/* Creates every stage. On failure returns an AW_E* code with a message in errbuf. */
int pipeline_new(pipeline_t **out, const aw_config_t *cfg, char *errbuf, size_t errlen);

/* Processes one captured packet. */
void pipeline_packet(pipeline_t *pl, packet_t *p);

/* Advances packet time without a packet (live capture idle): runs timeouts and stats. */
void pipeline_idle(pipeline_t *pl, uint64_t now_us);

/* A new input starts (file name for pcap_filename; NULL for live). */
void pipeline_set_input(pipeline_t *pl, const char *name);

/* Latest capture counters, for the stats event. */
void pipeline_set_capture_stats(pipeline_t *pl, const capture_stats_t *cs);

/* Ends every flow, writes the inventory files (--inventory, --openapi), the final stats event
 * and flushes output. Returns 0, or the AW_E* code of an inventory file that could not be
 * written (reported on stderr). */
int pipeline_finish(pipeline_t *pl);

void pipeline_free(pipeline_t *pl);

/* The declared API loaded from inventory.spec, or NULL when none was given. Read-only. */
const endpoint_spec_t *pipeline_spec(const pipeline_t *pl);
/* Writes the learned baselines to cfg->baseline.save_path when set (after pipeline_finish).
 * AW_E* with a message in errbuf on failure. */
int pipeline_save_baseline(pipeline_t *pl, char *errbuf, size_t errlen);

/* The alert stage: detectors report through alert_raise with this as ud. */
alerts_t *pipeline_alerts(pipeline_t *pl);

/* Totals for the summary printed at exit. */
typedef struct pipeline_summary {
	uint64_t packets, bytes, flows, tcp_flows, udp_flows, events, gaps, decode_drops;
	uint64_t first_us, last_us;
	uint64_t mem_peak;
	uint64_t output_waits; /* times packet processing waited for the EVE writer */
	uint64_t alerts; /* alerts opened */
	uint64_t spec_calls, spec_outside_calls; /* --spec: calls to its hosts, to others */
} pipeline_summary_t;

void pipeline_get_summary(const pipeline_t *pl, pipeline_summary_t *out);

#endif

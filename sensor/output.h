/*
 * output.h - EVE JSON events to their sinks.
 *
 * Fed by the pipeline (flow ends, stats) and later stages (http, anomaly, alert events); writes
 * each event as one JSON line to every configured sink. A sink is a table of functions,
 * registered in output.c; the file sink (a path, or "-" for stdout) is the default. Events are
 * composed in one reusable buffer (json.h), where they wait until 256 KiB of them (or events a
 * second old, so that a live feed stays current) are handed to the sinks at once: nothing is
 * allocated or copied per event in steady state. By default the sinks run on a writer thread fed
 * through a bounded queue of such batches, so that the packet thread never waits for write(2);
 * a full queue makes the packet thread wait for the writer (counted): events are never dropped
 * for speed. Order is kept: one writer, batches in the order they were made. A failing sink is
 * counted and never stops packet processing.
 *
 * Every event starts with Suricata's common header (output_eve_header), so tools built for
 * Suricata's EVE read apiwatch's events unchanged.
 */
#ifndef APIWATCH_OUTPUT_H
#define APIWATCH_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include "flow.h"
#include "json.h"
#include "mem.h"

/* A sink: where lines go. State is private to the sink. */
typedef struct output_sink_ops {
	const char *name;
	int (*open)(void **state, const char *target, mem_account_t *acct);
	int (*write)(void *state, const char *line, size_t len);
	int (*flush)(void *state);
	void (*close)(void *state, mem_account_t *acct);
} output_sink_ops_t;

typedef struct output_config {
	const char *eve_path; /* file path, "-" for stdout */
	size_t max_event_bytes; /* events larger than this are dropped (counted) */
	uint16_t community_id_seed;
	int community_id; /* write community_id */
	int ipv6_compress; /* write IPv6 addresses in their shortest form */
	int writer_thread; /* write on a thread of its own */
	uint32_t queue_batches; /* batches waiting for the writer before the packet thread waits */
	uint64_t flush_us; /* hand over a batch whose first event is this old (packet time) */
} output_config_t;

typedef struct output_counters {
	uint64_t events; /* lines written */
	uint64_t events_flow, events_stats, events_other;
	uint64_t dropped_oversize; /* events larger than max_event_bytes */
	uint64_t write_errors; /* sink write failures */
	uint64_t bytes; /* bytes written */
	uint64_t batches; /* batches handed to the sinks */
	uint64_t queue_full; /* times the packet thread waited for the writer thread */
} output_counters_t;

typedef struct output output_t;

void output_config_default(output_config_t *cfg);

/* Opens every configured sink. Returns AW_EIO (with errno set) when a sink cannot be opened. */
int output_new(output_t **out, const output_config_t *cfg, mem_account_t *acct);

/* Writes what is pending, then closes every sink; NULL is fine. */
void output_free(output_t *o);
/* Writes the events still waiting to every sink, and waits until they are written. */
int output_flush(output_t *o);

/* Hands the waiting events to the sinks when the oldest is flush_us old at packet time now_us
 * (a live capture's idle moments call this). */
void output_tick(output_t *o, uint64_t now_us);

/* The reusable event buffer: begin an event with output_eve_header, add members, then
 * output_commit. */
json_buf_t *output_json(output_t *o);

/*
 * Starts an event: timestamp, flow_id, pcap_cnt (when nonzero), event_type, vlan, src/dest
 * address and port, proto, app_proto (when given) and community_id, oriented client to server
 * (dir FLOW_TOSERVER) or the other way. f may be NULL for events without a flow (stats).
 * The part from event_type on is the same for every event of a flow and direction: it is kept
 * in a small cache and copied, checked against the fields it was made from. Then `ether`, when
 * the flow kept Ethernet addresses (eve.ethernet): per-side lists for "flow" events, the
 * addresses of direction dir for the others.
 */
void output_eve_header(output_t *o, const char *event_type, uint64_t ts_us, const flow_t *f,
		       int dir, uint64_t pcap_cnt, const char *app_proto);

/* Closes the current event; it goes to the sinks with the next batch (or output_flush). */
int output_commit(output_t *o, const char *event_type);

/* Sees a finished line ('\n' included), valid during the call only. */
typedef void (*output_tap_fn)(void *ud, const char *line, size_t len);

/* As output_commit, and tap (when not NULL) sees the line first; with keep 0 the line then
 * leaves the buffer instead of going to the sinks (an event meant for other sinks only). */
int output_commit_tap(output_t *o, const char *event_type, int keep, output_tap_fn tap, void *ud);

/* Sets the file name written as pcap_filename (NULL for none; live capture). The string must
 * outlive its use. */
void output_set_pcap_filename(output_t *o, const char *name);

const output_counters_t *output_counters(const output_t *o);

/* Formats an address as text: IPv4 dotted, IPv6 in full (as Suricata writes it) unless
 * compress_v6 asks for the shortest form. */
void output_format_addr(char *out, size_t out_len, const net_addr_t *a, int ip_version,
			int compress_v6);

#endif

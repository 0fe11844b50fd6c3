/*
 * stats.c - the stats event: counters of every stage at one moment of packet time.
 *
 * Counters Suricata also has go under "stats" with Suricata's names, so the event validates
 * against its EVE schema; apiwatch's own counters (memory per subsystem, reassembly details,
 * classifier, output) go under "api.stats". Written every stats interval of packet time and at
 * exit; never per packet.
 */
#include "pipeline_private.h"

#include <string.h>

#include "http1.h"

/* The HTTP dissector's context, or NULL. */
static const void *stats_http_ctx(const pipeline_t *pl)
{
	int i;

	for (i = 0; i < PIPELINE_MAX_DISSECTORS && dissector_table[i]; i++)
		if (dissector_table[i] == &http1_dissector)
			return pl->dctx[i];
	return NULL;
}

/* Suricata's app-layer counters (stats.app_layer.*.http). */
static void stats_app_layer(json_buf_t *jb, const pipeline_t *pl)
{
	const void *ctx = stats_http_ctx(pl);
	const http1_counters_t *hc;

	if (!ctx)
		return;
	hc = http1_ctx_counters(ctx);
	json_open_object(jb, "app_layer");
	json_open_object(jb, "flow");
	json_kv_u64(jb, "http", hc->flows);
	json_close_object(jb);
	json_open_object(jb, "tx");
	json_kv_u64(jb, "http", hc->tx);
	json_close_object(jb);
	json_open_object(jb, "error");
	json_open_object(jb, "http");
	json_kv_u64(jb, "gap", hc->err_gap);
	json_kv_u64(jb, "alloc", hc->err_alloc);
	json_kv_u64(jb, "parser", hc->err_parser);
	json_kv_u64(jb, "internal", hc->err_internal);
	json_close_object(jb);
	json_close_object(jb);
	json_close_object(jb);
}

/* apiwatch's own HTTP counters (api.stats.http). */
static void stats_api_http(json_buf_t *jb, const pipeline_t *pl)
{
	const void *ctx = stats_http_ctx(pl);
	const http1_counters_t *hc;
	const api_call_pool_counters_t *pc;

	if (!ctx)
		return;
	hc = http1_ctx_counters(ctx);
	pc = http1_ctx_pool_counters(ctx);
	json_open_object(jb, "http");
	json_kv_u64(jb, "requests", hc->requests);
	json_kv_u64(jb, "responses", hc->responses);
	json_kv_u64(jb, "interim", hc->interim);
	json_kv_u64(jb, "no_response", hc->no_response);
	json_kv_u64(jb, "no_request", hc->no_request);
	json_kv_u64(jb, "pending_evicted", hc->pending_evicted);
	json_kv_u64(jb, "gaps", hc->gaps);
	json_kv_u64(jb, "gaps_in_body", hc->gaps_in_body);
	json_kv_u64(jb, "resyncs", hc->resyncs);
	json_kv_u64(jb, "resync_skipped_bytes", hc->resync_skipped);
	json_kv_u64(jb, "upgrades", hc->upgrades);
	json_kv_u64(jb, "tunnels_http", hc->tunnels_http);
	json_kv_u64(jb, "headers_cut", hc->headers_cut);
	json_kv_u64(jb, "bodies_cut", hc->bodies_cut);
	json_kv_u64(jb, "bodies_decoded", pc->decodes);
	json_kv_u64(jb, "decompress_errors", pc->decode_errors);
	json_kv_u64(jb, "decompression_bombs", pc->bombs);
	json_kv_u64(jb, "anomalies", hc->anomalies);
	json_kv_u64(jb, "lines_too_long", hc->lines_too_long);
	json_kv_u64(jb, "cruft_lines", hc->cruft_lines);
	json_kv_u64(jb, "cruft_answered", hc->cruft_answered);
	json_kv_u64(jb, "state_allocs", hc->state_allocs);
	json_kv_u64(jb, "records", pc->gets);
	json_kv_u64(jb, "record_allocs", pc->allocs);
	json_kv_u64(jb, "record_alloc_fail", pc->alloc_fail);
	json_kv_u64(jb, "record_grows", pc->arena_grows);
	json_kv_u64(jb, "records_in_use", pc->in_use);
	json_close_object(jb);
}

/* Writes nonzero events as one object per layer; events of a layer are adjacent in their
 * table. */
static void stats_event_layers(json_buf_t *jb, const uint64_t *counts, int n,
			       const char *(*layer_of)(int), const char *(*name_of)(int))
{
	const char *layer = NULL;
	int i;

	for (i = 0; i < n; i++) {
		const char *l = layer_of(i);

		if (!counts[i])
			continue;
		if (!layer || strcmp(layer, l) != 0) {
			if (layer)
				json_close_object(jb);
			json_open_object(jb, l);
			layer = l;
		}
		json_kv_u64(jb, name_of(i), counts[i]);
	}
	if (layer)
		json_close_object(jb);
}

static const char *stats_ev_layer(int i)
{
	return decode_event_layer((enum decode_event)i);
}

static const char *stats_ev_name(int i)
{
	return decode_event_name((enum decode_event)i);
}

static const char *stats_api_ev_layer(int i)
{
	return decode_api_event_layer((enum decode_api_event)i);
}

static const char *stats_api_ev_name(int i)
{
	return decode_api_event_name((enum decode_api_event)i);
}

static void stats_decoder(json_buf_t *jb, const decode_counters_t *dc)
{
	json_open_object(jb, "decoder");
#define STATS_DECODE_COUNTER(name) json_kv_u64(jb, #name, dc->name);
	DECODE_COUNTER_MAP(STATS_DECODE_COUNTER)
#undef STATS_DECODE_COUNTER
	json_kv_u64(jb, "avg_pkt_size", dc->pkts ? dc->bytes / dc->pkts : 0);
	json_open_object(jb, "event");
	stats_event_layers(jb, dc->events, DECODE_EV__COUNT, stats_ev_layer, stats_ev_name);
	json_close_object(jb);
	json_close_object(jb);
}

/* Decoder counters and events Suricata's schema has no names for (api.stats.decoder). */
static void stats_api_decoder_extra(json_buf_t *jb, const decode_counters_t *dc)
{
#define STATS_DECODE_API_COUNTER(name) json_kv_u64(jb, #name, dc->name);
	DECODE_API_COUNTER_MAP(STATS_DECODE_API_COUNTER)
#undef STATS_DECODE_API_COUNTER
	json_open_object(jb, "event");
	stats_event_layers(jb, dc->api_events, DECODE_API_EV__COUNT, stats_api_ev_layer,
			   stats_api_ev_name);
	json_close_object(jb);
}

static void stats_defrag(json_buf_t *jb, const defrag_counters_t *d, const mem_account_t *m)
{
	json_open_object(jb, "defrag");
	json_open_object(jb, "ipv4");
	json_kv_u64(jb, "fragments", d->ipv4_fragments);
	json_kv_u64(jb, "reassembled", d->ipv4_reassembled);
	json_kv_u64(jb, "timeouts", d->ipv4_timeouts);
	json_close_object(jb);
	json_open_object(jb, "ipv6");
	json_kv_u64(jb, "fragments", d->ipv6_fragments);
	json_kv_u64(jb, "reassembled", d->ipv6_reassembled);
	json_kv_u64(jb, "timeouts", d->ipv6_timeouts);
	json_close_object(jb);
	json_kv_u64(jb, "max_frags_reached", d->max_frags_reached);
	json_kv_u64(jb, "max_trackers_reached", d->max_trackers_reached);
	json_kv_u64(jb, "memuse", m->in_use);
	json_close_object(jb);
}

static void stats_flow(json_buf_t *jb, const flow_counters_t *fc, const mem_account_t *m)
{
	json_open_object(jb, "flow");
	json_kv_u64(jb, "total", fc->total);
	json_kv_u64(jb, "active", fc->active);
	json_kv_u64(jb, "tcp", fc->tcp);
	json_kv_u64(jb, "udp", fc->udp);
	json_kv_u64(jb, "tcp_reuse", fc->tcp_reuse);
	json_kv_u64(jb, "memcap", fc->memcap_hits);
	json_kv_u64(jb, "memuse", m->in_use);
	json_open_object(jb, "mgr");
	json_kv_u64(jb, "flows_timeout", fc->timeouts);
	json_kv_u64(jb, "flows_evicted", fc->evicted);
	json_close_object(jb);
	json_open_object(jb, "end");
	json_open_object(jb, "state");
	json_kv_u64(jb, "new", fc->ended_state[FLOW_CLASS_NEW]);
	json_kv_u64(jb, "established", fc->ended_state[FLOW_CLASS_ESTABLISHED]);
	json_kv_u64(jb, "closed", fc->ended_state[FLOW_CLASS_CLOSED]);
	json_close_object(jb);
	json_close_object(jb);
	json_close_object(jb);
}

static void stats_tcp(json_buf_t *jb, const tcp_counters_t *tc, const decode_counters_t *dc,
		      const mem_account_t *m)
{
	json_open_object(jb, "tcp");
	json_kv_u64(jb, "sessions", tc->sessions);
	json_kv_u64(jb, "syn", tc->syn);
	json_kv_u64(jb, "synack", tc->synack);
	json_kv_u64(jb, "rst", tc->rst);
	json_kv_u64(jb, "midstream_pickups", tc->midstream_pickups);
	json_kv_u64(jb, "reassembly_gap", tc->reassembly_gap);
	json_kv_u64(jb, "overlap", tc->overlap);
	json_kv_u64(jb, "overlap_diff_data", tc->overlap_diff_data);
	json_kv_u64(jb, "stream_depth_reached", tc->stream_depth_reached);
	json_kv_u64(jb, "segment_memcap_drop", tc->segment_memcap_drop);
	json_kv_u64(jb, "invalid_checksum", dc->csum_invalid_tcp);
	json_kv_u64(jb, "reassembly_memuse", m->in_use);
	json_close_object(jb);
	json_open_object(jb, "stream");
	json_kv_u64(jb, "pkt_retransmission", tc->retransmission);
	json_kv_u64(jb, "reassembly_overlap_different_data", tc->overlap_diff_data);
	json_kv_u64(jb, "reassembly_seq_gap", tc->reassembly_gap);
	json_kv_u64(jb, "reassembly_depth_reached", tc->stream_depth_reached);
	json_kv_u64(jb, "reassembly_insert_memcap", tc->segment_memcap_drop);
	json_close_object(jb);
}

static void stats_api_memory(json_buf_t *jb, const pipeline_t *pl)
{
	int i;

	json_open_object(jb, "memory");
	for (i = 0; i < PIPELINE_MEM__COUNT; i++) {
		const mem_account_t *m = &pl->mem[i];

		json_open_object(jb, m->name);
		json_kv_u64(jb, "in_use", m->in_use);
		json_kv_u64(jb, "peak", m->peak);
		json_kv_u64(jb, "cap", m->cap);
		json_kv_u64(jb, "cap_hits", m->cap_hits);
		json_kv_u64(jb, "alloc_failures", m->failures);
		json_close_object(jb);
	}
	json_close_object(jb);
}

/* The endpoint catalogue (api.stats.inventory.endpoints). */
static void stats_api_endpoints(json_buf_t *jb, const inventory_counters_t *ic,
				const endpoint_counters_t *ec)
{
	json_open_object(jb, "endpoints");
	json_kv_u64(jb, "endpoints", ec->endpoints);
	json_kv_u64(jb, "created", ec->endpoints_created);
	json_kv_u64(jb, "merged", ec->endpoints_merged);
	json_kv_u64(jb, "cap_hits", ec->cap_hits);
	json_kv_u64(jb, "alloc_fail", ec->alloc_fail);
	json_kv_u64(jb, "calls_scanned", ec->scanned);
	json_kv_u64(jb, "calls_skipped", ec->skipped);
	json_kv_u64(jb, "codes_cut", ec->codes_cut);
	json_kv_u64(jb, "content_types_cut", ec->ctypes_cut);
	json_kv_u64(jb, "sensitive_paths_cut", ec->sensitive_paths_cut);
	json_kv_u64(jb, "claims_cut", ec->claims_cut);
	json_kv_u64(jb, "events", ic->events);
	json_kv_u64(jb, "events_budget_dropped", ic->events_dropped);
	json_kv_u64(jb, "events_queue_dropped", ec->news_dropped);
	json_kv_u64(jb, "files_written", ic->files_written);
	json_kv_u64(jb, "write_errors", ic->write_errors);
	if (ec->spec_calls || ec->spec_outside_calls || ic->orphans) {
		/* Only with a declared spec (--spec). */
		json_open_object(jb, "spec");
		json_kv_u64(jb, "calls", ec->spec_calls);
		json_kv_u64(jb, "checked", ec->spec_checked);
		json_kv_u64(jb, "violating", ec->spec_bad);
		json_kv_u64(jb, "shadow_endpoints", ec->spec_shadow_endpoints);
		json_kv_u64(jb, "zombie_endpoints", ec->spec_zombie_endpoints);
		json_kv_u64(jb, "outside_endpoints", ec->spec_outside_endpoints);
		json_kv_u64(jb, "outside_calls", ec->spec_outside_calls);
		json_kv_u64(jb, "orphans", ic->orphans);
		json_kv_u64(jb, "orphan_events_dropped", ic->orphan_events_dropped);
		json_close_object(jb);
	}
	json_close_object(jb);
}

static void stats_api_inventory(json_buf_t *jb, inventory_t *inv)
{
	const inventory_counters_t *ic = inventory_counters(inv);
	const path_template_counters_t *tc = inventory_template_counters(inv);

	json_open_object(jb, "inventory");
	json_kv_u64(jb, "calls", ic->calls);
	json_kv_u64(jb, "no_path", ic->no_path);
	json_kv_u64(jb, "jwt_memo_hits", ic->jwt_memo_hits);
	json_kv_u64(jb, "jwt_memo_misses", ic->jwt_memo_misses);
	json_open_object(jb, "templates");
	json_kv_u64(jb, "trees", tc->trees);
	json_kv_u64(jb, "nodes", tc->nodes);
	json_kv_u64(jb, "templates", tc->templates);
	json_kv_u64(jb, "created", tc->templates_created);
	json_kv_u64(jb, "merged", tc->templates_merged);
	json_kv_u64(jb, "collapses", tc->collapse_hard + tc->collapse_novelty);
	json_kv_u64(jb, "capped", tc->capped);
	json_kv_u64(jb, "cap_hits", tc->tree_cap_hits + tc->node_cap_hits + tc->mem_cap_hits);
	json_kv_u64(jb, "catchall", tc->catchall);
	json_close_object(jb);
	stats_api_endpoints(jb, ic, inventory_endpoint_counters(inv));
	json_close_object(jb);
}

/* api.stats.baseline; the Redis figures depend on timing and other sensors, so they are
 * written only when the Redis store is in use. */
static void stats_api_baseline(json_buf_t *jb, baseline_t *bl)
{
	const baseline_counters_t *c = baseline_counters(bl);

	json_open_object(jb, "baseline");
	json_kv_u64(jb, "calls", c->calls);
	json_kv_u64(jb, "endpoints", c->endpoints);
	json_kv_u64(jb, "principals", c->principals);
	json_kv_u64(jb, "endpoint_cap_hits", c->endpoint_cap_hits);
	json_kv_u64(jb, "principal_cap_hits", c->principal_cap_hits);
	json_kv_u64(jb, "hll_dense_cap_hits", c->hll_dense_cap_hits);
	json_kv_u64(jb, "minutes_finished", c->minutes_finished);
	json_kv_u64(jb, "body_samples", c->body_samples);
	json_kv_u64(jb, "sensitive_scans", c->sensitive_scans);
	json_kv_u64(jb, "body_key_scans", c->body_key_scans);
	json_kv_u64(jb, "merges", c->merges);
	json_kv_u64(jb, "loaded_endpoints", c->loaded_endpoints);
	json_kv_u64(jb, "loaded_principals", c->loaded_principals);
	if (baseline_is_redis(bl)) {
		json_open_object(jb, "redis");
		json_kv_u64(jb, "round_trips", c->redis_round_trips);
		json_kv_u64(jb, "flushes", c->redis_flushes);
		json_kv_u64(jb, "failures", c->redis_failures);
		json_kv_u64(jb, "reconnects", c->redis_reconnects);
		json_kv_u64(jb, "connect_failures", c->redis_connect_failures);
		json_kv_u64(jb, "queue_drops", c->redis_queue_drops);
		json_kv_u64(jb, "queue_waits", c->redis_queue_waits);
		json_kv_u64(jb, "queue_wait_ms", c->redis_queue_wait_us / 1000);
		json_kv_u64(jb, "minutes_written", c->redis_items_written);
		json_kv_u64(jb, "minutes_unwritten", c->redis_items_unwritten);
		json_kv_u64(jb, "profiles_read", c->redis_reads);
		json_kv_u64(jb, "batches_pending", c->redis_pending);
		json_close_object(jb);
	}
	json_close_object(jb);
}

/* api.stats.alerts; the sinks' figures depend on their timing (network, Redis): they are
 * written only when such sinks are configured, so that replays to EVE alone stay identical. */
static void stats_api_alerts(json_buf_t *jb, const alerts_t *a)
{
	const alert_counters_t *ac = alert_counters(a);
	unsigned i, n = alert_sink_count(a);

	json_open_object(jb, "alerts");
	json_kv_u64(jb, "findings", ac->findings);
	json_kv_u64(jb, "opened", ac->opened);
	json_kv_u64(jb, "events", ac->updates);
	json_kv_u64(jb, "finals", ac->finals);
	json_kv_u64(jb, "closed", ac->closed);
	json_kv_u64(jb, "open", ac->open);
	json_kv_u64(jb, "table_full", ac->table_full);
	json_kv_u64(jb, "dropped_oversize", ac->dropped_oversize);
	json_kv_u64(jb, "no_memory", ac->no_memory);
	if (n) {
		json_open_array(jb, "sinks");
		for (i = 0; i < n; i++) {
			alert_sink_info_t si;

			alert_sink_info(a, i, &si);
			json_open_object(jb, NULL);
			json_kv_str(jb, "type", si.type);
			json_kv_str(jb, "target", si.target);
			json_kv_u64(jb, "delivered", si.delivered);
			json_kv_u64(jb, "failed", si.failed);
			json_kv_u64(jb, "reconnects", si.reconnects);
			json_kv_u64(jb, "queue_drops", si.queue_drops);
			json_kv_u64(jb, "rejected", si.rejected);
			json_kv_u64(jb, "undelivered", si.undelivered);
			if (strncmp(si.type, "redis-", 6) == 0)
				json_kv_u64(jb, "round_trips", si.round_trips);
			if (strcmp(si.type, "syslog") == 0)
				json_kv_u64(jb, "oversize", si.oversize);
			json_close_object(jb);
		}
		json_close_array(jb);
	}
	json_close_object(jb);
}

/* api.stats.detect: calls evaluated, findings per rule, the short-term tables. */
static void stats_api_detect(json_buf_t *jb, detect_t *det)
{
	static const char *const tables[DETECT_T__COUNT] = {"endpoints", "pairs", "principals",
							    "clients",	 "users", "objects"};
	const detect_counters_t *c = detect_counters(det);
	unsigned i;

	json_open_object(jb, "detect");
	json_kv_u64(jb, "calls", c->calls);
	json_kv_u64(jb, "no_endpoint", c->no_endpoint);
	json_kv_u64(jb, "findings", c->findings);
	json_kv_u64(jb, "view_reads", c->view_reads);
	json_kv_u64(jb, "record_scans", c->record_scans);
	json_kv_u64(jb, "body_scans", c->body_scans);
	json_open_object(jb, "by_detector");
	for (i = 0; i < DETECT__COUNT; i++)
		json_kv_u64(jb, detect_rule_info(i)->name, c->by_rule[i]);
	json_close_object(jb);
	json_open_object(jb, "tables");
	for (i = 0; i < DETECT_T__COUNT; i++) {
		json_open_object(jb, tables[i]);
		json_kv_u64(jb, "entries", c->tables[i].entries);
		json_kv_u64(jb, "capacity", c->tables[i].capacity);
		json_kv_u64(jb, "evictions", c->tables[i].evictions);
		json_close_object(jb);
	}
	json_close_object(jb);
	json_close_object(jb);
}

static void stats_api(json_buf_t *jb, const pipeline_t *pl)
{
	const tcp_counters_t *tc = tcp_reassembly_counters(pl->tcp);
	const flow_counters_t *fc = flow_table_counters(pl->flows);
	const decode_counters_t *dc = decode_counters(pl->decode);
	const defrag_counters_t *df = decode_defrag_counters(pl->decode);
	const l7_counters_t *lc = l7_counters(pl->l7);
	const output_counters_t *oc = output_counters(pl->out);

	json_open_object(jb, "api");
	json_open_object(jb, "stats");
	stats_api_memory(jb, pl);
	json_open_object(jb, "capture");
	json_kv_u64(jb, "inputs", pl->counters.inputs);
	json_kv_u64(jb, "packets", pl->counters.packets);
	json_kv_u64(jb, "bytes", pl->counters.bytes);
	json_kv_u64(jb, "time_backwards", pl->counters.time_backwards);
	json_close_object(jb);
	json_open_object(jb, "decoder");
	json_kv_u64(jb, "ipv4_invalid_checksum", dc->csum_invalid_ipv4);
	json_kv_u64(jb, "udp_invalid_checksum", dc->csum_invalid_udp);
	json_kv_u64(jb, "unsupported_linktype", dc->unsupported_linktype);
	json_kv_u64(jb, "other_l4", dc->other_l4);
	json_kv_u64(jb, "defrag_memcap", df->memcap_reached);
	stats_api_decoder_extra(jb, dc);
	json_close_object(jb);
	json_open_object(jb, "flow");
	json_kv_u64(jb, "evicted", fc->evicted);
	json_kv_u64(jb, "no_flow", pl->counters.no_flow);
	json_kv_u64(jb, "shutdown", fc->shutdown);
	json_kv_u64(jb, "slab_grows", fc->slab_grows);
	json_kv_u64(jb, "max_chain", fc->max_chain);
	json_kv_u64(jb, "ether_macs_capped", fc->ether_macs_capped);
	json_close_object(jb);
	json_open_object(jb, "tcp");
	json_kv_u64(jb, "gap_bytes", tc->gap_bytes);
	json_kv_u64(jb, "out_of_order", tc->out_of_order);
	json_kv_u64(jb, "hold_flushes", tc->hold_flushes);
	json_kv_u64(jb, "pkt_invalid", tc->pkt_invalid);
	json_kv_u64(jb, "rst_invalid", tc->rst_invalid);
	json_kv_u64(jb, "midstream_ignored", tc->midstream_ignored);
	json_kv_u64(jb, "session_reuse", tc->session_reuse);
	json_kv_u64(jb, "bytes_delivered", tc->bytes_delivered);
	json_kv_u64(jb, "chunks_from_pool", tc->chunks_from_pool);
	json_kv_u64(jb, "pool_grows", tc->pool_grows);
	json_kv_u64(jb, "compare_window_unavailable", tc->compare_window_unavailable);
	json_kv_u64(jb, "no_session", pl->counters.no_tcp_session);
	json_close_object(jb);
	json_open_object(jb, "l7");
	json_kv_u64(jb, "packets", lc->packets);
	json_kv_u64(jb, "flows_classified", lc->flows_classified);
	json_kv_u64(jb, "flows_given_up", lc->flows_given_up);
	json_kv_u64(jb, "flows_guessed", lc->flows_guessed);
	json_kv_u64(jb, "alloc_fail", lc->alloc_fail);
	json_kv_u64(jb, "flows_dissector", lc->flows_dissector);
	json_kv_u64(jb, "ndpi_started", lc->ndpi_started);
	json_close_object(jb);
	json_open_object(jb, "dissector");
	json_kv_u64(jb, "detached", pl->counters.dissector_detached);
	json_kv_u64(jb, "done", pl->counters.dissector_done);
	json_close_object(jb);
	stats_api_http(jb, pl);
	if (pl->inv)
		stats_api_inventory(jb, pl->inv);
	if (pl->bl)
		stats_api_baseline(jb, pl->bl);
	stats_api_alerts(jb, pl->alerts);
	if (pl->det)
		stats_api_detect(jb, pl->det);
	json_open_object(jb, "output");
	json_kv_u64(jb, "events", oc->events);
	json_kv_u64(jb, "flow", oc->events_flow);
	json_kv_u64(jb, "stats", oc->events_stats);
	json_kv_u64(jb, "dropped_oversize", oc->dropped_oversize);
	json_kv_u64(jb, "write_errors", oc->write_errors);
	json_kv_u64(jb, "batches", oc->batches);
	/* How often the packet thread waited for the writer depends on timing, not on the input:
	 * written for live captures only, so that replays stay byte-identical (-v prints it). */
	if (pl->live)
		json_kv_u64(jb, "queue_full", oc->queue_full);
	json_close_object(jb);
	json_close_object(jb);
	json_close_object(jb);
}

void stats_write(pipeline_t *pl, uint64_t now_us)
{
	json_buf_t *jb = output_json(pl->out);
	const decode_counters_t *dc = decode_counters(pl->decode);

	output_eve_header(pl->out, "stats", now_us, NULL, 0, 0, NULL);
	json_open_object(jb, "stats");
	json_kv_u64(jb, "uptime", pl->first_us ? (now_us - pl->first_us) / 1000000 : 0);
	json_open_object(jb, "capture");
	json_kv_u64(jb, "kernel_packets", pl->capture.kernel_packets);
	json_kv_u64(jb, "kernel_drops", pl->capture.kernel_drops);
	json_kv_u64(jb, "kernel_ifdrops", pl->capture.kernel_ifdrops);
	json_kv_u64(jb, "errors", pl->capture.errors);
	json_close_object(jb);
	stats_decoder(jb, dc);
	stats_defrag(jb, decode_defrag_counters(pl->decode), &pl->mem[PIPELINE_MEM_DEFRAG]);
	stats_flow(jb, flow_table_counters(pl->flows), &pl->mem[PIPELINE_MEM_FLOW]);
	stats_tcp(jb, tcp_reassembly_counters(pl->tcp), dc, &pl->mem[PIPELINE_MEM_STREAM]);
	stats_app_layer(jb, pl);
	json_open_object(jb, "detect");
	json_kv_u64(jb, "alert", alert_counters(pl->alerts)->updates);
	json_close_object(jb);
	json_close_object(jb);
	stats_api(jb, pl);
	output_commit(pl->out, "stats");
}

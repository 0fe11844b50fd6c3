/*
 * pipeline.c - wiring of one worker's stages (see pipeline.h).
 *
 * Per packet: decode; for TCP/UDP, the flow; the classifier while it still decides; for TCP,
 * reassembly, whose ordered bytes go to the flow's dissector. Once per second of packet time,
 * the timeout sweep; every stats interval, a stats event. When a flow ends, its reassembly is
 * finished (the dissector sees the last bytes and the close), its flow event written and its
 * state released.
 */
#include "pipeline_private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dissector.h"
#include "error.h"

#define PIPELINE_TICK_US 1000000ull

/* The timeout sweep runs once per second of packet time, or more often when a timeout is
 * shorter, so that a one-millisecond timeout means one millisecond. */
static uint64_t pipeline_tick_us(const aw_config_t *cfg)
{
	uint64_t t = PIPELINE_TICK_US;
	int i, c;

	for (i = 0; i < 2; i++)
		for (c = 0; c < FLOW_CLASS__COUNT; c++)
			if (cfg->flow.timeout_us[i][c] && cfg->flow.timeout_us[i][c] < t)
				t = cfg->flow.timeout_us[i][c];
	if (cfg->decode.defrag_timeout_us && cfg->decode.defrag_timeout_us < t)
		t = cfg->decode.defrag_timeout_us;
	return t;
}

static const char *const pipeline_mem_names[PIPELINE_MEM__COUNT] = {
	"flow",	  "stream",    "defrag",   "l7",    "dissector",
	"output", "inventory", "baseline", "alert", "detect"};

/* ------------------------------------------------------------------------------------------ */
/* Reassembled bytes to the flow's dissector */

typedef struct pipeline_flow_ref {
	pipeline_t *pl;
	flow_t *f;
} pipeline_flow_ref_t;

static void pipeline_detach(pipeline_t *pl, flow_t *f)
{
	const dissector_t *d = f->dissector;

	if (d && f->dissector_state)
		d->state_free(f->dissector_state);
	f->dissector = NULL;
	f->dissector_state = NULL;
	f->flags |= FLOW_F_DISSECT_DONE;
	if (f->tcp) {
		tcp_session_stop(pl->tcp, f->tcp, 0);
		tcp_session_stop(pl->tcp, f->tcp, 1);
	}
}

/*
 * Probing. Each direction's first bytes are offered to the registered dissectors; a dissector
 * that needs more (a request line split into one-byte segments) has them kept in a small
 * pooled buffer, which f->dissector_state points at while no dissector is attached, and offered
 * again with the next bytes. A direction that no dissector wants is marked in probe_tries; the
 * flow is given up when both are.
 */
#define PIPELINE_PROBE_BYTES 48
#define PIPELINE_PROBE_NO 0xff

typedef struct pipeline_probe_buf pipeline_probe_buf_t;
struct pipeline_probe_buf {
	pipeline_probe_buf_t *next; /* free list */
	uint8_t len[2];
	uint8_t buf[2][PIPELINE_PROBE_BYTES];
};

static void pipeline_probe_buf_put(pipeline_t *pl, flow_t *f)
{
	pipeline_probe_buf_t *pb = f->dissector ? NULL : f->dissector_state;

	if (!pb)
		return;
	f->dissector_state = NULL;
	pb->next = pl->probe_free;
	pl->probe_free = pb;
}

static pipeline_probe_buf_t *pipeline_probe_buf_get(pipeline_t *pl, flow_t *f)
{
	pipeline_probe_buf_t *pb = f->dissector_state;

	if (pb)
		return pb;
	pb = pl->probe_free;
	if (pb)
		pl->probe_free = pb->next;
	else
		pb = mem_alloc(&pl->mem[PIPELINE_MEM_DISSECT], sizeof(*pb));
	if (pb) {
		pb->len[0] = pb->len[1] = 0;
		f->dissector_state = pb;
	}
	return pb;
}

static void pipeline_probe_pool_free(pipeline_t *pl)
{
	pipeline_probe_buf_t *pb, *n;

	for (pb = pl->probe_free; pb; pb = n) {
		n = pb->next;
		mem_free(&pl->mem[PIPELINE_MEM_DISSECT], pb, sizeof(*pb));
	}
	pl->probe_free = NULL;
}

/* Attaches dissector i; bytes kept while probing are handed to it first, requests first. */
static void pipeline_attach(pipeline_t *pl, flow_t *f, int i)
{
	const dissector_t *d = dissector_table[i];
	pipeline_probe_buf_t *pb = f->dissector_state;
	int dir, rc = 0;

	f->dissector_state = d->state_new(pl->dctx[i], f);
	f->dissector = d;
	if (pb) {
		pb->next = pl->probe_free;
		pl->probe_free = pb;
	}
	if (!f->dissector_state) {
		pipeline_detach(pl, f);
		return;
	}
	l7_set_proto(pl->l7, f, d->name);
	/* The buffer is back in the pool but untouched until the next probe: read it now. */
	for (dir = 0; pb && dir < 2 && rc == 0; dir++)
		if (pb->len[dir])
			rc = d->on_data(f->dissector_state, dir, pb->buf[dir], pb->len[dir]);
	if (rc != 0) {
		if (rc < 0)
			pl->counters.dissector_detached++;
		pipeline_detach(pl, f);
	}
}

static void pipeline_probe(pipeline_t *pl, flow_t *f, int dir, const uint8_t *data, size_t len)
{
	pipeline_probe_buf_t *pb = f->dissector_state;
	uint8_t joined[2 * PIPELINE_PROBE_BYTES];
	const uint8_t *p = data;
	size_t n = len;
	int i, more = 0;

	if (f->probe_tries[dir] == PIPELINE_PROBE_NO)
		return;
	if (pb && pb->len[dir]) {
		n = len < PIPELINE_PROBE_BYTES ? len : PIPELINE_PROBE_BYTES;
		memcpy(joined, pb->buf[dir], pb->len[dir]);
		memcpy(joined + pb->len[dir], data, n);
		n += pb->len[dir];
		p = joined;
	}
	for (i = 0; dissector_table[i]; i++) {
		int r = dissector_table[i]->probe(p, n, dir);

		if (r == DISSECTOR_PROBE_YES) {
			pipeline_attach(pl, f, i);
			return;
		}
		more |= r == DISSECTOR_PROBE_NEED_MORE;
	}
	if (more && n < PIPELINE_PROBE_BYTES && (pb = pipeline_probe_buf_get(pl, f)) != NULL) {
		memcpy(pb->buf[dir], p, n);
		pb->len[dir] = (uint8_t)n;
		return;
	}
	f->probe_tries[dir] = PIPELINE_PROBE_NO;
	if (pb)
		pb->len[dir] = 0;
	if (f->probe_tries[1 - dir] == PIPELINE_PROBE_NO) {
		pipeline_probe_buf_put(pl, f);
		f->flags |= FLOW_F_DISSECT_DONE;
	}
}

/* A dissector's answer: an error detaches it (counted); DISSECTOR_DONE detaches it quietly. */
static void pipeline_dissector_result(pipeline_t *pl, flow_t *f, int rc)
{
	if (rc == 0)
		return;
	if (rc < 0)
		pl->counters.dissector_detached++;
	else
		pl->counters.dissector_done++;
	pipeline_detach(pl, f);
}

static void pipeline_on_data(void *ud, int dir, const uint8_t *data, size_t len)
{
	pipeline_flow_ref_t *ref = ud;
	flow_t *f = ref->f;
	const dissector_t *d;

	if (!f->dissector && !(f->flags & FLOW_F_DISSECT_DONE))
		pipeline_probe(ref->pl, f, dir, data, len);
	d = f->dissector;
	if (d)
		pipeline_dissector_result(ref->pl, f,
					  d->on_data(f->dissector_state, dir, data, len));
}

static void pipeline_on_gap(void *ud, int dir, uint64_t len)
{
	pipeline_flow_ref_t *ref = ud;
	const dissector_t *d = ref->f->dissector;

	if (d)
		pipeline_dissector_result(ref->pl, ref->f,
					  d->on_gap(ref->f->dissector_state, dir, len));
}

static void pipeline_on_close(void *ud, int dir)
{
	pipeline_flow_ref_t *ref = ud;
	const dissector_t *d = ref->f->dissector;

	if (d)
		pipeline_dissector_result(ref->pl, ref->f,
					  d->on_close(ref->f->dissector_state, dir));
}

static const tcp_sink_t pipeline_sink = {
	.on_data = pipeline_on_data,
	.on_gap = pipeline_on_gap,
	.on_close = pipeline_on_close,
};

/* What dissectors produce: API call records (the http event, then the record goes back to its
 * pool) and anomalies. */
static void pipeline_emit_cb(dissector_env_t *env, api_call_t *call)
{
	pipeline_t *pl = env->ud;
	baseline_obs_t obs;
	int learn = 0;

	if (pl->inv) {
		inventory_annotate(pl->inv, call);
		inventory_announce(pl->inv, pl->out, call, env->now_us, env->pcap_cnt);
	}
	alerts_set_pcap_cnt(pl->alerts, env->pcap_cnt);
	if (pl->bl && call->endpoint.len) {
		baseline_obs_from_call(&obs, call, env->now_us);
		baseline_obs_keys(pl->bl, &obs); /* worked out once for both stages */
		baseline_prefetch(pl->bl, obs.ep_key, obs.pr_key);
		if (pl->det)
			detect_prefetch(pl->det, obs.ep_key, obs.pr_key);
		learn = 1;
	}
	/* The call's own event first: the baseline's and the detectors' table lines, out in
	 * memory for most calls, come in while it is written. An alert the call raises follows
	 * its http event. */
	output_http_write(pl->http_out, pl->out, call, env->now_us, env->pcap_cnt, env->flow_end);
	if (learn) {
		baseline_observe(pl->bl, &obs);
		if (pl->det) {
			uint64_t before = alert_counters(pl->alerts)->findings;

			detect_call_obs(pl->det, call, inventory_last_principal(pl->inv),
					env->now_us, &obs);
			/* The flow event says whether its flow carried an alerted call
			 * (Suricata's flow.alerted). The pipeline owns the flows. */
			if (call->flow && alert_counters(pl->alerts)->findings != before)
				((flow_t *)call->flow)->flags |= FLOW_F_ALERTED;
		}
	}
	api_call_release(call);
}

static void pipeline_anomaly_cb(dissector_env_t *env, const flow_t *f, int dir, uint64_t tx_id,
				const char *app_proto, const char *event, const char *reason)
{
	pipeline_t *pl = env->ud;

	output_http_anomaly_write(pl->http_out, pl->out, f, dir, tx_id, app_proto, event, reason,
				  env->now_us, env->pcap_cnt);
}

/* ------------------------------------------------------------------------------------------ */
/* Flow end: the flow event */

static void pipeline_tcp_flags_json(json_buf_t *jb, const char *key, uint8_t flags)
{
	char hex[4];

	snprintf(hex, sizeof(hex), "%02x", flags);
	json_kv_str(jb, key, hex);
}

/* The flags Suricata writes as booleans in tcp{}, in its order; only the ones seen. */
static const struct {
	uint8_t bit;
	const char *name;
} pipeline_tcp_flag_names[] = {
	{PACKET_TCP_SYN, "syn"}, {PACKET_TCP_FIN, "fin"}, {PACKET_TCP_RST, "rst"},
	{PACKET_TCP_PSH, "psh"}, {PACKET_TCP_ACK, "ack"}, {PACKET_TCP_URG, "urg"},
	{PACKET_TCP_ECE, "ecn"}, {PACKET_TCP_CWR, "cwr"},
};

static void pipeline_write_tcp(pipeline_t *pl, const flow_t *f)
{
	json_buf_t *jb = output_json(pl->out);
	uint8_t all = f->tcp_flags[0] | f->tcp_flags[1];
	tcp_session_dir_info_t ts, tc;
	size_t i;

	json_open_object(jb, "tcp");
	pipeline_tcp_flags_json(jb, "tcp_flags", all);
	pipeline_tcp_flags_json(jb, "tcp_flags_ts", f->tcp_flags[0]);
	pipeline_tcp_flags_json(jb, "tcp_flags_tc", f->tcp_flags[1]);
	for (i = 0; i < sizeof(pipeline_tcp_flag_names) / sizeof(pipeline_tcp_flag_names[0]); i++)
		if (all & pipeline_tcp_flag_names[i].bit)
			json_kv_bool(jb, pipeline_tcp_flag_names[i].name, 1);
	if (!f->tcp) {
		json_close_object(jb);
		return;
	}
	tcp_session_dir_info(f->tcp, 0, &ts);
	tcp_session_dir_info(f->tcp, 1, &tc);
	json_kv_str(jb, "state", tcp_session_state_name(f->tcp));
	if (ts.gap)
		json_kv_bool(jb, "ts_gap", 1);
	if (tc.gap)
		json_kv_bool(jb, "tc_gap", 1);
	json_close_object(jb);

	json_open_object(jb, "api");
	json_open_object(jb, "tcp");
	json_kv_u64(jb, "ts_gaps", ts.gaps);
	json_kv_u64(jb, "tc_gaps", tc.gaps);
	json_kv_u64(jb, "ts_gap_bytes", ts.gap_bytes);
	json_kv_u64(jb, "tc_gap_bytes", tc.gap_bytes);
	json_kv_u64(jb, "ts_reassembled_bytes", ts.delivered);
	json_kv_u64(jb, "tc_reassembled_bytes", tc.delivered);
	if (ts.depth_reached)
		json_kv_bool(jb, "ts_depth_reached", 1);
	if (tc.depth_reached)
		json_kv_bool(jb, "tc_depth_reached", 1);
	json_close_object(jb);
	json_kv_str(jb, "orientation", (f->flags & FLOW_F_REVERSED_GUESS) ? "ports" : "handshake");
	json_close_object(jb);
}

static const char *pipeline_flow_state(const flow_t *f)
{
	switch (f->fclass) {
	case FLOW_CLASS_ESTABLISHED:
		return "established";
	case FLOW_CLASS_CLOSED:
		return "closed";
	default:
		return "new";
	}
}

static void pipeline_write_flow(pipeline_t *pl, const flow_t *f, enum flow_end_reason reason)
{
	json_buf_t *jb = output_json(pl->out);

	output_eve_header(pl->out, "flow", f->last_us, f, FLOW_TOSERVER, 0,
			  l7_proto_name(pl->l7, f->app_proto));
	json_open_object(jb, "flow");
	json_kv_u64(jb, "pkts_toserver", f->pkts[0]);
	json_kv_u64(jb, "pkts_toclient", f->pkts[1]);
	json_kv_u64(jb, "bytes_toserver", f->bytes[0]);
	json_kv_u64(jb, "bytes_toclient", f->bytes[1]);
	json_kv_time(jb, "start", f->start_us);
	json_kv_time(jb, "end", f->last_us);
	json_kv_u64(jb, "age", (f->last_us - f->start_us) / 1000000);
	json_kv_str(jb, "state", pipeline_flow_state(f));
	json_kv_str(jb, "reason", flow_end_reason_name(reason));
	json_kv_bool(jb, "alerted", (f->flags & FLOW_F_ALERTED) != 0);
	json_close_object(jb);
	if (f->key.proto == 6)
		pipeline_write_tcp(pl, f);
	output_commit(pl->out, "flow");
}

static void pipeline_flow_end_cb(flow_t *f, enum flow_end_reason reason, void *ud)
{
	pipeline_t *pl = ud;
	pipeline_flow_ref_t ref = {pl, f};
	uint64_t pcap_cnt = pl->denv.pcap_cnt;

	/* What the dissector still holds is written now, without a packet behind it. */
	pl->denv.now_us = pl->now_us;
	pl->denv.pcap_cnt = 0;
	pl->denv.flow_end = 1;
	if (f->tcp)
		tcp_session_finish(pl->tcp, f->tcp, &pipeline_sink, &ref);
	if (f->dissector && f->dissector_state)
		((const dissector_t *)f->dissector)->state_free(f->dissector_state);
	else
		pipeline_probe_buf_put(pl, f);
	f->dissector = NULL;
	f->dissector_state = NULL;
	pl->denv.pcap_cnt = pcap_cnt;
	pl->denv.flow_end = 0;
	l7_classify_release(pl->l7, f);
	pipeline_write_flow(pl, f, reason);
	tcp_session_free(pl->tcp, f->tcp);
	f->tcp = NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Set-up */

int pipeline_new(pipeline_t **out, const aw_config_t *cfg, char *errbuf, size_t errlen)
{
	pipeline_t *pl;
	int i, rc;

	*out = NULL;
	pl = calloc(1, sizeof(*pl));
	if (!pl)
		return AW_ENOMEM;
	pl->cfg = cfg;
	pl->tick_us = pipeline_tick_us(cfg);
	for (i = 0; i < PIPELINE_MEM__COUNT; i++)
		mem_account_init(&pl->mem[i], pipeline_mem_names[i], 0);
	pl->mem[PIPELINE_MEM_FLOW].cap = cfg->flow.memcap;
	pl->mem[PIPELINE_MEM_STREAM].cap = cfg->tcp.memcap;
	pl->mem[PIPELINE_MEM_DEFRAG].cap = cfg->decode.defrag_memcap;
	pl->mem[PIPELINE_MEM_DISSECT].cap = cfg->http.memcap;
	pl->denv.cfg = cfg;
	pl->denv.mem = &pl->mem[PIPELINE_MEM_DISSECT];
	pl->denv.emit = pipeline_emit_cb;
	pl->denv.anomaly = pipeline_anomaly_cb;
	pl->denv.ud = pl;
	/* The declared API first: a bad spec fails before any output file is made. */
	if (cfg->spec_path[0]) {
		rc = endpoint_spec_load_file(&pl->spec, cfg->spec_path, NULL,
					     &pl->mem[PIPELINE_MEM_INVENTORY], errbuf, errlen);
		if (rc == 0 &&
		    endpoint_spec_set_hosts(pl->spec, cfg->spec_hosts, errbuf, errlen) < 0)
			rc = AW_EINVAL;
		if (rc < 0) {
			pipeline_free(pl);
			return rc;
		}
	}
	rc = decode_ctx_new(&pl->decode, &cfg->decode, &pl->mem[PIPELINE_MEM_DEFRAG]);
	if (rc == 0)
		rc = flow_table_new(&pl->flows, &cfg->flow, &pl->mem[PIPELINE_MEM_FLOW],
				    pipeline_flow_end_cb, pl);
	if (rc == 0)
		rc = tcp_reassembly_new(&pl->tcp, &cfg->tcp, &pl->mem[PIPELINE_MEM_STREAM]);
	if (rc == 0)
		rc = l7_ctx_new(&pl->l7, &pl->mem[PIPELINE_MEM_L7], cfg->l7_max_packets);
	if (rc == 0)
		rc = output_http_new(&pl->http_out, &cfg->http_out, &pl->mem[PIPELINE_MEM_OUTPUT]);
	for (i = 0; rc == 0 && i < PIPELINE_MAX_DISSECTORS && dissector_table[i]; i++)
		if (dissector_table[i]->ctx_new)
			rc = dissector_table[i]->ctx_new(&pl->dctx[i], &pl->denv);
	if (rc < 0) {
		snprintf(errbuf, errlen, "cannot set up the pipeline: %s", error_str(rc));
		pipeline_free(pl);
		return rc;
	}
	rc = cfg->inventory_enabled
		     ? inventory_new(&pl->inv, cfg, pl->spec, &pl->mem[PIPELINE_MEM_INVENTORY],
				     errbuf, errlen)
		     : 0;
	/* The detectors read the baselines: detect.enabled turns them on. */
	if (rc == 0 && pl->inv && (cfg->baseline_enabled || cfg->detect.enabled)) {
		baseline_config_t bcfg = cfg->baseline;

		/* Endpoint and principal keys are keyed like every other hash that leaves. */
		memcpy(bcfg.hash_key, cfg->http_out.hash_key, sizeof(bcfg.hash_key));
		/* A replay waits for Redis rather than drop minutes; a live capture never waits. */
		bcfg.redis_wait_full = !cfg->iface;
		rc = baseline_new(&pl->bl, &bcfg, &pl->mem[PIPELINE_MEM_BASELINE], errbuf, errlen);
	}
	if (rc < 0) {
		pipeline_free(pl);
		return rc;
	}
	rc = output_new(&pl->out, &cfg->output, &pl->mem[PIPELINE_MEM_OUTPUT]);
	if (rc < 0) {
		snprintf(errbuf, errlen, "cannot open EVE output %s: %s", cfg->output.eve_path,
			 strerror(errno));
		pipeline_free(pl);
		return rc;
	}
	rc = alerts_new(&pl->alerts, cfg, pl->out, &pl->mem[PIPELINE_MEM_ALERT], errbuf, errlen);
	if (rc < 0) {
		if (rc != AW_ECONFIG)
			snprintf(errbuf, errlen, "cannot set up the alert stage: %s",
				 error_str(rc));
		pipeline_free(pl);
		return rc;
	}
	/* Findings go to the alert stage, which dedups them into EVE alert events. */
	if (pl->bl && cfg->detect.enabled) {
		rc = detect_new(&pl->det, &cfg->detect, pl->bl, pl->spec, cfg->http_out.hash_key,
				alert_raise, pl->alerts, &pl->mem[PIPELINE_MEM_DETECT], errbuf,
				errlen);
		if (rc < 0) {
			pipeline_free(pl);
			return rc;
		}
	}
	*out = pl;
	return 0;
}

void pipeline_free(pipeline_t *pl)
{
	int i;

	if (!pl)
		return;
	flow_table_free(pl->flows);
	for (i = 0; i < PIPELINE_MAX_DISSECTORS && dissector_table[i]; i++)
		if (pl->dctx[i] && dissector_table[i]->ctx_free)
			dissector_table[i]->ctx_free(pl->dctx[i]);
	output_http_free(pl->http_out);
	inventory_free(pl->inv);
	endpoint_spec_free(pl->spec);
	detect_free(pl->det);
	baseline_free(pl->bl);
	pipeline_probe_pool_free(pl);
	tcp_reassembly_free(pl->tcp);
	l7_ctx_free(pl->l7);
	decode_ctx_free(pl->decode);
	alerts_free(pl->alerts);
	output_free(pl->out);
	free(pl);
}

const endpoint_spec_t *pipeline_spec(const pipeline_t *pl)
{
	return pl->spec;
}

alerts_t *pipeline_alerts(pipeline_t *pl)
{
	return pl->alerts;
}

void pipeline_set_input(pipeline_t *pl, const char *name)
{
	pl->counters.inputs++;
	pl->live = name == NULL;
	output_set_pcap_filename(pl->out, name);
}

void pipeline_set_capture_stats(pipeline_t *pl, const capture_stats_t *cs)
{
	pl->capture = *cs;
}

/* ------------------------------------------------------------------------------------------ */
/* Packets and time */

/* The periodic inventory file; a failure is reported once, and counted every time. */
static void pipeline_inventory_tick(pipeline_t *pl)
{
	char err[512];

	if (pl->inv && inventory_tick(pl->inv, pl->now_us, err, sizeof(err)) < 0 &&
	    !pl->inventory_warned) {
		pl->inventory_warned = 1;
		fprintf(stderr, "apiwatch: warning: %s\n", err);
	}
}

static void pipeline_clock(pipeline_t *pl, uint64_t ts_us)
{
	if (!pl->first_us) {
		pl->first_us = pl->now_us = ts_us;
		pl->next_tick_us = ts_us + pl->tick_us;
		if (pl->cfg->stats_interval_us)
			pl->next_stats_us = ts_us + pl->cfg->stats_interval_us;
		pipeline_inventory_tick(pl); /* starts the inventory interval */
		return;
	}
	if (ts_us < pl->now_us) {
		pl->counters.time_backwards++;
		return;
	}
	pl->now_us = ts_us;
	if (pl->now_us >= pl->next_tick_us) {
		flow_table_expire(pl->flows, pl->now_us);
		decode_tick(pl->decode, pl->now_us);
		pipeline_inventory_tick(pl);
		if (pl->bl)
			baseline_tick(pl->bl, pl->now_us);
		alert_tick(pl->alerts, pl->now_us);
		if (pl->det)
			detect_tick(pl->det, pl->now_us);
		pl->next_tick_us = pl->now_us + pl->tick_us;
	}
	if (pl->next_stats_us && pl->now_us >= pl->next_stats_us) {
		stats_write(pl, pl->now_us);
		pl->next_stats_us = pl->now_us + pl->cfg->stats_interval_us;
	}
}

static void pipeline_tcp(pipeline_t *pl, flow_t *f, int dir, const packet_t *p)
{
	pipeline_flow_ref_t ref = {pl, f};

	if (!f->tcp) {
		f->tcp = tcp_session_new(pl->tcp);
		if (!f->tcp) {
			pl->counters.no_tcp_session++;
			if (!(f->flags & FLOW_F_L7_DONE))
				l7_classify_packet(pl->l7, f, p);
			return;
		}
	}
	if (tcp_session_packet(pl->tcp, f->tcp, dir, p, &pipeline_sink, &ref) == 1) {
		/* A new connection on the tuple of a closed one: end it, start afresh. */
		f->pkts[dir]--;
		f->bytes[dir] -= p->l3_len;
		flow_table_end(pl->flows, f, FLOW_END_TCP_REUSE);
		f = flow_table_get(pl->flows, p, &dir);
		if (!f) {
			pl->counters.no_flow++;
			return;
		}
		pipeline_tcp(pl, f, dir, p);
		return;
	}
	/* nDPI sees a segment after the dissectors had its bytes: a flow they claimed (and
	 * labelled) is never given to it. */
	if (!(f->flags & FLOW_F_L7_DONE))
		l7_classify_packet(pl->l7, f, p);
	if (f->dissector && ((const dissector_t *)f->dissector)->on_packet)
		((const dissector_t *)f->dissector)->on_packet(f->dissector_state, dir);
	if (tcp_session_is_closed(f->tcp))
		flow_table_set_class(pl->flows, f, FLOW_CLASS_CLOSED);
	else if (f->fclass == FLOW_CLASS_NEW &&
		 (tcp_session_is_established(f->tcp) || f->seen_dir == 3))
		flow_table_set_class(pl->flows, f, FLOW_CLASS_ESTABLISHED);
}

void pipeline_packet(pipeline_t *pl, packet_t *p)
{
	flow_t *f;
	int dir;

	pl->counters.packets++;
	pl->counters.bytes += p->caplen;
	pipeline_clock(pl, p->ts_us);
	pl->denv.now_us = pl->now_us;
	pl->denv.pcap_cnt = p->pcap_cnt;
	if (decode_packet(pl->decode, p) != DECODE_FLOW)
		return;
	f = flow_table_get(pl->flows, p, &dir);
	if (!f) {
		pl->counters.no_flow++;
		return;
	}
	if (p->proto == 6) {
		pipeline_tcp(pl, f, dir, p);
		return;
	}
	if (!(f->flags & FLOW_F_L7_DONE))
		l7_classify_packet(pl->l7, f, p);
	if (f->seen_dir == 3 && f->fclass == FLOW_CLASS_NEW)
		flow_table_set_class(pl->flows, f, FLOW_CLASS_ESTABLISHED);
}

void pipeline_idle(pipeline_t *pl, uint64_t now_us)
{
	if (pl->first_us && now_us > pl->now_us)
		pipeline_clock(pl, now_us);
	output_tick(pl->out, now_us);
}

int pipeline_finish(pipeline_t *pl)
{
	char err[512];
	int rc;

	flow_table_flush(pl->flows);
	if (pl->inv)
		inventory_finish(pl->inv, pl->out, pl->now_us);
	rc = pl->inv ? inventory_write_files(pl->inv, pl->now_us, 1, err, sizeof(err)) : 0;
	if (rc < 0)
		fprintf(stderr, "apiwatch: %s\n", err);
	if (pl->bl)
		baseline_finish(pl->bl);
	alert_finish(pl->alerts, pl->now_us);
	stats_write(pl, pl->now_us);
	output_flush(pl->out);
	return rc;
}

int pipeline_save_baseline(pipeline_t *pl, char *errbuf, size_t errlen)
{
	if (!pl->bl || !pl->cfg->baseline.save_path)
		return 0;
	return baseline_save(pl->bl, pl->cfg->baseline.save_path, errbuf, errlen);
}

void pipeline_get_summary(const pipeline_t *pl, pipeline_summary_t *out)
{
	const flow_counters_t *fc = flow_table_counters(pl->flows);
	const decode_counters_t *dc = decode_counters(pl->decode);
	int i;

	memset(out, 0, sizeof(*out));
	out->packets = pl->counters.packets;
	out->bytes = pl->counters.bytes;
	out->flows = fc->total;
	out->tcp_flows = fc->tcp;
	out->udp_flows = fc->udp;
	out->events = output_counters(pl->out)->events;
	out->output_waits = output_counters(pl->out)->queue_full;
	out->alerts = alert_counters(pl->alerts)->opened;
	out->gaps = tcp_reassembly_counters(pl->tcp)->reassembly_gap;
	out->decode_drops = dc->invalid;
	out->first_us = pl->first_us;
	out->last_us = pl->now_us;
	if (pl->inv) {
		const endpoint_counters_t *ec = inventory_endpoint_counters(pl->inv);

		out->spec_calls = ec->spec_calls;
		out->spec_outside_calls = ec->spec_outside_calls;
	}
	for (i = 0; i < PIPELINE_MEM__COUNT; i++)
		out->mem_peak += pl->mem[i].peak;
}

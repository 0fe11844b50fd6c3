/*
 * test_alert.c - the alert stage: deduplication, updates, final events, the full table, the
 * evidence and its redaction, the fields Suricata's schema asks of an alert event, replay
 * determinism, and the sinks that can run without a server (syslog datagrams, the ring).
 *
 * Findings are raised with real API call records, made by the HTTP/1.x dissector from bytes on
 * the wire; events are read back from the EVE file and parsed with jansson.
 */
#include "test_common.h"

#include <jansson.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "alert.h"
#include "alert_sink.h"
#include "config.h"
#include "dissector.h"
#include "error.h"
#include "http1.h"

#define T0 1700000000000000ull
#define SEC 1000000ull

static const alert_detector_t t_det = {
	.name = "bola_enumeration",
	.owasp = ALERT_OWASP_API1,
	.signature_id = 9100001,
	.rev = 2,
	.signature = "APIWATCH API1 object enumeration by one principal",
	.category = "Broken Object Level Authorization",
	.severity = ALERT_SEV_MEDIUM,
};

static const alert_detector_t t_det2 = {
	.name = "auth_stuffing",
	.owasp = ALERT_OWASP_API2,
	.signature_id = 9100010,
	.rev = 1,
	.signature = "APIWATCH API2 credential stuffing",
	.category = "Broken Authentication",
	.severity = ALERT_SEV_HIGH,
};

/* ------------------------------------------------------------------------------------------ */
/* Calls from the dissector */

typedef struct t_calls {
	api_call_t *c[8];
	int n;
} t_calls_t;

static void t_emit(dissector_env_t *env, api_call_t *c)
{
	t_calls_t *k = env->ud;

	if (k->n < 8)
		k->c[k->n++] = c;
	else
		api_call_release(c);
}

static void t_anomaly(dissector_env_t *env, const flow_t *f, int dir, uint64_t tx_id,
		      const char *app_proto, const char *event, const char *reason)
{
	(void)env, (void)f, (void)dir, (void)tx_id, (void)app_proto, (void)event, (void)reason;
}

typedef struct t_env {
	aw_config_t cfg;
	mem_account_t dmem, omem, amem;
	dissector_env_t env;
	void *ctx;
	flow_t flow;
	t_calls_t calls;
	char path[64];
	output_t *out;
	alerts_t *a;
} t_env_t;

static void t_flow(flow_t *f, uint8_t client_last)
{
	int i;

	memset(f, 0, sizeof(*f));
	f->flow_id = 1234567;
	f->key.proto = 6;
	f->key.ip_version = 4;
	for (i = 0; i < 2; i++) {
		f->addr[i].b[0] = 10;
		f->addr[i].b[3] = (uint8_t)(i ? 1 : client_last);
		f->key.addr[i] = f->addr[i];
	}
	f->port[0] = f->key.port[0] = 40000;
	f->port[1] = f->key.port[1] = 443;
}

/* One transaction through the dissector; the record is kept in t->calls. */
static api_call_t *t_call(t_env_t *t, const char *req, const char *resp, uint64_t at)
{
	void *st;

	t->env.now_us = at;
	st = http1_dissector.state_new(t->ctx, &t->flow);
	assert_non_null(st);
	assert_true(http1_dissector.on_data(st, 0, (const uint8_t *)req, strlen(req)) >= 0);
	http1_dissector.on_packet(st, 0);
	assert_true(http1_dissector.on_data(st, 1, (const uint8_t *)resp, strlen(resp)) >= 0);
	http1_dissector.on_packet(st, 1);
	http1_dissector.on_packet(st, 0);
	http1_dissector.state_free(st);
	assert_true(t->calls.n > 0);
	return t->calls.c[t->calls.n - 1];
}

static void t_setup(t_env_t *t, const char *sinks)
{
	int fd;

	memset(t, 0, sizeof(*t));
	config_default(&t->cfg);
	t->cfg.output.writer_thread = 0;
	if (sinks)
		snprintf(t->cfg.alert.sinks, sizeof(t->cfg.alert.sinks), "%s", sinks);
	mem_account_init(&t->dmem, "dissector", 0);
	mem_account_init(&t->omem, "output", 0);
	mem_account_init(&t->amem, "alert", 0);
	t->env.cfg = &t->cfg;
	t->env.mem = &t->dmem;
	t->env.now_us = T0;
	t->env.pcap_cnt = 1;
	t->env.emit = t_emit;
	t->env.anomaly = t_anomaly;
	t->env.ud = &t->calls;
	assert_int_equal(http1_dissector.ctx_new(&t->ctx, &t->env), 0);
	t_flow(&t->flow, 7);
	snprintf(t->path, sizeof(t->path), "/tmp/test_alert_XXXXXX");
	fd = mkstemp(t->path);
	assert_true(fd >= 0);
	close(fd);
	t->cfg.output.eve_path = t->path;
}

/* Opens the output and the stage (after the test changed the settings). */
static void t_open(t_env_t *t)
{
	char err[256] = "";

	assert_int_equal(output_new(&t->out, &t->cfg.output, &t->omem), 0);
	assert_int_equal(alerts_new(&t->a, &t->cfg, t->out, &t->amem, err, sizeof(err)), 0);
}

static void t_teardown(t_env_t *t)
{
	int i;

	alerts_free(t->a);
	output_free(t->out);
	for (i = 0; i < t->calls.n; i++)
		api_call_release(t->calls.c[i]);
	http1_dissector.ctx_free(t->ctx);
	unlink(t->path);
	assert_int_equal(t->amem.in_use, 0);
	assert_int_equal(t->dmem.in_use, 0);
}

/* The alert events written so far, parsed (a JSON array of objects). */
static json_t *t_events(t_env_t *t)
{
	json_t *all = json_array();
	char line[65536];
	FILE *fp;

	output_flush(t->out);
	fp = fopen(t->path, "r");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp)) {
		json_error_t e;
		json_t *ev = json_loads(line, 0, &e);

		assert_non_null(ev);
		if (strcmp(json_string_value(json_object_get(ev, "event_type")), "alert") == 0)
			json_array_append_new(all, ev);
		else
			json_decref(ev);
	}
	fclose(fp);
	return all;
}

static json_t *t_api(json_t *ev)
{
	return json_object_get(ev, "api");
}

static long long t_int(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	assert_non_null(v);
	return json_integer_value(v);
}

static const char *t_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	assert_non_null(v);
	return json_string_value(v);
}

/* A finding of det for principal p on GET api.example /users/{id}. */
static alert_finding_t t_finding(const alert_detector_t *det, const char *p, double observed)
{
	alert_finding_t f;

	memset(&f, 0, sizeof(f));
	f.det = det;
	f.principal.ptr = p;
	f.principal.len = strlen(p);
	f.host.ptr = "api.example";
	f.host.len = 11;
	f.method.ptr = "GET";
	f.method.len = 3;
	f.endpoint.ptr = "/users/{id}";
	f.endpoint.len = 11;
	f.observed = observed;
	f.baseline = 4;
	f.unit = "distinct_ids_per_min";
	f.reason = "one principal read 40 user objects in a minute; its peers read 4";
	return f;
}

static const char t_resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

static api_call_t *t_user_call(t_env_t *t, int id, uint64_t at)
{
	char req[512];
	api_call_t *c;

	snprintf(req, sizeof(req),
		 "GET /users/%d?api_key=AIzaSyA1234567890abcdefghijklmnopq&page=1 HTTP/1.1\r\n"
		 "Host: api.example\r\nAuthorization: Bearer s3cr3t.t0ken.value\r\n"
		 "Cookie: sid=c00kie\r\n\r\n",
		 id);
	c = t_call(t, req, t_resp, at);
	c->endpoint.ptr = "/users/{id}";
	c->endpoint.len = 11;
	c->principal.ptr = "bearer:0123456789abcdef";
	c->principal.len = 23;
	return c;
}

/* ------------------------------------------------------------------------------------------ */
/* Tests */

/* The first finding writes update 0 at once; later ones grow the alert, written once per
 * update interval; a quiet alert gets a final event only if it grew since its last one. */
static void test_alert_dedup_updates_final(void **state)
{
	alert_finding_t f = t_finding(&t_det, "bearer:0123456789abcdef", 40);
	json_t *evs, *api;
	t_env_t t;
	int i;

	(void)state;
	t_setup(&t, NULL);
	t_open(&t);
	alerts_set_pcap_cnt(t.a, 17);
	alert_raise(t.a, &f, t_user_call(&t, 1, T0), T0);
	for (i = 1; i <= 9; i++) {
		f.observed = 40 + i;
		alert_raise(t.a, &f, t_user_call(&t, 1 + i, T0 + (uint64_t)i * SEC), T0 + i * SEC);
		if (t.calls.n == 8) { /* keep the records few: the stage keeps none of them */
			int k;

			for (k = 0; k < 8; k++)
				api_call_release(t.calls.c[k]);
			t.calls.n = 0;
		}
	}
	alert_tick(t.a, T0 + 59 * SEC);
	evs = t_events(&t);
	assert_int_equal(json_array_size(evs), 1);
	api = t_api(json_array_get(evs, 0));
	assert_int_equal(t_int(api, "update"), 0);
	assert_int_equal(t_int(api, "count"), 1);
	assert_false(json_is_true(json_object_get(api, "final")));
	assert_int_equal(t_int(json_array_get(evs, 0), "pcap_cnt"), 17);
	json_decref(evs);

	/* Due at T0 + 60 s: update 1 with the ten findings. */
	alert_tick(t.a, T0 + 60 * SEC);
	alert_tick(t.a, T0 + 61 * SEC); /* nothing new: nothing written */
	evs = t_events(&t);
	assert_int_equal(json_array_size(evs), 2);
	api = t_api(json_array_get(evs, 1));
	assert_int_equal(t_int(api, "update"), 1);
	assert_int_equal(t_int(api, "count"), 10);
	assert_string_equal(t_str(api, "alert_id"),
			    t_str(t_api(json_array_get(evs, 0)), "alert_id"));
	assert_string_equal(t_str(api, "first_seen"), "2023-11-14T22:13:20.000000+0000");
	assert_string_equal(t_str(api, "last_seen"), "2023-11-14T22:13:29.000000+0000");
	assert_string_equal(t_str(json_array_get(evs, 1), "timestamp"),
			    "2023-11-14T22:14:20.000000+0000");
	assert_true(json_real_value(json_object_get(api, "observed")) == 49.0);
	assert_null(json_object_get(json_array_get(evs, 1), "pcap_cnt"));
	json_decref(evs);

	/* Quiet without growth since update 1: closed without an event. */
	alert_tick(t.a, T0 + 9 * SEC + 300 * SEC);
	assert_int_equal(alert_counters(t.a)->closed, 1);
	assert_int_equal(alert_counters(t.a)->open, 0);
	evs = t_events(&t);
	assert_int_equal(json_array_size(evs), 2);
	json_decref(evs);

	/* The same key again: a new alert (a new id), which grows and goes quiet: final. */
	alert_raise(t.a, &f, t_user_call(&t, 100, T0 + 400 * SEC), T0 + 400 * SEC);
	alert_raise(t.a, &f, t_user_call(&t, 101, T0 + 401 * SEC), T0 + 401 * SEC);
	alert_tick(t.a, T0 + 402 * SEC);
	alert_tick(t.a, T0 + 701 * SEC);
	evs = t_events(&t);
	assert_int_equal(json_array_size(evs), 4);
	api = t_api(json_array_get(evs, 3));
	assert_true(json_is_true(json_object_get(api, "final")));
	assert_int_equal(t_int(api, "update"), 1);
	assert_int_equal(t_int(api, "count"), 2);
	assert_string_not_equal(t_str(api, "alert_id"),
				t_str(t_api(json_array_get(evs, 0)), "alert_id"));
	assert_int_equal(alert_counters(t.a)->findings, 12);
	assert_int_equal(alert_counters(t.a)->opened, 2);
	assert_int_equal(alert_counters(t.a)->updates, 4);
	assert_int_equal(alert_counters(t.a)->finals, 1);
	json_decref(evs);
	t_teardown(&t);
}

/* A finding after the interval has passed writes its update at once, with the packet's
 * pcap_cnt; alert_finish writes the final event of alerts that grew, and only those. */
static void test_alert_finish(void **state)
{
	alert_finding_t f = t_finding(&t_det, "bearer:0123456789abcdef", 40);
	alert_finding_t g = t_finding(&t_det2, "ip:10.0.0.9", 12);
	json_t *evs;
	t_env_t t;

	(void)state;
	t_setup(&t, NULL);
	t_open(&t);
	alert_raise(t.a, &f, t_user_call(&t, 1, T0), T0);
	alert_raise(t.a, &g, t_user_call(&t, 2, T0), T0);
	alerts_set_pcap_cnt(t.a, 99);
	alert_raise(t.a, &f, t_user_call(&t, 3, T0 + 70 * SEC), T0 + 70 * SEC);
	alert_raise(t.a, &f, t_user_call(&t, 4, T0 + 71 * SEC), T0 + 71 * SEC);
	alert_finish(t.a, T0 + 72 * SEC);
	evs = t_events(&t);
	assert_int_equal(json_array_size(evs), 4);
	assert_int_equal(t_int(t_api(json_array_get(evs, 2)), "update"), 1);
	assert_int_equal(t_int(json_array_get(evs, 2), "pcap_cnt"), 99);
	assert_true(json_is_true(json_object_get(t_api(json_array_get(evs, 3)), "final")));
	assert_int_equal(t_int(t_api(json_array_get(evs, 3)), "count"), 3);
	assert_string_equal(t_str(t_api(json_array_get(evs, 3)), "detector"), "bola_enumeration");
	assert_int_equal(alert_counters(t.a)->closed, 2);
	json_decref(evs);
	t_teardown(&t);
}

/* alert.max-open full: the alert with the oldest finding is closed (its final event written,
 * as it grew), counted, and its slot serves the new key. */
static void test_alert_table_full(void **state)
{
	alert_finding_t f[3] = {t_finding(&t_det, "ip:10.0.0.1", 1),
				t_finding(&t_det, "ip:10.0.0.2", 1),
				t_finding(&t_det, "ip:10.0.0.3", 1)};
	json_t *evs;
	t_env_t t;

	(void)state;
	t_setup(&t, NULL);
	t.cfg.alert.max_open = 2;
	t_open(&t);
	alert_raise(t.a, &f[0], t_user_call(&t, 1, T0), T0);
	alert_raise(t.a, &f[1], t_user_call(&t, 2, T0 + SEC), T0 + SEC);
	alert_raise(t.a, &f[0], t_user_call(&t, 3, T0 + 2 * SEC), T0 + 2 * SEC);
	alert_raise(t.a, &f[1], t_user_call(&t, 4, T0 + 3 * SEC), T0 + 3 * SEC);
	alert_raise(t.a, &f[2], t_user_call(&t, 5, T0 + 4 * SEC), T0 + 4 * SEC);
	assert_int_equal(alert_counters(t.a)->table_full, 1);
	assert_int_equal(alert_counters(t.a)->open, 2);
	evs = t_events(&t);
	assert_int_equal(json_array_size(evs), 4);
	assert_string_equal(t_str(t_api(json_array_get(evs, 2)), "principal"), "ip:10.0.0.1");
	assert_true(json_is_true(json_object_get(t_api(json_array_get(evs, 2)), "final")));
	assert_string_equal(t_str(t_api(json_array_get(evs, 3)), "principal"), "ip:10.0.0.3");
	json_decref(evs);
	t_teardown(&t);
}

/* Evidence: the first calls and the latest, URLs with secret parameters redacted, no header
 * value, no body; the fields of Suricata's alert object and common header. */
static void test_alert_event_fields(void **state)
{
	alert_finding_t f = t_finding(&t_det, "bearer:0123456789abcdef", 40);
	json_t *evs, *ev, *al, *api, *evid;
	char line[65536];
	FILE *fp;
	t_env_t t;
	int i;

	(void)state;
	t_setup(&t, NULL);
	t.cfg.alert.evidence = 3;
	t_open(&t);
	for (i = 0; i < 6; i++) {
		alert_raise(t.a, &f, t_user_call(&t, 10 + i, T0 + (uint64_t)i * SEC), T0 + i * SEC);
		if (t.calls.n == 8) {
			int k;

			for (k = 0; k < 8; k++)
				api_call_release(t.calls.c[k]);
			t.calls.n = 0;
		}
	}
	alert_finish(t.a, T0 + 10 * SEC);
	evs = t_events(&t);
	assert_int_equal(json_array_size(evs), 2);
	ev = json_array_get(evs, 1);
	assert_string_equal(t_str(ev, "event_type"), "alert");
	assert_string_equal(t_str(ev, "src_ip"), "10.0.0.7");
	assert_int_equal(t_int(ev, "src_port"), 40000);
	assert_string_equal(t_str(ev, "dest_ip"), "10.0.0.1");
	assert_int_equal(t_int(ev, "dest_port"), 443);
	assert_string_equal(t_str(ev, "proto"), "TCP");
	assert_string_equal(t_str(ev, "app_proto"), "http");
	assert_int_equal(t_int(ev, "flow_id"), 1234567);
	assert_non_null(json_object_get(ev, "community_id"));
	assert_string_equal(t_str(ev, "direction"), "to_server");
	assert_int_equal(t_int(ev, "tx_id"), 0);
	al = json_object_get(ev, "alert");
	assert_string_equal(t_str(al, "action"), "allowed");
	assert_int_equal(t_int(al, "gid"), 1);
	assert_int_equal(t_int(al, "signature_id"), 9100001);
	assert_int_equal(t_int(al, "rev"), 2);
	assert_string_equal(t_str(al, "signature"), t_det.signature);
	assert_string_equal(t_str(al, "category"), t_det.category);
	assert_int_equal(t_int(al, "severity"), 2);
	assert_string_equal(t_str(json_object_get(al, "source"), "ip"), "10.0.0.7");
	assert_int_equal(t_int(json_object_get(al, "target"), "port"), 443);
	api = t_api(ev);
	assert_string_equal(t_str(api, "owasp_api"), "API1:2023");
	assert_string_equal(t_str(api, "host"), "api.example");
	assert_string_equal(t_str(api, "method"), "GET");
	assert_string_equal(t_str(api, "endpoint"), "/users/{id}");
	assert_string_equal(t_str(api, "unit"), "distinct_ids_per_min");
	assert_int_equal(strlen(t_str(api, "alert_id")), 16);
	evid = json_object_get(api, "evidence");
	assert_int_equal(json_array_size(evid), 3);
	/* The first two calls stay; the last place holds the latest call. */
	assert_non_null(strstr(t_str(json_array_get(evid, 0), "url"), "/users/10?"));
	assert_non_null(strstr(t_str(json_array_get(evid, 1), "url"), "/users/11?"));
	assert_non_null(strstr(t_str(json_array_get(evid, 2), "url"), "/users/15?"));
	assert_non_null(strstr(t_str(json_array_get(evid, 2), "url"), "api_key=redacted:"));
	assert_non_null(strstr(t_str(json_array_get(evid, 2), "url"), "&page=1"));
	assert_int_equal(t_int(json_array_get(evid, 2), "status"), 200);
	assert_int_equal(t_int(json_array_get(evid, 2), "bytes"), 5);
	assert_string_equal(t_str(json_array_get(evid, 2), "template"), "/users/{id}");
	assert_string_equal(t_str(json_array_get(evid, 2), "method"), "GET");
	assert_string_equal(t_str(json_array_get(evid, 2), "time"),
			    "2023-11-14T22:13:25.000000+0000");
	json_decref(evs);
	/* Nothing secret anywhere in the file. */
	fp = fopen(t.path, "r");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp)) {
		assert_null(strstr(line, "AIzaSy"));
		assert_null(strstr(line, "s3cr3t"));
		assert_null(strstr(line, "c00kie"));
		assert_null(strstr(line, "hello"));
	}
	fclose(fp);
	t_teardown(&t);
}

/* The same findings give the same bytes on two runs (the table's hash key differs). */
static void test_alert_deterministic(void **state)
{
	char *text[2];
	int run;

	(void)state;
	for (run = 0; run < 2; run++) {
		alert_finding_t f = t_finding(&t_det, "ip:10.0.0.1", 5);
		alert_finding_t g = t_finding(&t_det2, "ip:10.0.0.2", 5);
		t_env_t t;
		FILE *fp;
		long n;

		t_setup(&t, NULL);
		t_open(&t);
		alert_raise(t.a, &f, t_user_call(&t, 1, T0), T0);
		alert_raise(t.a, &g, t_user_call(&t, 2, T0 + SEC), T0 + SEC);
		alert_raise(t.a, &f, t_user_call(&t, 3, T0 + 2 * SEC), T0 + 2 * SEC);
		alert_raise(t.a, &g, t_user_call(&t, 4, T0 + 3 * SEC), T0 + 3 * SEC);
		alert_tick(t.a, T0 + 90 * SEC);
		alert_finish(t.a, T0 + 100 * SEC);
		output_flush(t.out);
		fp = fopen(t.path, "r");
		assert_non_null(fp);
		fseek(fp, 0, SEEK_END);
		n = ftell(fp);
		rewind(fp);
		text[run] = calloc(1, (size_t)n + 1);
		assert_int_equal(fread(text[run], 1, (size_t)n, fp), (size_t)n);
		fclose(fp);
		t_teardown(&t);
	}
	assert_true(strlen(text[0]) > 100);
	assert_string_equal(text[0], text[1]);
	free(text[0]);
	free(text[1]);
}

/* A syslog sink on a unix datagram socket the test binds: one RFC 3164 line per alert, with
 * the short text form. alert.eve off: the EVE file gets no alert. */
static void test_alert_syslog_unix(void **state)
{
	alert_finding_t f = t_finding(&t_det2, "ip:10.0.0.9", 12);
	char sock[108], spec[160], buf[4096];
	struct sockaddr_un sa;
	alert_sink_info_t si;
	json_t *evs;
	t_env_t t;
	ssize_t n;
	int fd;

	(void)state;
	snprintf(sock, sizeof(sock), "/tmp/test_alert_sock_%d", (int)getpid());
	unlink(sock);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, sock, strlen(sock));
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	snprintf(spec, sizeof(spec), "syslog:local3:unix:%s", sock);
	t_setup(&t, spec);
	t.cfg.alert.eve = 0;
	t_open(&t);
	assert_int_equal(alert_sink_count(t.a), 1);
	alert_raise(t.a, &f, t_user_call(&t, 1, T0), T0);
	alert_finish(t.a, T0 + SEC);
	n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	assert_true(n > 0);
	buf[n] = '\0';
	/* local3 (19) * 8 + LOG_ERR (3) for severity 1. */
	assert_memory_equal(buf, "<155>", 5);
	assert_non_null(strstr(buf, " apiwatch["));
	assert_non_null(strstr(buf, "[1:9100010:1] APIWATCH API2 credential stuffing "
				    "[Classification: Broken Authentication] [Priority: 1] "
				    "principal=ip:10.0.0.9 endpoint=GET api.example/users/{id} "
				    "count=1 update=0 alert_id="));
	alert_sink_info(t.a, 0, &si);
	assert_string_equal(si.type, "syslog");
	assert_int_equal(si.delivered, 1);
	assert_int_equal(si.failed, 0);
	evs = t_events(&t);
	assert_int_equal(json_array_size(evs), 0);
	json_decref(evs);
	t_teardown(&t);
	close(fd);
	unlink(sock);
}

/* Binds a unix datagram socket at path (removed first); its descriptor. */
static int t_bind_unix(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	unlink(path);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* The first EVE line of the test's file, without its '\n'. */
static void t_first_line(t_env_t *t, char *out, size_t cap)
{
	FILE *fp;

	output_flush(t->out);
	fp = fopen(t->path, "r");
	assert_non_null(fp);
	assert_non_null(fgets(out, (int)cap, fp));
	fclose(fp);
	out[strcspn(out, "\n")] = '\0';
}

/* alert.syslog.format json: the datagram's message is the EVE alert event, byte for byte; with
 * an alert.syslog.max-message shorter than the event, the text form goes instead (counted). */
static void test_alert_syslog_json(void **state)
{
	alert_finding_t f = t_finding(&t_det, "ip:10.0.0.9", 12);
	char sock[108], spec[160], buf[8192], line[8192], err[CONFIG_ERRBUF_SIZE];
	const char *body;
	alert_sink_info_t si;
	t_env_t t;
	ssize_t n;
	int fd, run;

	(void)state;
	snprintf(sock, sizeof(sock), "/tmp/test_alert_json_%d", (int)getpid());
	fd = t_bind_unix(sock);
	snprintf(spec, sizeof(spec), "syslog:unix:%s", sock);
	for (run = 0; run < 2; run++) {
		t_setup(&t, spec);
		assert_int_equal(config_set(&t.cfg, "alert.syslog.format", "xml", err), AW_ECONFIG);
		assert_int_equal(config_set(&t.cfg, "alert.syslog.format", "json", err), 0);
		assert_int_equal(t.cfg.alert.syslog_format, ALERT_SYSLOG_JSON);
		assert_int_equal(config_set(&t.cfg, "alert.syslog.max-message", "512", err),
				 AW_ECONFIG);
		assert_int_equal(
			config_set(&t.cfg, "alert.syslog.max-message", run ? "1024" : "4k", err),
			0);
		t_open(&t);
		alert_raise(t.a, &f, t_user_call(&t, 1, T0), T0);
		alert_finish(t.a, T0 + SEC);
		n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		assert_true(n > 0);
		buf[n] = '\0';
		t_first_line(&t, line, sizeof(line));
		assert_true(strlen(line) > 1024 && strlen(line) <= 4096);
		/* local5 (21) * 8 + LOG_WARNING (4) for severity 2. */
		assert_memory_equal(buf, "<172>", 5);
		body = strstr(buf, "]: ");
		assert_non_null(body);
		body += 3;
		alert_sink_info(t.a, 0, &si);
		assert_int_equal(si.delivered, 1);
		if (run == 0) {
			assert_string_equal(body, line);
			assert_int_equal(si.oversize, 0);
		} else {
			assert_memory_equal(body, "[1:9100001:2] ", 14);
			assert_int_equal(si.oversize, 1);
		}
		t_teardown(&t);
	}
	close(fd);
	unlink(sock);
}

/* A sink that cannot deliver (no socket at its path) fails, is retried, and a full ring sheds
 * its oldest lines, counted; the drain gives up at its timeout and counts what is left. */
static void test_alert_sink_ring_full(void **state)
{
	alert_finding_t f = t_finding(&t_det2, "ip:10.0.0.9", 12);
	alert_sink_info_t si;
	t_env_t t;
	int i;

	(void)state;
	t_setup(&t, "syslog:unix:/nonexistent/apiwatch-test.sock");
	t.cfg.alert.sink_queue = 2;
	t.cfg.alert.sink_drain_us = 200000;
	t_open(&t);
	for (i = 0; i < 5; i++) {
		char p[32];

		snprintf(p, sizeof(p), "ip:10.0.0.%d", i);
		f.principal.ptr = p;
		f.principal.len = strlen(p);
		alert_raise(t.a, &f, NULL, T0 + (uint64_t)i);
	}
	alert_finish(t.a, T0 + SEC);
	alert_sink_info(t.a, 0, &si);
	assert_int_equal(si.delivered, 0);
	assert_true(si.failed >= 1);
	assert_int_equal(si.queue_drops, 3);
	assert_int_equal(si.undelivered, 2);
	t_teardown(&t);
}

static void test_alert_sink_specs(void **state)
{
	static const char *const bad[] = {
		"redis-list:redis://h:6379",
		"redis-list:http://h#k",
		"redis-stream:redis://h#k#0",
		"redis-stream:redis://h#k#x",
		"redis-list:redis://h:99999#k",
		"syslog:nofacility",
		"syslog:unix:relative",
		"stdoutx",
		"redis-pubsub:redis://#k",
		"redis-list:redis://user@h#k",
		NULL,
	};
	alert_sink_spec_t sp;
	char err[256];
	int i;

	(void)state;
	for (i = 0; bad[i]; i++)
		assert_int_equal(
			alert_sink_spec_parse(&sp, bad[i], strlen(bad[i]), err, sizeof(err)),
			AW_ECONFIG);
	assert_int_equal(
		alert_sink_spec_parse(&sp, "redis-stream:redis://:p%40ss#w@[::1]:7000/3#a:b#500",
				      52, err, sizeof(err)),
		0);
	assert_int_equal(sp.kind, ALERT_SINK_REDIS_STREAM);
	assert_string_equal(sp.password, "p@ss#w");
	assert_string_equal(sp.host, "::1");
	assert_int_equal(sp.port, 7000);
	assert_int_equal(sp.db, 3);
	assert_string_equal(sp.key, "a:b");
	assert_int_equal(sp.maxlen, 500);
	assert_null(strstr(sp.target, "p@ss"));
	assert_int_equal(alert_sink_spec_parse(&sp, "redis-list:redis://localhost#alerts", 35, err,
					       sizeof(err)),
			 0);
	assert_int_equal(sp.port, 6379);
	assert_string_equal(sp.target, "localhost:6379/0#alerts");
	assert_int_equal(alert_sink_spec_parse(&sp, "syslog", 6, err, sizeof(err)), 0);
	assert_int_equal(alert_sinks_check("eve stdout syslog:daemon", err, sizeof(err)), 0);
	assert_int_equal(alert_sinks_check("syslog syslog:local1", err, sizeof(err)), AW_ECONFIG);
	assert_int_equal(alert_sinks_check("stdout bad", err, sizeof(err)), AW_ECONFIG);
	assert_non_null(strstr(err, "'bad'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alert_dedup_updates_final),
		cmocka_unit_test(test_alert_finish),
		cmocka_unit_test(test_alert_table_full),
		cmocka_unit_test(test_alert_event_fields),
		cmocka_unit_test(test_alert_deterministic),
		cmocka_unit_test(test_alert_syslog_unix),
		cmocka_unit_test(test_alert_syslog_json),
		cmocka_unit_test(test_alert_sink_ring_full),
		cmocka_unit_test(test_alert_sink_specs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

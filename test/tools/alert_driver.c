/*
 * alert_driver.c - drives the alert stage from a script on stdin, for the sink tests
 * (test/alert_sinks.py): real API call records from the pool, findings raised through
 * alert_raise, the EVE output and the configured sinks, as the pipeline would have them.
 *
 *   aw_alert_driver --eve PATH [--set KEY=VALUE]... [--alert-sink SPEC]...
 *   stdin:  raise DET PRINCIPAL SECONDS   a finding of detector DET (0 or 1) at packet time
 *           tick SECONDS                  alert_tick
 *           sync                          prints "ok" once the lines before it are done
 *           finish SECONDS                alert_finish, then the sinks' figures on stdout
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "api_call.h"
#include "config.h"
#include "error.h"
#include "output.h"

static const alert_detector_t driver_dets[2] = {
	{"bola_enumeration", ALERT_OWASP_API1, 9100001, 1,
	 "APIWATCH API1 object enumeration by one principal", "Broken Object Level Authorization",
	 ALERT_SEV_MEDIUM},
	{"auth_stuffing", ALERT_OWASP_API2, 9100010, 1, "APIWATCH API2 credential stuffing",
	 "Broken Authentication", ALERT_SEV_HIGH},
};

#define DRIVER_T0 1700000000000000ull

static api_call_t *driver_call(api_call_pool_t *pool, const flow_t *f, unsigned n, uint64_t at)
{
	api_call_t *c = api_call_get(pool);
	char url[128];

	if (!c)
		return NULL;
	snprintf(url, sizeof(url), "/users/%u?token=abcdef0123456789abcdef&page=2", n);
	api_call_copy(c, &c->method, "GET", 3);
	api_call_copy(c, &c->url, url, strlen(url));
	api_call_copy(c, &c->host, "api.example", 11);
	api_call_copy(c, &c->endpoint, "/users/{id}", 11);
	c->flow = f;
	c->tx_id = n;
	c->status = 200;
	c->req.first_us = at;
	c->resp.body_bytes = c->resp.body_wire_bytes = 512;
	return c;
}

int main(int argc, char **argv)
{
	static aw_config_t cfg;
	char err[CONFIG_ERRBUF_SIZE] = "", line[512], sinks[2048] = "";
	mem_account_t omem, amem, cmem;
	api_call_limits_t lim = {64, 1 << 16, 1 << 16, 16, 100};
	api_call_pool_t *pool;
	output_t *out;
	alerts_t *a;
	flow_t flow;
	unsigned n = 0, i;
	int k;

	config_default(&cfg);
	cfg.output.writer_thread = 0;
	for (k = 1; k + 1 < argc; k += 2) {
		if (strcmp(argv[k], "--eve") == 0) {
			cfg.output.eve_path = argv[k + 1];
		} else if (strcmp(argv[k], "--alert-sink") == 0) {
			size_t l = strlen(sinks);

			snprintf(sinks + l, sizeof(sinks) - l, "%s%s", l ? " " : "", argv[k + 1]);
		} else if (strcmp(argv[k], "--set") == 0) {
			char *eq = strchr(argv[k + 1], '=');

			if (!eq)
				return 2;
			*eq = '\0';
			if (config_set(&cfg, argv[k + 1], eq + 1, err) < 0) {
				fprintf(stderr, "aw_alert_driver: %s\n", err);
				return 2;
			}
		} else {
			return 2;
		}
	}
	if (sinks[0])
		snprintf(cfg.alert.sinks, sizeof(cfg.alert.sinks), "%s", sinks);
	mem_account_init(&omem, "output", 0);
	mem_account_init(&amem, "alert", 0);
	mem_account_init(&cmem, "calls", 0);
	if (output_new(&out, &cfg.output, &omem) < 0 || api_call_pool_new(&pool, &lim, &cmem) < 0)
		return 1;
	if (alerts_new(&a, &cfg, out, &amem, err, sizeof(err)) < 0) {
		fprintf(stderr, "aw_alert_driver: %s\n", err);
		return 1;
	}
	memset(&flow, 0, sizeof(flow));
	flow.flow_id = 42;
	flow.key.proto = 6;
	flow.key.ip_version = 4;
	flow.addr[0].b[0] = flow.addr[1].b[0] = 192;
	flow.addr[0].b[1] = flow.addr[1].b[1] = 168;
	flow.addr[0].b[3] = 10;
	flow.addr[1].b[3] = 1;
	flow.key.addr[0] = flow.addr[1];
	flow.key.addr[1] = flow.addr[0];
	flow.port[0] = 51000;
	flow.port[1] = 8080;
	flow.key.port[0] = 8080;
	flow.key.port[1] = 51000;
	while (fgets(line, sizeof(line), stdin)) {
		char cmd[16], principal[128];
		double secs = 0;
		unsigned det = 0;

		if (sscanf(line, "raise %u %127s %lf", &det, principal, &secs) == 3 && det < 2) {
			uint64_t at = DRIVER_T0 + (uint64_t)(secs * 1e6);
			alert_finding_t f = {
				.det = &driver_dets[det],
				.principal = {principal, strlen(principal)},
				.host = {"api.example", 11},
				.method = {"GET", 3},
				.endpoint = {"/users/{id}", 11},
				.observed = 50 + n % 7,
				.baseline = 5,
				.unit = "distinct_ids_per_min",
				.reason = "many distinct user ids read by one principal",
			};
			api_call_t *c = driver_call(pool, &flow, n++, at);

			alerts_set_pcap_cnt(a, n);
			alert_raise(a, &f, c, at);
			api_call_release(c);
		} else if (sscanf(line, "tick %lf", &secs) == 1) {
			alert_tick(a, DRIVER_T0 + (uint64_t)(secs * 1e6));
		} else if (sscanf(line, "finish %lf", &secs) == 1) {
			alert_finish(a, DRIVER_T0 + (uint64_t)(secs * 1e6));
			break;
		} else if (sscanf(line, "%15s", cmd) == 1 && strcmp(cmd, "sync") == 0) {
			output_flush(out);
			printf("ok\n");
			fflush(stdout);
		}
	}
	output_flush(out);
	printf("{\"opened\":%llu,\"events\":%llu,\"sinks\":[",
	       (unsigned long long)alert_counters(a)->opened,
	       (unsigned long long)alert_counters(a)->updates);
	for (i = 0; i < alert_sink_count(a); i++) {
		alert_sink_info_t si;

		alert_sink_info(a, i, &si);
		printf("%s{\"type\":\"%s\",\"target\":\"%s\",\"delivered\":%llu,\"failed\":%llu,"
		       "\"reconnects\":%llu,\"queue_drops\":%llu,\"rejected\":%llu,"
		       "\"undelivered\":%llu,\"round_trips\":%llu,\"oversize\":%llu}",
		       i ? "," : "", si.type, si.target, (unsigned long long)si.delivered,
		       (unsigned long long)si.failed, (unsigned long long)si.reconnects,
		       (unsigned long long)si.queue_drops, (unsigned long long)si.rejected,
		       (unsigned long long)si.undelivered, (unsigned long long)si.round_trips,
		       (unsigned long long)si.oversize);
	}
	printf("]}\n");
	fflush(stdout);
	alerts_free(a);
	api_call_pool_free(pool);
	output_free(out);
	return 0;
}

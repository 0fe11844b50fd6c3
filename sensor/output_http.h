/*
 * output_http.h - the EVE "http" event of an API call record, and HTTP "anomaly" events.
 *
 * Fed by the pipeline with each record a dissector hands on; writes, through output.h, one
 * event in Suricata's layout: the common header, tx_id, an "http" object with exactly
 * Suricata's field names and meanings (hostname, url, http_user_agent, http_content_type,
 * status, length, ...), optional request_headers / response_headers arrays (Suricata's
 * dump-all-headers), and apiwatch's own fields under "api" (timings, body sizes, encodings,
 * flags). Credentials never leave in clear: Authorization, Cookie, Set-Cookie,
 * Proxy-Authorization and API-key-like header values are written as "redacted:" and the
 * SipHash of the value under privacy.hash-key.
 *
 * The writer keeps a small context (a scratch buffer for merged header values), owned by the
 * pipeline; nothing is allocated per event.
 */
#ifndef APIWATCH_OUTPUT_HTTP_H
#define APIWATCH_OUTPUT_HTTP_H

#include <stdint.h>

#include "api_call.h"
#include "mem.h"
#include "output.h"

/* eve.http.dump-all-headers */
#define OUTPUT_HTTP_DUMP_NONE 0
#define OUTPUT_HTTP_DUMP_REQUEST 1
#define OUTPUT_HTTP_DUMP_RESPONSE 2
#define OUTPUT_HTTP_DUMP_BOTH 3

#define OUTPUT_HTTP_KEY_LEN 16

typedef struct output_http_config {
	int dump_headers; /* OUTPUT_HTTP_DUMP_* */
	uint8_t hash_key[OUTPUT_HTTP_KEY_LEN]; /* privacy.hash-key: SipHash key of redactions */
} output_http_config_t;

typedef struct output_http output_http_t;

/* Defaults: no header dump, and the built-in hash key (a fixed value, so that replays are
 * deterministic; deployments set their own privacy.hash-key). */
void output_http_config_default(output_http_config_t *cfg);

int output_http_new(output_http_t **out, const output_http_config_t *cfg, mem_account_t *acct);
void output_http_free(output_http_t *h);

/*
 * Writes the http event of c at packet time ts_us. pcap_cnt is the packet that triggered it (0:
 * none); flow_end says the event comes from the end of the flow rather than a packet (Suricata's
 * pkt_src "stream (flow timeout)").
 */
int output_http_write(output_http_t *h, output_t *o, const api_call_t *c, uint64_t ts_us,
		      uint64_t pcap_cnt, int flow_end);

/* Writes an anomaly event in Suricata's layout: anomaly{app_proto, type:"applayer", event,
 * layer:"proto_parser"}, with apiwatch's explanation (reason, may be NULL) under api. */
int output_http_anomaly_write(output_http_t *h, output_t *o, const flow_t *f, int dir,
			      uint64_t tx_id, const char *app_proto, const char *event,
			      const char *reason, uint64_t ts_us, uint64_t pcap_cnt);

/* The redacted form of a value: "redacted:" and 16 hex digits (out: at least 26 bytes). */
void output_http_redact(const output_http_config_t *cfg, const char *v, size_t n, char *out);

/* The URL with the value of every secret query parameter (api_key=, token=, password=, ...)
 * replaced by its redacted form, into out (cap bytes); its length, 0 when nothing is secret (the
 * URL is then written as it is), or OUTPUT_HTTP_URL_TOO_LONG when a secret is there but the
 * result does not fit in cap. */
#define OUTPUT_HTTP_URL_TOO_LONG ((size_t)-1)
size_t output_http_redact_url(const output_http_config_t *cfg, const char *url, size_t n, char *out,
			      size_t cap);

/* True for header names whose values are credentials (case-insensitive). */
int output_http_is_secret(const char *name, size_t n);

#endif

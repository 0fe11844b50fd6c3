/*
 * config.c - the settings table, their parsing and the YAML configuration file.
 *
 * One table lists every key with its type, bounds and where it lands in aw_config_t; --set, the
 * YAML file and --list-settings all go through it, so a new setting is one line. Sizes take k,
 * kb, m, mb, g, gb suffixes (powers of 1024); durations take us, ms, s, m, h (default seconds).
 * libyaml parses the file: a real YAML parser is safer than a hand-written subset, and Suricata
 * users expect YAML.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "error.h"

enum config_type {
	CONFIG_BOOL,
	CONFIG_U32,
	CONFIG_U16,
	CONFIG_INT,
	CONFIG_SIZE,
	CONFIG_DURATION,
	CONFIG_ENUM, /* a name from config_enum_names(), stored as its index (int) */
	CONFIG_KEY128, /* 32 hex digits, stored as 16 bytes */
	CONFIG_STRING /* text, stored in a char array of max bytes */
};

typedef struct config_key {
	const char *key;
	enum config_type type;
	size_t offset;
	uint64_t min, max;
	const char *help;
} config_key_t;

#define CFG(field) offsetof(aw_config_t, field)
#define CONFIG_TB (1ull << 40)
#define CONFIG_DAY (86400ull * 1000000)

static const config_key_t config_keys[] = {
	{"flow.memcap", CONFIG_SIZE, CFG(flow.memcap), 1 << 20, CONFIG_TB,
	 "memory for flows; past it the least recently active flow is evicted"},
	{"flow.hash-size", CONFIG_U32, CFG(flow.hash_size), 1024, 1u << 26, "flow hash buckets"},
	{"flow.timeout.tcp.new", CONFIG_DURATION, CFG(flow.timeout_us[0][FLOW_CLASS_NEW]), 1,
	 CONFIG_DAY, "TCP flow without a complete handshake"},
	{"flow.timeout.tcp.established", CONFIG_DURATION,
	 CFG(flow.timeout_us[0][FLOW_CLASS_ESTABLISHED]), 1, CONFIG_DAY, "established TCP flow"},
	{"flow.timeout.tcp.closed", CONFIG_DURATION, CFG(flow.timeout_us[0][FLOW_CLASS_CLOSED]), 1,
	 CONFIG_DAY, "TCP flow after FIN both ways or RST"},
	{"flow.timeout.udp.new", CONFIG_DURATION, CFG(flow.timeout_us[1][FLOW_CLASS_NEW]), 1,
	 CONFIG_DAY, "UDP flow seen one way"},
	{"flow.timeout.udp.established", CONFIG_DURATION,
	 CFG(flow.timeout_us[1][FLOW_CLASS_ESTABLISHED]), 1, CONFIG_DAY, "UDP flow seen both ways"},
	{"stream.memcap", CONFIG_SIZE, CFG(tcp.memcap), 1 << 16, CONFIG_TB,
	 "memory for out-of-order TCP data; past it segments are skipped as gaps"},
	{"stream.depth", CONFIG_SIZE, CFG(tcp.depth), 0, CONFIG_TB,
	 "bytes reassembled per direction (0 = all)"},
	{"stream.hold-bytes", CONFIG_SIZE, CFG(tcp.max_hold_bytes), 1024, 1u << 30,
	 "out-of-order bytes held behind a hole before it is declared a gap"},
	{"stream.hold-timeout", CONFIG_DURATION, CFG(tcp.hold_timeout_us), 1000, CONFIG_DAY,
	 "packet time a hole may stay open before it is declared a gap"},
	{"stream.midstream", CONFIG_BOOL, CFG(tcp.midstream), 0, 1,
	 "pick up connections whose handshake was not captured"},
	{"stream.compare-window", CONFIG_SIZE, CFG(tcp.compare_window), 0,
	 TCP_SESSION_COMPARE_WINDOW_MAX, "delivered bytes kept to compare resent data (0 = off)"},
	{"defrag.memcap", CONFIG_SIZE, CFG(decode.defrag_memcap), 1 << 16, CONFIG_TB,
	 "memory for IP fragments in progress"},
	{"defrag.max-trackers", CONFIG_U32, CFG(decode.defrag_max_trackers), 1, 1u << 24,
	 "datagrams being reassembled at once"},
	{"defrag.max-frags", CONFIG_U32, CFG(decode.defrag_max_frags), 2, 8192,
	 "fragments per datagram"},
	{"defrag.timeout", CONFIG_DURATION, CFG(decode.defrag_timeout_us), 1000, 3600ull * 1000000,
	 "an incomplete datagram is dropped after this"},
	{"decoder.checksum-validation", CONFIG_BOOL, CFG(decode.validate_checksums), 0, 1,
	 "drop packets with bad IPv4/TCP/UDP checksums (off: mirrors carry offloaded sums)"},
	{"decoder.vxlan-port", CONFIG_U16, CFG(decode.vxlan_port), 0, 65535,
	 "UDP port of VXLAN (0 = off)"},
	{"decoder.geneve-port", CONFIG_U16, CFG(decode.geneve_port), 0, 65535,
	 "UDP port of GENEVE (0 = off)"},
	{"decoder.gtp-port", CONFIG_U16, CFG(decode.gtp_port), 0, 65535,
	 "UDP port of GTP-U (0 = off)"},
	{"decoder.gre-udp-port", CONFIG_U16, CFG(decode.gre_udp_port), 0, 65535,
	 "UDP port of GRE-in-UDP, RFC 8086 (0 = off)"},
	{"eve.max-event-size", CONFIG_SIZE, CFG(output.max_event_bytes), 4096, 1u << 30,
	 "largest EVE line; larger events are dropped and counted"},
	{"eve.ipv6-compress", CONFIG_BOOL, CFG(output.ipv6_compress), 0, 1,
	 "write IPv6 addresses in their shortest form (default: in full, as Suricata)"},
	{"eve.writer-thread", CONFIG_BOOL, CFG(output.writer_thread), 0, 1,
	 "write EVE on a thread of its own (packet processing never waits for write(2))"},
	{"eve.queue-batches", CONFIG_U32, CFG(output.queue_batches), 1, 256,
	 "256 KiB batches queued for the writer thread before packet processing waits (counted)"},
	{"eve.flush-interval", CONFIG_DURATION, CFG(output.flush_us), 1000, CONFIG_DAY,
	 "hand events over at least this often (packet time), so live feeds stay current"},
	{"eve.ethernet", CONFIG_BOOL, CFG(flow.ether), 0, 1,
	 "write the Ethernet addresses (ether) of flows and their events"},
	{"eve.community-id", CONFIG_BOOL, CFG(output.community_id), 0, 1, "write community_id"},
	{"eve.community-id-seed", CONFIG_U16, CFG(output.community_id_seed), 0, 65535,
	 "Community ID seed"},
	{"stats.interval", CONFIG_DURATION, CFG(stats_interval_us), 0, CONFIG_DAY,
	 "packet time between stats events (0 = only at exit)"},
	{"capture.buffer-size", CONFIG_SIZE, CFG(capture.buffer_mb), 1, 1u << 30,
	 "kernel capture buffer (live capture)"},
	{"capture.snaplen", CONFIG_INT, CFG(capture.snaplen), 64, 262144, "bytes kept per packet"},
	{"capture.promisc", CONFIG_BOOL, CFG(capture.promisc), 0, 1, "promiscuous mode"},
	{"l7.max-packets", CONFIG_U32, CFG(l7_max_packets), 1, 1000,
	 "packets with payload given to nDPI per flow before it gives up"},
	{"http.body-limit", CONFIG_SIZE, CFG(http.body_limit), 0, 1u << 30,
	 "decoded body bytes kept per HTTP message (0 = none)"},
	{"http.max-headers", CONFIG_U32, CFG(http.max_headers), 1, 65535,
	 "headers kept per HTTP message; more are dropped and counted"},
	{"http.max-header-bytes", CONFIG_SIZE, CFG(http.max_header_bytes), 1024, 1u << 30,
	 "bytes of start lines and headers kept per HTTP transaction"},
	{"http.max-line", CONFIG_SIZE, CFG(http.max_line), 256, 1u << 24,
	 "longest HTTP start line or header line"},
	{"http.max-pending", CONFIG_U32, CFG(http.max_pending), 2, 1u << 20,
	 "HTTP requests awaiting a response per flow; past it the oldest is logged early"},
	{"http.decompress-ratio", CONFIG_U32, CFG(http.decompress_ratio), 2, 1u << 30,
	 "decoded/compressed ratio past which a body stops being decoded (bomb)"},
	{"http.tunnel-hold", CONFIG_SIZE, CFG(http.tunnel_hold), 0, 1u << 24,
	 "bytes held after a CONNECT or Upgrade request until its answer"},
	{"http.memcap", CONFIG_SIZE, CFG(http.memcap), 0, CONFIG_TB,
	 "memory of the HTTP dissector: records, flow states, zlib (0 = no cap)"},
	{"eve.http.dump-all-headers", CONFIG_ENUM, CFG(http_out.dump_headers), 0, 3,
	 "headers in http events: none, request, response, both"},
	{"inventory.enabled", CONFIG_BOOL, CFG(inventory_enabled), 0, 1,
	 "the API inventory: endpoint templates and principals on http events (off: Suricata-like "
	 "http events only)"},
	{"inventory.trusted-proxies", CONFIG_STRING, CFG(trusted_proxies), 0,
	 sizeof(((aw_config_t *)0)->trusted_proxies),
	 "proxies (CIDR list) whose X-Forwarded-For / Forwarded headers name the client"},
	{"inventory.spec", CONFIG_STRING, CFG(spec_path), 0, sizeof(((aw_config_t *)0)->spec_path),
	 "OpenAPI 3.x document (YAML or JSON) of the declared API (default: none)"},
	{"inventory.spec-hosts", CONFIG_STRING, CFG(spec_hosts), 0,
	 sizeof(((aw_config_t *)0)->spec_hosts),
	 "hosts the spec is about, comma-separated, '*' for every host (default: the hosts of "
	 "its absolute servers[].url, every host if one is relative or there are none)"},
	{"inventory.max-endpoints", CONFIG_U32, CFG(inventory.max_endpoints), 1, 1u << 20,
	 "endpoints catalogued; calls of further endpoints are counted, not catalogued"},
	{"inventory.sample-first", CONFIG_U32, CFG(inventory.sample_first), 0, 1u << 30,
	 "calls of an endpoint whose bodies, query and headers are all read, at first and "
	 "after each schema change"},
	{"inventory.sample-rate", CONFIG_U32, CFG(inventory.sample_rate), 1, 1u << 30,
	 "then 1 call in this many is read (1 = every call)"},
	{"inventory.event-budget", CONFIG_U32, CFG(inventory.event_budget), 0, 1u << 30,
	 "api_endpoint events per minute of packet time; more are counted and dropped"},
	{"inventory.interval", CONFIG_DURATION, CFG(inventory.interval_us), 0, CONFIG_DAY,
	 "packet time between inventory files (0 = only at exit)"},
	{"inventory.file", CONFIG_STRING, CFG(inventory.inventory_path), 0, ENDPOINT_PATH_MAX,
	 "inventory JSON written at exit and every inventory.interval (same as --inventory)"},
	{"inventory.openapi-file", CONFIG_STRING, CFG(inventory.openapi_path), 0, ENDPOINT_PATH_MAX,
	 "OpenAPI 3.0 document of the inventory written at exit (same as --openapi)"},
	{"baseline.enabled", CONFIG_BOOL, CFG(baseline_enabled), 0, 1,
	 "behavioural baselines per endpoint and principal (needs inventory.enabled; on by "
	 "itself with detect.enabled, --redis, --baseline-save or --baseline-load)"},
	{"baseline.learning-period", CONFIG_DURATION, CFG(baseline.learning_us), 0,
	 365 * CONFIG_DAY,
	 "packet time an endpoint or principal is learned before its baseline arms"},
	{"baseline.min-calls", CONFIG_U32, CFG(baseline.min_calls), 0, 1u << 30,
	 "calls an endpoint's baseline needs, besides the learning period, before it arms"},
	{"baseline.principal-min-calls", CONFIG_U32, CFG(baseline.principal_min_calls), 0, 1u << 30,
	 "calls a principal's baseline on an endpoint needs before it arms"},
	{"baseline.max-endpoints", CONFIG_U32, CFG(baseline.max_endpoints), 1, 1u << 20,
	 "endpoints with a baseline; calls of further endpoints are counted, not learned"},
	{"baseline.max-principals", CONFIG_U32, CFG(baseline.max_principals), 1, 1u << 24,
	 "(endpoint, principal) pairs with a baseline; further pairs are counted, not learned"},
	{"baseline.hll-dense-pool", CONFIG_U32, CFG(baseline.hll_dense), 0, 1u << 16,
	 "16 KiB blocks for large distinct counts; without one a count stays a lower bound"},
	{"baseline.body-sample", CONFIG_U32, CFG(baseline.body_sample), 0, 1u << 20,
	 "calls per endpoint and minute whose bodies are scanned (body keys, sensitive types)"},
	{"baseline.body-scan-max", CONFIG_SIZE, CFG(baseline.body_scan_max), 0, 1u << 30,
	 "bytes of a sampled response body scanned for sensitive data"},
	{"baseline.redis.url", CONFIG_STRING, CFG(baseline.redis_url), 0,
	 sizeof(((aw_config_t *)0)->baseline.redis_url),
	 "redis://[:password@]host:port[/db] of the shared baseline store (as --redis)"},
	{"baseline.redis.prefix", CONFIG_STRING, CFG(baseline.redis_prefix), 0,
	 sizeof(((aw_config_t *)0)->baseline.redis_prefix), "prefix of every Redis key"},
	{"baseline.redis.flush-interval", CONFIG_DURATION, CFG(baseline.redis_flush_us), 1000,
	 CONFIG_DAY, "wall-clock time between pipelined writes to Redis"},
	{"baseline.redis.queue-batches", CONFIG_U32, CFG(baseline.redis_queue_batches), 2, 1u << 16,
	 "batches of finished minutes queued or held for Redis; past it minutes are dropped"},
	{"baseline.redis.batch-size", CONFIG_SIZE, CFG(baseline.redis_batch_bytes), 1 << 16,
	 1u << 30, "bytes of one batch of finished minutes"},
	{"baseline.redis.minute-ttl", CONFIG_DURATION, CFG(baseline.redis_ttl_us), 1000000,
	 365 * CONFIG_DAY, "life of the per-minute keys in Redis"},
	{"baseline.redis.timeout", CONFIG_DURATION, CFG(baseline.redis_timeout_us), 1000, 60000000,
	 "Redis connect and reply timeout"},
	{"baseline.redis.drain-timeout", CONFIG_DURATION, CFG(baseline.redis_drain_us), 0,
	 3600ull * 1000000, "at exit, how long to keep trying to write what Redis has not taken"},
	{"alert.max-open", CONFIG_U32, CFG(alert.max_open), 1, 1u << 24,
	 "open alerts kept; past it the one with the oldest finding is closed (counted)"},
	{"alert.evidence", CONFIG_U32, CFG(alert.evidence), 1, ALERT_EVIDENCE_MAX,
	 "example calls per alert: the first ones and the latest"},
	{"alert.update-interval", CONFIG_DURATION, CFG(alert.update_interval_us), 1000, CONFIG_DAY,
	 "packet time between two events of an alert that grows"},
	{"alert.idle-timeout", CONFIG_DURATION, CFG(alert.idle_timeout_us), 1000, 30 * CONFIG_DAY,
	 "packet time without a finding after which an alert is closed (final event)"},
	{"alert.eve", CONFIG_BOOL, CFG(alert.eve), 0, 1,
	 "alert events go to the EVE output (besides the alert.sinks)"},
	{"alert.sinks", CONFIG_STRING, CFG(alert.sinks), 0, sizeof(((aw_config_t *)0)->alert.sinks),
	 "alert sinks besides EVE, space-separated (--alert-sink): stdout, redis-list:URL#KEY, "
	 "redis-pubsub:URL#CHANNEL, redis-stream:URL#KEY[#MAXLEN], syslog[:FACILITY][:unix:PATH]"},
	{"alert.sink-queue", CONFIG_U32, CFG(alert.sink_queue), 1, 1u << 20,
	 "alert lines waiting for the sinks; when full the oldest leaves (counted)"},
	{"alert.sink-drain-timeout", CONFIG_DURATION, CFG(alert.sink_drain_us), 0,
	 3600ull * 1000000, "wall time the sinks get at exit to deliver what they hold"},
	{"alert.redis-stream-maxlen", CONFIG_U32, CFG(alert.stream_maxlen), 1, 1u << 31,
	 "MAXLEN ~ of Redis alert streams whose SPEC gives none"},
	{"alert.syslog.format", CONFIG_ENUM, CFG(alert.syslog_format), 0, 1,
	 "what syslog alert sinks send: text (one short line) or json (the EVE alert event)"},
	{"alert.syslog.max-message", CONFIG_SIZE, CFG(alert.syslog_max_message), 1024, 64u << 10,
	 "longest syslog alert message; a longer event goes as the text form (counted)"},
	{"detect.enabled", CONFIG_BOOL, CFG(detect.enabled), 0, 1,
	 "API-abuse detectors (docs/detectors.md); on, they turn on baseline.enabled"},
	{"detect.sigma", CONFIG_U32, CFG(detect.sigma), 1, 100,
	 "standard deviations past a learned mean that a figure must pass"},
	{"detect.max-endpoints", CONFIG_U32, CFG(detect.max_endpoints), 1, 1u << 20,
	 "endpoints whose figures the detectors cache; the least recently used gives way"},
	{"detect.max-states", CONFIG_U32, CFG(detect.max_states), 8, 1u << 24,
	 "entries of each short-term table (pairs, principals, clients, usernames)"},
	{"detect.max-objects", CONFIG_U32, CFG(detect.max_objects), 8, 1u << 26,
	 "object IDs whose readers are kept (bola_shared_object)"},
	{"detect.bola.enabled", CONFIG_BOOL, CFG(detect.bola), 0, 1,
	 "API1: object enumeration, ID walks, 403/404 bursts, shared objects"},
	{"detect.bola.min-ids", CONFIG_U32, CFG(detect.bola_min_ids), 1, 1u << 20,
	 "distinct object IDs per minute by one principal, at least, to be enumeration"},
	{"detect.bola.walk-length", CONFIG_U32, CFG(detect.bola_walk), 2, 1u << 20,
	 "integer IDs in a row, each one to three from the last, to be a walk"},
	{"detect.bola.fail-ids", CONFIG_U32, CFG(detect.bola_fail_ids), 1, 1u << 20,
	 "distinct object IDs answered 403/404 per minute, at least"},
	{"detect.bola.readers", CONFIG_U32, CFG(detect.bola_readers), 2, 4,
	 "principals served one object, on endpoints whose objects have one (< 2 %)"},
	{"detect.auth.enabled", CONFIG_BOOL, CFG(detect.auth), 0, 1,
	 "API2: stuffing, brute force, login failure rate, success after failures"},
	{"detect.auth.window", CONFIG_DURATION, CFG(detect.auth_window_us), 1000000, CONFIG_DAY,
	 "window of login attempts per client and per username"},
	{"detect.auth.usernames", CONFIG_U32, CFG(detect.auth_usernames), 2, 1u << 20,
	 "distinct usernames failing from one client per window (stuffing)"},
	{"detect.auth.failures", CONFIG_U32, CFG(detect.auth_failures), 2, 1u << 20,
	 "failed logins from one client per window, few usernames (brute force)"},
	{"detect.auth.user-failures", CONFIG_U32, CFG(detect.auth_user_failures), 2, 1u << 20,
	 "failed logins of one username per window, any client (brute force)"},
	{"detect.auth.failure-run", CONFIG_U32, CFG(detect.auth_run), 2, 1u << 20,
	 "failures in a row from one client before a success that fires"},
	{"detect.auth.global-min", CONFIG_U32, CFG(detect.auth_global_min), 1, 1u << 30,
	 "failed logins per minute on one endpoint, at least (distributed stuffing)"},
	{"detect.credential-sharing.enabled", CONFIG_BOOL, CFG(detect.sharing), 0, 1,
	 "API2: one credential used from many client addresses or user agents"},
	{"detect.credential-sharing.window", CONFIG_DURATION, CFG(detect.sharing_window_us),
	 1000000, CONFIG_DAY, "window of a credential's clients and agents"},
	{"detect.credential-sharing.clients", CONFIG_U32, CFG(detect.sharing_clients), 2, 1u << 20,
	 "client addresses of one credential per window"},
	{"detect.credential-sharing.agents", CONFIG_U32, CFG(detect.sharing_agents), 2, 1u << 20,
	 "user agents of one credential per window"},
	{"detect.jwt-unsigned.enabled", CONFIG_BOOL, CFG(detect.jwt), 0, 1,
	 "API2: JWT with alg none, no alg or no signature answered 2xx"},
	{"detect.data-exposure.enabled", CONFIG_BOOL, CFG(detect.exposure), 0, 1,
	 "API3: responses far larger, or with far more records, than learned"},
	{"detect.data-exposure.factor", CONFIG_U32, CFG(detect.exposure_factor), 1, 1u << 20,
	 "times the learned p99 (bytes, records) a response must pass"},
	{"detect.data-exposure.min-bytes", CONFIG_SIZE, CFG(detect.exposure_min_bytes), 0,
	 CONFIG_TB, "response bytes, at least"},
	{"detect.data-exposure.min-records", CONFIG_U32, CFG(detect.exposure_min_records), 1,
	 1u << 30, "records in a response, at least"},
	{"detect.sensitive-new.enabled", CONFIG_BOOL, CFG(detect.sensitive_new), 0, 1,
	 "API3: a sensitive data type new in an armed endpoint's responses"},
	{"detect.mass-assignment.enabled", CONFIG_BOOL, CFG(detect.mass_assignment), 0, 1,
	 "API3: privileged properties (role, is_admin, ...) in writes accepted with 2xx"},
	{"detect.rate-spike.enabled", CONFIG_BOOL, CFG(detect.rate), 0, 1,
	 "API4: calls per minute of an endpoint, principal or client far above baseline"},
	{"detect.rate-spike.endpoint-min", CONFIG_U32, CFG(detect.rate_endpoint_min), 1, 1u << 30,
	 "calls per minute of an endpoint, at least"},
	{"detect.rate-spike.principal-min", CONFIG_U32, CFG(detect.rate_principal_min), 1, 1u << 30,
	 "calls per minute of a principal on an endpoint, at least"},
	{"detect.rate-spike.client-min", CONFIG_U32, CFG(detect.rate_client_min), 1, 1u << 30,
	 "calls per minute of a client address, at least"},
	{"detect.rate-spike.factor", CONFIG_U32, CFG(detect.rate_factor), 1, 1000,
	 "times the learned mean a rate must reach, at least"},
	{"detect.rate-spike.sustain", CONFIG_U32, CFG(detect.rate_sustain), 1, 1440,
	 "minutes in a row over the limit (twice the limit fires at once)"},
	{"detect.error-spike.enabled", CONFIG_BOOL, CFG(detect.errors), 0, 1,
	 "5xx answers per minute of an endpoint far above baseline"},
	{"detect.error-spike.min", CONFIG_U32, CFG(detect.errors_min), 1, 1u << 30,
	 "5xx answers per minute, at least"},
	{"detect.function-authz.enabled", CONFIG_BOOL, CFG(detect.authz), 0, 1,
	 "API5: privileged functions served to principals that never called them"},
	{"detect.function-authz.max-share", CONFIG_U32, CFG(detect.authz_share), 1, 100,
	 "percent of the API's principals per minute an endpoint may have and be privileged"},
	{"detect.scraping.enabled", CONFIG_BOOL, CFG(detect.scraping), 0, 1,
	 "API6: machine-regular calls covering an ID or page space"},
	{"detect.scraping.window", CONFIG_DURATION, CFG(detect.scraping_window_us), 60000000,
	 CONFIG_DAY, "window of a principal's calls"},
	{"detect.scraping.min-calls", CONFIG_U32, CFG(detect.scraping_min_calls), 3, 1u << 30,
	 "calls in the window, at least"},
	{"detect.scraping.min-ids", CONFIG_U32, CFG(detect.scraping_min_ids), 1, 1u << 30,
	 "distinct object IDs or page numbers in the window, at least"},
	{"detect.scraping.max-cv", CONFIG_U32, CFG(detect.scraping_max_cv), 1, 1000,
	 "coefficient of variation of the gaps between calls, percent, at most"},
	{"detect.scraping.max-endpoints", CONFIG_U32, CFG(detect.scraping_max_endpoints), 1, 5,
	 "endpoints the principal called in the window, at most (5: any)"},
	{"detect.impersonation.enabled", CONFIG_BOOL, CFG(detect.impersonation), 0, 1,
	 "usual headers missing, or unknown user agents on app-only endpoints"},
	{"detect.impersonation.presence", CONFIG_U32, CFG(detect.imp_presence), 50, 100,
	 "percent of an endpoint's calls a header must be in to be usual"},
	{"detect.impersonation.min-calls", CONFIG_U32, CFG(detect.imp_min_calls), 1, 1u << 20,
	 "odd calls of a principal on an endpoint per impersonation.window, at least (and half "
	 "of its calls there)"},
	{"detect.impersonation.window", CONFIG_DURATION, CFG(detect.imp_window_us), 60000000,
	 CONFIG_DAY, "window over which a principal's odd calls on an endpoint are counted"},
	{"detect.impersonation.thin-min-calls", CONFIG_U32, CFG(detect.imp_thin_calls), 1, 1u << 20,
	 "calls of an endpoint below baseline.min-calls before its usual headers and agents are "
	 "taken (once learning is over) ..."},
	{"detect.impersonation.thin-min-minutes", CONFIG_U32, CFG(detect.imp_thin_minutes), 1,
	 1u << 20, "... spread over at least this many different minutes"},
	{"detect.unauthenticated.enabled", CONFIG_BOOL, CFG(detect.unauth), 0, 1,
	 "calls without credentials answered 2xx on endpoints that nearly always get them"},
	{"detect.unauthenticated.presence", CONFIG_U32, CFG(detect.unauth_presence), 50, 100,
	 "percent of an endpoint's calls carrying a credential header"},
	{"detect.unauthenticated.min-calls", CONFIG_U32, CFG(detect.unauth_min_calls), 1, 1u << 30,
	 "calls the detector learns on an endpoint before its credential share counts"},
	{"detect.shadow-endpoint.enabled", CONFIG_BOOL, CFG(detect.shadow), 0, 1,
	 "API9: calls to endpoints not in inventory.spec"},
	{"privacy.hash-key", CONFIG_KEY128, CFG(http_out.hash_key), 0, 0,
	 "32 hex digits: key of the hashes that replace secrets (set your own)"},
};

/* The names a CONFIG_ENUM key takes. */
static const char *const *config_enum_names(const config_key_t *k)
{
	static const char *const dump[] = {"none", "request", "response", "both", NULL};
	static const char *const syslog_format[] = {"text", "json", NULL};

	if (k->offset == CFG(alert.syslog_format))
		return syslog_format;
	return dump;
}

static int config_parse_key128(const char *v, uint8_t out[16])
{
	int i;

	if (strlen(v) != 32)
		return -1;
	for (i = 0; i < 32; i++) {
		int c = tolower((unsigned char)v[i]);
		int x = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

		if (x < 0)
			return -1;
		out[i / 2] = (uint8_t)(i % 2 ? out[i / 2] | x : x << 4);
	}
	return 0;
}

void config_default(aw_config_t *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	capture_config_default(&cfg->capture);
	decode_config_default(&cfg->decode);
	flow_config_default(&cfg->flow);
	tcp_config_default(&cfg->tcp);
	output_config_default(&cfg->output);
	http1_config_default(&cfg->http);
	output_http_config_default(&cfg->http_out);
	endpoint_config_default(&cfg->inventory);
	alert_config_default(&cfg->alert);
	cfg->l7_max_packets = 8;
	cfg->inventory_enabled = 1;
	cfg->baseline_enabled = 0; /* on with --redis, --baseline-save, --baseline-load */
	baseline_config_default(&cfg->baseline);
	detect_config_default(&cfg->detect); /* on by default: baselines on with it */
	cfg->stats_interval_us = 60ull * 1000000;
	cfg->progress = -1;
}

/* Parses a number with an optional unit from units[] (name, multiplier). */
static int config_parse_scaled(const char *v, const char *const *names, const uint64_t *mult,
			       uint64_t *out)
{
	char *end;
	unsigned long long n;
	int i;

	while (isspace((unsigned char)*v))
		v++;
	if (!isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno)
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	for (i = 0; names[i]; i++) {
		if (strcasecmp(end, names[i]) == 0) {
			if (mult[i] && n > UINT64_MAX / mult[i])
				return -1;
			*out = n * mult[i];
			return 0;
		}
	}
	return -1;
}

static int config_parse_value(const config_key_t *k, const char *v, uint64_t *out)
{
	static const char *const size_names[] = {"",   "b",   "k", "kb", "kib", "m",
						 "mb", "mib", "g", "gb", "gib", NULL};
	static const uint64_t size_mult[] = {1,		 1,	     1ull << 10, 1ull << 10,
					     1ull << 10, 1ull << 20, 1ull << 20, 1ull << 20,
					     1ull << 30, 1ull << 30, 1ull << 30};
	static const char *const dur_names[] = {"", "us", "ms", "s", "m", "min", "h", NULL};
	static const uint64_t dur_mult[] = {1000000,  1,	1000,	      1000000,
					    60000000, 60000000, 3600000000ull};

	switch (k->type) {
	case CONFIG_BOOL:
		if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1") ||
		    !strcasecmp(v, "on"))
			*out = 1;
		else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0") ||
			 !strcasecmp(v, "off"))
			*out = 0;
		else
			return -1;
		return 0;
	case CONFIG_SIZE:
		if (k->offset == CFG(capture.buffer_mb)) {
			if (config_parse_scaled(v, size_names, size_mult, out) < 0)
				return -1;
			/* Plain numbers are MiB for the capture buffer. */
			*out = strpbrk(v, "bBkKmMgG") ? *out >> 20 : *out;
			return 0;
		}
		return config_parse_scaled(v, size_names, size_mult, out);
	case CONFIG_DURATION:
		return config_parse_scaled(v, dur_names, dur_mult, out);
	case CONFIG_ENUM: {
		const char *const *names = config_enum_names(k);
		uint64_t i;

		for (i = 0; names[i]; i++) {
			if (strcasecmp(v, names[i]) == 0) {
				*out = i;
				return 0;
			}
		}
		return -1;
	}
	default: {
		static const char *const plain[] = {"", NULL};
		static const uint64_t one[] = {1};

		return config_parse_scaled(v, plain, one, out);
	}
	}
}

static void config_store(aw_config_t *cfg, const config_key_t *k, uint64_t v)
{
	char *base = (char *)cfg + k->offset;

	switch (k->type) {
	case CONFIG_U16:
		*(uint16_t *)(void *)base = (uint16_t)v;
		break;
	case CONFIG_U32:
		*(uint32_t *)(void *)base = (uint32_t)v;
		break;
	case CONFIG_BOOL:
	case CONFIG_INT:
	case CONFIG_ENUM:
		*(int *)(void *)base = (int)v;
		break;
	case CONFIG_KEY128:
	case CONFIG_STRING:
		break;
	case CONFIG_SIZE:
		if (k->offset == CFG(capture.buffer_mb))
			*(int *)(void *)base = (int)v;
		else if (k->offset == CFG(tcp.max_hold_bytes))
			*(uint32_t *)(void *)base = (uint32_t)v;
		else if (k->offset == CFG(output.max_event_bytes))
			*(size_t *)(void *)base = (size_t)v;
		else
			*(uint64_t *)(void *)base = v;
		break;
	case CONFIG_DURATION:
		if (k->offset == CFG(decode.defrag_timeout_us))
			*(uint32_t *)(void *)base = (uint32_t)v;
		else
			*(uint64_t *)(void *)base = v;
		break;
	}
}

int config_set(aw_config_t *cfg, const char *key, const char *value, char *errbuf)
{
	size_t i;
	uint64_t v;

	for (i = 0; i < sizeof(config_keys) / sizeof(config_keys[0]); i++) {
		const config_key_t *k = &config_keys[i];

		if (strcmp(k->key, key) != 0)
			continue;
		if (k->type == CONFIG_STRING) {
			if (strlen(value) >= k->max) {
				snprintf(errbuf, CONFIG_ERRBUF_SIZE,
					 "setting %s: longer than %u bytes", key,
					 (unsigned)k->max - 1);
				return AW_ECONFIG;
			}
			snprintf((char *)cfg + k->offset, (size_t)k->max, "%s", value);
			return 0;
		}
		if (k->type == CONFIG_KEY128) {
			uint8_t key128[16];

			if (config_parse_key128(value, key128) < 0) {
				snprintf(errbuf, CONFIG_ERRBUF_SIZE,
					 "setting %s: want 32 hex digits", key);
				return AW_ECONFIG;
			}
			memcpy((char *)cfg + k->offset, key128, sizeof(key128));
			return 0;
		}
		if (config_parse_value(k, value, &v) < 0) {
			snprintf(errbuf, CONFIG_ERRBUF_SIZE, "setting %s: cannot parse '%s'", key,
				 value);
			return AW_ECONFIG;
		}
		if (v < k->min || v > k->max) {
			snprintf(errbuf, CONFIG_ERRBUF_SIZE, "setting %s: '%s' is out of range",
				 key, value);
			return AW_ECONFIG;
		}
		config_store(cfg, k, v);
		return 0;
	}
	snprintf(errbuf, CONFIG_ERRBUF_SIZE, "unknown setting '%s' (see --list-settings)", key);
	return AW_ECONFIG;
}

void config_print_settings(FILE *fp)
{
	size_t i;

	for (i = 0; i < sizeof(config_keys) / sizeof(config_keys[0]); i++)
		fprintf(fp, "  %-32s %s\n", config_keys[i].key, config_keys[i].help);
}

/* ------------------------------------------------------------------------------------------ */
/* YAML file: nested mappings of scalars flatten to dotted keys. */

#define CONFIG_MAX_DEPTH 8

static int config_yaml_error(const yaml_parser_t *p, const char *path, char *errbuf)
{
	snprintf(errbuf, CONFIG_ERRBUF_SIZE, "%s:%zu: %s", path, p->problem_mark.line + 1,
		 p->problem ? p->problem : "YAML error");
	return AW_ECONFIG;
}

static int config_yaml_scalar(aw_config_t *cfg, char prefix[][128], int depth, int *want_key,
			      const char *val, const char *path, size_t line, char *errbuf)
{
	char key[1024];
	size_t klen = 0;
	int i, rc;

	if (*want_key) {
		if (depth < 1 || depth > CONFIG_MAX_DEPTH)
			return AW_ECONFIG;
		snprintf(prefix[depth - 1], 128, "%s", val);
		*want_key = 0;
		return 0;
	}
	key[0] = '\0';
	for (i = 0; i < depth && klen < sizeof(key); i++) {
		int n = snprintf(key + klen, sizeof(key) - klen, "%s%s", i ? "." : "", prefix[i]);

		if (n < 0)
			break;
		klen += (size_t)n;
	}
	*want_key = 1;
	rc = config_set(cfg, key, val, errbuf);
	if (rc < 0) {
		char tmp[CONFIG_ERRBUF_SIZE];

		snprintf(tmp, sizeof(tmp), "%s:%zu: %s", path, line, errbuf);
		memcpy(errbuf, tmp, CONFIG_ERRBUF_SIZE);
	}
	return rc;
}

int config_load_file(aw_config_t *cfg, const char *path, char *errbuf)
{
	char prefix[CONFIG_MAX_DEPTH][128];
	yaml_parser_t parser;
	yaml_event_t ev;
	FILE *fp = fopen(path, "rb");
	int depth = 0, want_key = 1, rc = 0, done = 0;

	if (!fp) {
		snprintf(errbuf, CONFIG_ERRBUF_SIZE, "%s: %s", path, strerror(errno));
		return AW_ECONFIG;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, fp);
	while (!done && rc == 0) {
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = config_yaml_error(&parser, path, errbuf);
			break;
		}
		switch (ev.type) {
		case YAML_MAPPING_START_EVENT:
			if (depth >= CONFIG_MAX_DEPTH || (depth > 0 && want_key)) {
				snprintf(errbuf, CONFIG_ERRBUF_SIZE, "%s:%zu: unexpected mapping",
					 path, ev.start_mark.line + 1);
				rc = AW_ECONFIG;
			}
			depth++;
			want_key = 1;
			break;
		case YAML_MAPPING_END_EVENT:
			depth--;
			want_key = 1;
			break;
		case YAML_SCALAR_EVENT:
			rc = config_yaml_scalar(cfg, prefix, depth, &want_key,
						(const char *)ev.data.scalar.value, path,
						ev.start_mark.line + 1, errbuf);
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_ALIAS_EVENT:
			snprintf(errbuf, CONFIG_ERRBUF_SIZE,
				 "%s:%zu: lists and aliases are not settings", path,
				 ev.start_mark.line + 1);
			rc = AW_ECONFIG;
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	fclose(fp);
	return rc;
}

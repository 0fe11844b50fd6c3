/*
 * alert.h - what a detector reports, and the alert stage that turns reports into SOC alerts.
 *
 * Fed by the detectors (sensor/detect*.c) with findings: "this principal, on this endpoint,
 * did something its baseline says is abnormal", each with the call that showed it. The alert
 * stage keeps one open alert per (detector, principal, endpoint): the first finding writes an
 * EVE `alert` event at once; later findings of the same key only grow it (count, last_seen,
 * observed, a few more evidence calls), and the grown alert is written again at most once per
 * alert.update-interval of packet time, and a last time when it goes quiet (no finding for
 * alert.idle-timeout) or at exit. An attack is one alert that grows, not ten thousand lines.
 *
 * Every alert event carries Suricata's alert object, so SOC tooling built for Suricata ingests
 * it unchanged: alert{action: "allowed", gid: 1, signature_id, rev, signature, category,
 * severity}, and apiwatch's own facts under api: {detector, owasp_api, alert_id (stable over
 * the alert's updates), update (0 for the first event, then 1, 2, ...), final, principal
 * (hashed, as in http events), host, method, endpoint, observed, baseline, unit, reason,
 * first_seen, last_seen, count, evidence: [{time, method, url (redacted), status, bytes,
 * template}]}.
 *
 * Sinks, several at once: the EVE output (default), stdout, Redis (LPUSH to a list, PUBLISH to
 * a channel, or XADD to a stream with MAXLEN), syslog. Sinks other than the EVE file run on
 * their own thread behind a bounded queue; a slow or dead sink is counted and retried, never
 * waited for by the packet thread, and never loses an alert that the EVE file received.
 *
 * Not here: deciding what is abnormal (detectors), learning what is normal (baselines).
 */
#ifndef APIWATCH_ALERT_H
#define APIWATCH_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include "api_call.h"
#include "mem.h"
#include "output.h"

/* OWASP API Security Top 10 (2023) tags. */
#define ALERT_OWASP_API1 "API1:2023" /* Broken Object Level Authorization */
#define ALERT_OWASP_API2 "API2:2023" /* Broken Authentication */
#define ALERT_OWASP_API3 "API3:2023" /* Broken Object Property Level Authorization */
#define ALERT_OWASP_API4 "API4:2023" /* Unrestricted Resource Consumption */
#define ALERT_OWASP_API5 "API5:2023" /* Broken Function Level Authorization */
#define ALERT_OWASP_API6 "API6:2023" /* Unrestricted Access to Sensitive Business Flows */
#define ALERT_OWASP_API8 "API8:2023" /* Security Misconfiguration */
#define ALERT_OWASP_API9 "API9:2023" /* Improper Inventory Management */

/* Suricata severities: 1 is the most severe. */
#define ALERT_SEV_HIGH 1
#define ALERT_SEV_MEDIUM 2
#define ALERT_SEV_LOW 3

/* A kind of alert: one per detector rule. Static, read-only; signature ids are apiwatch's
 * own range (9,100,000 and up), one per detector rule, never reused. */
typedef struct alert_detector {
	const char *name; /* "bola_enumeration": api.detector */
	const char *owasp; /* ALERT_OWASP_*: api.owasp_api */
	uint32_t signature_id;
	uint32_t rev;
	const char *signature; /* "APIWATCH API1 object enumeration by one principal" */
	const char *category; /* "Broken Object Level Authorization" */
	uint8_t severity; /* ALERT_SEV_* */
} alert_detector_t;

/* One report from a detector. Slices and strings are borrowed for the call that reports it. */
typedef struct alert_finding {
	const alert_detector_t *det;
	aw_slice_t principal; /* the caller (hashed id, or address); empty: not about a caller */
	aw_slice_t host, method, endpoint; /* the endpoint; empty endpoint: not about one */
	double observed; /* the figure that fired ... */
	double baseline; /* ... and its learned normal (0 when there is none, e.g. a rule) */
	const char *unit; /* what the figures count: "distinct_ids_per_min", "bytes", ... */
	const char *reason; /* one line an analyst reads first; no secret, no raw value */
} alert_finding_t;

/* How a detector hands a finding on (the alert stage's alert_raise in the pipeline). The call
 * is the evidence: it is summarised (redacted) into the alert, never kept. */
typedef void (*alert_emit_fn)(void *ud, const alert_finding_t *f, const api_call_t *call,
			      uint64_t now_us);

/* ------------------------------------------------------------------------------------------ */
/* The alert stage */

struct aw_config;

#define ALERT_SINKS_MAX 8 /* sinks besides the EVE output */
#define ALERT_SYSLOG_TEXT 0 /* alert.syslog.format: the short text form */
#define ALERT_SYSLOG_JSON 1 /* ... the EVE alert event itself */
#define ALERT_EVIDENCE_MAX 16

typedef struct alert_config {
	uint32_t
		max_open; /* alert.max-open: open alerts kept; past it the oldest quiet one closes */
	uint32_t evidence; /* alert.evidence: example calls per alert */
	uint64_t update_interval_us; /* alert.update-interval: packet time between updates */
	uint64_t idle_timeout_us; /* alert.idle-timeout: quiet this long, an alert closes */
	int eve; /* alert.eve: alert events go to the EVE output too */
	uint32_t sink_queue; /* alert.sink-queue: lines waiting for the other sinks */
	uint64_t sink_drain_us; /* alert.sink-drain-timeout: wall time given to them at exit */
	uint32_t stream_maxlen; /* alert.redis-stream-maxlen: MAXLEN ~ of streams without one */
	int syslog_format; /* alert.syslog.format: ALERT_SYSLOG_TEXT or ALERT_SYSLOG_JSON */
	uint64_t syslog_max_message; /* alert.syslog.max-message: bytes of one syslog message */
	char sinks[2048]; /* alert.sinks: SPEC list, separated by spaces (--alert-sink) */
} alert_config_t;

void alert_config_default(alert_config_t *cfg);

/* Checks a sink list (alert.sinks) without opening anything: 0, or AW_ECONFIG with a message
 * naming the bad SPEC in errbuf. */
int alert_sinks_check(const char *sinks, char *errbuf, size_t errlen);

typedef struct alert_counters {
	uint64_t findings; /* alert_raise calls */
	uint64_t opened; /* alerts opened (update 0 written) */
	uint64_t updates; /* alert events written, update 0 and finals included */
	uint64_t finals; /* ... of which final */
	uint64_t closed; /* alerts closed: quiet, table full or exit */
	uint64_t table_full; /* an alert was opened with alert.max-open open: the oldest closed */
	uint64_t dropped_oversize; /* alert events larger than eve.max-event-size */
	uint64_t no_memory; /* findings lost because no alert could be allocated */
	uint64_t open; /* alerts open now */
} alert_counters_t;

/* A sink's figures: they depend on the sink's timing (network, Redis), not on the input. */
typedef struct alert_sink_info {
	const char *type; /* "stdout", "redis-list", "redis-pubsub", "redis-stream", "syslog" */
	const char *target; /* where, without any password: "127.0.0.1:6379/0#alerts" */
	uint64_t delivered; /* lines the sink took */
	uint64_t failed; /* delivery attempts that failed (connection, error reply) */
	uint64_t reconnects; /* connections made after the first */
	uint64_t queue_drops; /* lines that left the full queue before this sink took them */
	uint64_t rejected; /* lines given up after repeated error replies */
	uint64_t undelivered; /* lines still waiting when the exit drain timed out */
	uint64_t round_trips; /* Redis: pipelined batches of commands sent and answered */
	uint64_t oversize; /* syslog: messages over alert.syslog.max-message (text form, or cut) */
} alert_sink_info_t;

typedef struct alerts alerts_t;

/*
 * Creates the stage: an empty table of open alerts (slots are allocated as it fills, up to
 * alert.max-open, and reused), the sinks of cfg->alert.sinks with their thread. Alert events
 * go to out (borrowed, outliving the stage). A sink list that does not parse gives AW_ECONFIG
 * with a message in errbuf; a Redis server that is down is not an error (counted, retried).
 */
int alerts_new(alerts_t **a, const struct aw_config *cfg, output_t *out, mem_account_t *acct,
	       char *errbuf, size_t errlen);

/* Closes the sinks (after alert_finish has drained them) and frees the stage; NULL is fine. */
void alerts_free(alerts_t *a);

/* The alert_emit_fn of the stage (ud: the alerts_t). The finding's strings and the call are
 * borrowed for the call. now_us is the packet time of the finding. */
void alert_raise(void *ud, const alert_finding_t *f, const api_call_t *call, uint64_t now_us);

/* The capture index of the packet whose calls are being reported (0: none, such as at the end
 * of a flow): written as pcap_cnt of alert events written by alert_raise. */
void alerts_set_pcap_cnt(alerts_t *a, uint64_t pcap_cnt);

/* Packet time advanced to now_us: writes the updates that are due and closes quiet alerts. */
void alert_tick(alerts_t *a, uint64_t now_us);

/* End of input: writes the final update of every alert that grew since its last event, closes
 * them all, then gives the sinks up to alert.sink-drain-timeout (wall clock) to deliver what
 * they still hold. */
void alert_finish(alerts_t *a, uint64_t now_us);

const alert_counters_t *alert_counters(const alerts_t *a);

/* The number of sinks besides the EVE output, and the figures of sink i. */
unsigned alert_sink_count(const alerts_t *a);
void alert_sink_info(const alerts_t *a, unsigned i, alert_sink_info_t *out);

#endif

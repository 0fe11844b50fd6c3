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

#endif

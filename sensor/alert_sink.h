/*
 * alert_sink.h - the alert sinks besides the EVE output (private to the alert stage).
 *
 * Fed by alert.c with each alert event it writes: the JSON line and a short text form. The
 * lines wait in a bounded ring for one sink thread, which hands them to every sink in order,
 * in batches: stdout, Redis (LPUSH, PUBLISH, XADD ... MAXLEN ~, pipelined: one round trip per
 * batch), syslog (syslog(3), or RFC 3164 datagrams to a unix socket; the text form or the EVE
 * event). Each sink has its own place in the ring, so a dead Redis holds back only itself: its
 * lines wait and are retried with backoff while the ring holds them; a line Redis refuses (an
 * error reply) is sent again on its own, a few times. When the ring is full the oldest line
 * leaves it (counted for each sink that had not taken it yet). The packet thread never waits
 * for a sink. Not here: composing events (alert.c).
 */
#ifndef APIWATCH_ALERT_SINK_H
#define APIWATCH_ALERT_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "mem.h"

enum alert_sink_kind {
	ALERT_SINK_EVE = 0,
	ALERT_SINK_STDOUT,
	ALERT_SINK_REDIS_LIST,
	ALERT_SINK_REDIS_PUBSUB,
	ALERT_SINK_REDIS_STREAM,
	ALERT_SINK_SYSLOG
};

/* One parsed SPEC. */
typedef struct alert_sink_spec {
	enum alert_sink_kind kind;
	char host[256]; /* Redis */
	int port;
	int db;
	char user[128], password[256]; /* percent-decoded; empty: none */
	char key[512]; /* list, channel or stream */
	uint64_t maxlen; /* stream MAXLEN ~ (0: alert.redis-stream-maxlen) */
	int facility; /* syslog: LOG_LOCAL5 ... */
	char unix_path[108]; /* syslog: datagrams to this socket instead of syslog(3) */
	char target[400]; /* for stats: where, without the password */
} alert_sink_spec_t;

/* Parses one SPEC (see alert.h). AW_ECONFIG with a message in errbuf when it does not. */
int alert_sink_spec_parse(alert_sink_spec_t *out, const char *spec, size_t len, char *errbuf,
			  size_t errlen);

typedef struct alert_sinks alert_sinks_t;

/* Parses the sink list and starts the sink thread when it names sinks besides eve; *out is
 * NULL when it does not. *eve_listed tells whether `eve` was named. */
int alert_sinks_new(alert_sinks_t **out, const alert_config_t *cfg, mem_account_t *acct,
		    int *eve_listed, char *errbuf, size_t errlen);

/* Queues one alert: its JSON line (json, jlen bytes, '\n' included) and text form, with its
 * Suricata severity (for syslog priorities). Never waits for a sink. */
void alert_sinks_push(alert_sinks_t *s, const char *json, size_t jlen, const char *text,
		      size_t tlen, unsigned severity);

/* Waits until every sink has taken every queued line, or timeout_us of wall time; what is
 * left is counted as undelivered. */
void alert_sinks_drain(alert_sinks_t *s, uint64_t timeout_us);

/* Stops the thread, closes the sinks; NULL is fine. */
void alert_sinks_free(alert_sinks_t *s);

unsigned alert_sinks_count(const alert_sinks_t *s);
void alert_sinks_info(const alert_sinks_t *s, unsigned i, alert_sink_info_t *out);

/* Lines queued but left out because the ring was full (any sink). */
uint64_t alert_sinks_queue_full(const alert_sinks_t *s);

#endif

/*
 * alert_sink.c - the sink thread, its ring of alert lines, and the sinks (see alert_sink.h).
 *
 * Only the packet thread allocates from the memory account (the ring's line buffers, at
 * creation and when a line is longer than its slot's buffer); the sink thread copies a batch of
 * lines out under the lock and delivers the copy, so the packet thread may overwrite the slots
 * at once. A batch is every line a sink has not taken yet, up to ALERT_SINK_BATCH lines and
 * ALERT_SINK_BATCH_BYTES: a Redis sink sends it as one pipeline (one round trip), so a burst of
 * alerts costs a few round trips, not one per alert.
 * Retries and backoff run on the wall clock: they are about the network, not about the traffic,
 * and never change what the EVE output holds.
 */
#include "alert_sink.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "error.h"
#include "waits.h"

#define ALERT_SINK_LINE_MAX (64u << 10) /* longest JSON line plus text handed to the sinks */
#define ALERT_SINK_BATCH 256 /* lines handed to a sink at once: one Redis pipeline */
#define ALERT_SINK_BATCH_BYTES (512u << 10) /* ... and their bytes (at least one line) */
#define ALERT_SINK_BACKOFF_MIN_US 100000ull
#define ALERT_SINK_BACKOFF_MAX_US 5000000ull
#define ALERT_SINK_TRIES 3 /* error replies to one line before it is given up */
#define ALERT_SINK_REDIS_TIMEOUT_US 1000000
#define ALERT_SINK_SEND_TIMEOUT_US 1000000 /* a syslog socket that takes no datagram */

_Static_assert(ALERT_SINK_LINE_MAX <= ALERT_SINK_BATCH_BYTES, "a batch holds any line");

/* ------------------------------------------------------------------------------------------ */
/* SPEC parsing */

static int alert_sink_err(char *errbuf, size_t errlen, const char *spec, size_t len,
			  const char *what)
{
	snprintf(errbuf, errlen, "alert sink '%.*s': %s", (int)(len > 200 ? 200 : len), spec, what);
	return AW_ECONFIG;
}

/* Copies n bytes of s into out (cap bytes), percent-decoding %XX when decode is set. */
static int alert_sink_copy(char *out, size_t cap, const char *s, size_t n, int decode)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (decode && c == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			char hex[3] = {s[i + 1], s[i + 2], 0};

			c = (char)strtol(hex, NULL, 16);
			i += 2;
		}
		if (o + 1 >= cap)
			return -1;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

/* redis://[[user]:password@]host[:port][/db] into spec (n bytes at url). */
static int alert_sink_parse_redis_url(alert_sink_spec_t *sp, const char *url, size_t n)
{
	const char *end = url + n, *at, *p, *hend, *slash;
	char num[16];
	char *e;
	long v;

	if (n < 8 || strncasecmp(url, "redis://", 8) != 0)
		return -1;
	p = url + 8;
	slash = memchr(p, '/', (size_t)(end - p));
	if (!slash)
		slash = end;
	/* The password may hold '@': the host starts after the last one. */
	for (at = slash; at > p && at[-1] != '@'; at--)
		;
	if (at > p) {
		const char *colon = memchr(p, ':', (size_t)(at - 1 - p));

		if (!colon)
			return -1; /* user without a password */
		if (alert_sink_copy(sp->user, sizeof(sp->user), p, (size_t)(colon - p), 1) < 0 ||
		    alert_sink_copy(sp->password, sizeof(sp->password), colon + 1,
				    (size_t)(at - 1 - colon - 1), 1) < 0)
			return -1;
		p = at;
	}
	sp->port = 6379;
	if (p < slash && *p == '[') {
		hend = memchr(p, ']', (size_t)(slash - p));
		if (!hend)
			return -1;
		if (alert_sink_copy(sp->host, sizeof(sp->host), p + 1, (size_t)(hend - p - 1), 0) <
		    0)
			return -1;
		hend++;
	} else {
		hend = memchr(p, ':', (size_t)(slash - p));
		if (!hend)
			hend = slash;
		if (alert_sink_copy(sp->host, sizeof(sp->host), p, (size_t)(hend - p), 0) < 0)
			return -1;
	}
	if (!sp->host[0])
		return -1;
	if (hend < slash) {
		if (*hend != ':' || slash - hend - 1 < 1 || slash - hend - 1 > 5)
			return -1;
		memcpy(num, hend + 1, (size_t)(slash - hend - 1));
		num[slash - hend - 1] = '\0';
		v = strtol(num, &e, 10);
		if (*e || v < 1 || v > 65535)
			return -1;
		sp->port = (int)v;
	}
	sp->db = 0;
	if (slash < end && end - slash > 1) {
		if (end - slash - 1 > 5)
			return -1;
		memcpy(num, slash + 1, (size_t)(end - slash - 1));
		num[end - slash - 1] = '\0';
		v = strtol(num, &e, 10);
		if (*e || v < 0 || v > 65535)
			return -1;
		sp->db = (int)v;
	}
	return 0;
}

static int alert_sink_facility(const char *s, size_t n)
{
	static const struct {
		const char *name;
		int v;
	} names[] = {
		{"user", LOG_USER},	    {"daemon", LOG_DAEMON}, {"auth", LOG_AUTH},
		{"authpriv", LOG_AUTHPRIV}, {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1},
		{"local2", LOG_LOCAL2},	    {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4},
		{"local5", LOG_LOCAL5},	    {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i].name) == n && strncasecmp(names[i].name, s, n) == 0)
			return names[i].v;
	return -1;
}

/* syslog[:FACILITY][:unix:PATH]; rest points after "syslog". */
static int alert_sink_parse_syslog(alert_sink_spec_t *sp, const char *rest, size_t n)
{
	const char *end = rest + n, *p = rest;

	sp->facility = LOG_LOCAL5;
	if (p == end)
		return 0;
	if (*p++ != ':')
		return -1;
	if ((size_t)(end - p) < 5 || strncmp(p, "unix:", 5) != 0) {
		const char *colon = memchr(p, ':', (size_t)(end - p));
		const char *fe = colon ? colon : end;

		sp->facility = alert_sink_facility(p, (size_t)(fe - p));
		if (sp->facility < 0)
			return -1;
		if (!colon)
			return 0;
		p = colon + 1;
		if ((size_t)(end - p) < 5 || strncmp(p, "unix:", 5) != 0)
			return -1;
	}
	p += 5;
	if (p == end || *p != '/')
		return -1;
	return alert_sink_copy(sp->unix_path, sizeof(sp->unix_path), p, (size_t)(end - p), 0);
}

/* The Redis kinds: URL#KEY, and for streams URL#KEY[#MAXLEN]. */
static int alert_sink_parse_redis(alert_sink_spec_t *sp, const char *rest, size_t n)
{
	const char *end = rest + n, *at = rest, *hash, *key, *kend, *q;

	/* '#' may be in a password: the key starts at the first '#' after the last '@'. */
	for (q = rest; q < end; q++)
		if (*q == '@')
			at = q;
	hash = memchr(at, '#', (size_t)(end - at));
	if (!hash)
		return -1;
	if (alert_sink_parse_redis_url(sp, rest, (size_t)(hash - rest)) < 0)
		return -1;
	key = hash + 1;
	kend = end;
	if (sp->kind == ALERT_SINK_REDIS_STREAM) {
		const char *h2 = memchr(key, '#', (size_t)(end - key));

		if (h2) {
			char num[24];
			char *e;
			unsigned long long v;

			if (end - h2 - 1 < 1 || end - h2 - 1 >= (long)sizeof(num))
				return -1;
			memcpy(num, h2 + 1, (size_t)(end - h2 - 1));
			num[end - h2 - 1] = '\0';
			if (!isdigit((unsigned char)num[0]))
				return -1;
			errno = 0;
			v = strtoull(num, &e, 10);
			if (*e || errno || v < 1)
				return -1;
			sp->maxlen = v;
			kend = h2;
		}
	}
	if (kend == key ||
	    alert_sink_copy(sp->key, sizeof(sp->key), key, (size_t)(kend - key), 0) < 0)
		return -1;
	snprintf(sp->target, sizeof(sp->target), "%s%.120s%s:%d/%d#%.200s",
		 strchr(sp->host, ':') ? "[" : "", sp->host, strchr(sp->host, ':') ? "]" : "",
		 sp->port, sp->db, sp->key);
	return 0;
}

int alert_sink_spec_parse(alert_sink_spec_t *sp, const char *spec, size_t len, char *errbuf,
			  size_t errlen)
{
	static const struct {
		const char *prefix;
		enum alert_sink_kind kind;
	} kinds[] = {
		{"redis-list:", ALERT_SINK_REDIS_LIST},
		{"redis-pubsub:", ALERT_SINK_REDIS_PUBSUB},
		{"redis-stream:", ALERT_SINK_REDIS_STREAM},
	};
	size_t i;

	memset(sp, 0, sizeof(*sp));
	if (len == 3 && strncmp(spec, "eve", 3) == 0) {
		sp->kind = ALERT_SINK_EVE;
		return 0;
	}
	if (len == 6 && strncmp(spec, "stdout", 6) == 0) {
		sp->kind = ALERT_SINK_STDOUT;
		snprintf(sp->target, sizeof(sp->target), "-");
		return 0;
	}
	if (len >= 6 && strncmp(spec, "syslog", 6) == 0) {
		sp->kind = ALERT_SINK_SYSLOG;
		if (alert_sink_parse_syslog(sp, spec + 6, len - 6) < 0)
			return alert_sink_err(errbuf, errlen, spec, len,
					      "want syslog[:FACILITY][:unix:/PATH]");
		snprintf(sp->target, sizeof(sp->target), "%s",
			 sp->unix_path[0] ? sp->unix_path : "syslog(3)");
		return 0;
	}
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t pl = strlen(kinds[i].prefix);

		if (len > pl && strncmp(spec, kinds[i].prefix, pl) == 0) {
			sp->kind = kinds[i].kind;
			if (alert_sink_parse_redis(sp, spec + pl, len - pl) < 0)
				return alert_sink_err(
					errbuf, errlen, spec, len,
					sp->kind == ALERT_SINK_REDIS_STREAM
						? "want redis-stream:redis://[:PASSWORD@]HOST[:PORT][/DB]#KEY[#MAXLEN]"
						: "want redis-list|redis-pubsub:redis://[:PASSWORD@]HOST[:PORT][/DB]#KEY");
			return 0;
		}
	}
	return alert_sink_err(errbuf, errlen, spec, len,
			      "unknown sink (eve, stdout, redis-list:, redis-pubsub:, "
			      "redis-stream:, syslog)");
}

/* Calls fn on each space-separated SPEC of list; stops at the first error. */
static int alert_sink_each(const char *list, int (*fn)(void *ud, const char *s, size_t n), void *ud)
{
	const char *p = list;
	int rc;

	for (;;) {
		const char *e;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			return 0;
		for (e = p; *e && *e != ' ' && *e != '\t'; e++)
			;
		rc = fn(ud, p, (size_t)(e - p));
		if (rc < 0)
			return rc;
		p = e;
	}
}

typedef struct alert_sink_check {
	char *errbuf;
	size_t errlen;
	int n, libc_syslog;
} alert_sink_check_t;

static int alert_sink_check_one(void *ud, const char *s, size_t n)
{
	alert_sink_check_t *c = ud;
	alert_sink_spec_t sp;
	int rc = alert_sink_spec_parse(&sp, s, n, c->errbuf, c->errlen);

	if (rc < 0)
		return rc;
	if (sp.kind == ALERT_SINK_EVE)
		return 0;
	if (sp.kind == ALERT_SINK_SYSLOG && !sp.unix_path[0] && c->libc_syslog++)
		return alert_sink_err(c->errbuf, c->errlen, s, n,
				      "syslog(3) is one per process: give it once");
	if (++c->n > ALERT_SINKS_MAX)
		return alert_sink_err(c->errbuf, c->errlen, s, n, "too many alert sinks");
	return 0;
}

int alert_sinks_check(const char *sinks, char *errbuf, size_t errlen)
{
	alert_sink_check_t c = {errbuf, errlen, 0, 0};

	return alert_sink_each(sinks, alert_sink_check_one, &c);
}

/* ------------------------------------------------------------------------------------------ */
/* The sinks */

typedef struct alert_msg {
	const char *json; /* without the '\n' */
	size_t jlen;
	const char *text;
	size_t tlen;
	unsigned severity;
} alert_msg_t;

/*
 * A batch: the lines the thread hands to one sink at once, copied out of the ring, and the
 * result of each. Results besides 0: AW_EINVAL, the sink refused that line (a Redis error
 * reply: the line is sent again a few times, then given up); AW_EIO, the line did not get
 * through (connection lost, socket missing: sent again after a backoff). Once a line of a
 * batch is AW_EIO, so is every later one: a sink stops at its first failed line.
 */
typedef struct alert_batch {
	unsigned n;
	int retry; /* the lines are the sink's refused lines, sent again */
	uint64_t at[ALERT_SINK_BATCH]; /* ring positions */
	alert_msg_t msg[ALERT_SINK_BATCH];
	int rc[ALERT_SINK_BATCH];
	/* What the delivery counted, added to the sink's figures under the lock. */
	unsigned round_trips, reconnects, oversize;
} alert_batch_t;

/* A line a Redis error reply refused, waiting to be sent again. */
typedef struct alert_retry {
	uint64_t at; /* ring position */
	unsigned tries; /* error replies so far */
} alert_retry_t;

typedef struct alert_sink {
	alert_sink_spec_t spec;
	redisContext *redis;
	int syslog_fd;
	int connected; /* a connection was made once: later ones are reconnects */
	uint64_t cursor; /* next line of the ring this sink has not taken */
	uint64_t retry_at; /* monotonic us: no delivery before */
	uint64_t backoff_us;
	int busy; /* the thread is delivering a batch to this sink */
	int flight_retry; /* ... of refused lines (else of lines from the cursor) */
	uint64_t flight_lo, flight_hi; /* lines from the cursor being delivered; lo moves up
					* as the full ring pushes them out */
	/* Refused lines, oldest first, all older than the cursor; they come from one batch, and
	 * are sent again before any newer line. */
	uint32_t nretry;
	alert_retry_t retry[ALERT_SINK_BATCH];
	alert_sink_info_t info; /* counters, under the ring's lock */
} alert_sink_t;

static const char *alert_sink_type(enum alert_sink_kind k)
{
	switch (k) {
	case ALERT_SINK_STDOUT:
		return "stdout";
	case ALERT_SINK_REDIS_LIST:
		return "redis-list";
	case ALERT_SINK_REDIS_PUBSUB:
		return "redis-pubsub";
	case ALERT_SINK_REDIS_STREAM:
		return "redis-stream";
	case ALERT_SINK_SYSLOG:
		return "syslog";
	default:
		return "eve";
	}
}

/* Marks lines i.. of the batch as not delivered (AW_EIO). */
static void alert_batch_fail_from(alert_batch_t *b, unsigned i)
{
	for (; i < b->n; i++)
		b->rc[i] = AW_EIO;
}

static int alert_stdout_write(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDOUT_FILENO, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return AW_EIO;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void alert_stdout_deliver(alert_batch_t *b)
{
	unsigned i;

	for (i = 0; i < b->n; i++) {
		/* The '\n' follows the line in the copy. */
		b->rc[i] = alert_stdout_write(b->msg[i].json, b->msg[i].jlen + 1);
		if (b->rc[i] < 0) {
			alert_batch_fail_from(b, i);
			return;
		}
	}
}

static void alert_redis_close(alert_sink_t *k)
{
	if (k->redis)
		redisFree(k->redis);
	k->redis = NULL;
}

/* Connects, then AUTH and SELECT in one round trip when the URL asks for them. */
static int alert_redis_connect(alert_sink_t *k, alert_batch_t *b)
{
	struct timeval tv = {ALERT_SINK_REDIS_TIMEOUT_US / 1000000,
			     ALERT_SINK_REDIS_TIMEOUT_US % 1000000};
	const alert_sink_spec_t *sp = &k->spec;
	redisContext *c = redisConnectWithTimeout(sp->host, sp->port, tv);
	int n = 0, i;

	if (!c || c->err) {
		if (c)
			redisFree(c);
		return AW_EIO;
	}
	k->redis = c;
	if (redisSetTimeout(c, tv) != REDIS_OK)
		goto fail;
	if (sp->password[0]) {
		if (sp->user[0])
			redisAppendCommand(c, "AUTH %s %s", sp->user, sp->password);
		else
			redisAppendCommand(c, "AUTH %s", sp->password);
		n++;
	}
	if (sp->db) {
		redisAppendCommand(c, "SELECT %d", sp->db);
		n++;
	}
	for (i = 0; i < n; i++) {
		redisReply *r = NULL;
		int ok = redisGetReply(c, (void **)&r) == REDIS_OK && r &&
			 r->type != REDIS_REPLY_ERROR;

		if (r)
			freeReplyObject(r);
		if (!ok)
			goto fail;
	}
	b->round_trips += n > 0;
	b->reconnects += k->connected;
	k->connected = 1;
	return 0;
fail:
	b->round_trips += n > 0;
	alert_redis_close(k);
	return AW_EIO;
}

/* Arguments of the longest command: XADD key MAXLEN ~ n * event json. */
#define ALERT_REDIS_ARGS 8

/*
 * One pipeline: every line of the batch as one command (LPUSH, PUBLISH or XADD), then every
 * reply. An error reply refuses its own line only: Redis runs the other commands all the same.
 * When the connection fails, the lines whose reply did not come are sent again after the
 * reconnection; Redis may have run some of them (at least once, as for any lost reply).
 */
static void alert_redis_deliver(alert_sink_t *k, alert_batch_t *b, uint64_t maxlen)
{
	const char *argv[ALERT_REDIS_ARGS];
	size_t lens[ALERT_REDIS_ARGS];
	char num[24];
	int argc = 0;
	unsigned i, sent;

	if (!k->redis && alert_redis_connect(k, b) < 0) {
		alert_batch_fail_from(b, 0);
		return;
	}
#define ALERT_ARG(s, n) (argv[argc] = (s), lens[argc++] = (n))
	switch (k->spec.kind) {
	case ALERT_SINK_REDIS_LIST:
		ALERT_ARG("LPUSH", 5);
		break;
	case ALERT_SINK_REDIS_PUBSUB:
		ALERT_ARG("PUBLISH", 7);
		break;
	default:
		ALERT_ARG("XADD", 4);
		break;
	}
	ALERT_ARG(k->spec.key, strlen(k->spec.key));
	if (k->spec.kind == ALERT_SINK_REDIS_STREAM) {
		snprintf(num, sizeof(num), "%llu",
			 (unsigned long long)(k->spec.maxlen ? k->spec.maxlen : maxlen));
		ALERT_ARG("MAXLEN", 6);
		ALERT_ARG("~", 1);
		ALERT_ARG(num, strlen(num));
		ALERT_ARG("*", 1);
		ALERT_ARG("event", 5);
	}
#undef ALERT_ARG
	for (sent = 0; sent < b->n; sent++) {
		argv[argc] = b->msg[sent].json;
		lens[argc] = b->msg[sent].jlen;
		if (redisAppendCommandArgv(k->redis, argc + 1, argv, lens) != REDIS_OK)
			break;
	}
	for (i = 0; i < sent; i++) {
		redisReply *r = NULL;

		/* The first call writes the whole pipeline, then each reads one reply. */
		if (redisGetReply(k->redis, (void **)&r) != REDIS_OK || !r)
			break;
		b->rc[i] = r->type == REDIS_REPLY_ERROR ? AW_EINVAL : 0;
		freeReplyObject(r);
	}
	b->round_trips += sent > 0;
	if (i < b->n) {
		alert_redis_close(k);
		alert_batch_fail_from(b, i);
	}
}

/*
 * The message of one line: the EVE event (json format) or the short text. A message longer
 * than max is oversize (1 returned): an event is then sent as the text form (a cut JSON object
 * would not parse), and a text is cut.
 */
static int alert_syslog_body(const alert_msg_t *m, int json, size_t max, const char **body,
			     size_t *len)
{
	*body = json ? m->json : m->text;
	*len = json ? m->jlen : m->tlen;
	if (*len <= max)
		return 0;
	*body = m->text;
	*len = m->tlen < max ? m->tlen : max;
	return 1;
}

/* RFC 3164 as syslog(3) sends it to /dev/log: <PRI>Mmm dd hh:mm:ss apiwatch[pid]: message. */
static int alert_syslog_unix_send(alert_sink_t *k, int pri, const char *body, size_t len)
{
	struct sockaddr_un sa;
	struct iovec iov[2];
	struct msghdr mh;
	char head[96];
	struct tm tm;
	time_t now = time(NULL);
	size_t n;
	int w;

	if (k->syslog_fd < 0) {
		/* A receiver that stops reading holds the thread at most this long per line. */
		struct timeval tv = {ALERT_SINK_SEND_TIMEOUT_US / 1000000,
				     ALERT_SINK_SEND_TIMEOUT_US % 1000000};

		k->syslog_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (k->syslog_fd < 0)
			return AW_EIO;
		setsockopt(k->syslog_fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	localtime_r(&now, &tm);
	w = snprintf(head, sizeof(head), "<%d>", k->spec.facility | pri);
	n = (size_t)w;
	n += strftime(head + n, sizeof(head) - n, "%b %e %H:%M:%S", &tm);
	w = snprintf(head + n, sizeof(head) - n, " apiwatch[%d]: ", (int)getpid());
	n += (size_t)w < sizeof(head) - n ? (size_t)w : sizeof(head) - n - 1;
	iov[0].iov_base = head;
	iov[0].iov_len = n;
	iov[1].iov_base = (void *)(uintptr_t)body;
	iov[1].iov_len = len;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, k->spec.unix_path, strlen(k->spec.unix_path));
	memset(&mh, 0, sizeof(mh));
	mh.msg_name = &sa;
	mh.msg_namelen = sizeof(sa);
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	if (sendmsg(k->syslog_fd, &mh, MSG_NOSIGNAL) < 0)
		return AW_EIO;
	return 0;
}

static void alert_syslog_deliver(alert_sink_t *k, alert_batch_t *b, int json, size_t max)
{
	unsigned i;

	for (i = 0; i < b->n; i++) {
		const alert_msg_t *m = &b->msg[i];
		/* Severity 1 (high) is an error, 2 a warning, 3 and beyond a notice. */
		int pri = m->severity <= 1 ? LOG_ERR : m->severity == 2 ? LOG_WARNING : LOG_NOTICE;
		const char *body;
		size_t len;
		int oversize = alert_syslog_body(m, json, max, &body, &len);

		if (!k->spec.unix_path[0]) {
			syslog(pri, "%.*s", (int)len, body);
			b->rc[i] = 0;
		} else {
			b->rc[i] = alert_syslog_unix_send(k, pri, body, len);
		}
		if (b->rc[i] < 0) {
			alert_batch_fail_from(b, i);
			return;
		}
		b->oversize += oversize; /* once per message, not per attempt */
	}
}

static void alert_sink_close(alert_sink_t *k)
{
	alert_redis_close(k);
	if (k->syslog_fd >= 0)
		close(k->syslog_fd);
	k->syslog_fd = -1;
	if (k->spec.kind == ALERT_SINK_SYSLOG && !k->spec.unix_path[0])
		closelog();
}

/* ------------------------------------------------------------------------------------------ */
/* The ring and the sink thread */

typedef struct alert_line {
	char *buf; /* JSON line with its '\n', then the text form */
	size_t size;
	uint32_t jlen, tlen; /* jlen without the '\n' */
	uint8_t severity;
} alert_line_t;

struct alert_sinks {
	mem_account_t *acct;
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t work; /* the thread waits here for lines, a retry time or stop */
	pthread_cond_t done; /* the drain waits here for progress */
	alert_line_t *ring;
	uint32_t n; /* slots */
	uint64_t head; /* lines queued so far */
	uint64_t tail; /* oldest line still held */
	uint64_t queue_full; /* lines pushed out of the full ring */
	uint64_t maxlen;
	int syslog_json; /* alert.syslog.format is json */
	size_t syslog_max; /* alert.syslog.max-message */
	int stop; /* exit once every sink has taken every line */
	int abort; /* exit now (the drain timed out, or the stage is freed) */
	char *scratch; /* the thread's copy of the batch it delivers */
	alert_batch_t batch; /* the thread's */
	int nsinks;
	int turn; /* the sink the thread looks at first */
	alert_sink_t sink[ALERT_SINKS_MAX];
};

static void alert_sink_deliver(alert_sinks_t *s, alert_sink_t *k, alert_batch_t *b)
{
	switch (k->spec.kind) {
	case ALERT_SINK_STDOUT:
		alert_stdout_deliver(b);
		break;
	case ALERT_SINK_SYSLOG:
		alert_syslog_deliver(k, b, s->syslog_json, s->syslog_max);
		break;
	default:
		alert_redis_deliver(k, b, s->maxlen);
		break;
	}
}

/* The oldest line the sink still needs; under the lock. */
static uint64_t alert_sink_hold(const alert_sink_t *k)
{
	uint64_t h = k->cursor;

	if (k->busy && !k->flight_retry && k->flight_lo < k->flight_hi && k->flight_lo < h)
		h = k->flight_lo;
	if (k->nretry && k->retry[0].at < h)
		h = k->retry[0].at;
	return h;
}

/* The oldest line some sink still needs; called under the lock. */
static void alert_sinks_advance_tail(alert_sinks_t *s)
{
	uint64_t t = s->head;
	int i;

	for (i = 0; i < s->nsinks; i++) {
		uint64_t h = alert_sink_hold(&s->sink[i]);

		if (h < t)
			t = h;
	}
	/* A line the full ring pushed out during a delivery is settled by its result. */
	if (t > s->tail)
		s->tail = t;
}

/* The full ring pushes out its oldest line, at: the sink drops it unless it is being
 * delivered (the delivery's result settles those). Under the lock. */
static void alert_sink_evict(alert_sink_t *k, uint64_t at)
{
	if (k->cursor == at) {
		k->cursor++;
		k->info.queue_drops++;
	} else if (k->busy && !k->flight_retry && k->flight_lo == at) {
		k->flight_lo++;
	} else if (k->nretry && k->retry[0].at == at && !(k->busy && k->flight_retry)) {
		k->nretry--;
		memmove(k->retry, k->retry + 1, k->nretry * sizeof(k->retry[0]));
		k->info.queue_drops++;
	}
}

/* A sink that has a line and may try now, taking turns; -1 when none. *wait_us: until the
 * next retry. */
static int alert_sinks_pick(alert_sinks_t *s, uint64_t now, uint64_t *wait_us)
{
	int j;

	*wait_us = UINT64_MAX;
	for (j = 0; j < s->nsinks; j++) {
		int i = (s->turn + j) % s->nsinks;
		alert_sink_t *k = &s->sink[i];

		if (k->cursor >= s->head && !k->nretry)
			continue;
		if (k->retry_at <= now) {
			s->turn = (i + 1) % s->nsinks;
			return i;
		}
		if (k->retry_at - now < *wait_us)
			*wait_us = k->retry_at - now;
	}
	return -1;
}

/* Copies the sink's next batch out of the ring: its refused lines if it has some, else lines
 * from its cursor, up to ALERT_SINK_BATCH lines and ALERT_SINK_BATCH_BYTES. Under the lock. */
static void alert_sinks_take(alert_sinks_t *s, alert_sink_t *k, alert_batch_t *b)
{
	size_t off = 0;
	unsigned n = 0;

	b->round_trips = b->reconnects = b->oversize = 0;
	b->retry = k->nretry > 0;
	for (;;) {
		const alert_line_t *l;
		alert_msg_t *m = &b->msg[n];
		uint64_t at;
		size_t need;

		if (b->retry ? n == k->nretry : n == ALERT_SINK_BATCH || k->cursor + n >= s->head)
			break;
		at = b->retry ? k->retry[n].at : k->cursor + n;
		l = &s->ring[at % s->n];
		need = (size_t)l->jlen + 1 + l->tlen;
		if (n && off + need > ALERT_SINK_BATCH_BYTES)
			break;
		memcpy(s->scratch + off, l->buf, need);
		m->json = s->scratch + off;
		m->jlen = l->jlen;
		m->text = s->scratch + off + l->jlen + 1;
		m->tlen = l->tlen;
		m->severity = l->severity;
		b->at[n] = at;
		b->rc[n] = AW_EIO;
		off += need;
		n++;
	}
	b->n = n;
	k->busy = 1;
	k->flight_retry = b->retry;
	if (!b->retry) {
		k->flight_lo = k->cursor;
		k->flight_hi = k->cursor + n;
		k->cursor += n;
	}
}

/* Settles a batch of refused lines sent again: delivered, refused once more (given up at
 * ALERT_SINK_TRIES), kept, or pushed out of the ring meanwhile. Under the lock. */
static void alert_sinks_result_retry(alert_sinks_t *s, alert_sink_t *k, const alert_batch_t *b)
{
	uint32_t i, o = 0;

	for (i = 0; i < k->nretry; i++) {
		alert_retry_t r = k->retry[i];
		int rc = i < b->n ? b->rc[i] : AW_EIO;

		if (rc == 0) {
			k->info.delivered++;
			continue;
		}
		if (rc == AW_EINVAL && ++r.tries >= ALERT_SINK_TRIES) {
			k->info.rejected++;
			continue;
		}
		if (r.at < s->tail) {
			k->info.queue_drops++;
			continue;
		}
		k->retry[o++] = r;
	}
	k->nretry = o;
}

/* Settles a batch of lines taken from the cursor. Refused lines wait in the retry list; from
 * the first line that did not get through, the cursor goes back to send them again (those
 * the full ring pushed out meanwhile are dropped). Under the lock. */
static void alert_sinks_result_fresh(alert_sinks_t *s, alert_sink_t *k, const alert_batch_t *b)
{
	unsigned i;

	for (i = 0; i < b->n && b->rc[i] != AW_EIO; i++) {
		if (b->rc[i] == 0) {
			k->info.delivered++;
		} else if (b->at[i] < s->tail) {
			k->info.queue_drops++;
		} else {
			k->retry[k->nretry].at = b->at[i];
			k->retry[k->nretry++].tries = 1;
		}
	}
	if (i < b->n) {
		uint64_t from = b->at[i] > s->tail ? b->at[i] : s->tail;

		for (; i < b->n && b->at[i] < s->tail; i++)
			k->info.queue_drops++;
		/* Once the whole batch left the ring, the cursor is where the ring put it. */
		if (from < k->flight_hi)
			k->cursor = from;
	}
}

/* The results of one batch; under the lock. */
static void alert_sinks_result(alert_sinks_t *s, alert_sink_t *k, const alert_batch_t *b,
			       uint64_t now)
{
	unsigned i, refused = 0, lost = 0;

	for (i = 0; i < b->n; i++) {
		refused += b->rc[i] == AW_EINVAL;
		lost += b->rc[i] == AW_EIO;
	}
	k->busy = 0;
	k->info.round_trips += b->round_trips;
	k->info.reconnects += b->reconnects;
	k->info.oversize += b->oversize;
	if (b->retry)
		alert_sinks_result_retry(s, k, b);
	else
		alert_sinks_result_fresh(s, k, b);
	/* One failed attempt for a line refused, one for a batch that did not get through. */
	k->info.failed += refused + (lost > 0);
	if (refused || lost) {
		k->backoff_us = k->backoff_us ? k->backoff_us * 2 : ALERT_SINK_BACKOFF_MIN_US;
		if (k->backoff_us > ALERT_SINK_BACKOFF_MAX_US)
			k->backoff_us = ALERT_SINK_BACKOFF_MAX_US;
		k->retry_at = now + k->backoff_us;
	} else {
		k->backoff_us = 0;
	}
	alert_sinks_advance_tail(s);
	pthread_cond_broadcast(&s->done);
}

/* Waits for work: lines, the next retry time (wait_us), or stop; under the lock. */
static void alert_sinks_idle(alert_sinks_t *s, uint64_t wait_us)
{
	if (wait_us == UINT64_MAX) {
		pthread_cond_wait(&s->work, &s->mu);
		return;
	}
	aw_cond_wait_us(&s->work, &s->mu, wait_us);
}

static void *alert_sinks_main(void *arg)
{
	alert_sinks_t *s = arg;
	uint64_t wait_us;
	int i;

	pthread_setname_np(pthread_self(), "aw-alerts");
	pthread_mutex_lock(&s->mu);
	while (!s->abort) {
		i = alert_sinks_pick(s, aw_now_us(), &wait_us);
		if (i < 0) {
			/* Stop once every sink has every line; a sink in backoff is waited for
			 * (the drain sets abort when its time is up). */
			if (s->stop && s->tail >= s->head)
				break;
			alert_sinks_idle(s, wait_us);
			continue;
		}
		alert_sinks_take(s, &s->sink[i], &s->batch);
		pthread_mutex_unlock(&s->mu);
		alert_sink_deliver(s, &s->sink[i], &s->batch);
		pthread_mutex_lock(&s->mu);
		alert_sinks_result(s, &s->sink[i], &s->batch, aw_now_us());
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

typedef struct alert_sinks_build {
	alert_sinks_t *s;
	int eve;
	char *errbuf;
	size_t errlen;
} alert_sinks_build_t;

static int alert_sinks_add(void *ud, const char *spec, size_t n)
{
	alert_sinks_build_t *b = ud;
	alert_sink_t *k;
	alert_sink_spec_t sp;
	int rc = alert_sink_spec_parse(&sp, spec, n, b->errbuf, b->errlen);

	if (rc < 0)
		return rc;
	if (sp.kind == ALERT_SINK_EVE) {
		b->eve = 1;
		return 0;
	}
	k = &b->s->sink[b->s->nsinks++];
	k->spec = sp;
	k->syslog_fd = -1;
	k->info.type = alert_sink_type(sp.kind);
	k->info.target = k->spec.target;
	if (sp.kind == ALERT_SINK_SYSLOG && !sp.unix_path[0])
		openlog("apiwatch", LOG_PID | LOG_NDELAY, sp.facility);
	return 0;
}

int alert_sinks_new(alert_sinks_t **out, const alert_config_t *cfg, mem_account_t *acct,
		    int *eve_listed, char *errbuf, size_t errlen)
{
	alert_sinks_build_t b = {NULL, 0, errbuf, errlen};
	alert_sinks_t *s;
	int rc;

	*out = NULL;
	*eve_listed = 0;
	rc = alert_sinks_check(cfg->sinks, errbuf, errlen);
	if (rc < 0)
		return rc;
	s = mem_calloc(acct, sizeof(*s));
	if (!s)
		return AW_ENOMEM;
	s->acct = acct;
	s->maxlen = cfg->stream_maxlen;
	s->syslog_json = cfg->syslog_format == ALERT_SYSLOG_JSON;
	s->syslog_max = cfg->syslog_max_message ? (size_t)cfg->syslog_max_message : 1;
	b.s = s;
	alert_sink_each(cfg->sinks, alert_sinks_add, &b);
	*eve_listed = b.eve;
	if (!s->nsinks) {
		mem_free(acct, s, sizeof(*s));
		return 0;
	}
	s->n = cfg->sink_queue ? cfg->sink_queue : 1;
	s->ring = mem_calloc(acct, (size_t)s->n * sizeof(*s->ring));
	s->scratch = mem_alloc(acct, ALERT_SINK_BATCH_BYTES);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->work, NULL);
	pthread_cond_init(&s->done, NULL);
	if (!s->ring || !s->scratch ||
	    (rc = pthread_create(&s->thread, NULL, alert_sinks_main, s)) != 0) {
		snprintf(errbuf, errlen, "cannot start the alert sinks: %s",
			 s->ring && s->scratch ? strerror(rc) : "out of memory");
		alert_sinks_free(s);
		return AW_ENOMEM;
	}
	s->started = 1;
	*out = s;
	return 0;
}

void alert_sinks_push(alert_sinks_t *s, const char *json, size_t jlen, const char *text,
		      size_t tlen, unsigned severity)
{
	alert_line_t *l;
	size_t need;
	int i;

	if (jlen && json[jlen - 1] == '\n')
		jlen--;
	need = jlen + 1 + tlen;
	pthread_mutex_lock(&s->mu);
	if (need > ALERT_SINK_LINE_MAX) {
		s->queue_full++;
		for (i = 0; i < s->nsinks; i++)
			s->sink[i].info.queue_drops++;
		pthread_mutex_unlock(&s->mu);
		return;
	}
	if (s->head - s->tail >= s->n) {
		/* Full: the oldest line leaves, for the sinks that had not taken it yet. */
		s->queue_full++;
		for (i = 0; i < s->nsinks; i++)
			alert_sink_evict(&s->sink[i], s->tail);
		s->tail++;
	}
	l = &s->ring[s->head % s->n];
	if (l->size < need) {
		char *nb = mem_realloc(s->acct, l->buf, l->size, need);

		if (!nb) {
			s->queue_full++;
			for (i = 0; i < s->nsinks; i++)
				s->sink[i].info.queue_drops++;
			pthread_mutex_unlock(&s->mu);
			return;
		}
		l->buf = nb;
		l->size = need;
	}
	memcpy(l->buf, json, jlen);
	l->buf[jlen] = '\n';
	memcpy(l->buf + jlen + 1, text, tlen);
	l->jlen = (uint32_t)jlen;
	l->tlen = (uint32_t)tlen;
	l->severity = (uint8_t)(severity > 255 ? 255 : severity);
	s->head++;
	pthread_cond_signal(&s->work);
	pthread_mutex_unlock(&s->mu);
}

/* Waits on cond until the monotonic deadline, at most 50 ms at a time; under the lock. */
static void alert_sinks_wait(alert_sinks_t *s, uint64_t deadline)
{
	uint64_t now = aw_now_us();

	aw_cond_wait_us(&s->done, &s->mu, deadline - now < 50000 ? deadline - now : 50000);
}

/* Stops the thread: at once, or (drain) once it has delivered everything. */
static void alert_sinks_stop(alert_sinks_t *s, uint64_t deadline)
{
	int i, busy;

	pthread_mutex_lock(&s->mu);
	s->stop = 1;
	pthread_cond_signal(&s->work);
	while (s->tail < s->head && aw_now_us() < deadline)
		alert_sinks_wait(s, deadline);
	/* A batch being delivered finishes first (bounded by the Redis timeout), so that its
	 * lines are counted once, delivered or not. */
	s->abort = 1;
	pthread_cond_signal(&s->work);
	do {
		busy = 0;
		for (i = 0; i < s->nsinks; i++)
			busy |= s->sink[i].busy;
		if (busy)
			alert_sinks_wait(s, aw_now_us() + 50000);
	} while (busy);
	for (i = 0; i < s->nsinks; i++) {
		alert_sink_t *k = &s->sink[i];

		k->info.undelivered += s->head - k->cursor + k->nretry;
		k->cursor = s->head;
		k->nretry = 0;
	}
	s->tail = s->head;
	pthread_mutex_unlock(&s->mu);
	if (s->started)
		pthread_join(s->thread, NULL);
	s->started = 0;
}

void alert_sinks_drain(alert_sinks_t *s, uint64_t timeout_us)
{
	if (s && s->started)
		alert_sinks_stop(s, aw_now_us() + timeout_us);
}

void alert_sinks_free(alert_sinks_t *s)
{
	uint32_t i;
	int k;

	if (!s)
		return;
	if (s->started)
		alert_sinks_stop(s, 0);
	for (k = 0; k < s->nsinks; k++)
		alert_sink_close(&s->sink[k]);
	pthread_cond_destroy(&s->done);
	pthread_cond_destroy(&s->work);
	pthread_mutex_destroy(&s->mu);
	for (i = 0; s->ring && i < s->n; i++)
		mem_free(s->acct, s->ring[i].buf, s->ring[i].size);
	mem_free(s->acct, s->ring, (size_t)s->n * sizeof(*s->ring));
	mem_free(s->acct, s->scratch, ALERT_SINK_BATCH_BYTES);
	mem_free(s->acct, s, sizeof(*s));
}

unsigned alert_sinks_count(const alert_sinks_t *s)
{
	return s ? (unsigned)s->nsinks : 0;
}

void alert_sinks_info(const alert_sinks_t *s, unsigned i, alert_sink_info_t *out)
{
	alert_sinks_t *m = (alert_sinks_t *)s; /* logically const: the lock */

	pthread_mutex_lock(&m->mu);
	*out = s->sink[i].info;
	pthread_mutex_unlock(&m->mu);
}

uint64_t alert_sinks_queue_full(const alert_sinks_t *s)
{
	alert_sinks_t *m = (alert_sinks_t *)s;
	uint64_t v;

	if (!s)
		return 0;
	pthread_mutex_lock(&m->mu);
	v = s->queue_full;
	pthread_mutex_unlock(&m->mu);
	return v;
}

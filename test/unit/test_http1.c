/*
 * test_http1.c - the HTTP/1.x dissector: transactions, framing, pairing, gaps, malformed input,
 * caps, bodies and their decoding, and the http event: its redaction and its header cache.
 *
 * Every conversation is fed whole, then split at every byte of every segment, then one byte
 * at a time; each way must give the same records (described as text, compared as strings).
 */
#include "test_common.h"

#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#include "api_call.h"
#include "config.h"
#include "dissector.h"
#include "error.h"
#include "http1.h"
#include "http1_private.h"
#include "output_http.h"

/* ------------------------------------------------------------------------------------------ */
/* Harness */

enum { T_DATA, T_GAP, T_CLOSE };

typedef struct t_step {
	int kind, dir;
	const char *data;
	size_t len; /* 0: strlen(data) */
	uint64_t gap;
} t_step_t;

#define D(dir, s)                        \
	{                                \
		T_DATA, (dir), (s), 0, 0 \
	}
#define DN(dir, s, n)                      \
	{                                  \
		T_DATA, (dir), (s), (n), 0 \
	}
#define GAP(dir, n)                        \
	{                                  \
		T_GAP, (dir), NULL, 0, (n) \
	}
#define CLOSE(dir)                         \
	{                                  \
		T_CLOSE, (dir), NULL, 0, 0 \
	}

typedef struct t_run {
	char *log;
	size_t len, cap;
	int records, anomalies, detached, done;
	char last_anomaly[64];
	char last_reason[64];
	api_call_t *keep; /* when set, the next record is kept instead of released */
	int keep_next;
} t_run_t;

static void t_append(t_run_t *r, const char *s, size_t n)
{
	if (r->len + n + 1 > r->cap) {
		r->cap = (r->len + n + 1) * 2;
		r->log = realloc(r->log, r->cap);
		assert_non_null(r->log);
	}
	memcpy(r->log + r->len, s, n);
	r->len += n;
	r->log[r->len] = '\0';
}

static void t_printf(t_run_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void t_printf(t_run_t *r, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	t_append(r, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static void t_slice(t_run_t *r, const char *key, aw_slice_t s)
{
	t_printf(r, " %s=", key);
	t_append(r, s.ptr ? s.ptr : "-", s.ptr ? s.len : 1);
}

static uint32_t t_fnv(const aw_slice_t *s)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < s->len; i++)
		h = (h ^ (unsigned char)s->ptr[i]) * 16777619u;
	return h;
}

static void t_message(t_run_t *r, const char *side, api_call_t *c, int dir)
{
	api_message_t *m = dir ? &c->resp : &c->req;
	const aw_slice_t *body = api_call_body(c, dir);
	uint32_t i;

	t_printf(r, " %s{p=%d hdrs=%u", side, m->progress, m->nheaders);
	for (i = 0; i < m->nheaders; i++) {
		t_append(r, " ", 1);
		t_append(r, m->headers[i].name.ptr, m->headers[i].name.len);
		t_append(r, ":", 1);
		t_append(r, m->headers[i].value.ptr, m->headers[i].value.len);
	}
	t_printf(r, " cl=%lld wire=%llu framed=%llu dec=%lld enc=%d body=%zu/%08x}",
		 (long long)m->content_length, (unsigned long long)m->body_wire_bytes,
		 (unsigned long long)m->body_framed_bytes,
		 m->body_bytes == API_SIZE_UNKNOWN ? -1LL : (long long)m->body_bytes, m->encoding,
		 body->len, t_fnv(body));
}

static void t_emit(dissector_env_t *env, api_call_t *c)
{
	t_run_t *r = env->ud;

	r->records++;
	api_call_body(c, 0); /* decoding may add flags */
	api_call_body(c, 1);
	t_printf(r, "tx=%llu flags=%x", (unsigned long long)c->tx_id, c->flags);
	t_slice(r, "m", c->method);
	t_slice(r, "u", c->url);
	t_slice(r, "path", c->path);
	t_slice(r, "q", c->query);
	t_slice(r, "host", c->host);
	t_printf(r, " port=%d", c->port);
	t_slice(r, "proto", c->protocol);
	t_printf(r, " st=%d", c->status);
	t_slice(r, "stx", c->status_text);
	t_printf(r, " interim=%u", c->interim);
	t_message(r, "req", c, 0);
	t_message(r, "resp", c, 1);
	t_append(r, "\n", 1);
	if (r->keep_next && !r->keep) {
		r->keep = c;
		return;
	}
	api_call_release(c);
}

static void t_anomaly(dissector_env_t *env, const flow_t *f, int dir, uint64_t tx_id,
		      const char *app_proto, const char *event, const char *reason)
{
	t_run_t *r = env->ud;

	(void)f;
	(void)dir;
	(void)tx_id;
	(void)app_proto;
	r->anomalies++;
	snprintf(r->last_anomaly, sizeof(r->last_anomaly), "%s", event);
	snprintf(r->last_reason, sizeof(r->last_reason), "%s", reason ? reason : "");
}

typedef struct t_ctx {
	aw_config_t cfg;
	mem_account_t mem;
	dissector_env_t env;
	void *ctx;
	flow_t flow;
	t_run_t run;
} t_ctx_t;

static void t_setup(t_ctx_t *t, const aw_config_t *cfg)
{
	memset(t, 0, sizeof(*t));
	if (cfg)
		t->cfg = *cfg;
	else
		config_default(&t->cfg);
	mem_account_init(&t->mem, "dissector", 0);
	t->env.cfg = &t->cfg;
	t->env.mem = &t->mem;
	t->env.now_us = 1700000000000000ull;
	t->env.pcap_cnt = 1;
	t->env.emit = t_emit;
	t->env.anomaly = t_anomaly;
	t->env.ud = &t->run;
	assert_int_equal(http1_dissector.ctx_new(&t->ctx, &t->env), 0);
}

static void t_teardown(t_ctx_t *t)
{
	api_call_release(t->run.keep);
	http1_dissector.ctx_free(t->ctx);
	assert_int_equal(t->mem.in_use, 0);
	free(t->run.log);
}

/* Gives one piece to the dissector, as the pipeline does. */
static void t_feed(t_ctx_t *t, void *st, int dir, const char *p, size_t n)
{
	int rc;

	if (t->run.detached || t->run.done)
		return;
	rc = http1_dissector.on_data(st, dir, (const uint8_t *)p, n);
	if (rc < 0)
		t->run.detached = 1;
	else if (rc == DISSECTOR_DONE)
		t->run.done = 1;
	http1_dissector.on_packet(st, dir);
}

/*
 * Runs a conversation. mode 0: segments whole; 1: segment `which` split at byte `at`;
 * 2: every segment one byte at a time. Returns the record log (owned by t).
 */
static const char *t_run(t_ctx_t *t, const t_step_t *steps, size_t nsteps, int mode, size_t which,
			 size_t at)
{
	void *st;
	size_t i, j;

	t->run.len = 0;
	t->run.records = t->run.anomalies = t->run.detached = t->run.done = 0;
	t_append(&t->run, "", 0);
	memset(&t->flow, 0, sizeof(t->flow));
	st = http1_dissector.state_new(t->ctx, &t->flow);
	assert_non_null(st);
	for (i = 0; i < nsteps; i++) {
		const t_step_t *s = &steps[i];
		size_t n = s->len ? s->len : (s->data ? strlen(s->data) : 0);

		if (s->kind == T_GAP) {
			if (!t->run.detached && !t->run.done &&
			    http1_dissector.on_gap(st, s->dir, s->gap) < 0)
				t->run.detached = 1;
			continue;
		}
		if (s->kind == T_CLOSE) {
			if (!t->run.detached && !t->run.done &&
			    http1_dissector.on_close(st, s->dir) < 0)
				t->run.detached = 1;
			http1_dissector.on_packet(st, s->dir);
			continue;
		}
		if (mode == 2) {
			for (j = 0; j < n; j++)
				t_feed(t, st, s->dir, s->data + j, 1);
		} else if (mode == 1 && i == which && at > 0 && at < n) {
			t_feed(t, st, s->dir, s->data, at);
			t_feed(t, st, s->dir, s->data + at, n - at);
		} else {
			t_feed(t, st, s->dir, s->data, n);
		}
	}
	http1_dissector.state_free(st);
	return t->run.log;
}

/* The conversation gives the same records however its segments are cut; returns them. */
static char *t_run_all_splits(t_ctx_t *t, const t_step_t *steps, size_t nsteps)
{
	char *whole = strdup(t_run(t, steps, nsteps, 0, 0, 0));
	size_t i, at;

	for (i = 0; i < nsteps; i++) {
		size_t n = steps[i].kind == T_DATA
				   ? (steps[i].len ? steps[i].len : strlen(steps[i].data))
				   : 0;

		for (at = 1; at < n; at++) {
			const char *got = t_run(t, steps, nsteps, 1, i, at);

			if (strcmp(got, whole) != 0) {
				print_error("segment %zu split at %zu:\n%s\nwhole:\n%s\n", i, at,
					    got, whole);
				fail();
			}
		}
	}
	if (strcmp(t_run(t, steps, nsteps, 2, 0, 0), whole) != 0) {
		print_error("one byte at a time:\n%s\nwhole:\n%s\n", t->run.log, whole);
		fail();
	}
	return whole;
}

static int t_count(const char *log, const char *needle)
{
	int n = 0;

	while ((log = strstr(log, needle)) != NULL) {
		n++;
		log++;
	}
	return n;
}

#define SPLIT_TEST(steps, out)                                                              \
	do {                                                                                \
		t_ctx_t t_;                                                                 \
		t_setup(&t_, NULL);                                                         \
		(out) = t_run_all_splits(&t_, (steps), sizeof(steps) / sizeof((steps)[0])); \
		t_teardown(&t_);                                                            \
	} while (0)

/* ------------------------------------------------------------------------------------------ */
/* Transactions */

static void test_http1_basic(void **state)
{
	static const t_step_t steps[] = {
		D(0, "GET /api/users/7?expand=1&x=%41 HTTP/1.1\r\nHost: API.Example.com:8080\r\n"
		     "User-Agent: curl/8\r\nAccept: */*\r\n\r\n"),
		D(1, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 14\r\n"
		     "\r\n{\"id\":7,\"a\":1}"),
		CLOSE(0),
		CLOSE(1),
	};
	char *log;

	(void)state;
	SPLIT_TEST(steps, log);
	assert_int_equal(t_count(log, " flags="), 1);
	assert_non_null(strstr(log, " m=GET u=/api/users/7?expand=1&x=%41 path=/api/users/7 "
				    "q=expand=1&x=%41 host=api.example.com port=8080 "
				    "proto=HTTP/1.1 st=200 stx=200"));
	assert_non_null(strstr(log, "cl=14 wire=14 framed=14 dec=14 enc=0 body=14/"));
	free(log);
}

static void test_http1_pipelined(void **state)
{
	static const t_step_t steps[] = {
		D(0, "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n"
		     "POST /3 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
		     "GET /4 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"),
		D(1, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1HTTP/1.1 404 Not Found\r\n"
		     "Content-Length: 0\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n"
		     "ok"),
		D(1, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nbye"),
		CLOSE(1),
		CLOSE(0),
	};
	char *log;

	(void)state;
	SPLIT_TEST(steps, log);
	assert_int_equal(t_count(log, " flags="), 4);
	assert_non_null(strstr(log, "tx=0 flags=0 m=GET u=/1 "));
	assert_non_null(strstr(log, "tx=1 flags=0 m=GET u=/2 "));
	assert_non_null(strstr(log, "u=/2 path=/2 q=- host=a port=-1 proto=HTTP/1.1 st=404"));
	assert_non_null(strstr(log, "u=/3 path=/3 q=- host=a port=-1 proto=HTTP/1.1 st=201"));
	/* The last response ends with the stream (close-delimited). */
	assert_non_null(strstr(log, "u=/4 path=/4 q=- host=a port=-1 proto=HTTP/1.1 st=200"));
	assert_non_null(strstr(log, "cl=-1 wire=3 framed=3 dec=3 enc=0 body=3/"));
	free(log);
}

static void test_http1_many_pipelined(void **state)
{
	char req[64 * 40], resp[64 * 60];
	size_t rl = 0, sl = 0;
	t_ctx_t t;
	int i;

	(void)state;
	for (i = 0; i < 64; i++) {
		rl += (size_t)snprintf(req + rl, sizeof(req) - rl, "GET /%d HTTP/1.1\r\n\r\n", i);
		sl += (size_t)snprintf(resp + sl, sizeof(resp) - sl,
				       "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n%02d", i);
	}
	{
		const t_step_t steps[] = {DN(0, req, rl), DN(1, resp, sl)};

		t_setup(&t, NULL);
		t_run(&t, steps, 2, 0, 0, 0);
		assert_int_equal(t.run.records, 64);
		assert_int_equal(t_count(t.run.log, "flags=0 "), 64);
		assert_non_null(strstr(t.run.log, "tx=63 flags=0 m=GET u=/63 "));
		t_teardown(&t);
	}
}

static void test_http1_pending_cap(void **state)
{
	aw_config_t cfg;
	char req[16 * 32];
	size_t rl = 0;
	t_ctx_t t;
	int i;

	(void)state;
	config_default(&cfg);
	cfg.http.max_pending = 4;
	for (i = 0; i < 10; i++)
		rl += (size_t)snprintf(req + rl, sizeof(req) - rl, "GET /%d HTTP/1.1\r\n\r\n", i);
	{
		const t_step_t steps[] = {
			DN(0, req, rl),
			D(1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
		};

		t_setup(&t, &cfg);
		t_run(&t, steps, 2, 0, 0, 0);
		/* Ten requests, the oldest logged early (no response, evicted); the first
		 * response belongs to an evicted request, so it is logged on its own. */
		assert_int_equal(t.run.records, 11);
		assert_int_equal(t_count(t.run.log, "flags=2004"), 7);
		assert_int_equal(t_count(t.run.log, "flags=8 "), 1);
		t_teardown(&t);
	}
}

static void test_http1_continue(void **state)
{
	static const t_step_t steps[] = {
		D(0, "POST /upload HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
		     "Content-Length: 5\r\n\r\n"),
		D(1, "HTTP/1.1 100 Continue\r\n\r\n"),
		D(0, "hello"),
		D(1, "HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n"
		     "\r\nok"),
	};
	char *log;

	(void)state;
	SPLIT_TEST(steps, log);
	assert_int_equal(t_count(log, " flags="), 1);
	assert_non_null(strstr(log, "flags=800 m=POST"));
	assert_non_null(strstr(log, "st=202 stx=202 interim=2"));
	free(log);
}

static void test_http1_no_body_responses(void **state)
{
	static const t_step_t steps[] = {
		D(0, "HEAD /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\nGET /c HTTP/1.1\r\n\r\n"
		     "DELETE /d HTTP/1.1\r\n\r\n"),
		D(1, "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nContent-Type: text/html\r\n\r\n"
		     "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nETag: x\r\n\r\n"
		     "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"),
	};
	char *log;

	(void)state;
	SPLIT_TEST(steps, log);
	assert_int_equal(t_count(log, " flags="), 4);
	assert_int_equal(t_count(log, "flags=0 "), 3);
	/* A 204 with a Content-Length is answered with an anomaly, as libhtp does. */
	assert_non_null(strstr(log, "tx=3 flags=20 m=DELETE"));
	assert_non_null(strstr(log, "m=HEAD"));
	assert_non_null(strstr(log, "cl=1234 wire=0 framed=0"));
	free(log);
}

static void test_http1_chunked(void **state)
{
	static const t_step_t steps[] = {
		D(0, "POST /ev HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
		     "4;name=value\r\nabcd\r\n0\r\nX-Checksum: 42\r\n\r\n"),
		D(1, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
		     "006\r\n world\r\n0\r\nX-Trailer: t1\r\nX-Other: t2\r\n\r\n"),
	};
	char *log;

	(void)state;
	SPLIT_TEST(steps, log);
	assert_int_equal(t_count(log, " flags="), 1);
	/* Trailers are kept with the headers; the framed size is libhtp's (chunk lines in). */
	assert_non_null(strstr(log, "X-Checksum:42 cl=-1 wire=4 framed=23"));
	assert_non_null(strstr(log, "X-Trailer:t1 X-Other:t2 cl=-1 wire=11 framed=26 dec=11"));
	free(log);
}

static void test_http10_close(void **state)
{
	static const t_step_t steps[] = {
		D(0, "GET /old HTTP/1.0\r\nUser-Agent: x\r\n\r\n"),
		D(1, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nline one\n"),
		D(1, "line two\n"),
		CLOSE(1),
	};
	char *log;

	(void)state;
	SPLIT_TEST(steps, log);
	assert_non_null(strstr(log, "proto=HTTP/1.0 st=200"));
	assert_non_null(strstr(log, "wire=18 framed=18 dec=18"));
	free(log);
}

static void test_http1_status_string(void **state)
{
	static const t_step_t steps[] = {
		D(0, "GET / HTTP/1.1\r\n\r\n"),
		D(1, "HTTP/1.1 2XX Weird\r\nContent-Length: 0\r\n\r\n"),
	};
	char *log;

	(void)state;
	SPLIT_TEST(steps, log);
	assert_non_null(strstr(log, "st=0 stx=2XX"));
	free(log);
}

static void test_http1_lenient_headers(void **state)
{
	static const t_step_t steps[] = {
		D(0, "QUERY /q HTTP/1.1\nHost: h\nNoColonHere\nX-Folded: a\n  b\n"
		     "Content-Length: 2\nContent-Length: 2\n\nhi"),
		D(1, "HTTP/1.1 200 OK\nContent-Length: 0\n\n"),
	};
	char *log;

	(void)state;
	SPLIT_TEST(steps, log);
	assert_non_null(strstr(log, "m=QUERY u=/q"));
	assert_non_null(strstr(log, " :NoColonHere X-Folded:a b "));
	assert_non_null(strstr(log, "cl=2 wire=2"));
	free(log);
}

/* Header lines of every length up to past three 16-byte blocks, so that the line ends and the
 * colons (the first one counts; none, one leading) fall at every offset of a block, and short
 * lines share one. */
static void test_http1_header_lengths(void **state)
{
	char req[8192], want[8192], resp[] = "HTTP/1.1 204 No Content\r\nA:b\r\nC: d:e\r\n\r\n";
	size_t r = 0, w = 0;
	int i;
	t_step_t steps[2] = {D(0, req), D(1, resp)};
	char *log;

	(void)state;
	r += (size_t)snprintf(req + r, sizeof(req) - r, "GET /h HTTP/1.1\r\n");
	for (i = 1; i <= 50; i++) {
		/* name of i bytes, value of 50 - i bytes with a colon inside */
		r += (size_t)snprintf(req + r, sizeof(req) - r, "N%.*s: %.*s:%.*s\r\n", i - 1,
				      "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
				      (50 - i) / 2, "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv",
				      (50 - i + 1) / 2, "wwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwww");
		w += (size_t)snprintf(want + w, sizeof(want) - w, " N%.*s:%.*s:%.*s", i - 1,
				      "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
				      (50 - i) / 2, "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv",
				      (50 - i + 1) / 2, "wwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwww");
	}
	/* Lines without a colon followed closely by one with a colon: that one is not theirs. */
	r += (size_t)snprintf(
		req + r, sizeof(req) - r,
		"x:1\r\ny:2\r\n:lead\r\nabc\r\nk:v\r\nno colon at all, long enough\r\n"
		"z:1\r\n\r\n");
	w += (size_t)snprintf(want + w, sizeof(want) - w,
			      " x:1 y:2 :lead :abc k:v :no colon at all, long enough z:1 ");
	steps[0].len = r;
	SPLIT_TEST(steps, log);
	assert_non_null(strstr(log, want));
	assert_non_null(strstr(log, " A:b C:d:e "));
	free(log);
}

/* Known methods: the usual ones are matched without the table, the rest through it; methods
 * are case-sensitive, and prefixes or extensions of a method are none. */
static void test_http1_method_known(void **state)
{
	static const char *const yes[] = {"GET",   "PUT",    "POST",	 "HEAD",
					  "PATCH", "DELETE", "OPTIONS",	 "CONNECT",
					  "TRACE", "PURGE",  "M-SEARCH", "X-MS-ENUMATTS",
					  "QUERY", "ACL",    "BIND",	 "PROPPATCH"};
	static const char *const no[] = {"",	 "G",	  "GE",	     "get",    "Get",	   "GETS",
					 "PU",	 "PUTT",  "post",    "POS",    "POSTS",	   "HEAD ",
					 "PATC", "DELET", "DELETES", "OPTION", "CONNECTS", "X-MS"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_int_equal(http1__method_known(yes[i], strlen(yes[i])), 1);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_int_equal(http1__method_known(no[i], strlen(no[i])), 0);
	/* A NUL inside the token: the length decides, not the NUL. */
	assert_int_equal(http1__method_known("GET\0", 4), 0);
	assert_int_equal(http1__method_known("PU\0", 3), 0);
}

/* Line ends: CRLF, bare LF, stray CRs before the LF, and a CR inside a header line (kept). */
static void test_http1_line_ends(void **state)
{
	static const t_step_t steps[] = {
		D(0, "GET /e HTTP/1.1\r\r\nA: 1\r\r\r\nB: 2\nC: x\ry\r\nD:\r\n\r\n"),
		D(1, "HTTP/1.1 200 OK\r\r\nContent-Length: 1\r\n\r\nz"),
	};
	char *log;

	(void)state;
	SPLIT_TEST(steps, log);
	assert_non_null(strstr(log, "m=GET u=/e"));
	assert_non_null(strstr(log, " A:1 B:2 C:x\ry D: "));
	assert_non_null(strstr(log, "cl=1 wire=1"));
	free(log);
}

/* Whitespace trimmed around names and values is libhtp's (SP, HT, LF, VT, FF, CR); bytes next
 * to it in the character table (SOH, BS, SO, US, '!', 0x85, 0xA0) are kept. */
static void test_http1_header_whitespace(void **state)
{
	static const char req[] = "GET /w HTTP/1.1\r\n"
				  "A:\t\v\f x\v\f \t\r\n"
				  "\vB\f : \x1fy\x1f\r\n"
				  "C: \xa0z\x85 \r\n"
				  "D:\x08!\x0e\r\n"
				  "E:\x01n\x01\r\n"
				  "\r\n";
	static const t_step_t steps[] = {
		DN(0, req, sizeof(req) - 1),
		D(1, "HTTP/1.1 204 No Content\r\n\r\n"),
	};
	char *log;

	(void)state;
	SPLIT_TEST(steps, log);
	assert_non_null(strstr(log, " A:x B:\x1fy\x1f C:\xa0z\x85 D:\x08!\x0e E:\x01n\x01 "));
	free(log);
}

/* Every pair of name and value lengths up to past two 16-byte blocks, so that the colon and the
 * line end fall at every offset of the first, second and third block of a line, relative to
 * each other too (the value is searched for the LF alone once the colon is found). */
static void test_http1_header_offsets(void **state)
{
	static const char abc[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP";
	char req[4096], want[4096];
	int nl, vl;

	(void)state;
	for (nl = 1; nl <= 34; nl++) {
		size_t r = 0, w = 0;
		t_step_t steps[2] = {D(0, req), D(1, "HTTP/1.1 204 No Content\r\n\r\n")};
		char *log;

		r += (size_t)snprintf(req + r, sizeof(req) - r, "GET /o HTTP/1.1\r\n");
		for (vl = 0; vl <= 34; vl++) {
			r += (size_t)snprintf(req + r, sizeof(req) - r, "%.*s:%.*s%s", nl, abc, vl,
					      abc + 3, vl % 2 ? "\n" : "\r\n");
			w += (size_t)snprintf(want + w, sizeof(want) - w, " %.*s:%.*s", nl, abc, vl,
					      abc + 3);
		}
		r += (size_t)snprintf(req + r, sizeof(req) - r, "\r\n");
		steps[0].len = r;
		SPLIT_TEST(steps, log);
		assert_non_null(strstr(log, want));
		free(log);
	}
}

/* Well-known headers are recognised in any letter case, and only letters may differ: a name
 * with a control byte where the hyphen goes is another header (no body is framed by it). */
static void test_http1_known_header_case(void **state)
{
	static const t_step_t steps[] = {
		D(0, "POST /a HTTP/1.1\r\nhOsT: Shop.Example\r\nContent\rLength: 5\r\n\r\n"
		     "GET /b HTTP/1.1\r\nCONTENT-LENGTH: 2\r\n\r\nhi"),
		D(1, "HTTP/1.1 200 OK\r\nContent-length: 0\r\n\r\n"
		     "HTTP/1.1 200 OK\r\ncontent-LENGTH: 1\r\n\r\nz"),
	};
	char *log;

	(void)state;
	SPLIT_TEST(steps, log);
	assert_int_equal(t_count(log, " flags="), 2);
	assert_non_null(strstr(log, "u=/a path=/a q=- host=shop.example"));
	assert_non_null(strstr(log, "u=/b"));
	assert_non_null(strstr(log, "cl=2 wire=2"));
	assert_non_null(strstr(log, "cl=1 wire=1"));
	free(log);
}

static void test_http1_no_request_no_response(void **state)
{
	static const t_step_t steps[] = {
		D(1, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"),
		D(0, "GET /late HTTP/1.1\r\n\r\n"),
	};
	char *log;

	(void)state;
	SPLIT_TEST(steps, log);
	assert_int_equal(t_count(log, " flags="), 2);
	assert_non_null(strstr(log, "tx=0 flags=8 m=-"));
	assert_non_null(strstr(log, "tx=1 flags=4 m=GET u=/late"));
	free(log);
}

static void test_http1_response_without_status_line(void **state)
{
	static const t_step_t steps[] = {
		D(0, "GET /x HTTP/1.1\r\n\r\n"),
		D(1, "<html>no status line</html>\r\n"),
		CLOSE(1),
	};
	char *log;

	(void)state;
	SPLIT_TEST(steps, log);
	assert_non_null(strstr(log, "st=0 stx=-"));
	assert_non_null(strstr(log, "wire=29"));
	free(log);
}

static void test_http09_and_missing_protocol(void **state)
{
	static const t_step_t http09[] = {
		D(0, "GET /old\r\n"),
		D(1, "<html>raw</html>"),
		CLOSE(1),
		CLOSE(0),
	};
	static const t_step_t missing[] = {
		D(0, "GET /gen.php?x=1\r\nHost: h\r\nUser-Agent: u\r\n\r\n"),
		D(1, "xzq-no-status-line"),
		CLOSE(1),
	};
	char *log;
	t_ctx_t t;

	(void)state;
	SPLIT_TEST(http09, log);
	assert_non_null(strstr(log, "tx=0 flags=0 m=GET u=/old path=/old q=- host=- port=-1 "
				    "proto= st=0"));
	assert_non_null(strstr(log, "wire=16"));
	free(log);
	SPLIT_TEST(missing, log);
	/* Header lines follow: not HTTP/0.9 after all, a request line without its protocol. */
	assert_non_null(strstr(log, "host=h port=-1 proto= st=0"));
	assert_non_null(strstr(log, "req{p=2 hdrs=2 Host:h User-Agent:u"));
	free(log);
	t_setup(&t, NULL);
	t_run(&t, missing, 3, 0, 0, 0);
	assert_string_equal(t.run.last_anomaly, "REQUEST_LINE_MISSING_PROTOCOL");
	t_teardown(&t);
}

/* ------------------------------------------------------------------------------------------ */
/* Protocol changes */

static void test_http1_websocket(void **state)
{
	static const t_step_t steps[] = {
		D(0, "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"),
		D(1, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		     "Connection: Upgrade\r\n\r\n"),
		D(0, "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"),
		D(1, "\x81\x05hello"),
	};
	char *log;

	(void)state;
	SPLIT_TEST(steps, log);
	assert_int_equal(t_count(log, " flags="), 1);
	assert_non_null(strstr(log, "flags=10 m=GET u=/ws"));
	free(log);
}

static void test_http1_connect(void **state)
{
	static const t_step_t tls[] = {
		D(0, "CONNECT api.example.com:443 HTTP/1.1\r\nHost: api.example.com:443\r\n\r\n"),
		D(1, "HTTP/1.1 200 Connection established\r\n\r\n"),
		DN(0, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11),
		DN(1, "\x16\x03\x03\x00\x5d\x02", 6),
	};
	static const t_step_t http[] = {
		D(0, "CONNECT inner:80 HTTP/1.1\r\n\r\nGET /in HTTP/1.1\r\nHost: inner\r\n\r\n"),
		D(1, "HTTP/1.1 200 OK\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx"),
	};
	static const t_step_t refused[] = {
		D(0, "CONNECT x:443 HTTP/1.1\r\n\r\n"),
		D(1, "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n"),
		D(0, "CONNECT x:443 HTTP/1.1\r\nProxy-Authorization: Basic eDp5\r\n\r\n"),
		D(1, "HTTP/1.1 200 OK\r\n\r\n"),
	};
	char *log;

	(void)state;
	SPLIT_TEST(tls, log);
	assert_int_equal(t_count(log, " flags="), 1);
	assert_non_null(strstr(log, "flags=10 m=CONNECT u=api.example.com:443 path=- q=- "
				    "host=api.example.com port=443"));
	free(log);
	SPLIT_TEST(http, log);
	/* The tunnel carries HTTP: a new session, transaction ids from 0 again. */
	assert_int_equal(t_count(log, "tx=0 "), 2);
	assert_non_null(strstr(log, "m=GET u=/in"));
	free(log);
	SPLIT_TEST(refused, log);
	assert_int_equal(t_count(log, " flags="), 2);
	assert_non_null(strstr(log, "tx=0 flags=0 m=CONNECT"));
	assert_non_null(strstr(log, "tx=1 flags=10 m=CONNECT"));
	free(log);
}

/* ------------------------------------------------------------------------------------------ */
/* Gaps */

static void test_http1_gap_in_body(void **state)
{
	static const t_step_t steps[] = {
		D(0, "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n"),
		D(1, "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n01234"),
		GAP(1, 10),
		D(1, "ABCDEHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz"),
	};
	char *log;

	(void)state;
	SPLIT_TEST(steps, log);
	assert_int_equal(t_count(log, " flags="), 2);
	/* The gap stays inside the body: flagged, and the next response is still read. */
	assert_non_null(strstr(log, "tx=0 flags=2 m=GET u=/1"));
	assert_non_null(strstr(log, "wire=20 framed=20"));
	assert_non_null(strstr(log, "tx=1 flags=0 m=GET u=/2"));
	free(log);
}

static void test_http1_gap_resync(void **state)
{
	static const t_step_t steps[] = {
		D(0, "GET /1 HTTP/1.1\r\nHost: a\r\n"),
		GAP(0, 40),
		D(0, "tail of a lost request\r\n\r\nGET /3 HTTP/1.1\r\nHost: a\r\n\r\n"),
		D(1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
		D(1, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123"),
		GAP(1, 100),
		D(1, "456789\r\n0\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"),
	};
	char *log;

	(void)state;
	SPLIT_TEST(steps, log);
	/* /1 is cut by the gap; parsing resumes at the next request line (/3); on the response
	 * side a gap in a chunked body loses the boundary, found again at "HTTP/1.". */
	assert_non_null(strstr(log, "tx=0 flags=1 m=GET u=/1"));
	assert_non_null(strstr(log, "m=GET u=/3"));
	assert_non_null(strstr(log, "st=201"));
	free(log);
}

/* ------------------------------------------------------------------------------------------ */
/* Malformed input and caps */

static void test_http1_malformed(void **state)
{
	static const t_step_t bad_line[] = {
		D(0, "GET /ok HTTP/1.1\r\n\r\n"),
		D(1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
		D(0, "\x01\x02garbage\r\n\r\n"),
	};
	static const t_step_t bad_chunk[] = {
		D(0, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
	};
	static const t_step_t bad_cl[] = {
		D(0, "POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n"),
	};
	t_ctx_t t;

	(void)state;
	t_setup(&t, NULL);
	t_run(&t, bad_line, 3, 0, 0, 0);
	assert_int_equal(t.run.detached, 1);
	assert_int_equal(t.run.records, 1);
	assert_string_equal(t.run.last_anomaly, "REQUEST_LINE_INVALID");
	/* A request chunk size that is none ends the body there; the rest is looked through
	 * for the next request. */
	t_run(&t, bad_chunk, 1, 0, 0, 0);
	assert_int_equal(t.run.detached, 0);
	assert_string_equal(t.run.last_anomaly, "INVALID_REQUEST_CHUNK_LEN");
	/* The request cut by its own error is still logged, flagged (no response, anomaly). */
	assert_int_equal(t.run.records, 1);
	assert_non_null(strstr(t.run.log, "flags=24"));
	/* A Content-Length that is no number: no body, the flow goes on. */
	t_run(&t, bad_cl, 1, 0, 0, 0);
	assert_int_equal(t.run.detached, 0);
	assert_int_equal(t.run.records, 1);
	assert_string_equal(t.run.last_anomaly, "INVALID_CONTENT_LENGTH_FIELD_IN_REQUEST");
	assert_string_equal(t.run.last_reason, "Content-Length is not a number");
	t_teardown(&t);
}

/*
 * Lengths that are none (negative, past 2^63-1, a chunk size past 2^64) followed by another
 * request: each is an anomaly, the message has no more body, and the request behind it is
 * logged as its own transaction, whole (not "ET /..." after a one-byte body).
 */
static void t_smuggled_case(const char *probe, const char *event, const char *reason)
{
	char req[512];
	int n = snprintf(req, sizeof(req),
			 "POST / HTTP/1.1\r\nHost: target\r\n%s\r\n"
			 "GET /smuggled HTTP/1.1\r\nHost: target\r\n\r\n",
			 probe);
	const t_step_t steps[] = {DN(0, req, (size_t)n), CLOSE(0), CLOSE(1)};
	char *log;
	t_ctx_t t;

	t_setup(&t, NULL);
	log = t_run_all_splits(&t, steps, 3);
	assert_int_equal(t.run.detached, 0);
	assert_int_equal(t_count(log, " flags="), 2);
	assert_non_null(strstr(log, "tx=0 flags=24 m=POST u=/ "));
	assert_non_null(strstr(log, "tx=1 flags=4 m=GET u=/smuggled "));
	assert_string_equal(t.run.last_anomaly, event);
	assert_string_equal(t.run.last_reason, reason);
	assert_int_equal(t.run.anomalies, 1);
	free(log);
	t_teardown(&t);
}

static void test_http1_invalid_lengths(void **state)
{
	(void)state;
	t_smuggled_case("Content-Length: -1\r\n", "INVALID_CONTENT_LENGTH_FIELD_IN_REQUEST",
			"negative Content-Length");
	t_smuggled_case("Content-Length: 18446744073709551615\r\n",
			"INVALID_CONTENT_LENGTH_FIELD_IN_REQUEST", "Content-Length past 2^63-1");
	t_smuggled_case("Content-Length: 9223372036854775808\r\n",
			"INVALID_CONTENT_LENGTH_FIELD_IN_REQUEST", "Content-Length past 2^63-1");
	t_smuggled_case("Content-Length: 99999999999999999999999\r\n",
			"INVALID_CONTENT_LENGTH_FIELD_IN_REQUEST", "Content-Length past 2^63-1");
	t_smuggled_case("Transfer-Encoding: chunked\r\n\r\n10000000000000000\r\n",
			"INVALID_REQUEST_CHUNK_LEN", "Chunk size overflow");
}

/* The largest length that is one is still a length; a response whose length is none has a
 * body until the stream ends. */
static void test_http1_invalid_length_response(void **state)
{
	static const t_step_t big[] = {
		D(0, "POST / HTTP/1.1\r\nContent-Length: 9223372036854775807\r\n\r\nab"),
		CLOSE(0),
	};
	static const t_step_t resp[] = {
		D(0, "GET / HTTP/1.1\r\n\r\n"),
		D(1, "HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\nhello world"),
		CLOSE(1),
		CLOSE(0),
	};
	char *log;
	t_ctx_t t;

	(void)state;
	t_setup(&t, NULL);
	t_run(&t, big, 2, 0, 0, 0);
	assert_int_equal(t.run.anomalies, 0);
	assert_non_null(strstr(t.run.log, "cl=9223372036854775807 wire=2"));
	t_teardown(&t);
	SPLIT_TEST(resp, log);
	assert_non_null(strstr(log, "st=200"));
	assert_non_null(strstr(log, "resp{p=2 hdrs=1 Content-Length:-5 cl=-1 wire=11"));
	free(log);
	t_setup(&t, NULL);
	t_run(&t, resp, 4, 0, 0, 0);
	assert_string_equal(t.run.last_anomaly, "INVALID_CONTENT_LENGTH_FIELD_IN_RESPONSE");
	t_teardown(&t);
}

/* Cruft between requests makes no call; the server's answer to it pairs with it (and is
 * reported), not with the next request. */
static void test_http1_cruft_line(void **state)
{
	static const t_step_t steps[] = {
		D(0, "GET /a HTTP/1.1\r\n\r\nT / HTTP\r\n\r\nGET /b HTTP/1.1\r\n\r\n"),
		D(1, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na"
		     "HTTP/1.1 400 Bad Request\r\nContent-Length: 2\r\n\r\nno"
		     "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"),
		D(0, "T / HTTP\n"),
		CLOSE(0),
		CLOSE(1),
	};
	char *log;
	t_ctx_t t;

	(void)state;
	SPLIT_TEST(steps, log);
	assert_int_equal(t_count(log, " flags="), 2);
	assert_non_null(strstr(log, "tx=0 flags=0 m=GET u=/a "));
	assert_non_null(strstr(log, "st=200"));
	assert_non_null(strstr(log, "tx=2 flags=0 m=GET u=/b "));
	assert_non_null(strstr(log, "st=201"));
	assert_null(strstr(log, "m=T "));
	free(log);
	t_setup(&t, NULL);
	t_run(&t, steps, 5, 0, 0, 0);
	assert_int_equal(t.run.detached, 0);
	/* Two lines that were no request, one answered. */
	assert_int_equal(t.run.anomalies, 3);
	assert_string_equal(t.run.last_anomaly, "RESPONSE_TO_INVALID_REQUEST");
	assert_string_equal(t.run.last_reason, "response 400 to a line that was not a request");
	t_teardown(&t);
}

static void test_http1_smuggling_anomalies(void **state)
{
	static const t_step_t te_cl[] = {
		D(0, "POST / HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
		     "0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n"),
	};
	static const t_step_t dup_cl[] = {
		D(0, "POST / HTTP/1.1\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\nabcd"
		     "GET /next HTTP/1.1\r\n\r\n"),
	};
	t_ctx_t t;

	(void)state;
	t_setup(&t, NULL);
	/* Chunked wins over Content-Length (as in libhtp); both requests are seen. */
	t_run(&t, te_cl, 1, 0, 0, 0);
	assert_int_equal(t.run.anomalies, 1);
	assert_string_equal(t.run.last_anomaly, "REQUEST_SMUGGLING");
	assert_int_equal(t.run.records, 2);
	assert_non_null(strstr(t.run.log, "u=/smuggled"));
	/* The first Content-Length counts; the disagreement is an anomaly. */
	t_run(&t, dup_cl, 1, 0, 0, 0);
	assert_string_equal(t.run.last_anomaly, "DUPLICATE_CONTENT_LENGTH_FIELD_IN_REQUEST");
	assert_non_null(strstr(t.run.log, "u=/next"));
	t_teardown(&t);
}

/* Finishing a call copies strings of its own arena (the decoded path, the lower-cased host)
 * while the arena may have to grow and move. */
static void test_http1_arena_growth(void **state)
{
	char req[4096];
	size_t n = 0;
	t_ctx_t t;
	int i;

	(void)state;
	n += (size_t)snprintf(req + n, sizeof(req) - n, "GET /");
	for (i = 0; i < 300; i++)
		n += (size_t)snprintf(req + n, sizeof(req) - n, "a%%41");
	n += (size_t)snprintf(req + n, sizeof(req) - n, " HTTP/1.1\r\nHost: BIG.EXAMPLE\r\n");
	for (i = 0; i < 16; i++)
		n += (size_t)snprintf(req + n, sizeof(req) - n,
				      "X-Filler-%02d: 0123456789abcdef\r\n", i);
	n += (size_t)snprintf(req + n, sizeof(req) - n, "\r\n");
	{
		const t_step_t steps[] = {DN(0, req, n)};

		t_setup(&t, NULL);
		t_run(&t, steps, 1, 0, 0, 0);
		assert_int_equal(t.run.records, 1);
		assert_non_null(strstr(t.run.log, " path=/aAaAaA"));
		assert_non_null(strstr(t.run.log, " host=big.example "));
		t_teardown(&t);
	}
}

static void test_http1_header_caps(void **state)
{
	aw_config_t cfg;
	char req[4096], longline[2048];
	size_t n = 0;
	t_ctx_t t;
	int i;

	(void)state;
	config_default(&cfg);
	cfg.http.max_headers = 8;
	cfg.http.max_line = 1024;
	n += (size_t)snprintf(req + n, sizeof(req) - n, "GET / HTTP/1.1\r\n");
	for (i = 0; i < 12; i++)
		n += (size_t)snprintf(req + n, sizeof(req) - n, "X-H%d: %d\r\n", i, i);
	memset(longline, 'a', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	n += (size_t)snprintf(req + n, sizeof(req) - n, "X-Long: %s\r\n\r\n", longline);
	{
		const t_step_t steps[] = {
			DN(0, req, n),
			D(1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
		};

		t_setup(&t, &cfg);
		t_run(&t, steps, 2, 0, 0, 0);
		assert_int_equal(t.run.records, 1);
		assert_non_null(strstr(t.run.log, "flags=120 m=GET"));
		assert_non_null(strstr(t.run.log, "req{p=2 hdrs=8 "));
		assert_null(strstr(t.run.log, "X-H8"));
		t_run(&t, steps, 2, 2, 0, 0);
		assert_non_null(strstr(t.run.log, "req{p=2 hdrs=8 "));
		t_teardown(&t);
	}
}

/* A header line past http.max-line is dropped with its own event, not the header count's. */
static void test_http1_long_header_line(void **state)
{
	aw_config_t cfg;
	char req[4096];
	int n;
	t_ctx_t t;

	(void)state;
	config_default(&cfg);
	cfg.http.max_line = 1024;
	n = snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: h\r\nCookie: ");
	memset(req + n, 'c', 2000);
	n += 2000;
	n += snprintf(req + n, sizeof(req) - (size_t)n, "\r\nAccept: */*\r\n\r\n");
	{
		const t_step_t steps[] = {
			DN(0, req, (size_t)n),
			D(1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
			CLOSE(0),
			CLOSE(1),
		};

		t_setup(&t, &cfg);
		t_run(&t, steps, 4, 0, 0, 0);
		assert_int_equal(t.run.records, 1);
		assert_int_equal(t.run.anomalies, 1);
		assert_string_equal(t.run.last_anomaly, "REQUEST_FIELD_TOO_LONG");
		assert_string_equal(t.run.last_reason,
				    "header line longer than http.max-line was dropped");
		assert_non_null(strstr(t.run.log, "flags=120 m=GET"));
		assert_non_null(strstr(t.run.log, "req{p=2 hdrs=2 Host:h Accept:*/* "));
		t_run(&t, steps, 4, 2, 0, 0);
		assert_int_equal(t.run.anomalies, 1);
		assert_string_equal(t.run.last_anomaly, "REQUEST_FIELD_TOO_LONG");
		t_teardown(&t);
	}
}

/* An HTTP/0.9 request ends with its line, not when the close (or a next line) confirms it:
 * its latency counts from there. */
static void test_http09_request_end(void **state)
{
	const uint64_t t0 = 1700000000000000ull;
	void *st;
	t_ctx_t t;
	api_call_t *c;

	(void)state;
	t_setup(&t, NULL);
	t.run.keep_next = 1;
	st = http1_dissector.state_new(t.ctx, &t.flow);
	t.env.now_us = t0;
	assert_int_equal(http1_dissector.on_data(st, 0, (const uint8_t *)"GET /old\r\n", 10), 0);
	http1_dissector.on_packet(st, 0);
	t.env.now_us = t0 + 5000;
	assert_int_equal(http1_dissector.on_data(st, 1, (const uint8_t *)"<html>", 6), 0);
	http1_dissector.on_packet(st, 1);
	t.env.now_us = t0 + 9000;
	http1_dissector.on_close(st, 1);
	http1_dissector.on_packet(st, 1);
	http1_dissector.on_close(st, 0);
	http1_dissector.on_packet(st, 0);
	http1_dissector.state_free(st);
	c = t.run.keep;
	assert_non_null(c);
	assert_int_equal(c->req.first_us, t0);
	assert_int_equal(c->req.end_us, t0);
	assert_int_equal(c->resp.first_us, t0 + 5000);
	assert_int_equal(c->flags & API_CALL_F_INCOMPLETE, 0);
	t_teardown(&t);
}

static void test_http1_long_start_line(void **state)
{
	aw_config_t cfg;
	char req[3000];
	t_ctx_t t;

	(void)state;
	config_default(&cfg);
	cfg.http.max_line = 512;
	memcpy(req, "GET /", 5);
	memset(req + 5, 'x', sizeof(req) - 5);
	{
		const t_step_t steps[] = {DN(0, req, sizeof(req))};

		t_setup(&t, &cfg);
		t_run(&t, steps, 1, 2, 0, 0);
		assert_int_equal(t.run.detached, 1);
		assert_string_equal(t.run.last_anomaly, "REQUEST_FIELD_TOO_LONG");
		t_teardown(&t);
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Bodies */

static size_t t_compress(const char *in, size_t n, char *out, size_t cap, int window_bits)
{
	z_stream z;

	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	n = cap - z.avail_out;
	deflateEnd(&z);
	return n;
}

/* A response whose body is `plain` encoded as `enc` (window bits), sent chunked. */
static void t_encoded_case(const char *enc, int window_bits, const aw_config_t *cfg,
			   const char *plain, size_t plen, t_ctx_t *t, api_call_t **kept)
{
	static char comp[1 << 18], resp[1 << 19];
	size_t cn = t_compress(plain, plen, comp, sizeof(comp), window_bits), rn;

	rn = (size_t)snprintf(resp, sizeof(resp),
			      "HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\n"
			      "Transfer-Encoding: chunked\r\n\r\n%zx\r\n",
			      enc, cn);
	memcpy(resp + rn, comp, cn);
	rn += cn;
	memcpy(resp + rn, "\r\n0\r\n\r\n", 7);
	rn += 7;
	{
		const t_step_t steps[] = {D(0, "GET /z HTTP/1.1\r\n\r\n"), DN(1, resp, rn)};

		t_setup(t, cfg);
		t->run.keep_next = 1;
		t_run(t, steps, 2, 2, 0, 0);
		*kept = t->run.keep;
	}
}

static void test_http1_gzip_deflate(void **state)
{
	static const struct {
		const char *enc;
		int bits;
	} cases[] = {{"gzip", 15 + 16}, {"x-gzip", 15 + 16}, {"deflate", 15}, {"deflate", -15}};
	char plain[20000];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(plain); i++)
		plain[i] = (char)('a' + (i * 7 + i / 13) % 26);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t_ctx_t t;
		api_call_t *c;
		const aw_slice_t *b;

		t_encoded_case(cases[i].enc, cases[i].bits, NULL, plain, sizeof(plain), &t, &c);
		assert_non_null(c);
		b = api_call_body(c, 1);
		assert_int_equal(b->len, sizeof(plain));
		assert_memory_equal(b->ptr, plain, sizeof(plain));
		assert_int_equal(c->resp.body_bytes, sizeof(plain));
		assert_int_equal(c->flags & (API_CALL_F_DECOMPRESS_ERR | API_CALL_F_BOMB), 0);
		t_teardown(&t);
	}
}

static void test_http1_body_limit_and_bomb(void **state)
{
	aw_config_t cfg;
	static char zeros[1 << 20];
	char plain[9000];
	t_ctx_t t;
	api_call_t *c;
	const aw_slice_t *b;

	(void)state;
	memset(plain, 'q', sizeof(plain));
	config_default(&cfg);
	cfg.http.body_limit = 4096;
	/* Decoding stops at the body limit. */
	t_encoded_case("gzip", 15 + 16, &cfg, plain, sizeof(plain), &t, &c);
	b = api_call_body(c, 1);
	assert_int_equal(b->len, 4096);
	assert_true(c->flags & API_CALL_F_RESP_BODY_CUT);
	assert_int_equal(c->resp.body_bytes, sizeof(plain)); /* from the gzip trailer */
	t_teardown(&t);
	/* A megabyte of zeros from a kilobyte: the ratio cap stops it. */
	cfg.http.body_limit = 1 << 20;
	cfg.http.decompress_ratio = 100;
	t_encoded_case("gzip", 15 + 16, &cfg, zeros, sizeof(zeros), &t, &c);
	b = api_call_body(c, 1);
	assert_true(c->flags & API_CALL_F_BOMB);
	assert_true(b->len < sizeof(zeros));
	t_teardown(&t);
	/* Identity bodies past the limit are cut, and counted whole. */
	{
		static const t_step_t steps[] = {
			D(0, "POST /big HTTP/1.1\r\nContent-Length: 6000\r\n\r\n"),
		};
		char big[6000];

		memset(big, 'b', sizeof(big));
		{
			const t_step_t s2[] = {steps[0], DN(0, big, sizeof(big))};

			cfg.http.body_limit = 1000;
			t_setup(&t, &cfg);
			t_run(&t, s2, 2, 0, 0, 0);
			assert_non_null(strstr(t.run.log, "flags=44 m=POST"));
			assert_non_null(strstr(t.run.log, "wire=6000 framed=6000 dec=6000 enc=0 "
							  "body=1000/"));
			t_teardown(&t);
		}
	}
}

static void test_http1_bad_gzip(void **state)
{
	static const t_step_t steps[] = {
		D(0, "GET / HTTP/1.1\r\n\r\n"),
		D(1, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 12\r\n\r\n"
		     "not gzip!!!!"),
	};
	t_ctx_t t;

	(void)state;
	t_setup(&t, NULL);
	t_run(&t, steps, 2, 0, 0, 0);
	assert_non_null(strstr(t.run.log, "flags=200 m=GET"));
	t_teardown(&t);
}

/* ------------------------------------------------------------------------------------------ */
/* Probe, redaction and the http event */

static void test_http1_probe(void **state)
{
	(void)state;
	assert_int_equal(http1_dissector.probe((const uint8_t *)"GET / HTTP/1.1", 14, 0),
			 DISSECTOR_PROBE_YES);
	assert_int_equal(http1_dissector.probe((const uint8_t *)"\r\nPOST /", 8, 0),
			 DISSECTOR_PROBE_YES);
	assert_int_equal(http1_dissector.probe((const uint8_t *)"GE", 2, 0),
			 DISSECTOR_PROBE_NEED_MORE);
	assert_int_equal(http1_dissector.probe((const uint8_t *)"SSH-2.0-x", 9, 0),
			 DISSECTOR_PROBE_NO);
	assert_int_equal(http1_dissector.probe((const uint8_t *)"HTTP/1.1 200", 12, 1),
			 DISSECTOR_PROBE_YES);
	assert_int_equal(http1_dissector.probe((const uint8_t *)"HTTP/", 5, 1),
			 DISSECTOR_PROBE_NEED_MORE);
	assert_int_equal(http1_dissector.probe((const uint8_t *)"\x16\x03\x01", 3, 0),
			 DISSECTOR_PROBE_NO);
}

static void test_http1_redaction(void **state)
{
	static const char *const secret[] = {
		"Authorization",
		"cookie",
		"Set-Cookie",
		"Proxy-Authorization",
		"X-API-Key",
		"api-key",
		"X-Auth-Token",
		"X-Access-Token",
		"X-Session-Id",
		"X-Vendor-Prefix-That-Makes-This-Header-Name-Longer-Than-Sixty-"
		"Four-Bytes-Api-Key",
		"X-Vendor-Prefix-That-Makes-This-Header-Name-Exactly-Sixty-"
		"APIKEY",
		NULL};
	static const char *const plain[] = {
		"User-Agent",
		"Content-Type",
		"Host",
		"Accept",
		"X-Request-Id",
		"Cookies-Enabled",
		"X-Vendor-Prefix-That-Makes-This-Header-Name-Longer-Than-Sixty-Four-Bytes-Plain",
		NULL};
	output_http_config_t hc;
	char a[32], b[32];
	int i;

	(void)state;
	for (i = 0; secret[i]; i++)
		assert_true(output_http_is_secret(secret[i], strlen(secret[i])));
	for (i = 0; plain[i]; i++)
		assert_false(output_http_is_secret(plain[i], strlen(plain[i])));
	output_http_config_default(&hc);
	output_http_redact(&hc, "Bearer abc", 10, a);
	output_http_redact(&hc, "Bearer abc", 10, b);
	assert_string_equal(a, b);
	assert_int_equal(strlen(a), 25);
	assert_memory_equal(a, "redacted:", 9);
	hc.hash_key[0] ^= 1;
	output_http_redact(&hc, "Bearer abc", 10, b);
	assert_string_not_equal(a, b);
}

/* Secret query parameters are redacted in URLs; other parameters and URLs stay as sent. */
static void test_http1_redact_url(void **state)
{
	static const char *const keep[] = {
		"/a/b",	    "/a?x=1&y=2", "/a?monkey=1&keys=2",		"/a?password=",
		"/a?token", "/a?",	  "/v?key=yt1&signature=83.D1", NULL};
	output_http_config_t hc;
	char out[256], red[32], want[256];
	size_t n;
	int i;

	(void)state;
	output_http_config_default(&hc);
	for (i = 0; keep[i]; i++)
		assert_int_equal(
			output_http_redact_url(&hc, keep[i], strlen(keep[i]), out, sizeof(out)), 0);
	n = output_http_redact_url(&hc, "/v1/cars?vin=1&api_key=K123&x=2", 31, out, sizeof(out));
	output_http_redact(&hc, "K123", 4, red);
	snprintf(want, sizeof(want), "/v1/cars?vin=1&api_key=%s&x=2", red);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(out, want, n);
	n = output_http_redact_url(&hc, "/l?Access_Token=tok&pwd=zz", 26, out, sizeof(out));
	assert_true(n > 0 && n != OUTPUT_HTTP_URL_TOO_LONG);
	assert_null(memmem(out, n, "tok", 3));
	assert_null(memmem(out, n, "zz", 2));
	assert_non_null(memmem(out, n, "/l?Access_Token=redacted:", 25));
	n = output_http_redact_url(&hc, "/m?key=AIzaSyD-0123456789qwerty", 30, out, sizeof(out));
	assert_true(n > 0 && n != OUTPUT_HTTP_URL_TOO_LONG);
	assert_null(memmem(out, n, "AIza", 4));
	assert_int_equal(output_http_redact_url(&hc, "/l?token=abcdef", 15, out, 20),
			 OUTPUT_HTTP_URL_TOO_LONG);
}

/* The whole event, through the output stage: Suricata's fields, api, and no secret in clear. */
static void test_http1_event(void **state)
{
	static const t_step_t steps[] = {
		D(0, "GET /v1/items?id=3 HTTP/1.1\r\nHost: Shop.example:8443\r\n"
		     "User-Agent: ua/1\r\nAuthorization: Bearer s3cr3t-token\r\n"
		     "Cookie: sid=abcdef\r\nX-Forwarded-For: 10.0.0.1\r\nReferer: http://r/\r\n"
		     "\r\n"),
		D(1, "HTTP/1.1 302 Found\r\nLocation: /login\r\nSet-Cookie: sid=zzz\r\n"
		     "Content-Type: text/html; charset=utf-8\r\nContent-Range: bytes 0-9/100\r\n"
		     "Content-Length: 10\r\n\r\n0123456789"),
	};
	char path[] = "/tmp/test_http1_XXXXXX";
	output_config_t oc;
	output_http_config_t hc;
	output_t *o;
	output_http_t *h;
	mem_account_t acct;
	t_ctx_t t;
	char line[8192];
	FILE *fp;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	mem_account_init(&acct, "out", 0);
	output_config_default(&oc);
	oc.eve_path = path;
	assert_int_equal(output_new(&o, &oc, &acct), 0);
	output_http_config_default(&hc);
	hc.dump_headers = OUTPUT_HTTP_DUMP_BOTH;
	assert_int_equal(output_http_new(&h, &hc, &acct), 0);
	t_setup(&t, NULL);
	t.run.keep_next = 1;
	t_run(&t, steps, 2, 0, 0, 0);
	assert_non_null(t.run.keep);
	assert_int_equal(output_http_write(h, o, t.run.keep, 1700000000123456ull, 9, 0), 0);
	output_flush(o);
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_non_null(fgets(line, sizeof(line), fp));
	fclose(fp);
	unlink(path);
	assert_non_null(strstr(line, "\"event_type\":\"http\""));
	assert_non_null(strstr(line, "\"pcap_cnt\":9"));
	assert_non_null(strstr(line,
			       "\"tx_id\":0,\"http\":{\"hostname\":\"shop.example\","
			       "\"http_port\":8443,\"url\":\"/v1/items?id=3\","
			       "\"http_user_agent\":\"ua/1\",\"xff\":\"10.0.0.1\","
			       "\"http_content_type\":\"text/html\",\"content_range\":{\"raw\":"
			       "\"bytes 0-9/100\",\"start\":0,\"end\":9,\"size\":100},"
			       "\"http_refer\":\"http://r/\",\"http_method\":\"GET\","
			       "\"protocol\":\"HTTP/1.1\",\"status\":302,\"redirect\":\"/login\","
			       "\"length\":10,\"request_headers\":["));
	assert_null(strstr(line, "s3cr3t"));
	assert_null(strstr(line, "sid=abcdef"));
	assert_null(strstr(line, "sid=zzz"));
	assert_int_equal(t_count(line, "\"value\":\"redacted:"), 3);
	assert_non_null(strstr(line, "\"api\":{\"latency_ms\":"));
	t_teardown(&t);
	output_http_free(h);
	output_free(o);
	assert_int_equal(acct.in_use, 0);
}

/* ------------------------------------------------------------------------------------------ */
/* The EVE header cache */

/* A flow as the flow table would set one up (zeroed, so its Community ID is computed anew). */
static void t_flow(flow_t *f, uint64_t flow_id, int v6, uint16_t vlan, uint16_t cport)
{
	int i;

	memset(f, 0, sizeof(*f));
	f->flow_id = flow_id;
	f->key.proto = 6;
	f->key.ip_version = (uint8_t)(v6 ? 6 : 4);
	f->key.vlan[0] = vlan;
	f->key.vlan[1] = (uint16_t)(vlan ? vlan + 1 : 0);
	for (i = 0; i < 2; i++) {
		f->addr[i].b[0] = (uint8_t)(v6 ? 0x20 : 10);
		f->addr[i].b[v6 ? 15 : 3] = (uint8_t)(1 + i);
		f->key.addr[i] = f->addr[i];
	}
	f->port[0] = cport;
	f->port[1] = 8080;
	f->key.port[0] = cport;
	f->key.port[1] = 8080;
}

/* Writes one event to o: http when app_proto is "-", a bare header (event type "flow", no
 * app_proto) when it is NULL, else an anomaly. */
static void t_write_event(output_t *o, output_http_t *h, api_call_t *c, const flow_t *f, int dir,
			  const char *app_proto, uint64_t pcap_cnt)
{
	if (!app_proto) {
		output_eve_header(o, "flow", 1700000000000001ull, f, dir, pcap_cnt, NULL);
		assert_int_equal(output_commit(o, "flow"), 0);
	} else if (strcmp(app_proto, "-") == 0) {
		c->flow = f;
		assert_int_equal(output_http_write(h, o, c, 1700000000123456ull, pcap_cnt, 0), 0);
	} else {
		assert_int_equal(output_http_anomaly_write(h, o, f, dir, 3, app_proto, "EV", NULL,
							   1700000000654321ull, pcap_cnt),
				 0);
	}
}

/* Reads the lines of a file into out (at most n); returns how many. */
static int t_read_lines(const char *path, char (*out)[4096], int n)
{
	FILE *fp = fopen(path, "r");
	int k = 0;

	assert_non_null(fp);
	while (k < n && fgets(out[k], sizeof(out[k]), fp))
		k++;
	fclose(fp);
	return k;
}

/* Events of several flows and directions, interleaved, through one output (whose header cache
 * is warm, collides and goes stale) give the same lines as each written by a fresh output. */
static void test_http1_event_header_cache(void **state)
{
	static const t_step_t steps[] = {
		D(0, "GET /x HTTP/1.1\r\nHost: h\r\n\r\n"),
		D(1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
	};
	static char lines[40][4096], fresh[1][4096];
	char path[] = "/tmp/test_http1_XXXXXX", path1[] = "/tmp/test_http1_XXXXXX";
	flow_t f[3];
	output_config_t oc;
	output_http_config_t hc;
	output_t *o, *o1;
	output_http_t *h;
	mem_account_t acct;
	t_ctx_t t;
	int i, n, nev = 0;
	struct {
		int flow, dir;
		const char *app, *file;
		int refresh; /* re-create the flow first: a new flow in the same slot */
	} ev[] = {
		{0, 0, "-", "a.pcap", 0},   {0, 1, "http", "a.pcap", 0}, {0, 0, NULL, "a.pcap", 0},
		{2, 0, "-", "a.pcap", 0},   {0, 0, "-", "a.pcap", 0},	 {1, 0, "-", "a.pcap", 0},
		{1, 1, "tls", "a.pcap", 0}, {0, 0, "-", "b.pcap", 0},	 {0, 0, "-", NULL, 0},
		{0, 0, "-", NULL, 1},	    {0, 0, "-", NULL, 0},	 {1, 0, "-", NULL, 0},
	};

	(void)state;
	close(mkstemp(path));
	close(mkstemp(path1));
	mem_account_init(&acct, "out", 0);
	output_config_default(&oc);
	output_http_config_default(&hc);
	assert_int_equal(output_http_new(&h, &hc, &acct), 0);
	oc.eve_path = path;
	assert_int_equal(output_new(&o, &oc, &acct), 0);
	t_setup(&t, NULL);
	t.run.keep_next = 1;
	t_run(&t, steps, 2, 0, 0, 0);
	assert_non_null(t.run.keep);
	t_flow(&f[0], 5, 0, 10, 40000);
	t_flow(&f[1], 77, 1, 0, 40001);
	t_flow(&f[2], 5 + 128, 0, 0, 40002); /* the same cache entry as f[0] */
	for (i = 0; i < (int)(sizeof(ev) / sizeof(ev[0])); i++) {
		if (ev[i].refresh)
			t_flow(&f[ev[i].flow], 5, 0, 10, 41000);
		if (i == 0 || ev[i].file != ev[i - 1].file) /* a new input, as the pipeline does */
			output_set_pcap_filename(o, ev[i].file);
		t_write_event(o, h, t.run.keep, &f[ev[i].flow], ev[i].dir, ev[i].app, (uint64_t)i);
		nev++;
		/* The same event alone, through a fresh output. */
		oc.eve_path = path1;
		assert_int_equal(output_new(&o1, &oc, &acct), 0);
		output_set_pcap_filename(o1, ev[i].file);
		memset(f[ev[i].flow].community_id, 0, sizeof(f[ev[i].flow].community_id));
		t_write_event(o1, h, t.run.keep, &f[ev[i].flow], ev[i].dir, ev[i].app, (uint64_t)i);
		output_free(o1);
		assert_int_equal(t_read_lines(path1, fresh, 1), 1);
		memcpy(lines[i], fresh[0], sizeof(fresh[0]));
	}
	output_free(o);
	{
		static char got[40][4096];

		n = t_read_lines(path, got, 40);
		assert_int_equal(n, nev);
		for (i = 0; i < n; i++)
			assert_string_equal(got[i], lines[i]);
		assert_non_null(strstr(got[0], "\"vlan\":[10,11],\"src_ip\":\"10.0.0.1\""));
		assert_non_null(strstr(got[1], "\"src_ip\":\"10.0.0.2\",\"src_port\":8080"));
		assert_null(strstr(got[2], "app_proto"));
		assert_non_null(
			strstr(got[5], "\"src_ip\":\"2000:0000:0000:0000:0000:0000:0000:0001\""));
		assert_non_null(strstr(got[7], "\"pcap_filename\":\"b.pcap\""));
		assert_null(strstr(got[8], "pcap_filename"));
		assert_non_null(strstr(got[9], "\"src_port\":41000"));
	}
	unlink(path);
	unlink(path1);
	t_teardown(&t);
	output_http_free(h);
	assert_int_equal(acct.in_use, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http1_basic),
		cmocka_unit_test(test_http1_pipelined),
		cmocka_unit_test(test_http1_many_pipelined),
		cmocka_unit_test(test_http1_pending_cap),
		cmocka_unit_test(test_http1_continue),
		cmocka_unit_test(test_http1_no_body_responses),
		cmocka_unit_test(test_http1_chunked),
		cmocka_unit_test(test_http10_close),
		cmocka_unit_test(test_http1_status_string),
		cmocka_unit_test(test_http1_lenient_headers),
		cmocka_unit_test(test_http1_header_lengths),
		cmocka_unit_test(test_http1_known_header_case),
		cmocka_unit_test(test_http1_method_known),
		cmocka_unit_test(test_http1_line_ends),
		cmocka_unit_test(test_http1_header_whitespace),
		cmocka_unit_test(test_http1_header_offsets),
		cmocka_unit_test(test_http1_no_request_no_response),
		cmocka_unit_test(test_http1_response_without_status_line),
		cmocka_unit_test(test_http09_and_missing_protocol),
		cmocka_unit_test(test_http1_websocket),
		cmocka_unit_test(test_http1_connect),
		cmocka_unit_test(test_http1_gap_in_body),
		cmocka_unit_test(test_http1_gap_resync),
		cmocka_unit_test(test_http1_malformed),
		cmocka_unit_test(test_http1_invalid_lengths),
		cmocka_unit_test(test_http1_invalid_length_response),
		cmocka_unit_test(test_http1_cruft_line),
		cmocka_unit_test(test_http1_long_header_line),
		cmocka_unit_test(test_http09_request_end),
		cmocka_unit_test(test_http1_smuggling_anomalies),
		cmocka_unit_test(test_http1_arena_growth),
		cmocka_unit_test(test_http1_header_caps),
		cmocka_unit_test(test_http1_long_start_line),
		cmocka_unit_test(test_http1_gzip_deflate),
		cmocka_unit_test(test_http1_body_limit_and_bomb),
		cmocka_unit_test(test_http1_bad_gzip),
		cmocka_unit_test(test_http1_probe),
		cmocka_unit_test(test_http1_redaction),
		cmocka_unit_test(test_http1_redact_url),
		cmocka_unit_test(test_http1_event),
		cmocka_unit_test(test_http1_event_header_cache),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

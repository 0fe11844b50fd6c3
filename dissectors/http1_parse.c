/*
 * http1_parse.c - reading HTTP/1.x messages: start lines and headers, then llhttp for framing.
 *
 * Fed by http1.c with the bytes of one direction; fills the API call records of that
 * direction's transactions and tells http1.c when a message is complete.
 *
 * The start line and the header lines are read here, line by line (memchr for the line end,
 * memchr for the colon), with libhtp's leniency, because that is what Suricata's EVE output
 * reflects and what evasive traffic needs: any method token, the URI up to the first space,
 * status codes that are not numbers ("2XX"), header lines without a colon, folded lines,
 * repeated and conflicting Content-Length headers, bare LF line ends. llhttp's strict header
 * grammar would stop at each of these. Once the headers are read, the body framing is decided
 * as libhtp decides it. A Content-Length body is simply counted here; for the others llhttp is
 * handed a minimal head carrying just that framing (chunked, or neither), then the body bytes:
 * llhttp does the chunked decoding (extensions, trailers, sizes) and ends close-delimited
 * bodies at llhttp_finish. A response without a body at all (HEAD, 1xx, 204, 304) never
 * reaches either.
 *
 * Bodies go to http1_body.c. This file does not decide when records are emitted (http1.c).
 */
#include "http1_private.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "error.h"

/* ------------------------------------------------------------------------------------------ */
/* Characters and small parsers */

/* libhtp's whitespace: SP, HT, CR, LF, VT, FF; one bit test where two range checks were. */
#define HTTP1_SPACE_MASK                                                                     \
	((1ull << ' ') | (1ull << '\t') | (1ull << '\n') | (1ull << '\v') | (1ull << '\f') | \
	 (1ull << '\r'))

static int http1_is_space(unsigned char c)
{
	return c <= ' ' && ((HTTP1_SPACE_MASK >> c) & 1u);
}

/* RFC 9110 tchar. */
static int http1_is_tchar(unsigned char c)
{
	switch (c) {
	case '"':
	case '(':
	case ')':
	case ',':
	case '/':
	case ':':
	case ';':
	case '<':
	case '=':
	case '>':
	case '?':
	case '@':
	case '[':
	case '\\':
	case ']':
	case '{':
	case '}':
		return 0;
	default:
		return c > 32 && c < 127;
	}
}

static void http1_trim(const char **p, size_t *n)
{
	while (*n && http1_is_space((unsigned char)**p)) {
		(*p)++;
		(*n)--;
	}
	while (*n && http1_is_space((unsigned char)(*p)[*n - 1]))
		(*n)--;
}

/* Removes the line end (LF, CRLF, stray CRs) from a line. A line holds at most one LF, its
 * last byte (lines end at the first one), so only CRs can come before it. */
static size_t http1_chomp(const char *p, size_t n)
{
	if (n && p[n - 1] == '\n')
		n--;
	while (n && p[n - 1] == '\r')
		n--;
	return n;
}

/* The n bytes at p equal lit, a lower-case literal, in any ASCII case. */
#define http1_eq_nocase(p, n, lit) aw_ieq((p), (n), lit, sizeof(lit) - 1)

static int http1_contains_nocase(const char *p, size_t n, const char *lit)
{
	size_t l = strlen(lit), i;

	for (i = 0; l <= n && i <= n - l; i++)
		if (strncasecmp(p + i, lit, l) == 0)
			return 1;
	return 0;
}

/* Why a Content-Length value is not a length (http1_parse_length). */
enum http1_cl_error {
	HTTP1_CL_NAN = -1, /* no digits */
	HTTP1_CL_NEGATIVE = -2, /* a minus sign before the digits */
	HTTP1_CL_OVERFLOW = -3 /* past INT64_MAX */
};

/* libhtp's Content-Length: whitespace, then anything up to the first digit (tolerated, as
 * libhtp does), the digits, the rest ignored. A minus sign before the digits and a value past
 * INT64_MAX are no lengths: both are request-smuggling probes (one side reads an endless body
 * or one of a few bytes where the other reads none), so the message is taken as having no body
 * (a request) or a body until the stream ends (a response), and what follows is parsed. Returns
 * the length or an enum http1_cl_error. */
static int64_t http1_parse_length(const char *p, size_t n)
{
	uint64_t v = 0;
	size_t i = 0;
	int minus = 0;

	while (i < n && !(p[i] >= '0' && p[i] <= '9'))
		minus |= p[i++] == '-';
	if (i == n)
		return HTTP1_CL_NAN;
	if (minus)
		return HTTP1_CL_NEGATIVE;
	for (; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
		uint64_t dgt = (uint64_t)(p[i] - '0');

		if (v > ((uint64_t)INT64_MAX - dgt) / 10)
			return HTTP1_CL_OVERFLOW;
		v = v * 10 + dgt;
	}
	return (int64_t)v;
}

/* The anomaly reason of an enum http1_cl_error. */
static const char *http1_cl_error_reason(int64_t e)
{
	switch (e) {
	case HTTP1_CL_NEGATIVE:
		return "negative Content-Length";
	case HTTP1_CL_OVERFLOW:
		return "Content-Length past 2^63-1";
	default:
		return "Content-Length is not a number";
	}
}

/* libhtp's status number: digits only (whitespace around allowed), 100..999; else -1. */
static int http1_parse_status(const char *p, size_t n)
{
	int v = 0;
	size_t i;

	http1_trim(&p, &n);
	if (n == 0 || n > 3)
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v >= 100 && v <= 999 ? v : -1;
}

/* ------------------------------------------------------------------------------------------ */
/* Message boundaries (probe, resynchronisation) */

/* Methods a request may start with when nothing else tells that the bytes are HTTP (methods
 * are case-sensitive). Keep http1_method_known in step. */
static const char *const http1_methods[] = {
	"GET",		 "POST",     "HEAD",	   "PUT",      "DELETE",    "OPTIONS",
	"PATCH",	 "CONNECT",  "TRACE",	   "PROPFIND", "PROPPATCH", "MKCOL",
	"COPY",		 "MOVE",     "LOCK",	   "UNLOCK",   "SEARCH",    "REPORT",
	"MKACTIVITY",	 "CHECKOUT", "MERGE",	   "M-SEARCH", "NOTIFY",    "SUBSCRIBE",
	"UNSUBSCRIBE",	 "PURGE",    "MKCALENDAR", "LINK",     "UNLINK",    "BIND",
	"REBIND",	 "UNBIND",   "ACL",	   "QUERY",    "SOURCE",    "DESCRIBE",
	"ANNOUNCE",	 "SETUP",    "PLAY",	   "PAUSE",    "TEARDOWN",  "RECORD",
	"FLUSH",	 "POLL",     "BPROPFIND",  "BCOPY",    "BDELETE",   "BMOVE",
	"X-MS-ENUMATTS", NULL,
};

int http1__looks_like_request(const char *p, size_t n)
{
	int i, more = 0;

	for (i = 0; http1_methods[i]; i++) {
		size_t l = strlen(http1_methods[i]);

		if (n > l) {
			if (memcmp(p, http1_methods[i], l) == 0 && p[l] == ' ')
				return DISSECTOR_PROBE_YES;
		} else if (memcmp(p, http1_methods[i], n) == 0) {
			more = 1;
		}
	}
	return more ? DISSECTOR_PROBE_NEED_MORE : DISSECTOR_PROBE_NO;
}

int http1__looks_like_response(const char *p, size_t n)
{
	static const char want[] = "HTTP/1.";

	if (n >= sizeof(want) - 1)
		return memcmp(p, want, sizeof(want) - 1) == 0 ? DISSECTOR_PROBE_YES
							      : DISSECTOR_PROBE_NO;
	return memcmp(p, want, n) == 0 ? DISSECTOR_PROBE_NEED_MORE : DISSECTOR_PROBE_NO;
}

static int http1_looks_like(const http1_dir_t *d, const char *p, size_t n)
{
	return d->dir == HTTP1_REQ ? http1__looks_like_request(p, n)
				   : http1__looks_like_response(p, n);
}

/*
 * RESYNC: skips bytes up to the next line start that looks like a message start (a method
 * and a space, or "HTTP/1."), or, right after a gap, the very next byte. A candidate cut short
 * by the end of the data switches to LINE mode anyway: if its line turns out not to be a start
 * line, that line sends the direction back here (resyncing).
 */
int http1__resync_feed(http1_dir_t *d, const char *data, size_t len, size_t *used)
{
	http1_ctx_t *ctx = d->st->ctx;
	size_t pos = 0;

	for (;;) {
		const char *nl;

		if (d->at_boundary) {
			int r = http1_looks_like(d, data + pos, len - pos);

			d->at_boundary = 0;
			if (r != DISSECTOR_PROBE_NO && len > pos) {
				ctx->cnt.resyncs++;
				ctx->cnt.resync_skipped += pos;
				d->mode = HTTP1_MODE_LINE;
				d->resyncing = 1;
				*used = pos;
				return 0;
			}
		}
		nl = memchr(data + pos, '\n', len - pos);
		if (!nl)
			break;
		pos = (size_t)(nl - data) + 1;
		d->at_boundary = 1;
		if (pos == len)
			break;
	}
	ctx->cnt.resync_skipped += len;
	*used = len;
	return 0;
}

void http1__resync_enter(http1_dir_t *d, int at_boundary)
{
	d->mode = HTTP1_MODE_RESYNC;
	d->at_boundary = (uint8_t)at_boundary;
	d->tok.len = 0;
	d->tok.over = 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Lines */

static int http1_tok_append(http1_dir_t *d, const char *p, size_t n)
{
	http1_tok_t *t = &d->tok;
	http1_ctx_t *ctx = d->st->ctx;
	uint32_t limit = (uint32_t)ctx->cfg.max_line;

	if (n > limit - t->len) {
		n = limit - t->len;
		t->over = 1;
	}
	if (t->len + n > t->cap) {
		uint32_t ncap = t->cap ? t->cap : 256;
		char *nb;

		while (ncap < t->len + n)
			ncap *= 2;
		if (ncap > limit)
			ncap = limit;
		nb = mem_realloc(ctx->env->mem, t->buf, t->cap, ncap);
		if (!nb) {
			ctx->cnt.err_alloc++;
			return AW_ENOMEM;
		}
		t->buf = nb;
		t->cap = ncap;
	}
	memcpy(t->buf + t->len, p, n);
	t->len += (uint32_t)n;
	return 0;
}

/*
 * Takes one line (through its LF) from data. Returns 1 with the line (in place when it arrived
 * whole, else from tok), 0 when the data ended first (kept in tok), or a negative error.
 */
static int http1_line_get(http1_dir_t *d, const char *data, size_t len, size_t *used,
			  const char **line, size_t *llen)
{
	const char *nl = memchr(data, '\n', len);
	size_t n;
	int rc;

	if (!nl) {
		*used = len;
		rc = http1_tok_append(d, data, len);
		return rc < 0 ? rc : 0;
	}
	n = (size_t)(nl - data) + 1;
	*used = n;
	if (d->tok.len == 0) {
		/* Whole in data: the cap is the same as for a line gathered across data. */
		if (n > d->st->ctx->cfg.max_line)
			d->tok.over = 1;
		*line = data;
		*llen = n;
		return 1;
	}
	rc = http1_tok_append(d, data, n);
	if (rc < 0)
		return rc;
	*line = d->tok.buf;
	*llen = d->tok.len;
	return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Start lines */

static int http1_copy(http1_dir_t *d, aw_slice_t *dst, const char *p, size_t n)
{
	int rc = api_call_copy(d->call, dst, p, n);

	if (rc == AW_ELIMIT && !d->cut) {
		d->cut = 1;
		d->call->flags |= API_CALL_F_HEADERS_CUT;
		d->st->ctx->cnt.headers_cut++;
	}
	return rc == AW_ENOMEM ? rc : 0;
}

/* Method, URI and protocol as libhtp splits them: the method ends at the first whitespace, the
 * URI at the first SP (or, without one, at any whitespace), the protocol is the rest. */
static int http1_split_request(const char *p, size_t n, aw_slice_t *m, aw_slice_t *u,
			       aw_slice_t *proto)
{
	const char *sp;
	size_t i = 0, s;

	while (i < n && http1_is_space((unsigned char)p[i]))
		i++;
	s = i;
	while (i < n && !http1_is_space((unsigned char)p[i]))
		i++;
	m->ptr = p + s;
	m->len = i - s;
	while (i < n && http1_is_space((unsigned char)p[i]))
		i++;
	s = i;
	sp = memchr(p + s, ' ', n - s);
	i = sp ? (size_t)(sp - p) : n;
	if (i == n) {
		size_t j = s;

		while (j < n && !http1_is_space((unsigned char)p[j]))
			j++;
		i = j;
	}
	u->ptr = p + s;
	u->len = i - s;
	while (i < n && http1_is_space((unsigned char)p[i]))
		i++;
	proto->ptr = p + i;
	proto->len = n - i;
	return m->len > 0;
}

static int http1_method_ok(const aw_slice_t *m)
{
	size_t i;

	if (m->len == 0 || m->len > 32)
		return 0;
	for (i = 0; i < m->len; i++)
		if (!http1_is_tchar((unsigned char)m->ptr[i]))
			return 0;
	return 1;
}

/* A method of the table above, as sent: the usual ones without a scan of the table. */
int http1__method_known(const char *p, size_t n)
{
	int i;

	switch (n) {
	case 3:
		if (memcmp(p, "GET", 3) == 0 || memcmp(p, "PUT", 3) == 0)
			return 1;
		break;
	case 4:
		if (memcmp(p, "POST", 4) == 0 || memcmp(p, "HEAD", 4) == 0)
			return 1;
		break;
	case 5:
		if (memcmp(p, "PATCH", 5) == 0)
			return 1;
		break;
	case 6:
		if (memcmp(p, "DELETE", 6) == 0)
			return 1;
		break;
	case 0:
		return 0;
	default:
		break;
	}
	for (i = 0; http1_methods[i]; i++)
		if (strlen(http1_methods[i]) == n && memcmp(http1_methods[i], p, n) == 0)
			return 1;
	return 0;
}

/* The protocol names HTTP and a version ("HTTP/1.1", libhtp's case-insensitive prefix). */
static int http1_protocol_http(const aw_slice_t *proto)
{
	return proto->len > 5 && aw_ieq(proto->ptr, 5, "http/", 5);
}

/*
 * A line that splits like a request line but has neither a method anybody sends nor an HTTP
 * protocol ("T / HTTP": what is left of a mistyped line in a telnet session, a probe): no
 * transaction is made of it, so that it adds no endpoint and no "T /" call, but an anomaly is
 * raised, and a placeholder takes its place in the pairing queue: a server's answer to it (a
 * 400) pairs with the placeholder rather than with the next real request, and is reported as an
 * anomaly of its own when the placeholder is released (http1.c).
 */
static int http1_cruft_line(http1_dir_t *d)
{
	http1_state_t *st = d->st;
	api_call_t *c;

	if (d->resyncing) {
		http1__resync_enter(d, 0);
		return 0;
	}
	http1__anomaly(d, "REQUEST_LINE_INVALID",
		       "no known method and no HTTP/ protocol: not a request line");
	st->ctx->cnt.cruft_lines++;
	c = http1__call_new(st);
	if (!c)
		return AW_ENOMEM;
	c->owner_data = HTTP1_CRUFT;
	c->req.progress = API_MSG_DONE;
	c->req.first_us = d->first_us;
	c->req.end_us = st->ctx->env->now_us;
	http1__open_append(st, c);
	d->seen_msg = 1;
	return 0;
}

static int http1_request_line(http1_dir_t *d, const char *p, size_t n)
{
	http1_state_t *st = d->st;
	aw_slice_t m, u, proto;
	api_call_t *c;

	if (!http1_split_request(p, n, &m, &u, &proto) || !http1_method_ok(&m)) {
		if (d->resyncing) {
			http1__resync_enter(d, 0);
			return 0;
		}
		http1__anomaly(d, "REQUEST_LINE_INVALID", "request line is not METHOD SP URI");
		return AW_EMALFORMED;
	}
	if (!http1__method_known(m.ptr, m.len) && !http1_protocol_http(&proto))
		return http1_cruft_line(d);
	c = http1__call_new(st);
	if (!c)
		return AW_ENOMEM;
	d->call = c;
	d->resyncing = 0;
	c->req.progress = API_MSG_STARTED;
	c->req.first_us = d->first_us;
	st->ctx->cnt.requests++;
	if (http1_copy(d, &c->method, m.ptr, m.len) < 0 ||
	    http1_copy(d, &c->url, u.ptr, u.len) < 0 ||
	    http1_copy(d, &c->protocol, proto.ptr, proto.len) < 0)
		return AW_ENOMEM;
	http1__open_append(st, c);
	/* Without a protocol this is HTTP/0.9 (no headers), unless header lines follow: the next
	 * line decides (http1__headers_feed). */
	d->maybe09 = proto.len == 0;
	/* An HTTP/0.9 request is whole with its line: that is its end, whenever the next line or
	 * the close confirms it (its latency counts from here). */
	d->end09_us = d->maybe09 ? st->ctx->env->now_us : 0;
	d->mode = HTTP1_MODE_HEADERS;
	return 0;
}

/* Finds the transaction a response belongs to: the oldest request still waiting for one. */
static api_call_t *http1_pair_response(http1_dir_t *d, int interim)
{
	http1_state_t *st = d->st;
	api_call_t *c = st->awaiting;

	if (st->orphans) {
		/* Its request was logged early (pending cap): log the response alone. */
		if (interim)
			return NULL;
		st->orphans--;
		c = NULL;
	}
	if (c || interim)
		return c;
	c = http1__call_new(st);
	if (!c)
		return NULL;
	c->flags |= API_CALL_F_NO_REQUEST;
	c->req.progress = API_MSG_DONE;
	st->ctx->cnt.no_request++;
	http1__open_append(st, c);
	if (d->seen_msg || st->d[HTTP1_REQ].seen_msg)
		http1__anomaly(d, "UNABLE_TO_MATCH_RESPONSE_TO_REQUEST", NULL);
	return c;
}

/* A response that does not start with "HTTP": libhtp (like browsers) takes the bytes as the
 * body of a response without status line or headers, delimited by the end of the stream. */
static int http1_response_without_line(http1_dir_t *d, const char *p, size_t n);

static int http1_status_line(http1_dir_t *d, const char *p, size_t n, size_t llen)
{
	aw_slice_t code, reason;
	api_call_t *c;
	int status, interim;
	size_t i = 0, s;

	while (i < n && (http1_is_space((unsigned char)p[i]) || p[i] == '\0'))
		i++;
	if (n - i < 4 || !aw_ieq(p + i, 4, "http", 4))
		return http1_response_without_line(d, p, llen);
	while (i < n && !http1_is_space((unsigned char)p[i])) /* the protocol */
		i++;
	while (i < n && http1_is_space((unsigned char)p[i]))
		i++;
	s = i;
	while (i < n && !http1_is_space((unsigned char)p[i]))
		i++;
	code.ptr = p + s;
	code.len = i - s;
	while (i < n && http1_is_space((unsigned char)p[i]))
		i++;
	reason.ptr = p + i;
	reason.len = n - i;
	status = http1_parse_status(code.ptr, code.len);
	interim = status >= 100 && status < 200 && status != 101;
	c = http1_pair_response(d, interim);
	d->resyncing = 0;
	d->mode = HTTP1_MODE_HEADERS;
	d->call = c;
	d->discard = (uint8_t)(interim || !c);
	d->framing = HTTP1_FRAME_NONE;
	if (interim) {
		d->st->ctx->cnt.interim++;
		if (c) {
			c->interim++;
			c->flags |= API_CALL_F_INTERIM;
		}
		return 0;
	}
	if (!c)
		return AW_ENOMEM;
	if (status < 0)
		http1__anomaly(d, "RESPONSE_INVALID_STATUS", NULL);
	d->st->ctx->cnt.responses++;
	c->resp.progress = API_MSG_STARTED;
	c->resp.first_us = d->first_us;
	c->status = status > 0 ? status : 0;
	if (http1_copy(d, &c->status_text, code.ptr, code.len) < 0 ||
	    http1_copy(d, &c->reason, reason.ptr, reason.len) < 0)
		return AW_ENOMEM;
	if (d->st->awaiting == c)
		d->st->awaiting = c->next;
	return 0;
}

/* A start line longer than http.max-line: not HTTP, unless we were only looking for HTTP. */
static int http1_line_too_long(http1_dir_t *d)
{
	d->st->ctx->cnt.lines_too_long++;
	d->tok.len = 0;
	d->tok.over = 0;
	if (d->resyncing) {
		http1__resync_enter(d, 0);
		return 0;
	}
	http1__anomaly(d, d->dir ? "RESPONSE_FIELD_TOO_LONG" : "REQUEST_FIELD_TOO_LONG",
		       "start line longer than http.max-line");
	return AW_EMALFORMED;
}

/* Hands a complete start line (line end included) to the request or response reader; blank
 * lines between messages are skipped, as libhtp does. */
static int http1_start_line(http1_dir_t *d, const char *line, size_t llen)
{
	size_t n = http1_chomp(line, llen);
	const char *p = line;
	size_t t = n;

	http1_trim(&p, &t);
	if (t == 0)
		return 0;
	d->call = NULL;
	d->cut = 0;
	d->colon_missing = 0;
	d->has_hdr = 0;
	d->discard = 0;
	if (d->tok.over)
		return http1_line_too_long(d);
	return d->dir == HTTP1_REQ ? http1_request_line(d, line, n)
				   : http1_status_line(d, line, n, llen);
}

int http1__line_feed(http1_dir_t *d, const char *data, size_t len, size_t *used)
{
	const char *line = NULL;
	size_t llen = 0, skip = 0;
	int rc;

	/* Blank lines before a message are not part of it (nor its first byte). */
	if (d->tok.len == 0) {
		while (skip < len && (data[skip] == '\r' || data[skip] == '\n'))
			skip++;
		if (skip == len) {
			*used = len;
			return 0;
		}
		d->first_us = d->st->ctx->env->now_us;
	}
	rc = http1_line_get(d, data + skip, len - skip, used, &line, &llen);
	*used += skip;
	if (rc == 0 && d->tok.over)
		return http1_line_too_long(d); /* no line end within http.max-line */
	if (rc <= 0)
		return rc;
	rc = http1_start_line(d, line, llen);
	d->tok.len = 0;
	d->tok.over = 0;
	return rc;
}

/* At the end of the stream a start line without its line end is still a start line. */
int http1__line_flush_at_close(http1_dir_t *d)
{
	int rc;

	if (d->tok.len == 0)
		return 0;
	rc = http1_start_line(d, d->tok.buf, d->tok.len);
	d->tok.len = 0;
	d->tok.over = 0;
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Header lines */

static void http1_header_cut(http1_dir_t *d)
{
	if (d->cut)
		return;
	d->cut = 1;
	d->call->flags |= API_CALL_F_HEADERS_CUT;
	d->st->ctx->cnt.headers_cut++;
	http1__anomaly(d, d->dir ? "RESPONSE_TOO_MANY_HEADERS" : "REQUEST_TOO_MANY_HEADERS",
		       "headers past http.max-headers or http.max-header-bytes were dropped");
}

/* A header line without its line end; colon is its first ':' (NULL: none). */
static int http1_header_line(http1_dir_t *d, const char *p, size_t n, const char *colon)
{
	const char *name, *value;
	size_t nlen, vlen;
	int rc;

	if (d->discard || !d->call)
		return 0;
	if ((p[0] == ' ' || p[0] == '\t') && d->has_hdr) {
		/* A folded line continues the previous header's value after one space. */
		value = p;
		vlen = n;
		http1_trim(&value, &vlen);
		if (vlen == 0)
			return 0;
		rc = api_call_header_append(d->call, d->dir, " ", 1);
		if (rc == 0)
			rc = api_call_header_append(d->call, d->dir, value, vlen);
		if (rc == AW_ELIMIT)
			http1_header_cut(d);
		return rc == AW_ENOMEM ? rc : 0;
	}
	if (colon) {
		name = p;
		nlen = (size_t)(colon - p);
		value = colon + 1;
		vlen = n - nlen - 1;
	} else {
		/* libhtp keeps such a line as a header with an empty name. */
		name = p;
		nlen = 0;
		value = p;
		vlen = n;
		if (!d->colon_missing) {
			d->colon_missing = 1;
			http1__anomaly(d,
				       d->dir ? "RESPONSE_FIELD_MISSING_COLON"
					      : "REQUEST_FIELD_MISSING_COLON",
				       NULL);
		}
	}
	http1_trim(&name, &nlen);
	http1_trim(&value, &vlen);
	rc = api_call_add_header(d->call, d->dir, name, nlen, value, vlen);
	if (rc == AW_ELIMIT) {
		http1_header_cut(d);
		d->has_hdr = 0;
		return 0;
	}
	if (rc < 0)
		return rc;
	d->has_hdr = 1;
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* End of headers: framing */

/*
 * Content-Length of a message, with libhtp's reading of repeated headers: the first counts (as
 * a server that ignores later copies of the same value would), and a later one that differs or
 * is no number is an anomaly. Returns -1 without one, or *bad set to the reason when it is no
 * length (http1_parse_length).
 */
static int64_t http1_content_length(http1_dir_t *d, const api_message_t *m, const char **bad)
{
	const api_header_t *h = api_message_known(m, API_HDR_CONTENT_LENGTH);
	const api_header_t *h2;
	int64_t cl, cl2;
	unsigned i;

	*bad = NULL;
	if (!h)
		return -1;
	cl = http1_parse_length(h->value.ptr, h->value.len);
	if (m->known_repeated & (1u << API_HDR_CONTENT_LENGTH)) {
		for (i = 1; (h2 = api_message_header(m, "content-length", i)) != NULL; i++) {
			cl2 = http1_parse_length(h2->value.ptr, h2->value.len);
			if (cl2 != cl || cl < 0) {
				http1__anomaly(d,
					       d->dir ? "DUPLICATE_CONTENT_LENGTH_FIELD_IN_RESPONSE"
						      : "DUPLICATE_CONTENT_LENGTH_FIELD_IN_REQUEST",
					       "Content-Length headers disagree");
				break;
			}
		}
	}
	if (cl < 0) {
		*bad = http1_cl_error_reason(cl);
		return -1;
	}
	return cl;
}

/* Transfer-Encoding mentions chunked (in any of its headers). 0: no header, 1: chunked,
 * -1: a Transfer-Encoding without chunked. */
static int http1_chunked(const api_message_t *m)
{
	const api_header_t *h = api_message_known(m, API_HDR_TRANSFER_ENCODING);
	unsigned i;

	if (!h)
		return 0;
	if (http1_contains_nocase(h->value.ptr, h->value.len, "chunked"))
		return 1;
	if (!(m->known_repeated & (1u << API_HDR_TRANSFER_ENCODING)))
		return -1;
	for (i = 1; (h = api_message_header(m, "transfer-encoding", i)) != NULL; i++)
		if (http1_contains_nocase(h->value.ptr, h->value.len, "chunked"))
			return 1;
	return -1;
}

static void http1_fill_message(api_message_t *m)
{
	const api_header_t *h;

	if ((h = api_message_known(m, API_HDR_CONTENT_TYPE)) != NULL)
		m->content_type = h->value;
	if ((h = api_message_known(m, API_HDR_CONTENT_ENCODING)) != NULL)
		m->content_encoding = h->value;
	if ((h = api_message_known(m, API_HDR_TRANSFER_ENCODING)) != NULL)
		m->transfer_encoding = h->value;
	if ((h = api_message_known(m, API_HDR_CONTENT_LENGTH)) != NULL) {
		m->content_length = http1_parse_length(h->value.ptr, h->value.len);
		if (m->content_length < 0)
			m->content_length = -1;
	}
}

/* Request framing, as libhtp decides it; a Content-Length that is no length gives no body
 * (Zeek's reading: the bytes after the head are the next request). */
static int http1_request_framing(http1_dir_t *d, api_message_t *m)
{
	int te = http1_chunked(m);
	const char *bad;
	int64_t cl = http1_content_length(d, m, &bad);

	if (te > 0) {
		if (cl != -1 || bad)
			http1__anomaly(d, "REQUEST_SMUGGLING",
				       "Transfer-Encoding chunked with Content-Length");
		return HTTP1_FRAME_CHUNKED;
	}
	if (te < 0) {
		http1__anomaly(d, "INVALID_TRANSFER_ENCODING_VALUE_IN_REQUEST", NULL);
		return AW_EMALFORMED;
	}
	if (bad) {
		http1__anomaly(d, "INVALID_CONTENT_LENGTH_FIELD_IN_REQUEST", bad);
		m->content_length = -1;
		return HTTP1_FRAME_NONE;
	}
	m->content_length = cl;
	return cl > 0 ? HTTP1_FRAME_LENGTH : HTTP1_FRAME_NONE;
}

/* Response framing, as libhtp decides it; the paired request's method matters (HEAD, CONNECT).
 * A Content-Length that is no length leaves the body to the end of the stream. */
static int http1_response_framing(http1_dir_t *d, api_call_t *c, int status)
{
	api_message_t *m = &c->resp;
	int te = http1_chunked(m), head, connect;
	const char *bad;
	int64_t cl = http1_content_length(d, m, &bad);

	head = http1_eq_nocase(c->method.ptr, c->method.len, "head");
	connect = http1_eq_nocase(c->method.ptr, c->method.len, "connect");
	if (connect && status >= 200 && status < 300)
		return HTTP1_FRAME_TUNNEL;
	if (status == 101 && te == 0 && cl == -1 && !bad)
		return HTTP1_FRAME_TUNNEL;
	if (head)
		return HTTP1_FRAME_NONE;
	if ((status >= 100 && status < 200) || status == 204 || status == 304) {
		if (te == 0 && cl == -1 && !bad)
			return HTTP1_FRAME_NONE;
		http1__anomaly(d, "RESPONSE_BODY_UNEXPECTED", NULL);
	}
	if (te > 0) {
		if (cl != -1 || bad)
			http1__anomaly(d, "REQUEST_SMUGGLING",
				       "Transfer-Encoding chunked with Content-Length");
		return HTTP1_FRAME_CHUNKED;
	}
	if (bad) {
		http1__anomaly(d, "INVALID_CONTENT_LENGTH_FIELD_IN_RESPONSE", bad);
		m->content_length = -1;
		return HTTP1_FRAME_CLOSE;
	}
	if (cl >= 0) {
		m->content_length = cl;
		return cl > 0 ? HTTP1_FRAME_LENGTH : HTTP1_FRAME_NONE;
	}
	return HTTP1_FRAME_CLOSE;
}

/* Gives llhttp a head that carries only the framing (chunked, or until close), so that it
 * reads the body. */
static int http1_llhttp_head(http1_dir_t *d, int framing)
{
	static const char req_te[] = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
	static const char resp_te[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
	static const char resp_close[] = "HTTP/1.1 200 OK\r\n\r\n";
	const char *h;
	size_t n;
	llhttp_errno_t e;

	llhttp_reset(&d->p);
	d->in_body = 0;
	d->pause = HTTP1_PAUSE_NONE;
	if (framing == HTTP1_FRAME_CHUNKED) {
		h = d->dir ? resp_te : req_te;
		n = d->dir ? sizeof(resp_te) - 1 : sizeof(req_te) - 1;
	} else {
		h = resp_close;
		n = sizeof(resp_close) - 1;
	}
	e = llhttp_execute(&d->p, h, n);
	d->in_body = 1;
	d->body_fed = 0;
	return e == HPE_OK ? 0 : AW_EINVAL;
}

static int http1_headers_done(http1_dir_t *d)
{
	api_call_t *c = d->call;
	api_message_t *m;
	int framing;

	d->has_hdr = 0;
	if (!c) {
		d->mode = HTTP1_MODE_LINE;
		return 0;
	}
	if (d->discard) {
		/* A 1xx interim response: its transaction awaits the final one. */
		d->mode = HTTP1_MODE_LINE;
		d->call = NULL;
		return 0;
	}
	m = d->dir ? &c->resp : &c->req;
	http1_fill_message(m);
	framing = d->dir ? http1_response_framing(d, c, c->status) : http1_request_framing(d, m);
	if (framing < 0)
		return framing;
	d->framing = (uint8_t)framing;
	if (framing == HTTP1_FRAME_NONE || framing == HTTP1_FRAME_TUNNEL) {
		http1__msg_finish(d, 0);
		return 0;
	}
	http1__body_begin(d, m);
	d->mode = HTTP1_MODE_MSG;
	if (framing == HTTP1_FRAME_LENGTH) {
		/* Counting bytes needs no parser: llhttp is kept for chunks and close. */
		d->remaining = (uint64_t)m->content_length;
		d->body_fed = 0;
		d->in_body = 1;
		d->pause = HTTP1_PAUSE_NONE;
		return 0;
	}
	return http1_llhttp_head(d, framing);
}

/* One complete header line (line end included), colon its first ':' (NULL: none); d->tok is
 * free again afterwards. */
static int http1_header_line_complete(http1_dir_t *d, const char *line, size_t llen,
				      const char *colon)
{
	size_t n = http1_chomp(line, llen);
	int rc;

	if (d->maybe09) {
		d->maybe09 = 0;
		if (n && !colon) {
			/* An HTTP/0.9 request; this line is the next request's. */
			http1__msg_finish(d, 0);
			d->first_us = d->st->ctx->env->now_us;
			rc = http1_start_line(d, line, llen);
			d->tok.len = 0;
			d->tok.over = 0;
			return rc;
		}
		if (n) {
			/* Header lines follow: the request ends with its headers. */
			d->end09_us = 0;
			http1__anomaly(d, "REQUEST_LINE_MISSING_PROTOCOL", NULL);
		}
	}
	if (d->tok.over) {
		/* Its own event (libhtp's name for a header line past its limit): the cap that
		 * dropped it is the line length, not the header count. */
		d->st->ctx->cnt.lines_too_long++;
		http1__anomaly(d, d->dir ? "RESPONSE_FIELD_TOO_LONG" : "REQUEST_FIELD_TOO_LONG",
			       "header line longer than http.max-line was dropped");
		if (d->call) {
			d->call->flags |= API_CALL_F_HEADERS_CUT;
			d->st->ctx->cnt.headers_cut++;
		}
		d->has_hdr = 0;
		rc = 0;
	} else if (n == 0) {
		rc = http1_headers_done(d);
	} else {
		rc = http1_header_line(d, line, n, colon);
	}
	d->tok.len = 0;
	d->tok.over = 0;
	return rc;
}

/*
 * The end (LF) of the line at p (n bytes), or NULL when the data ends first; *colon gets the
 * first ':' before it (NULL: none). Header lines are short and many: one pass over 16 bytes at
 * a time finds both, where two memchr calls would each pay their set-up; once the colon is
 * found, the rest of the line is searched for the LF alone. (A 64-byte window of bit masks
 * shared by the lines of a section measured no faster.)
 */
static const char *http1_scan_line(const char *p, size_t n, const char **colon)
{
	const char *c = NULL;
	size_t i = 0;

#if defined(__SSE2__)
	const __m128i lf = _mm_set1_epi8('\n'), co = _mm_set1_epi8(':');

	/* The name: up to the first colon or LF. */
	for (; i + 16 <= n; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		unsigned ml = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, lf));
		unsigned mc = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, co));

		if (ml) {
			mc &= (1u << __builtin_ctz(ml)) - 1; /* colons after the LF do not count */
			*colon = mc ? p + i + __builtin_ctz(mc) : NULL;
			return p + i + __builtin_ctz(ml);
		}
		if (mc) {
			c = p + i + __builtin_ctz(mc);
			i += 16;
			break;
		}
	}
	/* The value, once the colon is known: only the LF is looked for. */
	if (c) {
		for (; i + 16 <= n; i += 16) {
			__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
			unsigned ml = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, lf));

			if (ml) {
				*colon = c;
				return p + i + __builtin_ctz(ml);
			}
		}
	}
#endif
	for (; i < n; i++) {
		if (p[i] == '\n') {
			*colon = c;
			return p + i;
		}
		if (p[i] == ':' && !c)
			c = p + i;
	}
	*colon = NULL;
	return NULL;
}

/* Reads header lines while they are whole in data (the usual case: the whole header section
 * in one segment), so that a message's headers cost one call. A line that began in earlier
 * data is completed in d->tok. */
int http1__headers_feed(http1_dir_t *d, const char *data, size_t len, size_t *used)
{
	const char *line = NULL, *colon, *nl;
	size_t llen = 0, off = 0, u;
	int rc;

	for (;;) {
		if (d->tok.len == 0 && (nl = http1_scan_line(data + off, len - off, &colon))) {
			line = data + off;
			llen = (size_t)(nl - line) + 1;
			off += llen;
			if (llen > d->st->ctx->cfg.max_line)
				d->tok.over = 1;
		} else {
			rc = http1_line_get(d, data + off, len - off, &u, &line, &llen);
			off += u;
			if (rc <= 0) /* an error, or the line goes on in the next data */
				break;
			colon = memchr(line, ':', llen);
		}
		rc = http1_header_line_complete(d, line, llen, colon);
		if (rc < 0 || d->mode != HTTP1_MODE_HEADERS || off == len)
			break;
	}
	*used = off;
	return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Responses without a status line */

static int http1_response_without_line(http1_dir_t *d, const char *p, size_t n)
{
	http1_state_t *st = d->st;
	api_call_t *c = st->awaiting;
	int rc;

	if (!c || st->orphans) {
		/* Nothing to answer: midstream bytes, or bytes after the last response. They are
		 * skipped up to the next status line; only a response could be lost there. */
		if (d->seen_msg && !d->resyncing)
			http1__anomaly(d, "RESPONSE_INVALID_PROTOCOL",
				       "bytes that are not a response, with no request pending");
		http1__resync_enter(d, 0);
		d->resyncing = 1;
		return 0;
	}
	d->call = c;
	d->resyncing = 0;
	st->awaiting = c->next;
	st->ctx->cnt.responses++;
	c->resp.progress = API_MSG_STARTED;
	c->resp.first_us = d->first_us;
	d->framing = HTTP1_FRAME_CLOSE;
	d->mode = HTTP1_MODE_MSG;
	http1__body_begin(d, &c->resp);
	rc = http1_llhttp_head(d, HTTP1_FRAME_CLOSE);
	if (rc < 0)
		return rc;
	/* The line itself, line end included, is the first body bytes. */
	return http1__msg_feed_raw(d, p, n);
}

/* ------------------------------------------------------------------------------------------ */
/* llhttp: bodies, trailers, message end */

static int http1_on_body(llhttp_t *p, const char *at, size_t n)
{
	http1_dir_t *d = p->data;

	if (d->in_body)
		http1__body_data(d, at, n);
	return 0;
}

static int http1_on_trailer_field(llhttp_t *p, const char *at, size_t n)
{
	http1_dir_t *d = p->data;

	if (!d->in_body)
		return 0;
	if (d->trailer_name == UINT32_MAX) {
		/* A new trailer starts: what tok held was the previous one (already kept). */
		d->tok.len = 0;
		d->tok.over = 0;
		d->trailer_name = 0;
	}
	(void)http1_tok_append(d, at, n);
	d->trailer_name = d->tok.len;
	return 0;
}

static int http1_on_trailer_value(llhttp_t *p, const char *at, size_t n)
{
	http1_dir_t *d = p->data;

	if (d->in_body)
		(void)http1_tok_append(d, at, n);
	return 0;
}

static int http1_on_trailer_value_complete(llhttp_t *p)
{
	http1_dir_t *d = p->data;
	const char *name, *value;
	size_t nlen, vlen;

	if (!d->in_body || !d->call || d->trailer_name == UINT32_MAX)
		return 0;
	name = d->tok.buf;
	nlen = d->trailer_name;
	value = d->tok.buf + nlen;
	vlen = d->tok.len - nlen;
	http1_trim(&name, &nlen);
	http1_trim(&value, &vlen);
	if (!d->tok.over &&
	    api_call_add_header(d->call, d->dir, name, nlen, value, vlen) == AW_ELIMIT)
		http1_header_cut(d);
	d->trailer_name = UINT32_MAX;
	return 0;
}

static int http1_on_chunk_header(llhttp_t *p)
{
	http1_dir_t *d = p->data;

	if (!d->in_body || p->content_length != 0 || !d->in_exec)
		return 0;
	/* The last chunk: the body as framed ends after its size line (libhtp's length). */
	d->pause = HTTP1_PAUSE_LAST_CHUNK;
	return HPE_PAUSED;
}

static int http1_on_message_complete(llhttp_t *p)
{
	http1_dir_t *d = p->data;

	if (!d->in_body)
		return 0;
	d->pause = HTTP1_PAUSE_MESSAGE;
	return d->in_exec ? HPE_PAUSED : 0;
}

const llhttp_settings_t http1__settings = {
	.on_body = http1_on_body,
	.on_header_field = http1_on_trailer_field,
	.on_header_value = http1_on_trailer_value,
	.on_header_value_complete = http1_on_trailer_value_complete,
	.on_chunk_header = http1_on_chunk_header,
	.on_message_complete = http1_on_message_complete,
};

/* An llhttp error in a body: libhtp reads a response whose chunk sizes make no sense as a body
 * that lasts until the stream ends (returns 1: the framing changed, go on from *used);
 * anything else is malformed. */
static int http1_msg_error(http1_dir_t *d, llhttp_errno_t e, const char *at, size_t *used,
			   const char *data)
{
	if (d->dir == HTTP1_RESP && d->framing == HTTP1_FRAME_CHUNKED && d->call &&
	    d->call->resp.body_framed_bytes == 0) {
		/* A chunk line that is not one (bad size, bad extension): like libhtp, the rest
		 * of the stream is taken as the body. */
		http1__anomaly(d, "INVALID_RESPONSE_CHUNK_LEN", llhttp_get_error_reason(&d->p));
		d->framing = HTTP1_FRAME_CLOSE;
		if (http1_llhttp_head(d, HTTP1_FRAME_CLOSE) < 0)
			return AW_EINVAL;
		*used = (size_t)(at - data);
		return 1;
	}
	if (d->framing == HTTP1_FRAME_CHUNKED && d->call &&
	    (d->dir ? d->call->resp.body_framed_bytes : d->call->req.body_framed_bytes)) {
		/* A bad trailer: the body itself is complete. Where the trailers end is not
		 * known, so the next message is looked for. */
		http1__anomaly(d, d->dir ? "RESPONSE_HEADER_INVALID" : "REQUEST_HEADER_INVALID",
			       llhttp_get_error_reason(&d->p));
		http1__msg_finish(d, 0);
		http1__resync_enter(d, 0);
		d->resyncing = 1;
		*used = (size_t)(at - data);
		return 1;
	}
	if (d->dir == HTTP1_REQ && d->framing == HTTP1_FRAME_CHUNKED && d->call &&
	    e == HPE_INVALID_CHUNK_SIZE) {
		/* A request chunk size that is none, or that overflows 64 bits: a smuggling probe.
		 * The body ends there (as Zeek reads it), and the next request is looked for, so
		 * that what the probe hid is logged as its own transaction. */
		http1__anomaly(d, "INVALID_REQUEST_CHUNK_LEN", llhttp_get_error_reason(&d->p));
		d->body_fed += (size_t)(at - data); /* the body as framed ends at the bad byte */
		http1__msg_finish(d, 0);
		http1__resync_enter(d, 0);
		d->resyncing = 1;
		*used = (size_t)(at - data);
		return 1;
	}
	http1__anomaly(d,
		       e == HPE_INVALID_CHUNK_SIZE
			       ? "INVALID_REQUEST_CHUNK_LEN"
			       : (d->dir ? "RESPONSE_HEADER_INVALID" : "REQUEST_HEADER_INVALID"),
		       llhttp_get_error_reason(&d->p));
	return AW_EMALFORMED;
}

/* A body of known length: its bytes up to the length, then the message is complete. */
static int http1_length_feed(http1_dir_t *d, const char *data, size_t len, size_t *used)
{
	size_t n = len < d->remaining ? len : (size_t)d->remaining;

	http1__body_data(d, data, n);
	d->remaining -= n;
	d->body_fed += n;
	*used = n;
	if (d->remaining == 0)
		http1__msg_finish(d, 0);
	return 0;
}

int http1__msg_feed(http1_dir_t *d, const char *data, size_t len, size_t *used)
{
	llhttp_errno_t e;
	const char *pos;
	size_t n;

	if (d->framing == HTTP1_FRAME_LENGTH)
		return http1_length_feed(d, data, len, used);
	d->in_exec = 1;
	e = llhttp_execute(&d->p, data, len);
	d->in_exec = 0;
	if (e == HPE_OK) {
		d->body_fed += len;
		*used = len;
		return 0;
	}
	pos = llhttp_get_error_pos(&d->p);
	n = pos && pos >= data && pos <= data + len ? (size_t)(pos - data) : len;
	if (e != HPE_PAUSED)
		return http1_msg_error(d, e, pos ? pos : data + len, used, data);
	*used = n;
	d->body_fed += n;
	llhttp_resume(&d->p);
	if (d->pause == HTTP1_PAUSE_LAST_CHUNK && d->call) {
		api_message_t *m = d->dir ? &d->call->resp : &d->call->req;

		m->body_framed_bytes = d->body_fed;
	} else if (d->pause == HTTP1_PAUSE_MESSAGE) {
		http1__msg_finish(d, 0);
	}
	d->pause = HTTP1_PAUSE_NONE;
	return 0;
}

/* Feeds bytes that were already consumed from the stream (a body line read as a line). */
int http1__msg_feed_raw(http1_dir_t *d, const char *data, size_t len)
{
	size_t used = 0, off = 0;
	int rc;

	while (off < len && d->mode == HTTP1_MODE_MSG) {
		rc = http1__msg_feed(d, data + off, len - off, &used);
		if (rc < 0)
			return rc;
		off += used;
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Message end */

/* A CONNECT, or a request asking for a protocol change (Upgrade with Connection: upgrade). */
static int http1_wants_hold(const api_call_t *c)
{
	const api_header_t *conn;

	if (c->flags & API_CALL_F_NO_REQUEST)
		return 0;
	if (http1_eq_nocase(c->method.ptr, c->method.len, "connect"))
		return 1;
	conn = api_message_known(&c->req, API_HDR_CONNECTION);
	return api_message_known(&c->req, API_HDR_UPGRADE) && conn &&
	       http1_contains_nocase(conn->value.ptr, conn->value.len, "upgrade");
}

/*
 * Ends the current message of the direction: complete, or given up (by_close: the stream ended
 * first). Records its end time and framed size, releases its body decoder and tells http1.c
 * so that the transaction can be finished.
 */
void http1__msg_finish(http1_dir_t *d, int by_close)
{
	api_call_t *c = d->call;
	api_message_t *m;
	int upgrade = d->framing == HTTP1_FRAME_TUNNEL;

	http1__body_end(d, !by_close || d->framing == HTTP1_FRAME_CLOSE);
	d->mode = HTTP1_MODE_LINE;
	d->in_body = 0;
	d->call = NULL;
	d->seen_msg = 1;
	d->trailer_name = UINT32_MAX;
	d->tok.len = 0;
	d->tok.over = 0;
	if (!c)
		return;
	m = d->dir ? &c->resp : &c->req;
	if (d->framing != HTTP1_FRAME_CHUNKED || m->body_framed_bytes == 0)
		m->body_framed_bytes =
			d->framing == HTTP1_FRAME_CHUNKED ? d->body_fed : m->body_wire_bytes;
	m->end_us = d->dir == HTTP1_REQ && d->end09_us ? d->end09_us : d->st->ctx->env->now_us;
	d->end09_us = 0;
	m->progress = API_MSG_DONE;
	if (d->dir == HTTP1_REQ && !by_close && http1_wants_hold(c)) {
		/* Until its answer is known, what follows may be another protocol. */
		d->mode = HTTP1_MODE_HOLD;
		d->st->hold_call = c;
	} else if (d->dir == HTTP1_RESP && c == d->st->hold_call && !upgrade) {
		/* Refused: the client goes on speaking HTTP (held bytes are read next). */
		d->st->hold_call = NULL;
		if (d->st->d[HTTP1_REQ].mode == HTTP1_MODE_HOLD) {
			d->st->d[HTTP1_REQ].mode = HTTP1_MODE_LINE;
			d->st->drain = 1;
		}
	}
	if (upgrade)
		http1__upgrade(d, c);
	http1__tx_check_done(d->st, c, d->dir, by_close);
}

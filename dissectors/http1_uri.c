/*
 * http1_uri.c - host, port, path and query of a finished API call.
 *
 * Called by http1.c just before a record is handed on. The host and port come from the request
 * target when it is absolute (or the authority of a CONNECT), else from the Host header, as
 * libhtp decides them (so that EVE's hostname and http_port match Suricata's): the host is
 * lower-cased, an IPv6 literal keeps its brackets, a port is kept only when it is a number from
 * 1 to 65535. The path is percent-decoded into the record's arena; the query stays raw.
 * Nothing here reads the body or allocates outside the record.
 */
#include "http1_private.h"

#include <string.h>
#include <strings.h>

/* The characters that end a host in an authority (libhtp: "/?#", and ':' before a port). */
static int http1_host_end(char ch, int colon_ends)
{
	return ch == '/' || ch == '?' || ch == '#' || (colon_ends && ch == ':');
}

/* Splits "host[:port]" (an authority, or a Host header value) as libhtp does. Returns 0 when
 * there is no host. */
static int http1_hostport(const char *p, size_t n, aw_slice_t *host, int32_t *port)
{
	size_t i = 0, s, e;
	uint32_t v = 0;

	if (n >= 2 && p[0] == '/' && p[1] == '/')
		i = 2;
	if (i < n && p[i] == '/')
		return 0;
	while (i < n && p[i] == ' ')
		i++;
	s = i;
	if (i < n && p[i] == '[') {
		while (i < n && !http1_host_end(p[i], 0) && p[i] != ']')
			i++;
		if (i < n && p[i] == ']')
			i++;
	} else {
		while (i < n && !http1_host_end(p[i], 1))
			i++;
	}
	e = i;
	while (e > s && p[e - 1] == ' ')
		e--;
	if (e == s)
		return 0;
	host->ptr = p + s;
	host->len = e - s;
	*port = -1;
	if (i < n && p[i] == ':') {
		i++;
		while (i < n && p[i] == ' ')
			i++;
		s = i;
		while (i < n && p[i] >= '0' && p[i] <= '9' && v <= 65535)
			v = v * 10 + (uint32_t)(p[i++] - '0');
		if (i > s && (i == n || http1_host_end(p[i], 0) || p[i] == ' ') && v >= 1 &&
		    v <= 65535)
			*port = (int32_t)v;
	}
	return 1;
}

/* Where the authority of an absolute target starts ("scheme://"), or NULL. */
static const char *http1_authority(const char *p, size_t n, size_t *alen)
{
	const char *colon, *a, *end = p + n, *q;

	if (n == 0 || p[0] == '/')
		return NULL;
	colon = memchr(p, ':', n);
	if (!colon || (size_t)(end - colon) < 3 || colon[1] != '/' || colon[2] != '/')
		return NULL;
	a = colon + 3;
	for (q = a; q < end && !http1_host_end(*q, 0); q++)
		;
	/* Credentials are not part of the host. */
	{
		const char *at = memchr(a, '@', (size_t)(q - a));

		if (at)
			a = at + 1;
	}
	*alen = (size_t)(q - a);
	return a;
}

static void http1_lower_host(api_call_t *c, aw_slice_t host)
{
	size_t i;
	char *w;

	for (i = 0; i < host.len; i++)
		if (host.ptr[i] >= 'A' && host.ptr[i] <= 'Z')
			break;
	if (i == host.len) {
		c->host = host;
		return;
	}
	if (api_call_copy(c, &c->host, host.ptr, host.len) < 0) {
		c->host = host;
		return;
	}
	w = (char *)c->host.ptr; /* the copy is the record's own */
	for (i = 0; i < host.len; i++)
		if (w[i] >= 'A' && w[i] <= 'Z')
			w[i] = (char)(w[i] - 'A' + 'a');
}

static void http1_host(api_call_t *c)
{
	const api_header_t *h;
	aw_slice_t host = {NULL, 0};
	int32_t port = -1;
	const char *auth;
	size_t alen = 0;
	int found = 0;

	if (c->method.len == 7 && strncasecmp(c->method.ptr, "CONNECT", 7) == 0)
		found = http1_hostport(c->url.ptr, c->url.len, &host, &port);
	else if ((auth = http1_authority(c->url.ptr, c->url.len, &alen)) != NULL)
		found = http1_hostport(auth, alen, &host, &port);
	if (!found) {
		h = api_message_known(&c->req, API_HDR_HOST);
		if (h)
			found = http1_hostport(h->value.ptr, h->value.len, &host, &port);
	}
	if (!found)
		return;
	http1_lower_host(c, host);
	c->port = port;
}

static int http1_hex(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Path (percent-decoded) and query of the target. */
static void http1_path_query(api_call_t *c)
{
	const char *p = c->url.ptr, *end = c->url.ptr + c->url.len, *s, *q, *hash;
	size_t alen = 0, i, o;
	const char *auth = http1_authority(p, c->url.len, &alen);
	char *w;

	s = auth ? auth + alen : p;
	/* The path ends at the first '?' or '#'. */
	hash = memchr(s, '#', (size_t)(end - s));
	q = memchr(s, '?', (size_t)((hash ? hash : end) - s));
	if (!q)
		q = hash ? hash : end;
	if (q < end && *q == '?') {
		const char *qe = memchr(q + 1, '#', (size_t)(end - q - 1));

		c->query.ptr = q + 1;
		c->query.len = (size_t)((qe ? qe : end) - (q + 1));
	}
	c->path.ptr = s;
	c->path.len = (size_t)(q - s);
	if (!memchr(s, '%', c->path.len))
		return;
	if (api_call_copy(c, &c->path, s, (size_t)(q - s)) < 0)
		return;
	w = (char *)c->path.ptr; /* the copy is the record's own */
	for (i = 0, o = 0; i < c->path.len; i++, o++) {
		int hi, lo;

		if (w[i] == '%' && i + 2 < c->path.len && (hi = http1_hex(w[i + 1])) >= 0 &&
		    (lo = http1_hex(w[i + 2])) >= 0) {
			w[o] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			w[o] = w[i];
		}
	}
	c->path.len = o;
}

void http1__finalize(api_call_t *c)
{
	if (c->flags & API_CALL_F_NO_REQUEST)
		return;
	http1_host(c);
	if (c->url.len && !(c->method.len == 7 && strncasecmp(c->method.ptr, "CONNECT", 7) == 0))
		http1_path_query(c);
}

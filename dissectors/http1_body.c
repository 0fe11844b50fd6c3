/*
 * http1_body.c - message bodies: sizes and the kept copy.
 *
 * Fed by http1_parse.c with de-chunked body bytes as llhttp hands them on; keeps at most
 * http.body-limit bytes per message in the record (api_call.c) and counts the rest. A body with
 * Content-Encoding gzip / x-gzip or deflate is kept as sent and decoded only when a later stage
 * reads it (api_call_body): inflating every body would cost more than the rest of the pipeline
 * together, and the decoded size of a gzip body is known anyway, from the ISIZE field of its
 * trailer, which is remembered in passing. Other encodings (br, several layers) are kept as
 * sent and marked as not decoded.
 *
 * Nothing here allocates: bytes go into the record's pooled buffers.
 */
#include "http1_private.h"

#include <string.h>
#include <strings.h>

#define HTTP1_GZIP_MIN 18 /* header and trailer of an empty gzip member */

static api_message_t *http1_body_msg(http1_dir_t *d)
{
	return d->dir ? &d->call->resp : &d->call->req;
}

static uint8_t http1_encoding(const aw_slice_t *ce)
{
	const char *p = ce->ptr;
	size_t n = ce->len;

	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (n == 0 || (n == 8 && strncasecmp(p, "identity", 8) == 0))
		return API_ENC_IDENTITY;
	if ((n == 4 && strncasecmp(p, "gzip", 4) == 0) ||
	    (n == 6 && strncasecmp(p, "x-gzip", 6) == 0))
		return API_ENC_GZIP;
	if (n == 7 && strncasecmp(p, "deflate", 7) == 0)
		return API_ENC_DEFLATE;
	return API_ENC_UNSUPPORTED;
}

void http1__body_begin(http1_dir_t *d, api_message_t *m)
{
	http1_body_t *b = &d->body;

	b->enc = http1_encoding(&m->content_encoding);
	b->active = d->st->ctx->cfg.body_limit > 0;
	b->gap = 0;
	b->tail_len = 0;
	m->encoding = b->enc;
	m->body_bytes = b->enc == API_ENC_IDENTITY ? 0 : API_SIZE_UNKNOWN;
	m->body_state = b->enc == API_ENC_GZIP || b->enc == API_ENC_DEFLATE ? API_BODY_ENCODED
									    : API_BODY_PLAIN;
}

/* The body limit was reached: the rest is counted, not kept. */
static void http1_body_cut(http1_dir_t *d)
{
	d->body.active = 0;
	d->call->flags |= d->dir ? API_CALL_F_RESP_BODY_CUT : API_CALL_F_REQ_BODY_CUT;
	d->st->ctx->cnt.bodies_cut++;
}

static void http1_body_keep(http1_dir_t *d, int raw, const char *data, size_t n)
{
	while (n) {
		size_t room, k;
		char *w = api_call_body_reserve(d->call, d->dir, raw, n, &room);

		if (!w || room == 0) {
			http1_body_cut(d);
			return;
		}
		k = n < room ? n : room;
		memcpy(w, data, k);
		api_call_body_commit(d->call, d->dir, raw, k);
		data += k;
		n -= k;
	}
}

/* The last four bytes seen: a gzip member ends with its decoded size (ISIZE, little endian). */
static void http1_body_tail(http1_body_t *b, const char *data, size_t n)
{
	if (n >= 4) {
		memcpy(b->tail, data + n - 4, 4);
		b->tail_len = 4;
		return;
	}
	if (b->tail_len + n > 4) {
		size_t drop = b->tail_len + n - 4;

		memmove(b->tail, b->tail + drop, b->tail_len - drop);
		b->tail_len = (uint8_t)(b->tail_len - drop);
	}
	memcpy(b->tail + b->tail_len, data, n);
	b->tail_len = (uint8_t)(b->tail_len + n);
}

void http1__body_data(http1_dir_t *d, const char *data, size_t n)
{
	api_message_t *m;

	if (!d->call || n == 0)
		return;
	m = http1_body_msg(d);
	m->body_wire_bytes += n;
	if (d->body.enc == API_ENC_IDENTITY)
		m->body_bytes += n;
	else if (d->body.enc == API_ENC_GZIP)
		http1_body_tail(&d->body, data, n);
	if (d->body.active)
		http1_body_keep(d, m->body_state == API_BODY_ENCODED, data, n);
}

void http1__body_gap(http1_dir_t *d, uint64_t len)
{
	api_message_t *m;

	if (!d->call)
		return;
	m = http1_body_msg(d);
	m->body_wire_bytes += len;
	if (d->body.enc == API_ENC_IDENTITY)
		m->body_bytes += len;
	/* A kept copy cannot have a hole, nor can a compressed stream be read across one. */
	d->body.active = 0;
	d->body.gap = 1;
}

void http1__body_end(http1_dir_t *d, int complete)
{
	http1_body_t *b = &d->body;
	api_message_t *m;

	if (d->call && complete && !b->gap && b->enc == API_ENC_GZIP && b->tail_len == 4) {
		m = http1_body_msg(d);
		if (m->body_wire_bytes >= HTTP1_GZIP_MIN)
			m->body_bytes = (uint64_t)(unsigned char)b->tail[0] |
					(uint64_t)(unsigned char)b->tail[1] << 8 |
					(uint64_t)(unsigned char)b->tail[2] << 16 |
					(uint64_t)(unsigned char)b->tail[3] << 24;
	}
	b->active = 0;
	b->tail_len = 0;
	b->gap = 0;
}

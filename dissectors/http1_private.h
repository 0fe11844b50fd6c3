/*
 * http1_private.h - the HTTP/1.x dissector's layout, shared by dissectors/http1*.c only.
 *
 * http1.c        registration, per-pipeline context, flow state, gaps, ends, emission
 * http1_parse.c  start lines, headers, body framing (llhttp callbacks), transaction pairing
 * http1_body.c   bodies: the kept copy and their sizes
 * http1_uri.c    host, port, path and query of a finished call
 */
#ifndef APIWATCH_HTTP1_PRIVATE_H
#define APIWATCH_HTTP1_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include <llhttp.h>

#include "api_call.h"
#include "dissector.h"
#include "http1.h"

#define HTTP1_REQ 0
#define HTTP1_RESP 1

/* What a direction is doing with the bytes it is given. */
enum http1_mode {
	HTTP1_MODE_LINE = 0, /* between messages: reading a start line */
	HTTP1_MODE_HEADERS, /* reading header lines */
	HTTP1_MODE_MSG, /* llhttp is framing the body */
	HTTP1_MODE_RESYNC, /* after a gap or midstream: looking for a message boundary */
	HTTP1_MODE_HOLD, /* a CONNECT / Upgrade awaits its answer: bytes are held */
	HTTP1_MODE_TUNNEL, /* after a CONNECT tunnel opened: is the tunnel HTTP? */
	HTTP1_MODE_STOP /* another protocol or a fatal error: bytes are ignored */
};

/* Why llhttp_execute was paused by a callback. */
enum http1_pause {
	HTTP1_PAUSE_NONE = 0,
	HTTP1_PAUSE_LAST_CHUNK, /* the zero-size chunk: the framed body ends here */
	HTTP1_PAUSE_MESSAGE /* message complete */
};

/* How a message body is delimited, decided from its headers as libhtp does. */
enum http1_framing {
	HTTP1_FRAME_NONE = 0, /* no body */
	HTTP1_FRAME_LENGTH, /* Content-Length */
	HTTP1_FRAME_CHUNKED, /* Transfer-Encoding: chunked */
	HTTP1_FRAME_CLOSE, /* response body until the stream ends */
	HTTP1_FRAME_INTERIM, /* 1xx interim response: the transaction goes on */
	HTTP1_FRAME_TUNNEL /* 101 / CONNECT 2xx: the rest is another protocol */
};

typedef struct http1_body {
	uint8_t enc; /* API_ENC_* of the message */
	uint8_t active; /* bytes are still kept */
	uint8_t gap; /* a gap hit the body */
	uint8_t tail_len; /* bytes in tail */
	char tail[4]; /* last body bytes: a gzip trailer's decoded size */
} http1_body_t;

/* A line (start line or header line) being read across packets; lines that arrive whole are
 * read in place and never copied here. Capped at http1_config_t.max_line. */
typedef struct http1_tok {
	char *buf;
	uint32_t len, cap;
	uint8_t over; /* the line passed the cap */
} http1_tok_t;

typedef struct http1_ctx http1_ctx_t;
typedef struct http1_state http1_state_t;

typedef struct http1_dir {
	llhttp_t p;
	http1_state_t *st;
	api_call_t *call; /* the transaction this direction is filling */
	uint8_t dir; /* HTTP1_REQ or HTTP1_RESP */
	uint8_t mode; /* enum http1_mode */
	uint8_t pause; /* enum http1_pause */
	uint8_t closed; /* the stream ended */
	uint8_t framing; /* enum http1_framing of the current message */
	uint8_t discard; /* headers of this message are not kept (1xx interim) */
	uint8_t in_body; /* llhttp has the head: its header callbacks are trailers */
	uint8_t in_exec; /* inside llhttp_execute: callbacks may pause it */
	uint8_t resyncing; /* an invalid start line means "keep looking", not an error */
	uint8_t at_boundary; /* RESYNC: the next byte may start a message (after a gap) */
	uint8_t cut; /* a cap dropped a header of this message (reported once) */
	uint8_t colon_missing; /* a header line without a colon was reported */
	uint8_t has_hdr; /* a header of this message was kept: folding may extend it */
	uint8_t seen_msg; /* a message was parsed in this direction */
	uint8_t maybe09; /* a request line without protocol: HTTP/0.9 unless headers follow */
	uint32_t trailer_name; /* trailer being read: bytes of tok that are its name */
	uint64_t first_us; /* packet time of the first byte of the current message */
	uint64_t end09_us; /* a request line without protocol: packet time of its end */
	uint64_t body_fed; /* body bytes read for the current message */
	uint64_t remaining; /* HTTP1_FRAME_LENGTH: body bytes still to come (read without llhttp) */
	http1_tok_t tok;
	http1_body_t body;
	char *hold; /* bytes held in HOLD / TUNNEL mode */
	uint32_t hold_len, hold_cap;
} http1_dir_t;

struct http1_state {
	http1_ctx_t *ctx;
	flow_t *flow;
	http1_state_t *free_next;
	http1_dir_t d[2];
	api_call_t *head, *tail; /* open transactions in tx order */
	api_call_t *awaiting; /* first open transaction whose response has not started */
	uint32_t nopen, ndone;
	api_call_t *done_head, *done_tail; /* finished, waiting for the peer's acknowledgement */
	uint64_t next_tx_id;
	uint32_t orphans; /* responses still due to evicted requests */
	api_call_t *hold_call; /* the CONNECT / Upgrade request whose answer is awaited */
	uint8_t close_armed; /* both streams just ended: emit at the next packet */
	uint8_t drain; /* held bytes became readable: read them next */
	uint8_t stopped; /* nothing more to parse in either direction */
};

struct http1_ctx {
	dissector_env_t *env;
	http1_config_t cfg;
	api_call_pool_t *calls;
	http1_state_t *free_states;
	uint32_t nfree_states;
	http1_counters_t cnt;
};

/* owner_data of a finished call: how it finished, for the emission rule (http1.c). */
#define HTTP1_DONE_DIR_MASK 0x1u /* direction whose bytes finished it */
#define HTTP1_DONE_BY_CLOSE 0x2u /* finished by the end of a stream, not by bytes */
#define HTTP1_DONE_FINISHED 0x4u /* both messages are done */
#define HTTP1_CRUFT 0x8u /* a placeholder for a line that was no request: never logged as a call */

/* http1.c */
void http1__anomaly(http1_dir_t *d, const char *event, const char *reason);
void http1__tx_check_done(http1_state_t *st, api_call_t *c, int dir, int by_close);
void http1__open_append(http1_state_t *st, api_call_t *c);
api_call_t *http1__call_new(http1_state_t *st);

void http1__upgrade(http1_dir_t *d, api_call_t *c);

/* http1_parse.c: each *_feed consumes a prefix of data (*used) in its mode and may change
 * the mode; they return 0, 1 (the message was re-framed: go on, even if nothing was used) or
 * a negative error (the flow is then given up). */
extern const llhttp_settings_t http1__settings;
int http1__line_feed(http1_dir_t *d, const char *data, size_t len, size_t *used);
int http1__headers_feed(http1_dir_t *d, const char *data, size_t len, size_t *used);
int http1__msg_feed(http1_dir_t *d, const char *data, size_t len, size_t *used);
int http1__msg_feed_raw(http1_dir_t *d, const char *data, size_t len);
int http1__resync_feed(http1_dir_t *d, const char *data, size_t len, size_t *used);
void http1__resync_enter(http1_dir_t *d, int at_boundary);
int http1__line_flush_at_close(http1_dir_t *d);
void http1__msg_finish(http1_dir_t *d, int by_close);
int http1__looks_like_request(const char *p, size_t n);
int http1__looks_like_response(const char *p, size_t n);
int http1__method_known(const char *p, size_t n);

/* http1_uri.c: host, port, path and query of a finished call (libhtp's rules). */
void http1__finalize(api_call_t *c);

/* http1_body.c */
void http1__body_begin(http1_dir_t *d, api_message_t *m);
void http1__body_data(http1_dir_t *d, const char *data, size_t len);
void http1__body_end(http1_dir_t *d, int complete);
void http1__body_gap(http1_dir_t *d, uint64_t len);

#endif

/*
 * http1.c - the HTTP/1.x dissector: registration, flow state, transactions and their emission.
 *
 * Fed by the pipeline (dissector.h) with each direction's reassembled bytes, gaps and end, and
 * with every packet of the flow; feeds the pipeline, through the environment's emit callback,
 * one API call record per transaction, and anomaly events.
 *
 * A transaction is opened by a request line and joined by the next response (responses come in
 * request order, so pipelined requests simply wait in a queue, capped at http.max-pending). A
 * response without a pending request, a request whose response never comes, and a message cut
 * by a gap or by the end of the stream all still make a record, flagged. Records are not handed
 * on the moment the last byte is parsed but at the next packet from the other side (or, for
 * transactions ended by a close, the first packet after both sides closed; or at the end of the
 * flow): that is when Suricata's stream engine, which parses data once it is acknowledged, logs
 * them, so timestamps and pcap_cnt agree with Suricata's.
 *
 * After a gap, a direction skips to the next message boundary (http1_parse.c); after a CONNECT
 * tunnel opens, the tunnel is parsed as HTTP again (transaction ids restart, as in Suricata) if
 * it starts like HTTP, else the flow is left alone; after 101 Switching Protocols it is left
 * alone. What is read from the wire lives in http1_parse.c and http1_body.c.
 */
#include "http1_private.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "error.h"

#define HTTP1_STATES_KEEP 1024 /* idle flow states kept per pipeline */
#define HTTP1_TOK_KEEP 1024 /* line and hold buffers kept with an idle state */

void http1_config_default(http1_config_t *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->body_limit = 64u << 10;
	cfg->max_header_bytes = 64u << 10;
	cfg->max_line = 16u << 10;
	cfg->tunnel_hold = 16u << 10;
	cfg->memcap = 512ull << 20;
	cfg->max_headers = 256;
	cfg->max_pending = 512;
	cfg->decompress_ratio = 500;
}

/* ------------------------------------------------------------------------------------------ */
/* Context */

static int http1_ctx_new(void **out, dissector_env_t *env)
{
	http1_ctx_t *ctx;
	api_call_limits_t lim;
	int rc;

	*out = NULL;
	ctx = mem_calloc(env->mem, sizeof(*ctx));
	if (!ctx)
		return AW_ENOMEM;
	ctx->env = env;
	if (env->cfg)
		ctx->cfg = env->cfg->http;
	else
		http1_config_default(&ctx->cfg);
	if (ctx->cfg.max_line < 64)
		ctx->cfg.max_line = 64;
	if (ctx->cfg.max_pending < 2)
		ctx->cfg.max_pending = 2;
	if (ctx->cfg.max_line > (1u << 30))
		ctx->cfg.max_line = 1u << 30;
	if (ctx->cfg.tunnel_hold > (1u << 30))
		ctx->cfg.tunnel_hold = 1u << 30;
	lim.max_headers = ctx->cfg.max_headers;
	lim.max_arena =
		(uint32_t)(ctx->cfg.max_header_bytes < (1u << 30) ? ctx->cfg.max_header_bytes
								  : (1u << 30));
	lim.max_body =
		(uint32_t)(ctx->cfg.body_limit < (1u << 30) ? ctx->cfg.body_limit : (1u << 30));
	lim.max_free = 1024;
	lim.decompress_ratio = ctx->cfg.decompress_ratio;
	rc = api_call_pool_new(&ctx->calls, &lim, env->mem);
	if (rc < 0) {
		mem_free(env->mem, ctx, sizeof(*ctx));
		return rc;
	}
	*out = ctx;
	return 0;
}

static void http1_state_storage_free(http1_ctx_t *ctx, http1_state_t *st)
{
	int i;

	for (i = 0; i < 2; i++) {
		mem_free(ctx->env->mem, st->d[i].tok.buf, st->d[i].tok.cap);
		mem_free(ctx->env->mem, st->d[i].hold, st->d[i].hold_cap);
		st->d[i].tok.buf = NULL;
		st->d[i].tok.cap = 0;
		st->d[i].hold = NULL;
		st->d[i].hold_cap = 0;
	}
}

static void http1_ctx_free(void *p)
{
	http1_ctx_t *ctx = p;
	http1_state_t *st, *n;

	if (!ctx)
		return;
	for (st = ctx->free_states; st; st = n) {
		n = st->free_next;
		http1_state_storage_free(ctx, st);
		mem_free(ctx->env->mem, st, sizeof(*st));
	}
	api_call_pool_free(ctx->calls);
	mem_free(ctx->env->mem, ctx, sizeof(*ctx));
}

const http1_counters_t *http1_ctx_counters(const void *ctx)
{
	return &((const http1_ctx_t *)ctx)->cnt;
}

const api_call_pool_counters_t *http1_ctx_pool_counters(const void *ctx)
{
	return api_call_pool_counters(((const http1_ctx_t *)ctx)->calls);
}

/* ------------------------------------------------------------------------------------------ */
/* Anomalies and transactions */

void http1__anomaly(http1_dir_t *d, const char *event, const char *reason)
{
	http1_state_t *st = d->st;
	dissector_env_t *env = st->ctx->env;

	st->ctx->cnt.anomalies++;
	if (d->call)
		d->call->flags |= API_CALL_F_ANOMALY;
	if (env->anomaly)
		env->anomaly(env, st->flow, d->dir, d->call ? d->call->tx_id : st->next_tx_id,
			     "http", event, reason);
}

/* Releases the placeholder of a line that was no request (http1_cruft_line); a response paired
 * with it is reported, so that the server's answer (typically a 400) is accounted for. */
static void http1_cruft_release(http1_state_t *st, api_call_t *c)
{
	dissector_env_t *env = st->ctx->env;
	char reason[96];

	if (c->resp.progress != API_MSG_NONE && !(c->flags & API_CALL_F_NO_RESPONSE)) {
		st->ctx->cnt.cruft_answered++;
		st->ctx->cnt.anomalies++;
		snprintf(reason, sizeof(reason), "response %d to a line that was not a request",
			 c->status);
		if (env->anomaly)
			env->anomaly(env, st->flow, HTTP1_RESP, c->tx_id, "http",
				     "RESPONSE_TO_INVALID_REQUEST", reason);
	}
	api_call_release(c);
}

/* Hands a finished record on to the pipeline, which owns it from then on. */
static void http1_emit(http1_state_t *st, api_call_t *c)
{
	dissector_env_t *env = st->ctx->env;

	c->next = NULL;
	if (c->owner_data & HTTP1_CRUFT) {
		http1_cruft_release(st, c);
		return;
	}
	c->owner_data = 0;
	if (c->resp.progress == API_MSG_NONE && !(c->flags & API_CALL_F_NO_REQUEST)) {
		c->flags |= API_CALL_F_NO_RESPONSE;
		st->ctx->cnt.no_response++;
	}
	http1__finalize(c);
	st->ctx->cnt.tx++;
	if (env->emit)
		env->emit(env, c);
	else
		api_call_release(c);
}

/* The open transaction to log early when too many await their response: the oldest one that
 * no direction is still filling. Returns it unlinked, with *prevp its predecessor. */
static api_call_t *http1_evict_pick(http1_state_t *st)
{
	api_call_t *c, *prev = NULL;

	for (c = st->head; c; prev = c, c = c->next) {
		if (c == st->d[0].call || c == st->d[1].call || c == st->hold_call)
			continue;
		if (prev)
			prev->next = c->next;
		else
			st->head = c->next;
		if (st->tail == c)
			st->tail = prev;
		if (st->awaiting == c)
			st->awaiting = c->next;
		st->nopen--;
		return c;
	}
	return NULL;
}

static void http1_evict(http1_state_t *st)
{
	api_call_t *c = st->done_head;

	if (c) {
		st->done_head = c->next;
		if (!st->done_head)
			st->done_tail = NULL;
		st->ndone--;
	} else {
		c = http1_evict_pick(st);
		if (!c)
			return;
		if (c->resp.progress == API_MSG_NONE && !(c->flags & API_CALL_F_NO_REQUEST))
			st->orphans++;
		c->flags |= API_CALL_F_EVICTED;
	}
	st->ctx->cnt.pending_evicted++;
	http1_emit(st, c);
}

api_call_t *http1__call_new(http1_state_t *st)
{
	api_call_t *c;

	if (st->nopen + st->ndone >= st->ctx->cfg.max_pending)
		http1_evict(st);
	c = api_call_get(st->ctx->calls);
	if (!c) {
		st->ctx->cnt.err_alloc++;
		return NULL;
	}
	c->flow = st->flow;
	c->tx_id = st->next_tx_id++;
	return c;
}

void http1__open_append(http1_state_t *st, api_call_t *c)
{
	c->next = NULL;
	if (st->tail)
		st->tail->next = c;
	else
		st->head = c;
	st->tail = c;
	st->nopen++;
	if (!st->awaiting && !(c->flags & API_CALL_F_NO_REQUEST) &&
	    c->resp.progress == API_MSG_NONE)
		st->awaiting = c;
}

/* Moves finished transactions from the front of the open queue to the emission queue. */
static void http1_sweep(http1_state_t *st)
{
	api_call_t *c;

	while ((c = st->head) != NULL && (c->owner_data & HTTP1_DONE_FINISHED)) {
		st->head = c->next;
		if (!st->head)
			st->tail = NULL;
		st->nopen--;
		c->next = NULL;
		if (st->done_tail)
			st->done_tail->next = c;
		else
			st->done_head = c;
		st->done_tail = c;
		st->ndone++;
	}
}

void http1__tx_check_done(http1_state_t *st, api_call_t *c, int dir, int by_close)
{
	if (c->req.progress != API_MSG_DONE || c->resp.progress != API_MSG_DONE)
		return;
	c->owner_data = (c->owner_data & HTTP1_CRUFT) | HTTP1_DONE_FINISHED | (uint32_t)(dir & 1) |
			(by_close ? HTTP1_DONE_BY_CLOSE : 0);
	http1_sweep(st);
}

/* Everything still held is logged: the flow ends or the dissector is detached. */
static void http1_flush(http1_state_t *st)
{
	api_call_t *c;
	int i;

	for (i = 0; i < 2; i++) {
		http1_dir_t *d = &st->d[i];

		if (d->call && (d->mode == HTTP1_MODE_HEADERS || d->mode == HTTP1_MODE_MSG) &&
		    !d->maybe09)
			d->call->flags |= API_CALL_F_INCOMPLETE;
		http1__body_end(d, 0);
		d->call = NULL;
	}
	while ((c = st->done_head) != NULL) {
		st->done_head = c->next;
		http1_emit(st, c);
	}
	st->done_tail = NULL;
	st->ndone = 0;
	while ((c = st->head) != NULL) {
		st->head = c->next;
		http1_emit(st, c);
	}
	st->tail = NULL;
	st->awaiting = NULL;
	st->nopen = 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Protocol changes */

static int http1_tunnel_decide(http1_state_t *st);

void http1__upgrade(http1_dir_t *d, api_call_t *c)
{
	http1_state_t *st = d->st;
	http1_dir_t *req = &st->d[HTTP1_REQ];

	c->flags |= API_CALL_F_UPGRADED;
	st->ctx->cnt.upgrades++;
	st->hold_call = NULL;
	if (c->method.len == 7 && memcmp(c->method.ptr, "CONNECT", 7) == 0) {
		/* A tunnel: its first bytes tell whether it carries HTTP. */
		req->mode = HTTP1_MODE_TUNNEL;
		d->mode = HTTP1_MODE_TUNNEL;
		http1_tunnel_decide(st);
		return;
	}
	st->stopped = 1;
	req->mode = HTTP1_MODE_STOP;
	d->mode = HTTP1_MODE_STOP;
}

static void http1_stop(http1_state_t *st)
{
	st->stopped = 1;
	st->d[0].mode = HTTP1_MODE_STOP;
	st->d[1].mode = HTTP1_MODE_STOP;
	st->d[0].hold_len = 0;
	st->d[1].hold_len = 0;
}

static int http1_hold_append(http1_dir_t *d, const char *data, size_t len)
{
	http1_ctx_t *ctx = d->st->ctx;
	uint32_t limit = (uint32_t)ctx->cfg.tunnel_hold;

	if (len > limit - d->hold_len)
		return AW_ELIMIT;
	if (d->hold_len + len > d->hold_cap) {
		uint32_t ncap = d->hold_cap ? d->hold_cap : 1024;
		char *nb;

		while (ncap < d->hold_len + len)
			ncap *= 2;
		if (ncap > limit)
			ncap = limit;
		nb = mem_realloc(ctx->env->mem, d->hold, d->hold_cap, ncap);
		if (!nb) {
			ctx->cnt.err_alloc++;
			return AW_ENOMEM;
		}
		d->hold = nb;
		d->hold_cap = ncap;
	}
	memcpy(d->hold + d->hold_len, data, len);
	d->hold_len += (uint32_t)len;
	return 0;
}

/* HOLD: a CONNECT / Upgrade request awaits its answer; past the cap, give up waiting. */
static int http1_hold_feed(http1_dir_t *d, const char *data, size_t len, size_t *used)
{
	*used = len;
	if (http1_hold_append(d, data, len) == 0)
		return 0;
	http1_stop(d->st);
	return 0;
}

/* TUNNEL: after CONNECT 2xx, both sides' bytes are held until the client's first bytes decide:
 * HTTP is parsed as a new session (transaction ids from 0, as Suricata does), anything else
 * ends parsing. Line ends between the messages do not count. */
static int http1_tunnel_decide(http1_state_t *st)
{
	http1_dir_t *req = &st->d[HTTP1_REQ];
	uint32_t i = 0;
	int r;

	while (i < req->hold_len && (req->hold[i] == '\r' || req->hold[i] == '\n'))
		i++;
	if (i == req->hold_len)
		return 0;
	r = http1__looks_like_request(req->hold + i, req->hold_len - i);
	if (r == DISSECTOR_PROBE_NEED_MORE)
		return 0;
	if (r == DISSECTOR_PROBE_NO) {
		http1_stop(st);
		return 0;
	}
	st->ctx->cnt.tunnels_http++;
	st->next_tx_id = 0;
	st->drain = 1;
	req->mode = HTTP1_MODE_LINE;
	req->seen_msg = 0;
	if (st->d[HTTP1_RESP].mode == HTTP1_MODE_TUNNEL) {
		st->d[HTTP1_RESP].mode = HTTP1_MODE_LINE;
		st->d[HTTP1_RESP].seen_msg = 0;
	}
	return 0;
}

static int http1_tunnel_feed(http1_dir_t *d, const char *data, size_t len, size_t *used)
{
	*used = len;
	if (http1_hold_append(d, data, len) < 0) {
		http1_stop(d->st);
		return 0;
	}
	return http1_tunnel_decide(d->st);
}

/* ------------------------------------------------------------------------------------------ */
/* Bytes */

static int http1_drain_holds(http1_state_t *st);

static int http1_feed(http1_dir_t *d, const char *data, size_t len)
{
	size_t off = 0, used;
	int rc;

	while (off < len) {
		uint8_t mode = d->mode;

		used = 0;
		switch (mode) {
		case HTTP1_MODE_LINE:
			rc = http1__line_feed(d, data + off, len - off, &used);
			break;
		case HTTP1_MODE_HEADERS:
			rc = http1__headers_feed(d, data + off, len - off, &used);
			break;
		case HTTP1_MODE_MSG:
			rc = http1__msg_feed(d, data + off, len - off, &used);
			break;
		case HTTP1_MODE_RESYNC:
			rc = http1__resync_feed(d, data + off, len - off, &used);
			break;
		case HTTP1_MODE_HOLD:
			rc = http1_hold_feed(d, data + off, len - off, &used);
			break;
		case HTTP1_MODE_TUNNEL:
			rc = http1_tunnel_feed(d, data + off, len - off, &used);
			break;
		default:
			used = len - off;
			rc = 0;
			break;
		}
		if (rc < 0)
			return rc;
		if (rc == 0 && used == 0 && d->mode == mode) {
			/* No progress and no change of mode: a bug; never spin on it. */
			d->st->ctx->cnt.err_internal++;
			http1_stop(d->st);
			return AW_EINVAL;
		}
		off += used;
		if (d->st->drain) {
			/* Held requests are read before the responses that follow them. */
			d->st->drain = 0;
			rc = http1_drain_holds(d->st);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

/* Held bytes whose fate is now known are read (a refused CONNECT / Upgrade: HTTP again; a
 * tunnel found to carry HTTP). */
static int http1_drain_holds(http1_state_t *st)
{
	int i, rc = 0;

	for (i = 0; i < 2 && rc == 0; i++) {
		http1_dir_t *d = &st->d[i];
		char *buf;
		uint32_t len, cap;

		if (d->hold_len == 0 || d->mode == HTTP1_MODE_HOLD ||
		    d->mode == HTTP1_MODE_TUNNEL || d->mode == HTTP1_MODE_STOP)
			continue;
		buf = d->hold;
		len = d->hold_len;
		cap = d->hold_cap;
		d->hold = NULL;
		d->hold_len = d->hold_cap = 0;
		rc = http1_feed(d, buf, len);
		if (!d->hold) {
			d->hold = buf;
			d->hold_cap = cap;
		} else {
			mem_free(st->ctx->env->mem, buf, cap);
		}
	}
	return rc;
}

static int http1_result(http1_state_t *st, int rc)
{
	if (rc == AW_EMALFORMED)
		st->ctx->cnt.err_parser++;
	if (rc < 0)
		return rc;
	if (st->stopped && !st->head && !st->done_head)
		return DISSECTOR_DONE;
	return 0;
}

static int http1_on_data(void *state, int dir, const uint8_t *data, size_t len)
{
	http1_state_t *st = state;
	http1_dir_t *d = &st->d[dir & 1];
	int rc;

	if (d->mode == HTTP1_MODE_STOP)
		return http1_result(st, 0);
	rc = http1_feed(d, (const char *)data, len);
	if (rc == 0 && st->drain) {
		st->drain = 0;
		rc = http1_drain_holds(st);
	}
	return http1_result(st, rc);
}

/* ------------------------------------------------------------------------------------------ */
/* Gaps and ends */

/* A gap inside a body of known length: the body goes on after it (libhtp does the same). */
static int http1_gap_in_length_body(http1_dir_t *d, uint64_t len)
{
	uint64_t rem = d->remaining;

	if (len < rem) {
		d->remaining -= len;
		d->body_fed += len;
		http1__body_gap(d, len);
		d->st->ctx->cnt.gaps_in_body++;
		return 1;
	}
	http1__body_gap(d, rem);
	d->body_fed += rem;
	http1__msg_finish(d, 0);
	if (len == rem) {
		d->st->ctx->cnt.gaps_in_body++;
		return 1;
	}
	return 0;
}

static int http1_on_gap(void *state, int dir, uint64_t len)
{
	http1_state_t *st = state;
	http1_dir_t *d = &st->d[dir & 1];

	st->ctx->cnt.gaps++;
	if (d->call)
		d->call->flags |= dir ? API_CALL_F_GAP_RESPONSE : API_CALL_F_GAP_REQUEST;
	switch (d->mode) {
	case HTTP1_MODE_MSG:
		if (d->framing == HTTP1_FRAME_CLOSE) {
			http1__body_gap(d, len);
			d->st->ctx->cnt.gaps_in_body++;
			return http1_result(st, 0);
		}
		if (d->framing == HTTP1_FRAME_LENGTH && http1_gap_in_length_body(d, len))
			return http1_result(st, 0);
		if (d->call)
			http1__msg_finish(d, 0);
		break;
	case HTTP1_MODE_HEADERS:
		if (d->call)
			http1__msg_finish(d, 0);
		break;
	case HTTP1_MODE_LINE:
	case HTTP1_MODE_RESYNC:
		break;
	default:
		/* A tunnel or a held stream with a hole cannot be told apart: leave the flow. */
		http1_stop(st);
		return http1_result(st, 0);
	}
	st->ctx->cnt.err_gap++;
	http1__resync_enter(d, 1);
	d->resyncing = 1;
	return http1_result(st, 0);
}

/* The server closed: requests still waiting will get no response. */
static void http1_no_more_responses(http1_state_t *st)
{
	api_call_t *c;

	for (c = st->awaiting; c; c = c->next) {
		if ((c->flags & API_CALL_F_NO_REQUEST) || c->resp.progress != API_MSG_NONE)
			continue;
		c->flags |= API_CALL_F_NO_RESPONSE;
		if (!(c->owner_data & HTTP1_CRUFT))
			st->ctx->cnt.no_response++;
		c->resp.progress = API_MSG_DONE;
		http1__tx_check_done(st, c, HTTP1_RESP, 1);
	}
	st->awaiting = NULL;
}

static int http1_close_dir(http1_dir_t *d)
{
	int rc = 0;

	if (d->mode == HTTP1_MODE_LINE)
		rc = http1__line_flush_at_close(d);
	if (rc < 0)
		return rc;
	if (d->mode == HTTP1_MODE_MSG && d->framing == HTTP1_FRAME_CLOSE) {
		d->in_exec = 0;
		(void)llhttp_finish(&d->p);
		http1__msg_finish(d, 1);
	} else if ((d->mode == HTTP1_MODE_MSG || d->mode == HTTP1_MODE_HEADERS) && d->call) {
		if (!d->maybe09) /* an HTTP/0.9 request is whole with its line */
			d->call->flags |= API_CALL_F_INCOMPLETE;
		d->maybe09 = 0;
		http1__msg_finish(d, 1);
	}
	return 0;
}

static int http1_on_close(void *state, int dir)
{
	http1_state_t *st = state;
	http1_dir_t *d = &st->d[dir & 1];
	int rc;

	if (d->closed)
		return http1_result(st, 0);
	d->closed = 1;
	rc = d->mode == HTTP1_MODE_STOP ? 0 : http1_close_dir(d);
	if (dir == HTTP1_RESP)
		http1_no_more_responses(st);
	if (st->d[0].closed && st->d[1].closed)
		st->close_armed = 1;
	return http1_result(st, rc);
}

/* ------------------------------------------------------------------------------------------ */
/* Emission, on packets */

/* A finished transaction is logged once the other side has sent a packet after the bytes that
 * finished it (its acknowledgement), or, when a close finished it, once a packet arrives after
 * both sides closed. */
static void http1_on_packet(void *state, int dir)
{
	http1_state_t *st = state;
	int both_closed = st->d[0].closed && st->d[1].closed;
	api_call_t *c;

	while ((c = st->done_head) != NULL) {
		uint32_t od = c->owner_data;
		int ready = (od & HTTP1_DONE_BY_CLOSE) ? both_closed && !st->close_armed
						       : (int)(od & HTTP1_DONE_DIR_MASK) != dir;

		if (!ready)
			break;
		st->done_head = c->next;
		if (!st->done_head)
			st->done_tail = NULL;
		st->ndone--;
		http1_emit(st, c);
	}
	st->close_armed = 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Probe and state */

static int http1_probe(const uint8_t *data, size_t len, int dir)
{
	const char *p = (const char *)data;
	size_t i = 0;

	while (i < len && i < 16 && (p[i] == '\r' || p[i] == '\n'))
		i++;
	if (i == len)
		return DISSECTOR_PROBE_NEED_MORE;
	return dir == 0 ? http1__looks_like_request(p + i, len - i)
			: http1__looks_like_response(p + i, len - i);
}

static void http1_dir_init(http1_state_t *st, int dir)
{
	http1_dir_t *d = &st->d[dir];
	http1_tok_t tok = d->tok;
	char *hold = d->hold;
	uint32_t hold_cap = d->hold_cap;

	memset(d, 0, sizeof(*d));
	tok.len = 0;
	tok.over = 0;
	d->tok = tok;
	d->hold = hold;
	d->hold_cap = hold_cap;
	d->st = st;
	d->dir = (uint8_t)dir;
	d->mode = HTTP1_MODE_LINE;
	d->trailer_name = UINT32_MAX;
	llhttp_init(&d->p, dir ? HTTP_RESPONSE : HTTP_REQUEST, &http1__settings);
	d->p.data = d;
}

static void *http1_state_new(void *p, flow_t *flow)
{
	http1_ctx_t *ctx = p;
	http1_state_t *st = ctx->free_states;

	if (st) {
		ctx->free_states = st->free_next;
		ctx->nfree_states--;
	} else {
		st = mem_calloc(ctx->env->mem, sizeof(*st));
		if (!st) {
			ctx->cnt.err_alloc++;
			return NULL;
		}
		ctx->cnt.state_allocs++;
	}
	{
		http1_dir_t d0 = st->d[0], d1 = st->d[1];

		memset(st, 0, sizeof(*st));
		st->d[0] = d0;
		st->d[1] = d1;
	}
	st->ctx = ctx;
	st->flow = flow;
	http1_dir_init(st, 0);
	http1_dir_init(st, 1);
	ctx->cnt.flows++;
	return st;
}

static void http1_state_free(void *state)
{
	http1_state_t *st = state;
	http1_ctx_t *ctx;
	int i;

	if (!st)
		return;
	ctx = st->ctx;
	http1_flush(st);
	if (ctx->nfree_states >= HTTP1_STATES_KEEP) {
		http1_state_storage_free(ctx, st);
		mem_free(ctx->env->mem, st, sizeof(*st));
		return;
	}
	for (i = 0; i < 2; i++) {
		if (st->d[i].tok.cap > HTTP1_TOK_KEEP) {
			mem_free(ctx->env->mem, st->d[i].tok.buf, st->d[i].tok.cap);
			st->d[i].tok.buf = NULL;
			st->d[i].tok.cap = 0;
		}
		if (st->d[i].hold_cap > HTTP1_TOK_KEEP) {
			mem_free(ctx->env->mem, st->d[i].hold, st->d[i].hold_cap);
			st->d[i].hold = NULL;
			st->d[i].hold_cap = 0;
		}
		st->d[i].hold_len = 0;
	}
	st->free_next = ctx->free_states;
	ctx->free_states = st;
	ctx->nfree_states++;
}

const dissector_t http1_dissector = {
	.name = "http",
	.ctx_new = http1_ctx_new,
	.ctx_free = http1_ctx_free,
	.probe = http1_probe,
	.state_new = http1_state_new,
	.on_data = http1_on_data,
	.on_gap = http1_on_gap,
	.on_close = http1_on_close,
	.on_packet = http1_on_packet,
	.state_free = http1_state_free,
};

/*
 * output_http.c - EVE http and anomaly events of API calls (see output_http.h).
 *
 * Field by field, the "http" object follows Suricata's output-json-http.c (extended logging):
 * hostname and http_port as libhtp normalised them, url as sent, header fields with libhtp's
 * merging of repeated headers (values joined by ", "), http_content_type without parameters,
 * status (or status_string when the code is not a number), redirect, and length, the response
 * body as framed on the wire. Everything apiwatch adds goes under "api", never inside "http",
 * so that tools comparing the http object with Suricata's find it identical.
 */
#include "output_http.h"

#include <string.h>
#include <strings.h>

#include "error.h"
#include "json.h"
#include "siphash.h"

#define OUTPUT_HTTP_SCRATCH (64u << 10) /* longest merged header value written */
#define OUTPUT_HTTP_NAME_MAX 255 /* Suricata's cut of dumped header names */
#define OUTPUT_HTTP_VALUE_MAX 2047 /* ... and values */

#define OUTPUT_HTTP_DEDUP_SLOTS 1024 /* name-hash table of the header dump (power of two) */
#define OUTPUT_HTTP_DEDUP_MAX 512 /* headers deduplicated through it; past it, by scan */
#define OUTPUT_HTTP_DUP 0x01 /* output_http_t.mark: repeats an earlier header's name */
#define OUTPUT_HTTP_FIRST 0x02 /* ... first of a name that repeats later */

struct output_http {
	output_http_config_t cfg;
	mem_account_t *acct;
	char *scratch;
	uint32_t stamp; /* current message in slot_stamp */
	uint32_t slot_stamp[OUTPUT_HTTP_DEDUP_SLOTS];
	uint16_t slot_idx[OUTPUT_HTTP_DEDUP_SLOTS];
	uint8_t mark[OUTPUT_HTTP_DEDUP_MAX];
};

/* The built-in key, so that replays redact the same value the same way everywhere; a
 * deployment sets its own with privacy.hash-key. */
static const uint8_t output_http_default_key[OUTPUT_HTTP_KEY_LEN] = {
	0x61, 0x70, 0x69, 0x77, 0x61, 0x74, 0x63, 0x68,
	0x2d, 0x72, 0x65, 0x64, 0x61, 0x63, 0x74, 0x31};

void output_http_config_default(output_http_config_t *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->dump_headers = OUTPUT_HTTP_DUMP_NONE;
	memcpy(cfg->hash_key, output_http_default_key, sizeof(cfg->hash_key));
}

int output_http_new(output_http_t **out, const output_http_config_t *cfg, mem_account_t *acct)
{
	output_http_t *h = mem_calloc(acct, sizeof(*h));

	*out = NULL;
	if (!h)
		return AW_ENOMEM;
	h->cfg = *cfg;
	h->acct = acct;
	h->scratch = mem_alloc(acct, 2 * OUTPUT_HTTP_SCRATCH); /* merged values, then URLs */
	if (!h->scratch) {
		mem_free(acct, h, sizeof(*h));
		return AW_ENOMEM;
	}
	*out = h;
	return 0;
}

void output_http_free(output_http_t *h)
{
	if (!h)
		return;
	mem_free(h->acct, h->scratch, 2 * OUTPUT_HTTP_SCRATCH);
	mem_free(h->acct, h, sizeof(*h));
}

/* ------------------------------------------------------------------------------------------ */
/* Redaction */

/*
 * One pass over the name: at each position, the parts that may start with that (lower-cased)
 * byte are compared. Header names are short and most of their bytes start no part, so this
 * costs a few compares per header instead of a case-insensitive compare per part and offset.
 */
int output_http_is_secret(const char *name, size_t n)
{
	static const struct {
		const char *s;
		uint8_t len;
	} parts[] = {
		{"api-key", 7},	    {"apikey", 6},    {"api_key", 7}, {"token", 5},
		{"secret", 6},	    {"password", 8},  {"passwd", 6},  {"x-auth", 6},
		{"session-id", 10}, {"sessionid", 9},
	};
	char low[64];
	size_t i, j, m;

	switch (n) {
	case 6:
		if (aw_ieq(name, n, "cookie", 6))
			return 1;
		break;
	case 10:
		if (aw_ieq(name, n, "set-cookie", 10))
			return 1;
		break;
	case 13:
		if (aw_ieq(name, n, "authorization", 13))
			return 1;
		break;
	case 19:
		if (aw_ieq(name, n, "proxy-authorization", 19))
			return 1;
		break;
	}
	/* Longer names are compared on their first 64 bytes and the rest in windows. */
	for (i = 0; i < n; i += sizeof(low) - 16) {
		m = n - i < sizeof(low) ? n - i : sizeof(low);
		for (j = 0; j < m; j++) {
			unsigned char c = (unsigned char)name[i + j];

			low[j] = (char)((unsigned)(c - 'A') < 26u ? c | 0x20 : c);
		}
		for (j = 0; j < m; j++) {
			size_t k;

			switch (low[j]) {
			case 'a':
			case 't':
			case 's':
			case 'p':
			case 'x':
				break;
			default:
				continue;
			}
			for (k = 0; k < sizeof(parts) / sizeof(parts[0]); k++)
				if (parts[k].s[0] == low[j] && parts[k].len <= m - j &&
				    memcmp(low + j, parts[k].s, parts[k].len) == 0)
					return 1;
		}
		if (m < sizeof(low))
			break;
	}
	return 0;
}

void output_http_redact(const output_http_config_t *cfg, const char *v, size_t n, char *out)
{
	memcpy(out, "redacted:", 9);
	json_format_hex64(out + 9, siphash24(cfg->hash_key, v, n));
	out[25] = '\0';
}

/* Query parameters whose values are credentials: every secret header-name fragment, short
 * names APIs use for credentials, and "key" when its value is long enough to be an API key
 * (Google's key=AIza..., 39 characters) rather than a plain word (YouTube's key=yt1). Signed
 * URLs' signature= parameters are left as sent: analysts match on them, like Suricata and
 * Zeek, and they expire. */
static int output_http_param_is_secret(const char *name, size_t n, size_t vlen)
{
	static const struct {
		const char *s;
		uint8_t len;
	} exact[] = {{"auth", 4}, {"jwt", 3}, {"pwd", 3}, {"pass", 4}, {"sid", 3}};
	size_t i;

	if (aw_ieq(name, n, "key", 3))
		return vlen >= 16;
	for (i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (aw_ieq(name, n, exact[i].s, exact[i].len))
			return 1;
	return output_http_is_secret(name, n);
}

size_t output_http_redact_url(const output_http_config_t *cfg, const char *url, size_t n, char *out,
			      size_t cap)
{
	const char *q = memchr(url, '?', n), *end = url + n, *p;
	size_t len;

	if (!q)
		return 0;
	/* Nothing to do unless some parameter is secret: most URLs are copied never. */
	for (p = q + 1; p < end;) {
		const char *amp = memchr(p, '&', (size_t)(end - p)), *e = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(e - p));

		if (eq && eq + 1 < e &&
		    output_http_param_is_secret(p, (size_t)(eq - p), (size_t)(e - eq - 1)))
			break;
		p = e + 1;
	}
	if (p >= end)
		return 0;
	len = (size_t)(p - url);
	if (len > cap)
		return OUTPUT_HTTP_URL_TOO_LONG;
	memcpy(out, url, len);
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p)), *e = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(e - p));
		size_t seg = (size_t)(e - p) + (amp ? 1 : 0);

		if (eq && eq + 1 < e &&
		    output_http_param_is_secret(p, (size_t)(eq - p), (size_t)(e - eq - 1))) {
			size_t keep = (size_t)(eq + 1 - p);

			if (len + keep + 26 + 1 > cap)
				return OUTPUT_HTTP_URL_TOO_LONG;
			memcpy(out + len, p, keep);
			len += keep;
			output_http_redact(cfg, eq + 1, (size_t)(e - eq - 1), out + len);
			len += 25;
			if (amp)
				out[len++] = '&';
		} else {
			if (len + seg > cap)
				return OUTPUT_HTTP_URL_TOO_LONG;
			memcpy(out + len, p, seg);
			len += seg;
		}
		p = e + 1;
	}
	return len;
}

/* ------------------------------------------------------------------------------------------ */
/* Helpers */

/* All values of the header named name (hd its first occurrence) joined by ", ", as libhtp
 * merges repeated headers (Content-Length: the first one). */
static void output_http_join(output_http_t *h, const api_message_t *m, const api_header_t *hd,
			     const char *name, const char **v, size_t *n)
{
	const api_header_t *more;
	size_t len, i;

	*v = hd->value.ptr;
	*n = hd->value.len;
	if (!api_message_header(m, name, 1) || strcasecmp(name, "content-length") == 0)
		return;
	len = hd->value.len < OUTPUT_HTTP_SCRATCH ? hd->value.len : OUTPUT_HTTP_SCRATCH;
	memcpy(h->scratch, hd->value.ptr, len);
	for (i = 1; (more = api_message_header(m, name, (unsigned)i)) != NULL; i++) {
		if (len + 2 + more->value.len > OUTPUT_HTTP_SCRATCH)
			break;
		memcpy(h->scratch + len, ", ", 2);
		memcpy(h->scratch + len + 2, more->value.ptr, more->value.len);
		len += 2 + more->value.len;
	}
	*v = h->scratch;
	*n = len;
}

/* A well-known header's value, merged when repeated; 0 when absent. */
static int output_http_merged(output_http_t *h, const api_message_t *m, enum api_hdr k,
			      const char **v, size_t *n)
{
	const api_header_t *hd = api_message_known(m, k);

	if (!hd)
		return 0;
	if (m->known_repeated & (1u << k)) {
		output_http_join(h, m, hd, api_hdr_name(k), v, n);
	} else {
		*v = hd->value.ptr;
		*n = hd->value.len;
	}
	return 1;
}

/* A URL (v, n bytes) as written: with the values of secret query parameters redacted, into the
 * scratch buffer (*out, *m), or as it is. */
static void output_http_url(output_http_t *h, const char *v, size_t n, const char **out, size_t *m)
{
	char *r = h->scratch + OUTPUT_HTTP_SCRATCH;
	size_t k = output_http_redact_url(&h->cfg, v, n, r, OUTPUT_HTTP_SCRATCH);

	if (k == OUTPUT_HTTP_URL_TOO_LONG) {
		/* A secret in a query too long to rewrite: the query is left out. */
		const char *q = memchr(v, '?', n);

		k = (size_t)(q - v);
		memcpy(r, v, k);
		memcpy(r + k, "?redacted", 9);
		k += 9;
	}
	*out = k ? r : v;
	*m = k ? k : n;
}

/* The members below are always inlined with a literal key, whose length and copy the compiler
 * folds. */
static inline __attribute__((always_inline)) void
output_http_kv_url(output_http_t *h, json_buf_t *jb, const char *key, const char *v, size_t n)
{
	output_http_url(h, v, n, &v, &n);
	json_kv_strn(jb, key, v, n);
}

static inline __attribute__((always_inline)) void
output_http_kv_header(output_http_t *h, json_buf_t *jb, const char *key, const api_message_t *m,
		      enum api_hdr k)
{
	const char *v;
	size_t n;

	if (output_http_merged(h, m, k, &v, &n)) {
		if (k == API_HDR_REFERER || k == API_HDR_LOCATION)
			output_http_kv_url(h, jb, key, v, n);
		else
			json_kv_strn(jb, key, v, n);
	}
}

/* Parses "bytes START-END/SIZE" or "bytes * /SIZE" (no space); -1 for a part that is absent
 * or "*". */
static int output_http_range(const char *p, size_t n, int64_t out[3])
{
	size_t i = 0;
	int k;

	out[0] = out[1] = out[2] = -1;
	if (n < 6 || strncasecmp(p, "bytes", 5) != 0)
		return -1;
	i = 5;
	while (i < n && (p[i] == ' ' || p[i] == '='))
		i++;
	for (k = 0; k < 3; k++) {
		int64_t v = 0;
		size_t s = i;

		if (i < n && p[i] == '*' && k != 1) {
			i++;
			if (k == 0)
				k = 1; /* "*" stands for START-END */
		} else {
			while (i < n && p[i] >= '0' && p[i] <= '9' && v < INT64_MAX / 10)
				v = v * 10 + (p[i++] - '0');
			if (i == s)
				return -1;
			out[k] = v;
		}
		if (k == 0 && (i >= n || p[i++] != '-'))
			return -1;
		if (k == 1 && (i >= n || p[i++] != '/'))
			return -1;
	}
	return i == n ? 0 : -1;
}

static void output_http_content_range(output_http_t *h, json_buf_t *jb, const api_message_t *m)
{
	const char *v;
	size_t n;
	int64_t r[3];

	if (!output_http_merged(h, m, API_HDR_CONTENT_RANGE, &v, &n))
		return;
	json_open_object(jb, "content_range");
	json_kv_strn(jb, "raw", v, n);
	if (output_http_range(v, n, r) == 0) {
		if (r[0] >= 0)
			json_kv_u64(jb, "start", (uint64_t)r[0]);
		if (r[1] >= 0)
			json_kv_u64(jb, "end", (uint64_t)r[1]);
		if (r[2] >= 0)
			json_kv_u64(jb, "size", (uint64_t)r[2]);
	}
	json_close_object(jb);
}

/* Hash of a header name folded to lower case (FNV-1a); equal names hash equal. */
static uint32_t output_http_name_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		h = (h ^ ((unsigned)(c - 'A') < 26u ? c | 0x20u : c)) * 16777619u;
	}
	return h;
}

/*
 * Marks, for the first OUTPUT_HTTP_DEDUP_MAX headers of m, which repeat an earlier name
 * (OUTPUT_HTTP_DUP) and which are the first of a repeated name (OUTPUT_HTTP_FIRST), through a
 * table of name hashes: one pass instead of comparing every pair.
 */
static void output_http_mark_repeats(output_http_t *h, const api_message_t *m, uint32_t n)
{
	uint32_t i;

	if (++h->stamp == 0) {
		memset(h->slot_stamp, 0, sizeof(h->slot_stamp));
		h->stamp = 1;
	}
	for (i = 0; i < n; i++) {
		const api_header_t *hd = &m->headers[i];
		uint32_t s = output_http_name_hash(hd->name.ptr, hd->name.len);

		h->mark[i] = 0;
		for (;; s++) {
			const api_header_t *first;

			s &= OUTPUT_HTTP_DEDUP_SLOTS - 1;
			if (h->slot_stamp[s] != h->stamp) {
				h->slot_stamp[s] = h->stamp;
				h->slot_idx[s] = (uint16_t)i;
				break;
			}
			first = &m->headers[h->slot_idx[s]];
			if (first->name.len == hd->name.len &&
			    strncasecmp(first->name.ptr, hd->name.ptr, hd->name.len) == 0) {
				h->mark[i] = OUTPUT_HTTP_DUP;
				h->mark[h->slot_idx[s]] |= OUTPUT_HTTP_FIRST;
				break;
			}
		}
	}
}

/* request_headers / response_headers: one entry per header name, in order of first
 * appearance, repeated ones merged (libhtp's header table, which Suricata dumps). */
static void output_http_dump(output_http_t *h, json_buf_t *jb, const char *key,
			     const api_message_t *m)
{
	uint32_t i, j, fast;
	char red[32];

	if (m->nheaders == 0)
		return;
	fast = m->nheaders < OUTPUT_HTTP_DEDUP_MAX ? m->nheaders : OUTPUT_HTTP_DEDUP_MAX;
	output_http_mark_repeats(h, m, fast);
	json_open_array(jb, key);
	for (i = 0; i < m->nheaders; i++) {
		const api_header_t *hd = &m->headers[i];
		const char *v;
		size_t n, nl = hd->name.len;
		char name[OUTPUT_HTTP_NAME_MAX + 1];
		int repeated = 1;

		if (i < fast) {
			if (h->mark[i] & OUTPUT_HTTP_DUP)
				continue; /* merged into its first occurrence */
			repeated = h->mark[i] & OUTPUT_HTTP_FIRST;
		} else {
			/* Past the table (very many headers): compare with every earlier one. */
			for (j = 0; j < i; j++)
				if (m->headers[j].name.len == nl &&
				    strncasecmp(m->headers[j].name.ptr, hd->name.ptr, nl) == 0)
					break;
			if (j < i)
				continue;
		}
		if (nl > OUTPUT_HTTP_NAME_MAX)
			nl = OUTPUT_HTTP_NAME_MAX;
		v = hd->value.ptr;
		n = hd->value.len;
		if (nl > 0 && repeated) {
			memcpy(name, hd->name.ptr, nl);
			name[nl] = '\0';
			output_http_join(h, m, hd, name, &v, &n);
		}
		json_open_object(jb, NULL);
		json_kv_strn(jb, "name", hd->name.ptr, nl);
		if (output_http_is_secret(hd->name.ptr, hd->name.len)) {
			output_http_redact(&h->cfg, v, n, red);
			json_kv_str(jb, "value", red);
		} else if (aw_ieq(hd->name.ptr, hd->name.len, "referer", 7) ||
			   aw_ieq(hd->name.ptr, hd->name.len, "location", 8)) {
			output_http_kv_url(h, jb, "value", v,
					   n < OUTPUT_HTTP_VALUE_MAX ? n : OUTPUT_HTTP_VALUE_MAX);
		} else {
			json_kv_strn(jb, "value", v,
				     n < OUTPUT_HTTP_VALUE_MAX ? n : OUTPUT_HTTP_VALUE_MAX);
		}
		json_close_object(jb);
	}
	json_close_array(jb);
}

/* ------------------------------------------------------------------------------------------ */
/* The http object */

static void output_http_request_fields(output_http_t *h, json_buf_t *jb, const api_call_t *c)
{
	if (c->host.len)
		json_kv_strn(jb, "hostname", c->host.ptr, c->host.len);
	if (c->port >= 0)
		json_kv_u64(jb, "http_port", (uint64_t)c->port);
	if (c->url.ptr)
		output_http_kv_url(h, jb, "url", c->url.ptr, c->url.len);
	output_http_kv_header(h, jb, "http_user_agent", &c->req, API_HDR_USER_AGENT);
	output_http_kv_header(h, jb, "xff", &c->req, API_HDR_X_FORWARDED_FOR);
}

static void output_http_object(output_http_t *h, json_buf_t *jb, const api_call_t *c)
{
	int has_req = !(c->flags & API_CALL_F_NO_REQUEST);
	const char *v;
	size_t n;

	json_open_object(jb, "http");
	if (has_req)
		output_http_request_fields(h, jb, c);
	if (output_http_merged(h, &c->resp, API_HDR_CONTENT_TYPE, &v, &n)) {
		const char *semi = memchr(v, ';', n);

		json_kv_strn(jb, "http_content_type", v, semi ? (size_t)(semi - v) : n);
	}
	output_http_content_range(h, jb, &c->resp);
	if (has_req) {
		output_http_kv_header(h, jb, "http_refer", &c->req, API_HDR_REFERER);
		if (c->method.len)
			json_kv_strn(jb, "http_method", c->method.ptr, c->method.len);
		if (c->protocol.len)
			json_kv_strn(jb, "protocol", c->protocol.ptr, c->protocol.len);
	}
	if (c->status > 0)
		json_kv_u64(jb, "status", (uint64_t)c->status);
	else if (c->status_text.len)
		json_kv_strn(jb, "status_string", c->status_text.ptr, c->status_text.len);
	output_http_kv_header(h, jb, "redirect", &c->resp, API_HDR_LOCATION);
	json_kv_u64(jb, "length", c->resp.body_framed_bytes);
	if (h->cfg.dump_headers & OUTPUT_HTTP_DUMP_REQUEST)
		output_http_dump(h, jb, "request_headers", &c->req);
	if (h->cfg.dump_headers & OUTPUT_HTTP_DUMP_RESPONSE)
		output_http_dump(h, jb, "response_headers", &c->resp);
	json_close_object(jb);
}

/* ------------------------------------------------------------------------------------------ */
/* The api object */

/* The members of one side (0: request, 1: response). Always inlined with side a constant, so
 * that every key is a literal whose length and copy the compiler folds. */
static inline __attribute__((always_inline)) void output_http_api_message(json_buf_t *jb, int side,
									  const api_message_t *m)
{
	if (m->progress == API_MSG_NONE)
		return;
	if (m->first_us)
		json_kv_time(jb, side ? "response_first" : "request_first", m->first_us);
	if (m->end_us)
		json_kv_time(jb, side ? "response_end" : "request_end", m->end_us);
	/* A request without a body (most of them) carries no body sizes. */
	if (side == 1 || m->body_wire_bytes || m->content_length > 0 || m->transfer_encoding.len) {
		if (m->body_bytes != API_SIZE_UNKNOWN)
			json_kv_u64(jb, side ? "response_body_bytes" : "request_body_bytes",
				    m->body_bytes);
		json_kv_u64(jb, side ? "response_body_wire_bytes" : "request_body_wire_bytes",
			    m->body_wire_bytes);
	}
	if (m->encoding != API_ENC_IDENTITY)
		json_kv_strn(jb, side ? "response_encoding" : "request_encoding",
			     m->content_encoding.ptr, m->content_encoding.len);
}

/* latency_ms with three decimals. It is written from whole microseconds, which is what
 * "%.3f" of the latency in milliseconds gives as long as the double holds it exactly (below
 * 2^52 us, 142 years); beyond, a hostile capture's times take the double's path as before. */
static void output_http_latency(json_buf_t *jb, const api_call_t *c)
{
	uint64_t us = api_call_latency_us(c);

	if (us < (1ull << 52))
		json_kv_milli(jb, "latency_ms", us);
	else
		json_kv_double(jb, "latency_ms", api_call_latency_ms(c));
}

static void output_http_api(output_http_t *h, json_buf_t *jb, const api_call_t *c)
{
	static const struct {
		uint32_t flag;
		const char *name;
	} flags[] = {
		{API_CALL_F_NO_RESPONSE, "no_response"},
		{API_CALL_F_NO_REQUEST, "no_request"},
		{API_CALL_F_UPGRADED, "upgraded"},
		{API_CALL_F_INCOMPLETE, "incomplete"},
		{API_CALL_F_ANOMALY, "anomaly"},
		{API_CALL_F_HEADERS_CUT, "headers_cut"},
		{API_CALL_F_REQ_BODY_CUT, "request_body_cut"},
		{API_CALL_F_RESP_BODY_CUT, "response_body_cut"},
		{API_CALL_F_DECOMPRESS_ERR, "decompress_error"},
		{API_CALL_F_BOMB, "decompression_bomb"},
		{API_CALL_F_EVICTED, "evicted"},
	};
	size_t i;

	json_open_object(jb, "api");
	if (c->endpoint.len)
		json_kv_strn(jb, "endpoint", c->endpoint.ptr, c->endpoint.len);
	if (c->principal.len)
		json_kv_strn(jb, "principal", c->principal.ptr, c->principal.len);
	if (c->req.end_us && c->resp.first_us)
		output_http_latency(jb, c);
	output_http_api_message(jb, 0, &c->req);
	output_http_api_message(jb, 1, &c->resp);
	if (c->interim)
		json_kv_u64(jb, "interim", c->interim);
	if (c->flags & (API_CALL_F_GAP_REQUEST | API_CALL_F_GAP_RESPONSE))
		json_kv_bool(jb, "truncated", 1);
	for (i = 0; c->flags && i < sizeof(flags) / sizeof(flags[0]); i++)
		if (c->flags & flags[i].flag)
			json_kv_bool(jb, flags[i].name, 1);
	json_close_object(jb);
}

int output_http_write(output_http_t *h, output_t *o, const api_call_t *c, uint64_t ts_us,
		      uint64_t pcap_cnt, int flow_end)
{
	json_buf_t *jb = output_json(o);

	output_eve_header(o, "http", ts_us, c->flow, FLOW_TOSERVER, pcap_cnt, "http");
	if (flow_end)
		json_kv_str(jb, "pkt_src", "stream (flow timeout)");
	else
		json_kv_str(jb, "pkt_src", "wire/pcap");
	json_kv_u64(jb, "tx_id", c->tx_id);
	output_http_object(h, jb, c);
	output_http_api(h, jb, c);
	return output_commit(o, "http");
}

int output_http_anomaly_write(output_http_t *h, output_t *o, const flow_t *f, int dir,
			      uint64_t tx_id, const char *app_proto, const char *event,
			      const char *reason, uint64_t ts_us, uint64_t pcap_cnt)
{
	json_buf_t *jb = output_json(o);

	(void)h;
	output_eve_header(o, "anomaly", ts_us, f, dir, pcap_cnt, app_proto);
	json_kv_u64(jb, "tx_id", tx_id);
	json_open_object(jb, "anomaly");
	json_kv_str(jb, "app_proto", app_proto);
	json_kv_str(jb, "type", "applayer");
	json_kv_str(jb, "event", event);
	json_kv_str(jb, "layer", "proto_parser");
	json_close_object(jb);
	if (reason) {
		json_open_object(jb, "api");
		json_kv_str(jb, "reason", reason);
		json_close_object(jb);
	}
	return output_commit(o, "anomaly");
}

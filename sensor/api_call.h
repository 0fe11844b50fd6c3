/*
 * api_call.h - the API call record: one HTTP transaction, as the dissector saw it.
 *
 * Produced by a dissector (dissectors/http1*.c) when a transaction completes (or is given up:
 * flow end, gap, no response); read, const, by the inventory, baselines, detectors and the
 * output stage; then released to the pool it came from. Strings are {ptr, len} slices into the
 * record's own arena, valid until the record is released. Nothing here is allocated per call in
 * steady state: records and their arenas are pooled and reused (api_call.c), and every arena,
 * header array and body buffer has a cap; what does not fit is dropped and flagged.
 */
#ifndef APIWATCH_API_CALL_H
#define APIWATCH_API_CALL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "flow.h"
#include "mem.h"

/* A borrowed or arena-owned byte string; not NUL-terminated. */
typedef struct aw_slice {
	const char *ptr;
	size_t len;
} aw_slice_t;

typedef struct api_header {
	aw_slice_t name; /* as sent (case kept); compare case-insensitively */
	aw_slice_t value; /* as sent, leading/trailing whitespace removed */
} api_header_t;

/* api_call_t.flags */
#define API_CALL_F_GAP_REQUEST 0x0001 /* a gap hit the request: it is truncated */
#define API_CALL_F_GAP_RESPONSE 0x0002 /* a gap hit the response */
#define API_CALL_F_NO_RESPONSE 0x0004 /* the flow ended before a response */
#define API_CALL_F_NO_REQUEST 0x0008 /* a response whose request was not seen */
#define API_CALL_F_UPGRADED 0x0010 /* Upgrade / CONNECT: parsing of the flow stopped */
#define API_CALL_F_ANOMALY 0x0020 /* a parse anomaly was raised on this transaction */
#define API_CALL_F_REQ_BODY_CUT 0x0040 /* request body kept only up to the limit */
#define API_CALL_F_RESP_BODY_CUT 0x0080 /* response body kept only up to the limit */
#define API_CALL_F_HEADERS_CUT 0x0100 /* headers beyond the count or size cap were dropped */
#define API_CALL_F_DECOMPRESS_ERR 0x0200 /* a body failed to decompress */
#define API_CALL_F_BOMB 0x0400 /* decompression stopped by the size / ratio cap */
#define API_CALL_F_INTERIM 0x0800 /* 1xx interim responses preceded the final one */
#define API_CALL_F_INCOMPLETE 0x1000 /* a message was cut short by the end of its stream */
#define API_CALL_F_EVICTED 0x2000 /* logged early: too many requests awaited responses */

/* api_message_t.progress */
#define API_MSG_NONE 0 /* not seen */
#define API_MSG_STARTED 1 /* start line seen */
#define API_MSG_DONE 2 /* complete (or given up) */

/* api_message_t.encoding: the body's Content-Encoding. */
#define API_ENC_IDENTITY 0
#define API_ENC_GZIP 1
#define API_ENC_DEFLATE 2
#define API_ENC_UNSUPPORTED 3 /* an encoding apiwatch does not decode (br, several layers) */

/* api_message_t.body_state */
#define API_BODY_PLAIN 0 /* body holds the bytes as sent (identity, or not decodable) */
#define API_BODY_ENCODED 1 /* body_raw holds them encoded; api_call_body() decodes them */
#define API_BODY_DECODED 2 /* body holds the decoded bytes */

/* api_message_t.body_bytes when the decoded size is not known (deflate not yet decoded) */
#define API_SIZE_UNKNOWN UINT64_MAX

/* Headers every stage asks for, indexed as they are added (api_message_known). */
enum api_hdr {
	API_HDR_HOST = 0,
	API_HDR_USER_AGENT,
	API_HDR_REFERER,
	API_HDR_X_FORWARDED_FOR,
	API_HDR_CONTENT_TYPE,
	API_HDR_CONTENT_LENGTH,
	API_HDR_CONTENT_ENCODING,
	API_HDR_TRANSFER_ENCODING,
	API_HDR_CONTENT_RANGE,
	API_HDR_LOCATION,
	API_HDR_CONNECTION,
	API_HDR_UPGRADE,
	API_HDR__COUNT
};

/* One direction's message: request or response. */
typedef struct api_message {
	uint64_t first_us, end_us; /* packet times of first and last byte; 0 if unseen */
	api_header_t *headers; /* in order, repeated ones kept */
	uint32_t nheaders;
	uint16_t known[API_HDR__COUNT]; /* 1 + index of the first such header; 0 if none */
	uint16_t known_repeated; /* bit (1 << API_HDR_*): that header occurs more than once */
	uint8_t progress; /* API_MSG_* */
	uint8_t encoding; /* API_ENC_* */
	aw_slice_t content_type; /* Content-Type value, or empty */
	aw_slice_t content_encoding; /* Content-Encoding value, or empty */
	aw_slice_t transfer_encoding;
	int64_t content_length; /* declared, -1 if none */
	uint64_t body_wire_bytes; /* body bytes on the wire (after de-chunking) */
	uint64_t body_framed_bytes; /* body bytes as sent, chunk framing included */
	uint64_t body_bytes; /* decoded size: identity as sent, gzip from its trailer,
				      * deflate once decoded; else API_SIZE_UNKNOWN */
	uint8_t body_state; /* API_BODY_*: read bodies through api_call_body() */
	aw_slice_t body; /* decoded body, up to the configured limit */
	aw_slice_t body_raw; /* encoded body as sent, up to the limit, until decoded */
} api_message_t;

typedef struct api_call api_call_t;
struct api_call {
	const flow_t *flow;
	uint64_t tx_id; /* 0-based index of the transaction in its flow */
	uint32_t flags; /* API_CALL_F_* */

	aw_slice_t method; /* "GET" */
	aw_slice_t url; /* request target as sent */
	aw_slice_t path; /* percent-decoded path, without the query */
	aw_slice_t query; /* raw query string, without '?' */
	aw_slice_t host; /* Host header (or authority of an absolute URL), lower case,
				  * no port */
	int32_t port; /* port from Host, -1 if none */
	aw_slice_t protocol; /* "HTTP/1.1"; empty for HTTP/0.9 */
	int32_t status; /* final status code; 0 if no response or not a number */
	aw_slice_t status_text; /* the status code as sent ("200", or "2XX" when not a number) */
	aw_slice_t reason; /* reason phrase */
	uint32_t interim; /* 1xx responses seen before the final one */

	api_message_t req, resp;

	/* Filled by the inventory before detectors and output see the call (later stages). */
	aw_slice_t endpoint; /* endpoint template, e.g. /api/v1/users/{id} */
	aw_slice_t principal; /* keyed hash of the caller's credential, or the client address */

	/* Private to the record's current owner: the dissector's queue link and state while the
	 * call is open; nothing once it is handed on. */
	api_call_t *next;
	uint32_t owner_data;
};

/* Whether the n bytes at p contain lit (l bytes); slices of absent values (NULL, 0) contain
 * nothing. memmem and memcmp want valid pointers even for empty ranges. */
static inline int aw_mem_has(const void *p, size_t n, const char *lit, size_t l)
{
	return p && n >= l && memmem(p, n, lit, l) != NULL;
}

/* n bytes at a equal those at b; empty ranges are equal whatever their pointers. */
static inline int aw_mem_eq(const void *a, const void *b, size_t n)
{
	return n == 0 || memcmp(a, b, n) == 0;
}

/* The n bytes at p equal the l bytes of lit, a lower-case literal, ignoring ASCII case (no
 * locale, unlike strncasecmp). */
static inline int aw_ieq(const char *p, size_t n, const char *lit, size_t l)
{
	size_t i;

	if (n != l)
		return 0;
	for (i = 0; i < l; i++) {
		unsigned char c = (unsigned char)p[i];

		if ((unsigned)(c - 'A') < 26u)
			c |= 0x20;
		if (c != (unsigned char)lit[i])
			return 0;
	}
	return 1;
}

/* Copies n bytes; nothing for an empty range, whatever its pointer. */
static inline void aw_mem_copy(void *dst, const void *src, size_t n)
{
	if (n)
		memcpy(dst, src, n);
}

/* Finds a header by name (case-insensitive); NULL if absent. n-th occurrence with idx. */
const api_header_t *api_message_header(const api_message_t *m, const char *name, unsigned idx);

/* The first header of a well-known name, without a scan; NULL if absent. */
static inline const api_header_t *api_message_known(const api_message_t *m, enum api_hdr h)
{
	return m->known[h] ? &m->headers[m->known[h] - 1] : NULL;
}

/* Name of a well-known header in lower case ("user-agent"). */
const char *api_hdr_name(enum api_hdr h);

/* Latency as analysts want it: response first byte minus request end, in milliseconds; -1
 * when either is unknown. */
double api_call_latency_ms(const api_call_t *c);

/* The same in whole microseconds (0 when either time is unknown). */
uint64_t api_call_latency_us(const api_call_t *c);

/* ------------------------------------------------------------------------------------------ */
/* The pool of records (api_call.c) */

typedef struct api_call_limits {
	uint32_t max_headers; /* headers kept per message */
	uint32_t max_arena; /* bytes of strings (start lines, headers) kept per call */
	uint32_t max_body; /* body bytes kept per message (decoded, and encoded) */
	uint32_t max_free; /* idle records kept for reuse */
	uint32_t decompress_ratio; /* decoded/encoded ratio past which decoding stops (bomb) */
} api_call_limits_t;

typedef struct api_call_pool_counters {
	uint64_t gets; /* records handed out */
	uint64_t allocs; /* slow path: a new record was allocated */
	uint64_t alloc_fail; /* a record or its storage could not be had (memory cap) */
	uint64_t arena_grows; /* slow path: an arena, header array or body buffer grew */
	uint64_t in_use; /* records out now */
	uint64_t decodes; /* bodies decoded (on demand) */
	uint64_t decode_errors; /* ... that were not valid gzip / deflate */
	uint64_t bombs; /* ... stopped by the ratio cap */
} api_call_pool_counters_t;

typedef struct api_call_pool api_call_pool_t;

/* Creates a pool whose records and their storage are charged to acct. */
int api_call_pool_new(api_call_pool_t **out, const api_call_limits_t *lim, mem_account_t *acct);

/* Frees the pool and its idle records; records still out must have been released. NULL is
 * fine. */
void api_call_pool_free(api_call_pool_t *p);

const api_call_pool_counters_t *api_call_pool_counters(const api_call_pool_t *p);
const api_call_limits_t *api_call_pool_limits(const api_call_pool_t *p);

/* A cleared record (content_length -1, port -1); NULL when memory is refused (counted). */
api_call_t *api_call_get(api_call_pool_t *p);

/* Returns a record to its pool; NULL is fine. Its slices are invalid from then on. */
void api_call_release(api_call_t *c);

/* Copies n bytes into the record's arena and points *dst at the copy. Returns AW_ELIMIT when
 * the arena cap would be passed, AW_ENOMEM when memory is refused; *dst is untouched then. */
int api_call_copy(api_call_t *c, aw_slice_t *dst, const void *s, size_t n);

/* Appends a header (name and value copied) to the request (dir 0) or response (dir 1).
 * AW_ELIMIT past the count or arena cap; the record is unchanged then. */
int api_call_add_header(api_call_t *c, int dir, const void *name, size_t nlen, const void *value,
			size_t vlen);

/* Appends n bytes to the value of the last header of direction dir (a folded header line).
 * AW_ELIMIT past the arena cap, AW_EINVAL when the message has no header. */
int api_call_header_append(api_call_t *c, int dir, const void *s, size_t n);

/* Room for up to want more body bytes of direction dir, within the body cap, in the body (raw
 * 0) or in the encoded copy (raw 1): returns a pointer and sets *room (0 when the cap is
 * reached or memory refused). Commit what was written with api_call_body_commit. */
char *api_call_body_reserve(api_call_t *c, int dir, int raw, size_t want, size_t *room);
void api_call_body_commit(api_call_t *c, int dir, int raw, size_t n);

/*
 * The body of direction dir, decoded. Encoded bodies are kept as sent and decoded here, on the
 * first call, into the record's own buffer (zlib; at most the body limit, stopped by the
 * decompression ratio cap, flags API_CALL_F_DECOMPRESS_ERR / API_CALL_F_BOMB /
 * API_CALL_F_*_BODY_CUT set as it goes): a stage that never reads bodies costs no
 * decompression. Logically const: the record only gains its decoded copy.
 */
const aw_slice_t *api_call_body(const api_call_t *c, int dir);

#endif

/*
 * json.h - a small, fast writer of one JSON object per line (EVE events).
 *
 * The writer appends to a buffer owned by the output stage: no allocation per event once the
 * buffer has grown to its working size. Lines accumulate in the buffer until the output stage
 * hands them to its sinks in one write and clears it (json_buf_clear), so an event costs no copy
 * and no call into stdio. A line may take at most max bytes: one that would pass it is dropped
 * by json_end (counted by the caller). It only writes: the sensor never parses JSON on the hot
 * path. Strings are escaped for JSON; bytes that are not valid UTF-8 are written as \u00XX so
 * every line stays valid JSON whatever the traffic carried.
 *
 * An event is some thirty members, so the cost of a member matters: the json_kv_* calls are
 * inline, write the separator and the key themselves (the compiler folds strlen and the copy of
 * a literal key), and make one call out of line for the value.
 */
#ifndef APIWATCH_JSON_H
#define APIWATCH_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mem.h"

#define JSON_MAX_DEPTH 32

typedef struct json_buf json_buf_t;

/* Makes room for want bytes in a buffer its owner lends (json_buf_lend): sets buf and size,
 * keeping the len bytes written; 0, or < 0 when it cannot. */
typedef int (*json_grow_fn)(void *ud, json_buf_t *jb, size_t want);

struct json_buf {
	char *buf;
	size_t len, size, max; /* bytes used, allocated; bytes one line may take */
	size_t line; /* start of the current line: the lines before it await their sink */
	size_t lim; /* the current line may write up to here without growing (see json.c) */
	mem_account_t *acct;
	json_grow_fn grow; /* NULL: buf is the writer's own, grown with mem_realloc */
	void *grow_ud;
	int depth;
	int overflow; /* the line hit max or an allocation failed */
	uint8_t empty; /* the innermost open object or array has no member yet */
	uint8_t outer_empty[JSON_MAX_DEPTH]; /* the same of the ones around it, by depth */
	uint64_t date_sec; /* second of date, plus one (0: none): events of a second share it */
	char date[24]; /* "YYYY-MM-DDTHH:MM:SS" */
};

/* Sets up an empty writer whose lines may take up to max bytes each, charged to acct. */
void json_buf_init(json_buf_t *jb, mem_account_t *acct, size_t max);
void json_buf_free(json_buf_t *jb);

/* Forgets the finished lines (once they are written out); not in the middle of a line. */
void json_buf_clear(json_buf_t *jb);

/* From now on the buffers are the owner's: grow is called, instead of mem_realloc, when one is
 * too small; json_buf_free leaves them alone. */
void json_buf_lend(json_buf_t *jb, json_grow_fn grow, void *ud);

/* Hands the finished lines over with their storage (*buf, *len, *size) and takes the buffer
 * nbuf of nsize bytes (NULL, 0: none yet) in their place, empty; not in the middle of a line.
 * Both buffers stay charged to the writer's account. */
void json_buf_exchange(json_buf_t *jb, char **buf, size_t *len, size_t *size, char *nbuf,
		       size_t nsize);

/* Starts a new line after the finished ones and opens its top-level object. */
void json_begin(json_buf_t *jb);
/* Closes the top-level object and appends '\n'. Returns 0, or AW_ELIMIT on overflow: the line
 * is then dropped from the buffer. */
int json_end(json_buf_t *jb);

/* The current line (after json_end: the last one), len bytes from the returned pointer. */
static inline const char *json_line(const json_buf_t *jb, size_t *len)
{
	*len = jb->len - jb->line;
	return jb->buf + jb->line;
}

/* ------------------------------------------------------------------------------------------ */
/* Internals of the inline calls: a key (NULL: an array element), then one value. */

void json__key_slow(json_buf_t *jb, const char *key, size_t klen);
void json__push(json_buf_t *jb, char bracket);
void json__pop(json_buf_t *jb, char bracket);
void json__strn(json_buf_t *jb, const char *s, size_t n);
void json__u64(json_buf_t *jb, uint64_t v);
void json__i64(json_buf_t *jb, int64_t v);
void json__raw(json_buf_t *jb, const char *s, size_t n);
void json__double(json_buf_t *jb, double v);
void json__milli(json_buf_t *jb, uint64_t v);
void json__time(json_buf_t *jb, uint64_t ts_us);

static inline size_t json__klen(const char *key)
{
	return key ? strlen(key) : 0;
}

/*
 * The separator (when the object or array has a member already) and the key. Room is asked for
 * a separator even when none is written: a value and the line end always follow, so the request
 * stays below what the line takes, and the line overflows exactly when its text passes max.
 */
static inline void json__key(json_buf_t *jb, const char *key, size_t klen)
{
	size_t n = key ? klen + 4 : 1;
	char *w;

	/* Outside a line lim is len: a stray member takes the slow path. */
	if (n > jb->lim - jb->len) {
		json__key_slow(jb, key, klen);
		return;
	}
	w = jb->buf + jb->len;
	*w = ',';
	w += !jb->empty;
	jb->empty = 0;
	if (key) {
		*w++ = '"';
		memcpy(w, key, klen);
		w += klen;
		*w++ = '"';
		*w++ = ':';
	}
	jb->len = (size_t)(w - jb->buf);
}

/* ------------------------------------------------------------------------------------------ */
/* Members and elements */

static inline void json_open_object(json_buf_t *jb, const char *key) /* key NULL in arrays */
{
	json__key(jb, key, json__klen(key));
	json__push(jb, '{');
}

static inline void json_close_object(json_buf_t *jb)
{
	json__pop(jb, '}');
}

static inline void json_open_array(json_buf_t *jb, const char *key)
{
	json__key(jb, key, json__klen(key));
	json__push(jb, '[');
}

static inline void json_close_array(json_buf_t *jb)
{
	json__pop(jb, ']');
}

static inline void json_kv_strn(json_buf_t *jb, const char *key, const char *s, size_t n)
{
	json__key(jb, key, json__klen(key));
	json__strn(jb, s, n);
}

static inline void json_kv_str(json_buf_t *jb, const char *key, const char *s)
{
	json_kv_strn(jb, key, s, strlen(s));
}

static inline void json_kv_u64(json_buf_t *jb, const char *key, uint64_t v)
{
	json__key(jb, key, json__klen(key));
	json__u64(jb, v);
}

static inline void json_kv_i64(json_buf_t *jb, const char *key, int64_t v)
{
	json__key(jb, key, json__klen(key));
	json__i64(jb, v);
}

static inline void json_kv_bool(json_buf_t *jb, const char *key, int v)
{
	json__key(jb, key, json__klen(key));
	if (v)
		json__raw(jb, "true", 4);
	else
		json__raw(jb, "false", 5);
}

static inline void json_kv_double(json_buf_t *jb, const char *key, double v)
{
	json__key(jb, key, json__klen(key));
	json__double(jb, v);
}

/* A fixed-point number with three decimals: v / 1000 (latencies in ms from microseconds). */
static inline void json_kv_milli(json_buf_t *jb, const char *key, uint64_t v)
{
	json__key(jb, key, json__klen(key));
	json__milli(jb, v);
}

/* A packet time as ISO 8601 with microseconds and UTC offset: 2026-01-02T03:04:05.000006+0000. */
static inline void json_kv_time(json_buf_t *jb, const char *key, uint64_t ts_us)
{
	json__key(jb, key, json__klen(key));
	json__time(jb, ts_us);
}

/* Array elements. */
static inline void json_str(json_buf_t *jb, const char *s)
{
	json_kv_strn(jb, NULL, s, strlen(s));
}

static inline void json_strn(json_buf_t *jb, const char *s, size_t n)
{
	json_kv_strn(jb, NULL, s, n);
}

static inline void json_u64(json_buf_t *jb, uint64_t v)
{
	json_kv_u64(jb, NULL, v);
}

/*
 * Appends members the caller already formatted ("a":1,"b":"x", no separator before the first
 * one nor after the last) to the object being written: the way to reuse text that is the same
 * for many events, such as the addresses of a flow.
 */
static inline void json_members(json_buf_t *jb, const char *text, size_t n)
{
	if (n == 0)
		return;
	json__key(jb, NULL, 0);
	json__raw(jb, text, n);
}

/*
 * Members whose key comes from the traffic (a media type, a path template): the key is escaped
 * as a string value is, where the json_kv_* calls copy literal keys as they are.
 */
void json_key_escaped(json_buf_t *jb, const char *key, size_t n);

static inline void json_open_object_keyn(json_buf_t *jb, const char *key, size_t n)
{
	json_key_escaped(jb, key, n);
	json__push(jb, '{');
}

static inline void json_kv_u64_keyn(json_buf_t *jb, const char *key, size_t n, uint64_t v)
{
	json_key_escaped(jb, key, n);
	json__u64(jb, v);
}

/* Formats ts_us as json_kv_time does into out (at least 32 bytes). */
void json_format_time(char *out, size_t out_len, uint64_t ts_us);

/* Writes the decimal digits of v ending just before end; returns how many (at most 20). */
size_t json_format_u64(char *end, uint64_t v);

/* Writes the 16 lowercase hex digits of v, most significant first, at out (no NUL): the form of
 * hashed identifiers ("redacted:...", principal ids, Redis key names). Each half's nibbles are
 * spread one per byte and turned into '0'-'9' or 'a'-'f' all at once. */
static inline void json_format_hex64(char *out, uint64_t v)
{
	int h;

	for (h = 0; h < 2; h++) {
		uint64_t x = h ? (v & 0xffffffffu) : v >> 32;

		/* Then byte k holds nibble k, the least significant first. */
		x = (x | x << 16) & 0x0000ffff0000ffffull;
		x = (x | x << 8) & 0x00ff00ff00ff00ffull;
		x = (x | x << 4) & 0x0f0f0f0f0f0f0f0full;
		x += 0x3030303030303030ull +
		     (((x + 0x0606060606060606ull) >> 4) & 0x0101010101010101ull) * 39;
		x = __builtin_bswap64(x);
		memcpy(out + 8 * h, &x, 8);
	}
}

#endif

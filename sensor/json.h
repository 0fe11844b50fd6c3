/*
 * json.h - a small, fast writer of one JSON object per line (EVE events).
 *
 * The writer appends to a buffer owned by the output stage: no allocation per event once the
 * buffer has grown to its working size, and never past its cap (a line that would pass it is
 * marked truncated and dropped by the caller, counted). It only writes: the sensor never parses
 * JSON on the hot path. Strings are escaped for JSON; bytes that are not valid UTF-8 are written
 * as \u00XX so every line stays valid JSON whatever the traffic carried.
 */
#ifndef APIWATCH_JSON_H
#define APIWATCH_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "mem.h"

#define JSON_MAX_DEPTH 32

typedef struct json_buf {
	char *buf;
	size_t len, size, max; /* bytes used, allocated, allowed */
	mem_account_t *acct;
	int depth;
	int overflow; /* the line hit max or an allocation failed */
	uint8_t first[JSON_MAX_DEPTH];
	uint64_t date_sec; /* second of date, plus one (0: none): events of a second share it */
	char date[24]; /* "YYYY-MM-DDTHH:MM:SS" */
} json_buf_t;

/* Sets up an empty writer whose buffer may grow to max bytes, charged to acct. */
void json_buf_init(json_buf_t *jb, mem_account_t *acct, size_t max);
void json_buf_free(json_buf_t *jb);

/* Starts a new line: clears the buffer and opens the top-level object. */
void json_begin(json_buf_t *jb);
/* Closes the top-level object and appends '\n'. Returns 0, or AW_ELIMIT on overflow. */
int json_end(json_buf_t *jb);

void json_open_object(json_buf_t *jb, const char *key); /* key NULL inside arrays */
void json_close_object(json_buf_t *jb);
void json_open_array(json_buf_t *jb, const char *key);
void json_close_array(json_buf_t *jb);

void json_kv_str(json_buf_t *jb, const char *key, const char *s);
void json_kv_strn(json_buf_t *jb, const char *key, const char *s, size_t n);
void json_kv_u64(json_buf_t *jb, const char *key, uint64_t v);
void json_kv_i64(json_buf_t *jb, const char *key, int64_t v);
void json_kv_bool(json_buf_t *jb, const char *key, int v);
void json_kv_double(json_buf_t *jb, const char *key, double v);
/* A fixed-point number with three decimals: v / 1000 (latencies in ms from microseconds). */
void json_kv_milli(json_buf_t *jb, const char *key, uint64_t v);
/* A packet time as ISO 8601 with microseconds and UTC offset: 2026-01-02T03:04:05.000006+0000. */
void json_kv_time(json_buf_t *jb, const char *key, uint64_t ts_us);

/* Array elements. */
void json_str(json_buf_t *jb, const char *s);
void json_strn(json_buf_t *jb, const char *s, size_t n);
void json_u64(json_buf_t *jb, uint64_t v);

/* Formats ts_us as json_kv_time does into out (at least 32 bytes). */
void json_format_time(char *out, size_t out_len, uint64_t ts_us);

#endif

/*
 * sensitive_private.h - what sensitive.c and sensitive_validate.c share: the byte classes, the
 * key-name context bits, the scan state, and the calls between the two files.
 *
 * sensitive.c walks the bytes (JSON tokenizer, query splitter, word scanner), keeps the key
 * path and fills the report; sensitive_validate.c holds the validators, the prefix table, the
 * number rules and the key-name rules it calls. Nothing here is used outside those two files;
 * what principal.c shares is in sensitive.h.
 */
#ifndef APIWATCH_SENSITIVE_PRIVATE_H
#define APIWATCH_SENSITIVE_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include "sensitive.h"

/* ------------------------------------------------------------------------------------------ */
/* Byte classes */

#define CLS_WORD 0x01 /* [A-Za-z0-9_] */
#define CLS_DIGIT 0x02
#define CLS_UPPER 0x04
#define CLS_TRIGGER 0x08 /* '@' '+' '(' '-' '\\': may start (or, '\\', end) a token */
#define CLS_TERM 0x10 /* '\n' '\r' '&' ';' ',': end a "key: value" scope in plain text */
#define CLS_B64URL 0x20 /* [A-Za-z0-9_-] */
#define CLS_LOCAL 0x40 /* e-mail local part: [A-Za-z0-9._%+-] */
#define CLS_SPACE 0x80 /* JSON whitespace */

/* Class bits per byte, defined in sensitive.c. ASCII only; bytes from 0x80 up are ordinary. */
extern const uint8_t sensitive__cls[256];

static inline unsigned sensitive__cls_of(char c)
{
	return sensitive__cls[(uint8_t)c];
}

static inline int sensitive__is_digit(char c)
{
	return (unsigned)(c - '0') < 10;
}

static inline int sensitive__is_upper(char c)
{
	return (unsigned)(c - 'A') < 26;
}

static inline int sensitive__is_alnum(char c)
{
	return (sensitive__cls_of(c) & CLS_WORD) && c != '_';
}

static inline char sensitive__to_lower(char c)
{
	return sensitive__is_upper(c) ? (char)(c | 0x20) : c;
}

/* ------------------------------------------------------------------------------------------ */
/* Scan state */

/* Key-name context (sensitive__key_class), for the value under the key... */
#define KEY_PHONE 0x0001
#define KEY_CARD 0x0002
#define KEY_SSN 0x0004
#define KEY_SECRET 0x0008
#define KEY_GCP_KEY_ID 0x0010 /* "private_key_id" of a service-account key */
#define KEY_NUMBER 0x0020 /* "number", "no": a number of whatever the parent key names */
#define KEY_DATA 0x0040 /* the key looks like data itself: written as "*", scanned */
#define KEY_NUMERIC (KEY_PHONE | KEY_CARD | KEY_SSN)
/* ...and the topics it names, for the keys of an object under it ("card": {"number": ...}). */
#define KEY_TOPIC_SHIFT 8
#define KEY_TOPICS (KEY_NUMERIC << KEY_TOPIC_SHIFT)

/* Longest key name read: the key-name rules' lower-case copy and the query splitter's name
 * buffer hold this many bytes, and plain text takes no longer word as a key. */
#define KEY_MAX_LEN 64

typedef struct sensitive_frame {
	uint16_t path_len; /* length of the container's own path */
	uint16_t key; /* KEY_* of the key the container is the value of */
	uint8_t is_array;
	uint8_t cut; /* the container's own path was cut */
} sensitive_frame_t;

/* Classes of recent key names: records in an array repeat their keys, and classifying a key
 * costs more than scanning a short value. Two-way set-associative, verified by the key bytes;
 * a miss replaces the older way. */
#define KEY_CACHE_SETS 64
#define KEY_CACHE_WAYS 2
#define KEY_CACHE_SLOTS (KEY_CACHE_SETS * KEY_CACHE_WAYS)
#define KEY_CACHE_LEN 30

typedef struct key_cache_slot {
	uint8_t len; /* 0xff: empty */
	uint8_t pad; /* in the first way of a set: the way to replace next */
	uint16_t key; /* KEY_* */
	char name[KEY_CACHE_LEN];
} key_cache_slot_t;

typedef struct sensitive_scan {
	sensitive_config_t cfg; /* clamped copy */
	sensitive_report_t *rep;
	uint8_t src;
	uint8_t text_keys; /* plain text: "name=value" and "name: value" set a key */
	uint8_t cut; /* the current path was cut */
	uint8_t base_cut;
	uint8_t cache_ready; /* key_cache has been cleared */
	uint16_t key; /* KEY_* in force for the current value */
	uint16_t base_key; /* ... outside any "name: value" scope of plain text */
	uint16_t path_len;
	uint16_t base_len; /* path of the text as a whole (header name) */
	uint32_t depth;
	char path[SENSITIVE_MAX_PATH + 1];
	sensitive_frame_t frame[SENSITIVE_MAX_DEPTH];
	key_cache_slot_t key_cache[KEY_CACHE_SLOTS];
} sensitive_scan_t;

/* ------------------------------------------------------------------------------------------ */
/* sensitive.c */

/* Records one occurrence of type at the current path. */
void sensitive__found(sensitive_scan_t *s, unsigned type);

/* ------------------------------------------------------------------------------------------ */
/* sensitive_validate.c: validators, prefixed tokens, numbers, key names */

/* An IBAN at p[i] (two letters, two digits already seen), contiguous or in groups of four
 * separated by single spaces; returns its end, or 0. */
size_t sensitive__check_iban(const char *p, size_t n, size_t i);

/* The 17 bytes at v are a VIN with a valid check digit. */
int sensitive__vin_ok(const char *v);

/* An e-mail address around the '@' at p[at]; returns the end of its domain, or 0. */
size_t sensitive__check_email(const char *p, size_t n, size_t at);

/* A PEM or PGP private-key banner at p[i]; returns the end of the banner, or 0. */
size_t sensitive__check_private_key(const char *p, size_t n, size_t i);

/* Runs the prefix table on the token at p[i] and records a match; returns its end, or 0. */
size_t sensitive__check_prefixes(sensitive_scan_t *s, const char *p, size_t n, size_t i);

/* True when some prefix of the table in sensitive_validate.c starts with c: keeps the table off
 * most words. Inline, as it runs on every word; keep it in step with the table. */
static inline int sensitive__prefix_first(char c)
{
	return c == 'A' || c == 'g' || c == 'x' || c == 's' || c == 'r' || c == 'p';
}

/* A number token at p[i] (a digit, or '+' / '(' before one): records a card, SSN or phone
 * number; returns where to go on. */
size_t sensitive__scan_number(sensitive_scan_t *s, const char *p, size_t n, size_t i);

/* What a key name says about its value: KEY_* bits. */
unsigned sensitive__key_class(const char *k, size_t n);

/* sensitive__key_class() through the scan's cache. */
unsigned sensitive__key_class_cached(sensitive_scan_t *s, const char *k, size_t n);

/* The context of a value under key class k inside a container whose key class is parent. */
unsigned sensitive__key_context(unsigned k, unsigned parent);

/* A secret value is present: not empty, not a mask ("****"), not a JSON-ish nothing. */
int sensitive__secret_value_present(const char *v, size_t n);

#endif

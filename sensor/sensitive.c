/*
 * sensitive.c - sensitive-data detectors: JSON key paths, query parameters, text, validators.
 *
 * Fed with a message's body, query string or header values (sensitive.h); feeds a caller-owned
 * report with types, counts and key paths, never values. One pass: the JSON tokenizer (or the
 * query splitter) hands each value to the word scanner, which skips ordinary bytes through a
 * class table and, at the first byte of a token, runs only the validators that token can start:
 * digits go to the number reader (cards, SSNs, phones), letters to the prefix table and the
 * IBAN / VIN / JWT checks, '@' to the e-mail check, '-' to the private-key banner. Everything
 * works on the borrowed bytes in place; the only copies are key names (into the path) and
 * percent-decoded query values (into a stack buffer).
 *
 * Context comes from key names: a bare digit run is only a card, phone or SSN under a key that
 * says so ("card_number", "phone", "ssn", or "number" inside a "card" object), and a secret is
 * a non-empty value under a password / secret / token key.
 */
#include <string.h>

#include "error.h"
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

/* Row shorthands for the table below. */
#define C_D (CLS_WORD | CLS_DIGIT | CLS_B64URL | CLS_LOCAL) /* digit */
#define C_U (CLS_WORD | CLS_UPPER | CLS_B64URL | CLS_LOCAL) /* upper-case letter */
#define C_L (CLS_WORD | CLS_B64URL | CLS_LOCAL) /* lower-case letter, '_' */
#define C_SP CLS_SPACE
#define C_NL (CLS_SPACE | CLS_TERM)
#define C_TE CLS_TERM
#define C_TR CLS_TRIGGER
#define C_LO CLS_LOCAL
#define C_PL (CLS_TRIGGER | CLS_LOCAL) /* '+' */
#define C_DA (CLS_TRIGGER | CLS_B64URL | CLS_LOCAL) /* '-' */

/* ASCII only; bytes from 0x80 up are ordinary. */
/* clang-format off */
static const uint8_t sensitive_cls[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, C_SP, C_NL, 0, 0, C_NL, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	C_SP, 0, 0, 0, 0, C_LO, C_TE, 0, C_TR, 0, 0, C_PL, C_TE, C_DA, C_LO, 0,
	C_D, C_D, C_D, C_D, C_D, C_D, C_D, C_D, C_D, C_D, 0, C_TE, 0, 0, 0, 0,
	C_TR, C_U, C_U, C_U, C_U, C_U, C_U, C_U, C_U, C_U, C_U, C_U, C_U, C_U, C_U, C_U,
	C_U, C_U, C_U, C_U, C_U, C_U, C_U, C_U, C_U, C_U, C_U, 0, C_TR, 0, 0, C_L,
	0, C_L, C_L, C_L, C_L, C_L, C_L, C_L, C_L, C_L, C_L, C_L, C_L, C_L, C_L, C_L,
	C_L, C_L, C_L, C_L, C_L, C_L, C_L, C_L, C_L, C_L, C_L, 0, 0, 0, 0, 0,
};
/* clang-format on */

#undef C_D
#undef C_U
#undef C_L
#undef C_SP
#undef C_NL
#undef C_TE
#undef C_TR
#undef C_LO
#undef C_PL
#undef C_DA

static inline unsigned cls_of(char c)
{
	return sensitive_cls[(uint8_t)c];
}

static inline int is_digit(char c)
{
	return (unsigned)(c - '0') < 10;
}

static inline int is_upper(char c)
{
	return (unsigned)(c - 'A') < 26;
}

static inline int is_alnum(char c)
{
	return (cls_of(c) & CLS_WORD) && c != '_';
}

static inline int is_hex(char c)
{
	return is_digit(c) || (unsigned)((c | 0x20) - 'a') < 6;
}

/* Whether a token may start at p[i]: the byte before is not one of mask, or it ends a JSON
 * escape ("\\nAKIA..." starts a key after the newline). */
static inline int token_start(const char *p, size_t i, unsigned mask)
{
	return i == 0 || !(cls_of(p[i - 1]) & mask) || (i >= 2 && p[i - 2] == '\\');
}

static inline char to_lower(char c)
{
	return is_upper(c) ? (char)(c | 0x20) : c;
}

/* Length of the run from p[i] whose bytes all have one of the class bits in mask, counted up
 * to max. Scanners that may start again inside a run bound it, so that hostile input (one long
 * run with many starts, "a-a-a-...") costs linear time. */
static inline size_t run_max(const char *p, size_t n, size_t i, unsigned mask, size_t max)
{
	size_t j = i, end = n - i > max ? i + max : n;

	while (j < end && (cls_of(p[j]) & mask))
		j++;
	return j - i;
}

static inline size_t run_len(const char *p, size_t n, size_t i, unsigned mask)
{
	return run_max(p, n, i, mask, n - i);
}

/* ------------------------------------------------------------------------------------------ */
/* Scan state and the report */

/* Key-name context (sensitive_key_class), for the value under the key... */
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

static inline void sat_inc(uint32_t *v)
{
	if (*v != UINT32_MAX)
		(*v)++;
}

/* Records one occurrence of type at the current path. */
static void sensitive_found(sensitive_scan_t *s, unsigned type)
{
	sensitive_report_t *r = s->rep;
	sensitive_finding_t *f;
	uint32_t i;

	if (!(s->cfg.types & (1u << type)))
		return;
	r->types |= 1u << type;
	sat_inc(&r->counts[type]);
	if (s->cut) {
		r->flags |= SENSITIVE_F_PATH_CUT;
		sat_inc(&r->paths_cut);
	}
	/* Newest first: repeated findings usually come from the same array of records. */
	for (i = r->nfindings; i-- > 0;) {
		f = &r->findings[i];
		if (f->type == type && f->source == s->src && f->path_len == s->path_len &&
		    memcmp(f->path, s->path, s->path_len) == 0) {
			sat_inc(&f->count);
			return;
		}
	}
	if (r->nfindings >= s->cfg.max_findings) {
		r->flags |= SENSITIVE_F_FINDINGS_CUT;
		sat_inc(&r->findings_dropped);
		return;
	}
	f = &r->findings[r->nfindings++];
	f->type = (uint8_t)type;
	f->source = s->src;
	f->flags = s->cut ? SENSITIVE_FINDING_F_PATH_CUT : 0;
	f->path_len = (uint8_t)s->path_len;
	f->count = 1;
	memcpy(f->path, s->path, s->path_len);
	f->path[s->path_len] = '\0';
}

/* Appends a segment to the path (after a '.' when dot and the path is not empty), cutting it
 * at max_path. */
static void path_append(sensitive_scan_t *s, const char *seg, size_t n, int dot)
{
	size_t len = s->path_len, max = s->cfg.max_path, room;

	if (dot && len > 0) {
		if (len >= max) {
			s->cut = 1;
			return;
		}
		s->path[len++] = '.';
	}
	room = max - len;
	if (n > room) {
		n = room;
		s->cut = 1;
	}
	memcpy(s->path + len, seg, n);
	s->path_len = (uint16_t)(len + n);
}

/* Appends a key name: lower-cased when asked (header names), "*" when it looks like data. */
static void path_append_key(sensitive_scan_t *s, const char *k, size_t n, unsigned key, int lower)
{
	size_t start = s->path_len, i;

	if (key & KEY_DATA) {
		path_append(s, "*", 1, 1);
		return;
	}
	path_append(s, k, n, 1);
	if (lower)
		for (i = start; i < s->path_len; i++)
			s->path[i] = to_lower(s->path[i]);
}

/* ------------------------------------------------------------------------------------------ */
/* Base64, a flat JSON object reader, JWT shape (shared with principal.c) */

/* The sextet of a base64 or base64url character, -1 for others. */
static int b64_value(char c)
{
	if (is_upper(c))
		return c - 'A';
	if ((unsigned)(c - 'a') < 26)
		return c - 'a' + 26;
	if (is_digit(c))
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	return c == '/' || c == '_' ? 63 : -1;
}

int sensitive__b64_decode(uint8_t *out, size_t cap, size_t *outlen, const char *in, size_t n)
{
	uint32_t acc = 0;
	size_t i, o = 0, bits = 0;

	while (n > 0 && in[n - 1] == '=')
		n--;
	if (n % 4 == 1) {
		*outlen = 0;
		return AW_EMALFORMED;
	}
	for (i = 0; i < n; i++) {
		int v = b64_value(in[i]);

		if (v < 0) {
			*outlen = o;
			return AW_EMALFORMED;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == cap) {
				*outlen = o;
				return 1;
			}
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	*outlen = o;
	return 0;
}

static size_t json_ws(const char *j, size_t n, size_t i)
{
	while (i < n && (cls_of(j[i]) & CLS_SPACE))
		i++;
	return i;
}

/* End of the string whose opening quote is at j[i - 1]: the offset of its closing quote, or n
 * when it does not close. Escapes are skipped, not decoded. */
static size_t json_string_end(const char *j, size_t n, size_t i)
{
	for (;;) {
		const char *q = i < n ? memchr(j + i, '"', n - i) : NULL;
		size_t k, bs = 0;

		if (!q)
			return n;
		k = (size_t)(q - j);
		while (k - bs > i && j[k - bs - 1] == '\\')
			bs++;
		if (!(bs & 1))
			return k;
		i = k + 1;
	}
}

/* Skips the value starting at j[i]; returns its end, or n when it does not end in the text. */
static size_t json_skip_value(const char *j, size_t n, size_t i, int *kind)
{
	size_t depth = 0;

	if (j[i] == '"') {
		*kind = SENSITIVE__JSON_STRING;
		i = json_string_end(j, n, i + 1);
		return i < n ? i + 1 : n;
	}
	if (j[i] != '{' && j[i] != '[') {
		*kind = is_digit(j[i]) || j[i] == '-' ? SENSITIVE__JSON_NUMBER
						      : SENSITIVE__JSON_LITERAL;
		while (i < n && j[i] != ',' && j[i] != '}' && j[i] != ']' &&
		       !(cls_of(j[i]) & CLS_SPACE))
			i++;
		return i;
	}
	*kind = j[i] == '{' ? SENSITIVE__JSON_OBJECT : SENSITIVE__JSON_ARRAY;
	for (; i < n; i++) {
		if (j[i] == '"') {
			i = json_string_end(j, n, i + 1);
			if (i >= n)
				return n;
		} else if (j[i] == '{' || j[i] == '[') {
			depth++;
		} else if (j[i] == '}' || j[i] == ']') {
			if (--depth == 0)
				return i + 1;
		}
	}
	return n;
}

int sensitive__json_member(const char *j, size_t n, size_t *off, aw_slice_t *key, aw_slice_t *value,
			   int *kind)
{
	size_t i = json_ws(j, n, *off), k, v;

	if (*off == 0) {
		if (i >= n || j[i] != '{')
			return AW_EMALFORMED;
		i = json_ws(j, n, i + 1);
		if (i < n && j[i] == '}') {
			*off = i + 1;
			return 0;
		}
	} else if (i < n && j[i] == '}') {
		return 0;
	} else if (i < n && j[i] == ',') {
		i = json_ws(j, n, i + 1);
	} else {
		return AW_EMALFORMED;
	}
	if (i >= n || j[i] != '"')
		return AW_EMALFORMED;
	k = json_string_end(j, n, i + 1);
	if (k >= n)
		return AW_EMALFORMED;
	key->ptr = j + i + 1;
	key->len = k - i - 1;
	i = json_ws(j, n, k + 1);
	if (i >= n || j[i] != ':')
		return AW_EMALFORMED;
	i = json_ws(j, n, i + 1);
	if (i >= n)
		return AW_EMALFORMED;
	v = json_skip_value(j, n, i, kind);
	if (v >= n && (*kind == SENSITIVE__JSON_STRING || *kind == SENSITIVE__JSON_OBJECT ||
		       *kind == SENSITIVE__JSON_ARRAY))
		return AW_EMALFORMED;
	if (v == i)
		return AW_EMALFORMED;
	if (*kind == SENSITIVE__JSON_STRING) {
		value->ptr = j + i + 1;
		value->len = v - i - 2;
	} else {
		value->ptr = j + i;
		value->len = v - i;
	}
	*off = v;
	return 1;
}

int sensitive__jwt_split(const char *s, size_t n, aw_slice_t part[3])
{
	size_t i = 0, k;

	for (k = 0; k < 3; k++) {
		size_t start = i;

		while (i < n && (cls_of(s[i]) & CLS_B64URL))
			i++;
		part[k].ptr = s + start;
		part[k].len = i - start;
		if (part[k].len % 4 == 1)
			return 0;
		if (k < 2) {
			if (i >= n || s[i] != '.' || part[k].len < 2)
				return 0;
			i++;
		}
	}
	return i == n && part[0].len >= 16;
}

int sensitive__jwt_header(const char *b64, size_t n, char *alg, size_t alg_cap)
{
	uint8_t buf[384];
	size_t len, off = 0;
	aw_slice_t key, val;
	int kind, rc, cut, members = 0;

	if (alg_cap)
		alg[0] = '\0';
	cut = sensitive__b64_decode(buf, sizeof(buf), &len, b64, n);
	if (cut < 0)
		return 0;
	while ((rc = sensitive__json_member((const char *)buf, len, &off, &key, &val, &kind)) > 0) {
		members++;
		if (key.len == 3 && memcmp(key.ptr, "alg", 3) == 0 &&
		    kind == SENSITIVE__JSON_STRING) {
			if (alg_cap) {
				size_t m = val.len < alg_cap - 1 ? val.len : alg_cap - 1;

				memcpy(alg, val.ptr, m);
				alg[m] = '\0';
			}
			return 1;
		}
	}
	/* A header cut by the decode buffer is still an object if it started as one. */
	if (rc == 0 || (members > 0 && cut == 1))
		return 2;
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Validators */

static int luhn_ok(const uint8_t *d, size_t n)
{
	unsigned sum = 0, i;

	for (i = 0; i < n; i++) {
		unsigned v = d[n - 1 - i];

		if (i & 1) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
	}
	return sum % 10 == 0;
}

/* Issuer ranges and lengths of the card networks (ISO/IEC 7812 IINs as published by them). */
static int card_issuer_ok(const uint8_t *d, size_t n)
{
	unsigned p2 = d[0] * 10u + d[1], p3 = p2 * 10u + d[2], p4 = p3 * 10u + d[3];

	if (d[0] == 4)
		return n == 13 || n == 16 || n == 19; /* Visa */
	if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720))
		return n == 16; /* Mastercard */
	if (p2 == 34 || p2 == 37)
		return n == 15; /* American Express */
	if (p4 == 6011 || (p3 >= 644 && p3 <= 649) || p2 == 65)
		return n >= 16; /* Discover */
	if (p4 >= 3528 && p4 <= 3589)
		return n >= 16; /* JCB */
	if ((p3 >= 300 && p3 <= 305) || p4 == 3095 || p2 == 36 || p2 == 38 || p2 == 39)
		return n >= 14; /* Diners Club */
	if (p2 == 62)
		return n >= 16; /* UnionPay */
	return 0;
}

/* SSA rules: no area 000, 666 or 9xx, no group 00, no serial 0000; and the numbers that were
 * published as examples and never issued. */
static int ssn_ok(const uint8_t *d)
{
	unsigned area = d[0] * 100u + d[1] * 10u + d[2], group = d[3] * 10u + d[4];
	unsigned serial = d[5] * 1000u + d[6] * 100u + d[7] * 10u + d[8];

	if (area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0)
		return 0;
	if ((area == 78 && group == 5 && serial == 1120) ||
	    (area == 219 && group == 9 && serial == 9999) ||
	    (area == 123 && group == 45 && serial == 6789))
		return 0;
	return 1;
}

/* IBAN length per country (ISO 13616 registry); 0 for countries not listed. */
static unsigned iban_length(char a, char b)
{
	static const char table[] = "AD24AE23AL28AT20AZ28BA20BE16BG22BH22BR29BY28CH21CR22CY28CZ24"
				    "DE22DK18DO28EE20EG29ES24FI18FO18FR27GB22GE22GI23GL18GR27GT28"
				    "HR21HU28IE22IL23IQ23IS26IT27JO30KW30KZ20LB28LC32LI21LT20LU20"
				    "LV21MC27MD24ME22MK19MR27MT31MU30NL18NO15PK24PL28PS29PT25QA29"
				    "RO24RS22SA24SC31SE24SI19SK24SM27ST25SV28TL23TN24TR26UA29VA22"
				    "VG24XK20";
	size_t i;

	for (i = 0; i + 4 <= sizeof(table) - 1; i += 4)
		if (table[i] == a && table[i + 1] == b)
			return (unsigned)(table[i + 2] - '0') * 10u +
			       (unsigned)(table[i + 3] - '0');
	return 0;
}

/* ISO 7064 mod 97-10 over the rearranged IBAN (country and check digits moved to the end,
 * letters as 10..35). */
static int iban_mod97_ok(const char *c, size_t n)
{
	unsigned r = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		char ch = c[(i + 4) % n];

		if (is_digit(ch))
			r = (r * 10u + (unsigned)(ch - '0')) % 97u;
		else
			r = (r * 100u + (unsigned)(ch - 'A' + 10)) % 97u;
	}
	return r == 1;
}

/* An IBAN at p[i] (two letters, two digits already seen), contiguous or in groups of four
 * separated by single spaces; returns its end, or 0. */
static size_t check_iban(const char *p, size_t n, size_t i)
{
	char buf[34];
	unsigned want = iban_length(p[i], p[i + 1]), cnt = 0, chk;
	int grouped = -1;
	size_t j;

	if (!want)
		return 0;
	chk = (unsigned)(p[i + 2] - '0') * 10u + (unsigned)(p[i + 3] - '0');
	if (chk < 2 || chk > 98)
		return 0;
	for (j = i; j < n && cnt < want;) {
		char c = p[j];

		if (is_upper(c) || is_digit(c)) {
			if (cnt > 0 && cnt % 4 == 0 && p[j - 1] != ' ') {
				if (grouped == 1)
					return 0;
				grouped = 0;
			}
			buf[cnt++] = c;
			j++;
		} else if (c == ' ' && grouped != 0 && cnt > 0 && cnt % 4 == 0) {
			grouped = 1;
			j++;
		} else {
			break;
		}
	}
	if (cnt != want || (j < n && (cls_of(p[j]) & CLS_WORD)))
		return 0;
	return iban_mod97_ok(buf, cnt) ? j : 0;
}

/* Value of a VIN character for the check digit (49 CFR 565 transliteration); -1 if the
 * character may not appear in a VIN. */
static int vin_value(char c)
{
	static const signed char letters[26] = {
		1, 2, 3, 4, 5, 6, 7, 8, -1, 1, 2, 3, 4, 5, -1, 7, -1, 9, 2, 3, 4, 5, 6, 7, 8, 9,
	};

	if (is_digit(c))
		return c - '0';
	if (is_upper(c))
		return letters[c - 'A'];
	return -1;
}

/* A 17-character VIN: no I, O or Q; a letter in the manufacturer code; a model-year code at
 * position 10; a numeric serial end (positions 14-17); and the check digit at position 9. */
static int vin_ok(const char *v)
{
	static const uint8_t weight[17] = {8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2};
	unsigned sum = 0, i, r;

	if (!is_upper(v[0]) && !is_upper(v[1]) && !is_upper(v[2]))
		return 0;
	if (v[9] == 'U' || v[9] == 'Z' || v[9] == '0')
		return 0;
	for (i = 13; i < 17; i++)
		if (!is_digit(v[i]))
			return 0;
	for (i = 0; i < 17; i++) {
		int val = vin_value(v[i]);

		if (val < 0)
			return 0;
		sum += (unsigned)val * weight[i];
	}
	r = sum % 11;
	return v[8] == (r == 10 ? 'X' : (char)('0' + r));
}

/* The domain of an e-mail address at p[i]: two or more labels, an alphabetic top-level label
 * that is not a file extension ("logo@2x.png"). Returns its end, or 0. */
static size_t check_email_domain(const char *p, size_t n, size_t i)
{
	static const char *const not_tld[] = {"png",  "jpg", "jpeg", "gif", "svg",
					      "webp", "ico", "css",  "js"};
	size_t j = i, label = 0, labels = 0, end = 0, tld = 0, k;
	int alpha = 1;

	while (j < n && j - i < 253) {
		char c = p[j];

		if (is_alnum(c) || (c == '-' && label > 0)) {
			alpha &= !is_digit(c) && c != '-';
			label++;
			j++;
			continue;
		}
		if (label == 0 || p[j - 1] == '-' || label > 63)
			break;
		labels++;
		end = j;
		tld = alpha ? label : 0;
		if (c != '.' || j + 1 >= n || !is_alnum(p[j + 1]))
			break;
		label = 0;
		alpha = 1;
		j++;
	}
	if (j == n && label > 0 && p[j - 1] != '-' && label <= 63) {
		labels++;
		end = j;
		tld = alpha ? label : 0;
	}
	if (labels < 2 || tld < 2 || tld > 24)
		return 0;
	for (k = 0; k < sizeof(not_tld) / sizeof(not_tld[0]); k++) {
		size_t m = strlen(not_tld[k]);
		size_t t;

		if (m != tld)
			continue;
		for (t = 0; t < m && to_lower(p[end - m + t]) == not_tld[k][t]; t++)
			;
		if (t == m)
			return 0;
	}
	return end;
}

/* An e-mail address around the '@' at p[at]; returns the end of its domain, or 0. */
static size_t check_email(const char *p, size_t n, size_t at)
{
	size_t j = at;

	while (j > 0 && (cls_of(p[j - 1]) & CLS_LOCAL) && at - j < 64)
		j--;
	if (j == at || (j > 0 && (cls_of(p[j - 1]) & CLS_LOCAL)))
		return 0;
	if (p[j] == '.' || p[at - 1] == '.' || at + 1 >= n)
		return 0;
	return check_email_domain(p, n, at + 1);
}

/* "-----BEGIN [words ]PRIVATE KEY-----" or "... PRIVATE KEY BLOCK-----" (PGP) at p[i]; returns
 * the end of the banner, or 0. */
static size_t check_private_key(const char *p, size_t n, size_t i)
{
	size_t j, lim;

	if (n - i < 27 || memcmp(p + i, "-----BEGIN ", 11) != 0)
		return 0;
	lim = n - i > 64 ? i + 64 : n;
	for (j = i + 11; j + 5 <= lim; j++) {
		if (p[j] == '-') {
			if (memcmp(p + j, "-----", 5) != 0)
				return 0;
			if ((j - i >= 22 && memcmp(p + j - 11, "PRIVATE KEY", 11) == 0) ||
			    (j - i >= 28 && memcmp(p + j - 17, "PRIVATE KEY BLOCK", 17) == 0))
				return j + 5;
			return 0;
		}
		if (!is_upper(p[j]) && !is_digit(p[j]) && p[j] != ' ')
			return 0;
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Tokens with a well-known prefix: one line per kind of key. */

#define SET_UPPER_DIGIT 1 /* [A-Z0-9] */
#define SET_ALNUM 2 /* [A-Za-z0-9] */
#define SET_WORD 3 /* [A-Za-z0-9_] */
#define SET_B64URL 4 /* [A-Za-z0-9_-] */

typedef struct sensitive_prefix {
	uint8_t type; /* enum sensitive_type */
	uint8_t set; /* SET_*: the characters after the prefix */
	uint8_t len; /* of the prefix */
	uint16_t min, max; /* length after the prefix */
	const char *prefix;
} sensitive_prefix_t;

/* A table row; the prefix must be a string literal. */
#define PREFIX(t, p, s, lo, hi)                                                            \
	{                                                                                  \
		.type = (t), .prefix = (p), .len = sizeof(p) - 1, .set = (s), .min = (lo), \
		.max = (hi)                                                                \
	}

static const sensitive_prefix_t sensitive_prefixes[] = {
	PREFIX(SENSITIVE_AWS_KEY, "AKIA", SET_UPPER_DIGIT, 16, 16),
	PREFIX(SENSITIVE_AWS_KEY, "ASIA", SET_UPPER_DIGIT, 16, 16),
	PREFIX(SENSITIVE_GOOGLE_API_KEY, "AIza", SET_B64URL, 35, 35),
	PREFIX(SENSITIVE_GITHUB_TOKEN, "ghp_", SET_ALNUM, 36, 251),
	PREFIX(SENSITIVE_GITHUB_TOKEN, "gho_", SET_ALNUM, 36, 251),
	PREFIX(SENSITIVE_GITHUB_TOKEN, "ghu_", SET_ALNUM, 36, 251),
	PREFIX(SENSITIVE_GITHUB_TOKEN, "ghs_", SET_ALNUM, 36, 251),
	PREFIX(SENSITIVE_GITHUB_TOKEN, "ghr_", SET_ALNUM, 36, 251),
	PREFIX(SENSITIVE_GITHUB_TOKEN, "github_pat_", SET_WORD, 40, 244),
	PREFIX(SENSITIVE_SLACK_TOKEN, "xoxb-", SET_B64URL, 20, 250),
	PREFIX(SENSITIVE_SLACK_TOKEN, "xoxp-", SET_B64URL, 20, 250),
	PREFIX(SENSITIVE_SLACK_TOKEN, "xoxa-", SET_B64URL, 20, 250),
	PREFIX(SENSITIVE_SLACK_TOKEN, "xoxr-", SET_B64URL, 20, 250),
	PREFIX(SENSITIVE_STRIPE_KEY, "sk_live_", SET_ALNUM, 16, 247),
	PREFIX(SENSITIVE_STRIPE_KEY, "rk_live_", SET_ALNUM, 16, 247),
	PREFIX(SENSITIVE_STRIPE_KEY, "pk_live_", SET_ALNUM, 16, 247),
};

#undef PREFIX

static int in_set(unsigned set, char c)
{
	unsigned k = cls_of(c);

	switch (set) {
	case SET_UPPER_DIGIT:
		return (k & (CLS_UPPER | CLS_DIGIT)) != 0;
	case SET_ALNUM:
		return (k & CLS_WORD) && c != '_';
	case SET_WORD:
		return (k & CLS_WORD) != 0;
	default:
		return (k & CLS_B64URL) != 0;
	}
}

/* Runs the prefix table on the token at p[i]; returns the end of a match, or 0. */
static size_t check_prefixes(sensitive_scan_t *s, const char *p, size_t n, size_t i)
{
	size_t k;

	for (k = 0; k < sizeof(sensitive_prefixes) / sizeof(sensitive_prefixes[0]); k++) {
		const sensitive_prefix_t *t = &sensitive_prefixes[k];
		size_t plen = t->len, j, body;

		if (t->prefix[0] != p[i] || n - i < plen + t->min ||
		    memcmp(p + i, t->prefix, plen) != 0)
			continue;
		for (j = i + plen; j < n && j - i - plen <= t->max && in_set(t->set, p[j]); j++)
			;
		body = j - i - plen;
		if (body < t->min || body > t->max || (j < n && (cls_of(p[j]) & CLS_B64URL)))
			continue;
		sensitive_found(s, t->type);
		return j;
	}
	return 0;
}

/* True when some prefix of the table starts with c: keeps the table off most words. */
static inline int prefix_first(char c)
{
	return c == 'A' || c == 'g' || c == 'x' || c == 's' || c == 'r' || c == 'p';
}

/* ------------------------------------------------------------------------------------------ */
/* Numbers: cards, SSNs, phones */

#define NUM_MAX_DIGITS 24
#define NUM_MAX_GROUPS 8

typedef struct sensitive_num {
	uint8_t d[NUM_MAX_DIGITS];
	uint8_t ndig, ngroups;
	uint8_t glen[NUM_MAX_GROUPS];
	char sep[NUM_MAX_GROUPS]; /* separator before each group; 0 before the first */
	uint8_t plus; /* a leading '+' */
	uint8_t paren; /* 1 + index of a group written in parentheses; 0 if none */
	size_t end; /* just past the token */
	size_t first_end; /* just past its first group: where to go on after a miss */
} sensitive_num_t;

/* Reads digit groups separated by single ' ', '-' or '.' (and one parenthesised group near
 * the start) from p[i]. Returns 0 when the token is not a candidate: too long, or glued to a
 * word. */
static int num_read(sensitive_num_t *m, const char *p, size_t n, size_t i)
{
	size_t j = i;
	char sep = 0;

	m->ndig = m->ngroups = m->plus = m->paren = 0;
	if (p[j] == '+') {
		m->plus = 1;
		j++;
	}
	for (;;) {
		size_t start;
		int paren = 0;

		if (m->ngroups == NUM_MAX_GROUPS)
			return 0;
		if (j < n && p[j] == '(' && m->ngroups <= 1 && !m->paren) {
			paren = 1;
			j++;
		}
		start = j;
		while (j < n && is_digit(p[j])) {
			if (m->ndig == NUM_MAX_DIGITS)
				return 0;
			m->d[m->ndig++] = (uint8_t)(p[j] - '0');
			j++;
		}
		if (j == start || (paren && (j - start > 4 || j >= n || p[j] != ')')))
			return 0;
		m->glen[m->ngroups] = (uint8_t)(j - start);
		m->sep[m->ngroups] = sep;
		if (paren) {
			m->paren = (uint8_t)(m->ngroups + 1);
			j++;
		}
		if (m->ngroups++ == 0)
			m->first_end = j;
		m->end = j;
		sep = 0;
		if (paren && j < n && is_digit(p[j]))
			continue;
		if (j + 1 < n && (p[j] == ' ' || p[j] == '-' || p[j] == '.') &&
		    (is_digit(p[j + 1]) || (p[j + 1] == '(' && m->ngroups <= 1 && !m->paren))) {
			sep = p[j++];
			continue;
		}
		break;
	}
	return !(m->end < n && (cls_of(p[m->end]) & CLS_WORD));
}

/* All separators between groups are c. */
static int num_seps_all(const sensitive_num_t *m, char c)
{
	unsigned g;

	for (g = 1; g < m->ngroups; g++)
		if (m->sep[g] != c)
			return 0;
	return 1;
}

/* How cards are printed: 4-4-4-4(-3), or 4-6-5 / 4-6-4 (American Express, Diners). */
static int card_grouping(const sensitive_num_t *m)
{
	unsigned g;

	if (m->ngroups == 3 && m->glen[0] == 4 && m->glen[1] == 6 &&
	    (m->glen[2] == 5 || m->glen[2] == 4))
		return 1;
	if (m->ngroups < 4)
		return 0;
	for (g = 0; g + 1 < m->ngroups; g++)
		if (m->glen[g] != 4)
			return 0;
	return m->glen[m->ngroups - 1] <= 4;
}

static int num_is_card(const sensitive_num_t *m, unsigned key)
{
	int formatted;

	if (m->plus || m->paren || m->ndig < 13 || m->ndig > 19)
		return 0;
	formatted = m->ngroups > 1 && (num_seps_all(m, ' ') || num_seps_all(m, '-')) &&
		    (card_grouping(m) || (key & KEY_CARD));
	if (!formatted && !(m->ngroups == 1 && (key & KEY_CARD)))
		return 0;
	return card_issuer_ok(m->d, m->ndig) && luhn_ok(m->d, m->ndig);
}

static int num_is_ssn(const sensitive_num_t *m, unsigned key)
{
	int dashed;

	if (m->plus || m->paren || m->ndig != 9)
		return 0;
	dashed = m->ngroups == 3 && m->glen[0] == 3 && m->glen[1] == 2 && m->glen[2] == 4;
	if (!(dashed && num_seps_all(m, '-')) &&
	    !((key & KEY_SSN) && (m->ngroups == 1 || (dashed && num_seps_all(m, ' ')))))
		return 0;
	return ssn_ok(m->d);
}

/* North American numbering plan, written (NXX) NXX-XXXX, NXX-NXX-XXXX, NXX.NXX.XXXX or
 * NXX NXX XXXX, optionally after a "1" trunk prefix. */
static int num_is_nanp(const sensitive_num_t *m)
{
	unsigned g = 0;
	const uint8_t *d = m->d;

	if (m->ngroups == 4 && m->glen[0] == 1 && d[0] == 1 && !m->paren) {
		g = 1;
		d++;
	} else if (m->ngroups != 3) {
		return 0;
	}
	if (m->glen[g] != 3 || m->glen[g + 1] != 3 || m->glen[g + 2] != 4)
		return 0;
	if (d[0] < 2 || (d[1] == 1 && d[2] == 1) || d[3] < 2)
		return 0;
	if (m->paren == g + 1)
		return (m->sep[g + 1] == 0 || m->sep[g + 1] == ' ') &&
		       (m->sep[g + 2] == '-' || m->sep[g + 2] == ' ' || m->sep[g + 2] == '.');
	if (m->paren)
		return 0;
	return m->sep[g + 1] == m->sep[g + 2] && (g == 0 || m->sep[1] == m->sep[2]);
}

/* A national number with a trunk prefix 0 (much of Europe, Africa and Asia), grouped the two
 * ways plans print them: pairs after a two-digit area code ("06 12 34 56 78", also with dots,
 * "02 123 45 67"), or a 3-5 digit area code and blocks of 3-8 ("020 7946 0958", "0151
 * 12345678", "(030) 1234567"). Other groupings are IP addresses, versions and dates. */
static int num_is_trunk(const sensitive_num_t *m)
{
	unsigned g, pairs = m->glen[0] == 2 && !m->paren;
	char sep = 0;

	if (m->plus || m->ngroups < 2 || m->ndig < 9 || m->ndig > 12 || m->d[0] != 0 ||
	    m->d[1] == 0 || m->paren > 1)
		return 0;
	if (pairs ? m->ngroups < 4 : m->glen[0] < 3 || m->glen[0] > 5)
		return 0;
	for (g = 1; g < m->ngroups; g++) {
		if (pairs ? m->glen[g] < 2 || m->glen[g] > 3 : m->glen[g] < 3 || m->glen[g] > 8)
			return 0;
		if (g == 1 && m->paren) {
			if (m->sep[1] != 0 && m->sep[1] != ' ')
				return 0;
			continue;
		}
		if (!sep)
			sep = m->sep[g];
		if (m->sep[g] != sep || (sep == '.' && !pairs))
			return 0;
	}
	return 1;
}

/* E.164 country codes (ITU-T assignments, spare codes left out): an international number
 * starts with one. */
static int e164_country_ok(const uint8_t *d, size_t n)
{
	static const char codes[] =
		"1 7 20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 "
		"58 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98 211 212 213 216 218 "
		"220 221 222 223 224 225 226 227 228 229 230 231 232 233 234 235 236 237 238 239 "
		"240 241 242 243 244 245 246 247 248 249 250 251 252 253 254 255 256 257 258 260 "
		"261 262 263 264 265 266 267 268 269 290 291 297 298 299 350 351 352 353 354 355 "
		"356 357 358 359 370 371 372 373 374 375 376 377 378 379 380 381 382 383 385 386 "
		"387 389 420 421 423 500 501 502 503 504 505 506 507 508 509 590 591 592 593 594 "
		"595 596 597 598 599 670 672 673 674 675 676 677 678 679 680 681 682 683 685 686 "
		"687 688 689 690 691 692 800 808 850 852 853 855 856 870 878 880 881 882 883 886 "
		"888 960 961 962 963 964 965 966 967 968 970 971 972 973 974 975 976 977 979 991 "
		"992 993 994 995 996 998 ";
	const char *c = codes;

	while (*c) {
		size_t k = 0;

		while (c[k] != ' ' && k < n && (uint8_t)(c[k] - '0') == d[k])
			k++;
		if (c[k] == ' ')
			return 1;
		while (*c != ' ')
			c++;
		c++;
	}
	return 0;
}

static int num_is_phone(const sensitive_num_t *m, unsigned key)
{
	if (m->plus && m->d[0] == 1) /* NANP: +1 NXX NXX XXXX */
		return m->ndig == 11 && m->d[1] >= 2 && m->d[4] >= 2;
	if (m->plus && m->d[0] == 7) /* Russia and Kazakhstan: +7 and ten digits */
		return m->ndig == 11;
	if (m->plus)
		return m->ndig >= 8 && m->ndig <= 15 && e164_country_ok(m->d, m->ndig);
	if (num_is_nanp(m) || num_is_trunk(m))
		return 1;
	return (key & KEY_PHONE) && m->ndig >= 7 && m->ndig <= 15;
}

/* A number token at p[i] (a digit, or '+' / '(' before one); returns where to go on. */
static size_t scan_number(sensitive_scan_t *s, const char *p, size_t n, size_t i)
{
	sensitive_num_t m;

	if (!num_read(&m, p, n, i)) {
		/* Skip the digits at hand; a later group may still start a token. */
		size_t j = i + 1;

		while (j < n && is_digit(p[j]))
			j++;
		return j;
	}
	if (num_is_card(&m, s->key)) {
		sensitive_found(s, SENSITIVE_CARD);
		return m.end;
	}
	if (num_is_ssn(&m, s->key)) {
		sensitive_found(s, SENSITIVE_SSN);
		return m.end;
	}
	if (num_is_phone(&m, s->key)) {
		sensitive_found(s, SENSITIVE_PHONE);
		return m.end;
	}
	return m.first_end > i ? m.first_end : i + 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Key names */

#define KEY_MAX_WORDS 12
#define KEY_MAX_LEN 64

typedef struct key_words {
	char lw[KEY_MAX_LEN]; /* the key in lower case, letters and digits only */
	uint8_t start[KEY_MAX_WORDS + 1]; /* word boundaries in lw; start[nw] = length */
	unsigned nw;
} key_words_t;

/* The len bytes at b spell the NUL-terminated literal s (which is never read past its end). */
static inline int bytes_are(const char *b, size_t len, const char *s)
{
	return b[0] == s[0] && strncmp(b, s, len) == 0 && s[len] == '\0';
}

static int word_is(const key_words_t *w, unsigned k, const char *s)
{
	size_t len = (size_t)(w->start[k + 1] - w->start[k]);

	return bytes_are(w->lw + w->start[k], len, s);
}

/* Word k is one of the NULL-terminated list, also with a plural 's' when plural. */
static int word_in(const key_words_t *w, unsigned k, const char *const *list, int plural)
{
	size_t len = (size_t)(w->start[k + 1] - w->start[k]);
	const char *wp = w->lw + w->start[k];

	for (; *list; list++) {
		if (bytes_are(wp, len, *list) ||
		    (plural && len > 1 && wp[len - 1] == 's' && bytes_are(wp, len - 1, *list)))
			return 1;
	}
	return 0;
}

/* Splits a key into lower-case words at punctuation, case changes (camelCase, SSNNumber) and
 * letter/digit changes. Returns 0 when the key does not fit. */
static int key_split(key_words_t *w, const char *k, size_t n)
{
	size_t i, len = 0;
	int prev = 0; /* 1 lower, 2 upper, 3 digit of the previous byte; 0 after punctuation */

	w->nw = 0;
	for (i = 0; i < n; i++) {
		char c = k[i];
		int t = (unsigned)(c - 'a') < 26 ? 1 : is_upper(c) ? 2 : is_digit(c) ? 3 : 0;
		int brk;

		if (!t) {
			prev = 0;
			continue;
		}
		brk = prev == 0 || (t == 3) != (prev == 3) || (t == 2 && prev == 1) ||
		      (t == 2 && prev == 2 && i + 1 < n && (unsigned)(k[i + 1] - 'a') < 26);
		if (brk) {
			if (w->nw == KEY_MAX_WORDS)
				return 0;
			w->start[w->nw++] = (uint8_t)len;
		}
		if (len == KEY_MAX_LEN)
			return 0;
		w->lw[len++] = to_lower(c);
		prev = t;
	}
	w->start[w->nw] = (uint8_t)len;
	return 1;
}

/* The joined words from word k on equal s. */
static int tail_is(const key_words_t *w, unsigned k, const char *s)
{
	size_t len = (size_t)(w->start[w->nw] - w->start[k]);

	return bytes_are(w->lw + w->start[k], len, s);
}

static const char *const key_number_words[] = {"number", "num", "no", "nr", "e164", NULL};
static const char *const key_phone_words[] = {"phone",	"telephone", "tel", "mobile",
					      "msisdn", "cell",	     "fax", NULL};
static const char *const key_card_words[] = {"card", "cc", "pan", "creditcard", NULL};
static const char *const key_ssn_words[] = {"ssn", NULL};
/* Words that may follow a password word and still name the password itself. */
static const char *const key_password_tail[] = {"confirm", "confirmation", "again", "repeat",
						"hash",	   "digest",	   "plain", NULL};
/* Secret names, matched at the end of the key on a word boundary ("client_secret"). */
static const char *const key_secret_names[] = {
	"password", "passwd", "pwd",	    "passphrase",      "secret",
	"token",    "apikey", "privatekey", "secretaccesskey", NULL,
};
/* Words before "token" that make it a cursor, not a credential ("next_page_token"). */
static const char *const key_token_cursor[] = {"page",	 "next", "continuation", "sync",
					       "cursor", "max",	 "total",	 NULL};

/* Whether the key ends in a secret name (or a password word plus a tail word). */
static int key_secret(const key_words_t *w)
{
	const char *const *name;
	unsigned k;

	if (w->nw == 0)
		return 0;
	for (k = 0; k < w->nw; k++) {
		for (name = key_secret_names; *name; name++) {
			if (!tail_is(w, k, *name))
				continue;
			if (strcmp(*name, "token") == 0 && k > 0 &&
			    word_in(w, k - 1, key_token_cursor, 0))
				return 0;
			return 1;
		}
	}
	k = w->nw - 1;
	if (k > 0 && word_in(w, k, key_password_tail, 0) &&
	    (word_is(w, k - 1, "password") || word_is(w, k - 1, "passwd")))
		return 1;
	return 0;
}

/* KEY_PHONE/CARD/SSN when the key names such a number: the word is last, or followed only by
 * a number word ("phone_number", "cc_num"); the topic bits when the word occurs at all. */
static unsigned key_numeric(const key_words_t *w)
{
	static const struct {
		const char *const *words;
		unsigned bit;
	} kinds[] = {
		{key_phone_words, KEY_PHONE}, {key_card_words, KEY_CARD}, {key_ssn_words, KEY_SSN}};
	unsigned out = 0, t, k, last = w->nw - 1;

	for (t = 0; t < 3; t++) {
		for (k = 0; k < w->nw; k++) {
			if (!word_in(w, k, kinds[t].words, 1))
				continue;
			out |= kinds[t].bit << KEY_TOPIC_SHIFT;
			if (k == last || (k + 1 == last && word_in(w, last, key_number_words, 0)))
				out |= kinds[t].bit;
		}
	}
	if (w->nw >= 2 && tail_is(w, 0, "socialsecuritynumber"))
		out |= KEY_SSN | (KEY_SSN << KEY_TOPIC_SHIFT);
	return out;
}

/* What a key name says about its value. */
static unsigned key_class(const char *k, size_t n)
{
	key_words_t w;
	unsigned out = 0, digits = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t c = (uint8_t)k[i];

		if (c == '@' || c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			return KEY_DATA;
		digits += is_digit((char)c);
	}
	if (digits >= 4 || n > 48 || !key_split(&w, k, n))
		return KEY_DATA;
	if (w.nw == 0)
		return 0;
	if (key_secret(&w))
		out |= KEY_SECRET;
	out |= key_numeric(&w);
	if (w.nw == 1 && word_in(&w, 0, key_number_words, 0))
		out |= KEY_NUMBER;
	if (tail_is(&w, 0, "privatekeyid"))
		out |= KEY_GCP_KEY_ID;
	return out;
}

/* key_class() through the scan's cache. */
static unsigned key_class_cached(sensitive_scan_t *s, const char *k, size_t n)
{
	key_cache_slot_t *set, *slot;
	uint32_t h = 2166136261u;
	size_t i;

	if (n == 0 || n > KEY_CACHE_LEN)
		return key_class(k, n);
	if (!s->cache_ready) {
		/* Cleared on first use: most header and query scans never need it. */
		for (i = 0; i < KEY_CACHE_SLOTS; i++) {
			s->key_cache[i].len = 0xff;
			s->key_cache[i].pad = 0;
		}
		s->cache_ready = 1;
	}
	for (i = 0; i < n; i++)
		h = (h ^ (uint8_t)k[i]) * 16777619u;
	set = &s->key_cache[((h ^ (h >> 15)) % KEY_CACHE_SETS) * KEY_CACHE_WAYS];
	for (i = 0; i < KEY_CACHE_WAYS; i++)
		if (set[i].len == n && memcmp(set[i].name, k, n) == 0)
			return set[i].key;
	/* pad holds the way to replace next. */
	slot = &set[set[0].pad];
	set[0].pad ^= 1;
	slot->key = (uint16_t)key_class(k, n);
	slot->len = (uint8_t)n;
	memcpy(slot->name, k, n);
	return slot->key;
}

/* The context of a value under key class k inside a container whose key class is parent. */
static unsigned key_context(unsigned k, unsigned parent)
{
	if (k & KEY_NUMBER)
		k |= (parent & KEY_TOPICS) >> KEY_TOPIC_SHIFT;
	return k;
}

/* A secret value is present: not empty, not a mask ("****"), not a JSON-ish nothing. */
static int secret_value_present(const char *v, size_t n)
{
	size_t i;

	if (n == 0 || (n == 4 && memcmp(v, "null", 4) == 0))
		return 0;
	for (i = 0; i < n && (v[i] == '*' || v[i] == ' '); i++)
		;
	return i < n;
}

/* ------------------------------------------------------------------------------------------ */
/* Plain text */

/* Restores the path and context of the whole text (end of a "name: value" scope). */
static void text_scope_end(sensitive_scan_t *s)
{
	s->path_len = s->base_len;
	s->cut = s->base_cut;
	s->key = s->base_key;
}

/* Plain text: a key name at p[i..e) followed by ':' or '=' (or "<name>" in XML) starts a
 * scope whose value gets the key's context; "://" and "::" are URLs and code, not keys.
 * Returns 1 when it did. */
static int text_key(sensitive_scan_t *s, const char *p, size_t n, size_t i, size_t e)
{
	size_t j = e, v;
	unsigned k;

	if (j < n && (p[j] == '"' || p[j] == '\''))
		j++;
	while (j < n && j - e < 4 && p[j] == ' ')
		j++;
	if (j >= n)
		return 0;
	if (p[j] == '>' && i > 0 && p[i - 1] == '<')
		v = j + 1;
	else if ((p[j] == ':' && !(j + 1 < n && (p[j + 1] == '/' || p[j + 1] == ':'))) ||
		 p[j] == '=')
		v = j + 1;
	else
		return 0;
	k = key_class_cached(s, p + i, e - i);
	text_scope_end(s);
	path_append_key(s, p + i, e - i, k, 0);
	s->key = (uint16_t)key_context(k, s->base_key);
	if (k & KEY_SECRET) {
		size_t a, b;

		while (v < n && p[v] == ' ')
			v++;
		if (v < n && (p[v] == '"' || p[v] == '\''))
			v++;
		for (a = v, b = v; b < n && p[b] != '"' && p[b] != '\'' && p[b] != '<' &&
				   !(cls_of(p[b]) & CLS_TERM) && p[b] != '}';
		     b++)
			;
		if (secret_value_present(p + a, b - a) &&
		    !(b - a == 4 && memcmp(p + a, "true", 4) == 0) &&
		    !(b - a == 5 && memcmp(p + a, "false", 5) == 0))
			sensitive_found(s, SENSITIVE_SECRET);
	}
	return 1;
}

/* A JWT at p[i], the start of a base64url run: three parts, the last possibly empty (alg
 * none), and no fourth (a JWE has five); the header must be JSON with "alg". Each part is read
 * once per run start, so long dotted runs cost linear time. Returns its end, or 0. */
static size_t check_jwt(const char *p, size_t n, size_t i)
{
	aw_slice_t part[3];
	size_t e = i + run_len(p, n, i, CLS_B64URL);
	int k;

	if (e - i < 16)
		return 0;
	for (k = 0; k < 2; k++) {
		if (e >= n || p[e] != '.')
			return 0;
		e++;
		e += run_len(p, n, e, CLS_B64URL);
	}
	if (e + 1 < n && p[e] == '.' && (cls_of(p[e + 1]) & CLS_B64URL))
		return 0;
	if (!sensitive__jwt_split(p + i, e - i, part) ||
	    sensitive__jwt_header(part[0].ptr, part[0].len, NULL, 0) != 1)
		return 0;
	return e;
}

/* A token starting with a letter at p[i]; returns where to go on. */
static size_t scan_word(sensitive_scan_t *s, const char *p, size_t n, size_t i)
{
	size_t w = run_len(p, n, i, CLS_WORD), e, r;
	char c = p[i];

	/* Prefixed keys may carry '-' (Slack, Google): count a little past one. */
	if (prefix_first(c) && (w >= 5 || run_max(p, n, i, CLS_B64URL, 5) == 5) &&
	    (r = check_prefixes(s, p, n, i)) != 0)
		return r;
	if ((s->cfg.types & (1u << SENSITIVE_JWT)) && token_start(p, i, CLS_B64URL) &&
	    (r = check_jwt(p, n, i)) != 0) {
		sensitive_found(s, SENSITIVE_JWT);
		return r;
	}
	if ((w == 4 || (w >= 15 && w <= 34)) && is_upper(c) && is_upper(p[i + 1]) &&
	    is_digit(p[i + 2]) && is_digit(p[i + 3]) && (r = check_iban(p, n, i)) != 0) {
		sensitive_found(s, SENSITIVE_IBAN);
		return r;
	}
	if (w == 17 && vin_ok(p + i)) {
		sensitive_found(s, SENSITIVE_VIN);
		return i + w;
	}
	if (s->text_keys) {
		/* Keys may be dotted or dashed ("x-api-key"); longer ones are not keys. */
		e = i + w;
		while (e < n && e - i <= KEY_MAX_LEN &&
		       (is_alnum(p[e]) || p[e] == '_' || p[e] == '-' || p[e] == '.'))
			e++;
		if (e - i <= KEY_MAX_LEN && text_key(s, p, n, i, e))
			return e;
	}
	return i + w;
}

/* A token starting with a digit at p[i]: a VIN, else a number. */
static size_t scan_digits(sensitive_scan_t *s, const char *p, size_t n, size_t i)
{
	size_t w = run_len(p, n, i, CLS_WORD), d = run_len(p, n, i, CLS_DIGIT);

	if (d < w) {
		/* Letters in the word: "2fa", a hex id, or a VIN of a North American make. */
		if (w == 17 && vin_ok(p + i))
			sensitive_found(s, SENSITIVE_VIN);
		return i + w;
	}
	return scan_number(s, p, n, i);
}

/* The word scanner over a value or a whole text; findings go to the current path. */
static void scan_text(sensitive_scan_t *s, const char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned k;
		char c;

		while (i < n && !(cls_of(p[i]) & (CLS_WORD | CLS_TRIGGER | CLS_TERM)))
			i++;
		if (i >= n)
			break;
		c = p[i];
		k = cls_of(c);
		if (k & CLS_DIGIT) {
			i = scan_digits(s, p, n, i);
		} else if (k & CLS_WORD) {
			i = scan_word(s, p, n, i);
		} else if (c == '@') {
			size_t e = check_email(p, n, i);

			if (e)
				sensitive_found(s, SENSITIVE_EMAIL);
			i = e ? e : i + 1;
		} else if ((c == '+' || c == '(') && i + 1 < n &&
			   (is_digit(p[i + 1]) || (c == '+' && p[i + 1] == '(')) &&
			   token_start(p, i, CLS_WORD)) {
			i = scan_number(s, p, n, i);
		} else if (c == '-') {
			size_t e = check_private_key(p, n, i);

			if (e)
				sensitive_found(s, SENSITIVE_PRIVATE_KEY);
			i = e ? e : i + 1;
		} else if (c == '\\') {
			/* JSON strings are scanned as sent: an escape separates tokens. */
			i += i + 5 < n && p[i + 1] == 'u' && is_hex(p[i + 2]) && is_hex(p[i + 3]) &&
					     is_hex(p[i + 4]) && is_hex(p[i + 5])
				     ? 6
				     : 2;
		} else {
			if ((k & CLS_TERM) && s->text_keys)
				text_scope_end(s);
			i++;
		}
	}
}

/* ------------------------------------------------------------------------------------------ */
/* JSON */

enum json_state {
	J_VALUE, /* a value is expected */
	J_ARRAY_FIRST, /* after '[': a value or ']' */
	J_KEY_FIRST, /* after '{': a key or '}' */
	J_KEY, /* after ',' in an object */
	J_COLON,
	J_AFTER /* after a value: ',' or a closing bracket */
};

/* A string value [a, b) under the current key. */
static void json_string_value(sensitive_scan_t *s, const char *p, size_t a, size_t b)
{
	size_t i;

	if ((s->key & KEY_SECRET) && secret_value_present(p + a, b - a))
		sensitive_found(s, SENSITIVE_SECRET);
	if ((s->key & KEY_GCP_KEY_ID) && b - a == 40) {
		for (i = a; i < b && is_hex(p[i]); i++)
			;
		if (i == b)
			sensitive_found(s, SENSITIVE_GCP_SERVICE_ACCOUNT);
	}
	scan_text(s, p + a, b - a);
}

/* A key [a, b) of the object on top: sets the path and context of its value. */
static void json_key(sensitive_scan_t *s, const char *p, size_t a, size_t b)
{
	const sensitive_frame_t *f = &s->frame[s->depth - 1];
	unsigned k = key_class_cached(s, p + a, b - a);

	s->path_len = f->path_len;
	s->cut = f->cut;
	if (k & KEY_DATA) {
		/* Data used as a key ({"ann@example.com": {...}}): found at the object. */
		s->key = 0;
		scan_text(s, p + a, b - a);
	}
	path_append_key(s, p + a, b - a, k, 0);
	s->key = (uint16_t)key_context(k, f->key);
}

/* Enters an object or array; 0 when past the depth cap. */
static int json_push(sensitive_scan_t *s, int is_array)
{
	sensitive_frame_t *f;

	if (s->depth >= s->cfg.max_depth) {
		s->rep->flags |= SENSITIVE_F_DEPTH;
		return 0;
	}
	/* A password key names its string, not the elements of a list under it. */
	if (is_array)
		s->key &= (uint16_t) ~(KEY_SECRET | KEY_GCP_KEY_ID);
	f = &s->frame[s->depth++];
	f->path_len = s->path_len;
	f->cut = s->cut;
	f->key = s->key;
	f->is_array = (uint8_t)is_array;
	if (is_array)
		path_append(s, "[]", 2, 0);
	return 1;
}

/* Leaves a container: the path and context are those of its elements' parent again. */
static void json_pop(sensitive_scan_t *s)
{
	const sensitive_frame_t *f = &s->frame[--s->depth];

	s->path_len = f->path_len;
	s->cut = f->cut;
	if (s->depth > 0 && s->frame[s->depth - 1].is_array)
		s->key = s->frame[s->depth - 1].key;
}

/* A scalar or an opening bracket at p[i] in state J_VALUE / J_ARRAY_FIRST; returns the offset
 * after it, or 0 on a grammar error, n when the body ends inside it. */
static size_t json_value(sensitive_scan_t *s, const char *p, size_t n, size_t i,
			 enum json_state *st)
{
	char c = p[i];
	size_t e;

	if (c == '{' || c == '[') {
		if (!json_push(s, c == '['))
			return 0;
		*st = c == '[' ? J_ARRAY_FIRST : J_KEY_FIRST;
		return i + 1;
	}
	*st = J_AFTER;
	if (c == '"') {
		e = json_string_end(p, n, i + 1);
		json_string_value(s, p, i + 1, e);
		if (e >= n)
			s->rep->flags |= SENSITIVE_F_JSON_TRUNCATED;
		return e < n ? e + 1 : n;
	}
	e = i;
	while (e < n && (is_alnum(p[e]) || p[e] == '-' || p[e] == '+' || p[e] == '.'))
		e++;
	if (e == i)
		return 0;
	if (is_digit(c) || c == '-') {
		if (s->key & KEY_NUMERIC)
			scan_text(s, p + i, e - i);
		return e;
	}
	if ((e - i == 4 && (memcmp(p + i, "true", 4) == 0 || memcmp(p + i, "null", 4) == 0)) ||
	    (e - i == 5 && memcmp(p + i, "false", 5) == 0))
		return e;
	/* A literal cut by the end of the body. */
	if (e == n && e - i < 5 &&
	    (memcmp(p + i, "true", e - i) == 0 || memcmp(p + i, "null", e - i) == 0 ||
	     memcmp(p + i, "false", e - i) == 0))
		return n;
	return 0;
}

/* One structural step at p[i] (not whitespace); returns the offset after it, 0 on an error. */
static size_t json_step(sensitive_scan_t *s, const char *p, size_t n, size_t i, enum json_state *st)
{
	char c = p[i];
	size_t e;

	switch (*st) {
	case J_ARRAY_FIRST:
		if (c == ']') {
			json_pop(s);
			*st = J_AFTER;
			return i + 1;
		}
		/* fall through */
	case J_VALUE:
		return json_value(s, p, n, i, st);
	case J_KEY_FIRST:
		if (c == '}') {
			json_pop(s);
			*st = J_AFTER;
			return i + 1;
		}
		/* fall through */
	case J_KEY:
		if (c != '"')
			return 0;
		e = json_string_end(p, n, i + 1);
		json_key(s, p, i + 1, e);
		*st = J_COLON;
		return e < n ? e + 1 : n;
	case J_COLON:
		*st = J_VALUE;
		return c == ':' ? i + 1 : 0;
	case J_AFTER:
		if (s->depth == 0) {
			/* Another top-level value: JSON lines, or concatenated documents. */
			*st = J_VALUE;
			return json_value(s, p, n, i, st);
		}
		if (c == ',') {
			*st = s->frame[s->depth - 1].is_array ? J_VALUE : J_KEY;
			return i + 1;
		}
		if (c == (s->frame[s->depth - 1].is_array ? ']' : '}')) {
			json_pop(s);
			return i + 1;
		}
		return 0;
	}
	return 0;
}

static void scan_json(sensitive_scan_t *s, const char *p, size_t n)
{
	enum json_state st = J_VALUE;
	size_t i = 0, e;

	for (;;) {
		while (i < n && (cls_of(p[i]) & CLS_SPACE))
			i++;
		if (i >= n)
			break;
		e = json_step(s, p, n, i, &st);
		if (e == 0) {
			/* Not JSON (any more): what is left is text, outside any key. */
			if (!(s->rep->flags & SENSITIVE_F_DEPTH))
				s->rep->flags |= SENSITIVE_F_JSON_INVALID;
			s->path_len = s->base_len = 0;
			s->cut = s->base_cut = 0;
			s->key = s->base_key = 0;
			s->text_keys = 1;
			scan_text(s, p + i, n - i);
			return;
		}
		i = e;
	}
	if (s->depth > 0)
		s->rep->flags |= SENSITIVE_F_JSON_TRUNCATED;
}

/* ------------------------------------------------------------------------------------------ */
/* Query strings and form bodies */

static int hex_val(char c)
{
	if (is_digit(c))
		return c - '0';
	c = to_lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent- and '+'-decodes in[0..n) into out (cap bytes); returns the length, or n + 1 when it
 * does not fit. */
static size_t query_decode(char *out, size_t cap, const char *in, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		char c = in[i];

		if (o == cap)
			return n + 1;
		if (c == '+') {
			c = ' ';
		} else if (c == '%' && i + 2 < n && hex_val(in[i + 1]) >= 0 &&
			   hex_val(in[i + 2]) >= 0) {
			c = (char)(hex_val(in[i + 1]) * 16 + hex_val(in[i + 2]));
			i += 2;
		}
		out[o++] = c;
	}
	return o;
}

static void scan_query(sensitive_scan_t *s, const char *p, size_t n)
{
	char name[KEY_MAX_LEN], value[2048];
	size_t i = 0;

	while (i < n) {
		const char *amp = memchr(p + i, '&', n - i);
		size_t e = amp ? (size_t)(amp - p) : n, eq, nl, vl;
		const char *v;
		unsigned k;

		for (eq = i; eq < e && p[eq] != '='; eq++)
			;
		nl = query_decode(name, sizeof(name), p + i, eq - i);
		s->path_len = 0;
		s->cut = 0;
		s->key = 0;
		if (nl > sizeof(name)) {
			k = KEY_DATA;
			scan_text(s, p + i, eq - i);
		} else {
			k = key_class(name, nl);
			if (k & KEY_DATA)
				scan_text(s, name, nl);
		}
		path_append_key(s, name, nl, k, 0);
		s->key = (uint16_t)key_context(k, 0);
		if (eq < e) {
			vl = query_decode(value, sizeof(value), p + eq + 1, e - eq - 1);
			v = value;
			if (vl > sizeof(value)) {
				/* Too long to decode here: scanned as sent. */
				v = p + eq + 1;
				vl = e - eq - 1;
			}
			if ((k & KEY_SECRET) && secret_value_present(v, vl))
				sensitive_found(s, SENSITIVE_SECRET);
			scan_text(s, v, vl);
		}
		i = e + 1;
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Entry points */

static const char *const sensitive_names[SENSITIVE__COUNT] = {
	[SENSITIVE_EMAIL] = "email",
	[SENSITIVE_PHONE] = "phone",
	[SENSITIVE_CARD] = "card",
	[SENSITIVE_SSN] = "ssn",
	[SENSITIVE_IBAN] = "iban",
	[SENSITIVE_VIN] = "vin",
	[SENSITIVE_JWT] = "jwt",
	[SENSITIVE_PRIVATE_KEY] = "private_key",
	[SENSITIVE_AWS_KEY] = "aws_access_key",
	[SENSITIVE_GITHUB_TOKEN] = "github_token",
	[SENSITIVE_SLACK_TOKEN] = "slack_token",
	[SENSITIVE_STRIPE_KEY] = "stripe_key",
	[SENSITIVE_GOOGLE_API_KEY] = "google_api_key",
	[SENSITIVE_GCP_SERVICE_ACCOUNT] = "gcp_service_account",
	[SENSITIVE_SECRET] = "secret",
};

const char *sensitive_type_name(unsigned type)
{
	return type < SENSITIVE__COUNT ? sensitive_names[type] : "unknown";
}

void sensitive_config_default(sensitive_config_t *cfg)
{
	cfg->types = SENSITIVE_ALL;
	cfg->max_findings = SENSITIVE_MAX_FINDINGS;
	cfg->max_path = SENSITIVE_MAX_PATH;
	cfg->max_depth = SENSITIVE_MAX_DEPTH;
	cfg->max_scan = 1u << 20;
}

void sensitive_report_reset(sensitive_report_t *rep)
{
	rep->types = 0;
	rep->flags = 0;
	memset(rep->counts, 0, sizeof(rep->counts));
	rep->nfindings = 0;
	rep->findings_dropped = 0;
	rep->paths_cut = 0;
}

/* Sets up a scan with the caps clamped to the report's fixed sizes; returns the bytes to
 * scan. */
static size_t scan_init(sensitive_scan_t *s, const sensitive_config_t *cfg, sensitive_report_t *rep,
			enum sensitive_source src, size_t len)
{
	if (cfg)
		s->cfg = *cfg;
	else
		sensitive_config_default(&s->cfg);
	if (s->cfg.max_findings > SENSITIVE_MAX_FINDINGS)
		s->cfg.max_findings = SENSITIVE_MAX_FINDINGS;
	if (s->cfg.max_path > SENSITIVE_MAX_PATH)
		s->cfg.max_path = SENSITIVE_MAX_PATH;
	if (s->cfg.max_depth > SENSITIVE_MAX_DEPTH)
		s->cfg.max_depth = SENSITIVE_MAX_DEPTH;
	s->rep = rep;
	s->src = (uint8_t)src;
	s->text_keys = src == SENSITIVE_SRC_TEXT || src == SENSITIVE_SRC_HEADER;
	s->cut = s->base_cut = 0;
	s->key = s->base_key = 0;
	s->path_len = s->base_len = 0;
	s->depth = 0;
	s->cache_ready = 0;
	if (s->cfg.max_scan && len > s->cfg.max_scan) {
		rep->flags |= SENSITIVE_F_SCAN_CUT;
		return s->cfg.max_scan;
	}
	return len;
}

void sensitive_scan(const sensitive_config_t *cfg, sensitive_report_t *rep,
		    enum sensitive_source src, const char *data, size_t len)
{
	sensitive_scan_t s;

	if (!rep || !data || (unsigned)src >= SENSITIVE_SRC__COUNT)
		return;
	len = scan_init(&s, cfg, rep, src, len);
	if (src == SENSITIVE_SRC_JSON)
		scan_json(&s, data, len);
	else if (src == SENSITIVE_SRC_QUERY)
		scan_query(&s, data, len);
	else
		scan_text(&s, data, len);
}

void sensitive_scan_header(const sensitive_config_t *cfg, sensitive_report_t *rep, const char *name,
			   size_t name_len, const char *value, size_t value_len)
{
	sensitive_scan_t s;
	unsigned k;

	if (!rep || !value || (!name && name_len))
		return;
	value_len = scan_init(&s, cfg, rep, SENSITIVE_SRC_HEADER, value_len);
	k = name_len ? key_class(name, name_len) : 0;
	if (name_len)
		path_append_key(&s, name, name_len, k, 1);
	s.base_len = s.path_len;
	s.base_cut = s.cut;
	s.key = s.base_key = (uint16_t)key_context(k, 0);
	if ((k & KEY_SECRET) && secret_value_present(value, value_len))
		sensitive_found(&s, SENSITIVE_SECRET);
	scan_text(&s, value, value_len);
}

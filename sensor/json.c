/*
 * json.c - the EVE line writer (see json.h).
 *
 * Room is only ever asked for in lower bounds of what the line will still take (a string's
 * unescaped length, exact sizes otherwise, one byte for a separator that may not be written),
 * so that a line overflows exactly when its text would pass max, however its members are cut.
 */
#include "json.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "error.h"

#define JSON_BUF_MIN 4096u

/* Two decimal digits per entry: numbers are written two digits per division. */
static const char json_dd[201] = "00010203040506070809"
				 "10111213141516171819"
				 "20212223242526272829"
				 "30313233343536373839"
				 "40414243444546474849"
				 "50515253545556575859"
				 "60616263646566676869"
				 "70717273747576777879"
				 "80818283848586878889"
				 "90919293949596979899";

void json_buf_init(json_buf_t *jb, mem_account_t *acct, size_t max)
{
	memset(jb, 0, sizeof(*jb));
	jb->acct = acct;
	jb->max = max;
}

void json_buf_lend(json_buf_t *jb, json_grow_fn grow, void *ud)
{
	jb->grow = grow;
	jb->grow_ud = ud;
}

void json_buf_free(json_buf_t *jb)
{
	if (jb->buf && !jb->grow)
		mem_free(jb->acct, jb->buf, jb->size);
	jb->buf = NULL;
	jb->size = jb->len = jb->line = jb->lim = 0;
}

void json_buf_clear(json_buf_t *jb)
{
	jb->len = jb->line = jb->lim = 0;
}

void json_buf_exchange(json_buf_t *jb, char **buf, size_t *len, size_t *size, char *nbuf,
		       size_t nsize)
{
	*buf = jb->buf;
	*len = jb->len;
	*size = jb->size;
	jb->buf = nbuf;
	jb->size = nbuf ? nsize : 0;
	jb->len = jb->line = jb->lim = 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Room */

/* Where the current line may go on up to which offset: its cap or the end of the buffer. */
static size_t json_line_lim(const json_buf_t *jb)
{
	size_t cap = jb->line + jb->max;

	return cap < jb->size ? cap : jb->size;
}

/* Slow path of json_room: grows the buffer, or marks the line overflowed (NULL) when it would
 * pass max or memory is refused. */
static char *json_grow(json_buf_t *jb, size_t n)
{
	size_t want = jb->len + n, nsize;
	char *nb;

	if (jb->overflow)
		return NULL;
	if (n > jb->max || want - jb->line > jb->max)
		goto overflow;
	if (want > jb->size && jb->grow) {
		if (jb->grow(jb->grow_ud, jb, want) < 0)
			goto overflow;
	} else if (want > jb->size) {
		nsize = jb->size ? jb->size : JSON_BUF_MIN;
		while (nsize < want)
			nsize *= 2;
		nb = mem_realloc(jb->acct, jb->buf, jb->size, nsize);
		if (!nb)
			goto overflow;
		jb->buf = nb;
		jb->size = nsize;
	}
	jb->lim = json_line_lim(jb);
	return jb->buf + jb->len;
overflow:
	jb->overflow = 1;
	jb->lim = jb->len; /* every later write takes the slow path, and fails */
	return NULL;
}

/* Where n more bytes of the current line go; NULL once the line overflowed. */
static inline char *json_room(json_buf_t *jb, size_t n)
{
	if (n <= jb->lim - jb->len)
		return jb->buf + jb->len;
	return json_grow(jb, n);
}

/* Writes the separator and the key at w; returns the end. */
static char *json_put_key(json_buf_t *jb, char *w, const char *key, size_t klen)
{
	if (jb->depth > 0) {
		if (!jb->empty)
			*w++ = ',';
		jb->empty = 0;
	}
	if (key) {
		/* Keys are the program's own literals: nothing to escape. */
		*w++ = '"';
		memcpy(w, key, klen);
		w += klen;
		*w++ = '"';
		*w++ = ':';
	}
	return w;
}

/* json__key when the buffer must grow (or the line overflowed): exact room. */
void json__key_slow(json_buf_t *jb, const char *key, size_t klen)
{
	size_t n = key ? klen + 3 : 0;
	char *w;

	if (jb->depth > 0 && !jb->empty)
		n++;
	w = json_room(jb, n);
	if (w)
		jb->len = (size_t)(json_put_key(jb, w, key, klen) - jb->buf);
}

void json__raw(json_buf_t *jb, const char *s, size_t n)
{
	char *w = json_room(jb, n);

	if (!w)
		return;
	memcpy(w, s, n);
	jb->len += n;
}

/* ------------------------------------------------------------------------------------------ */
/* Structure */

void json_key_escaped(json_buf_t *jb, const char *key, size_t n)
{
	json__key(jb, NULL, 0);
	json__strn(jb, key, n);
	json__raw(jb, ":", 1);
}

void json__push(json_buf_t *jb, char bracket)
{
	char *w;

	if (jb->depth >= JSON_MAX_DEPTH) {
		jb->overflow = 1;
		jb->lim = jb->len;
		return;
	}
	w = json_room(jb, 1);
	if (w) {
		*w = bracket;
		jb->len++;
	}
	if (jb->depth > 0)
		jb->outer_empty[jb->depth - 1] = jb->empty;
	jb->empty = 1;
	jb->depth++;
}

void json__pop(json_buf_t *jb, char bracket)
{
	char *w = json_room(jb, 1);

	if (w) {
		*w = bracket;
		jb->len++;
	}
	if (jb->depth > 0)
		jb->depth--;
	if (jb->depth > 0)
		jb->empty = jb->outer_empty[jb->depth - 1];
}

void json_begin(json_buf_t *jb)
{
	jb->line = jb->len;
	jb->depth = 0;
	jb->overflow = 0;
	jb->lim = json_line_lim(jb);
	json__push(jb, '{');
}

int json_end(json_buf_t *jb)
{
	char *w;

	while (jb->depth > 1)
		json__pop(jb, '}');
	jb->depth = 0;
	w = json_room(jb, 2);
	if (w) {
		w[0] = '}';
		w[1] = '\n';
		jb->len += 2;
	}
	if (jb->overflow)
		jb->len = jb->line; /* the line is dropped whole */
	jb->lim = jb->len; /* until the next json_begin, members take the slow path */
	return jb->overflow ? AW_ELIMIT : 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Strings */

/* Length of the valid UTF-8 sequence at s (n bytes available), 0 if invalid. */
static size_t json_utf8_len(const unsigned char *s, size_t n)
{
	size_t need, i;
	uint32_t cp;

	if (s[0] < 0xC2 || s[0] > 0xF4)
		return 0;
	need = s[0] < 0xE0 ? 2 : s[0] < 0xF0 ? 3 : 4;
	if (n < need)
		return 0;
	cp = s[0] & (0x7F >> need);
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3F);
	}
	if ((need == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
	    (need == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return need;
}

/* A byte JSON takes as it is: printable ASCII but the quote and the backslash. */
static inline int json_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7F && c != '"' && c != '\\';
}

#if defined(__SSE2__)
/* Bit i set when byte i of x is not plain. */
static inline unsigned json_block_special(__m128i x)
{
	/* One signed compare of c + 1 (wrapping) against 0x21: controls become 0x01..0x20,
	 * DEL and the bytes from 0x80 up become 0x80..0xFF or 0x00, all below it. */
	__m128i bad = _mm_cmplt_epi8(_mm_add_epi8(x, _mm_set1_epi8(1)), _mm_set1_epi8(0x21));

	bad = _mm_or_si128(bad, _mm_cmpeq_epi8(x, _mm_set1_epi8('"')));
	bad = _mm_or_si128(bad, _mm_cmpeq_epi8(x, _mm_set1_epi8('\\')));
	return (unsigned)_mm_movemask_epi8(bad);
}
#endif

/*
 * Copies the run of plain bytes at the start of s (n bytes) to w and returns its length. w has
 * room for n bytes, and bytes after the run may be written there too (the caller writes over
 * them). Most strings are one short run: they are scanned and copied 16 bytes at a time, and
 * strings of 4 to 15 bytes as two overlapping halves, with no call and no loop.
 */
static inline size_t json_copy_plain(char *w, const unsigned char *s, size_t n)
{
	size_t i = 0;

#if defined(__SSE2__)
	__m128i x, y;
	unsigned m;

	if (n >= 16) {
		for (; i + 16 <= n; i += 16) {
			x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
			_mm_storeu_si128((__m128i *)(void *)(w + i), x);
			m = json_block_special(x);
			if (m)
				return i + (size_t)__builtin_ctz(m);
		}
		if (i == n)
			return n;
		/* The last block overlaps the one before; only its new bytes count. */
		x = _mm_loadu_si128((const __m128i *)(const void *)(s + n - 16));
		_mm_storeu_si128((__m128i *)(void *)(w + n - 16), x);
		m = json_block_special(x) >> (16 - (n - i));
		return m ? i + (size_t)__builtin_ctz(m) : n;
	}
	if (n >= 8) {
		/* Bytes 0..7 in the low half, bytes n-8..n-1 in the high half. */
		x = _mm_loadl_epi64((const __m128i *)(const void *)s);
		y = _mm_loadl_epi64((const __m128i *)(const void *)(s + n - 8));
		_mm_storel_epi64((__m128i *)(void *)w, x);
		_mm_storel_epi64((__m128i *)(void *)(w + n - 8), y);
		m = json_block_special(_mm_unpacklo_epi64(x, y));
		if (m & 0xff)
			return (size_t)__builtin_ctz(m);
		m >>= 8;
		return m ? n - 8 + (size_t)__builtin_ctz(m) : n;
	}
	if (n >= 4) {
		uint32_t a, b;

		memcpy(&a, s, 4);
		memcpy(&b, s + n - 4, 4);
		memcpy(w, &a, 4);
		memcpy(w + n - 4, &b, 4);
		m = json_block_special(
			_mm_unpacklo_epi32(_mm_cvtsi32_si128((int)a), _mm_cvtsi32_si128((int)b)));
		if (m & 0xf)
			return (size_t)__builtin_ctz(m);
		m = (m >> 4) & 0xf;
		return m ? n - 4 + (size_t)__builtin_ctz(m) : n;
	}
#endif
	while (i < n && json_plain(s[i])) {
		w[i] = (char)s[i];
		i++;
	}
	return i;
}

/* What the byte (or UTF-8 sequence) at s that is not plain becomes: *in bytes of input give the
 * returned number of bytes in out (at most 6). Valid UTF-8 is kept; other bytes are escaped. */
static size_t json_escape_one(const unsigned char *s, size_t n, size_t *in, char out[6])
{
	static const char hex[] = "0123456789abcdef";
	size_t u = s[0] >= 0x80 ? json_utf8_len(s, n) : 0;

	if (u) {
		memcpy(out, s, u);
		*in = u;
		return u;
	}
	*in = 1;
	out[0] = '\\';
	switch (s[0]) {
	case '"':
	case '\\':
		out[1] = (char)s[0];
		return 2;
	case '\n':
		out[1] = 'n';
		return 2;
	case '\r':
		out[1] = 'r';
		return 2;
	case '\t':
		out[1] = 't';
		return 2;
	default:
		memcpy(out + 1, "u00", 3);
		out[4] = hex[s[0] >> 4];
		out[5] = hex[s[0] & 15];
		return 6;
	}
}

/*
 * The rest of a string from its first byte that is not plain (s, n bytes), written at w: runs
 * and escapes in turn, then the closing quote. Out of line, so that the usual string, one plain
 * run, costs json__strn no more than a copy.
 */
static __attribute__((noinline)) void json_strn_escape(json_buf_t *jb, char *w,
						       const unsigned char *s, size_t n)
{
	size_t i = 0, run, in, out;
	char esc[6];

	while (i < n) {
		out = json_escape_one(s + i, n - i, &in, esc);
		/* The escape may take more than the bytes it replaces: room for it and the rest. */
		jb->len = (size_t)(w - jb->buf);
		w = json_room(jb, out + (n - i - in) + 1);
		if (!w)
			return;
		memcpy(w, esc, out);
		w += out;
		i += in;
		run = json_copy_plain(w, s + i, n - i);
		w += run;
		i += run;
	}
	*w++ = '"';
	jb->len = (size_t)(w - jb->buf);
}

void json__strn(json_buf_t *jb, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	/* The unescaped length: a lower bound, exact for the usual string. */
	char *w = json_room(jb, n + 2);
	size_t run;

	if (!w)
		return;
	*w++ = '"';
	run = json_copy_plain(w, s, n);
	if (run < n) {
		json_strn_escape(jb, w + run, s + run, n - run);
		return;
	}
	w[n] = '"';
	jb->len = (size_t)(w + n + 1 - jb->buf);
}

/* ------------------------------------------------------------------------------------------ */
/* Numbers, booleans, times */

size_t json_format_u64(char *end, uint64_t v)
{
	char *p = end;
	uint32_t u;

	/* Two digits per division, in 64 bits only while the value needs them. */
	while (v > UINT32_MAX) {
		unsigned d = (unsigned)(v % 100);

		v /= 100;
		p -= 2;
		memcpy(p, json_dd + 2 * d, 2);
	}
	u = (uint32_t)v;
	while (u >= 100) {
		unsigned d = u % 100;

		u /= 100;
		p -= 2;
		memcpy(p, json_dd + 2 * d, 2);
	}
	if (u >= 10) {
		p -= 2;
		memcpy(p, json_dd + 2 * u, 2);
	} else {
		*--p = (char)('0' + u);
	}
	return (size_t)(end - p);
}

/* Number of decimal digits of v: log2 gives log10 within one, a table settles it. */
static size_t json_ndigits(uint64_t v)
{
	static const uint64_t pow10[20] = {1ull,
					   10ull,
					   100ull,
					   1000ull,
					   10000ull,
					   100000ull,
					   1000000ull,
					   10000000ull,
					   100000000ull,
					   1000000000ull,
					   10000000000ull,
					   100000000000ull,
					   1000000000000ull,
					   10000000000000ull,
					   100000000000000ull,
					   1000000000000000ull,
					   10000000000000000ull,
					   100000000000000000ull,
					   1000000000000000000ull,
					   10000000000000000000ull};
	uint64_t odd = v | 1; /* one digit for 0 too; no power of ten but 1 is odd */
	size_t t = (size_t)(64 - __builtin_clzll(odd)) * 1233 >> 12;

	return t + 1 - (odd < pow10[t]);
}

/* Writes the digits of v at w, which has room for them (json_ndigits); returns the end. Numbers
 * below 10000 (ports, statuses, most sizes and counts) take no loop. */
static inline char *json_put_u64(char *w, uint64_t v)
{
	char *end;

	if (v < 100) {
		if (v < 10) {
			*w = (char)('0' + v);
			return w + 1;
		}
		memcpy(w, json_dd + 2 * v, 2);
		return w + 2;
	}
	if (v < 10000) {
		unsigned hi = (unsigned)v / 100, lo = (unsigned)v % 100;

		if (hi < 10) {
			*w++ = (char)('0' + hi);
		} else {
			memcpy(w, json_dd + 2 * hi, 2);
			w += 2;
		}
		memcpy(w, json_dd + 2 * lo, 2);
		return w + 2;
	}
	end = w + json_ndigits(v);
	json_format_u64(end, v);
	return end;
}

#define JSON_U64_MAX_DIGITS 20

void json__u64(json_buf_t *jb, uint64_t v)
{
	char *w;

	/* With room for any number, the digits need not be counted first. */
	if (JSON_U64_MAX_DIGITS <= jb->lim - jb->len)
		w = jb->buf + jb->len;
	else if (!(w = json_room(jb, json_ndigits(v))))
		return;
	jb->len = (size_t)(json_put_u64(w, v) - jb->buf);
}

void json__i64(json_buf_t *jb, int64_t v)
{
	uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	char *w = json_room(jb, json_ndigits(mag) + (v < 0));

	if (!w)
		return;
	if (v < 0)
		*w++ = '-';
	jb->len = (size_t)(json_put_u64(w, mag) - jb->buf);
}

void json__double(json_buf_t *jb, double v)
{
	char tmp[40];
	int n;

	if (v != v || v > 1e300 || v < -1e300) {
		json__raw(jb, "0", 1);
		return;
	}
	n = snprintf(tmp, sizeof(tmp), "%.3f", v);
	if (n > 0)
		json__raw(jb, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

void json__milli(json_buf_t *jb, uint64_t v)
{
	unsigned f = (unsigned)(v % 1000);
	char *w = json_room(jb, json_ndigits(v / 1000) + 4);

	if (!w)
		return;
	w = json_put_u64(w, v / 1000);
	w[0] = '.';
	w[1] = (char)('0' + f / 100);
	memcpy(w + 2, json_dd + 2 * (f % 100), 2);
	jb->len = (size_t)(w + 4 - jb->buf);
}

void json_format_time(char *out, size_t out_len, uint64_t ts_us)
{
	time_t secs = (time_t)(ts_us / 1000000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	snprintf(out, out_len, "%04d-%02d-%02dT%02d:%02d:%02d.%06u+0000", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned)(ts_us % 1000000));
}

void json__time(json_buf_t *jb, uint64_t ts_us)
{
	uint64_t sec = ts_us / 1000000;
	unsigned frac = (unsigned)(ts_us % 1000000);
	char *w;

	/* Events come in time order, many per second: the date is formatted once a second. */
	if (jb->date_sec != sec + 1) {
		char full[48];

		json_format_time(full, sizeof(full), ts_us);
		memcpy(jb->date, full, 19);
		jb->date_sec = sec + 1;
	}
	w = json_room(jb, 33);
	if (!w)
		return;
	w[0] = '"';
	memcpy(w + 1, jb->date, 19);
	w[20] = '.';
	memcpy(w + 21, json_dd + 2 * (frac / 10000), 2);
	memcpy(w + 23, json_dd + 2 * (frac / 100 % 100), 2);
	memcpy(w + 25, json_dd + 2 * (frac % 100), 2);
	memcpy(w + 27, "+0000\"", 6);
	jb->len += 33;
}

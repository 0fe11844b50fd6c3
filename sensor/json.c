/*
 * json.c - the EVE line writer (see json.h).
 */
#include "json.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "error.h"

void json_buf_init(json_buf_t *jb, mem_account_t *acct, size_t max)
{
	memset(jb, 0, sizeof(*jb));
	jb->acct = acct;
	jb->max = max;
}

void json_buf_free(json_buf_t *jb)
{
	if (jb->buf)
		mem_free(jb->acct, jb->buf, jb->size);
	jb->buf = NULL;
	jb->size = jb->len = 0;
}

/* Makes room for n more bytes; sets overflow and returns 0 when it cannot. */
static int json_reserve(json_buf_t *jb, size_t n)
{
	size_t want, nsize;
	char *nb;

	if (jb->overflow)
		return 0;
	want = jb->len + n;
	if (want <= jb->size)
		return 1;
	if (want > jb->max) {
		jb->overflow = 1;
		return 0;
	}
	nsize = jb->size ? jb->size : 4096;
	while (nsize < want)
		nsize *= 2;
	if (nsize > jb->max)
		nsize = jb->max;
	nb = mem_realloc(jb->acct, jb->buf, jb->size, nsize);
	if (!nb) {
		jb->overflow = 1;
		return 0;
	}
	jb->buf = nb;
	jb->size = nsize;
	return 1;
}

static void json_raw(json_buf_t *jb, const char *s, size_t n)
{
	if (!json_reserve(jb, n))
		return;
	memcpy(jb->buf + jb->len, s, n);
	jb->len += n;
}

static void json_ch(json_buf_t *jb, char c)
{
	if (!json_reserve(jb, 1))
		return;
	jb->buf[jb->len++] = c;
}

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

static void json_escaped(json_buf_t *jb, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run;

	json_ch(jb, '"');
	while (i < n) {
		/* Copy the longest run that needs no escaping in one go. */
		run = i;
		while (run < n && s[run] >= 0x20 && s[run] < 0x7F && s[run] != '"' &&
		       s[run] != '\\')
			run++;
		if (run > i) {
			json_raw(jb, str + i, run - i);
			i = run;
			continue;
		}
		if (s[i] >= 0x80) {
			size_t u = json_utf8_len(s + i, n - i);

			if (u) {
				json_raw(jb, str + i, u);
				i += u;
				continue;
			}
		}
		switch (s[i]) {
		case '"':
			json_raw(jb, "\\\"", 2);
			break;
		case '\\':
			json_raw(jb, "\\\\", 2);
			break;
		case '\n':
			json_raw(jb, "\\n", 2);
			break;
		case '\r':
			json_raw(jb, "\\r", 2);
			break;
		case '\t':
			json_raw(jb, "\\t", 2);
			break;
		default: {
			char esc[6] = {'\\', 'u', '0', '0', hex[s[i] >> 4], hex[s[i] & 15]};

			json_raw(jb, esc, 6);
		}
		}
		i++;
	}
	json_ch(jb, '"');
}

/* Writes the separator and the key of the next member (or element when key is NULL). */
static void json_key(json_buf_t *jb, const char *key)
{
	if (jb->depth > 0) {
		if (!jb->first[jb->depth - 1])
			json_ch(jb, ',');
		jb->first[jb->depth - 1] = 0;
	}
	if (key) {
		/* Keys are the program's own literals: nothing to escape. */
		size_t kl = strlen(key);

		if (json_reserve(jb, kl + 3)) {
			jb->buf[jb->len++] = '"';
			memcpy(jb->buf + jb->len, key, kl);
			jb->len += kl;
			jb->buf[jb->len++] = '"';
			jb->buf[jb->len++] = ':';
		}
	}
}

static void json_push(json_buf_t *jb, char c)
{
	json_ch(jb, c);
	if (jb->depth < JSON_MAX_DEPTH)
		jb->first[jb->depth] = 1;
	else
		jb->overflow = 1;
	jb->depth++;
}

void json_begin(json_buf_t *jb)
{
	jb->len = 0;
	jb->depth = 0;
	jb->overflow = 0;
	json_push(jb, '{');
}

int json_end(json_buf_t *jb)
{
	while (jb->depth > 1)
		json_close_object(jb);
	jb->depth = 0;
	json_raw(jb, "}\n", 2);
	return jb->overflow ? AW_ELIMIT : 0;
}

void json_open_object(json_buf_t *jb, const char *key)
{
	json_key(jb, key);
	json_push(jb, '{');
}

void json_close_object(json_buf_t *jb)
{
	json_ch(jb, '}');
	if (jb->depth > 0)
		jb->depth--;
}

void json_open_array(json_buf_t *jb, const char *key)
{
	json_key(jb, key);
	json_push(jb, '[');
}

void json_close_array(json_buf_t *jb)
{
	json_ch(jb, ']');
	if (jb->depth > 0)
		jb->depth--;
}

void json_kv_strn(json_buf_t *jb, const char *key, const char *s, size_t n)
{
	json_key(jb, key);
	json_escaped(jb, s, n);
}

void json_kv_str(json_buf_t *jb, const char *key, const char *s)
{
	json_kv_strn(jb, key, s, strlen(s));
}

/* Writes the decimal digits of v. */
static void json_digits(json_buf_t *jb, uint64_t v)
{
	char tmp[24];
	int i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	json_raw(jb, tmp + i, sizeof(tmp) - (size_t)i);
}

void json_kv_u64(json_buf_t *jb, const char *key, uint64_t v)
{
	json_key(jb, key);
	json_digits(jb, v);
}

void json_kv_i64(json_buf_t *jb, const char *key, int64_t v)
{
	json_key(jb, key);
	if (v < 0) {
		json_ch(jb, '-');
		json_digits(jb, (uint64_t)0 - (uint64_t)v);
	} else {
		json_digits(jb, (uint64_t)v);
	}
}

void json_kv_bool(json_buf_t *jb, const char *key, int v)
{
	json_key(jb, key);
	if (v)
		json_raw(jb, "true", 4);
	else
		json_raw(jb, "false", 5);
}

void json_kv_double(json_buf_t *jb, const char *key, double v)
{
	char tmp[40];
	int n;

	json_key(jb, key);
	if (v != v || v > 1e300 || v < -1e300) {
		json_raw(jb, "0", 1);
		return;
	}
	n = snprintf(tmp, sizeof(tmp), "%.3f", v);
	if (n > 0)
		json_raw(jb, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
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

void json_kv_time(json_buf_t *jb, const char *key, uint64_t ts_us)
{
	uint64_t sec = ts_us / 1000000;
	unsigned frac = (unsigned)(ts_us % 1000000);
	char tmp[32];
	int i;

	if (jb->date_sec != sec + 1) {
		char full[48];

		json_format_time(full, sizeof(full), ts_us);
		memcpy(jb->date, full, 19);
		jb->date_sec = sec + 1;
	}
	memcpy(tmp, jb->date, 19);
	tmp[19] = '.';
	for (i = 25; i >= 20; i--) {
		tmp[i] = (char)('0' + frac % 10);
		frac /= 10;
	}
	memcpy(tmp + 26, "+0000", 5);
	json_kv_strn(jb, key, tmp, 31);
}

void json_kv_milli(json_buf_t *jb, const char *key, uint64_t v)
{
	char tmp[32];
	int i = sizeof(tmp);
	uint64_t w = v / 1000;
	unsigned f = (unsigned)(v % 1000);

	tmp[--i] = (char)('0' + f % 10);
	tmp[--i] = (char)('0' + f / 10 % 10);
	tmp[--i] = (char)('0' + f / 100);
	tmp[--i] = '.';
	do {
		tmp[--i] = (char)('0' + w % 10);
		w /= 10;
	} while (w);
	json_key(jb, key);
	json_raw(jb, tmp + i, sizeof(tmp) - (size_t)i);
}

void json_str(json_buf_t *jb, const char *s)
{
	json_kv_strn(jb, NULL, s, strlen(s));
}

void json_strn(json_buf_t *jb, const char *s, size_t n)
{
	json_kv_strn(jb, NULL, s, n);
}

void json_u64(json_buf_t *jb, uint64_t v)
{
	json_kv_u64(jb, NULL, v);
}

/*
 * test_json.c - the EVE line writer: structure, escaping, numbers, time, the size cap, and
 * lines accumulating in the buffer until the output stage writes them out.
 */
#include "test_common.h"

#include <inttypes.h>
#include <stdlib.h>

#include "error.h"
#include "json.h"

/* The current (or last) line as a C string (the writer does not terminate its buffer). */
static const char *line(const json_buf_t *jb)
{
	static char out[8192];
	size_t len;
	const char *p = json_line(jb, &len);
	size_t n = len < sizeof(out) - 1 ? len : sizeof(out) - 1;

	memcpy(out, p, n);
	out[n] = '\0';
	return out;
}

/* The escaping of json.c written plainly, byte by byte: what the fast path must equal. */
static size_t ref_escape(char *out, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, o = 0, k, need;

	out[o++] = '"';
	while (i < n) {
		unsigned char c = s[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			out[o++] = (char)c;
			i++;
			continue;
		}
		need = c >= 0xC2 && c <= 0xDF	? 2
		       : c >= 0xE0 && c <= 0xEF ? 3
		       : c >= 0xF0 && c <= 0xF4 ? 4
						: 0;
		for (k = 1; need && k < need; k++)
			if (i + k >= n || (s[i + k] & 0xC0) != 0x80)
				need = 0;
		/* Overlong 3-byte forms, surrogates, and 4-byte forms past U+10FFFF are invalid. */
		if (need == 3 && ((c == 0xE0 && s[i + 1] < 0xA0) || (c == 0xED && s[i + 1] > 0x9F)))
			need = 0;
		if (need == 4 && ((c == 0xF0 && s[i + 1] < 0x90) || (c == 0xF4 && s[i + 1] > 0x8F)))
			need = 0;
		if (need) {
			memcpy(out + o, s + i, need);
			o += need;
			i += need;
			continue;
		}
		out[o++] = '\\';
		switch (c) {
		case '"':
		case '\\':
			out[o++] = (char)c;
			break;
		case '\n':
			out[o++] = 'n';
			break;
		case '\r':
			out[o++] = 'r';
			break;
		case '\t':
			out[o++] = 't';
			break;
		default:
			out[o++] = 'u';
			out[o++] = '0';
			out[o++] = '0';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
		i++;
	}
	out[o++] = '"';
	return o;
}

static void test_json_structure(void **state)
{
	mem_account_t acct;
	json_buf_t jb;

	mem_account_init(&acct, "t", 0);
	json_buf_init(&jb, &acct, 1 << 20);
	json_begin(&jb);
	json_kv_str(&jb, "a", "x");
	json_kv_u64(&jb, "n", 18446744073709551615ull);
	json_kv_i64(&jb, "neg", -42);
	json_open_object(&jb, "o");
	json_kv_bool(&jb, "t", 1);
	json_kv_bool(&jb, "f", 0);
	json_open_array(&jb, "arr");
	json_u64(&jb, 1);
	json_str(&jb, "two");
	json_close_array(&jb);
	json_open_object(&jb, "empty");
	json_close_object(&jb);
	json_close_object(&jb);
	json_kv_double(&jb, "d", 1.5);
	assert_int_equal(json_end(&jb), 0);
	assert_string_equal(line(&jb),
			    "{\"a\":\"x\",\"n\":18446744073709551615,\"neg\":-42,\"o\":{\"t\":true,"
			    "\"f\":false,\"arr\":[1,\"two\"],\"empty\":{}},\"d\":1.500}\n");
	json_buf_free(&jb);
	assert_int_equal(acct.in_use, 0);
}

/* Writes s (n bytes, at most 80) as the value of "s" and checks it against the byte-by-byte
 * reference. */
static void check_escaped(json_buf_t *jb, const unsigned char *s, size_t n)
{
	char want[600];
	const char *got;
	size_t wl = ref_escape(want, s, n);

	json_buf_clear(jb);
	json_begin(jb);
	json_kv_strn(jb, "s", (const char *)s, n);
	assert_int_equal(json_end(jb), 0);
	got = line(jb);
	assert_int_equal(strlen(got), wl + 7);
	assert_memory_equal(got + 5, want, wl);
}

static void test_json_escaping(void **state)
{
	mem_account_t acct;
	json_buf_t jb;
	const char raw[] = "q\"b\\n\n\t\x01\x7f\xc3\xa9\xff\xe2\x82";

	mem_account_init(&acct, "t", 0);
	json_buf_init(&jb, &acct, 1 << 20);
	json_begin(&jb);
	json_kv_strn(&jb, "s", raw, sizeof(raw) - 1);
	json_end(&jb);
	/* Valid UTF-8 (é) passes; invalid bytes and controls become \u00XX. */
	assert_string_equal(line(&jb), "{\"s\":\"q\\\"b\\\\n\\n\\t\\u0001\\u007f\xc3\xa9\\u00ff"
				       "\\u00e2\\u0082\"}\n");
	json_buf_free(&jb);
}

/* Keys from traffic are escaped as values are; members after them get their separators. */
static void test_json_escaped_keys(void **state)
{
	mem_account_t acct;
	json_buf_t jb;

	(void)state;
	mem_account_init(&acct, "t", 0);
	json_buf_init(&jb, &acct, 1 << 20);
	json_begin(&jb);
	json_kv_u64(&jb, "a", 1);
	json_kv_u64_keyn(&jb, "x\"y", 3, 2);
	json_open_object_keyn(&jb, "/p/{id}\n", 8);
	json_kv_u64_keyn(&jb, "k", 1, 3);
	json_kv_u64(&jb, "b", 4);
	json_close_object(&jb);
	json_open_object_keyn(&jb, "e", 1);
	json_close_object(&jb);
	json_end(&jb);
	assert_string_equal(line(&jb), "{\"a\":1,\"x\\\"y\":2,\"/p/{id}\\n\":{\"k\":3,\"b\":4},"
				       "\"e\":{}}\n");
	json_buf_free(&jb);
}

static void test_json_time(void **state)
{
	char out[48];

	json_format_time(out, sizeof(out), 1700000000123456ull);
	assert_string_equal(out, "2023-11-14T22:13:20.123456+0000");
	json_format_time(out, sizeof(out), 0);
	assert_string_equal(out, "1970-01-01T00:00:00.000000+0000");
}

/* Times in a line, where the date is kept from one second to the next: across second, minute,
 * day, month and year boundaries, 29 February of leap years (2000, 2024) and 1 March of a
 * century that is not one (2100), and going back in time, each equals json_format_time. */
static void test_json_time_boundaries(void **state)
{
	static const uint64_t secs[] = {
		0,	    59,		60,	    86399,	    86400,
		951782399,  951782400,	951868799,  1709164799,	    1709251199,
		1709251200, 1735689599, 1735689600, 4107542399,	    4107542400,
		1700000000, 0,		86400,	    253402300799ull};
	static const uint32_t us[] = {0, 1, 999999, 123456};
	mem_account_t acct;
	json_buf_t jb;
	char want[80], t[48];
	size_t i, k;

	(void)state;
	mem_account_init(&acct, "t", 0);
	json_buf_init(&jb, &acct, 1 << 20);
	for (i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
		for (k = 0; k < sizeof(us) / sizeof(us[0]); k++) {
			uint64_t ts = secs[i] * 1000000 + us[k];

			json_buf_clear(&jb);
			json_begin(&jb);
			json_kv_time(&jb, "t", ts);
			json_end(&jb);
			json_format_time(t, sizeof(t), ts);
			snprintf(want, sizeof(want), "{\"t\":\"%s\"}\n", t);
			assert_string_equal(line(&jb), want);
		}
	}
	json_format_time(t, sizeof(t), 951782400ull * 1000000);
	assert_string_equal(t, "2000-02-29T00:00:00.000000+0000");
	json_format_time(t, sizeof(t), 1709251199999999ull);
	assert_string_equal(t, "2024-02-29T23:59:59.999999+0000");
	json_format_time(t, sizeof(t), 4107542400ull * 1000000);
	assert_string_equal(t, "2100-03-01T00:00:00.000000+0000");
	json_format_time(t, sizeof(t), 1735689599999999ull);
	assert_string_equal(t, "2024-12-31T23:59:59.999999+0000");
	json_buf_free(&jb);
}

static void test_json_cap(void **state)
{
	mem_account_t acct;
	json_buf_t jb;
	char big[5000];

	memset(big, 'x', sizeof(big));
	mem_account_init(&acct, "t", 0);
	json_buf_init(&jb, &acct, 4096);
	json_begin(&jb);
	json_kv_strn(&jb, "big", big, sizeof(big));
	assert_int_equal(json_end(&jb), AW_ELIMIT);
	assert_true(jb.len <= 4096);
	/* The writer recovers for the next line. */
	json_begin(&jb);
	json_kv_str(&jb, "ok", "yes");
	assert_int_equal(json_end(&jb), 0);
	json_buf_free(&jb);
}

/* Strings around the 16-byte blocks of the fast scan, with a byte that needs care at every
 * position (and none), must be escaped as the byte-by-byte reference does. */
static void test_json_escaping_blocks(void **state)
{
	static const unsigned char specials[][4] = {{'"'},
						    {'\\'},
						    {'\n'},
						    {0x01},
						    {0x7f},
						    {0x80},
						    {0xff},
						    {0xc3, 0xa9},
						    {0xe2, 0x82},
						    {0xe2, 0x82, 0xac},
						    {0xf0, 0x9f, 0x98, 0x80},
						    {0xed, 0xa0, 0x80}};
	static const size_t special_len[] = {1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4, 3};
	mem_account_t acct;
	json_buf_t jb;
	unsigned char s[80];
	size_t n, at, k;

	(void)state;
	mem_account_init(&acct, "t", 0);
	json_buf_init(&jb, &acct, 1 << 20);
	for (n = 0; n <= 66; n++) {
		for (k = 0; k < sizeof(specials) / sizeof(specials[0]); k++) {
			for (at = 0; at <= n; at++) {
				memset(s, 'a' + (int)(n % 26), sizeof(s));
				if (at < n) {
					size_t l =
						special_len[k] < n - at ? special_len[k] : n - at;

					memcpy(s + at, specials[k], l);
				}
				check_escaped(&jb, s, n);
			}
		}
	}
	json_buf_free(&jb);
	assert_int_equal(acct.in_use, 0);
}

/* Every byte value at every position of strings of 0 to 40 bytes (the short strings are copied
 * as overlapping halves of 4, 8 or 16 bytes), alone and with a second byte after it, must be
 * escaped as the byte-by-byte reference does: controls, DEL, 0x80-0xff as lone or truncated
 * UTF-8, and the quote and backslash. */
static void test_json_escaping_every_byte(void **state)
{
	mem_account_t acct;
	json_buf_t jb;
	unsigned char s[48];
	size_t n, at;
	unsigned c, c2;

	(void)state;
	mem_account_init(&acct, "t", 0);
	json_buf_init(&jb, &acct, 1 << 20);
	for (n = 0; n <= 40; n++) {
		for (c = 0; c < 256; c++) {
			for (at = 0; at < (n ? n : 1); at++) {
				for (c2 = 0; c2 < 2; c2++) {
					memset(s, 'A' + (int)(n % 26), sizeof(s));
					if (n) {
						s[at] = (unsigned char)c;
						if (c2 && at + 1 < n)
							s[n - 1 - (at % 2)] =
								(unsigned char)(0xff - c);
					}
					check_escaped(&jb, s, n);
				}
			}
		}
	}
	/* The empty string. */
	json_buf_clear(&jb);
	json_begin(&jb);
	json_kv_strn(&jb, "e", "", 0);
	json_open_array(&jb, "a");
	json_strn(&jb, "", 0);
	json_close_array(&jb);
	assert_int_equal(json_end(&jb), 0);
	assert_string_equal(line(&jb), "{\"e\":\"\",\"a\":[\"\"]}\n");
	json_buf_free(&jb);
	assert_int_equal(acct.in_use, 0);
}

/* Numbers at every change of digit count, both ends of the ranges, and fixed-point values. */
static void test_json_numbers(void **state)
{
	mem_account_t acct;
	json_buf_t jb;
	char want[64];
	uint64_t p = 1;
	int i;

	(void)state;
	mem_account_init(&acct, "t", 0);
	json_buf_init(&jb, &acct, 1 << 20);
	for (i = 0; i < 20; i++) {
		uint64_t v[3] = {p - 1, p, p + 1};
		int k;

		for (k = 0; k < 3; k++) {
			json_begin(&jb);
			json_kv_u64(&jb, "n", v[k]);
			json_end(&jb);
			snprintf(want, sizeof(want), "{\"n\":%" PRIu64 "}\n", v[k]);
			assert_string_equal(line(&jb), want);
		}
		if (i < 19)
			p *= 10;
	}
	json_buf_clear(&jb);
	json_begin(&jb);
	json_kv_u64(&jb, "max", UINT64_MAX);
	json_kv_i64(&jb, "min", INT64_MIN);
	json_kv_i64(&jb, "m1", -1);
	json_kv_i64(&jb, "z", 0);
	json_kv_milli(&jb, "a", 0);
	json_kv_milli(&jb, "b", 1093);
	json_kv_milli(&jb, "c", 1000000007);
	json_kv_double(&jb, "d", 0.0005);
	json_open_array(&jb, "arr");
	json_u64(&jb, 0);
	json_u64(&jb, 10);
	json_close_array(&jb);
	json_end(&jb);
	assert_string_equal(line(&jb), "{\"max\":18446744073709551615,"
				       "\"min\":-9223372036854775808,\"m1\":-1,\"z\":0,"
				       "\"a\":0.000,\"b\":1.093,\"c\":1000000.007,\"d\":0.001,"
				       "\"arr\":[0,10]}\n");
	json_buf_free(&jb);
}

/* Numbers written without counting their digits first, or with no loop below 10000, must equal
 * printf's: every value below 20000, both sides of every power of two (2^32 is where the
 * formatting leaves 64-bit division), and json_format_u64 on its own. */
static void test_json_numbers_all(void **state)
{
	mem_account_t acct;
	json_buf_t jb;
	char want[64], tmp[24];
	uint64_t v;
	size_t n;
	int k, d;

	(void)state;
	mem_account_init(&acct, "t", 0);
	json_buf_init(&jb, &acct, 1 << 20);
	for (v = 0; v < 20000; v++) {
		json_buf_clear(&jb);
		json_begin(&jb);
		json_kv_u64(&jb, "n", v);
		json_end(&jb);
		snprintf(want, sizeof(want), "{\"n\":%" PRIu64 "}\n", v);
		assert_string_equal(line(&jb), want);
	}
	for (k = 0; k < 64; k++) {
		for (d = -1; d <= 1; d++) {
			v = ((uint64_t)1 << k) + (uint64_t)(int64_t)d;
			json_buf_clear(&jb);
			json_begin(&jb);
			json_kv_u64(&jb, "n", v);
			json_kv_i64(&jb, "i", -(int64_t)(v >> 1));
			json_end(&jb);
			snprintf(want, sizeof(want), "{\"n\":%" PRIu64 ",\"i\":%" PRId64 "}\n", v,
				 -(int64_t)(v >> 1));
			assert_string_equal(line(&jb), want);
			n = json_format_u64(tmp + sizeof(tmp), v);
			snprintf(want, sizeof(want), "%" PRIu64, v);
			assert_int_equal(n, strlen(want));
			assert_memory_equal(tmp + sizeof(tmp) - n, want, n);
		}
	}
	n = json_format_u64(tmp + sizeof(tmp), UINT64_MAX);
	assert_int_equal(n, 20);
	assert_memory_equal(tmp + sizeof(tmp) - n, "18446744073709551615", 20);
	n = json_format_u64(tmp + sizeof(tmp), 0);
	assert_int_equal(n, 1);
	assert_int_equal(tmp[sizeof(tmp) - 1], '0');
	json_buf_free(&jb);
	assert_int_equal(acct.in_use, 0);
}

/* A number that ends a line exactly at the cap passes, one digit more overflows, whether the
 * room left is above or below the 20 bytes any number fits in. */
static void test_json_numbers_cap(void **state)
{
	static const uint64_t vals[] = {0, 7, 42, 999, 1000, 65535, 4294967296ull, UINT64_MAX};
	mem_account_t acct;
	json_buf_t jb;
	char want[64];
	size_t i, full, max;

	(void)state;
	mem_account_init(&acct, "t", 0);
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		full = (size_t)snprintf(want, sizeof(want), "{\"n\":%" PRIu64 "}\n", vals[i]);
		for (max = full - 3; max <= full + 25; max++) {
			json_buf_init(&jb, &acct, max);
			json_begin(&jb);
			json_kv_u64(&jb, "n", vals[i]);
			assert_int_equal(json_end(&jb), max >= full ? 0 : AW_ELIMIT);
			if (max >= full)
				assert_string_equal(line(&jb), want);
			else
				assert_int_equal(jb.len, 0);
			json_buf_free(&jb);
		}
	}
	assert_int_equal(acct.in_use, 0);
}

/* Lines accumulate until cleared; a dropped line leaves the others whole; members given as
 * text get their separator. */
/* json_format_hex64 writes what "%016llx" writes: every nibble value at every position, and
 * values with all nibbles alike or mixed. */
static void test_json_hex64(void **state)
{
	uint64_t v = 0x9e3779b97f4a7c15ull;
	char got[17], want[17];
	int i, k, d;

	(void)state;
	for (i = 0; i < 2000; i++) {
		if (i < 16 * 16) { /* digit d at position k, zeros elsewhere */
			k = i / 16;
			d = i % 16;
			v = (uint64_t)d << (4 * k);
		} else if (i < 16 * 16 + 16) { /* all nibbles d */
			v = 0x1111111111111111ull * (uint64_t)(i - 16 * 16);
		} else {
			v = v * 6364136223846793005ull + 1442695040888963407ull;
		}
		json_format_hex64(got, v);
		got[16] = '\0';
		snprintf(want, sizeof(want), "%016llx", (unsigned long long)v);
		assert_string_equal(got, want);
	}
}

static void test_json_lines(void **state)
{
	static const char want[] = "{\"a\":1,\"b\":2,\"c\":3}\n{\"c\":3,\"d\":4,\"o\":{\"e\":5}}\n";
	mem_account_t acct;
	json_buf_t jb;
	const char *p;
	size_t n;
	char big[300];

	(void)state;
	memset(big, 'x', sizeof(big));
	mem_account_init(&acct, "t", 0);
	json_buf_init(&jb, &acct, 100);
	json_begin(&jb);
	json_members(&jb, "\"a\":1,\"b\":2", 11);
	json_kv_u64(&jb, "c", 3);
	assert_int_equal(json_end(&jb), 0);
	json_begin(&jb);
	json_kv_strn(&jb, "big", big, sizeof(big));
	assert_int_equal(json_end(&jb), AW_ELIMIT);
	json_begin(&jb);
	json_kv_u64(&jb, "c", 3);
	json_members(&jb, "\"d\":4", 5);
	json_open_object(&jb, "o");
	json_members(&jb, "\"e\":5", 5);
	json_close_object(&jb);
	assert_int_equal(json_end(&jb), 0);
	assert_string_equal(line(&jb), "{\"c\":3,\"d\":4,\"o\":{\"e\":5}}\n");
	assert_int_equal(jb.len, strlen(want));
	assert_memory_equal(jb.buf, want, jb.len);
	json_buf_clear(&jb);
	p = json_line(&jb, &n);
	(void)p;
	assert_int_equal(n, 0);
	json_buf_free(&jb);
	assert_int_equal(acct.in_use, 0);
}

/* A line of exactly max bytes passes and one more byte fails, wherever the limit falls: in a
 * key, a string (with or without escapes), a number, a bracket or the line end. */
static void test_json_cap_exact(void **state)
{
	mem_account_t acct;
	json_buf_t jb, ref;
	size_t full, max;
	char s[64];
	int esc;

	(void)state;
	for (esc = 0; esc < 2; esc++) {
		memset(s, 'y', sizeof(s));
		if (esc)
			s[10] = '"';
		mem_account_init(&acct, "t", 0);
		json_buf_init(&ref, &acct, 1 << 20);
		json_begin(&ref);
		json_kv_u64(&ref, "n", 1234567);
		json_open_object(&ref, "o");
		json_kv_strn(&ref, "s", s, sizeof(s));
		json_open_array(&ref, "a");
		json_u64(&ref, 42);
		json_close_array(&ref);
		json_close_object(&ref);
		json_kv_time(&ref, "t", 1700000000123456ull);
		assert_int_equal(json_end(&ref), 0);
		full = ref.len;
		for (max = full - 40; max <= full + 2; max++) {
			json_buf_init(&jb, &acct, max);
			json_begin(&jb);
			json_kv_u64(&jb, "n", 1234567);
			json_open_object(&jb, "o");
			json_kv_strn(&jb, "s", s, sizeof(s));
			json_open_array(&jb, "a");
			json_u64(&jb, 42);
			json_close_array(&jb);
			json_close_object(&jb);
			json_kv_time(&jb, "t", 1700000000123456ull);
			assert_int_equal(json_end(&jb), max >= full ? 0 : AW_ELIMIT);
			if (max >= full)
				assert_memory_equal(jb.buf, ref.buf, full);
			else
				assert_int_equal(jb.len, 0);
			json_buf_free(&jb);
		}
		json_buf_free(&ref);
		assert_int_equal(acct.in_use, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_structure),
		cmocka_unit_test(test_json_escaping),
		cmocka_unit_test(test_json_escaping_blocks),
		cmocka_unit_test(test_json_escaping_every_byte),
		cmocka_unit_test(test_json_numbers),
		cmocka_unit_test(test_json_numbers_all),
		cmocka_unit_test(test_json_numbers_cap),
		cmocka_unit_test(test_json_escaped_keys),
		cmocka_unit_test(test_json_time),
		cmocka_unit_test(test_json_time_boundaries),
		cmocka_unit_test(test_json_cap),
		cmocka_unit_test(test_json_cap_exact),
		cmocka_unit_test(test_json_lines),
		cmocka_unit_test(test_json_hex64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_json.c - the EVE line writer: structure, escaping, numbers, time, the size cap.
 */
#include "test_common.h"

#include "error.h"
#include "json.h"

/* The current line as a C string (the writer does not terminate its buffer). */
static const char *line(const json_buf_t *jb)
{
	static char out[8192];
	size_t n = jb->len < sizeof(out) - 1 ? jb->len : sizeof(out) - 1;

	memcpy(out, jb->buf, n);
	out[n] = '\0';
	return out;
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

static void test_json_time(void **state)
{
	char out[48];

	json_format_time(out, sizeof(out), 1700000000123456ull);
	assert_string_equal(out, "2023-11-14T22:13:20.123456+0000");
	json_format_time(out, sizeof(out), 0);
	assert_string_equal(out, "1970-01-01T00:00:00.000000+0000");
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_structure),
		cmocka_unit_test(test_json_escaping),
		cmocka_unit_test(test_json_time),
		cmocka_unit_test(test_json_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

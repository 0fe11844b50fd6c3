/*
 * test_sensitive.c - the sensitive-data detectors: each validator with values that must fire
 * and look-alikes that must not, key-name context, JSON key paths, query and header scans,
 * invalid and truncated JSON, the caps, and that no value ever reaches the report.
 */
#include "test_common.h"

#include <stdlib.h>
#include <time.h>

#include "error.h"
#include "sensitive.h"

static sensitive_report_t rep;

/* Scans one text with the defaults into a fresh report. */
static const sensitive_report_t *scan(enum sensitive_source src, const char *s)
{
	sensitive_report_reset(&rep);
	sensitive_scan(NULL, &rep, src, s, strlen(s));
	return &rep;
}

static const sensitive_report_t *json(const char *s)
{
	return scan(SENSITIVE_SRC_JSON, s);
}

static const sensitive_report_t *text(const char *s)
{
	return scan(SENSITIVE_SRC_TEXT, s);
}

/* Occurrences of type recorded at path (any source). */
static uint32_t at(const sensitive_report_t *r, unsigned type, const char *path)
{
	uint32_t i, n = 0;

	for (i = 0; i < r->nfindings; i++)
		if (r->findings[i].type == type && strcmp(r->findings[i].path, path) == 0)
			n += r->findings[i].count;
	return n;
}

static int found(const sensitive_report_t *r, unsigned type)
{
	return (r->types >> type) & 1;
}

/* base64url without padding, for building JWTs. */
static void b64url(char *out, const char *in)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t n = strlen(in), i, o = 0;

	for (i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)(uint8_t)in[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)(uint8_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= (uint8_t)in[i + 2];
		out[o++] = a[v >> 18];
		out[o++] = a[(v >> 12) & 63];
		if (i + 1 < n)
			out[o++] = a[(v >> 6) & 63];
		if (i + 2 < n)
			out[o++] = a[v & 63];
	}
	out[o] = '\0';
}

/* A JWT of the three parts in buf (JWT_MAX bytes). */
#define JWT_MAX 2048

static const char *make_jwt(char *buf, const char *header, const char *payload, const char *sig)
{
	char h[512], p[512];

	b64url(h, header);
	b64url(p, payload);
	snprintf(buf, JWT_MAX, "%s.%s.%s", h, p, sig);
	return buf;
}

/* ------------------------------------------------------------------------------------------ */

static void test_email(void **state)
{
	(void)state;
	assert_int_equal(at(text("write to ann.lee+tag@mail.example.com."), SENSITIVE_EMAIL, ""),
			 1);
	assert_int_equal(at(json("{\"contact\":{\"email\":\"ann@example.co.uk\"}}"),
			    SENSITIVE_EMAIL, "contact.email"),
			 1);
	assert_false(found(text("root@localhost"), SENSITIVE_EMAIL));
	assert_false(found(text("/img/logo@2x.png"), SENSITIVE_EMAIL));
	assert_false(found(text("a@b.c"), SENSITIVE_EMAIL));
	assert_false(found(text("@example.com"), SENSITIVE_EMAIL));
	assert_false(found(text("npm i left-pad@1.3.0"), SENSITIVE_EMAIL));
	assert_false(found(text(".ann@example.com"), SENSITIVE_EMAIL));
	assert_false(found(text("ann.@example.com"), SENSITIVE_EMAIL));
}

static void test_phone_formatted(void **state)
{
	static const char *const yes[] = {
		"+1 415 555 2671", "+44 20 7946 0958", "+4915112345678",    "(415) 555-2671",
		"(415)555-2671",   "415-555-2671",     "415.555.2671",	    "1-800-555-0199",
		"020 7946 0958",   "06 12 34 56 78",   "+1 (415) 555-2671", "02 123 45 67",
		"06.12.34.56.78",  "0151 12345678",    "(030) 1234567",	    "+8613800138000",
	};
	static const char *const no[] = {
		"4155552671", /* bare 10 digits: a timestamp or an order number */
		"1699999999",	   "2023-10-05",      "192.168.100.200",
		"(123) 555-2671",  "911-555-1234",    "415-155-2671", /* exchange starts with 1 */
		"01.02.2023",	   "+0 123 4567 89",  "version 3.14159265",
		"08:01 60662705", /* a trunk 0 does not make any grouping a phone */
		"012.004.002.000", "+4294967295", /* no country 42x */
		"code=1+16777218", "+1 123 555 2671", /* NANP rules after +1 */
		"+7 123 45",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_int_equal(text(yes[i])->counts[SENSITIVE_PHONE], 1);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_int_equal(text(no[i])->counts[SENSITIVE_PHONE], 0);
}

static void test_phone_key_context(void **state)
{
	(void)state;
	assert_int_equal(at(json("{\"phone\":\"4155552671\"}"), SENSITIVE_PHONE, "phone"), 1);
	assert_int_equal(at(json("{\"mobileNumber\":4155552671}"), SENSITIVE_PHONE, "mobileNumber"),
			 1);
	assert_int_equal(at(json("{\"phone\":{\"number\":\"4155552671\"}}"), SENSITIVE_PHONE,
			    "phone.number"),
			 1);
	assert_int_equal(at(json("{\"phones\":[\"4155552671\",\"4155552672\"]}"), SENSITIVE_PHONE,
			    "phones[]"),
			 2);
	assert_int_equal(
		at(scan(SENSITIVE_SRC_QUERY, "msisdn=4915112345678"), SENSITIVE_PHONE, "msisdn"),
		1);
	/* A timestamp under a key that mentions the phone is still a timestamp. */
	assert_false(found(json("{\"phone_verified_at\":1699999999,\"order_id\":\"4155552671\","
				"\"ts\":1699999999}"),
			   SENSITIVE_PHONE));
	/* "number" only borrows the context of its own parent. */
	assert_false(found(json("{\"order\":{\"number\":\"4155552671\"}}"), SENSITIVE_PHONE));
}

static void test_card(void **state)
{
	static const char *const yes[] = {
		"4111 1111 1111 1111",	  "5555-5555-5555-4444", "2223 0031 2200 3222",
		"3782 822463 10005",	  "6011 1111 1111 1117", "3530 1113 3330 0000",
		"3056 930902 5904",	  "6200 0000 0000 0005", "pay with 4111-1111-1111-1111.",
		"12 4111-1111-1111-1111",
	};
	static const char *const no[] = {
		"4111 1111 1111 1112", /* Luhn */
		"9123 4567 8900 0004", /* Luhn-valid, no issuer */
		"4111111111111111", /* bare: needs a key */
		"4222222222222", /* Luhn-valid bare 13 digits */
		"4111 1111 1111 1111 22222", /* too long */
		"4111 1111-1111 1111", /* mixed separators */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_int_equal(text(yes[i])->counts[SENSITIVE_CARD], 1);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_int_equal(text(no[i])->counts[SENSITIVE_CARD], 0);
}

static void test_card_key_context(void **state)
{
	(void)state;
	assert_int_equal(
		at(json("{\"card_number\":\"4111111111111111\"}"), SENSITIVE_CARD, "card_number"),
		1);
	assert_int_equal(at(json("{\"payment\":{\"card\":{\"number\":\"4222222222222\"}}}"),
			    SENSITIVE_CARD, "payment.card.number"),
			 1);
	assert_int_equal(at(json("{\"pan\":6011111111111117}"), SENSITIVE_CARD, "pan"), 1);
	assert_int_equal(at(json("{\"ccNum\":\"4111111111111111\"}"), SENSITIVE_CARD, "ccNum"), 1);
	/* Luhn-valid 13-digit internal ids, bare or under keys that are not card numbers. */
	assert_false(found(json("{\"id\":4222222222222,\"ref\":\"1000001234565\","
				"\"card_id\":4000001234562,\"card\":{\"count\":4000001234562}}"),
			   SENSITIVE_CARD));
}

static void test_ssn(void **state)
{
	(void)state;
	assert_int_equal(text("ssn on file: 536-22-1234")->counts[SENSITIVE_SSN], 1);
	assert_int_equal(at(json("{\"ssn\":\"536221234\"}"), SENSITIVE_SSN, "ssn"), 1);
	assert_int_equal(at(json("{\"socialSecurityNumber\":\"536 22 1234\"}"), SENSITIVE_SSN,
			    "socialSecurityNumber"),
			 1);
	assert_false(found(text("000-12-3456 666-12-3456 900-12-3456 536-00-1234 536-22-0000"),
			   SENSITIVE_SSN));
	assert_false(found(text("078-05-1120 123-45-6789"), SENSITIVE_SSN)); /* never issued */
	assert_false(found(text("536221234 536 22 1234"), SENSITIVE_SSN));
	assert_false(found(json("{\"zip\":\"536221234\"}"), SENSITIVE_SSN));
}

static void test_iban(void **state)
{
	(void)state;
	assert_int_equal(text("GB82WEST12345698765432")->counts[SENSITIVE_IBAN], 1);
	assert_int_equal(text("iban DE89 3704 0044 0532 0130 00 is mine")->counts[SENSITIVE_IBAN],
			 1);
	assert_int_equal(text("GB82 WEST 1234 5698 7654 32")->counts[SENSITIVE_IBAN], 1);
	assert_int_equal(
		at(json("{\"iban\":\"FR1420041010050500013M02606\"}"), SENSITIVE_IBAN, "iban"), 1);
	assert_int_equal(text("NL91ABNA0417164300 NO9386011117947")->counts[SENSITIVE_IBAN], 2);
	assert_false(found(text("DE89370400440532013001"), SENSITIVE_IBAN)); /* checksum */
	assert_false(found(text("DE8937040044053201300"), SENSITIVE_IBAN)); /* length */
	assert_false(found(text("DE89370400440532013000X"), SENSITIVE_IBAN)); /* glued */
	assert_false(found(text("ZZ89370400440532013000"), SENSITIVE_IBAN)); /* country */
	assert_false(found(text("GB82 WEST 12345 698 7654 32"), SENSITIVE_IBAN)); /* grouping */
	assert_false(found(text("gb82west12345698765432"), SENSITIVE_IBAN));
}

static void test_vin(void **state)
{
	(void)state;
	assert_int_equal(text("VIN 1M8GDM9AXKP042788.")->counts[SENSITIVE_VIN], 1);
	assert_int_equal(at(json("{\"vehicle\":{\"vin\":\"1HGCM82633A004352\"}}"), SENSITIVE_VIN,
			    "vehicle.vin"),
			 1);
	/* Makers outside North America start with a letter. */
	assert_int_equal(text("WBA3A5C55DF000123 JHMCM56557C404453")->counts[SENSITIVE_VIN], 2);
	assert_int_equal(text("JH4KA4650MC000000")->counts[SENSITIVE_VIN], 0); /* check digit */
	assert_false(found(text("1M8GDM9A1KP042788"), SENSITIVE_VIN)); /* check digit */
	assert_false(found(text("1M8GDO9AXKP042788"), SENSITIVE_VIN)); /* O */
	assert_false(found(text("1M8GDM9AXKQ042788"), SENSITIVE_VIN)); /* Q */
	assert_false(found(text("1I8GDM9AXKP042788"), SENSITIVE_VIN)); /* I */
	assert_false(found(text("11111111111111111"), SENSITIVE_VIN)); /* no maker letters */
	assert_false(found(text("1M8GDM9AXKP04278"), SENSITIVE_VIN)); /* 16 characters */
	assert_false(found(text("1m8gdm9axkp042788"), SENSITIVE_VIN));
}

static void test_jwt(void **state)
{
	char tok[JWT_MAX], t[JWT_MAX + 64];

	(void)state;
	make_jwt(tok, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", "{\"sub\":\"42\"}", "c2lnbmF0dXJl");
	snprintf(t, sizeof(t), "Bearer %s.", tok);
	assert_int_equal(text(t)->counts[SENSITIVE_JWT], 1);
	snprintf(t, sizeof(t), "{\"id_token\":\"%s\"}", tok);
	assert_int_equal(at(json(t), SENSITIVE_JWT, "id_token"), 1);
	assert_int_equal(at(&rep, SENSITIVE_SECRET, "id_token"), 1);
	/* Unsigned tokens are tokens too. */
	make_jwt(tok, " {\"alg\":\"none\"}", "{}", "");
	assert_int_equal(text(tok)->counts[SENSITIVE_JWT], 1);
	/* Shaped like a JWT, but the header is no JSON, or has no alg. */
	make_jwt(tok, "hello world, not json", "{\"sub\":\"42\"}", "c2ln");
	assert_false(found(text(tok), SENSITIVE_JWT));
	make_jwt(tok, "{\"typ\":\"JWT\",\"kid\":\"k1\"}", "{\"sub\":\"42\"}", "c2ln");
	assert_false(found(text(tok), SENSITIVE_JWT));
	assert_false(found(text("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9"), SENSITIVE_JWT));
	assert_false(found(text("www.example-domain-name.com.au"), SENSITIVE_JWT));
}

static void test_private_key(void **state)
{
	(void)state;
	assert_int_equal(text("-----BEGIN PRIVATE KEY-----\nMIIE")->counts[SENSITIVE_PRIVATE_KEY],
			 1);
	assert_int_equal(text("x -----BEGIN RSA PRIVATE KEY-----")->counts[SENSITIVE_PRIVATE_KEY],
			 1);
	assert_int_equal(text("-----BEGIN OPENSSH PRIVATE KEY-----")->counts[SENSITIVE_PRIVATE_KEY],
			 1);
	assert_int_equal(
		text("-----BEGIN PGP PRIVATE KEY BLOCK-----")->counts[SENSITIVE_PRIVATE_KEY], 1);
	assert_int_equal(at(json("{\"key\":\"abc\\n-----BEGIN EC PRIVATE KEY-----\\nMHc\"}"),
			    SENSITIVE_PRIVATE_KEY, "key"),
			 1);
	assert_false(found(text("-----BEGIN PUBLIC KEY-----"), SENSITIVE_PRIVATE_KEY));
	assert_false(found(text("-----BEGIN CERTIFICATE-----"), SENSITIVE_PRIVATE_KEY));
	assert_false(found(text("-----BEGIN PRIVATE KEY"), SENSITIVE_PRIVATE_KEY));
}

static void test_prefixed_keys(void **state)
{
	(void)state;
	assert_int_equal(text("AKIAIOSFODNN7EXAMPLE")->counts[SENSITIVE_AWS_KEY], 1);
	assert_int_equal(text("id=ASIAY34FZKBOKMUTVV7A;")->counts[SENSITIVE_AWS_KEY], 1);
	assert_false(found(text("AKIAIOSFODNN7EXAMPL"), SENSITIVE_AWS_KEY)); /* short */
	assert_false(found(text("AKIAIOSFODNN7EXAMPLE1"), SENSITIVE_AWS_KEY)); /* long */
	assert_false(found(text("AKIAiosfodnn7example"), SENSITIVE_AWS_KEY)); /* case */
	assert_false(found(text("XAKIAIOSFODNN7EXAMPLE"), SENSITIVE_AWS_KEY)); /* glued */

	assert_int_equal(
		text("ghp_16C7e42F292c6912E7710c838347Ae178B4a")->counts[SENSITIVE_GITHUB_TOKEN],
		1);
	assert_int_equal(text("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ")
				 ->counts[SENSITIVE_GITHUB_TOKEN],
			 1);
	assert_false(found(text("ghp_16C7e42F292c6912E7710c838347Ae"), SENSITIVE_GITHUB_TOKEN));

	assert_int_equal(text("xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx")
				 ->counts[SENSITIVE_SLACK_TOKEN],
			 1);
	assert_false(found(text("xoxb-1234"), SENSITIVE_SLACK_TOKEN));
	assert_false(found(text("xoxz-123456789012-1234567890123-AbCdEf"), SENSITIVE_SLACK_TOKEN));

	assert_int_equal(text("sk_live_4eC39HqLyjWDarjtT1zdp7dc")->counts[SENSITIVE_STRIPE_KEY], 1);
	assert_int_equal(text("pk_live_4eC39HqLyjWDarjtT1zdp7dc")->counts[SENSITIVE_STRIPE_KEY], 1);
	assert_false(found(text("sk_test_4eC39HqLyjWDarjtT1zdp7dc"), SENSITIVE_STRIPE_KEY));
	assert_false(found(text("sk_live_short"), SENSITIVE_STRIPE_KEY));

	assert_int_equal(
		text("AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI")->counts[SENSITIVE_GOOGLE_API_KEY],
		1);
	assert_false(
		found(text("AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsH"), SENSITIVE_GOOGLE_API_KEY));
}

static void test_gcp_service_account(void **state)
{
	(void)state;
	json("{\"type\":\"service_account\",\"private_key_id\":"
	     "\"1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c\",\"private_key\":\"-----BEGIN PRIVATE "
	     "KEY-----\\nMIIEv\\n-----END PRIVATE KEY-----\\n\"}");
	assert_int_equal(at(&rep, SENSITIVE_GCP_SERVICE_ACCOUNT, "private_key_id"), 1);
	assert_int_equal(at(&rep, SENSITIVE_PRIVATE_KEY, "private_key"), 1);
	assert_int_equal(at(&rep, SENSITIVE_SECRET, "private_key"), 1);
	assert_int_equal(at(&rep, SENSITIVE_SECRET, "private_key_id"), 0);
	assert_false(found(json("{\"private_key_id\":\"not-a-key-id\"}"),
			   SENSITIVE_GCP_SERVICE_ACCOUNT));
}

static void test_secret_json(void **state)
{
	static const char *const keys[] = {
		"password",
		"newPassword",
		"client_secret",
		"api_key",
		"apiKey",
		"access_token",
		"refresh_token",
		"passwd",
		"pwd",
		"X-Api-Key",
		"password_hash",
		"db.password",
		"passwordConfirmation",
	};
	char buf[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(buf, sizeof(buf), "{\"%s\":\"hunter2\"}", keys[i]);
		assert_int_equal(at(json(buf), SENSITIVE_SECRET, keys[i]), 1);
	}
	assert_false(
		found(json("{\"password\":\"\",\"pwd\":null,\"secret\":\"****\","
			   "\"has_password\":true,\"max_tokens\":100,\"token_type\":\"bearer\","
			   "\"next_page_token\":\"abc\",\"password_changed_at\":\"2024-01-01\","
			   "\"passwords_match\":\"yes\",\"is_secret\":false,"
			   "\"MasterUserPassword\":[\"MasterUsername\"]}"),
		      SENSITIVE_SECRET));
}

static void test_query(void **state)
{
	static char buf[4096];
	const sensitive_report_t *r;

	(void)state;
	r = scan(SENSITIVE_SRC_QUERY,
		 "user=ann&password=hunter2&email=ann%40example.com&pwd="
		 "&phone=%2B1%20415%20555%202671&next_page_token=abc&access_token=t0k");
	assert_int_equal(at(r, SENSITIVE_SECRET, "password"), 1);
	assert_int_equal(at(r, SENSITIVE_SECRET, "access_token"), 1);
	assert_int_equal(r->counts[SENSITIVE_SECRET], 2);
	assert_int_equal(at(r, SENSITIVE_EMAIL, "email"), 1);
	assert_int_equal(at(r, SENSITIVE_PHONE, "phone"), 1);
	assert_int_equal(r->findings[0].source, SENSITIVE_SRC_QUERY);
	/* Form encoding: '+' is a space. */
	r = scan(SENSITIVE_SRC_QUERY, "tel=%2B44+20+7946+0958");
	assert_int_equal(at(r, SENSITIVE_PHONE, "tel"), 1);
	/* Data as a parameter name is found, and not written as a path. */
	r = scan(SENSITIVE_SRC_QUERY, "ann@example.com=1&q");
	assert_int_equal(at(r, SENSITIVE_EMAIL, ""), 1);
	/* Names and values too long to decode on the stack are scanned as sent. */
	memset(buf, 'n', 100);
	strcpy(buf + 100, ",b@example.com=");
	memset(buf + 115, 'v', 3000);
	strcpy(buf + 3115, " c@example.com");
	r = scan(SENSITIVE_SRC_QUERY, buf);
	assert_int_equal(at(r, SENSITIVE_EMAIL, ""), 1);
	assert_int_equal(at(r, SENSITIVE_EMAIL, "*"), 1);
}

static void test_text_keys(void **state)
{
	const sensitive_report_t *r;

	(void)state;
	r = text("user=ann\npassword=hunter2\nphone: 4155552671\n<secret>s3</secret>");
	assert_int_equal(at(r, SENSITIVE_SECRET, "password"), 1);
	assert_int_equal(at(r, SENSITIVE_SECRET, "secret"), 1);
	assert_int_equal(at(r, SENSITIVE_PHONE, "phone"), 1);
	assert_false(found(text("token=&password=\nsecret: \nPasswords are great, tokens too."),
			   SENSITIVE_SECRET));
	/* The key's scope ends at the end of its line. */
	assert_false(found(text("phone: none\n4155552671"), SENSITIVE_PHONE));
	assert_false(found(text("see https://example.com/password"), SENSITIVE_SECRET));
	assert_false(found(text("let t = Token::default();"), SENSITIVE_SECRET));
}

static void test_header(void **state)
{
	char tok[JWT_MAX], v[JWT_MAX + 16];

	(void)state;
	sensitive_report_reset(&rep);
	sensitive_scan_header(NULL, &rep, "X-API-Key", 9, "abc123", 6);
	make_jwt(tok, "{\"alg\":\"RS256\"}", "{\"sub\":\"u1\"}", "c2ln");
	snprintf(v, sizeof(v), "Bearer %s", tok);
	sensitive_scan_header(NULL, &rep, "Authorization", 13, v, strlen(v));
	sensitive_scan_header(NULL, &rep, "Cookie", 6, "sid=1; token=abc; theme=dark", 28);
	sensitive_scan_header(NULL, &rep, "X-Api-Key", 9, "", 0);
	assert_int_equal(at(&rep, SENSITIVE_SECRET, "x-api-key"), 1);
	assert_int_equal(at(&rep, SENSITIVE_JWT, "authorization"), 1);
	assert_int_equal(at(&rep, SENSITIVE_SECRET, "cookie.token"), 1);
	assert_int_equal(rep.counts[SENSITIVE_SECRET], 2);
	assert_int_equal(rep.findings[0].source, SENSITIVE_SRC_HEADER);
}

static void test_json_paths(void **state)
{
	const sensitive_report_t *r;

	(void)state;
	r = json("{\"user\":{\"name\":\"Ann\",\"cards\":[{\"number\":\"4111 1111 1111 1111\"},"
		 "{\"number\":\"5555555555554444\"}],\"emails\":[\"a@example.com\","
		 "[\"b@example.com\"]],\"tags\":[],\"meta\":{}},\"next\":{\"email\":\"c@x.org\"}}");
	assert_int_equal(at(r, SENSITIVE_CARD, "user.cards[].number"), 2);
	assert_int_equal(at(r, SENSITIVE_EMAIL, "user.emails[]"), 1);
	assert_int_equal(at(r, SENSITIVE_EMAIL, "user.emails[][]"), 1);
	assert_int_equal(at(r, SENSITIVE_EMAIL, "next.email"), 1);
	assert_int_equal(r->flags, 0);
	r = json("[{\"email\":\"a@example.com\"},{\"email\":\"b@example.com\"}] ");
	assert_int_equal(at(r, SENSITIVE_EMAIL, "[].email"), 2);
	/* Keys that are data: found at the object, written as "*". */
	r = json("{\"by_user\":{\"ann@example.com\":{\"phone\":\"+44 20 7946 0958\"},"
		 "\"100234\":{\"ssn\":\"536-22-1234\"}}}");
	assert_int_equal(at(r, SENSITIVE_EMAIL, "by_user"), 1);
	assert_int_equal(at(r, SENSITIVE_PHONE, "by_user.*.phone"), 1);
	assert_int_equal(at(r, SENSITIVE_SSN, "by_user.*.ssn"), 1);
	/* Escaped quotes do not end strings; JSON lines are several documents. */
	r = json("{\"note\":\"say \\\"hi\\\" to a@example.com\",\"k\\\"\":1}\n{\"email\":"
		 "\"b@example.com\"}\n");
	assert_int_equal(at(r, SENSITIVE_EMAIL, "note"), 1);
	assert_int_equal(at(r, SENSITIVE_EMAIL, "email"), 1);
	assert_int_equal(r->flags, 0);
	/* Strings are scanned as sent: escapes separate tokens, they do not glue to them. */
	r = json("{\"log\":\"k:\\nAKIAIOSFODNN7EXAMPLE\\n+44 20 7946 0958\\t"
		 "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2ln\\u00404111 1111 1111 1111\"}");
	assert_int_equal(r->types, (1u << SENSITIVE_AWS_KEY) | (1u << SENSITIVE_PHONE) |
					   (1u << SENSITIVE_JWT) | (1u << SENSITIVE_CARD));
}

static void test_json_invalid_and_truncated(void **state)
{
	const sensitive_report_t *r;
	char deep[512];
	int i;

	(void)state;
	/* Broken grammar: the rest is text, keys in it still give context. */
	r = json("{\"a\": nope, \"phone\": \"4155552671\", password: \"x\", \"m\": \"a@b.org\"}");
	assert_true(r->flags & SENSITIVE_F_JSON_INVALID);
	assert_int_equal(r->counts[SENSITIVE_PHONE], 1);
	assert_int_equal(r->counts[SENSITIVE_SECRET], 1);
	assert_int_equal(r->counts[SENSITIVE_EMAIL], 1);
	/* Cut inside a string: the part seen is scanned under its path. */
	r = json("{\"items\":[{\"email\":\"ann@example.com\"},{\"note\":\"call +1 415 555 2671");
	assert_true(r->flags & SENSITIVE_F_JSON_TRUNCATED);
	assert_false(r->flags & SENSITIVE_F_JSON_INVALID);
	assert_int_equal(at(r, SENSITIVE_EMAIL, "items[].email"), 1);
	assert_int_equal(at(r, SENSITIVE_PHONE, "items[].note"), 1);
	r = json("{\"a\":{\"b\":tr");
	assert_true(r->flags & SENSITIVE_F_JSON_TRUNCATED);
	assert_false(r->flags & SENSITIVE_F_JSON_INVALID);
	/* Nesting past the cap. */
	for (i = 0; i < 40; i++)
		deep[i] = '[';
	strcpy(deep + 40, "\"a@example.com\"]");
	r = json(deep);
	assert_true(r->flags & SENSITIVE_F_DEPTH);
	assert_int_equal(r->counts[SENSITIVE_EMAIL], 1);
	/* Not JSON at all. */
	r = json("email=a@example.com");
	assert_true(r->flags & SENSITIVE_F_JSON_INVALID);
	assert_int_equal(at(r, SENSITIVE_EMAIL, "email"), 1);
}

/* Every prefix of a document scans without harm, and the findings only grow. */
static void test_json_every_cut(void **state)
{
	static const char doc[] =
		"{\"users\":[{\"email\":\"a@example.com\",\"card\":{\"number\":\"4111 1111 1111 "
		"1111\"},\"tags\":[true,false,null,1.5e3]},{\"ssn\":\"536-22-1234\"}]}";
	uint32_t prev = 0, total;
	size_t n;

	(void)state;
	for (n = 0; n <= sizeof(doc) - 1; n++) {
		sensitive_report_reset(&rep);
		sensitive_scan(NULL, &rep, SENSITIVE_SRC_JSON, doc, n);
		total = rep.counts[SENSITIVE_EMAIL] + rep.counts[SENSITIVE_CARD] +
			rep.counts[SENSITIVE_SSN];
		assert_true(total + 1 >= prev);
		assert_false(rep.flags & SENSITIVE_F_JSON_INVALID);
		assert_int_equal(!!(rep.flags & SENSITIVE_F_JSON_TRUNCATED),
				 n > 0 && n < sizeof(doc) - 1);
		prev = total;
	}
	assert_int_equal(total, 3);
}

static void test_finding_cap(void **state)
{
	sensitive_config_t cfg;
	char buf[4096];
	size_t o = 0;
	int i;

	(void)state;
	o += (size_t)sprintf(buf + o, "{");
	for (i = 0; i < 40; i++)
		o += (size_t)sprintf(buf + o, "%s\"k%c%c\":\"u@example.com\"", i ? "," : "",
				     'a' + i / 26, 'a' + i % 26);
	sprintf(buf + o, "}");
	json(buf);
	assert_int_equal(rep.nfindings, SENSITIVE_MAX_FINDINGS);
	assert_int_equal(rep.findings_dropped, 40 - SENSITIVE_MAX_FINDINGS);
	assert_int_equal(rep.counts[SENSITIVE_EMAIL], 40);
	assert_true(rep.flags & SENSITIVE_F_FINDINGS_CUT);

	sensitive_config_default(&cfg);
	cfg.max_findings = 4;
	sensitive_report_reset(&rep);
	sensitive_scan(&cfg, &rep, SENSITIVE_SRC_JSON, buf, strlen(buf));
	assert_int_equal(rep.nfindings, 4);
	assert_int_equal(rep.findings_dropped, 36);
	/* Repeats at a kept path are counted there, not dropped. */
	json("[\"a@example.com\",\"b@example.com\",\"c@example.com\"]");
	assert_int_equal(rep.nfindings, 1);
	assert_int_equal(rep.findings[0].count, 3);
}

static void test_path_cap(void **state)
{
	sensitive_config_t cfg;
	static const char doc[] =
		"{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":{\"bbbbbbbbbbbbbbbbbbbb"
		"bbbbbbbbbbbbbbbbbbbb\":{\"cccccccccccccccccccccccccccccccccccc\":"
		"\"ann@example.com\"}},\"d\":\"b@example.com\"}";

	(void)state;
	json(doc);
	assert_int_equal(rep.nfindings, 2);
	assert_int_equal(rep.findings[0].path_len, SENSITIVE_MAX_PATH);
	assert_int_equal(strlen(rep.findings[0].path), SENSITIVE_MAX_PATH);
	assert_true(rep.findings[0].flags & SENSITIVE_FINDING_F_PATH_CUT);
	assert_true(rep.flags & SENSITIVE_F_PATH_CUT);
	assert_int_equal(rep.paths_cut, 1);
	/* The cut does not leak into the next key. */
	assert_int_equal(at(&rep, SENSITIVE_EMAIL, "d"), 1);
	assert_int_equal(rep.findings[1].flags, 0);

	sensitive_config_default(&cfg);
	cfg.max_path = 8;
	sensitive_report_reset(&rep);
	sensitive_scan(&cfg, &rep, SENSITIVE_SRC_JSON, doc, sizeof(doc) - 1);
	assert_string_equal(rep.findings[0].path, "aaaaaaaa");
}

/* No byte sequence of a value reaches the report. */
static void test_no_values_in_report(void **state)
{
	static const char *const values[] = {
		"ann@example.com",	  "4111 1111 1111 1111",  "536-22-1234", "hunter2",
		"GB82WEST12345698765432", "AKIAIOSFODNN7EXAMPLE", "4155552671",
	};
	const char *doc = "{\"email\":\"ann@example.com\",\"card\":\"4111 1111 1111 1111\","
			  "\"ssn\":\"536-22-1234\",\"password\":\"hunter2\",\"iban\":"
			  "\"GB82WEST12345698765432\",\"aws\":\"AKIAIOSFODNN7EXAMPLE\","
			  "\"phone\":\"4155552671\",\"ann@example.com\":1,\"4155552671\":2}";
	size_t i;

	(void)state;
	json(doc);
	assert_int_equal(rep.types, (1u << SENSITIVE_EMAIL) | (1u << SENSITIVE_CARD) |
					    (1u << SENSITIVE_SSN) | (1u << SENSITIVE_SECRET) |
					    (1u << SENSITIVE_IBAN) | (1u << SENSITIVE_AWS_KEY) |
					    (1u << SENSITIVE_PHONE));
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		assert_null(memmem(&rep, sizeof(rep), values[i], strlen(values[i])));
}

/* CPU time to scan each hostile pattern repeated over size bytes, as text. */
static double hostile_seconds(char *buf, size_t size)
{
	static const char *const unit[] = {"a-",       "xoxb-", "AIza-", "ab.", "aaaaaaaaaaaaaaaa.",
					   "abc-def.", "GB82 ", "1 ",	 "12-", "a@b."};
	clock_t t0 = clock();
	size_t u, o;

	for (u = 0; u < sizeof(unit) / sizeof(unit[0]); u++) {
		size_t l = strlen(unit[u]);

		for (o = 0; o + l <= size; o += l)
			memcpy(buf + o, unit[u], l);
		sensitive_report_reset(&rep);
		sensitive_scan(NULL, &rep, SENSITIVE_SRC_TEXT, buf, o);
	}
	return (double)(clock() - t0) / CLOCKS_PER_SEC;
}

/* Hostile bodies: one long run with a token start every few bytes. Eight times the input
 * must cost about eight times the time, not sixty-four (a ratio, so that sanitizers, valgrind
 * and loaded machines do not matter). */
static void test_hostile_linear(void **state)
{
	const size_t big = 1u << 19;
	char *buf = malloc(big);
	double small_s, big_s;

	(void)state;
	assert_non_null(buf);
	small_s = hostile_seconds(buf, big / 8);
	big_s = hostile_seconds(buf, big);
	free(buf);
	assert_true(big_s < 24.0 * small_s + 0.05);
}

static void test_config(void **state)
{
	sensitive_config_t cfg;

	(void)state;
	sensitive_config_default(&cfg);
	cfg.types = SENSITIVE_ALL & ~(1u << SENSITIVE_EMAIL);
	sensitive_report_reset(&rep);
	sensitive_scan(&cfg, &rep, SENSITIVE_SRC_TEXT, "a@example.com 536-22-1234", 25);
	assert_false(found(&rep, SENSITIVE_EMAIL));
	assert_true(found(&rep, SENSITIVE_SSN));
	/* max_scan: the rest is not read. */
	cfg.types = SENSITIVE_ALL;
	cfg.max_scan = 10;
	sensitive_report_reset(&rep);
	sensitive_scan(&cfg, &rep, SENSITIVE_SRC_TEXT, "xxxxxxxxxx a@example.com", 24);
	assert_int_equal(rep.types, 0);
	assert_true(rep.flags & SENSITIVE_F_SCAN_CUT);
	/* Reports add up over scans. */
	sensitive_report_reset(&rep);
	sensitive_scan(NULL, &rep, SENSITIVE_SRC_QUERY, "e=a%40example.com", 17);
	sensitive_scan(NULL, &rep, SENSITIVE_SRC_JSON, "{\"e\":\"a@example.com\"}", 21);
	assert_int_equal(rep.nfindings, 2);
	assert_int_equal(rep.counts[SENSITIVE_EMAIL], 2);
	assert_string_equal(sensitive_type_name(SENSITIVE_CARD), "card");
	assert_string_equal(sensitive_type_name(SENSITIVE__COUNT), "unknown");
	/* Odd arguments are survived. */
	sensitive_scan(NULL, NULL, SENSITIVE_SRC_TEXT, "a", 1);
	sensitive_scan(NULL, &rep, SENSITIVE_SRC__COUNT, "a", 1);
	sensitive_scan_header(NULL, &rep, NULL, 0, "a@example.com", 13);
	assert_int_equal(at(&rep, SENSITIVE_EMAIL, ""), 1);
	sensitive_scan_header(NULL, &rep, "h", 1, NULL, 0);
}

static void test_helpers(void **state)
{
	uint8_t out[16];
	size_t len;
	const char *j = "{\"a\":\"x\",\"b\":{\"c\":[1,\"}\"]},\"d\":12,\"e\":true}";
	size_t off = 0;
	aw_slice_t k, v, part[3];
	int kind, n = 0;

	(void)state;
	assert_int_equal(sensitive__b64_decode(out, sizeof(out), &len, "aGk6dGhlcmU=", 12), 0);
	assert_int_equal(len, 8);
	assert_memory_equal(out, "hi:there", 8);
	assert_int_equal(sensitive__b64_decode(out, sizeof(out), &len, "aGk6dGhlcmU", 11), 0);
	assert_int_equal(sensitive__b64_decode(out, 4, &len, "aGk6dGhlcmU", 11), 1);
	assert_int_equal(len, 4);
	assert_int_equal(sensitive__b64_decode(out, sizeof(out), &len, "aGk*", 4), AW_EMALFORMED);
	assert_int_equal(sensitive__b64_decode(out, sizeof(out), &len, "aGk6d", 5), AW_EMALFORMED);
	assert_int_equal(sensitive__b64_decode(out, sizeof(out), &len, "a=b=", 4), AW_EMALFORMED);

	while (sensitive__json_member(j, strlen(j), &off, &k, &v, &kind) > 0)
		n++;
	assert_int_equal(n, 4);
	off = 0;
	assert_int_equal(sensitive__json_member("[1]", 3, &off, &k, &v, &kind), AW_EMALFORMED);
	off = 0;
	assert_int_equal(sensitive__json_member("{\"a\":\"x", 7, &off, &k, &v, &kind),
			 AW_EMALFORMED);
	off = 0;
	assert_int_equal(sensitive__json_member("{}", 2, &off, &k, &v, &kind), 0);
	assert_int_equal(sensitive__jwt_split("abcdefghijklmnop.ab.", 20, part), 1);
	assert_int_equal(part[2].len, 0);
	assert_int_equal(sensitive__jwt_split("abcdefghijklmnop.ab", 19, part), 0);
	assert_int_equal(sensitive__jwt_split("abcdefghijklmnop.ab.c.d", 23, part), 0);
	assert_int_equal(sensitive__jwt_split("abcdefghijklmnopq.ab.", 21, part), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_email),
		cmocka_unit_test(test_phone_formatted),
		cmocka_unit_test(test_phone_key_context),
		cmocka_unit_test(test_card),
		cmocka_unit_test(test_card_key_context),
		cmocka_unit_test(test_ssn),
		cmocka_unit_test(test_iban),
		cmocka_unit_test(test_vin),
		cmocka_unit_test(test_jwt),
		cmocka_unit_test(test_private_key),
		cmocka_unit_test(test_prefixed_keys),
		cmocka_unit_test(test_gcp_service_account),
		cmocka_unit_test(test_secret_json),
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_text_keys),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_json_paths),
		cmocka_unit_test(test_json_invalid_and_truncated),
		cmocka_unit_test(test_json_every_cut),
		cmocka_unit_test(test_finding_cap),
		cmocka_unit_test(test_path_cap),
		cmocka_unit_test(test_no_values_in_report),
		cmocka_unit_test(test_hostile_linear),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

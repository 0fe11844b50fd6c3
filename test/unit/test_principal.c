/*
 * test_principal.c - the principal of a request: each kind of credential, their ranking,
 * malformed credentials, JWT header and claim reporting, the keyed hash (stable, keyed, never
 * the secret), forwarding headers from trusted and untrusted peers, CIDR and address parsing.
 */
#include "test_common.h"

#include <arpa/inet.h>

#include "error.h"
#include "principal.h"

#define MAXH 8

static principal_config_t cfg;
static principal_t out;
static api_header_t hdrs[MAXH];
static size_t nhdrs;
static net_addr_t peer;
static int peer_ver;

static int setup(void **state)
{
	int i;

	(void)state;
	principal_config_default(&cfg);
	for (i = 0; i < SIPHASH_KEY_LEN; i++)
		cfg.hash_key[i] = (uint8_t)(0xa0 + i);
	nhdrs = 0;
	memset(&peer, 0, sizeof(peer));
	peer_ver = 4;
	inet_pton(AF_INET, "198.51.100.20", peer.b);
	return 0;
}

static void hdr(const char *name, const char *value)
{
	hdrs[nhdrs].name.ptr = name;
	hdrs[nhdrs].name.len = strlen(name);
	hdrs[nhdrs].value.ptr = value;
	hdrs[nhdrs].value.len = strlen(value);
	nhdrs++;
}

static void set_peer(const char *a)
{
	memset(&peer, 0, sizeof(peer));
	peer_ver = strchr(a, ':') ? 6 : 4;
	assert_int_equal(inet_pton(peer_ver == 4 ? AF_INET : AF_INET6, a, peer.b), 1);
}

/* Runs with the current headers, an optional query and the peer. */
/* The memo shared by every test: each request is also run through it twice (a miss, then a
 * hit, with whatever earlier tests left in it) and must give the very same result, into a
 * result that holds the previous request's (as the inventory's does). */
static principal_memo_t memo;
static principal_t with_memo;

static const principal_t *run(const char *query)
{
	int i;

	assert_int_equal(principal_from_request(&cfg, &out, hdrs, nhdrs, query,
						query ? strlen(query) : 0, &peer, peer_ver),
			 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(principal_from_request_memo(&cfg, &memo, &with_memo, hdrs, nhdrs,
							     query, query ? strlen(query) : 0,
							     &peer, peer_ver),
				 0);
		assert_memory_equal(&with_memo, &out, sizeof(out));
	}
	return &out;
}

static void b64(char *o, const char *in, int url)
{
	const char *a = url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
			    : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(in), i;

	for (i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)(uint8_t)in[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)(uint8_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= (uint8_t)in[i + 2];
		*o++ = a[v >> 18];
		*o++ = a[(v >> 12) & 63];
		*o++ = i + 1 < n ? a[(v >> 6) & 63] : url ? '\0' : '=';
		*o++ = i + 2 < n ? a[v & 63] : url ? '\0' : '=';
	}
	*o = '\0';
}

/* "Bearer <jwt>" in buf (BEARER_MAX bytes). */
#define BEARER_MAX 4096

static const char *bearer(char *buf, const char *header, const char *payload, const char *sig)
{
	char h[512], p[1024];

	b64(h, header, 1);
	b64(p, payload, 1);
	snprintf(buf, BEARER_MAX, "Bearer %s.%s.%s", h, p, sig);
	return buf;
}

static const char *basic(char *buf, const char *userpass)
{
	strcpy(buf, "Basic ");
	b64(buf + 6, userpass, 0);
	return buf;
}

/* The id is a kind prefix, "p:" and 16 hex digits. */
static void assert_hashed(const principal_t *p, const char *kind)
{
	size_t k = strlen(kind), i;

	assert_int_equal(strlen(p->id), k + 3 + 16);
	assert_memory_equal(p->id, kind, k);
	assert_memory_equal(p->id + k, ":p:", 3);
	for (i = k + 3; i < k + 19; i++)
		assert_non_null(strchr("0123456789abcdef", p->id[i]));
}

/* ------------------------------------------------------------------------------------------ */

static void test_jwt_subject(void **state)
{
	char a[BEARER_MAX];

	(void)state;
	hdr("authorization",
	    bearer(a, "{\"alg\":\"RS256\",\"typ\":\"JWT\"}",
		   "{\"iss\":\"https://id.example\",\"sub\":\"user-17\",\"iat\":1700000000,"
		   "\"realm_access\":{\"roles\":[\"a\",\"b\"]},\"scope\":\"read\"}",
		   "c2lnbmF0dXJl"));
	run(NULL);
	assert_int_equal(out.kind, PRINCIPAL_JWT);
	assert_int_equal(out.auth, PRINCIPAL_AUTH_BEARER_JWT);
	assert_int_equal(out.auth_seen, 1u << PRINCIPAL_AUTH_BEARER_JWT);
	assert_hashed(&out, "jwt");
	assert_string_equal(out.jwt_alg, "RS256");
	assert_int_equal(out.flags, 0);
	assert_int_equal(out.nclaims, 5);
	assert_string_equal(out.claims[0], "iss");
	assert_string_equal(out.claims[1], "sub");
	assert_string_equal(out.claims[3], "realm_access");
	assert_null(strstr(out.id, "user-17"));
}

static void test_jwt_flags(void **state)
{
	char a[BEARER_MAX], id[PRINCIPAL_ID_LEN];

	(void)state;
	hdr("Authorization", bearer(a, "{\"alg\":\"none\"}", "{\"sub\":\"u1\"}", ""));
	run(NULL);
	assert_int_equal(out.kind, PRINCIPAL_JWT);
	assert_true(out.flags & PRINCIPAL_F_JWT_ALG_NONE);
	assert_true(out.flags & PRINCIPAL_F_JWT_NO_SIGNATURE);
	assert_string_equal(out.jwt_alg, "none");
	strcpy(id, out.id);

	/* The same subject from another issuer is another principal; without one, the same. */
	nhdrs = 0;
	hdr("Authorization",
	    bearer(a, "{\"typ\":\"JWT\"}", "{\"sub\":\"u1\",\"iss\":\"x\"}", "AA"));
	run(NULL);
	assert_true(out.flags & PRINCIPAL_F_JWT_NO_ALG);
	assert_false(out.flags & PRINCIPAL_F_JWT_NO_SIGNATURE);
	assert_string_not_equal(out.id, id);
	nhdrs = 0;
	hdr("Authorization", bearer(a, "{\"alg\":\"HS256\"}", "{\"sub\":\"u1\"}", "AAAA"));
	run(NULL);
	assert_string_equal(out.id, id);

	/* No subject: the client application names the caller. */
	nhdrs = 0;
	hdr("Authorization", bearer(a, "{\"alg\":\"HS256\"}", "{\"client_id\":\"app-9\"}", "AA"));
	run(NULL);
	assert_int_equal(out.kind, PRINCIPAL_JWT);
	/* No identity claim at all: the token itself, flagged. */
	nhdrs = 0;
	hdr("Authorization", bearer(a, "{\"alg\":\"HS256\"}", "{\"scope\":\"x\",\"exp\":1}", "AA"));
	run(NULL);
	assert_int_equal(out.kind, PRINCIPAL_BEARER);
	assert_int_equal(out.auth, PRINCIPAL_AUTH_BEARER_JWT);
	assert_true(out.flags & PRINCIPAL_F_JWT_NO_SUBJECT);
	assert_hashed(&out, "bearer");
}

static void test_jwt_claims_cut(void **state)
{
	char a[BEARER_MAX], payload[2048];
	size_t o = 0;
	int i;

	(void)state;
	o += (size_t)sprintf(payload, "{\"sub\":\"s\",\"a_claim_name_longer_than_the_cap\":0");
	for (i = 0; i < 20; i++)
		o += (size_t)sprintf(payload + o, ",\"claim_%02d\":%d", i, i);
	o += (size_t)sprintf(payload + o, ",\"a_very_long_claim_name_past_the_cap\":1}");
	hdr("Authorization", bearer(a, "{\"alg\":\"ES256\"}", payload, "AA"));
	run(NULL);
	assert_int_equal(out.kind, PRINCIPAL_JWT);
	assert_int_equal(out.nclaims, PRINCIPAL_MAX_CLAIMS);
	assert_true(out.flags & PRINCIPAL_F_CLAIMS_CUT);
}

static void test_jwt_malformed(void **state)
{
	char a[BEARER_MAX];

	(void)state;
	/* JWT-shaped, but the header is not JSON. */
	hdr("Authorization", bearer(a, "not json at all!!", "{\"sub\":\"u1\"}", "AA"));
	run(NULL);
	assert_int_equal(out.kind, PRINCIPAL_BEARER);
	assert_int_equal(out.auth, PRINCIPAL_AUTH_BEARER_OPAQUE);
	assert_true(out.flags & PRINCIPAL_F_JWT_MALFORMED);
	/* The payload is not JSON. */
	nhdrs = 0;
	hdr("Authorization", bearer(a, "{\"alg\":\"HS256\"}", "[\"sub\",\"u1\"]", "AA"));
	run(NULL);
	assert_int_equal(out.kind, PRINCIPAL_BEARER);
	assert_true(out.flags & PRINCIPAL_F_JWT_MALFORMED);
	/* Opaque tokens, odd schemes, empty credentials. */
	nhdrs = 0;
	hdr("Authorization", "bearer   2YotnFZFEjr1zCsicMWpAA  ");
	run(NULL);
	assert_int_equal(out.kind, PRINCIPAL_BEARER);
	assert_int_equal(out.auth_seen, 1u << PRINCIPAL_AUTH_BEARER_OPAQUE);
	nhdrs = 0;
	hdr("Authorization", "Digest username=\"x\", realm=\"r\"");
	run(NULL);
	assert_int_equal(out.kind, PRINCIPAL_IP);
	assert_true(out.flags & PRINCIPAL_F_AUTH_OTHER);
	nhdrs = 0;
	hdr("Authorization", "Bearer");
	hdr("Authorization", "Bearer second-is-ignored");
	run(NULL);
	assert_int_equal(out.kind, PRINCIPAL_IP);
	assert_string_equal(out.id, "ip:198.51.100.20");
}

static void test_basic(void **state)
{
	static const char *const bad[] = {"Basic !!!notbase64", "Basic YWxpY2U=", "Basic OnB3",
					  "Basic YWx"};
	char a[256], id[PRINCIPAL_ID_LEN];
	size_t i;

	(void)state;
	hdr("Authorization", basic(a, "alice:s3cret"));
	run(NULL);
	assert_int_equal(out.kind, PRINCIPAL_BASIC);
	assert_int_equal(out.auth, PRINCIPAL_AUTH_BASIC);
	assert_true(out.flags & PRINCIPAL_F_BASIC_PASSWORD);
	assert_hashed(&out, "basic");
	assert_null(strstr(out.id, "alice"));
	assert_null(memmem(&out, sizeof(out), "s3cret", 6));
	assert_null(memmem(&out, sizeof(out), "alice", 5));
	strcpy(id, out.id);
	/* The user is the principal, whatever the password. */
	nhdrs = 0;
	hdr("Authorization", basic(a, "alice:other"));
	run(NULL);
	assert_string_equal(out.id, id);
	nhdrs = 0;
	hdr("Authorization", basic(a, "alice:"));
	run(NULL);
	assert_string_equal(out.id, id);
	assert_false(out.flags & PRINCIPAL_F_BASIC_PASSWORD);

	/* Malformed: bad base64, no colon, empty user. The address is used then. */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		nhdrs = 0;
		hdr("Authorization", bad[i]);
		run(NULL);
		assert_int_equal(out.kind, PRINCIPAL_IP);
		assert_true(out.flags & PRINCIPAL_F_BASIC_MALFORMED);
		assert_int_equal(out.auth_seen, 1u << PRINCIPAL_AUTH_BASIC);
	}
}

static void test_apikey(void **state)
{
	char id[PRINCIPAL_ID_LEN];

	(void)state;
	hdr("X-API-Key", "  k-123456  ");
	run(NULL);
	assert_int_equal(out.kind, PRINCIPAL_APIKEY);
	assert_int_equal(out.auth, PRINCIPAL_AUTH_APIKEY_HEADER);
	assert_hashed(&out, "apikey");
	strcpy(id, out.id);
	/* The same key in the query is the same principal, flagged as a token in the query. */
	nhdrs = 0;
	run("page=2&API_KEY=k-123456");
	assert_string_equal(out.id, id);
	assert_int_equal(out.auth, PRINCIPAL_AUTH_APIKEY_QUERY);
	assert_true(out.flags & PRINCIPAL_F_TOKEN_IN_QUERY);
	/* A header key is preferred to a query key. */
	hdr("apikey", "k-header");
	run("key=k-query");
	assert_int_equal(out.auth, PRINCIPAL_AUTH_APIKEY_HEADER);
	assert_int_equal(out.auth_seen, (1u << PRINCIPAL_AUTH_APIKEY_HEADER) |
						(1u << PRINCIPAL_AUTH_APIKEY_QUERY));
	/* "Authorization: Token ..." is an API key too. */
	nhdrs = 0;
	hdr("Authorization", "Token k-123456");
	run(NULL);
	assert_string_equal(out.id, id);
	/* Empty values and unlisted names are nothing. */
	nhdrs = 0;
	hdr("X-Api-Key", "");
	hdr("X-Not-A-Key", "k");
	run("api_key=&keys=1");
	assert_int_equal(out.kind, PRINCIPAL_IP);
	assert_int_equal(out.auth_seen, 0);
	/* Configured names replace the defaults. */
	assert_int_equal(principal_config_set_names(&cfg, PRINCIPAL_LIST_HEADER, "X-Tenant-Key"),
			 0);
	nhdrs = 0;
	hdr("x-tenant-key", "t1");
	hdr("X-API-Key", "k-123456");
	run(NULL);
	assert_int_equal(out.kind, PRINCIPAL_APIKEY);
	assert_string_not_equal(out.id, id);
	assert_int_equal(principal_config_set_names(&cfg, PRINCIPAL_LIST_QUERY, "a,,b"),
			 AW_ECONFIG);
	assert_int_equal(principal_config_set_names(&cfg, PRINCIPAL_LIST_QUERY,
						    "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q"),
			 AW_ELIMIT);
	assert_int_equal(principal_config_set_names(&cfg, PRINCIPAL_LIST_QUERY, NULL), AW_EINVAL);
}

static void test_query_jwt(void **state)
{
	char a[BEARER_MAX], q[BEARER_MAX + 32];

	(void)state;
	bearer(a, "{\"alg\":\"HS256\"}", "{\"sub\":\"u9\"}", "AAAA");
	snprintf(q, sizeof(q), "x=1&access_token=%s", a + 7);
	run(q);
	assert_int_equal(out.kind, PRINCIPAL_JWT);
	assert_int_equal(out.auth, PRINCIPAL_AUTH_APIKEY_QUERY);
	assert_true(out.flags & PRINCIPAL_F_TOKEN_IN_QUERY);
	assert_string_equal(out.jwt_alg, "HS256");
}

static void test_cookie(void **state)
{
	char id[PRINCIPAL_ID_LEN];

	(void)state;
	hdr("Cookie", "theme=dark; JSESSIONID=ABC123DEF; lang=en");
	run(NULL);
	assert_int_equal(out.kind, PRINCIPAL_COOKIE);
	assert_int_equal(out.auth, PRINCIPAL_AUTH_COOKIE);
	assert_hashed(&out, "cookie");
	assert_null(strstr(out.id, "ABC123DEF"));
	strcpy(id, out.id);
	/* Names compare without case; the name is part of the hash. */
	nhdrs = 0;
	hdr("cookie", "jsessionid=\"ABC123DEF\"");
	run(NULL);
	assert_string_equal(out.id, id);
	nhdrs = 0;
	hdr("Cookie", "PHPSESSID=ABC123DEF");
	run(NULL);
	assert_string_not_equal(out.id, id);
	/* Rails-style names by suffix; the first session cookie of the request wins. */
	nhdrs = 0;
	hdr("Cookie", "a=1");
	hdr("Cookie", "_shop_session=xyz; sid=other");
	run(NULL);
	assert_int_equal(out.kind, PRINCIPAL_COOKIE);
	strcpy(id, out.id);
	nhdrs = 0;
	hdr("Cookie", "_shop_session=xyz");
	run(NULL);
	assert_string_equal(out.id, id);
	/* Not session cookies, or empty ones. */
	nhdrs = 0;
	hdr("Cookie", "theme=dark; sid=; ;=x; session");
	run(NULL);
	assert_int_equal(out.kind, PRINCIPAL_IP);
	/* A configured list. */
	assert_int_equal(principal_config_set_names(&cfg, PRINCIPAL_LIST_COOKIE, "auth_ck"), 0);
	cfg.cookie_suffix = 0;
	nhdrs = 0;
	hdr("Cookie", "JSESSIONID=1; _x_session=2; AUTH_CK=3");
	run(NULL);
	assert_int_equal(out.kind, PRINCIPAL_COOKIE);
	nhdrs = 0;
	hdr("Cookie", "JSESSIONID=1; _x_session=2");
	run(NULL);
	assert_int_equal(out.kind, PRINCIPAL_IP);
}

static void test_precedence(void **state)
{
	char a[BEARER_MAX], b[256];

	(void)state;
	bearer(a, "{\"alg\":\"HS256\"}", "{\"sub\":\"u1\"}", "AAAA");
	hdr("Cookie", "session=s1");
	hdr("X-API-Key", "k1");
	hdr("Authorization", a);
	run("api_key=k2");
	assert_int_equal(out.kind, PRINCIPAL_JWT);
	assert_int_equal(out.auth_seen, (1u << PRINCIPAL_AUTH_BEARER_JWT) |
						(1u << PRINCIPAL_AUTH_COOKIE) |
						(1u << PRINCIPAL_AUTH_APIKEY_HEADER) |
						(1u << PRINCIPAL_AUTH_APIKEY_QUERY));
	nhdrs = 0;
	hdr("Cookie", "session=s1");
	hdr("Authorization", basic(b, "bob:pw"));
	hdr("X-API-Key", "k1");
	run(NULL);
	assert_int_equal(out.kind, PRINCIPAL_BASIC);
	nhdrs = 0;
	hdr("Cookie", "session=s1");
	hdr("X-API-Key", "k1");
	run(NULL);
	assert_int_equal(out.kind, PRINCIPAL_APIKEY);
	nhdrs = 0;
	hdr("Cookie", "session=s1");
	hdr("Authorization", "Bearer opaque-token-1");
	run(NULL);
	assert_int_equal(out.kind, PRINCIPAL_BEARER);
	nhdrs = 0;
	hdr("Cookie", "session=s1");
	run(NULL);
	assert_int_equal(out.kind, PRINCIPAL_COOKIE);
	nhdrs = 0;
	run(NULL);
	assert_int_equal(out.kind, PRINCIPAL_IP);
	assert_int_equal(out.auth, PRINCIPAL_AUTH_NONE);
	assert_string_equal(out.id, "ip:198.51.100.20");
	/* Nothing at all. */
	assert_int_equal(principal_from_request(&cfg, &out, NULL, 0, NULL, 0, NULL, 0), 0);
	assert_int_equal(out.kind, PRINCIPAL_NONE);
	assert_string_equal(out.id, "");
}

static void test_hash_keyed(void **state)
{
	char id1[PRINCIPAL_ID_LEN], id2[PRINCIPAL_ID_LEN];

	(void)state;
	hdr("X-API-Key", "0123456789abcdef");
	run(NULL);
	strcpy(id1, out.id);
	/* Never the key in clear, even when it looks like hex. */
	assert_null(strstr(out.id, "0123456789abcdef"));
	run(NULL);
	assert_string_equal(out.id, id1);
	cfg.hash_key[0] ^= 1;
	run(NULL);
	strcpy(id2, out.id);
	assert_string_not_equal(id1, id2);
	cfg.hash_key[0] ^= 1;
	run(NULL);
	assert_string_equal(out.id, id1);
	/* Another secret, or the same secret as another kind, is another principal. */
	nhdrs = 0;
	hdr("X-API-Key", "0123456789abcdeg");
	run(NULL);
	assert_string_not_equal(out.id + 9, id1 + 9);
	nhdrs = 0;
	hdr("Authorization", "Bearer 0123456789abcdef");
	run(NULL);
	assert_string_not_equal(out.id + 9, id1 + 9);
}

static void test_forwarded(void **state)
{
	(void)state;
	assert_int_equal(principal_config_set_trusted(&cfg, "10.0.0.0/8, 192.168.0.0/16,fd00::/8"),
			 0);
	assert_int_equal(cfg.ntrusted, 3);

	/* From a trusted proxy: the right-most address that is not a proxy. */
	set_peer("10.1.2.3");
	hdr("X-Forwarded-For", "1.2.3.4, 203.0.113.7, 10.9.9.9");
	run(NULL);
	assert_string_equal(out.id, "ip:203.0.113.7");
	assert_true(out.flags & PRINCIPAL_F_XFF_USED);
	/* Several headers read as one list; ports are dropped. */
	nhdrs = 0;
	hdr("X-Forwarded-For", "203.0.113.8:5555");
	hdr("x-forwarded-for", "192.168.1.1");
	run(NULL);
	assert_string_equal(out.id, "ip:203.0.113.8");
	/* From an untrusted peer: ignored, and said so. */
	set_peer("198.51.100.20");
	nhdrs = 0;
	hdr("X-Forwarded-For", "203.0.113.7");
	run(NULL);
	assert_string_equal(out.id, "ip:198.51.100.20");
	assert_true(out.flags & PRINCIPAL_F_XFF_IGNORED);
	assert_false(out.flags & PRINCIPAL_F_XFF_USED);
	/* An entry that is no address stops the walk at the last good hop. */
	set_peer("10.1.2.3");
	nhdrs = 0;
	hdr("X-Forwarded-For", "unknown, 10.7.7.7");
	run(NULL);
	assert_string_equal(out.id, "ip:10.7.7.7");
	assert_true(out.flags & PRINCIPAL_F_XFF_INVALID);
	nhdrs = 0;
	hdr("X-Forwarded-For", "");
	run(NULL);
	assert_string_equal(out.id, "ip:10.1.2.3");
	/* IPv6 proxies and clients. */
	set_peer("fd12:3456::1");
	nhdrs = 0;
	hdr("X-Forwarded-For", "2001:db8::17");
	run(NULL);
	assert_string_equal(out.id, "ip:2001:db8::17");
	assert_int_equal(out.ip_version, 6);
	set_peer("fe80::1");
	run(NULL);
	assert_string_equal(out.id, "ip:fe80::1");
	/* RFC 7239 Forwarded wins over X-Forwarded-For. */
	set_peer("192.168.0.1");
	nhdrs = 0;
	hdr("X-Forwarded-For", "203.0.113.99");
	hdr("Forwarded",
	    "for=192.0.2.60;proto=http;by=203.0.113.43, For=\"[2001:db8:cafe::17]:4711\"");
	run(NULL);
	assert_string_equal(out.id, "ip:2001:db8:cafe::17");
	nhdrs = 0;
	hdr("Forwarded", "proto=https;by=10.0.0.1");
	run(NULL);
	assert_string_equal(out.id, "ip:192.168.0.1");
	assert_true(out.flags & PRINCIPAL_F_XFF_INVALID);
	nhdrs = 0;
	hdr("Forwarded", "for=unknown");
	run(NULL);
	assert_string_equal(out.id, "ip:192.168.0.1");
	assert_true(out.flags & PRINCIPAL_F_XFF_INVALID);
	/* The effective address is kept beside a credential principal. */
	nhdrs = 0;
	hdr("X-Forwarded-For", "203.0.113.7");
	hdr("Cookie", "sid=1");
	run(NULL);
	assert_int_equal(out.kind, PRINCIPAL_COOKIE);
	assert_int_equal(out.ip_version, 4);
	assert_memory_equal(out.client.b, "\xcb\x00\x71\x07", 4);
}

static void test_cidr(void **state)
{
	static const char *const bad[] = {"10.0.0.0/33", "banana",	"fd00::/129",
					  "10.0.0.0/",	 "10.0.0.0/8x", "::ffff:10.0.0.0/80",
					  "1.2.3.4/0008"};
	net_addr_t a;
	char list[1024];
	size_t o = 0;
	int i;

	(void)state;
	assert_int_equal(principal_config_set_trusted(&cfg, "10.1.2.3/8 ,::ffff:172.16.0.0/108,"
							    "2001:db8::/32, , 127.0.0.1,"),
			 0);
	assert_int_equal(cfg.ntrusted, 4);
	assert_int_equal(principal_addr_parse(&a, "10.200.0.1", 10), 4);
	assert_true(principal_addr_trusted(&cfg, &a, 4));
	assert_int_equal(principal_addr_parse(&a, "172.31.255.255", 14), 4);
	assert_true(principal_addr_trusted(&cfg, &a, 4));
	assert_int_equal(principal_addr_parse(&a, "172.32.0.0", 10), 4);
	assert_false(principal_addr_trusted(&cfg, &a, 4));
	assert_int_equal(principal_addr_parse(&a, "2001:db8:ffff::1", 16), 6);
	assert_true(principal_addr_trusted(&cfg, &a, 6));
	assert_int_equal(principal_addr_parse(&a, "2001:db9::1", 11), 6);
	assert_false(principal_addr_trusted(&cfg, &a, 6));
	assert_int_equal(principal_addr_parse(&a, "127.0.0.2", 9), 4);
	assert_false(principal_addr_trusted(&cfg, &a, 4));

	for (i = 0; i < (int)(sizeof(bad) / sizeof(bad[0])); i++)
		assert_int_equal(principal_config_set_trusted(&cfg, bad[i]), AW_ECONFIG);
	assert_int_equal(cfg.ntrusted, 4); /* unchanged */
	for (i = 0; i <= PRINCIPAL_MAX_CIDRS; i++)
		o += (size_t)sprintf(list + o, "10.%d.0.0/16,", i);
	assert_int_equal(principal_config_set_trusted(&cfg, list), AW_ELIMIT);
	assert_int_equal(principal_config_set_trusted(&cfg, ""), 0);
	assert_int_equal(cfg.ntrusted, 0);
	assert_int_equal(principal_config_set_trusted(&cfg, NULL), AW_EINVAL);
	assert_int_equal(principal_config_set_trusted(&cfg, "0.0.0.0/0,::/0"), 0);
	assert_true(principal_addr_trusted(&cfg, &a, 4));
}

static void test_addr_parse(void **state)
{
	net_addr_t a;

	(void)state;
	assert_int_equal(principal_addr_parse(&a, " 203.0.113.7 ", 13), 4);
	assert_memory_equal(a.b, "\xcb\x00\x71\x07\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	assert_int_equal(principal_addr_parse(&a, "203.0.113.7:80", 14), 4);
	assert_int_equal(principal_addr_parse(&a, "[2001:db8::1]:443", 17), 6);
	assert_int_equal(principal_addr_parse(&a, "\"[::1]\"", 7), 6);
	assert_int_equal(principal_addr_parse(&a, "::ffff:203.0.113.7", 18), 4);
	assert_memory_equal(a.b, "\xcb\x00\x71\x07", 4);
	assert_int_equal(principal_addr_parse(&a, "2001:db8::1", 11), 6);
	assert_int_equal(principal_addr_parse(&a, "1.2.3", 5), 0);
	assert_int_equal(principal_addr_parse(&a, "[::1", 4), 0);
	assert_int_equal(principal_addr_parse(&a, "", 0), 0);
	assert_int_equal(principal_addr_parse(&a, "fe80::1%eth0", 12), 0);
	assert_int_equal(principal_addr_parse(&a, "_hidden", 7), 0);
}

static void test_args_and_names(void **state)
{
	(void)state;
	assert_int_equal(principal_from_request(NULL, &out, NULL, 0, NULL, 0, NULL, 0), AW_EINVAL);
	assert_int_equal(principal_from_request(&cfg, NULL, NULL, 0, NULL, 0, NULL, 0), AW_EINVAL);
	assert_int_equal(principal_from_request(&cfg, &out, NULL, 2, NULL, 0, NULL, 0), AW_EINVAL);
	assert_int_equal(principal_from_request(&cfg, &out, NULL, 0, NULL, 3, NULL, 0), AW_EINVAL);
	/* An address of no known version is no address. */
	assert_int_equal(principal_from_request(&cfg, &out, NULL, 0, NULL, 0, &peer, 5), 0);
	assert_int_equal(out.kind, PRINCIPAL_NONE);
	/* Headers without storage are skipped. */
	hdrs[0].name.ptr = NULL;
	hdrs[0].name.len = 0;
	hdrs[0].value.ptr = NULL;
	hdrs[0].value.len = 0;
	nhdrs = 1;
	run(NULL);
	assert_int_equal(out.kind, PRINCIPAL_IP);
	assert_string_equal(principal_kind_name(PRINCIPAL_COOKIE), "cookie");
	assert_string_equal(principal_kind_name(99), "unknown");
	assert_string_equal(principal_auth_name(PRINCIPAL_AUTH_BEARER_OPAQUE), "bearer-opaque");
	assert_string_equal(principal_auth_name(PRINCIPAL_AUTH__COUNT), "unknown");
}

/* The names credentials travelled under, for the inventory's security schemes; never values. */
static void test_credential_names(void **state)
{
	(void)state;
	hdr("X-API-Key", "k-123456");
	hdr("Cookie", "theme=dark; JSESSIONID=abc123");
	run("page=2&API_KEY=secret-value");
	assert_string_equal(out.apikey_header, "x-api-key");
	assert_string_equal(out.apikey_param, "api_key");
	assert_string_equal(out.cookie_name, "jsessionid");

	nhdrs = 0;
	hdr("Authorization", "Token abcdef");
	run(NULL);
	assert_string_equal(out.apikey_header, "authorization");
	assert_string_equal(out.apikey_param, "");
	assert_string_equal(out.cookie_name, "");

	/* An empty key names nothing. */
	nhdrs = 0;
	hdr("X-API-Key", "");
	run("api_key=");
	assert_string_equal(out.apikey_header, "");
	assert_string_equal(out.apikey_param, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_jwt_subject, setup),
		cmocka_unit_test_setup(test_jwt_flags, setup),
		cmocka_unit_test_setup(test_jwt_claims_cut, setup),
		cmocka_unit_test_setup(test_jwt_malformed, setup),
		cmocka_unit_test_setup(test_basic, setup),
		cmocka_unit_test_setup(test_apikey, setup),
		cmocka_unit_test_setup(test_query_jwt, setup),
		cmocka_unit_test_setup(test_cookie, setup),
		cmocka_unit_test_setup(test_precedence, setup),
		cmocka_unit_test_setup(test_hash_keyed, setup),
		cmocka_unit_test_setup(test_forwarded, setup),
		cmocka_unit_test_setup(test_cidr, setup),
		cmocka_unit_test_setup(test_addr_parse, setup),
		cmocka_unit_test_setup(test_args_and_names, setup),
		cmocka_unit_test_setup(test_credential_names, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_community_id.c - SHA-1 against FIPS vectors, Community ID against the spec's examples.
 */
#include "test_common.h"

#include <arpa/inet.h>

#include "flow.h"
#include "sha1.h"

static void hex(char *out, const uint8_t *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void test_sha1_vectors(void **state)
{
	uint8_t d[SHA1_DIGEST_LEN];
	char h[41];
	static char million[1000000];

	sha1_digest(d, "abc", 3);
	hex(h, d, sizeof(d));
	assert_string_equal(h, "a9993e364706816aba3e25717850c26c9cd0d89d");
	sha1_digest(d, "", 0);
	hex(h, d, sizeof(d));
	assert_string_equal(h, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	sha1_digest(d, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56);
	hex(h, d, sizeof(d));
	assert_string_equal(h, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
	memset(million, 'a', sizeof(million));
	sha1_digest(d, million, sizeof(million));
	hex(h, d, sizeof(d));
	assert_string_equal(h, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

static void make_flow(flow_t *f, const char *a, uint16_t ap, const char *b, uint16_t bp,
		      uint8_t proto)
{
	net_addr_t x, y;

	memset(f, 0, sizeof(*f));
	memset(&x, 0, sizeof(x));
	memset(&y, 0, sizeof(y));
	inet_pton(AF_INET, a, x.b);
	inet_pton(AF_INET, b, y.b);
	/* The flow key orders the endpoints, as the flow table does. */
	if (memcmp(x.b, y.b, 16) < 0 || (memcmp(x.b, y.b, 16) == 0 && ap <= bp)) {
		f->key.addr[0] = x, f->key.addr[1] = y, f->key.port[0] = ap, f->key.port[1] = bp;
	} else {
		f->key.addr[0] = y, f->key.addr[1] = x, f->key.port[0] = bp, f->key.port[1] = ap;
	}
	f->key.proto = proto;
	f->key.ip_version = 4;
}

static void test_community_id_spec(void **state)
{
	flow_t f;
	char id[40];

	make_flow(&f, "128.232.110.120", 34855, "66.35.250.204", 80, 6);
	flow_community_id(&f, 0, id, sizeof(id));
	assert_string_equal(id, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
	/* The reverse direction gives the same id. */
	make_flow(&f, "66.35.250.204", 80, "128.232.110.120", 34855, 6);
	flow_community_id(&f, 0, id, sizeof(id));
	assert_string_equal(id, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
	/* A seed changes it. */
	flow_community_id(&f, 1, id, sizeof(id));
	assert_string_not_equal(id, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
	/* A short buffer is cut, never overrun. */
	flow_community_id(&f, 0, id, 5);
	assert_string_equal(id, "1:LQ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha1_vectors),
		cmocka_unit_test(test_community_id_spec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

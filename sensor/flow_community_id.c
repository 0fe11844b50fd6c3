/*
 * flow_community_id.c - Community ID v1 of a flow (corelight/community-id-spec).
 *
 * The hash input is the seed, the two endpoints ordered smaller first (address, then port),
 * the protocol and a padding byte; the ID is "1:" and the base64 of its SHA-1. The flow key is
 * already ordered that way, so both directions of a flow give the same ID.
 */
#include <string.h>

#include "flow.h"
#include "sha1.h"

static const char flow_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t flow_b64_encode(char *out, const uint8_t *in, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		out[o++] = flow_b64[v >> 18];
		out[o++] = flow_b64[(v >> 12) & 63];
		out[o++] = flow_b64[(v >> 6) & 63];
		out[o++] = flow_b64[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);

		out[o++] = flow_b64[v >> 18];
		out[o++] = flow_b64[(v >> 12) & 63];
		out[o++] = i + 1 < n ? flow_b64[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	return o;
}

void flow_community_id(const flow_t *f, uint16_t seed, char *out, unsigned out_len)
{
	uint8_t buf[2 + 16 + 16 + 2 + 4], digest[SHA1_DIGEST_LEN];
	size_t alen = f->key.ip_version == 6 ? 16 : 4, n = 0;
	char tmp[40];
	size_t len;

	buf[n++] = (uint8_t)(seed >> 8);
	buf[n++] = (uint8_t)seed;
	memcpy(buf + n, f->key.addr[0].b, alen);
	n += alen;
	memcpy(buf + n, f->key.addr[1].b, alen);
	n += alen;
	buf[n++] = f->key.proto;
	buf[n++] = 0;
	buf[n++] = (uint8_t)(f->key.port[0] >> 8);
	buf[n++] = (uint8_t)f->key.port[0];
	buf[n++] = (uint8_t)(f->key.port[1] >> 8);
	buf[n++] = (uint8_t)f->key.port[1];
	sha1_digest(digest, buf, n);
	tmp[0] = '1';
	tmp[1] = ':';
	len = 2 + flow_b64_encode(tmp + 2, digest, sizeof(digest));
	tmp[len] = '\0';
	if (out_len) {
		if (len >= out_len)
			len = out_len - 1;
		memcpy(out, tmp, len);
		out[len] = '\0';
	}
}

const char *flow_community_id_memo(const flow_t *f, uint16_t seed)
{
	flow_t *memo = (flow_t *)(uintptr_t)f; /* flows live in the pool, never in const memory */

	if (!memo->community_id[0])
		flow_community_id(f, seed, memo->community_id, sizeof(memo->community_id));
	return memo->community_id;
}

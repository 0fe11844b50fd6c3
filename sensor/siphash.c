/*
 * siphash.c - SipHash-2-4 and SipHash-1-3 (see siphash.h).
 *
 * Written from the specification in the SipHash paper: little-endian words, two compression
 * rounds per 8-byte block and four finalisation rounds. Byte-wise loads keep it independent of
 * alignment and host byte order.
 */
#include "siphash.h"

#include <string.h>
#include <sys/random.h>
#include <time.h>

static inline uint64_t siphash_rotl(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static inline uint64_t siphash_load64(const uint8_t *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
	       (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
	       (uint64_t)p[7] << 56;
}

/* One SipRound over the four state words. */
static inline void siphash_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = siphash_rotl(v[1], 13);
	v[1] ^= v[0];
	v[0] = siphash_rotl(v[0], 32);
	v[2] += v[3];
	v[3] = siphash_rotl(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = siphash_rotl(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = siphash_rotl(v[1], 17);
	v[1] ^= v[2];
	v[2] = siphash_rotl(v[2], 32);
}

static inline void siphash_compress(uint64_t v[4], uint64_t m, int c)
{
	int r;

	v[3] ^= m;
	for (r = 0; r < c; r++)
		siphash_round(v);
	v[0] ^= m;
}

/* SipHash-c-d: c rounds per block, d finalisation rounds (inlined with constants). */
static inline uint64_t siphash_cd(const uint8_t key[SIPHASH_KEY_LEN], const void *data, size_t len,
				  int c, int d)
{
	const uint8_t *in = data;
	uint64_t k0 = siphash_load64(key);
	uint64_t k1 = siphash_load64(key + 8);
	uint64_t v[4] = {k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL,
			 k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL};
	uint64_t last = (uint64_t)len << 56;
	size_t tail = len & 7;
	size_t i;
	int r;

	for (i = 0; i + 8 <= len; i += 8)
		siphash_compress(v, siphash_load64(in + i), c);
	/* The last block holds the 0..7 remaining bytes and the length's low byte on top. */
	while (tail > 0) {
		tail--;
		last |= (uint64_t)in[i + tail] << (8 * tail);
	}
	siphash_compress(v, last, c);

	v[2] ^= 0xff;
	for (r = 0; r < d; r++)
		siphash_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

uint64_t siphash24(const uint8_t key[SIPHASH_KEY_LEN], const void *data, size_t len)
{
	return siphash_cd(key, data, len, 2, 4);
}

uint64_t siphash13(const uint8_t key[SIPHASH_KEY_LEN], const void *data, size_t len)
{
	return siphash_cd(key, data, len, 1, 3);
}

void siphash_seed(uint8_t key[SIPHASH_KEY_LEN], const void *salt)
{
	struct timespec ts;
	uint64_t mix[3], h;

	if (getrandom(key, SIPHASH_KEY_LEN, GRND_NONBLOCK) == SIPHASH_KEY_LEN)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	mix[0] = (uint64_t)ts.tv_sec;
	mix[1] = (uint64_t)ts.tv_nsec;
	mix[2] = (uint64_t)(uintptr_t)salt;
	memset(key, 0x5a, SIPHASH_KEY_LEN);
	h = siphash24(key, mix, sizeof(mix));
	memcpy(key, &h, sizeof(h));
	h = siphash24(key, mix, sizeof(mix));
	memcpy(key + 8, &h, sizeof(h));
}

/*
 * test_decode_fixture.h - the cmocka fixture shared by the decode unit tests: a decoder with its
 * own memory account (checked empty at teardown), and helpers that decode a packet from an
 * exact-length heap copy so that AddressSanitizer catches any read past its end.
 */
#ifndef APIWATCH_TEST_DECODE_FIXTURE_H
#define APIWATCH_TEST_DECODE_FIXTURE_H

#include <stdlib.h>

#include "decode.h"
#include "test_frame.h"

#define DLT_EN10MB 1

typedef struct fixture {
	mem_account_t acct;
	decode_config_t cfg;
	decode_ctx_t *ctx;
	packet_t p;
	uint8_t *copy; /* the exact-length heap copy the last packet was decoded from */
} fixture_t;

static inline int fx_setup(void **state)
{
	fixture_t *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	mem_account_init(&fx->acct, "decode", 0);
	decode_config_default(&fx->cfg);
	assert_int_equal(decode_ctx_new(&fx->ctx, &fx->cfg, &fx->acct), 0);
	*state = fx;
	return 0;
}

static inline int fx_teardown(void **state)
{
	fixture_t *fx = *state;

	decode_ctx_free(fx->ctx);
	assert_int_equal(fx->acct.in_use, 0);
	free(fx->copy);
	free(fx);
	return 0;
}

/* Recreates the decoder with fx->cfg. */
static inline void fx_reconfig(fixture_t *fx)
{
	decode_ctx_free(fx->ctx);
	assert_int_equal(decode_ctx_new(&fx->ctx, &fx->cfg, &fx->acct), 0);
}

static inline int decode_bytes(fixture_t *fx, int linktype, const uint8_t *d, size_t n)
{
	free(fx->copy);
	fx->copy = malloc(n ? n : 1);
	assert_non_null(fx->copy);
	memcpy(fx->copy, d, n);
	memset(&fx->p, 0, sizeof(fx->p));
	fx->p.data = fx->copy;
	fx->p.caplen = fx->p.wirelen = (uint32_t)n;
	fx->p.linktype = linktype;
	fx->p.ts_us = 1700000000000000ULL;
	return decode_packet(fx->ctx, &fx->p);
}

static inline int decode_frame(fixture_t *fx, int linktype, frame_t *f)
{
	return decode_bytes(fx, linktype, f_data(f), f_len(f));
}

static inline const decode_counters_t *cnt(const fixture_t *fx)
{
	return decode_counters(fx->ctx);
}

static inline uint64_t ev(const fixture_t *fx, enum decode_event e)
{
	return cnt(fx)->events[e];
}

static inline uint64_t api_ev(const fixture_t *fx, enum decode_api_event e)
{
	return cnt(fx)->api_events[e];
}

#endif

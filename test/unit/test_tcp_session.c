/*
 * test_tcp_session.c - unit tests of TCP state tracking and reassembly (tcp_session.c,
 * tcp_reassembly.c).
 *
 * Packets are built directly as packet_t values; a recording sink keeps, per direction, the
 * bytes delivered, the gaps (with where they fell) and the closes, and notices anything
 * delivered after a close. Streams are checked against the original bytes after every order of
 * their segments, one byte per segment, and random segmentations with duplicates and overlaps.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "packet.h"
#include "tcp_session.h"

#define F_SYN PACKET_TCP_SYN
#define F_ACK PACKET_TCP_ACK
#define F_FIN PACKET_TCP_FIN
#define F_RST PACKET_TCP_RST
#define F_PSH PACKET_TCP_PSH

#define REC_CAP (1u << 20)
#define REC_MAX_GAPS 64

/* ------------------------------------------------------------------------------------------ */
/* Recording sink and fixture                                                                 */
/* ------------------------------------------------------------------------------------------ */

typedef struct rec_gap {
	size_t at; /* bytes of data delivered before the gap */
	uint64_t len;
} rec_gap_t;

typedef struct rec_dir {
	uint8_t *data;
	size_t len;
	rec_gap_t gap[REC_MAX_GAPS];
	int ngaps;
	uint64_t gap_bytes;
	int closes;
	int after_close; /* events received after on_close: must stay 0 */
	size_t stop_at; /* call tcp_session_stop() once this many bytes were delivered (0: never) */
} rec_dir_t;

typedef struct fx {
	mem_account_t acct;
	tcp_config_t cfg;
	tcp_reassembly_t *r;
	tcp_session_t *s;
	tcp_sink_t sink;
	rec_dir_t rec[2];
	uint64_t ts;
} fx_t;

static void rec_on_data(void *ud, int dir, const uint8_t *data, size_t len)
{
	fx_t *f = ud;
	rec_dir_t *d = &f->rec[dir];

	assert_true(dir == 0 || dir == 1);
	assert_true(len > 0);
	if (d->closes)
		d->after_close++;
	assert_true(d->len + len <= REC_CAP);
	memcpy(d->data + d->len, data, len);
	d->len += len;
	if (d->stop_at && d->len >= d->stop_at)
		tcp_session_stop(f->r, f->s, dir);
}

static void rec_on_gap(void *ud, int dir, uint64_t len)
{
	fx_t *f = ud;
	rec_dir_t *d = &f->rec[dir];

	assert_true(len > 0);
	if (d->closes)
		d->after_close++;
	if (d->ngaps < REC_MAX_GAPS) {
		d->gap[d->ngaps].at = d->len;
		d->gap[d->ngaps].len = len;
	}
	d->ngaps++;
	d->gap_bytes += len;
}

static void rec_on_close(void *ud, int dir)
{
	fx_t *f = ud;

	f->rec[dir].closes++;
}

/* A configuration in which nothing is flushed by the hold policy unless a test asks for it. */
static void fx_cfg_patient(tcp_config_t *cfg)
{
	tcp_config_default(cfg);
	cfg->max_hold_bytes = 1u << 24;
	cfg->hold_timeout_us = 1000000000ull;
}

static fx_t *fx_new_cap(const tcp_config_t *cfg, uint64_t cap)
{
	fx_t *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	if (cfg)
		f->cfg = *cfg;
	else
		fx_cfg_patient(&f->cfg);
	mem_account_init(&f->acct, "reassembly", cap);
	assert_int_equal(tcp_reassembly_new(&f->r, &f->cfg, &f->acct), 0);
	f->s = tcp_session_new(f->r);
	assert_non_null(f->s);
	f->sink.on_data = rec_on_data;
	f->sink.on_gap = rec_on_gap;
	f->sink.on_close = rec_on_close;
	f->rec[0].data = malloc(REC_CAP);
	f->rec[1].data = malloc(REC_CAP);
	assert_non_null(f->rec[0].data);
	assert_non_null(f->rec[1].data);
	f->ts = 1000000;
	return f;
}

static fx_t *fx_new(const tcp_config_t *cfg)
{
	return fx_new_cap(cfg, cfg ? cfg->memcap : 0);
}

/* Frees everything and checks that every byte of the account came back. */
static void fx_free(fx_t *f)
{
	tcp_session_free(f->r, f->s);
	tcp_reassembly_free(f->r);
	assert_int_equal(f->acct.in_use, 0);
	assert_int_equal(f->rec[0].after_close, 0);
	assert_int_equal(f->rec[1].after_close, 0);
	free(f->rec[0].data);
	free(f->rec[1].data);
	free(f);
}

static int fx_send(fx_t *f, int dir, uint8_t flags, uint32_t seq, uint32_t ack, const void *data,
		   uint32_t len)
{
	packet_t p;

	memset(&p, 0, sizeof(p));
	p.ts_us = f->ts;
	f->ts += 10;
	p.proto = 6;
	p.tcp_flags = flags;
	p.tcp_seq = seq;
	p.tcp_ack = ack;
	p.tcp_win = 65535;
	p.payload = data;
	p.payload_len = len;
	return tcp_session_packet(f->r, f->s, dir, &p, &f->sink, f);
}

static void fx_finish(fx_t *f)
{
	tcp_session_finish(f->r, f->s, &f->sink, f);
}

static const tcp_counters_t *fx_cnt(const fx_t *f)
{
	return tcp_reassembly_counters(f->r);
}

/* Three-way handshake: client ISN cisn, server ISN sisn. */
static void fx_handshake(fx_t *f, uint32_t cisn, uint32_t sisn)
{
	assert_int_equal(fx_send(f, 0, F_SYN, cisn, 0, NULL, 0), 0);
	assert_int_equal(fx_send(f, 1, F_SYN | F_ACK, sisn, cisn + 1, NULL, 0), 0);
	assert_int_equal(fx_send(f, 0, F_ACK, cisn + 1, sisn + 1, NULL, 0), 0);
}

static void fill_pattern(uint8_t *buf, size_t len, uint32_t seed)
{
	size_t i;

	for (i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (uint8_t)(seed >> 16);
	}
}

/* Deterministic PRNG (xorshift64*), fixed seeds so failures replay. */
static uint64_t prng_next(uint64_t *st)
{
	uint64_t x = *st;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*st = x;
	return x * 0x2545F4914F6CDD1Dull;
}

static uint32_t prng_below(uint64_t *st, uint32_t n)
{
	return (uint32_t)(prng_next(st) % n);
}

static void assert_stream(const rec_dir_t *d, const uint8_t *want, size_t len)
{
	assert_int_equal(d->len, len);
	assert_memory_equal(d->data, want, len);
}

/* ------------------------------------------------------------------------------------------ */
/* Every order of a few segments                                                              */
/* ------------------------------------------------------------------------------------------ */

#define PERM_N 5

static int perm_next(int *a, int n)
{
	int i = n - 2, j = n - 1, t;

	while (i >= 0 && a[i] >= a[i + 1])
		i--;
	if (i < 0)
		return 0;
	while (a[j] <= a[i])
		j--;
	t = a[i];
	a[i] = a[j];
	a[j] = t;
	for (i = i + 1, j = n - 1; i < j; i++, j--) {
		t = a[i];
		a[i] = a[j];
		a[j] = t;
	}
	return 1;
}

/* Segment sizes: one larger than a chunk, one tiny, a few ordinary. */
static const uint32_t perm_sizes[PERM_N] = {700, 3000, 1, 1448, 513};

static void perm_run(uint32_t isn, int handshake, int fin, const int *order)
{
	uint8_t data[8192];
	uint32_t off[PERM_N + 1];
	uint32_t sisn = 0x7000u;
	fx_t *f = fx_new(NULL);
	int i;

	off[0] = 0;
	for (i = 0; i < PERM_N; i++)
		off[i + 1] = off[i] + perm_sizes[i];
	fill_pattern(data, off[PERM_N], isn);
	if (handshake)
		fx_handshake(f, isn, sisn);
	for (i = 0; i < PERM_N; i++) {
		int k = order[i];
		uint8_t flags = F_ACK | F_PSH;

		/* Without a handshake the first packet seen sets the base: start with segment 0. */
		if (!handshake && i == 0)
			k = 0;
		else if (!handshake && k == 0)
			k = order[0];
		if (fin && k == PERM_N - 1)
			flags |= F_FIN;
		fx_send(f, 0, flags, isn + 1 + off[k], sisn + 1, data + off[k], perm_sizes[k]);
	}
	if (fin)
		assert_int_equal(f->rec[0].closes, 1);
	fx_finish(f);
	assert_stream(&f->rec[0], data, off[PERM_N]);
	assert_int_equal(f->rec[0].ngaps, 0);
	assert_int_equal(f->rec[0].closes, 1);
	assert_int_equal(f->rec[1].closes, 1);
	assert_int_equal(fx_cnt(f)->overlap_diff_data, 0);
	fx_free(f);
}

static void test_permutations(void **state)
{
	static const uint32_t isns[] = {1000u, 0xFFFFFFF0u, 0xFFFFF000u};
	int order[PERM_N];
	size_t k;
	int i, n, mode;

	(void)state;
	for (k = 0; k < sizeof(isns) / sizeof(isns[0]); k++) {
		for (mode = 0; mode < 4; mode++) {
			for (i = 0; i < PERM_N; i++)
				order[i] = i;
			n = 0;
			do {
				perm_run(isns[k], mode & 1, (mode >> 1) & 1, order);
				n++;
			} while (perm_next(order, PERM_N));
			assert_int_equal(n, 120);
		}
	}
}

/* ------------------------------------------------------------------------------------------ */
/* One byte per segment, random segmentations                                                */
/* ------------------------------------------------------------------------------------------ */

static void test_one_byte_segments(void **state)
{
	enum { N = 5000 };
	uint8_t data[N];
	fx_t *f = fx_new(NULL);
	uint32_t isn = 0xFFFFFF00u;
	uint32_t i;

	(void)state;
	fill_pattern(data, N, 7);
	fx_handshake(f, isn, 1);
	for (i = 0; i < N; i++) {
		fx_send(f, 0, F_ACK, isn + 1 + i, 2, data + i, 1);
		/* In-order data is never held. */
		assert_int_equal(f->rec[0].len, i + 1);
	}
	/* And the same bytes again, backwards, one at a time, as retransmissions. */
	for (i = N; i-- > N - 100;)
		fx_send(f, 0, F_ACK, isn + 1 + i, 2, data + i, 1);
	fx_finish(f);
	assert_stream(&f->rec[0], data, N);
	assert_int_equal(fx_cnt(f)->overlap_diff_data, 0);
	fx_free(f);
}

static void test_one_byte_segments_reversed(void **state)
{
	enum { N = 600 };
	uint8_t data[N];
	fx_t *f = fx_new(NULL);
	uint32_t i;

	(void)state;
	fill_pattern(data, N, 9);
	fx_handshake(f, 100, 1);
	for (i = N; i-- > 1;)
		fx_send(f, 0, F_ACK, 101 + i, 2, data + i, 1);
	assert_int_equal(f->rec[0].len, 0);
	fx_send(f, 0, F_ACK, 101, 2, data, 1);
	assert_stream(&f->rec[0], data, N);
	fx_finish(f);
	assert_int_equal(f->rec[0].ngaps, 0);
	fx_free(f);
}

typedef struct seg {
	uint32_t off, len;
} seg_t;

/* Cuts [0, n) into random segments, adds duplicates and random overlapping ranges, and
 * shuffles them. Returns the number of segments. */
static size_t random_segments(uint64_t *st, seg_t *out, size_t max, uint32_t n)
{
	size_t k = 0, i;
	uint32_t off = 0;

	while (off < n && k < max) {
		uint32_t len = 1 + prng_below(st, 3000);

		if (len > n - off)
			len = n - off;
		out[k].off = off;
		out[k].len = len;
		k++;
		off += len;
	}
	for (i = k / 3; i > 0 && k < max; i--) {
		out[k] = out[prng_below(st, (uint32_t)k)];
		k++;
		if (k < max) {
			out[k].off = prng_below(st, n);
			out[k].len = 1 + prng_below(st, n - out[k].off);
			if (out[k].len > 4000)
				out[k].len = 4000;
			k++;
		}
	}
	for (i = k; i > 1; i--) {
		size_t j = prng_below(st, (uint32_t)i);
		seg_t t = out[i - 1];

		out[i - 1] = out[j];
		out[j] = t;
	}
	return k;
}

static void test_random_segmentation(void **state)
{
	enum { N = 20000, MAXSEG = 256, ROUNDS = 200 };
	static uint8_t data[N];
	seg_t segs[MAXSEG];
	uint64_t st = 0x5eed5eedull;
	int round;

	(void)state;
	for (round = 0; round < ROUNDS; round++) {
		uint32_t isn = (uint32_t)prng_next(&st);
		fx_t *f = fx_new(NULL);
		size_t n, i;

		if (round % 4 == 0)
			isn = 0xFFFFFFFFu - prng_below(&st, 20000);
		fill_pattern(data, N, (uint32_t)round);
		n = random_segments(&st, segs, MAXSEG, N);
		fx_handshake(f, isn, 5);
		for (i = 0; i < n; i++)
			fx_send(f, 0, F_ACK, isn + 1 + segs[i].off, 6, data + segs[i].off,
				segs[i].len);
		/* Everything was seen, so everything is delivered before the flow ends. */
		assert_stream(&f->rec[0], data, N);
		fx_finish(f);
		assert_int_equal(f->rec[0].ngaps, 0);
		assert_int_equal(f->rec[0].closes, 1);
		assert_int_equal(fx_cnt(f)->overlap_diff_data, 0);
		fx_free(f);
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Overlaps, retransmissions                                                                  */
/* ------------------------------------------------------------------------------------------ */

static void test_retransmission(void **state)
{
	uint8_t a[100];
	fx_t *f = fx_new(NULL);

	(void)state;
	memset(a, 'a', sizeof(a));
	fx_handshake(f, 0, 0);
	fx_send(f, 0, F_ACK, 1, 1, a, 100);
	fx_send(f, 0, F_ACK, 1, 1, a, 100);
	fx_send(f, 0, F_ACK, 1, 1, a, 100);
	fx_send(f, 0, F_ACK, 51, 1, a, 50);
	assert_int_equal(f->rec[0].len, 100);
	assert_int_equal(fx_cnt(f)->retransmission, 3);
	assert_int_equal(fx_cnt(f)->overlap_diff_data, 0);
	/* A keep-alive probe (the byte before next_seq, garbage) counts as nothing. */
	fx_send(f, 0, F_ACK, 100, 1, "\0", 1);
	assert_int_equal(fx_cnt(f)->retransmission, 3);
	assert_int_equal(fx_cnt(f)->overlap_diff_data, 0);
	fx_free(f);
}

/* Overlap with bytes already delivered: compared through the compare window. */
static void test_overlap_diff_delivered(void **state)
{
	uint8_t a[300], b[100];
	fx_t *f = fx_new(NULL);

	(void)state;
	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	fx_handshake(f, 0, 0);
	/* Out of order first, then the hole fills. */
	fx_send(f, 0, F_ACK, 101, 1, a + 100, 100);
	assert_int_equal(fx_cnt(f)->out_of_order, 1);
	fx_send(f, 0, F_ACK, 1, 1, a, 100);
	assert_int_equal(f->rec[0].len, 200);
	/* [150, 250): 50 old bytes that differ, 50 new ones. */
	fx_send(f, 0, F_ACK, 151, 1, b, 100);
	assert_int_equal(f->rec[0].len, 250);
	assert_int_equal(fx_cnt(f)->overlap, 1);
	assert_int_equal(fx_cnt(f)->overlap_diff_data, 1);
	assert_memory_equal(f->rec[0].data, a, 200);
	assert_memory_equal(f->rec[0].data + 200, b + 50, 50);
	/* The same bytes as delivered: an overlap without different data. */
	fx_send(f, 0, F_ACK, 201, 1, f->rec[0].data + 200, 50);
	assert_int_equal(fx_cnt(f)->retransmission, 1);
	assert_int_equal(fx_cnt(f)->overlap_diff_data, 1);
	/* Entirely old, differing bytes: a retransmission with different data. */
	fx_send(f, 0, F_ACK, 11, 1, b, 20);
	assert_int_equal(fx_cnt(f)->retransmission, 2);
	assert_int_equal(fx_cnt(f)->overlap_diff_data, 2);
	fx_free(f);
}

/* Overlap with bytes still buffered: compared exactly, first data wins. */
static void test_overlap_diff_buffered(void **state)
{
	uint8_t a[300], b[300];
	fx_t *f = fx_new(NULL);

	(void)state;
	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	fx_handshake(f, 0, 0);
	fx_send(f, 0, F_ACK, 101, 1, a + 100, 100); /* [100, 200) held */
	fx_send(f, 0, F_ACK, 151, 1, b + 150, 100); /* [150, 250): 50 differ */
	assert_int_equal(fx_cnt(f)->overlap_diff_data, 1);
	fx_send(f, 0, F_ACK, 1, 1, b, 160); /* [0, 160): 60 differ with held */
	assert_int_equal(fx_cnt(f)->overlap_diff_data, 2);
	assert_int_equal(f->rec[0].len, 250);
	assert_memory_equal(f->rec[0].data, b, 100);
	assert_memory_equal(f->rec[0].data + 100, a + 100, 100);
	assert_memory_equal(f->rec[0].data + 200, b + 200, 50);
	fx_free(f);
}

/* ------------------------------------------------------------------------------------------ */
/* The compare window                                                                         */
/* ------------------------------------------------------------------------------------------ */

/* A clean connection, then a retransmission of delivered bytes: the window holds them from the
 * first data on, so differing bytes are counted, and the stream keeps the first data. */
static void test_cmp_retrans_diff(void **state)
{
	uint8_t data[1448 * 2], other[1448];
	fx_t *f = fx_new(NULL);

	(void)state;
	fill_pattern(data, sizeof(data), 21);
	memcpy(other, data + 1448, sizeof(other));
	other[700] ^= 0x20;
	fx_handshake(f, 5000, 9000);
	fx_send(f, 1, F_ACK, 9001, 5001, data, 1448);
	fx_send(f, 1, F_ACK, 9001 + 1448, 5001, data + 1448, 1448);
	assert_int_equal(fx_cnt(f)->out_of_order, 0);
	fx_send(f, 1, F_ACK, 9001 + 1448, 5001, other, 1448);
	assert_int_equal(fx_cnt(f)->retransmission, 1);
	assert_int_equal(fx_cnt(f)->overlap_diff_data, 1);
	fx_finish(f);
	assert_stream(&f->rec[1], data, sizeof(data));
	assert_int_equal(fx_cnt(f)->compare_window_unavailable, 0);
	fx_free(f);
}

/* The same bytes again, whole or in part: retransmissions, never different data. */
static void test_cmp_retrans_same(void **state)
{
	uint8_t data[3000];
	fx_t *f = fx_new(NULL);

	(void)state;
	fill_pattern(data, sizeof(data), 22);
	fx_handshake(f, 0, 0);
	fx_send(f, 0, F_ACK, 1, 1, data, 1000);
	fx_send(f, 0, F_ACK, 1001, 1, data + 1000, 2000);
	fx_send(f, 0, F_ACK, 1001, 1, data + 1000, 2000);
	fx_send(f, 0, F_ACK, 1501, 1, data + 1500, 100);
	fx_send(f, 0, F_ACK, 2901, 1, data + 2900, 100);
	assert_int_equal(fx_cnt(f)->retransmission, 3);
	assert_int_equal(fx_cnt(f)->overlap_diff_data, 0);
	assert_stream(&f->rec[0], data, sizeof(data));
	fx_free(f);
}

/* A segment over the end of the delivered bytes and beyond: the old part is compared, the new
 * part delivered. Bytes older than the window are not compared. */
static void test_cmp_partial_overlap(void **state)
{
	uint8_t data[6000], seg[400];
	fx_t *f = fx_new(NULL);

	(void)state;
	fill_pattern(data, sizeof(data), 23);
	fx_handshake(f, 0xFFFFF800u, 0);
	fx_send(f, 0, F_ACK, 0xFFFFF801u, 1, data, 4000); /* crosses 2^32 */
	/* [3800, 4200): the 200 old bytes differ, the 200 new ones are delivered. */
	memcpy(seg, data + 3800, sizeof(seg));
	memset(seg, 'X', 200);
	fx_send(f, 0, F_ACK, 0xFFFFF801u + 3800, 1, seg, 400);
	assert_int_equal(fx_cnt(f)->overlap, 1);
	assert_int_equal(fx_cnt(f)->overlap_diff_data, 1);
	assert_stream(&f->rec[0], data, 4200);
	/* Only the last of the old bytes differs: still counted. */
	memcpy(seg, data + 4000, sizeof(seg));
	seg[199] ^= 1;
	fx_send(f, 0, F_ACK, 0xFFFFF801u + 4000, 1, seg, 400);
	assert_int_equal(fx_cnt(f)->overlap, 2);
	assert_int_equal(fx_cnt(f)->overlap_diff_data, 2);
	assert_stream(&f->rec[0], data, 4400);
	/* [2000, 2600) differs only before 4400 - 2048 = 2352: older than the window. */
	memcpy(seg, data + 2000, sizeof(seg));
	memset(seg, 'X', 300);
	fx_send(f, 0, F_ACK, 0xFFFFF801u + 2000, 1, seg, 400);
	assert_int_equal(fx_cnt(f)->retransmission, 1);
	assert_int_equal(fx_cnt(f)->overlap_diff_data, 2);
	/* [2300, 2700) differs at 2400, inside it. */
	memcpy(seg, data + 2300, sizeof(seg));
	seg[100] ^= 1;
	fx_send(f, 0, F_ACK, 0xFFFFF801u + 2300, 1, seg, 400);
	assert_int_equal(fx_cnt(f)->retransmission, 2);
	assert_int_equal(fx_cnt(f)->overlap_diff_data, 3);
	fx_finish(f);
	assert_stream(&f->rec[0], data, 4400);
	fx_free(f);
}

/* A window of several chunks, written around its ring many times: every range it still holds
 * compares equal when resent unchanged, and differs when one byte of it changes. */
static void test_cmp_ring(void **state)
{
	enum { N = 40000, WIN = 5000, HELD = 6144 }; /* 5000 rounds up to three chunks */
	static uint8_t data[N];
	uint8_t seg[HELD];
	uint64_t st = 0xc0ffeeull;
	tcp_config_t cfg;
	uint32_t off = 0, diffs = 0;
	fx_t *f;

	(void)state;
	fx_cfg_patient(&cfg);
	cfg.compare_window = WIN;
	f = fx_new(&cfg);
	fill_pattern(data, N, 24);
	fx_handshake(f, 0xFFFF0000u, 0);
	while (off < N) {
		uint32_t len = 2 + prng_below(&st, 3000);
		uint32_t lo, n, held;

		if (len > N - off)
			len = N - off;
		fx_send(f, 0, F_ACK, 0xFFFF0001u + off, 1, data + off, len);
		off += len;
		/* At least 2 bytes: 1 byte just before next_seq would be a keep-alive probe. */
		held = off < HELD ? off : HELD;
		n = 2 + prng_below(&st, held - 1);
		lo = off - n - prng_below(&st, held - n + 1);
		memcpy(seg, data + lo, n);
		fx_send(f, 0, F_ACK, 0xFFFF0001u + lo, 1, seg, n);
		assert_int_equal(fx_cnt(f)->overlap_diff_data, diffs);
		seg[prng_below(&st, n)] ^= 0x80;
		fx_send(f, 0, F_ACK, 0xFFFF0001u + lo, 1, seg, n);
		assert_int_equal(fx_cnt(f)->overlap_diff_data, ++diffs);
	}
	assert_stream(&f->rec[0], data, N);
	fx_free(f);
}

/* After a gap the window starts again: bytes before the gap are no longer compared. */
static void test_cmp_after_gap(void **state)
{
	uint8_t data[300], x[100];
	fx_t *f = fx_new(NULL);

	(void)state;
	fill_pattern(data, sizeof(data), 25);
	memset(x, 'X', sizeof(x));
	fx_handshake(f, 0, 0);
	fx_send(f, 0, F_ACK, 1, 1, data, 100);
	fx_send(f, 1, F_ACK, 1, 201, NULL, 0); /* [100, 200) acknowledged, never seen */
	assert_int_equal(f->rec[0].ngaps, 1);
	fx_send(f, 0, F_ACK, 201, 1, data + 200, 100);
	fx_send(f, 0, F_ACK, 1, 1, x, 100);
	assert_int_equal(fx_cnt(f)->overlap_diff_data, 0);
	fx_send(f, 0, F_ACK, 201, 1, x, 100);
	assert_int_equal(fx_cnt(f)->overlap_diff_data, 1);
	fx_send(f, 0, F_ACK, 201, 1, data + 200, 100);
	assert_int_equal(fx_cnt(f)->overlap_diff_data, 1);
	assert_int_equal(fx_cnt(f)->retransmission, 3);
	fx_free(f);
}

/* stream.compare-window 0: no window, no memory, and resent bytes are not compared. */
static void test_cmp_off(void **state)
{
	uint8_t data[1000], x[1000];
	tcp_config_t cfg;
	fx_t *f;
	uint64_t in_use;

	(void)state;
	fx_cfg_patient(&cfg);
	cfg.compare_window = 0;
	f = fx_new(&cfg);
	fill_pattern(data, sizeof(data), 26);
	memset(x, 'X', sizeof(x));
	fx_handshake(f, 0, 0);
	in_use = f->acct.in_use;
	fx_send(f, 0, F_ACK, 1, 1, data, 1000);
	fx_send(f, 1, F_ACK, 1, 1001, data, 1000);
	assert_int_equal(f->acct.in_use, in_use);
	assert_int_equal(fx_cnt(f)->pool_grows, 0);
	fx_send(f, 0, F_ACK, 1, 1, x, 1000);
	fx_send(f, 0, F_ACK, 501, 1, x, 1000);
	assert_int_equal(fx_cnt(f)->retransmission, 1);
	assert_int_equal(fx_cnt(f)->overlap, 1);
	assert_int_equal(fx_cnt(f)->overlap_diff_data, 0);
	assert_int_equal(fx_cnt(f)->compare_window_unavailable, 0);
	/* Buffered bytes are still compared: they are needed anyway. */
	fx_send(f, 0, F_ACK, 1601, 1, data, 100);
	fx_send(f, 0, F_ACK, 1601, 1, x, 100);
	assert_int_equal(fx_cnt(f)->overlap_diff_data, 1);
	fx_finish(f);
	assert_int_equal(f->rec[0].len, 1500 + 100);
	assert_memory_equal(f->rec[0].data, data, 1000);
	assert_memory_equal(f->rec[0].data + 1000, x + 500, 500);
	fx_free(f);
}

/* Windows refused by the memcap (counted): the direction goes without, data still flows. And
 * windows never take more than half the memcap, leaving the rest to out-of-order bytes. */
static void test_cmp_memcap(void **state)
{
	enum { NS = 40 };
	tcp_session_t *ss[NS];
	uint8_t data[1000], x[1000];
	tcp_config_t cfg;
	fx_t *f;
	uint64_t unavailable;
	int i;

	(void)state;
	fx_cfg_patient(&cfg);
	cfg.memcap = 16384; /* no slab of chunks fits */
	f = fx_new(&cfg);
	fill_pattern(data, sizeof(data), 27);
	memset(x, 'X', sizeof(x));
	fx_handshake(f, 0, 0);
	fx_send(f, 0, F_ACK, 1, 1, data, 500);
	fx_send(f, 1, F_ACK, 1, 501, data, 100);
	fx_send(f, 0, F_ACK, 501, 1, data + 500, 500);
	assert_int_equal(fx_cnt(f)->compare_window_unavailable, 2);
	fx_send(f, 0, F_ACK, 1, 1, x, 500);
	assert_int_equal(fx_cnt(f)->retransmission, 1);
	assert_int_equal(fx_cnt(f)->overlap_diff_data, 0);
	assert_stream(&f->rec[0], data, 1000);
	assert_true(f->acct.in_use <= cfg.memcap);
	fx_free(f);

	cfg.memcap = 200000; /* room for about 47 windows in half of it */
	f = fx_new(&cfg);
	tcp_session_free(f->r, f->s);
	for (i = 0; i < NS; i++) {
		ss[i] = tcp_session_new(f->r);
		assert_non_null(ss[i]);
		f->s = ss[i];
		fx_handshake(f, 0, 0);
		fx_send(f, 0, F_ACK, 1, 1, data, 100);
		fx_send(f, 1, F_ACK, 1, 101, data, 100);
	}
	unavailable = fx_cnt(f)->compare_window_unavailable;
	assert_true(unavailable > 0 && unavailable < 2 * NS);
	assert_true(f->acct.in_use <= cfg.memcap / 2 + 50000);
	/* Out-of-order bytes still find room. */
	fx_send(f, 0, F_ACK, 301, 1, data + 300, 700);
	assert_int_equal(fx_cnt(f)->segment_memcap_drop, 0);
	assert_int_equal(fx_cnt(f)->out_of_order, 1);
	/* Sessions that got their windows compare, the others do not. */
	fx_send(f, 0, F_ACK, 1, 1, x, 100);
	f->s = ss[0];
	fx_send(f, 0, F_ACK, 1, 1, x, 100);
	assert_int_equal(fx_cnt(f)->overlap_diff_data, 1);
	for (i = 1; i < NS; i++)
		tcp_session_free(f->r, ss[i]);
	fx_free(f);
}

/* ------------------------------------------------------------------------------------------ */
/* Gaps                                                                                       */
/* ------------------------------------------------------------------------------------------ */

static void test_gap_missing_segment(void **state)
{
	uint8_t data[500];
	fx_t *f = fx_new(NULL);
	int i;

	(void)state;
	fill_pattern(data, sizeof(data), 3);
	fx_handshake(f, 1000, 0);
	for (i = 0; i < 5; i++)
		if (i != 2)
			fx_send(f, 0, F_ACK, 1001 + 100 * i, 1, data + 100 * i, 100);
	assert_int_equal(f->rec[0].len, 200);
	fx_finish(f);
	assert_int_equal(f->rec[0].ngaps, 1);
	assert_int_equal(f->rec[0].gap[0].at, 200);
	assert_int_equal(f->rec[0].gap[0].len, 100);
	assert_int_equal(f->rec[0].len, 400);
	assert_memory_equal(f->rec[0].data, data, 200);
	assert_memory_equal(f->rec[0].data + 200, data + 300, 200);
	assert_int_equal(f->rec[0].closes, 1);
	assert_int_equal(fx_cnt(f)->reassembly_gap, 1);
	assert_int_equal(fx_cnt(f)->gap_bytes, 100);
	{
		tcp_session_dir_info_t info;

		tcp_session_dir_info(f->s, 0, &info);
		assert_int_equal(info.gap, 1);
		assert_int_equal(info.gaps, 1);
		assert_int_equal(info.gap_bytes, 100);
		assert_int_equal(info.delivered, 400);
	}
	fx_free(f);
}

static void test_gap_by_ack(void **state)
{
	uint8_t data[300];
	fx_t *f = fx_new(NULL);

	(void)state;
	fill_pattern(data, sizeof(data), 4);
	fx_handshake(f, 0, 5000);
	fx_send(f, 0, F_ACK, 1, 5001, data, 100);
	fx_send(f, 0, F_ACK, 201, 5001, data + 200, 100);
	assert_int_equal(f->rec[0].len, 100);
	/* The server acknowledges 300 bytes: [100, 200) was lost by the capture. */
	fx_send(f, 1, F_ACK, 5001, 301, NULL, 0);
	assert_int_equal(f->rec[0].ngaps, 1);
	assert_int_equal(f->rec[0].gap[0].at, 100);
	assert_int_equal(f->rec[0].gap[0].len, 100);
	assert_int_equal(f->rec[0].len, 200);
	assert_memory_equal(f->rec[0].data + 100, data + 200, 100);
	/* Acknowledging bytes never seen at all, with nothing held: a gap too. */
	fx_send(f, 1, F_ACK, 5001, 1001, NULL, 0);
	assert_int_equal(f->rec[0].ngaps, 2);
	assert_int_equal(f->rec[0].gap[1].len, 700);
	/* The late copy of a gapped segment is just a retransmission. */
	fx_send(f, 0, F_ACK, 101, 5001, data + 100, 100);
	assert_int_equal(f->rec[0].len, 200);
	fx_free(f);
}

static void test_gap_by_hold_bytes(void **state)
{
	uint8_t data[2000];
	tcp_config_t cfg;
	fx_t *f;
	uint32_t off;

	(void)state;
	fx_cfg_patient(&cfg);
	cfg.max_hold_bytes = 1000;
	f = fx_new(&cfg);
	fill_pattern(data, sizeof(data), 5);
	fx_handshake(f, 0, 0);
	fx_send(f, 0, F_ACK, 1, 1, data, 100);
	for (off = 200; off < 1200; off += 100) {
		fx_send(f, 0, F_ACK, 1 + off, 1, data + off, 100);
		assert_int_equal(f->rec[0].ngaps, 0); /* 1000 bytes held is not more than 1000 */
	}
	fx_send(f, 0, F_ACK, 1 + off, 1, data + off, 100);
	assert_int_equal(f->rec[0].ngaps, 1);
	assert_int_equal(f->rec[0].gap[0].len, 100);
	assert_int_equal(f->rec[0].len, 1200);
	assert_int_equal(fx_cnt(f)->hold_flushes, 1);
	fx_free(f);
}

static void test_gap_by_hold_timeout(void **state)
{
	uint8_t data[300];
	tcp_config_t cfg;
	fx_t *f;

	(void)state;
	fx_cfg_patient(&cfg);
	cfg.hold_timeout_us = 1000;
	f = fx_new(&cfg);
	fill_pattern(data, sizeof(data), 6);
	fx_handshake(f, 0, 0);
	fx_send(f, 0, F_ACK, 1, 1, data, 100);
	fx_send(f, 0, F_ACK, 201, 1, data + 200, 100);
	f->ts += 500;
	fx_send(f, 1, F_ACK, 1, 101, NULL, 0); /* any packet of the session checks the hole */
	assert_int_equal(f->rec[0].ngaps, 0);
	f->ts += 1000;
	fx_send(f, 1, F_ACK, 1, 101, NULL, 0);
	assert_int_equal(f->rec[0].ngaps, 1);
	assert_int_equal(f->rec[0].gap[0].len, 100);
	assert_int_equal(f->rec[0].len, 200);
	assert_int_equal(fx_cnt(f)->hold_flushes, 1);
	fx_free(f);
}

/* A FIN behind a hole that nobody acknowledges (one-sided): the timeout closes it. */
static void test_fin_behind_hole_timeout(void **state)
{
	uint8_t data[300];
	tcp_config_t cfg;
	fx_t *f;

	(void)state;
	fx_cfg_patient(&cfg);
	cfg.hold_timeout_us = 1000;
	f = fx_new(&cfg);
	fill_pattern(data, sizeof(data), 6);
	fx_send(f, 0, F_ACK, 1, 1, data, 100);
	fx_send(f, 0, F_ACK | F_FIN, 201, 1, NULL, 0);
	assert_int_equal(f->rec[0].closes, 0);
	f->ts += 2000;
	fx_send(f, 0, F_ACK, 202, 1, NULL, 0);
	assert_int_equal(f->rec[0].ngaps, 1);
	assert_int_equal(f->rec[0].gap[0].len, 100);
	assert_int_equal(f->rec[0].closes, 1);
	fx_free(f);
}

/* ------------------------------------------------------------------------------------------ */
/* Pickup, directions, closing                                                                */
/* ------------------------------------------------------------------------------------------ */

static void test_midstream(void **state)
{
	uint8_t data[200];
	tcp_config_t cfg;
	fx_t *f = fx_new(NULL);

	(void)state;
	fill_pattern(data, sizeof(data), 8);
	fx_send(f, 1, F_ACK, 90000, 5000, data, 100);
	fx_send(f, 0, F_ACK, 5000, 90100, data + 100, 100);
	assert_stream(&f->rec[1], data, 100);
	assert_stream(&f->rec[0], data + 100, 100);
	assert_int_equal(fx_cnt(f)->midstream_pickups, 1);
	assert_string_equal(tcp_session_state_name(f->s), "established");
	assert_false(tcp_session_is_established(f->s));
	fx_free(f);

	fx_cfg_patient(&cfg);
	cfg.midstream = 0;
	f = fx_new(&cfg);
	fx_send(f, 1, F_ACK, 90000, 5000, data, 100);
	assert_int_equal(f->rec[1].len, 0);
	assert_int_equal(fx_cnt(f)->midstream_ignored, 1);
	fx_free(f);
}

static void test_one_sided(void **state)
{
	uint8_t data[1000];
	fx_t *f = fx_new(NULL);
	int i;

	(void)state;
	fill_pattern(data, sizeof(data), 10);
	for (i = 0; i < 10; i++)
		fx_send(f, 1, F_ACK | (i == 9 ? F_FIN : 0), 777 + 100 * i, 1, data + 100 * i, 100);
	assert_stream(&f->rec[1], data, 1000);
	assert_int_equal(f->rec[1].closes, 1);
	assert_int_equal(f->rec[0].closes, 0);
	fx_finish(f);
	assert_int_equal(f->rec[0].closes, 1);
	assert_int_equal(f->rec[1].closes, 1);
	assert_int_equal(f->rec[0].len, 0);
	fx_free(f);
}

static void test_fin_both(void **state)
{
	fx_t *f = fx_new(NULL);
	tcp_session_dir_info_t info;

	(void)state;
	assert_string_equal(tcp_session_state_name(f->s), "none");
	fx_send(f, 0, F_SYN, 100, 0, NULL, 0);
	assert_string_equal(tcp_session_state_name(f->s), "syn_sent");
	fx_send(f, 1, F_SYN | F_ACK, 500, 101, NULL, 0);
	assert_string_equal(tcp_session_state_name(f->s), "syn_recv");
	fx_send(f, 0, F_ACK, 101, 501, NULL, 0);
	assert_string_equal(tcp_session_state_name(f->s), "established");
	assert_true(tcp_session_is_established(f->s));
	fx_send(f, 0, F_ACK | F_PSH, 101, 501, "GET / HTTP/1.1\r\n\r\n", 18);
	fx_send(f, 1, F_ACK | F_PSH, 501, 119, "HTTP/1.1 200 OK\r\n\r\n", 19);
	fx_send(f, 0, F_ACK | F_FIN, 119, 520, NULL, 0);
	assert_int_equal(f->rec[0].closes, 1);
	assert_string_equal(tcp_session_state_name(f->s), "close_wait");
	fx_send(f, 0, F_ACK | F_FIN, 119, 520, NULL, 0); /* retransmitted FIN */
	assert_int_equal(f->rec[0].closes, 1);
	fx_send(f, 1, F_ACK | F_FIN, 520, 120, NULL, 0);
	assert_int_equal(f->rec[1].closes, 1);
	assert_string_equal(tcp_session_state_name(f->s), "last_ack");
	assert_true(tcp_session_is_closed(f->s));
	fx_send(f, 0, F_ACK, 120, 521, NULL, 0);
	assert_string_equal(tcp_session_state_name(f->s), "closed");
	fx_finish(f);
	assert_int_equal(f->rec[0].closes, 1);
	assert_int_equal(f->rec[1].closes, 1);
	assert_stream(&f->rec[0], (const uint8_t *)"GET / HTTP/1.1\r\n\r\n", 18);
	assert_stream(&f->rec[1], (const uint8_t *)"HTTP/1.1 200 OK\r\n\r\n", 19);
	tcp_session_dir_info(f->s, 0, &info);
	assert_true(info.closed);
	assert_true(info.flags & F_FIN);
	assert_true(info.flags & F_SYN);
	assert_int_equal(info.delivered, 18);
	fx_free(f);
}

/* The server closes first: fin_wait1, fin_wait2, time_wait, closed. */
static void test_fin_server_first(void **state)
{
	fx_t *f = fx_new(NULL);

	(void)state;
	fx_handshake(f, 100, 500);
	fx_send(f, 1, F_ACK | F_FIN, 501, 101, NULL, 0);
	assert_string_equal(tcp_session_state_name(f->s), "fin_wait1");
	fx_send(f, 0, F_ACK, 101, 502, NULL, 0);
	assert_string_equal(tcp_session_state_name(f->s), "fin_wait2");
	fx_send(f, 0, F_ACK | F_FIN, 101, 502, NULL, 0);
	assert_string_equal(tcp_session_state_name(f->s), "time_wait");
	fx_send(f, 1, F_ACK, 502, 102, NULL, 0);
	assert_string_equal(tcp_session_state_name(f->s), "closed");
	assert_int_equal(f->rec[0].closes, 1);
	assert_int_equal(f->rec[1].closes, 1);
	fx_free(f);
}

/* A FIN that arrives before the data in front of it waits for that data. */
static void test_fin_before_data(void **state)
{
	uint8_t data[200];
	fx_t *f = fx_new(NULL);

	(void)state;
	fill_pattern(data, sizeof(data), 11);
	fx_handshake(f, 0, 0);
	fx_send(f, 0, F_ACK | F_FIN, 101, 1, data + 100, 100);
	assert_int_equal(f->rec[0].closes, 0);
	fx_send(f, 0, F_ACK, 1, 1, data, 100);
	assert_stream(&f->rec[0], data, 200);
	assert_int_equal(f->rec[0].closes, 1);
	/* Data past the FIN is not part of the stream. */
	fx_send(f, 0, F_ACK, 201, 1, data, 50);
	assert_int_equal(f->rec[0].len, 200);
	fx_free(f);
}

static void test_rst(void **state)
{
	uint8_t data[300];
	fx_t *f = fx_new(NULL);

	(void)state;
	fill_pattern(data, sizeof(data), 12);
	fx_handshake(f, 0, 1000);
	fx_send(f, 0, F_ACK, 1, 1001, data, 100);
	fx_send(f, 0, F_ACK, 201, 1001, data + 200, 100); /* held behind [100, 200) */
	fx_send(f, 1, F_ACK, 1001, 101, "ok", 2);
	/* A blind reset far from the next sequence number is ignored. */
	fx_send(f, 1, F_RST, 1001 + 0x40000000u, 0, NULL, 0);
	assert_int_equal(fx_cnt(f)->rst_invalid, 1);
	assert_false(tcp_session_is_closed(f->s));
	fx_send(f, 1, F_RST | F_ACK, 1003, 101, NULL, 0);
	assert_true(tcp_session_is_closed(f->s));
	assert_string_equal(tcp_session_state_name(f->s), "closed");
	assert_int_equal(f->rec[0].closes, 1);
	assert_int_equal(f->rec[1].closes, 1);
	/* Held data was flushed behind a gap before the close. */
	assert_int_equal(f->rec[0].ngaps, 1);
	assert_int_equal(f->rec[0].len, 200);
	assert_int_equal(fx_cnt(f)->rst, 2);
	/* Nothing more after the reset. */
	fx_send(f, 0, F_ACK, 301, 1003, data, 10);
	fx_finish(f);
	assert_int_equal(f->rec[0].closes, 1);
	assert_int_equal(f->rec[0].len, 200);
	fx_free(f);
}

/* ------------------------------------------------------------------------------------------ */
/* Which resets count                                                                         */
/* ------------------------------------------------------------------------------------------ */

/* Writes a 20-byte TCP header, plus a timestamps option (NOP, NOP, kind 8) when ts is given as
 * {TSval, TSecr}, into hdr (32 bytes); returns the header length. Only the fields tcp_session.c
 * reads from the header are set. */
static uint32_t hdr_build(uint8_t *hdr, const uint32_t *ts)
{
	uint32_t hlen = ts ? 32u : 20u;
	int i;

	memset(hdr, 0, 32);
	hdr[12] = (uint8_t)((hlen / 4u) << 4);
	if (ts) {
		hdr[20] = 1;
		hdr[21] = 1;
		hdr[22] = 8;
		hdr[23] = 10;
		for (i = 0; i < 4; i++) {
			hdr[24 + i] = (uint8_t)(ts[0] >> (24 - 8 * i));
			hdr[28 + i] = (uint8_t)(ts[1] >> (24 - 8 * i));
		}
	}
	return hlen;
}

/* Sends a packet with its TCP header (l4, l4_len) and packet flags, as decode leaves it. */
static int fx_send_hdr(fx_t *f, int dir, uint8_t flags, uint32_t seq, uint32_t ack, uint32_t pflags,
		       const uint8_t *l4, uint32_t l4_len, const void *data, uint32_t len)
{
	packet_t p;

	memset(&p, 0, sizeof(p));
	p.ts_us = f->ts;
	f->ts += 10;
	p.proto = 6;
	p.flags = pflags;
	p.tcp_flags = flags;
	p.tcp_seq = seq;
	p.tcp_ack = ack;
	p.tcp_win = 65535;
	p.l4 = l4;
	p.l4_len = l4_len;
	p.payload = data;
	p.payload_len = len;
	return tcp_session_packet(f->r, f->s, dir, &p, &f->sink, f);
}

/* Sends a packet carrying a timestamps option {TSval, TSecr}. */
static int fx_send_ts(fx_t *f, int dir, uint8_t flags, uint32_t seq, uint32_t ack, uint32_t tsval,
		      uint32_t tsecr)
{
	uint8_t hdr[32];
	const uint32_t ts[2] = {tsval, tsecr};
	uint32_t hlen = hdr_build(hdr, ts);

	return fx_send_hdr(f, dir, flags, seq, ack, 0, hdr, hlen, NULL, 0);
}

/* Established: only a reset at exactly the next sequence number counts (RFC 5961 3.2); one
 * elsewhere in the window, however large the scaled window, would only earn a challenge ACK. */
static void test_rst_exact_seq(void **state)
{
	fx_t *f = fx_new(NULL);
	packet_t p;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.flags = PACKET_F_TCP_WSCALE;
	p.tcp_wscale = 7;
	p.tcp_win = 1024; /* 1024 << 7 = 128 KiB */
	p.tcp_flags = F_SYN;
	p.tcp_seq = 100;
	tcp_session_packet(f->r, f->s, 0, &p, &f->sink, f);
	p.tcp_flags = F_SYN | F_ACK;
	p.tcp_seq = 500;
	p.tcp_ack = 101;
	tcp_session_packet(f->r, f->s, 1, &p, &f->sink, f);
	fx_send(f, 0, F_ACK, 101, 501, "GET ", 4);
	fx_send(f, 1, F_RST, 501 + 100000, 0, NULL, 0); /* in the scaled window */
	fx_send(f, 1, F_RST | F_ACK, 502, 105, NULL, 0); /* one past */
	fx_send(f, 1, F_RST | F_ACK, 500, 105, NULL, 0); /* one before, no FIN */
	fx_send(f, 0, F_RST, 104, 0, NULL, 0); /* client: one before its next */
	assert_int_equal(fx_cnt(f)->rst_invalid, 4);
	assert_false(tcp_session_is_closed(f->s));
	assert_string_equal(tcp_session_state_name(f->s), "established");
	fx_send(f, 0, F_ACK, 105, 501, "/ HTTP/1.1\r\n\r\n", 15);
	assert_stream(&f->rec[0], (const uint8_t *)"GET / HTTP/1.1\r\n\r\n", 19);
	fx_send(f, 1, F_RST | F_ACK, 501, 120, NULL, 0);
	assert_true(tcp_session_is_closed(f->s));
	assert_int_equal(fx_cnt(f)->rst_invalid, 4);
	assert_int_equal(fx_cnt(f)->rst, 5);
	assert_int_equal(f->rec[0].closes, 1);
	assert_int_equal(f->rec[1].closes, 1);
	fx_free(f);
}

/* The sender's bytes the capture missed: the receiver's ACK says where the reset must be. An
 * ACK behind the sender's bytes is stale while they are in flight: a reset there would only
 * earn a challenge ACK. */
static void test_rst_at_receiver_ack(void **state)
{
	uint8_t data[200];
	fx_t *f = fx_new(NULL);

	(void)state;
	fill_pattern(data, sizeof(data), 31);
	fx_handshake(f, 0, 1000);
	fx_send(f, 0, F_ACK, 1, 1001, "GET / HTTP/1.0\r\n\r\n", 18);
	fx_send(f, 1, F_ACK, 1001, 19, data, 50);
	fx_send(f, 0, F_ACK, 19, 1051, NULL, 0);
	fx_send(f, 1, F_ACK, 1051, 19, data + 50, 50);
	fx_send(f, 1, F_RST | F_ACK, 1051, 19, NULL, 0); /* at the client's stale ACK */
	assert_int_equal(fx_cnt(f)->rst_invalid, 1);
	/* [1101, 1201) never reaches the capture; the client acknowledges it. */
	fx_send(f, 0, F_ACK, 19, 1201, NULL, 0);
	fx_send(f, 1, F_RST | F_ACK, 1150, 19, NULL, 0);
	assert_int_equal(fx_cnt(f)->rst_invalid, 2);
	assert_false(tcp_session_is_closed(f->s));
	fx_send(f, 1, F_RST | F_ACK, 1201, 19, NULL, 0);
	assert_true(tcp_session_is_closed(f->s));
	assert_int_equal(f->rec[1].len, 100);
	assert_int_equal(f->rec[1].gap_bytes, 100);
	fx_free(f);
}

/* After its FIN a sender's reset may sit at the FIN itself (Linux accepts RCV.NXT - 1 then) or
 * just after it; one before the FIN does not count. */
static void test_rst_after_fin(void **state)
{
	static const uint32_t seqs[3] = {104, 105, 103};
	static const int valid[3] = {1, 1, 0};
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		fx_t *f = fx_new(NULL);

		fx_handshake(f, 100, 500);
		fx_send(f, 0, F_ACK | F_FIN, 101, 501, "abc", 3); /* FIN at 104 */
		fx_send(f, 1, F_ACK, 501, 105, NULL, 0);
		fx_send(f, 0, F_RST, seqs[i], 0, NULL, 0);
		assert_int_equal(tcp_session_is_closed(f->s), valid[i]);
		assert_int_equal(fx_cnt(f)->rst_invalid, !valid[i]);
		fx_free(f);
	}
}

/* A reset carrying a TCP-MD5 or TCP-AO option is ignored: the receiver drops it unless the
 * signature checks, which cannot be done here. The request and response that follow arrive. */
static void test_rst_auth_option(void **state)
{
	uint8_t hdr[32];
	uint32_t hlen = hdr_build(hdr, NULL);
	fx_t *f = fx_new(NULL);

	(void)state;
	fx_handshake(f, 100, 500);
	fx_send_hdr(f, 0, F_RST | F_ACK, 101, 501, PACKET_F_TCP_AUTH_OPT, hdr, hlen, NULL, 0);
	assert_int_equal(fx_cnt(f)->rst_invalid, 1);
	assert_false(tcp_session_is_closed(f->s));
	fx_send(f, 0, F_ACK | F_PSH, 101, 501, "GET /x HTTP/1.1\r\n\r\n", 19);
	fx_send(f, 1, F_ACK | F_PSH, 501, 120, "HTTP/1.1 200 OK\r\n\r\n", 19);
	fx_send_hdr(f, 1, F_RST, 520, 0, PACKET_F_TCP_AUTH_OPT, hdr, hlen, NULL, 0);
	assert_int_equal(fx_cnt(f)->rst_invalid, 2);
	assert_stream(&f->rec[0], (const uint8_t *)"GET /x HTTP/1.1\r\n\r\n", 19);
	assert_stream(&f->rec[1], (const uint8_t *)"HTTP/1.1 200 OK\r\n\r\n", 19);
	assert_int_equal(f->rec[0].closes, 0);
	/* In SYN_SENT too. */
	fx_free(f);
	f = fx_new(NULL);
	fx_send(f, 0, F_SYN, 100, 0, NULL, 0);
	fx_send_hdr(f, 1, F_RST | F_ACK, 0, 101, PACKET_F_TCP_AUTH_OPT, hdr, hlen, NULL, 0);
	assert_int_equal(fx_cnt(f)->rst_invalid, 1);
	assert_false(tcp_session_is_closed(f->s));
	/* Without the option, the same reset ends the attempt. */
	fx_send_hdr(f, 1, F_RST | F_ACK, 0, 101, 0, hdr, hlen, NULL, 0);
	assert_true(tcp_session_is_closed(f->s));
	fx_free(f);
}

/* SYN_SENT: the server's reset must acknowledge the SYN (RFC 9293 3.10.7.3); the client's own
 * reset, an answer to a segment it refused, ends nothing. */
static void test_rst_syn_sent(void **state)
{
	fx_t *f = fx_new(NULL);

	(void)state;
	fx_send(f, 0, F_SYN, 1000, 0, NULL, 0);
	fx_send(f, 1, F_RST, 0, 0, NULL, 0); /* no ACK */
	fx_send(f, 1, F_RST, 0, 1001, NULL, 0); /* the right number, but no ACK bit */
	fx_send(f, 1, F_RST | F_ACK, 0, 1000, NULL, 0); /* acknowledges nothing */
	fx_send(f, 1, F_RST | F_ACK, 0, 1002, NULL, 0); /* beyond the SYN */
	fx_send(f, 0, F_RST, 1001, 0, NULL, 0); /* the client's own */
	fx_send(f, 0, F_RST | F_ACK, 1000, 1001, NULL, 0);
	assert_int_equal(fx_cnt(f)->rst_invalid, 6);
	assert_string_equal(tcp_session_state_name(f->s), "syn_sent");
	assert_false(tcp_session_is_closed(f->s));
	fx_send(f, 1, F_RST | F_ACK, 0, 1001, NULL, 0);
	assert_true(tcp_session_is_closed(f->s));
	assert_string_equal(tcp_session_state_name(f->s), "closed");
	assert_int_equal(fx_cnt(f)->rst_invalid, 6);
	fx_free(f);

	/* With data on the SYN (TCP Fast Open) the ACK may cover it, and no more. */
	f = fx_new(NULL);
	fx_send(f, 0, F_SYN, 1000, 0, "hello", 5);
	fx_send(f, 1, F_RST | F_ACK, 0, 1007, NULL, 0);
	assert_false(tcp_session_is_closed(f->s));
	fx_send(f, 1, F_RST | F_ACK, 0, 1006, NULL, 0);
	assert_true(tcp_session_is_closed(f->s));
	fx_free(f);
}

/* SYN_SENT with timestamps: a reset echoing a TSval no SYN sent is refused by Linux (PAWS) and
 * ignored by Suricata; so is any echo when the SYN sent no timestamps. An echo of 0 proves
 * nothing. */
static void test_rst_syn_sent_timestamps(void **state)
{
	static const uint8_t linux_opts[20] = {
		2, 4,  0x05, 0xb4, /* MSS 1460 */
		4, 2, /* SACK permitted */
		8, 10, 0x6c, 0x8d, 0x3f, 0x3d, 0, 0, 0, 0, /* TSval 1821196093, TSecr 0 */
		1, 3,  3,    7, /* NOP, window scale 7 */
	};
	uint8_t hdr[32], syn[40];
	fx_t *f = fx_new(NULL);

	(void)state;
	fx_send_ts(f, 0, F_SYN, 1000, 0, 5000, 0);
	fx_send_ts(f, 1, F_RST | F_ACK, 0, 1001, 100, 100);
	fx_send_ts(f, 1, F_RST | F_ACK, 0, 1001, 100, 5001);
	assert_int_equal(fx_cnt(f)->rst_invalid, 2);
	assert_false(tcp_session_is_closed(f->s));
	fx_send_ts(f, 1, F_RST | F_ACK, 0, 1001, 100, 5000);
	assert_true(tcp_session_is_closed(f->s));
	fx_free(f);

	/* Retransmitted SYNs: any TSval they sent may be echoed. */
	f = fx_new(NULL);
	fx_send_ts(f, 0, F_SYN, 1000, 0, 5000, 0);
	fx_send_ts(f, 0, F_SYN, 1000, 0, 5300, 0);
	fx_send_ts(f, 1, F_RST | F_ACK, 0, 1001, 1, 4999);
	fx_send_ts(f, 1, F_RST | F_ACK, 0, 1001, 1, 5301);
	assert_int_equal(fx_cnt(f)->rst_invalid, 2);
	fx_send_ts(f, 1, F_RST | F_ACK, 0, 1001, 1, 5200);
	assert_true(tcp_session_is_closed(f->s));
	fx_free(f);

	/* A SYN without timestamps. */
	f = fx_new(NULL);
	fx_send(f, 0, F_SYN, 1000, 0, NULL, 0);
	fx_send_ts(f, 1, F_RST | F_ACK, 0, 1001, 100, 100);
	assert_int_equal(fx_cnt(f)->rst_invalid, 1);
	fx_send_ts(f, 1, F_RST | F_ACK, 0, 1001, 100, 0);
	assert_true(tcp_session_is_closed(f->s));
	fx_free(f);

	/* Linux's SYN option layout (MSS, SACK permitted, timestamps, NOP, window scale): the
	 * timestamps are found behind other options. */
	f = fx_new(NULL);
	memset(syn, 0, sizeof(syn));
	syn[12] = 10 << 4;
	memcpy(syn + 20, linux_opts, sizeof(linux_opts));
	fx_send_hdr(f, 0, F_SYN, 1000, 0, 0, syn, sizeof(syn), NULL, 0);
	fx_send_ts(f, 1, F_RST | F_ACK, 0, 1001, 1, 1821196092u);
	assert_int_equal(fx_cnt(f)->rst_invalid, 1);
	fx_send_ts(f, 1, F_RST | F_ACK, 0, 1001, 1, 1821196093u);
	assert_true(tcp_session_is_closed(f->s));
	fx_free(f);

	/* SYNs whose TSval is 0 give nothing to compare with. */
	f = fx_new(NULL);
	fx_send_ts(f, 0, F_SYN, 1000, 0, 0, 0);
	fx_send_ts(f, 1, F_RST | F_ACK, 0, 1001, 1, 77);
	assert_true(tcp_session_is_closed(f->s));
	fx_free(f);

	/* A malformed option list, or a header cut short, carries no timestamps. */
	f = fx_new(NULL);
	fx_send_ts(f, 0, F_SYN, 1000, 0, 5000, 0);
	hdr_build(hdr, (const uint32_t[2]){1, 100});
	hdr[23] = 12; /* runs past the header */
	fx_send_hdr(f, 1, F_RST | F_ACK, 0, 1001, 0, hdr, 32, NULL, 0);
	assert_true(tcp_session_is_closed(f->s));
	fx_free(f);
	f = fx_new(NULL);
	fx_send_ts(f, 0, F_SYN, 1000, 0, 5000, 0);
	hdr_build(hdr, (const uint32_t[2]){1, 100});
	fx_send_hdr(f, 1, F_RST | F_ACK, 0, 1001, 0, hdr, 24, NULL, 0); /* l4_len < hlen */
	assert_true(tcp_session_is_closed(f->s));
	fx_free(f);
}

/* The shape of suricata-verify bug-3286: before the SYN/ACK, a forged RST and FIN from the
 * server echo a timestamp the SYN never sent, and the client answers the FIN with its own RST.
 * None of it counts; the connection that follows is delivered whole. */
static void test_evasion_before_synack(void **state)
{
	static const char req[] = "GET /THIS_IS_A_TEST HTTP/1.1\r\nHost: x\r\n\r\n";
	static const char rsp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	const uint32_t cisn = 3810062735u, sisn = 26175;
	const uint32_t nreq = sizeof(req) - 1, nrsp = sizeof(rsp) - 1;
	int with_ts;

	(void)state;
	for (with_ts = 0; with_ts < 2; with_ts++) {
		fx_t *f = fx_new(NULL);

		if (with_ts)
			fx_send_ts(f, 0, F_SYN, cisn, 0, 1821165629u, 0);
		else
			fx_send(f, 0, F_SYN, cisn, 0, NULL, 0);
		fx_send_ts(f, 1, F_RST | F_ACK, 0, cisn + 1, 100, 100);
		fx_send_ts(f, 1, F_FIN | F_ACK, 0, cisn + 1, 100, 100);
		fx_send(f, 0, F_RST, cisn + 1, 0, NULL, 0);
		assert_int_equal(fx_cnt(f)->rst_invalid, 2);
		assert_int_equal(fx_cnt(f)->pkt_invalid, 1);
		assert_string_equal(tcp_session_state_name(f->s), "syn_sent");
		fx_send(f, 1, F_SYN | F_ACK, sisn, cisn + 1, NULL, 0);
		fx_send(f, 0, F_ACK, cisn + 1, sisn + 1, NULL, 0);
		fx_send(f, 0, F_ACK | F_PSH, cisn + 1, sisn + 1, req, nreq);
		fx_send(f, 1, F_ACK, sisn + 1, cisn + 1 + nreq, NULL, 0);
		fx_send(f, 1, F_ACK | F_PSH, sisn + 1, cisn + 1 + nreq, rsp, nrsp);
		assert_string_equal(tcp_session_state_name(f->s), "established");
		assert_stream(&f->rec[0], (const uint8_t *)req, nreq);
		assert_stream(&f->rec[1], (const uint8_t *)rsp, nrsp);
		assert_int_equal(f->rec[0].closes + f->rec[1].closes, 0);
		fx_free(f);
	}
}

/* Before the SYN/ACK the client drops every other server segment; once the client acknowledges
 * (the SYN/ACK was only missed by the capture) the server's data is taken up again. */
static void test_syn_sent_server_data(void **state)
{
	fx_t *f = fx_new(NULL);

	(void)state;
	fx_send(f, 0, F_SYN, 100, 0, NULL, 0);
	fx_send(f, 1, F_ACK | F_PSH, 7777, 101, "forged", 6);
	fx_send(f, 1, F_ACK, 7783, 101, NULL, 0);
	assert_int_equal(fx_cnt(f)->pkt_invalid, 2);
	assert_int_equal(f->rec[1].len, 0);
	fx_send(f, 0, F_ACK | F_PSH, 101, 501, "GET", 3);
	fx_send(f, 1, F_ACK | F_PSH, 501, 104, "HTTP", 4);
	assert_stream(&f->rec[0], (const uint8_t *)"GET", 3);
	assert_stream(&f->rec[1], (const uint8_t *)"HTTP", 4);
	/* The server's side now has a base: its reset is checked like any other. */
	fx_send(f, 1, F_RST | F_ACK, 505, 104, NULL, 0);
	assert_int_equal(fx_cnt(f)->rst_invalid, 0);
	assert_true(tcp_session_is_closed(f->s));
	fx_free(f);
}

/* SYN_RECV: either side's reset counts at its next sequence number (ISN + 1). */
static void test_rst_syn_recv(void **state)
{
	fx_t *f = fx_new(NULL);

	(void)state;
	fx_send(f, 0, F_SYN, 100, 0, NULL, 0);
	fx_send(f, 1, F_SYN | F_ACK, 500, 101, NULL, 0);
	assert_string_equal(tcp_session_state_name(f->s), "syn_recv");
	fx_send(f, 1, F_RST | F_ACK, 505, 101, NULL, 0);
	fx_send(f, 0, F_RST, 102, 0, NULL, 0);
	assert_int_equal(fx_cnt(f)->rst_invalid, 2);
	fx_send(f, 0, F_RST, 101, 0, NULL, 0); /* a scanner's reset after the SYN/ACK */
	assert_true(tcp_session_is_closed(f->s));
	fx_free(f);

	f = fx_new(NULL);
	fx_send(f, 0, F_SYN, 100, 0, NULL, 0);
	fx_send(f, 1, F_SYN | F_ACK, 500, 101, NULL, 0);
	fx_send(f, 1, F_RST | F_ACK, 501, 101, NULL, 0);
	assert_true(tcp_session_is_closed(f->s));
	fx_free(f);
}

/* Midstream: a reset from a side not seen yet is checked against what the other side
 * acknowledged; with nothing seen at all it counts. */
static void test_rst_midstream(void **state)
{
	fx_t *f = fx_new(NULL);

	(void)state;
	fx_send(f, 0, F_ACK | F_PSH, 1000, 9000, "GET", 3);
	fx_send(f, 1, F_RST | F_ACK, 8999, 1003, NULL, 0);
	assert_int_equal(fx_cnt(f)->rst_invalid, 1);
	fx_send(f, 1, F_RST | F_ACK, 9000, 1003, NULL, 0);
	assert_true(tcp_session_is_closed(f->s));
	fx_free(f);

	f = fx_new(NULL);
	fx_send(f, 1, F_RST, 4242, 0, NULL, 0);
	assert_true(tcp_session_is_closed(f->s));
	assert_int_equal(fx_cnt(f)->rst_invalid, 0);
	fx_free(f);
}

/* The receiver acknowledges the FIN behind a hole: the gap stops at the FIN, which closes. */
static void test_gap_by_ack_to_fin(void **state)
{
	uint8_t data[300];
	fx_t *f = fx_new(NULL);

	(void)state;
	fill_pattern(data, sizeof(data), 19);
	fx_handshake(f, 0, 0);
	fx_send(f, 0, F_ACK, 1, 1, data, 100);
	fx_send(f, 0, F_ACK | F_FIN, 201, 1, data + 200, 100);
	assert_int_equal(f->rec[0].closes, 0);
	fx_send(f, 1, F_ACK, 1, 302, NULL, 0); /* acknowledges the FIN: 300 + SYN + FIN */
	assert_int_equal(f->rec[0].ngaps, 1);
	assert_int_equal(f->rec[0].gap[0].len, 100);
	assert_int_equal(f->rec[0].len, 200);
	assert_int_equal(f->rec[0].closes, 1);
	assert_string_equal(tcp_session_state_name(f->s), "close_wait");
	fx_free(f);
}

static void test_syn_with_data(void **state)
{
	fx_t *f = fx_new(NULL);

	(void)state;
	fx_send(f, 0, F_SYN, 1000, 0, "hello", 5);
	assert_stream(&f->rec[0], (const uint8_t *)"hello", 5);
	fx_send(f, 0, F_SYN, 1000, 0, "hello", 5); /* retransmitted: not reuse, deduplicated */
	fx_send(f, 1, F_SYN | F_ACK, 9000, 1006, NULL, 0);
	fx_send(f, 0, F_ACK, 1006, 9001, " world", 6);
	assert_stream(&f->rec[0], (const uint8_t *)"hello world", 11);
	assert_int_equal(fx_cnt(f)->syn, 2);
	assert_int_equal(fx_cnt(f)->synack, 1);
	fx_free(f);
}

/* A SYN/ACK without the SYN gives the client's base through its ACK. */
static void test_missed_syn(void **state)
{
	fx_t *f = fx_new(NULL);

	(void)state;
	fx_send(f, 1, F_SYN | F_ACK, 9000, 1001, NULL, 0);
	fx_send(f, 0, F_ACK, 1101, 9001, "late", 4);
	assert_int_equal(f->rec[0].len, 0); /* 100 bytes are missing in front */
	fx_send(f, 0, F_ACK, 1001, 9001, NULL, 0);
	fx_finish(f);
	assert_int_equal(f->rec[0].ngaps, 1);
	assert_int_equal(f->rec[0].gap[0].len, 100);
	assert_stream(&f->rec[0], (const uint8_t *)"late", 4);
	fx_free(f);
}

static void test_wraparound(void **state)
{
	enum { N = 4000 };
	uint8_t data[N];
	fx_t *f = fx_new(NULL);
	uint32_t isn = 0xFFFFFFF0u;

	(void)state;
	fill_pattern(data, N, 13);
	fx_handshake(f, isn, 0xFFFFFFFEu);
	/* Out of order across 2^32, then the hole in front fills. */
	fx_send(f, 0, F_ACK, isn + 1 + 1000, 0xFFFFFFFFu, data + 1000, 3000);
	fx_send(f, 0, F_ACK, isn + 1 + 10, 0xFFFFFFFFu, data + 10, 990);
	fx_send(f, 0, F_ACK, isn + 1, 0xFFFFFFFFu, data, 10);
	assert_stream(&f->rec[0], data, N);
	/* The server's stream crosses 0 as well. */
	fx_send(f, 1, F_ACK, 0xFFFFFFFFu, isn + 1 + N, data, 100);
	fx_send(f, 1, F_ACK | F_FIN, 99, isn + 1 + N, data + 100, 100);
	assert_stream(&f->rec[1], data, 200);
	assert_int_equal(f->rec[1].closes, 1);
	fx_free(f);
}

static void test_port_reuse(void **state)
{
	fx_t *f = fx_new(NULL);

	(void)state;
	fx_handshake(f, 100, 500);
	/* An open session: a SYN is not reuse. */
	assert_int_equal(fx_send(f, 0, F_SYN, 100, 0, NULL, 0), 0);
	fx_send(f, 0, F_ACK | F_FIN, 101, 501, NULL, 0);
	fx_send(f, 1, F_ACK | F_FIN, 501, 102, NULL, 0);
	fx_send(f, 0, F_ACK, 102, 502, NULL, 0);
	/* Same ISN: a late retransmission of the first SYN. */
	assert_int_equal(fx_send(f, 0, F_SYN, 100, 0, NULL, 0), 0);
	/* A SYN/ACK or a SYN from the server side is not a new connection. */
	assert_int_equal(fx_send(f, 1, F_SYN, 7777, 0, NULL, 0), 0);
	assert_int_equal(fx_send(f, 0, F_SYN | F_ACK, 7777, 1, NULL, 0), 0);
	assert_int_equal(fx_send(f, 0, F_SYN, 123456, 0, NULL, 0), 1);
	assert_int_equal(fx_cnt(f)->session_reuse, 1);
	fx_free(f);

	/* After a reset, any new SYN. */
	f = fx_new(NULL);
	fx_handshake(f, 100, 500);
	fx_send(f, 1, F_RST | F_ACK, 501, 101, NULL, 0);
	assert_int_equal(fx_send(f, 0, F_SYN, 200, 0, NULL, 0), 1);
	fx_free(f);

	/* A midstream session closed by FIN. */
	f = fx_new(NULL);
	fx_send(f, 0, F_ACK | F_FIN, 100, 1, "x", 1);
	assert_int_equal(fx_send(f, 0, F_SYN, 100, 0, NULL, 0), 1);
	fx_free(f);
}

static void test_depth(void **state)
{
	uint8_t data[3000];
	tcp_config_t cfg;
	fx_t *f;
	tcp_session_dir_info_t info;

	(void)state;
	fx_cfg_patient(&cfg);
	cfg.depth = 1000;
	f = fx_new(&cfg);
	fill_pattern(data, sizeof(data), 14);
	fx_handshake(f, 0, 0);
	fx_send(f, 0, F_ACK, 2001, 1, data + 2000, 1000); /* beyond the depth: not buffered */
	assert_int_equal(fx_cnt(f)->chunks_from_pool, 0);
	fx_send(f, 0, F_ACK, 1, 1, data, 700);
	fx_send(f, 0, F_ACK, 701, 1, data + 700, 700);
	assert_stream(&f->rec[0], data, 1000);
	assert_int_equal(fx_cnt(f)->stream_depth_reached, 1);
	fx_send(f, 0, F_ACK, 1401, 1, data + 1400, 600);
	fx_send(f, 0, F_ACK | F_FIN, 2001, 1, data + 2000, 1000);
	assert_int_equal(f->rec[0].len, 1000);
	assert_int_equal(f->rec[0].closes, 1);
	assert_int_equal(fx_cnt(f)->stream_depth_reached, 1);
	tcp_session_dir_info(f->s, 0, &info);
	assert_true(info.depth_reached);
	/* The other direction is not limited by this one. */
	fx_send(f, 1, F_ACK, 1, 3002, data, 900);
	assert_int_equal(f->rec[1].len, 900);
	fx_free(f);
}

static void test_memcap(void **state)
{
	uint8_t data[8000];
	tcp_config_t cfg;
	fx_t *f;
	uint32_t off;

	(void)state;
	fx_cfg_patient(&cfg);
	cfg.memcap = 16384; /* room for the context and sessions, not for a slab of chunks */
	f = fx_new(&cfg);
	fill_pattern(data, sizeof(data), 15);
	fx_handshake(f, 0, 0);
	fx_send(f, 0, F_ACK, 1, 1, data, 100);
	for (off = 200; off < 8000; off += 500)
		fx_send(f, 0, F_ACK, 1 + off, 1, data + off, 500 > 8000 - off ? 8000 - off : 500);
	assert_true(fx_cnt(f)->segment_memcap_drop > 0);
	assert_true(f->acct.cap_hits > 0);
	assert_true(f->acct.in_use <= cfg.memcap);
	/* In-order data still flows without memory. */
	fx_send(f, 0, F_ACK, 101, 1, data + 100, 100);
	assert_stream(&f->rec[0], data, 200);
	fx_finish(f);
	assert_int_equal(f->rec[0].ngaps, 0); /* nothing after the hole was kept */
	assert_int_equal(f->rec[0].closes, 1);
	fx_free(f);

	/* A cap too small for the session pool: no session, no crash. */
	{
		mem_account_t acct;
		tcp_reassembly_t *r;

		mem_account_init(&acct, "reassembly", 1024);
		assert_int_equal(tcp_reassembly_new(&r, &cfg, &acct), 0);
		assert_null(tcp_session_new(r));
		tcp_reassembly_free(r);
		assert_int_equal(acct.in_use, 0);
	}
}

/* With a cap that fits exactly one slab of chunks, holes turn into gaps in due course. */
static void test_memcap_gap(void **state)
{
	uint8_t data[100000];
	tcp_config_t cfg;
	fx_t *f;
	uint32_t off;

	(void)state;
	fx_cfg_patient(&cfg);
	cfg.memcap = 60000;
	f = fx_new(&cfg);
	fill_pattern(data, sizeof(data), 16);
	fx_handshake(f, 0, 0);
	for (off = 1000; off < sizeof(data); off += 1000)
		fx_send(f, 0, F_ACK, 1 + off, 1, data + off, 1000);
	assert_true(fx_cnt(f)->segment_memcap_drop > 0);
	fx_send(f, 1, F_ACK, 1, 1 + sizeof(data), NULL, 0); /* everything acknowledged */
	assert_true(f->rec[0].ngaps >= 2);
	assert_int_equal(f->rec[0].len + f->rec[0].gap_bytes, sizeof(data) - 1000 + 1000);
	fx_free(f);
}

static void test_stop(void **state)
{
	uint8_t data[3000];
	fx_t *f = fx_new(NULL);
	uint64_t held;

	(void)state;
	fill_pattern(data, sizeof(data), 17);
	fx_handshake(f, 0, 0);
	fx_send(f, 0, F_ACK, 1, 1, data, 100);
	fx_send(f, 0, F_ACK, 1001, 1, data + 1000, 1000); /* held */
	held = f->acct.in_use;
	tcp_session_stop(f->r, f->s, 0);
	assert_true(f->acct.in_use <= held);
	fx_send(f, 0, F_ACK, 101, 1, data + 100, 900);
	assert_int_equal(f->rec[0].len, 100);
	fx_send(f, 0, F_ACK | F_FIN, 2001, 1, data + 2000, 1000);
	assert_int_equal(f->rec[0].closes, 1);
	/* The other direction carries on. */
	fx_send(f, 1, F_ACK, 1, 3002, data, 10);
	assert_int_equal(f->rec[1].len, 10);
	fx_finish(f);
	assert_int_equal(f->rec[0].closes, 1);
	assert_int_equal(f->rec[1].closes, 1);
	fx_free(f);
}

/* The sink stops the direction from inside on_data, while held chunks are being drained. */
static void test_stop_from_sink(void **state)
{
	uint8_t data[10000];
	fx_t *f = fx_new(NULL);
	uint32_t off;

	(void)state;
	fill_pattern(data, sizeof(data), 18);
	f->rec[0].stop_at = 3000;
	fx_handshake(f, 0, 0);
	for (off = 1000; off < sizeof(data); off += 1000)
		fx_send(f, 0, F_ACK, 1 + off, 1, data + off, 1000);
	fx_send(f, 0, F_ACK, 1, 1, data, 1000);
	assert_true(f->rec[0].len >= 3000 && f->rec[0].len < 5000);
	assert_memory_equal(f->rec[0].data, data, f->rec[0].len);
	fx_finish(f);
	assert_int_equal(f->rec[0].closes, 1);
	fx_free(f);
}

static void test_insane(void **state)
{
	fx_t *f = fx_new(NULL);

	(void)state;
	fx_handshake(f, 0, 0);
	fx_send(f, 0, F_ACK, 1, 1, "abc", 3);
	fx_send(f, 0, F_ACK, 1 + 0x80000000u, 1, "zzz", 3);
	fx_send(f, 0, F_ACK, 1 + 0x50000000u, 1, "zzz", 3);
	fx_send(f, 0, F_ACK, 1 - 0x50000000u, 1, "zzz", 3);
	fx_send(f, 0, F_ACK, 4, 1, NULL, 3); /* length without bytes */
	assert_int_equal(fx_cnt(f)->pkt_invalid, 4);
	fx_send(f, 0, F_ACK | F_FIN, 4, 1, NULL, 0); /* zero-length FIN */
	fx_send(f, 0, F_ACK | F_FIN | F_SYN, 4, 1, "q", 1);
	fx_send(f, 1, F_ACK, 1, 0xFFFFFFFFu, NULL, 0); /* insane ACK */
	assert_stream(&f->rec[0], (const uint8_t *)"abc", 3);
	assert_int_equal(f->rec[0].closes, 1);
	assert_int_equal(f->rec[0].ngaps, 0);
	fx_finish(f);
	/* NULL arguments are survived. */
	assert_int_equal(tcp_session_packet(NULL, NULL, 0, NULL, NULL, NULL), 0);
	assert_int_equal(tcp_session_packet(f->r, f->s, 2, NULL, NULL, NULL), 0);
	tcp_session_free(f->r, NULL);
	tcp_session_finish(f->r, f->s, NULL, NULL);
	fx_free(f);
}

/* Many sessions from the pool, each with held data; freeing returns every byte. */
static void test_pool(void **state)
{
	enum { NS = 100 };
	tcp_session_t *ss[NS];
	mem_account_t acct;
	tcp_reassembly_t *r;
	tcp_config_t cfg;
	packet_t p;
	int i;

	(void)state;
	fx_cfg_patient(&cfg);
	mem_account_init(&acct, "reassembly", 0);
	assert_int_equal(tcp_reassembly_new(&r, &cfg, &acct), 0);
	memset(&p, 0, sizeof(p));
	p.tcp_flags = F_ACK;
	p.payload = (const uint8_t *)"0123456789";
	p.payload_len = 10;
	for (i = 0; i < NS; i++) {
		ss[i] = tcp_session_new(r);
		assert_non_null(ss[i]);
		p.tcp_seq = 1000;
		tcp_session_packet(r, ss[i], 0, &p, NULL, NULL);
		p.tcp_seq = 1100;
		tcp_session_packet(r, ss[i], 0, &p, NULL, NULL);
	}
	assert_true(tcp_reassembly_counters(r)->pool_grows >= 2);
	assert_true(tcp_reassembly_counters(r)->session_pool_grows >= 2);
	for (i = 0; i < NS; i += 2)
		tcp_session_free(r, ss[i]);
	for (i = 1; i < NS; i += 2)
		tcp_session_free(r, ss[i]);
	tcp_reassembly_free(r);
	assert_int_equal(acct.in_use, 0);
	assert_null(tcp_reassembly_counters(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_permutations),
		cmocka_unit_test(test_one_byte_segments),
		cmocka_unit_test(test_one_byte_segments_reversed),
		cmocka_unit_test(test_random_segmentation),
		cmocka_unit_test(test_retransmission),
		cmocka_unit_test(test_overlap_diff_delivered),
		cmocka_unit_test(test_overlap_diff_buffered),
		cmocka_unit_test(test_cmp_retrans_diff),
		cmocka_unit_test(test_cmp_retrans_same),
		cmocka_unit_test(test_cmp_partial_overlap),
		cmocka_unit_test(test_cmp_ring),
		cmocka_unit_test(test_cmp_after_gap),
		cmocka_unit_test(test_cmp_off),
		cmocka_unit_test(test_cmp_memcap),
		cmocka_unit_test(test_gap_missing_segment),
		cmocka_unit_test(test_gap_by_ack),
		cmocka_unit_test(test_gap_by_hold_bytes),
		cmocka_unit_test(test_gap_by_hold_timeout),
		cmocka_unit_test(test_fin_behind_hole_timeout),
		cmocka_unit_test(test_midstream),
		cmocka_unit_test(test_one_sided),
		cmocka_unit_test(test_fin_both),
		cmocka_unit_test(test_fin_server_first),
		cmocka_unit_test(test_fin_before_data),
		cmocka_unit_test(test_rst),
		cmocka_unit_test(test_rst_exact_seq),
		cmocka_unit_test(test_rst_at_receiver_ack),
		cmocka_unit_test(test_rst_after_fin),
		cmocka_unit_test(test_rst_auth_option),
		cmocka_unit_test(test_rst_syn_sent),
		cmocka_unit_test(test_rst_syn_sent_timestamps),
		cmocka_unit_test(test_evasion_before_synack),
		cmocka_unit_test(test_syn_sent_server_data),
		cmocka_unit_test(test_rst_syn_recv),
		cmocka_unit_test(test_rst_midstream),
		cmocka_unit_test(test_gap_by_ack_to_fin),
		cmocka_unit_test(test_syn_with_data),
		cmocka_unit_test(test_missed_syn),
		cmocka_unit_test(test_wraparound),
		cmocka_unit_test(test_port_reuse),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_memcap),
		cmocka_unit_test(test_memcap_gap),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_stop_from_sink),
		cmocka_unit_test(test_insane),
		cmocka_unit_test(test_pool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

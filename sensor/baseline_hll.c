/*
 * baseline_hll.c - HyperLogLog distinct counts for the baselines (distinct principals, client
 * addresses and object IDs per minute).
 *
 * Fed with 64-bit hashes of the counted values; feeds the per-minute figures and the Redis
 * store. The register layout is Redis's (2^14 registers, register = low 14 bits of the hash,
 * rank = 1 + trailing zeros of the other 50), so a sensor's minute is written to Redis as a
 * ready-made HLL string and merged there with PFMERGE, and the estimate is the same as
 * PFCOUNT's (Ertl's improved estimator, 2017). A set starts as an exact list of a few registers
 * inside its owner, moves to a 2 KiB mid block (up to 256 registers, a small hash table) and
 * then to a full 16 KiB block, both from fixed pools; when the next pool is empty it stays
 * where it is (a lower bound, counted). Most per-minute sets never need the full block, so
 * counting and writing them to Redis touches a few hundred bytes, not 16 KiB.
 */
#include "baseline_private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

int bl_hll_pool_init(bl_hll_pool_t *p, uint32_t cap, mem_account_t *acct)
{
	uint32_t i;

	memset(p, 0, sizeof(*p));
	if (!cap)
		return 0;
	/* Blocks come zeroed and are touched only as sets grow into them. The sizes are set
	 * first: bl_hll_pool_fini frees what was allocated by them. */
	p->cap = cap;
	p->blocks = mem_table_alloc(acct, (size_t)cap * BL_HLL_REGS);
	p->free = mem_alloc(acct, (size_t)cap * sizeof(uint32_t));
	p->mid_cap = cap * BL_HLL_MID_PER_DENSE;
	p->mid_blocks =
		mem_table_alloc(acct, (size_t)p->mid_cap * BL_HLL_MID_SLOTS * sizeof(uint32_t));
	p->mid_free = mem_alloc(acct, (size_t)p->mid_cap * sizeof(uint32_t));
	if (!p->blocks || !p->free || !p->mid_blocks || !p->mid_free) {
		bl_hll_pool_fini(p, acct);
		return AW_ENOMEM;
	}
	for (i = 0; i < cap; i++)
		p->free[i] = cap - 1 - i;
	p->nfree = cap;
	for (i = 0; i < p->mid_cap; i++)
		p->mid_free[i] = p->mid_cap - 1 - i;
	p->mid_nfree = p->mid_cap;
	return 0;
}

void bl_hll_pool_fini(bl_hll_pool_t *p, mem_account_t *acct)
{
	if (p->blocks)
		mem_table_free(acct, p->blocks, (size_t)p->cap * BL_HLL_REGS);
	if (p->free)
		mem_free(acct, p->free, (size_t)p->cap * sizeof(uint32_t));
	if (p->mid_blocks)
		mem_table_free(acct, p->mid_blocks,
			       (size_t)p->mid_cap * BL_HLL_MID_SLOTS * sizeof(uint32_t));
	if (p->mid_free)
		mem_free(acct, p->mid_free, (size_t)p->mid_cap * sizeof(uint32_t));
	memset(p, 0, sizeof(*p));
}

static uint8_t *bl_hll_block(const bl_hll_pool_t *p, const bl_hll_t *h)
{
	return p->blocks + (size_t)(h->dense - 1) * BL_HLL_REGS;
}

static uint32_t *bl_hll_mid(const bl_hll_pool_t *p, const bl_hll_t *h)
{
	return p->mid_blocks + (size_t)(h->mid - 1) * BL_HLL_MID_SLOTS;
}

static void bl_hll_capped(bl_hll_pool_t *p, bl_hll_t *h)
{
	if (!h->capped)
		p->cap_hits++;
	h->capped = 1;
}

/* Sets register reg of a mid block to at least rank; 0 when the block is full (and the register
 * not in it). Slots are (register << 8) | rank, never 0 (ranks start at 1). */
static int bl_hll_mid_set(uint32_t *slots, uint16_t *n, uint32_t reg, uint8_t rank)
{
	uint32_t i = reg & (BL_HLL_MID_SLOTS - 1);

	for (;; i = (i + 1) & (BL_HLL_MID_SLOTS - 1)) {
		uint32_t v = slots[i];

		if (!v)
			break;
		if ((v >> 8) == reg) {
			if ((v & 0xff) < rank)
				slots[i] = reg << 8 | rank;
			return 1;
		}
	}
	if (*n >= BL_HLL_MID_MAX)
		return 0;
	slots[i] = reg << 8 | rank;
	(*n)++;
	return 1;
}

/* Moves a full inline set to a mid block; 0 when the pool has none. */
static int bl_hll_to_mid(bl_hll_pool_t *p, bl_hll_t *h)
{
	uint32_t *slots, i, n = h->n;
	uint16_t k = 0;

	if (!p->mid_nfree)
		return 0;
	h->mid = p->mid_free[--p->mid_nfree] + 1;
	slots = bl_hll_mid(p, h); /* given back empty (bl_hll_clear) */
	for (i = 0; i < n; i++)
		bl_hll_mid_set(slots, &k, h->sp[i] >> 8, (uint8_t)(h->sp[i] & 0xff));
	h->n = k;
	return 1;
}

/* Moves an inline or mid set to a dense block; 0 when the pool has none. */
static int bl_hll_to_dense(bl_hll_pool_t *p, bl_hll_t *h)
{
	uint8_t *regs;
	uint32_t i;

	if (!p->nfree)
		return 0;
	h->dense = p->free[--p->nfree] + 1;
	regs = bl_hll_block(p, h); /* given back zeroed (bl_hll_clear) */
	if (h->mid) {
		uint32_t *slots = bl_hll_mid(p, h);

		for (i = 0; i < BL_HLL_MID_SLOTS; i++) {
			if (slots[i]) {
				regs[slots[i] >> 8] = (uint8_t)(slots[i] & 0xff);
				slots[i] = 0;
			}
		}
		p->mid_free[p->mid_nfree++] = h->mid - 1;
		h->mid = 0;
	} else {
		for (i = 0; i < h->n; i++)
			regs[h->sp[i] >> 8] = (uint8_t)(h->sp[i] & 0xff);
	}
	h->n = 0;
	return 1;
}

static void bl_hll_set(bl_hll_pool_t *p, bl_hll_t *h, uint32_t reg, uint8_t rank)
{
	uint32_t i;

	if (h->dense) {
		uint8_t *regs = bl_hll_block(p, h);

		if (regs[reg] < rank)
			regs[reg] = rank;
		return;
	}
	if (h->mid) {
		if (bl_hll_mid_set(bl_hll_mid(p, h), &h->n, reg, rank))
			return;
		if (bl_hll_to_dense(p, h))
			bl_hll_set(p, h, reg, rank);
		else
			bl_hll_capped(p, h);
		return;
	}
	for (i = 0; i < h->n; i++) {
		if ((h->sp[i] >> 8) == reg) {
			if ((h->sp[i] & 0xff) < rank)
				h->sp[i] = reg << 8 | rank;
			return;
		}
	}
	if (h->n < BL_HLL_SPARSE) {
		h->sp[h->n++] = reg << 8 | rank;
		return;
	}
	if (bl_hll_to_mid(p, h) || bl_hll_to_dense(p, h))
		bl_hll_set(p, h, reg, rank);
	else
		bl_hll_capped(p, h);
}

void bl_hll_add(bl_hll_pool_t *p, bl_hll_t *h, uint64_t hash)
{
	uint32_t reg = (uint32_t)(hash & (BL_HLL_REGS - 1));
	uint64_t rest = (hash >> BL_HLL_P) | (1ull << (64 - BL_HLL_P));

	if (hash == h->last && (h->n || h->dense))
		return;
	h->last = hash;
	bl_hll_set(p, h, reg, (uint8_t)(__builtin_ctzll(rest) + 1));
}

void bl_hll_merge(bl_hll_pool_t *p, bl_hll_t *dst, const bl_hll_t *src)
{
	uint32_t i;

	if (src->dense) {
		const uint8_t *regs = bl_hll_block(p, src);

		for (i = 0; i < BL_HLL_REGS; i++)
			if (regs[i])
				bl_hll_set(p, dst, i, regs[i]);
		return;
	}
	if (src->mid) {
		const uint32_t *slots = bl_hll_mid(p, src);

		for (i = 0; i < BL_HLL_MID_SLOTS; i++)
			if (slots[i])
				bl_hll_set(p, dst, slots[i] >> 8, (uint8_t)(slots[i] & 0xff));
		return;
	}
	for (i = 0; i < src->n; i++)
		bl_hll_set(p, dst, src->sp[i] >> 8, (uint8_t)(src->sp[i] & 0xff));
}

/* Blocks go back to their pool cleared, so that taking one needs no clearing (and a block never
 * used is never touched: the pool comes from calloc). */
void bl_hll_clear(bl_hll_pool_t *p, bl_hll_t *h)
{
	if (h->dense) {
		memset(bl_hll_block(p, h), 0, BL_HLL_REGS);
		p->free[p->nfree++] = h->dense - 1;
	}
	if (h->mid) {
		memset(bl_hll_mid(p, h), 0, BL_HLL_MID_SLOTS * sizeof(uint32_t));
		p->mid_free[p->mid_nfree++] = h->mid - 1;
	}
	h->last = 0;
	h->dense = 0;
	h->mid = 0;
	h->n = 0;
	h->capped = 0;
}

/* Ertl's estimator over a histogram of register values (q = 64 - P bits of rank). */
static double bl_hll_sigma(double x)
{
	double y = 1.0, z = x, zp;

	if (x == 1.0)
		return INFINITY;
	do {
		x *= x;
		zp = z;
		z += x * y;
		y += y;
	} while (zp != z);
	return z;
}

static double bl_hll_tau(double x)
{
	double y = 1.0, z, zp;

	if (x == 0.0 || x == 1.0)
		return 0.0;
	z = 1.0 - x;
	do {
		x = sqrt(x);
		zp = z;
		y *= 0.5;
		z -= (1.0 - x) * (1.0 - x) * y;
	} while (zp != z);
	return z / 3.0;
}

#define BL_HLL_Q (64 - BL_HLL_P)

static uint64_t bl_hll_estimate_histo(const uint32_t *histo)
{
	double m = BL_HLL_REGS, z;
	int j;

	z = m * bl_hll_tau((m - histo[BL_HLL_Q + 1]) / m);
	for (j = BL_HLL_Q; j >= 1; j--) {
		z += histo[j];
		z *= 0.5;
	}
	z += m * bl_hll_sigma(histo[0] / m);
	return (uint64_t)llround(0.5 / log(2.0) * m * m / z);
}

uint64_t bl_hll_estimate_regs(const uint8_t *regs)
{
	uint32_t histo[BL_HLL_Q + 2] = {0};
	uint32_t i;

	for (i = 0; i < BL_HLL_REGS; i++)
		histo[regs[i] <= BL_HLL_Q + 1 ? regs[i] : BL_HLL_Q + 1]++;
	return bl_hll_estimate_histo(histo);
}

uint64_t bl_hll_count(const bl_hll_pool_t *p, const bl_hll_t *h)
{
	uint32_t histo[BL_HLL_Q + 2] = {0};
	uint32_t i;

	if (h->dense)
		return bl_hll_estimate_regs(bl_hll_block(p, h));
	if (!h->n)
		return 0;
	histo[0] = BL_HLL_REGS - h->n;
	if (h->mid) {
		const uint32_t *slots = bl_hll_mid(p, h);

		for (i = 0; i < BL_HLL_MID_SLOTS; i++)
			if (slots[i])
				histo[(slots[i] & 0xff) <= BL_HLL_Q + 1 ? slots[i] & 0xff
									: BL_HLL_Q + 1]++;
		return bl_hll_estimate_histo(histo);
	}
	for (i = 0; i < h->n; i++)
		histo[(h->sp[i] & 0xff) <= BL_HLL_Q + 1 ? h->sp[i] & 0xff : BL_HLL_Q + 1]++;
	return bl_hll_estimate_histo(histo);
}

/* ------------------------------------------------------------------------------------------ */
/* Redis's string forms: a 16-byte header ("HYLL", encoding, 3 unused bytes, 8 bytes of cached
 * cardinality whose top bit marks it stale), then 6-bit registers (dense) or run-length
 * opcodes (sparse: ZERO 00xxxxxx, XZERO 01xxxxxx yyyyyyyy, VAL 1vvvvvxx). */

static void bl_hll_header(uint8_t *out, int sparse)
{
	memset(out, 0, 16);
	memcpy(out, "HYLL", 4);
	out[4] = sparse ? 1 : 0;
	out[15] = 0x80; /* cached cardinality is stale */
}

static size_t bl_hll_encode_dense(const uint8_t *regs, uint8_t *out)
{
	uint8_t *d = out + 16;
	uint32_t i;

	bl_hll_header(out, 0);
	memset(d, 0, BL_HLL_REDIS_DENSE - 16);
	for (i = 0; i < BL_HLL_REGS; i++) {
		uint32_t bit = i * 6, byte = bit / 8, fb = bit & 7;
		uint8_t v = regs[i] > 63 ? 63 : regs[i];

		d[byte] |= (uint8_t)(v << fb);
		if (fb > 2)
			d[byte + 1] |= (uint8_t)(v >> (8 - fb));
	}
	return BL_HLL_REDIS_DENSE;
}

static size_t bl_hll_zeros(uint8_t *out, uint32_t run)
{
	size_t o = 0;

	while (run > 64) {
		uint32_t n = run > BL_HLL_REGS ? BL_HLL_REGS : run;

		out[o++] = (uint8_t)(0x40 | ((n - 1) >> 8));
		out[o++] = (uint8_t)((n - 1) & 0xff);
		run -= n;
	}
	if (run)
		out[o++] = (uint8_t)(run - 1);
	return o;
}

/* Sorts n <= BL_HLL_MID_MAX (register << 8 | rank) values by register, which are distinct: by
 * insertion when they are few, else in two counting passes over the register's 14 bits. */
_Static_assert(BL_HLL_P <= 14, "two 7-bit counting passes cover a register");

static void bl_hll_sort(uint32_t *v, uint32_t n)
{
	uint32_t tmp[BL_HLL_MID_MAX], cnt[1u << 7], i, j, pass;

	if (n <= BL_HLL_SPARSE) {
		for (i = 1; i < n; i++) {
			uint32_t x = v[i];

			for (j = i; j > 0 && v[j - 1] > x; j--)
				v[j] = v[j - 1];
			v[j] = x;
		}
		return;
	}
	for (pass = 0; pass < 2; pass++) {
		const unsigned shift = 8 + 7 * pass;
		const uint32_t *src = pass ? tmp : v;
		uint32_t *dst = pass ? v : tmp, sum = 0;

		memset(cnt, 0, sizeof(cnt));
		for (i = 0; i < n; i++)
			cnt[(src[i] >> shift) & 127]++;
		for (i = 0; i < 128; i++) {
			uint32_t c = cnt[i];

			cnt[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			dst[cnt[(src[i] >> shift) & 127]++] = src[i];
	}
}

size_t bl_hll_redis_encode(const bl_hll_pool_t *p, const bl_hll_t *h, uint8_t *out)
{
	uint32_t sp[BL_HLL_MID_MAX], i, j, n = 0, next = 0;
	size_t o = 16;

	if (h->dense)
		return bl_hll_encode_dense(bl_hll_block(p, h), out);
	if (!h->n)
		return 0;
	if (h->mid) {
		const uint32_t *slots = bl_hll_mid(p, h);

		for (i = 0; i < BL_HLL_MID_SLOTS && n < BL_HLL_MID_MAX; i++)
			if (slots[i])
				sp[n++] = slots[i];
	} else {
		n = h->n;
		memcpy(sp, h->sp, n * sizeof(sp[0]));
	}
	bl_hll_sort(sp, n);
	for (i = 0; i < n; i++) {
		if ((sp[i] & 0xff) > 32) { /* sparse values stop at 32: write it dense */
			uint8_t regs[BL_HLL_REGS];

			memset(regs, 0, sizeof(regs));
			for (j = 0; j < n; j++)
				regs[sp[j] >> 8] = (uint8_t)(sp[j] & 0xff);
			return bl_hll_encode_dense(regs, out);
		}
	}
	bl_hll_header(out, 1);
	for (i = 0; i < n; i++) {
		uint32_t reg = sp[i] >> 8;

		o += bl_hll_zeros(out + o, reg - next);
		out[o++] = (uint8_t)(0x80 | (((sp[i] & 0xff) - 1) << 2));
		next = reg + 1;
	}
	o += bl_hll_zeros(out + o, BL_HLL_REGS - next);
	return o;
}

/*
 * baseline_profile.c - the learned profile: additive counters, first-N tables of hashed names,
 * log2 histograms, and the views the detectors read.
 *
 * A profile holds sums over finished minutes (calls, calls squared, 4xx, distinct counts and
 * their squares, status classes, histogram buckets, name presence counts). Sums add up: two
 * sensors' profiles, a loaded file and a new capture, or a template folded into another are
 * merged by addition, which a running mean or an EWMA would not allow. Mean and variance are
 * derived when a view is asked for.
 */
#include "baseline_private.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const uint32_t bl_list_cap[BL_L__COUNT] = {BASELINE_TOP_HEADERS, BASELINE_TOP_AGENTS,
					   BASELINE_TOP_QUERY, BASELINE_TOP_BODY};
const char *const bl_list_prefix[BL_L__COUNT] = {"h:", "ua:", "q:", "b:"};
const uint8_t bl_list_other[BL_L__COUNT] = {BL_F_OTHER_HEADERS, BL_F_OTHER_AGENTS, BL_F_OTHER_QUERY,
					    BL_F_OTHER_BODY};

static const char *const bl_field_names[] = {
#define BL_FIELD_STR(name, str) str,
	BL_FIELD_MAP(BL_FIELD_STR)
#undef BL_FIELD_STR
};

#define BL_NAMED_FIELDS (sizeof(bl_field_names) / sizeof(bl_field_names[0]))
_Static_assert(BL_NAMED_FIELDS == BL_F_SIZE0, "the named fields come before the numbered ones");
_Static_assert(BL_F_LAT0 - BL_F_SIZE0 <= 100 && BL_F_SENS0 - BL_F_LAT0 <= 100 &&
		       BL_F_REC0 - BL_F_SENS0 <= 100 && BL_F__COUNT - BL_F_REC0 <= 100,
	       "numbered fields have two digits");

const char *bl_field_name(unsigned f, char *buf, size_t cap)
{
	const char *pre;
	unsigned v;
	size_t pl;

	if (f < BL_NAMED_FIELDS)
		return bl_field_names[f];
	if (f < BL_F_LAT0)
		pre = "sz", v = f - BL_F_SIZE0;
	else if (f < BL_F_SENS0)
		pre = "lt", v = f - BL_F_LAT0;
	else if (f < BL_F_REC0)
		pre = "sens", v = f - BL_F_SENS0;
	else
		pre = "rc", v = f - BL_F_REC0;
	pl = strlen(pre);
	if (cap < pl + 3 || v > 99)
		return "";
	memcpy(buf, pre, pl);
	buf[pl] = (char)('0' + v / 10);
	buf[pl + 1] = (char)('0' + v % 10);
	buf[pl + 2] = '\0';
	return buf;
}

/* The numbered field pre + two digits in [base, base + count); -1 when name is not one. */
static int bl_field_numbered(const char *name, size_t n, const char *pre, unsigned base,
			     unsigned count)
{
	size_t pl = strlen(pre);
	unsigned v;

	if (n != pl + 2 || memcmp(name, pre, pl) != 0 || name[pl] < '0' || name[pl] > '9' ||
	    name[pl + 1] < '0' || name[pl + 1] > '9')
		return -1;
	v = (unsigned)(name[pl] - '0') * 10 + (unsigned)(name[pl + 1] - '0');
	return v < count ? (int)(base + v) : -1;
}

/* Read for every field of every profile the Redis thread takes back: no formatting. */
int bl_field_lookup(const char *name, size_t n)
{
	unsigned f;
	int r;

	for (f = 0; f < BL_NAMED_FIELDS; f++)
		if (strlen(bl_field_names[f]) == n && memcmp(bl_field_names[f], name, n) == 0)
			return (int)f;
	if ((r = bl_field_numbered(name, n, "sz", BL_F_SIZE0, BL_F_LAT0 - BL_F_SIZE0)) >= 0 ||
	    (r = bl_field_numbered(name, n, "lt", BL_F_LAT0, BL_F_SENS0 - BL_F_LAT0)) >= 0 ||
	    (r = bl_field_numbered(name, n, "sens", BL_F_SENS0, BL_F_REC0 - BL_F_SENS0)) >= 0)
		return r;
	return bl_field_numbered(name, n, "rc", BL_F_REC0, BL_F__COUNT - BL_F_REC0);
}

static uint64_t bl_sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

void bl_list_add(bl_profile_t *p, enum bl_list l, uint64_t hash, uint64_t count)
{
	bl_list_add_at(p, l, hash, count, 0);
}

uint32_t bl_list_add_at(bl_profile_t *p, enum bl_list l, uint64_t hash, uint64_t count,
			uint32_t hint)
{
	bl_item_t *it = p->item[l];
	uint32_t i, n = p->n[l];

	if (hint > n)
		hint = 0;
	for (i = hint; i < n; i++)
		if (it[i].hash == hash)
			goto found;
	for (i = 0; i < hint; i++)
		if (it[i].hash == hash)
			goto found;
	if (n < bl_list_cap[l]) {
		it[n].hash = hash;
		it[n].count = count;
		p->n[l] = n + 1;
		return n + 1;
	}
	p->f[bl_list_other[l]] = bl_sat_add(p->f[bl_list_other[l]], count);
	return 0;
found:
	it[i].count = bl_sat_add(it[i].count, count);
	return i + 1;
}

static void bl_first_last(uint64_t *dst_first, uint64_t *dst_last, uint64_t first, uint64_t last)
{
	if (first && (!*dst_first || first < *dst_first))
		*dst_first = first;
	if (last > *dst_last)
		*dst_last = last;
}

void bl_profile_add(bl_profile_t *dst, const bl_profile_t *src)
{
	unsigned i, l;

	for (i = 0; i < BL_F__COUNT; i++)
		dst->f[i] = bl_sat_add(dst->f[i], src->f[i]);
	for (l = 0; l < BL_L__COUNT; l++)
		for (i = 0; i < src->n[l]; i++)
			bl_list_add(dst, (enum bl_list)l, src->item[l][i].hash,
				    src->item[l][i].count);
	bl_first_last(&dst->first_us, &dst->last_us, src->first_us, src->last_us);
}

/* Removes what src added (the in-flight part once it is in the merged profile). First and last
 * stay: they only widen. */
void bl_profile_sub(bl_profile_t *dst, const bl_profile_t *src)
{
	unsigned i, j, l;

	for (i = 0; i < BL_F__COUNT; i++)
		dst->f[i] = dst->f[i] > src->f[i] ? dst->f[i] - src->f[i] : 0;
	for (l = 0; l < BL_L__COUNT; l++) {
		for (i = 0; i < src->n[l]; i++) {
			for (j = 0; j < dst->n[l]; j++) {
				bl_item_t *it = &dst->item[l][j];

				if (it->hash != src->item[l][i].hash)
					continue;
				it->count = it->count > src->item[l][i].count
						    ? it->count - src->item[l][i].count
						    : 0;
				break;
			}
		}
		for (i = j = 0; i < dst->n[l]; i++)
			if (dst->item[l][i].count)
				dst->item[l][j++] = dst->item[l][i];
		dst->n[l] = j;
	}
}

void bl_pprofile_add(bl_pprofile_t *dst, const bl_pprofile_t *src)
{
	unsigned i;

	for (i = 0; i < BL_F__PRINCIPAL; i++)
		dst->f[i] = bl_sat_add(dst->f[i], src->f[i]);
	bl_first_last(&dst->first_us, &dst->last_us, src->first_us, src->last_us);
}

void bl_pprofile_sub(bl_pprofile_t *dst, const bl_pprofile_t *src)
{
	unsigned i;

	for (i = 0; i < BL_F__PRINCIPAL; i++)
		dst->f[i] = dst->f[i] > src->f[i] ? dst->f[i] - src->f[i] : 0;
}

int bl_profile_empty(const bl_profile_t *p)
{
	unsigned i;

	for (i = 0; i < BL_F__COUNT; i++)
		if (p->f[i])
			return 0;
	for (i = 0; i < BL_L__COUNT; i++)
		if (p->n[i])
			return 0;
	return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Views */

unsigned bl_hist_bucket(uint64_t v)
{
	unsigned b;

	if (!v)
		return 0;
	b = 64u - (unsigned)__builtin_clzll(v); /* [2^(b-1), 2^b) */
	return b < BASELINE_HIST_BUCKETS ? b : BASELINE_HIST_BUCKETS - 1;
}

static double bl_bucket_lo(unsigned b)
{
	return b ? ldexp(1.0, (int)b - 1) : 0.0;
}

static double bl_quantile(const uint64_t *h, uint64_t n, double q)
{
	double target = q * (double)n, cum = 0;
	unsigned b;

	for (b = 0; b < BASELINE_HIST_BUCKETS; b++) {
		double c = (double)h[b];

		if (c > 0 && cum + c >= target) {
			double lo = bl_bucket_lo(b), hi = b ? lo * 2 : 0;

			return lo + (hi - lo) * ((target - cum) / c);
		}
		cum += c;
	}
	return bl_bucket_lo(BASELINE_HIST_BUCKETS - 1) * 2;
}

void bl_hist_dist(const uint64_t *h, baseline_dist_t *d)
{
	unsigned b;

	memset(d, 0, sizeof(*d));
	for (b = 0; b < BASELINE_HIST_BUCKETS; b++) {
		d->n += h[b];
		if (h[b])
			d->max = b ? bl_bucket_lo(b) * 2 : 0;
	}
	if (!d->n)
		return;
	d->p50 = bl_quantile(h, d->n, 0.50);
	d->p90 = bl_quantile(h, d->n, 0.90);
	d->p99 = bl_quantile(h, d->n, 0.99);
}

static void bl_rate(baseline_rate_t *r, uint64_t sum, uint64_t sq, uint64_t active, uint64_t span)
{
	double s = (double)sum, s2 = (double)sq;

	memset(r, 0, sizeof(*r));
	if (active) {
		r->mean = s / (double)active;
		r->var = s2 / (double)active - r->mean * r->mean;
		if (r->var < 0)
			r->var = 0;
	}
	if (span) {
		r->mean_all = s / (double)span;
		r->var_all = s2 / (double)span - r->mean_all * r->mean_all;
		if (r->var_all < 0)
			r->var_all = 0;
	}
}

static uint64_t bl_span_minutes(uint64_t first_us, uint64_t last_us)
{
	if (!first_us || last_us <= first_us)
		return 0;
	return last_us / 60000000ull - first_us / 60000000ull;
}

static int bl_presence_cmp(const baseline_presence_t *a, const baseline_presence_t *b)
{
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return a->hash < b->hash ? -1 : a->hash > b->hash;
}

/* The list as presence entries, most frequent first. */
static uint32_t bl_presence(const bl_profile_t *p, enum bl_list l, uint64_t denom,
			    baseline_presence_t *out)
{
	uint32_t i, j, n = p->n[l] < bl_list_cap[l] ? p->n[l] : bl_list_cap[l];

	for (i = 0; i < n; i++) {
		baseline_presence_t e = {p->item[l][i].hash, p->item[l][i].count,
					 denom ? (double)p->item[l][i].count / (double)denom : 0};

		for (j = i; j > 0 && bl_presence_cmp(&e, &out[j - 1]) < 0; j--)
			out[j] = out[j - 1];
		out[j] = e;
	}
	return n;
}

void bl_profile_view(const bl_profile_t *p, const baseline_config_t *cfg,
		     baseline_endpoint_view_t *v)
{
	uint64_t calls = p->f[BL_F_CALLS], mins = p->f[BL_F_MINUTES];
	unsigned i;

	memset(v, 0, sizeof(*v));
	v->calls = calls;
	v->minutes = mins;
	v->first_us = p->first_us;
	v->last_us = p->last_us;
	v->span_minutes = bl_span_minutes(p->first_us, p->last_us);
	if (v->span_minutes < mins)
		v->span_minutes = mins;
	bl_rate(&v->rate, calls, p->f[BL_F_CALLS_SQ], mins, v->span_minutes);
	bl_rate(&v->fails, p->f[BL_F_FAILS], p->f[BL_F_FAILS_SQ], mins, v->span_minutes);
	bl_rate(&v->principals, p->f[BL_F_D1], p->f[BL_F_D1_SQ], mins, v->span_minutes);
	bl_rate(&v->clients, p->f[BL_F_D2], p->f[BL_F_D2_SQ], mins, v->span_minutes);
	for (i = 0; i < 6; i++)
		v->status[i] = p->f[BL_F_ST0 + i];
	bl_hist_dist(&p->f[BL_F_SIZE0], &v->resp_bytes);
	bl_hist_dist(&p->f[BL_F_LAT0], &v->latency_us);
	v->nheaders = bl_presence(p, BL_L_HEADERS, calls, v->headers);
	v->nagents = bl_presence(p, BL_L_AGENTS, calls, v->agents);
	v->no_agent = p->f[BL_F_NO_AGENT];
	v->nquery_keys = bl_presence(p, BL_L_QUERY, calls, v->query_keys);
	v->body_samples = p->f[BL_F_BODY_SAMPLES];
	v->nbody_keys = bl_presence(p, BL_L_BODY, v->body_samples, v->body_keys);
	for (i = 0; i < BASELINE_SENSITIVE_TYPES; i++) {
		v->sensitive_counts[i] = p->f[BL_F_SENS0 + i];
		if (v->sensitive_counts[i])
			v->sensitive_types |= 1u << i;
	}
	for (i = 0; i < BASELINE_REC_BUCKETS; i++) {
		v->records[i] = p->f[BL_F_REC0 + i];
		v->record_samples += v->records[i];
	}
	v->objects = p->f[BL_F_OBJECTS];
	v->objects_shared = p->f[BL_F_OBJECTS_SHARED];
	v->armed = calls >= cfg->min_calls && p->first_us && p->last_us >= p->first_us &&
		   p->last_us - p->first_us >= cfg->learning_us;
}

void bl_pprofile_view(const bl_pprofile_t *p, const baseline_config_t *cfg,
		      baseline_principal_view_t *v)
{
	uint64_t mins = p->f[BL_F_MINUTES];

	memset(v, 0, sizeof(*v));
	v->calls = p->f[BL_F_CALLS];
	v->fails = p->f[BL_F_FAILS];
	v->minutes = mins;
	v->first_us = p->first_us;
	v->last_us = p->last_us;
	v->span_minutes = bl_span_minutes(p->first_us, p->last_us);
	if (v->span_minutes < mins)
		v->span_minutes = mins;
	bl_rate(&v->rate, v->calls, p->f[BL_F_CALLS_SQ], mins, v->span_minutes);
	bl_rate(&v->fails_rate, v->fails, p->f[BL_F_FAILS_SQ], mins, v->span_minutes);
	bl_rate(&v->object_ids, p->f[BL_F_D1], p->f[BL_F_D1_SQ], mins, v->span_minutes);
	v->armed = v->calls >= cfg->principal_min_calls && p->first_us &&
		   p->last_us >= p->first_us && p->last_us - p->first_us >= cfg->learning_us;
}

/* Keeps the largest entries when a merged list (several sensors) holds more than its cap. */
void bl_profile_trim(bl_profile_t *p)
{
	unsigned l;

	for (l = 0; l < BL_L__COUNT; l++) {
		uint32_t i, j;

		if (p->n[l] <= bl_list_cap[l])
			continue;
		for (i = 1; i < p->n[l]; i++) {
			bl_item_t e = p->item[l][i];

			for (j = i; j > 0 && p->item[l][j - 1].count < e.count; j--)
				p->item[l][j] = p->item[l][j - 1];
			p->item[l][j] = e;
		}
		for (i = bl_list_cap[l]; i < p->n[l]; i++)
			p->f[bl_list_other[l]] += p->item[l][i].count;
		p->n[l] = bl_list_cap[l];
	}
}

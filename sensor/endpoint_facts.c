/*
 * endpoint_facts.c - the estimators of the endpoint catalogue and what is derived from the
 * facts: log-bucket histograms (latency, response size), HyperLogLog (distinct callers), the
 * risk score, the deterministic order of endpoints, and the atomic files the writers use.
 */
#include "endpoint_private.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"

/* ------------------------------------------------------------------------------------------ */
/* Histograms */

static unsigned endpoint_hist_index(uint64_t v)
{
	unsigned e, sub;

	if (v < ENDPOINT_HIST_SUB)
		return (unsigned)v;
	e = 63u - (unsigned)__builtin_clzll(v);
	if (e >= ENDPOINT_HIST_EXP)
		return ENDPOINT_HIST_BUCKETS - 1;
	sub = (unsigned)(v >> (e - 2)) & (ENDPOINT_HIST_SUB - 1);
	return ENDPOINT_HIST_SUB * (e - 1) + sub;
}

/* The middle of a bucket. */
static uint64_t endpoint_hist_value(unsigned idx)
{
	unsigned e, sub;
	uint64_t lo, width;

	if (idx < ENDPOINT_HIST_SUB)
		return idx;
	e = idx / ENDPOINT_HIST_SUB + 1;
	sub = idx % ENDPOINT_HIST_SUB;
	width = 1ull << (e - 2);
	lo = (uint64_t)(ENDPOINT_HIST_SUB + sub) << (e - 2);
	return lo + width / 2;
}

void endpoint__hist_add(endpoint_hist_t *h, uint64_t v)
{
	unsigned i = endpoint_hist_index(v), k;

	if (h->b[i] == UINT32_MAX) {
		for (k = 0; k < ENDPOINT_HIST_BUCKETS; k++)
			h->b[k] = (uint32_t)(((uint64_t)h->b[k] + 1) / 2);
	}
	h->b[i]++;
	h->n++;
}

uint64_t endpoint__hist_quantile(const endpoint_hist_t *h, double q)
{
	uint64_t total = 0, rank, acc = 0;
	unsigned i;

	for (i = 0; i < ENDPOINT_HIST_BUCKETS; i++)
		total += h->b[i];
	if (!total)
		return 0;
	rank = (uint64_t)ceil(q * (double)total);
	if (rank < 1)
		rank = 1;
	for (i = 0; i < ENDPOINT_HIST_BUCKETS; i++) {
		acc += h->b[i];
		if (acc >= rank)
			return endpoint_hist_value(i);
	}
	return endpoint_hist_value(ENDPOINT_HIST_BUCKETS - 1);
}

uint64_t endpoint_latency_us(const endpoint_t *ep, double q)
{
	return endpoint__hist_quantile(&ep->latency_us, q);
}

uint64_t endpoint_response_bytes(const endpoint_t *ep, double q)
{
	return endpoint__hist_quantile(&ep->resp_bytes, q);
}

/* ------------------------------------------------------------------------------------------ */
/* HyperLogLog: the top bits of the hash pick a register, which keeps the longest run of
 * leading zeros (plus one) of the rest. */

void endpoint__hll_add(uint8_t regs[ENDPOINT_HLL_REGS], uint64_t hash)
{
	unsigned idx = (unsigned)(hash >> (64 - ENDPOINT_HLL_BITS));
	uint64_t w = hash << ENDPOINT_HLL_BITS;
	uint8_t rank = (uint8_t)(w ? __builtin_clzll(w) + 1 : 64 - ENDPOINT_HLL_BITS + 1);

	if (rank > regs[idx])
		regs[idx] = rank;
}

uint64_t endpoint__hll_estimate(const uint8_t regs[ENDPOINT_HLL_REGS])
{
	const double m = ENDPOINT_HLL_REGS, alpha = 0.7213 / (1.0 + 1.079 / m);
	double sum = 0, e;
	unsigned i, zeros = 0;

	for (i = 0; i < ENDPOINT_HLL_REGS; i++) {
		sum += ldexp(1.0, -(int)regs[i]);
		zeros += regs[i] == 0;
	}
	e = alpha * m * m / sum;
	/* Few distinct values: linear counting of the empty registers is the better estimate. */
	if (e <= 2.5 * m && zeros)
		e = m * log(m / zeros);
	return (uint64_t)(e + 0.5);
}

uint64_t endpoint_callers(const endpoint_t *ep)
{
	return endpoint__hll_estimate(ep->hll);
}

/* ------------------------------------------------------------------------------------------ */
/* Risk */

static const struct {
	const char *name;
	uint32_t weight;
} endpoint_risk_table[ENDPOINT_RISK__COUNT] = {
	[ENDPOINT_RISK_SENSITIVE_RESPONSE] = {"sensitive-data-in-response", 25},
	[ENDPOINT_RISK_SECRETS_RESPONSE] = {"secrets-in-response", 15},
	[ENDPOINT_RISK_SENSITIVE_REQUEST] = {"sensitive-data-in-request", 5},
	[ENDPOINT_RISK_UNAUTHENTICATED] = {"unauthenticated", 20},
	[ENDPOINT_RISK_PARTLY_UNAUTHENTICATED] = {"partly-unauthenticated", 10},
	[ENDPOINT_RISK_WRITE_METHOD] = {"write-method", 10},
	[ENDPOINT_RISK_SERVER_ERRORS] = {"server-errors", 10},
	[ENDPOINT_RISK_AUTH_FAILURES] = {"auth-failures", 5},
	[ENDPOINT_RISK_EXTERNAL] = {"external-exposure", 15},
	[ENDPOINT_RISK_WEAK_JWT] = {"weak-jwt", 15},
	[ENDPOINT_RISK_CREDENTIAL_IN_QUERY] = {"credential-in-query", 10},
	[ENDPOINT_RISK_BASIC_AUTH] = {"basic-auth", 5},
};

const char *endpoint_risk_reason_name(unsigned reason)
{
	return reason < ENDPOINT_RISK__COUNT ? endpoint_risk_table[reason].name : "unknown";
}

/* Secrets: keys and tokens rather than personal data. */
#define ENDPOINT_SECRET_TYPES                                                                \
	((1u << SENSITIVE_JWT) | (1u << SENSITIVE_PRIVATE_KEY) | (1u << SENSITIVE_AWS_KEY) | \
	 (1u << SENSITIVE_GITHUB_TOKEN) | (1u << SENSITIVE_SLACK_TOKEN) |                    \
	 (1u << SENSITIVE_STRIPE_KEY) | (1u << SENSITIVE_GOOGLE_API_KEY) |                   \
	 (1u << SENSITIVE_GCP_SERVICE_ACCOUNT) | (1u << SENSITIVE_SECRET))

static uint64_t endpoint_code_count(const endpoint_t *ep, uint16_t code)
{
	uint32_t i;

	for (i = 0; i < ep->ncodes; i++)
		if (ep->codes[i].code == code)
			return ep->codes[i].count;
	return 0;
}

void endpoint_risk(const endpoint_t *ep, endpoint_risk_t *out)
{
	uint64_t responses = 0, unauth = ep->auth_calls[PRINCIPAL_AUTH_NONE];
	uint32_t r = 0, score = 0;
	unsigned i;

	for (i = 1; i < 6; i++)
		responses += ep->status_class[i];
	if (ep->resp.sens_types & ~ENDPOINT_SECRET_TYPES)
		r |= 1u << ENDPOINT_RISK_SENSITIVE_RESPONSE;
	if (ep->resp.sens_types & ENDPOINT_SECRET_TYPES)
		r |= 1u << ENDPOINT_RISK_SECRETS_RESPONSE;
	if (ep->req.sens_types)
		r |= 1u << ENDPOINT_RISK_SENSITIVE_REQUEST;
	if (ep->hits && unauth == ep->hits)
		r |= 1u << ENDPOINT_RISK_UNAUTHENTICATED;
	else if (unauth)
		r |= 1u << ENDPOINT_RISK_PARTLY_UNAUTHENTICATED;
	if (ep->tpl && endpoint__write_method(ep->tpl->method))
		r |= 1u << ENDPOINT_RISK_WRITE_METHOD;
	if (responses && ep->status_class[5] * 20 >= responses)
		r |= 1u << ENDPOINT_RISK_SERVER_ERRORS;
	if (responses &&
	    (endpoint_code_count(ep, 401) + endpoint_code_count(ep, 403)) * 10 >= responses)
		r |= 1u << ENDPOINT_RISK_AUTH_FAILURES;
	if (ep->external)
		r |= 1u << ENDPOINT_RISK_EXTERNAL;
	if (ep->jwt_weak)
		r |= 1u << ENDPOINT_RISK_WEAK_JWT;
	if (ep->token_in_query)
		r |= 1u << ENDPOINT_RISK_CREDENTIAL_IN_QUERY;
	if (ep->auth_seen & (1u << PRINCIPAL_AUTH_BASIC))
		r |= 1u << ENDPOINT_RISK_BASIC_AUTH;
	for (i = 0; i < ENDPOINT_RISK__COUNT; i++)
		if (r & (1u << i))
			score += endpoint_risk_table[i].weight;
	out->score = score > 100 ? 100 : score;
	out->reasons = r;
}

/* ------------------------------------------------------------------------------------------ */
/* Order: host, template, method, then id (two trees never share all three, but the overflow
 * tree's "*" may meet a real host named "*"). */

static int endpoint_cmp(const void *a, const void *b)
{
	const endpoint_t *x = *(endpoint_t *const *)a, *y = *(endpoint_t *const *)b;
	int c = strcmp(x->tpl->host, y->tpl->host);

	if (!c)
		c = strcmp(x->tpl->str, y->tpl->str);
	if (!c)
		c = strcmp(x->tpl->method, y->tpl->method);
	if (!c)
		c = x->id < y->id ? -1 : x->id > y->id;
	return c;
}

endpoint_t **endpoint__sorted(endpoint_catalog_t *cat, size_t *n)
{
	size_t cnt = cat->counters.endpoints, k = 0;
	endpoint_t **v;
	uint32_t i;

	*n = 0;
	if (!cnt)
		return NULL;
	v = mem_alloc(cat->acct, cnt * sizeof(*v));
	if (!v)
		return NULL;
	for (i = 0; i <= cat->mask && k < cnt; i++)
		if (cat->slots[i])
			v[k++] = cat->slots[i];
	/* The table holds exactly the live endpoints: k == cnt. */
	qsort(v, k, sizeof(*v), endpoint_cmp);
	*n = k;
	return v;
}

void endpoint__sorted_free(endpoint_catalog_t *cat, endpoint_t **v, size_t n)
{
	if (v)
		mem_free(cat->acct, v, n * sizeof(*v));
}

/* ------------------------------------------------------------------------------------------ */
/* Atomic files */

int endpoint__file_open(endpoint_file_t *f, const char *path)
{
	int n;

	memset(f, 0, sizeof(*f));
	f->path = path;
	n = snprintf(f->tmp, sizeof(f->tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(f->tmp)) {
		errno = ENAMETOOLONG;
		return AW_EIO;
	}
	f->fp = fopen(f->tmp, "wb");
	return f->fp ? 0 : AW_EIO;
}

void endpoint__file_write(endpoint_file_t *f, const char *p, size_t n)
{
	if (!f->err && n && fwrite(p, 1, n, f->fp) != n)
		f->err = errno ? errno : EIO;
}

int endpoint__file_close(endpoint_file_t *f)
{
	if (fflush(f->fp) != 0 && !f->err)
		f->err = errno ? errno : EIO;
	if (fclose(f->fp) != 0 && !f->err)
		f->err = errno ? errno : EIO;
	f->fp = NULL;
	if (!f->err && rename(f->tmp, f->path) != 0)
		f->err = errno;
	if (f->err) {
		unlink(f->tmp);
		errno = f->err;
		return AW_EIO;
	}
	return 0;
}

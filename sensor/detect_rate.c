/*
 * detect_rate.c - unrestricted resource consumption (OWASP API4): calls per minute of an
 * endpoint, of a principal on an endpoint, and of a client address, far above what was learned;
 * and 5xx answers per minute far above the endpoint's, or its host's, usual figure.
 *
 * Fed by detect.c with every call, after the minute counters were advanced. A limit is the
 * largest of a floor, the learned mean plus sigma standard deviations, and factor times the
 * learned mean. Passing it fires when the limit was also passed in the minutes before
 * (rate-spike.sustain minutes in a row), or at once when the minute reaches twice the limit (a
 * one-off burst). A client has no baseline of its own: its peers' figure is the endpoint's
 * calls per client address and minute.
 */
#include "detect_private.h"

#include <stdio.h>

static const char *const dt_rate_what[] = {"this endpoint", "this principal on this endpoint",
					   "this client address"};

/* count this minute against limit; fired holds DT_OVER and the rule's bit. */
static void dt_rate(detect_t *d, dt_call_t *c, unsigned rule, int who, uint32_t count,
		    uint32_t *fired, uint32_t over_minutes, double limit, double mean)
{
	uint32_t run;
	char why[200];

	if ((double)count < limit)
		return;
	if (*fired & (1u << rule)) { /* fired this minute: each call over the limit grows it */
		snprintf(why, sizeof(why), "%u calls in a minute by %s; learned mean %.1f", count,
			 dt_rate_what[who], mean);
		dt_emit(d, c, rule, who, count, mean, "calls_per_min", why);
		return;
	}
	*fired |= DT_OVER;
	run = over_minutes + 1;
	if (run < d->cfg.rate_sustain && (double)count < 2 * limit)
		return;
	*fired |= 1u << rule;
	if (run > 1)
		snprintf(why, sizeof(why),
			 "%u calls in a minute by %s, over the limit %u minutes in a row; learned "
			 "mean %.1f",
			 count, dt_rate_what[who], run, mean);
	else
		snprintf(why, sizeof(why),
			 "%u calls in a minute by %s, twice the limit at once; learned mean %.1f",
			 count, dt_rate_what[who], mean);
	dt_emit(d, c, rule, who, count, mean, "calls_per_min", why);
}

static double dt_rate_limit(const detect_t *d, double mean, double sd, uint32_t floor)
{
	double l = dt_limit(d, mean, sd, floor);

	return (double)d->cfg.rate_factor * mean > l ? (double)d->cfg.rate_factor * mean : l;
}

static void dt_errors(detect_t *d, dt_call_t *c)
{
	dt_endpoint_t *e = c->ep;
	double mean = e->err_mean, limit;
	char why[160];

	e->cur_errors++;
	limit = dt_rate_limit(d, mean, sqrt(mean > 1 ? mean : 1), d->cfg.errors_min);
	if (e->cur_errors < limit || !dt_fire(&e->fired, DETECT_ERROR_SPIKE))
		return;
	snprintf(why, sizeof(why), "%u 5xx answers in a minute; learned mean %.2f per minute",
		 e->cur_errors, mean);
	dt_emit(d, c, DETECT_ERROR_SPIKE, 0, e->cur_errors, mean, "errors_per_min", why);
}

/* 5xx of a whole host (an API) per minute: an outage of its backend spreads over every
 * endpoint, each too thin to pass a limit on its own. The host's usual 5xx per minute is
 * learned here, from every minute since its first call (idle ones count as zero) except those
 * that fired; it needs error-spike.min and learning over (some endpoint armed). */
static void dt_host_errors(detect_t *d, dt_call_t *c)
{
	aw_slice_t host = c->call->host;
	dt_endpoint_t *h;
	double mean, limit;
	int fresh;
	char why[160];

	if (!c->ep->host_key) { /* the endpoint's host does not change: hashed once */
		if (!host.len) {
			host.ptr = "-";
			host.len = 1;
		}
		c->ep->host_key = dt_hash(d, 'H', host.ptr, host.len);
	}
	h = dt_get(&d->t[DETECT_T_ENDPOINTS], c->ep->host_key, c->t_us, &fresh);
	if (h->minute != c->minute + 1) {
		if (h->minute && !(h->fired & (1u << DETECT_ERROR_SPIKE))) {
			h->host_minutes += c->minute + 1 - h->minute;
			h->host_errors += h->cur_errors;
		}
		h->minute = c->minute + 1;
		h->fired = 0;
		h->cur_errors = 0;
	}
	if (c->cls != 5)
		return;
	h->cur_errors++;
	if (d->api_principals <= 0 || h->host_minutes < 10)
		return;
	mean = (double)h->host_errors / (double)h->host_minutes;
	limit = dt_rate_limit(d, mean, sqrt(mean > 1 ? mean : 1), d->cfg.errors_min);
	if (h->cur_errors < limit || !dt_fire(&h->fired, DETECT_ERROR_SPIKE))
		return;
	snprintf(why, sizeof(why),
		 "%u 5xx answers in a minute across this host; learned mean %.2f per minute",
		 h->cur_errors, mean);
	dt_emit(d, c, DETECT_ERROR_SPIKE, 0, h->cur_errors, mean, "errors_per_min", why);
}

void detect_rate_call(detect_t *d, dt_call_t *c)
{
	dt_endpoint_t *e = c->ep;

	if (d->on & DT_ON_ERRORS)
		dt_host_errors(d, c);
	if (!e->armed)
		return;
	if ((d->on & DT_ON_ERRORS) && c->cls == 5)
		dt_errors(d, c);
	if (!(d->on & DT_ON_RATE))
		return;
	dt_rate(d, c, DETECT_RATE_ENDPOINT, 0, e->cur_calls, &e->fired, e->over_minutes,
		dt_rate_limit(d, e->rate_mean, e->rate_sd, d->cfg.rate_endpoint_min), e->rate_mean);
	if (c->pair) {
		dt_pair_t *p = c->pair;
		double pm = e->principals_mean > 1 ? e->principals_mean : 1;
		double mean = p->pv_armed ? p->pv_rate_mean : e->rate_mean / pm;
		double sd = p->pv_armed ? p->pv_rate_sd : e->rate_sd / pm;

		dt_rate(d, c, DETECT_RATE_PRINCIPAL, 1, p->calls, &p->fired, p->over_minutes,
			dt_rate_limit(d, mean, sd, d->cfg.rate_principal_min), mean);
	}
	if (c->cl) {
		double cm = e->clients_mean > 1 ? e->clients_mean : 1;
		double mean = e->rate_mean / cm;

		dt_rate(d, c, DETECT_RATE_CLIENT, 2, c->cl->calls, &c->cl->fired,
			c->cl->over_minutes,
			dt_rate_limit(d, mean, e->rate_sd / cm, d->cfg.rate_client_min), mean);
	}
}

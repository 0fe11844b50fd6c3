/*
 * detect_flow.c - function level authorization (OWASP API5) and automated abuse of business
 * flows (OWASP API6).
 *
 * function_authz: a principal served (2xx/3xx) by a privileged function it never called
 * before, which few of the API's principals call: an admin-like path (a literal segment such
 * as admin, internal, manage, debug, actuator), or a write method (PUT, PATCH, DELETE) on a
 * resource the principal only ever read (its baseline on the GET of the same template). "Few"
 * is the endpoint's learned distinct principals per minute against the largest of any armed
 * endpoint: at most function-authz.max-share percent of it. Also a credentialed principal
 * refused (401/403) on an admin-like path it never called before, once learning is over,
 * whether or not that path's own baseline armed: a probe of functions above its role.
 *
 * scraping: per principal, over a window of scraping.window (20 min) of packet time: the
 * inter-call gaps are machine-regular (coefficient of variation at most scraping.max-cv), the
 * calls cover many distinct object IDs or page numbers (scraping.min-ids, counted in a
 * sketch), on a narrow set of endpoints, for at least three minutes and scraping.min-calls
 * calls, and faster than the principal's own learned IDs per minute. Slow scrapes (a call
 * every few seconds) fill the window as surely as fast ones.
 */
#include "detect_private.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

int detect_flow_is_privileged(aw_slice_t method, aw_slice_t tpl)
{
	static const char *const words[] = {
		"admin",      "admins",	 "administrator", "internal", "manage",
		"management", "debug",	 "actuator",	  "sudo",     "superuser",
		"staff",      "console", "ops",		  "root",     NULL};

	(void)method;
	return dt_tpl_has_word(tpl, words);
}

static void dt_authz(detect_t *d, dt_call_t *c)
{
	dt_endpoint_t *e = c->ep;
	dt_pair_t *p = c->pair;
	int admin = dt_ep_is_privileged(c);
	int write = c->write && !dt_slice_ieq(c->call->method, "post");
	double share_limit = d->api_principals * (double)d->cfg.authz_share / 100.0;
	int read_only = 0;
	char why[200];

	if (!admin && !write)
		return;
	if (p->pv_known && p->pv_calls > 0)
		return;
	if (p->fired & (1u << DETECT_FUNCTION_AUTHZ)) { /* its further calls grow the alert */
		snprintf(why, sizeof(why), "%s again by the same principal",
			 admin ? "privileged function served" : "write method served");
		dt_emit(d, c, DETECT_FUNCTION_AUTHZ, 1, e->principals_mean, d->api_principals,
			"principals_per_min", why);
		return;
	}
	if (e->principals_mean > (share_limit > 1 ? share_limit : 1))
		return;
	if (!admin) {
		static const char get[] = "GET";
		aw_slice_t host = c->call->host, m = {get, 3};
		baseline_principal_view_t pv;
		uint64_t gk;

		if (!host.len) {
			host.ptr = "-";
			host.len = 1;
		}
		gk = baseline_endpoint_key(d->bl, host, m, c->call->endpoint);
		read_only = baseline_principal_view(d->bl, gk, c->pr_key, &pv) == 0 && pv.calls > 0;
		if (!read_only)
			return;
	}
	p->fired |= 1u << DETECT_FUNCTION_AUTHZ;
	snprintf(why, sizeof(why),
		 "%s by a principal that %s; %.1f principals per minute call it, of up to %.1f",
		 admin ? "privileged function served" : "write method served",
		 admin ? "never called it" : "only ever read this resource", e->principals_mean,
		 d->api_principals);
	dt_emit(d, c, DETECT_FUNCTION_AUTHZ, 1, e->principals_mean, d->api_principals,
		"principals_per_min", why);
}

/* A credentialed principal refused (401/403) on an admin-like path it never called before:
 * someone trying functions above its role. The server held, but the SOC wants to know who
 * probes; a principal that calls the function normally has it in its baseline. */
static void dt_authz_refused(detect_t *d, dt_call_t *c)
{
	dt_pair_t *p = c->pair;
	char why[200];

	if (!dt_ep_is_privileged(c) || (p->pv_known && p->pv_calls > 0) ||
	    !dt_fire(&p->fired, DETECT_FUNCTION_AUTHZ))
		return;
	snprintf(why, sizeof(why),
		 "privileged function refused (%d) to a principal that never called it; %.1f "
		 "principals per minute call it",
		 c->status, c->ep->principals_mean);
	dt_emit(d, c, DETECT_FUNCTION_AUTHZ, 1, c->ep->principals_mean, d->api_principals,
		"principals_per_min", why);
}

/* ------------------------------------------------------------------------------------------ */
/* Scraping */

static void dt_page_ids(detect_t *d, dt_call_t *c, dt_principal_t *pr)
{
	aw_slice_t q = c->call->query;
	size_t i = 0;

	while (i < q.len) {
		size_t s = i, eq = SIZE_MAX;
		aw_slice_t k;

		/* One pass over the parameter: its end, and its first '=' (else its end). */
		for (; i < q.len && q.ptr[i] != '&'; i++)
			if (q.ptr[i] == '=' && eq == SIZE_MAX)
				eq = i;
		if (eq == SIZE_MAX)
			eq = i;
		k.ptr = q.ptr + s;
		k.len = eq - s;
		if (eq < i && (dt_slice_ieq(k, "page") || dt_slice_ieq(k, "offset") ||
			       dt_slice_ieq(k, "cursor") || dt_slice_ieq(k, "start") ||
			       dt_slice_ieq(k, "from") || dt_slice_ieq(k, "skip") ||
			       dt_slice_ieq(k, "after") || dt_slice_ieq(k, "p")))
			dt_bits_add(pr->ids.w, 8, dt_hash(d, 'P', q.ptr + s, i - s) ^ c->ep_key);
		i++;
	}
}

static void dt_scrape_track(detect_t *d, dt_call_t *c, dt_principal_t *pr)
{
	uint64_t req_us = c->call->req.first_us ? c->call->req.first_us : c->t_us;
	uint32_t i;

	if (!pr->win_start || c->t_us - pr->win_start >= d->scraping_window_us) {
		memset(&pr->calls, 0,
		       offsetof(dt_principal_t, clients) - offsetof(dt_principal_t, calls));
		pr->win_start = c->t_us;
	}
	/* Gaps between the requests themselves: a call reaches the detectors when its
	 * transaction is complete, which on a keep-alive connection may be when the next request
	 * shows up, so the stage's clock (c->t_us) would blur a metronome into 0 s / 2x gaps. */
	if (pr->last_call_us && req_us >= pr->last_call_us) {
		double g = (double)(req_us - pr->last_call_us) / 1e6;

		pr->gap_sum += g;
		pr->gap_sq += g * g;
		pr->gaps++;
	}
	if (req_us > pr->last_call_us)
		pr->last_call_us = req_us;
	pr->calls++;
	for (i = 0; i < pr->nendpoints && pr->endpoints[i] != c->ep_key; i++)
		;
	if (i == pr->nendpoints) {
		if (pr->nendpoints < 4)
			pr->endpoints[pr->nendpoints++] = c->ep_key;
		else
			pr->endpoints_over = 1;
	}
	if (c->has_id)
		dt_bits_add(pr->ids.w, 8, c->id_hash ^ c->ep_key);
	if (c->call->query.len)
		dt_page_ids(d, c, pr);
	if (c->ep->armed)
		pr->armed_endpoint = c->ep_key;
	if (c->pair && c->pair->pv_armed) {
		double own = dt_limit(d, c->pair->pv_ids_mean, c->pair->pv_ids_sd, 0);

		if (own > pr->own_ids_mean)
			pr->own_ids_mean = own;
	}
}

static void dt_scraping(detect_t *d, dt_call_t *c)
{
	dt_principal_t *pr = c->pr;
	double mean, var, cv, ids, minutes, endpoints;
	char why[220];

	dt_scrape_track(d, c, pr);
	if (pr->fired_win) { /* the window was flagged: its further calls grow the alert */
		ids = dt_bits_count(pr->ids.w, 8);
		minutes = (double)(c->t_us - pr->win_start) / (double)DT_MINUTE_US;
		snprintf(why, sizeof(why), "%u calls in %.0f min, %.0f distinct IDs or pages",
			 pr->calls, minutes, ids);
		dt_emit(d, c, DETECT_SCRAPING, 1, ids, pr->own_ids_mean * minutes,
			"distinct_ids_per_window", why);
		return;
	}
	if (!pr->armed_endpoint || pr->calls < d->scraping_min_calls || pr->gaps < 2 ||
	    c->t_us - pr->win_start < 3 * DT_MINUTE_US)
		return;
	endpoints = pr->nendpoints + (pr->endpoints_over ? 1 : 0);
	if (endpoints > d->cfg.scraping_max_endpoints)
		return;
	mean = pr->gap_sum / pr->gaps;
	var = pr->gap_sq / pr->gaps - mean * mean;
	cv = mean > 0 ? sqrt(var > 0 ? var : 0) / mean : 0;
	if (mean <= 0 || cv * 100.0 > (double)d->cfg.scraping_max_cv)
		return;
	ids = dt_bits_count(pr->ids.w, 8);
	minutes = (double)(c->t_us - pr->win_start) / (double)DT_MINUTE_US;
	if (ids < d->cfg.scraping_min_ids || ids / (minutes > 1 ? minutes : 1) <= pr->own_ids_mean)
		return;
	pr->fired_win = 1;
	snprintf(why, sizeof(why),
		 "%u calls in %.0f min, one every %.1f s (variation %.0f%%), %.0f distinct IDs or "
		 "pages on %.0f endpoint(s)",
		 pr->calls, minutes, mean, cv * 100.0, ids, endpoints);
	dt_emit(d, c, DETECT_SCRAPING, 1, ids, pr->own_ids_mean * minutes,
		"distinct_ids_per_window", why);
}

void detect_flow_call(detect_t *d, dt_call_t *c)
{
	if ((d->on & DT_ON_AUTHZ) && c->pair && c->ep->armed && (c->cls == 2 || c->cls == 3))
		dt_authz(d, c);
	/* A privileged function is rare by nature and may never arm; a refusal needs no
	 * baseline of it, only that learning is over (some endpoint armed). */
	if ((d->on & DT_ON_AUTHZ) && c->pair && c->credentialed && d->api_principals > 0 &&
	    (c->status == 401 || c->status == 403))
		dt_authz_refused(d, c);
	if ((d->on & DT_ON_SCRAPING) && c->pr)
		dt_scraping(d, c);
}

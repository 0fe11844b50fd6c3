/*
 * detect_client.c - who the client is: impersonation (calls lacking headers that nearly all of
 * an endpoint's traffic carries, such as an app attestation token or an app version, or with
 * user agents never seen on an app-only endpoint), unauthenticated calls answered on endpoints
 * whose calls nearly always carry credentials, and calls to shadow endpoints (not in the
 * declared spec).
 *
 * Fed by detect.c with every call. The usual headers are those whose presence share in the
 * endpoint's baseline is at least impersonation.presence (98 %), minus framing, forwarding and
 * credential headers; an endpoint is app-only when at most four user agents carry 99.5 % of
 * its calls. A principal's odd calls on an endpoint are counted over impersonation.window
 * (10 min) from its first odd call there: it fires once at least impersonation.min-calls of
 * them make up half or more of its calls there, so the odd call of a normal client does not,
 * and a script that calls every twenty seconds is seen as surely as a burst. Only
 * credentialed principals are judged: an anonymous caller has no app identity to borrow (the
 * unauthenticated, scraping and login rules look at it). Shadow endpoints need a spec
 * (inventory.spec); each learned template is matched once (endpoint_spec_match_template) and
 * the answer kept with its figures.
 */
#include "detect_private.h"

#include <stdio.h>

/* The impersonation window of a pair opens with its first odd call (this call counted). */
static void dt_imp_open(const dt_call_t *c, dt_pair_t *p)
{
	if (p->imp_start)
		return;
	p->imp_start = c->t_us;
	p->imp_calls = 1;
}

static void dt_missing_headers(detect_t *d, dt_call_t *c, dt_pair_t *p)
{
	const dt_endpoint_t *e = c->ep;
	const api_message_t *m = &c->call->req;
	uint64_t seen[32];
	uint32_t i, j, n = 0, missing = 0;
	char why[160];

	for (i = 0; i < m->nheaders && n < 32; i++)
		seen[n++] = dt_header_hash(c, i);
	for (i = 0; i < e->nreq; i++) {
		for (j = 0; j < n && seen[j] != e->req[i]; j++)
			;
		if (j == n)
			missing++;
	}
	if (!missing)
		return;
	dt_imp_open(c, p);
	p->imp_missing++;
	if (p->imp_missing < d->cfg.imp_min_calls || 2 * p->imp_missing < p->imp_calls ||
	    !dt_fire(&p->imp_fired, DETECT_IMPERSONATION_HEADERS))
		return;
	snprintf(why, sizeof(why),
		 "%u of %u calls in %u min lack %u header(s) present in %u%%+ of this endpoint's "
		 "traffic",
		 p->imp_missing, p->imp_calls, (unsigned)(d->cfg.imp_window_us / DT_MINUTE_US),
		 missing, d->cfg.imp_presence);
	dt_emit(d, c, DETECT_IMPERSONATION_HEADERS, 1, p->imp_missing, 0, "calls_per_window", why);
}

static void dt_odd_agent(detect_t *d, dt_call_t *c, dt_pair_t *p)
{
	const dt_endpoint_t *e = c->ep;
	const api_header_t *ua = api_message_known(&c->call->req, API_HDR_USER_AGENT);
	uint32_t i;
	char why[160];

	if (ua) {
		uint64_t h = dt_agent_hash(c, ua);

		for (i = 0; i < e->nagents; i++)
			if (e->agents[i] == h)
				return;
		/* An agent the API's other endpoints know is one of its own clients, not an
		 * impostor: a thin endpoint's picture may just not have met it yet. */
		if (dt_bits_test(d->known_agents.w, DT_AGENT_WORDS, h))
			return;
	}
	dt_imp_open(c, p);
	p->imp_odd++;
	if (p->imp_odd < d->cfg.imp_min_calls || 2 * p->imp_odd < p->imp_calls ||
	    !dt_fire(&p->imp_fired, DETECT_IMPERSONATION_AGENT))
		return;
	snprintf(why, sizeof(why),
		 "%u of %u calls in %u min with a user agent never seen on this app-only endpoint "
		 "(%u known)",
		 p->imp_odd, p->imp_calls, (unsigned)(d->cfg.imp_window_us / DT_MINUTE_US),
		 e->nagents);
	dt_emit(d, c, DETECT_IMPERSONATION_AGENT, 1, p->imp_odd, e->nagents, "calls_per_window",
		why);
}

/* The endpoint's share of credentialed calls; a call of the kind the rule fires on (no
 * credential, answered 2xx on an armed endpoint that nearly always gets one) is not learned,
 * so an anonymous scrape does not teach the endpoint that anonymous calls are normal. */
static void dt_unauthenticated(detect_t *d, dt_call_t *c)
{
	dt_endpoint_t *e = c->ep;
	double share = e->cred_seen ? (double)e->cred_calls / (double)e->cred_seen : 0;
	char why[160];

	if (c->credentialed || c->cls != 2 || !e->armed || e->cred_seen < d->cfg.unauth_min_calls ||
	    share * 100.0 < (double)d->cfg.unauth_presence) {
		e->cred_seen++;
		e->cred_calls += c->credentialed ? 1 : 0;
		return;
	}
	if (!(d->on & DT_ON_UNAUTH) || !c->cl || !dt_fire(&c->cl->fired, DETECT_UNAUTHENTICATED))
		return;
	snprintf(why, sizeof(why),
		 "answered %d without credentials; %.1f%% of this endpoint's calls carry them",
		 c->status, 100.0 * share);
	dt_emit(d, c, DETECT_UNAUTHENTICATED, 2, 0, share, "credential_share", why);
}

static void dt_shadow(detect_t *d, dt_call_t *c)
{
	dt_endpoint_t *e = c->ep;

	if (!e->shadow_checked) {
		e->shadow_checked = 1;
		/* Calls to a host the spec is not about are not shadow (endpoint_drift.c). */
		e->shadow = endpoint_spec_covers_host(d->spec, c->call->host) &&
			    endpoint_spec_match_template(d->spec, c->call->method,
							 c->call->endpoint) == NULL;
	}
	if (!e->shadow || !dt_fire(&e->fired, DETECT_SHADOW_ENDPOINT))
		return;
	dt_emit(d, c, DETECT_SHADOW_ENDPOINT, 0, e->cur_calls, 0, "calls_per_min",
		"endpoint called but not declared in the API specification");
}

void detect_client_call(detect_t *d, dt_call_t *c)
{
	dt_endpoint_t *e = c->ep;

	if (d->on & DT_ON_SHADOW)
		dt_shadow(d, c);
	dt_unauthenticated(d, c);
	if (!e->pictured)
		return;
	if (!(d->on & DT_ON_IMPERSONATION) || !c->pair || !c->credentialed ||
	    (!e->nreq && !e->app_only))
		return;
	if (c->pair->imp_start && c->t_us - c->pair->imp_start >= d->cfg.imp_window_us) {
		c->pair->imp_start = 0;
		c->pair->imp_calls = c->pair->imp_missing = c->pair->imp_odd = 0;
		c->pair->imp_fired = 0;
	}
	if (c->pair->imp_start)
		c->pair->imp_calls++;
	if (e->nreq)
		dt_missing_headers(d, c, c->pair);
	if (e->app_only)
		dt_odd_agent(d, c, c->pair);
}

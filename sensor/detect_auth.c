/*
 * detect_auth.c - broken authentication (OWASP API2): credential stuffing and brute force on
 * login-like endpoints, a login failure rate far above the endpoint's baseline (stuffing from
 * rotating addresses), a success after a run of failures, one credential used from many
 * clients or devices, and JWTs without a signature (alg none) that get 2xx answers.
 *
 * Fed by detect.c with every call. A login-like endpoint is a POST whose template has a
 * segment such as login, signin, token, auth or session, or a POST endpoint whose learned
 * 4xx share is 20 % or more. Usernames come from Basic credentials (the principal's keyed
 * hash) or from the request body (JSON members or form fields username, email, login, user):
 * they are hashed under the privacy key at once and only their bits in a sketch are kept.
 * Failures are 401 and 403 answers.
 */
#include "detect_private.h"

#include <stdio.h>
#include <string.h>

int detect_auth_is_login(aw_slice_t method, aw_slice_t tpl)
{
	static const char *const words[] = {"login", "signin",	     "sign-in",	 "sign_in",
					    "logon", "log-in",	     "token",	 "oauth",
					    "auth",  "authenticate", "session",	 "sessions",
					    "sso",   "authorize",    "password", NULL};

	return dt_slice_ieq(method, "post") && dt_tpl_has_word(tpl, words);
}

/* ------------------------------------------------------------------------------------------ */
/* Usernames */

typedef struct dt_user_scan {
	const detect_t *d;
	uint64_t hash;
} dt_user_scan_t;

static int dt_is_user_key(aw_slice_t k)
{
	return dt_slice_ieq(k, "username") || dt_slice_ieq(k, "email") ||
	       dt_slice_ieq(k, "login") || dt_slice_ieq(k, "user") ||
	       dt_slice_ieq(k, "user_name") || dt_slice_ieq(k, "userName") ||
	       dt_slice_ieq(k, "phone");
}

static int dt_user_member(aw_slice_t key, aw_slice_t val, void *ud)
{
	dt_user_scan_t *s = ud;

	if (!dt_is_user_key(key) || !val.len)
		return 0;
	s->hash = dt_hash(s->d, 'U', val.ptr, val.len);
	return 1;
}

/* A form body: key=value&... */
static uint64_t dt_form_user(const detect_t *d, const char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t s = i, eq;
		aw_slice_t k;

		while (i < n && p[i] != '&')
			i++;
		for (eq = s; eq < i && p[eq] != '='; eq++)
			;
		k.ptr = p + s;
		k.len = eq - s;
		if (eq < i && dt_is_user_key(k) && i > eq + 1)
			return dt_hash(d, 'U', p + eq + 1, i - eq - 1);
		i++;
	}
	return 0;
}

static uint64_t dt_username(detect_t *d, const dt_call_t *c)
{
	const api_call_t *call = c->call;
	const aw_slice_t *body;
	dt_user_scan_t s = {d, 0};

	if (c->who && c->who->kind == PRINCIPAL_BASIC)
		return c->pr_key;
	if (!call->req.body.len && !call->req.body_raw.len)
		return 0;
	body = api_call_body(call, 0);
	if (!body || !body->len)
		return 0;
	d->counters.body_scans++;
	if (aw_mem_has(call->req.content_type.ptr, call->req.content_type.len, "json", 4)) {
		dt_json_members(body->ptr, body->len, 32, dt_user_member, &s);
		return s.hash;
	}
	if (aw_mem_has(call->req.content_type.ptr, call->req.content_type.len, "form", 4))
		return dt_form_user(d, body->ptr, body->len);
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Logins */

static void dt_login_failure(detect_t *d, dt_call_t *c, dt_client_t *cl, uint64_t user)
{
	double users = dt_bits_count(cl->usernames.w, 4);
	char why[200];

	if (users >= d->cfg.auth_usernames && cl->login_fails >= d->cfg.auth_usernames &&
	    2 * cl->login_fails >= cl->login_calls &&
	    dt_fire(&cl->login_fired, DETECT_AUTH_STUFFING)) {
		snprintf(why, sizeof(why),
			 "%.0f distinct usernames and %u failed logins from one client in %u min",
			 users, cl->login_fails, (unsigned)(d->cfg.auth_window_us / DT_MINUTE_US));
		dt_emit(d, c, DETECT_AUTH_STUFFING, 2, users, d->cfg.auth_usernames,
			"usernames_per_window", why);
	}
	if (cl->login_fails >= d->cfg.auth_failures && users < d->cfg.auth_usernames &&
	    dt_fire(&cl->login_fired, DETECT_AUTH_BRUTEFORCE)) {
		snprintf(why, sizeof(why), "%u failed logins for %.0f username(s) from one client",
			 cl->login_fails, users);
		dt_emit(d, c, DETECT_AUTH_BRUTEFORCE, 2, cl->login_fails, d->cfg.auth_failures,
			"failures_per_window", why);
	}
	if (user) {
		int fresh;
		dt_user_t *u = dt_get(&d->t[DETECT_T_USERS], user, c->t_us, &fresh);

		if (!u->start || c->t_us - u->start >= d->cfg.auth_window_us) {
			memset(&u->start, 0, sizeof(*u) - sizeof(u->h));
			u->start = c->t_us;
		}
		u->fails++;
		if (c->client_key)
			dt_bits_add(u->clients.w, 4, c->client_key);
		if (u->fails >= d->cfg.auth_user_failures) { /* and every failure after */
			u->fired = 1;
			snprintf(why, sizeof(why),
				 "%u failed logins for one username from %.0f client(s)", u->fails,
				 dt_bits_count(u->clients.w, 4));
			dt_emit(d, c, DETECT_AUTH_BRUTEFORCE, 2, u->fails,
				d->cfg.auth_user_failures, "failures_per_username", why);
		}
	}
}

/* thin: the endpoint's baseline has not armed (a login called a few times in the learning
 * period, or first called after it): no learned figure to compare with, so twice the floor. */
static void dt_login_global(detect_t *d, dt_call_t *c, int thin)
{
	dt_endpoint_t *e = c->ep;
	double limit = thin ? 2.0 * d->cfg.auth_global_min
			    : dt_limit(d, e->fails_mean, e->fails_sd, d->cfg.auth_global_min);
	char why[160];

	if (!thin && (double)d->cfg.rate_factor * e->fails_mean > limit)
		limit = (double)d->cfg.rate_factor * e->fails_mean;
	if (e->cur_login_fails < limit || !dt_fire(&e->fired, DETECT_AUTH_STUFFING_GLOBAL))
		return;
	snprintf(why, sizeof(why), "%u failed logins in a minute on this endpoint; baseline %.1f",
		 e->cur_login_fails, e->fails_mean);
	dt_emit(d, c, DETECT_AUTH_STUFFING_GLOBAL, 0, e->cur_login_fails, e->fails_mean,
		"failures_per_min", why);
}

static void dt_login(detect_t *d, dt_call_t *c)
{
	dt_client_t *cl = c->cl;
	int fail = c->status == 401 || c->status == 403;
	uint64_t user;
	char why[160];

	if (!fail && c->cls != 2)
		return;
	user = dt_username(d, c);
	if (fail)
		c->ep->cur_login_fails++;
	if (!cl)
		return;
	if (!cl->login_start || c->t_us - cl->login_start >= d->cfg.auth_window_us) {
		cl->login_start = c->t_us;
		cl->login_calls = cl->login_fails = cl->login_fired = 0;
		memset(&cl->usernames, 0, sizeof(cl->usernames));
	}
	cl->login_calls++;
	if (user)
		dt_bits_add(cl->usernames.w, 4, user);
	if (!fail) {
		if (c->ep->armed && cl->fail_run >= d->cfg.auth_run &&
		    dt_fire(&cl->login_fired, DETECT_AUTH_SUCCESS_AFTER_FAILURES)) {
			snprintf(why, sizeof(why), "login succeeded after %u failures in a row",
				 cl->fail_run);
			dt_emit(d, c, DETECT_AUTH_SUCCESS_AFTER_FAILURES, 2, cl->fail_run,
				d->cfg.auth_run, "failures_before_success", why);
		}
		cl->fail_run = 0;
		return;
	}
	cl->login_fails++;
	cl->fail_run++;
	if (!c->ep->armed) {
		if (d->api_principals > 0)
			dt_login_global(d, c, 1);
		return;
	}
	dt_login_failure(d, c, cl, user);
	dt_login_global(d, c, 0);
}

/* ------------------------------------------------------------------------------------------ */
/* Credentials */

static void dt_sharing(detect_t *d, dt_call_t *c)
{
	dt_principal_t *pr = c->pr;
	const api_header_t *ua = api_message_known(&c->call->req, API_HDR_USER_AGENT);
	double clients, agents;
	char why[160];

	if (!pr->share_start || c->t_us - pr->share_start >= d->sharing_window_us) {
		pr->share_start = c->t_us;
		pr->share_fired = 0;
		memset(&pr->clients, 0, sizeof(pr->clients));
		memset(&pr->agents, 0, sizeof(pr->agents));
	}
	if (c->client_key)
		dt_bits_add(pr->clients.w, 4, c->client_key);
	if (ua)
		dt_bits_add(pr->agents.w, 4, dt_agent_hash(c, ua));
	if (!c->ep->armed)
		return;
	clients = dt_bits_count(pr->clients.w, 4);
	agents = dt_bits_count(pr->agents.w, 4);
	if (!pr->share_fired && clients < d->cfg.sharing_clients && agents < d->cfg.sharing_agents)
		return; /* once fired, the window's further calls grow the alert */
	pr->share_fired = 1;
	snprintf(why, sizeof(why),
		 "one credential used from %.0f client addresses and %.0f user "
		 "agents in %u min",
		 clients, agents, (unsigned)(d->sharing_window_us / DT_MINUTE_US));
	if (clients >= d->cfg.sharing_clients)
		dt_emit(d, c, DETECT_CREDENTIAL_SHARING, 1, clients, d->cfg.sharing_clients,
			"clients_per_window", why);
	else
		dt_emit(d, c, DETECT_CREDENTIAL_SHARING, 1, agents, d->cfg.sharing_agents,
			"agents_per_window", why);
}

static void dt_jwt(detect_t *d, dt_call_t *c)
{
	const principal_t *w = c->who;
	uint32_t *fired = c->pair ? &c->pair->fired : &c->ep->fired;

	if (!w || c->cls != 2 ||
	    !(w->flags &
	      (PRINCIPAL_F_JWT_ALG_NONE | PRINCIPAL_F_JWT_NO_ALG | PRINCIPAL_F_JWT_NO_SIGNATURE)) ||
	    !dt_fire(fired, DETECT_JWT_UNSIGNED))
		return;
	dt_emit(d, c, DETECT_JWT_UNSIGNED, 1, 1, 0, "calls",
		w->flags & PRINCIPAL_F_JWT_ALG_NONE ? "JWT with alg none answered 2xx"
		: w->flags & PRINCIPAL_F_JWT_NO_ALG ? "JWT without an alg answered 2xx"
						    : "JWT without a signature answered 2xx");
}

void detect_auth_call(detect_t *d, dt_call_t *c)
{
	if (d->on & DT_ON_JWT)
		dt_jwt(d, c);
	if ((d->on & DT_ON_SHARING) && c->pr && c->credentialed)
		dt_sharing(d, c);
	if (!(d->on & DT_ON_AUTH) || !dt_slice_ieq(c->call->method, "post"))
		return;
	if (dt_ep_is_login(c) || (c->ep->known && c->ep->calls >= 100 && c->ep->fail_share >= 0.2))
		dt_login(d, c);
}

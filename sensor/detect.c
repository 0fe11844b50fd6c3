/*
 * detect.c - the detection stage's core (see detect.h): the rules' descriptions, the
 * short-term tables, the per-minute endpoint figures read from the baselines, what a call is,
 * and the hand-over of findings. The detectors themselves live in the family files
 * (detect_object.c, detect_auth.c, detect_exposure.c, detect_rate.c, detect_flow.c,
 * detect_client.c).
 */
#include "detect_private.h"

#include <stdio.h>
#include <string.h>

#include "error.h"
#include "siphash.h"

void detect_config_default(detect_config_t *c)
{
	memset(c, 0, sizeof(*c));
	c->enabled = 1; /* tuned on the scenario captures: docs/detectors.md */
	c->sigma = 4;
	c->max_endpoints = 2048;
	c->max_states = 16384;
	c->max_objects = 65536;
	c->bola = 1;
	c->bola_min_ids = 30;
	c->bola_walk = 20;
	c->bola_fail_ids = 15;
	c->bola_readers = 2;
	c->auth = 1;
	c->auth_window_us = 10 * DT_MINUTE_US;
	c->auth_usernames = 10;
	c->auth_failures = 20;
	c->auth_user_failures = 10;
	c->auth_run = 5;
	c->auth_global_min = 30;
	c->sharing = 1;
	c->sharing_window_us = 60 * DT_MINUTE_US;
	c->sharing_clients = 10;
	c->sharing_agents = 5;
	c->jwt = 1;
	c->exposure = 1;
	c->exposure_factor = 4;
	c->exposure_min_bytes = 64 * 1024;
	c->exposure_min_records = 200;
	c->sensitive_new = 1;
	c->mass_assignment = 1;
	c->rate = 1;
	c->rate_endpoint_min = 300;
	c->rate_principal_min = 120;
	c->rate_client_min = 300;
	c->rate_factor = 3;
	c->rate_sustain = 2;
	c->errors = 1;
	c->errors_min = 20;
	c->authz = 1;
	c->authz_share = 5;
	c->scraping = 1;
	c->scraping_window_us = 20 * DT_MINUTE_US;
	c->scraping_min_calls = 100;
	c->scraping_min_ids = 80;
	c->scraping_max_cv = 25;
	c->scraping_max_endpoints = 3;
	c->impersonation = 1;
	c->imp_presence = 98;
	c->imp_min_calls = 5;
	c->imp_window_us = 10 * DT_MINUTE_US;
	c->imp_thin_calls = 5;
	c->imp_thin_minutes = 3;
	c->unauth = 1;
	c->unauth_presence = 98;
	c->unauth_min_calls = 50;
	c->shadow = 1;
}

/* ------------------------------------------------------------------------------------------ */
/* The rules */

#define R(rule, nm, ow, sid, sig, cat, sev) \
	[rule] = {.name = nm,               \
		  .owasp = ow,              \
		  .signature_id = sid,      \
		  .rev = 1,                 \
		  .signature = sig,         \
		  .category = cat,          \
		  .severity = sev}

#define CAT1 "Broken Object Level Authorization"
#define CAT2 "Broken Authentication"
#define CAT3 "Broken Object Property Level Authorization"
#define CAT4 "Unrestricted Resource Consumption"
#define CAT5 "Broken Function Level Authorization"
#define CAT6 "Unrestricted Access to Sensitive Business Flows"
#define CAT8 "Security Misconfiguration"
#define CAT9 "Improper Inventory Management"

static const alert_detector_t detect_rules[DETECT__COUNT] = {
	R(DETECT_BOLA_ENUMERATION, "bola_enumeration", ALERT_OWASP_API1, 9100001,
	  "APIWATCH API1 object enumeration by one principal", CAT1, ALERT_SEV_HIGH),
	R(DETECT_BOLA_WALK, "bola_sequential_walk", ALERT_OWASP_API1, 9100002,
	  "APIWATCH API1 sequential object ID walk", CAT1, ALERT_SEV_HIGH),
	R(DETECT_BOLA_FAILURES, "bola_denied_burst", ALERT_OWASP_API1, 9100003,
	  "APIWATCH API1 burst of 403/404 across object IDs", CAT1, ALERT_SEV_MEDIUM),
	R(DETECT_BOLA_SHARED_OBJECT, "bola_shared_object", ALERT_OWASP_API1, 9100004,
	  "APIWATCH API1 one object served to several principals", CAT1, ALERT_SEV_HIGH),
	R(DETECT_AUTH_STUFFING, "auth_stuffing", ALERT_OWASP_API2, 9100010,
	  "APIWATCH API2 credential stuffing from one client", CAT2, ALERT_SEV_HIGH),
	R(DETECT_AUTH_STUFFING_GLOBAL, "auth_stuffing_distributed", ALERT_OWASP_API2, 9100011,
	  "APIWATCH API2 login failure rate far above baseline", CAT2, ALERT_SEV_HIGH),
	R(DETECT_AUTH_BRUTEFORCE, "auth_bruteforce", ALERT_OWASP_API2, 9100012,
	  "APIWATCH API2 password brute force", CAT2, ALERT_SEV_HIGH),
	R(DETECT_AUTH_SUCCESS_AFTER_FAILURES, "auth_success_after_failures", ALERT_OWASP_API2,
	  9100013, "APIWATCH API2 login success after a run of failures", CAT2, ALERT_SEV_HIGH),
	R(DETECT_CREDENTIAL_SHARING, "credential_sharing", ALERT_OWASP_API2, 9100014,
	  "APIWATCH API2 one credential used from many clients", CAT2, ALERT_SEV_MEDIUM),
	R(DETECT_JWT_UNSIGNED, "jwt_unsigned", ALERT_OWASP_API2, 9100015,
	  "APIWATCH API2 unsigned JWT accepted", CAT2, ALERT_SEV_HIGH),
	R(DETECT_DATA_EXPOSURE_BYTES, "data_exposure", ALERT_OWASP_API3, 9100020,
	  "APIWATCH API3 response far larger than baseline", CAT3, ALERT_SEV_MEDIUM),
	R(DETECT_DATA_EXPOSURE_RECORDS, "data_exposure_records", ALERT_OWASP_API3, 9100021,
	  "APIWATCH API3 response with far more records than baseline", CAT3, ALERT_SEV_HIGH),
	R(DETECT_SENSITIVE_NEW, "sensitive_new", ALERT_OWASP_API3, 9100022,
	  "APIWATCH API3 new sensitive data type in responses", CAT3, ALERT_SEV_MEDIUM),
	R(DETECT_MASS_ASSIGNMENT, "mass_assignment", ALERT_OWASP_API3, 9100023,
	  "APIWATCH API3 privileged property accepted in a write", CAT3, ALERT_SEV_HIGH),
	R(DETECT_RATE_ENDPOINT, "rate_spike_endpoint", ALERT_OWASP_API4, 9100030,
	  "APIWATCH API4 endpoint call rate far above baseline", CAT4, ALERT_SEV_MEDIUM),
	R(DETECT_RATE_PRINCIPAL, "rate_spike_principal", ALERT_OWASP_API4, 9100031,
	  "APIWATCH API4 principal call rate far above baseline", CAT4, ALERT_SEV_MEDIUM),
	R(DETECT_RATE_CLIENT, "rate_spike_client", ALERT_OWASP_API4, 9100032,
	  "APIWATCH API4 client call rate far above baseline", CAT4, ALERT_SEV_MEDIUM),
	R(DETECT_FUNCTION_AUTHZ, "function_authz", ALERT_OWASP_API5, 9100040,
	  "APIWATCH API5 privileged function called by an unusual principal", CAT5, ALERT_SEV_HIGH),
	R(DETECT_SCRAPING, "scraping", ALERT_OWASP_API6, 9100050,
	  "APIWATCH API6 automated scraping of an ID space", CAT6, ALERT_SEV_MEDIUM),
	R(DETECT_IMPERSONATION_HEADERS, "impersonation_headers", ALERT_OWASP_API6, 9100060,
	  "APIWATCH API6 client impersonation: usual headers missing", CAT6, ALERT_SEV_MEDIUM),
	R(DETECT_IMPERSONATION_AGENT, "impersonation_agent", ALERT_OWASP_API6, 9100061,
	  "APIWATCH API6 client impersonation: unknown user agent on an app-only endpoint", CAT6,
	  ALERT_SEV_LOW),
	R(DETECT_UNAUTHENTICATED, "unauthenticated", ALERT_OWASP_API2, 9100070,
	  "APIWATCH API2 unauthenticated call answered on a credentialed endpoint", CAT2,
	  ALERT_SEV_HIGH),
	R(DETECT_ERROR_SPIKE, "error_spike", ALERT_OWASP_API8, 9100071,
	  "APIWATCH API8 5xx error rate far above baseline", CAT8, ALERT_SEV_MEDIUM),
	R(DETECT_SHADOW_ENDPOINT, "shadow_endpoint", ALERT_OWASP_API9, 9100072,
	  "APIWATCH API9 call to an endpoint not in the declared API", CAT9, ALERT_SEV_LOW),
};

const alert_detector_t *detect_rule_info(unsigned rule)
{
	return rule < DETECT__COUNT ? &detect_rules[rule] : NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Set-associative tables */

static int dt_table_init(dt_table_t *t, size_t size, uint32_t cap, uint64_t horizon_us,
			 detect_table_counters_t *c, mem_account_t *acct)
{
	uint32_t sets = 1;
	size_t stride = DT_LINE;

	while ((uint64_t)sets * DT_WAYS < cap && sets < (1u << 28))
		sets <<= 1;
	if (size > DT_LINE)
		stride = (size + DT_LINE - 1) & ~(size_t)(DT_LINE - 1);
	else
		while (stride / 2 >= size)
			stride /= 2;
	t->stride = (uint32_t)stride;
	t->mask = sets - 1;
	t->horizon_us = horizon_us;
	t->c = c;
	c->capacity = (uint64_t)sets * DT_WAYS;
	/* Page-aligned, so lines are aligned too. */
	t->slots = mem_table_alloc(acct, (size_t)c->capacity * stride);
	t->keys = mem_table_alloc(acct, (size_t)c->capacity * sizeof(uint64_t));
	return t->slots && t->keys ? 0 : AW_ENOMEM;
}

static void dt_table_fini(dt_table_t *t, mem_account_t *acct)
{
	if (!t->c) /* never set up */
		return;
	mem_table_free(acct, t->slots, (size_t)t->c->capacity * t->stride);
	mem_table_free(acct, t->keys, (size_t)t->c->capacity * sizeof(uint64_t));
	t->slots = NULL;
	t->keys = NULL;
}

/* Index of the first way of key's set. */
static size_t dt_set(const dt_table_t *t, uint64_t key)
{
	return (size_t)((key >> 17) & t->mask) * DT_WAYS;
}

static dt_head_t *dt_entry(dt_table_t *t, size_t slot)
{
	return (dt_head_t *)(void *)(t->slots + slot * (size_t)t->stride);
}

void *dt_find(dt_table_t *t, uint64_t key)
{
	size_t s;
	unsigned w;

	key = key ? key : 1;
	s = dt_set(t, key);
	for (w = 0; w < DT_WAYS; w++)
		if (t->keys[s + w] == key)
			return dt_entry(t, s + w);
	return NULL;
}

/* Asks the cache for key's set, or for key's entry when the set is already at hand; no
 * effect on the table. */
static void dt_prefetch_set(const dt_table_t *t, uint64_t key)
{
	__builtin_prefetch(t->keys + dt_set(t, key ? key : 1));
}

static void dt_prefetch_entry(dt_table_t *t, uint64_t key)
{
	size_t s;
	unsigned w;

	key = key ? key : 1;
	s = dt_set(t, key);
	for (w = 0; w < DT_WAYS; w++) {
		if (t->keys[s + w] == key) {
			const char *e = (const char *)dt_entry(t, s + w);

			__builtin_prefetch(e, 1);
			__builtin_prefetch(e + 64, 1);
			__builtin_prefetch(e + 128, 1);
			return;
		}
	}
}

/* A new entry for key in set s (no way holds it): the first free way (victim < DT_WAYS), else
 * the least recently used one (the first of equals); zeroed. */
DT_COLD static dt_head_t *dt_insert(dt_table_t *t, size_t s, unsigned victim, uint64_t key,
				    uint64_t now_us)
{
	dt_head_t *h;
	unsigned w;

	if (victim < DT_WAYS) {
		t->c->entries++;
	} else {
		uint64_t oldest = dt_entry(t, s)->last_us;

		victim = 0;
		for (w = 1; w < DT_WAYS; w++) {
			uint64_t l = dt_entry(t, s + w)->last_us;

			if (l < oldest) {
				oldest = l;
				victim = w;
			}
		}
		if (oldest + t->horizon_us > now_us)
			t->c->evictions++;
	}
	h = dt_entry(t, s + victim);
	memset(h, 0, t->stride);
	t->keys[s + victim] = key;
	h->last_us = now_us;
	return h;
}

/* Out of line: one copy of the lookup for every table keeps the per-call code small. */
__attribute__((noinline)) void *dt_get(dt_table_t *t, uint64_t key, uint64_t now_us, int *fresh)
{
	const uint64_t *keys;
	size_t s;
	dt_head_t *h;
	unsigned w, victim = DT_WAYS;

	key = key ? key : 1;
	s = dt_set(t, key);
	keys = t->keys + s;
	for (w = 0; w < DT_WAYS; w++) {
		if (keys[w] == key) {
			h = dt_entry(t, s + w);
			if (now_us > h->last_us)
				h->last_us = now_us;
			*fresh = 0;
			return h;
		}
		if (!keys[w] && victim == DT_WAYS)
			victim = w;
	}
	*fresh = 1;
	return dt_insert(t, s, victim, key, now_us);
}

double dt_bits_count(const uint64_t *w, unsigned nwords)
{
	unsigned i, set = 0, m = nwords * 64u;

	for (i = 0; i < nwords; i++)
		set += (unsigned)__builtin_popcountll(w[i]);
	if (set >= m)
		return (double)m * log((double)m); /* saturated: a lower bound */
	return -(double)m * log((double)(m - set) / (double)m);
}

int dt_tpl_has_word(aw_slice_t tpl, const char *const *words)
{
	size_t i = 0;

	while (i < tpl.len) {
		size_t s;
		aw_slice_t seg;
		int w;

		while (i < tpl.len && tpl.ptr[i] == '/')
			i++;
		s = i;
		while (i < tpl.len && tpl.ptr[i] != '/')
			i++;
		seg.ptr = tpl.ptr + s;
		seg.len = i - s;
		for (w = 0; words[w]; w++)
			if (dt_slice_ieq(seg, words[w]))
				return 1;
	}
	return 0;
}

uint64_t dt_hash(const detect_t *d, uint8_t tag, const void *p, size_t n)
{
	uint8_t buf[256];
	uint64_t h;

	if (n > sizeof(buf) - 1)
		return siphash13(d->key, p, n) ^ ((uint64_t)tag * 0x9e3779b97f4a7c15ull);
	buf[0] = tag;
	memcpy(buf + 1, p, n);
	h = siphash13(d->key, buf, n + 1);
	return h ? h : 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Set-up */

int detect_new(detect_t **out, const detect_config_t *cfg, baseline_t *bl,
	       const endpoint_spec_t *spec, const uint8_t hash_key[SIPHASH_KEY_LEN],
	       alert_emit_fn emit, void *ud, mem_account_t *acct, char *errbuf, size_t errlen)
{
	static const size_t stride[DETECT_T__COUNT] = {sizeof(dt_endpoint_t),  sizeof(dt_pair_t),
						       sizeof(dt_principal_t), sizeof(dt_client_t),
						       sizeof(dt_user_t),      sizeof(dt_object_t)};
	detect_t *d;
	int i, rc = 0;

	*out = NULL;
	d = mem_table_alloc(acct, sizeof(*d)); /* page-aligned: its hot first line is a line */
	if (!d) {
		snprintf(errbuf, errlen, "cannot set up the detectors: %s", error_str(AW_ENOMEM));
		return AW_ENOMEM;
	}
	d->cfg = *cfg;
	d->on = (cfg->bola ? DT_ON_BOLA : 0) | (cfg->auth ? DT_ON_AUTH : 0) |
		(cfg->sharing ? DT_ON_SHARING : 0) | (cfg->jwt ? DT_ON_JWT : 0) |
		(cfg->exposure ? DT_ON_EXPOSURE : 0) |
		(cfg->sensitive_new ? DT_ON_SENSITIVE_NEW : 0) |
		(cfg->mass_assignment ? DT_ON_MASS_ASSIGNMENT : 0) | (cfg->rate ? DT_ON_RATE : 0) |
		(cfg->errors ? DT_ON_ERRORS : 0) | (cfg->authz ? DT_ON_AUTHZ : 0) |
		(cfg->scraping ? DT_ON_SCRAPING : 0) |
		(cfg->impersonation ? DT_ON_IMPERSONATION : 0) | (cfg->unauth ? DT_ON_UNAUTH : 0) |
		(cfg->shadow && spec ? DT_ON_SHADOW : 0);
	d->scraping_min_calls = cfg->scraping_min_calls;
	d->scraping_window_us = cfg->scraping_window_us;
	d->sharing_window_us = cfg->sharing_window_us;
	d->bl = bl;
	d->spec = spec;
	memcpy(d->key, hash_key, sizeof(d->key));
	d->emit = emit;
	d->ud = ud;
	d->acct = acct;
	d->view = mem_calloc(acct, sizeof(*d->view));
	if (!d->view)
		rc = AW_ENOMEM;
	for (i = 0; rc == 0 && i < DETECT_T__COUNT; i++) {
		uint32_t cap = i == DETECT_T_ENDPOINTS ? cfg->max_endpoints
			       : i == DETECT_T_OBJECTS ? cfg->max_objects
						       : cfg->max_states;
		uint64_t horizon = i == DETECT_T_PRINCIPALS ? cfg->sharing_window_us
				   : i == DETECT_T_CLIENTS || i == DETECT_T_USERS
					   ? cfg->auth_window_us
					   : 2 * DT_MINUTE_US;

		if (i == DETECT_T_ENDPOINTS || i == DETECT_T_OBJECTS)
			horizon = 24 * 60 * DT_MINUTE_US; /* learned figures: keep them long */
		rc = dt_table_init(&d->t[i], stride[i], cap ? cap : 1, horizon,
				   &d->counters.tables[i], acct);
	}
	if (rc < 0) {
		snprintf(errbuf, errlen, "cannot set up the detectors: %s", error_str(rc));
		detect_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

void detect_free(detect_t *d)
{
	int i;

	if (!d)
		return;
	for (i = 0; i < DETECT_T__COUNT; i++)
		dt_table_fini(&d->t[i], d->acct);
	if (d->view)
		mem_free(d->acct, d->view, sizeof(*d->view));
	mem_table_free(d->acct, d, sizeof(*d));
}

void detect_tick(detect_t *d, uint64_t now_us)
{
	if (now_us > d->now_us)
		d->now_us = now_us;
}

const detect_counters_t *detect_counters(detect_t *d)
{
	return &d->counters;
}

/* ------------------------------------------------------------------------------------------ */
/* Endpoint figures, once per minute */

static double dt_sd(double var)
{
	return var > 0 ? sqrt(var) : 0;
}

static int dt_is_cred_header(uint64_t h)
{
	static const char *const names[] = {"authorization", "cookie", "x-api-key", "api-key",
					    "x-auth-token",  "apikey", "x-apikey",  NULL};
	int i;

	for (i = 0; names[i]; i++)
		if (h == baseline_hash_name(names[i], strlen(names[i]), 1))
			return 1;
	return 0;
}

/* Headers whose absence says nothing about the client: framing, credentials (the
 * unauthenticated rule's business), forwarding. */
static int dt_is_neutral_header(uint64_t h)
{
	static const char *const names[] = {"content-length",
					    "content-type",
					    "transfer-encoding",
					    "connection",
					    "keep-alive",
					    "host",
					    "x-forwarded-for",
					    "forwarded",
					    "te",
					    "expect",
					    "if-none-match",
					    "if-modified-since",
					    NULL};
	int i;

	if (dt_is_cred_header(h))
		return 1;
	for (i = 0; names[i]; i++)
		if (h == baseline_hash_name(names[i], strlen(names[i]), 1))
			return 1;
	return 0;
}

DT_COLD static void dt_endpoint_figures(detect_t *d, dt_endpoint_t *e,
					const baseline_endpoint_view_t *v)
{
	uint64_t agent_calls = 0;
	uint32_t i, j;

	e->known = 1;
	e->armed = (uint8_t)v->armed;
	e->calls = v->calls;
	e->body_samples = v->body_samples;
	e->rate_mean = v->rate.mean;
	e->rate_sd = dt_sd(v->rate.var);
	e->fails_mean = v->fails.mean;
	e->fails_sd = dt_sd(v->fails.var);
	e->principals_mean = v->principals.mean;
	e->clients_mean = v->clients.mean;
	e->err_mean = v->minutes ? (double)v->status[5] / (double)v->minutes : 0;
	e->fail_share = v->calls ? (double)v->status[4] / (double)v->calls : 0;
	e->bytes_p99 = v->resp_bytes.p99;
	e->bytes_max = v->resp_bytes.max;
	/* What the detectors learned into the baseline (detect_exposure.c, detect_object.c). */
	memcpy(e->rec_hist, v->records, sizeof(e->rec_hist));
	e->rec_n = v->record_samples;
	e->objects = v->objects;
	e->objects_shared = v->objects_shared;
	/* The client's picture (usual headers, user agents) is taken when the endpoint arms and
	 * renewed only once its calls have grown fourfold: the baseline goes on learning every
	 * call, the impostor's too, and a thin endpoint would otherwise forget its usual headers
	 * within a minute of an impersonation. */
	/* A thin endpoint (fewer calls than baseline.min-calls, an app-only function called a
	 * few times an hour) still gets a picture once learning is over (some endpoint armed)
	 * if it was called in a few different minutes: which headers and agents its callers
	 * send needs fewer calls than its rates do. */
	e->pictured = e->armed || (e->pictured && e->ref_calls) ||
		      (d->api_principals > 0 && v->calls >= d->cfg.imp_thin_calls &&
		       v->minutes >= d->cfg.imp_thin_minutes);
	if (!e->pictured || !e->ref_calls || v->calls >= 4 * e->ref_calls) {
		e->ref_calls = e->pictured ? v->calls : 0;
		e->nreq = 0;
		for (i = 0; i < v->nheaders; i++) {
			const baseline_presence_t *h = &v->headers[i];

			if (h->share * 100.0 >= (double)d->cfg.imp_presence &&
			    e->nreq < DT_REQ_HEADERS && !dt_is_neutral_header(h->hash))
				e->req[e->nreq++] = h->hash;
		}
		/* App-only: a few agents carry (nearly) every call. */
		e->nagents = (uint8_t)(v->nagents < BASELINE_TOP_AGENTS ? v->nagents
									: BASELINE_TOP_AGENTS);
		for (i = 0; i < e->nagents; i++) {
			e->agents[i] = v->agents[i].hash;
			agent_calls += v->agents[i].count;
			if (e->pictured)
				dt_bits_add(d->known_agents.w, DT_AGENT_WORDS, e->agents[i]);
		}
		e->app_only = v->calls && e->nagents > 0 && e->nagents <= 4 &&
			      (double)agent_calls >= 0.995 * (double)v->calls;
	}
	e->priv_keys_normal = 0;
	for (i = 0; detect_priv_keys[i]; i++) {
		uint64_t h =
			baseline_hash_name(detect_priv_keys[i], strlen(detect_priv_keys[i]), 0);

		for (j = 0; j < v->nbody_keys; j++)
			if (v->body_keys[j].hash == h && v->body_keys[j].share >= 0.01)
				e->priv_keys_normal |= 1u << i;
	}
	e->sens_now = v->sensitive_types;
	if (e->armed && !e->sens_ref_set) {
		e->sens_ref = v->sensitive_types;
		e->sens_ref_set = 1;
	}
	if (e->armed && e->principals_mean > d->api_principals)
		d->api_principals = e->principals_mean;
}

/* The endpoint's figures, read from its baseline view (once per minute). */
DT_COLD static void dt_endpoint_read(detect_t *d, const dt_call_t *c, dt_endpoint_t *e)
{
	e->view_minute = c->minute + 1;
	d->counters.view_reads++;
	if (baseline_endpoint_view(d->bl, c->ep_key, d->view) == 0)
		dt_endpoint_figures(d, e, d->view);
}

/* The endpoint's entry, its figures read when the minute is new. */
static dt_endpoint_t *dt_endpoint(detect_t *d, dt_call_t *c, int *new_minute)
{
	int fresh;
	dt_endpoint_t *e = dt_get(&d->t[DETECT_T_ENDPOINTS], c->ep_key, c->t_us, &fresh);

	*new_minute = 0;
	if (e->view_minute != c->minute + 1)
		dt_endpoint_read(d, c, e);
	if (e->minute != c->minute) {
		*new_minute = !fresh || e->minute;
		dt_roll(&e->fired, &e->over_minutes, e->minute, c->minute);
		e->minute = c->minute;
		e->cur_calls = e->cur_errors = e->cur_login_fails = e->cur_samples = 0;
	}
	return e;
}

/* ------------------------------------------------------------------------------------------ */
/* What a call is */

DT_COLD static uint64_t dt_client_key_miss(detect_t *d, dt_ckey_cache_t *e, const net_addr_t *a)
{
	e->key = dt_hash(d, 'C', a->b, sizeof(a->b)); /* never 0 */
	memcpy(e->addr, a->b, sizeof(e->addr));
	return e->key;
}

/* dt_hash 'C' of a client address, through the cache (compared in full). */
static uint64_t dt_client_key(detect_t *d, const net_addr_t *a)
{
	uint64_t x, y;
	dt_ckey_cache_t *e;

	memcpy(&x, a->b, 8);
	memcpy(&y, a->b + 8, 8);
	x = (x ^ y * 0x9e3779b97f4a7c15ull) * 0xff51afd7ed558ccdull;
	e = &d->ckc[(x >> 48) & (DT_CKC_SLOTS - 1)];
	if (e->key && memcmp(e->addr, a->b, sizeof(e->addr)) == 0)
		return e->key;
	return dt_client_key_miss(d, e, a);
}

static void dt_prepare(detect_t *d, dt_call_t *c, const api_call_t *call, const principal_t *who,
		       uint64_t now_us, uint64_t ep_key, uint64_t pr_key, const baseline_obs_t *obs)
{
	aw_slice_t m = call->method;
	uint64_t own[64], h = 0;
	const uint64_t *ids;
	uint32_t i, n;

	memset(c, 0, sizeof(*c));
	c->call = call;
	c->who = who;
	c->t_us = call->req.first_us ? call->req.first_us : now_us;
	if (c->t_us < d->now_us)
		c->t_us = d->now_us; /* never backwards: windows only move forward */
	c->minute = c->t_us / DT_MINUTE_US;
	c->ep_key = ep_key;
	c->pr_key = pr_key;
	if (who && who->ip_version)
		c->client = &who->client;
	else if (call->flow)
		c->client = &call->flow->addr[0];
	if (c->client)
		c->client_key = dt_client_key(d, c->client);
	c->credentialed = who ? who->kind != PRINCIPAL_IP && who->kind != PRINCIPAL_NONE
			      : call->principal.len > 3 && memcmp(call->principal.ptr, "ip:", 3);
	c->status = call->status;
	c->cls = c->status >= 100 && c->status < 600 ? c->status / 100 : 0;
	c->write = dt_slice_ieq(m, "post") || dt_slice_ieq(m, "put") || dt_slice_ieq(m, "patch") ||
		   dt_slice_ieq(m, "delete");
	c->resp_bytes = call->resp.body_bytes != API_SIZE_UNKNOWN ? call->resp.body_bytes
								  : call->resp.body_wire_bytes;
	/* The object ID: the IDs at the template's {...} positions together (/users/{id}/
	 * orders/{id} names one order), as the baseline hashes them; worked out already when
	 * the call comes with its observation. */
	if (obs && obs->ids_known) {
		ids = obs->ids;
		n = obs->nids;
		c->has_int = obs->last_id_is_int;
		c->id_int = obs->last_id_int;
	} else {
		n = baseline_object_ids(d->bl, call->endpoint, call->path, own, 64, &c->id_int,
					&c->has_int);
		ids = own;
		if (n > 64)
			n = 64;
	}
	for (i = 0; i < n; i++)
		h = h * 0x9e3779b97f4a7c15ull ^ ids[i];
	c->has_id = n > 0;
	c->id_hash = h ? h : 1;
}

/* A new minute of the pair: its counters rolled, its principal baseline read. */
DT_COLD static void dt_pair_roll(detect_t *d, dt_call_t *c, dt_pair_t *p)
{
	baseline_principal_view_t pv;

	dt_roll(&p->fired, &p->over_minutes, p->minute, c->minute + 1);
	p->minute = c->minute + 1;
	p->calls = p->fails = 0;
	memset(&p->ids, 0, sizeof(p->ids));
	memset(&p->fail_ids, 0, sizeof(p->fail_ids));
	p->pv_known = baseline_principal_view(d->bl, c->ep_key, c->pr_key, &pv) == 0;
	if (!p->pv_known)
		return;
	p->pv_armed = (uint8_t)pv.armed;
	p->pv_calls = pv.calls;
	p->pv_rate_mean = pv.rate.mean;
	p->pv_rate_sd = dt_sd(pv.rate.var);
	p->pv_ids_mean = pv.object_ids.mean;
	p->pv_ids_sd = dt_sd(pv.object_ids.var);
	p->pv_fails_mean = pv.fails_rate.mean;
	p->pv_fails_sd = dt_sd(pv.fails_rate.var);
}

/* The pair's minute; its principal baseline read with the first call of the minute. */
static void dt_pair_minute(detect_t *d, dt_call_t *c, dt_pair_t *p)
{
	if (p->minute != c->minute + 1)
		dt_pair_roll(d, c, p);
}

void detect_call(detect_t *d, const api_call_t *call, const principal_t *who, uint64_t now_us)
{
	static const char no_host[] = "-";
	aw_slice_t host = call->host;

	if (!host.len) {
		host.ptr = no_host;
		host.len = 1;
	}
	detect_call_keyed(d, call, who, now_us,
			  baseline_endpoint_key(d->bl, host, call->method, call->endpoint),
			  call->principal.len ? baseline_principal_key(d->bl, call->principal) : 0);
}

void detect_prefetch(detect_t *d, uint64_t ep_key, uint64_t pr_key)
{
	dt_prefetch_set(&d->t[DETECT_T_ENDPOINTS], ep_key);
	if (pr_key) {
		dt_prefetch_set(&d->t[DETECT_T_PAIRS], ep_key ^ (pr_key * 0x9e3779b97f4a7c15ull));
		dt_prefetch_set(&d->t[DETECT_T_PRINCIPALS], pr_key);
	}
}

static void dt_call_run(detect_t *d, const api_call_t *call, const principal_t *who,
			uint64_t now_us, uint64_t ep_key, uint64_t pr_key,
			const baseline_obs_t *obs)
{
	dt_call_t c;
	int fresh, new_minute;

	if (pr_key) { /* fetched together rather than one miss after the other */
		dt_prefetch_entry(&d->t[DETECT_T_PAIRS], ep_key ^ (pr_key * 0x9e3779b97f4a7c15ull));
		dt_prefetch_entry(&d->t[DETECT_T_PRINCIPALS], pr_key);
	}
	if (!call->endpoint.len) {
		d->counters.no_endpoint++;
		return;
	}
	d->counters.calls++;
	dt_prepare(d, &c, call, who, now_us, ep_key, pr_key, obs);
	if (obs) {
		c.ua_hash = obs->ua_hash;
		if (obs->req_headers == call->req.headers) {
			c.name_hash = obs->name_hash;
			c.nname_hash = obs->nname_hash;
		}
	}
	if (c.has_id && c.cls == 2 && c.pr_key) /* the object's readers (detect_object.c) */
		dt_prefetch_set(&d->t[DETECT_T_OBJECTS],
				c.ep_key ^ (c.id_hash * 0xc2b2ae3d27d4eb4full));
	if (c.t_us > d->now_us)
		d->now_us = c.t_us;
	c.ep = dt_endpoint(d, &c, &new_minute);
	if (c.pr_key) {
		c.pair = dt_get(&d->t[DETECT_T_PAIRS],
				c.ep_key ^ (c.pr_key * 0x9e3779b97f4a7c15ull), c.t_us, &fresh);
		dt_pair_minute(d, &c, c.pair);
		c.pr = dt_get(&d->t[DETECT_T_PRINCIPALS], c.pr_key, c.t_us, &fresh);
	}
	if (c.client_key) {
		c.cl = dt_get(&d->t[DETECT_T_CLIENTS], c.client_key, c.t_us, &fresh);
		if (c.cl->minute != c.minute + 1) {
			dt_roll(&c.cl->fired, &c.cl->over_minutes, c.cl->minute, c.minute + 1);
			c.cl->minute = c.minute + 1;
			c.cl->calls = 0;
		}
	}
	c.ep->cur_calls++;
	if (c.pair)
		c.pair->calls++;
	if (c.cl)
		c.cl->calls++;
	if (new_minute || c.ep->cur_calls == 1)
		detect_exposure_minute(d, &c);
	detect_object_call(d, &c);
	detect_auth_call(d, &c);
	detect_exposure_call(d, &c);
	detect_rate_call(d, &c);
	detect_flow_call(d, &c);
	detect_client_call(d, &c);
}

void detect_call_keyed(detect_t *d, const api_call_t *call, const principal_t *who, uint64_t now_us,
		       uint64_t ep_key, uint64_t pr_key)
{
	dt_call_run(d, call, who, now_us, ep_key, pr_key, NULL);
}

void detect_call_obs(detect_t *d, const api_call_t *call, const principal_t *who, uint64_t now_us,
		     const baseline_obs_t *obs)
{
	dt_call_run(d, call, who, now_us, obs->ep_key, obs->pr_key, obs);
}

/* ------------------------------------------------------------------------------------------ */
/* Findings */

void dt_emit(detect_t *d, const dt_call_t *c, unsigned rule, int principal_kind, double observed,
	     double baseline, const char *unit, const char *reason)
{
	static const char no_host[] = "-";
	alert_finding_t f;
	char addr[48];

	memset(&f, 0, sizeof(f));
	f.det = &detect_rules[rule];
	if (principal_kind == 1) {
		f.principal = c->call->principal;
	} else if (principal_kind == 2 && c->client) {
		const uint8_t *b = c->client->b;
		int v4 = c->who ? c->who->ip_version == 4
				: (c->call->flow && c->call->flow->key.ip_version == 4);

		/* The address as the inventory names an unauthenticated caller. */
		if (v4)
			snprintf(addr, sizeof(addr), "ip:%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
		else
			snprintf(
				addr, sizeof(addr),
				"ip:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:"
				"%02x%02x",
				b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
				b[11], b[12], b[13], b[14], b[15]);
		f.principal.ptr = addr;
		f.principal.len = strlen(addr);
	}
	f.host = c->call->host;
	if (!f.host.len) {
		f.host.ptr = no_host;
		f.host.len = 1;
	}
	f.method = c->call->method;
	f.endpoint = c->call->endpoint;
	f.observed = observed;
	f.baseline = baseline;
	f.unit = unit;
	f.reason = reason;
	d->counters.findings++;
	d->counters.by_rule[rule]++;
	if (d->emit)
		d->emit(d->ud, &f, c->call, c->t_us);
}

/* ------------------------------------------------------------------------------------------ */
/* JSON, as little as the detectors need */

static size_t dt_json_ws(const char *p, size_t n, size_t i)
{
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	return i;
}

/* End of a string starting at p[i] == '"' (the index after its closing quote), n if cut. A
 * quote closes it unless an odd run of backslashes (within the string) precedes it. */
static size_t dt_json_string_end(const char *p, size_t n, size_t i)
{
	size_t s = i + 1, q = s;

	while (q < n) {
		const char *x = memchr(p + q, '"', n - q);
		size_t b;

		if (!x)
			return n;
		q = (size_t)(x - p);
		for (b = q; b > s && p[b - 1] == '\\'; b--)
			;
		if (((q - b) & 1) == 0)
			return q + 1;
		q++;
	}
	return n;
}

/* The bytes that open or close a string, an object or an array. */
static const uint8_t dt_json_nest[256] = {['"'] = 1, ['{'] = 1, ['['] = 1, ['}'] = 1, [']'] = 1};

/* End of the value starting at p[i]; nesting is followed to a fixed depth. Arrays report
 * their element count in *elems (top level of that value only) when elems is not NULL. */
static size_t dt_json_value_end(const char *p, size_t n, size_t i, long *elems)
{
	int depth = 0;
	long count = 0;
	int empty = 1;

	if (i >= n)
		return n;
	if (p[i] == '"')
		return dt_json_string_end(p, n, i);
	if (p[i] != '{' && p[i] != '[') {
		while (i < n && p[i] != ',' && p[i] != '}' && p[i] != ']' && p[i] != ' ' &&
		       p[i] != '\n' && p[i] != '\r' && p[i] != '\t')
			i++;
		return i;
	}
	for (; i < n; i++) {
		char ch;

		/* Inside an element only strings and nesting matter: skip to the next. */
		if (depth > 1) {
			while (i < n && !dt_json_nest[(uint8_t)p[i]])
				i++;
			if (i >= n)
				break;
		}
		ch = p[i];
		if (ch == '"') {
			i = dt_json_string_end(p, n, i) - 1;
			if (depth == 1)
				empty = 0;
			continue;
		}
		if (ch == '{' || ch == '[') {
			if (depth == 1)
				empty = 0;
			if (++depth > 64)
				return n;
			continue;
		}
		if (ch == '}' || ch == ']') {
			if (--depth == 0) {
				if (elems)
					*elems = empty ? 0 : count + 1;
				return i + 1;
			}
			continue;
		}
		if (depth == 1 && ch == ',')
			count++;
		else if (depth == 1 && ch != ' ' && ch != '\n' && ch != '\r' && ch != '\t')
			empty = 0;
	}
	if (elems)
		*elems = empty ? 0 : count + 1; /* cut by the body limit: what was seen */
	return n;
}

unsigned dt_json_members(const char *p, size_t n, unsigned max, dt_member_fn fn, void *ud)
{
	size_t i = dt_json_ws(p, n, 0);
	unsigned seen = 0;

	if (i >= n || p[i] != '{')
		return 0;
	i++;
	while (seen < max) {
		aw_slice_t key, val;
		size_t ks;

		i = dt_json_ws(p, n, i);
		if (i >= n || p[i] != '"')
			break;
		ks = i;
		i = dt_json_string_end(p, n, i);
		if (i >= n)
			break;
		key.ptr = p + ks + 1;
		key.len = i - ks - 2;
		i = dt_json_ws(p, n, i);
		if (i >= n || p[i] != ':')
			break;
		i = dt_json_ws(p, n, i + 1);
		val.ptr = p + i;
		i = dt_json_value_end(p, n, i, NULL);
		val.len = (size_t)(p + i - val.ptr);
		seen++;
		if (fn && fn(key, val, ud))
			break;
		i = dt_json_ws(p, n, i);
		if (i >= n || p[i] != ',')
			break;
		i++;
	}
	return seen;
}

typedef struct dt_rec_scan {
	long best;
} dt_rec_scan_t;

static int dt_rec_member(aw_slice_t key, aw_slice_t val, void *ud)
{
	dt_rec_scan_t *s = ud;
	long elems = 0;

	(void)key;
	if (val.len && val.ptr[0] == '[') {
		dt_json_value_end(val.ptr, val.len, 0, &elems);
		if (elems > s->best)
			s->best = elems;
	}
	return 0;
}

long dt_json_records(const char *p, size_t n)
{
	size_t i = dt_json_ws(p, n, 0);
	dt_rec_scan_t s = {-1};
	long elems = 0;

	if (i >= n)
		return -1;
	if (p[i] == '[') {
		dt_json_value_end(p, n, i, &elems);
		return elems;
	}
	if (p[i] != '{')
		return -1;
	dt_json_members(p + i, n - i, 64, dt_rec_member, &s);
	return s.best;
}

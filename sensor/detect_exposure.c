/*
 * detect_exposure.c - excessive data exposure (OWASP API3): responses far larger, or with far
 * more records, than the endpoint's learned high end; a sensitive data type appearing in an
 * endpoint's responses after its baseline armed; privileged properties (role, is_admin, ...)
 * sent in a write and accepted with 2xx where the endpoint's learned body keys lack them (mass
 * assignment).
 *
 * Fed by detect.c with every call, and with the first call of each endpoint-minute (new
 * sensitive types show in the baseline view once the minute that saw them is finished: up to
 * a minute late, with the next call as evidence). Record counts are counted here, on the
 * first four responses of each endpoint-minute, and learned by the baseline store (a log2
 * histogram of the endpoint's profile: saved, loaded and shared through Redis with it); a
 * response past the learned p99 of bytes is counted too, up to 16 per endpoint-minute, so a
 * large dump is never missed by the sampling. Bodies are read through api_call_body (decoded
 * on demand); only JSON is counted.
 */
#include "detect_private.h"

#include <stdio.h>
#include <string.h>

#include "sensitive.h"

const char *const detect_priv_keys[] = {
	"role",	       "roles",	   "is_admin", "isAdmin", "admin",	  "permissions",
	"scope",       "scopes",   "is_staff", "isStaff", "is_superuser", "superuser",
	"privileges",  "groups",   "owner_id", "ownerId", "account_type", "user_type",
	"is_verified", "verified", NULL};

#define DT_FAMILY_MIN_READS 10 /* sibling minutes with sampled responses before comparing */
#define DT_FAMILY_MIN_MEMBERS 12 /* distinct siblings: values, not sub-routes */
#define DT_MASS_MIN_SAMPLES 5 /* sampled request bodies before privileged keys are judged */
#define DT_REC_LEARN 4 /* responses per endpoint-minute whose records are learned */
#define DT_REC_CHECK 20 /* ... counted at most, learned or checked */

/* The family of a thin endpoint whose template ends in a literal segment: its siblings that
 * differ only there (/users/alice, /users/bob: values the inventory kept literal), keyed by
 * host, method and the template up to its last '/'. 0 when there is none. */
static uint64_t dt_family_key(detect_t *d, const dt_call_t *c)
{
	aw_slice_t tpl = c->call->endpoint, host = c->call->host, m = c->call->method;
	char buf[256];
	size_t cut = tpl.len, n;

	while (cut > 0 && tpl.ptr[cut - 1] != '/')
		cut--;
	if (cut < 2 || cut == tpl.len || tpl.ptr[cut] == '{' ||
	    host.len + m.len + cut + 2 > sizeof(buf))
		return 0;
	aw_mem_copy(buf, host.ptr, host.len);
	n = host.len;
	buf[n++] = 0;
	aw_mem_copy(buf + n, m.ptr, m.len);
	n += m.len;
	buf[n++] = 0;
	aw_mem_copy(buf + n, tpl.ptr, cut);
	n += cut;
	return dt_hash(d, 'F', buf, n);
}

/* A thin endpoint is compared with its family: the sensitive types its siblings' responses
 * carried. Types learned until learning is over (some endpoint armed) and after it, from
 * every sibling read; a type new to the whole family fires once, then joins it. */
static uint32_t dt_family_fresh(detect_t *d, dt_call_t *c)
{
	dt_endpoint_t *e = c->ep, *f;
	uint64_t key = dt_family_key(d, c);
	uint32_t fresh = 0;
	int isnew;

	if (!key)
		return 0;
	f = dt_get(&d->t[DETECT_T_ENDPOINTS], key, c->t_us, &isnew);
	(void)isnew;
	dt_bits_add(f->members.w, 4, c->ep_key);
	if (!e->body_samples)
		return 0;
	/* f->calls: sibling minutes read with sampled responses. A family of sub-routes
	 * (/vehicles/{id}/trips, /location, ...) has a handful of members, each its own
	 * function; one of values kept literal has many. */
	if (d->api_principals > 0 && f->calls >= DT_FAMILY_MIN_READS &&
	    dt_bits_count(f->members.w, 4) >= DT_FAMILY_MIN_MEMBERS)
		fresh = e->sens_now & ~f->sens_ref;
	f->sens_ref |= e->sens_now;
	f->calls++;
	return fresh;
}

void detect_exposure_minute(detect_t *d, dt_call_t *c)
{
	dt_endpoint_t *e = c->ep;
	uint32_t fresh;
	unsigned t, n = 0;
	char why[200];
	size_t o;

	if (!(d->on & DT_ON_SENSITIVE_NEW))
		return;
	if (!e->armed) {
		fresh = e->known ? dt_family_fresh(d, c) : 0;
		if (!fresh)
			return;
		aw_slice_t tpl = c->call->endpoint;
		size_t cut = tpl.len;

		while (cut > 0 && tpl.ptr[cut - 1] != '/')
			cut--;
		o = (size_t)snprintf(why, sizeof(why),
				     "first time in the responses of this thin endpoint's siblings "
				     "(%.*s*):",
				     (int)(cut < 100 ? cut : 100), tpl.ptr);
	} else {
		if (!e->sens_ref_set)
			return;
		fresh = e->sens_now & ~e->sens_ref;
		if (!fresh)
			return;
		e->sens_ref |= fresh;
		o = (size_t)snprintf(why, sizeof(why), "first time in this endpoint's responses:");
	}
	for (t = 0; t < SENSITIVE__COUNT && t < 32; t++) {
		if (!(fresh & (1u << t)))
			continue;
		n++;
		if (o < sizeof(why))
			o += (size_t)snprintf(why + o, sizeof(why) - o, " %s",
					      sensitive_type_name(t));
	}
	dt_emit(d, c, DETECT_SENSITIVE_NEW, 0, n, 0, "new_sensitive_types", why);
}

/* Upper bound of the bucket holding the 99th percentile of the learned record counts. */
static double dt_rec_p99(const dt_endpoint_t *e)
{
	uint64_t want = e->rec_n - e->rec_n / 100, acc = 0;
	unsigned b;

	for (b = 0; b < DT_REC_BUCKETS; b++) {
		acc += e->rec_hist[b];
		if (acc >= want)
			return b ? (double)(1ull << b) : 1;
	}
	return (double)(1ull << (DT_REC_BUCKETS - 1));
}

static void dt_records(detect_t *d, dt_call_t *c, uint32_t *fired)
{
	dt_endpoint_t *e = c->ep;
	const api_call_t *call = c->call;
	int learn = e->cur_samples < DT_REC_LEARN;
	const aw_slice_t *body;
	double limit;
	long n;
	char why[160];

	if (c->cls != 2 || e->cur_samples >= DT_REC_CHECK ||
	    !aw_mem_has(call->resp.content_type.ptr, call->resp.content_type.len, "json", 4))
		return;
	if (!learn && !(e->armed && e->rec_n >= 30 && (double)c->resp_bytes > e->bytes_p99))
		return;
	e->cur_samples++;
	body = api_call_body(call, 1);
	if (!body || !body->len)
		return;
	d->counters.record_scans++;
	n = dt_json_records(body->ptr, body->len);
	if (n < 0)
		return;
	limit = e->rec_n >= 30 ? (double)d->cfg.exposure_factor * dt_rec_p99(e) : 0;
	if (limit < d->cfg.exposure_min_records)
		limit = d->cfg.exposure_min_records;
	if (e->armed && e->rec_n >= 30 && (double)n > limit &&
	    dt_fire(fired, DETECT_DATA_EXPOSURE_RECORDS)) {
		snprintf(why, sizeof(why), "%ld records in one response; learned p99 %.0f", n,
			 dt_rec_p99(e));
		dt_emit(d, c, DETECT_DATA_EXPOSURE_RECORDS, 1, (double)n, dt_rec_p99(e), "records",
			why);
		return; /* an outlier is not learned */
	}
	if (learn) { /* the view's histogram holds it from the next minute on */
		e->rec_hist[baseline_records_bucket((uint64_t)n)]++;
		e->rec_n++;
		baseline_learn_records(d->bl, c->ep_key, (uint64_t)n);
	}
}

static void dt_bytes(detect_t *d, dt_call_t *c, uint32_t *fired)
{
	const dt_endpoint_t *e = c->ep;
	double b = (double)c->resp_bytes;
	char why[160];

	if (c->resp_bytes < d->cfg.exposure_min_bytes || b <= e->bytes_max ||
	    b <= (double)d->cfg.exposure_factor * e->bytes_p99 ||
	    !dt_fire(fired, DETECT_DATA_EXPOSURE_BYTES))
		return;
	snprintf(why, sizeof(why), "response of %.0f bytes; learned p99 %.0f, largest %.0f", b,
		 e->bytes_p99, e->bytes_max);
	dt_emit(d, c, DETECT_DATA_EXPOSURE_BYTES, 1, b, e->bytes_p99, "bytes", why);
}

/* ------------------------------------------------------------------------------------------ */
/* Mass assignment */

typedef struct dt_priv_scan {
	uint32_t normal; /* keys the endpoint normally receives */
	int found; /* index of a privileged key found, -1 none */
} dt_priv_scan_t;

static int dt_priv_member(aw_slice_t key, aw_slice_t val, void *ud)
{
	dt_priv_scan_t *s = ud;
	int i;

	(void)val;
	for (i = 0; detect_priv_keys[i]; i++) {
		if (key.len == strlen(detect_priv_keys[i]) &&
		    aw_mem_eq(key.ptr, detect_priv_keys[i], key.len) && !(s->normal & (1u << i))) {
			s->found = i;
			return 1;
		}
	}
	return 0;
}

static void dt_mass_assignment(detect_t *d, dt_call_t *c, uint32_t *fired)
{
	const api_call_t *call = c->call;
	const aw_slice_t *body;
	dt_priv_scan_t s;
	char why[160];

	if (!c->write || c->cls != 2 || dt_slice_ieq(call->method, "delete") ||
	    c->ep->body_samples < DT_MASS_MIN_SAMPLES ||
	    (*fired & (1u << DETECT_MASS_ASSIGNMENT)) ||
	    !aw_mem_has(call->req.content_type.ptr, call->req.content_type.len, "json", 4))
		return;
	body = api_call_body(call, 0);
	if (!body || !body->len)
		return;
	d->counters.body_scans++;
	s.normal = c->ep->priv_keys_normal;
	s.found = -1;
	dt_json_members(body->ptr, body->len, 64, dt_priv_member, &s);
	if (s.found < 0 || !dt_fire(fired, DETECT_MASS_ASSIGNMENT))
		return;
	snprintf(why, sizeof(why),
		 "write with the privileged property '%s' accepted; this endpoint's writes do "
		 "not carry it",
		 detect_priv_keys[s.found]);
	dt_emit(d, c, DETECT_MASS_ASSIGNMENT, 1, 1, 0, "writes", why);
}

void detect_exposure_call(detect_t *d, dt_call_t *c)
{
	uint32_t *fired = c->pair ? &c->pair->fired : &c->ep->fired;

	if (d->on & DT_ON_EXPOSURE) {
		dt_records(d, c, fired);
		if (c->ep->armed && c->cls == 2)
			dt_bytes(d, c, fired);
	}
	/* Writes are thin next to reads (a profile update every few minutes): the rule needs
	 * learning to be over (some endpoint armed) and a few sampled bodies of this endpoint
	 * that show what it normally receives, not its own rates. */
	if ((d->on & DT_ON_MASS_ASSIGNMENT) && (c->ep->armed || d->api_principals > 0))
		dt_mass_assignment(d, c, fired);
}

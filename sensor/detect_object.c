/*
 * detect_object.c - object level authorization (OWASP API1): one principal reading far more
 * object IDs than it and its peers usually do, walking integer IDs one by one, collecting
 * 403/404 answers across IDs, and objects served to several principals on an endpoint whose
 * objects normally have one reader.
 *
 * Fed by detect.c with each call that carries an object ID (a concrete value at a {...}
 * position of its template). Distinct IDs per (endpoint, principal) and minute are counted in
 * a 512-bit linear-counting sketch (no ID is kept); the readers of an object are kept as the
 * first four 32-bit slices of their keyed principal hashes. Not here: IDs in bodies or query
 * strings (the scraping rule counts page numbers).
 */
#include "detect_private.h"

#include <stdio.h>

/* The walk: integer IDs one to three apart, in one direction; a repeat neither breaks nor
 * extends it. Two runs are followed at once, so that a script's walk interleaved with the
 * app's own calls of the same principal is still seen: an ID that extends neither starts a
 * new run in place of a short one (or of any after eight such IDs in a row), and the second
 * run takes the first's place when it grows longer. */
static int dt_walk_step(dt_pair_t *p, int i, int64_t id)
{
	int64_t delta = id - p->walk_last[i];
	int8_t dir = delta > 0 ? 1 : -1;

	if (delta < -3 || delta > 3 || (p->walk_run[i] >= 2 && dir != p->walk_dir[i]))
		return 0;
	p->walk_run[i]++;
	p->walk_dir[i] = dir;
	p->walk_last[i] = id;
	return 1;
}

static void dt_walk(detect_t *d, dt_call_t *c, dt_pair_t *p)
{
	char why[160];

	if (!c->has_int)
		return;
	if (!p->walk_run[0]) {
		p->walk_last[0] = c->id_int;
		p->walk_run[0] = 1;
		return;
	}
	if (c->id_int == p->walk_last[0] || (p->walk_run[1] && c->id_int == p->walk_last[1]))
		return;
	if (dt_walk_step(p, 0, c->id_int))
		p->walk_misses = 0;
	else {
		if (!p->walk_run[1] || !dt_walk_step(p, 1, c->id_int)) {
			/* Neither: it replaces a short run, or any after many misses in a row. */
			int v = p->walk_run[1] <= p->walk_run[0] ? 1 : 0;

			if (p->walk_run[v] <= 2 || ++p->walk_misses > 8) {
				p->walk_last[v] = c->id_int;
				p->walk_run[v] = 1;
				p->walk_dir[v] = 0;
				p->walk_misses = 0;
			}
			return;
		}
		p->walk_misses = 0;
		if (p->walk_run[1] > p->walk_run[0]) {
			int64_t l = p->walk_last[0];
			uint32_t r = p->walk_run[0];
			int8_t dr = p->walk_dir[0];

			p->walk_last[0] = p->walk_last[1];
			p->walk_run[0] = p->walk_run[1];
			p->walk_dir[0] = p->walk_dir[1];
			p->walk_last[1] = l;
			p->walk_run[1] = r;
			p->walk_dir[1] = dr;
		} else {
			return;
		}
	}
	if (!c->ep->armed || p->walk_run[0] < d->cfg.bola_walk ||
	    !dt_fire(&p->fired, DETECT_BOLA_WALK))
		return;
	snprintf(why, sizeof(why),
		 "%u object IDs in a row, each one to three from the last, by one principal",
		 p->walk_run[0]);
	dt_emit(d, c, DETECT_BOLA_WALK, 1, p->walk_run[0], d->cfg.bola_walk, "ids_in_sequence",
		why);
}

/* Peers: calls per principal and minute on the endpoint, at their high end. */
static double dt_peer_calls(const detect_t *d, const dt_endpoint_t *e)
{
	double pm = e->principals_mean > 1 ? e->principals_mean : 1;

	return (e->rate_mean + (double)d->cfg.sigma * e->rate_sd) / pm;
}

static void dt_enumeration(detect_t *d, dt_call_t *c, dt_pair_t *p)
{
	double ids = dt_bits_count(p->ids.w, 8), limit, own = 0, peer;
	char why[200];

	limit = d->cfg.bola_min_ids;
	if (p->pv_armed) {
		own = dt_limit(d, p->pv_ids_mean, p->pv_ids_sd, 0);
		if (own > limit)
			limit = own;
	}
	peer = dt_peer_calls(d, c->ep);
	if (peer > limit)
		limit = peer;
	if (ids <= limit || !dt_fire(&p->fired, DETECT_BOLA_ENUMERATION))
		return;
	snprintf(why, sizeof(why),
		 "%.0f distinct object IDs in a minute; own baseline %.1f, peers' calls per "
		 "principal %.1f",
		 ids, p->pv_armed ? p->pv_ids_mean : 0.0, peer);
	dt_emit(d, c, DETECT_BOLA_ENUMERATION, 1, ids, limit, "distinct_ids_per_min", why);
}

static void dt_denied(detect_t *d, dt_call_t *c, dt_pair_t *p)
{
	double ids = dt_bits_count(p->fail_ids.w, 4), limit = d->cfg.bola_fail_ids;
	char why[160];

	if (p->pv_armed && dt_limit(d, p->pv_fails_mean, p->pv_fails_sd, 0) > limit)
		limit = dt_limit(d, p->pv_fails_mean, p->pv_fails_sd, 0);
	if (ids < limit || !dt_fire(&p->fired, DETECT_BOLA_FAILURES))
		return;
	snprintf(why, sizeof(why), "%.0f distinct object IDs answered 403/404 in a minute", ids);
	dt_emit(d, c, DETECT_BOLA_FAILURES, 1, ids, limit, "denied_ids_per_min", why);
}

/* Readers of an object; the endpoint's baseline learns how often its objects have more than
 * one (objects seen and shared, counted by this sensor: the readers are its own). */
static void dt_readers(detect_t *d, dt_call_t *c)
{
	dt_endpoint_t *e = c->ep;
	dt_object_t *o;
	uint32_t r = (uint32_t)(c->pr_key >> 32) | 1;
	unsigned i;
	int fresh;
	double share;
	char why[200];

	o = dt_get(&d->t[DETECT_T_OBJECTS], c->ep_key ^ (c->id_hash * 0xc2b2ae3d27d4eb4full),
		   c->t_us, &fresh);
	if (fresh) {
		e->objects++;
		baseline_learn_objects(d->bl, c->ep_key, 1, 0);
	}
	for (i = 0; i < o->n && i < 4; i++)
		if (o->readers[i] == r)
			return;
	if (o->n < 4)
		o->readers[o->n] = r;
	if (o->n < 255)
		o->n++;
	if (o->n == 2) {
		e->objects_shared++;
		baseline_learn_objects(d->bl, c->ep_key, 0, 1);
	}
	if (!e->armed || o->fired || o->n < d->cfg.bola_readers || e->objects < 100)
		return;
	share = (double)e->objects_shared / (double)e->objects;
	if (share >= 0.02)
		return;
	o->fired = 1;
	snprintf(why, sizeof(why),
		 "one object served to %u principals where %.1f%% of this endpoint's objects have "
		 "more than one",
		 o->n, 100.0 * share);
	dt_emit(d, c, DETECT_BOLA_SHARED_OBJECT, 1, o->n, 1, "principals_per_object", why);
}

void detect_object_call(detect_t *d, dt_call_t *c)
{
	dt_pair_t *p = c->pair;
	int new_id = 0, new_fail = 0;

	/* Object level authorization is about who may read an object: an anonymous client has
	 * no objects of its own, and objects answered to it are public (scraping's business) or
	 * answered without the credential the endpoint needs (unauthenticated's). */
	if (!(d->on & DT_ON_BOLA) || !c->has_id || !p || !c->credentialed)
		return;
	new_id = dt_bits_add(p->ids.w, 8, c->id_hash);
	if (c->status == 403 || c->status == 404)
		new_fail = dt_bits_add(p->fail_ids.w, 4, c->id_hash);
	dt_walk(d, c, p);
	if (c->cls == 2)
		dt_readers(d, c);
	if (!c->ep->armed)
		return;
	if (new_id)
		dt_enumeration(d, c, p);
	if (new_fail)
		dt_denied(d, c, p);
}

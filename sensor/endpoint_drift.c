/*
 * endpoint_drift.c - the catalogue against a declared spec (--spec): shadow, zombie and orphan
 * endpoints, and calls that break their declared operation (see endpoint.h).
 *
 * Fed by the inventory with each catalogued call when a spec is loaded. An endpoint is routed
 * once, by the concrete path of its first call (sensor/endpoint_spec.c: base paths, literal
 * segments before templated ones): no operation makes it a shadow endpoint, a deprecated one a
 * zombie; the operation's index is marked in a bitmap, and the operations never marked by the
 * end are the orphans. Every call of a declared endpoint is then checked against its operation
 * (query, path and header parameters, the JSON request body): kinds of violation are counted per
 * endpoint with the first offender's name (a parameter name or body key path, never a value).
 * A template made by a collapse is routed again on its first call.
 */
#include "endpoint_private.h"

#include <string.h>

#include "error.h"

int endpoint_catalog_set_spec(endpoint_catalog_t *cat, const endpoint_spec_t *spec)
{
	size_t len;

	if (cat->spec_seen)
		mem_free(cat->acct, cat->spec_seen, cat->spec_seen_len);
	cat->spec_seen = NULL;
	cat->spec_seen_len = 0;
	cat->spec = spec;
	if (!spec)
		return 0;
	len = (endpoint_spec_op_count(spec) + 7) / 8 + 1;
	cat->spec_seen = mem_calloc(cat->acct, len);
	if (!cat->spec_seen) {
		cat->spec = NULL;
		return AW_ENOMEM;
	}
	cat->spec_seen_len = len;
	return 0;
}

/* Routes an endpoint by the path of the call at hand; the state it ends in. */
static void endpoint_drift_route(endpoint_catalog_t *cat, endpoint_t *ep, const api_call_t *call)
{
	endpoint_spec_route_t r;

	endpoint_spec_route(cat->spec, &r, call->method, call->path, 0);
	ep->spec_opp = r.op;
	if (!r.op) {
		ep->spec_op = -1;
		ep->spec_state = ENDPOINT_DRIFT_SHADOW;
		cat->counters.spec_shadow_endpoints++;
		return;
	}
	ep->spec_op = (int32_t)r.op->index;
	cat->spec_seen[r.op->index / 8] |= (uint8_t)(1u << (r.op->index % 8));
	if (r.op->deprecated) {
		ep->spec_state = ENDPOINT_DRIFT_ZOMBIE;
		cat->counters.spec_zombie_endpoints++;
	} else {
		ep->spec_state = ENDPOINT_DRIFT_DECLARED;
	}
}

unsigned endpoint_drift_observe(endpoint_catalog_t *cat, endpoint_t *ep, const api_call_t *call)
{
	endpoint_spec_result_t res;
	unsigned news = 0, k;

	if (!cat->spec || !ep)
		return 0;
	if (ep->spec_state == ENDPOINT_DRIFT_UNROUTED &&
	    !endpoint_spec_covers_host(cat->spec, call->host)) {
		ep->spec_state = ENDPOINT_DRIFT_OUTSIDE;
		cat->counters.spec_outside_endpoints++;
	}
	if (ep->spec_state == ENDPOINT_DRIFT_OUTSIDE) {
		cat->counters.spec_outside_calls++;
		return 0;
	}
	cat->counters.spec_calls++;
	if (ep->spec_state == ENDPOINT_DRIFT_UNROUTED) {
		endpoint_drift_route(cat, ep, call);
		news = ep->spec_state == ENDPOINT_DRIFT_SHADOW	 ? ENDPOINT_DRIFT_F_SHADOW
		       : ep->spec_state == ENDPOINT_DRIFT_ZOMBIE ? ENDPOINT_DRIFT_F_ZOMBIE
								 : 0;
	}
	if (ep->spec_state == ENDPOINT_DRIFT_SHADOW) {
		ep->spec_violations[ENDPOINT_SPEC_SHADOW]++;
		return news;
	}
	if (ep->spec_state == ENDPOINT_DRIFT_ZOMBIE)
		ep->spec_violations[ENDPOINT_SPEC_ZOMBIE]++;
	if (!ep->spec_opp)
		return news;
	ep->spec_checked++;
	cat->counters.spec_checked++;
	if (!endpoint_spec_check(cat->spec, &res, ep->spec_opp, call))
		return news;
	ep->spec_bad++;
	cat->counters.spec_bad++;
	for (k = 0; k < ENDPOINT_SPEC_V__COUNT; k++) {
		if (!(res.kinds & (1u << k)))
			continue;
		ep->spec_kinds[k]++;
		if (!ep->spec_first[k][0])
			snprintf(ep->spec_first[k], sizeof(ep->spec_first[k]), "%s",
				 endpoint_spec_result_name(&res, k));
	}
	return news;
}

const endpoint_spec_op_t *endpoint_drift_orphan(const endpoint_catalog_t *cat, uint32_t *index)
{
	uint32_t n;

	if (!cat->spec)
		return NULL;
	n = endpoint_spec_op_count(cat->spec);
	for (; *index < n; (*index)++)
		if (!(cat->spec_seen[*index / 8] & (1u << (*index % 8))))
			return endpoint_spec_op(cat->spec, (*index)++);
	return NULL;
}

uint32_t endpoint_drift_orphans(const endpoint_catalog_t *cat)
{
	uint32_t i = 0, n = 0;

	while (endpoint_drift_orphan(cat, &i))
		n++;
	return n;
}

/* Folds the drift facts of a retired template's endpoint into its successor's. */
void endpoint__drift_fold(endpoint_t *into, const endpoint_t *from)
{
	unsigned k;

	for (k = 0; k < ENDPOINT_SPEC__COUNT; k++)
		into->spec_violations[k] += from->spec_violations[k];
	into->spec_checked += from->spec_checked;
	into->spec_bad += from->spec_bad;
	for (k = 0; k < ENDPOINT_SPEC_V__COUNT; k++) {
		into->spec_kinds[k] += from->spec_kinds[k];
		if (!into->spec_first[k][0])
			memcpy(into->spec_first[k], from->spec_first[k],
			       sizeof(into->spec_first[k]));
	}
}

/* The spec object of an endpoint in the inventory file. */
void endpoint__drift_json(json_buf_t *jb, const endpoint_t *ep)
{
	static const char *const state[] = {"unrouted", "declared", "shadow", "zombie", "outside"};
	const endpoint_spec_op_t *op = ep->spec_opp;
	unsigned k;

	if (ep->spec_state == ENDPOINT_DRIFT_UNROUTED && ep->spec_op < 0)
		return;
	json_open_object(jb, "spec");
	json_kv_str(jb, "status",
		    state[ep->spec_state <= ENDPOINT_DRIFT_OUTSIDE ? ep->spec_state : 0]);
	if (ep->spec_op >= 0)
		json_kv_i64(jb, "operation", ep->spec_op);
	if (op) {
		json_kv_str(jb, "path", op->path);
		if (op->operation_id[0])
			json_kv_str(jb, "operation_id", op->operation_id);
		json_kv_bool(jb, "deprecated", op->deprecated);
		json_kv_u64(jb, "checked", ep->spec_checked);
		json_kv_u64(jb, "violating", ep->spec_bad);
		json_open_object(jb, "violations");
		for (k = 0; k < ENDPOINT_SPEC_V__COUNT; k++) {
			if (!ep->spec_kinds[k])
				continue;
			json_open_object(jb, endpoint_spec_violation_name(k));
			json_kv_u64(jb, "calls", ep->spec_kinds[k]);
			if (ep->spec_first[k][0])
				json_kv_str(jb, "first", ep->spec_first[k]);
			json_close_object(jb);
		}
		json_close_object(jb);
	}
	if (ep->spec_violations[ENDPOINT_SPEC_SHADOW])
		json_kv_u64(jb, "shadow_calls", ep->spec_violations[ENDPOINT_SPEC_SHADOW]);
	if (ep->spec_violations[ENDPOINT_SPEC_ZOMBIE])
		json_kv_u64(jb, "zombie_calls", ep->spec_violations[ENDPOINT_SPEC_ZOMBIE]);
	json_close_object(jb);
}

/* The spec part of the inventory document: what was declared, and the orphans. */
void endpoint__drift_json_doc(json_buf_t *jb, const endpoint_catalog_t *cat)
{
	const endpoint_spec_info_t *in;
	const endpoint_spec_op_t *op;
	uint32_t i = 0;

	if (!cat->spec)
		return;
	in = endpoint_spec_info(cat->spec);
	json_open_object(jb, "spec");
	json_kv_str(jb, "name", in->name);
	json_kv_u64(jb, "operations", endpoint_spec_op_count(cat->spec));
	json_kv_u64(jb, "shadow_endpoints", cat->counters.spec_shadow_endpoints);
	json_kv_u64(jb, "zombie_endpoints", cat->counters.spec_zombie_endpoints);
	json_kv_u64(jb, "outside_endpoints", cat->counters.spec_outside_endpoints);
	{
		const char *h;
		size_t hl;
		uint32_t k;

		/* The hosts the spec is about; none listed: every host. */
		json_open_array(jb, "hosts");
		for (k = 0; (h = endpoint_spec_host(cat->spec, k, &hl)) != NULL; k++)
			json_strn(jb, h, hl);
		json_close_array(jb);
	}
	json_open_array(jb, "orphans");
	while ((op = endpoint_drift_orphan(cat, &i)) != NULL) {
		json_open_object(jb, NULL);
		json_kv_str(jb, "method", op->method_name);
		json_kv_str(jb, "path", op->path);
		if (op->operation_id[0])
			json_kv_str(jb, "operation_id", op->operation_id);
		json_kv_bool(jb, "deprecated", op->deprecated);
		json_close_object(jb);
	}
	json_close_array(jb);
	json_close_object(jb);
}

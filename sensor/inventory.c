/*
 * inventory.c - endpoint template, principal and catalogue entry of each API call (see
 * inventory.h).
 */
#include "inventory.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "output_endpoint.h"
#include "principal.h"

#define INVENTORY_MINUTE_US (60ull * 1000000)

#define INVENTORY_ORPHAN_EVENTS 1000 /* orphan api_endpoint events written at exit, at most */

struct inventory {
	mem_account_t *acct;
	const endpoint_spec_t *spec; /* the declared API, or NULL */
	const aw_config_t *cfg;
	path_template_ctx_t *templates;
	endpoint_catalog_t *cat;
	const path_template_t *tpl; /* the last call's template */
	int have_principal; /* principal holds the last call's */
	endpoint_t *drift_ep; /* the last call's endpoint, when it just became shadow or zombie */
	unsigned drift_news; /* ENDPOINT_DRIFT_F_* of drift_ep, to announce */
	uint64_t next_write_us; /* next periodic inventory file; 0 = none */
	uint64_t budget_minute; /* minute of packet time of the event budget, plus one */
	uint32_t budget_used;
	principal_config_t pcfg;
	principal_t principal; /* the last call's, lent to it through call->principal */
	principal_memo_t *memo; /* decoded JWTs: clients send the same token with every call */
	inventory_counters_t counters;
};

/* A file to be written at exit is checked at start, so that a wrong path fails at once. */
static int inventory_check_path(const char *path, const char *what, char *errbuf, size_t errlen)
{
	char tmp[ENDPOINT_PATH_MAX + 8];
	FILE *fp;

	if (!path[0])
		return 0;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fp = fopen(tmp, "wb");
	if (!fp) {
		snprintf(errbuf, errlen, "cannot write the %s file %s: %s", what, path,
			 strerror(errno));
		return AW_EIO;
	}
	fclose(fp);
	remove(tmp);
	return 0;
}

int inventory_new(inventory_t **out, const aw_config_t *cfg, const endpoint_spec_t *spec,
		  mem_account_t *acct, char *errbuf, size_t errlen)
{
	path_template_config_t tcfg;
	inventory_t *inv;
	int rc;

	*out = NULL;
	inv = mem_calloc(acct, sizeof(*inv));
	if (!inv)
		return AW_ENOMEM;
	inv->acct = acct;
	inv->spec = spec;
	inv->cfg = cfg;
	inv->memo = mem_calloc(acct, sizeof(*inv->memo));
	if (!inv->memo) {
		mem_free(acct, inv, sizeof(*inv));
		return AW_ENOMEM;
	}
	principal_config_default(&inv->pcfg);
	memcpy(inv->pcfg.hash_key, cfg->http_out.hash_key, sizeof(inv->pcfg.hash_key));
	if (cfg->trusted_proxies[0] &&
	    principal_config_set_trusted(&inv->pcfg, cfg->trusted_proxies) < 0) {
		snprintf(errbuf, errlen, "setting inventory.trusted-proxies: cannot parse '%s'",
			 cfg->trusted_proxies);
		mem_free(acct, inv->memo, sizeof(*inv->memo));
		mem_free(acct, inv, sizeof(*inv));
		return AW_ECONFIG;
	}
	path_template_config_default(&tcfg);
	rc = endpoint_catalog_new(&inv->cat, &cfg->inventory, cfg->http_out.hash_key, acct);
	if (rc == 0)
		rc = endpoint_catalog_set_spec(inv->cat, spec);
	if (rc == 0)
		rc = path_template_ctx_new(&inv->templates, &tcfg, acct, endpoint_catalog_merge_cb,
					   inv->cat);
	if (rc < 0) {
		snprintf(errbuf, errlen, "cannot set up the inventory: %s", error_str(rc));
		inventory_free(inv);
		return rc;
	}
	if (inventory_check_path(cfg->inventory.inventory_path, "inventory", errbuf, errlen) < 0 ||
	    inventory_check_path(cfg->inventory.openapi_path, "OpenAPI", errbuf, errlen) < 0) {
		inventory_free(inv);
		return AW_EIO;
	}
	*out = inv;
	return 0;
}

void inventory_free(inventory_t *inv)
{
	if (!inv)
		return;
	path_template_ctx_free(inv->templates);
	endpoint_catalog_free(inv->cat);
	mem_free(inv->acct, inv->memo, sizeof(*inv->memo));
	mem_free(inv->acct, inv, sizeof(*inv));
}

static void inventory_endpoint(inventory_t *inv, api_call_t *call)
{
	static const char no_host[] = "-";
	const path_template_t *t = NULL;
	aw_slice_t host = call->host;
	unsigned flags = 0;

	if (!call->path.len) {
		inv->counters.no_path++;
		return;
	}
	if (!host.len) {
		host.ptr = no_host;
		host.len = 1;
	}
	if (path_template_apply(inv->templates, &t, &flags, host, call->method, call->path) == 0 &&
	    t) {
		call->endpoint.ptr = t->str;
		call->endpoint.len = t->len;
		inv->tpl = t;
	}
}

static void inventory_principal(inventory_t *inv, api_call_t *call)
{
	const flow_t *f = call->flow;
	principal_t *p = &inv->principal;

	if (principal_from_request_memo(&inv->pcfg, inv->memo, p, call->req.headers,
					call->req.nheaders, call->query.ptr, call->query.len,
					f ? &f->addr[0] : NULL, f ? f->key.ip_version : 0) < 0)
		return;
	inv->have_principal = 1;
	if (!p->id[0])
		return;
	call->principal.ptr = p->id;
	call->principal.len = strlen(p->id);
	if (p->kind < sizeof(inv->counters.by_principal) / sizeof(inv->counters.by_principal[0]))
		inv->counters.by_principal[p->kind]++;
}

void inventory_annotate(inventory_t *inv, api_call_t *call)
{
	inv->counters.calls++;
	inv->tpl = NULL;
	inv->have_principal = 0;
	inventory_endpoint(inv, call);
	inventory_principal(inv, call);
	inv->drift_news = 0;
	if (inv->tpl) {
		endpoint_t *ep = endpoint_catalog_observe(
			inv->cat, inv->tpl, call, inv->have_principal ? &inv->principal : NULL);

		if (inv->spec) {
			inv->drift_ep = ep;
			inv->drift_news = endpoint_drift_observe(inv->cat, ep, call);
		}
	}
}

/* Whether the event budget of the current minute of packet time allows one more event. */
static int inventory_budget(inventory_t *inv, uint64_t now_us)
{
	uint64_t minute = now_us / INVENTORY_MINUTE_US + 1;

	if (minute != inv->budget_minute) {
		inv->budget_minute = minute;
		inv->budget_used = 0;
	}
	if (inv->budget_used >= inv->cfg->inventory.event_budget) {
		inv->counters.events_dropped++;
		return 0;
	}
	inv->budget_used++;
	return 1;
}

void inventory_announce(inventory_t *inv, output_t *out, const api_call_t *call, uint64_t ts_us,
			uint64_t pcap_cnt)
{
	endpoint_news_t news[8];
	size_t n, i;

	while ((n = endpoint_catalog_take_news(inv->cat, news, 8)) > 0) {
		for (i = 0; i < n; i++) {
			if (!inventory_budget(inv, ts_us))
				continue;
			if (output_endpoint_write(out, news[i].ep, "new", news[i].replaced, call,
						  ts_us, pcap_cnt) == 0)
				inv->counters.events++;
		}
	}
	/* Drift found by this call: after the endpoint's "new", before the call's http event. */
	if (inv->drift_news && inventory_budget(inv, ts_us) &&
	    output_endpoint_write(out, inv->drift_ep,
				  inv->drift_news & ENDPOINT_DRIFT_F_SHADOW ? "shadow" : "zombie",
				  0, call, ts_us, pcap_cnt) == 0)
		inv->counters.events++;
	inv->drift_news = 0;
}

void inventory_finish(inventory_t *inv, output_t *out, uint64_t ts_us)
{
	const endpoint_spec_op_t *op;
	uint32_t i = 0, n = 0;

	/* Orphans: declared operations no call matched. All are in the inventory file; events
	 * are capped so that a large spec against a small capture does not flood the feed. */
	while ((op = endpoint_drift_orphan(inv->cat, &i)) != NULL) {
		if (n++ >= INVENTORY_ORPHAN_EVENTS) {
			inv->counters.orphan_events_dropped++;
			continue;
		}
		if (output_endpoint_write_orphan(out, op, ts_us) == 0)
			inv->counters.events++;
	}
	inv->counters.orphans = n;
}

int inventory_write_files(inventory_t *inv, uint64_t now_us, int final, char *errbuf, size_t errlen)
{
	const endpoint_config_t *c = &inv->cfg->inventory;
	int rc = 0;

	if (c->inventory_path[0]) {
		rc = endpoint_catalog_write_inventory(inv->cat, c->inventory_path, now_us);
		if (rc < 0) {
			inv->counters.write_errors++;
			snprintf(errbuf, errlen, "cannot write the inventory file %s: %s",
				 c->inventory_path, strerror(errno));
			return rc;
		}
		inv->counters.files_written++;
	}
	if (final && c->openapi_path[0]) {
		rc = endpoint_catalog_write_openapi(inv->cat, c->openapi_path);
		if (rc < 0) {
			inv->counters.write_errors++;
			snprintf(errbuf, errlen, "cannot write the OpenAPI file %s: %s",
				 c->openapi_path, strerror(errno));
			return rc;
		}
		inv->counters.files_written++;
	}
	return 0;
}

int inventory_tick(inventory_t *inv, uint64_t now_us, char *errbuf, size_t errlen)
{
	const endpoint_config_t *c = &inv->cfg->inventory;

	if (!c->inventory_path[0] || !c->interval_us)
		return 0;
	if (!inv->next_write_us) {
		inv->next_write_us = now_us + c->interval_us;
		return 0;
	}
	if (now_us < inv->next_write_us)
		return 0;
	inv->next_write_us = now_us + c->interval_us;
	return inventory_write_files(inv, now_us, 0, errbuf, errlen);
}

const principal_t *inventory_last_principal(const inventory_t *inv)
{
	return inv->have_principal ? &inv->principal : NULL;
}

const inventory_counters_t *inventory_counters(inventory_t *inv)
{
	inv->counters.jwt_memo_hits = inv->memo->hits;
	inv->counters.jwt_memo_misses = inv->memo->misses;
	return &inv->counters;
}

const endpoint_counters_t *inventory_endpoint_counters(const inventory_t *inv)
{
	return endpoint_catalog_counters(inv->cat);
}

endpoint_catalog_t *inventory_catalog(inventory_t *inv)
{
	return inv->cat;
}

const path_template_counters_t *inventory_template_counters(const inventory_t *inv)
{
	return path_template_counters(inv->templates);
}

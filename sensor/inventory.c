/*
 * inventory.c - endpoint template and principal of each API call (see inventory.h).
 */
#include "inventory.h"

#include <stdio.h>
#include <string.h>

#include "error.h"
#include "principal.h"

struct inventory {
	mem_account_t *acct;
	const endpoint_spec_t *spec; /* the declared API, or NULL */
	path_template_ctx_t *templates;
	principal_config_t pcfg;
	principal_t principal; /* the last call's, lent to it through call->principal */
	principal_memo_t *memo; /* decoded JWTs: clients send the same token with every call */
	inventory_counters_t counters;
};

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
	rc = path_template_ctx_new(&inv->templates, &tcfg, acct, NULL, NULL);
	if (rc < 0) {
		snprintf(errbuf, errlen, "cannot set up the inventory: %s", error_str(rc));
		mem_free(acct, inv->memo, sizeof(*inv->memo));
		mem_free(acct, inv, sizeof(*inv));
		return rc;
	}
	*out = inv;
	return 0;
}

void inventory_free(inventory_t *inv)
{
	if (!inv)
		return;
	path_template_ctx_free(inv->templates);
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
	}
}

static void inventory_principal(inventory_t *inv, api_call_t *call)
{
	const flow_t *f = call->flow;
	principal_t *p = &inv->principal;

	if (principal_from_request_memo(&inv->pcfg, inv->memo, p, call->req.headers,
					call->req.nheaders, call->query.ptr, call->query.len,
					f ? &f->addr[0] : NULL, f ? f->key.ip_version : 0) < 0 ||
	    !p->id[0])
		return;
	call->principal.ptr = p->id;
	call->principal.len = strlen(p->id);
	if (p->kind < sizeof(inv->counters.by_principal) / sizeof(inv->counters.by_principal[0]))
		inv->counters.by_principal[p->kind]++;
}

void inventory_annotate(inventory_t *inv, api_call_t *call)
{
	inv->counters.calls++;
	inventory_endpoint(inv, call);
	inventory_principal(inv, call);
}

const inventory_counters_t *inventory_counters(inventory_t *inv)
{
	inv->counters.jwt_memo_hits = inv->memo->hits;
	inv->counters.jwt_memo_misses = inv->memo->misses;
	return &inv->counters;
}

const path_template_counters_t *inventory_template_counters(const inventory_t *inv)
{
	return path_template_counters(inv->templates);
}

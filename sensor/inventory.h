/*
 * inventory.h - the API inventory stage: what each call is and who made it.
 *
 * Fed by the pipeline with every API call record a dissector completes, before detectors and
 * output see it; gives the record its endpoint template (sensor/path_template.c, learned per
 * host and method) and its principal (sensor/principal.c: a keyed hash of the caller's
 * credential, else the client address). Both go into the http event's api object; the
 * baselines and detectors key on them. The endpoint catalogue (per-endpoint facts, schemas,
 * sensitive data, OpenAPI export, spec drift) builds on this stage.
 */
#ifndef APIWATCH_INVENTORY_H
#define APIWATCH_INVENTORY_H

#include <stdint.h>

#include "api_call.h"
#include "config.h"
#include "endpoint_spec.h"
#include "path_template.h"
#include "mem.h"

typedef struct inventory_counters {
	uint64_t calls; /* calls annotated */
	uint64_t no_path; /* calls without a request path (no request seen) */
	uint64_t by_principal[8]; /* calls per enum principal_kind */
	uint64_t jwt_memo_hits; /* JWTs found decoded in the memo */
	uint64_t jwt_memo_misses; /* JWTs decoded */
} inventory_counters_t;

typedef struct inventory inventory_t;

/* Creates the stage; its state is charged to acct. spec is the declared API (NULL: none),
 * borrowed, read-only, and outliving the stage. AW_ECONFIG with a message in errbuf when a
 * setting (trusted proxies) does not parse. */
int inventory_new(inventory_t **out, const aw_config_t *cfg, const endpoint_spec_t *spec,
		  mem_account_t *acct, char *errbuf, size_t errlen);
void inventory_free(inventory_t *inv);

/* Sets call->endpoint and call->principal. The slices stay valid until the next call. */
void inventory_annotate(inventory_t *inv, api_call_t *call);

const inventory_counters_t *inventory_counters(inventory_t *inv);
const path_template_counters_t *inventory_template_counters(const inventory_t *inv);

#endif

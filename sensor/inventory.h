/*
 * inventory.h - the API inventory stage: what each call is and who made it.
 *
 * Fed by the pipeline with every API call record a dissector completes, before detectors and
 * output see it; gives the record its endpoint template (sensor/path_template.c, learned per
 * host and method) and its principal (sensor/principal.c: a keyed hash of the caller's
 * credential, else the client address). Both go into the http event's api object; the
 * baselines and detectors key on them. Each call then goes to the endpoint catalogue
 * (sensor/endpoint.c: per-endpoint facts, schemas, sensitive data), which this stage announces
 * (api_endpoint events) and writes out (--inventory, --openapi).
 */
#ifndef APIWATCH_INVENTORY_H
#define APIWATCH_INVENTORY_H

#include <stdint.h>

#include "api_call.h"
#include "config.h"
#include "endpoint_spec.h"
#include "endpoint.h"
#include "output.h"
#include "path_template.h"
#include "principal.h"
#include "mem.h"

typedef struct inventory_counters {
	uint64_t calls; /* calls annotated */
	uint64_t no_path; /* calls without a request path (no request seen) */
	uint64_t by_principal[8]; /* calls per enum principal_kind */
	uint64_t jwt_memo_hits; /* JWTs found decoded in the memo */
	uint64_t jwt_memo_misses; /* JWTs decoded */
	uint64_t events; /* api_endpoint events written */
	uint64_t events_dropped; /* ... refused by the per-minute budget */
	uint64_t files_written; /* inventory and OpenAPI files */
	uint64_t write_errors; /* ... that could not be written */
	uint64_t orphans; /* declared operations no call matched (at exit, with --spec) */
	uint64_t orphan_events_dropped; /* orphans past the cap of events (all in the file) */
} inventory_counters_t;

typedef struct inventory inventory_t;

/* Creates the stage; its state is charged to acct. spec is the declared API (NULL: none),
 * borrowed, read-only, and outliving the stage. AW_ECONFIG with a message in errbuf when a
 * setting (trusted proxies) does not parse. */
int inventory_new(inventory_t **out, const aw_config_t *cfg, const endpoint_spec_t *spec,
		  mem_account_t *acct, char *errbuf, size_t errlen);
void inventory_free(inventory_t *inv);

/* Sets call->endpoint and call->principal and adds the call to the endpoint catalogue. The
 * slices stay valid until the next call. */
void inventory_annotate(inventory_t *inv, api_call_t *call);

/* Writes an api_endpoint event for every endpoint the last annotated call revealed (new, or
 * made by a template collapse), with call's header, within inventory.event-budget events per
 * minute of packet time (the rest are counted in events_dropped). */
void inventory_announce(inventory_t *inv, output_t *out, const api_call_t *call, uint64_t ts_us,
			uint64_t pcap_cnt);

/* Writes the inventory file every inventory.interval of packet time (call it as time goes
 * by). 0, or an AW_E* code with a message in errbuf when the file cannot be written. */
int inventory_tick(inventory_t *inv, uint64_t now_us, char *errbuf, size_t errlen);

/* Writes the inventory file now and, when final, the OpenAPI export (each if configured). */
int inventory_write_files(inventory_t *inv, uint64_t now_us, int final, char *errbuf,
			  size_t errlen);

/* At the end, before the files and the last stats: with a spec, an api_endpoint event
 * "orphan" for each declared operation no call matched (capped; all are in the inventory
 * file). */
void inventory_finish(inventory_t *inv, output_t *out, uint64_t ts_us);
/* The principal of the last annotated call (JWT flags, client address after trusted proxies),
 * valid until the next call; NULL when none could be worked out. */
const principal_t *inventory_last_principal(const inventory_t *inv);

const inventory_counters_t *inventory_counters(inventory_t *inv);
const path_template_counters_t *inventory_template_counters(const inventory_t *inv);
const endpoint_counters_t *inventory_endpoint_counters(const inventory_t *inv);
endpoint_catalog_t *inventory_catalog(inventory_t *inv);

#endif

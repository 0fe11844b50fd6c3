/*
 * l7_classify.c - nDPI glue (see l7_classify.h). The only file that includes nDPI.
 *
 * flow->app_proto holds nDPI's protocol id plus one (0 stays "no decision"), L7_DISSECTOR plus
 * the index of a label a dissector gave, or L7_FAILED when nDPI gave up. Names are nDPI's in
 * lower case, which match Suricata's for the protocols both know (http, tls, dns, ssh, smtp,
 * ...).
 *
 * nDPI starts on the first packet it is given, not with the sensor: the pipeline hands it a TCP
 * segment only after apiwatch's own dissectors have had the chance to claim the flow, so on
 * traffic they recognise (HTTP) nDPI is never consulted and its start-up (about 15 ms of IP
 * lists and automata) is not paid.
 */
#include "l7_classify.h"

#include <ctype.h>
#include <string.h>

#include <ndpi_api.h>

#include "error.h"

#define L7_FAILED 0xFFFF
#define L7_DISSECTOR 0xFF00
#define L7_NAME_CACHE 512
#define L7_MAX_DISSECTOR_LABELS 8
#define L7_NAME_LEN 24

struct l7_ctx {
	struct ndpi_detection_module_struct *ndpi; /* NULL until first needed */
	int ndpi_failed; /* nDPI could not start: flows stay unlabelled */
	mem_account_t *acct;
	uint32_t max_packets;
	l7_counters_t counters;
	/* Lowercase names, built once when nDPI starts: no formatting per event. */
	char names[L7_NAME_CACHE][L7_NAME_LEN];
	uint16_t nnames;
	/* Labels given by dissectors ("http"), ids L7_DISSECTOR + index. */
	char dnames[L7_MAX_DISSECTOR_LABELS][L7_NAME_LEN];
	uint16_t ndnames;
};

int l7_ctx_new(l7_ctx_t **out, mem_account_t *acct, uint32_t max_packets)
{
	l7_ctx_t *ctx;

	*out = NULL;
	ctx = mem_calloc(acct, sizeof(*ctx));
	if (!ctx)
		return AW_ENOMEM;
	ctx->acct = acct;
	ctx->max_packets = max_packets ? max_packets : 1;
	*out = ctx;
	return 0;
}

static void l7_lower(char *dst, const char *src)
{
	size_t j;

	for (j = 0; src && src[j] && j + 1 < L7_NAME_LEN; j++)
		dst[j] = (char)tolower((unsigned char)src[j]);
	dst[j] = '\0';
}

/* Starts nDPI; 0 when it could not (remembered: it is not retried for every packet). */
static int l7_ndpi_start(l7_ctx_t *ctx)
{
	NDPI_PROTOCOL_BITMASK all;
	uint16_t i;

	if (ctx->ndpi)
		return 1;
	if (ctx->ndpi_failed)
		return 0;
	ctx->ndpi = ndpi_init_detection_module(ndpi_dont_load_tor_hosts);
	if (!ctx->ndpi) {
		ctx->ndpi_failed = 1;
		return 0;
	}
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(ctx->ndpi, &all);
	ndpi_finalize_initialization(ctx->ndpi);
	mem_account_charge(ctx->acct, ndpi_get_tot_allocated_memory());
	ctx->nnames = (uint16_t)ndpi_get_num_supported_protocols(ctx->ndpi);
	if (ctx->nnames > L7_NAME_CACHE)
		ctx->nnames = L7_NAME_CACHE;
	for (i = 0; i < ctx->nnames; i++)
		l7_lower(ctx->names[i], ndpi_get_proto_name(ctx->ndpi, i));
	ctx->counters.ndpi_started = 1;
	return 1;
}

void l7_ctx_free(l7_ctx_t *ctx)
{
	if (!ctx)
		return;
	if (ctx->ndpi)
		ndpi_exit_detection_module(ctx->ndpi);
	mem_free(ctx->acct, ctx, sizeof(*ctx));
}

/* The id to keep from nDPI's answer: the master protocol when there is one (HTTP rather than
 * the site it carries), else the application protocol. */
static uint16_t l7_pick(ndpi_protocol proto)
{
	if (proto.master_protocol != NDPI_PROTOCOL_UNKNOWN)
		return proto.master_protocol;
	return proto.app_protocol;
}

static void l7_free_state(l7_ctx_t *ctx, flow_t *f)
{
	struct ndpi_flow_struct *nf = f->l7;

	if (!nf)
		return;
	ndpi_free_flow_data(nf);
	mem_free(ctx->acct, nf, SIZEOF_FLOW_STRUCT);
	f->l7 = NULL;
}

void l7_classify_packet(l7_ctx_t *ctx, flow_t *f, const packet_t *p)
{
	ndpi_protocol proto;
	uint16_t id;

	if (f->flags & FLOW_F_L7_DONE)
		return;
	/* TCP segments without payload (the handshake, bare ACKs) decide nothing: a flow that
	 * carries none stays unlabelled, and nDPI reads payload. Three of every new connection's
	 * first four packets are skipped. */
	if (p->proto == 6 && !p->payload_len)
		return;
	if (!l7_ndpi_start(ctx)) {
		ctx->counters.alloc_fail++;
		f->flags |= FLOW_F_L7_DONE;
		return;
	}
	if (!f->l7) {
		f->l7 = mem_calloc(ctx->acct, SIZEOF_FLOW_STRUCT);
		if (!f->l7) {
			ctx->counters.alloc_fail++;
			f->flags |= FLOW_F_L7_DONE;
			return;
		}
	}
	ctx->counters.packets++;
	proto = ndpi_detection_process_packet(
		ctx->ndpi, f->l7, p->l3, p->l3_len > 0xFFFF ? 0xFFFF : (unsigned short)p->l3_len,
		p->ts_us / 1000);
	id = l7_pick(proto);
	if (p->payload_len)
		f->l7_pkts++;
	if (id != NDPI_PROTOCOL_UNKNOWN) {
		f->app_proto = (uint16_t)(id + 1);
		f->flags |= FLOW_F_L7_DONE;
		ctx->counters.flows_classified++;
		l7_free_state(ctx, f);
	} else if (f->l7_pkts >= ctx->max_packets) {
		l7_classify_release(ctx, f);
	}
}

void l7_classify_release(l7_ctx_t *ctx, flow_t *f)
{
	if (!(f->flags & FLOW_F_L7_DONE) && f->l7) { /* f->l7 exists once nDPI has started */
		uint8_t guessed = 0;
		ndpi_protocol proto = ndpi_detection_giveup(ctx->ndpi, f->l7, 1, &guessed);
		uint16_t id = l7_pick(proto);

		ctx->counters.flows_given_up++;
		if (guessed)
			ctx->counters.flows_guessed++;
		/* A flow that carried payload gets a label; one that carried none stays unlabelled. */
		if (id != NDPI_PROTOCOL_UNKNOWN && f->l7_pkts)
			f->app_proto = (uint16_t)(id + 1);
		else if (f->l7_pkts)
			f->app_proto = L7_FAILED;
	}
	f->flags |= FLOW_F_L7_DONE;
	l7_free_state(ctx, f);
}

const char *l7_proto_name(const l7_ctx_t *ctx, uint16_t app_proto)
{
	if (app_proto == 0)
		return NULL;
	if (app_proto == L7_FAILED)
		return "failed";
	if (app_proto >= L7_DISSECTOR) {
		if (app_proto - L7_DISSECTOR < ctx->ndnames)
			return ctx->dnames[app_proto - L7_DISSECTOR];
		return "failed";
	}
	if ((uint16_t)(app_proto - 1) < ctx->nnames && ctx->names[app_proto - 1][0])
		return ctx->names[app_proto - 1];
	return "failed";
}

void l7_set_proto(l7_ctx_t *ctx, flow_t *f, const char *name)
{
	char low[L7_NAME_LEN];
	uint16_t i;

	l7_lower(low, name);
	for (i = 0; i < ctx->ndnames; i++)
		if (strcmp(ctx->dnames[i], low) == 0)
			break;
	if (i == ctx->ndnames) {
		if (ctx->ndnames == L7_MAX_DISSECTOR_LABELS)
			return;
		memcpy(ctx->dnames[ctx->ndnames++], low, sizeof(low));
	}
	f->app_proto = (uint16_t)(L7_DISSECTOR + i);
	if (!(f->flags & FLOW_F_L7_DONE)) {
		ctx->counters.flows_dissector++;
		f->flags |= FLOW_F_L7_DONE;
		l7_free_state(ctx, f);
	}
}

const l7_counters_t *l7_counters(const l7_ctx_t *ctx)
{
	return &ctx->counters;
}

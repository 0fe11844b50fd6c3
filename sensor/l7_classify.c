/*
 * l7_classify.c - nDPI glue (see l7_classify.h). The only file that includes nDPI.
 *
 * flow->app_proto holds nDPI's protocol id plus one (0 stays "no decision"), or L7_FAILED when
 * nDPI gave up. Names are nDPI's in lower case, which match Suricata's for the protocols both
 * know (http, tls, dns, ssh, smtp, ...).
 */
#include "l7_classify.h"

#include <ctype.h>
#include <string.h>

#include <ndpi_api.h>

#include "error.h"

#define L7_FAILED 0xFFFF
#define L7_NAME_CACHE 512
#define L7_MAX_DISSECTOR_LABELS 8

struct l7_ctx {
	struct ndpi_detection_module_struct *ndpi;
	mem_account_t *acct;
	uint32_t max_packets;
	l7_counters_t counters;
	/* Lowercase names, built once at start-up: no formatting per event. */
	char names[L7_NAME_CACHE][24];
	uint16_t nnames;
};

int l7_ctx_new(l7_ctx_t **out, mem_account_t *acct, uint32_t max_packets)
{
	NDPI_PROTOCOL_BITMASK all;
	l7_ctx_t *ctx;
	uint16_t i;

	*out = NULL;
	ctx = mem_calloc(acct, sizeof(*ctx));
	if (!ctx)
		return AW_ENOMEM;
	ctx->acct = acct;
	ctx->max_packets = max_packets ? max_packets : 1;
	ctx->ndpi = ndpi_init_detection_module(ndpi_dont_load_tor_hosts);
	if (!ctx->ndpi) {
		mem_free(acct, ctx, sizeof(*ctx));
		return AW_ENOMEM;
	}
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(ctx->ndpi, &all);
	ndpi_finalize_initialization(ctx->ndpi);
	mem_account_charge(acct, ndpi_get_tot_allocated_memory());
	ctx->nnames = (uint16_t)ndpi_get_num_supported_protocols(ctx->ndpi);
	if (ctx->nnames > L7_NAME_CACHE)
		ctx->nnames = L7_NAME_CACHE;
	for (i = 0; i < ctx->nnames; i++) {
		const char *n = ndpi_get_proto_name(ctx->ndpi, i);
		size_t j;

		for (j = 0; n && n[j] && j + 1 < sizeof(ctx->names[i]); j++)
			ctx->names[i][j] = (char)tolower((unsigned char)n[j]);
		ctx->names[i][j] = '\0';
	}
	*out = ctx;
	return 0;
}

void l7_ctx_free(l7_ctx_t *ctx)
{
	if (!ctx)
		return;
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
	if (!(f->flags & FLOW_F_L7_DONE) && f->l7) {
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
	if ((uint16_t)(app_proto - 1) < ctx->nnames && ctx->names[app_proto - 1][0])
		return ctx->names[app_proto - 1];
	return "failed";
}

void l7_set_proto(l7_ctx_t *ctx, flow_t *f, const char *name)
{
	uint16_t i;

	for (i = 0; i < ctx->nnames; i++) {
		if (strcmp(ctx->names[i], name) == 0) {
			f->app_proto = (uint16_t)(i + 1);
			return;
		}
	}
}

const l7_counters_t *l7_counters(const l7_ctx_t *ctx)
{
	return &ctx->counters;
}

/*
 * decode.c - the decoder's entry points: configuration, context, dispatch by link type,
 * counters and event names.
 *
 * Fed by capture with one packet_t at a time; the link-layer stages (decode_ether.c) and raw IP
 * start from here, and whatever they return is what the pipeline gets. Everything a packet
 * fills in is reset here first, so a stage only writes what it found. This file does not parse
 * headers itself apart from the version nibble of raw IP.
 */
#include "decode.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "decode_private.h"
#include "error.h"

/* The link types of libpcap (DLT_*) and of the pcap file format (LINKTYPE_*) we decode. */
#define DECODE_DLT_NULL 0
#define DECODE_DLT_EN10MB 1
#define DECODE_DLT_RAW 12
#define DECODE_LINKTYPE_RAW 101
#define DECODE_DLT_C_HDLC 104
#define DECODE_DLT_LOOP 108
#define DECODE_DLT_LINUX_SLL 113
#define DECODE_DLT_IPV4 228
#define DECODE_DLT_IPV6 229
#define DECODE_DLT_NFLOG 239
#define DECODE_DLT_LINUX_SLL2 276

/* decode_packet() clears everything from ip_version on: the capture fields must come first. */
_Static_assert(offsetof(packet_t, ip_version) > offsetof(packet_t, pcap_cnt),
	       "packet_t: decode fields must follow the capture fields");

static const char *const decode_event_layers[DECODE_EV__COUNT] = {
#define DECODE_EVENT_LAYER(sym, layer, name) [DECODE_EV_##sym] = #layer,
	DECODE_EVENT_MAP(DECODE_EVENT_LAYER)
#undef DECODE_EVENT_LAYER
};

static const char *const decode_event_names[DECODE_EV__COUNT] = {
#define DECODE_EVENT_NAME(sym, layer, name) [DECODE_EV_##sym] = #name,
	DECODE_EVENT_MAP(DECODE_EVENT_NAME)
#undef DECODE_EVENT_NAME
};

static const char *const decode_api_event_layers[DECODE_API_EV__COUNT] = {
#define DECODE_API_EVENT_LAYER(sym, layer, name) [DECODE_API_EV_##sym] = #layer,
	DECODE_API_EVENT_MAP(DECODE_API_EVENT_LAYER)
#undef DECODE_API_EVENT_LAYER
};

static const char *const decode_api_event_names[DECODE_API_EV__COUNT] = {
#define DECODE_API_EVENT_NAME(sym, layer, name) [DECODE_API_EV_##sym] = #name,
	DECODE_API_EVENT_MAP(DECODE_API_EVENT_NAME)
#undef DECODE_API_EVENT_NAME
};

void decode_config_default(decode_config_t *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->validate_checksums = 0;
	cfg->defrag_memcap = 32u << 20;
	cfg->defrag_max_trackers = 4096;
	cfg->defrag_max_frags = 256;
	cfg->defrag_timeout_us = 60u * 1000 * 1000;
	cfg->vxlan_port = 4789;
	cfg->geneve_port = 6081;
	cfg->gtp_port = 2152;
	cfg->gre_udp_port = 4754;
}

int decode_ctx_new(decode_ctx_t **out, const decode_config_t *cfg, mem_account_t *acct)
{
	decode_ctx_t *ctx;
	int rc;

	*out = NULL;
	ctx = mem_calloc(acct, sizeof(*ctx));
	if (!ctx)
		return AW_ENOMEM;
	ctx->cfg = *cfg;
	ctx->acct = acct;
	rc = defrag__new(&ctx->defrag, &ctx->cfg, acct, &ctx->cnt, &ctx->defrag_cnt);
	if (rc < 0) {
		mem_free(acct, ctx, sizeof(*ctx));
		return rc;
	}
	*out = ctx;
	return 0;
}

void decode_ctx_free(decode_ctx_t *ctx)
{
	if (!ctx)
		return;
	defrag__free(ctx->defrag);
	mem_free(ctx->acct, ctx, sizeof(*ctx));
}

/* Raw IP: the version nibble says which. */
static int decode_raw(decode_ctx_t *ctx, packet_t *p, const uint8_t *d, uint32_t len)
{
	ctx->cnt.raw++;
	if (len < 1)
		return decode__event(ctx, DECODE_EV_RAW_INVALID_IP_VERSION);
	switch (d[0] >> 4) {
	case 4:
		return decode__ipv4(ctx, p, d, len);
	case 6:
		return decode__ipv6(ctx, p, d, len);
	default:
		return decode__event(ctx, DECODE_EV_RAW_INVALID_IP_VERSION);
	}
}

static int decode_link(decode_ctx_t *ctx, packet_t *p, const uint8_t *d, uint32_t len)
{
	switch (p->linktype) {
	case DECODE_DLT_EN10MB:
		p->eth = len >= 14 ? d : NULL; /* the outer header; inner frames do not set it */
		return decode__ether(ctx, p, d, len);
	case DECODE_DLT_LINUX_SLL:
		return decode__sll(ctx, p, d, len);
	case DECODE_DLT_LINUX_SLL2:
		return decode__sll2(ctx, p, d, len);
	case DECODE_DLT_RAW:
	case DECODE_LINKTYPE_RAW:
		return decode_raw(ctx, p, d, len);
	case DECODE_DLT_IPV4:
		ctx->cnt.raw++;
		return decode__ipv4(ctx, p, d, len);
	case DECODE_DLT_IPV6:
		ctx->cnt.raw++;
		return decode__ipv6(ctx, p, d, len);
	case DECODE_DLT_NULL:
	case DECODE_DLT_LOOP:
		return decode__null(ctx, p, d, len);
	case DECODE_DLT_C_HDLC:
		return decode__chdlc(ctx, p, d, len);
	case DECODE_DLT_NFLOG:
		return decode__nflog(ctx, p, d, len);
	default:
		ctx->cnt.unsupported_linktype++;
		return DECODE_DROP;
	}
}

int decode_packet(decode_ctx_t *ctx, packet_t *p)
{
	int r;

	memset(&p->ip_version, 0, sizeof(*p) - offsetof(packet_t, ip_version));
	ctx->cnt.pkts++;
	ctx->cnt.bytes += p->caplen;
	ctx->layers = 0;
	ctx->reassemblies = 0;
	r = p->data ? decode_link(ctx, p, p->data, p->caplen) : DECODE_DROP;
	if (r == DECODE_DROP)
		ctx->cnt.invalid++;
	return r;
}

void decode_tick(decode_ctx_t *ctx, uint64_t now_us)
{
	defrag__tick(ctx->defrag, now_us);
}

const decode_counters_t *decode_counters(const decode_ctx_t *ctx)
{
	return &ctx->cnt;
}

const defrag_counters_t *decode_defrag_counters(const decode_ctx_t *ctx)
{
	return &ctx->defrag_cnt;
}

const char *decode_event_layer(enum decode_event ev)
{
	return (unsigned)ev < DECODE_EV__COUNT ? decode_event_layers[ev] : "unknown";
}

const char *decode_event_name(enum decode_event ev)
{
	return (unsigned)ev < DECODE_EV__COUNT ? decode_event_names[ev] : "unknown";
}

const char *decode_api_event_layer(enum decode_api_event ev)
{
	return (unsigned)ev < DECODE_API_EV__COUNT ? decode_api_event_layers[ev] : "unknown";
}

const char *decode_api_event_name(enum decode_api_event ev)
{
	return (unsigned)ev < DECODE_API_EV__COUNT ? decode_api_event_names[ev] : "unknown";
}

/* ------------------------------------------------------------------ checksums */

uint64_t decode__csum_add(uint64_t sum, const uint8_t *d, uint32_t len)
{
	uint32_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(d[i] << 8 | d[i + 1]);
	/* An odd last byte is padded with a zero byte on the right (RFC 1071). */
	if (len & 1)
		sum += (uint32_t)d[len - 1] << 8;
	return sum;
}

uint16_t decode__csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

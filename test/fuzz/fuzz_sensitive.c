/*
 * fuzz_sensitive.c - libFuzzer target for the sensitive-data scanners (sensitive.c) and the
 * principal of a request (principal.c), with their base64, flat JSON and JWT readers.
 *
 * Input: byte 0 sets the run (bits 0-1: the source the rest is scanned as, json / text /
 * query / header; bit 2: tiny caps, 3 findings, 10 path bytes, depth 4). The rest is scanned
 * whole, then read again as a request, one item a line: "Name: value" a header (each also
 * scanned as a header), "?..." the query string, "@..." the client address (10.0.0.1, a
 * trusted proxy, when none parses). Invariants of both results are checked after each call:
 * caps kept, strings terminated, counts consistent.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "principal.h"
#include "sensitive.h"

#define FUZZ_MAX_HEADERS 16

static void fuzz_check_report(const sensitive_config_t *cfg, const sensitive_report_t *r)
{
	uint32_t i, per[SENSITIVE__COUNT] = {0};

	if (r->nfindings > cfg->max_findings)
		abort();
	for (i = 0; i < r->nfindings; i++) {
		const sensitive_finding_t *f = &r->findings[i];

		if (f->type >= SENSITIVE__COUNT || f->count == 0 || f->path_len > cfg->max_path ||
		    strlen(f->path) != f->path_len || !(r->types & (1u << f->type)))
			abort();
		per[f->type] += f->count;
	}
	for (i = 0; i < SENSITIVE__COUNT; i++)
		if (per[i] > r->counts[i] || (!!r->counts[i] != !!(r->types & (1u << i))))
			abort();
}

static void fuzz_check_principal(const principal_t *p)
{
	size_t len = strnlen(p->id, sizeof(p->id));
	unsigned i;

	if (len == sizeof(p->id) || p->kind > PRINCIPAL_IP || p->auth >= PRINCIPAL_AUTH__COUNT)
		abort();
	if ((p->kind == PRINCIPAL_NONE) != (len == 0))
		abort();
	if (p->kind != PRINCIPAL_NONE && p->kind != PRINCIPAL_IP &&
	    len != strlen(principal_kind_name(p->kind)) + 3 + 16)
		abort();
	if (p->ip_version != 0 && p->ip_version != 4 && p->ip_version != 6)
		abort();
	if (p->nclaims > PRINCIPAL_MAX_CLAIMS ||
	    strnlen(p->jwt_alg, sizeof(p->jwt_alg)) == sizeof(p->jwt_alg))
		abort();
	for (i = 0; i < p->nclaims; i++)
		if (strnlen(p->claims[i], PRINCIPAL_CLAIM_LEN) == PRINCIPAL_CLAIM_LEN)
			abort();
}

static const principal_config_t *fuzz_principal_config(void)
{
	static principal_config_t cfg;
	static int ready;
	int i;

	if (!ready) {
		principal_config_default(&cfg);
		for (i = 0; i < SIPHASH_KEY_LEN; i++)
			cfg.hash_key[i] = (uint8_t)(i * 7 + 1);
		if (principal_config_set_trusted(&cfg, "10.0.0.0/8,fd00::/8,192.168.0.0/16") < 0)
			abort();
		ready = 1;
	}
	return &cfg;
}

/* Reads the payload as a request and works out its principal. */
static void fuzz_request(const sensitive_config_t *scfg, const char *p, size_t n)
{
	api_header_t hdrs[FUZZ_MAX_HEADERS];
	sensitive_report_t rep;
	principal_t out;
	net_addr_t client;
	const char *query = NULL;
	size_t nh = 0, qlen = 0, i = 0;
	int ver = 4;

	memset(&client, 0, sizeof(client));
	client.b[0] = 10;
	client.b[3] = 1;
	sensitive_report_reset(&rep);
	while (i < n) {
		const char *nl = memchr(p + i, '\n', n - i), *line = p + i, *colon;
		size_t e = nl ? (size_t)(nl - p) : n, len = e - i;

		i = e + 1;
		if (len > 0 && line[0] == '?') {
			query = line + 1;
			qlen = len - 1;
		} else if (len > 0 && line[0] == '@') {
			net_addr_t a;
			int v = principal_addr_parse(&a, line + 1, len - 1);

			if (v) {
				client = a;
				ver = v;
			}
		} else if ((colon = memchr(line, ':', len)) != NULL && nh < FUZZ_MAX_HEADERS) {
			size_t nlen = (size_t)(colon - line);

			hdrs[nh].name.ptr = line;
			hdrs[nh].name.len = nlen;
			hdrs[nh].value.ptr = colon + 1;
			hdrs[nh].value.len = len - nlen - 1;
			sensitive_scan_header(scfg, &rep, line, nlen, colon + 1, len - nlen - 1);
			nh++;
		}
	}
	fuzz_check_report(scfg, &rep);
	if (principal_from_request(fuzz_principal_config(), &out, hdrs, nh, query, qlen, &client,
				   ver) != 0)
		abort();
	fuzz_check_principal(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sensitive_config_t cfg;
	sensitive_report_t rep;
	const char *p = (const char *)data + 1;
	size_t n, off = 0;
	aw_slice_t k, v;
	int kind;

	if (size < 1)
		return 0;
	n = size - 1;
	sensitive_config_default(&cfg);
	if (data[0] & 4) {
		cfg.max_findings = 3;
		cfg.max_path = 10;
		cfg.max_depth = 4;
	}
	sensitive_report_reset(&rep);
	sensitive_scan(&cfg, &rep, (enum sensitive_source)(data[0] & 3), p, n);
	fuzz_check_report(&cfg, &rep);
	fuzz_request(&cfg, p, n);
	/* The flat object reader on its own: every member lies inside the input. */
	while (sensitive__json_member(p, n, &off, &k, &v, &kind) > 0)
		if (off > n || k.ptr < p || k.ptr + k.len > p + n || v.ptr < p ||
		    v.ptr + v.len > p + n)
			abort();
	return 0;
}

/*
 * baseline_file.c - the learned picture saved to a file and loaded back (--baseline-save,
 * --baseline-load), so that a baseline learned on one capture can be tested on another.
 *
 * Format (docs/baselines.md), little-endian, version 2 (1 had no record histogram and no
 * object counts; such a file is refused by its version):
 *   header  "AWBASELN", u32 version, u32 fields per endpoint profile, u32 fields per principal
 *           profile, u32 lists, u32 list capacity, u32 endpoints, u32 principals, u32 zero,
 *           u64 key check (SipHash of a fixed text under privacy.hash-key: keys learned under
 *           another key would never match, so such a file is refused)
 *   endpoint  u64 key, u64 first_us, u64 last_us, u64 fields[...] (enum bl_field order: the
 *             named counters, then the size, latency, sensitive-type and record-count
 *             histograms), per list: u32 n then n x (u64 hash, u64 count)
 *   principal u64 endpoint key, u64 key, u64 first_us, u64 last_us, u64 fields[...]
 *   trailer u64 SipHash of every byte before it under a fixed key (corruption check)
 * Loading checks the trailer, then every count against the format's bounds and the file's
 * length, and refuses the file with a one-line reason; nothing is half-loaded into a running
 * store because loading happens before the first packet.
 */
#include "baseline_private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "siphash.h"

#define BL_FILE_MAGIC "AWBASELN"
#define BL_FILE_VERSION 2
#define BL_FILE_HEADER 48
#define BL_FILE_MAX (1ull << 32)

static const uint8_t bl_file_sum_key[SIPHASH_KEY_LEN] = "apiwatch-bl-file";

static uint64_t bl_file_key_check(const baseline_t *b)
{
	static const char text[] = "apiwatch baseline key check";

	return siphash24(b->cfg.hash_key, text, sizeof(text) - 1);
}

/* ------------------------------------------------------------------------------------------ */
/* Writing */

typedef struct bl_writer {
	FILE *fp;
	uint8_t buf[8192];
	size_t len;
	uint8_t *all; /* every byte written, for the trailer: summed at the end */
	size_t all_len, all_cap;
	int err;
	mem_account_t *acct;
} bl_writer_t;

static void bl_put(bl_writer_t *w, const void *p, size_t n)
{
	if (w->all_len + n > w->all_cap) {
		size_t cap = w->all_cap ? w->all_cap * 2 : 1u << 16;
		uint8_t *nb;

		while (cap < w->all_len + n)
			cap *= 2;
		nb = mem_realloc(w->acct, w->all, w->all_cap, cap);
		if (!nb) {
			w->err = AW_ENOMEM;
			return;
		}
		w->all = nb;
		w->all_cap = cap;
	}
	memcpy(w->all + w->all_len, p, n);
	w->all_len += n;
}

static void bl_put_u32(bl_writer_t *w, uint32_t v)
{
	uint8_t b[4];
	int i;

	for (i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	bl_put(w, b, 4);
}

static void bl_put_u64(bl_writer_t *w, uint64_t v)
{
	uint8_t b[8];
	int i;

	for (i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	bl_put(w, b, 8);
}

static void bl_put_profile(bl_writer_t *w, const bl_profile_t *p)
{
	unsigned i, l;

	bl_put_u64(w, p->first_us);
	bl_put_u64(w, p->last_us);
	for (i = 0; i < BL_F__COUNT; i++)
		bl_put_u64(w, p->f[i]);
	for (l = 0; l < BL_L__COUNT; l++) {
		bl_put_u32(w, p->n[l]);
		for (i = 0; i < p->n[l]; i++) {
			bl_put_u64(w, p->item[l][i].hash);
			bl_put_u64(w, p->item[l][i].count);
		}
	}
}

static const bl_pprofile_t *bl_pr_effective(const bl_principal_t *p, bl_pprofile_t *tmp)
{
	if (!p->has_remote)
		return &p->learned;
	*tmp = p->remote;
	bl_pprofile_add(tmp, &p->inflight);
	return tmp;
}

static void bl_write_records(baseline_t *b, bl_writer_t *w, uint32_t ne, uint32_t np)
{
	uint32_t i, k;

	bl_put(w, BL_FILE_MAGIC, 8);
	bl_put_u32(w, BL_FILE_VERSION);
	bl_put_u32(w, BL_F__COUNT);
	bl_put_u32(w, BL_F__PRINCIPAL);
	bl_put_u32(w, BL_L__COUNT);
	bl_put_u32(w, BL_TOP_MAX);
	bl_put_u32(w, ne);
	bl_put_u32(w, np);
	bl_put_u32(w, 0);
	bl_put_u64(w, bl_file_key_check(b));
	for (i = 0; i < b->ep_used; i++) {
		bl_profile_t tmp;

		if (!b->ep[i].used)
			continue;
		bl_put_u64(w, b->ep[i].key);
		bl_put_profile(w, bl_ep_effective(&b->ep[i], &tmp));
	}
	for (i = 0; i < b->pr_used; i++) {
		const bl_pprofile_t *p;
		bl_pprofile_t tmp;

		if (!b->pr[i].used)
			continue;
		p = bl_pr_effective(&b->pr[i], &tmp);
		bl_put_u64(w, b->pr[i].ep_key);
		bl_put_u64(w, b->pr[i].key);
		bl_put_u64(w, p->first_us);
		bl_put_u64(w, p->last_us);
		for (k = 0; k < BL_F__PRINCIPAL; k++)
			bl_put_u64(w, p->f[k]);
	}
}

int baseline_save(baseline_t *b, const char *path, char *errbuf, size_t errlen)
{
	bl_writer_t w;
	uint32_t i, ne = 0, np = 0;
	char tmp_path[4096];
	int rc = 0;

	memset(&w, 0, sizeof(w));
	w.acct = b->acct;
	for (i = 0; i < b->ep_used; i++)
		ne += b->ep[i].used;
	for (i = 0; i < b->pr_used; i++)
		np += b->pr[i].used;
	bl_write_records(b, &w, ne, np);
	if (!w.err)
		bl_put_u64(&w, siphash24(bl_file_sum_key, w.all, w.all_len));
	if (w.err) {
		snprintf(errbuf, errlen, "cannot save the baselines: %s", error_str(w.err));
		rc = w.err;
		goto out;
	}
	/* Written aside and renamed: an interrupted save never leaves half a file. */
	snprintf(tmp_path, sizeof(tmp_path), "%s.tmp", path);
	w.fp = fopen(tmp_path, "wb");
	if (!w.fp || fwrite(w.all, 1, w.all_len, w.fp) != w.all_len || fclose(w.fp) != 0 ||
	    rename(tmp_path, path) != 0) {
		snprintf(errbuf, errlen, "cannot write baseline file %s: %s", path,
			 strerror(errno));
		if (w.fp)
			remove(tmp_path);
		rc = AW_EIO;
	}
out:
	if (w.all)
		mem_free(b->acct, w.all, w.all_cap);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Reading */

typedef struct bl_reader {
	const uint8_t *p;
	size_t len, off;
	int short_read;
} bl_reader_t;

static uint64_t bl_get(bl_reader_t *r, int n)
{
	uint64_t v = 0;
	int i;

	if (r->len - r->off < (size_t)n) {
		r->short_read = 1;
		r->off = r->len;
		return 0;
	}
	for (i = 0; i < n; i++)
		v |= (uint64_t)r->p[r->off + (size_t)i] << (8 * i);
	r->off += (size_t)n;
	return v;
}

static int bl_get_profile(bl_reader_t *r, bl_profile_t *p)
{
	unsigned i, l;

	memset(p, 0, sizeof(*p));
	p->first_us = bl_get(r, 8);
	p->last_us = bl_get(r, 8);
	for (i = 0; i < BL_F__COUNT; i++)
		p->f[i] = bl_get(r, 8);
	for (l = 0; l < BL_L__COUNT; l++) {
		uint32_t n = (uint32_t)bl_get(r, 4);

		if (n > bl_list_cap[l])
			return -1;
		for (i = 0; i < n; i++) {
			p->item[l][i].hash = bl_get(r, 8);
			p->item[l][i].count = bl_get(r, 8);
		}
		p->n[l] = n;
	}
	return r->short_read ? -1 : 0;
}

static int bl_load_header(baseline_t *b, bl_reader_t *r, const char *path, uint32_t *ne,
			  uint32_t *np, char *errbuf, size_t errlen)
{
	uint32_t version, nf, npf, nl, top;

	if (r->len < BL_FILE_HEADER + 8 || memcmp(r->p, BL_FILE_MAGIC, 8) != 0) {
		snprintf(errbuf, errlen, "baseline file %s: not an apiwatch baseline file", path);
		return AW_EFORMAT;
	}
	r->off = 8;
	version = (uint32_t)bl_get(r, 4);
	if (version != BL_FILE_VERSION) {
		snprintf(errbuf, errlen,
			 "baseline file %s: format version %u, this apiwatch reads version %u",
			 path, version, BL_FILE_VERSION);
		return AW_EFORMAT;
	}
	if (siphash24(bl_file_sum_key, r->p, r->len - 8) != (r->off = r->len - 8, bl_get(r, 8))) {
		snprintf(errbuf, errlen, "baseline file %s: corrupt (checksum mismatch)", path);
		return AW_EMALFORMED;
	}
	r->off = 12;
	nf = (uint32_t)bl_get(r, 4);
	npf = (uint32_t)bl_get(r, 4);
	nl = (uint32_t)bl_get(r, 4);
	top = (uint32_t)bl_get(r, 4);
	*ne = (uint32_t)bl_get(r, 4);
	*np = (uint32_t)bl_get(r, 4);
	bl_get(r, 4);
	if (nf != BL_F__COUNT || npf != BL_F__PRINCIPAL || nl != BL_L__COUNT || top != BL_TOP_MAX) {
		snprintf(errbuf, errlen,
			 "baseline file %s: profile layout differs from this build's", path);
		return AW_EFORMAT;
	}
	if (bl_get(r, 8) != bl_file_key_check(b)) {
		snprintf(errbuf, errlen,
			 "baseline file %s: learned under another privacy.hash-key; its endpoint "
			 "and principal keys cannot match",
			 path);
		return AW_ECONFIG;
	}
	if (*ne > b->cfg.max_endpoints || *np > b->cfg.max_principals) {
		snprintf(errbuf, errlen,
			 "baseline file %s: %u endpoints and %u principals, more than "
			 "baseline.max-endpoints (%u) or baseline.max-principals (%u)",
			 path, *ne, *np, b->cfg.max_endpoints, b->cfg.max_principals);
		return AW_ELIMIT;
	}
	return 0;
}

static int bl_load_records(baseline_t *b, bl_reader_t *r, uint32_t ne, uint32_t np)
{
	uint32_t i, k, idx;

	r->len -= 8; /* the trailer */
	for (i = 0; i < ne; i++) {
		uint64_t key = bl_get(r, 8);
		bl_endpoint_t *e;
		bl_profile_t p;

		if (bl_get_profile(r, &p) < 0 || bl_ep_find(b, key, NULL) ||
		    !(e = bl_ep_get(b, key, &idx)))
			return -1;
		e->learned = p;
		b->counters.loaded_endpoints++;
	}
	for (i = 0; i < np; i++) {
		uint64_t ek = bl_get(r, 8), key = bl_get(r, 8);
		bl_endpoint_t *e = bl_ep_find(b, ek, &idx);
		bl_principal_t *p;
		bl_pprofile_t pp;

		pp.first_us = bl_get(r, 8);
		pp.last_us = bl_get(r, 8);
		for (k = 0; k < BL_F__PRINCIPAL; k++)
			pp.f[k] = bl_get(r, 8);
		if (r->short_read || !e || bl_pr_find(b, ek, key, NULL) ||
		    !(p = bl_pr_get(b, ek, idx, key, &k)))
			return -1;
		p->learned = pp;
		b->counters.loaded_principals++;
	}
	return r->short_read || r->off != r->len ? -1 : 0;
}

int bl_file_load(baseline_t *b, const char *path, char *errbuf, size_t errlen)
{
	FILE *fp = fopen(path, "rb");
	bl_reader_t r;
	uint8_t *buf = NULL;
	uint32_t ne, np;
	long size;
	int rc;

	if (!fp) {
		snprintf(errbuf, errlen, "baseline file %s: %s", path, strerror(errno));
		return AW_ENOENT;
	}
	if (fseek(fp, 0, SEEK_END) != 0 || (size = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0 ||
	    (uint64_t)size > BL_FILE_MAX) {
		fclose(fp);
		snprintf(errbuf, errlen, "baseline file %s: cannot read it (or larger than 4 GiB)",
			 path);
		return AW_EIO;
	}
	buf = mem_alloc(b->acct, (size_t)size + 1);
	if (!buf || fread(buf, 1, (size_t)size, fp) != (size_t)size) {
		fclose(fp);
		if (buf)
			mem_free(b->acct, buf, (size_t)size + 1);
		snprintf(errbuf, errlen, "baseline file %s: cannot read it", path);
		return buf ? AW_EIO : AW_ENOMEM;
	}
	fclose(fp);
	memset(&r, 0, sizeof(r));
	r.p = buf;
	r.len = (size_t)size;
	rc = bl_load_header(b, &r, path, &ne, &np, errbuf, errlen);
	if (rc == 0 && bl_load_records(b, &r, ne, np) < 0) {
		snprintf(errbuf, errlen, "baseline file %s: corrupt (bad record counts or lengths)",
			 path);
		rc = AW_EMALFORMED;
	}
	mem_free(b->acct, buf, (size_t)size + 1);
	return rc;
}

/*
 * defrag.c - IPv4 and IPv6 fragment reassembly (see defrag_private.h for the contract).
 *
 * Fed by decode_ipv4.c / decode_ipv6.c with validated fragments; hands a completed datagram
 * back to them. Data is kept at the 8-byte granularity of fragment offsets: a tracker holds up
 * to 32 pages of 2 KiB, each with one "covered" bit per 8-byte block, so that the first data
 * to arrive for a block wins (later overlaps are counted, never written) and completion is a
 * count of covered blocks. Non-last IPv4 fragments are cut down to a multiple of 8 bytes, as
 * Linux does; such IPv6 fragments are invalid (RFC 8200).
 *
 * Policies when a limit is hit: no tracker left (max_trackers) -> the fragment is ignored;
 * too many fragments, fragment memory cap, or an inconsistent datagram -> the tracker is
 * killed: its memory is released and its remaining fragments are ignored until it times out,
 * so an attacker cannot recreate it. Every case is counted. It does not validate checksums.
 */
#include "defrag_private.h"

#include <string.h>

#include "decode_private.h"
#include "error.h"
#include "siphash.h"

#define DEFRAG_BLOCK 8
#define DEFRAG_PAGE_SHIFT 11
#define DEFRAG_PAGE_SIZE (1u << DEFRAG_PAGE_SHIFT)
#define DEFRAG_PAGE_BLOCKS (DEFRAG_PAGE_SIZE / DEFRAG_BLOCK)
#define DEFRAG_MAX_DGRAM 65535u
#define DEFRAG_PAGES ((DEFRAG_MAX_DGRAM + DEFRAG_PAGE_SIZE - 1) / DEFRAG_PAGE_SIZE)
#define DEFRAG_IPV6_HLEN 40u
#define DEFRAG_OUT_SIZE (DEFRAG_MAX_DGRAM + DEFRAG_IPV6_HLEN)
#define DEFRAG_SLAB_TRACKERS 64u
#define DEFRAG_SPARE_PAGES 64u /* free pages kept for reuse; more go back to the system */

typedef struct defrag_page {
	struct defrag_page *next; /* spare list */
	uint64_t covered[DEFRAG_PAGE_BLOCKS / 64];
	uint8_t data[DEFRAG_PAGE_SIZE];
} defrag_page_t;

/* What makes two fragments parts of one datagram; hashed and compared as bytes. */
typedef struct defrag_key {
	uint8_t src[16], dst[16];
	uint32_t id;
	uint32_t tunnel_id;
	uint16_t vlan[PACKET_MAX_VLAN];
	uint8_t version, proto, vlan_count, tunnel_type, tunnel_depth, pad;
} defrag_key_t;

typedef struct defrag_tracker {
	defrag_key_t key;
	uint64_t hash;
	uint64_t created_us;
	struct defrag_tracker *hnext; /* bucket chain */
	struct defrag_tracker *prev, *next; /* age list, oldest first; next links the free list */
	defrag_page_t *pages[DEFRAG_PAGES];
	defrag_page_t *hdr; /* IPv4 header, or IPv6 unfragmentable part, of the first fragment */
	uint32_t hdr_len;
	uint32_t total; /* payload bytes, known once the last fragment arrived */
	uint32_t max_end; /* highest payload byte seen so far, + 1 */
	uint32_t blocks; /* 8-byte blocks covered */
	uint32_t nfrags;
	uint32_t nh_off; /* IPv6: the byte to rewrite with nh */
	uint8_t nh;
	uint8_t have_last;
	uint8_t dead;
} defrag_tracker_t;

typedef struct defrag_slab {
	struct defrag_slab *next;
	uint32_t n;
	defrag_tracker_t t[];
} defrag_slab_t;

struct defrag {
	mem_account_t *acct;
	decode_counters_t *dc;
	defrag_counters_t *fc;
	uint64_t memcap;
	uint64_t timeout_us;
	uint32_t max_trackers, max_frags;
	uint8_t hash_key[SIPHASH_KEY_LEN];
	defrag_tracker_t **buckets;
	uint32_t mask;
	uint32_t ntrackers; /* trackers allocated in slabs */
	defrag_tracker_t *free_trackers;
	defrag_tracker_t *oldest, *newest;
	defrag_slab_t *slabs;
	defrag_page_t *spare;
	uint32_t nspare;
	uint64_t page_bytes; /* pages allocated, in use or spare: what the memcap bounds */
	uint8_t *out; /* the reassembled datagram; allocated up front, so that a completed
		       * datagram never fails for want of memory */
};

/* One fragment, as parsed by the IPv4 or IPv6 front end. */
typedef struct defrag_frag {
	defrag_key_t key;
	const uint8_t *data; /* fragment payload */
	uint32_t off, len; /* its place in the datagram's payload */
	int more;
	const uint8_t *hdr; /* the header to keep if this is the first fragment */
	uint32_t hdr_len;
	uint32_t nh_off;
	uint8_t nh;
	int v6;
} defrag_frag_t;

/* ------------------------------------------------------------------ pages */

static defrag_page_t *defrag_page_get(defrag_t *d)
{
	defrag_page_t *pg = d->spare;

	if (pg) {
		d->spare = pg->next;
		d->nspare--;
	} else {
		if (d->page_bytes + sizeof(*pg) > d->memcap)
			return NULL;
		pg = mem_alloc(d->acct, sizeof(*pg));
		if (!pg)
			return NULL;
		d->page_bytes += sizeof(*pg);
	}
	pg->next = NULL;
	memset(pg->covered, 0, sizeof(pg->covered));
	return pg;
}

static void defrag_page_put(defrag_t *d, defrag_page_t *pg)
{
	if (!pg)
		return;
	if (d->nspare < DEFRAG_SPARE_PAGES) {
		pg->next = d->spare;
		d->spare = pg;
		d->nspare++;
		return;
	}
	mem_free(d->acct, pg, sizeof(*pg));
	d->page_bytes -= sizeof(*pg);
}

static void defrag_release_pages(defrag_t *d, defrag_tracker_t *t)
{
	uint32_t i;

	for (i = 0; i < DEFRAG_PAGES; i++) {
		defrag_page_put(d, t->pages[i]);
		t->pages[i] = NULL;
	}
	defrag_page_put(d, t->hdr);
	t->hdr = NULL;
}

/* ------------------------------------------------------------------ trackers */

static int defrag_slab_grow(defrag_t *d)
{
	uint32_t n = d->max_trackers - d->ntrackers, i;
	defrag_slab_t *s;

	if (n > DEFRAG_SLAB_TRACKERS)
		n = DEFRAG_SLAB_TRACKERS;
	if (n == 0)
		return -1;
	s = mem_alloc(d->acct, sizeof(*s) + (size_t)n * sizeof(defrag_tracker_t));
	if (!s)
		return -1;
	s->n = n;
	s->next = d->slabs;
	d->slabs = s;
	for (i = 0; i < n; i++) {
		s->t[i].next = d->free_trackers;
		d->free_trackers = &s->t[i];
	}
	d->ntrackers += n;
	return 0;
}

static defrag_tracker_t *defrag_tracker_new(defrag_t *d, const defrag_key_t *k, uint64_t hash,
					    uint64_t now_us)
{
	defrag_tracker_t *t;
	uint32_t b = (uint32_t)hash & d->mask;

	if (!d->free_trackers && defrag_slab_grow(d) < 0)
		return NULL;
	t = d->free_trackers;
	d->free_trackers = t->next;
	memset(t, 0, sizeof(*t));
	t->key = *k;
	t->hash = hash;
	t->created_us = now_us;
	t->hnext = d->buckets[b];
	d->buckets[b] = t;
	t->prev = d->newest;
	if (d->newest)
		d->newest->next = t;
	else
		d->oldest = t;
	d->newest = t;
	return t;
}

static void defrag_tracker_free(defrag_t *d, defrag_tracker_t *t)
{
	defrag_tracker_t **pp = &d->buckets[(uint32_t)t->hash & d->mask];

	defrag_release_pages(d, t);
	while (*pp != t)
		pp = &(*pp)->hnext;
	*pp = t->hnext;
	if (t->prev)
		t->prev->next = t->next;
	else
		d->oldest = t->next;
	if (t->next)
		t->next->prev = t->prev;
	else
		d->newest = t->prev;
	t->prev = NULL;
	t->next = d->free_trackers;
	d->free_trackers = t;
}

/* A datagram that cannot complete: memory back now, its fragments ignored until timeout. */
static void defrag_tracker_kill(defrag_t *d, defrag_tracker_t *t)
{
	defrag_release_pages(d, t);
	t->dead = 1;
}

static int defrag_expired(const defrag_t *d, const defrag_tracker_t *t, uint64_t now_us)
{
	return now_us >= t->created_us && now_us - t->created_us >= d->timeout_us;
}

void defrag__tick(defrag_t *d, uint64_t now_us)
{
	defrag_tracker_t *t;

	while ((t = d->oldest) != NULL && defrag_expired(d, t, now_us)) {
		if (t->key.version == 4)
			d->fc->ipv4_timeouts++;
		else
			d->fc->ipv6_timeouts++;
		defrag_tracker_free(d, t);
	}
}

/* The tracker of k: found, or new. NULL when the tracker limit (or memory) refuses one. */
static defrag_tracker_t *defrag_lookup(defrag_t *d, const defrag_key_t *k, uint64_t now_us)
{
	uint64_t hash = siphash13(d->hash_key, k, sizeof(*k));
	defrag_tracker_t *t;

	for (t = d->buckets[(uint32_t)hash & d->mask]; t; t = t->hnext) {
		if (t->hash == hash && memcmp(&t->key, k, sizeof(*k)) == 0)
			break;
	}
	/* The caller expired the old end of the age list; packet time can step back between
	 * captures, so an expired tracker may still be found further in. */
	if (t && defrag_expired(d, t, now_us)) {
		if (t->key.version == 4)
			d->fc->ipv4_timeouts++;
		else
			d->fc->ipv6_timeouts++;
		defrag_tracker_free(d, t);
		t = NULL;
	}
	return t ? t : defrag_tracker_new(d, k, hash, now_us);
}

/* ------------------------------------------------------------------ fragments */

/* Copies the blocks of [off, off + len) not yet covered; flags overlaps. -1: no memory. */
static int defrag_store(defrag_t *d, defrag_tracker_t *t, const defrag_frag_t *f, int *overlap)
{
	uint32_t end = f->off + f->len, pos, n, in, bit;
	defrag_page_t *pg;

	for (pos = f->off; pos < end; pos += n) {
		n = end - pos < DEFRAG_BLOCK ? end - pos : DEFRAG_BLOCK;
		pg = t->pages[pos >> DEFRAG_PAGE_SHIFT];
		if (!pg) {
			pg = defrag_page_get(d);
			if (!pg)
				return -1;
			t->pages[pos >> DEFRAG_PAGE_SHIFT] = pg;
		}
		in = pos & (DEFRAG_PAGE_SIZE - 1);
		bit = in / DEFRAG_BLOCK;
		if (pg->covered[bit / 64] & (1ull << (bit % 64))) {
			*overlap = 1;
			continue;
		}
		memcpy(pg->data + in, f->data + (pos - f->off), n);
		pg->covered[bit / 64] |= 1ull << (bit % 64);
		t->blocks++;
	}
	return 0;
}

/* Keeps the header of the first fragment (offset 0): the first one seen wins. */
static int defrag_store_hdr(defrag_t *d, defrag_tracker_t *t, const defrag_frag_t *f)
{
	if (f->off != 0 || t->hdr)
		return 0;
	t->hdr = defrag_page_get(d);
	if (!t->hdr)
		return -1;
	memcpy(t->hdr->data, f->hdr, f->hdr_len);
	t->hdr_len = f->hdr_len;
	t->nh_off = f->nh_off;
	t->nh = f->nh;
	return 0;
}

/* The last fragment fixes the payload length: later data past it, or an earlier fragment
 * past a late last one, means a datagram no receiver could rebuild. */
static int defrag_consistent(defrag_tracker_t *t, const defrag_frag_t *f)
{
	uint32_t end = f->off + f->len;

	if (!f->more) {
		if ((t->have_last && end != t->total) || end < t->max_end)
			return 0;
		t->have_last = 1;
		t->total = end;
	} else if (t->have_last && end > t->total) {
		return 0;
	}
	if (end > t->max_end)
		t->max_end = end;
	return 1;
}

static int defrag_event(defrag_t *d, const defrag_frag_t *f, enum decode_event v4,
			enum decode_event v6)
{
	d->dc->events[f->v6 ? v6 : v4]++;
	return DEFRAG_DROP;
}

/* Writes the whole datagram to d->out and fixes its header; the tracker is freed. */
static int defrag_finish(defrag_t *d, defrag_tracker_t *t, const defrag_frag_t *f,
			 const uint8_t **out, uint32_t *out_len)
{
	uint32_t hl = t->hdr_len, pos, n, dlen = t->hdr_len + t->total;
	uint8_t *o;
	uint16_t csum;

	if ((f->v6 ? dlen - DEFRAG_IPV6_HLEN : dlen) > DEFRAG_MAX_DGRAM) {
		defrag_tracker_kill(d, t);
		return defrag_event(d, f, DECODE_EV_IPV4_FRAG_PKT_TOO_LARGE,
				    DECODE_EV_IPV6_FRAG_PKT_TOO_LARGE);
	}
	o = d->out;
	memcpy(o, t->hdr->data, hl);
	for (pos = 0; pos < t->total; pos += n) {
		n = t->total - pos < DEFRAG_PAGE_SIZE ? t->total - pos : DEFRAG_PAGE_SIZE;
		memcpy(o + hl + pos, t->pages[pos >> DEFRAG_PAGE_SHIFT]->data, n);
	}
	if (f->v6) {
		o[4] = (uint8_t)((dlen - DEFRAG_IPV6_HLEN) >> 8);
		o[5] = (uint8_t)(dlen - DEFRAG_IPV6_HLEN);
		o[t->nh_off] = t->nh;
		d->fc->ipv6_reassembled++;
	} else {
		o[2] = (uint8_t)(dlen >> 8);
		o[3] = (uint8_t)dlen;
		o[6] &= 0x40; /* keep DF; clear MF and the offset */
		o[7] = 0;
		o[10] = o[11] = 0;
		csum = decode__csum_fold(decode__csum_add(0, o, hl));
		o[10] = (uint8_t)(csum >> 8);
		o[11] = (uint8_t)csum;
		d->fc->ipv4_reassembled++;
	}
	defrag_tracker_free(d, t);
	*out = o;
	*out_len = dlen;
	return DEFRAG_DONE;
}

static int defrag_insert(defrag_t *d, const packet_t *p, const defrag_frag_t *f,
			 const uint8_t **out, uint32_t *out_len)
{
	defrag_tracker_t *t;
	int overlap = 0;

	defrag__tick(d, p->ts_us);
	t = defrag_lookup(d, &f->key, p->ts_us);
	if (!t) {
		if (d->ntrackers < d->max_trackers)
			d->fc->memcap_reached++; /* the account refused a slab */
		else
			d->fc->max_trackers_reached++;
		return defrag_event(d, f, DECODE_EV_IPV4_FRAG_IGNORED, DECODE_EV_IPV6_FRAG_IGNORED);
	}
	if (t->dead)
		return defrag_event(d, f, DECODE_EV_IPV4_FRAG_IGNORED, DECODE_EV_IPV6_FRAG_IGNORED);
	if (++t->nfrags > d->max_frags) {
		d->fc->max_frags_reached++;
		goto kill;
	}
	if (!defrag_consistent(t, f))
		goto kill;
	if (defrag_store_hdr(d, t, f) < 0 || defrag_store(d, t, f, &overlap) < 0) {
		d->fc->memcap_reached++;
		goto kill;
	}
	if (overlap)
		d->dc->events[f->v6 ? DECODE_EV_IPV6_FRAG_OVERLAP : DECODE_EV_IPV4_FRAG_OVERLAP]++;
	if (!t->have_last || !t->hdr || t->blocks != (t->total + DEFRAG_BLOCK - 1) / DEFRAG_BLOCK)
		return DEFRAG_HELD;
	return defrag_finish(d, t, f, out, out_len);
kill:
	defrag_tracker_kill(d, t);
	return defrag_event(d, f, DECODE_EV_IPV4_FRAG_IGNORED, DECODE_EV_IPV6_FRAG_IGNORED);
}

/* The key fields that come from the packet's outer layers (VLANs, tunnel). */
static void defrag_key_outer(defrag_key_t *k, const packet_t *p)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->vlan, p->vlan, sizeof(k->vlan));
	k->vlan_count = p->vlan_count;
	k->tunnel_id = p->tunnel_id;
	k->tunnel_type = p->tunnel_type;
	k->tunnel_depth = p->tunnel_depth;
}

int defrag__ipv4(defrag_t *d, const packet_t *p, const uint8_t *ip, uint32_t len,
		 const uint8_t **out, uint32_t *out_len)
{
	defrag_frag_t f;
	uint32_t hlen = (uint32_t)(ip[0] & 0x0f) * 4;
	uint16_t ff = decode__rd16(ip + 6);

	d->fc->ipv4_fragments++;
	memset(&f, 0, sizeof(f));
	f.off = (uint32_t)(ff & 0x1fff) * 8;
	f.len = len - hlen;
	f.more = (ff & 0x2000) != 0;
	if (f.off + f.len > DEFRAG_MAX_DGRAM - hlen)
		return defrag_event(d, &f, DECODE_EV_IPV4_FRAG_PKT_TOO_LARGE, 0);
	if (f.more)
		f.len &= ~(uint32_t)(DEFRAG_BLOCK - 1);
	f.data = ip + hlen;
	f.hdr = ip;
	f.hdr_len = hlen;
	defrag_key_outer(&f.key, p);
	f.key.version = 4;
	f.key.proto = ip[9];
	memcpy(f.key.src, ip + 12, 4);
	memcpy(f.key.dst, ip + 16, 4);
	f.key.id = decode__rd16(ip + 4);
	return defrag_insert(d, p, &f, out, out_len);
}

int defrag__ipv6(defrag_t *d, const packet_t *p, const uint8_t *ip, uint32_t len, uint32_t fh_off,
		 uint32_t nh_off, const uint8_t **out, uint32_t *out_len)
{
	defrag_frag_t f;
	const uint8_t *fh = ip + fh_off;
	uint16_t fo = decode__rd16(fh + 2);

	d->fc->ipv6_fragments++;
	memset(&f, 0, sizeof(f));
	f.v6 = 1;
	f.off = fo & 0xfff8;
	f.len = len - fh_off - 8;
	f.more = fo & 1;
	if (f.more && (f.len % DEFRAG_BLOCK) != 0)
		return defrag_event(d, &f, 0, DECODE_EV_IPV6_FRAG_INVALID_LENGTH);
	if (f.off + f.len > DEFRAG_MAX_DGRAM - (fh_off - DEFRAG_IPV6_HLEN))
		return defrag_event(d, &f, 0, DECODE_EV_IPV6_FRAG_PKT_TOO_LARGE);
	if (fh_off > DEFRAG_PAGE_SIZE) /* unfragmentable part too long to keep */
		return defrag_event(d, &f, 0, DECODE_EV_IPV6_FRAG_IGNORED);
	f.data = fh + 8;
	f.hdr = ip;
	f.hdr_len = fh_off;
	f.nh_off = nh_off;
	f.nh = fh[0];
	defrag_key_outer(&f.key, p);
	f.key.version = 6;
	memcpy(f.key.src, ip + 8, 16);
	memcpy(f.key.dst, ip + 24, 16);
	f.key.id = decode__rd32(fh + 4);
	return defrag_insert(d, p, &f, out, out_len);
}

/* ------------------------------------------------------------------ life cycle */

int defrag__new(defrag_t **out, const decode_config_t *cfg, mem_account_t *acct,
		decode_counters_t *dc, defrag_counters_t *fc)
{
	decode_config_t def;
	defrag_t *d;
	uint32_t nb = 16;

	*out = NULL;
	decode_config_default(&def);
	d = mem_calloc(acct, sizeof(*d));
	if (!d)
		return AW_ENOMEM;
	d->acct = acct;
	d->dc = dc;
	d->fc = fc;
	/* Zero limits take the defaults: a zero timeout would expire every datagram at once. */
	d->memcap = cfg->defrag_memcap ? cfg->defrag_memcap : def.defrag_memcap;
	d->max_trackers =
		cfg->defrag_max_trackers ? cfg->defrag_max_trackers : def.defrag_max_trackers;
	d->max_frags = cfg->defrag_max_frags ? cfg->defrag_max_frags : def.defrag_max_frags;
	d->timeout_us = cfg->defrag_timeout_us ? cfg->defrag_timeout_us : def.defrag_timeout_us;
	while (nb < d->max_trackers && nb < (1u << 24))
		nb <<= 1;
	d->mask = nb - 1;
	d->buckets = mem_calloc(acct, (size_t)nb * sizeof(*d->buckets));
	d->out = mem_alloc(acct, DEFRAG_OUT_SIZE);
	if (!d->buckets || !d->out) {
		defrag__free(d);
		return AW_ENOMEM;
	}
	siphash_seed(d->hash_key, d);
	*out = d;
	return 0;
}

void defrag__free(defrag_t *d)
{
	defrag_slab_t *s;
	defrag_page_t *pg;

	if (!d)
		return;
	while (d->oldest)
		defrag_tracker_free(d, d->oldest);
	while ((pg = d->spare) != NULL) {
		d->spare = pg->next;
		mem_free(d->acct, pg, sizeof(*pg));
	}
	while ((s = d->slabs) != NULL) {
		d->slabs = s->next;
		mem_free(d->acct, s, sizeof(*s) + (size_t)s->n * sizeof(defrag_tracker_t));
	}
	mem_free(d->acct, d->out, DEFRAG_OUT_SIZE);
	mem_free(d->acct, d->buckets, (size_t)(d->mask + 1) * sizeof(*d->buckets));
	mem_free(d->acct, d, sizeof(*d));
}

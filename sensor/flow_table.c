/*
 * flow_table.c - the flow table: lookup, creation, orientation, timeouts, eviction.
 *
 * See flow.h for the contract. Layout: a power-of-two array of bucket heads with chained flows;
 * flows come from slabs charged to the flow memory account and are recycled through a free list,
 * so steady-state traffic allocates nothing. Each timeout class keeps its flows in an LRU list
 * (least recently active first): a packet moves its flow to the tail, expiry pops from the head.
 * Output order never depends on the hash seed: expiry, eviction and flush follow the LRU lists.
 */
#include "flow.h"

#include <stddef.h>
#include <string.h>

#include "error.h"
#include "siphash.h"

#define FLOW_SLAB_FLOWS 256

typedef struct flow_slab flow_slab_t;
struct flow_slab {
	flow_slab_t *next;
	flow_t flows[FLOW_SLAB_FLOWS];
};

typedef struct flow_lru {
	flow_t *head, *tail;
} flow_lru_t;

struct flow_table {
	flow_config_t cfg;
	mem_account_t *acct;
	flow_end_cb end_cb;
	void *end_ud;
	flow_t **buckets;
	uint32_t mask;
	flow_t *last; /* the flow of the previous packet: segments come in runs (NULL: none) */
	flow_t *free_list;
	flow_slab_t *slabs;
	flow_lru_t lru[FLOW_CLASS__COUNT];
	flow_counters_t counters;
};

/* Fixed key for flow ids: ids must be the same from run to run, unlike the table's hash. */
static const uint8_t flow_id_key[16] = {0x61, 0x70, 0x69, 0x77, 0x61, 0x74, 0x63, 0x68,
					0x2d, 0x66, 0x6c, 0x6f, 0x77, 0x2d, 0x69, 0x64};

void flow_config_default(flow_config_t *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->memcap = 32ull << 20;
	cfg->hash_size = 65536;
	cfg->timeout_us[0][FLOW_CLASS_NEW] = 60ull * 1000000;
	cfg->timeout_us[0][FLOW_CLASS_ESTABLISHED] = 600ull * 1000000;
	cfg->timeout_us[0][FLOW_CLASS_CLOSED] = 10ull * 1000000;
	cfg->timeout_us[1][FLOW_CLASS_NEW] = 30ull * 1000000;
	cfg->timeout_us[1][FLOW_CLASS_ESTABLISHED] = 300ull * 1000000;
	cfg->timeout_us[1][FLOW_CLASS_CLOSED] = 10ull * 1000000;
	cfg->ether = 1;
}

const char *flow_end_reason_name(enum flow_end_reason r)
{
	switch (r) {
	case FLOW_END_TIMEOUT:
		return "timeout";
	case FLOW_END_FORCED:
		return "forced";
	case FLOW_END_SHUTDOWN:
		return "shutdown";
	case FLOW_END_TCP_REUSE:
		return "tcp_reuse";
	}
	return "unknown";
}

/* ------------------------------------------------------------------------------------------ */
/* LRU lists */

static void flow_lru_unlink(flow_table_t *ft, flow_t *f)
{
	flow_lru_t *l = &ft->lru[f->fclass];

	if (f->lru_prev)
		f->lru_prev->lru_next = f->lru_next;
	else
		l->head = f->lru_next;
	if (f->lru_next)
		f->lru_next->lru_prev = f->lru_prev;
	else
		l->tail = f->lru_prev;
	f->lru_prev = f->lru_next = NULL;
}

static void flow_lru_append(flow_table_t *ft, flow_t *f)
{
	flow_lru_t *l = &ft->lru[f->fclass];

	f->lru_next = NULL;
	f->lru_prev = l->tail;
	if (l->tail)
		l->tail->lru_next = f;
	else
		l->head = f;
	l->tail = f;
}

/* ------------------------------------------------------------------------------------------ */
/* Keys and hashing */

/* An address's bytes as two big-endian words: they compare as the bytes do. */
static inline void flow_addr_words(const net_addr_t *a, uint64_t w[2])
{
	memcpy(w, a->b, 16);
	w[0] = __builtin_bswap64(w[0]);
	w[1] = __builtin_bswap64(w[1]);
}

static int flow_endpoint_cmp(const net_addr_t *a, uint16_t ap, const net_addr_t *b, uint16_t bp)
{
	uint64_t x[2], y[2];

	flow_addr_words(a, x);
	flow_addr_words(b, y);
	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	if (x[1] != y[1])
		return x[1] < y[1] ? -1 : 1;
	return (int)ap - (int)bp;
}

static inline int flow_addr_eq(const net_addr_t *a, const net_addr_t *b)
{
	uint64_t x[2], y[2];

	memcpy(x, a->b, 16);
	memcpy(y, b->b, 16);
	return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
}

/* Keys are compared word by word (a memcmp call per lookup showed in profiles); they have no
 * padding and are zeroed before they are filled. */
_Static_assert(sizeof(flow_key_t) == 48, "flow_key_t is six 8-byte words");

static inline int flow_key_eq(const flow_key_t *a, const flow_key_t *b)
{
	uint64_t x[6], y[6], d = 0;
	int i;

	memcpy(x, a, sizeof(x));
	memcpy(y, b, sizeof(y));
	for (i = 0; i < 6; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

/* Builds the direction-independent key of a packet. */
static void flow_key_from_packet(flow_key_t *k, const packet_t *p)
{
	memset(k, 0, sizeof(*k));
	if (flow_endpoint_cmp(&p->src, p->sport, &p->dst, p->dport) <= 0) {
		k->addr[0] = p->src;
		k->addr[1] = p->dst;
		k->port[0] = p->sport;
		k->port[1] = p->dport;
	} else {
		k->addr[0] = p->dst;
		k->addr[1] = p->src;
		k->port[0] = p->dport;
		k->port[1] = p->sport;
	}
	k->vlan[0] = p->vlan_count > 0 ? p->vlan[0] : 0;
	k->vlan[1] = p->vlan_count > 1 ? p->vlan[1] : 0;
	k->tunnel_id = p->tunnel_id;
	k->tunnel_type = p->tunnel_type;
	k->proto = p->proto;
	k->ip_version = p->ip_version;
}

/* Hashes only the bytes that vary: an IPv4 key hashes 24 bytes instead of the whole 48. */
static uint32_t flow_key_bucket(const flow_table_t *ft, const flow_key_t *k)
{
	uint8_t buf[sizeof(flow_key_t)];
	size_t alen = k->ip_version == 6 ? 16 : 4, n = 0;

	memcpy(buf, k->addr[0].b, alen);
	n += alen;
	memcpy(buf + n, k->addr[1].b, alen);
	n += alen;
	/* Ports, VLAN ids, tunnel id, protocol and version are contiguous after the addresses. */
	memcpy(buf + n, k->port, sizeof(*k) - offsetof(flow_key_t, port));
	n += sizeof(*k) - offsetof(flow_key_t, port);
	return (uint32_t)siphash13(ft->cfg.hash_key, buf, n) & ft->mask;
}

/* ------------------------------------------------------------------------------------------ */
/* Orientation */

/* Ports that are servers when the handshake was not seen. */
static int flow_port_is_service(uint16_t port)
{
	switch (port) {
	case 80:
	case 443:
	case 8000:
	case 8008:
	case 8080:
	case 8081:
	case 8443:
	case 8888:
	case 3000:
	case 5000:
	case 9000:
	case 9200:
	case 6379:
	case 5432:
	case 3306:
	case 4789:
	case 6081:
		return 1;
	default:
		return port < 1024;
	}
}

/* True when the sender of the packet that creates the flow is the client. */
static int flow_sender_is_client(const packet_t *p, int *guessed)
{
	int s_srv, d_srv;

	*guessed = 0;
	if (p->proto == 6 && (p->tcp_flags & PACKET_TCP_SYN))
		return !(p->tcp_flags & PACKET_TCP_ACK);
	*guessed = 1;
	s_srv = flow_port_is_service(p->sport);
	d_srv = flow_port_is_service(p->dport);
	if (s_srv && !d_srv)
		return 0;
	if (d_srv && !s_srv)
		return 1;
	if (s_srv && d_srv && p->sport < p->dport)
		return 0;
	return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Pool */

static int flow_pool_grow(flow_table_t *ft)
{
	flow_slab_t *slab = mem_alloc(ft->acct, sizeof(*slab));
	int i;

	if (!slab)
		return AW_ENOMEM;
	slab->next = ft->slabs;
	ft->slabs = slab;
	for (i = FLOW_SLAB_FLOWS - 1; i >= 0; i--) {
		slab->flows[i].hnext = ft->free_list;
		ft->free_list = &slab->flows[i];
	}
	ft->counters.slab_grows++;
	return 0;
}

/* The least recently active flow of all classes, closed ones first. */
static flow_t *flow_table_oldest(flow_table_t *ft)
{
	flow_t *best = ft->lru[FLOW_CLASS_CLOSED].head;
	int c;

	if (best)
		return best;
	for (c = 0; c < FLOW_CLASS__COUNT; c++) {
		flow_t *h = ft->lru[c].head;

		if (h && (!best || h->last_us < best->last_us))
			best = h;
	}
	return best;
}

static flow_t *flow_pool_get(flow_table_t *ft)
{
	flow_t *f;

	if (!ft->free_list && flow_pool_grow(ft) < 0) {
		flow_t *victim = flow_table_oldest(ft);

		ft->counters.memcap_hits++;
		if (!victim)
			return NULL;
		ft->counters.evicted++;
		flow_table_end(ft, victim, FLOW_END_FORCED);
	}
	f = ft->free_list;
	if (!f)
		return NULL;
	ft->free_list = f->hnext;
	return f;
}

/* ------------------------------------------------------------------------------------------ */
/* Table */

int flow_table_new(flow_table_t **out, const flow_config_t *cfg, mem_account_t *acct,
		   flow_end_cb end_cb, void *ud)
{
	flow_table_t *ft;
	uint32_t n = 1024;

	*out = NULL;
	while (n < cfg->hash_size && n < (1u << 26))
		n <<= 1;
	ft = mem_calloc(acct, sizeof(*ft));
	if (!ft)
		return AW_ENOMEM;
	ft->cfg = *cfg;
	ft->acct = acct;
	ft->end_cb = end_cb;
	ft->end_ud = ud;
	ft->mask = n - 1;
	ft->buckets = mem_table_alloc(acct, (size_t)n * sizeof(*ft->buckets));
	if (!ft->buckets) {
		mem_free(acct, ft, sizeof(*ft));
		return AW_ENOMEM;
	}
	*out = ft;
	return 0;
}

void flow_table_free(flow_table_t *ft)
{
	flow_slab_t *s, *next;

	if (!ft)
		return;
	flow_table_flush(ft);
	for (s = ft->slabs; s; s = next) {
		next = s->next;
		mem_free(ft->acct, s, sizeof(*s));
	}
	mem_table_free(ft->acct, ft->buckets, (size_t)(ft->mask + 1) * sizeof(*ft->buckets));
	mem_free(ft->acct, ft, sizeof(*ft));
}

static void flow_init(flow_table_t *ft, flow_t *f, const flow_key_t *k, const packet_t *p)
{
	int guessed, client = flow_sender_is_client(p, &guessed);

	memset(f, 0, sizeof(*f));
	f->key = *k;
	f->addr[0] = client ? p->src : p->dst;
	f->addr[1] = client ? p->dst : p->src;
	f->port[0] = client ? p->sport : p->dport;
	f->port[1] = client ? p->dport : p->sport;
	f->flags = guessed ? FLOW_F_REVERSED_GUESS : 0;
	f->start_us = f->last_us = p->ts_us;
	f->first_pcap_cnt = p->pcap_cnt;
	f->flow_id = siphash24(flow_id_key, k, sizeof(*k)) ^ p->ts_us;
	f->flow_id = siphash24(flow_id_key, &f->flow_id, sizeof(f->flow_id)) & ((1ull << 51) - 1);
	f->fclass = FLOW_CLASS_NEW;
	ft->counters.total++;
	ft->counters.active++;
	if (p->proto == 6)
		ft->counters.tcp++;
	else
		ft->counters.udp++;
}

/* Adds a MAC address to the list of side s unless it is there already. */
static void flow_ether_add(flow_table_t *ft, flow_ether_t *e, int s, const uint8_t *mac)
{
	unsigned i;

	for (i = 0; i < e->nmacs[s]; i++)
		if (memcmp(e->macs[s][i], mac, 6) == 0)
			return;
	if (e->nmacs[s] == FLOW_ETHER_MAX_MACS) {
		ft->counters.ether_macs_capped++;
		return;
	}
	memcpy(e->macs[s][e->nmacs[s]++], mac, 6);
}

/*
 * Notes the outer Ethernet header of a packet of direction dir. The usual frame repeats the
 * first one of its direction: one 12-byte compare. The source is on the sender's side (the
 * client's for dir 0), the destination on the other.
 */
static void flow_ether_note(flow_table_t *ft, flow_t *f, int dir, const uint8_t *eth)
{
	flow_ether_t *e = &f->ether;

	if (e->seen & (1u << dir)) {
		if (memcmp(e->first[dir], eth, 12) == 0)
			return;
	} else {
		memcpy(e->first[dir], eth, 12);
		e->type[dir] = (uint16_t)(eth[12] << 8 | eth[13]);
		e->seen |= (uint8_t)(1u << dir);
	}
	flow_ether_add(ft, e, dir, eth + 6);
	flow_ether_add(ft, e, 1 - dir, eth);
}

/* Moves f to the tail of its class's list (the most recently used). */
static void flow_lru_touch(flow_table_t *ft, flow_t *f)
{
	if (f->lru_next) {
		flow_lru_unlink(ft, f);
		flow_lru_append(ft, f);
	}
}

flow_t *flow_table_get(flow_table_t *ft, const packet_t *p, int *dir)
{
	flow_key_t k;
	uint32_t b, chain = 0;
	flow_t *f;

	flow_key_from_packet(&k, p);
	f = ft->last;
	if (f && flow_key_eq(&f->key, &k)) {
		flow_lru_touch(ft, f);
	} else {
		b = flow_key_bucket(ft, &k);
		for (f = ft->buckets[b]; f; f = f->hnext) {
			chain++;
			if (flow_key_eq(&f->key, &k))
				break;
		}
		if (!f)
			chain++; /* the bucket's length once the new flow is in */
		if (chain > ft->counters.max_chain)
			ft->counters.max_chain = chain;
		if (f) {
			flow_lru_touch(ft, f);
		} else {
			f = flow_pool_get(ft);
			if (!f) {
				ft->counters.alloc_fail++;
				return NULL;
			}
			flow_init(ft, f, &k, p);
			/* Eviction may have rehung the bucket: insert at the head now. */
			f->hnext = ft->buckets[b];
			ft->buckets[b] = f;
			flow_lru_append(ft, f);
		}
	}
	ft->last = f;
	*dir = (f->port[0] == p->sport && flow_addr_eq(&f->addr[0], &p->src)) ? FLOW_TOSERVER
									      : FLOW_TOCLIENT;
	f->seen_dir |= (uint8_t)(1u << *dir);
	f->pkts[*dir]++;
	f->bytes[*dir] += p->l3_len;
	if (p->ts_us > f->last_us)
		f->last_us = p->ts_us;
	if (p->proto == 6)
		f->tcp_flags[*dir] |= p->tcp_flags;
	if (p->eth && ft->cfg.ether)
		flow_ether_note(ft, f, *dir, p->eth);
	return f;
}

void flow_table_set_class(flow_table_t *ft, flow_t *f, enum flow_class c)
{
	if (f->fclass == c)
		return;
	flow_lru_unlink(ft, f);
	f->fclass = (uint8_t)c;
	flow_lru_append(ft, f);
}

static void flow_hash_unlink(flow_table_t *ft, flow_t *f)
{
	flow_t **pp = &ft->buckets[flow_key_bucket(ft, &f->key)];

	while (*pp && *pp != f)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = f->hnext;
}

void flow_table_end(flow_table_t *ft, flow_t *f, enum flow_end_reason reason)
{
	if (ft->last == f)
		ft->last = NULL;
	flow_hash_unlink(ft, f);
	flow_lru_unlink(ft, f);
	ft->counters.ended_state[f->fclass]++;
	if (reason == FLOW_END_TIMEOUT)
		ft->counters.timeouts++;
	else if (reason == FLOW_END_TCP_REUSE)
		ft->counters.tcp_reuse++;
	else if (reason == FLOW_END_SHUTDOWN)
		ft->counters.shutdown++;
	if (ft->end_cb)
		ft->end_cb(f, reason, ft->end_ud);
	ft->counters.active--;
	f->hnext = ft->free_list;
	ft->free_list = f;
}

void flow_table_expire(flow_table_t *ft, uint64_t now_us)
{
	int c;

	for (c = 0; c < FLOW_CLASS__COUNT; c++) {
		flow_t *f;

		while ((f = ft->lru[c].head) != NULL) {
			uint64_t to = ft->cfg.timeout_us[f->key.proto == 6 ? 0 : 1][c];

			if (f->last_us + to > now_us)
				break;
			flow_table_end(ft, f, FLOW_END_TIMEOUT);
		}
	}
}

void flow_table_flush(flow_table_t *ft)
{
	flow_t *f;

	while ((f = flow_table_oldest(ft)) != NULL)
		flow_table_end(ft, f, FLOW_END_SHUTDOWN);
}

const flow_counters_t *flow_table_counters(const flow_table_t *ft)
{
	return &ft->counters;
}

/*
 * flow.h - bidirectional flows and the table that tracks them.
 *
 * Fed by the pipeline with every decoded TCP/UDP packet; hands back the flow the packet belongs
 * to and its direction (0 = client to server, 1 = server to client). The table is keyed by the
 * 5-tuple plus VLAN ids and tunnel id, hashed with a seeded SipHash so that attacker-chosen
 * tuples cannot pile into one bucket. Flows come from a pool that grows in slabs up to a memory
 * cap; past the cap the least recently active flow is evicted (counted). Timeouts run on packet
 * time, per timeout class (new, established, closed), each class an LRU list so that expiry only
 * looks at the oldest flows.
 *
 * The table does not know TCP or dissectors: when a flow ends (timeout, eviction, shutdown, port
 * reuse) it calls the end callback, where the pipeline finishes reassembly, writes the flow event
 * and releases what hangs off the flow. It does not free anything the callback owns.
 */
#ifndef APIWATCH_FLOW_H
#define APIWATCH_FLOW_H

#include <stdint.h>

#include "mem.h"
#include "packet.h"

#define FLOW_TOSERVER 0
#define FLOW_TOCLIENT 1

/* Timeout classes; a flow is in exactly one class's LRU list. */
enum flow_class {
	FLOW_CLASS_NEW = 0, /* no reply / no handshake yet */
	FLOW_CLASS_ESTABLISHED, /* both directions seen (TCP: handshake or data both ways) */
	FLOW_CLASS_CLOSED, /* TCP FIN both ways or RST */
	FLOW_CLASS__COUNT
};

/* Why a flow ended, as written in flow.reason. */
enum flow_end_reason {
	FLOW_END_TIMEOUT = 0, /* "timeout" */
	FLOW_END_FORCED, /* "forced": evicted under the memory cap */
	FLOW_END_SHUTDOWN, /* "shutdown": end of capture or signal */
	FLOW_END_TCP_REUSE /* "tcp_reuse": a new connection reused the tuple */
};

typedef struct flow_key {
	net_addr_t addr[2]; /* ordered: (addr[0], port[0]) <= (addr[1], port[1]) */
	uint16_t port[2];
	uint16_t vlan[2];
	uint32_t tunnel_id;
	uint8_t proto;
	uint8_t ip_version;
	uint8_t tunnel_type;
	uint8_t pad;
} flow_key_t;

/*
 * The Ethernet addresses of a flow (eve.ethernet): what its events write as `ether`. first[d]
 * holds destination and source of the first frame seen in direction d, as on the wire, so that
 * an event oriented in d names the hops of that direction; macs[s] the distinct addresses seen
 * on side s (0: client, 1: server), first seen first, up to FLOW_ETHER_MAX_MACS (more are
 * counted in flow_counters_t.ether_macs_capped).
 */
#define FLOW_ETHER_MAX_MACS 4

typedef struct flow_ether {
	uint8_t first[2][12];
	uint8_t macs[2][FLOW_ETHER_MAX_MACS][6];
	uint16_t type[2]; /* ether type of first[d] */
	uint8_t nmacs[2];
	uint8_t seen; /* bit d: first[d] is set */
} flow_ether_t;

typedef struct flow flow_t;
struct flow {
	flow_t *hnext; /* hash chain */
	flow_t *lru_prev, *lru_next;
	flow_key_t key;

	/* Orientation: [0] = client, [1] = server. */
	net_addr_t addr[2];
	uint16_t port[2];

	uint64_t flow_id; /* 51-bit id, stable for a given tuple and start time */
	uint64_t start_us, last_us;
	uint64_t pkts[2], bytes[2]; /* per direction, bytes at IP level */
	uint64_t first_pcap_cnt;
	uint8_t fclass; /* enum flow_class */
	uint8_t seen_dir; /* bit 0: toserver seen, bit 1: toclient seen */
	uint8_t tcp_flags[2]; /* flags seen per direction */
	uint8_t flags; /* FLOW_F_* */

	/* Owned by the stages above the table; the end callback releases them. */
	uint16_t app_proto; /* l7_classify label, 0 = unknown */
	void *l7; /* classifier state while it still decides */
	void *tcp; /* tcp_session_t * */
	const void *dissector; /* dissector_t * attached to the flow */
	void *dissector_state;
	uint32_t l7_pkts; /* packets given to the classifier */
	uint8_t probe_tries[2];

	/* The Community ID text, kept by flow_community_id_memo: "" until the first event. */
	char community_id[32];

	flow_ether_t ether; /* empty (seen 0) without Ethernet or with eve.ethernet off */
};

#define FLOW_F_REVERSED_GUESS 0x01 /* orientation guessed from ports, not from a handshake */
#define FLOW_F_DISSECT_DONE 0x02 /* no dissector will be attached */
#define FLOW_F_L7_DONE 0x04 /* the classifier has decided */
#define FLOW_F_ALERTED 0x08 /* a detector reported a finding on one of its calls */

typedef void (*flow_end_cb)(flow_t *f, enum flow_end_reason reason, void *ud);

typedef struct flow_config {
	uint64_t memcap; /* bytes for flows (the pool) */
	uint32_t hash_size; /* buckets; rounded up to a power of two */
	uint64_t timeout_us[2][FLOW_CLASS__COUNT]; /* [0] TCP, [1] UDP */
	uint8_t hash_key[16]; /* SipHash key of the table (random per run) */
	int ether; /* keep the Ethernet addresses of packets (eve.ethernet) */
} flow_config_t;

typedef struct flow_counters {
	uint64_t total; /* flows created */
	uint64_t active; /* flows in the table now */
	uint64_t tcp, udp; /* flows created per protocol */
	uint64_t timeouts; /* flows ended by timeout */
	uint64_t evicted; /* flows ended under the memory cap */
	uint64_t tcp_reuse; /* flows ended because a new connection reused the tuple */
	uint64_t shutdown; /* flows ended at shutdown */
	uint64_t memcap_hits; /* a new flow needed an eviction */
	uint64_t alloc_fail; /* a packet got no flow at all (memcap with nothing to evict) */
	uint64_t slab_grows; /* slow path: the pool grew */
	uint64_t ended_state[FLOW_CLASS__COUNT]; /* class of flows when they ended */
	uint64_t max_chain; /* longest hash chain walked */
	uint64_t ether_macs_capped; /* a MAC address not kept: its side had FLOW_ETHER_MAX_MACS */
} flow_counters_t;

typedef struct flow_table flow_table_t;

void flow_config_default(flow_config_t *cfg);

/* Creates a table charging acct (its cap should be cfg->memcap). end_cb is called for every flow
 * that ends, with ud. */
int flow_table_new(flow_table_t **out, const flow_config_t *cfg, mem_account_t *acct,
		   flow_end_cb end_cb, void *ud);

/* Ends every flow (reason shutdown) then frees the table. NULL is fine. */
void flow_table_free(flow_table_t *ft);

/*
 * Finds or creates the flow of a decoded TCP/UDP packet; *dir gets its direction. Updates the
 * flow's packet and byte counters and its LRU position. NULL when no flow could be had (counted).
 */
flow_t *flow_table_get(flow_table_t *ft, const packet_t *p, int *dir);

/* Moves a flow to another timeout class. */
void flow_table_set_class(flow_table_t *ft, flow_t *f, enum flow_class c);

/* Ends one flow now (calls the end callback, returns the flow to the pool). */
void flow_table_end(flow_table_t *ft, flow_t *f, enum flow_end_reason reason);

/* Ends the flows whose timeout has passed at packet time now_us, oldest first. */
void flow_table_expire(flow_table_t *ft, uint64_t now_us);

/* Ends every flow, oldest activity first (reason shutdown). */
void flow_table_flush(flow_table_t *ft);

const flow_counters_t *flow_table_counters(const flow_table_t *ft);

/* flow.reason string of an end reason. */
const char *flow_end_reason_name(enum flow_end_reason r);

/* Formats the flow's Community ID v1 (seed from configuration) into out (at least 32 bytes). */
void flow_community_id(const flow_t *f, uint16_t seed, char *out, unsigned out_len);

/* The flow's Community ID, computed (SHA-1) at the first call and kept in the flow for the
 * others: every event of a flow carries it. Logically const. The seed must be the same at
 * every call for a flow (the output stage's). */
const char *flow_community_id_memo(const flow_t *f, uint16_t seed);

#endif

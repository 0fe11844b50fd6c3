/*
 * test_flow_table.c - lookup in both directions, orientation, timeouts by packet time,
 * eviction under the memory cap, shutdown order, and bounded chains under many tuples.
 */
#include "test_common.h"

#include "flow.h"

typedef struct ended {
	int n;
	enum flow_end_reason reasons[4096];
	uint16_t cport[4096];
} ended_t;

static void on_end(flow_t *f, enum flow_end_reason r, void *ud)
{
	ended_t *e = ud;

	if (e->n < 4096) {
		e->reasons[e->n] = r;
		e->cport[e->n] = f->port[0];
	}
	e->n++;
}

static void pkt(packet_t *p, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
		uint8_t flags, uint64_t ts)
{
	memset(p, 0, sizeof(*p));
	p->ip_version = 4;
	p->proto = 6;
	p->src.b[0] = (uint8_t)(src >> 24), p->src.b[1] = (uint8_t)(src >> 16);
	p->src.b[2] = (uint8_t)(src >> 8), p->src.b[3] = (uint8_t)src;
	p->dst.b[0] = (uint8_t)(dst >> 24), p->dst.b[1] = (uint8_t)(dst >> 16);
	p->dst.b[2] = (uint8_t)(dst >> 8), p->dst.b[3] = (uint8_t)dst;
	p->sport = sport;
	p->dport = dport;
	p->tcp_flags = flags;
	p->ts_us = ts;
	p->l3_len = 60;
}

static flow_table_t *table(mem_account_t *acct, ended_t *e, uint64_t memcap)
{
	flow_config_t cfg;
	flow_table_t *ft;

	flow_config_default(&cfg);
	cfg.memcap = memcap;
	cfg.hash_size = 1024;
	mem_account_init(acct, "flow", memcap);
	assert_int_equal(flow_table_new(&ft, &cfg, acct, on_end, e), 0);
	return ft;
}

static void test_flow_both_directions(void **state)
{
	mem_account_t acct;
	ended_t e = {0};
	flow_table_t *ft = table(&acct, &e, 1 << 20);
	packet_t p;
	flow_t *a, *b;
	int dir;

	pkt(&p, 0x0a000001, 40000, 0x0a000002, 80, PACKET_TCP_SYN, 1000000);
	a = flow_table_get(ft, &p, &dir);
	assert_non_null(a);
	assert_int_equal(dir, FLOW_TOSERVER);
	pkt(&p, 0x0a000002, 80, 0x0a000001, 40000, PACKET_TCP_SYN | PACKET_TCP_ACK, 1000100);
	b = flow_table_get(ft, &p, &dir);
	assert_ptr_equal(a, b);
	assert_int_equal(dir, FLOW_TOCLIENT);
	assert_int_equal(a->pkts[0], 1);
	assert_int_equal(a->pkts[1], 1);
	assert_int_equal(a->port[0], 40000);
	assert_int_equal(a->port[1], 80);
	assert_int_equal(flow_table_counters(ft)->total, 1);
	flow_table_free(ft);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.reasons[0], FLOW_END_SHUTDOWN);
	assert_int_equal(acct.in_use, 0);
}

static void test_flow_orientation_midstream(void **state)
{
	mem_account_t acct;
	ended_t e = {0};
	flow_table_t *ft = table(&acct, &e, 1 << 20);
	packet_t p;
	flow_t *f;
	int dir;

	/* First packet seen is the server's reply: the client is the other side. */
	pkt(&p, 0x0a000002, 80, 0x0a000001, 51000, PACKET_TCP_ACK, 1000000);
	f = flow_table_get(ft, &p, &dir);
	assert_int_equal(dir, FLOW_TOCLIENT);
	assert_int_equal(f->port[1], 80);
	assert_true(f->flags & FLOW_F_REVERSED_GUESS);
	/* A SYN/ACK seen first: its sender is the server whatever the ports. */
	pkt(&p, 0x0a000003, 50000, 0x0a000004, 60000, PACKET_TCP_SYN | PACKET_TCP_ACK, 1000000);
	f = flow_table_get(ft, &p, &dir);
	assert_int_equal(dir, FLOW_TOCLIENT);
	assert_int_equal(f->port[0], 60000);
	flow_table_free(ft);
}

static void test_flow_timeouts(void **state)
{
	mem_account_t acct;
	ended_t e = {0};
	flow_table_t *ft = table(&acct, &e, 1 << 20);
	packet_t p;
	flow_t *f;
	int dir;

	pkt(&p, 0x0a000001, 40000, 0x0a000002, 80, PACKET_TCP_SYN, 1000000);
	flow_table_get(ft, &p, &dir);
	pkt(&p, 0x0a000001, 40001, 0x0a000002, 80, PACKET_TCP_SYN, 1000000);
	f = flow_table_get(ft, &p, &dir);
	flow_table_set_class(ft, f, FLOW_CLASS_CLOSED);
	/* The closed flow (10 s) goes first, the new one (60 s) later. */
	flow_table_expire(ft, 1000000 + 9000000);
	assert_int_equal(e.n, 0);
	flow_table_expire(ft, 1000000 + 10000000);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.cport[0], 40001);
	assert_int_equal(e.reasons[0], FLOW_END_TIMEOUT);
	flow_table_expire(ft, 1000000 + 60000000);
	assert_int_equal(e.n, 2);
	assert_int_equal(flow_table_counters(ft)->active, 0);
	assert_int_equal(flow_table_counters(ft)->timeouts, 2);
	flow_table_free(ft);
	assert_int_equal(e.n, 2);
}

static void test_flow_eviction_under_memcap(void **state)
{
	mem_account_t acct;
	ended_t e = {0};
	/* Room for the table and one slab only. */
	flow_table_t *ft =
		table(&acct, &e, 1024 * sizeof(void *) + 4096 + 256 * sizeof(flow_t) + 4096);
	packet_t p;
	int i, dir;

	for (i = 0; i < 2000; i++) {
		pkt(&p, 0x0a000001, (uint16_t)(10000 + i), 0x0a000002, 80, PACKET_TCP_SYN,
		    1000000 + (uint64_t)i);
		assert_non_null(flow_table_get(ft, &p, &dir));
	}
	assert_true(flow_table_counters(ft)->evicted > 0);
	assert_true(acct.in_use <= acct.cap);
	/* The oldest flows went first. */
	assert_int_equal(e.reasons[0], FLOW_END_FORCED);
	assert_int_equal(e.cport[0], 10000);
	flow_table_free(ft);
	assert_int_equal(e.n, 2000);
}

static void test_flow_many_tuples_bounded(void **state)
{
	mem_account_t acct;
	ended_t e = {0};
	flow_table_t *ft = table(&acct, &e, 8 << 20);
	packet_t p;
	int i, dir;

	for (i = 0; i < 50000; i++) {
		pkt(&p, 0x0a000000 + (uint32_t)i, 1234, 0x0a000002, 80, 0, 1000000);
		flow_table_get(ft, &p, &dir);
	}
	assert_true(acct.in_use <= acct.cap);
	assert_true(flow_table_counters(ft)->max_chain < 200);
	flow_table_free(ft);
	assert_int_equal(acct.in_use, 0);
}

static const uint8_t mac_client[6] = {2, 0, 0, 0, 0, 1}, mac_gw_a[6] = {2, 0, 0, 0, 0, 0xa},
		     mac_gw_b[6] = {2, 0, 0, 0, 0, 0xb};

/* An Ethernet header: destination, source, IPv4. */
static void eth(uint8_t h[14], const uint8_t *dst, const uint8_t *src)
{
	memcpy(h, dst, 6);
	memcpy(h + 6, src, 6);
	h[12] = 0x08;
	h[13] = 0x00;
}

/* The first frame of each direction is kept as on the wire; each side lists its distinct
 * addresses (here the server side changes gateway mid-flow, as on a mirror of two links). */
static void test_flow_ether(void **state)
{
	mem_account_t acct;
	ended_t e = {0};
	flow_table_t *ft = table(&acct, &e, 1 << 20);
	uint8_t h[14];
	packet_t p;
	flow_t *f;
	int dir, i;

	eth(h, mac_gw_a, mac_client);
	pkt(&p, 0x0a000001, 40000, 0x0a000002, 80, PACKET_TCP_SYN, 1000000);
	p.eth = h;
	f = flow_table_get(ft, &p, &dir);
	assert_int_equal(f->ether.seen, 1);
	assert_memory_equal(f->ether.first[0], h, 12);
	assert_int_equal(f->ether.type[0], 0x0800);
	eth(h, mac_client, mac_gw_b);
	pkt(&p, 0x0a000002, 80, 0x0a000001, 40000, PACKET_TCP_SYN | PACKET_TCP_ACK, 1000100);
	p.eth = h;
	f = flow_table_get(ft, &p, &dir);
	assert_int_equal(f->ether.seen, 3);
	assert_memory_equal(f->ether.first[1], h, 12);
	/* first[0] is not overwritten by later frames. */
	eth(h, mac_gw_b, mac_client);
	pkt(&p, 0x0a000001, 40000, 0x0a000002, 80, PACKET_TCP_ACK, 1000200);
	p.eth = h;
	f = flow_table_get(ft, &p, &dir);
	assert_memory_equal(f->ether.first[0], mac_gw_a, 6);
	assert_int_equal(f->ether.nmacs[0], 1);
	assert_memory_equal(f->ether.macs[0][0], mac_client, 6);
	assert_int_equal(f->ether.nmacs[1], 2);
	assert_memory_equal(f->ether.macs[1][0], mac_gw_a, 6);
	assert_memory_equal(f->ether.macs[1][1], mac_gw_b, 6);
	/* The lists are capped, and what does not fit is counted. */
	for (i = 0; i < FLOW_ETHER_MAX_MACS + 2; i++) {
		uint8_t gw[6] = {2, 0, 0, 0, 1, (uint8_t)i};

		eth(h, gw, mac_client);
		f = flow_table_get(ft, &p, &dir);
	}
	assert_int_equal(f->ether.nmacs[1], FLOW_ETHER_MAX_MACS);
	assert_int_equal(flow_table_counters(ft)->ether_macs_capped, 4);
	/* A packet without Ethernet changes nothing. */
	p.eth = NULL;
	f = flow_table_get(ft, &p, &dir);
	assert_int_equal(f->ether.nmacs[1], FLOW_ETHER_MAX_MACS);
	flow_table_free(ft);
}

/* eve.ethernet off: nothing is kept. */
static void test_flow_ether_off(void **state)
{
	mem_account_t acct;
	ended_t e = {0};
	flow_config_t cfg;
	flow_table_t *ft;
	uint8_t h[14];
	packet_t p;
	flow_t *f;
	int dir;

	flow_config_default(&cfg);
	assert_int_equal(cfg.ether, 1);
	cfg.ether = 0;
	cfg.hash_size = 1024;
	mem_account_init(&acct, "flow", 1 << 20);
	assert_int_equal(flow_table_new(&ft, &cfg, &acct, on_end, &e), 0);
	eth(h, mac_gw_a, mac_client);
	pkt(&p, 0x0a000001, 40000, 0x0a000002, 80, PACKET_TCP_SYN, 1000000);
	p.eth = h;
	f = flow_table_get(ft, &p, &dir);
	assert_int_equal(f->ether.seen, 0);
	assert_int_equal(f->ether.nmacs[0] + f->ether.nmacs[1], 0);
	flow_table_free(ft);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flow_both_directions),
		cmocka_unit_test(test_flow_orientation_midstream),
		cmocka_unit_test(test_flow_timeouts),
		cmocka_unit_test(test_flow_eviction_under_memcap),
		cmocka_unit_test(test_flow_many_tuples_bounded),
		cmocka_unit_test(test_flow_ether),
		cmocka_unit_test(test_flow_ether_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

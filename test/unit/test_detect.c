/*
 * test_detect.c - the detectors, driven as the pipeline drives them: HTTP conversations go
 * through the real HTTP/1.x dissector, the inventory (templates, principals), a real embedded
 * baseline store and the detection stage, whose findings are collected from its emit function.
 *
 * Each test replays the same normal traffic of a small mobile-app API (20 users, logins, item
 * reads, order lists, profile writes, an admin function) until the baselines arm, then keeps it
 * going with one attack mixed in. It asserts that the attack's detector fires with the right
 * OWASP tag and that nothing outside its family does; the quiet test replays the normal
 * traffic alone, at the same volume, and asserts that nothing fires at all.
 */
#include "test_common.h"

#include <arpa/inet.h>
#include <stdlib.h>

#include "config.h"
#include "detect.h"
#include "detect_private.h"
#include "dissector.h"
#include "endpoint_spec.h"
#include "error.h"
#include "http1.h"
#include "inventory.h"

#define T0 1700000000000000ull /* packet time of minute 0 (a whole minute) */
#define MIN 60000000ull
#define NUSERS 20
#define LEARN_MIN 15 /* minutes of normal traffic before an attack */

typedef struct w_finding {
	char name[48];
	char owasp[16];
	char principal[64];
	double observed, baseline;
} w_finding_t;

typedef struct w_event {
	uint64_t t;
	int kind, user, arg;
} w_event_t;

typedef struct world {
	aw_config_t cfg;
	mem_account_t mem_d, mem_i, mem_b, mem_x, mem_s;
	dissector_env_t env;
	void *hctx;
	inventory_t *inv;
	baseline_t *bl;
	detect_t *det;
	endpoint_spec_t *spec;
	flow_t flow;
	w_finding_t found[512];
	unsigned nfound;
	uint32_t rnd;
	w_event_t ev[4096];
	unsigned nev;
} world_t;

static world_t W;

static void w_finding(void *ud, const alert_finding_t *f, const api_call_t *call, uint64_t now)
{
	world_t *w = ud;
	w_finding_t *x;

	(void)now;
	assert_non_null(call);
	assert_non_null(f->reason);
	assert_non_null(f->unit);
	assert_true(f->det->signature_id >= 9100000);
	if (w->nfound >= sizeof(w->found) / sizeof(w->found[0]))
		return;
	x = &w->found[w->nfound++];
	snprintf(x->name, sizeof(x->name), "%s", f->det->name);
	snprintf(x->owasp, sizeof(x->owasp), "%s", f->det->owasp);
	snprintf(x->principal, sizeof(x->principal), "%.*s", (int)f->principal.len,
		 f->principal.ptr);
	x->observed = f->observed;
	x->baseline = f->baseline;
}

/* The pipeline's order: inventory, baselines, detectors. */
static void w_emit(dissector_env_t *env, api_call_t *call)
{
	world_t *w = env->ud;

	inventory_annotate(w->inv, call);
	if (call->endpoint.len) {
		baseline_obs_t obs;

		baseline_obs_from_call(&obs, call, env->now_us);
		baseline_observe(w->bl, &obs);
		detect_call(w->det, call, inventory_last_principal(w->inv), env->now_us);
	}
	api_call_release(call);
}

static void w_anomaly(dissector_env_t *env, const flow_t *f, int dir, uint64_t tx_id,
		      const char *app_proto, const char *event, const char *reason)
{
	(void)env, (void)f, (void)dir, (void)tx_id, (void)app_proto, (void)event, (void)reason;
}

static const char spec_doc[] =
	"{\"openapi\":\"3.0.3\",\"info\":{\"title\":\"t\",\"version\":\"1\"},"
	"\"paths\":{\"/api/items/{id}\":{\"get\":{\"responses\":{\"200\":{"
	"\"description\":\"ok\"}}}}}}";

static void w_setup(int with_spec)
{
	baseline_config_t bc;
	char err[256];

	memset(&W, 0, sizeof(W));
	config_default(&W.cfg);
	memset(W.cfg.http_out.hash_key, 7, sizeof(W.cfg.http_out.hash_key));
	mem_account_init(&W.mem_d, "dissector", 0);
	mem_account_init(&W.mem_i, "inventory", 0);
	mem_account_init(&W.mem_b, "baseline", 0);
	mem_account_init(&W.mem_x, "detect", 0);
	mem_account_init(&W.mem_s, "spec", 0);
	W.env.cfg = &W.cfg;
	W.env.mem = &W.mem_d;
	W.env.now_us = T0;
	W.env.emit = w_emit;
	W.env.anomaly = w_anomaly;
	W.env.ud = &W;
	W.rnd = 12345;
	assert_int_equal(http1_dissector.ctx_new(&W.hctx, &W.env), 0);
	if (with_spec)
		assert_int_equal(endpoint_spec_load_mem(&W.spec, "spec.json", spec_doc,
							sizeof(spec_doc) - 1, NULL, &W.mem_s, err,
							sizeof(err)),
				 0);
	assert_int_equal(inventory_new(&W.inv, &W.cfg, W.spec, &W.mem_i, err, sizeof(err)), 0);
	bc = W.cfg.baseline;
	bc.learning_us = 10 * MIN;
	bc.min_calls = 50;
	bc.principal_min_calls = 10;
	memcpy(bc.hash_key, W.cfg.http_out.hash_key, sizeof(bc.hash_key));
	assert_int_equal(baseline_new(&W.bl, &bc, &W.mem_b, err, sizeof(err)), 0);
	assert_int_equal(detect_new(&W.det, &W.cfg.detect, W.bl, W.spec, W.cfg.http_out.hash_key,
				    w_finding, &W, &W.mem_x, err, sizeof(err)),
			 0);
}

static void w_teardown(void)
{
	detect_free(W.det);
	baseline_free(W.bl);
	inventory_free(W.inv);
	endpoint_spec_free(W.spec);
	http1_dissector.ctx_free(W.hctx);
	assert_int_equal(W.mem_x.in_use, 0);
	assert_int_equal(W.mem_d.in_use, 0);
}

static uint32_t w_rand(void)
{
	W.rnd = W.rnd * 1103515245u + 12345u;
	return (W.rnd >> 8) & 0xffffff;
}

/* One transaction from a client address at packet time t. */
static void w_call(uint64_t t, const char *ip, const char *req, const char *resp_status,
		   const char *resp_ctype, const char *resp_body)
{
	static char resp[300000];
	void *st;
	int n;

	memset(&W.flow, 0, sizeof(W.flow));
	W.flow.key.ip_version = 4;
	W.flow.key.proto = 6;
	inet_pton(AF_INET, ip, W.flow.key.addr[0].b);
	inet_pton(AF_INET, "192.0.2.1", W.flow.key.addr[1].b);
	W.flow.key.port[1] = 80;
	W.flow.addr[0] = W.flow.key.addr[0];
	W.flow.addr[1] = W.flow.key.addr[1];
	W.flow.port[1] = 80;
	W.env.now_us = t;
	n = snprintf(resp, sizeof(resp),
		     "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n%s",
		     resp_status, resp_ctype, strlen(resp_body), resp_body);
	st = http1_dissector.state_new(W.hctx, &W.flow);
	assert_non_null(st);
	assert_int_equal(http1_dissector.on_data(st, 0, (const uint8_t *)req, strlen(req)), 0);
	http1_dissector.on_packet(st, 0);
	assert_int_equal(http1_dissector.on_data(st, 1, (const uint8_t *)resp, (size_t)n), 0);
	http1_dissector.on_packet(st, 1);
	http1_dissector.state_free(st);
}

/* A request of user u (its key, its app's headers); extra header lines and a JSON body. */
static const char *w_req(int u, const char *method, const char *path, const char *extra,
			 const char *body)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf),
		 "%s %s HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: ExampleApp/3.2 (%s)\r\n"
		 "X-API-Key: key-%d-abcdefghijklmnop\r\nX-App-Version: 3.2.1\r\nX-App-Attest: "
		 "att-%d\r\nAccept: application/json\r\n%s%s%s%zu\r\n\r\n%s",
		 method, path, u % 2 ? "iOS" : "Android", u, u, extra ? extra : "",
		 body ? "Content-Type: application/json\r\n" : "",
		 "Content-Length: ", body ? strlen(body) : 0, body ? body : "");
	return buf;
}

static const char *w_ip(int u)
{
	static char buf[32];

	snprintf(buf, sizeof(buf), "10.0.1.%d", u + 1);
	return buf;
}

/* A login of user (JSON body), without credentials, from the app. */
static void w_login(uint64_t t, const char *ip, const char *user, const char *status)
{
	char req[1024], body[200];

	snprintf(body, sizeof(body), "{\"username\":\"%s\",\"password\":\"guess\"}", user);
	snprintf(req, sizeof(req),
		 "POST /api/login HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: ExampleApp/3.2 "
		 "(iOS)\r\nX-App-Version: 3.2.1\r\nX-App-Attest: att-1\r\nAccept: "
		 "application/json\r\nContent-Type: application/json\r\nContent-Length: "
		 "%zu\r\n\r\n%s",
		 strlen(body), body);
	w_call(t, ip, req, status, "application/json", "{}");
}

enum { K_ITEM, K_ORDERS, K_PROFILE, K_LOGIN, K_ADMIN };

static int w_ev_cmp(const void *a, const void *b)
{
	const w_event_t *x = a, *y = b;

	return x->t < y->t ? -1 : x->t > y->t;
}

static void w_add(uint64_t t, int kind, int user, int arg)
{
	if (W.nev < sizeof(W.ev) / sizeof(W.ev[0]))
		W.ev[W.nev++] = (w_event_t){t, kind, user, arg};
}

static void w_normal_one(const w_event_t *e, int minute)
{
	char path[128], body[256];
	int u = e->user;

	switch (e->kind) {
	case K_ITEM:
		snprintf(path, sizeof(path), "/api/items/%d", u * 100 + e->arg);
		snprintf(body, sizeof(body), "{\"id\":%d,\"name\":\"item\",\"price\":12}",
			 u * 100 + e->arg);
		w_call(e->t, w_ip(u), w_req(u, "GET", path, NULL, NULL), "200 OK",
		       "application/json", body);
		break;
	case K_ORDERS:
		w_call(e->t, w_ip(u), w_req(u, "GET", "/api/orders", NULL, NULL), "200 OK",
		       "application/json",
		       e->arg % 2 ? "[{\"id\":1,\"total\":3},{\"id\":2,\"total\":5},{\"id\":3,"
				    "\"total\":8}]"
				  : "[{\"id\":1,\"total\":3},{\"id\":2,\"total\":5},{\"id\":3,"
				    "\"total\":8},{\"id\":4,\"total\":1}]");
		break;
	case K_PROFILE:
		w_call(e->t, w_ip(u),
		       w_req(u, "POST", "/api/profile", NULL, "{\"name\":\"n\",\"bio\":\"hello\"}"),
		       "200 OK", "application/json", "{\"ok\":true}");
		break;
	case K_LOGIN:
		/* A login carries no API key: it is how the app gets one. */
		snprintf(path, 32, "user%d", u);
		w_login(e->t, w_ip(u), path,
			(minute * 7 + e->arg) % 13 == 0 ? "401 Unauthorized" : "200 OK");
		break;
	case K_ADMIN:
		snprintf(path, sizeof(path), "/api/admin/users/%d", 500 + e->arg);
		w_call(e->t, w_ip(0), w_req(0, "DELETE", path, NULL, NULL), "200 OK",
		       "application/json", "{}");
		break;
	}
}

/* One minute of normal traffic, plus the attack's own events (added by attack before). */
typedef void (*w_attack_fn)(int minute);

static void w_minute(int m, w_attack_fn attack, void (*replace)(w_event_t *e, int m))
{
	uint64_t base = T0 + (uint64_t)m * MIN;
	unsigned i;
	int u, k;

	W.nev = 0;
	for (u = 0; u < NUSERS; u++) {
		for (k = 0; k < 6; k++)
			w_add(base + w_rand() % MIN, K_ITEM, u, (int)(w_rand() % 5));
		w_add(base + w_rand() % MIN, K_ORDERS, u, (int)(w_rand() % 2));
		if ((u + m) % 5 == 0)
			w_add(base + w_rand() % MIN, K_PROFILE, u, 0);
	}
	for (k = 0; k < 5; k++)
		w_add(base + w_rand() % MIN, K_LOGIN, (m * 5 + k) % NUSERS, k);
	for (k = 0; k < 4; k++)
		w_add(base + w_rand() % MIN, K_ADMIN, 0, (int)(w_rand() % 50));
	if (attack)
		attack(m);
	qsort(W.ev, W.nev, sizeof(W.ev[0]), w_ev_cmp);
	for (i = 0; i < W.nev; i++) {
		if (W.ev[i].kind >= 100) {
			if (replace)
				replace(&W.ev[i], m);
			continue;
		}
		w_normal_one(&W.ev[i], m);
	}
}

/* Events of kind >= 100 are the attack's, played by the test's replace function. */
static void w_run(int minutes, w_attack_fn attack, void (*play)(w_event_t *e, int m),
		  int attack_from)
{
	int m;

	for (m = 0; m < minutes; m++)
		w_minute(m, m >= attack_from ? attack : NULL, play);
}

static unsigned w_count(const char *name)
{
	unsigned i, n = 0;

	for (i = 0; i < W.nfound; i++)
		if (strcmp(W.found[i].name, name) == 0)
			n++;
	return n;
}

/* The attack fired `name` with `owasp`, and every finding's name starts with one of the
 * comma-separated family prefixes. */
static void w_expect(const char *name, const char *owasp, const char *families)
{
	unsigned i;

	for (i = 0; i < W.nfound; i++) {
		const char *f = families;
		int ok = 0;

		while (*f && !ok) {
			size_t n = strcspn(f, ",");

			ok = strncmp(W.found[i].name, f, n) == 0;
			f += n + (f[n] == ',');
		}
		if (!ok)
			fail_msg("unexpected finding %s (%s)", W.found[i].name, W.found[i].owasp);
		if (strcmp(W.found[i].name, name) == 0)
			assert_string_equal(W.found[i].owasp, owasp);
	}
	if (!w_count(name))
		fail_msg("%s did not fire (%u findings)", name, W.nfound);
}

/* ------------------------------------------------------------------------------------------ */
/* Normal traffic */

static void test_quiet(void **state)
{
	unsigned i;

	(void)state;
	w_setup(0);
	w_run(LEARN_MIN + 10, NULL, NULL, 0);
	for (i = 0; i < W.nfound; i++)
		print_message("finding: %s\n", W.found[i].name);
	assert_int_equal(W.nfound, 0);
	/* The baselines armed: the detectors were really looking. */
	assert_true(detect_counters(W.det)->view_reads > 0);
	{
		dt_endpoint_t *e = NULL;
		unsigned n = 0, armed = 0;

		for (i = 0; i < W.det->t[DETECT_T_ENDPOINTS].c->capacity; i++) {
			e = (dt_endpoint_t *)(void *)(W.det->t[DETECT_T_ENDPOINTS].slots +
						      i * W.det->t[DETECT_T_ENDPOINTS].stride);
			/* Endpoints; a host's 5xx entry and sibling families are not known. */
			if (W.det->t[DETECT_T_ENDPOINTS].keys[i] && e->known) {
				n++;
				armed += e->armed;
			}
		}
		assert_int_equal(n, 5);
		assert_int_equal(armed, 5);
	}
	w_teardown();
}

/* ------------------------------------------------------------------------------------------ */
/* API1 */

static void atk_enum(int m)
{
	int k;

	if (m == LEARN_MIN + 1)
		for (k = 0; k < 60; k++)
			w_add(T0 + (uint64_t)m * MIN + w_rand() % MIN, 100, 3, 0);
}

static void play_enum(w_event_t *e, int m)
{
	char path[64];

	(void)m;
	snprintf(path, sizeof(path), "/api/items/%d", (int)(w_rand() % 1900) + 7);
	w_call(e->t, w_ip(3), w_req(3, "GET", path, NULL, NULL), "200 OK", "application/json",
	       "{\"id\":1,\"name\":\"item\",\"price\":12}");
}

static void test_bola_enumeration(void **state)
{
	(void)state;
	w_setup(0);
	w_run(LEARN_MIN + 3, atk_enum, play_enum, 0);
	w_expect("bola_enumeration", ALERT_OWASP_API1, "bola_");
	w_teardown();
}

static int walk_next;

static void atk_walk(int m)
{
	int k;

	if (m == LEARN_MIN + 1)
		for (k = 0; k < 22; k++)
			w_add(T0 + (uint64_t)m * MIN + 1000000ull * (uint64_t)(k * 2 + 1) +
				      w_rand() % 1000000,
			      100, 3, 0);
}

static void play_walk(w_event_t *e, int m)
{
	char path[64];

	(void)m;
	snprintf(path, sizeof(path), "/api/items/%d", 5000 + walk_next++);
	w_call(e->t, w_ip(3), w_req(3, "GET", path, NULL, NULL), "200 OK", "application/json",
	       "{\"id\":1,\"name\":\"item\",\"price\":12}");
}

static void test_bola_walk(void **state)
{
	(void)state;
	w_setup(0);
	walk_next = 0;
	w_run(LEARN_MIN + 3, atk_walk, play_walk, 0);
	w_expect("bola_sequential_walk", ALERT_OWASP_API1, "bola_");
	w_teardown();
}

static void atk_denied(int m)
{
	int k;

	if (m == LEARN_MIN + 1)
		for (k = 0; k < 20; k++)
			w_add(T0 + (uint64_t)m * MIN + w_rand() % MIN, 100, 4, 0);
}

static void play_denied(w_event_t *e, int m)
{
	char path[64];

	(void)m;
	snprintf(path, sizeof(path), "/api/items/%d", (int)(w_rand() % 1000) * 2 + 3);
	w_call(e->t, w_ip(4), w_req(4, "GET", path, NULL, NULL), "403 Forbidden",
	       "application/json", "{\"error\":\"forbidden\"}");
}

static void test_bola_denied(void **state)
{
	(void)state;
	w_setup(0);
	w_run(LEARN_MIN + 3, atk_denied, play_denied, 0);
	w_expect("bola_denied_burst", ALERT_OWASP_API1, "bola_");
	w_teardown();
}

static void atk_shared(int m)
{
	if (m == LEARN_MIN + 1)
		w_add(T0 + (uint64_t)m * MIN + 30000000ull, 100, 9, 0);
}

static void play_shared(w_event_t *e, int m)
{
	(void)m;
	/* User 9 reads an object of user 2 (2xx): objects here have one reader. */
	w_call(e->t, w_ip(9), w_req(9, "GET", "/api/items/201", NULL, NULL), "200 OK",
	       "application/json", "{\"id\":201,\"name\":\"item\",\"price\":12}");
}

static void test_bola_shared(void **state)
{
	(void)state;
	w_setup(0);
	w_run(LEARN_MIN + 3, atk_shared, play_shared, 0);
	w_expect("bola_shared_object", ALERT_OWASP_API1, "bola_shared_object");
	w_teardown();
}

/* ------------------------------------------------------------------------------------------ */
/* API2 */

static int atk_n;

static void atk_login(int m)
{
	int k;

	if (m == LEARN_MIN + 1 || m == LEARN_MIN + 2)
		for (k = 0; k < 25; k++)
			w_add(T0 + (uint64_t)m * MIN + w_rand() % MIN, 100, 0, 0);
}

static void play_stuffing2(w_event_t *e, int m)
{
	char user[64];

	(void)m;
	snprintf(user, sizeof(user), "victim%d@example.com", atk_n++);
	w_login(e->t, "203.0.113.9", user, "401 Unauthorized");
}

static void test_auth_stuffing(void **state)
{
	(void)state;
	w_setup(0);
	atk_n = 0;
	w_run(LEARN_MIN + 4, atk_login, play_stuffing2, 0);
	w_expect("auth_stuffing", ALERT_OWASP_API2, "auth_");
	w_teardown();
}

static void play_brute(w_event_t *e, int m)
{
	(void)m;
	w_login(e->t, "203.0.113.10", "alice@example.com", "401 Unauthorized");
}

static void test_auth_bruteforce(void **state)
{
	(void)state;
	w_setup(0);
	w_run(LEARN_MIN + 4, atk_login, play_brute, 0);
	w_expect("auth_bruteforce", ALERT_OWASP_API2, "auth_");
	assert_int_equal(w_count("auth_stuffing"), 0);
	w_teardown();
}

static void atk_success(int m)
{
	int k;

	if (m == LEARN_MIN + 1)
		for (k = 0; k < 7; k++)
			w_add(T0 + (uint64_t)m * MIN + 5000000ull * (uint64_t)(k + 1), 100, 0, k);
}

static void play_success(w_event_t *e, int m)
{
	(void)m;
	w_login(e->t, "203.0.113.11", "bob@example.com",
		e->arg == 6 ? "200 OK" : "401 Unauthorized");
}

static void test_auth_success_after_failures(void **state)
{
	(void)state;
	w_setup(0);
	w_run(LEARN_MIN + 3, atk_success, play_success, 0);
	w_expect("auth_success_after_failures", ALERT_OWASP_API2, "auth_");
	assert_int_equal(w_count("auth_bruteforce"), 0);
	w_teardown();
}

static void atk_distributed(int m)
{
	int k;

	if (m == LEARN_MIN + 1)
		for (k = 0; k < 45; k++)
			w_add(T0 + (uint64_t)m * MIN + w_rand() % MIN, 100, 0, k);
}

static void play_distributed(w_event_t *e, int m)
{
	char ip[32], user[64];

	(void)m;
	snprintf(ip, sizeof(ip), "198.51.100.%d", e->arg + 1);
	snprintf(user, sizeof(user), "someone%d@example.com", e->arg);
	w_login(e->t, ip, user, "401 Unauthorized");
}

static void test_auth_distributed(void **state)
{
	(void)state;
	w_setup(0);
	w_run(LEARN_MIN + 3, atk_distributed, play_distributed, 0);
	w_expect("auth_stuffing_distributed", ALERT_OWASP_API2, "auth_");
	assert_int_equal(w_count("auth_stuffing"), 0);
	w_teardown();
}

static void atk_sharing(int m)
{
	int k;

	if (m >= LEARN_MIN + 1 && m < LEARN_MIN + 4)
		for (k = 0; k < 5; k++)
			w_add(T0 + (uint64_t)m * MIN + w_rand() % MIN, 100, 5, (m * 5 + k) % 14);
}

static void play_sharing(w_event_t *e, int m)
{
	char ip[32];

	(void)m;
	snprintf(ip, sizeof(ip), "100.64.%d.7", e->arg + 1);
	w_call(e->t, ip, w_req(5, "GET", "/api/items/501", NULL, NULL), "200 OK",
	       "application/json", "{\"id\":501,\"name\":\"item\",\"price\":12}");
}

static void test_credential_sharing(void **state)
{
	(void)state;
	w_setup(0);
	w_run(LEARN_MIN + 5, atk_sharing, play_sharing, 0);
	w_expect("credential_sharing", ALERT_OWASP_API2, "credential_sharing");
	w_teardown();
}

static void atk_jwt(int m)
{
	if (m == 3) /* a rule: no baseline needed */
		w_add(T0 + (uint64_t)m * MIN + 20000000ull, 100, 0, 0);
}

static void play_jwt(w_event_t *e, int m)
{
	(void)m;
	w_call(e->t, "10.0.9.9",
	       "GET /api/orders HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: ExampleApp/3.2 "
	       "(iOS)\r\nAuthorization: Bearer "
	       "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJtYWxsb3J5In0.\r\nX-App-Version: "
	       "3.2.1\r\nX-App-Attest: att-1\r\nAccept: application/json\r\n\r\n",
	       "200 OK", "application/json", "[]");
}

static void test_jwt_unsigned(void **state)
{
	(void)state;
	w_setup(0);
	w_run(5, atk_jwt, play_jwt, 0);
	w_expect("jwt_unsigned", ALERT_OWASP_API2, "jwt_unsigned");
	assert_int_equal(w_count("jwt_unsigned"), 1);
	w_teardown();
}

/* ------------------------------------------------------------------------------------------ */
/* API3 */

static void atk_one(int m)
{
	if (m == LEARN_MIN + 1)
		w_add(T0 + (uint64_t)m * MIN + 30000000ull, 100, 6, 0);
}

static void play_big(w_event_t *e, int m)
{
	static char body[200000];

	(void)m;
	memset(body, 'a', sizeof(body));
	memcpy(body, "{\"id\":601,\"blob\":\"", 18);
	memcpy(body + sizeof(body) - 3, "\"}", 3);
	w_call(e->t, w_ip(6), w_req(6, "GET", "/api/items/601", NULL, NULL), "200 OK",
	       "application/json", body);
}

static void test_data_exposure_bytes(void **state)
{
	(void)state;
	w_setup(0);
	w_run(LEARN_MIN + 3, atk_one, play_big, 0);
	w_expect("data_exposure", ALERT_OWASP_API3, "data_exposure");
	w_teardown();
}

static void play_records(w_event_t *e, int m)
{
	static char body[40000];
	size_t o = 1;
	int i;

	(void)m;
	body[0] = '[';
	for (i = 0; i < 1000; i++)
		o += (size_t)snprintf(body + o, sizeof(body) - o, "%s{\"id\":%d}", i ? "," : "", i);
	snprintf(body + o, sizeof(body) - o, "]");
	w_call(e->t, w_ip(6), w_req(6, "GET", "/api/orders", NULL, NULL), "200 OK",
	       "application/json", body);
}

static void test_data_exposure_records(void **state)
{
	(void)state;
	w_setup(0);
	w_run(LEARN_MIN + 3, atk_one, play_records, 0);
	w_expect("data_exposure_records", ALERT_OWASP_API3, "data_exposure");
	assert_int_equal(w_count("data_exposure"), 0);
	w_teardown();
}

static void replace_sensitive(w_event_t *e, int m)
{
	char path[64];

	(void)m;
	snprintf(path, sizeof(path), "/api/items/%d", e->user * 100 + e->arg);
	w_call(e->t, w_ip(e->user), w_req(e->user, "GET", path, NULL, NULL), "200 OK",
	       "application/json",
	       "{\"id\":7,\"name\":\"item\",\"owner_email\":\"jane.doe@example.com\"}");
}

static void atk_sensitive(int m)
{
	unsigned i;

	/* Every item read of this minute leaks an e-mail address (a bad deploy). */
	if (m != LEARN_MIN + 1)
		return;
	for (i = 0; i < W.nev; i++)
		if (W.ev[i].kind == K_ITEM)
			W.ev[i].kind = 100;
}

static void test_sensitive_new(void **state)
{
	(void)state;
	w_setup(0);
	w_run(LEARN_MIN + 3, atk_sensitive, replace_sensitive, 0);
	w_expect("sensitive_new", ALERT_OWASP_API3, "sensitive_new");
	w_teardown();
}

static void play_mass(w_event_t *e, int m)
{
	(void)m;
	w_call(e->t, w_ip(6),
	       w_req(6, "POST", "/api/profile", NULL,
		     "{\"name\":\"n\",\"bio\":\"hi\",\"role\":\"admin\"}"),
	       "200 OK", "application/json", "{\"ok\":true}");
}

static void test_mass_assignment(void **state)
{
	(void)state;
	w_setup(0);
	w_run(LEARN_MIN + 3, atk_one, play_mass, 0);
	w_expect("mass_assignment", ALERT_OWASP_API3, "mass_assignment");
	w_teardown();
}

/* ------------------------------------------------------------------------------------------ */
/* API4 */

static void atk_rate(int m)
{
	int k;

	if (m == LEARN_MIN + 1 || m == LEARN_MIN + 2)
		for (k = 0; k < 400; k++)
			w_add(T0 + (uint64_t)m * MIN + w_rand() % MIN, 100, 4, k % 5);
}

static void play_rate(w_event_t *e, int m)
{
	char path[64];

	(void)m;
	snprintf(path, sizeof(path), "/api/items/%d", 400 + e->arg);
	w_call(e->t, w_ip(4), w_req(4, "GET", path, NULL, NULL), "200 OK", "application/json",
	       "{\"id\":400,\"name\":\"item\",\"price\":12}");
}

static void test_rate_spike(void **state)
{
	(void)state;
	w_setup(0);
	w_run(LEARN_MIN + 3, atk_rate, play_rate, 0);
	w_expect("rate_spike_principal", ALERT_OWASP_API4, "rate_spike");
	assert_true(w_count("rate_spike_endpoint") > 0);
	assert_true(w_count("rate_spike_client") > 0);
	w_teardown();
}

static void replace_errors(w_event_t *e, int m)
{
	(void)m;
	w_call(e->t, w_ip(e->user), w_req(e->user, "GET", "/api/items/3", NULL, NULL),
	       "503 Service Unavailable", "application/json", "{\"error\":\"down\"}");
}

static void atk_errors(int m)
{
	unsigned i;

	if (m != LEARN_MIN + 1)
		return;
	for (i = 0; i < W.nev; i++)
		if (W.ev[i].kind == K_ITEM && W.ev[i].user < 8)
			W.ev[i].kind = 100;
}

static void test_error_spike(void **state)
{
	(void)state;
	w_setup(0);
	w_run(LEARN_MIN + 3, atk_errors, replace_errors, 0);
	w_expect("error_spike", ALERT_OWASP_API8, "error_spike");
	w_teardown();
}

/* An outage spread over a host's endpoints, each below error-spike.min on its own. */
static void replace_errors_spread(w_event_t *e, int m)
{
	(void)m;
	w_call(e->t, w_ip(e->user),
	       w_req(e->user, "GET", e->arg ? "/api/orders" : "/api/items/3", NULL, NULL),
	       "503 Service Unavailable", "application/json", "{\"error\":\"down\"}");
}

static void atk_errors_spread(int m)
{
	unsigned i;

	if (m != LEARN_MIN + 1)
		return;
	for (i = 0; i < W.nev; i++) {
		if (W.ev[i].kind == K_ITEM && W.ev[i].user < 2)
			W.ev[i] = (w_event_t){W.ev[i].t, 100, W.ev[i].user, 0};
		else if (W.ev[i].kind == K_ORDERS && W.ev[i].user < 10)
			W.ev[i] = (w_event_t){W.ev[i].t, 100, W.ev[i].user, 1};
	}
}

static void test_error_spike_host(void **state)
{
	(void)state;
	w_setup(0);
	w_run(LEARN_MIN + 3, atk_errors_spread, replace_errors_spread, 0);
	w_expect("error_spike", ALERT_OWASP_API8, "error_spike");
	w_teardown();
}

/* ------------------------------------------------------------------------------------------ */
/* API5, API6 */

/* A user refused on an admin function it never called: a probe above its role. */
static void play_admin_probe(w_event_t *e, int m)
{
	(void)m;
	w_call(e->t, w_ip(5), w_req(5, "DELETE", "/api/admin/users/7", NULL, NULL), "403 Forbidden",
	       "application/json", "{\"error\":\"forbidden\"}");
}

static void test_function_authz_refused(void **state)
{
	(void)state;
	w_setup(0);
	w_run(LEARN_MIN + 3, atk_one, play_admin_probe, 0);
	w_expect("function_authz", ALERT_OWASP_API5, "function_authz");
	w_teardown();
}

static void play_authz(w_event_t *e, int m)
{
	(void)m;
	w_call(e->t, w_ip(7), w_req(7, "DELETE", "/api/admin/users/520", NULL, NULL), "200 OK",
	       "application/json", "{}");
}

static void test_function_authz(void **state)
{
	(void)state;
	w_setup(0);
	w_run(LEARN_MIN + 3, atk_one, play_authz, 0);
	w_expect("function_authz", ALERT_OWASP_API5, "function_authz");
	w_teardown();
}

static int scrape_next;

static void atk_scrape(int m)
{
	int k;

	/* One call every 5 s (+- 0.2 s) by a principal of its own, over the whole window. */
	if (m >= LEARN_MIN)
		for (k = 0; k < 12; k++)
			w_add(T0 + (uint64_t)m * MIN + 5000000ull * (uint64_t)k + w_rand() % 400000,
			      100, 0, 0);
}

static void play_scrape(w_event_t *e, int m)
{
	char path[64], req[1024];

	(void)m;
	/* Distinct product IDs, in a shuffled order (not a walk), nobody else reads. */
	snprintf(path, sizeof(path), "/api/items/%d", 10000 + (scrape_next++ * 37) % 5000);
	snprintf(req, sizeof(req),
		 "GET %s HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: ExampleApp/3.2 (iOS)\r\n"
		 "X-API-Key: scraper-key-0123456789\r\nX-App-Version: 3.2.1\r\nX-App-Attest: "
		 "att-1\r\nAccept: application/json\r\n\r\n",
		 path);
	w_call(e->t, "198.18.0.5", req, "200 OK", "application/json",
	       "{\"id\":1,\"name\":\"item\",\"price\":12}");
}

static void test_scraping(void **state)
{
	(void)state;
	w_setup(0);
	scrape_next = 0;
	w_run(LEARN_MIN + 12, atk_scrape, play_scrape, 0);
	w_expect("scraping", ALERT_OWASP_API6, "scraping");
	w_teardown();
}

/* ------------------------------------------------------------------------------------------ */
/* Impersonation, unauthenticated calls, shadow endpoints */

static void atk_many(int m)
{
	int k;

	if (m == LEARN_MIN + 1)
		for (k = 0; k < 10; k++)
			w_add(T0 + (uint64_t)m * MIN + w_rand() % MIN, 100, 8, k);
}

static void play_no_headers(w_event_t *e, int m)
{
	(void)m;
	/* The app's key, lifted and replayed by a script without the app's headers. */
	w_call(e->t, "198.18.0.9",
	       "GET /api/items/801 HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: ExampleApp/3.2 "
	       "(iOS)\r\nX-API-Key: key-8-abcdefghijklmnop\r\nAccept: application/json\r\n\r\n",
	       "200 OK", "application/json", "{\"id\":801,\"name\":\"item\",\"price\":12}");
}

static void test_impersonation_headers(void **state)
{
	(void)state;
	w_setup(0);
	w_run(LEARN_MIN + 3, atk_many, play_no_headers, 0);
	w_expect("impersonation_headers", ALERT_OWASP_API6, "impersonation");
	w_teardown();
}

/* The same script, slowly: three calls a minute to the orders list, never five in one
 * minute, for four minutes. */
static void atk_slow(int m)
{
	int k;

	if (m > LEARN_MIN && m <= LEARN_MIN + 4)
		for (k = 0; k < 3; k++)
			w_add(T0 + (uint64_t)m * MIN + (uint64_t)k * 20000000ull + 1000, 100, 8, k);
}

static void play_no_headers_slow(w_event_t *e, int m)
{
	(void)m;
	w_call(e->t, "198.18.0.9",
	       "GET /api/orders HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: ExampleApp/3.2 "
	       "(iOS)\r\nX-API-Key: key-8-abcdefghijklmnop\r\nAccept: application/json\r\n\r\n",
	       "200 OK", "application/json", "[{\"id\":1,\"total\":3}]");
}

static void test_impersonation_slow(void **state)
{
	(void)state;
	w_setup(0);
	w_run(LEARN_MIN + 6, atk_slow, play_no_headers_slow, 0);
	w_expect("impersonation_headers", ALERT_OWASP_API6, "impersonation");
	w_teardown();
}

/* An anonymous client walking public-looking IDs is scraping's business, not BOLA's: no
 * credential, no object of its own. */
static void play_anon_walk(w_event_t *e, int m)
{
	char req[512];

	snprintf(req, sizeof(req),
		 "GET /api/items/%d HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: "
		 "ExampleApp/3.2 (iOS)\r\nX-App-Version: 3.2.1\r\nX-App-Attest: att-1\r\nAccept: "
		 "application/json\r\n\r\n",
		 1000 + m * 60 + e->arg);
	w_call(e->t, "198.18.0.20", req, "200 OK", "application/json",
	       "{\"id\":1,\"name\":\"item\",\"price\":12}");
}

static void atk_walk_anon(int m)
{
	int k;

	if (m == LEARN_MIN + 1)
		for (k = 0; k < 60; k++)
			w_add(T0 + (uint64_t)m * MIN + (uint64_t)k * 1000000ull, 100, 0, k);
}

static void test_bola_anonymous(void **state)
{
	(void)state;
	w_setup(0);
	w_run(LEARN_MIN + 3, atk_walk_anon, play_anon_walk, 0);
	assert_int_equal(w_count("bola_sequential_walk"), 0);
	assert_int_equal(w_count("bola_enumeration"), 0);
	assert_int_equal(w_count("bola_denied_burst"), 0);
	/* It was seen, as what it is: a call without the credential every other call has. */
	assert_true(w_count("unauthenticated") > 0);
	w_teardown();
}

static void play_agent(w_event_t *e, int m)
{
	(void)m;
	w_call(e->t, w_ip(8),
	       "GET /api/items/801 HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: "
	       "python-requests/2.31\r\nX-API-Key: key-8-abcdefghijklmnop\r\nX-App-Version: "
	       "3.2.1\r\nX-App-Attest: att-8\r\nAccept: application/json\r\n\r\n",
	       "200 OK", "application/json", "{\"id\":801,\"name\":\"item\",\"price\":12}");
}

static void test_impersonation_agent(void **state)
{
	(void)state;
	w_setup(0);
	w_run(LEARN_MIN + 3, atk_many, play_agent, 0);
	w_expect("impersonation_agent", ALERT_OWASP_API6, "impersonation_agent");
	w_teardown();
}

static void play_unauth(w_event_t *e, int m)
{
	(void)m;
	w_call(e->t, "198.18.0.10",
	       "GET /api/items/1999 HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: ExampleApp/3.2 "
	       "(iOS)\r\nX-App-Version: 3.2.1\r\nX-App-Attest: att-8\r\nAccept: "
	       "application/json\r\n\r\n",
	       "200 OK", "application/json", "{\"id\":802,\"name\":\"item\",\"price\":12}");
}

static void test_unauthenticated(void **state)
{
	(void)state;
	w_setup(0);
	w_run(LEARN_MIN + 3, atk_one, play_unauth, 0);
	w_expect("unauthenticated", ALERT_OWASP_API2, "unauthenticated");
	w_teardown();
}

static void test_shadow_endpoint(void **state)
{
	unsigned i;

	(void)state;
	/* Only GET /api/items/{id} is declared: the other four endpoints are shadows. */
	w_setup(1);
	w_run(3, NULL, NULL, 0);
	w_expect("shadow_endpoint", ALERT_OWASP_API9, "shadow_endpoint");
	for (i = 0; i < W.nfound; i++)
		assert_string_equal(W.found[i].principal, "");
	/* Every call to one of the 4 undeclared endpoints is reported (the alert grows with
	 * them): more than one per endpoint and minute. */
	assert_true(w_count("shadow_endpoint") > 12);
	w_teardown();
}

/* ------------------------------------------------------------------------------------------ */
/* Pieces */

static void test_json_records(void **state)
{
	static const char a[] = "[{\"a\":[1,2,3]},{\"b\":\"x,y\"},3]";
	static const char o[] = "{\"total\":3,\"items\":[1,2,3,4],\"tags\":[\"a\"]}";
	static const char cut[] = "[1,2,3,4,5";
	/* Escaped quotes and backslashes inside strings, nested deeper than the records. */
	static const char esc[] = "[{\"k\":\"a\\\",b\"},{\"k\":[\"\\\\\",\"]\"]},\"\\\\\",\"[x\"]";
	static const char esc_obj[] = "{\"m\\\"\":[1,{\"x\":\"]\\\"\"}],\"n\":[\"\\\\\",2]}";

	(void)state;
	assert_int_equal(dt_json_records(esc, sizeof(esc) - 1), 4);
	assert_int_equal(dt_json_records(esc_obj, sizeof(esc_obj) - 1), 2);
	assert_int_equal(dt_json_records(a, sizeof(a) - 1), 3);
	assert_int_equal(dt_json_records(o, sizeof(o) - 1), 4);
	assert_int_equal(dt_json_records("[]", 2), 0);
	assert_int_equal(dt_json_records("\"s\"", 3), -1);
	assert_int_equal(dt_json_records(cut, sizeof(cut) - 1), 5);
}

static void test_tables_capped(void **state)
{
	detect_config_t dc;
	uint64_t i;
	unsigned rc;

	(void)state;
	w_setup(0);
	detect_free(W.det);
	detect_config_default(&dc);
	dc.max_states = 64;
	{
		char err[128];

		assert_int_equal(detect_new(&W.det, &dc, W.bl, NULL, W.cfg.http_out.hash_key,
					    w_finding, &W, &W.mem_x, err, sizeof(err)),
				 0);
	}
	/* A thousand clients in one minute: the client table stays at its capacity. */
	for (i = 0; i < 1000; i++) {
		char ip[32];

		snprintf(ip, sizeof(ip), "172.16.%u.%u", (unsigned)(i / 200),
			 (unsigned)(i % 200 + 1));
		w_call(T0 + i * 1000, ip, w_req(1, "GET", "/api/items/1", NULL, NULL), "200 OK",
		       "application/json", "{}");
	}
	rc = (unsigned)detect_counters(W.det)->tables[DETECT_T_CLIENTS].entries;
	assert_int_equal(rc, 64);
	assert_true(detect_counters(W.det)->tables[DETECT_T_CLIENTS].evictions >= 900);
	w_teardown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quiet),
		cmocka_unit_test(test_bola_enumeration),
		cmocka_unit_test(test_bola_walk),
		cmocka_unit_test(test_bola_denied),
		cmocka_unit_test(test_bola_shared),
		cmocka_unit_test(test_auth_stuffing),
		cmocka_unit_test(test_auth_bruteforce),
		cmocka_unit_test(test_auth_success_after_failures),
		cmocka_unit_test(test_auth_distributed),
		cmocka_unit_test(test_credential_sharing),
		cmocka_unit_test(test_jwt_unsigned),
		cmocka_unit_test(test_data_exposure_bytes),
		cmocka_unit_test(test_data_exposure_records),
		cmocka_unit_test(test_sensitive_new),
		cmocka_unit_test(test_mass_assignment),
		cmocka_unit_test(test_rate_spike),
		cmocka_unit_test(test_error_spike),
		cmocka_unit_test(test_function_authz),
		cmocka_unit_test(test_scraping),
		cmocka_unit_test(test_impersonation_headers),
		cmocka_unit_test(test_impersonation_agent),
		cmocka_unit_test(test_impersonation_slow),
		cmocka_unit_test(test_bola_anonymous),
		cmocka_unit_test(test_error_spike_host),
		cmocka_unit_test(test_function_authz_refused),
		cmocka_unit_test(test_unauthenticated),
		cmocka_unit_test(test_shadow_endpoint),
		cmocka_unit_test(test_json_records),
		cmocka_unit_test(test_tables_capped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * alert.c - the alert stage: open alerts, their updates, and the alert event (see alert.h).
 *
 * Fed by the detectors through alert_raise with findings and the calls that showed them; feeds
 * the EVE output (alert events) and the other sinks (alert_sink.c). Open alerts live in a
 * table keyed by (detector, principal, host, method, endpoint) under a per-run SipHash key,
 * capped at alert.max-open: slots are allocated as the table first fills and reused after, so
 * a finding never allocates once the table has reached its working size. Two intrusive lists
 * order the work: every open alert by its last finding (quiet alerts close from the head; a
 * full table closes the head), and the alerts that grew since their last event (updates).
 * Nothing here reads a clock: every time comes from packet time, so replays write the same
 * alerts. Not here: what is abnormal (detectors), delivering lines to Redis or syslog.
 */
#include "alert.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alert_sink.h"
#include "config.h"
#include "error.h"
#include "output_http.h"
#include "siphash.h"

/* What an alert keeps of its key and facts; longer values are cut (the hash keeps them
 * apart: two keys that differ past the cut are still two alerts). */
#define ALERT_PRINCIPAL_MAX 160
#define ALERT_HOST_MAX 256
#define ALERT_METHOD_MAX 24
#define ALERT_ENDPOINT_MAX 512
#define ALERT_UNIT_MAX 64
#define ALERT_REASON_MAX 320
#define ALERT_EV_URL_MAX 384
#define ALERT_EV_TEMPLATE_MAX 256
#define ALERT_URL_SCRATCH (16u << 10)
#define ALERT_TEXT_MAX 1024

void alert_config_default(alert_config_t *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_open = 4096;
	cfg->evidence = 5;
	cfg->update_interval_us = 60ull * 1000000;
	cfg->idle_timeout_us = 300ull * 1000000;
	cfg->eve = 1;
	cfg->sink_queue = 1024;
	cfg->sink_drain_us = 5ull * 1000000;
	cfg->stream_maxlen = 100000;
	cfg->syslog_format = ALERT_SYSLOG_TEXT;
	cfg->syslog_max_message = 8192;
}

/* One example call, summarised: nothing of its headers or bodies. */
typedef struct alert_evidence {
	uint64_t time_us;
	uint64_t bytes; /* response body bytes (decoded when known) */
	int32_t status;
	uint16_t url_len, tmpl_len;
	uint8_t method_len;
	uint8_t url_cut; /* the URL was longer than ALERT_EV_URL_MAX */
	char method[ALERT_METHOD_MAX];
	char url[ALERT_EV_URL_MAX];
	char tmpl[ALERT_EV_TEMPLATE_MAX];
} alert_evidence_t;

typedef struct alert alert_t;
struct alert {
	alert_t *hnext; /* hash chain */
	alert_t *prev, *next; /* every open alert, least recent finding first */
	alert_t *dprev, *dnext; /* alerts that grew since their last event */
	int dirty;
	const alert_detector_t *det;
	uint64_t hash;
	uint64_t id; /* api.alert_id */
	uint64_t first_seen, last_seen, last_write;
	uint64_t count, count_written;
	uint32_t update; /* number of the next event */
	double observed, baseline; /* the highest figure seen, and its baseline */
	int has_flow;
	uint64_t tx_id;
	flow_t flow; /* the latest evidence call's flow, for the event header */
	uint16_t plen, hlen, mlen, elen, ulen, rlen;
	char principal[ALERT_PRINCIPAL_MAX];
	char host[ALERT_HOST_MAX];
	char method[ALERT_METHOD_MAX];
	char endpoint[ALERT_ENDPOINT_MAX];
	char unit[ALERT_UNIT_MAX];
	char reason[ALERT_REASON_MAX];
	uint32_t nev;
	alert_evidence_t ev[]; /* alert.evidence of them */
};

struct alerts {
	alert_config_t cfg;
	output_http_config_t privacy; /* privacy.hash-key: alert ids and URL redaction */
	output_t *out;
	mem_account_t *acct;
	alert_sinks_t *sinks;
	int eve; /* events go to the EVE output */
	int ipv6_compress; /* eve.ipv6-compress, for alert.source / alert.target */
	uint8_t key[SIPHASH_KEY_LEN]; /* the table's hash key */
	alert_t **bucket;
	uint32_t mask;
	size_t slot_size;
	uint32_t nslots; /* slots allocated (open + free) */
	alert_t *free; /* idle slots, by hnext */
	alert_t *lru_head, *lru_tail;
	alert_t *dirty_head, *dirty_tail;
	uint64_t next_due; /* earliest update due among dirty alerts; 0: none */
	uint64_t pcap_cnt;
	alert_counters_t counters;
	char *scratch; /* URL redaction */
	char text[ALERT_TEXT_MAX]; /* the short text form of the event being written */
	size_t text_len;
	unsigned severity;
};

/* ------------------------------------------------------------------------------------------ */
/* Set-up */

int alerts_new(alerts_t **out, const struct aw_config *cfg, output_t *o, mem_account_t *acct,
	       char *errbuf, size_t errlen)
{
	const alert_config_t *ac = &cfg->alert;
	alerts_t *a;
	uint32_t nb = 16;
	int eve_listed = 0, rc;

	*out = NULL;
	if (ac->max_open < 1 || ac->evidence < 1 || ac->evidence > ALERT_EVIDENCE_MAX) {
		snprintf(errbuf, errlen, "alert settings out of range");
		return AW_ECONFIG;
	}
	a = mem_calloc(acct, sizeof(*a));
	if (!a)
		return AW_ENOMEM;
	a->cfg = *ac;
	a->privacy = cfg->http_out;
	a->out = o;
	a->acct = acct;
	a->ipv6_compress = cfg->output.ipv6_compress;
	siphash_seed(a->key, a);
	while (nb < ac->max_open && nb < (1u << 24))
		nb <<= 1;
	a->mask = nb - 1;
	a->slot_size = sizeof(alert_t) + (size_t)ac->evidence * sizeof(alert_evidence_t);
	a->bucket = mem_calloc(acct, (size_t)nb * sizeof(*a->bucket));
	a->scratch = mem_alloc(acct, ALERT_URL_SCRATCH);
	if (!a->bucket || !a->scratch) {
		alerts_free(a);
		return AW_ENOMEM;
	}
	rc = alert_sinks_new(&a->sinks, ac, acct, &eve_listed, errbuf, errlen);
	if (rc < 0) {
		alerts_free(a);
		return rc;
	}
	a->eve = ac->eve || eve_listed;
	*out = a;
	return 0;
}

void alerts_free(alerts_t *a)
{
	alert_t *al, *n;

	if (!a)
		return;
	alert_sinks_free(a->sinks);
	for (al = a->lru_head; al; al = n) {
		n = al->next;
		mem_free(a->acct, al, a->slot_size);
	}
	for (al = a->free; al; al = n) {
		n = al->hnext;
		mem_free(a->acct, al, a->slot_size);
	}
	mem_free(a->acct, a->bucket, ((size_t)a->mask + 1) * sizeof(*a->bucket));
	mem_free(a->acct, a->scratch, ALERT_URL_SCRATCH);
	mem_free(a->acct, a, sizeof(*a));
}

void alerts_set_pcap_cnt(alerts_t *a, uint64_t pcap_cnt)
{
	a->pcap_cnt = pcap_cnt;
}

const alert_counters_t *alert_counters(const alerts_t *a)
{
	return &a->counters;
}

unsigned alert_sink_count(const alerts_t *a)
{
	return alert_sinks_count(a->sinks);
}

void alert_sink_info(const alerts_t *a, unsigned i, alert_sink_info_t *out)
{
	alert_sinks_info(a->sinks, i, out);
}

/* ------------------------------------------------------------------------------------------ */
/* Lists */

static void alert_lru_unlink(alerts_t *a, alert_t *al)
{
	if (al->prev)
		al->prev->next = al->next;
	else
		a->lru_head = al->next;
	if (al->next)
		al->next->prev = al->prev;
	else
		a->lru_tail = al->prev;
	al->prev = al->next = NULL;
}

static void alert_lru_append(alerts_t *a, alert_t *al)
{
	al->next = NULL;
	al->prev = a->lru_tail;
	if (a->lru_tail)
		a->lru_tail->next = al;
	else
		a->lru_head = al;
	a->lru_tail = al;
}

static void alert_dirty_unlink(alerts_t *a, alert_t *al)
{
	if (!al->dirty)
		return;
	if (al->dprev)
		al->dprev->dnext = al->dnext;
	else
		a->dirty_head = al->dnext;
	if (al->dnext)
		al->dnext->dprev = al->dprev;
	else
		a->dirty_tail = al->dprev;
	al->dprev = al->dnext = NULL;
	al->dirty = 0;
}

static void alert_dirty_append(alerts_t *a, alert_t *al)
{
	uint64_t due = al->last_write + a->cfg.update_interval_us;

	if (al->dirty)
		return;
	al->dirty = 1;
	al->dnext = NULL;
	al->dprev = a->dirty_tail;
	if (a->dirty_tail)
		a->dirty_tail->dnext = al;
	else
		a->dirty_head = al;
	a->dirty_tail = al;
	if (!a->next_due || due < a->next_due)
		a->next_due = due;
}

/* ------------------------------------------------------------------------------------------ */
/* Keys */

static size_t alert_cut(size_t n, size_t cap)
{
	return n < cap ? n : cap;
}

static uint64_t alert_hash(const alerts_t *a, const alert_finding_t *f)
{
	const aw_slice_t *parts[4] = {&f->principal, &f->host, &f->method, &f->endpoint};
	uint64_t h[5];
	int i;

	/* Each part hashed on its own, then the five together: no separator can be forged. */
	for (i = 0; i < 4; i++)
		h[i] = siphash13(a->key, parts[i]->ptr ? parts[i]->ptr : "", parts[i]->len);
	h[4] = (uint64_t)(uintptr_t)f->det;
	return siphash13(a->key, h, sizeof(h));
}

static int alert_same(const alert_t *al, const alert_finding_t *f, uint64_t hash)
{
	return al->hash == hash && al->det == f->det &&
	       al->plen == alert_cut(f->principal.len, ALERT_PRINCIPAL_MAX) &&
	       al->hlen == alert_cut(f->host.len, ALERT_HOST_MAX) &&
	       al->mlen == alert_cut(f->method.len, ALERT_METHOD_MAX) &&
	       al->elen == alert_cut(f->endpoint.len, ALERT_ENDPOINT_MAX) &&
	       (!al->plen || memcmp(al->principal, f->principal.ptr, al->plen) == 0) &&
	       (!al->hlen || memcmp(al->host, f->host.ptr, al->hlen) == 0) &&
	       (!al->mlen || memcmp(al->method, f->method.ptr, al->mlen) == 0) &&
	       (!al->elen || memcmp(al->endpoint, f->endpoint.ptr, al->elen) == 0);
}

static alert_t *alert_find(alerts_t *a, const alert_finding_t *f, uint64_t hash)
{
	alert_t *al;

	for (al = a->bucket[hash & a->mask]; al; al = al->hnext)
		if (alert_same(al, f, hash))
			return al;
	return NULL;
}

static void alert_unhash(alerts_t *a, alert_t *al)
{
	alert_t **pp = &a->bucket[al->hash & a->mask];

	while (*pp && *pp != al)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = al->hnext;
	al->hnext = NULL;
}

/* Copies up to cap bytes of s into dst; the length kept. */
static uint16_t alert_keep(char *dst, size_t cap, const aw_slice_t *s)
{
	size_t n = alert_cut(s->len, cap);

	if (n)
		memcpy(dst, s->ptr, n);
	return (uint16_t)n;
}

static uint16_t alert_keep_str(char *dst, size_t cap, const char *s)
{
	aw_slice_t sl = {s ? s : "", s ? strlen(s) : 0};

	return alert_keep(dst, cap, &sl);
}

/* api.alert_id: a SipHash-2-4 under privacy.hash-key of the stored key and the first
 * finding's time, so that it is the same on every replay, and the same on two sensors only for
 * the same alert. */
static uint64_t alert_make_id(const alerts_t *a, const alert_t *al)
{
	const uint8_t *k = a->privacy.hash_key;
	uint64_t parts[6];

	parts[0] = siphash24(k, al->det->name, strlen(al->det->name));
	parts[1] = siphash24(k, al->principal, al->plen);
	parts[2] = siphash24(k, al->host, al->hlen);
	parts[3] = siphash24(k, al->method, al->mlen);
	parts[4] = siphash24(k, al->endpoint, al->elen);
	parts[5] = al->first_seen;
	return siphash24(k, parts, sizeof(parts));
}

/* ------------------------------------------------------------------------------------------ */
/* Evidence */

/* The call's URL with its secret query parameters redacted, cut to the evidence's room. */
static void alert_evidence_url(alerts_t *a, alert_evidence_t *ev, const api_call_t *c)
{
	const char *u = c->url.ptr ? c->url.ptr : "";
	size_t n = c->url.len;
	size_t m = output_http_redact_url(&a->privacy, u, n, a->scratch, ALERT_URL_SCRATCH);

	if (m == OUTPUT_HTTP_URL_TOO_LONG) {
		/* A secret in a query too long to rewrite: the query is left out, as in http
		 * events. */
		const char *q = memchr(u, '?', n);

		m = (size_t)(q - u);
		if (m > ALERT_URL_SCRATCH - 9)
			m = ALERT_URL_SCRATCH - 9;
		memcpy(a->scratch, u, m);
		memcpy(a->scratch + m, "?redacted", 9);
		m += 9;
		u = a->scratch;
	} else if (m) {
		u = a->scratch;
	} else {
		m = n;
	}
	ev->url_cut = m > ALERT_EV_URL_MAX;
	ev->url_len = (uint16_t)alert_cut(m, ALERT_EV_URL_MAX);
	if (ev->url_len)
		memcpy(ev->url, u, ev->url_len);
}

/* Keeps the call as evidence: the first alert.evidence - 1 calls stay, the last place holds
 * the latest call. Its flow becomes the event header's. */
static void alert_evidence_put(alerts_t *a, alert_t *al, const api_call_t *c)
{
	alert_evidence_t *ev;
	const api_message_t *r = &c->resp;

	if (al->nev < a->cfg.evidence)
		ev = &al->ev[al->nev++];
	else
		ev = &al->ev[a->cfg.evidence - 1];
	ev->time_us = c->req.first_us ? c->req.first_us : c->resp.first_us;
	ev->status = c->status;
	ev->bytes = r->body_bytes != API_SIZE_UNKNOWN ? r->body_bytes : r->body_wire_bytes;
	ev->method_len = (uint8_t)alert_keep(ev->method, sizeof(ev->method), &c->method);
	ev->tmpl_len = alert_keep(ev->tmpl, sizeof(ev->tmpl), &c->endpoint);
	alert_evidence_url(a, ev, c);
	al->has_flow = c->flow != NULL;
	if (c->flow) {
		al->flow = *c->flow;
		/* Only the fields the header reads are the flow's; nothing it points at. */
		al->flow.hnext = al->flow.lru_prev = al->flow.lru_next = NULL;
		al->flow.l7 = al->flow.tcp = al->flow.dissector_state = NULL;
		al->flow.dissector = NULL;
	}
	al->tx_id = c->tx_id;
}

/* ------------------------------------------------------------------------------------------ */
/* The alert event */

static void alert_json_addr(alerts_t *a, json_buf_t *jb, const char *key, const alert_t *al,
			    int side)
{
	char ip[64];

	output_format_addr(ip, sizeof(ip), &al->flow.addr[side], al->flow.key.ip_version,
			   a->ipv6_compress);
	json_open_object(jb, key);
	json_kv_str(jb, "ip", ip);
	json_kv_u64(jb, "port", al->flow.port[side]);
	json_close_object(jb);
}

static void alert_json_alert(alerts_t *a, json_buf_t *jb, const alert_t *al)
{
	const alert_detector_t *d = al->det;

	json_open_object(jb, "alert");
	json_kv_str(jb, "action", "allowed");
	json_kv_u64(jb, "gid", 1);
	json_kv_u64(jb, "signature_id", d->signature_id);
	json_kv_u64(jb, "rev", d->rev);
	json_kv_str(jb, "signature", d->signature);
	json_kv_str(jb, "category", d->category);
	json_kv_u64(jb, "severity", d->severity);
	if (al->has_flow) {
		/* The caller is the source of an API abuse; the API server its target. */
		alert_json_addr(a, jb, "source", al, 0);
		alert_json_addr(a, jb, "target", al, 1);
	}
	json_close_object(jb);
}

static void alert_json_evidence(json_buf_t *jb, const alert_t *al)
{
	uint32_t i;

	json_open_array(jb, "evidence");
	for (i = 0; i < al->nev; i++) {
		const alert_evidence_t *ev = &al->ev[i];

		json_open_object(jb, NULL);
		json_kv_time(jb, "time", ev->time_us);
		if (ev->method_len)
			json_kv_strn(jb, "method", ev->method, ev->method_len);
		json_kv_strn(jb, "url", ev->url, ev->url_len);
		if (ev->url_cut)
			json_kv_bool(jb, "url_truncated", 1);
		if (ev->status > 0)
			json_kv_u64(jb, "status", (uint64_t)ev->status);
		json_kv_u64(jb, "bytes", ev->bytes);
		if (ev->tmpl_len)
			json_kv_strn(jb, "template", ev->tmpl, ev->tmpl_len);
		json_close_object(jb);
	}
	json_close_array(jb);
}

static void alert_json_api(json_buf_t *jb, const alert_t *al, int final)
{
	char id[17];

	snprintf(id, sizeof(id), "%016llx", (unsigned long long)al->id);
	json_open_object(jb, "api");
	json_kv_str(jb, "detector", al->det->name);
	json_kv_str(jb, "owasp_api", al->det->owasp);
	json_kv_str(jb, "alert_id", id);
	json_kv_u64(jb, "update", al->update);
	json_kv_bool(jb, "final", final);
	if (al->plen)
		json_kv_strn(jb, "principal", al->principal, al->plen);
	if (al->hlen)
		json_kv_strn(jb, "host", al->host, al->hlen);
	if (al->mlen)
		json_kv_strn(jb, "method", al->method, al->mlen);
	if (al->elen)
		json_kv_strn(jb, "endpoint", al->endpoint, al->elen);
	json_kv_double(jb, "observed", al->observed);
	json_kv_double(jb, "baseline", al->baseline);
	if (al->ulen)
		json_kv_strn(jb, "unit", al->unit, al->ulen);
	if (al->rlen)
		json_kv_strn(jb, "reason", al->reason, al->rlen);
	json_kv_time(jb, "first_seen", al->first_seen);
	json_kv_time(jb, "last_seen", al->last_seen);
	json_kv_u64(jb, "count", al->count);
	alert_json_evidence(jb, al);
	json_close_object(jb);
}

/* The short text form (syslog): severity, signature, principal, endpoint, count. */
static void alert_text(alerts_t *a, const alert_t *al, int final)
{
	const alert_detector_t *d = al->det;
	int n;

	n = snprintf(a->text, sizeof(a->text),
		     "[%u:%u:%u] %s [Classification: %s] [Priority: %u] principal=%.*s "
		     "endpoint=%.*s %.*s%.*s count=%llu update=%u%s alert_id=%016llx",
		     1u, d->signature_id, d->rev, d->signature, d->category, d->severity,
		     al->plen ? (int)al->plen : 1, al->plen ? al->principal : "-",
		     al->mlen ? (int)al->mlen : 1, al->mlen ? al->method : "-", (int)al->hlen,
		     al->host, al->elen ? (int)al->elen : 1, al->elen ? al->endpoint : "/",
		     (unsigned long long)al->count, al->update, final ? " final" : "",
		     (unsigned long long)al->id);
	a->text_len = n < 0 ? 0 : (size_t)n < sizeof(a->text) ? (size_t)n : sizeof(a->text) - 1;
	a->severity = d->severity;
}

static void alert_tap_cb(void *ud, const char *line, size_t len)
{
	alerts_t *a = ud;

	alert_sinks_push(a->sinks, line, len, a->text, a->text_len, a->severity);
}

/* Writes the alert's current state as its next event, at packet time now_us. */
static void alert_write(alerts_t *a, alert_t *al, uint64_t now_us, uint64_t pcap_cnt, int final)
{
	json_buf_t *jb = output_json(a->out);
	int rc;

	alert_dirty_unlink(a, al);
	al->last_write = now_us;
	al->count_written = al->count;
	if (!a->eve && !a->sinks)
		goto done;
	output_eve_header(a->out, "alert", now_us, al->has_flow ? &al->flow : NULL, FLOW_TOSERVER,
			  pcap_cnt, "http");
	json_kv_u64(jb, "tx_id", al->tx_id);
	json_kv_str(jb, "direction", "to_server");
	alert_json_alert(a, jb, al);
	alert_json_api(jb, al, final);
	if (a->sinks)
		alert_text(a, al, final);
	rc = output_commit_tap(a->out, "alert", a->eve, a->sinks ? alert_tap_cb : NULL, a);
	if (rc == AW_ELIMIT)
		a->counters.dropped_oversize++;
done:
	a->counters.updates++;
	a->counters.finals += final != 0;
	al->update++;
}

/* ------------------------------------------------------------------------------------------ */
/* Opening, growing, closing */

/* Closes an alert: its final event when it grew since the last one, then its slot is free. */
static void alert_close(alerts_t *a, alert_t *al, uint64_t now_us)
{
	if (al->count != al->count_written)
		alert_write(a, al, now_us, 0, 1);
	alert_dirty_unlink(a, al);
	alert_lru_unlink(a, al);
	alert_unhash(a, al);
	al->hnext = a->free;
	a->free = al;
	a->counters.closed++;
	a->counters.open--;
}

/* A slot for a new alert: a free one, a new one while under alert.max-open, else the alert
 * with the oldest finding is closed for it (counted). */
static alert_t *alert_slot(alerts_t *a, uint64_t now_us)
{
	alert_t *al = a->free;

	if (al) {
		a->free = al->hnext;
		return al;
	}
	if (a->nslots < a->cfg.max_open) {
		al = mem_alloc(a->acct, a->slot_size);
		if (al) {
			a->nslots++;
			return al;
		}
	}
	if (!a->lru_head)
		return NULL;
	a->counters.table_full++;
	alert_close(a, a->lru_head, now_us);
	al = a->free;
	a->free = al->hnext;
	return al;
}

static void alert_facts(alert_t *al, const alert_finding_t *f)
{
	al->observed = f->observed;
	al->baseline = f->baseline;
	al->ulen = alert_keep_str(al->unit, sizeof(al->unit), f->unit);
	al->rlen = alert_keep_str(al->reason, sizeof(al->reason), f->reason);
}

static alert_t *alert_open(alerts_t *a, const alert_finding_t *f, uint64_t hash, uint64_t now_us)
{
	alert_t *al = alert_slot(a, now_us);

	if (!al)
		return NULL;
	memset(al, 0, sizeof(*al));
	al->det = f->det;
	al->hash = hash;
	al->plen = alert_keep(al->principal, sizeof(al->principal), &f->principal);
	al->hlen = alert_keep(al->host, sizeof(al->host), &f->host);
	al->mlen = alert_keep(al->method, sizeof(al->method), &f->method);
	al->elen = alert_keep(al->endpoint, sizeof(al->endpoint), &f->endpoint);
	al->first_seen = al->last_seen = now_us;
	al->id = alert_make_id(a, al);
	alert_facts(al, f);
	al->hnext = a->bucket[hash & a->mask];
	a->bucket[hash & a->mask] = al;
	alert_lru_append(a, al);
	a->counters.opened++;
	a->counters.open++;
	return al;
}

void alert_raise(void *ud, const alert_finding_t *f, const api_call_t *call, uint64_t now_us)
{
	alerts_t *a = ud;
	uint64_t hash;
	alert_t *al;

	if (!f || !f->det)
		return;
	a->counters.findings++;
	hash = alert_hash(a, f);
	al = alert_find(a, f, hash);
	if (!al) {
		al = alert_open(a, f, hash, now_us);
		if (!al) {
			a->counters.no_memory++;
			return;
		}
		al->count = 1;
		if (call)
			alert_evidence_put(a, al, call);
		alert_write(a, al, now_us, a->pcap_cnt, 0);
		return;
	}
	if (now_us > al->last_seen)
		al->last_seen = now_us;
	al->count++;
	if (f->observed > al->observed)
		alert_facts(al, f);
	if (call)
		alert_evidence_put(a, al, call);
	alert_lru_unlink(a, al);
	alert_lru_append(a, al);
	if (now_us >= al->last_write + a->cfg.update_interval_us)
		alert_write(a, al, now_us, a->pcap_cnt, 0);
	else
		alert_dirty_append(a, al);
}

/* The updates due at now_us, in the order the alerts grew. */
static void alert_updates(alerts_t *a, uint64_t now_us)
{
	alert_t *al, *n;
	uint64_t next = 0;

	if (!a->next_due || now_us < a->next_due)
		return;
	for (al = a->dirty_head; al; al = n) {
		uint64_t due = al->last_write + a->cfg.update_interval_us;

		n = al->dnext;
		if (due <= now_us)
			alert_write(a, al, now_us, 0, 0);
		else if (!next || due < next)
			next = due;
	}
	a->next_due = next;
}

void alert_tick(alerts_t *a, uint64_t now_us)
{
	/* Quiet alerts first: one that is both due and quiet gets its final event only. */
	while (a->lru_head && a->lru_head->last_seen + a->cfg.idle_timeout_us <= now_us)
		alert_close(a, a->lru_head, now_us);
	alert_updates(a, now_us);
}

void alert_finish(alerts_t *a, uint64_t now_us)
{
	while (a->lru_head)
		alert_close(a, a->lru_head, now_us);
	a->next_due = 0;
	alert_sinks_drain(a->sinks, a->cfg.sink_drain_us);
}

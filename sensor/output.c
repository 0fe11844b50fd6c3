/*
 * output.c - sinks and the EVE common header (see output.h).
 */
#include "output.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"

/* ------------------------------------------------------------------------------------------ */
/* File sink: a path or "-" for stdout. Lines come in batches of OUTPUT_BATCH bytes (see
 * output_commit), so they go straight to write(2): stdio would only add a copy, and a lock per
 * event. */

typedef struct output_file {
	int fd;
	int is_stdout;
} output_file_t;

static int output_file_open(void **state, const char *target, mem_account_t *acct)
{
	output_file_t *f = mem_calloc(acct, sizeof(*f));

	if (!f)
		return AW_ENOMEM;
	if (strcmp(target, "-") == 0) {
		f->fd = STDOUT_FILENO;
		f->is_stdout = 1;
	} else {
		f->fd = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	}
	if (f->fd < 0) {
		int e = errno;

		mem_free(acct, f, sizeof(*f));
		errno = e;
		return e == ENOENT ? AW_ENOENT : e == EACCES ? AW_EPERM : AW_EIO;
	}
	*state = f;
	return 0;
}

static int output_file_write(void *state, const char *line, size_t len)
{
	output_file_t *f = state;

	while (len > 0) {
		ssize_t n = write(f->fd, line, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return AW_EIO;
		}
		line += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Nothing is buffered in the sink itself. */
static int output_file_flush(void *state)
{
	(void)state;
	return 0;
}

static void output_file_close(void *state, mem_account_t *acct)
{
	output_file_t *f = state;

	if (!f)
		return;
	if (!f->is_stdout)
		close(f->fd);
	mem_free(acct, f, sizeof(*f));
}

static const output_sink_ops_t output_sink_file = {
	.name = "file",
	.open = output_file_open,
	.write = output_file_write,
	.flush = output_file_flush,
	.close = output_file_close,
};

/* ------------------------------------------------------------------------------------------ */
/* Output context */

#define OUTPUT_MAX_SINKS 4

/* Finished lines wait in the event buffer until they fill this much, then go to the sinks in
 * one write each. */
#define OUTPUT_BATCH (256u << 10)

/*
 * Every event of a flow in one direction repeats the same header text from event_type to
 * community_id (event type, file name, addresses, ports, protocol, app_proto, Community ID), and
 * the same flow_id. Both are kept in a small cache of two-entry sets (output_hdr_find): an entry
 * is used when the fields its text was made from are those of the event; otherwise the header
 * is written as usual and an entry takes the copy.
 */
#define OUTPUT_HDR_CACHE 256 /* entries, a power of two: 128 sets of two */
#define OUTPUT_HDR_TEXT 384 /* longer header text (a long file name) is not kept */
#define OUTPUT_HDR_NAME 16 /* event_type and app_proto are kept up to 15 characters */
#define OUTPUT_ETH_TEXT 112 /* "ether":{"ether_type":N,"src_mac":"..","dest_mac":".."} */

typedef struct output_hdr {
	net_addr_t addr[2]; /* oriented: [0] source, [1] destination */
	uint16_t port[2];
	uint16_t vlan[2];
	uint8_t proto;
	uint8_t ip_version;
	uint8_t has_app_proto;
	uint8_t id_len; /* digits of flow_id in id; 0: none */
	uint32_t pcap_gen; /* the file name it was made with (output_t.pcap_gen) */
	uint64_t flow_id;
	char id[20];
	char event_type[OUTPUT_HDR_NAME];
	char app_proto[OUTPUT_HDR_NAME];
	uint16_t len; /* bytes of text; 0: the entry is empty */
	char text[OUTPUT_HDR_TEXT];
	/* The ether object of non-flow events, kept with the addresses it was made from. */
	uint8_t eth_len; /* 0: none kept */
	uint8_t eth_mac[12]; /* source, destination */
	uint16_t eth_type;
	char eth_text[OUTPUT_ETH_TEXT];
} output_hdr_t;

/*
 * The writer thread. The packet thread composes a batch in a buffer, hands it to the writer's
 * queue (up to queue_batches batches, written in order) and goes on in another buffer. The
 * buffers are n = queue_batches + 1 slices of OUTPUT_SLICE bytes, one mapping made when the
 * writer starts, and a "big" buffer for a batch that outgrows its slice (an event of more than
 * OUTPUT_SLICE - OUTPUT_BATCH bytes): the batch moves there once the writer is done with the
 * batch the big buffer held before, and it grows as needed. A slice the writer is done with
 * goes on a stack of spares; the next batch goes to the spare written last, still in cache and
 * with its pages mapped, so as long as the writer keeps up, two or three slices take turns.
 * Memory use depends on the events alone, never on timing (n slices, and the big buffer at the
 * size the largest batch needed): replays give the same stats. Only the packet thread
 * allocates or frees (the memory account is not shared); the writer only gives buffers back.
 */
#define OUTPUT_QUEUE_MAX 256
#define OUTPUT_SLICE (2 * OUTPUT_BATCH)

typedef struct output_batch {
	char *buf;
	size_t len, size;
	int big; /* buf is the big buffer */
} output_batch_t;

typedef struct output_writer {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t work; /* the writer waits here for a batch or stop */
	pthread_cond_t done; /* the packet thread waits here for a buffer or an idle writer */
	output_batch_t slot[OUTPUT_QUEUE_MAX + 1]; /* batch k waits in slot k mod n */
	char *spare[OUTPUT_QUEUE_MAX + 1]; /* free slices, the one written last on top */
	unsigned nspare;
	unsigned n; /* slices: queue_batches + 1 */
	char *slices; /* n x OUTPUT_SLICE bytes */
	char *big; /* packet thread only */
	size_t big_size;
	int big_busy; /* the big buffer holds a batch handed to the writer */
	uint64_t handed; /* batches handed to the writer */
	uint64_t written; /* ... and written by it */
	int stop;
	int idle; /* the writer waits on work: a new batch must wake it */
	uint64_t write_errors; /* counted by the writer, read under mu */
} output_writer_t;

struct output {
	output_config_t cfg;
	output_writer_t *writer; /* NULL: the packet thread writes */
	uint64_t batch_first_us; /* packet time of the first event waiting in jb; 0: none */
	uint64_t event_ts_us; /* packet time of the event being composed */
	mem_account_t *acct;
	json_buf_t jb;
	const char *pcap_filename;
	size_t pcap_filename_len;
	uint32_t pcap_gen; /* file names set so far: tells cached headers apart */
	int nsinks;
	const output_sink_ops_t *ops[OUTPUT_MAX_SINKS];
	void *state[OUTPUT_MAX_SINKS];
	output_counters_t counters;
	output_hdr_t hdr[OUTPUT_HDR_CACHE];
};

void output_config_default(output_config_t *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->eve_path = "eve.json";
	cfg->max_event_bytes = 4u << 20;
	cfg->community_id = 1;
	cfg->writer_thread = 1;
	cfg->queue_batches = 16;
	cfg->flush_us = 1000000;
}

/* Writes n bytes to every sink; the number of sinks that failed. */
static unsigned output_sinks_write(output_t *o, const char *buf, size_t n)
{
	unsigned failed = 0;
	int i;

	for (i = 0; i < o->nsinks; i++)
		if (o->ops[i]->write(o->state[i], buf, n) < 0)
			failed++;
	return failed;
}

static void *output_writer_main(void *arg)
{
	output_t *o = arg;
	output_writer_t *w = o->writer;
	output_batch_t b;
	unsigned failed;

	pthread_setname_np(pthread_self(), "aw-writer");
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->written == w->handed && !w->stop) {
			w->idle = 1;
			pthread_cond_wait(&w->work, &w->mu);
			w->idle = 0;
		}
		if (w->written == w->handed)
			break;
		b = w->slot[w->written % w->n];
		pthread_mutex_unlock(&w->mu);
		failed = output_sinks_write(o, b.buf, b.len);
		pthread_mutex_lock(&w->mu);
		if (b.big)
			w->big_busy = 0;
		else
			w->spare[w->nspare++] = b.buf;
		w->write_errors += failed;
		w->written++;
		pthread_cond_broadcast(&w->done);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* json_grow_fn for the writer's buffers: moves the batch from its slice to the big buffer, or
 * grows the big buffer it is in. */
static int output_grow(void *ud, json_buf_t *jb, size_t want)
{
	output_t *o = ud;
	output_writer_t *w = o->writer;
	size_t nsize = w->big_size ? w->big_size : OUTPUT_SLICE;
	char *nb;

	while (nsize < want)
		nsize *= 2;
	if (jb->buf != w->big) {
		pthread_mutex_lock(&w->mu);
		while (w->big_busy)
			pthread_cond_wait(&w->done, &w->mu);
		pthread_mutex_unlock(&w->mu);
	}
	if (nsize > w->big_size) {
		nb = mem_realloc(o->acct, w->big, w->big_size, nsize);
		if (!nb)
			return AW_ENOMEM;
		w->big = nb;
		w->big_size = nsize;
	}
	if (jb->buf != w->big) {
		memcpy(w->big, jb->buf, jb->len);
		pthread_mutex_lock(&w->mu);
		w->spare[w->nspare++] = jb->buf;
		pthread_mutex_unlock(&w->mu);
		jb->buf = w->big;
	}
	jb->size = w->big_size;
	return 0;
}

static void output_writer_free(output_t *o, output_writer_t *w)
{
	if (w->slices)
		mem_table_free(o->acct, w->slices, (size_t)w->n * OUTPUT_SLICE);
	if (w->big)
		mem_free(o->acct, w->big, w->big_size);
	pthread_cond_destroy(&w->done);
	pthread_cond_destroy(&w->work);
	pthread_mutex_destroy(&w->mu);
	mem_free(o->acct, w, sizeof(*w));
}

static int output_writer_start(output_t *o)
{
	output_writer_t *w = mem_calloc(o->acct, sizeof(*w));
	char *nbuf;
	size_t nlen, nsize;
	unsigned i;

	if (!w)
		return AW_ENOMEM;
	w->n = o->cfg.queue_batches;
	if (w->n < 1)
		w->n = 1;
	if (w->n > OUTPUT_QUEUE_MAX)
		w->n = OUTPUT_QUEUE_MAX;
	w->n++;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->done, NULL);
	w->slices = mem_table_alloc(o->acct, (size_t)w->n * OUTPUT_SLICE);
	if (!w->slices) {
		output_writer_free(o, w);
		return AW_ENOMEM;
	}
	/* Slice 0 first, on top. */
	for (i = 1; i < w->n; i++)
		w->spare[w->nspare++] = w->slices + (size_t)(w->n - i) * OUTPUT_SLICE;
	json_buf_free(&o->jb);
	json_buf_exchange(&o->jb, &nbuf, &nlen, &nsize, w->slices, OUTPUT_SLICE);
	json_buf_lend(&o->jb, output_grow, o);
	o->writer = w;
	if (pthread_create(&w->thread, NULL, output_writer_main, o) != 0) {
		/* No thread: the packet thread writes, as with writer_thread off. */
		json_buf_exchange(&o->jb, &nbuf, &nlen, &nsize, NULL, 0);
		json_buf_lend(&o->jb, NULL, NULL);
		output_writer_free(o, w);
		o->writer = NULL;
	}
	return 0;
}

int output_new(output_t **out, const output_config_t *cfg, mem_account_t *acct)
{
	output_t *o;
	int rc;

	*out = NULL;
	o = mem_calloc(acct, sizeof(*o));
	if (!o)
		return AW_ENOMEM;
	o->cfg = *cfg;
	o->acct = acct;
	json_buf_init(&o->jb, acct, cfg->max_event_bytes);
	if (cfg->eve_path) {
		rc = output_sink_file.open(&o->state[0], cfg->eve_path, acct);
		if (rc < 0) {
			int e = errno;

			output_free(o);
			errno = e;
			return rc;
		}
		o->ops[o->nsinks++] = &output_sink_file;
	}
	if (cfg->writer_thread && o->nsinks > 0) {
		rc = output_writer_start(o);
		if (rc < 0) {
			output_free(o);
			return rc;
		}
	}
	*out = o;
	return 0;
}

/* Hands the finished lines in the event buffer to the sinks: to the writer thread's queue
 * (waiting for room when it is full), or straight to the sinks without a writer thread. */
static int output_write_lines(output_t *o)
{
	output_writer_t *w = o->writer;
	output_batch_t *cur;
	char *nbuf;
	size_t nlen, nsize;
	unsigned failed;
	int wake;

	if (o->jb.len == 0)
		return 0;
	o->counters.batches++;
	o->batch_first_us = 0;
	if (!w) {
		failed = output_sinks_write(o, o->jb.buf, o->jb.len);
		o->counters.write_errors += failed;
		json_buf_clear(&o->jb);
		return failed ? AW_EIO : 0;
	}
	pthread_mutex_lock(&w->mu);
	cur = &w->slot[w->handed % w->n];
	json_buf_exchange(&o->jb, &cur->buf, &cur->len, &cur->size, NULL, 0);
	cur->big = cur->buf == w->big;
	if (cur->big)
		w->big_busy = 1;
	w->handed++;
	if (w->handed - w->written >= w->n) {
		o->counters.queue_full++;
		pthread_cond_signal(&w->work);
		while (w->handed - w->written >= w->n)
			pthread_cond_wait(&w->done, &w->mu);
	}
	/* The next batch goes to the slice written last. At most n - 1 batches wait, so one slice
	 * at least is free; the loop is a safeguard. */
	while (w->nspare == 0)
		pthread_cond_wait(&w->done, &w->mu);
	json_buf_exchange(&o->jb, &nbuf, &nlen, &nsize, w->spare[--w->nspare], OUTPUT_SLICE);
	wake = w->idle;
	pthread_mutex_unlock(&w->mu);
	/* Woken only when it waits, and after the lock is given back: on a shared core the
	 * writer would otherwise run at once into the lock this thread still holds. */
	if (wake)
		pthread_cond_signal(&w->work);
	return 0;
}

/* Waits until the writer thread has written every batch handed to it. */
static void output_writer_drain(output_t *o)
{
	output_writer_t *w = o->writer;

	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	while (w->written != w->handed)
		pthread_cond_wait(&w->done, &w->mu);
	o->counters.write_errors = w->write_errors;
	pthread_mutex_unlock(&w->mu);
}

int output_flush(output_t *o)
{
	uint64_t errors = o->counters.write_errors;
	int i, rc = output_write_lines(o);

	output_writer_drain(o);
	for (i = 0; i < o->nsinks; i++) {
		if (o->ops[i]->flush(o->state[i]) < 0) {
			o->counters.write_errors++;
			if (o->writer)
				o->writer->write_errors++; /* the writer is idle: drained */
		}
	}
	return rc < 0 || o->counters.write_errors != errors ? AW_EIO : 0;
}

void output_tick(output_t *o, uint64_t now_us)
{
	if (o->batch_first_us && now_us >= o->batch_first_us + o->cfg.flush_us)
		output_write_lines(o);
}

void output_free(output_t *o)
{
	output_writer_t *w;
	char *nbuf;
	size_t nlen, nsize;
	int k;

	if (!o)
		return;
	output_write_lines(o);
	w = o->writer;
	if (w) {
		pthread_mutex_lock(&w->mu);
		w->stop = 1;
		pthread_cond_signal(&w->work);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->thread, NULL);
		/* The event buffer is a slice: it goes with the rest. */
		json_buf_exchange(&o->jb, &nbuf, &nlen, &nsize, NULL, 0);
		json_buf_lend(&o->jb, NULL, NULL);
		output_writer_free(o, w);
		o->writer = NULL;
	}
	for (k = 0; k < o->nsinks; k++)
		o->ops[k]->close(o->state[k], o->acct);
	json_buf_free(&o->jb);
	mem_free(o->acct, o, sizeof(*o));
}

json_buf_t *output_json(output_t *o)
{
	return &o->jb;
}

void output_set_pcap_filename(output_t *o, const char *name)
{
	o->pcap_filename = name;
	o->pcap_filename_len = name ? strlen(name) : 0;
	o->pcap_gen++;
}

const output_counters_t *output_counters(const output_t *o)
{
	output_writer_t *w = o->writer;

	if (w) {
		output_t *m = (output_t *)o; /* logically const: refreshes the writer's count */

		pthread_mutex_lock(&w->mu);
		m->counters.write_errors = w->write_errors;
		pthread_mutex_unlock(&w->mu);
	}
	return &o->counters;
}

/* ------------------------------------------------------------------------------------------ */
/* The EVE common header */

/* Appends n bytes at w; returns the end. */
static char *output_put(char *w, const char *s, size_t n)
{
	memcpy(w, s, n);
	return w + n;
}

/* Appends the decimal digits of v at w; returns the end. */
static char *output_put_u64(char *w, uint64_t v)
{
	char tmp[24];
	size_t n = json_format_u64(tmp + sizeof(tmp), v);

	return output_put(w, tmp + sizeof(tmp) - n, n);
}

/* Appends an address as output_format_addr writes it; IPv4 without inet_ntop. */
static char *output_put_addr(char *w, const net_addr_t *a, int ip_version, int compress_v6)
{
	char tmp[64];
	int i;

	if (ip_version == 6) {
		output_format_addr(tmp, sizeof(tmp), a, ip_version, compress_v6);
		return output_put(w, tmp, strlen(tmp));
	}
	for (i = 0; i < 4; i++) {
		if (i)
			*w++ = '.';
		w = output_put_u64(w, a->b[i]);
	}
	return w;
}

void output_format_addr(char *out, size_t out_len, const net_addr_t *a, int ip_version,
			int compress_v6)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[40];
	int i, o = 0;

	if (ip_version != 6 || compress_v6) {
		if (!inet_ntop(ip_version == 6 ? AF_INET6 : AF_INET, a->b, out, (socklen_t)out_len))
			snprintf(out, out_len, "?");
		return;
	}
	/* Suricata writes IPv6 addresses in full: eight groups of four hex digits. */
	for (i = 0; i < 16; i += 2) {
		if (i)
			tmp[o++] = ':';
		tmp[o++] = hex[a->b[i] >> 4];
		tmp[o++] = hex[a->b[i] & 15];
		tmp[o++] = hex[a->b[i + 1] >> 4];
		tmp[o++] = hex[a->b[i + 1] & 15];
	}
	tmp[o] = '\0';
	snprintf(out, out_len, "%s", tmp);
}

static const char *output_proto_name(uint8_t proto, char *tmp, size_t n)
{
	switch (proto) {
	case 6:
		return "TCP";
	case 17:
		return "UDP";
	case 1:
		return "ICMP";
	case 58:
		return "IPv6-ICMP";
	default:
		snprintf(tmp, n, "%03u", proto);
		return tmp;
	}
}

/* Writes the members vlan .. ip_v of the flow seen from side s (0: client to server). */
static void output_flow_members(output_t *o, const flow_t *f, int s)
{
	static const char *const ip_keys[2] = {"\"src_ip\":\"", "\"dest_ip\":\""};
	static const char *const port_keys[2] = {"\",\"src_port\":", "\",\"dest_port\":"};
	char text[256], tmp[8], *w = text;
	const char *proto;
	int i;

	if (f->key.vlan[0]) {
		w = output_put(w, "\"vlan\":[", 8);
		w = output_put_u64(w, f->key.vlan[0]);
		if (f->key.vlan[1]) {
			*w++ = ',';
			w = output_put_u64(w, f->key.vlan[1]);
		}
		w = output_put(w, "],", 2);
	}
	for (i = 0; i < 2; i++) {
		int side = i == 0 ? s : 1 - s;

		w = output_put(w, ip_keys[i], strlen(ip_keys[i]));
		w = output_put_addr(w, &f->addr[side], f->key.ip_version, o->cfg.ipv6_compress);
		w = output_put(w, port_keys[i], strlen(port_keys[i]));
		w = output_put_u64(w, f->port[side]);
		*w++ = ',';
	}
	proto = output_proto_name(f->key.proto, tmp, sizeof(tmp));
	w = output_put(w, "\"proto\":\"", 9);
	w = output_put(w, proto, strlen(proto));
	w = output_put(w, "\",\"ip_v\":", 9);
	w = output_put_u64(w, f->key.ip_version);
	json_members(&o->jb, text, (size_t)(w - text));
}

/* The header from event_type on, written member by member. */
static void output_header_tail(output_t *o, const char *event_type, const flow_t *f, int s,
			       const char *app_proto)
{
	json_buf_t *jb = &o->jb;

	json_kv_str(jb, "event_type", event_type);
	if (o->pcap_filename)
		json_kv_strn(jb, "pcap_filename", o->pcap_filename, o->pcap_filename_len);
	if (!f)
		return;
	output_flow_members(o, f, s);
	if (app_proto)
		json_kv_str(jb, "app_proto", app_proto);
	if (o->cfg.community_id)
		json_kv_str(jb, "community_id",
			    flow_community_id_memo(f, o->cfg.community_id_seed));
}

/* Whether the entry's header text is the one this event would get. */
static int output_hdr_match(const output_t *o, const output_hdr_t *h, const flow_t *f, int s,
			    const char *event_type, const char *app_proto)
{
	return h->len && h->pcap_gen == o->pcap_gen && h->port[0] == f->port[s] &&
	       h->port[1] == f->port[1 - s] && h->vlan[0] == f->key.vlan[0] &&
	       h->vlan[1] == f->key.vlan[1] && h->proto == f->key.proto &&
	       h->ip_version == f->key.ip_version &&
	       memcmp(&h->addr[0], &f->addr[s], sizeof(h->addr[0])) == 0 &&
	       memcmp(&h->addr[1], &f->addr[1 - s], sizeof(h->addr[1])) == 0 &&
	       strcmp(h->event_type, event_type) == 0 && h->has_app_proto == !!app_proto &&
	       (!app_proto || strcmp(h->app_proto, app_proto) == 0);
}

/*
 * The cache entry for this event: the one of its set whose text matches (*hit 1), or the one to
 * write (*hit 0). A set holds two entries, the one last written first: many flows at once
 * collide less than in a direct-mapped cache. A flow's new entry takes the first place; the
 * entry there moves to the second unless it is of the same flow (another event type or side).
 */
static output_hdr_t *output_hdr_find(output_t *o, const flow_t *f, int s, const char *event_type,
				     const char *app_proto, int *hit)
{
	output_hdr_t *set = &o->hdr[(f->flow_id & (OUTPUT_HDR_CACHE / 2 - 1)) * 2];

	*hit = 1;
	if (output_hdr_match(o, &set[0], f, s, event_type, app_proto))
		return &set[0];
	if (output_hdr_match(o, &set[1], f, s, event_type, app_proto))
		return &set[1];
	*hit = 0;
	if (set[0].len && set[0].flow_id != f->flow_id)
		set[1] = set[0];
	return &set[0];
}

/* Keeps the header text just written (text, n bytes) in the entry, when it fits. */
static void output_hdr_keep(output_t *o, output_hdr_t *h, const flow_t *f, int s,
			    const char *event_type, const char *app_proto, const char *text,
			    size_t n)
{
	size_t el = strlen(event_type), al = app_proto ? strlen(app_proto) : 0;

	h->len = 0;
	if (n > OUTPUT_HDR_TEXT || el >= OUTPUT_HDR_NAME || al >= OUTPUT_HDR_NAME)
		return;
	h->addr[0] = f->addr[s];
	h->addr[1] = f->addr[1 - s];
	h->port[0] = f->port[s];
	h->port[1] = f->port[1 - s];
	h->vlan[0] = f->key.vlan[0];
	h->vlan[1] = f->key.vlan[1];
	h->proto = f->key.proto;
	h->ip_version = f->key.ip_version;
	h->has_app_proto = app_proto != NULL;
	h->pcap_gen = o->pcap_gen;
	memcpy(h->event_type, event_type, el + 1);
	memcpy(h->app_proto, app_proto ? app_proto : "", al + 1);
	memcpy(h->text, text, n);
	h->len = (uint16_t)n;
}

/* "flow_id", from the entry when it holds the flow's digits. */
static void output_flow_id(output_t *o, output_hdr_t *h, const flow_t *f)
{
	json_buf_t *jb = &o->jb;

	if (h->id_len == 0 || h->flow_id != f->flow_id) {
		h->flow_id = f->flow_id;
		h->id_len = (uint8_t)(output_put_u64(h->id, f->flow_id) - h->id);
	}
	json__key(jb, "flow_id", 7);
	json__raw(jb, h->id, h->id_len);
}

/* ------------------------------------------------------------------------------------------ */
/* ether (eve.ethernet) */

/* Appends a MAC address at w as Suricata writes it: six lower-case hex pairs and colons, in
 * quotes. Returns the end. */
static char *output_put_mac(char *w, const uint8_t *mac)
{
	static const char hex[] = "0123456789abcdef";
	int i;

	*w++ = '"';
	for (i = 0; i < 6; i++) {
		if (i)
			*w++ = ':';
		*w++ = hex[mac[i] >> 4];
		*w++ = hex[mac[i] & 15];
	}
	*w++ = '"';
	return w;
}

/* Appends the addresses of one side as a JSON array. */
static char *output_put_mac_list(char *w, const flow_ether_t *e, int side)
{
	unsigned i;

	*w++ = '[';
	for (i = 0; i < e->nmacs[side]; i++) {
		if (i)
			*w++ = ',';
		w = output_put_mac(w, e->macs[side][i]);
	}
	*w++ = ']';
	return w;
}

/*
 * Suricata's `ether` object, composed as one piece of text (every byte of it is known to need
 * no escaping). A flow event lists the addresses of each side (src_macs: the client's); any
 * other event names the hops of its direction: source and destination of the first frame sent
 * that way, or of the first frame of the other way, swapped, when that is all the capture holds.
 */
static void output_ether(output_t *o, output_hdr_t *h, const flow_t *f, int s,
			 const char *event_type)
{
	const flow_ether_t *e = &f->ether;
	char text[64 + 2 * FLOW_ETHER_MAX_MACS * 20], *w = text;
	const uint8_t *src, *dst;
	int d = s;

	if (!e->seen)
		return;
	if (event_type[0] == 'f' && strcmp(event_type, "flow") == 0) {
		w = output_put(w, "\"ether\":{\"src_macs\":", 20);
		w = output_put_mac_list(w, e, 0);
		w = output_put(w, ",\"dest_macs\":", 13);
		w = output_put_mac_list(w, e, 1);
	} else {
		if (!(e->seen & (1u << d)))
			d = 1 - d;
		src = e->first[d] + (d == s ? 6 : 0);
		dst = e->first[d] + (d == s ? 0 : 6);
		/* Every event of a direction names the same hops: the text is kept beside the
		 * cached header and used again when its addresses and type are the same. */
		if (h->eth_len && h->eth_type == e->type[d] && memcmp(h->eth_mac, src, 6) == 0 &&
		    memcmp(h->eth_mac + 6, dst, 6) == 0) {
			json_members(&o->jb, h->eth_text, h->eth_len);
			return;
		}
		w = output_put(w, "\"ether\":{\"ether_type\":", 22);
		w = output_put_u64(w, e->type[d]);
		w = output_put(w, ",\"src_mac\":", 11);
		w = output_put_mac(w, src);
		w = output_put(w, ",\"dest_mac\":", 12);
		w = output_put_mac(w, dst);
		*w++ = '}';
		if ((size_t)(w - text) <= sizeof(h->eth_text)) {
			memcpy(h->eth_text, text, (size_t)(w - text));
			h->eth_len = (uint8_t)(w - text);
			h->eth_type = e->type[d];
			memcpy(h->eth_mac, src, 6);
			memcpy(h->eth_mac + 6, dst, 6);
		}
		json_members(&o->jb, text, (size_t)(w - text));
		return;
	}
	*w++ = '}';
	json_members(&o->jb, text, (size_t)(w - text));
}

void output_eve_header(output_t *o, const char *event_type, uint64_t ts_us, const flow_t *f,
		       int dir, uint64_t pcap_cnt, const char *app_proto)
{
	json_buf_t *jb = &o->jb;
	int s = dir == FLOW_TOCLIENT ? 1 : 0;
	output_hdr_t *h = NULL;
	size_t mark;
	int hit = 0;

	o->event_ts_us = ts_us;
	if (f)
		h = output_hdr_find(o, f, s, event_type, app_proto, &hit);
	json_begin(jb);
	json_kv_time(jb, "timestamp", ts_us);
	if (f)
		output_flow_id(o, h, f);
	if (pcap_cnt)
		json_kv_u64(jb, "pcap_cnt", pcap_cnt);
	if (hit) {
		json_members(jb, h->text, h->len);
	} else {
		mark = jb->len;
		output_header_tail(o, event_type, f, s, app_proto);
		/* What was written after the separator at mark (the timestamp came first) is the
		 * text. */
		if (f && !jb->overflow)
			output_hdr_keep(o, h, f, s, event_type, app_proto, jb->buf + mark + 1,
					jb->len - mark - 1);
	}
	if (f)
		output_ether(o, h, f, s, event_type);
}

int output_commit(output_t *o, const char *event_type)
{
	return output_commit_tap(o, event_type, 1, NULL, NULL);
}

int output_commit_tap(output_t *o, const char *event_type, int keep, output_tap_fn tap, void *ud)
{
	json_buf_t *jb = &o->jb;
	const char *line;
	size_t len;

	if (json_end(jb) < 0) {
		o->counters.dropped_oversize++;
		return AW_ELIMIT;
	}
	line = json_line(jb, &len);
	if (tap)
		tap(ud, line, len);
	if (!keep) {
		jb->len = jb->lim = jb->line; /* as json_end drops a line that overflowed */
		return 0;
	}
	if (!o->batch_first_us)
		o->batch_first_us = o->event_ts_us ? o->event_ts_us : 1;
	o->counters.events++;
	o->counters.bytes += len;
	if (event_type[0] == 'f' && strcmp(event_type, "flow") == 0)
		o->counters.events_flow++;
	else if (event_type[0] == 's' && strcmp(event_type, "stats") == 0)
		o->counters.events_stats++;
	else
		o->counters.events_other++;
	if (jb->len >= OUTPUT_BATCH ||
	    (o->event_ts_us && o->event_ts_us >= o->batch_first_us + o->cfg.flush_us))
		return output_write_lines(o);
	return 0;
}

/*
 * output.c - sinks and the EVE common header (see output.h).
 */
#include "output.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* ------------------------------------------------------------------------------------------ */
/* File sink: a path or "-" for stdout, written through a large stdio buffer. */

#define OUTPUT_FILE_BUF (1u << 20)

typedef struct output_file {
	FILE *fp;
	char *buf;
	int is_stdout;
} output_file_t;

static int output_file_open(void **state, const char *target, mem_account_t *acct)
{
	output_file_t *f = mem_calloc(acct, sizeof(*f));

	if (!f)
		return AW_ENOMEM;
	if (strcmp(target, "-") == 0) {
		f->fp = stdout;
		f->is_stdout = 1;
	} else {
		f->fp = fopen(target, "w");
	}
	if (!f->fp) {
		int e = errno;

		mem_free(acct, f, sizeof(*f));
		errno = e;
		return e == ENOENT ? AW_ENOENT : e == EACCES ? AW_EPERM : AW_EIO;
	}
	f->buf = mem_alloc(acct, OUTPUT_FILE_BUF);
	if (f->buf)
		setvbuf(f->fp, f->buf, _IOFBF, OUTPUT_FILE_BUF);
	*state = f;
	return 0;
}

static int output_file_write(void *state, const char *line, size_t len)
{
	output_file_t *f = state;

	return fwrite(line, 1, len, f->fp) == len ? 0 : AW_EIO;
}

static int output_file_flush(void *state)
{
	output_file_t *f = state;

	return fflush(f->fp) == 0 ? 0 : AW_EIO;
}

static void output_file_close(void *state, mem_account_t *acct)
{
	output_file_t *f = state;

	if (!f)
		return;
	fflush(f->fp);
	if (f->is_stdout)
		setvbuf(f->fp, NULL, _IOLBF, 0);
	else
		fclose(f->fp);
	mem_free(acct, f->buf, OUTPUT_FILE_BUF);
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

/* Community IDs of recent flows: every event of a flow carries the same one, and computing it
 * (SHA-1) costs more than the rest of the header. */
#define OUTPUT_CID_CACHE 256

typedef struct output_cid {
	const flow_t *f;
	uint64_t flow_id;
	char cid[40];
} output_cid_t;

struct output {
	output_config_t cfg;
	output_cid_t cid[OUTPUT_CID_CACHE];
	mem_account_t *acct;
	json_buf_t jb;
	const char *pcap_filename;
	int nsinks;
	const output_sink_ops_t *ops[OUTPUT_MAX_SINKS];
	void *state[OUTPUT_MAX_SINKS];
	output_counters_t counters;
};

void output_config_default(output_config_t *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->eve_path = "eve.json";
	cfg->max_event_bytes = 4u << 20;
	cfg->community_id = 1;
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
	*out = o;
	return 0;
}

int output_flush(output_t *o)
{
	int i, rc = 0;

	for (i = 0; i < o->nsinks; i++) {
		if (o->ops[i]->flush(o->state[i]) < 0) {
			o->counters.write_errors++;
			rc = AW_EIO;
		}
	}
	return rc;
}

void output_free(output_t *o)
{
	int i;

	if (!o)
		return;
	for (i = 0; i < o->nsinks; i++)
		o->ops[i]->close(o->state[i], o->acct);
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
}

const output_counters_t *output_counters(const output_t *o)
{
	return &o->counters;
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

void output_eve_header(output_t *o, const char *event_type, uint64_t ts_us, const flow_t *f,
		       int dir, uint64_t pcap_cnt, const char *app_proto)
{
	json_buf_t *jb = &o->jb;
	char addr[64], tmp[8];
	int s = dir == FLOW_TOCLIENT ? 1 : 0;

	json_begin(jb);
	json_kv_time(jb, "timestamp", ts_us);
	if (f)
		json_kv_u64(jb, "flow_id", f->flow_id);
	if (pcap_cnt)
		json_kv_u64(jb, "pcap_cnt", pcap_cnt);
	json_kv_str(jb, "event_type", event_type);
	if (o->pcap_filename)
		json_kv_str(jb, "pcap_filename", o->pcap_filename);
	if (!f)
		return;
	if (f->key.vlan[0]) {
		json_open_array(jb, "vlan");
		json_u64(jb, f->key.vlan[0]);
		if (f->key.vlan[1])
			json_u64(jb, f->key.vlan[1]);
		json_close_array(jb);
	}
	output_format_addr(addr, sizeof(addr), &f->addr[s], f->key.ip_version,
			   o->cfg.ipv6_compress);
	json_kv_str(jb, "src_ip", addr);
	json_kv_u64(jb, "src_port", f->port[s]);
	output_format_addr(addr, sizeof(addr), &f->addr[1 - s], f->key.ip_version,
			   o->cfg.ipv6_compress);
	json_kv_str(jb, "dest_ip", addr);
	json_kv_u64(jb, "dest_port", f->port[1 - s]);
	json_kv_str(jb, "proto", output_proto_name(f->key.proto, tmp, sizeof(tmp)));
	json_kv_u64(jb, "ip_v", f->key.ip_version);
	if (app_proto)
		json_kv_str(jb, "app_proto", app_proto);
	if (o->cfg.community_id) {
		output_cid_t *c = &o->cid[f->flow_id % OUTPUT_CID_CACHE];

		if (c->f != f || c->flow_id != f->flow_id) {
			flow_community_id(f, o->cfg.community_id_seed, c->cid, sizeof(c->cid));
			c->f = f;
			c->flow_id = f->flow_id;
		}
		json_kv_str(jb, "community_id", c->cid);
	}
}

int output_commit(output_t *o, const char *event_type)
{
	json_buf_t *jb = &o->jb;
	int i, rc = 0;

	if (json_end(jb) < 0) {
		o->counters.dropped_oversize++;
		return AW_ELIMIT;
	}
	for (i = 0; i < o->nsinks; i++) {
		if (o->ops[i]->write(o->state[i], jb->buf, jb->len) < 0) {
			o->counters.write_errors++;
			rc = AW_EIO;
		}
	}
	o->counters.events++;
	o->counters.bytes += jb->len;
	if (strcmp(event_type, "flow") == 0)
		o->counters.events_flow++;
	else if (strcmp(event_type, "stats") == 0)
		o->counters.events_stats++;
	else
		o->counters.events_other++;
	return rc;
}

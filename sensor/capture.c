/*
 * capture.c - libpcap capture of files and interfaces (see capture.h).
 *
 * Compressed files: libpcap reads from a FILE *, so a gzip file is opened with zlib and wrapped
 * in a stdio cookie stream (glibc's fopencookie); libpcap then reads pcap or pcapng from it as
 * from any file and closes it through the cookie.
 */
#include "capture.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>
#include <zlib.h>

#include "error.h"

#define CAPTURE_READ_BUF (256u * 1024)

struct capture {
	pcap_t *pcap;
	char *iobuf; /* stdio buffer of a capture file; freed after pcap_close */
	int live;
	int linktype;
	uint64_t count;
	capture_stats_t stats;
};

void capture_config_default(capture_config_t *cfg)
{
	cfg->snaplen = 262144;
	cfg->promisc = 1;
	cfg->immediate = 1;
	cfg->buffer_mb = 64;
	cfg->timeout_ms = 100;
}

/* ------------------------------------------------------------------------------------------ */
/* gzip through a stdio cookie */

static ssize_t capture_gz_read(void *cookie, char *buf, size_t n)
{
	int r = gzread((gzFile)cookie, buf, n > (1u << 30) ? (1u << 30) : (unsigned)n);

	return r < 0 ? -1 : r;
}

static int capture_gz_close(void *cookie)
{
	return gzclose((gzFile)cookie) == Z_OK ? 0 : EOF;
}

static FILE *capture_open_stream(const char *path, char *iobuf, char *errbuf)
{
	static const cookie_io_functions_t gz_io = {
		.read = capture_gz_read, .write = NULL, .seek = NULL, .close = capture_gz_close};
	unsigned char magic[2] = {0, 0};
	FILE *fp = fopen(path, "rb");
	gzFile gz;

	if (!fp) {
		snprintf(errbuf, CAPTURE_ERRBUF_SIZE, "%s: %s", path, strerror(errno));
		return NULL;
	}
	/* Large reads (before any I/O, as stdio requires): stdio's default 4 KiB buffer makes
	 * the read syscalls cost more than everything the sensor does with a packet. */
	if (iobuf)
		setvbuf(fp, iobuf, _IOFBF, CAPTURE_READ_BUF);
	if (fread(magic, 1, 2, fp) != 2 || magic[0] != 0x1f || magic[1] != 0x8b) {
		rewind(fp);
		return fp;
	}
	fclose(fp);
	gz = gzopen(path, "rb");
	if (!gz) {
		snprintf(errbuf, CAPTURE_ERRBUF_SIZE, "%s: cannot open gzip stream", path);
		return NULL;
	}
	gzbuffer(gz, CAPTURE_READ_BUF);
	fp = fopencookie(gz, "rb", gz_io);
	if (fp && iobuf)
		setvbuf(fp, iobuf, _IOFBF, CAPTURE_READ_BUF);
	if (!fp) {
		gzclose(gz);
		snprintf(errbuf, CAPTURE_ERRBUF_SIZE, "%s: %s", path, strerror(errno));
	}
	return fp;
}

static int capture_set_filter(pcap_t *pcap, const char *bpf, char *errbuf)
{
	struct bpf_program prog;

	if (!bpf || !*bpf)
		return 0;
	if (pcap_compile(pcap, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(errbuf, CAPTURE_ERRBUF_SIZE, "invalid filter '%s': %s", bpf,
			 pcap_geterr(pcap));
		return AW_EFILTER;
	}
	if (pcap_setfilter(pcap, &prog) < 0) {
		snprintf(errbuf, CAPTURE_ERRBUF_SIZE, "cannot set filter '%s': %s", bpf,
			 pcap_geterr(pcap));
		pcap_freecode(&prog);
		return AW_EFILTER;
	}
	pcap_freecode(&prog);
	return 0;
}

static int capture_wrap(capture_t **out, pcap_t *pcap, int live)
{
	capture_t *c = calloc(1, sizeof(*c));

	if (!c) {
		pcap_close(pcap);
		return AW_ENOMEM;
	}
	c->pcap = pcap;
	c->live = live;
	c->linktype = pcap_datalink(pcap);
	*out = c;
	return 0;
}

int capture_open_file(capture_t **out, const char *path, const char *bpf, char *errbuf)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	char *iobuf = malloc(CAPTURE_READ_BUF);
	FILE *fp;
	pcap_t *pcap;
	int rc;

	*out = NULL;
	fp = capture_open_stream(path, iobuf, errbuf);
	if (!fp) {
		rc = errno == ENOENT ? AW_ENOENT : errno == EACCES ? AW_EPERM : AW_EIO;
		free(iobuf);
		return rc;
	}
	pcap = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, perr);
	if (!pcap) {
		fclose(fp);
		free(iobuf);
		snprintf(errbuf, CAPTURE_ERRBUF_SIZE, "%s: not a readable capture file (%s)", path,
			 perr);
		return AW_EFORMAT;
	}
	rc = capture_set_filter(pcap, bpf, errbuf);
	if (rc == 0)
		rc = capture_wrap(out, pcap, 0);
	else
		pcap_close(pcap);
	if (rc < 0)
		free(iobuf);
	else
		(*out)->iobuf = iobuf;
	return rc;
}

static int capture_activate_error(pcap_t *pcap, int rc, const char *iface, char *errbuf)
{
	const char *why = pcap_geterr(pcap);

	switch (rc) {
	case PCAP_ERROR_NO_SUCH_DEVICE:
		snprintf(errbuf, CAPTURE_ERRBUF_SIZE, "interface %s: no such device", iface);
		return AW_ENOENT;
	case PCAP_ERROR_PERM_DENIED:
		snprintf(errbuf, CAPTURE_ERRBUF_SIZE,
			 "interface %s: permission denied (run as root or grant CAP_NET_RAW)",
			 iface);
		return AW_EPERM;
	case PCAP_ERROR_IFACE_NOT_UP:
		snprintf(errbuf, CAPTURE_ERRBUF_SIZE, "interface %s: not up", iface);
		return AW_ECAPTURE;
	default:
		snprintf(errbuf, CAPTURE_ERRBUF_SIZE, "interface %s: %s", iface,
			 why && *why ? why : pcap_statustostr(rc));
		return AW_ECAPTURE;
	}
}

int capture_open_live(capture_t **out, const char *iface, const capture_config_t *cfg,
		      const char *bpf, char *errbuf)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	pcap_t *pcap;
	int rc;

	*out = NULL;
	pcap = pcap_create(iface, perr);
	if (!pcap) {
		snprintf(errbuf, CAPTURE_ERRBUF_SIZE, "interface %s: %s", iface, perr);
		return AW_ECAPTURE;
	}
	pcap_set_snaplen(pcap, cfg->snaplen);
	pcap_set_promisc(pcap, cfg->promisc);
	pcap_set_immediate_mode(pcap, cfg->immediate);
	pcap_set_buffer_size(pcap, cfg->buffer_mb * 1024 * 1024);
	pcap_set_timeout(pcap, cfg->timeout_ms);
	rc = pcap_activate(pcap);
	if (rc < 0) {
		rc = capture_activate_error(pcap, rc, iface, errbuf);
		pcap_close(pcap);
		return rc;
	}
	rc = capture_set_filter(pcap, bpf, errbuf);
	if (rc < 0) {
		pcap_close(pcap);
		return rc;
	}
	return capture_wrap(out, pcap, 1);
}

int capture_next(capture_t *c, packet_t *p, int *eof, char *errbuf)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc = pcap_next_ex(c->pcap, &h, &data);

	*eof = 0;
	if (rc == 1) {
		p->ts_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
		p->data = data;
		p->caplen = h->caplen;
		p->wirelen = h->len;
		p->linktype = c->linktype;
		p->pcap_cnt = ++c->count;
		c->stats.packets++;
		c->stats.bytes += h->caplen;
		return 1;
	}
	if (rc == 0)
		return 0;
	*eof = 1;
	if (rc == PCAP_ERROR_BREAK)
		return 0;
	c->stats.errors++;
	snprintf(errbuf, CAPTURE_ERRBUF_SIZE, "%s", pcap_geterr(c->pcap));
	return AW_ETRUNCATED;
}

void capture_get_stats(capture_t *c, capture_stats_t *out)
{
	struct pcap_stat ps;

	if (c->live && pcap_stats(c->pcap, &ps) == 0) {
		c->stats.kernel_packets = ps.ps_recv;
		c->stats.kernel_drops = ps.ps_drop;
		c->stats.kernel_ifdrops = ps.ps_ifdrop;
	}
	*out = c->stats;
}

int capture_linktype(const capture_t *c)
{
	return c->linktype;
}

int capture_is_live(const capture_t *c)
{
	return c->live;
}

void capture_close(capture_t *c)
{
	if (!c)
		return;
	pcap_close(c->pcap);
	free(c->iobuf);
	free(c);
}

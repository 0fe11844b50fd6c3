/*
 * capture.c - libpcap capture of files and interfaces (see capture.h).
 *
 * Compressed files: libpcap reads from a FILE *, so a gzip file is opened with zlib and wrapped
 * in a stdio cookie stream (glibc's fopencookie); libpcap then reads pcap or pcapng from it as
 * from any file and closes it through the cookie.
 *
 * Plain classic pcap files (the common case for replays, and the largest) are read by apiwatch
 * itself: libpcap still opens the file and judges its header (link type, snap length, time
 * precision), then the records are read in 1 MiB blocks straight into one buffer and every
 * packet is handed on where it lies. Through libpcap each packet is copied twice (the read
 * into stdio's buffer, then into libpcap's own); here the read is the only copy. Record errors
 * give libpcap's own messages, and a filter runs through pcap_offline_filter, so results are
 * those of the libpcap path, which gzip, pcapng and other files still take.
 */
#include "capture.h"
#include "mem.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcap/pcap.h>
#include <zlib.h>

#include "error.h"

#define CAPTURE_READ_BUF (256u * 1024)
#define CAPTURE_BLOCK (1u << 20) /* bytes read at once by the direct reader */
#define CAPTURE_MAX_RECORD (256u * 1024) /* larger snap lengths take the libpcap path */
#define CAPTURE_PCAP_HDR 24 /* classic pcap file header */
#define CAPTURE_REC_HDR 16 /* classic pcap record header */
#define CAPTURE_BUF (CAPTURE_BLOCK + CAPTURE_MAX_RECORD + CAPTURE_REC_HDR)

/* A classic pcap file read directly. */
typedef struct capture_direct {
	int fd;
	int swapped; /* the file's byte order is not the host's */
	int nsec; /* timestamps in nanoseconds */
	uint32_t snaplen, maxlen; /* libpcap's snapshot, and its maximum for the link type */
	int has_filter;
	struct bpf_program prog;
	unsigned char *buf; /* CAPTURE_BUF bytes */
	mem_account_t acct; /* buf's, not reported: a capture has no pipeline */
	size_t off, len; /* next record at buf + off; bytes in buf */
	int eof; /* read(2) said end of file */
} capture_direct_t;

struct capture {
	pcap_t *pcap;
	int fd; /* live: the selectable descriptor of a non-blocking handle; -1 otherwise */
	int timeout_ms; /* live: how long a read waits for a packet */
	capture_direct_t *direct; /* set: read here; pcap only judged the header */
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
	c->fd = -1;
	c->linktype = pcap_datalink(pcap);
	*out = c;
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Classic pcap read directly */

static uint32_t capture_u32(const unsigned char *p, int swapped)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return swapped ? __builtin_bswap32(v) : v;
}

/* libpcap's largest sane record for a link type (its max_snaplen_for_dlt). */
static uint32_t capture_max_snaplen(int dlt)
{
	switch (dlt) {
	case DLT_DBUS:
		return 128u * 1024 * 1024;
	case DLT_EBHSCR:
		return 8u * 1024 * 1024;
	case DLT_USBPCAP:
		return 1024u * 1024;
	default:
		return 262144;
	}
}

static void capture_direct_free(capture_direct_t *d)
{
	if (!d)
		return;
	if (d->fd >= 0)
		close(d->fd);
	if (d->has_filter)
		pcap_freecode(&d->prog);
	mem_table_free(&d->acct, d->buf, CAPTURE_BUF);
	free(d);
}

/* Sets up the direct reader when path is a regular, uncompressed classic pcap file that
 * libpcap (pcap, already open) accepted; NULL otherwise, and libpcap reads it. */
static capture_direct_t *capture_direct_open(const char *path, pcap_t *pcap)
{
	unsigned char hdr[CAPTURE_PCAP_HDR];
	capture_direct_t *d;
	struct stat st;
	uint32_t magic;
	int fd;

	if (capture_max_snaplen(pcap_datalink(pcap)) > CAPTURE_MAX_RECORD)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    read(fd, hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr)) {
		close(fd);
		return NULL;
	}
	memcpy(&magic, hdr, sizeof(magic));
	d = calloc(1, sizeof(*d));
	if (!d) {
		close(fd);
		return NULL;
	}
	d->fd = fd;
	switch (magic) {
	case 0xa1b2c3d4u:
		break;
	case 0xd4c3b2a1u:
		d->swapped = 1;
		break;
	case 0xa1b23c4du:
		d->nsec = 1;
		break;
	case 0x4d3cb2a1u:
		d->swapped = d->nsec = 1;
		break;
	default: /* pcapng, Kuznetzov's and other variants: libpcap reads them */
		capture_direct_free(d);
		return NULL;
	}
	/* Read at every packet: a mapping of its own, on huge pages (mem_table_alloc). */
	mem_account_init(&d->acct, "capture", 0);
	d->buf = mem_table_alloc(&d->acct, CAPTURE_BUF);
	if (!d->buf) {
		capture_direct_free(d);
		return NULL;
	}

	d->snaplen = (uint32_t)pcap_snapshot(pcap);
	d->maxlen = capture_max_snaplen(pcap_datalink(pcap));
	return d;
}

/* Makes at least want bytes available at buf + off, reading more; fewer at the end of the
 * file. The bytes not yet used move to the front first. */
static size_t capture_direct_fill(capture_direct_t *d, size_t want)
{
	size_t room;
	ssize_t n;

	if (d->len - d->off >= want || d->eof)
		return d->len - d->off;
	if (d->off) {
		memmove(d->buf, d->buf + d->off, d->len - d->off);
		d->len -= d->off;
		d->off = 0;
	}
	while (d->len < want && !d->eof) {
		room = CAPTURE_BUF - d->len;
		if (room > CAPTURE_BLOCK)
			room = CAPTURE_BLOCK;
		n = read(d->fd, d->buf + d->len, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			d->eof = 1; /* a read error ends the file like a truncation */
			break;
		}
		d->len += (size_t)n;
	}
	return d->len - d->off;
}

/* The next record, as pcap_next_ex would give it: 1, 0 at the end, or AW_ETRUNCATED with
 * libpcap's message. The packet's bytes stay valid until the next call. */
static int capture_direct_next(capture_direct_t *d, packet_t *p, char *errbuf)
{
	for (;;) {
		const unsigned char *r;
		uint32_t sec, frac, caplen, len, keep;
		size_t left = capture_direct_fill(d, CAPTURE_REC_HDR);

		if (left == 0)
			return 0;
		if (left < CAPTURE_REC_HDR) {
			snprintf(errbuf, CAPTURE_ERRBUF_SIZE,
				 "truncated dump file; tried to read %u header bytes, only got %zu",
				 CAPTURE_REC_HDR, left);
			return AW_ETRUNCATED;
		}
		r = d->buf + d->off;
		caplen = capture_u32(r + 8, d->swapped);
		if (caplen > d->maxlen) {
			if (caplen > d->snaplen)
				snprintf(errbuf, CAPTURE_ERRBUF_SIZE,
					 "invalid packet capture length %u, bigger than snaplen of "
					 "%u",
					 caplen, d->snaplen);
			else
				snprintf(errbuf, CAPTURE_ERRBUF_SIZE,
					 "invalid packet capture length %u, bigger than maximum of "
					 "%u",
					 caplen, d->maxlen);
			return AW_ETRUNCATED;
		}
		left = capture_direct_fill(d, CAPTURE_REC_HDR + (size_t)caplen);
		if (left < CAPTURE_REC_HDR + (size_t)caplen) {
			snprintf(
				errbuf, CAPTURE_ERRBUF_SIZE,
				"truncated dump file; tried to read %u captured bytes, only got %zu",
				caplen, left - CAPTURE_REC_HDR);
			return AW_ETRUNCATED;
		}
		r = d->buf + d->off; /* the fill may have moved it */
		sec = capture_u32(r, d->swapped);
		frac = capture_u32(r + 4, d->swapped);
		len = capture_u32(r + 12, d->swapped);
		d->off += CAPTURE_REC_HDR + caplen;
		/* libpcap keeps at most the snapshot length of a record (and skips the rest). */
		keep = caplen > d->snaplen ? d->snaplen : caplen;
		if (d->nsec)
			frac /= 1000;
		if (d->has_filter) {
			struct pcap_pkthdr ph;

			ph.ts.tv_sec = (time_t)sec;
			ph.ts.tv_usec = (suseconds_t)frac;
			ph.caplen = keep;
			ph.len = len;
			if (!pcap_offline_filter(&d->prog, &ph, r + CAPTURE_REC_HDR))
				continue; /* not counted in pcap_cnt, as with libpcap */
		}
		p->ts_us = (uint64_t)sec * 1000000u + frac;
		p->data = r + CAPTURE_REC_HDR;
		p->caplen = keep;
		p->wirelen = len;
		return 1;
	}
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
	if (rc < 0) {
		free(iobuf);
		return rc;
	}
	(*out)->iobuf = iobuf;
	(*out)->direct = capture_direct_open(path, pcap);
	if ((*out)->direct && bpf && *bpf) {
		capture_direct_t *d = (*out)->direct;

		/* Compiled again for pcap_offline_filter: libpcap keeps its copy to itself. */
		if (pcap_compile(pcap, &d->prog, bpf, 1, PCAP_NETMASK_UNKNOWN) == 0) {
			d->has_filter = 1;
		} else {
			capture_direct_free(d);
			(*out)->direct = NULL;
		}
	}
	return 0;
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
	rc = capture_wrap(out, pcap, 1);
	if (rc < 0)
		return rc;
	/* Reads wait in poll(2) with the timeout, not inside libpcap: with immediate mode on
	 * Linux, a blocking read of an idle interface does not return at the timeout, and the
	 * idle clock (timeouts, stats, Redis flushes) would stand still. */
	(*out)->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 100;
	if (pcap_setnonblock(pcap, 1, perr) == 0)
		(*out)->fd = pcap_get_selectable_fd(pcap);
	return 0;
}

int capture_next(capture_t *c, packet_t *p, int *eof, char *errbuf)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	*eof = 0;
	if (c->direct) {
		rc = capture_direct_next(c->direct, p, errbuf);
		if (rc == 1) {
			p->linktype = c->linktype;
			p->pcap_cnt = ++c->count;
			c->stats.packets++;
			c->stats.bytes += p->caplen;
			return 1;
		}
		*eof = 1;
		if (rc < 0)
			c->stats.errors++;
		return rc;
	}
	rc = pcap_next_ex(c->pcap, &h, &data);
	if (rc == 0 && c->fd >= 0) {
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN, .revents = 0};

		/* Nothing waiting: wait for the descriptor (a signal cuts the wait short). */
		if (poll(&pfd, 1, c->timeout_ms) <= 0)
			return 0;
		rc = pcap_next_ex(c->pcap, &h, &data);
	}
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

void capture_breakloop(capture_t *c)
{
	if (c && c->pcap)
		pcap_breakloop(c->pcap);
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
	capture_direct_free(c->direct);
	pcap_close(c->pcap);
	free(c->iobuf);
	free(c);
}

/*
 * main.c - command line, signals, the capture loop and the summary printed at exit.
 *
 * Reads options into the configuration (read-only from then on), opens the inputs (capture
 * files in order, or one live interface), feeds each packet to the pipeline, and on the end of
 * the input or on SIGINT/SIGTERM ends every flow, writes the final stats event and prints a
 * summary on stderr. Exit status: 0 on success, 1 when an input, the spec (--spec) or the
 * output cannot be used, 2 on a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alert.h"
#include "capture.h"
#include "config.h"
#include "error.h"
#include "pipeline.h"

#define MAIN_PROGRESS_EVERY 65536

static volatile sig_atomic_t main_stop;
/* The live capture, so that a signal wakes a read waiting on an idle interface: without it
 * the loop would only see main_stop when the next packet arrives. */
static capture_t *volatile main_live;

static void main_on_signal(int sig)
{
	(void)sig;
	main_stop = 1;
	if (main_live)
		capture_breakloop(main_live);
}

static void main_usage(FILE *fp)
{
	fprintf(fp,
		"Usage: apiwatch -r FILE [FILE...] [options]\n"
		"       apiwatch -i IFACE [options]\n"
		"\n"
		"A passive API-security sensor: reads traffic from capture files or a mirror port\n"
		"and writes Suricata-style EVE JSON events.\n"
		"\n"
		"Inputs:\n"
		"  -r, --read FILE...      replay pcap / pcapng captures, gzip-compressed or not\n"
		"  -i, --interface IFACE   live capture (SPAN / mirror port)\n"
		"  -f, --filter BPF        capture filter (tcpdump syntax)\n"
		"Declared API:\n"
		"  --spec FILE             OpenAPI 3.x document (YAML or JSON) of the API the\n"
		"                          traffic should follow (setting inventory.spec)\n"
		"Output:\n"
		"  --eve PATH              EVE JSON output ('-' for stdout); default ./eve.json\n"
		"  --inventory PATH        API inventory (JSON) at exit and every inventory.interval\n"
		"  --openapi PATH          OpenAPI 3.0 document of the inventory, at exit\n"
		"Baselines:\n"
		"  --redis URL             share baselines through Redis:\n"
		"                          redis://[:password@]host:port[/db]; default: embedded\n"
		"  --baseline-save FILE    write the learned baselines to FILE at exit\n"
		"  --baseline-load FILE    start from the baselines saved in FILE\n"
		"  --alert-sink SPEC       alerts also to: stdout, redis-list:URL#KEY,\n"
		"                          redis-pubsub:URL#CHANNEL, redis-stream:URL#KEY[#MAXLEN],\n"
		"                          syslog[:FACILITY][:unix:PATH] (repeatable; URL is\n"
		"                          redis://[:PASSWORD@]HOST[:PORT][/DB]; setting alert.sinks)\n"
		"Settings:\n"
		"  -c, --config FILE       YAML file of settings\n"
		"  --set KEY=VALUE         one setting (after the file); see --list-settings\n"
		"  --list-settings         print every setting and exit\n"
		"Other:\n"
		"  --progress, --no-progress  progress line on stderr (default: when a terminal)\n"
		"  -q, --quiet             no summary at exit\n"
		"  -v, --verbose           more detail in the summary\n"
		"  -V, --version           print the version and exit\n"
		"  -h, --help              this help\n");
}

enum main_long_opt {
	MAIN_OPT_EVE = 256,
	MAIN_OPT_INVENTORY,
	MAIN_OPT_OPENAPI,
	MAIN_OPT_SET,
	MAIN_OPT_LIST_SETTINGS,
	MAIN_OPT_PROGRESS,
	MAIN_OPT_NO_PROGRESS,
	MAIN_OPT_SPEC,
	MAIN_OPT_REDIS,
	MAIN_OPT_BASELINE_SAVE,
	MAIN_OPT_BASELINE_LOAD,
	MAIN_OPT_ALERT_SINK
};

static const struct option main_options[] = {
	{"read", required_argument, NULL, 'r'},
	{"interface", required_argument, NULL, 'i'},
	{"filter", required_argument, NULL, 'f'},
	{"eve", required_argument, NULL, MAIN_OPT_EVE},
	{"spec", required_argument, NULL, MAIN_OPT_SPEC},
	{"inventory", required_argument, NULL, MAIN_OPT_INVENTORY},
	{"openapi", required_argument, NULL, MAIN_OPT_OPENAPI},
	{"alert-sink", required_argument, NULL, MAIN_OPT_ALERT_SINK},
	{"config", required_argument, NULL, 'c'},
	{"set", required_argument, NULL, MAIN_OPT_SET},
	{"list-settings", no_argument, NULL, MAIN_OPT_LIST_SETTINGS},
	{"progress", no_argument, NULL, MAIN_OPT_PROGRESS},
	{"no-progress", no_argument, NULL, MAIN_OPT_NO_PROGRESS},
	{"redis", required_argument, NULL, MAIN_OPT_REDIS},
	{"baseline-save", required_argument, NULL, MAIN_OPT_BASELINE_SAVE},
	{"baseline-load", required_argument, NULL, MAIN_OPT_BASELINE_LOAD},
	{"quiet", no_argument, NULL, 'q'},
	{"verbose", no_argument, NULL, 'v'},
	{"version", no_argument, NULL, 'V'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

typedef struct main_opts {
	const char *config_file;
	const char *spec; /* --spec: applied after the settings, so that it wins */
	const char *sets[64];
	int nsets;
	const char *sinks[ALERT_SINKS_MAX + 1]; /* --alert-sink: replace alert.sinks */
	int nsinks;
	int quiet;
} main_opts_t;

static int main_add_file(aw_config_t *cfg, const char *path)
{
	if (cfg->nfiles >= CONFIG_MAX_FILES) {
		fprintf(stderr, "apiwatch: at most %d capture files\n", CONFIG_MAX_FILES);
		return -1;
	}
	cfg->files[cfg->nfiles++] = path;
	return 0;
}

/* Copies a file path option into its setting. */
static int main_set_path(char dst[ENDPOINT_PATH_MAX], const char *path)
{
	if (!path[0] || strlen(path) >= ENDPOINT_PATH_MAX) {
		fprintf(stderr, "apiwatch: path '%s' is empty or longer than %d bytes\n", path,
			ENDPOINT_PATH_MAX - 1);
		return -1;
	}
	memcpy(dst, path, strlen(path) + 1);
	return 0;
}

/* Parses argv into cfg and opts. Returns -1 to exit 2, 1 to exit 0, 0 to run. */
static int main_parse(int argc, char **argv, aw_config_t *cfg, main_opts_t *opts)
{
	int c;

	while ((c = getopt_long(argc, argv, "r:i:f:c:qvVh", main_options, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (main_add_file(cfg, optarg) < 0)
				return -1;
			break;
		case 'i':
			cfg->iface = optarg;
			break;
		case 'f':
			cfg->bpf = optarg;
			break;
		case MAIN_OPT_EVE:
			cfg->output.eve_path = optarg;
			break;
		case MAIN_OPT_INVENTORY:
		case MAIN_OPT_OPENAPI:
			if (main_set_path(c == MAIN_OPT_INVENTORY ? cfg->inventory.inventory_path
								  : cfg->inventory.openapi_path,
					  optarg) < 0)
				return -1;
			break;
		case 'c':
			opts->config_file = optarg;
			break;
		case MAIN_OPT_SPEC:
			opts->spec = optarg;
			break;
		case MAIN_OPT_ALERT_SINK:
			if (opts->nsinks >= ALERT_SINKS_MAX + 1) {
				fprintf(stderr, "apiwatch: too many --alert-sink options\n");
				return -1;
			}
			opts->sinks[opts->nsinks++] = optarg;
			break;
		case MAIN_OPT_SET:
			if (opts->nsets >= 64) {
				fprintf(stderr, "apiwatch: too many --set options\n");
				return -1;
			}
			opts->sets[opts->nsets++] = optarg;
			break;
		case MAIN_OPT_LIST_SETTINGS:
			config_print_settings(stdout);
			return 1;
		case MAIN_OPT_PROGRESS:
			cfg->progress = 1;
			break;
		case MAIN_OPT_NO_PROGRESS:
			cfg->progress = 0;
			break;
		case MAIN_OPT_REDIS:
			if (strlen(optarg) >= sizeof(cfg->baseline.redis_url)) {
				fprintf(stderr, "apiwatch: --redis: URL too long\n");
				return -1;
			}
			snprintf(cfg->baseline.redis_url, sizeof(cfg->baseline.redis_url), "%s",
				 optarg);
			cfg->baseline_enabled = 1;
			break;
		case MAIN_OPT_BASELINE_SAVE:
			cfg->baseline.save_path = optarg;
			cfg->baseline_enabled = 1;
			break;
		case MAIN_OPT_BASELINE_LOAD:
			cfg->baseline.load_path = optarg;
			cfg->baseline_enabled = 1;
			break;
		case 'q':
			opts->quiet = 1;
			break;
		case 'v':
			cfg->verbose++;
			break;
		case 'V':
			printf("apiwatch %s\n", APIWATCH_VERSION);
			return 1;
		case 'h':
			main_usage(stdout);
			return 1;
		default:
			main_usage(stderr);
			return -1;
		}
	}
	/* Further arguments are more capture files: apiwatch -r a.pcap b.pcap. */
	for (; optind < argc; optind++) {
		if (!cfg->nfiles) {
			fprintf(stderr, "apiwatch: unexpected argument '%s'\n", argv[optind]);
			return -1;
		}
		if (main_add_file(cfg, argv[optind]) < 0)
			return -1;
	}
	if (!cfg->nfiles == !cfg->iface) {
		fprintf(stderr, "apiwatch: give either -r FILE... or -i IFACE (see --help)\n");
		return -1;
	}
	return 0;
}

/* --alert-sink options replace the alert.sinks setting; a SPEC that does not parse, or the
 * stdout sink beside an EVE output on stdout, is a usage error. */
static int main_apply_sinks(aw_config_t *cfg, const main_opts_t *opts)
{
	char err[CONFIG_ERRBUF_SIZE];
	size_t len = 0;
	int i;

	if (opts->nsinks) {
		cfg->alert.sinks[0] = '\0';
		for (i = 0; i < opts->nsinks; i++) {
			size_t n = strlen(opts->sinks[i]);

			if (strpbrk(opts->sinks[i], " \t") ||
			    len + n + 2 > sizeof(cfg->alert.sinks)) {
				fprintf(stderr, "apiwatch: --alert-sink '%s': %s\n", opts->sinks[i],
					strpbrk(opts->sinks[i], " \t") ? "no spaces (use %20)"
								       : "too long");
				return -1;
			}
			if (len)
				cfg->alert.sinks[len++] = ' ';
			memcpy(cfg->alert.sinks + len, opts->sinks[i], n + 1);
			len += n;
		}
	}
	if (alert_sinks_check(cfg->alert.sinks, err, sizeof(err)) < 0) {
		fprintf(stderr, "apiwatch: %s\n", err);
		return -1;
	}
	if (cfg->output.eve_path && strcmp(cfg->output.eve_path, "-") == 0 &&
	    (strstr(cfg->alert.sinks, "stdout") == cfg->alert.sinks ||
	     strstr(cfg->alert.sinks, " stdout"))) {
		fprintf(stderr,
			"apiwatch: the stdout alert sink and --eve - would mix on stdout\n");
		return -1;
	}
	return 0;
}

static int main_apply_settings(aw_config_t *cfg, const main_opts_t *opts)
{
	char err[CONFIG_ERRBUF_SIZE];
	int i;

	if (opts->config_file && config_load_file(cfg, opts->config_file, err) < 0) {
		fprintf(stderr, "apiwatch: %s\n", err);
		return -1;
	}
	for (i = 0; i < opts->nsets; i++) {
		char key[256];
		const char *eq = strchr(opts->sets[i], '=');

		if (!eq || (size_t)(eq - opts->sets[i]) >= sizeof(key)) {
			fprintf(stderr, "apiwatch: --set wants KEY=VALUE, got '%s'\n",
				opts->sets[i]);
			return -1;
		}
		memcpy(key, opts->sets[i], (size_t)(eq - opts->sets[i]));
		key[eq - opts->sets[i]] = '\0';
		if (config_set(cfg, key, eq + 1, err) < 0) {
			fprintf(stderr, "apiwatch: %s\n", err);
			return -1;
		}
	}
	if (opts->spec && config_set(cfg, "inventory.spec", opts->spec, err) < 0) {
		fprintf(stderr, "apiwatch: --spec: %s\n", err);
		return -1;
	}
	return main_apply_sinks(cfg, opts);
}

/* ------------------------------------------------------------------------------------------ */
/* The capture loop */

static double main_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void main_progress(const pipeline_t *pl, double t0)
{
	pipeline_summary_t s;
	double dt = main_monotonic() - t0;

	pipeline_get_summary(pl, &s);
	fprintf(stderr, "\rapiwatch: %llu packets, %.1f MB, %.1f MB/s, %llu flows   ",
		(unsigned long long)s.packets, (double)s.bytes / 1e6,
		dt > 0 ? (double)s.bytes / 1e6 / dt : 0.0, (unsigned long long)s.flows);
}

/* Opens one input (a capture file, or the live interface when file is NULL). */
static capture_t *main_open_input(const aw_config_t *cfg, const char *file)
{
	char err[CAPTURE_ERRBUF_SIZE] = "";
	capture_t *cap;
	int rc = file ? capture_open_file(&cap, file, cfg->bpf, err)
		      : capture_open_live(&cap, cfg->iface, &cfg->capture, cfg->bpf, err);

	if (rc < 0) {
		fprintf(stderr, "apiwatch: %s\n", err);
		return NULL;
	}
	return cap;
}

/* Feeds one opened input to the pipeline, then closes it. */
static void main_run_input(pipeline_t *pl, const aw_config_t *cfg, capture_t *cap, const char *file,
			   double t0, int progress)
{
	char err[CAPTURE_ERRBUF_SIZE] = "";
	capture_stats_t cs;
	double last_progress = t0;
	uint64_t n = 0;
	int rc, eof = 0;

	pipeline_set_input(pl, file);
	while (!main_stop) {
		packet_t p;

		memset(&p, 0, sizeof(p));
		rc = capture_next(cap, &p, &eof, err);
		if (rc == 1) {
			pipeline_packet(pl, &p);
			if (progress && ++n % MAIN_PROGRESS_EVERY == 0 &&
			    main_monotonic() - last_progress >= 1.0) {
				last_progress = main_monotonic();
				main_progress(pl, t0);
			}
			continue;
		}
		if (rc < 0) {
			fprintf(stderr,
				"apiwatch: warning: %s: %s; the rest of the file is skipped\n",
				file ? file : cfg->iface, err);
			break;
		}
		if (eof)
			break;
		/* A live read timed out: let packet time follow the wall clock while idle. */
		{
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			pipeline_idle(pl, (uint64_t)ts.tv_sec * 1000000u +
						  (uint64_t)ts.tv_nsec / 1000u);
		}
	}
	capture_get_stats(cap, &cs);
	pipeline_set_capture_stats(pl, &cs);
	main_live = NULL;
	capture_close(cap);
}

/* Opens every capture file once before any is processed, so that a bad file list fails at
 * once with no partial output. */
static int main_check_files(const aw_config_t *cfg)
{
	char err[CAPTURE_ERRBUF_SIZE];
	int i;

	for (i = 0; i < cfg->nfiles; i++) {
		capture_t *cap;

		if (capture_open_file(&cap, cfg->files[i], cfg->bpf, err) < 0) {
			fprintf(stderr, "apiwatch: %s\n", err);
			return -1;
		}
		capture_close(cap);
	}
	return 0;
}

static void main_summary(const pipeline_t *pl, const aw_config_t *cfg, double secs)
{
	pipeline_summary_t s;

	pipeline_get_summary(pl, &s);
	fprintf(stderr,
		"apiwatch: %llu packets (%.1f MB) in %.2f s, %.1f MB/s; %llu flows (%llu TCP, "
		"%llu UDP); %llu TCP gaps; %llu packets not decoded\n",
		(unsigned long long)s.packets, (double)s.bytes / 1e6, secs,
		secs > 0 ? (double)s.bytes / 1e6 / secs : 0.0, (unsigned long long)s.flows,
		(unsigned long long)s.tcp_flows, (unsigned long long)s.udp_flows,
		(unsigned long long)s.gaps, (unsigned long long)s.decode_drops);
	fprintf(stderr, "apiwatch: %llu events written to %s; peak memory %.1f MiB\n",
		(unsigned long long)s.events, cfg->output.eve_path,
		(double)s.mem_peak / (1024.0 * 1024.0));
	{
		struct timespec pt, all;

		/* Per core, as a line-rate sensor is judged: the packet thread's CPU time (output
		 * runs on the writer thread), beside the whole process's. */
		if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &pt) == 0 &&
		    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &all) == 0) {
			double p = (double)pt.tv_sec + (double)pt.tv_nsec / 1e9;
			double a = (double)all.tv_sec + (double)all.tv_nsec / 1e9;

			fprintf(stderr,
				"apiwatch: CPU %.3f s in the packet thread (%.1f MB/s per core), "
				"%.3f s in all\n",
				p, p > 0 ? (double)s.bytes / 1e6 / p : 0.0, a);
		}
	}
	if (s.output_waits)
		fprintf(stderr,
			"apiwatch: packet processing waited %llu times for the EVE writer\n",
			(unsigned long long)s.output_waits);
	if (cfg->verbose && pipeline_spec(pl)) {
		const endpoint_spec_info_t *in = endpoint_spec_info(pipeline_spec(pl));

		fprintf(stderr,
			"apiwatch: spec %s (OpenAPI %s): %u operations on %u paths, %u deprecated, "
			"%u base paths, %u schemas\n",
			in->name, in->openapi, in->operations, in->paths, in->deprecated, in->bases,
			in->schemas);
	}
}

/* A spec scoped by its servers to hosts that got no call: most likely the API answers under
 * another name here, and nothing was checked. Said even with -q. */
static void main_spec_unreached(const pipeline_t *pl)
{
	const endpoint_spec_t *sp = pipeline_spec(pl);
	pipeline_summary_t s;
	const char *h;
	size_t hl = 0;

	if (!sp)
		return;
	pipeline_get_summary(pl, &s);
	if (s.spec_calls || !s.spec_outside_calls)
		return;
	h = endpoint_spec_host(sp, 0, &hl);
	fprintf(stderr,
		"apiwatch: warning: %s is about host %.*s%s, which got no call; %llu calls went to "
		"other hosts and were not checked (setting inventory.spec-hosts)\n",
		endpoint_spec_info(sp)->name, (int)hl, h ? h : "",
		endpoint_spec_info(sp)->hosts > 1 ? " and others" : "",
		(unsigned long long)s.spec_outside_calls);
}

/* Says once at start-up what a loaded spec left out, so that a partial check is known. */
static void main_spec_warnings(const pipeline_t *pl)
{
	const endpoint_spec_info_t *in;

	if (!pipeline_spec(pl))
		return;
	in = endpoint_spec_info(pipeline_spec(pl));
	if (in->warnings)
		fprintf(stderr, "apiwatch: warning: %s: %u things not checked; first: %s\n",
			in->name, in->warnings, in->first_warning);
}

int main(int argc, char **argv)
{
	static aw_config_t cfg;
	main_opts_t opts;
	pipeline_t *pl;
	capture_t *live = NULL;
	struct sigaction sa;
	char err[512];
	double t0;
	int rc, i, progress, status = 0;

	memset(&opts, 0, sizeof(opts));
	config_default(&cfg);
	rc = main_parse(argc, argv, &cfg, &opts);
	if (rc)
		return rc < 0 ? 2 : 0;
	if (main_apply_settings(&cfg, &opts) < 0)
		return 2;
	if (endpoint_spec_check_hosts(cfg.spec_hosts, err, sizeof(err)) < 0) {
		fprintf(stderr, "apiwatch: %s\n", err);
		return 2;
	}
	if (cfg.nfiles && main_check_files(&cfg) < 0)
		return 1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = main_on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* A live interface is opened before anything else, so that a missing interface or
	 * missing privileges fail with one line and no output file. */
	if (cfg.iface && !(live = main_open_input(&cfg, NULL)))
		return 1;
	rc = pipeline_new(&pl, &cfg, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "apiwatch: %s\n", err);
		capture_close(live);
		return rc == AW_ECONFIG ? 2 : 1;
	}
	if (!opts.quiet)
		main_spec_warnings(pl);
	progress = cfg.progress < 0 ? isatty(STDERR_FILENO) : cfg.progress;
	t0 = main_monotonic();
	if (live) {
		main_live = live;
		main_run_input(pl, &cfg, live, NULL, t0, progress);
	} else {
		for (i = 0; i < cfg.nfiles && !main_stop; i++) {
			capture_t *cap = main_open_input(&cfg, cfg.files[i]);

			if (!cap) {
				/* Checked at start: it changed since. What was read is still flushed. */
				status = 1;
				break;
			}
			main_run_input(pl, &cfg, cap, cfg.files[i], t0, progress);
		}
	}
	if (pipeline_finish(pl) < 0)
		status = 1;
	if (progress)
		fprintf(stderr, "\n");
	if (pipeline_save_baseline(pl, err, sizeof(err)) < 0) {
		fprintf(stderr, "apiwatch: %s\n", err);
		status = 1;
	}
	if (!opts.quiet)
		main_summary(pl, &cfg, main_monotonic() - t0);
	main_spec_unreached(pl);
	pipeline_free(pl);
	return status;
}

/*
 * config.h - every setting of the sensor, in one struct.
 *
 * Settings come from defaults, then a YAML file (-c), then --set KEY=VALUE options, each key
 * named as in the table of config.c (`apiwatch --list-settings` prints it). After start-up the
 * configuration is read-only: it is the only state shared by all stages.
 */
#ifndef APIWATCH_CONFIG_H
#define APIWATCH_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "baseline.h"
#include "alert.h"
#include "capture.h"
#include "decode.h"
#include "detect.h"
#include "endpoint.h"
#include "flow.h"
#include "http1.h"
#include "output.h"
#include "output_http.h"
#include "tcp_session.h"

#define CONFIG_MAX_FILES 256
#define CONFIG_ERRBUF_SIZE 512

typedef struct aw_config {
	/* Inputs. */
	const char *files[CONFIG_MAX_FILES];
	int nfiles;
	const char *iface;
	const char *bpf;
	capture_config_t capture;

	/* Stages. */
	decode_config_t decode;
	flow_config_t flow;
	tcp_config_t tcp;
	output_config_t output;
	http1_config_t http; /* http.* */
	output_http_config_t http_out; /* eve.http.*, privacy.hash-key */
	uint32_t l7_max_packets;
	int inventory_enabled; /* inventory.enabled: templates, principals, catalogue */
	char trusted_proxies[512]; /* inventory.trusted-proxies: CIDR list */
	char spec_path[1024]; /* inventory.spec: OpenAPI document of the declared API, or "" */
	char spec_hosts[1024]; /* inventory.spec-hosts: hosts it is about ("": its servers) */
	endpoint_config_t inventory; /* inventory.*: the endpoint catalogue, its files */
	int baseline_enabled; /* baseline.enabled: behavioural baselines (needs the inventory) */
	baseline_config_t baseline; /* baseline.*, --redis, --baseline-save, --baseline-load */
	alert_config_t alert; /* alert.*: the alert stage and its sinks */
	detect_config_t detect; /* detect.*: the detectors (on: the baselines are on too) */
	uint64_t stats_interval_us; /* packet time between stats events; 0 = only at exit */
	int progress; /* progress line on stderr: -1 auto (a terminal), 0, 1 */
	int verbose;
} aw_config_t;

/* Fills cfg with the defaults. */
void config_default(aw_config_t *cfg);

/* Applies one KEY=VALUE setting. Returns AW_ECONFIG with a message in errbuf when the key is
 * unknown or the value does not parse or is out of range. */
int config_set(aw_config_t *cfg, const char *key, const char *value, char *errbuf);

/* Applies a YAML configuration file (nested maps flatten to dotted keys). */
int config_load_file(aw_config_t *cfg, const char *path, char *errbuf);

/* Prints every key with its default and meaning. */
void config_print_settings(FILE *fp);

#endif

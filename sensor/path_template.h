/*
 * path_template.h - endpoint templates: concrete request paths to /users/{userId}/orders/{orderId}.
 *
 * Fed by the inventory stage with each API call's host, method and percent-decoded path (no
 * query); hands back the call's endpoint template, an interned string with a stable id that
 * baselines, detectors and the output hang off. Templates are learned per (host, method) from
 * the traffic itself, in two steps:
 *
 * 1. Lexical: every segment is classified by hand-written scanners (path_template_classify).
 *    Integers, UUIDs, 24-hex object ids, hex runs of 16 or more, hashes, base64url tokens of 20
 *    or more, JWTs, e-mail addresses, dates, IPv4 addresses, mixed alphanumerics (6 or more
 *    characters with 3 or more digits) and opaque bytes are parameters at once. Words, versions
 *    (v1, 1.2.3) and short word-number tokens (oauth2, html5, sha256, x86_64) stay literal.
 * 2. Learned: a tree of path positions per (host, method). A position whose literal values keep
 *    being new (usernames, slugs, random tokens) becomes a parameter position: past a soft cap of
 *    distinct literal children new values go to its parameter child; past a hard cap, or when
 *    the share of first-seen values in its traffic stays high once it has enough traffic (the
 *    novelty test; after a resource word a young position already collapses when most of its
 *    first calls bring new values), or when enough of its literal children lead on to the same
 *    literal (the shape test: /fleets/north/reports, /fleets/bay/reports), the position
 *    collapses: every literal child carrying less than a set share
 *    of the position's traffic (the frequency test) is merged into the parameter child. A
 *    position with a few recurring literals (/sessions/login, /reports/daily) stays literal.
 *
 * Stability: a template never changes once chosen, except by a collapse, which is reported by
 * PATH_TEMPLATE_F_COLLAPSED on the call that caused it and, template by template, through the
 * merge callback, so that callers can fold the baselines of the old template into the new one.
 * A collapse only ever turns literals into parameters, never the reverse, and a position that
 * once turned a literal value away (soft cap, collapse, a cap on memory) never grows literal
 * children again. The one exception is the catch-all: a call given it under memory pressure may
 * get a real template later.
 *
 * Parameter names (fixed when the parameter position is created):
 *   - id-like values (integer, UUID, object id, hex, hash, base64url, mixed, opaque, compact
 *     date 20240131, learned words) after a literal word: that word singularised + "Id"
 *     (users -> {userId}, order-items -> {orderItemId}, categories -> {categoryId});
 *   - the same without such a word: {id} for lexical classes, {param} for learned ones;
 *   - other classes by class, whatever comes before: {email}, {date} (2024-01-31), {token}
 *     (JWT), {ip};
 *   - a name already used earlier in the same template takes a suffix: {userId2}.
 *   Segments past the segment cap become one trailing {*}.
 *
 * Bounded memory: literal children per position (soft cap), nodes per tree, trees (distinct
 * host and method pairs; past the cap calls go to one shared overflow tree with host and method
 * "*"), and bytes (memcap, plus the account's own cap). A call that cannot be given a node gets
 * its tree's catch-all template "/{*}" (flag PATH_TEMPLATE_F_OVERFLOW); every cap hit is counted.
 * The edge table is keyed by attacker-chosen strings and hashed with a per-context SipHash key;
 * results never depend on that key.
 *
 * It does not resolve routes against a declared spec, does not look at query strings or bodies,
 * and keeps no per-template statistics beyond the traffic counts its tests need. One context
 * belongs to one pipeline (one thread).
 */
#ifndef APIWATCH_PATH_TEMPLATE_H
#define APIWATCH_PATH_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>

#include "api_call.h"
#include "mem.h"

/* Longest segment the lexical classifier looks at; longer ones are opaque parameters. */
#define PATH_TEMPLATE_SEGMENT_MAX 256

/* Lexical class of a path segment. */
enum path_template_class {
	PATH_TEMPLATE_CLASS_LITERAL = 0, /* a word, version or anything not below */
	PATH_TEMPLATE_CLASS_INTEGER, /* 4711 */
	PATH_TEMPLATE_CLASS_UUID, /* 9f0c1b2e-7b1c-4f6e-9a4b-2d3c4e5f6a7b */
	PATH_TEMPLATE_CLASS_OBJECT_ID, /* 24 hex digits (MongoDB ObjectId) */
	PATH_TEMPLATE_CLASS_HEX, /* 16 or more hex digits of another length */
	PATH_TEMPLATE_CLASS_HASH, /* 32, 40, 64 or 128 hex digits (MD5, SHA-1, SHA-256, SHA-512) */
	PATH_TEMPLATE_CLASS_BASE64, /* base64url token of 20 or more that looks random */
	PATH_TEMPLATE_CLASS_JWT, /* eyJ...  three dot-separated base64url parts */
	PATH_TEMPLATE_CLASS_EMAIL, /* local@domain.tld */
	PATH_TEMPLATE_CLASS_DATE, /* 2024-01-31, 2024-01-31T10:00:00Z, 20240131 */
	PATH_TEMPLATE_CLASS_MIXED, /* 6 or more letters and digits, 3 or more digits */
	PATH_TEMPLATE_CLASS_IP, /* dotted IPv4 address */
	PATH_TEMPLATE_CLASS_OPAQUE, /* too long, or control bytes or braces */
	PATH_TEMPLATE_CLASS_LEARNED, /* lexically literal: a parameter only by learning */
	PATH_TEMPLATE_CLASS__COUNT
};

/* An interned template. Valid until it is merged (merge callback) or the context is freed. */
typedef struct path_template {
	uint64_t id; /* unique in the context, never reused; 1-based */
	uint32_t len; /* strlen(str) */
	const char *str; /* "/api/v1/users/{userId}", NUL-terminated */
	const char *host; /* host of the tree, NUL-terminated; "*" for the overflow tree */
	const char *method; /* method of the tree; "*" for the overflow tree */
} path_template_t;

/* Flags of one path_template_apply() call. F_NEW is set on the call that made its template;
 * templates made by a collapse are announced as `into` of the merge callback instead. */
#define PATH_TEMPLATE_F_NEW 0x0001 /* the template was created by this call */
#define PATH_TEMPLATE_F_COLLAPSED 0x0002 /* this call collapsed a position: templates merged */
#define PATH_TEMPLATE_F_CAPPED 0x0004 /* a literal went to a parameter: its position is full */
#define PATH_TEMPLATE_F_OVERFLOW 0x0008 /* a cap left the call on a catch-all or overflow tree */
#define PATH_TEMPLATE_F_TRUNCATED 0x0010 /* segments past the cap were folded into {*} */
#define PATH_TEMPLATE_F_DOT_SEGMENT 0x0020 /* "." or ".." segments were resolved */
#define PATH_TEMPLATE_F_ROOT_NEW 0x0040 /* the (host, method) tree was created by this call */

typedef struct path_template_config {
	uint32_t max_segments; /* segments kept; the rest become {*} */
	uint32_t max_segment_len; /* longer segments are opaque parameters (<= SEGMENT_MAX) */
	uint32_t soft_cap; /* literal children per position before values go to the parameter */
	uint32_t hard_cap; /* distinct values per position past which it collapses */
	uint32_t max_nodes; /* nodes per (host, method) tree */
	uint32_t max_trees; /* (host, method) trees; past it, the shared overflow tree */
	uint64_t memcap; /* bytes of the whole context (trees, templates, edge table) */
	uint32_t min_traffic; /* calls at a position before the novelty test may collapse it */
	uint32_t novelty_min; /* first-seen values needed by the novelty test */
	uint32_t novelty_pct; /* ... and their share, in percent, of the position's literal calls */
	uint32_t keep_pct; /* on collapse, literals with at least this share of calls stay */
	uint32_t keep_hits; /* ... and so do literals seen at least this often */
	uint32_t
		fast_traffic; /* literal calls before the fast novelty test (after a resource word) */
	uint32_t
		fast_pct; /* ... which collapses when first-seen values are this share, in percent */
} path_template_config_t;

typedef struct path_template_counters {
	uint64_t calls; /* path_template_apply() calls */
	uint64_t trees; /* live (host, method) trees, overflow tree included */
	uint64_t nodes; /* live nodes, roots included */
	uint64_t nodes_peak;
	uint64_t templates; /* live templates, catch-alls included */
	uint64_t templates_created;
	uint64_t templates_merged; /* templates folded into another by collapses */
	uint64_t capped; /* literals sent to a parameter because their position was full */
	uint64_t collapse_hard; /* positions collapsed by the hard cap */
	uint64_t collapse_novelty; /* positions collapsed by the novelty test */
	uint64_t tree_cap_hits; /* calls sent to the overflow tree by the tree cap */
	uint64_t node_cap_hits; /* nodes refused by the per-tree cap */
	uint64_t mem_cap_hits; /* allocations refused by the memcap or the account */
	uint64_t catchall; /* calls answered with a catch-all template */
	uint64_t truncated; /* paths with more segments than the cap */
	uint64_t dot_segments; /* paths with "." or ".." segments */
	uint64_t bytes; /* bytes in use */
	uint64_t bytes_peak;
} path_template_counters_t;

typedef struct path_template_ctx path_template_ctx_t;

/* Called once per template folded into another by a collapse, before `from` is freed; `into` is
 * what the paths of `from` produce from now on. Callers move their state (baselines) over. */
typedef void (*path_template_merge_cb)(const path_template_t *from, const path_template_t *into,
				       void *ud);

void path_template_config_default(path_template_config_t *cfg);

/* Creates a context charged to acct (which must outlive it). cfg NULL means the defaults; zero
 * fields take their default. merge_cb may be NULL. */
int path_template_ctx_new(path_template_ctx_t **out, const path_template_config_t *cfg,
			  mem_account_t *acct, path_template_merge_cb merge_cb, void *ud);

/* Frees the context and every template; NULL is fine. */
void path_template_ctx_free(path_template_ctx_t *ctx);

/*
 * Learns from one call and gives its template in *out (owned by ctx; see path_template_t for how
 * long it lives) and what happened in *flags (PATH_TEMPLATE_F_*, may be NULL). host, method and
 * path are borrowed for the call only; path is percent-decoded and without the query. Caps never
 * make it fail: at worst the call gets a catch-all template. AW_EINVAL on NULL ctx or out.
 */
int path_template_apply(path_template_ctx_t *ctx, const path_template_t **out, unsigned *flags,
			aw_slice_t host, aw_slice_t method, aw_slice_t path);

const path_template_counters_t *path_template_counters(const path_template_ctx_t *ctx);
const path_template_config_t *path_template_config(const path_template_ctx_t *ctx);

/* The lexical class of one segment (n bytes at s); no context, no learning. */
enum path_template_class path_template_classify(const char *s, size_t n);

/* "integer", "uuid", ... as written in events and tests. */
const char *path_template_class_name(enum path_template_class c);

#endif

/*
 * path_template.c - endpoint templates learned from traffic (see path_template.h).
 *
 * Layout: each (host, method) pair has a tree whose nodes are path positions under a prefix.
 * Literal children are found through one edge table shared by all trees, keyed by (parent id,
 * segment) under a per-context SipHash key, and listed on their parent for walks; the parameter
 * child and the {*} tail child hang off two pointers. Per segment the hot path is one scan to
 * classify and, for literals only, one SipHash and a probe. Learning state is a few counters
 * per node and a 128-bit sketch of the distinct values a full position turned away.
 *
 * A collapse folds the subtrees of demoted literals into the parameter's subtree node by node,
 * exactly as the traffic would have been routed there, and retires each template it replaces
 * through the merge callback. Results never depend on the hash key: walks follow the child
 * lists, in creation order, so a replay gives the same templates and ids.
 */
#include "path_template.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "siphash.h"

#define PATH_SEGMENTS_LIMIT 64 /* ceiling of max_segments: a walk keeps its segments on the stack */
#define PATH_METHOD_MAX 16
#define PATH_HOST_MAX 255
#define PATH_KEY_MAX (PATH_METHOD_MAX + 1 + PATH_HOST_MAX) /* longest edge key: a tree's root */
#define PATH_NAME_MAX 48 /* "{" + 32-character word + "Id" + suffix + "}" fits */
#define PATH_TABLE_MIN 1024 /* initial edge-table slots */
#define PATH_SKETCH_BITS 128
#define PATH_LIT_SCAN 4 /* positions with up to this many literals are walked, not hashed */
/* The literal cache and a short copy of the last tree's key share the room a full copy of that
 * key took, so that the context's size (and the memory it accounts for) stayed the same. */
#define PATH_LIT_CACHE 32
#define PATH_LAST_KEY (sizeof(size_t) + PATH_KEY_MAX - PATH_LIT_CACHE * sizeof(void *) - 4)

/* ------------------------------------------------------------------------------------------ */
/* Character kinds and the lexical classifier */

#define PATH_K_DIG 0x0001u /* 0-9 */
#define PATH_K_HXL 0x0002u /* a-f */
#define PATH_K_HXU 0x0004u /* A-F */
#define PATH_K_LOW 0x0008u /* g-z */
#define PATH_K_UPP 0x0010u /* G-Z */
#define PATH_K_DSH 0x0020u /* - */
#define PATH_K_UND 0x0040u /* _ */
#define PATH_K_DOT 0x0080u /* . */
#define PATH_K_AT 0x0100u /* @ */
#define PATH_K_PLS 0x0200u /* + */
#define PATH_K_EQU 0x0400u /* = */
#define PATH_K_PUN 0x0800u /* other printable ASCII */
#define PATH_K_HIG 0x1000u /* bytes >= 0x80 (UTF-8) */
#define PATH_K_BAD 0x2000u /* control bytes, DEL, braces, slash */

#define PATH_K_ALPHA (PATH_K_HXL | PATH_K_HXU | PATH_K_LOW | PATH_K_UPP)
#define PATH_K_HEX (PATH_K_DIG | PATH_K_HXL | PATH_K_HXU)
#define PATH_K_ALNUM (PATH_K_DIG | PATH_K_ALPHA)
#define PATH_K_B64URL (PATH_K_ALNUM | PATH_K_DSH | PATH_K_UND)

static const char *const path_class_names[PATH_TEMPLATE_CLASS__COUNT] = {
	[PATH_TEMPLATE_CLASS_LITERAL] = "literal", [PATH_TEMPLATE_CLASS_INTEGER] = "integer",
	[PATH_TEMPLATE_CLASS_UUID] = "uuid",	   [PATH_TEMPLATE_CLASS_OBJECT_ID] = "object_id",
	[PATH_TEMPLATE_CLASS_HEX] = "hex",	   [PATH_TEMPLATE_CLASS_HASH] = "hash",
	[PATH_TEMPLATE_CLASS_BASE64] = "base64",   [PATH_TEMPLATE_CLASS_JWT] = "jwt",
	[PATH_TEMPLATE_CLASS_EMAIL] = "email",	   [PATH_TEMPLATE_CLASS_DATE] = "date",
	[PATH_TEMPLATE_CLASS_MIXED] = "mixed",	   [PATH_TEMPLATE_CLASS_IP] = "ip",
	[PATH_TEMPLATE_CLASS_OPAQUE] = "opaque",   [PATH_TEMPLATE_CLASS_LEARNED] = "learned",
};

/* Character groups for the transition count of path_scan, above the kind bits of
 * path_kinds[]: digit, lower case, upper case, anything else. */
#define PATH_G_SHIFT 14
#define PATH_G_DIG (0u << PATH_G_SHIFT)
#define PATH_G_LOW (1u << PATH_G_SHIFT)
#define PATH_G_UPP (2u << PATH_G_SHIFT)
#define PATH_G_OTH (3u << PATH_G_SHIFT)
#define PATH_K_ALL 0x3fffu

/* The kind and group of every byte: one load per byte of a segment. */
#define PATH_T_BAD (PATH_K_BAD | PATH_G_OTH)
#define PATH_T_PUN (PATH_K_PUN | PATH_G_OTH)
#define PATH_T_HIG (PATH_K_HIG | PATH_G_OTH)
#define PATH_T_DIG (PATH_K_DIG | PATH_G_DIG)
#define PATH_T_HXL (PATH_K_HXL | PATH_G_LOW)
#define PATH_T_LOW (PATH_K_LOW | PATH_G_LOW)
#define PATH_T_HXU (PATH_K_HXU | PATH_G_UPP)
#define PATH_T_UPP (PATH_K_UPP | PATH_G_UPP)
#define PATH_T_4(k) k, k, k, k
#define PATH_T_16(k) PATH_T_4(k), PATH_T_4(k), PATH_T_4(k), PATH_T_4(k)

/* clang-format off */
static const uint16_t path_kinds[256] = {
	/* 0x00 - 0x1f: control bytes */
	PATH_T_16(PATH_T_BAD), PATH_T_16(PATH_T_BAD),
	/* 0x20 - 0x2f: space ! " # $ % & ' ( ) * + , - . / */
	PATH_T_PUN, PATH_T_PUN, PATH_T_PUN, PATH_T_PUN, PATH_T_PUN, PATH_T_PUN, PATH_T_PUN,
	PATH_T_PUN, PATH_T_PUN, PATH_T_PUN, PATH_T_PUN, PATH_K_PLS | PATH_G_OTH, PATH_T_PUN,
	PATH_K_DSH | PATH_G_OTH, PATH_K_DOT | PATH_G_OTH, PATH_T_BAD,
	/* 0x30 - 0x3f: 0-9 : ; < = > ? */
	PATH_T_4(PATH_T_DIG), PATH_T_4(PATH_T_DIG), PATH_T_DIG, PATH_T_DIG,
	PATH_T_PUN, PATH_T_PUN, PATH_T_PUN, PATH_K_EQU | PATH_G_OTH, PATH_T_PUN, PATH_T_PUN,
	/* 0x40 - 0x5f: @ A-F G-Z [ \ ] ^ _ */
	PATH_K_AT | PATH_G_OTH,
	PATH_T_HXU, PATH_T_HXU, PATH_T_HXU, PATH_T_HXU, PATH_T_HXU, PATH_T_HXU,
	PATH_T_4(PATH_T_UPP), PATH_T_16(PATH_T_UPP),
	PATH_T_PUN, PATH_T_PUN, PATH_T_PUN, PATH_T_PUN, PATH_K_UND | PATH_G_OTH,
	/* 0x60 - 0x7f: ` a-f g-z { | } ~ DEL */
	PATH_T_PUN,
	PATH_T_HXL, PATH_T_HXL, PATH_T_HXL, PATH_T_HXL, PATH_T_HXL, PATH_T_HXL,
	PATH_T_4(PATH_T_LOW), PATH_T_16(PATH_T_LOW),
	PATH_T_BAD, PATH_T_PUN, PATH_T_BAD, PATH_T_PUN, PATH_T_BAD,
	/* 0x80 - 0xff: UTF-8 */
	PATH_T_16(PATH_T_HIG), PATH_T_16(PATH_T_HIG), PATH_T_16(PATH_T_HIG), PATH_T_16(PATH_T_HIG),
	PATH_T_16(PATH_T_HIG), PATH_T_16(PATH_T_HIG), PATH_T_16(PATH_T_HIG), PATH_T_16(PATH_T_HIG),
};
/* clang-format on */

/* The kind of one byte. */
static unsigned path_kind_of(uint8_t c)
{
	return path_kinds[c] & PATH_K_ALL;
}

static int path_is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* What one pass over a segment learns. */
typedef struct path_scan {
	unsigned mask; /* PATH_K_* of every byte, or-ed */
	uint32_t digits, dots, ats;
	uint32_t transitions; /* neighbours of different groups: digit, lower, upper, other */
} path_scan_t;

static void path_scan(path_scan_t *sc, const uint8_t *s, size_t n)
{
	unsigned mask = 0, prev = path_kinds[s[0]] >> PATH_G_SHIFT;
	uint32_t digits = 0, dots = 0, ats = 0, transitions = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned e = path_kinds[s[i]], g = e >> PATH_G_SHIFT;

		mask |= e;
		digits += e & PATH_K_DIG;
		dots += (e & PATH_K_DOT) != 0;
		ats += (e & PATH_K_AT) != 0;
		transitions += g != prev;
		prev = g;
	}
	sc->mask = mask & PATH_K_ALL;
	sc->digits = digits;
	sc->dots = dots;
	sc->ats = ats;
	sc->transitions = transitions;
}

/* n decimal digits at s into *v; 0 unless all n are digits. */
static int path_num(const uint8_t *s, size_t n, unsigned *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!path_is_digit(s[i]))
			return 0;
		*v = *v * 10 + (unsigned)(s[i] - '0');
	}
	return 1;
}

static int path_ymd_ok(unsigned y, unsigned m, unsigned d)
{
	return y >= 1900 && y <= 2199 && m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

/* 20240131 */
static int path_is_date8(const uint8_t *s)
{
	unsigned y, m, d;

	return path_num(s, 4, &y) && path_num(s + 4, 2, &m) && path_num(s + 6, 2, &d) &&
	       path_ymd_ok(y, m, d);
}

/* 2024-01-31, optionally followed by a time: 2024-01-31T10:00:00.123+01:00 */
static int path_is_date_iso(const uint8_t *s, size_t n)
{
	unsigned y, m, d;
	size_t i;

	if (n < 10 || s[4] != '-' || s[7] != '-' || !path_num(s, 4, &y) ||
	    !path_num(s + 5, 2, &m) || !path_num(s + 8, 2, &d) || !path_ymd_ok(y, m, d))
		return 0;
	if (n == 10)
		return 1;
	if (n == 11 || (s[10] != 'T' && s[10] != 't' && s[10] != '_'))
		return 0;
	for (i = 11; i < n; i++) {
		uint8_t c = s[i];

		if (!path_is_digit(c) && c != ':' && c != '.' && c != '+' && c != '-' && c != 'Z' &&
		    c != 'z')
			return 0;
	}
	return 1;
}

/* 8-4-4-4-12 hex digits; the caller checked the length and the characters. */
static int path_is_uuid(const uint8_t *s)
{
	int i;

	for (i = 0; i < 36; i++)
		if ((s[i] == '-') != (i == 8 || i == 13 || i == 18 || i == 23))
			return 0;
	return 1;
}

/* 8-4-4-4-12 hex digits, checked in one pass: what the full scan and path_is_uuid find. */
static int path_is_uuid_fast(const uint8_t *s)
{
	int i;

	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!(path_kinds[s[i]] & PATH_K_HEX)) {
			return 0;
		}
	}
	return 1;
}

/* A JWS: the header is base64url of '{"' (eyJ), then payload and signature (empty for
 * alg none). The caller checked for two dots and base64url characters. */
static int path_is_jwt(const uint8_t *s, size_t n)
{
	const uint8_t *d1, *d2;

	if (n < 10 || s[0] != 'e' || s[1] != 'y' || s[2] != 'J')
		return 0;
	d1 = memchr(s, '.', n);
	d2 = memchr(d1 + 1, '.', n - (size_t)(d1 + 1 - s));
	return d1 - s >= 4 && d2 - d1 > 2;
}

/* local@domain.tld: the caller checked for one @ and the local part's characters. */
static int path_is_email(const uint8_t *s, size_t n)
{
	const uint8_t *at = memchr(s, '@', n);
	size_t a = (size_t)(at - s), i, last_dot = 0;

	if (a == 0 || n - a < 5)
		return 0;
	for (i = a + 1; i < n; i++) {
		if (s[i] == '.') {
			if (i == a + 1 || s[i - 1] == '.')
				return 0;
			last_dot = i;
		} else if (!(path_kind_of(s[i]) & (PATH_K_ALNUM | PATH_K_DSH))) {
			return 0;
		}
	}
	return last_dot && n - last_dot > 2 && (path_kind_of(s[n - 1]) & PATH_K_ALPHA);
}

/* Four dotted decimal parts of at most 255. */
static int path_is_ipv4(const uint8_t *s, size_t n)
{
	size_t i = 0;
	int parts = 0;

	for (;;) {
		unsigned v = 0, len = 0;

		while (i < n && path_is_digit(s[i]) && len < 4) {
			v = v * 10 + (unsigned)(s[i++] - '0');
			len++;
		}
		if (len == 0 || len > 3 || v > 255)
			return 0;
		if (++parts == 4 || i == n || s[i] != '.')
			break;
		i++;
	}
	return parts == 4 && i == n;
}

/* v1, V2, 1.0, 2.3.1, v1.2.0-beta.1: versions stay literal however many digits they hold. */
static int path_is_version(const uint8_t *s, size_t n)
{
	int v = s[0] == 'v' || s[0] == 'V';
	size_t i = (size_t)v;
	unsigned parts = 0;

	if (n > 24)
		return 0;
	for (;;) {
		size_t st = i;

		while (i < n && path_is_digit(s[i]) && i - st < 4)
			i++;
		if (i == st || (i < n && path_is_digit(s[i])))
			return 0;
		parts++;
		if (i == n || s[i] != '.' || parts == 3)
			break;
		i++;
	}
	if (parts < 2 && !v)
		return 0;
	if (i == n)
		return 1;
	if (parts < 2 || (s[i] != '-' && s[i] != '+'))
		return 0;
	for (i++; i < n; i++)
		if (!(path_kind_of(s[i]) & (PATH_K_ALNUM | PATH_K_DOT | PATH_K_DSH)))
			return 0;
	return 1;
}

/* sha256, x86_64, iso-8859-1, es2015: a word of up to five letters and a number of up to four
 * digits (and maybe a second one) names a standard more often than an object. */
static int path_is_word_number(const uint8_t *s, size_t n)
{
	size_t i = 0, st;

	while (i < n && (path_kind_of(s[i]) & PATH_K_ALPHA))
		i++;
	if (i == 0 || i > 5)
		return 0;
	if (i < n && (s[i] == '-' || s[i] == '_'))
		i++;
	st = i;
	while (i < n && path_is_digit(s[i]))
		i++;
	if (i == st || i - st > 4)
		return 0;
	if (i == n)
		return 1;
	if (s[i] != '-' && s[i] != '_' && s[i] != '.')
		return 0;
	st = ++i;
	while (i < n && path_is_digit(s[i]))
		i++;
	return i == n && i > st && i - st <= 4;
}

static int path_is_mixed(const path_scan_t *sc, const uint8_t *s, size_t n)
{
	return sc->digits >= 3 && n >= 6 && (sc->mask & PATH_K_ALPHA) &&
	       !(sc->mask & ~(PATH_K_ALNUM | PATH_K_DSH | PATH_K_UND | PATH_K_DOT)) &&
	       !path_is_version(s, n) && !path_is_word_number(s, n);
}

/* Random base64url changes between digit, lower and upper case at about two thirds of its
 * neighbours; CamelCase words (HowToResetYourPassword) at about a third. */
static int path_is_base64(const path_scan_t *sc, size_t n)
{
	return n >= 20 && !(sc->mask & ~(PATH_K_B64URL | PATH_K_EQU | PATH_K_PLS)) &&
	       (sc->mask & (PATH_K_UPP | PATH_K_HXU)) && (sc->mask & (PATH_K_LOW | PATH_K_HXL)) &&
	       sc->transitions * 2 >= n;
}

enum path_template_class path_template_classify(const char *str, size_t n)
{
	const uint8_t *s = (const uint8_t *)str;
	path_scan_t sc;

	if (n == 0)
		return PATH_TEMPLATE_CLASS_LITERAL;
	if (n > PATH_TEMPLATE_SEGMENT_MAX)
		return PATH_TEMPLATE_CLASS_OPAQUE;
	if (n == 36 && path_is_uuid_fast(s))
		return PATH_TEMPLATE_CLASS_UUID;
	/* Numbers, the most common parameter, without the full scan. */
	if (path_is_digit(s[0])) {
		size_t i = 1;

		while (i < n && path_is_digit(s[i]))
			i++;
		if (i == n)
			return n == 8 && path_is_date8(s) ? PATH_TEMPLATE_CLASS_DATE
							  : PATH_TEMPLATE_CLASS_INTEGER;
	}
	path_scan(&sc, s, n);
	if (sc.mask & PATH_K_BAD)
		return PATH_TEMPLATE_CLASS_OPAQUE;
	if (!(sc.mask & ~PATH_K_HEX) && n >= 16) {
		if (n == 24)
			return PATH_TEMPLATE_CLASS_OBJECT_ID;
		if (n == 32 || n == 40 || n == 64 || n == 128)
			return PATH_TEMPLATE_CLASS_HASH;
		return PATH_TEMPLATE_CLASS_HEX;
	}
	if (n == 36 && !(sc.mask & ~(PATH_K_HEX | PATH_K_DSH)) && path_is_uuid(s))
		return PATH_TEMPLATE_CLASS_UUID;
	if (sc.digits >= 8 && path_is_date_iso(s, n))
		return PATH_TEMPLATE_CLASS_DATE;
	if (sc.dots == 2 && !(sc.mask & ~(PATH_K_B64URL | PATH_K_DOT)) && path_is_jwt(s, n))
		return PATH_TEMPLATE_CLASS_JWT;
	if (sc.ats == 1 && !(sc.mask & ~(PATH_K_B64URL | PATH_K_DOT | PATH_K_AT | PATH_K_PLS)) &&
	    path_is_email(s, n))
		return PATH_TEMPLATE_CLASS_EMAIL;
	if (sc.dots == 3 && sc.mask == (PATH_K_DIG | PATH_K_DOT) && path_is_ipv4(s, n))
		return PATH_TEMPLATE_CLASS_IP;
	if (path_is_mixed(&sc, s, n))
		return PATH_TEMPLATE_CLASS_MIXED;
	if (path_is_base64(&sc, n))
		return PATH_TEMPLATE_CLASS_BASE64;
	return PATH_TEMPLATE_CLASS_LITERAL;
}

const char *path_template_class_name(enum path_template_class c)
{
	return (unsigned)c < PATH_TEMPLATE_CLASS__COUNT ? path_class_names[c] : "unknown";
}

/* ------------------------------------------------------------------------------------------ */
/* Types */

enum path_node_kind {
	PATH_NODE_ROOT = 0, /* "/" of one (host, method); label "METHOD\0host" */
	PATH_NODE_LITERAL, /* a literal segment; in the edge table */
	PATH_NODE_PARAM, /* the parameter of its parent's position; label "{name}" */
	PATH_NODE_TAIL /* the segments past the cap; label "{*}" */
};

#define PATH_N_FROZEN 0x01 /* no new literal children: new values go to the parameter */
#define PATH_N_COLLAPSED 0x02 /* a parameter position: demoted literals live in the parameter */
#define PATH_N_INDEXED 0x04 /* in the edge table */
#define PATH_N_SHAPED 0x08 /* the shape test found its literals alike: collapse on next use */

typedef struct path_tree path_tree_t;
typedef struct path_node path_node_t;

/* The fields a walk reads at every node come first, in one cache line; the size is what the
 * fields take, whatever their order. */
struct path_node {
	path_node_t *parent;
	path_node_t *first; /* literal children, newest first */
	path_node_t *next; /* next literal sibling */
	path_node_t *param; /* parameter child, or NULL */
	uint64_t hits; /* calls that went through this node */
	uint64_t pos_hits; /* calls routed from here to a child: the traffic of the position */
	uint64_t lex_hits; /* ... of which lexical parameters */
	uint16_t label_len;
	uint8_t kind; /* PATH_NODE_* */
	uint8_t flags; /* PATH_N_* */
	uint32_t nlit; /* literal children */
	path_node_t *tail; /* {*} child, or NULL */
	path_tree_t *tree;
	path_template_t *tmpl; /* template of paths ending here, made on first use */
	uint64_t id; /* unique, never reused: part of the children's edge keys */
	uint64_t hash; /* edge hash, when indexed */
	uint64_t sketch[PATH_SKETCH_BITS / 64]; /* values turned away by a frozen position */
	uint32_t n1; /* literal children seen once */
	uint32_t novel; /* sketch bits set: distinct values turned away, under-counted */
	uint8_t cls; /* PARAM: the class that named it */
	char label[]; /* label_len bytes and a NUL */
};

struct path_tree {
	path_node_t *root;
	path_template_t *catchall; /* "/{*}": the answer when caps leave no node */
	path_tree_t *next; /* all trees of the context */
	uint32_t nodes; /* nodes of this tree, root included */
	uint32_t method_len;
};

struct path_template_ctx {
	path_template_config_t cfg;
	mem_account_t *acct;
	/* The tree of the last call: calls come in runs of one host and method (a keep-alive
	 * connection), and trees live as long as the context. */
	path_tree_t *last_tree;
	uint32_t last_klen; /* its key's length, */
	char last_key[PATH_LAST_KEY]; /* and the key when it fits (else the root's label is read) */
	/* Literal children of wide positions lately routed to, by an unkeyed index of (parent,
	 * segment): a hit is checked against the child's parent and label, and stands for the
	 * classifier and the keyed edge table. A node leaves when it is released. */
	path_node_t *lit_cache[PATH_LIT_CACHE];
	path_template_merge_cb merge_cb;
	void *merge_ud;
	uint8_t key[SIPHASH_KEY_LEN];
	path_node_t **slots; /* edge table: open addressing, linear probing */
	uint32_t mask; /* slots - 1 */
	uint32_t used;
	path_tree_t *trees;
	path_tree_t *overflow; /* host "*", method "*": calls past the tree cap */
	uint32_t ntrees; /* trees in the edge table (the overflow tree is not) */
	uint64_t next_node_id;
	uint64_t next_tmpl_id;
	unsigned call_flags; /* PATH_TEMPLATE_F_* of the call in progress */
	path_template_counters_t counters;
};

/* ------------------------------------------------------------------------------------------ */
/* Parameter names */

static const char *const path_stop_words[] = {
	"api", "apis", "rest", "rpc", "graphql", "public", "private", "internal", "external",
	"me",  "self", "my",   "by",  "id",	 "ids",	   "www",     "v",
};

typedef struct path_plural {
	const char *plural, *singular;
} path_plural_t;

/* Matched at the end of the word, at its start or at a CamelCase boundary: userStatuses. */
static const path_plural_t path_irregular[] = {
	{"people", "person"},	  {"children", "child"},  {"statuses", "status"},
	{"aliases", "alias"},	  {"viruses", "virus"},	  {"buses", "bus"},
	{"indices", "index"},	  {"matrices", "matrix"}, {"vertices", "vertex"},
	{"analyses", "analysis"}, {"crises", "crisis"},	  {"movies", "movie"},
	{"cookies", "cookie"},	  {"caches", "cache"},	  {"series", "series"},
	{"species", "species"},	  {"news", "news"},	  {"men", "man"},
	{"women", "woman"},
};

static char path_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static char path_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* True when the n bytes at w end with suffix, ignoring ASCII case. */
static int path_ends(const char *w, size_t n, const char *suffix)
{
	size_t k = strlen(suffix), i;

	if (k > n)
		return 0;
	for (i = 0; i < k; i++)
		if (path_lower(w[n - k + i]) != suffix[i])
			return 0;
	return 1;
}

/* Singularises a CamelCase word in place (room for PATH_NAME_MAX bytes); returns its length. */
static size_t path_singular(char *w, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(path_irregular) / sizeof(path_irregular[0]); i++) {
		const path_plural_t *e = &path_irregular[i];
		size_t pl = strlen(e->plural), sl = strlen(e->singular), st = n - pl;

		if (!path_ends(w, n, e->plural) || (st > 0 && (w[st] < 'A' || w[st] > 'Z')))
			continue;
		memcpy(w + st, e->singular, sl);
		if (st > 0)
			w[st] = path_upper(w[st]);
		return st + sl;
	}
	if (n > 4 && path_ends(w, n, "ies")) {
		w[n - 3] = 'y';
		return n - 2;
	}
	if (n > 4 && (path_ends(w, n, "sses") || path_ends(w, n, "shes") ||
		      path_ends(w, n, "ches") || path_ends(w, n, "xes")))
		return n - 2;
	if (n > 3 && path_ends(w, n, "s") && !path_ends(w, n, "ss") && !path_ends(w, n, "us") &&
	    !path_ends(w, n, "is"))
		return n - 1;
	return n;
}

static int path_is_stop_word(const char *w, size_t n)
{
	size_t i, j;

	for (i = 0; i < sizeof(path_stop_words) / sizeof(path_stop_words[0]); i++) {
		const char *s = path_stop_words[i];

		if (strlen(s) != n)
			continue;
		for (j = 0; j < n && path_lower(w[j]) == s[j]; j++)
			;
		if (j == n)
			return 1;
	}
	return 0;
}

/* The resource a literal segment names for the parameter after it: users -> user, order-items
 * -> orderItem, Line_Items -> lineItem. 0 when the segment is no resource word (v1, api, a
 * file name, a parameter). */
static size_t path_context_word(const path_node_t *p, char *out)
{
	size_t i, n = 0;
	int up = 0, lower_seen = 0;

	if (p->kind != PATH_NODE_LITERAL || p->label_len < 2 || p->label_len > 32 ||
	    !(path_kind_of((uint8_t)p->label[0]) & PATH_K_ALPHA))
		return 0;
	for (i = 0; i < p->label_len; i++) {
		unsigned k = path_kind_of((uint8_t)p->label[i]);

		if (!(k & (PATH_K_ALPHA | PATH_K_DSH | PATH_K_UND)))
			return 0;
		lower_seen |= (k & (PATH_K_LOW | PATH_K_HXL)) != 0;
	}
	if (path_is_stop_word(p->label, p->label_len))
		return 0;
	for (i = 0; i < p->label_len; i++) {
		char c = p->label[i];

		if (c == '-' || c == '_') {
			up = n > 0;
			continue;
		}
		if (!lower_seen || n == 0)
			c = path_lower(c);
		out[n++] = up ? path_upper(c) : c;
		up = 0;
	}
	return path_singular(out, n);
}

static int path_name_used(const path_node_t *p, const char *name, size_t n)
{
	for (; p; p = p->parent)
		if (p->kind == PATH_NODE_PARAM && p->label_len == n && !memcmp(p->label, name, n))
			return 1;
	return 0;
}

/* The label of the parameter child of p: see the naming scheme in path_template.h. */
static size_t path_param_name(const path_node_t *p, unsigned cls, char *out)
{
	const char *fixed = cls == PATH_TEMPLATE_CLASS_EMAIL  ? "email"
			    : cls == PATH_TEMPLATE_CLASS_DATE ? "date"
			    : cls == PATH_TEMPLATE_CLASS_JWT  ? "token"
			    : cls == PATH_TEMPLATE_CLASS_IP   ? "ip"
							      : NULL;
	char base[PATH_NAME_MAX];
	size_t bn;
	unsigned k;

	if (fixed) {
		bn = strlen(fixed);
		memcpy(base, fixed, bn);
	} else if ((bn = path_context_word(p, base)) != 0) {
		memcpy(base + bn, "Id", 2);
		bn += 2;
	} else {
		fixed = cls == PATH_TEMPLATE_CLASS_LEARNED ? "param" : "id";
		bn = strlen(fixed);
		memcpy(base, fixed, bn);
	}
	/* Ancestors hold at most PATH_SEGMENTS_LIMIT names, so a free suffix comes quickly. */
	for (k = 1;; k++) {
		int n = k == 1 ? snprintf(out, PATH_NAME_MAX, "{%.*s}", (int)bn, base)
			       : snprintf(out, PATH_NAME_MAX, "{%.*s%u}", (int)bn, base, k);

		if (!path_name_used(p, out, (size_t)n))
			return (size_t)n;
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Memory and the edge table */

static void *path_alloc(path_template_ctx_t *ctx, size_t n)
{
	void *p;

	if (ctx->counters.bytes + n > ctx->cfg.memcap) {
		ctx->counters.mem_cap_hits++;
		return NULL;
	}
	p = mem_alloc(ctx->acct, n);
	if (!p) {
		ctx->counters.mem_cap_hits++;
		return NULL;
	}
	ctx->counters.bytes += n;
	if (ctx->counters.bytes > ctx->counters.bytes_peak)
		ctx->counters.bytes_peak = ctx->counters.bytes;
	return p;
}

static void path_release(path_template_ctx_t *ctx, void *p, size_t n)
{
	if (!p)
		return;
	mem_free(ctx->acct, p, n);
	ctx->counters.bytes -= n;
}

/* The literal child of p labelled s, found by walking p's children when they are few: cheaper
 * than classifying s and hashing it for the edge table, which would find the same child. */
static path_node_t *path_lit_scan(const path_node_t *p, const char *s, size_t n)
{
	path_node_t *c;

	for (c = p->first; c; c = c->next)
		if (c->label_len == n && memcmp(c->label, s, n) == 0)
			return c;
	return NULL;
}

/* The literal cache's slot of segment s under parent: its length and two of its bytes, mixed
 * with the parent's address. Not keyed: colliding segments only miss the cache. */
static uint32_t path_lit_slot(const path_node_t *parent, const char *s, size_t n)
{
	uint64_t v = (uint64_t)(uintptr_t)parent ^
		     ((uint64_t)(uint8_t)s[0] << 32 | (uint64_t)(uint8_t)s[n - 1] << 40 |
		      (uint64_t)n << 48);

	return (uint32_t)((v * 0x9e3779b97f4a7c15ull) >> 59);
}

/* The literal child of p labelled s, when the cache holds it. */
static path_node_t *path_lit_cached(const path_template_ctx_t *ctx, const path_node_t *p,
				    const char *s, size_t n)
{
	path_node_t *c = ctx->lit_cache[path_lit_slot(p, s, n)];

	return c && c->parent == p && c->label_len == n && memcmp(c->label, s, n) == 0 ? c : NULL;
}

/* Keyed hash of an edge: the parent's id, then the segment (or a tree's "METHOD\0host"). */
static uint64_t path_edge_hash(const path_template_ctx_t *ctx, uint64_t parent, const char *s,
			       size_t n)
{
	uint8_t buf[8 + PATH_KEY_MAX];

	assert(n <= PATH_KEY_MAX);
	memcpy(buf, &parent, 8);
	memcpy(buf + 8, s, n);
	return siphash13(ctx->key, buf, 8 + n);
}

static path_node_t *path_edge_find(const path_template_ctx_t *ctx, const path_node_t *parent,
				   const char *s, size_t n, uint64_t h)
{
	uint32_t i = (uint32_t)h & ctx->mask;
	path_node_t *e;

	while ((e = ctx->slots[i]) != NULL) {
		if (e->hash == h && e->parent == parent && e->label_len == n &&
		    !memcmp(e->label, s, n))
			return e;
		i = (i + 1) & ctx->mask;
	}
	return NULL;
}

static void path_edge_put(path_template_ctx_t *ctx, path_node_t *nd)
{
	uint32_t i = (uint32_t)nd->hash & ctx->mask;

	while (ctx->slots[i])
		i = (i + 1) & ctx->mask;
	ctx->slots[i] = nd;
	ctx->used++;
	nd->flags |= PATH_N_INDEXED;
}

/* Removes nd, shifting back the entries of its probe run so that no tombstones are needed. */
static void path_edge_del(path_template_ctx_t *ctx, path_node_t *nd)
{
	uint32_t i = (uint32_t)nd->hash & ctx->mask, j;

	while (ctx->slots[i] != nd)
		i = (i + 1) & ctx->mask;
	ctx->slots[i] = NULL;
	ctx->used--;
	for (j = (i + 1) & ctx->mask; ctx->slots[j]; j = (j + 1) & ctx->mask) {
		uint32_t home = (uint32_t)ctx->slots[j]->hash & ctx->mask;

		/* The entry stays when its home lies cyclically in (i, j]. */
		if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		ctx->slots[i] = ctx->slots[j];
		ctx->slots[j] = NULL;
		i = j;
	}
}

static int path_edge_grow(path_template_ctx_t *ctx)
{
	uint32_t cap = ctx->mask + 1, ncap = cap * 2, i;
	path_node_t **ns;

	if (cap >= (1u << 28))
		return AW_ELIMIT;
	ns = path_alloc(ctx, (size_t)ncap * sizeof(*ns));
	if (!ns)
		return AW_ENOMEM;
	memset(ns, 0, (size_t)ncap * sizeof(*ns));
	for (i = 0; i < cap; i++) {
		path_node_t *e = ctx->slots[i];
		uint32_t j;

		if (!e)
			continue;
		for (j = (uint32_t)e->hash & (ncap - 1); ns[j]; j = (j + 1) & (ncap - 1))
			;
		ns[j] = e;
	}
	path_release(ctx, ctx->slots, (size_t)cap * sizeof(*ns));
	ctx->slots = ns;
	ctx->mask = ncap - 1;
	return 0;
}

/* Room for one more edge: the table grows at half full; when memory refuses, it fills up to
 * seven eighths, then edges are refused (the caller's cap policy takes over). */
static int path_edge_reserve(path_template_ctx_t *ctx)
{
	uint64_t cap = (uint64_t)ctx->mask + 1;

	if ((ctx->used + 1ull) * 2 <= cap || path_edge_grow(ctx) == 0)
		return 0;
	return (ctx->used + 1ull) * 8 <= cap * 7 ? 0 : AW_ENOMEM;
}

/* ------------------------------------------------------------------------------------------ */
/* Nodes and templates */

static size_t path_node_size(size_t label_len)
{
	return sizeof(path_node_t) + label_len + 1;
}

static path_node_t *path_node_new(path_template_ctx_t *ctx, path_tree_t *tree, path_node_t *parent,
				  unsigned kind, const char *label, size_t n)
{
	path_node_t *nd = path_alloc(ctx, path_node_size(n));

	if (!nd)
		return NULL;
	memset(nd, 0, sizeof(*nd));
	nd->parent = parent;
	nd->tree = tree;
	nd->kind = (uint8_t)kind;
	nd->id = ++ctx->next_node_id;
	nd->label_len = (uint16_t)n;
	memcpy(nd->label, label, n);
	nd->label[n] = '\0';
	tree->nodes++;
	if (++ctx->counters.nodes > ctx->counters.nodes_peak)
		ctx->counters.nodes_peak = ctx->counters.nodes;
	return nd;
}

/* Frees one node; its children and template must be gone, and it must be off its parent. */
static void path_node_release(path_template_ctx_t *ctx, path_node_t *nd)
{
	assert(!nd->first && !nd->param && !nd->tail && !nd->tmpl);
	if (nd->kind == PATH_NODE_LITERAL) {
		path_node_t **e =
			&ctx->lit_cache[path_lit_slot(nd->parent, nd->label, nd->label_len)];

		if (*e == nd)
			*e = NULL;
	}
	if (nd->flags & PATH_N_INDEXED)
		path_edge_del(ctx, nd);
	nd->tree->nodes--;
	ctx->counters.nodes--;
	path_release(ctx, nd, path_node_size(nd->label_len));
}

/* The template of node (NULL: the tree's catch-all "/{*}"), its string built from the labels on
 * the way to the root. */
static path_template_t *path_tmpl_new(path_template_ctx_t *ctx, const path_tree_t *tree,
				      const path_node_t *node)
{
	const path_node_t *p;
	path_template_t *t;
	size_t len = 0, pos;
	char *str;

	for (p = node; p && p->kind != PATH_NODE_ROOT; p = p->parent)
		len += 1 + p->label_len;
	if (!node)
		len = 4;
	else if (len == 0)
		len = 1;
	t = path_alloc(ctx, sizeof(*t) + len + 1);
	if (!t)
		return NULL;
	str = (char *)(t + 1);
	str[len] = '\0';
	if (!node)
		memcpy(str, "/{*}", 4);
	str[0] = '/';
	pos = len;
	for (p = node; p && p->kind != PATH_NODE_ROOT; p = p->parent) {
		pos -= p->label_len;
		memcpy(str + pos, p->label, p->label_len);
		str[--pos] = '/';
	}
	t->id = ++ctx->next_tmpl_id;
	t->len = (uint32_t)len;
	t->str = str;
	t->method = tree->root->label;
	t->host = tree->root->label + tree->method_len + 1;
	ctx->counters.templates++;
	ctx->counters.templates_created++;
	return t;
}

static void path_tmpl_release(path_template_ctx_t *ctx, path_template_t *t)
{
	if (!t)
		return;
	ctx->counters.templates--;
	path_release(ctx, t, sizeof(*t) + t->len + 1);
}

/* Retires `from` in favour of `into`: the caller's callback first, then the memory. */
static void path_tmpl_merge(path_template_ctx_t *ctx, path_template_t *from,
			    const path_template_t *into)
{
	if (ctx->merge_cb)
		ctx->merge_cb(from, into, ctx->merge_ud);
	ctx->counters.templates_merged++;
	ctx->call_flags |= PATH_TEMPLATE_F_COLLAPSED;
	path_tmpl_release(ctx, from);
}

/* ------------------------------------------------------------------------------------------ */
/* Children */

/* Adds a literal child, unless a cap says no: the per-tree node cap keeps an eighth of its
 * room for parameters, which caps turn values into. */
static path_node_t *path_literal_new(path_template_ctx_t *ctx, path_node_t *p, const char *s,
				     size_t n, uint64_t h)
{
	path_node_t *c;

	if (p->tree->nodes >= ctx->cfg.max_nodes - ctx->cfg.max_nodes / 8) {
		ctx->counters.node_cap_hits++;
		return NULL;
	}
	if (path_edge_reserve(ctx) < 0)
		return NULL;
	c = path_node_new(ctx, p->tree, p, PATH_NODE_LITERAL, s, n);
	if (!c)
		return NULL;
	c->hash = h;
	path_edge_put(ctx, c);
	c->next = p->first;
	p->first = c;
	p->nlit++;
	return c;
}

/* The parameter child of p, made on first use and named then, for good. */
static path_node_t *path_param_get(path_template_ctx_t *ctx, path_node_t *p, unsigned cls)
{
	char name[PATH_NAME_MAX];
	size_t n;
	path_node_t *c;

	if (p->param)
		return p->param;
	if (p->tree->nodes >= ctx->cfg.max_nodes) {
		ctx->counters.node_cap_hits++;
		return NULL;
	}
	n = path_param_name(p, cls, name);
	c = path_node_new(ctx, p->tree, p, PATH_NODE_PARAM, name, n);
	if (!c)
		return NULL;
	c->cls = (uint8_t)cls;
	p->param = c;
	return c;
}

static path_node_t *path_tail_get(path_template_ctx_t *ctx, path_node_t *p)
{
	if (p->tail)
		return p->tail;
	if (p->tree->nodes >= ctx->cfg.max_nodes) {
		ctx->counters.node_cap_hits++;
		return NULL;
	}
	p->tail = path_node_new(ctx, p->tree, p, PATH_NODE_TAIL, "{*}", 3);
	return p->tail;
}

/* Counts n calls through c, keeping its parent's count of literals seen once. */
static void path_hits_add(path_node_t *c, uint64_t n)
{
	if (c->kind == PATH_NODE_LITERAL) {
		uint64_t was = c->hits;

		c->hits += n;
		/* Seen once before or after: the parent's count of such children moves. */
		if (was == 1 || c->hits == 1)
			c->parent->n1 += (uint32_t)(c->hits == 1) - (uint32_t)(was == 1);
	} else {
		c->hits += n;
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Learning: collapses and merges */

static void path_merge(path_template_ctx_t *ctx, path_node_t *s, path_node_t *d);

/* Merges s into t, or drops it when caps left no t. */
static void path_merge_or_drop(path_template_ctx_t *ctx, path_node_t *s, path_node_t *t);

/* Frees a subtree. With tell, its templates are retired in favour of the tree's catch-all
 * through the merge callback (a merge found no room under the caps); without, silently
 * (teardown). */
static void path_drop(path_template_ctx_t *ctx, path_node_t *s, int tell)
{
	path_node_t *c;

	while ((c = s->first) != NULL) {
		s->first = c->next;
		path_drop(ctx, c, tell);
	}
	if (s->param)
		path_drop(ctx, s->param, tell);
	if (s->tail)
		path_drop(ctx, s->tail, tell);
	s->param = s->tail = NULL;
	if (s->tmpl && tell)
		path_tmpl_merge(ctx, s->tmpl, s->tree->catchall);
	else
		path_tmpl_release(ctx, s->tmpl);
	s->tmpl = NULL;
	path_node_release(ctx, s);
}

/* Where a literal child c of a merged node goes under the target d: what the traffic would
 * find there (see path_route), without counting it as traffic or testing for collapses. */
static path_node_t *path_route_merge(path_template_ctx_t *ctx, path_node_t *d, const path_node_t *c)
{
	uint64_t h = path_edge_hash(ctx, d->id, c->label, c->label_len);
	path_node_t *t = path_edge_find(ctx, d, c->label, c->label_len, h);

	if (t)
		return t;
	if (!(d->flags & PATH_N_FROZEN)) {
		if (d->nlit < ctx->cfg.soft_cap &&
		    (t = path_literal_new(ctx, d, c->label, c->label_len, h)) != NULL)
			return t;
		d->flags |= PATH_N_FROZEN;
	}
	return path_param_get(ctx, d, PATH_TEMPLATE_CLASS_LEARNED);
}

/* Folds node s (detached from its parent) and its subtree into d, then frees s. Every template
 * of the subtree is retired in favour of the one its paths now reach. */
static void path_merge(path_template_ctx_t *ctx, path_node_t *s, path_node_t *d)
{
	path_node_t *c;

	path_hits_add(d, s->hits);
	d->pos_hits += s->pos_hits;
	d->lex_hits += s->lex_hits;
	while ((c = s->first) != NULL) {
		s->first = c->next;
		c->next = NULL;
		path_merge_or_drop(ctx, c, path_route_merge(ctx, d, c));
	}
	if ((c = s->param) != NULL) {
		s->param = NULL;
		path_merge_or_drop(ctx, c, path_param_get(ctx, d, c->cls));
	}
	if ((c = s->tail) != NULL) {
		s->tail = NULL;
		path_merge_or_drop(ctx, c, path_tail_get(ctx, d));
	}
	if (s->tmpl) {
		if (!d->tmpl)
			d->tmpl = path_tmpl_new(ctx, d->tree, d);
		path_tmpl_merge(ctx, s->tmpl, d->tmpl ? d->tmpl : d->tree->catchall);
		s->tmpl = NULL;
	}
	path_node_release(ctx, s);
}

static void path_merge_or_drop(path_template_ctx_t *ctx, path_node_t *s, path_node_t *t)
{
	if (t)
		path_merge(ctx, s, t);
	else
		path_drop(ctx, s, 1);
}

/* The frequency test: on collapse a literal stays when it carries a fair share of the
 * position's literal traffic (/users/me among usernames) or has a long record (a route that
 * was there before a scanner flooded its position). A young position (the fast test) has too
 * few calls for a share of them to mean much: there a literal needs twice the share and half
 * the novelty minimum of calls, else two hits of a value among sixteen would keep it. */
static int path_keep(const path_template_ctx_t *ctx, const path_node_t *p, const path_node_t *c)
{
	uint64_t lit = p->pos_hits - p->lex_hits;

	if (c->hits >= ctx->cfg.keep_hits)
		return 1;
	if (p->pos_hits < ctx->cfg.min_traffic)
		return c->hits * 100 >= (uint64_t)ctx->cfg.keep_pct * 2 * lit &&
		       c->hits >= ctx->cfg.novelty_min / 2;
	return c->hits * 100 >= (uint64_t)ctx->cfg.keep_pct * lit;
}

/* Turns p into a parameter position: it stays frozen, and its literals that fail the
 * frequency test are merged into its parameter. */
static void path_collapse(path_template_ctx_t *ctx, path_node_t *p, int hard)
{
	path_node_t **link = &p->first, *c, *d;

	p->flags |= PATH_N_FROZEN;
	d = path_param_get(ctx, p, PATH_TEMPLATE_CLASS_LEARNED);
	if (!d)
		return;
	p->flags |= PATH_N_COLLAPSED;
	if (hard)
		ctx->counters.collapse_hard++;
	else
		ctx->counters.collapse_novelty++;
	while ((c = *link) != NULL) {
		if (path_keep(ctx, p, c)) {
			link = &c->next;
			continue;
		}
		*link = c->next;
		c->next = NULL;
		p->nlit--;
		p->n1 -= c->hits == 1;
		path_merge(ctx, c, d);
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Learning: routing one segment */

/* e^-x for x >= 0 without libm: halve into [0, 0.5], a short series, square back. */
static double path_exp_neg(double x)
{
	double t = 1.0, sum = 1.0;
	int k = 0, i;

	while (x > 0.5 && k < 60) {
		x /= 2;
		k++;
	}
	for (i = 1; i < 12; i++) {
		t *= -x / i;
		sum += t;
	}
	while (k-- > 0)
		sum *= sum;
	return sum;
}

/* Sketch bits that stand for the hard cap: d distinct values set m(1 - e^(-d/m)) bits of m
 * (linear counting). A sketch only counts to a few hundred; bigger hard caps saturate. */
static uint32_t path_sketch_need(const path_template_ctx_t *ctx, const path_node_t *p)
{
	double d = (double)ctx->cfg.hard_cap - p->nlit;
	double bits = PATH_SKETCH_BITS * (1.0 - path_exp_neg(d / PATH_SKETCH_BITS));
	uint32_t need = (uint32_t)bits + 1;

	return need > PATH_SKETCH_BITS ? PATH_SKETCH_BITS : need;
}

/* Marks a turned-away value in p's sketch; 1 when its bit was clear. The sketch hash is fixed
 * (FNV-1a) so that collapses do not depend on the per-run key; aiming values at one bit only
 * delays a collapse. */
static int path_sketch_add(path_node_t *p, const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull, bit;
	unsigned b;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 0x100000001b3ull;
	b = (unsigned)((h * 0x9e3779b97f4a7c15ull) >> 57);
	bit = 1ull << (b & 63);
	if (p->sketch[b >> 6] & bit)
		return 0;
	p->sketch[b >> 6] |= bit;
	p->novel++;
	return 1;
}

/* The novelty test: once the position has min_traffic calls, values seen for the first time
 * (literals seen once, plus distinct values turned away) make up a large share of its literal
 * traffic. A position of a few dozen routes fails it: its rare routes come back. */
static int path_novelty_test(const path_template_ctx_t *ctx, const path_node_t *p, uint32_t extra)
{
	uint64_t lit = p->pos_hits - p->lex_hits;
	uint64_t novel = (uint64_t)p->n1 + p->novel + extra;
	char word[PATH_NAME_MAX];

	if (novel < ctx->cfg.novelty_min)
		return 0;
	if (p->pos_hits >= ctx->cfg.min_traffic)
		return novel * 100 >= (uint64_t)ctx->cfg.novelty_pct * lit;
	/* The fast test: after a resource word (/profiles/alice, /blog/some-post), a young
	 * position where most values are new is a parameter. Not after a version, a stop word or
	 * the root, where a broad API's resources all show up at first. */
	return lit >= ctx->cfg.fast_traffic && novel * 100 >= (uint64_t)ctx->cfg.fast_pct * lit &&
	       path_context_word(p, word) != 0;
}

/* The shape test: the literal children of g, after a resource word, are values rather than
 * routes when novelty_min of them lead on to the same literal s (/fleets/north/reports,
 * /fleets/harbor/reports, ...): routes of one API differ below, values of one parameter do not.
 * Run when a literal s is added under a child of g, at most soft_cap lookups. */
static int path_shape_test(const path_template_ctx_t *ctx, const path_node_t *g, const char *s,
			   size_t n)
{
	const path_node_t *q;
	char word[PATH_NAME_MAX];
	uint32_t alike = 0;

	if ((g->flags & (PATH_N_COLLAPSED | PATH_N_SHAPED)) || g->nlit < ctx->cfg.novelty_min ||
	    !path_context_word(g, word))
		return 0;
	for (q = g->first; q; q = q->next) {
		uint64_t h = path_edge_hash(ctx, q->id, s, n);

		if (path_edge_find(ctx, q, s, n, h) && ++alike >= ctx->cfg.novelty_min)
			return 1;
	}
	return 0;
}

/* A literal value p has no child for, at a frozen position: it goes to the parameter, and it
 * may collapse the position (hard cap, novelty test). */
static path_node_t *path_route_value(path_template_ctx_t *ctx, path_node_t *p, const char *s,
				     size_t n)
{
	if (!(p->flags & PATH_N_COLLAPSED)) {
		ctx->counters.capped++;
		ctx->call_flags |= PATH_TEMPLATE_F_CAPPED;
		if (path_sketch_add(p, s, n)) {
			if (p->novel >= path_sketch_need(ctx, p))
				path_collapse(ctx, p, 1);
			else if (path_novelty_test(ctx, p, 0))
				path_collapse(ctx, p, 0);
		}
	}
	return path_param_get(ctx, p, PATH_TEMPLATE_CLASS_LEARNED);
}

/* The child of p that segment s goes to; NULL when caps leave none. */
static path_node_t *path_route(path_template_ctx_t *ctx, path_node_t *p, const char *s, size_t n)
{
	path_node_t *c;
	unsigned cls;
	uint64_t h;

	p->pos_hits++;
	/* A literal child's label is a literal: when s is one, it is what the classifier and the
	 * edge table would find. */
	if ((p->flags & (PATH_N_SHAPED | PATH_N_COLLAPSED)) != PATH_N_SHAPED &&
	    (c = p->nlit <= PATH_LIT_SCAN ? path_lit_scan(p, s, n) : path_lit_cached(ctx, p, s, n)))
		return c;
	cls = n > ctx->cfg.max_segment_len ? PATH_TEMPLATE_CLASS_OPAQUE
					   : path_template_classify(s, n);
	if (cls != PATH_TEMPLATE_CLASS_LITERAL) {
		p->lex_hits++;
		/* A compact date (20240131) is as likely an order number: it names like one. */
		if (cls == PATH_TEMPLATE_CLASS_DATE && n == 8)
			cls = PATH_TEMPLATE_CLASS_INTEGER;
		return path_param_get(ctx, p, cls);
	}
	if ((p->flags & (PATH_N_SHAPED | PATH_N_COLLAPSED)) == PATH_N_SHAPED)
		path_collapse(ctx, p, 0);
	h = path_edge_hash(ctx, p->id, s, n);
	c = path_edge_find(ctx, p, s, n, h);
	if (c) {
		if (p->nlit > PATH_LIT_SCAN)
			ctx->lit_cache[path_lit_slot(p, s, n)] = c;
		return c;
	}
	if (!(p->flags & PATH_N_FROZEN)) {
		if (path_novelty_test(ctx, p, 1)) {
			path_collapse(ctx, p, 0);
		} else if (p->nlit < ctx->cfg.soft_cap &&
			   (c = path_literal_new(ctx, p, s, n, h)) != NULL) {
			/* Collapsing the grandparent now would free the walk's nodes: its next
			 * call does it. */
			if (p->kind == PATH_NODE_LITERAL && path_shape_test(ctx, p->parent, s, n))
				p->parent->flags |= PATH_N_SHAPED;
			return c;
		} else {
			p->flags |= PATH_N_FROZEN;
		}
	}
	return path_route_value(ctx, p, s, n);
}

/* ------------------------------------------------------------------------------------------ */
/* Normalisation */

/* Splits a path into at most max_segments segments: empty segments (duplicate and trailing
 * slashes) vanish, "." and ".." are resolved as servers do; *extra counts segments past the
 * cap. */
static uint32_t path_split(path_template_ctx_t *ctx, aw_slice_t path, aw_slice_t *segs,
			   uint32_t *extra)
{
	const char *p = path.ptr;
	size_t n = p ? path.len : 0, i = 0;
	uint32_t nseg = 0, over = 0;
	int dots = 0;

	while (i < n) {
		const char *e;
		size_t st = i;

		if (p[i] == '/') {
			i++;
			continue;
		}
		e = memchr(p + i, '/', n - i);
		i = e ? (size_t)(e - p) : n;
		if (i - st <= 2 && p[st] == '.' && (i - st == 1 || p[st + 1] == '.')) {
			dots = 1;
			if (i - st == 2) {
				if (over)
					over--;
				else if (nseg)
					nseg--;
			}
			continue;
		}
		if (nseg < ctx->cfg.max_segments) {
			segs[nseg].ptr = p + st;
			segs[nseg++].len = i - st;
		} else {
			over++;
		}
	}
	if (dots) {
		ctx->counters.dot_segments++;
		ctx->call_flags |= PATH_TEMPLATE_F_DOT_SEGMENT;
	}
	if (over) {
		ctx->counters.truncated++;
		ctx->call_flags |= PATH_TEMPLATE_F_TRUNCATED;
	}
	*extra = over;
	return nseg;
}

/* ------------------------------------------------------------------------------------------ */
/* Trees */

/* Makes a tree for key "METHOD\0host" (klen bytes, the method mlen of them); indexed trees
 * go into the edge table under hash h, the overflow tree does not. */
static path_tree_t *path_tree_new(path_template_ctx_t *ctx, const char *key, size_t mlen,
				  size_t klen, uint64_t h, int indexed)
{
	path_tree_t *t = path_alloc(ctx, sizeof(*t));

	if (!t)
		return NULL;
	memset(t, 0, sizeof(*t));
	t->method_len = (uint32_t)mlen;
	if (indexed && path_edge_reserve(ctx) < 0)
		goto fail;
	t->root = path_node_new(ctx, t, NULL, PATH_NODE_ROOT, key, klen);
	if (!t->root)
		goto fail;
	t->catchall = path_tmpl_new(ctx, t, NULL);
	if (!t->catchall)
		goto fail;
	if (indexed) {
		t->root->hash = h;
		path_edge_put(ctx, t->root);
		ctx->ntrees++;
	}
	t->next = ctx->trees;
	ctx->trees = t;
	ctx->counters.trees++;
	return t;
fail:
	if (t->root)
		path_node_release(ctx, t->root);
	path_release(ctx, t, sizeof(*t));
	return NULL;
}

static void path_tree_free(path_template_ctx_t *ctx, path_tree_t *t)
{
	path_drop(ctx, t->root, 0);
	path_tmpl_release(ctx, t->catchall);
	path_release(ctx, t, sizeof(*t));
}

/* Methods are tokens of letters, digits, '-' and '_' up to 16 bytes; anything else is OTHER,
 * so that junk methods cannot spread over trees. */
static size_t path_method(aw_slice_t method, char *out)
{
	size_t i;

	if (!method.ptr || method.len == 0 || method.len > PATH_METHOD_MAX)
		goto other;
	for (i = 0; i < method.len; i++)
		if (!(path_kind_of((uint8_t)method.ptr[i]) &
		      (PATH_K_ALNUM | PATH_K_DSH | PATH_K_UND)))
			goto other;
	memcpy(out, method.ptr, method.len);
	return method.len;
other:
	memcpy(out, "OTHER", 5);
	return 5;
}

/* The tree of (host, method), made on first sight; the overflow tree past the tree cap, for
 * hosts longer than a DNS name, and when memory refuses. */
static path_tree_t *path_tree_get(path_template_ctx_t *ctx, aw_slice_t host, aw_slice_t method)
{
	char key[PATH_KEY_MAX];
	size_t mlen, hlen = host.ptr ? host.len : 0, klen;
	path_node_t *root;
	path_tree_t *t;
	uint64_t h;

	if (hlen > PATH_HOST_MAX)
		goto overflow;
	mlen = path_method(method, key);
	key[mlen] = '\0';
	if (hlen)
		memcpy(key + mlen + 1, host.ptr, hlen);
	klen = mlen + 1 + hlen;
	if (ctx->last_tree && klen == ctx->last_klen &&
	    memcmp(key, klen <= PATH_LAST_KEY ? ctx->last_key : ctx->last_tree->root->label,
		   klen) == 0)
		return ctx->last_tree;
	h = path_edge_hash(ctx, 0, key, klen);
	root = path_edge_find(ctx, NULL, key, klen, h);
	if (root) {
		ctx->last_tree = root->tree;
		ctx->last_klen = (uint32_t)klen;
		if (klen <= PATH_LAST_KEY)
			memcpy(ctx->last_key, key, klen);
		return root->tree;
	}
	if (ctx->ntrees >= ctx->cfg.max_trees) {
		ctx->counters.tree_cap_hits++;
		goto overflow;
	}
	t = path_tree_new(ctx, key, mlen, klen, h, 1);
	if (!t)
		goto overflow;
	ctx->call_flags |= PATH_TEMPLATE_F_ROOT_NEW;
	return t;
overflow:
	ctx->call_flags |= PATH_TEMPLATE_F_OVERFLOW;
	return ctx->overflow;
}

/* ------------------------------------------------------------------------------------------ */
/* Public API */

void path_template_config_default(path_template_config_t *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_segments = 32;
	cfg->max_segment_len = 128;
	cfg->soft_cap = 50;
	cfg->hard_cap = 200;
	cfg->max_nodes = 20000;
	cfg->max_trees = 1024;
	cfg->memcap = 64ull << 20;
	cfg->min_traffic = 256;
	cfg->novelty_min = 8;
	cfg->novelty_pct = 5;
	cfg->keep_pct = 10;
	cfg->keep_hits = 500;
	cfg->fast_traffic = 16;
	cfg->fast_pct = 40;
}

/* Zero fields take the default; values the code cannot honour are a configuration error. */
static int path_config_resolve(path_template_config_t *out, const path_template_config_t *in)
{
	path_template_config_t d;

	path_template_config_default(&d);
	*out = d;
	if (!in)
		return 0;
#define PATH_CFG_TAKE(f) (out->f = in->f ? in->f : out->f)
	PATH_CFG_TAKE(max_segments);
	PATH_CFG_TAKE(max_segment_len);
	PATH_CFG_TAKE(soft_cap);
	PATH_CFG_TAKE(hard_cap);
	PATH_CFG_TAKE(max_nodes);
	PATH_CFG_TAKE(max_trees);
	PATH_CFG_TAKE(memcap);
	PATH_CFG_TAKE(min_traffic);
	PATH_CFG_TAKE(novelty_min);
	PATH_CFG_TAKE(novelty_pct);
	PATH_CFG_TAKE(keep_pct);
	PATH_CFG_TAKE(keep_hits);
	PATH_CFG_TAKE(fast_traffic);
	PATH_CFG_TAKE(fast_pct);
#undef PATH_CFG_TAKE
	if (out->max_segments > PATH_SEGMENTS_LIMIT ||
	    out->max_segment_len > PATH_TEMPLATE_SEGMENT_MAX || out->hard_cap <= out->soft_cap ||
	    out->max_nodes < 16 || out->novelty_pct > 100 || out->keep_pct > 100 ||
	    out->fast_pct > 100 || out->memcap < (64u << 10))
		return AW_ECONFIG;
	return 0;
}

int path_template_ctx_new(path_template_ctx_t **out, const path_template_config_t *cfg,
			  mem_account_t *acct, path_template_merge_cb merge_cb, void *ud)
{
	path_template_ctx_t *ctx;
	int rc;

	*out = NULL;
	ctx = mem_calloc(acct, sizeof(*ctx));
	if (!ctx)
		return AW_ENOMEM;
	ctx->acct = acct;
	rc = path_config_resolve(&ctx->cfg, cfg);
	if (rc < 0) {
		mem_free(acct, ctx, sizeof(*ctx));
		return rc;
	}
	ctx->merge_cb = merge_cb;
	ctx->merge_ud = ud;
	ctx->counters.bytes = ctx->counters.bytes_peak = sizeof(*ctx);
	siphash_seed(ctx->key, ctx);
	ctx->slots = path_alloc(ctx, PATH_TABLE_MIN * sizeof(*ctx->slots));
	if (ctx->slots) {
		memset(ctx->slots, 0, PATH_TABLE_MIN * sizeof(*ctx->slots));
		ctx->mask = PATH_TABLE_MIN - 1;
		ctx->overflow = path_tree_new(ctx, "*\0*", 1, 3, 0, 0);
	}
	if (!ctx->overflow) {
		path_template_ctx_free(ctx);
		return AW_ENOMEM;
	}
	*out = ctx;
	return 0;
}

void path_template_ctx_free(path_template_ctx_t *ctx)
{
	path_tree_t *t;

	if (!ctx)
		return;
	while ((t = ctx->trees) != NULL) {
		ctx->trees = t->next;
		path_tree_free(ctx, t);
	}
	path_release(ctx, ctx->slots, ((size_t)ctx->mask + 1) * sizeof(*ctx->slots));
	mem_free(ctx->acct, ctx, sizeof(*ctx));
}

/* Walks (and grows) tree along the segments; NULL when a cap leaves a segment no child. */
static path_node_t *path_walk(path_template_ctx_t *ctx, path_tree_t *tree, const aw_slice_t *segs,
			      uint32_t nseg, uint32_t extra)
{
	path_node_t *node = tree->root, *c;
	uint32_t i;

	for (i = 0; i < nseg; i++) {
		c = path_route(ctx, node, segs[i].ptr, segs[i].len);
		if (!c)
			return NULL;
		path_hits_add(c, 1);
		node = c;
	}
	if (extra) {
		node->pos_hits++;
		node->lex_hits++;
		c = path_tail_get(ctx, node);
		if (!c)
			return NULL;
		path_hits_add(c, 1);
		node = c;
	}
	return node;
}

int path_template_apply(path_template_ctx_t *ctx, const path_template_t **out, unsigned *flags,
			aw_slice_t host, aw_slice_t method, aw_slice_t path)
{
	aw_slice_t segs[PATH_SEGMENTS_LIMIT];
	path_tree_t *tree;
	path_node_t *node;
	uint32_t nseg, extra;

	if (!ctx || !out)
		return AW_EINVAL;
	ctx->call_flags = 0;
	ctx->counters.calls++;
	tree = path_tree_get(ctx, host, method);
	nseg = path_split(ctx, path, segs, &extra);
	node = path_walk(ctx, tree, segs, nseg, extra);
	if (node && !node->tmpl) {
		node->tmpl = path_tmpl_new(ctx, tree, node);
		if (node->tmpl)
			ctx->call_flags |= PATH_TEMPLATE_F_NEW;
	}
	if (node && node->tmpl) {
		*out = node->tmpl;
	} else {
		ctx->counters.catchall++;
		ctx->call_flags |= PATH_TEMPLATE_F_OVERFLOW;
		*out = tree->catchall;
	}
	if (flags)
		*flags = ctx->call_flags;
	return 0;
}

const path_template_counters_t *path_template_counters(const path_template_ctx_t *ctx)
{
	return &ctx->counters;
}

const path_template_config_t *path_template_config(const path_template_ctx_t *ctx)
{
	return &ctx->cfg;
}

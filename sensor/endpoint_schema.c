/*
 * endpoint_schema.c - learning the shape of JSON documents and query strings (endpoint_schema.h).
 *
 * Fed by the catalogue with sampled bodies and query strings; feeds the writers
 * (endpoint_schema_write.c) with a tree of entries. The JSON tokenizer is one pass over the
 * bytes with an explicit stack: strings are skipped eight bytes at a time, numbers and literals
 * are read in place, and each key finds its entry first through the guess "the member that
 * followed the previous one last time" (one memcmp in the steady state), then through the keyed
 * hash table, and is classified as data ("*") only when the guess misses. Format checks run
 * only while a path's strings still fit some format.
 *
 * Deliberately not here: UTF-8 validation of values (only the names that are kept are checked)
 * and grammar checks inside a subtree skipped past max_depth (only strings and brackets are
 * followed there).
 */
#include <string.h>

#include "endpoint_schema_private.h"
#include "error.h"

#define ES_DEFAULT_KEYS 256
#define ES_DEFAULT_DEPTH 16
#define ES_DEFAULT_SCAN (64 * 1024)
#define ES_INIT_NODES 16
#define ES_INIT_NAMES 256
#define ES_FMT_MAX 2048 /* strings longer than this fit no format */
#define ES_UNESCAPE_MAX 512 /* escaped strings longer than this fit no format */
#define ES_QVAL_MAX 64 /* query values read for their type; longer ones are strings */
#define ES_FMT_ALL (((1u << ENDPOINT_SCHEMA_FMT__COUNT) - 1) & ~1u)

#define ES_BIT(t) (1u << (t))

/* ------------------------------------------------------------------------------------------ */
/* Byte helpers */

static inline int es_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static inline int es_hex(uint8_t c)
{
	return es_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

static inline int es_alpha(uint8_t c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static inline int es_ws(uint8_t c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static unsigned es_hexval(uint8_t c)
{
	return es_digit(c) ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);
}

/* Length of the valid UTF-8 sequence at p[0..n) (1 to 4), 0 when it is not one. */
static size_t es_utf8_len(const uint8_t *p, size_t n)
{
	uint8_t c = p[0];
	size_t len, i;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/* ------------------------------------------------------------------------------------------ */
/* Names that look like data */

/* Classes of the bytes of a name. */
#define ES_N_DIGIT 1
#define ES_N_HEX 2
#define ES_N_BAD 4 /* control bytes, quotes, backslash, '@' */
#define ES_N_HIGH 8 /* from 0x80: the start of a UTF-8 sequence, checked */
#define ES_N_DASH 16

/* clang-format off */
static const uint8_t es_name_cls[256] = {
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 0, 0, 0, 0,
	4, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0,
	0, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4,
	8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
	8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
	8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
	8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
	8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
	8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
	8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
	8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
};
/* clang-format on */

/* Whether a key or parameter name is data rather than a name: empty, "*", too long, control or
 * invalid UTF-8 bytes, quotes, an '@', only digits, four digits or more (ids, dates, UUIDs,
 * addresses), or eight hex digits or more with nothing but hex and dashes. */
static int es_name_is_data(const char *k, size_t n)
{
	const uint8_t *p = (const uint8_t *)k;
	size_t i = 0, digits = 0, hex = 0, dashes = 0;

	if (n == 0 || n > ENDPOINT_SCHEMA_MAX_NAME || (n == 1 && k[0] == '*'))
		return 1;
	while (i < n) {
		unsigned c = es_name_cls[p[i]];

		if (c & (ES_N_BAD | ES_N_HIGH)) {
			size_t l = (c & ES_N_HIGH) ? es_utf8_len(p + i, n - i) : 0;

			if (l == 0)
				return 1;
			i += l;
			continue;
		}
		digits += c & ES_N_DIGIT;
		hex += (c >> 1) & 1;
		dashes += (c >> 4) & 1;
		i++;
	}
	if (digits == n || (digits + 1 == n && k[0] == '-') || digits >= 4)
		return 1;
	return hex >= 8 && hex + dashes == n;
}

/* ------------------------------------------------------------------------------------------ */
/* String formats */

static int es_num2(const char *v, unsigned lo, unsigned hi)
{
	unsigned x;

	if (!es_digit((uint8_t)v[0]) || !es_digit((uint8_t)v[1]))
		return 0;
	x = (unsigned)(v[0] - '0') * 10 + (unsigned)(v[1] - '0');
	return x >= lo && x <= hi;
}

/* RFC 3339 full-date: YYYY-MM-DD. */
static int es_is_date(const char *v, size_t n)
{
	return n >= 10 && es_digit((uint8_t)v[0]) && es_digit((uint8_t)v[1]) &&
	       es_digit((uint8_t)v[2]) && es_digit((uint8_t)v[3]) && v[4] == '-' &&
	       es_num2(v + 5, 1, 12) && v[7] == '-' && es_num2(v + 8, 1, 31);
}

/* RFC 3339 date-time: full-date "T" HH:MM:SS[.frac] (Z | +HH:MM | -HH:MM). */
static int es_is_date_time(const char *v, size_t n)
{
	size_t i = 19;

	if (n < 20 || !es_is_date(v, n) || (v[10] != 'T' && v[10] != 't') ||
	    !es_num2(v + 11, 0, 23) || v[13] != ':' || !es_num2(v + 14, 0, 59) || v[16] != ':' ||
	    !es_num2(v + 17, 0, 60))
		return 0;
	if (v[i] == '.') {
		size_t d = ++i;

		while (i < n && es_digit((uint8_t)v[i]))
			i++;
		if (i == d)
			return 0;
	}
	if (i + 1 == n && (v[i] == 'Z' || v[i] == 'z'))
		return 1;
	return i + 6 == n && (v[i] == '+' || v[i] == '-') && es_num2(v + i + 1, 0, 23) &&
	       v[i + 3] == ':' && es_num2(v + i + 4, 0, 59);
}

/* 8-4-4-4-12 hex digits. */
static int es_is_uuid(const char *v, size_t n)
{
	size_t i;

	if (n != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (v[i] != '-')
				return 0;
		} else if (!es_hex((uint8_t)v[i])) {
			return 0;
		}
	}
	return 1;
}

/* Dotted quad, each part 0-255 without leading zeros. */
static int es_is_ipv4(const char *v, size_t n)
{
	size_t i = 0;
	int part;

	if (n < 7 || n > 15)
		return 0;
	for (part = 0; part < 4; part++) {
		size_t d = i;
		unsigned x = 0;

		if (part > 0) {
			if (i >= n || v[i] != '.')
				return 0;
			d = ++i;
		}
		while (i < n && es_digit((uint8_t)v[i]) && i - d < 3)
			x = x * 10 + (unsigned)(v[i++] - '0');
		if (i == d || x > 255 || (i - d > 1 && v[d] == '0'))
			return 0;
	}
	return i == n;
}

/* An optional '-' and 1 to 20 digits. */
static int es_is_int(const char *v, size_t n)
{
	size_t i = n > 0 && v[0] == '-';

	if (n == i || n - i > 20)
		return 0;
	for (; i < n; i++)
		if (!es_digit((uint8_t)v[i]))
			return 0;
	return 1;
}

/* An optional '-', digits, then a fraction and / or an exponent: a number that is no integer. */
static int es_is_number(const char *v, size_t n)
{
	size_t i = n > 0 && v[0] == '-', d;
	int frac = 0;

	d = i;
	while (i < n && es_digit((uint8_t)v[i]))
		i++;
	if (i == d)
		return 0;
	if (i < n && v[i] == '.') {
		d = ++i;
		while (i < n && es_digit((uint8_t)v[i]))
			i++;
		if (i == d)
			return 0;
		frac = 1;
	}
	if (i < n && (v[i] == 'e' || v[i] == 'E')) {
		i++;
		if (i < n && (v[i] == '+' || v[i] == '-'))
			i++;
		d = i;
		while (i < n && es_digit((uint8_t)v[i]))
			i++;
		if (i == d)
			return 0;
		frac = 1;
	}
	return frac && i == n;
}

/* local@domain.tld: one '@', no spaces, a dotted domain of letters, digits and dashes. */
static int es_is_email(const char *v, size_t n)
{
	static const char local_extra[] = "!#$%&'*+/=?^_`{|}~.-";
	const char *at = memchr(v, '@', n);
	size_t i, a, label = 0, dots = 0;

	if (!at || at == v || n > 254)
		return 0;
	a = (size_t)(at - v);
	for (i = 0; i < a; i++) {
		uint8_t c = (uint8_t)v[i];

		if (!es_alpha(c) && !es_digit(c) && c < 0x80 && !strchr(local_extra, c))
			return 0;
	}
	if (v[0] == '.' || v[a - 1] == '.')
		return 0;
	for (i = a + 1; i < n; i++) {
		uint8_t c = (uint8_t)v[i];

		if (c == '.') {
			if (label == 0 || v[i - 1] == '-')
				return 0;
			label = 0;
			dots++;
		} else if (es_alpha(c) || es_digit(c) || c >= 0x80 || (c == '-' && label > 0)) {
			label++;
		} else {
			return 0;
		}
	}
	return dots > 0 && label >= 2 && v[n - 1] != '-';
}

/* scheme ":" "//" ..., or an urn: / mailto: / tel: / data: URI; RFC 3986 characters only. */
static int es_is_uri(const char *v, size_t n)
{
	static const char no[] = " \"<>\\^`{|}";
	size_t i = 1, s;

	if (n < 4 || !es_alpha((uint8_t)v[0]))
		return 0;
	while (i < n && (es_alpha((uint8_t)v[i]) || es_digit((uint8_t)v[i]) || v[i] == '+' ||
			 v[i] == '-' || v[i] == '.'))
		i++;
	if (i >= n - 1 || v[i] != ':')
		return 0;
	s = i++;
	if (!(n - i >= 2 && v[i] == '/' && v[i + 1] == '/') &&
	    !(s == 3 && (strncasecmp(v, "urn", 3) == 0 || strncasecmp(v, "tel", 3) == 0)) &&
	    !(s == 4 && strncasecmp(v, "data", 4) == 0) &&
	    !(s == 6 && strncasecmp(v, "mailto", 6) == 0))
		return 0;
	for (; i < n; i++) {
		uint8_t c = (uint8_t)v[i];

		if (c <= 0x20 || c >= 0x7f || strchr(no, c))
			return 0;
	}
	return 1;
}

/* The formats of mask that v fits. */
static unsigned es_formats(const char *v, size_t n, unsigned mask)
{
	unsigned out = 0;

	if (n == 0 || n > ES_FMT_MAX)
		return 0;
	if ((mask & ES_BIT(ENDPOINT_SCHEMA_FMT_DATE_TIME)) && es_is_date_time(v, n))
		out |= ES_BIT(ENDPOINT_SCHEMA_FMT_DATE_TIME);
	if ((mask & ES_BIT(ENDPOINT_SCHEMA_FMT_DATE)) && n == 10 && es_is_date(v, n))
		out |= ES_BIT(ENDPOINT_SCHEMA_FMT_DATE);
	if ((mask & ES_BIT(ENDPOINT_SCHEMA_FMT_EMAIL)) && es_is_email(v, n))
		out |= ES_BIT(ENDPOINT_SCHEMA_FMT_EMAIL);
	if ((mask & ES_BIT(ENDPOINT_SCHEMA_FMT_UUID)) && es_is_uuid(v, n))
		out |= ES_BIT(ENDPOINT_SCHEMA_FMT_UUID);
	if ((mask & ES_BIT(ENDPOINT_SCHEMA_FMT_URI)) && es_is_uri(v, n))
		out |= ES_BIT(ENDPOINT_SCHEMA_FMT_URI);
	if ((mask & ES_BIT(ENDPOINT_SCHEMA_FMT_IPV4)) && es_is_ipv4(v, n))
		out |= ES_BIT(ENDPOINT_SCHEMA_FMT_IPV4);
	if ((mask & ES_BIT(ENDPOINT_SCHEMA_FMT_INT_STRING)) && es_is_int(v, n))
		out |= ES_BIT(ENDPOINT_SCHEMA_FMT_INT_STRING);
	return out;
}

/* The kind of one query parameter value (percent-decoded). */
static unsigned es_query_kind(const char *v, size_t n)
{
	if (n == 0)
		return ES_Q_EMPTY;
	if (es_is_int(v, n))
		return ES_Q_INT;
	if (es_is_number(v, n))
		return ES_Q_NUM;
	if ((n == 4 && strncasecmp(v, "true", 4) == 0) ||
	    (n == 5 && strncasecmp(v, "false", 5) == 0))
		return ES_Q_BOOL;
	if (es_is_uuid(v, n))
		return ES_Q_UUID;
	if (n == 10 && es_is_date(v, n))
		return ES_Q_DATE;
	if (es_is_date_time(v, n))
		return ES_Q_DATETIME;
	return ES_Q_STR;
}

void endpoint_schema__param_type(unsigned q, unsigned *type, unsigned *format)
{
	unsigned m = q & ~(unsigned)ES_Q_EMPTY;

	*format = ENDPOINT_SCHEMA_FMT_NONE;
	*type = ENDPOINT_SCHEMA_STRING;
	if (m == 0)
		return;
	if (!(m & ~(unsigned)ES_Q_INT))
		*type = ENDPOINT_SCHEMA_INTEGER;
	else if (!(m & ~(unsigned)(ES_Q_INT | ES_Q_NUM)))
		*type = ENDPOINT_SCHEMA_NUMBER;
	else if (m == ES_Q_BOOL)
		*type = ENDPOINT_SCHEMA_BOOLEAN;
	else if (m == ES_Q_UUID)
		*format = ENDPOINT_SCHEMA_FMT_UUID;
	else if (m == ES_Q_DATE)
		*format = ENDPOINT_SCHEMA_FMT_DATE;
	else if (m == ES_Q_DATETIME)
		*format = ENDPOINT_SCHEMA_FMT_DATE_TIME;
}

/* ------------------------------------------------------------------------------------------ */
/* The arena and the entry table */

static size_t es_arena_bytes(uint32_t cap, uint32_t icap, uint32_t ncap)
{
	return (size_t)cap * sizeof(es_node_t) + (size_t)icap * sizeof(uint16_t) + ncap;
}

static uint32_t es_hash(const endpoint_schema_t *s, uint16_t parent, unsigned kind,
			const char *name, size_t len)
{
	uint8_t buf[3 + ENDPOINT_SCHEMA_MAX_NAME];

	buf[0] = (uint8_t)parent;
	buf[1] = (uint8_t)(parent >> 8);
	buf[2] = (uint8_t)kind;
	memcpy(buf + 3, name, len);
	return (uint32_t)siphash24(s->lim.hash_key, buf, 3 + len);
}

static void es_index_insert(endpoint_schema_t *s, uint32_t h, uint16_t idx)
{
	uint32_t mask = s->icap - 1, slot = h & mask;

	while (s->index[slot] != ES_NONE)
		slot = (slot + 1) & mask;
	s->index[slot] = idx;
}

/* Moves the arena to one with room for cap nodes and ncap name bytes. */
static int es_arena_resize(endpoint_schema_t *s, uint32_t cap, uint32_t ncap)
{
	uint32_t icap = 4, i;
	size_t size;
	char *a;

	while (icap < 2 * cap)
		icap *= 2;
	size = es_arena_bytes(cap, icap, ncap);
	a = mem_alloc(s->acct, size);
	if (!a)
		return AW_ENOMEM;
	if (s->node) {
		memcpy(a, s->node, (size_t)s->nnodes * sizeof(es_node_t));
		memcpy(a + es_arena_bytes(cap, icap, 0), s->names, s->nnames);
		mem_free(s->acct, s->node, s->arena_size);
	}
	s->node = (es_node_t *)(void *)a;
	s->index = (uint16_t *)(void *)(a + (size_t)cap * sizeof(es_node_t));
	s->names = a + es_arena_bytes(cap, icap, 0);
	s->arena_size = size;
	s->cap = cap;
	s->icap = icap;
	s->ncap = ncap;
	memset(s->index, 0xff, (size_t)icap * sizeof(uint16_t));
	for (i = 0; i < s->nnodes; i++) {
		const es_node_t *n = &s->node[i];

		if (n->kind == ES_MEMBER || n->kind == ES_PARAM)
			es_index_insert(s,
					es_hash(s, n->parent, n->kind, es_name(s, n), n->name_len),
					(uint16_t)i);
	}
	return 0;
}

/* Appends a node, growing the arena when needed. ES_NONE at the cap or out of memory. */
static uint16_t es_add(endpoint_schema_t *s, uint16_t parent, unsigned kind, const char *name,
		       size_t len)
{
	uint32_t cap = s->cap, ncap = s->ncap;
	es_node_t *n;

	if (s->nnodes >= s->lim.max_keys)
		return ES_NONE;
	while (s->nnodes >= cap)
		cap = cap * 2 < s->lim.max_keys ? cap * 2 : s->lim.max_keys;
	while (s->nnames + len + 1 > ncap)
		ncap *= 2;
	if ((cap != s->cap || ncap != s->ncap) && es_arena_resize(s, cap, ncap) < 0)
		return ES_NONE;
	n = &s->node[s->nnodes];
	memset(n, 0, sizeof(*n));
	n->parent = parent;
	n->kind = (uint8_t)kind;
	n->name_off = s->nnames;
	n->name_len = (uint16_t)len;
	n->elem = n->any = n->first_hint = n->next_hint = ES_NONE;
	memcpy(s->names + s->nnames, name, len);
	s->names[s->nnames + len] = '\0';
	s->nnames += (uint32_t)len + 1;
	s->version++;
	return (uint16_t)s->nnodes++;
}

/* The node of (parent, kind, name) for ES_MEMBER and ES_PARAM, created when new. */
static uint16_t es_lookup(endpoint_schema_t *s, uint16_t parent, unsigned kind, const char *name,
			  size_t len)
{
	uint32_t h = es_hash(s, parent, kind, name, len), mask = s->icap - 1, slot = h & mask;
	uint16_t idx;

	while ((idx = s->index[slot]) != ES_NONE) {
		const es_node_t *n = &s->node[idx];

		if (n->parent == parent && n->kind == kind && n->name_len == len &&
		    memcmp(es_name(s, n), name, len) == 0)
			return idx;
		slot = (slot + 1) & mask;
	}
	idx = es_add(s, parent, kind, name, len);
	if (idx == ES_NONE)
		s->ctr.keys_cut++;
	else
		es_index_insert(s, h, idx);
	return idx;
}

/* The "[]" or "*" child of parent, created when new. */
static uint16_t es_child(endpoint_schema_t *s, uint16_t parent, unsigned kind)
{
	uint16_t idx;

	if (parent == ES_NONE)
		return ES_NONE;
	idx = kind == ES_ELEM ? s->node[parent].elem : s->node[parent].any;
	if (idx != ES_NONE)
		return idx;
	idx = es_add(s, parent, kind, kind == ES_ELEM ? "[]" : "*", kind == ES_ELEM ? 2 : 1);
	if (idx == ES_NONE) {
		s->ctr.keys_cut++;
		return ES_NONE;
	}
	if (kind == ES_ELEM)
		s->node[parent].elem = idx;
	else
		s->node[parent].any = idx;
	return idx;
}

/* ------------------------------------------------------------------------------------------ */
/* Life cycle */

void endpoint_schema_limits_default(endpoint_schema_limits_t *l)
{
	l->max_keys = ES_DEFAULT_KEYS;
	l->max_depth = ES_DEFAULT_DEPTH;
	l->max_scan = ES_DEFAULT_SCAN;
	siphash_seed(l->hash_key, l);
}

int endpoint_schema_new(endpoint_schema_t **out, const endpoint_schema_limits_t *lim,
			mem_account_t *acct)
{
	endpoint_schema_limits_t l;
	endpoint_schema_t *s;
	size_t size;

	*out = NULL;
	if (lim) {
		l = *lim;
		if (l.max_keys == 0)
			l.max_keys = ES_DEFAULT_KEYS;
		if (l.max_depth == 0)
			l.max_depth = ES_DEFAULT_DEPTH;
	} else {
		endpoint_schema_limits_default(&l);
	}
	if (l.max_keys < 2)
		l.max_keys = 2; /* the root and one more */
	if (l.max_keys > ENDPOINT_SCHEMA_MAX_KEYS)
		l.max_keys = ENDPOINT_SCHEMA_MAX_KEYS;
	if (l.max_depth > ENDPOINT_SCHEMA_MAX_DEPTH)
		l.max_depth = ENDPOINT_SCHEMA_MAX_DEPTH;
	size = sizeof(*s) + l.max_depth * sizeof(es_frame_t);
	s = mem_calloc(acct, size);
	if (!s)
		return AW_ENOMEM;
	s->lim = l;
	s->acct = acct;
	s->nframes = l.max_depth;
	if (es_arena_resize(s, l.max_keys < ES_INIT_NODES ? l.max_keys : ES_INIT_NODES,
			    ES_INIT_NAMES) < 0) {
		mem_free(acct, s, size);
		return AW_ENOMEM;
	}
	es_add(s, ES_NONE, ES_ROOT, "", 0);
	s->version = 0;
	*out = s;
	return 0;
}

void endpoint_schema_free(endpoint_schema_t *s)
{
	if (!s)
		return;
	mem_free(s->acct, s->node, s->arena_size);
	mem_free(s->acct, s, sizeof(*s) + s->nframes * sizeof(es_frame_t));
}

uint64_t endpoint_schema_docs(const endpoint_schema_t *s)
{
	return s->ctr.json_docs + s->ctr.query_docs;
}

uint64_t endpoint_schema_version(const endpoint_schema_t *s)
{
	return s->version;
}

const endpoint_schema_counters_t *endpoint_schema_counters(const endpoint_schema_t *s)
{
	return &s->ctr;
}

uint32_t endpoint_schema_size(const endpoint_schema_t *s)
{
	return s->nnodes;
}

/* ------------------------------------------------------------------------------------------ */
/* Recording values */

/* A value of type t at node idx: counts the document once and learns the type. */
static inline es_node_t *es_value(endpoint_schema_t *s, uint16_t idx, unsigned t)
{
	es_node_t *n;

	if (idx == ES_NONE)
		return NULL;
	n = &s->node[idx];
	if (n->last_doc != s->doc) {
		n->last_doc = s->doc;
		n->seen++;
	}
	if (!(n->types & ES_BIT(t))) {
		n->types |= (uint8_t)ES_BIT(t);
		n->fmt = t == ENDPOINT_SCHEMA_STRING ? ES_FMT_ALL : n->fmt;
		s->version++;
	}
	return n;
}

/* Decodes the escapes of a JSON string already checked by the tokenizer into out (cap bytes).
 * Returns the length, or cap + 1 when it does not fit. */
static size_t es_unescape(char *out, size_t cap, const char *p, size_t n)
{
	size_t i = 0, o = 0;

	while (i < n) {
		uint32_t cp;
		char c = p[i++];

		if (c != '\\') {
			if (o >= cap)
				return cap + 1;
			out[o++] = c;
			continue;
		}
		c = p[i++];
		if (c != 'u') {
			static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";

			if (o >= cap)
				return cap + 1;
			out[o++] = to[strchr(from, c) - from];
			continue;
		}
		cp = es_hexval((uint8_t)p[i]) << 12 | es_hexval((uint8_t)p[i + 1]) << 8 |
		     es_hexval((uint8_t)p[i + 2]) << 4 | es_hexval((uint8_t)p[i + 3]);
		i += 4;
		if (cp >= 0xd800 && cp <= 0xdbff && i + 6 <= n && p[i] == '\\' && p[i + 1] == 'u') {
			uint32_t lo = es_hexval((uint8_t)p[i + 2]) << 12 |
				      es_hexval((uint8_t)p[i + 3]) << 8 |
				      es_hexval((uint8_t)p[i + 4]) << 4 |
				      es_hexval((uint8_t)p[i + 5]);

			if (lo >= 0xdc00 && lo <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				i += 6;
			}
		}
		if (o + 4 > cap)
			return cap + 1;
		if (cp < 0x80) {
			out[o++] = (char)cp;
		} else if (cp < 0x800) {
			out[o++] = (char)(0xc0 | cp >> 6);
			out[o++] = (char)(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			/* A lone surrogate stays invalid UTF-8: a name holding one is data. */
			out[o++] = (char)(0xe0 | cp >> 12);
			out[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (cp & 0x3f));
		} else {
			out[o++] = (char)(0xf0 | cp >> 18);
			out[o++] = (char)(0x80 | ((cp >> 12) & 0x3f));
			out[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (cp & 0x3f));
		}
	}
	return o;
}

/* A string value [p, p + n) at node idx; esc when it holds escapes. */
static void es_string(endpoint_schema_t *s, uint16_t idx, const char *p, size_t n, int esc)
{
	es_node_t *nd = es_value(s, idx, ENDPOINT_SCHEMA_STRING);
	char buf[ES_UNESCAPE_MAX];
	unsigned f;

	if (!nd || nd->fmt == 0)
		return;
	if (esc) {
		n = es_unescape(buf, sizeof(buf), p, n);
		p = buf;
		if (n > sizeof(buf))
			n = 0;
	}
	f = es_formats(p, n, nd->fmt);
	if (f != nd->fmt) {
		nd->fmt = (uint8_t)f;
		s->version++;
	}
}

/* ------------------------------------------------------------------------------------------ */
/* The JSON tokenizer */

#define ES_MORE (SIZE_MAX - 1) /* the input ended first */
#define ES_ERR SIZE_MAX /* the grammar broke */

#define ES_ONES 0x0101010101010101ull
#define ES_HIGH 0x8080808080808080ull

/* Eight bytes as a word whose lowest byte comes first in memory, so that the borrows of the
 * byte tests below run from earlier bytes to later ones. */
static inline uint64_t es_load8(const char *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	return w;
}

/* Offset of the first byte whose high bit is set in a non-zero mask. */
#define ES_FIRST_BYTE(m) ((size_t)__builtin_ctzll(m) / 8)

/* The index of the closing quote of the string whose content starts at i; ES_MORE or ES_ERR
 * (a control byte or a bad escape). *esc is set when the string holds escapes. Eight bytes at a
 * time while none of them is a quote, a backslash or a control byte. */
static size_t es_scan_string(const char *p, size_t n, size_t i, int *esc)
{
	*esc = 0;
	while (i < n) {
		uint8_t c;

		while (i + 8 <= n) {
			uint64_t w, q, b, hit;

			w = es_load8(p + i);
			q = w ^ (ES_ONES * '"');
			b = w ^ (ES_ONES * '\\');
			hit = ((q - ES_ONES) & ~q) | ((b - ES_ONES) & ~b) |
			      ((w - ES_ONES * 0x20) & ~w);
			if (hit & ES_HIGH) {
				/* The lowest flagged byte is a true stop: borrows only run upwards. */
				i += ES_FIRST_BYTE(hit & ES_HIGH);
				break;
			}
			i += 8;
		}
		if (i >= n)
			break;
		c = (uint8_t)p[i];
		if (c == '"')
			return i;
		if (c < 0x20)
			return ES_ERR;
		if (c != '\\') {
			i++;
			continue;
		}
		*esc = 1;
		if (i + 1 >= n)
			return ES_MORE;
		c = (uint8_t)p[i + 1];
		if (c == 'u') {
			size_t k;

			for (k = 2; k < 6; k++) {
				if (i + k >= n)
					return ES_MORE;
				if (!es_hex((uint8_t)p[i + k]))
					return ES_ERR;
			}
			i += 6;
		} else if (c && strchr("\"\\/bfnrt", c)) {
			i += 2;
		} else {
			return ES_ERR;
		}
	}
	return ES_MORE;
}

/* The end of the number at i, its type in *t; ES_MORE when the input ends before the number
 * can be whole, ES_ERR when it is not a number. */
static size_t es_scan_number(const char *p, size_t n, size_t i, unsigned *t)
{
	size_t d;

	*t = ENDPOINT_SCHEMA_INTEGER;
	if (p[i] == '-')
		i++;
	if (i >= n)
		return ES_MORE;
	if (p[i] == '0')
		i++;
	else if (es_digit((uint8_t)p[i]))
		while (i < n && es_digit((uint8_t)p[i]))
			i++;
	else
		return ES_ERR;
	if (i < n && p[i] == '.') {
		d = ++i;
		while (i < n && es_digit((uint8_t)p[i]))
			i++;
		if (i == d)
			return i >= n ? ES_MORE : ES_ERR;
		*t = ENDPOINT_SCHEMA_NUMBER;
	}
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		d = i;
		while (i < n && es_digit((uint8_t)p[i]))
			i++;
		if (i == d)
			return i >= n ? ES_MORE : ES_ERR;
		*t = ENDPOINT_SCHEMA_NUMBER;
	}
	return i;
}

/* The end of the literal lit at i, ES_MORE when the input ends inside it, ES_ERR otherwise. */
static size_t es_scan_literal(const char *p, size_t n, size_t i, const char *lit, size_t len)
{
	size_t have = n - i < len ? n - i : len;

	if (memcmp(p + i, lit, have) != 0)
		return ES_ERR;
	return have < len ? ES_MORE : i + len;
}

/* Past the container at i (nested deeper than max_depth): only strings and brackets are
 * followed. The index after its closing bracket, ES_MORE or ES_ERR. */
static size_t es_skip(const char *p, size_t n, size_t i)
{
	size_t depth = 0;
	int esc;

	while (i < n) {
		char c = p[i];

		if (c == '"') {
			size_t j = es_scan_string(p, n, i + 1, &esc);

			if (j >= ES_MORE)
				return j;
			i = j + 1;
			continue;
		}
		if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			if (--depth == 0)
				return i + 1;
		}
		i++;
	}
	return ES_MORE;
}

/* memcmp() == 0 for the short lengths of key names, without a call. */
static inline int es_same(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i + 8 <= n; i += 8)
		if (es_load8(a + i) != es_load8(b + i))
			return 0;
	for (; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

/* A key [k, k + len) of the object on frame f: finds the member's node and counts it present in
 * this instance of the object. */
static void es_key(endpoint_schema_t *s, es_frame_t *f, const char *k, size_t len, int esc)
{
	char buf[ENDPOINT_SCHEMA_MAX_NAME];
	uint16_t p = f->node, c, cand;
	es_node_t *nd;

	if (p == ES_NONE)
		return;
	cand = f->last == ES_NONE ? s->node[p].first_hint : s->node[f->last].next_hint;
	nd = cand != ES_NONE ? &s->node[cand] : NULL;
	if (nd && !esc && nd->name_len == len && nd->kind == ES_MEMBER &&
	    es_same(es_name(s, nd), k, len)) {
		c = cand;
	} else {
		if (esc) {
			len = es_unescape(buf, sizeof(buf), k, len);
			k = buf;
		}
		if (es_name_is_data(k, len))
			c = es_child(s, p, ES_ANY);
		else
			c = es_lookup(s, p, ES_MEMBER, k, len);
		if (c != ES_NONE) {
			if (f->last == ES_NONE)
				s->node[p].first_hint = c;
			else
				s->node[f->last].next_hint = c;
		}
	}
	f->last = c;
	if (c == ES_NONE)
		return;
	nd = &s->node[c];
	if (nd->last_inst != s->node[p].inst) {
		nd->last_inst = s->node[p].inst;
		nd->present++;
	}
}

/* A container opens at p[i] for node v: pushed on the stack, or skipped past max_depth.
 * Returns the next index (ES_MORE, ES_ERR). */
static size_t es_open(endpoint_schema_t *s, const char *p, size_t n, size_t i, uint16_t v,
		      size_t *depth)
{
	int arr = p[i] == '[';
	es_node_t *nd = es_value(s, v, arr ? ENDPOINT_SCHEMA_ARRAY : ENDPOINT_SCHEMA_OBJECT);
	es_frame_t *f;

	if (*depth >= s->nframes) {
		s->depth_hit = 1;
		return es_skip(p, n, i);
	}
	f = &s->frame[(*depth)++];
	f->node = v;
	f->last = ES_NONE;
	f->arr = (uint8_t)arr;
	if (nd && !arr) {
		nd->objects++;
		nd->inst = ++s->serial;
	}
	return i + 1;
}

/* A scalar at p[i] for node v. Returns the next index (ES_MORE, ES_ERR). */
static size_t es_scalar(endpoint_schema_t *s, const char *p, size_t n, size_t i, uint16_t v,
			size_t depth)
{
	size_t j;
	unsigned t;
	int esc;

	switch (p[i]) {
	case '"':
		j = es_scan_string(p, n, i + 1, &esc);
		if (j < ES_MORE)
			es_string(s, v, p + i + 1, j - i - 1, esc);
		return j < ES_MORE ? j + 1 : j;
	case 't':
		j = es_scan_literal(p, n, i, "true", 4);
		t = ENDPOINT_SCHEMA_BOOLEAN;
		break;
	case 'f':
		j = es_scan_literal(p, n, i, "false", 5);
		t = ENDPOINT_SCHEMA_BOOLEAN;
		break;
	case 'n':
		j = es_scan_literal(p, n, i, "null", 4);
		t = ENDPOINT_SCHEMA_NULL;
		break;
	default:
		/* A number that reaches the end inside a container may have been cut. */
		j = es_scan_number(p, n, i, &t);
		if (j == n && depth > 0)
			j = ES_MORE;
		break;
	}
	if (j < ES_MORE)
		es_value(s, v, t);
	return j;
}

enum {
	ES_ST_VALUE,
	ES_ST_ELEM_FIRST,
	ES_ST_KEY_FIRST,
	ES_ST_KEY,
	ES_ST_COLON,
	ES_ST_NEXT,
	ES_ST_DONE
};

/* One document: 0, AW_ETRUNCATED or AW_EMALFORMED; *depth is what is still open. */
static int es_json(endpoint_schema_t *s, const char *p, size_t n, size_t *depth)
{
	unsigned st = ES_ST_VALUE;
	uint16_t v = 0; /* the node of the next value: the root first */
	size_t i = 0, j, d0;
	es_frame_t *f;
	int esc;

	for (;;) {
		while (i < n && es_ws((uint8_t)p[i]))
			i++;
		if (i >= n)
			break;
		f = *depth ? &s->frame[*depth - 1] : NULL;
		switch (st) {
		case ES_ST_ELEM_FIRST:
			if (p[i] == ']')
				goto close;
			v = es_child(s, f->node, ES_ELEM);
			/* fallthrough */
		case ES_ST_VALUE:
			d0 = *depth;
			if (p[i] == '{' || p[i] == '[')
				j = es_open(s, p, n, i, v, depth);
			else
				j = es_scalar(s, p, n, i, v, d0);
			if (j >= ES_MORE)
				return j == ES_MORE ? AW_ETRUNCATED : AW_EMALFORMED;
			if (*depth > d0)
				st = p[i] == '{' ? ES_ST_KEY_FIRST : ES_ST_ELEM_FIRST;
			else
				st = d0 ? ES_ST_NEXT : ES_ST_DONE;
			i = j;
			continue;
		case ES_ST_KEY_FIRST:
			if (p[i] == '}')
				goto close;
			/* fallthrough */
		case ES_ST_KEY:
			if (p[i] != '"')
				return AW_EMALFORMED;
			j = es_scan_string(p, n, i + 1, &esc);
			if (j >= ES_MORE)
				return j == ES_MORE ? AW_ETRUNCATED : AW_EMALFORMED;
			es_key(s, f, p + i + 1, j - i - 1, esc);
			i = j + 1;
			st = ES_ST_COLON;
			continue;
		case ES_ST_COLON:
			if (p[i] != ':')
				return AW_EMALFORMED;
			i++;
			v = f->last;
			st = ES_ST_VALUE;
			continue;
		case ES_ST_NEXT:
			if (p[i] == ',') {
				i++;
				if (f->arr) {
					v = es_child(s, f->node, ES_ELEM);
					st = ES_ST_VALUE;
				} else {
					st = ES_ST_KEY;
				}
				continue;
			}
			if (p[i] != (f->arr ? ']' : '}'))
				return AW_EMALFORMED;
			goto close;
		default:
			return AW_EMALFORMED; /* something after the document */
		}
	close:
		(*depth)--;
		i++;
		st = *depth ? ES_ST_NEXT : ES_ST_DONE;
	}
	if (st == ES_ST_DONE)
		return 0;
	return st == ES_ST_VALUE && *depth == 0 ? AW_EMALFORMED : AW_ETRUNCATED;
}

/* The containers still open when a document broke: their instances are not counted, nor the
 * members counted present in them. */
static void es_rollback(endpoint_schema_t *s, size_t depth)
{
	size_t d;
	uint32_t i;
	int any = 0;

	for (d = 0; d < depth; d++) {
		const es_frame_t *f = &s->frame[d];

		if (f->node != ES_NONE && !f->arr) {
			es_node_t *nd = &s->node[f->node];

			nd->objects--;
			nd->flags |= ES_F_ROLLBACK;
			any = 1;
		}
	}
	if (!any)
		return;
	for (i = 1; i < s->nnodes; i++) {
		es_node_t *nd = &s->node[i];
		const es_node_t *pn;

		if (nd->kind != ES_MEMBER && nd->kind != ES_ANY)
			continue;
		pn = &s->node[nd->parent];
		if ((pn->flags & ES_F_ROLLBACK) && nd->last_inst == pn->inst) {
			nd->present--;
			nd->last_inst = 0;
		}
	}
	for (d = 0; d < depth; d++)
		if (s->frame[d].node != ES_NONE)
			s->node[s->frame[d].node].flags &= (uint8_t)~ES_F_ROLLBACK;
}

int endpoint_schema_observe_json(endpoint_schema_t *s, const char *p, size_t n)
{
	size_t depth = 0;
	int rc, cut = 0;

	s->ctr.json_docs++;
	s->doc = ++s->serial;
	s->depth_hit = 0;
	if (s->lim.max_scan && n > s->lim.max_scan) {
		n = s->lim.max_scan;
		cut = 1;
		s->ctr.scan_cut++;
	}
	if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		p += 3;
		n -= 3;
	}
	rc = es_json(s, p, n, &depth);
	if (s->depth_hit)
		s->ctr.depth_cut++;
	if (rc == 0)
		return 0;
	es_rollback(s, depth);
	if (rc == AW_EMALFORMED) {
		s->ctr.invalid++;
		return rc;
	}
	if (cut)
		return 0; /* cut by max_scan, counted there */
	s->ctr.truncated++;
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Query strings */

/* Percent-decodes (and '+' to space) into out; the length, or cap + 1 when it does not fit.
 * A '%' without two hex digits stays as it is. */
static size_t es_pct_decode(char *out, size_t cap, const char *p, size_t n)
{
	size_t i = 0, o = 0;

	while (i < n) {
		char c = p[i];

		if (o >= cap)
			return cap + 1;
		if (c == '%' && i + 2 < n && es_hex((uint8_t)p[i + 1]) &&
		    es_hex((uint8_t)p[i + 2])) {
			c = (char)(es_hexval((uint8_t)p[i + 1]) << 4 |
				   es_hexval((uint8_t)p[i + 2]));
			i += 3;
		} else {
			c = c == '+' ? ' ' : c;
			i++;
		}
		out[o++] = c;
	}
	return o;
}

/* One name[=value] pair. */
static void es_param(endpoint_schema_t *s, const char *q, size_t len)
{
	char name[ENDPOINT_SCHEMA_MAX_NAME], val[ES_QVAL_MAX];
	const char *eq = memchr(q, '=', len);
	size_t nl = eq ? (size_t)(eq - q) : len, dl, vl;
	unsigned kind;
	uint16_t idx;
	es_node_t *nd;

	if (nl == 0)
		return;
	dl = es_pct_decode(name, sizeof(name), q, nl);
	if (es_name_is_data(name, dl))
		idx = es_lookup(s, ES_NONE, ES_PARAM, "*", 1);
	else
		idx = es_lookup(s, ES_NONE, ES_PARAM, name, dl);
	if (idx == ES_NONE)
		return;
	nd = &s->node[idx];
	if (nd->last_doc != s->doc) {
		nd->last_doc = s->doc;
		nd->seen++;
		nd->present++;
	} else if (!(nd->flags & ES_F_REPEATED)) {
		nd->flags |= ES_F_REPEATED;
		s->version++;
	}
	if (dl >= 2 && dl <= sizeof(name) && name[dl - 2] == '[' && name[dl - 1] == ']' &&
	    !(nd->flags & ES_F_REPEATED)) {
		nd->flags |= ES_F_REPEATED;
		s->version++;
	}
	vl = eq ? es_pct_decode(val, sizeof(val), eq + 1, len - nl - 1) : 0;
	kind = vl > sizeof(val) ? ES_Q_STR : es_query_kind(val, vl);
	if (!(nd->types & kind)) {
		nd->types |= (uint8_t)kind;
		s->version++;
	}
}

int endpoint_schema_observe_query(endpoint_schema_t *s, const char *p, size_t n)
{
	size_t i = 0;

	s->ctr.query_docs++;
	s->doc = ++s->serial;
	if (s->lim.max_scan && n > s->lim.max_scan) {
		n = s->lim.max_scan;
		s->ctr.scan_cut++;
	}
	if (n > 0 && p[0] == '?')
		i = 1;
	while (i < n) {
		const char *amp = memchr(p + i, '&', n - i);
		size_t e = amp ? (size_t)(amp - p) : n;

		if (e > i)
			es_param(s, p + i, e - i);
		i = e + 1;
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Merge */

/* The node of into that stands for node fn of from (whose parent maps to parent). */
static uint16_t es_merge_map(endpoint_schema_t *into, const endpoint_schema_t *from,
			     const es_node_t *fn, uint16_t parent)
{
	switch (fn->kind) {
	case ES_ROOT:
		return 0;
	case ES_PARAM:
		return es_lookup(into, ES_NONE, ES_PARAM, es_name(from, fn), fn->name_len);
	default:
		if (parent == ES_NONE) {
			into->ctr.keys_cut++;
			return ES_NONE;
		}
		if (fn->kind == ES_MEMBER)
			return es_lookup(into, parent, ES_MEMBER, es_name(from, fn), fn->name_len);
		return es_child(into, parent, fn->kind);
	}
}

static void es_merge_node(endpoint_schema_t *into, es_node_t *tn, const es_node_t *fn)
{
	const unsigned str = ES_BIT(ENDPOINT_SCHEMA_STRING);

	if (fn->kind != ES_PARAM && (fn->types & str)) {
		unsigned f = (tn->types & str) ? (tn->fmt & fn->fmt) : fn->fmt;

		if (f != tn->fmt) {
			tn->fmt = (uint8_t)f;
			into->version++;
		}
	}
	if ((fn->types & ~tn->types) || (fn->flags & ~tn->flags & ES_F_REPEATED))
		into->version++;
	tn->types |= fn->types;
	tn->flags |= fn->flags & ES_F_REPEATED;
	tn->seen += fn->seen;
	tn->present += fn->present;
	tn->objects += fn->objects;
}

void endpoint_schema_merge(endpoint_schema_t *into, const endpoint_schema_t *from)
{
	endpoint_schema_counters_t *c = &into->ctr;
	const endpoint_schema_counters_t *fc = &from->ctr;
	size_t size = (size_t)from->nnodes * sizeof(uint16_t);
	uint16_t *map;
	uint32_t i;

	if (into == from)
		return;
	map = mem_alloc(into->acct, size);
	if (!map) {
		c->keys_cut += from->nnodes;
		return;
	}
	for (i = 0; i < from->nnodes; i++) {
		const es_node_t *fn = &from->node[i];
		uint16_t parent = fn->parent == ES_NONE ? ES_NONE : map[fn->parent];

		map[i] = es_merge_map(into, from, fn, parent);
		if (map[i] != ES_NONE)
			es_merge_node(into, &into->node[map[i]], fn);
	}
	mem_free(into->acct, map, size);
	c->json_docs += fc->json_docs;
	c->query_docs += fc->query_docs;
	c->invalid += fc->invalid;
	c->truncated += fc->truncated;
	c->keys_cut += fc->keys_cut;
	c->depth_cut += fc->depth_cut;
	c->scan_cut += fc->scan_cut;
}

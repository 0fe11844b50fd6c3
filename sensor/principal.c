/*
 * principal.c - the principal of a request: credentials found, ranked, hashed; the client
 * address through trusted proxies.
 *
 * One walk over the headers notes the Authorization header, API key headers, session cookies
 * and forwarding headers; the query string is split once for API key parameters. Each kind of
 * credential found is hashed at once into its slot (so no decoded credential outlives the
 * function that decoded it) and the best-ranked slot becomes the principal (principal.h gives
 * the ranking). JWTs and Basic credentials are decoded with the base64 and flat JSON readers of
 * sensitive.c into stack buffers.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "json.h"
#include "principal.h"
#include "sensitive.h"

#define PRINCIPAL_KINDS (PRINCIPAL_IP + 1)

/* Kept while one request is examined: the hashed credential of each kind, first one wins. */
typedef struct principal_scan {
	const principal_config_t *cfg;
	principal_memo_t *memo; /* NULL: decode every JWT */
	principal_t *out;
	uint64_t hash[PRINCIPAL_KINDS];
	uint8_t have[PRINCIPAL_KINDS];
	uint8_t auth[PRINCIPAL_KINDS]; /* enum principal_auth of each slot's credential */
	uint8_t token_hash_ok; /* token_hash holds the bearer token's hash (from the memo) */
	uint64_t token_hash;
} principal_scan_t;

/* ------------------------------------------------------------------------------------------ */
/* Small helpers */

static inline char lower(char c)
{
	return (unsigned)(c - 'A') < 26 ? (char)(c | 0x20) : c;
}

/* The slice equals the lower-case literal s, ignoring case. */
static int slice_ieq(const char *p, size_t n, const char *s)
{
	return aw_ieq(p, n, s, strlen(s));
}

/* The slice ends with the lower-case literal s, ignoring case. */
static int slice_iends(const char *p, size_t n, const char *s)
{
	size_t m = strlen(s);

	return n >= m && slice_ieq(p + n - m, m, s);
}

/* The list's names of length n against p; names_has has filtered. */
static int names_find(const principal_names_t *l, const char *p, size_t n)
{
	uint32_t i;

	for (i = 0; i < l->n; i++)
		if (l->len[i] == n && slice_ieq(p, n, l->name[i]))
			return 1;
	return 0;
}

static inline int names_has(const principal_names_t *l, const char *p, size_t n)
{
	return n < 64 && (l->lens & (1ull << n)) && (l->lasts & (1u << (lower(p[n - 1]) & 31))) &&
	       names_find(l, p, n);
}

/* Trims spaces and tabs from both ends of [*p, *p + *n). */
static void trim(const char **p, size_t *n)
{
	while (*n > 0 && (**p == ' ' || **p == '\t')) {
		(*p)++;
		(*n)--;
	}
	while (*n > 0 && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t'))
		(*n)--;
}

/* Clears a buffer that held a credential, in a way the compiler may not drop. */
static void wipe(void *p, size_t n)
{
	volatile uint8_t *v = p;

	while (n--)
		*v++ = 0;
}

/* Keeps the printable ASCII of a name, '?' for the rest; returns 1 when it had to cut. */
static int copy_printable(char *dst, size_t cap, const char *src, size_t n)
{
	size_t i, m = n < cap - 1 ? n : cap - 1;

	for (i = 0; i < m; i++)
		dst[i] = src[i] > 0x20 && src[i] < 0x7f ? src[i] : '?';
	dst[m] = '\0';
	return m < n;
}

/* ------------------------------------------------------------------------------------------ */
/* Hashes */

/* The keyed hash of a credential of one kind, made of one or two parts (JWT: iss and sub;
 * cookie: name and value). Each part is hashed on its own, so no part is copied. */
static uint64_t principal_hash(const principal_config_t *cfg, enum principal_kind kind,
			       const void *a, size_t an, const void *b, size_t bn)
{
	uint8_t buf[17];
	uint64_t h[2];
	int i, k;

	h[0] = siphash24(cfg->hash_key, a, an);
	h[1] = siphash24(cfg->hash_key, b, bn);
	buf[0] = (uint8_t)kind;
	for (k = 0; k < 2; k++)
		for (i = 0; i < 8; i++)
			buf[1 + k * 8 + i] = (uint8_t)(h[k] >> (8 * i));
	return siphash24(cfg->hash_key, buf, sizeof(buf));
}

/* Fills a slot unless a credential of that kind was found first. */
static void principal_offer(principal_scan_t *ps, enum principal_kind kind,
			    enum principal_auth auth, uint64_t hash)
{
	if (ps->have[kind])
		return;
	ps->have[kind] = 1;
	ps->hash[kind] = hash;
	ps->auth[kind] = (uint8_t)auth;
}

/* ------------------------------------------------------------------------------------------ */
/* JWT and Basic */

/* Identity claims, best first: a user, else the client application. */
static const char *const principal_id_claims[] = {"sub", "uid",	  "user_id", "client_id",
						  "azp", "appid", NULL};

static int claim_rank(const aw_slice_t *key)
{
	int r;

	for (r = 0; principal_id_claims[r]; r++)
		if (key->len == strlen(principal_id_claims[r]) &&
		    memcmp(key->ptr, principal_id_claims[r], key->len) == 0)
			return r;
	return -1;
}

/* Notes the JWT header: alg, alg none / missing, empty signature. 0 when it is no JSON. */
static int jwt_note_header(principal_t *out, const aw_slice_t part[3])
{
	char alg[64];
	int h = sensitive__jwt_header(part[0].ptr, part[0].len, alg, sizeof(alg));

	if (h == 0)
		return 0;
	if (h == 2 || alg[0] == '\0')
		out->flags |= PRINCIPAL_F_JWT_NO_ALG;
	else if (slice_ieq(alg, strlen(alg), "none"))
		out->flags |= PRINCIPAL_F_JWT_ALG_NONE;
	if (out->jwt_alg[0] == '\0')
		copy_printable(out->jwt_alg, sizeof(out->jwt_alg), alg, strlen(alg));
	if (part[2].len == 0)
		out->flags |= PRINCIPAL_F_JWT_NO_SIGNATURE;
	return 1;
}

/* Records a claim name (first JWT only). */
static void jwt_note_claim(principal_t *out, const aw_slice_t *key)
{
	if (out->nclaims == PRINCIPAL_MAX_CLAIMS) {
		out->flags |= PRINCIPAL_F_CLAIMS_CUT;
		return;
	}
	if (copy_printable(out->claims[out->nclaims++], PRINCIPAL_CLAIM_LEN, key->ptr, key->len))
		out->flags |= PRINCIPAL_F_CLAIMS_CUT;
}

/*
 * A bearer credential that may be a JWT. Returns -1 when it is not JWT-shaped, 0 when it is
 * but does not decode (flagged), 1 when it is a JWT (the JWT slot is filled when it names a
 * subject). Claims are noted for the first JWT of the request only.
 */
static int principal_jwt_decode(principal_scan_t *ps, const char *t, size_t n,
				enum principal_auth auth)
{
	principal_t *out = ps->out;
	uint8_t payload[4096];
	aw_slice_t part[3], key, val, iss = {NULL, 0}, id = {NULL, 0};
	size_t len, off = 0;
	int kind, rc, best = -1, first = out->jwt_alg[0] == '\0' && out->nclaims == 0;

	if (!sensitive__jwt_split(t, n, part))
		return -1;
	if (!jwt_note_header(out, part) ||
	    sensitive__b64_decode(payload, sizeof(payload), &len, part[1].ptr, part[1].len) < 0) {
		out->flags |= PRINCIPAL_F_JWT_MALFORMED;
		return 0;
	}
	while ((rc = sensitive__json_member((const char *)payload, len, &off, &key, &val, &kind)) >
	       0) {
		int r = claim_rank(&key);

		if (first)
			jwt_note_claim(out, &key);
		if (key.len == 3 && memcmp(key.ptr, "iss", 3) == 0 &&
		    kind == SENSITIVE__JSON_STRING)
			iss = val;
		if (r >= 0 && (best < 0 || r < best) && val.len > 0 &&
		    (kind == SENSITIVE__JSON_STRING || kind == SENSITIVE__JSON_NUMBER)) {
			best = r;
			id = val;
		}
	}
	if (rc < 0 && off == 0) {
		out->flags |= PRINCIPAL_F_JWT_MALFORMED;
		return 0;
	}
	if (best < 0) {
		out->flags |= PRINCIPAL_F_JWT_NO_SUBJECT;
		return 1;
	}
	principal_offer(ps, PRINCIPAL_JWT, auth,
			principal_hash(ps->cfg, PRINCIPAL_JWT, iss.ptr, iss.len, id.ptr, id.len));
	return 1;
}

/* The first memo slot of a token's set: its last bytes are the signature, the part that varies
 * most. A set of PRINCIPAL_MEMO_WAYS slots, so that a few tokens that share a set (a birthday
 * collision among a client population's tokens) do not evict each other call after call. */
static unsigned principal_memo_index(const char *t, size_t n)
{
	uint64_t v;

	memcpy(&v, t + n - sizeof(v), sizeof(v));
	v = (v ^ n) * 0x9E3779B97F4A7C15ull;
	return (unsigned)(v >> 32) % (PRINCIPAL_MEMO_SLOTS / PRINCIPAL_MEMO_WAYS) *
	       PRINCIPAL_MEMO_WAYS;
}

/* Decodes a token into a fresh scratch result and keeps what it yields in a slot. */
static void principal_memo_fill(const principal_scan_t *ps, principal_memo_slot_t *s, const char *t,
				size_t n, enum principal_auth auth)
{
	principal_t scratch;
	principal_scan_t sps;

	memset(&scratch, 0, sizeof(scratch));
	memset(&sps, 0, sizeof(sps));
	sps.cfg = ps->cfg;
	sps.out = &scratch;
	s->rc = (int8_t)principal_jwt_decode(&sps, t, n, auth);
	s->flags = scratch.flags & ~(uint32_t)PRINCIPAL_F_CLAIMS_CUT;
	s->claims_cut = (scratch.flags & PRINCIPAL_F_CLAIMS_CUT) != 0;
	memcpy(s->alg, scratch.jwt_alg, sizeof(s->alg));
	s->nclaims = scratch.nclaims;
	memcpy(s->claims, scratch.claims, sizeof(s->claims));
	s->offered = sps.have[PRINCIPAL_JWT];
	s->hash = sps.hash[PRINCIPAL_JWT];
	s->token_hash = principal_hash(ps->cfg, PRINCIPAL_BEARER, t, n, NULL, 0);
	memcpy(&s->tail, t + n - sizeof(s->tail), sizeof(s->tail));
	memcpy(s->token, t, n);
	memcpy(s->key, ps->cfg->hash_key, sizeof(s->key));
	s->len = (uint16_t)n;
}

/* A bearer credential that may be a JWT, through the memo when there is one: the same effects
 * on the result as principal_jwt_decode, which runs only for tokens not seen before. */
static int principal_jwt(principal_scan_t *ps, const char *t, size_t n, enum principal_auth auth)
{
	principal_t *out = ps->out;
	principal_memo_slot_t *s, *set;
	uint64_t tail;
	unsigned w;
	int first;

	if (!ps->memo || n < 8 || n > PRINCIPAL_MEMO_TOKEN)
		return principal_jwt_decode(ps, t, n, auth);
	set = &ps->memo->slot[principal_memo_index(t, n)];
	s = NULL;
	memcpy(&tail, t + n - sizeof(tail), sizeof(tail));
	/* Slots of a set fill in order and are never emptied: the first empty one ends it. */
	for (w = 0; w < PRINCIPAL_MEMO_WAYS && set[w].len; w++) {
		if (set[w].len == n && set[w].tail == tail && memcmp(set[w].token, t, n) == 0 &&
		    memcmp(set[w].key, ps->cfg->hash_key, sizeof(set[w].key)) == 0) {
			s = &set[w];
			break;
		}
	}
	if (s) {
		ps->memo->hits++;
	} else {
		ps->memo->misses++;
		s = &set[0];
		for (w = 1; w < PRINCIPAL_MEMO_WAYS && s->len; w++)
			if (!set[w].len || set[w].used < s->used)
				s = &set[w];
		principal_memo_fill(ps, s, t, n, auth);
	}
	s->used = ++ps->memo->clock;
	ps->token_hash = s->token_hash;
	ps->token_hash_ok = 1;
	first = out->jwt_alg[0] == '\0' && out->nclaims == 0;
	out->flags |= s->flags;
	if (out->jwt_alg[0] == '\0')
		memcpy(out->jwt_alg, s->alg, sizeof(out->jwt_alg));
	if (first) {
		out->nclaims = s->nclaims;
		memcpy(out->claims, s->claims, s->nclaims * sizeof(out->claims[0]));
		if (s->claims_cut)
			out->flags |= PRINCIPAL_F_CLAIMS_CUT;
	}
	if (s->offered)
		principal_offer(ps, PRINCIPAL_JWT, auth, s->hash);
	return s->rc;
}

/* Basic credentials: the user name is hashed, the password only noted as present. */
static void principal_basic(principal_scan_t *ps, const char *c, size_t n)
{
	uint8_t buf[512];
	size_t len = 0;
	const uint8_t *colon;
	int rc = sensitive__b64_decode(buf, sizeof(buf), &len, c, n);

	colon = rc >= 0 ? memchr(buf, ':', len) : NULL;
	if (!colon || colon == buf) {
		ps->out->flags |= PRINCIPAL_F_BASIC_MALFORMED;
	} else {
		if (colon + 1 < buf + len)
			ps->out->flags |= PRINCIPAL_F_BASIC_PASSWORD;
		principal_offer(ps, PRINCIPAL_BASIC, PRINCIPAL_AUTH_BASIC,
				principal_hash(ps->cfg, PRINCIPAL_BASIC, buf, (size_t)(colon - buf),
					       NULL, 0));
	}
	wipe(buf, sizeof(buf));
}

/* Keeps the first name a kind of credential travelled under, in lower case. */
static void principal_note_name(char dst[PRINCIPAL_NAME_LEN], const char *name, size_t n)
{
	size_t i;

	if (dst[0])
		return;
	if (n > PRINCIPAL_NAME_LEN - 1)
		n = PRINCIPAL_NAME_LEN - 1;
	for (i = 0; i < n; i++)
		dst[i] = lower(name[i]);
	dst[n] = '\0';
}

/* The Authorization header: scheme, then credentials. */
static void principal_authorization(principal_scan_t *ps, const char *v, size_t n)
{
	const char *sp = memchr(v, ' ', n), *cred;
	size_t slen = sp ? (size_t)(sp - v) : n, clen = sp ? n - slen - 1 : 0;

	cred = sp ? sp + 1 : v + n;
	trim(&cred, &clen);
	if (clen == 0) {
		ps->out->flags |= PRINCIPAL_F_AUTH_OTHER;
		return;
	}
	if (slice_ieq(v, slen, "basic")) {
		ps->out->auth_seen |= 1u << PRINCIPAL_AUTH_BASIC;
		principal_basic(ps, cred, clen);
	} else if (slice_ieq(v, slen, "bearer")) {
		enum principal_auth auth =
			principal_jwt(ps, cred, clen, PRINCIPAL_AUTH_BEARER_JWT) == 1
				? PRINCIPAL_AUTH_BEARER_JWT
				: PRINCIPAL_AUTH_BEARER_OPAQUE;

		ps->out->auth_seen |= 1u << auth;
		/* The token itself too: the principal when a JWT names no subject. A JWT principal
		 * always wins over it, so the token is hashed only when there is none. */
		if (!ps->have[PRINCIPAL_JWT] && !ps->have[PRINCIPAL_BEARER])
			principal_offer(ps, PRINCIPAL_BEARER, auth,
					ps->token_hash_ok
						? ps->token_hash
						: principal_hash(ps->cfg, PRINCIPAL_BEARER, cred,
								 clen, NULL, 0));
	} else if (slice_ieq(v, slen, "token") || slice_ieq(v, slen, "apikey") ||
		   slice_ieq(v, slen, "api-key")) {
		ps->out->auth_seen |= 1u << PRINCIPAL_AUTH_APIKEY_HEADER;
		principal_note_name(ps->out->apikey_header, "authorization", 13);
		principal_offer(ps, PRINCIPAL_APIKEY, PRINCIPAL_AUTH_APIKEY_HEADER,
				principal_hash(ps->cfg, PRINCIPAL_APIKEY, cred, clen, NULL, 0));
	} else {
		ps->out->flags |= PRINCIPAL_F_AUTH_OTHER;
	}
}

/* ------------------------------------------------------------------------------------------ */
/* API keys and cookies */

static void principal_apikey(principal_scan_t *ps, const char *v, size_t n,
			     enum principal_auth auth)
{
	if (n == 0)
		return;
	ps->out->auth_seen |= 1u << auth;
	principal_offer(ps, PRINCIPAL_APIKEY, auth,
			principal_hash(ps->cfg, PRINCIPAL_APIKEY, v, n, NULL, 0));
}

/* API keys among the query parameters; a JWT there is read like a bearer JWT. */
static void principal_query(principal_scan_t *ps, const char *q, size_t n)
{
	size_t i = 0;

	while (i < n) {
		const char *amp = memchr(q + i, '&', n - i), *eq;
		size_t e = amp ? (size_t)(amp - q) : n;

		eq = memchr(q + i, '=', e - i);
		if (eq && names_has(&ps->cfg->apikey_params, q + i, (size_t)(eq - q) - i)) {
			const char *v = eq + 1;
			size_t vl = e - (size_t)(v - q);

			if (vl > 0) {
				/* A JWT names its subject; the key slot holds the
				 * value either way. */
				ps->out->flags |= PRINCIPAL_F_TOKEN_IN_QUERY;
				principal_note_name(ps->out->apikey_param, q + i,
						    (size_t)(eq - q) - i);
				(void)principal_jwt(ps, v, vl, PRINCIPAL_AUTH_APIKEY_QUERY);
				principal_apikey(ps, v, vl, PRINCIPAL_AUTH_APIKEY_QUERY);
			}
		}
		i = e + 1;
	}
}

static int cookie_is_session(const principal_config_t *cfg, const char *p, size_t n)
{
	if (names_has(&cfg->cookies, p, n))
		return 1;
	return cfg->cookie_suffix &&
	       (slice_iends(p, n, "_session") || slice_iends(p, n, "sessionid"));
}

/* A Cookie header: "a=1; b=2". The first session cookie of the request is the one kept. */
static void principal_cookies(principal_scan_t *ps, const char *v, size_t n)
{
	char lname[64];
	size_t i = 0, k;

	while (i < n) {
		const char *semi = memchr(v + i, ';', n - i), *name = v + i, *eq, *val;
		size_t e = semi ? (size_t)(semi - v) : n, nl, vl;

		eq = memchr(name, '=', e - i);
		i = e + 1;
		if (!eq)
			continue;
		nl = (size_t)(eq - name);
		val = eq + 1;
		vl = (size_t)(v + e - val);
		trim(&name, &nl);
		trim(&val, &vl);
		if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"') {
			val++;
			vl -= 2;
		}
		if (vl == 0 || nl > sizeof(lname) || !cookie_is_session(ps->cfg, name, nl))
			continue;
		/* Names were matched without case: hash them the same way. */
		for (k = 0; k < nl; k++)
			lname[k] = lower(name[k]);
		ps->out->auth_seen |= 1u << PRINCIPAL_AUTH_COOKIE;
		principal_note_name(ps->out->cookie_name, lname, nl);
		principal_offer(ps, PRINCIPAL_COOKIE, PRINCIPAL_AUTH_COOKIE,
				principal_hash(ps->cfg, PRINCIPAL_COOKIE, lname, nl, val, vl));
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Addresses and forwarding */

int principal_addr_parse(net_addr_t *out, const char *s, size_t n)
{
	char buf[INET6_ADDRSTRLEN + 1];
	const char *colon;
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	trim(&s, &n);
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		s++;
		n -= 2;
	}
	if (n > 0 && s[0] == '[') {
		/* "[v6]" or "[v6]:port" */
		const char *rb = memchr(s, ']', n);

		if (!rb)
			return 0;
		n = (size_t)(rb - s) - 1;
		s++;
	} else if ((colon = memchr(s, ':', n)) != NULL && memchr(s, '.', n) &&
		   !memchr(colon + 1, ':', n - (size_t)(colon - s) - 1)) {
		n = (size_t)(colon - s); /* "v4:port" */
	}
	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, buf, out->b) == 1)
		return 4;
	if (inet_pton(AF_INET6, buf, out->b) != 1)
		return 0;
	if (memcmp(out->b, mapped, sizeof(mapped)) == 0) {
		memmove(out->b, out->b + 12, 4);
		memset(out->b + 4, 0, 12);
		return 4;
	}
	return 6;
}

static int cidr_contains(const principal_cidr_t *c, const net_addr_t *a, int ip_version)
{
	unsigned full = c->bits / 8, rest = c->bits % 8;

	if (c->ip_version != ip_version || memcmp(c->addr.b, a->b, full) != 0)
		return 0;
	return rest == 0 || ((c->addr.b[full] ^ a->b[full]) & (uint8_t)(0xff00u >> rest)) == 0;
}

int principal_addr_trusted(const principal_config_t *cfg, const net_addr_t *addr, int ip_version)
{
	uint32_t i;

	for (i = 0; i < cfg->ntrusted; i++)
		if (cidr_contains(&cfg->trusted[i], addr, ip_version))
			return 1;
	return 0;
}

/* The address of a "for=" parameter in one element of a Forwarded header. */
static int forwarded_for(net_addr_t *out, const char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		const char *semi = memchr(p + i, ';', n - i), *kv = p + i;
		size_t e = semi ? (size_t)(semi - p) : n, kl = e - i;

		trim(&kv, &kl);
		if (kl > 4 && slice_ieq(kv, 4, "for="))
			return principal_addr_parse(out, kv + 4, kl - 4);
		i = e + 1;
	}
	return 0;
}

/* Headers whose entries are walked, right to left, to find the client behind proxies. */
typedef struct principal_hops {
	const api_header_t *hdr[8];
	unsigned n;
	int forwarded; /* RFC 7239 Forwarded rather than X-Forwarded-For */
} principal_hops_t;

/* Steps from the direct peer back through trusted proxies: the client is the first address,
 * from the right, that is not a trusted proxy. */
static void principal_forwarded(const principal_config_t *cfg, principal_t *out,
				const principal_hops_t *hops)
{
	unsigned h = hops->n, walked = 0;

	while (h-- > 0) {
		const char *v = hops->hdr[h]->value.ptr;
		size_t e = hops->hdr[h]->value.len;

		for (;;) {
			size_t s = e;
			net_addr_t a;
			int ver;

			while (s > 0 && v[s - 1] != ',')
				s--;
			ver = hops->forwarded ? forwarded_for(&a, v + s, e - s)
					      : principal_addr_parse(&a, v + s, e - s);
			if (!ver || ++walked > PRINCIPAL_MAX_HOPS) {
				out->flags |= PRINCIPAL_F_XFF_INVALID;
				return;
			}
			out->client = a;
			out->ip_version = (uint8_t)ver;
			out->flags |= PRINCIPAL_F_XFF_USED;
			if (!principal_addr_trusted(cfg, &a, ver))
				return;
			if (s == 0)
				break;
			e = s - 1;
		}
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Entry points */

static const char *const principal_kind_names[] = {
	[PRINCIPAL_NONE] = "none",     [PRINCIPAL_JWT] = "jwt",	      [PRINCIPAL_BASIC] = "basic",
	[PRINCIPAL_APIKEY] = "apikey", [PRINCIPAL_BEARER] = "bearer", [PRINCIPAL_COOKIE] = "cookie",
	[PRINCIPAL_IP] = "ip",
};

static const char *const principal_auth_names[] = {
	[PRINCIPAL_AUTH_NONE] = "none",
	[PRINCIPAL_AUTH_BASIC] = "basic",
	[PRINCIPAL_AUTH_BEARER_JWT] = "bearer-jwt",
	[PRINCIPAL_AUTH_BEARER_OPAQUE] = "bearer-opaque",
	[PRINCIPAL_AUTH_APIKEY_HEADER] = "apikey-header",
	[PRINCIPAL_AUTH_APIKEY_QUERY] = "apikey-query",
	[PRINCIPAL_AUTH_COOKIE] = "cookie",
};

const char *principal_kind_name(unsigned kind)
{
	return kind <= PRINCIPAL_IP ? principal_kind_names[kind] : "unknown";
}

const char *principal_auth_name(unsigned auth)
{
	return auth < PRINCIPAL_AUTH__COUNT ? principal_auth_names[auth] : "unknown";
}

/* Fills a name list from a comma-separated string; 0 or an AW_E* code (list untouched). */
static int names_parse(principal_names_t *l, const char *list)
{
	principal_names_t tmp;
	const char *p = list;

	tmp.n = 0;
	tmp.lasts = 0;
	tmp.lens = 0;
	while (*p) {
		const char *comma = strchr(p, ','), *name = p;
		size_t n = comma ? (size_t)(comma - p) : strlen(p), i;

		p += n + (comma != NULL);
		trim(&name, &n);
		if (n == 0 || n >= PRINCIPAL_NAME_LEN)
			return AW_ECONFIG;
		if (tmp.n == PRINCIPAL_MAX_NAMES)
			return AW_ELIMIT;
		for (i = 0; i < n; i++)
			tmp.name[tmp.n][i] = lower(name[i]);
		tmp.name[tmp.n][n] = '\0';
		tmp.len[tmp.n++] = (uint8_t)n;
		tmp.lasts |= 1u << (lower(name[n - 1]) & 31);
		if (n < 64)
			tmp.lens |= 1ull << n;
	}
	*l = tmp;
	return 0;
}

void principal_config_default(principal_config_t *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	(void)names_parse(&cfg->apikey_headers,
			  "x-api-key,api-key,apikey,x-apikey,x-auth-token,x-api-token,"
			  "x-access-token,ocp-apim-subscription-key,x-goog-api-key");
	(void)names_parse(&cfg->apikey_params, "api_key,apikey,api-key,key,token,access_token");
	(void)names_parse(&cfg->cookies, "session,sessionid,session_id,sid,jsessionid,phpsessid,"
					 "connect.sid,_session,laravel_session,asp.net_sessionid");
	cfg->cookie_suffix = 1;
}

int principal_config_set_names(principal_config_t *cfg, enum principal_list which, const char *list)
{
	principal_names_t *l = which == PRINCIPAL_LIST_HEADER  ? &cfg->apikey_headers
			       : which == PRINCIPAL_LIST_QUERY ? &cfg->apikey_params
							       : &cfg->cookies;

	return list ? names_parse(l, list) : AW_EINVAL;
}

/* One "addr[/bits]" entry. */
static int cidr_parse(principal_cidr_t *c, const char *s, size_t n)
{
	const char *slash = memchr(s, '/', n);
	size_t alen = slash ? (size_t)(slash - s) : n, i;
	unsigned bits = 0, max;
	int ver = principal_addr_parse(&c->addr, s, alen);

	if (!ver)
		return AW_ECONFIG;
	max = ver == 4 ? 32 : 128;
	if (!slash) {
		bits = max;
	} else {
		if (slash + 1 == s + n || n - alen - 1 > 3)
			return AW_ECONFIG;
		for (i = alen + 1; i < n; i++) {
			if ((unsigned)(s[i] - '0') > 9)
				return AW_ECONFIG;
			bits = bits * 10 + (unsigned)(s[i] - '0');
		}
		/* An IPv4-mapped IPv6 range ("::ffff:10.0.0.0/104") counts in IPv4 bits. */
		if (ver == 4 && memchr(s, ':', alen)) {
			if (bits < 96)
				return AW_ECONFIG;
			bits -= 96;
		}
		if (bits > max)
			return AW_ECONFIG;
	}
	c->bits = (uint8_t)bits;
	c->ip_version = (uint8_t)ver;
	for (i = 0; i < 16; i++) {
		unsigned keep = bits >= 8 * (i + 1) ? 8 : bits > 8 * i ? bits - 8 * (unsigned)i : 0;

		c->addr.b[i] &= (uint8_t)(0xff00u >> keep);
	}
	return 0;
}

int principal_config_set_trusted(principal_config_t *cfg, const char *list)
{
	principal_cidr_t tmp[PRINCIPAL_MAX_CIDRS];
	uint32_t n = 0;
	const char *p = list;

	if (!list)
		return AW_EINVAL;
	while (*p) {
		const char *comma = strchr(p, ','), *e = p;
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		int rc;

		p += len + (comma != NULL);
		trim(&e, &len);
		if (len == 0)
			continue;
		if (n == PRINCIPAL_MAX_CIDRS)
			return AW_ELIMIT;
		rc = cidr_parse(&tmp[n], e, len);
		if (rc < 0)
			return rc;
		n++;
	}
	memcpy(cfg->trusted, tmp, n * sizeof(tmp[0]));
	cfg->ntrusted = n;
	return 0;
}

/* Notes the headers that matter, handling credentials as they come. */
static void principal_headers(principal_scan_t *ps, principal_hops_t *xff, principal_hops_t *fwd,
			      const api_header_t *hdrs, size_t n)
{
	int seen_authz = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		const api_header_t *h = &hdrs[i];
		const char *name = h->name.ptr, *v = h->value.ptr;
		size_t nl = h->name.len, vl = h->value.len;

		if (!name || !v)
			continue;
		/* The length first: most header names are none of these. */
		if (nl == 13 && slice_ieq(name, nl, "authorization")) {
			if (!seen_authz++)
				principal_authorization(ps, v, vl);
		} else if (nl == 6 && slice_ieq(name, nl, "cookie")) {
			principal_cookies(ps, v, vl);
		} else if (nl == 15 && slice_ieq(name, nl, "x-forwarded-for")) {
			if (xff->n < 8)
				xff->hdr[xff->n++] = h;
		} else if (nl == 9 && slice_ieq(name, nl, "forwarded")) {
			if (fwd->n < 8)
				fwd->hdr[fwd->n++] = h;
		} else if (names_has(&ps->cfg->apikey_headers, name, nl)) {
			trim(&v, &vl);
			if (vl)
				principal_note_name(ps->out->apikey_header, name, nl);
			principal_apikey(ps, v, vl, PRINCIPAL_AUTH_APIKEY_HEADER);
		}
	}
}

/* The client address: the peer, or what trusted proxies say is behind them. */
static void principal_address(const principal_config_t *cfg, principal_t *out,
			      const principal_hops_t *xff, const principal_hops_t *fwd,
			      const net_addr_t *client, int ip_version)
{
	if (!client || (ip_version != 4 && ip_version != 6))
		return;
	out->client = *client;
	out->ip_version = (uint8_t)ip_version;
	if (!xff->n && !fwd->n)
		return;
	if (!principal_addr_trusted(cfg, client, ip_version)) {
		out->flags |= PRINCIPAL_F_XFF_IGNORED;
		return;
	}
	principal_forwarded(cfg, out, fwd->n ? fwd : xff);
}

/* "<kind>:p:<16 hex digits>", the same text as "%s:p:%016llx" without printf's cost per call. */
static void principal_format_id(char id[PRINCIPAL_ID_LEN], const char *kind, uint64_t h)
{
	size_t n = strlen(kind);

	if (n > PRINCIPAL_ID_LEN - 20)
		n = PRINCIPAL_ID_LEN - 20;
	memcpy(id, kind, n);
	memcpy(id + n, ":p:", 3);
	n += 3;
	json_format_hex64(id + n, h);
	id[n + 16] = '\0';
}

/* Clears a result before it is filled. The claims are two thirds of it and seldom there: with
 * a memo, out holds zeros or an earlier result (principal.h), whose claims past nclaims are
 * zeros already, so only its first nclaims entries are cleared. */
static void principal_clear(principal_t *out, int earlier)
{
	size_t names = offsetof(principal_t, apikey_header);
	unsigned k = earlier && out->nclaims < PRINCIPAL_MAX_CLAIMS ? out->nclaims
								    : PRINCIPAL_MAX_CLAIMS;

	memset(out->claims, 0, k * sizeof(out->claims[0]));
	memset(out, 0, offsetof(principal_t, claims));
	memset((char *)out + names, 0, sizeof(*out) - names);
}

int principal_from_request(const principal_config_t *cfg, principal_t *out,
			   const api_header_t *hdrs, size_t n, const char *query, size_t qlen,
			   const net_addr_t *client, int ip_version)
{
	return principal_from_request_memo(cfg, NULL, out, hdrs, n, query, qlen, client,
					   ip_version);
}

int principal_from_request_memo(const principal_config_t *cfg, principal_memo_t *memo,
				principal_t *out, const api_header_t *hdrs, size_t n,
				const char *query, size_t qlen, const net_addr_t *client,
				int ip_version)
{
	principal_scan_t ps;
	principal_hops_t xff, fwd; /* hdr[] is written before it is read */
	int k;

	if (!cfg || !out || (!hdrs && n) || (!query && qlen))
		return AW_EINVAL;
	xff.n = fwd.n = 0;
	xff.forwarded = 0;
	fwd.forwarded = 1;
	principal_clear(out, memo != NULL);
	memset(&ps, 0, sizeof(ps));
	ps.cfg = cfg;
	ps.memo = memo;
	ps.out = out;
	principal_headers(&ps, &xff, &fwd, hdrs, n);
	if (qlen)
		principal_query(&ps, query, qlen);
	principal_address(cfg, out, &xff, &fwd, client, ip_version);
	for (k = PRINCIPAL_JWT; k < PRINCIPAL_IP; k++) {
		if (!ps.have[k])
			continue;
		out->kind = (uint8_t)k;
		out->auth = ps.auth[k];
		principal_format_id(out->id, principal_kind_names[k], ps.hash[k]);
		return 0;
	}
	if (out->ip_version) {
		char a[INET6_ADDRSTRLEN];

		if (inet_ntop(out->ip_version == 4 ? AF_INET : AF_INET6, out->client.b, a,
			      sizeof(a))) {
			out->kind = PRINCIPAL_IP;
			snprintf(out->id, sizeof(out->id), "ip:%s", a);
		}
	}
	return 0;
}

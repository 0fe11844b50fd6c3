/*
 * principal.h - who made an API call: the principal behind a request, as a keyed hash.
 *
 * Fed (later) by the inventory stage with a request's headers, its raw query string and the
 * client address of its flow; feeds every behavioural counter, which is keyed on the principal
 * and the endpoint template (API-SECURITY-NOTES "Principal first"). The credential is looked
 * for in order of how well it names a caller:
 *
 *   1. Authorization: Bearer <JWT> with an identity claim (sub; else client_id, azp, appid,
 *      uid, user_id), qualified by iss                                     -> "jwt:p:<hex>"
 *   2. Authorization: Basic, the user name (the password is never kept)    -> "basic:p:<hex>"
 *   3. an API key in a header (X-API-Key, Api-Key, X-Auth-Token, apikey, "Authorization: Token
 *      | ApiKey ..."), then in the query (api_key, apikey, key, token, access_token; a JWT
 *      there counts as 1)                                                   -> "apikey:p:<hex>"
 *   4. an opaque bearer token                                             -> "bearer:p:<hex>"
 *   5. a session cookie (session, sessionid, sid, JSESSIONID, PHPSESSID, connect.sid,
 *      *_session, ...)                                                     -> "cookie:p:<hex>"
 *   6. the client address, the direct peer or, when the peer is a trusted proxy, the address
 *      it forwarded (X-Forwarded-For / Forwarded)                          -> "ip:<address>"
 *
 * <hex> is the SipHash-2-4 of the credential under the configured 16-byte key, in 16 hex
 * digits: stable for a credential and a key, different across keys, and never the credential.
 * The JWT signature is not verified (apiwatch holds no keys); its header algorithm, a missing
 * signature and the claim names are reported for the authentication detectors.
 *
 * Nothing is allocated: the configuration holds fixed arrays filled at start-up, and the result
 * is a fixed-size struct owned by the caller. Nothing of a credential outlives the call but its
 * hash; decoded Basic credentials are wiped from the stack.
 */
#ifndef APIWATCH_PRINCIPAL_H
#define APIWATCH_PRINCIPAL_H

#include <stddef.h>
#include <stdint.h>

#include "api_call.h"
#include "packet.h"
#include "siphash.h"

#define PRINCIPAL_MAX_CIDRS 32 /* trusted proxy ranges */
#define PRINCIPAL_MAX_NAMES 16 /* names per list (headers, query parameters, cookies) */
#define PRINCIPAL_NAME_LEN 32 /* bytes of a name, NUL included */
#define PRINCIPAL_MAX_CLAIMS 16 /* JWT claim names reported */
#define PRINCIPAL_CLAIM_LEN 24 /* bytes of a claim name, NUL included */
#define PRINCIPAL_ALG_LEN 16 /* bytes of a JWT alg, NUL included */
#define PRINCIPAL_ID_LEN 56 /* "ip:" and the longest IPv6 text, or a kind and its hash */
#define PRINCIPAL_MAX_HOPS 16 /* X-Forwarded-For / Forwarded entries walked */

/* What the principal was derived from. */
enum principal_kind {
	PRINCIPAL_NONE = 0, /* no credential and no client address */
	PRINCIPAL_JWT,
	PRINCIPAL_BASIC,
	PRINCIPAL_APIKEY,
	PRINCIPAL_BEARER, /* an opaque bearer token */
	PRINCIPAL_COOKIE,
	PRINCIPAL_IP
};

/* Authentication seen on the request, for the inventory. */
enum principal_auth {
	PRINCIPAL_AUTH_NONE = 0,
	PRINCIPAL_AUTH_BASIC,
	PRINCIPAL_AUTH_BEARER_JWT,
	PRINCIPAL_AUTH_BEARER_OPAQUE,
	PRINCIPAL_AUTH_APIKEY_HEADER,
	PRINCIPAL_AUTH_APIKEY_QUERY,
	PRINCIPAL_AUTH_COOKIE,
	PRINCIPAL_AUTH__COUNT
};

/* principal_t.flags */
#define PRINCIPAL_F_JWT_ALG_NONE 0x0001 /* the JWT header says alg "none" (any case) */
#define PRINCIPAL_F_JWT_NO_ALG 0x0002 /* the JWT header has no alg, or an empty one */
#define PRINCIPAL_F_JWT_NO_SIGNATURE 0x0004 /* the JWT's signature part is empty */
#define PRINCIPAL_F_JWT_MALFORMED 0x0008 /* JWT-shaped, but a part does not decode to JSON */
#define PRINCIPAL_F_JWT_NO_SUBJECT 0x0010 /* no identity claim: not used as the principal */
#define PRINCIPAL_F_CLAIMS_CUT 0x0020 /* more claims than PRINCIPAL_MAX_CLAIMS, or long names */
#define PRINCIPAL_F_BASIC_PASSWORD 0x0040 /* Basic credentials carried a non-empty password */
#define PRINCIPAL_F_BASIC_MALFORMED 0x0080 /* Basic credentials did not decode to user:pass */
#define PRINCIPAL_F_TOKEN_IN_QUERY 0x0100 /* a credential travelled in the query string */
#define PRINCIPAL_F_XFF_USED 0x0200 /* the address came from a trusted proxy's header */
#define PRINCIPAL_F_XFF_IGNORED 0x0400 /* forwarding headers from an untrusted peer */
#define PRINCIPAL_F_XFF_INVALID 0x0800 /* a forwarded entry did not parse: the walk stopped */
#define PRINCIPAL_F_AUTH_OTHER 0x1000 /* an Authorization scheme not understood (Digest...) */

/* An address range; IPv4 in the first 4 bytes of addr. */
typedef struct principal_cidr {
	net_addr_t addr; /* host bits cleared */
	uint8_t bits;
	uint8_t ip_version; /* 4 or 6 */
} principal_cidr_t;

/* A list of names compared case-insensitively. */
typedef struct principal_names {
	uint32_t n;
	uint32_t lasts; /* bit (c & 31): some name ends in c: most names that pass lens miss here */
	uint64_t lens; /* bit n: some name is n bytes long (n < 64): most names miss at once */
	uint8_t len[PRINCIPAL_MAX_NAMES];
	char name[PRINCIPAL_MAX_NAMES][PRINCIPAL_NAME_LEN];
} principal_names_t;

/* Which name list principal_config_set_names() replaces. */
enum principal_list {
	PRINCIPAL_LIST_HEADER = 0, /* API key headers */
	PRINCIPAL_LIST_QUERY, /* API key query parameters */
	PRINCIPAL_LIST_COOKIE /* session cookies */
};

/* Read-only once set up; shared by every pipeline. */
typedef struct principal_config {
	uint8_t hash_key[SIPHASH_KEY_LEN]; /* key of the principal hashes */
	uint32_t ntrusted;
	principal_cidr_t trusted[PRINCIPAL_MAX_CIDRS]; /* proxies whose forwarding is believed */
	principal_names_t apikey_headers, apikey_params, cookies;
	int cookie_suffix; /* also cookies named *_session / *sessionid (default on) */
} principal_config_t;

/* Who made the call. Owned by the caller; filled completely by principal_from_request. */
typedef struct principal {
	char id[PRINCIPAL_ID_LEN]; /* "jwt:p:0123456789abcdef", "ip:10.0.0.1"; "" if none */
	uint8_t kind; /* enum principal_kind */
	uint8_t auth; /* enum principal_auth of the credential used; NONE for the address */
	uint16_t auth_seen; /* bit (1u << PRINCIPAL_AUTH_*) of every credential present */
	uint32_t flags; /* PRINCIPAL_F_* */
	net_addr_t client; /* the client address after forwarding headers */
	uint8_t ip_version; /* 4 or 6; 0 when no address was given */
	uint8_t nclaims;
	char jwt_alg[PRINCIPAL_ALG_LEN]; /* the JWT header's alg, printable bytes only */
	char claims[PRINCIPAL_MAX_CLAIMS][PRINCIPAL_CLAIM_LEN]; /* JWT payload claim names */
	/* Where the credentials travelled, for the inventory's security schemes: the names (lower
	 * case, cut to PRINCIPAL_NAME_LEN - 1) of the first API key header ("authorization" for
	 * "Authorization: Token ..."), API key query parameter and session cookie; "" if none. */
	char apikey_header[PRINCIPAL_NAME_LEN];
	char apikey_param[PRINCIPAL_NAME_LEN];
	char cookie_name[PRINCIPAL_NAME_LEN];
} principal_t;

/* Defaults: a zero hash key (set a secret one), no trusted proxies, the default name lists. */
void principal_config_default(principal_config_t *cfg);

/*
 * Sets the trusted proxies from a list like "10.0.0.0/8, 192.168.0.0/16,fd00::/8" (an address
 * without a prefix is one host). Returns 0, AW_ECONFIG on an entry that does not parse (cfg is
 * unchanged then) or AW_ELIMIT past PRINCIPAL_MAX_CIDRS entries.
 */
int principal_config_set_trusted(principal_config_t *cfg, const char *list);

/* Replaces a name list with a comma-separated one. AW_ECONFIG on an empty or overlong name,
 * AW_ELIMIT past PRINCIPAL_MAX_NAMES; the list is unchanged then. */
int principal_config_set_names(principal_config_t *cfg, enum principal_list which,
			       const char *list);

/* Parses an IPv4 or IPv6 address (IPv4-mapped IPv6 becomes IPv4). Returns 4 or 6, 0 if it
 * is not an address. */
int principal_addr_parse(net_addr_t *out, const char *s, size_t n);

/* Whether addr (of ip_version) is inside one of the trusted ranges. */
int principal_addr_trusted(const principal_config_t *cfg, const net_addr_t *addr, int ip_version);

/*
 * Works out who made a request: headers hdrs[0..n), the raw query (without '?', may be NULL
 * with qlen 0) and the flow's client address (NULL when unknown; ip_version 4 or 6). Every
 * input is borrowed for the call. Returns 0, or AW_EINVAL for a NULL cfg or out, or headers
 * without storage. Hostile or malformed credentials are not errors: they are flagged and the
 * next kind of credential is tried.
 */
int principal_from_request(const principal_config_t *cfg, principal_t *out,
			   const api_header_t *hdrs, size_t n, const char *query, size_t qlen,
			   const net_addr_t *client, int ip_version);

/*
 * A memo of decoded JWTs, for a caller that sees the same tokens again and again (a client
 * sends its token with every call). A slot holds what decoding one token yields whatever came
 * before it in the request; a token is looked up by its exact bytes, so a collision of the
 * slot index only costs a decode; so does a change of the configuration's hash key.
 */
#define PRINCIPAL_MEMO_SLOTS 256
#define PRINCIPAL_MEMO_WAYS 4 /* slots a token may take: sets of 4, least recently used out */
#define PRINCIPAL_MEMO_TOKEN 512 /* longer tokens are decoded every time */

typedef struct principal_memo_slot {
	uint16_t len; /* token length; 0: empty slot */
	int8_t rc; /* the decoder's answer: -1 not JWT-shaped, 0 malformed, 1 JWT */
	uint8_t offered; /* an identity claim was found: hash is the JWT principal */
	uint8_t nclaims;
	uint8_t claims_cut; /* PRINCIPAL_F_CLAIMS_CUT, applied only with the claims */
	uint32_t flags; /* the other PRINCIPAL_F_* the token sets */
	uint32_t used; /* memo clock at the last use: the least recent of a set goes first */
	uint64_t hash;
	uint64_t token_hash; /* the whole token's hash: the principal of an opaque bearer token */
	uint64_t tail; /* the token's last 8 bytes: tokens of one issuer share their first ones */
	uint8_t key[SIPHASH_KEY_LEN]; /* the hash key it was made with */
	char alg[PRINCIPAL_ALG_LEN];
	/* Before the claims: a short token shares the lines a hit reads anyway. */
	char token[PRINCIPAL_MEMO_TOKEN];
	char claims[PRINCIPAL_MAX_CLAIMS][PRINCIPAL_CLAIM_LEN];
} principal_memo_slot_t;

typedef struct principal_memo {
	uint64_t hits, misses;
	uint32_t clock;
	principal_memo_slot_t slot[PRINCIPAL_MEMO_SLOTS];
} principal_memo_t;

/* As principal_from_request, decoding JWTs through memo (which may be NULL). The result is
 * the same as without the memo. With a memo, *out must hold zeros or an earlier result of this
 * function: the claims past an earlier result's nclaims are known to be zeros and are not
 * cleared again (they are most of the struct, and most requests carry no JWT). */
int principal_from_request_memo(const principal_config_t *cfg, principal_memo_t *memo,
				principal_t *out, const api_header_t *hdrs, size_t n,
				const char *query, size_t qlen, const net_addr_t *client,
				int ip_version);

/* Short names as written in events: "jwt", "basic", ...; "unknown" out of range. */
const char *principal_kind_name(unsigned kind);
const char *principal_auth_name(unsigned auth);

#endif

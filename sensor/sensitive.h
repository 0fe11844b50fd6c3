/*
 * sensitive.h - sensitive-data detectors over the text of an API call: JSON bodies, other text
 * bodies, query strings and header values.
 *
 * Fed (later) by the inventory stage with the slices of an api_call_t; feeds the inventory and
 * the detectors with what kinds of sensitive data a message carries and where: a bitmask of
 * types, a count per type and a short list of (type, source, key path) entries. It never hands
 * out a value: no byte of a finding is copied anywhere, only its type and the name of the key
 * that held it (keys that look like data themselves are written as "*").
 *
 * The scanners are hand-written, one pass over the bytes, no allocation: a small streaming JSON
 * tokenizer tracks the key path (bounded depth, invalid JSON falls back to plain text), and a
 * word scanner dispatches on the first byte of each token to validators (Luhn and issuer
 * ranges, mod-97, the VIN check digit, SSN area rules, base64url-decoded JWT headers), so a
 * shape alone never fires. Numbers that are only a shape (a bare digit run) need the context of
 * a key name. The report is a fixed-size struct owned by the caller; every cap has a counter.
 *
 * Deliberately not here: deciding what a finding means (a new data class on an endpoint is the
 * detectors' business), decoding bodies (api_call_body() does) and XML or multipart parsing
 * (such bodies are scanned as text).
 */
#ifndef APIWATCH_SENSITIVE_H
#define APIWATCH_SENSITIVE_H

#include <stddef.h>
#include <stdint.h>

#include "api_call.h"

/* What was found; the bit of a type in masks is (1u << type). */
enum sensitive_type {
	SENSITIVE_EMAIL = 0,
	SENSITIVE_PHONE,
	SENSITIVE_CARD, /* payment card number: Luhn and issuer prefix */
	SENSITIVE_SSN, /* US social security number */
	SENSITIVE_IBAN,
	SENSITIVE_VIN, /* vehicle identification number */
	SENSITIVE_JWT,
	SENSITIVE_PRIVATE_KEY, /* PEM / PGP private key block */
	SENSITIVE_AWS_KEY, /* AWS access key id */
	SENSITIVE_GITHUB_TOKEN,
	SENSITIVE_SLACK_TOKEN,
	SENSITIVE_STRIPE_KEY,
	SENSITIVE_GOOGLE_API_KEY,
	SENSITIVE_GCP_SERVICE_ACCOUNT, /* a service-account key: "private_key_id" */
	SENSITIVE_SECRET, /* a non-empty value under a password / secret / token key */
	SENSITIVE__COUNT
};

#define SENSITIVE_ALL ((1u << SENSITIVE__COUNT) - 1)

/* Where the scanned bytes come from: decides the tokenizer. */
enum sensitive_source {
	SENSITIVE_SRC_JSON = 0, /* a JSON body: key paths like user.cards[].number */
	SENSITIVE_SRC_TEXT, /* any other body, scanned as text */
	SENSITIVE_SRC_QUERY, /* a query string or form body: the path is the parameter name */
	SENSITIVE_SRC_HEADER, /* a header value: the path is the header name, in lower case */
	SENSITIVE_SRC__COUNT
};

/* Fixed sizes of the report; sensitive_config_t may ask for less. */
#define SENSITIVE_MAX_FINDINGS 32 /* (type, source, path) entries kept per report */
#define SENSITIVE_MAX_PATH 96 /* bytes of a key path kept, without the NUL */
#define SENSITIVE_MAX_DEPTH 32 /* JSON nesting tracked before falling back to text */

/* sensitive_finding_t.flags */
#define SENSITIVE_FINDING_F_PATH_CUT 0x01 /* the path was longer than the cap and cut */

/* sensitive_report_t.flags */
#define SENSITIVE_F_JSON_INVALID 0x01 /* a JSON body broke the grammar: the rest was text */
#define SENSITIVE_F_JSON_TRUNCATED 0x02 /* a JSON body ended inside a value (cut body) */
#define SENSITIVE_F_DEPTH 0x04 /* nesting past max_depth: the rest was scanned as text */
#define SENSITIVE_F_FINDINGS_CUT 0x08 /* more distinct entries than max_findings */
#define SENSITIVE_F_PATH_CUT 0x10 /* a key path was cut at max_path */
#define SENSITIVE_F_SCAN_CUT 0x20 /* input past max_scan bytes was not scanned */

/* One kind of finding at one place; count is how often it occurred there. */
typedef struct sensitive_finding {
	uint8_t type; /* enum sensitive_type */
	uint8_t source; /* enum sensitive_source */
	uint8_t flags; /* SENSITIVE_FINDING_F_* */
	uint8_t path_len;
	uint32_t count;
	char path[SENSITIVE_MAX_PATH + 1]; /* NUL-terminated; "" for the top level of a text */
} sensitive_finding_t;

/* What a message carries. Owned by the caller, filled by the scans; several scans (query,
 * headers, body) may add to one report. Counts saturate at UINT32_MAX. */
typedef struct sensitive_report {
	uint32_t types; /* bit (1u << SENSITIVE_*) per type found */
	uint32_t flags; /* SENSITIVE_F_* */
	uint32_t counts[SENSITIVE__COUNT]; /* occurrences per type, kept entries or not */
	uint32_t nfindings;
	uint32_t findings_dropped; /* occurrences whose (type, source, path) found no room */
	uint32_t paths_cut; /* occurrences whose path was cut */
	sensitive_finding_t findings[SENSITIVE_MAX_FINDINGS];
} sensitive_report_t;

typedef struct sensitive_config {
	uint32_t types; /* detectors enabled: bit (1u << SENSITIVE_*); SENSITIVE_ALL by default */
	uint32_t max_findings; /* entries kept, at most SENSITIVE_MAX_FINDINGS */
	uint32_t max_path; /* path bytes kept, at most SENSITIVE_MAX_PATH */
	uint32_t max_depth; /* JSON depth tracked, at most SENSITIVE_MAX_DEPTH */
	size_t max_scan; /* bytes scanned per call; 0 = all */
} sensitive_config_t;

/* The defaults: every detector, the full caps, 1 MiB scanned per call. */
void sensitive_config_default(sensitive_config_t *cfg);

/* Empties a report before the scans of a new message. */
void sensitive_report_reset(sensitive_report_t *rep);

/*
 * Scans len bytes at data, read as src says, and adds what it finds to rep. The bytes are
 * borrowed for the call; nothing of them is kept but key names. Never fails: input that is not
 * what src says is scanned as text, and what does not fit is counted. cfg NULL means the
 * defaults. For SENSITIVE_SRC_HEADER the path is empty: sensitive_scan_header() knows the name.
 */
void sensitive_scan(const sensitive_config_t *cfg, sensitive_report_t *rep,
		    enum sensitive_source src, const char *data, size_t len);

/* Scans one header value, with its name as the path and as the key-name context. */
void sensitive_scan_header(const sensitive_config_t *cfg, sensitive_report_t *rep, const char *name,
			   size_t name_len, const char *value, size_t value_len);

/* Short name of a type as written in events ("card"); "unknown" out of range. */
const char *sensitive_type_name(unsigned type);

/* ------------------------------------------------------------------------------------------ */
/* Cross-file internals, shared with principal.c (JWT and Basic credentials). */

/*
 * Decodes base64 or base64url (either alphabet, padding optional) into at most cap bytes and
 * sets *outlen. Returns 0 when all of it was decoded, 1 when out filled up first (what fits is
 * decoded), AW_EMALFORMED on a byte outside the alphabets, misplaced padding or a length that
 * no encoding has.
 */
int sensitive__b64_decode(uint8_t *out, size_t cap, size_t *outlen, const char *in, size_t n);

/* JSON value kinds reported by sensitive__json_member(). */
enum sensitive__json_kind {
	SENSITIVE__JSON_STRING = 1, /* value is the content between the quotes, escapes as sent */
	SENSITIVE__JSON_NUMBER,
	SENSITIVE__JSON_OBJECT, /* value spans the braces */
	SENSITIVE__JSON_ARRAY,
	SENSITIVE__JSON_LITERAL /* true, false, null */
};

/*
 * Iterates the members of the top-level JSON object in j[0..n). *off starts at 0 and is
 * advanced past each member. Returns 1 with a member (key without quotes, value and kind set),
 * 0 at the end of the object, AW_EMALFORMED when the text is not an object or breaks off (a
 * truncated object yields its complete members first). Nested values are skipped, not parsed.
 */
int sensitive__json_member(const char *j, size_t n, size_t *off, aw_slice_t *key, aw_slice_t *value,
			   int *kind);

/*
 * Splits a JWT-shaped token into its parts: three base64url parts joined by dots, a header of
 * at least 16 characters, a payload of at least 2, the signature possibly empty, each of a
 * length base64 can have. Returns 1 when it has that shape, 0 otherwise. Nothing is decoded.
 */
int sensitive__jwt_split(const char *s, size_t n, aw_slice_t part[3]);

/*
 * Decodes a JWT header part and checks that it is a JSON object. Returns 0 when it is not;
 * otherwise 1 when it has an "alg" string (copied NUL-terminated into alg, cut to alg_cap - 1
 * bytes) and 2 when it has none (alg set to ""). Only the first few hundred bytes are decoded.
 */
int sensitive__jwt_header(const char *b64, size_t n, char *alg, size_t alg_cap);

#endif

/*
 * sensitive.c - sensitive-data detectors: JSON key paths, query parameters, text, the report.
 *
 * Fed with a message's body, query string or header values (sensitive.h); feeds a caller-owned
 * report with types, counts and key paths, never values. One pass: the JSON tokenizer (or the
 * query splitter) hands each value to the word scanner, which skips ordinary bytes through a
 * class table and, at the first byte of a token, runs only the validators that token can start:
 * digits go to the number reader (cards, SSNs, phones), letters to the prefix table and the
 * IBAN / VIN / JWT checks, '@' to the e-mail check, '-' to the private-key banner. Everything
 * works on the borrowed bytes in place; the only copies are key names (into the path) and
 * percent-decoded query values (into a stack buffer).
 *
 * Context comes from key names: a bare digit run is only a card, phone or SSN under a key that
 * says so ("card_number", "phone", "ssn", or "number" inside a "card" object), and a secret is
 * a non-empty value under a password / secret / token key.
 *
 * Deliberately not here: the validators, the prefix table, the number rules and the key-name
 * rules, which are in sensitive_validate.c. This file walks the bytes, keeps the key path and
 * fills the report; it also holds the base64, JSON member and JWT helpers that principal.c uses.
 */
#include <string.h>

#include "error.h"
#include "sensitive_private.h"

/* ------------------------------------------------------------------------------------------ */
/* Byte classes */

/* Row shorthands for the table below. */
#define C_D (CLS_WORD | CLS_DIGIT | CLS_B64URL | CLS_LOCAL) /* digit */
#define C_U (CLS_WORD | CLS_UPPER | CLS_B64URL | CLS_LOCAL) /* upper-case letter */
#define C_L (CLS_WORD | CLS_B64URL | CLS_LOCAL) /* lower-case letter, '_' */
#define C_SP CLS_SPACE
#define C_NL (CLS_SPACE | CLS_TERM)
#define C_TE CLS_TERM
#define C_TR CLS_TRIGGER
#define C_LO CLS_LOCAL
#define C_PL (CLS_TRIGGER | CLS_LOCAL) /* '+' */
#define C_DA (CLS_TRIGGER | CLS_B64URL | CLS_LOCAL) /* '-' */

/* ASCII only; bytes from 0x80 up are ordinary. */
/* clang-format off */
const uint8_t sensitive__cls[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, C_SP, C_NL, 0, 0, C_NL, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	C_SP, 0, 0, 0, 0, C_LO, C_TE, 0, C_TR, 0, 0, C_PL, C_TE, C_DA, C_LO, 0,
	C_D, C_D, C_D, C_D, C_D, C_D, C_D, C_D, C_D, C_D, 0, C_TE, 0, 0, 0, 0,
	C_TR, C_U, C_U, C_U, C_U, C_U, C_U, C_U, C_U, C_U, C_U, C_U, C_U, C_U, C_U, C_U,
	C_U, C_U, C_U, C_U, C_U, C_U, C_U, C_U, C_U, C_U, C_U, 0, C_TR, 0, 0, C_L,
	0, C_L, C_L, C_L, C_L, C_L, C_L, C_L, C_L, C_L, C_L, C_L, C_L, C_L, C_L, C_L,
	C_L, C_L, C_L, C_L, C_L, C_L, C_L, C_L, C_L, C_L, C_L, 0, 0, 0, 0, 0,
};
/* clang-format on */

#undef C_D
#undef C_U
#undef C_L
#undef C_SP
#undef C_NL
#undef C_TE
#undef C_TR
#undef C_LO
#undef C_PL
#undef C_DA

static inline int is_hex(char c)
{
	return sensitive__is_digit(c) || (unsigned)((c | 0x20) - 'a') < 6;
}

/* Whether a token may start at p[i]: the byte before is not one of mask, or it ends a JSON
 * escape ("\\nAKIA..." starts a key after the newline). */
static inline int token_start(const char *p, size_t i, unsigned mask)
{
	return i == 0 || !(sensitive__cls_of(p[i - 1]) & mask) || (i >= 2 && p[i - 2] == '\\');
}

/* Length of the run from p[i] whose bytes all have one of the class bits in mask, counted up
 * to max. Scanners that may start again inside a run bound it, so that hostile input (one long
 * run with many starts, "a-a-a-...") costs linear time. */
static inline size_t run_max(const char *p, size_t n, size_t i, unsigned mask, size_t max)
{
	size_t j = i, end = n - i > max ? i + max : n;

	while (j < end && (sensitive__cls_of(p[j]) & mask))
		j++;
	return j - i;
}

static inline size_t run_len(const char *p, size_t n, size_t i, unsigned mask)
{
	return run_max(p, n, i, mask, n - i);
}

/* ------------------------------------------------------------------------------------------ */
/* The report and the key path */

static inline void sat_inc(uint32_t *v)
{
	if (*v != UINT32_MAX)
		(*v)++;
}

/* Records one occurrence of type at the current path. */
void sensitive__found(sensitive_scan_t *s, unsigned type)
{
	sensitive_report_t *r = s->rep;
	sensitive_finding_t *f;
	uint32_t i;

	if (!(s->cfg.types & (1u << type)))
		return;
	r->types |= 1u << type;
	sat_inc(&r->counts[type]);
	if (s->cut) {
		r->flags |= SENSITIVE_F_PATH_CUT;
		sat_inc(&r->paths_cut);
	}
	/* Newest first: repeated findings usually come from the same array of records. */
	for (i = r->nfindings; i-- > 0;) {
		f = &r->findings[i];
		if (f->type == type && f->source == s->src && f->path_len == s->path_len &&
		    memcmp(f->path, s->path, s->path_len) == 0) {
			sat_inc(&f->count);
			return;
		}
	}
	if (r->nfindings >= s->cfg.max_findings) {
		r->flags |= SENSITIVE_F_FINDINGS_CUT;
		sat_inc(&r->findings_dropped);
		return;
	}
	f = &r->findings[r->nfindings++];
	f->type = (uint8_t)type;
	f->source = s->src;
	f->flags = s->cut ? SENSITIVE_FINDING_F_PATH_CUT : 0;
	f->path_len = (uint8_t)s->path_len;
	f->count = 1;
	memcpy(f->path, s->path, s->path_len);
	f->path[s->path_len] = '\0';
}

/* Appends a segment to the path (after a '.' when dot and the path is not empty), cutting it
 * at max_path. */
static void path_append(sensitive_scan_t *s, const char *seg, size_t n, int dot)
{
	size_t len = s->path_len, max = s->cfg.max_path, room;

	if (dot && len > 0) {
		if (len >= max) {
			s->cut = 1;
			return;
		}
		s->path[len++] = '.';
	}
	room = max - len;
	if (n > room) {
		n = room;
		s->cut = 1;
	}
	memcpy(s->path + len, seg, n);
	s->path_len = (uint16_t)(len + n);
}

/* Appends a key name: lower-cased when asked (header names), "*" when it looks like data. */
static void path_append_key(sensitive_scan_t *s, const char *k, size_t n, unsigned key, int lower)
{
	size_t start = s->path_len, i;

	if (key & KEY_DATA) {
		path_append(s, "*", 1, 1);
		return;
	}
	path_append(s, k, n, 1);
	if (lower)
		for (i = start; i < s->path_len; i++)
			s->path[i] = sensitive__to_lower(s->path[i]);
}

/* ------------------------------------------------------------------------------------------ */
/* Base64, a flat JSON object reader, JWT shape (shared with principal.c) */

/* The sextet of a base64 or base64url character, -1 for others. */
static int b64_value(char c)
{
	if (sensitive__is_upper(c))
		return c - 'A';
	if ((unsigned)(c - 'a') < 26)
		return c - 'a' + 26;
	if (sensitive__is_digit(c))
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	return c == '/' || c == '_' ? 63 : -1;
}

int sensitive__b64_decode(uint8_t *out, size_t cap, size_t *outlen, const char *in, size_t n)
{
	uint32_t acc = 0;
	size_t i, o = 0, bits = 0;

	while (n > 0 && in[n - 1] == '=')
		n--;
	if (n % 4 == 1) {
		*outlen = 0;
		return AW_EMALFORMED;
	}
	for (i = 0; i < n; i++) {
		int v = b64_value(in[i]);

		if (v < 0) {
			*outlen = o;
			return AW_EMALFORMED;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == cap) {
				*outlen = o;
				return 1;
			}
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	*outlen = o;
	return 0;
}

static size_t json_ws(const char *j, size_t n, size_t i)
{
	while (i < n && (sensitive__cls_of(j[i]) & CLS_SPACE))
		i++;
	return i;
}

/* End of the string whose opening quote is at j[i - 1]: the offset of its closing quote, or n
 * when it does not close. Escapes are skipped, not decoded. */
static size_t json_string_end(const char *j, size_t n, size_t i)
{
	for (;;) {
		const char *q = i < n ? memchr(j + i, '"', n - i) : NULL;
		size_t k, bs = 0;

		if (!q)
			return n;
		k = (size_t)(q - j);
		while (k - bs > i && j[k - bs - 1] == '\\')
			bs++;
		if (!(bs & 1))
			return k;
		i = k + 1;
	}
}

/* Skips the value starting at j[i]; returns its end, or n when it does not end in the text. */
static size_t json_skip_value(const char *j, size_t n, size_t i, int *kind)
{
	size_t depth = 0;

	if (j[i] == '"') {
		*kind = SENSITIVE__JSON_STRING;
		i = json_string_end(j, n, i + 1);
		return i < n ? i + 1 : n;
	}
	if (j[i] != '{' && j[i] != '[') {
		*kind = sensitive__is_digit(j[i]) || j[i] == '-' ? SENSITIVE__JSON_NUMBER
								 : SENSITIVE__JSON_LITERAL;
		while (i < n && j[i] != ',' && j[i] != '}' && j[i] != ']' &&
		       !(sensitive__cls_of(j[i]) & CLS_SPACE))
			i++;
		return i;
	}
	*kind = j[i] == '{' ? SENSITIVE__JSON_OBJECT : SENSITIVE__JSON_ARRAY;
	for (; i < n; i++) {
		if (j[i] == '"') {
			i = json_string_end(j, n, i + 1);
			if (i >= n)
				return n;
		} else if (j[i] == '{' || j[i] == '[') {
			depth++;
		} else if (j[i] == '}' || j[i] == ']') {
			if (--depth == 0)
				return i + 1;
		}
	}
	return n;
}

int sensitive__json_member(const char *j, size_t n, size_t *off, aw_slice_t *key, aw_slice_t *value,
			   int *kind)
{
	size_t i = json_ws(j, n, *off), k, v;

	if (*off == 0) {
		if (i >= n || j[i] != '{')
			return AW_EMALFORMED;
		i = json_ws(j, n, i + 1);
		if (i < n && j[i] == '}') {
			*off = i + 1;
			return 0;
		}
	} else if (i < n && j[i] == '}') {
		return 0;
	} else if (i < n && j[i] == ',') {
		i = json_ws(j, n, i + 1);
	} else {
		return AW_EMALFORMED;
	}
	if (i >= n || j[i] != '"')
		return AW_EMALFORMED;
	k = json_string_end(j, n, i + 1);
	if (k >= n)
		return AW_EMALFORMED;
	key->ptr = j + i + 1;
	key->len = k - i - 1;
	i = json_ws(j, n, k + 1);
	if (i >= n || j[i] != ':')
		return AW_EMALFORMED;
	i = json_ws(j, n, i + 1);
	if (i >= n)
		return AW_EMALFORMED;
	v = json_skip_value(j, n, i, kind);
	if (v >= n && (*kind == SENSITIVE__JSON_STRING || *kind == SENSITIVE__JSON_OBJECT ||
		       *kind == SENSITIVE__JSON_ARRAY))
		return AW_EMALFORMED;
	if (v == i)
		return AW_EMALFORMED;
	if (*kind == SENSITIVE__JSON_STRING) {
		value->ptr = j + i + 1;
		value->len = v - i - 2;
	} else {
		value->ptr = j + i;
		value->len = v - i;
	}
	*off = v;
	return 1;
}

int sensitive__jwt_split(const char *s, size_t n, aw_slice_t part[3])
{
	size_t i = 0, k;

	for (k = 0; k < 3; k++) {
		size_t start = i;

		while (i < n && (sensitive__cls_of(s[i]) & CLS_B64URL))
			i++;
		part[k].ptr = s + start;
		part[k].len = i - start;
		if (part[k].len % 4 == 1)
			return 0;
		if (k < 2) {
			if (i >= n || s[i] != '.' || part[k].len < 2)
				return 0;
			i++;
		}
	}
	return i == n && part[0].len >= 16;
}

int sensitive__jwt_header(const char *b64, size_t n, char *alg, size_t alg_cap)
{
	uint8_t buf[384];
	size_t len, off = 0;
	aw_slice_t key, val;
	int kind, rc, cut, members = 0;

	if (alg_cap)
		alg[0] = '\0';
	cut = sensitive__b64_decode(buf, sizeof(buf), &len, b64, n);
	if (cut < 0)
		return 0;
	while ((rc = sensitive__json_member((const char *)buf, len, &off, &key, &val, &kind)) > 0) {
		members++;
		if (key.len == 3 && memcmp(key.ptr, "alg", 3) == 0 &&
		    kind == SENSITIVE__JSON_STRING) {
			if (alg_cap) {
				size_t m = val.len < alg_cap - 1 ? val.len : alg_cap - 1;

				memcpy(alg, val.ptr, m);
				alg[m] = '\0';
			}
			return 1;
		}
	}
	/* A header cut by the decode buffer is still an object if it started as one. */
	if (rc == 0 || (members > 0 && cut == 1))
		return 2;
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Plain text */

/* Restores the path and context of the whole text (end of a "name: value" scope). */
static void text_scope_end(sensitive_scan_t *s)
{
	s->path_len = s->base_len;
	s->cut = s->base_cut;
	s->key = s->base_key;
}

/* Plain text: a key name at p[i..e) followed by ':' or '=' (or "<name>" in XML) starts a
 * scope whose value gets the key's context; "://" and "::" are URLs and code, not keys.
 * Returns 1 when it did. */
static int text_key(sensitive_scan_t *s, const char *p, size_t n, size_t i, size_t e)
{
	size_t j = e, v;
	unsigned k;

	if (j < n && (p[j] == '"' || p[j] == '\''))
		j++;
	while (j < n && j - e < 4 && p[j] == ' ')
		j++;
	if (j >= n)
		return 0;
	if (p[j] == '>' && i > 0 && p[i - 1] == '<')
		v = j + 1;
	else if ((p[j] == ':' && !(j + 1 < n && (p[j + 1] == '/' || p[j + 1] == ':'))) ||
		 p[j] == '=')
		v = j + 1;
	else
		return 0;
	k = sensitive__key_class_cached(s, p + i, e - i);
	text_scope_end(s);
	path_append_key(s, p + i, e - i, k, 0);
	s->key = (uint16_t)sensitive__key_context(k, s->base_key);
	if (k & KEY_SECRET) {
		size_t a, b;

		while (v < n && p[v] == ' ')
			v++;
		if (v < n && (p[v] == '"' || p[v] == '\''))
			v++;
		for (a = v, b = v; b < n && p[b] != '"' && p[b] != '\'' && p[b] != '<' &&
				   !(sensitive__cls_of(p[b]) & CLS_TERM) && p[b] != '}';
		     b++)
			;
		if (sensitive__secret_value_present(p + a, b - a) &&
		    !(b - a == 4 && memcmp(p + a, "true", 4) == 0) &&
		    !(b - a == 5 && memcmp(p + a, "false", 5) == 0))
			sensitive__found(s, SENSITIVE_SECRET);
	}
	return 1;
}

/* A JWT at p[i], the start of a base64url run: three parts, the last possibly empty (alg
 * none), and no fourth (a JWE has five); the header must be JSON with "alg". Each part is read
 * once per run start, so long dotted runs cost linear time. Returns its end, or 0. */
static size_t check_jwt(const char *p, size_t n, size_t i)
{
	aw_slice_t part[3];
	size_t e = i + run_len(p, n, i, CLS_B64URL);
	int k;

	if (e - i < 16)
		return 0;
	for (k = 0; k < 2; k++) {
		if (e >= n || p[e] != '.')
			return 0;
		e++;
		e += run_len(p, n, e, CLS_B64URL);
	}
	if (e + 1 < n && p[e] == '.' && (sensitive__cls_of(p[e + 1]) & CLS_B64URL))
		return 0;
	if (!sensitive__jwt_split(p + i, e - i, part) ||
	    sensitive__jwt_header(part[0].ptr, part[0].len, NULL, 0) != 1)
		return 0;
	return e;
}

/* A token starting with a letter at p[i]; returns where to go on. */
static size_t scan_word(sensitive_scan_t *s, const char *p, size_t n, size_t i)
{
	size_t w = run_len(p, n, i, CLS_WORD), e, r;
	char c = p[i];

	/* Prefixed keys may carry '-' (Slack, Google): count a little past one. */
	if (sensitive__prefix_first(c) && (w >= 5 || run_max(p, n, i, CLS_B64URL, 5) == 5) &&
	    (r = sensitive__check_prefixes(s, p, n, i)) != 0)
		return r;
	if ((s->cfg.types & (1u << SENSITIVE_JWT)) && token_start(p, i, CLS_B64URL) &&
	    (r = check_jwt(p, n, i)) != 0) {
		sensitive__found(s, SENSITIVE_JWT);
		return r;
	}
	if ((w == 4 || (w >= 15 && w <= 34)) && sensitive__is_upper(c) &&
	    sensitive__is_upper(p[i + 1]) && sensitive__is_digit(p[i + 2]) &&
	    sensitive__is_digit(p[i + 3]) && (r = sensitive__check_iban(p, n, i)) != 0) {
		sensitive__found(s, SENSITIVE_IBAN);
		return r;
	}
	if (w == 17 && sensitive__vin_ok(p + i)) {
		sensitive__found(s, SENSITIVE_VIN);
		return i + w;
	}
	if (s->text_keys) {
		/* Keys may be dotted or dashed ("x-api-key"); longer ones are not keys. */
		e = i + w;
		while (e < n && e - i <= KEY_MAX_LEN &&
		       (sensitive__is_alnum(p[e]) || p[e] == '_' || p[e] == '-' || p[e] == '.'))
			e++;
		if (e - i <= KEY_MAX_LEN && text_key(s, p, n, i, e))
			return e;
	}
	return i + w;
}

/* A token starting with a digit at p[i]: a VIN, else a number. */
static size_t scan_digits(sensitive_scan_t *s, const char *p, size_t n, size_t i)
{
	size_t w = run_len(p, n, i, CLS_WORD), d = run_len(p, n, i, CLS_DIGIT);

	if (d < w) {
		/* Letters in the word: "2fa", a hex id, or a VIN of a North American make. */
		if (w == 17 && sensitive__vin_ok(p + i))
			sensitive__found(s, SENSITIVE_VIN);
		return i + w;
	}
	return sensitive__scan_number(s, p, n, i);
}

/* The word scanner over a value or a whole text; findings go to the current path. */
static void scan_text(sensitive_scan_t *s, const char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned k;
		char c;

		while (i < n && !(sensitive__cls_of(p[i]) & (CLS_WORD | CLS_TRIGGER | CLS_TERM)))
			i++;
		if (i >= n)
			break;
		c = p[i];
		k = sensitive__cls_of(c);
		if (k & CLS_DIGIT) {
			i = scan_digits(s, p, n, i);
		} else if (k & CLS_WORD) {
			i = scan_word(s, p, n, i);
		} else if (c == '@') {
			size_t e = sensitive__check_email(p, n, i);

			if (e)
				sensitive__found(s, SENSITIVE_EMAIL);
			i = e ? e : i + 1;
		} else if ((c == '+' || c == '(') && i + 1 < n &&
			   (sensitive__is_digit(p[i + 1]) || (c == '+' && p[i + 1] == '(')) &&
			   token_start(p, i, CLS_WORD)) {
			i = sensitive__scan_number(s, p, n, i);
		} else if (c == '-') {
			size_t e = sensitive__check_private_key(p, n, i);

			if (e)
				sensitive__found(s, SENSITIVE_PRIVATE_KEY);
			i = e ? e : i + 1;
		} else if (c == '\\') {
			/* JSON strings are scanned as sent: an escape separates tokens. */
			i += i + 5 < n && p[i + 1] == 'u' && is_hex(p[i + 2]) && is_hex(p[i + 3]) &&
					     is_hex(p[i + 4]) && is_hex(p[i + 5])
				     ? 6
				     : 2;
		} else {
			if ((k & CLS_TERM) && s->text_keys)
				text_scope_end(s);
			i++;
		}
	}
}

/* ------------------------------------------------------------------------------------------ */
/* JSON */

enum json_state {
	J_VALUE, /* a value is expected */
	J_ARRAY_FIRST, /* after '[': a value or ']' */
	J_KEY_FIRST, /* after '{': a key or '}' */
	J_KEY, /* after ',' in an object */
	J_COLON,
	J_AFTER /* after a value: ',' or a closing bracket */
};

/* A string value [a, b) under the current key. */
static void json_string_value(sensitive_scan_t *s, const char *p, size_t a, size_t b)
{
	size_t i;

	if ((s->key & KEY_SECRET) && sensitive__secret_value_present(p + a, b - a))
		sensitive__found(s, SENSITIVE_SECRET);
	if ((s->key & KEY_GCP_KEY_ID) && b - a == 40) {
		for (i = a; i < b && is_hex(p[i]); i++)
			;
		if (i == b)
			sensitive__found(s, SENSITIVE_GCP_SERVICE_ACCOUNT);
	}
	scan_text(s, p + a, b - a);
}

/* A key [a, b) of the object on top: sets the path and context of its value. */
static void json_key(sensitive_scan_t *s, const char *p, size_t a, size_t b)
{
	const sensitive_frame_t *f = &s->frame[s->depth - 1];
	unsigned k = sensitive__key_class_cached(s, p + a, b - a);

	s->path_len = f->path_len;
	s->cut = f->cut;
	if (k & KEY_DATA) {
		/* Data used as a key ({"ann@example.com": {...}}): found at the object. */
		s->key = 0;
		scan_text(s, p + a, b - a);
	}
	path_append_key(s, p + a, b - a, k, 0);
	s->key = (uint16_t)sensitive__key_context(k, f->key);
}

/* Enters an object or array; 0 when past the depth cap. */
static int json_push(sensitive_scan_t *s, int is_array)
{
	sensitive_frame_t *f;

	if (s->depth >= s->cfg.max_depth) {
		s->rep->flags |= SENSITIVE_F_DEPTH;
		return 0;
	}
	/* A password key names its string, not the elements of a list under it. */
	if (is_array)
		s->key &= (uint16_t) ~(KEY_SECRET | KEY_GCP_KEY_ID);
	f = &s->frame[s->depth++];
	f->path_len = s->path_len;
	f->cut = s->cut;
	f->key = s->key;
	f->is_array = (uint8_t)is_array;
	if (is_array)
		path_append(s, "[]", 2, 0);
	return 1;
}

/* Leaves a container: the path and context are those of its elements' parent again. */
static void json_pop(sensitive_scan_t *s)
{
	const sensitive_frame_t *f = &s->frame[--s->depth];

	s->path_len = f->path_len;
	s->cut = f->cut;
	if (s->depth > 0 && s->frame[s->depth - 1].is_array)
		s->key = s->frame[s->depth - 1].key;
}

/* A scalar or an opening bracket at p[i] in state J_VALUE / J_ARRAY_FIRST; returns the offset
 * after it, or 0 on a grammar error, n when the body ends inside it. */
static size_t json_value(sensitive_scan_t *s, const char *p, size_t n, size_t i,
			 enum json_state *st)
{
	char c = p[i];
	size_t e;

	if (c == '{' || c == '[') {
		if (!json_push(s, c == '['))
			return 0;
		*st = c == '[' ? J_ARRAY_FIRST : J_KEY_FIRST;
		return i + 1;
	}
	*st = J_AFTER;
	if (c == '"') {
		e = json_string_end(p, n, i + 1);
		json_string_value(s, p, i + 1, e);
		if (e >= n)
			s->rep->flags |= SENSITIVE_F_JSON_TRUNCATED;
		return e < n ? e + 1 : n;
	}
	e = i;
	while (e < n && (sensitive__is_alnum(p[e]) || p[e] == '-' || p[e] == '+' || p[e] == '.'))
		e++;
	if (e == i)
		return 0;
	if (sensitive__is_digit(c) || c == '-') {
		if (s->key & KEY_NUMERIC)
			scan_text(s, p + i, e - i);
		return e;
	}
	if ((e - i == 4 && (memcmp(p + i, "true", 4) == 0 || memcmp(p + i, "null", 4) == 0)) ||
	    (e - i == 5 && memcmp(p + i, "false", 5) == 0))
		return e;
	/* A literal cut by the end of the body. */
	if (e == n && e - i < 5 &&
	    (memcmp(p + i, "true", e - i) == 0 || memcmp(p + i, "null", e - i) == 0 ||
	     memcmp(p + i, "false", e - i) == 0))
		return n;
	return 0;
}

/* One structural step at p[i] (not whitespace); returns the offset after it, 0 on an error. */
static size_t json_step(sensitive_scan_t *s, const char *p, size_t n, size_t i, enum json_state *st)
{
	char c = p[i];
	size_t e;

	switch (*st) {
	case J_ARRAY_FIRST:
		if (c == ']') {
			json_pop(s);
			*st = J_AFTER;
			return i + 1;
		}
		/* fall through */
	case J_VALUE:
		return json_value(s, p, n, i, st);
	case J_KEY_FIRST:
		if (c == '}') {
			json_pop(s);
			*st = J_AFTER;
			return i + 1;
		}
		/* fall through */
	case J_KEY:
		if (c != '"')
			return 0;
		e = json_string_end(p, n, i + 1);
		json_key(s, p, i + 1, e);
		*st = J_COLON;
		return e < n ? e + 1 : n;
	case J_COLON:
		*st = J_VALUE;
		return c == ':' ? i + 1 : 0;
	case J_AFTER:
		if (s->depth == 0) {
			/* Another top-level value: JSON lines, or concatenated documents. */
			*st = J_VALUE;
			return json_value(s, p, n, i, st);
		}
		if (c == ',') {
			*st = s->frame[s->depth - 1].is_array ? J_VALUE : J_KEY;
			return i + 1;
		}
		if (c == (s->frame[s->depth - 1].is_array ? ']' : '}')) {
			json_pop(s);
			return i + 1;
		}
		return 0;
	}
	return 0;
}

static void scan_json(sensitive_scan_t *s, const char *p, size_t n)
{
	enum json_state st = J_VALUE;
	size_t i = 0, e;

	for (;;) {
		while (i < n && (sensitive__cls_of(p[i]) & CLS_SPACE))
			i++;
		if (i >= n)
			break;
		e = json_step(s, p, n, i, &st);
		if (e == 0) {
			/* Not JSON (any more): what is left is text, outside any key. */
			if (!(s->rep->flags & SENSITIVE_F_DEPTH))
				s->rep->flags |= SENSITIVE_F_JSON_INVALID;
			s->path_len = s->base_len = 0;
			s->cut = s->base_cut = 0;
			s->key = s->base_key = 0;
			s->text_keys = 1;
			scan_text(s, p + i, n - i);
			return;
		}
		i = e;
	}
	if (s->depth > 0)
		s->rep->flags |= SENSITIVE_F_JSON_TRUNCATED;
}

/* ------------------------------------------------------------------------------------------ */
/* Query strings and form bodies */

static int hex_val(char c)
{
	if (sensitive__is_digit(c))
		return c - '0';
	c = sensitive__to_lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent- and '+'-decodes in[0..n) into out (cap bytes); returns the length, or n + 1 when it
 * does not fit. */
static size_t query_decode(char *out, size_t cap, const char *in, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		char c = in[i];

		if (o == cap)
			return n + 1;
		if (c == '+') {
			c = ' ';
		} else if (c == '%' && i + 2 < n && hex_val(in[i + 1]) >= 0 &&
			   hex_val(in[i + 2]) >= 0) {
			c = (char)(hex_val(in[i + 1]) * 16 + hex_val(in[i + 2]));
			i += 2;
		}
		out[o++] = c;
	}
	return o;
}

static void scan_query(sensitive_scan_t *s, const char *p, size_t n)
{
	char name[KEY_MAX_LEN], value[2048];
	size_t i = 0;

	while (i < n) {
		const char *amp = memchr(p + i, '&', n - i);
		size_t e = amp ? (size_t)(amp - p) : n, eq, nl, vl;
		const char *v;
		unsigned k;

		for (eq = i; eq < e && p[eq] != '='; eq++)
			;
		nl = query_decode(name, sizeof(name), p + i, eq - i);
		s->path_len = 0;
		s->cut = 0;
		s->key = 0;
		if (nl > sizeof(name)) {
			k = KEY_DATA;
			scan_text(s, p + i, eq - i);
		} else {
			k = sensitive__key_class(name, nl);
			if (k & KEY_DATA)
				scan_text(s, name, nl);
		}
		path_append_key(s, name, nl, k, 0);
		s->key = (uint16_t)sensitive__key_context(k, 0);
		if (eq < e) {
			vl = query_decode(value, sizeof(value), p + eq + 1, e - eq - 1);
			v = value;
			if (vl > sizeof(value)) {
				/* Too long to decode here: scanned as sent. */
				v = p + eq + 1;
				vl = e - eq - 1;
			}
			if ((k & KEY_SECRET) && sensitive__secret_value_present(v, vl))
				sensitive__found(s, SENSITIVE_SECRET);
			scan_text(s, v, vl);
		}
		i = e + 1;
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Entry points */

static const char *const sensitive_names[SENSITIVE__COUNT] = {
	[SENSITIVE_EMAIL] = "email",
	[SENSITIVE_PHONE] = "phone",
	[SENSITIVE_CARD] = "card",
	[SENSITIVE_SSN] = "ssn",
	[SENSITIVE_IBAN] = "iban",
	[SENSITIVE_VIN] = "vin",
	[SENSITIVE_JWT] = "jwt",
	[SENSITIVE_PRIVATE_KEY] = "private_key",
	[SENSITIVE_AWS_KEY] = "aws_access_key",
	[SENSITIVE_GITHUB_TOKEN] = "github_token",
	[SENSITIVE_SLACK_TOKEN] = "slack_token",
	[SENSITIVE_STRIPE_KEY] = "stripe_key",
	[SENSITIVE_GOOGLE_API_KEY] = "google_api_key",
	[SENSITIVE_GCP_SERVICE_ACCOUNT] = "gcp_service_account",
	[SENSITIVE_SECRET] = "secret",
};

const char *sensitive_type_name(unsigned type)
{
	return type < SENSITIVE__COUNT ? sensitive_names[type] : "unknown";
}

void sensitive_config_default(sensitive_config_t *cfg)
{
	cfg->types = SENSITIVE_ALL;
	cfg->max_findings = SENSITIVE_MAX_FINDINGS;
	cfg->max_path = SENSITIVE_MAX_PATH;
	cfg->max_depth = SENSITIVE_MAX_DEPTH;
	cfg->max_scan = 1u << 20;
}

void sensitive_report_reset(sensitive_report_t *rep)
{
	rep->types = 0;
	rep->flags = 0;
	memset(rep->counts, 0, sizeof(rep->counts));
	rep->nfindings = 0;
	rep->findings_dropped = 0;
	rep->paths_cut = 0;
}

/* Sets up a scan with the caps clamped to the report's fixed sizes; returns the bytes to
 * scan. */
static size_t scan_init(sensitive_scan_t *s, const sensitive_config_t *cfg, sensitive_report_t *rep,
			enum sensitive_source src, size_t len)
{
	if (cfg)
		s->cfg = *cfg;
	else
		sensitive_config_default(&s->cfg);
	if (s->cfg.max_findings > SENSITIVE_MAX_FINDINGS)
		s->cfg.max_findings = SENSITIVE_MAX_FINDINGS;
	if (s->cfg.max_path > SENSITIVE_MAX_PATH)
		s->cfg.max_path = SENSITIVE_MAX_PATH;
	if (s->cfg.max_depth > SENSITIVE_MAX_DEPTH)
		s->cfg.max_depth = SENSITIVE_MAX_DEPTH;
	s->rep = rep;
	s->src = (uint8_t)src;
	s->text_keys = src == SENSITIVE_SRC_TEXT || src == SENSITIVE_SRC_HEADER;
	s->cut = s->base_cut = 0;
	s->key = s->base_key = 0;
	s->path_len = s->base_len = 0;
	s->depth = 0;
	s->cache_ready = 0;
	if (s->cfg.max_scan && len > s->cfg.max_scan) {
		rep->flags |= SENSITIVE_F_SCAN_CUT;
		return s->cfg.max_scan;
	}
	return len;
}

void sensitive_scan(const sensitive_config_t *cfg, sensitive_report_t *rep,
		    enum sensitive_source src, const char *data, size_t len)
{
	sensitive_scan_t s;

	if (!rep || !data || (unsigned)src >= SENSITIVE_SRC__COUNT)
		return;
	len = scan_init(&s, cfg, rep, src, len);
	if (src == SENSITIVE_SRC_JSON)
		scan_json(&s, data, len);
	else if (src == SENSITIVE_SRC_QUERY)
		scan_query(&s, data, len);
	else
		scan_text(&s, data, len);
}

void sensitive_scan_header(const sensitive_config_t *cfg, sensitive_report_t *rep, const char *name,
			   size_t name_len, const char *value, size_t value_len)
{
	sensitive_scan_t s;
	unsigned k;

	if (!rep || !value || (!name && name_len))
		return;
	value_len = scan_init(&s, cfg, rep, SENSITIVE_SRC_HEADER, value_len);
	k = name_len ? sensitive__key_class(name, name_len) : 0;
	if (name_len)
		path_append_key(&s, name, name_len, k, 1);
	s.base_len = s.path_len;
	s.base_cut = s.cut;
	s.key = s.base_key = (uint16_t)sensitive__key_context(k, 0);
	if ((k & KEY_SECRET) && sensitive__secret_value_present(value, value_len))
		sensitive__found(&s, SENSITIVE_SECRET);
	scan_text(&s, value, value_len);
}

/*
 * sensitive_validate.c - the checks behind the word scanner of sensitive.c, and the key-name
 * rules.
 *
 * Fed by the word scanner with the first byte of a token in borrowed bytes (p, n, i): says
 * whether a card, SSN, phone number, IBAN, VIN, e-mail address, private-key banner or prefixed
 * key (AWS, Google, GitHub, Slack, Stripe) starts there, and where it ends. A shape alone never
 * fires: cards need Luhn and an issuer range, SSNs the SSA area rules, IBANs mod-97, VINs the
 * check digit, international phone numbers an E.164 country code. Fed by the tokenizers with
 * key names: says what a key tells about its value (KEY_* in sensitive_private.h), through a
 * small cache in the scan state.
 *
 * Deliberately not here: walking the text, the key path and the report. Prefixed keys and
 * numbers are recorded through sensitive__found(); the other checks only answer, and the
 * key-name cache is the only scan state written here.
 */
#include <string.h>

#include "sensitive_private.h"

/* ------------------------------------------------------------------------------------------ */
/* Validators */

static int luhn_ok(const uint8_t *d, size_t n)
{
	unsigned sum = 0, i;

	for (i = 0; i < n; i++) {
		unsigned v = d[n - 1 - i];

		if (i & 1) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
	}
	return sum % 10 == 0;
}

/* Issuer ranges and lengths of the card networks (ISO/IEC 7812 IINs as published by them). */
static int card_issuer_ok(const uint8_t *d, size_t n)
{
	unsigned p2 = d[0] * 10u + d[1], p3 = p2 * 10u + d[2], p4 = p3 * 10u + d[3];

	if (d[0] == 4)
		return n == 13 || n == 16 || n == 19; /* Visa */
	if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720))
		return n == 16; /* Mastercard */
	if (p2 == 34 || p2 == 37)
		return n == 15; /* American Express */
	if (p4 == 6011 || (p3 >= 644 && p3 <= 649) || p2 == 65)
		return n >= 16; /* Discover */
	if (p4 >= 3528 && p4 <= 3589)
		return n >= 16; /* JCB */
	if ((p3 >= 300 && p3 <= 305) || p4 == 3095 || p2 == 36 || p2 == 38 || p2 == 39)
		return n >= 14; /* Diners Club */
	if (p2 == 62)
		return n >= 16; /* UnionPay */
	return 0;
}

/* SSA rules: no area 000, 666 or 9xx, no group 00, no serial 0000; and the numbers that were
 * published as examples and never issued. */
static int ssn_ok(const uint8_t *d)
{
	unsigned area = d[0] * 100u + d[1] * 10u + d[2], group = d[3] * 10u + d[4];
	unsigned serial = d[5] * 1000u + d[6] * 100u + d[7] * 10u + d[8];

	if (area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0)
		return 0;
	if ((area == 78 && group == 5 && serial == 1120) ||
	    (area == 219 && group == 9 && serial == 9999) ||
	    (area == 123 && group == 45 && serial == 6789))
		return 0;
	return 1;
}

/* IBAN length per country (ISO 13616 registry); 0 for countries not listed. */
static unsigned iban_length(char a, char b)
{
	static const char table[] = "AD24AE23AL28AT20AZ28BA20BE16BG22BH22BR29BY28CH21CR22CY28CZ24"
				    "DE22DK18DO28EE20EG29ES24FI18FO18FR27GB22GE22GI23GL18GR27GT28"
				    "HR21HU28IE22IL23IQ23IS26IT27JO30KW30KZ20LB28LC32LI21LT20LU20"
				    "LV21MC27MD24ME22MK19MR27MT31MU30NL18NO15PK24PL28PS29PT25QA29"
				    "RO24RS22SA24SC31SE24SI19SK24SM27ST25SV28TL23TN24TR26UA29VA22"
				    "VG24XK20";
	size_t i;

	for (i = 0; i + 4 <= sizeof(table) - 1; i += 4)
		if (table[i] == a && table[i + 1] == b)
			return (unsigned)(table[i + 2] - '0') * 10u +
			       (unsigned)(table[i + 3] - '0');
	return 0;
}

/* ISO 7064 mod 97-10 over the rearranged IBAN (country and check digits moved to the end,
 * letters as 10..35). */
static int iban_mod97_ok(const char *c, size_t n)
{
	unsigned r = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		char ch = c[(i + 4) % n];

		if (sensitive__is_digit(ch))
			r = (r * 10u + (unsigned)(ch - '0')) % 97u;
		else
			r = (r * 100u + (unsigned)(ch - 'A' + 10)) % 97u;
	}
	return r == 1;
}

/* An IBAN at p[i] (two letters, two digits already seen), contiguous or in groups of four
 * separated by single spaces; returns its end, or 0. */
size_t sensitive__check_iban(const char *p, size_t n, size_t i)
{
	char buf[34];
	unsigned want = iban_length(p[i], p[i + 1]), cnt = 0, chk;
	int grouped = -1;
	size_t j;

	if (!want)
		return 0;
	chk = (unsigned)(p[i + 2] - '0') * 10u + (unsigned)(p[i + 3] - '0');
	if (chk < 2 || chk > 98)
		return 0;
	for (j = i; j < n && cnt < want;) {
		char c = p[j];

		if (sensitive__is_upper(c) || sensitive__is_digit(c)) {
			if (cnt > 0 && cnt % 4 == 0 && p[j - 1] != ' ') {
				if (grouped == 1)
					return 0;
				grouped = 0;
			}
			buf[cnt++] = c;
			j++;
		} else if (c == ' ' && grouped != 0 && cnt > 0 && cnt % 4 == 0) {
			grouped = 1;
			j++;
		} else {
			break;
		}
	}
	if (cnt != want || (j < n && (sensitive__cls_of(p[j]) & CLS_WORD)))
		return 0;
	return iban_mod97_ok(buf, cnt) ? j : 0;
}

/* Value of a VIN character for the check digit (49 CFR 565 transliteration); -1 if the
 * character may not appear in a VIN. */
static int vin_value(char c)
{
	static const signed char letters[26] = {
		1, 2, 3, 4, 5, 6, 7, 8, -1, 1, 2, 3, 4, 5, -1, 7, -1, 9, 2, 3, 4, 5, 6, 7, 8, 9,
	};

	if (sensitive__is_digit(c))
		return c - '0';
	if (sensitive__is_upper(c))
		return letters[c - 'A'];
	return -1;
}

/* A 17-character VIN: no I, O or Q; a letter in the manufacturer code; a model-year code at
 * position 10; a numeric serial end (positions 14-17); and the check digit at position 9. */
int sensitive__vin_ok(const char *v)
{
	static const uint8_t weight[17] = {8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2};
	unsigned sum = 0, i, r;

	if (!sensitive__is_upper(v[0]) && !sensitive__is_upper(v[1]) && !sensitive__is_upper(v[2]))
		return 0;
	if (v[9] == 'U' || v[9] == 'Z' || v[9] == '0')
		return 0;
	for (i = 13; i < 17; i++)
		if (!sensitive__is_digit(v[i]))
			return 0;
	for (i = 0; i < 17; i++) {
		int val = vin_value(v[i]);

		if (val < 0)
			return 0;
		sum += (unsigned)val * weight[i];
	}
	r = sum % 11;
	return v[8] == (r == 10 ? 'X' : (char)('0' + r));
}

/* The domain of an e-mail address at p[i]: two or more labels, an alphabetic top-level label
 * that is not a file extension ("logo@2x.png"). Returns its end, or 0. */
static size_t check_email_domain(const char *p, size_t n, size_t i)
{
	static const char *const not_tld[] = {"png",  "jpg", "jpeg", "gif", "svg",
					      "webp", "ico", "css",  "js"};
	size_t j = i, label = 0, labels = 0, end = 0, tld = 0, k;
	int alpha = 1;

	while (j < n && j - i < 253) {
		char c = p[j];

		if (sensitive__is_alnum(c) || (c == '-' && label > 0)) {
			alpha &= !sensitive__is_digit(c) && c != '-';
			label++;
			j++;
			continue;
		}
		if (label == 0 || p[j - 1] == '-' || label > 63)
			break;
		labels++;
		end = j;
		tld = alpha ? label : 0;
		if (c != '.' || j + 1 >= n || !sensitive__is_alnum(p[j + 1]))
			break;
		label = 0;
		alpha = 1;
		j++;
	}
	if (j == n && label > 0 && p[j - 1] != '-' && label <= 63) {
		labels++;
		end = j;
		tld = alpha ? label : 0;
	}
	if (labels < 2 || tld < 2 || tld > 24)
		return 0;
	for (k = 0; k < sizeof(not_tld) / sizeof(not_tld[0]); k++) {
		size_t m = strlen(not_tld[k]);
		size_t t;

		if (m != tld)
			continue;
		for (t = 0; t < m && sensitive__to_lower(p[end - m + t]) == not_tld[k][t]; t++)
			;
		if (t == m)
			return 0;
	}
	return end;
}

/* An e-mail address around the '@' at p[at]; returns the end of its domain, or 0. */
size_t sensitive__check_email(const char *p, size_t n, size_t at)
{
	size_t j = at;

	while (j > 0 && (sensitive__cls_of(p[j - 1]) & CLS_LOCAL) && at - j < 64)
		j--;
	if (j == at || (j > 0 && (sensitive__cls_of(p[j - 1]) & CLS_LOCAL)))
		return 0;
	if (p[j] == '.' || p[at - 1] == '.' || at + 1 >= n)
		return 0;
	return check_email_domain(p, n, at + 1);
}

/* "-----BEGIN [words ]PRIVATE KEY-----" or "... PRIVATE KEY BLOCK-----" (PGP) at p[i]; returns
 * the end of the banner, or 0. */
size_t sensitive__check_private_key(const char *p, size_t n, size_t i)
{
	size_t j, lim;

	if (n - i < 27 || memcmp(p + i, "-----BEGIN ", 11) != 0)
		return 0;
	lim = n - i > 64 ? i + 64 : n;
	for (j = i + 11; j + 5 <= lim; j++) {
		if (p[j] == '-') {
			if (memcmp(p + j, "-----", 5) != 0)
				return 0;
			if ((j - i >= 22 && memcmp(p + j - 11, "PRIVATE KEY", 11) == 0) ||
			    (j - i >= 28 && memcmp(p + j - 17, "PRIVATE KEY BLOCK", 17) == 0))
				return j + 5;
			return 0;
		}
		if (!sensitive__is_upper(p[j]) && !sensitive__is_digit(p[j]) && p[j] != ' ')
			return 0;
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Tokens with a well-known prefix: one line per kind of key. sensitive__prefix_first() in
 * sensitive_private.h lists their first bytes: a new first byte goes there too. */

#define SET_UPPER_DIGIT 1 /* [A-Z0-9] */
#define SET_ALNUM 2 /* [A-Za-z0-9] */
#define SET_WORD 3 /* [A-Za-z0-9_] */
#define SET_B64URL 4 /* [A-Za-z0-9_-] */

typedef struct sensitive_prefix {
	uint8_t type; /* enum sensitive_type */
	uint8_t set; /* SET_*: the characters after the prefix */
	uint8_t len; /* of the prefix */
	uint16_t min, max; /* length after the prefix */
	const char *prefix;
} sensitive_prefix_t;

/* A table row; the prefix must be a string literal. */
#define PREFIX(t, p, s, lo, hi)                                                            \
	{                                                                                  \
		.type = (t), .prefix = (p), .len = sizeof(p) - 1, .set = (s), .min = (lo), \
		.max = (hi)                                                                \
	}

static const sensitive_prefix_t sensitive_prefixes[] = {
	PREFIX(SENSITIVE_AWS_KEY, "AKIA", SET_UPPER_DIGIT, 16, 16),
	PREFIX(SENSITIVE_AWS_KEY, "ASIA", SET_UPPER_DIGIT, 16, 16),
	PREFIX(SENSITIVE_GOOGLE_API_KEY, "AIza", SET_B64URL, 35, 35),
	PREFIX(SENSITIVE_GITHUB_TOKEN, "ghp_", SET_ALNUM, 36, 251),
	PREFIX(SENSITIVE_GITHUB_TOKEN, "gho_", SET_ALNUM, 36, 251),
	PREFIX(SENSITIVE_GITHUB_TOKEN, "ghu_", SET_ALNUM, 36, 251),
	PREFIX(SENSITIVE_GITHUB_TOKEN, "ghs_", SET_ALNUM, 36, 251),
	PREFIX(SENSITIVE_GITHUB_TOKEN, "ghr_", SET_ALNUM, 36, 251),
	PREFIX(SENSITIVE_GITHUB_TOKEN, "github_pat_", SET_WORD, 40, 244),
	PREFIX(SENSITIVE_SLACK_TOKEN, "xoxb-", SET_B64URL, 20, 250),
	PREFIX(SENSITIVE_SLACK_TOKEN, "xoxp-", SET_B64URL, 20, 250),
	PREFIX(SENSITIVE_SLACK_TOKEN, "xoxa-", SET_B64URL, 20, 250),
	PREFIX(SENSITIVE_SLACK_TOKEN, "xoxr-", SET_B64URL, 20, 250),
	PREFIX(SENSITIVE_STRIPE_KEY, "sk_live_", SET_ALNUM, 16, 247),
	PREFIX(SENSITIVE_STRIPE_KEY, "rk_live_", SET_ALNUM, 16, 247),
	PREFIX(SENSITIVE_STRIPE_KEY, "pk_live_", SET_ALNUM, 16, 247),
};

#undef PREFIX

static int in_set(unsigned set, char c)
{
	unsigned k = sensitive__cls_of(c);

	switch (set) {
	case SET_UPPER_DIGIT:
		return (k & (CLS_UPPER | CLS_DIGIT)) != 0;
	case SET_ALNUM:
		return (k & CLS_WORD) && c != '_';
	case SET_WORD:
		return (k & CLS_WORD) != 0;
	default:
		return (k & CLS_B64URL) != 0;
	}
}

/* Runs the prefix table on the token at p[i]; returns the end of a match, or 0. */
size_t sensitive__check_prefixes(sensitive_scan_t *s, const char *p, size_t n, size_t i)
{
	size_t k;

	for (k = 0; k < sizeof(sensitive_prefixes) / sizeof(sensitive_prefixes[0]); k++) {
		const sensitive_prefix_t *t = &sensitive_prefixes[k];
		size_t plen = t->len, j, body;

		if (t->prefix[0] != p[i] || n - i < plen + t->min ||
		    memcmp(p + i, t->prefix, plen) != 0)
			continue;
		for (j = i + plen; j < n && j - i - plen <= t->max && in_set(t->set, p[j]); j++)
			;
		body = j - i - plen;
		if (body < t->min || body > t->max ||
		    (j < n && (sensitive__cls_of(p[j]) & CLS_B64URL)))
			continue;
		sensitive__found(s, t->type);
		return j;
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Numbers: cards, SSNs, phones */

#define NUM_MAX_DIGITS 24
#define NUM_MAX_GROUPS 8

typedef struct sensitive_num {
	uint8_t d[NUM_MAX_DIGITS];
	uint8_t ndig, ngroups;
	uint8_t glen[NUM_MAX_GROUPS];
	char sep[NUM_MAX_GROUPS]; /* separator before each group; 0 before the first */
	uint8_t plus; /* a leading '+' */
	uint8_t paren; /* 1 + index of a group written in parentheses; 0 if none */
	size_t end; /* just past the token */
	size_t first_end; /* just past its first group: where to go on after a miss */
} sensitive_num_t;

/* Reads digit groups separated by single ' ', '-' or '.' (and one parenthesised group near
 * the start) from p[i]. Returns 0 when the token is not a candidate: too long, or glued to a
 * word. */
static int num_read(sensitive_num_t *m, const char *p, size_t n, size_t i)
{
	size_t j = i;
	char sep = 0;

	m->ndig = m->ngroups = m->plus = m->paren = 0;
	if (p[j] == '+') {
		m->plus = 1;
		j++;
	}
	for (;;) {
		size_t start;
		int paren = 0;

		if (m->ngroups == NUM_MAX_GROUPS)
			return 0;
		if (j < n && p[j] == '(' && m->ngroups <= 1 && !m->paren) {
			paren = 1;
			j++;
		}
		start = j;
		while (j < n && sensitive__is_digit(p[j])) {
			if (m->ndig == NUM_MAX_DIGITS)
				return 0;
			m->d[m->ndig++] = (uint8_t)(p[j] - '0');
			j++;
		}
		if (j == start || (paren && (j - start > 4 || j >= n || p[j] != ')')))
			return 0;
		m->glen[m->ngroups] = (uint8_t)(j - start);
		m->sep[m->ngroups] = sep;
		if (paren) {
			m->paren = (uint8_t)(m->ngroups + 1);
			j++;
		}
		if (m->ngroups++ == 0)
			m->first_end = j;
		m->end = j;
		sep = 0;
		if (paren && j < n && sensitive__is_digit(p[j]))
			continue;
		if (j + 1 < n && (p[j] == ' ' || p[j] == '-' || p[j] == '.') &&
		    (sensitive__is_digit(p[j + 1]) ||
		     (p[j + 1] == '(' && m->ngroups <= 1 && !m->paren))) {
			sep = p[j++];
			continue;
		}
		break;
	}
	return !(m->end < n && (sensitive__cls_of(p[m->end]) & CLS_WORD));
}

/* All separators between groups are c. */
static int num_seps_all(const sensitive_num_t *m, char c)
{
	unsigned g;

	for (g = 1; g < m->ngroups; g++)
		if (m->sep[g] != c)
			return 0;
	return 1;
}

/* How cards are printed: 4-4-4-4(-3), or 4-6-5 / 4-6-4 (American Express, Diners). */
static int card_grouping(const sensitive_num_t *m)
{
	unsigned g;

	if (m->ngroups == 3 && m->glen[0] == 4 && m->glen[1] == 6 &&
	    (m->glen[2] == 5 || m->glen[2] == 4))
		return 1;
	if (m->ngroups < 4)
		return 0;
	for (g = 0; g + 1 < m->ngroups; g++)
		if (m->glen[g] != 4)
			return 0;
	return m->glen[m->ngroups - 1] <= 4;
}

static int num_is_card(const sensitive_num_t *m, unsigned key)
{
	int formatted;

	if (m->plus || m->paren || m->ndig < 13 || m->ndig > 19)
		return 0;
	formatted = m->ngroups > 1 && (num_seps_all(m, ' ') || num_seps_all(m, '-')) &&
		    (card_grouping(m) || (key & KEY_CARD));
	if (!formatted && !(m->ngroups == 1 && (key & KEY_CARD)))
		return 0;
	return card_issuer_ok(m->d, m->ndig) && luhn_ok(m->d, m->ndig);
}

static int num_is_ssn(const sensitive_num_t *m, unsigned key)
{
	int dashed;

	if (m->plus || m->paren || m->ndig != 9)
		return 0;
	dashed = m->ngroups == 3 && m->glen[0] == 3 && m->glen[1] == 2 && m->glen[2] == 4;
	if (!(dashed && num_seps_all(m, '-')) &&
	    !((key & KEY_SSN) && (m->ngroups == 1 || (dashed && num_seps_all(m, ' ')))))
		return 0;
	return ssn_ok(m->d);
}

/* North American numbering plan, written (NXX) NXX-XXXX, NXX-NXX-XXXX, NXX.NXX.XXXX or
 * NXX NXX XXXX, optionally after a "1" trunk prefix. */
static int num_is_nanp(const sensitive_num_t *m)
{
	unsigned g = 0;
	const uint8_t *d = m->d;

	if (m->ngroups == 4 && m->glen[0] == 1 && d[0] == 1 && !m->paren) {
		g = 1;
		d++;
	} else if (m->ngroups != 3) {
		return 0;
	}
	if (m->glen[g] != 3 || m->glen[g + 1] != 3 || m->glen[g + 2] != 4)
		return 0;
	if (d[0] < 2 || (d[1] == 1 && d[2] == 1) || d[3] < 2)
		return 0;
	if (m->paren == g + 1)
		return (m->sep[g + 1] == 0 || m->sep[g + 1] == ' ') &&
		       (m->sep[g + 2] == '-' || m->sep[g + 2] == ' ' || m->sep[g + 2] == '.');
	if (m->paren)
		return 0;
	return m->sep[g + 1] == m->sep[g + 2] && (g == 0 || m->sep[1] == m->sep[2]);
}

/* A national number with a trunk prefix 0 (much of Europe, Africa and Asia), grouped the two
 * ways plans print them: pairs after a two-digit area code ("06 12 34 56 78", also with dots,
 * "02 123 45 67"), or a 3-5 digit area code and blocks of 3-8 ("020 7946 0958", "0151
 * 12345678", "(030) 1234567"). Other groupings are IP addresses, versions and dates. */
static int num_is_trunk(const sensitive_num_t *m)
{
	unsigned g, pairs = m->glen[0] == 2 && !m->paren;
	char sep = 0;

	if (m->plus || m->ngroups < 2 || m->ndig < 9 || m->ndig > 12 || m->d[0] != 0 ||
	    m->d[1] == 0 || m->paren > 1)
		return 0;
	if (pairs ? m->ngroups < 4 : m->glen[0] < 3 || m->glen[0] > 5)
		return 0;
	for (g = 1; g < m->ngroups; g++) {
		if (pairs ? m->glen[g] < 2 || m->glen[g] > 3 : m->glen[g] < 3 || m->glen[g] > 8)
			return 0;
		if (g == 1 && m->paren) {
			if (m->sep[1] != 0 && m->sep[1] != ' ')
				return 0;
			continue;
		}
		if (!sep)
			sep = m->sep[g];
		if (m->sep[g] != sep || (sep == '.' && !pairs))
			return 0;
	}
	return 1;
}

/* E.164 country codes (ITU-T assignments, spare codes left out): an international number
 * starts with one. */
static int e164_country_ok(const uint8_t *d, size_t n)
{
	static const char codes[] =
		"1 7 20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 "
		"58 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98 211 212 213 216 218 "
		"220 221 222 223 224 225 226 227 228 229 230 231 232 233 234 235 236 237 238 239 "
		"240 241 242 243 244 245 246 247 248 249 250 251 252 253 254 255 256 257 258 260 "
		"261 262 263 264 265 266 267 268 269 290 291 297 298 299 350 351 352 353 354 355 "
		"356 357 358 359 370 371 372 373 374 375 376 377 378 379 380 381 382 383 385 386 "
		"387 389 420 421 423 500 501 502 503 504 505 506 507 508 509 590 591 592 593 594 "
		"595 596 597 598 599 670 672 673 674 675 676 677 678 679 680 681 682 683 685 686 "
		"687 688 689 690 691 692 800 808 850 852 853 855 856 870 878 880 881 882 883 886 "
		"888 960 961 962 963 964 965 966 967 968 970 971 972 973 974 975 976 977 979 991 "
		"992 993 994 995 996 998 ";
	const char *c = codes;

	while (*c) {
		size_t k = 0;

		while (c[k] != ' ' && k < n && (uint8_t)(c[k] - '0') == d[k])
			k++;
		if (c[k] == ' ')
			return 1;
		while (*c != ' ')
			c++;
		c++;
	}
	return 0;
}

static int num_is_phone(const sensitive_num_t *m, unsigned key)
{
	if (m->plus && m->d[0] == 1) /* NANP: +1 NXX NXX XXXX */
		return m->ndig == 11 && m->d[1] >= 2 && m->d[4] >= 2;
	if (m->plus && m->d[0] == 7) /* Russia and Kazakhstan: +7 and ten digits */
		return m->ndig == 11;
	if (m->plus)
		return m->ndig >= 8 && m->ndig <= 15 && e164_country_ok(m->d, m->ndig);
	if (num_is_nanp(m) || num_is_trunk(m))
		return 1;
	return (key & KEY_PHONE) && m->ndig >= 7 && m->ndig <= 15;
}

/* A number token at p[i] (a digit, or '+' / '(' before one); returns where to go on. */
size_t sensitive__scan_number(sensitive_scan_t *s, const char *p, size_t n, size_t i)
{
	sensitive_num_t m;

	if (!num_read(&m, p, n, i)) {
		/* Skip the digits at hand; a later group may still start a token. */
		size_t j = i + 1;

		while (j < n && sensitive__is_digit(p[j]))
			j++;
		return j;
	}
	if (num_is_card(&m, s->key)) {
		sensitive__found(s, SENSITIVE_CARD);
		return m.end;
	}
	if (num_is_ssn(&m, s->key)) {
		sensitive__found(s, SENSITIVE_SSN);
		return m.end;
	}
	if (num_is_phone(&m, s->key)) {
		sensitive__found(s, SENSITIVE_PHONE);
		return m.end;
	}
	return m.first_end > i ? m.first_end : i + 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Key names */

#define KEY_MAX_WORDS 12

typedef struct key_words {
	char lw[KEY_MAX_LEN]; /* the key in lower case, letters and digits only */
	uint8_t start[KEY_MAX_WORDS + 1]; /* word boundaries in lw; start[nw] = length */
	unsigned nw;
} key_words_t;

/* The len bytes at b spell the NUL-terminated literal s (which is never read past its end). */
static inline int bytes_are(const char *b, size_t len, const char *s)
{
	return b[0] == s[0] && strncmp(b, s, len) == 0 && s[len] == '\0';
}

static int word_is(const key_words_t *w, unsigned k, const char *s)
{
	size_t len = (size_t)(w->start[k + 1] - w->start[k]);

	return bytes_are(w->lw + w->start[k], len, s);
}

/* Word k is one of the NULL-terminated list, also with a plural 's' when plural. */
static int word_in(const key_words_t *w, unsigned k, const char *const *list, int plural)
{
	size_t len = (size_t)(w->start[k + 1] - w->start[k]);
	const char *wp = w->lw + w->start[k];

	for (; *list; list++) {
		if (bytes_are(wp, len, *list) ||
		    (plural && len > 1 && wp[len - 1] == 's' && bytes_are(wp, len - 1, *list)))
			return 1;
	}
	return 0;
}

/* Splits a key into lower-case words at punctuation, case changes (camelCase, SSNNumber) and
 * letter/digit changes. Returns 0 when the key does not fit. */
static int key_split(key_words_t *w, const char *k, size_t n)
{
	size_t i, len = 0;
	int prev = 0; /* 1 lower, 2 upper, 3 digit of the previous byte; 0 after punctuation */

	w->nw = 0;
	for (i = 0; i < n; i++) {
		char c = k[i];
		int t = (unsigned)(c - 'a') < 26 ? 1
			: sensitive__is_upper(c) ? 2
			: sensitive__is_digit(c) ? 3
						 : 0;
		int brk;

		if (!t) {
			prev = 0;
			continue;
		}
		brk = prev == 0 || (t == 3) != (prev == 3) || (t == 2 && prev == 1) ||
		      (t == 2 && prev == 2 && i + 1 < n && (unsigned)(k[i + 1] - 'a') < 26);
		if (brk) {
			if (w->nw == KEY_MAX_WORDS)
				return 0;
			w->start[w->nw++] = (uint8_t)len;
		}
		if (len == KEY_MAX_LEN)
			return 0;
		w->lw[len++] = sensitive__to_lower(c);
		prev = t;
	}
	w->start[w->nw] = (uint8_t)len;
	return 1;
}

/* The joined words from word k on equal s. */
static int tail_is(const key_words_t *w, unsigned k, const char *s)
{
	size_t len = (size_t)(w->start[w->nw] - w->start[k]);

	return bytes_are(w->lw + w->start[k], len, s);
}

static const char *const key_number_words[] = {"number", "num", "no", "nr", "e164", NULL};
static const char *const key_phone_words[] = {"phone",	"telephone", "tel", "mobile",
					      "msisdn", "cell",	     "fax", NULL};
static const char *const key_card_words[] = {"card", "cc", "pan", "creditcard", NULL};
static const char *const key_ssn_words[] = {"ssn", NULL};
/* Words that may follow a password word and still name the password itself. */
static const char *const key_password_tail[] = {"confirm", "confirmation", "again", "repeat",
						"hash",	   "digest",	   "plain", NULL};
/* Secret names, matched at the end of the key on a word boundary ("client_secret"). */
static const char *const key_secret_names[] = {
	"password", "passwd", "pwd",	    "passphrase",      "secret",
	"token",    "apikey", "privatekey", "secretaccesskey", NULL,
};
/* Words before "token" that make it a cursor, not a credential ("next_page_token"). */
static const char *const key_token_cursor[] = {"page",	 "next", "continuation", "sync",
					       "cursor", "max",	 "total",	 NULL};

/* Whether the key ends in a secret name (or a password word plus a tail word). */
static int key_secret(const key_words_t *w)
{
	const char *const *name;
	unsigned k;

	if (w->nw == 0)
		return 0;
	for (k = 0; k < w->nw; k++) {
		for (name = key_secret_names; *name; name++) {
			if (!tail_is(w, k, *name))
				continue;
			if (strcmp(*name, "token") == 0 && k > 0 &&
			    word_in(w, k - 1, key_token_cursor, 0))
				return 0;
			return 1;
		}
	}
	k = w->nw - 1;
	if (k > 0 && word_in(w, k, key_password_tail, 0) &&
	    (word_is(w, k - 1, "password") || word_is(w, k - 1, "passwd")))
		return 1;
	return 0;
}

/* KEY_PHONE/CARD/SSN when the key names such a number: the word is last, or followed only by
 * a number word ("phone_number", "cc_num"); the topic bits when the word occurs at all. */
static unsigned key_numeric(const key_words_t *w)
{
	static const struct {
		const char *const *words;
		unsigned bit;
	} kinds[] = {
		{key_phone_words, KEY_PHONE}, {key_card_words, KEY_CARD}, {key_ssn_words, KEY_SSN}};
	unsigned out = 0, t, k, last = w->nw - 1;

	for (t = 0; t < 3; t++) {
		for (k = 0; k < w->nw; k++) {
			if (!word_in(w, k, kinds[t].words, 1))
				continue;
			out |= kinds[t].bit << KEY_TOPIC_SHIFT;
			if (k == last || (k + 1 == last && word_in(w, last, key_number_words, 0)))
				out |= kinds[t].bit;
		}
	}
	if (w->nw >= 2 && tail_is(w, 0, "socialsecuritynumber"))
		out |= KEY_SSN | (KEY_SSN << KEY_TOPIC_SHIFT);
	return out;
}

/* What a key name says about its value. */
unsigned sensitive__key_class(const char *k, size_t n)
{
	key_words_t w;
	unsigned out = 0, digits = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t c = (uint8_t)k[i];

		if (c == '@' || c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			return KEY_DATA;
		digits += sensitive__is_digit((char)c);
	}
	if (digits >= 4 || n > 48 || !key_split(&w, k, n))
		return KEY_DATA;
	if (w.nw == 0)
		return 0;
	if (key_secret(&w))
		out |= KEY_SECRET;
	out |= key_numeric(&w);
	if (w.nw == 1 && word_in(&w, 0, key_number_words, 0))
		out |= KEY_NUMBER;
	if (tail_is(&w, 0, "privatekeyid"))
		out |= KEY_GCP_KEY_ID;
	return out;
}

/* sensitive__key_class() through the scan's cache. */
unsigned sensitive__key_class_cached(sensitive_scan_t *s, const char *k, size_t n)
{
	key_cache_slot_t *set, *slot;
	uint32_t h = 2166136261u;
	size_t i;

	if (n == 0 || n > KEY_CACHE_LEN)
		return sensitive__key_class(k, n);
	if (!s->cache_ready) {
		/* Cleared on first use: most header and query scans never need it. */
		for (i = 0; i < KEY_CACHE_SLOTS; i++) {
			s->key_cache[i].len = 0xff;
			s->key_cache[i].pad = 0;
		}
		s->cache_ready = 1;
	}
	for (i = 0; i < n; i++)
		h = (h ^ (uint8_t)k[i]) * 16777619u;
	set = &s->key_cache[((h ^ (h >> 15)) % KEY_CACHE_SETS) * KEY_CACHE_WAYS];
	for (i = 0; i < KEY_CACHE_WAYS; i++)
		if (set[i].len == n && memcmp(set[i].name, k, n) == 0)
			return set[i].key;
	/* pad holds the way to replace next. */
	slot = &set[set[0].pad];
	set[0].pad ^= 1;
	slot->key = (uint16_t)sensitive__key_class(k, n);
	slot->len = (uint8_t)n;
	memcpy(slot->name, k, n);
	return slot->key;
}

/* The context of a value under key class k inside a container whose key class is parent. */
unsigned sensitive__key_context(unsigned k, unsigned parent)
{
	if (k & KEY_NUMBER)
		k |= (parent & KEY_TOPICS) >> KEY_TOPIC_SHIFT;
	return k;
}

/* A secret value is present: not empty, not a mask ("****"), not a JSON-ish nothing. */
int sensitive__secret_value_present(const char *v, size_t n)
{
	size_t i;

	if (n == 0 || (n == 4 && memcmp(v, "null", 4) == 0))
		return 0;
	for (i = 0; i < n && (v[i] == '*' || v[i] == ' '); i++)
		;
	return i < n;
}

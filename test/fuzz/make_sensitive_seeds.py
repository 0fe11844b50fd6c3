#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_sensitive (test/fuzz/corpus/sensitive/).

Each seed is a control byte followed by a payload, in the format documented at the top of
fuzz_sensitive.c: bits 0-1 of the control byte pick how the payload is scanned (0 JSON body,
1 text, 2 query string, 3 header value), bit 2 the tiny caps; the payload is then read again
as a request, one "Name: value" header, "?query" or "@client-address" a line. The seeds cover
what a fuzzer finds slowly: valid instances of every validator (Luhn and issuer ranges, IBAN
mod-97, VIN check digits, SSN rules, JWT headers), nested JSON with key paths, truncated and
invalid JSON, deep nesting, query strings with percent-encoding, requests with each kind of
credential, forwarding headers and IPv6 addresses, and long runs with a token start every few
bytes (the shape that makes a careless scanner quadratic).

Usage: make_sensitive_seeds.py [OUTDIR]
"""
import base64
import json
import os
import sys

JSON, TEXT, QUERY, HEADER = 0, 1, 2, 3
TINY = 4


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=")


def jwt(header, payload, sig=b"c2lnbmF0dXJl"):
    return b64url(json.dumps(header).encode()) + b"." + b64url(json.dumps(payload).encode()) + \
        b"." + sig


TOKEN = jwt({"alg": "RS256", "typ": "JWT"},
            {"iss": "https://id.example", "sub": "user-17", "scope": "read", "iat": 1700000000})
UNSIGNED = jwt({"alg": "none"}, {"sub": "admin"}, b"")

PII = {
    "user": {
        "email": "ann.lee@example.com",
        "phone": "+1 (415) 555-2671",
        "ssn": "536-22-1234",
        "cards": [{"number": "4111 1111 1111 1111", "exp": "12/30"},
                  {"number": "378282246310005"}],
        "iban": "GB82 WEST 1234 5698 7654 32",
        "vehicle": {"vin": "1M8GDM9AXKP042788"},
        "password": "hunter2",
        "id": 4222222222222,
        "created": 1699999999,
    },
    "ann@example.com": {"mobile": "020 7946 0958"},
    "next_page_token": "abc",
}

SECRETS = (b"aws AKIAIOSFODNN7EXAMPLE gh ghp_16C7e42F292c6912E7710c838347Ae178B4a "
           b"slack xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx "
           b"stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc "
           b"google AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI\n"
           b"-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n")


def seeds():
    s = {}
    s["json_pii"] = bytes([JSON]) + json.dumps(PII).encode()
    s["json_pii_tiny"] = bytes([JSON | TINY]) + json.dumps(PII).encode()
    s["json_lines"] = bytes([JSON]) + b'{"email":"a@example.com"}\n[{"pan":6011111111111117}]\n' \
        b'"tail \\"quoted\\" b@example.org"\n'
    s["json_truncated"] = bytes([JSON]) + json.dumps(PII).encode()[:150]
    s["json_invalid"] = bytes([JSON]) + b'{"a": nope, "phone": "4155552671", password: "x", ' \
        b'"iban": "DE89370400440532013000"}'
    s["json_deep"] = bytes([JSON]) + b"[" * 40 + b'{"k":"1HGCM82633A004352"}' + b"]" * 40
    s["json_service_account"] = bytes([JSON]) + json.dumps({
        "type": "service_account", "private_key_id": "1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c",
        "private_key": "-----BEGIN PRIVATE KEY-----\nMIIEv\n-----END PRIVATE KEY-----\n",
        "client_email": "svc@proj.iam.gserviceaccount.com"}).encode()
    s["text_secrets"] = bytes([TEXT]) + SECRETS + b"token " + TOKEN + b". unsigned " + UNSIGNED
    s["text_lookalikes"] = bytes([TEXT]) + b"000-12-3456 4155552671 2023-10-05 192.168.100.200 " \
        b"1M8GDM9A1KP042788 DE89370400440532013001 AKIAIOSFODNN7EXAMPL logo@2x.png " \
        b"password=\n<password>s3</password> phone: 06 12 34 56 78\n"
    s["query"] = bytes([QUERY]) + b"user=ann&password=hunter2&email=ann%40example.com&pwd=" \
        b"&phone=%2B1%20415%20555%202671&card_number=4111111111111111&x=%zz%4&access_token=" + TOKEN
    s["header_cookie"] = bytes([HEADER]) + b"sid=1; token=abc; theme=dark"
    s["request_jwt"] = bytes([TEXT]) + b"Authorization: Bearer " + TOKEN + \
        b"\nCookie: theme=dark; JSESSIONID=ABC123\nX-Forwarded-For: 203.0.113.7, 10.9.9.9\n" \
        b"@10.1.2.3\n?page=2&api_key=k-1"
    s["request_basic"] = bytes([TEXT]) + b"Authorization: Basic " + \
        base64.b64encode(b"alice:s3cret") + b"\nX-API-Key: k-123\n" \
        b"Forwarded: for=192.0.2.60;proto=http, for=\"[2001:db8:cafe::17]:4711\"\n@192.168.0.1"
    s["request_v6"] = bytes([TEXT]) + b"Authorization: bearer " + UNSIGNED + \
        b"\nx-forwarded-for: unknown, 2001:db8::17\nCookie: _shop_session=xyz\n@fd12:3456::1\n" \
        b"?access_token=" + UNSIGNED
    s["request_malformed"] = bytes([TEXT]) + b"Authorization: Basic !!!\nAuthorization: Digest " \
        b"x\nAuthorization: Bearer eyJub3QganNvbg.eyJzdWIiOiJ4In0.\nCookie: ;=x; sid=\n" \
        b"X-Forwarded-For: ,,\n@::ffff:10.0.0.9\n?key=&token"
    s["hostile_runs"] = bytes([TEXT]) + b"a-" * 40 + b"xoxb-" * 20 + b"ab." * 30 + \
        b"aaaaaaaaaaaaaaaa." * 6 + b"1 " * 30 + b"12-" * 20 + b"GB82 " * 10 + b"a@b." * 20
    return s


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus", "sensitive")
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(seeds().items()):
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()

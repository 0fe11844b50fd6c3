#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_endpoint_schema (test/fuzz/corpus/endpoint_schema/).

Each seed is a control byte followed by a payload, in the format documented at the top of
fuzz_endpoint_schema.c: bit 0 of the control byte picks tiny caps, bit 1 a 4 KiB memory cap;
the payload is observed as one JSON document, then line by line ('?' lines are query strings).
The seeds cover what a fuzzer finds slowly: every string format, arrays of objects, maps keyed
by ids, nulls and mixed types, escapes and surrogate pairs in keys, deep nesting past the cap,
documents cut inside every kind of token, and query strings with percent-encoding and repeats.

Usage: make_endpoint_schema_seeds.py [OUTDIR]
"""
import json
import os
import sys

TINY, MEMCAP = 1, 2

RECORD = {
    "id": 17, "price": 12.5, "active": True, "deleted": None,
    "uuid": "550e8400-e29b-41d4-a716-446655440000", "email": "ann.lee@example.com",
    "created": "2024-01-02T03:04:05.123Z", "day": "2024-01-02", "site": "https://example.com/a",
    "ip": "10.1.2.3", "zip": "02139", "tags": ["a", "b"],
    "address": {"city": "Paris", "geo": {"lat": 48.85, "lon": 2.35}},
}


def lines(*docs):
    return "\n".join(d if isinstance(d, str) else json.dumps(d) for d in docs).encode()


SEEDS = {
    "record": (0, lines(RECORD)),
    "records_tiny": (TINY, lines({"data": [RECORD, dict(RECORD, id=None)]})),
    "map_by_id": (0, lines({"users": {"1": {"n": "a"}, "ann@example.com": {"n": "b"},
                                      "deadbeefcafe0001": {"n": "c"}}})),
    "mixed_types": (0, lines({"v": 1}, {"v": "s"}, {"v": None}, {"v": [1, "x", None]},
                             {"v": {"w": 2.5}}, "42", "\"2024-01-02\"", "[]")),
    "escapes": (0, b'{"caf\\u00e9": "\\u00e9", "\\ud83d\\ude00": 1, "\\ud800": 2, '
                   b'"a\\"b": "x", "\xff": "\xc0\xaf", "site": "http:\\/\\/x.io\\/"}'),
    "deep": (TINY, b'{"a":' * 40 + b'1' + b'}' * 40 + b'\n' + b'[' * 200 + b']' * 200),
    "truncated": (0, lines('{"a": [1, 2', '{"a": "x', '{"a": tr', '{"a": -1.', '{"a": 1e',
                           '{"a": {"b": "\\u12', '{"a"', '{')),
    "invalid": (0, lines('{"a": 1,}', '[1 2]', '{a: 1}', '<html>', '{"a": 01}', '} {',
                         '{"a": 1} x')),
    "query": (0, lines("?limit=10&offset=0&sort=name&tag=a&tag=b&ids%5B%5D=1&ids[]=2",
                       "?active=true&since=2024-01-02&at=2024-01-02T03%3A04%3A05Z&f+x=1.5",
                       "?id=550e8400-e29b-41d4-a716-446655440000&debug&=x&&%zz=%&12345=1")),
    "memcap": (MEMCAP, lines({"k%d" % i: i for i in range(300)})),
    "query_tiny": (TINY, lines("?" + "&".join("p%d=%d" % (i, i) for i in range(40)))),
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus", "endpoint_schema")
    os.makedirs(out, exist_ok=True)
    for name, (ctl, payload) in sorted(SEEDS.items()):
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(bytes([ctl]) + payload)


if __name__ == "__main__":
    main()

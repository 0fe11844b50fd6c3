#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_path_template (test/fuzz/corpus/path_template/).

Each seed is a configuration byte followed by records [host][method][length][path] in the
format documented at the top of fuzz_path_template.c. The seeds cover what a fuzzer finds
slowly: realistic API traffic with every lexical class, a username position that collapses
with its subtrees, soft and hard caps, paths past the segment cap, dot segments and duplicate
slashes, junk hosts and methods against the tree cap, control bytes, braces and UTF-8, long
segments, and repeated calls that exercise the stability check.

Usage: make_path_template_seeds.py [OUTDIR]
"""
import os
import random
import sys

TIGHT, QUICK, TWICE = 1, 2, 4
HOST_API, HOST_EMPTY, HOST_SHOP, HOST_LONG = 0, 1, 2, 7
GET, POST, DELETE, LOWER_GET, JUNK, LONG_METHOD = 0, 1, 2, 3, 4, 5


def rec(path, host=HOST_API, method=GET):
    if isinstance(path, str):
        path = path.encode()
    assert len(path) < 256
    return bytes([host, method, len(path)]) + path


def seed(config, records):
    return bytes([config]) + b"".join(records)


def uuid(rng):
    h = "%032x" % rng.getrandbits(128)
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def seeds():
    rng = random.Random(2024)
    names = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan",
             "judy", "mallory", "olivia", "peggy", "rupert", "sybil", "trent", "victor"]
    s = {}
    s["api_mix"] = seed(0, [
        rec("/api/v1/users/4711/orders/" + uuid(rng)),
        rec("/api/v1/users/me"),
        rec("/api/v1/addresses/507f1f77bcf86cd799439011"),
        rec("/api/v1/commits/da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        rec("/v2/invites/bob@example.com", HOST_SHOP),
        rec("/v2/reports/2024-01-31", HOST_SHOP),
        rec("/v2/audit/20240131", HOST_SHOP),
        rec("/v2/auth/verify/eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.", HOST_SHOP),
        rec("/hosts/10.0.0.1"),
        rec("/download/dGhpcyBpcyBhIHRva2VuIQ"),
        rec("/api/v1/sessions/login", method=POST),
        rec("/api/v1/users/4711", method=DELETE),
    ])
    s["lookalikes"] = seed(0, [rec("/api/%s/x" % w) for w in
                               ["v2", "oauth2", "html5", "2fa", "utf8", "sha256", "x86_64",
                                "iso-8859-1", "1.2.3", "v1.2.0-beta.1", "latest", "self"]])
    s["usernames_collapse"] = seed(QUICK | TWICE, [
        rec("/users/%s%s" % (rng.choice(names), "" if i % 3 else "/repos")) for i in range(40)
    ] + [rec("/users/me"), rec("/users/someone/repos")])
    s["usernames_default"] = seed(0, [
        rec("/users/%s_%s%s" % (rng.choice(names), rng.choice(names),
                                "/repos" if i % 2 else "")) for i in range(60)])
    s["soft_hard_cap"] = seed(QUICK, [rec("/tags/t%d/x" % i) for i in range(12)] +
                              [rec("/tags/t1/x"), rec("/tags/t2")])
    s["deep_truncated"] = seed(0, [
        rec("/" + "/".join("s%d" % i for i in range(40))),
        rec("/" + "/".join("s%d" % i for i in range(34)) + "/../../.."),
        rec("/a" * 33, method=POST),
    ])
    s["dots_slashes"] = seed(QUICK, [
        rec("//api///v1/users/me/"), rec("/api/./v1/x/../users/me"), rec("/../../etc/passwd"),
        rec(""), rec("/"), rec("///"), rec("*"), rec("no-leading-slash/x"), rec("/./."),
    ])
    s["tree_cap"] = seed(TIGHT, [rec("/x/%d" % i, host, method)
                                 for i, (host, method) in enumerate(
                                     (h, m) for h in range(8) for m in range(6))])
    s["odd_bytes"] = seed(0, [
        rec(b"/files/a\x01b"), rec(b"/files/{id}"), rec(b"/wiki/Stra\xc3\x9fe"),
        rec(b"/files/\x7f"), rec(b"/f/\xff\xfe/\x00"), rec(b"/files/%2e%2e"),
    ])
    s["long_segments"] = seed(QUICK | TIGHT, [
        rec("/files/" + "x" * 200), rec("/files/" + "y" * 13), rec("/files/" + "z" * 12),
        rec("/" + "w" * 250, HOST_LONG),
    ])
    s["scanner_tight"] = seed(TIGHT | QUICK | TWICE, [
        rec("/" + "/".join("".join(rng.choice("abcdefgh") for _ in range(rng.randint(1, 5)))
                           for _ in range(rng.randint(1, 6))), rng.randrange(8), rng.randrange(6))
        for _ in range(50)])
    return s


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus", "path_template")
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(seeds().items()):
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(data)
    print("wrote %d seeds to %s" % (len(seeds()), out))


if __name__ == "__main__":
    main()

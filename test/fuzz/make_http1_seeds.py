#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_http1 (test/fuzz/corpus/http1/).

Each seed is a configuration byte followed by records [op][length, 2 bytes little endian][bytes]
in the format documented at the top of fuzz_http1.c. The seeds cover what a fuzzer finds slowly:
pipelining, 100-continue, HEAD / 204 / 304, chunked bodies with extensions and trailers,
close-delimited bodies, HTTP/1.0, gzip and deflate bodies (zlib-wrapped and raw), WebSocket and
CONNECT tunnels, gaps in bodies and headers, responses without requests, lenient header forms
and malformed messages.

Usage: make_http1_seeds.py [OUTDIR]
"""
import os
import struct
import sys
import zlib

DATA, GAP, CLOSE, PACKET = 0, 1, 2, 3


def rec(direction, kind, payload=b"", length=None):
    if length is None:
        length = len(payload)
    return struct.pack("<BH", (kind << 1) | direction, length) + (payload if kind == DATA else b"")


def req(b):
    return rec(0, DATA, b)


def resp(b):
    return rec(1, DATA, b)


def chunked(body, size=7, ext=b""):
    out = b""
    for i in range(0, len(body), size):
        part = body[i:i + size]
        out += b"%x%s\r\n%s\r\n" % (len(part), ext, part)
    return out + b"0\r\nX-Trailer: done\r\n\r\n"


def gzip_bytes(data):
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    return c.compress(data) + c.flush()


def deflate_bytes(data, raw=False):
    c = zlib.compressobj(9, zlib.DEFLATED, -15 if raw else 15)
    return c.compress(data) + c.flush()


JSON = b'{"users":[{"id":1,"name":"ann"},{"id":2,"name":"bob"}],"total":2}'


def seeds():
    s = {}
    s["basic"] = b"\x00" + req(b"GET /api/users?page=2 HTTP/1.1\r\nHost: api.example:8080\r\n"
                               b"User-Agent: seed\r\nAuthorization: Bearer t0k3n\r\n\r\n") + \
        resp(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
             % len(JSON) + JSON) + rec(1, PACKET) + rec(0, PACKET)
    s["pipelined"] = b"\x01" + req(b"".join(b"GET /%d HTTP/1.1\r\nHost: h\r\n\r\n" % i
                                            for i in range(6))) + \
        resp(b"".join(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n%d" % i for i in range(6)))
    s["continue"] = b"\x00" + req(b"POST /up HTTP/1.1\r\nExpect: 100-continue\r\n"
                                  b"Content-Length: 4\r\n\r\n") + \
        resp(b"HTTP/1.1 100 Continue\r\n\r\n") + req(b"data") + \
        resp(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")
    s["head_204_304"] = b"\x00" + req(b"HEAD / HTTP/1.1\r\n\r\nGET /n HTTP/1.1\r\n\r\n"
                                      b"GET /m HTTP/1.1\r\nIf-None-Match: x\r\n\r\n") + \
        resp(b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"
             b"HTTP/1.1 304 Not Modified\r\n\r\n")
    s["chunked"] = b"\x02" + req(b"POST /ev HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" +
                                 chunked(JSON, 9, b";a=b")) + \
        resp(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(JSON))
    s["close_http10"] = b"\x00" + req(b"GET /old HTTP/1.0\r\n\r\n") + \
        resp(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end") + \
        rec(1, CLOSE) + rec(0, CLOSE) + rec(0, PACKET)
    gz = gzip_bytes(JSON * 20)
    s["gzip"] = b"\x02" + req(b"GET /gz HTTP/1.1\r\nAccept-Encoding: gzip\r\n\r\n") + \
        resp(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
             + chunked(gz, 100))
    for name, raw in (("deflate_zlib", False), ("deflate_raw", True)):
        body = deflate_bytes(JSON * 5, raw)
        s[name] = b"\x00" + req(b"GET /d HTTP/1.1\r\n\r\n") + \
            resp(b"HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: %d\r\n\r\n"
                 % len(body) + body)
    bomb = gzip_bytes(b"\x00" * 200000)
    s["bomb"] = b"\x02" + req(b"GET /b HTTP/1.1\r\n\r\n") + \
        resp(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n"
             % len(bomb) + bomb)
    s["websocket"] = b"\x00" + req(b"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n"
                                   b"Connection: Upgrade\r\n\r\n") + \
        resp(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
             b"Connection: Upgrade\r\n\r\n") + req(b"\x81\x82abcdxy") + resp(b"\x81\x02hi")
    s["connect_http"] = b"\x00" + req(b"CONNECT in:80 HTTP/1.1\r\n\r\nGE") + \
        resp(b"HTTP/1.1 200 OK\r\n\r\n") + req(b"T / HTTP/1.1\r\n\r\n") + \
        resp(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    s["connect_tls"] = b"\x01" + req(b"CONNECT x:443 HTTP/1.1\r\n\r\n\x16\x03\x01\x00\x05") + \
        resp(b"HTTP/1.1 200 OK\r\n\r\n")
    s["gaps"] = b"\x00" + req(b"GET /1 HTTP/1.1\r\nHost: a\r\n") + rec(0, GAP, length=30) + \
        req(b"lost\r\n\r\nGET /2 HTTP/1.1\r\n\r\n") + \
        resp(b"HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n0123") + rec(1, GAP, length=16) + \
        resp(b"0123456789abcdefghij") + rec(1, GAP, length=300) + \
        resp(b"junk\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    s["no_request"] = b"\x00" + resp(b"HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nnop") + \
        req(b"GET /late HTTP/1.1\r\n\r\n")
    s["lenient"] = b"\x01" + req(b"\r\n\r\nquery /x y HTTP/1.1\nHost:  h \nno colon\n"
                                 b" folded\nContent-Length: -2\nContent-Length: 7\n\nab") + \
        resp(b"HTTP/1.1 2XX odd\r\nTransfer-Encoding: gzip, chunked\r\n\r\nzz\r\n") + \
        resp(b"<html>")
    s["malformed"] = b"\x00" + req(b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                                   b"fffffffffffffffffff\r\n") + \
        req(b"\x00\x01\x02 binary") + resp(b"\xff\xfe")
    return s


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus", "http1")
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(seeds().items()):
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()

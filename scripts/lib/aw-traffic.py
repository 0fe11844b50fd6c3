#!/usr/bin/env python3
"""Small stdlib-only servers and clients used by scripts/make-test-pcaps for the traffic that
curl cannot produce. They are meant to run inside the network namespace that script creates and
talk only to the address given on the command line (127.0.0.1 or ::1 there).

    aw-traffic.py ws-server PORT               WebSocket echo server (RFC 6455 subset)
    aw-traffic.py ws-client HOST PORT          upgrade, exchange a few frames, close
    aw-traffic.py pipeline HOST PORT PATH...   send every GET in one write, read all replies
    aw-traffic.py rst HOST PORT PATH           GET, read the start of the reply, abort (RST)
    aw-traffic.py refused HOST PORT            connect to a port nobody listens on (SYN -> RST)
    aw-traffic.py http-server PORT DOCROOT     raw HTTP/1.x server with the odd behaviours below
    aw-traffic.py connect-proxy PORT           CONNECT proxy to loopback destinations only
    aw-traffic.py smuggle HOST PORT            ambiguous request framing, one connection each
    aw-traffic.py http09 HOST PORT             "GET /" without a version (HTTP/0.9)
    aw-traffic.py headers-file FILE N BYTES    write N-1 header lines for curl -H @FILE, the
                                               last a Cookie with a BYTES-byte value

http-server (127.0.0.1:PORT) parses requests itself, so it accepts what http.server refuses
(more than 100 header lines, header lines of tens of KB, no version at all):
    GET PATH?deflate=zlib|raw   file of DOCROOT, Content-Encoding: deflate whatever the request
                                asked for, zlib-wrapped (RFC 1950) or raw (RFC 1951)
    GET /                       (HTTP/0.9 request line) bare JSON body, then close
    GET /api/headers            200 JSON with the number of request header lines and their size
    POST /api/events            200 JSON with the body size; framing as RFC 9112 6.3: chunked
                                wins over Content-Length and the connection is closed after
                                answering; differing Content-Length values -> 400, close
    GET PATH                    file of DOCROOT (200) or 404
Connections are closed gracefully (half-close, then drain) so no reset is sent.

All payloads, WebSocket keys and masks are fixed, so every run sends the same bytes.
"""
import base64
import email.utils
import hashlib
import ipaddress
import json
import os
import select
import socket
import socketserver
import struct
import sys
import time
import zlib

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
WS_KEY = b"YXBpd2F0Y2gtdGVzdC1rZXk="  # base64("apiwatch-test-key")
WS_MASK = b"\x37\xfa\x21\x3d"
TIMEOUT = 5.0


def recv_until(sock, marker):
    data = b""
    while marker not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("short read")
        data += chunk
    return data


def ws_frame(opcode, payload, mask=None):
    head = bytes([0x80 | opcode])
    mbit = 0x80 if mask else 0
    n = len(payload)
    if n < 126:
        head += bytes([mbit | n])
    elif n < 65536:
        head += bytes([mbit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([mbit | 127]) + struct.pack("!Q", n)
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        head += mask
    return head + payload


def ws_read(sock):
    b0, b1 = recv_exact(sock, 2)
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack("!H", recv_exact(sock, 2))[0]
    elif n == 127:
        n = struct.unpack("!Q", recv_exact(sock, 8))[0]
    mask = recv_exact(sock, 4) if b1 & 0x80 else None
    payload = recv_exact(sock, n)
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return b0 & 0x0F, payload


class WsHandler(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        sock.settimeout(TIMEOUT)
        req = recv_until(sock, b"\r\n\r\n")
        key = None
        for line in req.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"sec-websocket-key":
                key = value.strip()
        if key is None or b"upgrade: websocket" not in req.lower():
            sock.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n"
                         b"Connection: close\r\n\r\n")
            return
        accept = base64.b64encode(hashlib.sha1(key + WS_GUID).digest())
        sock.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n")
        while True:
            opcode, payload = ws_read(sock)
            if opcode == 0x8:
                sock.sendall(ws_frame(0x8, payload[:2]))
                return
            if opcode == 0x9:
                sock.sendall(ws_frame(0xA, payload))
            elif opcode in (0x1, 0x2):
                sock.sendall(ws_frame(opcode, payload))


class ThreadedServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def ws_server(port):
    with ThreadedServer(("127.0.0.1", int(port)), WsHandler) as srv:
        srv.serve_forever()


def connect(host, port):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(fam, socket.SOCK_STREAM)
    sock.settimeout(TIMEOUT)
    sock.connect((host, int(port)))
    return sock


def hostport(host, port):
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def ws_client(host, port):
    sock = connect(host, port)
    sock.sendall(f"GET /ws/events HTTP/1.1\r\nHost: {hostport(host, port)}\r\n"
                 "User-Agent: apiwatch-test/1.0\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: ".encode() + WS_KEY + b"\r\nSec-WebSocket-Version: 13\r\n"
                 b"Origin: http://localhost\r\n\r\n")
    head = recv_until(sock, b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 101"):
        sys.exit(f"ws-client: upgrade refused: {head[:80]!r}")
    msgs = [(0x1, b'{"subscribe":"orders","since":1700000000}'),
            (0x9, b"ping-1"),
            (0x1, b'{"op":"ack","seq":1}'),
            (0x2, bytes(range(256)) * 2)]
    for opcode, payload in msgs:
        sock.sendall(ws_frame(opcode, payload, WS_MASK))
        ws_read(sock)
    sock.sendall(ws_frame(0x8, struct.pack("!H", 1000) + b"bye", WS_MASK))
    ws_read(sock)
    sock.close()


def pipeline(host, port, paths):
    sock = connect(host, port)
    reqs = b""
    for i, path in enumerate(paths):
        last = i == len(paths) - 1
        reqs += (f"GET {path} HTTP/1.1\r\nHost: {hostport(host, port)}\r\n"
                 "User-Agent: apiwatch-test/1.0\r\nAccept: application/json\r\n"
                 + ("Connection: close\r\n" if last else "") + "\r\n").encode()
    sock.sendall(reqs)  # one write: all requests leave in one segment
    while sock.recv(65536):
        pass
    sock.close()


def rst(host, port, path):
    sock = connect(host, port)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {hostport(host, port)}\r\n"
                 "User-Agent: apiwatch-test/1.0\r\nAccept: application/json\r\n\r\n".encode())
    sock.recv(1024)  # part of the reply only
    time.sleep(0.1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()  # unread data + linger 0: the kernel aborts with RST


def refused(host, port):
    try:
        connect(host, port).close()
    except ConnectionRefusedError:
        return
    sys.exit("refused: connection unexpectedly accepted")


# ---------------------------------------------------------------------------------------------
# raw HTTP/1.x server

SERVER = "apiwatch-test/1.0"
MAX_HEAD = 256 * 1024
MAX_BODY = 1024 * 1024
MAX_REQUESTS = 32  # per connection


class BadRequest(Exception):
    pass


class Conn:
    """Buffered reads on a socket, every one bounded by TIMEOUT and a size cap."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("peer closed")
        self.buf += chunk

    def until(self, marker, cap):
        while marker not in self.buf:
            if len(self.buf) > cap:
                raise BadRequest("head too large")
            self.fill()
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def exact(self, n):
        while len(self.buf) < n:
            self.fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def chunked(self):
        body = b""
        while True:
            line = self.until(b"\r\n", 1024)
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                raise BadRequest("bad chunk size") from None
            if size == 0:
                while self.until(b"\r\n", 8192) != b"\r\n":  # trailer fields
                    pass
                return body
            if len(body) + size > MAX_BODY:
                raise BadRequest("body too large")
            body += self.exact(size)
            if self.exact(2) != b"\r\n":
                raise BadRequest("chunk not followed by CRLF")


def deflate(data, raw):
    c = zlib.compressobj(9, zlib.DEFLATED, -15 if raw else 15)
    return c.compress(data) + c.flush()


def response(status, body, ctype="application/json", close=False, extra=()):
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}[status]
    head = [f"HTTP/1.1 {status} {reason}", f"Server: {SERVER}",
            "Date: " + email.utils.formatdate(usegmt=True), f"Content-Type: {ctype}"]
    head += list(extra)
    head.append(f"Content-Length: {len(body)}")
    if close:
        head.append("Connection: close")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def json_body(obj):
    return json.dumps(obj, separators=(",", ":")).encode() + b"\n"


class RawHttpHandler(socketserver.BaseRequestHandler):
    docroot = "."

    def handle(self):
        sock = self.request
        sock.settimeout(TIMEOUT)
        conn = Conn(sock)
        try:
            for _ in range(MAX_REQUESTS):
                if not self.one(conn):
                    break
        except BadRequest as e:
            sock.sendall(response(400, json_body({"error": str(e)}), close=True))
        except (ConnectionError, socket.timeout):
            return
        # Graceful close: FIN first, then read whatever the client still sends until its FIN,
        # so that unread data never turns the close into a reset.
        try:
            sock.shutdown(socket.SHUT_WR)
            deadline = time.monotonic() + TIMEOUT
            while time.monotonic() < deadline and sock.recv(65536):
                pass
        except OSError:
            pass

    def file(self, path):
        rel = os.path.normpath(path.lstrip("/"))
        if rel.startswith("..") or not rel.endswith(".json"):
            return None
        try:
            with open(os.path.join(self.docroot, rel), "rb") as f:
                return f.read()
        except OSError:
            return None

    def one(self, conn):
        """Read and answer one request; False when the connection is to be closed."""
        sock = self.request
        line = conn.until(b"\n", MAX_HEAD)
        words = line.split()
        if len(words) == 2 and words[0] == b"GET":  # HTTP/0.9: no version, no headers
            sock.sendall(json_body({"status": "ok", "protocol": "HTTP/0.9"}))
            return False
        if len(words) != 3 or not words[2].startswith(b"HTTP/1."):
            sock.sendall(response(400, json_body({"error": "bad request line"}), close=True))
            return False
        method, target, version = (w.decode("latin-1") for w in words)
        fields, head_bytes = [], len(line)
        while True:
            raw = conn.until(b"\n", MAX_HEAD).rstrip(b"\r\n")
            head_bytes += len(raw) + 2
            if head_bytes > MAX_HEAD:
                raise BadRequest("head too large")
            if not raw:
                break
            name, _, value = raw.partition(b":")
            fields.append((name.strip().lower().decode("latin-1"),
                           value.strip().decode("latin-1")))
        get = lambda n: [v for k, v in fields if k == n]  # noqa: E731
        te, cl = get("transfer-encoding"), get("content-length")
        close = any(v.lower() == "close" for v in get("connection")) or version == "HTTP/1.0"
        body = b""
        if te:
            if te[-1].lower().split(",")[-1].strip() != "chunked":
                sock.sendall(response(400, json_body({"error": "bad transfer-encoding"}),
                                      close=True))
                return False
            close = close or bool(cl)  # RFC 9112 6.1: close after Transfer-Encoding + CL
            body = conn.chunked()
        elif cl:
            if len(set(cl)) != 1 or not cl[0].isdigit() or int(cl[0]) > MAX_BODY:
                sock.sendall(response(400, json_body({"error": "bad content-length",
                                                      "content_length": cl}), close=True))
                return False
            body = conn.exact(int(cl[0]))
        path, _, query = target.partition("?")
        if method == "POST" and path == "/api/events":
            out = response(200, json_body({"accepted": len(body)}), close=close)
        elif method == "GET" and path == "/api/headers":
            out = response(200, json_body({"header_lines": len(fields),
                                           "header_bytes": head_bytes}), close=close)
        elif method == "GET" and self.file(path) is not None:
            data, extra = self.file(path), []
            if query in ("deflate=zlib", "deflate=raw"):
                data = deflate(data, query == "deflate=raw")
                extra = ["Content-Encoding: deflate", "Vary: Accept-Encoding"]
            out = response(200, data, close=close, extra=extra)
        else:
            out = response(404, json_body({"error": "not found", "path": path}), close=close)
        sock.sendall(out)
        return not close


def http_server(port, docroot):
    RawHttpHandler.docroot = docroot
    with ThreadedServer(("127.0.0.1", int(port)), RawHttpHandler) as srv:
        srv.serve_forever()


# ---------------------------------------------------------------------------------------------
# CONNECT proxy (loopback destinations only)

class ProxyHandler(socketserver.BaseRequestHandler):
    def handle(self):
        client = self.request
        client.settimeout(TIMEOUT)
        conn = Conn(client)
        try:
            head = conn.until(b"\r\n\r\n", 16384)
        except (ConnectionError, socket.timeout, BadRequest):
            return
        words = head.split(b"\r\n", 1)[0].split()
        dest = None
        if len(words) == 3 and words[0] == b"CONNECT":
            host, _, port = words[1].decode("latin-1").rpartition(":")
            try:
                addr = ipaddress.ip_address(host.strip("[]"))
                if addr.is_loopback and port.isdigit():
                    dest = (str(addr), int(port))
            except ValueError:
                pass
        if dest is None:
            client.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n"
                           b"Connection: close\r\n\r\n")
            return
        try:
            upstream = connect(*dest)
        except OSError:
            client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n"
                           b"Connection: close\r\n\r\n")
            return
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        if conn.buf:
            upstream.sendall(conn.buf)
        relay(client, upstream)
        upstream.close()


def relay(a, b):
    """Copy both ways until both sides have closed (half-closes passed on) or TIMEOUT idle."""
    peer = {a: b, b: a}
    open_ = [a, b]
    while open_:
        ready, _, _ = select.select(open_, [], [], TIMEOUT)
        if not ready:
            return
        for s in ready:
            try:
                data = s.recv(65536)
                if data:
                    peer[s].sendall(data)
            except OSError:
                return
            if not data:
                open_.remove(s)
                try:
                    peer[s].shutdown(socket.SHUT_WR)
                except OSError:
                    pass


def connect_proxy(port):
    with ThreadedServer(("127.0.0.1", int(port)), ProxyHandler) as srv:
        srv.serve_forever()


# ---------------------------------------------------------------------------------------------
# raw clients

def exchange(host, port, request):
    """Send one request, read the reply until the server closes, then close."""
    sock = connect(host, port)
    sock.sendall(request)
    reply = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        reply += chunk
    sock.close()
    return reply


def smuggle(host, port):
    hp = hostport(host, port).encode()
    common = (b"Host: " + hp + b"\r\nUser-Agent: apiwatch-test/1.0\r\n"
              b"Content-Type: application/json\r\n")
    # Transfer-Encoding and a Content-Length that disagrees with it: read by Content-Length,
    # the body would end after the chunk-size line and the rest look like a new request.
    event = b'{"event":"login","user":"u1"}'
    chunked = b"%x\r\n" % len(event) + event + b"\r\n0\r\n\r\n"
    te_cl = (b"POST /api/events HTTP/1.1\r\n" + common + b"Content-Length: 4\r\n"
             b"Transfer-Encoding: chunked\r\n\r\n" + chunked)
    # Two Content-Length fields with different values; the body matches the second one.
    event = b'{"event":"logout","user":"u1"}'
    cl_cl = (b"POST /api/events HTTP/1.1\r\n" + common + b"Content-Length: 5\r\n"
             b"Content-Length: %d\r\n\r\n" % len(event) + event)
    for req in (te_cl, cl_cl):
        status = exchange(host, port, req).split(b"\r\n", 1)[0]
        print("smuggle:", status.decode("latin-1"), file=sys.stderr)


def http09(host, port):
    reply = exchange(host, port, b"GET /\r\n")
    print(f"http09: {len(reply)}-byte reply {reply[:40]!r}", file=sys.stderr)


def headers_file(path, count, cookie_bytes):
    """count header lines for curl -H @path, the last a Cookie whose value is cookie_bytes long
    (curl adds Host, User-Agent and Accept of its own)."""
    count, cookie_bytes = int(count), int(cookie_bytes)
    lines = [f"X-Trace-{i:03d}: span={i:03d};sampled=1;tenant=acme;zone=eu-west-{i % 3 + 1}"
             for i in range(1, count)]  # count - 1 of them, then the Cookie
    # Many small cookies and one long session token, cookie_bytes in all.
    words = ["dark", "light", "compact", "wide", "en-GB", "de-DE", "utc", "local"]
    prefs = "; ".join(f"pref{i:02d}={words[i % len(words)]}" for i in range(40))
    token_len = cookie_bytes - len(prefs) - len("; session=")
    token = b""
    i = 0
    while len(token) < token_len:
        token += base64.urlsafe_b64encode(hashlib.sha256(b"%d" % i).digest()).rstrip(b"=")
        i += 1
    lines.append(f"Cookie: {prefs}; session={token[:token_len].decode()}")
    with open(path, "w", encoding="ascii") as f:
        f.write("\n".join(lines) + "\n")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    funcs = {"ws-server": (ws_server, 1), "ws-client": (ws_client, 2), "rst": (rst, 3),
             "refused": (refused, 2), "http-server": (http_server, 2),
             "connect-proxy": (connect_proxy, 1), "smuggle": (smuggle, 2), "http09": (http09, 2),
             "headers-file": (headers_file, 3)}
    if cmd == "pipeline" and len(args) >= 3:
        pipeline(args[0], args[1], args[2:])
    elif cmd in funcs and len(args) == funcs[cmd][1]:
        funcs[cmd][0](*args)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()

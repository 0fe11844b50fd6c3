#!/usr/bin/env python3
"""Small stdlib-only servers and clients used by scripts/make-test-pcaps for the traffic that
curl cannot produce. They are meant to run inside the network namespace that script creates and
talk only to the address given on the command line (127.0.0.1 or ::1 there).

    aw-traffic.py ws-server PORT               WebSocket echo server (RFC 6455 subset)
    aw-traffic.py ws-client HOST PORT          upgrade, exchange a few frames, close
    aw-traffic.py pipeline HOST PORT PATH...   send every GET in one write, read all replies
    aw-traffic.py rst HOST PORT PATH           GET, read the start of the reply, abort (RST)
    aw-traffic.py refused HOST PORT            connect to a port nobody listens on (SYN -> RST)

All payloads, WebSocket keys and masks are fixed, so every run sends the same bytes.
"""
import base64
import hashlib
import socket
import socketserver
import struct
import sys
import time

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


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    funcs = {"ws-server": (ws_server, 1), "ws-client": (ws_client, 2), "rst": (rst, 3),
             "refused": (refused, 2)}
    if cmd == "pipeline" and len(args) >= 3:
        pipeline(args[0], args[1], args[2:])
    elif cmd in funcs and len(args) == funcs[cmd][1]:
        funcs[cmd][0](*args)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()

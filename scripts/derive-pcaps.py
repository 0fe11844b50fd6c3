#!/usr/bin/python3
"""derive-pcaps.py: write link-layer, tunnel, reassembly and file-format variants of a real
capture from test/pcaps/, next to it, as <base>-<variant>.pcap (and .pcapng / .pcap.gz).

    /usr/bin/python3 scripts/derive-pcaps.py [--dir test/pcaps] [--base http-basic]
                                             [--only NAME]   (e.g. http-basic-vlan, http-midstream)

Only files are read and written; no packet is sent. The output is byte-for-byte deterministic
for a given input: original timestamps are kept, every added header and field is fixed. Tunnel
outer headers use documentation addresses (192.0.2.0/24, 198.51.100.0/24) and locally
administered MACs. Added or rebuilt headers get valid checksums; the inner packets are left as
captured (on loopback their TCP checksums hold only the partial pseudo-header sum).

The base must be an Ethernet (DLT_EN10MB) IPv4/TCP capture with at least one response of three
or more data segments; http-basic.pcap (one GET, a 4-segment body) is the default.

A few captures are derived from another recorded capture than the base (OTHERS below), e.g.
http-midstream.pcap from http-keepalive.pcap; they are written whenever their source exists.
"""
import argparse
import gzip
import os
import struct
import sys

from scapy.layers.inet import IP, TCP, UDP, fragment
from scapy.layers.l2 import Ether
from scapy.packet import Raw

LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LINUX_SLL = 113
LINKTYPE_LINUX_SLL2 = 276
SNAPLEN = 262144

MAC_A = bytes.fromhex("020000000001")  # locally administered, outer / link-layer addresses
MAC_B = bytes.fromhex("020000000002")


# ---------------------------------------------------------------------------------------------
# pcap / pcapng I/O (little-endian, microsecond pcap; pcapng with nanosecond resolution)

def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic == b"\xd4\xc3\xb2\xa1":
        endian, scale = "<", 1000
    elif magic == b"\xa1\xb2\xc3\xd4":
        endian, scale = ">", 1000
    elif magic == b"\x4d\x3c\xb2\xa1":
        endian, scale = "<", 1
    elif magic == b"\xa1\xb2\x3c\x4d":
        endian, scale = ">", 1
    else:
        sys.exit(f"{path}: not a pcap file")
    linktype = struct.unpack(endian + "I", data[20:24])[0] & 0x0FFFFFFF
    pkts, off = [], 24
    while off + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        pkts.append(((sec * 1000000000 + frac * scale), data[off:off + caplen]))
        off += caplen
    return linktype, pkts  # [(timestamp in ns, frame bytes)]


def pcap_bytes(linktype, pkts):
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, SNAPLEN, linktype)]
    for ts, frame in pkts:
        out.append(struct.pack("<IIII", ts // 1000000000, (ts % 1000000000) // 1000,
                               len(frame), len(frame)))
        out.append(frame)
    return b"".join(out)


def _pad4(b):
    return b + b"\0" * (-len(b) % 4)


def _opt(code, value):
    return struct.pack("<HH", code, len(value)) + _pad4(value)


def _block(btype, body):
    total = 12 + len(body)
    return struct.pack("<II", btype, total) + body + struct.pack("<I", total)


def pcapng_bytes(linktype, pkts, ifname):
    shb_opts = _opt(4, b"apiwatch derive-pcaps.py") + _opt(0, b"")
    shb = _block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + shb_opts)
    idb_opts = _opt(2, ifname.encode()) + _opt(9, bytes([9])) + _opt(0, b"")  # ts in ns
    idb = _block(0x00000001, struct.pack("<HHI", linktype, 0, SNAPLEN) + idb_opts)
    out = [shb, idb]
    for ts, frame in pkts:
        epb = struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(frame), len(frame))
        out.append(_block(0x00000006, epb + _pad4(frame)))
    return b"".join(out)


# ---------------------------------------------------------------------------------------------
# helpers on the base capture

class Base:
    def __init__(self, pkts):
        self.pkts = pkts
        self.client = None  # (ip, port) of the side that sent the first SYN
        for _, frame in pkts:
            p = Ether(frame)
            if TCP in p and p[TCP].flags.S and not p[TCP].flags.A:
                self.client = (p[IP].src, p[TCP].sport)
                break
        if IP not in Ether(pkts[0][1]):
            sys.exit("base capture must be Ethernet/IPv4")

    def from_client(self, frame):
        p = Ether(frame)
        return TCP in p and (p[IP].src, p[TCP].sport) == self.client

    def response_segments(self):
        """Indexes of the server's data segments, in file order."""
        out = []
        for i, (_, frame) in enumerate(self.pkts):
            p = Ether(frame)
            if TCP in p and len(p[TCP].payload) and not self.from_client(frame):
                out.append(i)
        if len(out) < 3:
            sys.exit("base capture needs a response of at least three data segments")
        return out


def ts_between(pkts, i):
    """A timestamp between packet i and i+1 (or just after i at the end)."""
    if i + 1 < len(pkts):
        return (pkts[i][0] + pkts[i + 1][0]) // 2
    return pkts[i][0] + 1000


def rebuild(frame, seq=None, payload=None):
    """The same Ethernet/IPv4/TCP packet with another seq and/or payload, valid checksums."""
    p = Ether(frame)
    tcp = p[TCP]
    if seq is not None:
        tcp.seq = seq
    if payload is not None:
        tcp.remove_payload()
        tcp.add_payload(Raw(payload))
    del p[IP].len
    del p[IP].chksum
    del tcp.chksum
    return bytes(p)


def ip_csum(hdr):
    s = sum(struct.unpack("!%dH" % (len(hdr) // 2), hdr))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def outer_ipv4(src, dst, proto, payload, ident):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident & 0xFFFF, 0x4000, 64,
                      proto, 0, bytes(map(int, src.split("."))), bytes(map(int, dst.split("."))))
    hdr = hdr[:10] + struct.pack("!H", ip_csum(hdr)) + hdr[12:]
    return hdr + payload


def outer_eth(payload, forward, ethertype=0x0800):
    dst, src = (MAC_B, MAC_A) if forward else (MAC_A, MAC_B)
    return dst + src + struct.pack("!H", ethertype) + payload


def udp_csum(src, dst, udp):
    pseudo = (bytes(map(int, src.split("."))) + bytes(map(int, dst.split(".")))
              + struct.pack("!BBH", 0, 17, len(udp)))
    data = pseudo + udp + (b"\0" if len(udp) % 2 else b"")
    c = ip_csum(data)
    return c or 0xFFFF


def udp_tunnel(base, dport, header_fn, addrs):
    out = []
    for i, (ts, frame) in enumerate(base.pkts):
        fwd = base.from_client(frame)
        src, dst = addrs if fwd else addrs[::-1]
        sport = 49152 + (0x1234 if fwd else 0x0567)  # fixed per direction, as a VTEP hash
        body = header_fn(i) + frame
        udp = struct.pack("!HHHH", sport, dport, 8 + len(body), 0) + body
        udp = udp[:6] + struct.pack("!H", udp_csum(src, dst, udp)) + udp[8:]
        out.append((ts, outer_eth(outer_ipv4(src, dst, 17, udp, 0x100 + i), fwd)))
    return out


def gre_tunnel(base, proto, header_fn, inner_fn, addrs, with_seq):
    out = []
    for i, (ts, frame) in enumerate(base.pkts):
        fwd = base.from_client(frame)
        src, dst = addrs if fwd else addrs[::-1]
        if with_seq:
            gre = struct.pack("!HHI", 0x1000, proto, i + 1)  # S bit: sequence number present
        else:
            gre = struct.pack("!HH", 0, proto)
        payload = gre + header_fn(i, ts, fwd) + inner_fn(frame)
        out.append((ts, outer_eth(outer_ipv4(src, dst, 47, payload, 0x200 + i), fwd)))
    return out


# ---------------------------------------------------------------------------------------------
# variants: each returns (linktype, packets)

def v_vlan(base):
    return LINKTYPE_ETHERNET, [(ts, f[:12] + struct.pack("!HH", 0x8100, 100) + f[12:])
                               for ts, f in base.pkts]


def v_qinq(base):
    tags = struct.pack("!HHHH", 0x88A8, 200, 0x8100, 100)  # S-tag 200, C-tag 100
    return LINKTYPE_ETHERNET, [(ts, f[:12] + tags + f[12:]) for ts, f in base.pkts]


def v_mpls(base):
    def label(value, bottom):
        return struct.pack("!I", (value << 12) | (bottom << 8) | 64)
    stack = label(1000, 0) + label(2000, 1)
    return LINKTYPE_ETHERNET, [(ts, f[:12] + struct.pack("!H", 0x8847) + stack + f[14:])
                               for ts, f in base.pkts]


def v_vxlan(base):
    hdr = struct.pack("!II", 0x08000000, 42 << 8)  # I flag, VNI 42
    return LINKTYPE_ETHERNET, udp_tunnel(base, 4789, lambda i: hdr, ("192.0.2.1", "192.0.2.2"))


def v_geneve(base):
    # version 0, 2 words of options, protocol Transparent Ethernet Bridging, VNI 42, and one
    # 4-byte option (experimental class 0xfff0, type 0x01) so option lengths are exercised.
    opt = struct.pack("!HBB", 0xFFF0, 0x01, 1) + b"\xde\xad\xbe\xef"
    hdr = struct.pack("!BBHI", 2, 0, 0x6558, 42 << 8) + opt
    return LINKTYPE_ETHERNET, udp_tunnel(base, 6081, lambda i: hdr, ("192.0.2.1", "192.0.2.2"))


def v_gre(base):
    return LINKTYPE_ETHERNET, gre_tunnel(base, 0x0800, lambda i, ts, fwd: b"", lambda f: f[14:],
                                         ("198.51.100.1", "198.51.100.2"), False)


def v_erspan2(base):
    def hdr(i, ts, fwd):
        # Ver 1, VLAN 0, COS 0, En 0 (untagged), T 0, session 7 | reserved, index 0
        return struct.pack("!II", (1 << 28) | 7, 0)
    return LINKTYPE_ETHERNET, gre_tunnel(base, 0x88BE, hdr, lambda f: f,
                                         ("198.51.100.10", "198.51.100.20"), True)


def v_erspan3(base):
    def hdr(i, ts, fwd):
        word0 = (2 << 28) | 7                       # Ver 2, VLAN 0, COS 0, BSO 0, T 0, session 7
        stamp = (ts // 100000) & 0xFFFFFFFF         # 100 us units (granularity 00)
        word2 = (0 << 16) | (0 << 10) | (1 << 4) | ((0 if fwd else 1) << 3) | 1
        #         SGT 0     P 0, FT 0 (Ethernet)   HW ID 1       D (direction)     O: subheader
        sub = struct.pack("!II", (3 << 26) | 1, stamp)  # platform-specific subheader, Platf ID 3
        return struct.pack("!III", word0, stamp, word2) + sub
    return LINKTYPE_ETHERNET, gre_tunnel(base, 0x22EB, hdr, lambda f: f,
                                         ("198.51.100.10", "198.51.100.20"), True)


def v_ipfrag(base):
    """Every IPv4 packet over 600 bytes split into 512-byte fragments; the second such
    datagram is written with its fragments in reverse order."""
    out, ident, nth = [], 0x4000, 0
    for ts, frame in base.pkts:
        p = Ether(frame)
        if len(p[IP]) <= 600:
            out.append((ts, frame))
            continue
        ip = p[IP].copy()
        ip.flags = 0  # clear DF
        ip.id = ident
        ident += 1
        frags = []
        for f in fragment(ip, fragsize=512):
            del f.chksum  # recomputed when serialised
            del f.len
            frags.append(frame[:14] + bytes(f))
        nth += 1
        if nth == 2:
            frags.reverse()
        out.extend((ts, f) for f in frags)
    return LINKTYPE_ETHERNET, out


def v_tcp_ooo(base):
    """The second and third data segments of the response (its first two body segments)
    swap places; timestamps keep their slots, so time still runs forward."""
    seg = base.response_segments()
    a, b = seg[1], seg[2]
    pkts = list(base.pkts)
    pkts[a], pkts[b] = (pkts[a][0], pkts[b][1]), (pkts[b][0], pkts[a][1])
    return LINKTYPE_ETHERNET, pkts


def v_tcp_retrans(base):
    """The request is retransmitted right after it was sent, and one response segment is sent
    again after the next one: exact duplicates (same seq, same data)."""
    pkts = list(base.pkts)
    seg = base.response_segments()
    req = next(i for i, (_, f) in enumerate(pkts)
               if base.from_client(f) and len(Ether(f)[TCP].payload))
    dup_resp = (ts_between(pkts, seg[2]), pkts[seg[1]][1])
    dup_req = (ts_between(pkts, req), pkts[req][1])
    pkts.insert(seg[2] + 1, dup_resp)
    pkts.insert(req + 1, dup_req)
    return LINKTYPE_ETHERNET, pkts


def _overlap(base, different):
    pkts = list(base.pkts)
    seg = base.response_segments()
    ia, ib = seg[1], seg[2]
    pa, pb = Ether(pkts[ia][1]), Ether(pkts[ib][1])
    da, db = bytes(pa[TCP].payload), bytes(pb[TCP].payload)
    assert pa[TCP].seq + len(da) == pb[TCP].seq, "segments must be adjacent"
    n = min(400, len(da) // 2, len(db) // 2)
    data = da[-n:] + db[:n]
    if different:
        data = bytes(b"X"[0] if 0x21 <= c <= 0x7E else c for c in data)
    extra = rebuild(pkts[ib][1], seq=pa[TCP].seq + len(da) - n, payload=data)
    pkts.insert(ib + 1, (ts_between(pkts, ib), extra))
    return LINKTYPE_ETHERNET, pkts


def v_tcp_overlap_same(base):
    """After response segments A and B (the second and third data segments of the response),
    a segment covering the last 400 bytes of A and the first 400 of B, with the same bytes."""
    return _overlap(base, False)


def v_tcp_overlap_diff(base):
    """As -tcp-overlap-same, but the overlapping segment's printable bytes are all 'X'."""
    return _overlap(base, True)


def v_tcp_gap(base):
    """The second data segment of the response is missing (as after capture loss); the
    client's ACKs still cover it."""
    seg = base.response_segments()
    return LINKTYPE_ETHERNET, [p for i, p in enumerate(base.pkts) if i != seg[1]]


def v_sll(base):
    out = []
    for ts, f in base.pkts:
        fwd = base.from_client(f)
        pkttype = 4 if fwd else 0  # as captured on the client: outgoing / to us
        hdr = struct.pack("!HHH", pkttype, 1, 6) + (MAC_A if fwd else MAC_B) + b"\0\0" + f[12:14]
        out.append((ts, hdr + f[14:]))
    return LINKTYPE_LINUX_SLL, out


def v_sll2(base):
    out = []
    for ts, f in base.pkts:
        fwd = base.from_client(f)
        hdr = (f[12:14] + b"\0\0" + struct.pack("!IHBB", 2, 1, 4 if fwd else 0, 6)
               + (MAC_A if fwd else MAC_B) + b"\0\0")
        out.append((ts, hdr + f[14:]))
    return LINKTYPE_LINUX_SLL2, out


def v_raw(base):
    return LINKTYPE_RAW, [(ts, f[14:]) for ts, f in base.pkts]


def v_null(base):
    return LINKTYPE_NULL, [(ts, struct.pack("<I", 2) + f[14:]) for ts, f in base.pkts]


def d_midstream(base):
    """The capture as a sensor started mid-connection would see it: everything before the
    server's first data segment (handshake, first request, its ACK) is dropped, so it opens with
    a response whose request was never seen, followed by ordinary transactions."""
    first = next(i for i, (_, f) in enumerate(base.pkts)
                 if not base.from_client(f) and len(Ether(f)[TCP].payload))
    return LINKTYPE_ETHERNET, base.pkts[first:]


# Captures derived from another recorded capture: output name -> (source name, function).
OTHERS = {
    "http-midstream": ("http-keepalive", d_midstream),
}

VARIANTS = {
    "vlan": v_vlan, "qinq": v_qinq, "mpls": v_mpls, "vxlan": v_vxlan, "geneve": v_geneve,
    "gre": v_gre, "erspan2": v_erspan2, "erspan3": v_erspan3, "ipfrag": v_ipfrag,
    "tcp-ooo": v_tcp_ooo, "tcp-retrans": v_tcp_retrans, "tcp-overlap-same": v_tcp_overlap_same,
    "tcp-overlap-diff": v_tcp_overlap_diff, "tcp-gap": v_tcp_gap, "sll": v_sll, "sll2": v_sll2,
    "raw": v_raw, "null": v_null,
}


def load_ethernet(path):
    linktype, pkts = read_pcap(path)
    if linktype != LINKTYPE_ETHERNET:
        sys.exit(f"{path}: link type {linktype}, need Ethernet")
    return pkts


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    print(f"    {os.path.basename(path)} ({len(data)} bytes)", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", default=os.path.join(os.path.dirname(__file__), "..", "test", "pcaps"))
    ap.add_argument("--base", default="http-basic")
    ap.add_argument("--only", metavar="NAME", help="write only this output (name without "
                    "extension: http-basic-vlan, http-basic-pcapng, http-midstream...)")
    args = ap.parse_args()

    for name, (source, fn) in OTHERS.items():
        if args.only not in (None, name):
            continue
        src = os.path.join(args.dir, source + ".pcap")
        if not os.path.exists(src):
            if args.only:
                sys.exit(f"{src}: missing, needed for {name}")
            continue
        lt, out = fn(Base(load_ethernet(src)))
        write(os.path.join(args.dir, name + ".pcap"), pcap_bytes(lt, out))
    if args.only in OTHERS:
        return

    src = os.path.join(args.dir, args.base + ".pcap")
    pkts = load_ethernet(src)
    base = Base(pkts)
    stem = os.path.join(args.dir, args.base)
    if args.only is not None:
        if not args.only.startswith(args.base + "-"):
            sys.exit(f"--only {args.only}: not an output of {args.base} or of {sorted(OTHERS)}")
        only = args.only[len(args.base) + 1:]
        if only not in VARIANTS:
            sys.exit(f"--only {args.only}: only the simple variants can be written alone: "
                     + ", ".join(f"{args.base}-{v}" for v in VARIANTS))
        lt, out = VARIANTS[only](base)
        write(f"{stem}-{only}.pcap", pcap_bytes(lt, out))
        return

    for name, fn in VARIANTS.items():
        lt, out = fn(base)
        write(f"{stem}-{name}.pcap", pcap_bytes(lt, out))

    write(f"{stem}-pcapng.pcapng", pcapng_bytes(LINKTYPE_ETHERNET, pkts, "lo"))

    raw = pcap_bytes(LINKTYPE_ETHERNET, pkts)
    write(f"{stem}-gz.pcap.gz", gzip.compress(raw, compresslevel=9, mtime=0))

    # Cut in the middle of the data of the packet that starts past half the file.
    off = 24
    for _, frame in pkts:
        if off > len(raw) // 2:
            break
        off += 16 + len(frame)
    write(f"{stem}-truncated.pcap", raw[:off + 16 + len(frame) // 2])

    # Global header with a damaged magic number and version: not a pcap file any more.
    write(f"{stem}-badhdr.pcap", b"\xd4\xc3\xb2\x00" + struct.pack("<HH", 9, 9) + raw[8:])

    # A record header in the middle claims a capture length far over the snaplen.
    off = 24
    for _, frame in pkts[:len(pkts) // 2]:
        off += 16 + len(frame)
    bad = bytearray(raw)
    bad[off + 8:off + 12] = struct.pack("<I", 0x7FFFFFF0)
    write(f"{stem}-badrec.pcap", bytes(bad))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_decode.c into corpus/decode/ next to this script.

Each seed is one selector byte (index into the harness's link-type list, bit 4 = validate
checksums) followed by packets, each prefixed with its length as 2 big-endian bytes. The
packets are small and valid, one per link type and per tunnel, plus fragment trains, so that
the fuzzer starts from every decoder path. Rerun after changing a builder; output is stable.
NFLOG TLVs are written little-endian: the decoder reads them in host order, as libpcap hands
them over, and the fuzzers run on little-endian machines.
"""
import os
import struct

LT = {"en10mb": 0, "sll": 1, "sll2": 2, "raw": 3, "linktype_raw": 4, "ipv4": 5, "ipv6": 6,
      "null": 7, "loop": 8, "c_hdlc": 9, "nflog": 10}
VALIDATE = 0x10

A4, B4 = bytes([10, 0, 0, 1]), bytes([192, 168, 7, 2])
A6 = bytes.fromhex("20010db8000000000000000000000001")
B6 = bytes.fromhex("20010db8000000000000000000000002")


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def l4sum(seg, proto, src, dst, at):
    pseudo = src + dst + (struct.pack("!BBH", 0, proto, len(seg)) if len(src) == 4
                          else struct.pack("!IxxxB", len(seg), proto))
    seg = seg[:at] + b"\0\0" + seg[at + 2:]
    c = csum(pseudo + seg)
    if proto == 17 and c == 0:
        c = 0xFFFF
    return seg[:at] + struct.pack("!H", c) + seg[at + 2:]


def tcp(sp, dp, flags=0x18, payload=b"", opts=b""):
    hl = (20 + len(opts)) // 4
    return struct.pack("!HHIIBBHHH", sp, dp, 1000, 2000, hl << 4, flags, 8192, 0, 0) + opts + payload


def udp(sp, dp, payload=b""):
    return struct.pack("!HHHH", sp, dp, 8 + len(payload), 0) + payload


def ipv4(proto, payload, src=A4, dst=B4, ident=1, frag=0x4000):
    if proto in (6, 17) and frag & 0x3FFF == 0:
        payload = l4sum(payload, proto, src, dst, 16 if proto == 6 else 6)
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, frag, 64, proto, 0, src, dst)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def ipv6(nh, payload, src=A6, dst=B6):
    if nh in (6, 17):
        payload = l4sum(payload, nh, src, dst, 16 if nh == 6 else 6)
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), nh, 55, src, dst) + payload


def ext(nh, body_len=8):
    return struct.pack("!BBBB", nh, body_len // 8 - 1, 1, body_len - 4) + bytes(body_len - 4)


def eth(etype, payload):
    return bytes.fromhex("001122334455" "66778899aabb") + struct.pack("!H", etype) + payload


def vlan(tci, etype, payload):
    return struct.pack("!HH", tci, etype) + payload


def mpls(label, bottom, payload):
    return struct.pack("!I", label << 12 | (0x100 if bottom else 0) | 64) + payload


def gre(flags, proto, payload, key=0):
    h = struct.pack("!HH", flags, proto)
    if flags & 0xC000:
        h += bytes(4)
    if flags & 0x2000:
        h += struct.pack("!I", key)
    if flags & 0x1000:
        h += struct.pack("!I", 1)
    return h + payload


def pppoe_session(proto, payload, pfc=False):
    ppp = struct.pack("!B", proto) if pfc else struct.pack("!H", proto)
    return struct.pack("!BBHH", 0x11, 0, 0x1234, len(ppp) + len(payload)) + ppp + payload


def pppoe_discovery(code, tags):
    body = b"".join(struct.pack("!HH", t, len(v)) + v for t, v in tags)
    return struct.pack("!BBHH", 0x11, code, 0, len(body)) + body


def snap(etype, payload, oui=0):
    body = bytes([0xAA, 0xAA, 0x03]) + oui.to_bytes(3, "big") + struct.pack("!H", etype) + payload
    return bytes.fromhex("001122334455" "66778899aabb") + struct.pack("!H", len(body)) + body


def nflog_tlv(ttype, value):
    return struct.pack("<HH", 4 + len(value), ttype) + value + bytes(-len(value) % 4)


def nflog(family, packet):
    return (struct.pack("!BBH", family, 0, 7) + nflog_tlv(10, b"web\0\0") + nflog_tlv(1, bytes.fromhex("08000300"))
            + nflog_tlv(9, packet) + nflog_tlv(11, bytes(4)))


def gtp(msg, teid, payload, seq=None, exts=()):
    """GTPv1-U; exts are extension header bodies (without length and next-type bytes)."""
    opt = b""
    if seq is not None or exts:
        opt = struct.pack("!HBB", seq or 0, 0, 0x85 if exts else 0)
        for i, body in enumerate(exts):
            units = (len(body) + 2) // 4
            opt += bytes([units]) + body + bytes([0x85 if i + 1 < len(exts) else 0])
    flags = 0x30 | (0x04 if exts else 0) | (0x02 if seq is not None else 0)
    return struct.pack("!BBHI", flags, msg, len(opt) + len(payload), teid) + opt + payload


def inner():
    return eth(0x8100, vlan(42, 0x0800, ipv4(6, tcp(1111, 2222, payload=b"GET / HTTP/1.1\r\n"))))


def seed(lt, *packets):
    return bytes([lt]) + b"".join(struct.pack("!H", len(p)) + p for p in packets)


def seeds():
    syn_opts = bytes([2, 4, 5, 0xB4, 1, 3, 3, 7, 4, 2, 0, 0])
    http = b"GET /api/v1/users HTTP/1.1\r\nHost: x\r\n\r\n"
    yield "eth_ipv4_tcp_syn", seed(LT["en10mb"] | VALIDATE,
                                   eth(0x0800, ipv4(6, tcp(40000, 80, 0x02, opts=syn_opts))),
                                   eth(0x0800, ipv4(6, tcp(40000, 80, payload=http))))
    yield "eth_vlan_ipv6_udp", seed(LT["en10mb"] | VALIDATE,
                                    eth(0x8100, vlan(10, 0x86DD, ipv6(17, udp(5353, 53, b"q")))))
    yield "eth_qinq3_ipv4_tcp", seed(LT["en10mb"], eth(0x9100, vlan(1, 0x88A8, vlan(
        2, 0x8100, vlan(3, 0x0800, ipv4(6, tcp(1, 2)))))))
    yield "eth_mpls_ipv4", seed(LT["en10mb"], eth(0x8847, mpls(100, 0, mpls(200, 1, ipv4(6, tcp(1, 2))))))
    yield "eth_mpls_pw_eth", seed(LT["en10mb"], eth(0x8847, mpls(300, 1, bytes(4) + eth(
        0x0800, ipv4(17, udp(1, 2, b"pw"))))))
    yield "eth_arp", seed(LT["en10mb"], eth(0x0806, bytes(28)))
    yield "sll_ipv4_udp", seed(LT["sll"], struct.pack("!HHH8sH", 0, 1, 6, bytes(8), 0x0800)
                               + ipv4(17, udp(1, 53, b"dns")))
    yield "sll2_ipv6_tcp", seed(LT["sll2"], struct.pack("!HHIHBB8s", 0x86DD, 0, 3, 1, 0, 6, bytes(8))
                                + ipv6(6, tcp(5, 443)))
    yield "raw_ipv4_icmp", seed(LT["raw"], ipv4(1, bytes(8)), ipv4(6, tcp(1, 2)))
    yield "linktype_raw_ipv6", seed(LT["linktype_raw"], ipv6(17, udp(9, 9, b"x")))
    yield "dlt_ipv4", seed(LT["ipv4"], ipv4(6, tcp(7, 8)))
    yield "dlt_ipv6", seed(LT["ipv6"], ipv6(6, tcp(7, 8)))
    yield "null_le_ipv4", seed(LT["null"], struct.pack("<I", 2) + ipv4(6, tcp(1, 2)))
    yield "loop_be_ipv6", seed(LT["loop"], struct.pack("!I", 30) + ipv6(6, tcp(1, 2)))
    yield "vxlan", seed(LT["en10mb"], eth(0x0800, ipv4(17, udp(5000, 4789, struct.pack("!II", 0x08000000, 0x123456 << 8) + inner()))))
    yield "geneve_opts", seed(LT["en10mb"], eth(0x0800, ipv4(17, udp(5000, 6081, struct.pack(
        "!BBHI", 2, 0, 0x6558, 77 << 8) + bytes(8) + inner()))))
    yield "gre_teb_key", seed(LT["en10mb"], eth(0x0800, ipv4(47, gre(0xB000, 0x6558, inner(), key=9))))
    yield "erspan2", seed(LT["en10mb"], eth(0x0800, ipv4(47, gre(0x1000, 0x88BE, struct.pack(
        "!HHI", 0x1000 | 100, 0x155, 0) + inner()))))
    yield "erspan3_sub", seed(LT["en10mb"], eth(0x0800, ipv4(47, gre(0x1000, 0x22EB, struct.pack(
        "!HHIHBB", 0x2000, 0x3FF, 0, 0, 0, 1) + bytes(8) + inner()))))
    yield "ipip_6in4", seed(LT["en10mb"], eth(0x0800, ipv4(41, ipv6(6, tcp(1, 2)))))
    yield "ipv6_exthdrs", seed(LT["en10mb"] | VALIDATE, eth(0x86DD, ipv6(0, ext(60) + ext(43, 24) + ext(
        51, 16) + struct.pack("!BBHI", 6, 2, 0, 0) + bytes(8) + l4sum(tcp(1, 2), 6, A6, B6, 16))))
    seg = l4sum(tcp(40000, 80, payload=bytes(range(256)) * 4), 6, A4, B4, 16)
    yield "ipv4_frags", seed(LT["en10mb"] | VALIDATE,
                             eth(0x0800, ipv4(6, seg[:400], ident=7, frag=0x2000)),
                             eth(0x0800, ipv4(6, seg[800:], ident=7, frag=100)),
                             eth(0x0800, ipv4(6, seg[200:600], ident=7, frag=0x2000 | 25)),
                             eth(0x0800, ipv4(6, seg[400:800], ident=7, frag=0x2000 | 50)))
    seg6 = l4sum(udp(5000, 53, bytes(range(200)) * 3), 17, A6, B6, 6)

    def frag6(off, data, more):
        return eth(0x86DD, ipv6(44, struct.pack("!BBHI", 17, 0, off | more, 0xABCD) + data))
    yield "ipv6_frags", seed(LT["en10mb"] | VALIDATE, frag6(304, seg6[304:], 0), frag6(0, seg6[:304], 1))
    yield from seeds_added()


def seeds_added():
    """PPPoE / PPP, Cisco HDLC, NFLOG, LLC SNAP, GTP-U, GRE-in-UDP and TCP-MD5 / TCP-AO."""
    http = b"GET /api/v1/orders HTTP/1.1\r\nHost: x\r\n\r\n"
    md5 = bytes([1, 1, 19, 18]) + bytes(range(16))
    ao = bytes([1, 1, 29, 6, 3, 4, 0xAA, 0xBB])
    yield "pppoe_session", seed(LT["en10mb"], eth(0x8864, pppoe_session(0x0021, ipv4(6, tcp(1, 80, payload=http)))),
                                eth(0x8864, pppoe_session(0x21, ipv4(6, tcp(80, 1)), pfc=True)),
                                eth(0x8100, vlan(5, 0x8864, pppoe_session(0x57, ipv6(17, udp(1, 2, b"x")), pfc=True))),
                                eth(0x8864, pppoe_session(0xC021, bytes.fromhex("01010004"))))
    yield "pppoe_discovery", seed(LT["en10mb"], eth(0x8863, pppoe_discovery(0x09, [(0x0101, b""), (0x0103, b"abcd")])),
                                  eth(0x8863, pppoe_discovery(0x07, [(0x0102, b"isp"), (0x0000, b"")])))
    yield "pppoe_mpls", seed(LT["en10mb"], eth(0x8864, pppoe_session(0x0281, mpls(16, 1, ipv4(6, tcp(1, 2))))))
    yield "chdlc", seed(LT["c_hdlc"], bytes([0x0F, 0]) + struct.pack("!H", 0x0800) + ipv4(6, tcp(1, 80, payload=http)),
                        bytes([0x8F, 0]) + struct.pack("!H", 0x86DD) + ipv6(17, udp(1, 2)),
                        bytes([0x8F, 0]) + struct.pack("!H", 0x8035) + bytes(14))
    yield "nflog", seed(LT["nflog"], nflog(2, ipv4(6, tcp(1, 80, payload=http))), nflog(10, ipv6(6, tcp(80, 1))))
    yield "snap", seed(LT["en10mb"], snap(0x0800, ipv4(6, tcp(1, 80, payload=http))),
                       snap(0x86DD, ipv6(17, udp(1, 2, b"y")), oui=0xF8))
    gpdu = gtp(0xFF, 0x9E40BA4F, ipv4(6, tcp(1, 80, payload=http)), seq=3, exts=[bytes([0x10, 0x05]),
                                                                                   bytes(6)])
    yield "gtp_u", seed(LT["en10mb"], eth(0x0800, ipv4(17, udp(2152, 2152, gpdu))),
                        eth(0x0800, ipv4(17, udp(2152, 2152, gtp(0xFF, 0xBF2E, ipv6(6, tcp(80, 1)))))),
                        eth(0x0800, ipv4(17, udp(2152, 2152, gtp(0x01, 0, b"", seq=1)))))
    yield "gre_udp", seed(LT["en10mb"], eth(0x0800, ipv4(17, udp(40000, 4754, gre(0x2000, 0x0800, ipv4(
        6, tcp(1, 80, payload=http)), key=5)))), eth(0x86DD, ipv6(17, udp(40001, 4754, gre(0, 0x6558, inner())))))
    yield "tcp_auth_opts", seed(LT["en10mb"] | VALIDATE, eth(0x0800, ipv4(6, tcp(179, 40000, 0x02, opts=bytes(
        [2, 4, 5, 0xB4]) + md5))), eth(0x0800, ipv4(6, tcp(179, 40000, opts=md5, payload=b"bgp"))),
                                eth(0x0800, ipv4(6, tcp(179, 40000, opts=ao))))


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "decode")
    os.makedirs(out, exist_ok=True)
    for name, data in seeds():
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_tcp_session (test/fuzz/corpus/tcp_session/).

Each seed is a 4-byte configuration header followed by 8-byte pseudo-segments, in the format
documented at the top of fuzz_tcp_session.c. The seeds cover the paths a fuzzer finds slowly:
handshakes, out-of-order data, retransmissions, FIN and RST, SYN with data, wrap-around, gaps
by ACK and by the hold policy, midstream pickup, port reuse, depth and stop, a tiny memcap, and
the reset rules: resets before the SYN/ACK with and without timestamps, resets carrying TCP-MD5
or TCP-AO, resets in the window but not at the next sequence number, malformed options.

Usage: make_tcp_seeds.py [OUTDIR]
"""
import os
import struct
import sys

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
HDR = 0x80  # CWR in the flags byte: 4 more bytes describe the TCP header (fz_header())

# Header byte 2
TS, AUTH, TS_OVERRUN, SHORT_L4, MSS = 0x01, 0x02, 0x04, 0x08, 0x10

# Configuration byte 0
NO_MIDSTREAM, DEPTH, MEMCAP, HOLD_BYTES, HOLD_TIME, TINY_CAP = 0x01, 0x02, 0x04, 0x08, 0x10, 0x40
WRAP = 0x80  # in configuration byte 1: start the ISNs just below 2^32


def cfg(flags=0, depth=0, hold=0, timeout=0, wrap=False):
    return bytes([flags, (depth & 0x7F) | (WRAP if wrap else 0), hold & 0xFF, timeout & 0xFF])


def seg(d, flags, seq=0, length=0, ack=0, tdelta=0, raw=False, stop=False, jump=False, payload=b"",
        hdr=None):
    """hdr=(tsval_byte, tsecr_byte, bits) gives the packet a TCP header (see fz_header())."""
    b0 = (d & 1) | (0x02 if raw else 0) | (0x04 if stop else 0) | (0x08 if jump else 0)
    b0 |= (tdelta & 0x0F) << 4
    out = struct.pack("<BBhHh", b0, flags | (HDR if hdr else 0), seq, length, ack)
    if hdr:
        out += bytes([hdr[0], hdr[1], hdr[2], 0])
    return out + (payload if raw else b"")


def handshake():
    # Deltas are relative to where each side stands, so 0 is "the next byte".
    return seg(0, SYN) + seg(1, SYN | ACK) + seg(0, ACK)


def seeds():
    s = {}
    s["inorder"] = cfg() + handshake() + b"".join(
        seg(0, ACK | PSH, length=500) for _ in range(4)) + seg(1, ACK | PSH, length=300)
    s["out_of_order"] = cfg() + handshake() + seg(0, ACK, seq=600, length=300) + \
        seg(0, ACK, seq=-900, length=200) + seg(0, ACK, seq=-700, length=400) + \
        seg(1, ACK, length=10)
    s["retrans_overlap"] = cfg() + handshake() + seg(0, ACK, length=100) + \
        seg(0, ACK, seq=-100, length=100) + seg(0, ACK, seq=-50, length=5, raw=True,
                                                 payload=b"XXXXX") + \
        seg(0, ACK, seq=200, length=100) + seg(0, ACK, seq=-150, length=100, raw=True,
                                                 payload=b"Y" * 100)
    s["fin_both"] = cfg() + handshake() + seg(0, ACK | PSH, length=50) + \
        seg(1, ACK | PSH, length=80) + seg(0, ACK | FIN) + seg(1, ACK | FIN) + seg(0, ACK)
    s["rst"] = cfg() + handshake() + seg(0, ACK, length=100) + seg(0, ACK, seq=50, length=100) + \
        seg(1, RST | ACK)
    s["syn_data_wrap"] = cfg(wrap=True) + seg(0, SYN, length=40) + seg(0, SYN, seq=-41, length=40) + \
        seg(1, SYN | ACK) + seg(0, ACK, length=600) + seg(1, ACK, length=700)
    s["gap_by_ack"] = cfg() + handshake() + seg(0, ACK, length=100) + \
        seg(0, ACK, seq=100, length=100) + seg(1, ACK, ack=-200) + seg(1, ACK, ack=0)
    s["hold_policy"] = cfg(HOLD_BYTES | HOLD_TIME, hold=4, timeout=5) + handshake() + \
        seg(0, ACK, seq=10, length=100) + seg(0, ACK, seq=-110, length=5) + \
        seg(0, ACK, seq=-60, length=20, tdelta=15) + seg(1, ACK, tdelta=15)
    s["midstream_onesided"] = cfg() + seg(1, ACK | PSH, length=300) + \
        seg(1, ACK | PSH, seq=200, length=300) + seg(1, ACK | FIN, length=10)
    s["port_reuse"] = cfg() + handshake() + seg(0, ACK | FIN) + seg(1, ACK | FIN) + \
        seg(0, SYN, seq=1000) + seg(1, SYN | ACK, seq=5) + seg(0, ACK, length=20)
    s["depth_stop"] = cfg(DEPTH, depth=4) + handshake() + seg(0, ACK, length=200) + \
        seg(0, ACK, length=300) + seg(1, ACK, length=100, stop=True) + seg(1, ACK, length=100) + \
        seg(0, ACK | FIN, seq=0)
    s["tiny_memcap"] = cfg(MEMCAP | TINY_CAP) + handshake() + b"".join(
        seg(0, ACK, seq=1000 if i == 0 else 0, length=900) for i in range(8)) + \
        seg(0, ACK, seq=-8200, length=100) + seg(0, ACK, jump=True, length=10)
    # bug-3286: a forged RST and FIN before the SYN/ACK echo a timestamp the SYN never sent.
    s["rst_syn_sent_ts"] = cfg() + seg(0, SYN, hdr=(6, 0, TS | MSS)) + \
        seg(1, RST | ACK, hdr=(1, 99, TS)) + seg(1, FIN | ACK, hdr=(1, 99, TS)) + \
        seg(0, RST, seq=1) + seg(1, SYN | ACK, hdr=(8, 6, TS | MSS)) + seg(0, ACK) + \
        seg(0, ACK | PSH, length=200) + seg(1, ACK | PSH, length=300) + \
        seg(1, RST | ACK, hdr=(1, 6, TS))
    s["rst_syn_sent_ts0"] = cfg() + seg(0, SYN, hdr=(0, 0, TS)) + \
        seg(1, RST | ACK, hdr=(1, 42, TS))
    s["rst_syn_sent_nots"] = cfg() + seg(0, SYN) + seg(1, RST | ACK, hdr=(0, 99, TS)) + \
        seg(1, ACK | PSH, length=10) + seg(1, RST, ack=1) + seg(1, RST | ACK, ack=-1) + \
        seg(1, RST | ACK, hdr=(0, 0, TS))
    # security-4710: resets carrying TCP-MD5 / TCP-AO are ignored, here and in SYN_SENT.
    s["rst_auth"] = cfg() + seg(0, SYN) + seg(1, RST | ACK, hdr=(0, 0, AUTH)) + \
        seg(1, SYN | ACK) + seg(0, ACK) + seg(0, RST | ACK, hdr=(0, 0, AUTH)) + \
        seg(0, ACK | PSH, length=100) + seg(1, ACK | PSH, length=100) + \
        seg(0, ACK | FIN) + seg(1, ACK | FIN) + seg(0, RST, hdr=(0, 0, AUTH | TS))
    s["rst_window"] = cfg() + handshake() + seg(0, ACK | PSH, length=100) + \
        seg(1, RST, seq=100) + seg(1, RST | ACK, seq=-1) + seg(0, ACK, seq=300, length=50) + \
        seg(1, ACK, ack=400) + seg(0, RST, seq=350) + seg(0, RST | ACK, seq=0)
    s["rst_syn_recv"] = cfg() + seg(0, SYN, hdr=(2, 0, TS)) + seg(1, SYN | ACK) + \
        seg(1, RST | ACK, seq=4) + seg(0, RST, seq=-1) + seg(0, RST)
    s["rst_bad_options"] = cfg() + seg(0, SYN, hdr=(10, 0, TS | TS_OVERRUN)) + \
        seg(1, RST | ACK, hdr=(1, 50, TS | SHORT_L4)) + seg(0, SYN, seq=-1, hdr=(11, 0, TS)) + \
        seg(1, RST | ACK, hdr=(1, 11, TS | TS_OVERRUN))
    return s


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus", "tcp_session")
    os.makedirs(out, exist_ok=True)
    for name, blob in sorted(seeds().items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(blob)
    print("wrote %d seeds to %s" % (len(seeds()), out))


if __name__ == "__main__":
    main()

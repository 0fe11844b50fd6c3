#!/usr/bin/env python3
"""Builds the seed corpus of fuzz_pipeline from the real captures in test/pcaps.

Each seed is one capture (or its first 200 packets) in the harness's record format:
byte 0 the link type index, then [2-byte length][1-byte time step in ms][packet bytes].
Reads classic pcap files only (the derived pcapng/gzip variants are skipped).
"""
import os, struct, sys

LINKTYPES = [1, 113, 276, 101, 12, 228, 229, 0, 108]


def read_pcap(path):
    with open(path, 'rb') as f:
        data = f.read()
    if len(data) < 24:
        return None, []
    magic = data[:4]
    if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1'):
        end = '<'
    elif magic in (b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        end = '>'
    else:
        return None, []
    nano = magic in (b'\x4d\x3c\xb2\xa1', b'\xa1\xb2\x3c\x4d')
    linktype = struct.unpack(end + 'I', data[20:24])[0] & 0x0FFFFFFF
    pkts, off = [], 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(end + 'IIII', data[off:off + 16])
        off += 16
        if off + incl > len(data):
            break
        us = sec * 1000000 + (frac // 1000 if nano else frac)
        pkts.append((us, data[off:off + incl]))
        off += incl
    return linktype, pkts


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    src = os.path.join(here, '..', 'pcaps')
    out = os.path.join(here, 'corpus', 'pipeline')
    os.makedirs(out, exist_ok=True)
    n = 0
    for name in sorted(os.listdir(src)):
        if not name.endswith('.pcap'):
            continue
        linktype, pkts = read_pcap(os.path.join(src, name))
        if linktype not in LINKTYPES or not pkts:
            continue
        rec = bytearray([LINKTYPES.index(linktype)])
        last = pkts[0][0]
        for us, pkt in pkts[:200]:
            step = min(max((us - last) // 1000, 0), 249)
            last = us
            rec += struct.pack('>HB', len(pkt), step) + pkt
        with open(os.path.join(out, name.replace('.pcap', '')), 'wb') as f:
            f.write(rec)
        n += 1
    print('%d seeds written to %s' % (n, out))
    return 0


if __name__ == '__main__':
    sys.exit(main())

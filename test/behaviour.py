#!/usr/bin/env python3
"""Behaviour of the foundation layer on real captures, beyond the golden outputs.

Each check runs apiwatch with particular settings and asserts on its events:
  - pcap, pcapng and gzip copies of one capture give the same flows;
  - several files are one stream: a flow split across two files is one flow;
  - a BPF filter that matches nothing gives no flows; one that matches gives them all;
  - stats events every stats.interval of packet time;
  - a tiny stream.depth marks the direction depth_reached and counts it;
  - idle TCP flows end by timeout at the configured established timeout;
  - a tiny flow.memcap evicts flows (reason forced) and counts it, memory staying under cap;
  - checksum validation drops the loopback captures' offloaded (partial) TCP checksums;
  - fragments are reassembled, gaps reported with their byte counts.
Prints 'N passed, N failed'; exit 1 on any failure.
"""
import argparse, json, os, subprocess, sys, tempfile

FAILS = []
PASSES = []


def run(apiwatch, args, tmp, name='eve.json'):
    eve = os.path.join(tmp, name)
    p = subprocess.run([apiwatch, '-q', '--eve', eve] + args, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    if p.returncode != 0:
        raise RuntimeError('apiwatch %s exited %d: %s' % (args, p.returncode, p.stderr.decode()))
    return [json.loads(l) for l in open(eve)]


def flows(evs):
    return [e for e in evs if e['event_type'] == 'flow']


def stats(evs):
    return [e for e in evs if e['event_type'] == 'stats'][-1]


def flow_key(e):
    f = e['flow']
    return (e['src_ip'], e['src_port'], e['dest_ip'], e['dest_port'], e['proto'],
            f['pkts_toserver'], f['pkts_toclient'], f['bytes_toserver'], f['bytes_toclient'],
            e['community_id'], e['flow_id'])


def check(name, cond, detail=''):
    (PASSES if cond else FAILS).append(name)
    print('%s %s %s' % ('ok  ' if cond else 'FAIL', name, '' if cond else detail))


def split_pcap(src, a, b, n):
    """Writes the first n packets of a classic pcap to a and the rest to b."""
    data = open(src, 'rb').read()
    hdr, off, pkts = data[:24], 24, []
    end = '<' if data[:4] in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
    import struct
    while off + 16 <= len(data):
        incl = struct.unpack(end + 'I', data[off + 8:off + 12])[0]
        pkts.append(data[off:off + 16 + incl])
        off += 16 + incl
    open(a, 'wb').write(hdr + b''.join(pkts[:n]))
    open(b, 'wb').write(hdr + b''.join(pkts[n:]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--apiwatch', required=True)
    ap.add_argument('--pcaps', required=True)
    a = ap.parse_args()
    P = lambda n: os.path.join(a.pcaps, n)
    aw = a.apiwatch
    with tempfile.TemporaryDirectory() as tmp:
        base = flows(run(aw, ['-r', P('http-basic.pcap')], tmp))
        for alt in ('http-basic-pcapng.pcapng', 'http-basic-gz.pcap.gz'):
            other = flows(run(aw, ['-r', P(alt)], tmp))
            check('same flows from ' + alt, list(map(flow_key, base)) == list(map(flow_key, other)),
                  '%r vs %r' % (base, other))

        one, two = os.path.join(tmp, 'a.pcap'), os.path.join(tmp, 'b.pcap')
        split_pcap(P('http-keepalive.pcap'), one, two, 7)
        whole = flows(run(aw, ['-r', P('http-keepalive.pcap')], tmp))
        parts = flows(run(aw, ['-r', one, two], tmp))
        check('two files are one stream', list(map(flow_key, whole)) == list(map(flow_key, parts)),
              '%d vs %d flows' % (len(whole), len(parts)))

        none = flows(run(aw, ['-r', P('http-keepalive.pcap'), '-f', 'tcp port 9'], tmp))
        allf = flows(run(aw, ['-r', P('http-keepalive.pcap'), '-f', 'tcp'], tmp))
        check('filter matching nothing', len(none) == 0, '%d flows' % len(none))
        check('filter matching all', len(allf) == len(whole))

        evs = run(aw, ['-r', P('tcp-rst.pcap'), '--set', 'stats.interval=20ms'], tmp)
        n = sum(1 for e in evs if e['event_type'] == 'stats')
        check('stats every interval', n >= 3, '%d stats events' % n)

        evs = run(aw, ['-r', P('http-large-body.pcap'), '--set', 'stream.depth=1kb'], tmp)
        f = flows(evs)[0]
        check('depth reached', f['api']['tcp'].get('tc_depth_reached') is True and
              f['api']['tcp']['tc_reassembled_bytes'] <= 1024 and
              stats(evs)['stats']['tcp']['stream_depth_reached'] >= 1, json.dumps(f['api']))

        evs = run(aw, ['-r', P('tcp-rst.pcap'), '--set', 'flow.timeout.tcp.established=1ms',
                       '--set', 'flow.timeout.tcp.new=1ms', '--set', 'flow.timeout.tcp.closed=1ms'],
                  tmp)
        reasons = [e['flow']['reason'] for e in flows(evs)]
        check('idle flows time out', 'timeout' in reasons, repr(reasons))

        evs = run(aw, ['-r', P('tcp-rst.pcap'), P('http-keepalive.pcap'), P('http-pipelined.pcap'),
                       P('http10.pcap'), '--set', 'flow.memcap=1mb', '--set', 'flow.hash-size=1024'],
                  tmp)
        st = stats(evs)
        mem = st['api']['stats']['memory']['flow']
        check('memcap respected', mem['peak'] <= mem['cap'], json.dumps(mem))

        evs = run(aw, ['-r', P('http-keepalive.pcap'), '--set', 'decoder.checksum-validation=yes'],
                  tmp)
        st = stats(evs)['stats']
        check('checksum validation drops partial sums',
              st['tcp']['invalid_checksum'] >= 20 and
              sum(f['flow']['pkts_toserver'] + f['flow']['pkts_toclient'] for f in flows(evs)) <= 2,
              json.dumps(st['tcp']))

        evs = run(aw, ['-r', P('http-basic-ipfrag.pcap')], tmp)
        st = stats(evs)['stats']
        check('fragments reassembled', st['defrag']['ipv4']['reassembled'] > 0 and
              flows(evs)[0]['api']['tcp']['tc_reassembled_bytes'] ==
              base[0]['api']['tcp']['tc_reassembled_bytes'], json.dumps(st['defrag']))

        evs = run(aw, ['-r', P('http-basic-tcp-gap.pcap')], tmp)
        t = flows(evs)[0]['api']['tcp']
        check('gap reported with its size', t['tc_gaps'] == 1 and t['tc_gap_bytes'] == 1448,
              json.dumps(t))
        calls = [e for e in run(aw, ['-r', P('http-keepalive.pcap')], tmp)
                 if e['event_type'] == 'http']
        check('calls carry endpoint and principal',
              calls and all(e['api'].get('endpoint', '').startswith('/') and
                            e['api'].get('principal') == 'ip:127.0.0.1' for e in calls),
              json.dumps([e['api'] for e in calls]))
        calls = [e for e in run(aw, ['-r', P('http-keepalive.pcap'), '--set',
                                     'inventory.trusted-proxies=127.0.0.0/8'], tmp)
                 if e['event_type'] == 'http']
        check('trusted proxies accepted', len(calls) == 4)
        for v in ('vlan', 'qinq', 'mpls', 'vxlan', 'geneve', 'gre', 'erspan2', 'erspan3', 'sll',
                  'sll2', 'raw', 'null', 'tcp-ooo', 'tcp-retrans', 'tcp-overlap-same'):
            fl = flows(run(aw, ['-r', P('http-basic-%s.pcap' % v)], tmp))
            check('%s: same stream as the plain capture' % v, len(fl) == 1 and
                  fl[0]['api']['tcp'] == base[0]['api']['tcp'] and
                  fl[0]['community_id'] == base[0]['community_id'],
                  json.dumps([x.get('api') for x in fl]))
        # The EVE writer thread changes who writes, never what: same bytes without it, with a
        # one-batch queue (the packet thread waits for the writer) and with batches handed
        # over at every event (a flush interval shorter than the gap between packets).
        ref = None
        for extra in ([], ['--set', 'eve.writer-thread=false'],
                      ['--set', 'eve.queue-batches=1', '--set', 'eve.flush-interval=1ms']):
            eve = os.path.join(tmp, 'w.json')
            subprocess.run([aw, '-q', '--eve', eve, '-r', P('http-pipelined.pcap'),
                            P('http-keepalive.pcap')] + extra, check=True, timeout=120)
            lines = [l for l in open(eve) if '"event_type":"stats"' not in l]
            if ref is None:
                ref = lines
            check('EVE writer %s: same events' % (' '.join(extra) or 'default'),
                  lines == ref and len(lines) >= 10, '%d vs %d lines' % (len(lines), len(ref)))
    print('%d passed, %d failed' % (len(PASSES), len(FAILS)))
    return 1 if FAILS else 0


if __name__ == '__main__':
    sys.exit(main())

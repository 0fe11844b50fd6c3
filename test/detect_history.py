#!/usr/bin/env python3
"""What the detectors learned travels in a baseline file (--baseline-save, --baseline-load).

  detect_history.py --apiwatch BIN --dir test/pcaps/scenarios

The records rule (data_exposure_records) compares a response's record count with the
endpoint's learned record histogram, which the baseline store keeps since file format 2. The
test learns on the benign capture and saves the baselines, then replays only the attack part
of the data-exposure capture (its packets from the start of the attack window: the attack's
connection opens there, the first attack call comes within the first second):
  1. without a loaded baseline nothing is armed and the records rule stays silent;
  2. with the benign baseline loaded, the records rule fires on the attacker's call, against
     the learned p99 of records of the benign capture: no call of the attack part could have
     taught it 30 sampled responses by then;
  3. with a benign baseline learned while the data-exposure detectors were off (everything
     else learned alike, no record history), the endpoint is armed (the byte-size rule fires)
     but the records rule does not: the record history is what makes the difference;
  4. a file of format version 1 is refused with one line and exit status 1.
Exit 0 on success, 1 on failure, 77 when the captures are missing.
"""
import argparse, gzip, json, os, struct, subprocess, sys, tempfile

FAILED = []


def check(name, ok, detail=''):
    print('%s: %s%s' % ('ok' if ok else 'FAIL', name, '' if ok else ' (%s)' % detail))
    if not ok:
        FAILED.append(name)


def cut_pcap(src, dst, t0):
    """Writes the packets of the (gzip) pcap src at or after t0 (epoch seconds) to dst."""
    with gzip.open(src, 'rb') as f:
        data = f.read()
    magic = data[:4]
    if magic not in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1'):
        raise RuntimeError('%s: not a little-endian pcap file' % src)
    scale = 1e6 if magic == b'\xd4\xc3\xb2\xa1' else 1e9
    out, off, n = [data[:24]], 24, 0
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack('<IIII', data[off:off + 16])
        if sec + frac / scale >= t0:
            out.append(data[off:off + 16 + incl])
            n += 1
        off += 16 + incl
    with open(dst, 'wb') as f:
        f.write(b''.join(out))
    return n


def run(aw, args, eve):
    p = subprocess.run([aw, '-q', '--eve', eve, '--set', 'detect.enabled=true',
                        '--set', 'baseline.learning-period=900s'] + args,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    alerts = []
    if p.returncode == 0:
        with open(eve) as f:
            alerts = [json.loads(l) for l in f if '"event_type":"alert"' in l]
    return p.returncode, p.stderr.decode(errors='replace'), alerts


def rules(alerts):
    return sorted({a['api']['detector'] for a in alerts})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--apiwatch', required=True)
    ap.add_argument('--dir', required=True, help='test/pcaps/scenarios')
    a = ap.parse_args()
    mpath = os.path.join(a.dir, 'manifest.json')
    if not os.path.exists(mpath):
        print('skip: no %s' % mpath)
        return 77
    with open(mpath) as f:
        caps = {c['scenario']: c for c in json.load(f)['captures']}
    benign, exp = caps.get('benign'), caps.get('data-exposure')
    if not benign or not exp or not all(os.path.exists(os.path.join(a.dir, c['file']))
                                        for c in (benign, exp)):
        print('skip: the benign and data-exposure captures are missing')
        return 77
    att = exp['attacker']
    host = exp['attack_match']['hostname']
    method, tpl = att['endpoint'].split(' ', 1)
    with tempfile.TemporaryDirectory() as tmp:
        T = lambda n: os.path.join(tmp, n)
        full, norec = T('benign.bl'), T('benign-norec.bl')
        rc, err, al = run(a.apiwatch, ['-r', os.path.join(a.dir, benign['file']),
                                       '--baseline-save', full], T('learn.json'))
        check('learning on the benign capture: exit 0, no alert, file saved',
              rc == 0 and not al and os.path.exists(full), err or rules(al))
        rc, err, al = run(a.apiwatch, ['-r', os.path.join(a.dir, benign['file']),
                                       '--set', 'detect.data-exposure.enabled=false',
                                       '--baseline-save', norec], T('learn2.json'))
        check('learning without the data-exposure detectors: exit 0',
              rc == 0 and os.path.exists(norec), err)
        attack = T('attack.pcap')
        n = cut_pcap(os.path.join(a.dir, exp['file']), attack, exp['attack_window_epoch'][0])
        check('the attack part of the data-exposure capture', n > 100, '%d packets' % n)

        # 1. Alone: nothing armed, nothing learned.
        rc, err, al = run(a.apiwatch, ['-r', attack], T('alone.json'))
        check('attack part alone: exit 0, the records rule silent',
              rc == 0 and 'data_exposure_records' not in rules(al), err or rules(al))

        # 2. With the benign baseline: the loaded record history arms the rule.
        rc, err, al = run(a.apiwatch, ['-r', attack, '--baseline-load', full], T('full.json'))
        rec = [x for x in al if x['api']['detector'] == 'data_exposure_records']
        check('attack part with the benign baseline: the records rule fires (one alert)',
              rc == 0 and len({x['api']['alert_id'] for x in rec}) == 1, err or rules(al))
        if rec:
            r = rec[0]
            check('... on the attacker\'s call to %s' % att['endpoint'],
                  r['src_ip'] == att['client'] and r['api']['host'] == host and
                  r['api']['method'] == method and r['api']['endpoint'] == tpl and
                  r['api']['principal'].startswith(att['principal_kind'] + ':'),
                  json.dumps(r['api'])[:400])
            check('... against the learned p99 of records',
                  0 < r['api']['baseline'] < r['api']['observed'] and
                  'learned p99' in r['api']['reason'], r['api']['reason'])
        others = set(rules(al)) - {'data_exposure_records', 'data_exposure'}
        check('... and nothing else fires', not others, sorted(others))

        # 3. A baseline without record history: armed, yet the records rule cannot judge.
        rc, err, al = run(a.apiwatch, ['-r', attack, '--baseline-load', norec],
                          T('norec.json'))
        check('attack part with a baseline without record history: armed, records silent',
              rc == 0 and 'data_exposure' in rules(al) and
              'data_exposure_records' not in rules(al), err or rules(al))

        # 4. A file of the previous format version.
        with open(full, 'rb') as f:
            data = bytearray(f.read())
        data[8:12] = struct.pack('<I', 1)
        old = T('old.bl')
        with open(old, 'wb') as f:
            f.write(data)
        rc, err, al = run(a.apiwatch, ['-r', attack, '--baseline-load', old], T('old.json'))
        lines = err.strip().splitlines()
        check('a version 1 file is refused with one line, exit 1',
              rc == 1 and len(lines) == 1 and
              'format version 1, this apiwatch reads version 2' in lines[0], '%d: %s' % (rc, err))
    return 1 if FAILED else 0


if __name__ == '__main__':
    sys.exit(main())

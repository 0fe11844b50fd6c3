#!/usr/bin/env python3
"""Golden capture test: replay one capture and compare apiwatch's EVE output with the
committed expectation.

  golden.py --apiwatch BIN --pcap test/pcaps/X.pcap --expected test/golden/X.eve.json
            [--schema SCHEMA.json] [--update] [--tshark]

Checks, in order:
  1. apiwatch exits 0 (or, for captures named *corrupt*, exits 1 with a one-line message);
  2. a second run gives byte-identical output (packet time is the only clock);
  3. the normalised events equal the expectation (--update rewrites it instead);
  4. with --schema, every event of a type Suricata also writes validates against Suricata's EVE
     schema once the `api` object is set aside; events of apiwatch's own types (api_endpoint)
     validate too once their own object (named as the type) is set aside as well: their common
     header is Suricata's;
  5. with --tshark, the number of TCP flow events equals tshark's `-z conv,tcp` count.
Normalising drops what legitimately differs between machines: pcap_filename (a path) and
per-subsystem memory figures (allocator and structure sizes).
Exit 0 on success, 1 on a failure (with a diff), 77 when a prerequisite is missing (skipped).
"""
import argparse, difflib, json, os, re, shutil, subprocess, sys, tempfile

SURICATA_TYPES = ('flow', 'http', 'alert', 'anomaly', 'stats')


def run(apiwatch, pcap, eve, extra):
    proc = subprocess.run([apiwatch, '-q', '-r', pcap, '--eve', eve] + extra,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    return proc.returncode, proc.stderr.decode(errors='replace')


def normalise(lines):
    out = []
    for line in lines:
        ev = json.loads(line)
        ev.pop('pcap_filename', None)
        st = ev.get('api', {}).get('stats')
        if st:
            st.pop('memory', None)
        if ev.get('event_type') == 'stats':
            for k in ('memuse', 'reassembly_memuse'):
                for sect in ('flow', 'tcp', 'defrag'):
                    ev['stats'].get(sect, {}).pop(k, None)
        out.append(json.dumps(ev, sort_keys=True))
    return out


def tshark_tcp_conversations(pcap):
    if not shutil.which('tshark'):
        return None
    proc = subprocess.run(['tshark', '-n', '-r', pcap, '-q', '-z', 'conv,tcp'],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=120)
    return sum(1 for l in proc.stdout.decode().splitlines() if re.search(r'<->', l))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--apiwatch', required=True)
    ap.add_argument('--pcap', required=True)
    ap.add_argument('--expected', required=True)
    ap.add_argument('--schema')
    ap.add_argument('--update', action='store_true')
    ap.add_argument('--tshark', action='store_true')
    ap.add_argument('extra', nargs='*', help='extra apiwatch arguments (after --)')
    a = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix='apiwatch-golden-')
    try:
        eve1, eve2 = os.path.join(tmp, '1.json'), os.path.join(tmp, '2.json')
        rc, err = run(a.apiwatch, a.pcap, eve1, a.extra)
        name = os.path.basename(a.pcap)
        if 'corrupt' in name or 'badhdr' in name:
            if rc != 1 or len(err.strip().splitlines()) != 1 or 'apiwatch:' not in err:
                print('FAIL: corrupt capture: want exit 1 and one line, got %d: %r' % (rc, err))
                return 1
            print('ok: corrupt capture refused: ' + err.strip())
            return 0
        if rc != 0:
            print('FAIL: apiwatch exited %d: %s' % (rc, err))
            return 1
        if ('truncated' in name or 'badrec' in name) and 'warning' not in err:
            print('FAIL: truncated capture gave no warning: %r' % err)
            return 1
        run(a.apiwatch, a.pcap, eve2, a.extra)
        raw1, raw2 = open(eve1, 'rb').read(), open(eve2, 'rb').read()
        if raw1 != raw2:
            print('FAIL: two runs over the same capture differ')
            return 1
        got = normalise(raw1.decode().splitlines())
        if a.update:
            with open(a.expected, 'w') as f:
                f.write('\n'.join(got) + '\n')
            print('updated ' + a.expected)
        elif not os.path.exists(a.expected):
            print('FAIL: no expectation %s (run scripts/update-golden)' % a.expected)
            return 1
        else:
            want = open(a.expected).read().splitlines()
            if want != got:
                sys.stdout.writelines(difflib.unified_diff(
                    [w + '\n' for w in want], [g + '\n' for g in got], 'expected', 'got', n=1))
                print('FAIL: output differs from ' + a.expected)
                return 1
        if a.schema:
            if not os.path.exists(a.schema):
                print('note: EVE schema not found, validation skipped')
            else:
                import jsonschema
                schema = json.load(open(a.schema))
                v = jsonschema.validators.validator_for(schema)(schema)
                for line in raw1.decode().splitlines():
                    ev = json.loads(line)
                    ev.pop('api', None)
                    if ev.get('event_type') not in SURICATA_TYPES:
                        if ev.pop(ev.get('event_type', ''), None) is None:
                            print('FAIL: %s event has no object named as its type' %
                                  ev.get('event_type'))
                            return 1
                    errs = sorted(v.iter_errors(ev), key=str)
                    if errs:
                        print('FAIL: %s event does not validate: %s' %
                              (ev.get('event_type'), errs[0].message))
                        return 1
        if a.tshark:
            conv = tshark_tcp_conversations(a.pcap)
            flows = sum(1 for l in raw1.decode().splitlines()
                        if '"event_type":"flow"' in l and '"proto":"TCP"' in l)
            if conv is not None and conv != flows:
                print('FAIL: %d TCP flow events, tshark counts %d conversations' % (flows, conv))
                return 1
        print('ok: %s (%d events)' % (name, len(got)))
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())

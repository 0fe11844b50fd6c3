#!/usr/bin/env python3
"""The detector scenario captures replay as their manifest says (test/pcaps/scenarios/, made by
scripts/make-scenario-pcaps; facts in test/pcaps/scenarios/manifest.json).

For every capture of the manifest:
  - apiwatch replays it (with --spec FILE where the entry names a declared API) and exits 0;
  - the number of http events is the manifest's http_calls, and the count of each response
    status its statuses, within count_tolerance (a fraction of the count, at least 0 calls);
  - every http event's request lies inside the capture's packet-time span;
  - the attack is where the manifest says: the http events that match attack_match (client
    addresses, host, methods, path regex, status) with api.request_first inside attack_window
    (widened by http_window_slack_s) number attack_match_calls, within the same tolerance;
  - the benign capture holds at least 50,000 calls.
Prints 'N passed, N failed'; exit 1 on any failure, 77 when the manifest is missing.
"""
import argparse, collections, datetime, json, os, re, subprocess, sys, tempfile
import urllib.parse

FAILS = []
PASSES = []
MIN_BENIGN_CALLS = 50000


def check(name, cond, detail=''):
    (PASSES if cond else FAILS).append(name)
    print('%s %s %s' % ('ok  ' if cond else 'FAIL', name, '' if cond else detail))


def epoch(ts):
    return datetime.datetime.strptime(ts, '%Y-%m-%dT%H:%M:%S.%f%z').timestamp()


def within(got, want, tol):
    return abs(got - want) <= int(want * tol)


def replay(apiwatch, pcap, spec, tmp):
    eve = os.path.join(tmp, 'eve.json')
    cmd = [apiwatch, '-q', '-r', pcap, '--eve', eve]
    if spec:
        cmd += ['--spec', spec]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    events = []
    if p.returncode == 0:
        with open(eve) as f:
            events = [json.loads(l) for l in f]
        os.unlink(eve)
    return p, events


def matches(m, rx, e):
    h = e['http']
    if m['src_ip'] is not None and e['src_ip'] not in m['src_ip']:
        return False
    if m['hostname'] is not None and h.get('hostname') != m['hostname']:
        return False
    if h.get('http_method') not in m['methods']:
        return False
    if m['status'] is not None and h.get('status') != m['status']:
        return False
    return rx.match(urllib.parse.unquote(h.get('url', '').split('?', 1)[0])) is not None


def check_capture(args, doc, c, tmp):
    name = c['scenario']
    tol = doc['count_tolerance']
    pcap = os.path.join(args.dir, c['file'])
    if not os.path.exists(pcap):
        check(name + ': capture present', False, pcap)
        return
    spec = os.path.join(args.root, c['spec']) if c.get('spec') else None
    p, events = replay(args.apiwatch, pcap, spec, tmp)
    check(name + ': replays', p.returncode == 0,
          'exit %d: %s' % (p.returncode, p.stderr.decode(errors='replace')[-500:]))
    if p.returncode != 0:
        return
    http = [e for e in events if e.get('event_type') == 'http']
    check(name + ': http events', within(len(http), c['http_calls'], tol),
          'got %d, manifest %d' % (len(http), c['http_calls']))
    got = collections.Counter(str(e['http'].get('status')) for e in http)
    bad = {k: (got.get(k, 0), v) for k, v in c['statuses'].items()
           if not within(got.get(k, 0), v, tol)}
    bad.update({k: (v, 0) for k, v in got.items() if k not in c['statuses']})
    check(name + ': statuses', not bad, 'status: (got, manifest) %s' % bad)
    lo, hi = c['capture_start_epoch'], c['capture_end_epoch']
    times = [epoch(e['api']['request_first']) for e in http if 'request_first' in e.get('api', {})]
    check(name + ': requests inside the capture span',
          len(times) == len(http) and all(lo <= t <= hi for t in times),
          '%d of %d timed, span %s..%s' % (len(times), len(http), min(times, default=0),
                                            max(times, default=0)))
    if name == 'benign':
        check(name + ': at least %d calls' % MIN_BENIGN_CALLS, len(http) >= MIN_BENIGN_CALLS,
              'only %d' % len(http))
    if 'attack_window_epoch' not in c:
        return
    m = c['attack_match']
    rx = re.compile(m['path_regex'])
    slack = doc['http_window_slack_s']
    w0, w1 = c['attack_window_epoch']
    inside = [e for e in http if matches(m, rx, e) and
              w0 - slack <= epoch(e['api']['request_first']) <= w1 + slack]
    check(name + ': attack calls in their window', within(len(inside), c['attack_match_calls'],
                                                          tol),
          'got %d matching calls in %s..%s, manifest %d' % (len(inside), w0, w1,
                                                            c['attack_match_calls']))
    # Addresses only attackers use (127.66.0.0-127.68.255.255) send nothing before the window.
    own = {a for a in (m['src_ip'] or ()) if re.match(r'127\.6[6-8]\.', a)}
    early = [e for e in http if e['src_ip'] in own and
             epoch(e['api']['request_first']) < w0 - slack]
    check(name + ': attack addresses silent before the window', not early,
          '%d calls before %s' % (len(early), w0))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--apiwatch', required=True)
    ap.add_argument('--dir', required=True, help='test/pcaps/scenarios')
    ap.add_argument('--root', required=True, help='the source tree (for spec paths)')
    ap.add_argument('--only', action='append', help='scenario names to check')
    args = ap.parse_args()
    path = os.path.join(args.dir, 'manifest.json')
    if not os.path.exists(path):
        print('skipped: no %s' % path)
        return 77
    with open(path) as f:
        doc = json.load(f)
    names = [c['scenario'] for c in doc['captures']]
    check('manifest: has the benign capture', 'benign' in names)
    for c in doc['captures']:
        check(c['scenario'] + ': manifest entry complete',
              all(k in c for k in ('file', 'detectors', 'owasp_api', 'learning_period_s',
                                   'http_calls', 'statuses')) and
              (c['scenario'] == 'benign' or all(
                  k in c for k in ('attacker', 'attack_window', 'attack_window_epoch',
                                   'attack_match', 'attack_match_calls')) and
               c['detectors'] and c['owasp_api'] and
               c['attack_window_epoch'][0] >= c['capture_start_epoch'] +
               c['learning_period_s']))
    with tempfile.TemporaryDirectory() as tmp:
        for c in doc['captures']:
            if args.only and c['scenario'] not in args.only:
                continue
            check_capture(args, doc, c, tmp)
    print('%d passed, %d failed' % (len(PASSES), len(FAILS)))
    return 1 if FAILS else 0


if __name__ == '__main__':
    sys.exit(main())

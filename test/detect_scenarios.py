#!/usr/bin/env python3
"""The detectors fire on the scenario captures as their manifest says, and only there
(test/pcaps/scenarios/, made by scripts/make-scenario-pcaps; facts in manifest.json).

Every capture of the manifest is replayed with detect.enabled=true, the manifest's learning
period (baseline.learning-period) and --spec FILE where the entry names a declared API. Then:
  - every detector family of `detectors` fires: an `alert` event whose api.detector is one of
    the family's rules (manifest `detector_rules`) and whose api.owasp_api is the capture's tag;
    where the attacker entry names `expect_rules`, each of those rules fires;
  - no rule fires outside the rules of `detectors` and `may_also_fire`;
  - every alert is the attacker's: an alert naming a principal names one of the principals of
    the attack's calls (attack_match in the attack window) or the attacker's client address
    (`ip:...`), and its src_ip is an attacker client (the attacker's, its usual address, or a
    source address of attack_match); an alert with no principal (a per-endpoint
    rule) is about an endpoint the attack's calls used;
  - no alert starts before the attack window (the normal traffic before it raises nothing);
  - the benign capture raises no alert at all;
  - the thin-endpoint thresholds are settings that bite: with
    detect.impersonation.thin-min-calls (or .thin-min-minutes) out of reach the thin app-only
    endpoint of impersonation-noattest gets no picture and nothing fires there, and with
    detect.unauthenticated.min-calls out of reach the unauthenticated capture stays silent.
On failure, prints a table of capture -> rules fired. Exit 1 on any failure, 77 when the
manifest or a capture is missing.
"""
import argparse, collections, concurrent.futures, datetime, ipaddress, json, os, re, subprocess
import sys, tempfile, urllib.parse


def epoch(ts):
    return datetime.datetime.strptime(ts, '%Y-%m-%dT%H:%M:%S.%f%z').timestamp()


def client_match(spec, ip):
    """Whether address ip is the attacker's client spec: an address, a CIDR range or a
    first-last range."""
    if spec is None or ip is None:
        return False
    a = ipaddress.ip_address(ip)
    if '/' in spec:
        return a in ipaddress.ip_network(spec, strict=False)
    if '-' in spec:
        lo, hi = spec.split('-', 1)
        return ipaddress.ip_address(lo) <= a <= ipaddress.ip_address(hi)
    return a == ipaddress.ip_address(spec)


def replay(args, c, tmp):
    eve = os.path.join(tmp, c['scenario'] + '.eve.json')
    cmd = [args.apiwatch, '-q', '-r', os.path.join(args.dir, c['file']), '--eve', eve, '--set',
           'detect.enabled=true', '--set',
           'baseline.learning-period=%ds' % c.get('learning_period_s', 900)]
    for kv in args.set:
        cmd += ['--set', kv]
    if c.get('spec'):
        cmd += ['--spec', os.path.join(args.root, c['spec'])]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    events = []
    if p.returncode == 0:
        with open(eve) as f:
            events = [json.loads(l) for l in f]
        os.unlink(eve)
    return p, events


def attack_calls(c, http):
    """The http events of the attack: attack_match inside the attack window."""
    m = c.get('attack_match')
    if not m:
        return []
    rx = re.compile(m['path_regex'])
    lo, hi = c['attack_window_epoch']
    out = []
    for e in http:
        h = e['http']
        if m['src_ip'] is not None and e.get('src_ip') not in m['src_ip']:
            continue
        if m['hostname'] is not None and h.get('hostname') != m['hostname']:
            continue
        if h.get('http_method') not in m['methods']:
            continue
        if m['status'] is not None and h.get('status') != m['status']:
            continue
        if not rx.match(urllib.parse.unquote(h.get('url', '').split('?', 1)[0])):
            continue
        t = epoch(e['api']['request_first'])
        if lo - 1 <= t <= hi + 1:
            out.append(e)
    return out


def check_capture(args, doc, c, tmp):
    """Returns (fired rules Counter, [failure lines])."""
    fails = []
    rules_of = doc['detector_rules']
    p, events = replay(args, c, tmp)
    if p.returncode != 0:
        return collections.Counter(), ['replay exit %d: %s' % (
            p.returncode, p.stderr.decode(errors='replace')[-300:])]
    alerts = [e for e in events if e.get('event_type') == 'alert']
    http = [e for e in events if e.get('event_type') == 'http']
    fired = collections.Counter(a['api']['detector'] for a in alerts)
    allowed = set()
    for fam in c['detectors'] + c['may_also_fire']:
        allowed.update(rules_of.get(fam, [fam]))
    for fam in c['detectors']:
        rules = rules_of.get(fam, [fam])
        tagged = [a for a in alerts if a['api']['detector'] in rules and
                  a['api'].get('owasp_api') == c['owasp_api']]
        if not tagged:
            seen = sorted({(a['api']['detector'], a['api'].get('owasp_api')) for a in alerts
                           if a['api']['detector'] in rules})
            fails.append('%s (rules %s) did not fire with %s%s' % (
                fam, ', '.join(rules), c['owasp_api'],
                '; fired with ' + repr(seen) if seen else ''))
    for rule in (c.get('attacker') or {}).get('expect_rules', []):
        if not fired.get(rule):  # the one rule that sees this attack (manifest: expect_rules)
            fails.append('%s did not fire' % rule)
    for rule in sorted(set(fired) - allowed):
        fails.append('%s fired %d times; allowed: %s' % (rule, fired[rule],
                                                          ', '.join(sorted(allowed)) or 'none'))
    att = c.get('attacker') or {}
    calls = attack_calls(c, http)
    principals = {e['api'].get('principal') for e in calls if e['api'].get('principal')}
    endpoints = {(e['http'].get('hostname'), e['http'].get('http_method'), e['api'].get('endpoint'))
                 for e in calls}
    if c['detectors'] and not calls:
        fails.append('no attack call found among the http events')
    start = c['attack_window_epoch'][0] if c.get('attack_window_epoch') else None
    for a in alerts:
        api = a['api']
        who = api.get('principal') or ''
        where = '%s %s %s %s' % (api['detector'], who or '-', api.get('method'),
                                 api.get('endpoint'))
        if start is not None and epoch(api['first_seen']) < start - 1:
            fails.append('%s: first seen %s, before the attack (%s)' % (
                where, api['first_seen'], c['attack_window'][0]))
        if who:
            if who.startswith('ip:'):
                ok = client_match(att.get('client'), who[3:]) or who in principals
            else:
                ok = who in principals
            if not ok:
                fails.append('%s: not the attacker (%s %s)' % (
                    where, att.get('principal_kind'), att.get('client')))
            elif att.get('client') and not client_match(att['client'], a.get('src_ip')) and \
                    not client_match(att.get('usual_client'), a.get('src_ip')) and \
                    a.get('src_ip') not in (c['attack_match'].get('src_ip') or []):
                fails.append('%s: src_ip %s is not an attacker client %s' % (
                    where, a.get('src_ip'), att['client']))
        elif (api.get('host'), api.get('method'), api.get('endpoint')) not in endpoints:
            fails.append('%s: endpoint not used by the attack' % where)
    # Suricata's flow.alerted: the flow of every alert's evidence call says so, and no flow
    # says so when nothing fired.
    flows = {e['flow_id']: e['flow'].get('alerted') for e in events
             if e.get('event_type') == 'flow'}
    unmarked = sorted({a['flow_id'] for a in alerts if a.get('flow_id') in flows and
                       not flows[a['flow_id']]})
    if unmarked:
        fails.append('flows of alerts without alerted: true: %s' % unmarked[:3])
    if not alerts and any(flows.values()):
        fails.append('flows marked alerted with no alert')
    return fired, fails


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--apiwatch', required=True)
    ap.add_argument('--dir', required=True, help='test/pcaps/scenarios')
    ap.add_argument('--root', required=True, help='source tree (for spec paths)')
    ap.add_argument('--jobs', type=int, default=2)
    ap.add_argument('--only', action='append', help='scenario name (repeatable)')
    ap.add_argument('--set', action='append', default=[], help='extra --set KEY=VALUE')
    args = ap.parse_args()
    mpath = os.path.join(args.dir, 'manifest.json')
    if not os.path.exists(mpath):
        print('skip: no %s' % mpath)
        return 77
    with open(mpath) as f:
        doc = json.load(f)
    caps = [c for c in doc['captures'] if not args.only or c['scenario'] in args.only]
    missing = [c['file'] for c in caps if not os.path.exists(os.path.join(args.dir, c['file']))]
    if missing:
        print('skip: captures missing: %s' % ', '.join(missing))
        return 77
    if not any(c['scenario'] == 'benign' for c in caps) and not args.only:
        print('FAIL the manifest has no benign capture')
        return 1
    results = {}
    with tempfile.TemporaryDirectory() as tmp, \
            concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        futs = {c['scenario']: pool.submit(check_capture, args, doc, c, tmp) for c in caps}
        for c in caps:
            results[c['scenario']] = futs[c['scenario']].result()
    nfail = 0
    for c in caps:
        fired, fails = results[c['scenario']]
        print('%s %s' % ('ok  ' if not fails else 'FAIL', c['scenario']))
        for line in fails:
            print('       ' + line)
        nfail += bool(fails)
    if nfail:
        print('\n%-24s %-34s %s' % ('capture', 'expected (may also)', 'fired (alerts)'))
        for c in caps:
            fired, fails = results[c['scenario']]
            exp = ','.join(c['detectors']) or '-'
            if c['may_also_fire']:
                exp += ' (' + ','.join(c['may_also_fire']) + ')'
            got = ', '.join('%s:%d' % kv for kv in sorted(fired.items())) or '-'
            print('%-24s %-34s %s%s' % (c['scenario'], exp, got, '' if fails else '  ok'))
    if not args.only:
        nfail += settings_bite(args, doc, tmp_caps=caps)
    print('%d passed, %d failed' % (len(caps) - nfail, nfail))
    return 1 if nfail else 0


# (scenario, setting, rules that must then stay silent)
SETTINGS_BITE = [
    ('impersonation-noattest', 'detect.impersonation.thin-min-calls=1000000',
     {'impersonation_headers', 'impersonation_agent'}),
    ('impersonation-noattest', 'detect.impersonation.thin-min-minutes=1000000',
     {'impersonation_headers', 'impersonation_agent'}),
    ('unauthenticated', 'detect.unauthenticated.min-calls=1000000000', {'unauthenticated'}),
]


def settings_bite(args, doc, tmp_caps):
    """Replays a few scenarios with one threshold out of reach; the rules it guards must not
    fire. Returns the number of failures."""
    caps = {c['scenario']: c for c in tmp_caps}
    nfail = 0
    with tempfile.TemporaryDirectory() as tmp:
        for scen, kv, silent in SETTINGS_BITE:
            if scen not in caps:
                continue
            a = argparse.Namespace(**vars(args))
            a.set = list(args.set) + [kv]
            p, events = replay(a, caps[scen], tmp)
            fired = {e['api']['detector'] for e in events if e.get('event_type') == 'alert'}
            bad = p.returncode != 0 or (fired & silent)
            print('%s %s with %s: %s' % ('FAIL' if bad else 'ok  ', scen, kv,
                                         ', '.join(sorted(fired)) or 'no alert'))
            nfail += bool(bad)
    return nfail


if __name__ == '__main__':
    sys.exit(main())

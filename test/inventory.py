#!/usr/bin/env python3
"""The API inventory on real traffic with known routes (test/pcaps/inventory-*.pcap, made by
scripts/make-inventory-pcaps; route truth in scripts/lib/inventory-routes.json).

inventory-apis.pcap (three REST APIs, 46 routes, 72 users, ~3300 calls):
  - every call maps to exactly one true route, and every route is called min_calls times;
  - at least 95% of calls get api.endpoint equal to their route's template up to parameter
    names (every {...} compared as {}); a per-route table of misses is printed when not;
  - the inventory holds at most 1.2 x as many templates as there are routes at the end (the
    distinct endpoints of all events, which include literal values given before their
    position turned into a parameter, are printed);
  - principals: the kind follows the credential the request carried (JWT bearer -> jwt:p:,
    Basic -> basic:p:, X-API-Key or api_key= -> apikey:p:, session cookie -> cookie:p:, none ->
    ip:), ids are a kind and 16 hex digits, one principal per connection (one user each), one
    principal per user of each kind;
  - no raw credential the users sent (JWTs, Basic passwords and their base64, API keys, session
    ids) appears anywhere in the EVE output with every header dumped; each of them is checked
    to be in the capture first, so the check cannot pass by accident;
  - two replays give byte-identical output.
inventory-scanner.pcap (400 real calls, then 20,000 random paths with one real call in 40):
  - the live template count stays bounded (stats), the inventory's memory below the template
    memcap, and >= 95% of the real calls made during the scan keep their true templates.
Prints 'N passed, N failed'; exit 1 on any failure, 77 when a capture is missing.
"""
import argparse, collections, importlib.util, json, os, re, subprocess, sys, tempfile
import urllib.parse

FAILS = []
PASSES = []
TEMPLATE_MEMCAP = 64 << 20  # path_template_config_default(): memcap
MAX_ROUTE_RATIO = 1.2
MIN_ACCURACY = 0.95


def check(name, cond, detail=''):
    (PASSES if cond else FAILS).append(name)
    print('%s %s %s' % ('ok  ' if cond else 'FAIL', name, '' if cond else detail))


def load_apis(path):
    spec = importlib.util.spec_from_file_location('aw_apis', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def run(apiwatch, pcap, eve, extra=()):
    p = subprocess.run([apiwatch, '-q', '-r', pcap, '--eve', eve] + list(extra),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    if p.returncode != 0:
        raise RuntimeError('apiwatch on %s exited %d: %s' % (pcap, p.returncode,
                                                            p.stderr.decode()))
    with open(eve, 'rb') as f:
        raw = f.read()
    return raw, [json.loads(l) for l in raw.splitlines()]


def call_path(e):
    return urllib.parse.unquote(e['http'].get('url', '').split('?', 1)[0])


def score(aw, table, calls):
    """Per route: calls, calls on the right template, and the wrong templates seen."""
    per = collections.OrderedDict()
    unmatched = []
    for e in calls:
        h = e['http']
        route, _ = aw.route_match(table, h.get('hostname'), h.get('http_method'), call_path(e))
        if route is None:
            unmatched.append('%s %s %s' % (h.get('hostname'), h.get('http_method'),
                                           h.get('url')))
            continue
        st = per.setdefault(route, [0, 0, collections.Counter()])
        st[0] += 1
        got = e['api'].get('endpoint', '')
        if aw.normalise(got) == aw.normalise(route.template):
            st[1] += 1
        else:
            st[2][got] += 1
    return per, unmatched


def miss_table(per):
    rows = ['    %-58s %6s %6s  %s' % ('route', 'calls', 'miss', 'templates given instead')]
    for r, (n, ok, wrong) in per.items():
        if ok < n:
            top = ', '.join('%s x%d' % kv for kv in wrong.most_common(3))
            more = len(wrong) - 3
            rows.append('    %-58s %6d %6d  %s%s' % ('%s %s %s' % (r.api['name'], r.method,
                                                                   r.template), n, n - ok, top,
                                                     ' (+%d more)' % more if more > 0 else ''))
    return '\n'.join(rows)


def accuracy(per):
    n = sum(v[0] for v in per.values())
    return (sum(v[1] for v in per.values()) / n if n else 0.0), n


def check_templates(aw, truth, rs, calls, stats):
    table = aw.route_table(rs)
    per, unmatched = score(aw, table, calls)
    check('every call maps to one true route', not unmatched, '\n'.join(unmatched[:20]))
    short = ['%r: %d' % (r, per.get(r, [0])[0]) for r in rs
             if per.get(r, [0])[0] < truth['min_calls']]
    check('every route called at least min_calls times', not short, ', '.join(short))
    acc, n = accuracy(per)
    print('     endpoint accuracy: %.2f%% of %d calls on the true template' % (100 * acc, n))
    check('>= %d%% of calls on the true template' % (100 * MIN_ACCURACY), acc >= MIN_ACCURACY,
          '%.2f%%\n%s' % (100 * acc, miss_table(per)))
    distinct = {(e['http'].get('hostname'), e['http'].get('http_method'),
                 e['api'].get('endpoint')) for e in calls}
    inv = stats['api']['stats']['inventory']['templates']
    live = inv['templates'] - inv['trees']  # each tree has a catch-all "/{*}"
    print('     templates: %d in the inventory at the end (catch-alls aside), %d distinct in '
          'events (literal values given before their position turned into a parameter), %d '
          'true routes' % (live, len(distinct), len(rs)))
    check('templates <= %.1f x true routes' % MAX_ROUTE_RATIO,
          live <= MAX_ROUTE_RATIO * len(rs),
          '%d templates for %d routes\n%s' % (live, len(rs), miss_table(per)))


PRINCIPAL_RE = re.compile(r'^(jwt|basic|apikey|bearer|cookie):p:[0-9a-f]{16}$|^ip:[0-9a-f.:]+$')


def expected_kind(e):
    """The principal kind the credentials on a call must give, from its dumped headers."""
    names = {h['name'].lower(): h['value'] for h in e['http'].get('request_headers', [])}
    if 'authorization' in names:
        return ('jwt', 'basic')
    if 'x-api-key' in names or 'api_key=' in e['http'].get('url', ''):
        return ('apikey',)
    if 'cookie' in names:
        return ('cookie',)
    return ('ip',)


def check_principals(aw, calls):
    bad_fmt = [e['api'].get('principal') for e in calls
               if not PRINCIPAL_RE.match(e['api'].get('principal', ''))]
    check('principal ids are a kind and a hash (or an address)', not bad_fmt, repr(bad_fmt[:5]))
    wrong = collections.Counter()
    for e in calls:
        kind = e['api'].get('principal', '').split(':', 1)[0]
        if kind not in expected_kind(e):
            wrong['%s -> %s' % ('/'.join(expected_kind(e)), kind)] += 1
    check('principal kind follows the credential', not wrong, repr(wrong))
    per_flow = collections.defaultdict(set)
    for e in calls:
        per_flow[e['flow_id']].add(e['api'].get('principal'))
    mixed = [f for f, p in per_flow.items() if len(p) > 1]
    check('one principal per connection', not mixed,
          '%d flows: %r' % (len(mixed), [per_flow[f] for f in mixed[:3]]))
    # The users that had sessions, by kind, from the fixed schedule of aw-apis.py.
    users = {u['n']: u for u in aw.make_users()}
    seen = collections.defaultdict(set)
    for e in calls:
        p = e['api'].get('principal', '')
        seen[p.split(':', 1)[0]].add(p)
    kinds = collections.defaultdict(set)
    for api, user, _, _ in aw.sessions(aw.load(), list(users.values())):
        kinds[user['auth']].add(user['n'])
    for kind, key in (('jwt', 'jwt'), ('basic', 'basic'), ('apikey', None), ('cookie', 'cookie')):
        n = (len(kinds['apikey']) + len(kinds['apikey_query']) if key is None
             else len(kinds[key]))
        check('one %s principal per user' % kind, len(seen[kind]) == n,
              '%d principals, %d users' % (len(seen[kind]), n))
    check('calls without credentials are the client address',
          seen['ip'] == {'ip:127.0.0.1'}, repr(seen['ip']))


def check_secrets(aw, pcap, raw_eve):
    with open(pcap, 'rb') as f:
        wire = f.read()
    users = aw.make_users()
    active = {u['n'] for _, u, _, _ in aw.sessions(aw.load(), users)}
    creds = aw.credentials([u for u in users if u['n'] in active])
    # A Basic password is on the wire only inside a login body; its base64 form always is.
    must = [c for c in creds if c not in {u['password'] for u in users}]
    missing = [c for c in must if c.encode() not in wire]
    on_wire = [c for c in creds if c.encode() in wire]
    check('the credentials are in the capture', not missing and len(on_wire) >= 40,
          '%d of %d missing: %r' % (len(missing), len(must), missing[:3]))
    # Query-string API keys included: http.url is written with secret parameters redacted.
    query = {u['apikey'] for u in users if u['auth'] == 'apikey_query'}
    check('query API keys are in the capture', len(query & set(on_wire)) > 0)
    leaked = [c for c in on_wire if c.encode() in raw_eve]
    check('no raw credential in the EVE output', not leaked,
          '%d leaked, e.g. %r' % (len(leaked), leaked[:3]))


def check_scanner(aw, apiwatch, pcaps, tmp, rs):
    pcap = os.path.join(pcaps, 'inventory-scanner.pcap')
    _, evs = run(apiwatch, pcap, os.path.join(tmp, 'scan.json'))
    st = [e for e in evs if e['event_type'] == 'stats'][-1]
    inv = st['api']['stats']['inventory']['templates']
    mem = st['api']['stats']['memory']['inventory']
    calls = [e for e in evs if e['event_type'] == 'http']
    table = aw.route_table(rs)
    real = [e for e in calls if aw.route_match(table, e['http'].get('hostname'),
                                               e['http'].get('http_method'),
                                               call_path(e))[0] is not None]
    scan = len(calls) - len(real)
    distinct = {e['api'].get('endpoint') for e in calls}
    print('     scanner: %d random paths, %d real calls; %d templates live (%d created, %d '
          'merged, %d collapses), %d distinct in events; %d nodes; inventory memory peak %d'
          % (scan, len(real), inv['templates'], inv['created'], inv['merged'],
             inv['collapses'], len(distinct), inv['nodes'], mem['peak']))
    check('scanner capture holds the scan', scan >= 5000 and len(real) >= 400,
          '%d random, %d real' % (scan, len(real)))
    check('scanner: live templates bounded', inv['templates'] <= 200,
          json.dumps(inv))
    check('scanner: inventory memory under the template memcap', mem['peak'] < TEMPLATE_MEMCAP,
          json.dumps(mem))
    # The first 400 real calls learn the API; the scan must not undo that for the calls
    # that come with it.
    per, _ = score(aw, table, real[400:])
    acc, n = accuracy(per)
    print('     scanner: real calls during the scan on the true template: %.2f%% of %d'
          % (100 * acc, n))
    check('scanner: real calls keep their templates', acc >= MIN_ACCURACY,
          '%.2f%%\n%s' % (100 * acc, miss_table(per)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--apiwatch', required=True)
    ap.add_argument('--pcaps', required=True)
    ap.add_argument('--apis', required=True, help='scripts/lib/aw-apis.py')
    a = ap.parse_args()
    aw = load_apis(a.apis)
    truth = aw.load()
    rs = aw.routes(truth)
    pcap = os.path.join(a.pcaps, 'inventory-apis.pcap')
    for p in (pcap, os.path.join(a.pcaps, 'inventory-scanner.pcap')):
        if not os.path.exists(p):
            print('skip: %s missing (scripts/make-inventory-pcaps makes it)' % p)
            return 77
    dump = ['--set', 'eve.http.dump-all-headers=both']
    with tempfile.TemporaryDirectory() as tmp:
        raw, evs = run(a.apiwatch, pcap, os.path.join(tmp, 'a.json'), dump)
        raw2, _ = run(a.apiwatch, pcap, os.path.join(tmp, 'b.json'), dump)
        check('two replays give identical output', raw == raw2)
        calls = [e for e in evs if e['event_type'] == 'http']
        stats = [e for e in evs if e['event_type'] == 'stats'][-1]
        check_templates(aw, truth, rs, calls, stats)
        check_principals(aw, calls)
        check_secrets(aw, pcap, raw)
        check_scanner(aw, a.apiwatch, a.pcaps, tmp, rs)
    print('%d passed, %d failed' % (len(PASSES), len(FAILS)))
    return 1 if FAILS else 0


if __name__ == '__main__':
    sys.exit(main())

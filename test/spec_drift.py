#!/usr/bin/env python3
"""End-to-end spec drift: apiwatch --spec on the inventory capture of real traffic.

  spec_drift.py --apiwatch BIN --pcaps test/pcaps --routes scripts/lib/inventory-routes.json

A spec of the shop API is written from the route truth of the capture (the routes its server
answers), then changed the way real specs drift from real APIs: one route left out (its calls
must make a shadow endpoint), one route marked deprecated (a zombie), one operation that no
client calls (an orphan); no query parameter is declared, so the calls that send one break
their operation. Checks the api_endpoint events, the spec objects of the inventory file and the
stats counters. The spec names one server (http://<shop host>): the capture's other hosts are
outside it (not routed, no shadow or zombie events, status "outside" in the inventory file);
with inventory.spec-hosts=* the spec is about every host, and their endpoints are shadow.
"""
import argparse, json, os, re, subprocess, sys, tempfile

FAILS, PASSES = [], []


def check(name, cond, detail=''):
    (PASSES if cond else FAILS).append(name)
    print('%s %s %s' % ('ok  ' if cond else 'FAIL', name, '' if cond else detail))


def oa_path(route):
    return re.sub(r'\{(\w+):\w+\}', r'{\1}', route)


def spec_yaml(api, left_out, deprecated):
    lines = ['openapi: 3.0.3', 'info: {title: %s, version: "1"}' % api['name'],
             'servers: [{url: "http://%s"}]' % api['host'], 'paths:']
    paths = {}
    for r in api['routes']:
        if (r['method'], r['route']) == left_out:
            continue
        paths.setdefault(oa_path(r['route']), []).append(r)
    paths['/api/v1/never-called'] = [{'method': 'GET', 'route': '/api/v1/never-called'}]
    for p, rs in sorted(paths.items()):
        lines.append('  "%s":' % p)
        for r in rs:
            op = r['method'].lower()
            oid = '%s_%s' % (op, re.sub(r'\W+', '_', p).strip('_'))
            lines.append('    %s:' % op)
            lines.append('      operationId: %s' % oid)
            if (r['method'], r['route']) == deprecated:
                lines.append('      deprecated: true')
            params = re.findall(r'\{(\w+):\w+\}', r['route'])
            if params:
                lines.append('      parameters:')
                for n in params:
                    lines.append('        - {name: %s, in: path, required: true, '
                                 'schema: {type: string}}' % n)
            lines.append('      responses: {"200": {description: ok}}')
    return '\n'.join(lines) + '\n'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--apiwatch', required=True)
    ap.add_argument('--pcaps', required=True)
    ap.add_argument('--routes', required=True)
    a = ap.parse_args()
    pcap = os.path.join(a.pcaps, 'inventory-apis.pcap')
    if not os.path.exists(pcap):
        print('skip: %s missing' % pcap)
        return 77
    shop = dict([x for x in json.load(open(a.routes))['apis'] if x['name'] == 'shop'][0])
    # Routes of the attack scenarios are not in the inventory capture.
    shop['routes'] = [r for r in shop['routes'] if not r.get('scenario')]
    gets = [r for r in shop['routes'] if r['method'] == 'GET']
    left_out = (gets[-1]['method'], gets[-1]['route'])
    deprecated = (gets[0]['method'], gets[0]['route'])
    with tempfile.TemporaryDirectory() as tmp:
        spec = os.path.join(tmp, 'shop.yaml')
        open(spec, 'w').write(spec_yaml(shop, left_out, deprecated))
        eve, inv = os.path.join(tmp, 'eve.json'), os.path.join(tmp, 'inv.json')
        p = subprocess.run([a.apiwatch, '-q', '-r', pcap, '--eve', eve, '--spec', spec,
                            '--inventory', inv], stderr=subprocess.PIPE, timeout=120)
        check('apiwatch --spec exits 0', p.returncode == 0, p.stderr.decode()[-400:])
        if p.returncode:
            return 1
        evs = [json.loads(l) for l in open(eve)]
        ae = [e['api_endpoint'] for e in evs if e['event_type'] == 'api_endpoint']
        shop_ev = [x for x in ae if x.get('host') == shop['host'] or x['event'] == 'orphan']
        kinds = {}
        for x in shop_ev:
            kinds.setdefault(x['event'], []).append(x)
        shadow = [x for x in kinds.get('shadow', []) if x['method'] == left_out[0]]
        check('shadow event for the undeclared route',
              any(re.sub(r'\{\w+\}', '{}', x['template']) ==
                  re.sub(r'\{\w+(:\w+)?\}', '{}', left_out[1]) for x in shadow),
              json.dumps(kinds.get('shadow', []))[:600])
        check('shadow events are for undeclared routes only',
              all(x['spec'] == {'declared': False} for x in kinds.get('shadow', [])),
              json.dumps(kinds.get('shadow', []))[:600])
        zombie = kinds.get('zombie', [])
        check('zombie event for the deprecated route',
              any(x['spec']['path'] == oa_path(deprecated[1]) and x['spec']['deprecated']
                  for x in zombie), json.dumps(zombie)[:600])
        orphans = kinds.get('orphan', [])
        check('orphan event for the operation no client calls',
              [x['spec']['path'] for x in orphans] == ['/api/v1/never-called'],
              json.dumps(orphans)[:600])
        other = [x for x in ae if x['event'] in ('shadow', 'zombie') and
                 x.get('host') != shop['host']]
        check('other hosts are outside the spec: no shadow or zombie events', not other,
              json.dumps(other[:2]))
        doc = json.load(open(inv))
        outside = [e for e in doc['endpoints'] if e['host'] != shop['host']]
        check('other hosts\' endpoints are "outside" in the inventory file',
              outside and all(e.get('spec', {}).get('status') == 'outside' for e in outside),
              json.dumps([e.get('spec') for e in outside[:3]]))
        check('the inventory file names the spec\'s host',
              doc['spec'].get('hosts') == [shop['host']] and
              doc['spec'].get('outside_endpoints', 0) >= 1, json.dumps(doc['spec'])[:300])
        eps = [e for e in doc['endpoints'] if e['host'] == shop['host']]
        declared = [e for e in eps if e.get('spec', {}).get('status') == 'declared']
        check('declared endpoints checked call by call',
              declared and all(e['spec']['checked'] >= 1 for e in declared),
              json.dumps([e.get('spec') for e in eps])[:600])
        check('inventory lists the orphan',
              [o['path'] for o in doc['spec']['orphans']] == ['/api/v1/never-called'],
              json.dumps(doc.get('spec'))[:400])
        st = [e for e in evs if e['event_type'] == 'stats'][-1]['api']['stats']['inventory']
        sp = st['endpoints'].get('spec', {})
        check('stats count the drift', sp.get('orphans') == 1 and
              sp.get('shadow_endpoints', 0) >= 1 and sp.get('zombie_endpoints', 0) >= 1 and
              sp.get('checked', 0) > 0 and sp.get('outside_endpoints', 0) >= 1 and
              sp.get('outside_calls', 0) > 0, json.dumps(sp))
        # Scoped to every host: the other hosts' endpoints are shadow.
        eve3 = os.path.join(tmp, 'eve3.json')
        subprocess.run([a.apiwatch, '-q', '-r', pcap, '--eve', eve3, '--spec', spec, '--set',
                        'inventory.spec-hosts=*'], check=True, timeout=120)
        ae3 = [json.loads(l)['api_endpoint'] for l in open(eve3)
               if '"event_type":"api_endpoint"' in l]
        other3 = [x for x in ae3 if x['event'] in ('shadow', 'zombie') and
                  x.get('host') != shop['host']]
        check('inventory.spec-hosts=*: other hosts are shadow',
              other3 and all(x['event'] == 'shadow' for x in other3), json.dumps(other3[:2]))
        # Same run twice: same bytes.
        eve2 = os.path.join(tmp, 'eve2.json')
        subprocess.run([a.apiwatch, '-q', '-r', pcap, '--eve', eve2, '--spec', spec],
                       check=True, timeout=120)
        norm = lambda f: [l for l in open(f) if '"event_type":"stats"' not in l]
        check('drift events identical across runs', norm(eve) == norm(eve2))
    print('%d passed, %d failed' % (len(PASSES), len(FAILS)))
    return 1 if FAILS else 0


if __name__ == '__main__':
    sys.exit(main())

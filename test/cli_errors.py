#!/usr/bin/env python3
"""The command line's errors: each is one clear line on stderr and a non-zero exit.

Covers a missing file, an unreadable file, a file that is not a capture, a bad BPF filter, a
missing interface, a bad setting, a bad configuration file, an unwritable EVE path, bad
OpenAPI specs (--spec) and usage errors; and the good paths --help, --version,
--list-settings and a good spec.
"""
import argparse, os, subprocess, sys, tempfile


def run(apiwatch, args):
    p = subprocess.run([apiwatch] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    return p.returncode, p.stdout.decode(errors='replace'), p.stderr.decode(errors='replace')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--apiwatch', required=True)
    ap.add_argument('--pcaps', required=True)
    a = ap.parse_args()
    good = os.path.join(a.pcaps, 'http-basic.pcap')
    if not os.path.exists(good):
        good = None
    tmp = tempfile.mkdtemp(prefix='apiwatch-cli-')
    notcap = os.path.join(tmp, 'notes.txt')
    with open(notcap, 'w') as f:
        f.write('this is not a capture file\n' * 10)
    badyaml = os.path.join(tmp, 'bad.yaml')
    with open(badyaml, 'w') as f:
        f.write('flow:\n  memcap: lots\n')
    goodyaml = os.path.join(tmp, 'good.yaml')
    with open(goodyaml, 'w') as f:
        f.write('flow:\n  memcap: 16mb\n  timeout:\n    tcp:\n      new: 30s\nstats:\n  interval: 0\n')
    eve = os.path.join(tmp, 'eve.json')
    specs = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'specs')
    emptyspec = os.path.join(tmp, 'empty.yaml')
    open(emptyspec, 'w').close()
    run_good = ['-r', good or notcap, '--eve', eve]
    cases = [
        # (args, expected exit, text expected in the one stderr line)
        (['-r', os.path.join(tmp, 'missing.pcap')], 1, 'No such file'),
        (['-r', notcap], 1, 'not a readable capture file'),
        (['-r', tmp], 1, 'apiwatch:'),
        (['-r', good or notcap, '-f', 'tcp port and and', '--eve', eve], 1, 'invalid filter'),
        (['-i', 'aw-no-such-if0', '--eve', eve], 1, 'aw-no-such-if0'),
        (['-r', good or notcap, '--set', 'flow.memcap=lots', '--eve', eve], 2, 'flow.memcap'),
        (['-r', good or notcap, '--set', 'no.such.key=1', '--eve', eve], 2, 'unknown setting'),
        (['-r', good or notcap, '-c', badyaml, '--eve', eve], 2, 'bad.yaml:2'),
        (['-r', good or notcap, '--set', 'inventory.trusted-proxies=10.0.0.0/33', '--eve', eve],
         2, 'trusted-proxies'),
        (['-r', good or notcap, '--eve', os.path.join(tmp, 'no/such/dir/eve.json')], 1,
         'cannot open EVE output'),
        (run_good + ['--spec', os.path.join(tmp, 'missing.yaml')], 1, 'missing.yaml: No such file'),
        (run_good + ['--spec', tmp], 1, 'Is a directory'),
        (run_good + ['--spec', emptyspec], 1, 'empty.yaml: empty file'),
        (run_good + ['--spec', notcap], 1, 'notes.txt:1:1: #: not an OpenAPI document'),
        (run_good + ['--spec', os.path.join(specs, 'not-yaml.yaml')], 1,
         'not-yaml.yaml:4:8: not valid YAML'),
        (run_good + ['--spec', os.path.join(specs, 'bad-in.yaml')], 1,
         "bad-in.yaml:8:15: #/paths/~1x/get/parameters/0: 'in' must be"),
        (run_good + ['--spec', os.path.join(specs, 'ref-loop.yaml')], 1, '$ref chain longer'),
        (run_good + ['--spec', os.path.join(specs, 'swagger2.yaml')], 1, 'Swagger 2.0'),
        (run_good + ['--set', 'inventory.spec=' + 'x' * 2000], 2, 'inventory.spec'),
        (['-r', 'x.pcap', '--spec'], 2, 'Usage'),
        ([], 2, 'give either'),
        (['-r', 'x.pcap', '-i', 'lo'], 2, 'give either'),
        (['--no-such-option'], 2, 'Usage'),
    ]
    failures = 0
    for args, want_rc, want_text in cases:
        rc, out, err = run(a.apiwatch, args)
        first = err.strip().splitlines()[0] if err.strip() else ''
        ok = rc == want_rc and want_text in err and (want_rc == 2 or len(err.strip().splitlines()) == 1)
        print('%s %s -> %d %r' % ('ok  ' if ok else 'FAIL', ' '.join(args), rc, first))
        failures += not ok
    for args in (['--help'], ['--version'], ['--list-settings']):
        rc, out, err = run(a.apiwatch, args)
        ok = rc == 0 and out.strip() != ''
        print('%s %s -> %d' % ('ok  ' if ok else 'FAIL', ' '.join(args), rc))
        failures += not ok
    if good:
        rc, out, err = run(a.apiwatch, ['-r', good, '-c', goodyaml, '--eve', eve])
        ok = rc == 0 and os.path.getsize(eve) > 0
        print('%s config file accepted -> %d' % ('ok  ' if ok else 'FAIL', rc))
        failures += not ok
    if good:
        for spec in ('petstore.yaml', 'library.json'):
            # The capture's host is none of the spec's servers: scoped to every host here.
            rc, out, err = run(a.apiwatch, ['-r', good, '-q', '--eve', eve, '--spec',
                                            os.path.join(specs, spec), '--set',
                                            'inventory.spec-hosts=*'])
            ok = rc == 0 and err.strip() == ''
            print('%s spec %s accepted -> %d %r' % ('ok  ' if ok else 'FAIL', spec, rc, err))
            failures += not ok
        # Scoped by its servers (library.example.test) to a host that gets no call: one
        # warning line, exit 0; a bad host list is a settings error (exit 2).
        rc, out, err = run(a.apiwatch, ['-r', good, '-q', '--eve', eve, '--spec',
                                        os.path.join(specs, 'library.json')])
        ok = rc == 0 and err.count('\n') == 1 and 'is about host library.example.test' in err \
            and 'inventory.spec-hosts' in err
        print('%s spec scoped to a host without calls warns once -> %d %r'
              % ('ok  ' if ok else 'FAIL', rc, err))
        failures += not ok
        rc, out, err = run(a.apiwatch, ['-r', good, '-q', '--eve', eve, '--spec',
                                        os.path.join(specs, 'library.json'), '--set',
                                        'inventory.spec-hosts=a.test,,b.test'])
        ok = rc == 2 and err.count('\n') == 1 and 'inventory.spec-hosts' in err
        print('%s empty name in inventory.spec-hosts refused -> %d %r'
              % ('ok  ' if ok else 'FAIL', rc, err))
        failures += not ok
    print('%d passed, %d failed' % (len(cases) + 3 + (5 if good else 0) - failures, failures))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())

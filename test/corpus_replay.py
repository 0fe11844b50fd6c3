#!/usr/bin/env python3
"""Replay every capture of the third-party corpus (../shared/corpus) through apiwatch.

Passes when every run exits 0 (or 1 with a one-line message for a file that is not a capture),
within its time limit, with no sanitizer report on stderr. Skips (exit 77) when the corpus is
absent, as it is in a user's clone.
"""
import argparse, csv, os, subprocess, sys, tempfile
from concurrent.futures import ThreadPoolExecutor

SANITIZER_MARKS = ('ERROR: AddressSanitizer', 'runtime error:', 'ERROR: LeakSanitizer',
                   'UndefinedBehaviorSanitizer')


def captures(corpus):
    seen = set()
    index = os.path.join(corpus, 'INDEX.tsv')
    if os.path.exists(index):
        with open(index) as f:
            for row in csv.DictReader(f, delimiter='\t'):
                for key in ('pcap_path', 'capture', 'pcap'):
                    if row.get(key):
                        p = os.path.normpath(os.path.join(corpus, row[key]))
                        if p not in seen and os.path.isfile(p):
                            seen.add(p)
                        break
    for root, _, files in os.walk(corpus):
        for name in files:
            if name.endswith(('.pcap', '.pcapng', '.cap', '.trace', '.pcap.gz')):
                p = os.path.normpath(os.path.join(root, name))
                if p not in seen:
                    seen.add(p)
    return sorted(seen)


def replay(apiwatch, pcap, tmpdir):
    eve = os.path.join(tmpdir, '%d.json' % abs(hash(pcap)))
    try:
        proc = subprocess.run([apiwatch, '-q', '-r', pcap, '--eve', eve],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
    except subprocess.TimeoutExpired:
        return pcap, 'timeout'
    finally:
        if os.path.exists(eve):
            os.remove(eve)
    err = proc.stderr.decode(errors='replace')
    if any(m in err for m in SANITIZER_MARKS):
        return pcap, 'sanitizer report:\n' + err[:4000]
    if proc.returncode == 0:
        return pcap, None
    if proc.returncode == 1 and len(err.strip().splitlines()) == 1:
        return pcap, None       # not a capture libpcap reads: refused with one clear line
    return pcap, 'exit %d: %s' % (proc.returncode, err[:2000])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--apiwatch', required=True)
    ap.add_argument('--corpus', required=True)
    ap.add_argument('--jobs', type=int, default=os.cpu_count() or 2)
    a = ap.parse_args()
    if not os.path.isdir(a.corpus):
        print('corpus %s absent: skipped' % a.corpus)
        return 77
    pcaps = captures(a.corpus)
    failures = []
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(a.jobs) as pool:
        for pcap, why in pool.map(lambda p: replay(a.apiwatch, p, tmp), pcaps):
            if why:
                failures.append((pcap, why))
    for pcap, why in failures:
        print('FAIL %s: %s' % (pcap, why))
    print('%d passed, %d failed' % (len(pcaps) - len(failures), len(failures)))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())

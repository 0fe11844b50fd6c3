#!/usr/bin/env python3
"""The Redis baseline store against a real redis-server started here on a free loopback port.

  baseline_redis.py --apiwatch BIN --pcaps DIR

  1. Two sensors sharing one Redis (each replays half of the captures, at the same time) learn
     the profile one sensor learns from all of them: every per-call counter is equal.
  2. A dead Redis at start is not fatal: a clear warning, exit 0, EVE written, failures counted.
  3. Redis coming up while the sensor still holds its minutes (the exit drain): it reconnects
     and writes them; the keys then count every call.
  4. Redis killed between two runs that share it, then restarted from its append-only file:
     the second sensor finds it dead, keeps working, and catches up once it is back.
  5. What the detectors learn into the profile is shared: one sensor learns the record
     histogram and object counts of the wallet API (a scenario capture), a second sensor on
     another capture of it adds its own, as much as it learns alone, and reads the sum back
     (its saved baseline holds it).
Exit 0 on success, 1 on failure, 77 (skipped) when redis-server is not installed.
"""
import argparse, json, os, shutil, socket, struct, subprocess, sys, tempfile, time

FAILED = []


def check(name, ok, detail=''):
    print('%s: %s%s' % ('ok' if ok else 'FAIL', name, '' if ok else ' (%s)' % detail))
    if not ok:
        FAILED.append(name)


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Redis:
    def __init__(self, port, workdir, aof=False):
        args = ['redis-server', '--port', str(port), '--bind', '127.0.0.1', '--save', '',
                '--dir', workdir, '--appendonly', 'yes' if aof else 'no']
        if aof:
            args += ['--appendfsync', 'always']
        self.port = port
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if self.cli('PING') == 'PONG':
                return
            time.sleep(0.05)
        raise RuntimeError('redis-server did not start')

    def cli(self, *args):
        p = subprocess.run(['redis-cli', '-p', str(self.port)] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=30)
        return p.stdout.decode().strip()

    def hgetall(self, key):
        vals = self.cli('--raw', 'HGETALL', key).splitlines()
        return dict(zip(vals[0::2], vals[1::2]))

    def keys(self, pattern):
        return [k for k in self.cli('--scan', '--pattern', pattern).splitlines() if k]

    def kill(self):
        self.proc.kill()
        self.proc.wait()


def profiles(r, prefix):
    """Endpoint profiles under prefix, without the per-minute derived fields (one sensor
    replaying files whose times go backwards counts their calls in its latest minute) and
    latencies (for the same reason the pipeline clock, not the file, times those calls)."""
    out = {}
    for k in r.keys(prefix + 'ep:*'):
        if ':m:' in k:
            continue
        h = r.hgetall(k)
        out[k[len(prefix):]] = {f: v for f, v in h.items()
                                if not f.startswith(('minutes', 'calls_sq', 'fails_sq', 'd1',
                                                     'd2', 'first', 'last', 'body', 'sens',
                                                     'other_body', 'b:', 'lt', 'lat_'))}
    return out


def run(aw, args, tmp, name, wait=True):
    eve = os.path.join(tmp, name + '.json')
    cmd = [aw, '--eve', eve] + args
    if not wait:
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE), eve
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    return p.returncode, p.stderr.decode(), eve


def stats(eve):
    evs = [json.loads(l) for l in open(eve)]
    st = [e for e in evs if e['event_type'] == 'stats'][-1]
    return st['api']['stats']['baseline'], sum(1 for e in evs if e['event_type'] == 'http')


def total_calls(r, prefix):
    return sum(int(r.hgetall(k).get('calls', 0)) for k in r.keys(prefix + 'ep:*')
               if ':m:' not in k)


# Fields the detectors learn into an endpoint profile (docs/baselines.md).
LEARNED = ['objects', 'objects_shared'] + ['rc%02d' % i for i in range(24)]


def learned_fields(r, prefix):
    """The detectors' fields of every endpoint profile under prefix, by endpoint key."""
    out = {}
    for k in r.keys(prefix + 'ep:*'):
        if ':m:' not in k:
            h = r.hgetall(k)
            out[k[len(prefix) + 3:]] = [int(h.get(f, 0)) for f in LEARNED]
    return out


def file_learned_fields(path):
    """The same fields of every endpoint of a baseline file (format version 2: the named
    counters end with objects, objects_shared; the record histogram is the last 24 fields)."""
    with open(path, 'rb') as f:
        d = f.read()
    magic, ver, nf, _, nl, _, ne, _, _, _ = struct.unpack_from('<8sIIIIIIIIQ', d, 0)
    if magic != b'AWBASELN' or ver != 2:
        return {}
    named = nf - 40 - 40 - 16 - 24
    out, off = {}, 48
    for _ in range(ne):
        key = struct.unpack_from('<Q', d, off)[0]
        fields = struct.unpack_from('<%dQ' % nf, d, off + 24)
        off += 24 + 8 * nf
        for _ in range(nl):
            off += 4 + 16 * struct.unpack_from('<I', d, off)[0]
        out['%016x' % key] = [fields[named - 2], fields[named - 1]] + list(fields[nf - 24:])
    return out


def shared_history(a, tmp, scen):
    """5. Two sensors, one learned record histogram."""
    # The records rule cannot fire on the second capture (its attack is answered 403/404), so
    # what a sensor learns there does not depend on what it reads back (a response the rule
    # fires on is not learned). Both are small enough for the batch queue (no queue_drops).
    caps = [os.path.join(scen, n) for n in ('data-exposure.pcap.gz', 'bola-random.pcap.gz')]
    if not all(os.path.exists(c) for c in caps):
        print('skipped: shared detector history (no scenario captures in %s)' % scen)
        return
    port = free_port()
    r = Redis(port, tmp)
    url = 'redis://127.0.0.1:%d' % port
    fast = ['--set', 'baseline.redis.flush-interval=20ms']
    saved = os.path.join(tmp, 'second.bl')
    try:
        rc1, err1, eve1 = run(a.apiwatch, ['-q', '-r', caps[0], '--redis', url] + fast, tmp,
                              'first')
        first = learned_fields(r, 'apiwatch:')
        rc2, err2, eve2 = run(a.apiwatch, ['-q', '-r', caps[1], '--redis', url,
                                           '--baseline-save', saved] + fast, tmp, 'second')
        both = learned_fields(r, 'apiwatch:')
        rc3, err3, eve3 = run(a.apiwatch, ['-q', '-r', caps[1], '--redis', url, '--set',
                                           'baseline.redis.prefix=solo:'] + fast, tmp, 'solo')
        own = learned_fields(r, 'solo:')
    finally:
        r.kill()
    check('history: three sensors exit 0', rc1 == rc2 == rc3 == 0, err1 + err2 + err3)
    if rc1 or rc2 or rc3:
        return
    st = [stats(e)[0]['redis'] for e in (eve1, eve2, eve3)]
    check('history: every finished minute written',
          all(x['failures'] == x['queue_drops'] == x['minutes_unwritten'] == 0 for x in st),
          json.dumps(st))
    zero = [0] * len(LEARNED)
    F, O = (lambda k: first.get(k, zero)), (lambda k: own.get(k, zero))
    common = [k for k in both if sum(F(k)[2:]) >= 30 and sum(O(k)[2:])]
    check('history: both sensors learned a record histogram of one endpoint', common,
          json.dumps({'first': first, 'own': own})[:600])
    check('history: both sensors counted shared objects of one endpoint',
          any(F(k)[1] and O(k)[1] for k in both), json.dumps({'first': first, 'own': own})[:600])
    bad = {k: (F(k), O(k), both.get(k)) for k in set(both) | set(first) | set(own)
           if [x + y for x, y in zip(F(k), O(k))] != both.get(k, zero)}
    check('history: Redis holds the sum of the two sensors\' figures', not bad,
          json.dumps(bad)[:600])
    back = file_learned_fields(saved)
    bad = {k: (v, both.get(k)) for k, v in back.items() if v != both.get(k, zero)}
    check('history: the second sensor read the shared histogram back (its saved baseline)',
          back and all(k in back for k in common) and not bad, json.dumps(bad)[:600])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--apiwatch', required=True)
    ap.add_argument('--pcaps', required=True)
    a = ap.parse_args()
    if not shutil.which('redis-server') or not shutil.which('redis-cli'):
        print('skipped: redis-server is not installed (scripts/install-deps --test installs it)')
        return 77
    P = lambda n: os.path.join(a.pcaps, n)
    half1 = [P('http-keepalive.pcap'), P('http-pipelined.pcap'), P('http-post-json.pcap')]
    half2 = [P('http-basic.pcap'), P('http10.pcap'), P('http-gzip.pcap')]
    fast = ['--set', 'baseline.redis.flush-interval=20ms']
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        r = Redis(port, tmp)
        url = 'redis://127.0.0.1:%d' % port
        try:
            # 1. Two sensors, one picture.
            pa, _ = run(a.apiwatch, ['-q', '-r'] + half1 + ['--redis', url] + fast, tmp, 'a',
                        wait=False)
            pb, _ = run(a.apiwatch, ['-q', '-r'] + half2 + ['--redis', url] + fast, tmp, 'b',
                        wait=False)
            check('two sensors exit 0', pa.wait(60) == 0 and pb.wait(60) == 0)
            rc, err, eve = run(a.apiwatch, ['-q', '-r'] + half1 + half2 +
                               ['--redis', url, '--set', 'baseline.redis.prefix=one:'] + fast,
                               tmp, 'one')
            two, one = profiles(r, 'apiwatch:'), profiles(r, 'one:')
            diff = {k: (two.get(k), one.get(k)) for k in set(two) | set(one)
                    if two.get(k) != one.get(k)}
            check('shared profiles equal one sensor\'s', two and not diff,
                  json.dumps(diff)[:800])
            st, ncalls = stats(eve)
            check('round trips counted', 1 <= st['redis']['round_trips'] <= 4 and
                  st['redis']['failures'] == 0, json.dumps(st))
            check('every call in Redis', total_calls(r, 'one:') == ncalls > 0,
                  '%d vs %d' % (total_calls(r, 'one:'), ncalls))
            per_min = [k for k in r.keys('one:ep:*:m:*') if not k.endswith((':pr', ':cl'))]
            ttl = int(r.cli('TTL', per_min[0])) if per_min else -1
            check('per-minute keys expire', 0 < ttl <= 7201, str(ttl))
            hll = [k for k in r.keys('one:ep:*:m:*:pr')]
            check('distinct principals are HyperLogLogs',
                  hll and int(r.cli('PFCOUNT', hll[0])) >= 1, str(hll[:1]))
        finally:
            r.kill()

        # 2. Dead Redis at start.
        dead = 'redis://127.0.0.1:%d' % free_port()
        rc, err, eve = run(a.apiwatch, ['-q', '-r', P('http-keepalive.pcap'), '--redis', dead,
                                        '--set', 'baseline.redis.drain-timeout=300ms'],
                           tmp, 'dead')
        st, ncalls = stats(eve)
        check('dead Redis is not fatal', rc == 0 and ncalls > 0, err)
        check('dead Redis warns once', err.count('warning: baseline store: Redis at') == 1 and
              'learning goes on locally' in err, err)
        check('dead Redis counted', st['redis']['connect_failures'] >= 1 and
              st['redis']['minutes_written'] == 0 and st['redis']['batches_pending'] >= 1,
              json.dumps(st))

        # 3. Redis comes up during the exit drain: the sensor catches up.
        port = free_port()
        url = 'redis://127.0.0.1:%d' % port
        p, eve = run(a.apiwatch, ['-q', '-r'] + half1 + ['--redis', url, '--set',
                                                          'baseline.redis.drain-timeout=20s'],
                     tmp, 'late', wait=False)
        time.sleep(1.0)
        r = Redis(port, tmp)
        try:
            rc = p.wait(60)
            err = p.stderr.read().decode()
            st, ncalls = stats(eve)
            check('late Redis: exit 0', rc == 0, err)
            check('late Redis: reconnected and caught up',
                  st['redis']['reconnects'] >= 1 and st['redis']['connect_failures'] >= 1 and
                  st['redis']['minutes_unwritten'] == 0 and 'is back' in err, json.dumps(st))
            check('late Redis: keys count every call', total_calls(r, 'apiwatch:') == ncalls,
                  '%d vs %d' % (total_calls(r, 'apiwatch:'), ncalls))
        finally:
            r.kill()

        # 4. Redis killed and restarted from its append-only file between two sensors' writes.
        port = free_port()
        url = 'redis://127.0.0.1:%d' % port
        aof = os.path.join(tmp, 'aof')
        os.mkdir(aof)
        r = Redis(port, aof, aof=True)
        rc, err, eve1 = run(a.apiwatch, ['-q', '-r'] + half1 + ['--redis', url], tmp, 'k1')
        r.kill()
        p, eve2 = run(a.apiwatch, ['-q', '-r'] + half2 + ['--redis', url, '--set',
                                                           'baseline.redis.drain-timeout=20s'],
                      tmp, 'k2', wait=False)
        time.sleep(1.0)
        r = Redis(port, aof, aof=True)
        try:
            rc2 = p.wait(60)
            st, n2 = stats(eve2)
            _, n1 = stats(eve1)
            check('killed Redis: second sensor exit 0, caught up',
                  rc == 0 and rc2 == 0 and st['redis']['minutes_unwritten'] == 0 and
                  st['redis']['connect_failures'] >= 1, json.dumps(st))
            check('killed Redis: both sensors\' calls in Redis after the restart',
                  total_calls(r, 'apiwatch:') == n1 + n2,
                  '%d vs %d' % (total_calls(r, 'apiwatch:'), n1 + n2))
        finally:
            r.kill()

        # 5. The detectors' history, shared.
        shared_history(a, tmp, os.path.join(a.pcaps, 'scenarios'))

        # 6. A replay outruns the Redis thread: with a queue of two small batches the packet
        # thread waits for it (capture files only) instead of dropping finished minutes.
        benign = os.path.join(a.pcaps, 'scenarios', 'benign.pcap.gz')
        if os.path.exists(benign):
            port = free_port()
            r = Redis(port, tmp)
            try:
                rc, err, eve = run(a.apiwatch, ['-q', '-r', benign, '--redis',
                                                'redis://127.0.0.1:%d' % port, '--set',
                                                'baseline.redis.queue-batches=2', '--set',
                                                'baseline.redis.batch-size=64KiB'], tmp, 'full')
                st, ncalls = stats(eve)
                red = st['redis']
                check('full queue: the replay waited, nothing dropped',
                      rc == 0 and red['queue_waits'] >= 1 and red['queue_drops'] == 0 and
                      red['minutes_written'] == st['minutes_finished'] and
                      red['minutes_unwritten'] == 0, json.dumps(red))
                check('full queue: every call in Redis', total_calls(r, 'apiwatch:') == ncalls,
                      '%d vs %d' % (total_calls(r, 'apiwatch:'), ncalls))
            finally:
                r.kill()
    return 1 if FAILED else 0


if __name__ == '__main__':
    sys.exit(main())

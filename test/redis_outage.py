#!/usr/bin/env python3
"""Redis killed (SIGKILL) in the middle of a live capture and restarted: no alert is lost and
the baseline store resumes.

  redis_outage.py --apiwatch BIN --dir test/pcaps/scenarios --spec test/specs/scenario-apis.yaml

Everything runs inside a private network namespace made here: a veth pair (aw-tx, aw-rx) and
the namespace's own loopback. tcpreplay sends a scenario-built capture into aw-tx; apiwatch
captures it on aw-rx (`-i aw-rx`). The replayed frames carry the capture's addresses
(127.x.y.z, destination MAC zero), so the kernel on aw-rx drops them as not for this host: no
reset ever answers them, and nothing leaves the namespace. redis-server listens on 127.0.0.1
of the namespace's loopback: apiwatch (in the namespace) reaches it there, the test reaches it
with `ip netns exec`, its port cannot clash with anything on the host, and its traffic is not
on the captured interface. It runs with appendonly + appendfsync always, so every write it
acknowledged survives the SIGKILL: after the restart, whatever is missing was lost by the
sensor, not by Redis.

The replayed capture: jwt-unsigned then shadow-endpoint (manifest.json), each compressed in
time SPEEDUP times (with -i, packet time is capture time, i.e. the wall clock: the learning
period is scaled the same way). The two attacks need no armed baseline, so their alerts come
at known moments: the first capture's before the outage, the second's while Redis is dead.

Baseline minutes are packet-time minutes, here wall-clock minutes: one is written to Redis
only when a wall-clock minute ends. The run is placed so that a minute ends after Redis was
killed (a write then fails or finds the connection dead, and is retried after the restart):
the test waits, if needed, until the next minute boundary falls in the right place, and keeps
apiwatch running (idle: packet time follows the wall clock) until that minute was written.

Checks:
  - every alert event of the EVE file is in the Redis list (compared as JSON), those raised
    during the outage included; the sink counts the outage (failed >= 1, reconnects >= 1,
    undelivered 0);
  - api.stats.baseline.redis counts the outage (failures + connect_failures >= 1, reconnects
    >= 1, minutes_unwritten 0);
  - the baseline keys survive the restart and grow after it: the calls counted in Redis
    after the restart minus those held at the restart are at least the http events of the
    calls made after the restart, and the total is at least every http event (a minute whose
    reply was lost may be counted twice: at least once);
  - a per-minute key exists for a minute that ended after the restart.
Exit 0 on success, 1 on failure, 77 (skipped) without root, network namespaces, tcpreplay,
redis-server or the captures.
"""
import argparse, datetime, gzip, json, os, shutil, signal, struct, subprocess, sys, tempfile
import time

SPEEDUP = 240  # 32 minutes of capture in 8 seconds
CAPTURES = ['jwt-unsigned.pcap.gz', 'shadow-endpoint.pcap.gz']
GAP_S = 0.5  # between the two captures
PORT = 6379  # inside the namespace
FAILED = []


def check(name, ok, detail=''):
    print('%s: %s%s' % ('ok' if ok else 'FAIL', name, '' if ok else ' (%s)' % detail))
    if not ok:
        FAILED.append(name)


def skip(why):
    print('skipped: ' + why)
    sys.exit(77)


def build_capture(paths, out):
    """Concatenates the captures, each compressed SPEEDUP times, into one pcap (microsecond
    records, as the scenario captures are). Returns the replay's duration in seconds and the
    offset of each capture's start."""
    t = 0.0
    starts = []
    with open(out, 'wb') as w:
        for n, p in enumerate(paths):
            data = gzip.open(p).read()
            magic, = struct.unpack('<I', data[:4])
            if magic != 0xa1b2c3d4:
                raise RuntimeError('%s: not a little-endian microsecond pcap' % p)
            if n == 0:
                w.write(data[:24])
            i, t0 = 24, None
            starts.append(t)
            last = t
            while i < len(data):
                s, us, incl, orig = struct.unpack('<IIII', data[i:i + 16])
                pt = s + us / 1e6
                if t0 is None:
                    t0 = pt
                nt = 1e9 + t + (pt - t0) / SPEEDUP
                last = nt - 1e9
                w.write(struct.pack('<IIII', int(nt), int(round((nt % 1) * 1e6)) % 1000000,
                                    incl, orig))
                w.write(data[i + 16:i + 16 + incl])
                i += 16 + incl
            t = last + GAP_S
    return t - GAP_S, starts


class Netns:
    def __init__(self, name):
        self.name = name
        self.procs = []
        r = subprocess.run(['ip', 'netns', 'add', name], stderr=subprocess.PIPE)
        if r.returncode != 0:
            skip('cannot create a network namespace: ' + r.stderr.decode().strip())
        self.ok = True

    def run(self, *cmd, check=True, timeout=30):
        r = subprocess.run(['ip', 'netns', 'exec', self.name] + list(cmd),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        if check and r.returncode != 0:
            raise RuntimeError('%s: %s' % (' '.join(cmd), r.stderr.decode().strip()))
        return r.stdout.decode()

    def popen(self, cmd, **kw):
        # ip netns exec replaces itself with the command: the pid is the command's.
        p = subprocess.Popen(['ip', 'netns', 'exec', self.name] + cmd, **kw)
        self.procs.append(p)
        return p

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        subprocess.run(['ip', 'netns', 'del', self.name], stderr=subprocess.DEVNULL)


class Redis:
    def __init__(self, ns, workdir):
        self.ns, self.workdir, self.proc = ns, workdir, None

    def start(self):
        self.proc = self.ns.popen(
            ['redis-server', '--port', str(PORT), '--bind', '127.0.0.1', '--save', '',
             '--dir', self.workdir, '--appendonly', 'yes', '--appendfsync', 'always'],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            if self.cli('PING') == 'PONG':
                return
            time.sleep(0.05)
        raise RuntimeError('redis-server did not start')

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def cli(self, *args):
        return self.ns.run('redis-cli', '-p', str(PORT), *args, check=False).strip()

    def lrange(self, key):
        out = self.ns.run('redis-cli', '-p', str(PORT), '--no-raw', '--json', 'LRANGE', key,
                          '0', '-1', check=False)
        return json.loads(out) if out.strip() else []

    def keys(self, pattern):
        return [k for k in self.cli('--scan', '--pattern', pattern).splitlines() if k]

    def total_calls(self):
        n = 0
        for k in self.keys('apiwatch:ep:*'):
            if ':m:' in k:
                continue
            v = self.cli('HGET', k, 'calls')
            n += int(v) if v.isdigit() else 0
        return n

    def minutes(self):
        """The minutes (since the epoch) of the endpoint per-minute buckets."""
        out = set()
        for k in self.keys('apiwatch:ep:*:m:*'):
            if k.endswith((':pr', ':cl')):
                continue
            out.add(int(k.rsplit(':m:', 1)[1]))
        return out


def epoch(ts):
    return datetime.datetime.strptime(ts, '%Y-%m-%dT%H:%M:%S.%f%z').timestamp()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--apiwatch', required=True)
    ap.add_argument('--dir', required=True)
    ap.add_argument('--spec', required=True)
    a = ap.parse_args()
    if os.geteuid() != 0:
        skip('not root')
    for tool in ('ip', 'tcpreplay', 'redis-server', 'redis-cli'):
        if not shutil.which(tool):
            skip('%s is not installed (scripts/install-deps --test installs it)' % tool)
    paths = [os.path.join(a.dir, c) for c in CAPTURES]
    if not all(os.path.exists(p) for p in paths + [a.spec]):
        skip('scenario captures or spec missing')
    aw = os.path.abspath(a.apiwatch)
    tmp = tempfile.mkdtemp(prefix='aw-outage-')
    ns = Netns('aw-outage-%d' % os.getpid())
    try:
        run_test(ns, aw, a, paths, tmp)
    finally:
        ns.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print('%d failed' % len(FAILED) if FAILED else 'all passed')
    return 1 if FAILED else 0


def run_test(ns, aw, a, paths, tmp):
    pcap = os.path.join(tmp, 'replay.pcap')
    duration, starts = build_capture(paths, pcap)
    # Moments, in seconds from the replay's start: the first capture's attack is at ~62 % of
    # it, the second's likewise. Redis dies between them and comes back after the second.
    attack2 = starts[1] + 0.62 * (duration - starts[1])
    kill_at = starts[1] + 1.0
    restart_at = attack2 + 2.5
    print('replay %.1f s; Redis killed at %.1f s, restarted at %.1f s' %
          (duration, kill_at, restart_at))

    ns.run('ip', 'link', 'set', 'lo', 'up')
    ns.run('ip', 'link', 'add', 'aw-tx', 'type', 'veth', 'peer', 'name', 'aw-rx')
    for dev in ('aw-tx', 'aw-rx'):
        ns.run('sysctl', '-qw', 'net.ipv6.conf.%s.disable_ipv6=1' % dev, check=False)
        ns.run('ip', 'link', 'set', dev, 'up')
    # The capture sees the frames as sent (no coalescing on receive).
    ns.run('ethtool', '-K', 'aw-rx', 'gro', 'off', check=False)

    rdir = os.path.join(tmp, 'redis')
    os.mkdir(rdir)
    redis = Redis(ns, rdir)
    redis.start()

    # Place the run so that a wall-clock minute ends after the kill and no later than 20 s
    # after the replay: waits at most ~45 s.
    now = time.time()
    lead = 3.0  # apiwatch start-up before the replay
    while True:
        t0 = now + lead
        boundary = (int(t0 // 60) + 1) * 60
        off = boundary - t0
        if kill_at + 0.5 <= off <= duration + 20:
            break
        now += 1.0
    if now > time.time():
        print('waiting %.0f s for the minute boundary to fall after the kill' %
              (now - time.time()))
        time.sleep(now - time.time())

    eve = os.path.join(tmp, 'eve.json')
    err = open(os.path.join(tmp, 'apiwatch.err'), 'w+')
    lp_ms = 900 * 1000 // SPEEDUP
    awp = ns.popen([aw, '-i', 'aw-rx', '--eve', eve, '--spec', a.spec,
                    '--redis', 'redis://127.0.0.1:%d' % PORT,
                    '--alert-sink', 'redis-list:redis://127.0.0.1:%d#alerts' % PORT,
                    '--set', 'baseline.learning-period=%dms' % lp_ms,
                    '--set', 'baseline.redis.flush-interval=100ms',
                    '--set', 'baseline.redis.drain-timeout=20s',
                    '--set', 'alert.sink-drain-timeout=20s',
                    '--set', 'alert.update-interval=1s'],
                   stdout=subprocess.DEVNULL, stderr=err)
    time.sleep(lead - 0.5)
    if awp.poll() is not None:
        err.seek(0)
        raise RuntimeError('apiwatch exited %d: %s' % (awp.returncode, err.read()))
    t_start = time.time()
    tr = ns.popen(['tcpreplay', '-q', '-i', 'aw-tx', pcap], stdout=subprocess.PIPE,
                  stderr=subprocess.STDOUT)
    boundary = (int(t_start // 60) + 1) * 60
    print('replay started; minute boundary at %.1f s' % (boundary - t_start))

    def until(at):
        d = t_start + at - time.time()
        if d > 0:
            time.sleep(d)

    until(kill_at)
    alerts_before = len(redis.lrange('alerts'))
    redis.kill()
    t_kill = time.time()
    until(restart_at)
    redis.start()
    t_restart = time.time()
    calls_at_restart = redis.total_calls()
    print('Redis down %.1f s; %d alert lines in Redis before the kill, %d calls at restart' %
          (t_restart - t_kill, alerts_before, calls_at_restart))
    out = tr.communicate(timeout=duration + 60)[0].decode()
    check('tcpreplay sent the capture', tr.returncode == 0, out[-500:])
    # Keep apiwatch running until the minute that ended after the kill was written (the
    # reconnection backs off up to 5 s).
    deadline = max(time.time(), boundary) + 15
    want_minute = int(boundary // 60) - 1
    while time.time() < deadline:
        if time.time() > boundary + 0.5 and want_minute in redis.minutes():
            break
        time.sleep(0.2)
    # Idle reads return at their timeout, so packet time follows the wall clock and the
    # minute that ended after the kill is written while apiwatch runs, after the restart.
    check('baseline writes resume mid-run: minute %d written before the exit' % want_minute,
          want_minute in redis.minutes(), 'minutes in Redis: %s' % sorted(redis.minutes())[-5:])
    awp.send_signal(signal.SIGINT)
    try:
        rc = awp.wait(60)
    except subprocess.TimeoutExpired:
        awp.kill()
        rc = awp.wait()
    err.seek(0)
    errtext = err.read()
    check('apiwatch exit 0', rc == 0, errtext[-800:])

    evs = [json.loads(l) for l in open(eve)]
    alerts = [e for e in evs if e['event_type'] == 'alert']
    http = [e for e in evs if e['event_type'] == 'http']
    st = [e for e in evs if e['event_type'] == 'stats'][-1]
    canon = lambda e: json.dumps(e, sort_keys=True)
    listed = [canon(json.loads(x)) for x in redis.lrange('alerts')]
    missing = [canon(e) for e in alerts if canon(e) not in listed]
    during = [e for e in alerts if t_kill <= epoch(e['timestamp']) < t_restart]
    print('%d http events, %d alert events (%d raised while Redis was down), %d lines in the '
          'Redis list' % (len(http), len(alerts), len(during), len(listed)))
    # Alerts raised while Redis was down are the point; whether some also came before the kill
    # depends on how the replay's first minutes fall against the learning period.
    check('alerts raised during the outage', len(during) >= 1,
          'before %d, during %d' % (alerts_before, len(during)))
    check('every EVE alert is in the Redis list', alerts and not missing,
          '%d missing: %s' % (len(missing), missing[:1]))
    check('the list holds nothing else', set(listed) <= set(canon(e) for e in alerts),
          '%d lines' % len(listed))
    sinks = st['api']['stats']['alerts'].get('sinks', [])
    sink = sinks[0] if sinks else {}
    print('alert sink: ' + json.dumps(sink))
    check('the sink counted the outage and delivered everything',
          sink.get('failed', 0) >= 1 and
          (sink.get('reconnects', 0) >= 1 or alerts_before == 0) and
          sink.get('undelivered', 1) == 0 and sink.get('queue_drops', 1) == 0 and
          sink.get('delivered', 0) >= len(alerts), json.dumps(sink))

    br = st['api']['stats']['baseline']['redis']
    print('baseline store: ' + json.dumps(br))
    check('the baseline store counted the outage and caught up',
          br['failures'] + br['connect_failures'] >= 1 and br['reconnects'] >= 1 and
          br['minutes_unwritten'] == 0 and br['queue_drops'] == 0, json.dumps(br))
    total = redis.total_calls()
    after = sum(1 for e in http if epoch(e['timestamp']) >= t_restart)
    print('calls in Redis: %d at the restart, %d at the end; %d http events, %d after the '
          'restart' % (calls_at_restart, total, len(http), after))
    check('a minute that ended after the kill was written after the restart',
          want_minute in redis.minutes(),
          'minute %d; minutes %s' % (want_minute, sorted(redis.minutes())))
    check('baseline keys grew after the restart by at least the calls made since',
          total - calls_at_restart >= after and total > calls_at_restart,
          '%d - %d < %d' % (total, calls_at_restart, after))
    check('every call is counted in Redis (at least once)', total >= len(http) > 0,
          '%d < %d' % (total, len(http)))


if __name__ == '__main__':
    sys.exit(main())

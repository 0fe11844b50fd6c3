#!/usr/bin/env bash
# live_capture.sh APIWATCH: live capture on the loopback of a private network namespace.
#
# Starts apiwatch -i lo (with a BPF filter) inside a namespace of its own, runs a real HTTP
# server and curl there, then stops apiwatch with SIGINT and checks that it exited 0 after
# ending every open flow (one flow event per connection, reason "shutdown" for the one left
# open) and writing final stats with the kernel's counters. Also checks that an unprivileged
# user gets a one-line permission error. Skips (77) without root or iproute2.
# Traffic stays on 127.0.0.1 inside the namespace.
set -u
apiwatch=$(readlink -f "$1")
[[ $(id -u) -eq 0 ]] || { echo "not root: skipped"; exit 77; }
command -v ip >/dev/null && command -v curl >/dev/null || { echo "no ip/curl: skipped"; exit 77; }
ns=aw-live-$$
tmp=$(mktemp -d)
cleanup() {
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
    ip netns del "$ns" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "$ns" || { echo "cannot create a namespace: skipped"; exit 77; }
ip -n "$ns" link set lo up
in_ns() { ip netns exec "$ns" "$@"; }

mkdir -p "$tmp/www" && echo '{"ok":true}' > "$tmp/www/item.json"
in_ns python3 -m http.server 8081 --bind 127.0.0.1 --directory "$tmp/www" \
    >/dev/null 2>&1 &
# Started directly (not through a function), so that $! is apiwatch itself: ip netns exec
# replaces itself with the command.
ip netns exec "$ns" "$apiwatch" -i lo -f 'tcp port 8081' --eve "$tmp/eve.json" 2>"$tmp/err" &
aw=$!
for _ in $(seq 50); do
    in_ns curl -s -o /dev/null "http://127.0.0.1:8081/item.json" && break
    sleep 0.1
done
sleep 0.5
for _ in 1 2 3; do in_ns curl -s -o /dev/null "http://127.0.0.1:8081/item.json"; done
# One connection left open when apiwatch stops.
in_ns python3 -c 'import socket,time; s=socket.create_connection(("127.0.0.1",8081)); time.sleep(3)' &
sleep 1
kill -INT "$aw"
for _ in $(seq 100); do kill -0 "$aw" 2>/dev/null || break; sleep 0.1; done
kill -0 "$aw" 2>/dev/null && { echo "FAIL: apiwatch still running 10 s after SIGINT"; kill -9 "$aw"; }
wait "$aw"
rc=$?
fail=0
[[ $rc -eq 0 ]] || { echo "FAIL: apiwatch exited $rc: $(cat "$tmp/err")"; fail=1; }
python3 - "$tmp/eve.json" <<'PY' || fail=1
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
flows = [e for e in evs if e['event_type'] == 'flow']
stats = [e for e in evs if e['event_type'] == 'stats']
ok = True
def check(name, cond):
    global ok
    print(('ok   ' if cond else 'FAIL ') + name)
    ok &= bool(cond)
check('flows for the connections (%d)' % len(flows), len(flows) >= 4)
check('all on the filtered port', all(f['dest_port'] == 8081 for f in flows))
check('the open connection ended at shutdown',
      any(f['flow']['reason'] == 'shutdown' for f in flows))
check('final stats with kernel counters', stats and
      stats[-1]['stats']['capture']['kernel_packets'] > 0)
check('no pcap_filename on live events', all('pcap_filename' not in e for e in evs))
sys.exit(0 if ok else 1)
PY
if command -v setpriv >/dev/null; then
    out=$(in_ns setpriv --reuid=65534 --regid=65534 --clear-groups "$apiwatch" -i lo \
          --eve /dev/null 2>&1)
    rc=$?
    if [[ $rc -eq 1 && $(echo "$out" | wc -l) -eq 1 && $out == *"permission"* ]]; then
        echo "ok   unprivileged capture refused: $out"
    else
        echo "FAIL unprivileged capture: exit $rc: $out"; fail=1
    fi
fi
[[ $fail -eq 0 ]] && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"
exit $fail

# shellcheck shell=bash
# netns.sh: helpers shared by scripts/make-test-pcaps and scripts/bench, sourced by them.
#
# They create a private network namespace whose only interface is its own loopback, run servers,
# clients and tcpdump inside it, and tear everything down again. Nothing here configures the
# host's interfaces or sends a packet outside that namespace.
#
#   aw_netns_create NAME         new netns, lo up, MTU 1500, TSO/GSO/GRO off (Ethernet-sized
#                                segments on the wire, as a real NIC capture would show them)
#   aw_ns NAME CMD...            run CMD inside the namespace
#   aw_bg NAME LOG CMD...        start CMD in the namespace in the background; pid in AW_LAST_PID
#   aw_wait_listen NAME PORT     wait (no traffic sent) until something listens on TCP PORT
#   aw_capture_start NAME FILE BUFKIB [FILTER...]   tcpdump -i lo -s 0 -w FILE, waits until ready
#   aw_capture_stop              flush and stop it (SIGINT), fail if the kernel dropped packets
#                                (AW_CAP_IMMEDIATE=0: no --immediate-mode, for bulk captures)
#   aw_cleanup                   kill what aw_bg started (by pid) and delete the namespaces

AW_PIDS=()
AW_NETNS=()
AW_LAST_PID=
AW_CAP_PID=
AW_CAP_LOG=
AW_CAP_IMM=1

aw_netns_create() {
    local ns=$1
    ip netns add "$ns"
    AW_NETNS+=("$ns")
    ip netns exec "$ns" ip link set lo mtu 1500
    ip netns exec "$ns" ip link set lo up
    ip netns exec "$ns" ethtool -K lo tso off gso off gro off >/dev/null 2>&1 \
        || ip netns exec "$ns" ethtool -K lo tso off gso off >/dev/null
    # tx checksumming is fixed on for lo: captured TCP/UDP checksums hold only the partial
    # pseudo-header sum (as on a sending host with checksum offload); IPv4 header sums are valid.
    # IPv6 on lo: ::1 appears once lo is up (unless IPv6 is disabled in this namespace).
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.lo.disable_ipv6=0 2>/dev/null || true
}

aw_ns() {
    local ns=$1
    shift
    ip netns exec "$ns" "$@"
}

aw_bg() {
    local ns=$1 log=$2
    shift 2
    ip netns exec "$ns" "$@" >"$log" 2>&1 &
    AW_LAST_PID=$!
    AW_PIDS+=("$AW_LAST_PID")
}

aw_wait_listen() {
    local ns=$1 port=$2 i
    for ((i = 0; i < 100; i++)); do
        if ip netns exec "$ns" ss -Hltn "sport = :$port" | grep -q .; then
            return 0
        fi
        sleep 0.1
    done
    echo "nothing listens on port $port in $ns after 10 s" >&2
    return 1
}

aw_capture_start() {
    local ns=$1 file=$2 bufkib=$3 i
    shift 3
    AW_CAP_LOG=$file.tcpdump.log
    rm -f "$file"
    # -Z root: keep writing as root (Debian's tcpdump would drop to user tcpdump otherwise).
    # With TPACKET_V3 packets sit in a ring block until it fills or its timeout expires;
    # --immediate-mode (default here, AW_CAP_IMMEDIATE=0 turns it off) hands each one over at
    # once so nothing is left behind at SIGINT. Without it, aw_capture_stop waits longer.
    local opts=()
    AW_CAP_IMM=${AW_CAP_IMMEDIATE:-1}
    [[ $AW_CAP_IMM == 1 ]] && opts=(--immediate-mode -U)
    ip netns exec "$ns" tcpdump -i lo -s 0 -B "$bufkib" -n -Z root "${opts[@]}" -w "$file" "$@" \
        >"$AW_CAP_LOG" 2>&1 &
    AW_CAP_PID=$!
    AW_PIDS+=("$AW_CAP_PID")
    for ((i = 0; i < 100; i++)); do
        grep -q 'listening on' "$AW_CAP_LOG" 2>/dev/null && { sleep 0.2; return 0; }
        kill -0 "$AW_CAP_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "tcpdump did not start:" >&2
    cat "$AW_CAP_LOG" >&2
    return 1
}

aw_capture_stop() {
    local dropped captured received
    # Let the last FIN/ACKs reach the ring; without immediate mode let its block time out.
    if [[ $AW_CAP_IMM == 1 ]]; then
        sleep "${AW_CAP_SETTLE:-0.5}"
    else
        sleep "${AW_CAP_SETTLE:-2.5}"
    fi
    kill -INT "$AW_CAP_PID"
    wait "$AW_CAP_PID" || true
    local pids=() pid
    for pid in "${AW_PIDS[@]}"; do
        [[ $pid == "$AW_CAP_PID" ]] || pids+=("$pid")
    done
    AW_PIDS=("${pids[@]}")
    dropped=$(sed -n 's/^\([0-9][0-9]*\) packets\{0,1\} dropped by kernel.*/\1/p' "$AW_CAP_LOG")
    captured=$(sed -n 's/^\([0-9][0-9]*\) packets\{0,1\} captured.*/\1/p' "$AW_CAP_LOG")
    received=$(sed -n 's/^\([0-9][0-9]*\) packets\{0,1\} received by filter.*/\1/p' "$AW_CAP_LOG")
    AW_CAP_PID=
    if [[ -z $dropped || -z $captured || -z $received ]]; then
        echo "tcpdump summary missing:" >&2
        cat "$AW_CAP_LOG" >&2
        return 1
    fi
    if [[ $dropped != 0 ]]; then
        echo "tcpdump: $dropped packets dropped by kernel" >&2
        return 1
    fi
    # Packets the kernel queued but tcpdump never wrote (a ring block not yet handed over). On
    # lo the kernel counts every packet twice (outgoing and incoming copy); libpcap keeps one.
    if ((captured * 2 < received)); then
        echo "tcpdump: wrote $captured packets, the kernel passed $((received / 2))" >&2
        return 1
    fi
    rm -f "$AW_CAP_LOG"
}

aw_cleanup() {
    local pid ns
    for pid in "${AW_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${AW_PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    AW_PIDS=()
    for ns in "${AW_NETNS[@]}"; do
        ip netns del "$ns" 2>/dev/null || true
    done
    AW_NETNS=()
}

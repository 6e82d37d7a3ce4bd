# Shared helpers of the lab tests. Every process and namespace a test makes
# is recorded and removed by its own PID / name on exit.

LAB_PIDS=()
LAB_NETNS=()
LAB_TMP=$(mktemp -d /tmp/imsd-lab.XXXXXX)

lab_cleanup() {
    for pid in "${LAB_PIDS[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -KILL "$pid" 2>/dev/null
        fi
    done
    for ns in "${LAB_NETNS[@]}"; do ip netns del "$ns" 2>/dev/null; done
    rm -rf "$LAB_TMP"
}
trap lab_cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    if [ -n "${IMSD_LOG:-}" ] && [ -f "$IMSD_LOG" ]; then
        echo "---- imsd log ----" >&2
        tail -n 40 "$IMSD_LOG" >&2
    fi
    exit 1
}

pass() { echo "ok: $*"; }

skip() {
    echo "SKIPPED: $* -- this lab test did NOT run" >&2
    exit 77
}

need_root_and_netns() {
    [ "$(id -u)" = 0 ] || skip "needs root (network namespaces and tap devices)"
    [ -c /dev/net/tun ] || skip "no /dev/net/tun on this machine"
    local probe="imsd-probe-$$"
    ip netns add "$probe" 2>/dev/null || skip "ip netns add does not work here"
    ip netns del "$probe"
}

# json_get <json-text> <python expression on j>
json_get() {
    python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"
}

# start_imsd <conf>: starts imsd, waits until it is ready; sets IMSD_PID, IMSD_LOG.
start_imsd() {
    IMSD_LOG="$LAB_TMP/imsd.log"
    "$IMSD_BIN" -c "$1" >"$IMSD_LOG" 2>&1 &
    IMSD_PID=$!
    LAB_PIDS+=("$IMSD_PID")
    for _ in $(seq 300); do
        grep -q "ready:" "$IMSD_LOG" && return 0
        kill -0 "$IMSD_PID" 2>/dev/null || fail "imsd exited during start-up"
        sleep 0.1
    done
    fail "imsd not ready within 30 s"
}

# wire_netns <ns> <tap> <peer address/len>: moves imsd's tap into a new
# namespace (recorded for clean-up) as the peer's interface. The tap's kernel
# side starts with the PMD's MAC; the peer gets its own. No IPv6 chatter, so
# counters can be compared exactly.
wire_netns() {
    local ns=$1 tap=$2 addr=$3
    ip netns add "$ns" && LAB_NETNS+=("$ns")
    ip link set "$tap" netns "$ns" || fail "cannot move $tap into $ns"
    ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$tap.disable_ipv6=1"
    ip -n "$ns" link set "$tap" address 02:00:00:00:00:02
    ip -n "$ns" addr add "$addr" dev "$tap"
    ip -n "$ns" link set "$tap" up
    ip -n "$ns" link set lo up
}

# lab_conf <file-prefix> <dataplane elements> <device> <address/len> [after <ports>]:
# writes $LAB_TMP/imsd.xml for one port on the main lcore, its CLI on
# $LAB_TMP/imsd.sock and its store in $LAB_TMP.
lab_conf() {
    cat >"$LAB_TMP/imsd.xml" <<XML
<?xml version="1.0"?>
<imsd xmlns="urn:imsd:params:xml:ns:settings:1" version="1">
  <system>
    <cli-socket>$LAB_TMP/imsd.sock</cli-socket>
    <lcores>0</lcores>
    <file-prefix>$1</file-prefix>
    <store-path>$LAB_TMP/store.db</store-path>
  </system>
  <dataplane>
    $2
  </dataplane>
  <ports>
    <port name="lab0"><device>$3</device><address>$4</address></port>
  </ports>
  ${5:-}
</imsd>
XML
}

# veth_pair <ns-a> <if-a> <addr-a/len> <ns-b> <if-b> <addr-b/len>: two new
# namespaces (recorded for clean-up) joined by a veth pair, MTU 1500, every
# offload off (segmentation and checksums in software, as imsd does them).
veth_pair() {
    ip netns add "$1" && LAB_NETNS+=("$1")
    ip netns add "$4" && LAB_NETNS+=("$4")
    ip link add "$2" netns "$1" type veth peer name "$5" netns "$4" || fail "veth $2/$5"
    local ns dev addr
    for x in "$1 $2 $3" "$4 $5 $6"; do
        read -r ns dev addr <<<"$x"
        ip -n "$ns" addr add "$addr" dev "$dev"
        ip -n "$ns" link set "$dev" mtu 1500 up
        ip -n "$ns" link set lo up
        ip netns exec "$ns" ethtool -K "$dev" tso off gso off gro off tx off rx off sg off \
            >/dev/null 2>&1 || fail "ethtool -K $dev"
    done
}

# tshark_clean <pcap> <min-frames> <display-filter> [tshark args, e.g. -d ...]:
# the capture holds at least <min-frames> frames matching the filter and none
# that tshark's dissectors call malformed or warn about. Prints the count.
tshark_clean() {
    local pcap=$1 min=$2 filter=$3 frames bad
    shift 3
    frames=$(tshark -r "$pcap" "$@" -Y "$filter" 2>/dev/null | wc -l)
    bad=$(tshark -r "$pcap" "$@" -Y "_ws.malformed || _ws.expert.severity >= warning" 2>/dev/null | head -5)
    [ "$frames" -ge "$min" ] || fail "tshark saw only $frames frames matching '$filter' (at least $min expected)"
    [ -z "$bad" ] || fail "tshark: malformed or warning frames: $bad"
    echo "$frames"
}

# stop_imsd: SIGTERM, bounded wait; sets IMSD_STATUS.
stop_imsd() {
    kill -TERM "$IMSD_PID"
    for _ in $(seq 150); do
        kill -0 "$IMSD_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$IMSD_PID" 2>/dev/null && fail "imsd still running 15 s after SIGTERM"
    wait "$IMSD_PID"
    IMSD_STATUS=$?
}

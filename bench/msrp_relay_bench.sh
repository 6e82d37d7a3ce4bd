#!/usr/bin/env bash
# bench/msrp_relay_bench.sh [--quick]: the MSRP relay's cost per message.
# imsd (relay on port 2855, one lcore on CPU 0) between the two legs of one
# session played by bench/imsgen (one lcore on CPU 1) over net_memif: leg A
# keeps a window of SENDs outstanding, leg B answers each with 200, imsd
# relays the SEND one way and the 200 the other. For 256 B, 4 KiB and 64 KiB
# bodies it prints relayed messages per second and imsd's CPU-seconds per
# 1M messages (the busy cycles of its polling lcore over the run).
# The kernel relay comparison (HAProxy) is not in this script yet.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
build=${IMSD_BUILD_DIR:-$top/build}
IMSD_BIN=${IMSD_BIN:-$build/daemon/imsd}
IMSCTL_BIN=${IMSCTL_BIN:-$build/mgmt/imsctl}
IMSGEN_BIN=${IMSGEN_BIN:-$build/bench/imsgen}
. "$top/tests/lab/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (DPDK with net_memif)"
for b in "$IMSD_BIN" "$IMSCTL_BIN" "$IMSGEN_BIN"; do
    [ -x "$b" ] || fail "$b is not built (scripts/build Release)"
done
scale=1
[ "${1:-}" = "--quick" ] && scale=20

id=$(( $$ % 100000 ))
sock="$LAB_TMP/imsd.sock"
memif="$LAB_TMP/memif.sock"
cat >"$LAB_TMP/imsd.xml" <<XML
<?xml version="1.0"?>
<imsd xmlns="urn:imsd:params:xml:ns:settings:1" version="1">
  <system>
    <cli-socket>$sock</cli-socket>
    <lcores>0</lcores>
    <file-prefix>imsdrelay$id</file-prefix>
    <store-path>$LAB_TMP/store.db</store-path>
  </system>
  <dataplane>
    <mbufs>65535</mbufs>
    <msrp><port-first>2855</port-first></msrp>
  </dataplane>
  <ports>
    <port name="m0"><device>net_memif0,role=server,socket=$memif</device><address>198.18.20.1/24</address></port>
  </ports>
</imsd>
XML
imsctl() { "$IMSCTL_BIN" --socket "$sock" "$@"; }
busy() { json_get "$(imsctl --json show stats)" "j['dataplane']['total']['poll_busy_cycles']"; }
cycles() { json_get "$(imsctl --json show stats)" "j['dataplane']['total']['poll_busy_cycles'] + j['dataplane']['total']['poll_idle_cycles']"; }

start_imsd "$LAB_TMP/imsd.xml"
c0=$(cycles); sleep 1; c1=$(cycles); tsc=$(( c1 - c0 ))  # the TSC rate, measured

printf '%-8s %10s %12s %14s %16s\n' "body" "messages" "msgs/s" "imsd CPU-s/1M" "imsd cycles/msg"
for size in 256 4096 65536; do
    case $size in 256) n=400000 ;; 4096) n=200000 ;; *) n=20000 ;; esac
    n=$(( n / scale ))
    s=$(imsctl --json msrp create) || fail "msrp create: $s"
    sid=$(json_get "$s" "j['id']")
    uri_a=$(json_get "$s" "j['uri_a']")
    imsctl msrp path "$sid" a "msrp://198.18.20.2:40000/imsgenlegA0001;tcp" passive >/dev/null
    # A fixed MAC: imsd opens leg B, so its ARP entry for imsgen must stay
    # right across imsgen restarts.
    taskset -c 1 "$IMSGEN_BIN" --device "net_memif0,role=client,socket=$memif,mac=02:00:00:00:20:02" --lcores 0@1 \
        --file-prefix "imsgen$id" --mode msrp --port 2855 --uri-a "$uri_a" --messages $n \
        --size $size --timeout 120 >"$LAB_TMP/gen.out" 2>"$LAB_TMP/gen.err" &
    gen=$!; LAB_PIDS+=("$gen")
    for _ in $(seq 100); do grep -q listening "$LAB_TMP/gen.err" && break; sleep 0.1; done
    b0=$(busy)
    imsctl msrp path "$sid" b "msrp://198.18.20.2:7000/imsgenlegB0001;tcp" active >/dev/null
    wait "$gen" || fail "imsgen ($size B): $(cat "$LAB_TMP/gen.out") $(tail -n3 "$LAB_TMP/gen.err")"
    b1=$(busy)
    out=$(tail -n1 "$LAB_TMP/gen.out")
    json_get "$out" "j['ok'] and j['messages'] == $n and j['received_b'] == $n" | grep -q True \
        || fail "imsgen ($size B): $out"
    python3 -c '
import json, sys
j = json.loads(sys.argv[1]); busy = int(sys.argv[2]); tsc = int(sys.argv[3]); n = j["messages"]
print("%-8s %10d %12.0f %14.3f %16.0f" % (sys.argv[4], n, n / j["seconds"], busy / tsc / n * 1e6, busy / n))
' "$out" "$(( b1 - b0 ))" "$tsc" "$size"
    imsctl msrp release "$sid" >/dev/null
    # imsgen restarts per size: the memif link comes back for the next one.
    sleep 0.5
done
relayed=$(json_get "$(imsctl --json show msrp stats)" "j['total']['requests_relayed']")
stop_imsd
[ "$IMSD_STATUS" = 0 ] || fail "imsd exit status $IMSD_STATUS"
! grep -q "mbuf leak" "$IMSD_LOG" || fail "imsd leaked mbufs"
echo "(each message: its SEND relayed A -> B and its 200 relayed B -> A; $relayed relayed in all)"
echo "msrp_relay_bench: done"

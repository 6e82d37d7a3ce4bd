#!/usr/bin/env bash
# bench/memif_vs_kernel.sh [--quick]: imsd's TCP against the Linux kernel's on
# the same work, in one run.
#   ours:   imsd (echo on 7, sink on 9) <-net_memif-> imsgen, one lcore each,
#           imsd on CPU 0 and imsgen on CPU 1.
#   kernel: ktcp server <-veth (MTU 1500, offloads off)-> ktcp client, in two
#           namespaces, server on CPU 0 and client on CPU 1.
# Workloads: bulk (1 GiB to the sink), 256 B request/response (16
# connections), connection churn (connect, one 256 B exchange, close).
# Two CPU measures, both printed:
#   work CPU-s:    ours = the busy cycles of the two polling lcores (polls
#                  that found nothing are not counted); kernel = user + system
#                  time of both processes plus the ksoftirqd threads.
#   machine CPU-s: ours = two whole CPUs for the measured time (both lcores
#                  poll without pause, so idle polling is paid for here);
#                  kernel = every CPU's non-idle time from /proc/stat over the
#                  client's run.
# --quick: small sizes, for the lab test that keeps this script working.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
build=${IMSD_BUILD_DIR:-$top/build}
IMSD_BIN=${IMSD_BIN:-$build/daemon/imsd}
IMSCTL_BIN=${IMSCTL_BIN:-$build/mgmt/imsctl}
IMSGEN_BIN=${IMSGEN_BIN:-$build/bench/imsgen}
KTCP_BIN=${KTCP_BIN:-$build/bench/ktcp}
. "$top/tests/lab/lib.sh"
need_root_and_netns
for b in "$IMSD_BIN" "$IMSCTL_BIN" "$IMSGEN_BIN" "$KTCP_BIN"; do
    [ -x "$b" ] || fail "$b is not built (scripts/build Release)"
done
command -v ethtool >/dev/null || skip "ethtool is not installed (scripts/deps installs it)"

bulk_bytes=1073741824 rr_msgs=400000 rr_conns=16 churn_conns=10000 size=256
if [ "${1:-}" = "--quick" ]; then
    bulk_bytes=16777216 rr_msgs=20000 churn_conns=500
fi
id=$(( $$ % 100000 ))
sock="$LAB_TMP/imsd.sock"
memif="$LAB_TMP/memif.sock"
hz=$(getconf CLK_TCK)
lab_conf "imsdbench$id" \
    "<mbufs>32767</mbufs><tcp><echo-port>7</echo-port><sink-port>9</sink-port></tcp>" \
    "net_memif0,role=server,socket=$memif" "198.18.20.1/24"
imsctl() { "$IMSCTL_BIN" --socket "$sock" "$@"; }
machine_busy() { awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat; }  # user nice system irq softirq
proc_cpu() { awk '{print $14+$15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
softirqd_cpu() {
    local t=0 p
    for p in $(pgrep ksoftirqd); do t=$(( t + $(proc_cpu "$p") )); done
    echo $t
}
imsd_busy() { json_get "$(imsctl --json show stats)" "j['dataplane']['total']['poll_busy_cycles']"; }
py() { python3 -c "import json,sys; $1" "${@:2}"; }

# --- ours -------------------------------------------------------------------------------------
start_imsd "$LAB_TMP/imsd.xml"
gen() {
    taskset -c 1 "$IMSGEN_BIN" --device "net_memif0,role=client,socket=$memif" --lcores 0@1 \
        --file-prefix "imsgen$id" --timeout 120 "$@" 2>"$LAB_TMP/imsgen.err" | tail -n1
}
declare -A ours_work ours_machine ours_secs
run_ours() {  # name, imsgen args...
    local name=$1; shift
    local b0 out b1
    b0=$(imsd_busy)
    out=$(gen "$@") || fail "imsgen $name: $out $(tail -n3 "$LAB_TMP/imsgen.err")"
    b1=$(imsd_busy)
    py 'j=json.loads(sys.argv[1]); sys.exit(0 if j["ok"] else 1)' "$out" || fail "imsgen $name: $out"
    ours_secs[$name]=$(py 'print(json.loads(sys.argv[1])["seconds"])' "$out")
    # imsd's busy cycles in seconds (at the TSC rate imsd reports).
    ours_work[$name]=$(py 'j=json.loads(sys.argv[1]); print(j["gen_busy_s"] + float(sys.argv[2]) / float(sys.argv[3]))' \
        "$out" "$(( b1 - b0 ))" "$tsc")
    # Both lcores poll without pause: two whole CPUs for the measured time.
    ours_machine[$name]=$(py 'print(2 * json.loads(sys.argv[1])["seconds"])' "$out")
    echo "ours   $name: $out" >&2
}
# The TSC rate imsd's cycle counters run at (timing a second of its polls
# from here read high: the CLI's and python's start-up fell inside it).
tsc=$(json_get "$(imsctl --json show version)" "j['tsc_hz']")
run_ours bulk --mode bulk --port 9 --bytes $bulk_bytes
run_ours rr --mode rr --port 7 --conns $rr_conns --messages $rr_msgs --size $size
run_ours churn --mode churn --port 7 --conns 1 --messages $churn_conns --size $size
sleep 0.5
conns_left=$(json_get "$(imsctl --json show tcp)" "j['total']['conns_accepted'] - j['total']['conns_closed']")
stop_imsd
[ "$IMSD_STATUS" = 0 ] || fail "imsd exit status $IMSD_STATUS"
! grep -q "mbuf leak" "$IMSD_LOG" || fail "imsd leaked mbufs: $(grep 'mbuf leak' "$IMSD_LOG")"

# --- the kernel -------------------------------------------------------------------------------
na="imsd-kc-$id" nb="imsd-ks-$id"
veth_pair "$na" "kc$id" 198.18.21.2/24 "$nb" "ks$id" 198.18.21.1/24
ip netns exec "$nb" taskset -c 0 "$KTCP_BIN" server 7 echo >"$LAB_TMP/ks7.txt" &
ks7=$!; LAB_PIDS+=("$ks7")
ip netns exec "$nb" taskset -c 0 "$KTCP_BIN" server 9 sink >"$LAB_TMP/ks9.txt" &
ks9=$!; LAB_PIDS+=("$ks9")
for _ in $(seq 50); do grep -q listening "$LAB_TMP/ks7.txt" && grep -q listening "$LAB_TMP/ks9.txt" && break; sleep 0.1; done
declare -A k_work k_machine k_secs
run_kernel() {  # name, server pid, ktcp client args...
    local name=$1 spid=$2; shift 2
    local s0 q0 m0 out s1 q1 m1
    s0=$(proc_cpu "$spid"); q0=$(softirqd_cpu); m0=$(machine_busy)
    out=$(ip netns exec "$na" taskset -c 1 "$KTCP_BIN" "$@") || fail "ktcp $name: $out"
    s1=$(proc_cpu "$spid"); q1=$(softirqd_cpu); m1=$(machine_busy)
    k_secs[$name]=$(py 'print(json.loads(sys.argv[1])["seconds"])' "$out")
    k_work[$name]=$(py 'j=json.loads(sys.argv[1]); print(j["cli_cpu_s"] + (int(sys.argv[2]) + int(sys.argv[3])) / int(sys.argv[4]))' \
        "$out" "$(( s1 - s0 ))" "$(( q1 - q0 ))" "$hz")
    k_machine[$name]=$(py 'print((int(sys.argv[1]) - int(sys.argv[2])) / int(sys.argv[3]))' "$m1" "$m0" "$hz")
    echo "kernel $name: $out" >&2
}
run_kernel bulk $ks9 bulk 198.18.21.1 9 $bulk_bytes
run_kernel rr $ks7 rr 198.18.21.1 7 $rr_conns $rr_msgs $size
run_kernel churn $ks7 churn 198.18.21.1 7 $churn_conns $size

# --- the table --------------------------------------------------------------------------------
py '
import sys
a = sys.argv[1:]
rows = [("bulk", "CPU-s per GB", float(a[0]) / 1e9),
        ("rr %s B" % a[3], "CPU-s per 1M msgs", float(a[1]) / 1e6),
        ("churn", "CPU-s per 1k conns", float(a[2]) / 1e3)]
vals = a[4:]
print("%-10s %-18s %12s %12s %8s | %12s %12s %8s" % ("workload", "unit", "ours work", "kernel work", "ratio",
      "ours machine", "kern machine", "ratio"))
for i, (name, unit, per) in enumerate(rows):
    ow, om, os_, kw, km, ks = (float(v) for v in vals[6 * i: 6 * i + 6])
    print("%-10s %-18s %12.4f %12.4f %7.1fx | %12.4f %12.4f %7.1fx   (%.3f s vs %.3f s)" % (
        name, unit, ow / per, kw / per, kw / ow if ow else 0, om / per, km / per,
        km / om if om else 0, os_, ks))
' $bulk_bytes $rr_msgs $churn_conns $size \
    "${ours_work[bulk]}" "${ours_machine[bulk]}" "${ours_secs[bulk]}" "${k_work[bulk]}" "${k_machine[bulk]}" "${k_secs[bulk]}" \
    "${ours_work[rr]}" "${ours_machine[rr]}" "${ours_secs[rr]}" "${k_work[rr]}" "${k_machine[rr]}" "${k_secs[rr]}" \
    "${ours_work[churn]}" "${ours_machine[churn]}" "${ours_secs[churn]}" "${k_work[churn]}" "${k_machine[churn]}" "${k_secs[churn]}"
echo "(ratio: kernel / ours; above 1 means imsd used less CPU for the same work)"
[ "$conns_left" = 0 ] || fail "imsd still held $conns_left connections after the runs"
echo "memif_vs_kernel: done"

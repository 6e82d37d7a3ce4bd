#!/usr/bin/env bash
# bench/msrp_relay_bench.sh [--quick]: the MSRP relay's cost per message.
# imsd (relay on port 2855, one lcore on CPU 0) between the two legs of one
# session played by bench/imsgen (one lcore on CPU 1) over net_memif: leg A
# keeps a window of SENDs outstanding, leg B answers each with 200, imsd
# relays the SEND one way and the 200 the other. For 256 B, 4 KiB and 64 KiB
# bodies it prints relayed messages per second and imsd's CPU-seconds per
# 1M messages (the busy cycles of its polling lcore over the run), twice:
# imsd as memif zero-copy client (its mbufs are the ring's buffers; imsgen,
# the server, does the copies a NIC's DMA would spare the host), then as a
# copying client (imsd copies every byte into and out of the ring as well).
# In the same rounds, the same messages through HAProxy in TCP mode (one
# thread, CPU 0) over a veth pair (MTU 1500, offloads off) between
# bench/ktcp's MSRP client and server (CPU 1; both framing MSRP with imsd's
# parser): HAProxy's user + system CPU per 1M messages, and the ratios
# (each side's cheapest run, and the median of the rounds' own ratios).
# HAProxy only copies bytes; imsd parses, rewrites paths and transaction ids
# and translates responses on the way.
# Then the relay again with content rules (100 literals, 1,000 regexes; the
# bodies cut from bench_dp_policy's high-match corpus): messages/s, CPU per 1M,
# and its scan rate set against raw Hyperscan on the same rules and text.
# Each run's 'c2c ns' (a cache line's round trip between CPU 0 and CPU 1,
# before/after) says which of this VM's two phases it ran in; the summary
# also compares the sides within each phase.
# MSRP_BENCH_PERF=<path prefix>: perf-record imsd over each run.
# MSRP_BENCH_REPS=<n>: rounds (default 3): each runs imsd zero-copy, imsd
# copying and HAProxy on every size, back to back.
# MSRP_BENCH_STATS=<path prefix>: save imsd's `show tcp` after each run.
# MSRP_BENCH_SIZES="256 4096": only those body sizes (default all three);
# MSRP_BENCH_POLICY=0: leave out the runs with content rules.
# MSRP_BENCH_KERNEL=0: leave out the kernel relay (for A/B runs of two imsd
# builds: IMSD_BIN=<other build's imsd>).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
build=${IMSD_BUILD_DIR:-$top/build}
IMSD_BIN=${IMSD_BIN:-$build/daemon/imsd}
IMSCTL_BIN=${IMSCTL_BIN:-$build/mgmt/imsctl}
IMSGEN_BIN=${IMSGEN_BIN:-$build/bench/imsgen}
KTCP_BIN=${KTCP_BIN:-$build/bench/ktcp}
. "$top/tests/lab/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (DPDK with net_memif)"
for b in "$IMSD_BIN" "$IMSCTL_BIN" "$IMSGEN_BIN"; do
    [ -x "$b" ] || fail "$b is not built (scripts/build Release)"
done
scale=1
[ "${1:-}" = "--quick" ] && scale=20
sizes=${MSRP_BENCH_SIZES:-256 4096 65536}
for size in $sizes; do
    case $size in 256 | 4096 | 65536) ;; *) fail "MSRP_BENCH_SIZES: $size is not one of 256 4096 65536" ;; esac
done

id=$(( $$ % 100000 ))
sock="$LAB_TMP/imsd.sock"
memif="$LAB_TMP/memif.sock"
imsctl() { "$IMSCTL_BIN" --socket "$sock" "$@"; }
busy() { json_get "$(imsctl --json show stats)" "j['dataplane']['total']['poll_busy_cycles']"; }
# Packets imsd received and sent (both legs; ACKs included).
pkts() { json_get "$(imsctl --json show stats)" "j['dataplane']['total']['rx_packets'] + j['dataplane']['total']['tx_packets']"; }
# Polls that had work: busy cycles over this are the cost of one.
# Cycles of the single-core housekeeping (draining the relay's per-message
# events), part of busy: over messages, the 'housekp' column.
svc() { json_get "$(imsctl --json show stats)" "j['dataplane']['total']['service_cycles']"; }
bpolls() { json_get "$(imsctl --json show stats)" "j['dataplane']['total']['polls_busy']"; }
cycles() { json_get "$(imsctl --json show stats)" "j['dataplane']['total']['poll_busy_cycles'] + j['dataplane']['total']['poll_idle_cycles']"; }
mstat() { json_get "$(imsctl --json show msrp stats)" "j['total']['$1']"; }
# CPU time the hypervisor took from this VM (all CPUs, seconds): a run it
# hit is slower for reasons that are not imsd's (this machine is shared).
steal() { awk '/^cpu /{print $9}' /proc/stat; }
# A cache line's round trip between CPU 0 and CPU 1 in ns (bench/support/
# c2c_main.cpp), or "-": ~55 when the two vCPUs share a last-level cache,
# ~340 when they do not. Taken before and after each run, outside its
# counters: the phase the run was in.
C2C_BIN=$build/bench/c2c
c2c() { { [ -x "$C2C_BIN" ] && "$C2C_BIN" 0 1 2>/dev/null; } || echo -; }
# CPU ticks (user + system, 1/CLK_TCK s) of imsd's threads other than its
# polling lcores (here the main thread, task id = pid, which also runs the
# control plane's housekeeping such as draining the relay's per-message
# events, in its busy cycles; and any rte-worker-*): the CLI, telemetry,
# EAL's interrupt thread, the sigplane where it has one. Their time is
# imsd's cost of the work too and is added to its CPU per message.
others() {
    local t sum=0 c
    for t in /proc/"$IMSD_PID"/task/*; do
        [ "${t##*/}" = "$IMSD_PID" ] && continue
        c=$(cat "$t/comm" 2>/dev/null) || continue
        case $c in rte-worker-*) continue ;; esac
        sum=$(( sum + $(awk '{print $14 + $15}' "$t/stat" 2>/dev/null || echo 0) ))
    done
    echo "$sum"
}

# imsgen stays up for the whole bench as the memif server, one session per
# line it reads (--serve): a memif client cannot start before its server
# and does not reconnect after the server restarts, so the side that stays
# up must be the server. imsd is the client, zero-copy or not.
gen_in="$LAB_TMP/gen.in"
mkfifo "$gen_in"
taskset -c 1 "$IMSGEN_BIN" --device "net_memif0,role=server,socket=$memif,mac=02:00:00:00:20:02" \
    --lcores 0@1 --file-prefix "imsgen$id" --mode msrp --serve --port 2855 --timeout 120 \
    <"$gen_in" >"$LAB_TMP/gen.out" 2>"$LAB_TMP/gen.err" &
gen=$!; LAB_PIDS+=("$gen")
exec 7>"$gen_in"
# memif's socket is abstract by default: it shows in ss, not in the file system.
memif_listening() { ss -xl | grep -qF "@$memif"; }
for _ in $(seq 100); do memif_listening && break; sleep 0.1; done
memif_listening || fail "imsgen did not create its memif socket: $(tail -n3 "$LAB_TMP/gen.err")"
gen_runs=0

# start_relay <zero-copy: yes|no>: imsd as the memif client, its TSC rate
# measured (tsc), once its link is up.
start_relay() {
    lab_conf "imsdrelay$id" \
        "<mbufs>65535</mbufs><msrp><port-first>2855</port-first></msrp>" \
        "net_memif0,role=client,socket=$memif,mac=02:00:00:00:20:01,zero-copy=$1" "198.18.20.1/24"
    start_imsd "$LAB_TMP/imsd.xml"
    for _ in $(seq 100); do
        imsctl --json show ports | grep -q '"up"' && break
        sleep 0.1
    done
    imsctl --json show ports | grep -q '"up"' || fail "memif link (zero-copy=$1) never came up"
    local c0 c1
    # The TSC rate imsd's cycle counters run at (timing a second of its
    # polls from here read 4-30% high: imsctl's and python's start-up fell
    # inside the second, and CPU-seconds came out that much low).
    tsc=$(json_get "$(imsctl --json show version)" "j['tsc_hz']")
}
gen_holds=0
stop_relay() {
    relayed=$(( ${relayed:-0} + $(mstat requests_relayed) ))
    # imsgen stops polling the memif port first: DPDK's memif server unmaps
    # the client's rings when it goes, under a burst that may be reading
    # them (imsgen crashed so, one run in two under perf).
    gen_holds=$(( gen_holds + 1 ))
    echo hold >&7
    for _ in $(seq 50); do
        [ "$(grep -c '^held' "$LAB_TMP/gen.err")" -ge $gen_holds ] && break
        grep -q '^hold failed' "$LAB_TMP/gen.err" && break
        sleep 0.1
    done
    [ "$(grep -c '^held' "$LAB_TMP/gen.err")" -ge $gen_holds ] \
        || fail "imsgen did not hold its port: $(tail -n3 "$LAB_TMP/gen.err")"
    stop_imsd
    [ "$IMSD_STATUS" = 0 ] || fail "imsd exit status $IMSD_STATUS"
    ! grep -q "mbuf leak" "$IMSD_LOG" || fail "imsd leaked mbufs"
}

# This VM's cost for the same work swings between runs: imsd's by up to two
# times, the kernel relay's by more. It is the host's placement of the two
# vCPUs: a cache line's round trip between them is ~55 ns when they share a
# last-level cache and ~340 ns when they do not, changing within seconds
# (c2c, taken before and after each run: the 'c2c ns' column), and imsd
# with imsgen over memif hands every packet from one CPU to the other. So
# the bench runs in rounds, each of them imsd zero-copy, imsd copying and
# HAProxy on every size back to back, and reports for each size each side's
# cheapest run against the other's, the median of the rounds' own ratios,
# and each side's median within each phase.
# MSRP_BENCH_REPS=<n>: n rounds (default 3).
reps=${MSRP_BENCH_REPS:-3}
case $reps in '' | *[!0-9]* | 0) fail "MSRP_BENCH_REPS: $reps is not a count of runs" ;; esac
results="$LAB_TMP/results.txt"  # <topology> <round> <size> <CPU-s per 1M> <msgs/s> <c2c ns before> <after>
: >"$results"
# relay_run <body bytes> <messages> [body file]: one session relaying
# <messages> SENDs (and their 200s); prints the figures line, sets `line`.
relay_run() {
    local size=$1 n=$2 body=${3:-} s sid uri_a uri_b b0 b1 p0 p1 out c0 c1
    s=$(imsctl --json msrp create) || fail "msrp create: $s"
    sid=$(json_get "$s" "j['id']")
    uri_a=$(json_get "$s" "j['uri_a']")
    imsctl msrp path "$sid" a "msrp://198.18.20.2:40000/imsgenlegA0001;tcp" passive >/dev/null
    gen_runs=$(( gen_runs + 1 ))
    echo "$uri_a $size $n $body" >&7
    for _ in $(seq 100); do
        [ "$(grep -c '^listening' "$LAB_TMP/gen.err")" -ge $gen_runs ] && break
        sleep 0.1
    done
    uri_b=$(grep '^listening' "$LAB_TMP/gen.err" | sed -n "${gen_runs}p" | awk '{print $2}')
    [ -n "$uri_b" ] || fail "imsgen ($size B) did not listen: $(tail -n3 "$LAB_TMP/gen.err")"
    c0=$(c2c)
    o0=$(others); b0=$(busy); st0=$(steal); p0=$(pkts); q0=$(bpolls); v0=$(svc)
    local perf_pid=
    if [ -n "${MSRP_BENCH_PERF:-}" ]; then
        # A profile of imsd over this run (a -fno-omit-frame-pointer build
        # gives whole call chains): $MSRP_BENCH_PERF.<size>.<n>.
        perf record -q -e cpu-clock --call-graph fp -p "$IMSD_PID" \
            -o "$MSRP_BENCH_PERF.$size.$gen_runs" >/dev/null 2>&1 &
        perf_pid=$!
        sleep 0.5
    fi
    imsctl msrp path "$sid" b "$uri_b" active >/dev/null
    for _ in $(seq 1500); do
        [ "$(wc -l <"$LAB_TMP/gen.out")" -ge $gen_runs ] && break
        kill -0 "$gen" 2>/dev/null || fail "imsgen exited: $(tail -n3 "$LAB_TMP/gen.err")"
        sleep 0.1
    done
    b1=$(busy); st1=$(steal); p1=$(pkts); q1=$(bpolls); o1=$(others); v1=$(svc)
    c1=$(c2c)
    if [ -n "$perf_pid" ]; then
        kill -INT "$perf_pid"; wait "$perf_pid"
    fi
    out=$(sed -n "${gen_runs}p" "$LAB_TMP/gen.out")
    [ -n "$out" ] || fail "imsgen ($size B): no result within 150 s"
    json_get "$out" "j['ok'] and j['messages'] == $n and j['received_b'] == $n" | grep -q True \
        || fail "imsgen ($size B): $out"
    line=$(python3 -c '
import json, sys
j = json.loads(sys.argv[1]); busy = int(sys.argv[2]); tsc = int(sys.argv[3]); n = j["messages"]
others = int(sys.argv[8]) / int(sys.argv[9]) / n * 1e6
print("%-8s %10d %12.0f %14.3f %16.0f %9.2f %10.2f %10.3f %10.3f %8.0f %9s" % (sys.argv[4], n,
      n / j["seconds"], busy / tsc / n * 1e6 + others, busy / n, int(sys.argv[6]) / n,
      int(sys.argv[5]) / 100, int(sys.argv[7]) / n, others, int(sys.argv[10]) / n,
      sys.argv[11] + "/" + sys.argv[12]))
' "$out" "$(( b1 - b0 ))" "$tsc" "$size" "$(( st1 - st0 ))" "$(( p1 - p0 ))" "$(( q1 - q0 ))" \
        "$(( o1 - o0 ))" "$(getconf CLK_TCK)" "$(( v1 - v0 ))" "$c0" "$c1")
    if [ -n "${MSRP_BENCH_STATS:-}" ]; then
        # imsd's TCP counters (totals since it started) after this run.
        imsctl --json show tcp >"$MSRP_BENCH_STATS.$size.$gen_runs.json"
    fi
    imsctl msrp release "$sid" >/dev/null
}
runs_header() {
    printf '%-6s %-5s %-8s %10s %12s %14s %16s %9s %10s %10s %10s %8s %9s\n' "round" "imsd" "body" \
        "messages" "msgs/s" "imsd CPU-s/1M" "imsd cycles/msg" "pkts/msg" "steal s" "polls/msg" \
        "other thr" "housekp" "c2c ns"
}
sizes_once() {  # <topology label: zc|copy> <round>: one run of each size without policy
    for size in $sizes; do
        case $size in 256) n=400000 ;; 4096) n=200000 ;; *) n=20000 ;; esac
        relay_run $size $(( n / scale ))
        printf '%-6s %-5s %s\n' "$2" "$1" "$line"
        echo "$1 $2 $size $(awk '{split($NF, c, "/"); print $4, $3, c[1], c[2]}' <<<"$line")" >>"$results"
    done
}

# The memif copies: in zero-copy mode imsd's mbufs are the ring's buffers
# and the server (imsgen) copies, as a NIC's DMA would spare the host; in
# copy mode imsd copies every byte in and out as well.
# --- the kernel relay: HAProxy over veth ------------------------------------------------------
kernel=${MSRP_BENCH_KERNEL:-1}
if [ "$kernel" != 0 ] && { ! command -v haproxy >/dev/null || [ ! -x "$KTCP_BIN" ]; }; then
    echo "NOTE: haproxy or ktcp missing (scripts/deps installs haproxy): no kernel relay comparison" >&2
    kernel=0
fi
if [ "$kernel" != 0 ]; then
    command -v ethtool >/dev/null || fail "ethtool is not installed (scripts/deps installs it)"
    nc="imsd-hc-$id" nr="imsd-hr-$id"
    veth_pair "$nc" "hc$id" 198.18.22.2/24 "$nr" "hr$id" 198.18.22.1/24
    cat >"$LAB_TMP/haproxy.cfg" <<CFG
global
    nbthread 1
    maxconn 64
defaults
    mode tcp
    timeout connect 5s
    timeout client 120s
    timeout server 120s
frontend msrp
    bind 198.18.22.1:2855
    default_backend far
backend far
    server b 198.18.22.2:7000
CFG
    # Neither may hold imsgen's input open (fd 7): imsgen ends at its EOF.
    ip netns exec "$nc" taskset -c 1 "$KTCP_BIN" msrp-server 7000 >"$LAB_TMP/ks.txt" 2>&1 7>&- &
    LAB_PIDS+=("$!")
    ip netns exec "$nr" taskset -c 0 haproxy -db -f "$LAB_TMP/haproxy.cfg" >"$LAB_TMP/haproxy.log" 2>&1 7>&- &
    hp=$!; LAB_PIDS+=("$hp")
    for _ in $(seq 50); do grep -q listening "$LAB_TMP/ks.txt" && break; sleep 0.1; done
    sleep 0.5
    kill -0 "$hp" 2>/dev/null || fail "haproxy did not start: $(cat "$LAB_TMP/haproxy.log")"
    hz=$(getconf CLK_TCK)
    vpkts() { ip netns exec "$nr" awk '{s += $1} END {print s}' /sys/class/net/hr$id/statistics/rx_packets \
        /sys/class/net/hr$id/statistics/tx_packets; }
fi
# kernel_run <size> <round>: one HAProxy run of that size, recorded.
kernel_run() {
    local size=$1 n window h0 h1 v0 v1 out c0 c1
    case $size in 256) n=400000 ;; 4096) n=200000 ;; *) n=20000 ;; esac
    n=$(( n / scale ))
    window=$(( 196608 / (size + 300) )); [ $window -gt 32 ] && window=32; [ $window -lt 1 ] && window=1
    c0=$(c2c)
    h0=$(awk '{print $14+$15}' "/proc/$hp/stat"); v0=$(vpkts)
    out=$(ip netns exec "$nc" taskset -c 1 "$KTCP_BIN" msrp-client 198.18.22.1 2855 $n $size $window) \
        || fail "ktcp msrp-client ($size B): $out"
    h1=$(awk '{print $14+$15}' "/proc/$hp/stat"); v1=$(vpkts)
    c1=$(c2c)
    python3 -c '
import json, sys
hz, n, ticks, pk = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[4]), int(sys.argv[5])
j = json.loads(sys.argv[3])
assert j["ok"] and j["messages"] == n, j
cpu = ticks / hz / n * 1e6
print("%-6s %-5s %-8s %10d %12.0f %14.3f %16s %9.2f %10s %10s %10s %8s %9s" % (sys.argv[6], "kern",
      sys.argv[7], n, n / j["seconds"], cpu, "-", pk / n, "-", "-", "-", "-",
      sys.argv[9] + "/" + sys.argv[10]))
with open(sys.argv[8], "a") as f:
    f.write("kern %s %s %.4f %.0f %s %s\n" % (sys.argv[6], sys.argv[7], cpu, n / j["seconds"],
                                            sys.argv[9], sys.argv[10]))
' "$hz" "$n" "$out" "$(( h1 - h0 ))" "$(( v1 - v0 ))" "$2" "$size" "$results" "$c0" "$c1" \
        || fail "haproxy run ($size B): $out"
}

start_relay yes
echo "Memory per idle relayed session (two connections with their parsers, two TCP control blocks, the"
echo "session): $(sed -n 's/.* \([0-9]*\) bytes per idle session.*/\1/p' "$IMSD_LOG" | head -n1) bytes (imsd's log)"
stop_relay
echo "Rounds: imsd as memif zero-copy client (zc: the copies are imsgen's, as a NIC's DMA would be),"
echo "as copying client (copy: imsd copies every byte into and out of the shared ring too)$(
    [ "$kernel" != 0 ] && printf ', and\nHAProxy in TCP mode over veth (kern: its user + system CPU from /proc)')."
runs_header
for round in $(seq "$reps"); do
    start_relay yes
    sizes_once zc "$round"
    stop_relay
    start_relay no
    sizes_once copy "$round"
    stop_relay
    if [ "$kernel" != 0 ]; then
        for size in $sizes; do
            kernel_run "$size" "$round"
        done
    fi
done
echo "(each message: its SEND relayed A -> B and its 200 relayed B -> A; pkts/msg: packets through"
echo " the relay's interface(s), both legs, ACKs included; polls/msg: imsd's polls that had work;"
echo " imsd CPU-s/1M: its polling lcore's busy cycles (housekeeping such as draining the relay's"
echo " per-message events included) plus 'other thr': its other threads' CPU-s/1M from /proc;"
echo " housekp: the cycles a message of that housekeeping, part of the busy cycles)"

if [ "$kernel" != 0 ]; then
    echo
    python3 - "$results" $sizes <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
cpu = {}
phase = {}  # (topo, size) -> {round: "fast" | "slow" | "mixed"}
def phase_of(before, after):
    # The two vCPUs share a last-level cache (fast) or not (slow): a cache
    # line's round trip ~55 ns against ~340 (bench/support/c2c_main.cpp).
    try:
        b, a = float(before), float(after)
    except ValueError:
        return "unknown"
    return "fast" if max(b, a) < 150 else "slow" if min(b, a) >= 150 else "mixed"
for topo, rnd, size, c, rate, before, after in rows:
    cpu.setdefault((topo, size), {})[int(rnd)] = float(c)
    phase.setdefault((topo, size), {})[int(rnd)] = phase_of(before, after)
print("%-6s %-26s %-26s %-26s %-17s %-17s" % ("body", "imsd zc CPU-s/1M", "imsd copy CPU-s/1M",
      "HAProxy CPU-s/1M", "ratio zc", "ratio copy"))
print("%-6s %-26s %-26s %-26s %-17s %-17s" % ("", "(cheapest / median)", "(cheapest / median)",
      "(cheapest / median)", "(cheap. / rounds)", "(cheap. / rounds)"))
for size in sys.argv[2:]:
    zc, cp, k = cpu[("zc", size)], cpu[("copy", size)], cpu[("kern", size)]
    def both(d):
        return "%8.3f / %8.3f" % (min(d.values()), statistics.median(d.values()))
    def ratios(ours):
        per_round = statistics.median(k[r] / ours[r] for r in ours if r in k)
        return "%5.1fx / %5.1fx" % (min(k.values()) / min(ours.values()), per_round)
    print("%-6s %-26s %-26s %-26s %-17s %-17s" % (size, both(zc), both(cp), both(k), ratios(zc),
          ratios(cp)))
print("(ratio: HAProxy's CPU per message over imsd's: 'cheap.' each side's cheapest run against the")
print(" other's, 'rounds' the median of each round's own ratio; /proc counts HAProxy's CPU in 10 ms ticks)")
# The same by phase: each side's median over its runs that began and ended
# in that phase (c2c before and after), where both sides have one.
print()
print("%-6s %-6s %-21s %-21s %-21s %-10s %-10s" % ("body", "phase", "imsd zc median (runs)",
      "imsd copy median", "HAProxy median", "ratio zc", "ratio copy"))
for size in sys.argv[2:]:
    for ph in ("fast", "slow"):
        def median_in(topo):
            v = [cpu[(topo, size)][r] for r in cpu[(topo, size)] if phase[(topo, size)][r] == ph]
            return (statistics.median(v), len(v)) if v else (None, 0)
        zc, cp, k = median_in("zc"), median_in("copy"), median_in("kern")
        def cell(m):
            return "%9.3f (%d)" % m if m[0] is not None else "%9s (0)" % "-"
        def ratio(ours):
            return "%5.1fx" % (k[0] / ours[0]) if ours[0] and k[0] else "-"
        print("%-6s %-6s %-21s %-21s %-21s %-10s %-10s" % (size, ph, cell(zc), cell(cp), cell(k),
              ratio(zc), ratio(cp)))
print("(phase: fast where a cache line's round trip between the two CPUs stayed under 150 ns from a")
print(" run's start to its end (they share a last-level cache), slow where it stayed above; runs")
print(" that changed phase on the way count in neither)")
PY
fi

# --- the same with content rules: bench_dp_policy's rules and corpus --------------------------
# Every rule counts (none blocks), so every body byte is scanned. The relay's
# own scan rate (its scan_bytes over its scan_cycles) is set against raw
# Hyperscan on the same rules and text in this run (bench_dp_policy).
PC_BIN=$build/bench/policy_corpus
BP_BIN=$build/bench/bench_dp_policy
if [ "${MSRP_BENCH_POLICY:-1}" != 0 ] && [ -x "$PC_BIN" ] && [ -x "$BP_BIN" ]; then
    start_relay yes
    echo
    printf '%-16s %-6s %12s %14s %14s %14s %7s %14s %7s %14s %7s %9s\n' "rules" "body" "msgs/s" \
        "imsd CPU-s/1M" "scan in relay" "raw, whole" "ratio" "raw, segments" "ratio" \
        "raw, gathered" "ratio" "c2c ns"
    for kind in literals regex; do
        "$PC_BIN" corpus $kind 1048576 >"$LAB_TMP/corpus.txt"
        "$PC_BIN" rules $kind >"$LAB_TMP/rules.xml"
        python3 - "$LAB_TMP/imsd.xml" "$LAB_TMP/rules.xml" "$LAB_TMP/imsd-rules.xml" <<'PY'
import sys
s = open(sys.argv[1]).read().replace("</imsd>", open(sys.argv[2]).read() + "</imsd>")
open(sys.argv[3], "w").write(s)
PY
        imsctl settings apply "$LAB_TMP/imsd-rules.xml" >/dev/null || fail "apply the $kind rules"
        label=$([ $kind = literals ] && echo "100 literals" || echo "1000 regexes")
        for size in 256 4096 65536; do
            case $size in 256) n=200000 ;; 4096) n=100000 ;; *) n=10000 ;; esac
            sb0=$(mstat scan_bytes); sc0=$(mstat scan_cycles)
            relay_run $size $(( n / scale )) "$LAB_TMP/corpus.txt"
            sb=$(( $(mstat scan_bytes) - sb0 )); sc=$(( $(mstat scan_cycles) - sc0 ))
            [ "$sb" -ge $(( n / scale * size )) ] \
                || fail "$kind, $size B: $sb bytes scanned for $(( n / scale )) messages"
            filter=$([ $kind = literals ] && echo "100_literals" || echo "1000_regex")
            # Raw Hyperscan on the same rules and text: the body in one call
            # (whole); in one call per 1448-byte TCP segment's payload
            # (segments), which any streaming scan behind a TCP stack pays;
            # the segments' payloads copied together, then one call
            # (gathered: the relay's way, so its ratio is the relay's own
            # cost on top of the copy).
            raw=$(taskset -c 0 "$BP_BIN" \
                --benchmark_filter="BM_raw_hyperscan_(segments_|gathered_)?$filter/$size\$" \
                --benchmark_min_time=0.5 --benchmark_format=json 2>/dev/null \
                | python3 -c '
import json, sys
b = {x["name"]: x["bytes_per_second"] for x in json.load(sys.stdin)["benchmarks"]}
order = lambda name: 1 if "segments" in name else 2 if "gathered" in name else 0
print(" ".join(str(v) for k, v in sorted(b.items(), key=lambda kv: order(kv[0]))))')
            python3 -c '
import sys
label, size, line, sb, sc, tsc, whole, segs, gath = sys.argv[1:10]
f = line.split()
inside = int(sb) / (int(sc) / int(tsc)) if int(sc) else 0
print("%-16s %-6s %12s %14s %9.2f GB/s %9.2f GB/s %6.2fx %9.2f GB/s %6.2fx %9.2f GB/s %6.2fx %9s" % (
      label, size, f[2], f[3], inside / 1e9, float(whole) / 1e9, inside / float(whole),
      float(segs) / 1e9, inside / float(segs), float(gath) / 1e9, inside / float(gath), f[-1]))
' "$label" $size "$line" $sb $sc $tsc $raw
        done
    done
    imsctl settings apply "$LAB_TMP/imsd.xml" >/dev/null || fail "apply the settings without rules"
    stop_relay
fi
exec 7>&-
for _ in $(seq 300); do kill -0 "$gen" 2>/dev/null || break; sleep 0.1; done
kill -0 "$gen" 2>/dev/null && fail "imsgen did not end at the end of its input within 30 s"
wait "$gen" || fail "imsgen: $(grep -v '"ok": true' "$LAB_TMP/gen.out" | head -n3) $(tail -n3 "$LAB_TMP/gen.err")"
echo "msrp_relay_bench: done ($gen_runs imsd runs, ${relayed:-0} requests relayed)"

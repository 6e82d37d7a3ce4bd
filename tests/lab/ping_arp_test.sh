#!/usr/bin/env bash
# Lab: imsd on a net_tap port moved into a network namespace, with the Linux
# kernel as the peer. Checks ARP both ways, ICMP echo, the counters through
# imsctl and DPDK telemetry, imsctl's log command, and a clean SIGTERM
# shutdown with every mbuf back in the pool.
#
# usage: ping_arp_test.sh workers|single_core|two_workers   (env: IMSD_BIN, IMSCTL_BIN)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

mode=${1:-workers}
need_root_and_netns
case $mode in
    workers)
        [ "$(nproc)" -ge 2 ] || skip "workers mode needs 2 CPUs, this machine has $(nproc)"
        lcores="0-1"; net=10; poll_lcore=1 ;;
    single_core) lcores="0"; net=11; poll_lcore=0 ;;
    two_workers)
        # Two pollers (lcores 1 and 2 share CPU 1), two queue pairs: the
        # kernel spreads flows over the tap's queues, and ARP learned on one
        # lcore must reach the other.
        [ "$(nproc)" -ge 2 ] || skip "two_workers mode needs 2 CPUs, this machine has $(nproc)"
        lcores="0@0,1@1,2@1"; net=12; poll_lcore=2 ;;
    *) echo "unknown mode $mode"; exit 2 ;;
esac

id=$(( $$ % 100000 ))
tap="imsdl$id"
ns="imsd-lab-$id"
prefix="imsdlab$id"
sock="$LAB_TMP/imsd.sock"
ours="198.18.$net.1"
peer="198.18.$net.2"
peer2="198.18.$net.3"
conf="$LAB_TMP/imsd.xml"
cat >"$conf" <<XML
<?xml version="1.0"?>
<imsd xmlns="urn:imsd:params:xml:ns:settings:1" version="1">
  <system>
    <cli-socket>$sock</cli-socket>
    <lcores>$lcores</lcores>
    <file-prefix>$prefix</file-prefix>
    <shutdown-timeout-ms>5000</shutdown-timeout-ms>
    <store-path>$LAB_TMP/store.db</store-path>
  </system>
  <dataplane><mbufs>4095</mbufs><idle-sleep-us>50</idle-sleep-us></dataplane>
  <ports>
    <port name="lab0"><device>net_tap_lab$id,iface=$tap</device><address>$ours/24</address></port>
  </ports>
</imsd>
XML
imsctl() { "$IMSCTL_BIN" --socket "$sock" "$@"; }
stat_of() { json_get "$(imsctl --json show stats)" "j['dataplane']['total']['$1']"; }

start_imsd "$conf"
pass "imsd started ($mode, lcores $lcores)"

wire_netns "$ns" "$tap" "$peer/24"

ports=$(imsctl --json show ports) || fail "imsctl show ports"
mac=$(json_get "$ports" "j[0]['mac'].lower()")
[ "$(json_get "$ports" "j[0]['name']")" = lab0 ] || fail "show ports names the port"

# 1. The kernel resolves imsd's address by ARP, and ping works.
ip netns exec "$ns" ping -c 5 -i 0.2 -W 2 -q "$ours" >/dev/null || fail "ping $ours from $ns"
pass "5 pings answered"
kmac=$(ip -n "$ns" neigh show "$ours" | awk '{for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1)}')
[ "$kmac" = "$mac" ] || fail "kernel learned $ours at '$kmac', imsd's MAC is $mac"
pass "kernel ARP resolved $ours to imsd's MAC $mac"
[ "$(stat_of arp_request_answered)" -ge 1 ] || fail "arp_request_answered not counted"
[ "$(stat_of neigh_learned)" -ge 1 ] || fail "imsd did not learn the peer"

# 2. imsd resolves a next hop itself: the kernel knows imsd statically and
#    pings from a second address imsd has never seen, so imsd must ARP for it.
ip -n "$ns" addr add "$peer2/24" dev "$tap"
ip -n "$ns" neigh replace "$ours" lladdr "$mac" dev "$tap" nud permanent
ip netns exec "$ns" ping -c 3 -i 0.2 -W 2 -q -I "$peer2" "$ours" >/dev/null \
    || fail "ping from $peer2"
[ "$(stat_of arp_request_out)" -ge 1 ] || fail "imsd sent no ARP request for $peer2"
[ "$(stat_of arp_reply_in)" -ge 1 ] || fail "imsd counted no ARP reply"
pass "imsd resolved $peer2 by ARP and answered 3 pings"

# 3. Counters: exact echo count, imsd's rx equals the port's rx once the
#    link is quiet (the peer's neighbour entry for imsd is permanent now).
sleep 0.5
stats=$(imsctl --json show stats)
echo_answered=$(json_get "$stats" "j['dataplane']['total']['icmp_echo_answered']")
[ "$echo_answered" = 8 ] || fail "icmp_echo_answered is $echo_answered, 8 pings were sent"
rx_dp=$(json_get "$stats" "j['dataplane']['total']['rx_packets']")
rx_port=$(json_get "$(imsctl --json show ports)" "j[0]['rx_packets']")
[ "$rx_dp" = "$rx_port" ] || fail "dataplane rx_packets $rx_dp != port rx_packets $rx_port"
imsctl show stats --per-lcore | grep -q "lcore $poll_lcore" || fail "--per-lcore lacks lcore $poll_lcore"
imsctl show stats | grep -Eq "^icmp_echo_answered +8 " || fail "human table lacks the echo count"
if [ "$mode" = two_workers ]; then
    [ "$(json_get "$(imsctl --json show ports)" "j[0]['queues']")" = 2 ] || fail "want 2 queues"
    per=$(imsctl --json show stats --per-lcore)
    echo "rx per lcore: $(json_get "$per" "{k: v['rx_packets'] for k, v in j['dataplane']['lcores'].items()}")," \
         "neighbour syncs: $(json_get "$per" "{k: v['neigh_sync_in'] for k, v in j['dataplane']['lcores'].items()}")"
fi
pass "imsctl counts 8 echo replies, rx $rx_dp frames on lcore $poll_lcore"

# 4. The same counters through DPDK telemetry.
tel=$(echo /imsd/stats | timeout 10 dpdk-telemetry.py -f "$prefix" 2>&1 \
      | grep -o '{"/imsd/stats".*}' | head -n1)
[ -n "$tel" ] || fail "no /imsd/stats from dpdk-telemetry.py -f $prefix"
[ "$(json_get "$tel" "j['/imsd/stats']['icmp_echo_answered']")" = 8 ] \
    || fail "telemetry icmp_echo_answered differs: $tel"
pass "dpdk-telemetry.py reads the same counters"

# 5. Operator commands.
imsctl log level dataplane debug >/dev/null || fail "log level"
grep -q "ran 'log level dataplane debug'" "$IMSD_LOG" || fail "state change not logged with uid"
imsctl show nonsense >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] || fail "unknown command exit code $rc, want 2"
[ "$(stat -c %a "$sock")" = 660 ] || fail "socket mode $(stat -c %a "$sock"), want 660"
# Garbage on the socket is answered (exit 4), never fatal.
garbage=$(python3 - "$sock" <<'PY'
import json, socket, sys
answers = []
for payload in (b"not json\n", b'{"argv": [1, 2]}\n', b"\xff\xfe\x00\n", b"x" * 70000):
    s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])
    s.sendall(payload)
    s.shutdown(socket.SHUT_WR)
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    answers.append(json.loads(data)["exit"])
print(",".join(map(str, answers)))
PY
) || fail "the CLI server did not answer malformed requests"
[ "$garbage" = "4,4,4,4" ] || fail "malformed requests got exit codes $garbage, want 4,4,4,4"
imsctl show version >/dev/null || fail "CLI dead after malformed requests"
# The rate the cycle counters run at, which the benches turn into seconds.
tsc_hz=$(json_get "$(imsctl --json show version)" "j['tsc_hz']") || fail "show version: no tsc_hz"
[ "$tsc_hz" -gt 100000000 ] || fail "show version: tsc_hz $tsc_hz is no TSC rate"
imsctl show version | grep -q "^tsc_hz  *$tsc_hz\$" || fail "show version's table lacks the TSC rate"
pass "log level, usage errors and socket permissions"

# 6. SIGTERM: bounded, clean, nothing leaked, socket removed.
stop_imsd
[ "$IMSD_STATUS" = 0 ] || fail "imsd exit status $IMSD_STATUS after SIGTERM"
grep -q "mbufs back, none leaked" "$IMSD_LOG" || fail "no clean pool report"
[ ! -e "$sock" ] || fail "socket $sock left behind"
pass "clean shutdown: $(grep -o 'mbuf pool.*' "$IMSD_LOG")"
echo "lab_ping_arp_$mode: all checks passed"

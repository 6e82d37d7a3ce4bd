#!/usr/bin/env bash
# bench/sip_proxy_bench.sh [--quick]: imsd as a stateful SIP proxy (the
# Participating Function with the media path off) against Kamailio (tm +
# rr, the Debian package) on the same calls, in the same run; and imsd as
# B2BUA with the media path on (each call sets up an MSRP relay session and
# releases it; no MSRP traffic: the far side's path has no listener). sipp plays the
# SIP/IP Core on both sides (bench/sip/uac.xml, uas.xml: INVITE, 200,
# ACK, BYE, 200; the proxy record-routes and stays in the dialog) in one
# namespace; imsd receives over its dataplane (net_tap, single lcore) and
# its agent runs the spec's checks on every INVITE; Kamailio listens on a
# kernel address in the same namespace.
# Prints, for each proxy, the highest call rate (calls/s) at which a run of
# 5 s had no failed call (rates tried in increasing steps), and the CPU each
# spends per call at a fixed rate: imsd's SIP agent thread plus its polling
# lcore's busy cycles, Kamailio's processes (user + system). And the ratios.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
build=${IMSD_BUILD_DIR:-$top/build}
IMSD_BIN=${IMSD_BIN:-$build/daemon/imsd}
IMSCTL_BIN=${IMSCTL_BIN:-$build/mgmt/imsctl}
. "$top/tests/lab/lib.sh"
need_root_and_netns
command -v sipp >/dev/null || skip "sipp is not installed (scripts/deps installs sip-tester)"
command -v kamailio >/dev/null || skip "kamailio is not installed (scripts/deps installs it)"
rates="50 100 200 300 400 600 800 1000 1250 1500 1750 2000 2500 3000"
secs=5
cpu_rate=200
if [ "${1:-}" = "--quick" ]; then rates="20 50"; secs=2; cpu_rate=50; fi

id=$(( $$ % 100000 ))
tap="imsdb$id"; sig="imsdc$id"; ns="imsd-sipb-$id"
sock="$LAB_TMP/imsd.sock"
ours=198.18.19.1; uac=198.18.19.2; uas=198.18.19.4; kam=198.18.19.10
lab_conf "imsdsipb$id" \
    "<idle-sleep-us>20</idle-sleep-us><msrp><port-first>2855</port-first><max-sessions>16384</max-sessions></msrp>
     <sip><port>5060</port><punt-interface>$sig</punt-interface><rate-per-source>0</rate-per-source></sip>" \
    "net_tap_sipb$id,iface=$tap" "$ours/24" \
    "<limits><max-sessions>100000</max-sessions></limits>
     <im><media-path>never</media-path>
       <trusted-peers><peer>$uac</peer><peer>$uas</peer></trusted-peers>
       <core-uri>sip:$uas:5060</core-uri></im>"
imsctl() { "$IMSCTL_BIN" --socket "$sock" "$@"; }
start_imsd "$LAB_TMP/imsd.xml"
wire_netns "$ns" "$tap" "$uac/24"
for a in $uas $kam; do ip -n "$ns" addr add "$a/24" dev "$tap"; done
for a in $uac $uas; do
    ip netns exec "$ns" ping -c 1 -W 2 -q -I "$a" "$ours" >/dev/null || fail "ping from $a"
done

cat >"$LAB_TMP/kamailio.cfg" <<CFG
#!KAMAILIO
debug=0
log_stderror=yes
listen=udp:$kam:5060
disable_tcp=yes
children=2
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "maxfwd.so"
loadmodule "pv.so"
loadmodule "textops.so"
loadmodule "siputils.so"
request_route {
    if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
    if (has_totag()) {
        if (loose_route()) { t_relay(); exit; }
        if (is_method("ACK")) { if (t_check_trans()) { t_relay(); } exit; }
        sl_send_reply("404", "Not here"); exit;
    }
    if (is_method("CANCEL")) { if (t_check_trans()) { t_relay(); } exit; }
    loose_route();
    record_route();
    \$du = "sip:$uas:5060";
    t_relay();
}
CFG
ip netns exec "$ns" kamailio -f "$LAB_TMP/kamailio.cfg" -DD -E -m 256 -M 16 \
    >"$LAB_TMP/kamailio.log" 2>&1 &
kam_pid=$!; LAB_PIDS+=("$kam_pid")
sleep 2
kill -0 "$kam_pid" 2>/dev/null || fail "kamailio did not start: $(tail -5 "$LAB_TMP/kamailio.log")"

# calls <target> <rate> <count>: one sipp run; 0 when every call completed.
calls() {
    local target=$1 rate=$2 n=$3
    timeout $(( secs * 4 + 30 )) ip netns exec "$ns" sipp -sf "$here/sip/uas.xml" -i "$uas" -p 5060 \
        -m $(( n * 2 )) -nostdin -timeout $(( secs * 3 + 20 ))s \
        -trace_err -error_file "$LAB_TMP/uas.err" >/dev/null 2>&1 &
    local uas_pid=$!
    sleep 0.3
    timeout $(( secs * 4 + 30 )) ip netns exec "$ns" sipp -sf "$here/sip/uac.xml" -i "$uac" -p 5060 \
        -s bob "$target:5060" -r "$rate" -m "$n" -nostdin -timeout $(( secs * 3 + 15 ))s \
        -timeout_error -recv_timeout 5000 -trace_err -error_file "$LAB_TMP/uac.err" \
        -trace_stat -stf "$LAB_TMP/uac.csv" >/dev/null 2>&1
    local rc=$?
    # The far end would wait for more calls (it counts any stray message as
    # one): it is stopped once the calling side is done, which alone decides.
    sleep 0.5
    kill -INT "$uas_pid" 2>/dev/null
    wait "$uas_pid" 2>/dev/null
    [ "$rc" = 0 ]
}
# highest <target> <label>: the last rate of the ramp with no failed call. A rate
# that fails is tried once more before the ramp stops (this box is shared
# and noisy); the reason of the last failure is kept.
highest() {
    local best=0
    for r in $rates; do
        sleep 1
        if calls "$1" "$r" $(( r * secs )) || { sleep 2; calls "$1" "$r" $(( r * secs )); }; then
            best=$r
        else
            grep -v '^\s*$' "$LAB_TMP/uac.err" 2>/dev/null | sed -n 2p >"$LAB_TMP/why.$2"
            break
        fi
    done
    echo "$best"
}
ticks=$(getconf CLK_TCK)
agent_ticks() {  # utime + stime of imsd's SIP agent thread
    for t in /proc/"$IMSD_PID"/task/*; do
        if [ "$(cat "$t/comm")" = imsd-sip ]; then awk '{print $14 + $15}' "$t/stat"; fi
    done
}
kam_ticks() {  # utime + stime of every kamailio process
    local sum=0
    for p in $(pgrep -f "kamailio -f $LAB_TMP/kamailio.cfg"); do
        sum=$(( sum + $(awk '{print $14 + $15}' /proc/"$p"/stat) ))
    done
    echo "$sum"
}
busy() { json_get "$(imsctl --json show stats)" "j['dataplane']['total']['poll_busy_cycles']"; }
# The TSC rate imsd's cycle counters run at (/proc/cpuinfo's MHz is the
# current clock, not the TSC's, where the CPU scales its frequency).
tsc_hz=$(json_get "$(imsctl --json show version)" "j['tsc_hz']")

n=$(( cpu_rate * secs * 2 ))
a0=$(agent_ticks); b0=$(busy)
calls "$ours" "$cpu_rate" "$n" || fail "imsd failed calls at $cpu_rate/s: $(tail -5 "$LAB_TMP/uac.err") $(tail -5 "$LAB_TMP/uas.err")"
a1=$(agent_ticks); b1=$(busy)
k0=$(kam_ticks)
calls "$kam" "$cpu_rate" "$n" || fail "kamailio failed calls at $cpu_rate/s: $(grep -v "^\s*$" "$LAB_TMP/uac.err" | head -30)"
k1=$(kam_ticks)
imsd_agent_ms=$(python3 -c "print('%.3f' % (($a1 - $a0) / $ticks * 1000 / $n))")
imsd_dp_ms=$(python3 -c "print('%.3f' % (($b1 - $b0) / $tsc_hz * 1000 / $n))")
kam_ms=$(python3 -c "print('%.3f' % (($k1 - $k0) / $ticks * 1000 / $n))")

imsd_max=$(highest "$ours" proxy)
kam_max=$(highest "$kam" kamailio)
# The same calls with imsd in the media path (im/ settings apply live).
sed 's|<media-path>never</media-path>|<media-path>always</media-path>|' "$LAB_TMP/imsd.xml" \
    >"$LAB_TMP/b2bua.xml"
imsctl settings apply "$LAB_TMP/b2bua.xml" >/dev/null || fail "settings apply (media-path always)"
a0=$(agent_ticks); b0=$(busy)
calls "$ours" "$cpu_rate" "$n" || fail "imsd as B2BUA failed calls at $cpu_rate/s"
a1=$(agent_ticks); b1=$(busy)
b2b_ms=$(python3 -c "print('%.3f' % (($a1 - $a0) / $ticks * 1000 / $n + ($b1 - $b0) / $tsc_hz * 1000 / $n))")
b2b_max=$(highest "$ours" b2bua)
[ "$(json_get "$(imsctl --json show sip stats)" "j['sip_agent']['total']['b2bua_calls']")" -ge "$n" ] \
    || fail "the B2BUA runs did not go through the B2BUA"
[ "$(json_get "$(imsctl --json show sip stats)" "j['sip_agent']['total']['forward_failed']")" = 0 ] \
    || fail "imsd could not forward some requests"

echo
echo "SIP stateful proxy, INVITE-200-ACK-BYE, sipp on this box ($secs s per rate; rates: $rates)"
printf "%-34s %14s %14s %8s %14s\n" "" "imsd (proxy)" "kamailio" "ratio" "imsd (B2BUA)"
printf "%-34s %14s %14s %8s %14s\n" "highest rate, no failed call (/s)" "$imsd_max" "$kam_max" \
    "$(python3 -c "print('%.2fx' % ($imsd_max / $kam_max) if $kam_max else '-')")" "$b2b_max"
imsd_ms=$(python3 -c "print('%.3f' % ($imsd_agent_ms + $imsd_dp_ms))")
printf "%-34s %14s %14s %8s %14s\n" "CPU ms per call at $cpu_rate/s" "$imsd_ms" "$kam_ms" \
    "$(python3 -c "print('%.2fx' % ($kam_ms / $imsd_ms) if $imsd_ms > 0 else '-')")" "$b2b_ms"
echo "  imsd: SIP agent thread $imsd_agent_ms ms + dataplane (busy polls) $imsd_dp_ms ms per call;"
echo "  kamailio: all its processes (user + system). Ratio of CPU: kamailio / imsd."
echo "  imsd (B2BUA): two dialogs per call and an MSRP relay session set up and released."
for t in proxy kamailio b2bua; do
    [ -s "$LAB_TMP/why.$t" ] && echo "  first failure above the highest rate ($t): $(cut -c1-160 "$LAB_TMP/why.$t")"
done
stop_imsd
[ "$IMSD_STATUS" = 0 ] || fail "imsd exit status $IMSD_STATUS"

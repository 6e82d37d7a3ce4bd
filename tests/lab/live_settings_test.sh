#!/usr/bin/env bash
# Lab: settings and user documents change while imsd runs.
#  - imsd starts from a --config-dir (settings + a user's documents);
#  - settings applied twenty times during a ping flood lose no packet, and a
#    media address added or removed live answers / stops answering at once;
#  - rejected applies (restart-only change, invalid XML, bad rule) change nothing;
#  - user documents change the terminating verdict at once and survive a restart;
#  - policy test scans with the live content rules; telemetry counts applies.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root_and_netns

id=$(( $$ % 100000 ))
tap="imsds$id"
ns="imsd-live-$id"
prefix="imsdlive$id"
sock="$LAB_TMP/imsd.sock"
net=13
ours="198.18.$net.1"
extra="198.18.$net.5"
peer="198.18.$net.2"
dir="$LAB_TMP/conf"
mkdir -p "$dir/users"

# settings <addresses xml> <mtu> <rule expression>
settings() {
    cat <<XML
<?xml version="1.0"?>
<imsd xmlns="urn:imsd:params:xml:ns:settings:1" version="1">
  <system>
    <cli-socket>$sock</cli-socket>
    <lcores>0</lcores>
    <file-prefix>$prefix</file-prefix>
    <store-path>$LAB_TMP/store.db</store-path>
  </system>
  <dataplane><mbufs>4095</mbufs><idle-sleep-us>20</idle-sleep-us></dataplane>
  <ports>
    <port name="lab0"><device>net_tap_live$id,iface=$tap</device>$1<mtu>$2</mtu></port>
  </ports>
  <content-rules>
    <rule id="1" flags="i"><expression>$3</expression><description>lab rule</description></rule>
  </content-rules>
</imsd>
XML
}
barring() {
    cat <<XML
<im-service-settings xmlns="urn:oma:xml:im:im-service-settings">
  <isb-settings><active>$1</active></isb-settings>
</im-service-settings>
XML
}
one="<address>$ours/24</address>"
two="<address>$ours/24</address><address>$extra/24</address>"
settings "$one" 1500 spam >"$dir/imsd.xml"
barring true >"$dir/users/sip:alice@example.com.service-settings.xml"

imsctl() { "$IMSCTL_BIN" --socket "$sock" "$@"; }
verdict() { imsctl policy verdict sip:alice@example.com sip:bob@example.com session; }
generation() { json_get "$(imsctl --json settings show)" "j['generation']"; }

IMSD_LOG="$LAB_TMP/imsd.log"
"$IMSD_BIN" --config-dir "$dir" >"$IMSD_LOG" 2>&1 &
IMSD_PID=$!; LAB_PIDS+=("$IMSD_PID")
for _ in $(seq 300); do grep -q "ready:" "$IMSD_LOG" && break; sleep 0.1; done
grep -q "ready:" "$IMSD_LOG" || fail "imsd did not start from --config-dir"
pass "imsd started from --config-dir $dir"

wire_netns "$ns" "$tap" "$peer/24"
ip netns exec "$ns" ping -c 2 -i 0.2 -W 2 -q "$ours" >/dev/null || fail "ping $ours"

# 1. The user's documents from the config dir are in force.
verdict | grep -q "rejected: 403 (6.1.2.1 step 1)" || fail "config-dir barring not in force: $(verdict)"
pass "barring from the config dir: $(verdict)"

# 2. Twenty applies during a ping flood: no packet lost; the extra address
#    answers while it is configured and not after.
ip netns exec "$ns" ping -f -c 20000 -W 1 "$ours" >"$LAB_TMP/flood.txt" 2>&1 &
flood=$!; LAB_PIDS+=("$flood")
for i in $(seq 10); do
    settings "$two" 1500 "spam$i" >"$LAB_TMP/two.xml"
    imsctl settings apply "$LAB_TMP/two.xml" >/dev/null || fail "apply $i (two addresses)"
    settings "$one" 1500 "spam" >"$LAB_TMP/one.xml"
    imsctl settings apply "$LAB_TMP/one.xml" >/dev/null || fail "apply $i (one address)"
done
kill -0 "$flood" 2>/dev/null || fail "the flood ended before the applies did: they did not overlap"
wait "$flood" || true
sent=$(grep -o '[0-9]* packets transmitted' "$LAB_TMP/flood.txt" | cut -d' ' -f1)
got=$(grep -o '[0-9]* received' "$LAB_TMP/flood.txt" | cut -d' ' -f1)
[ -n "$sent" ] && [ "$sent" = "$got" ] || fail "flood lost packets during applies: $(tail -n2 "$LAB_TMP/flood.txt")"
[ "$(generation)" = 21 ] || fail "generation $(generation) after 20 applies, want 21"
pass "20 applies during a flood of $sent pings: $got received, generation 21"

ip netns exec "$ns" ping -c 1 -W 1 -q "$extra" >/dev/null 2>&1 && fail "$extra answers before it is configured"
settings "$two" 1500 spam >"$LAB_TMP/two.xml"
imsctl settings apply "$LAB_TMP/two.xml" | grep -q "applied: generation 22" || fail "apply two"
ip netns exec "$ns" ping -c 2 -i 0.2 -W 2 -q "$extra" >/dev/null || fail "$extra does not answer after apply"
imsctl show ports | grep -q "$extra/24" || fail "show ports lacks $extra"
pass "$extra answers as soon as it is applied"

# 3. Rejected applies change nothing.
settings "$two" 9000 spam >"$LAB_TMP/mtu.xml"
out=$(imsctl settings apply "$LAB_TMP/mtu.xml" 2>&1); rc=$?
[ "$rc" = 1 ] && echo "$out" | grep -q "restart" || fail "mtu change not refused: $rc $out"
imsctl settings diff "$LAB_TMP/mtu.xml" | grep -Eq "ports/lab0/mtu +1500 +9000 +restart" || fail "diff"
printf '<imsd>\n<oops>\n' >"$LAB_TMP/broken.xml"
out=$(imsctl settings apply "$LAB_TMP/broken.xml" 2>&1); rc=$?
[ "$rc" = 1 ] && echo "$out" | grep -q "broken.xml:3" || fail "broken XML: $rc $out"
settings "$two" 1500 "(unclosed" >"$LAB_TMP/rule.xml"
out=$(imsctl settings apply "$LAB_TMP/rule.xml" 2>&1); rc=$?
[ "$rc" = 1 ] && echo "$out" | grep -q "content rule 1" || fail "bad rule: $rc $out"
[ "$(generation)" = 22 ] || fail "a rejected apply changed the generation"
ip netns exec "$ns" ping -c 1 -W 2 -q "$extra" >/dev/null || fail "old settings not in force"
pass "restart-only, invalid and uncompilable settings refused; generation 22 stays"

# 4. The live rules scan texts.
echo "Buy SPAM now" | imsctl policy test - | grep -q "verdict: block" || fail "policy test"
echo "hello" | imsctl policy test - | grep -q "verdict: pass" || fail "policy test pass"
pass "policy test uses the live rules"

# 5. User documents change the verdict at once.
barring false >"$LAB_TMP/off.xml"
imsctl user put sip:alice@example.com service-settings "$LAB_TMP/off.xml" >/dev/null || fail "put off"
[ "$(verdict)" = allowed ] || fail "barring off not in force: $(verdict)"
barring true >"$LAB_TMP/on.xml"
imsctl user put sip:alice@example.com service-settings "$LAB_TMP/on.xml" >/dev/null || fail "put on"
verdict | grep -q "rejected" || fail "barring on not in force"
pass "barring off, then on, in force at once"

# 6. Telemetry counts the applies; the store keeps documents over a restart.
tel=$(echo /imsd/stats | timeout 10 dpdk-telemetry.py -f "$prefix" 2>&1 | grep -o '{"/imsd/stats".*}')
[ "$(json_get "$tel" "j['/imsd/stats']['settings_applied']")" = 21 ] || fail "telemetry: $tel"
[ "$(json_get "$tel" "j['/imsd/stats']['settings_rejected']")" = 3 ] || fail "telemetry: $tel"
stop_imsd
[ "$IMSD_STATUS" = 0 ] || fail "exit status $IMSD_STATUS"
rm "$dir/users/"*.xml
"$IMSD_BIN" --config-dir "$dir" >"$IMSD_LOG" 2>&1 &
IMSD_PID=$!; LAB_PIDS+=("$IMSD_PID")
for _ in $(seq 300); do grep -q "ready:" "$IMSD_LOG" && break; sleep 0.1; done
verdict | grep -q "rejected" || fail "the stored document did not survive the restart"
stop_imsd
[ "$IMSD_STATUS" = 0 ] || fail "exit status $IMSD_STATUS"
pass "telemetry counted 21 applies and 3 rejections; documents survive a restart"
echo "lab_live_settings: all checks passed"

#!/usr/bin/env bash
# Lab: the Participating Function as B2BUA with imsd in the media path
# (issue 6; im/media-path always). sipp plays the SIP/IP Core on both sides;
# kernel-socket MSRP peers play the served client and the far side. The
# originating INVITE is answered by imsd's new INVITE to the far side
# (6.1.1.2.2 step 1.a-h: checked by the far side's sipp), imsd's 200 to the
# client carries the relay's path (200 OK steps 3-6: checked by the client's
# sipp); an MSRP message then goes from the client through the relay to the
# far side (paths rewritten both ways); the client's BYE is answered, the
# relay session released, and the far side gets imsd's BYE (6.1.2.2.5).
# Then: a terminating session with a re-INVITE and the invited side's BYE,
# the same on the originating side, CANCEL after 180 on each side, a late ACK and a missing one (RFC 3261 13.3.1.4), the
# far side's 486, SIP over TCP, and side by side the RFC 4028 cases (a
# session never refreshed; imsd as the refresher of both dialogs).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/sip_lib.sh"
need_root_and_netns
command -v sipp >/dev/null || skip "sipp (Debian package sip-tester) is not installed: scripts/deps installs it"

id=$(( $$ % 100000 ))
tap="imsdx$id"; sig="imsdy$id"; ns="imsd-b2b-$id"
sock="$LAB_TMP/imsd.sock"
ours=198.18.21.1
client=198.18.21.2   # the served client's MSRP
core=198.18.21.3     # the S-CSCF stand-in (trusted)
far=198.18.21.4      # the far side: SIP (sipp) and MSRP
lab_conf "imsdb2b$id" \
    "<idle-sleep-us>10</idle-sleep-us><msrp><port-first>2855</port-first></msrp>
     <sip><port>5060</port><punt-interface>$sig</punt-interface></sip>" \
    "net_tap_b2b$id,iface=$tap" "$ours/24" \
    "<im><media-path>always</media-path>
       <trusted-peers><peer>$core</peer><peer>$far</peer></trusted-peers>
       <core-uri>sip:$far:5060</core-uri></im>"
imsctl() { "$IMSCTL_BIN" --socket "$sock" "$@"; }
astat() { json_get "$(imsctl --json show sip stats)" "j['sip_agent']['total']['$1']"; }
msrp_py() { timeout 60 ip netns exec "$ns" python3 "$here/msrp_peer.py" "$@"; }

# pair <what> <far side scenario> <client side scenario> <client sipp args...>:
# one call, the far side's sipp on $far:5060 and the client side's on
# $core:5060; both must end well.
pair_n=0
pair() {
    local what=$1 uas=$2 uac=$3; shift 3
    pair_n=$(( pair_n + 1 ))
    local err="$LAB_TMP/pair$pair_n"
    timeout 60 ip netns exec "$ns" sipp -sf "$uas" -i "$far" -p 5060 -m 1 -nostdin -timeout 40s \
        -timeout_error -trace_err -error_file "$err.uas.err" >/dev/null 2>&1 &
    local pid=$!; LAB_PIDS+=("$pid")
    sleep 0.5
    timeout 60 ip netns exec "$ns" sipp -sf "$uac" -i "$core" -p 5060 -m 1 -nostdin -timeout 40s \
        -timeout_error -trace_err -error_file "$err.uac.err" "$@" >/dev/null 2>&1 \
        || fail "$what, client side: $(grep -v '^\s*$' "$err.uac.err" | head -30)"
    wait "$pid" || fail "$what, far side: $(grep -v '^\s*$' "$err.uas.err" | head -30)"
}

start_imsd "$LAB_TMP/imsd.xml"
wire_netns "$ns" "$tap" "$client/24"
for a in $core $far; do ip -n "$ns" addr add "$a/24" dev "$tap"; done
for a in $client $core $far; do
    ip netns exec "$ns" ping -c 1 -W 2 -q -I "$a" "$ours" >/dev/null || fail "ping from $a"
done
cat >"$LAB_TMP/open.xml" <<XML
<im-service-settings xmlns="urn:oma:xml:im:im-service-settings">
  <his-settings><hist-activation>true</hist-activation></his-settings>
</im-service-settings>
XML
imsctl user put sip:alice@example.net service-settings "$LAB_TMP/open.xml" >/dev/null || fail "user alice"

if command -v tshark >/dev/null; then
    ip netns exec "$ns" tshark -i "$tap" -w "$LAB_TMP/b2b.pcapng" -f "port 5060 or port 2855" -q \
        >"$LAB_TMP/tshark.txt" 2>&1 &
    tshark_pid=$!; LAB_PIDS+=("$tshark_pid")
    sleep 2
fi

far_path="msrp://$far:7655/bobsession0001;tcp"
msrp_py server "$far" 7655 "$far_path" - "$LAB_TMP/bob.json" >"$LAB_TMP/bob.txt" 2>&1 &
bob_pid=$!; LAB_PIDS+=("$bob_pid")
sed "s/@IMSD@/$ours/g; s|@FAR_PATH@|$far_path|" "$here/sip/uas_b2bua.xml" >"$LAB_TMP/uas.xml"
sed "s/@IMSD@/$ours/g; s/@HOLD@/6000/" "$here/sip/uac_b2bua.xml" >"$LAB_TMP/uac.xml"
timeout 60 ip netns exec "$ns" sipp -sf "$LAB_TMP/uas.xml" -i "$far" -p 5060 -m 1 -nostdin \
    -timeout 40s -timeout_error -trace_err -error_file "$LAB_TMP/uas.err" >/dev/null 2>&1 &
uas_pid=$!; LAB_PIDS+=("$uas_pid")
sleep 0.5
timeout 60 ip netns exec "$ns" sipp -sf "$LAB_TMP/uac.xml" -i "$core" -p 5060 -m 1 -nostdin \
    -s bob "$ours:5060" -key ident alice -key route_params ";orig" -key client "$client" \
    -timeout 40s -timeout_error -trace_err -error_file "$LAB_TMP/uac.err" >/dev/null 2>&1 &
uac_pid=$!; LAB_PIDS+=("$uac_pid")

# The relay session: leg b connected to the far side once the 200 came.
for _ in $(seq 50); do
    rows=$(imsctl --json show msrp sessions 2>/dev/null)
    [ "$(json_get "$rows" "len(j)" 2>/dev/null)" = 1 ] && \
        [ "$(json_get "$rows" "j[0]['leg_b_connected']")" = yes ] && break
    sleep 0.1
done
[ "$(json_get "$rows" "j[0]['leg_b_connected']" 2>/dev/null)" = yes ] || fail "relay leg b not connected: $rows $(cat "$LAB_TMP/uas.err" "$LAB_TMP/uac.err" 2>/dev/null | head -30)"
uri_a=$(json_get "$rows" "j[0]['leg_a_uri']")
[ "$(json_get "$rows" "j[0]['leg_b_peer']")" = "$far_path" ] || fail "leg b path: $rows"
[ "$(json_get "$rows" "j[0]['leg_a_peer']")" = "msrp://$client:7654/alicesession01;tcp" ] || fail "leg a path: $rows"
# 6.1.1.2.2: sent counts asked for on the served client's leg.
[ "$(json_get "$rows" "j[0]['sent_counts']")" = "leg a" ] || fail "sent counts: $rows"
[ "$(json_get "$rows" "j[0]['accept_types']")" = "message/cpim text/plain" ] || fail "accept types: $rows"
pass "B2BUA: relay session $(json_get "$rows" "j[0]['id']") set up, leg b connected to $far_path"

# MSRP from the served client through the relay to the far side.
out=$(msrp_py client "$ours" 2855 "msrp://$client:7654/alicesession01;tcp" "$uri_a" text 2>&1) \
    || fail "MSRP through the B2BUA's relay: $out"
pass "MSRP text message relayed client -> far side"

wait "$uac_pid" || fail "client side (sipp): $(grep -v '^\s*$' "$LAB_TMP/uac.err" | head -30)"
wait "$uas_pid" || fail "far side (sipp): $(grep -v '^\s*$' "$LAB_TMP/uas.err" | head -30)"
pass "6.1.1.2.2 step 1.a-h on the far side, 200 OK steps 3-6 on the client side, BYE both ways"
kill -TERM "$bob_pid"; wait "$bob_pid" 2>/dev/null
python3 - "$LAB_TMP/bob.json" "$uri_a" <<'PY' || fail "far side's report: $(cat "$LAB_TMP/bob.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["bad_paths"] == 0, r
assert r["imsd_path"].startswith("msrp://198.18.21.1:2855/") and r["imsd_path"] != sys.argv[2], r
assert len(r["messages"]) >= 1, r
PY
for _ in $(seq 30); do
    [ "$(json_get "$(imsctl --json show msrp sessions)" "len(j)")" = 0 ] && break
    sleep 0.1
done
[ "$(json_get "$(imsctl --json show msrp sessions)" "len(j)")" = 0 ] || fail "relay session not released"
[ "$(astat b2bua_calls)" = 1 ] && [ "$(astat sessions_ended)" = 1 ] || fail "counters: $(imsctl show sip stats)"
[ "$(astat media_errors)" = 0 ] || fail "media_errors: $(astat media_errors)"
pass "relay session released on BYE; the far side saw imsd's own path, never the client's"
# 200 OK step 7 / End History Recording: alice's history setting is on.
h=$(imsctl --json show history sip:alice@example.net) || fail "show history: $h"
python3 - "$h" <<'PY' || fail "history: $h"
import json, sys
r = json.loads(sys.argv[1])
assert len(r) == 1, r
assert r[0]["direction"] == "originating" and r[0]["ended_by"] == "served user", r
assert r[0]["ended_ms"] >= r[0]["started_ms"] > 0 and r[0]["to"] == "sip:bob@example.net", r
PY
pass "history: the session recorded for alice, start and end"

# 2. Terminating (no ;orig): 6.1.2.2.2 both ways, a re-INVITE moving the
#    inviting side's MSRP path (6.1.2.2.3), the invited side's BYE.
far_path2="msrp://$far:7657/davesession001;tcp"
sed "s/@IMSD@/$ours/g; s|@FAR_PATH@|$far_path2|" "$here/sip/uas_b2bua_term.xml" >"$LAB_TMP/uas2.xml"
sed "s/@IMSD@/$ours/g" "$here/sip/uac_b2bua_term.xml" >"$LAB_TMP/uac2.xml"
pair "terminating" "$LAB_TMP/uas2.xml" "$LAB_TMP/uac2.xml" \
    -s dave "$ours:5060" -key client "$client"
[ "$(astat reinvites)" = 1 ] || fail "reinvites: $(astat reinvites)"
[ "$(astat terminating)" = 1 ] || fail "terminating: $(astat terminating)"
pass "terminating B2BUA: 6.1.2.2.2 INVITE and 200 OK headers, re-INVITE carried across, BYE from the invited side"

# 3. CANCEL after 180 (6.1.2.2.4): 200 and 487 to the inviting side, imsd's
#    CANCEL to the far side, the relay session released.
timeout 60 ip netns exec "$ns" sipp -sf "$here/sip/uas_b2bua_cancel.xml" -i "$far" -p 5060 -m 1 \
    -nostdin -timeout 40s -timeout_error -trace_err -error_file "$LAB_TMP/uas3.err" >/dev/null 2>&1 &
uas_pid=$!; LAB_PIDS+=("$uas_pid")
sleep 0.5
sed "s/@IMSD@/$ours/g" "$here/sip/uac_cancel.xml" >"$LAB_TMP/uac3.xml"
timeout 60 ip netns exec "$ns" sipp -sf "$LAB_TMP/uac3.xml" -i "$core" -p 5060 -m 1 -nostdin \
    -s bob "$ours:5060" -key ident alice -key route_params ";orig" \
    -timeout 40s -timeout_error -trace_err -error_file "$LAB_TMP/uac3.err" >/dev/null 2>&1 \
    || fail "CANCEL, inviting side: $(grep -v '^\s*$' "$LAB_TMP/uac3.err" | head -30)"
wait "$uas_pid" || fail "CANCEL, far side: $(cat "$LAB_TMP/uas3.err")"
[ "$(astat cancels_in)" = 1 ] || fail "cancels_in: $(astat cancels_in)"
pass "CANCEL after 180 as B2BUA: 200 + 487 upstream, CANCEL downstream"

# 2b. The same on the originating side: the served client's re-INVITE
#     carried to the far side (6.1.2.2.3), then the far side's BYE.
reinv0=$(astat reinvites)
sed "s/@IMSD@/$ours/g; s|@FAR_PATH@|msrp://$far:7666/daveorig00001;tcp|" \
    "$here/sip/uas_b2bua_term.xml" >"$LAB_TMP/uas2b.xml"
sed "s/@IMSD@/$ours/g" "$here/sip/uac_b2bua_orig_reinvite.xml" >"$LAB_TMP/uac2b.xml"
pair "originating re-INVITE" "$LAB_TMP/uas2b.xml" "$LAB_TMP/uac2b.xml" \
    -s dave "$ours:5060" -key route_params ";orig" -key client "$client"
[ "$(astat reinvites)" = $(( reinv0 + 1 )) ] || fail "reinvites: $(astat reinvites)"
pass "originating B2BUA: the client's re-INVITE carried across, BYE from the far side"

# 3b. CANCEL after 180 on the terminating side (6.1.2.2.4 is the
#     terminating procedure's own): the same as 3.
cancels0=$(astat cancels_in)
pair "terminating CANCEL" "$here/sip/uas_b2bua_cancel.xml" "$LAB_TMP/uac3.xml" \
    -s dave "$ours:5060" -key ident alice -key route_params ""
[ "$(astat cancels_in)" = $(( cancels0 + 1 )) ] || fail "cancels_in: $(astat cancels_in)"
[ "$(json_get "$(imsctl --json show msrp sessions)" "len(j)")" = 0 ] || fail "relay session left after CANCEL"
pass "terminating B2BUA: CANCEL after 180, 487 upstream, CANCEL downstream, relay released"

# 6. RFC 3261 13.3.1.4 over UDP: the client's ACK comes 1.3 s late; imsd
#    resends its 2xx meanwhile (T1 = 0.5 s) and stops at the ACK: one
#    session, never a second one from the client's side.
calls0=$(astat b2bua_calls); retrans0=$(astat retransmitted_2xx); invites0=$(astat invites_in)
sed "s/@IMSD@/$ours/g; s|@FAR_PATH@|msrp://$far:7662/bobretrans001;tcp|" "$here/sip/uas_b2bua.xml" \
    >"$LAB_TMP/uas6.xml"
sed "s/@IMSD@/$ours/g; s/@HOLD@/300/" "$here/sip/uac_b2bua_retrans.xml" >"$LAB_TMP/uac6.xml"
pair "late ACK" "$LAB_TMP/uas6.xml" "$LAB_TMP/uac6.xml" \
    -s bob "$ours:5060" -key ident alice -key route_params ";orig" -key client "$client"
resent=$(( $(astat retransmitted_2xx) - retrans0 ))
[ "$resent" -ge 1 ] && [ "$resent" -le 2 ] || fail "2xx resent $resent times before a 1.3 s late ACK"
[ "$(astat b2bua_calls)" = $(( calls0 + 1 )) ] && [ "$(astat invites_in)" = $(( invites0 + 1 )) ] \
    || fail "one session expected: $(imsctl show sip stats)"
[ "$(astat acks_missing)" = 0 ] || fail "acks_missing: $(astat acks_missing)"
pass "RFC 3261 13.3.1.4: 2xx resent $resent time(s) over UDP until the late ACK, one session"

# 8. A final answer other than 200 from the far side (486 with a Warning):
#    imsd as B2BUA sends it on to the inviting side with its own Server and
#    the far side's Warning (6.1.1.2.2), and releases the relay session.
failed0=$(astat b2bua_failed)
uas_start far_busy uas_busy.xml
refused b2bua_busy_486 "$core" INVITE 486 ";orig" alice bob \
    "      P-Asserted-Identity: <sip:alice@example.net>
      User-Agent: IM-client/OMA2.0 sipp" application/sdp "      v=0
      o=alice 1 1 IN IP4 $client
      s=-
      c=IN IP4 $client
      t=0 0
      m=message 7654 TCP/MSRP *
      a=accept-types:text/plain
      a=path:msrp://$client:7654/alicebusy0001;tcp
" "Warning: 399 $far \"the invited user is busy" "Server: IM-serv/OMA2.0 imsd/" "486 Busy Here"
uas_wait far_busy
[ "$(astat b2bua_failed)" = $(( failed0 + 1 )) ] || fail "b2bua_failed: $(astat b2bua_failed)"
[ "$(json_get "$(imsctl --json show msrp sessions)" "len(j)")" = 0 ] || fail "relay session left after 486"
pass "486 from the far side sent on by the B2BUA with its Warning, the relay session released"

# 9. The originating B2BUA session with SIP over TCP on the client side:
#    imsd answers on the client's connection (nothing to resend: 13.3.1.4
#    is for UDP) and BYE follows; the far side over UDP.
calls0=$(astat b2bua_calls); retrans0=$(astat retransmitted_2xx)
sed "s/@IMSD@/$ours/g; s|@FAR_PATH@|msrp://$far:7664/bobtcp000001;tcp|" "$here/sip/uas_b2bua.xml" \
    >"$LAB_TMP/uas9.xml"
sed "s/@IMSD@/$ours/g; s/@HOLD@/300/" "$here/sip/uac_b2bua.xml" >"$LAB_TMP/uac9.xml"
pair "B2BUA over TCP" "$LAB_TMP/uas9.xml" "$LAB_TMP/uac9.xml" -t t1 \
    -s bob "$ours:5060" -key ident alice -key route_params ";orig" -key client "$client"
[ "$(astat b2bua_calls)" = $(( calls0 + 1 )) ] || fail "b2bua_calls: $(astat b2bua_calls)"
[ "$(astat retransmitted_2xx)" = "$retrans0" ] || fail "a 2xx was resent over TCP"
[ "$(json_get "$(imsctl --json show stats)" "j['dataplane']['total']['tcp_sip_punted']")" -ge 6 ] \
    || fail "no SIP over TCP through the exception path"
pass "B2BUA session with SIP over TCP on the client side (INVITE, 200, ACK, BYE on one connection)"

# 7 (runs beside 4 and 5). The same, the ACK never coming: after 64*T1
#    (32 s) of resending imsd ends the session with a BYE to both sides
#    (13.3.1.4). Its own ports: 5066 (client side) and 5068 (far side).
sed "s/@IMSD@/$ours/g; s|@FAR_PATH@|msrp://$far:7663/bobnoack00001;tcp|" "$here/sip/uas_b2bua.xml" \
    >"$LAB_TMP/uas7.xml"
sed "s/@IMSD@/$ours/g" "$here/sip/uac_b2bua_noack.xml" >"$LAB_TMP/uac7.xml"
timeout 80 ip netns exec "$ns" sipp -sf "$LAB_TMP/uas7.xml" -i "$far" -p 5068 -m 1 -nostdin \
    -timeout 70s -timeout_error -trace_err -error_file "$LAB_TMP/uas7.err" >/dev/null 2>&1 &
uas7_pid=$!; LAB_PIDS+=("$uas7_pid")
sleep 0.5
timeout 80 ip netns exec "$ns" sipp -sf "$LAB_TMP/uac7.xml" -i "$core" -p 5066 -m 1 -nostdin \
    -s bob "$ours:5060" -key ident alice -key route_params ";orig>, <sip:$far:5068;lr" \
    -key client "$client" \
    -timeout 70s -timeout_error -trace_err -error_file "$LAB_TMP/uac7.err" >/dev/null 2>&1 &
uac7_pid=$!; LAB_PIDS+=("$uac7_pid")
retrans7=$(astat retransmitted_2xx)

# 5 (runs beside 4). RFC 4028 with imsd as the refresher on both dialogs
#    (6.1.2.2.2 200 OK steps 4-6): a terminating session at 90 s whose
#    inviting side left the refresher open and whose invited side handed it
#    to imsd: at ~45 s imsd's UPDATE goes to the inviting side (it allows
#    UPDATE) and a re-INVITE with the same SDP to the invited side (it does
#    not); the session outlives the first deadline (60 s) and ends at ~70 s
#    with the inviting side's BYE. Its own ports: 5062 and 5064.
refreshes0=$(astat refreshes_sent)
sed "s/@IMSD@/$ours/g" "$here/sip/uas_b2bua_refresh.xml" >"$LAB_TMP/uas5.xml"
sed "s/@IMSD@/$ours/g; s/@FAR@/$far/g" "$here/sip/uac_b2bua_refresh.xml" >"$LAB_TMP/uac5.xml"
timeout 110 ip netns exec "$ns" sipp -sf "$LAB_TMP/uas5.xml" -i "$far" -p 5064 -m 1 -nostdin \
    -timeout 100s -timeout_error -trace_err -error_file "$LAB_TMP/uas5.err" >/dev/null 2>&1 &
uas5_pid=$!; LAB_PIDS+=("$uas5_pid")
sleep 0.5
timeout 110 ip netns exec "$ns" sipp -sf "$LAB_TMP/uac5.xml" -i "$core" -p 5062 -m 1 -nostdin \
    -s dave "$ours:5060" -key client "$client" \
    -timeout 100s -timeout_error -trace_err -error_file "$LAB_TMP/uac5.err" >/dev/null 2>&1 &
uac5_pid=$!; LAB_PIDS+=("$uac5_pid")
t5=$(date +%s)

# 4. RFC 4028: a 90 s session never refreshed is ended by imsd with a BYE to
#    both sides (at 90 - 30 s) and the relay released.
sed "s/@IMSD@/$ours/g; s|@FAR_PATH@|$far_path|" "$here/sip/uas_b2bua.xml" | python3 -c '
import sys
s = sys.stdin.read()
i = s.index("  <recv request=\"BYE\"/>")
s = s[:i] + "  <recv request=\"BYE\" timeout=\"80000\"/>" + s[i + len("  <recv request=\"BYE\"/>"):]
print(s)' >"$LAB_TMP/uas4.xml"
msrp_py server "$far" 7655 "$far_path" - "$LAB_TMP/bob4.json" >"$LAB_TMP/bob4.txt" 2>&1 &
LAB_PIDS+=("$!")
timeout 100 ip netns exec "$ns" sipp -sf "$LAB_TMP/uas4.xml" -i "$far" -p 5060 -m 1 -nostdin \
    -timeout 90s -timeout_error -trace_err -error_file "$LAB_TMP/uas4.err" >/dev/null 2>&1 &
uas_pid=$!; LAB_PIDS+=("$uas_pid")
sleep 0.5
sed "s/@IMSD@/$ours/g" "$here/sip/uac_b2bua_expire.xml" >"$LAB_TMP/uac4.xml"
t0=$(date +%s)
timeout 100 ip netns exec "$ns" sipp -sf "$LAB_TMP/uac4.xml" -i "$core" -p 5060 -m 1 -nostdin \
    -s bob "$ours:5060" -key ident alice -key route_params ";orig" -key client "$client" \
    -timeout 90s -timeout_error -trace_err -error_file "$LAB_TMP/uac4.err" >/dev/null 2>&1 \
    || fail "expiry, client side: $(grep -v '^\s*$' "$LAB_TMP/uac4.err" | head -30)"
wait "$uas_pid" || fail "expiry, far side: $(grep -v '^\s*$' "$LAB_TMP/uas4.err" | head -30)"
took=$(( $(date +%s) - t0 ))
[ "$took" -ge 55 ] && [ "$took" -le 75 ] || fail "the session ended after $took s (expected ~60)"
[ "$(astat sessions_expired)" = 1 ] || fail "sessions_expired: $(astat sessions_expired)"
# Session 5 still runs (to ~70 s): its relay session is the only one left.
[ "$(json_get "$(imsctl --json show msrp sessions)" "len(j)")" = 1 ] || fail "relay session left after expiry"
[ "$(json_get "$(imsctl --json show history sip:alice@example.net)" "j[-1]['ended_by']")" = "session timer" ] \
    || fail "history of the expired session: $(imsctl show history sip:alice@example.net)"
pass "session timer: 90 s interval not refreshed, BYE to both sides after $took s, relay released"

wait "$uac7_pid" || fail "never ACKed, client side: $(grep -v '^\s*$' "$LAB_TMP/uac7.err" | head -30)"
wait "$uas7_pid" || fail "never ACKed, far side: $(grep -v '^\s*$' "$LAB_TMP/uas7.err" | head -30)"
# Resent at 0.5, 1.5, 3.5, 7.5 s and every 4 s (T2) to 32 s: 10 times; the
# client's sipp bounds the BYE to 45 s after the 200.
resent7=$(( $(astat retransmitted_2xx) - retrans7 ))
[ "$(astat acks_missing)" = 1 ] || fail "acks_missing: $(astat acks_missing)"
[ "$resent7" -ge 9 ] && [ "$resent7" -le 11 ] || fail "2xx resent $resent7 times without an ACK (10 expected)"
pass "RFC 3261 13.3.1.4: no ACK, 2xx resent $resent7 times over 32 s, then BYE to both sides"

wait "$uac5_pid" || fail "refreshed session, inviting side: $(grep -v '^\s*$' "$LAB_TMP/uac5.err" | head -30)"
wait "$uas5_pid" || fail "refreshed session, invited side: $(grep -v '^\s*$' "$LAB_TMP/uas5.err" | head -30)"
took5=$(( $(date +%s) - t5 ))
[ "$took5" -ge 65 ] || fail "the refreshed session ended after $took5 s (its inviting side hangs up at ~70 s)"
[ "$(astat refreshes_sent)" = $(( refreshes0 + 2 )) ] || fail "refreshes_sent: $(astat refreshes_sent)"
[ "$(astat refresh_failures)" = 0 ] || fail "refresh_failures: $(astat refresh_failures)"
[ "$(astat sessions_expired)" = 1 ] || fail "the refreshed session expired: $(imsctl show sip stats)"
[ "$(json_get "$(imsctl --json show msrp sessions)" "len(j)")" = 0 ] || fail "relay session left after the refreshed session"
pass "RFC 4028: imsd refreshed both dialogs at half the interval (UPDATE, re-INVITE with the same SDP), the session lived $took5 s"

# 10. SIGTERM with sessions up: 8 B2BUA sessions held open, then imsd is
#     stopped. It must stop within system/shutdown-timeout-ms (5 s) with
#     every mbuf back (exit 0); the relay's sessions go down with the
#     dataplane (in single-core mode its loop has already stopped when the
#     agent ends its calls: releasing them one by one waited 1 s each).
sed "s/@IMSD@/$ours/g; s|@FAR_PATH@|msrp://$far:7665/bobheld000001;tcp|" "$here/sip/uas_b2bua.xml" \
    >"$LAB_TMP/uas10.xml"
sed "s/@IMSD@/$ours/g; s/@HOLD@/60000/" "$here/sip/uac_b2bua.xml" >"$LAB_TMP/uac10.xml"
ip netns exec "$ns" sipp -sf "$LAB_TMP/uas10.xml" -i "$far" -p 5060 -m 8 -nostdin \
    -timeout 90s >/dev/null 2>&1 &
LAB_PIDS+=("$!")
sleep 0.5
ip netns exec "$ns" sipp -sf "$LAB_TMP/uac10.xml" -i "$core" -p 5060 -m 8 -r 20 -nostdin \
    -s bob "$ours:5060" -key ident alice -key route_params ";orig" -key client "$client" \
    -timeout 90s >/dev/null 2>&1 &
LAB_PIDS+=("$!")
for _ in $(seq 50); do
    [ "$(json_get "$(imsctl --json show msrp sessions)" "len(j)")" = 8 ] && break
    sleep 0.1
done
[ "$(json_get "$(imsctl --json show msrp sessions)" "len(j)")" = 8 ] \
    || fail "8 held sessions expected: $(imsctl show sessions)"

if [ -n "${tshark_pid:-}" ]; then
    kill -INT "$tshark_pid"; wait "$tshark_pid" 2>/dev/null
    frames=$(tshark_clean "$LAB_TMP/b2b.pcapng" 40 "sip || msrp" -d tcp.port==2855,msrp \
        -d tcp.port==7655,msrp -d tcp.port==7654,msrp) || exit 1
    pass "tshark: $frames SIP and MSRP frames, none malformed"
fi
t_stop=$(date +%s%N)
stop_imsd
took_ms=$(( ($(date +%s%N) - t_stop) / 1000000 ))
[ "$IMSD_STATUS" = 0 ] || fail "imsd exit status $IMSD_STATUS (stopping with 8 sessions up took $took_ms ms)"
pass "clean stop with 8 B2BUA sessions up, in $took_ms ms"

#!/usr/bin/env bash
# Lab: the MSRP relay between two kernel-socket MSRP peers in a namespace.
# Leg A: a client that connects to imsd (imsd passive); leg B: a server imsd
# connects to (imsd active, binding the connection with a bodiless SEND).
# A text message, a 5 MiB file in 2 KiB chunks (SHA-256 at the far end), a
# message aborted with #, the far side's 413 / 415 back to the sender, an
# unknown method (501), unknown session (481), no answer from the far side (408); sent counts
# (Include-Sent-Count, Distribution-Count); content policy (a blocked pattern split over two
# chunks, count rule, 415 by type and by the type inside CPIM, 413 declared and grown);
# paths rewritten on every relayed request; the capture checked with tshark's
# MSRP dissector when tshark is installed; then a second session with a slow
# reader on leg B (leg A paused by flow control) released in mid-transfer
# with every mbuf back; two sessions sharing one connection to their common
# next hop; and the events the sigplane gets for all of it.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root_and_netns

id=$(( $$ % 100000 ))
tap="imsdm$id"
ns="imsd-msrp-$id"
prefix="imsdmsrp$id"
sock="$LAB_TMP/imsd.sock"
ours="198.18.16.1"
peer="198.18.16.2"
lab_conf "$prefix" \
    "<mbufs>16383</mbufs><idle-sleep-us>10</idle-sleep-us><msrp><port-first>2855</port-first></msrp>" \
    "net_tap_msrp$id,iface=$tap" "$ours/24" \
    "<im><session><content-type>text/plain</content-type><content-type>message/cpim</content-type>
       <max-size-bytes>8388608</max-size-bytes></session>
       <msrp-response-timeout-ms>3000</msrp-response-timeout-ms></im>
     <content-rules>
       <rule id=\"7\"><expression>forbidden\\s+fruit</expression></rule>
       <rule id=\"8\" action=\"count\"><expression>tally</expression></rule>
     </content-rules>"
imsctl() { "$IMSCTL_BIN" --socket "$sock" "$@"; }
mstat() { json_get "$(imsctl --json show msrp stats)" "j['total']['$1']"; }
peer_py() { timeout 180 ip netns exec "$ns" python3 "$here/msrp_peer.py" "$@"; }

start_imsd "$LAB_TMP/imsd.xml"
wire_netns "$ns" "$tap" "$peer/24"
ip netns exec "$ns" ping -c 1 -W 2 -q "$ours" >/dev/null || fail "ping $ours"

s=$(imsctl --json msrp create) || fail "msrp create: $s"
sid=$(json_get "$s" "j['id']")
uri_a=$(json_get "$s" "j['uri_a']")
uri_b=$(json_get "$s" "j['uri_b']")
case "$uri_a" in msrp://$ours:2855/*\;tcp) ;; *) fail "leg a URI: $uri_a" ;; esac
part=${uri_a##*/}; part=${part%;tcp}
[ "${#part}" = 20 ] || fail "session id of $uri_a is not 20 characters (119 random bits)"
pass "session $sid: a $uri_a, b $uri_b"

bob="msrp://$peer:7000/bobsession0001;tcp"
alice="msrp://$peer:40000/alicesession01;tcp"
peer_py server "$peer" 7000 "$bob" "$uri_b" "$LAB_TMP/bob.json" "m-413=413,m-415=415,m-408=0,m-partial-413=413" \
    >"$LAB_TMP/bob.txt" 2>&1 &
bob_pid=$!; LAB_PIDS+=("$bob_pid")
for _ in $(seq 50); do grep -q listening "$LAB_TMP/bob.txt" && break; sleep 0.1; done
imsctl msrp path "$sid" b "$bob" active >/dev/null || fail "msrp path b"
imsctl msrp path "$sid" a "$alice" passive >/dev/null || fail "msrp path a"
for _ in $(seq 50); do [ "$(mstat conns_opened)" -ge 1 ] && break; sleep 0.1; done

imsctl msrp reports "$sid" a >/dev/null || fail "msrp reports"
imsctl msrp accept "$sid" "text/plain,message/cpim" text/plain 6000000 >/dev/null \
    || fail "msrp accept"
# The 5 MiB file runs before the capture starts: Wireshark's MSRP dissector
# reports a few of the frames of a long chunked transfer as malformed
# whoever sends them (seen with the python peer's own frames too); the
# file's integrity is checked end to end by SHA-256 instead.
for scenario in file text abort statuses timeout unknown reports policy policy-live quit; do
    if [ "$scenario" = policy-live ]; then
        # A rule added while the relay runs (the policy set is republished;
        # the replaced one is freed once no scan uses it).
        sed 's|</content-rules>|<rule id="9"><expression>pineapple</expression></rule></content-rules>|' \
            "$LAB_TMP/imsd.xml" >"$LAB_TMP/imsd-live.xml"
        imsctl settings apply "$LAB_TMP/imsd-live.xml" >/dev/null || fail "apply a new content rule"
    fi
    if [ "$scenario" = text ]; then
        capture=""
        if command -v tshark >/dev/null; then
            capture="$LAB_TMP/msrp.pcap"
            ip netns exec "$ns" tshark -q -i "$tap" -w "$capture" -f "tcp" >/dev/null 2>&1 &
            LAB_PIDS+=("$!")
            tshark_pid=$!
            sleep 1.5
        fi
    fi
    out=$(peer_py client "$ours" 2855 "$alice" "$uri_a" $scenario 2>&1) \
        || fail "$scenario: $out ($(imsctl show msrp stats | grep -v ' 0 '); $(imsctl show connections))"
    pass "$out"
done
wait "$bob_pid" || fail "leg B peer: $(cat "$LAB_TMP/bob.txt")"
report=$(cat "$LAB_TMP/bob.json")
[ "$(json_get "$report" "j['bad_paths']")" = 0 ] || fail "paths not rewritten: $report"
sha=$(json_get "$report" "j['messages']['m-file']['sha256']")
[ "$(json_get "$report" "j['messages']['m-file']['chunks']")" = 2560 ] \
    || fail "file chunks at B: $(json_get "$report" "j['messages']['m-file']['chunks']")"
# The kernel peer checked every segment's checksum; most of the file's bytes
# went out with the sums TCP input had taken, not summed twice.
tcp_json=$(imsctl --json show tcp) || fail "show tcp: $tcp_json"
carried=$(json_get "$tcp_json" "j['total']['tx_sum_carried_bytes']") || fail "show tcp: $tcp_json"
[ "$carried" -ge 1310720 ] || fail "tx_sum_carried_bytes $carried: the file's sums were not carried"
pass "checksums carried for $carried payload bytes (the 5 MiB file and the rest)"
[ "$(json_get "$report" "j['flags']['m-abort'][-1]")" = "#" ] || fail "abort flag not relayed"
[ "$(json_get "$report" "j['messages']['m-text']['chunks']")" = 1 ] || fail "text not at B"
[ "$(json_get "$report" "[v for n, v in j['headers']['m-text'] if n == 'Byte-Range'][0]")" = "1-23/23" ] \
    || fail "Byte-Range changed"
for mid in m-rep-yes m-rep-none m-text; do
    [ "$(json_get "$report" "[v for n, v in j['headers']['$mid'] if n == 'Success-Report'][0]")" = "yes;Include-Sent-Count" ] \
        || fail "$mid: Success-Report at B: $(json_get "$report" "j['headers']['$mid']")"
done
[ "$(mstat distribution_reports)" = 2 ] || fail "distribution_reports $(mstat distribution_reports)"
[ "$(mstat distribution_count_total)" = 6 ] || fail "distribution_count_total $(mstat distribution_count_total)"
[ "$(mstat reports_consumed)" = 1 ] || fail "reports_consumed $(mstat reports_consumed)"
[ "$(json_get "$(imsctl --json show msrp sessions)" "j[0]['last_distribution_count']")" = 3 ] \
    || fail "show msrp sessions: $(imsctl show msrp sessions)"
pass "sent counts: Success-Report: yes;Include-Sent-Count on every SEND from leg a, 2 Distribution-Count REPORTs (6 recipients), 1 consumed"
pass "at B: paths rewritten on all $(json_get "$report" "j['requests']") requests, file sha256 $sha, # relayed"
[ "$(mstat unknown_session)" = 1 ] || fail "unknown_session $(mstat unknown_session)"
[ "$(mstat timeouts)" = 1 ] || fail "timeouts $(mstat timeouts)"
[ "$(mstat unknown_method)" = 1 ] || fail "unknown_method $(mstat unknown_method)"
# Content policy, as leg B saw it: the blocked message's first chunk, then
# its second cut off with '#' before any byte of it; nothing refused arrived.
python3 - "$report" <<'PY' || fail "content policy at B: $report"
import json, sys
j = json.loads(sys.argv[1])
flags = j["flags"]
assert flags["m-block"] == ["+", "#"], flags["m-block"]
assert j["messages"]["m-block"]["sha256"] == __import__("hashlib").sha256(
    b"a harmless start, then the forbidden  fr").hexdigest(), "bytes of the refused chunk reached B"
for mid in ("m-png", "m-big"):  # refused by their headers: nothing relayed
    assert mid not in flags, mid
# CPIM's inner type is in its body: the head went out, the chunk ends '#'.
assert flags["m-cpim-html"] == ["#"], flags["m-cpim-html"]
assert flags["m-cpim-ok"] == ["$"] and flags["m-count"] == ["$"]
assert flags["m-cpim-block"] == ["#"], flags["m-cpim-block"]
assert flags["m-grow"][-1] == "#" and len(flags["m-grow"]) == 92, flags["m-grow"]
PY
[ "$(mstat policy_blocked)" = 4 ] || fail "policy_blocked $(mstat policy_blocked)"
[ "$(mstat policy_counted)" = 1 ] || fail "policy_counted $(mstat policy_counted)"
[ "$(mstat type_refused)" = 2 ] || fail "type_refused $(mstat type_refused)"
[ "$(mstat size_refused)" = 2 ] || fail "size_refused $(mstat size_refused)"
[ "$(mstat failure_reports)" = 1 ] || fail "failure_reports $(mstat failure_reports)"
[ "$(mstat scan_bytes)" -gt 5242880 ] || fail "scan_bytes $(mstat scan_bytes)"
# Whole chunks of a poll are scanned together at its end (the text, CPIM
# and count messages here are each whole in one delivery).
[ "$(mstat scans_batched)" -gt 0 ] || fail "scans_batched $(mstat scans_batched)"
pass "content policy at B: the blocked chunk ended '#' with none of its bytes, nothing refused arrived; $(mstat scan_bytes) bytes scanned in $(mstat scan_cycles) cycles"
[ "$(mstat chunks_aborted)" = 7 ] || fail "chunks_aborted $(mstat chunks_aborted)"
[ "$(mstat responses_relayed)" -ge 2565 ] || fail "responses_relayed $(mstat responses_relayed)"
sessions=$(imsctl --json show msrp sessions)
[ "$(json_get "$sessions" "len(j)")" = 1 ] || fail "show msrp sessions: $sessions"
imsctl msrp release "$sid" >/dev/null || fail "release"
# The events the sigplane gets (show msrp events: the newest 100): both legs
# connected, a record per message with its verdict, the Distribution-Count,
# and at release both legs closed and the session's totals.
events=$(imsctl --json show msrp events)
python3 - "$events" "$sid" <<'PY' || fail "show msrp events: $(imsctl show msrp events | tail -30)"
import json, sys
ev = [e for e in json.loads(sys.argv[1]) if e["session"] == int(sys.argv[2])]
by = lambda kind: [e for e in ev if e["event"] == kind]
msgs = {e["message_id"]: e for e in by("message")}
assert msgs["m-cpim-ok"]["outcome"] == "relayed" and msgs["m-cpim-ok"]["leg"] == "a", msgs["m-cpim-ok"]
assert msgs["m-block"]["outcome"] == "blocked (rule 7)", msgs["m-block"]
assert msgs["m-live"]["outcome"] == "blocked (rule 9)", msgs["m-live"]
assert msgs["m-png"]["outcome"] == "type_refused" and msgs["m-cpim-html"]["outcome"] == "type_refused"
assert msgs["m-big"]["outcome"] == "size_refused" and msgs["m-grow"]["outcome"] == "size_refused"
assert 6000000 < msgs["m-grow"]["bytes"] <= 92 * 65536, msgs["m-grow"]  # as far as it got
assert msgs["m-live-ok"]["bytes"] == 9 and msgs["quit"]["outcome"] == "relayed"
assert len([e for e in by("message") if e["message_id"] == "m-block"]) == 1, "one record per message"
# Each client scenario connects leg a anew and closes it (FIN); leg b's peer
# closes after "quit", before the release (which then has no leg to close:
# the second session below checks "released").
closed = by("leg_closed")
assert all(e["outcome"] == "closed" for e in closed), closed
assert closed[-1]["leg"] == "b" and len([e for e in closed if e["leg"] == "a"]) >= 3, closed
assert len([e for e in by("leg_connected") if e["leg"] == "a"]) >= 3, by("leg_connected")
dist = {e["message_id"]: e["count"] for e in by("distribution")}
assert dist == {"m-rep-yes": 3, "m-rep-none": 3}, dist
end = by("session_end")
assert len(end) == 1 and end[0]["outcome"].startswith("a: "), end
PY
python3 - "$(imsctl --json show msrp stats)" "$events" <<'PY' || fail "events: $(imsctl show msrp stats | grep event)"
import json, sys
t = json.loads(sys.argv[1])["total"]
# Every event sent reached the sigplane's log (fewer than the 100 shown).
assert t["events_dropped"] == 0 and t["events_sent"] == len(json.loads(sys.argv[2])), t
PY
pass "events to the sigplane: legs, a record per message (relayed / blocked by rule / 415 / 413), Distribution-Count, totals at release; $(mstat events_sent) sent, none dropped"
[ "$(json_get "$(imsctl --json show msrp sessions)" "len(j)")" = 0 ] || fail "still listed"
pass "$(mstat requests_relayed) requests and $(mstat body_bytes_relayed) body bytes relayed; session released"

if [ -n "$capture" ]; then
    sleep 0.5
    kill -INT "$tshark_pid" 2>/dev/null; sleep 1
    dissect=$(tshark -r "$capture" -d tcp.port==2855,msrp -d tcp.port==7000,msrp -Y msrp \
        -T fields -e msrp.method -e msrp.status.code 2>&1)
    frames=$(grep -c . <<<"$dissect")
    malformed=$(tshark -r "$capture" -d tcp.port==2855,msrp -d tcp.port==7000,msrp \
        -Y '_ws.malformed || (_ws.expert.severity >= warning && !tcp.analysis.flags)' \
        2>/dev/null | grep -c .)
    [ "$frames" -ge 12 ] || fail "tshark dissected $frames MSRP frames"
    # TCP analysis flags are left out: zero windows are the flow control at
    # work (a slow reader), and under load the capture itself drops frames
    # ("ACKed segment that wasn't captured"); lab_tcp_conformance checks TCP.
    [ "$malformed" = 0 ] || fail "tshark: $malformed malformed or warning frames: $(tshark -r "$capture" -d tcp.port==2855,msrp -d tcp.port==7000,msrp -Y "_ws.malformed || (_ws.expert.severity >= warning && !tcp.analysis.flags)" -T fields -e frame.number -e _ws.expert.message 2>/dev/null | head -5)"
    zw=$(tshark -r "$capture" -Y 'tcp.analysis.zero_window' 2>/dev/null | grep -c .)
    # The dissected fields: every SEND imsd relays to B names B's path and
    # carries the sent-count request; the Message-IDs are the same on both legs.
    fields=$(tshark -r "$capture" -d tcp.port==2855,msrp -d tcp.port==7000,msrp \
        -Y 'msrp.method == "SEND"' -T fields -e tcp.dstport -e msrp.messageid -e msrp.to.path \
        -e msrp.success.report 2>/dev/null)
    python3 - "$fields" "$bob" "$uri_a" <<'PY' || fail "tshark fields: $fields"
import sys
rows = [l.split("\t") for l in sys.argv[1].splitlines() if l]
to_b = [r for r in rows if r[0] == "7000" and r[1]]
to_a = [r for r in rows if r[0] == "2855"]
assert to_b and all(r[2] == sys.argv[2] and r[3] == "yes;Include-Sent-Count" for r in to_b), to_b
assert all(r[2] == sys.argv[3] for r in to_a if r[1] != "m-x"), to_a  # m-x: the 481 case
# Refused by their heads (481, 415, 413), nothing of them reaches B.
refused = {"m-x", "m-png", "m-big"}
assert {r[1] for r in to_b} == {r[1] for r in to_a} - refused, (to_a, to_b)
assert not refused & {r[1] for r in to_b}
PY
    pass "tshark: $frames MSRP frames dissected, none malformed or with a warning ($zw zero-window segments: flow control)"
else
    echo "NOTE: tshark is not installed (scripts/deps installs it): capture not checked" >&2
fi
# Release in mid-transfer: a second session, the 5 MiB file under way, then
# released: both legs closed, nothing leaked.
idle=$(json_get "$(imsctl --json show pools)" "sum(p['in_use'] for p in j)")
s2=$(imsctl --json msrp create) || fail "msrp create (2): $s2"
sid2=$(json_get "$s2" "j['id']")
uri_a2=$(json_get "$s2" "j['uri_a']")
uri_b2=$(json_get "$s2" "j['uri_b']")
bob2="msrp://$peer:7001/bobsession0002;tcp"
# Leg B reads slowly (2 ms a message): the relay's queue towards it fills,
# leg A stops being read (flow control), and the release comes mid-way.
peer_py server "$peer" 7001 "$bob2" "$uri_b2" "$LAB_TMP/bob2.json" "slow=2" >"$LAB_TMP/bob2.txt" 2>&1 &
bob2_pid=$!; LAB_PIDS+=("$bob2_pid")
for _ in $(seq 50); do grep -q listening "$LAB_TMP/bob2.txt" && break; sleep 0.1; done
imsctl msrp path "$sid2" b "$bob2" active >/dev/null || fail "msrp path b (2)"
imsctl msrp path "$sid2" a "$alice" passive >/dev/null || fail "msrp path a (2)"
relayed0=$(mstat requests_relayed)
paused0=$(mstat flow_paused)
peer_py client "$ours" 2855 "$alice" "$uri_a2" file >"$LAB_TMP/alice2.txt" 2>&1 &
alice2=$!; LAB_PIDS+=("$alice2")
for _ in $(seq 100); do [ $(( $(mstat requests_relayed) - relayed0 )) -ge 200 ] && break; sleep 0.05; done
[ $(( $(mstat requests_relayed) - relayed0 )) -ge 200 ] || fail "second transfer did not start"
sleep 1
[ "$(mstat flow_paused)" -gt "$paused0" ] || fail "a slow reader on leg B never paused leg A"
imsctl msrp release "$sid2" >/dev/null || fail "release mid-transfer"
python3 - "$(imsctl --json show msrp events)" "$sid2" <<'PY' || fail "events of the release: $(imsctl show msrp events | tail)"
import json, sys
ev = [e for e in json.loads(sys.argv[1]) if e["session"] == int(sys.argv[2])]
rel = sorted(e["leg"] for e in ev if e["event"] == "leg_closed" and e["outcome"] == "released")
assert rel == ["a", "b"], ev
end = [e for e in ev if e["event"] == "session_end"]
assert len(end) == 1 and end[0]["bytes"] > 0, end
PY
wait "$alice2" && fail "the client finished a transfer that was released under it"
wait "$bob2_pid" || fail "leg B (2): $(cat "$LAB_TMP/bob2.txt")"
for _ in $(seq 100); do
    [ "$(json_get "$(imsctl --json show pools)" "sum(p['in_use'] for p in j)")" = "$idle" ] && break
    sleep 0.1
done
[ "$(json_get "$(imsctl --json show pools)" "sum(p['in_use'] for p in j)")" = "$idle" ] \
    || fail "mbufs in use after the release: $(imsctl show pools)"
[ "$(json_get "$(imsctl --json show msrp sessions)" "len(j)")" = 0 ] || fail "session 2 still listed"
pass "slow reader on B: leg A paused $(( $(mstat flow_paused) - paused0 )) times; released in mid-transfer after $(( $(mstat requests_relayed) - relayed0 )) chunks: both legs closed, mbufs back to $idle in use"

# Two sessions whose leg b has the same next hop share one connection (RFC
# 4975 7.1.1: imsd opens it once and binds each session on it with its own
# bodiless SEND); releasing the first leaves it up for the second; releasing
# the second closes it.
shared0=$(mstat conns_shared)
s3=$(imsctl --json msrp create) && s4=$(imsctl --json msrp create) || fail "msrp create (3, 4)"
sid3=$(json_get "$s3" "j['id']"); uri_a3=$(json_get "$s3" "j['uri_a']")
sid4=$(json_get "$s4" "j['id']"); uri_a4=$(json_get "$s4" "j['uri_a']")
bob3="msrp://$peer:7002/bobshared0003;tcp"
bob4="msrp://$peer:7002/bobshared0004;tcp"
peer_py shared-server "$peer" 7002 "$LAB_TMP/shared.json" >"$LAB_TMP/shared.txt" 2>&1 &
shared_pid=$!; LAB_PIDS+=("$shared_pid")
for _ in $(seq 50); do grep -q listening "$LAB_TMP/shared.txt" && break; sleep 0.1; done
imsctl msrp path "$sid3" b "$bob3" active >/dev/null || fail "msrp path b (3)"
imsctl msrp path "$sid4" b "$bob4" active >/dev/null || fail "msrp path b (4)"
imsctl msrp path "$sid3" a "$alice" passive >/dev/null || fail "msrp path a (3)"
imsctl msrp path "$sid4" a "$alice" passive >/dev/null || fail "msrp path a (4)"
[ "$(mstat conns_shared)" = $(( shared0 + 1 )) ] || fail "conns_shared $(mstat conns_shared)"
out=$(peer_py client "$ours" 2855 "$alice" "$uri_a3" text 2>&1) || fail "session 3 text: $out"
out=$(peer_py client "$ours" 2855 "$alice" "$uri_a4" text 2>&1) || fail "session 4 text: $out"
# Both sessions stream a 256 KiB chunk at once from two connections, in
# alternating writes: on the shared connection imsd ends the open chunk
# '+' for the other session's request and resumes it after under a new
# head (RFC 4975 7.1). The far side reassembles each by Byte-Range (below).
int0=$(mstat chunks_interrupted)
shas=$(peer_py pair-client "$ours" 2855 "$alice" "$uri_a3" "$uri_a4" 262144 2>&1) \
    || fail "two large chunks at once on a shared connection: $shas"
ints=$(( $(mstat chunks_interrupted) - int0 ))
[ "$ints" -gt 0 ] || fail "no chunk was interrupted on the shared connection"
imsctl msrp release "$sid3" >/dev/null || fail "release 3"
out=$(peer_py client "$ours" 2855 "$alice" "$uri_a4" quit 2>&1) \
    || fail "session 4 after session 3 was released on the shared connection: $out"
imsctl msrp release "$sid4" >/dev/null || fail "release 4"
wait "$shared_pid" || fail "shared next hop: $(cat "$LAB_TMP/shared.txt")"
python3 - "$(cat "$LAB_TMP/shared.json")" "$bob3" "$bob4" "$shas" <<'PY' || fail "shared connection at B: $(cat "$LAB_TMP/shared.json")"
import json, sys
j = json.loads(sys.argv[1]); b3, b4 = sys.argv[2:4]; shas = json.loads(sys.argv[4])
assert j["extra_conns"] == 0, "a second connection to the same next hop"
assert sorted(j["binds"]) == sorted([b3, b4]), j["binds"]
small = [m for m in j["messages"] if not m[0].startswith("m-big")]
assert small == [["m-text", b3], ["m-text", b4], ["quit", b4]], j["messages"]
for mid, to in (("m-big1", b3), ("m-big2", b4)):
    parts = j["parts"][mid]
    at = 1
    for start, flag, n, path in parts:
        assert start == at, (mid, parts)  # each part goes on where the last stopped
        assert path == to, (mid, parts)
        at += n
    assert [p[1] for p in parts] == ["+"] * (len(parts) - 1) + ["$"], (mid, parts)
    assert at == 262144 + 1, (mid, at)
    assert j["sha256"][mid] == shas[mid], (mid, "SHA-256 differs")
PY
pass "two sessions shared one connection to their common next hop (a bind SEND each, To-Paths kept apart, responses back to each sender's paths); the first released, the second went on; released, the connection closed"
pass "two 256 KiB chunks at once on the shared connection: $ints interruptions, each message reassembled by Byte-Range at the far side with its SHA-256, one 200 to each sender"

# Single-core mode: the polling loop drains the relay's events itself, and
# that housekeeping is counted (service_cycles) with the lcore's busy time.
if json_get "$(imsctl --json show version)" "j['worker_lcores']" | grep -q single-core; then
    svc=$(json_get "$(imsctl --json show stats)" "j['dataplane']['total']['service_cycles']")
    [ "$svc" -gt 0 ] || fail "service_cycles $svc in single-core mode"
    # With no traffic, the polls that run it (every 10 ms) still count busy.
    busy() { json_get "$(imsctl --json show stats)" "j['dataplane']['total']['polls_busy']"; }
    b0=$(busy); sleep 1; b1=$(busy)
    [ $(( b1 - b0 )) -ge 20 ] || fail "polls_busy rose by $(( b1 - b0 )) in an idle second"
    pass "single-core housekeeping counted: $svc cycles, $(( b1 - b0 )) busy polls in an idle second"
fi

stop_imsd
[ "$IMSD_STATUS" = 0 ] || fail "exit status $IMSD_STATUS"
! grep -q "mbuf leak" "$IMSD_LOG" || fail "mbuf leak at exit"
echo "lab_msrp: all checks passed"

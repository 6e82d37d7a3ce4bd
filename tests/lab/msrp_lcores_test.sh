#!/usr/bin/env bash
# Lab: the MSRP relay on two polling lcores (lcores 1 and 2 sharing CPU 1,
# net_tap with a queue each; the kernel spreads flows over the queues by its
# own hash, which imsd does not choose). Sessions go round the lcores, each
# lcore serves its own MSRP port, and TCP segments arriving on the other
# lcore's queue are handed over (software steering): every session relays
# both ways, on passive and active legs, whichever queue its flows land on.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root_and_netns

id=$(( $$ % 100000 ))
tap="imsdl$id"
ns="imsd-lc-$id"
sock="$LAB_TMP/imsd.sock"
ours="198.18.24.1"
peer="198.18.24.2"
lab_conf "imsdlc$id" \
    "<idle-sleep-us>10</idle-sleep-us><msrp><port-first>2855</port-first><port-last>2856</port-last></msrp>" \
    "net_tap_lc$id,iface=$tap" "$ours/24"
sed -i 's|<lcores>0</lcores>|<lcores>0@0,1@1,2@1</lcores>|' "$LAB_TMP/imsd.xml"
imsctl() { "$IMSCTL_BIN" --socket "$sock" "$@"; }
nstat() { json_get "$(imsctl --json show stats)" "j['dataplane']['total']['$1']"; }
mstat() { json_get "$(imsctl --json show msrp stats)" "j['total']['$1']"; }
peer_py() { timeout 120 ip netns exec "$ns" python3 "$here/msrp_peer.py" "$@"; }

start_imsd "$LAB_TMP/imsd.xml"
grep -q "2 worker lcore" "$IMSD_LOG" || fail "imsd did not start two worker lcores: $(grep lcore "$IMSD_LOG")"
wire_netns "$ns" "$tap" "$peer/24"
ip netns exec "$ns" ping -c 1 -W 2 -q "$ours" >/dev/null || fail "ping $ours"

alice="msrp://$peer:40000/alicesession01;tcp"
for i in 0 1 2 3; do
    s=$(imsctl --json msrp create) || fail "msrp create: $s"
    sid=$(json_get "$s" "j['id']")
    uri_a=$(json_get "$s" "j['uri_a']")
    uri_b=$(json_get "$s" "j['uri_b']")
    want_port=$(( 2855 + i % 2 ))
    case "$uri_a" in msrp://$ours:$want_port/*) ;; *) fail "session $i on lcore $(( i % 2 )): $uri_a" ;; esac
    bob="msrp://$peer:$(( 7100 + i ))/bobsession000$i;tcp"
    peer_py server "$peer" $(( 7100 + i )) "$bob" "$uri_b" "$LAB_TMP/bob$i.json" "" \
        >"$LAB_TMP/bob$i.txt" 2>&1 &
    bob_pid=$!; LAB_PIDS+=("$bob_pid")
    for _ in $(seq 50); do grep -q listening "$LAB_TMP/bob$i.txt" && break; sleep 0.1; done
    imsctl msrp path "$sid" b "$bob" active >/dev/null || fail "msrp path b ($i)"
    imsctl msrp path "$sid" a "$alice" passive >/dev/null || fail "msrp path a ($i)"
    for scenario in text abort quit; do
        out=$(peer_py client "$ours" $want_port "$alice" "$uri_a" $scenario 2>&1) \
            || fail "session $i, $scenario: $out ($(imsctl show msrp stats | grep -v ' 0 '))"
    done
    wait "$bob_pid" || fail "leg B $i: $(cat "$LAB_TMP/bob$i.txt")"
    report=$(cat "$LAB_TMP/bob$i.json")
    [ "$(json_get "$report" "j['bad_paths']")" = 0 ] || fail "session $i: paths: $report"
    [ "$(json_get "$report" "sorted(j['messages'])")" = "['m-abort', 'm-text', 'quit']" ] \
        || fail "session $i at B: $report"
    pass "session $sid on lcore $(( i % 2 )) (port $want_port): text, abort, quit relayed both ways"
done
rows=$(imsctl --json show msrp sessions)
[ "$(json_get "$rows" "sorted(r['lcore'] for r in j)")" = "[0, 0, 1, 1]" ] \
    || fail "show msrp sessions: $(imsctl show msrp sessions)"
out=$(nstat tcp_steered_out); in=$(nstat tcp_steered_in)
[ "$(nstat tcp_steer_full)" = 0 ] || fail "tcp_steer_full $(nstat tcp_steer_full)"
[ "$out" = "$in" ] || fail "steered out $out, in $in"
[ "$out" -gt 0 ] || fail "no segment needed steering: the test did not exercise it ($(imsctl show stats --per-lcore | grep -E 'rx_packets|steer'))"
per=$(json_get "$(imsctl --json show msrp stats --per-lcore)" \
    "' / '.join('lcore %s: %d' % (k, v['requests_relayed']) for k, v in sorted(j['lcores'].items()))")
for n in $(json_get "$(imsctl --json show msrp stats --per-lcore)" \
    "' '.join(str(v['requests_relayed']) for v in j['lcores'].values())"); do
    [ "$n" -ge 6 ] || fail "an lcore relayed only $n requests: $per"
done
pass "4 sessions over 2 lcores; $out segments arrived on the other lcore's queue and were handed over (requests relayed: $per)"

stop_imsd
[ "$IMSD_STATUS" = 0 ] || fail "exit status $IMSD_STATUS"
! grep -q "mbuf leak" "$IMSD_LOG" || fail "mbuf leak at exit"
echo "lab_msrp_lcores: all checks passed"

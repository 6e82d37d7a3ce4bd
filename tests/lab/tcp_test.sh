#!/usr/bin/env bash
# Lab: imsd's TCP against the Linux kernel's, over net_tap in a namespace.
# Bulk echo of 64 MiB (SHA-256 compared), a 64 MiB sink, 64 MiB from imsd to a
# kernel server (active open), connection refused,
# 1,000 concurrent connections, a reader that stops reading (zero window and
# recovery), RST and FIN from the peer, and the same echo again under 1% and
# 5% random loss in both directions (nftables on the peer's interface); then
# connections and mbufs back to their idle values and a clean shutdown; then
# again through imsd's impairment stage (loss, duplication, reordering, delay).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root_and_netns
command -v nft >/dev/null || skip "nft (nftables) is not installed"

id=$(( $$ % 100000 ))
tap="imsdc$id"
ns="imsd-tcp-$id"
prefix="imsdtcp$id"
sock="$LAB_TMP/imsd.sock"
ours="198.18.14.1"
peer="198.18.14.2"
lab_conf "$prefix" \
    "<mbufs>16383</mbufs><idle-sleep-us>10</idle-sleep-us><tcp><echo-port>7</echo-port><sink-port>9</sink-port><time-wait-ms>1000</time-wait-ms></tcp>" \
    "net_tap_tcp$id,iface=$tap" "$ours/24"
imsctl() { "$IMSCTL_BIN" --socket "$sock" "$@"; }
tcp_stat() { json_get "$(imsctl --json show tcp)" "j['total']['$1']"; }
in_use() { json_get "$(imsctl --json show pools)" "sum(p['in_use'] for p in j)"; }  # every pool
client() { timeout 300 ip netns exec "$ns" python3 "$here/tcp_client.py" "$@"; }

start_imsd "$LAB_TMP/imsd.xml"
wire_netns "$ns" "$tap" "$peer/24"
ip netns exec "$ns" ping -c 1 -W 2 -q "$ours" >/dev/null || fail "ping $ours"
idle_mbufs=$(in_use)

out=$(client echo "$ours" 7 67108864) || fail "64 MiB echo: $out"; pass "$out"
before=$(tcp_stat bytes_in)
out=$(client sink "$ours" 9 67108864) || fail "64 MiB sink: $out"
[ $(( $(tcp_stat bytes_in) - before )) = 67108864 ] || fail "sink counted $(( $(tcp_stat bytes_in) - before )) bytes"
pass "$out, 67108864 bytes counted"
out=$(client refused "$ours" 1) || fail "$out"; pass "$out"
out=$(client many "$ours" 7 1000 1024) || fail "$out"; pass "$out"
# imsd -> kernel: a source connection from the dataplane to a kernel server.
client server "$peer" 5001 67108864 >"$LAB_TMP/server.txt" 2>&1 &
server=$!; LAB_PIDS+=("$server")
for _ in $(seq 50); do grep -q listening "$LAB_TMP/server.txt" && break; sleep 0.1; done
imsctl tcp source "$peer" 5001 67108864 >/dev/null || fail "imsctl tcp source"
wait "$server" || fail "kernel server: $(cat "$LAB_TMP/server.txt")"
for _ in $(seq 50); do [ "$(tcp_stat source_completed)" = 1 ] && break; sleep 0.1; done
[ "$(tcp_stat source_completed)" = 1 ] || fail "source not completed: $(imsctl show tcp | grep source)"
pass "$(tail -n1 "$LAB_TMP/server.txt")"
client echo "$ours" 7 4194304 3.0 >"$LAB_TMP/stall.txt" 2>&1 &
stall=$!; LAB_PIDS+=("$stall")
sleep 1.5
conns=$(imsctl --json show connections port=7 state=ESTABLISHED) || fail "show connections"
[ "$(json_get "$conns" "len(j)")" = 1 ] || fail "show connections: $conns"
[ "$(json_get "$conns" "j[0]['remote']")" = "$peer" ] || fail "show connections remote: $conns"
[ "$(json_get "$conns" "j[0]['send_queued'] + j[0]['recv_queued']")" -gt 0 ] \
    || fail "a stalled reader leaves nothing queued? $conns"
[ "$(json_get "$(imsctl --json show tcp)" "j['tcp_states']['total']['ESTABLISHED']")" -ge 1 ] \
    || fail "show tcp: no ESTABLISHED gauge: $(imsctl show tcp | tail -n 12)"
tel=$(echo /imsd/connections | timeout 10 dpdk-telemetry.py -f "$prefix" 2>&1 | grep -o '{"/imsd/connections".*}')
[ "$(json_get "$tel" "sum(1 for r in j['/imsd/connections'].values() if r['local_port'] == 7 and r['state'] == 'ESTABLISHED')")" = 1 ] \
    || fail "telemetry /imsd/connections: $tel"
wait "$stall" || fail "stalled reader: $(cat "$LAB_TMP/stall.txt")"
out=$(cat "$LAB_TMP/stall.txt")
[ "$(tcp_stat zero_window_probes)" -ge 1 ] || fail "no zero-window probe was sent"
pass "reader stalled 3 s (zero window, $(tcp_stat zero_window_probes) probes), then $out"
resets=$(tcp_stat conns_reset_in)
out=$(client reset "$ours" 7) || fail "$out"
sleep 0.2
[ "$(tcp_stat conns_reset_in)" -gt "$resets" ] || fail "RST from the peer not counted"
pass "RST from the peer ends the connection"

# Loss in both directions, after the peer's TCP has sent (netdev egress)
# and before it receives (netdev ingress).
ip netns exec "$ns" nft -f - <<NFT || fail "nftables"
table netdev imsd_loss {
  chain egress { type filter hook egress device "$tap" priority 0; }
  chain ingress { type filter hook ingress device "$tap" priority 0; }
}
NFT
for pct in 1 5; do
    ip netns exec "$ns" nft flush chain netdev imsd_loss egress
    ip netns exec "$ns" nft flush chain netdev imsd_loss ingress
    ip netns exec "$ns" nft add rule netdev imsd_loss egress meta l4proto tcp numgen random mod 100 '<' $pct drop
    ip netns exec "$ns" nft add rule netdev imsd_loss ingress meta l4proto tcp numgen random mod 100 '<' $pct drop
    size=$(( pct == 1 ? 8388608 : 2097152 ))
    out=$(client echo "$ours" 7 $size 2>&1) || fail "$pct% loss: $out"
    pass "$pct% loss both ways: $out ($(tcp_stat retrans_segs) retransmissions so far)"
    # The other direction (imsd sends, its SACK recovery repairs) and many
    # connections at once, under the same loss.
    port=$(( 5100 + pct ))
    client server "$peer" $port $size >"$LAB_TMP/server$pct.txt" 2>&1 &
    server=$!; LAB_PIDS+=("$server")
    for _ in $(seq 50); do grep -q listening "$LAB_TMP/server$pct.txt" && break; sleep 0.1; done
    done_before=$(tcp_stat source_completed)
    imsctl tcp source "$peer" $port $size >/dev/null || fail "imsctl tcp source ($pct% loss)"
    wait "$server" || fail "$pct% loss, kernel server: $(cat "$LAB_TMP/server$pct.txt")"
    pass "$pct% loss both ways: $(tail -n1 "$LAB_TMP/server$pct.txt")"
    out=$(client many "$ours" 7 200 4096 2>&1) || fail "$pct% loss, 200 connections: $out"
    pass "$pct% loss both ways: $out"
done
for _ in $(seq 100); do [ "$(tcp_stat source_completed)" -ge 3 ] && break; sleep 0.1; done
[ "$(tcp_stat sack_recoveries)" -gt 0 ] || fail "no SACK recovery under loss"
pass "$(tcp_stat sack_recoveries) SACK recoveries, $(tcp_stat sack_rexmit_segs) holes resent by them" 
ip netns exec "$ns" nft delete table netdev imsd_loss

# Idle again: every connection (accepted, or opened by the source) freed
# after TIME-WAIT, every mbuf back.
opened() { echo $(( $(tcp_stat conns_accepted) + $(tcp_stat source_started) )); }
# (Bounded: a FIN lost several times under 5% loss waits out its backed-off
# retransmission timer, then TIME-WAIT.)
for _ in $(seq 300); do
    [ "$(opened)" = "$(tcp_stat conns_closed)" ] && break
    sleep 0.1
done
[ "$(opened)" = "$(tcp_stat conns_closed)" ] \
    || fail "$(opened) opened, $(tcp_stat conns_closed) closed: $(imsctl show connections)"
[ "$(in_use)" = "$idle_mbufs" ] || fail "mbufs in use $(in_use), idle was $idle_mbufs"
pass "$(tcp_stat conns_closed) connections closed, mbufs in use back to $idle_mbufs"
imsctl show tcp | grep -Eq "^retrans_segs +[1-9]" || fail "show tcp lacks retransmissions"
stop_imsd
[ "$IMSD_STATUS" = 0 ] || fail "exit status $IMSD_STATUS"
{ grep -q "none leaked" "$IMSD_LOG" && ! grep -q "mbuf leak" "$IMSD_LOG"; } || fail "pool not full at exit"

# Again with imsd's own impairment stage on both directions: loss,
# duplication, reordering and 20 ms of delay.
ip netns del "$ns"
LAB_NETNS=()
sed -i 's|<tcp>|<impair><loss-ppm>10000</loss-ppm><duplicate-ppm>10000</duplicate-ppm><reorder-ppm>10000</reorder-ppm><delay-us>20000</delay-us></impair><tcp>|' "$LAB_TMP/imsd.xml"
start_imsd "$LAB_TMP/imsd.xml"
grep -q "LAB IMPAIRMENT ON" "$IMSD_LOG" || fail "impairment not announced"
wire_netns "$ns" "$tap" "$peer/24"
ip netns exec "$ns" ping -c 3 -i 0.3 -W 2 -q "$ours" >/dev/null || true  # ARP through the impairment
out=$(client echo "$ours" 7 1048576 2>&1) || fail "impaired echo: $out"
stats=$(imsctl --json show stats)
for c in impair_lost impair_duplicated impair_reordered impair_delayed; do
    [ "$(json_get "$stats" "j['dataplane']['total']['$c']")" -gt 0 ] || fail "$c is 0"
done
pass "1% loss, 1% duplication, 1% reordering, 20 ms delay in imsd: $out"
stop_imsd
[ "$IMSD_STATUS" = 0 ] || fail "exit status $IMSD_STATUS"
{ grep -q "none leaked" "$IMSD_LOG" && ! grep -q "mbuf leak" "$IMSD_LOG"; } || fail "pool not full at exit (impairment stage)"
echo "lab_tcp: all checks passed"

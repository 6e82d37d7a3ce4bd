#!/usr/bin/env bash
# Lab: segment-level conformance of imsd's TCP (in the spirit of packetdrill).
# tcp_conformance.py crafts segments in the peer's namespace, sends them
# through the tap with a raw socket and checks imsd's exact answers: SYN-ACK
# options, out-of-window data, RFC 5961 challenge ACKs, PAWS, RTO timing and
# back-off, fast retransmit on three duplicate ACKs, the window scale applied,
# FIN in each state, a SYN flood against the half-open limit. The kernel in the namespace never sees these flows (an
# nftables rule drops them at input: the connections' ports 50000-59999, the
# flood's 30000-39999), so it does not reset them.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root_and_netns
command -v nft >/dev/null || skip "nft (nftables) is not installed"

id=$(( $$ % 100000 ))
tap="imsdk$id"
ns="imsd-conf-$id"
prefix="imsdconf$id"
sock="$LAB_TMP/imsd.sock"
ours="198.18.15.1"
peer="198.18.15.2"
lab_conf "$prefix" \
    "<mbufs>8191</mbufs><idle-sleep-us>10</idle-sleep-us><tcp><echo-port>7</echo-port><sink-port>9</sink-port><time-wait-ms>1000</time-wait-ms><max-half-open>64</max-half-open></tcp>" \
    "net_tap_conf$id,iface=$tap" "$ours/24"
imsctl() { "$IMSCTL_BIN" --socket "$sock" "$@"; }
tcp_stat() { json_get "$(imsctl --json show tcp)" "j['total']['$1']"; }

start_imsd "$LAB_TMP/imsd.xml"
wire_netns "$ns" "$tap" "$peer/24"
ip netns exec "$ns" ping -c 1 -W 2 -q "$ours" >/dev/null || fail "ping $ours"
mac=$(ip -n "$ns" neigh show "$ours" | awk '{print $5}')
[ -n "$mac" ] || fail "no ARP entry for $ours"
ip netns exec "$ns" nft -f - <<NFT || fail "nftables"
table inet imsd_conformance {
  chain input {
    type filter hook input priority 0;
    ip saddr $ours tcp dport { 5601, 5602, 30000-39999, 50000-59999 } drop
  }
}
NFT

out=$(timeout 120 ip netns exec "$ns" python3 "$here/tcp_conformance.py" "$tap" "$peer" "$ours" \
      "$mac" "$IMSCTL_BIN" --socket "$sock" 2>&1)
rc=$?
echo "$out"
[ $rc = 0 ] || fail "conformance cases failed (exit $rc)"
[ "$(tcp_stat challenge_acks)" -ge 2 ] || fail "challenge ACKs not counted"
[ "$(tcp_stat paws_rejected)" -ge 1 ] || fail "PAWS rejection not counted"
[ "$(tcp_stat fast_retrans)" -ge 1 ] || fail "fast retransmit not counted"
[ "$(tcp_stat out_of_window)" -ge 1 ] || fail "out-of-window segment not counted"
pass "counters: $(tcp_stat challenge_acks) challenge ACKs, $(tcp_stat paws_rejected) PAWS, $(tcp_stat fast_retrans) fast retransmits"
stop_imsd
[ "$IMSD_STATUS" = 0 ] || fail "exit status $IMSD_STATUS"
{ grep -q "none leaked" "$IMSD_LOG" && ! grep -q "mbuf leak" "$IMSD_LOG"; } || fail "pool not full at exit"
echo "lab_tcp_conformance: all checks passed"

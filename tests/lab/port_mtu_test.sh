#!/usr/bin/env bash
# Lab: a port's MTU (ports/port/mtu). imsd refuses to start, naming the port
# and the largest MTU that would work, where the setting cannot hold: a frame
# larger than imsd's receive buffer (net_null at 9000), a device that refuses
# it (net_tap takes frames of at most 1522 bytes in DPDK 22.11). At the
# largest MTU net_tap takes (1504), imsd runs at it: `show ports` says so,
# TCP's MSS follows it (the kernel peer's send MSS over a connection to the
# echo port), and a full-size ping and a 1 MiB echo go through.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root_and_netns

id=$(( $$ % 100000 ))
tap="imsdu$id"
ns="imsd-mtu-$id"
prefix="imsdmtu$id"
sock="$LAB_TMP/imsd.sock"
ours="198.18.23.1"
peer="198.18.23.2"
imsctl() { "$IMSCTL_BIN" --socket "$sock" "$@"; }

# conf <device> <mtu>: the lab settings with the port's MTU set.
conf() {
    lab_conf "$prefix" "<tcp><echo-port>7</echo-port></tcp>" "$1" "$ours/24"
    sed -i "s#<address>$ours/24</address>#&<mtu>$2</mtu>#" "$LAB_TMP/imsd.xml"
    grep -q "<mtu>$2</mtu>" "$LAB_TMP/imsd.xml" || fail "no <mtu> in the lab settings"
}

# refused <device> <mtu> <pattern>: imsd exits 1 at start with the port
# named and the pattern in its error.
refused() {
    conf "$1" "$2"
    out=$(timeout 60 "$IMSD_BIN" -c "$LAB_TMP/imsd.xml" 2>&1); rc=$?
    [ "$rc" = 1 ] || fail "MTU $2 on $1: imsd exit $rc, want 1: $(echo "$out" | tail -n3)"
    echo "$out" | grep -E "^imsd: port lab0 \($1\): .*$3" >/dev/null \
        || fail "MTU $2 on $1: error lacks the port or '$3': $(echo "$out" | tail -n3)"
    pass "MTU $2 on $1 refused: $(echo "$out" | grep '^imsd: ' | tail -n1)"
}

refused "net_null_mtu$id" 9000 "MTU 9000 means frames of 9018 bytes.*buffer of 2048 bytes.*at most 2030"
refused "net_tap_mtu$id,iface=$tap" 2000 "refuses MTU 2000.*frames of at most 1522 bytes.*at most 1504"

conf "net_tap_mtu$id,iface=$tap" 1504
start_imsd "$LAB_TMP/imsd.xml"
ports=$(imsctl --json show ports) || fail "show ports"
[ "$(json_get "$ports" "j[0]['mtu']")" = 1504 ] || fail "show ports: $ports"
wire_netns "$ns" "$tap" "$peer/24"
ip -n "$ns" link set "$tap" mtu 1504 || fail "peer MTU 1504"
ip netns exec "$ns" ping -c 1 -W 2 -q -M do -s 1476 "$ours" >/dev/null \
    || fail "a 1,504-byte ping (don't fragment) was not answered"
pass "show ports says MTU 1504; a 1,504-byte ping is answered"

# The peer's send MSS: imsd's SYN-ACK offered MTU - 40 (the kernel's own
# side is the same), less 12 where timestamps were agreed.
mss=$(ip netns exec "$ns" timeout 20 python3 - "$ours" <<'PY'
import socket, struct, sys
s = socket.create_connection((sys.argv[1], 7), timeout=5)
info = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
options, snd_mss = info[5], struct.unpack_from("I", info, 16)[0]
print(snd_mss + (12 if options & 1 else 0))
s.close()
PY
) || fail "connect to the echo port: $mss"
[ "$mss" = 1464 ] || fail "MSS $mss over MTU 1504, want 1464"
out=$(timeout 120 ip netns exec "$ns" python3 "$here/tcp_client.py" echo "$ours" 7 1048576) \
    || fail "1 MiB echo: $out"
pass "MSS 1464 over MTU 1504; $out"
echo "lab_port_mtu: all checks passed"

#!/usr/bin/env bash
# Lab: SIP through the dataplane (issue 6 step 1). A SIP peer in a namespace
# talks to imsd's media address; imsd frames, validates and polices its UDP
# datagrams and hands them - and the SIP port's TCP - to the kernel through
# the exception path TAP, where the sigplane's nta agent answers (OPTIONS to
# imsd itself). Checked: requests reach the agent from the peer's address and
# port and the answers come back to them, over UDP and TCP; a
# malformed request is answered 400 by the dataplane (with Warning) and never
# reaches the kernel; a datagram that is not SIP is dropped; a flood from one
# source is cut to its rate and burst while a trusted peer (the SIP/IP Core) is
# never policed; every drop is counted by reason; tshark's SIP dissector finds
# no malformed frame in the capture.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root_and_netns

id=$(( $$ % 100000 ))
tap="imsds$id"
sig="imsdg$id"
ns="imsd-sip-$id"
prefix="imsdsip$id"
sock="$LAB_TMP/imsd.sock"
ours="198.18.17.1"
peer="198.18.17.2"
core="198.18.17.3"
lab_conf "$prefix" \
    "<idle-sleep-us>10</idle-sleep-us>
     <sip><port>5060</port><punt-interface>$sig</punt-interface>
       <rate-per-source>20</rate-per-source><burst-per-source>30</burst-per-source></sip>" \
    "net_tap_sip$id,iface=$tap" "$ours/24" \
    "<im><trusted-peers><peer>$core</peer></trusted-peers></im>"
imsctl() { "$IMSCTL_BIN" --socket "$sock" "$@"; }
sstat() { json_get "$(imsctl --json show sip stats)" "j['total']['$1']"; }
astat() { json_get "$(imsctl --json show sip stats)" "j['sip_agent']['total']['$1']"; }
dstat() { json_get "$(imsctl --json show stats)" "j['dataplane']['total']['$1']"; }
peer_py() { timeout 60 ip netns exec "$ns" python3 "$here/sip_kernel_peer.py" "$@"; }

start_imsd "$LAB_TMP/imsd.xml"
ip link show "$sig" >/dev/null 2>&1 || fail "no exception path interface $sig"
ip -4 addr show dev "$sig" | grep -q "inet $ours/24" || fail "$sig does not carry $ours/24"
wire_netns "$ns" "$tap" "$peer/24"
ip -n "$ns" addr add "$core/24" dev "$tap"
ip netns exec "$ns" ping -c 1 -W 2 -q "$ours" >/dev/null || fail "ping $ours"


if command -v tshark >/dev/null; then
    ip netns exec "$ns" tshark -i "$tap" -w "$LAB_TMP/sip.pcapng" -f "port 5060" -q \
        >"$LAB_TMP/tshark.txt" 2>&1 &
    tshark_pid=$!; LAB_PIDS+=("$tshark_pid")
    sleep 2
fi

# UDP: the request reaches the agent, whose answer comes back to the
# peer's own address and port (the socket that sent it receives it).
out=$(peer_py request "$ours" 5060 OPTIONS) || fail "UDP OPTIONS not answered: $out"
grep -q "SIP/2.0 200 OK" <<<"$out" || fail "UDP OPTIONS: $out"
[ "$(astat options_answered)" = 1 ] || fail "agent: options_answered $(astat options_answered)"
[ "$(sstat requests_punted)" = 1 ] || fail "requests_punted: $(sstat requests_punted)"
pass "UDP OPTIONS through the exception path, answered by the sigplane's agent"

# TCP to the SIP port goes to the kernel's TCP.
out=$(peer_py request "$ours" 5060 OPTIONS --tcp) || fail "TCP OPTIONS not answered: $out"
[ "$(astat options_answered)" = 2 ] || fail "agent saw no TCP request"
[ "$(dstat tcp_sip_punted)" -ge 3 ] || fail "tcp_sip_punted: $(dstat tcp_sip_punted)"
pass "TCP OPTIONS through the exception path ($(dstat tcp_sip_punted) segments)"

# A request whose CSeq names another method: 400 from the dataplane, with
# Warning; the kernel never sees it. One without CSeq cannot be answered
# (8.2.6.2 copies it): dropped and counted.
before=$(astat requests_in)
req() {
    printf 'MESSAGE sip:bob@example.net SIP/2.0\r\nVia: SIP/2.0/UDP %s:5999;branch=z9hG4bKbad1\r\nMax-Forwards: 70\r\nFrom: <sip:alice@example.net>;tag=a1\r\nTo: <sip:bob@example.net>\r\nCall-ID: bad1@lab\r\n%bContent-Length: 0\r\n\r\n' "$peer" "$1"
}
req 'CSeq: 1 INVITE\r\n' >"$LAB_TMP/bad.sip"
out=$(peer_py request "$ours" 5060 MESSAGE --raw "$LAB_TMP/bad.sip") || true
grep -q "^SIP/2.0 400 Bad Request" <<<"$out" || fail "no 400 for a CSeq of another method: $out"
grep -q "^Warning: 399 $ours \"" <<<"$out" || fail "400 without Warning: $out"
grep -q "^To: <sip:bob@example.net>;tag=" <<<"$out" || fail "400 without a To tag: $out"
grep -q "^Server: IM-serv/OMA2.0" <<<"$out" || fail "400 without Server: $out"
grep -q "^CSeq: 1 INVITE" <<<"$out" || fail "400 without the request's CSeq: $out"
[ "$(sstat cseq_mismatch)" = 1 ] || fail "cseq_mismatch: $(sstat cseq_mismatch) $(imsctl --json show sip stats)"
[ "$(sstat answered)" = 1 ] || fail "answered: $(sstat answered)"
req '' >"$LAB_TMP/nocseq.sip"
peer_py request "$ours" 5060 X --raw "$LAB_TMP/nocseq.sip" --wait 0.5 >/dev/null && fail "answered without CSeq"
[ "$(sstat missing_header)" = 1 ] || fail "missing_header: $(sstat missing_header)"
# Not SIP at all: dropped, counted, not answered.
printf 'GET / HTTP/1.0\r\n\r\n' >"$LAB_TMP/http.txt"
peer_py request "$ours" 5060 X --raw "$LAB_TMP/http.txt" --wait 0.5 >/dev/null && fail "HTTP answered"
[ "$(sstat not_sip)" = 1 ] || fail "not_sip: $(sstat not_sip)"
[ "$(astat requests_in)" = "$before" ] || fail "refused datagrams reached the agent"
pass "malformed request answered 400 by the dataplane, non-SIP dropped; neither punted"

# A flood from one source: 200 requests at once; the burst (30, less what
# this source already used) passes, the rest is policed.
policed0=$(sstat policed)
peer_py request "$ours" 5060 OPTIONS --count 200 --wait 1 >"$LAB_TMP/flood.txt" 2>&1
got=$(sed -n 's/answered \([0-9]*\) of 200/\1/p' "$LAB_TMP/flood.txt")
policed=$(( $(sstat policed) - policed0 ))
[ "$got" -ge 20 ] && [ "$got" -le 40 ] || fail "flood: $got of 200 answered (burst 30)"
[ $(( got + policed )) = 200 ] || fail "flood: $got answered + $policed policed != 200"
pass "flood of 200 from one source: $got passed, $policed policed"
# The trusted peer (the SIP/IP Core) is never policed. (Its address is
# resolved first: while ARP runs the dataplane holds one packet per next hop.)
ip netns exec "$ns" ping -c 1 -W 2 -q -I "$core" "$ours" >/dev/null || fail "ping from $core"
out=$(timeout 60 ip netns exec "$ns" python3 - "$ours" "$core" "$here" <<'PY'
import socket, sys
sys.path.insert(0, sys.argv[3])
import importlib.util
spec = importlib.util.spec_from_file_location("p", sys.argv[3] + "/sip_kernel_peer.py")
p = importlib.util.module_from_spec(spec); spec.loader.exec_module(p)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
s.bind((sys.argv[2], 0)); s.connect((sys.argv[1], 5060)); s.settimeout(2)
for _ in range(100):
    s.send(p.make_request(sys.argv[1], 5060, "OPTIONS", "%s:%d" % s.getsockname()))
n = 0
try:
    while n < 100:
        s.recv(65535); n += 1
except socket.timeout:
    pass
print(n)
PY
)
[ "$out" = 100 ] || fail "trusted peer: $out of 100 answered; $(imsctl show sip stats; imsctl show stats)"
[ "$(sstat trusted_in)" -ge 100 ] || fail "trusted_in: $(sstat trusted_in)"
pass "trusted peer: 100 of 100 at once, none policed"

if [ -n "${tshark_pid:-}" ]; then
    sleep 1
    kill -INT "$tshark_pid"; wait "$tshark_pid" 2>/dev/null
    frames=$(tshark_clean "$LAB_TMP/sip.pcapng" 100 sip) || exit 1
    # Every answer the dataplane made (400) went back to the request's source port.
    n400=$(tshark -r "$LAB_TMP/sip.pcapng" -Y 'sip.Status-Code == 400 && ip.src == '"$ours" 2>/dev/null | wc -l)
    [ "$n400" = 1 ] || fail "tshark: $n400 400s from imsd"
    pass "tshark: $frames SIP frames, none malformed"
else
    echo "NOTE: tshark not installed: capture not checked" >&2
fi

stop_imsd
[ "$IMSD_STATUS" = 0 ] || fail "imsd exit status $IMSD_STATUS"
grep -q "mbufs back, none leaked" "$IMSD_LOG" || fail "mbufs leaked: $(grep leak "$IMSD_LOG")"
ip link show "$sig" >/dev/null 2>&1 && fail "$sig still exists after imsd stopped"
pass "clean stop, exception path interface gone"

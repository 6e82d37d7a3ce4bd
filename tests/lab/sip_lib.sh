# Helpers of the SIP lab tests (sourced after lib.sh): sipp in the test's
# namespace $ns, scenarios from tests/lab/sip with @IMSD@ = $ours, the far
# side's sipp on $far:5060. Every run is bounded (timeout, -m 1).

scen() { sed "s/@IMSD@/$ours/g" "$here/sip/$1"; }
# sipp_run <name> <from-address> <sipp args...>: one call, must succeed.
sipp_run() {
    local name=$1 from=$2; shift 2
    timeout 40 ip netns exec "$ns" sipp -i "$from" -p 5060 -m 1 -nostdin -timeout 20s \
        -timeout_error -trace_err -error_file "$LAB_TMP/$name.err" "$@" \
        >"$LAB_TMP/$name.out" 2>&1
}
uas_start() {  # <name> <scenario>
    scen "$2" >"$LAB_TMP/$1.xml"
    timeout 40 ip netns exec "$ns" sipp -sf "$LAB_TMP/$1.xml" -i "$far" -p 5060 -m 1 -nostdin \
        -timeout 20s -timeout_error -trace_err -error_file "$LAB_TMP/$1.err" \
        >"$LAB_TMP/$1.out" 2>&1 &
    uas_pid=$!; LAB_PIDS+=("$uas_pid")
    sleep 0.5
}
uas_wait() {  # <name>
    wait "$uas_pid" || fail "far side $1 failed: $(grep -v "^\s*$" "$LAB_TMP/$1.err" 2>/dev/null | head -40)"
}
# through_imsd <name> <far side scenario> <client side scenario> <service>
#     <route-params> [sipp args...]: one call from the core ($core) through
#     imsd to the far side, alice the asserted caller on an OMA2.0 client;
#     both sides must end well.
through_imsd() {
    local name=$1 far_scen=$2 client_scen=$3 service=$4 rp=$5
    shift 5
    uas_start "far_$name" "$far_scen"
    scen "$client_scen" >"$LAB_TMP/$name.uac.xml"
    sipp_run "$name" "$core" "$@" -sf "$LAB_TMP/$name.uac.xml" -s "$service" "$ours:5060" \
        -key ident alice -key ua "IM-client/OMA2.0 sipp" -key route_params "$rp" \
        || fail "$name: $(tail -20 "$LAB_TMP/$name.err")"
    uas_wait "far_$name"
}

# refused <name> <from> <method> <status> <route-params> <ident> <service>
#         <extra-headers> <content-type> <body> <check1> <check2> <check3>
refused() {
    local name=$1 from=$2 method=$3 status=$4 rp=$5 ident=$6 service=$7 hdrs=$8 ctype=$9 body=${10}
    local ack=""
    if [ "$method" = INVITE ]; then
        # 17.1.1.3: the ACK of a non-2xx carries the INVITE's branch (the
        # INVITE is message 0, this ACK message 3: [branch-3]).
        ack='  <send ack_txn="req"><![CDATA[

      ACK sip:[service]@example.net SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch-3]
      Route: <sip:[remote_ip]:[remote_port];lr[route_params]>
      Max-Forwards: 70
      From: <sip:[ident]@example.net>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Content-Length: 0

  ]]></send>'
    fi
    python3 - "$here/sip/uac_refused.xml" "$LAB_TMP/$name.xml" "$method" "$status" "$hdrs" \
        "$ctype" "$body" "${11}" "${12}" "${13}" "$ack" "$ours" <<'PY'
import sys
from xml.sax.saxutils import escape
src, dst, method, status, hdrs, ctype, body, c1, c2, c3, ack, ours = sys.argv[1:]
c1, c2, c3 = (escape(c, {'"': "&quot;"}) for c in (c1, c2, c3))  # regexps go in attributes
s = open(src).read()
for k, v in (("@METHOD@", method), ("@STATUS@", status), ("@HEADERS@", hdrs),
             ("@CTYPE@", ctype), ("@BODY@", body), ("@CHECK1@", c1), ("@CHECK2@", c2),
             ("@CHECK3@", c3), ("@ACK@", ack), ("@IMSD@", ours)):
    s = s.replace(k, v)
open(dst, "w").write(s)
PY
    sipp_run "$name" "$from" -sf "$LAB_TMP/$name.xml" -s "$service" "$ours:5060" \
        -key ident "$ident" -key route_params "$rp" \
        || fail "$name: expected $status: $(tail -30 "$LAB_TMP/$name.err")"
    pass "$name: $status"
}

#!/usr/bin/env bash
# Lab: the Participating Function as a SIP proxy (issue 6; media path off),
# with sipp as the SIP/IP Core on both sides, in a namespace, over the
# dataplane's SIP path. The S-CSCF stand-in (a trusted peer) hands imsd an
# originating INVITE (Route with ;orig) or a terminating one; imsd runs the
# spec's checks in order and, when they pass, forwards statefully with
# Record-Route to the far side (im/core-uri), relays the answers, and follows
# the dialog's ACK and BYE. One scenario per refusal: 6.1.1.1 step 1 (not
# provisioned; not authenticated - P-Asserted-Identity from an untrusted
# source), step 3 (client release, Error-Info), step 4.a (415 with Accept),
# step 4.b (488), 6.1.2.1 step 1 (isb and ipab barring), step 2.a and 2.b
# (shared policy rejects sessions, pager mode), step 3.a and 3.b (415, 488),
# step 4 (an expired pager message), RFC 4028 422 with
# Min-SE. CANCEL after 180, a re-INVITE (6.1.2.2.3), the far side's 486
# relayed, the far side's BYE. sipp's regexp checks hold the
# headers; tshark's SIP dissector checks every frame of the capture. One
# session runs with SIP over TCP on the client side.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/sip_lib.sh"
need_root_and_netns
command -v sipp >/dev/null || skip "sipp (Debian package sip-tester) is not installed: scripts/deps installs it"

id=$(( $$ % 100000 ))
tap="imsdp$id"
sig="imsdq$id"
ns="imsd-sipp-$id"
prefix="imsdsipp$id"
sock="$LAB_TMP/imsd.sock"
ours="198.18.18.1"
client="198.18.18.2"   # the served client: not trusted
core="198.18.18.3"     # the S-CSCF stand-in: trusted
far="198.18.18.4"      # the S-CSCF towards the other party
lab_conf "$prefix" \
    "<idle-sleep-us>10</idle-sleep-us>
     <sip><port>5060</port><punt-interface>$sig</punt-interface></sip>" \
    "net_tap_sipp$id,iface=$tap" "$ours/24" \
    "<im><media-path>never</media-path>
       <client-releases required=\"true\"><release>2.0</release></client-releases>
       <session><content-type>message/cpim</content-type><content-type>text/plain</content-type></session>
       <trusted-peers><peer>$core</peer><peer>$far</peer></trusted-peers>
       <core-uri>sip:$far:5060</core-uri></im>"
imsctl() { "$IMSCTL_BIN" --socket "$sock" "$@"; }
astat() { json_get "$(imsctl --json show sip stats)" "j['sip_agent']['total']['$1']"; }

start_imsd "$LAB_TMP/imsd.xml"
wire_netns "$ns" "$tap" "$client/24"
for a in $core $far; do ip -n "$ns" addr add "$a/24" dev "$tap"; done
ip netns exec "$ns" ping -c 1 -W 2 -q "$ours" >/dev/null || fail "ping $ours"
for a in $core $far; do
    ip netns exec "$ns" ping -c 1 -W 2 -q -I "$a" "$ours" >/dev/null || fail "ping from $a"
done

# Users: alice and dave are provisioned; bob bars incoming sessions (isb);
# carol's shared policy rejects pager mode messages from alice.
cat >"$LAB_TMP/open.xml" <<XML
<im-service-settings xmlns="urn:oma:xml:im:im-service-settings">
  <isb-settings><active>false</active></isb-settings>
</im-service-settings>
XML
cat >"$LAB_TMP/isb.xml" <<XML
<im-service-settings xmlns="urn:oma:xml:im:im-service-settings">
  <isb-settings><active>true</active></isb-settings>
</im-service-settings>
XML
cat >"$LAB_TMP/policy.xml" <<XML
<cp:ruleset xmlns:cp="urn:ietf:params:xml:ns:common-policy" xmlns:ocp="urn:oma:xml:xdm:common-policy">
  <cp:rule id="no-pager-from-alice"><cp:conditions>
    <cp:identity><cp:one id="sip:alice@example.net"/></cp:identity>
    <ocp:media>pager-mode-message</ocp:media></cp:conditions>
    <cp:actions><ocp:allow-invite>reject</ocp:allow-invite></cp:actions></cp:rule>
</cp:ruleset>
XML
# erin's policy rejects IM sessions from alice; frank bars incoming pager
# mode (ipab-settings).
cat >"$LAB_TMP/policy_sessions.xml" <<XML
<cp:ruleset xmlns:cp="urn:ietf:params:xml:ns:common-policy" xmlns:ocp="urn:oma:xml:xdm:common-policy">
  <cp:rule id="no-sessions-from-alice"><cp:conditions>
    <cp:identity><cp:one id="sip:alice@example.net"/></cp:identity>
    <ocp:media>message-session</ocp:media></cp:conditions>
    <cp:actions><ocp:allow-invite>reject</ocp:allow-invite></cp:actions></cp:rule>
</cp:ruleset>
XML
cat >"$LAB_TMP/ipab.xml" <<XML
<im-service-settings xmlns="urn:oma:xml:im:im-service-settings">
  <ipab-settings><active>true</active></ipab-settings>
</im-service-settings>
XML
imsctl user put sip:alice@example.net service-settings "$LAB_TMP/open.xml" >/dev/null || fail "user alice"
imsctl user put sip:dave@example.net service-settings "$LAB_TMP/open.xml" >/dev/null || fail "user dave"
imsctl user put sip:bob@example.net service-settings "$LAB_TMP/isb.xml" >/dev/null || fail "user bob"
imsctl user put sip:carol@example.net shared-policy "$LAB_TMP/policy.xml" >/dev/null || fail "user carol"
imsctl user put sip:erin@example.net shared-policy "$LAB_TMP/policy_sessions.xml" >/dev/null || fail "user erin"
imsctl user put sip:frank@example.net service-settings "$LAB_TMP/ipab.xml" >/dev/null || fail "user frank"

if command -v tshark >/dev/null; then
    ip netns exec "$ns" tshark -i "$tap" -w "$LAB_TMP/sip.pcapng" -f "port 5060" -q \
        >"$LAB_TMP/tshark.txt" 2>&1 &
    tshark_pid=$!; LAB_PIDS+=("$tshark_pid")
    sleep 2
fi

# 1. 6.1.1.2.2 step 2: originating INVITE proxied, Record-Route, ACK and BYE.
through_imsd orig_session uas_session.xml uac_session.xml bob ";orig"
[ "$(astat originating)" = 1 ] || fail "originating: $(astat originating)"
[ "$(astat sessions_started)" = 1 ] && [ "$(astat sessions_ended)" = 1 ] \
    || fail "sessions started/ended: $(astat sessions_started)/$(astat sessions_ended)"
pass "originating INVITE proxied (Record-Route, Max-Forwards, PAI kept from the core), ACK and BYE followed"

sdp='      v=0
      o=x 1 1 IN IP4 [local_ip]
      s=-
      c=IN IP4 [local_ip]
      t=0 0
      m=message 7654 TCP/MSRP *
      a=accept-types:@TYPES@
      a=path:msrp://[local_ip]:7654/abc;tcp
'
pai='      P-Asserted-Identity: <sip:@WHO@@example.net>
      User-Agent: IM-client/OMA2.0 sipp'
server='Server: IM-serv/OMA2.0 imsd/'
allow='Allow: INVITE, ACK, CANCEL, BYE, UPDATE, OPTIONS, MESSAGE'

# 6.1.1.1 step 1: not provisioned; not authenticated (PAI from an untrusted source).
refused step1_not_provisioned "$core" INVITE 403 ";orig" zed bob "${pai//@WHO@/zed}" application/sdp \
    "${sdp//@TYPES@/text/plain}" "Warning: 399 $ours \".*sip:zed@example.net is not an IM user" "$server" "$allow"
refused step1_not_authenticated "$client" INVITE 403 ";orig" alice bob "${pai//@WHO@/alice}" application/sdp \
    "${sdp//@TYPES@/text/plain}" "Warning: 399 $ours \"the originator is not authenticated" "$server" "$allow"
[ "$(astat pai_removed)" -ge 1 ] || fail "pai_removed not counted"
# 6.1.1.1 step 3: the client release.
refused step3_client_release "$core" INVITE 403 ";orig" alice bob \
    "      P-Asserted-Identity: <sip:alice@example.net>
      User-Agent: IM-client/OMA1.0 old" application/sdp "${sdp//@TYPES@/text/plain}" \
    "Error-Info: <urn:imsd:error:client-release-not-supported>" "Warning: 399 $ours \"IM client release OMA1.0" "$server"
# 6.1.1.1 step 4.a: pager content: 415 with Accept.
refused step4a_pager_content "$core" MESSAGE 415 ";orig" alice bob "${pai//@WHO@/alice}" image/png \
    "      PNGDATA" "Accept: text/plain, message/cpim" "Warning: 399 $ours \"content type image/png" "$server"
# 6.1.1.1 step 4.b: SDP accept-types: 488 with what is supported.
refused step4b_sdp_attributes "$core" INVITE 488 ";orig" alice bob "${pai//@WHO@/alice}" application/sdp \
    "${sdp//@TYPES@/image/jpeg video/mp4}" "Warning: 399 $ours \"none of the offered accept-types" \
    "supported: types message/cpim text/plain" "$allow"
# 6.1.2.1 step 1: bob bars incoming sessions.
refused term_step1_isb "$core" INVITE 403 "" alice bob "${pai//@WHO@/alice}" application/sdp \
    "${sdp//@TYPES@/text/plain}" "Warning: 399 $ours \"incoming IM sessions are barred" "$server" "$allow"
# 6.1.2.1 step 2.b: carol's policy rejects pager mode from alice.
refused term_step2b_policy "$core" MESSAGE 403 "" alice carol "${pai//@WHO@/alice}" text/plain \
    "      hello carol" "Warning: 399 $ours \"the recipient's policy rejects pager mode" "$server" "Call-ID: "
# 6.1.2.1 step 1: frank bars incoming pager mode (ipab-settings).
refused term_step1_ipab "$core" MESSAGE 403 "" alice frank "${pai//@WHO@/alice}" text/plain \
    "      hello frank" "Warning: 399 $ours \"incoming pager and large messages are barred" \
    "$server" "Call-ID: "
# 6.1.2.1 step 2.a: erin's policy rejects IM sessions from alice.
refused term_step2a_policy "$core" INVITE 403 "" alice erin "${pai//@WHO@/alice}" application/sdp \
    "${sdp//@TYPES@/text/plain}" "Warning: 399 $ours \"the recipient's policy rejects message sessions" \
    "$server" "$allow"
# 6.1.2.1 step 3.a / 3.b: the operator's policy on what reaches dave.
refused term_step3a_pager_content "$core" MESSAGE 415 "" alice dave "${pai//@WHO@/alice}" image/png \
    "      PNGDATA" "Accept: text/plain, message/cpim" "Warning: 399 $ours \"content type image/png" "$server"
refused term_step3b_sdp_attributes "$core" INVITE 488 "" alice dave "${pai//@WHO@/alice}" \
    application/sdp "${sdp//@TYPES@/video/mp4}" "Warning: 399 $ours \"none of the offered accept-types" \
    "supported: types message/cpim text/plain" "$allow"
# 6.1.2.1 step 4: a pager message whose Expires passed (Date an hour ago,
# Expires 60 s) is refused by the local policy (im/expired-pager reject).
refused term_step4_expired "$core" MESSAGE 403 "" alice dave "${pai//@WHO@/alice}
      Date: $(LC_ALL=C date -u -d '1 hour ago' '+%a, %d %b %Y %H:%M:%S GMT')
      Expires: 60" text/plain "      too late" \
    "Warning: 399 $ours \"the message expired" "$server" "Call-ID: "
# RFC 4028 6: a session interval below im/min-se-s (90): 422 with Min-SE.
refused rfc4028_422 "$core" INVITE 422 ";orig" alice dave \
    "${pai//@WHO@/alice}
      Supported: timer
      Session-Expires: 30" application/sdp "${sdp//@TYPES@/text/plain}" \
    "Min-SE: 90" "$server" "$allow"
[ "$(astat rejected_422)" = 1 ] || fail "rejected_422: $(astat rejected_422)"
[ "$(astat rejected_403)" = 8 ] && [ "$(astat rejected_415)" = 2 ] && [ "$(astat rejected_488)" = 2 ] \
    || fail "rejections: $(imsctl show sip stats)"
# Forwarded so far: session 1's INVITE and BYE, and its ACK; the ACKs of the
# refusals ended their own transactions here (17.2.1), never forwarded.
[ "$(astat forwarded)" = 2 ] || fail "refused requests were forwarded: forwarded $(astat forwarded)"
[ "$(astat acks_forwarded)" = 1 ] || fail "acks_forwarded: $(astat acks_forwarded)"

# CANCEL after 180 (16.10): the far side gets CANCEL, its 487 comes back.
through_imsd orig_cancel uas_cancel.xml uac_cancel.xml dave ";orig"
[ "$(astat cancels_in)" = 1 ] || fail "cancels_in: $(astat cancels_in)"
pass "CANCEL after 180: 200 to the CANCEL, the far side cancelled, 487 back"

# 2. A terminating session for dave (no ;orig): proxied the same way.
through_imsd term_session uas_session.xml uac_session.xml dave ""
[ "$(astat terminating)" -ge 3 ] || fail "terminating: $(astat terminating)"
pass "terminating INVITE proxied, ACK and BYE followed"
imsctl show sessions >/dev/null || fail "show sessions"

# 3. The far side hangs up: its BYE follows the route set through imsd to the
#    caller (6.1.2.2.5, proxy), and imsd's session record ends.
ended=$(astat sessions_ended)
through_imsd farbye_session uas_proxy_bye.xml uac_session_farbye.xml bob ";orig"
[ "$(astat sessions_ended)" = $(( ended + 1 )) ] || fail "sessions_ended: $(astat sessions_ended)"
pass "BYE from the far side proxied to the caller"

# 5. 6.1.2.2.3 as proxy: a re-INVITE within the session is forwarded along
#    the route set (imsd's Via on top, the SDP untouched), its 200 relayed.
through_imsd reinvite_session uas_session_reinvite.xml uac_session_reinvite.xml bob ";orig"
pass "6.1.2.2.3 proxy: re-INVITE forwarded within the dialog, SDP untouched, 200 relayed"

# 5b. The same with a new offer the operator's session policy refuses: 488
#    from imsd itself (6.1.1.1 step 4.b), the far side never sees it, the
#    session goes on to its BYE.
rejected488=$(astat rejected_488)
through_imsd reinvite_refused uas_session.xml uac_session_reinvite_refused.xml bob ";orig"
[ "$(astat rejected_488)" = $(( rejected488 + 1 )) ] || fail "rejected_488: $(astat rejected_488)"
pass "6.1.1.1 step 4.b on a re-INVITE: 488 with what is supported, the session kept"

# 6. A final answer other than 200 from the far side (486 with a Warning)
#    goes back to the caller as it came (6.1.1.2.2; 6.1.2.1 step 6); its ACK
#    is hop by hop (imsd's client transaction ACKs the far side).
uas_start far_busy uas_busy.xml
refused far_busy_486 "$core" INVITE 486 ";orig" alice dave "${pai//@WHO@/alice}" application/sdp \
    "${sdp//@TYPES@/text/plain}" "Warning: 399 $far \"the invited user is busy" "486 Busy Here" \
    "Via: SIP/2.0/UDP $core:5060;branch="
uas_wait far_busy
pass "486 from the far side relayed to the caller with its Warning"

# 4. The same originating session with the client side over TCP (the SIP
#    port's TCP is punted whole to the kernel, where nta answers on the same
#    connection); imsd forwards over UDP as the core's URI says.
through_imsd tcp_session uas_session.xml uac_session.xml bob ";orig" -t t1
[ "$(json_get "$(imsctl --json show stats)" "j['dataplane']['total']['tcp_sip_punted']")" -ge 8 ] \
    || fail "no TCP through the exception path"
pass "originating session with SIP over TCP on the client side"

if [ -n "${tshark_pid:-}" ]; then
    sleep 1
    kill -INT "$tshark_pid"; wait "$tshark_pid" 2>/dev/null
    frames=$(tshark_clean "$LAB_TMP/sip.pcapng" 40 sip) || exit 1
    pass "tshark: $frames SIP frames, none malformed"
else
    echo "NOTE: tshark not installed: capture not checked" >&2
fi

stop_imsd
[ "$IMSD_STATUS" = 0 ] || fail "imsd exit status $IMSD_STATUS"
pass "clean stop"

#pragma once

// The SIP agent's counters (one X-macro list: struct, names, descriptions).
// Written by the sigplane thread, read by control threads (relaxed).

#include <cstdint>

#include "platform/stats/counter_list.hpp"

#define IMSD_SIG_AGENT_COUNTERS(_)                                                                 \
    _(requests_in, info, "SIP requests the agent received")                                        \
    _(invites_in, info, "initial INVITE requests")                                                 \
    _(messages_in, info, "MESSAGE requests (Pager Mode)")                                          \
    _(in_dialog_in, info, "requests within a dialog (re-INVITE, BYE, UPDATE, ...)")                \
    _(originating, info, "initial requests handled as originating (6.1.1)")                        \
    _(terminating, info, "initial requests handled as terminating (6.1.2)")                        \
    _(pai_removed, info, "requests whose P-Asserted-Identity was ignored and removed (untrusted)") \
    _(rejected_403, info, "requests refused 403 by a check (6.1.1.1 steps 1-3, 6.1.2.1 1-2)")      \
    _(rejected_415, info, "requests refused 415 (Pager Mode content policy)")                      \
    _(rejected_488, info, "requests refused 488 (SDP against the content and size policy)")        \
    _(rejected_other, info, "requests refused for other reasons (483, 400, 503...)")               \
    _(sdp_bad, info, "INVITE bodies whose SDP does not parse (400)")                               \
    _(forwarded, info, "requests forwarded statefully (proxy, RFC 3261 16)")                       \
    _(forward_failed, info, "requests that could not be forwarded (no route, no memory)")          \
    _(responses_relayed, info, "responses relayed back to the request's sender")                   \
    _(acks_forwarded, info, "ACKs to 2xx forwarded end to end")                                    \
    _(cancels_in, info, "CANCEL requests: the forwarded INVITE cancelled downstream")              \
    _(options_answered, info, "OPTIONS addressed to imsd answered 200")                            \
    _(b2bua_unavailable, info, "requests needing the media path refused 503: no MSRP relay")       \
    _(b2bua_calls, info, "IM Sessions set up as B2BUA with imsd in the media path")                \
    _(b2bua_failed, info, "B2BUA sessions not set up (relay refused, far side refused...)")        \
    _(media_errors, info, "MSRP relay control calls that failed (create, path, release)")          \
    _(transactions_full, info, "requests refused 503: limits/max-sessions transactions in flight") \
    _(rejected_422, info, "INVITEs refused 422: Session-Expires below im/min-se-s (RFC 4028)")     \
    _(reinvites, info, "re-INVITEs with a new offer carried to the other side (6.1.2.2.3)")        \
    _(refreshes, info, "session refreshes answered (re-INVITE / UPDATE without a new offer)")      \
    _(sessions_expired, info,                                                                      \
      "B2BUA sessions ended by their session timer: no refresh in time, or imsd's refresh "        \
      "answered 408 or 481 (BYE both sides)")                                                      \
    _(retransmitted_2xx, info,                                                                     \
      "2xx to an INVITE resent over UDP until its ACK (RFC 3261 13.3.1.4)")                        \
    _(acks_missing, info, "B2BUA sessions ended: no ACK for their 2xx in 64*T1 (BYE both sides)")  \
    _(refreshes_sent, info, "session refreshes imsd sent as the refresher (RFC 4028 10)")          \
    _(refresh_failures, info, "refreshes imsd sent that failed (408 / 481 end the session)")       \
    _(history_records, info, "history records written (session start and end)")                    \
    _(history_errors, info, "history records the store refused")                                   \
    _(sessions_started, info, "IM sessions established (2xx to an initial INVITE)")                \
    _(sessions_ended, info, "IM sessions ended (BYE answered, or expired)")

namespace imsd::sig {

using platform::counter_info;
using platform::counter_kind;

IMSD_DEFINE_COUNTERS(IMSD_SIG_AGENT_COUNTERS)

}  // namespace imsd::sig

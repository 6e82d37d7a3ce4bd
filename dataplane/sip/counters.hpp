#pragma once

// Per-lcore counters of SIP over UDP in the dataplane (one X-macro list:
// struct, names and descriptions for imsctl and telemetry).

#include <cstdint>

#include "platform/stats/counter_list.hpp"

#define IMSD_DP_SIP_COUNTERS(_)                                                                  \
    _(udp_in, info, "UDP datagrams to a media address")                                          \
    _(udp_malformed, drop, "UDP datagrams with a bad length")                                    \
    _(udp_checksum_bad, drop, "UDP datagrams with a bad checksum")                               \
    _(udp_port_other, drop, "UDP datagrams to a port other than the SIP port")                   \
    _(udp_chained, info, "datagrams spanning several mbufs (copied once to be framed)")          \
    _(policed, drop, "messages over their source's rate (dataplane/sip/rate-per-source)")        \
    _(policed_overflow, drop, "messages over the shared rate of sources beyond max-sources")     \
    _(overflow_admitted, info, "messages admitted on the shared bucket (the table was full)")    \
    _(trusted_in, info, "messages from trusted peers (never policed)")                           \
    _(sources_expired, info, "idle sources forgotten")                                           \
    _(not_sip, drop, "datagrams with no SIP/2.0 Request-Line or Status-Line")                    \
    _(malformed, drop, "SIP messages with a malformed line, CSeq or Content-Length")             \
    _(too_large, drop, "SIP messages or lines over the limits")                                  \
    _(too_many_headers, drop, "SIP messages with more headers than limits/max-sip-headers")      \
    _(missing_header, drop, "SIP messages missing Via, From, To, Call-ID, CSeq or Max-Forwards") \
    _(cseq_mismatch, drop, "SIP requests whose CSeq method is not the Request-Line's")           \
    _(body_truncated, drop, "SIP messages whose Content-Length exceeds the datagram")            \
    _(answered, info, "refused requests answered by the dataplane (400 / 513)")                  \
    _(answer_failed, drop, "refused requests not answerable (no CSeq...) or no mbuf")            \
    _(requests_punted, info, "SIP requests handed to the sigplane")                              \
    _(responses_punted, info, "SIP responses handed to the sigplane")

namespace imsd::dp::sip {

using platform::counter_info;
using platform::counter_kind;

IMSD_DEFINE_COUNTERS(IMSD_DP_SIP_COUNTERS)

}  // namespace imsd::dp::sip

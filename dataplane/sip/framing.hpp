#pragma once

// SIP over UDP, framed and validated on the fast path before a datagram is
// punted to the sigplane (issue 6, step 1): one datagram is one message
// (RFC 3261 18.3). What it checks is what a broken or hostile sender gets
// wrong and what the sigplane must be able to rely on: a Request-Line or
// Status-Line with SIP/2.0, well-formed header lines within the limits, the
// headers every request (8.1.1) or response needs, a CSeq method matching
// the Request-Line, and a Content-Length that fits the datagram (a larger
// one discards the message; a smaller one truncates the body, 18.3).
// Compact header forms are understood (7.3.3). Lines may end in CRLF or, as
// Sofia-SIP accepts, a bare LF; headers may be folded (7.3.1).
//
// No heap, no exceptions, views into the datagram. Any thread. A libFuzzer
// target holds it (tests/fuzz/sip_framing_fuzz.cpp).

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace imsd::dp::sip {

struct limits {
    uint32_t max_message_bytes = 65535;
    uint16_t max_headers = 64;
    uint16_t max_line_bytes = 4096;
};

enum class verdict : uint8_t {
    ok,
    not_sip,           // no SIP/2.0 Request-Line or Status-Line: not ours to answer
    malformed,         // a line that is no header, a bad CSeq, a bad Content-Length...
    too_large,         // over max_message_bytes or max_line_bytes
    too_many_headers,  // over max_headers
    missing_header,    // a header RFC 3261 8.1.1 requires is absent
    cseq_mismatch,     // CSeq method differs from the Request-Line's
    body_truncated,    // Content-Length larger than what arrived (18.3: discard)
};
std::string_view verdict_name(verdict v) noexcept;

// What the framing found: views into the datagram.
struct message_view {
    bool request = false;
    std::string_view method;       // requests
    std::string_view request_uri;  // requests
    uint16_t status = 0;           // responses
    std::string_view via;          // the first Via header's value (the top-most hop)
    std::string_view from, to, call_id, cseq, max_forwards;
    std::string_view cseq_method;
    uint32_t cseq_number = 0;
    uint16_t headers = 0;
    std::string_view body;    // Content-Length bytes (the rest of the datagram if absent)
    const char* reason = "";  // why not ok, for logs and counters
};

// Frames one UDP datagram. `out` is valid while the datagram is.
verdict frame_udp(std::string_view datagram, const limits& lim, message_view& out) noexcept;

}  // namespace imsd::dp::sip

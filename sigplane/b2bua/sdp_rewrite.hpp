#pragma once

// The B2BUA's SDP (OMA IM 6.1.1.2.2 step 1.g and 200 OK step 4; 6.1.2.2.2):
// the offer or answer one side sent, re-originated by imsd with its own MSRP
// relay leg in place of the sender's - o=, c= and the m=message port name
// imsd, a=path is the relay leg's URI (RFC 4975 8.1), a=setup says how the
// connection is made (RFC 6135) - and every other line (accept-types,
// max-size, file-selector, ...) kept. Pure functions; any thread.

#include <cstdint>
#include <string>
#include <string_view>

namespace imsd::sig {

enum class msrp_setup : uint8_t {
    unspecified,  // no a=setup: RFC 4975 - the offerer connects
    active,
    passive,
    actpass,
};
msrp_setup parse_setup(std::string_view v) noexcept;

// "msrp://198.18.0.1:2855/abc;tcp" -> host "198.18.0.1", port 2855; 0 when
// the URI is not one.
uint16_t msrp_uri_port(std::string_view uri) noexcept;
std::string msrp_uri_host(std::string_view uri);

struct sdp_leg {
    std::string address;  // imsd's media address
    std::string path;     // the relay leg's local MSRP URI
    uint64_t session_id = 0;
    uint64_t version = 1;
    msrp_setup setup = msrp_setup::unspecified;  // what to write; unspecified: drop a=setup
};

// `sdp` with the MSRP media re-originated by imsd as `leg` says. Lines end
// in CRLF in the result.
std::string rewrite_msrp_sdp(std::string_view sdp, const sdp_leg& leg);

// Whether imsd connects on a leg where the peer's offer or answer said
// `peer` and imsd is the offerer (true) or the answerer (false) on it
// (RFC 4975 5.4 default: the offerer is active; RFC 6135 a=setup).
bool imsd_connects(msrp_setup peer, bool imsd_offered) noexcept;

}  // namespace imsd::sig

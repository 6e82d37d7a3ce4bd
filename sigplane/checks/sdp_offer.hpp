#pragma once

// The MSRP media of an SDP body (RFC 4566 via Sofia-SIP's sdp parser; RFC
// 4975 8.6 attributes, RFC 5547 a=file-selector size, RFC 6135 a=setup).
// Control threads.

#include <expected>
#include <string>
#include <string_view>

#include "sigplane/checks/facts.hpp"

namespace imsd::sig {

// The first m=message line over TCP/MSRP (or TCP/TLS/MSRP); present=false
// when the body has none. An error names what does not parse.
std::expected<msrp_offer, std::string> parse_msrp_offer(std::string_view sdp);

}  // namespace imsd::sig

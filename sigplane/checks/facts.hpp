#pragma once

// What the Participating Function's checks read (OMA IM 6.1.1.1, 6.1.2.1):
// facts taken from one SIP request, what is known of the served user, and
// the verdict a check returns. Plain values: the checks are pure functions
// of them (ARCHITECTURE "sigplane"), so each spec step is tested alone.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace imsd::sig {

// The kinds of IM request the spec tells apart.
enum class im_kind : uint8_t { session, large_message, pager, file_transfer };
std::string_view im_kind_name(im_kind k) noexcept;

// The MSRP attributes of an SDP offer (RFC 4975 8.6, RFC 5547 for the file
// selector).
struct msrp_offer {
    bool present = false;                   // an m=message ... TCP/MSRP line
    std::vector<std::string> accept_types;  // lowercased
    std::vector<std::string> accept_wrapped_types;
    std::optional<uint64_t> max_size;
    std::optional<uint64_t> file_size;  // a=file-selector size:N
    std::string path;                   // a=path (the client's MSRP URIs)
    std::string setup;                  // a=setup (RFC 6135)
};

struct request_facts {
    std::string method;  // INVITE, MESSAGE...
    im_kind kind = im_kind::session;
    // The Authenticated Originator's IM Address: P-Asserted-Identity from a
    // trusted peer (RFC 3325), normalized; none when not asserted.
    std::optional<std::string> originator;
    bool anonymous = false;  // Privacy: id
    std::string user_agent;
    std::string content_type;  // the body's media type, lowercased, no parameters
    uint64_t body_bytes = 0;
    msrp_offer offer;
    // Pager Mode: until when the message is valid (Unix seconds; from Expires,
    // relative to Date when present); none: no Expires.
    std::optional<int64_t> valid_until_s;
};

// The served user as the checks see it.
struct served_user {
    bool provisioned = false;     // known to this node (documents provisioned)
    bool isb_active = false;      // isb-settings: incoming sessions and File Transfer barred
    bool ipab_active = false;     // ipab-settings: incoming Pager and Large Message barred
    bool history_active = false;  // his-settings/hist-activation
    // When a System Message that needs an answer was sent to the user and
    // not yet answered (6.1.1.1 step 2); none: nothing pending.
    std::optional<int64_t> system_message_pending_since_s;
};

// The shared policy's <allow-invite> for this sender and media (RFC 4745,
// OMA shared policy), evaluated by mgmt.
enum class invite_permission : uint8_t { none, reject, allow };

// A check's refusal: the response and what goes in it.
struct rejection {
    int status = 0;
    std::string phrase;
    std::string step;        // "6.1.1.1 step 3": logs, counters, tests
    std::string warning;     // text of a Warning header (code 399), "" for none
    std::string error_info;  // URI of an Error-Info header, "" for none
    std::string accept;      // value of an Accept header (415), "" for none
};

inline rejection refuse(int status, std::string phrase, std::string step,
                        std::string warning = {}) {
    rejection x;
    x.status = status;
    x.phrase = std::move(phrase);
    x.step = std::move(step);
    x.warning = std::move(warning);
    return x;
}

// A check's verdict: none to continue with the next step.
using verdict = std::optional<rejection>;

}  // namespace imsd::sig

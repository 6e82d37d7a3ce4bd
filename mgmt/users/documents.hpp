#pragma once

// A user's documents: the IM specific service settings (isb / ipab / his) and
// the shared policy (RFC 4745 common-policy with OMA extensions), parsed from
// untrusted XML and evaluated for one incoming request. Pure functions; any
// thread. Namespaces and semantics: conf/schemas/*.xsd and
// docs/design/user-documents.md.

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "platform/error.hpp"

namespace imsd::mgmt {

inline constexpr std::string_view service_settings_ns = "urn:oma:xml:im:im-service-settings";
inline constexpr std::string_view common_policy_ns = "urn:ietf:params:xml:ns:common-policy";
inline constexpr std::string_view oma_policy_ns = "urn:oma:xml:xdm:common-policy";

struct service_settings {
    bool isb_active = false;      // incoming IM Session and File Transfer barred
    bool ipab_active = false;     // incoming Pager Mode and Large Message barred
    bool history_active = false;  // his-settings/hist-activation
};

std::expected<service_settings, platform::error> parse_service_settings(std::string_view text,
                                                                        const std::string& name);

// The kinds of incoming IM request the terminating checks distinguish.
enum class im_request { session, large_message, pager, file_transfer };
std::optional<im_request> parse_im_request(std::string_view s);
std::string_view im_request_name(im_request r);

// <media> values of the shared policy (OMA extension), as a bit set.
enum media_bit : uint8_t {
    media_message_session = 1,
    media_pager_mode_message = 2,
    media_file_transfer = 4,
};

// RFC 4745 section 10.2 combines enumerated permissions by taking the
// maximum of the matching rules; imsd orders allow-invite reject < allow.
enum class invite_permission : uint8_t { none = 0, reject = 1, allow = 2 };

struct identity_condition {
    struct many {
        std::string domain;  // "" : any authenticated identity
        std::vector<std::string> except_ids;
        std::vector<std::string> except_domains;
    };
    std::vector<std::string> ones;  // normalized URIs
    std::vector<many> manys;
};

struct validity_interval {
    int64_t from_s;
    int64_t until_s;
};

struct policy_rule {
    std::string id;
    int line = 0;
    std::optional<identity_condition> identity;
    std::optional<std::string> sphere;
    std::vector<validity_interval> validity;  // empty: no validity condition
    uint8_t media = 0;                        // 0: no media condition
    bool other_identity = false;
    bool anonymous_request = false;
    bool unknown_condition = false;  // a condition imsd does not understand: never matches
    invite_permission allow_invite = invite_permission::none;
};

struct shared_policy {
    std::vector<policy_rule> rules;
};

std::expected<shared_policy, platform::error> parse_shared_policy(std::string_view text,
                                                                  const std::string& name);

struct policy_request {
    std::string sender;  // the Authenticated Originator's IM Address
    bool anonymous = false;
    im_request kind = im_request::session;
    int64_t now_s = 0;  // Unix time, for <validity>
};

struct policy_decision {
    invite_permission allow_invite = invite_permission::none;
    std::vector<std::string> matched_rules;  // ids, document order
};

policy_decision evaluate(const shared_policy& policy, const policy_request& request);

// sip:User@Example.COM;transport=tcp -> sip:User@example.com (scheme and host
// lowercased, parameters and headers dropped). Identity comparison uses it.
std::string normalize_uri(std::string_view uri);
// The host of a sip/sips URI ("" for others), lowercased.
std::string uri_domain(std::string_view uri);

// Parses xs:dateTime ("2026-01-01T00:00:00Z", "...+02:00", fractions).
std::optional<int64_t> parse_datetime(std::string_view s);

}  // namespace imsd::mgmt

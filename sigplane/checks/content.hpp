#pragma once

// The operator's size and content policy, the step both directions share
// (6.1.1.1 step 4, 6.1.2.1 step 3): Pager Mode bodies against the pager
// policy (415 with Accept), and the MSRP attributes of a session, Large
// Message or File Transfer offer against theirs (488 saying what is
// supported). Pure functions; any thread.

#include <string_view>

#include "platform/settings/settings.hpp"
#include "sigplane/checks/facts.hpp"

namespace imsd::sig {

// The policy for a kind of request.
const platform::content_policy& policy_for(const platform::im_settings& s, im_kind k) noexcept;

// step 4.a / 3.a
verdict pager_content(const request_facts& r, const platform::im_settings& s,
                      std::string_view step);
// step 4.b / 3.b
verdict sdp_attributes(const request_facts& r, const platform::im_settings& s,
                       std::string_view step);

// A new offer within an IM Session (re-INVITE, 6.1.2.2.3) held against the
// same policy as the first (the request the session began with gives the
// kind): from the served client it is 6.1.1.1 step 4.b, towards the served
// user 6.1.2.1 step 3.b (those steps apply to every request either way).
verdict new_offer(const request_facts& initial, const msrp_offer& offer, bool from_served_client,
                  const platform::im_settings& s);

// Whether `type` (lowercased) is allowed by `allowed` (empty: any;
// "type/*" entries allow a whole type).
bool type_allowed(std::string_view type, const std::vector<std::string>& allowed) noexcept;

}  // namespace imsd::sig

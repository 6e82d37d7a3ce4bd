#pragma once

// OMA IM 6.1.1.1: the checks on a request from the served IM Client, in
// spec order. Each is a named pure function; run() applies them in order
// and returns the first refusal. Any thread.

#include <cstdint>
#include <string_view>

#include "platform/settings/settings.hpp"
#include "sigplane/checks/facts.hpp"

namespace imsd::sig::originating {

// Step 1: the Authenticated Originator's IM Address is an IM user allowed to
// send the request (asserted by the core, provisioned here); else 403 with a
// Warning.
verdict step1_originator_allowed(const request_facts& r, const served_user* user);

// Step 2: no answer to a System Message pending past the operator's timer;
// else 403 with Error-Info.
verdict step2_system_message_response(const served_user& user, const platform::im_settings& s,
                                      int64_t now_s);

// Step 3: where the operator requires it, User-Agent carries
// IM-client/OMA<major>.<minor> of an accepted release; else 403 with
// Error-Info.
verdict step3_client_release(const request_facts& r, const platform::im_settings& s);

// Step 4.a (Pager Mode) and 4.b (session, Large Message, File Transfer).
verdict step4a_pager_content(const request_facts& r, const platform::im_settings& s);
verdict step4b_sdp_attributes(const request_facts& r, const platform::im_settings& s);

// Steps 1-4 in order. `user` is null when the originator is not known here.
verdict run(const request_facts& r, const served_user* user, const platform::im_settings& s,
            int64_t now_s);

// The release in an IM-client/OMA<maj>.<min> product token of a User-Agent
// value ("1.0"), or "" when there is none.
std::string_view client_release(std::string_view user_agent) noexcept;

}  // namespace imsd::sig::originating

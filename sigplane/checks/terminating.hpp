#pragma once

// OMA IM 6.1.2.1: the checks on a request to be terminated at the served IM
// user, in spec order, each a named pure function. Step 5 (availability and
// deferral) belongs to Pager Mode and Large Message Mode and comes with them.
// Any thread.

#include "platform/settings/settings.hpp"
#include "sigplane/checks/facts.hpp"

namespace imsd::sig::terminating {

// Step 1: isb-settings bar IM Sessions and File Transfer, ipab-settings
// Pager Mode and Large Message Mode: 403.
verdict step1_incoming_barring(const request_facts& r, const served_user& user);

// Step 2: the shared policy's <allow-invite> is reject for this sender and
// media (2.a message-session for sessions and Large Message, 2.b
// pager-mode-message for Pager Mode; File Transfer by its own media): 403
// with a Warning.
verdict step2_access_policy(const request_facts& r, invite_permission permission);

// Step 3.a (Pager Mode) and 3.b (session, Large Message, File Transfer).
verdict step3a_pager_content(const request_facts& r, const platform::im_settings& s);
verdict step3b_sdp_attributes(const request_facts& r, const platform::im_settings& s);

// Step 4: a Pager Mode message whose Expires has passed is handled by the
// local policy (im/expired-pager): refused 403 with a Warning, or delivered.
verdict step4_pager_expires(const request_facts& r, const platform::im_settings& s, int64_t now_s);

// Steps 1-4 in order. `user` null: the recipient has no documents here
// (nothing barred, no policy).
verdict run(const request_facts& r, const served_user* user, invite_permission permission,
            const platform::im_settings& s, int64_t now_s);

}  // namespace imsd::sig::terminating

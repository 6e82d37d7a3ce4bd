#include "sigplane/checks/terminating.hpp"

#include <string>

#include "sigplane/checks/content.hpp"

namespace imsd::sig::terminating {

verdict step1_incoming_barring(const request_facts& r, const served_user& user) {
    const bool session_like = r.kind == im_kind::session || r.kind == im_kind::file_transfer;
    if (session_like && user.isb_active) {
        return refuse(403, "Forbidden", "6.1.2.1 step 1",
                      "incoming IM sessions are barred by the user");
    }
    if (!session_like && user.ipab_active) {
        return refuse(403, "Forbidden", "6.1.2.1 step 1",
                      "incoming pager and large messages are barred by the user");
    }
    return std::nullopt;
}

verdict step2_access_policy(const request_facts& r, invite_permission permission) {
    if (permission != invite_permission::reject) {
        return std::nullopt;
    }
    const bool pager = r.kind == im_kind::pager;
    return refuse(403, "Forbidden", pager ? "6.1.2.1 step 2.b" : "6.1.2.1 step 2.a",
                  pager ? "the recipient's policy rejects pager mode messages from you"
                        : "the recipient's policy rejects message sessions from you");
}

verdict step3a_pager_content(const request_facts& r, const platform::im_settings& s) {
    return r.kind == im_kind::pager ? pager_content(r, s, "6.1.2.1 step 3.a") : std::nullopt;
}

verdict step3b_sdp_attributes(const request_facts& r, const platform::im_settings& s) {
    return r.kind != im_kind::pager ? sdp_attributes(r, s, "6.1.2.1 step 3.b") : std::nullopt;
}

verdict step4_pager_expires(const request_facts& r, const platform::im_settings& s, int64_t now_s) {
    if (r.kind != im_kind::pager || !r.valid_until_s || *r.valid_until_s >= now_s ||
        s.deliver_expired_pager) {
        return std::nullopt;
    }
    return refuse(403, "Forbidden", "6.1.2.1 step 4",
                  "the message expired " + std::to_string(now_s - *r.valid_until_s) +
                      " s before it could be delivered");
}

verdict run(const request_facts& r, const served_user* user, invite_permission permission,
            const platform::im_settings& s, int64_t now_s) {
    if (user != nullptr) {
        if (auto v = step1_incoming_barring(r, *user)) {
            return v;
        }
    }
    if (auto v = step2_access_policy(r, permission)) {
        return v;
    }
    if (auto v = step3a_pager_content(r, s)) {
        return v;
    }
    if (auto v = step3b_sdp_attributes(r, s)) {
        return v;
    }
    return step4_pager_expires(r, s, now_s);
}

}  // namespace imsd::sig::terminating

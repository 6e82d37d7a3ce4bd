#include "sigplane/checks/originating.hpp"

#include <algorithm>
#include <string>

#include "platform/text/ascii.hpp"
#include "sigplane/checks/content.hpp"

namespace imsd::sig::originating {

verdict step1_originator_allowed(const request_facts& r, const served_user* user) {
    // 6.1.1.1 step 1
    if (!r.originator) {
        return refuse(403, "Forbidden", "6.1.1.1 step 1",
                      "the originator is not authenticated (no P-Asserted-Identity from the "
                      "SIP/IP Core)");
    }
    if (user == nullptr || !user->provisioned) {
        return refuse(403, "Forbidden", "6.1.1.1 step 1",
                      *r.originator + " is not an IM user of this service");
    }
    return std::nullopt;
}

verdict step2_system_message_response(const served_user& user, const platform::im_settings& s,
                                      int64_t now_s) {
    // 6.1.1.1 step 2: a required response to a System Message not received
    // and the operator's timer expired.
    if (user.system_message_pending_since_s &&
        now_s - *user.system_message_pending_since_s >= int64_t{s.system_message_timeout_s}) {
        rejection x = refuse(403, "Forbidden", "6.1.1.1 step 2");
        x.error_info = "urn:imsd:error:system-message-response-overdue";
        x.warning = "a System Message awaits your response";
        return x;
    }
    return std::nullopt;
}

std::string_view client_release(std::string_view ua) noexcept {
    // User-Agent = product *(LWS (product / comment)); product = token ["/" token]
    constexpr std::string_view name = "IM-client/OMA";
    for (size_t at = 0; at + name.size() <= ua.size(); ++at) {
        if ((at == 0 || ua[at - 1] == ' ' || ua[at - 1] == '\t') &&
            platform::iequal(ua.substr(at, name.size()), name)) {
            size_t end = at + name.size();
            while (end < ua.size() && ua[end] != ' ' && ua[end] != '\t' && ua[end] != '(') {
                ++end;
            }
            return ua.substr(at + name.size(), end - at - name.size());
        }
    }
    return {};
}

verdict step3_client_release(const request_facts& r, const platform::im_settings& s) {
    // 6.1.1.1 step 3, only where the operator requires a release.
    if (!s.require_client_release) {
        return std::nullopt;
    }
    const std::string_view rel = client_release(r.user_agent);
    if (!rel.empty() && std::find(s.client_releases.begin(), s.client_releases.end(), rel) !=
                            s.client_releases.end()) {
        return std::nullopt;
    }
    rejection x = refuse(403, "Forbidden", "6.1.1.1 step 3");
    x.error_info = "urn:imsd:error:client-release-not-supported";
    std::string accepted;
    for (const auto& a : s.client_releases) {
        accepted += (accepted.empty() ? "" : ", ") + std::string("OMA") + a;
    }
    x.warning = rel.empty() ? "User-Agent names no IM-client/OMA release; accepted: " + accepted
                            : "IM client release OMA" + std::string(rel) +
                                  " is not supported; accepted: " + accepted;
    return x;
}

verdict step4a_pager_content(const request_facts& r, const platform::im_settings& s) {
    return r.kind == im_kind::pager ? pager_content(r, s, "6.1.1.1 step 4.a") : std::nullopt;
}

verdict step4b_sdp_attributes(const request_facts& r, const platform::im_settings& s) {
    return r.kind != im_kind::pager ? sdp_attributes(r, s, "6.1.1.1 step 4.b") : std::nullopt;
}

verdict run(const request_facts& r, const served_user* user, const platform::im_settings& s,
            int64_t now_s) {
    if (auto v = step1_originator_allowed(r, user)) {
        return v;
    }
    if (auto v = step2_system_message_response(*user, s, now_s)) {
        return v;
    }
    if (auto v = step3_client_release(r, s)) {
        return v;
    }
    if (auto v = step4a_pager_content(r, s)) {
        return v;
    }
    return step4b_sdp_attributes(r, s);
}

}  // namespace imsd::sig::originating

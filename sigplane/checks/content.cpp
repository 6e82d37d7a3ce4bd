#include "sigplane/checks/content.hpp"

#include <string>

namespace imsd::sig {

std::string_view im_kind_name(im_kind k) noexcept {
    switch (k) {
        case im_kind::session:
            return "session";
        case im_kind::large_message:
            return "large-message";
        case im_kind::pager:
            return "pager";
        case im_kind::file_transfer:
            return "file-transfer";
    }
    return "?";
}

const platform::content_policy& policy_for(const platform::im_settings& s, im_kind k) noexcept {
    switch (k) {
        case im_kind::pager:
            return s.pager;
        case im_kind::large_message:
            return s.large_message;
        case im_kind::file_transfer:
            return s.file_transfer;
        case im_kind::session:
            break;
    }
    return s.session;
}

bool type_allowed(std::string_view type, const std::vector<std::string>& allowed) noexcept {
    if (allowed.empty()) {
        return true;
    }
    for (const auto& a : allowed) {
        if (a == type) {
            return true;
        }
        if (a.size() > 2 && a.ends_with("/*") &&
            type.starts_with(std::string_view(a).substr(0, a.size() - 1))) {
            return true;
        }
    }
    return false;
}

namespace {

std::string join(const std::vector<std::string>& v, std::string_view sep) {
    std::string out;
    for (const auto& x : v) {
        if (!out.empty()) {
            out += sep;
        }
        out += x;
    }
    return out;
}

// What the operator supports, for the 488's Warning.
std::string supported(const platform::content_policy& p) {
    std::string s = "supported: types " +
                    (p.content_types.empty() ? std::string("any") : join(p.content_types, " "));
    s += p.max_size_bytes != 0 ? "; max size " + std::to_string(p.max_size_bytes) + " bytes"
                               : "; any size";
    return s;
}

}  // namespace

verdict pager_content(const request_facts& r, const platform::im_settings& s,
                      std::string_view step) {
    const auto& p = s.pager;
    const bool type_ok = r.body_bytes == 0 || type_allowed(r.content_type, p.content_types);
    const bool size_ok = p.max_size_bytes == 0 || r.body_bytes <= p.max_size_bytes;
    if (type_ok && size_ok) {
        return std::nullopt;
    }
    rejection x = refuse(415, "Unsupported Media Type", std::string(step));
    x.accept = p.content_types.empty() ? "*/*" : join(p.content_types, ", ");
    x.warning = !type_ok ? "content type " + r.content_type + " is not allowed here"
                         : "message of " + std::to_string(r.body_bytes) + " bytes is over the " +
                               std::to_string(p.max_size_bytes) + " allowed in Pager Mode";
    return x;
}

verdict sdp_attributes(const request_facts& r, const platform::im_settings& s,
                       std::string_view step) {
    const auto& p = policy_for(s, r.kind);
    std::string why;
    if (!p.content_types.empty() && r.offer.present) {
        // The offer conforms when the client accepts at least one allowed
        // type; "*" accepts anything the operator allows.
        bool any = false;
        for (const auto& t : r.offer.accept_types) {
            any |= t == "*" || type_allowed(t, p.content_types);
        }
        if (!any) {
            why = "none of the offered accept-types is allowed";
        }
    }
    if (why.empty() && p.max_size_bytes != 0) {
        // The file selector states the file's size (RFC 5547); in Large
        // Message Mode a=max-size states the message's.
        if (r.kind == im_kind::file_transfer && r.offer.file_size &&
            *r.offer.file_size > p.max_size_bytes) {
            why = "file of " + std::to_string(*r.offer.file_size) + " bytes";
        } else if (r.kind == im_kind::large_message && r.offer.max_size &&
                   *r.offer.max_size > p.max_size_bytes) {
            why = "message of up to " + std::to_string(*r.offer.max_size) + " bytes";
        }
    }
    if (why.empty()) {
        return std::nullopt;
    }
    rejection x = refuse(488, "Not Acceptable Here", std::string(step));
    x.warning = why + " (" + std::string(im_kind_name(r.kind)) + "); " + supported(p);
    return x;
}

verdict new_offer(const request_facts& initial, const msrp_offer& offer, bool from_served_client,
                  const platform::im_settings& s) {
    request_facts r = initial;
    r.offer = offer;
    return sdp_attributes(r, s, from_served_client ? "6.1.1.1 step 4.b" : "6.1.2.1 step 3.b");
}

}  // namespace imsd::sig

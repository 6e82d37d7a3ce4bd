#include "mgmt/users/directory.hpp"

#include <algorithm>

namespace imsd::mgmt {

using platform::make_error;

namespace {

constexpr std::string_view key_prefix = "user/";
constexpr size_t max_uri_bytes = 256;

std::string key_of(const std::string& uri, doc_kind kind) {
    return std::string(key_prefix) + uri + "/" + std::string(doc_kind_name(kind));
}

}  // namespace

std::optional<doc_kind> parse_doc_kind(std::string_view s) {
    if (s == "service-settings") {
        return doc_kind::service_settings;
    }
    if (s == "shared-policy") {
        return doc_kind::shared_policy;
    }
    return std::nullopt;
}

std::string_view doc_kind_name(doc_kind k) {
    return k == doc_kind::service_settings ? "service-settings" : "shared-policy";
}

std::expected<std::string, platform::error> check_user_uri(std::string_view uri) {
    const bool scheme =
        uri.starts_with("sip:") || uri.starts_with("sips:") || uri.starts_with("tel:");
    const bool printable =
        std::all_of(uri.begin(), uri.end(), [](char c) { return c > ' ' && c < 0x7f && c != '/'; });
    if (!scheme || !printable || uri.size() > max_uri_bytes || uri.find(':') + 1 == uri.size()) {
        return std::unexpected(make_error(
            std::string(uri), "not a user URI (sip:, sips: or tel:, printable, no '/', at most " +
                                  std::to_string(max_uri_bytes) + " bytes)"));
    }
    return normalize_uri(uri);
}

std::expected<size_t, platform::error> user_directory::load() {
    auto rows = store_.scan(key_prefix);
    if (!rows) {
        return std::unexpected(rows.error());
    }
    size_t n = 0;
    for (const auto& r : *rows) {
        auto slash = r.key.rfind('/');
        std::string uri = r.key.substr(key_prefix.size(), slash - key_prefix.size());
        auto kind = parse_doc_kind(std::string_view(r.key).substr(slash + 1));
        if (!kind) {
            continue;
        }
        if (*kind == doc_kind::service_settings) {
            auto s = parse_service_settings(r.value, r.key);
            if (!s) {
                return std::unexpected(s.error());
            }
            apply(uri, *kind, *s, {}, false);
        } else {
            auto p = parse_shared_policy(r.value, r.key);
            if (!p) {
                return std::unexpected(p.error());
            }
            apply(uri, *kind, {}, std::move(*p), false);
        }
        ++n;
    }
    return n;
}

std::expected<uint64_t, platform::error> user_directory::put(std::string_view uri_in, doc_kind kind,
                                                             std::string_view text,
                                                             const std::string& name) {
    auto uri = check_user_uri(uri_in);
    if (!uri) {
        return std::unexpected(uri.error());
    }
    std::optional<service_settings> s;
    std::optional<shared_policy> p;
    if (kind == doc_kind::service_settings) {
        auto parsed = parse_service_settings(text, name);
        if (!parsed) {
            return std::unexpected(parsed.error());
        }
        s = *parsed;
    } else {
        auto parsed = parse_shared_policy(text, name);
        if (!parsed) {
            return std::unexpected(parsed.error());
        }
        p = std::move(*parsed);
    }
    auto version = store_.put(key_of(*uri, kind), text);
    if (!version) {
        return std::unexpected(version.error());
    }
    apply(*uri, kind, std::move(s), std::move(p), false);
    return *version;
}

std::expected<std::optional<platform::record>, platform::error> user_directory::get(
    std::string_view uri_in, doc_kind kind) {
    auto uri = check_user_uri(uri_in);
    if (!uri) {
        return std::unexpected(uri.error());
    }
    return store_.get(key_of(*uri, kind));
}

std::expected<bool, platform::error> user_directory::remove(std::string_view uri_in,
                                                            doc_kind kind) {
    auto uri = check_user_uri(uri_in);
    if (!uri) {
        return std::unexpected(uri.error());
    }
    auto removed = store_.remove(key_of(*uri, kind));
    if (removed && *removed) {
        apply(*uri, kind, {}, {}, true);
    }
    return removed;
}

void user_directory::apply(const std::string& uri, doc_kind kind, std::optional<service_settings> s,
                           std::optional<shared_policy> p, bool removed) {
    std::lock_guard lock(mu_);
    auto next = std::make_shared<user_docs>();
    if (auto it = users_.find(uri); it != users_.end()) {
        *next = *it->second;
    }
    if (kind == doc_kind::service_settings) {
        next->settings = removed ? std::nullopt : std::move(s);
    } else {
        next->policy = removed ? std::nullopt : std::move(p);
    }
    if (!next->settings && !next->policy) {
        users_.erase(uri);
    } else {
        users_[uri] = std::move(next);
    }
}

std::vector<std::string> user_directory::users() const {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& [uri, docs] : users_) {
        out.push_back(uri);
    }
    return out;
}

std::shared_ptr<const user_docs> user_directory::find(std::string_view uri) const {
    std::lock_guard lock(mu_);
    auto it = users_.find(normalize_uri(uri));
    return it == users_.end() ? nullptr : it->second;
}

terminating_verdict user_directory::verdict(std::string_view recipient,
                                            const policy_request& request) const {
    terminating_verdict v;
    auto docs = find(recipient);
    if (!docs) {
        return v;  // no documents: nothing barred, no policy
    }
    // OMA IM 6.1.2.1 step 1: isb-settings for IM Session and File Transfer,
    // ipab-settings for Pager Mode and Large Message Mode.
    if (docs->settings) {
        const bool session_like =
            request.kind == im_request::session || request.kind == im_request::file_transfer;
        const bool barred = session_like ? docs->settings->isb_active : docs->settings->ipab_active;
        if (barred) {
            v.allowed = false;
            v.status = 403;
            v.step = "6.1.2.1 step 1";
            v.reason = session_like ? "incoming IM sessions are barred by the recipient "
                                      "(isb-settings)"
                                    : "incoming pager and large messages are barred by the "
                                      "recipient (ipab-settings)";
            return v;
        }
    }
    // 6.1.2.1 step 2: the shared policy's <allow-invite> for the request's media.
    if (docs->policy) {
        auto d = evaluate(*docs->policy, request);
        v.matched_rules = d.matched_rules;
        if (d.allow_invite == invite_permission::reject) {
            v.allowed = false;
            v.status = 403;
            v.step = request.kind == im_request::pager ? "6.1.2.1 step 2.b" : "6.1.2.1 step 2.a";
            v.reason = "the recipient's shared policy rejects invitations from this sender";
        }
    }
    return v;
}

}  // namespace imsd::mgmt

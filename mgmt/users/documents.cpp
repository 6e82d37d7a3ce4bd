#include "mgmt/users/documents.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <sstream>

#include "mgmt/xml/xml_doc.hpp"

namespace imsd::embedded {
extern const std::string_view service_settings_xsd;
extern const std::string_view common_policy_xsd;
}  // namespace imsd::embedded

namespace imsd::mgmt {

using platform::make_error;
using xml::for_elements;
using xml::local_name;
using xml::ns_of;
using xml::text_of;

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

}  // namespace

std::expected<service_settings, platform::error> parse_service_settings(std::string_view text,
                                                                        const std::string& name) {
    static const xml::schema schema(embedded::service_settings_xsd);
    auto doc = schema.parse(text, name);
    if (!doc) {
        return std::unexpected(doc.error());
    }
    service_settings s;
    for_elements(xmlDocGetRootElement(doc->get()), [&](xmlNode* c) {
        auto n = local_name(c);
        for_elements(c, [&](xmlNode* leaf) {
            const bool v = xml::to_bool(text_of(leaf));
            if (n == "isb-settings") {
                s.isb_active = v;
            } else if (n == "ipab-settings") {
                s.ipab_active = v;
            } else if (n == "his-settings") {
                s.history_active = v;
            }
        });
    });
    return s;
}

std::optional<im_request> parse_im_request(std::string_view s) {
    if (s == "session") {
        return im_request::session;
    }
    if (s == "large-message") {
        return im_request::large_message;
    }
    if (s == "pager") {
        return im_request::pager;
    }
    if (s == "file-transfer") {
        return im_request::file_transfer;
    }
    return std::nullopt;
}

std::string_view im_request_name(im_request r) {
    switch (r) {
        case im_request::large_message:
            return "large-message";
        case im_request::pager:
            return "pager";
        case im_request::file_transfer:
            return "file-transfer";
        case im_request::session:
            break;
    }
    return "session";
}

std::string normalize_uri(std::string_view uri) {
    auto colon = uri.find(':');
    if (colon == std::string_view::npos) {
        return std::string(uri);
    }
    std::string scheme = lower(uri.substr(0, colon));
    std::string_view rest = uri.substr(colon + 1);
    rest = rest.substr(0, rest.find_first_of(";?"));
    if (scheme != "sip" && scheme != "sips") {
        return scheme + ":" + std::string(rest);
    }
    auto at = rest.rfind('@');
    if (at == std::string_view::npos) {
        return scheme + ":" + lower(rest);
    }
    return scheme + ":" + std::string(rest.substr(0, at + 1)) + lower(rest.substr(at + 1));
}

std::string uri_domain(std::string_view uri) {
    std::string n = normalize_uri(uri);
    if (!n.starts_with("sip:") && !n.starts_with("sips:")) {
        return "";
    }
    auto at = n.rfind('@');
    std::string host = at == std::string::npos ? n.substr(n.find(':') + 1) : n.substr(at + 1);
    return host.substr(0, host.find(':'));  // no port
}

std::optional<int64_t> parse_datetime(std::string_view s) {
    int y, mo, d, h, mi;
    double sec;
    int consumed = 0;
    std::string str(s);
    if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%lf%n", &y, &mo, &d, &h, &mi, &sec,
                    &consumed) != 6) {
        return std::nullopt;
    }
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = static_cast<int>(sec);
    int64_t t = timegm(&tm);
    std::string_view zone = s.substr(static_cast<size_t>(consumed));
    if (zone.empty() || zone == "Z") {
        return t;  // xs:dateTime without a zone: imsd reads it as UTC
    }
    int zh = 0, zm = 0;
    char sign = zone[0];
    std::string z(zone.substr(1));
    if ((sign != '+' && sign != '-') || std::sscanf(z.c_str(), "%2d:%2d", &zh, &zm) != 2) {
        return std::nullopt;
    }
    const int64_t off = (zh * 3600 + zm * 60) * (sign == '+' ? 1 : -1);
    return t - off;
}

namespace {

void parse_identity(xmlNode* node, identity_condition& id, bool& unknown) {
    for_elements(node, [&](xmlNode* c) {
        if (ns_of(c) != common_policy_ns) {
            unknown = true;  // e.g. an external list imsd cannot resolve
            return;
        }
        if (local_name(c) == "one") {
            id.ones.push_back(normalize_uri(xml::attr(c, "id")));
        } else if (local_name(c) == "many") {
            identity_condition::many m;
            m.domain = lower(xml::attr(c, "domain"));
            for_elements(c, [&](xmlNode* e) {
                if (ns_of(e) != common_policy_ns) {
                    unknown = true;
                    return;
                }
                if (auto i = xml::attr(e, "id"); !i.empty()) {
                    m.except_ids.push_back(normalize_uri(i));
                }
                if (auto dom = xml::attr(e, "domain"); !dom.empty()) {
                    m.except_domains.push_back(lower(dom));
                }
            });
            id.manys.push_back(std::move(m));
        }
    });
}

}  // namespace

std::expected<shared_policy, platform::error> parse_shared_policy(std::string_view text,
                                                                  const std::string& name) {
    static const xml::schema schema(embedded::common_policy_xsd);
    auto doc = schema.parse(text, name);
    if (!doc) {
        return std::unexpected(doc.error());
    }
    shared_policy policy;
    std::vector<xml::problem> problems;
    for_elements(xmlDocGetRootElement(doc->get()), [&](xmlNode* r) {
        policy_rule rule;
        rule.id = xml::attr(r, "id");
        rule.line = xml::line_of(r);
        for_elements(r, [&](xmlNode* part) {
            const auto part_name = local_name(part);
            if (part_name == "conditions") {
                for_elements(part, [&](xmlNode* c) {
                    const auto ns = ns_of(c);
                    const auto n = local_name(c);
                    if (ns == common_policy_ns && n == "identity") {
                        rule.identity.emplace();
                        parse_identity(c, *rule.identity, rule.unknown_condition);
                    } else if (ns == common_policy_ns && n == "sphere") {
                        rule.sphere = xml::attr(c, "value");
                    } else if (ns == common_policy_ns && n == "validity") {
                        std::optional<int64_t> from;
                        for_elements(c, [&](xmlNode* t) {
                            auto v = parse_datetime(text_of(t));
                            if (!v) {
                                problems.push_back({xml::line_of(t), "bad date and time"});
                                return;
                            }
                            if (local_name(t) == "from") {
                                from = v;
                            } else if (from) {
                                rule.validity.push_back({*from, *v});
                            }
                        });
                    } else if (ns == oma_policy_ns && n == "media") {
                        std::istringstream words(text_of(c));
                        std::string w;
                        while (words >> w) {
                            if (w == "message-session") {
                                rule.media |= media_message_session;
                            } else if (w == "pager-mode-message") {
                                rule.media |= media_pager_mode_message;
                            } else if (w == "file-transfer") {
                                rule.media |= media_file_transfer;
                            } else {
                                problems.push_back(
                                    {xml::line_of(c), "unknown media '" + w +
                                                          "' (message-session, pager-mode-message, "
                                                          "file-transfer)"});
                            }
                        }
                        if (rule.media == 0 && problems.empty()) {
                            problems.push_back({xml::line_of(c), "empty <media> condition"});
                        }
                    } else if (ns == oma_policy_ns && n == "other-identity") {
                        rule.other_identity = true;
                    } else if (ns == oma_policy_ns && n == "anonymous-request") {
                        rule.anonymous_request = true;
                    } else {
                        rule.unknown_condition = true;
                    }
                });
            } else if (part_name == "actions") {
                for_elements(part, [&](xmlNode* a) {
                    if (ns_of(a) == oma_policy_ns && local_name(a) == "allow-invite") {
                        std::string v = text_of(a);
                        if (v == "allow") {
                            rule.allow_invite = invite_permission::allow;
                        } else if (v == "reject") {
                            rule.allow_invite = invite_permission::reject;
                        } else {
                            problems.push_back({xml::line_of(a),
                                                "<allow-invite> must be allow "
                                                "or reject, not '" +
                                                    v + "'"});
                        }
                    }
                    // Other actions belong to other services: ignored here.
                });
            }
        });
        policy.rules.push_back(std::move(rule));
    });
    if (!problems.empty()) {
        return std::unexpected(xml::to_error(name, problems));
    }
    return policy;
}

namespace {

uint8_t media_of(im_request r) {
    switch (r) {
        case im_request::pager:
            return media_pager_mode_message;  // 6.1.2.1 step 2.b
        case im_request::file_transfer:
            return media_file_transfer;
        case im_request::session:
        case im_request::large_message:
            break;
    }
    return media_message_session;  // 6.1.2.1 step 2.a
}

// RFC 4745 7.1: identity conditions match authenticated identities only.
bool identity_matches(const identity_condition& id, const std::string& sender,
                      const std::string& domain) {
    for (const auto& one : id.ones) {
        if (one == sender) {
            return true;
        }
    }
    for (const auto& m : id.manys) {
        if (!m.domain.empty() && m.domain != domain) {
            continue;
        }
        bool excepted =
            std::find(m.except_ids.begin(), m.except_ids.end(), sender) != m.except_ids.end() ||
            std::find(m.except_domains.begin(), m.except_domains.end(), domain) !=
                m.except_domains.end();
        if (!excepted) {
            return true;
        }
    }
    return false;
}

}  // namespace

policy_decision evaluate(const shared_policy& policy, const policy_request& request) {
    policy_decision out;
    const std::string sender = normalize_uri(request.sender);
    const std::string domain = uri_domain(request.sender);
    const uint8_t media = media_of(request.kind);
    // OMA <other-identity>: matches when no other rule's identity does.
    bool any_identity = false;
    if (!request.anonymous) {
        for (const auto& r : policy.rules) {
            any_identity |= r.identity && identity_matches(*r.identity, sender, domain);
        }
    }
    for (const auto& r : policy.rules) {
        bool match = !r.unknown_condition;
        // imsd knows no sphere of its users: a sphere condition never holds.
        match = match && !r.sphere;
        if (match && r.identity) {
            match = !request.anonymous && identity_matches(*r.identity, sender, domain);
        }
        if (match && r.other_identity) {
            match = !request.anonymous && !any_identity;
        }
        if (match && r.anonymous_request) {
            match = request.anonymous;
        }
        if (match && r.media != 0) {
            match = (r.media & media) != 0;
        }
        if (match && !r.validity.empty()) {
            match = std::any_of(r.validity.begin(), r.validity.end(), [&](const auto& v) {
                return request.now_s >= v.from_s && request.now_s < v.until_s;
            });
        }
        if (!match) {
            continue;
        }
        out.matched_rules.push_back(r.id);
        out.allow_invite = std::max(out.allow_invite, r.allow_invite);
    }
    return out;
}

}  // namespace imsd::mgmt

#pragma once

// The per-user documents of the users this node serves: validated on the way
// in, stored durably (platform::store, keys "user/<uri>/<kind>"), and kept
// parsed in memory so a verdict reads them without touching the store. A put
// takes effect for the next request. Control threads; internally locked.

#include <cstdint>
#include <expected>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mgmt/users/documents.hpp"
#include "platform/error.hpp"
#include "platform/store/store.hpp"

namespace imsd::mgmt {

enum class doc_kind { service_settings, shared_policy };
std::optional<doc_kind> parse_doc_kind(std::string_view s);
std::string_view doc_kind_name(doc_kind k);

struct user_docs {
    std::optional<service_settings> settings;
    std::optional<shared_policy> policy;
};

// The terminating checks that read the user's documents, OMA IM 6.1.2.1
// steps 1 and 2, as one verdict.
struct terminating_verdict {
    bool allowed = true;
    int status = 0;    // 403 when not allowed
    std::string step;  // "6.1.2.1 step 1" / "6.1.2.1 step 2.a" / ...
    std::string reason;
    std::vector<std::string> matched_rules;
};

class user_directory {
   public:
    explicit user_directory(platform::store& store) : store_(store) {}

    // Start-up: parses every stored document. A document that no longer
    // parses is an error naming its key.
    std::expected<size_t, platform::error> load();

    // Validates `text`, stores it, and applies it. Returns the new version.
    std::expected<uint64_t, platform::error> put(std::string_view uri, doc_kind kind,
                                                 std::string_view text, const std::string& name);
    std::expected<std::optional<platform::record>, platform::error> get(std::string_view uri,
                                                                        doc_kind kind);
    std::expected<bool, platform::error> remove(std::string_view uri, doc_kind kind);

    // URIs with at least one document, sorted.
    std::vector<std::string> users() const;
    std::shared_ptr<const user_docs> find(std::string_view uri) const;

    terminating_verdict verdict(std::string_view recipient, const policy_request& request) const;

   private:
    void apply(const std::string& uri, doc_kind kind, std::optional<service_settings> s,
               std::optional<shared_policy> p, bool removed);

    platform::store& store_;
    mutable std::mutex mu_;
    std::map<std::string, std::shared_ptr<const user_docs>> users_;
};

// Checks that `uri` names a user: sip:, sips: or tel:, printable, bounded.
std::expected<std::string, platform::error> check_user_uri(std::string_view uri);

}  // namespace imsd::mgmt

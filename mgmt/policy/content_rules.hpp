#pragma once

// The operator's content rules compiled into a Hyperscan streaming database.
// Immutable once compiled: published with the settings snapshot, shared by
// every reader. The dataplane will scan message bodies with it (one scratch
// per lcore); the control plane scans texts for `imsctl policy test`.

#include <hs.h>

#include <cstdint>
#include <expected>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "platform/error.hpp"
#include "platform/policy/content_db.hpp"
#include "platform/settings/settings.hpp"

namespace imsd::mgmt {

struct rule_match {
    uint32_t id;
    platform::rule_action action;
    std::string description;
};

// What the matched rules decide, as the relay decides it
// (platform::content_verdict): the first decisive match in stream order; an
// allow rule matching first exempts the text, a block rule matching first
// blocks it; count rules only count.
enum class rule_verdict { pass, allow, block };

struct scan_result {
    std::vector<rule_match> matches;  // in stream order, each rule once
    rule_verdict verdict = rule_verdict::pass;
};

class compiled_rules {
   public:
    // Control thread. Errors name the document line and rule id of the
    // expression Hyperscan refused, and why.
    static std::expected<std::shared_ptr<const compiled_rules>, platform::error> compile(
        const std::vector<platform::content_rule>& rules, const std::string& source);
    ~compiled_rules();
    compiled_rules(const compiled_rules&) = delete;
    compiled_rules& operator=(const compiled_rules&) = delete;

    // Any control thread. Scans `text` as a stream fed in `chunk_bytes`
    // pieces (0: one piece); a match split across pieces is found as if whole.
    std::expected<scan_result, platform::error> scan(std::string_view text,
                                                     size_t chunk_bytes = 0) const;

    // The database as the dataplane takes it (platform/policy/content_db.hpp);
    // it keeps `self` alive.
    static platform::content_db share(std::shared_ptr<const compiled_rules> self,
                                      uint64_t generation);

    size_t rule_count() const { return rules_.size(); }
    size_t database_bytes() const;
    const hs_database_t* database() const { return db_; }  // nullptr when no rules

   private:
    compiled_rules() = default;
    hs_database_t* db_ = nullptr;        // streaming
    hs_database_t* block_db_ = nullptr;  // block mode (see content_db::block_db)
    std::vector<platform::content_rule> rules_;
};

std::string_view verdict_name(rule_verdict v);
std::string_view action_name(platform::rule_action a);

}  // namespace imsd::mgmt

#pragma once

// The operator's content rules as the planes share them: mgmt compiles
// Hyperscan streaming and block databases (mgmt/policy/content_rules), the dataplane
// scans message bodies with it (dataplane/policy), and both decide a
// message's verdict the same way (content_verdict below), so `imsctl policy
// test` says what the relay does.

#include <hs.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "platform/settings/settings.hpp"

namespace imsd::platform {

// An immutable compiled database. Hyperscan's expression id is the index
// into `actions` / `rule_ids`.
struct content_db {
    const hs_database_t* db = nullptr;  // streaming; nullptr: no rules
    // The same rules in block mode, for a message that lies whole in one
    // buffer: no stream state to set up and reset (block_db may be null:
    // streaming only). `owner` keeps it alive too.
    const hs_database_t* block_db = nullptr;
    std::vector<rule_action> actions;   // by expression id
    std::vector<uint32_t> rule_ids;     // the operator's rule id, by expression id
    std::shared_ptr<const void> owner;  // keeps `db` alive while anyone holds this
    uint64_t generation = 0;            // settings generation that compiled it
};

// A message's verdict as matches arrive in stream order (Hyperscan reports
// them by end offset). The first decisive match decides: an allow rule that
// matched first exempts the message (the operator's exception), a block rule
// that matched first blocks it there and then, so a relay can stop the
// message before its blocked bytes go out. Count rules only count.
struct content_verdict {
    bool allowed = false;
    bool blocked = false;
    uint32_t rule = UINT32_MAX;  // the expression id that decided
    uint32_t counted = 0;        // count-rule matches

    // Returns false once the verdict is final (blocked): stop scanning.
    bool on_match(rule_action a, uint32_t expression) noexcept {
        switch (a) {
            case rule_action::allow:
                if (!blocked && !allowed) {
                    allowed = true;
                    rule = expression;
                }
                return true;
            case rule_action::block:
                if (!allowed) {
                    blocked = true;
                    rule = expression;
                    return false;
                }
                return true;
            case rule_action::count:
                ++counted;
                return true;
        }
        return true;
    }
};

}  // namespace imsd::platform

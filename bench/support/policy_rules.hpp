#pragma once

// The benchmark rules (policy_corpus.hpp) compiled as mgmt compiles the
// operator's: streaming and block databases, every rule single-match and
// count-only, so every byte of every body is scanned. For bench_dp_policy
// and bench_dp_msrp_relay's runs with content rules.

#include <hs.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bench/support/policy_corpus.hpp"
#include "platform/policy/content_db.hpp"

namespace imsd::bench {

// "literals": 100 rules; "regex": 1,000. Aborts if Hyperscan refuses them
// (a benchmark has nothing sensible to do without its rules).
inline platform::content_db compile_corpus_rules(const std::vector<corpus_rule>& rules) {
    std::vector<const char*> exprs;
    std::vector<unsigned> flags, ids;
    platform::content_db d;
    for (const auto& r : rules) {
        exprs.push_back(r.expression.c_str());
        flags.push_back(HS_FLAG_SINGLEMATCH);  // as mgmt compiles them
        ids.push_back(static_cast<unsigned>(ids.size()));
        d.actions.push_back(platform::rule_action::count);
        d.rule_ids.push_back(static_cast<uint32_t>(ids.size()));
    }
    hs_database_t* db = nullptr;
    hs_database_t* bdb = nullptr;
    hs_compile_error_t* err = nullptr;
    for (auto [mode, out] : {std::pair{HS_MODE_STREAM, &db}, std::pair{HS_MODE_BLOCK, &bdb}}) {
        if (hs_compile_multi(exprs.data(), flags.data(), ids.data(),
                             static_cast<unsigned>(exprs.size()), mode, nullptr, out,
                             &err) != HS_SUCCESS) {
            std::abort();
        }
    }
    d.db = db;
    d.block_db = bdb;
    d.owner = std::shared_ptr<void>(nullptr, [db, bdb](void*) {
        hs_free_database(db);
        hs_free_database(bdb);
    });
    return d;
}

inline size_t corpus_rule_count(const std::string& kind) { return kind == "literals" ? 100 : 1000; }

}  // namespace imsd::bench

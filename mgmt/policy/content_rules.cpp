#include "mgmt/policy/content_rules.hpp"

#include <algorithm>

namespace imsd::mgmt {

using platform::make_error;

namespace {

struct scratch_deleter {
    void operator()(hs_scratch_t* s) const { hs_free_scratch(s); }
};

// Every match, in stream order, each expression once (HS_FLAG_SINGLEMATCH);
// scanning goes on past a block so that `policy test` lists every rule.
int on_match(unsigned int id, unsigned long long, unsigned long long, unsigned int, void* ctx) {
    static_cast<std::vector<uint32_t>*>(ctx)->push_back(id);
    return 0;
}

}  // namespace

std::string_view verdict_name(rule_verdict v) {
    switch (v) {
        case rule_verdict::allow:
            return "allow";
        case rule_verdict::block:
            return "block";
        case rule_verdict::pass:
            break;
    }
    return "pass";
}

std::string_view action_name(platform::rule_action a) {
    switch (a) {
        case platform::rule_action::allow:
            return "allow";
        case platform::rule_action::count:
            return "count";
        case platform::rule_action::block:
            break;
    }
    return "block";
}

std::expected<std::shared_ptr<const compiled_rules>, platform::error> compiled_rules::compile(
    const std::vector<platform::content_rule>& rules, const std::string& source) {
    std::shared_ptr<compiled_rules> c(new compiled_rules());
    c->rules_ = rules;
    if (rules.empty()) {
        return std::shared_ptr<const compiled_rules>(std::move(c));
    }
    std::vector<const char*> exprs;
    std::vector<unsigned> flags;
    std::vector<unsigned> ids;
    for (const auto& r : rules) {
        exprs.push_back(r.expression.c_str());
        unsigned f = HS_FLAG_SINGLEMATCH;
        f |= r.caseless ? HS_FLAG_CASELESS : 0;
        f |= r.dotall ? HS_FLAG_DOTALL : 0;
        f |= r.multiline ? HS_FLAG_MULTILINE : 0;
        flags.push_back(f);
        ids.push_back(static_cast<unsigned>(ids.size()));  // the index: O(1) back to the rule
    }
    hs_compile_error_t* err = nullptr;
    if (hs_compile_multi(exprs.data(), flags.data(), ids.data(),
                         static_cast<unsigned>(exprs.size()), HS_MODE_STREAM, nullptr, &c->db_,
                         &err) != HS_SUCCESS) {
        std::string why = err != nullptr && err->message != nullptr ? err->message : "unknown";
        int index = err != nullptr ? err->expression : -1;
        hs_free_compile_error(err);
        if (index >= 0 && static_cast<size_t>(index) < rules.size()) {
            const auto& r = rules[static_cast<size_t>(index)];
            return std::unexpected(make_error(
                source + ":" + std::to_string(r.line),
                "content rule " + std::to_string(r.id) + " /" + r.expression + "/: " + why));
        }
        return std::unexpected(make_error(source, "content rules do not compile: " + why));
    }
    // The same rules in block mode, for whole messages in one buffer (the
    // relay's short chunks: Hyperscan's block scan of a 256-byte body costs
    // ~10% less than a stream's scan and reset). What compiles for streaming
    // compiles in block mode; were it refused, the relay streams everything.
    err = nullptr;
    if (hs_compile_multi(exprs.data(), flags.data(), ids.data(),
                         static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK, nullptr, &c->block_db_,
                         &err) != HS_SUCCESS) {
        hs_free_compile_error(err);
        c->block_db_ = nullptr;
    }
    return std::shared_ptr<const compiled_rules>(std::move(c));
}

compiled_rules::~compiled_rules() {
    hs_free_database(db_);
    hs_free_database(block_db_);
}

size_t compiled_rules::database_bytes() const {
    size_t n = 0;
    for (const hs_database_t* d : {db_, block_db_}) {
        size_t k = 0;
        if (d != nullptr && hs_database_size(d, &k) == HS_SUCCESS) {
            n += k;
        }
    }
    return n;
}

std::expected<scan_result, platform::error> compiled_rules::scan(std::string_view text,
                                                                 size_t chunk_bytes) const {
    scan_result out;
    if (db_ == nullptr) {
        return out;
    }
    hs_scratch_t* raw = nullptr;
    if (hs_alloc_scratch(db_, &raw) != HS_SUCCESS) {
        return std::unexpected(make_error("policy", "cannot allocate Hyperscan scratch"));
    }
    std::unique_ptr<hs_scratch_t, scratch_deleter> scratch(raw);
    std::vector<uint32_t> hits;
    hs_stream_t* stream = nullptr;
    if (hs_open_stream(db_, 0, &stream) != HS_SUCCESS) {
        return std::unexpected(make_error("policy", "cannot open a Hyperscan stream"));
    }
    const size_t step = chunk_bytes == 0 ? std::max<size_t>(text.size(), 1) : chunk_bytes;
    for (size_t off = 0; off < text.size(); off += step) {
        const size_t n = std::min(step, text.size() - off);
        if (hs_scan_stream(stream, text.data() + off, static_cast<unsigned>(n), 0, raw, on_match,
                           &hits) != HS_SUCCESS) {
            hs_close_stream(stream, raw, nullptr, nullptr);
            return std::unexpected(make_error("policy", "Hyperscan scan failed"));
        }
    }
    // Matches that need the end of data (e.g. a trailing $) arrive on close.
    hs_close_stream(stream, raw, on_match, &hits);
    platform::content_verdict v;
    for (uint32_t index : hits) {
        if (index >= rules_.size()) {
            continue;
        }
        const auto& r = rules_[index];
        out.matches.push_back({r.id, r.action, r.description});
        v.on_match(r.action, index);
    }
    out.verdict = v.allowed   ? rule_verdict::allow
                  : v.blocked ? rule_verdict::block
                              : rule_verdict::pass;
    return out;
}

}  // namespace imsd::mgmt

namespace imsd::mgmt {

platform::content_db compiled_rules::share(std::shared_ptr<const compiled_rules> self,
                                           uint64_t generation) {
    platform::content_db d;
    d.db = self->db_;
    d.block_db = self->block_db_;
    for (const auto& r : self->rules_) {
        d.actions.push_back(r.action);
        d.rule_ids.push_back(r.id);
    }
    d.generation = generation;
    d.owner = std::move(self);
    return d;
}

}  // namespace imsd::mgmt

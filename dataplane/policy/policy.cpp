#include "dataplane/policy/policy.hpp"

#include <rte_errno.h>
#include <rte_mempool.h>

#include <algorithm>

namespace imsd::dp::policy {

using platform::make_error;

// --- stream memory ------------------------------------------------------------------------

namespace {

rte_mempool* stream_pool = nullptr;  // set once at start-up, before any lcore runs
uint32_t block_bytes = 0;

void* pool_alloc(size_t n) {
    void* p = nullptr;
    if (n > block_bytes || rte_mempool_get(stream_pool, &p) != 0) {
        return nullptr;  // hs_open_stream then fails with HS_NOMEM
    }
    return p;
}

void pool_free(void* p) {
    if (p != nullptr) {
        rte_mempool_put(stream_pool, p);
    }
}

}  // namespace

std::expected<void, platform::error> install_stream_pool(uint32_t count, uint32_t bytes) {
    if (stream_pool != nullptr) {
        return {};
    }
    rte_mempool* mp = rte_mempool_create("imsd_hs_streams", count, bytes, 64, 0, nullptr, nullptr,
                                         nullptr, nullptr, SOCKET_ID_ANY, 0);
    if (mp == nullptr) {
        return std::unexpected(make_error("dataplane/msrp/scan-streams",
                                          "cannot create the pool of " + std::to_string(count) +
                                              " scan streams of " + std::to_string(bytes) +
                                              " bytes: " + rte_strerror(rte_errno)));
    }
    stream_pool = mp;
    block_bytes = bytes;
    if (hs_set_stream_allocator(pool_alloc, pool_free) != HS_SUCCESS) {
        return std::unexpected(make_error("dataplane/msrp", "Hyperscan refused the stream pool"));
    }
    return {};
}

uint32_t stream_block_bytes() noexcept { return block_bytes; }

uint32_t streams_in_use() noexcept {
    return stream_pool != nullptr ? rte_mempool_in_use_count(stream_pool) : 0;
}

// --- policy_set ---------------------------------------------------------------------------

std::expected<std::unique_ptr<policy_set>, platform::error> policy_set::create(
    platform::content_db d, limits l, unsigned lcores) {
    std::unique_ptr<policy_set> ps(new policy_set());
    ps->slots_ = std::make_unique<slot[]>(std::max(lcores, 1u));
    ps->lcores_ = std::max(lcores, 1u);
    if (d.db != nullptr) {
        size_t need = 0;
        hs_stream_size(d.db, &need);
        if (block_bytes != 0 && need > block_bytes) {
            return std::unexpected(make_error(
                "content-rules", "the rules need " + std::to_string(need) +
                                     " bytes of scan state per message, more than "
                                     "dataplane/msrp/scan-stream-bytes (" +
                                     std::to_string(block_bytes) + "): raise it and restart"));
        }
        for (unsigned i = 0; i < ps->lcores_; ++i) {
            hs_scratch_t* s = nullptr;
            if (hs_alloc_scratch(d.db, &s) != HS_SUCCESS) {
                return std::unexpected(
                    make_error("content-rules", "cannot allocate a Hyperscan scratch"));
            }
            // One scratch serves both databases (grown to the larger need).
            if (d.block_db != nullptr && hs_alloc_scratch(d.block_db, &s) != HS_SUCCESS) {
                hs_free_scratch(s);
                return std::unexpected(
                    make_error("content-rules", "cannot allocate a Hyperscan scratch"));
            }
            ps->slots_[i].scratch = s;
        }
    }
    ps->db_ = std::move(d);
    ps->lim_ = std::move(l);
    return ps;
}

policy_set::~policy_set() {
    for (unsigned i = 0; i < lcores_; ++i) {
        hs_free_scratch(slots_[i].scratch);
    }
}

bool policy_set::idle() const noexcept {
    for (unsigned i = 0; i < lcores_; ++i) {
        if (slots_[i].open.load(std::memory_order_acquire) != 0) {
            return false;
        }
    }
    return true;
}

// --- message_scan -------------------------------------------------------------------------

bool message_scan::open(const policy_set& ps, unsigned lcore) noexcept {
    abort();
    v_ = {};
    bytes_ = 0;
    last_rule_id_ = 0;
    hs_stream_t* st = nullptr;
    if (hs_open_stream(ps.db().db, 0, &st) != HS_SUCCESS) {
        return false;
    }
    ps_ = &ps;
    stream_ = st;
    lcore_ = lcore;
    ps.opened(lcore);
    return true;
}

int message_scan::on_match(unsigned int id, unsigned long long, unsigned long long, unsigned int,
                           void* ctx) {
    auto& m = *static_cast<message_scan*>(ctx);
    const auto& actions = m.ps_->db().actions;
    if (id >= actions.size()) {
        return 0;
    }
    const bool go_on = m.v_.on_match(actions[id], id);
    return go_on ? 0 : 1;  // non-zero: stop the scan (HS_SCAN_TERMINATED)
}

bool message_scan::feed(std::string_view b) noexcept {
    if (stream_ == nullptr || b.empty()) {
        return !v_.blocked;
    }
    bytes_ += b.size();
    const hs_error_t rc = hs_scan_stream(stream_, b.data(), static_cast<unsigned>(b.size()), 0,
                                         ps_->scratch(lcore_), on_match, this);
    if (rc == HS_SCAN_TERMINATED || v_.blocked) {
        close(false);
        return false;
    }
    return true;
}

bool message_scan::finish() noexcept {
    close(true);
    return !v_.blocked;
}

bool message_scan::finish_and_reset() noexcept {
    if (stream_ == nullptr) {
        return !v_.blocked;
    }
    if (hs_reset_stream(stream_, 0, ps_->scratch(lcore_), on_match, this) != HS_SUCCESS) {
        close(false);  // cannot happen with a valid stream and scratch
    }
    note_rule();
    return !v_.blocked;
}

void message_scan::restart() noexcept {
    v_ = {};
    bytes_ = 0;
    last_rule_id_ = 0;
}

bool message_scan::scan_whole(const policy_set& ps, unsigned lcore,
                              std::string_view body) noexcept {
    v_ = {};
    bytes_ = body.size();
    last_rule_id_ = 0;
    // on_match and note_rule read the set from ps_: this one for the call,
    // then the open stream's again.
    const policy_set* stream_set = ps_;
    ps_ = &ps;
    // HS_SCAN_TERMINATED: a block rule stopped it (the verdict says so).
    hs_scan(ps.db().block_db, body.data(), static_cast<unsigned>(body.size()), 0, ps.scratch(lcore),
            on_match, this);
    note_rule();
    ps_ = stream_set;
    return !v_.blocked;
}

void message_scan::abort() noexcept { close(false); }

void message_scan::note_rule() noexcept {
    if (v_.rule != UINT32_MAX && v_.rule < ps_->db().rule_ids.size()) {
        last_rule_id_ = ps_->db().rule_ids[v_.rule];
    }
}

void message_scan::close(bool report) noexcept {
    if (stream_ == nullptr) {
        return;
    }
    hs_close_stream(stream_, ps_->scratch(lcore_), report ? on_match : nullptr, this);
    note_rule();
    stream_ = nullptr;
    ps_->closed(lcore_);
}

uint32_t message_scan::rule_id() const noexcept { return last_rule_id_; }

}  // namespace imsd::dp::policy

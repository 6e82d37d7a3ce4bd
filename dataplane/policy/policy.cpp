#include "dataplane/policy/policy.hpp"

#include <rte_errno.h>
#include <rte_mempool.h>

#include <algorithm>
#include <cstdlib>

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
        return std::unexpected(make_error(
            "dataplane/msrp/scan-streams",
            "cannot create the pool of " + std::to_string(count) + " scan streams of " +
                std::to_string(bytes) + " bytes: " + rte_strerror(rte_errno)));
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

void message_scan::abort() noexcept { close(false); }

void message_scan::close(bool report) noexcept {
    if (stream_ == nullptr) {
        return;
    }
    hs_close_stream(stream_, ps_->scratch(lcore_), report ? on_match : nullptr, this);
    if (v_.rule != UINT32_MAX && v_.rule < ps_->db().rule_ids.size()) {
        last_rule_id_ = ps_->db().rule_ids[v_.rule];
    }
    stream_ = nullptr;
    ps_->closed(lcore_);
}

uint32_t message_scan::rule_id() const noexcept { return last_rule_id_; }

// --- cpim_reader --------------------------------------------------------------------------

namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequal(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trim(std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) {
        v.remove_prefix(1);
    }
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) {
        v.remove_suffix(1);
    }
    return v;
}

// The media type without parameters.
std::string_view bare_type(std::string_view t) { return trim(t.substr(0, t.find(';'))); }

}  // namespace

size_t cpim_reader::feed(std::string_view b) noexcept {
    size_t i = 0;
    while (i < b.size() && !done() && !failed_) {
        const char c = b[i++];
        if (++total_ > max_header_bytes) {
            failed_ = true;
            break;
        }
        if (c == '\n') {
            if (!cr_) {
                failed_ = true;  // RFC 3862 lines end in CRLF
                break;
            }
            cr_ = false;
            end_of_line();
            continue;
        }
        if (cr_) {
            // A CR not followed by LF is part of the line.
            cr_ = false;
            if (line_len_ < line_.size()) {
                line_[line_len_++] = '\r';
            } else {
                line_long_ = true;
            }
        }
        if (c == '\r') {
            cr_ = true;
            continue;
        }
        if (line_len_ < line_.size()) {
            line_[line_len_++] = c;
        } else {
            line_long_ = true;
        }
    }
    return i;
}

void cpim_reader::end_of_line() noexcept {
    const std::string_view line(line_.data(), line_len_);
    if (line.empty() && !line_long_) {
        ++section_;  // a blank line ends a header section
    } else if (section_ == 1) {
        constexpr std::string_view name = "content-type:";
        if (line.size() > name.size() && iequal(line.substr(0, name.size()), name)) {
            const std::string_view v = bare_type(line.substr(name.size()));
            type_len_ = static_cast<uint8_t>(std::min(v.size(), type_.size()));
            std::copy_n(v.data(), type_len_, type_.data());
        }
    }
    line_len_ = 0;
    line_long_ = false;
}

// --- types --------------------------------------------------------------------------------

bool is_cpim(std::string_view type) noexcept { return iequal(bare_type(type), "message/cpim"); }

bool type_accepted(std::string_view type, std::string_view list) noexcept {
    const std::string_view t = bare_type(type);
    const size_t slash = t.find('/');
    bool any = false;
    while (!list.empty()) {
        const size_t sp = list.find(' ');
        const std::string_view item = list.substr(0, sp);
        list = sp == std::string_view::npos ? std::string_view{} : list.substr(sp + 1);
        if (item.empty()) {
            continue;
        }
        any = true;
        if (item == "*" || iequal(item, t)) {
            return true;
        }
        // "type/*": any subtype of that type.
        if (item.size() > 2 && item.ends_with("/*") && slash != std::string_view::npos &&
            iequal(item.substr(0, item.size() - 2), t.substr(0, slash))) {
            return true;
        }
    }
    return !any;
}

}  // namespace imsd::dp::policy

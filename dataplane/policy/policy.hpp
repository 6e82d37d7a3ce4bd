#pragma once

// Content policy on the fast path: the operator's compiled rules with a
// Hyperscan scratch per polling lcore, streaming scans of message bodies
// across chunk and segment boundaries, the inner headers of message/cpim
// payloads (RFC 3862), and Content-Type lists (RFC 4975 a=accept-types
// syntax).
//
// Lifetimes: the control thread builds a policy_set and publishes it (the
// dataplane's apply_policy); lcores open streams on the set that is current
// when a message starts and keep using it for that message, so a rule change
// never cuts a message's scan in two. A retired set is freed once an RCU
// grace period has passed and no lcore has a stream open on it.

#include <hs.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <expected>
#include <memory>
#include <string>
#include <string_view>

#include "dataplane/policy/cpim.hpp"
#include "platform/error.hpp"
#include "platform/policy/content_db.hpp"

namespace imsd::dp::policy {

// Control thread, once, after EAL start and before any stream opens: from
// then on Hyperscan's stream state comes from a pool of `count` blocks of
// `block_bytes` (hs_set_stream_allocator; process-wide), not the heap. An
// exhausted pool makes opening a stream fail (the caller refuses the
// message). Without it (tools, unit tests) streams come from the heap.
std::expected<void, platform::error> install_stream_pool(uint32_t count, uint32_t block_bytes);
uint32_t stream_block_bytes() noexcept;  // 0: no pool
uint32_t streams_in_use() noexcept;      // any thread

// What one policy publication carries: the rules and the operator's size
// and type limits for relayed messages (settings im/session).
struct limits {
    std::string accept_types;     // space-separated, RFC 4975 syntax; empty: any
    uint64_t max_size_bytes = 0;  // 0: no limit
};

class policy_set {
   public:
    // Control thread: one scratch per polling lcore for d's database.
    static std::expected<std::unique_ptr<policy_set>, platform::error> create(
        platform::content_db d, limits l, unsigned lcores);
    ~policy_set();
    policy_set(const policy_set&) = delete;
    policy_set& operator=(const policy_set&) = delete;

    bool has_rules() const noexcept { return db_.db != nullptr; }
    // The rules in block mode too (message_scan::scan_whole).
    bool has_block() const noexcept { return db_.block_db != nullptr; }
    const platform::content_db& db() const noexcept { return db_; }
    const limits& lim() const noexcept { return lim_; }
    hs_scratch_t* scratch(unsigned lcore) const noexcept { return slots_[lcore].scratch; }

    // Lcore `lcore` only: a stream opened / closed on this set.
    void opened(unsigned lcore) const noexcept { bump(lcore, 1); }
    void closed(unsigned lcore) const noexcept { bump(lcore, -1); }
    // Control thread: no stream open on any lcore.
    bool idle() const noexcept;

   private:
    struct alignas(64) slot {
        hs_scratch_t* scratch = nullptr;
        mutable std::atomic<uint32_t> open{0};  // its lcore: writes; cp: reads
    };
    policy_set() = default;
    void bump(unsigned lcore, int by) const noexcept {
        auto& o = slots_[lcore].open;
        o.store(o.load(std::memory_order_relaxed) + static_cast<uint32_t>(by),
                std::memory_order_release);
    }
    platform::content_db db_;
    limits lim_;
    std::unique_ptr<slot[]> slots_;
    unsigned lcores_ = 0;
};

// One message's scan, across every chunk and segment of its body. Owning
// lcore only; no heap (stream state from the pool).
class message_scan {
   public:
    message_scan() = default;
    ~message_scan() { abort(); }
    message_scan(const message_scan&) = delete;
    message_scan& operator=(const message_scan&) = delete;

    // Opens a stream on `ps` (which must have rules). False: no stream
    // memory (counted by the caller; it refuses the message).
    bool open(const policy_set& ps, unsigned lcore) noexcept;
    bool is_open() const noexcept { return stream_ != nullptr; }
    const policy_set* set() const noexcept { return ps_; }
    // The next bytes of the body. False: a block rule matched (verdict()
    // says which); the stream is closed.
    bool feed(std::string_view bytes) noexcept;
    // The end of the message: matches that need it (`$`). False: blocked.
    bool finish() noexcept;
    // The same, but the stream stays open, reset (hs_reset_stream), for the
    // next message on the same set: restart() first, then feed. One open
    // for a batch of messages (the relay's flush_scans) instead of one each.
    bool finish_and_reset() noexcept;
    void restart() noexcept;
    // A whole message lying in one buffer, in one block-mode call on `ps`
    // (which must has_block()): no stream opened, set up or reset. False:
    // blocked. verdict() and rule_id() then say what it found; an open
    // stream is left as it was, and restart() comes before its next feed.
    bool scan_whole(const policy_set& ps, unsigned lcore, std::string_view body) noexcept;
    // Closes without reporting (an aborted or refused message).
    void abort() noexcept;

    const platform::content_verdict& verdict() const noexcept { return v_; }
    // The operator's id of the deciding rule, or 0.
    uint32_t rule_id() const noexcept;
    uint64_t bytes() const noexcept { return bytes_; }

   private:
    static int on_match(unsigned int id, unsigned long long from, unsigned long long to,
                        unsigned int flags, void* ctx);
    void close(bool report) noexcept;
    void note_rule() noexcept;  // last_rule_id_ from the verdict
    const policy_set* ps_ = nullptr;
    hs_stream_t* stream_ = nullptr;
    unsigned lcore_ = 0;
    uint64_t bytes_ = 0;
    platform::content_verdict v_{};
    uint32_t last_rule_id_ = 0;
};

}  // namespace imsd::dp::policy

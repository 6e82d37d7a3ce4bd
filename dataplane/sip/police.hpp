#pragma once

// Per-source policing of SIP (issue 6 step 1): a token bucket per source
// IPv4 address, so one sender's flood is dropped in the dataplane while
// everyone else's SIP goes on. Buckets live in a fixed table sized at start
// (an rte_hash; no heap after create). When the table is full, new sources
// share one overflow bucket at the same rate: a flood from many spoofed
// addresses is then held to one source's rate instead of evicting the
// table. Idle sources are swept out by sweep().
//
// One per polling lcore; every call but create from that lcore only.

#include <rte_hash.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace imsd::dp::sip {

struct police_rate {
    uint32_t per_second = 0;  // 0: everything admitted
    uint32_t burst = 0;
};

class source_policer {
   public:
    // Main thread. Null when the table cannot be made (rte_errno says why).
    static std::unique_ptr<source_policer> create(const char* name, uint32_t max_sources,
                                                  int socket, uint64_t tsc_hz);
    ~source_policer();
    source_policer(const source_policer&) = delete;
    source_policer& operator=(const source_policer&) = delete;

    enum class outcome : uint8_t { admitted, dropped, admitted_overflow, dropped_overflow };
    // One message from src_be at now_tsc.
    outcome admit(uint32_t src_be, uint64_t now_tsc, police_rate rate) noexcept;

    // Forgets sources whose bucket has been full (idle) for idle_tsc; returns
    // how many. Call every second or so.
    uint32_t sweep(uint64_t now_tsc, uint64_t idle_tsc, police_rate rate) noexcept;

    uint32_t sources() const noexcept;

   private:
    struct bucket {
        uint64_t tokens_milli = 0;  // thousandths of a message
        uint64_t last_tsc = 0;
    };
    source_policer() = default;
    void refill(bucket& b, uint64_t now_tsc, police_rate rate) const noexcept;
    bool take(bucket& b, uint64_t now_tsc, police_rate rate) noexcept;

    rte_hash* table_ = nullptr;
    std::vector<bucket> buckets_;  // by the table's key position
    bucket overflow_{};
    uint64_t tsc_hz_ = 0;
};

}  // namespace imsd::dp::sip

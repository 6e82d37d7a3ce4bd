#pragma once

// A lab impairment stage for one direction of one lcore's traffic, in the
// spirit of VPP's nsim: random loss, duplication, reordering and a fixed
// delay, each off unless the settings turn it on, every effect counted. This
// kernel has no netem; the TCP lab tests use this stage on imsd's side and
// nftables on the peer's. Never enable it in production.

#include <rte_mbuf.h>

#include <array>
#include <cstdint>

#include "dataplane/net/counters.hpp"

namespace imsd::dp {

struct impair_params {
    uint32_t loss_ppm = 0;  // parts per million
    uint32_t dup_ppm = 0;
    uint32_t reorder_ppm = 0;  // held back behind later packets for reorder_hold_us
    uint32_t reorder_hold_us = 1000;
    uint32_t delay_us = 0;  // added to every packet
    bool any() const { return loss_ppm || dup_ppm || reorder_ppm || delay_us; }
};

class impair_stage {
   public:
    static constexpr uint32_t line_capacity = 8192;

    // copy_duplicates: a duplicate is a copy (for received packets, which the
    // packet path rewrites in place) rather than a second reference (enough
    // for packets handed to the PMD, which only reads them).
    void init(const impair_params& p, uint64_t tsc_hz, bool copy_duplicates = false) noexcept;
    bool active() const noexcept { return active_; }

    // Applies the stage to pkts[0..n) at time now: frees the lost, holds the
    // delayed and reordered, duplicates in place. The packets to pass on now
    // are written back to pkts (at most cap). Returns their count.
    uint16_t apply(rte_mbuf** pkts, uint16_t n, uint16_t cap, uint64_t now,
                   net::counters& c) noexcept;
    // Appends held packets that are due to out[n..cap). Returns the new n.
    uint16_t release(rte_mbuf** out, uint16_t n, uint16_t cap, uint64_t now) noexcept;
    // Frees everything held. The owning lcore, on its way out.
    void drain() noexcept;

   private:
    struct held {
        uint64_t due;
        rte_mbuf* m;
    };
    // A FIFO of packets all held for the same time, so due times only grow.
    struct line {
        std::array<held, line_capacity> slots{};
        uint32_t head = 0, count = 0;
        bool push(uint64_t due, rte_mbuf* m) noexcept;
        uint16_t pop_due(rte_mbuf** out, uint16_t n, uint16_t cap, uint64_t now) noexcept;
        void drain() noexcept;
    };
    bool hit(uint32_t ppm) const noexcept;

    impair_params p_{};
    bool active_ = false;
    bool copy_ = false;
    uint64_t delay_tsc_ = 0;
    uint64_t hold_tsc_ = 0;
    line delay_;
    line reorder_;
};

}  // namespace imsd::dp

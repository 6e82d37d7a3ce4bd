#include "dataplane/port/impair.hpp"

#include <rte_random.h>

namespace imsd::dp {

void impair_stage::init(const impair_params& p, uint64_t tsc_hz, bool copy_duplicates) noexcept {
    p_ = p;
    copy_ = copy_duplicates;
    active_ = p.any();
    delay_tsc_ = tsc_hz / 1000000 * p.delay_us;
    hold_tsc_ = tsc_hz / 1000000 * p.reorder_hold_us;
}

bool impair_stage::hit(uint32_t ppm) const noexcept {
    return ppm != 0 && rte_rand_max(1000000) < ppm;
}

bool impair_stage::line::push(uint64_t due, rte_mbuf* m) noexcept {
    if (count == line_capacity) {
        return false;
    }
    slots[(head + count) % line_capacity] = held{due, m};
    ++count;
    return true;
}

uint16_t impair_stage::line::pop_due(rte_mbuf** out, uint16_t n, uint16_t cap,
                                     uint64_t now) noexcept {
    while (count > 0 && n < cap && slots[head].due <= now) {
        out[n++] = slots[head].m;
        head = (head + 1) % line_capacity;
        --count;
    }
    return n;
}

void impair_stage::line::drain() noexcept {
    while (count > 0) {
        rte_pktmbuf_free(slots[head].m);
        head = (head + 1) % line_capacity;
        --count;
    }
}

uint16_t impair_stage::apply(rte_mbuf** pkts, uint16_t n, uint16_t cap, uint64_t now,
                             net::counters& c) noexcept {
    rte_mbuf* in[2 * 256];
    const uint16_t total = n;
    for (uint16_t i = 0; i < total; ++i) {
        in[i] = pkts[i];
    }
    uint16_t out = 0;
    for (uint16_t i = 0; i < total; ++i) {
        rte_mbuf* m = in[i];
        if (hit(p_.loss_ppm)) {
            ++c.impair_lost;
            rte_pktmbuf_free(m);
            continue;
        }
        rte_mbuf* twins[2] = {m, nullptr};
        if (hit(p_.dup_ppm)) {
            if (copy_) {
                twins[1] = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
            } else {
                // The same packet goes twice: every segment gains a
                // reference, as each transmission frees every segment.
                for (rte_mbuf* seg = m; seg != nullptr; seg = seg->next) {
                    rte_mbuf_refcnt_update(seg, 1);
                }
                twins[1] = m;
            }
            c.impair_duplicated += twins[1] != nullptr ? 1 : 0;
        }
        for (rte_mbuf* t : twins) {
            if (t == nullptr) {
                continue;
            }
            m = t;
            if (hit(p_.reorder_ppm)) {
                ++c.impair_reordered;
                if (!reorder_.push(now + hold_tsc_ + delay_tsc_, m)) {
                    ++c.impair_overflow;
                    rte_pktmbuf_free(m);
                }
            } else if (delay_tsc_ != 0) {
                ++c.impair_delayed;
                if (!delay_.push(now + delay_tsc_, m)) {
                    ++c.impair_overflow;
                    rte_pktmbuf_free(m);
                }
            } else if (out < cap) {
                pkts[out++] = m;
            } else {
                ++c.impair_overflow;
                rte_pktmbuf_free(m);
            }
        }
    }
    return out;
}

uint16_t impair_stage::release(rte_mbuf** out, uint16_t n, uint16_t cap, uint64_t now) noexcept {
    n = delay_.pop_due(out, n, cap, now);
    return reorder_.pop_due(out, n, cap, now);
}

void impair_stage::drain() noexcept {
    delay_.drain();
    reorder_.drain();
}

}  // namespace imsd::dp

#include "dataplane/sip/police.hpp"

#include <rte_errno.h>
#include <rte_hash_crc.h>

#include <algorithm>
#include <cstring>

namespace imsd::dp::sip {

std::unique_ptr<source_policer> source_policer::create(const char* name, uint32_t max_sources,
                                                       int socket, uint64_t tsc_hz) {
    rte_hash_parameters hp{};
    hp.name = name;
    // rte_hash keeps 1/8 of its slots free for cuckoo moves: ask for more so
    // max_sources really fit.
    hp.entries = std::max<uint32_t>(max_sources + max_sources / 8, 8);
    hp.key_len = sizeof(uint32_t);
    hp.hash_func = rte_hash_crc;
    hp.socket_id = socket;
    std::unique_ptr<source_policer> p(new source_policer());
    p->table_ = rte_hash_create(&hp);
    if (p->table_ == nullptr) {
        return nullptr;
    }
    p->buckets_.resize(hp.entries + 1);
    p->tsc_hz_ = tsc_hz;
    return p;
}

source_policer::~source_policer() {
    if (table_ != nullptr) {
        rte_hash_free(table_);
    }
}

void source_policer::refill(bucket& b, uint64_t now_tsc, police_rate rate) const noexcept {
    const uint64_t cap = uint64_t{rate.burst} * 1000;
    if (b.last_tsc == 0) {
        b.tokens_milli = cap;  // a new source starts with its burst
    } else if (now_tsc > b.last_tsc) {
        // Elapsed seconds x rate, in thousandths; elapsed is capped first (to
        // the time a refill from empty takes) so the product cannot overflow.
        const uint64_t per_s = std::max(rate.per_second, 1u);
        const uint64_t full_tsc = tsc_hz_ * (uint64_t{rate.burst} + 1) / per_s;
        const uint64_t elapsed = std::min(now_tsc - b.last_tsc, full_tsc);
        b.tokens_milli =
            std::min(cap, b.tokens_milli + elapsed * per_s * 1000 / std::max<uint64_t>(tsc_hz_, 1));
    }
    if (now_tsc > b.last_tsc) {
        b.last_tsc = now_tsc;
    }
}

bool source_policer::take(bucket& b, uint64_t now_tsc, police_rate rate) noexcept {
    refill(b, now_tsc, rate);
    if (b.tokens_milli >= 1000) {
        b.tokens_milli -= 1000;
        return true;
    }
    return false;
}

source_policer::outcome source_policer::admit(uint32_t src_be, uint64_t now_tsc,
                                              police_rate rate) noexcept {
    if (rate.per_second == 0) {
        return outcome::admitted;
    }
    int32_t pos = rte_hash_lookup(table_, &src_be);
    if (pos < 0) {
        pos = rte_hash_add_key(table_, &src_be);
        if (pos < 0) {
            return take(overflow_, now_tsc, rate) ? outcome::admitted_overflow
                                                  : outcome::dropped_overflow;
        }
        buckets_[static_cast<size_t>(pos)] = bucket{};
    }
    return take(buckets_[static_cast<size_t>(pos)], now_tsc, rate) ? outcome::admitted
                                                                   : outcome::dropped;
}

uint32_t source_policer::sweep(uint64_t now_tsc, uint64_t idle_tsc, police_rate rate) noexcept {
    uint32_t removed = 0;
    uint32_t iter = 0;
    const void* key = nullptr;
    void* data = nullptr;
    int32_t pos;
    // Deleting while iterating is allowed for the entry just returned.
    while ((pos = rte_hash_iterate(table_, &key, &data, &iter)) >= 0) {
        bucket& b = buckets_[static_cast<size_t>(pos)];
        if (now_tsc > b.last_tsc && now_tsc - b.last_tsc >= idle_tsc) {
            refill(b, now_tsc, rate);
            if (b.tokens_milli >=
                uint64_t{rate.burst} * 1000) {  // full: forgetting it loses nothing
                uint32_t k;
                std::memcpy(&k, key, sizeof(k));
                rte_hash_del_key(table_, &k);
                ++removed;
            }
        }
    }
    return removed;
}

uint32_t source_policer::sources() const noexcept {
    return static_cast<uint32_t>(rte_hash_count(table_));
}

}  // namespace imsd::dp::sip

#include "dataplane/net/cksum.hpp"

#include <algorithm>
#include <cstring>

// GCC vectorizes the word loop only at -O3; clang does at -O2 and knows no
// optimize attribute.
#if defined(__clang__)
#define IMSD_CKSUM_ATTRS __attribute__((target_clones("avx2", "default")))
#else
#define IMSD_CKSUM_ATTRS __attribute__((target_clones("avx2", "default"), optimize("O3")))
#endif

namespace imsd::dp::net {

namespace {

IMSD_CKSUM_ATTRS uint64_t sum_words(const uint8_t* b, size_t words) noexcept {
    uint64_t acc = 0;  // 2^32 words before it could overflow: far beyond any packet
    for (size_t i = 0; i < words; ++i) {
        uint32_t w;
        std::memcpy(&w, b + 4 * i, 4);
        acc += w;
    }
    return acc;
}

uint16_t fold64(uint64_t acc) noexcept {
    acc = (acc & 0xffffffff) + (acc >> 32);
    acc = (acc & 0xffffffff) + (acc >> 32);
    return sum_add(static_cast<uint32_t>(acc & 0xffff), static_cast<uint32_t>(acc >> 16));
}

}  // namespace

uint16_t raw_sum(const void* p, size_t len) noexcept {
    const auto* b = static_cast<const uint8_t*>(p);
    uint64_t acc = sum_words(b, len / 4);
    size_t i = len & ~size_t{3};
    if (i + 2 <= len) {
        uint16_t w;
        std::memcpy(&w, b + i, 2);
        acc += w;
        i += 2;
    }
    if (i < len) {
        // The last odd byte is the first byte of a 16-bit word padded with
        // zero: in memory order, its low-address half.
        uint8_t pad[2] = {b[i], 0};
        uint16_t w;
        std::memcpy(&w, pad, 2);
        acc += w;
    }
    return fold64(acc);
}

uint16_t raw_sum_mbuf(const rte_mbuf* m, uint32_t off, uint32_t len) noexcept {
    while (m != nullptr && off >= m->data_len) {
        off -= m->data_len;
        m = m->next;
    }
    uint32_t sum = 0;
    uint32_t done = 0;  // bytes summed so far: an odd count shifts the next ones
    for (; m != nullptr && len > 0; m = m->next, off = 0) {
        const uint32_t n = std::min<uint32_t>(len, m->data_len - off);
        uint16_t s = raw_sum(rte_pktmbuf_mtod_offset(m, const uint8_t*, off), n);
        if ((done & 1) != 0) {
            s = static_cast<uint16_t>((s << 8) | (s >> 8));  // RFC 1071 2(B): byte swap
        }
        sum = sum_add(sum, s);
        done += n;
        len -= n;
    }
    return static_cast<uint16_t>(sum);
}

}  // namespace imsd::dp::net

#include "dataplane/net/cksum.hpp"

#include <rte_mbuf_dyn.h>

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

namespace {

// What an mbuf carries: the raw sum of the bytes at [off, off + len) of its
// buffer (offsets as data_off counts them).
struct carried {
    uint16_t off;
    uint16_t len;
    uint16_t sum;
    uint16_t valid;
};

int g_carried_off = -1;  // the dynamic field's offset; -1: none

carried* field(rte_mbuf* m) noexcept { return RTE_MBUF_DYNFIELD(m, g_carried_off, carried*); }
const carried* field(const rte_mbuf* m) noexcept {
    return RTE_MBUF_DYNFIELD(m, g_carried_off, const carried*);
}

uint16_t swap_if_odd(uint32_t n, uint16_t s) noexcept {
    // RFC 1071 2(B): bytes summed from an odd offset land byte-swapped.
    return (n & 1) != 0 ? static_cast<uint16_t>((s << 8) | (s >> 8)) : s;
}

const uint8_t* buffer_at(const rte_mbuf* m, uint32_t buf_off) noexcept {
    return static_cast<const uint8_t*>(m->buf_addr) + buf_off;
}

// The sum of [a, a + n) of m's buffer from a carried sum c covering it, if
// summing what lies outside it costs less than n bytes.
bool from_carried(const rte_mbuf* m, const carried& c, uint32_t a, uint32_t n,
                  uint16_t& out) noexcept {
    if (c.valid == 0 || a < c.off || a + n > uint32_t{c.off} + c.len) {
        return false;
    }
    const uint32_t pre = a - c.off;
    const uint32_t suf = uint32_t{c.off} + c.len - (a + n);
    if (pre + suf >= n) {
        return false;
    }
    // whole = pre + swap(pre, mid) + swap(pre + n, suf), all one's complement.
    uint16_t t = c.sum;
    if (pre != 0) {
        t = sum_sub(t, raw_sum(buffer_at(m, c.off), pre));
    }
    if (suf != 0) {
        t = sum_sub(t, swap_if_odd(pre + n, raw_sum(buffer_at(m, a + n), suf)));
    }
    out = swap_if_odd(pre, t);
    return true;
}

}  // namespace

bool data_sum_enable() noexcept {
    if (g_carried_off >= 0) {
        return true;
    }
    const rte_mbuf_dynfield desc = {
        .name = "imsd_carried_sum",
        .size = sizeof(carried),
        .align = alignof(carried),
        .flags = 0,
    };
    g_carried_off = rte_mbuf_dynfield_register(&desc);
    return g_carried_off >= 0;
}

void data_sum_clear(rte_mbuf* m) noexcept {
    if (g_carried_off >= 0) {
        field(m)->valid = 0;
    }
}

void data_sum_derive(rte_mbuf* mi, const rte_mbuf* src) noexcept {
    if (g_carried_off < 0) {
        return;
    }
    uint16_t s = 0;
    carried* c = field(mi);  // attach copied src's field here
    if (from_carried(src, *field(src), mi->data_off, mi->data_len, s)) {
        *c = carried{mi->data_off, mi->data_len, s, 1};
    } else {
        c->valid = 0;
    }
}

uint16_t raw_sum_mbuf_noting(rte_mbuf* m, uint32_t off, uint32_t len) noexcept {
    if (g_carried_off < 0) {
        return raw_sum_mbuf(m, off, len);
    }
    uint32_t sum = 0;
    uint32_t done = 0;
    for (; m != nullptr; m = m->next) {
        if (off >= m->data_len || len == 0) {
            off -= std::min<uint32_t>(off, m->data_len);
            field(m)->valid = 0;
            continue;
        }
        const uint32_t n = std::min<uint32_t>(len, m->data_len - off);
        const uint16_t s = raw_sum(rte_pktmbuf_mtod_offset(m, const uint8_t*, off), n);
        *field(m) =
            carried{static_cast<uint16_t>(m->data_off + off), static_cast<uint16_t>(n), s, 1};
        sum = sum_add(sum, swap_if_odd(done, s));
        done += n;
        len -= n;
        off = 0;
    }
    return static_cast<uint16_t>(sum);
}

uint16_t raw_sum_mbuf_carried(const rte_mbuf* m, uint32_t off, uint32_t len,
                              const rte_mempool* trusted, uint64_t* carried_bytes) noexcept {
    if (g_carried_off < 0 || trusted == nullptr) {
        return raw_sum_mbuf(m, off, len);
    }
    while (m != nullptr && off >= m->data_len) {
        off -= m->data_len;
        m = m->next;
    }
    uint32_t sum = 0;
    uint32_t done = 0;
    for (; m != nullptr && len > 0; m = m->next, off = 0) {
        const uint32_t n = std::min<uint32_t>(len, m->data_len - off);
        uint16_t s = 0;
        if (m->pool == trusted && from_carried(m, *field(m), m->data_off + off, n, s)) {
            *carried_bytes += n;
        } else {
            s = raw_sum(rte_pktmbuf_mtod_offset(m, const uint8_t*, off), n);
        }
        sum = sum_add(sum, swap_if_odd(done, s));
        done += n;
        len -= n;
    }
    return static_cast<uint16_t>(sum);
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

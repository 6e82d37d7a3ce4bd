#pragma once

// TCP sequence numbers: 32-bit, compared modulo 2^32 (RFC 9293 3.4).

#include <cstdint>

namespace imsd::dp::tcp {

struct tcp_seq {
    uint32_t raw = 0;

    friend constexpr tcp_seq operator+(tcp_seq s, uint32_t n) { return tcp_seq{s.raw + n}; }
    friend constexpr tcp_seq operator-(tcp_seq s, uint32_t n) { return tcp_seq{s.raw - n}; }
    // Distance from b to a; meaningful when the two are within 2^31.
    friend constexpr int32_t operator-(tcp_seq a, tcp_seq b) {
        return static_cast<int32_t>(a.raw - b.raw);
    }
    friend constexpr bool operator==(tcp_seq a, tcp_seq b) { return a.raw == b.raw; }
};

constexpr bool seq_lt(tcp_seq a, tcp_seq b) { return (a - b) < 0; }
constexpr bool seq_le(tcp_seq a, tcp_seq b) { return (a - b) <= 0; }
constexpr bool seq_gt(tcp_seq a, tcp_seq b) { return (a - b) > 0; }
constexpr bool seq_ge(tcp_seq a, tcp_seq b) { return (a - b) >= 0; }
// lo <= s < hi
constexpr bool seq_in(tcp_seq s, tcp_seq lo, tcp_seq hi) { return seq_le(lo, s) && seq_lt(s, hi); }
constexpr tcp_seq seq_max(tcp_seq a, tcp_seq b) { return seq_gt(a, b) ? a : b; }

}  // namespace imsd::dp::tcp

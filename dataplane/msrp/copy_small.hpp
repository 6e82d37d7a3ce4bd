#pragma once

// Copies of the few bytes MSRP text is assembled from (transaction ids,
// header pieces, paths): mostly 1 to 32 bytes, for which a memcpy call
// and its size dispatch cost more than the copy itself.

#include <emmintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace imsd::dp::msrp {

// n bytes from s to d (not overlapping): two loads and two stores where
// n <= 32, memcpy above.
inline void copy_small(char* d, const char* s, size_t n) noexcept {
    if (n > 32) {
        std::memcpy(d, s, n);
    } else if (n >= 16) {
        const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s));
        const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + n - 16));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(d), a);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(d + n - 16), b);
    } else if (n >= 8) {
        uint64_t a, b;
        std::memcpy(&a, s, 8);
        std::memcpy(&b, s + n - 8, 8);
        std::memcpy(d, &a, 8);
        std::memcpy(d + n - 8, &b, 8);
    } else if (n >= 4) {
        uint32_t a, b;
        std::memcpy(&a, s, 4);
        std::memcpy(&b, s + n - 4, 4);
        std::memcpy(d, &a, 4);
        std::memcpy(d + n - 4, &b, 4);
    } else if (n > 0) {
        d[0] = s[0];
        d[n / 2] = s[n / 2];
        d[n - 1] = s[n - 1];
    }
}

}  // namespace imsd::dp::msrp

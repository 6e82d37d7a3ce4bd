#pragma once

// The transaction ids imsd gives the requests it relays: a pending entry's
// index and nonce, 24 bits each, as 12 lower-case hex digits, so that a
// response is decoded without a base conversion (bench_dp_msrp_relay 256 B:
// from_chars/to_chars base 36 and rte_rand were 280 instructions a message).
//
// Both directions in SSE2, twelve digits at once. The table walks they
// replace cost a store-forwarding stall each: GCC spilled a byte of the
// decoding table walk and reloaded it as a quadword (perf annotate, 11% of
// relay::on_head's samples), and the six 2-byte stores of the encoder were
// read back at once by the copy that followed them.

#include <emmintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace imsd::dp::msrp {

inline constexpr size_t our_tid_chars = 12;

// 12 digits of (idx & 0xffffff) << 24 | (nonce & 0xffffff), most significant
// first, at out[0, 12): one 8-byte and one 4-byte store. Any thread.
inline void encode_tid(char* out, uint32_t idx, uint32_t nonce) noexcept {
    const uint64_t v = (uint64_t{idx & 0xffffff} << 24) | (nonce & 0xffffff);
    // The six bytes most significant first, then each byte's two nibbles
    // (high first) in a byte each.
    const uint64_t be = __builtin_bswap64(v << 16);
    const __m128i bytes = _mm_cvtsi64_si128(static_cast<long long>(be));
    const __m128i low4 = _mm_set1_epi8(0x0f);
    const __m128i hi = _mm_and_si128(_mm_srli_epi16(bytes, 4), low4);
    const __m128i lo = _mm_and_si128(bytes, low4);
    const __m128i nib = _mm_unpacklo_epi8(hi, lo);
    // '0' + n, and 'a' - '0' - 10 more where n > 9.
    const __m128i letter = _mm_and_si128(_mm_cmpgt_epi8(nib, _mm_set1_epi8(9)),
                                         _mm_set1_epi8(static_cast<char>('a' - '0' - 10)));
    const __m128i ascii = _mm_add_epi8(_mm_add_epi8(nib, _mm_set1_epi8('0')), letter);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out), ascii);
    const auto tail = static_cast<uint32_t>(_mm_cvtsi128_si32(_mm_srli_si128(ascii, 8)));
    std::memcpy(out + 8, &tail, 4);
}

// False for anything encode_tid did not write (another length, a capital
// letter, any other byte). Any thread.
inline bool decode_tid(std::string_view t, uint32_t& idx, uint32_t& nonce) noexcept {
    if (t.size() != our_tid_chars) {
        return false;
    }
    uint64_t a;
    uint32_t b;
    std::memcpy(&a, t.data(), 8);
    std::memcpy(&b, t.data() + 8, 4);
    const __m128i c = _mm_unpacklo_epi64(_mm_cvtsi64_si128(static_cast<long long>(a)),
                                         _mm_cvtsi32_si128(static_cast<int>(b)));
    auto in = [&](char lo, char hi) {
        return _mm_and_si128(_mm_cmpgt_epi8(c, _mm_set1_epi8(static_cast<char>(lo - 1))),
                             _mm_cmplt_epi8(c, _mm_set1_epi8(static_cast<char>(hi + 1))));
    };
    const __m128i digit = in('0', '9');
    const __m128i letter = in('a', 'f');
    if ((_mm_movemask_epi8(_mm_or_si128(digit, letter)) & 0xfff) != 0xfff) {
        return false;
    }
    // A digit's value is its low nibble; a letter's its low nibble + 9.
    const __m128i nib = _mm_add_epi8(_mm_and_si128(c, _mm_set1_epi8(0x0f)),
                                     _mm_and_si128(letter, _mm_set1_epi8(9)));
    // Each 16-bit lane: first digit in its low byte, second in its high.
    const __m128i pairs = _mm_or_si128(_mm_slli_epi16(_mm_and_si128(nib, _mm_set1_epi16(0xff)), 4),
                                       _mm_srli_epi16(nib, 8));
    const __m128i packed = _mm_packus_epi16(pairs, pairs);  // six bytes, most significant first
    const auto be = static_cast<uint64_t>(_mm_cvtsi128_si64(packed));
    const uint64_t v = __builtin_bswap64(be) >> 16;
    idx = static_cast<uint32_t>(v >> 24);
    nonce = static_cast<uint32_t>(v & 0xffffff);
    return true;
}

}  // namespace imsd::dp::msrp

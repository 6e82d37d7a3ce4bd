#include "dataplane/msrp/tid.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <random>
#include <string>

namespace imsd::dp::msrp {
namespace {

// What the SSE2 codec must agree with: printf's lower-case hex.
std::string reference(uint32_t idx, uint32_t nonce) {
    char b[16];
    std::snprintf(b, sizeof(b), "%06x%06x", idx & 0xffffff, nonce & 0xffffff);
    return b;
}

TEST(tid, encodes_as_twelve_lower_case_hex_digits_and_decodes_back) {
    std::mt19937 rng(7);
    const std::array<uint32_t, 6> edges = {0, 1, 9, 10, 0xffffff, 0xabcdef};
    auto check = [](uint32_t idx, uint32_t nonce) {
        std::array<char, our_tid_chars> out{};
        encode_tid(out.data(), idx, nonce);
        const std::string_view got(out.data(), out.size());
        ASSERT_EQ(got, reference(idx, nonce)) << idx << " " << nonce;
        uint32_t i = 0, n = 0;
        ASSERT_TRUE(decode_tid(got, i, n)) << got;
        EXPECT_EQ(i, idx & 0xffffff);
        EXPECT_EQ(n, nonce & 0xffffff);
    };
    for (uint32_t a : edges) {
        for (uint32_t b : edges) {
            check(a, b);
        }
    }
    for (int k = 0; k < 100000; ++k) {
        check(rng(), rng());  // the top 8 bits of each are not encoded
    }
}

TEST(tid, writes_twelve_bytes_and_no_more) {
    std::array<char, 16> out;
    out.fill('#');
    encode_tid(out.data(), 0x123456, 0x789abc);
    EXPECT_EQ(std::string_view(out.data(), out.size()), "123456789abc####");
}

TEST(tid, decoding_refuses_anything_encode_did_not_write) {
    const std::string good = reference(0x00c0de, 0xfeed42);
    uint32_t i = 0, n = 0;
    ASSERT_TRUE(decode_tid(good, i, n));
    EXPECT_EQ(i, 0x00c0deu);
    EXPECT_EQ(n, 0xfeed42u);
    // Every other byte value at every position: only 0-9 and a-f pass.
    for (size_t pos = 0; pos < good.size(); ++pos) {
        for (int c = 0; c < 256; ++c) {
            std::string t = good;
            t[pos] = static_cast<char>(c);
            const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
            EXPECT_EQ(decode_tid(t, i, n), hex) << "byte " << c << " at " << pos;
        }
    }
    EXPECT_FALSE(decode_tid(good.substr(0, 11), i, n));
    EXPECT_FALSE(decode_tid(good + "0", i, n));
    EXPECT_FALSE(decode_tid("", i, n));
    EXPECT_FALSE(decode_tid("00C0DEFEED42", i, n));  // capitals are not ours
}

}  // namespace
}  // namespace imsd::dp::msrp

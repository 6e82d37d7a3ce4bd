// Software RSS against the Microsoft RSS specification's verification suite.

#include "dataplane/net/rss.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

namespace imsd::test {
namespace {

// "Verifying the RSS Hash Calculation", the key and IPv4 TCP cases.
constexpr uint8_t ms_key[40] = {0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
                                0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
                                0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
                                0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};

uint32_t hash(const char* src, uint16_t sport, const char* dst, uint16_t dport) {
    return dp::net::toeplitz_ipv4_l4(ms_key, inet_addr(src), inet_addr(dst), htons(sport),
                                     htons(dport));
}

TEST(rss, toeplitz_matches_the_specification_vectors) {
    EXPECT_EQ(hash("66.9.149.187", 2794, "161.142.100.80", 1766), 0x51ccc178u);
    EXPECT_EQ(hash("199.92.111.2", 14230, "65.69.140.83", 4739), 0xc626b0eau);
    EXPECT_EQ(hash("24.19.198.95", 12898, "12.22.207.184", 38024), 0x5c2b394au);
    EXPECT_EQ(hash("38.27.205.30", 48228, "209.142.163.6", 2217), 0xafc7327fu);
    EXPECT_EQ(hash("153.39.163.191", 44251, "202.188.127.2", 1303), 0x10e828a2u);
}

TEST(rss, queue_comes_from_the_redirection_table_by_the_low_bits) {
    dp::net::net_port p;
    EXPECT_EQ(dp::net::rx_queue_of(p, inet_addr("66.9.149.187"), inet_addr("161.142.100.80"),
                                   htons(2794), htons(1766)),
              0)
        << "no RSS: everything on queue 0";
    p.rss.reta_size = 128;
    p.rss.key_bytes = 40;
    std::copy(std::begin(ms_key), std::end(ms_key), p.rss.key.begin());
    for (uint16_t i = 0; i < 128; ++i) {
        p.rss.reta[i] = static_cast<uint8_t>(i % 3);
    }
    // 0x51ccc178 & 127 = 120 -> queue 0; 0xc626b0ea & 127 = 106 -> queue 1.
    EXPECT_EQ(dp::net::rx_queue_of(p, inet_addr("66.9.149.187"), inet_addr("161.142.100.80"),
                                   htons(2794), htons(1766)),
              120 % 3);
    EXPECT_EQ(dp::net::rx_queue_of(p, inet_addr("199.92.111.2"), inet_addr("65.69.140.83"),
                                   htons(14230), htons(4739)),
              106 % 3);
}

}  // namespace
}  // namespace imsd::test

// Our Internet checksum against DPDK's on buffers, and on chains split anywhere
// against the same bytes made contiguous.

#include "dataplane/net/cksum.hpp"

#include <gtest/gtest.h>
#include <rte_ip.h>

#include <random>
#include <vector>

#include "tests/support/eal_env.hpp"

namespace imsd::test {
namespace {

TEST(cksum, raw_sum_matches_dpdk_for_every_length_and_alignment) {
    std::mt19937 rng(7);
    std::vector<uint8_t> buf(2100);
    for (auto& b : buf) {
        b = static_cast<uint8_t>(rng());
    }
    for (size_t off = 0; off < 8; ++off) {
        for (size_t len = 0; len < 2000; len += (len < 80 ? 1 : 37)) {
            ASSERT_EQ(dp::net::raw_sum(buf.data() + off, len), rte_raw_cksum(buf.data() + off, len))
                << "offset " << off << " length " << len;
        }
    }
    std::vector<uint8_t> ones(1500, 0xff);
    EXPECT_EQ(dp::net::raw_sum(ones.data(), ones.size()), 0xffff) << "carries fold back in";
}

TEST(cksum, raw_sum_mbuf_matches_dpdk_over_chains_split_at_odd_places) {
    eal_init_for_tests();
    static rte_mempool* pool =
        rte_pktmbuf_pool_create("cksum_test", 255, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    ASSERT_NE(pool, nullptr);
    std::mt19937 rng(11);
    for (int round = 0; round < 200; ++round) {
        rte_mbuf* head = nullptr;
        const int segs = 1 + static_cast<int>(rng() % 5);
        for (int k = 0; k < segs; ++k) {
            rte_mbuf* m = rte_pktmbuf_alloc(pool);
            ASSERT_NE(m, nullptr);
            const auto n = static_cast<uint16_t>(1 + rng() % 700);  // odd lengths too
            auto* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, n));
            for (uint16_t i = 0; i < n; ++i) {
                p[i] = static_cast<uint8_t>(rng());
            }
            if (head == nullptr) {
                head = m;
            } else {
                ASSERT_EQ(rte_pktmbuf_chain(head, m), 0);
            }
        }
        const uint32_t total = rte_pktmbuf_pkt_len(head);
        const uint32_t off = rng() % total;
        const uint32_t len = rng() % (total - off + 1);
        // The reference: the same bytes made contiguous. (DPDK 22.11's own
        // rte_raw_cksum_mbuf is no reference: it truncates the unfolded sum
        // of a segment that starts at an odd offset before swapping it.)
        std::vector<uint8_t> flat(len);
        const void* p = rte_pktmbuf_read(head, off, len, flat.data());
        ASSERT_NE(p, nullptr);
        const uint16_t want = rte_raw_cksum(p, len);
        EXPECT_EQ(dp::net::raw_sum_mbuf(head, off, len), want)
            << "round " << round << ": " << segs << " segments, offset " << off << " length "
            << len;
        rte_pktmbuf_free(head);
    }
    EXPECT_EQ(rte_mempool_avail_count(pool), pool->size);
}

}  // namespace
}  // namespace imsd::test

#include "dataplane/port/impair.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "tests/support/eal_env.hpp"

namespace imsd::dp {
namespace {

constexpr uint64_t hz = 1'000'000;  // 1 tick = 1 us

class impair : public ::testing::Test {
   protected:
    static void SetUpTestSuite() {
        test::eal_init_for_tests();
        if (pool_ == nullptr) {
            pool_ = rte_pktmbuf_pool_create("impair_test", 16383, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                            SOCKET_ID_ANY);
        }
    }
    void SetUp() override { free_at_start_ = rte_mempool_avail_count(pool_); }
    void TearDown() override {
        st_.drain();
        for (auto* m : out_) {
            rte_pktmbuf_free(m);
        }
        EXPECT_EQ(rte_mempool_avail_count(pool_), free_at_start_) << "mbufs leaked";
    }
    // n packets whose first byte is their number; returns what passes now.
    std::vector<uint8_t> apply(uint16_t n, uint64_t now) {
        rte_mbuf* pkts[512];
        for (uint16_t i = 0; i < n; ++i) {
            pkts[i] = rte_pktmbuf_alloc(pool_);
            *rte_pktmbuf_mtod(pkts[i], uint8_t*) = static_cast<uint8_t>(next_++);
            rte_pktmbuf_append(pkts[i], 1);
        }
        uint16_t k = st_.apply(pkts, n, 512, now, cnt_);
        k = st_.release(pkts, k, 512, now);
        return take(pkts, k);
    }
    std::vector<uint8_t> release(uint64_t now) {
        rte_mbuf* pkts[512];
        return take(pkts, st_.release(pkts, 0, 512, now));
    }
    std::vector<uint8_t> take(rte_mbuf** pkts, uint16_t k) {
        std::vector<uint8_t> ids;
        for (uint16_t i = 0; i < k; ++i) {
            ids.push_back(*rte_pktmbuf_mtod(pkts[i], uint8_t*));
            out_.push_back(pkts[i]);
        }
        return ids;
    }
    static inline rte_mempool* pool_ = nullptr;
    unsigned free_at_start_ = 0;
    impair_stage st_;
    net::counters cnt_{};
    std::vector<rte_mbuf*> out_;
    int next_ = 0;
};

TEST_F(impair, off_passes_everything_in_order) {
    st_.init({}, hz);
    EXPECT_FALSE(st_.active());
    EXPECT_EQ(apply(5, 0), (std::vector<uint8_t>{0, 1, 2, 3, 4}));
}

TEST_F(impair, loss_drops_and_counts) {
    st_.init({.loss_ppm = 1000000}, hz);
    EXPECT_TRUE(apply(10, 0).empty());
    EXPECT_EQ(cnt_.impair_lost, 10u);
    st_.init({.loss_ppm = 100000}, hz);  // 10%
    size_t passed = apply(400, 0).size() + apply(400, 0).size() + apply(200, 0).size();
    EXPECT_GT(passed, 830u);
    EXPECT_LT(passed, 970u);
}

TEST_F(impair, duplication_sends_the_same_packet_twice) {
    st_.init({.dup_ppm = 1000000}, hz);
    EXPECT_EQ(apply(3, 0), (std::vector<uint8_t>{0, 0, 1, 1, 2, 2}));
    EXPECT_EQ(cnt_.impair_duplicated, 3u);
    EXPECT_EQ(rte_mbuf_refcnt_read(out_[0]), 2);
}

TEST_F(impair, a_duplicated_chained_packet_holds_a_reference_on_every_segment) {
    // A TCP segment with its payload in a second mbuf (zero-copy transmit):
    // each transmission frees every segment, so each needs the reference.
    st_.init({.dup_ppm = 1000000}, hz);
    rte_mbuf* head = rte_pktmbuf_alloc(pool_);
    rte_mbuf* tail = rte_pktmbuf_alloc(pool_);
    *reinterpret_cast<uint8_t*>(rte_pktmbuf_append(head, 1)) = 7;
    rte_pktmbuf_append(tail, 100);
    ASSERT_EQ(rte_pktmbuf_chain(head, tail), 0);
    rte_mbuf* pkts[4] = {head};
    uint16_t k = st_.apply(pkts, 1, 4, 0, cnt_);
    k = st_.release(pkts, k, 4, 0);
    EXPECT_EQ(take(pkts, k), (std::vector<uint8_t>{7, 7}));
    EXPECT_EQ(rte_mbuf_refcnt_read(head), 2);
    EXPECT_EQ(rte_mbuf_refcnt_read(tail), 2);
    // TearDown frees both transmissions and finds the pool full.
}

TEST_F(impair, duplicates_of_received_packets_are_copies) {
    st_.init({.dup_ppm = 1000000}, hz, true);
    EXPECT_EQ(apply(2, 0), (std::vector<uint8_t>{0, 0, 1, 1}));
    EXPECT_NE(out_[0], out_[1]);
    EXPECT_EQ(rte_mbuf_refcnt_read(out_[0]), 1);
}

TEST_F(impair, delay_holds_every_packet_for_its_time) {
    st_.init({.delay_us = 20000}, hz);
    EXPECT_TRUE(apply(3, 1000).empty());
    EXPECT_TRUE(release(20999).empty());
    EXPECT_EQ(release(21000), (std::vector<uint8_t>{0, 1, 2}));
    EXPECT_EQ(cnt_.impair_delayed, 3u);
}

TEST_F(impair, reordering_holds_a_packet_behind_later_ones) {
    st_.init({.reorder_ppm = 1000000, .reorder_hold_us = 500}, hz);
    EXPECT_TRUE(apply(1, 0).empty());
    st_.init({.reorder_ppm = 0, .reorder_hold_us = 500}, hz);
    // The held packet survives a re-init of the parameters and comes later.
    EXPECT_EQ(apply(2, 100), (std::vector<uint8_t>{1, 2}));
    EXPECT_EQ(release(500), (std::vector<uint8_t>{0}));
    EXPECT_EQ(cnt_.impair_reordered, 1u);
}

TEST_F(impair, a_full_delay_line_drops_and_counts) {
    st_.init({.delay_us = 1000}, hz);
    for (uint32_t i = 0; i < impair_stage::line_capacity / 256 + 1; ++i) {
        apply(256, 0);
    }
    EXPECT_EQ(cnt_.impair_overflow, 256u);
}

}  // namespace
}  // namespace imsd::dp

#pragma once

#include <gtest/gtest.h>
#include <rte_mbuf.h>

#include <atomic>
#include <string>
#include <vector>

#include "dataplane/net/context.hpp"
#include "tests/support/eal_env.hpp"
#include "tests/support/frames.hpp"

namespace imsd::test {

// One port (02:00:00:00:00:01, 198.18.0.1/24, gateway 198.18.0.254) and a
// fresh per-test context. TearDown checks that every mbuf came back.
class net_test : public ::testing::Test {
   protected:
    static constexpr uint64_t hz = 1'000'000;  // fake TSC: 1 tick = 1 us

    static void SetUpTestSuite() {
        eal_init_for_tests();
        if (pool_ == nullptr) {
            pool_ = rte_pktmbuf_pool_create("net_test_pool", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                            SOCKET_ID_ANY);
            ASSERT_NE(pool_, nullptr);
            clone_pool_ = rte_pktmbuf_pool_create("net_test_clones", 1023, 0, 0, 0, SOCKET_ID_ANY);
            ASSERT_NE(clone_pool_, nullptr);
        }
    }

    void SetUp() override {
        static std::atomic<int> n{0};
        std::string name = "net_test_neigh_" + std::to_string(n++);
        ctx_.neigh = dp::net::neighbour_table::create(name.c_str(), 16, SOCKET_ID_ANY);
        ASSERT_NE(ctx_.neigh, nullptr);
        ctx_.pool = pool_;
        ctx_.clone_pool = clone_pool_;
        ctx_.neigh_cfg = {300 * hz, 1 * hz, 3};
        ctx_.now_tsc = 1000 * hz;
        cfg_.n_ports = 1;
        auto& p = cfg_.ports[0];
        p.port_id = 0;
        p.mac = our_mac();
        p.n_addrs = 1;
        p.addrs[0] = {addr("198.18.0.1"), addr("255.255.255.0")};
        p.gateway_be = addr("198.18.0.254");
        ctx_.cfg = &cfg_;
        avail_at_start_ = rte_mempool_avail_count(pool_);
    }

    void TearDown() override {
        for (auto* m : sent_) {
            rte_pktmbuf_free(m);
        }
        sent_.clear();
        dp::net::net_ctx_drain(ctx_);
        ctx_.neigh.reset();
        EXPECT_EQ(rte_mempool_avail_count(pool_), avail_at_start_) << "mbufs leaked";
        EXPECT_EQ(rte_mempool_avail_count(clone_pool_), clone_pool_->size)
            << "indirect mbufs leaked";
    }

    static rte_ether_addr our_mac() { return mac(1); }

    rte_mbuf* make(const std::vector<uint8_t>& frame) {
        rte_mbuf* m = rte_pktmbuf_alloc(pool_);
        EXPECT_NE(m, nullptr);
        char* p = rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size()));
        EXPECT_NE(p, nullptr);
        std::memcpy(p, frame.data(), frame.size());
        return m;
    }

    // Feeds one frame and returns what was queued for tx (caller frees via out()).
    std::vector<rte_mbuf*> inject(const std::vector<uint8_t>& frame) {
        rte_mbuf* m = make(frame);
        dp::net::net_input(ctx_, 0, std::span<rte_mbuf*>(&m, 1));
        after_input();
        return take_tx();
    }
    // What the dataplane loop runs after a poll's input, before its tx
    // burst (the MSRP relay's output, in the relay's tests).
    virtual void after_input() {}

    std::vector<rte_mbuf*> take_tx() {
        auto& tx = ctx_.tx[0];
        std::vector<rte_mbuf*> out(tx.pkts.begin(), tx.pkts.begin() + tx.count);
        tx.count = 0;
        sent_.insert(sent_.end(), out.begin(), out.end());
        return out;
    }

    static std::vector<uint8_t> bytes(rte_mbuf* m) {
        std::vector<uint8_t> b(rte_pktmbuf_pkt_len(m));
        const auto* p = rte_pktmbuf_read(m, 0, static_cast<uint32_t>(b.size()), b.data());
        if (p != b.data()) {
            std::memcpy(b.data(), p, b.size());
        }
        return b;
    }

    static inline rte_mempool* pool_ = nullptr;
    static inline rte_mempool* clone_pool_ = nullptr;  // zero-copy transmit
    dp::net::net_ctx ctx_;
    dp::net::net_config cfg_;
    unsigned avail_at_start_ = 0;
    std::vector<rte_mbuf*> sent_;
};

}  // namespace imsd::test

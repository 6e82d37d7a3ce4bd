// Neighbour sync between lcores: an ARP reply that lands on another lcore's
// queue still releases the packet waiting for it.

#include <gtest/gtest.h>

#include "tests/unit/dataplane/net/net_fixture.hpp"

namespace imsd::test {
namespace {

class neighbour_sync : public net_test {
   protected:
    void SetUp() override {
        net_test::SetUp();
        static std::atomic<int> n{0};
        const int id = n++;
        std::string name = "sync_test_neigh_b" + std::to_string(id);
        b_.neigh = dp::net::neighbour_table::create(name.c_str(), 16, SOCKET_ID_ANY);
        ASSERT_NE(b_.neigh, nullptr);
        b_.pool = pool_;
        b_.neigh_cfg = ctx_.neigh_cfg;
        b_.now_tsc = ctx_.now_tsc;
        b_.cfg = &cfg_;
        inbox_a_ = make_ring("sync_test_a" + std::to_string(id));
        inbox_b_ = make_ring("sync_test_b" + std::to_string(id));
        ctx_.neigh_inbox = inbox_a_;
        b_.neigh_inbox = inbox_b_;
        ctx_.peers[ctx_.n_peers++] = inbox_b_;
        b_.peers[b_.n_peers++] = inbox_a_;
    }
    void TearDown() override {
        auto& tx = b_.tx[0];
        for (uint16_t i = 0; i < tx.count; ++i) {
            rte_pktmbuf_free(tx.pkts[i]);
        }
        tx.count = 0;
        dp::net::net_ctx_drain(b_);
        b_.neigh.reset();
        net_test::TearDown();
        rte_ring_free(inbox_a_);
        rte_ring_free(inbox_b_);
    }
    static rte_ring* make_ring(const std::string& name) {
        rte_ring* r = rte_ring_create_elem(name.c_str(), sizeof(dp::net::neigh_update), 4,
                                           SOCKET_ID_ANY, RING_F_SC_DEQ | RING_F_EXACT_SZ);
        EXPECT_NE(r, nullptr);
        return r;
    }
    std::vector<rte_mbuf*> input_b(const std::vector<uint8_t>& frame) {
        rte_mbuf* m = make(frame);
        dp::net::net_input(b_, 0, std::span<rte_mbuf*>(&m, 1));
        auto& tx = b_.tx[0];
        std::vector<rte_mbuf*> out(tx.pkts.begin(), tx.pkts.begin() + tx.count);
        tx.count = 0;
        sent_.insert(sent_.end(), out.begin(), out.end());
        return out;
    }
    dp::net::net_ctx b_;
    rte_ring* inbox_a_ = nullptr;
    rte_ring* inbox_b_ = nullptr;
};

TEST_F(neighbour_sync, arp_reply_on_another_lcore_releases_the_held_packet) {
    // Lcore B answers a ping from a client it does not know: it holds the
    // reply and asks by ARP.
    auto out = input_b(ipv4_frame(mac(2), our_mac(), addr("198.18.0.2"), addr("198.18.0.1"),
                                  IPPROTO_ICMP, icmp_echo(RTE_IP_ICMP_ECHO_REQUEST, 1, 1, 8)));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(b_.cnt.arp_request_out, 1u);
    // The ARP reply lands on lcore A, which learns and tells B.
    EXPECT_TRUE(inject(arp_frame(RTE_ARP_OP_REPLY, mac(2), addr("198.18.0.2"), addr("198.18.0.1"),
                                 our_mac()))
                    .empty());
    EXPECT_EQ(ctx_.cnt.neigh_learned, 1u);
    EXPECT_EQ(b_.tx[0].count, 0) << "nothing for B before it reads its inbox";
    dp::net::neighbour_sync_input(b_);
    EXPECT_EQ(b_.cnt.neigh_sync_in, 1u);
    ASSERT_EQ(b_.tx[0].count, 1);
    auto f = bytes(b_.tx[0].pkts[0]);
    rte_ether_addr m2 = mac(2);
    EXPECT_TRUE(
        rte_is_same_ether_addr(&reinterpret_cast<const rte_ether_hdr*>(f.data())->dst_addr, &m2));
    EXPECT_EQ(f[sizeof(rte_ether_hdr) + 20], RTE_IP_ICMP_ECHO_REPLY);
    EXPECT_EQ(b_.neigh->lookup(0, addr("198.18.0.2"))->state, dp::net::neigh_state::reachable);
}

TEST_F(neighbour_sync, a_full_inbox_loses_updates_and_counts_them) {
    // The inbox holds 4 updates; B never reads it.
    for (int i = 0; i < 6; ++i) {
        std::string src = "198.18.0." + std::to_string(10 + i);
        inject(arp_frame(RTE_ARP_OP_REQUEST, mac(static_cast<uint8_t>(10 + i)), addr(src.c_str()),
                         addr("198.18.0.1"), broadcast()));
    }
    EXPECT_EQ(ctx_.cnt.neigh_learned, 6u);
    EXPECT_EQ(ctx_.cnt.neigh_sync_lost, 2u);
    dp::net::neighbour_sync_input(b_);
    EXPECT_EQ(b_.cnt.neigh_sync_in, 4u);
    EXPECT_EQ(b_.neigh->size(), 4u);
}

}  // namespace
}  // namespace imsd::test

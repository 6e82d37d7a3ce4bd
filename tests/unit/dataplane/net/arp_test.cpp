// RFC 826 packet reception, as imsd implements it for its media addresses.

#include <gtest/gtest.h>

#include "tests/unit/dataplane/net/net_fixture.hpp"

namespace imsd::test {
namespace {

using arp_rfc826 = net_test;

const rte_arp_hdr* arp_of(const std::vector<uint8_t>& f) {
    return reinterpret_cast<const rte_arp_hdr*>(f.data() + sizeof(rte_ether_hdr));
}
const rte_ether_hdr* eth_of(const std::vector<uint8_t>& f) {
    return reinterpret_cast<const rte_ether_hdr*>(f.data());
}

TEST_F(arp_rfc826, request_for_owned_address_is_answered_and_sender_learned) {
    auto out = inject(
        arp_frame(RTE_ARP_OP_REQUEST, mac(2), addr("198.18.0.2"), addr("198.18.0.1"), broadcast()));
    ASSERT_EQ(out.size(), 1u);
    auto f = bytes(out[0]);
    ASSERT_EQ(f.size(), sizeof(rte_ether_hdr) + sizeof(rte_arp_hdr));
    rte_ether_addr m2 = mac(2), m1 = our_mac();
    EXPECT_TRUE(rte_is_same_ether_addr(&eth_of(f)->dst_addr, &m2));
    EXPECT_TRUE(rte_is_same_ether_addr(&eth_of(f)->src_addr, &m1));
    const auto* a = arp_of(f);
    EXPECT_EQ(ntohs(a->arp_opcode), RTE_ARP_OP_REPLY);
    EXPECT_TRUE(rte_is_same_ether_addr(&a->arp_data.arp_sha, &m1));
    EXPECT_EQ(a->arp_data.arp_sip, addr("198.18.0.1"));
    EXPECT_TRUE(rte_is_same_ether_addr(&a->arp_data.arp_tha, &m2));
    EXPECT_EQ(a->arp_data.arp_tip, addr("198.18.0.2"));
    EXPECT_EQ(ctx_.cnt.arp_request_answered, 1u);
    EXPECT_EQ(ctx_.cnt.neigh_learned, 1u);
    auto* n = ctx_.neigh->lookup(0, addr("198.18.0.2"));
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->state, dp::net::neigh_state::reachable);
    EXPECT_TRUE(rte_is_same_ether_addr(&n->mac, &m2));
}

TEST_F(arp_rfc826, ethernet_padding_is_not_echoed_in_the_reply) {
    auto frame =
        arp_frame(RTE_ARP_OP_REQUEST, mac(2), addr("198.18.0.2"), addr("198.18.0.1"), broadcast());
    frame.resize(60, 0);  // minimum Ethernet frame without FCS
    auto out = inject(frame);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(rte_pktmbuf_pkt_len(out[0]), sizeof(rte_ether_hdr) + sizeof(rte_arp_hdr));
}

TEST_F(arp_rfc826, request_for_another_address_is_dropped_and_not_learned) {
    auto out = inject(
        arp_frame(RTE_ARP_OP_REQUEST, mac(2), addr("198.18.0.2"), addr("198.18.0.9"), broadcast()));
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(ctx_.cnt.arp_not_for_us, 1u);
    EXPECT_EQ(ctx_.neigh->lookup(0, addr("198.18.0.2")), nullptr);
}

TEST_F(arp_rfc826, known_sender_is_merged_even_when_not_the_target) {
    inject(
        arp_frame(RTE_ARP_OP_REQUEST, mac(2), addr("198.18.0.2"), addr("198.18.0.1"), broadcast()));
    // The neighbour moved to another MAC and asks for someone else.
    auto out = inject(
        arp_frame(RTE_ARP_OP_REQUEST, mac(3), addr("198.18.0.2"), addr("198.18.0.9"), broadcast()));
    EXPECT_TRUE(out.empty());
    rte_ether_addr m3 = mac(3);
    auto* n = ctx_.neigh->lookup(0, addr("198.18.0.2"));
    ASSERT_NE(n, nullptr);
    EXPECT_TRUE(rte_is_same_ether_addr(&n->mac, &m3));
    EXPECT_EQ(ctx_.cnt.neigh_updated, 1u);
    EXPECT_EQ(ctx_.cnt.arp_not_for_us, 0u);
}

TEST_F(arp_rfc826, malformed_packets_are_counted_and_dropped) {
    auto good =
        arp_frame(RTE_ARP_OP_REQUEST, mac(2), addr("198.18.0.2"), addr("198.18.0.1"), broadcast());
    auto bad_hw = good;
    reinterpret_cast<rte_arp_hdr*>(bad_hw.data() + sizeof(rte_ether_hdr))->arp_hardware = htons(6);
    auto bad_op = good;
    reinterpret_cast<rte_arp_hdr*>(bad_op.data() + sizeof(rte_ether_hdr))->arp_opcode = htons(9);
    auto bad_plen = good;
    reinterpret_cast<rte_arp_hdr*>(bad_plen.data() + sizeof(rte_ether_hdr))->arp_plen = 16;
    auto short_frame = good;
    short_frame.resize(sizeof(rte_ether_hdr) + 10);
    auto mcast_sender = arp_frame(RTE_ARP_OP_REQUEST, rte_ether_addr{{0x01, 0, 0x5e, 0, 0, 1}},
                                  addr("198.18.0.2"), addr("198.18.0.1"), broadcast());
    for (const auto* f : {&bad_hw, &bad_op, &bad_plen, &short_frame, &mcast_sender}) {
        EXPECT_TRUE(inject(*f).empty());
    }
    EXPECT_EQ(ctx_.cnt.arp_malformed, 5u);
    EXPECT_EQ(ctx_.cnt.neigh_learned, 0u);
}

TEST_F(arp_rfc826, a_sender_claiming_our_address_is_a_conflict) {
    auto out = inject(
        arp_frame(RTE_ARP_OP_REQUEST, mac(2), addr("198.18.0.1"), addr("198.18.0.1"), broadcast()));
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(ctx_.cnt.arp_address_conflict, 1u);
}

TEST_F(arp_rfc826, probe_from_zero_address_is_answered_but_teaches_nothing) {
    // RFC 5227 2.1.1: a probe has sender address 0.0.0.0.
    auto out = inject(arp_frame(RTE_ARP_OP_REQUEST, mac(2), 0, addr("198.18.0.1"), broadcast()));
    EXPECT_EQ(out.size(), 1u);
    EXPECT_EQ(ctx_.cnt.neigh_learned, 0u);
}

TEST_F(arp_rfc826, unicast_frame_for_another_mac_is_not_for_us) {
    auto out = inject(
        arp_frame(RTE_ARP_OP_REQUEST, mac(2), addr("198.18.0.2"), addr("198.18.0.1"), mac(7)));
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(ctx_.cnt.eth_not_for_us, 1u);
}

// The neighbour table answers a repeated lookup from its last answer
// (bench_dp_msrp_relay: rte_hash_lookup was ~80 instructions a packet):
// never for another address or port, and never once the entry is gone.
TEST_F(arp_rfc826, the_tables_last_answer_never_outlives_its_entry) {
    dp::net::neighbour_table& t = *ctx_.neigh;
    dp::net::neighbour* a = t.add(0, addr("198.18.0.2"));
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(t.lookup(0, addr("198.18.0.2")), a);
    EXPECT_EQ(t.lookup(0, addr("198.18.0.2")), a);
    EXPECT_EQ(t.lookup(1, addr("198.18.0.2")), nullptr) << "another port";
    EXPECT_EQ(t.lookup(0, addr("198.18.0.2")), a);
    EXPECT_EQ(t.lookup(0, addr("198.18.0.3")), nullptr) << "another address";
    EXPECT_EQ(t.lookup(0, addr("198.18.0.2")), a);
    t.remove(a);
    EXPECT_EQ(t.lookup(0, addr("198.18.0.2")), nullptr) << "removed";
    for (int i = 0; i < 8; ++i) {  // slots freed and taken again by other addresses
        dp::net::neighbour* b = t.add(0, addr("198.18.1.1") + rte_cpu_to_be_32(i));
        ASSERT_NE(b, nullptr);
        EXPECT_EQ(t.lookup(0, addr("198.18.1.1") + rte_cpu_to_be_32(i)), b);
        EXPECT_EQ(t.lookup(0, addr("198.18.0.2")), nullptr);
        t.remove(b);
    }
}

}  // namespace
}  // namespace imsd::test

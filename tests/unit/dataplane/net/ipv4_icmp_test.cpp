// IPv4 input (RFC 791 / RFC 1122 3.2.1) and ICMP echo (RFC 792, RFC 1122
// 3.2.2.6), with next-hop resolution of the reply.

#include <gtest/gtest.h>

#include "dataplane/net/handlers.hpp"
#include "tests/unit/dataplane/net/net_fixture.hpp"

namespace imsd::test {
namespace {

using ipv4_icmp = net_test;

constexpr size_t l2 = sizeof(rte_ether_hdr);

const rte_ipv4_hdr* ip_of(const std::vector<uint8_t>& f) {
    return reinterpret_cast<const rte_ipv4_hdr*>(f.data() + l2);
}

// The client 198.18.0.2 (MAC 2) is known, as after it ARPed for us.
class ipv4_icmp_known : public net_test {
   protected:
    void SetUp() override {
        net_test::SetUp();
        inject(arp_frame(RTE_ARP_OP_REQUEST, mac(2), addr("198.18.0.2"), addr("198.18.0.1"),
                         broadcast()));
    }
    std::vector<uint8_t> echo_from_client(size_t data_len = 56) {
        return ipv4_frame(mac(2), our_mac(), addr("198.18.0.2"), addr("198.18.0.1"), IPPROTO_ICMP,
                          icmp_echo(RTE_IP_ICMP_ECHO_REQUEST, 7, 1, data_len));
    }
};

TEST_F(ipv4_icmp_known, echo_request_gets_an_exact_echo_reply) {
    auto req = echo_from_client();
    auto out = inject(req);
    ASSERT_EQ(out.size(), 1u);
    auto f = bytes(out[0]);
    ASSERT_EQ(f.size(), req.size());
    const auto* eth = reinterpret_cast<const rte_ether_hdr*>(f.data());
    rte_ether_addr m1 = our_mac(), m2 = mac(2);
    EXPECT_TRUE(rte_is_same_ether_addr(&eth->dst_addr, &m2));
    EXPECT_TRUE(rte_is_same_ether_addr(&eth->src_addr, &m1));
    const auto* iph = ip_of(f);
    EXPECT_EQ(iph->src_addr, addr("198.18.0.1"));
    EXPECT_EQ(iph->dst_addr, addr("198.18.0.2"));
    EXPECT_EQ(iph->time_to_live, 64);
    EXPECT_EQ(inet_cksum(iph, sizeof(rte_ipv4_hdr)), 0) << "IPv4 header checksum";
    const uint8_t* icmp = f.data() + l2 + sizeof(rte_ipv4_hdr);
    const size_t icmp_len = f.size() - l2 - sizeof(rte_ipv4_hdr);
    EXPECT_EQ(icmp[0], RTE_IP_ICMP_ECHO_REPLY);
    EXPECT_EQ(inet_cksum(icmp, icmp_len), 0) << "ICMP checksum";
    // RFC 1122 3.2.2.6: identifier, sequence number and data are returned.
    EXPECT_EQ(0, std::memcmp(icmp + 4, req.data() + l2 + sizeof(rte_ipv4_hdr) + 4, icmp_len - 4));
    EXPECT_EQ(ctx_.cnt.icmp_echo_answered, 1u);
}

TEST_F(ipv4_icmp_known, odd_length_payload_keeps_a_valid_checksum) {
    auto out = inject(echo_from_client(1001));
    ASSERT_EQ(out.size(), 1u);
    auto f = bytes(out[0]);
    EXPECT_EQ(inet_cksum(f.data() + l2 + 20, f.size() - l2 - 20), 0);
}

TEST_F(ipv4_icmp_known, ethernet_padding_is_trimmed_to_the_ip_length) {
    auto req = ipv4_frame(mac(2), our_mac(), addr("198.18.0.2"), addr("198.18.0.1"), IPPROTO_ICMP,
                          icmp_echo(RTE_IP_ICMP_ECHO_REQUEST, 7, 1, 4));
    const size_t real = req.size();
    req.resize(60, 0xee);
    auto out = inject(req);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(rte_pktmbuf_pkt_len(out[0]), real);
}

TEST_F(ipv4_icmp_known, bad_packets_are_counted_by_reason) {
    auto good = echo_from_client();
    auto bad_ip_sum = good;
    reinterpret_cast<rte_ipv4_hdr*>(bad_ip_sum.data() + l2)->hdr_checksum ^= 0x0101;
    auto bad_icmp_sum = good;
    bad_icmp_sum[l2 + 20 + 2] ^= 0x55;
    auto too_long = good;  // total length beyond the frame
    auto* tl = reinterpret_cast<rte_ipv4_hdr*>(too_long.data() + l2);
    tl->total_length = htons(1400);
    tl->hdr_checksum = 0;
    tl->hdr_checksum = inet_cksum(tl, 20);
    auto short_ihl = good;
    auto* si = reinterpret_cast<rte_ipv4_hdr*>(short_ihl.data() + l2);
    si->version_ihl = 0x44;
    si->hdr_checksum = 0;
    si->hdr_checksum = inet_cksum(si, 20);
    auto fragment = good;
    auto* fr = reinterpret_cast<rte_ipv4_hdr*>(fragment.data() + l2);
    fr->fragment_offset = htons(RTE_IPV4_HDR_MF_FLAG);
    fr->hdr_checksum = 0;
    fr->hdr_checksum = inet_cksum(fr, 20);
    auto not_local = ipv4_frame(mac(2), our_mac(), addr("198.18.0.2"), addr("198.18.0.77"),
                                IPPROTO_ICMP, icmp_echo(RTE_IP_ICMP_ECHO_REQUEST, 1, 1, 8));
    auto reply = ipv4_frame(mac(2), our_mac(), addr("198.18.0.2"), addr("198.18.0.1"), IPPROTO_ICMP,
                            icmp_echo(RTE_IP_ICMP_ECHO_REPLY, 1, 1, 8));
    auto tcp = ipv4_frame(mac(2), our_mac(), addr("198.18.0.2"), addr("198.18.0.1"), IPPROTO_TCP,
                          std::vector<uint8_t>(20));
    auto udp = ipv4_frame(mac(2), our_mac(), addr("198.18.0.2"), addr("198.18.0.1"), IPPROTO_UDP,
                          std::vector<uint8_t>(8));
    auto gre = ipv4_frame(mac(2), our_mac(), addr("198.18.0.2"), addr("198.18.0.1"), 47,
                          std::vector<uint8_t>(8));
    auto tiny_icmp = ipv4_frame(mac(2), our_mac(), addr("198.18.0.2"), addr("198.18.0.1"),
                                IPPROTO_ICMP, std::vector<uint8_t>(3));
    for (const auto* f : {&bad_ip_sum, &bad_icmp_sum, &too_long, &short_ihl, &fragment, &not_local,
                          &reply, &tcp, &udp, &gre, &tiny_icmp}) {
        EXPECT_TRUE(inject(*f).empty());
    }
    EXPECT_EQ(ctx_.cnt.ipv4_checksum_bad, 1u);
    EXPECT_EQ(ctx_.cnt.icmp_checksum_bad, 1u);
    EXPECT_EQ(ctx_.cnt.ipv4_malformed, 2u);
    EXPECT_EQ(ctx_.cnt.ipv4_fragment, 1u);
    EXPECT_EQ(ctx_.cnt.ipv4_not_local, 1u);
    EXPECT_EQ(ctx_.cnt.icmp_type_other, 1u);
    EXPECT_EQ(ctx_.cnt.ipv4_tcp_unserved, 1u);
    EXPECT_EQ(ctx_.cnt.ipv4_udp_unserved, 1u);
    EXPECT_EQ(ctx_.cnt.ipv4_proto_other, 1u);
    EXPECT_EQ(ctx_.cnt.icmp_malformed, 1u);
    EXPECT_EQ(ctx_.cnt.icmp_echo_answered, 0u);
}

TEST_F(ipv4_icmp, other_ethertypes_and_runts_are_counted) {
    std::vector<uint8_t> runt(10, 0);
    auto v6 = arp_frame(1, mac(2), 0, 0, our_mac());
    reinterpret_cast<rte_ether_hdr*>(v6.data())->ether_type = htons(RTE_ETHER_TYPE_IPV6);
    auto vlan = v6;
    reinterpret_cast<rte_ether_hdr*>(vlan.data())->ether_type = htons(RTE_ETHER_TYPE_VLAN);
    auto lldp = v6;
    reinterpret_cast<rte_ether_hdr*>(lldp.data())->ether_type = htons(0x88cc);
    auto mcast = v6;
    reinterpret_cast<rte_ether_hdr*>(mcast.data())->dst_addr =
        rte_ether_addr{{0x33, 0x33, 0, 0, 0, 1}};
    for (const auto* f : {&runt, &v6, &vlan, &lldp, &mcast}) {
        EXPECT_TRUE(inject(*f).empty());
    }
    EXPECT_EQ(ctx_.cnt.eth_runt, 1u);
    EXPECT_EQ(ctx_.cnt.ipv6_unsupported, 1u);
    EXPECT_EQ(ctx_.cnt.eth_vlan, 1u);
    EXPECT_EQ(ctx_.cnt.eth_type_unknown, 1u);
    EXPECT_EQ(ctx_.cnt.eth_multicast, 1u);
    EXPECT_EQ(ctx_.cnt.rx_packets, 5u);
}

TEST_F(ipv4_icmp, reply_to_unknown_neighbour_waits_for_arp_then_goes_out) {
    auto out = inject(ipv4_frame(mac(2), our_mac(), addr("198.18.0.2"), addr("198.18.0.1"),
                                 IPPROTO_ICMP, icmp_echo(RTE_IP_ICMP_ECHO_REQUEST, 1, 1, 8)));
    // The reply is held; an ARP request for the client goes out instead.
    ASSERT_EQ(out.size(), 1u);
    auto req = bytes(out[0]);
    const auto* eth = reinterpret_cast<const rte_ether_hdr*>(req.data());
    EXPECT_TRUE(rte_is_broadcast_ether_addr(&eth->dst_addr));
    const auto* a = reinterpret_cast<const rte_arp_hdr*>(req.data() + l2);
    EXPECT_EQ(ntohs(a->arp_opcode), RTE_ARP_OP_REQUEST);
    EXPECT_EQ(a->arp_data.arp_tip, addr("198.18.0.2"));
    EXPECT_EQ(a->arp_data.arp_sip, addr("198.18.0.1"));
    EXPECT_EQ(ctx_.cnt.arp_request_out, 1u);

    // The client answers; the held echo reply leaves with its MAC.
    out = inject(
        arp_frame(RTE_ARP_OP_REPLY, mac(2), addr("198.18.0.2"), addr("198.18.0.1"), our_mac()));
    ASSERT_EQ(out.size(), 1u);
    auto rep = bytes(out[0]);
    rte_ether_addr m2 = mac(2);
    EXPECT_TRUE(
        rte_is_same_ether_addr(&reinterpret_cast<const rte_ether_hdr*>(rep.data())->dst_addr, &m2));
    EXPECT_EQ(rep[l2 + 20], RTE_IP_ICMP_ECHO_REPLY);
    EXPECT_EQ(ctx_.cnt.arp_reply_in, 1u);
}

TEST_F(ipv4_icmp, off_link_source_is_answered_through_the_gateway) {
    auto out = inject(ipv4_frame(mac(9), our_mac(), addr("203.0.113.5"), addr("198.18.0.1"),
                                 IPPROTO_ICMP, icmp_echo(RTE_IP_ICMP_ECHO_REQUEST, 1, 1, 8)));
    ASSERT_EQ(out.size(), 1u);
    auto req = bytes(out[0]);
    EXPECT_EQ(reinterpret_cast<const rte_arp_hdr*>(req.data() + l2)->arp_data.arp_tip,
              addr("198.18.0.254"));
}

TEST_F(ipv4_icmp, off_link_source_without_gateway_has_no_route) {
    cfg_.ports[0].gateway_be = 0;
    auto out = inject(ipv4_frame(mac(9), our_mac(), addr("203.0.113.5"), addr("198.18.0.1"),
                                 IPPROTO_ICMP, icmp_echo(RTE_IP_ICMP_ECHO_REQUEST, 1, 1, 8)));
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(ctx_.cnt.ipv4_no_route, 1u);
}

TEST_F(ipv4_icmp, unanswered_arp_is_retried_then_the_held_packet_dropped) {
    inject(ipv4_frame(mac(2), our_mac(), addr("198.18.0.2"), addr("198.18.0.1"), IPPROTO_ICMP,
                      icmp_echo(RTE_IP_ICMP_ECHO_REQUEST, 1, 1, 8)));
    // A second packet while unresolved replaces the held one (queue of one).
    inject(ipv4_frame(mac(2), our_mac(), addr("198.18.0.2"), addr("198.18.0.1"), IPPROTO_ICMP,
                      icmp_echo(RTE_IP_ICMP_ECHO_REQUEST, 1, 2, 8)));
    EXPECT_EQ(ctx_.cnt.neigh_held_replaced, 1u);
    size_t requests = 1;
    for (int i = 0; i < 10; ++i) {
        ctx_.now_tsc += hz;  // the retry period
        dp::net::neighbour_timers(ctx_);
        requests += take_tx().size();
    }
    EXPECT_EQ(requests, 3u) << "arp-retries = 3 requests in all";
    EXPECT_EQ(ctx_.cnt.arp_request_out, 3u);
    EXPECT_EQ(ctx_.cnt.neigh_unresolved, 1u);
    EXPECT_EQ(ctx_.neigh->lookup(0, addr("198.18.0.2")), nullptr);
}

TEST_F(ipv4_icmp, learned_neighbour_expires_after_its_lifetime) {
    inject(
        arp_frame(RTE_ARP_OP_REQUEST, mac(2), addr("198.18.0.2"), addr("198.18.0.1"), broadcast()));
    ctx_.now_tsc += 299 * hz;
    dp::net::neighbour_timers(ctx_);
    EXPECT_NE(ctx_.neigh->lookup(0, addr("198.18.0.2")), nullptr);
    ctx_.now_tsc += 2 * hz;
    dp::net::neighbour_timers(ctx_);
    EXPECT_EQ(ctx_.neigh->lookup(0, addr("198.18.0.2")), nullptr);
    EXPECT_EQ(ctx_.cnt.neigh_expired, 1u);
}

TEST_F(ipv4_icmp, full_neighbour_table_is_counted_not_crashed) {
    // 16 entries; sources 198.18.0.10.. all need resolution.
    for (int i = 0; i < 40; ++i) {
        std::string src = "198.18.0." + std::to_string(10 + i);
        inject(ipv4_frame(mac(2), our_mac(), addr(src.c_str()), addr("198.18.0.1"), IPPROTO_ICMP,
                          icmp_echo(RTE_IP_ICMP_ECHO_REQUEST, 1, 1, 8)));
    }
    EXPECT_GT(ctx_.cnt.neigh_table_full, 0u);
    EXPECT_LE(ctx_.neigh->size(), ctx_.neigh->capacity());
    EXPECT_EQ(ctx_.cnt.arp_request_out + ctx_.cnt.neigh_table_full, 40u);
}

TEST(cksum_adjust16, matches_a_full_recomputation) {
    for (uint32_t seed = 1; seed < 2000; ++seed) {
        auto msg = icmp_echo(RTE_IP_ICMP_ECHO_REQUEST, static_cast<uint16_t>(seed * 7919),
                             static_cast<uint16_t>(seed), seed % 64);
        auto* h = reinterpret_cast<rte_icmp_hdr*>(msg.data());
        uint16_t old_word;
        std::memcpy(&old_word, h, 2);
        h->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
        uint16_t new_word;
        std::memcpy(&new_word, h, 2);
        uint16_t adjusted = dp::net::cksum_adjust16(h->icmp_cksum, old_word, new_word);
        h->icmp_cksum = 0;
        uint16_t full = inet_cksum(msg.data(), msg.size());
        // 0x0000 and 0xffff are the same one's-complement value.
        EXPECT_TRUE(adjusted == full || (adjusted ^ full) == 0xffff) << seed;
    }
}

}  // namespace
}  // namespace imsd::test

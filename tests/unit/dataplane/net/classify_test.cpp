#include "dataplane/net/classify.hpp"

#include <gtest/gtest.h>

#include "tests/unit/dataplane/net/net_fixture.hpp"

namespace imsd::test {
namespace {

using classify = net_test;
using dp::net::pkt_class;

TEST_F(classify, names_the_handler_of_each_frame) {
    struct tc {
        std::vector<uint8_t> frame;
        pkt_class want;
    };
    auto v4 = [](uint8_t proto) {
        return ipv4_frame(mac(2), mac(1), addr("198.18.0.2"), addr("198.18.0.1"), proto,
                          std::vector<uint8_t>(8));
    };
    auto with_type = [](uint16_t type) {
        auto f = arp_frame(1, mac(2), 0, 0, mac(1));
        reinterpret_cast<rte_ether_hdr*>(f.data())->ether_type = htons(type);
        return f;
    };
    auto short_v4 = with_type(RTE_ETHER_TYPE_IPV4);
    short_v4.resize(sizeof(rte_ether_hdr) + 10);
    std::vector<tc> cases = {
        {std::vector<uint8_t>(13, 0), pkt_class::runt},
        {arp_frame(1, mac(2), 0, 0, mac(1)), pkt_class::arp},
        {v4(IPPROTO_ICMP), pkt_class::ipv4_icmp},
        {v4(IPPROTO_TCP), pkt_class::ipv4_tcp},
        {v4(IPPROTO_UDP), pkt_class::ipv4_udp},
        {v4(132), pkt_class::ipv4_other},
        {short_v4, pkt_class::ipv4_short},
        {with_type(RTE_ETHER_TYPE_IPV6), pkt_class::ipv6},
        {with_type(RTE_ETHER_TYPE_VLAN), pkt_class::vlan},
        {with_type(RTE_ETHER_TYPE_QINQ), pkt_class::vlan},
        {with_type(0x88cc), pkt_class::other},
    };
    for (const auto& c : cases) {
        rte_mbuf* m = make(c.frame);
        EXPECT_EQ(dp::net::classify(m), c.want) << "frame of " << c.frame.size() << " bytes";
        rte_pktmbuf_free(m);
    }
}

}  // namespace
}  // namespace imsd::test

#include "dataplane/net/classify.hpp"

#include <rte_ether.h>
#include <rte_ip.h>

namespace imsd::dp::net {

pkt_class classify(const rte_mbuf* m) noexcept {
    const uint32_t len = rte_pktmbuf_data_len(m);
    if (len < sizeof(rte_ether_hdr)) {
        return pkt_class::runt;
    }
    const auto* eth = rte_pktmbuf_mtod(m, const rte_ether_hdr*);
    switch (eth->ether_type) {
        case RTE_BE16(RTE_ETHER_TYPE_IPV4): {
            if (len < sizeof(rte_ether_hdr) + sizeof(rte_ipv4_hdr)) {
                return pkt_class::ipv4_short;
            }
            const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(eth + 1);
            switch (ip->next_proto_id) {
                case IPPROTO_ICMP:
                    return pkt_class::ipv4_icmp;
                case IPPROTO_TCP:
                    return pkt_class::ipv4_tcp;
                case IPPROTO_UDP:
                    return pkt_class::ipv4_udp;
                default:
                    return pkt_class::ipv4_other;
            }
        }
        case RTE_BE16(RTE_ETHER_TYPE_ARP):
            return pkt_class::arp;
        case RTE_BE16(RTE_ETHER_TYPE_IPV6):
            return pkt_class::ipv6;
        case RTE_BE16(RTE_ETHER_TYPE_VLAN):
        case RTE_BE16(RTE_ETHER_TYPE_QINQ):
            return pkt_class::vlan;
        default:
            return pkt_class::other;
    }
}

}  // namespace imsd::dp::net

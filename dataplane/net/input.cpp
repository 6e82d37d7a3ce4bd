// Ethernet input: filter by destination, classify, dispatch.

#include <rte_ether.h>

#include "dataplane/net/classify.hpp"
#include "dataplane/net/handlers.hpp"

namespace imsd::dp::net {

namespace {

void eth_input(net_ctx& ctx, uint16_t port_index, rte_mbuf* m) noexcept {
    const pkt_class cls = classify(m);
    if (cls == pkt_class::runt) [[unlikely]] {
        IMSD_DROP(ctx, m, eth_runt);
        return;
    }
    const net_port& port = ctx.cfg->ports[port_index];
    const auto* eth = rte_pktmbuf_mtod(m, const rte_ether_hdr*);
    if (!rte_is_same_ether_addr(&eth->dst_addr, &port.mac)) {
        if (rte_is_broadcast_ether_addr(&eth->dst_addr)) {
            if (cls != pkt_class::arp) {
                // IPv4 broadcast (DHCP and the like): nobody here serves it.
                IMSD_DROP(ctx, m, eth_multicast);
                return;
            }
        } else if (rte_is_multicast_ether_addr(&eth->dst_addr)) {
            IMSD_DROP(ctx, m, eth_multicast);
            return;
        } else {
            IMSD_DROP(ctx, m, eth_not_for_us);
            return;
        }
    }
    switch (cls) {
        case pkt_class::arp:
            arp_input(ctx, port_index, m);
            return;
        case pkt_class::ipv4_icmp:
        case pkt_class::ipv4_tcp:
        case pkt_class::ipv4_udp:
        case pkt_class::ipv4_other:
        case pkt_class::ipv4_short:
            ipv4_input(ctx, port_index, m);
            return;
        case pkt_class::ipv6:
            IMSD_DROP(ctx, m, ipv6_unsupported);
            return;
        case pkt_class::vlan:
            IMSD_DROP(ctx, m, eth_vlan);
            return;
        case pkt_class::runt:
        case pkt_class::other:
            break;
    }
    IMSD_DROP(ctx, m, eth_type_unknown);
}

}  // namespace

uint16_t net_input(net_ctx& ctx, uint16_t port_index, std::span<rte_mbuf*> pkts) noexcept {
    for (rte_mbuf* m : pkts) {
        ++ctx.cnt.rx_packets;
        ctx.cnt.rx_bytes += rte_pktmbuf_pkt_len(m);
        eth_input(ctx, port_index, m);
    }
    return static_cast<uint16_t>(pkts.size());
}

}  // namespace imsd::dp::net

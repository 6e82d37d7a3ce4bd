// Ethernet input: filter by destination, classify, dispatch.

#include <rte_ether.h>
#include <rte_prefetch.h>

#include <algorithm>

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

// Every cache line of a packet's data, up to a full Ethernet frame: the
// next packet's, while this one goes through TCP and the relay, which read
// every byte of it (the checksum, the parser). Where the data was written by
// another agent (a NIC's DMA; the memif server in the zero-copy topology)
// the first touch misses; msrp_relay_bench.sh 256 B, zero-copy client,
// fast-mode runs of an A/B of two builds alternated twice: 1,516-1,558 ->
// 1,410-1,428 cycles per message. Where the data is already in this core's
// cache (memif copying client) it costs ~1% (1,423-1,448 -> 1,430-1,478).
void prefetch_data(const rte_mbuf* m) noexcept {
    const char* p = rte_pktmbuf_mtod(m, const char*);
    const uint32_t n = std::min<uint32_t>(m->data_len, 1536);
    for (uint32_t off = 0; off < n; off += RTE_CACHE_LINE_SIZE) {
        rte_prefetch0(p + off);
    }
}

}  // namespace

uint16_t net_input(net_ctx& ctx, uint16_t port_index, std::span<rte_mbuf*> pkts) noexcept {
    // The mbufs' own first lines, all of them, before the first data
    // prefetch reads one.
    for (const rte_mbuf* m : pkts) {
        rte_prefetch0(m);
    }
    if (!pkts.empty()) {
        prefetch_data(pkts[0]);
    }
    for (size_t i = 0; i < pkts.size(); ++i) {
        rte_mbuf* m = pkts[i];
        if (i + 1 < pkts.size()) {
            prefetch_data(pkts[i + 1]);
        }
        ++ctx.cnt.rx_packets;
        ctx.cnt.rx_bytes += rte_pktmbuf_pkt_len(m);
        eth_input(ctx, port_index, m);
    }
    return static_cast<uint16_t>(pkts.size());
}

}  // namespace imsd::dp::net

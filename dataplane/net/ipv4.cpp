// IPv4 input (RFC 791, RFC 1122 3.2.1) for the media addresses, and ICMPv4
// echo (RFC 792, RFC 1122 3.2.2.6). Other protocols are counted and dropped
// until their handlers (TCP, SIP over UDP) are enabled.

#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "dataplane/net/handlers.hpp"

namespace imsd::dp::net {

namespace {

constexpr uint8_t reply_ttl = 64;

void icmp_input(net_ctx& ctx, uint16_t port_index, rte_mbuf* m, rte_ipv4_hdr* ip,
                uint16_t ihl_bytes) noexcept {
    ++ctx.cnt.icmp_in;
    const uint16_t ip_len = rte_be_to_cpu_16(ip->total_length);
    const uint16_t icmp_len = static_cast<uint16_t>(ip_len - ihl_bytes);
    const uint32_t icmp_off = sizeof(rte_ether_hdr) + ihl_bytes;
    if (icmp_len < sizeof(rte_icmp_hdr) ||
        rte_pktmbuf_data_len(m) < icmp_off + sizeof(rte_icmp_hdr)) {
        IMSD_DROP(ctx, m, icmp_malformed);
        return;
    }
    // RFC 792: the checksum covers the whole ICMP message; a valid one sums
    // to 0xffff. The message may span segments.
    uint16_t sum = 0;
    if (rte_raw_cksum_mbuf(m, icmp_off, icmp_len, &sum) != 0 || sum != 0xffff) {
        IMSD_DROP(ctx, m, icmp_checksum_bad);
        return;
    }
    auto* icmp = rte_pktmbuf_mtod_offset(m, rte_icmp_hdr*, icmp_off);
    if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0) {
        IMSD_DROP(ctx, m, icmp_type_other);
        return;
    }
    // RFC 1122 3.2.2.6: the echo reply returns the data unchanged. Only the
    // type changes, so the checksum is adjusted, not recomputed.
    const uint16_t old_word = *reinterpret_cast<uint16_t*>(icmp);
    icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
    const uint16_t new_word = *reinterpret_cast<uint16_t*>(icmp);
    icmp->icmp_cksum = cksum_adjust16(icmp->icmp_cksum, old_word, new_word);

    const uint32_t dst = ip->src_addr;
    ip->src_addr = ip->dst_addr;
    ip->dst_addr = dst;
    ip->time_to_live = reply_ttl;
    ip->hdr_checksum = 0;
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    ++ctx.cnt.icmp_echo_answered;
    ipv4_output(ctx, port_index, m, dst);
}

}  // namespace

void ipv4_input(net_ctx& ctx, uint16_t port_index, rte_mbuf* m) noexcept {
    ++ctx.cnt.ipv4_in;
    constexpr uint32_t eth_len = sizeof(rte_ether_hdr);
    if (rte_pktmbuf_data_len(m) < eth_len + sizeof(rte_ipv4_hdr)) {
        IMSD_DROP(ctx, m, ipv4_malformed);
        return;
    }
    auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv4_hdr*, eth_len);
    const uint16_t ihl_bytes = static_cast<uint16_t>((ip->version_ihl & 0x0f) * 4);
    const uint16_t total = rte_be_to_cpu_16(ip->total_length);
    // RFC 1122 3.2.1.1-3.2.1.2: version 4, a header of at least 20 bytes,
    // a total length that covers the header and fits what arrived.
    if ((ip->version_ihl >> 4) != 4 || ihl_bytes < sizeof(rte_ipv4_hdr) ||
        rte_pktmbuf_data_len(m) < eth_len + ihl_bytes || total < ihl_bytes ||
        total > rte_pktmbuf_pkt_len(m) - eth_len) {
        IMSD_DROP(ctx, m, ipv4_malformed);
        return;
    }
    if (rte_raw_cksum(ip, ihl_bytes) != 0xffff) {
        IMSD_DROP(ctx, m, ipv4_checksum_bad);
        return;
    }
    // Ethernet pads short frames: the IP total length is the truth.
    const uint32_t frame = eth_len + total;
    if (rte_pktmbuf_pkt_len(m) > frame) {
        rte_pktmbuf_trim(m, static_cast<uint16_t>(rte_pktmbuf_pkt_len(m) - frame));
    }
    const net_port& port = ctx.cfg->ports[port_index];
    if (!port.owns(ip->dst_addr)) {
        IMSD_DROP(ctx, m, ipv4_not_local);
        return;
    }
    if ((ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0) {
        IMSD_DROP(ctx, m, ipv4_fragment);
        return;
    }
    switch (ip->next_proto_id) {
        case IPPROTO_ICMP:
            icmp_input(ctx, port_index, m, ip, ihl_bytes);
            return;
        case IPPROTO_TCP:
            if (ctx.cfg->sip.port_be != 0 &&
                rte_pktmbuf_data_len(m) >= eth_len + ihl_bytes + sizeof(rte_tcp_hdr)) {
                // SIP over TCP is the kernel's (the sigplane's nta listens
                // there): connections to our SIP port and those the kernel
                // opened to a peer's.
                const auto* th =
                    rte_pktmbuf_mtod_offset(m, const rte_tcp_hdr*, eth_len + ihl_bytes);
                if (th->dst_port == ctx.cfg->sip.port_be || th->src_port == ctx.cfg->sip.port_be) {
                    ++ctx.cnt.tcp_sip_punted;
                    punt_to_kernel(ctx, m);
                    return;
                }
            }
            if (ctx.tcp_input != nullptr) {
                if (ctx.n_pollers > 1 &&
                    rte_pktmbuf_data_len(m) >= eth_len + ihl_bytes + sizeof(rte_tcp_hdr)) {
                    const auto* th =
                        rte_pktmbuf_mtod_offset(m, const rte_tcp_hdr*, eth_len + ihl_bytes);
                    const uint16_t owner = steer_owner(ctx, port, rte_be_to_cpu_16(th->dst_port));
                    if (owner != ctx.poller_index) {
                        // Not ours: to the lcore that holds its connection,
                        // as received (it checks the packet again).
                        m->hash.usr = port_index;
                        if (owner < ctx.n_pollers && ctx.steer_inbox[owner] != nullptr &&
                            rte_ring_mp_enqueue(ctx.steer_inbox[owner], m) == 0) {
                            ++ctx.cnt.tcp_steered_out;
                        } else {
                            IMSD_DROP(ctx, m, tcp_steer_full);
                        }
                        return;
                    }
                }
                ctx.tcp_input(ctx, port_index, m, ip, ihl_bytes);
                return;
            }
            IMSD_DROP(ctx, m, ipv4_tcp_unserved);
            return;
        case IPPROTO_UDP:
            if (ctx.sip_udp_input != nullptr) {
                ctx.sip_udp_input(ctx, port_index, m, ip, ihl_bytes);
                return;
            }
            IMSD_DROP(ctx, m, ipv4_udp_unserved);
            return;
        default:
            IMSD_DROP(ctx, m, ipv4_proto_other);
            return;
    }
}

void steer_input(net_ctx& ctx) noexcept {
    rte_ring* inbox = ctx.steer_inbox[ctx.poller_index];
    if (inbox == nullptr) {
        return;
    }
    rte_mbuf* pkts[32];
    const unsigned n =
        rte_ring_sc_dequeue_burst(inbox, reinterpret_cast<void**>(pkts), 32, nullptr);
    for (unsigned i = 0; i < n; ++i) {
        ++ctx.cnt.tcp_steered_in;
        const uint32_t port_index = pkts[i]->hash.usr;
        if (port_index >= ctx.cfg->n_ports) {
            rte_pktmbuf_free(pkts[i]);
            continue;
        }
        ipv4_input(ctx, static_cast<uint16_t>(port_index), pkts[i]);
    }
}

}  // namespace imsd::dp::net

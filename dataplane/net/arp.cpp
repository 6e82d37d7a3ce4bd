// ARP (RFC 826) for the addresses the settings give each port: answer
// requests for them, learn neighbours by the RFC's merge rule, and resolve
// next hops for what we send.

#include <rte_arp.h>
#include <rte_ether.h>

#include "dataplane/net/handlers.hpp"

namespace imsd::dp::net {

namespace {

void release_held(net_ctx& ctx, neighbour* n) noexcept {
    if (n->held == nullptr) {
        return;
    }
    rte_mbuf* m = n->held;
    n->held = nullptr;
    auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
    rte_ether_addr_copy(&n->mac, &eth->dst_addr);
    tx_enqueue(ctx, n->key.port_index, m);
}

// Tells the other lcores what this one just learned.
void sync_output(net_ctx& ctx, uint16_t port_index, uint32_t ip_be,
                 const rte_ether_addr& mac) noexcept {
    neigh_update u{ip_be, port_index, mac};  // rte_ring_mp_enqueue_elem takes void*
    for (uint16_t i = 0; i < ctx.n_peers; ++i) {
        if (rte_ring_mp_enqueue_elem(ctx.peers[i], &u, sizeof(u)) != 0) [[unlikely]] {
            ++ctx.cnt.neigh_sync_lost;
        }
    }
}

}  // namespace

void neighbour_sync_input(net_ctx& ctx) noexcept {
    if (ctx.neigh_inbox == nullptr) {
        return;
    }
    neigh_update updates[32];
    const unsigned n =
        rte_ring_sc_dequeue_burst_elem(ctx.neigh_inbox, updates, sizeof(neigh_update), 32, nullptr);
    for (unsigned i = 0; i < n; ++i) {
        const neigh_update& u = updates[i];
        ++ctx.cnt.neigh_sync_in;
        if (u.port_index >= ctx.cfg->n_ports) {
            continue;
        }
        neighbour* e = ctx.neigh->lookup(u.port_index, u.ip_be);
        if (e == nullptr) {
            e = ctx.neigh->add(u.port_index, u.ip_be);
            if (e == nullptr) {
                ++ctx.cnt.neigh_table_full;
                continue;
            }
        }
        rte_ether_addr_copy(&u.mac, &e->mac);
        e->state = neigh_state::reachable;
        e->stamp_tsc = ctx.now_tsc;
        release_held(ctx, e);
    }
}

void arp_input(net_ctx& ctx, uint16_t port_index, rte_mbuf* m) noexcept {
    ++ctx.cnt.arp_in;
    if (rte_pktmbuf_data_len(m) < sizeof(rte_ether_hdr) + sizeof(rte_arp_hdr)) {
        IMSD_DROP(ctx, m, arp_malformed);
        return;
    }
    auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
    auto* arp = reinterpret_cast<rte_arp_hdr*>(eth + 1);
    // RFC 826 packet reception: ?Do I have the hardware type / speak the protocol?
    if (arp->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
        arp->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) || arp->arp_hlen != RTE_ETHER_ADDR_LEN ||
        arp->arp_plen != sizeof(uint32_t)) {
        IMSD_DROP(ctx, m, arp_malformed);
        return;
    }
    const uint16_t op = rte_be_to_cpu_16(arp->arp_opcode);
    if (op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY) {
        IMSD_DROP(ctx, m, arp_malformed);
        return;
    }
    const rte_ether_addr sha = arp->arp_data.arp_sha;
    const uint32_t spa = arp->arp_data.arp_sip;
    const uint32_t tpa = arp->arp_data.arp_tip;
    if (!rte_is_valid_assigned_ether_addr(&sha)) {
        // A multicast or zero sender hardware address is never a neighbour.
        IMSD_DROP(ctx, m, arp_malformed);
        return;
    }
    const net_port& port = ctx.cfg->ports[port_index];
    if (port.owns(spa)) {
        IMSD_DROP(ctx, m, arp_address_conflict);
        return;
    }
    if (op == RTE_ARP_OP_REPLY) {
        ++ctx.cnt.arp_reply_in;
    }

    // RFC 826: "If the pair <protocol type, sender protocol address> is
    // already in my translation table, update the sender hardware address
    // field of the entry with the new information ... and set Merge_flag".
    bool merge = false;
    neighbour* n = spa != 0 ? ctx.neigh->lookup(port_index, spa) : nullptr;
    if (n != nullptr) {
        merge = true;
        rte_ether_addr_copy(&sha, &n->mac);
        n->state = neigh_state::reachable;
        n->stamp_tsc = ctx.now_tsc;
        ++ctx.cnt.neigh_updated;
        release_held(ctx, n);
        sync_output(ctx, port_index, spa, sha);
    }
    // "?Am I the target protocol address?"
    if (!port.owns(tpa)) {
        if (merge) {
            rte_pktmbuf_free(m);
        } else {
            IMSD_DROP(ctx, m, arp_not_for_us);
        }
        return;
    }
    // "If Merge_flag is false, add the triplet to the translation table."
    // An ARP probe (sender address 0, RFC 5227) teaches nothing.
    if (!merge && spa != 0) {
        n = ctx.neigh->add(port_index, spa);
        if (n == nullptr) {
            ++ctx.cnt.neigh_table_full;
        } else {
            rte_ether_addr_copy(&sha, &n->mac);
            n->state = neigh_state::reachable;
            n->stamp_tsc = ctx.now_tsc;
            ++ctx.cnt.neigh_learned;
            sync_output(ctx, port_index, spa, sha);
        }
    }
    if (op != RTE_ARP_OP_REQUEST) {
        rte_pktmbuf_free(m);
        return;
    }
    // "Swap hardware and protocol fields, putting the local hardware and
    // protocol addresses in the sender fields. Set the opcode field to reply."
    arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
    arp->arp_data.arp_tha = sha;
    arp->arp_data.arp_tip = spa;
    rte_ether_addr_copy(&port.mac, &arp->arp_data.arp_sha);
    arp->arp_data.arp_sip = tpa;
    rte_ether_addr_copy(&sha, &eth->dst_addr);
    rte_ether_addr_copy(&port.mac, &eth->src_addr);
    // Trim any Ethernet padding the request carried beyond the ARP body.
    const uint32_t len = sizeof(rte_ether_hdr) + sizeof(rte_arp_hdr);
    if (rte_pktmbuf_pkt_len(m) > len) {
        rte_pktmbuf_trim(m, static_cast<uint16_t>(rte_pktmbuf_pkt_len(m) - len));
    }
    ++ctx.cnt.arp_request_answered;
    tx_enqueue(ctx, port_index, m);
}

void arp_request_output(net_ctx& ctx, uint16_t port_index, uint32_t ip_be) noexcept {
    rte_mbuf* m = rte_pktmbuf_alloc(ctx.pool);
    if (m == nullptr) [[unlikely]] {
        ++ctx.cnt.mbuf_alloc_failed;
        return;
    }
    const net_port& port = ctx.cfg->ports[port_index];
    const uint16_t len = sizeof(rte_ether_hdr) + sizeof(rte_arp_hdr);
    auto* eth = reinterpret_cast<rte_ether_hdr*>(rte_pktmbuf_append(m, len));
    auto* arp = reinterpret_cast<rte_arp_hdr*>(eth + 1);
    memset(&eth->dst_addr, 0xff, sizeof(eth->dst_addr));
    rte_ether_addr_copy(&port.mac, &eth->src_addr);
    eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
    arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
    arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
    arp->arp_hlen = RTE_ETHER_ADDR_LEN;
    arp->arp_plen = sizeof(uint32_t);
    arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
    rte_ether_addr_copy(&port.mac, &arp->arp_data.arp_sha);
    arp->arp_data.arp_sip = port.source_for(ip_be);
    memset(&arp->arp_data.arp_tha, 0, sizeof(arp->arp_data.arp_tha));
    arp->arp_data.arp_tip = ip_be;
    ++ctx.cnt.arp_request_out;
    tx_enqueue(ctx, port_index, m);
}

}  // namespace imsd::dp::net

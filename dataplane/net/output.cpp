// Output: next-hop resolution, the per-port tx buffers, neighbour timers.

#include <rte_ether.h>

#include "dataplane/net/handlers.hpp"

namespace imsd::dp::net {

void tx_enqueue(net_ctx& ctx, uint16_t port_index, rte_mbuf* m) noexcept {
    tx_buffer& tx = ctx.tx[port_index];
    if (tx.count == tx_capacity) [[unlikely]] {
        IMSD_DROP(ctx, m, tx_full);
        return;
    }
    tx.pkts[tx.count++] = m;
}

void ipv4_output(net_ctx& ctx, uint16_t port_index, rte_mbuf* m, uint32_t dst_be) noexcept {
    const net_port& port = ctx.cfg->ports[port_index];
    uint32_t next_hop = dst_be;
    if (!port.on_link(dst_be)) {
        if (port.gateway_be == 0) {
            IMSD_DROP(ctx, m, ipv4_no_route);
            return;
        }
        next_hop = port.gateway_be;
    }
    auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
    rte_ether_addr_copy(&port.mac, &eth->src_addr);
    eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);

    neighbour* n = ctx.neigh->lookup(port_index, next_hop);
    if (n != nullptr && n->state == neigh_state::reachable) [[likely]] {
        rte_ether_addr_copy(&n->mac, &eth->dst_addr);
        tx_enqueue(ctx, port_index, m);
        return;
    }
    if (n == nullptr) {
        n = ctx.neigh->add(port_index, next_hop);
        if (n == nullptr) {
            IMSD_DROP(ctx, m, neigh_table_full);
            return;
        }
        n->held = m;
        n->probes = 1;
        n->stamp_tsc = ctx.now_tsc;
        arp_request_output(ctx, port_index, next_hop);
        return;
    }
    // Incomplete: keep the newest packet, as Linux does with a queue of one.
    if (n->held != nullptr) {
        ++ctx.cnt.neigh_held_replaced;
        rte_pktmbuf_free(n->held);
    }
    n->held = m;
}

void neighbour_timers(net_ctx& ctx) noexcept {
    neighbour_table& t = *ctx.neigh;
    if (t.size() == 0) {
        return;
    }
    for (uint32_t i = 0; i < t.capacity(); ++i) {
        neighbour* n = t.at(i);
        switch (n->state) {
            case neigh_state::free:
                break;
            case neigh_state::reachable:
                if (ctx.now_tsc - n->stamp_tsc > ctx.neigh_cfg.timeout_tsc) {
                    ++ctx.cnt.neigh_expired;
                    t.remove(n);
                }
                break;
            case neigh_state::incomplete:
                if (ctx.now_tsc - n->stamp_tsc < ctx.neigh_cfg.retry_tsc) {
                    break;
                }
                if (n->probes >= ctx.neigh_cfg.retries) {
                    if (n->held != nullptr) {
                        ++ctx.cnt.neigh_unresolved;
                    }
                    t.remove(n);
                    break;
                }
                ++n->probes;
                n->stamp_tsc = ctx.now_tsc;
                if (n->key.port_index < ctx.cfg->n_ports) {
                    arp_request_output(ctx, n->key.port_index, n->key.ip_be);
                }
                break;
        }
    }
}

void net_ctx_drain(net_ctx& ctx) noexcept {
    for (auto& tx : ctx.tx) {
        for (uint16_t i = 0; i < tx.count; ++i) {
            rte_pktmbuf_free(tx.pkts[i]);
        }
        tx.count = 0;
    }
    if (ctx.neigh) {
        for (uint32_t i = 0; i < ctx.neigh->capacity(); ++i) {
            ctx.neigh->remove(ctx.neigh->at(i));
        }
    }
}

}  // namespace imsd::dp::net

#pragma once

// The per-lcore state of the packet path and the entry points an lcore loop
// calls. Everything here runs on the owning lcore only, never allocates from
// the heap, never locks, never logs.

#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <array>
#include <cstdint>
#include <memory>
#include <span>

#include "dataplane/net/config.hpp"
#include "dataplane/net/counters.hpp"
#include "dataplane/net/neighbour.hpp"

namespace imsd::dp::net {

// Room for a full rx burst of replies plus the ARP requests and released held
// packets one burst can produce.
inline constexpr uint16_t tx_capacity = 512;
inline constexpr uint16_t max_burst = 256;

struct tx_buffer {
    uint16_t count = 0;
    std::array<rte_mbuf*, tx_capacity> pkts{};
};

struct neigh_params {
    uint64_t timeout_tsc = 0;  // lifetime of a reachable entry
    uint64_t retry_tsc = 0;    // time between ARP requests while incomplete
    uint8_t retries = 3;       // requests before giving up
};

// What one lcore learned by ARP, told to the others: an ARP reply may arrive
// on any queue (RSS does not hash ARP), while the packet waiting for it sits
// on the lcore that asked. Shared-nothing: lcores exchange messages, never
// touch each other's tables.
struct neigh_update {
    uint32_t ip_be;
    uint16_t port_index;
    rte_ether_addr mac;
};
static_assert(sizeof(neigh_update) % 4 == 0, "rte_ring element sizes are multiples of 4");

inline constexpr uint16_t max_pollers = 64;

struct alignas(RTE_CACHE_LINE_SIZE) net_ctx {
    counters cnt{};                   // dp: writes, cp: reads (relaxed)
    const net_config* cfg = nullptr;  // the RCU snapshot for the current burst
    rte_mempool* pool = nullptr;      // for packets we originate (ARP requests)
    // Indirect mbufs (no data room) that let a transmitted segment refer to
    // payload held elsewhere (the TCP send queue) instead of copying it.
    // Null: copy.
    rte_mempool* clone_pool = nullptr;
    std::unique_ptr<neighbour_table> neigh;
    neigh_params neigh_cfg{};
    uint64_t now_tsc = 0;
    uint16_t queue = 0;  // this lcore's rx/tx queue on every port
    std::array<tx_buffer, max_ports> tx{};
    // Neighbour sync: this lcore's inbox (other lcores enqueue, this one
    // dequeues) and the inboxes of the others. Empty in single-lcore mode.
    rte_ring* neigh_inbox = nullptr;
    // The lcore's TCP (dataplane/tcp), when enabled: its state and input.
    void* tcp = nullptr;
    void (*tcp_input)(net_ctx&, uint16_t port_index, rte_mbuf*, void* ip_hdr,
                      uint16_t ihl_bytes) noexcept = nullptr;
    // SIP over UDP (dataplane/sip), when SIP is on: its per-lcore state and
    // input; the datagram's IPv4 header is at ip_hdr.
    void* sip = nullptr;
    void (*sip_udp_input)(net_ctx&, uint16_t port_index, rte_mbuf*, void* ip_hdr,
                          uint16_t ihl_bytes) noexcept = nullptr;
    // The exception path (dataplane/punt): frames for the kernel, any lcore
    // enqueues, the lcore owning the TAP dequeues. Null: SIP off.
    rte_ring* punt_ring = nullptr;
    uint16_t n_peers = 0;
    std::array<rte_ring*, max_pollers> peers{};
    // Software steering of TCP by local port, for what RSS cannot place
    // (several polling lcores only; see steer_owner). steer_inbox[i] is
    // lcore i's hand-off ring (any lcore enqueues, i dequeues).
    uint16_t poller_index = 0;
    uint16_t n_pollers = 1;
    uint16_t steer_port_first = 0;  // host order: lcore i owns port first + i
    std::array<rte_ring*, max_pollers> steer_inbox{};
};

// The lcore that owns TCP port `local_port` (host order) on a port of the
// given config, or `ctx.poller_index` when RSS places its flows (or nothing
// needs placing): the MSRP listen ports (one per lcore: sessions live on the
// lcore whose port their URIs name) and, on ports without RSS, the
// ephemeral ports of active opens (port % lcores, chosen that way by
// tcp_connect).
inline uint16_t steer_owner(const net_ctx& ctx, const net_port& p, uint16_t local_port) noexcept {
    if (ctx.n_pollers <= 1) {
        return ctx.poller_index;
    }
    if (ctx.steer_port_first != 0 && local_port >= ctx.steer_port_first &&
        local_port < ctx.steer_port_first + ctx.n_pollers) {
        return static_cast<uint16_t>(local_port - ctx.steer_port_first);
    }
    if (p.rss.reta_size == 0 && local_port >= 32768 && local_port <= 60999) {
        return static_cast<uint16_t>(local_port % ctx.n_pollers);
    }
    return ctx.poller_index;
}

// Hands a frame received on a media port, unchanged but for its destination
// MAC (the kernel interface's, written by the punt owner), to the kernel.
inline void punt_to_kernel(net_ctx& ctx, rte_mbuf* m) noexcept {
    if (ctx.punt_ring != nullptr && rte_ring_mp_enqueue(ctx.punt_ring, m) == 0) {
        ++ctx.cnt.punt_queued;
        return;
    }
    ++ctx.cnt.punt_ring_full;
    rte_pktmbuf_free(m);
}

// Takes the segments other lcores handed to this one. Once per loop.
void steer_input(net_ctx& ctx) noexcept;

// Processes one rx burst received on ports[port_index]. Every mbuf is either
// queued in ctx.tx for sending or freed and counted. Returns pkts.size().
uint16_t net_input(net_ctx& ctx, uint16_t port_index, std::span<rte_mbuf*> pkts) noexcept;

// Retries and expires neighbour entries. Call every few milliseconds.
void neighbour_timers(net_ctx& ctx) noexcept;

// Queues a frame for ports[port_index]; frees and counts it if the buffer is full.
void tx_enqueue(net_ctx& ctx, uint16_t port_index, rte_mbuf* m) noexcept;

// Sends an IPv4 packet whose Ethernet header is in place but not yet
// addressed: resolves the next hop, holding the packet while ARP runs.
void ipv4_output(net_ctx& ctx, uint16_t port_index, rte_mbuf* m, uint32_t dst_be) noexcept;

// Applies the neighbour updates other lcores sent. Call once per loop.
void neighbour_sync_input(net_ctx& ctx) noexcept;

// Frees every mbuf the context still holds (tx buffers, held packets).
// The owning lcore, on its way out.
void net_ctx_drain(net_ctx& ctx) noexcept;

}  // namespace imsd::dp::net

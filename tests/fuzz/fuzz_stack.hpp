#pragma once

// What the fuzz targets over imsd's TCP share: one port 198.18.0.1/24 whose
// peer 198.18.0.2 has a known MAC (replies leave at once), the mbuf pools, a
// TCP stack, and the leak check of both pools after each input.

#include <arpa/inet.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "dataplane/tcp/tcp.hpp"
#include "tests/support/eal_env.hpp"
#include "tests/support/held_mbufs.hpp"

namespace imsd::test {

struct fuzz_stack {
    static constexpr uint64_t hz = 1'000'000;  // the fuzz clock: 1 tick = 1 us
    rte_mempool* pool = nullptr;
    rte_mempool* clones = nullptr;  // indirect mbufs: zero-copy transmit
    dp::net::net_ctx* ctx = nullptr;
    dp::net::net_config cfg;
    dp::tcp::tcp_stack* tcp = nullptr;

    // Once, in LLVMFuzzerInitialize. Small buffers and tables, so that
    // inputs reach their limits.
    void start(uint32_t max_connections, uint32_t max_half_open) {
        using namespace dp;
        tcp::tcp_params p;
        p.max_connections = max_connections;
        p.max_half_open = max_half_open;
        p.max_time_wait = 8;
        p.rcv_buffer_bytes = 16384;
        p.ooo_pool_entries = 64;
        p.ooo_max_segs = 16;
        p.snd_buffer_bytes = 16384;
        eal_init_for_tests();
        pool = rte_pktmbuf_pool_create("fuzz_pool", 8191, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                       SOCKET_ID_ANY);
        clones = rte_pktmbuf_pool_create("fuzz_clones", 8191, 0, 0, 0, SOCKET_ID_ANY);
        ctx = new net::net_ctx();
        ctx->neigh = net::neighbour_table::create("fuzz_neigh", 64, SOCKET_ID_ANY);
        ctx->pool = pool;
        ctx->clone_pool = clones;
        ctx->neigh_cfg = {300 * hz, hz, 3};
        ctx->now_tsc = 1000 * hz;
        cfg.n_ports = 1;
        cfg.ports[0].mac = rte_ether_addr{{0x02, 0, 0, 0, 0, 0x01}};
        cfg.ports[0].n_addrs = 1;
        cfg.ports[0].addrs[0] = {inet_addr("198.18.0.1"), inet_addr("255.255.255.0")};
        ctx->cfg = &cfg;
        if (pool == nullptr || clones == nullptr || !ctx->neigh) {
            std::abort();
        }
        auto* n = ctx->neigh->add(0, inet_addr("198.18.0.2"));
        n->mac = rte_ether_addr{{0x02, 0, 0, 0, 0, 0x02}};
        n->state = net::neigh_state::reachable;
        n->stamp_tsc = ctx->now_tsc;
        p.tsc_hz = hz;
        auto stack = tcp::tcp_stack::create("fuzz_tcp", p, *ctx, SOCKET_ID_ANY);
        if (!stack) {
            std::abort();
        }
        tcp = stack.release();
        ctx->tcp = tcp;
        ctx->tcp_input = tcp::tcp_input;
    }

    // A frame from the peer 198.18.0.2 to 198.18.0.1: Ethernet and IPv4
    // headers (protocol TCP) written, room for `l4` bytes after them. The
    // IPv4 header is returned; the caller writes the TCP part after it.
    rte_ipv4_hdr* peer_frame(size_t l4, rte_mbuf*& m) const {
        m = rte_pktmbuf_alloc(pool);
        if (m == nullptr) {
            std::abort();
        }
        char* b = rte_pktmbuf_append(
            m, static_cast<uint16_t>(sizeof(rte_ether_hdr) + sizeof(rte_ipv4_hdr) + l4));
        auto* eth = reinterpret_cast<rte_ether_hdr*>(b);
        eth->dst_addr = cfg.ports[0].mac;
        eth->src_addr = rte_ether_addr{{0x02, 0, 0, 0, 0, 0x02}};
        eth->ether_type = htons(RTE_ETHER_TYPE_IPV4);
        auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
        std::memset(ip, 0, sizeof(*ip));
        ip->version_ihl = 0x45;
        ip->total_length = htons(static_cast<uint16_t>(sizeof(rte_ipv4_hdr) + l4));
        ip->time_to_live = 64;
        ip->next_proto_id = IPPROTO_TCP;
        ip->src_addr = inet_addr("198.18.0.2");
        ip->dst_addr = inet_addr("198.18.0.1");
        ip->hdr_checksum = rte_ipv4_cksum(ip);
        return ip;
    }

    // Mbufs the stack legitimately holds: queues and ARP waits.
    unsigned held() const {
        unsigned n = 0;
        auto segs = [](const rte_mbuf* m) { return m != nullptr ? unsigned{m->nb_segs} : 0u; };
        for (const auto& t : tcp->all()) {
            if (t.in_use) {
                n += segs(t.sndq) + segs(t.rcvq);
                tcp->ooo_for_each(t, [&](const auto& o) { n += segs(o.m); });
            }
        }
        return n + held_by_neighbours(*ctx->neigh);
    }

    // After each input: every mbuf free or held by a queue we know of, and
    // every indirect one free (nothing sent still refers to a send queue).
    void check_pools() const {
        if (rte_mempool_avail_count(pool) + held() != pool->size) {
            std::fprintf(stderr, "mbuf leak: %u free + %u held != %u\n",
                         rte_mempool_avail_count(pool), held(), pool->size);
            std::abort();
        }
        if (rte_mempool_avail_count(clones) != clones->size) {
            std::fprintf(stderr, "indirect mbuf leak: %u of %u free\n",
                         rte_mempool_avail_count(clones), clones->size);
            std::abort();
        }
    }
};

}  // namespace imsd::test

// libFuzzer target: TCP segment input with arbitrary flags, options, lengths
// and sequence numbers, on connections that live across inputs (echo and
// sink services listen). The fuzzer writes the TCP header and payload; this
// harness wraps them in valid Ethernet and IPv4 headers and, unless the first
// byte says otherwise, a valid TCP checksum, so the state machine is reached.
// Each input also advances the clock and runs the timers. Any crash,
// sanitizer report or lost mbuf aborts.

#include <arpa/inet.h>
#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "dataplane/tcp/tcp.hpp"
#include "tests/support/eal_env.hpp"
#include "tests/support/held_mbufs.hpp"

namespace {

using namespace imsd::dp;

rte_mempool* g_pool = nullptr;
rte_mempool* g_clones = nullptr;  // indirect mbufs: zero-copy transmit
net::net_ctx* g_ctx = nullptr;
net::net_config g_cfg;
tcp::tcp_stack* g_tcp = nullptr;
constexpr uint64_t hz = 1'000'000;

unsigned segs(const rte_mbuf* m) { return m != nullptr ? m->nb_segs : 0; }

// Every mbuf not in the pool must be held by a queue we know of.
unsigned held() {
    unsigned n = 0;
    for (const auto& t : g_tcp->all()) {
        if (t.in_use) {
            n += segs(t.sndq) + segs(t.rcvq);
            g_tcp->ooo_for_each(t, [&](const auto& o) { n += segs(o.m); });
        }
    }
    n += imsd::test::held_by_neighbours(*g_ctx->neigh);
    return n;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    imsd::test::eal_init_for_tests();
    g_pool =
        rte_pktmbuf_pool_create("fuzz_pool", 8191, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    g_ctx = new net::net_ctx();
    g_ctx->neigh = net::neighbour_table::create("fuzz_neigh", 64, SOCKET_ID_ANY);
    g_ctx->pool = g_pool;
    g_clones = rte_pktmbuf_pool_create("fuzz_clones", 8191, 0, 0, 0, SOCKET_ID_ANY);
    g_ctx->clone_pool = g_clones;
    g_ctx->neigh_cfg = {300 * hz, hz, 3};
    g_ctx->now_tsc = 1000 * hz;
    g_cfg.n_ports = 1;
    g_cfg.ports[0].mac = rte_ether_addr{{0x02, 0, 0, 0, 0, 0x01}};
    g_cfg.ports[0].n_addrs = 1;
    g_cfg.ports[0].addrs[0] = {inet_addr("198.18.0.1"), inet_addr("255.255.255.0")};
    g_ctx->cfg = &g_cfg;
    // The peer's MAC is known, so replies leave at once.
    auto* n = g_ctx->neigh->add(0, inet_addr("198.18.0.2"));
    n->mac = rte_ether_addr{{0x02, 0, 0, 0, 0, 0x02}};
    n->state = net::neigh_state::reachable;
    n->stamp_tsc = g_ctx->now_tsc;
    tcp::tcp_params p;
    p.tsc_hz = hz;
    p.max_connections = 32;
    p.max_half_open = 16;
    p.max_time_wait = 8;
    p.rcv_buffer_bytes = 16384;
    p.ooo_pool_entries = 64;
    p.ooo_max_segs = 16;
    p.snd_buffer_bytes = 16384;
    auto stack = tcp::tcp_stack::create("fuzz_tcp", p, *g_ctx, SOCKET_ID_ANY);
    if (g_pool == nullptr || g_clones == nullptr || !g_ctx->neigh || !stack) {
        std::abort();
    }
    g_tcp = stack.release();
    g_ctx->tcp = g_tcp;
    g_ctx->tcp_input = tcp::tcp_input;
    tcp::start_echo_service(*g_tcp, 0, htons(7));
    tcp::start_sink_service(*g_tcp, 0, htons(9));
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 2) {
        return 0;
    }
    const uint8_t control = data[0];
    data += 1;
    size -= 1;
    const size_t l4 = std::min<size_t>(size, 1400);
    const size_t hdrs = sizeof(rte_ether_hdr) + sizeof(rte_ipv4_hdr);
    rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
    if (m == nullptr) {
        std::abort();
    }
    char* p = rte_pktmbuf_append(m, static_cast<uint16_t>(hdrs + l4));
    auto* eth = reinterpret_cast<rte_ether_hdr*>(p);
    eth->dst_addr = g_cfg.ports[0].mac;
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
    std::memcpy(ip + 1, data, l4);
    if (l4 >= sizeof(rte_tcp_hdr)) {
        auto* th = reinterpret_cast<rte_tcp_hdr*>(ip + 1);
        // Few ports, so inputs meet the same connections.
        static const uint16_t dports[] = {7, 9, 7, 9, 7, 9, 1, 0};
        th->dst_port = htons(dports[control & 7]);
        th->src_port = htons(static_cast<uint16_t>(40000 + ((control >> 3) & 3)));
        // Bit 6: speak in sequence, so handshakes complete and data flows
        // (the fuzzer cannot guess our random ISS).
        if ((control & 0x40) != 0) {
            if (auto* t =
                    g_tcp->lookup(ip->dst_addr, th->dst_port, ip->src_addr, th->src_port, 0)) {
                th->sent_seq = htonl(t->rcv_nxt.raw);
                th->recv_ack = htonl(t->snd_nxt.raw);
            }
        }
        if ((control & 0x80) == 0) {
            th->cksum = 0;
            th->cksum = rte_ipv4_udptcp_cksum(ip, th);
        }
    }
    g_ctx->now_tsc += static_cast<uint64_t>(control & 0x60) * 1000;
    net::net_input(*g_ctx, 0, std::span<rte_mbuf*>(&m, 1));
    g_tcp->timers_run(g_ctx->now_tsc);
    g_tcp->flush_acks();  // as the dataplane loop does every poll
    auto& tx = g_ctx->tx[0];
    for (uint16_t i = 0; i < tx.count; ++i) {
        rte_pktmbuf_free(tx.pkts[i]);
    }
    tx.count = 0;
    if (rte_mempool_avail_count(g_pool) + held() != g_pool->size) {
        std::fprintf(stderr, "mbuf leak: %u free + %u held != %u\n",
                     rte_mempool_avail_count(g_pool), held(), g_pool->size);
        std::abort();
    }
    // What was sent is freed: no segment refers to the send queues any more.
    if (rte_mempool_avail_count(g_clones) != g_clones->size) {
        std::fprintf(stderr, "indirect mbuf leak: %u of %u free\n",
                     rte_mempool_avail_count(g_clones), g_clones->size);
        std::abort();
    }
    return 0;
}

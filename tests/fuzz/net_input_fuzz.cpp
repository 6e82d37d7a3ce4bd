// libFuzzer target: the dataplane packet input path (Ethernet, ARP, IPv4,
// ICMP, neighbour resolution). Each input is one frame; the first byte also
// advances the clock so neighbour timers run. Any crash, sanitizer report or
// lost mbuf aborts.

#include <rte_eal.h>
#include <rte_mbuf.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "dataplane/net/context.hpp"
#include "tests/support/eal_env.hpp"
#include "tests/support/held_mbufs.hpp"

namespace {

rte_mempool* g_pool = nullptr;
imsd::dp::net::net_ctx* g_ctx = nullptr;
imsd::dp::net::net_config g_cfg;

uint32_t ip(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    return static_cast<uint32_t>(a) | static_cast<uint32_t>(b) << 8 |
           static_cast<uint32_t>(c) << 16 | static_cast<uint32_t>(d) << 24;
}

unsigned held_mbufs() { return imsd::test::held_by_neighbours(*g_ctx->neigh); }

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    imsd::test::eal_init_for_tests();
    g_pool =
        rte_pktmbuf_pool_create("fuzz_pool", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    g_ctx = new imsd::dp::net::net_ctx();
    g_ctx->neigh = imsd::dp::net::neighbour_table::create("fuzz_neigh", 64, SOCKET_ID_ANY);
    if (g_pool == nullptr || !g_ctx->neigh) {
        std::abort();
    }
    g_ctx->pool = g_pool;
    g_ctx->neigh_cfg = {300'000, 1'000, 3};
    g_ctx->now_tsc = 1'000'000;
    g_cfg.n_ports = 1;
    g_cfg.ports[0].mac = rte_ether_addr{{0x02, 0, 0, 0, 0, 0x01}};
    g_cfg.ports[0].n_addrs = 1;
    g_cfg.ports[0].addrs[0] = {ip(198, 18, 0, 1), ip(255, 255, 255, 0)};
    g_cfg.ports[0].gateway_be = ip(198, 18, 0, 254);
    g_ctx->cfg = &g_cfg;
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) {
        return 0;
    }
    g_ctx->now_tsc += static_cast<uint64_t>(data[0]) * 50;
    rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
    if (m == nullptr) {
        std::abort();  // the pool is sized for one frame in flight plus held ones
    }
    const uint16_t len = static_cast<uint16_t>(size > 2048 ? 2048 : size);
    std::memcpy(rte_pktmbuf_append(m, len), data, len);
    imsd::dp::net::net_input(*g_ctx, 0, std::span<rte_mbuf*>(&m, 1));
    if ((data[0] & 0x0f) == 0) {
        imsd::dp::net::neighbour_timers(*g_ctx);
    }
    auto& tx = g_ctx->tx[0];
    for (uint16_t i = 0; i < tx.count; ++i) {
        rte_pktmbuf_free(tx.pkts[i]);
    }
    tx.count = 0;
    // Every mbuf is either back in the pool or held for ARP resolution.
    if (rte_mempool_avail_count(g_pool) + held_mbufs() != g_pool->size) {
        std::fprintf(stderr, "mbuf leak: %u free + %u held != %u\n",
                     rte_mempool_avail_count(g_pool), held_mbufs(), g_pool->size);
        std::abort();
    }
    return 0;
}

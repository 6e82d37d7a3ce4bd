// libFuzzer target: SIP over UDP through the dataplane (dataplane/sip/udp):
// each input is one UDP payload to the SIP port, sent from one of eight
// source addresses (the first byte picks it, whether the checksum is set,
// and advances the clock), through net_input with per-source policing at a
// low rate. Checks what must hold whatever arrives: every mbuf is punted,
// answered or freed (none lost), and every answer the dataplane makes is a
// well-formed IPv4/UDP packet back to the sender carrying a SIP 400 or 513
// that ends its header section.

#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "dataplane/net/context.hpp"
#include "dataplane/sip/udp.hpp"
#include "tests/support/eal_env.hpp"
#include "tests/support/held_mbufs.hpp"

namespace {

rte_mempool* g_pool = nullptr;
rte_ring* g_punt = nullptr;
imsd::dp::net::net_ctx* g_ctx = nullptr;
imsd::dp::sip::sip_ctx* g_sip = nullptr;
imsd::dp::net::net_config g_cfg;

uint32_t addr4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    return static_cast<uint32_t>(a) | static_cast<uint32_t>(b) << 8 |
           static_cast<uint32_t>(c) << 16 | static_cast<uint32_t>(d) << 24;
}

void check_answer(rte_mbuf* m) {
    const auto* ipv4 = rte_pktmbuf_mtod_offset(m, const rte_ipv4_hdr*, sizeof(rte_ether_hdr));
    const auto* uh = reinterpret_cast<const rte_udp_hdr*>(ipv4 + 1);
    const uint32_t ip_len = rte_be_to_cpu_16(ipv4->total_length);
    const uint32_t udp_len = rte_be_to_cpu_16(uh->dgram_len);
    if (ipv4->next_proto_id != IPPROTO_UDP || ipv4->src_addr != addr4(198, 18, 0, 1) ||
        ip_len + sizeof(rte_ether_hdr) != rte_pktmbuf_pkt_len(m) ||
        udp_len + sizeof(rte_ipv4_hdr) != ip_len || uh->src_port != RTE_BE16(5060)) {
        std::abort();
    }
    const std::string_view text(reinterpret_cast<const char*>(uh + 1),
                                udp_len - sizeof(rte_udp_hdr));
    if (!(text.starts_with("SIP/2.0 400 ") || text.starts_with("SIP/2.0 513 ")) ||
        !text.ends_with("\r\nContent-Length: 0\r\n\r\n")) {
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    imsd::test::eal_init_for_tests();
    g_pool =
        rte_pktmbuf_pool_create("fuzz_pool", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    g_punt = rte_ring_create("fuzz_punt", 64, SOCKET_ID_ANY, 0);
    g_ctx = new imsd::dp::net::net_ctx();
    g_ctx->neigh = imsd::dp::net::neighbour_table::create("fuzz_neigh", 64, SOCKET_ID_ANY);
    g_sip = new imsd::dp::sip::sip_ctx();
    g_sip->policer = imsd::dp::sip::source_policer::create("fuzz_police", 4, SOCKET_ID_ANY, 1000);
    if (g_pool == nullptr || g_punt == nullptr || !g_ctx->neigh || !g_sip->policer) {
        std::abort();
    }
    g_sip->server = "IM-serv/OMA2.0 imsd/fuzz";
    g_sip->sweep_period_tsc = 1000;
    g_sip->idle_tsc = 5000;
    g_ctx->pool = g_pool;
    g_ctx->neigh_cfg = {300'000, 1'000, 3};
    g_ctx->now_tsc = 1'000'000;
    g_ctx->sip = g_sip;
    g_ctx->sip_udp_input = imsd::dp::sip::udp_input;
    g_ctx->punt_ring = g_punt;
    g_cfg.n_ports = 1;
    g_cfg.ports[0].mac = rte_ether_addr{{0x02, 0, 0, 0, 0, 0x01}};
    g_cfg.ports[0].n_addrs = 1;
    g_cfg.ports[0].addrs[0] = {addr4(198, 18, 0, 1), addr4(255, 255, 255, 0)};
    g_cfg.sip.port_be = RTE_BE16(5060);
    g_cfg.sip.rate_per_s = 5;  // per 1000 ticks: policing happens
    g_cfg.sip.burst = 3;
    g_cfg.sip.n_trusted = 1;
    g_cfg.sip.trusted[0] = {addr4(198, 18, 0, 7), addr4(255, 255, 255, 255)};
    g_ctx->cfg = &g_cfg;
    // Every source is a known neighbour: answers go out at once.
    for (uint8_t s = 0; s < 8; ++s) {
        auto* n = g_ctx->neigh->add(0, addr4(198, 18, 0, static_cast<uint8_t>(s)));
        n->state = imsd::dp::net::neigh_state::reachable;
        n->mac = rte_ether_addr{{0x02, 0, 0, 0, 0, 0x02}};
        n->stamp_tsc = g_ctx->now_tsc;
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) {
        return 0;
    }
    const uint8_t ctl = data[0];
    g_ctx->now_tsc += static_cast<uint64_t>(ctl >> 4) * 100;
    const size_t payload = std::min<size_t>(size - 1, 1400);
    rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
    if (m == nullptr) {
        std::abort();
    }
    const uint16_t len = static_cast<uint16_t>(sizeof(rte_ether_hdr) + sizeof(rte_ipv4_hdr) +
                                               sizeof(rte_udp_hdr) + payload);
    char* p = rte_pktmbuf_append(m, len);
    std::memset(p, 0, len);
    auto* eth = reinterpret_cast<rte_ether_hdr*>(p);
    eth->dst_addr = g_cfg.ports[0].mac;
    eth->src_addr = rte_ether_addr{{0x02, 0, 0, 0, 0, 0x02}};
    eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
    auto* ipv4 = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
    ipv4->version_ihl = RTE_IPV4_VHL_DEF;
    ipv4->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(len - sizeof(rte_ether_hdr)));
    ipv4->time_to_live = 64;
    ipv4->next_proto_id = IPPROTO_UDP;
    ipv4->src_addr = addr4(198, 18, 0, static_cast<uint8_t>(ctl & 7));
    ipv4->dst_addr = addr4(198, 18, 0, 1);
    ipv4->hdr_checksum = rte_ipv4_cksum(ipv4);
    auto* uh = reinterpret_cast<rte_udp_hdr*>(ipv4 + 1);
    uh->src_port = RTE_BE16(5070);
    uh->dst_port = RTE_BE16(5060);
    uh->dgram_len = rte_cpu_to_be_16(static_cast<uint16_t>(sizeof(rte_udp_hdr) + payload));
    std::memcpy(uh + 1, data + 1, payload);
    if ((ctl & 8) != 0) {
        uh->dgram_cksum = rte_ipv4_udptcp_cksum(ipv4, uh);
    }
    imsd::dp::net::net_input(*g_ctx, 0, std::span<rte_mbuf*>(&m, 1));
    imsd::dp::sip::sip_timers(*g_ctx);
    void* punted = nullptr;
    while (rte_ring_dequeue(g_punt, &punted) == 0) {
        rte_pktmbuf_free(static_cast<rte_mbuf*>(punted));
    }
    auto& tx = g_ctx->tx[0];
    for (uint16_t i = 0; i < tx.count; ++i) {
        check_answer(tx.pkts[i]);
        rte_pktmbuf_free(tx.pkts[i]);
    }
    tx.count = 0;
    const unsigned held = imsd::test::held_by_neighbours(*g_ctx->neigh);
    if (rte_mempool_avail_count(g_pool) + held != g_pool->size) {
        std::fprintf(stderr, "mbuf leak: %u free + %u held != %u\n",
                     rte_mempool_avail_count(g_pool), held, g_pool->size);
        std::abort();
    }
    return 0;
}

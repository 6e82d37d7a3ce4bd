// The packet classification and input path on synthetic frames, in packets/s
// and TSC cycles per packet (cycles counted around the measured call only).

#include <benchmark/benchmark.h>
#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include <vector>

#include "dataplane/net/cksum.hpp"
#include "dataplane/net/classify.hpp"
#include "dataplane/net/context.hpp"
#include "tests/support/eal_env.hpp"
#include "tests/support/frames.hpp"

namespace {

using namespace imsd;

constexpr uint16_t burst = 32;

rte_mempool* pool() {
    static rte_mempool* p = rte_pktmbuf_pool_create("bench_pool", 8191, 256, 0,
                                                    RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    return p;
}

rte_mbuf* to_mbuf(const std::vector<uint8_t>& f) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool());
    std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(f.size())), f.data(), f.size());
    return m;
}

// A realistic mix: mostly IPv4 (ICMP, UDP for SIP, TCP for MSRP), some ARP,
// some IPv6 noise.
std::vector<std::vector<uint8_t>> mixed_frames() {
    using namespace test;
    auto v4 = [](uint8_t proto, size_t len) {
        return ipv4_frame(mac(2), mac(1), addr("198.18.0.2"), addr("198.18.0.1"), proto,
                          std::vector<uint8_t>(len));
    };
    auto v6 = arp_frame(1, mac(2), 0, 0, mac(1));
    reinterpret_cast<rte_ether_hdr*>(v6.data())->ether_type = htons(RTE_ETHER_TYPE_IPV6);
    return {ipv4_frame(mac(2), mac(1), addr("198.18.0.2"), addr("198.18.0.1"), IPPROTO_ICMP,
                       icmp_echo(RTE_IP_ICMP_ECHO_REQUEST, 1, 1, 56)),
            v4(IPPROTO_TCP, 1200),
            v4(IPPROTO_UDP, 600),
            v4(IPPROTO_TCP, 40),
            arp_frame(1, mac(2), addr("198.18.0.2"), addr("198.18.0.1"), test::broadcast()),
            v4(IPPROTO_UDP, 300),
            v6,
            v4(IPPROTO_TCP, 1400)};
}

void BM_classify(benchmark::State& state) {
    auto frames = mixed_frames();
    std::vector<rte_mbuf*> pkts;
    for (size_t i = 0; i < 1024; ++i) {
        pkts.push_back(to_mbuf(frames[i % frames.size()]));
    }
    uint64_t cycles = 0;
    uint64_t n = 0;
    for (auto _ : state) {
        const uint64_t t0 = rte_rdtsc();
        for (rte_mbuf* m : pkts) {
            benchmark::DoNotOptimize(dp::net::classify(m));
        }
        cycles += rte_rdtsc() - t0;
        n += pkts.size();
    }
    state.SetItemsProcessed(static_cast<int64_t>(n));
    state.counters["cycles/pkt"] = static_cast<double>(cycles) / static_cast<double>(n);
    for (rte_mbuf* m : pkts) {
        rte_pktmbuf_free(m);
    }
}
BENCHMARK(BM_classify);

// The Internet checksum of a full segment's payload (1448 B): ours against
// DPDK 22.11's rte_raw_cksum, in one run.
template <bool Ours>
void BM_cksum(benchmark::State& state) {
    std::vector<uint8_t> buf(1448);
    for (size_t i = 0; i < buf.size(); ++i) {
        buf[i] = static_cast<uint8_t>(i * 7 + 3);
    }
    uint64_t cycles = 0;
    uint64_t n = 0;
    for (auto _ : state) {
        const uint64_t t0 = rte_rdtsc();
        for (int k = 0; k < 256; ++k) {
            buf[0] = static_cast<uint8_t>(k);
            benchmark::DoNotOptimize(Ours ? dp::net::raw_sum(buf.data(), buf.size())
                                          : rte_raw_cksum(buf.data(), buf.size()));
        }
        cycles += rte_rdtsc() - t0;
        n += 256;
    }
    state.SetBytesProcessed(static_cast<int64_t>(n * buf.size()));
    state.counters["cycles/1448B"] = static_cast<double>(cycles) / static_cast<double>(n);
}
void BM_cksum_ours(benchmark::State& state) { BM_cksum<true>(state); }
void BM_cksum_dpdk(benchmark::State& state) { BM_cksum<false>(state); }
BENCHMARK(BM_cksum_ours);
BENCHMARK(BM_cksum_dpdk);

// The whole input path (classify, validate, answer, resolve, enqueue) for one
// kind of frame; the frames are refilled outside the measured region.
void run_input(benchmark::State& state, const std::vector<uint8_t>& frame, bool learn_first) {
    dp::net::net_ctx ctx;
    static int n_tables = 0;
    std::string name = "bench_neigh_" + std::to_string(n_tables++);
    ctx.neigh = dp::net::neighbour_table::create(name.c_str(), 1024, SOCKET_ID_ANY);
    ctx.pool = pool();
    ctx.neigh_cfg = {UINT64_MAX / 2, rte_get_tsc_hz(), 3};
    dp::net::net_config cfg;
    cfg.n_ports = 1;
    cfg.ports[0].mac = test::mac(1);
    cfg.ports[0].n_addrs = 1;
    cfg.ports[0].addrs[0] = {test::addr("198.18.0.1"), test::addr("255.255.255.0")};
    ctx.cfg = &cfg;
    if (learn_first) {
        rte_mbuf* a = to_mbuf(test::arp_frame(1, test::mac(2), test::addr("198.18.0.2"),
                                              test::addr("198.18.0.1"), test::broadcast()));
        dp::net::net_input(ctx, 0, std::span<rte_mbuf*>(&a, 1));
        dp::net::net_ctx_drain(ctx);
        ctx.neigh->lookup(0, test::addr("198.18.0.2"));
    }
    rte_mbuf* pkts[burst];
    uint64_t cycles = 0;
    uint64_t bytes = 0;
    int64_t n = 0;
    for (auto _ : state) {
        state.PauseTiming();
        if (rte_pktmbuf_alloc_bulk(pool(), pkts, burst) != 0) {
            state.SkipWithError("mbuf pool empty");
            break;
        }
        for (rte_mbuf* m : pkts) {
            std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size())), frame.data(),
                        frame.size());
        }
        state.ResumeTiming();
        const uint64_t t0 = rte_rdtsc();
        dp::net::net_input(ctx, 0, std::span<rte_mbuf*>(pkts, burst));
        cycles += rte_rdtsc() - t0;
        state.PauseTiming();
        auto& tx = ctx.tx[0];
        rte_pktmbuf_free_bulk(tx.pkts.data(), tx.count);
        tx.count = 0;
        state.ResumeTiming();
        n += burst;
        bytes += uint64_t{burst} * frame.size();
    }
    state.SetItemsProcessed(n);
    state.SetBytesProcessed(static_cast<int64_t>(bytes));
    state.counters["cycles/pkt"] = n ? static_cast<double>(cycles) / static_cast<double>(n) : 0;
    state.counters["Mpps@cycles"] =
        n ? static_cast<double>(rte_get_tsc_hz()) / (static_cast<double>(cycles) / n) / 1e6 : 0;
    dp::net::net_ctx_drain(ctx);
}

void BM_input_icmp_echo(benchmark::State& state) {
    run_input(state,
              test::ipv4_frame(test::mac(2), test::mac(1), test::addr("198.18.0.2"),
                               test::addr("198.18.0.1"), IPPROTO_ICMP,
                               test::icmp_echo(RTE_IP_ICMP_ECHO_REQUEST, 1, 1, 56)),
              true);
}
BENCHMARK(BM_input_icmp_echo);

void BM_input_arp_request(benchmark::State& state) {
    run_input(state,
              test::arp_frame(1, test::mac(2), test::addr("198.18.0.2"), test::addr("198.18.0.1"),
                              test::broadcast()),
              false);
}
BENCHMARK(BM_input_arp_request);

void BM_input_drop_not_local(benchmark::State& state) {
    run_input(state,
              test::ipv4_frame(test::mac(2), test::mac(1), test::addr("198.18.0.2"),
                               test::addr("198.18.0.99"), IPPROTO_UDP, std::vector<uint8_t>(200)),
              true);
}
BENCHMARK(BM_input_drop_not_local);

}  // namespace

int main(int argc, char** argv) {
    imsd::test::eal_init_for_tests();
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

// Per-source policing of SIP (dataplane/sip/police): the token bucket look-up
// every datagram pays before it is framed - one busy source, and 10,000
// sources in turn (the rte_hash look-up out of cache). Cycles per message.

#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <rte_cycles.h>

#include <atomic>
#include <string>

#include "dataplane/sip/police.hpp"
#include "tests/support/eal_env.hpp"

namespace {

using imsd::dp::sip::police_rate;
using imsd::dp::sip::source_policer;

void run(benchmark::State& state, uint32_t sources) {
    imsd::test::eal_init_for_tests();
    static std::atomic<int> n{0};
    const std::string name = "bench_police_" + std::to_string(n++);
    auto p = source_policer::create(name.c_str(), 16384, SOCKET_ID_ANY, rte_get_tsc_hz());
    if (!p) {
        state.SkipWithError("no policing table");
        return;
    }
    // A rate no source reaches here: every message is admitted, each one
    // still refills and takes from its bucket.
    const police_rate rate{100'000'000, 100'000'000};
    uint32_t i = 0;
    uint64_t admitted = 0;
    const uint64_t c0 = rte_rdtsc();
    for (auto _ : state) {
        const uint32_t src = htonl(0xc6120000u + (i++ % sources));
        admitted += p->admit(src, rte_rdtsc(), rate) == source_policer::outcome::admitted;
    }
    const uint64_t cycles = rte_rdtsc() - c0;
    benchmark::DoNotOptimize(admitted);
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
    state.counters["cycles_per_msg"] =
        benchmark::Counter(static_cast<double>(cycles) / static_cast<double>(state.iterations()));
}

void BM_sip_police_one_source(benchmark::State& s) { run(s, 1); }
void BM_sip_police_10k_sources(benchmark::State& s) { run(s, 10'000); }
BENCHMARK(BM_sip_police_one_source);
BENCHMARK(BM_sip_police_10k_sources);

}  // namespace

// The MSRP relay's own cost, apart from any PMD: imsgen's MSRP workload
// (bench/imsgen/msrp_load: leg A keeps a window of SENDs outstanding, leg B
// answers each with 200) on one TCP stack, imsd's relay on another, back to
// back in one thread (bench/support/stack_pair.hpp). Only the relay end's
// polls are timed: net_input, TCP timers, the relay's output, the owed ACKs,
// i.e. everything the dataplane loop does per poll except rx/tx bursts.
//
// Set beside bench/msrp_relay_bench.sh (the same work over net_memif, whole
// process CPU time): the difference between the two is what the PMD, the
// loop and the memory system cost on top of the relay.
//
// Reported per relayed message (a SEND relayed and its 200 relayed back):
// relay cycles, relay CPU-seconds per 1M, and packets in and out of the relay.

#include <benchmark/benchmark.h>
#include <rte_cycles.h>

#include <memory>
#include <string>

#include "bench/imsgen/msrp_load.hpp"
#include "bench/support/stack_pair.hpp"
#include "dataplane/msrp/relay.hpp"
#include "tests/support/eal_env.hpp"

namespace {

using namespace imsd;
using bench::stack_end;
using bench::wire;

void BM_relay(benchmark::State& state) {
    const auto body_bytes = static_cast<uint32_t>(state.range(0));
    const auto window = static_cast<uint32_t>(state.range(1));
    // Declared first, destroyed last: the stacks' callbacks refer to it.
    auto load = std::make_unique<bench::msrp_load>();
    stack_end peer("relay_peer", 2, 1), imsd("relay_imsd", 1, 2);

    dp::msrp::relay_params rp;
    rp.max_sessions = 4;
    rp.max_conns = 8;
    rp.max_pending = 4096;
    rp.media_ip_be = stack_end::addr(1);
    auto relay = dp::msrp::relay::create(*imsd.stack, rp);
    dp::msrp::session_info info;
    if (relay == nullptr || !relay->create_session(info)) {
        state.SkipWithError("no relay");
        return;
    }
    imsd.timed = true;
    imsd.after_input = [&] {
        imsd.stack->timers_run(imsd.ctx.now_tsc);
        relay->poll(imsd.ctx.now_tsc);
    };

    bench::msrp_load& w = *load;
    w.local_ip = stack_end::addr(2);
    w.imsd_ip = stack_end::addr(1);
    w.uri_a = info.local_uri[0];
    w.our_uri_a = "msrp://198.18.0.2:40000/imsgenlegA0001;tcp";
    w.our_uri_b = "msrp://198.18.0.2:7000/imsgenlegB0001;tcp";
    w.messages = UINT64_MAX;  // the benchmark decides when to stop
    w.msg_bytes = body_bytes;
    w.window = window;
    bench::msrp_listen(*peer.stack, &w);
    relay->set_remote(info.id, 0, w.our_uri_a, false);
    relay->set_remote(info.id, 1, w.our_uri_b, true);  // imsd connects leg B and binds it
    for (int i = 0; i < 10000 && !w.b_bound.load(); ++i) {
        wire(peer, imsd, 1);
    }
    bench::msrp_start(*peer.stack, &w);
    for (int i = 0; i < 10000 && w.answered == 0; ++i) {
        wire(peer, imsd, 1);
    }
    if (!w.b_bound.load() || w.answered == 0 || w.errors != 0) {
        const std::string why = "the session did not start (leg B bound: " +
                                std::to_string(static_cast<int>(w.b_bound.load())) +
                                ", answered: " + std::to_string(w.answered) +
                                ", load errors: " + std::to_string(w.errors) + ")";
        state.SkipWithError(why.c_str());
        return;
    }

    // About 64 MiB of bodies per iteration, at least 20,000 messages.
    const uint64_t per_iter = std::max<uint64_t>(20000, (64u << 20) / body_bytes);
    uint64_t msgs = 0, relay_cycles = 0, all_cycles = 0, pkts = 0;
    for (auto _ : state) {
        const uint64_t target = w.answered + per_iter;
        const uint64_t c0 = imsd.busy_cycles;
        const uint64_t p0 = imsd.packets_in + imsd.stack->cnt.segs_out;
        const uint64_t a0 = w.answered;
        const uint64_t t0 = rte_rdtsc();
        while (w.answered < target && w.errors == 0) {
            wire(peer, imsd, 1);
            peer.stack->timers_run(peer.ctx.now_tsc);
        }
        all_cycles += rte_rdtsc() - t0;
        relay_cycles += imsd.busy_cycles - c0;
        pkts += imsd.packets_in + imsd.stack->cnt.segs_out - p0;
        msgs += w.answered - a0;
    }
    if (w.errors != 0) {
        state.SkipWithError("errors on the load's side");
    }
    const double hz = static_cast<double>(rte_get_tsc_hz());
    const auto m = static_cast<double>(msgs);
    state.SetItemsProcessed(static_cast<int64_t>(msgs));
    state.SetBytesProcessed(static_cast<int64_t>(msgs * body_bytes));
    state.counters["relay_cycles_per_msg"] = static_cast<double>(relay_cycles) / m;
    state.counters["relay_cpu_s_per_1M"] = static_cast<double>(relay_cycles) / hz / (m / 1e6);
    state.counters["both_ends_cycles_per_msg"] = static_cast<double>(all_cycles) / m;
    state.counters["relay_pkts_per_msg"] = static_cast<double>(pkts) / m;
    state.counters["relay_pkts_per_poll"] =
        static_cast<double>(imsd.packets_in) / static_cast<double>(imsd.polls);
    if (w.a.c.valid()) {
        dp::tcp::tcp_abort(*peer.stack, w.a.c);
    }
    wire(peer, imsd, 1);
    // The stacks' drains call back into the relay and the load: they go first.
    imsd.after_input = nullptr;
    imsd.stack.reset();
    peer.stack.reset();
    relay.reset();
}
// {body bytes, SENDs outstanding}: the sizes and windows msrp_relay_bench.sh
// runs (its window: 192 KiB of messages, at most 32), and 256 B one at a
// time (no batching to be had).
BENCHMARK(BM_relay)
    ->Args({256, 32})
    ->Args({4096, 32})
    ->Args({65536, 2})
    ->Args({256, 1})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

}  // namespace

int main(int argc, char** argv) {
    imsd::test::eal_init_for_tests();
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

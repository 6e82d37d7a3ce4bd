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
// The relay writes its per-message delivery records into an event ring as
// in the daemon (since stop 21; before, it had none, which left ~40 cycles
// a message out of these figures).
//
// BM_relay_policy: the same with content rules (bench/support/policy_rules.hpp,
// 100 literals or 1,000 regexes, every rule count-only) and bodies cut from
// their high-match corpus. Beside the relay's figures, its scan rate (counters
// scan_bytes / scan_cycles) and, after the relay's loop, raw Hyperscan on the
// same bodies with the same database and scratch: whole bodies in one call,
// and fed per 1448-byte segment, a stream opened per body; per segment
// with one stream reset between bodies (as the relay's batch scans
// messages over several mbufs); and in block mode, a body a call (as it
// scans those in one mbuf).
// scan_ratio_* = the relay's rate over raw's (the goal: >= 0.9). Less noisy than
// msrp_relay_bench.sh's figures, which have the memif pair's phases in them.

#include <benchmark/benchmark.h>
#include <rte_cycles.h>
#include <rte_ring.h>

#include <algorithm>
#include <memory>
#include <string>

#include "bench/imsgen/msrp_load.hpp"
#include "bench/support/policy_corpus.hpp"
#include "bench/support/policy_rules.hpp"
#include "bench/support/stack_pair.hpp"
#include "dataplane/msrp/relay.hpp"
#include "dataplane/policy/policy.hpp"
#include "tests/support/eal_env.hpp"

namespace {

using namespace imsd;
using bench::stack_end;
using bench::wire;

int count_match(unsigned, unsigned long long, unsigned long long, unsigned, void* ctx) {
    ++*static_cast<uint64_t*>(ctx);
    return 0;
}

// Raw Hyperscan on `n` bodies of `body_bytes` cut from `text` as msrp_load
// cuts them, fed in pieces of `step` bytes, a stream opened and closed per
// body (or, `reuse`, one stream reset between bodies, as the relay's batch
// does): TSC cycles per byte.
double raw_scan_cycles_per_byte(const dp::policy::policy_set& ps, const std::string& text,
                                size_t body_bytes, uint64_t n, size_t step, bool reuse = false) {
    const size_t span = text.size() - body_bytes + 1;
    uint64_t matches = 0;
    hs_stream_t* kept = nullptr;
    if (reuse) {
        hs_open_stream(ps.db().db, 0, &kept);
    }
    const uint64_t t0 = rte_rdtsc();
    for (uint64_t i = 0; i < n; ++i) {
        const char* body = text.data() + (i * body_bytes) % span;
        hs_stream_t* st = kept;
        if (!reuse) {
            hs_open_stream(ps.db().db, 0, &st);
        }
        for (size_t p = 0; p < body_bytes; p += step) {
            hs_scan_stream(st, body + p, static_cast<unsigned>(std::min(step, body_bytes - p)), 0,
                           ps.scratch(0), count_match, &matches);
        }
        if (reuse) {
            hs_reset_stream(st, 0, ps.scratch(0), count_match, &matches);
        } else {
            hs_close_stream(st, ps.scratch(0), count_match, &matches);
        }
    }
    if (reuse) {
        hs_close_stream(kept, ps.scratch(0), nullptr, nullptr);
    }
    benchmark::DoNotOptimize(matches);
    return static_cast<double>(rte_rdtsc() - t0) / static_cast<double>(n * body_bytes);
}

// Raw Hyperscan in block mode on the same bodies, each whole in one call:
// what the relay does with a batched message lying in one mbuf.
double raw_block_cycles_per_byte(const dp::policy::policy_set& ps, const std::string& text,
                                 size_t body_bytes, uint64_t n) {
    const size_t span = text.size() - body_bytes + 1;
    uint64_t matches = 0;
    const uint64_t t0 = rte_rdtsc();
    for (uint64_t i = 0; i < n; ++i) {
        const char* body = text.data() + (i * body_bytes) % span;
        hs_scan(ps.db().block_db, body, static_cast<unsigned>(body_bytes), 0, ps.scratch(0),
                count_match, &matches);
    }
    benchmark::DoNotOptimize(matches);
    return static_cast<double>(rte_rdtsc() - t0) / static_cast<double>(n * body_bytes);
}

// rules: "" none, else bench::make_rules' kind.
void run(benchmark::State& state, const std::string& rules) {
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
    // The per-message delivery records go where the daemon's go: a ring of
    // the same size, emptied here by the peer's polls (untimed; the daemon's
    // housekeeping drain is in msrp_relay_bench.sh's figures).
    struct ring_free {
        void operator()(rte_ring* r) const { rte_ring_free(r); }
    };
    std::unique_ptr<rte_ring, ring_free> events(
        rte_ring_create_elem("bench_relay_events", sizeof(platform::media_event), 32768,
                             SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ));
    if (events == nullptr) {
        state.SkipWithError("no event ring");
        return;
    }
    rp.events = events.get();
    peer.after_input = [r = events.get()] {
        static platform::media_event sink[256];
        while (rte_ring_sc_dequeue_burst_elem(r, sink, sizeof(sink[0]), 256, nullptr) == 256) {
        }
    };
    auto relay = dp::msrp::relay::create(*imsd.stack, rp);
    dp::msrp::session_info info;
    if (relay == nullptr || !relay->create_session(info)) {
        state.SkipWithError("no relay");
        return;
    }
    // Static: the relay's stream pool outlives any one run (it is set once
    // per process), and the rules are compiled once per kind.
    static std::unique_ptr<dp::policy::policy_set> policy_sets[2];
    static std::string corpora[2];
    dp::policy::policy_set* ps = nullptr;
    std::string* corpus = nullptr;
    if (!rules.empty()) {
        const int k = rules == "literals" ? 0 : 1;
        if (policy_sets[k] == nullptr) {
            const auto r = bench::make_rules(rules, bench::corpus_rule_count(rules));
            auto set = dp::policy::policy_set::create(bench::compile_corpus_rules(r), {}, 1);
            // As the daemon runs: stream state from a pool (4 KiB blocks,
            // room for either database's).
            if (!set || !dp::policy::install_stream_pool(1024, 4096)) {
                state.SkipWithError("no policy set or stream pool");
                return;
            }
            size_t need = 0;
            hs_stream_size((*set)->db().db, &need);
            if (need > dp::policy::stream_block_bytes()) {
                state.SkipWithError("stream state larger than the pool's blocks");
                return;
            }
            policy_sets[k] = std::move(*set);
            corpora[k] = bench::make_corpus(r, 4 << 20);
        }
        ps = policy_sets[k].get();
        corpus = &corpora[k];
        relay->policy = ps;
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
    if (corpus != nullptr) {
        w.body_text = *corpus;
    }
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
    const uint64_t scan_b0 = relay->cnt.scan_bytes, scan_c0 = relay->cnt.scan_cycles;
    const uint64_t counted0 = relay->cnt.policy_counted;
    const uint64_t block0 = relay->cnt.scans_block, batched0 = relay->cnt.scans_batched;
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
    if (ps != nullptr) {
        const auto sb = static_cast<double>(relay->cnt.scan_bytes - scan_b0);
        const auto sc = static_cast<double>(relay->cnt.scan_cycles - scan_c0);
        if (sb < m * body_bytes) {
            state.SkipWithError("the relay scanned fewer bytes than it relayed");
        }
        const double ours = sc / sb;
        const uint64_t n = std::min<uint64_t>(msgs, (256u << 20) / body_bytes);
        const double whole = raw_scan_cycles_per_byte(*ps, *corpus, body_bytes, n, body_bytes);
        const double segs = raw_scan_cycles_per_byte(*ps, *corpus, body_bytes, n, 1448);
        const double reset = raw_scan_cycles_per_byte(*ps, *corpus, body_bytes, n, 1448, true);
        state.counters["scan_cycles_per_byte"] = ours;
        // Every rule counts only: each match is one call of the relay's
        // match callback (and of raw's, which only adds one).
        state.counters["matches_per_msg"] =
            static_cast<double>(relay->cnt.policy_counted - counted0) / m;
        state.counters["raw_whole_cycles_per_byte"] = whole;
        state.counters["raw_segs_cycles_per_byte"] = segs;
        state.counters["scan_ratio_whole"] = whole / ours;
        state.counters["scan_ratio_segs"] = segs / ours;
        // Against raw reusing one stream too (hs_reset_stream), as the
        // relay's batch does: what the API allows at best.
        state.counters["raw_reset_cycles_per_byte"] = reset;
        state.counters["scan_ratio_reset"] = reset / ours;
        // Against raw block mode, each body in one call: what the relay
        // uses for batched messages in one mbuf (scans_block of scans).
        const double block = raw_block_cycles_per_byte(*ps, *corpus, body_bytes, n);
        state.counters["raw_block_cycles_per_byte"] = block;
        state.counters["scan_ratio_block"] = block / ours;
        state.counters["block_share"] =
            static_cast<double>(relay->cnt.scans_block - block0) /
            static_cast<double>(std::max<uint64_t>(1, relay->cnt.scans_batched - batched0));
    }
    if (w.a.c.valid()) {
        dp::tcp::tcp_abort(*peer.stack, w.a.c);
    }
    wire(peer, imsd, 1);
    // The stacks' drains call back into the relay and the load: they go first.
    imsd.after_input = nullptr;
    peer.after_input = nullptr;
    imsd.stack.reset();
    peer.stack.reset();
    relay.reset();
}

void BM_relay(benchmark::State& state) { run(state, ""); }
void BM_relay_policy_100_literals(benchmark::State& state) { run(state, "literals"); }
void BM_relay_policy_1000_regex(benchmark::State& state) { run(state, "regex"); }
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
// With rules: the three sizes msrp_relay_bench.sh runs.
void policy_sizes(benchmark::internal::Benchmark* b) {
    b->Args({256, 32})->Args({4096, 32})->Args({65536, 2});
    b->Unit(benchmark::kMillisecond)->Iterations(3);
}
BENCHMARK(BM_relay_policy_100_literals)->Apply(policy_sizes);
BENCHMARK(BM_relay_policy_1000_regex)->Apply(policy_sizes);

}  // namespace

int main(int argc, char** argv) {
    imsd::test::eal_init_for_tests();
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

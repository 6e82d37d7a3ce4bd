// Content scanning: raw Hyperscan streaming (one hs_scan_stream per message,
// the whole body contiguous) against imsd's message_scan as the relay uses
// it (the body fed in 1448-byte pieces, one TCP segment's payload each,
// verdict bookkeeping per match), and raw Hyperscan on the segments copied
// together first (gathered: what the relay does with a body spread over
// mbufs, 16 KiB at a time), and raw Hyperscan in vectored mode on the
// segments as they lie (one hs_scan_vector call, no copy: no cheaper than
// gathering on 100 literals, see docs/design/msrp.md), on the same rules and
// the same corpus (bench/support/policy_corpus.hpp: 100 literals or 1,000
// regexes, a match every ~300 bytes). The goal: ours >= 0.9x raw.

#include <benchmark/benchmark.h>
#include <rte_cycles.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench/support/policy_corpus.hpp"
#include "bench/support/policy_rules.hpp"
#include "dataplane/policy/policy.hpp"

namespace {

using namespace imsd;

struct fixture {
    std::unique_ptr<dp::policy::policy_set> set;
    std::string corpus;
    // The same rules in vectored mode (hs_scan_vector: a body's pieces in
    // one call, no copy) with a scratch of its own; null if refused.
    std::shared_ptr<hs_database_t> vectored;
    std::shared_ptr<hs_scratch_t> vectored_scratch;
};

void compile_vectored(fixture& f, const std::vector<bench::corpus_rule>& rules) {
    std::vector<const char*> exprs;
    std::vector<unsigned> flags, ids;
    for (const auto& r : rules) {
        exprs.push_back(r.expression.c_str());
        flags.push_back(HS_FLAG_SINGLEMATCH);
        ids.push_back(static_cast<unsigned>(ids.size()));
    }
    hs_database_t* db = nullptr;
    hs_compile_error_t* err = nullptr;
    if (hs_compile_multi(exprs.data(), flags.data(), ids.data(),
                         static_cast<unsigned>(exprs.size()), HS_MODE_VECTORED, nullptr, &db,
                         &err) != HS_SUCCESS) {
        hs_free_compile_error(err);
        return;
    }
    f.vectored.reset(db, hs_free_database);
    hs_scratch_t* scratch = nullptr;
    if (hs_alloc_scratch(db, &scratch) == HS_SUCCESS) {
        f.vectored_scratch.reset(scratch, hs_free_scratch);
    }
}

fixture& get(const std::string& kind) {
    static std::map<std::string, fixture> cache;
    auto it = cache.find(kind);
    if (it != cache.end()) {
        return it->second;
    }
    const auto rules = bench::make_rules(kind, bench::corpus_rule_count(kind));
    platform::content_db d = bench::compile_corpus_rules(rules);
    fixture f;
    f.set = std::move(*dp::policy::policy_set::create(std::move(d), {}, 1));
    f.corpus = bench::make_corpus(rules, 4 << 20);
    compile_vectored(f, rules);
    return cache.emplace(kind, std::move(f)).first->second;
}

int count_match(unsigned, unsigned long long, unsigned long long, unsigned, void* ctx) {
    ++*static_cast<uint64_t*>(ctx);
    return 0;
}

enum class how { raw_whole, raw_pieces, raw_gathered, raw_vectored, ours };

// state.range(0): message bytes; the corpus is cut into messages of that size.
void run(benchmark::State& state, const std::string& kind, how h) {
    fixture& f = get(kind);
    if (h == how::raw_vectored && f.vectored_scratch == nullptr) {
        state.SkipWithError("Hyperscan refused the rules in vectored mode");
        return;
    }
    const size_t msg = static_cast<size_t>(state.range(0));
    const size_t piece = 1448;
    size_t off = 0;
    uint64_t matches = 0;
    const uint64_t c0 = rte_rdtsc();
    for (auto _ : state) {
        if (off + msg > f.corpus.size()) {
            off = 0;
        }
        const std::string_view body(f.corpus.data() + off, msg);
        off += msg;
        if (h == how::raw_vectored) {
            // Vectored: the segments' payloads as they lie, one call for
            // them all (Hyperscan's own gather, without a copy).
            std::array<const char*, 64> data{};
            std::array<unsigned, 64> len{};
            unsigned n = 0;
            for (size_t p = 0; p < body.size() && n < data.size(); p += piece, ++n) {
                data[n] = body.data() + p;
                len[n] = static_cast<unsigned>(std::min(piece, body.size() - p));
            }
            hs_scan_vector(f.vectored.get(), data.data(), len.data(), n, 0,
                           f.vectored_scratch.get(), count_match, &matches);
            continue;
        }
        if (h == how::ours) {
            dp::policy::message_scan m;
            m.open(*f.set, 0);
            for (size_t p = 0; p < body.size(); p += piece) {
                m.feed(body.substr(p, piece));
            }
            m.finish();
            matches += m.verdict().counted;
        } else {
            hs_stream_t* st = nullptr;
            hs_open_stream(f.set->db().db, 0, &st);
            // Whole: the message contiguous, one call. Pieces: as TCP
            // delivers it, one call per segment (what any streaming scan
            // behind a TCP stack pays).
            if (h == how::raw_gathered) {
                // Gathered: the segments' payloads copied together first
                // (as the relay does with a body spread over mbufs), then
                // one call.
                static char buf[64 << 10];
                for (size_t p = 0; p < body.size(); p += piece) {
                    std::memcpy(buf + p, body.data() + p, std::min(piece, body.size() - p));
                }
                hs_scan_stream(st, buf, static_cast<unsigned>(body.size()), 0, f.set->scratch(0),
                               count_match, &matches);
                hs_close_stream(st, f.set->scratch(0), count_match, &matches);
                continue;
            }
            const size_t step = h == how::raw_whole ? body.size() : piece;
            for (size_t p = 0; p < body.size(); p += step) {
                const size_t n = std::min(step, body.size() - p);
                hs_scan_stream(st, body.data() + p, static_cast<unsigned>(n), 0, f.set->scratch(0),
                               count_match, &matches);
            }
            hs_close_stream(st, f.set->scratch(0), count_match, &matches);
        }
    }
    const uint64_t cycles = rte_rdtsc() - c0;
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * msg));
    state.counters["cycles_per_byte"] = benchmark::Counter(
        static_cast<double>(cycles) / static_cast<double>(state.iterations() * msg));
    state.counters["matches_per_msg"] =
        benchmark::Counter(static_cast<double>(matches) / static_cast<double>(state.iterations()));
}

void BM_raw_hyperscan_100_literals(benchmark::State& s) { run(s, "literals", how::raw_whole); }
void BM_raw_hyperscan_segments_100_literals(benchmark::State& s) {
    run(s, "literals", how::raw_pieces);
}
void BM_raw_hyperscan_gathered_100_literals(benchmark::State& s) {
    run(s, "literals", how::raw_gathered);
}
void BM_raw_hyperscan_vectored_100_literals(benchmark::State& s) {
    run(s, "literals", how::raw_vectored);
}
void BM_imsd_scan_100_literals(benchmark::State& s) { run(s, "literals", how::ours); }
void BM_raw_hyperscan_1000_regex(benchmark::State& s) { run(s, "regex", how::raw_whole); }
void BM_raw_hyperscan_segments_1000_regex(benchmark::State& s) { run(s, "regex", how::raw_pieces); }
void BM_raw_hyperscan_gathered_1000_regex(benchmark::State& s) {
    run(s, "regex", how::raw_gathered);
}
void BM_imsd_scan_1000_regex(benchmark::State& s) { run(s, "regex", how::ours); }

BENCHMARK(BM_raw_hyperscan_100_literals)->Arg(256)->Arg(4096)->Arg(65536);
BENCHMARK(BM_raw_hyperscan_segments_100_literals)->Arg(256)->Arg(4096)->Arg(65536);
BENCHMARK(BM_raw_hyperscan_gathered_100_literals)->Arg(256)->Arg(4096)->Arg(65536);
BENCHMARK(BM_raw_hyperscan_vectored_100_literals)->Arg(256)->Arg(4096)->Arg(65536);
BENCHMARK(BM_imsd_scan_100_literals)->Arg(256)->Arg(4096)->Arg(65536);
BENCHMARK(BM_raw_hyperscan_1000_regex)->Arg(256)->Arg(4096)->Arg(65536);
BENCHMARK(BM_raw_hyperscan_segments_1000_regex)->Arg(256)->Arg(4096)->Arg(65536);
BENCHMARK(BM_raw_hyperscan_gathered_1000_regex)->Arg(256)->Arg(4096)->Arg(65536);
BENCHMARK(BM_imsd_scan_1000_regex)->Arg(256)->Arg(4096)->Arg(65536);

}  // namespace

BENCHMARK_MAIN();

// The MSRP parser on a stream of SEND chunks fed in 1448-byte pieces (one
// TCP segment's payload each), in bytes/s, messages/s and cycles per byte.

#include <benchmark/benchmark.h>
#include <rte_cycles.h>

#include <string>

#include "dataplane/msrp/parser.hpp"

namespace {

using namespace imsd;

struct counting_sink : dp::msrp::sink {
    uint64_t bodies = 0, ends = 0, errors = 0;
    void on_head(const dp::msrp::head& h) override { benchmark::DoNotOptimize(h.n_headers); }
    void on_body(std::string_view b, bool) override { bodies += b.size(); }
    void on_end(char) override { ++ends; }
    void on_error(const dp::msrp::error&) override { ++errors; }
};

std::string stream_of(size_t body_bytes, size_t messages) {
    std::string s;
    for (size_t i = 0; i < messages; ++i) {
        const std::string tid = "t" + std::to_string(100000 + i);
        s += "MSRP " + tid + " SEND\r\n";
        s += "To-Path: msrp://198.18.0.1:2855/s3cr3t0123456789abcdef;tcp\r\n";
        s += "From-Path: msrp://198.18.0.2:40000/cl1ent0123456789abcdef;tcp\r\n";
        s += "Message-ID: m" + std::to_string(i) + "\r\n";
        s += "Byte-Range: 1-" + std::to_string(body_bytes) + "/" + std::to_string(body_bytes) +
             "\r\n";
        s += "Content-Type: text/plain\r\n\r\n";
        for (size_t k = 0; k < body_bytes; ++k) {
            s += static_cast<char>('a' + (k * 7) % 26);
        }
        s += "\r\n-------" + tid + "$\r\n";
    }
    return s;
}

void BM_msrp_parse(benchmark::State& state) {
    const size_t body = static_cast<size_t>(state.range(0));
    const size_t messages = std::max<size_t>(1, (1 << 20) / (body + 200));
    const std::string s = stream_of(body, messages);
    dp::msrp::limits l;
    uint64_t cycles = 0, bytes = 0, msgs = 0;
    for (auto _ : state) {
        dp::msrp::parser p(l);
        counting_sink k;
        const uint64_t t0 = rte_rdtsc();
        for (size_t off = 0; off < s.size(); off += 1448) {
            p.feed(std::string_view(s).substr(off, 1448), k);
        }
        cycles += rte_rdtsc() - t0;
        if (k.ends != messages || k.errors != 0) {
            state.SkipWithError("parse failed");
            break;
        }
        bytes += s.size();
        msgs += messages;
    }
    state.SetBytesProcessed(static_cast<int64_t>(bytes));
    state.SetItemsProcessed(static_cast<int64_t>(msgs));
    state.counters["cycles/byte"] = static_cast<double>(cycles) / static_cast<double>(bytes);
    state.counters["cycles/msg"] = static_cast<double>(cycles) / static_cast<double>(msgs);
}
BENCHMARK(BM_msrp_parse)->Arg(256)->Arg(4096)->Arg(65536);

}  // namespace

BENCHMARK_MAIN();

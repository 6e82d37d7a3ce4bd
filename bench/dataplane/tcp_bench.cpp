// TCP cost, ours against the Linux kernel's, measured in the same run.
//
// Ours: two per-lcore TCP stacks back to back in one thread (A's tx is B's rx
// and the other way round, no NIC), so the cycles counted cover both ends,
// as the kernel's CPU time below covers both ends.
// Kernel: AF_INET sockets on 127.0.0.1, a sender and a receiver thread; the
// process CPU time (user + system) is counted. Loopback has a 64 KiB MTU and
// GSO, which favours the kernel against our 1500-byte MTU.
//
// Reported: CPU-seconds per GB of bulk transfer and per 1M 256-byte
// request/response exchanges, and the ratio kernel / ours.

#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <netinet/tcp.h>
#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <ctime>
#include <thread>
#include <vector>

#include "bench/support/stack_pair.hpp"
#include "dataplane/tcp/tcp.hpp"
#include "tests/support/eal_env.hpp"

namespace {

using namespace imsd;
namespace tcp = dp::tcp;

using bench::stack_end;
using bench::wire;

struct client_state {
    bool established = false;
    uint64_t received = 0;
};

const tcp::tcp_callbacks client_cb = {
    .on_accept = nullptr,
    .on_established = [](tcp::tcp_stack&, tcp::tcp_conn,
                         void* u) { static_cast<client_state*>(u)->established = true; },
    .on_data =
        [](tcp::tcp_stack& s, tcp::tcp_conn c, void* u) {
            rte_mbuf* m = tcp::tcp_recv(s, c);
            static_cast<client_state*>(u)->received += rte_pktmbuf_pkt_len(m);
            rte_pktmbuf_free(m);
            tcp::tcp_flush(s, c);
        },
    .on_peer_fin = nullptr,
    .on_writable = nullptr,
    .on_closed = nullptr,
};

rte_mbuf* data_mbuf(uint16_t len) {
    rte_mbuf* m = rte_pktmbuf_alloc(bench::pair_pool());
    std::memset(rte_pktmbuf_append(m, len), 'd', len);
    return m;
}

double cpu_seconds() {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// --- ours ---------------------------------------------------------------------------------

void BM_ours_bulk(benchmark::State& state) {
    stack_end a("bulk_a", 1, 2), b("bulk_b", 2, 1);
    tcp::start_sink_service(*b.stack, 0, htons(9));
    client_state cs;
    auto c = tcp::tcp_connect(*a.stack, 0, stack_end::addr(1), stack_end::addr(2), htons(9),
                              &client_cb, &cs);
    wire(a, b);
    if (!cs.established) {
        state.SkipWithError("no connection");
        return;
    }
    constexpr uint64_t per_iter = 16 << 20;  // 16 MiB per iteration
    uint64_t cycles = 0, bytes = 0;
    for (auto _ : state) {
        const uint64_t start_in = b.stack->cnt.bytes_in;
        const uint64_t t0 = rte_rdtsc();
        while (b.stack->cnt.bytes_in - start_in < per_iter) {
            while (tcp::tcp_send_space(*a.stack, c) >= 1448) {
                if (!tcp::tcp_send(*a.stack, c, data_mbuf(1448))) {
                    break;
                }
            }
            wire(a, b);
            a.stack->timers_run(a.ctx.now_tsc);
            b.stack->timers_run(b.ctx.now_tsc);
        }
        cycles += rte_rdtsc() - t0;
        bytes += b.stack->cnt.bytes_in - start_in;
    }
    const double secs = static_cast<double>(cycles) / static_cast<double>(rte_get_tsc_hz());
    state.SetBytesProcessed(static_cast<int64_t>(bytes));
    state.counters["cpu_s_per_GB"] = secs / (static_cast<double>(bytes) / 1e9);
    state.counters["cycles_per_byte"] = static_cast<double>(cycles) / static_cast<double>(bytes);
    tcp::tcp_abort(*a.stack, c);
    wire(a, b);
}
BENCHMARK(BM_ours_bulk)->Unit(benchmark::kMillisecond)->Iterations(8);

void BM_ours_rr256(benchmark::State& state) {
    stack_end a("rr_a", 1, 2), b("rr_b", 2, 1);
    tcp::start_echo_service(*b.stack, 0, htons(7));
    client_state cs;
    auto c = tcp::tcp_connect(*a.stack, 0, stack_end::addr(1), stack_end::addr(2), htons(7),
                              &client_cb, &cs);
    wire(a, b);
    constexpr int per_iter = 10000;
    uint64_t cycles = 0, msgs = 0;
    for (auto _ : state) {
        const uint64_t t0 = rte_rdtsc();
        for (int i = 0; i < per_iter; ++i) {
            const uint64_t want = cs.received + 256;
            tcp::tcp_send(*a.stack, c, data_mbuf(256));
            while (cs.received < want) {
                wire(a, b);
                a.stack->timers_run(a.ctx.now_tsc);
                b.stack->timers_run(b.ctx.now_tsc);
            }
        }
        cycles += rte_rdtsc() - t0;
        msgs += per_iter;
    }
    const double secs = static_cast<double>(cycles) / static_cast<double>(rte_get_tsc_hz());
    state.SetItemsProcessed(static_cast<int64_t>(msgs));
    state.counters["cpu_s_per_1M_msgs"] = secs / (static_cast<double>(msgs) / 1e6);
    tcp::tcp_abort(*a.stack, c);
    wire(a, b);
}
BENCHMARK(BM_ours_rr256)->Unit(benchmark::kMillisecond)->Iterations(5);

// --- the kernel, same work ---------------------------------------------------------------

int kernel_pair(int& server_side) {
    int l = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(l, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    socklen_t len = sizeof(a);
    getsockname(l, reinterpret_cast<sockaddr*>(&a), &len);
    listen(l, 1);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    connect(c, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    server_side = accept(l, nullptr, nullptr);
    close(l);
    int one = 1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(server_side, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return c;
}

void BM_kernel_bulk(benchmark::State& state) {
    int srv = -1;
    int cli = kernel_pair(srv);
    constexpr uint64_t per_iter = 16 << 20;
    std::vector<char> buf(1 << 16, 'd');
    double cpu = 0;
    uint64_t bytes = 0;
    for (auto _ : state) {
        const double c0 = cpu_seconds();
        std::thread rx([&] {
            std::vector<char> in(1 << 16);
            uint64_t got = 0;
            while (got < per_iter) {
                ssize_t n = recv(srv, in.data(), in.size(), 0);
                if (n <= 0) {
                    break;
                }
                got += static_cast<uint64_t>(n);
            }
        });
        uint64_t sent = 0;
        while (sent < per_iter) {
            ssize_t n = send(cli, buf.data(), std::min<uint64_t>(buf.size(), per_iter - sent), 0);
            if (n <= 0) {
                break;
            }
            sent += static_cast<uint64_t>(n);
        }
        rx.join();
        cpu += cpu_seconds() - c0;
        bytes += sent;
    }
    state.SetBytesProcessed(static_cast<int64_t>(bytes));
    state.counters["cpu_s_per_GB"] = cpu / (static_cast<double>(bytes) / 1e9);
    close(cli);
    close(srv);
}
BENCHMARK(BM_kernel_bulk)->Unit(benchmark::kMillisecond)->Iterations(8)->UseRealTime();

void BM_kernel_rr256(benchmark::State& state) {
    int srv = -1;
    int cli = kernel_pair(srv);
    constexpr int per_iter = 10000;
    std::atomic<bool> stop{false};
    std::thread echo([&] {
        char b[256];
        for (;;) {
            ssize_t n = recv(srv, b, sizeof(b), 0);
            if (n <= 0) {
                return;
            }
            send(srv, b, static_cast<size_t>(n), 0);
        }
    });
    char msg[256];
    std::memset(msg, 'm', sizeof(msg));
    double cpu = 0;
    uint64_t msgs = 0;
    for (auto _ : state) {
        const double c0 = cpu_seconds();
        for (int i = 0; i < per_iter; ++i) {
            send(cli, msg, sizeof(msg), 0);
            size_t got = 0;
            char in[256];
            while (got < sizeof(in)) {
                ssize_t n = recv(cli, in, sizeof(in) - got, 0);
                if (n <= 0) {
                    break;
                }
                got += static_cast<size_t>(n);
            }
        }
        cpu += cpu_seconds() - c0;
        msgs += per_iter;
    }
    shutdown(cli, SHUT_RDWR);
    echo.join();
    close(cli);
    close(srv);
    state.SetItemsProcessed(static_cast<int64_t>(msgs));
    state.counters["cpu_s_per_1M_msgs"] = cpu / (static_cast<double>(msgs) / 1e6);
}
BENCHMARK(BM_kernel_rr256)->Unit(benchmark::kMillisecond)->Iterations(5)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
    imsd::test::eal_init_for_tests();
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

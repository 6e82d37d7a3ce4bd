// c2c <cpu a> <cpu b>: the time a cache line takes to go from one CPU to the
// other and back (a round trip), in nanoseconds, on stdout.
//
// bench/msrp_relay_bench.sh runs it next to each run: on this VM the two
// vCPUs sometimes share a last-level cache and sometimes do not (~55 ns
// against ~340 ns a round trip, changing within seconds), and imsd with
// imsgen over memif hands every packet from one CPU to the other. A run is
// only comparable with runs in the same phase.
//
// Two threads, one pinned to each CPU, hand a counter back and forth: 100
// batches of 256 round trips; it prints the median batch's time a round trip
// (a batch the scheduler interrupted is an outlier, not the median). Bounded:
// it gives up after two seconds (exit 1) whatever the other thread does.

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace {

using clock_type = std::chrono::steady_clock;

constexpr int batches = 100;
constexpr int per_batch = 256;

struct alignas(64) line {
    std::atomic<uint64_t> value{0};
};

line ball;
std::atomic<bool> give_up{false};

bool pin(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

// Waits until the ball holds `want`. False: given up (the deadline passed).
bool wait_for(uint64_t want) {
    for (uint32_t spins = 0;; ++spins) {
        if (ball.value.load(std::memory_order_acquire) == want) {
            return true;
        }
        if ((spins & 0xfff) == 0 && give_up.load(std::memory_order_relaxed)) {
            return false;
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: c2c <cpu a> <cpu b>\n");
        return 2;
    }
    const int a = std::atoi(argv[1]);
    const int b = std::atoi(argv[2]);
    const auto deadline = clock_type::now() + std::chrono::seconds(2);
    bool b_pinned = true;
    std::thread other([&] {
        b_pinned = pin(b);
        // Answers every odd value with the next even one.
        for (uint64_t i = 0; i < uint64_t{batches} * per_batch; ++i) {
            if (!wait_for(2 * i + 1)) {
                return;
            }
            ball.value.store(2 * i + 2, std::memory_order_release);
        }
    });
    if (!pin(a)) {
        std::fprintf(stderr, "c2c: cannot run on CPU %d\n", a);
        give_up = true;
        other.join();
        return 1;
    }
    std::thread watchdog([&] {
        while (!give_up.load(std::memory_order_relaxed) && clock_type::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        give_up = true;
    });
    std::array<double, batches> ns{};
    uint64_t i = 0;
    bool done = true;
    for (int k = 0; k < batches && done; ++k) {
        const auto t0 = clock_type::now();
        for (int j = 0; j < per_batch; ++j, ++i) {
            ball.value.store(2 * i + 1, std::memory_order_release);
            if (!wait_for(2 * i + 2)) {
                done = false;
                break;
            }
        }
        const std::chrono::duration<double, std::nano> d = clock_type::now() - t0;
        ns[static_cast<size_t>(k)] = d.count() / per_batch;
    }
    give_up = true;
    watchdog.join();
    other.join();
    if (!done || !b_pinned) {
        std::fprintf(stderr, "c2c: %s\n",
                     b_pinned ? "no answer within 2 s" : "cannot run on the second CPU");
        return 1;
    }
    std::nth_element(ns.begin(), ns.begin() + batches / 2, ns.end());
    std::printf("%.0f\n", ns[batches / 2]);
    return 0;
}

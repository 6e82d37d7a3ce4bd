#pragma once

// The sigplane's end of the relay's event rings (platform/media/
// media_event.hpp): a thread drains every ring every few milliseconds and
// keeps the most recent events, with totals per kind, for `imsctl show msrp
// events`. The sigplane's procedures (history, charging, session state) will
// take their events from here as they arrive (add_listener); until then this
// is what keeps the rings drained and the records visible.

#include <rte_ring.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "platform/media/media_event.hpp"

namespace imsd::sig::media {

struct logged_event {
    platform::media_event ev;
    std::chrono::system_clock::time_point at;  // when the sigplane took it
};

class event_log {
   public:
    // Main thread: drains `rings` (single consumer: nobody else may dequeue
    // them); keeps the last `keep` events. With `period_ms` > 0 its own
    // thread drains every period_ms; with 0 the caller calls drain() (in
    // single-core mode the polling loop does, so no thread wakes on the
    // poller's CPU).
    static std::unique_ptr<event_log> start(std::vector<rte_ring*> rings, size_t keep,
                                            uint32_t period_ms);
    ~event_log();  // stops the thread; the rings may then be freed
    event_log(const event_log&) = delete;
    event_log& operator=(const event_log&) = delete;

    // Before start is returned to anyone else: called on the draining thread
    // for every event, in ring order per lcore.
    void add_listener(std::function<void(const platform::media_event&)> fn);

    // Any thread: the newest `n` events, oldest first; totals by kind.
    std::vector<logged_event> recent(size_t n) const;
    std::array<uint64_t, 6> totals() const;  // indexed by media_event_kind
    // Any thread: drain now (the CLI asks before it shows).
    void drain();
    // Drains unless another thread is at it (never waits: the single-core
    // polling loop calls this).
    void try_drain();

   private:
    event_log() = default;
    void run(std::stop_token st);
    void drain_locked();
    // One event: counted, handed to the listeners, and logged unless a
    // newer one of the same drain will take its place.
    void take(const platform::media_event& ev, std::chrono::system_clock::time_point now,
              bool overwritten);

    std::vector<rte_ring*> rings_;
    size_t keep_ = 0;
    uint32_t period_ms_ = 10;
    mutable std::mutex mu_;  // guards log_, totals_ and the rings' consumer side
    // The newest keep_ events, oldest at log_head_ once full: a fixed ring,
    // filled in place (a deque allocated a block every few events: at
    // 770,000 relayed messages a second the drain cost ~60 cycles a message
    // on the polling lcore, bench/msrp_relay_bench.sh's service_cycles).
    std::vector<logged_event> log_;
    size_t log_head_ = 0;
    std::array<uint64_t, 6> totals_{};
    std::vector<std::function<void(const platform::media_event&)>> listeners_;
    std::jthread thread_;
};

}  // namespace imsd::sig::media

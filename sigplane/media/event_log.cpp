#include "sigplane/media/event_log.hpp"

#include <algorithm>

namespace imsd::sig::media {

std::unique_ptr<event_log> event_log::start(std::vector<rte_ring*> rings, size_t keep,
                                            uint32_t period_ms) {
    std::unique_ptr<event_log> l(new event_log());
    l->rings_ = std::move(rings);
    l->keep_ = std::max<size_t>(keep, 1);
    l->log_.reserve(l->keep_);
    l->period_ms_ = period_ms;
    if (period_ms != 0) {
        l->thread_ = std::jthread([p = l.get()](std::stop_token st) { p->run(st); });
    }
    return l;
}

event_log::~event_log() {
    thread_.request_stop();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void event_log::add_listener(std::function<void(const platform::media_event&)> fn) {
    std::lock_guard lock(mu_);
    listeners_.push_back(std::move(fn));
}

void event_log::run(std::stop_token st) {
    while (!st.stop_requested()) {
        drain();
        std::this_thread::sleep_for(std::chrono::milliseconds(period_ms_));
    }
    drain();
}

void event_log::drain() {
    std::lock_guard lock(mu_);  // one consumer at a time per ring
    drain_locked();
}

void event_log::try_drain() {
    std::unique_lock lock(mu_, std::try_to_lock);
    if (lock.owns_lock()) {
        drain_locked();
    }
}

void event_log::drain_locked() {
    std::array<platform::media_event, 64> batch;
    for (rte_ring* r : rings_) {
        unsigned n = 0;
        do {
            n = rte_ring_sc_dequeue_burst_elem(r, batch.data(), sizeof(platform::media_event),
                                               static_cast<unsigned>(batch.size()), nullptr);
            const auto now = std::chrono::system_clock::now();
            for (unsigned i = 0; i < n; ++i) {
                const auto k = static_cast<size_t>(batch[i].kind);
                if (k < totals_.size()) {
                    ++totals_[k];
                }
                for (const auto& fn : listeners_) {
                    fn(batch[i]);
                }
                if (log_.size() < keep_) {
                    log_.push_back({batch[i], now});  // within the reserved room
                } else {
                    log_[log_head_] = {batch[i], now};
                    log_head_ = log_head_ + 1 == keep_ ? 0 : log_head_ + 1;
                }
            }
        } while (n == batch.size());
    }
}

std::vector<logged_event> event_log::recent(size_t n) const {
    std::lock_guard lock(mu_);
    const size_t count = std::min(n, log_.size());
    std::vector<logged_event> out;
    out.reserve(count);
    // Oldest first: the ring's oldest is at log_head_ (0 until it is full).
    for (size_t i = log_.size() - count; i < log_.size(); ++i) {
        out.push_back(log_[(log_head_ + i) % log_.size()]);
    }
    return out;
}

std::array<uint64_t, 6> event_log::totals() const {
    std::lock_guard lock(mu_);
    return totals_;
}

}  // namespace imsd::sig::media

#pragma once

// Publication of immutable snapshots with rte_rcu_qsbr.
//
// The control plane builds a new immutable T, publishes it, and frees the old
// one only after every reader thread has passed a quiescent state. Readers
// (worker lcores) load the pointer once per burst and report quiescence once
// per loop iteration; they never block and never lock.

#include <rte_rcu_qsbr.h>

#include <atomic>
#include <cstdint>
#include <expected>
#include <memory>

#include "platform/error.hpp"

namespace imsd::platform {

class rcu_domain {
   public:
    // Any thread. `max_readers` bounds the reader ids (0..max_readers-1).
    static std::expected<std::unique_ptr<rcu_domain>, error> create(uint32_t max_readers);
    ~rcu_domain();
    rcu_domain(const rcu_domain&) = delete;
    rcu_domain& operator=(const rcu_domain&) = delete;

    // Reader thread only: join / leave the domain with a unique id.
    void reader_online(uint32_t id) noexcept;
    void reader_offline(uint32_t id) noexcept;
    // Reader thread only: "I hold no snapshot pointer now." Once per loop.
    void quiescent(uint32_t id) noexcept { rte_rcu_qsbr_quiescent(qsbr_, id); }

    // Writer (control thread): returns once every online reader has passed a
    // quiescent state since the call began.
    void synchronize() noexcept { rte_rcu_qsbr_synchronize(qsbr_, RTE_QSBR_THRID_INVALID); }

    uint32_t max_readers() const noexcept { return max_readers_; }

   private:
    rcu_domain(rte_rcu_qsbr* q, uint32_t n) : qsbr_(q), max_readers_(n) {}
    rte_rcu_qsbr* qsbr_;
    uint32_t max_readers_;
};

template <typename T>
class rcu_snapshot {
   public:
    rcu_snapshot(rcu_domain& domain, std::unique_ptr<const T> initial)
        : domain_(domain), current_(initial.release()) {}
    ~rcu_snapshot() { delete current_.load(std::memory_order_acquire); }
    rcu_snapshot(const rcu_snapshot&) = delete;
    rcu_snapshot& operator=(const rcu_snapshot&) = delete;

    // Reader: valid until the caller's next quiescent() report.
    const T* get() const noexcept { return current_.load(std::memory_order_acquire); }

    // Writer (one control thread at a time): publishes `next`, waits for the
    // readers, and frees the previous snapshot. Returns when the old one is gone.
    void publish(std::unique_ptr<const T> next) {
        const T* old = current_.exchange(next.release(), std::memory_order_acq_rel);
        domain_.synchronize();
        delete old;
    }

   private:
    rcu_domain& domain_;
    std::atomic<const T*> current_;  // cp: writes, dp: reads
};

}  // namespace imsd::platform

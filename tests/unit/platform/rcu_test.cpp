#include "platform/rcu/rcu.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace imsd::platform {
namespace {

// A snapshot that poisons itself when freed, so a reader that sees a freed
// snapshot notices.
struct snap {
    static constexpr uint64_t alive = 0x5a5a5a5a5a5a5a5a;
    uint64_t canary = alive;
    uint64_t version = 0;
    uint64_t twice = 0;  // always 2 * version
    ~snap() { canary = 0; }
};

TEST(rcu_snapshot, readers_never_see_a_freed_or_torn_snapshot) {
    auto domain = rcu_domain::create(2);
    ASSERT_TRUE(domain);
    rcu_snapshot<snap> s(**domain, std::make_unique<const snap>());
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> bad{0};
    std::atomic<uint64_t> reads{0};
    std::atomic<int> online{0};
    std::vector<std::thread> readers;
    for (uint32_t id = 0; id < 2; ++id) {
        readers.emplace_back([&, id] {
            (*domain)->reader_online(id);
            online.fetch_add(1);
            uint64_t last = 0;
            while (!stop.load(std::memory_order_relaxed)) {
                const snap* p = s.get();
                for (int spin = 0; spin < 50; ++spin) {  // hold it a while
                    if (p->canary != snap::alive || p->twice != 2 * p->version ||
                        p->version < last) {
                        bad.fetch_add(1);
                    }
                }
                last = p->version;
                reads.fetch_add(1, std::memory_order_relaxed);
                (*domain)->quiescent(id);
            }
            (*domain)->reader_offline(id);
        });
    }
    while (online.load() < 2) {
        std::this_thread::yield();
    }
    for (uint64_t v = 1; v <= 300; ++v) {
        auto next = std::make_unique<snap>();
        next->version = v;
        next->twice = 2 * v;
        s.publish(std::move(next));
    }
    stop = true;
    for (auto& t : readers) {
        t.join();
    }
    EXPECT_EQ(bad.load(), 0u);
    // Each publish waits for every reader to pass a quiescent state, so each
    // reader finished at least one read per publish.
    EXPECT_GE(reads.load(), 300u);
    EXPECT_EQ(s.get()->version, 300u);
}

TEST(rcu_snapshot, publish_without_readers_returns_at_once) {
    auto domain = rcu_domain::create(4);
    ASSERT_TRUE(domain);
    rcu_snapshot<snap> s(**domain, std::make_unique<const snap>());
    for (int i = 0; i < 100; ++i) {
        s.publish(std::make_unique<const snap>());
    }
    EXPECT_EQ(s.get()->canary, snap::alive);
}

}  // namespace
}  // namespace imsd::platform

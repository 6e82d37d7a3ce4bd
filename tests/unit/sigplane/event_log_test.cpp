// sigplane/media/event_log: the relay's events kept newest-last, bounded,
// with totals of everything drained (imsctl show msrp events).

#include "sigplane/media/event_log.hpp"

#include <gtest/gtest.h>
#include <rte_ring.h>

#include <vector>

#include "tests/support/eal_env.hpp"

namespace {

using namespace imsd;

class event_log_test : public ::testing::Test {
   protected:
    void SetUp() override {
        test::eal_init_for_tests();
        ring_ = rte_ring_create_elem("evlog_test", sizeof(platform::media_event), 4096,
                                     SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
        ASSERT_NE(ring_, nullptr);
    }
    void TearDown() override {
        log_.reset();  // before the ring it drains
        rte_ring_free(ring_);
    }
    // Event i: a message record whose bytes say which it was.
    void put(uint64_t i, platform::media_event_kind k = platform::media_event_kind::message) {
        platform::media_event ev;
        ev.kind = k;
        ev.bytes = i;
        ASSERT_EQ(rte_ring_sp_enqueue_elem(ring_, &ev, sizeof(ev)), 0);
    }
    rte_ring* ring_ = nullptr;
    std::unique_ptr<sig::media::event_log> log_;
};

TEST_F(event_log_test, keeps_the_newest_in_order_as_it_wraps) {
    log_ = sig::media::event_log::start({ring_}, 5, 0);
    uint64_t next = 0;
    // Fewer than it keeps, then past it several times over, drained in
    // pieces of different sizes (the ring's oldest moves each time).
    for (unsigned batch : {3u, 4u, 1u, 7u, 130u, 2u}) {
        for (unsigned i = 0; i < batch; ++i) {
            put(next++);
        }
        log_->drain();
        const auto got = log_->recent(100);
        const size_t want = std::min<uint64_t>(next, 5);
        ASSERT_EQ(got.size(), want);
        for (size_t i = 0; i < want; ++i) {
            EXPECT_EQ(got[i].ev.bytes, next - want + i) << "after " << next << " events";
        }
    }
    // Fewer than it holds: the newest n, oldest first.
    const auto two = log_->recent(2);
    ASSERT_EQ(two.size(), 2u);
    EXPECT_EQ(two[0].ev.bytes, next - 2);
    EXPECT_EQ(two[1].ev.bytes, next - 1);
    EXPECT_EQ(log_->totals()[static_cast<size_t>(platform::media_event_kind::message)], next);
}

TEST_F(event_log_test, totals_count_every_kind_drained) {
    log_ = sig::media::event_log::start({ring_}, 2, 0);
    put(1, platform::media_event_kind::leg_connected);
    put(2, platform::media_event_kind::message);
    put(3, platform::media_event_kind::message);
    put(4, platform::media_event_kind::session_end);
    log_->try_drain();
    const auto t = log_->totals();
    EXPECT_EQ(t[static_cast<size_t>(platform::media_event_kind::leg_connected)], 1u);
    EXPECT_EQ(t[static_cast<size_t>(platform::media_event_kind::message)], 2u);
    EXPECT_EQ(t[static_cast<size_t>(platform::media_event_kind::session_end)], 1u);
    const auto got = log_->recent(10);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].ev.bytes, 3u);
    EXPECT_EQ(got[1].ev.bytes, 4u);
}

// Events are read in place in the ring, which hands a drain that spans its
// end over in two pieces; the log keeps only a drain's newest, but the
// listeners and the totals see every event, in order.
TEST_F(event_log_test, every_event_reaches_the_listeners_across_the_rings_end) {
    log_ = sig::media::event_log::start({ring_}, 7, 0);
    std::vector<uint64_t> heard;
    log_->add_listener([&](const platform::media_event& ev) { heard.push_back(ev.bytes); });
    uint64_t next = 0;
    for (unsigned batch : {1500u, 1500u, 1500u, 3000u, 1u}) {  // the 3rd and 4th wrap
        for (unsigned i = 0; i < batch; ++i) {
            put(next++);
        }
        log_->drain();
        ASSERT_EQ(heard.size(), next);
        const auto got = log_->recent(100);
        ASSERT_EQ(got.size(), 7u);
        for (size_t i = 0; i < got.size(); ++i) {
            EXPECT_EQ(got[i].ev.bytes, next - 7 + i) << "after " << next << " events";
        }
    }
    for (uint64_t i = 0; i < heard.size(); ++i) {
        ASSERT_EQ(heard[i], i);
    }
    EXPECT_EQ(log_->totals()[static_cast<size_t>(platform::media_event_kind::message)], next);
}

}  // namespace

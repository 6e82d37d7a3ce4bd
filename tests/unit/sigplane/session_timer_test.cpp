// RFC 4028 session timers of the B2BUA: negotiation as UAS (9) and as UAC
// (7.2), the values written on requests and responses (7.4), and what is due
// (10). OMA IM 6.1.2.2.2 INVITE step 5 and 200 OK steps 4-6.

#include "sigplane/b2bua/session_timer.hpp"

#include <gtest/gtest.h>

namespace imsd::sig {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using clock_t_ = std::chrono::steady_clock;

TEST(session_timer_rfc4028_9, request_interval_is_lowered_to_the_operators_never_raised) {
    se_request req{1800, refresher_param::none, true};
    EXPECT_EQ(negotiate_as_uas(req, 600, true).timer.interval_s, 600u);
    req.interval_s = 300;
    EXPECT_EQ(negotiate_as_uas(req, 600, true).timer.interval_s, 300u);
}

TEST(session_timer_rfc4028_9, no_session_expires_in_the_request_gets_imsds_own) {
    const auto d = negotiate_as_uas({std::nullopt, refresher_param::none, true}, 1800, true);
    EXPECT_EQ(d.timer.interval_s, 1800u);
    EXPECT_TRUE(d.timer.imsd_refreshes);
    EXPECT_EQ(d.refresher, refresher_param::uas);
}

TEST(session_timer_rfc4028_9, refresher_left_open_is_imsds_choice) {
    // OMA IM 6.1.2.2.2 200 OK step 5: refresher=uas (imsd refreshes).
    auto d = negotiate_as_uas({1800, refresher_param::none, true}, 1800, true);
    EXPECT_EQ(d.refresher, refresher_param::uas);
    EXPECT_TRUE(d.timer.imsd_refreshes);
    EXPECT_FALSE(d.require_timer);
    d = negotiate_as_uas({1800, refresher_param::none, true}, 1800, false);
    EXPECT_EQ(d.refresher, refresher_param::uac);
    EXPECT_FALSE(d.timer.imsd_refreshes);
    EXPECT_TRUE(d.require_timer);  // 9: refresher=uac needs Require: timer
}

TEST(session_timer_rfc4028_9, refresher_named_by_the_request_is_kept) {
    auto d = negotiate_as_uas({1800, refresher_param::uac, true}, 1800, true);
    EXPECT_EQ(d.refresher, refresher_param::uac);
    EXPECT_FALSE(d.timer.imsd_refreshes);
    EXPECT_TRUE(d.require_timer);
    d = negotiate_as_uas({1800, refresher_param::uas, true}, 1800, false);
    EXPECT_EQ(d.refresher, refresher_param::uas);
    EXPECT_TRUE(d.timer.imsd_refreshes);
}

TEST(session_timer_rfc4028_9, uac_without_timer_support_leaves_the_refreshes_to_imsd) {
    // Session-Expires inserted by a proxy, no "timer" in Supported: the UAC
    // cannot refresh, whatever the parameter says.
    const auto d = negotiate_as_uas({1800, refresher_param::uac, false}, 1800, false);
    EXPECT_EQ(d.refresher, refresher_param::uas);
    EXPECT_TRUE(d.timer.imsd_refreshes);
    EXPECT_FALSE(d.require_timer);
}

TEST(session_timer_rfc4028_7_2, answer_decides_who_refreshes) {
    auto t = negotiate_as_uac({1200, refresher_param::uas, true});
    EXPECT_EQ(t.interval_s, 1200u);
    EXPECT_FALSE(t.imsd_refreshes);
    t = negotiate_as_uac({1200, refresher_param::uac, true});
    EXPECT_TRUE(t.imsd_refreshes);
    t = negotiate_as_uac({1200, refresher_param::none, true});
    EXPECT_TRUE(t.imsd_refreshes);  // not named: imsd refreshes rather than nobody
}

TEST(session_timer_rfc4028_7_2, answer_without_session_expires_means_no_timer_on_the_dialog) {
    const auto t = negotiate_as_uac({std::nullopt, refresher_param::none, false});
    EXPECT_EQ(t.interval_s, 0u);
    EXPECT_FALSE(t.imsd_refreshes);
}

TEST(session_timer_rfc4028_7_4, values_written_name_the_refresher_from_each_message) {
    const dialog_timer imsd{90, true}, peer{90, false};
    EXPECT_EQ(session_expires_for_request(imsd), "90;refresher=uac");
    EXPECT_EQ(session_expires_for_request(peer), "90;refresher=uas");
    EXPECT_EQ(session_expires_for_response(imsd), "90;refresher=uas");
    EXPECT_EQ(session_expires_for_response(peer), "90;refresher=uac");
}

TEST(session_timer_rfc4028_10, refresher_refreshes_at_half_the_interval) {
    const auto t0 = clock_t_::now();
    const dialog_timer t{90, true};
    EXPECT_EQ(due(t, t0, t0, false, t0 + seconds(44)), timer_due::nothing);
    EXPECT_EQ(due(t, t0, t0, false, t0 + seconds(45)), timer_due::refresh);
    EXPECT_EQ(due(t, t0, t0, true, t0 + seconds(45)), timer_due::nothing);  // one at a time
    EXPECT_EQ(due(t, t0, t0 + seconds(50), false, t0 + seconds(46)), timer_due::nothing);
    EXPECT_EQ(due(t, t0, t0 + seconds(50), false, t0 + seconds(50)), timer_due::refresh);
}

TEST(session_timer_rfc4028_10, session_expires_before_the_interval_ends_on_either_role) {
    const auto t0 = clock_t_::now();
    // 90 s: BYE at 90 - min(32, 30) = 60 s; 1800 s: at 1800 - 32.
    for (bool imsd : {true, false}) {
        const dialog_timer t{90, imsd};
        EXPECT_NE(due(t, t0, t0, true, t0 + milliseconds(59999)), timer_due::expire);
        EXPECT_EQ(due(t, t0, t0, true, t0 + seconds(60)), timer_due::expire);
    }
    const dialog_timer peer{1800, false};
    EXPECT_EQ(due(peer, t0, t0, false, t0 + seconds(1767)), timer_due::nothing);
    EXPECT_EQ(due(peer, t0, t0, false, t0 + seconds(1768)), timer_due::expire);
}

TEST(session_timer_rfc4028_10,
     peer_refresher_is_never_refreshed_by_imsd_and_no_timer_never_expires) {
    const auto t0 = clock_t_::now();
    EXPECT_EQ(due({90, false}, t0, t0, false, t0 + seconds(50)), timer_due::nothing);
    EXPECT_EQ(due({0, true}, t0, t0, false, t0 + seconds(100000)), timer_due::nothing);
}

TEST(session_timer, refresher_parameter_parsing) {
    EXPECT_EQ(parse_refresher("UAC"), refresher_param::uac);
    EXPECT_EQ(parse_refresher("uas"), refresher_param::uas);
    EXPECT_EQ(parse_refresher("both"), refresher_param::none);
    EXPECT_STREQ(refresher_text(refresher_param::uac), "uac");
}

}  // namespace
}  // namespace imsd::sig

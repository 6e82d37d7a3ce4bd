// The Participating Function's checks, one test per spec step (OMA IM
// 6.1.1.1 steps 1-4, 6.1.2.1 steps 1-3), and the SDP reading they use.

#include <gtest/gtest.h>

#include "sigplane/checks/content.hpp"
#include "sigplane/checks/media_path.hpp"
#include "sigplane/checks/originating.hpp"
#include "sigplane/checks/sdp_offer.hpp"
#include "sigplane/checks/terminating.hpp"

namespace imsd::sig {
namespace {

request_facts session_from_alice() {
    request_facts r;
    r.method = "INVITE";
    r.kind = im_kind::session;
    r.originator = "sip:alice@example.net";
    r.user_agent = "IM-client/OMA2.0 Acme/1.1";
    r.offer.present = true;
    r.offer.accept_types = {"message/cpim", "text/plain"};
    return r;
}

request_facts pager_from_alice(std::string type, uint64_t bytes) {
    request_facts r = session_from_alice();
    r.method = "MESSAGE";
    r.kind = im_kind::pager;
    r.offer = {};
    r.content_type = std::move(type);
    r.body_bytes = bytes;
    return r;
}

served_user provisioned() {
    served_user u;
    u.provisioned = true;
    return u;
}

// ---- 6.1.1: the media-path decision ----

TEST(media_path_6_1_1, static_settings_decide_alone) {
    platform::im_settings s;
    served_user u = provisioned();
    u.history_active = true;
    s.media_path = platform::media_path_policy::always;
    EXPECT_TRUE(stays_in_media_path(s, nullptr, im_kind::session));
    EXPECT_TRUE(stays_in_media_path(s, &u, im_kind::file_transfer));
    s.media_path = platform::media_path_policy::never;
    EXPECT_FALSE(stays_in_media_path(s, &u, im_kind::session));
}

TEST(media_path_6_1_1, dynamic_follows_the_users_history_setting_and_charging) {
    platform::im_settings s;
    s.media_path = platform::media_path_policy::dynamic;
    served_user u = provisioned();
    EXPECT_FALSE(stays_in_media_path(s, &u, im_kind::session));
    EXPECT_FALSE(stays_in_media_path(s, nullptr, im_kind::session));
    u.history_active = true;
    EXPECT_TRUE(stays_in_media_path(s, &u, im_kind::session));
    EXPECT_TRUE(stays_in_media_path(s, &u, im_kind::large_message));
    u.history_active = false;
    s.charging_needs_media_path = true;
    EXPECT_TRUE(stays_in_media_path(s, &u, im_kind::session));
    EXPECT_TRUE(stays_in_media_path(s, nullptr, im_kind::session));
}

TEST(media_path_6_1_1, pager_mode_has_no_media_path) {
    platform::im_settings s;
    s.media_path = platform::media_path_policy::always;
    EXPECT_FALSE(stays_in_media_path(s, nullptr, im_kind::pager));
}

// ---- 6.1.1.1 ----

TEST(originating_6_1_1_1, step1_unauthenticated_originator_rejected_with_warning) {
    auto r = session_from_alice();
    r.originator.reset();
    const auto u = provisioned();
    auto v = originating::step1_originator_allowed(r, &u);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->status, 403);
    EXPECT_EQ(v->step, "6.1.1.1 step 1");
    EXPECT_NE(v->warning.find("not authenticated"), std::string::npos);
}

TEST(originating_6_1_1_1, step1_unprovisioned_user_rejected_with_warning) {
    const auto r = session_from_alice();
    auto v = originating::step1_originator_allowed(r, nullptr);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->status, 403);
    EXPECT_NE(v->warning.find("sip:alice@example.net"), std::string::npos);
    served_user u;  // known, not provisioned
    EXPECT_TRUE(originating::step1_originator_allowed(r, &u));
    u.provisioned = true;
    EXPECT_FALSE(originating::step1_originator_allowed(r, &u));
}

TEST(originating_6_1_1_1, step2_overdue_system_message_response_rejected_with_error_info) {
    platform::im_settings s;
    s.system_message_timeout_s = 300;
    auto u = provisioned();
    EXPECT_FALSE(originating::step2_system_message_response(u, s, 10'000));
    u.system_message_pending_since_s = 10'000 - 299;
    EXPECT_FALSE(originating::step2_system_message_response(u, s, 10'000)) << "timer running";
    u.system_message_pending_since_s = 10'000 - 300;
    auto v = originating::step2_system_message_response(u, s, 10'000);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->status, 403);
    EXPECT_EQ(v->step, "6.1.1.1 step 2");
    EXPECT_FALSE(v->error_info.empty());
}

TEST(originating_6_1_1_1, step3_client_release_checked_only_when_required) {
    platform::im_settings s;
    s.client_releases = {"2.0"};
    auto r = session_from_alice();
    r.user_agent = "IM-client/OMA1.0 Old/0.1";
    EXPECT_FALSE(originating::step3_client_release(r, s)) << "not required by default";
    s.require_client_release = true;
    auto v = originating::step3_client_release(r, s);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->status, 403);
    EXPECT_EQ(v->step, "6.1.1.1 step 3");
    EXPECT_FALSE(v->error_info.empty());
    EXPECT_NE(v->warning.find("OMA1.0"), std::string::npos);
    r.user_agent = "Acme/1.1 IM-client/OMA2.0 (linux)";
    EXPECT_FALSE(originating::step3_client_release(r, s));
    r.user_agent = "Acme/1.1";
    ASSERT_TRUE(originating::step3_client_release(r, s));
    EXPECT_NE(originating::step3_client_release(r, s)->warning.find("names no"), std::string::npos);
    r.user_agent = "XIM-client/OMA2.0";
    EXPECT_TRUE(originating::step3_client_release(r, s)) << "the token must start a product";
}

TEST(originating_6_1_1_1, client_release_token_is_read_from_user_agent) {
    EXPECT_EQ(originating::client_release("IM-client/OMA1.0 Acme/2"), "1.0");
    EXPECT_EQ(originating::client_release("im-client/oma2.0"), "2.0");
    EXPECT_EQ(originating::client_release("Acme/2 (IM-client/OMA1.0)"), "");
    EXPECT_EQ(originating::client_release(""), "");
}

TEST(originating_6_1_1_1, step4a_pager_content_type_rejected_415_with_accept) {
    platform::im_settings s;  // default pager policy: text/plain, message/cpim, 1300 bytes
    EXPECT_FALSE(originating::step4a_pager_content(pager_from_alice("text/plain", 100), s));
    auto v = originating::step4a_pager_content(pager_from_alice("image/jpeg", 100), s);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->status, 415);
    EXPECT_EQ(v->step, "6.1.1.1 step 4.a");
    EXPECT_EQ(v->accept, "text/plain, message/cpim");
}

TEST(originating_6_1_1_1, step4a_pager_size_over_policy_rejected_415) {
    platform::im_settings s;
    auto v = originating::step4a_pager_content(pager_from_alice("text/plain", 1301), s);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->status, 415);
    EXPECT_NE(v->warning.find("1300"), std::string::npos);
    EXPECT_FALSE(originating::step4a_pager_content(pager_from_alice("text/plain", 1300), s));
}

TEST(originating_6_1_1_1, step4b_session_accept_types_rejected_488_with_supported) {
    platform::im_settings s;
    s.session.content_types = {"text/plain"};
    auto r = session_from_alice();
    EXPECT_FALSE(originating::step4b_sdp_attributes(r, s)) << "text/plain is offered";
    r.offer.accept_types = {"image/*", "video/mp4"};
    auto v = originating::step4b_sdp_attributes(r, s);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->status, 488);
    EXPECT_EQ(v->step, "6.1.1.1 step 4.b");
    EXPECT_NE(v->warning.find("supported: types text/plain"), std::string::npos);
    r.offer.accept_types = {"*"};
    EXPECT_FALSE(originating::step4b_sdp_attributes(r, s));
}

TEST(originating_6_1_1_1, step4b_new_offer_in_a_reinvite_held_against_the_same_policy) {
    // 6.1.2.2.3: the re-INVITE's offer is a request of the session too.
    platform::im_settings s;
    s.session.content_types = {"text/plain"};
    const auto initial = session_from_alice();
    msrp_offer o = initial.offer;
    EXPECT_FALSE(new_offer(initial, o, true, s));
    o.accept_types = {"video/mp4"};
    auto v = new_offer(initial, o, true, s);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->status, 488);
    EXPECT_EQ(v->step, "6.1.1.1 step 4.b");
    v = new_offer(initial, o, false, s);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->step, "6.1.2.1 step 3.b");
    // The kind stays the session's: a Large Message session's size limit.
    s.large_message.max_size_bytes = 1000;
    request_facts large = initial;
    large.kind = im_kind::large_message;
    o.accept_types = {"text/plain"};
    o.max_size = 5000;
    EXPECT_TRUE(new_offer(large, o, true, s));
    EXPECT_FALSE(new_offer(initial, o, true, s));
}

TEST(originating_6_1_1_1, step4b_file_transfer_and_large_message_size_rejected_488) {
    platform::im_settings s;
    s.file_transfer.max_size_bytes = 1'000'000;
    s.large_message.max_size_bytes = 50'000;
    auto r = session_from_alice();
    r.kind = im_kind::file_transfer;
    r.offer.file_size = 2'000'000;
    auto v = originating::step4b_sdp_attributes(r, s);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->status, 488);
    EXPECT_NE(v->warning.find("max size 1000000 bytes"), std::string::npos);
    r.offer.file_size = 999'999;
    EXPECT_FALSE(originating::step4b_sdp_attributes(r, s));
    r.kind = im_kind::large_message;
    r.offer.max_size = 60'000;
    EXPECT_TRUE(originating::step4b_sdp_attributes(r, s));
    r.offer.max_size = 50'000;
    EXPECT_FALSE(originating::step4b_sdp_attributes(r, s));
}

TEST(originating_6_1_1_1, run_applies_the_steps_in_spec_order) {
    platform::im_settings s;
    s.require_client_release = true;
    s.client_releases = {"2.0"};
    auto u = provisioned();
    u.system_message_pending_since_s = 0;
    auto r = pager_from_alice("image/png", 5000);
    r.user_agent = "Old/1";
    // Steps 2, 3 and 4.a all fail: step 2 answers.
    EXPECT_EQ(originating::run(r, &u, s, 1'000'000)->step, "6.1.1.1 step 2");
    u.system_message_pending_since_s.reset();
    EXPECT_EQ(originating::run(r, &u, s, 1'000'000)->step, "6.1.1.1 step 3");
    r.user_agent = "IM-client/OMA2.0";
    EXPECT_EQ(originating::run(r, &u, s, 1'000'000)->step, "6.1.1.1 step 4.a");
    r = pager_from_alice("text/plain", 10);
    EXPECT_FALSE(originating::run(r, &u, s, 1'000'000));
    EXPECT_EQ(originating::run(r, nullptr, s, 1'000'000)->step, "6.1.1.1 step 1");
}

// ---- 6.1.2.1 ----

TEST(terminating_6_1_2_1, step1_session_barred_by_isb_settings) {
    served_user u;
    u.isb_active = true;
    auto v = terminating::step1_incoming_barring(session_from_alice(), u);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->status, 403);
    EXPECT_EQ(v->step, "6.1.2.1 step 1");
    auto ft = session_from_alice();
    ft.kind = im_kind::file_transfer;
    EXPECT_TRUE(terminating::step1_incoming_barring(ft, u));
    EXPECT_FALSE(terminating::step1_incoming_barring(pager_from_alice("text/plain", 1), u))
        << "isb does not bar pager mode";
}

TEST(terminating_6_1_2_1, step1_pager_and_large_message_barred_by_ipab_settings) {
    served_user u;
    u.ipab_active = true;
    EXPECT_TRUE(terminating::step1_incoming_barring(pager_from_alice("text/plain", 1), u));
    auto lm = session_from_alice();
    lm.kind = im_kind::large_message;
    EXPECT_TRUE(terminating::step1_incoming_barring(lm, u));
    EXPECT_FALSE(terminating::step1_incoming_barring(session_from_alice(), u));
}

TEST(terminating_6_1_2_1, step2a_session_rejected_by_shared_policy) {
    auto v = terminating::step2_access_policy(session_from_alice(), invite_permission::reject);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->status, 403);
    EXPECT_EQ(v->step, "6.1.2.1 step 2.a");
    EXPECT_FALSE(v->warning.empty());
    EXPECT_FALSE(terminating::step2_access_policy(session_from_alice(), invite_permission::allow));
    EXPECT_FALSE(terminating::step2_access_policy(session_from_alice(), invite_permission::none));
}

TEST(terminating_6_1_2_1, step2b_pager_rejected_by_policy) {
    auto v = terminating::step2_access_policy(pager_from_alice("text/plain", 1),
                                              invite_permission::reject);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->step, "6.1.2.1 step 2.b");
}

TEST(terminating_6_1_2_1, step3a_pager_content_rejected_415) {
    platform::im_settings s;
    auto v = terminating::step3a_pager_content(pager_from_alice("application/zip", 10), s);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->status, 415);
    EXPECT_EQ(v->step, "6.1.2.1 step 3.a");
    EXPECT_FALSE(v->accept.empty());
}

TEST(terminating_6_1_2_1, step3b_sdp_attributes_rejected_488) {
    platform::im_settings s;
    s.session.content_types = {"message/cpim"};
    auto r = session_from_alice();
    r.offer.accept_types = {"text/html"};
    auto v = terminating::step3b_sdp_attributes(r, s);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->status, 488);
    EXPECT_EQ(v->step, "6.1.2.1 step 3.b");
}

TEST(terminating_6_1_2_1, run_applies_the_steps_in_spec_order) {
    platform::im_settings s;
    s.session.content_types = {"message/cpim"};
    served_user u;
    u.isb_active = true;
    auto r = session_from_alice();
    r.offer.accept_types = {"text/html"};
    EXPECT_EQ(terminating::run(r, &u, invite_permission::reject, s, 1000)->step, "6.1.2.1 step 1");
    u.isb_active = false;
    EXPECT_EQ(terminating::run(r, &u, invite_permission::reject, s, 1000)->step,
              "6.1.2.1 step 2.a");
    EXPECT_EQ(terminating::run(r, nullptr, invite_permission::none, s, 1000)->step,
              "6.1.2.1 step 3.b");
    r.offer.accept_types = {"message/cpim"};
    EXPECT_FALSE(terminating::run(r, &u, invite_permission::allow, s, 1000));
}

TEST(terminating_6_1_2_1, step4_expired_pager_handled_by_local_policy) {
    platform::im_settings s;
    auto r = pager_from_alice("text/plain", 10);
    EXPECT_FALSE(terminating::step4_pager_expires(r, s, 5000)) << "no Expires: valid";
    r.valid_until_s = 5000;
    EXPECT_FALSE(terminating::step4_pager_expires(r, s, 5000)) << "valid to the second";
    auto v = terminating::step4_pager_expires(r, s, 5030);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->status, 403);
    EXPECT_EQ(v->step, "6.1.2.1 step 4");
    EXPECT_NE(v->warning.find("expired 30 s"), std::string::npos);
    s.deliver_expired_pager = true;
    EXPECT_FALSE(terminating::step4_pager_expires(r, s, 5030)) << "local policy: deliver";
    s.deliver_expired_pager = false;
    auto invite = session_from_alice();
    invite.valid_until_s = 1;
    EXPECT_FALSE(terminating::step4_pager_expires(invite, s, 5030)) << "Pager Mode only";
    EXPECT_EQ(terminating::run(r, nullptr, invite_permission::none, s, 5030)->step,
              "6.1.2.1 step 4");
}

// ---- SDP ----

TEST(sdp_offer, msrp_attributes_are_read) {
    const std::string sdp =
        "v=0\r\no=alice 1 1 IN IP4 198.18.0.2\r\ns=-\r\nc=IN IP4 198.18.0.2\r\nt=0 0\r\n"
        "m=audio 4000 RTP/AVP 0\r\n"
        "m=message 7654 TCP/MSRP *\r\n"
        "a=accept-types:message/cpim Text/Plain\r\n"
        "a=accept-wrapped-types:*\r\n"
        "a=max-size:131072\r\n"
        "a=path:msrp://198.18.0.2:7654/jshA7we;tcp\r\n"
        "a=setup:active\r\n"
        "a=file-selector:name:\"report.pdf\" type:application/pdf size:32349 hash:sha-1:72\r\n";
    auto o = parse_msrp_offer(sdp);
    ASSERT_TRUE(o) << o.error();
    EXPECT_TRUE(o->present);
    EXPECT_EQ(o->accept_types, (std::vector<std::string>{"message/cpim", "text/plain"}));
    EXPECT_EQ(o->accept_wrapped_types, std::vector<std::string>{"*"});
    EXPECT_EQ(o->max_size, 131072u);
    EXPECT_EQ(o->file_size, 32349u);
    EXPECT_EQ(o->path, "msrp://198.18.0.2:7654/jshA7we;tcp");
    EXPECT_EQ(o->setup, "active");
}

TEST(sdp_offer, no_msrp_media_and_bad_sdp) {
    auto o = parse_msrp_offer(
        "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n"
        "m=audio 4000 RTP/AVP 0\r\nc=IN IP4 1.2.3.4\r\n");
    ASSERT_TRUE(o) << o.error();
    EXPECT_FALSE(o->present);
    EXPECT_FALSE(parse_msrp_offer("this is not SDP"));
    EXPECT_FALSE(
        parse_msrp_offer("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n"
                         "m=message 1 TCP/MSRP *\r\nc=IN IP4 1.2.3.4\r\na=max-size:lots\r\n"));
}

}  // namespace
}  // namespace imsd::sig

#include "mgmt/users/directory.hpp"

#include <gtest/gtest.h>

namespace imsd::mgmt {
namespace {

const char* isb_on =
    "<im-service-settings xmlns=\"urn:oma:xml:im:im-service-settings\">"
    "<isb-settings><active>true</active></isb-settings></im-service-settings>";
const char* ipab_on =
    "<im-service-settings xmlns=\"urn:oma:xml:im:im-service-settings\">"
    "<ipab-settings><active>true</active></ipab-settings></im-service-settings>";
const char* reject_bob =
    "<cp:ruleset xmlns:cp=\"urn:ietf:params:xml:ns:common-policy\" "
    "xmlns:ocp=\"urn:oma:xml:xdm:common-policy\"><cp:rule id=\"r\"><cp:conditions>"
    "<cp:identity><cp:one id=\"sip:bob@example.com\"/></cp:identity>"
    "<ocp:media>pager-mode-message</ocp:media></cp:conditions>"
    "<cp:actions><ocp:allow-invite>reject</ocp:allow-invite></cp:actions></cp:rule>"
    "</cp:ruleset>";

class directory : public ::testing::Test {
   protected:
    void SetUp() override {
        auto s = platform::open_sqlite_store(":memory:");
        ASSERT_TRUE(s);
        store_ = std::move(*s);
        dir_ = std::make_unique<user_directory>(*store_);
    }
    terminating_verdict v(im_request kind, const char* from = "sip:bob@example.com") {
        return dir_->verdict("sip:alice@example.com", {from, false, kind, 0});
    }
    std::unique_ptr<platform::store> store_;
    std::unique_ptr<user_directory> dir_;
};

TEST_F(directory, terminating_6_1_2_1_step1_isb_bars_sessions_and_file_transfer_only) {
    EXPECT_TRUE(v(im_request::session).allowed);
    ASSERT_TRUE(dir_->put("sip:alice@example.com", doc_kind::service_settings, isb_on, "a"));
    auto s = v(im_request::session);
    EXPECT_FALSE(s.allowed);
    EXPECT_EQ(s.status, 403);
    EXPECT_EQ(s.step, "6.1.2.1 step 1");
    EXPECT_FALSE(v(im_request::file_transfer).allowed);
    EXPECT_TRUE(v(im_request::pager).allowed);
    EXPECT_TRUE(v(im_request::large_message).allowed);
}

TEST_F(directory, terminating_6_1_2_1_step1_ipab_bars_pager_and_large_message) {
    ASSERT_TRUE(dir_->put("sip:alice@example.com", doc_kind::service_settings, ipab_on, "a"));
    EXPECT_FALSE(v(im_request::pager).allowed);
    EXPECT_FALSE(v(im_request::large_message).allowed);
    EXPECT_TRUE(v(im_request::session).allowed);
}

TEST_F(directory, terminating_6_1_2_1_step2b_shared_policy_rejects_pager_from_sender) {
    ASSERT_TRUE(dir_->put("sip:alice@example.com", doc_kind::shared_policy, reject_bob, "p"));
    auto p = v(im_request::pager);
    EXPECT_FALSE(p.allowed);
    EXPECT_EQ(p.step, "6.1.2.1 step 2.b");
    EXPECT_EQ(p.matched_rules, std::vector<std::string>{"r"});
    EXPECT_TRUE(v(im_request::pager, "sip:carol@example.com").allowed);
    EXPECT_TRUE(v(im_request::session).allowed);
}

TEST_F(directory, a_put_or_delete_changes_the_verdict_at_once_and_survives_a_reload) {
    ASSERT_TRUE(dir_->put("sip:alice@example.com", doc_kind::service_settings, isb_on, "a"));
    EXPECT_FALSE(v(im_request::session).allowed);
    ASSERT_TRUE(dir_->remove("sip:alice@example.com", doc_kind::service_settings).value());
    EXPECT_TRUE(v(im_request::session).allowed);
    ASSERT_EQ(dir_->put("sip:alice@example.com", doc_kind::service_settings, isb_on, "a").value(),
              1u);
    user_directory fresh(*store_);
    EXPECT_EQ(fresh.load().value(), 1u);
    EXPECT_FALSE(
        fresh.verdict("sip:alice@example.com", {"sip:x@y", false, im_request::session, 0}).allowed);
    EXPECT_EQ(fresh.users(), std::vector<std::string>{"sip:alice@example.com"});
}

TEST_F(directory, invalid_documents_and_uris_change_nothing) {
    ASSERT_TRUE(dir_->put("sip:alice@example.com", doc_kind::service_settings, isb_on, "a"));
    auto bad = dir_->put("sip:alice@example.com", doc_kind::service_settings, "<oops", "bad.xml");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().where.rfind("bad.xml:", 0), 0u);
    EXPECT_FALSE(v(im_request::session).allowed) << "old document still in force";
    EXPECT_EQ(store_->get("user/sip:alice@example.com/service-settings").value()->version, 1u);
    for (const char* uri : {"alice@example.com", "sip:", "sip:a b@c", "http://x", "sip:a/b@c"}) {
        EXPECT_FALSE(dir_->put(uri, doc_kind::service_settings, isb_on, "a")) << uri;
    }
}

TEST(doc_kind_names, round_trip) {
    EXPECT_EQ(parse_doc_kind("service-settings"), doc_kind::service_settings);
    EXPECT_EQ(parse_doc_kind("shared-policy"), doc_kind::shared_policy);
    EXPECT_FALSE(parse_doc_kind("settings"));
}

}  // namespace
}  // namespace imsd::mgmt

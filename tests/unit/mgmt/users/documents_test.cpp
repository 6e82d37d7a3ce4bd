#include "mgmt/users/documents.hpp"

#include <gtest/gtest.h>

#include "mgmt/users/directory.hpp"

namespace imsd::mgmt {
namespace {

std::string settings_doc(const std::string& body) {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
           "<im-service-settings xmlns=\"urn:oma:xml:im:im-service-settings\">\n" +
           body + "</im-service-settings>\n";
}

std::string policy_doc(const std::string& rules) {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
           "<cp:ruleset xmlns:cp=\"urn:ietf:params:xml:ns:common-policy\"\n"
           "            xmlns:ocp=\"urn:oma:xml:xdm:common-policy\">\n" +
           rules + "</cp:ruleset>\n";
}

std::string rule(const std::string& id, const std::string& conditions, const std::string& action) {
    return "<cp:rule id=\"" + id + "\"><cp:conditions>" + conditions +
           "</cp:conditions><cp:actions><ocp:allow-invite>" + action +
           "</ocp:allow-invite></cp:actions></cp:rule>\n";
}

TEST(service_settings_doc, reads_every_setting_and_defaults_to_false) {
    auto s = parse_service_settings(
        settings_doc("<isb-settings><active>true</active></isb-settings>"
                     "<his-settings><hist-activation>1</hist-activation></his-settings>"),
        "a.xml");
    ASSERT_TRUE(s) << s.error().to_string();
    EXPECT_TRUE(s->isb_active);
    EXPECT_FALSE(s->ipab_active);
    EXPECT_TRUE(s->history_active);
    auto empty = parse_service_settings(settings_doc(""), "b.xml");
    ASSERT_TRUE(empty);
    EXPECT_FALSE(empty->isb_active || empty->ipab_active || empty->history_active);
}

TEST(service_settings_doc, schema_rules_are_enforced_with_lines) {
    struct tc {
        std::string body;
        int line;
    } cases[] = {
        {"<isb-settings><active>maybe</active></isb-settings>\n", 3},
        {"<isb-settings/><isb-settings/>\n", 3},
        {"<colour>red</colour>\n", 3},
        {"<his-settings><hist-activation>true</hist-activation><x/></his-settings>\n", 3},
    };
    for (const auto& c : cases) {
        auto s = parse_service_settings(settings_doc(c.body), "bad.xml");
        ASSERT_FALSE(s) << c.body;
        EXPECT_EQ(s.error().where, "bad.xml:" + std::to_string(c.line)) << s.error().to_string();
    }
    auto wrong_ns = parse_service_settings("<im-service-settings/>", "ns.xml");
    EXPECT_FALSE(wrong_ns);
}

TEST(service_settings_doc, hostile_documents_are_refused) {
    EXPECT_FALSE(parse_service_settings(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/shadow\">]>"
        "<im-service-settings xmlns=\"urn:oma:xml:im:im-service-settings\">&e;"
        "</im-service-settings>",
        "xxe.xml"));
    std::string deep = settings_doc(std::string(20000, ' '));
    for (int i = 0; i < 3000; ++i) {
        deep.insert(deep.find("</im-service"), "<his-settings>");
    }
    EXPECT_FALSE(parse_service_settings(deep, "deep.xml"));
    EXPECT_FALSE(parse_service_settings(std::string(2 << 20, ' '), "huge.xml"));
    EXPECT_FALSE(parse_service_settings(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><im-service-settings "
        "xmlns=\"urn:oma:xml:im:im-service-settings\">\xc3\x28</im-service-settings>",
        "utf8.xml"));
}

TEST(shared_policy_doc, parses_rules_conditions_and_actions) {
    auto p = parse_shared_policy(
        policy_doc(rule("r1",
                        "<cp:identity><cp:one id=\"sip:bob@Example.com\"/></cp:identity>"
                        "<ocp:media>message-session pager-mode-message</ocp:media>",
                        "reject") +
                   rule("r2", "<ocp:other-identity/>", "allow")),
        "p.xml");
    ASSERT_TRUE(p) << p.error().to_string();
    ASSERT_EQ(p->rules.size(), 2u);
    EXPECT_EQ(p->rules[0].id, "r1");
    EXPECT_EQ(p->rules[0].identity->ones[0], "sip:bob@example.com");
    EXPECT_EQ(p->rules[0].media, media_message_session | media_pager_mode_message);
    EXPECT_EQ(p->rules[0].allow_invite, invite_permission::reject);
    EXPECT_TRUE(p->rules[1].other_identity);
}

TEST(shared_policy_doc, invalid_documents_name_line_and_reason) {
    struct tc {
        std::string doc;
        const char* reason;
    } cases[] = {
        {policy_doc(rule("r1", "", "maybe")), "allow or reject"},
        {policy_doc(rule("r1", "<ocp:media>video</ocp:media>", "allow")), "unknown media"},
        {policy_doc(rule("r1", "", "allow") + rule("r1", "", "reject")), "r1"},
        {policy_doc("<cp:rule><cp:conditions/></cp:rule>\n"), "id"},
        {policy_doc(rule("r1", "<cp:identity/>", "allow")), "identity"},
        {policy_doc(rule("r1",
                         "<cp:validity><cp:from>yesterday</cp:from>"
                         "<cp:until>2030-01-01T00:00:00Z</cp:until></cp:validity>",
                         "allow")),
         "from"},
    };
    for (const auto& c : cases) {
        auto p = parse_shared_policy(c.doc, "bad.xml");
        ASSERT_FALSE(p) << c.doc;
        EXPECT_EQ(p.error().where.rfind("bad.xml:", 0), 0u);
        EXPECT_NE(p.error().what.find(c.reason), std::string::npos) << p.error().to_string();
    }
}

class shared_policy_eval : public ::testing::Test {
   protected:
    policy_decision eval(const std::string& doc, const std::string& sender, im_request kind,
                         bool anonymous = false, int64_t now = 1'800'000'000) {
        auto p = parse_shared_policy(policy_doc(doc), "p.xml");
        EXPECT_TRUE(p) << p.error().to_string();
        return evaluate(*p, {sender, anonymous, kind, now});
    }
};

TEST_F(shared_policy_eval, one_identity_and_media_select_the_rule) {
    const std::string doc = rule("block-bob",
                                 "<cp:identity><cp:one id=\"sip:bob@example.com\"/></cp:identity>"
                                 "<ocp:media>message-session</ocp:media>",
                                 "reject");
    EXPECT_EQ(eval(doc, "sip:bob@EXAMPLE.com;transport=tcp", im_request::session).allow_invite,
              invite_permission::reject);
    // Large Message Mode uses the message-session condition (6.1.2.1 step 2.a).
    EXPECT_EQ(eval(doc, "sip:bob@example.com", im_request::large_message).allow_invite,
              invite_permission::reject);
    // Pager mode needs pager-mode-message (step 2.b): this rule does not apply.
    EXPECT_EQ(eval(doc, "sip:bob@example.com", im_request::pager).allow_invite,
              invite_permission::none);
    EXPECT_EQ(eval(doc, "sip:carol@example.com", im_request::session).allow_invite,
              invite_permission::none);
    // The user part is case-sensitive.
    EXPECT_EQ(eval(doc, "sip:Bob@example.com", im_request::session).allow_invite,
              invite_permission::none);
}

TEST_F(shared_policy_eval, rfc4745_combining_takes_the_most_permissive) {
    const std::string doc =
        rule("all", "<cp:identity><cp:many/></cp:identity>", "reject") +
        rule("friend", "<cp:identity><cp:one id=\"sip:ann@example.com\"/></cp:identity>", "allow");
    auto d = eval(doc, "sip:ann@example.com", im_request::pager);
    EXPECT_EQ(d.allow_invite, invite_permission::allow);
    EXPECT_EQ(d.matched_rules, (std::vector<std::string>{"all", "friend"}));
    EXPECT_EQ(eval(doc, "sip:zed@example.com", im_request::pager).allow_invite,
              invite_permission::reject);
}

TEST_F(shared_policy_eval, many_with_domain_and_exceptions) {
    const std::string doc = rule("partners",
                                 "<cp:identity><cp:many domain=\"partner.example\"><cp:except "
                                 "id=\"sip:spam@partner.example\""
                                 "/></cp:many></cp:identity>",
                                 "allow");
    EXPECT_EQ(eval(doc, "sip:a@PARTNER.example", im_request::session).allow_invite,
              invite_permission::allow);
    EXPECT_EQ(eval(doc, "sip:spam@partner.example", im_request::session).allow_invite,
              invite_permission::none);
    EXPECT_EQ(eval(doc, "sip:a@other.example", im_request::session).allow_invite,
              invite_permission::none);
}

TEST_F(shared_policy_eval, other_identity_is_everyone_no_identity_rule_names) {
    const std::string doc =
        rule("bob", "<cp:identity><cp:one id=\"sip:bob@example.com\"/></cp:identity>", "reject") +
        rule("rest", "<ocp:other-identity/>", "allow");
    EXPECT_EQ(eval(doc, "sip:bob@example.com", im_request::session).allow_invite,
              invite_permission::reject);
    EXPECT_EQ(eval(doc, "sip:eve@example.com", im_request::session).allow_invite,
              invite_permission::allow);
}

TEST_F(shared_policy_eval, anonymous_requests_match_only_anonymous_request_rules) {
    const std::string doc = rule("anon", "<ocp:anonymous-request/>", "reject") +
                            rule("all", "<cp:identity><cp:many/></cp:identity>", "allow");
    EXPECT_EQ(eval(doc, "sip:x@example.com", im_request::session, true).allow_invite,
              invite_permission::reject);
    EXPECT_EQ(eval(doc, "sip:x@example.com", im_request::session, false).allow_invite,
              invite_permission::allow);
}

TEST_F(shared_policy_eval, validity_sphere_and_unknown_conditions) {
    const std::string doc =
        rule("night",
             "<cp:validity><cp:from>2027-01-01T00:00:00Z</cp:from>"
             "<cp:until>2027-01-02T00:00:00+01:00</cp:until></cp:validity>",
             "reject") +
        rule("sphere", "<cp:sphere value=\"work\"/>", "reject") +
        rule("ext", "<x:weather xmlns:x=\"urn:example:x\">rain</x:weather>", "reject");
    const int64_t inside = *parse_datetime("2027-01-01T12:00:00Z");
    const int64_t after = *parse_datetime("2027-01-01T23:30:00Z");
    EXPECT_EQ(eval(doc, "sip:a@b", im_request::session, false, inside).matched_rules,
              std::vector<std::string>{"night"});
    EXPECT_TRUE(eval(doc, "sip:a@b", im_request::session, false, after).matched_rules.empty());
}

TEST(uri_normalization, scheme_and_host_case_folded_parameters_dropped) {
    EXPECT_EQ(normalize_uri("SIP:Alice@Example.COM;transport=tcp?x=y"), "sip:Alice@example.com");
    EXPECT_EQ(normalize_uri("tel:+15551234"), "tel:+15551234");
    EXPECT_EQ(uri_domain("sips:a@Host.Example:5061"), "host.example");
    EXPECT_EQ(uri_domain("tel:+1"), "");
}

}  // namespace
}  // namespace imsd::mgmt

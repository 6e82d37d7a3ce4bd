#include "mgmt/policy/content_rules.hpp"

#include <gtest/gtest.h>

namespace imsd::mgmt {
namespace {

platform::content_rule rule(uint32_t id, const char* expr, platform::rule_action a,
                            bool caseless = false) {
    platform::content_rule r;
    r.id = id;
    r.expression = expr;
    r.action = a;
    r.caseless = caseless;
    r.line = static_cast<int>(id) + 10;
    return r;
}

TEST(content_rules, matches_each_rule_once_and_decides) {
    auto c = compiled_rules::compile({rule(1, "free\\s+money", platform::rule_action::block, true),
                                      rule(2, "invoice", platform::rule_action::count),
                                      rule(3, "from-my-bank", platform::rule_action::allow)},
                                     "s.xml");
    ASSERT_TRUE(c) << c.error().to_string();
    auto r = (*c)->scan("FREE   money! free money! invoice");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->matches.size(), 2u);
    EXPECT_EQ(r->matches[0].id, 1u);
    EXPECT_EQ(r->matches[1].id, 2u);
    EXPECT_EQ(r->verdict, rule_verdict::block);
    // The first decisive match in stream order decides (as in the relay,
    // which must stop a message before its blocked bytes go out).
    EXPECT_EQ((*c)->scan("from-my-bank: free money")->verdict, rule_verdict::allow);
    EXPECT_EQ((*c)->scan("free money from-my-bank")->verdict, rule_verdict::block);
    EXPECT_EQ((*c)->scan("hello")->verdict, rule_verdict::pass);
    EXPECT_EQ((*c)->scan("invoice")->verdict, rule_verdict::pass);
}

TEST(content_rules, a_match_split_across_chunks_is_found_as_if_whole) {
    auto c = compiled_rules::compile({rule(7, "abcdef", platform::rule_action::block)}, "s.xml");
    ASSERT_TRUE(c);
    std::string text = std::string(1000, 'x') + "abcdef" + std::string(1000, 'y');
    for (size_t chunk : {0u, 1u, 2u, 3u, 5u, 7u, 1003u}) {
        auto r = (*c)->scan(text, chunk);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->matches.size(), 1u) << "chunk " << chunk;
    }
}

TEST(content_rules, end_anchored_rules_match_at_the_end_of_the_stream) {
    auto c = compiled_rules::compile({rule(1, "bye$", platform::rule_action::block)}, "s.xml");
    ASSERT_TRUE(c);
    EXPECT_EQ((*c)->scan("good bye", 3)->matches.size(), 1u);
    EXPECT_TRUE((*c)->scan("bye now")->matches.empty());
}

TEST(content_rules, a_bad_expression_names_its_rule_and_line) {
    auto c = compiled_rules::compile({rule(1, "fine", platform::rule_action::block),
                                      rule(42, "(unclosed", platform::rule_action::block)},
                                     "ops.xml");
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().where, "ops.xml:52");
    EXPECT_NE(c.error().what.find("content rule 42"), std::string::npos) << c.error().to_string();
    auto empty_match = compiled_rules::compile({rule(3, "x*", platform::rule_action::block)}, "o");
    EXPECT_FALSE(empty_match) << "a pattern matching the empty string is refused";
}

TEST(content_rules, no_rules_pass_everything) {
    auto c = compiled_rules::compile({}, "s.xml");
    ASSERT_TRUE(c);
    EXPECT_EQ((*c)->scan("anything")->verdict, rule_verdict::pass);
    EXPECT_EQ((*c)->rule_count(), 0u);
}

}  // namespace
}  // namespace imsd::mgmt

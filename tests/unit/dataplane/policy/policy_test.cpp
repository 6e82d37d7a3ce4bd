#include "dataplane/policy/policy.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace imsd::dp::policy {
namespace {

using platform::rule_action;

struct rule_spec {
    const char* expr;
    rule_action action;
    uint32_t id;
};

// Streaming and block databases as mgmt compiles them (expression id =
// index); `block`: false leaves the block one out.
platform::content_db compile(const std::vector<rule_spec>& rules, bool block = true) {
    std::vector<const char*> exprs;
    std::vector<unsigned> flags, ids;
    platform::content_db d;
    for (const auto& r : rules) {
        exprs.push_back(r.expr);
        flags.push_back(HS_FLAG_SINGLEMATCH | HS_FLAG_DOTALL);
        ids.push_back(static_cast<unsigned>(ids.size()));
        d.actions.push_back(r.action);
        d.rule_ids.push_back(r.id);
    }
    hs_database_t* db = nullptr;
    hs_compile_error_t* err = nullptr;
    EXPECT_EQ(
        hs_compile_multi(exprs.data(), flags.data(), ids.data(),
                         static_cast<unsigned>(exprs.size()), HS_MODE_STREAM, nullptr, &db, &err),
        HS_SUCCESS);
    d.db = db;
    hs_database_t* bdb = nullptr;
    if (block) {
        EXPECT_EQ(hs_compile_multi(exprs.data(), flags.data(), ids.data(),
                                   static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK, nullptr,
                                   &bdb, &err),
                  HS_SUCCESS);
        d.block_db = bdb;
    }
    d.owner = std::shared_ptr<void>(nullptr, [db, bdb](void*) {
        hs_free_database(db);
        hs_free_database(bdb);
    });
    return d;
}

std::unique_ptr<policy_set> make_set(const std::vector<rule_spec>& rules, limits l = {},
                                     bool block = true) {
    auto ps = policy_set::create(compile(rules, block), std::move(l), 2);
    EXPECT_TRUE(ps);
    return std::move(*ps);
}

// Scans `text` cut at the given offsets; true when it passed.
bool scan_split(const policy_set& ps, std::string_view text, const std::vector<size_t>& cuts,
                uint32_t* rule = nullptr) {
    message_scan m;
    EXPECT_TRUE(m.open(ps, 1));
    size_t from = 0;
    bool pass = true;
    for (size_t i = 0; i <= cuts.size() && pass; ++i) {
        const size_t to = i < cuts.size() ? cuts[i] : text.size();
        pass = m.feed(text.substr(from, to - from));
        from = to;
    }
    if (pass) {
        pass = m.finish();
    }
    if (rule != nullptr) {
        *rule = m.rule_id();
    }
    EXPECT_FALSE(m.is_open());
    return pass;
}

TEST(message_scan, a_pattern_split_at_every_position_is_found_as_if_whole) {
    auto ps = make_set({{"forbidden\\s+fruit", rule_action::block, 41}});
    const std::string text = std::string(300, 'x') + "forbidden  fruit" + std::string(300, 'y');
    uint32_t rule = 0;
    EXPECT_FALSE(scan_split(*ps, text, {}, &rule));
    EXPECT_EQ(rule, 41u);
    for (size_t cut = 1; cut < text.size(); ++cut) {
        ASSERT_FALSE(scan_split(*ps, text, {cut})) << "cut at " << cut;
    }
    // Three pieces, the pattern spread over all of them.
    for (size_t a = 295; a < 310; ++a) {
        for (size_t b = a + 1; b < 320; ++b) {
            ASSERT_FALSE(scan_split(*ps, text, {a, b})) << a << "," << b;
        }
    }
    EXPECT_TRUE(scan_split(*ps, std::string(300, 'x') + "forbidden fru1t", {305}));
    EXPECT_TRUE(ps->idle());
}

TEST(message_scan, a_block_stops_the_scan_where_it_matches) {
    auto ps = make_set({{"stop", rule_action::block, 1}, {"later", rule_action::count, 2}});
    message_scan m;
    ASSERT_TRUE(m.open(*ps, 0));
    EXPECT_TRUE(m.feed("fine so far, "));
    EXPECT_FALSE(m.feed("now stop here, later"));
    EXPECT_FALSE(m.is_open()) << "a blocked scan closes its stream";
    EXPECT_TRUE(m.verdict().blocked);
    EXPECT_EQ(m.verdict().counted, 0u) << "nothing is scanned past the block";
    EXPECT_EQ(m.rule_id(), 1u);
    EXPECT_FALSE(m.feed("more")) << "a blocked message stays blocked";
}

TEST(message_scan, an_allow_rule_matching_first_exempts_the_message) {
    auto ps = make_set({{"bad", rule_action::block, 1},
                        {"whitelisted", rule_action::allow, 2},
                        {"tally", rule_action::count, 3}});
    uint32_t rule = 0;
    EXPECT_TRUE(scan_split(*ps, "whitelisted: bad words, tally", {14}, &rule));
    EXPECT_EQ(rule, 2u);
    EXPECT_FALSE(scan_split(*ps, "bad words, whitelisted", {}, &rule));
    EXPECT_EQ(rule, 1u);
    message_scan m;
    ASSERT_TRUE(m.open(*ps, 0));
    EXPECT_TRUE(m.feed("tally ho"));
    EXPECT_TRUE(m.finish());
    EXPECT_EQ(m.verdict().counted, 1u);
    EXPECT_FALSE(m.verdict().blocked);
}

TEST(message_scan, end_anchored_rules_match_only_at_the_end_of_the_message) {
    auto ps = make_set({{"goodbye$", rule_action::block, 9}});
    message_scan m;
    ASSERT_TRUE(m.open(*ps, 0));
    EXPECT_TRUE(m.feed("and good"));
    EXPECT_TRUE(m.feed("bye")) << "the end is not known before finish()";
    EXPECT_FALSE(m.finish());
    EXPECT_EQ(m.rule_id(), 9u);
    EXPECT_TRUE(scan_split(*ps, "goodbye and hello", {4}));
}

// One stream for several messages (the relay's batch): each message's
// verdict is its own, end-anchored rules see each message's end, and no
// match spans two messages.
TEST(message_scan, a_stream_reset_between_messages_judges_each_alone) {
    auto ps = make_set({{"forbidden", rule_action::block, 7},
                        {"goodbye$", rule_action::block, 9},
                        {"fruit", rule_action::count, 8}});
    message_scan m;
    ASSERT_TRUE(m.open(*ps, 0));
    EXPECT_TRUE(m.feed("a fruit, not forbid"));
    EXPECT_TRUE(m.finish_and_reset());
    EXPECT_EQ(m.verdict().counted, 1u);
    EXPECT_TRUE(m.is_open());
    EXPECT_EQ(ps->idle(), false) << "one stream open on the set";
    m.restart();
    EXPECT_TRUE(m.feed("den fruit")) << "'forbid' + 'den' across two messages is no match";
    EXPECT_EQ(m.verdict().counted, 1u) << "its own count, not the sum";
    EXPECT_TRUE(m.finish_and_reset());
    m.restart();
    EXPECT_TRUE(m.feed("goodbye"));
    EXPECT_FALSE(m.finish_and_reset()) << "the end of this message";
    EXPECT_EQ(m.rule_id(), 9u);
    m.restart();
    EXPECT_EQ(m.rule_id(), 0u);
    EXPECT_TRUE(m.feed("goodbye, then more"));
    EXPECT_TRUE(m.finish_and_reset());
    m.abort();
    EXPECT_TRUE(ps->idle());
}

// A whole message in one block-mode call (the relay's batched short
// messages) is judged exactly as the stream judges it: the same verdict,
// deciding rule and count, for allow, block, count and end-anchored rules
// over many bodies; and it leaves an open stream as it was.
TEST(message_scan, a_whole_message_in_block_mode_is_judged_as_the_stream_judges_it) {
    auto ps = make_set({{"forbidden\\s+fruit", rule_action::block, 7},
                        {"goodbye$", rule_action::block, 9},
                        {"fruit", rule_action::count, 8},
                        {"apple", rule_action::count, 10},
                        {"kosher", rule_action::allow, 11}});
    ASSERT_TRUE(ps->has_block());
    const char* words[] = {"forbidden", " ", "fruit", "goodbye", "apple", "kosher", "x", "\n"};
    uint32_t seed = 1;
    auto next = [&] { return seed = seed * 1103515245u + 12345u; };
    message_scan stream, block;
    ASSERT_TRUE(stream.open(*ps, 0));
    int blocked = 0, allowed = 0, counted = 0;
    for (int i = 0; i < 2000; ++i) {
        std::string body;
        for (uint32_t n = next() % 12; n > 0; --n) {
            body += words[(next() >> 8) % std::size(words)];
        }
        stream.restart();
        const bool s_pass = stream.feed(body) && stream.finish_and_reset();
        const bool b_pass = block.scan_whole(*ps, 1, body);
        ASSERT_EQ(b_pass, s_pass) << body;
        ASSERT_EQ(block.verdict().allowed, stream.verdict().allowed) << body;
        ASSERT_EQ(block.rule_id(), stream.rule_id()) << body;
        if (s_pass) {
            ASSERT_EQ(block.verdict().counted, stream.verdict().counted) << body;
        }
        blocked += s_pass ? 0 : 1;
        allowed += stream.verdict().allowed ? 1 : 0;
        counted += stream.verdict().counted != 0 ? 1 : 0;
        if (!stream.is_open()) {
            ASSERT_TRUE(stream.open(*ps, 0));  // a block closed it
        }
    }
    EXPECT_GT(blocked, 100);
    EXPECT_GT(allowed, 100);
    EXPECT_GT(counted, 100);
    // Between a stream's feeds: the stream goes on as if nothing happened.
    stream.restart();
    EXPECT_TRUE(stream.feed("forbidden "));
    EXPECT_FALSE(block.scan_whole(*ps, 0, "goodbye"));
    EXPECT_TRUE(stream.is_open());
    EXPECT_FALSE(stream.feed("fruit")) << "the stream's own state survived";
    EXPECT_EQ(stream.rule_id(), 7u);
    EXPECT_FALSE(make_set({{"fruit", rule_action::count, 8}}, {}, false)->has_block());
}

TEST(policy_set, counts_open_streams_per_lcore) {
    auto ps = make_set({{"x", rule_action::block, 1}});
    EXPECT_TRUE(ps->idle());
    {
        message_scan a, b;
        ASSERT_TRUE(a.open(*ps, 0));
        ASSERT_TRUE(b.open(*ps, 1));
        EXPECT_FALSE(ps->idle());
        a.abort();
        EXPECT_FALSE(ps->idle());
    }  // b closes with its scope
    EXPECT_TRUE(ps->idle());
    EXPECT_NE(ps->scratch(0), ps->scratch(1)) << "one scratch per lcore";
}

TEST(policy_set, no_rules_means_no_database_and_no_scratch) {
    auto ps = policy_set::create(platform::content_db{}, limits{"text/plain", 100}, 2);
    ASSERT_TRUE(ps);
    EXPECT_FALSE((*ps)->has_rules());
    EXPECT_EQ((*ps)->scratch(0), nullptr);
    EXPECT_EQ((*ps)->lim().max_size_bytes, 100u);
}

const std::string cpim_payload =
    "From: <sip:alice@example.com>\r\n"
    "To: <sip:bob@example.com>\r\n"
    "DateTime: 2026-11-24T10:00:00Z\r\n"
    "\r\n"
    "Content-ID: <1234@example.com>\r\n"
    "content-type: Text/HTML; charset=utf-8\r\n"
    "\r\n"
    "<p>hello</p>";

TEST(cpim_reader, finds_the_encapsulated_type_at_every_split) {
    const size_t headers_end = cpim_payload.find("<p>");
    for (size_t cut = 0; cut <= cpim_payload.size(); ++cut) {
        cpim_reader r;
        const size_t a = r.feed(std::string_view(cpim_payload).substr(0, cut));
        size_t b = 0;
        if (!r.done()) {
            b = r.feed(std::string_view(cpim_payload).substr(cut));
        }
        ASSERT_TRUE(r.done()) << "cut " << cut;
        EXPECT_FALSE(r.failed());
        EXPECT_EQ(r.content_type(), "Text/HTML") << "cut " << cut;
        EXPECT_EQ(a + b, headers_end) << "it stops at the content, cut " << cut;
    }
}

TEST(cpim_reader, byte_by_byte_and_without_a_type) {
    cpim_reader r;
    for (char c : cpim_payload) {
        r.feed(std::string_view(&c, 1));
    }
    EXPECT_TRUE(r.done());
    EXPECT_EQ(r.content_type(), "Text/HTML");
    cpim_reader none;
    none.feed("From: <sip:a@b>\r\n\r\nContent-ID: <x>\r\n\r\nbody");
    EXPECT_TRUE(none.done());
    EXPECT_EQ(none.content_type(), "");
    cpim_reader meta_only;  // a Content-Type among the message headers is not the content's
    meta_only.feed("Content-Type: text/plain\r\n\r\n");
    EXPECT_FALSE(meta_only.done());
    EXPECT_EQ(meta_only.content_type(), "");
}

TEST(cpim_reader, endless_headers_and_bare_line_feeds_fail) {
    cpim_reader long_one;
    const std::string line = "X-Filler: " + std::string(100, 'a') + "\r\n";
    for (int i = 0; i < 100 && !long_one.failed(); ++i) {
        long_one.feed(line);
    }
    EXPECT_TRUE(long_one.failed());
    EXPECT_FALSE(long_one.done());
    cpim_reader bare;
    bare.feed("From: <sip:a@b>\n\n");
    EXPECT_TRUE(bare.failed());
}

TEST(type_accepted, follows_rfc_4975_accept_types) {
    EXPECT_TRUE(type_accepted("text/plain", ""));
    EXPECT_TRUE(type_accepted("text/plain", "*"));
    EXPECT_TRUE(type_accepted("Text/Plain; charset=utf-8", "message/cpim text/plain"));
    EXPECT_TRUE(type_accepted("image/jpeg", "text/plain image/*"));
    EXPECT_FALSE(type_accepted("image/jpeg", "text/plain message/cpim"));
    EXPECT_FALSE(type_accepted("imagex/jpeg", "image/*"));
    EXPECT_FALSE(type_accepted("", "text/plain"));
    EXPECT_TRUE(is_cpim("Message/CPIM"));
    EXPECT_TRUE(is_cpim("message/cpim ; x=1"));
    EXPECT_FALSE(is_cpim("message/cpimx"));
}

}  // namespace
}  // namespace imsd::dp::policy

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "mgmt/cli/commands.hpp"
#include "mgmt/cli/execute.hpp"
#include "mgmt/cli/protocol.hpp"
#include "mgmt/cli/render.hpp"
#include "platform/log/log.hpp"

namespace imsd::mgmt::cli {
namespace {

std::vector<std::string> words(std::initializer_list<const char*> w) {
    return {w.begin(), w.end()};
}

TEST(cli_grammar, parses_every_command_in_the_table) {
    for (const auto& spec : command_table()) {
        std::vector<std::string> argv(spec.words.begin(), spec.words.end());
        if (!spec.optional_args) {
            for (size_t i = 0; i < spec.args.size(); ++i) {
                argv.push_back("x");
            }
        }
        auto pc = parse_command(argv);
        ASSERT_TRUE(pc) << usage(spec) << ": " << pc.error().message;
        EXPECT_EQ(pc->spec->id, spec.id);
    }
}

TEST(cli_grammar, flags_and_arguments) {
    auto pc = parse_command(words({"show", "stats", "--per-lcore"}));
    ASSERT_TRUE(pc);
    EXPECT_TRUE(pc->flags.contains("--per-lcore"));
    pc = parse_command(words({"log", "level", "dataplane", "debug"}));
    ASSERT_TRUE(pc);
    EXPECT_EQ(pc->args, words({"dataplane", "debug"}));
}

TEST(cli_grammar, unknown_command_says_so_and_helps_with_the_known_prefix) {
    auto pc = parse_command(words({"show", "bananas"}));
    ASSERT_FALSE(pc);
    EXPECT_EQ(pc.error().message, "unknown command 'show bananas'");
    EXPECT_NE(pc.error().help.find("show stats"), std::string::npos);
    EXPECT_EQ(pc.error().help.find("log level"), std::string::npos);

    pc = parse_command(words({"reboot"}));
    ASSERT_FALSE(pc);
    EXPECT_EQ(pc.error().message, "unknown command 'reboot'");
    EXPECT_NE(pc.error().help.find("log level"), std::string::npos);
}

TEST(cli_grammar, wrong_arguments_and_options_are_usage_errors) {
    auto pc = parse_command(words({"log", "level", "dataplane"}));
    ASSERT_FALSE(pc);
    EXPECT_NE(pc.error().message.find("missing argument"), std::string::npos);
    EXPECT_NE(pc.error().message.find("log level <plane> <level>"), std::string::npos);
    pc = parse_command(words({"show", "ports", "extra"}));
    ASSERT_FALSE(pc);
    EXPECT_NE(pc.error().message.find("unexpected argument"), std::string::npos);
    pc = parse_command(words({"show", "ports", "--per-lcore"}));
    ASSERT_FALSE(pc);
    EXPECT_NE(pc.error().message.find("unknown option '--per-lcore'"), std::string::npos);
    EXPECT_FALSE(parse_command({}));
}

TEST(cli_grammar, completions_follow_the_table) {
    EXPECT_EQ(completions({}),
              words({"help", "log", "msrp", "policy", "settings", "show", "tcp", "user"}));
    EXPECT_EQ(completions(words({"show"})),
              words({"connections", "history", "msrp", "pools", "ports", "sessions", "sip", "stats",
                     "tcp", "version"}));
    EXPECT_EQ(completions(words({"show", "msrp"})), words({"events", "sessions", "stats"}));
    EXPECT_EQ(completions(words({"show", "stats"})), words({"--per-lcore"}));
}

TEST(cli_protocol, request_and_reply_round_trip) {
    auto argv = words({"show", "stats", "--per-lcore"});
    auto req = decode_request(encode_request(argv, true));
    ASSERT_TRUE(req);
    EXPECT_EQ(req->argv, argv);
    EXPECT_TRUE(req->json);
    reply r{exit_failed, "out \xff", "err"};
    auto back = decode_reply(encode_reply(r));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->exit, exit_failed);
    EXPECT_EQ(back->err, "err");
}

TEST(cli_protocol, uploaded_bytes_arrive_unchanged_even_when_not_utf8) {
    std::string bytes;
    for (int i = 0; i < 256; ++i) {
        bytes += static_cast<char>(i);
    }
    auto argv = words({"settings", "apply", "x.xml"});
    auto req = decode_request(encode_request(argv, false, bytes));
    ASSERT_TRUE(req);
    ASSERT_TRUE(req->input);
    EXPECT_EQ(*req->input, bytes);
    EXPECT_FALSE(decode_request("{\"argv\": [], \"input\": \"\\u20ac\"}"))
        << "code points above 255 are not bytes";
}

TEST(cli_protocol, malformed_requests_are_refused_not_thrown) {
    for (const char* bad :
         {"", "{", "[]", "{\"argv\": 3}", "{\"argv\": [1]}", "{\"argv\": [], \"json\": \"yes\"}"}) {
        EXPECT_FALSE(decode_request(bad)) << bad;
    }
    EXPECT_FALSE(decode_request(std::string(max_request_bytes + 1, ' ')));
    EXPECT_FALSE(decode_reply("not json"));
}

TEST(cli_render, aligns_columns_and_right_aligns_numbers) {
    platform::table t{{"name", "count"},
                      {{std::string("a"), uint64_t{5}}, {std::string("longer"), uint64_t{12345}}}};
    EXPECT_EQ(render_table(t),
              "name    count\n"
              "a           5\n"
              "longer  12345\n");
    auto j = table_json(t);
    EXPECT_EQ(j.dump(), R"([{"count":5,"name":"a"},{"count":12345,"name":"longer"}])");
}

class cli_execute : public ::testing::Test {
   protected:
    void SetUp() override {
        platform::log_init(RTE_LOG_INFO);
        platform::counter_group g;
        g.name = "dataplane";
        g.names = {"rx_packets", "icmp_echo_answered"};
        g.descriptions = {"frames received", "echo requests answered"};
        g.read = [] {
            return std::vector<platform::counter_instance>{{"lcore 1", 1, {10, 3}},
                                                           {"lcore 2", 2, {5, 1}}};
        };
        reg_.add_counters(g);
        reg_.add_table("ports", "ports", [] {
            return platform::table{{"name", "rx_packets"}, {{std::string("media0"), uint64_t{15}}}};
        });
        env_.reg = &reg_;
        env_.version = [] { return nlohmann::json{{"imsd", "0.1.0"}}; };
    }
    reply run(std::initializer_list<const char*> w, bool json = false) {
        auto argv = words(w);
        return execute_argv(argv, json, env_);
    }
    platform::registry reg_;
    cli_env env_;
};

TEST_F(cli_execute, show_stats_sums_lcores) {
    auto r = run({"show", "stats"});
    EXPECT_EQ(r.exit, exit_ok);
    EXPECT_TRUE(std::regex_search(r.out, std::regex("\nrx_packets +15  frames received\n")))
        << r.out;
    auto j = nlohmann::json::parse(run({"show", "stats"}, true).out);
    EXPECT_EQ(j["dataplane"]["total"]["icmp_echo_answered"], 4);
    EXPECT_FALSE(j["dataplane"].contains("lcores"));
}

TEST_F(cli_execute, show_stats_per_lcore_has_a_column_per_lcore) {
    auto r = run({"show", "stats", "--per-lcore"});
    EXPECT_NE(r.out.find("counter             lcore 1  lcore 2  total"), std::string::npos)
        << r.out;
    auto j = nlohmann::json::parse(run({"show", "stats", "--per-lcore"}, true).out);
    EXPECT_EQ(j["dataplane"]["lcores"]["2"]["rx_packets"], 5);
    EXPECT_EQ(j["dataplane"]["total"]["rx_packets"], 15);
}

TEST_F(cli_execute, show_tcp_without_tcp_says_it_is_off) {
    auto r = run({"show", "tcp"});
    EXPECT_EQ(r.exit, exit_failed);
    EXPECT_NE(r.err.find("TCP is off"), std::string::npos);
}

TEST_F(cli_execute, show_ports_and_version) {
    auto j = nlohmann::json::parse(run({"show", "ports"}, true).out);
    EXPECT_EQ(j[0]["name"], "media0");
    EXPECT_NE(run({"show", "version"}).out.find("0.1.0"), std::string::npos);
}

TEST_F(cli_execute, log_level_changes_the_plane_and_reports_both_levels) {
    auto r = run({"log", "level", "sigplane", "debug"});
    EXPECT_EQ(r.exit, exit_ok) << r.err;
    EXPECT_EQ(r.out, "log level of sigplane: info -> debug\n");
    EXPECT_EQ(platform::get_level("sigplane").value(), static_cast<uint32_t>(RTE_LOG_DEBUG));
    auto j = nlohmann::json::parse(run({"log", "show"}, true).out);
    EXPECT_EQ(j["sigplane"], "debug");
    run({"log", "level", "sigplane", "info"});
}

TEST_F(cli_execute, bad_plane_or_level_fails_with_exit_1) {
    auto r = run({"log", "level", "warpdrive", "debug"});
    EXPECT_EQ(r.exit, exit_failed);
    EXPECT_NE(r.err.find("unknown plane"), std::string::npos);
    r = run({"log", "level", "mgmt", "loud"});
    EXPECT_EQ(r.exit, exit_failed);
    EXPECT_NE(r.err.find("unknown log level"), std::string::npos);
}

TEST_F(cli_execute, usage_errors_exit_2_with_help) {
    auto r = run({"show", "nothing"});
    EXPECT_EQ(r.exit, exit_usage);
    EXPECT_NE(r.err.find("unknown command"), std::string::npos);
    EXPECT_NE(r.err.find("show ports"), std::string::npos);
}

}  // namespace
}  // namespace imsd::mgmt::cli

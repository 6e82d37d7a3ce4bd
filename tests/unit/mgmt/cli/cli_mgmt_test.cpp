// The settings, user and policy commands against a real runtime, directory
// and store (no daemon, no socket).

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "mgmt/cli/execute.hpp"
#include "mgmt/settings/settings_doc.hpp"
#include "platform/log/log.hpp"

namespace imsd::mgmt::cli {
namespace {

std::string settings_with(const std::string& addr, const std::string& extra = "",
                          const std::string& mtu = "1500") {
    return "<?xml version=\"1.0\"?>\n<imsd xmlns=\"urn:imsd:params:xml:ns:settings:1\" "
           "version=\"1\">\n<ports><port name=\"media0\"><device>net_tap0</device><address>" +
           addr + "</address><mtu>" + mtu + "</mtu></port></ports>\n" + extra + "</imsd>\n";
}

const std::string rules =
    "<content-rules><rule id=\"5\" flags=\"i\"><expression>spam</expression>"
    "<description>spam word</description></rule>"
    "<rule id=\"6\" action=\"count\"><expression>offer</expression></rule></content-rules>\n";

const std::string isb_on =
    "<im-service-settings xmlns=\"urn:oma:xml:im:im-service-settings\">"
    "<isb-settings><active>true</active></isb-settings></im-service-settings>";

class cli_mgmt : public ::testing::Test {
   protected:
    void SetUp() override {
        platform::log_init(RTE_LOG_ERR);
        auto s = parse_settings(settings_with("198.18.0.1/24"), "start.xml");
        ASSERT_TRUE(s) << s.error().to_string();
        auto rt = runtime::create(*s);
        ASSERT_TRUE(rt);
        rt_ = std::move(*rt);
        rt_->add_hook([this](const platform::settings& next,
                             const std::shared_ptr<const compiled_rules>&,
                             uint64_t) -> std::expected<void, platform::error> {
            ++hook_calls_;
            if (fail_hook_) {
                return std::unexpected(platform::make_error("dataplane", "refused"));
            }
            last_addr_ = next.ports[0].addresses[0].addr_be;
            return {};
        });
        auto st = platform::open_sqlite_store(":memory:");
        ASSERT_TRUE(st);
        store_ = std::move(*st);
        users_ = std::make_unique<user_directory>(*store_);
        env_.settings = rt_.get();
        env_.users = users_.get();
        env_.now_s = [] { return int64_t{1'800'000'000}; };
    }
    reply run(std::vector<std::string> argv, bool json = false,
              const std::string* input = nullptr) {
        return execute_argv(argv, json, env_, input);
    }
    std::unique_ptr<runtime> rt_;
    std::unique_ptr<platform::store> store_;
    std::unique_ptr<user_directory> users_;
    cli_env env_;
    int hook_calls_ = 0;
    bool fail_hook_ = false;
    uint32_t last_addr_ = 0;
};

TEST_F(cli_mgmt, settings_show_lists_effective_values_with_defaults) {
    auto r = run({"settings", "show"});
    EXPECT_EQ(r.exit, exit_ok);
    EXPECT_NE(r.out.find("generation 1 from start.xml (applied by start-up)"), std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("ports/media0/address"), std::string::npos);
    auto j = nlohmann::json::parse(run({"settings", "show"}, true).out);
    EXPECT_EQ(j["generation"], 1);
    EXPECT_EQ(j["settings"]["im/pager/max-size-bytes"], "1300");
    EXPECT_EQ(j["settings"]["dataplane/mbufs"], "8191");
}

TEST_F(cli_mgmt, validate_and_diff_change_nothing) {
    const std::string next = settings_with("198.18.0.9/24", rules, "9000");
    auto r = run({"settings", "validate", "next.xml"}, false, &next);
    EXPECT_EQ(r.exit, exit_ok) << r.err;
    EXPECT_NE(r.out.find("next.xml: valid; 4 change(s) from the live settings, 1 need a restart"),
              std::string::npos)
        << r.out;
    auto j = nlohmann::json::parse(run({"settings", "diff", "next.xml"}, true, &next).out);
    EXPECT_TRUE(j["needs_restart"]);
    bool saw_mtu = false;
    for (const auto& c : j["changes"]) {
        if (c["setting"] == "ports/media0/mtu") {
            saw_mtu = true;
            EXPECT_TRUE(c["needs_restart"]);
            EXPECT_EQ(c["live"], "1500");
            EXPECT_EQ(c["file"], "9000");
        }
    }
    EXPECT_TRUE(saw_mtu);
    EXPECT_EQ(rt_->current()->generation, 1u);
    EXPECT_EQ(hook_calls_, 0);
}

TEST_F(cli_mgmt, apply_publishes_a_new_generation_through_the_hooks) {
    const std::string next = settings_with("198.18.0.9/24", rules);
    auto r = run({"settings", "apply", "next.xml"}, false, &next);
    EXPECT_EQ(r.exit, exit_ok) << r.err;
    EXPECT_NE(r.out.find("applied: generation 2, 3 change(s)"), std::string::npos) << r.out;
    EXPECT_EQ(hook_calls_, 1);
    EXPECT_EQ(last_addr_, inet_addr("198.18.0.9"));
    EXPECT_EQ(rt_->current()->generation, 2u);
    EXPECT_EQ(rt_->current()->rules->rule_count(), 2u);
    // The same document again changes nothing.
    r = run({"settings", "apply", "next.xml"}, false, &next);
    EXPECT_NE(r.out.find("no change: generation 2 stays in force"), std::string::npos);
    EXPECT_EQ(hook_calls_, 1);
    EXPECT_EQ(rt_->applied(), 1u);
}

TEST_F(cli_mgmt, a_rejected_apply_leaves_the_old_settings_in_force) {
    const std::string restart = settings_with("198.18.0.9/24", "", "9000");
    const std::string invalid = settings_with("198.18.0.300/24");
    const std::string bad_rule = settings_with(
        "198.18.0.1/24",
        "<content-rules><rule id=\"1\"><expression>(x</expression></rule></content-rules>\n");
    for (const std::string* doc : {&restart, &invalid, &bad_rule}) {
        auto r = run({"settings", "apply", "bad.xml"}, false, doc);
        EXPECT_EQ(r.exit, exit_failed) << *doc;
        EXPECT_NE(r.err.find("bad.xml"), std::string::npos) << r.err;
    }
    fail_hook_ = true;
    const std::string good = settings_with("198.18.0.7/24");
    EXPECT_EQ(run({"settings", "apply", "good.xml"}, false, &good).exit, exit_failed);
    EXPECT_EQ(rt_->current()->generation, 1u);
    EXPECT_EQ(rt_->current()->settings.source, "start.xml");
    EXPECT_EQ(rt_->rejected(), 4u);
    auto r = run({"settings", "apply", "restart.xml"}, false, &restart);
    EXPECT_NE(r.err.find("restart"), std::string::npos);
    EXPECT_NE(r.err.find("ports/media0/mtu"), std::string::npos);
}

TEST_F(cli_mgmt, commands_that_upload_need_the_content) {
    auto r = run({"settings", "apply", "x.xml"});
    EXPECT_EQ(r.exit, exit_usage);
    EXPECT_NE(r.err.find("needs the file's content"), std::string::npos);
}

TEST_F(cli_mgmt, policy_test_scans_with_the_live_rules) {
    const std::string next = settings_with("198.18.0.1/24", rules);
    ASSERT_EQ(run({"settings", "apply", "r.xml"}, false, &next).exit, exit_ok);
    const std::string text = "Special OFFER: no SPAM here";
    auto r = run({"policy", "test", "-"}, false, &text);
    EXPECT_EQ(r.exit, exit_ok);
    EXPECT_NE(r.out.find("verdict: block (1 of 2 rules match"), std::string::npos) << r.out;
    const std::string text2 = "an offer, no spam";
    auto j = nlohmann::json::parse(run({"policy", "test", "-"}, true, &text2).out);
    EXPECT_EQ(j["verdict"], "block");
    ASSERT_EQ(j["matches"].size(), 2u);
    // In stream order: "offer" ends before "spam".
    EXPECT_EQ(j["matches"][0]["id"], 6);
    EXPECT_EQ(j["matches"][0]["action"], "count");
    EXPECT_EQ(j["matches"][1]["id"], 5);
}

TEST_F(cli_mgmt, user_documents_put_get_list_delete_and_verdict) {
    auto r = run({"policy", "verdict", "sip:alice@example.com", "sip:bob@example.com", "session"});
    EXPECT_EQ(r.out, "allowed\n");
    r = run({"user", "put", "sip:alice@example.com", "service-settings", "a.xml"}, false, &isb_on);
    EXPECT_EQ(r.exit, exit_ok) << r.err;
    EXPECT_NE(r.out.find("version 1"), std::string::npos);
    r = run({"policy", "verdict", "sip:alice@example.com", "sip:bob@example.com", "session"});
    EXPECT_EQ(r.exit, exit_ok);
    EXPECT_NE(r.out.find("rejected: 403 (6.1.2.1 step 1)"), std::string::npos) << r.out;
    auto j = nlohmann::json::parse(
        run({"policy", "verdict", "sip:alice@example.com", "sip:bob@example.com", "pager"}, true)
            .out);
    EXPECT_TRUE(j["allowed"]);
    EXPECT_EQ(run({"user", "get", "sip:alice@example.com", "service-settings"}).out, isb_on + "\n");
    auto list = nlohmann::json::parse(run({"user", "list"}, true).out);
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0]["isb_active"], true);
    EXPECT_EQ(run({"user", "delete", "sip:alice@example.com", "service-settings"}).exit, exit_ok);
    EXPECT_EQ(
        run({"policy", "verdict", "sip:alice@example.com", "sip:bob@example.com", "session"}).out,
        "allowed\n");
    EXPECT_EQ(run({"user", "delete", "sip:alice@example.com", "service-settings"}).exit,
              exit_failed);
    EXPECT_EQ(run({"user", "get", "sip:alice@example.com", "shared-policy"}).exit, exit_failed);
}

TEST_F(cli_mgmt, tcp_source_checks_its_arguments_and_reports_the_lcore) {
    EXPECT_EQ(run({"tcp", "source", "198.18.0.2", "5001", "100"}).exit, exit_failed)
        << "no dataplane in this environment";
    uint32_t got_ip = 0;
    env_.tcp_source = [&](uint32_t ip, uint16_t port,
                          uint64_t bytes) -> std::expected<unsigned, platform::error> {
        got_ip = ip;
        EXPECT_EQ(port, 5001);
        EXPECT_EQ(bytes, 100u);
        return 1u;
    };
    auto r = run({"tcp", "source", "198.18.0.2", "5001", "100"});
    EXPECT_EQ(r.exit, exit_ok) << r.err;
    EXPECT_NE(r.out.find("lcore 1 connects to 198.18.0.2:5001"), std::string::npos);
    EXPECT_EQ(got_ip, inet_addr("198.18.0.2"));
    for (auto bad : {std::vector<std::string>{"tcp", "source", "nowhere", "5001", "1"},
                     std::vector<std::string>{"tcp", "source", "198.18.0.2", "70000", "1"},
                     std::vector<std::string>{"tcp", "source", "198.18.0.2", "1", "-5"}}) {
        EXPECT_EQ(run(bad).exit, exit_usage) << bad[2] << " " << bad[3];
    }
}

TEST_F(cli_mgmt, msrp_commands_check_their_arguments) {
    EXPECT_EQ(run({"msrp", "create"}).exit, exit_failed) << "no relay in this environment";
    int paths = 0;
    env_.msrp_create = []() -> std::expected<nlohmann::json, platform::error> {
        return nlohmann::json{{"id", 7}, {"uri_a", "msrp://a"}, {"uri_b", "msrp://b"}};
    };
    env_.msrp_path = [&](uint32_t id, int leg, const std::string& path,
                         bool active) -> std::expected<void, platform::error> {
        EXPECT_EQ(id, 7u);
        EXPECT_EQ(leg, 1);
        EXPECT_EQ(path, "msrp://x:1/y;tcp msrp://z:2/w;tcp");
        EXPECT_TRUE(active);
        ++paths;
        return {};
    };
    env_.msrp_release = [](uint32_t id) -> std::expected<void, platform::error> {
        if (id != 7) {
            return std::unexpected(platform::error{"session", "no such session"});
        }
        return {};
    };
    auto r = run({"msrp", "create"});
    EXPECT_EQ(r.exit, exit_ok);
    EXPECT_NE(r.out.find("session 7"), std::string::npos);
    EXPECT_EQ(run({"msrp", "path", "7", "b", "msrp://x:1/y;tcp msrp://z:2/w;tcp", "active"}).exit,
              exit_ok);
    EXPECT_EQ(paths, 1);
    for (auto bad : {std::vector<std::string>{"msrp", "path", "0", "a", "msrp://x", "active"},
                     std::vector<std::string>{"msrp", "path", "7", "c", "msrp://x", "active"},
                     std::vector<std::string>{"msrp", "path", "7", "a", "msrp://x", "sometimes"},
                     std::vector<std::string>{"msrp", "release", "seven"}}) {
        EXPECT_EQ(run(bad).exit, exit_usage) << bad[1] << " " << bad[2];
    }
    int report_leg = 5;
    env_.msrp_reports = [&](uint32_t, int leg) -> std::expected<void, platform::error> {
        report_leg = leg;
        return {};
    };
    EXPECT_EQ(run({"msrp", "reports", "7", "a"}).exit, exit_ok);
    EXPECT_EQ(report_leg, 0);
    EXPECT_EQ(run({"msrp", "reports", "7", "off"}).exit, exit_ok);
    EXPECT_EQ(report_leg, -1);
    EXPECT_EQ(run({"msrp", "reports", "7", "both"}).exit, exit_usage);
    EXPECT_EQ(run({"msrp", "release", "7"}).exit, exit_ok);
    EXPECT_EQ(run({"msrp", "release", "8"}).exit, exit_failed);
}

TEST_F(cli_mgmt, show_connections_filters_by_state_port_and_remote) {
    EXPECT_EQ(run({"show", "connections"}).exit, exit_failed) << "no dataplane here";
    env_.connections = []() -> std::expected<platform::table, platform::error> {
        platform::table t;
        t.columns = {"lcore", "state", "local", "local_port", "remote", "remote_port"};
        t.rows.push_back({uint64_t{1}, std::string("ESTABLISHED"), std::string("198.18.0.1"),
                          uint64_t{7}, std::string("198.18.0.2"), uint64_t{40000}});
        t.rows.push_back({uint64_t{1}, std::string("TIME-WAIT"), std::string("198.18.0.1"),
                          uint64_t{9}, std::string("198.18.0.3"), uint64_t{40001}});
        return t;
    };
    EXPECT_NE(run({"show", "connections"}).out.find("2 connection(s)"), std::string::npos);
    auto r = run({"show", "connections", "state=TIME-WAIT"});
    EXPECT_NE(r.out.find("1 connection(s)"), std::string::npos);
    EXPECT_NE(r.out.find("198.18.0.3"), std::string::npos);
    auto j = nlohmann::json::parse(run({"show", "connections", "port=7"}, true).out);
    ASSERT_EQ(j.size(), 1u);
    EXPECT_EQ(j[0]["remote"], "198.18.0.2");
    EXPECT_EQ(
        nlohmann::json::parse(run({"show", "connections", "remote=198.18.0.3", "port=7"}, true).out)
            .size(),
        0u);
    EXPECT_EQ(run({"show", "connections", "colour=red"}).exit, exit_usage);
}

TEST_F(cli_mgmt, wrong_user_inputs_are_errors) {
    EXPECT_EQ(run({"user", "get", "sip:a@b", "settings"}).exit, exit_usage);
    EXPECT_EQ(run({"user", "get", "alice", "shared-policy"}).exit, exit_failed);
    const std::string bad = "<nope/>";
    auto r = run({"user", "put", "sip:a@b", "shared-policy", "p.xml"}, false, &bad);
    EXPECT_EQ(r.exit, exit_failed);
    EXPECT_NE(r.err.find("p.xml:1"), std::string::npos) << r.err;
    EXPECT_EQ(run({"policy", "verdict", "sip:a@b", "sip:c@d", "video"}).exit, exit_usage);
}

}  // namespace
}  // namespace imsd::mgmt::cli

// imsd: the OMA SIMPLE IM Participating Function appliance.
//
// The composition root: loads the settings, starts the EAL, brings up the
// dataplane and the management plane, waits for SIGTERM/SIGINT, and tears
// everything down in order within the settings' shutdown timeout.

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <thread>

#include "daemon/relay_control.hpp"
#include "daemon/user_source.hpp"
#include "daemon/version.hpp"
#include "dataplane/worker/dataplane.hpp"
#include "mgmt/cli/server.hpp"
#include "mgmt/runtime/runtime.hpp"
#include "mgmt/settings/settings_doc.hpp"
#include "mgmt/telemetry/telemetry.hpp"
#include "mgmt/users/directory.hpp"
#include "platform/eal/eal.hpp"
#include "platform/log/log.hpp"
#include "platform/signal/shutdown.hpp"
#include "platform/stats/registry.hpp"
#include "platform/store/store.hpp"
#include "sigplane/agent/agent.hpp"
#include "sigplane/media/event_log.hpp"

namespace {

enum exit_status : int {
    exit_clean = 0,
    exit_start_failed = 1,
    exit_bad_settings = 2,
    exit_mbuf_leak = 3,
};

int fail(const imsd::platform::error& e, int code) {
    std::cerr << "imsd: " << e.to_string() << "\n";
    return code;
}

// --config-dir: the per-user documents an operator's configuration management
// pushes, as users/<uri>.service-settings.xml and users/<uri>.shared-policy.xml.
// They replace the stored copies at start; any invalid one stops the start.
std::expected<size_t, imsd::platform::error> load_user_dir(const std::string& dir,
                                                           imsd::mgmt::user_directory& users) {
    namespace fs = std::filesystem;
    const fs::path root = fs::path(dir) / "users";
    std::error_code ec;
    if (!fs::exists(root, ec)) {
        return size_t{0};
    }
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(root, ec)) {
        if (e.is_regular_file() && e.path().extension() == ".xml") {
            files.push_back(e.path());
        }
    }
    std::sort(files.begin(), files.end());
    size_t n = 0;
    for (const auto& f : files) {
        std::string stem = f.stem().string();  // "<uri>.<kind>"
        auto dot = stem.rfind('.');
        auto kind = dot == std::string::npos
                        ? std::nullopt
                        : imsd::mgmt::parse_doc_kind(std::string_view(stem).substr(dot + 1));
        if (!kind) {
            return std::unexpected(imsd::platform::make_error(
                f.string(), "name it <uri>.service-settings.xml or <uri>.shared-policy.xml"));
        }
        auto text = imsd::mgmt::xml::read_file(f.string());
        if (!text) {
            return std::unexpected(text.error());
        }
        auto v = users.put(stem.substr(0, dot), *kind, *text, f.string());
        if (!v) {
            return std::unexpected(v.error());
        }
        ++n;
    }
    return n;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace imsd;
    const auto started = std::chrono::steady_clock::now();

    CLI::App app{"imsd: OMA SIMPLE IM Participating Function (DPDK dataplane, imsctl CLI)"};
    std::string conf;
    std::string conf_dir;
    bool check_only = false;
    bool print_default = false;
    bool print_schema = false;
    app.add_option("-c,--config", conf,
                   "operator settings document (default: the embedded conf/imsd.xml, the "
                   "net_tap lab)")
        ->check(CLI::ExistingFile);
    app.add_option("--config-dir", conf_dir,
                   "a directory with imsd.xml and users/<uri>.<service-settings|shared-policy>.xml"
                   " (the same files on every node of a fleet)")
        ->check(CLI::ExistingDirectory);
    app.add_flag("--check", check_only, "validate the settings and exit (0 valid, 2 invalid)");
    app.add_flag("--print-default-config", print_default, "print the embedded default settings");
    app.add_flag("--print-schema", print_schema, "print the settings schema (imsd.xsd)");
    CLI11_PARSE(app, argc, argv);
    if (print_default) {
        std::cout << mgmt::default_settings_text();
        return exit_clean;
    }
    if (print_schema) {
        std::cout << mgmt::settings_schema_text();
        return exit_clean;
    }

    if (conf.empty() && !conf_dir.empty()) {
        conf = (std::filesystem::path(conf_dir) / "imsd.xml").string();
    }
    auto settings = conf.empty() ? mgmt::parse_settings(mgmt::default_settings_text(),
                                                        mgmt::default_settings_name)
                                 : mgmt::load_settings_file(conf);
    if (!settings) {
        std::cerr << "imsd: invalid settings, not starting\n";
        return fail(settings.error(), exit_bad_settings);
    }
    auto runtime = mgmt::runtime::create(*settings);
    if (!runtime) {
        std::cerr << "imsd: invalid settings, not starting\n";
        return fail(runtime.error(), exit_bad_settings);
    }
    if (check_only) {
        std::cout << settings->source << ": valid (" << settings->ports.size() << " port"
                  << (settings->ports.size() == 1 ? "" : "s") << ", "
                  << settings->content_rules.size() << " content rule"
                  << (settings->content_rules.size() == 1 ? "" : "s") << ")\n";
        return exit_clean;
    }
    const platform::settings& s = *settings;
    auto store = platform::open_sqlite_store(s.system.store_path);
    if (!store) {
        return fail(store.error(), exit_start_failed);
    }
    mgmt::user_directory users(**store);
    if (auto n = users.load(); !n) {
        std::cerr << "imsd: a stored user document no longer validates, not starting\n";
        return fail(n.error(), exit_bad_settings);
    }
    if (!conf_dir.empty()) {
        if (auto n = load_user_dir(conf_dir, users); !n) {
            std::cerr << "imsd: invalid user document, not starting\n";
            return fail(n.error(), exit_bad_settings);
        }
    }

    auto level = platform::parse_level(s.system.log_level);
    platform::log_init(level ? *level : RTE_LOG_INFO);
    platform::install_shutdown_signals();

    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    sched_getaffinity(0, sizeof(cpus), &cpus);
    auto plan = platform::plan_eal(s, platform::probe_host_memory(),
                                   static_cast<unsigned>(CPU_COUNT(&cpus)));
    if (!plan) {
        return fail(plan.error(), exit_bad_settings);
    }
    for (const auto& note : plan->notes) {
        IMSD_LOG(platform, NOTICE, "{}", note);
    }
    auto roles = platform::eal_start(*plan);
    if (!roles) {
        return fail(roles.error(), exit_start_failed);
    }
    IMSD_LOG(platform, INFO, "settings from {}; main lcore {}, {} worker lcore(s)", s.source,
             roles->main_lcore, roles->workers.size());

    int status = exit_clean;
    {
        platform::registry reg;
        auto dp = dp::dataplane::create(s, *roles);
        if (!dp) {
            IMSD_LOG(platform, ERR, "{}", dp.error().to_string());
            platform::eal_stop();
            return fail(dp.error(), exit_start_failed);
        }
        (*dp)->register_stats(reg);
        // The content rules and the relay's message limits (im/session),
        // then the addresses: a refused policy changes nothing.
        auto relay_limits = [](const platform::settings& st) {
            dp::policy::limits l;
            for (const auto& t : st.im.session.content_types) {
                l.accept_types += (l.accept_types.empty() ? "" : " ") + t;
            }
            l.max_size_bytes = st.im.session.max_size_bytes;
            return l;
        };
        {
            auto live = (*runtime)->current();
            if (auto r =
                    (*dp)->apply_policy(mgmt::compiled_rules::share(live->rules, live->generation),
                                        relay_limits(live->settings));
                !r) {
                IMSD_LOG(platform, ERR, "{}", r.error().to_string());
                (*dp)->shutdown();
                dp->reset();
                platform::eal_stop();
                return fail(r.error(), exit_bad_settings);
            }
        }
        (*runtime)->add_hook([d = dp->get(), relay_limits](
                                 const platform::settings& next,
                                 const std::shared_ptr<const mgmt::compiled_rules>& rules,
                                 uint64_t generation) -> std::expected<void, platform::error> {
            if (auto r = d->apply_policy(mgmt::compiled_rules::share(rules, generation),
                                         relay_limits(next));
                !r) {
                return r;
            }
            return d->apply(next);
        });
        platform::counter_group mgmt_counters;
        mgmt_counters.name = "mgmt";
        mgmt_counters.instance = "";
        mgmt_counters.names = {"settings_applied", "settings_rejected", "settings_generation",
                               "users_with_documents"};
        mgmt_counters.descriptions = {"settings documents applied live",
                                      "settings documents refused (invalid or restart needed)",
                                      "generation of the settings in force",
                                      "users with a service-settings or shared-policy document"};
        mgmt_counters.read = [rt = runtime->get(), &users] {
            return std::vector<platform::counter_instance>{
                {"control",
                 0,
                 {rt->applied(), rt->rejected(), rt->current()->generation,
                  static_cast<uint64_t>(users.users().size())}}};
        };
        reg.add_counters(std::move(mgmt_counters));
        auto connections_table =
            [d = dp->get()]() -> std::expected<platform::table, platform::error> {
            auto rows = d->connections();
            if (!rows) {
                return std::unexpected(rows.error());
            }
            platform::table t;
            t.columns = {"lcore",    "state",       "local",       "local_port",
                         "remote",   "remote_port", "send_queued", "recv_queued",
                         "ooo_segs", "cwnd",        "srtt_us",     "rto_ms"};
            for (const auto& r : *rows) {
                t.rows.push_back(
                    {uint64_t{r.lcore}, std::string(r.state), dp::format_ipv4(r.local_ip),
                     uint64_t{r.local_port}, dp::format_ipv4(r.remote_ip), uint64_t{r.remote_port},
                     uint64_t{r.send_queued}, uint64_t{r.recv_queued}, uint64_t{r.ooo_segs},
                     uint64_t{r.cwnd}, uint64_t{r.srtt_us}, uint64_t{r.rto_ms}});
            }
            return t;
        };
        // Also in telemetry (/imsd/connections); empty while TCP is off.
        reg.add_table("connections", "TCP connections of every lcore", [connections_table] {
            auto t = connections_table();
            return t ? *t : platform::table{};
        });
        auto version = [&s, &r = *roles, started] { return daemon::version_info(s, r, started); };
        mgmt::telemetry_register(&reg, version);
        mgmt::cli::cli_env env;
        env.reg = &reg;
        env.version = version;
        env.settings = runtime->get();
        env.users = &users;
        env.store = store->get();
        env.connections = connections_table;
        env.tcp_source = [d = dp->get()](uint32_t ip, uint16_t port, uint64_t bytes) {
            return d->start_tcp_source(ip, port, bytes);
        };
        // The sigplane's end of the relay's event rings (for now: the log
        // behind "show msrp events"; the IM Session procedures subscribe).
        std::unique_ptr<sig::media::event_log> media_events;
        if (s.dataplane.msrp.enabled()) {
            // Drained every 10 ms (rings of 32,768 records per lcore): by
            // its own thread on the main lcore's CPU, or in single-core mode
            // by the polling loop itself: a thread waking on the poller's
            // only CPU every 10-50 ms cost the relay half its throughput
            // (bench/msrp_relay_bench.sh, 64 KiB: 176k vs 71k cycles/message).
            const bool single = roles->single_core();
            media_events =
                sig::media::event_log::start((*dp)->event_rings(), 1024, single ? 0 : 10);
            if (single) {
                (*dp)->set_single_core_service([log = media_events.get()] { log->try_drain(); },
                                               10);
            }
            env.msrp_events =
                [log = media_events.get()]() -> std::expected<platform::table, platform::error> {
                log->drain();
                platform::table t;
                t.columns = {"time",       "lcore", "session", "event", "leg",
                             "message_id", "bytes", "outcome", "count"};
                for (const auto& e : log->recent(100)) {
                    const auto& ev = e.ev;
                    const std::time_t tt = std::chrono::system_clock::to_time_t(e.at);
                    char ts[32];
                    std::strftime(ts, sizeof(ts), "%H:%M:%S", std::localtime(&tt));
                    std::string outcome = "-";
                    uint64_t bytes = ev.bytes, count = ev.count;
                    switch (ev.kind) {
                        case platform::media_event_kind::leg_closed:
                            outcome = std::string(platform::cause_name(ev.cause));
                            break;
                        case platform::media_event_kind::message:
                            outcome = std::string(platform::verdict_name(ev.verdict));
                            if (ev.verdict == platform::message_verdict::blocked && ev.rule != 0) {
                                outcome += " (rule " + std::to_string(ev.rule) + ")";
                            }
                            break;
                        case platform::media_event_kind::session_end:
                            outcome = "a: " + std::to_string(ev.count) + " msgs " +
                                      std::to_string(ev.bytes) +
                                      " B, b: " + std::to_string(ev.count_b()) + " msgs " +
                                      std::to_string(ev.bytes_b()) + " B";
                            bytes = ev.bytes + ev.bytes_b();
                            count = ev.count + ev.count_b();
                            break;
                        default:
                            break;
                    }
                    t.rows.push_back({std::string(ts), uint64_t{ev.lcore}, uint64_t{ev.session},
                                      std::string(platform::kind_name(ev.kind)),
                                      std::string(ev.leg == 0 ? "a" : "b"),
                                      ev.mid_len != 0 ? std::string(ev.mid()) : std::string("-"),
                                      bytes, outcome, count});
                }
                return t;
            };
            env.msrp_create = [d = dp->get()]() -> std::expected<nlohmann::json, platform::error> {
                auto r = d->msrp_create();
                if (!r) {
                    return std::unexpected(r.error());
                }
                return nlohmann::json{
                    {"id", r->id}, {"uri_a", r->local_uri[0]}, {"uri_b", r->local_uri[1]}};
            };
            env.msrp_path = [d = dp->get()](uint32_t id, int leg, const std::string& path,
                                            bool active) {
                return d->msrp_set_remote(id, leg, path, active);
            };
            env.msrp_release = [d = dp->get()](uint32_t id) { return d->msrp_release(id); };
            env.msrp_reports = [d = dp->get()](uint32_t id, int leg) {
                return d->msrp_report_leg(id, leg);
            };
            env.msrp_accept = [d = dp->get()](uint32_t id, const std::string& types,
                                              const std::string& wrapped, uint64_t max) {
                return d->msrp_media_policy(id, types, wrapped, max);
            };
            env.msrp_sessions =
                [d = dp->get()]() -> std::expected<platform::table, platform::error> {
                auto rows = d->msrp_sessions();
                if (!rows) {
                    return std::unexpected(rows.error());
                }
                platform::table t;
                t.columns = {"id",
                             "lcore",
                             "leg_a_uri",
                             "leg_a_peer",
                             "leg_a_connected",
                             "leg_a_msgs",
                             "leg_a_bytes",
                             "leg_b_uri",
                             "leg_b_peer",
                             "leg_b_connected",
                             "leg_b_msgs",
                             "leg_b_bytes",
                             "sent_counts",
                             "reports",
                             "last_distribution_count",
                             "accept_types",
                             "max_size"};
                for (const auto& r : *rows) {
                    std::vector<platform::cell> row{uint64_t{r.id}, uint64_t{r.lcore}};
                    for (int l = 0; l < 2; ++l) {
                        row.emplace_back(r.local_uri[l]);
                        row.emplace_back(r.remote_path[l].empty() ? "-" : r.remote_path[l]);
                        row.emplace_back(std::string(r.connected[l] ? "yes" : "no"));
                        row.emplace_back(r.messages_in[l]);
                        row.emplace_back(r.bytes_in[l]);
                    }
                    row.emplace_back(std::string(r.report_leg < 0    ? "off"
                                                 : r.report_leg == 0 ? "leg a"
                                                                     : "leg b"));
                    row.emplace_back(r.reports);
                    row.emplace_back(r.last_distribution);
                    row.emplace_back(r.accept_types.empty() ? std::string("*") : r.accept_types);
                    row.emplace_back(r.max_size);
                    t.rows.push_back(std::move(row));
                }
                return t;
            };
        }
        // The sigplane's SIP agent, on the kernel side of the exception
        // path the dataplane has just set up.
        daemon::directory_users user_answers(users);
        daemon::relay_control relay(**dp);
        std::unique_ptr<sig::sip_agent> agent;
        if (s.dataplane.sip.enabled()) {
            sig::agent_params ap;
            ap.address = dp::format_ipv4(s.ports[0].addresses[0].addr_be);
            ap.port = s.dataplane.sip.port;
            ap.server = daemon::server_token();
            ap.settings =
                std::make_shared<const platform::settings>((*runtime)->current()->settings);
            ap.users = &user_answers;
            ap.media = s.dataplane.msrp.enabled() ? &relay : nullptr;
            ap.store = store->get();
            auto started_agent = sig::sip_agent::start(std::move(ap));
            if (!started_agent) {
                IMSD_LOG(sigplane, ERR, "{}", started_agent.error().to_string());
                mgmt::telemetry_unregister();
                media_events.reset();
                dp->reset();
                platform::eal_stop();
                return fail(started_agent.error(), exit_start_failed);
            }
            agent = std::move(*started_agent);
            agent->register_stats(reg);
            (*runtime)->add_hook(
                [a = agent.get()](const platform::settings& next,
                                  const std::shared_ptr<const mgmt::compiled_rules>&,
                                  uint64_t) -> std::expected<void, platform::error> {
                    a->update(std::make_shared<const platform::settings>(next));
                    return {};
                });
        }
        auto cli = mgmt::cli::server::start(s.system.cli_socket, s.system.cli_group, env);
        if (!cli) {
            IMSD_LOG(mgmt, ERR, "{}", cli.error().to_string());
            mgmt::telemetry_unregister();
            agent.reset();
            media_events.reset();
            dp->reset();
            platform::eal_stop();
            return fail(cli.error(), exit_start_failed);
        }
        if (auto launched = (*dp)->launch(); !launched) {
            IMSD_LOG(dataplane, ERR, "{}", launched.error().to_string());
            platform::request_shutdown();
            status = exit_start_failed;
        }
        IMSD_LOG(platform, NOTICE, "ready: {} port(s) up, cli on {}", s.ports.size(),
                 s.system.cli_socket);

        if (roles->single_core()) {
            (*dp)->run_main_lcore();  // returns on shutdown
        }
        while (!platform::shutdown_requested()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }

        const int sig = platform::shutdown_signal();
        IMSD_LOG(platform, NOTICE, "shutting down ({}), at most {} ms",
                 sig != 0 ? strsignal(sig) : "requested", s.system.shutdown_timeout_ms);
        platform::arm_shutdown_watchdog(s.system.shutdown_timeout_ms);
        cli->reset();
        mgmt::telemetry_unregister();
        agent.reset();         // no SIP handled past this point
        media_events.reset();  // its thread stops before the rings go
        (*dp)->shutdown();
        for (const dp::pool_state& pool : (*dp)->pools()) {
            const uint32_t missing = pool.size - pool.available;
            if (missing != 0 && missing <= pool.held_by_drivers_max) {
                // DPDK's zero-copy memif client frees none of the mbufs in
                // its rings on close (dataplane/port/port.hpp).
                IMSD_LOG(platform, NOTICE,
                         "mbuf pool {}: {} of {} mbufs back; the {} missing are within the "
                         "{} a port's driver keeps past close (zero-copy memif), not a leak",
                         pool.name, pool.available, pool.size, missing, pool.held_by_drivers_max);
            } else if (missing != 0) {
                IMSD_LOG(platform, ERR, "mbuf leak: pool {} has {} of {} mbufs back ({} missing)",
                         pool.name, pool.available, pool.size, pool.size - pool.available);
                status = exit_mbuf_leak;
            } else {
                IMSD_LOG(platform, NOTICE, "mbuf pool {}: {} of {} mbufs back, none leaked",
                         pool.name, pool.available, pool.size);
            }
        }
        dp->reset();
    }
    platform::eal_stop();
    platform::disarm_shutdown_watchdog();
    IMSD_LOG(platform, NOTICE, "stopped (exit {})", status);
    return status;
}

// imsd: the OMA SIMPLE IM Participating Function appliance.
//
// The composition root: loads the settings, starts the EAL, brings up the
// dataplane and the management plane, waits for SIGTERM/SIGINT, and tears
// everything down in order within the settings' shutdown timeout.

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <thread>

#include "daemon/version.hpp"
#include "dataplane/worker/dataplane.hpp"
#include "mgmt/cli/server.hpp"
#include "mgmt/settings/settings_doc.hpp"
#include "mgmt/telemetry/telemetry.hpp"
#include "platform/eal/eal.hpp"
#include "platform/log/log.hpp"
#include "platform/signal/shutdown.hpp"
#include "platform/stats/registry.hpp"

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

}  // namespace

int main(int argc, char** argv) {
    using namespace imsd;
    const auto started = std::chrono::steady_clock::now();

    CLI::App app{"imsd: OMA SIMPLE IM Participating Function (DPDK dataplane, imsctl CLI)"};
    std::string conf;
    bool check_only = false;
    bool print_default = false;
    bool print_schema = false;
    app.add_option("-c,--config", conf,
                   "operator settings document (default: the embedded conf/imsd.xml, the "
                   "net_tap lab)")
        ->check(CLI::ExistingFile);
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

    auto settings = conf.empty() ? mgmt::parse_settings(mgmt::default_settings_text(),
                                                        mgmt::default_settings_name)
                                 : mgmt::load_settings_file(conf);
    if (!settings) {
        std::cerr << "imsd: invalid settings, not starting\n";
        return fail(settings.error(), exit_bad_settings);
    }
    if (check_only) {
        std::cout << settings->source << ": valid (" << settings->ports.size() << " port"
                  << (settings->ports.size() == 1 ? "" : "s") << ")\n";
        return exit_clean;
    }
    const platform::settings& s = *settings;

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
        auto version = [&s, &r = *roles, started] { return daemon::version_info(s, r, started); };
        mgmt::telemetry_register(&reg, version);
        mgmt::cli::cli_env env{&reg, version};
        auto cli = mgmt::cli::server::start(s.system.cli_socket, s.system.cli_group, env);
        if (!cli) {
            IMSD_LOG(mgmt, ERR, "{}", cli.error().to_string());
            mgmt::telemetry_unregister();
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
        (*dp)->shutdown();
        const dp::pool_state pool = (*dp)->pool();
        if (pool.available != pool.size) {
            IMSD_LOG(platform, ERR, "mbuf leak: pool {} has {} of {} mbufs back ({} missing)",
                     pool.name, pool.available, pool.size, pool.size - pool.available);
            status = exit_mbuf_leak;
        } else {
            IMSD_LOG(platform, NOTICE, "mbuf pool {}: {} of {} mbufs back, none leaked", pool.name,
                     pool.available, pool.size);
        }
        dp->reset();
    }
    platform::eal_stop();
    platform::disarm_shutdown_watchdog();
    IMSD_LOG(platform, NOTICE, "stopped (exit {})", status);
    return status;
}

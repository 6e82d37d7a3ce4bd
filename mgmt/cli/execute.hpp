#pragma once

// Runs a parsed imsctl command against the daemon's state. Called on the CLI
// server thread (and by the unit tests).

#include <functional>
#include <nlohmann/json.hpp>
#include <span>
#include <string>

#include "mgmt/cli/commands.hpp"
#include "mgmt/cli/reply.hpp"
#include "mgmt/runtime/runtime.hpp"
#include "mgmt/users/directory.hpp"
#include "platform/stats/registry.hpp"
#include "platform/store/store.hpp"

namespace imsd::mgmt::cli {

struct cli_env {
    const platform::registry* reg = nullptr;
    std::function<nlohmann::json()> version;  // "show version"
    runtime* settings = nullptr;              // settings show/validate/diff/apply, policy test
    user_directory* users = nullptr;          // user ..., policy verdict
    platform::store* store = nullptr;         // show history
    std::function<int64_t()> now_s;           // Unix time for <validity>; system clock if unset
    // "show connections": every lcore's TCP connections, as a table.
    std::function<std::expected<platform::table, platform::error>()> connections;
    // "tcp source": starts a dataplane source connection; returns its lcore.
    std::function<std::expected<unsigned, platform::error>(uint32_t ip_be, uint16_t port,
                                                           uint64_t bytes)>
        tcp_source;
    // The MSRP relay's control API ("msrp ...", "show msrp sessions").
    std::function<std::expected<nlohmann::json, platform::error>()> msrp_create;
    std::function<std::expected<void, platform::error>(uint32_t id, int leg,
                                                       const std::string& path, bool active)>
        msrp_path;
    std::function<std::expected<void, platform::error>(uint32_t id)> msrp_release;
    std::function<std::expected<void, platform::error>(uint32_t id, int leg)> msrp_reports;
    // Space-separated type lists (empty: any) and a maximum size (0: none).
    std::function<std::expected<void, platform::error>(
        uint32_t id, const std::string& types, const std::string& wrapped, uint64_t max_size)>
        msrp_accept;
    std::function<std::expected<platform::table, platform::error>()> msrp_sessions;
    std::function<std::expected<platform::table, platform::error>()> msrp_events;
};

// `caller` names who asked (uid, pid) in logs of state changes.
reply execute(const parsed_command& cmd, bool json, const cli_env& env,
              const std::string& caller = "local");

// Parses then executes; usage errors come back with exit_usage and help.
reply execute_argv(std::span<const std::string> argv, bool json, const cli_env& env,
                   const std::string* input = nullptr);

}  // namespace imsd::mgmt::cli

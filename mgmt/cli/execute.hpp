#pragma once

// Runs a parsed imsctl command against the daemon's state. Called on the CLI
// server thread (and by the unit tests).

#include <functional>
#include <nlohmann/json.hpp>
#include <span>
#include <string>

#include "mgmt/cli/commands.hpp"
#include "platform/stats/registry.hpp"

namespace imsd::mgmt::cli {

// Exit codes imsctl returns; scripts may rely on them.
enum exit_code : int {
    exit_ok = 0,
    exit_failed = 1,       // the command ran and failed (bad plane name, ...)
    exit_usage = 2,        // the command line is wrong
    exit_unreachable = 3,  // no daemon at the socket
    exit_protocol = 4,     // the daemon's answer was not understood
};

struct reply {
    int exit = exit_ok;
    std::string out;
    std::string err;
};

struct cli_env {
    const platform::registry* reg = nullptr;
    std::function<nlohmann::json()> version;  // "show version"
};

reply execute(const parsed_command& cmd, bool json, const cli_env& env);

// Parses then executes; usage errors come back with exit_usage and help.
reply execute_argv(std::span<const std::string> argv, bool json, const cli_env& env);

}  // namespace imsd::mgmt::cli

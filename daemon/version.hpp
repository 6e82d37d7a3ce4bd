#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "platform/eal/eal.hpp"
#include "platform/settings/settings.hpp"

namespace imsd::daemon {

// The product token imsd sends in Server headers (spec NOTES: "Release
// version in User-agent and Server headers").
std::string server_token();

// "show version": imsd, the libraries it runs on, node, uptime, settings.
nlohmann::json version_info(const platform::settings& s, const platform::lcore_roles& roles,
                            std::chrono::steady_clock::time_point started);

}  // namespace imsd::daemon

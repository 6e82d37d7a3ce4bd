#pragma once

// The registry's counters and tables as DPDK telemetry endpoints under /imsd/,
// readable with dpdk-telemetry.py -f <file-prefix>.

#include <functional>
#include <nlohmann/json.hpp>

#include "platform/stats/registry.hpp"

namespace imsd::mgmt {

// Main thread, after EAL init, once. `reg` and `version` must stay alive
// until telemetry_unregister() (DPDK cannot unregister commands; callbacks
// answer "gone" afterwards).
void telemetry_register(const platform::registry* reg, std::function<nlohmann::json()> version);
void telemetry_unregister();

}  // namespace imsd::mgmt

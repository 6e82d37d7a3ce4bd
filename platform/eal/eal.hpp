#pragma once

// EAL bootstrap: turns the operator settings into EAL arguments (hugepages or
// --no-huge, PCI allow-list or vdevs, lcores), starts the EAL and says which
// lcores are workers.

#include <cstdint>
#include <expected>
#include <string>
#include <vector>

#include "platform/error.hpp"
#include "platform/settings/settings.hpp"

namespace imsd::platform {

struct host_memory {
    uint64_t hugepage_free_bytes = 0;
    uint64_t hugepage_size_bytes = 0;
};

// Reads free hugepages from sysfs. Control thread, before EAL init.
host_memory probe_host_memory();

// True for a PCI address "DDDD:BB:DD.F" or "BB:DD.F"; everything else is a vdev.
bool is_pci_address(const std::string& device);

// The DPDK port name a device string yields: the vdev name before the first
// comma, or the PCI address itself.
std::string port_name_of(const std::string& device);

// The DPDK name of the exception path's TAP (dataplane/punt), when SIP is on.
inline constexpr const char* punt_vdev_name = "net_tap_punt";

struct eal_plan {
    std::vector<std::string> args;   // argv[0] included
    std::vector<std::string> notes;  // decisions worth a log line
    bool no_huge = false;
    uint32_t memory_mb = 0;
};

// Pure: decides the EAL arguments. `cpus` is how many CPUs the process may use.
std::expected<eal_plan, error> plan_eal(const settings& s, const host_memory& mem, unsigned cpus);

// MiB the pools of `s` need, plus room for the EAL and DPDK libraries;
// `cpus` as for plan_eal (what lcores "auto" means).
uint32_t memory_needed_mb(const settings& s, unsigned cpus = 1);

struct lcore_roles {
    unsigned main_lcore = 0;
    std::vector<unsigned> workers;  // empty: single-core mode, main lcore polls
    bool single_core() const { return workers.empty(); }
    // The lcores that poll ports: the workers, or the main lcore alone.
    std::vector<unsigned> pollers() const;
};

// Main thread. Runs rte_eal_init with the plan's arguments.
std::expected<lcore_roles, error> eal_start(const eal_plan& plan);

// Main thread, after every port is closed.
void eal_stop();

}  // namespace imsd::platform

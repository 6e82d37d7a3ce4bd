#include "platform/eal/eal.hpp"

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <sched.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>

namespace imsd::platform {

host_memory probe_host_memory() {
    host_memory mem;
    std::error_code ec;
    const std::filesystem::path root = "/sys/kernel/mm/hugepages";
    for (const auto& dir : std::filesystem::directory_iterator(root, ec)) {
        // "hugepages-2048kB"
        std::string name = dir.path().filename().string();
        uint64_t kb = std::strtoull(name.c_str() + sizeof("hugepages-") - 1, nullptr, 10);
        std::ifstream f(dir.path() / "free_hugepages");
        uint64_t free_pages = 0;
        if (kb == 0 || !(f >> free_pages)) {
            continue;
        }
        mem.hugepage_free_bytes += free_pages * kb * 1024;
        if (free_pages > 0 && mem.hugepage_size_bytes == 0) {
            mem.hugepage_size_bytes = kb * 1024;
        }
    }
    return mem;
}

bool is_pci_address(const std::string& device) {
    static const std::regex pci(R"(^([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$)");
    return std::regex_match(device, pci);
}

std::string port_name_of(const std::string& device) {
    if (is_pci_address(device)) {
        return device.size() == 7 ? "0000:" + device : device;
    }
    return device.substr(0, device.find(','));
}

namespace {

// How many lcores system/lcores names: an upper bound on the polling ones.
// "auto", a list with ranges ("0,2-3"), or DPDK's --lcores form ("0@1,1@2",
// each item one lcore).
unsigned lcores_named(const std::string& spec, unsigned cpus) {
    if (spec == "auto") {
        return std::max(cpus, 1u);
    }
    unsigned n = 0;
    size_t from = 0;
    while (from <= spec.size()) {
        const size_t comma = std::min(spec.find(',', from), spec.size());
        const std::string item = spec.substr(from, comma - from);
        unsigned a = 0, b = 0;
        char dash = 0;
        if (item.find('@') == std::string::npos &&
            std::sscanf(item.c_str(), "%u%c%u", &a, &dash, &b) == 3 && dash == '-' && b >= a) {
            n += b - a + 1;
        } else if (!item.empty()) {
            ++n;
        }
        from = comma + 1;
    }
    return std::max(n, 1u);
}

}  // namespace

uint32_t memory_needed_mb(const settings& s, unsigned cpus) {
    // mbuf: 2176 B data room + 128 B rte_mbuf + mempool header and padding.
    constexpr uint64_t mbuf_bytes = 2432;
    // Indirect mbufs (zero-copy transmit), as many: rte_mbuf, no data room.
    constexpr uint64_t clone_bytes = 256;
    uint64_t pool_mb =
        (uint64_t{s.dataplane.mbufs} * (mbuf_bytes + clone_bytes) + (1u << 20) - 1) >> 20;
    // The MSRP relay's scan stream states, and its event rings (3 MiB per
    // lcore; 4 lcores' worth here, the rest comes out of the slack below).
    if (s.dataplane.msrp.enabled()) {
        pool_mb += 12;
        pool_mb +=
            (uint64_t{s.dataplane.msrp.scan_streams} * (s.dataplane.msrp.scan_stream_bytes + 64) +
             (1u << 20) - 1) >>
            20;
    }
    // SIP: the per-source policing tables (rte_hash, ~100 B per source and
    // lcore; 4 lcores' worth) and the exception path ring.
    if (s.dataplane.sip.enabled()) {
        pool_mb += (uint64_t{s.dataplane.sip.max_sources} * 4 * 100 + (1u << 20) - 1) >> 20;
        pool_mb += 2;
    }
    // Per lcore: the MSRP relay's own pool (dataplane/msrp/out-mbufs).
    const uint64_t per_lcore_mbufs =
        s.dataplane.msrp.enabled() ? uint64_t{s.dataplane.msrp.out_mbufs} : 0;
    pool_mb +=
        (per_lcore_mbufs * mbuf_bytes * lcores_named(s.system.lcores, cpus) + (1u << 20) - 1) >> 20;
    // EAL, rings, hash tables, telemetry, ethdev queues: 128 MiB is ample.
    return static_cast<uint32_t>(pool_mb + 128);
}

std::expected<eal_plan, error> plan_eal(const settings& s, const host_memory& mem, unsigned cpus) {
    eal_plan plan;
    plan.args = {"imsd"};
    plan.memory_mb = s.system.memory_mb != 0 ? s.system.memory_mb : memory_needed_mb(s, cpus);

    if (s.system.lcores == "auto") {
        unsigned n = cpus == 0 ? 1 : cpus;
        plan.args.push_back("-l");
        plan.args.push_back(n == 1 ? "0" : "0-" + std::to_string(n - 1));
        plan.notes.push_back(n == 1
                                 ? "lcores auto: 1 CPU, single-core mode (main lcore polls)"
                                 : "lcores auto: main lcore 0, workers 1-" + std::to_string(n - 1));
    } else if (s.system.lcores.find('@') != std::string::npos) {
        // lcore@cpu mappings: DPDK's --lcores syntax.
        plan.args.push_back("--lcores=" + s.system.lcores);
    } else {
        plan.args.push_back("-l");
        plan.args.push_back(s.system.lcores);
    }
    plan.args.push_back("--file-prefix=" + s.system.file_prefix);

    const uint64_t need = uint64_t{plan.memory_mb} << 20;
    switch (s.system.hugepages) {
        case hugepage_mode::off:
            plan.no_huge = true;
            plan.notes.push_back("hugepages off by settings: --no-huge -m " +
                                 std::to_string(plan.memory_mb));
            break;
        case hugepage_mode::on:
            if (mem.hugepage_free_bytes < need) {
                return std::unexpected(make_error(
                    "system/hugepages", "set to 'on' but only " +
                                            std::to_string(mem.hugepage_free_bytes >> 20) +
                                            " MiB of hugepages are free, " +
                                            std::to_string(plan.memory_mb) + " MiB needed"));
            }
            break;
        case hugepage_mode::automatic:
            if (mem.hugepage_free_bytes < need) {
                plan.no_huge = true;
                plan.notes.push_back(
                    "no hugepages free (" + std::to_string(mem.hugepage_free_bytes >> 20) +
                    " MiB of " + std::to_string(plan.memory_mb) +
                    " MiB needed): running with --no-huge -m " + std::to_string(plan.memory_mb) +
                    " (anonymous memory; fine for vdevs, not for PCI NICs)");
            } else {
                plan.notes.push_back("hugepages: " + std::to_string(mem.hugepage_free_bytes >> 20) +
                                     " MiB free, using them");
            }
            break;
    }
    if (plan.no_huge) {
        plan.args.push_back("--no-huge");
        plan.args.push_back("-m");
        plan.args.push_back(std::to_string(plan.memory_mb));
    }

    bool any_pci = false;
    bool zero_copy_memif = false;
    for (const auto& p : s.ports) {
        if (is_pci_address(p.device)) {
            any_pci = true;
            plan.args.push_back("-a");
            plan.args.push_back(p.device);
            if (plan.no_huge) {
                plan.notes.push_back("port " + p.name +
                                     " is a PCI device but memory is not "
                                     "hugepage-backed: most NICs need hugepages for DMA");
            }
        } else {
            plan.args.push_back("--vdev=" + p.device);
            // A zero-copy memif client lends its own buffers to the peer,
            // which DPDK allows only from one file per memory segment list.
            if (p.device.starts_with("net_memif") &&
                p.device.find("zero-copy=yes") != std::string::npos && !zero_copy_memif) {
                zero_copy_memif = true;
                plan.args.push_back("--single-file-segments");
                plan.notes.push_back("port " + p.name +
                                     " is a zero-copy memif client: --single-file-segments");
            }
        }
    }
    if (s.dataplane.sip.enabled()) {
        // The exception path: a TAP whose kernel side the sigplane listens on.
        plan.args.push_back("--vdev=" + std::string(punt_vdev_name) +
                            ",iface=" + s.dataplane.sip.punt_interface);
    }
    if (!any_pci) {
        plan.args.push_back("--no-pci");
    }
    return plan;
}

std::vector<unsigned> lcore_roles::pollers() const {
    if (workers.empty()) {
        return {main_lcore};
    }
    return workers;
}

std::expected<lcore_roles, error> eal_start(const eal_plan& plan) {
    std::vector<char*> argv;
    argv.reserve(plan.args.size() + 1);
    for (const auto& a : plan.args) {
        argv.push_back(const_cast<char*>(a.c_str()));
    }
    argv.push_back(nullptr);
    int rc = rte_eal_init(static_cast<int>(plan.args.size()), argv.data());
    if (rc < 0) {
        std::string args;
        for (const auto& a : plan.args) {
            args += a + " ";
        }
        // rte_errno is often left at 0; the EAL's own log lines say what
        // failed. Name the usual causes for the operator.
        return std::unexpected(make_error(
            "EAL", "rte_eal_init failed (" + std::string(rte_strerror(rte_errno)) +
                       "); see the EAL lines above. Common causes: another imsd or DPDK "
                       "process uses the same system/file-prefix, a device in the settings is "
                       "missing or bound to a kernel driver, not enough memory. Arguments: " +
                       args));
    }
    lcore_roles roles;
    roles.main_lcore = rte_get_main_lcore();
    unsigned id = 0;
    RTE_LCORE_FOREACH_WORKER(id) { roles.workers.push_back(id); }
    return roles;
}

void eal_stop() { rte_eal_cleanup(); }

}  // namespace imsd::platform

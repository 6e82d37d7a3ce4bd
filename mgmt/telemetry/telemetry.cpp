#include "mgmt/telemetry/telemetry.hpp"

#include <rte_telemetry.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <set>
#include <string>

namespace imsd::mgmt {

namespace {

// Telemetry callbacks carry no user pointer in DPDK 22.11; they read these.
// The mutex keeps unregister from racing a callback on the telemetry thread.
std::mutex g_mu;
const platform::registry* g_reg = nullptr;
std::function<nlohmann::json()> g_version;

// Telemetry names allow [A-Za-z0-9_.-]; labels like "lcore 1" become "lcore_1".
std::string tel_name(std::string s) {
    for (char& c : s) {
        if (!isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') {
            c = '_';
        }
    }
    return s.substr(0, RTE_TEL_MAX_STRING_LEN - 1);
}

int stats_cb(const char*, const char*, rte_tel_data* d) {
    std::lock_guard lock(g_mu);
    if (g_reg == nullptr) {
        return -ENODEV;
    }
    rte_tel_data_start_dict(d);
    for (const auto& g : g_reg->counter_groups()) {
        auto total = platform::sum(g.read(), g.names.size());
        for (size_t i = 0; i < g.names.size(); ++i) {
            rte_tel_data_add_dict_u64(d, tel_name(g.names[i]).c_str(), total[i]);
        }
    }
    return 0;
}

// /imsd/stats_lcore,<lcore id>: one lcore's counters. Without a parameter,
// the list of lcore ids.
int stats_lcore_cb(const char*, const char* params, rte_tel_data* d) {
    std::lock_guard lock(g_mu);
    if (g_reg == nullptr) {
        return -ENODEV;
    }
    if (params == nullptr || *params == '\0') {
        rte_tel_data_start_array(d, RTE_TEL_INT_VAL);
        for (const auto& g : g_reg->counter_groups()) {
            for (const auto& inst : g.read()) {
                rte_tel_data_add_array_int(d, static_cast<int>(inst.id));
            }
        }
        return 0;
    }
    char* end = nullptr;
    unsigned long id = std::strtoul(params, &end, 10);
    if (end == params || *end != '\0') {
        return -EINVAL;
    }
    for (const auto& g : g_reg->counter_groups()) {
        for (const auto& inst : g.read()) {
            if (inst.id == id) {
                rte_tel_data_start_dict(d);
                for (size_t i = 0; i < g.names.size() && i < inst.values.size(); ++i) {
                    rte_tel_data_add_dict_u64(d, tel_name(g.names[i]).c_str(), inst.values[i]);
                }
                return 0;
            }
        }
    }
    return -EINVAL;
}

int table_cb(const char* cmd, const char*, rte_tel_data* d) {
    std::lock_guard lock(g_mu);
    if (g_reg == nullptr) {
        return -ENODEV;
    }
    std::string name = std::string(cmd).substr(sizeof("/imsd/") - 1);
    const auto* fn = g_reg->find_table(name);
    if (fn == nullptr) {
        return -EINVAL;
    }
    platform::table t = (*fn)();
    // Rows are keyed by their first column (a port name, a pool name); where
    // it repeats (connections, keyed by lcore) by their position instead.
    std::vector<std::string> keys;
    for (const auto& row : t.rows) {
        keys.push_back(
            row.empty()
                ? "row"
                : tel_name(std::visit(
                      [](const auto& v) -> std::string {
                          if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::string>) {
                              return v;
                          } else {
                              return std::to_string(v);
                          }
                      },
                      row[0])));
    }
    if (std::set<std::string>(keys.begin(), keys.end()).size() != keys.size()) {
        for (size_t i = 0; i < keys.size(); ++i) {
            keys[i] = std::to_string(i);
        }
    }
    rte_tel_data_start_dict(d);
    for (size_t n = 0; n < t.rows.size(); ++n) {
        const auto& row = t.rows[n];
        rte_tel_data* r = rte_tel_data_alloc();
        if (r == nullptr) {
            return -ENOMEM;
        }
        rte_tel_data_start_dict(r);
        for (size_t i = 0; i < row.size() && i < t.columns.size(); ++i) {
            if (const auto* s = std::get_if<std::string>(&row[i])) {
                rte_tel_data_add_dict_string(r, tel_name(t.columns[i]).c_str(), s->c_str());
            } else if (const auto* u = std::get_if<uint64_t>(&row[i])) {
                rte_tel_data_add_dict_u64(r, tel_name(t.columns[i]).c_str(), *u);
            } else {
                rte_tel_data_add_dict_int(r, tel_name(t.columns[i]).c_str(),
                                          static_cast<int>(std::get<int64_t>(row[i])));
            }
        }
        rte_tel_data_add_dict_container(d, keys[n].c_str(), r, 0);
    }
    return 0;
}

int version_cb(const char*, const char*, rte_tel_data* d) {
    std::lock_guard lock(g_mu);
    if (!g_version) {
        return -ENODEV;
    }
    rte_tel_data_start_dict(d);
    nlohmann::json v = g_version();
    for (auto it = v.begin(); it != v.end(); ++it) {
        std::string s = it->is_string() ? it->get<std::string>() : it->dump();
        rte_tel_data_add_dict_string(d, tel_name(it.key()).c_str(), s.c_str());
    }
    return 0;
}

}  // namespace

void telemetry_register(const platform::registry* reg, std::function<nlohmann::json()> version) {
    {
        std::lock_guard lock(g_mu);
        g_reg = reg;
        g_version = std::move(version);
    }
    rte_telemetry_register_cmd("/imsd/stats", stats_cb,
                               "imsd counters summed over lcores. Takes no parameters");
    rte_telemetry_register_cmd("/imsd/stats_lcore", stats_lcore_cb,
                               "imsd counters of one lcore. Parameter: lcore id (none: the ids)");
    for (const auto& t : reg->tables()) {
        std::string cmd = "/imsd/" + t.name;
        // DPDK keeps the command string's pointer only for the call.
        rte_telemetry_register_cmd(cmd.c_str(), table_cb, t.help.c_str());
    }
    rte_telemetry_register_cmd("/imsd/version", version_cb, "imsd and library versions");
}

void telemetry_unregister() {
    std::lock_guard lock(g_mu);
    g_reg = nullptr;
    g_version = nullptr;
}

}  // namespace imsd::mgmt

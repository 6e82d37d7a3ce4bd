#pragma once

// What the planes expose for inspection, without mgmt reaching into them:
// each plane registers named tables (e.g. "ports") and counter groups (per-
// lcore counters) at start-up; the CLI and telemetry read them. Registration
// happens on the main thread before the CLI and telemetry start; afterwards
// the registry is read-only and readers may call from any control thread.

#include <cstdint>
#include <functional>
#include <string>
#include <variant>
#include <vector>

namespace imsd::platform {

using cell = std::variant<std::string, uint64_t, int64_t>;

struct table {
    std::vector<std::string> columns;
    std::vector<std::vector<cell>> rows;
};

// One instance of a counter group: one lcore's counters.
struct counter_instance {
    std::string label;  // "lcore 1"
    uint32_t id = 0;    // lcore id
    std::vector<uint64_t> values;
};

struct counter_group {
    std::string name;                // "dataplane"
    std::string instance = "lcore";  // what one instance is, for "(2 lcores)"; "" for none
    std::vector<std::string> names;
    std::vector<std::string> descriptions;
    // Reads every instance now. Called from control threads; must only read.
    std::function<std::vector<counter_instance>()> read;
};

class registry {
   public:
    void add_table(std::string name, std::string help, std::function<table()> fn);
    void add_counters(counter_group group);

    // nullptr when no such table.
    const std::function<table()>* find_table(const std::string& name) const;
    const std::vector<counter_group>& counter_groups() const { return groups_; }

    struct named_table {
        std::string name;
        std::string help;
        std::function<table()> fn;
    };
    const std::vector<named_table>& tables() const { return tables_; }

   private:
    std::vector<named_table> tables_;
    std::vector<counter_group> groups_;
};

// Sums instances counter by counter.
std::vector<uint64_t> sum(const std::vector<counter_instance>& instances, size_t width);

}  // namespace imsd::platform

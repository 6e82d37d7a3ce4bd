#include "platform/stats/registry.hpp"

namespace imsd::platform {

void registry::add_table(std::string name, std::string help, std::function<table()> fn) {
    tables_.push_back({std::move(name), std::move(help), std::move(fn)});
}

void registry::add_counters(counter_group group) { groups_.push_back(std::move(group)); }

const std::function<table()>* registry::find_table(const std::string& name) const {
    for (const auto& t : tables_) {
        if (t.name == name) {
            return &t.fn;
        }
    }
    return nullptr;
}

std::vector<uint64_t> sum(const std::vector<counter_instance>& instances, size_t width) {
    std::vector<uint64_t> total(width, 0);
    for (const auto& inst : instances) {
        for (size_t i = 0; i < width && i < inst.values.size(); ++i) {
            total[i] += inst.values[i];
        }
    }
    return total;
}

}  // namespace imsd::platform

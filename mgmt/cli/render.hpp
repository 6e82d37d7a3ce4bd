#pragma once

// Tables for people and JSON for scripts, from the same data.

#include <nlohmann/json.hpp>
#include <string>

#include "platform/stats/registry.hpp"

namespace imsd::mgmt::cli {

// Aligned columns, numbers right-aligned, a header line.
std::string render_table(const platform::table& t);
// An array of objects, one per row, keyed by column.
nlohmann::json table_json(const platform::table& t);
nlohmann::json cell_json(const platform::cell& c);

}  // namespace imsd::mgmt::cli

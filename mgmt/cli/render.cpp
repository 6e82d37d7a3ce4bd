#include "mgmt/cli/render.hpp"

#include <algorithm>

namespace imsd::mgmt::cli {

namespace {

std::string cell_text(const platform::cell& c) {
    return std::visit(
        [](const auto& v) -> std::string {
            if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::string>) {
                return v;
            } else {
                return std::to_string(v);
            }
        },
        c);
}

bool numeric(const platform::cell& c) { return !std::holds_alternative<std::string>(c); }

}  // namespace

std::string render_table(const platform::table& t) {
    std::vector<size_t> width(t.columns.size(), 0);
    for (size_t i = 0; i < t.columns.size(); ++i) {
        width[i] = t.columns[i].size();
    }
    for (const auto& row : t.rows) {
        for (size_t i = 0; i < row.size() && i < width.size(); ++i) {
            width[i] = std::max(width[i], cell_text(row[i]).size());
        }
    }
    std::string out;
    auto put = [&](const std::string& text, size_t i, bool right) {
        const std::string pad(width[i] - std::min(width[i], text.size()), ' ');
        out += right ? pad + text : text + pad;
        out += i + 1 < width.size() ? "  " : "";
    };
    for (size_t i = 0; i < t.columns.size(); ++i) {
        bool right = !t.rows.empty() && i < t.rows[0].size() && numeric(t.rows[0][i]);
        put(t.columns[i], i, right);
    }
    while (!out.empty() && out.back() == ' ') {
        out.pop_back();
    }
    out += "\n";
    for (const auto& row : t.rows) {
        for (size_t i = 0; i < row.size() && i < width.size(); ++i) {
            put(cell_text(row[i]), i, numeric(row[i]));
        }
        while (!out.empty() && out.back() == ' ') {
            out.pop_back();
        }
        out += "\n";
    }
    return out;
}

nlohmann::json cell_json(const platform::cell& c) {
    return std::visit([](const auto& v) { return nlohmann::json(v); }, c);
}

nlohmann::json table_json(const platform::table& t) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& row : t.rows) {
        nlohmann::json obj = nlohmann::json::object();
        for (size_t i = 0; i < row.size() && i < t.columns.size(); ++i) {
            obj[t.columns[i]] = cell_json(row[i]);
        }
        rows.push_back(std::move(obj));
    }
    return rows;
}

}  // namespace imsd::mgmt::cli

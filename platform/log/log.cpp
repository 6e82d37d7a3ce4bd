#include "platform/log/log.hpp"

#include <charconv>

namespace imsd::platform {

namespace {

std::array<int, plane_names.size()> g_types = {-1, -1, -1, -1};

constexpr std::array<std::string_view, 8> level_names = {"emerg",   "alert",  "crit", "err",
                                                         "warning", "notice", "info", "debug"};

}  // namespace

void log_init(uint32_t default_level) {
    for (size_t i = 0; i < plane_names.size(); ++i) {
        std::string name = "imsd." + std::string(plane_names[i]);
        g_types[i] = rte_log_register_type_and_pick_level(name.c_str(), default_level);
        if (g_types[i] < 0) {
            g_types[i] = RTE_LOGTYPE_USER1;
        }
    }
}

int logtype(plane p) noexcept {
    int t = g_types[static_cast<size_t>(p)];
    return t < 0 ? RTE_LOGTYPE_USER1 : t;
}

std::expected<uint32_t, error> parse_level(std::string_view name) {
    for (size_t i = 0; i < level_names.size(); ++i) {
        if (name == level_names[i]) {
            return static_cast<uint32_t>(i + 1);
        }
    }
    if (name == "error") {
        return RTE_LOG_ERR;
    }
    if (name == "warn") {
        return RTE_LOG_WARNING;
    }
    uint32_t v = 0;
    auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), v);
    if (ec == std::errc{} && p == name.data() + name.size() && v >= 1 && v <= 8) {
        return v;
    }
    return std::unexpected(
        make_error(std::string(name),
                   "unknown log level (emerg, alert, crit, err, warning, notice, info, "
                   "debug, or 1..8)"));
}

std::string_view level_name(uint32_t level) noexcept {
    if (level >= 1 && level <= level_names.size()) {
        return level_names[level - 1];
    }
    return "unknown";
}

namespace {

std::expected<int, error> find_plane(std::string_view plane_name) {
    for (size_t i = 0; i < plane_names.size(); ++i) {
        if (plane_name == plane_names[i]) {
            return logtype(static_cast<plane>(i));
        }
    }
    if (plane_name == "dpdk") {
        return -1;
    }
    return std::unexpected(make_error(std::string(plane_name),
                                      "unknown plane (platform, dataplane, sigplane, mgmt, dpdk)"));
}

}  // namespace

std::expected<uint32_t, error> get_level(std::string_view plane_name) {
    auto type = find_plane(plane_name);
    if (!type) {
        return std::unexpected(type.error());
    }
    int lvl = *type < 0 ? rte_log_get_level(RTE_LOGTYPE_EAL) : rte_log_get_level(*type);
    if (lvl < 0) {
        return std::unexpected(make_error(std::string(plane_name), "log type not registered"));
    }
    return static_cast<uint32_t>(lvl);
}

std::expected<uint32_t, error> set_level(std::string_view plane_name, std::string_view level) {
    auto lvl = parse_level(level);
    if (!lvl) {
        return std::unexpected(lvl.error());
    }
    auto prev = get_level(plane_name);
    if (!prev) {
        return std::unexpected(prev.error());
    }
    auto type = find_plane(plane_name);
    int rc = 0;
    if (*type < 0) {
        // DPDK's libraries and drivers: every logtype outside our own.
        rc = rte_log_set_level_pattern("lib.*", *lvl);
        if (rc == 0) {
            rc = rte_log_set_level_pattern("pmd.*", *lvl);
        }
        if (rc == 0) {
            rc = rte_log_set_level(RTE_LOGTYPE_EAL, *lvl);
        }
    } else {
        rc = rte_log_set_level(*type, *lvl);
    }
    if (rc < 0) {
        return std::unexpected(make_error(std::string(plane_name), "rte_log refused the level"));
    }
    return *prev;
}

void log_write(plane p, uint32_t level, std::string_view text) noexcept {
    rte_log(level, logtype(p), "imsd.%s: %.*s\n", plane_names[static_cast<size_t>(p)].data(),
            static_cast<int>(text.size()), text.data());
}

}  // namespace imsd::platform

#pragma once

// rte_log types per plane. Control-plane code logs through IMSD_LOG; the fast
// path never logs per packet (it counts instead).

#include <fmt/format.h>
#include <rte_log.h>

#include <array>
#include <expected>
#include <string>
#include <string_view>

#include "platform/error.hpp"

namespace imsd::platform {

enum class plane : uint8_t { platform, dataplane, sigplane, mgmt };
inline constexpr std::array<std::string_view, 4> plane_names = {"platform", "dataplane", "sigplane",
                                                                "mgmt"};

// Registers the logtypes "imsd.<plane>" at `default_level`. Call once from
// main before any other thread logs. Safe before rte_eal_init.
void log_init(uint32_t default_level);

// The rte_log type of a plane (registered by log_init).
int logtype(plane p) noexcept;

// Parses "emerg".."debug" (or 1..8) into an RTE_LOG_ level.
std::expected<uint32_t, error> parse_level(std::string_view name);
std::string_view level_name(uint32_t level) noexcept;

// Sets the level of one plane, or of DPDK's own logtypes with "dpdk". Any
// thread. Returns the previous level.
std::expected<uint32_t, error> set_level(std::string_view plane_name, std::string_view level);

// The current level of a plane ("dpdk" included).
std::expected<uint32_t, error> get_level(std::string_view plane_name);

void log_write(plane p, uint32_t level, std::string_view text) noexcept;

}  // namespace imsd::platform

#define IMSD_LOG(plane_, level_, ...)                                                      \
    do {                                                                                   \
        if (rte_log_can_log(::imsd::platform::logtype(::imsd::platform::plane::plane_),    \
                            RTE_LOG_##level_)) {                                           \
            ::imsd::platform::log_write(::imsd::platform::plane::plane_, RTE_LOG_##level_, \
                                        ::fmt::format(__VA_ARGS__));                       \
        }                                                                                  \
    } while (0)

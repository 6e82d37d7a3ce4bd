#pragma once

// The imsctl <-> imsd exchange on the UNIX socket: one request line of JSON
// {"argv": [...], "json": bool}, one reply of JSON {"exit", "out", "err"},
// then the daemon closes the connection.

#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mgmt/cli/execute.hpp"

namespace imsd::mgmt::cli {

inline constexpr size_t max_request_bytes = 64 * 1024;

struct request {
    std::vector<std::string> argv;
    bool json = false;
};

std::string encode_request(std::span<const std::string> argv, bool json);
std::expected<request, std::string> decode_request(std::string_view line);
std::string encode_reply(const reply& r);
std::expected<reply, std::string> decode_reply(std::string_view text);

}  // namespace imsd::mgmt::cli

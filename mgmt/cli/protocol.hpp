#pragma once

// The imsctl <-> imsd exchange on the UNIX socket: one request line of JSON
// {"argv": [...], "json": bool}, one reply of JSON {"exit", "out", "err"},
// then the daemon closes the connection.

#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mgmt/cli/reply.hpp"

namespace imsd::mgmt::cli {

// argv and options, plus an uploaded document (JSON-escaped, so up to 6x).
inline constexpr size_t max_request_bytes = 64 * 1024 + 6 * (1 << 20);

inline constexpr size_t max_upload_bytes = 1 << 20;

struct request {
    std::vector<std::string> argv;
    bool json = false;
    std::optional<std::string> input;  // an uploaded file's content
};

std::string encode_request(std::span<const std::string> argv, bool json,
                           const std::optional<std::string>& input = std::nullopt);
std::expected<request, std::string> decode_request(std::string_view line);
std::string encode_reply(const reply& r);
std::expected<reply, std::string> decode_reply(std::string_view text);

}  // namespace imsd::mgmt::cli

#include "mgmt/cli/protocol.hpp"

#include <nlohmann/json.hpp>

namespace imsd::mgmt::cli {

std::string encode_request(std::span<const std::string> argv, bool json) {
    nlohmann::json j = {{"argv", std::vector<std::string>(argv.begin(), argv.end())},
                        {"json", json}};
    return j.dump() + "\n";
}

std::expected<request, std::string> decode_request(std::string_view line) {
    if (line.size() > max_request_bytes) {
        return std::unexpected("request too large");
    }
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("argv") || !j["argv"].is_array()) {
        return std::unexpected("malformed request: expected {\"argv\": [...], \"json\": bool}");
    }
    request r;
    for (const auto& a : j["argv"]) {
        if (!a.is_string()) {
            return std::unexpected("malformed request: argv must hold strings");
        }
        r.argv.push_back(a.get<std::string>());
    }
    if (j.contains("json")) {
        if (!j["json"].is_boolean()) {
            return std::unexpected("malformed request: json must be true or false");
        }
        r.json = j["json"].get<bool>();
    }
    return r;
}

std::string encode_reply(const reply& r) {
    nlohmann::json j = {{"exit", r.exit}, {"out", r.out}, {"err", r.err}};
    // Invalid UTF-8 from anywhere must not make the daemon throw.
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::expected<reply, std::string> decode_reply(std::string_view text) {
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("exit") ||
        !j["exit"].is_number_integer()) {
        return std::unexpected("malformed reply from imsd");
    }
    reply r;
    r.exit = j["exit"].get<int>();
    r.out = j.value("out", "");
    r.err = j.value("err", "");
    return r;
}

}  // namespace imsd::mgmt::cli

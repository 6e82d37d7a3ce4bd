#include "mgmt/cli/protocol.hpp"

#include <nlohmann/json.hpp>

namespace imsd::mgmt::cli {

std::string encode_request(std::span<const std::string> argv, bool json,
                           const std::optional<std::string>& input) {
    nlohmann::json j = {{"argv", std::vector<std::string>(argv.begin(), argv.end())},
                        {"json", json}};
    if (input) {
        // Bytes, not text: a document that is not UTF-8 must reach the
        // daemon's validator as it is. Each byte becomes one code point.
        std::string latin1;
        for (unsigned char c : *input) {
            if (c < 0x80) {
                latin1 += static_cast<char>(c);
            } else {
                latin1 += static_cast<char>(0xc0 | (c >> 6));
                latin1 += static_cast<char>(0x80 | (c & 0x3f));
            }
        }
        j["input"] = latin1;
    }
    return j.dump() + "\n";
}

namespace {

// Undoes encode_request's byte-per-code-point encoding.
std::optional<std::string> bytes_of(const std::string& latin1) {
    std::string out;
    for (size_t i = 0; i < latin1.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(latin1[i]);
        if (c < 0x80) {
            out += static_cast<char>(c);
        } else if ((c == 0xc2 || c == 0xc3) && i + 1 < latin1.size()) {
            out += static_cast<char>(((c & 0x03) << 6) | (latin1[++i] & 0x3f));
        } else {
            return std::nullopt;
        }
    }
    return out;
}

}  // namespace

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
    if (j.contains("input")) {
        if (!j["input"].is_string()) {
            return std::unexpected("malformed request: input must be a string");
        }
        auto bytes = bytes_of(j["input"].get<std::string>());
        if (!bytes || bytes->size() > max_upload_bytes) {
            return std::unexpected("malformed request: input is not a byte string of at most " +
                                   std::to_string(max_upload_bytes) + " bytes");
        }
        r.input = std::move(*bytes);
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

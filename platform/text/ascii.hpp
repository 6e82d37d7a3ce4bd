#pragma once

// ASCII text helpers the protocol parsers share (MSRP, SIP, CPIM): header
// names compare case-insensitively in ASCII, values are trimmed of blanks
// (SP / HTAB), tokens use the RFC 3261 25.1 character set. No locale, no
// heap; any thread.

#include <algorithm>
#include <array>
#include <string_view>

namespace imsd::platform {

constexpr char ascii_lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr bool ascii_alnum(char c) noexcept {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

constexpr bool iequal(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return ascii_lower(x) == ascii_lower(y);
           });
}

// Without leading and trailing SP and HTAB.
constexpr std::string_view trim_blanks(std::string_view v) noexcept {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) {
        v.remove_prefix(1);
    }
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) {
        v.remove_suffix(1);
    }
    return v;
}

// RFC 3261 25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" /
// "+" / "`" / "'" / "~"). A table, looked up once per character: the MSRP
// and SIP parsers check every header name with it.
inline constexpr std::array<bool, 256> token_chars = [] {
    std::array<bool, 256> t{};
    for (int c = 0; c < 256; ++c) {
        const char ch = static_cast<char>(c);
        t[static_cast<size_t>(c)] =
            ascii_alnum(ch) || std::string_view("-.!%*_+`'~").find(ch) != std::string_view::npos;
    }
    return t;
}();

constexpr bool token_char(char c) noexcept { return token_chars[static_cast<unsigned char>(c)]; }

constexpr bool is_token(std::string_view t) noexcept {
    return !t.empty() && std::all_of(t.begin(), t.end(), token_char);
}

}  // namespace imsd::platform

#pragma once

// Reading what a message body says about itself, for the content policy:
// the encapsulated type of a message/cpim payload and Content-Type lists.
// Outside input: fuzzed by tests/fuzz/cpim_fuzz.cpp. No heap, no
// exceptions; owning lcore only.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace imsd::dp::policy {

// The inner headers of a message/cpim payload (RFC 3862 section 2: the
// message headers, a blank line, the encapsulated MIME headers, a blank
// line, the content), read incrementally over pieces split anywhere, with
// a fixed buffer: only the encapsulated Content-Type is kept.
class cpim_reader {
   public:
    // The next payload bytes; returns how many it took (it stops at the
    // start of the content).
    size_t feed(std::string_view bytes) noexcept;
    bool done() const noexcept { return section_ >= 2; }
    // More than max_header_bytes of headers, or a bare LF: not CPIM.
    bool failed() const noexcept { return failed_; }
    std::string_view content_type() const noexcept { return {type_.data(), type_len_}; }

    static constexpr uint32_t max_header_bytes = 4096;

   private:
    void end_of_line() noexcept;
    std::array<char, 96> line_{};  // the start of the current line
    uint8_t line_len_ = 0;
    bool line_long_ = false;
    std::array<char, 80> type_{};
    uint8_t type_len_ = 0;
    uint8_t section_ = 0;
    bool cr_ = false;
    bool failed_ = false;
    uint32_t total_ = 0;
};

// Whether `type` (a Content-Type value; parameters ignored, case-insensitive)
// is in `list` (space-separated RFC 4975 accept-types: "*", "type/*",
// "type/subtype"). An empty list accepts everything.
bool type_accepted(std::string_view type, std::string_view list) noexcept;

// Whether a Content-Type is message/cpim.
bool is_cpim(std::string_view type) noexcept;

}  // namespace imsd::dp::policy

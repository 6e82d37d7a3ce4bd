#include "dataplane/policy/cpim.hpp"

#include <algorithm>

#include "platform/text/ascii.hpp"

namespace imsd::dp::policy {

// --- cpim_reader --------------------------------------------------------------------------

namespace {

using platform::iequal;

// The media type without parameters.
std::string_view bare_type(std::string_view t) {
    return platform::trim_blanks(t.substr(0, t.find(';')));
}

}  // namespace

size_t cpim_reader::feed(std::string_view b) noexcept {
    size_t i = 0;
    while (i < b.size() && !done() && !failed_) {
        const char c = b[i++];
        if (++total_ > max_header_bytes) {
            failed_ = true;
            break;
        }
        if (c == '\n') {
            if (!cr_) {
                failed_ = true;  // RFC 3862 lines end in CRLF
                break;
            }
            cr_ = false;
            end_of_line();
            continue;
        }
        if (cr_) {
            // A CR not followed by LF is part of the line.
            cr_ = false;
            if (line_len_ < line_.size()) {
                line_[line_len_++] = '\r';
            } else {
                line_long_ = true;
            }
        }
        if (c == '\r') {
            cr_ = true;
            continue;
        }
        if (line_len_ < line_.size()) {
            line_[line_len_++] = c;
        } else {
            line_long_ = true;
        }
    }
    return i;
}

void cpim_reader::end_of_line() noexcept {
    const std::string_view line(line_.data(), line_len_);
    if (line.empty() && !line_long_) {
        ++section_;  // a blank line ends a header section
    } else if (section_ == 1) {
        constexpr std::string_view name = "content-type:";
        if (line.size() > name.size() && iequal(line.substr(0, name.size()), name)) {
            const std::string_view v = bare_type(line.substr(name.size()));
            type_len_ = static_cast<uint8_t>(std::min(v.size(), type_.size()));
            std::copy_n(v.data(), type_len_, type_.data());
        }
    }
    line_len_ = 0;
    line_long_ = false;
}

// --- types --------------------------------------------------------------------------------

bool is_cpim(std::string_view type) noexcept { return iequal(bare_type(type), "message/cpim"); }

bool type_accepted(std::string_view type, std::string_view list) noexcept {
    if (list.empty()) {
        return true;  // no list: every type (and no need to read this one)
    }
    const std::string_view t = bare_type(type);
    const size_t slash = t.find('/');
    bool any = false;
    while (!list.empty()) {
        const size_t sp = list.find(' ');
        const std::string_view item = list.substr(0, sp);
        list = sp == std::string_view::npos ? std::string_view{} : list.substr(sp + 1);
        if (item.empty()) {
            continue;
        }
        any = true;
        if (item == "*" || iequal(item, t)) {
            return true;
        }
        // "type/*": any subtype of that type.
        if (item.size() > 2 && item.ends_with("/*") && slash != std::string_view::npos &&
            iequal(item.substr(0, item.size() - 2), t.substr(0, slash))) {
            return true;
        }
    }
    return !any;
}

}  // namespace imsd::dp::policy

#include "sigplane/checks/sdp_offer.hpp"

#include <sofia-sip/sdp.h>
#include <sofia-sip/su_alloc.h>

#include <charconv>
#include <memory>

#include "platform/text/ascii.hpp"

namespace imsd::sig {

namespace {

struct parser_free {
    void operator()(sdp_parser_t* p) const { sdp_parser_free(p); }
};

std::vector<std::string> words_lower(std::string_view v) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < v.size()) {
        while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) {
            ++i;
        }
        size_t j = i;
        while (j < v.size() && v[j] != ' ' && v[j] != '\t') {
            ++j;
        }
        if (j > i) {
            std::string w(v.substr(i, j - i));
            for (char& c : w) {
                c = platform::ascii_lower(c);
            }
            out.push_back(std::move(w));
        }
        i = j;
    }
    return out;
}

std::optional<uint64_t> number(std::string_view v) {
    v = platform::trim_blanks(v);
    uint64_t n = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || p != v.data() + v.size() || v.empty()) {
        return std::nullopt;
    }
    return n;
}

}  // namespace

std::expected<msrp_offer, std::string> parse_msrp_offer(std::string_view sdp) {
    std::unique_ptr<sdp_parser_t, parser_free> parser(
        sdp_parse(nullptr, sdp.data(), static_cast<issize_t>(sdp.size()), sdp_f_anynet));
    sdp_session_t* session = parser ? sdp_session(parser.get()) : nullptr;
    if (session == nullptr) {
        return std::unexpected(std::string("SDP does not parse: ") +
                               (parser ? sdp_parsing_error(parser.get()) : "no memory"));
    }
    msrp_offer out;
    for (const sdp_media_t* m = session->sdp_media; m != nullptr; m = m->m_next) {
        const std::string_view proto = m->m_proto_name != nullptr ? m->m_proto_name : "";
        if (m->m_type != sdp_media_message ||
            !(platform::iequal(proto, "TCP/MSRP") || platform::iequal(proto, "TCP/TLS/MSRP"))) {
            continue;
        }
        out.present = true;
        for (const sdp_attribute_t* a = m->m_attributes; a != nullptr; a = a->a_next) {
            const std::string_view name = a->a_name != nullptr ? a->a_name : "";
            const std::string_view value = a->a_value != nullptr ? a->a_value : "";
            if (platform::iequal(name, "accept-types")) {
                out.accept_types = words_lower(value);
            } else if (platform::iequal(name, "accept-wrapped-types")) {
                out.accept_wrapped_types = words_lower(value);
            } else if (platform::iequal(name, "max-size")) {
                out.max_size = number(value);
                if (!out.max_size) {
                    return std::unexpected("a=max-size is not a number: " + std::string(value));
                }
            } else if (platform::iequal(name, "path")) {
                out.path = platform::trim_blanks(value);
            } else if (platform::iequal(name, "setup")) {
                out.setup = platform::trim_blanks(value);
            } else if (platform::iequal(name, "file-selector")) {
                // RFC 5547: name:"..." type:... size:N hash:...
                for (const auto& w : words_lower(value)) {
                    if (w.starts_with("size:")) {
                        out.file_size = number(std::string_view(w).substr(5));
                    }
                }
                if (!out.file_size) {
                    out.file_size = 0;  // a file transfer, size not stated
                }
            }
        }
        break;
    }
    return out;
}

}  // namespace imsd::sig

#include "dataplane/sip/framing.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include "platform/text/ascii.hpp"

namespace imsd::dp::sip {

std::string_view verdict_name(verdict v) noexcept {
    constexpr std::array<std::string_view, 8> names = {"ok",
                                                       "not_sip",
                                                       "malformed",
                                                       "too_large",
                                                       "too_many_headers",
                                                       "missing_header",
                                                       "cseq_mismatch",
                                                       "body_truncated"};
    const auto i = static_cast<size_t>(v);
    return i < names.size() ? names[i] : "?";
}

namespace {

using platform::iequal;
using platform::is_token;
using platform::trim_blanks;

bool sip_version(std::string_view v) { return iequal(v, "SIP/2.0"); }

// The headers the framing needs, by full or compact name (7.3.3).
enum class hdr : uint8_t { other, via, from, to, call_id, cseq, max_forwards, content_length };

hdr header_kind(std::string_view name) {
    if (name.size() == 1) {
        switch (platform::ascii_lower(name[0])) {
            case 'v':
                return hdr::via;
            case 'f':
                return hdr::from;
            case 't':
                return hdr::to;
            case 'i':
                return hdr::call_id;
            case 'l':
                return hdr::content_length;
            default:
                return hdr::other;
        }
    }
    if (iequal(name, "Via")) {
        return hdr::via;
    }
    if (iequal(name, "From")) {
        return hdr::from;
    }
    if (iequal(name, "To")) {
        return hdr::to;
    }
    if (iequal(name, "Call-ID")) {
        return hdr::call_id;
    }
    if (iequal(name, "CSeq")) {
        return hdr::cseq;
    }
    if (iequal(name, "Max-Forwards")) {
        return hdr::max_forwards;
    }
    if (iequal(name, "Content-Length")) {
        return hdr::content_length;
    }
    return hdr::other;
}

verdict fail(message_view& out, verdict v, const char* why) {
    out.reason = why;
    return v;
}

bool parse_u32(std::string_view s, uint32_t& v) {
    return !s.empty() &&
           std::from_chars(s.data(), s.data() + s.size(), v).ptr == s.data() + s.size();
}

}  // namespace

verdict frame_udp(std::string_view d, const limits& lim, message_view& out) noexcept {
    out = message_view{};
    if (d.size() > lim.max_message_bytes) {
        return fail(out, verdict::too_large, "datagram over the message size limit");
    }
    // RFC 3261 7.5: CRLFs before the start line are ignored (keep-alives).
    while (!d.empty() && (d.front() == '\r' || d.front() == '\n')) {
        d.remove_prefix(1);
    }
    size_t pos = 0;
    // The next line without its end; false at the end of the headers or data.
    auto next_line = [&](std::string_view& line) {
        if (pos >= d.size()) {
            return false;
        }
        const size_t lf = d.find('\n', pos);
        const size_t end = lf == std::string_view::npos ? d.size() : lf;
        line = d.substr(pos, end - pos);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        pos = lf == std::string_view::npos ? d.size() : lf + 1;
        return true;
    };

    std::string_view line;
    if (!next_line(line)) {
        return fail(out, verdict::not_sip, "empty datagram");
    }
    if (line.size() > lim.max_line_bytes) {
        return fail(out, verdict::too_large, "start line over the line limit");
    }
    // RFC 3261 7.1 / 7.2: Request-Line or Status-Line.
    const size_t sp1 = line.find(' ');
    const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp1 == std::string_view::npos || sp2 == std::string_view::npos) {
        return fail(out, verdict::not_sip, "no SIP start line");
    }
    const std::string_view w1 = line.substr(0, sp1);
    const std::string_view w2 = line.substr(sp1 + 1, sp2 - sp1 - 1);
    const std::string_view w3 = line.substr(sp2 + 1);
    if (sip_version(w1)) {
        uint32_t code = 0;
        if (w2.size() != 3 || !parse_u32(w2, code) || code < 100 || code > 699) {
            return fail(out, verdict::malformed, "bad status code");
        }
        out.status = static_cast<uint16_t>(code);
    } else if (sip_version(w3)) {
        if (!is_token(w1) || w2.empty() || w2.find(' ') != std::string_view::npos) {
            return fail(out, verdict::malformed, "bad Request-Line");
        }
        out.request = true;
        out.method = w1;
        out.request_uri = w2;
    } else {
        return fail(out, verdict::not_sip, "no SIP/2.0 in the start line");
    }

    // Headers (7.3), to the empty line.
    bool have_length = false;
    uint32_t content_length = 0;
    std::string_view* last = nullptr;  // the value a folded line continues
    bool ended = false;
    while (next_line(line)) {
        if (line.size() > lim.max_line_bytes) {
            return fail(out, verdict::too_large, "header line over the line limit");
        }
        if (line.empty()) {
            ended = true;
            break;
        }
        if (line.front() == ' ' || line.front() == '\t') {
            // 7.3.1: a folded continuation of the previous header.
            if (out.headers == 0) {
                return fail(out, verdict::malformed, "continuation line before any header");
            }
            if (last != nullptr) {
                // The value runs on to this line's end, in place.
                *last = trim_blanks(std::string_view(
                    last->data(), static_cast<size_t>(line.data() + line.size() - last->data())));
            }
            continue;
        }
        const size_t colon = line.find(':');
        if (colon == std::string_view::npos) {
            return fail(out, verdict::malformed, "a header line without a colon");
        }
        const std::string_view name = trim_blanks(line.substr(0, colon));
        if (!is_token(name)) {
            return fail(out, verdict::malformed, "a header name that is not a token");
        }
        if (++out.headers > lim.max_headers) {
            return fail(out, verdict::too_many_headers, "more headers than the limit");
        }
        const std::string_view value = trim_blanks(line.substr(colon + 1));
        last = nullptr;
        switch (header_kind(name)) {
            case hdr::via:
                if (out.via.empty()) {
                    out.via = value;
                    last = &out.via;
                }
                break;
            case hdr::from:
                out.from = value;
                last = &out.from;
                break;
            case hdr::to:
                out.to = value;
                last = &out.to;
                break;
            case hdr::call_id:
                out.call_id = value;
                break;
            case hdr::cseq:
                out.cseq = value;
                break;
            case hdr::max_forwards:
                out.max_forwards = value;
                break;
            case hdr::content_length:
                if (!parse_u32(value, content_length)) {
                    return fail(out, verdict::malformed, "bad Content-Length");
                }
                have_length = true;
                break;
            case hdr::other:
                break;
        }
    }
    if (!ended) {
        return fail(out, verdict::malformed, "headers never ended (no empty line)");
    }

    // RFC 3261 8.1.1: what every request carries; responses echo most of it.
    if (out.via.empty() || out.from.empty() || out.to.empty() || out.call_id.empty() ||
        out.cseq.empty() || (out.request && out.max_forwards.empty())) {
        return fail(out, verdict::missing_header,
                    out.request ? "a request without Via, From, To, Call-ID, CSeq or Max-Forwards"
                                : "a response without Via, From, To, Call-ID or CSeq");
    }
    // 8.1.1.5: CSeq = number LWS method; the method that of the request.
    const size_t csp = out.cseq.find_first_of(" \t");
    if (csp == std::string_view::npos || !parse_u32(out.cseq.substr(0, csp), out.cseq_number)) {
        return fail(out, verdict::malformed, "bad CSeq");
    }
    out.cseq_method = trim_blanks(out.cseq.substr(csp + 1));
    if (!is_token(out.cseq_method)) {
        return fail(out, verdict::malformed, "bad CSeq method");
    }
    if (out.request && out.cseq_method != out.method) {
        return fail(out, verdict::cseq_mismatch, "CSeq method differs from the Request-Line");
    }
    uint32_t hops = 0;
    if (out.request && !parse_u32(out.max_forwards, hops)) {
        return fail(out, verdict::malformed, "bad Max-Forwards");
    }

    // 18.3: the body.
    const std::string_view rest = pos < d.size() ? d.substr(pos) : std::string_view{};
    if (!have_length) {
        out.body = rest;
    } else if (content_length > rest.size()) {
        return fail(out, verdict::body_truncated, "Content-Length larger than the datagram");
    } else {
        out.body = rest.substr(0, content_length);
    }
    return verdict::ok;
}

}  // namespace imsd::dp::sip

#include "dataplane/msrp/parser.hpp"

#include <emmintrin.h>

#include <algorithm>
#include <cstring>

#include "dataplane/msrp/copy_small.hpp"
#include "platform/text/ascii.hpp"

namespace imsd::dp::msrp {

namespace {

using platform::ascii_alnum;
using platform::iequal;

// RFC 4975 9: ident = ALPHANUM 3*31ident-char; ident-char = ALPHANUM / "." /
// "-" / "+" / "%" / "="
constexpr std::array<bool, 256> ident_chars = [] {
    std::array<bool, 256> t{};
    for (int c = 0; c < 256; ++c) {
        const char ch = static_cast<char>(c);
        t[static_cast<size_t>(c)] =
            ascii_alnum(ch) || ch == '.' || ch == '-' || ch == '+' || ch == '%' || ch == '=';
    }
    return t;
}();

// Which of the 16 bytes at p are not ident-chars, a bit each. Range
// compares on signed bytes, the way SSE2 has them (bench_dp_msrp_relay: the
// per-byte table walk over the transaction id was 70 instructions a start
// line).
unsigned ident_bad16(const char* p) noexcept {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    auto in = [&](__m128i x, char lo, char hi) {
        return _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(static_cast<char>(lo - 1))),
                             _mm_cmplt_epi8(x, _mm_set1_epi8(static_cast<char>(hi + 1))));
    };
    // OR 0x20 lowers letters; '.', '-', '+', '%', '=' are unchanged by it
    // and no other byte lands in a-z by it but an upper-case letter.
    const __m128i lower = _mm_or_si128(v, _mm_set1_epi8(0x20));
    __m128i ok = _mm_or_si128(in(v, '0', '9'), in(lower, 'a', 'z'));
    for (char c : {'.', '-', '+', '%', '='}) {
        ok = _mm_or_si128(ok, _mm_cmpeq_epi8(v, _mm_set1_epi8(c)));
    }
    return static_cast<unsigned>(~_mm_movemask_epi8(ok)) & 0xffffu;
}

// How many of the first 16 bytes at p are ident-chars before the first
// that is not (16: all are).
unsigned ident_run16(const char* p) noexcept {
    const unsigned bad = ident_bad16(p);
    return bad == 0 ? 16u : static_cast<unsigned>(__builtin_ctz(bad));
}

// The first LF in [p, p + n), or null. Header lines are short (30 to 70
// bytes): 16 bytes a step inline, where a memchr call per line costs its
// call and set-up each time (memchr was 13% of the relay's samples in perf
// on bench_dp_msrp_relay, most of it per header line).
const char* find_lf(const char* p, size_t n) noexcept {
    const char* end = p + n;
    const __m128i lf = _mm_set1_epi8('\n');
    for (; end - p >= 16; p += 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        const int m = _mm_movemask_epi8(_mm_cmpeq_epi8(v, lf));
        if (m != 0) {
            return p + __builtin_ctz(static_cast<unsigned>(m));
        }
    }
    for (; p < end; ++p) {
        if (*p == '\n') {
            return p;
        }
    }
    return nullptr;
}

bool is_flag(char c) { return c == '$' || c == '+' || c == '#'; }

// A header name (token characters only) against a name in lower case:
// OR-ing 0x20 lowers the letters and leaves every other token character
// as it is, so no token character but the letter itself matches a letter.
// Eight bytes at a time (perf on bench_dp_msrp: iequal per character was
// 13% of the parse).
bool name_is(std::string_view n, std::string_view lower) noexcept {
    if (n.size() != lower.size()) {
        return false;
    }
    size_t i = 0;
    for (; i + 8 <= n.size(); i += 8) {
        uint64_t a, b;
        std::memcpy(&a, n.data() + i, 8);
        std::memcpy(&b, lower.data() + i, 8);
        if ((a | 0x2020202020202020ull) != b) {
            return false;
        }
    }
    for (; i < n.size(); ++i) {
        if ((n[i] | 0x20) != lower[i]) {
            return false;
        }
    }
    return true;
}

// What classify_header computes, for names known to be tokens.
hdr_id classify_token(std::string_view n) noexcept {
    // By length first: one comparison for almost every name.
    switch (n.size()) {
        case 6:
            return name_is(n, "status") ? hdr_id::status : hdr_id::other;
        case 7:
            return name_is(n, "to-path") ? hdr_id::to_path : hdr_id::other;
        case 9:
            return name_is(n, "from-path") ? hdr_id::from_path : hdr_id::other;
        case 10:
            return name_is(n, "message-id")   ? hdr_id::message_id
                   : name_is(n, "byte-range") ? hdr_id::byte_range
                                              : hdr_id::other;
        case 12:
            return name_is(n, "content-type") ? hdr_id::content_type : hdr_id::other;
        case 14:
            return name_is(n, "success-report")   ? hdr_id::success_report
                   : name_is(n, "failure-report") ? hdr_id::failure_report
                                                  : hdr_id::other;
        case 18:
            return name_is(n, "distribution-count") ? hdr_id::distribution_count : hdr_id::other;
        default:
            return hdr_id::other;
    }
}

// The names as RFC 4975 spells them, with their colon: a line starting so
// is that header, with no per-character checks (bench_dp_msrp_relay: the
// token scan and classify_token were 70 instructions a header line). Any
// other spelling takes the general path.
struct canonical {
    std::string_view name_colon;
    hdr_id id;
};
constexpr canonical canonical_names[] = {
    {"To-Path:", hdr_id::to_path},
    {"From-Path:", hdr_id::from_path},
    {"Message-ID:", hdr_id::message_id},
    {"Byte-Range:", hdr_id::byte_range},
    {"Content-Type:", hdr_id::content_type},
    {"Success-Report:", hdr_id::success_report},
    {"Failure-Report:", hdr_id::failure_report},
    {"Status:", hdr_id::status},
};

// The canonical name `line` starts with, as its length without the colon;
// 0: none. By the first letter, then one comparison (bench_dp_msrp_relay:
// trying the names in turn was 100 instructions a message).
[[gnu::always_inline]] inline size_t canonical_name(std::string_view line, hdr_id& id) noexcept {
    auto is = [&](size_t k) {
        const canonical& c = canonical_names[k];
        if (line.size() > c.name_colon.size() &&
            std::memcmp(line.data(), c.name_colon.data(), c.name_colon.size()) == 0) {
            id = c.id;
            return c.name_colon.size() - 1;
        }
        return size_t{0};
    };
    switch (line.empty() ? '\0' : line[0]) {
        case 'T':
            return is(0);
        case 'F': {
            const size_t n = is(1);
            return n != 0 ? n : is(6);
        }
        case 'M':
            return is(2);
        case 'B':
            return is(3);
        case 'C':
            return is(4);
        case 'S': {
            const size_t n = is(5);
            return n != 0 ? n : is(7);
        }
        default:
            return 0;
    }
}

// A header value without the blanks around it: one SP after the colon and
// none at the end on the fast path (RFC 4975's own spelling), trim_blanks
// otherwise.
std::string_view header_value(std::string_view after_colon) noexcept {
    if (after_colon.size() >= 2 && after_colon[0] == ' ' && after_colon[1] != ' ' &&
        after_colon[1] != '\t' && after_colon.back() != ' ' && after_colon.back() != '\t') {
        return after_colon.substr(1);
    }
    return platform::trim_blanks(after_colon);
}

}  // namespace

hdr_id classify_header(std::string_view n) noexcept {
    return platform::is_token(n) ? classify_token(n) : hdr_id::other;
}

std::optional<std::string_view> head::find(std::string_view name) const noexcept {
    if (const hdr_id id = classify_header(name); id != hdr_id::other) {
        return find(id);
    }
    for (uint16_t i = 0; i < n_headers; ++i) {
        if (iequal(headers[i].name, name)) {
            return headers[i].value;
        }
    }
    return std::nullopt;
}

std::optional<byte_range> parse_byte_range(std::string_view v) noexcept {
    byte_range r;
    if (!parse_byte_range(v, r)) {
        return std::nullopt;
    }
    return r;
}

bool parse_byte_range(std::string_view v, byte_range& into) noexcept {
    // range-start "-" range-end "/" total, read left to right in one pass
    // (bench_dp_msrp_relay 256 B: two finds and three number() calls were
    // 230 instructions a message). Numbers of 1 to 19 digits. Written into
    // the caller's object: GCC built a returned optional<byte_range> from
    // 8- and 1-byte stores and copied it out with 16-byte loads that could
    // not be forwarded from them (perf annotate: three quarters of the
    // function's samples on those stalls).
    const char* p = v.data();
    const char* const e = p + v.size();
    // Digits up to `stop`, which must follow; false otherwise. Past the
    // end, `stop` 0 stands for the end itself.
    auto digits = [&](uint64_t& out, char stop) {
        const char* const from = p;
        uint64_t n = 0;
        while (p < e && *p >= '0' && *p <= '9') {
            n = n * 10 + static_cast<uint64_t>(*p - '0');
            ++p;
        }
        const auto len = p - from;
        if (len == 0 || len > 19) {
            return false;
        }
        out = n;
        if (stop == 0) {
            return p == e;
        }
        if (p == e || *p != stop) {
            return false;
        }
        ++p;
        return true;
    };
    // "*" then `stop` (0: the end): true and consumed; else p unchanged.
    auto star = [&](char stop) {
        if (p < e && *p == '*' && (stop == 0 ? p + 1 == e : p + 1 < e && p[1] == stop)) {
            p += stop == 0 ? 1 : 2;
            return true;
        }
        return false;
    };
    uint64_t n = 0;
    if (!digits(n, '-') || n == 0) {
        return false;  // range-start counts from 1
    }
    // Plain values and flags: optionals copied here went through the stack
    // as 16-byte loads of 8- and 1-byte stores again.
    const uint64_t start = n;
    uint64_t end = 0, total = 0;
    const bool end_star = star('/');
    if (!end_star) {
        if (!digits(n, '/') || n < start - 1) {
            return false;
        }
        end = n;
    }
    const bool total_star = star(0);
    if (!total_star) {
        if (!digits(n, 0) || (!end_star && end > n)) {
            return false;
        }
        total = n;
    }
    into.start = start;
    if (end_star) {
        into.end.reset();
    } else {
        into.end = end;
    }
    if (total_star) {
        into.total.reset();
    } else {
        into.total = total;
    }
    return true;
}

std::string_view next_uri(std::string_view& rest) noexcept {
    // Plain loops: find_first_of(" \t") calls memchr on the set once per
    // character (perf on bench_dp_msrp_relay: 700 cycles per relayed SEND).
    auto blank = [](char c) { return c == ' ' || c == '\t'; };
    size_t b = 0;
    while (b < rest.size() && blank(rest[b])) {
        ++b;
    }
    size_t e = b;
    while (e < rest.size() && !blank(rest[e])) {
        ++e;
    }
    const std::string_view uri = rest.substr(b, e - b);
    rest.remove_prefix(e);
    return uri;
}

bool parser::feed(std::string_view bytes, sink& out) noexcept {
    size_t i = 0;
    while (i < bytes.size()) {
        switch (state_) {
            case state::failed:
                return false;
            case state::body:
            case state::skip:
                i += scan_body(bytes.substr(i), out);
                break;
            case state::line: {
                if (hdr_len_ == 0) {
                    // A message starts here: read its head in place if it can be.
                    const size_t n = head_in_place(bytes.substr(i), out);
                    i += n;
                    if (n != 0) {
                        break;
                    }
                }
                // The copying path: up to the end of the current line (or of
                // the input) into hdr_.
                const size_t room = lim_.max_header_bytes - hdr_len_;
                const char* nl = find_lf(bytes.data() + i, bytes.size() - i);
                const size_t want = nl != nullptr ? static_cast<size_t>(nl - bytes.data()) - i + 1
                                                  : bytes.size() - i;
                const size_t n = std::min(want, room);
                std::memcpy(hdr_.data() + hdr_len_, bytes.data() + i, n);
                hdr_len_ += static_cast<uint32_t>(n);
                i += n;
                const bool line_done = nl != nullptr && n == want;
                if (line_done && hdr_len_ - line_start_ >= 2 && hdr_[hdr_len_ - 2] == '\r') {
                    const std::string_view line(hdr_.data() + line_start_,
                                                hdr_len_ - 2 - line_start_);
                    if (on_line(line, line_start_ == 0, out)) {
                        line_start_ = hdr_len_;
                    }
                } else if (line_done) {
                    // A bare LF: not a line ending MSRP knows.
                    if (line_start_ == 0) {
                        fail(400, "start line not ended by CRLF", true, out);
                    } else {
                        fail(400, "header line not ended by CRLF", false, out);
                    }
                } else if (line_start_ == 0 && hdr_len_ > lim_.max_start_line_bytes) {
                    fail(400, "start line too long", true, out);
                } else if (hdr_len_ == lim_.max_header_bytes) {
                    fail(400, "headers too large", line_start_ == 0, out);
                }
                break;
            }
        }
    }
    return state_ != state::failed;
}

size_t parser::head_in_place(std::string_view b, sink& out) noexcept {
    size_t pos = 0;  // where the current line starts
    for (;;) {
        const char* nl = find_lf(b.data() + pos, b.size() - pos);
        if (nl == nullptr) {
            break;  // the piece ends inside a line
        }
        const auto end = static_cast<size_t>(nl - b.data());  // at the LF
        // What the copying path would not take whole (the header limit)
        // or would refuse (a bare LF) is left to it, so both judge alike.
        if (end + 1 > lim_.max_header_bytes || end == pos || b[end - 1] != '\r') {
            break;
        }
        const bool first = pos == 0;
        const std::string_view line = b.substr(pos, end - 1 - pos);
        pos = end + 1;
        if (!first) {
            // A header whose name is spelled as RFC 4975 spells it, with room
            // for it: taken here (bench_dp_msrp_relay: the call into
            // on_line and its other cases were ~30 instructions a line).
            hdr_id id = hdr_id::other;
            const size_t colon = canonical_name(line, id);
            if (colon != 0 && head_.n_headers < lim_.max_headers &&
                head_.n_headers < max_header_slots) {
                add_header(line, colon, id);
                continue;
            }
        }
        if (!on_line(line, first, out)) {
            return pos;  // the head is over (handed on, skipped or failed)
        }
    }
    if (pos == 0) {
        return 0;  // nothing read: the copying path takes the first line
    }
    // The lines read so far go into hdr_, where the copying path keeps
    // them, and the views into them follow.
    std::memcpy(hdr_.data(), b.data(), pos);
    const char* from = b.data();
    auto rebase = [&](std::string_view& v) {
        if (v.data() >= from && v.data() < from + pos) {
            v = std::string_view(hdr_.data() + (v.data() - from), v.size());
        }
    };
    rebase(head_.method_name);
    rebase(head_.comment);
    for (uint16_t k = 0; k < head_.n_headers; ++k) {
        rebase(head_.headers[k].name);
        rebase(head_.headers[k].value);
    }
    hdr_len_ = static_cast<uint32_t>(pos);
    line_start_ = hdr_len_;
    return pos;
}

bool parser::start_line(std::string_view line, sink& out) noexcept {
    // req-start = pMSRP SP transact-id SP method CRLF
    // resp-start = pMSRP SP transact-id SP status-code [SP comment] CRLF
    if (line.size() > lim_.max_start_line_bytes || line.substr(0, 5) != "MSRP ") {
        fail(400, "not an MSRP start line", true, out);
        return false;
    }
    line.remove_prefix(5);
    // transact-id = ident, read and checked in one pass up to the SP. In
    // memory the line has "MSRP " before it and its CRLF after it (both
    // callers: the piece read in place, and hdr_), so a shorter one is read
    // as the 16 bytes that end at its LF: the start line of a SEND with a
    // 10-character id took the per-byte loop, whose exit mispredicted.
    size_t sp = 0;
    if (line.size() + 2 >= 16) {
        sp = ident_run16(line.data());  // stops at the CR at the latest
    } else if (line.size() >= 16 - 2 - 5) {
        const size_t before = 16 - 2 - line.size();  // bytes of "MSRP " read
        const unsigned bad = (ident_bad16(line.data() - before) >> before) |
                             (1u << (16 - before));  // past the LF: not the id's
        sp = static_cast<unsigned>(__builtin_ctz(bad));
    }
    if (sp == 16 || line.size() < 16 - 2 - 5) {  // a longer id, or too short to load
        while (sp < line.size() && ident_chars[static_cast<unsigned char>(line[sp])]) {
            ++sp;
        }
    }
    const std::string_view tid = line.substr(0, sp);
    if (sp == line.size() || line[sp] != ' ' || sp < 4 || sp > 32 || !ascii_alnum(tid[0])) {
        fail(400, "bad transaction id", true, out);
        return false;
    }
    // Field by field: a fresh head{} would zero its 64 header slots (2 KiB)
    // per message (perf on the 256 B relay: 7% of imsd's time).
    head_.request = false;
    head_.kind = method::other;
    head_.method_name = {};
    head_.status = 0;
    head_.comment = {};
    head_.n_headers = 0;
    head_.first = {};
    head_.has_body = false;
    begin_delim(tid);
    head_.tid = std::string_view(delim_.data() + delim_tid_at, tid.size());
    const std::string_view rest = line.substr(sp + 1);
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    if (rest.size() >= 3 && digit(rest[0]) && digit(rest[1]) && digit(rest[2]) &&
        (rest.size() == 3 || rest[3] == ' ')) {
        head_.request = false;
        head_.status =
            static_cast<uint16_t>((rest[0] - '0') * 100 + (rest[1] - '0') * 10 + (rest[2] - '0'));
        head_.comment = rest.size() > 4 ? rest.substr(4) : std::string_view{};
        return true;
    }
    if (rest.empty() ||
        !std::all_of(rest.begin(), rest.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
        // The transaction is known, so the request can be answered and
        // skipped: the framing holds.
        head_.request = true;
        fail(400, "bad method", false, out, true);
        return false;
    }
    head_.request = true;
    head_.method_name = rest;
    head_.kind = rest == "SEND" ? method::send : rest == "REPORT" ? method::report : method::other;
    return true;
}

void parser::begin_delim(std::string_view tid) noexcept {
    // The id is copied from the line itself: copied from a copy just made
    // by copy_small's two overlapping stores, its first load could not be
    // forwarded from them (perf annotate on bench_dp_msrp_relay 256 B: that
    // load was 3% of the relay's samples).
    static constexpr char lead[8] = {'\r', '\n', '-', '-', '-', '-', '-', '-'};
    std::memcpy(delim_.data(), lead, 8);
    delim_[8] = '-';
    copy_small(delim_.data() + delim_tid_at, tid.data(), tid.size());
    delim_len_ = static_cast<uint8_t>(delim_tid_at + tid.size());
    matched_ = 0;
}

bool parser::on_line(std::string_view line, bool first, sink& out) noexcept {
    if (first) {
        return start_line(line, out);
    }
    if (!line.empty() && line[0] == '-' && line.substr(0, 7) == "-------") {
        // The end-line right after the headers: a message with no body.
        const std::string_view rest = line.substr(7);
        if (rest.size() == head_.tid.size() + 1 && rest.substr(0, head_.tid.size()) == head_.tid &&
            is_flag(rest.back())) {
            if (head_.n_headers < 2 || head_.headers[0].id != hdr_id::to_path ||
                head_.headers[1].id != hdr_id::from_path) {
                fail(400, "To-Path and From-Path must come first", false, out, true);
                finish(rest.back(), out);
                return false;
            }
            head_.has_body = false;
            out.on_head(head_);
            finish(rest.back(), out);
            return false;
        }
        fail(400, "end-line does not match the transaction", false, out, true);
        return false;
    }
    if (line.empty()) {
        // The blank line: the body follows.
        if (head_.n_headers < 2 || head_.headers[0].id != hdr_id::to_path ||
            head_.headers[1].id != hdr_id::from_path) {
            fail(400, "To-Path and From-Path must come first", false, out, true);
            matched_ = 0;  // the body (skipped) starts now
            return false;
        }
        if (head_.request && !head_.find(hdr_id::content_type)) {
            fail(400, "a body needs Content-Type", false, out, true);
            matched_ = 0;
            return false;
        }
        head_.has_body = true;
        out.on_head(head_);
        state_ = state::body;
        body_len_ = 0;
        matched_ = 0;
        return false;
    }
    hdr_id id = hdr_id::other;
    size_t colon = canonical_name(line, id);
    if (colon == 0) {
        // RFC 4975 9: hname = ALPHA *token-char, then ":".
        colon = 1;
        while (colon < line.size() && platform::token_char(line[colon])) {
            ++colon;
        }
        const char c0 = line[0];
        if (colon == line.size() || line[colon] != ':' ||
            !((c0 >= 'A' && c0 <= 'Z') || (c0 >= 'a' && c0 <= 'z'))) {
            fail(400, "malformed header", false, out, true);
            return false;
        }
        id = classify_token(line.substr(0, colon));  // a token: checked above
    }
    if (head_.n_headers >= lim_.max_headers || head_.n_headers >= max_header_slots) {
        fail(400, "too many headers", false, out, true);
        return false;
    }
    add_header(line, colon, id);
    return true;
}

[[gnu::always_inline]] inline void parser::add_header(std::string_view line, size_t colon,
                                                      hdr_id id) noexcept {
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = header_value(line.substr(colon + 1));
    if (id != hdr_id::other && head_.first[static_cast<size_t>(id)] == 0) {
        head_.first[static_cast<size_t>(id)] = static_cast<uint8_t>(head_.n_headers + 1);
    }
    // Field by field: a header{} built on the stack and copied whole made
    // g++ store it in 8-byte halves and load it in 16-byte ones, a
    // store-forwarding stall per header (perf annotate on bench_dp_msrp).
    header& slot = head_.headers[head_.n_headers++];
    slot.name = name;
    slot.value = value;
    slot.id = id;
    slot.line_bytes = static_cast<uint16_t>(line.size() + 2);  // <= max_header_bytes
}

void parser::fail(uint16_t status, const char* reason, bool fatal, sink& out,
                  bool at_line_start) noexcept {
    if (cnt_ != nullptr) {
        ++cnt_->errors;
        cnt_->fatal_errors += fatal ? 1 : 0;
    }
    error e{status, reason, fatal, fatal ? std::string_view{} : head_.tid};
    if (fatal) {
        state_ = state::failed;
        out.on_error(e);
        return;
    }
    // Skip to this transaction's end-line. At a line start the CRLF before
    // "-------" was already consumed: count it as matched.
    matched_ = state_ == state::line && at_line_start ? 2 : 0;
    state_ = state::skip;
    out.on_error(e);
}

void parser::finish(char flag, sink& out) noexcept {
    if (cnt_ != nullptr) {
        ++cnt_->messages;
    }
    out.on_end(flag);
    state_ = state::line;
    hdr_len_ = 0;
    line_start_ = 0;
    matched_ = 0;
    body_len_ = 0;
}

size_t parser::scan_body(std::string_view bytes, sink& out) noexcept {
    const bool emit = state_ == state::body;
    size_t run = 0;  // start of the bytes known to be body, not yet handed over
    auto flush = [&](size_t to) {
        if (emit && to > run) {
            body_len_ += to - run;
            if (body_len_ > lim_.max_body_bytes) {
                fail(413, "chunk larger than the limit", false, out);
                return;
            }
            if (cnt_ != nullptr) {
                cnt_->body_bytes += to - run;
            }
            out.on_body(bytes.substr(run, to - run), false);
        }
    };
    // A partial match that failed: what was held back is body after all.
    auto release_held = [&]() {
        if (matched_ == 0) {
            return;
        }
        std::array<char, 2 + 7 + 32 + 2> held{};
        std::memcpy(held.data(), delim_.data(), std::min<size_t>(matched_, delim_len_));
        if (matched_ > delim_len_) {
            held[delim_len_] = flag_;
        }
        if (matched_ > delim_len_ + 1) {
            held[delim_len_ + 1] = '\r';
        }
        const size_t n = matched_;
        matched_ = 0;
        if (emit) {
            body_len_ += n;
            if (body_len_ > lim_.max_body_bytes) {
                fail(413, "chunk larger than the limit", false, out);
                return;
            }
            if (cnt_ != nullptr) {
                cnt_->body_bytes += n;
            }
            out.on_body(std::string_view(held.data(), n), true);
        }
    };
    for (size_t k = 0; k < bytes.size(); ++k) {
        if (matched_ == 0) {
            // Outside a possible end-line, only a CR can start one: jump to
            // the next (memchr is vectorized; bench_dp_msrp BM_msrp_parse/65536:
            // 4.3 -> 0.05 cycles per byte).
            const void* cr = std::memchr(bytes.data() + k, '\r', bytes.size() - k);
            if (cr == nullptr) {
                break;
            }
            k = static_cast<size_t>(static_cast<const char*>(cr) - bytes.data());
            const size_t whole = size_t{delim_len_} + 3;  // CRLF "-------" tid, flag, CRLF
            if (bytes.size() - k >= whole) {
                // The whole end-line would fit in this piece: one comparison
                // instead of a byte at a time (bench_dp_msrp BM_msrp_parse).
                const char* at = bytes.data() + k;
                if (std::memcmp(at, delim_.data(), delim_len_) != 0 || !is_flag(at[delim_len_]) ||
                    at[delim_len_ + 1] != '\r' || at[delim_len_ + 2] != '\n') {
                    continue;  // body: this CR starts no end-line
                }
                flush(k);
                if (state_ != state::body && emit) {
                    return k;  // flush hit the size limit: now skipping
                }
                flag_ = at[delim_len_];
                finish(flag_, out);
                return k + whole;
            }
        }
        const char c = bytes[k];
        bool taken = false;
        if (matched_ < delim_len_) {
            taken = c == delim_[matched_];
        } else if (matched_ == delim_len_) {
            taken = is_flag(c);
            if (taken) {
                flag_ = c;
            }
        } else if (matched_ == delim_len_ + 1) {
            taken = c == '\r';
        } else {
            taken = c == '\n';
        }
        if (taken) {
            if (matched_ == 0) {
                flush(k);
                if (state_ != state::body && emit) {
                    // flush hit the size limit: now skipping
                    return k;
                }
            }
            if (++matched_ == delim_len_ + 3) {
                matched_ = 0;
                finish(flag_, out);
                return k + 1;
            }
            run = k + 1;
            continue;
        }
        if (matched_ > 0) {
            // Only delim_[0] is CR, and the flag, CR, LF cannot start it:
            // after a failed match, this byte can only start a new one.
            release_held();  // nothing before k is unflushed: run == k
            if (state_ != state::body && emit) {
                return k;
            }
            run = k;
            if (c == delim_[0]) {
                matched_ = 1;
                run = k + 1;
            }
        }
    }
    if (matched_ == 0) {
        flush(bytes.size());
    }
    return bytes.size();
}

}  // namespace imsd::dp::msrp

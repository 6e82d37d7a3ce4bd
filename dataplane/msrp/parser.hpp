#pragma once

// An incremental RFC 4975 (section 9) parser for one MSRP connection's byte
// stream, fed in pieces split anywhere (inside the start line, a header, the
// body, the end-line). The start line and headers of a message are gathered
// in a fixed per-connection buffer and handed over as views into it; the
// body is handed over as views into the bytes fed (zero copy), except the
// few bytes that looked like the start of the end-line across a piece
// boundary and turned out to be body (then a view into the parser's own
// copy of the delimiter). No heap, no exceptions; every limit is a setting.
//
// Used on the owning lcore only. The views a sink receives are valid during
// the call.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace imsd::dp::msrp {

struct limits {
    uint32_t max_start_line_bytes = 256;
    uint32_t max_header_bytes = 4096;   // start line and headers together (<= header_capacity)
    uint16_t max_headers = 32;          // (<= max_header_slots)
    uint32_t max_body_bytes = 1 << 20;  // one chunk's body
};

inline constexpr uint32_t header_capacity = 8192;
inline constexpr uint16_t max_header_slots = 64;

enum class method : uint8_t { send, report, other };

// The headers the relay and the policy read, recognised once while the
// header is parsed, so that looking one up is an index, not a scan of the
// names (bench_dp_msrp_relay: head::find was 4% of the relay's time).
enum class hdr_id : uint8_t {
    other,
    to_path,
    from_path,
    message_id,
    byte_range,
    content_type,
    success_report,
    failure_report,
    status,
    distribution_count,
    count_  // not a header: how many ids there are
};
// Which of them a header name is (case-insensitive); other for the rest.
hdr_id classify_header(std::string_view name) noexcept;

struct header {
    std::string_view name;
    std::string_view value;
    hdr_id id = hdr_id::other;
    uint16_t line_bytes = 0;  // the whole line from the name, CRLF included
};

// The start line and headers of one request or response.
struct head {
    bool request = false;
    std::string_view tid;  // transaction id
    method kind = method::other;
    std::string_view method_name;  // requests: as sent ("SEND", "NICKNAME", ...)
    uint16_t status = 0;           // responses
    std::string_view comment;      // responses: optional text after the code
    uint16_t n_headers = 0;
    std::array<header, max_header_slots> headers{};
    // Per recognised header: 1 + the index of the first of that name, 0: none.
    std::array<uint8_t, static_cast<size_t>(hdr_id::count_)> first{};
    bool has_body = false;

    // Header lines `from` to the last, as they came (CRLFs included): one
    // head's lines lie in order in one buffer, so this is a single view.
    std::string_view lines_from(uint16_t from) const noexcept {
        if (from >= n_headers) {
            return {};
        }
        const header& last = headers[n_headers - 1];
        const char* begin = headers[from].name.data();
        return {begin, static_cast<size_t>(last.name.data() + last.line_bytes - begin)};
    }
    // The first header of that name (case-insensitive), if any.
    std::optional<std::string_view> find(std::string_view name) const noexcept;
    std::optional<std::string_view> find(hdr_id id) const noexcept {
        const uint8_t at = first[static_cast<size_t>(id)];
        if (at == 0) {
            return std::nullopt;
        }
        return headers[at - 1].value;
    }
};

// Byte-Range: start-end/total, where end and total may be "*" (RFC 4975 9).
struct byte_range {
    uint64_t start = 1;
    std::optional<uint64_t> end;    // nullopt: "*"
    std::optional<uint64_t> total;  // nullopt: "*"
};
std::optional<byte_range> parse_byte_range(std::string_view v) noexcept;
// The same into `into` (left as it was when false): the form for the fast path.
bool parse_byte_range(std::string_view v, byte_range& into) noexcept;

// The URIs of a To-Path / From-Path value, one at a time: returns the next
// URI and advances `rest`; empty when none is left.
std::string_view next_uri(std::string_view& rest) noexcept;

// Why the parser refused input. `fatal`: the framing is lost (the start
// line could not be read), the connection must be closed; otherwise the
// message identified by `tid` is skipped to its end-line and the caller
// answers it (a request) with `status`.
struct error {
    uint16_t status = 400;
    const char* reason = "";
    bool fatal = false;
    std::string_view tid;
};

// What the parser reports, in stream order, for each message: head, then
// any body pieces, then end; or error (then, unless fatal, end once the
// message's end-line is found).
class sink {
   public:
    virtual ~sink() = default;
    virtual void on_head(const head& h) = 0;
    // A piece of the body. `copied`: the bytes are the parser's (they were
    // held back as a possible end-line), not the caller's.
    virtual void on_body(std::string_view bytes, bool copied) = 0;
    // The end-line: '$' complete, '+' more chunks follow, '#' aborted.
    virtual void on_end(char flag) = 0;
    virtual void on_error(const error& e) = 0;
};

// Counters a parser adds to (one per lcore, shared by its connections).
struct parse_counters {
    uint64_t messages = 0;
    uint64_t body_bytes = 0;
    uint64_t errors = 0;
    uint64_t fatal_errors = 0;
};

class parser {
   public:
    explicit parser(const limits& l, parse_counters* c = nullptr) noexcept : lim_(l), cnt_(c) {
        lim_.max_header_bytes = std::min(std::max(lim_.max_header_bytes, 64u), header_capacity);
        lim_.max_start_line_bytes = std::min(lim_.max_start_line_bytes, lim_.max_header_bytes);
    }

    // Parses a piece of the stream. Returns false once a fatal error was
    // reported (the parser then ignores input; the caller closes).
    bool feed(std::string_view bytes, sink& out) noexcept;

    bool failed() const noexcept { return state_ == state::failed; }
    // Between messages (nothing half-read).
    bool idle() const noexcept { return state_ == state::line && hdr_len_ == 0; }
    // The head of the message being read (or last read). Its views stay
    // good until the next message's head starts, and no longer than the
    // bytes fed that hold them (in place) or this parser (copied).
    const head& last_head() const noexcept { return head_; }

   private:
    enum class state : uint8_t { line, body, skip, failed };

    // Header section: one complete line, without its CRLF (`first`: the
    // start line). True while the header section goes on.
    bool on_line(std::string_view line, bool first, sink& out) noexcept;
    bool start_line(std::string_view line, sink& out) noexcept;
    // A header line whose name ends at `colon`, into the next slot (the
    // caller checked the header limits).
    void add_header(std::string_view line, size_t colon, hdr_id id) noexcept;
    // At a message's start: its header lines read where they lie in
    // `bytes`, without copying; returns the bytes consumed. Where the piece
    // ends inside the header section, or a line needs the copying path's
    // judgement (too long, a bare LF), what was read is copied into hdr_
    // and the copying path goes on from there.
    size_t head_in_place(std::string_view bytes, sink& out) noexcept;
    // `at_line_start`: the CRLF of the line before was consumed (a skip
    // for the end-line then starts with it matched).
    void fail(uint16_t status, const char* reason, bool fatal, sink& out,
              bool at_line_start = false) noexcept;
    void finish(char flag, sink& out) noexcept;
    void begin_delim(std::string_view tid) noexcept;
    // Body or skip: bytes until the end-line; returns bytes consumed.
    size_t scan_body(std::string_view bytes, sink& out) noexcept;

    limits lim_;
    parse_counters* cnt_;
    state state_ = state::line;
    std::array<char, header_capacity> hdr_{};
    uint32_t hdr_len_ = 0;
    uint32_t line_start_ = 0;
    head head_{};
    // The end-line delimiter of the current message: CRLF "-------" tid.
    // The transaction id is kept here only: head_.tid views it, past the
    // header buffer.
    static constexpr size_t delim_tid_at = 2 + 7;
    std::array<char, delim_tid_at + 32> delim_{};
    uint8_t delim_len_ = 0;
    uint8_t matched_ = 0;  // bytes of delim_ (then flag, CR, LF) matched
    char flag_ = 0;
    uint64_t body_len_ = 0;
};

}  // namespace imsd::dp::msrp

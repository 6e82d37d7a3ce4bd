// RFC 4975 section 9 parsing: every grammar element, every split position,
// every error.

#include "dataplane/msrp/parser.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace imsd::test {
namespace {

using dp::msrp::head;
using dp::msrp::parser;

// Records what the parser reports, copying the views (they live only
// during the call).
struct recorder : dp::msrp::sink {
    struct message {
        bool request = false;
        std::string tid, method, comment;
        uint16_t status = 0;
        dp::msrp::method kind = dp::msrp::method::other;
        std::vector<std::pair<std::string, std::string>> headers;
        std::string lines;  // head::lines_from(2): the header lines after the paths
        std::string body;
        char flag = 0;
        bool has_head = false;
        uint16_t error = 0;
        std::string reason;
        bool fatal = false;
    };
    std::vector<message> msgs;
    size_t copied_bytes = 0;
    message& cur() {
        if (msgs.empty() || msgs.back().flag != 0 || msgs.back().fatal) {
            msgs.emplace_back();
        }
        return msgs.back();
    }
    void on_head(const head& h) override {
        auto& m = cur();
        m.has_head = true;
        m.request = h.request;
        m.tid = h.tid;
        m.method = h.method_name;
        m.kind = h.kind;
        m.status = h.status;
        m.comment = h.comment;
        for (uint16_t i = 0; i < h.n_headers; ++i) {
            m.headers.emplace_back(h.headers[i].name, h.headers[i].value);
        }
        m.lines = h.lines_from(2);
    }
    void on_body(std::string_view b, bool copied) override {
        cur().body += b;
        copied_bytes += copied ? b.size() : 0;
    }
    void on_end(char flag) override { cur().flag = flag; }
    void on_error(const dp::msrp::error& e) override {
        auto& m = cur();
        m.error = e.status;
        m.reason = e.reason;
        m.fatal = e.fatal;
        m.tid = e.tid;
    }
};

const std::string send_msg =
    "MSRP a786hjs2 SEND\r\n"
    "To-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp "
    "msrp://bob.example.com:8888/9di4eae923wzd;tcp\r\n"
    "From-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp\r\n"
    "Message-ID: 87652491\r\n"
    "Byte-Range: 1-25/25\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "Hey Bob, are you there?\r\n"
    "-------a786hjs2$\r\n";

const std::string ok_resp =
    "MSRP a786hjs2 200 OK\r\n"
    "To-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp\r\n"
    "From-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp\r\n"
    "-------a786hjs2$\r\n";

std::vector<recorder::message> parse(const std::string& s, dp::msrp::limits l = {}) {
    parser p(l);
    recorder r;
    p.feed(s, r);
    return r.msgs;
}

TEST(msrp_parser, send_with_body_every_field) {
    auto m = parse(send_msg);
    ASSERT_EQ(m.size(), 1u);
    EXPECT_TRUE(m[0].request);
    EXPECT_EQ(m[0].tid, "a786hjs2");
    EXPECT_EQ(m[0].method, "SEND");
    EXPECT_EQ(m[0].kind, dp::msrp::method::send);
    ASSERT_EQ(m[0].headers.size(), 5u);
    EXPECT_EQ(m[0].headers[0].first, "To-Path");
    EXPECT_EQ(m[0].headers[3], (std::pair<std::string, std::string>{"Byte-Range", "1-25/25"}));
    EXPECT_EQ(m[0].body, "Hey Bob, are you there?");
    EXPECT_EQ(m[0].flag, '$');
    EXPECT_EQ(m[0].error, 0);
}

TEST(msrp_parser, response_with_comment_and_no_body) {
    auto m = parse(ok_resp);
    ASSERT_EQ(m.size(), 1u);
    EXPECT_FALSE(m[0].request);
    EXPECT_EQ(m[0].status, 200);
    EXPECT_EQ(m[0].comment, "OK");
    EXPECT_TRUE(m[0].body.empty());
    EXPECT_EQ(m[0].flag, '$');
    auto bare = parse("MSRP abcd 481\r\nTo-Path: a\r\nFrom-Path: b\r\n-------abcd$\r\n");
    ASSERT_EQ(bare.size(), 1u);
    EXPECT_EQ(bare[0].status, 481);
    EXPECT_TRUE(bare[0].comment.empty());
}

TEST(msrp_parser, every_split_position_gives_the_same_result) {
    const std::string stream = send_msg + ok_resp + send_msg;
    const auto whole = parse(stream);
    ASSERT_EQ(whole.size(), 3u);
    for (size_t cut = 1; cut < stream.size(); ++cut) {
        parser p(dp::msrp::limits{});
        recorder r;
        p.feed(std::string_view(stream).substr(0, cut), r);
        p.feed(std::string_view(stream).substr(cut), r);
        ASSERT_EQ(r.msgs.size(), 3u) << "cut at " << cut;
        for (size_t i = 0; i < 3; ++i) {
            EXPECT_EQ(r.msgs[i].body, whole[i].body) << "cut at " << cut;
            EXPECT_EQ(r.msgs[i].headers, whole[i].headers) << "cut at " << cut;
            EXPECT_EQ(r.msgs[i].flag, whole[i].flag) << "cut at " << cut;
            EXPECT_EQ(r.msgs[i].lines, whole[i].lines) << "cut at " << cut;
        }
    }
    // And one byte at a time.
    parser p(dp::msrp::limits{});
    recorder r;
    for (char c : stream) {
        p.feed(std::string_view(&c, 1), r);
    }
    ASSERT_EQ(r.msgs.size(), 3u);
    EXPECT_EQ(r.msgs[2].body, "Hey Bob, are you there?");
    EXPECT_EQ(r.msgs[2].lines, whole[2].lines);
}

// What the relay passes on as one block: the header lines after To-Path and
// From-Path exactly as sent (blanks and case kept, CRLFs included), however
// the stream was split, read in place or through the copying path.
TEST(msrp_parser, header_lines_after_the_paths_are_one_view_as_sent) {
    const std::string lines =
        "Message-ID:   87652491  \r\nbyte-range:1-25/25\r\nX-Odd: a\tb\r\n"
        "Content-Type: text/plain\r\n";
    const std::string msg =
        "MSRP a786hjs2 SEND\r\nTo-Path: msrp://b.example.com:1/s1;tcp\r\n"
        "From-Path: msrp://a.example.com:2/s2;tcp\r\n" +
        lines + "\r\nHey\r\n-------a786hjs2$\r\n";
    for (size_t cut = 0; cut < msg.size(); ++cut) {
        parser p(dp::msrp::limits{});
        recorder r;
        p.feed(std::string_view(msg).substr(0, cut), r);
        p.feed(std::string_view(msg).substr(cut), r);
        ASSERT_EQ(r.msgs.size(), 1u) << "cut at " << cut;
        EXPECT_EQ(r.msgs[0].lines, lines) << "cut at " << cut;
        EXPECT_EQ(r.msgs[0].headers[2].second, "87652491");
    }
    // A response with the paths only has none.
    auto m = parse(ok_resp);
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(m[0].lines, "");
}

TEST(msrp_parser, body_that_looks_like_an_end_line_is_body) {
    // The delimiter's prefixes inside the body, the wrong transaction, a
    // missing flag: all body. Only CRLF "-------a786hjs2" flag CRLF ends it.
    const std::string body =
        "line1\r\n-------\r\n-------a786hjs\r\n-------a786hjs2X\r\n-------a786hjs2$ tail\r\n"
        "-------b786hjs2$";
    std::string msg = send_msg;
    msg.replace(msg.find("Hey Bob, are you there?"), 23, body);
    for (size_t cut = 1; cut < msg.size(); cut += 3) {
        parser p(dp::msrp::limits{});
        recorder r;
        p.feed(std::string_view(msg).substr(0, cut), r);
        p.feed(std::string_view(msg).substr(cut), r);
        ASSERT_EQ(r.msgs.size(), 1u) << cut;
        EXPECT_EQ(r.msgs[0].body, body) << "cut at " << cut;
        EXPECT_EQ(r.msgs[0].flag, '$');
    }
}

TEST(msrp_parser, body_is_handed_over_without_copy_when_not_split_in_the_end_line) {
    parser p(dp::msrp::limits{});
    recorder r;
    p.feed(send_msg, r);
    EXPECT_EQ(r.copied_bytes, 0u);
    // Split inside the end-line's "\r\n---": those bytes are held, then
    // turn out to be the end-line (nothing copied) ...
    const size_t cut = send_msg.find("\r\n-------") + 4;
    recorder r2;
    p.feed(std::string_view(send_msg).substr(0, cut), r2);
    p.feed(std::string_view(send_msg).substr(cut), r2);
    EXPECT_EQ(r2.copied_bytes, 0u);
    EXPECT_EQ(r2.msgs[0].body, "Hey Bob, are you there?");
}

TEST(msrp_parser, continuation_flags) {
    for (char f : {'$', '+', '#'}) {
        std::string msg = send_msg;
        msg[msg.size() - 3] = f;
        auto m = parse(msg);
        ASSERT_EQ(m.size(), 1u);
        EXPECT_EQ(m[0].flag, f);
    }
}

TEST(msrp_parser, report_and_unknown_methods_and_bodiless_send) {
    auto m = parse(
        "MSRP dkei38sd REPORT\r\nTo-Path: a\r\nFrom-Path: b\r\nMessage-ID: 12339sdqwer\r\n"
        "Byte-Range: 1-106/106\r\nStatus: 000 200 OK\r\n-------dkei38sd$\r\n"
        "MSRP 4k8b2s NICKNAME\r\nTo-Path: a\r\nFrom-Path: b\r\n-------4k8b2s$\r\n"
        "MSRP ab12 SEND\r\nTo-Path: a\r\nFrom-Path: b\r\nMessage-ID: x\r\n-------ab12$\r\n");
    ASSERT_EQ(m.size(), 3u);
    EXPECT_EQ(m[0].kind, dp::msrp::method::report);
    EXPECT_EQ(m[1].kind, dp::msrp::method::other);
    EXPECT_EQ(m[1].method, "NICKNAME") << "the relay answers 501";
    EXPECT_EQ(m[2].kind, dp::msrp::method::send);
    EXPECT_TRUE(m[2].body.empty());
}

TEST(msrp_parser, unusual_headers_are_kept_in_order) {
    auto m = parse(
        "MSRP t0001 SEND\r\nTo-Path: a\r\nFrom-Path: b\r\nContent-ID: <x@y>\r\n"
        "Content-Description: a cat\r\nContent-Disposition: inline\r\nX-Vendor.Thing_1: v  \r\n"
        "Success-Report: yes\r\nFailure-Report: partial\r\nContent-Type: image/png\r\n\r\n"
        "PNG\r\n-------t0001+\r\n");
    ASSERT_EQ(m.size(), 1u);
    ASSERT_EQ(m[0].headers.size(), 9u);
    EXPECT_EQ(m[0].headers[5], (std::pair<std::string, std::string>{"X-Vendor.Thing_1", "v"}));
    EXPECT_EQ(m[0].body, "PNG");
    EXPECT_EQ(m[0].flag, '+');
}

// Header names are case-insensitive; the recognised ones are found by id and
// by name alike, the first of a name wins, the others by a scan.
TEST(msrp_parser, headers_are_found_by_id_and_by_name_in_any_case) {
    struct keep : dp::msrp::sink {
        std::optional<std::string_view> by_id_mid, by_name_mid, by_id_type, vendor, missing;
        dp::msrp::hdr_id first_id{};
        void on_head(const head& h) override {
            by_id_mid = h.find(dp::msrp::hdr_id::message_id);
            by_name_mid = h.find("MESSAGE-id");
            by_id_type = h.find(dp::msrp::hdr_id::content_type);
            vendor = h.find("x-vendor");
            missing = h.find(dp::msrp::hdr_id::byte_range);
            first_id = h.headers[0].id;
        }
        void on_body(std::string_view, bool) override {}
        void on_end(char) override {}
        void on_error(const dp::msrp::error&) override {}
    } k;
    const std::string s =
        "MSRP t0001 SEND\r\nto-path: a\r\nFROM-PATH: b\r\nmessage-id: first\r\n"
        "Message-ID: second\r\nX-Vendor: v\r\ncontent-TYPE: text/plain\r\n\r\nx\r\n"
        "-------t0001$\r\n";
    parser p(dp::msrp::limits{});
    p.feed(s, k);
    EXPECT_EQ(k.first_id, dp::msrp::hdr_id::to_path);
    EXPECT_EQ(k.by_id_mid.value_or("?"), "first");
    EXPECT_EQ(k.by_name_mid.value_or("?"), "first");
    EXPECT_EQ(k.by_id_type.value_or("?"), "text/plain");
    EXPECT_EQ(k.vendor.value_or("?"), "v");
    EXPECT_FALSE(k.missing.has_value());
    EXPECT_EQ(dp::msrp::classify_header("Byte-Range"), dp::msrp::hdr_id::byte_range);
    EXPECT_EQ(dp::msrp::classify_header("Byte_Range"), dp::msrp::hdr_id::other);
    EXPECT_EQ(dp::msrp::classify_header("Byte Range"), dp::msrp::hdr_id::other);
}

// RFC 4975 9: transact-id = ident = ALPHANUM 3*31ident-char, ident-char =
// ALPHANUM / "." / "-" / "+" / "%" / "=". Every byte value at every place
// of ids of 4 to 32 characters (the 16-byte vector scan and the byte loop
// after it) is taken or refused as the grammar says.
TEST(msrp_parser, every_byte_in_a_transaction_id_is_judged_by_the_grammar) {
    auto ident_char = [](unsigned char c) {
        return std::isalnum(c) != 0 || c == '.' || c == '-' || c == '+' || c == '%' || c == '=';
    };
    // Every length from 4 to 17 after "MSRP " with each rest of the line:
    // start lines of 9 to 13 bytes after "MSRP " are read as the 16 bytes
    // ending at their LF, longer ones from their start, shorter ones byte by
    // byte. Fed whole (read in place) and byte by byte (hdr_).
    auto feed_bytes = [](const std::string& s) {
        parser p({});
        recorder r;
        for (char c : s) {
            p.feed(std::string_view(&c, 1), r);
        }
        return r.msgs;
    };
    for (const char* rest : {" 200 OK", " 200", " SEND"}) {
        for (size_t len :
             {4u, 5u, 6u, 7u, 8u, 9u, 10u, 11u, 12u, 13u, 14u, 15u, 16u, 17u, 31u, 32u}) {
            for (size_t at = 0; at < len; ++at) {
                for (int c = 0; c < 256; ++c) {
                    std::string tid(len, 'a');
                    tid[at] = static_cast<char>(c);
                    const bool valid = ident_char(static_cast<unsigned char>(c)) &&
                                       (at != 0 || std::isalnum(c) != 0);
                    const std::string msg = "MSRP " + tid + rest +
                                            "\r\nTo-Path: a\r\nFrom-Path: b\r\n-------" + tid +
                                            "$\r\n";
                    const bool by_byte = c == 0 || c == '_' || c == 'Z' || c == 0x80 || c == '.';
                    for (int mode = 0; mode < (by_byte ? 2 : 1); ++mode) {
                        const auto m = mode == 0 ? parse(msg) : feed_bytes(msg);
                        ASSERT_FALSE(m.empty()) << len << " " << at << " " << c;
                        if (c == ' ') {
                            // The id ends there: shorter than 4 or followed by junk.
                            EXPECT_NE(m[0].error, 0) << len << " " << at;
                            continue;
                        }
                        EXPECT_EQ(m[0].error == 0, valid)
                            << "length " << len << ", byte " << c << " at " << at << rest
                            << (mode == 1 ? " byte by byte" : "");
                        if (valid) {
                            EXPECT_EQ(m[0].tid, tid);
                        }
                    }
                }
            }
        }
    }
}

TEST(msrp_parser, byte_range_and_paths) {
    auto r = dp::msrp::parse_byte_range("1-25/25");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->start, 1u);
    EXPECT_EQ(*r->end, 25u);
    EXPECT_EQ(*r->total, 25u);
    r = dp::msrp::parse_byte_range("2049-*/*");
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->end);
    EXPECT_FALSE(r->total);
    EXPECT_TRUE(dp::msrp::parse_byte_range("1-0/0")) << "an empty message";
    for (const char* bad : {"0-5/5", "5-3/9", "1-9/5", "x-1/1", "1-2", "1/2-3", "-1/1", ""}) {
        EXPECT_FALSE(dp::msrp::parse_byte_range(bad)) << bad;
    }
    for (const char* bad : {"1-5/5x", "1-5 /5", "1-*5/5", "1-5/", "1-/5", "1-5/*x", "1-**/5",
                            "1-*/", "12345678901234567890-*/*"}) {
        EXPECT_FALSE(dp::msrp::parse_byte_range(bad)) << bad;
    }
    r = dp::msrp::parse_byte_range("3-*/9");
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->end);
    EXPECT_EQ(*r->total, 9u);
    r = dp::msrp::parse_byte_range("1234567890123456789-1234567890123456789/*");
    ASSERT_TRUE(r) << "19 digits";
    EXPECT_EQ(*r->end, 1234567890123456789u);
    EXPECT_FALSE(r->total);
    std::string_view rest = " msrp://a:1/x;tcp  msrp://b:2/y;tcp ";
    EXPECT_EQ(dp::msrp::next_uri(rest), "msrp://a:1/x;tcp");
    EXPECT_EQ(dp::msrp::next_uri(rest), "msrp://b:2/y;tcp");
    EXPECT_EQ(dp::msrp::next_uri(rest), "");
}

// RFC 4975 9 read the plain way (split at the first "-" and "/", then
// each part a number or "*"): the one-pass parse must agree on every short
// string of the characters that matter.
std::optional<dp::msrp::byte_range> byte_range_by_parts(std::string_view v) {
    auto number = [](std::string_view s) -> std::optional<uint64_t> {
        if (s.empty() || s.size() > 19 || s.find_first_not_of("0123456789") != s.npos) {
            return std::nullopt;
        }
        return std::stoull(std::string(s));
    };
    const size_t dash = v.find('-'), slash = v.find('/');
    if (dash == v.npos || slash == v.npos || slash < dash) {
        return std::nullopt;
    }
    dp::msrp::byte_range r;
    const auto start = number(v.substr(0, dash));
    if (!start || *start == 0) {
        return std::nullopt;
    }
    r.start = *start;
    const auto end = v.substr(dash + 1, slash - dash - 1), total = v.substr(slash + 1);
    if (end != "*") {
        r.end = number(end);
        if (!r.end || *r.end < r.start - 1) {
            return std::nullopt;
        }
    }
    if (total != "*") {
        r.total = number(total);
        if (!r.total || (r.end && *r.end > *r.total)) {
            return std::nullopt;
        }
    }
    return r;
}

TEST(msrp_parser, byte_range_agrees_with_the_grammar_read_by_parts) {
    const std::string alphabet = "019-/* ";
    std::string v;
    size_t checked = 0;
    std::function<void(size_t)> each = [&](size_t left) {
        const auto a = dp::msrp::parse_byte_range(v);
        const auto b = byte_range_by_parts(v);
        ASSERT_EQ(a.has_value(), b.has_value()) << "\"" << v << "\"";
        if (a) {
            ASSERT_EQ(a->start, b->start) << v;
            ASSERT_EQ(a->end, b->end) << v;
            ASSERT_EQ(a->total, b->total) << v;
        }
        ++checked;
        if (left == 0) {
            return;
        }
        for (char c : alphabet) {
            v.push_back(c);
            each(left - 1);
            v.pop_back();
            if (HasFatalFailure()) {
                return;
            }
        }
    };
    each(7);
    EXPECT_GT(checked, 900000u);
}

TEST(msrp_parser, header_errors_answer_400_and_the_connection_survives) {
    const std::string bad =
        "MSRP bad00001 SEND\r\nTo-Path: a\r\nFrom-Path: b\r\nno colon here\r\n"
        "Content-Type: text/plain\r\n\r\nbody\r\n-------bad00001$\r\n";
    auto m = parse(bad + send_msg);
    ASSERT_EQ(m.size(), 2u);
    EXPECT_EQ(m[0].error, 400);
    EXPECT_FALSE(m[0].fatal);
    EXPECT_EQ(m[0].tid, "bad00001");
    EXPECT_EQ(m[0].flag, '$') << "skipped to its end-line";
    EXPECT_EQ(m[1].body, "Hey Bob, are you there?") << "the next message is read";
    // From-Path before To-Path; a body without Content-Type; a bad method.
    for (const std::string& s :
         {std::string("MSRP b0002 SEND\r\nFrom-Path: b\r\nTo-Path: a\r\n-------b0002$\r\n"),
          std::string(
              "MSRP b0003 SEND\r\nTo-Path: a\r\nFrom-Path: b\r\n\r\nx\r\n-------b0003$\r\n"),
          std::string("MSRP b0004 send\r\nTo-Path: a\r\nFrom-Path: b\r\n-------b0004$\r\n"),
          // A NUL in a header name is no token character (strchr would find
          // the terminator and let it through).
          std::string("MSRP b0005 SEND\r\nTo-Path: a\r\nFrom-Path: b\r\nX-\0Bad: 1\r\n"
                      "-------b0005$\r\n",
                      69)}) {
        auto e = parse(s + ok_resp);
        ASSERT_EQ(e.size(), 2u) << s;
        EXPECT_EQ(e[0].error, 400) << s;
        EXPECT_FALSE(e[0].fatal) << s;
        EXPECT_EQ(e[1].status, 200) << s;
    }
}

// A head read in place (all in one piece) and one copied (split anywhere)
// are judged alike: the same error, the same skip to the end-line, the same
// next message, with and without a limit in the way.
TEST(msrp_parser, errors_are_the_same_at_every_split_position) {
    dp::msrp::limits few, small;
    few.max_headers = 3;
    small.max_header_bytes = 170;  // the SEND's head is over it, the 200's not
    const std::vector<std::pair<std::string, dp::msrp::limits>> cases = {
        {"MSRP bad00001 SEND\r\nTo-Path: a\r\nFrom-Path: b\r\nno colon here\r\n"
         "Content-Type: text/plain\r\n\r\nbody\r\n-------bad00001$\r\n",
         {}},
        {"MSRP b0002 SEND\r\nFrom-Path: b\r\nTo-Path: a\r\n-------b0002$\r\n", {}},
        {"MSRP b0003 SEND\r\nTo-Path: a\r\nFrom-Path: b\r\n\r\nx\r\n-------b0003$\r\n", {}},
        {"MSRP b0004 send\r\nTo-Path: a\r\nFrom-Path: b\r\n-------b0004$\r\n", {}},
        {"MSRP b0005 SEND\r\nTo-Path: a\r\nFrom-Path: b\r\nX: 1\nY: 2\r\n-------b0005$\r\n", {}},
        {send_msg, few},
        {send_msg, small},
    };
    for (const auto& [bad, lim] : cases) {
        const std::string stream = bad + ok_resp;
        parser whole_p(lim);
        recorder whole;
        whole_p.feed(stream, whole);
        ASSERT_EQ(whole.msgs.size(), 2u) << bad;
        EXPECT_EQ(whole.msgs[0].error, 400) << bad;
        for (size_t cut = 1; cut < stream.size(); ++cut) {
            parser p(lim);
            recorder r;
            p.feed(std::string_view(stream).substr(0, cut), r);
            p.feed(std::string_view(stream).substr(cut), r);
            ASSERT_EQ(r.msgs.size(), 2u) << bad << " cut at " << cut;
            EXPECT_EQ(r.msgs[0].error, whole.msgs[0].error) << bad << " cut at " << cut;
            EXPECT_EQ(r.msgs[0].fatal, whole.msgs[0].fatal) << bad << " cut at " << cut;
            EXPECT_EQ(r.msgs[0].tid, whole.msgs[0].tid) << bad << " cut at " << cut;
            EXPECT_EQ(r.msgs[0].flag, whole.msgs[0].flag) << bad << " cut at " << cut;
            EXPECT_EQ(r.msgs[1].status, 200) << bad << " cut at " << cut;
            EXPECT_EQ(r.msgs[1].headers, whole.msgs[1].headers) << bad << " cut at " << cut;
        }
    }
}

TEST(msrp_parser, limits_are_enforced) {
    dp::msrp::limits l;
    l.max_headers = 3;
    auto m = parse(send_msg + ok_resp, l);
    ASSERT_EQ(m.size(), 2u);
    EXPECT_EQ(m[0].error, 400);
    EXPECT_EQ(m[0].reason, "too many headers");
    EXPECT_EQ(m[1].status, 200);
    l = {};
    l.max_body_bytes = 10;
    m = parse(send_msg + ok_resp, l);
    ASSERT_EQ(m.size(), 2u);
    EXPECT_EQ(m[0].error, 413);
    EXPECT_EQ(m[1].status, 200) << "skipped to the end-line, then on";
    l = {};
    l.max_header_bytes = 100;
    m = parse(send_msg + ok_resp, l);
    ASSERT_FALSE(m.empty());
    EXPECT_EQ(m[0].error, 400);
    EXPECT_FALSE(m[0].fatal) << "the start line was read: the framing holds";
}

TEST(msrp_parser, a_broken_start_line_is_fatal) {
    for (const std::string& s :
         {std::string("HTTP/1.1 200 OK\r\n\r\n"), std::string("MSRP x SEND\r\n"),
          std::string("MSRP abcd\r\n"), std::string("MSRP abcd SEND\n"), std::string(300, 'M')}) {
        parser p(dp::msrp::limits{});
        recorder r;
        EXPECT_FALSE(p.feed(s, r)) << s;
        ASSERT_EQ(r.msgs.size(), 1u) << s;
        EXPECT_TRUE(r.msgs[0].fatal) << s;
        EXPECT_FALSE(p.feed(send_msg, r)) << "ignores input once failed";
    }
}

TEST(msrp_parser, counters) {
    dp::msrp::parse_counters c;
    parser p(dp::msrp::limits{}, &c);
    recorder r;
    p.feed(send_msg + ok_resp + "garbage\r\n", r);
    EXPECT_EQ(c.messages, 2u);
    EXPECT_EQ(c.body_bytes, 23u);
    EXPECT_EQ(c.errors, 1u);
    EXPECT_EQ(c.fatal_errors, 1u);
}

}  // namespace
}  // namespace imsd::test

#include "dataplane/sip/framing.hpp"

#include <gtest/gtest.h>

#include <string>

namespace imsd::dp::sip {
namespace {

const std::string sdp = "v=0\r\no=- 1 1 IN IP4 198.18.0.2\r\ns=-\r\n";

std::string invite(const std::string& extra = "", const std::string& body = sdp) {
    return "INVITE sip:bob@example.com SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK776asdhds\r\n"
           "Via: SIP/2.0/UDP 198.18.0.9:5060;branch=z9hG4bKfirst\r\n"
           "Max-Forwards: 70\r\n"
           "To: <sip:bob@example.com>\r\n"
           "From: <sip:alice@example.com>;tag=1928301774\r\n"
           "Call-ID: a84b4c76e66710@pc33.example.com\r\n"
           "CSeq: 314159 INVITE\r\n" +
           extra +
           "Content-Type: application/sdp\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n\r\n" + body;
}

verdict frame(const std::string& d, message_view& m, limits lim = {}) {
    return frame_udp(d, lim, m);
}

TEST(sip_framing, a_request_is_framed_with_views_into_the_datagram) {
    const std::string d = invite();
    message_view m;
    ASSERT_EQ(frame(d, m), verdict::ok) << m.reason;
    EXPECT_TRUE(m.request);
    EXPECT_EQ(m.method, "INVITE");
    EXPECT_EQ(m.request_uri, "sip:bob@example.com");
    EXPECT_EQ(m.via, "SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK776asdhds") << "the top-most Via";
    EXPECT_EQ(m.call_id, "a84b4c76e66710@pc33.example.com");
    EXPECT_EQ(m.cseq_number, 314159u);
    EXPECT_EQ(m.cseq_method, "INVITE");
    EXPECT_EQ(m.body, sdp);
    EXPECT_EQ(m.headers, 9u);
    EXPECT_GE(m.body.data(), d.data());
    EXPECT_LE(m.body.data() + m.body.size(), d.data() + d.size());
}

TEST(sip_framing, responses_compact_forms_lf_lines_and_folding) {
    const std::string r =
        "\r\n\r\nSIP/2.0 180 Ringing\n"
        "v: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK1\n"
        "t: <sip:bob@example.com>;tag=8321234356\n"
        "f: <sip:alice@example.com>;\n"
        "  tag=1928301774\n"
        "i: a84b4c76e66710\n"
        "CSeq: 314159 INVITE\n"
        "l: 0\n\n";
    message_view m;
    ASSERT_EQ(frame(r, m), verdict::ok) << m.reason;
    EXPECT_FALSE(m.request);
    EXPECT_EQ(m.status, 180);
    EXPECT_EQ(m.to, "<sip:bob@example.com>;tag=8321234356");
    EXPECT_NE(m.from.find("tag=1928301774"), std::string_view::npos) << "folded value: " << m.from;
    EXPECT_TRUE(m.body.empty());
}

TEST(sip_framing, content_length_discards_or_truncates_per_rfc_3261_18_3) {
    message_view m;
    std::string d = invite();
    d += "trailing bytes past Content-Length";
    ASSERT_EQ(frame(d, m), verdict::ok);
    EXPECT_EQ(m.body, sdp) << "a smaller Content-Length truncates the body";
    d = invite();
    d.resize(d.size() - 5);  // the datagram lost the end of its body
    EXPECT_EQ(frame(d, m), verdict::body_truncated);
    std::string no_length = invite();
    const size_t cl = no_length.find("Content-Length");
    no_length.erase(cl, no_length.find("\r\n", cl) + 2 - cl);
    ASSERT_EQ(frame(no_length, m), verdict::ok) << m.reason;
    EXPECT_EQ(m.body, sdp) << "no Content-Length: the rest of the datagram";
    EXPECT_EQ(frame(invite("", "") + "", m), verdict::ok);
    std::string bad = invite();
    bad.replace(bad.find("Content-Length: ") + 16, 2, "x1");
    EXPECT_EQ(frame(bad, m), verdict::malformed);
}

TEST(sip_framing, rfc_3261_8_1_1_headers_are_required) {
    for (const char* h : {"Via: ", "Max-Forwards: ", "To: ", "From: ", "Call-ID: ", "CSeq: "}) {
        std::string d = invite();
        size_t at = d.find(std::string("\r\n") + h) + 2;
        d.erase(at, d.find("\r\n", at) + 2 - at);
        if (std::string(h) == "Via: ") {  // both of them
            at = d.find("Via: ");
            d.erase(at, d.find("\r\n", at) + 2 - at);
        }
        message_view m;
        EXPECT_EQ(frame(d, m), verdict::missing_header) << h;
    }
}

TEST(sip_framing, bad_lines_and_mismatches_are_refused_by_name) {
    message_view m;
    std::string d = invite();
    d.replace(d.find("CSeq: 314159 INVITE"), 19, "CSeq: 314159 BYE   ");
    EXPECT_EQ(frame(d, m), verdict::cseq_mismatch);
    EXPECT_EQ(frame(invite("NoColonHere\r\n"), m), verdict::malformed);
    EXPECT_EQ(frame(invite("Bad Name: x\r\n"), m), verdict::malformed);
    d = invite();
    d.replace(d.find("CSeq: 314159"), 12, "CSeq: abcdef");
    EXPECT_EQ(frame(d, m), verdict::malformed);
    d = invite();
    d.replace(d.find("Max-Forwards: 70"), 16, "Max-Forwards: -1");
    EXPECT_EQ(frame(d, m), verdict::malformed);
    EXPECT_EQ(frame("GET / HTTP/1.1\r\nHost: x\r\n\r\n", m), verdict::not_sip);
    EXPECT_EQ(frame("SIP/2.0 99 Too Low\r\n\r\n", m), verdict::malformed);
    EXPECT_EQ(frame("", m), verdict::not_sip);
    EXPECT_EQ(frame("\r\n\r\n", m), verdict::not_sip) << "a keep-alive is not a message";
    d = invite();
    d.resize(d.find("\r\n\r\n"));  // headers that never end
    EXPECT_EQ(frame(d, m), verdict::malformed);
    d = invite();
    d.replace(0, 6, "INV@TE");  // a method that is not a token
    EXPECT_EQ(frame(d, m), verdict::malformed);
}

TEST(sip_framing, limits_are_enforced) {
    message_view m;
    limits lim;
    lim.max_headers = 8;
    EXPECT_EQ(frame(invite(), m, lim), verdict::too_many_headers);
    lim = {};
    lim.max_line_bytes = 40;
    EXPECT_EQ(frame(invite(), m, lim), verdict::too_large);
    lim = {};
    lim.max_message_bytes = 100;
    EXPECT_EQ(frame(invite(), m, lim), verdict::too_large);
}

TEST(sip_framing, every_prefix_of_a_message_is_refused_without_harm) {
    const std::string d = invite();
    const size_t header_end = d.find("\r\n\r\n") + 4;
    for (size_t n = 0; n < d.size(); ++n) {
        message_view m;
        const verdict v = frame(d.substr(0, n), m);
        if (n < header_end) {
            EXPECT_NE(v, verdict::ok) << "cut at " << n;
        } else {
            EXPECT_EQ(v, verdict::body_truncated) << "cut at " << n;
        }
    }
}

}  // namespace
}  // namespace imsd::dp::sip

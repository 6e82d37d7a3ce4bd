// The relay on one lcore's TCP, driven segment by segment (the TCP test
// fixture): two peers connect from 198.18.0.2 (leg a from port 40001, leg b
// from 40002), and the tests read exactly what imsd sends each of them.

#include "dataplane/msrp/relay.hpp"

#include <map>
#include <string>

#include "dataplane/policy/policy.hpp"
#include "tests/unit/dataplane/tcp/tcp_fixture.hpp"

namespace imsd::test {
namespace {

constexpr uint16_t msrp_port = 2855;
constexpr uint16_t port_a = 40001, port_b = 40002;
const std::string path_a = "msrp://198.18.0.2:40001/alice0000001;tcp";
const std::string path_b = "msrp://198.18.0.2:40002/bob000000001;tcp";

class relay_test : public tcp_test {
   protected:
    void SetUp() override {
        tcp_test::SetUp();
        dp::msrp::relay_params p;
        p.max_sessions = 4;
        p.max_conns = 8;
        p.max_pending = 16;
        p.media_ip_be = addr("198.18.0.1");
        p.port_first = p.port_last = msrp_port;
        relay_ = dp::msrp::relay::create(*stack_, p);
        ASSERT_NE(relay_, nullptr);
        ASSERT_TRUE(relay_->create_session(info_));
        ASSERT_TRUE(relay_->set_remote(info_.id, 0, path_a, false));
        ASSERT_TRUE(relay_->set_remote(info_.id, 1, path_b, false));
        for (auto [port, iss] : {std::pair{port_a, 1000u}, std::pair{port_b, 5000u}}) {
            conn& c = conns_[port];
            c.next_seq = iss + 1;
            c.imsd_next = handshake(iss, msrp_port, 1400, port) + 1;
        }
        // Leg b binds its connection with a bodiless SEND (RFC 4975 7.1.1).
        auto out = say(port_b, "MSRP tx-b1 SEND\r\nTo-Path: " + info_.local_uri[1] +
                                   "\r\nFrom-Path: " + path_b + "\r\n-------tx-b1$\r\n");
        ASSERT_NE(out[port_b].find("MSRP tx-b1 200 OK"), std::string::npos) << out[port_b];
    }
    // As the dataplane loop does: the relay's output after the input.
    void after_input() override {
        if (relay_ != nullptr) {
            relay_->poll(ctx_.now_tsc);
        }
        tcp_test::after_input();
    }
    void TearDown() override {
        stack_.reset();  // its drain calls back into the relay: the relay goes after
        relay_.reset();
        tcp_test::TearDown();
    }

    struct conn {
        uint32_t next_seq = 0;   // the peer's next sequence number
        uint32_t imsd_next = 0;  // what the peer has received of imsd's
    };

    // The peer on `port` sends `text`; returns what imsd sent each peer
    // (by port) as a result, ACKing it.
    std::map<uint16_t, std::string> say(uint16_t port, const std::string& text) {
        seg s;
        conn& c = conns_[port];
        s.seq = c.next_seq;
        s.ack = c.imsd_next;
        s.flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG;
        s.data = text;
        c.next_seq += static_cast<uint32_t>(text.size());
        return collect(send(s, msrp_port, port));
    }
    std::map<uint16_t, std::string> collect(const std::vector<seg_out>& out) {
        std::map<uint16_t, std::string> got;
        for (const auto& o : out) {
            got[o.dport] += o.data;
            conns_[o.dport].imsd_next = o.seq + static_cast<uint32_t>(o.data.size());
        }
        for (auto& [port, text] : got) {  // ACK what arrived
            seg a;
            a.seq = conns_[port].next_seq;
            a.ack = conns_[port].imsd_next;
            a.flags = RTE_TCP_ACK_FLAG;
            send(a, msrp_port, port);
        }
        return got;
    }
    static std::string header(const std::string& msg, const std::string& name) {
        const size_t at = msg.find("\r\n" + name + ": ");
        if (at == std::string::npos) {
            return "";
        }
        const size_t from = at + 4 + name.size();
        return msg.substr(from, msg.find("\r\n", from) - from);
    }
    static std::string tid_of(const std::string& msg) {
        return msg.substr(5, msg.find(' ', 5) - 5);
    }

    std::unique_ptr<dp::msrp::relay> relay_;
    dp::msrp::session_info info_;
    std::map<uint16_t, conn> conns_;
};

TEST_F(relay_test, rewrites_paths_and_transaction_id_and_keeps_everything_else) {
    const std::string body = "Hello, Bob!";
    auto out = say(port_a, "MSRP tx-a1 SEND\r\nTo-Path: " + info_.local_uri[0] +
                               "\r\nFrom-Path: " + path_a +
                               "\r\nMessage-ID: m-1\r\nByte-Range: 1-11/11\r\n"
                               "X-Unusual: kept as is\r\nContent-Type: text/plain\r\n\r\n" +
                               body + "\r\n-------tx-a1$\r\n");
    const std::string& to_b = out[port_b];
    ASSERT_FALSE(to_b.empty()) << "nothing relayed to leg b";
    const std::string tid = tid_of(to_b);
    EXPECT_NE(tid, "tx-a1") << "a new transaction id per hop";
    EXPECT_EQ(to_b.substr(0, 5 + tid.size() + 5), "MSRP " + tid + " SEND");
    EXPECT_EQ(header(to_b, "To-Path"), path_b);
    EXPECT_EQ(header(to_b, "From-Path"), info_.local_uri[1]);
    EXPECT_EQ(header(to_b, "Message-ID"), "m-1");
    EXPECT_EQ(header(to_b, "Byte-Range"), "1-11/11");
    EXPECT_EQ(header(to_b, "X-Unusual"), "kept as is");
    EXPECT_EQ(header(to_b, "Content-Type"), "text/plain");
    EXPECT_NE(to_b.find("\r\n\r\n" + body + "\r\n-------" + tid + "$\r\n"), std::string::npos)
        << to_b;
    EXPECT_TRUE(out[port_a].empty()) << "no response before the far side's";

    // The far side's 200 goes back on the sender's transaction, with its paths.
    out = say(port_b, "MSRP " + tid + " 200 OK\r\nTo-Path: " + info_.local_uri[1] +
                          "\r\nFrom-Path: " + path_b + "\r\n-------" + tid + "$\r\n");
    const std::string& to_a = out[port_a];
    EXPECT_EQ(to_a.substr(0, 17), "MSRP tx-a1 200 OK") << to_a;
    EXPECT_EQ(header(to_a, "To-Path"), path_a);
    EXPECT_EQ(header(to_a, "From-Path"), info_.local_uri[0]);
    EXPECT_EQ(relay_->cnt.responses_relayed, 1u);
    EXPECT_EQ(relay_->cnt.requests_relayed, 1u);
}

// What one poll's input relays leaves at the end of the poll, together: two
// SENDs in one segment go to the far side in one segment, and the two 200s
// that come back in one segment go to the sender in one.
TEST_F(relay_test, messages_relayed_in_one_poll_share_a_segment) {
    auto send_of = [&](int n) {
        const std::string t = "tx-m" + std::to_string(n);
        return "MSRP " + t + " SEND\r\nTo-Path: " + info_.local_uri[0] +
               "\r\nFrom-Path: " + path_a + "\r\nMessage-ID: m-" + std::to_string(n) +
               "\r\nByte-Range: 1-5/5\r\nContent-Type: text/plain\r\n\r\nhello\r\n-------" + t +
               "$\r\n";
    };
    auto segments_to = [](const std::vector<seg_out>& out, uint16_t port) {
        int n = 0;
        for (const auto& o : out) {
            n += o.dport == port && !o.data.empty() ? 1 : 0;
        }
        return n;
    };
    seg sa;
    sa.seq = conns_[port_a].next_seq;
    sa.ack = conns_[port_a].imsd_next;
    sa.flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG;
    sa.data = send_of(1) + send_of(2);
    conns_[port_a].next_seq += static_cast<uint32_t>(sa.data.size());
    auto raw = send(sa, msrp_port, port_a);
    EXPECT_EQ(segments_to(raw, port_b), 1) << "both SENDs in one segment to leg b";
    auto out = collect(raw);
    const std::string& to_b = out[port_b];
    const size_t second = to_b.find("MSRP ", 1);
    ASSERT_NE(second, std::string::npos) << to_b;
    const std::string tid1 = tid_of(to_b), tid2 = tid_of(to_b.substr(second));
    EXPECT_EQ(header(to_b, "Message-ID"), "m-1");
    EXPECT_EQ(header(to_b.substr(second), "Message-ID"), "m-2");

    auto ok_of = [&](const std::string& t) {
        return "MSRP " + t + " 200 OK\r\nTo-Path: " + info_.local_uri[1] +
               "\r\nFrom-Path: " + path_b + "\r\n-------" + t + "$\r\n";
    };
    seg sb;
    sb.seq = conns_[port_b].next_seq;
    sb.ack = conns_[port_b].imsd_next;
    sb.flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG;
    sb.data = ok_of(tid1) + ok_of(tid2);
    conns_[port_b].next_seq += static_cast<uint32_t>(sb.data.size());
    raw = send(sb, msrp_port, port_b);
    EXPECT_EQ(segments_to(raw, port_a), 1) << "both 200s in one segment to leg a";
    out = collect(raw);
    const std::string& to_a = out[port_a];
    EXPECT_EQ(to_a.substr(0, 18), "MSRP tx-m1 200 OK\r");
    EXPECT_NE(to_a.find("MSRP tx-m2 200 OK\r\n"), std::string::npos) << to_a;
    EXPECT_EQ(relay_->cnt.responses_relayed, 2u);
}

// RFC 4975 9: resp-start = "MSRP" SP transact-id SP status-code [SP comment]
// CRLF. The far side's comment goes back as it came, none as none (no
// trailing SP), a long one cut at 127 bytes.
TEST_F(relay_test, the_far_sides_comment_goes_back_as_it_came) {
    const std::string long_comment(200, 'c');  // the start line stays under 256
    for (const std::string& comment :
         {std::string(), std::string("Forbidden here"), long_comment}) {
        auto out = say(port_a, "MSRP tx-c1 SEND\r\nTo-Path: " + info_.local_uri[0] +
                                   "\r\nFrom-Path: " + path_a +
                                   "\r\nMessage-ID: m-c\r\nContent-Type: text/plain\r\n\r\n"
                                   "hi\r\n-------tx-c1$\r\n");
        const std::string tid = tid_of(out[port_b]);
        ASSERT_FALSE(tid.empty()) << out[port_b];
        const std::string tail = comment.empty() ? "" : " " + comment;
        out = say(port_b, "MSRP " + tid + " 403" + tail + "\r\nTo-Path: " + info_.local_uri[1] +
                              "\r\nFrom-Path: " + path_b + "\r\n-------" + tid + "$\r\n");
        const std::string want = comment.size() > 127 ? " " + comment.substr(0, 127) : tail;
        EXPECT_EQ(out[port_a], "MSRP tx-c1 403" + want + "\r\nTo-Path: " + path_a +
                                   "\r\nFrom-Path: " + info_.local_uri[0] +
                                   "\r\n-------tx-c1$\r\n");
    }
}

TEST_F(relay_test, a_stale_or_forged_response_is_not_relayed) {
    auto ok_of = [&](const std::string& t) {
        return "MSRP " + t + " 200 OK\r\nTo-Path: " + info_.local_uri[1] +
               "\r\nFrom-Path: " + path_b + "\r\n-------" + t + "$\r\n";
    };
    auto out = say(port_b, ok_of("0.zzzzz"));
    EXPECT_TRUE(out[port_a].empty());
    EXPECT_EQ(relay_->cnt.stray_responses, 1u);

    out = say(port_a, "MSRP tx-s1 SEND\r\nTo-Path: " + info_.local_uri[0] +
                          "\r\nFrom-Path: " + path_a +
                          "\r\nMessage-ID: m-s1\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
                          "-------tx-s1$\r\n");
    const std::string tid = tid_of(out[port_b]);
    ASSERT_EQ(tid.size(), 12u) << out[port_b];
    // The right index with another nonce, the same digits in capitals, one
    // digit more: none is imsd's transaction.
    std::string other_nonce = tid;
    other_nonce.back() = other_nonce.back() == '0' ? '1' : '0';
    std::string upper = tid;
    for (char& c : upper) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    for (const std::string& t : {other_nonce, tid + "0"}) {
        out = say(port_b, ok_of(t));
        EXPECT_TRUE(out[port_a].empty()) << t;
    }
    const bool upper_differs = upper != tid;  // not when the digits hold no letter
    if (upper_differs) {
        out = say(port_b, ok_of(upper));
        EXPECT_TRUE(out[port_a].empty()) << upper;
    }
    EXPECT_EQ(relay_->cnt.stray_responses, upper_differs ? 4u : 3u);
    out = say(port_b, ok_of(tid));
    EXPECT_EQ(out[port_a].substr(0, 17), "MSRP tx-s1 200 OK") << out[port_a];
    // Its pending entry is gone: the same response again is stale.
    out = say(port_b, ok_of(tid));
    EXPECT_TRUE(out[port_a].empty());
    EXPECT_EQ(relay_->cnt.stray_responses, upper_differs ? 5u : 4u);
    EXPECT_EQ(relay_->cnt.responses_relayed, 1u);
}

TEST_F(relay_test, sent_counts_are_asked_for_and_imsds_own_report_is_consumed) {
    ASSERT_TRUE(relay_->set_report_leg(info_.id, 0));
    // The client asked for no report: imsd asks (OMA IM 6.1.1.2.2) ...
    auto out = say(port_a, "MSRP tx-a2 SEND\r\nTo-Path: " + info_.local_uri[0] +
                               "\r\nFrom-Path: " + path_a +
                               "\r\nMessage-ID: m-2\r\nSuccess-Report: no\r\n"
                               "Content-Type: text/plain\r\n\r\nhi\r\n-------tx-a2$\r\n");
    EXPECT_EQ(header(out[port_b], "Success-Report"), "yes;Include-Sent-Count") << out[port_b];
    // ... and consumes the REPORT, recording its Distribution-Count.
    out = say(port_b, "MSRP tx-r1 REPORT\r\nTo-Path: " + info_.local_uri[1] +
                          "\r\nFrom-Path: " + path_b +
                          "\r\nMessage-ID: m-2\r\nByte-Range: 1-2/2\r\nStatus: 000 200 OK\r\n"
                          "Distribution-Count: 4\r\n-------tx-r1$\r\n");
    EXPECT_TRUE(out[port_a].empty()) << "imsd's own REPORT reached the client: " << out[port_a];
    EXPECT_EQ(relay_->cnt.reports_consumed, 1u);
    EXPECT_EQ(relay_->cnt.distribution_count_total, 4u);
    // The client that asked gets its REPORT, unchanged but for the paths.
    out = say(port_a, "MSRP tx-a3 SEND\r\nTo-Path: " + info_.local_uri[0] +
                          "\r\nFrom-Path: " + path_a +
                          "\r\nMessage-ID: m-3\r\nSuccess-Report: yes\r\n"
                          "Content-Type: text/plain\r\n\r\nho\r\n-------tx-a3$\r\n");
    EXPECT_EQ(header(out[port_b], "Success-Report"), "yes;Include-Sent-Count");
    out = say(port_b, "MSRP tx-r2 REPORT\r\nTo-Path: " + info_.local_uri[1] +
                          "\r\nFrom-Path: " + path_b +
                          "\r\nMessage-ID: m-3\r\nByte-Range: 1-2/2\r\nStatus: 000 200 OK\r\n"
                          "Distribution-Count: 2\r\n-------tx-r2$\r\n");
    const std::string& to_a = out[port_a];
    EXPECT_NE(to_a.find(" REPORT\r\n"), std::string::npos) << to_a;
    EXPECT_EQ(header(to_a, "To-Path"), path_a);
    EXPECT_EQ(header(to_a, "Distribution-Count"), "2");
    EXPECT_EQ(relay_->cnt.distribution_reports, 2u);
}

TEST_F(relay_test, requests_naming_no_session_get_481_and_unknown_methods_501) {
    const std::string bogus = "msrp://198.18.0.1:2855/NoSuchSession0000000;tcp";
    auto out = say(port_a, "MSRP tx-x1 SEND\r\nTo-Path: " + bogus + "\r\nFrom-Path: " + path_a +
                               "\r\nMessage-ID: m-x\r\nContent-Type: text/plain\r\n\r\n?"
                               "\r\n-------tx-x1$\r\n");
    EXPECT_EQ(out[port_a].substr(0, 30), "MSRP tx-x1 481 No such session") << out[port_a];
    EXPECT_TRUE(out[port_b].empty());
    out = say(port_a, "MSRP tx-x2 NICKNAME\r\nTo-Path: " + info_.local_uri[0] +
                          "\r\nFrom-Path: " + path_a + "\r\n-------tx-x2$\r\n");
    EXPECT_EQ(out[port_a].substr(0, 15), "MSRP tx-x2 501 ") << out[port_a];
}

// The settings' limits (no content rules): text/plain only, 100 bytes.
// Header names are case-insensitive (RFC 4975 9 uses RFC 3261's hname): the
// sender's own paths never reach the far side, however it spells them.
TEST_F(relay_test, paths_in_any_case_are_rewritten_not_passed_on) {
    auto out = say(port_a, "MSRP tx-a9 SEND\r\nto-path: " + info_.local_uri[0] +
                               "\r\nFROM-PATH: " + path_a +
                               "\r\nMessage-ID: m-9\r\nByte-Range: 1-2/2\r\n"
                               "content-type: text/plain\r\n\r\nhi\r\n-------tx-a9$\r\n");
    const std::string& to_b = out[port_b];
    ASSERT_FALSE(to_b.empty()) << "nothing relayed to leg b";
    EXPECT_EQ(header(to_b, "To-Path"), path_b);
    EXPECT_EQ(header(to_b, "From-Path"), info_.local_uri[1]);
    EXPECT_EQ(to_b.find(path_a), std::string::npos) << "the sender's path leaked:\n" << to_b;
    EXPECT_EQ(to_b.find(info_.local_uri[0]), std::string::npos) << to_b;
    EXPECT_EQ(header(to_b, "content-type"), "text/plain") << "other headers kept as sent";
}

// The headers after the paths go on byte for byte, as one block; a
// second To-Path or From-Path further down still never does.
TEST_F(relay_test, headers_after_the_paths_go_on_as_sent_and_later_paths_never) {
    const std::string rest =
        "Message-ID:   m-10  \r\nbyte-range:1-2/2\r\nX-Odd: a\tb\r\n"
        "Content-Type: text/plain\r\n";
    auto out = say(port_a, "MSRP tx-a10 SEND\r\nTo-Path: " + info_.local_uri[0] +
                               "\r\nFrom-Path: " + path_a + "\r\n" + rest +
                               "\r\nhi\r\n-------tx-a10$\r\n");
    const std::string tid = tid_of(out[port_b]);
    EXPECT_EQ(out[port_b], "MSRP " + tid + " SEND\r\nTo-Path: " + path_b +
                               "\r\nFrom-Path: " + info_.local_uri[1] + "\r\n" + rest +
                               "\r\nhi\r\n-------" + tid + "$\r\n");

    out = say(port_a, "MSRP tx-a11 SEND\r\nTo-Path: " + info_.local_uri[0] + "\r\nFrom-Path: " +
                          path_a + "\r\nMessage-ID: m-11\r\nFrom-Path: " + path_a +
                          "\r\nTO-PATH: " + info_.local_uri[0] +
                          "\r\nContent-Type: text/plain\r\n\r\nhi\r\n-------tx-a11$\r\n");
    const std::string& to_b = out[port_b];
    ASSERT_FALSE(to_b.empty()) << "nothing relayed to leg b";
    EXPECT_EQ(to_b.find(path_a), std::string::npos) << "the sender's path leaked:\n" << to_b;
    EXPECT_EQ(to_b.find(info_.local_uri[0]), std::string::npos) << to_b;
    EXPECT_EQ(header(to_b, "Message-ID"), "m-11");
    EXPECT_EQ(header(to_b, "Content-Type"), "text/plain");
}

// The session is found by the first To-Path URI's session id: spelled with
// other case in scheme and host, or followed by more URIs, it still is.
TEST_F(relay_test, a_to_path_spelled_otherwise_still_names_its_session) {
    std::string upper = info_.local_uri[0];
    upper.replace(0, 7, "MSRP://");
    const std::string more = info_.local_uri[0] + " msrp://198.18.0.9:9/x1y2z3;tcp";
    for (const std::string& to : {upper, more}) {
        const std::string tid = "tx-c" + std::to_string(to.size());
        auto out =
            say(port_a, "MSRP " + tid + " SEND\r\nTo-Path: " + to + "\r\nFrom-Path: " + path_a +
                            "\r\nMessage-ID: m-c\r\nByte-Range: 1-2/2\r\n"
                            "Content-Type: text/plain\r\n\r\nhi\r\n-------" +
                            tid + "$\r\n");
        EXPECT_EQ(header(out[port_b], "To-Path"), path_b) << to;
        EXPECT_TRUE(out[port_a].empty()) << to << ": " << out[port_a];
    }
    EXPECT_EQ(relay_->cnt.unknown_session, 0u);
    EXPECT_EQ(relay_->cnt.requests_relayed, 2u);
}

class relay_limits_test : public relay_test {
   protected:
    void SetUp() override {
        relay_test::SetUp();
        auto ps = dp::policy::policy_set::create(platform::content_db{},
                                                 dp::policy::limits{"text/plain", 100}, 1);
        ASSERT_TRUE(ps);
        policy_ = std::move(*ps);
        relay_->policy = policy_.get();
    }
    void TearDown() override {
        relay_test::TearDown();  // the relay goes before its policy
        policy_.reset();
    }
    std::string chunk(const std::string& tid, const std::string& mid, const std::string& range,
                      const std::string& body, char flag = '+',
                      const std::string& type = "text/plain") {
        return "MSRP " + tid + " SEND\r\nTo-Path: " + info_.local_uri[0] +
               "\r\nFrom-Path: " + path_a + "\r\nMessage-ID: " + mid + "\r\nByte-Range: " + range +
               "\r\nContent-Type: " + type + "\r\n\r\n" + body + "\r\n-------" + tid + flag +
               "\r\n";
    }
    std::unique_ptr<dp::policy::policy_set> policy_;
};

TEST_F(relay_limits_test, a_type_not_accepted_gets_415_and_goes_nowhere) {
    auto out = say(port_a, chunk("tx-p1", "m-png", "1-4/4", "PNG!", '$', "image/png"));
    EXPECT_EQ(out[port_a].substr(0, 15), "MSRP tx-p1 415 ") << out[port_a];
    EXPECT_TRUE(out[port_b].empty()) << out[port_b];
    EXPECT_EQ(relay_->cnt.type_refused, 1u);
}

TEST_F(relay_limits_test, a_message_growing_past_the_limit_gets_413_and_is_aborted_downstream) {
    const std::string sixty(60, 'x');
    auto out = say(port_a, chunk("tx-g1", "m-grow", "1-60/*", sixty));
    EXPECT_NE(out[port_b].find(sixty + "\r\n-------"), std::string::npos) << "first chunk relayed";
    out = say(port_a, chunk("tx-g2", "m-grow", "61-120/*", sixty));
    EXPECT_EQ(out[port_a].substr(0, 15), "MSRP tx-g2 413 ") << out[port_a];
    const std::string& to_b = out[port_b];
    ASSERT_FALSE(to_b.empty());
    EXPECT_EQ(to_b.find(sixty), std::string::npos) << "none of the refused bytes went out";
    EXPECT_EQ(to_b.substr(to_b.size() - 3), "#\r\n") << "the far side's copy is aborted";
    EXPECT_EQ(relay_->cnt.size_refused, 1u);
    // A later chunk of the refused message is refused too, and not relayed.
    out = say(port_a, chunk("tx-g3", "m-grow", "121-130/*", "0123456789", '$'));
    EXPECT_EQ(out[port_a].substr(0, 15), "MSRP tx-g3 403 ") << out[port_a];
    EXPECT_TRUE(out[port_b].empty()) << out[port_b];
}

TEST_F(relay_limits_test, a_third_interleaved_message_is_refused) {
    for (const char* m : {"m-one", "m-two"}) {
        auto out = say(port_a, chunk(std::string("tx-") + m, m, "1-10/*", "0123456789"));
        EXPECT_FALSE(out[port_b].empty()) << m << " relayed";
    }
    auto out = say(port_a, chunk("tx-three", "m-three", "1-10/*", "0123456789"));
    EXPECT_EQ(out[port_a].substr(0, 18), "MSRP tx-three 403 ") << out[port_a];
    EXPECT_TRUE(out[port_b].empty());
    EXPECT_EQ(relay_->cnt.interleave_refused, 1u);
    // Once one of the two ends, a new message has room.
    say(port_a, chunk("tx-one2", "m-one", "11-12/12", "ab", '$'));
    out = say(port_a, chunk("tx-four", "m-four", "1-10/*", "0123456789"));
    EXPECT_FALSE(out[port_b].empty()) << out[port_a];
}

}  // namespace
}  // namespace imsd::test

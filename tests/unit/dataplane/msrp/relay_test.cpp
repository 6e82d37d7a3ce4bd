// The relay on one lcore's TCP, driven segment by segment (the TCP test
// fixture): two peers connect from 198.18.0.2 (leg a from port 40001, leg b
// from 40002), and the tests read exactly what imsd sends each of them.

#include "dataplane/msrp/relay.hpp"

#include <hs.h>
#include <rte_ring.h>

#include <map>
#include <random>
#include <string>
#include <vector>

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
        tune(p);
        relay_ = dp::msrp::relay::create(*stack_, p);
        ASSERT_NE(relay_, nullptr);
        ASSERT_TRUE(relay_->create_session(info_));
        ASSERT_TRUE(relay_->set_remote(info_.id, 0, path_a, false));
        ASSERT_TRUE(relay_->set_remote(info_.id, 1, path_b, false));
        connect_peer(port_a, 1000);
        connect_peer(port_b, 5000);
        // Leg b binds its connection with a bodiless SEND (RFC 4975 7.1.1).
        auto out = say(port_b, "MSRP tx-b1 SEND\r\nTo-Path: " + info_.local_uri[1] +
                                   "\r\nFrom-Path: " + path_b + "\r\n-------tx-b1$\r\n");
        ASSERT_NE(out[port_b].find("MSRP tx-b1 200 OK"), std::string::npos) << out[port_b];
    }
    // A derived fixture's relay parameters.
    virtual void tune(dp::msrp::relay_params&) {}
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
    // What imsd sent each peer, in sequence order as a TCP receiver takes
    // it (a segment past a gap is left for imsd to send again, the part of a
    // resent one already taken is not taken twice), ACKing it, and what imsd
    // sends in answer to those ACKs (more of its queue, as the window opens).
    std::map<uint16_t, std::string> collect(std::vector<seg_out> out) {
        std::map<uint16_t, std::string> got;
        for (int round = 0; round < 100 && !out.empty(); ++round) {
            std::map<uint16_t, bool> heard;
            for (const auto& o : out) {
                conn& c = conns_[o.dport];
                heard[o.dport] = true;
                got[o.dport];
                const auto ahead = static_cast<int32_t>(o.seq - c.imsd_next);
                if (o.data.empty() || ahead > 0) {
                    continue;
                }
                const auto taken = static_cast<uint32_t>(-ahead);
                if (taken < o.data.size()) {
                    got[o.dport] += o.data.substr(taken);
                    c.imsd_next = o.seq + static_cast<uint32_t>(o.data.size());
                }
            }
            std::vector<seg_out> next;
            for (const auto& [port, yes] : heard) {  // ACK what arrived
                if (!yes) {
                    continue;
                }
                seg a;
                a.seq = conns_[port].next_seq;
                a.ack = conns_[port].imsd_next;
                a.flags = RTE_TCP_ACK_FLAG;
                for (auto& o : send(a, msrp_port, port)) {
                    if (!o.data.empty()) {
                        next.push_back(std::move(o));
                    }
                }
            }
            out = std::move(next);
        }
        return got;
    }
    // A peer connects from `port` (its initial sequence number `iss`).
    void connect_peer(uint16_t port, uint32_t iss) {
        conn& c = conns_[port];
        c.next_seq = iss + 1;
        c.imsd_next = handshake(iss, msrp_port, 1400, port) + 1;
    }
    // The peer on `port` resets its connection (at the number imsd expects);
    // what imsd sent each peer as a result.
    std::map<uint16_t, std::string> reset_from(uint16_t port) {
        seg rst;
        rst.seq = conns_[port].next_seq;
        rst.ack = conns_[port].imsd_next;
        rst.flags = RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG;
        return collect(send(rst, msrp_port, port));
    }
    // The head of a chunk with Byte-Range 1-n/n (`extra`: header lines put
    // before Content-Type); its body and end-line are the test's.
    static std::string chunk_head(const std::string& to, const std::string& from,
                                  const std::string& tid, const std::string& mid, size_t n,
                                  const std::string& extra = "") {
        const std::string len = std::to_string(n);
        return "MSRP " + tid + " SEND\r\nTo-Path: " + to + "\r\nFrom-Path: " + from +
               "\r\nMessage-ID: " + mid + "\r\nByte-Range: 1-" + len + "/" + len + "\r\n" + extra +
               "Content-Type: text/plain\r\n\r\n";
    }
    // One from leg a (session 1).
    std::string head_a(const std::string& tid, const std::string& mid, size_t n,
                       const std::string& extra = "") {
        return chunk_head(info_.local_uri[0], path_a, tid, mid, n, extra);
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
    // Leg b's response on transaction `tid` ("200 OK", "413 Too big", ...).
    std::string response_b(const std::string& tid, const std::string& status = "200 OK") const {
        return "MSRP " + tid + " " + status + "\r\nTo-Path: " + info_.local_uri[1] +
               "\r\nFrom-Path: " + path_b + "\r\n-------" + tid + "$\r\n";
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
    out = say(port_b, response_b(tid));
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

    seg sb;
    sb.seq = conns_[port_b].next_seq;
    sb.ack = conns_[port_b].imsd_next;
    sb.flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG;
    sb.data = response_b(tid1) + response_b(tid2);
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

// The far side gone in mid-chunk and back on a new connection (which may
// take the old one's slot): the rest of the chunk goes nowhere, least of
// all into the new connection's stream.
TEST_F(relay_test, the_rest_of_a_chunk_whose_far_side_went_never_reaches_its_new_connection) {
    const std::string head = head_a("tx-1", "m-1", 20);
    say(port_a, head + "0123456789");
    reset_from(port_b);
    constexpr uint16_t port_b2 = 40006;
    connect_peer(port_b2, 8000);
    auto out = say(port_b2, "MSRP tx-b9 SEND\r\nTo-Path: " + info_.local_uri[1] +
                                "\r\nFrom-Path: " + path_b + "\r\n-------tx-b9$\r\n");
    ASSERT_NE(out[port_b2].find("MSRP tx-b9 200 OK"), std::string::npos) << out[port_b2];
    out = say(port_a, "abcdefghij\r\n-------tx-1$\r\n");
    EXPECT_EQ(out[port_b2], "") << "the old chunk's rest on the new connection";
    // The next message goes to the new connection, whole.
    out = say(port_a, "MSRP tx-2 SEND\r\nTo-Path: " + info_.local_uri[0] +
                          "\r\nFrom-Path: " + path_a +
                          "\r\nMessage-ID: m-2\r\nByte-Range: 1-3/3\r\n"
                          "Content-Type: text/plain\r\n\r\nhey\r\n-------tx-2$\r\n");
    EXPECT_EQ(out[port_b2].substr(0, 5), "MSRP ") << out[port_b2];
    EXPECT_NE(out[port_b2].find("\r\n\r\nhey\r\n-------"), std::string::npos) << out[port_b2];
}

// Two connections of one leg (the sender reconnected, its first connection
// still sending): a chunk from the first is open on leg b's queue when
// the second's request comes. The far connection carries one session leg,
// so no head was kept to resume it: that chunk is refused 403 and ended
// '#' there, and the request goes on behind it (interrupt_refused).
TEST_F(relay_test, a_chunk_that_cannot_be_resumed_is_refused_when_cut_off) {
    constexpr uint16_t port_a2 = 40005;
    connect_peer(port_a2, 7000);
    const std::string head = head_a("tx-1", "m-1", 20);
    std::string to_b = say(port_a, head + "0123456789")[port_b];
    const std::string tid1 = tid_of(to_b);
    auto out = say(port_a2, "MSRP tx-2 SEND\r\nTo-Path: " + info_.local_uri[0] +
                                "\r\nFrom-Path: " + path_a +
                                "\r\nMessage-ID: m-2\r\nByte-Range: 1-3/3\r\n"
                                "Content-Type: text/plain\r\n\r\nhey\r\n-------tx-2$\r\n");
    to_b += out[port_b];
    EXPECT_NE(to_b.find("0123456789\r\n-------" + tid1 + "#\r\nMSRP "), std::string::npos) << to_b;
    EXPECT_NE(to_b.find("\r\n\r\nhey\r\n-------"), std::string::npos) << to_b;
    EXPECT_NE(out[port_a].find("MSRP tx-1 403 Chunk could not be interrupted"), std::string::npos)
        << out[port_a];
    EXPECT_EQ(relay_->cnt.interrupt_refused, 1u);
    // The rest of the refused chunk goes nowhere.
    out = say(port_a, "abcdefghij\r\n-------tx-1$\r\n");
    EXPECT_EQ(out[port_b].find("abcdefghij"), std::string::npos) << out[port_b];
}

// A sender gone in mid-chunk: the far side's copy ends '#' at once, not
// whenever something else comes to be sent there.
TEST_F(relay_test, a_sender_reset_in_mid_chunk_has_the_far_sides_copy_aborted_at_once) {
    const std::string head = head_a("tx-1", "m-1", 20);
    std::string to_b = say(port_a, head + "0123456789")[port_b];
    const std::string tid = tid_of(to_b);
    to_b += reset_from(port_a)[port_b];
    EXPECT_EQ(to_b.substr(to_b.size() - (9 + tid.size() + 3)), "\r\n-------" + tid + "#\r\n")
        << to_b;
}

// RFC 4975 7.3: the response is awaited from when the request has been sent,
// that is its end-line. A chunk streaming for longer than the response
// timeout (30 s here) gets the far side's answer, not a 408; once it is
// over, an answer that does not come still gives 408 at 30 s.
TEST_F(relay_test, a_chunk_streaming_longer_than_the_response_timeout_is_timed_from_its_end) {
    std::string to_b = say(port_a, head_a("tx-1", "m-1", 40) + "0123456789")[port_b];
    const std::string tid = tid_of(to_b);
    std::string to_a;
    for (const std::string piece : {"abcdefghij", "ABCDEFGHIJ", "9876543210"}) {
        for (int s = 0; s < 15; ++s) {
            to_a += collect(advance_ms(1000))[port_a];
        }
        auto out = say(port_a, piece);
        to_b += out[port_b];
        to_a += out[port_a];
    }
    auto out = say(port_a, "\r\n-------tx-1$\r\n");  // 45 s after the head
    to_b += out[port_b];
    to_a += out[port_a];
    for (int s = 0; s < 29; ++s) {
        to_a += collect(advance_ms(1000))[port_a];
    }
    EXPECT_EQ(to_a, "") << "74 s after the head, 29 s after the end-line";
    EXPECT_EQ(relay_->cnt.timeouts, 0u);
    EXPECT_NE(to_b.find("9876543210\r\n-------" + tid + "$\r\n"), std::string::npos) << to_b;
    to_a = say(port_b, response_b(tid))[port_a];
    EXPECT_EQ(to_a.substr(0, 17), "MSRP tx-1 200 OK\r") << to_a;

    // The next chunk, left unanswered: 408 between 29 and 31 s after its end.
    say(port_a, head_a("tx-2", "m-2", 20) + "0123456789");
    to_a.clear();
    for (int s = 0; s < 40; ++s) {
        to_a += collect(advance_ms(1000))[port_a];
    }
    say(port_a, "abcdefghij\r\n-------tx-2$\r\n");  // 40 s after its head
    to_a.clear();
    for (int s = 0; s < 29; ++s) {
        to_a += collect(advance_ms(1000))[port_a];
    }
    EXPECT_EQ(to_a, "") << "29 s after the end-line";
    to_a = collect(advance_ms(2000))[port_a];
    EXPECT_EQ(to_a.substr(0, 27), "MSRP tx-2 408 Request Timeo") << to_a;
    EXPECT_EQ(relay_->cnt.timeouts, 1u);
}

// RFC 4975 7.3: every unanswered request gets its 408 once, the response
// timeout after it was sent, in the order sent, whichever others between
// them were answered; their entries are free again afterwards (expiry takes
// what is due from a list kept in deadline order, no scan of the table).
TEST_F(relay_test, unanswered_requests_time_out_in_the_order_sent_and_free_their_entries) {
    std::vector<std::string> tids;
    for (int i = 1; i <= 6; ++i) {
        const std::string t = "tx-" + std::to_string(i);
        const std::string to_b = say(
            port_a, head_a(t, "m-" + std::to_string(i), 2) + "hi\r\n-------" + t + "$\r\n")[port_b];
        tids.push_back(tid_of(to_b));
        collect(advance_ms(1000));
    }
    say(port_b, response_b(tids[4]));  // tx-5, then tx-2: answered out of order
    say(port_b, response_b(tids[1]));
    std::string to_a;
    for (int s = 0; s < 23; ++s) {
        to_a += collect(advance_ms(1000))[port_a];
    }
    EXPECT_EQ(to_a, "") << "29 s after the first request";
    for (int s = 0; s < 8; ++s) {
        to_a += collect(advance_ms(1000))[port_a];
    }
    size_t last = 0;
    for (const char* t : {"tx-1", "tx-3", "tx-4", "tx-6"}) {
        const size_t at = to_a.find(std::string("MSRP ") + t + " 408 Request Timeout\r\n");
        ASSERT_NE(at, std::string::npos) << t << " in " << to_a;
        EXPECT_GE(at, last) << t << " out of order in " << to_a;
        EXPECT_EQ(to_a.find(std::string("MSRP ") + t + " 408", at + 1), std::string::npos) << t;
        last = at;
    }
    EXPECT_EQ(to_a.find("MSRP tx-2 "), std::string::npos) << to_a;
    EXPECT_EQ(to_a.find("MSRP tx-5 "), std::string::npos) << to_a;
    EXPECT_EQ(relay_->cnt.timeouts, 4u);

    // Every entry free: a full table's worth awaits, and times out, again.
    for (int i = 0; i < 16; ++i) {
        const std::string t = "ty-" + std::to_string(i);
        say(port_a, head_a(t, "n-" + std::to_string(i), 2) + "hi\r\n-------" + t + "$\r\n");
    }
    EXPECT_EQ(relay_->cnt.pending_full, 0u);
    to_a.clear();
    for (int s = 0; s < 31; ++s) {
        to_a += collect(advance_ms(1000))[port_a];
    }
    EXPECT_EQ(relay_->cnt.timeouts, 20u) << to_a;
}

// RFC 4975 5.3: "Failure-Report: partial" asks for negative
// responses only. The header goes on as sent; the far side's silence is
// success (no 408 after the response timeout), a 200 it sends anyway does
// not go back, a failure does.
TEST_F(relay_test, a_request_with_failure_report_partial_gets_failures_only) {
    const std::string partial = "Failure-Report: partial\r\n";
    std::string to_b =
        say(port_a, head_a("tx-1", "m-1", 5, partial) + "hello\r\n-------tx-1$\r\n")[port_b];
    EXPECT_EQ(header(to_b, "Failure-Report"), "partial") << to_b;
    std::string to_a;
    for (int s = 0; s < 35; ++s) {
        to_a += collect(advance_ms(1000))[port_a];
    }
    EXPECT_EQ(to_a, "") << "no 408 for a request that awaits failures only";
    EXPECT_EQ(relay_->cnt.timeouts, 0u);
    EXPECT_EQ(relay_->cnt.partial_unanswered, 1u);

    auto answer = [&](const std::string& t, const std::string& status) {
        return say(port_b, response_b(t, status))[port_a];
    };
    to_b = say(port_a, head_a("tx-2", "m-2", 5, partial) + "hello\r\n-------tx-2$\r\n")[port_b];
    EXPECT_EQ(answer(tid_of(to_b), "200 OK"), "") << "a 200 the sender did not ask for";
    to_b = say(port_a, head_a("tx-3", "m-3", 5, partial) + "hello\r\n-------tx-3$\r\n")[port_b];
    to_a = answer(tid_of(to_b), "413 Too big");
    EXPECT_EQ(to_a.substr(0, 25), "MSRP tx-3 413 Too big\r\nTo") << to_a;
    EXPECT_EQ(relay_->cnt.stray_responses, 0u);
}

TEST_F(relay_test, a_stale_or_forged_response_is_not_relayed) {
    auto out = say(port_b, response_b("0.zzzzz"));
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
        out = say(port_b, response_b(t));
        EXPECT_TRUE(out[port_a].empty()) << t;
    }
    const bool upper_differs = upper != tid;  // not when the digits hold no letter
    if (upper_differs) {
        out = say(port_b, response_b(upper));
        EXPECT_TRUE(out[port_a].empty()) << upper;
    }
    EXPECT_EQ(relay_->cnt.stray_responses, upper_differs ? 4u : 3u);
    out = say(port_b, response_b(tid));
    EXPECT_EQ(out[port_a].substr(0, 17), "MSRP tx-s1 200 OK") << out[port_a];
    // Its pending entry is gone: the same response again is stale.
    out = say(port_b, response_b(tid));
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

// The relay's own pool for what it writes (dataplane/msrp/out-mbufs), here
// of four mbufs: what it writes comes from there; when it runs dry the
// shared pool serves, counted, and nothing relayed suffers; once the far
// side has taken everything, every one of its mbufs is back.
class relay_out_pool_test : public relay_test {
   protected:
    void tune(dp::msrp::relay_params& p) override {
        static int n = 0;
        out_pool_ = rte_pktmbuf_pool_create(("relay_out_test" + std::to_string(n++)).c_str(), 4, 0,
                                            0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
        ASSERT_NE(out_pool_, nullptr);
        p.out_pool = out_pool_;
    }
    void TearDown() override {
        relay_test::TearDown();  // the stack and the relay give theirs back first
        rte_mempool_free(out_pool_);
    }
    rte_mempool* out_pool_ = nullptr;
};

TEST_F(relay_out_pool_test, the_relay_writes_into_its_own_pool_and_the_shared_one_when_dry) {
    auto relay_one = [&](const std::string& t, const std::string& body) {
        const std::string to_b = say(
            port_a, head_a(t, "m-" + t, body.size()) + body + "\r\n-------" + t + "$\r\n")[port_b];
        EXPECT_NE(to_b.find("Message-ID: m-" + t + "\r\n"), std::string::npos) << to_b;
        EXPECT_NE(to_b.find("\r\n\r\n" + body + "\r\n-------"), std::string::npos) << to_b;
    };
    relay_one("tx-1", "hello");
    EXPECT_EQ(relay_->cnt.out_shared_allocs, 0u);

    std::vector<rte_mbuf*> held;  // the pool run dry
    while (rte_mbuf* m = rte_pktmbuf_alloc(out_pool_)) {
        held.push_back(m);
    }
    ASSERT_EQ(held.size(), 4u) << "all back once acknowledged";
    relay_one("tx-2", "from the shared pool");
    EXPECT_GT(relay_->cnt.out_shared_allocs, 0u);

    const uint64_t shared = relay_->cnt.out_shared_allocs;
    for (rte_mbuf* m : held) {
        rte_pktmbuf_free(m);
    }
    relay_one("tx-3", "from its own again");
    EXPECT_EQ(relay_->cnt.out_shared_allocs, shared);
    EXPECT_EQ(rte_mempool_in_use_count(out_pool_), 0u) << "all acknowledged, all back";
}

// Message records are written in place in the event ring, which only a
// single producer may do: a relay is not created over another kind.
TEST_F(relay_test, a_relay_is_not_created_over_a_multi_producer_event_ring) {
    rte_ring* mp = rte_ring_create_elem("relay_mp_events", sizeof(platform::media_event), 64,
                                        SOCKET_ID_ANY, RING_F_SC_DEQ);
    ASSERT_NE(mp, nullptr);
    dp::msrp::relay_params p;
    p.media_ip_be = addr("198.18.0.1");
    p.port_first = p.port_last = msrp_port + 1;
    p.events = mp;
    EXPECT_EQ(dp::msrp::relay::create(*stack_, p), nullptr);
    rte_ring_free(mp);
}

// Flow control with a small queue bound: a chunk far larger than it
// streams through piece by piece, each poll's pieces leaving at its end
// (they once waited for the chunk's end-line, and past the bound the
// sender was no longer read: the chunk never ended).
class relay_small_queue_test : public relay_test {
   protected:
    void tune(dp::msrp::relay_params& p) override { p.out_limit_bytes = 4096; }
};

TEST_F(relay_small_queue_test, a_chunk_larger_than_the_queue_bound_streams_through) {
    const std::string body(40000, 'z');
    const std::string msg = "MSRP tx-big SEND\r\nTo-Path: " + info_.local_uri[0] +
                            "\r\nFrom-Path: " + path_a +
                            "\r\nMessage-ID: m-big\r\nByte-Range: 1-40000/40000\r\n"
                            "Content-Type: text/plain\r\n\r\n" +
                            body + "\r\n-------tx-big$\r\n";
    std::string to_b;
    size_t sent = 0;
    for (int polls = 0; polls < 400 && to_b.find("$\r\n", 100) == std::string::npos; ++polls) {
        // Leg a sends what its window allows (1000 bytes a segment); leg b
        // reads and ACKs everything (collect).
        std::map<uint16_t, std::string> out;
        if (sent < msg.size()) {
            const std::string piece = msg.substr(sent, 1000);
            out = say(port_a, piece);
            sent += piece.size();
        } else {
            out = collect(advance_ms(10));
        }
        to_b += out[port_b];
    }
    ASSERT_EQ(sent, msg.size());
    EXPECT_NE(to_b.find(body + "\r\n-------"), std::string::npos)
        << "the far side got " << to_b.size() << " bytes";
    EXPECT_EQ(to_b.substr(to_b.size() - 3), "$\r\n");
}

// Content rules, as mgmt compiles them: "forbidden" blocks (the operator's
// rule 7), "fruit" counts (rule 8). Whole chunks that come in one poll are
// queued unscanned and scanned together at its end; these tests hold that
// to what scanning each as it came did.
class relay_rules_test : public relay_test {
   protected:
    void tune(dp::msrp::relay_params& p) override {
        static int n = 0;
        events_ = rte_ring_create_elem(("relay_rules_ev" + std::to_string(n++)).c_str(),
                                       sizeof(platform::media_event), ring_slots_, SOCKET_ID_ANY,
                                       RING_F_SP_ENQ | RING_F_SC_DEQ);
        ASSERT_NE(events_, nullptr);
        p.events = events_;
        p.max_batched_scans = batch_limit_;
    }
    void SetUp() override {
        relay_test::SetUp();
        const char* exprs[] = {"forbidden", "fruit"};
        const unsigned flags[] = {HS_FLAG_SINGLEMATCH, HS_FLAG_SINGLEMATCH};
        const unsigned ids[] = {0, 1};
        hs_database_t* db = nullptr;
        hs_database_t* bdb = nullptr;
        hs_compile_error_t* err = nullptr;
        ASSERT_EQ(hs_compile_multi(exprs, flags, ids, 2, HS_MODE_STREAM, nullptr, &db, &err),
                  HS_SUCCESS);
        if (block_mode_) {  // as mgmt compiles them
            ASSERT_EQ(hs_compile_multi(exprs, flags, ids, 2, HS_MODE_BLOCK, nullptr, &bdb, &err),
                      HS_SUCCESS);
        }
        platform::content_db d;
        d.db = db;
        d.block_db = bdb;
        d.owner = std::shared_ptr<void>(nullptr, [db, bdb](void*) {
            hs_free_database(db);
            hs_free_database(bdb);
        });
        d.actions = {platform::rule_action::block, platform::rule_action::count};
        d.rule_ids = {7, 8};
        auto ps = dp::policy::policy_set::create(std::move(d), {}, 1);
        ASSERT_TRUE(ps);
        policy_ = std::move(*ps);
        relay_->policy = no_rules_ ? nullptr : policy_.get();
        events();  // leg b's binding
    }
    void TearDown() override {
        relay_test::TearDown();  // the relay goes before its policy and ring
        policy_.reset();
        rte_ring_free(events_);
    }
    std::string send_of(const std::string& tid, const std::string& mid, const std::string& body,
                        char flag = '$', const std::string& extra = "") {
        return head_a(tid, mid, body.size(), extra) + body + "\r\n-------" + tid + flag + "\r\n";
    }
    // Leg a's bytes in segments of one poll; what imsd sent each peer.
    std::map<uint16_t, std::string> say_in_one_poll(const std::vector<std::string>& pieces) {
        std::vector<rte_mbuf*> pkts;
        for (const auto& text : pieces) {
            pkts.push_back(peer_segment(port_a, text));
        }
        return poll_of(pkts);
    }
    // A segment of `text` from the peer on `port` (its sequence taken);
    // several make one poll's input (poll_of).
    rte_mbuf* peer_segment(uint16_t port, const std::string& text) {
        seg sg;
        sg.seq = conns_[port].next_seq;
        sg.ack = conns_[port].imsd_next;
        sg.flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG;
        sg.data = text;
        conns_[port].next_seq += static_cast<uint32_t>(text.size());
        return make(frame_of(sg, msrp_port, port));
    }
    std::map<uint16_t, std::string> poll_of(std::vector<rte_mbuf*>& pkts) {
        dp::net::net_input(ctx_, 0, std::span<rte_mbuf*>(pkts.data(), pkts.size()));
        after_input();
        return collect(parse(take_tx()));
    }
    // A whole SEND from leg b to leg a: Message-ID `mid`, transaction "t" mid.
    std::string send_from_b(const std::string& mid, const std::string& body) {
        const std::string t = "t" + mid;
        return chunk_head(info_.local_uri[1], path_b, t, mid, body.size()) + body + "\r\n-------" +
               t + "$\r\n";
    }
    struct verdict {
        std::string mid;
        platform::message_verdict v;
        uint32_t rule;
        bool operator==(const verdict&) const = default;
    };
    std::vector<verdict> events() {
        std::vector<verdict> out;
        platform::media_event ev;
        while (rte_ring_sc_dequeue_elem(events_, &ev, sizeof(ev)) == 0) {
            if (ev.kind == platform::media_event_kind::message) {
                out.push_back({std::string(ev.mid()), ev.verdict, ev.rule});
            }
        }
        return out;
    }
    // The relayed SENDs in order: Message-ID and what follows its head
    // (body, end-line) up to the next start line.
    static std::vector<std::pair<std::string, std::string>> relayed(const std::string& to_b) {
        std::vector<std::pair<std::string, std::string>> out;
        size_t at = 0;
        while ((at = to_b.find("MSRP ", at)) != std::string::npos) {
            const size_t next = to_b.find("\r\nMSRP ", at);
            const std::string msg =
                to_b.substr(at, next == std::string::npos ? next : next + 2 - at);
            const size_t body = msg.find("\r\n\r\n");
            out.push_back(
                {header(msg, "Message-ID"), body == std::string::npos ? "" : msg.substr(body + 4)});
            at += msg.size();
        }
        return out;
    }
    // `n` bytes of varied letters with no rule's word in them ("forbidden",
    // "fruit"): a body every rule lets through.
    static std::string clean_body(size_t n, size_t mul, size_t div) {
        std::string body(n, 'y');
        for (size_t i = 0; i < body.size(); ++i) {
            body[i] = static_cast<char>('a' + (i * mul + i / div) % 26);
        }
        for (size_t i = 0; i + 9 <= body.size(); ++i) {
            if (body.compare(i, 9, "forbidden") == 0 || body.compare(i, 5, "fruit") == 0) {
                body[i] = 'q';
            }
        }
        return body;
    }
    // Random chunks and splits (random_splits_* below).
    void random_run();
    static bool blocked_none(const std::vector<std::pair<std::string, std::string>>& sent) {
        return std::none_of(sent.begin(), sent.end(), [](const auto& m) {
            return m.second.find("forbidden") != std::string::npos;
        });
    }
    unsigned batch_limit_ = 64;
    unsigned ring_slots_ = 1024;  // the event ring's (one fewer usable)
    bool no_rules_ = false;       // the relay runs without a policy set
    bool block_mode_ = true;      // the rules in block mode too (short whole messages)
    void whole_chunks_of_a_poll_case();
    rte_ring* events_ = nullptr;
    std::unique_ptr<dp::policy::policy_set> policy_;
};

// Five whole chunks in one poll, two of them blocked. With the rules in
// block mode too, each is scanned in one block-mode call; without, through
// the batch's stream: the same outcome.
void relay_rules_test::whole_chunks_of_a_poll_case() {
    auto out = say_in_one_poll(
        {send_of("tx-1", "m-1", "an apple") +
         send_of("tx-2", "m-2", "a forbidden fruit", '$', "Failure-Report: yes\r\n") +
         send_of("tx-3", "m-3", "a pear, a fruit") + send_of("tx-4", "m-4", "forbidden too") +
         send_of("tx-5", "m-5", "a plum")});
    const std::string& to_b = out[port_b];
    EXPECT_EQ(to_b.find("forbidden"), std::string::npos) << "no byte of the blocked body left";
    const auto got = relayed(to_b);
    ASSERT_EQ(got.size(), 5u) << to_b;
    EXPECT_EQ(got[0].first, "m-1");
    EXPECT_EQ(got[0].second.substr(0, 10), "an apple\r\n");
    EXPECT_EQ(got[0].second.back(), '\n');
    EXPECT_NE(got[0].second.find("$\r\n"), std::string::npos);
    // The blocked chunk's head went, then at once its end-line, aborted.
    EXPECT_EQ(got[1].first, "m-2");
    EXPECT_EQ(got[1].second.substr(0, 9), "\r\n-------") << got[1].second;
    EXPECT_EQ(got[1].second.substr(got[1].second.size() - 3), "#\r\n");
    EXPECT_EQ(got[2].first, "m-3");
    EXPECT_EQ(got[2].second.substr(0, 17), "a pear, a fruit\r\n");
    // Another blocked one after it: cut where it lies now.
    EXPECT_EQ(got[3].first, "m-4");
    EXPECT_EQ(got[3].second.substr(0, 9), "\r\n-------") << got[3].second;
    EXPECT_EQ(got[4].first, "m-5");
    EXPECT_EQ(got[4].second.substr(0, 8), "a plum\r\n");
    // The sender: 403 and the Failure REPORT it asked for, for m-2 only.
    const std::string& to_a = out[port_a];
    EXPECT_NE(to_a.find("MSRP tx-2 403 Content blocked by policy\r\n"), std::string::npos) << to_a;
    EXPECT_NE(to_a.find("Message-ID: m-2\r\nByte-Range: 1-17/17\r\nStatus: 000 403"),
              std::string::npos)
        << to_a;
    EXPECT_EQ(to_a.find("tx-1 "), std::string::npos);
    EXPECT_EQ(to_a.find("tx-3 "), std::string::npos);
    EXPECT_NE(to_a.find("MSRP tx-4 403 "), std::string::npos) << to_a;
    EXPECT_EQ(relay_->cnt.policy_blocked, 2u);
    EXPECT_EQ(relay_->cnt.policy_counted, 1u) << "m-3's fruit (m-2 was stopped first)";
    EXPECT_EQ(relay_->cnt.chunks_aborted, 2u);
    EXPECT_EQ(relay_->cnt.scan_bytes, 8u + 17u + 15u + 13u + 6u);
    EXPECT_EQ(relay_->cnt.scans_batched, 5u);
    EXPECT_EQ(relay_->cnt.scans_block, block_mode_ ? 5u : 0u);
    const std::vector<verdict> want = {{"m-1", platform::message_verdict::relayed, 0},
                                       {"m-2", platform::message_verdict::blocked, 7},
                                       {"m-3", platform::message_verdict::relayed, 0},
                                       {"m-4", platform::message_verdict::blocked, 7},
                                       {"m-5", platform::message_verdict::relayed, 0}};
    EXPECT_EQ(events(), want);

    // Leg b answers all three: the aborted chunk's answer goes nowhere.
    std::string oks;
    size_t at = 0;
    while ((at = to_b.find("MSRP ", at)) != std::string::npos) {
        const std::string t = tid_of(to_b.substr(at));
        oks += response_b(t);
        at += 5;
    }
    out = say(port_b, oks);
    EXPECT_NE(out[port_a].find("MSRP tx-1 200 OK"), std::string::npos) << out[port_a];
    EXPECT_NE(out[port_a].find("MSRP tx-3 200 OK"), std::string::npos) << out[port_a];
    EXPECT_NE(out[port_a].find("MSRP tx-5 200 OK"), std::string::npos) << out[port_a];
    EXPECT_EQ(out[port_a].find("tx-2"), std::string::npos) << out[port_a];
    EXPECT_EQ(out[port_a].find("tx-4"), std::string::npos) << out[port_a];
}

TEST_F(relay_rules_test, a_polls_whole_chunks_are_scanned_together_and_a_blocked_one_is_cut_out) {
    whole_chunks_of_a_poll_case();
}

TEST_F(relay_rules_test, without_block_mode_the_batch_streams_them_alike) {
    block_mode_ = false;
    TearDown();
    SetUp();
    whole_chunks_of_a_poll_case();
}

// Message records are written in place in the event ring, in a
// reservation taken at a poll's first record (64 slots) and handed over at
// its end: more than one reservation's worth in a poll, and across the
// ring's end, arrive whole and in order. A full ring drops records,
// counted, and later ones flow once the sigplane has read. Another kind of
// record (here leg a closed for bad framing) comes after the message
// records written before it.
TEST_F(relay_rules_test, message_records_arrive_in_order_across_reservations_and_the_rings_end) {
    ring_slots_ = 128;
    no_rules_ = true;
    TearDown();
    SetUp();
    auto batch = [&](int from, int n, const std::string& tail = "") {
        std::vector<std::string> pieces;
        for (int i = from; i < from + n; ++i) {
            pieces.push_back(send_of("tx-" + std::to_string(i), "m-" + std::to_string(i), "hi"));
        }
        if (!tail.empty()) {
            pieces.push_back(tail);
        }
        say_in_one_poll(pieces);
    };
    auto mids = [](int from, int n) {
        std::vector<std::string> out;
        for (int i = from; i < from + n; ++i) {
            out.push_back("m-" + std::to_string(i));
        }
        return out;
    };
    auto got_mids = [&] {
        std::vector<std::string> out;
        for (const verdict& v : events()) {
            EXPECT_EQ(v.v, platform::message_verdict::relayed) << v.mid;
            out.push_back(v.mid);
        }
        return out;
    };
    for (int round = 0; round < 3; ++round) {  // 100 a poll: 3 x 100 through 127 slots
        batch(100 * round, 100);
        EXPECT_EQ(got_mids(), mids(100 * round, 100)) << "round " << round;
    }
    EXPECT_EQ(relay_->cnt.events_dropped, 0u);

    batch(300, 100);  // not read in between: the ring fills
    batch(400, 100);
    EXPECT_EQ(relay_->cnt.events_dropped, 73u);
    EXPECT_EQ(got_mids(), mids(300, 127));
    batch(500, 10);
    EXPECT_EQ(got_mids(), mids(500, 10));

    batch(600, 3, "NOT MSRP AT ALL\r\n");
    std::vector<std::string> kinds;
    platform::media_event ev;
    while (rte_ring_sc_dequeue_elem(events_, &ev, sizeof(ev)) == 0) {
        kinds.push_back(std::string(platform::kind_name(ev.kind)) + " " + std::string(ev.mid()));
    }
    ASSERT_GE(kinds.size(), 4u);
    EXPECT_EQ(std::vector<std::string>(kinds.begin(), kinds.begin() + 4),
              (std::vector<std::string>{"message m-600", "message m-601", "message m-602",
                                        "leg_closed "}));
}

// Released, the session's totals per leg go to the sigplane in its last
// record (leg b's where a Message-ID goes: the record is one cache line).
TEST_F(relay_rules_test, a_released_session_reports_each_legs_totals) {
    say(port_a, send_of("tx-1", "m-1", "hi"));
    say(port_a, send_of("tx-2", "m-2", "hello"));
    say(port_b, send_from_b("m-3", "abc"));
    events();
    ASSERT_TRUE(relay_->release(info_.id));
    collect(advance_ms(10));
    platform::media_event ev;
    bool found = false;
    while (rte_ring_sc_dequeue_elem(events_, &ev, sizeof(ev)) == 0) {
        if (ev.kind == platform::media_event_kind::session_end) {
            found = true;
            EXPECT_EQ(ev.session, info_.id);
            EXPECT_EQ(ev.bytes, 7u);
            EXPECT_EQ(ev.count, 2u);
            EXPECT_EQ(ev.bytes_b(), 3u);
            EXPECT_EQ(ev.count_b(), 1u);
        }
    }
    EXPECT_TRUE(found);
}

// A 403 for want of room (here a third message interleaved on one
// connection) is recorded as refused, not as blocked by a rule; a content
// rule's 403 stays blocked with the rule.
TEST_F(relay_rules_test, a_message_refused_for_want_of_room_is_not_recorded_as_blocked) {
    auto part = [&](const std::string& tid, const std::string& mid, const std::string& body) {
        return "MSRP " + tid + " SEND\r\nTo-Path: " + info_.local_uri[0] +
               "\r\nFrom-Path: " + path_a + "\r\nMessage-ID: " + mid +
               "\r\nByte-Range: 1-10/*\r\nContent-Type: text/plain\r\n\r\n" + body + "\r\n-------" +
               tid + "+\r\n";
    };
    say(port_a, part("tx-1", "m-one", "0123456789") + part("tx-2", "m-two", "0123456789"));
    auto out = say(port_a, part("tx-3", "m-three", "0123456789"));
    EXPECT_NE(out[port_a].find("MSRP tx-3 403 Too many interleaved messages"), std::string::npos)
        << out[port_a];
    std::vector<verdict> want = {{"m-three", platform::message_verdict::refused, 0}};
    EXPECT_EQ(events(), want);
    say(port_a, part("tx-4", "m-one", "forbidden!"));
    want = {{"m-one", platform::message_verdict::blocked, 7}};
    EXPECT_EQ(events(), want);
}

// A connection of either side gone in mid-chunk: the message's delivery
// record says so (cut_off), with the bytes as far as they got, and the rest
// of the chunk adds none.
TEST_F(relay_rules_test, a_message_cut_off_by_either_side_going_is_recorded_so) {
    say(port_a, head_a("tx-1", "m-1", 20) + "0123456789");
    reset_from(port_a);
    std::vector<verdict> want = {{"m-1", platform::message_verdict::cut_off, 0}};
    EXPECT_EQ(events(), want) << "the sender went";

    constexpr uint16_t port_a2 = 40005;
    connect_peer(port_a2, 7000);
    say(port_a2, head_a("tx-2", "m-2", 20) + "0123456789");
    reset_from(port_b);
    want = {{"m-2", platform::message_verdict::cut_off, 0}};
    EXPECT_EQ(events(), want) << "the far side went";
    say(port_a2, "abcdefghij\r\n-------tx-2$\r\n");
    EXPECT_EQ(events(), std::vector<verdict>{});
}

// scan_bytes over scan_cycles is the relay's scan rate: polls with nothing
// to scan (most of a polling lcore's) add no cycles.
TEST_F(relay_rules_test, idle_polls_add_no_scan_time) {
    say(port_a, send_of("tx-1", "m-1", "an apple"));
    const uint64_t cycles = relay_->cnt.scan_cycles;
    EXPECT_GT(cycles, 0u);
    for (int i = 0; i < 10000; ++i) {
        relay_->poll(ctx_.now_tsc);
    }
    EXPECT_EQ(relay_->cnt.scan_cycles, cycles);
}

TEST_F(relay_rules_test, a_chunk_straddling_two_segments_of_a_poll_is_scanned_whole) {
    // m-2's body arrives in two segments of the same poll: "forbid" | "den".
    const std::string m2 = send_of("tx-2", "m-2", "not forbidden");
    const size_t cut = m2.find("forbid") + 6;
    const std::string m4 = send_of("tx-4", "m-4", "an apple pie");
    const size_t cut4 = m4.find("apple") + 2;
    auto out = say_in_one_poll(
        {send_of("tx-1", "m-1", "one") + m2.substr(0, cut),
         m2.substr(cut) + send_of("tx-3", "m-3", "three") + m4.substr(0, cut4), m4.substr(cut4)});
    const std::string& to_b = out[port_b];
    EXPECT_EQ(to_b.find("forbid"), std::string::npos) << to_b;
    const auto got = relayed(to_b);
    ASSERT_EQ(got.size(), 4u) << to_b;
    EXPECT_EQ(got[0].second.substr(0, 5), "one\r\n");
    EXPECT_EQ(got[1].second.substr(0, 9), "\r\n-------");
    EXPECT_EQ(got[1].second.substr(got[1].second.size() - 3), "#\r\n");
    EXPECT_EQ(got[2].second.substr(0, 7), "three\r\n");
    EXPECT_EQ(got[3].second.substr(0, 14), "an apple pie\r\n") << "a clean straddler, whole";
    EXPECT_NE(out[port_a].find("MSRP tx-2 403 "), std::string::npos) << out[port_a];
    EXPECT_EQ(relay_->cnt.policy_blocked, 1u);
    EXPECT_EQ(relay_->cnt.scan_bytes, 3u + 13u + 5u + 12u);
}

// A whole message of a poll whose body lies in several queued mbufs (bodies
// of 512 bytes and more are queued by reference, as they arrived) is copied
// together and scanned in one block-mode call: a pattern across the segment
// edge is found; a clean one goes out byte for byte.
TEST_F(relay_rules_test, a_whole_body_over_segments_of_a_poll_is_one_block_scan) {
    const std::string clean = clean_body(3000, 5, 11);
    std::string bad = clean;
    bad.replace(1500, 9, "forbidden");
    const std::string m1 = send_of("tx-1", "m-1", bad);
    const std::string m2 = send_of("tx-2", "m-2", clean);
    // Segments of up to 1,300 bytes, one edge inside "forbidden": "forb" | "idden".
    const std::string both = m1 + m2;
    const size_t edge = m1.find("forbid") + 4;
    std::vector<std::string> segs;
    for (size_t at = 0; at < both.size();) {
        const size_t end = at < edge && edge < at + 1300 ? edge : std::min(at + 1300, both.size());
        segs.push_back(both.substr(at, end - at));
        at = end;
    }
    const uint64_t block_calls = relay_->cnt.scans_block;
    auto out = say_in_one_poll(segs);
    EXPECT_EQ(out[port_b].find("forb"), std::string::npos);
    const auto got = relayed(out[port_b]);
    ASSERT_EQ(got.size(), 2u) << out[port_b];
    EXPECT_EQ(got[0].second.substr(got[0].second.size() - 3), "#\r\n");
    EXPECT_EQ(got[1].second.substr(0, clean.size()), clean);
    EXPECT_NE(out[port_a].find("MSRP tx-1 403 "), std::string::npos) << out[port_a];
    EXPECT_EQ(relay_->cnt.policy_blocked, 1u);
    EXPECT_EQ(relay_->cnt.scans_batched, 2u);
    EXPECT_EQ(relay_->cnt.scans_block - block_calls, 2u);
}

// A body over several queued mbufs is copied together for its scan, up to
// 16 KiB at a time (relay::scan_gather_bytes). A pattern across a segment
// edge or across the edge of two such windows is found as in one piece;
// what is relayed is the queue's own bytes, not the copy.
TEST_F(relay_rules_test, a_body_over_many_segments_is_scanned_across_every_edge) {
    const size_t window = 16384;
    struct place {
        const char* what;
        size_t at;  // body offset of the "forbidden" that must be found
    };
    const place places[] = {{"across the first window's edge", window - 4},
                            {"across the second window's edge", 2 * window - 5},
                            {"in the last bytes", 40000 - 9}};
    int n = 0;
    for (const place& pl : places) {
        std::string body(40000, 'x');
        for (size_t i = 0; i < body.size(); i += 97) {
            body[i] = static_cast<char>('a' + i % 23);  // not uniform, no pattern
        }
        body.replace(pl.at, 9, "forbidden");
        const std::string tid = "tb-" + std::to_string(++n);
        const std::string msg = send_of(tid, "mb-" + std::to_string(n), body);
        std::vector<std::string> segs;
        for (size_t at = 0; at < msg.size(); at += 1400) {
            segs.push_back(msg.substr(at, 1400));
        }
        const auto out = say_in_one_poll(segs);
        EXPECT_EQ(out.at(port_b).find("forbid"), std::string::npos) << pl.what;
        EXPECT_NE(out.at(port_a).find("MSRP " + tid + " 403 "), std::string::npos) << pl.what;
        EXPECT_EQ(relay_->cnt.policy_blocked, static_cast<uint64_t>(n)) << pl.what;
    }
    // And a clean one goes through byte for byte, scanned once in full.
    const std::string body = clean_body(40000, 7, 13);
    const std::string msg = send_of("tb-ok", "mb-ok", body);
    std::vector<std::string> segs;
    for (size_t at = 0; at < msg.size(); at += 1400) {
        segs.push_back(msg.substr(at, 1400));
    }
    const uint64_t scanned = relay_->cnt.scan_bytes;
    const uint64_t block_calls = relay_->cnt.scans_block;
    const auto out = say_in_one_poll(segs);
    const auto got = relayed(out.at(port_b));
    ASSERT_EQ(got.size(), 1u) << out.at(port_b).size();
    EXPECT_EQ(got[0].second.substr(0, body.size()), body);
    EXPECT_EQ(got[0].second.substr(body.size()), "\r\n-------" + tid_of(out.at(port_b)) + "$\r\n");
    EXPECT_EQ(relay_->cnt.scan_bytes - scanned, body.size());
    EXPECT_EQ(relay_->cnt.scans_block, block_calls) << "past the gather window: streamed";
}

TEST_F(relay_rules_test, a_batch_past_its_limit_is_scanned_as_it_fills) {
    batch_limit_ = 2;
    TearDown();
    SetUp();
    std::string burst;
    for (int i = 1; i <= 5; ++i) {
        burst += send_of("tx-" + std::to_string(i), "m-" + std::to_string(i),
                         i == 4 ? "forbidden" : "body " + std::to_string(i));
    }
    auto out = say_in_one_poll({burst});
    const auto got = relayed(out[port_b]);
    ASSERT_EQ(got.size(), 5u) << out[port_b];
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(got[static_cast<size_t>(i)].first, "m-" + std::to_string(i + 1));
        if (i == 3) {
            EXPECT_EQ(got[3].second.substr(0, 9), "\r\n-------") << got[3].second;
        } else {
            EXPECT_EQ(got[static_cast<size_t>(i)].second.substr(0, 8),
                      "body " + std::to_string(i + 1) + "\r\n");
        }
    }
    EXPECT_NE(out[port_a].find("MSRP tx-4 403 "), std::string::npos) << out[port_a];
    EXPECT_EQ(relay_->cnt.policy_blocked, 1u);
}

// The batch filling while a chunk is still arriving (leg b's SENDs end in
// between): what that chunk queued so far is scanned then, with its own
// stream, which finds the pattern completed by the next segment of the
// same poll; the part scanned before stays, none of the rest goes.
TEST_F(relay_rules_test, a_batch_filling_mid_chunk_scans_it_as_far_as_it_came) {
    batch_limit_ = 1;
    TearDown();
    SetUp();
    const std::string m1 = send_of("tx-1", "m-1", "so forbid" + std::string("den, so sad"));
    const size_t cut = m1.find("forbid") + 6;
    // One poll: leg a's first segment, leg b's (two whole SENDs: the batch
    // of one fills), leg a's second segment.
    std::vector<rte_mbuf*> pkts = {
        peer_segment(port_a, m1.substr(0, cut)),
        peer_segment(port_b, send_from_b("tb-1", "hello a") + send_from_b("tb-2", "bye a")),
        peer_segment(port_a, m1.substr(cut))};
    auto out = poll_of(pkts);
    const auto got = relayed(out[port_b]);
    ASSERT_EQ(got.size(), 1u) << out[port_b];
    EXPECT_EQ(got[0].second.substr(0, 11), "so forbid\r\n") << got[0].second;
    EXPECT_EQ(got[0].second.substr(got[0].second.size() - 3), "#\r\n");
    EXPECT_EQ(out[port_b].find("den"), std::string::npos) << out[port_b];
    EXPECT_NE(out[port_a].find("MSRP tx-1 403 "), std::string::npos) << out[port_a];
    EXPECT_NE(out[port_a].find("Message-ID: tb-1"), std::string::npos) << out[port_a];
    EXPECT_NE(out[port_a].find("Message-ID: tb-2"), std::string::npos) << out[port_a];
    EXPECT_EQ(relay_->cnt.policy_blocked, 1u);
    EXPECT_GE(relay_->cnt.scans_batched, 2u);
}

// A chunk whose delivery ends in its body is scanned at the poll's end as
// far as it came, and goes on with the same stream: a pattern split over
// two polls, and over two chunks, is found as an unsplit one is.
TEST_F(relay_rules_test, a_pattern_split_over_polls_and_chunks_is_found) {
    const std::string m = send_of("tx-1", "m-1", "it is forbidden");
    const size_t cut = m.find("forbid") + 6;
    auto out = say(port_a, m.substr(0, cut));
    EXPECT_NE(out[port_b].find("it is forbid"), std::string::npos) << "the clean part went";
    const std::string tid = tid_of(out[port_b]);
    out = say(port_a, m.substr(cut));
    EXPECT_EQ(out[port_b], "\r\n-------" + tid + "#\r\n") << "none of the rest";
    EXPECT_NE(out[port_a].find("MSRP tx-1 403 "), std::string::npos) << out[port_a];

    // Over two chunks of one message: the first relayed ('+'), the second
    // refused, its far side's copy aborted before "den".
    auto chunk = [&](const std::string& t, const std::string& range, const std::string& body,
                     char flag) {
        return "MSRP " + t + " SEND\r\nTo-Path: " + info_.local_uri[0] +
               "\r\nFrom-Path: " + path_a + "\r\nMessage-ID: m-2\r\nByte-Range: " + range +
               "\r\nContent-Type: text/plain\r\n\r\n" + body + "\r\n-------" + t + flag + "\r\n";
    };
    out = say(port_a, chunk("tx-2", "1-9/12", "so forbid", '+'));
    EXPECT_NE(out[port_b].find("so forbid\r\n-------"), std::string::npos) << out[port_b];
    out = say(port_a, chunk("tx-3", "10-12/12", "den", '$'));
    EXPECT_EQ(out[port_b].find("den"), std::string::npos) << out[port_b];
    EXPECT_EQ(out[port_b].substr(out[port_b].size() - 3), "#\r\n") << out[port_b];
    EXPECT_NE(out[port_a].find("MSRP tx-3 403 "), std::string::npos) << out[port_a];
    EXPECT_EQ(relay_->cnt.policy_blocked, 2u);
}

// Random chunks, some with the blocked word, cut into random segments and
// polls, with whole SENDs from leg b in some polls, and batches of 1 to 3
// or 64: whatever the split, each far side gets every clean chunk whole
// and in order, of a blocked one only a clean beginning ending '#', never
// the word; the senders get 403 for exactly the blocked ones; what each
// side gets parses as MSRP.
TEST_F(relay_rules_test, random_splits_never_let_a_blocked_word_through) { random_run(); }

// The same without content rules: every chunk goes through whole, and
// imsd's responses never land inside a chunk.
TEST_F(relay_rules_test, random_splits_without_rules_relay_every_chunk_whole) {
    no_rules_ = true;
    random_run();
}

// Two sessions whose b legs share leg b's connection (imsd passive: the
// peer binds both on it), their a legs on two connections (alice on
// 40001, carol on 40003). Chunks from a and c meet on b's queue: one open
// there is interrupted ('+') for the other's request and resumed after it
// under a new head (RFC 4975 7.1). Content rules on, as in relay_rules_test.
class relay_shared_test : public relay_rules_test {
   protected:
    static constexpr uint16_t port_c = 40003;
    const std::string path_c = "msrp://198.18.0.2:40003/carol0000001;tcp";
    const std::string path_b2 = "msrp://198.18.0.2:40002/bob000000002;tcp";
    void SetUp() override {
        relay_rules_test::SetUp();
        ASSERT_TRUE(relay_->create_session(info2_));
        ASSERT_TRUE(relay_->set_remote(info2_.id, 0, path_c, false));
        ASSERT_TRUE(relay_->set_remote(info2_.id, 1, path_b2, false));
        connect_peer(port_c, 9000);
        auto out = say(port_b, "MSRP tx-b2 SEND\r\nTo-Path: " + info2_.local_uri[1] +
                                   "\r\nFrom-Path: " + path_b2 + "\r\n-------tx-b2$\r\n");
        ASSERT_NE(out[port_b].find("MSRP tx-b2 200 OK"), std::string::npos) << out[port_b];
        events();
    }
    // Carol's chunk head (session 2).
    std::string head_c(const std::string& tid, const std::string& mid, size_t n) {
        return chunk_head(info2_.local_uri[0], path_c, tid, mid, n);
    }
    // Alice's, asking for a Failure REPORT (so a resumed head must carry it).
    std::string head_fr(const std::string& tid, const std::string& mid, size_t n) {
        return head_a(tid, mid, n, "Failure-Report: yes\r\n");
    }
    // What leg b's peer reads, parsed back with imsd's own parser.
    struct chunk {
        std::string tid, to_path, mid, range, type, body;
        char flag = 0;
    };
    static std::vector<chunk> chunks_of(const std::string& stream, int& errors) {
        struct collector : dp::msrp::sink {
            std::vector<chunk> got;
            int errors = 0;
            void on_head(const dp::msrp::head& h) override {
                using dp::msrp::hdr_id;
                got.push_back({std::string(h.tid),
                               std::string(h.find(hdr_id::to_path).value_or("")),
                               std::string(h.find(hdr_id::message_id).value_or("")),
                               std::string(h.find(hdr_id::byte_range).value_or("")),
                               std::string(h.find(hdr_id::content_type).value_or("")), "", 0});
            }
            void on_body(std::string_view b, bool) override { got.back().body += b; }
            void on_end(char flag) override { got.back().flag = flag; }
            void on_error(const dp::msrp::error&) override { ++errors; }
        } c;
        dp::msrp::parser p{dp::msrp::limits{}};
        p.feed(stream, c);
        errors = c.errors + (p.idle() ? 0 : 1);
        return c.got;
    }
    // The parts back into messages by Message-ID (alice's "ma-...",
    // carol's "mc-..."): each part must go on where its message stood
    // (Byte-Range start), none come after its end, each on its session's
    // paths. The bodies, and each message's last flag.
    std::pair<std::map<std::string, std::string>, std::map<std::string, char>> reassemble(
        const std::vector<chunk>& got) {
        std::map<std::string, std::string> whole;
        std::map<std::string, char> last;
        for (const auto& c : got) {
            const uint64_t start = std::stoull(c.range.substr(0, c.range.find('-')));
            EXPECT_EQ(start, whole[c.mid].size() + 1) << c.mid << " " << c.range;
            EXPECT_TRUE(last[c.mid] == 0 || last[c.mid] == '+')
                << c.mid << ": a part after its end";
            EXPECT_EQ(c.to_path, c.mid[1] == 'a' ? path_b : path_b2) << c.mid;
            whole[c.mid] += c.body;
            last[c.mid] = c.flag;
        }
        return {whole, last};
    }
    // Alice and carol stream large chunks at once (the tests below).
    void interleave();
    void random_shared_run(uint32_t seed);
    dp::msrp::session_info info2_;
};

TEST_F(relay_shared_test, an_open_chunk_is_interrupted_for_another_sessions_request_and_resumed) {
    std::string to_b = say(port_a, head_fr("ta-1", "ma-1", 20) + "0123456789")[port_b];
    auto out = say(port_c, head_c("tc-1", "mc-1", 10) + "from carol\r\n-------tc-1$\r\n");
    to_b += out[port_b];
    out = say(port_a, "abcdefghij\r\n-------ta-1$\r\n");
    to_b += out[port_b];
    int errors = 0;
    const auto got = chunks_of(to_b, errors);
    EXPECT_EQ(errors, 0) << to_b;
    ASSERT_EQ(got.size(), 3u) << to_b;
    // Alice's chunk as far as it had come, ended '+' ...
    EXPECT_EQ(got[0].mid, "ma-1");
    EXPECT_EQ(got[0].range, "1-20/20");
    EXPECT_EQ(got[0].body, "0123456789");
    EXPECT_EQ(got[0].flag, '+');
    EXPECT_EQ(got[0].to_path, path_b);
    // ... carol's request, whole, on its own session's paths ...
    EXPECT_EQ(got[1].mid, "mc-1");
    EXPECT_EQ(got[1].body, "from carol");
    EXPECT_EQ(got[1].flag, '$');
    EXPECT_EQ(got[1].to_path, path_b2);
    // ... and the rest of alice's under a new head (RFC 4975 7.1).
    EXPECT_EQ(got[2].mid, "ma-1");
    EXPECT_EQ(got[2].range, "11-20/20");
    EXPECT_EQ(got[2].type, "text/plain");
    EXPECT_EQ(got[2].body, "abcdefghij");
    EXPECT_EQ(got[2].flag, '$');
    EXPECT_EQ(got[2].to_path, path_b);
    EXPECT_NE(got[2].tid, got[0].tid);
    EXPECT_NE(to_b.find("Failure-Report: yes\r\nContent-Type: text/plain\r\n\r\nabcdefghij"),
              std::string::npos)
        << to_b;
    EXPECT_EQ(relay_->cnt.chunks_interrupted, 1u);
    // Leg b answers all three: alice gets one 200 (for the last part),
    // carol hers.
    std::string oks;
    for (const auto& c : got) {
        oks += response_b(c.tid);
    }
    out = say(port_b, oks);
    const std::string& to_a = out[port_a];
    EXPECT_NE(to_a.find("MSRP ta-1 200 OK"), std::string::npos) << to_a;
    EXPECT_EQ(to_a.find("MSRP ta-1 200 OK"), to_a.rfind("MSRP ta-1 200 OK")) << to_a;
    EXPECT_NE(out[port_c].find("MSRP tc-1 200 OK"), std::string::npos) << out[port_c];
    EXPECT_EQ(relay_->cnt.stray_responses, 0u);
}

// The far side answers the part cut off before the rest is sent: that
// answer is not the sender's. Then the sender's connection is reset: the
// far side's copy goes on and ends at once, aborted.
TEST_F(relay_shared_test, a_sender_gone_while_cut_off_has_its_message_ended_on_the_far_side) {
    std::string to_b = say(port_a, head_fr("ta-1", "ma-1", 20) + "0123456789")[port_b];
    to_b += say(port_c, head_c("tc-1", "mc-1", 3) + "hey\r\n-------tc-1$\r\n")[port_b];
    int errors = 0;
    auto got = chunks_of(to_b, errors);
    ASSERT_EQ(got.size(), 2u) << to_b;
    EXPECT_EQ(got[0].flag, '+');
    auto out = say(port_b, response_b(got[0].tid));
    EXPECT_EQ(out[port_a].find(" 200 "), std::string::npos) << out[port_a];
    EXPECT_EQ(relay_->cnt.stray_responses, 0u) << "dropped as expected, not as stray";
    out = reset_from(port_a);
    to_b += out[port_b];
    got = chunks_of(to_b, errors);
    EXPECT_EQ(errors, 0) << to_b;
    ASSERT_EQ(got.size(), 3u) << to_b;
    EXPECT_EQ(got[2].mid, "ma-1");
    EXPECT_EQ(got[2].range, "11-20/20");
    EXPECT_EQ(got[2].body, "");
    EXPECT_EQ(got[2].flag, '#');
    // Carol's session goes on over the shared connection.
    to_b = say(port_c, head_c("tc-2", "mc-2", 5) + "again\r\n-------tc-2$\r\n")[port_b];
    got = chunks_of(to_b, errors);
    EXPECT_EQ(errors, 0) << to_b;
    ASSERT_EQ(got.size(), 1u) << to_b;
    EXPECT_EQ(got[0].body, "again");
}

// Cut off, then the shared connection goes and comes back (a new
// connection, perhaps in the old one's slot): the rest is not resumed there.
TEST_F(relay_shared_test, a_chunk_cut_off_is_not_resumed_on_a_new_far_connection) {
    say(port_a, head_fr("ta-1", "ma-1", 20) + "0123456789");
    say(port_c, head_c("tc-1", "mc-1", 3) + "hey\r\n-------tc-1$\r\n");
    EXPECT_EQ(relay_->cnt.chunks_interrupted, 1u);
    reset_from(port_b);
    constexpr uint16_t port_b2 = 40007;
    connect_peer(port_b2, 6000);
    for (const auto& [uri, path] :
         {std::pair{info_.local_uri[1], path_b}, std::pair{info2_.local_uri[1], path_b2}}) {
        auto out = say(port_b2, "MSRP tx-bind SEND\r\nTo-Path: " + uri + "\r\nFrom-Path: " + path +
                                    "\r\n-------tx-bind$\r\n");
        ASSERT_NE(out[port_b2].find("MSRP tx-bind 200 OK"), std::string::npos) << out[port_b2];
    }
    auto out = say(port_a, "abcdefghij\r\n-------ta-1$\r\n");
    EXPECT_EQ(out[port_b2], "") << "the rest of a chunk cut off on the old connection";
    out = say(port_c, head_c("tc-2", "mc-2", 5) + "again\r\n-------tc-2$\r\n");
    int errors = 0;
    const auto got = chunks_of(out[port_b2], errors);
    EXPECT_EQ(errors, 0) << out[port_b2];
    ASSERT_EQ(got.size(), 1u) << out[port_b2];
    EXPECT_EQ(got[0].body, "again");
}

// The rest of a chunk cut off is a new request to the far side when it is
// sent: its response time (RFC 4975 7.3, 30 s) counts from then, not from
// the first part's head.
TEST_F(relay_shared_test, the_rest_of_a_chunk_awaits_its_response_from_when_it_is_sent) {
    say(port_a, head_fr("ta-1", "ma-1", 20) + "0123456789");
    say(port_c, head_c("tc-1", "mc-1", 3) + "hey\r\n-------tc-1$\r\n");
    collect(advance_ms(20000));
    std::string to_b = say(port_a, "abcdefghij\r\n-------ta-1$\r\n")[port_b];
    int errors = 0;
    const auto got = chunks_of(to_b, errors);
    ASSERT_EQ(got.size(), 1u) << to_b;
    // 20 s later: 40 s after the head, 20 s after the rest was sent.
    std::string to_a;
    for (int i = 0; i < 20; ++i) {
        to_a += collect(advance_ms(1000))[port_a];
    }
    EXPECT_EQ(to_a.find(" 408 "), std::string::npos) << to_a;
    EXPECT_EQ(relay_->cnt.timeouts, 1u) << "carol's request only, left unanswered here";
    to_a = say(port_b, response_b(got[0].tid))[port_a];
    EXPECT_NE(to_a.find("MSRP ta-1 200 OK"), std::string::npos) << to_a;
}

TEST_F(relay_shared_test, a_chunk_cut_off_after_its_last_byte_ends_with_an_empty_part) {
    std::string to_b = say(port_a, head_fr("ta-1", "ma-1", 5) + "hello")[port_b];
    to_b += say(port_c, head_c("tc-1", "mc-1", 3) + "hey\r\n-------tc-1$\r\n")[port_b];
    to_b += say(port_a, "\r\n-------ta-1$\r\n")[port_b];
    int errors = 0;
    const auto got = chunks_of(to_b, errors);
    EXPECT_EQ(errors, 0) << to_b;
    ASSERT_EQ(got.size(), 3u) << to_b;
    EXPECT_EQ(got[0].body, "hello");
    EXPECT_EQ(got[0].flag, '+');
    EXPECT_EQ(got[2].mid, "ma-1");
    EXPECT_EQ(got[2].range, "6-5/5") << "an empty part, as an empty message's 1-0/0";
    EXPECT_EQ(got[2].body, "");
    EXPECT_EQ(got[2].flag, '$');
}

// Both senders stream large chunks at once, in pieces that alternate
// between them: every piece of one cuts the other off. The far side gets
// each message whole, in order, every part well framed; content rules
// see every byte (a blocked word in carol's second message stops it).
TEST_F(relay_shared_test, two_large_chunks_at_once_interleave_in_parts_and_arrive_whole) {
    interleave();
}

TEST_F(relay_shared_test, two_large_chunks_interleave_without_content_rules_too) {
    no_rules_ = true;
    TearDown();
    SetUp();
    interleave();
}

// Random messages from both senders, each cut by its sender into one to
// three chunks ('+'), a quarter with the blocked word, their bytes
// delivered in random pieces alternating at random between the two
// connections: on the far side every part is well framed, every message
// goes on where it stood (Byte-Range), a clean one arrives whole and ends
// '$', a blocked one never shows the whole word and ends '#'. 40 seeds, with
// and without content rules.
TEST_F(relay_shared_test, random_interleavings_keep_every_message_whole_on_the_shared_connection) {
    uint64_t interrupted = 0;
    for (uint32_t seed = 1; seed <= 40; ++seed) {
        no_rules_ = seed % 2 == 0;
        TearDown();
        SetUp();
        random_shared_run(seed);
        if (HasFailure()) {
            ADD_FAILURE() << "seed " << seed;
            return;
        }
        interrupted += relay_->cnt.chunks_interrupted;
    }
    EXPECT_GT(interrupted, 200u) << "the runs cut few chunks off: not the test meant";
}

void relay_shared_test::random_shared_run(uint32_t seed) {
    std::mt19937 rng(seed);
    struct message {
        std::string mid, body;
        bool blocked = false;
    };
    std::map<std::string, message> sent;
    std::string stream[2];  // alice's, carol's
    for (int who = 0; who < 2; ++who) {
        for (int i = 0; i < 6; ++i) {
            message m;
            m.mid = std::string(who == 0 ? "ma-" : "mc-") + std::to_string(i);
            m.body.resize(1 + rng() % 6000);
            for (auto& ch : m.body) {
                ch = static_cast<char>('a' + rng() % 26);
            }
            for (size_t k = 0; k + 6 <= m.body.size(); ++k) {
                if (m.body.compare(k, 5, "fruit") == 0 || m.body.compare(k, 6, "forbid") == 0) {
                    m.body[k] = 'z';
                }
            }
            if (rng() % 4 == 0 && m.body.size() >= 9) {
                m.body.replace(rng() % (m.body.size() - 8), 9, "forbidden");
                m.blocked = !no_rules_;
            }
            // The sender's own chunks: cut at up to two random places.
            std::vector<size_t> cuts = {0, m.body.size()};
            for (int c = static_cast<int>(rng() % 3); c > 0; --c) {
                cuts.push_back(1 + rng() % m.body.size());
            }
            std::sort(cuts.begin(), cuts.end());
            cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
            const std::string total = std::to_string(m.body.size());
            for (size_t c = 0; c + 1 < cuts.size(); ++c) {
                const std::string tid = m.mid + "-" + std::to_string(c);
                const bool last = c + 2 == cuts.size();
                stream[who] +=
                    "MSRP " + tid +
                    " SEND\r\nTo-Path: " + (who == 0 ? info_.local_uri[0] : info2_.local_uri[0]) +
                    "\r\nFrom-Path: " + (who == 0 ? path_a : path_c) + "\r\nMessage-ID: " + m.mid +
                    "\r\nByte-Range: " + std::to_string(cuts[c] + 1) + "-" +
                    std::to_string(cuts[c + 1]) + "/" + total +
                    "\r\nContent-Type: text/plain\r\n\r\n" +
                    m.body.substr(cuts[c], cuts[c + 1] - cuts[c]) + "\r\n-------" + tid +
                    (last ? '$' : '+') + "\r\n";
            }
            sent[m.mid] = m;
        }
    }
    std::string to_b;
    size_t at[2] = {0, 0};
    for (int i = 0; i < 2000 && (at[0] < stream[0].size() || at[1] < stream[1].size()); ++i) {
        int who = static_cast<int>(rng() % 2);
        if (at[who] == stream[who].size()) {
            who ^= 1;
        }
        const size_t n = std::min<size_t>(stream[who].size() - at[who], 1 + rng() % 1500);
        to_b += say(who == 0 ? port_a : port_c, stream[who].substr(at[who], n))[port_b];
        at[who] += n;
    }
    ASSERT_EQ(at[0], stream[0].size());
    ASSERT_EQ(at[1], stream[1].size());
    int errors = 0;
    const auto got = chunks_of(to_b, errors);
    ASSERT_EQ(errors, 0);
    for (const auto& c : got) {
        ASSERT_TRUE(sent.count(c.mid)) << c.mid;
    }
    auto [whole, last] = reassemble(got);
    for (const auto& [mid, m] : sent) {
        if (m.blocked) {
            // What came before the byte completing the word may have gone
            // (a piece is scanned and released at the end of its poll); the
            // completing byte never does.
            EXPECT_EQ(whole[mid].find("forbidden"), std::string::npos) << mid;
            EXPECT_EQ(last[mid], '#') << mid;
        } else {
            EXPECT_EQ(whole[mid], m.body) << mid;
            EXPECT_EQ(last[mid], '$') << mid;
        }
    }
}

void relay_shared_test::interleave() {
    std::mt19937 rng(7);
    const auto body_of = [&](size_t n) {
        std::string b(n, ' ');
        for (auto& ch : b) {
            ch = static_cast<char>('a' + rng() % 26);
        }
        for (size_t i = 0; i + 5 <= b.size(); ++i) {  // no rule word by chance
            if (b.compare(i, 5, "fruit") == 0 || b.compare(i, 6, "forbid") == 0) {
                b[i] = 'z';
            }
        }
        return b;
    };
    const std::string a1 = body_of(30000), c1 = body_of(25000);
    std::string c2 = body_of(8000);
    c2.replace(5000, 9, "forbidden");  // blocked where the rules are on
    const std::string sa = head_fr("ta-1", "ma-1", a1.size()) + a1 + "\r\n-------ta-1$\r\n";
    const std::string sc = head_c("tc-1", "mc-1", c1.size()) + c1 + "\r\n-------tc-1$\r\n" +
                           head_c("tc-2", "mc-2", c2.size()) + c2 + "\r\n-------tc-2$\r\n";
    std::string to_b, to_a, to_c;
    size_t at_a = 0, at_c = 0;
    for (int i = 0; i < 200 && (at_a < sa.size() || at_c < sc.size()); ++i) {
        const bool from_a = (i % 2 == 0 && at_a < sa.size()) || at_c >= sc.size();
        const std::string& s = from_a ? sa : sc;
        size_t& at = from_a ? at_a : at_c;
        const size_t n = std::min<size_t>(s.size() - at, 200 + rng() % 1200);
        auto out = say(from_a ? port_a : port_c, s.substr(at, n));
        at += n;
        to_b += out[port_b];
        to_a += out[port_a];
        to_c += out[port_c];
    }
    ASSERT_EQ(at_a, sa.size());
    ASSERT_EQ(at_c, sc.size());
    int errors = 0;
    const auto got = chunks_of(to_b, errors);
    EXPECT_EQ(errors, 0);
    auto [whole, last] = reassemble(got);
    EXPECT_GT(relay_->cnt.chunks_interrupted, 10u);
    EXPECT_EQ(whole["ma-1"], a1);
    EXPECT_EQ(last["ma-1"], '$');
    EXPECT_EQ(whole["mc-1"], c1);
    EXPECT_EQ(last["mc-1"], '$');
    if (no_rules_) {
        EXPECT_EQ(whole["mc-2"], c2);
        EXPECT_EQ(last["mc-2"], '$');
    } else {
        EXPECT_EQ(whole["mc-2"].find("forbid"), std::string::npos);
        EXPECT_EQ(last["mc-2"], '#');
        EXPECT_NE(to_c.find("MSRP tc-2 403 "), std::string::npos) << to_c;
    }
    EXPECT_EQ(to_a.find(" 403 "), std::string::npos) << to_a;
}

void relay_rules_test::random_run() {
    struct collector : dp::msrp::sink {
        struct msg {
            std::string mid, body;
            char flag = 0;
        };
        std::vector<msg> got;
        int errors = 0;
        void on_head(const dp::msrp::head& h) override {
            got.push_back({std::string(h.find(dp::msrp::hdr_id::message_id).value_or("")), "", 0});
        }
        void on_body(std::string_view b, bool) override { got.back().body += b; }
        void on_end(char flag) override { got.back().flag = flag; }
        void on_error(const dp::msrp::error&) override { ++errors; }
    };
    for (uint32_t seed = 1; seed <= 40; ++seed) {
        // Batches of 64 (the default) and of 1 to 3 (full mid-poll).
        batch_limit_ = seed % 4 == 0 ? 64 : seed % 4;
        TearDown();
        SetUp();
        std::mt19937 rng(seed);
        std::string stream;
        std::vector<std::pair<std::string, std::string>> sent;  // mid, body
        for (int i = 0; i < 24; ++i) {
            std::string body;
            const size_t words = rng() % 300;
            for (size_t w = 0; w < words; ++w) {
                body += std::string(1 + rng() % 7, static_cast<char>('a' + rng() % 26)) + " ";
            }
            if (rng() % 3 == 0) {
                body.insert(rng() % (body.size() + 1), "forbidden");
            }
            const std::string mid = "r" + std::to_string(seed) + "-" + std::to_string(i);
            sent.push_back({mid, body});
            stream += send_of("tx-" + mid, mid, body);
        }
        // Segments of 1 to 1,400 bytes, one to four to a poll; now and then
        // a segment of whole SENDs from leg b in the same poll.
        std::string to_b, to_a;
        std::vector<std::pair<std::string, std::string>> sent_b;
        size_t at = 0;
        while (at < stream.size()) {
            std::vector<rte_mbuf*> pkts;
            for (unsigned n = 1 + rng() % 4; n > 0 && at < stream.size(); --n) {
                const size_t len = std::min<size_t>(1 + rng() % 1400, stream.size() - at);
                pkts.push_back(peer_segment(port_a, stream.substr(at, len)));
                at += len;
                // Once leg a's first head is in (its connection is bound:
                // before that leg b's SENDs get 481).
                if (at > stream.find("\r\n\r\n") && rng() % 4 == 0) {
                    std::string text;
                    for (unsigned j = 1 + rng() % 3; j > 0; --j) {
                        const std::string mid =
                            "b" + std::to_string(seed) + "-" + std::to_string(sent_b.size());
                        std::string body = "from b " + std::to_string(rng());
                        if (rng() % 3 == 0) {
                            body += " forbidden";
                        }
                        text += send_from_b(mid, body);
                        sent_b.push_back({mid, body});
                    }
                    pkts.push_back(peer_segment(port_b, text));
                }
            }
            auto out = poll_of(pkts);
            to_b += out[port_b];
            to_a += out[port_a];
        }
        // What waited for a window, or for a retransmission (a poll's
        // frames past the tx buffer are dropped, counted tx_full, and sent
        // again by TCP): up to 20 simulated seconds.
        for (int i = 0;
             i < 2000 && to_b.find("-------tx-" + sent.back().first) == std::string::npos; ++i) {
            auto out = collect(advance_ms(10));
            to_b += out[port_b];
            to_a += out[port_a];
        }
        for (int i = 0; i < 20; ++i) {
            auto out = collect(advance_ms(10));
            to_b += out[port_b];
            to_a += out[port_a];
        }
        SCOPED_TRACE("seed " + std::to_string(seed) + ", tx_full " +
                     std::to_string(ctx_.cnt.tx_full));
        EXPECT_EQ(to_b.find("forbidden") == std::string::npos, !no_rules_ || blocked_none(sent));
        dp::msrp::parser p{dp::msrp::limits{}};
        collector c;
        EXPECT_TRUE(p.feed(to_b, c));
        EXPECT_EQ(c.errors, 0);
        std::erase_if(c.got, [](const collector::msg& g) { return g.mid.empty(); });  // 403s
        ASSERT_EQ(c.got.size(), sent.size()) << to_b.substr(0, 2000);
        uint64_t blocked = 0;
        for (size_t i = 0; i < sent.size(); ++i) {
            const auto& [mid, body] = sent[i];
            EXPECT_EQ(c.got[i].mid, mid);
            const bool bad = !no_rules_ && body.find("forbidden") != std::string::npos;
            const bool refused = to_a.find("MSRP tx-" + mid + " 403 ") != std::string::npos;
            EXPECT_EQ(refused, bad) << mid;
            if (bad) {
                ++blocked;
                EXPECT_EQ(c.got[i].flag, '#') << mid;
                EXPECT_EQ(body.substr(0, c.got[i].body.size()), c.got[i].body) << mid;
            } else {
                EXPECT_EQ(c.got[i].flag, '$') << mid;
                EXPECT_EQ(c.got[i].body, body) << mid;
            }
        }
        // Leg b's SENDs as leg a got them (among the responses to leg a).
        dp::msrp::parser pa{dp::msrp::limits{}};
        collector ca;
        EXPECT_TRUE(pa.feed(to_a, ca));
        EXPECT_EQ(ca.errors, 0);
        std::vector<collector::msg> from_b;
        for (const auto& g : ca.got) {
            if (!g.mid.empty() && g.mid[0] == 'b') {
                from_b.push_back(g);
            }
        }
        ASSERT_EQ(from_b.size(), sent_b.size());
        for (size_t i = 0; i < sent_b.size(); ++i) {
            const auto& [mid, body] = sent_b[i];
            const bool bad = !no_rules_ && body.find("forbidden") != std::string::npos;
            EXPECT_EQ(from_b[i].mid, mid);
            EXPECT_EQ(from_b[i].flag, bad ? '#' : '$') << mid;
            EXPECT_EQ(from_b[i].body, bad ? "" : body) << mid;
            EXPECT_EQ(to_b.find("MSRP t" + mid + " 403 ") != std::string::npos, bad) << mid;
            blocked += bad ? 1 : 0;
        }
        if (!no_rules_) {
            EXPECT_EQ(to_a.find("forbidden"), std::string::npos);
        }
        EXPECT_EQ(relay_->cnt.policy_blocked, blocked);
    }
}

}  // namespace
}  // namespace imsd::test

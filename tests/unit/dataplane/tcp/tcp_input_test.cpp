// RFC 9293 segment handling, one exchange at a time.

#include <gtest/gtest.h>

#include <random>

#include "dataplane/net/rss.hpp"
#include "tests/unit/dataplane/tcp/tcp_fixture.hpp"

namespace imsd::test {
namespace {

using tcp_rfc9293 = tcp_test;
constexpr uint8_t SYN = RTE_TCP_SYN_FLAG, ACK = RTE_TCP_ACK_FLAG, FIN = RTE_TCP_FIN_FLAG,
                  RST = RTE_TCP_RST_FLAG, PSH = RTE_TCP_PSH_FLAG;

TEST_F(tcp_rfc9293, the_millisecond_clock_is_the_exact_quotient) {
    // tsc_ms (the wheel's ticks and the RFC 7323 clock) multiplies by a
    // reciprocal: it must agree with the division everywhere, around every
    // multiple of the divisor and at the far end of the TSC's range.
    const uint64_t per_ms = hz / 1000;
    std::mt19937_64 rng(5);
    for (int i = 0; i < 100000; ++i) {
        const uint64_t x = rng() >> (rng() % 64);
        ASSERT_EQ(stack_->tsc_ms(x), x / per_ms) << x;
    }
    for (uint64_t q :
         {uint64_t{0}, uint64_t{1}, uint64_t{999}, uint64_t{1} << 40, UINT64_MAX / per_ms}) {
        for (const uint64_t x : {q * per_ms, q * per_ms + per_ms - 1, q * per_ms - 1}) {
            ASSERT_EQ(stack_->tsc_ms(x), x / per_ms) << x;
        }
    }
}

TEST_F(tcp_rfc9293, syn_ack_carries_mss_and_window_scale_and_an_unscaled_window) {
    seg syn{1000, 0, SYN, 8192, {2, 4, 0x05, 0xb4, 1, 3, 3, 2}, ""};
    auto out = send(syn);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].flags, SYN | ACK);
    EXPECT_EQ(out[0].ack, 1001u);
    // MSS 1460 (MTU 1500), NOP, window scale 7.
    EXPECT_EQ(out[0].opts, (std::vector<uint8_t>{2, 4, 0x05, 0xb4, 1, 3, 3, 7}));
    EXPECT_EQ(out[0].win, 65535) << "64 KiB buffer, unscaled in a SYN (RFC 7323 2.2)";
    EXPECT_EQ(stack_->cnt.conns_accepted, 1u);
}

TEST_F(tcp_rfc9293, syn_to_a_closed_port_gets_rst_ack) {
    seg syn{5000, 0, SYN, 8192, {}, ""};
    auto out = send(syn, 4444);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].flags, RST | ACK);
    EXPECT_EQ(out[0].seq, 0u);
    EXPECT_EQ(out[0].ack, 5001u);
    EXPECT_EQ(stack_->cnt.conns_refused, 1u);
    // A segment with ACK to no connection: <SEQ=SEG.ACK><CTL=RST>.
    out = send(seg{7, 777, ACK, 100, {}, "x"}, 4444);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].flags, RST);
    EXPECT_EQ(out[0].seq, 777u);
    // A RST to no connection is never answered.
    EXPECT_TRUE(send(seg{7, 777, RST, 0, {}, ""}, 4444).empty());
}

TEST_F(tcp_rfc9293, echo_returns_the_data_with_an_ack) {
    const uint32_t iss = handshake(100);
    auto out = send(seg{101, iss + 1, ACK | PSH, 65535, {}, "hello"});
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].data, "hello");
    EXPECT_EQ(out[0].seq, iss + 1);
    EXPECT_EQ(out[0].ack, 106u);
    EXPECT_TRUE(out[0].has(ACK));
    EXPECT_EQ(stack_->cnt.bytes_in, 5u);
}

TEST_F(tcp_rfc9293, echo_sends_received_payload_by_reference_short_payload_by_copy) {
    const uint32_t iss = handshake(100);
    // 900 bytes: the echo sends back the very buffer they arrived in.
    const std::string big(900, 'z');
    auto out = send(seg{101, iss + 1, ACK | PSH, 65535, {}, big});
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].data, big);
    rte_mbuf* m = sent_.back();
    ASSERT_EQ(m->nb_segs, 2) << "headers, then the payload by reference";
    EXPECT_TRUE(RTE_MBUF_CLONED(m->next));
    EXPECT_EQ(m->next->data_len, 900);
    EXPECT_EQ(rte_mempool_in_use_count(clone_pool_), 1u);
    // Until the segment is acknowledged, the send queue and the transmitted
    // segment share the received buffer.
    EXPECT_EQ(rte_mbuf_refcnt_read(rte_mbuf_from_indirect(m->next)), 2);
    // 5 bytes: copied behind the headers.
    out = send(seg{1001, iss + 1, ACK | PSH, 65535, {}, "hello"});
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].data, "hello");
    EXPECT_EQ(sent_.back()->nb_segs, 1);
    EXPECT_EQ(stack_->cnt.zc_fallback_copies, 0u);
}

TEST_F(tcp_rfc9293, out_of_order_segment_is_kept_and_acked_at_once) {
    const uint32_t iss = handshake(100);
    auto out = send(seg{106, iss + 1, ACK, 65535, {}, "world"});
    ASSERT_EQ(out.size(), 1u) << "an immediate duplicate ACK (RFC 5681 4.2)";
    EXPECT_EQ(out[0].ack, 101u);
    EXPECT_TRUE(out[0].data.empty());
    EXPECT_EQ(stack_->cnt.ooo_segs_in, 1u);
    out = send(seg{101, iss + 1, ACK, 65535, {}, "hello"});
    ASSERT_FALSE(out.empty());
    EXPECT_EQ(out.back().ack, 111u);
    std::string echoed;
    for (const auto& o : out) {
        echoed += o.data;
    }
    EXPECT_EQ(echoed, "helloworld");
}

TEST_F(tcp_rfc9293, reassembly_orders_segments_and_drops_duplicates) {
    const uint32_t iss = handshake(100);
    send(seg{111, iss + 1, ACK, 65535, {}, "ccccc"});  // third
    send(seg{106, iss + 1, ACK, 65535, {}, "bbbbb"});  // second, before the third
    send(seg{111, iss + 1, ACK, 65535, {}, "ccccc"});  // third again
    EXPECT_EQ(stack_->cnt.ooo_segs_in, 2u);
    EXPECT_EQ(stack_->cnt.dup_segs_in, 1u);
    auto out = send(seg{101, iss + 1, ACK, 65535, {}, "aaaaa"});
    std::string echoed;
    for (const auto& o : out) {
        echoed += o.data;
    }
    EXPECT_EQ(echoed, "aaaaabbbbbccccc");
    EXPECT_EQ(out.back().ack, 116u);
}

// RFC 5681 4.2 asks for an ACK at least every second full-sized segment;
// segments that arrive in one poll (one rx burst) are acknowledged together
// at the poll's end, as a receive offload would hand them over: six full
// segments in a burst get one ACK for all of them, and two bursts of two get
// one each.
TEST_F(tcp_rfc9293, a_burst_of_segments_gets_one_ack_at_the_end_of_the_poll) {
    const uint32_t iss = handshake(100, sink_port, 1000);
    const uint64_t acks_before = stack_->cnt.acks_out;
    const std::string full(1000, 'f');
    std::vector<seg> burst;
    for (uint32_t i = 0; i < 6; ++i) {
        burst.push_back(seg{101 + i * 1000, iss + 1, ACK, 65535, {}, full});
    }
    auto out = send_burst(burst, sink_port);
    ASSERT_EQ(out.size(), 1u) << "one ACK for the burst";
    EXPECT_EQ(out[0].ack, 101u + 6000u);
    for (uint32_t b = 0; b < 2; ++b) {
        const uint32_t at = 6101 + b * 2000;
        out = send_burst(
            {seg{at, iss + 1, ACK, 65535, {}, full}, seg{at + 1000, iss + 1, ACK, 65535, {}, full}},
            sink_port);
        ASSERT_EQ(out.size(), 1u);
        EXPECT_EQ(out[0].ack, at + 2000);
    }
    EXPECT_EQ(stack_->cnt.acks_out - acks_before, 3u) << "counted as pure ACKs";
}

TEST_F(tcp_rfc9293, retransmitted_overlap_delivers_only_the_new_bytes) {
    const uint32_t iss = handshake(100);
    send(seg{101, iss + 1, ACK, 65535, {}, "abc"});
    auto out = send(seg{101, iss + 4, ACK, 65535, {}, "abcdef"});
    std::string echoed;
    for (const auto& o : out) {
        echoed += o.data;
    }
    EXPECT_EQ(echoed, "def");
}

TEST_F(tcp_rfc9293, rfc5961_in_window_rst_gets_a_challenge_ack_exact_rst_resets) {
    const uint32_t iss = handshake(100);
    auto out = send(seg{150, 0, RST, 0, {}, ""});
    EXPECT_EQ(out.empty() ? 0 : out[0].seq, iss + 1) << "the challenge ACK is in sequence";
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].flags, ACK);
    EXPECT_EQ(out[0].ack, 101u);
    EXPECT_EQ(stack_->cnt.challenge_acks, 1u);
    EXPECT_TRUE(send(seg{101, 0, RST, 0, {}, ""}).empty());
    EXPECT_EQ(stack_->cnt.conns_reset_in, 1u);
    EXPECT_EQ(stack_->connections(), 0u);
}

// The connection lookup tries the last connection found first: once that
// connection is gone, its segments find nothing (RST, no_conn), a new
// connection on the same addresses and ports is a new one, and another
// connection's segments between them find their own.
TEST_F(tcp_rfc9293, a_connection_gone_is_not_found_again_by_the_lookup) {
    const uint16_t other_port = peer_port + 1;
    const uint32_t iss = handshake(100);
    const uint32_t iss2 = handshake(500, echo_port, 1000, other_port);
    auto out = send(seg{101, iss + 1, ACK, 65535, {}, "one"});
    ASSERT_FALSE(out.empty());
    EXPECT_EQ(out[0].data, "one");
    EXPECT_TRUE(send(seg{104, 0, RST, 0, {}, ""}).empty());
    EXPECT_EQ(stack_->connections(), 1u);
    out = send(seg{104, iss + 4, ACK, 65535, {}, "late"});
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE((out[0].flags & RST) != 0) << "the connection is gone";
    EXPECT_EQ(stack_->cnt.no_conn, 1u);
    out = send(seg{501, iss2 + 1, ACK, 65535, {}, "two"}, echo_port, other_port);
    ASSERT_FALSE(out.empty());
    EXPECT_EQ(out[0].data, "two");
    const uint32_t iss3 = handshake(9000);
    EXPECT_NE(iss3, iss);
    out = send(seg{9001, iss3 + 1, ACK, 65535, {}, "three"});
    ASSERT_FALSE(out.empty());
    EXPECT_EQ(out[0].data, "three");
    EXPECT_EQ(stack_->connections(), 2u);
}

TEST_F(tcp_rfc9293, rfc5961_syn_on_an_established_connection_gets_a_challenge_ack) {
    const uint32_t iss = handshake(100);
    auto out = send(seg{101, 0, SYN, 8192, {}, ""});
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].flags, ACK);
    EXPECT_EQ(out[0].seq, iss + 1);
    EXPECT_EQ(stack_->connections(), 1u);
}

TEST_F(tcp_rfc9293, out_of_window_segment_is_acked_and_dropped) {
    const uint32_t iss = handshake(100);
    auto out = send(seg{101 + 10'000'000, iss + 1, ACK, 65535, {}, "far"});
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].ack, 101u);
    EXPECT_TRUE(out[0].data.empty());
    EXPECT_EQ(stack_->cnt.out_of_window, 1u);
}

TEST_F(tcp_rfc9293, bad_checksum_and_bad_header_length_are_dropped_silently) {
    handshake(100);
    corrupt_next_ = true;
    EXPECT_TRUE(send(seg{101, 0, ACK, 65535, {}, "x"}).empty());
    EXPECT_EQ(stack_->cnt.checksum_bad, 1u);
    // An option that runs past the header.
    EXPECT_TRUE(send(seg{101, 0, ACK, 65535, {2, 9, 0, 0}, ""}).empty());
    EXPECT_EQ(stack_->cnt.malformed, 1u);
}

TEST_F(tcp_rfc9293, window_scale_is_applied_to_the_peers_window) {
    const uint32_t iss = handshake(100);  // the peer's shift is 2
    // The peer now offers 100 << 2 = 400 bytes.
    send(seg{101, iss + 1, ACK, 100, {}, ""});
    auto out = send(seg{101, iss + 1, ACK, 100, {}, std::string(900, 'x')});
    size_t sent = 0;
    for (const auto& o : out) {
        sent += o.data.size();
    }
    EXPECT_EQ(sent, 400u);
}

TEST_F(tcp_rfc9293, retransmitted_syn_ack_gives_no_rtt_sample_and_a_3s_rto) {
    // Karn: the SYN-ACK went twice, so its ACK cannot be timed (and this
    // peer sends no timestamps).
    seg syn{100, 0, SYN, 8192, {2, 4, 0x03, 0xe8}, ""};
    auto out = send(syn);
    ASSERT_EQ(out.size(), 1u);
    const uint32_t iss = out[0].seq;
    out = advance_ms(1000);
    ASSERT_EQ(out.size(), 1u) << "SYN-ACK retransmitted after the initial 1 s RTO";
    EXPECT_TRUE(send(seg{101, iss + 1, ACK, 65535, {}, ""}).empty());
    ASSERT_EQ(send(seg{101, iss + 1, ACK, 65535, {}, "data"}).size(), 1u);
    EXPECT_TRUE(advance_ms(2999).empty()) << "RFC 6298 5.7: the SYN timed out, RTO 3 s";
    EXPECT_EQ(advance_ms(1).size(), 1u);
}

TEST_F(tcp_rfc9293, retransmission_timeout_backs_off_and_gives_up) {
    const uint32_t iss = handshake(100);
    auto out = send(seg{101, iss + 1, ACK, 65535, {}, "data"});
    ASSERT_EQ(out.size(), 1u);
    // The handshake gave the first RTT sample (RFC 6298 2.2; here ~0), so
    // RTO = max(rto-min, SRTT + 4 RTTVAR) = 200 ms; then doubled each time.
    EXPECT_TRUE(advance_ms(199).empty());
    out = advance_ms(1);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].data, "data");
    EXPECT_EQ(out[0].seq, iss + 1);
    EXPECT_TRUE(advance_ms(399).empty());
    EXPECT_EQ(advance_ms(1).size(), 1u);
    EXPECT_TRUE(advance_ms(799).empty());
    EXPECT_EQ(advance_ms(1).size(), 1u);
    EXPECT_EQ(stack_->cnt.rto_expired, 3u);
    // Give up after max_retries (8): then a RST and the connection is gone.
    for (int i = 0; i < 10 && stack_->connections() > 0; ++i) {
        advance_ms(60000);
    }
    EXPECT_EQ(stack_->connections(), 0u);
    EXPECT_EQ(stack_->cnt.conns_aborted, 1u);
}

TEST_F(tcp_rfc9293, three_duplicate_acks_trigger_fast_retransmit) {
    const uint32_t iss = handshake(100, echo_port, 1000);
    size_t segs = 0;
    for (uint32_t i = 0; i < 4; ++i) {
        for (const auto& o : send(seg{101 + 1000 * i,
                                      iss + 1,
                                      ACK,
                                      65535,
                                      {},
                                      std::string(1000, static_cast<char>('a' + i))})) {
            segs += o.data.empty() ? 0 : 1;
        }
    }
    ASSERT_EQ(segs, 4u) << "initial window of 4 segments of 1000 bytes";
    const uint32_t una = iss + 1;
    EXPECT_TRUE(send(seg{4101, una, ACK, 65535, {}, ""}).empty());
    EXPECT_TRUE(send(seg{4101, una, ACK, 65535, {}, ""}).empty());
    auto out = send(seg{4101, una, ACK, 65535, {}, ""});
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].seq, una);
    EXPECT_EQ(out[0].data.size(), 1000u);
    EXPECT_EQ(stack_->cnt.fast_retrans, 1u);
}

// A SACK option carrying the given [left, right) blocks.
std::vector<uint8_t> sack_opt(std::vector<std::pair<uint32_t, uint32_t>> blocks) {
    std::vector<uint8_t> o = {1, 1, 5, static_cast<uint8_t>(2 + 8 * blocks.size())};
    for (auto [l, r] : blocks) {
        for (uint32_t v : {l, r}) {
            o.push_back(static_cast<uint8_t>(v >> 24));
            o.push_back(static_cast<uint8_t>(v >> 16));
            o.push_back(static_cast<uint8_t>(v >> 8));
            o.push_back(static_cast<uint8_t>(v));
        }
    }
    return o;
}

TEST_F(tcp_rfc9293, rfc6675_sack_recovery_repairs_two_holes_in_one_round_trip) {
    // MSS 1000, window scale 2, SACK-permitted; no timestamps.
    auto out = send(seg{100, 0, SYN, 65535, {2, 4, 0x03, 0xe8, 1, 3, 3, 2, 1, 1, 4, 2}, ""});
    ASSERT_EQ(out.size(), 1u);
    const uint32_t iss = out[0].seq;
    EXPECT_TRUE(send(seg{101, iss + 1, ACK, 65535, {}, ""}).empty());
    uint32_t peer = 101, una = iss + 1;
    const size_t pay = 1000 - 36;  // room kept for SACK blocks in every segment
    // Open the congestion window: one echoed segment acknowledged at a time.
    for (int i = 0; i < 12; ++i) {
        out = send(seg{peer, una, ACK, 65535, {}, std::string(pay, 'w')});
        peer += pay;
        ASSERT_EQ(out.size(), 1u);
        una = out[0].seq + static_cast<uint32_t>(out[0].data.size());
        send(seg{peer, una, ACK, 65535, {}, ""});
    }
    // Ten segments echoed in one flight.
    std::vector<seg_out> e;
    for (int i = 0; i < 10; ++i) {
        for (auto& o : send(seg{peer, una, ACK, 65535, {}, std::string(pay, 'a' + i)})) {
            if (!o.data.empty()) {
                e.push_back(o);
            }
        }
        peer += pay;
    }
    ASSERT_EQ(e.size(), 10u);
    auto end = [&](int k) { return e[k].seq + static_cast<uint32_t>(e[k].data.size()); };
    // Segments 2 and 5 are lost. The peer acknowledges 0-1 and SACKs 3, then
    // 3-4, then 3-4 and 6-7: more than two segments SACKed above the hole.
    out = send(seg{peer, e[2].seq, ACK, 65535, sack_opt({{e[3].seq, end(3)}}), ""});
    out = send(seg{peer, e[2].seq, ACK, 65535, sack_opt({{e[3].seq, end(4)}}), ""});
    EXPECT_TRUE(out.empty()) << "one duplicate ACK is not yet a loss";
    out = send(
        seg{peer, e[2].seq, ACK, 65535, sack_opt({{e[6].seq, end(7)}, {e[3].seq, end(4)}}), ""});
    std::vector<uint32_t> resent;
    for (const auto& o : out) {
        if (!o.data.empty()) {
            resent.push_back(o.seq);
        }
    }
    EXPECT_EQ(resent, (std::vector<uint32_t>{e[2].seq, e[5].seq}))
        << "both holes go out on this ACK (NewReno would send one per round trip)";
    EXPECT_EQ(stack_->cnt.sack_recoveries, 1u);
    EXPECT_EQ(stack_->cnt.sack_rexmit_segs, 2u);
    // Everything arrives: recovery ends, nothing more is resent.
    out = send(seg{peer, end(9), ACK, 65535, {}, ""});
    for (const auto& o : out) {
        EXPECT_TRUE(o.data.empty());
    }
    for (const auto& t : stack_->all()) {
        EXPECT_FALSE(t.in_use && t.in_recovery) << "recovery ended at the full ACK";
    }
}

TEST_F(tcp_rfc9293, a_full_half_open_table_evicts_its_oldest_entry) {
    stack_->params.max_half_open = 3;
    std::vector<uint32_t> iss;
    for (uint16_t i = 0; i < 5; ++i) {
        auto out = send(seg{1000u * i, 0, SYN, 8192, {2, 4, 0x05, 0xb4}, ""}, echo_port,
                        static_cast<uint16_t>(41000 + i));
        ASSERT_EQ(out.size(), 1u) << "every SYN is answered";
        EXPECT_EQ(out[0].flags, SYN | ACK);
        iss.push_back(out[0].seq);
    }
    EXPECT_EQ(stack_->half_open(), 3u);
    EXPECT_EQ(stack_->cnt.syn_evicted, 2u);
    // The two oldest are gone: their handshakes end in a RST.
    auto out = send(seg{1, iss[0] + 1, ACK, 8192, {}, ""}, echo_port, 41000);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].flags, RST);
    // The newest completes.
    EXPECT_TRUE(send(seg{4001, iss[4] + 1, ACK, 8192, {}, ""}, echo_port, 41004).empty());
    EXPECT_EQ(stack_->half_open(), 2u);
    EXPECT_EQ(stack_->cnt.conns_established, 1u);
}

TEST_F(tcp_rfc9293, a_listener_takes_a_port_range_and_overlaps_are_refused) {
    static const dp::tcp::tcp_callbacks none{};
    EXPECT_TRUE(stack_->listen_range(0, 2855, 2860, &none, nullptr));
    EXPECT_FALSE(stack_->listen_range(0, 2858, 2870, &none, nullptr)) << "overlaps 2855-2860";
    EXPECT_FALSE(stack_->listen(addr("198.18.0.1"), htons(2860), &none, nullptr));
    EXPECT_FALSE(stack_->listen_range(0, 100, 99, &none, nullptr)) << "empty range";
    EXPECT_TRUE(stack_->listen_range(0, 2861, 2870, &none, nullptr));
    // Every port of the range accepts; the one after it refuses.
    for (uint16_t port : {2855, 2857, 2870}) {
        auto out = send(seg{500, 0, SYN, 8192, {2, 4, 0x05, 0xb4}, ""}, port);
        ASSERT_EQ(out.size(), 1u);
        EXPECT_EQ(out[0].flags, SYN | ACK) << "port " << port;
    }
    auto out = send(seg{500, 0, SYN, 8192, {}, ""}, 2871);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].flags, RST | ACK);
}

TEST_F(tcp_rfc9293, state_gauges_follow_every_transition) {
    using dp::tcp::tcp_state;
    auto gauge = [&](tcp_state st) { return stack_->state_count[static_cast<size_t>(st)]; };
    const uint32_t iss = handshake(100);
    EXPECT_EQ(gauge(tcp_state::established), 1u);
    send(seg{101, iss + 1, ACK | FIN, 65535, {}, ""});  // the echo closes too: LAST-ACK
    EXPECT_EQ(gauge(tcp_state::established), 0u);
    EXPECT_EQ(gauge(tcp_state::last_ack), 1u);
    send(seg{102, iss + 2, ACK, 65535, {}, ""});
    uint64_t total = 0;
    for (uint64_t n : stack_->state_count) {
        total += n;
    }
    EXPECT_EQ(total, 0u) << "released: no state holds it";
}

TEST_F(tcp_rfc9293, fin_from_the_peer_closes_both_ways) {
    const uint32_t iss = handshake(100, sink_port);
    auto out = send(seg{101, iss + 1, ACK | FIN, 65535, {}, ""}, sink_port);
    // ACK of the FIN, and the sink's own FIN (CLOSE-WAIT -> LAST-ACK).
    ASSERT_FALSE(out.empty());
    EXPECT_EQ(out.back().ack, 102u);
    EXPECT_TRUE(out.back().has(FIN));
    EXPECT_EQ(out.back().seq, iss + 1);
    EXPECT_TRUE(send(seg{102, iss + 2, ACK, 65535, {}, ""}, sink_port).empty());
    EXPECT_EQ(stack_->connections(), 0u);
    EXPECT_EQ(stack_->cnt.conns_closed, 1u);
}

TEST_F(tcp_rfc9293, zero_window_is_probed_until_it_opens) {
    const uint32_t iss = handshake(100);
    send(seg{101, iss + 1, ACK, 0, {}, ""});  // the peer closes its window
    auto out = send(seg{101, iss + 1, ACK, 0, {}, "blocked"});
    for (const auto& o : out) {
        EXPECT_TRUE(o.data.empty());
    }
    out = advance_ms(200);  // the RTO: 200 ms after the handshake's RTT sample
    ASSERT_FALSE(out.empty());
    EXPECT_EQ(stack_->cnt.zero_window_probes, 1u);
    // The window opens: the data goes.
    out = send(seg{108, iss + 1, ACK, 1000, {}, ""});
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].data, "blocked");
}

struct connect_probe {
    int established = 0;
    int closed = 0;
    dp::tcp::tcp_cause why = dp::tcp::tcp_cause::closed;
};

const dp::tcp::tcp_callbacks probe_cb = {
    .on_accept = nullptr,
    .on_established = [](dp::tcp::tcp_stack&, dp::tcp::tcp_conn,
                         void* u) { ++static_cast<connect_probe*>(u)->established; },
    .on_data = nullptr,
    .on_peer_fin = nullptr,
    .on_writable = nullptr,
    .on_closed =
        [](dp::tcp::tcp_stack&, dp::tcp::tcp_conn, void* u, dp::tcp::tcp_cause why) {
            ++static_cast<connect_probe*>(u)->closed;
            static_cast<connect_probe*>(u)->why = why;
        },
};

TEST_F(tcp_rfc9293, a_segment_whose_payload_is_chained_behind_its_headers_queues_no_empty_mbuf) {
    // A listener that leaves the data queued, so the receive queue can be
    // inspected.
    static const dp::tcp::tcp_callbacks keep{
        .on_accept = [](dp::tcp::tcp_stack&, dp::tcp::tcp_conn, void*,
                        void** user) { return (*user = nullptr, true); },
    };
    ASSERT_TRUE(stack_->listen(0, htons(2000), &keep, nullptr));
    const uint32_t iss = handshake(100, 2000);
    split_next_at_ = sizeof(rte_ether_hdr) + sizeof(rte_ipv4_hdr) + sizeof(rte_tcp_hdr);
    send(seg{101, iss + 1, ACK | PSH, 65535, {}, "gathered payload"}, 2000);
    const dp::tcp::tcb* t = nullptr;
    for (const auto& c : stack_->all()) {
        if (c.in_use && c.local_port == htons(2000)) {
            t = &c;
        }
    }
    ASSERT_NE(t, nullptr);
    ASSERT_NE(t->rcvq, nullptr);
    EXPECT_EQ(t->rcvq->nb_segs, 1) << "the headers-only mbuf is freed, not queued empty";
    EXPECT_EQ(t->rcvq->data_len, 16);
    EXPECT_EQ(std::string(rte_pktmbuf_mtod(t->rcvq, const char*), 16), "gathered payload");
}

TEST_F(tcp_rfc9293, a_detached_connection_calls_its_user_no_more) {
    connect_probe probe;
    auto c = dp::tcp::tcp_connect(*stack_, 0, addr("198.18.0.1"), addr("198.18.0.2"),
                                  htons(peer_port), &probe_cb, &probe);
    ASSERT_TRUE(c.valid());
    take_tx();
    dp::tcp::tcp_detach(*stack_, c);
    dp::tcp::tcp_abort(*stack_, c);
    EXPECT_EQ(probe.closed, 0) << "on_closed went to a user that had let go";
    EXPECT_EQ(stack_->connections(), 0u);
}

TEST_F(tcp_rfc9293, active_open_sends_syn_and_completes_on_syn_ack) {
    connect_probe probe;
    auto c = dp::tcp::tcp_connect(*stack_, 0, addr("198.18.0.1"), addr("198.18.0.2"),
                                  htons(peer_port), &probe_cb, &probe);
    ASSERT_TRUE(c.valid());
    auto out = parse(take_tx());
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].flags, SYN);
    // MSS 1460, NOP + window scale 7, NOP NOP + SACK-permitted, NOP NOP +
    // timestamps (RFC 7323).
    ASSERT_EQ(out[0].opts.size(), 24u);
    EXPECT_EQ(std::vector<uint8_t>(out[0].opts.begin(), out[0].opts.begin() + 16),
              (std::vector<uint8_t>{2, 4, 0x05, 0xb4, 1, 3, 3, 7, 1, 1, 4, 2, 1, 1, 8, 10}));
    const uint32_t iss = out[0].seq;
    EXPECT_EQ(dp::tcp::tcp_state_of(*stack_, c), dp::tcp::tcp_state::syn_sent);
    // An ACK for something else gets a RST and changes nothing.
    // (The reply comes from the peer's port to our ephemeral one.)
    auto reply = [&](const seg& sg) { return send(sg, active_port(), peer_port); };
    out = reply(seg{5000, iss + 7, SYN | ACK, 1000, {}, ""});
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].flags, RST);
    EXPECT_EQ(out[0].seq, iss + 7);
    EXPECT_EQ(probe.established, 0);
    out = reply(seg{5000, iss + 1, SYN | ACK, 1000, {2, 4, 0x03, 0xe8}, ""});
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].flags, ACK);
    EXPECT_EQ(out[0].ack, 5001u);
    EXPECT_EQ(probe.established, 1);
    EXPECT_EQ(dp::tcp::tcp_state_of(*stack_, c), dp::tcp::tcp_state::established);
    EXPECT_EQ(stack_->at(c).snd_mss, 1000);
    EXPECT_EQ(stack_->at(c).rcv_wscale, 0) << "the peer offered no window scale";
    dp::tcp::tcp_abort(*stack_, c);
    EXPECT_EQ(probe.closed, 1);
    EXPECT_EQ(probe.why, dp::tcp::tcp_cause::aborted);
}

// What tcp_send sends: a connection of ours to the peer, established
// (MSS 1460 offered by the peer).
class tcp_sender : public tcp_rfc9293 {
   protected:
    void SetUp() override {
        tcp_rfc9293::SetUp();
        c_ = dp::tcp::tcp_connect(*stack_, 0, addr("198.18.0.1"), addr("198.18.0.2"),
                                  htons(peer_port), &probe_cb, &probe_);
        ASSERT_TRUE(c_.valid());
        iss_ = parse(take_tx()).at(0).seq;
        ASSERT_EQ(send(seg{5000, iss_ + 1, SYN | ACK, 65535, {2, 4, 0x05, 0xb4}, ""}, active_port(),
                       peer_port)
                      .size(),
                  1u);
    }
    connect_probe probe_;
    dp::tcp::tcp_conn c_;
    uint32_t iss_ = 0;
};

// tcp_send with `more` (as MSG_MORE): small writes wait for tcp_flush and
// leave together in one segment; without it each leaves at once.
TEST_F(tcp_sender, writes_marked_more_leave_together_at_the_flush) {
    auto& c = c_;
    const uint32_t iss = iss_;
    auto text = [&](const std::string& t) {
        rte_mbuf* m = rte_pktmbuf_alloc(pool_);
        std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(t.size())), t.data(), t.size());
        return m;
    };
    for (const char* t : {"one ", "two ", "three"}) {
        ASSERT_TRUE(dp::tcp::tcp_send(*stack_, c, text(t), true));
    }
    EXPECT_TRUE(take_tx().empty()) << "nothing before the flush";
    dp::tcp::tcp_flush(*stack_, c);
    auto out = parse(take_tx());
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].data, "one two three");
    EXPECT_EQ(out[0].seq, iss + 1);
    // Without `more`: at once, a segment per write.
    ASSERT_TRUE(dp::tcp::tcp_send(*stack_, c, text("four")));
    out = parse(take_tx());
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].data, "four");
    dp::tcp::tcp_abort(*stack_, c);
}

// Data its sender marked (mark_copy_out: written here, hot) leaves copied
// into the segment's own buffer even when long; the same bytes unmarked
// leave by reference (zc_min_bytes); a segment over both is headers + the
// marked bytes in one buffer, then a reference to the rest.
TEST_F(tcp_sender, data_marked_copy_out_leaves_copied_the_rest_by_reference) {
    auto& c = c_;
    auto text = [&](char fill, uint16_t n, bool marked) {
        rte_mbuf* m = rte_pktmbuf_alloc(pool_);
        std::memset(rte_pktmbuf_append(m, n), fill, n);
        if (marked) {
            dp::tcp::mark_copy_out(m);
        }
        return m;
    };
    const size_t clones_before = rte_mempool_in_use_count(clone_pool_);
    ASSERT_TRUE(dp::tcp::tcp_send(*stack_, c, text('m', 900, true)));
    auto pk = take_tx();
    ASSERT_EQ(pk.size(), 1u);
    EXPECT_EQ(pk[0]->nb_segs, 1) << "copied behind the headers";
    EXPECT_EQ(rte_mempool_in_use_count(clone_pool_), clones_before);
    auto out = parse(pk);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].data, std::string(900, 'm'));

    ASSERT_TRUE(dp::tcp::tcp_send(*stack_, c, text('u', 900, false)));
    pk = take_tx();
    ASSERT_EQ(pk.size(), 1u);
    EXPECT_EQ(pk[0]->nb_segs, 2) << "the unmarked bytes by reference";
    EXPECT_TRUE(RTE_MBUF_CLONED(pk[0]->next));
    out = parse(pk);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].data, std::string(900, 'u'));

    rte_mbuf* both = text('m', 600, true);  // one write: marked, then not
    ASSERT_EQ(rte_pktmbuf_chain(both, text('u', 700, false)), 0);
    ASSERT_TRUE(dp::tcp::tcp_send(*stack_, c, both));
    pk = take_tx();
    ASSERT_EQ(pk.size(), 1u);
    EXPECT_EQ(pk[0]->nb_segs, 2) << "headers and the marked bytes, then a reference";
    EXPECT_TRUE(RTE_MBUF_CLONED(pk[0]->next));
    EXPECT_EQ(pk[0]->next->data_len, 700);
    out = parse(pk);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].data, std::string(600, 'm') + std::string(700, 'u'));
    dp::tcp::tcp_abort(*stack_, c);
}

// A reader that answers each delivery (as imsgen's MSRP legs do): with
// tcp_flush per delivery, or with tcp_flush_at_poll_end.
struct answerer {
    rte_mempool* pool = nullptr;
    bool at_poll_end = false;
    int deliveries = 0;
};
const dp::tcp::tcp_callbacks answer_cb = {
    .on_accept = nullptr,
    .on_established = nullptr,
    .on_data =
        [](dp::tcp::tcp_stack& s, dp::tcp::tcp_conn c, void* u) {
            auto& a = *static_cast<answerer*>(u);
            rte_pktmbuf_free(dp::tcp::tcp_recv(s, c));
            const std::string t = "ok" + std::to_string(++a.deliveries) + ";";
            rte_mbuf* m = rte_pktmbuf_alloc(a.pool);
            std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(t.size())), t.data(), t.size());
            ASSERT_TRUE(dp::tcp::tcp_send(s, c, m, true));
            if (a.at_poll_end) {
                dp::tcp::tcp_flush_at_poll_end(s, c);
            } else {
                dp::tcp::tcp_flush(s, c);
            }
        },
    .on_peer_fin = nullptr,
    .on_writable = nullptr,
    .on_closed = nullptr,
};

// What a poll's input answered leaves at the poll's end in one segment,
// which also carries the ACK owed: three segments read in one poll, three
// answers, one segment out (a flush per delivery sends three).
TEST_F(tcp_rfc9293, answers_flushed_at_the_poll_end_leave_together_with_the_ack) {
    for (const bool at_poll_end : {false, true}) {
        answerer a{pool_, at_poll_end, 0};
        auto c = dp::tcp::tcp_connect(*stack_, 0, addr("198.18.0.1"), addr("198.18.0.2"),
                                      htons(peer_port), &answer_cb, &a);
        ASSERT_TRUE(c.valid());
        const uint32_t iss = parse(take_tx()).at(0).seq;
        const uint16_t port = active_port();
        ASSERT_EQ(
            send(seg{5000, iss + 1, SYN | ACK, 65535, {2, 4, 0x05, 0xb4}, ""}, port, peer_port)
                .size(),
            1u);
        const auto out = send_burst({seg{5001, iss + 1, ACK | PSH, 65535, {}, "aaaa"},
                                     seg{5005, iss + 1, ACK | PSH, 65535, {}, "bbbb"},
                                     seg{5009, iss + 1, ACK | PSH, 65535, {}, "cccc"}},
                                    port);
        EXPECT_EQ(a.deliveries, 3);
        if (!at_poll_end) {
            EXPECT_EQ(out.size(), 3u) << "a flush per delivery: a segment each";
        } else {
            ASSERT_EQ(out.size(), 1u) << "at the poll's end: one segment";
            EXPECT_EQ(out[0].data, "ok1;ok2;ok3;");
            EXPECT_EQ(out[0].ack, 5013u) << "it carries the ACK of all three";
        }
        dp::tcp::tcp_abort(*stack_, c);
        take_tx();
    }
}

TEST_F(tcp_rfc9293, active_open_picks_a_source_port_rss_steers_back_to_this_lcore) {
    // Four queues, this lcore on queue 2: the answers to every connection it
    // opens must hash to queue 2.
    auto& rss = cfg_.ports[0].rss;
    rss.reta_size = 64;
    rss.key_bytes = 40;
    for (uint8_t i = 0; i < 40; ++i) {
        rss.key[i] = static_cast<uint8_t>(i * 37 + 11);
    }
    for (uint16_t i = 0; i < 64; ++i) {
        rss.reta[i] = static_cast<uint8_t>(i % 4);
    }
    ctx_.queue = 2;
    connect_probe probe;
    for (int i = 0; i < 8; ++i) {
        auto c = dp::tcp::tcp_connect(*stack_, 0, addr("198.18.0.1"), addr("198.18.0.2"),
                                      htons(peer_port), &probe_cb, &probe);
        ASSERT_TRUE(c.valid());
        const auto& t = stack_->at(c);
        EXPECT_EQ(dp::net::rx_queue_of(cfg_.ports[0], t.remote_ip, t.local_ip, t.remote_port,
                                       t.local_port),
                  2);
    }
    EXPECT_GT(stack_->cnt.rss_port_skips, 0u) << "three ports in four belong to other lcores";
    take_tx();
}

TEST_F(tcp_rfc9293, active_open_refused_by_rst_ack) {
    connect_probe probe;
    auto c = dp::tcp::tcp_connect(*stack_, 0, addr("198.18.0.1"), addr("198.18.0.2"), htons(80),
                                  &probe_cb, &probe);
    ASSERT_TRUE(c.valid());
    auto syn = parse(take_tx());
    ASSERT_EQ(syn.size(), 1u);
    EXPECT_TRUE(send(seg{0, syn[0].seq + 1, RST | ACK, 0, {}, ""}, active_port(), 80).empty());
    EXPECT_EQ(probe.closed, 1);
    EXPECT_EQ(probe.why, dp::tcp::tcp_cause::refused);
    EXPECT_EQ(stack_->connections(), 0u);
}

TEST_F(tcp_rfc9293, source_sends_the_pattern_closes_and_counts) {
    ASSERT_TRUE(dp::tcp::start_source(*stack_, 0, addr("198.18.0.1"), addr("198.18.0.2"),
                                      htons(peer_port), 3000));
    auto syn = parse(take_tx());
    ASSERT_EQ(syn.size(), 1u);
    const uint32_t iss = syn[0].seq;
    auto reply = [&](uint32_t seq, uint32_t ack, uint8_t flags, std::vector<uint8_t> opts = {}) {
        return send(seg{seq, ack, flags, 65535, std::move(opts), ""}, active_port(), peer_port);
    };
    auto out = reply(7000, iss + 1, SYN | ACK, {2, 4, 0x03, 0xe8});  // MSS 1000
    std::string data;
    bool fin = false;
    for (const auto& o : out) {
        data += o.data;
        fin = fin || o.has(FIN);
    }
    ASSERT_EQ(data.size(), 3000u);
    EXPECT_TRUE(fin) << "FIN rides on the last segment";
    for (size_t k = 0; k < data.size(); ++k) {
        ASSERT_EQ(static_cast<uint8_t>(data[k]), static_cast<uint8_t>(k * 7 + 3)) << k;
    }
    // The peer acknowledges everything and closes; TIME-WAIT, then gone.
    reply(7001, iss + 3002, ACK);
    reply(7001, iss + 3002, ACK | FIN);
    EXPECT_EQ(stack_->cnt.source_completed, 0u) << "not before TIME-WAIT ends";
    advance_ms(1001);
    EXPECT_EQ(stack_->cnt.source_completed, 1u);
    EXPECT_EQ(stack_->connections(), 0u);
}

TEST_F(tcp_rfc9293, unanswered_syn_is_retried_then_times_out) {
    connect_probe probe;
    dp::tcp::tcp_connect(*stack_, 0, addr("198.18.0.1"), addr("198.18.0.2"), htons(80), &probe_cb,
                         &probe);
    take_tx();
    int syns = 0;
    for (int i = 0; i < 200 && probe.closed == 0; ++i) {
        for (const auto& o : advance_ms(1000)) {
            syns += o.has(SYN) ? 1 : 0;
        }
    }
    EXPECT_EQ(syns, 5) << "syn_retries";
    EXPECT_EQ(probe.why, dp::tcp::tcp_cause::timed_out);
}

std::vector<uint8_t> ts_opt(uint32_t val, uint32_t ecr) {
    return {1,
            1,
            8,
            10,
            static_cast<uint8_t>(val >> 24),
            static_cast<uint8_t>(val >> 16),
            static_cast<uint8_t>(val >> 8),
            static_cast<uint8_t>(val),
            static_cast<uint8_t>(ecr >> 24),
            static_cast<uint8_t>(ecr >> 16),
            static_cast<uint8_t>(ecr >> 8),
            static_cast<uint8_t>(ecr)};
}

uint32_t tsecr_of(const seg_out& o) {
    for (size_t i = 0; i + 10 <= o.opts.size(); ++i) {
        if (o.opts[i] == 8 && o.opts[i + 1] == 10) {
            return static_cast<uint32_t>(o.opts[i + 6]) << 24 | o.opts[i + 7] << 16 |
                   o.opts[i + 8] << 8 | o.opts[i + 9];
        }
    }
    return 0;
}

TEST_F(tcp_rfc9293, rfc7323_timestamps_are_echoed_and_paws_rejects_old_ones) {
    seg syn{100, 0, SYN, 8192, {2, 4, 0x05, 0xb4}, ""};
    auto ts = ts_opt(1000, 0);
    syn.opts.insert(syn.opts.end(), ts.begin(), ts.end());
    auto out = send(syn);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(tsecr_of(out[0]), 1000u) << "SYN-ACK echoes the SYN's TSval";
    const uint32_t iss = out[0].seq;
    EXPECT_TRUE(send(seg{101, iss + 1, ACK, 65535, ts_opt(1001, 0), ""}).empty());
    out = send(seg{101, iss + 1, ACK, 65535, ts_opt(2000, 0), "new"});
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].data, "new");
    EXPECT_EQ(tsecr_of(out[0]), 2000u);
    // An old duplicate: same sequence space, older timestamp.
    out = send(seg{104, iss + 4, ACK, 65535, ts_opt(1500, 0), "old"});
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(out[0].data.empty());
    EXPECT_EQ(out[0].ack, 104u);
    EXPECT_EQ(stack_->cnt.paws_rejected, 1u);
}

TEST_F(tcp_rfc9293, rfc2018_acks_carry_sack_blocks_for_held_data) {
    seg syn{100, 0, SYN, 8192, {2, 4, 0x05, 0xb4, 1, 1, 4, 2}, ""};
    auto out = send(syn, sink_port);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].opts, (std::vector<uint8_t>{2, 4, 0x05, 0xb4, 1, 1, 4, 2}))
        << "MSS, SACK-permitted answered, no window scale (the SYN had none: RFC 7323 2.2)";
    const uint32_t iss = out[0].seq;
    send(seg{101, iss + 1, ACK, 65535, {}, ""}, sink_port);
    // Two holes: [101,111) missing, [111,121) held, [121,131) missing, [131,141) held.
    send(seg{111, iss + 1, ACK, 65535, {}, std::string(10, 'b')}, sink_port);
    out = send(seg{131, iss + 1, ACK, 65535, {}, std::string(10, 'd')}, sink_port);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].ack, 101u);
    auto be = [](const std::vector<uint8_t>& o, size_t i) {
        return static_cast<uint32_t>(o[i]) << 24 | o[i + 1] << 16 | o[i + 2] << 8 | o[i + 3];
    };
    const auto& o = out[0].opts;
    ASSERT_EQ(o.size(), 20u);  // NOP NOP SACK(2 + 2 * 8)
    EXPECT_EQ(o[2], 5);
    EXPECT_EQ(o[3], 18);
    // The block with the latest arrival first (RFC 2018 4).
    EXPECT_EQ(be(o, 4), 131u);
    EXPECT_EQ(be(o, 8), 141u);
    EXPECT_EQ(be(o, 12), 111u);
    EXPECT_EQ(be(o, 16), 121u);
    // Filling the first hole merges nothing yet; the second hole remains.
    out = send(seg{101, iss + 1, ACK, 65535, {}, std::string(10, 'a')}, sink_port);
    ASSERT_FALSE(out.empty());
    EXPECT_EQ(out.back().ack, 121u);
    EXPECT_EQ(be(out.back().opts, 4), 131u);
}

TEST_F(tcp_rfc9293, keepalive_probes_an_idle_peer_and_gives_up) {
    stack_->params.keepalive_idle_ms = 10000;
    stack_->params.keepalive_interval_ms = 1000;
    stack_->params.keepalive_probes = 3;
    const uint32_t iss = handshake(100);
    EXPECT_TRUE(advance_ms(9999).empty());
    auto out = advance_ms(1);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].seq, iss) << "one byte behind snd_una";
    // An answer resets it: the next probe comes a full idle time later.
    send(seg{101, iss + 1, ACK, 65535, {}, ""});
    EXPECT_TRUE(advance_ms(9990).empty());
    EXPECT_EQ(advance_ms(20).size(), 1u);
    advance_ms(1000);
    advance_ms(1000);
    out = advance_ms(1000);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].flags, RST);
    EXPECT_EQ(stack_->cnt.keepalive_timeouts, 1u);
    EXPECT_EQ(stack_->connections(), 0u);
}

TEST_F(tcp_rfc9293, connections_and_mbufs_return_to_idle) {
    for (uint32_t i = 0; i < 5; ++i) {
        const uint32_t peer = 1000 * (i + 1);
        // Each from its own port.
        const uint32_t iss = handshake(peer, sink_port);
        send(seg{peer + 1, iss + 1, ACK, 65535, {}, "payload"}, sink_port);
        send(seg{peer + 8, iss + 1, ACK | FIN, 65535, {}, ""}, sink_port);
        send(seg{peer + 9, iss + 2, ACK, 65535, {}, ""}, sink_port);
    }
    EXPECT_EQ(stack_->connections(), 0u);
    // TearDown checks the pool is full again.
}

}  // namespace
}  // namespace imsd::test

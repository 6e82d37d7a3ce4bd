// SIP over UDP in the dataplane (issue 6 step 1): checks, policing, the
// dataplane's own answers, and the hand-off to the exception path.

#include <gtest/gtest.h>
#include <rte_ip.h>
#include <rte_ring.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include <atomic>
#include <string>

#include "dataplane/sip/udp.hpp"
#include "tests/unit/dataplane/net/net_fixture.hpp"

namespace imsd::test {
namespace {

using dp::sip::police_rate;
using dp::sip::source_policer;

const std::string options =
    "OPTIONS sip:imsd@198.18.0.1 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 198.18.0.2:5070;branch=z9hG4bK1\r\n"
    "Max-Forwards: 70\r\n"
    "From: <sip:alice@example.net>;tag=a\r\n"
    "To: <sip:imsd@198.18.0.1>\r\n"
    "Call-ID: c1@lab\r\n"
    "CSeq: 7 OPTIONS\r\n"
    "Content-Length: 0\r\n\r\n";

std::vector<uint8_t> udp(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                         const std::string& payload, bool cksum = true) {
    std::vector<uint8_t> u(sizeof(rte_udp_hdr) + payload.size());
    auto* uh = reinterpret_cast<rte_udp_hdr*>(u.data());
    uh->src_port = htons(sport);
    uh->dst_port = htons(dport);
    uh->dgram_len = htons(static_cast<uint16_t>(u.size()));
    std::memcpy(uh + 1, payload.data(), payload.size());
    auto f = ipv4_frame(mac(2), mac(1), src, dst, IPPROTO_UDP, u);
    if (cksum) {
        auto* ip = reinterpret_cast<rte_ipv4_hdr*>(f.data() + sizeof(rte_ether_hdr));
        auto* h = reinterpret_cast<rte_udp_hdr*>(ip + 1);
        h->dgram_cksum = rte_ipv4_udptcp_cksum(ip, h);
    }
    return f;
}

class sip_path_test : public net_test {
   protected:
    void SetUp() override {
        net_test::SetUp();
        static std::atomic<int> n{0};
        const std::string id = std::to_string(n++);
        sip_.policer =
            source_policer::create(("sip_test_src_" + id).c_str(), 64, SOCKET_ID_ANY, hz);
        ASSERT_NE(sip_.policer, nullptr);
        sip_.server = "IM-serv/OMA2.0 imsd/test";
        ring_ = rte_ring_create(("sip_test_punt_" + id).c_str(), 256, SOCKET_ID_ANY, 0);
        ASSERT_NE(ring_, nullptr);
        ctx_.sip = &sip_;
        ctx_.sip_udp_input = dp::sip::udp_input;
        ctx_.punt_ring = ring_;
        cfg_.sip.port_be = htons(5060);
        cfg_.sip.rate_per_s = 10;
        cfg_.sip.burst = 3;
        cfg_.sip.n_trusted = 1;
        cfg_.sip.trusted[0] = {addr("198.18.0.9"), addr("255.255.255.255")};
        // The peer's MAC is known: answers go out at once.
        auto* nb = ctx_.neigh->add(0, addr("198.18.0.2"));
        ASSERT_NE(nb, nullptr);
        nb->state = dp::net::neigh_state::reachable;
        nb->mac = mac(2);
        nb->stamp_tsc = ctx_.now_tsc;
    }
    void TearDown() override {
        void* m;
        while (rte_ring_dequeue(ring_, &m) == 0) {
            rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
        }
        rte_ring_free(ring_);
        net_test::TearDown();
    }
    unsigned punted() const { return rte_ring_count(ring_); }
    std::vector<rte_mbuf*> from_peer(const std::string& payload, uint16_t dport = 5060,
                                     const char* src = "198.18.0.2") {
        return inject(udp(addr(src), addr("198.18.0.1"), 5070, dport, payload));
    }

    dp::sip::sip_ctx sip_;
    rte_ring* ring_ = nullptr;
};

TEST_F(sip_path_test, valid_request_is_punted_untouched) {
    auto frame = udp(addr("198.18.0.2"), addr("198.18.0.1"), 5070, 5060, options);
    EXPECT_TRUE(inject(frame).empty());
    ASSERT_EQ(punted(), 1u);
    void* m = nullptr;
    ASSERT_EQ(rte_ring_dequeue(ring_, &m), 0);
    EXPECT_EQ(bytes(static_cast<rte_mbuf*>(m)), frame) << "addresses, ports and payload untouched";
    rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
    EXPECT_EQ(sip_.cnt.requests_punted, 1u);
    EXPECT_EQ(ctx_.cnt.punt_queued, 1u);
}

TEST_F(sip_path_test, response_is_punted) {
    from_peer(
        "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 198.18.0.1;branch=z9hG4bK2\r\nFrom: <sip:a@x>;tag=1\r\n"
        "To: <sip:b@x>;tag=2\r\nCall-ID: c2\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n");
    EXPECT_EQ(punted(), 1u);
    EXPECT_EQ(sip_.cnt.responses_punted, 1u);
}

TEST_F(sip_path_test, bad_checksum_dropped_and_zero_checksum_accepted) {
    auto f = udp(addr("198.18.0.2"), addr("198.18.0.1"), 5070, 5060, options);
    f.back() ^= 1;  // one payload byte changed after the checksum
    EXPECT_TRUE(inject(f).empty());
    EXPECT_EQ(sip_.cnt.udp_checksum_bad, 1u);
    EXPECT_EQ(punted(), 0u);
    inject(udp(addr("198.18.0.2"), addr("198.18.0.1"), 5070, 5060, options, false));
    EXPECT_EQ(punted(), 1u) << "RFC 768: checksum 0 means none";
}

TEST_F(sip_path_test, other_udp_port_and_bad_length_dropped) {
    from_peer(options, 5061);
    EXPECT_EQ(sip_.cnt.udp_port_other, 1u);
    auto f = udp(addr("198.18.0.2"), addr("198.18.0.1"), 5070, 5060, options, false);
    auto* uh = reinterpret_cast<rte_udp_hdr*>(f.data() + sizeof(rte_ether_hdr) + 20);
    uh->dgram_len = htons(static_cast<uint16_t>(options.size() + 100));  // longer than the packet
    inject(f);
    EXPECT_EQ(sip_.cnt.udp_malformed, 1u);
    EXPECT_EQ(punted(), 0u);
}

TEST_F(sip_path_test, not_sip_dropped_silently) {
    EXPECT_TRUE(from_peer("GET / HTTP/1.0\r\n\r\n").empty());
    EXPECT_EQ(sip_.cnt.not_sip, 1u);
    EXPECT_EQ(sip_.cnt.answered, 0u);
}

// RFC 3261 8.2 / 21.4.1: a request the framing refuses is answered 400 from
// the dataplane, straight back to its source address and port.
TEST_F(sip_path_test, refused_request_answered_400_to_its_source) {
    std::string bad = options;
    bad.replace(bad.find("CSeq: 7 OPTIONS"), 15, "CSeq: 7 INVITE ");
    auto tx = from_peer(bad);
    ASSERT_EQ(tx.size(), 1u);
    EXPECT_EQ(punted(), 0u);
    EXPECT_EQ(sip_.cnt.cseq_mismatch, 1u);
    EXPECT_EQ(sip_.cnt.answered, 1u);
    auto b = bytes(tx[0]);
    auto* eth = reinterpret_cast<rte_ether_hdr*>(b.data());
    const rte_ether_addr peer_mac = mac(2);
    EXPECT_TRUE(rte_is_same_ether_addr(&eth->dst_addr, &peer_mac));
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
    EXPECT_EQ(ip->src_addr, addr("198.18.0.1"));
    EXPECT_EQ(ip->dst_addr, addr("198.18.0.2"));
    EXPECT_EQ(inet_cksum(ip, sizeof(*ip)), 0);
    auto* uh = reinterpret_cast<rte_udp_hdr*>(ip + 1);
    EXPECT_EQ(ntohs(uh->src_port), 5060);
    EXPECT_EQ(ntohs(uh->dst_port), 5070);
    // UDP checksum over the pseudo-header and the datagram: a valid one sums to 0xffff.
    uint32_t sum = rte_raw_cksum(uh, ntohs(uh->dgram_len)) + rte_ipv4_phdr_cksum(ip, 0);
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    EXPECT_NE(uh->dgram_cksum, 0);
    EXPECT_EQ(sum, 0xffffu);
    std::string text(reinterpret_cast<char*>(uh + 1), ntohs(uh->dgram_len) - sizeof(rte_udp_hdr));
    EXPECT_TRUE(text.starts_with("SIP/2.0 400 Bad Request\r\n")) << text;
    EXPECT_NE(text.find("\r\nVia: SIP/2.0/UDP 198.18.0.2:5070;branch=z9hG4bK1\r\n"),
              std::string::npos);
    EXPECT_NE(text.find("\r\nTo: <sip:imsd@198.18.0.1>;tag="), std::string::npos);
    EXPECT_NE(text.find("\r\nCall-ID: c1@lab\r\n"), std::string::npos);
    EXPECT_NE(text.find("\r\nCSeq: 7 INVITE\r\n"), std::string::npos);
    EXPECT_NE(text.find("\r\nServer: IM-serv/OMA2.0 imsd/test\r\n"), std::string::npos);
    EXPECT_NE(text.find("\r\nWarning: 399 198.18.0.1 \"CSeq method differs"), std::string::npos);
    EXPECT_TRUE(text.ends_with("\r\nContent-Length: 0\r\n\r\n"));
}

TEST_F(sip_path_test, too_large_answered_513) {
    sip_.lim.max_message_bytes = 100;
    auto tx = from_peer(options);
    ASSERT_EQ(tx.size(), 1u);
    auto b = bytes(tx[0]);
    std::string text(b.begin() + sizeof(rte_ether_hdr) + 28, b.end());
    EXPECT_TRUE(text.starts_with("SIP/2.0 513 Message Too Large\r\n")) << text;
    EXPECT_EQ(sip_.cnt.too_large, 1u);
}

TEST_F(sip_path_test, ack_and_unanswerable_requests_are_not_answered) {
    std::string ack = options;
    ack.replace(0, 7, "ACK");  // the Request-Line says ACK, CSeq OPTIONS: refused
    EXPECT_TRUE(from_peer(ack).empty()) << "an ACK is never answered (17.1.1.3)";
    std::string no_cseq = options;
    no_cseq.erase(no_cseq.find("CSeq: 7 OPTIONS\r\n"), 17);
    EXPECT_TRUE(from_peer(no_cseq).empty());
    EXPECT_EQ(sip_.cnt.missing_header, 1u);
    EXPECT_EQ(sip_.cnt.answered, 0u);
    EXPECT_EQ(sip_.cnt.answer_failed, 2u);
}

TEST_F(sip_path_test, flood_from_one_source_is_policed_to_rate_and_burst) {
    for (int i = 0; i < 10; ++i) {
        from_peer(options);
    }
    EXPECT_EQ(punted(), 3u) << "burst 3";
    EXPECT_EQ(sip_.cnt.policed, 7u);
    ctx_.now_tsc += hz / 10;  // 100 ms at 10/s: one more
    from_peer(options);
    from_peer(options);
    EXPECT_EQ(punted(), 4u);
    ctx_.now_tsc += 10 * hz;  // refilled to the burst, not beyond
    for (int i = 0; i < 10; ++i) {
        from_peer(options);
    }
    EXPECT_EQ(punted(), 7u);
    // Another source has its own bucket.
    from_peer(options, 5060, "198.18.0.3");
    EXPECT_EQ(punted(), 8u);
}

TEST_F(sip_path_test, trusted_peer_is_never_policed) {
    for (int i = 0; i < 50; ++i) {
        from_peer(options, 5060, "198.18.0.9");
    }
    EXPECT_EQ(punted(), 50u);
    EXPECT_EQ(sip_.cnt.trusted_in, 50u);
    EXPECT_EQ(sip_.cnt.policed, 0u);
}

TEST_F(sip_path_test, rate_zero_means_unpoliced) {
    cfg_.sip.rate_per_s = 0;
    for (int i = 0; i < 20; ++i) {
        from_peer(options);
    }
    EXPECT_EQ(punted(), 20u);
}

TEST_F(sip_path_test, tcp_of_the_sip_port_goes_to_the_kernel) {
    std::vector<uint8_t> seg(sizeof(rte_tcp_hdr));
    auto* th = reinterpret_cast<rte_tcp_hdr*>(seg.data());
    th->src_port = htons(40000);
    th->dst_port = htons(5060);
    th->data_off = 5 << 4;
    th->tcp_flags = RTE_TCP_SYN_FLAG;
    inject(ipv4_frame(mac(2), mac(1), addr("198.18.0.2"), addr("198.18.0.1"), IPPROTO_TCP, seg));
    th->src_port = htons(5060);  // the kernel's own connection to a peer's SIP port
    th->dst_port = htons(41000);
    inject(ipv4_frame(mac(2), mac(1), addr("198.18.0.2"), addr("198.18.0.1"), IPPROTO_TCP, seg));
    EXPECT_EQ(punted(), 2u);
    EXPECT_EQ(ctx_.cnt.tcp_sip_punted, 2u);
}

TEST(source_policer, full_table_shares_one_bucket) {
    eal_init_for_tests();
    constexpr uint64_t hz = 1000;
    auto p = source_policer::create("policer_overflow", 8, SOCKET_ID_ANY, hz);
    ASSERT_NE(p, nullptr);
    const police_rate rate{1, 2};
    unsigned admitted = 0, overflow_admitted = 0, overflow_dropped = 0;
    for (uint32_t src = 1; src <= 1000; ++src) {
        switch (p->admit(htonl(src), 1000, rate)) {
            case source_policer::outcome::admitted:
                ++admitted;
                break;
            case source_policer::outcome::admitted_overflow:
                ++overflow_admitted;
                break;
            case source_policer::outcome::dropped_overflow:
                ++overflow_dropped;
                break;
            case source_policer::outcome::dropped:
                break;
        }
    }
    EXPECT_GE(admitted, 8u) << "every tracked source gets its own burst";
    EXPECT_EQ(admitted, p->sources());
    EXPECT_EQ(overflow_admitted, 2u) << "the rest share one burst of 2";
    EXPECT_EQ(admitted + overflow_admitted + overflow_dropped, 1000u);
}

TEST(source_policer, sweep_forgets_idle_sources_only) {
    eal_init_for_tests();
    constexpr uint64_t hz = 1000;
    auto p = source_policer::create("policer_sweep", 64, SOCKET_ID_ANY, hz);
    ASSERT_NE(p, nullptr);
    const police_rate rate{10, 5};
    p->admit(htonl(1), 1000, rate);
    p->admit(htonl(2), 1000, rate);
    for (int i = 0; i < 5; ++i) {
        p->admit(htonl(2), 60'000, rate);  // source 2 busy lately: bucket not full
    }
    EXPECT_EQ(p->sweep(60'000, 30'000, rate), 1u);
    EXPECT_EQ(p->sources(), 1u);
}

TEST(build_answer, keeps_an_existing_to_tag_and_sanitizes_the_warning) {
    dp::sip::message_view v;
    v.request = true;
    v.method = "MESSAGE";
    v.via = "SIP/2.0/UDP h;branch=z9hG4bKx";
    v.from = "<sip:a@x>;tag=1";
    v.to = "<sip:b@x>;tag=9";
    v.call_id = "c";
    v.cseq = "1 MESSAGE";
    char out[512];
    const size_t n = dp::sip::build_answer(v, 400, "Bad Request", "bad \"quoted\"\r\ntext", "",
                                           "10.0.0.1", out, sizeof(out));
    std::string text(out, n);
    EXPECT_NE(text.find("\r\nTo: <sip:b@x>;tag=9\r\n"), std::string::npos) << text;
    EXPECT_NE(text.find("\r\nWarning: 399 10.0.0.1 \"bad  quoted   text\"\r\n"), std::string::npos)
        << text;
    EXPECT_EQ(text.find("Server:"), std::string::npos);
    EXPECT_EQ(dp::sip::build_answer(v, 400, "Bad Request", "", "", "a", out, 40), 0u)
        << "too small a buffer: no answer rather than a cut one";
}

}  // namespace
}  // namespace imsd::test

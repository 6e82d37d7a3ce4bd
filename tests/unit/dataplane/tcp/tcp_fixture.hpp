#pragma once

// Segment-level tests in the spirit of packetdrill: crafted segments go into
// the packet path of one lcore, the test reads exactly what comes out. Time
// is a fake TSC advanced by the test (1 tick = 1 us).

#include <gtest/gtest.h>
#include <rte_tcp.h>

#include <optional>
#include <string>
#include <vector>

#include "dataplane/tcp/tcp.hpp"
#include "tests/unit/dataplane/net/net_fixture.hpp"

namespace imsd::test {

struct seg {
    uint32_t seq = 0;
    uint32_t ack = 0;
    uint8_t flags = 0;
    uint16_t win = 65535;
    std::vector<uint8_t> opts;
    std::string data;
};

struct seg_out {
    uint16_t dport = 0;  // the peer's port it goes to
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t win;
    std::vector<uint8_t> opts;
    std::string data;
    bool has(uint8_t f) const { return (flags & f) == f; }
};

class tcp_test : public net_test {
   protected:
    static constexpr uint16_t peer_port = 40000;
    static constexpr uint16_t echo_port = 7;
    static constexpr uint16_t sink_port = 9;

    void SetUp() override {
        net_test::SetUp();
        // The peer is known (as after it ARPed for us).
        inject(arp_frame(RTE_ARP_OP_REQUEST, mac(2), addr("198.18.0.2"), addr("198.18.0.1"),
                         broadcast()));
        dp::tcp::tcp_params p;
        p.tsc_hz = hz;
        p.max_connections = 64;
        p.rcv_buffer_bytes = rcv_buffer;
        p.snd_buffer_bytes = 64 * 1024;
        p.time_wait_ms = 1000;
        p.delack_ms = 40;
        static std::atomic<int> n{0};
        std::string name = "tcp_test_" + std::to_string(n++);
        stack_ = dp::tcp::tcp_stack::create(name.c_str(), p, ctx_, SOCKET_ID_ANY);
        ASSERT_NE(stack_, nullptr);
        ctx_.tcp = stack_.get();
        ctx_.tcp_input = dp::tcp::tcp_input;
        dp::tcp::start_echo_service(*stack_, 0, rte_cpu_to_be_16(echo_port));
        dp::tcp::start_sink_service(*stack_, 0, rte_cpu_to_be_16(sink_port));
    }

    // As the dataplane loop does after a poll's input: the ACKs owed.
    void after_input() override {
        if (stack_ != nullptr) {
            stack_->flush_acks();
        }
    }

    void TearDown() override {
        stack_.reset();
        ctx_.tcp = nullptr;
        ctx_.tcp_input = nullptr;
        net_test::TearDown();
    }

    // Sends one segment from the peer (port sport) to imsd's port dport and
    // returns imsd's answers.
    std::vector<seg_out> send(const seg& s, uint16_t dport = echo_port,
                              uint16_t sport = peer_port) {
        auto frame = frame_of(s, dport, sport);
        if (split_next_at_ != 0) {
            // As a gathering sender or a scattering NIC hands it over: the
            // first bytes in one mbuf, the rest chained behind.
            const size_t at = split_next_at_;
            split_next_at_ = 0;
            rte_mbuf* head = make(std::vector<uint8_t>(frame.begin(), frame.begin() + at));
            rte_mbuf* tail = make(std::vector<uint8_t>(frame.begin() + at, frame.end()));
            EXPECT_EQ(rte_pktmbuf_chain(head, tail), 0);
            dp::net::net_input(ctx_, 0, std::span<rte_mbuf*>(&head, 1));
            after_input();
            return parse(take_tx());
        }
        return parse(inject(frame));
    }

    // Several segments from the peer in one poll (one rx burst), then what
    // the poll's end sends.
    std::vector<seg_out> send_burst(const std::vector<seg>& segs, uint16_t dport,
                                    uint16_t sport = peer_port) {
        std::vector<rte_mbuf*> pkts;
        for (const auto& s : segs) {
            pkts.push_back(make(frame_of(s, dport, sport)));
        }
        dp::net::net_input(ctx_, 0, std::span<rte_mbuf*>(pkts.data(), pkts.size()));
        after_input();
        return parse(take_tx());
    }

    std::vector<uint8_t> frame_of(const seg& s, uint16_t dport, uint16_t sport) {
        std::vector<uint8_t> tcp(sizeof(rte_tcp_hdr) + s.opts.size() + s.data.size());
        auto* th = reinterpret_cast<rte_tcp_hdr*>(tcp.data());
        th->src_port = htons(sport);
        th->dst_port = htons(dport);
        th->sent_seq = htonl(s.seq);
        th->recv_ack = htonl(s.ack);
        th->data_off = static_cast<uint8_t>(((sizeof(rte_tcp_hdr) + s.opts.size()) / 4) << 4);
        th->tcp_flags = s.flags;
        th->rx_win = htons(s.win);
        std::memcpy(tcp.data() + sizeof(rte_tcp_hdr), s.opts.data(), s.opts.size());
        std::memcpy(tcp.data() + sizeof(rte_tcp_hdr) + s.opts.size(), s.data.data(), s.data.size());
        auto frame =
            ipv4_frame(mac(2), our_mac(), addr("198.18.0.2"), addr("198.18.0.1"), IPPROTO_TCP, tcp);
        auto* ip = reinterpret_cast<rte_ipv4_hdr*>(frame.data() + sizeof(rte_ether_hdr));
        auto* fth = reinterpret_cast<rte_tcp_hdr*>(ip + 1);
        fth->cksum = 0;
        fth->cksum = rte_ipv4_udptcp_cksum(ip, fth);
        if (corrupt_next_) {
            fth->cksum ^= 0x1234;
            corrupt_next_ = false;
        }
        return frame;
    }

    // Advances time and runs the timers; returns what they sent.
    std::vector<seg_out> advance_ms(uint64_t ms) {
        std::vector<seg_out> all;
        for (uint64_t i = 0; i < ms; ++i) {
            ctx_.now_tsc += hz / 1000;
            stack_->timers_run(ctx_.now_tsc);
            after_input();
        }
        return parse(take_tx());
    }

    std::vector<seg_out> parse(const std::vector<rte_mbuf*>& pkts) {
        std::vector<seg_out> out;
        for (rte_mbuf* m : pkts) {
            auto b = bytes(m);
            auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(b.data() + sizeof(rte_ether_hdr));
            if (reinterpret_cast<const rte_ether_hdr*>(b.data())->ether_type !=
                htons(RTE_ETHER_TYPE_IPV4)) {
                continue;
            }
            EXPECT_EQ(inet_cksum(ip, 20), 0);
            auto* th = reinterpret_cast<const rte_tcp_hdr*>(ip + 1);
            EXPECT_EQ(rte_ipv4_udptcp_cksum(ip, th), 0) << "TCP checksum verifies";
            const size_t th_len = (th->data_off >> 4) * 4;
            const size_t total = ntohs(ip->total_length) - 20;
            seg_out o;
            o.dport = ntohs(th->dst_port);
            o.seq = ntohl(th->sent_seq);
            o.ack = ntohl(th->recv_ack);
            o.flags = th->tcp_flags;
            o.win = ntohs(th->rx_win);
            const auto* p = reinterpret_cast<const uint8_t*>(th);
            o.opts.assign(p + sizeof(rte_tcp_hdr), p + th_len);
            o.data.assign(reinterpret_cast<const char*>(p + th_len), total - th_len);
            out.push_back(o);
        }
        return out;
    }

    // imsd's (ephemeral) port of the one connection it opened itself.
    uint16_t active_port() {
        for (const auto& t : stack_->all()) {
            if (t.in_use) {
                return ntohs(t.local_port);
            }
        }
        return 0;
    }

    // The three-way handshake; returns imsd's ISS.
    uint32_t handshake(uint32_t peer_iss, uint16_t dport = echo_port, uint16_t mss = 1000,
                       uint16_t sport = peer_port) {
        seg syn;
        syn.seq = peer_iss;
        syn.flags = RTE_TCP_SYN_FLAG;
        syn.opts = {2, 4, static_cast<uint8_t>(mss >> 8), static_cast<uint8_t>(mss & 0xff), 1, 3,
                    3, 2};  // MSS, NOP, WS 2
        auto out = send(syn, dport, sport);
        EXPECT_EQ(out.size(), 1u);
        if (out.empty()) {
            return 0;
        }
        EXPECT_TRUE(out[0].has(RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG));
        EXPECT_EQ(out[0].ack, peer_iss + 1);
        seg ack;
        ack.seq = peer_iss + 1;
        ack.ack = out[0].seq + 1;
        ack.flags = RTE_TCP_ACK_FLAG;
        ack.win = 65535;  // x4 with WS 2
        EXPECT_TRUE(send(ack, dport, sport).empty());
        return out[0].seq;
    }

    uint32_t rcv_buffer = 64 * 1024;
    std::unique_ptr<dp::tcp::tcp_stack> stack_;
    bool corrupt_next_ = false;
    size_t split_next_at_ = 0;  // send(): the frame in two chained mbufs, cut here
};

}  // namespace imsd::test

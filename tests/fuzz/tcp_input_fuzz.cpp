// libFuzzer target: TCP segment input with arbitrary flags, options, lengths
// and sequence numbers, on connections that live across inputs (echo and
// sink services listen). The fuzzer writes the TCP header and payload; this
// harness wraps them in valid Ethernet and IPv4 headers and, unless the first
// byte says otherwise, a valid TCP checksum, so the state machine is reached.
// Each input also advances the clock and runs the timers. Any crash,
// sanitizer report or lost mbuf aborts.

#include <arpa/inet.h>
#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "dataplane/tcp/tcp.hpp"
#include "tests/fuzz/fuzz_stack.hpp"

namespace {

using namespace imsd::dp;

imsd::test::fuzz_stack g_fs;
net::net_ctx* g_ctx = nullptr;    // g_fs's
tcp::tcp_stack* g_tcp = nullptr;  // g_fs's

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    g_fs.start(32, 16);
    g_ctx = g_fs.ctx;
    g_tcp = g_fs.tcp;
    tcp::start_echo_service(*g_tcp, 0, htons(7));
    tcp::start_sink_service(*g_tcp, 0, htons(9));
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 2) {
        return 0;
    }
    const uint8_t control = data[0];
    data += 1;
    size -= 1;
    const size_t l4 = std::min<size_t>(size, 1400);
    rte_mbuf* m = nullptr;
    rte_ipv4_hdr* ip = g_fs.peer_frame(l4, m);
    std::memcpy(ip + 1, data, l4);
    if (l4 >= sizeof(rte_tcp_hdr)) {
        auto* th = reinterpret_cast<rte_tcp_hdr*>(ip + 1);
        // Few ports, so inputs meet the same connections.
        static const uint16_t dports[] = {7, 9, 7, 9, 7, 9, 1, 0};
        th->dst_port = htons(dports[control & 7]);
        th->src_port = htons(static_cast<uint16_t>(40000 + ((control >> 3) & 3)));
        // Bit 6: speak in sequence, so handshakes complete and data flows
        // (the fuzzer cannot guess our random ISS).
        if ((control & 0x40) != 0) {
            if (auto* t =
                    g_tcp->lookup(ip->dst_addr, th->dst_port, ip->src_addr, th->src_port, 0)) {
                th->sent_seq = htonl(t->rcv_nxt.raw);
                th->recv_ack = htonl(t->snd_nxt.raw);
            }
        }
        if ((control & 0x80) == 0) {
            th->cksum = 0;
            th->cksum = rte_ipv4_udptcp_cksum(ip, th);
        }
    }
    g_ctx->now_tsc += static_cast<uint64_t>(control & 0x60) * 1000;
    net::net_input(*g_ctx, 0, std::span<rte_mbuf*>(&m, 1));
    g_tcp->timers_run(g_ctx->now_tsc);
    g_tcp->flush_acks();  // as the dataplane loop does every poll
    auto& tx = g_ctx->tx[0];
    for (uint16_t i = 0; i < tx.count; ++i) {
        rte_pktmbuf_free(tx.pkts[i]);
    }
    tx.count = 0;
    g_fs.check_pools();
    return 0;
}

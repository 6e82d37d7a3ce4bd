// libFuzzer target: the MSRP relay behind imsd's TCP, content rules on, with
// three peers: alice (port 40001) and carol (40003) on the a legs of two
// sessions, bob (40002) on both b legs, which his one connection may carry
// together (shared: chunks are interrupted there). The input is a list of
// records [control][length, 2 bytes little-endian][bytes]:
//   control bits 0-1: the peer (alice, bob, carol, alice again);
//   bit 2: reset that peer's connection instead of sending;
//   bit 3: move the clock 20 s first (response timeouts, 408);
//   bit 4: do not ACK what imsd sends this time (its queues fill: flow control).
// The bytes go in sequence on the peer's connection, opened first if need be,
// in segments of up to 1,400 bytes. In them "@1a@", "@1b@", "@2a@" and "@2b@"
// stand for imsd's URIs of session 1 or 2, leg a or b (random per run). After
// each input every connection is reset: then every mbuf must be back in its
// pool. Any crash, sanitizer report or lost mbuf aborts. IMSD_FUZZ_STATS=1:
// print at exit which of the relay's paths the inputs reached (relayed,
// interrupted, blocked, 413/415, timeouts, parse errors, flow control).

#include <arpa/inet.h>
#include <hs.h>
#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_tcp.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "dataplane/msrp/relay.hpp"
#include "dataplane/policy/policy.hpp"
#include "dataplane/tcp/tcp.hpp"
#include "tests/fuzz/fuzz_stack.hpp"

namespace {

using namespace imsd::dp;

imsd::test::fuzz_stack g_fs;
net::net_ctx* g_ctx = nullptr;    // g_fs's
tcp::tcp_stack* g_tcp = nullptr;  // g_fs's
msrp::relay* g_relay = nullptr;
rte_ring* g_events = nullptr;
std::array<std::string, 4> g_uris;  // @1a@ @1b@ @2a@ @2b@
constexpr uint64_t hz = imsd::test::fuzz_stack::hz;
constexpr uint16_t msrp_port = 2855;

struct peer {
    uint16_t port = 0;
    bool open = false;
    uint32_t seq = 0;  // the next byte the peer sends
    uint32_t ack = 0;  // the next byte it expects from imsd
    bool heard = false;
    uint32_t acked = 0;  // imsd's latest ACK: where its stream stands
    bool have_ack = false;
};
std::array<peer, 3> g_peers;

// One segment from a peer to imsd's MSRP port.
void send_segment(peer& p, uint8_t flags, const char* data, size_t len) {
    rte_mbuf* m = nullptr;
    rte_ipv4_hdr* ip = g_fs.peer_frame(sizeof(rte_tcp_hdr) + len, m);
    auto* th = reinterpret_cast<rte_tcp_hdr*>(ip + 1);
    std::memset(th, 0, sizeof(*th));
    th->src_port = htons(p.port);
    th->dst_port = htons(msrp_port);
    th->sent_seq = htonl(p.seq);
    th->recv_ack = htonl(p.ack);
    th->data_off = sizeof(rte_tcp_hdr) / 4 << 4;
    th->tcp_flags = flags;
    th->rx_win = htons(65535);
    if (len != 0) {
        std::memcpy(th + 1, data, len);
    }
    th->cksum = rte_ipv4_udptcp_cksum(ip, th);
    net::net_input(*g_ctx, 0, std::span<rte_mbuf*>(&m, 1));
}

// As the dataplane loop does after a poll's input; then what imsd sent
// is taken by its peer as a TCP receiver would (in sequence only).
void after_input(bool take) {
    g_relay->poll(g_ctx->now_tsc);
    g_tcp->timers_run(g_ctx->now_tsc);
    g_tcp->flush_acks();
    auto& tx = g_ctx->tx[0];
    for (uint16_t i = 0; i < tx.count; ++i) {
        rte_mbuf* m = tx.pkts[i];
        const auto* ip = rte_pktmbuf_mtod_offset(m, const rte_ipv4_hdr*, sizeof(rte_ether_hdr));
        const auto* th = reinterpret_cast<const rte_tcp_hdr*>(ip + 1);
        const uint32_t len = ntohs(ip->total_length) - sizeof(rte_ipv4_hdr) -
                             static_cast<uint32_t>((th->data_off >> 4) * 4);
        for (peer& p : g_peers) {
            if (p.open && ntohs(th->dst_port) == p.port &&
                (th->tcp_flags & RTE_TCP_ACK_FLAG) != 0) {
                p.acked = ntohl(th->recv_ack);
                p.have_ack = true;
            }
            if (take && p.open && ntohs(th->dst_port) == p.port && ntohl(th->sent_seq) == p.ack) {
                p.ack += len + ((th->tcp_flags & RTE_TCP_FIN_FLAG) != 0 ? 1 : 0);
                p.heard = len != 0 || (th->tcp_flags & RTE_TCP_FIN_FLAG) != 0;
            }
        }
        rte_pktmbuf_free(m);
    }
    tx.count = 0;
    for (;;) {  // the sigplane's part: drain the relay's events
        imsd::platform::media_event ev;
        if (rte_ring_sc_dequeue_elem(g_events, &ev, sizeof(ev)) != 0) {
            break;
        }
    }
}

// ACK what the peers took, a few rounds (more of imsd's queue follows).
void ack_all() {
    for (int round = 0; round < 8; ++round) {
        bool any = false;
        for (peer& p : g_peers) {
            if (p.open && p.heard) {
                p.heard = false;
                send_segment(p, RTE_TCP_ACK_FLAG, nullptr, 0);
                any = true;
            }
        }
        if (!any) {
            return;
        }
        after_input(true);
    }
}

void open_conn(peer& p) {
    p.seq = 1000u * p.port;
    p.ack = 0;
    p.have_ack = false;
    send_segment(p, RTE_TCP_SYN_FLAG, nullptr, 0);
    // The SYN-ACK: imsd's initial sequence number.
    g_relay->poll(g_ctx->now_tsc);
    auto& tx = g_ctx->tx[0];
    for (uint16_t i = 0; i < tx.count; ++i) {
        const auto* ip =
            rte_pktmbuf_mtod_offset(tx.pkts[i], const rte_ipv4_hdr*, sizeof(rte_ether_hdr));
        const auto* th = reinterpret_cast<const rte_tcp_hdr*>(ip + 1);
        if (ntohs(th->dst_port) == p.port && (th->tcp_flags & RTE_TCP_SYN_FLAG) != 0) {
            p.ack = ntohl(th->sent_seq) + 1;
        }
        rte_pktmbuf_free(tx.pkts[i]);
    }
    tx.count = 0;
    if (p.ack == 0) {
        return;  // refused (the table full): not open
    }
    p.seq += 1;
    p.open = true;
    send_segment(p, RTE_TCP_ACK_FLAG, nullptr, 0);
    after_input(true);
}

// A reset imsd takes: at the sequence number it expects (RFC 5961 would
// answer any other with a challenge ACK and keep the connection).
void reset(peer& p) {
    if (!p.open) {
        return;
    }
    p.open = false;
    const auto* t = g_tcp->lookup(inet_addr("198.18.0.1"), htons(msrp_port),
                                  inet_addr("198.18.0.2"), htons(p.port), 0);
    if (t == nullptr) {
        return;  // imsd closed it already (a lost framing, say)
    }
    p.seq = t->rcv_nxt.raw;
    send_segment(p, RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG, nullptr, 0);
    after_input(false);
}

// The fuzzer's bytes with the URI tokens replaced.
std::string expand(const uint8_t* d, size_t n) {
    std::string s(reinterpret_cast<const char*>(d), n);
    static const char* tokens[] = {"@1a@", "@1b@", "@2a@", "@2b@"};
    for (size_t t = 0; t < 4; ++t) {
        for (size_t at = s.find(tokens[t]); at != std::string::npos;
             at = s.find(tokens[t], at + g_uris[t].size())) {
            s.replace(at, 4, g_uris[t]);
        }
    }
    return s;
}

std::unique_ptr<policy::policy_set> make_rules() {
    const char* exprs[] = {"forbidden", "fruit", "pine.?apple"};
    const unsigned flags[] = {HS_FLAG_SINGLEMATCH, HS_FLAG_SINGLEMATCH, HS_FLAG_SINGLEMATCH};
    const unsigned ids[] = {0, 1, 2};
    hs_database_t* db = nullptr;
    hs_database_t* bdb = nullptr;  // as mgmt compiles them: block mode too
    hs_compile_error_t* err = nullptr;
    if (hs_compile_multi(exprs, flags, ids, 3, HS_MODE_STREAM, nullptr, &db, &err) != HS_SUCCESS ||
        hs_compile_multi(exprs, flags, ids, 3, HS_MODE_BLOCK, nullptr, &bdb, &err) != HS_SUCCESS) {
        std::abort();
    }
    imsd::platform::content_db d;
    d.db = db;
    d.block_db = bdb;
    d.owner = std::shared_ptr<void>(nullptr, [db, bdb](void*) {
        hs_free_database(db);
        hs_free_database(bdb);
    });
    d.actions = {imsd::platform::rule_action::block, imsd::platform::rule_action::count,
                 imsd::platform::rule_action::allow};
    d.rule_ids = {7, 8, 9};
    auto ps = policy::policy_set::create(std::move(d), {}, 1);
    if (!ps) {
        std::abort();
    }
    return std::move(*ps);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    g_fs.start(16, 8);
    g_ctx = g_fs.ctx;
    g_tcp = g_fs.tcp;
    g_events = rte_ring_create_elem("fuzz_events", sizeof(imsd::platform::media_event), 1024,
                                    SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
    msrp::relay_params rp;
    rp.max_sessions = 4;
    rp.max_conns = 8;
    rp.max_pending = 16;
    rp.response_timeout_ms = 10000;  // bit 3 of a record moves the clock past it
    rp.out_limit_bytes = 8192;       // small: flow control and interrupts come soon
    rp.max_batched_scans = 3;        // small: batches fill mid-poll
    rp.media_ip_be = inet_addr("198.18.0.1");
    rp.port_first = rp.port_last = msrp_port;
    rp.events = g_events;
    auto r = msrp::relay::create(*g_tcp, rp);
    if (g_events == nullptr || !r) {
        std::abort();
    }
    g_relay = r.release();
    static std::unique_ptr<policy::policy_set> rules = make_rules();
    g_relay->policy = rules.get();
    const char* paths[2][2] = {
        {"msrp://198.18.0.2:40001/alice0000001;tcp", "msrp://198.18.0.2:40002/bob000000001;tcp"},
        {"msrp://198.18.0.2:40003/carol0000001;tcp", "msrp://198.18.0.2:40002/bob000000002;tcp"}};
    for (int s = 0; s < 2; ++s) {
        msrp::session_info info;
        if (!g_relay->create_session(info) ||
            !g_relay->set_remote(info.id, 0, paths[s][0], false) ||
            !g_relay->set_remote(info.id, 1, paths[s][1], false)) {
            std::abort();
        }
        g_uris[2 * s] = info.local_uri[0];
        g_uris[2 * s + 1] = info.local_uri[1];
        if (s == 1) {
            // Session 2 has its SDP's limits: types and size (415, 413).
            g_relay->set_media_policy(info.id, "text/plain message/cpim", "text/plain", 20000);
        } else {
            g_relay->set_report_leg(info.id, 0);  // sent counts asked for (6.1.1.2.2)
        }
    }
    if (std::getenv("IMSD_FUZZ_STATS") != nullptr) {
        // Which of the relay's paths the inputs reached (a check on the seeds).
        std::atexit([] {
            const auto& c = g_relay->cnt;
            std::fprintf(stderr,
                         "relayed %lu, interrupted %lu, blocked %lu, refused 413/415 %lu/%lu, "
                         "timeouts %lu, parse errors %lu, flow paused %lu, aborted %lu, "
                         "scanned batched %lu (block mode %lu)\n",
                         c.requests_relayed, c.chunks_interrupted, c.policy_blocked, c.size_refused,
                         c.type_refused, c.timeouts, c.parse_errors, c.flow_paused,
                         c.chunks_aborted, c.scans_batched, c.scans_block);
        });
    }
    g_peers[0].port = 40001;
    g_peers[1].port = 40002;
    g_peers[2].port = 40003;
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    while (size >= 3) {
        const uint8_t control = data[0];
        const size_t len = std::min<size_t>(size - 3, data[1] | static_cast<size_t>(data[2]) << 8);
        const uint8_t* bytes = data + 3;
        data += 3 + len;
        size -= 3 + len;
        peer& p = g_peers[(control & 3) == 3 ? 0 : control & 3];
        if ((control & 8) != 0) {
            g_ctx->now_tsc += 20 * hz;
        }
        if ((control & 4) != 0) {
            reset(p);
            continue;
        }
        if (!p.open) {
            open_conn(p);
            if (!p.open) {
                continue;
            }
        }
        const std::string s = expand(bytes, len);
        for (size_t at = 0; at < s.size(); at += 1400) {
            const size_t n = std::min<size_t>(1400, s.size() - at);
            send_segment(p, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, s.data() + at, n);
            p.seq += static_cast<uint32_t>(n);
        }
        after_input((control & 16) == 0);
        if ((control & 16) == 0) {
            ack_all();
        }
        if (p.have_ack) {
            // What imsd's window did not take is gone: the stream goes on
            // from where imsd stands.
            p.seq = p.acked;
        }
    }
    for (peer& p : g_peers) {
        reset(p);
    }
    after_input(false);
    for (const auto& t : g_tcp->all()) {
        if (t.in_use) {
            // Every connection was reset at the number imsd expects: none
            // may be left (and the pools' check below relies on it).
            std::fprintf(stderr, "a connection outlived its reset\n");
            std::abort();
        }
    }
    g_fs.check_pools();
    return 0;
}

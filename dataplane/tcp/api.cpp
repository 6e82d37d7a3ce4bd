// The upper-layer API, and the echo / sink services built on it.

#include <rte_random.h>

#include <algorithm>

#include "dataplane/net/rss.hpp"
#include "dataplane/tcp/internal.hpp"

namespace imsd::dp::tcp {

tcp_conn tcp_connect(tcp_stack& s, uint16_t port_index, uint32_t local_ip, uint32_t remote_ip,
                     uint16_t remote_port_be, const tcp_callbacks* cb, void* user) noexcept {
    constexpr uint16_t lo = 32768, hi = 60999;
    tcb* t = nullptr;
    for (uint32_t tries = 0; tries <= hi - lo && t == nullptr; ++tries) {
        const uint16_t port = s.next_ephemeral;
        s.next_ephemeral = port == hi ? lo : static_cast<uint16_t>(port + 1);
        const uint16_t port_be = rte_cpu_to_be_16(port);
        // Only a port whose answers the NIC's RSS steers to this lcore's
        // queue (ARCHITECTURE: both legs of a session on one lcore); on a
        // port without RSS, one the software steering gives this lcore.
        const net::net_port& np = s.net.cfg->ports[port_index];
        const bool ours =
            np.rss.reta_size != 0
                ? net::rx_queue_of(np, remote_ip, local_ip, remote_port_be, port_be) == s.net.queue
                : net::steer_owner(s.net, np, port) == s.net.poller_index;
        if (!ours) {
            ++s.cnt.rss_port_skips;
            continue;
        }
        if (s.lookup(local_ip, port_be, remote_ip, remote_port_be, port_index) != nullptr ||
            s.find_listener(local_ip, port_be) != nullptr) {
            continue;
        }
        t = s.alloc(local_ip, port_be, remote_ip, remote_port_be, port_index);
        if (t == nullptr) {
            ++s.cnt.conn_table_full;
            return tcp_conn{};
        }
    }
    if (t == nullptr) {
        ++s.cnt.no_local_port;
        return tcp_conn{};
    }
    s.set_state(*t, tcp_state::syn_sent);
    t->iss = tcp_seq{static_cast<uint32_t>(rte_rand())};
    t->snd_una = t->iss;
    t->snd_nxt = t->iss + 1;
    t->snd_max = t->snd_nxt;
    t->recover = t->iss;
    t->rcv_wscale = our_wscale;  // offered; dropped if the peer offers none
    t->rto_ms = s.params.rto_initial_ms;
    t->cb = cb;
    t->user = user;
    send_segment(s, *t, t->iss, flag_syn, 0, 0);
    t->rtt_start_tsc = s.net.now_tsc;
    arm_rto(s, *t);
    return s.handle(*t);
}

bool tcp_send(tcp_stack& s, tcp_conn c, rte_mbuf* m, bool more) noexcept {
    tcb& t = s.at(c);
    const uint32_t len = rte_pktmbuf_pkt_len(m);
    if (t.fin_queued || (t.state != tcp_state::established && t.state != tcp_state::close_wait)) {
        return false;
    }
    if (sndq_bytes(t) + len > s.params.snd_buffer_bytes) {
        t.want_writable = true;
        return false;
    }
    if (!queue_append(&t.sndq, &t.sndq_last, m)) {
        t.want_writable = true;
        return false;
    }
    if (!more) {
        tcp_output(s, t);
    }
    return true;
}

uint32_t tcp_send_space(tcp_stack& s, tcp_conn c) noexcept {
    const tcb& t = s.at(c);
    const uint32_t q = sndq_bytes(t);
    return q >= s.params.snd_buffer_bytes ? 0 : s.params.snd_buffer_bytes - q;
}

rte_mbuf* tcp_recv(tcp_stack& s, tcp_conn c) noexcept {
    tcb& t = s.at(c);
    rte_mbuf* m = t.rcvq;
    t.rcvq = nullptr;
    t.rcvq_last = nullptr;
    if (m == nullptr) {
        return nullptr;
    }
    // RFC 9293 3.8.6.2.2: tell the sender when the window opened by at least
    // an MSS or half the buffer since it was last advertised.
    const tcp_seq edge = t.rcv_nxt + rcv_window(s, t);
    const uint32_t opened =
        t.rcv_adv_right == 0 ? 0 : static_cast<uint32_t>(edge - tcp_seq{t.rcv_adv_right});
    if (static_cast<int32_t>(opened) > 0 &&
        (opened >= 2u * t.snd_mss || opened >= s.params.rcv_buffer_bytes / 2)) {
        t.ack_now = true;
        s.defer_ack(t);
    }
    return m;
}

uint32_t tcp_recv_bytes(tcp_stack& s, tcp_conn c) noexcept { return rcvq_bytes(s.at(c)); }

void tcp_flush(tcp_stack& s, tcp_conn c) noexcept {
    tcb& t = s.at(c);
    tcp_output(s, t);
    if (t.in_use && t.ack_now) {
        s.defer_ack(t);
    }
}

void tcp_flush_at_poll_end(tcp_stack& s, tcp_conn c) noexcept { s.defer_flush(s.at(c)); }

void tcp_close(tcp_stack& s, tcp_conn c) noexcept {
    tcb& t = s.at(c);
    switch (t.state) {
        case tcp_state::syn_received:
            s.half_open_leave(t);
            s.set_state(t, tcp_state::fin_wait_1);
            break;
        case tcp_state::established:
            s.set_state(t, tcp_state::fin_wait_1);
            break;
        case tcp_state::close_wait:
            s.set_state(t, tcp_state::last_ack);
            break;
        default:
            return;
    }
    t.fin_queued = true;
    tcp_output(s, t);
}

void tcp_abort(tcp_stack& s, tcp_conn c) noexcept {
    tcb& t = s.at(c);
    if (t.state != tcp_state::syn_sent && t.state != tcp_state::time_wait) {
        send_segment(s, t, t.snd_nxt, flag_rst, 0, 0);
        ++s.cnt.rst_out;
    }
    ++s.cnt.conns_aborted;
    s.release(t, tcp_cause::aborted);
}

void tcp_detach(tcp_stack& s, tcp_conn c) noexcept {
    tcb& t = s.at(c);
    t.cb = nullptr;
    t.user = nullptr;
    t.want_writable = false;
}

tcp_state tcp_state_of(tcp_stack& s, tcp_conn c) noexcept { return s.at(c).state; }

void tcp_drain(tcp_stack& s) noexcept {
    for (auto& t : s.all()) {
        if (t.in_use) {
            s.release(t, tcp_cause::shutdown);
        }
    }
}

// --- echo (RFC 862) and discard (RFC 863) ------------------------------------------------

namespace {

// Echoes what waits; once the peer has closed and everything went back,
// closes too.
void echo_pump(tcp_stack& s, tcp_conn c) {
    const uint32_t waiting = tcp_recv_bytes(s, c);
    if (waiting == 0) {
        if (s.at(c).peer_fin) {
            tcp_close(s, c);
        }
        return;
    }
    // Back-pressure: leave the data (and so the window) until it fits.
    if (tcp_send_space(s, c) < waiting) {
        s.at(c).want_writable = true;
        return;
    }
    rte_mbuf* m = tcp_recv(s, c);
    if (!tcp_send(s, c, m)) {
        rte_pktmbuf_free(m);  // cannot happen: the space was checked
    }
    tcp_flush(s, c);
    if (s.at(c).in_use && s.at(c).peer_fin && tcp_recv_bytes(s, c) == 0) {
        tcp_close(s, c);
    }
}

const tcp_callbacks echo_cb = {
    .on_accept = [](tcp_stack&, tcp_conn, void*, void**) { return true; },
    .on_established = nullptr,
    .on_data = [](tcp_stack& s, tcp_conn c, void*) { echo_pump(s, c); },
    .on_peer_fin = [](tcp_stack& s, tcp_conn c, void*) { echo_pump(s, c); },
    .on_writable = [](tcp_stack& s, tcp_conn c, void*) { echo_pump(s, c); },
    .on_closed = nullptr,
};

const tcp_callbacks sink_cb = {
    .on_accept = [](tcp_stack&, tcp_conn, void*, void**) { return true; },
    .on_established = nullptr,
    .on_data =
        [](tcp_stack& s, tcp_conn c, void*) {
            rte_pktmbuf_free(tcp_recv(s, c));
            tcp_flush(s, c);
        },
    .on_peer_fin = [](tcp_stack& s, tcp_conn c, void*) { tcp_close(s, c); },
    .on_writable = nullptr,
    .on_closed = nullptr,
};

}  // namespace

void fill_pattern(uint8_t* dst, uint64_t offset, uint32_t len) noexcept {
    for (uint32_t i = 0; i < len; ++i) {
        dst[i] = static_cast<uint8_t>((offset + i) * 7 + 3);
    }
}

namespace {

constexpr uint16_t source_chunk = 1448;

void source_pump(tcp_stack& s, tcp_conn c, tcp_stack::source& src) {
    while (src.sent < src.total && tcp_send_space(s, c) >= source_chunk) {
        const uint16_t len =
            static_cast<uint16_t>(std::min<uint64_t>(source_chunk, src.total - src.sent));
        rte_mbuf* m = rte_pktmbuf_alloc(s.net.pool);
        if (m == nullptr) {
            ++s.net.cnt.mbuf_alloc_failed;
            s.at(c).want_writable = true;  // try again when ACKs free mbufs
            return;
        }
        fill_pattern(reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, len)), src.sent, len);
        if (!tcp_send(s, c, m)) {
            rte_pktmbuf_free(m);
            return;
        }
        src.sent += len;
    }
    if (src.sent < src.total) {
        s.at(c).want_writable = true;
    } else {
        tcp_close(s, c);
    }
}

const tcp_callbacks source_cb = {
    .on_accept = nullptr,
    .on_established = [](tcp_stack& s, tcp_conn c,
                         void* u) { source_pump(s, c, *static_cast<tcp_stack::source*>(u)); },
    .on_data =
        [](tcp_stack& s, tcp_conn c, void*) {
            rte_pktmbuf_free(tcp_recv(s, c));
            tcp_flush(s, c);
        },
    .on_peer_fin = nullptr,
    .on_writable = [](tcp_stack& s, tcp_conn c,
                      void* u) { source_pump(s, c, *static_cast<tcp_stack::source*>(u)); },
    .on_closed =
        [](tcp_stack& s, tcp_conn, void* u, tcp_cause why) {
            auto& src = *static_cast<tcp_stack::source*>(u);
            if (why == tcp_cause::closed && src.sent == src.total) {
                ++s.cnt.source_completed;
            } else {
                ++s.cnt.source_failed;
            }
            src = tcp_stack::source{};
        },
};

}  // namespace

bool start_source(tcp_stack& s, uint16_t port_index, uint32_t local_ip, uint32_t remote_ip,
                  uint16_t remote_port_be, uint64_t bytes) noexcept {
    for (auto& src : s.sources) {
        if (src.busy) {
            continue;
        }
        src = tcp_stack::source{true, bytes, 0};
        auto c = tcp_connect(s, port_index, local_ip, remote_ip, remote_port_be, &source_cb, &src);
        if (!c.valid()) {
            src = tcp_stack::source{};
            ++s.cnt.source_failed;
            return false;
        }
        ++s.cnt.source_started;
        return true;
    }
    ++s.cnt.source_failed;  // all max_sources busy
    return false;
}

bool start_echo_service(tcp_stack& s, uint32_t ip_be, uint16_t port_be) {
    return s.listen(ip_be, port_be, &echo_cb, nullptr);
}

bool start_sink_service(tcp_stack& s, uint32_t ip_be, uint16_t port_be) {
    return s.listen(ip_be, port_be, &sink_cb, nullptr);
}

}  // namespace imsd::dp::tcp

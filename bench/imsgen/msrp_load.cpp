#include "bench/imsgen/msrp_load.hpp"

#include <arpa/inet.h>
#include <rte_random.h>

#include <algorithm>
#include <cstring>
#include <string_view>

namespace imsd::bench {

namespace {

using dp::tcp::tcp_conn;
using dp::tcp::tcp_stack;

tcp_stack* g_stack = nullptr;  // the lcore's stack (one imsgen lcore)

// Queues `text` on c as one mbuf chain, to leave with whatever else is
// written before the flush at the poll's end (as bench/ktcp's client writes
// a read's worth of requests at once); false when the send buffer or the
// pool is short (the window is sized so that it never is).
bool send_text(tcp_stack& s, tcp_conn c, std::string_view text) {
    rte_mbuf* head = nullptr;
    rte_mbuf* last = nullptr;
    while (!text.empty()) {
        rte_mbuf* m = rte_pktmbuf_alloc(s.net.pool);
        if (m == nullptr) {
            rte_pktmbuf_free(head);
            return false;
        }
        const auto n = static_cast<uint16_t>(std::min<size_t>(text.size(), 2048));
        std::memcpy(rte_pktmbuf_append(m, n), text.data(), n);
        text.remove_prefix(n);
        if (head == nullptr) {
            head = m;
        } else {
            last->next = m;
            ++head->nb_segs;
            head->pkt_len += n;
        }
        last = m;
    }
    if (head == nullptr || !dp::tcp::tcp_send(s, c, head, true)) {
        rte_pktmbuf_free(head);
        return false;
    }
    return true;
}

void send_request(msrp_load& w) {
    char tid[16];
    const int tl =
        std::snprintf(tid, sizeof(tid), "g%09llu", static_cast<unsigned long long>(w.sent));
    std::string m;
    m.reserve(w.body.size() + 256);
    m += "MSRP ";
    m.append(tid, static_cast<size_t>(tl));
    m += " SEND\r\nTo-Path: " + w.uri_a + "\r\nFrom-Path: " + w.our_uri_a + "\r\nMessage-ID: m" +
         std::to_string(w.sent) + "\r\nByte-Range: 1-" + std::to_string(w.body.size()) + "/" +
         std::to_string(w.body.size()) + "\r\nContent-Type: text/plain\r\n\r\n";
    if (w.body_text.size() > w.body.size()) {
        // Successive slices of the text: each body different, as the scan
        // benchmark's messages are (a repeated body would stay cache-hot).
        const size_t span = w.body_text.size() - w.body.size() + 1;
        m.append(w.body_text, static_cast<size_t>(w.sent * w.body.size()) % span, w.body.size());
    } else {
        m += w.body;
    }
    m += "\r\n-------";
    m.append(tid, static_cast<size_t>(tl));
    m += "$\r\n";
    if (!send_text(*g_stack, w.a.c, m)) {
        ++w.errors;
        return;
    }
    ++w.sent;
}

void feed(msrp_load::leg& l, tcp_stack& s) {
    rte_mbuf* m = dp::tcp::tcp_recv(s, l.c);
    for (rte_mbuf* seg = m; seg != nullptr; seg = seg->next) {
        l.p.feed(std::string_view(rte_pktmbuf_mtod(seg, const char*), seg->data_len), l.sink);
    }
    rte_pktmbuf_free(m);
    // What this poll's input answered leaves at the end of the poll, in as
    // few segments as it fits: as bench/ktcp writes what one read brought
    // (a flush per segment read took imsd 1.28 packets per 256 B message
    // where HAProxy's kernel got 0.95).
    dp::tcp::tcp_flush_at_poll_end(s, l.c);
}

const dp::tcp::tcp_callbacks b_callbacks = {
    .on_accept =
        [](tcp_stack&, tcp_conn c, void* lu, void** user) {
            auto& w = *static_cast<msrp_load*>(lu);
            if (w.b.c.valid()) {
                return false;  // one relay connection expected
            }
            w.b.c = c;
            *user = &w.b;
            return true;
        },
    .on_established = nullptr,
    .on_data = [](tcp_stack& s, tcp_conn, void* u) { feed(*static_cast<msrp_load::leg*>(u), s); },
    .on_peer_fin = [](tcp_stack& s, tcp_conn c, void*) { dp::tcp::tcp_close(s, c); },
    .on_writable = nullptr,
    .on_closed = [](tcp_stack&, tcp_conn, void* u,
                    dp::tcp::tcp_cause) { static_cast<msrp_load::leg*>(u)->c = tcp_conn{}; },
};

const dp::tcp::tcp_callbacks a_callbacks = {
    .on_accept = nullptr,
    .on_established =
        [](tcp_stack& s, tcp_conn, void* u) {
            auto& w = *static_cast<msrp_load::leg*>(u)->w;
            w.start_tsc = s.net.now_tsc;
            for (uint32_t i = 0; i < w.window && w.sent < w.messages; ++i) {
                send_request(w);
            }
            dp::tcp::tcp_flush(s, w.a.c);
        },
    .on_data = [](tcp_stack& s, tcp_conn, void* u) { feed(*static_cast<msrp_load::leg*>(u), s); },
    .on_peer_fin = [](tcp_stack& s, tcp_conn c, void*) { dp::tcp::tcp_close(s, c); },
    .on_writable = nullptr,
    .on_closed =
        [](tcp_stack& s, tcp_conn, void* u, dp::tcp::tcp_cause) {
            auto& l = *static_cast<msrp_load::leg*>(u);
            l.c = tcp_conn{};
            if (!l.w->done.load(std::memory_order_relaxed)) {
                l.w->end_tsc = s.net.now_tsc;
                ++l.w->errors;
                l.w->done.store(true, std::memory_order_release);
            }
        },
};

}  // namespace

void msrp_load::leg::sink_t::on_head(const dp::msrp::head& h) {
    msrp_load& w = *l->w;
    if (l->is_b) {
        if (!h.request) {
            return;
        }
        l->pending_request = true;
        l->tid_len = static_cast<uint8_t>(std::min(h.tid.size(), l->tid.size()));
        std::memcpy(l->tid.data(), h.tid.data(), l->tid_len);
        const auto from = h.find("From-Path").value_or("");
        l->from_len = static_cast<uint8_t>(std::min(from.size(), l->from.size()));
        std::memcpy(l->from.data(), from.data(), l->from_len);
        if (!h.find("Message-ID")) {
            w.b_bound.store(true, std::memory_order_release);  // the binding SEND
        } else {
            ++w.received_b;
        }
        return;
    }
    if (h.request) {
        return;
    }
    if (h.status != 200) {
        ++w.errors;
    }
    ++w.answered;
    if (w.sent < w.messages) {
        send_request(w);  // feed() flushes after the read
    } else if (w.answered >= w.messages && !w.done.load(std::memory_order_relaxed)) {
        w.end_tsc = g_stack->net.now_tsc;
        w.done.store(true, std::memory_order_release);
        dp::tcp::tcp_detach(*g_stack, w.a.c);
        dp::tcp::tcp_close(*g_stack, w.a.c);
    }
}

void msrp_load::leg::sink_t::on_end(char) {
    if (!l->is_b || !l->pending_request) {
        return;
    }
    l->pending_request = false;
    msrp_load& w = *l->w;
    const std::string_view tid(l->tid.data(), l->tid_len);
    std::string r = "MSRP ";
    r += tid;
    r += " 200 OK\r\nTo-Path: ";
    r.append(l->from.data(), l->from_len);
    r += "\r\nFrom-Path: " + w.our_uri_b + "\r\n-------";
    r += tid;
    r += "$\r\n";
    if (!send_text(*g_stack, l->c, r)) {
        ++w.errors;
    }
}

void msrp_load::leg::sink_t::on_error(const dp::msrp::error&) { ++l->w->errors; }

void msrp_listen(tcp_stack& s, void* arg) noexcept {
    auto& w = *static_cast<msrp_load*>(arg);
    g_stack = &s;
    w.a.w = w.b.w = &w;
    w.a.sink.l = &w.a;
    w.b.sink.l = &w.b;
    w.b.is_b = true;
    if (w.body_text.empty()) {
        w.body.assign(w.msg_bytes, 'm');
    } else {
        while (w.body.size() < w.msg_bytes) {
            w.body += w.body_text;
        }
        w.body.resize(w.msg_bytes);
    }
    if (!s.listen(w.local_ip, htons(w.listen_port), &b_callbacks, &w)) {
        ++w.errors;
    }
}

void msrp_start(tcp_stack& s, void* arg) noexcept {
    auto& w = *static_cast<msrp_load*>(arg);
    w.a.c = dp::tcp::tcp_connect(s, w.port_index, w.local_ip, w.imsd_ip, htons(w.imsd_port),
                                 &a_callbacks, &w.a);
    if (!w.a.c.valid()) {
        ++w.errors;
        w.done.store(true, std::memory_order_release);
    }
}

}  // namespace imsd::bench

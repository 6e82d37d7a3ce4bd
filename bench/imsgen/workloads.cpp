#include "bench/imsgen/workloads.hpp"

#include <rte_cycles.h>

#include <algorithm>

namespace imsd::bench {

namespace {

using dp::tcp::tcp_conn;
using dp::tcp::tcp_stack;

void finish_if_idle(workload& w, tcp_stack& s) {
    if (w.live == 0 && !w.done.load(std::memory_order_relaxed)) {
        w.end_tsc = s.net.now_tsc;
        w.done.store(true, std::memory_order_release);
    }
}

void open_slot(tcp_stack& s, workload::slot& sl);

// The slot's exchange is over: the connection closes on its own from here.
void slot_done(tcp_stack& s, workload::slot& sl) {
    workload& w = *sl.w;
    dp::tcp::tcp_close(s, sl.c);
    dp::tcp::tcp_detach(s, sl.c);
    sl.open = false;
    --w.live;
    if (w.what == workload::kind::churn && w.started < w.messages) {
        open_slot(s, sl);
    }
    finish_if_idle(w, s);
}

// Bulk: queue what the send buffer takes (contents unchecked), then FIN.
void bulk_pump(tcp_stack& s, workload::slot& sl) {
    constexpr uint32_t chunk = 1448;
    while (sl.to_send > 0 && dp::tcp::tcp_send_space(s, sl.c) >= chunk) {
        rte_mbuf* m = rte_pktmbuf_alloc(s.net.pool);
        if (m == nullptr) {
            break;
        }
        const auto len = static_cast<uint16_t>(std::min<uint64_t>(chunk, sl.to_send));
        rte_pktmbuf_append(m, len);
        if (!dp::tcp::tcp_send(s, sl.c, m)) {
            rte_pktmbuf_free(m);
            break;
        }
        sl.to_send -= len;
    }
    if (sl.to_send > 0) {
        s.at(sl.c).want_writable = true;
    } else if (!sl.fin_sent) {
        sl.fin_sent = true;
        dp::tcp::tcp_close(s, sl.c);  // FIN after the data
    }
    dp::tcp::tcp_flush(s, sl.c);
}

// One message of the byte pattern (so the echo can be checked).
bool send_message(tcp_stack& s, workload::slot& sl) {
    rte_mbuf* m = rte_pktmbuf_alloc(s.net.pool);
    if (m == nullptr) {
        return false;
    }
    auto* p =
        reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, static_cast<uint16_t>(sl.w->msg_bytes)));
    if (p == nullptr) {
        rte_pktmbuf_free(m);
        return false;
    }
    dp::tcp::fill_pattern(p, 0, sl.w->msg_bytes);
    if (!dp::tcp::tcp_send(s, sl.c, m)) {
        rte_pktmbuf_free(m);
        return false;
    }
    dp::tcp::tcp_flush(s, sl.c);
    return true;
}

void on_established(tcp_stack& s, tcp_conn, void* user) {
    auto& sl = *static_cast<workload::slot*>(user);
    ++sl.w->started;
    if (sl.w->what == workload::kind::bulk) {
        bulk_pump(s, sl);
    } else if (!send_message(s, sl)) {
        dp::tcp::tcp_abort(s, sl.c);
    }
}

void on_data(tcp_stack& s, tcp_conn c, void* user) {
    auto& sl = *static_cast<workload::slot*>(user);
    workload& w = *sl.w;
    rte_mbuf* m = dp::tcp::tcp_recv(s, c);
    if (m == nullptr) {
        return;
    }
    if (w.what == workload::kind::bulk) {  // an echo service's answer: ignored
        rte_pktmbuf_free(m);
        dp::tcp::tcp_flush(s, c);
        return;
    }
    // Check the echoed bytes against the pattern.
    uint8_t expect[64];
    for (rte_mbuf* seg = m; seg != nullptr; seg = seg->next) {
        const auto* b = rte_pktmbuf_mtod(seg, const uint8_t*);
        for (uint32_t i = 0; i < seg->data_len; i += 64) {
            const uint32_t n = std::min<uint32_t>(64, seg->data_len - i);
            dp::tcp::fill_pattern(expect, (sl.got + i) % w.msg_bytes, n);
            for (uint32_t k = 0; k < n; ++k) {
                w.corrupt += b[i + k] != expect[k] ? 1 : 0;
            }
        }
        sl.got += seg->data_len;
    }
    rte_pktmbuf_free(m);
    while (sl.got >= w.msg_bytes) {
        sl.got -= w.msg_bytes;
        ++w.completed;
        if (w.what == workload::kind::churn) {
            slot_done(s, sl);
            return;
        }
        if (w.started < w.messages) {
            ++w.started;
            if (!send_message(s, sl)) {
                dp::tcp::tcp_abort(s, c);
                return;
            }
        } else {
            slot_done(s, sl);
            return;
        }
    }
}

void on_closed(tcp_stack& s, tcp_conn, void* user, dp::tcp::tcp_cause why) {
    // Only connections still attached get here: they ended before their
    // exchange completed.
    auto& sl = *static_cast<workload::slot*>(user);
    workload& w = *sl.w;
    sl.open = false;
    --w.live;
    ++w.failed;
    if (w.what == workload::kind::churn && w.started < w.messages &&
        why != dp::tcp::tcp_cause::shutdown) {
        open_slot(s, sl);
    }
    finish_if_idle(w, s);
}

void on_peer_fin(tcp_stack& s, tcp_conn, void* user) {
    auto& sl = *static_cast<workload::slot*>(user);
    if (sl.w->what == workload::kind::bulk && sl.to_send == 0) {
        ++sl.w->completed;  // the service saw everything and closed
        slot_done(s, sl);
    } else {
        ++sl.w->failed;  // closed early
        slot_done(s, sl);
    }
}

const dp::tcp::tcp_callbacks callbacks = {
    .on_accept = nullptr,
    .on_established = on_established,
    .on_data = on_data,
    .on_peer_fin = on_peer_fin,
    .on_writable = [](tcp_stack& s, tcp_conn,
                      void* user) { bulk_pump(s, *static_cast<workload::slot*>(user)); },
    .on_closed = on_closed,
};

void open_slot(tcp_stack& s, workload::slot& sl) {
    workload& w = *sl.w;
    sl.got = 0;
    sl.fin_sent = false;
    sl.to_send = w.what == workload::kind::bulk ? w.bytes / w.conns : 0;
    sl.c = dp::tcp::tcp_connect(s, w.port_index, w.local_ip, w.remote_ip, w.remote_port_be,
                                &callbacks, &sl);
    if (!sl.c.valid()) {
        ++w.failed;
        return;
    }
    sl.open = true;
    ++w.live;
}

}  // namespace

void start_workload(tcp_stack& s, void* arg) noexcept {
    auto& w = *static_cast<workload*>(arg);
    w.start_tsc = s.net.now_tsc;
    for (auto& sl : w.slots) {
        sl.w = &w;
        open_slot(s, sl);
    }
    finish_if_idle(w, s);
}

}  // namespace imsd::bench

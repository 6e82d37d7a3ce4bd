// The per-lcore connection table, the pool of control blocks, listeners, the
// timer wheel and the TIME-WAIT list.

#include <rte_hash_crc.h>
#include <rte_random.h>

#include <algorithm>
#include <cstring>

#include "dataplane/net/cksum.hpp"
#include "dataplane/tcp/internal.hpp"

namespace imsd::dp::tcp {

namespace {

struct conn_key {
    uint32_t local_ip;
    uint32_t remote_ip;
    uint16_t local_port;
    uint16_t remote_port;
    uint16_t port_index;
    uint16_t zero;
};
static_assert(sizeof(conn_key) == 16);

}  // namespace

const char* state_name(tcp_state s) {
    static const char* names[] = {"CLOSED",      "LISTEN",     "SYN-SENT",   "SYN-RECEIVED",
                                  "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT",
                                  "CLOSING",     "LAST-ACK",   "TIME-WAIT"};
    return names[static_cast<size_t>(s)];
}

const char* cause_name(tcp_cause c) {
    static const char* names[] = {"closed",    "reset by peer", "refused",
                                  "timed out", "aborted",       "shutdown"};
    return names[static_cast<size_t>(c)];
}

std::unique_ptr<tcp_stack> tcp_stack::create(const char* name, const tcp_params& p,
                                             net::net_ctx& net, int socket_id) {
    std::unique_ptr<tcp_stack> s(new tcp_stack(p, net));
    // Carried payload sums (dataplane/net/cksum.hpp); without the field every
    // sum is computed, as before.
    (void)net::data_sum_enable();
    (void)copy_out_enable();
    rte_hash_parameters hp{};
    hp.name = name;
    hp.entries = std::max<uint32_t>(p.max_connections, 8);
    hp.key_len = sizeof(conn_key);
    hp.hash_func = rte_hash_crc;
    hp.socket_id = socket_id;
    s->table_ = rte_hash_create(&hp);
    if (s->table_ == nullptr) {
        return nullptr;
    }
    s->tcbs_.resize(hp.entries);
    s->ack_list_.reserve(hp.entries);
    s->ooo_pool_.resize(p.ooo_pool_entries);
    for (uint32_t i = 0; i < p.ooo_pool_entries; ++i) {
        s->ooo_pool_[i].next = i + 1 < p.ooo_pool_entries ? i + 1 : UINT32_MAX;
    }
    s->ooo_free_ = p.ooo_pool_entries > 0 ? 0 : UINT32_MAX;
    // RFC 6056 3.3.2: a random starting point, then in turn.
    s->next_ephemeral = static_cast<uint16_t>(32768 + rte_rand() % (60999 - 32768 + 1));
    s->wheel_.assign(wheel_slots, UINT32_MAX);
    s->wheel_tick_tsc_ = std::max<uint64_t>(p.tsc_hz / 1000, 1);
    s->ms_div_ = rte_reciprocal_value_u64(s->wheel_tick_tsc_);
    s->wheel_now_tick_ = s->tsc_ms(net.now_tsc);
    return s;
}

void tcp_stack::defer_ack(tcb& t) noexcept {
    if (t.ack_listed) {
        return;
    }
    if (ack_list_.size() == ack_list_.capacity()) {
        send_ack(*this, t);  // (a slot reused within one poll listed twice) at once, never grow
        return;
    }
    t.ack_listed = true;
    ack_list_.push_back(static_cast<uint32_t>(&t - tcbs_.data()));
}

void tcp_stack::defer_flush(tcb& t) noexcept {
    if (t.ack_listed) {
        t.flush_due = true;
        return;
    }
    if (ack_list_.size() == ack_list_.capacity()) {
        tcp_output(*this, t);  // no room to list it: at once, never grow
        return;
    }
    t.flush_due = true;
    t.ack_listed = true;
    ack_list_.push_back(static_cast<uint32_t>(&t - tcbs_.data()));
}

void tcp_stack::flush_acks() noexcept {
    for (const uint32_t i : ack_list_) {
        tcb& t = tcbs_[i];
        if (!t.ack_listed) {
            continue;  // released (and perhaps reused) since
        }
        if (t.flush_due) {
            // Still listed meanwhile, so an ACK tcp_output defers is not
            // listed twice: it goes below if no data carried it.
            t.flush_due = false;
            if (t.in_use) {
                tcp_output(*this, t);
            }
        }
        t.ack_listed = false;
        if (t.in_use && t.ack_now) {
            send_ack(*this, t);  // no data went out to carry it
        }
    }
    ack_list_.clear();
}

tcp_stack::~tcp_stack() {
    tcp_drain(*this);
    rte_hash_free(table_);
}

bool tcp_stack::listen(uint32_t ip_be, uint16_t port_be, const tcp_callbacks* cb, void* user) {
    const uint16_t port = rte_be_to_cpu_16(port_be);
    return listen_range(ip_be, port, port, cb, user);
}

bool tcp_stack::listen_range(uint32_t ip_be, uint16_t first, uint16_t last, const tcp_callbacks* cb,
                             void* user) {
    if (first == 0 || first > last || listeners_.size() >= 64) {
        return false;
    }
    for (const auto& l : listeners_) {
        const bool same_addr = l.ip == 0 || ip_be == 0 || l.ip == ip_be;
        if (same_addr && first <= l.last && l.first <= last) {
            return false;
        }
    }
    listeners_.push_back({ip_be, first, last, cb, user});
    return true;
}

const listener* tcp_stack::find_listener(uint32_t ip, uint16_t port_be) const {
    const uint16_t port = rte_be_to_cpu_16(port_be);
    for (const auto& l : listeners_) {
        if (port >= l.first && port <= l.last && (l.ip == 0 || l.ip == ip)) {
            return &l;
        }
    }
    return nullptr;
}

tcb* tcp_stack::lookup(uint32_t local_ip, uint16_t local_port, uint32_t remote_ip,
                       uint16_t remote_port, uint16_t port_index) {
    conn_key k{local_ip, remote_ip, local_port, remote_port, port_index, 0};
    // The segments of a burst mostly come in runs from one connection: the
    // last one found is tried first (bench_dp_msrp_relay 256 B: the hash
    // lookup was 150 instructions a relayed message).
    if (last_pos_ >= 0 && std::memcmp(&k, last_key_.data(), sizeof(k)) == 0) {
        return &tcbs_[static_cast<size_t>(last_pos_)];
    }
    int32_t pos = rte_hash_lookup(table_, &k);
    if (pos < 0 || static_cast<size_t>(pos) >= tcbs_.size()) {
        return nullptr;
    }
    std::memcpy(last_key_.data(), &k, sizeof(k));
    last_pos_ = pos;
    return &tcbs_[static_cast<size_t>(pos)];
}

tcb* tcp_stack::alloc(uint32_t local_ip, uint16_t local_port, uint32_t remote_ip,
                      uint16_t remote_port, uint16_t port_index) {
    if (used_ >= params.max_connections) {
        return nullptr;
    }
    conn_key k{local_ip, remote_ip, local_port, remote_port, port_index, 0};
    int32_t pos = rte_hash_add_key(table_, &k);
    if (pos < 0 || static_cast<size_t>(pos) >= tcbs_.size()) {
        if (pos >= 0) {
            rte_hash_del_key(table_, &k);
            last_pos_ = -1;
        }
        return nullptr;
    }
    tcb& t = tcbs_[static_cast<size_t>(pos)];
    t = tcb{};
    t.in_use = true;
    ++state_count[static_cast<size_t>(tcp_state::closed)];  // set_state moves it on
    t.local_ip = local_ip;
    t.remote_ip = remote_ip;
    t.local_port = local_port;
    t.remote_port = remote_port;
    t.port_index = port_index;
    ++used_;
    return &t;
}

void tcp_stack::release(tcb& t, tcp_cause why) {
    if (!t.in_use) {
        return;
    }
    timer_cancel(t);
    if (t.state == tcp_state::time_wait) {
        time_wait_leave(t);
    }
    if (t.state == tcp_state::syn_received) {
        half_open_leave(t);
    }
    const tcp_callbacks* cb = t.cb;
    void* user = t.user;
    const tcp_conn c = handle(t);
    t.cb = nullptr;
    if (cb != nullptr && cb->on_closed != nullptr) {
        cb->on_closed(*this, c, user, why);
    }
    rte_pktmbuf_free(t.sndq);
    rte_pktmbuf_free(t.rcvq);
    ooo_clear(t);
    conn_key k{t.local_ip, t.remote_ip, t.local_port, t.remote_port, t.port_index, 0};
    rte_hash_del_key(table_, &k);
    last_pos_ = -1;  // it may have been this one
    --state_count[static_cast<size_t>(t.state)];
    t = tcb{};
    --used_;
    ++cnt.conns_closed;
}

// --- out-of-order segments -----------------------------------------------------------------

tcp_stack::ooo_result tcp_stack::ooo_insert(tcb& t, tcp_seq seq, rte_mbuf* m, bool fin) {
    // Segments after a hole mostly arrive in order: append at the tail.
    uint32_t* link = &t.ooo_head;
    if (t.ooo_tail != UINT32_MAX && seq_gt(seq, ooo_pool_[t.ooo_tail].seq)) {
        link = &ooo_pool_[t.ooo_tail].next;
    } else {
        while (*link != UINT32_MAX && seq_lt(ooo_pool_[*link].seq, seq)) {
            link = &ooo_pool_[*link].next;
        }
        if (*link != UINT32_MAX && ooo_pool_[*link].seq == seq) {
            return ooo_result::duplicate;
        }
    }
    if (t.ooo_count >= params.ooo_max_segs || ooo_free_ == UINT32_MAX) {
        return ooo_result::full;
    }
    const uint32_t idx = ooo_free_;
    ooo_free_ = ooo_pool_[idx].next;
    ooo_pool_[idx] = ooo_entry{seq, m, fin, *link};
    *link = idx;
    if (ooo_pool_[idx].next == UINT32_MAX) {
        t.ooo_tail = idx;
    }
    ++t.ooo_count;
    return ooo_result::kept;
}

void tcp_stack::ooo_pop_front(tcb& t) {
    const uint32_t idx = t.ooo_head;
    if (idx == UINT32_MAX) {
        return;
    }
    t.ooo_head = ooo_pool_[idx].next;
    if (t.ooo_head == UINT32_MAX) {
        t.ooo_tail = UINT32_MAX;
    }
    ooo_pool_[idx].next = ooo_free_;
    ooo_pool_[idx].m = nullptr;
    ooo_free_ = idx;
    --t.ooo_count;
}

void tcp_stack::ooo_clear(tcb& t) {
    while (t.ooo_head != UINT32_MAX) {
        rte_pktmbuf_free(ooo_pool_[t.ooo_head].m);
        ooo_pop_front(t);
    }
}

// --- timer wheel ---------------------------------------------------------------------------

static uint64_t earliest(const tcb& t) {
    uint64_t e = 0;
    for (uint64_t d : {t.rto_at, t.delack_at, t.persist_at, t.tw_at, t.ka_at}) {
        if (d != 0 && (e == 0 || d < e)) {
            e = d;
        }
    }
    return e;
}

void tcp_stack::timer_cancel(tcb& t) {
    if (t.wheel_slot == UINT32_MAX) {
        return;
    }
    if (t.wheel_prev != UINT32_MAX) {
        tcbs_[t.wheel_prev].wheel_next = t.wheel_next;
    } else {
        wheel_[t.wheel_slot] = t.wheel_next;
    }
    if (t.wheel_next != UINT32_MAX) {
        tcbs_[t.wheel_next].wheel_prev = t.wheel_prev;
    }
    t.wheel_slot = t.wheel_next = t.wheel_prev = UINT32_MAX;
}

void tcp_stack::timer_set(tcb& t) {
    timer_cancel(t);
    const uint64_t at = earliest(t);
    if (at == 0) {
        return;
    }
    uint64_t tick = tsc_ms(at + wheel_tick_tsc_ - 1);
    // Never in the past (fires on the next run) and never beyond one lap.
    tick = std::clamp<uint64_t>(tick, wheel_now_tick_ + 1, wheel_now_tick_ + wheel_slots - 1);
    const uint32_t slot = static_cast<uint32_t>(tick % wheel_slots);
    const uint32_t idx = handle(t).index;
    t.wheel_slot = slot;
    t.wheel_prev = UINT32_MAX;
    t.wheel_next = wheel_[slot];
    if (t.wheel_next != UINT32_MAX) {
        tcbs_[t.wheel_next].wheel_prev = idx;
    }
    wheel_[slot] = idx;
}

void tcp_stack::timers_run(uint64_t now_tsc) {
    // Called every poll: most calls fall inside the current 1 ms tick.
    if (now_tsc < next_tick_tsc_) {
        return;
    }
    const uint64_t now_tick = tsc_ms(now_tsc);
    next_tick_tsc_ = (now_tick + 1) * wheel_tick_tsc_;
    // At most one lap per call: a long stall fires everything once.
    uint64_t from = wheel_now_tick_ + 1;
    if (now_tick < from) {
        return;
    }
    if (now_tick - from >= wheel_slots) {
        from = now_tick - wheel_slots + 1;
    }
    wheel_now_tick_ = now_tick;
    for (uint64_t tick = from; tick <= now_tick; ++tick) {
        const uint32_t slot = static_cast<uint32_t>(tick % wheel_slots);
        uint32_t idx = wheel_[slot];
        wheel_[slot] = UINT32_MAX;
        while (idx != UINT32_MAX) {
            tcb& t = tcbs_[idx];
            idx = t.wheel_next;
            t.wheel_slot = t.wheel_next = t.wheel_prev = UINT32_MAX;
            if (!t.in_use) {
                continue;
            }
            const uint64_t e = earliest(t);
            if (e != 0 && e <= now_tsc) {
                on_timers(*this, t, now_tsc);  // may release t
            } else if (e != 0) {
                timer_set(t);  // further out than one lap
            }
        }
    }
}

// --- TIME-WAIT age list: bounded, oldest recycled first -----------------------------------

void tcp_stack::age_push(age_list& l, tcb& t) {
    const uint32_t idx = handle(t).index;
    t.age_prev = l.newest;
    t.age_next = UINT32_MAX;
    if (l.newest != UINT32_MAX) {
        tcbs_[l.newest].age_next = idx;
    } else {
        l.oldest = idx;
    }
    l.newest = idx;
    ++l.count;
}

void tcp_stack::age_remove(age_list& l, tcb& t) {
    if (t.age_prev != UINT32_MAX) {
        tcbs_[t.age_prev].age_next = t.age_next;
    } else {
        l.oldest = t.age_next;
    }
    if (t.age_next != UINT32_MAX) {
        tcbs_[t.age_next].age_prev = t.age_prev;
    } else {
        l.newest = t.age_prev;
    }
    t.age_prev = t.age_next = UINT32_MAX;
    --l.count;
}

void tcp_stack::time_wait_enter(tcb& t) {
    age_push(tw_, t);
    while (tw_.count > params.max_time_wait && tw_.oldest != UINT32_MAX) {
        ++cnt.timewait_recycled;
        release(tcbs_[tw_.oldest], tcp_cause::closed);
    }
}

void tcp_stack::time_wait_leave(tcb& t) { age_remove(tw_, t); }

void tcp_stack::half_open_enter(tcb& t) {
    while (ho_.count >= params.max_half_open && ho_.oldest != UINT32_MAX) {
        // Silently: the oldest is the likeliest spoofed (RFC 4987 3.3).
        ++cnt.syn_evicted;
        release(tcbs_[ho_.oldest], tcp_cause::aborted);
    }
    age_push(ho_, t);
}

void tcp_stack::half_open_leave(tcb& t) { age_remove(ho_, t); }

}  // namespace imsd::dp::tcp

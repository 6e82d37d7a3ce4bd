// TCP input: RFC 9293 3.10.7 "SEGMENT ARRIVES", with RFC 5961 protections,
// RFC 6298 RTT sampling, RFC 5681 / RFC 6582 congestion control.

#include <rte_ether.h>
#include <rte_random.h>

#include <algorithm>

#include "dataplane/net/cksum.hpp"
#include "dataplane/tcp/internal.hpp"

namespace imsd::dp::tcp {

namespace {

struct seg_view {
    tcp_seq seq;
    tcp_seq ack;
    uint8_t flags;
    uint32_t wnd;      // as sent (unscaled)
    uint32_t len;      // payload bytes
    uint32_t seg_len;  // len + SYN + FIN
    uint16_t mss = 0;  // option, 0 when absent
    int16_t wscale = -1;
    bool sack_permitted = false;  // RFC 2018 in a SYN
    bool has_ts = false;          // RFC 7323 timestamps option
    uint32_t tsval = 0;
    uint32_t tsecr = 0;
    uint8_t n_sack = 0;  // RFC 2018 blocks, as sent
    uint32_t sack[4][2] = {};
};

// A timed segment's RTT (no timestamps: one per RTT at most, so a division).
uint32_t tsc_to_us(const tcp_stack& s, uint64_t tsc) {
    return static_cast<uint32_t>(tsc * 1000000 / s.params.tsc_hz);
}

// The options (RFC 9293 3.1, RFC 7323 2.2, RFC 2018 3). False when malformed.
bool parse_options(const uint8_t* o, uint32_t n, seg_view& v) {
    uint32_t i = 0;
    while (i < n) {
        const uint8_t kind = o[i];
        if (kind == 0) {
            break;  // end of option list
        }
        if (kind == 1) {
            ++i;
            continue;
        }
        if (i + 1 >= n || o[i + 1] < 2 || i + o[i + 1] > n) {
            return false;
        }
        const uint8_t len = o[i + 1];
        if (kind == 2 && len == 4) {
            v.mss = static_cast<uint16_t>(o[i + 2] << 8 | o[i + 3]);
        } else if (kind == 3 && len == 3) {
            v.wscale = std::min<int16_t>(o[i + 2], 14);  // RFC 7323 2.3
        } else if (kind == 4 && len == 2) {
            v.sack_permitted = true;
        } else if (kind == 5 && len >= 10 && (len - 2) % 8 == 0) {
            for (uint32_t b = 0; b < (len - 2u) / 8 && v.n_sack < 4; ++b) {
                const uint8_t* q = o + i + 2 + 8 * b;
                v.sack[v.n_sack][0] = static_cast<uint32_t>(q[0]) << 24 |
                                      static_cast<uint32_t>(q[1]) << 16 |
                                      static_cast<uint32_t>(q[2]) << 8 | q[3];
                v.sack[v.n_sack][1] = static_cast<uint32_t>(q[4]) << 24 |
                                      static_cast<uint32_t>(q[5]) << 16 |
                                      static_cast<uint32_t>(q[6]) << 8 | q[7];
                ++v.n_sack;
            }
        } else if (kind == 8 && len == 10) {
            v.has_ts = true;
            v.tsval = static_cast<uint32_t>(o[i + 2]) << 24 |
                      static_cast<uint32_t>(o[i + 3]) << 16 | static_cast<uint32_t>(o[i + 4]) << 8 |
                      o[i + 5];
            v.tsecr = static_cast<uint32_t>(o[i + 6]) << 24 |
                      static_cast<uint32_t>(o[i + 7]) << 16 | static_cast<uint32_t>(o[i + 8]) << 8 |
                      o[i + 9];
        }
        i += len;
    }
    return true;
}

void deliver(tcp_stack& s, tcb& t, rte_mbuf* m) {
    if (!queue_append(&t.rcvq, &t.rcvq_last, m)) {
        ++s.cnt.rcv_queue_full;
        rte_pktmbuf_free(m);
    }
}

// Moves out-of-order segments that rcv_nxt has reached into the receive
// queue, trimming overlaps; true when a queued FIN was reached.
bool ooo_drain(tcp_stack& s, tcb& t, bool& fin) {
    bool moved = false;
    for (auto* e = s.ooo_front(t); e != nullptr && seq_le(e->seq, t.rcv_nxt); e = s.ooo_front(t)) {
        rte_mbuf* m = e->m;
        const tcp_seq seq = e->seq;
        const bool seg_fin = e->fin;
        s.ooo_pop_front(t);
        const uint32_t len = m ? rte_pktmbuf_pkt_len(m) : 0;
        const uint32_t skip = static_cast<uint32_t>(t.rcv_nxt - seq);
        if (skip >= len) {
            rte_pktmbuf_free(m);
            if (seg_fin && skip == len) {
                fin = true;
            }
            continue;
        }
        if (skip > 0) {
            chain_drop_front(&m, skip);
        }
        t.rcv_nxt = t.rcv_nxt + (len - skip);
        s.cnt.bytes_in += len - skip;
        deliver(s, t, m);
        moved = true;
        fin = fin || seg_fin;
    }
    return moved;
}

void ooo_insert(tcp_stack& s, tcb& t, tcp_seq seq, rte_mbuf* m, bool fin) {
    switch (s.ooo_insert(t, seq, m, fin)) {
        case tcp_stack::ooo_result::kept:
            ++s.cnt.ooo_segs_in;
            t.ooo_last = seq;
            return;
        case tcp_stack::ooo_result::duplicate:
            ++s.cnt.dup_segs_in;
            break;
        case tcp_stack::ooo_result::full:
            ++s.cnt.ooo_dropped;
            break;
    }
    rte_pktmbuf_free(m);
}

// RFC 6298 2.2-2.3 from one RTT measurement, in microseconds.
void rtt_sample(tcp_stack& s, tcb& t, uint32_t r) {
    if (t.srtt_us == 0) {
        t.srtt_us = r;
        t.rttvar_us = r / 2;
    } else {
        const uint32_t err = r > t.srtt_us ? r - t.srtt_us : t.srtt_us - r;
        t.rttvar_us = (3 * t.rttvar_us + err) / 4;
        t.srtt_us = (7 * t.srtt_us + r) / 8;
    }
    const uint32_t rto_ms = (t.srtt_us + std::max<uint32_t>(4 * t.rttvar_us, 1000)) / 1000;
    t.rto_ms = std::clamp(rto_ms, s.params.rto_min_ms, s.params.rto_max_ms);
}

void enter_time_wait(tcp_stack& s, tcb& t) {
    s.set_state(t, tcp_state::time_wait);
    t.rto_at = t.persist_at = t.delack_at = t.ka_at = 0;
    t.tw_at = s.net.now_tsc + ms_to_tsc(s, s.params.time_wait_ms);
    s.timer_set(t);
    s.time_wait_enter(t);  // may recycle the oldest, never t itself
}

// RFC 6298 2.2 / RFC 7323 4: the handshake gives the first RTT sample, from
// the echoed timestamp, or from the SYN's send time unless it was
// retransmitted (Karn). Without it the first data would wait out the
// initial 1 s RTO on a loss.
void handshake_rtt(tcp_stack& s, tcb& t, const seg_view& v) {
    if (t.ts_ok && v.has_ts && v.tsecr != 0) {
        const uint32_t rtt_ms = ts_now(s) - v.tsecr;
        if (rtt_ms < 60000) {
            rtt_sample(s, t, rtt_ms * 1000);
        }
    } else if (t.retries == 0 && t.rtt_start_tsc != 0) {
        rtt_sample(s, t, tsc_to_us(s, s.net.now_tsc - t.rtt_start_tsc));
    } else if (t.retries > 0 && t.rto_ms < 3000) {
        // RFC 6298 5.7: the SYN timed out and no sample came: 3 s from here.
        t.rto_ms = 3000;
    }
}

// The acknowledged part of the send queue is gone: data bytes and SYN/FIN.
void ack_advance(tcp_stack& s, tcb& t, tcp_seq ack, const seg_view& v) {
    uint32_t acked = static_cast<uint32_t>(ack - t.snd_una);
    uint32_t data = std::min(acked, sndq_bytes(t));
    if (data > 0) {
        sndq_drop_front(t, data);
    }
    t.snd_una = ack;
    if (seq_lt(t.snd_nxt, t.snd_una)) {
        t.snd_nxt = t.snd_una;
    }
    // RTT: from the echoed timestamp (RFC 7323 4.1, valid across
    // retransmissions), else from the one timed segment (Karn: it was not
    // retransmitted, else timing stopped).
    if (t.ts_ok && v.has_ts && v.tsecr != 0) {
        const uint32_t rtt_ms = ts_now(s) - v.tsecr;
        if (rtt_ms < 60000) {
            rtt_sample(s, t, rtt_ms * 1000);
        }
        t.rtt_timing = false;
    } else if (t.rtt_timing && seq_gt(ack, t.rtt_seq)) {
        rtt_sample(s, t, tsc_to_us(s, s.net.now_tsc - t.rtt_start_tsc));
        t.rtt_timing = false;
    }
    t.retries = 0;
    // RFC 6298 5.2-5.3
    if (t.snd_una == t.snd_max) {
        t.rto_at = 0;
        s.timer_set(t);
    } else {
        arm_rto(s, t);
    }
}

// --- RFC 6675 scoreboard -----------------------------------------------------

uint32_t sacked_bytes(const tcb& t) {
    uint32_t n = 0;
    for (uint8_t i = 0; i < t.n_sacked; ++i) {
        n += t.sacked[i][1] - t.sacked[i][0];
    }
    return n;
}

// Drops what snd_una passed.
void scoreboard_trim(tcb& t) {
    uint8_t k = 0;
    for (uint8_t i = 0; i < t.n_sacked; ++i) {
        auto r = t.sacked[i];
        if (seq_le(tcp_seq{r[1]}, t.snd_una)) {
            continue;
        }
        if (seq_lt(tcp_seq{r[0]}, t.snd_una)) {
            r[0] = t.snd_una.raw;
        }
        t.sacked[k++] = r;
    }
    t.n_sacked = k;
}

// Adds the segment's SACK blocks; true when they covered data not SACKed
// before (what makes an ACK a duplicate in RFC 6675 2).
bool scoreboard_update(tcb& t, const seg_view& v) {
    bool grew = false;
    for (uint8_t b = 0; b < v.n_sack; ++b) {
        tcp_seq l{v.sack[b][0]}, r{v.sack[b][1]};
        // RFC 2018 / 5961: only blocks inside what we sent and not yet acked.
        if (!seq_lt(l, r) || seq_le(r, t.snd_una) || seq_gt(r, t.snd_max)) {
            continue;
        }
        if (seq_lt(l, t.snd_una)) {
            l = t.snd_una;
        }
        const uint32_t before = sacked_bytes(t);
        // Insert in order, then merge neighbours that touch.
        std::array<std::array<uint32_t, 2>, tcb::max_sacked + 1> all{};
        uint8_t n = 0;
        bool placed = false;
        for (uint8_t i = 0; i < t.n_sacked; ++i) {
            if (!placed && seq_lt(l, tcp_seq{t.sacked[i][0]})) {
                all[n++] = {l.raw, r.raw};
                placed = true;
            }
            all[n++] = t.sacked[i];
        }
        if (!placed) {
            all[n++] = {l.raw, r.raw};
        }
        uint8_t k = 0;
        for (uint8_t i = 0; i < n; ++i) {
            if (k > 0 && seq_ge(tcp_seq{all[k - 1][1]}, tcp_seq{all[i][0]})) {
                if (seq_gt(tcp_seq{all[i][1]}, tcp_seq{all[k - 1][1]})) {
                    all[k - 1][1] = all[i][1];
                }
            } else {
                all[k++] = all[i];
            }
        }
        // Keep the lowest ranges: the holes below them are what recovery
        // repairs first.
        t.n_sacked = std::min<uint8_t>(k, tcb::max_sacked);
        for (uint8_t i = 0; i < t.n_sacked; ++i) {
            t.sacked[i] = all[i];
        }
        grew = grew || sacked_bytes(t) > before;
    }
    return grew;
}

// The highest SACKed sequence number (snd_una when none).
tcp_seq high_sacked(const tcb& t) {
    return t.n_sacked == 0 ? t.snd_una : tcp_seq{t.sacked[t.n_sacked - 1][1]};
}

// RFC 6675 4 SetPipe, simplified: every hole below the highest SACKed byte
// counts as lost unless retransmitted in this recovery (then it is in
// flight again); what lies above the highest SACKed byte is in flight.
uint32_t sack_pipe(const tcb& t) {
    const tcp_seq high = high_sacked(t);
    uint32_t pipe = static_cast<uint32_t>(t.snd_max - high);
    tcp_seq at = t.snd_una;
    for (uint8_t i = 0; i <= t.n_sacked; ++i) {
        const tcp_seq hole_end = i < t.n_sacked ? tcp_seq{t.sacked[i][0]} : high;
        if (seq_lt(at, hole_end) && seq_lt(at, t.rexmit_nxt)) {
            const tcp_seq upto = seq_lt(hole_end, t.rexmit_nxt) ? hole_end : t.rexmit_nxt;
            pipe += static_cast<uint32_t>(upto - at);
        }
        if (i < t.n_sacked) {
            at = tcp_seq{t.sacked[i][1]};
        }
    }
    return pipe;
}

// RFC 6675 4 NextSeg (1): the next hole byte at or after rexmit_nxt below
// the highest SACKed byte, and how many bytes to its end; 0 when none.
uint32_t next_hole(const tcb& t, tcp_seq& from) {
    tcp_seq at = seq_lt(t.rexmit_nxt, t.snd_una) ? t.snd_una : t.rexmit_nxt;
    for (uint8_t i = 0; i < t.n_sacked; ++i) {
        const tcp_seq l{t.sacked[i][0]}, r{t.sacked[i][1]};
        if (seq_lt(at, l)) {
            from = at;
            return static_cast<uint32_t>(l - at);
        }
        if (seq_lt(at, r)) {
            at = r;
        }
    }
    return 0;
}

// RFC 6675 5 steps (C): while the pipe leaves room for a segment, send the
// next hole, else new data.
void sack_recovery_send(tcp_stack& s, tcb& t) {
    const uint32_t mss = seg_payload(t);
    for (int guard = 0; guard < 64; ++guard) {
        if (sack_pipe(t) + mss > t.cwnd) {
            return;
        }
        tcp_seq from;
        const uint32_t hole = next_hole(t, from);
        if (hole == 0) {
            // No hole left: new data as the windows allow (tcp_output
            // measures flight as snd_nxt - snd_una, so send here).
            const uint32_t queued = sndq_bytes(t);
            const uint32_t off = static_cast<uint32_t>(t.snd_nxt - t.snd_una);
            if (t.fin_sent || off >= queued || off >= t.snd_wnd) {
                return;
            }
            const uint32_t len = std::min({queued - off, mss, t.snd_wnd - off});
            const bool last = off + len == queued;
            const bool fin = last && t.fin_queued;
            send_segment(s, t, t.snd_nxt, flag_ack | (last ? flag_psh : 0) | (fin ? flag_fin : 0),
                         off, len);
            s.cnt.bytes_out += len;
            t.snd_nxt = t.snd_nxt + len + (fin ? 1u : 0u);
            t.fin_sent = t.fin_sent || fin;
            t.snd_max = seq_max(t.snd_max, t.snd_nxt);
            continue;
        }
        const uint32_t off = static_cast<uint32_t>(from - t.snd_una);
        const uint32_t queued = sndq_bytes(t);
        if (off >= queued) {
            return;  // only the FIN is missing: the RTO resends it
        }
        const uint32_t len = std::min({hole, mss, queued - off});
        send_segment(s, t, from, flag_ack, off, len);
        ++s.cnt.retrans_segs;
        ++s.cnt.sack_rexmit_segs;
        t.rtt_timing = false;  // Karn
        t.rexmit_nxt = from + len;
    }
}

void congestion_on_ack(tcp_stack& s, tcb& t, uint32_t acked, tcp_seq ack) {
    const uint32_t mss = t.snd_mss;
    if (t.in_recovery && t.sack_ok) {
        if (seq_ge(ack, t.recover)) {
            // RFC 6675 5: recovery ends; cwnd is already ssthresh.
            t.in_recovery = false;
            t.cwnd = t.ssthresh;
        } else {
            sack_recovery_send(s, t);  // a partial ACK: more holes, or new data
        }
        t.dupacks = 0;
        return;
    }
    if (t.in_recovery) {
        if (seq_ge(ack, t.recover)) {
            // RFC 6582 3.2 step 3: full acknowledgment, deflate.
            t.in_recovery = false;
            const uint32_t flight = static_cast<uint32_t>(t.snd_max - t.snd_una);
            t.cwnd = std::min(t.ssthresh, std::max(flight, mss) + mss);
        } else {
            // Partial acknowledgment: retransmit the next hole, deflate by
            // what was acked, add back one MSS.
            retransmit_first(s, t);
            t.cwnd = t.cwnd > acked ? t.cwnd - acked + mss : mss;
        }
        t.dupacks = 0;
        return;
    }
    t.dupacks = 0;
    if (t.cwnd < t.ssthresh) {
        t.cwnd += std::min(acked, mss);  // slow start, RFC 5681 3.1 (L = 1 SMSS)
    } else {
        t.cwnd += std::max<uint32_t>(1, mss * mss / t.cwnd);  // congestion avoidance
    }
}

void on_dup_ack(tcp_stack& s, tcb& t) {
    ++s.cnt.dup_acks_in;
    const uint32_t mss = t.snd_mss;
    if (t.sack_ok) {
        // RFC 6675 5: recovery starts on the third duplicate ACK or when
        // more than (DupThresh - 1) * SMSS bytes above snd_una are SACKed.
        ++t.dupacks;
        if (!t.in_recovery && (t.dupacks >= 3 || sacked_bytes(t) > 2 * mss) &&
            (seq_gt(t.snd_una, t.recover) || t.recover == t.iss)) {
            const uint32_t flight = static_cast<uint32_t>(t.snd_max - t.snd_una);
            t.ssthresh = std::max(flight / 2, 2 * mss);
            t.cwnd = t.ssthresh;
            t.recover = t.snd_max;
            t.in_recovery = true;
            t.rexmit_nxt = t.snd_una;
            ++s.cnt.fast_retrans;
            ++s.cnt.sack_recoveries;
            // The first hole goes at once, whatever the pipe (step 4.3).
            tcp_seq from;
            const uint32_t hole = next_hole(t, from);
            const uint32_t queued = sndq_bytes(t);
            const uint32_t len =
                std::min({hole != 0 ? hole : seg_payload(t), seg_payload(t), queued});
            if (len > 0) {
                send_segment(s, t, t.snd_una, flag_ack, 0, len);
                ++s.cnt.retrans_segs;
                ++s.cnt.sack_rexmit_segs;
                t.rtt_timing = false;
                t.rexmit_nxt = t.snd_una + len;
            }
        }
        if (t.in_recovery) {
            sack_recovery_send(s, t);
        }
        return;
    }
    if (t.in_recovery) {
        t.cwnd += mss;  // RFC 6582 3.2 step 4: inflate
        return;
    }
    if (++t.dupacks == 3) {
        // RFC 6582 3.2 step 2 (and the "careful" variant of step 1).
        if (seq_gt(t.snd_una, t.recover) || t.recover == t.iss) {
            const uint32_t flight = static_cast<uint32_t>(t.snd_max - t.snd_una);
            t.ssthresh = std::max(flight / 2, 2 * mss);
            t.recover = t.snd_max;
            t.in_recovery = true;
            ++s.cnt.fast_retrans;
            retransmit_first(s, t);
            t.cwnd = t.ssthresh + 3 * mss;
        }
    }
}

void passive_open(tcp_stack& s, uint16_t port_index, rte_mbuf* m, const rte_ipv4_hdr* ip,
                  const rte_tcp_hdr* th, const seg_view& v) {
    const listener* l = s.find_listener(ip->dst_addr, th->dst_port);
    if (l == nullptr) {
        ++s.cnt.conns_refused;
        send_reset_reply(s, port_index, ip, th, v.seg_len);
        rte_pktmbuf_free(m);
        return;
    }
    if (s.params.max_half_open == 0) {
        ++s.cnt.syn_backlog_full;
        rte_pktmbuf_free(m);
        return;
    }
    tcb* t = s.alloc(ip->dst_addr, th->dst_port, ip->src_addr, th->src_port, port_index);
    if (t == nullptr) {
        ++s.cnt.conn_table_full;
        rte_pktmbuf_free(m);
        return;
    }
    rte_pktmbuf_free(m);
    s.set_state(*t, tcp_state::syn_received);
    s.half_open_enter(*t);  // may evict the oldest half-open connection
    t->irs = v.seq;
    t->rcv_nxt = v.seq + 1;
    t->iss = tcp_seq{static_cast<uint32_t>(rte_rand())};
    t->snd_una = t->iss;
    t->snd_nxt = t->iss + 1;
    t->snd_max = t->snd_nxt;
    t->recover = t->iss;
    const uint16_t our_mss = s.net.cfg->ports[port_index].mtu - 40;
    t->snd_mss = v.mss != 0 ? std::min<uint16_t>(v.mss, our_mss) : 536;  // RFC 9293 3.7.1
    if (v.wscale >= 0) {
        t->wscale_ok = true;
        t->snd_wscale = static_cast<uint8_t>(v.wscale);
        t->rcv_wscale = our_wscale;
    }
    t->snd_wnd = v.wnd;  // unscaled in a SYN
    t->snd_wl1 = v.seq;
    if (v.has_ts) {
        t->ts_ok = true;
        t->ts_recent = v.tsval;
    }
    t->sack_ok = v.sack_permitted;
    t->cwnd = std::min(4 * static_cast<uint32_t>(t->snd_mss),
                       std::max(2 * static_cast<uint32_t>(t->snd_mss), 4380u));  // RFC 5681 3.1
    t->ssthresh = UINT32_MAX;
    t->rto_ms = s.params.rto_initial_ms;
    t->cb = l->cb;
    if (l->cb != nullptr && l->cb->on_accept != nullptr &&
        !l->cb->on_accept(s, s.handle(*t), l->user, &t->user)) {
        t->cb = nullptr;
        send_reset_reply(s, port_index, ip, th, v.seg_len);
        s.release(*t, tcp_cause::aborted);
        return;
    }
    ++s.cnt.conns_accepted;
    send_segment(s, *t, t->iss, flag_syn | flag_ack, 0, 0);
    t->rtt_start_tsc = s.net.now_tsc;
    arm_rto(s, *t);
}

// RFC 9293 3.10.7.3: SYN-SENT.
void syn_sent_input(tcp_stack& s, tcb& t, uint16_t port_index, const rte_ipv4_hdr* ip,
                    const rte_tcp_hdr* th, const seg_view& v) {
    const bool has_ack = (v.flags & flag_ack) != 0;
    // First: the ACK must acknowledge our SYN.
    if (has_ack && (seq_le(v.ack, t.iss) || seq_gt(v.ack, t.snd_max))) {
        if ((v.flags & flag_rst) == 0) {
            send_reset_reply(s, port_index, ip, th, v.seg_len);
        }
        return;
    }
    // Second: RST with an acceptable ACK is "connection refused".
    if ((v.flags & flag_rst) != 0) {
        if (has_ack) {
            ++s.cnt.conns_reset_in;
            s.release(t, tcp_cause::refused);
        }
        return;
    }
    // Fourth: the SYN.
    if ((v.flags & flag_syn) == 0) {
        return;
    }
    t.irs = v.seq;
    t.rcv_nxt = v.seq + 1;
    const uint16_t our_mss = s.net.cfg->ports[port_index].mtu - 40;
    t.snd_mss = v.mss != 0 ? std::min<uint16_t>(v.mss, our_mss) : 536;
    if (v.wscale >= 0) {
        t.wscale_ok = true;
        t.snd_wscale = static_cast<uint8_t>(v.wscale);
    } else {
        t.rcv_wscale = 0;  // RFC 7323 2.2: both sides or neither
    }
    t.snd_wnd = v.wnd;
    t.snd_wl1 = v.seq;
    t.snd_wl2 = v.ack;
    t.ts_ok = v.has_ts;  // we offered; both or neither (RFC 7323 3.2)
    t.sack_ok = v.sack_permitted;
    t.ts_recent = v.tsval;
    t.cwnd = std::min(4 * static_cast<uint32_t>(t.snd_mss),
                      std::max(2 * static_cast<uint32_t>(t.snd_mss), 4380u));
    t.ssthresh = UINT32_MAX;
    if (!has_ack) {
        // Simultaneous open: SYN-RECEIVED, answer with SYN-ACK.
        s.set_state(t, tcp_state::syn_received);
        s.half_open_enter(t);
        send_segment(s, t, t.iss, flag_syn | flag_ack, 0, 0);
        return;
    }
    t.snd_una = v.ack;
    s.set_state(t, tcp_state::established);
    handshake_rtt(s, t, v);
    t.rto_at = 0;
    t.retries = 0;
    s.timer_set(t);
    keepalive_start(s, t);
    ++s.cnt.conns_established;
    send_ack(s, t);
    if (t.cb != nullptr && t.cb->on_established != nullptr) {
        t.cb->on_established(s, s.handle(t), t.user);
    }
}

// The segment's payload alone: headers stripped, padding trimmed.
rte_mbuf* payload_of(rte_mbuf* m, uint32_t hdr_bytes, uint32_t len) {
    rte_pktmbuf_adj(m, static_cast<uint16_t>(hdr_bytes));
    const uint32_t extra = rte_pktmbuf_pkt_len(m) - len;
    if (extra > 0 && rte_pktmbuf_trim(m, static_cast<uint16_t>(extra)) != 0) {
        return nullptr;
    }
    // A sender that gathers (headers in one buffer, payload by reference in
    // the next, as ours does) leaves a first segment with nothing in it.
    if (m->data_len == 0 && m->next != nullptr) {
        rte_mbuf* rest = m->next;
        rest->pkt_len = m->pkt_len;
        rest->nb_segs = static_cast<uint16_t>(m->nb_segs - 1);
        m->next = nullptr;
        m->nb_segs = 1;
        rte_pktmbuf_free(m);
        return rest;
    }
    return m;
}

}  // namespace

void chain_drop_front(rte_mbuf** q, uint32_t n) noexcept {
    rte_mbuf* m = *q;
    while (m != nullptr && n > 0) {
        if (n < m->data_len) {
            rte_pktmbuf_adj(m, static_cast<uint16_t>(n));
            break;
        }
        // Unlink the whole first segment.
        n -= m->data_len;
        rte_mbuf* next = m->next;
        if (next != nullptr) {
            next->pkt_len = m->pkt_len - m->data_len;
            next->nb_segs = static_cast<uint16_t>(m->nb_segs - 1);
        }
        m->next = nullptr;
        m->nb_segs = 1;
        rte_pktmbuf_free(m);
        m = next;
    }
    *q = m;
}

void tcp_input(net::net_ctx& net, uint16_t port_index, rte_mbuf* m, void* ip_hdr,
               uint16_t ihl_bytes) noexcept {
    auto& s = *static_cast<tcp_stack*>(net.tcp);
    auto* ip = static_cast<rte_ipv4_hdr*>(ip_hdr);
    ++s.cnt.segs_in;
    const uint32_t l4_off = sizeof(rte_ether_hdr) + ihl_bytes;
    const uint32_t l4_len = rte_be_to_cpu_16(ip->total_length) - ihl_bytes;
    if (l4_len < sizeof(rte_tcp_hdr) || rte_pktmbuf_data_len(m) < l4_off + sizeof(rte_tcp_hdr)) {
        ++s.cnt.malformed;
        rte_pktmbuf_free(m);
        return;
    }
    auto* th = rte_pktmbuf_mtod_offset(m, rte_tcp_hdr*, l4_off);
    const uint32_t th_len = static_cast<uint32_t>(th->data_off >> 4) * 4;
    if (th_len < sizeof(rte_tcp_hdr) || th_len > l4_len ||
        rte_pktmbuf_data_len(m) < l4_off + th_len) {
        ++s.cnt.malformed;
        rte_pktmbuf_free(m);
        return;
    }
    // Checksum over the pseudo-header and the segment (which may span segments).
    if (l4_off + l4_len > rte_pktmbuf_pkt_len(m)) {
        ++s.cnt.malformed;
        rte_pktmbuf_free(m);
        return;
    }
    // Each segment keeps the sum of its piece: what output reuses when
    // these bytes are sent on by reference (dataplane/net/cksum.hpp). The
    // pseudo-header's sum from the values: rte_ipv4_phdr_cksum built it on
    // the stack and read it back in loads that could not be forwarded from
    // those stores (perf annotate: 16% of tcp_input's samples).
    const uint16_t sum = net::sum_add(
        net::raw_sum_mbuf_noting(m, l4_off, l4_len),
        net::ipv4_phdr_sum(ip->src_addr, ip->dst_addr, IPPROTO_TCP, static_cast<uint16_t>(l4_len)));
    if (sum != 0xffff) {
        ++s.cnt.checksum_bad;
        rte_pktmbuf_free(m);
        return;
    }
    seg_view v;
    v.seq = tcp_seq{rte_be_to_cpu_32(th->sent_seq)};
    v.ack = tcp_seq{rte_be_to_cpu_32(th->recv_ack)};
    v.flags = th->tcp_flags;
    v.wnd = rte_be_to_cpu_16(th->rx_win);
    v.len = l4_len - th_len;
    v.seg_len = v.len + ((v.flags & flag_syn) ? 1 : 0) + ((v.flags & flag_fin) ? 1 : 0);
    if (!parse_options(reinterpret_cast<const uint8_t*>(th + 1), th_len - sizeof(rte_tcp_hdr), v)) {
        ++s.cnt.malformed;
        rte_pktmbuf_free(m);
        return;
    }

    tcb* t = s.lookup(ip->dst_addr, th->dst_port, ip->src_addr, th->src_port, port_index);
    if (t == nullptr) {
        // RFC 9293 3.10.7.1 (CLOSED) and 3.10.7.2 (LISTEN).
        if ((v.flags & flag_rst) != 0) {
            rte_pktmbuf_free(m);
            return;
        }
        if ((v.flags & (flag_syn | flag_ack)) == flag_syn) {
            passive_open(s, port_index, m, ip, th, v);
            return;
        }
        ++s.cnt.no_conn;
        send_reset_reply(s, port_index, ip, th, v.seg_len);
        rte_pktmbuf_free(m);
        return;
    }

    if (t->state == tcp_state::syn_sent) {
        syn_sent_input(s, *t, port_index, ip, th, v);
        rte_pktmbuf_free(m);
        return;
    }

    // --- synchronized states (RFC 9293 3.10.7.4) -------------------------------------------
    // RFC 7323 5.3 R1 (PAWS): a timestamp older than TS.Recent marks an old
    // duplicate: not acceptable.
    if (t->ts_ok && v.has_ts && (v.flags & flag_rst) == 0 &&
        static_cast<int32_t>(v.tsval - t->ts_recent) < 0) {
        ++s.cnt.paws_rejected;
        send_ack(s, *t);
        rte_pktmbuf_free(m);
        return;
    }
    // First: check the sequence number.
    const uint32_t wnd = rcv_window(s, *t);
    bool acceptable;
    if (v.seg_len == 0) {
        acceptable = wnd == 0 ? v.seq == t->rcv_nxt : seq_in(v.seq, t->rcv_nxt, t->rcv_nxt + wnd);
    } else {
        acceptable = wnd != 0 && (seq_in(v.seq, t->rcv_nxt, t->rcv_nxt + wnd) ||
                                  seq_in(v.seq + (v.seg_len - 1), t->rcv_nxt, t->rcv_nxt + wnd));
    }
    // A retransmitted segment partly before rcv_nxt is acceptable for the new part.
    if (!acceptable && v.seg_len > 0 && seq_lt(v.seq, t->rcv_nxt) &&
        seq_gt(v.seq + v.seg_len, t->rcv_nxt) && wnd != 0) {
        acceptable = true;
    }
    if (!acceptable) {
        if ((v.flags & flag_rst) == 0) {
            if (seq_lt(v.seq, t->rcv_nxt)) {
                ++s.cnt.dup_segs_in;
            } else {
                ++s.cnt.out_of_window;
            }
            send_ack(s, *t);
        }
        rte_pktmbuf_free(m);
        return;
    }
    // Any acceptable segment shows the peer alive (keepalive).
    t->last_rx_tsc = s.net.now_tsc;
    if (t->ka_probes != 0) {
        t->ka_probes = 0;
        t->ka_at = s.net.now_tsc + s.tsc_per_ms() * s.params.keepalive_idle_ms;
        s.timer_set(*t);
    }
    // RFC 7323 4.3 (R3): remember the timestamp to echo.
    if (t->ts_ok && v.has_ts && seq_le(v.seq, t->rcv_nxt) &&
        static_cast<int32_t>(v.tsval - t->ts_recent) >= 0) {
        t->ts_recent = v.tsval;
    }
    // Second: the RST bit, RFC 5961 3.2.
    if ((v.flags & flag_rst) != 0) {
        rte_pktmbuf_free(m);
        if (v.seq == t->rcv_nxt) {
            ++s.cnt.conns_reset_in;
            s.release(*t, tcp_cause::reset_by_peer);
        } else {
            ++s.cnt.challenge_acks;
            send_ack(s, *t);
        }
        return;
    }
    // Fourth: a SYN in a synchronized state, RFC 5961 4.2: challenge ACK.
    if ((v.flags & flag_syn) != 0) {
        ++s.cnt.challenge_acks;
        send_ack(s, *t);
        rte_pktmbuf_free(m);
        return;
    }
    // Fifth: the ACK field.
    if ((v.flags & flag_ack) == 0) {
        rte_pktmbuf_free(m);
        return;
    }
    if (t->state == tcp_state::syn_received) {
        if (seq_gt(v.ack, t->snd_una) && seq_le(v.ack, t->snd_max)) {
            s.set_state(*t, tcp_state::established);
            s.half_open_leave(*t);
            ++s.cnt.conns_established;
            t->snd_una = v.ack;
            t->snd_wnd = v.wnd << t->snd_wscale;
            t->snd_wl1 = v.seq;
            t->snd_wl2 = v.ack;
            handshake_rtt(s, *t, v);
            t->rto_at = 0;
            t->retries = 0;
            s.timer_set(*t);
            keepalive_start(s, *t);
            if (t->cb != nullptr && t->cb->on_established != nullptr) {
                t->cb->on_established(s, s.handle(*t), t->user);
            }
            if (!t->in_use) {
                rte_pktmbuf_free(m);
                return;
            }
        } else {
            send_reset_reply(s, port_index, ip, th, v.seg_len);
            rte_pktmbuf_free(m);
            return;
        }
    } else {
        // RFC 5961 5.2: an ACK for data never sent gets an ACK back.
        if (seq_gt(v.ack, t->snd_max)) {
            send_ack(s, *t);
            rte_pktmbuf_free(m);
            return;
        }
        const uint32_t old_wnd = t->snd_wnd;
        const bool new_sack = t->sack_ok && v.n_sack > 0 && scoreboard_update(*t, v);
        if (seq_gt(v.ack, t->snd_una)) {
            const uint32_t acked = static_cast<uint32_t>(v.ack - t->snd_una);
            ack_advance(s, *t, v.ack, v);
            scoreboard_trim(*t);
            congestion_on_ack(s, *t, acked, v.ack);
            if (t->want_writable && sndq_bytes(*t) < s.params.snd_buffer_bytes) {
                t->want_writable = false;
                if (t->cb != nullptr && t->cb->on_writable != nullptr) {
                    t->cb->on_writable(s, s.handle(*t), t->user);
                    if (!t->in_use) {
                        rte_pktmbuf_free(m);
                        return;
                    }
                }
            }
        } else if (v.ack == t->snd_una && v.seg_len == 0 && t->snd_max != t->snd_una &&
                   ((v.wnd << t->snd_wscale) == old_wnd || new_sack)) {
            on_dup_ack(s, *t);  // RFC 5681 2 / RFC 6675 2 (new SACK information)
        }
        // Window update (RFC 9293 3.10.7.4, fifth, ESTABLISHED).
        if (seq_lt(t->snd_wl1, v.seq) || (t->snd_wl1 == v.seq && seq_le(t->snd_wl2, v.ack))) {
            t->snd_wnd = v.wnd << t->snd_wscale;
            t->snd_wl1 = v.seq;
            t->snd_wl2 = v.ack;
            if (t->snd_wnd > 0 && t->persist_at != 0) {
                t->persist_at = 0;
                s.timer_set(*t);
            }
        }
        const bool fin_acked = t->fin_sent && t->snd_una == t->snd_max;
        switch (t->state) {
            case tcp_state::fin_wait_1:
                if (fin_acked) {
                    s.set_state(*t, tcp_state::fin_wait_2);
                }
                break;
            case tcp_state::closing:
                if (fin_acked) {
                    enter_time_wait(s, *t);
                }
                break;
            case tcp_state::last_ack:
                if (fin_acked) {
                    rte_pktmbuf_free(m);
                    s.release(*t, tcp_cause::closed);
                    return;
                }
                break;
            case tcp_state::time_wait:
                // A retransmitted FIN: acknowledge, restart the 2 MSL timeout.
                if ((v.flags & flag_fin) != 0) {
                    t->tw_at = s.net.now_tsc + ms_to_tsc(s, s.params.time_wait_ms);
                    s.timer_set(*t);
                    send_ack(s, *t);
                }
                rte_pktmbuf_free(m);
                return;
            default:
                break;
        }
    }

    // Seventh: the segment text.
    bool fin = (v.flags & flag_fin) != 0;
    const bool can_receive = t->state == tcp_state::established ||
                             t->state == tcp_state::fin_wait_1 || t->state == tcp_state::fin_wait_2;
    bool delivered = false;
    if (v.len > 0 && can_receive) {
        rte_mbuf* p = payload_of(m, l4_off + th_len, v.len);
        m = nullptr;
        if (p == nullptr) {
            ++s.cnt.malformed;
        } else if (seq_gt(v.seq, t->rcv_nxt)) {
            // A hole before it: keep it, and tell the sender at once (RFC 5681 4.2).
            ooo_insert(s, *t, v.seq, p, fin);
            fin = false;
            t->ack_now = true;
        } else {
            const uint32_t skip = static_cast<uint32_t>(t->rcv_nxt - v.seq);
            if (skip > 0) {
                chain_drop_front(&p, skip);
            }
            uint32_t len = v.len - skip;
            const uint32_t room = rcv_window(s, *t);
            if (len > room) {
                // Beyond the window we offered: keep what fits.
                ++s.cnt.rcv_queue_full;
                if (room == 0 || rte_pktmbuf_trim(p, static_cast<uint16_t>(len - room)) != 0) {
                    rte_pktmbuf_free(p);
                    p = nullptr;
                    len = 0;
                } else {
                    len = room;
                }
                fin = false;
            }
            if (p != nullptr) {
                t->rcv_nxt = t->rcv_nxt + len;
                s.cnt.bytes_in += len;
                deliver(s, *t, p);
                delivered = true;
                const bool had_ooo = t->ooo_head != UINT32_MAX;
                bool ooo_fin = false;
                if (had_ooo) {
                    ooo_drain(s, *t, ooo_fin);
                    t->ack_now = true;  // a hole filled: ACK at once
                }
                fin = fin || ooo_fin;
                // RFC 5681 4.2: ACK at least every second full-sized segment.
                if (++t->segs_since_ack >= 2) {
                    t->ack_now = true;
                } else if (t->delack_at == 0) {
                    t->delack_at = s.net.now_tsc + ms_to_tsc(s, s.params.delack_ms);
                    s.timer_set(*t);
                }
            }
        }
    }
    if (m != nullptr) {
        rte_pktmbuf_free(m);
    }
    // Eighth: the FIN bit, once everything before it has arrived.
    if (fin && can_receive && seq_ge(t->rcv_nxt, v.seq + v.len) && !t->peer_fin) {
        t->rcv_nxt = t->rcv_nxt + 1;
        t->peer_fin = true;
        t->ack_now = true;
        switch (t->state) {
            case tcp_state::established:
                s.set_state(*t, tcp_state::close_wait);
                break;
            case tcp_state::fin_wait_1:
                if (t->fin_sent && t->snd_una == t->snd_max) {
                    enter_time_wait(s, *t);
                } else {
                    s.set_state(*t, tcp_state::closing);
                }
                break;
            case tcp_state::fin_wait_2:
                enter_time_wait(s, *t);
                break;
            default:
                break;
        }
    }
    if (delivered && t->cb != nullptr && t->cb->on_data != nullptr) {
        t->cb->on_data(s, s.handle(*t), t->user);
        if (!t->in_use) {
            return;
        }
    }
    if (t->peer_fin && fin && t->cb != nullptr && t->cb->on_peer_fin != nullptr) {
        t->cb->on_peer_fin(s, s.handle(*t), t->user);
        if (!t->in_use) {
            return;
        }
    }
    if (!t->flush_due) {
        tcp_output(s, *t);  // else at the poll's end (tcp_flush_at_poll_end)
    }
    if (t->ack_now) {
        s.defer_ack(*t);  // by the end of the poll, unless data carries it first
    }
}

}  // namespace imsd::dp::tcp

// TCP timers: retransmission (RFC 6298), delayed ACK (RFC 9293 3.8.6.3),
// persist (zero-window probes, RFC 9293 3.8.6.1), TIME-WAIT.

#include <algorithm>

#include "dataplane/tcp/internal.hpp"

namespace imsd::dp::tcp {

void keepalive_start(tcp_stack& s, tcb& t) noexcept {
    if (s.params.keepalive_idle_ms == 0) {
        return;
    }
    t.last_rx_tsc = s.net.now_tsc;
    t.ka_at = s.net.now_tsc + s.tsc_per_ms() * s.params.keepalive_idle_ms;
    s.timer_set(t);
}

void on_timers(tcp_stack& s, tcb& t, uint64_t now) noexcept {
    const uint64_t ms = s.tsc_per_ms();
    if (t.tw_at != 0 && t.tw_at <= now) {
        s.release(t, tcp_cause::closed);
        return;
    }
    if (t.rto_at != 0 && t.rto_at <= now) {
        t.rto_at = 0;
        ++s.cnt.rto_expired;
        const bool handshake = t.state == tcp_state::syn_received || t.state == tcp_state::syn_sent;
        if (++t.retries > (handshake ? s.params.syn_retries : s.params.max_retries)) {
            ++s.cnt.conns_aborted;
            if (!handshake) {
                send_segment(s, t, t.snd_nxt, flag_rst, 0, 0);
                ++s.cnt.rst_out;
            }
            s.release(t, tcp_cause::timed_out);
            return;
        }
        // RFC 6298 5.5-5.7 and RFC 5681 3.1 (loss window), go back to snd_una.
        const uint32_t flight = static_cast<uint32_t>(t.snd_max - t.snd_una);
        t.ssthresh = std::max(flight / 2, 2u * t.snd_mss);
        t.cwnd = t.snd_mss;
        t.in_recovery = false;
        t.dupacks = 0;
        t.recover = t.snd_max;
        t.n_sacked = 0;        // RFC 2018 8: the receiver may have reneged
        t.rtt_timing = false;  // Karn
        t.rto_ms = std::min(t.rto_ms * 2, s.params.rto_max_ms);
        retransmit_first(s, t);
        if (!handshake) {
            const uint32_t first = std::min<uint32_t>(sndq_bytes(t), seg_payload(t));
            const bool fin_too = t.fin_sent && first == sndq_bytes(t);
            t.snd_nxt = t.snd_una + first + (fin_too ? 1u : 0u);
        }
        arm_rto(s, t);
    }
    if (t.persist_at != 0 && t.persist_at <= now) {
        // A probe the receiver must answer with its window: an ACK one byte
        // behind snd_una (as Linux sends it).
        ++s.cnt.zero_window_probes;
        send_segment(s, t, t.snd_una - 1, flag_ack, 0, 0);
        const uint32_t backoff =
            std::min(s.params.rto_max_ms, t.rto_ms << std::min<uint8_t>(t.retries, 6));
        t.persist_at = t.snd_wnd == 0 ? now + ms * backoff : 0;
        t.retries = static_cast<uint8_t>(std::min<uint32_t>(t.retries + 1, 6));
    }
    if (t.ka_at != 0 && t.ka_at <= now) {
        // RFC 1122 4.2.3.6. Re-armed lazily: segments only stamp last_rx_tsc.
        const uint64_t idle = ms * s.params.keepalive_idle_ms;
        if (now - t.last_rx_tsc < idle && t.ka_probes == 0) {
            t.ka_at = t.last_rx_tsc + idle;
        } else if (t.ka_probes >= s.params.keepalive_probes) {
            ++s.cnt.keepalive_timeouts;
            ++s.cnt.conns_aborted;
            send_segment(s, t, t.snd_nxt, flag_rst, 0, 0);
            ++s.cnt.rst_out;
            s.release(t, tcp_cause::timed_out);
            return;
        } else {
            // A segment the peer must answer: one byte behind snd_una.
            ++t.ka_probes;
            ++s.cnt.keepalive_probes;
            send_segment(s, t, t.snd_una - 1, flag_ack, 0, 0);
            t.ka_at = now + ms * s.params.keepalive_interval_ms;
        }
    }
    if (t.delack_at != 0 && t.delack_at <= now) {
        t.delack_at = 0;
        send_ack(s, t);
    }
    s.timer_set(t);
}

}  // namespace imsd::dp::tcp

#pragma once

// Internal to dataplane/tcp: what input, output, timers and the API share.

#include <rte_ip.h>
#include <rte_tcp.h>

#include "dataplane/tcp/tcp.hpp"

namespace imsd::dp::tcp {

inline constexpr uint8_t flag_fin = RTE_TCP_FIN_FLAG;
inline constexpr uint8_t flag_syn = RTE_TCP_SYN_FLAG;
inline constexpr uint8_t flag_rst = RTE_TCP_RST_FLAG;
inline constexpr uint8_t flag_psh = RTE_TCP_PSH_FLAG;
inline constexpr uint8_t flag_ack = RTE_TCP_ACK_FLAG;

inline constexpr uint8_t our_wscale = 7;  // RFC 7323: up to 8 MiB windows

// Registers the mbuf flag of mark_copy_out (idempotent); false: none, and
// nothing is marked. Control thread.
bool copy_out_enable() noexcept;
// The flag's bit in ol_flags; 0 until registered.
extern uint64_t g_copy_out_flag;

// Starts keepalive on a connection that just became established (when on).
void keepalive_start(tcp_stack& s, tcb& t) noexcept;

// Runs the expired timers of t (RTO, delayed ACK, persist, TIME-WAIT).
void on_timers(tcp_stack& s, tcb& t, uint64_t now_tsc) noexcept;

// Sends what the windows allow (new data, FIN) and a pending ACK.
void tcp_output(tcp_stack& s, tcb& t) noexcept;
// Sends one segment of t: `seq`, flags, `len` payload bytes taken from the
// send queue at `data_off` (bytes after snd_una).
void send_segment(tcp_stack& s, tcb& t, tcp_seq seq, uint8_t flags, uint32_t data_off,
                  uint32_t len) noexcept;
void send_ack(tcp_stack& s, tcb& t) noexcept;
// A RST (or RST+ACK) for a segment that has no connection: RFC 9293 3.10.7.1.
void send_reset_reply(tcp_stack& s, uint16_t port_index, const rte_ipv4_hdr* ip,
                      const rte_tcp_hdr* th, uint32_t seg_len) noexcept;
// Retransmits from snd_una (the first unacknowledged segment, or SYN / FIN).
void retransmit_first(tcp_stack& s, tcb& t) noexcept;

// Bytes of in-order data waiting for the user.
inline uint32_t rcvq_bytes(const tcb& t) { return t.rcvq ? rte_pktmbuf_pkt_len(t.rcvq) : 0; }
inline uint32_t sndq_bytes(const tcb& t) { return t.sndq ? rte_pktmbuf_pkt_len(t.sndq) : 0; }
// The window we can offer now.
uint32_t rcv_window(const tcp_stack& s, const tcb& t) noexcept;
// The sequence number just past the queued data (where FIN goes).
inline tcp_seq data_end(const tcb& t) {
    const bool syn_unacked = t.state == tcp_state::syn_sent || t.state == tcp_state::syn_received;
    return t.snd_una + (syn_unacked ? 1u : 0u) + sndq_bytes(t);
}

void arm_rto(tcp_stack& s, tcb& t) noexcept;
// Our RFC 7323 timestamp clock: milliseconds.
// A deadline `ms` from now, in TSC cycles.
inline uint64_t ms_to_tsc(const tcp_stack& s, uint64_t ms) { return s.tsc_per_ms() * ms; }
inline uint32_t ts_now(const tcp_stack& s) {
    return static_cast<uint32_t>(s.tsc_ms(s.net.now_tsc));
}
inline constexpr uint16_t ts_opt_bytes = 12;  // NOP, NOP, kind 8, length 10
// Payload bytes per segment: the MSS less the options every segment carries
// and room for SACK blocks (which may ride on data segments too).
inline uint32_t seg_payload(const tcb& t) {
    return t.snd_mss - (t.ts_ok ? ts_opt_bytes : 0) - (t.sack_ok ? (t.ts_ok ? 28 : 36) : 0);
}
// Appends packet m to the queue *head whose last segment is *last, in O(1).
// False (nothing changed) when the segment count would overflow.
bool queue_append(rte_mbuf** head, rte_mbuf** last, rte_mbuf* m) noexcept;
// Drops n acknowledged bytes from the front of the send queue, keeping the
// read cursor and the last-segment pointer right.
void sndq_drop_front(tcb& t, uint32_t n) noexcept;
// Appends len bytes at offset off of the send queue to the packet head: by
// reference (indirect mbufs from the clone pool) or, for short slices or
// when that pool is empty, by copy. False when mbufs ran out.
bool sndq_attach(tcp_stack& s, tcb& t, rte_mbuf* head, uint32_t off, uint32_t len) noexcept;
// Takes `n` bytes from the front of the chain *q (freeing whole segments).
void chain_drop_front(rte_mbuf** q, uint32_t n) noexcept;

}  // namespace imsd::dp::tcp

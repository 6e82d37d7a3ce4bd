#pragma once

// Per-lcore TCP counters, one X-macro list (names shown by imsctl show tcp and
// telemetry). Connection-state gauges are computed from the table on read.

#include <array>
#include <cstdint>
#include <string_view>

#include "platform/stats/counter_list.hpp"

#define IMSD_DP_TCP_COUNTERS(_)                                                                    \
    _(segs_in, info, "segments received")                                                          \
    _(segs_out, info, "segments sent")                                                             \
    _(acks_out, info, "pure ACKs sent (no payload, SYN or FIN)")                                   \
    _(bytes_in, info, "payload bytes received in order")                                           \
    _(bytes_out, info, "payload bytes sent (first transmissions)")                                 \
    _(retrans_segs, info, "segments retransmitted")                                                \
    _(rto_expired, info, "retransmission timeouts")                                                \
    _(fast_retrans, info, "fast retransmits on three duplicate ACKs")                              \
    _(dup_acks_in, info, "duplicate ACKs received")                                                \
    _(sack_recoveries, info, "loss recoveries driven by the peer's SACK blocks (RFC 6675)")        \
    _(sack_rexmit_segs, info, "holes retransmitted by SACK recovery")                              \
    _(dup_segs_in, info, "segments entirely already received")                                     \
    _(ooo_segs_in, info, "segments received out of order and kept")                                \
    _(ooo_dropped, drop, "out-of-order segments dropped: reassembly queue full")                   \
    _(conns_accepted, info, "connections accepted (passive open)")                                 \
    _(conns_established, info, "connections that reached ESTABLISHED")                             \
    _(conns_closed, info, "connections closed and freed")                                          \
    _(conns_reset_in, info, "connections reset by the peer")                                       \
    _(conns_aborted, info, "connections aborted (retries exhausted, user abort)")                  \
    _(conns_refused, info, "SYNs to a port with no listener, answered with RST")                   \
    _(conn_table_full, drop, "SYNs dropped: connection limit reached")                             \
    _(no_local_port, drop, "active opens failed: no ephemeral port free for the remote")           \
    _(rss_port_skips, info, "ephemeral ports passed over: RSS steers them to another lcore")       \
    _(syn_backlog_full, drop, "SYNs dropped: no half-open connections allowed (limit 0)")          \
    _(syn_evicted, drop, "half-open connections evicted, oldest first, by a new SYN (limit)")      \
    _(timewait_recycled, info, "TIME-WAIT connections freed early: TIME-WAIT limit reached")       \
    _(rst_out, info, "RST segments sent")                                                          \
    _(challenge_acks, info, "challenge ACKs sent (RFC 5961)")                                      \
    _(checksum_bad, drop, "segments with a bad TCP checksum")                                      \
    _(malformed, drop, "segments with a bad header length or options")                             \
    _(out_of_window, drop, "segments outside the receive window (answered with ACK)")              \
    _(no_conn, drop, "segments for no connection (answered with RST)")                             \
    _(paws_rejected, drop, "segments with an old timestamp (RFC 7323 PAWS), answered with ACK")    \
    _(rcv_queue_full, drop, "payload dropped: receive buffer full")                                \
    _(zc_fallback_copies, info, "payload slices copied: no indirect mbuf free (zero copy)")        \
    _(tx_sum_carried_bytes, info, "payload bytes sent whose checksum came with them, not re-read") \
    _(zero_window_probes, info, "zero-window probes sent")                                         \
    _(keepalive_probes, info, "keepalive probes sent")                                             \
    _(keepalive_timeouts, info, "connections aborted: keepalive probes unanswered")                \
    _(source_started, info, "source connections started (imsctl tcp source)")                      \
    _(source_completed, info, "source connections that sent everything and closed")                \
    _(source_failed, info, "source connections that ended before sending everything")

namespace imsd::dp::tcp {

using platform::counter_info;
using platform::counter_kind;

IMSD_DEFINE_COUNTERS(IMSD_DP_TCP_COUNTERS)

}  // namespace imsd::dp::tcp

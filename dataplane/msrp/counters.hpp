#pragma once

// Per-lcore MSRP relay counters, one X-macro list (imsctl show msrp stats,
// telemetry /imsd/stats).

#include <array>
#include <cstdint>

#include "platform/stats/counter_list.hpp"

#define IMSD_DP_MSRP_COUNTERS(_)                                                                   \
    _(sessions_created, info, "relay sessions created")                                            \
    _(sessions_released, info, "relay sessions released")                                          \
    _(sessions_full, drop, "session creations refused: the session table is full")                 \
    _(conns_accepted, info, "MSRP connections accepted")                                           \
    _(conns_opened, info, "MSRP connections opened by imsd (active legs)")                         \
    _(conns_bound, info, "connections bound to a session by the To-Path of a request")             \
    _(conns_closed, info, "MSRP connections closed")                                               \
    _(conns_full, drop, "MSRP connections refused: the connection table is full")                  \
    _(out_shared_allocs, info,                                                                     \
      "buffers the relay wrote into from the shared pool: its own (dataplane/msrp/out-mbufs) "     \
      "was empty")                                                                                 \
    _(conns_shared, info, "session legs that reused a connection imsd had open to their next hop") \
    _(requests_relayed, info, "SEND requests relayed to the other leg")                            \
    _(reports_relayed, info, "REPORT requests relayed to the other leg")                           \
    _(body_bytes_relayed, info, "body bytes relayed")                                              \
    _(chunks_aborted, info, "chunks ending in # relayed (message aborted)")                        \
    _(responses_relayed, info, "responses translated back to the sender's transaction")            \
    _(unknown_session, drop, "requests naming no session in To-Path, answered 481")                \
    _(unknown_method, drop, "requests of an unknown method, answered 501")                         \
    _(timeouts, drop, "requests with no response from the far side in time, answered 408")         \
    _(stray_responses, drop, "responses matching no relayed transaction (late or foreign)")        \
    _(partial_unanswered, info,                                                                    \
      "requests with Failure-Report: partial left unanswered in time: success, nothing sent back") \
    _(parse_errors, drop, "malformed requests answered 400 / 413, the connection kept")            \
    _(framing_errors, drop, "connections closed: the MSRP framing was lost")                       \
    _(pending_full, drop, "requests relayed without awaiting a response: table full")              \
    _(flow_paused, info, "times a leg was not read because the other leg's queue was full")        \
    _(sent_count_requests, info, "SENDs relayed with Success-Report: yes;Include-Sent-Count")      \
    _(distribution_reports, info, "REPORTs with a Distribution-Count from the far side")           \
    _(distribution_count_total, info, "sum of the Distribution-Counts received (recipients)")      \
    _(reports_consumed, info, "REPORTs imsd had asked for itself, not relayed to the client")      \
    _(policy_blocked, drop, "chunks stopped by a block rule: 403, the far side's copy ended #")    \
    _(policy_allowed, info, "messages exempted by an allow rule matching first")                   \
    _(policy_counted, info, "count-rule matches in relayed messages")                              \
    _(type_refused, drop, "chunks refused 415: Content-Type not accepted (settings or SDP)")       \
    _(size_refused, drop, "chunks refused 413: message larger than the settings or a=max-size")    \
    _(scan_no_memory, drop, "messages refused 403: no scan stream state left (scan-streams)")      \
    _(interleave_refused, drop, "chunks refused 403: a third message interleaved on a connection") \
    _(chunks_interrupted, info,                                                                    \
      "relayed chunks ended '+' on a shared connection for another request, resumed after it")     \
    _(interrupt_refused, drop,                                                                     \
      "chunks refused 403: cut off by another request, their head not kept to resume them")        \
    _(failure_reports, info, "Failure REPORTs sent to senders who asked for them")                 \
    _(scan_bytes, info, "body bytes scanned by the content rules")                                 \
    _(scans_batched, info, "whole chunks scanned together at the end of a poll (after queueing)")  \
    _(scans_block, info, "batched messages in one mbuf, scanned in one block-mode call")           \
    _(scan_cycles, info,                                                                           \
      "TSC cycles scanning bodies, timer cost left out (scan_bytes / this: B/cycle)")              \
    _(events_sent, info, "events queued for the sigplane (legs, messages, reports, totals)")       \
    _(events_dropped, drop, "events lost: the sigplane's ring was full")

namespace imsd::dp::msrp {

IMSD_DEFINE_COUNTERS(IMSD_DP_MSRP_COUNTERS)

}  // namespace imsd::dp::msrp

#pragma once

// The load generator's workloads, written on the dataplane's own TCP API
// (tcp_connect / tcp_send / callbacks) and run on its polling lcore:
//  - bulk:  `conns` connections to a sink (or echo) service sending `bytes`
//           in all, then FIN; a connection is done when the service's FIN
//           comes back (everything was delivered).
//  - rr:    `conns` connections to an echo service, each sending a message of
//           `msg_bytes`, waiting for all of it back, and again, `messages`
//           in all; then closing.
//  - churn: `messages` connections in turn, at most `conns` at a time, each
//           doing one exchange of `msg_bytes` with the echo service, then
//           closing (connection set-up and tear-down per message).
// The clock stops when the last exchange completes: connections that close
// are detached (tcp_detach) and finish TIME-WAIT on their own, as a kernel
// socket does after close().

#include <atomic>
#include <cstdint>
#include <vector>

#include "dataplane/tcp/tcp.hpp"

namespace imsd::bench {

struct workload {
    enum class kind { bulk, rr, churn } what = kind::rr;
    uint16_t port_index = 0;
    uint32_t local_ip = 0, remote_ip = 0;  // network order
    uint16_t remote_port_be = 0;
    uint32_t conns = 1;
    uint64_t messages = 0;
    uint32_t msg_bytes = 256;
    uint64_t bytes = 0;  // bulk, in all

    // Written by the lcore; read by the control thread once done is set.
    std::atomic<bool> done{false};
    uint64_t start_tsc = 0, end_tsc = 0;
    uint64_t completed = 0;  // exchanges (bulk: connections) finished
    uint64_t failed = 0;     // connections that ended early (or never opened)
    uint64_t corrupt = 0;    // bytes that came back different

    // Internal, lcore only.
    struct slot {
        workload* w = nullptr;
        dp::tcp::tcp_conn c;
        bool open = false;
        uint32_t got = 0;      // bytes of the current answer
        uint64_t to_send = 0;  // bulk: bytes not yet queued
        bool fin_sent = false;
    };
    std::vector<slot> slots;  // sized by the control thread before the start
    uint64_t started = 0;     // messages (rr) or connections (churn) begun
    uint32_t live = 0;
};

// The lcore (through dataplane::call_on_lcores): starts w. `arg` is a workload*.
void start_workload(dp::tcp::tcp_stack& s, void* arg) noexcept;

}  // namespace imsd::bench

#pragma once

// imsgen's MSRP workload: both legs of one relayed session. Leg B listens
// (imsd's active leg connects to it and binds with a bodiless SEND) and
// answers every SEND with 200; leg A connects to imsd and keeps `window`
// SENDs of `msg_bytes` outstanding until `messages` were answered. Built on
// the same TCP and MSRP parser as imsd; runs on imsgen's polling lcore.

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "dataplane/msrp/parser.hpp"
#include "dataplane/tcp/tcp.hpp"

namespace imsd::bench {

struct msrp_load {
    // Set by the control thread before the start.
    uint16_t port_index = 0;
    uint32_t local_ip = 0, imsd_ip = 0;  // network order
    uint16_t imsd_port = 2855;
    uint16_t listen_port = 7000;
    std::string uri_a;      // imsd's URI on leg A (To-Path of what A sends)
    std::string our_uri_a;  // our From-Path on leg A
    std::string our_uri_b;  // our URI on leg B (imsd's To-Path there)
    uint64_t messages = 100000;
    uint32_t msg_bytes = 256;
    uint32_t window = 32;
    std::string body_text;  // what bodies are cut from, slice by slice; empty: 'm's

    // Written by the lcore; read by the control thread once `done`.
    std::atomic<bool> b_bound{false};  // imsd's leg B connection arrived and bound
    std::atomic<bool> done{false};
    uint64_t start_tsc = 0, end_tsc = 0;
    uint64_t sent = 0, answered = 0, received_b = 0, errors = 0;

    // Internal, lcore only.
    struct leg {
        msrp_load* w = nullptr;
        dp::tcp::tcp_conn c;
        dp::msrp::parser p{dp::msrp::limits{}};
        struct sink_t : dp::msrp::sink {
            leg* l = nullptr;
            void on_head(const dp::msrp::head& h) override;
            void on_body(std::string_view, bool) override {}
            void on_end(char) override;
            void on_error(const dp::msrp::error&) override;
        } sink;
        bool is_b = false;
        bool pending_request = false;  // B: a SEND whose end-line is due
        std::array<char, 32> tid{};
        uint8_t tid_len = 0;
        std::array<char, 160> from{};
        uint8_t from_len = 0;
    };
    leg a, b;
    std::string body;  // the message body, built once
};

// The lcore (dataplane::call_on_lcores), step 1: listen for imsd's leg B.
void msrp_listen(dp::tcp::tcp_stack& s, void* arg) noexcept;
// Step 2, once b_bound: connect leg A and start sending.
void msrp_start(dp::tcp::tcp_stack& s, void* arg) noexcept;

}  // namespace imsd::bench

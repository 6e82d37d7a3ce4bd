#pragma once

// SIP over UDP on the fast path (issue 6 step 1): a datagram to the SIP port
// of a media address is checked (UDP length and checksum), policed by its
// source address, framed and validated (framing.hpp), and then handed whole
// to the kernel through the exception path, where the sigplane's nta agent
// reads it with its addresses untouched. What fails is counted by reason;
// a refused request that can be answered gets 400 (513 when too large) from
// here, per RFC 3261 8.2 / 18.3 / 21.5.12, sent straight back to its source.
//
// One sip_ctx per polling lcore, reached through net_ctx::sip; everything
// here runs on that lcore.

#include <rte_common.h>
#include <rte_mbuf.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "dataplane/net/context.hpp"
#include "dataplane/sip/counters.hpp"
#include "dataplane/sip/framing.hpp"
#include "dataplane/sip/police.hpp"

namespace imsd::dp::sip {

struct alignas(RTE_CACHE_LINE_SIZE) sip_ctx {
    counters cnt{};  // dp: writes, cp: reads (relaxed)
    std::unique_ptr<source_policer> policer;
    limits lim{};
    std::string server;  // Server header of the dataplane's own answers
    uint64_t sweep_period_tsc = 0;
    uint64_t idle_tsc = 0;  // a source idle this long is forgotten
    uint64_t next_sweep_tsc = 0;
    // A datagram that spans mbufs is copied here once to be framed.
    std::array<char, 65536> scratch{};
};

// The net_ctx::sip_udp_input hook: takes ownership of m.
void udp_input(net::net_ctx& ctx, uint16_t port_index, rte_mbuf* m, void* ip_hdr,
               uint16_t ihl_bytes) noexcept;

// Forgets idle sources once a sweep period has passed. Every few ms.
void sip_timers(net::net_ctx& ctx) noexcept;

// Builds the dataplane's answer to a refused request into `out` (the SIP
// text); returns its length, 0 when `v` lacks what an answer copies
// (RFC 3261 8.2.6.2: Via, From, To, Call-ID, CSeq) or it does not fit.
size_t build_answer(const message_view& v, uint16_t status, std::string_view reason_phrase,
                    std::string_view warning, std::string_view server, std::string_view agent,
                    char* out, size_t room) noexcept;

}  // namespace imsd::dp::sip

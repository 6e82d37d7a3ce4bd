#pragma once

// The exception path (ARCHITECTURE "punt/"): traffic the dataplane does not
// own - SIP over UDP once framed and policed, SIP over TCP - goes to the
// kernel through a TAP, whose kernel side carries the signaling address and
// is where the sigplane's nta agent listens; what the kernel sends back comes
// out of the TAP and leaves through the media port that owns its source
// address. Addresses and ports are never rewritten: only the Ethernet header
// (the kernel interface's MAC inbound, the next hop's outbound).
//
// One polling lcore owns the TAP (the first); the others hand it frames
// through an MP/SC ring (net::punt_to_kernel).

#include <rte_ether.h>
#include <rte_ring.h>

#include <cstdint>
#include <expected>
#include <string>

#include "dataplane/net/context.hpp"
#include "platform/error.hpp"

namespace imsd::dp::punt {

struct punt_port {
    uint16_t port_id = 0;
    rte_ether_addr kernel_mac{};  // the kernel side of the TAP
    rte_ring* ring = nullptr;     // any lcore: enqueues; the owner: dequeues
    std::string ifname;
};

// Main thread, after EAL init: starts the TAP port (one queue pair on
// `pool`), creates the ring, and configures the kernel side: the signaling
// address addr_be/prefix_len, no ARP (the kernel addresses its frames to
// itself; the dataplane routes them), no IPv6, up.
std::expected<punt_port, platform::error> open(const std::string& ifname, rte_mempool* pool,
                                               uint32_t addr_be, uint8_t prefix_len,
                                               uint32_t ring_size);

// Main thread, after the loops stopped: stops the port, frees what the ring
// holds and the ring.
void close(punt_port& pp) noexcept;

// The owning lcore, once per loop: frames queued for the kernel go into the
// TAP; frames the kernel sent go out of the media ports. Returns how many
// frames it moved (0: idle).
uint32_t poll(net::net_ctx& ctx, const punt_port& pp, uint16_t burst) noexcept;

}  // namespace imsd::dp::punt

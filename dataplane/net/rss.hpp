#pragma once

// Software RSS: the Toeplitz hash (Microsoft RSS specification) over the
// same fields the NIC hashes, looked up in the port's redirection table. The
// TCP picks source ports for its active opens with it, so that the answers
// come back to the lcore that opened the connection.

#include <cstdint>

#include "dataplane/net/config.hpp"

namespace imsd::dp::net {

// The Toeplitz hash of an IPv4 TCP/UDP 4-tuple (all in network order) under
// key (at least 16 bytes).
uint32_t toeplitz_ipv4_l4(const uint8_t* key, uint32_t src_be, uint32_t dst_be, uint16_t sport_be,
                          uint16_t dport_be) noexcept;

// The rx queue of port p that a packet src:sport -> dst:dport reaches; 0 when
// the port does no RSS. Any thread.
uint16_t rx_queue_of(const net_port& p, uint32_t src_be, uint32_t dst_be, uint16_t sport_be,
                     uint16_t dport_be) noexcept;

}  // namespace imsd::dp::net

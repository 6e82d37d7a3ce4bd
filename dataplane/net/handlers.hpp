#pragma once

// Internal to dataplane/net: the per-protocol handlers net_input dispatches to.
// Each takes ownership of the mbuf: queues it for tx or frees and counts it.

#include <rte_mbuf.h>

#include "dataplane/net/context.hpp"

namespace imsd::dp::net {

void arp_input(net_ctx& ctx, uint16_t port_index, rte_mbuf* m) noexcept;
void ipv4_input(net_ctx& ctx, uint16_t port_index, rte_mbuf* m) noexcept;

// Sends an ARP request for ip_be out of ports[port_index].
void arp_request_output(net_ctx& ctx, uint16_t port_index, uint32_t ip_be) noexcept;

// Frees m and bumps the named counter: the one way a handler drops.
#define IMSD_DROP(ctx, m, counter) \
    do {                           \
        ++(ctx).cnt.counter;       \
        rte_pktmbuf_free(m);       \
    } while (0)

// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), on 16-bit words as they lie in
// memory (the one's-complement sum does not care about byte order).
inline uint16_t cksum_adjust16(uint16_t hc, uint16_t old_word, uint16_t new_word) noexcept {
    uint32_t sum = static_cast<uint16_t>(~hc) + static_cast<uint16_t>(~old_word) + new_word;
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

}  // namespace imsd::dp::net

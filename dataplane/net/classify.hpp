#pragma once

// First look at a frame: which handler owns it. Reads at most the Ethernet
// and IPv4 headers of the first segment; validation is the handler's job.

#include <rte_mbuf.h>

#include <cstdint>

namespace imsd::dp::net {

enum class pkt_class : uint8_t {
    runt,  // shorter than an Ethernet header
    arp,
    ipv4_icmp,
    ipv4_tcp,
    ipv4_udp,
    ipv4_other,
    ipv4_short,  // EtherType IPv4 but no room for a header
    ipv6,
    vlan,
    other,
};

pkt_class classify(const rte_mbuf* m) noexcept;

}  // namespace imsd::dp::net

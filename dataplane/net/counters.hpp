#pragma once

// Per-lcore counters of the packet path. One X-macro list is the single
// source of names: the struct, the names shown by imsctl and telemetry, and
// the descriptions all come from it. Kinds: `info` counts traffic, `drop`
// names why a packet was freed without being answered.

#include <array>
#include <cstdint>
#include <string_view>

#include "platform/stats/counter_list.hpp"

#define IMSD_DP_NET_COUNTERS(_)                                                                \
    _(poll_busy_cycles, info, "TSC cycles in polls that had work (the lcore's load)")          \
    _(poll_idle_cycles, info, "TSC cycles in polls that found nothing (and idle sleeps)")      \
    _(polls_busy, info, "polls that had work (busy cycles over this: the cost of one)")        \
    _(service_cycles, info,                                                                    \
      "TSC cycles of the control plane's housekeeping run by this loop (single-core mode)")    \
    _(rx_packets, info, "frames received from the ports")                                      \
    _(rx_bytes, info, "bytes received from the ports")                                         \
    _(tx_packets, info, "frames handed to the ports")                                          \
    _(tx_bytes, info, "bytes handed to the ports")                                             \
    _(tx_full, drop, "frames freed because the tx queue was full")                             \
    _(eth_runt, drop, "frames shorter than an Ethernet header")                                \
    _(eth_not_for_us, drop, "unicast frames for another MAC address")                          \
    _(eth_multicast, drop, "multicast and non-ARP broadcast frames (none is served)")          \
    _(eth_vlan, drop, "VLAN-tagged frames (VLANs are not configured)")                         \
    _(eth_type_unknown, drop, "frames of an EtherType that is not served")                     \
    _(ipv6_unsupported, drop, "IPv6 packets (IPv6 is planned)")                                \
    _(arp_in, info, "ARP packets received")                                                    \
    _(arp_request_answered, info, "ARP requests for an owned address answered")                \
    _(arp_reply_in, info, "ARP replies received")                                              \
    _(arp_request_out, info, "ARP requests sent to resolve a next hop")                        \
    _(arp_malformed, drop, "ARP packets with a bad length, type or sender")                    \
    _(arp_not_for_us, drop, "ARP packets for an address not owned and not cached")             \
    _(arp_address_conflict, drop, "ARP packets claiming one of our addresses")                 \
    _(neigh_learned, info, "neighbours added to the table")                                    \
    _(neigh_updated, info, "neighbour entries refreshed by ARP")                               \
    _(neigh_expired, info, "neighbour entries removed after their lifetime")                   \
    _(neigh_table_full, drop, "packets dropped because the neighbour table was full")          \
    _(neigh_unresolved, drop, "packets dropped because their next hop did not answer ARP")     \
    _(neigh_held_replaced, drop, "packets replaced by a newer one while awaiting ARP")         \
    _(neigh_sync_in, info, "neighbour updates received from other lcores")                     \
    _(neigh_sync_lost, drop, "neighbour updates not delivered: another lcore's inbox full")    \
    _(ipv4_in, info, "IPv4 packets received")                                                  \
    _(ipv4_malformed, drop, "IPv4 packets with a bad version, header or length")               \
    _(ipv4_checksum_bad, drop, "IPv4 packets with a bad header checksum")                      \
    _(ipv4_fragment, drop, "IPv4 fragments (reassembly is not offered)")                       \
    _(ipv4_not_local, drop, "IPv4 packets for an address this node does not own")              \
    _(ipv4_no_route, drop, "replies to an off-link source with no gateway set")                \
    _(ipv4_tcp_unserved, drop, "TCP segments while TCP is not enabled (no tcp services)")      \
    _(tcp_steered_out, info, "TCP segments handed to the lcore owning their port")             \
    _(tcp_steered_in, info, "TCP segments taken from other lcores (their port is ours)")       \
    _(tcp_steer_full, drop, "TCP segments dropped: the owning lcore's hand-off ring was full") \
    _(ipv4_udp_unserved, drop, "UDP datagrams while SIP is off (dataplane/sip absent)")        \
    _(tcp_sip_punted, info, "TCP segments of the SIP port handed to the kernel")               \
    _(punt_queued, info, "frames queued for the kernel (exception path)")                      \
    _(punt_ring_full, drop, "frames for the kernel dropped: the exception path ring was full") \
    _(punt_tx, info, "frames written to the exception path TAP")                               \
    _(punt_tx_full, drop, "frames for the kernel dropped: the TAP queue was full")             \
    _(punt_rx, info, "frames the kernel sent through the exception path")                      \
    _(punt_rx_not_ipv4, drop, "frames from the kernel other than IPv4 (ARP, IPv6...)")         \
    _(punt_rx_bad, drop, "IPv4 packets from the kernel, malformed or not from our address")    \
    _(ipv4_proto_other, drop, "IPv4 packets of another protocol")                              \
    _(icmp_in, info, "ICMP messages received")                                                 \
    _(icmp_echo_answered, info, "ICMP echo requests answered")                                 \
    _(icmp_malformed, drop, "ICMP messages too short")                                         \
    _(icmp_checksum_bad, drop, "ICMP messages with a bad checksum")                            \
    _(icmp_type_other, drop, "ICMP messages other than echo request")                          \
    _(mbuf_alloc_failed, drop, "packets not sent because the mbuf pool was empty")             \
    _(impair_lost, drop, "lab impairment: packets dropped on purpose")                         \
    _(impair_duplicated, info, "lab impairment: packets sent or received twice")               \
    _(impair_reordered, info, "lab impairment: packets held back behind later ones")           \
    _(impair_delayed, info, "lab impairment: packets delayed")                                 \
    _(impair_overflow, drop, "lab impairment: packets dropped, delay line full")

namespace imsd::dp::net {

using platform::counter_info;
using platform::counter_kind;

IMSD_DEFINE_COUNTERS(IMSD_DP_NET_COUNTERS)

}  // namespace imsd::dp::net

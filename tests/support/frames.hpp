#pragma once

// Builders of the frames tests, benchmarks and the fuzz seeds use: valid by
// default, so a test changes exactly the field it is about.

#include <arpa/inet.h>
#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include <cstdint>
#include <cstring>
#include <vector>

namespace imsd::test {

inline uint32_t addr(const char* s) {
    in_addr a{};
    inet_pton(AF_INET, s, &a);
    return a.s_addr;
}

inline rte_ether_addr mac(uint8_t last) { return rte_ether_addr{{0x02, 0, 0, 0, 0, last}}; }

inline std::vector<uint8_t> arp_frame(uint16_t op, rte_ether_addr sha, uint32_t spa, uint32_t tpa,
                                      rte_ether_addr eth_dst) {
    std::vector<uint8_t> f(sizeof(rte_ether_hdr) + sizeof(rte_arp_hdr));
    auto* eth = reinterpret_cast<rte_ether_hdr*>(f.data());
    auto* arp = reinterpret_cast<rte_arp_hdr*>(eth + 1);
    eth->dst_addr = eth_dst;
    eth->src_addr = sha;
    eth->ether_type = htons(RTE_ETHER_TYPE_ARP);
    arp->arp_hardware = htons(RTE_ARP_HRD_ETHER);
    arp->arp_protocol = htons(RTE_ETHER_TYPE_IPV4);
    arp->arp_hlen = RTE_ETHER_ADDR_LEN;
    arp->arp_plen = 4;
    arp->arp_opcode = htons(op);
    arp->arp_data.arp_sha = sha;
    arp->arp_data.arp_sip = spa;
    arp->arp_data.arp_tip = tpa;
    return f;
}

inline rte_ether_addr broadcast() { return rte_ether_addr{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}; }

inline uint16_t inet_cksum(const void* p, size_t len) {
    uint32_t sum = 0;
    const auto* b = static_cast<const uint8_t*>(p);
    for (size_t i = 0; i + 1 < len; i += 2) {
        uint16_t w;
        std::memcpy(&w, b + i, 2);
        sum += w;
    }
    if (len & 1) {
        uint16_t w = 0;
        std::memcpy(&w, b + len - 1, 1);
        sum += w;
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return static_cast<uint16_t>(~sum);
}

// An IPv4 packet with `proto` and `payload`, header checksum set.
inline std::vector<uint8_t> ipv4_frame(rte_ether_addr src_mac, rte_ether_addr dst_mac, uint32_t src,
                                       uint32_t dst, uint8_t proto,
                                       const std::vector<uint8_t>& payload) {
    std::vector<uint8_t> f(sizeof(rte_ether_hdr) + sizeof(rte_ipv4_hdr) + payload.size());
    auto* eth = reinterpret_cast<rte_ether_hdr*>(f.data());
    auto* iph = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
    eth->dst_addr = dst_mac;
    eth->src_addr = src_mac;
    eth->ether_type = htons(RTE_ETHER_TYPE_IPV4);
    iph->version_ihl = 0x45;
    iph->total_length = htons(static_cast<uint16_t>(sizeof(rte_ipv4_hdr) + payload.size()));
    iph->packet_id = htons(1);
    iph->fragment_offset = htons(RTE_IPV4_HDR_DF_FLAG);
    iph->time_to_live = 64;
    iph->next_proto_id = proto;
    iph->src_addr = src;
    iph->dst_addr = dst;
    iph->hdr_checksum = inet_cksum(iph, sizeof(rte_ipv4_hdr));
    std::memcpy(iph + 1, payload.data(), payload.size());
    return f;
}

inline std::vector<uint8_t> icmp_echo(uint8_t type, uint16_t id, uint16_t seq, size_t data_len) {
    std::vector<uint8_t> m(sizeof(rte_icmp_hdr) + data_len);
    auto* h = reinterpret_cast<rte_icmp_hdr*>(m.data());
    h->icmp_type = type;
    h->icmp_code = 0;
    h->icmp_ident = htons(id);
    h->icmp_seq_nb = htons(seq);
    for (size_t i = 0; i < data_len; ++i) {
        m[sizeof(rte_icmp_hdr) + i] = static_cast<uint8_t>(i);
    }
    h->icmp_cksum = inet_cksum(m.data(), m.size());
    return m;
}

}  // namespace imsd::test

#pragma once

// The dataplane's view of the ports and the addresses it owns: an immutable
// value, published by RCU, read by every worker once per burst.

#include <rte_ether.h>

#include <array>
#include <cstdint>

namespace imsd::dp::net {

inline constexpr uint16_t max_ports = 8;
inline constexpr uint8_t max_addrs_per_port = 8;

struct port_addr {
    uint32_t addr_be;
    uint32_t mask_be;
};

// Receive-side scaling as the NIC applies it, so an lcore can tell which rx
// queue (and so which lcore) will receive a flow: the Toeplitz key the port
// was configured with and its redirection table (queue per entry).
inline constexpr uint16_t max_reta_size = 512;
inline constexpr uint8_t max_rss_key_bytes = 52;
struct rss_map {
    uint16_t reta_size = 0;  // 0: no RSS, every packet reaches queue 0
    uint8_t key_bytes = 0;
    std::array<uint8_t, max_rss_key_bytes> key{};
    std::array<uint8_t, max_reta_size> reta{};
};

struct net_port {
    uint16_t port_id = 0;  // DPDK port id
    rte_ether_addr mac{};
    uint16_t mtu = 1500;
    uint8_t n_addrs = 0;
    std::array<port_addr, max_addrs_per_port> addrs{};
    uint32_t gateway_be = 0;  // 0: no gateway
    rss_map rss{};

    bool owns(uint32_t ip_be) const noexcept {
        for (uint8_t i = 0; i < n_addrs; ++i) {
            if (addrs[i].addr_be == ip_be) {
                return true;
            }
        }
        return false;
    }

    bool on_link(uint32_t ip_be) const noexcept {
        for (uint8_t i = 0; i < n_addrs; ++i) {
            if ((addrs[i].addr_be & addrs[i].mask_be) == (ip_be & addrs[i].mask_be)) {
                return true;
            }
        }
        return false;
    }

    // The address to answer from on this link (for ARP requests we send).
    uint32_t source_for(uint32_t ip_be) const noexcept {
        for (uint8_t i = 0; i < n_addrs; ++i) {
            if ((addrs[i].addr_be & addrs[i].mask_be) == (ip_be & addrs[i].mask_be)) {
                return addrs[i].addr_be;
            }
        }
        return n_addrs > 0 ? addrs[0].addr_be : 0;
    }
};

// SIP through the dataplane (dataplane/sip, dataplane/punt): what may change
// while running comes with the config, so a settings apply reaches every
// lcore at its next burst.
inline constexpr uint16_t max_trusted_peers = 256;
struct sip_config {
    uint16_t port_be = 0;     // UDP and TCP; 0: SIP off
    uint32_t rate_per_s = 0;  // per source address; 0: unpoliced
    uint32_t burst = 0;
    uint16_t n_trusted = 0;  // the SIP/IP Core: exempt from per-source policing
    std::array<port_addr, max_trusted_peers> trusted{};

    bool trusted_source(uint32_t ip_be) const noexcept {
        for (uint16_t i = 0; i < n_trusted; ++i) {
            if ((ip_be & trusted[i].mask_be) == trusted[i].addr_be) {
                return true;
            }
        }
        return false;
    }
};

struct net_config {
    uint16_t n_ports = 0;
    std::array<net_port, max_ports> ports{};
    sip_config sip{};
};

}  // namespace imsd::dp::net

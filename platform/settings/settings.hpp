#pragma once

// The operator settings as immutable values. mgmt/settings parses and
// validates the XML document into this; every plane reads it (through an RCU
// snapshot where it changes at run time). Defaults here are the documented
// defaults of conf/imsd.xsd.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace imsd::platform {

struct ipv4_prefix {
    uint32_t addr_be = 0;  // network byte order
    uint8_t len = 32;
};

struct port_settings {
    std::string name;    // operator's name for the port, e.g. "media0"
    std::string device;  // PCI address ("0000:03:00.0") or vdev string ("net_tap0,iface=x")
    std::vector<ipv4_prefix> addresses;  // media addresses owned on this port
    std::optional<uint32_t> gateway_be;  // next hop for off-link destinations
    uint16_t mtu = 1500;
    uint16_t rx_desc = 1024;
    uint16_t tx_desc = 1024;
    int line = 0;  // line of <port> in the document, for error messages
};

enum class hugepage_mode { automatic, on, off };

struct system_settings {
    std::string node_name = "imsd";
    std::string cli_socket = "/run/imsd/imsd.sock";
    std::string cli_group = "imsd";  // group owning the socket; root's if it does not exist
    std::string lcores = "auto";     // "auto" or a DPDK list like "0-3" / "0,2"
    std::string file_prefix = "imsd";
    hugepage_mode hugepages = hugepage_mode::automatic;
    uint32_t memory_mb = 0;  // 0: sized from the pools
    uint32_t shutdown_timeout_ms = 5000;
    std::string log_level = "info";
};

struct dataplane_settings {
    uint32_t mbufs = 8191;
    uint32_t mbuf_cache = 256;
    uint16_t burst = 32;
    uint32_t idle_sleep_us = 0;  // 0: poll without pause (production); >0: lab boxes
    uint32_t neighbour_entries = 1024;
    uint32_t neighbour_timeout_ms = 300000;
    uint32_t arp_retry_ms = 1000;
    uint32_t arp_retries = 3;
};

struct settings {
    std::string source;  // file name, or "<embedded default>"
    system_settings system;
    dataplane_settings dataplane;
    std::vector<port_settings> ports;
};

}  // namespace imsd::platform

#pragma once

// Ports from the settings: any PMD (PCI address or vdev string), one rx and
// one tx queue per polling lcore, RSS across them where the port has it.

#include <rte_ether.h>
#include <rte_mempool.h>

#include <cstdint>
#include <expected>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/net/config.hpp"
#include "platform/error.hpp"
#include "platform/settings/settings.hpp"
#include "platform/stats/registry.hpp"

namespace imsd::dp {

struct port_info {
    std::string name;    // the operator's name
    std::string device;  // as in the settings
    std::string driver;
    uint16_t port_id = 0;
    uint16_t queues = 0;
    uint16_t mtu = 0;
    bool rss = false;
    std::vector<uint8_t> rss_key;  // as configured (or read back)
    std::vector<uint16_t> reta;    // queue per entry; empty: unknown
    rte_ether_addr mac{};
    platform::port_settings settings;
};

class port_set {
   public:
    // Main thread, after EAL init. Configures and starts every port.
    static std::expected<std::unique_ptr<port_set>, platform::error> open(
        const platform::settings& s, rte_mempool* pool, uint16_t queues);
    ~port_set();
    port_set(const port_set&) = delete;
    port_set& operator=(const port_set&) = delete;

    // Main thread, after every poller has stopped. Idempotent.
    void close() noexcept;

    const std::vector<port_info>& ports() const { return ports_; }

    // The dataplane's view (ids, MACs, addresses) for an RCU snapshot.
    net::net_config config() const;

    // Control thread: takes new addresses and gateways for the ports named in
    // `s` (the set of ports itself cannot change while running) and returns
    // the dataplane's view with them.
    std::expected<net::net_config, platform::error> readdress(const platform::settings& s);

    // Control threads: the "ports" table of imsctl and telemetry.
    platform::table table() const;

   private:
    port_set() = default;
    net::net_config config_locked() const;
    std::vector<port_info> ports_;
    bool open_ = false;
    mutable std::mutex mu_;  // guards ports_[i].settings addresses (CLI vs telemetry)
};

// How many mbufs the driver of `device` (as in the settings) may still hold
// after rte_eth_dev_close(), with `queues` queue pairs. A zero-copy memif
// client (DPDK 22.11) keeps the mbufs it lent to its rx ring and those the
// server has not yet consumed from its tx ring (up to one ring each per
// queue) and frees neither on stop or close; every other driver here: 0.
// The shutdown's leak check allows this many. Any thread.
uint32_t mbufs_held_past_close(std::string_view device, uint16_t queues);

std::string format_mac(const rte_ether_addr& mac);
std::string format_ipv4(uint32_t addr_be);

}  // namespace imsd::dp

#include "dataplane/port/port.hpp"

#include <arpa/inet.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_random.h>

#include <algorithm>

#include "platform/eal/eal.hpp"
#include "platform/log/log.hpp"

namespace imsd::dp {

using platform::make_error;

std::string format_mac(const rte_ether_addr& mac) {
    char buf[RTE_ETHER_ADDR_FMT_SIZE];
    rte_ether_format_addr(buf, sizeof(buf), &mac);
    return buf;
}

std::string format_ipv4(uint32_t addr_be) {
    char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &addr_be, buf, sizeof(buf));
    return buf;
}

namespace {

// Fills info.reta (and the key, when the driver chose it) so that software
// RSS (dataplane/net/rss.hpp) predicts the queue of a flow. The table is set
// to queue = entry mod queues where the driver allows, else read back; where
// neither works, software RSS is off for the port and outgoing connections
// take any source port (said in the log).
void learn_rss(port_info& info, const rte_eth_dev_info& dev, const std::string& where) {
    const uint16_t size = dev.reta_size;
    if (size == 0 || size > net::max_reta_size || (size & (size - 1)) != 0) {
        IMSD_LOG(dataplane, WARNING,
                 "{}: redirection table of {} entries not usable: source ports of outgoing "
                 "connections are not chosen by RSS queue",
                 where, size);
        info.rss_key.clear();
        return;
    }
    std::vector<rte_eth_rss_reta_entry64> reta(size / RTE_ETH_RETA_GROUP_SIZE +
                                               (size % RTE_ETH_RETA_GROUP_SIZE != 0 ? 1 : 0));
    for (uint16_t i = 0; i < size; ++i) {
        auto& group = reta[i / RTE_ETH_RETA_GROUP_SIZE];
        group.mask |= uint64_t{1} << (i % RTE_ETH_RETA_GROUP_SIZE);
        group.reta[i % RTE_ETH_RETA_GROUP_SIZE] = static_cast<uint16_t>(i % info.queues);
    }
    if (rte_eth_dev_rss_reta_update(info.port_id, reta.data(), size) != 0 &&
        rte_eth_dev_rss_reta_query(info.port_id, reta.data(), size) != 0) {
        IMSD_LOG(dataplane, WARNING,
                 "{}: cannot set or read the RSS redirection table: source ports of outgoing "
                 "connections are not chosen by RSS queue",
                 where);
        info.rss_key.clear();
        return;
    }
    if (info.rss_key.empty()) {
        std::vector<uint8_t> key(net::max_rss_key_bytes);
        rte_eth_rss_conf rc{};
        rc.rss_key = key.data();
        rc.rss_key_len = static_cast<uint8_t>(key.size());
        if (rte_eth_dev_rss_hash_conf_get(info.port_id, &rc) != 0 || rc.rss_key_len < 16) {
            IMSD_LOG(dataplane, WARNING,
                     "{}: cannot read the RSS key: source ports of outgoing connections are not "
                     "chosen by RSS queue",
                     where);
            return;
        }
        key.resize(rc.rss_key_len);
        info.rss_key = std::move(key);
    }
    info.reta.resize(size);
    for (uint16_t i = 0; i < size; ++i) {
        info.reta[i] = reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE];
    }
}

// Sets the port's MTU, or says why it cannot be. A frame is the MTU and
// the link's overhead (the driver's, else Ethernet header and FCS, as DPDK
// counts it) and is received into one mbuf: the dataplane takes no frame
// scattered over several. A device that sets no MTU (net_memif) but already
// has the one asked for is fine. Any other refusal stops the start: running
// at another MTU than the settings say would leave the link's peers, set
// from the same plan, sending frames the port drops.
std::expected<void, platform::error> apply_mtu(uint16_t port_id, const rte_eth_dev_info& dev,
                                               uint16_t mtu, rte_mempool* pool,
                                               const std::string& where) {
    const uint32_t overhead = dev.max_mtu != UINT16_MAX && dev.max_rx_pktlen > dev.max_mtu
                                  ? dev.max_rx_pktlen - dev.max_mtu
                                  : RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN;
    const uint32_t room = rte_pktmbuf_data_room_size(pool) - RTE_PKTMBUF_HEADROOM;
    if (mtu + overhead > room) {
        return std::unexpected(make_error(
            where,
            "MTU " + std::to_string(mtu) + " means frames of " + std::to_string(mtu + overhead) +
                " bytes, and imsd receives a frame into one buffer of " + std::to_string(room) +
                " bytes (jumbo frames are not supported yet): set ports/port/mtu to at "
                "most " +
                std::to_string(room - overhead)));
    }
    const int rc = rte_eth_dev_set_mtu(port_id, mtu);
    uint16_t now = 0;
    rte_eth_dev_get_mtu(port_id, &now);
    if (rc == 0 || now == mtu) {
        return {};
    }
    std::string why = "the device refuses MTU " + std::to_string(mtu) + " (" + rte_strerror(-rc) +
                      ") and stays at " + std::to_string(now);
    if (dev.max_rx_pktlen > overhead && dev.max_rx_pktlen - overhead < mtu) {
        why += ": it takes frames of at most " + std::to_string(dev.max_rx_pktlen) +
               " bytes; set ports/port/mtu to at most " +
               std::to_string(dev.max_rx_pktlen - overhead);
    }
    return std::unexpected(make_error(where, why));
}

std::expected<port_info, platform::error> open_port(const platform::port_settings& ps,
                                                    rte_mempool* pool, uint16_t queues) {
    const std::string where = "port " + ps.name + " (" + ps.device + ")";
    const std::string dpdk_name = platform::port_name_of(ps.device);
    port_info info;
    info.name = ps.name;
    info.device = ps.device;
    info.queues = queues;
    info.settings = ps;
    if (rte_eth_dev_get_port_by_name(dpdk_name.c_str(), &info.port_id) != 0) {
        return std::unexpected(make_error(
            where, "no such DPDK device '" + dpdk_name +
                       "' (for a PCI NIC: bound to vfio-pci with dpdk-devbind.py? for a vdev: a "
                       "driver name DPDK knows, like net_tap0?)"));
    }
    rte_eth_dev_info dev{};
    if (int rc = rte_eth_dev_info_get(info.port_id, &dev); rc != 0) {
        return std::unexpected(
            make_error(where, "cannot read device info: " + std::string(rte_strerror(-rc))));
    }
    info.driver = dev.driver_name != nullptr ? dev.driver_name : "?";
    if (queues > dev.max_rx_queues || queues > dev.max_tx_queues) {
        return std::unexpected(make_error(where, "needs " + std::to_string(queues) +
                                                     " queue pairs (one per polling lcore) but "
                                                     "the device has " +
                                                     std::to_string(dev.max_rx_queues) + " rx / " +
                                                     std::to_string(dev.max_tx_queues) + " tx"));
    }
    rte_eth_conf conf{};
    if (queues > 1 && (dev.flow_type_rss_offloads & RTE_ETH_RSS_IP) != 0) {
        conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
        conf.rx_adv_conf.rss_conf.rss_hf =
            (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) & dev.flow_type_rss_offloads;
        // A key of our own, random per start: a published key lets anyone
        // aim every flow at one queue.
        info.rss_key.resize(dev.hash_key_size != 0 ? dev.hash_key_size : 40);
        for (auto& b : info.rss_key) {
            b = static_cast<uint8_t>(rte_rand());
        }
        conf.rx_adv_conf.rss_conf.rss_key = info.rss_key.data();
        conf.rx_adv_conf.rss_conf.rss_key_len = static_cast<uint8_t>(info.rss_key.size());
        info.rss = true;
    }
    int conf_rc = rte_eth_dev_configure(info.port_id, queues, queues, &conf);
    if (conf_rc != 0 && info.rss) {
        // Some drivers take no key: let the device keep its own.
        conf.rx_adv_conf.rss_conf.rss_key = nullptr;
        conf.rx_adv_conf.rss_conf.rss_key_len = 0;
        info.rss_key.clear();
        conf_rc = rte_eth_dev_configure(info.port_id, queues, queues, &conf);
    }
    if (conf_rc != 0) {
        return std::unexpected(
            make_error(where, "rte_eth_dev_configure: " + std::string(rte_strerror(-conf_rc))));
    }
    uint16_t rx_desc = ps.rx_desc;
    uint16_t tx_desc = ps.tx_desc;
    rte_eth_dev_adjust_nb_rx_tx_desc(info.port_id, &rx_desc, &tx_desc);
    const int socket = rte_eth_dev_socket_id(info.port_id);
    for (uint16_t q = 0; q < queues; ++q) {
        if (int rc = rte_eth_rx_queue_setup(
                info.port_id, q, rx_desc,
                static_cast<unsigned>(socket < 0 ? SOCKET_ID_ANY : socket), nullptr, pool);
            rc != 0) {
            return std::unexpected(
                make_error(where, "rx queue " + std::to_string(q) + ": " + rte_strerror(-rc)));
        }
        if (int rc = rte_eth_tx_queue_setup(
                info.port_id, q, tx_desc,
                static_cast<unsigned>(socket < 0 ? SOCKET_ID_ANY : socket), nullptr);
            rc != 0) {
            return std::unexpected(
                make_error(where, "tx queue " + std::to_string(q) + ": " + rte_strerror(-rc)));
        }
    }
    if (auto ok = apply_mtu(info.port_id, dev, ps.mtu, pool, where); !ok) {
        return std::unexpected(ok.error());
    }
    rte_eth_dev_get_mtu(info.port_id, &info.mtu);
    if (int rc = rte_eth_macaddr_get(info.port_id, &info.mac); rc != 0) {
        return std::unexpected(make_error(where, "cannot read MAC address"));
    }
    if (int rc = rte_eth_dev_start(info.port_id); rc != 0) {
        return std::unexpected(
            make_error(where, "rte_eth_dev_start: " + std::string(rte_strerror(-rc))));
    }
    if (info.rss) {
        learn_rss(info, dev, where);
    }
    IMSD_LOG(dataplane, INFO, "{}: port {} driver {} mac {} mtu {} queues {}{}", where,
             info.port_id, info.driver, format_mac(info.mac), info.mtu, queues,
             info.rss ? " rss" : "");
    return info;
}

}  // namespace

std::expected<std::unique_ptr<port_set>, platform::error> port_set::open(
    const platform::settings& s, rte_mempool* pool, uint16_t queues) {
    std::unique_ptr<port_set> set(new port_set());
    set->open_ = true;
    if (s.ports.size() > net::max_ports) {
        return std::unexpected(
            make_error("dataplane/ports",
                       "at most " + std::to_string(net::max_ports) + " ports are supported"));
    }
    for (const auto& ps : s.ports) {
        auto info = open_port(ps, pool, queues);
        if (!info) {
            return std::unexpected(info.error());  // ~port_set closes the ones opened
        }
        set->ports_.push_back(std::move(*info));
    }
    return set;
}

port_set::~port_set() { close(); }

void port_set::close() noexcept {
    if (!open_) {
        return;
    }
    open_ = false;
    for (const auto& p : ports_) {
        rte_eth_dev_stop(p.port_id);
        // Closing releases the queues and, with them, every mbuf the driver
        // still holds in its rx ring.
        rte_eth_dev_close(p.port_id);
    }
}

uint32_t mbufs_held_past_close(std::string_view device, uint16_t queues) {
    const auto comma = device.find(',');
    if (!device.substr(0, comma).starts_with("net_memif") || comma == std::string_view::npos) {
        return 0;
    }
    bool client = true;  // memif's default role
    bool zero_copy = false;
    uint32_t log2_ring = 10;  // memif's default rsize
    std::string_view args = device.substr(comma + 1);
    while (!args.empty()) {
        const auto end = args.find(',');
        const std::string_view kv = args.substr(0, end);
        args = end == std::string_view::npos ? std::string_view{} : args.substr(end + 1);
        const auto eq = kv.find('=');
        if (eq == std::string_view::npos) {
            continue;
        }
        const std::string_view key = kv.substr(0, eq), value = kv.substr(eq + 1);
        if (key == "role") {
            // memif reads the role by substring ("server", "client")
            client = value.find("server") == std::string_view::npos;
        } else if (key == "zero-copy") {
            zero_copy = value.find("yes") != std::string_view::npos;
        } else if (key == "rsize") {
            uint32_t v = 0;
            for (const char c : value) {
                if (c < '0' || c > '9' || v > 16) {
                    v = 0;
                    break;
                }
                v = v * 10 + static_cast<uint32_t>(c - '0');
            }
            if (v >= 1 && v <= 14) {  // memif's ETH_MEMIF_MAX_LOG2_RING_SIZE
                log2_ring = v;
            }
        }
    }
    if (!client || !zero_copy) {
        return 0;
    }
    return 2u * (1u << log2_ring) * queues;  // the rx ring and the tx ring, per queue
}

std::expected<net::net_config, platform::error> port_set::readdress(const platform::settings& s) {
    std::lock_guard lock(mu_);
    if (s.ports.size() != ports_.size()) {
        return std::unexpected(make_error("ports", "the set of ports cannot change while running"));
    }
    std::vector<platform::port_settings> next;
    for (const auto& p : ports_) {
        auto it = std::find_if(s.ports.begin(), s.ports.end(),
                               [&](const auto& ps) { return ps.name == p.name; });
        if (it == s.ports.end()) {
            return std::unexpected(
                make_error("ports", "port " + p.name + " cannot be removed while running"));
        }
        next.push_back(*it);
    }
    for (size_t i = 0; i < ports_.size(); ++i) {
        ports_[i].settings.addresses = next[i].addresses;
        ports_[i].settings.gateway_be = next[i].gateway_be;
    }
    return config_locked();
}

net::net_config port_set::config() const {
    std::lock_guard lock(mu_);
    return config_locked();
}

net::net_config port_set::config_locked() const {
    net::net_config cfg;
    cfg.n_ports = static_cast<uint16_t>(ports_.size());
    for (size_t i = 0; i < ports_.size(); ++i) {
        const port_info& p = ports_[i];
        net::net_port& np = cfg.ports[i];
        np.port_id = p.port_id;
        np.mac = p.mac;
        np.mtu = p.mtu;
        for (const auto& a : p.settings.addresses) {
            if (np.n_addrs == net::max_addrs_per_port) {
                break;
            }
            const uint32_t mask =
                a.len == 0 ? 0 : htonl(static_cast<uint32_t>(~uint64_t{0} << (32 - a.len)));
            np.addrs[np.n_addrs++] = net::port_addr{a.addr_be, mask};
        }
        np.gateway_be = p.settings.gateway_be.value_or(0);
        if (!p.reta.empty() && p.rss_key.size() >= 16) {
            np.rss.reta_size = static_cast<uint16_t>(p.reta.size());
            np.rss.key_bytes = static_cast<uint8_t>(p.rss_key.size());
            std::copy(p.rss_key.begin(), p.rss_key.end(), np.rss.key.begin());
            for (size_t k = 0; k < p.reta.size(); ++k) {
                np.rss.reta[k] = static_cast<uint8_t>(p.reta[k]);
            }
        }
    }
    return cfg;
}

platform::table port_set::table() const {
    std::lock_guard lock(mu_);
    platform::table t;
    t.columns = {"name",       "port",       "device",    "driver",    "mac",
                 "link",       "speed_mbps", "mtu",       "queues",    "addresses",
                 "rx_packets", "tx_packets", "rx_missed", "rx_errors", "tx_errors"};
    for (const auto& p : ports_) {
        rte_eth_link link{};
        std::string state = "unknown";
        uint64_t speed = 0;
        if (open_ && rte_eth_link_get_nowait(p.port_id, &link) == 0) {
            state = link.link_status == RTE_ETH_LINK_UP ? "up" : "down";
            speed = link.link_speed;
        }
        rte_eth_stats st{};
        if (open_) {
            rte_eth_stats_get(p.port_id, &st);
        }
        std::string addrs;
        for (const auto& a : p.settings.addresses) {
            addrs +=
                (addrs.empty() ? "" : ",") + format_ipv4(a.addr_be) + "/" + std::to_string(a.len);
        }
        t.rows.push_back({p.name, uint64_t{p.port_id}, p.device, p.driver, format_mac(p.mac), state,
                          speed, uint64_t{p.mtu}, uint64_t{p.queues}, addrs, uint64_t{st.ipackets},
                          uint64_t{st.opackets}, uint64_t{st.imissed}, uint64_t{st.ierrors},
                          uint64_t{st.oerrors}});
    }
    return t;
}

}  // namespace imsd::dp

#include "dataplane/punt/punt.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "dataplane/net/handlers.hpp"
#include "platform/eal/eal.hpp"

namespace imsd::dp::punt {

using platform::make_error;

namespace {

constexpr uint16_t punt_desc = 512;

// The kernel side of the TAP, configured with the classic interface ioctls
// (no netlink library needed for four settings).
std::expected<rte_ether_addr, platform::error> setup_kernel_side(const std::string& ifname,
                                                                 uint32_t addr_be,
                                                                 uint8_t prefix_len) {
    const std::string where = "dataplane/sip/punt-interface " + ifname;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return std::unexpected(make_error(where, std::string("socket: ") + strerror(errno)));
    }
    auto fail = [&](const char* what) {
        const int e = errno;
        ::close(fd);
        return std::unexpected(make_error(where, std::string(what) + ": " + strerror(e)));
    };
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
    auto* sin = reinterpret_cast<sockaddr_in*>(&ifr.ifr_addr);
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = addr_be;
    if (ioctl(fd, SIOCSIFADDR, &ifr) != 0) {
        return fail("setting the signaling address (SIOCSIFADDR)");
    }
    sin->sin_addr.s_addr = prefix_len == 0 ? 0 : htonl(~uint32_t{0} << (32 - prefix_len));
    if (ioctl(fd, SIOCSIFNETMASK, &ifr) != 0) {
        return fail("setting the netmask (SIOCSIFNETMASK)");
    }
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) {
        return fail("SIOCGIFFLAGS");
    }
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_NOARP);
    if (ioctl(fd, SIOCSIFFLAGS, &ifr) != 0) {
        return fail("bringing it up without ARP (SIOCSIFFLAGS)");
    }
    if (ioctl(fd, SIOCGIFHWADDR, &ifr) != 0) {
        return fail("reading its MAC (SIOCGIFHWADDR)");
    }
    rte_ether_addr mac;
    std::memcpy(mac.addr_bytes, ifr.ifr_hwaddr.sa_data, RTE_ETHER_ADDR_LEN);
    ::close(fd);
    // IPv6 has no business here (router solicitations would only be dropped).
    std::ofstream("/proc/sys/net/ipv6/conf/" + ifname + "/disable_ipv6") << "1\n";
    return mac;
}

}  // namespace

std::expected<punt_port, platform::error> open(const std::string& ifname, rte_mempool* pool,
                                               uint32_t addr_be, uint8_t prefix_len,
                                               uint32_t ring_size) {
    const std::string where = "dataplane/sip (exception path " + ifname + ")";
    punt_port pp;
    pp.ifname = ifname;
    if (rte_eth_dev_get_port_by_name(platform::punt_vdev_name, &pp.port_id) != 0) {
        return std::unexpected(make_error(where, "the TAP device was not created by the EAL"));
    }
    rte_eth_conf conf{};
    if (int rc = rte_eth_dev_configure(pp.port_id, 1, 1, &conf); rc != 0) {
        return std::unexpected(
            make_error(where, "rte_eth_dev_configure: " + std::string(rte_strerror(-rc))));
    }
    const int socket = rte_eth_dev_socket_id(pp.port_id);
    if (int rc = rte_eth_rx_queue_setup(pp.port_id, 0, punt_desc, socket, nullptr, pool); rc != 0) {
        return std::unexpected(make_error(where, "rx queue: " + std::string(rte_strerror(-rc))));
    }
    if (int rc = rte_eth_tx_queue_setup(pp.port_id, 0, punt_desc, socket, nullptr); rc != 0) {
        return std::unexpected(make_error(where, "tx queue: " + std::string(rte_strerror(-rc))));
    }
    if (int rc = rte_eth_dev_start(pp.port_id); rc != 0) {
        return std::unexpected(
            make_error(where, "rte_eth_dev_start: " + std::string(rte_strerror(-rc))));
    }
    auto mac = setup_kernel_side(ifname, addr_be, prefix_len);
    if (!mac) {
        rte_eth_dev_stop(pp.port_id);
        return std::unexpected(mac.error());
    }
    pp.kernel_mac = *mac;
    pp.ring = rte_ring_create("imsd_punt", ring_size, socket, RING_F_SC_DEQ);
    if (pp.ring == nullptr) {
        rte_eth_dev_stop(pp.port_id);
        return std::unexpected(
            make_error(where, "cannot create the ring: " + std::string(rte_strerror(rte_errno))));
    }
    return pp;
}

void close(punt_port& pp) noexcept {
    if (pp.ring != nullptr) {
        void* m;
        while (rte_ring_dequeue(pp.ring, &m) == 0) {
            rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
        }
        rte_ring_free(pp.ring);
        pp.ring = nullptr;
        rte_eth_dev_stop(pp.port_id);
        rte_eth_dev_close(pp.port_id);
    }
}

uint32_t poll(net::net_ctx& ctx, const punt_port& pp, uint16_t burst) noexcept {
    rte_mbuf* pkts[net::max_burst];
    burst = std::min<uint16_t>(burst, net::max_burst);
    // To the kernel: addressed to its interface, otherwise as received.
    const unsigned n =
        rte_ring_sc_dequeue_burst(pp.ring, reinterpret_cast<void**>(pkts), burst, nullptr);
    if (n != 0) {
        for (unsigned i = 0; i < n; ++i) {
            auto* eth = rte_pktmbuf_mtod(pkts[i], rte_ether_hdr*);
            rte_ether_addr_copy(&pp.kernel_mac, &eth->dst_addr);
        }
        const uint16_t sent = rte_eth_tx_burst(pp.port_id, 0, pkts, static_cast<uint16_t>(n));
        ctx.cnt.punt_tx += sent;
        for (unsigned i = sent; i < n; ++i) {
            ++ctx.cnt.punt_tx_full;
            rte_pktmbuf_free(pkts[i]);
        }
    }
    // From the kernel: IPv4 from one of our addresses, out of the port that
    // owns it, to the next hop the dataplane resolves.
    const uint16_t got = rte_eth_rx_burst(pp.port_id, 0, pkts, burst);
    constexpr uint32_t eth_len = sizeof(rte_ether_hdr);
    for (uint16_t i = 0; i < got; ++i) {
        rte_mbuf* m = pkts[i];
        ++ctx.cnt.punt_rx;
        const auto* eth = rte_pktmbuf_mtod(m, const rte_ether_hdr*);
        if (rte_pktmbuf_data_len(m) < eth_len + sizeof(rte_ipv4_hdr) ||
            eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4)) {
            IMSD_DROP(ctx, m, punt_rx_not_ipv4);
            continue;
        }
        const auto* ip = rte_pktmbuf_mtod_offset(m, const rte_ipv4_hdr*, eth_len);
        const uint16_t ihl = static_cast<uint16_t>((ip->version_ihl & 0x0f) * 4);
        const uint16_t total = rte_be_to_cpu_16(ip->total_length);
        if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(rte_ipv4_hdr) ||
            total > rte_pktmbuf_pkt_len(m) - eth_len) {
            IMSD_DROP(ctx, m, punt_rx_bad);
            continue;
        }
        uint16_t port_index = ctx.cfg->n_ports;
        for (uint16_t k = 0; k < ctx.cfg->n_ports; ++k) {
            if (ctx.cfg->ports[k].owns(ip->src_addr)) {
                port_index = k;
                break;
            }
        }
        if (port_index == ctx.cfg->n_ports) {
            IMSD_DROP(ctx, m, punt_rx_bad);  // not from an address we own: not sent
            continue;
        }
        net::ipv4_output(ctx, port_index, m, ip->dst_addr);
    }
    return n + got;
}

}  // namespace imsd::dp::punt

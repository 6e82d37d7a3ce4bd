#include "dataplane/net/rss.hpp"

#include <rte_byteorder.h>
#include <rte_thash.h>

namespace imsd::dp::net {

uint32_t toeplitz_ipv4_l4(const uint8_t* key, uint32_t src_be, uint32_t dst_be, uint16_t sport_be,
                          uint16_t dport_be) noexcept {
    // rte_softrss takes the tuple as host-order words: source address,
    // destination address, then the ports (source in the high half).
    uint32_t tuple[RTE_THASH_V4_L4_LEN] = {
        rte_be_to_cpu_32(src_be), rte_be_to_cpu_32(dst_be),
        (uint32_t{rte_be_to_cpu_16(sport_be)} << 16) | rte_be_to_cpu_16(dport_be)};
    return rte_softrss(tuple, RTE_THASH_V4_L4_LEN, key);
}

uint16_t rx_queue_of(const net_port& p, uint32_t src_be, uint32_t dst_be, uint16_t sport_be,
                     uint16_t dport_be) noexcept {
    if (p.rss.reta_size == 0) {
        return 0;
    }
    const uint32_t h = toeplitz_ipv4_l4(p.rss.key.data(), src_be, dst_be, sport_be, dport_be);
    // NICs index the table with the hash's low bits (the size is a power of two).
    return p.rss.reta[h & (p.rss.reta_size - 1u)];
}

}  // namespace imsd::dp::net

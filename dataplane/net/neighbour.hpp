#pragma once

// Per-lcore neighbour (ARP) table: IPv4 next hop -> MAC, per port. Keys live in
// an rte_hash; entries in a flat array indexed by the hash's key position, so
// the timer sweep scans an array and never walks the hash while deleting.
// Owned by one lcore; no locks.

#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_mbuf.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace imsd::dp::net {

enum class neigh_state : uint8_t { free = 0, incomplete, reachable };

struct neigh_key {
    uint32_t ip_be;
    uint16_t port_index;
    uint16_t zero;  // keys are compared as bytes
};

struct neighbour {
    neigh_key key;
    rte_ether_addr mac;
    neigh_state state;
    uint8_t probes;      // ARP requests sent while incomplete
    uint64_t stamp_tsc;  // last confirmation, or last probe while incomplete
    rte_mbuf* held;      // one packet awaiting resolution (Linux's arp_queue of 1)
};

class neighbour_table {
   public:
    // Control thread at start-up. `name` must be unique in the process.
    // nullptr when the EAL cannot give the memory.
    static std::unique_ptr<neighbour_table> create(const char* name, uint32_t entries,
                                                   int socket_id);
    ~neighbour_table();
    neighbour_table(const neighbour_table&) = delete;
    neighbour_table& operator=(const neighbour_table&) = delete;

    neighbour* lookup(uint16_t port_index, uint32_t ip_be) noexcept;
    // A new incomplete entry, or nullptr when the table is full.
    neighbour* add(uint16_t port_index, uint32_t ip_be) noexcept;
    // Frees the held packet, if any.
    void remove(neighbour* n) noexcept;

    uint32_t size() const noexcept { return used_; }
    uint32_t capacity() const noexcept { return static_cast<uint32_t>(entries_.size()); }
    neighbour* at(uint32_t i) noexcept { return &entries_[i]; }

   private:
    neighbour_table(rte_hash* h, uint32_t entries) : hash_(h), entries_(entries) {}
    rte_hash* hash_;
    std::vector<neighbour> entries_;  // sized at creation, never grows
    uint32_t used_ = 0;
    neighbour* last_ = nullptr;  // lookup's last answer (an entry of entries_)
};

}  // namespace imsd::dp::net

#include "dataplane/net/neighbour.hpp"

#include <rte_hash_crc.h>

namespace imsd::dp::net {

std::unique_ptr<neighbour_table> neighbour_table::create(const char* name, uint32_t entries,
                                                         int socket_id) {
    rte_hash_parameters params{};
    params.name = name;
    params.entries = entries;
    params.key_len = sizeof(neigh_key);
    params.hash_func = rte_hash_crc;
    params.hash_func_init_val = 0;
    params.socket_id = socket_id;
    rte_hash* h = rte_hash_create(&params);
    if (h == nullptr) {
        return nullptr;
    }
    // rte_hash positions run from 0 to entries-1 when no per-lcore key cache
    // is configured.
    return std::unique_ptr<neighbour_table>(new neighbour_table(h, entries));
}

neighbour_table::~neighbour_table() {
    for (auto& n : entries_) {
        if (n.state != neigh_state::free && n.held != nullptr) {
            rte_pktmbuf_free(n.held);
            n.held = nullptr;
        }
    }
    rte_hash_free(hash_);
}

neighbour* neighbour_table::lookup(uint16_t port_index, uint32_t ip_be) noexcept {
    // The last answer first: most packets go to the next hop the one before
    // went to (the gateway; a peer's burst). An entry removed is free, and
    // one added again has its new key, so the check below sees either.
    if (last_ != nullptr && last_->key.ip_be == ip_be && last_->key.port_index == port_index &&
        last_->state != neigh_state::free) {
        return last_;
    }
    neigh_key key{ip_be, port_index, 0};
    int32_t pos = rte_hash_lookup(hash_, &key);
    if (pos < 0 || static_cast<uint32_t>(pos) >= entries_.size()) {
        return nullptr;
    }
    last_ = &entries_[static_cast<uint32_t>(pos)];
    return last_;
}

neighbour* neighbour_table::add(uint16_t port_index, uint32_t ip_be) noexcept {
    neigh_key key{ip_be, port_index, 0};
    int32_t pos = rte_hash_add_key(hash_, &key);
    if (pos < 0 || static_cast<uint32_t>(pos) >= entries_.size()) {
        if (pos >= 0) {
            rte_hash_del_key(hash_, &key);
        }
        return nullptr;
    }
    neighbour& n = entries_[static_cast<uint32_t>(pos)];
    if (n.state == neigh_state::free) {
        ++used_;
    }
    n = neighbour{key, {}, neigh_state::incomplete, 0, 0, nullptr};
    return &n;
}

void neighbour_table::remove(neighbour* n) noexcept {
    if (n == nullptr || n->state == neigh_state::free) {
        return;
    }
    if (n->held != nullptr) {
        rte_pktmbuf_free(n->held);
        n->held = nullptr;
    }
    rte_hash_del_key(hash_, &n->key);
    n->state = neigh_state::free;
    --used_;
}

}  // namespace imsd::dp::net

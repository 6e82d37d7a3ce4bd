#pragma once

// Leak accounting for tests and fuzz targets: mbufs legitimately held by the
// packet path (waiting for ARP) rather than lost.

#include "dataplane/net/neighbour.hpp"

namespace imsd::test {

inline unsigned held_by_neighbours(dp::net::neighbour_table& t) {
    unsigned n = 0;
    for (uint32_t i = 0; i < t.capacity(); ++i) {
        const auto* e = t.at(i);
        if (e->state != dp::net::neigh_state::free && e->held != nullptr) {
            n += e->held->nb_segs;
        }
    }
    return n;
}

}  // namespace imsd::test

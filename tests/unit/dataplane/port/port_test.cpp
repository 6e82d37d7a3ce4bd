#include "dataplane/port/port.hpp"

#include <gtest/gtest.h>

namespace imsd::dp {
namespace {

TEST(port, a_zero_copy_memif_client_may_keep_both_rings_per_queue_past_close) {
    // memif's defaults: role client, rsize 10 (1,024 slots per ring).
    EXPECT_EQ(mbufs_held_past_close("net_memif0,socket=/run/m.sock,zero-copy=yes", 1), 2048u);
    EXPECT_EQ(mbufs_held_past_close("net_memif0,role=client,zero-copy=yes,socket=/x", 2), 4096u);
    EXPECT_EQ(mbufs_held_past_close("net_memif1,zero-copy=yes,rsize=8,role=client", 1), 512u);
}

TEST(port, other_drivers_and_memif_without_zero_copy_keep_nothing) {
    EXPECT_EQ(mbufs_held_past_close("net_memif0,role=server,zero-copy=yes", 1), 0u);
    EXPECT_EQ(mbufs_held_past_close("net_memif0,role=client,zero-copy=no", 1), 0u);
    EXPECT_EQ(mbufs_held_past_close("net_memif0,role=client", 1), 0u);
    EXPECT_EQ(mbufs_held_past_close("net_memif0", 1), 0u);
    EXPECT_EQ(mbufs_held_past_close("net_tap0,iface=imsd0", 1), 0u);
    EXPECT_EQ(mbufs_held_past_close("0000:03:00.0", 4), 0u);
    EXPECT_EQ(mbufs_held_past_close("", 1), 0u);
}

TEST(port, a_bad_ring_size_falls_back_to_memifs_default) {
    // memif itself refuses such a device at probe; here the bound stays sane.
    EXPECT_EQ(mbufs_held_past_close("net_memif0,zero-copy=yes,rsize=99", 1), 2048u);
    EXPECT_EQ(mbufs_held_past_close("net_memif0,zero-copy=yes,rsize=x", 1), 2048u);
    EXPECT_EQ(mbufs_held_past_close("net_memif0,zero-copy=yes,rsize=", 1), 2048u);
}

}  // namespace
}  // namespace imsd::dp

#include <gtest/gtest.h>

#include <algorithm>

#include "platform/eal/eal.hpp"

namespace imsd::platform {
namespace {

bool has(const eal_plan& p, const std::string& arg) {
    return std::find(p.args.begin(), p.args.end(), arg) != p.args.end();
}

settings tap_lab() {
    settings s;
    s.ports.push_back({"media0", "net_tap0,iface=t0", {}, {}, 1500, 1024, 1024, 0});
    return s;
}

TEST(eal_plan, no_hugepages_picks_no_huge_with_a_sized_memory_and_says_so) {
    auto p = plan_eal(tap_lab(), host_memory{}, 2);
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->no_huge);
    EXPECT_TRUE(has(*p, "--no-huge"));
    EXPECT_TRUE(has(*p, std::to_string(memory_needed_mb(tap_lab(), 2))));
    EXPECT_TRUE(has(*p, "--vdev=net_tap0,iface=t0"));
    EXPECT_TRUE(has(*p, "--no-pci"));
    EXPECT_TRUE(std::any_of(p->notes.begin(), p->notes.end(), [](const std::string& n) {
        return n.find("no hugepages") != std::string::npos;
    }));
}

// With MSRP on, every lcore the settings name gets its relay's own pool
// (dataplane/msrp/out-mbufs) in the memory asked of the EAL.
TEST(eal_plan, memory_counts_each_lcores_relay_pool) {
    settings s = tap_lab();
    s.dataplane.msrp.port_first = 2855;
    s.system.lcores = "0";
    const uint32_t one = memory_needed_mb(s);
    s.system.lcores = "0,2-3";
    const uint32_t three = memory_needed_mb(s);
    EXPECT_GE(three - one, 2 * (4095u * 2432 >> 20)) << one << " " << three;
    s.system.lcores = "0@1,1@2,2@3";
    EXPECT_EQ(memory_needed_mb(s), three);
    s.system.lcores = "auto";
    EXPECT_EQ(memory_needed_mb(s, 3), three);
    s.dataplane.msrp.out_mbufs = 0;
    EXPECT_LT(memory_needed_mb(s, 3), three);
}

TEST(eal_plan, enough_hugepages_are_used) {
    host_memory mem{uint64_t{1} << 30, 2 << 20};
    auto p = plan_eal(tap_lab(), mem, 4);
    ASSERT_TRUE(p);
    EXPECT_FALSE(p->no_huge);
    EXPECT_FALSE(has(*p, "--no-huge"));
    EXPECT_TRUE(has(*p, "0-3"));
}

TEST(eal_plan, hugepages_on_without_pages_is_an_error_naming_the_setting) {
    settings s = tap_lab();
    s.system.hugepages = hugepage_mode::on;
    auto p = plan_eal(s, host_memory{}, 2);
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().where, "system/hugepages");
}

TEST(eal_plan, pci_ports_are_allow_listed_and_pci_probing_stays_on) {
    settings s;
    s.ports.push_back({"uplink", "0000:03:00.0", {}, {}, 1500, 1024, 1024, 0});
    auto p = plan_eal(s, host_memory{uint64_t{1} << 30, 2 << 20}, 2);
    ASSERT_TRUE(p);
    EXPECT_TRUE(has(*p, "-a"));
    EXPECT_TRUE(has(*p, "0000:03:00.0"));
    EXPECT_FALSE(has(*p, "--no-pci"));
}

TEST(eal_plan, a_zero_copy_memif_client_gets_single_file_segments_once) {
    settings s;
    s.ports.push_back({"a",
                       "net_memif0,role=client,socket=/tmp/m.sock,zero-copy=yes",
                       {},
                       {},
                       1500,
                       1024,
                       1024,
                       0});
    s.ports.push_back({"b",
                       "net_memif1,role=client,socket=/tmp/n.sock,zero-copy=yes",
                       {},
                       {},
                       1500,
                       1024,
                       1024,
                       0});
    auto p = plan_eal(s, host_memory{}, 2);
    ASSERT_TRUE(p);
    EXPECT_EQ(std::count(p->args.begin(), p->args.end(), "--single-file-segments"), 1);
    EXPECT_TRUE(p->no_huge) << "and it works without hugepages";
    auto q = plan_eal(tap_lab(), host_memory{}, 2);
    ASSERT_TRUE(q);
    EXPECT_FALSE(has(*q, "--single-file-segments")) << "only where a port needs it";
}

TEST(eal_plan, single_cpu_is_single_core_mode) {
    auto p = plan_eal(tap_lab(), host_memory{}, 1);
    ASSERT_TRUE(p);
    EXPECT_TRUE(has(*p, "0"));
    EXPECT_FALSE(has(*p, "0-0"));
}

TEST(eal_plan, device_names) {
    EXPECT_TRUE(is_pci_address("0000:03:00.0"));
    EXPECT_TRUE(is_pci_address("03:00.1"));
    EXPECT_FALSE(is_pci_address("net_tap0,iface=x"));
    EXPECT_EQ(port_name_of("net_tap0,iface=x"), "net_tap0");
    EXPECT_EQ(port_name_of("03:00.1"), "0000:03:00.1");
}

}  // namespace
}  // namespace imsd::platform

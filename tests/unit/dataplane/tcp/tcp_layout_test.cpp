// The connection control block's layout: what every segment touches in two
// cache lines (docs/design/tcp.md states the figures).

#include <gtest/gtest.h>

#include <cstddef>

#include "dataplane/tcp/tcp.hpp"

namespace imsd::test {
namespace {

using dp::tcp::tcb;

TEST(tcp_layout, hot_fields_fill_the_first_two_cache_lines) {
    static_assert(std::is_standard_layout_v<tcb>);
    EXPECT_EQ(alignof(tcb), RTE_CACHE_LINE_SIZE);
    EXPECT_LE(offsetof(tcb, user) + sizeof(void*), 2u * RTE_CACHE_LINE_SIZE);
    EXPECT_EQ(offsetof(tcb, cb), 2u * RTE_CACHE_LINE_SIZE) << "the callbacks start line 2";
    EXPECT_LE(sizeof(tcb), 320u) << "grew: update docs/design/tcp.md and this bound";
}

}  // namespace
}  // namespace imsd::test

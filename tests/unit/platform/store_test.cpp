#include "platform/store/store.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace imsd::platform {
namespace {

std::unique_ptr<store> memory_store() {
    auto s = open_sqlite_store(":memory:");
    EXPECT_TRUE(s) << (s ? "" : s.error().to_string());
    return std::move(*s);
}

TEST(store, put_get_versions) {
    auto s = memory_store();
    EXPECT_EQ(s->put("user/a", "one").value(), 1u);
    EXPECT_EQ(s->put("user/a", "two").value(), 2u);
    auto r = s->get("user/a").value();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->value, "two");
    EXPECT_EQ(r->version, 2u);
    EXPECT_FALSE(s->get("user/b").value());
}

TEST(store, expected_version_guards_concurrent_writers) {
    auto s = memory_store();
    EXPECT_TRUE(s->put("k", "v1", 0));
    auto conflict = s->put("k", "v2", 0);
    ASSERT_FALSE(conflict);
    EXPECT_NE(conflict.error().what.find("version conflict"), std::string::npos);
    EXPECT_EQ(s->put("k", "v2", 1).value(), 2u);
    EXPECT_EQ(s->get("k").value()->value, "v2");
}

TEST(store, scan_by_prefix_in_key_order_with_wildcards_taken_literally) {
    auto s = memory_store();
    for (const char* k : {"user/b", "user/a", "users", "user%/x", "other"}) {
        ASSERT_TRUE(s->put(k, k));
    }
    auto rows = s->scan("user/").value();
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].key, "user/a");
    EXPECT_EQ(rows[1].key, "user/b");
    EXPECT_EQ(s->scan("user%").value().size(), 1u);
    EXPECT_EQ(s->scan("").value().size(), 5u);
    EXPECT_EQ(s->scan("", 2).value().size(), 2u);
}

TEST(store, binary_values_and_remove) {
    auto s = memory_store();
    std::string bin("a\0b\xff", 4);
    ASSERT_TRUE(s->put("bin", bin));
    EXPECT_EQ(s->get("bin").value()->value, bin);
    EXPECT_TRUE(s->remove("bin").value());
    EXPECT_FALSE(s->remove("bin").value());
    EXPECT_FALSE(s->get("bin").value());
}

TEST(store, records_survive_reopening) {
    auto dir = std::filesystem::temp_directory_path() / ("imsd-store-" + std::to_string(getpid()));
    auto path = (dir / "sub" / "store.db").string();
    {
        auto s = open_sqlite_store(path);
        ASSERT_TRUE(s) << s.error().to_string();
        ASSERT_TRUE((*s)->put("durable", "yes"));
    }
    {
        auto s = open_sqlite_store(path);
        ASSERT_TRUE(s);
        EXPECT_EQ((*s)->get("durable").value()->value, "yes");
    }
    std::filesystem::remove_all(dir);
}

TEST(store, unopenable_path_is_an_error_naming_it) {
    auto s = open_sqlite_store("/proc/imsd-cannot/store.db");
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().where, "/proc/imsd-cannot/store.db");
}

}  // namespace
}  // namespace imsd::platform

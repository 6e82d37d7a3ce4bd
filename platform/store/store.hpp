#pragma once

// The record store: durable key/value records with versions, behind a narrow
// interface (put / get / scan by key prefix / delete) so that a distributed
// engine can replace the embedded SQLite backend without touching callers.
// Control threads only; one store object may be shared by them (SQLite runs
// serialized).

#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "platform/error.hpp"

namespace imsd::platform {

struct record {
    std::string key;
    std::string value;
    uint64_t version = 0;  // 1 on first put, +1 on every put after
};

class store {
   public:
    virtual ~store() = default;

    // Writes `value` under `key`. With `expected_version`, writes only if the
    // record's current version is that (0: the record must not exist), else
    // fails with what="version conflict". Returns the new version.
    virtual std::expected<uint64_t, error> put(std::string_view key, std::string_view value,
                                               std::optional<uint64_t> expected_version = {}) = 0;
    virtual std::expected<std::optional<record>, error> get(std::string_view key) = 0;
    // Records whose key starts with `prefix`, in key order, at most `limit`.
    virtual std::expected<std::vector<record>, error> scan(std::string_view prefix,
                                                           size_t limit = SIZE_MAX) = 0;
    // True when a record was removed.
    virtual std::expected<bool, error> remove(std::string_view key) = 0;
};

// The embedded backend: one SQLite database file (WAL, synchronous=FULL so a
// put that returned survives a power cut). ":memory:" for tests.
std::expected<std::unique_ptr<store>, error> open_sqlite_store(const std::string& path);

}  // namespace imsd::platform

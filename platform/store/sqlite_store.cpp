#include <sqlite3.h>

#include <filesystem>
#include <mutex>

#include "platform/store/store.hpp"

namespace imsd::platform {

namespace {

struct db_closer {
    void operator()(sqlite3* db) const { sqlite3_close(db); }
};
struct stmt_finalizer {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using stmt_ptr = std::unique_ptr<sqlite3_stmt, stmt_finalizer>;

class sqlite_store final : public store {
   public:
    sqlite_store(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}

    std::expected<uint64_t, error> put(std::string_view key, std::string_view value,
                                       std::optional<uint64_t> expected_version) override {
        std::lock_guard lock(mu_);
        if (auto rc = exec("BEGIN IMMEDIATE"); !rc) {
            return std::unexpected(rc.error());
        }
        auto current = version_of(key);
        if (!current) {
            exec("ROLLBACK");
            return std::unexpected(current.error());
        }
        if (expected_version && *expected_version != *current) {
            exec("ROLLBACK");
            return std::unexpected(
                make_error(std::string(key), "version conflict: the record is at version " +
                                                 std::to_string(*current) + ", not " +
                                                 std::to_string(*expected_version)));
        }
        const uint64_t next = *current + 1;
        auto st = prepare(
            "INSERT INTO records(key, value, version) VALUES(?1, ?2, ?3) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value, version = excluded.version");
        if (!st) {
            exec("ROLLBACK");
            return std::unexpected(st.error());
        }
        sqlite3_bind_text(st->get(), 1, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
        sqlite3_bind_blob(st->get(), 2, value.data(), static_cast<int>(value.size()),
                          SQLITE_TRANSIENT);
        sqlite3_bind_int64(st->get(), 3, static_cast<sqlite3_int64>(next));
        if (sqlite3_step(st->get()) != SQLITE_DONE) {
            auto e = db_error("put");
            exec("ROLLBACK");
            return std::unexpected(e);
        }
        if (auto rc = exec("COMMIT"); !rc) {
            return std::unexpected(rc.error());
        }
        return next;
    }

    std::expected<std::optional<record>, error> get(std::string_view key) override {
        std::lock_guard lock(mu_);
        auto st = prepare("SELECT key, value, version FROM records WHERE key = ?1");
        if (!st) {
            return std::unexpected(st.error());
        }
        sqlite3_bind_text(st->get(), 1, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
        int rc = sqlite3_step(st->get());
        if (rc == SQLITE_DONE) {
            return std::optional<record>{};
        }
        if (rc != SQLITE_ROW) {
            return std::unexpected(db_error("get"));
        }
        return std::optional<record>{row(st->get())};
    }

    std::expected<std::vector<record>, error> scan(std::string_view prefix, size_t limit) override {
        std::lock_guard lock(mu_);
        // substr() compares bytes, so keys with LIKE wildcards are safe.
        auto st = prepare(
            "SELECT key, value, version FROM records WHERE substr(key, 1, ?2) = ?1 "
            "ORDER BY key LIMIT ?3");
        if (!st) {
            return std::unexpected(st.error());
        }
        sqlite3_bind_text(st->get(), 1, prefix.data(), static_cast<int>(prefix.size()),
                          SQLITE_TRANSIENT);
        sqlite3_bind_int64(st->get(), 2, static_cast<sqlite3_int64>(prefix.size()));
        sqlite3_bind_int64(st->get(), 3,
                           limit > INT64_MAX ? INT64_MAX : static_cast<sqlite3_int64>(limit));
        std::vector<record> out;
        int rc;
        while ((rc = sqlite3_step(st->get())) == SQLITE_ROW) {
            out.push_back(row(st->get()));
        }
        if (rc != SQLITE_DONE) {
            return std::unexpected(db_error("scan"));
        }
        return out;
    }

    std::expected<bool, error> remove(std::string_view key) override {
        std::lock_guard lock(mu_);
        auto st = prepare("DELETE FROM records WHERE key = ?1");
        if (!st) {
            return std::unexpected(st.error());
        }
        sqlite3_bind_text(st->get(), 1, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
        if (sqlite3_step(st->get()) != SQLITE_DONE) {
            return std::unexpected(db_error("delete"));
        }
        return sqlite3_changes(db_.get()) > 0;
    }

    std::expected<void, error> exec(const char* sql) {
        char* msg = nullptr;
        if (sqlite3_exec(db_.get(), sql, nullptr, nullptr, &msg) != SQLITE_OK) {
            std::string text = msg != nullptr ? msg : "unknown error";
            sqlite3_free(msg);
            return std::unexpected(make_error(path_, std::string(sql) + ": " + text));
        }
        return {};
    }

   private:
    std::expected<stmt_ptr, error> prepare(const char* sql) {
        sqlite3_stmt* s = nullptr;
        if (sqlite3_prepare_v2(db_.get(), sql, -1, &s, nullptr) != SQLITE_OK) {
            return std::unexpected(db_error("prepare"));
        }
        return stmt_ptr(s);
    }

    std::expected<uint64_t, error> version_of(std::string_view key) {
        auto st = prepare("SELECT version FROM records WHERE key = ?1");
        if (!st) {
            return std::unexpected(st.error());
        }
        sqlite3_bind_text(st->get(), 1, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
        int rc = sqlite3_step(st->get());
        if (rc == SQLITE_ROW) {
            return static_cast<uint64_t>(sqlite3_column_int64(st->get(), 0));
        }
        if (rc == SQLITE_DONE) {
            return uint64_t{0};
        }
        return std::unexpected(db_error("get version"));
    }

    static record row(sqlite3_stmt* s) {
        record r;
        r.key = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
        const void* blob = sqlite3_column_blob(s, 1);
        r.value.assign(static_cast<const char*>(blob),
                       static_cast<size_t>(sqlite3_column_bytes(s, 1)));
        r.version = static_cast<uint64_t>(sqlite3_column_int64(s, 2));
        return r;
    }

    error db_error(const char* what) {
        return make_error(path_, std::string(what) + ": " + sqlite3_errmsg(db_.get()));
    }

    std::string path_;
    std::unique_ptr<sqlite3, db_closer> db_;
    std::mutex mu_;
};

}  // namespace

std::expected<std::unique_ptr<store>, error> open_sqlite_store(const std::string& path) {
    if (path != ":memory:") {
        std::error_code ec;
        auto dir = std::filesystem::path(path).parent_path();
        if (!dir.empty()) {
            std::filesystem::create_directories(dir, ec);
            if (ec) {
                return std::unexpected(
                    make_error(path, "cannot create " + dir.string() + ": " + ec.message()));
            }
        }
    }
    sqlite3* raw = nullptr;
    if (sqlite3_open_v2(path.c_str(), &raw,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        nullptr) != SQLITE_OK) {
        std::string why = raw != nullptr ? sqlite3_errmsg(raw) : "out of memory";
        sqlite3_close(raw);
        return std::unexpected(make_error(path, "cannot open the store: " + why));
    }
    auto s = std::make_unique<sqlite_store>(path, raw);
    for (const char* sql :
         {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA busy_timeout=2000",
          "CREATE TABLE IF NOT EXISTS records(key TEXT PRIMARY KEY, value BLOB NOT NULL, "
          "version INTEGER NOT NULL)"}) {
        if (auto rc = s->exec(sql); !rc) {
            return std::unexpected(rc.error());
        }
    }
    return std::unique_ptr<store>(std::move(s));
}

}  // namespace imsd::platform

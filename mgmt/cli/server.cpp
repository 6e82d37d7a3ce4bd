#include "mgmt/cli/server.hpp"

#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <rte_lcore.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "mgmt/cli/protocol.hpp"
#include "platform/log/log.hpp"

namespace imsd::mgmt::cli {

using platform::make_error;

namespace {

constexpr int poll_ms = 200;
constexpr int io_timeout_s = 2;
constexpr size_t max_drain_bytes = 1 << 20;

std::string errno_text() { return std::strerror(errno); }

// True when some process accepts connections on `path`.
bool someone_listens(const sockaddr_un& addr) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return false;
    }
    bool yes = connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
    close(fd);
    return yes;
}

bool write_all(int fd, const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
        ssize_t n = send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        off += static_cast<size_t>(n);
    }
    return true;
}

std::string user_name(uid_t uid) {
    passwd* pw = getpwuid(uid);
    return pw != nullptr ? pw->pw_name : std::to_string(uid);
}

}  // namespace

std::expected<std::unique_ptr<server>, platform::error> server::start(const std::string& path,
                                                                      const std::string& group_name,
                                                                      const cli_env& env) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof(addr.sun_path)) {
        return std::unexpected(make_error("system/cli-socket", "path too long: " + path));
    }
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);

    std::error_code ec;
    auto dir = std::filesystem::path(path).parent_path();
    if (!dir.empty() && !std::filesystem::exists(dir, ec)) {
        std::filesystem::create_directories(dir, ec);
        if (ec) {
            return std::unexpected(make_error(
                "system/cli-socket", "cannot create " + dir.string() + ": " + ec.message()));
        }
        chmod(dir.c_str(), 0755);
    }
    if (std::filesystem::exists(path, ec)) {
        if (someone_listens(addr)) {
            return std::unexpected(make_error(
                "system/cli-socket", path + " is in use: is another imsd running? (give each "
                                            "instance its own cli-socket and file-prefix)"));
        }
        unlink(path.c_str());  // left over from a process that did not exit cleanly
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return std::unexpected(make_error("system/cli-socket", "socket: " + errno_text()));
    }
    // Created 0660 from the start: no window in which others may connect.
    mode_t old = umask(0117);
    int rc = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    umask(old);
    if (rc != 0 || listen(fd, 16) != 0) {
        std::string why = errno_text();
        close(fd);
        return std::unexpected(make_error("system/cli-socket", path + ": " + why));
    }
    chmod(path.c_str(), 0660);
    if (struct group* g = getgrnam(group_name.c_str()); g != nullptr) {
        if (chown(path.c_str(), static_cast<uid_t>(-1), g->gr_gid) != 0) {
            IMSD_LOG(mgmt, WARNING, "cli: cannot give {} to group {}: {}", path, group_name,
                     errno_text());
        }
    } else {
        IMSD_LOG(mgmt, NOTICE,
                 "cli: group '{}' does not exist; {} is usable by root only (groupadd {} to "
                 "share it)",
                 group_name, path, group_name);
    }

    std::unique_ptr<server> s(new server(path, fd, env));
    if (int trc = rte_ctrl_thread_create(&s->thread_, "imsd-cli", nullptr, thread_main, s.get());
        trc != 0) {
        return std::unexpected(
            make_error("cli", "cannot start the CLI thread: " + std::string(std::strerror(trc))));
    }
    s->thread_started_ = true;
    IMSD_LOG(mgmt, INFO, "cli: listening on {}", path);
    return s;
}

server::~server() {
    stop_.store(true, std::memory_order_relaxed);
    if (thread_started_) {
        pthread_join(thread_, nullptr);
    }
    close(fd_);
    unlink(path_.c_str());
    IMSD_LOG(mgmt, INFO, "cli: {} removed", path_);
}

void* server::thread_main(void* self) {
    auto* s = static_cast<server*>(self);
    while (!s->stop_.load(std::memory_order_relaxed)) {
        pollfd p{s->fd_, POLLIN, 0};
        int n = poll(&p, 1, poll_ms);
        if (n <= 0) {
            continue;
        }
        int conn = accept4(s->fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (conn < 0) {
            continue;
        }
        s->serve_one(conn);
        close(conn);
    }
    return nullptr;
}

void server::serve_one(int conn) {
    timeval tv{io_timeout_s, 0};
    setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(conn, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    ucred cred{};
    socklen_t len = sizeof(cred);
    getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len);

    std::string line;
    char buf[4096];
    while (line.find('\n') == std::string::npos && line.size() <= max_request_bytes) {
        ssize_t n = recv(conn, buf, sizeof(buf), 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        line.append(buf, static_cast<size_t>(n));
    }
    requests_.fetch_add(1, std::memory_order_relaxed);
    reply r;
    auto req = decode_request(line.substr(0, line.find('\n')));
    if (!req) {
        r = reply{exit_protocol, {}, "imsd: " + req.error() + "\n"};
    } else {
        auto cmd = parse_command(req->argv);
        if (!cmd) {
            r = reply{exit_usage, {}, "imsctl: " + cmd.error().message + "\n" + cmd.error().help};
        } else {
            if (cmd->spec->changes_state) {
                std::string text;
                for (const auto& a : req->argv) {
                    text += (text.empty() ? "" : " ") + a;
                }
                IMSD_LOG(mgmt, NOTICE, "cli: uid {} ({}) pid {} ran '{}'", cred.uid,
                         user_name(cred.uid), cred.pid, text);
            }
            cmd->input = req->input ? &*req->input : nullptr;
            r = execute(*cmd, req->json, env_,
                        "uid " + std::to_string(cred.uid) + " (" + user_name(cred.uid) + ") pid " +
                            std::to_string(cred.pid));
        }
    }
    write_all(conn, encode_reply(r));
    // Closing with unread input makes the kernel send a reset, which can
    // destroy the reply before the client reads it: read what is left first,
    // bounded in bytes and by the receive timeout.
    shutdown(conn, SHUT_WR);
    size_t drained = 0;
    while (drained < max_drain_bytes) {
        ssize_t n = recv(conn, buf, sizeof(buf), 0);
        if (n <= 0) {
            break;
        }
        drained += static_cast<size_t>(n);
    }
}

}  // namespace imsd::mgmt::cli

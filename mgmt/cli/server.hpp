#pragma once

// The CLI server: a DPDK control thread accepting imsctl connections on a
// UNIX socket (0660, owned by the settings' group), one request each.

#include <atomic>
#include <expected>
#include <memory>
#include <string>

#include "mgmt/cli/execute.hpp"
#include "platform/error.hpp"

namespace imsd::mgmt::cli {

class server {
   public:
    // Main thread. Creates the socket (refusing if another daemon listens on
    // it) and starts the control thread. `env` must outlive the server.
    static std::expected<std::unique_ptr<server>, platform::error> start(const std::string& path,
                                                                         const std::string& group,
                                                                         const cli_env& env);
    // Stops the thread and removes the socket.
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    uint64_t requests() const noexcept { return requests_.load(std::memory_order_relaxed); }

   private:
    server(std::string path, int fd, const cli_env& env)
        : path_(std::move(path)), fd_(fd), env_(env) {}
    static void* thread_main(void* self);
    void serve_one(int conn);

    std::string path_;
    int fd_;
    const cli_env& env_;
    pthread_t thread_{};
    bool thread_started_ = false;
    std::atomic<bool> stop_{false};
    std::atomic<uint64_t> requests_{0};
};

}  // namespace imsd::mgmt::cli

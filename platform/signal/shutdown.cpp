#include "platform/signal/shutdown.hpp"

#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstring>

namespace imsd::platform {

namespace detail {
std::atomic<bool> g_shutdown{false};
}

namespace {

volatile sig_atomic_t g_signal = 0;

void on_term(int sig) {
    g_signal = sig;
    detail::g_shutdown.store(true, std::memory_order_relaxed);
}

void on_alarm(int) {
    static const char msg[] = "imsd: shutdown did not finish in time, exiting now\n";
    ssize_t ignored = write(STDERR_FILENO, msg, sizeof(msg) - 1);
    (void)ignored;
    _exit(70);
}

}  // namespace

static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler needs a lock-free flag");

void install_shutdown_signals() {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    // A CLI client that goes away mid-reply must not kill the daemon.
    signal(SIGPIPE, SIG_IGN);
}

void request_shutdown() noexcept { detail::g_shutdown.store(true, std::memory_order_relaxed); }

int shutdown_signal() noexcept { return g_signal; }

void arm_shutdown_watchdog(uint32_t timeout_ms) {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, nullptr);
    itimerval t{};
    t.it_value.tv_sec = timeout_ms / 1000;
    t.it_value.tv_usec = static_cast<suseconds_t>((timeout_ms % 1000) * 1000);
    setitimer(ITIMER_REAL, &t, nullptr);
}

void disarm_shutdown_watchdog() {
    itimerval t{};
    setitimer(ITIMER_REAL, &t, nullptr);
}

}  // namespace imsd::platform

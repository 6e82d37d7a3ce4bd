#pragma once

// Clean, bounded shutdown. SIGTERM and SIGINT set one flag that every loop
// polls; the main thread then tears down in order and, if that takes longer
// than the settings allow, the watchdog ends the process with exit code 70.

#include <atomic>
#include <cstdint>

namespace imsd::platform {

// Main thread, before any other thread starts (threads inherit the handlers).
void install_shutdown_signals();

// Any thread: true once a shutdown was asked for (signal or request).
inline bool shutdown_requested() noexcept;

// Any thread, async-signal-safe.
void request_shutdown() noexcept;

// Main thread: ends the process if shutdown has not finished in `timeout_ms`.
void arm_shutdown_watchdog(uint32_t timeout_ms);
void disarm_shutdown_watchdog();

// The signal that asked for shutdown (0 when requested otherwise).
int shutdown_signal() noexcept;

namespace detail {
extern std::atomic<bool> g_shutdown;  // signal handler: writes; every loop: reads
}

inline bool shutdown_requested() noexcept {
    return detail::g_shutdown.load(std::memory_order_relaxed);
}

}  // namespace imsd::platform

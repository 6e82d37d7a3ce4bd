#pragma once

// The settings in force, and changing them while imsd runs. A new document is
// validated, its content rules compiled, and its differences from the live
// settings computed; if every difference can be applied live, the dataplane
// gets its part (addresses, by RCU) and the control plane swaps to the new
// immutable snapshot. Otherwise nothing changes and the error says why.

#include <atomic>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "mgmt/policy/content_rules.hpp"
#include "mgmt/settings/settings_doc.hpp"
#include "platform/error.hpp"
#include "platform/settings/settings.hpp"

namespace imsd::mgmt {

struct live_settings {
    platform::settings settings;
    std::shared_ptr<const compiled_rules> rules;
    uint64_t generation = 1;  // +1 per successful apply
    std::string applied_by;   // "start-up" or the CLI caller
};

struct apply_outcome {
    std::vector<setting_change> changes;
    uint64_t generation = 0;  // the generation now in force
};

class runtime {
   public:
    // Any control thread; called by apply() with the new settings, their
    // compiled content rules and the generation they will have, before they
    // are published. All-or-nothing: on error nothing may have changed.
    using apply_hook = std::function<std::expected<void, platform::error>(
        const platform::settings&, const std::shared_ptr<const compiled_rules>&, uint64_t)>;

    // Main thread at start-up: compiles the initial content rules.
    static std::expected<std::unique_ptr<runtime>, platform::error> create(
        platform::settings initial);

    // Main thread, before any apply: the planes' parts of an apply.
    void add_hook(apply_hook hook) { hooks_.push_back(std::move(hook)); }

    // Any thread: the settings in force. Never null.
    std::shared_ptr<const live_settings> current() const { return current_.load(); }

    // Validates and compiles `text` and lists what would change. Changes nothing.
    std::expected<apply_outcome, platform::error> check(std::string_view text,
                                                        const std::string& name) const;

    // check(), then applies if every change can be applied live.
    std::expected<apply_outcome, platform::error> apply(std::string_view text,
                                                        const std::string& name,
                                                        const std::string& who);

    uint64_t applied() const { return applied_.load(std::memory_order_relaxed); }
    uint64_t rejected() const { return rejected_.load(std::memory_order_relaxed); }

   private:
    struct candidate {
        platform::settings settings;
        std::shared_ptr<const compiled_rules> rules;
        std::vector<setting_change> changes;
    };
    explicit runtime(std::shared_ptr<const live_settings> initial) : current_(std::move(initial)) {}
    std::expected<candidate, platform::error> prepare(std::string_view text,
                                                      const std::string& name) const;

    std::atomic<std::shared_ptr<const live_settings>> current_;
    std::vector<apply_hook> hooks_;
    std::mutex apply_mu_;  // one apply at a time
    std::atomic<uint64_t> applied_{0};
    std::atomic<uint64_t> rejected_{0};
};

}  // namespace imsd::mgmt

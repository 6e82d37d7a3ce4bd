#include "mgmt/runtime/runtime.hpp"

#include "platform/log/log.hpp"

namespace imsd::mgmt {

using platform::make_error;

std::expected<std::unique_ptr<runtime>, platform::error> runtime::create(
    platform::settings initial) {
    auto rules = compiled_rules::compile(initial.content_rules, initial.source);
    if (!rules) {
        return std::unexpected(rules.error());
    }
    auto live = std::make_shared<live_settings>();
    live->settings = std::move(initial);
    live->rules = std::move(*rules);
    live->applied_by = "start-up";
    return std::unique_ptr<runtime>(new runtime(std::move(live)));
}

std::expected<runtime::candidate, platform::error> runtime::prepare(std::string_view text,
                                                                    const std::string& name) const {
    auto s = parse_settings(text, name);
    if (!s) {
        return std::unexpected(s.error());
    }
    auto rules = compiled_rules::compile(s->content_rules, name);
    if (!rules) {
        return std::unexpected(rules.error());
    }
    candidate c;
    c.changes = diff(current()->settings, *s);
    c.settings = std::move(*s);
    c.rules = std::move(*rules);
    return c;
}

std::expected<apply_outcome, platform::error> runtime::check(std::string_view text,
                                                             const std::string& name) const {
    auto c = prepare(text, name);
    if (!c) {
        return std::unexpected(c.error());
    }
    return apply_outcome{std::move(c->changes), current()->generation};
}

std::expected<apply_outcome, platform::error> runtime::apply(std::string_view text,
                                                             const std::string& name,
                                                             const std::string& who) {
    std::lock_guard lock(apply_mu_);
    auto c = prepare(text, name);
    if (!c) {
        rejected_.fetch_add(1, std::memory_order_relaxed);
        IMSD_LOG(mgmt, WARNING, "settings from {} rejected ({}): {}", name, who,
                 c.error().to_string());
        return std::unexpected(c.error());
    }
    std::string restart;
    for (const auto& ch : c->changes) {
        if (ch.needs_restart) {
            restart += (restart.empty() ? "" : ", ") + ch.path;
        }
    }
    if (!restart.empty()) {
        rejected_.fetch_add(1, std::memory_order_relaxed);
        IMSD_LOG(mgmt, WARNING, "settings from {} rejected ({}): restart needed for {}", name, who,
                 restart);
        return std::unexpected(
            make_error(name,
                       "these settings cannot change while imsd runs (restart imsd with the new "
                       "file): " +
                           restart + "; nothing was changed"));
    }
    auto old = current();
    if (c->changes.empty()) {
        return apply_outcome{{}, old->generation};
    }
    for (const auto& hook : hooks_) {
        if (auto rc = hook(c->settings, c->rules, old->generation + 1); !rc) {
            rejected_.fetch_add(1, std::memory_order_relaxed);
            return std::unexpected(rc.error());
        }
    }
    if (c->settings.system.log_level != old->settings.system.log_level) {
        for (auto plane : platform::plane_names) {
            platform::set_level(plane, c->settings.system.log_level);
        }
    }
    auto next = std::make_shared<live_settings>();
    next->settings = std::move(c->settings);
    next->rules = std::move(c->rules);
    next->generation = old->generation + 1;
    next->applied_by = who;
    const uint64_t generation = next->generation;
    current_.store(std::move(next));
    applied_.fetch_add(1, std::memory_order_relaxed);
    IMSD_LOG(mgmt, NOTICE, "settings generation {} from {} applied by {}: {} change(s)", generation,
             name, who, c->changes.size());
    return apply_outcome{std::move(c->changes), generation};
}

}  // namespace imsd::mgmt

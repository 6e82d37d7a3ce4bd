#pragma once

// The sigplane's MSRP relay control (sig::media_control) on the dataplane's
// control API: where the planes meet.

#include "dataplane/worker/dataplane.hpp"
#include "sigplane/media/control.hpp"

namespace imsd::daemon {

class relay_control final : public sig::media_control {
   public:
    explicit relay_control(dp::dataplane& d) : d_(d) {}

    std::expected<sig::media_session, platform::error> create() override {
        auto r = d_.msrp_create();
        if (!r) {
            return std::unexpected(r.error());
        }
        return sig::media_session{r->id, r->local_uri[0], r->local_uri[1]};
    }
    std::expected<void, platform::error> set_remote(uint32_t id, int leg, const std::string& path,
                                                    bool active) override {
        return d_.msrp_set_remote(id, leg, path, active);
    }
    std::expected<void, platform::error> policy(uint32_t id, const std::string& types,
                                                const std::string& wrapped,
                                                uint64_t max_size) override {
        return d_.msrp_media_policy(id, types, wrapped, max_size);
    }
    std::expected<void, platform::error> sent_counts(uint32_t id, int leg) override {
        return d_.msrp_report_leg(id, leg);
    }
    std::expected<void, platform::error> release(uint32_t id) override {
        return d_.msrp_release(id);
    }

   private:
    dp::dataplane& d_;
};

}  // namespace imsd::daemon

#pragma once

// The sigplane's hold on the MSRP relay (ARCHITECTURE "media/": the control
// ring client): create a relayed session, give each leg its peer's path,
// release it. The daemon implements it with the dataplane's control API
// (each call is answered by the lcore that holds the session, within a
// poll). Called on the SIP agent thread.

#include <cstdint>
#include <expected>
#include <string>

#include "platform/error.hpp"

namespace imsd::sig {

struct media_session {
    uint32_t id = 0;
    std::string uri_a;  // imsd's MSRP URI on leg a (the side that invited)
    std::string uri_b;  // ... on leg b (the side imsd invites)
};

class media_control {
   public:
    virtual ~media_control() = default;
    virtual std::expected<media_session, platform::error> create() = 0;
    // leg 0 = a, 1 = b; active: imsd connects to `path`, else it waits.
    virtual std::expected<void, platform::error> set_remote(uint32_t id, int leg,
                                                            const std::string& path,
                                                            bool active) = 0;
    // RFC 4975 8.6 limits of the session from the SDP (space-separated types).
    virtual std::expected<void, platform::error> policy(uint32_t id, const std::string& types,
                                                        const std::string& wrapped,
                                                        uint64_t max_size) = 0;
    // OMA IM 6.1.1.2.2: Include-Sent-Count on the served client's leg.
    virtual std::expected<void, platform::error> sent_counts(uint32_t id, int leg) = 0;
    // Drains what is in flight, closes both legs.
    virtual std::expected<void, platform::error> release(uint32_t id) = 0;
};

}  // namespace imsd::sig

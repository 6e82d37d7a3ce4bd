#pragma once

// The sigplane's SIP agent: Sofia-SIP nta on its own thread (one su_root),
// listening (UDP and TCP) on the signaling address at the kernel side of
// the dataplane's exception path. It runs the Participating Function:
// originating (6.1.1) or terminating (6.1.2) by how the SIP/IP Core routed
// the request to it, the spec's checks (sigplane/checks) in order, then the
// request forwarded as a stateful proxy (6.1.1.2.2 step 2, RFC 3261 16) with
// Record-Route, responses relayed back, CANCEL and in-dialog requests
// followed. Where the operator's media-path policy keeps imsd in the media
// path the B2BUA is needed; until it exists such requests are refused 503
// and counted (never proxied as if they were in the media path).
//
// Everything Sofia-SIP is touched on the agent thread only; the public
// methods are for control threads.

#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>

#include "platform/error.hpp"
#include "platform/settings/settings.hpp"
#include "platform/stats/registry.hpp"
#include "platform/store/store.hpp"
#include "sigplane/checks/facts.hpp"
#include "sigplane/media/control.hpp"

namespace imsd::sig {

// What the agent asks about users; the daemon answers from mgmt's user
// directory (the sigplane does not reach into mgmt). Called on the agent
// thread; implementations lock as they need.
class user_source {
   public:
    virtual ~user_source() = default;
    // The served user `uri` (as the request names it: the implementation
    // normalizes), none when nothing is provisioned.
    virtual std::optional<served_user> find(const std::string& uri) const = 0;
    // The recipient's shared policy for this sender and kind (6.1.2.1 step 2).
    virtual invite_permission allow_invite(const std::string& recipient, const std::string& sender,
                                           bool anonymous, im_kind kind) const = 0;
};

struct agent_params {
    std::string address;  // the signaling address (dotted quad)
    uint16_t port = 5060;
    std::string server;  // Server / User-Agent product tokens: "IM-serv/OMA2.0 imsd/x.y.z"
    std::shared_ptr<const platform::settings> settings;
    const user_source* users = nullptr;  // outlives the agent
    // The MSRP relay, for sessions that keep imsd in the media path (the
    // B2BUA); null when the relay is off: such sessions are refused 503.
    media_control* media = nullptr;  // outlives the agent
    // Where history records go ("Storage for History"; null: none kept).
    // Keys: history/<user>/<start ms>-<Call-ID>. Outlives the agent.
    platform::store* store = nullptr;
};

class sip_agent {
   public:
    // Main thread: starts the agent thread and waits until it listens (or
    // says why it cannot).
    static std::expected<std::unique_ptr<sip_agent>, platform::error> start(agent_params p);
    // Stops the thread (in-flight transactions are abandoned).
    ~sip_agent();
    sip_agent(const sip_agent&) = delete;
    sip_agent& operator=(const sip_agent&) = delete;

    // Any thread: settings for the next request.
    void update(std::shared_ptr<const platform::settings> s);

    // Main thread, before the CLI starts: the "sip_agent" counters and the
    // "sessions" table (live IM sessions: call, mode, direction, user, age).
    void register_stats(platform::registry& reg);

    struct impl;

   private:
    explicit sip_agent(std::unique_ptr<impl> i);
    std::unique_ptr<impl> impl_;
};

}  // namespace imsd::sig

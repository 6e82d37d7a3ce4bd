#pragma once

// Internal to the SIP agent: the agent thread's state, shared by the proxy
// (agent.cpp) and the B2BUA (b2bua.cpp). Everything here lives on the agent
// thread except where a comment says otherwise.

#include <arpa/inet.h>
#include <pthread.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/nta.h>
#include <sofia-sip/nta_stateless.h>
#include <sofia-sip/sip_extra.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/sip_util.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/url.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "platform/log/log.hpp"
#include "platform/text/ascii.hpp"
#include "sigplane/agent/agent.hpp"
#include "sigplane/agent/counters.hpp"
#include "sigplane/b2bua/session_timer.hpp"
#include "sigplane/checks/originating.hpp"
#include "sigplane/checks/sdp_offer.hpp"
#include "sigplane/checks/terminating.hpp"
#include "sigplane/media/control.hpp"

namespace imsd::sig {

using platform::make_error;

// What imsd supports, for Allow (6.1.1.1 "SHOULD include an Allow header").
inline constexpr const char* allowed_methods = "INVITE, ACK, CANCEL, BYE, UPDATE, OPTIONS, MESSAGE";
inline constexpr const char* large_message_tag = "+g.oma.sip-im.large-message";

inline bool has_param(msg_param_t const* params, std::string_view name) {
    for (; params != nullptr && *params != nullptr; ++params) {
        std::string_view p(*params);
        p = p.substr(0, p.find('='));
        if (platform::iequal(p, name)) {
            return true;
        }
    }
    return false;
}

inline const char* unknown_header(const sip_t* sip, std::string_view name) {
    for (const msg_unknown_t* u = sip->sip_unknown; u != nullptr; u = u->un_next) {
        if (u->un_name != nullptr && platform::iequal(u->un_name, name)) {
            return u->un_value;
        }
    }
    return nullptr;
}

// A URL as text ("" when Sofia-SIP cannot print it), in `home`.
inline std::string url_text(su_home_t* home, const url_t* url) {
    const char* s = url != nullptr ? url_as_string(home, url) : nullptr;
    return s != nullptr ? std::string(s) : std::string();
}

// Text for a Warning header's quoted warn-text (RFC 3261 20.43): no quote,
// backslash or control character from whatever the reason quotes.
inline std::string warn_text(std::string_view s) {
    std::string out(s.substr(0, 200));
    for (char& c : out) {
        if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
            c = ' ';
        }
    }
    return out;
}

inline int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

struct session_row {
    std::string mode;          // proxy / b2bua
    std::string media = "no";  // the MSRP relay session when in the media path
    bool history = false;      // the served user's <hist-activation> is on
    std::string direction;     // originating / terminating
    im_kind kind = im_kind::session;
    std::string user;  // the served user
    std::string from, to;
    std::chrono::steady_clock::time_point started, seen;
};

struct sip_agent::impl {
    agent_params p;
    std::thread th;
    std::atomic<bool> stop{false};
    mutable std::mutex mu;  // settings and sessions: the agent thread writes, control threads read
    std::shared_ptr<const platform::settings> settings;
    std::map<std::string, session_row> sessions;  // by Call-ID
    counters cnt{};                               // agent thread: writes; control: reads relaxed

    // The agent thread's own.
    su_home_t home[1] = {SU_HOME_INIT(home)};
    su_root_t* root = nullptr;
    nta_agent_t* nta = nullptr;
    nta_leg_t* leg = nullptr;
    su_timer_t* tick = nullptr;
    url_t* self = nullptr;             // sip:<address>:<port>
    sip_record_route_t* rr = nullptr;  // <sip:<address>:<port>;lr>
    uint32_t in_flight = 0;            // forwarded transactions awaiting a final response

    // --- the B2BUA (b2bua.cpp): one call per IM Session kept in the media path
    struct b2b_call {
        impl* self = nullptr;
        uint64_t key = 0;
        bool originating = false;
        nta_leg_t* a_leg = nullptr;                // the dialog with the side that invited
        nta_incoming_t* a_irq = nullptr;           // its INVITE, until answered
        nta_leg_t* b_leg = nullptr;                // the dialog imsd opened
        nta_outgoing_t* b_orq = nullptr;           // imsd's INVITE, until answered
        std::array<nta_outgoing_t*, 2> bye_orq{};  // BYEs imsd sent (to A, to B), until answered
        media_session media{};
        bool media_live = false;
        request_facts facts;    // of the initial INVITE
        std::string a_contact;  // imsd's Contact towards A: resolves to B's (6.1.1.2.2 200 5.a)
        std::string b_contact;  // ... towards B
        std::string a_allow;    // A's Allow (6.1.1.2.2 step 1.b)
        std::string b_allow;    // B's Allow from its 200 (200 step 1)
        std::string b_remote_contact;  // B's Contact (200 step 2)
        bool isfocus = false;          // the inviting side's Contact said isfocus (6.1.2.2.2 8.c)
        std::string call_id;           // A's
        session_row row;
        // The session as set up: what imsd last sent each side (the SDP it
        // offers again on a refresh), the peers' MSRP paths.
        std::array<std::string, 2> sdp_sent;   // [0] to A, [1] to B
        std::array<std::string, 2> peer_path;  // A's, B's
        uint64_t sdp_version = 1;
        // 6.1.2.2.3: a re-INVITE carried from one side to the other.
        nta_incoming_t* re_irq = nullptr;
        nta_outgoing_t* re_orq = nullptr;
        int re_from = 0;      // 0: A asked, 1: B asked
        std::string re_path;  // the asker's new MSRP path
        se_request re_se;     // what its re-INVITE said of session timers
        se_request a_se;      // ... and A's initial INVITE
        // RFC 4028: the interval imsd asks for (im/session-expires-s, lowered
        // to what the inviting side asked), and each dialog's timer.
        uint32_t interval_s = 0;
        struct side_timer {
            dialog_timer t;
            std::chrono::steady_clock::time_point refreshed{}, retry_at{};
            nta_outgoing_t* orq = nullptr;  // imsd's refresh in flight
            bool by_invite = false;         // ... sent as re-INVITE (it needs an ACK)
        };
        std::array<side_timer, 2> timer;  // [0] A's dialog, [1] B's
        bool confirmed = false;
        // RFC 3261 13.3.1.4: over UDP imsd's 2xx to A's INVITE is resent
        // (T1 doubling to T2) until A's ACK; without one for 64*T1 the
        // session ends (BYE). nta runs as a proxy (NTATAG_UA(0)) and leaves
        // this to the core.
        bool a_udp = false;      // A's INVITE came over UDP
        msg_t* a_2xx = nullptr;  // with a_req: both set, or neither
        msg_t* a_req = nullptr;
        uint32_t a_2xx_cseq = 0;
        uint32_t a_2xx_gap_ms = 0;
        std::chrono::steady_clock::time_point a_2xx_next{}, a_2xx_deadline{};
        std::string history_key;  // the record while it is kept (empty: none)
        int64_t started_ms = 0;
    };
    media_control* media = nullptr;
    std::unordered_map<uint64_t, std::unique_ptr<b2b_call>> calls;
    uint64_t next_call = 1;
    int b2bua_invite(nta_incoming_t* irq, sip_t const* sip, const request_facts& f,
                     bool originating, const platform::settings& s, session_row row);
    static int on_b_response(nta_outgoing_magic_t* m, nta_outgoing_t* orq, sip_t const* sip);
    static int on_a_request(nta_leg_magic_t* m, nta_leg_t* leg, nta_incoming_t* irq,
                            sip_t const* sip);
    static int on_b_request(nta_leg_magic_t* m, nta_leg_t* leg, nta_incoming_t* irq,
                            sip_t const* sip);
    static int on_a_cancel(nta_incoming_magic_t* m, nta_incoming_t* irq, sip_t const* sip);
    static int on_bye_response(nta_outgoing_magic_t* m, nta_outgoing_t* orq, sip_t const* sip);
    static int on_reinvite_response(nta_outgoing_magic_t* m, nta_outgoing_t* orq, sip_t const* sip);
    static int on_refresh_response(nta_outgoing_magic_t* m, nta_outgoing_t* orq, sip_t const* sip);
    void send_refresh(b2b_call& c, int side);
    void end_both_sides(b2b_call& c, const char* why, int status);
    void resend_2xx(b2b_call& c, std::chrono::steady_clock::time_point now);
    int b2b_bye(b2b_call& c, bool from_a);
    void send_bye(b2b_call& c, int side, const char* reason);
    int mid_dialog(b2b_call& c, nta_incoming_t* irq, sip_t const* sip, int side);
    void expire_calls();
    void record_history(b2b_call& c, const char* ended_by);
    void release_media(b2b_call& c);
    void end_call(b2b_call& c);  // frees everything of the call, the call included
    void end_all_calls();

    struct tx {
        impl* self;
        nta_incoming_t* irq;
        nta_outgoing_t* orq = nullptr;
        sip_method_t method = sip_method_unknown;
        bool initial = false;
        std::string call_id;
        session_row row;
    };

    std::shared_ptr<const platform::settings> current() const {
        std::lock_guard lock(mu);
        return settings;
    }

    // --- thread life ---
    void run(std::promise<std::expected<void, platform::error>>& ready);
    static void on_tick(su_root_magic_t*, su_timer_t*, su_timer_arg_t* arg) {
        auto* self = static_cast<impl*>(arg);
        if (self->stop.load()) {
            su_root_break(self->root);
        }
        self->expire_sessions();
        self->expire_calls();
    }

    // --- requests ---
    static int on_request(nta_leg_magic_t* m, nta_leg_t*, nta_incoming_t* irq, sip_t const* sip) {
        return reinterpret_cast<impl*>(m)->request(irq, sip);
    }
    int request(nta_incoming_t* irq, sip_t const* sip);
    int initial(nta_incoming_t* irq, sip_t const* sip, msg_t* req, bool trusted,
                const platform::settings& s);
    int forward(nta_incoming_t* irq, msg_t* req, bool trusted, bool initial_request,
                const platform::settings& s, session_row row);
    void forward_ack(msg_t* req, bool trusted, const platform::settings& s);
    void reply(nta_incoming_t* irq, const rejection& r, bool invite);
    void reply_status(nta_incoming_t* irq, int status, const char* phrase,
                      const std::string& warning);
    verdict reinvite_refused(sip_t const* sip, su_home_t* h);
    bool is_us(const url_t* u) const;
    bool trusted_source(msg_t* msg, const platform::settings& s) const;
    void strip_untrusted(msg_t* msg, sip_t* sip);
    void pop_own_routes(msg_t* msg, sip_t* sip);
    const url_t* next_hop(sip_t* sip, bool dialog_forming, const platform::settings& s,
                          su_home_t* home) const;

    // --- responses and CANCEL ---
    static int on_response(nta_outgoing_magic_t* m, nta_outgoing_t* orq, sip_t const* sip);
    static int on_cancel(nta_incoming_magic_t* m, nta_incoming_t* irq, sip_t const* sip);
    void finish(tx* t);

    void session_started(const tx& t);
    void session_touched(const std::string& call_id, bool ended);
    void expire_sessions();
};

}  // namespace imsd::sig

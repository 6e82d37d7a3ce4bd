#pragma once

// RFC 4028 session timers for the B2BUA, one per dialog (imsd holds two per
// IM Session in the media path): who refreshes, at what interval, and what
// is due when. Pure functions of what the headers said and the clock; the
// agent (sigplane/agent/b2bua.cpp) sends the requests. Any thread.
//
// The roles on each dialog, as imsd negotiates them:
//  - imsd as UAS (the side that invited it): the 2xx carries the interval
//    (the request's, lowered to the operator's im/session-expires-s, never
//    raised: RFC 4028 9) and the refresher the request named; where it
//    named none, imsd's preference (OMA IM 6.1.2.2.2 200 OK step 5: 'uas',
//    imsd refreshes). A UAC without "timer" support gets 'uas' (9, table).
//  - imsd as UAC (the side it invited): the 2xx decides (7.2). No
//    Session-Expires in it means no timer on that dialog; the inviting
//    side's dialog always has one (imsd's 2xx carries it), so every session
//    is bounded.
//  - The refresher sends a refresh at half the interval (10); the other
//    side ends the session when none came by interval - min(32 s,
//    interval / 3) (10).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace imsd::sig {

enum class refresher_param : uint8_t { none, uac, uas };
refresher_param parse_refresher(std::string_view v) noexcept;  // "uac" / "uas", else none
const char* refresher_text(refresher_param r) noexcept;        // "uac" / "uas" / ""

// What a request (INVITE, re-INVITE, UPDATE) said of session timers.
struct se_request {
    std::optional<uint32_t> interval_s;  // Session-Expires delta-seconds
    refresher_param refresher = refresher_param::none;
    bool supports_timer = false;  // "timer" in Supported (or Require)
};

// One dialog's timer as negotiated.
struct dialog_timer {
    uint32_t interval_s = 0;      // 0: no timer on this dialog
    bool imsd_refreshes = false;  // imsd sends the refreshes, else the peer does
};

// What imsd as UAS puts in its 2xx (RFC 4028 9): Session-Expires
// "<interval>;refresher=<..>", and whether to add Require: timer (needed
// when the UAC is the refresher). `local_s` is im/session-expires-s;
// `prefer_imsd` is who refreshes when the request leaves it open.
struct uas_decision {
    dialog_timer timer;
    refresher_param refresher = refresher_param::uas;  // as written in the 2xx
    bool require_timer = false;
};
uas_decision negotiate_as_uas(const se_request& req, uint32_t local_s, bool prefer_imsd) noexcept;

// What the 2xx imsd received as UAC means for the dialog (RFC 4028 7.2):
// `resp` is the 2xx's Session-Expires.
dialog_timer negotiate_as_uac(const se_request& resp) noexcept;

// The Session-Expires value imsd writes on a request it sends on a dialog
// (a refresh, a carried re-INVITE: RFC 4028 7.4): the interval in force and
// the refresher as seen by that request's UAC (imsd).
std::string session_expires_for_request(const dialog_timer& t);
// ... and on the 2xx it sends to a refresh or re-INVITE from the peer.
std::string session_expires_for_response(const dialog_timer& t);

// What is due on a dialog at `now`, given the last successful refresh
// (or the session's start) and whether a refresh imsd sent is in flight.
enum class timer_due : uint8_t {
    nothing,
    refresh,  // imsd is the refresher and half the interval has passed (10)
    expire,   // no refresh in time: BYE (10: interval - min(32, interval / 3))
};
timer_due due(const dialog_timer& t, std::chrono::steady_clock::time_point refreshed,
              std::chrono::steady_clock::time_point retry_at, bool refresh_in_flight,
              std::chrono::steady_clock::time_point now) noexcept;

}  // namespace imsd::sig

#include "sigplane/b2bua/session_timer.hpp"

#include <algorithm>

#include "platform/text/ascii.hpp"

namespace imsd::sig {

refresher_param parse_refresher(std::string_view v) noexcept {
    if (platform::iequal(v, "uac")) {
        return refresher_param::uac;
    }
    if (platform::iequal(v, "uas")) {
        return refresher_param::uas;
    }
    return refresher_param::none;
}

const char* refresher_text(refresher_param r) noexcept {
    switch (r) {
        case refresher_param::uac:
            return "uac";
        case refresher_param::uas:
            return "uas";
        case refresher_param::none:
            break;
    }
    return "";
}

uas_decision negotiate_as_uas(const se_request& req, uint32_t local_s, bool prefer_imsd) noexcept {
    uas_decision d;
    // RFC 4028 9: the request's interval may be lowered, never raised (a
    // value below Min-SE was refused 422 before this); with none, imsd asks
    // for its own.
    d.timer.interval_s = req.interval_s ? std::min(*req.interval_s, local_s) : local_s;
    if (d.timer.interval_s == 0) {
        d.timer.interval_s = local_s;
    }
    // 9, the refresher table: a UAC without the extension cannot refresh
    // (uas); one that named a refresher gets it; otherwise imsd chooses.
    if (!req.supports_timer) {
        d.refresher = refresher_param::uas;
    } else if (req.refresher != refresher_param::none) {
        d.refresher = req.refresher;
    } else {
        d.refresher = prefer_imsd ? refresher_param::uas : refresher_param::uac;
    }
    d.timer.imsd_refreshes = d.refresher == refresher_param::uas;
    // 9: "If the refresher parameter in the 2xx response has a value of
    // 'uac', the UAS MUST place a Require header field ... 'timer'".
    d.require_timer = d.refresher == refresher_param::uac;
    return d;
}

dialog_timer negotiate_as_uac(const se_request& resp) noexcept {
    dialog_timer t;
    if (!resp.interval_s || *resp.interval_s == 0) {
        // 7.2: a 2xx without Session-Expires means no session expiration on
        // this dialog (the other dialog's timer still bounds the session:
        // imsd always puts one in its 2xx to the inviting side).
        return t;
    }
    t.interval_s = *resp.interval_s;
    // The UAS must name the refresher; one that did not is treated as
    // leaving it to the UAC, so a refresh is never missing.
    t.imsd_refreshes = resp.refresher != refresher_param::uas;
    return t;
}

std::string session_expires_for_request(const dialog_timer& t) {
    return std::to_string(t.interval_s) + ";refresher=" + (t.imsd_refreshes ? "uac" : "uas");
}

std::string session_expires_for_response(const dialog_timer& t) {
    return std::to_string(t.interval_s) + ";refresher=" + (t.imsd_refreshes ? "uas" : "uac");
}

timer_due due(const dialog_timer& t, std::chrono::steady_clock::time_point refreshed,
              std::chrono::steady_clock::time_point retry_at, bool refresh_in_flight,
              std::chrono::steady_clock::time_point now) noexcept {
    if (t.interval_s == 0) {
        return timer_due::nothing;
    }
    // 10: the side not refreshing sends BYE min(32, interval / 3) before the
    // session expires. The same deadline holds where imsd refreshes and no
    // refresh got through: the peer ends the session then.
    const uint32_t margin = std::min<uint32_t>(32, t.interval_s / 3);
    if (now - refreshed >= std::chrono::seconds(t.interval_s - margin)) {
        return timer_due::expire;
    }
    // 10: "the refresher ... at half the session interval".
    if (t.imsd_refreshes && !refresh_in_flight && now >= retry_at &&
        now - refreshed >= std::chrono::milliseconds(uint64_t{t.interval_s} * 500)) {
        return timer_due::refresh;
    }
    return timer_due::nothing;
}

}  // namespace imsd::sig

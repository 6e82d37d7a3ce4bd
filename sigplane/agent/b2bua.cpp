// The B2BUA: IM Sessions with imsd in the media path (OMA IM 6.1.1.2.2 step
// 1 and its 200 OK steps 1-6; 6.1.2.2.2; 6.1.2.2.4 CANCEL; 6.1.2.2.5 BYE).
// The side that invited is A, the side imsd invites is B; the MSRP relay's
// leg a faces A and leg b faces B. Each side is its own dialog (an nta leg):
// imsd answers A as a UAS and calls B as a UAC, and carries the session's
// SDP across with its own relay legs in place of the peers' (sdp_rewrite).

#include <nlohmann/json.hpp>
#include <random>

#include "sigplane/agent/internal.hpp"
#include "sigplane/b2bua/sdp_rewrite.hpp"
#include "sigplane/checks/content.hpp"

namespace imsd::sig {

namespace {

std::string join_words(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& w : v) {
        out += (out.empty() ? "" : " ") + w;
    }
    return out;
}

std::string random_hex(size_t n) {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    static constexpr char digits[] = "0123456789abcdef";
    std::string s(n, '0');
    for (auto& c : s) {
        c = digits[rng() & 15];
    }
    return s;
}

// RFC 4028: what a request or 2xx said of session timers.
se_request se_of(sip_t const* sip) {
    se_request r;
    if (sip == nullptr) {
        return r;
    }
    if (const sip_session_expires_t* x = sip->sip_session_expires; x != nullptr && x->x_delta > 0) {
        r.interval_s = static_cast<uint32_t>(std::min<unsigned long>(x->x_delta, UINT32_MAX));
        r.refresher =
            x->x_refresher != nullptr ? parse_refresher(x->x_refresher) : refresher_param::none;
    }
    r.supports_timer =
        sip_has_feature(sip->sip_supported, "timer") || sip_has_feature(sip->sip_require, "timer");
    return r;
}

bool allows(const std::string& allow, std::string_view method) {
    size_t i = 0;
    while (i < allow.size()) {
        size_t j = allow.find(',', i);
        if (j == std::string::npos) {
            j = allow.size();
        }
        if (platform::iequal(platform::trim_blanks(std::string_view(allow).substr(i, j - i)),
                             method)) {
            return true;
        }
        i = j + 1;
    }
    return false;
}

constexpr uint32_t t1_ms = 500;   // RFC 3261 T1
constexpr uint32_t t2_ms = 4000;  // ... and T2

// The 2xx kept for resending, and its request, let go (ACKed, given up, or
// the call ended).
void drop_2xx(sip_agent::impl::b2b_call& c) {
    if (c.a_2xx != nullptr) {
        msg_destroy(c.a_2xx);
        msg_destroy(c.a_req);
    }
    c.a_2xx = c.a_req = nullptr;
}

// A response's status; none (nta's own timeout callback) counts as 408.
int status_of(sip_t const* sip) {
    return sip != nullptr && sip->sip_status != nullptr ? sip->sip_status->st_status : 408;
}

// The ACK of a 2xx to an INVITE imsd sent on `leg` (RFC 3261 13.2.2.4: a
// request of its own, with the INVITE's CSeq number).
void ack_2xx(nta_leg_t* leg, sip_t const* sip) {
    if (nta_outgoing_t* ack =
            nta_outgoing_tcreate(leg, nullptr, nullptr, nullptr, SIP_METHOD_ACK, nullptr,
                                 SIPTAG_CSEQ(sip->sip_cseq), TAG_END())) {
        nta_outgoing_destroy(ack);
    }
}

std::string payload_of(sip_t const* sip) {
    return sip != nullptr && sip->sip_payload != nullptr
               ? std::string(sip->sip_payload->pl_data, sip->sip_payload->pl_len)
               : std::string();
}

}  // namespace

int sip_agent::impl::b2bua_invite(nta_incoming_t* irq, sip_t const* sip, const request_facts& f,
                                  bool originating, const platform::settings& s, session_row row) {
    auto refuse_now = [&](int status, const char* phrase, const std::string& why) {
        ++cnt.b2bua_failed;
        reply_status(irq, status, phrase, why);
        nta_incoming_destroy(irq);
        return 0;
    };
    if (!f.offer.present || f.offer.path.empty()) {
        return refuse_now(488, "Not Acceptable Here", "no MSRP media (m=message, a=path) offered");
    }
    if (calls.size() >= s.limits.max_sessions) {
        ++cnt.transactions_full;
        return refuse_now(503, "Service Unavailable",
                          "limits/max-sessions sessions in the media path");
    }
    auto ms = media->create();
    if (!ms) {
        ++cnt.media_errors;
        return refuse_now(503, "Service Unavailable", "MSRP relay: " + ms.error().to_string());
    }
    auto owned = std::make_unique<b2b_call>();
    b2b_call& c = *owned;
    c.self = this;
    c.key = next_call++;
    c.originating = originating;
    c.media = *ms;
    c.media_live = true;
    c.facts = f;
    c.call_id = sip->sip_call_id != nullptr ? sip->sip_call_id->i_id : "";
    c.a_udp = sip->sip_via != nullptr && sip->sip_via->v_protocol != nullptr &&
              platform::iequal(sip->sip_via->v_protocol, "SIP/2.0/UDP");
    if (sip->sip_allow != nullptr) {
        char buf[512];
        sip_header_field_e(buf, sizeof(buf), reinterpret_cast<const sip_header_t*>(sip->sip_allow),
                           0);
        c.a_allow = buf;  // 6.1.1.2.2 step 1.b
    }
    for (const sip_contact_t* m = sip->sip_contact; m != nullptr; m = m->m_next) {
        c.isfocus |= has_param(m->m_params, "isfocus");
    }
    const std::string host = p.address + ":" + std::to_string(p.port);
    // 6.1.1.2.2 step 1.f / 6.1.2.2.2 step 8: imsd's own URI with the IM
    // feature tag; its user part names the call, so imsd resolves it back to
    // the far side's Contact (200 OK step 5.a).
    c.a_contact = "<sip:a" + std::to_string(c.key) + "@" + host + ">;+g.oma.sip-im" +
                  (c.isfocus ? ";isfocus" : "");
    c.b_contact = "<sip:b" + std::to_string(c.key) + "@" + host + ">;+g.oma.sip-im" +
                  (c.isfocus ? ";isfocus" : "");
    row.mode = "b2bua";
    row.media = "msrp " + std::to_string(c.media.id);
    c.row = std::move(row);

    // A set-up that fails half-way: the call (whatever of it exists) ends,
    // A gets 500.
    auto fail_setup = [&](const char* why) {
        if (!calls.contains(c.key)) {
            calls.emplace(c.key, std::move(owned));
        }
        c.a_irq = nullptr;
        ++cnt.b2bua_failed;
        reply_status(irq, 500, "Server Internal Error", why);
        nta_incoming_destroy(irq);
        end_call(c);
        return 0;
    };
    // A: the dialog imsd answers as a UAS (RFC 3261 12.1.1).
    c.a_leg = nta_leg_tcreate(nta, on_a_request, reinterpret_cast<nta_leg_magic_t*>(&c),
                              SIPTAG_CALL_ID(sip->sip_call_id), SIPTAG_FROM(sip->sip_to),
                              SIPTAG_TO(sip->sip_from), TAG_END());
    if (c.a_leg == nullptr || nta_leg_tag(c.a_leg, nullptr) == nullptr) {
        return fail_setup("cannot create the dialog");
    }
    nta_incoming_tag(irq, nta_leg_get_tag(c.a_leg));
    nta_leg_server_route(c.a_leg, sip->sip_record_route, sip->sip_contact);
    c.a_irq = irq;
    nta_incoming_bind(irq, on_a_cancel, reinterpret_cast<nta_incoming_magic_t*>(&c));

    // B: the dialog imsd opens as a UAC: a new Call-ID, From and To as
    // received (the From with imsd's tag).
    // Strings made here live until the INVITE is sent (not in the agent's
    // home, which lives as long as the agent).
    struct scratch_home {
        su_home_t h[1] = {SU_HOME_INIT(h)};
        ~scratch_home() { su_home_deinit(h); }
    } scratch;
    su_home_t* h = scratch.h;
    const std::string b_call_id = "imsd-" + std::to_string(c.key) + "-" + random_hex(16);
    const std::string from = sip->sip_from != nullptr ? url_text(h, sip->sip_from->a_url) : "";
    const std::string to = sip->sip_to != nullptr ? url_text(h, sip->sip_to->a_url) : "";
    const std::string from_s =
        "<" + (from.empty() ? std::string("sip:anonymous@anonymous.invalid") : from) + ">";
    const std::string to_s = "<" + to + ">";
    c.b_leg =
        nta_leg_tcreate(nta, on_b_request, reinterpret_cast<nta_leg_magic_t*>(&c),
                        SIPTAG_CALL_ID_STR(b_call_id.c_str()), SIPTAG_FROM_STR(from_s.c_str()),
                        SIPTAG_TO_STR(to_s.c_str()), TAG_END());
    if (c.b_leg == nullptr || nta_leg_tag(c.b_leg, nullptr) == nullptr) {
        return fail_setup("cannot create the outgoing dialog");
    }
    // 1.g: the offer, re-originated with the relay's leg b (imsd connects
    // on leg b unless B's answer says otherwise: RFC 4975 5.4).
    const sdp_leg b_side{p.address, c.media.uri_b, c.key, 1, msrp_setup::unspecified};
    const std::string offer = rewrite_msrp_sdp(payload_of(sip), b_side);
    // 1.h: the Route left after imsd's own (the S-CSCF's), else the core.
    msg_t* req = nta_incoming_getrequest(irq);
    sip_t* rs = sip_object(req);
    pop_own_routes(req, rs);
    const url_t* hop = next_hop(rs, true, s, h);
    const std::string pai =
        f.originator ? "P-Asserted-Identity: <" + *f.originator + ">" : std::string();
    // RFC 4028: the interval asked of B is the smaller of the settings' and
    // the one the inviting side asked for (never below Min-SE: 422 before
    // this); B refreshes (6.1.2.2.2 step 5: refresher=uas).
    c.a_se = se_of(sip);
    c.interval_s = std::min(s.im.session_expires_s, c.a_se.interval_s.value_or(UINT32_MAX));
    const std::string se = std::to_string(c.interval_s) + ";refresher=uas";
    c.b_orq = nta_outgoing_tcreate(
        c.b_leg, on_b_response, reinterpret_cast<nta_outgoing_magic_t*>(&c),
        reinterpret_cast<const url_string_t*>(hop), SIP_METHOD_INVITE,
        reinterpret_cast<const url_string_t*>(sip->sip_request->rq_url),  // 1.a / 6.1.2.2.2 2
        SIPTAG_ROUTE(rs->sip_route),
        SIPTAG_CONTACT_STR(c.b_contact.c_str()),               // 1.f / 8
        SIPTAG_ALLOW_STR(allowed_methods),                     // 1.e / 7
        TAG_IF(!pai.empty(), SIPTAG_HEADER_STR(pai.c_str())),  // 6.1.2.2.2 9
        TAG_IF(f.anonymous, SIPTAG_PRIVACY_STR("id")),         // 6.1.2.2.2 1
        SIPTAG_ACCEPT_CONTACT_STR("*;+g.oma.sip-im"),          // 6.1.2.2.2 3
        SIPTAG_USER_AGENT_STR(p.server.c_str()),               // 6.1.2.2.2 4
        SIPTAG_SESSION_EXPIRES_STR(se.c_str()),                // 6.1.2.2.2 5
        SIPTAG_SUPPORTED_STR("timer"),                         // 6.1.2.2.2 6
        SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(offer.c_str()), TAG_END());
    msg_destroy(req);
    c.sdp_sent[1] = offer;
    c.peer_path[0] = f.offer.path;
    if (c.b_orq == nullptr) {
        return fail_setup("could not send the INVITE onwards");
    }
    calls.emplace(c.key, std::move(owned));
    nta_incoming_treply(irq, SIP_100_TRYING, TAG_END());
    return 0;
}

// B's answers to imsd's INVITE.
int sip_agent::impl::on_b_response(nta_outgoing_magic_t* m, nta_outgoing_t*, sip_t const* sip) {
    auto& c = *reinterpret_cast<b2b_call*>(m);
    impl& self = *c.self;
    const int status = status_of(sip);
    if (status < 200) {
        if (status > 100 && c.a_irq != nullptr) {
            // A provisional answer carries on to A, without B's SDP.
            nta_incoming_treply(c.a_irq, status, sip->sip_status->st_phrase,
                                SIPTAG_CONTACT_STR(c.a_contact.c_str()),
                                SIPTAG_SERVER_STR(self.p.server.c_str()),
                                SIPTAG_ALLOW_STR(allowed_methods), TAG_END());
        }
        return 0;
    }
    nta_outgoing_destroy(c.b_orq);
    c.b_orq = nullptr;
    if (status >= 300) {
        // "a SIP final response other than 200 OK": on to A as it came.
        if (c.a_irq != nullptr) {
            nta_incoming_treply(
                c.a_irq, status,
                sip && sip->sip_status ? sip->sip_status->st_phrase : "Request Timeout",
                SIPTAG_SERVER_STR(self.p.server.c_str()),
                TAG_IF(sip && sip->sip_warning, SIPTAG_WARNING(sip ? sip->sip_warning : nullptr)),
                TAG_IF(status < 700, SIPTAG_ALLOW_STR(allowed_methods)), TAG_END());
            nta_incoming_destroy(c.a_irq);
            c.a_irq = nullptr;
        }
        ++self.cnt.b2bua_failed;
        self.end_call(c);
        return 0;
    }
    // 2xx. The B dialog is set up: its route set and remote target; ACK now
    // (imsd is B's UAC; A's ACK ends A's transaction on its own).
    nta_leg_rtag(c.b_leg, sip->sip_to->a_tag);
    nta_leg_client_route(c.b_leg, sip->sip_record_route, sip->sip_contact);
    ack_2xx(c.b_leg, sip);
    if (c.a_irq == nullptr) {
        // A cancelled while B accepted: B is released (RFC 3261 9.1 race).
        self.b2b_bye(c, true);
        return 0;
    }
    // 200 OK step 1-2: B's Allow and Contact, kept.
    if (sip->sip_allow != nullptr) {
        char buf[512];
        sip_header_field_e(buf, sizeof(buf), reinterpret_cast<const sip_header_t*>(sip->sip_allow),
                           0);
        c.b_allow = buf;
    }
    if (sip->sip_contact != nullptr) {
        char* contact = url_as_string(nullptr, sip->sip_contact->m_url);
        c.b_remote_contact = contact != nullptr ? contact : "";
        su_free(nullptr, contact);
    }
    const std::string answer = payload_of(sip);
    auto ans = parse_msrp_offer(answer);
    if (!ans || !ans->present || ans->path.empty()) {
        nta_incoming_treply(
            c.a_irq, 488, "Not Acceptable Here", SIPTAG_SERVER_STR(self.p.server.c_str()),
            SIPTAG_WARNING_STR(
                ("399 " + self.p.address + " \"the far side answered no MSRP media\"").c_str()),
            TAG_END());
        nta_incoming_destroy(c.a_irq);
        c.a_irq = nullptr;
        ++self.cnt.b2bua_failed;
        self.b2b_bye(c, true);
        return 0;
    }
    // The relay's legs: b towards B's path (imsd offered there), a towards
    // A's (imsd answers A; an actpass offer is answered passive: A connects).
    const bool b_active = imsd_connects(parse_setup(ans->setup), true);
    const msrp_setup a_offered = parse_setup(c.facts.offer.setup);
    const bool a_active = a_offered == msrp_setup::passive;
    bool ok = self.media->set_remote(c.media.id, 1, ans->path, b_active).has_value();
    ok = ok && self.media->set_remote(c.media.id, 0, c.facts.offer.path, a_active).has_value();
    ok = ok && self.media
                   ->policy(c.media.id, join_words(ans->accept_types),
                            join_words(ans->accept_wrapped_types), ans->max_size.value_or(0))
                   .has_value();
    // 6.1.1.2.2 (after step 7): on the originating side imsd asks for the
    // number of recipients each of the served client's messages reached.
    const auto st = self.current();
    if (ok && c.originating && st->im.request_sent_counts) {
        ok = self.media->sent_counts(c.media.id, 0).has_value();
    }
    if (!ok) {
        ++self.cnt.media_errors;
    }
    // Steps 3-6: imsd's 200 to A: B's answer with the relay's leg a, imsd's
    // Contact, Server, Allow; on the terminating side also B's asserted
    // identity (6.1.2.2.2 200 step 2), timers (4, 5).
    const msrp_setup a_setup = a_active                               ? msrp_setup::active
                               : a_offered != msrp_setup::unspecified ? msrp_setup::passive
                                                                      : msrp_setup::unspecified;
    const sdp_leg a_side{self.p.address, c.media.uri_a, c.key, 1, a_setup};
    const std::string sdp = rewrite_msrp_sdp(answer, a_side);
    const sip_p_asserted_identity_t* paid = sip_p_asserted_identity(sip);
    std::string pai;
    if (paid != nullptr) {
        char* id = url_as_string(nullptr, paid->paid_url);
        pai = std::string("P-Asserted-Identity: <") + (id != nullptr ? id : "") + ">";
        su_free(nullptr, id);
    }
    // RFC 4028 9 on A's dialog: the 200 carries the session interval on both
    // sides; who refreshes where A left it open: imsd on the terminating
    // side (6.1.2.2.2 200 OK step 5, refresher=uas), the served client on
    // the originating side when it supports timers (its refreshes are what
    // tells imsd a mobile client is still there).
    const bool term = !c.originating;
    const uas_decision ad = negotiate_as_uas(c.a_se, c.interval_s, term);
    const std::string se = session_expires_for_response(ad.timer);
    const auto now = std::chrono::steady_clock::now();
    c.timer[0] = {ad.timer, now, now, nullptr, false};
    c.timer[1] = {negotiate_as_uac(se_of(sip)), now, now, nullptr, false};
    nta_incoming_treply(
        c.a_irq, SIP_200_OK, SIPTAG_CONTACT_STR(c.a_contact.c_str()),
        SIPTAG_SERVER_STR(self.p.server.c_str()), SIPTAG_ALLOW_STR(allowed_methods),
        TAG_IF(term && !pai.empty(), SIPTAG_HEADER_STR(pai.c_str())),
        TAG_IF(term && c.facts.anonymous, SIPTAG_PRIVACY_STR("id")),
        TAG_IF(term || ad.require_timer, SIPTAG_REQUIRE_STR("timer")),  // 200 step 4
        SIPTAG_SESSION_EXPIRES_STR(se.c_str()),                         // 200 step 5
        SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp.c_str()), TAG_END());
    if (c.a_udp) {
        c.a_2xx = nta_incoming_getresponse(c.a_irq);  // our reference, resent until the ACK
        c.a_req = nta_incoming_getrequest(c.a_irq);   // ... and the request it answers
        c.a_2xx_cseq = nta_incoming_cseq(c.a_irq);
        c.a_2xx_gap_ms = t1_ms;
        c.a_2xx_next = now + std::chrono::milliseconds(t1_ms);
        c.a_2xx_deadline = now + std::chrono::milliseconds(64 * t1_ms);
    }
    nta_incoming_destroy(c.a_irq);
    c.a_irq = nullptr;
    c.sdp_sent[0] = sdp;
    c.peer_path[1] = ans->path;
    c.confirmed = true;  // 200 step 6: the session timers run (expire_calls)
    ++self.cnt.b2bua_calls;
    // 6.1.1.2.2 200 OK step 7 / 6.1.2.2.2 200 OK step 10: history recording
    // starts when the served user's <hist-activation> is on.
    self.record_history(c, nullptr);
    tx t{&self, nullptr, nullptr, sip_method_invite, true, c.call_id, c.row};
    self.session_started(t);
    return 0;
}

// A CANCEL from A for the INVITE imsd has not answered (6.1.2.2.4): 200 to
// the CANCEL (the return value), 487 to the INVITE, B's INVITE cancelled.
int sip_agent::impl::on_a_cancel(nta_incoming_magic_t* m, nta_incoming_t*, sip_t const* sip) {
    auto& c = *reinterpret_cast<b2b_call*>(m);
    impl& self = *c.self;
    if (sip == nullptr) {
        c.a_irq = nullptr;  // nta let go of A's INVITE (it timed out)
        return 0;
    }
    if (sip->sip_request == nullptr || sip->sip_request->rq_method != sip_method_cancel) {
        return 500;
    }
    ++self.cnt.cancels_in;
    if (c.a_irq != nullptr) {
        nta_incoming_treply(c.a_irq, SIP_487_REQUEST_TERMINATED,
                            SIPTAG_SERVER_STR(self.p.server.c_str()), TAG_END());
        nta_incoming_destroy(c.a_irq);
        c.a_irq = nullptr;
    }
    self.release_media(c);
    if (c.b_orq != nullptr) {
        // B's answer to it (487, or a 200 that crossed: BYE) ends the call.
        nta_outgoing_tcancel(c.b_orq, nullptr, nullptr, TAG_END());
    }
    return 200;
}

// Requests within either dialog (side 0: A's, 1: B's).
int sip_agent::impl::on_a_request(nta_leg_magic_t* m, nta_leg_t*, nta_incoming_t* irq,
                                  sip_t const* sip) {
    auto& c = *reinterpret_cast<b2b_call*>(m);
    return c.self->mid_dialog(c, irq, sip, 0);
}

int sip_agent::impl::on_b_request(nta_leg_magic_t* m, nta_leg_t*, nta_incoming_t* irq,
                                  sip_t const* sip) {
    auto& c = *reinterpret_cast<b2b_call*>(m);
    return c.self->mid_dialog(c, irq, sip, 1);
}

int sip_agent::impl::mid_dialog(b2b_call& c, nta_incoming_t* irq, sip_t const* sip, int side) {
    ++cnt.requests_in;
    ++cnt.in_dialog_in;
    const sip_method_t method = sip->sip_request->rq_method;
    auto answer = [&](int status, const char* phrase, const std::string& warning = {}) {
        const std::string w =
            warning.empty() ? warning : "399 " + p.address + " \"" + warning + "\"";
        nta_incoming_treply(irq, status, phrase, SIPTAG_SERVER_STR(p.server.c_str()),
                            TAG_IF(!w.empty(), SIPTAG_WARNING_STR(w.c_str())), TAG_END());
        nta_incoming_destroy(irq);
        return 0;
    };
    if (method == sip_method_ack) {
        // A's ACK of imsd's 2xx stops its retransmission (RFC 3261 13.3.1.4);
        // the other side imsd acknowledged itself.
        if (side == 0 && c.a_2xx != nullptr && sip->sip_cseq != nullptr &&
            sip->sip_cseq->cs_seq == c.a_2xx_cseq) {
            drop_2xx(c);
        }
        nta_incoming_destroy(irq);
        return 0;
    }
    if (method == sip_method_bye) {
        // 6.1.2.2.5 step 1: 200 to the side that hung up.
        nta_incoming_treply(irq, SIP_200_OK, SIPTAG_SERVER_STR(p.server.c_str()), TAG_END());
        nta_incoming_destroy(irq);
        return b2b_bye(c, side == 0);
    }
    if (method != sip_method_invite && method != sip_method_update) {
        return answer(405, "Method Not Allowed");
    }
    if (!c.confirmed || c.re_irq != nullptr || c.bye_orq[0] || c.bye_orq[1] || c.timer[0].orq ||
        c.timer[1].orq) {
        return answer(491, "Request Pending");  // RFC 3261 14.2
    }
    const bool offer = sip->sip_payload != nullptr && sip->sip_payload->pl_len > 0;
    std::optional<msrp_offer> o;
    if (offer) {
        auto parsed = parse_msrp_offer(payload_of(sip));
        if (!parsed || !parsed->present || parsed->path.empty()) {
            return answer(488, "Not Acceptable Here", "no MSRP media in the new offer");
        }
        o = *parsed;
        // 6.1.1.1 step 4.b / 6.1.2.1 step 3.b: the new offer against the
        // operator's policy, as the first one was. The served client is A on
        // the originating side, B on the terminating side.
        const bool from_served = c.originating ? side == 0 : side == 1;
        if (auto v = new_offer(c.facts, *o, from_served, current()->im)) {
            reply(irq, *v, method == sip_method_invite);
            nta_incoming_destroy(irq);
            return 0;
        }
    }
    if (!o || o->path == c.peer_path[side]) {
        // A refresh (RFC 4028 7.4 / 9): the session goes on as it is, this
        // dialog's timer restarts with what the request negotiates; a
        // re-INVITE without an offer gets imsd's last SDP to that side.
        ++cnt.refreshes;
        const se_request rq = se_of(sip);
        auto& st = c.timer[side];
        const uas_decision d = negotiate_as_uas(rq, c.interval_s, st.t.imsd_refreshes);
        st.t = d.timer;
        st.refreshed = std::chrono::steady_clock::now();
        session_touched(c.call_id, false);
        const std::string se = session_expires_for_response(st.t);
        const bool sdp = method == sip_method_invite;
        nta_incoming_treply(
            irq, SIP_200_OK, SIPTAG_SERVER_STR(p.server.c_str()),
            SIPTAG_CONTACT_STR((side == 0 ? c.a_contact : c.b_contact).c_str()),
            SIPTAG_ALLOW_STR(allowed_methods), SIPTAG_SESSION_EXPIRES_STR(se.c_str()),
            TAG_IF(d.require_timer || rq.supports_timer, SIPTAG_REQUIRE_STR("timer")),
            TAG_IF(sdp, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
            TAG_IF(sdp, SIPTAG_PAYLOAD_STR(c.sdp_sent[side].c_str())), TAG_END());
        nta_incoming_destroy(irq);
        return 0;
    }
    if (method == sip_method_update) {
        return answer(488, "Not Acceptable Here", "a new offer goes in a re-INVITE");
    }
    // 6.1.2.2.3 B2BUA steps 1-3: a re-INVITE with the new media parameters,
    // re-originated by imsd, to the other side within its dialog.
    ++cnt.reinvites;
    const int other = 1 - side;
    const std::string& other_uri = other == 0 ? c.media.uri_a : c.media.uri_b;
    const sdp_leg leg_other{p.address, other_uri, c.key, ++c.sdp_version, msrp_setup::unspecified};
    const std::string new_offer = rewrite_msrp_sdp(payload_of(sip), leg_other);
    const std::string se = session_expires_for_request(c.timer[other].t);
    c.re_orq = nta_outgoing_tcreate(
        other == 0 ? c.a_leg : c.b_leg, on_reinvite_response,
        reinterpret_cast<nta_outgoing_magic_t*>(&c), nullptr, SIP_METHOD_INVITE, nullptr,
        SIPTAG_CONTACT_STR((other == 0 ? c.a_contact : c.b_contact).c_str()),
        SIPTAG_ALLOW_STR(allowed_methods), SIPTAG_SUPPORTED_STR("timer"),
        TAG_IF(c.timer[other].t.interval_s != 0, SIPTAG_SESSION_EXPIRES_STR(se.c_str())),
        SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(new_offer.c_str()),
        TAG_END());
    if (c.re_orq == nullptr) {
        return answer(500, "Server Internal Error", "could not send the re-INVITE on");
    }
    c.sdp_sent[other] = new_offer;
    c.re_irq = irq;
    c.re_from = side;
    c.re_path = o->path;
    c.re_se = se_of(sip);
    return 0;
}

// The other side's answer to a carried re-INVITE (6.1.2.2.3 200 OK steps 1-4).
int sip_agent::impl::on_reinvite_response(nta_outgoing_magic_t* m, nta_outgoing_t*,
                                          sip_t const* sip) {
    auto& c = *reinterpret_cast<b2b_call*>(m);
    impl& self = *c.self;
    const int status = status_of(sip);
    if (status < 200) {
        return 0;
    }
    nta_outgoing_destroy(c.re_orq);
    c.re_orq = nullptr;
    nta_incoming_t* irq = c.re_irq;
    c.re_irq = nullptr;
    const int asker = c.re_from, other = 1 - asker;
    if (status >= 300) {
        // Another final response: on to the asker; the session stays as it was.
        nta_incoming_treply(irq, status,
                            sip && sip->sip_status ? sip->sip_status->st_phrase : "Request Timeout",
                            SIPTAG_SERVER_STR(self.p.server.c_str()), TAG_END());
        nta_incoming_destroy(irq);
        return 0;
    }
    nta_leg_t* other_leg = other == 0 ? c.a_leg : c.b_leg;
    ack_2xx(other_leg, sip);
    auto ans = parse_msrp_offer(payload_of(sip));
    if (!ans || !ans->present || ans->path.empty()) {
        nta_incoming_treply(irq, 488, "Not Acceptable Here",
                            SIPTAG_SERVER_STR(self.p.server.c_str()), TAG_END());
        nta_incoming_destroy(irq);
        return 0;
    }
    // Step 4: the new media parameters in force in the relay: each leg
    // whose peer's path changed goes to the new one.
    bool ok = true;
    if (ans->path != c.peer_path[other]) {
        ok = self.media
                 ->set_remote(c.media.id, other, ans->path,
                              imsd_connects(parse_setup(ans->setup), true))
                 .has_value();
        c.peer_path[other] = ans->path;
    }
    if (c.re_path != c.peer_path[asker]) {
        ok = ok && self.media->set_remote(c.media.id, asker, c.re_path, false).has_value();
        c.peer_path[asker] = c.re_path;
    }
    if (!ok) {
        ++self.cnt.media_errors;
    }
    const std::string& asker_uri = asker == 0 ? c.media.uri_a : c.media.uri_b;
    const sdp_leg leg_asker{self.p.address, asker_uri, c.key, ++c.sdp_version,
                            msrp_setup::unspecified};
    const std::string sdp = rewrite_msrp_sdp(payload_of(sip), leg_asker);
    // RFC 4028: a re-INVITE answered 2xx refreshes both dialogs; each
    // timer as its own transaction negotiated.
    const auto now = std::chrono::steady_clock::now();
    c.timer[other].t = negotiate_as_uac(se_of(sip));
    c.timer[other].refreshed = now;
    const uas_decision d = negotiate_as_uas(c.re_se, c.interval_s, c.timer[asker].t.imsd_refreshes);
    c.timer[asker].t = d.timer;
    c.timer[asker].refreshed = now;
    const std::string se = session_expires_for_response(d.timer);
    nta_incoming_treply(irq, SIP_200_OK, SIPTAG_SERVER_STR(self.p.server.c_str()),
                        SIPTAG_CONTACT_STR((asker == 0 ? c.a_contact : c.b_contact).c_str()),
                        SIPTAG_ALLOW_STR(allowed_methods), SIPTAG_SESSION_EXPIRES_STR(se.c_str()),
                        TAG_IF(d.require_timer, SIPTAG_REQUIRE_STR("timer")),
                        SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp.c_str()),
                        TAG_END());
    nta_incoming_destroy(irq);
    c.sdp_sent[asker] = sdp;
    return 0;
}

// RFC 4028 10: imsd is the refresher on a dialog and half its interval has
// passed. UPDATE where the peer allows it (no SDP: RFC 4028 recommends it),
// else a re-INVITE offering the same SDP again (its o= version unchanged:
// RFC 3264 8, no change to the session).
void sip_agent::impl::send_refresh(b2b_call& c, int side) {
    auto& st = c.timer[side];
    const bool update = allows(side == 0 ? c.a_allow : c.b_allow, "UPDATE");
    const std::string se = session_expires_for_request(st.t);
    st.by_invite = !update;
    st.orq = nta_outgoing_tcreate(
        side == 0 ? c.a_leg : c.b_leg, on_refresh_response,
        reinterpret_cast<nta_outgoing_magic_t*>(&c), nullptr,
        update ? sip_method_update : sip_method_invite, update ? "UPDATE" : "INVITE", nullptr,
        SIPTAG_CONTACT_STR((side == 0 ? c.a_contact : c.b_contact).c_str()),
        SIPTAG_ALLOW_STR(allowed_methods), SIPTAG_SUPPORTED_STR("timer"),
        SIPTAG_SESSION_EXPIRES_STR(se.c_str()),
        TAG_IF(!update, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
        TAG_IF(!update, SIPTAG_PAYLOAD_STR(c.sdp_sent[side].c_str())), TAG_END());
    if (st.orq == nullptr) {
        ++cnt.refresh_failures;
        st.retry_at = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        return;
    }
    ++cnt.refreshes_sent;
}

int sip_agent::impl::on_refresh_response(nta_outgoing_magic_t* m, nta_outgoing_t* orq,
                                         sip_t const* sip) {
    auto& c = *reinterpret_cast<b2b_call*>(m);
    impl& self = *c.self;
    const int status = status_of(sip);
    if (status < 200) {
        return 0;
    }
    const int side = orq == c.timer[0].orq ? 0 : 1;
    auto& st = c.timer[side];
    st.orq = nullptr;
    const auto now = std::chrono::steady_clock::now();
    if (status < 300) {
        if (st.by_invite) {
            ack_2xx(side == 0 ? c.a_leg : c.b_leg, sip);
        }
        nta_outgoing_destroy(orq);
        st.t = negotiate_as_uac(se_of(sip));  // 7.2, as on the first 2xx
        st.refreshed = now;
        self.session_touched(c.call_id, false);
        return 0;
    }
    nta_outgoing_destroy(orq);
    ++self.cnt.refresh_failures;
    if (status == 408 || status == 481) {
        // 10: the dialog is gone (or the peer is): the session ends.
        ++self.cnt.sessions_expired;
        self.end_both_sides(c, "refresh failed", status);
        return 0;
    }
    // Another refusal (491, 500...): tried again; the session ends at its
    // deadline if none gets through.
    st.retry_at = now + std::chrono::seconds(std::max<uint32_t>(2, st.t.interval_s / 10));
    return 0;
}

// 6.1.2.2.5: a BYE came from one side (answered 200 already): the user
// plane released (step 2), a BYE to the other side (step 3); the call ends
// on its answer ("the rest released on its 200").
int sip_agent::impl::b2b_bye(b2b_call& c, bool from_a) {
    record_history(c, from_a ? (c.originating ? "served user" : "inviting side")
                             : (c.originating ? "far side" : "served user"));
    release_media(c);
    session_touched(c.call_id, true);
    const int other = from_a ? 1 : 0;
    if (c.bye_orq[other] == nullptr) {
        send_bye(c, other, nullptr);
    }
    if (c.bye_orq[0] == nullptr && c.bye_orq[1] == nullptr) {
        end_call(c);
    }
    return 0;
}

void sip_agent::impl::send_bye(b2b_call& c, int side, const char* reason) {
    c.bye_orq[side] = nta_outgoing_tcreate(
        side == 0 ? c.a_leg : c.b_leg, on_bye_response, reinterpret_cast<nta_outgoing_magic_t*>(&c),
        nullptr, SIP_METHOD_BYE, nullptr, SIPTAG_USER_AGENT_STR(p.server.c_str()),
        TAG_IF(reason != nullptr, SIPTAG_REASON_STR(reason)), TAG_END());
}

int sip_agent::impl::on_bye_response(nta_outgoing_magic_t* m, nta_outgoing_t* orq,
                                     sip_t const* sip) {
    auto& c = *reinterpret_cast<b2b_call*>(m);
    const int status = status_of(sip);
    if (status < 200) {
        return 0;
    }
    for (auto& b : c.bye_orq) {
        if (b == orq) {
            nta_outgoing_destroy(b);
            b = nullptr;
        }
    }
    if (c.bye_orq[0] == nullptr && c.bye_orq[1] == nullptr) {
        c.self->end_call(c);
    }
    return 0;
}

// RFC 4028 10, on each dialog of each session: imsd refreshes where it is
// the refresher; a dialog not refreshed in time ends the session (BYE to
// both sides, the relay released).
void sip_agent::impl::expire_calls() {
    const auto now = std::chrono::steady_clock::now();
    std::vector<uint64_t> expired;
    std::vector<std::pair<uint64_t, int>> refresh;
    std::vector<uint64_t> unacked;
    for (const auto& [key, c] : calls) {
        if (c->a_2xx != nullptr) {
            if (now >= c->a_2xx_deadline) {
                unacked.push_back(key);
                continue;
            }
            if (now >= c->a_2xx_next) {
                resend_2xx(*c, now);
            }
        }
        if (!c->confirmed || c->bye_orq[0] || c->bye_orq[1] || c->re_irq || c->re_orq) {
            continue;
        }
        for (int side = 0; side < 2; ++side) {
            const auto& st = c->timer[side];
            const timer_due d = due(st.t, st.refreshed, st.retry_at, st.orq != nullptr, now);
            if (d == timer_due::expire) {
                expired.push_back(key);
                break;
            }
            if (d == timer_due::refresh) {
                refresh.emplace_back(key, side);
            }
        }
    }
    for (auto [key, side] : refresh) {
        if (auto it = calls.find(key); it != calls.end()) {
            send_refresh(*it->second, side);
        }
    }
    for (uint64_t key : expired) {
        if (auto it = calls.find(key); it != calls.end()) {
            ++cnt.sessions_expired;
            end_both_sides(*it->second, "session timer", 0);
        }
    }
    // 13.3.1.4: "If the server retransmits the 2xx response for 64*T1
    // seconds without receiving an ACK, ... the session SHOULD be
    // terminated" with a BYE.
    for (uint64_t key : unacked) {
        if (auto it = calls.find(key); it != calls.end()) {
            b2b_call& c = *it->second;
            drop_2xx(c);
            ++cnt.acks_missing;
            end_both_sides(c, "no ACK", 0);
        }
    }
}

void sip_agent::impl::resend_2xx(b2b_call& c, std::chrono::steady_clock::time_point now) {
    // Sent statelessly the way nta sent the first: by A's Via, through the
    // transport A's INVITE came in on (nta_msg_tsend would treat a response
    // as forwarded and route it by the Via below the top one).
    msg_t* copy = msg_dup(c.a_2xx);
    if (copy != nullptr && nta_msg_mreply(nta, copy, sip_object(copy), SIP_200_OK,
                                          msg_ref_create(c.a_req), TAG_END()) == 0) {
        ++cnt.retransmitted_2xx;
    }
    c.a_2xx_gap_ms = std::min(2 * c.a_2xx_gap_ms, t2_ms);
    c.a_2xx_next = now + std::chrono::milliseconds(c.a_2xx_gap_ms);
}

// Ends a confirmed session from imsd's side (its timers): history, the relay
// released, BYE to both sides (Reason: cause 408); the call ends on their
// answers. The caller counts why.
void sip_agent::impl::end_both_sides(b2b_call& c, const char* why, int status) {
    record_history(c, why);
    IMSD_LOG(sigplane, INFO, "session {} ended: {} ({} s interval{}): BYE both sides", c.call_id,
             why, c.interval_s, status != 0 ? ", refresh answered " + std::to_string(status) : "");
    release_media(c);
    session_touched(c.call_id, true);
    const char* reason = "SIP;cause=408;text=\"session timer expired\"";
    for (int side = 0; side < 2; ++side) {
        if (c.bye_orq[side] == nullptr) {
            send_bye(c, side, reason);
        }
    }
    if (c.bye_orq[0] == nullptr && c.bye_orq[1] == nullptr) {
        end_call(c);
    }
}

// "Storage for History" / "End History Recording" (spec NOTES): one record
// per session of a user whose history setting is on - who, which way, when
// it started and how it ended. Per-message records (Message-ID, size,
// Distribution-Count) are the relay's events (show msrp events).
void sip_agent::impl::record_history(b2b_call& c, const char* ended_by) {
    if (p.store == nullptr || !c.row.history || (ended_by != nullptr && c.history_key.empty())) {
        return;
    }
    const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    if (ended_by == nullptr) {
        c.started_ms = now_ms;
        c.history_key = "history/" + c.row.user + "/" + std::to_string(now_ms) + "-" + c.call_id;
    }
    nlohmann::json j = {{"kind", "im-session"},
                        {"direction", c.row.direction},
                        {"user", c.row.user},
                        {"from", c.row.from},
                        {"to", c.row.to},
                        {"call_id", c.call_id},
                        {"msrp_session", c.media.id},
                        {"started_ms", c.started_ms}};
    if (ended_by != nullptr) {
        j["ended_ms"] = now_ms;
        j["ended_by"] = ended_by;
    }
    if (auto r = p.store->put(c.history_key, j.dump()); !r) {
        ++cnt.history_errors;
        IMSD_LOG(sigplane, WARNING, "history record {}: {}", c.history_key, r.error().to_string());
    } else {
        ++cnt.history_records;
    }
    if (ended_by != nullptr) {
        c.history_key.clear();
    }
}

void sip_agent::impl::release_media(b2b_call& c) {
    if (!c.media_live) {
        return;
    }
    c.media_live = false;
    if (!media->release(c.media.id)) {
        ++cnt.media_errors;
    }
}

void sip_agent::impl::end_call(b2b_call& c) {
    release_media(c);
    if (c.b_orq != nullptr) {
        nta_outgoing_destroy(c.b_orq);
    }
    for (auto* b : c.bye_orq) {
        if (b != nullptr) {
            nta_outgoing_destroy(b);
        }
    }
    if (c.re_orq != nullptr) {
        nta_outgoing_destroy(c.re_orq);
    }
    for (auto& st : c.timer) {
        if (st.orq != nullptr) {
            nta_outgoing_destroy(st.orq);
        }
    }
    drop_2xx(c);
    if (c.re_irq != nullptr) {
        nta_incoming_treply(c.re_irq, SIP_500_INTERNAL_SERVER_ERROR, TAG_END());
        nta_incoming_destroy(c.re_irq);
    }
    if (c.a_irq != nullptr) {
        nta_incoming_treply(c.a_irq, SIP_500_INTERNAL_SERVER_ERROR, TAG_END());
        nta_incoming_destroy(c.a_irq);
    }
    if (c.a_leg != nullptr) {
        nta_leg_destroy(c.a_leg);
    }
    if (c.b_leg != nullptr) {
        nta_leg_destroy(c.b_leg);
    }
    calls.erase(c.key);  // c is gone
}

// At shutdown. The relay's sessions are not released one by one: they go
// down with the dataplane, which closes every connection (and in
// single-core mode its loop has already stopped, so each release would wait
// its 1 s answer timeout: eight live sessions overran the shutdown timeout).
// History records are closed as ended by the shutdown.
void sip_agent::impl::end_all_calls() {
    IMSD_LOG(sigplane, INFO, "{} B2BUA session(s) dropped at shutdown", calls.size());
    while (!calls.empty()) {
        b2b_call& c = *calls.begin()->second;
        record_history(c, "shutdown");
        c.media_live = false;
        end_call(c);
    }
}

}  // namespace imsd::sig

#include "sigplane/agent/internal.hpp"
#include "sigplane/checks/content.hpp"
#include "sigplane/checks/media_path.hpp"

namespace imsd::sig {

// ---------------------------------------------------------------- start/stop

std::expected<std::unique_ptr<sip_agent>, platform::error> sip_agent::start(agent_params p) {
    auto i = std::make_unique<impl>();
    i->p = std::move(p);
    i->settings = i->p.settings;
    i->media = i->p.media;
    std::promise<std::expected<void, platform::error>> ready;
    auto fut = ready.get_future();
    impl* raw = i.get();
    i->th = std::thread([raw, &ready] { raw->run(ready); });
    auto r = fut.get();
    if (!r) {
        i->th.join();
        return std::unexpected(r.error());
    }
    return std::unique_ptr<sip_agent>(new sip_agent(std::move(i)));
}

sip_agent::sip_agent(std::unique_ptr<impl> i) : impl_(std::move(i)) {}

sip_agent::~sip_agent() {
    impl_->stop.store(true);
    if (impl_->th.joinable()) {
        impl_->th.join();
    }
}

void sip_agent::update(std::shared_ptr<const platform::settings> s) {
    std::lock_guard lock(impl_->mu);
    impl_->settings = std::move(s);
}

void sip_agent::impl::run(std::promise<std::expected<void, platform::error>>& ready) {
    pthread_setname_np(pthread_self(), "imsd-sip");  // top -H, /proc/<pid>/task/*/comm
    su_init();
    // Sofia-SIP's own logging: errors only, unless IMSD_SOFIA_DEBUG (0-9)
    // asks for more (stderr; for debugging with the library's authors' eyes).
    const char* dbg = std::getenv("IMSD_SOFIA_DEBUG");
    su_log_set_level(nullptr, dbg != nullptr ? static_cast<unsigned>(std::atoi(dbg)) : 1u);
    // P-Asserted-Identity and the other extension headers parsed as such.
    sip_update_default_mclass(sip_extend_mclass(nullptr));
    const std::string url = "sip:" + p.address + ":" + std::to_string(p.port);
    root = su_root_create(this);
    if (root != nullptr) {
        nta = nta_agent_create(root, URL_STRING_MAKE(url.c_str()), nullptr, nullptr,
                               NTATAG_UA(0),  // a proxy: no automatic 2xx retransmission
                               NTATAG_SERVER_RPORT(1), NTATAG_CANCEL_487(0),
                               SIPTAG_SERVER_STR(p.server.c_str()), TAG_END());
    }
    if (nta != nullptr) {
        leg = nta_leg_tcreate(nta, on_request, reinterpret_cast<nta_leg_magic_t*>(this),
                              NTATAG_NO_DIALOG(1), TAG_END());
    }
    if (leg == nullptr) {
        const int e = errno;
        if (nta != nullptr) {
            nta_agent_destroy(nta);
        }
        if (root != nullptr) {
            su_root_destroy(root);
        }
        su_home_deinit(home);
        su_deinit();
        ready.set_value(std::unexpected(make_error(
            "dataplane/sip", "the SIP agent cannot listen on " + url + ": " + strerror(e) +
                                 " (is the exception path interface up with that address?)")));
        return;
    }
    self = url_make(home, url.c_str());
    rr = sip_record_route_create(home, self, nullptr);
    if (rr != nullptr) {
        url_param_add(home, rr->r_url, "lr");
    }
    tick = su_timer_create(su_root_task(root), 100);
    su_timer_run(tick, on_tick, this);
    IMSD_LOG(sigplane, INFO, "SIP agent listening on {} (UDP and TCP), Server: {}", url, p.server);
    ready.set_value({});
    su_root_run(root);

    end_all_calls();
    su_timer_destroy(tick);
    nta_leg_destroy(leg);
    nta_agent_destroy(nta);
    su_root_destroy(root);
    su_home_deinit(home);
    su_deinit();
}

// ------------------------------------------------------------------ helpers

bool sip_agent::impl::is_us(const url_t* u) const {
    if (u == nullptr || u->url_host == nullptr || !platform::iequal(u->url_host, p.address)) {
        return false;
    }
    const unsigned port = u->url_port != nullptr ? std::atoi(u->url_port) : 5060;
    return port == p.port;
}

bool sip_agent::impl::trusted_source(msg_t* msg, const platform::settings& s) const {
    const su_addrinfo_t* ai = msg_addrinfo(msg);
    if (ai == nullptr || ai->ai_addr == nullptr || ai->ai_family != AF_INET) {
        return false;
    }
    const uint32_t a = reinterpret_cast<const sockaddr_in*>(ai->ai_addr)->sin_addr.s_addr;
    for (const auto& t : s.im.trusted_peers) {
        const uint32_t mask = t.len == 0 ? 0 : htonl(~uint32_t{0} << (32 - t.len));
        if ((a & mask) == (t.addr_be & mask)) {
            return true;
        }
    }
    return false;
}

// RFC 3325 5: P-Asserted-Identity from outside the trust domain is removed.
void sip_agent::impl::strip_untrusted(msg_t* msg, sip_t* sip) {
    sip_p_asserted_identity_t* paid = sip_p_asserted_identity(sip);
    if (paid != nullptr) {
        msg_header_remove_all(msg, reinterpret_cast<msg_pub_t*>(sip),
                              reinterpret_cast<msg_header_t*>(paid));
    }
}

// RFC 3261 16.4: the Route entries naming imsd are consumed.
void sip_agent::impl::pop_own_routes(msg_t* msg, sip_t* sip) {
    while (sip->sip_route != nullptr && is_us(sip->sip_route->r_url)) {
        sip_route_remove(msg, sip);
    }
}

// RFC 3261 16.6 step 6/7: the next Route; else, for a request outside a
// dialog, the SIP/IP Core of the settings (6.1.1.2.2 step 1.h "according to
// the SIP/IP Core"); else the Request-URI (within a dialog: the remote target).
const url_t* sip_agent::impl::next_hop(sip_t* sip, bool dialog_forming, const platform::settings& s,
                                       su_home_t* h) const {
    if (sip->sip_route != nullptr) {
        return sip->sip_route->r_url;
    }
    if (dialog_forming && !s.im.core_uri.empty()) {
        return url_make(h, s.im.core_uri.c_str());
    }
    return sip->sip_request->rq_url;
}

void sip_agent::impl::reply(nta_incoming_t* irq, const rejection& r, bool invite) {
    const std::string warning = r.warning.empty()
                                    ? std::string()
                                    : "399 " + p.address + " \"" + warn_text(r.warning) + "\"";
    const std::string error_info = r.error_info.empty() ? std::string() : "<" + r.error_info + ">";
    nta_incoming_treply(irq, r.status, r.phrase.c_str(), SIPTAG_SERVER_STR(p.server.c_str()),
                        TAG_IF(!warning.empty(), SIPTAG_WARNING_STR(warning.c_str())),
                        TAG_IF(!error_info.empty(), SIPTAG_ERROR_INFO_STR(error_info.c_str())),
                        TAG_IF(!r.accept.empty(), SIPTAG_ACCEPT_STR(r.accept.c_str())),
                        TAG_IF(invite, SIPTAG_ALLOW_STR(allowed_methods)), TAG_END());
    switch (r.status) {
        case 403:
            ++cnt.rejected_403;
            break;
        case 415:
            ++cnt.rejected_415;
            break;
        case 488:
            ++cnt.rejected_488;
            break;
        default:
            ++cnt.rejected_other;
            break;
    }
    // Counted always; logged at debug (a flood of refusals must not flood the log).
    IMSD_LOG(sigplane, DEBUG, "{} {}: {}", r.status, r.step.empty() ? "refused" : r.step,
             r.warning);
}

void sip_agent::impl::reply_status(nta_incoming_t* irq, int status, const char* phrase,
                                   const std::string& warning) {
    rejection r = refuse(status, phrase, "", warning);
    reply(irq, r, nta_incoming_method(irq) == sip_method_invite);
}

// ----------------------------------------------------------------- requests

int sip_agent::impl::request(nta_incoming_t* irq, sip_t const* sip) {
    ++cnt.requests_in;
    const auto s = current();
    msg_t* req = nta_incoming_getrequest(irq);  // our reference
    const bool trusted = trusted_source(req, *s);
    const sip_method_t method = sip->sip_request->rq_method;
    if (!trusted && sip_p_asserted_identity(sip) != nullptr) {
        ++cnt.pai_removed;  // not believed here, and not passed on (strip_untrusted)
    }

    if (method == sip_method_ack) {
        forward_ack(req, trusted, *s);
        nta_incoming_destroy(irq);
        return 0;
    }
    if (method == sip_method_cancel) {
        // A CANCEL nta matched to no transaction of ours (16.10).
        msg_destroy(req);
        return 481;
    }
    // OPTIONS to imsd itself (the core's keep-alive): answered here.
    sip_t* rs = sip_object(req);
    bool route_beyond_us = false;
    for (const sip_route_t* r = rs->sip_route; r != nullptr; r = r->r_next) {
        route_beyond_us |= !is_us(r->r_url);
    }
    if (method == sip_method_options && !route_beyond_us && is_us(sip->sip_request->rq_url)) {
        msg_destroy(req);
        ++cnt.options_answered;
        nta_incoming_treply(
            irq, SIP_200_OK, SIPTAG_SERVER_STR(p.server.c_str()), SIPTAG_ALLOW_STR(allowed_methods),
            SIPTAG_ACCEPT_STR("application/sdp, text/plain, message/cpim"), TAG_END());
        nta_incoming_destroy(irq);
        return 0;
    }
    const bool in_dialog = sip->sip_to != nullptr && sip->sip_to->a_tag != nullptr;
    if (in_dialog) {
        ++cnt.in_dialog_in;
        if (sip->sip_call_id != nullptr) {
            session_touched(sip->sip_call_id->i_id, false);
        }
        if (method == sip_method_invite) {
            if (auto v = reinvite_refused(sip, msg_home(req))) {
                msg_destroy(req);
                reply(irq, *v, true);
                nta_incoming_destroy(irq);
                return 0;
            }
        }
        return forward(irq, req, trusted, false, *s, {});
    }
    if (method == sip_method_invite || method == sip_method_message) {
        return initial(irq, sip, req, trusted, *s);
    }
    // Other out-of-dialog requests (OPTIONS to users, SUBSCRIBE...): proxied.
    return forward(irq, req, trusted, false, *s, {});
}

// 6.1.2.2.3 as proxy: the re-INVITE is forwarded, but its new offer is a
// request of the session all the same (6.1.1.1 step 4.b from the served
// client, 6.1.2.1 step 3.b towards the served user): held against the
// operator's policy for the session's kind. The served client sent it when
// its From is the served user.
verdict sip_agent::impl::reinvite_refused(sip_t const* sip, su_home_t* h) {
    if (sip->sip_payload == nullptr || sip->sip_payload->pl_len == 0 ||
        sip->sip_call_id == nullptr) {
        return std::nullopt;
    }
    session_row row;
    {
        std::lock_guard lock(mu);
        auto it = sessions.find(sip->sip_call_id->i_id);
        if (it == sessions.end()) {
            return std::nullopt;  // not a session imsd saw begin: RFC 3261 only
        }
        row = it->second;
    }
    auto offer =
        parse_msrp_offer(std::string_view(sip->sip_payload->pl_data, sip->sip_payload->pl_len));
    if (!offer || !offer->present) {
        return std::nullopt;  // not ours to judge: forwarded as it is
    }
    const std::string from = sip->sip_from != nullptr ? url_text(h, sip->sip_from->a_url) : "";
    request_facts initial;
    initial.method = "INVITE";
    initial.kind = row.kind;
    return new_offer(initial, *offer, !from.empty() && from == row.user, current()->im);
}

int sip_agent::impl::initial(nta_incoming_t* irq, sip_t const* sip, msg_t* req, bool trusted,
                             const platform::settings& s) {
    const bool invite = sip->sip_request->rq_method == sip_method_invite;
    ++(invite ? cnt.invites_in : cnt.messages_in);
    su_home_t* h = msg_home(req);

    // Originating or terminating: how the SIP/IP Core addressed imsd - the
    // "orig" parameter of the Route naming imsd (3GPP TS 24.229 5.4.3.2),
    // or P-Served-User with sescase=orig (RFC 5502).
    bool originating = false;
    for (const sip_route_t* r = sip->sip_route; r != nullptr && is_us(r->r_url); r = r->r_next) {
        originating |= url_has_param(r->r_url, "orig") != 0;
    }
    if (const char* psu = unknown_header(sip, "P-Served-User")) {
        std::string v(psu);
        for (char& c : v) {
            c = platform::ascii_lower(c);
        }
        originating |= v.find("sescase=orig") != std::string::npos;
    }
    ++(originating ? cnt.originating : cnt.terminating);

    // The request's facts (sigplane/checks/facts.hpp).
    request_facts f;
    f.method = sip->sip_request->rq_method_name;
    const sip_p_asserted_identity_t* paid = trusted ? sip_p_asserted_identity(sip) : nullptr;
    if (paid != nullptr && !url_text(h, paid->paid_url).empty()) {
        f.originator = url_text(h, paid->paid_url);
    }
    if (sip->sip_privacy != nullptr) {
        for (msg_param_t const* v = sip->sip_privacy->priv_values; v && *v; ++v) {
            f.anonymous |= platform::iequal(*v, "id");
        }
    }
    if (sip->sip_user_agent != nullptr && sip->sip_user_agent->g_string != nullptr) {
        f.user_agent = sip->sip_user_agent->g_string;
    }
    if (sip->sip_content_type != nullptr && sip->sip_content_type->c_type != nullptr) {
        f.content_type = sip->sip_content_type->c_type;
        for (char& c : f.content_type) {
            c = platform::ascii_lower(c);
        }
    }
    f.body_bytes = sip->sip_payload != nullptr ? sip->sip_payload->pl_len : 0;
    if (!invite && sip->sip_expires != nullptr) {
        // RFC 3261 20.19: an absolute date, or seconds from the Date of the
        // request (from its reception when it has none). sip_time_t counts
        // from 1900.
        constexpr int64_t ntp_to_unix = 2208988800;
        const sip_expires_t* ex = sip->sip_expires;
        const int64_t base = sip->sip_date != nullptr
                                 ? static_cast<int64_t>(sip->sip_date->d_time) - ntp_to_unix
                                 : unix_now();
        f.valid_until_s = ex->ex_date != 0 ? static_cast<int64_t>(ex->ex_date) - ntp_to_unix
                                           : base + static_cast<int64_t>(ex->ex_delta);
    }
    if (!invite) {
        f.kind = im_kind::pager;
    } else {
        bool large = false;
        for (const sip_accept_contact_t* a = sip->sip_accept_contact; a; a = a->cp_next) {
            large |= has_param(a->cp_params, large_message_tag);
        }
        for (const sip_contact_t* c = sip->sip_contact; c; c = c->m_next) {
            large |= has_param(c->m_params, large_message_tag);
        }
        if (f.content_type == "application/sdp" && sip->sip_payload != nullptr) {
            auto offer = parse_msrp_offer(
                std::string_view(sip->sip_payload->pl_data, sip->sip_payload->pl_len));
            if (!offer) {
                msg_destroy(req);
                ++cnt.sdp_bad;
                reply_status(irq, 400, "Bad Request", offer.error());
                nta_incoming_destroy(irq);
                return 0;
            }
            f.offer = *offer;
        }
        f.kind = large               ? im_kind::large_message
                 : f.offer.file_size ? im_kind::file_transfer
                                     : im_kind::session;
    }

    // The served user and the checks, in spec order.
    const std::string recipient = url_text(h, sip->sip_request->rq_url);
    std::optional<served_user> user;
    verdict v;
    if (originating) {
        if (f.originator) {
            user = p.users->find(*f.originator);
        }
        v = originating::run(f, user ? &*user : nullptr, s.im, unix_now());
    } else {
        user = p.users->find(recipient);
        const invite_permission perm = p.users->allow_invite(recipient, f.originator.value_or(""),
                                                             f.anonymous || !f.originator, f.kind);
        v = terminating::run(f, user ? &*user : nullptr, perm, s.im, unix_now());
    }
    if (v) {
        msg_destroy(req);
        reply(irq, *v, invite);
        nta_incoming_destroy(irq);
        return 0;
    }
    // RFC 4028 6: an interval below the operator's Min-SE is refused 422.
    if (invite && sip->sip_session_expires != nullptr &&
        sip->sip_session_expires->x_delta < s.im.min_se_s) {
        msg_destroy(req);
        ++cnt.rejected_422;
        const std::string min_se = std::to_string(s.im.min_se_s);
        nta_incoming_treply(irq, SIP_422_SESSION_TIMER_TOO_SMALL, SIPTAG_MIN_SE_STR(min_se.c_str()),
                            SIPTAG_SERVER_STR(p.server.c_str()), SIPTAG_ALLOW_STR(allowed_methods),
                            TAG_END());
        nta_incoming_destroy(irq);
        return 0;
    }

    // 6.1.1 / 6.1.2 media-path decision: static, or dynamic on the user's
    // history setting and charging. Pager Mode has no media path.
    const bool media_path = stays_in_media_path(s.im, user ? &*user : nullptr, f.kind);
    session_row row;
    row.mode = "proxy";
    row.direction = originating ? "originating" : "terminating";
    row.kind = f.kind;
    row.history = user && user->history_active;
    row.user = originating ? f.originator.value_or("") : recipient;
    row.from = sip->sip_from != nullptr ? url_text(h, sip->sip_from->a_url) : "";
    row.to = sip->sip_to != nullptr ? url_text(h, sip->sip_to->a_url) : "";
    if (media_path) {
        // 6.1.1.2.2 step 1 / 6.1.2.2.2: a B2BUA with imsd in the media path.
        if (media == nullptr) {
            msg_destroy(req);
            ++cnt.b2bua_unavailable;
            reply_status(irq, 503, "Service Unavailable",
                         "staying in the media path needs the MSRP relay (dataplane/msrp)");
            nta_incoming_destroy(irq);
            return 0;
        }
        const int r = b2bua_invite(irq, sip, f, originating, s, std::move(row));
        msg_destroy(req);
        return r;
    }
    // 6.1.1.2.2 step 2 / proxy: stay in the signalling path (Record-Route).
    return forward(irq, req, trusted, invite, s, std::move(row));
}

// RFC 3261 16.6: copy, Max-Forwards, Route, Record-Route, forward statefully.
int sip_agent::impl::forward(nta_incoming_t* irq, msg_t* req, bool trusted, bool initial_request,
                             const platform::settings& s, session_row row) {
    msg_t* fwd = msg_copy(req);
    msg_destroy(req);
    if (fwd == nullptr) {
        ++cnt.forward_failed;
        nta_incoming_destroy(irq);
        return 500;
    }
    sip_t* fs = sip_object(fwd);
    if (!trusted) {
        strip_untrusted(fwd, fs);
    }
    // 16.6 step 3
    if (fs->sip_max_forwards != nullptr) {
        if (fs->sip_max_forwards->mf_count == 0) {
            msg_destroy(fwd);
            reply_status(irq, 483, "Too Many Hops", "Max-Forwards reached 0");
            nta_incoming_destroy(irq);
            return 0;
        }
        --fs->sip_max_forwards->mf_count;
        msg_fragment_clear(fs->sip_max_forwards->mf_common);
    } else {
        sip_add_tl(fwd, fs, SIPTAG_MAX_FORWARDS_STR("70"), TAG_END());
    }
    pop_own_routes(fwd, fs);
    if (initial_request && rr != nullptr) {
        // 16.6 step 4; 6.1.1.2.2 step 2.b
        msg_header_insert(fwd, reinterpret_cast<msg_pub_t*>(fs),
                          reinterpret_cast<msg_header_t*>(sip_record_route_dup(msg_home(fwd), rr)));
    }
    const bool outside_dialog = fs->sip_to == nullptr || fs->sip_to->a_tag == nullptr;
    const url_t* hop = next_hop(fs, outside_dialog, s, msg_home(fwd));
    if (hop == nullptr || is_us(hop)) {
        msg_destroy(fwd);
        ++cnt.forward_failed;
        reply_status(irq, 404, "Not Found", "no next hop beyond imsd for this request");
        nta_incoming_destroy(irq);
        return 0;
    }
    if (in_flight >= s.limits.max_sessions) {
        msg_destroy(fwd);
        ++cnt.transactions_full;
        reply_status(irq, 503, "Service Unavailable", "too many transactions in flight");
        nta_incoming_destroy(irq);
        return 0;
    }
    auto* t = new tx{this, irq, nullptr, sip_method_unknown, false, {}, {}};
    t->method = nta_incoming_method(irq);
    t->initial = initial_request;
    t->call_id = fs->sip_call_id != nullptr ? fs->sip_call_id->i_id : "";
    t->row = std::move(row);
    t->orq = nta_outgoing_mcreate(nta, on_response, reinterpret_cast<nta_outgoing_magic_t*>(t),
                                  reinterpret_cast<const url_string_t*>(hop), fwd, TAG_END());
    if (t->orq == nullptr) {
        msg_destroy(fwd);
        delete t;
        ++cnt.forward_failed;
        reply_status(irq, 500, "Server Internal Error", "could not forward the request");
        nta_incoming_destroy(irq);
        return 0;
    }
    ++in_flight;
    ++cnt.forwarded;
    if (t->method == sip_method_invite) {
        nta_incoming_bind(irq, on_cancel, reinterpret_cast<nta_incoming_magic_t*>(t));
    }
    return 0;
}

// The ACK of a 2xx is a request of its own, forwarded end to end (16.6;
// no transaction).
void sip_agent::impl::forward_ack(msg_t* req, bool trusted, const platform::settings& s) {
    msg_t* fwd = msg_copy(req);
    msg_destroy(req);
    if (fwd == nullptr) {
        return;
    }
    sip_t* fs = sip_object(fwd);
    if (!trusted) {
        strip_untrusted(fwd, fs);
    }
    pop_own_routes(fwd, fs);
    const url_t* hop = next_hop(fs, false, s, msg_home(fwd));
    if (hop == nullptr || is_us(hop)) {
        msg_destroy(fwd);
        return;
    }
    nta_outgoing_t* orq = nta_outgoing_mcreate(
        nta, nullptr, nullptr, reinterpret_cast<const url_string_t*>(hop), fwd, TAG_END());
    if (orq == nullptr) {
        msg_destroy(fwd);
        return;
    }
    ++cnt.acks_forwarded;
    nta_outgoing_destroy(orq);
}

int sip_agent::impl::on_response(nta_outgoing_magic_t* m, nta_outgoing_t* orq, sip_t const* sip) {
    auto* t = reinterpret_cast<tx*>(m);
    impl* self = t->self;
    const int status =
        sip != nullptr && sip->sip_status != nullptr ? sip->sip_status->st_status : 408;
    if (status == 100) {
        return 0;  // hop by hop: nta sent its own
    }
    msg_t* r = nta_outgoing_getresponse(orq);  // our reference
    if (r != nullptr) {
        // 16.7 step 3: our Via off; the rest as it came.
        sip_via_remove(r, sip_object(r));
        if (nta_incoming_mreply(t->irq, r) < 0) {
            IMSD_LOG(sigplane, WARNING, "could not relay a {} response", status);
        } else {
            ++self->cnt.responses_relayed;
        }
    } else if (status >= 200) {
        nta_incoming_treply(t->irq, status, "Response Lost",
                            SIPTAG_SERVER_STR(self->p.server.c_str()), TAG_END());
    }
    if (status >= 200) {
        if (status < 300 && t->initial && t->method == sip_method_invite) {
            self->session_started(*t);
        }
        if (status < 300 && t->method == sip_method_bye) {
            self->session_touched(t->call_id, true);
        }
        self->finish(t);
    }
    return 0;
}

// nta's callback for the forwarded INVITE's server transaction: a CANCEL
// for it, or (sip null) the transaction ended before a final response.
int sip_agent::impl::on_cancel(nta_incoming_magic_t* m, nta_incoming_t*, sip_t const* sip) {
    auto* t = reinterpret_cast<tx*>(m);
    if (sip == nullptr) {
        t->self->finish(t);  // no more callbacks from either side after this
        return 0;
    }
    if (sip->sip_request == nullptr || sip->sip_request->rq_method != sip_method_cancel) {
        return 500;
    }
    // 16.10: the CANCEL is answered 200 (the return value); the forwarded
    // INVITE is cancelled downstream and its 487 comes back through
    // on_response.
    ++t->self->cnt.cancels_in;
    nta_outgoing_tcancel(t->orq, nullptr, nullptr, TAG_END());
    return 200;
}

void sip_agent::impl::finish(tx* t) {
    nta_outgoing_destroy(t->orq);
    nta_incoming_destroy(t->irq);
    --in_flight;
    delete t;
}

// ----------------------------------------------------------------- sessions

void sip_agent::impl::session_started(const tx& t) {
    session_row row = t.row;
    row.started = row.seen = std::chrono::steady_clock::now();
    std::lock_guard lock(mu);
    if (sessions.emplace(t.call_id, std::move(row)).second) {
        ++cnt.sessions_started;
    }
}

void sip_agent::impl::session_touched(const std::string& call_id, bool ended) {
    std::lock_guard lock(mu);
    auto it = sessions.find(call_id);
    if (it == sessions.end()) {
        return;
    }
    if (ended) {
        sessions.erase(it);
        ++cnt.sessions_ended;
    } else {
        it->second.seen = std::chrono::steady_clock::now();
    }
}

// A proxied session whose dialog shows nothing for twice the session
// interval is gone (its BYE never passed here): forgotten, counted ended.
void sip_agent::impl::expire_sessions() {
    const auto s = current();
    const auto limit = std::chrono::seconds(2 * uint64_t{s->im.session_expires_s});
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mu);
    std::erase_if(sessions, [&](const auto& kv) {
        if (now - kv.second.seen > limit) {
            ++cnt.sessions_ended;
            return true;
        }
        return false;
    });
}

void sip_agent::register_stats(platform::registry& reg) {
    platform::counter_group g;
    g.name = "sip_agent";
    g.instance = "";
    for (const auto& info : counter_infos) {
        g.names.emplace_back(info.name);
        g.descriptions.emplace_back(info.description);
    }
    impl* i = impl_.get();
    g.read = [i] {
        auto a = read_counters(i->cnt);
        return std::vector<platform::counter_instance>{
            {"agent", 0, std::vector<uint64_t>(a.begin(), a.end())}};
    };
    reg.add_counters(std::move(g));
    reg.add_table("sessions", "live IM sessions: call, mode, direction, served user, age", [i] {
        platform::table t;
        t.columns = {"call_id", "mode", "media_path", "direction", "user", "from", "to", "age_s"};
        const auto now = std::chrono::steady_clock::now();
        std::lock_guard lock(i->mu);
        for (const auto& [id, r] : i->sessions) {
            const auto age =
                std::chrono::duration_cast<std::chrono::seconds>(now - r.started).count();
            t.rows.push_back({id, r.mode, r.media, r.direction, r.user, r.from, r.to,
                              static_cast<uint64_t>(age)});
        }
        return t;
    });
}

}  // namespace imsd::sig

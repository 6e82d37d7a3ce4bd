#include "dataplane/msrp/relay.hpp"

#include <arpa/inet.h>
#include <rte_cycles.h>
#include <rte_random.h>
#include <rte_ring_elem.h>
#include <rte_ring_peek_zc.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstddef>
#include <cstring>

#include "dataplane/msrp/copy_small.hpp"
#include "dataplane/msrp/tid.hpp"
#include "dataplane/net/cksum.hpp"
#include "dataplane/net/config.hpp"

namespace imsd::dp::msrp {

// Text assembled on the fast path: a fixed buffer, no heap.
struct text {
    std::array<char, header_capacity + 2 * max_path_bytes + 256> buf;
    size_t n = 0;
    text& operator<<(std::string_view v) {
        const size_t k = std::min(v.size(), buf.size() - n);
        std::memcpy(buf.data() + n, v.data(), k);
        n += k;
        return *this;
    }
    text& operator<<(char c) { return *this << std::string_view(&c, 1); }
    text& operator<<(uint64_t v) {
        char d[24];
        auto r = std::to_chars(d, d + sizeof(d), v);
        return *this << std::string_view(d, static_cast<size_t>(r.ptr - d));
    }
    text& operator<<(uint32_t v) {
        char d[12];
        auto r = std::to_chars(d, d + sizeof(d), v);
        return *this << std::string_view(d, static_cast<size_t>(r.ptr - d));
    }
    std::string_view view() const { return {buf.data(), n}; }
};

// Text whose length the caller worked out first, written without bounds
// checks (relay::out_exact gives it room for exactly that many bytes).
struct writer {
    char* p;
    writer& operator<<(std::string_view v) noexcept {
        copy_small(p, v.data(), v.size());
        p += v.size();
        return *this;
    }
    writer& operator<<(char c) noexcept {
        *p++ = c;
        return *this;
    }
};

// A status code as its three digits (RFC 4975 9: status-code = 3DIGIT).
struct status3 {
    std::array<char, 3> d;
    explicit status3(uint16_t code) noexcept
        : d{static_cast<char>('0' + code / 100 % 10), static_cast<char>('0' + code / 10 % 10),
            static_cast<char>('0' + code % 10)} {}
    std::string_view view() const noexcept { return {d.data(), d.size()}; }
};

namespace {

// The end-line that aborts a chunk on the far side (RFC 4975 7.1.1 '#'),
// with the transaction id imsd gave it there.
void abort_line(text& t, bool had_body, std::string_view out_tid) {
    t << (had_body ? "\r\n-------" : "-------") << out_tid << "#\r\n";
}

}  // namespace

struct relay::session {
    bool in_use = false;
    uint32_t id = 0;
    uint32_t index = 0;  // its place in sessions_
    struct leg {
        static constexpr std::string_view to_hdr = "To-Path: ";
        static constexpr std::string_view from_hdr = "\r\nFrom-Path: ";
        std::array<char, session_id_chars> sid{};
        // "To-Path: <the peer's path>\r\nFrom-Path: <our URI on this leg>\r\n":
        // the paths of every request imsd sends on this leg and of every
        // response to it (RFC 4975 7.2), built once when the path is set
        // (set_paths), not piece by piece per message.
        std::array<char, to_hdr.size() + max_path_bytes + from_hdr.size() + max_uri_prefix_bytes +
                             session_id_chars + 6>
            paths{};
        uint16_t paths_len = 0;
        uint16_t path_len = 0;  // the peer's path, within paths
        bool active = false;
        uint32_t conn = UINT32_MAX;
        uint64_t messages_in = 0, bytes_in = 0;
        std::string_view sid_view() const { return {sid.data(), sid.size()}; }
        std::string_view path_view() const { return {paths.data() + to_hdr.size(), path_len}; }
        std::string_view paths_view() const { return {paths.data(), paths_len}; }
        // Our URI on this leg: msrp://<media-addr>:<port>/<sid>;tcp.
        std::string_view local_view() const {
            const size_t at = to_hdr.size() + path_len + from_hdr.size();
            return {paths.data() + at, paths_len - at - 2};
        }
        void set_paths(std::string_view path, std::string_view uri_prefix) {
            size_t n = 0;
            auto put = [&](std::string_view v) {
                if (!v.empty()) {  // an empty view's data() may be null: no memcpy from it
                    std::memcpy(paths.data() + n, v.data(), v.size());
                }
                n += v.size();
            };
            put(to_hdr);
            put(path);
            put(from_hdr);
            put(uri_prefix);
            put(sid_view());
            put(";tcp\r\n");
            path_len = static_cast<uint16_t>(path.size());
            paths_len = static_cast<uint16_t>(n);
        }
    };
    std::array<leg, 2> legs{};
    // OMA IM 6.1.1.2.2 delivery reports: the leg facing the served client
    // (-1: off). Its SENDs are relayed with "Success-Report:
    // yes;Include-Sent-Count"; where the client had not asked for reports,
    // the Message-ID is remembered here and the REPORT coming back for it
    // is consumed, not relayed.
    int8_t report_leg = -1;
    static constexpr size_t max_consumed = 32;
    std::array<std::array<char, 32>, max_consumed> consume_ids{};
    std::array<uint8_t, max_consumed> consume_len{};
    uint8_t consume_next = 0;
    uint64_t reports = 0;            // Distribution-Count REPORTs received
    uint64_t last_distribution = 0;  // the latest Distribution-Count
    // The SDP's a=accept-types (space-separated) and a=max-size.
    std::array<char, 256> accept_types{};
    std::array<char, 256> wrapped_types{};
    uint16_t accept_types_len = 0;
    uint16_t wrapped_types_len = 0;
    uint64_t max_size = 0;
    std::string_view accept_view() const { return {accept_types.data(), accept_types_len}; }
    std::string_view wrapped_view() const { return {wrapped_types.data(), wrapped_types_len}; }
    bool take_consumed(std::string_view mid) {
        for (size_t i = 0; i < max_consumed; ++i) {
            if (consume_len[i] != 0 &&
                std::string_view(consume_ids[i].data(), consume_len[i]) == mid) {
                consume_len[i] = 0;
                return true;
            }
        }
        return false;
    }
    void add_consumed(std::string_view mid) {
        if (mid.empty() || mid.size() > 32) {
            return;
        }
        auto& slot = consume_ids[consume_next];
        std::memcpy(slot.data(), mid.data(), mid.size());
        consume_len[consume_next] = static_cast<uint8_t>(mid.size());
        consume_next = static_cast<uint8_t>((consume_next + 1) % max_consumed);
    }
};

struct relay::conn : sink {
    relay* r = nullptr;
    uint32_t index = 0;
    bool in_use = false;
    tcp::tcp_conn tc;
    parser p{limits{}};
    uint32_t session = UINT32_MAX;
    uint8_t leg = 0;
    bool closing = false;
    bool paused = false;  // not read: the other leg's queue is full
    // Session legs that use this connection (several when shared, RFC 4975
    // 7.1.1 / 9: the same next hop), and where imsd opened it to (active).
    uint16_t users = 0;
    bool opened = false;
    uint32_t peer_ip_be = 0;
    uint16_t peer_port = 0;
    // Connections paused until this one's queue drains (a list through
    // next_waiter): a leg may have several connections.
    uint32_t waiters = UINT32_MAX;
    uint32_t next_waiter = UINT32_MAX;
    // Output queued for TCP (a chain), and its length.
    rte_mbuf* outq = nullptr;
    rte_mbuf* outq_last = nullptr;
    uint32_t out_len = 0;
    // Bytes ever queued at the tail: a queued byte's place for as long as it
    // is queued (the head is at out_seq - out_len). Nothing from hold_seq on
    // leaves before the batch's scans (flush_scans).
    uint64_t out_seq = 0;
    uint64_t hold_seq = UINT64_MAX;
    uint32_t cuts = 0;  // bumped by cut_queued: mbuf places noted before it are stale
    // On the relay's list: its message in progress is scanned at the flush.
    bool catch_up_due = false;
    uint32_t gen = 0;  // bumped when the slot is reused (batched scans check it)
    // A relayed chunk open on this queue (its head queued, its end-line not
    // yet): the connection it comes from. What imsd itself sends here
    // meanwhile (responses, REPORTs) waits in `side`, whole messages, until
    // the chunk's end-line is queued: nothing may come inside a chunk.
    uint32_t chunk_from = UINT32_MAX;
    rte_mbuf* side = nullptr;
    rte_mbuf* side_last = nullptr;
    uint32_t side_len = 0;
    bool push_due = false;  // on the relay's list for the end of this poll (schedule_push)
    // The message being parsed: where it goes.
    enum class fwd : uint8_t { none, relay, drop } mode = fwd::none;
    uint32_t to_conn = UINT32_MAX;
    uint32_t to_gen = 0;  // to_conn's gen then: a slot freed and reused is another connection
    std::array<char, 16> out_tid{};
    uint8_t out_tid_len = 0;
    bool had_body = false;
    rte_mbuf* cur_seg = nullptr;  // the segment being fed to the parser
    // The chunk being received, as far as refusing it needs.
    std::array<char, 32> in_tid{};
    uint8_t in_tid_len = 0;
    bool in_wants_response = false;  // Failure-Report not "no"
    bool in_wants_report = false;    // Failure-Report "yes" / "partial" asked for explicitly
    uint32_t out_pending = UINT32_MAX;
    std::array<char, 32> in_mid{};
    uint8_t in_mid_len = 0;
    std::array<char, 64> in_range{};  // the chunk's Byte-Range value, for a Failure REPORT
    uint8_t in_range_len = 0;
    bool in_send = false;         // the message is a SEND (its end is a delivery record)
    uint64_t in_start = 1;        // Byte-Range start of the chunk
    uint64_t in_total = 0;        // Byte-Range total of the message, 0: "*"
    uint64_t in_chunk_bytes = 0;  // body bytes of the chunk so far
    // Interrupting the chunk being relayed (relay::interrupt): its head
    // came in this delivery (kept at its end if the chunk is still open),
    // its header lines kept, and whether it is cut off on the far side's
    // queue, to go on at Byte-Range start cont_next.
    bool head_here = false;
    bool ask_count = false;  // its Success-Report was rewritten (Include-Sent-Count)
    bool cont_ready = false;
    bool interrupted = false;
    uint16_t cont_len = 0;
    uint64_t cont_next = 0;
    bool framing_lost = false;  // closed by imsd: the MSRP framing was lost
    // Messages whose chunks are being policed on this connection (two may
    // interleave): the scan stream runs across their chunks.
    struct message {
        bool in_use = false;
        bool blocked = false;  // refused: its later chunks get 403
        bool cpim = false;     // the encapsulated type is still to be checked
        uint8_t mid_len = 0;
        std::array<char, 32> mid{};
        uint64_t bytes = 0;
        uint64_t max_size = 0;  // 0: none
        // Queued unscanned (the batch), from out_from to body_to on
        // out_conn's queue; the scan is opened when it catches up.
        bool deferred = false;
        bool body_seen = false;
        uint32_t out_conn = UINT32_MAX, out_gen = 0;
        uint64_t out_from = 0, body_to = 0;
        queue_place from_at;  // the mbuf holding out_from
        policy::message_scan scan;
        policy::cpim_reader cpim_r;
        std::string_view mid_view() const { return {mid.data(), mid_len}; }
    };
    std::array<message, 2> msgs;
    int8_t cur_msg = -1;
    // The header lines kept for a resume (keep_head), cont_len long; last,
    // away from the fields every message touches.
    std::array<char, 512> cont{};
    std::string_view in_tid_view() const { return {in_tid.data(), in_tid_len}; }

    void on_head(const head& h) override { r->on_head(*this, h); }
    void on_body(std::string_view b, bool copied) override { r->on_body(*this, b, copied); }
    void on_end(char flag) override { r->on_end(*this, flag); }
    void on_error(const error& e) override { r->on_error(*this, e); }
};

namespace {

constexpr char base62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

void random_chars(char* out, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        out[i] = base62[rte_rand_max(62)];
    }
}

// The far side's response comment, relayed back up to this length.
constexpr size_t max_comment_bytes = 127;
constexpr uint32_t pending_index_limit = 1u << 24;

// The session id of an MSRP URI: msrp://host:port/<id>;tcp (RFC 4975 9).
std::string_view session_part(std::string_view uri) {
    const size_t scheme = uri.find("://");
    if (scheme == std::string_view::npos) {
        return {};
    }
    const size_t slash = uri.find('/', scheme + 3);
    if (slash == std::string_view::npos) {
        return {};
    }
    std::string_view id = uri.substr(slash + 1);
    return id.substr(0, id.find(';'));
}

// host:port of an MSRP URI whose host is an IPv4 literal (the dataplane
// resolves no names).
bool authority(std::string_view uri, uint32_t& ip_be, uint16_t& port) {
    const size_t scheme = uri.find("://");
    if (scheme == std::string_view::npos) {
        return false;
    }
    std::string_view a = uri.substr(scheme + 3);
    a = a.substr(0, a.find('/'));
    const size_t colon = a.rfind(':');
    if (colon == std::string_view::npos) {
        return false;
    }
    const std::string host(a.substr(0, colon));
    unsigned p = 0;
    const auto ps = a.substr(colon + 1);
    if (std::from_chars(ps.data(), ps.data() + ps.size(), p).ec != std::errc{} || p == 0 ||
        p > 65535) {
        return false;
    }
    port = static_cast<uint16_t>(p);
    return inet_pton(AF_INET, host.c_str(), &ip_be) == 1;
}

relay* relay_of(void* listener_user) { return static_cast<relay*>(listener_user); }

const tcp::tcp_callbacks callbacks = {
    .on_accept =
        [](tcp::tcp_stack&, tcp::tcp_conn c, void* listener_user, void** user) {
            relay_of(listener_user)->on_accept_conn(c, user);
            return *user != nullptr;
        },
    .on_established =
        [](tcp::tcp_stack&, tcp::tcp_conn, void* u) {
            auto* k = static_cast<relay::conn*>(u);
            k->r->on_established(*k);
        },
    .on_data =
        [](tcp::tcp_stack&, tcp::tcp_conn, void* u) {
            auto* k = static_cast<relay::conn*>(u);
            k->r->on_data(*k);
        },
    .on_peer_fin =
        [](tcp::tcp_stack& s, tcp::tcp_conn c, void* u) {
            auto* k = static_cast<relay::conn*>(u);
            k->closing = true;
            tcp::tcp_close(s, c);
        },
    .on_writable =
        [](tcp::tcp_stack&, tcp::tcp_conn, void* u) {
            auto* k = static_cast<relay::conn*>(u);
            k->r->on_writable(*k);
        },
    .on_closed =
        [](tcp::tcp_stack&, tcp::tcp_conn, void* u, tcp::tcp_cause why) {
            auto* k = static_cast<relay::conn*>(u);
            k->r->on_closed(*k, why);
        },
};

}  // namespace

relay::relay(tcp::tcp_stack& s, const relay_params& p) : s_(s), p_(p) {
    // What an empty timed interval reads: the cheapest of back-to-back TSC
    // reads (a pair costs about a tenth of a 256 B body's scan).
    uint64_t best = UINT64_MAX;
    for (int i = 0; i < 256; ++i) {
        const uint64_t a = rte_rdtsc();
        const uint64_t b = rte_rdtsc();
        best = std::min(best, b - a);
    }
    tsc_read_cycles_ = best;
}

void relay::scan_time(uint64_t t0) noexcept {
    const uint64_t d = rte_rdtsc() - t0;
    cnt.scan_cycles += d > tsc_read_cycles_ ? d - tsc_read_cycles_ : 0;
}

size_t relay::idle_session_bytes() noexcept {
    return sizeof(session) + 2 * sizeof(conn) + 2 * sizeof(tcp::tcb);
}

size_t relay::pool_bytes() const noexcept {
    return sessions_.size() * sizeof(session) + conns_.size() * sizeof(conn) +
           pending_.size() * sizeof(pending);
}

std::unique_ptr<relay> relay::create(tcp::tcp_stack& s, const relay_params& p) {
    if (p.events != nullptr && rte_ring_get_prod_sync_type(p.events) != RTE_RING_SYNC_ST) {
        return nullptr;  // event_slot reserves in place: one producer only
    }
    std::unique_ptr<relay> r(new relay(s, p));
    r->conns_.reserve(p.max_conns);
    r->push_list_.reserve(p.max_conns);
    r->batch_.reserve(std::max(p.max_batched_scans, 1u));
    // A connection is listed once per flush (catch_up_due); twice only if
    // its slot was freed and reused within one poll.
    r->catch_up_list_.reserve(2 * static_cast<size_t>(p.max_conns));
    r->gather_ = std::make_unique<char[]>(scan_gather_bytes);
    for (uint32_t i = 0; i < p.max_conns; ++i) {
        auto k = std::make_unique<conn>();
        k->r = r.get();
        k->index = i;
        k->p = parser(p.parse);
        r->conns_.push_back(std::move(k));
        r->free_conns_.push_back(p.max_conns - 1 - i);
    }
    for (uint32_t i = 0; i < p.max_sessions; ++i) {
        r->sessions_.push_back(std::make_unique<session>());
    }
    // encode_tid has 24 bits for the index.
    const uint32_t max_pending = std::min(p.max_pending, pending_index_limit);
    r->pending_.resize(max_pending);
    r->pending_used_.assign((max_pending + 63) / 64, 0);
    for (uint32_t i = 0; i < max_pending; ++i) {
        r->free_pending_.push_back(max_pending - 1 - i);
    }
    r->next_nonce_ = static_cast<uint32_t>(rte_rand());
    char ip[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &p.media_ip_be, ip, sizeof(ip));
    const std::string prefix =
        "msrp://" + std::string(ip) + ":" + std::to_string(p.port_first) + "/";
    r->uri_prefix_len_ = static_cast<uint8_t>(prefix.size());
    std::memcpy(r->uri_prefix_.data(), prefix.data(), prefix.size());
    if (!s.listen_range(p.media_ip_be, p.port_first, p.port_last, &callbacks, r.get())) {
        return nullptr;
    }
    return r;
}

relay::~relay() {
    if (p_.events != nullptr) {
        events_publish();
    }
    for (auto& k : conns_) {
        rte_pktmbuf_free(k->outq);
        k->outq = nullptr;
        rte_pktmbuf_free(k->side);
        k->side = nullptr;
        for (auto& m : k->msgs) {
            m.scan.abort();
        }
    }
}

relay::conn* relay::alloc_conn() noexcept {
    if (free_conns_.empty()) {
        ++cnt.conns_full;
        return nullptr;
    }
    conn& k = *conns_[free_conns_.back()];
    free_conns_.pop_back();
    k.in_use = true;
    k.p = parser(p_.parse);
    k.session = UINT32_MAX;
    k.closing = k.paused = k.framing_lost = k.opened = false;
    k.users = 0;
    k.peer_ip_be = 0;
    k.peer_port = 0;
    k.waiters = k.next_waiter = UINT32_MAX;
    k.mode = conn::fwd::none;
    k.out_len = 0;
    k.out_seq = 0;
    k.hold_seq = UINT64_MAX;
    k.catch_up_due = false;
    k.chunk_from = UINT32_MAX;
    ++k.gen;
    k.push_due = false;
    k.cur_msg = -1;
    for (auto& m : k.msgs) {
        m.in_use = false;
    }
    return &k;
}

void relay::free_conn(conn& k, platform::leg_close_cause why) noexcept {
    // Every session leg still on this connection loses it (one when not
    // shared): told to the sigplane.
    for (uint32_t i = 0; k.users != 0 && i < sessions_.size(); ++i) {
        session& s = *sessions_[i];
        for (int l = 0; s.in_use && l < 2; ++l) {
            if (s.legs[l].conn == k.index) {
                leg_event(s, l, platform::media_event_kind::leg_closed, why);
                s.legs[l].conn = UINT32_MAX;
                --k.users;
            }
        }
    }
    if (k.cur_msg >= 0) {
        // What this connection's message in progress queued unscanned on
        // the far side never leaves (it would only between deliveries).
        const conn::message& m = k.msgs[static_cast<size_t>(k.cur_msg)];
        if (m.deferred && m.body_seen && conns_[m.out_conn]->in_use &&
            conns_[m.out_conn]->gen == m.out_gen && m.out_conn != k.index) {
            cut_queued(*conns_[m.out_conn], m.out_from, m.body_to, {});
            rehold(*conns_[m.out_conn]);
            schedule_push(*conns_[m.out_conn]);  // what was held behind it may go
        }
    }
    if (k.interrupted && k.mode == conn::fwd::relay) {
        resume(k);  // so that the far side's copy can be ended
    }
    k.interrupted = false;
    if (k.mode == conn::fwd::relay && k.to_conn != UINT32_MAX && conns_[k.to_conn]->in_use &&
        conns_[k.to_conn]->chunk_from == k.index) {
        // The far side's copy of the chunk this connection was sending ends
        // here, aborted, and what waited behind it follows.
        conn& out = *conns_[k.to_conn];
        text end;
        abort_line(end, k.had_body, std::string_view(k.out_tid.data(), k.out_tid_len));
        out_bytes(out, end.view());
        close_chunk(out);
        schedule_push(out);  // now, not when something else comes to be sent there
        ++cnt.chunks_aborted;
        if (k.in_send) {
            message_event(k, platform::message_verdict::cut_off, 0);
        }
    }
    if (k.chunk_from != UINT32_MAX) {
        // The connection relaying a chunk onto this one: the rest of it goes
        // nowhere (this slot may be another connection's before it comes).
        conn& j = *conns_[k.chunk_from];
        if (j.in_use && j.mode == conn::fwd::relay && j.to_conn == k.index) {
            j.mode = conn::fwd::drop;
            if (j.in_send) {
                message_event(j, platform::message_verdict::cut_off, 0);
            }
        }
    }
    k.mode = conn::fwd::none;
    for (auto& m : k.msgs) {
        m.scan.abort();
        m.in_use = false;
    }
    k.cur_msg = -1;
    rte_pktmbuf_free(k.side);
    k.side = k.side_last = nullptr;
    k.side_len = 0;
    k.chunk_from = UINT32_MAX;
    rte_pktmbuf_free(k.outq);
    k.outq = k.outq_last = nullptr;
    k.out_len = 0;
    k.users = 0;
    k.in_use = false;
    k.tc = tcp::tcp_conn{};
    free_conns_.push_back(k.index);
    ++cnt.conns_closed;
    resume_waiters(k);  // nothing will drain here any more: let them read (and fail over)
}

void relay::on_accept_conn(tcp::tcp_conn c, void** user) noexcept {
    conn* k = alloc_conn();
    if (k == nullptr) {
        *user = nullptr;
        return;
    }
    k->tc = c;
    ++cnt.conns_accepted;
    *user = k;
}

void relay::on_established(conn& k) noexcept {
    // An active connection: bind it at the far end for every session leg
    // waiting on it with a bodiless SEND each (RFC 4975 7.1.1), then
    // whatever waited. Their 200s match no relayed transaction: counted as
    // stray, ignored.
    if (k.users != 0) {
        text m;
        for (auto& sp : sessions_) {
            session& s = *sp;
            for (int l = 0; s.in_use && l < 2; ++l) {
                if (s.legs[l].conn == k.index) {
                    leg_event(s, l, platform::media_event_kind::leg_connected, {});
                    bind_send(m, s, l);
                }
            }
        }
        rte_mbuf* saved = k.outq;
        rte_mbuf* saved_last = k.outq_last;
        const uint32_t saved_len = k.out_len;
        const uint64_t saved_seq = k.out_seq;
        k.outq = k.outq_last = nullptr;
        k.out_len = 0;
        out_bytes(k, m.view());
        k.out_seq = saved_seq;  // put before the queue: what is queued keeps its place
        if (saved != nullptr) {
            if (k.outq == nullptr) {
                k.outq = saved;
                k.outq_last = saved_last;
            } else {
                k.outq_last->next = saved;
                k.outq->nb_segs = static_cast<uint16_t>(k.outq->nb_segs + saved->nb_segs);
                k.outq->pkt_len += saved->pkt_len;
                saved->pkt_len = saved->data_len;
                k.outq_last = saved_last;
            }
            k.out_len += saved_len;
        }
    }
    push_out(k);
}

void relay::bind_send(text& m, const session& s, int leg) const noexcept {
    std::array<char, 12> tid{};
    random_chars(tid.data(), tid.size());
    const std::string_view t(tid.data(), tid.size());
    m << "MSRP " << t << " SEND\r\n" << s.legs[leg].paths_view() << "-------" << t << "$\r\n";
}

void relay::bind_leg(session& s, int leg, conn& k) noexcept {
    auto& l = s.legs[leg];
    if (l.conn == k.index) {
        return;
    }
    unbind_leg(s, leg);
    l.conn = k.index;
    ++k.users;
}

void relay::unbind_leg(session& s, int leg) noexcept {
    auto& l = s.legs[leg];
    if (l.conn != UINT32_MAX) {
        --conns_[l.conn]->users;
        l.conn = UINT32_MAX;
    }
}

relay::session* relay::session_by_id(uint32_t id) noexcept {
    for (auto& s : sessions_) {
        if (s->in_use && s->id == id) {
            return s.get();
        }
    }
    return nullptr;
}

uint32_t relay::find_session(std::string_view sid, int& leg) noexcept {
    if (sid.size() != session_id_chars) {
        return UINT32_MAX;
    }
    for (uint32_t i = 0; i < sessions_.size(); ++i) {
        const session& s = *sessions_[i];
        if (!s.in_use) {
            continue;
        }
        for (int l = 0; l < 2; ++l) {
            if (s.legs[l].sid_view() == sid) {
                leg = l;
                return i;
            }
        }
    }
    return UINT32_MAX;
}

std::string relay::local_uri(const session& s, int leg) const {
    return std::string(s.legs[leg].local_view());
}

bool relay::create_session(session_info& out) noexcept {
    for (uint32_t i = 0; i < sessions_.size(); ++i) {
        session& s = *sessions_[i];
        if (s.in_use) {
            continue;
        }
        s = session{};
        s.index = i;
        s.in_use = true;
        s.id = (next_id_++ - 1) * std::max(p_.lcores, 1u) + p_.lcore_index + 1;
        for (auto& l : s.legs) {
            random_chars(l.sid.data(), l.sid.size());
            l.set_paths({}, std::string_view(uri_prefix_.data(), uri_prefix_len_));
        }
        ++cnt.sessions_created;
        out.id = s.id;
        out.local_uri = {local_uri(s, 0), local_uri(s, 1)};
        return true;
    }
    ++cnt.sessions_full;
    return false;
}

bool relay::set_remote(uint32_t id, int leg, std::string_view path, bool active) noexcept {
    session* s = session_by_id(id);
    if (s == nullptr || leg < 0 || leg > 1 || path.empty() || path.size() > max_path_bytes) {
        return false;
    }
    auto& l = s->legs[leg];
    l.set_paths(path, std::string_view(uri_prefix_.data(), uri_prefix_len_));
    l.active = active;
    if (active && l.conn == UINT32_MAX) {
        connect_leg(*s, leg);
    }
    return true;
}

void relay::connect_leg(session& s, int leg) noexcept {
    auto& l = s.legs[leg];
    std::string_view rest = l.path_view();
    const std::string_view next_hop = next_uri(rest);
    uint32_t ip = 0;
    uint16_t port = 0;
    if (!authority(next_hop, ip, port)) {
        return;
    }
    // RFC 4975 7.1.1 / 9: a connection imsd opened to the same next hop
    // (the authority of the path's first URI) carries this session too.
    for (auto& c : conns_) {
        if (c->in_use && c->opened && !c->closing && c->peer_ip_be == ip && c->peer_port == port) {
            bind_leg(s, leg, *c);
            ++cnt.conns_shared;
            const tcp::tcp_state st = tcp::tcp_state_of(s_, c->tc);
            if (st == tcp::tcp_state::established) {
                leg_event(s, leg, platform::media_event_kind::leg_connected, {});
                text m;
                bind_send(m, s, leg);
                out_bytes(*c, m.view());
                push_out(*c);
            }
            return;
        }
    }
    conn* k = alloc_conn();
    if (k == nullptr) {
        return;
    }
    k->opened = true;
    k->peer_ip_be = ip;
    k->peer_port = port;
    k->session = s.index;
    k->leg = static_cast<uint8_t>(leg);
    k->tc = tcp::tcp_connect(s_, p_.port_index, p_.media_ip_be, ip, htons(port), &callbacks, k);
    if (!k->tc.valid()) {
        free_conn(*k, platform::leg_close_cause::refused);
        return;
    }
    bind_leg(s, leg, *k);
    ++cnt.conns_opened;
}

bool relay::set_report_leg(uint32_t id, int leg) noexcept {
    session* s = session_by_id(id);
    if (s == nullptr || leg < -1 || leg > 1) {
        return false;
    }
    s->report_leg = static_cast<int8_t>(leg);
    return true;
}

bool relay::set_media_policy(uint32_t id, std::string_view types, std::string_view wrapped,
                             uint64_t max_size) noexcept {
    session* s = session_by_id(id);
    if (s == nullptr || types.size() > s->accept_types.size() ||
        wrapped.size() > s->wrapped_types.size()) {
        return false;
    }
    std::memcpy(s->accept_types.data(), types.data(), types.size());
    s->accept_types_len = static_cast<uint16_t>(types.size());
    std::memcpy(s->wrapped_types.data(), wrapped.data(), wrapped.size());
    s->wrapped_types_len = static_cast<uint16_t>(wrapped.size());
    s->max_size = max_size;
    return true;
}

bool relay::release(uint32_t id) noexcept {
    session* s = session_by_id(id);
    if (s == nullptr) {
        return false;
    }
    for (int leg = 0; leg < 2; ++leg) {
        const uint32_t c = s->legs[leg].conn;
        if (c == UINT32_MAX) {
            continue;
        }
        conn& k = *conns_[c];
        leg_event(*s, leg, platform::media_event_kind::leg_closed,
                  platform::leg_close_cause::released);
        unbind_leg(*s, leg);
        if (k.users != 0) {
            // Shared: it stays for the sessions still on it.
            if (k.session == s->index) {
                k.session = UINT32_MAX;  // the next request names its own
            }
            continue;
        }
        k.session = UINT32_MAX;
        close_conn(k);
    }
    platform::media_event ev;
    ev.kind = platform::media_event_kind::session_end;
    ev.session = s->id;
    ev.bytes = s->legs[0].bytes_in;
    ev.count = s->legs[0].messages_in;
    ev.set_b(s->legs[1].bytes_in, s->legs[1].messages_in);
    emit(ev);
    s->in_use = false;
    ++cnt.sessions_released;
    return true;
}

void relay::close_conn(conn& k) noexcept {
    // FIN after what is queued: push what fits now; the rest is dropped if
    // the window never opens (TCP's retry limit ends the connection).
    flush_scans();
    push_out(k);
    k.closing = true;
    tcp::tcp_close(s_, k.tc);
}

void relay::list(std::vector<session_info>& out) const {
    for (const auto& s : sessions_) {
        if (!s->in_use) {
            continue;
        }
        session_info i;
        i.id = s->id;
        i.lcore = p_.lcore_index;
        for (int l = 0; l < 2; ++l) {
            i.local_uri[l] = local_uri(*s, l);
            i.remote_path[l] = std::string(s->legs[l].path_view());
            i.connected[l] = s->legs[l].conn != UINT32_MAX;
            i.messages_in[l] = s->legs[l].messages_in;
            i.bytes_in[l] = s->legs[l].bytes_in;
        }
        i.report_leg = s->report_leg;
        i.reports = s->reports;
        i.last_distribution = s->last_distribution;
        i.accept_types = std::string(s->accept_view());
        i.wrapped_types = std::string(s->wrapped_view());
        i.max_size = s->max_size;
        out.push_back(std::move(i));
    }
}

// --- output -------------------------------------------------------------------------------

rte_mbuf* relay::out_alloc() noexcept {
    // What the relay writes comes from its own pool where it has one: those
    // buffers are written here and read by this lcore's TCP output only (it
    // copies them, mark_copy_out), so their lines stay in this core's cache.
    // The shared pool's also go to the port, where another agent (the memif
    // server, a NIC) writes or reads them, and a write here then fetches the
    // line back first (memif 256 B, zero-copy: see docs/design/msrp.md).
    rte_mbuf* m = p_.out_pool != nullptr ? rte_pktmbuf_alloc(p_.out_pool) : nullptr;
    if (m == nullptr && p_.out_pool != nullptr) {
        ++cnt.out_shared_allocs;
    }
    if (m == nullptr) {
        m = rte_pktmbuf_alloc(s_.net.pool);
    }
    if (m != nullptr) {
        tcp::mark_copy_out(m);  // written here, read by TCP output at once
    }
    return m;
}

bool relay::out_bytes(conn& k, std::string_view b) noexcept {
    while (!b.empty()) {
        rte_mbuf* last = k.outq_last;
        if (last == nullptr || !RTE_MBUF_DIRECT(last) || rte_pktmbuf_tailroom(last) == 0 ||
            rte_mbuf_refcnt_read(last) != 1) {
            rte_mbuf* m = out_alloc();
            if (m == nullptr) {
                ++s_.net.cnt.mbuf_alloc_failed;
                return false;
            }
            if (k.outq == nullptr) {
                k.outq = m;
            } else {
                k.outq_last->next = m;
                ++k.outq->nb_segs;
            }
            k.outq_last = last = m;
        }
        const uint32_t n =
            std::min<uint32_t>(static_cast<uint32_t>(b.size()), rte_pktmbuf_tailroom(last));
        std::memcpy(rte_pktmbuf_mtod_offset(last, char*, last->data_len), b.data(), n);
        last->data_len = static_cast<uint16_t>(last->data_len + n);
        k.outq->pkt_len += n;
        k.out_len += n;
        k.out_seq += n;
        b.remove_prefix(n);
    }
    return true;
}

void relay::out_fresh(conn& k) noexcept {
    rte_mbuf* m = out_alloc();
    if (m == nullptr) {
        return;  // out_bytes splits the piece then
    }
    if (k.outq == nullptr) {
        k.outq = m;
    } else {
        k.outq_last->next = m;
        ++k.outq->nb_segs;
    }
    k.outq_last = m;
}

template <class Fill>
bool relay::out_exact(conn& k, size_t n, Fill&& fill) noexcept {
    // In place at the tail of the queue's last mbuf where it fits (one copy,
    // not two: bench_dp_msrp_relay 256 B, the text buffer's copies were 6%
    // of the relay's instructions), else through a text buffer and
    // out_bytes, which spreads it over as many mbufs as it needs.
    rte_mbuf* last = k.outq_last;
    if (last != nullptr && RTE_MBUF_DIRECT(last) && rte_pktmbuf_tailroom(last) >= n &&
        rte_mbuf_refcnt_read(last) == 1) {
        char* at = rte_pktmbuf_mtod_offset(last, char*, last->data_len);
        writer w{at};
        fill(w);
        RTE_ASSERT(static_cast<size_t>(w.p - at) == n);
        last->data_len = static_cast<uint16_t>(last->data_len + n);
        k.outq->pkt_len += static_cast<uint32_t>(n);
        k.out_len += static_cast<uint32_t>(n);
        k.out_seq += n;
        return true;
    }
    text t;
    if (n > t.buf.size()) {
        return false;  // not reached: callers' texts are bounded well below
    }
    writer w{t.buf.data()};
    fill(w);
    t.n = n;
    return out_bytes(k, t.view());
}

bool relay::out_slice(conn& k, rte_mbuf* seg, uint32_t off, uint32_t len) noexcept {
    rte_mbuf* mi = s_.net.clone_pool != nullptr ? rte_pktmbuf_alloc(s_.net.clone_pool) : nullptr;
    if (mi == nullptr) {
        return out_bytes(k, std::string_view(rte_pktmbuf_mtod_offset(seg, const char*, off), len));
    }
    rte_pktmbuf_attach(mi, seg);
    mi->data_off = static_cast<uint16_t>(seg->data_off + off);
    mi->data_len = static_cast<uint16_t>(len);
    mi->pkt_len = len;
    // seg came from tcp_recv, which noted its sum: TCP output reuses it.
    net::data_sum_derive(mi, seg);
    if (k.outq == nullptr) {
        k.outq = mi;
    } else {
        k.outq_last->next = mi;
        ++k.outq->nb_segs;
        k.outq->pkt_len += len;
    }
    k.outq_last = mi;
    k.out_len += len;
    k.out_seq += len;
    return true;
}

void relay::push_out(conn& k) noexcept {
    if (!k.in_use || k.outq == nullptr) {
        return;
    }
    const tcp::tcp_state st = tcp::tcp_state_of(s_, k.tc);
    if (st != tcp::tcp_state::established && st != tcp::tcp_state::close_wait) {
        return;  // not yet (an active leg connecting): on_established pushes
    }
    // Whole segments from the head, as many as the send space takes, none
    // reaching what awaits its scan.
    uint32_t space = tcp::tcp_send_space(s_, k.tc);
    if (k.hold_seq != UINT64_MAX) {
        const uint64_t head_seq = k.out_seq - k.out_len;
        space = static_cast<uint32_t>(
            std::min<uint64_t>(space, k.hold_seq > head_seq ? k.hold_seq - head_seq : 0));
    }
    uint32_t take = 0;
    uint16_t segs = 0;
    rte_mbuf* cut = nullptr;  // the last segment taken
    for (rte_mbuf* m = k.outq; m != nullptr && take + m->data_len <= space; m = m->next) {
        take += m->data_len;
        ++segs;
        cut = m;
    }
    if (cut == nullptr) {
        s_.at(k.tc).want_writable = true;  // nothing fits yet: on_writable when it does
        return;
    }
    rte_mbuf* head = k.outq;
    rte_mbuf* rest = cut->next;
    if (rest != nullptr) {
        rest->nb_segs = static_cast<uint16_t>(head->nb_segs - segs);
        rest->pkt_len = head->pkt_len - take;
    }
    cut->next = nullptr;
    head->nb_segs = segs;
    head->pkt_len = take;
    k.outq = rest;
    if (rest == nullptr) {
        k.outq_last = nullptr;
    }
    k.out_len -= take;
    if (!tcp::tcp_send(s_, k.tc, head)) {
        rte_pktmbuf_free(head);  // cannot happen: the space was checked
    }
    tcp::tcp_flush(s_, k.tc);
    if (k.outq != nullptr) {
        s_.at(k.tc).want_writable = true;
    }
}

void relay::schedule_push(conn& k) noexcept {
    if (!k.push_due) {
        k.push_due = true;
        push_list_.push_back(k.index);  // reserved for every connection: never grows
    }
}

void relay::push_scheduled() noexcept {
    // What the poll's input relayed leaves now, together: the messages of
    // a burst fill segments instead of taking one each.
    for (const uint32_t i : push_list_) {
        conn& k = *conns_[i];
        if (k.push_due) {
            k.push_due = false;
            push_out(k);
        }
    }
    push_list_.clear();
}

void relay::respond(conn& k, std::string_view tid, uint16_t status,
                    std::string_view comment) noexcept {
    if (k.session == UINT32_MAX) {
        return;  // no paths to answer with (the caller counted why)
    }
    respond(k, k.session, k.leg, tid, status, comment);
}

bool relay::sender_alive(const pending& pd) const noexcept {
    // The connection the request came on is still up and its session is the
    // same one (its slot not reused); on a shared connection the session
    // need not be the connection's latest.
    return pd.from_conn != UINT32_MAX && conns_[pd.from_conn]->in_use &&
           sessions_[pd.session]->in_use && sessions_[pd.session]->id == pd.session_id;
}

bool relay::on_own_session(const conn& k, std::string_view to_path) const noexcept {
    if (k.session == UINT32_MAX || !sessions_[k.session]->in_use) {
        return false;
    }
    const std::string_view mine = sessions_[k.session]->legs[k.leg].local_view();
    return to_path.starts_with(mine) &&
           (to_path.size() == mine.size() || to_path[mine.size()] == ' ' ||
            to_path[mine.size()] == '\t');
}

void relay::respond(conn& k, uint32_t session_index, uint8_t leg, std::string_view tid,
                    uint16_t status, std::string_view comment) noexcept {
    // RFC 4975 7.2: To-Path is the sender (the leg's peer), From-Path us.
    const session& s = *sessions_[session_index];
    const std::string_view paths = s.legs[leg].paths_view();
    const status3 code(status);
    // "MSRP " tid SP code [SP comment] CRLF paths "-------" tid "$" CRLF
    const size_t sp = comment.empty() ? 0 : 1;
    const size_t n =
        5 + tid.size() + 4 + sp + comment.size() + 2 + paths.size() + 7 + tid.size() + 3;
    own_message(k, [&] {
        out_exact(k, n, [&](writer& w) {
            w << "MSRP " << tid << ' ' << code.view();
            if (sp != 0) {
                w << ' ' << comment;
            }
            w << "\r\n" << paths << "-------" << tid << "$\r\n";
        });
    });
    schedule_push(k);
}

template <class Write>
void relay::own_message(conn& k, Write&& write) noexcept {
    if (k.chunk_from == UINT32_MAX) [[likely]] {
        write();
        return;
    }
    // A chunk is open on k's queue: the message goes to the side queue,
    // written by the same code (the queues swapped for the while).
    std::swap(k.outq, k.side);
    std::swap(k.outq_last, k.side_last);
    std::swap(k.out_len, k.side_len);
    const uint64_t seq = k.out_seq;
    write();
    k.out_seq = seq;
    std::swap(k.outq, k.side);
    std::swap(k.outq_last, k.side_last);
    std::swap(k.out_len, k.side_len);
}

void relay::close_chunk(conn& o) noexcept {
    o.chunk_from = UINT32_MAX;
    if (o.side == nullptr) {
        return;
    }
    if (o.outq == nullptr) {
        o.outq = o.side;
    } else {
        o.outq_last->next = o.side;
        o.outq->nb_segs = static_cast<uint16_t>(o.outq->nb_segs + o.side->nb_segs);
        o.outq->pkt_len += o.side->pkt_len;
        o.side->pkt_len = o.side->data_len;
        o.side->nb_segs = 1;
    }
    o.outq_last = o.side_last;
    o.out_len += o.side_len;
    o.out_seq += o.side_len;
    o.side = o.side_last = nullptr;
    o.side_len = 0;
    schedule_push(o);
}

// --- input --------------------------------------------------------------------------------

void relay::on_data(conn& k) noexcept {
    if (!k.in_use) {
        return;
    }
    // Flow control: while the other leg's queue is over its bound, leave
    // the data in TCP (its window closes) until on_writable there.
    if (k.session != UINT32_MAX) {
        const session& s = *sessions_[k.session];
        const uint32_t other = s.legs[k.leg ^ 1].conn;
        if (other != UINT32_MAX &&
            conns_[other]->out_len + conns_[other]->side_len > p_.out_limit_bytes) {
            if (!k.paused) {
                ++cnt.flow_paused;
                k.paused = true;
                k.next_waiter = conns_[other]->waiters;
                conns_[other]->waiters = k.index;
            }
            return;
        }
    }
    k.paused = false;
    rte_mbuf* m = tcp::tcp_recv(s_, k.tc);
    if (m == nullptr) {
        return;
    }
    for (rte_mbuf* seg = m; seg != nullptr && k.in_use; seg = seg->next) {
        k.cur_seg = seg;
        if (!k.p.feed(std::string_view(rte_pktmbuf_mtod(seg, const char*), seg->data_len), k)) {
            break;
        }
    }
    k.cur_seg = nullptr;
    if (k.head_here && k.in_use) [[unlikely]] {
        keep_head(k);  // while the bytes its views point into are alive
    }
    rte_pktmbuf_free(m);  // relayed slices hold their own references
    if (k.in_use) {
        tcp::tcp_flush(s_, k.tc);  // the window update
        if (k.p.failed()) {
            ++cnt.framing_errors;
            k.framing_lost = true;
            tcp::tcp_abort(s_, k.tc);
        }
    }
}

void relay::on_writable(conn& k) noexcept {
    push_out(k);
    resume_waiters(k);
}

void relay::resume_waiters(conn& k) noexcept {
    if (k.out_len + k.side_len > p_.out_limit_bytes) {
        return;
    }
    // Resume reading whoever waited for this queue to drain.
    uint32_t w = k.waiters;
    k.waiters = UINT32_MAX;
    while (w != UINT32_MAX) {
        conn& r = *conns_[w];
        w = r.next_waiter;
        r.next_waiter = UINT32_MAX;
        if (r.in_use && r.paused) {
            r.paused = false;
            on_data(r);
        }
    }
}

void relay::on_closed(conn& k, tcp::tcp_cause why) noexcept {
    if (!k.in_use) {
        return;
    }
    {
        using platform::leg_close_cause;
        leg_close_cause c = leg_close_cause::closed;
        switch (why) {
            case tcp::tcp_cause::closed:
                break;
            case tcp::tcp_cause::reset_by_peer:
                c = leg_close_cause::reset;
                break;
            case tcp::tcp_cause::refused:
                c = leg_close_cause::refused;
                break;
            case tcp::tcp_cause::timed_out:
                c = leg_close_cause::timed_out;
                break;
            case tcp::tcp_cause::aborted:
                c = k.framing_lost ? leg_close_cause::framing : leg_close_cause::closed;
                break;
            case tcp::tcp_cause::shutdown:
                c = leg_close_cause::shutdown;
                break;
        }
        free_conn(k, c);
    }
}

void relay::on_head(conn& k, const head& h) noexcept {
    k.mode = conn::fwd::drop;
    k.had_body = h.has_body;
    k.interrupted = false;
    k.cont_ready = false;
    if (!h.request) {
        // A response to a request we relayed: back to its sender, found by
        // the pending index and nonce in our transaction id (encode_tid).
        uint32_t idx = 0, nonce = 0;
        if (!decode_tid(h.tid, idx, nonce) || idx >= pending_.size() || !pending_[idx].in_use ||
            pending_[idx].nonce != nonce) {
            ++cnt.stray_responses;
            return;
        }
        pending& pd = pending_[idx];
        pd.in_use = false;
        pending_freed(idx);
        free_pending_.push_back(idx);
        if (pd.swallow) {
            return;  // the far side's answer to a chunk imsd aborted
        }
        if (pd.partial && h.status == 200) {
            return;  // RFC 4975 5.3: the sender asked for failures only
        }
        if (sender_alive(pd)) {
            ++cnt.responses_relayed;
            respond(*conns_[pd.from_conn], pd.session, pd.from_leg,
                    std::string_view(pd.tid.data(), pd.tid_len), h.status,
                    h.comment.substr(0, max_comment_bytes));
        }
        return;
    }
    // A request names its session by the first URI of To-Path (RFC 4975
    // 7.3.1): the connection's own session on the fast path; else looked
    // up (a new connection binds; a shared one carries another session's
    // request); none: 481.
    const std::string_view to_path = h.find(hdr_id::to_path).value_or("");
    if (!on_own_session(k, to_path)) {
        std::string_view rest = to_path;
        const std::string_view first = next_uri(rest);
        const std::string_view sid = session_part(first);
        int leg = 0;
        const uint32_t found = find_session(sid, leg);
        if (found == UINT32_MAX) {
            ++cnt.unknown_session;
            if (h.kind != method::report) {
                // 481 with paths taken from the request itself.
                text m;
                m << "MSRP " << h.tid
                  << " 481 No such session\r\nTo-Path: " << h.find(hdr_id::from_path).value_or("")
                  << "\r\nFrom-Path: " << first << "\r\n-------" << h.tid << "$\r\n";
                own_message(k, [&] { out_bytes(k, m.view()); });
                schedule_push(k);
            }
            return;
        }
        // The newest connection of a leg carries what goes to it; one
        // connection may carry several sessions (shared).
        const bool binds = sessions_[found]->legs[leg].conn != k.index;
        k.session = found;
        k.leg = static_cast<uint8_t>(leg);
        bind_leg(*sessions_[found], leg, k);
        if (binds) {
            ++cnt.conns_bound;
            leg_event(*sessions_[found], leg, platform::media_event_kind::leg_connected, {});
        }
    }
    const std::optional<std::string_view> message_id = h.find(hdr_id::message_id);
    const std::string_view mid = message_id.value_or("");
    if (h.kind == method::send && !h.has_body && !message_id) {
        // A bodiless SEND that only binds the connection (RFC 4975 7.1.1).
        respond(k, h.tid, 200, "OK");
        return;
    }
    if (h.kind == method::other) {
        ++cnt.unknown_method;
        respond(k, h.tid, 501, "Unknown method");
        return;
    }
    session& s = *sessions_[k.session];
    // OMA IM 6.1.1.2.2: a REPORT coming back towards the served client.
    if (h.kind == method::report && s.report_leg >= 0 && k.leg != s.report_leg) {
        if (const auto dc = h.find(hdr_id::distribution_count)) {
            uint64_t n = 0;
            if (std::from_chars(dc->data(), dc->data() + dc->size(), n).ec == std::errc{}) {
                ++s.reports;
                s.last_distribution = n;
                ++cnt.distribution_reports;
                cnt.distribution_count_total += n;
                platform::media_event ev;
                ev.kind = platform::media_event_kind::distribution;
                ev.session = s.id;
                ev.leg = k.leg;
                ev.count = n;
                ev.mid_len = static_cast<uint8_t>(std::min(mid.size(), ev.message_id.size()));
                std::memcpy(ev.message_id.data(), mid.data(), ev.mid_len);
                emit(ev);
            } else {
                ++cnt.parse_errors;
            }
        }
        if (s.take_consumed(mid)) {
            ++cnt.reports_consumed;  // imsd asked for it, not the client
            return;
        }
    }
    auto& from = s.legs[k.leg];
    ++from.messages_in;
    const int other_leg = k.leg ^ 1;
    auto& to = s.legs[other_leg];
    if (to.conn == UINT32_MAX) {
        if (to.active && to.path_len != 0) {
            connect_leg(s, other_leg);
        }
        if (to.conn == UINT32_MAX) {
            // The far side has not connected: nothing to relay to.
            if (h.kind == method::send) {
                respond(k, h.tid, 481, "Far side not connected");
            }
            return;
        }
    }
    conn& out = *conns_[to.conn];
    const std::optional<std::string_view> failure_report = h.find(hdr_id::failure_report);
    const bool wants_response = h.kind == method::send && failure_report.value_or("yes") != "no";
    // copy_small for these: GCC made the variable-length memcpy a
    // `rep movsq`, whose start-up was 11% of on_head's samples (perf
    // annotate, bench_dp_msrp_relay 256 B).
    k.in_tid_len = static_cast<uint8_t>(std::min(h.tid.size(), k.in_tid.size()));
    copy_small(k.in_tid.data(), h.tid.data(), k.in_tid_len);
    k.in_wants_response = wants_response;
    k.in_wants_report = failure_report.has_value() && *failure_report != "no";
    k.in_send = h.kind == method::send;
    k.in_chunk_bytes = 0;
    {
        const std::string_view range = h.find(hdr_id::byte_range).value_or("1-*/*");
        k.in_mid_len = static_cast<uint8_t>(std::min(mid.size(), k.in_mid.size()));
        copy_small(k.in_mid.data(), mid.data(), k.in_mid_len);
        k.in_range_len = static_cast<uint8_t>(std::min(range.size(), k.in_range.size()));
        copy_small(k.in_range.data(), range.data(), k.in_range_len);
        byte_range br;
        const bool br_ok = parse_byte_range(range, br);
        k.in_start = br_ok ? br.start : 1;
        k.in_total = br_ok && br.total ? *br.total : 0;
    }
    k.out_pending = UINT32_MAX;
    k.cur_msg = -1;
    if (h.kind == method::send && h.has_body && !admit(k, s, h)) {
        return;  // refused by the content policy, answered
    }
    // Our transaction id: where the response finds the sender.
    std::array<char, 16> tid{};
    size_t tid_len = 0;
    if (wants_response && !free_pending_.empty()) {
        const uint32_t idx = free_pending_.back();
        free_pending_.pop_back();
        pending& pd = pending_[idx];
        pd.in_use = true;
        pd.swallow = false;
        pd.partial = failure_report.value_or("") == "partial";
        k.out_pending = idx;
        // A Weyl sequence (odd step): a reused entry's nonce repeats only
        // after 2^24 requests, so a late response to its last use is stray.
        next_nonce_ += 0x9e3779b1u;
        pd.nonce = next_nonce_ & 0xffffff;
        pd.from_conn = k.index;
        pd.session = k.session;
        pd.session_id = s.id;
        pd.from_leg = k.leg;
        pd.tid_len = static_cast<uint8_t>(h.tid.size());
        copy_small(pd.tid.data(), h.tid.data(), h.tid.size());
        pending_taken(idx);
        pd.deadline_tsc = response_deadline();  // renewed while the chunk streams, and at its end
        encode_tid(tid.data(), idx, pd.nonce);
        tid_len = our_tid_chars;
    } else {
        if (wants_response) {
            ++cnt.pending_full;
        }
        // No response awaited: 'n' and a sequence number, which
        // decode_tid never takes for a pending entry.
        next_nonce_ += 0x9e3779b1u;
        encode_tid(tid.data(), next_nonce_ >> 8, next_nonce_);
        tid[0] = 'n';
        tid_len = our_tid_chars;
    }
    std::memcpy(k.out_tid.data(), tid.data(), tid_len);
    k.out_tid_len = static_cast<uint8_t>(tid_len);
    k.to_conn = out.index;
    k.to_gen = out.gen;
    k.mode = conn::fwd::relay;
    if (out.chunk_from != UINT32_MAX && out.chunk_from != k.index) [[unlikely]] {
        interrupt(out);  // another connection's chunk is open there (shared)
    }
    out.chunk_from = k.index;  // until its end-line (on_end, refuse)
    // The rewritten start line and paths, then every other header as it came.
    const std::string_view our_tid(tid.data(), tid_len);
    const bool ask_count = h.kind == method::send && s.report_leg == k.leg;
    k.ask_count = ask_count;
    // Kept at the delivery's end if its chunk is open then (keep_head), where
    // another session's request may come onto the same queue: a connection
    // carrying several session legs. (Two connections of one leg, rare,
    // are not: such a chunk, if cut off, is refused; interrupt_refused.)
    k.head_here = out.users > 1;
    // The parser put To-Path and From-Path first. Where no later header is
    // one of them again or is to be rewritten, the rest go on as one block
    // (bench_dp_msrp_relay 256 B: four copies per header were 10% of the
    // relay's instructions).
    bool verbatim = !ask_count;
    for (uint16_t i = 2; i < h.n_headers && verbatim; ++i) {
        verbatim = h.headers[i].id != hdr_id::to_path && h.headers[i].id != hdr_id::from_path;
    }
    if (verbatim) {
        const std::string_view paths = to.paths_view(), rest = h.lines_from(2);
        const std::string_view blank = h.has_body ? "\r\n" : "";
        const size_t n = 5 + our_tid.size() + 1 + h.method_name.size() + 2 + paths.size() +
                         rest.size() + blank.size();
        out_exact(out, n, [&](writer& w) {
            w << "MSRP " << our_tid << ' ' << h.method_name << "\r\n" << paths << rest << blank;
        });
        if (h.kind == method::report) {
            ++cnt.reports_relayed;
        } else {
            ++cnt.requests_relayed;
        }
        return;
    }
    text hdr;
    hdr << "MSRP " << our_tid << ' ' << h.method_name << "\r\n" << to.paths_view();
    bool asked = false;
    for (uint16_t i = 0; i < h.n_headers; ++i) {
        const auto& hd = h.headers[i];
        if (hd.id == hdr_id::to_path || hd.id == hdr_id::from_path) {
            continue;  // rewritten above
        }
        if (ask_count && hd.id == hdr_id::success_report) {
            // The client's "yes" gains the parameter; its "no" becomes our
            // request (the REPORT is then ours to consume).
            if (hd.value != "yes") {
                s.add_consumed(mid);
            }
            hdr << "Success-Report: yes;Include-Sent-Count\r\n";
            asked = true;
            continue;
        }
        hdr << hd.name << ": " << hd.value << "\r\n";
    }
    if (ask_count && !asked) {
        s.add_consumed(mid);
        hdr << "Success-Report: yes;Include-Sent-Count\r\n";
    }
    cnt.sent_count_requests += ask_count ? 1 : 0;
    if (h.has_body) {
        hdr << "\r\n";
    }
    out_bytes(out, hdr.view());
    if (h.kind == method::report) {
        ++cnt.reports_relayed;
    } else {
        ++cnt.requests_relayed;
    }
}

void relay::keep_head(conn& k) noexcept {
    k.head_here = false;
    if (k.mode != conn::fwd::relay || k.to_conn == UINT32_MAX ||
        conns_[k.to_conn]->chunk_from != k.index) {
        return;  // its chunk ended in the delivery it began in: the common case
    }
    // RFC 4975 7.1: every chunk of a message carries its Message-ID and
    // Byte-Range, a body its Content-Type. The lines go on as relayed;
    // Byte-Range is written anew by resume().
    const head& h = k.p.last_head();
    size_t n = 0;
    bool fits = true;
    const auto put = [&](std::string_view line) {
        if (n + line.size() > k.cont.size()) {
            fits = false;
            return;
        }
        std::memcpy(k.cont.data() + n, line.data(), line.size());
        n += line.size();
    };
    constexpr std::string_view asked_line = "Success-Report: yes;Include-Sent-Count\r\n";
    bool asked = false;
    for (uint16_t i = 0; i < h.n_headers && fits; ++i) {
        const header& hd = h.headers[i];
        if (hd.id == hdr_id::to_path || hd.id == hdr_id::from_path || hd.id == hdr_id::byte_range) {
            continue;
        }
        if (k.ask_count && hd.id == hdr_id::success_report) {
            put(asked_line);
            asked = true;
            continue;
        }
        put(std::string_view(hd.name.data(), hd.line_bytes));
    }
    if (k.ask_count && !asked) {
        // Last, where on_head put it.
        put(asked_line);
    }
    k.cont_len = static_cast<uint16_t>(n);
    k.cont_ready = fits;
}

void relay::interrupt(conn& o) noexcept {
    conn& j = *conns_[o.chunk_from];
    if (!j.in_use || j.mode != conn::fwd::relay || j.to_conn != o.index) {
        close_chunk(o);  // whoever left it open has gone (free_conn ends it)
        return;
    }
    // What it queued unscanned is judged first: if blocked it is ended '#'
    // there (catch_up), and nothing is left to resume.
    if (j.cur_msg >= 0 && j.msgs[static_cast<size_t>(j.cur_msg)].deferred && !catch_up(j, true)) {
        if (o.chunk_from == j.index) {
            close_chunk(o);
        }
        return;
    }
    const std::string_view tid(j.out_tid.data(), j.out_tid_len);
    // Only a chunk with a body can be open here: the parser hands on a
    // bodiless request's head together with its end-line (on_line).
    if (!j.cont_ready) {
        ++cnt.interrupt_refused;
        refuse(j, 403, "Chunk could not be interrupted");  // ends it '#' there
        if (o.chunk_from == j.index) {
            close_chunk(o);
        }
        return;
    }
    out_exact(o, 9 + tid.size() + 3, [&](writer& w) { w << "\r\n-------" << tid << "+\r\n"; });
    close_chunk(o);
    schedule_push(o);
    j.interrupted = true;
    j.cont_next = j.in_start + j.in_chunk_bytes;
    ++cnt.chunks_interrupted;
    // The rest goes as a new transaction. The far side's answer to the
    // part cut off is dropped (it may come before the rest is sent); the
    // sender has its answer from the last part. With no entry free the
    // first part's answer is the sender's, and the rest awaits none.
    std::array<char, 16> t{};
    if (j.out_pending != UINT32_MAX && pending_[j.out_pending].in_use && !free_pending_.empty()) {
        const uint32_t idx = free_pending_.back();
        free_pending_.pop_back();
        pending& old = pending_[j.out_pending];
        pending& pd = pending_[idx];
        pd = old;
        pending_taken(idx);
        old.swallow = true;
        next_nonce_ += 0x9e3779b1u;
        pd.nonce = next_nonce_ & 0xffffff;
        j.out_pending = idx;
        encode_tid(t.data(), idx, pd.nonce);
    } else {
        next_nonce_ += 0x9e3779b1u;
        encode_tid(t.data(), next_nonce_ >> 8, next_nonce_);
        t[0] = 'n';
    }
    std::memcpy(j.out_tid.data(), t.data(), our_tid_chars);
    j.out_tid_len = static_cast<uint8_t>(our_tid_chars);
}

void relay::resume(conn& k) noexcept {
    k.interrupted = false;
    if (k.to_conn == UINT32_MAX || !conns_[k.to_conn]->in_use ||
        conns_[k.to_conn]->gen != k.to_gen || k.session == UINT32_MAX) {
        k.mode = conn::fwd::drop;  // the far side went: the rest goes nowhere
        return;
    }
    conn& out = *conns_[k.to_conn];
    if (out.chunk_from != UINT32_MAX && out.chunk_from != k.index) {
        interrupt(out);  // the request that cut this one off is still open itself
    }
    // RFC 4975 7.1: the rest of the chunk, from the next byte, under the
    // same Message-ID and headers. A chunk cut off after its last byte goes
    // on with an empty body (Byte-Range n-(n-1), as an empty message's 1-0).
    const session& s = *sessions_[k.session];
    const auto br = parse_byte_range(std::string_view(k.in_range.data(), k.in_range_len));
    text h;
    h << "MSRP " << std::string_view(k.out_tid.data(), k.out_tid_len)
      << (k.in_send ? " SEND\r\n" : " REPORT\r\n") << s.legs[k.leg ^ 1].paths_view()
      << "Byte-Range: " << k.cont_next << '-';
    if (br && br->end && *br->end + 1 >= k.cont_next) {
        h << *br->end;
    } else {
        h << '*';
    }
    h << '/';
    if (br && br->total) {
        h << *br->total;
    } else {
        h << '*';
    }
    h << "\r\n" << std::string_view(k.cont.data(), k.cont_len) << "\r\n";
    out_bytes(out, h.view());
    out.chunk_from = k.index;
    schedule_push(out);
}

void relay::on_body(conn& k, std::string_view b, bool copied) noexcept {
    if (k.mode != conn::fwd::relay || b.empty()) {
        return;
    }
    conn& out = *conns_[k.to_conn];
    if (!out.in_use) {
        return;
    }
    k.in_chunk_bytes += b.size();
    if (k.cur_msg >= 0) {
        // Content policy: every byte is checked before any of it goes out.
        conn::message& m = k.msgs[static_cast<size_t>(k.cur_msg)];
        m.bytes += b.size();
        if (m.max_size != 0 && m.bytes > m.max_size) {
            if (m.deferred && !catch_up(k, false)) {
                return;  // what came before was blocked: that is the answer
            }
            ++cnt.size_refused;
            refuse(k, 413, "Message too large");
            return;
        }
        if (m.cpim && !m.cpim_r.done()) {
            m.cpim_r.feed(b);
            if (m.cpim_r.failed() ||
                (m.cpim_r.done() && !type_allowed(k, m.cpim_r.content_type(), true))) {
                ++cnt.type_refused;
                refuse(k, 415,
                       m.cpim_r.failed() ? "CPIM headers unreadable"
                                         : "Content type not accepted (in CPIM)");
                return;
            }
        }
        if (m.scan.is_open()) {
            const uint64_t t0 = rte_rdtsc();
            const bool pass = m.scan.feed(b);
            scan_time(t0);
            cnt.scan_bytes += b.size();
            if (!pass) {
                ++cnt.policy_blocked;
                refuse(k, 403, "Content blocked by policy");
                return;
            }
        }
    }
    cnt.body_bytes_relayed += b.size();
    if (k.session != UINT32_MAX) {
        sessions_[k.session]->legs[k.leg].bytes_in += b.size();
    }
    if (k.interrupted) [[unlikely]] {
        resume(k);  // cut off by another request on a shared connection
        if (k.mode != conn::fwd::relay) {
            return;
        }
    }
    // A policed chunk's piece is queued unscanned and held there until its
    // scan (the batch at the poll's end, or catch_up).
    conn::message* held = k.cur_msg >= 0 && k.msgs[static_cast<size_t>(k.cur_msg)].deferred
                              ? &k.msgs[static_cast<size_t>(k.cur_msg)]
                              : nullptr;
    if (held != nullptr && held->body_seen && held->body_to != out.out_seq && !catch_up(k, true)) {
        return;  // something else was queued after its last piece: scanned up to there
    }
    const uint64_t at = out.out_seq;
    rte_mbuf* const last = out.outq_last;  // where the piece may start (its tailroom)
    const uint16_t last_len = last != nullptr ? last->data_len : 0;
    // A short piece is copied: TCP would copy it into its segment anyway.
    if (copied || k.cur_seg == nullptr || b.size() < tcp::zc_min_bytes) {
        if (held != nullptr && last != nullptr && RTE_MBUF_DIRECT(last) &&
            rte_pktmbuf_tailroom(last) < b.size() && rte_pktmbuf_tailroom(last) != 0) {
            // Whole in a fresh mbuf rather than split over two: its scan
            // is then one call, not two (bench_dp_msrp_relay policy runs).
            out_fresh(out);
        }
        out_bytes(out, b);
    } else {
        const char* base = rte_pktmbuf_mtod(k.cur_seg, const char*);
        out_slice(out, k.cur_seg, static_cast<uint32_t>(b.data() - base),
                  static_cast<uint32_t>(b.size()));
    }
    // It leaves at the poll's end even if the chunk's end is polls away (a
    // chunk larger than out-limit-bytes would otherwise wait for itself).
    schedule_push(out);
    if (held != nullptr) {
        hold_piece(k, out, at, last, last_len);
    }
}

void relay::hold_piece(conn& k, conn& out, uint64_t at, rte_mbuf* last,
                       uint16_t last_len) noexcept {
    conn::message& m = k.msgs[static_cast<size_t>(k.cur_msg)];
    if (!m.body_seen) {
        m.body_seen = true;
        m.out_conn = out.index;
        m.out_gen = out.gen;
        m.out_from = at;
        // The mbuf holding its first byte: `last` (then last_len long) if
        // the piece began in its tailroom, else the one after it. It stays
        // queued while held.
        m.from_at = last != nullptr && last->data_len > last_len
                        ? queue_place{last, at - last_len, out.cuts}
                        : queue_place{last != nullptr ? last->next : out.outq, at, out.cuts};
        out.hold_seq = std::min(out.hold_seq, at);
        if (!k.catch_up_due) {
            // Scanned at the flush as far as it came, if its chunk has not
            // ended by then (else it is batched whole at its end).
            k.catch_up_due = true;
            catch_up_list_.push_back({k.index, k.gen});
        }
    }
    m.body_to = out.out_seq;
}

void relay::on_end(conn& k, char flag) noexcept {
    if (k.interrupted && k.mode == conn::fwd::relay) [[unlikely]] {
        resume(k);  // the rest of an interrupted chunk: at least its end-line
    }
    bool batched = false;  // a whole chunk queued unscanned: scanned with the poll's batch
    if (k.cur_msg >= 0 && k.msgs[static_cast<size_t>(k.cur_msg)].deferred) {
        conn::message& m = k.msgs[static_cast<size_t>(k.cur_msg)];
        if (flag == '$' && k.mode == conn::fwd::relay && !m.scan.is_open()) {
            batched = true;  // whole since its head, unscanned: into the batch
        } else {
            // '+' or '#', or begun in an earlier poll: scanned now; a later
            // chunk goes on with the stream. Refused: answered and its far
            // side's copy aborted (mode drop).
            catch_up(k, false);
        }
    }
    if (!batched && k.cur_msg >= 0 && k.mode == conn::fwd::relay && flag == '$') {
        // The whole message is in: rules that need its end, and a CPIM
        // payload whose headers never ended.
        conn::message& m = k.msgs[static_cast<size_t>(k.cur_msg)];
        if (m.cpim && !m.cpim_r.done()) {
            ++cnt.type_refused;
            refuse(k, 415, "CPIM headers unreadable");
        } else if (m.scan.is_open()) {
            const uint64_t t0 = rte_rdtsc();
            const bool pass = m.scan.finish();
            scan_time(t0);
            if (!pass) {
                ++cnt.policy_blocked;
                refuse(k, 403, "Content blocked by policy");
            }
        }
    }
    uint64_t batch_from = UINT64_MAX;  // where its body starts on the far side's queue
    queue_place batch_at;
    if (batched) {
        const conn::message& m = k.msgs[static_cast<size_t>(k.cur_msg)];
        batch_from = m.body_seen ? m.out_from : UINT64_MAX;
        batch_at = m.body_seen ? m.from_at : queue_place{};
    }
    if (k.cur_msg >= 0 && flag != '+') {
        end_message(k);  // '$' or '#': the message is over (a refused one too)
    }
    k.cur_msg = -1;
    k.head_here = false;  // its chunk is over: nothing to keep for a resume
    if (k.mode == conn::fwd::relay && conns_[k.to_conn]->in_use) {
        conn& out = *conns_[k.to_conn];
        const std::string_view dashes = k.had_body ? "\r\n-------" : "-------";
        const std::string_view tid(k.out_tid.data(), k.out_tid_len);
        const uint64_t body_to = out.out_seq;
        out_exact(out, dashes.size() + tid.size() + 3,
                  [&](writer& w) { w << dashes << tid << flag << "\r\n"; });
        const uint64_t end_seq = out.out_seq;  // what waited on the side comes after
        if (k.out_pending != UINT32_MAX && pending_[k.out_pending].in_use &&
            pending_[k.out_pending].from_conn == k.index) {
            // RFC 4975 7.3: the request has been sent; its response is
            // awaited from now (not from its head: a chunk may stream longer).
            pending_[k.out_pending].deadline_tsc = response_deadline();
        }
        close_chunk(out);
        schedule_push(out);
        cnt.chunks_aborted += flag == '#' ? 1 : 0;
        if (batched) {
            batch_chunk(k, out, batch_from == UINT64_MAX ? body_to : batch_from, body_to, batch_at,
                        end_seq);
        } else if (k.in_send && flag != '+') {
            message_event(k,
                          flag == '$' ? platform::message_verdict::relayed
                                      : platform::message_verdict::aborted,
                          0);
        }
    }
    k.mode = conn::fwd::none;
}

void relay::on_error(conn& k, const error& e) noexcept {
    if (e.fatal) {
        return;  // on_data closes the connection
    }
    ++cnt.parse_errors;
    if (!e.tid.empty()) {
        respond(k, e.tid, e.status, e.reason);
    }
    k.mode = conn::fwd::drop;
}

// --- content policy -----------------------------------------------------------------------

bool relay::type_allowed(const conn& k, std::string_view type, bool wrapped) const noexcept {
    if (policy != nullptr && !policy::type_accepted(type, policy->lim().accept_types)) {
        return false;
    }
    if (k.session == UINT32_MAX) {
        return true;
    }
    const session& s = *sessions_[k.session];
    const std::string_view list =
        wrapped && s.wrapped_types_len != 0 ? s.wrapped_view() : s.accept_view();
    return policy::type_accepted(type, list);
}

bool relay::admit(conn& k, session& s, const head& h) noexcept {
    // A later chunk of a message already being policed continues its scan.
    const std::string_view mid(k.in_mid.data(), k.in_mid_len);
    for (size_t i = 0; i < k.msgs.size(); ++i) {
        if (k.msgs[i].in_use && k.msgs[i].mid_view() == mid) {
            k.cur_msg = static_cast<int8_t>(i);
            if (k.msgs[i].blocked) {
                refuse(k, 403, "Message refused by policy");
                return false;
            }
            return true;
        }
    }
    // RFC 4975 8.6: what the session's SDP and the settings accept.
    const std::string_view ctype = h.find(hdr_id::content_type).value_or("");
    if (!type_allowed(k, ctype, false)) {
        ++cnt.type_refused;
        refuse(k, 415, "Content type not accepted");
        return false;
    }
    const uint64_t set_max = policy != nullptr ? policy->lim().max_size_bytes : 0;
    const uint64_t max = set_max == 0      ? s.max_size
                         : s.max_size == 0 ? set_max
                                           : std::min(set_max, s.max_size);
    const uint64_t total = k.in_total;
    if (max != 0 && total > max) {
        ++cnt.size_refused;
        refuse(k, 413, "Message too large");
        return false;
    }
    const bool rules = policy != nullptr && policy->has_rules();
    // A CPIM payload is opened only where some list applies to what it wraps.
    const bool cpim = ((policy != nullptr && !policy->lim().accept_types.empty()) ||
                       s.accept_types_len != 0 || s.wrapped_types_len != 0) &&
                      policy::is_cpim(ctype);
    if (!rules && !cpim && max == 0) {
        return true;  // nothing to hold this message to past its head
    }
    // A slot: a free one, else one whose message was refused.
    int8_t idx = -1;
    for (size_t i = 0; i < k.msgs.size() && idx < 0; ++i) {
        idx = k.msgs[i].in_use ? idx : static_cast<int8_t>(i);
    }
    for (size_t i = 0; i < k.msgs.size() && idx < 0; ++i) {
        idx = k.msgs[i].blocked ? static_cast<int8_t>(i) : idx;
    }
    if (idx < 0) {
        ++cnt.interleave_refused;
        refuse(k, 403, "Too many interleaved messages");
        return false;
    }
    conn::message& m = k.msgs[static_cast<size_t>(idx)];
    m.scan.abort();
    m.in_use = true;
    m.blocked = false;
    m.cpim = cpim;
    // Scanned after queueing, with the poll's other whole chunks, unless a
    // CPIM payload's inner headers must be read in order as it comes.
    m.deferred = rules && !cpim;
    m.body_seen = false;
    m.cpim_r = policy::cpim_reader{};
    m.bytes = k.in_start - 1;
    m.max_size = max;
    m.mid_len = k.in_mid_len;
    std::memcpy(m.mid.data(), k.in_mid.data(), k.in_mid_len);
    k.cur_msg = idx;
    if (m.deferred) {
        return true;  // its stream opens where its scan runs
    }
    const uint64_t t0 = rte_rdtsc();
    const bool opened = !rules || m.scan.open(*policy, p_.lcore_index);
    if (rules) {
        scan_time(t0);
    }
    if (!opened) {
        ++cnt.scan_no_memory;
        refuse(k, 403, "Content scan unavailable");
        return false;
    }
    return true;
}

void relay::refuse(conn& k, uint16_t status, const char* comment, bool end_queued) noexcept {
    bool recorded = false;  // a later chunk of a message already refused
    bool by_rule = false;   // a content rule blocked it (else a 403 is for want of room)
    uint32_t rule = 0;
    if (k.cur_msg >= 0) {
        conn::message& m = k.msgs[static_cast<size_t>(k.cur_msg)];
        recorded = m.blocked;
        m.blocked = true;  // its later chunks are refused too
        m.scan.abort();
        by_rule = m.scan.verdict().blocked;
        rule = by_rule ? m.scan.rule_id() : 0;
    }
    if (!recorded) {
        message_event(k,
                      status == 415   ? platform::message_verdict::type_refused
                      : status == 413 ? platform::message_verdict::size_refused
                      : by_rule       ? platform::message_verdict::blocked
                                      : platform::message_verdict::refused,
                      rule);
    }
    if (k.mode == conn::fwd::relay) {
        // The far side's copy of the chunk ends here, aborted (RFC 4975 7.1.1
        // '#'): it never sees the bytes that were refused.
        conn& out = *conns_[k.to_conn];
        if (k.interrupted && !end_queued) {
            resume(k);  // the far side has its first part: the rest is aborted
        }
        if (k.mode == conn::fwd::relay && out.in_use && !end_queued) {
            text end;
            abort_line(end, k.had_body, std::string_view(k.out_tid.data(), k.out_tid_len));
            out_bytes(out, end.view());
            schedule_push(out);
            ++cnt.chunks_aborted;
        }
        if (out.in_use && out.chunk_from == k.index) {
            close_chunk(out);
        }
        if (k.out_pending != UINT32_MAX) {
            pending_[k.out_pending].swallow = true;
        }
    }
    if (k.in_wants_response) {
        respond(k, k.in_tid_view(), status, comment);  // RFC 4975 7.3: before the chunk ends
    }
    if (k.in_wants_report) {
        failure_report(k, status, comment);
    }
    k.mode = conn::fwd::drop;
}

void relay::failure_report(conn& k, uint16_t status, const char* comment) noexcept {
    if (k.session == UINT32_MAX) {
        return;
    }
    failure_report(k, k.session, k.leg, std::string_view(k.in_mid.data(), k.in_mid_len),
                   std::string_view(k.in_range.data(), k.in_range_len), status, comment);
}

void relay::failure_report(conn& k, uint32_t session_index, uint8_t leg, std::string_view mid,
                           std::string_view range, uint16_t status, const char* comment) noexcept {
    // RFC 4975 7.1.2: a REPORT with the failure, towards the sender, for the
    // chunk that failed.
    if (mid.empty()) {
        return;
    }
    const session& s = *sessions_[session_index];
    std::array<char, 12> tid{};
    random_chars(tid.data(), tid.size());
    const std::string_view t(tid.data(), tid.size());
    text m;
    m << "MSRP " << t << " REPORT\r\n"
      << s.legs[leg].paths_view() << "Message-ID: " << mid << "\r\nByte-Range: " << range
      << "\r\nStatus: 000 " << uint32_t{status} << ' ' << std::string_view(comment) << "\r\n-------"
      << t << "$\r\n";
    own_message(k, [&] { out_bytes(k, m.view()); });
    schedule_push(k);
    ++cnt.failure_reports;
}

void relay::end_message(conn& k) noexcept {
    conn::message& m = k.msgs[static_cast<size_t>(k.cur_msg)];
    m.scan.abort();     // still open only when the sender aborted it ('#')
    if (!m.deferred) {  // a batched chunk's verdict is counted by flush_scans
        cnt.policy_allowed += m.scan.verdict().allowed ? 1 : 0;
        cnt.policy_counted += m.scan.verdict().counted;
    }
    m.in_use = false;
    m.blocked = false;
    m.deferred = false;
}

// --- scanning after queueing ----------------------------------------------------------------
//
// A chunk whose head, body and end-line come in one delivery is queued for
// the far side unscanned, held there (hold_seq), and scanned at the end of
// the poll with the other such chunks, one after another: between two
// chunks' scans the relay otherwise runs TCP, the parser and its own code,
// and Hyperscan finds its tables and code gone from the caches
// (bench_dp_msrp_relay BM_relay_policy_100_literals/256: a chunk scanned
// first in its poll cost 748 cycles, the others 575, raw Hyperscan 380).
// A chunk still open when its delivery ends is scanned then (catch_up) and
// piece by piece after that, as before. A blocked chunk is cut out of the
// queue and its far side's copy ends there with '#', as if it had been
// stopped before it was queued.

void relay::batch_chunk(conn& k, conn& out, uint64_t body_from, uint64_t body_to,
                        const queue_place& at, uint64_t end_seq) noexcept {
    batched_scan& b = batch_.emplace_back();
    b.ps = policy;
    b.in_conn = k.index;
    b.in_gen = k.gen;
    b.out_conn = out.index;
    b.out_gen = out.gen;
    b.session = k.session;
    b.session_id = k.session != UINT32_MAX ? sessions_[k.session]->id : 0;
    b.leg = k.leg;
    b.wants_response = k.in_wants_response;
    b.wants_report = k.in_wants_report;
    b.out_pending = k.out_pending;
    b.body_from = body_from;
    b.body_to = body_to;
    b.from_at = at;
    b.end_seq = end_seq;
    b.msg_bytes = k.in_start - 1 + k.in_chunk_bytes;
    b.send = k.in_send;
    b.tid_len = k.in_tid_len;
    std::memcpy(b.tid.data(), k.in_tid.data(), k.in_tid_len);
    b.out_tid_len = k.out_tid_len;
    std::memcpy(b.out_tid.data(), k.out_tid.data(), k.out_tid_len);
    b.mid_len = k.in_mid_len;
    std::memcpy(b.mid.data(), k.in_mid.data(), k.in_mid_len);
    b.range_len = k.in_range_len;
    std::memcpy(b.range.data(), k.in_range.data(), k.in_range_len);
    out.hold_seq = std::min(out.hold_seq, body_from);
    if (batch_.size() >= std::max(p_.max_batched_scans, 1u)) {
        // Full: scanned now, this one with them (its places move with any
        // cut in the flush only while it is in the batch).
        flush_scans();
    }
}

bool relay::catch_up(conn& k, bool stay_deferred) noexcept {
    conn::message& m = k.msgs[static_cast<size_t>(k.cur_msg)];
    if (!m.deferred) {
        return true;
    }
    m.deferred = stay_deferred;  // else from here on scanned as it comes
    conn* o = m.body_seen && conns_[m.out_conn]->in_use && conns_[m.out_conn]->gen == m.out_gen
                  ? conns_[m.out_conn].get()
                  : nullptr;
    const uint64_t from = m.out_from, to = m.body_to;
    m.body_seen = false;  // what was queued is scanned now; the next piece starts anew
    const uint64_t t0 = rte_rdtsc();
    const bool opened = m.scan.is_open() || (policy != nullptr && policy->has_rules() &&
                                             m.scan.open(*policy, p_.lcore_index));
    bool pass = opened;
    if (opened && o != nullptr) {
        pass = scan_queued(*o, from, to, m.scan, &m.from_at);
        cnt.scan_bytes += to - from;
    }
    scan_time(t0);
    cursor_.conn = UINT32_MAX;  // the queue may move before the next flush
    if (pass) {
        if (o != nullptr) {
            rehold(*o);
        }
        return true;
    }
    m.deferred = false;
    bool ended = false;
    if (o != nullptr && k.mode == conn::fwd::relay) {
        // None of it leaves: the far side's copy ends where it began,
        // aborted, whatever was queued after it.
        text end;
        abort_line(end, true, std::string_view(k.out_tid.data(), k.out_tid_len));
        cut_queued(*o, from, to, end.view());
        schedule_push(*o);
        ++cnt.chunks_aborted;
        ended = true;
    }
    if (o != nullptr) {
        rehold(*o);
    }
    if (opened) {
        ++cnt.policy_blocked;
        refuse(k, 403, "Content blocked by policy", ended);
    } else {
        ++cnt.scan_no_memory;
        refuse(k, 403, "Content scan unavailable", ended);
    }
    return false;
}

const char* relay::queued_in_one(conn& o, uint64_t from, uint64_t to,
                                 const queue_place* hint) noexcept {
    // Where the body was queued (noted then; good unless a cut moved the
    // mbufs), if it lies wholly in that mbuf.
    if (hint == nullptr || hint->m == nullptr || hint->cuts != o.cuts || hint->m_seq > from ||
        to - hint->m_seq > hint->m->data_len) {
        return nullptr;
    }
    cursor_ = {o.index, o.gen, hint->m, hint->m_seq};
    return rte_pktmbuf_mtod_offset(hint->m, const char*, from - hint->m_seq);
}

template <class Piece>
bool relay::for_each_queued(conn& o, uint64_t from, uint64_t to, const queue_place* hint,
                            Piece&& piece) noexcept {
    // From where the chunk's body was queued (noted then; good unless a
    // cut moved the mbufs), or where the last call on this queue stopped
    // (the batch's chunks lie in order), or else the head.
    rte_mbuf* m = o.outq;
    uint64_t m_seq = o.out_seq - o.out_len;  // the place of m's first byte
    if (hint != nullptr && hint->m != nullptr && hint->cuts == o.cuts && hint->m_seq <= from) {
        m = hint->m;
        m_seq = hint->m_seq;
    } else if (cursor_.conn == o.index && cursor_.gen == o.gen && cursor_.m_seq <= from) {
        m = cursor_.m;
        m_seq = cursor_.m_seq;
    }
    while (m != nullptr && m_seq + m->data_len <= from) {
        m_seq += m->data_len;
        m = m->next;
    }
    bool go_on = true;
    while (m != nullptr && m_seq < to && go_on) {
        const uint64_t a = std::max(from, m_seq);
        const uint64_t e = std::min<uint64_t>(to, m_seq + m->data_len);
        go_on = piece(rte_pktmbuf_mtod_offset(m, const char*, a - m_seq),
                      static_cast<size_t>(e - a), e == to || m->next == nullptr);
        if (e < m_seq + m->data_len) {
            break;  // `to` is inside m: the next chunk may start there
        }
        m_seq += m->data_len;
        m = m->next;
    }
    cursor_ = {o.index, o.gen, m, m_seq};
    if (m == nullptr) {
        cursor_.conn = UINT32_MAX;
    }
    return go_on;
}

const char* relay::queued_contiguous(conn& o, uint64_t from, uint64_t to,
                                     const queue_place* hint) noexcept {
    if (const char* body = queued_in_one(o, from, to, hint)) [[likely]] {
        return body;
    }
    if (to - from > scan_gather_bytes) {
        return nullptr;
    }
    size_t held = 0;
    for_each_queued(o, from, to, hint, [&](const char* bytes, size_t n, bool) {
        std::memcpy(gather_.get() + held, bytes, n);
        held += n;
        return true;
    });
    // Not all queued cannot happen (the batch holds it until scanned).
    return held == to - from ? gather_.get() : nullptr;
}

bool relay::scan_queued(conn& o, uint64_t from, uint64_t to, policy::message_scan& scan,
                        const queue_place* hint) noexcept {
    if (const char* body = queued_in_one(o, from, to, hint)) [[likely]] {
        // A short chunk, the batch's common case: one call, no walk
        // (callgrind on bench_dp_msrp_relay BM_relay_policy_100_literals/
        // 256/32: 45 instructions a chunk fewer).
        return scan.feed(std::string_view(body, static_cast<size_t>(to - from)));
    }
    // Pieces wholly in one mbuf go to the scan as they lie; a range over
    // several mbufs is gathered into gather_ and scanned a window at a
    // time (fewer calls; see gather_).
    size_t held = 0;  // bytes in gather_ not yet scanned
    bool pass = for_each_queued(o, from, to, hint, [&](const char* bytes, size_t n, bool last) {
        if (held == 0 && last) {
            return scan.feed(std::string_view(bytes, n));
        }
        while (n > 0) {
            const size_t take = std::min(n, scan_gather_bytes - held);
            std::memcpy(gather_.get() + held, bytes, take);
            held += take;
            bytes += take;
            n -= take;
            if (held == scan_gather_bytes) {
                held = 0;
                if (!scan.feed(std::string_view(gather_.get(), scan_gather_bytes))) {
                    return false;
                }
            }
        }
        return true;
    });
    if (held > 0 && pass) {
        pass = scan.feed(std::string_view(gather_.get(), held));
    }
    return pass;
}

void relay::cut_queued(conn& o, uint64_t from, uint64_t end, std::string_view with) noexcept {
    cursor_.conn = UINT32_MAX;  // the mbufs move
    ++o.cuts;
    const uint64_t head_seq = o.out_seq - o.out_len;
    if (from < head_seq || end < from || end > o.out_seq) {
        return;  // not queued here (cannot happen: held until now)
    }
    // Find x, the mbuf holding `from`, and p, the one before it.
    rte_mbuf* p = nullptr;
    rte_mbuf* x = o.outq;
    uint64_t x_seq = head_seq;
    while (x != nullptr && x_seq + x->data_len <= from) {
        x_seq += x->data_len;
        p = x;
        x = x->next;
    }
    const uint64_t old_seq = o.out_seq;
    // Keep the queue up to x; what follows is rebuilt: x's bytes before
    // `from`, then `with`, then everything from `end` on.
    rte_mbuf* old = x;
    if (p != nullptr) {
        p->next = nullptr;
        o.outq_last = p;
    } else {
        o.outq = o.outq_last = nullptr;
    }
    o.out_len = static_cast<uint32_t>(x_seq - head_seq);
    if (x != nullptr && from > x_seq) {
        out_bytes(o, std::string_view(rte_pktmbuf_mtod(x, const char*),
                                      static_cast<size_t>(from - x_seq)));
    }
    out_bytes(o, with);
    // Past `end`: the rest of the mbuf holding it (bytes MSRP text is
    // written in: copied), then the mbufs after it, moved as they are.
    uint64_t m_seq = x_seq;
    rte_mbuf* m = old;
    while (m != nullptr && m_seq + m->data_len <= end) {
        rte_mbuf* next = m->next;
        m_seq += m->data_len;
        m->next = nullptr;
        m->nb_segs = 1;
        rte_pktmbuf_free_seg(m);
        m = next;
    }
    if (m != nullptr && end > m_seq) {
        rte_mbuf* next = m->next;
        out_bytes(o, std::string_view(rte_pktmbuf_mtod_offset(m, const char*, end - m_seq),
                                      static_cast<size_t>(m_seq + m->data_len - end)));
        m->next = nullptr;
        m->nb_segs = 1;
        rte_pktmbuf_free_seg(m);
        m = next;
    }
    if (m != nullptr) {
        if (o.outq == nullptr) {
            o.outq = m;
        } else {
            o.outq_last->next = m;
        }
        for (; m != nullptr; m = m->next) {
            o.out_len += m->data_len;
            o.outq_last = m;
        }
    }
    // The chain's totals, and the places of what stays after the cut.
    if (o.outq != nullptr) {
        uint16_t segs = 0;
        uint32_t len = 0;
        for (rte_mbuf* q = o.outq; q != nullptr; q = q->next) {
            ++segs;
            len += q->data_len;
        }
        o.outq->nb_segs = segs;
        o.outq->pkt_len = len;
    }
    const uint64_t removed = (end - from) - with.size();
    o.out_seq = old_seq - removed;
    for (batched_scan& b : batch_) {
        if (b.out_conn == o.index && b.out_gen == o.gen && b.body_from >= end) {
            b.body_from -= removed;
            b.body_to -= removed;
            b.end_seq -= removed;
        }
    }
    // And chunks still arriving whose unscanned part lies after the cut.
    for (const auto& [idx, gen] : catch_up_list_) {
        conn& k = *conns_[idx];
        if (!k.in_use || k.gen != gen || k.cur_msg < 0) {
            continue;
        }
        conn::message& cm = k.msgs[static_cast<size_t>(k.cur_msg)];
        if (cm.deferred && cm.body_seen && cm.out_conn == o.index && cm.out_gen == o.gen &&
            cm.out_from >= end) {
            cm.out_from -= removed;
            cm.body_to -= removed;
        }
    }
    if (o.hold_seq != UINT64_MAX && o.hold_seq >= end) {
        o.hold_seq -= removed;
    }
}

void relay::rehold(conn& o) noexcept {
    o.hold_seq = UINT64_MAX;
    for (const batched_scan& b : batch_) {
        if (b.out_conn == o.index && b.out_gen == o.gen) {
            o.hold_seq = std::min(o.hold_seq, b.body_from);
        }
    }
    for (const auto& [idx, gen] : catch_up_list_) {
        const conn& k = *conns_[idx];
        if (k.in_use && k.gen == gen && k.cur_msg >= 0) {
            const conn::message& m = k.msgs[static_cast<size_t>(k.cur_msg)];
            if (m.deferred && m.body_seen && m.out_conn == o.index && m.out_gen == o.gen) {
                o.hold_seq = std::min(o.hold_seq, m.out_from);
            }
        }
    }
}

void relay::flush_scans() noexcept {
    if (batch_.empty() && catch_up_list_.empty()) {
        return;  // every poll comes here, most with nothing (nor time) to add
    }
    cursor_.conn = UINT32_MAX;
    // First the scans alone, back to back (one TSC pair for them all, and
    // nothing else's code or data between them), the verdicts noted; then
    // what each verdict asks, in order (a cut moves the places of the
    // chunks after it, which are scanned by then).
    const uint64_t t0 = batch_.empty() ? 0 : rte_rdtsc();
    uint64_t scanned = 0;
    for (batched_scan& b : batch_) {
        conn& o = *conns_[b.out_conn];
        b.gone = !o.in_use || o.gen != b.out_gen || b.ps == nullptr;
        if (b.gone) {
            continue;  // its queue went with its connection
        }
        // A batched chunk's body is the whole message (its message began
        // with it and ends with it): in one mbuf, the common case, or
        // copied together (up to scan_gather_bytes), one block-mode call.
        // Else one stream for the batch, reset between chunks
        // (hs_reset_stream: no stream state taken from the pool and set up
        // per chunk).
        if (b.ps->has_block()) {
            if (const char* body = queued_contiguous(o, b.body_from, b.body_to, &b.from_at)) {
                b.opened = true;
                b.pass = batch_scan_.scan_whole(
                    *b.ps, p_.lcore_index,
                    std::string_view(body, static_cast<size_t>(b.body_to - b.body_from)));
                b.allowed = batch_scan_.verdict().allowed;
                b.counted = batch_scan_.verdict().counted;
                b.rule = b.pass ? 0 : batch_scan_.rule_id();
                scanned += b.body_to - b.body_from;
                ++cnt.scans_block;
                continue;
            }
        }
        b.opened = batch_scan_.is_open() && batch_scan_.set() == b.ps;
        if (b.opened) {
            batch_scan_.restart();
        } else {
            b.opened = batch_scan_.open(*b.ps, p_.lcore_index);
        }
        b.pass = b.opened && scan_queued(o, b.body_from, b.body_to, batch_scan_, &b.from_at) &&
                 batch_scan_.finish_and_reset();
        b.allowed = batch_scan_.verdict().allowed;
        b.counted = batch_scan_.verdict().counted;
        b.rule = b.opened && !b.pass ? batch_scan_.rule_id() : 0;
        scanned += b.opened ? b.body_to - b.body_from : 0;
    }
    if (!batch_.empty()) {
        scan_time(t0);
    }
    cnt.scan_bytes += scanned;
    for (batched_scan& b : batch_) {
        if (b.gone) {
            continue;
        }
        conn& o = *conns_[b.out_conn];
        ++cnt.scans_batched;
        const bool session_alive = b.session != UINT32_MAX && sessions_[b.session]->in_use &&
                                   sessions_[b.session]->id == b.session_id;
        const std::string_view mid(b.mid.data(), b.mid_len);
        if (b.pass) {
            cnt.policy_allowed += b.allowed ? 1 : 0;
            cnt.policy_counted += b.counted;
            if (b.send && session_alive) {
                message_event(b.session, b.leg, b.msg_bytes, mid,
                              platform::message_verdict::relayed, 0);
            }
            continue;
        }
        // Stopped: the far side's copy of the chunk ends after its head,
        // aborted (RFC 4975 7.1.1 '#'), and never holds a byte of the body.
        text end;
        abort_line(end, true, std::string_view(b.out_tid.data(), b.out_tid_len));
        cut_queued(o, b.body_from, b.end_seq, end.view());
        ++cnt.chunks_aborted;
        const char* why = b.opened ? "Content blocked by policy" : "Content scan unavailable";
        ++(b.opened ? cnt.policy_blocked : cnt.scan_no_memory);
        if (b.out_pending != UINT32_MAX && pending_[b.out_pending].in_use) {
            pending_[b.out_pending].swallow = true;
        }
        conn& k = *conns_[b.in_conn];
        if (k.in_use && k.gen == b.in_gen && session_alive) {
            const std::string_view tid(b.tid.data(), b.tid_len);
            if (b.wants_response) {
                respond(k, b.session, b.leg, tid, 403, why);  // RFC 4975 7.3
            }
            if (b.wants_report) {
                failure_report(k, b.session, b.leg, mid,
                               std::string_view(b.range.data(), b.range_len), 403, why);
            }
        }
        if (b.send && session_alive) {
            message_event(b.session, b.leg, b.msg_bytes, mid,
                          b.opened ? platform::message_verdict::blocked
                                   : platform::message_verdict::refused,  // no scan state
                          b.rule);
        }
    }
    for (const batched_scan& b : batch_) {
        conn& o = *conns_[b.out_conn];
        if (o.gen == b.out_gen) {
            o.hold_seq = UINT64_MAX;
        }
    }
    batch_scan_.abort();  // no stream open past the poll (a retired rule set may go)
    batch_.clear();
    cursor_.conn = UINT32_MAX;
    // Messages still arriving: what they queued so far, each with its own
    // stream, which goes on into their next pieces.
    for (size_t i = 0; i < catch_up_list_.size(); ++i) {
        const auto [idx, gen] = catch_up_list_[i];
        conn& k = *conns_[idx];
        if (!k.in_use || k.gen != gen || !k.catch_up_due) {
            continue;
        }
        k.catch_up_due = false;
        if (k.cur_msg >= 0 && k.msgs[static_cast<size_t>(k.cur_msg)].deferred &&
            k.msgs[static_cast<size_t>(k.cur_msg)].body_seen) {
            const uint32_t o = k.msgs[static_cast<size_t>(k.cur_msg)].out_conn;
            catch_up(k, true);
            conns_[o]->hold_seq = UINT64_MAX;
        }
    }
    catch_up_list_.clear();
}

// --- events to the sigplane ---------------------------------------------------------------

void relay::emit(platform::media_event& ev) noexcept {
    if (p_.events == nullptr) {
        return;
    }
    events_publish();  // the message records before it, in order
    ev.lcore = static_cast<uint8_t>(p_.lcore_index);
    if (rte_ring_sp_enqueue_elem(p_.events, &ev, sizeof(ev)) != 0) {
        ++cnt.events_dropped;
        return;
    }
    ++cnt.events_sent;
}

platform::media_event* relay::event_slot() noexcept {
    if (ev_written_ == ev_reserved_) {
        events_publish();
        rte_ring_zc_data zc{};
        ev_reserved_ = rte_ring_enqueue_zc_burst_elem_start(
            p_.events, sizeof(platform::media_event), events_reserved_max, &zc, nullptr);
        ev_zc_ptr1_ = static_cast<platform::media_event*>(zc.ptr1);
        ev_zc_ptr2_ = static_cast<platform::media_event*>(zc.ptr2);
        ev_zc_n1_ = zc.n1;
        if (ev_reserved_ == 0) {
            return nullptr;  // the ring is full
        }
    }
    const uint32_t i = ev_written_++;
    return i < ev_zc_n1_ ? ev_zc_ptr1_ + i : ev_zc_ptr2_ + (i - ev_zc_n1_);
}

void relay::events_publish() noexcept {
    if (ev_reserved_ != 0) {
        // A single producer may publish fewer than it reserved: the rest
        // is given back (DPDK's ST head/tail update).
        rte_ring_enqueue_zc_elem_finish(p_.events, ev_written_);
        ev_reserved_ = ev_written_ = 0;
    }
}

void relay::message_event(const conn& k, platform::message_verdict v, uint32_t rule) noexcept {
    if (k.session == UINT32_MAX) {
        return;
    }
    message_event(k.session, k.leg, k.in_start - 1 + k.in_chunk_bytes,
                  std::string_view(k.in_mid.data(), k.in_mid_len), v, rule);
}

void relay::message_event(uint32_t session_index, uint8_t leg, uint64_t bytes, std::string_view mid,
                          platform::message_verdict v, uint32_t rule) noexcept {
    if (p_.events == nullptr) {
        return;
    }
    // Written in place in the ring, in this poll's reservation (one ring
    // update a poll instead of one a message, no copy through the stack):
    // bench_dp_msrp_relay 256 B, see docs/design/msrp.md (stop 22). Every
    // field is written: the slot holds an older record.
    platform::media_event* ev = event_slot();
    if (ev == nullptr) {
        ++cnt.events_dropped;
        return;
    }
    const auto mid_len = static_cast<uint8_t>(std::min(mid.size(), ev->message_id.size()));
    // The five leading byte fields (and the padding) in one 8-byte store.
    static_assert(offsetof(platform::media_event, kind) == 0 &&
                  offsetof(platform::media_event, leg) == 1 &&
                  offsetof(platform::media_event, cause) == 2 &&
                  offsetof(platform::media_event, verdict) == 3 &&
                  offsetof(platform::media_event, mid_len) == 4 &&
                  offsetof(platform::media_event, lcore) == 5 &&
                  offsetof(platform::media_event, session) == 8 &&
                  std::endian::native == std::endian::little);
    static_assert(net::max_pollers <= 256, "media_event::lcore is a byte");
    const uint64_t lead = uint64_t{static_cast<uint8_t>(platform::media_event_kind::message)} |
                          uint64_t{leg} << 8 |
                          uint64_t{static_cast<uint8_t>(platform::leg_close_cause::closed)} << 16 |
                          uint64_t{static_cast<uint8_t>(v)} << 24 | uint64_t{mid_len} << 32 |
                          uint64_t{static_cast<uint8_t>(p_.lcore_index)} << 40;
    std::memcpy(static_cast<void*>(ev), &lead, sizeof(lead));
    ev->session = sessions_[session_index]->id;
    ev->rule = rule;
    ev->bytes = bytes;
    ev->count = 0;
    ev->message_id.fill(0);
    copy_small(ev->message_id.data(), mid.data(), mid_len);
    ++cnt.events_sent;
}

void relay::leg_event(const session& s, int leg, platform::media_event_kind kind,
                      platform::leg_close_cause cause) noexcept {
    platform::media_event ev;
    ev.kind = kind;
    ev.session = s.id;
    ev.leg = static_cast<uint8_t>(leg);
    ev.cause = cause;
    emit(ev);
}

void relay::poll(uint64_t now_tsc) noexcept {
    flush_scans();  // before anything of this poll's input leaves
    if (now_tsc >= next_scan_tsc_) {
        next_scan_tsc_ = now_tsc + s_.params.tsc_hz / 100;
        expire_pending(now_tsc);
    }
    push_scheduled();
    events_publish();  // this poll's message records, to the sigplane
}

void relay::expire_pending(uint64_t now_tsc) noexcept {
    // RFC 4975 7.3: no response in time: 408 to the sender. The entries in
    // use, every 10 ms; timeouts are tens of seconds.
    for (size_t w = 0; w < pending_used_.size(); ++w) {
        for (uint64_t bits = pending_used_[w]; bits != 0; bits &= bits - 1) {
            const auto idx = static_cast<uint32_t>(64 * w + std::countr_zero(bits));
            expire_one(idx, now_tsc);
        }
    }
}

void relay::expire_one(uint32_t idx, uint64_t now_tsc) noexcept {
    pending& pd = pending_[idx];
    if (!pd.in_use || pd.deadline_tsc > now_tsc) {
        return;
    }
    if (const conn& k = *conns_[pd.from_conn];
        k.in_use && k.mode == conn::fwd::relay && k.out_pending == idx) {
        // Its chunk is still streaming: not yet sent, nothing to await.
        // on_end sets the deadline when it is.
        pd.deadline_tsc = response_deadline();
        return;
    }
    pd.in_use = false;
    pending_freed(idx);
    free_pending_.push_back(idx);
    if (pd.swallow) {
        return;  // a chunk imsd aborted: its sender had its answer
    }
    if (pd.partial) {
        // RFC 4975 5.3: no failure reported: the request got through.
        ++cnt.partial_unanswered;
        return;
    }
    ++cnt.timeouts;
    if (sender_alive(pd)) {
        respond(*conns_[pd.from_conn], pd.session, pd.from_leg,
                std::string_view(pd.tid.data(), pd.tid_len), 408, "Request Timeout");
    }
}

}  // namespace imsd::dp::msrp

#pragma once

// The back-to-back MSRP relay of one lcore (RFC 4975 as an endpoint on each
// leg): a session has two legs, each with imsd's own MSRP URI
// (msrp://<media-addr>:<port>/<session-id>;tcp, the session id 119 random
// bits) and the peer's path. A request arriving on one leg is relayed to the
// other with To-Path and From-Path rewritten to that leg's paths and a new
// transaction id; Message-ID, Byte-Range, Content-Type, every other header
// and the body pass unchanged, the body by reference (indirect mbufs on the
// received buffers, no copy). The far side's response is translated back to
// the sender's transaction (a 403/413/415/481 reaches it); none within the
// response timeout gives the sender 408. REPORTs are relayed, never
// answered. A chunk ending in '#' ends in '#' on the far side too.
//
// Content policy (dataplane/policy): a SEND's body is scanned, as a stream
// across its chunks and segments, before any of it goes out; a block rule
// matching stops the chunk in flight (403 to the sender, the far side's copy
// of the chunk ended with '#', a Failure REPORT where the sender asked).
// A chunk's pieces are queued as they come and scanned at the end of the
// poll, the poll's whole chunks back to back (Hyperscan's tables and code
// stay in the caches between them), a chunk still arriving as far as it
// came; nothing queued from the first unscanned byte on leaves before that,
// and a blocked chunk is cut out of the queue (docs/design/msrp.md,
// "Scanning a poll's chunks together").
// Content-Type lists (415) and a maximum message size (413) come from the
// settings (im/session) and the session's SDP (a=accept-types, a=max-size);
// message/cpim payloads are held to them by their encapsulated type too.
//
// Flow control: what waits for one leg's TCP send space is queued per
// connection; past `out_limit_bytes` the other leg is not read (its TCP
// window closes) until the queue drains. Memory per session is bounded by
// the two connections' TCP buffers plus two output queues.
//
// Owning lcore only, except where a comment says otherwise.

#include <rte_mbuf.h>
#include <rte_ring.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/msrp/counters.hpp"
#include "dataplane/msrp/parser.hpp"
#include "dataplane/policy/policy.hpp"
#include "dataplane/tcp/tcp.hpp"
#include "platform/media/media_event.hpp"

namespace imsd::dp::msrp {

struct text;  // relay.cpp: fixed-buffer text assembly

struct relay_params {
    uint32_t max_sessions = 1024;
    uint32_t max_conns = 2048;
    uint32_t max_pending = 4096;           // transactions awaiting the far side's response
    uint32_t response_timeout_ms = 30000;  // RFC 4975 7.3
    uint32_t out_limit_bytes = 256 * 1024;
    // Whole chunks awaiting their scan at the end of the poll; when full,
    // they are scanned there and then.
    uint32_t max_batched_scans = 64;
    limits parse{};
    uint32_t media_ip_be = 0;                      // the address in our URIs
    uint16_t port_first = 2855, port_last = 2855;  // where peers connect
    uint16_t port_index = 0;                       // the dataplane port of media_ip
    unsigned lcore_index = 0;                      // which scratch of a policy set is ours
    unsigned lcores = 1;  // session ids: lcores * k + lcore_index + 1 (the id names its lcore)
    // Events to the sigplane (platform/media/media_event.hpp): this lcore
    // enqueues, the sigplane dequeues; null: none sent. A single-producer
    // ring (RING_F_SP_ENQ): message records are written in place in it.
    rte_ring* events = nullptr;
    // Buffers for what the relay writes (heads, end-lines, short bodies,
    // responses), this lcore's alone; null: the shared pool (tcp's net.pool).
    // The caller owns it and frees it after the relay and its TCP stack.
    rte_mempool* out_pool = nullptr;
};

inline constexpr size_t max_path_bytes = 512;
inline constexpr size_t session_id_chars = 20;      // base62: 119 bits
inline constexpr size_t max_uri_prefix_bytes = 40;  // "msrp://<IPv4 address>:<port>/"

// One session as the control plane sees it.
struct session_info {
    uint32_t id = 0;
    unsigned lcore = 0;  // the polling lcore (index) that holds it
    std::array<std::string, 2> local_uri;
    std::array<std::string, 2> remote_path;
    std::array<bool, 2> connected{};
    std::array<uint64_t, 2> messages_in{}, bytes_in{};  // received on each leg
    int report_leg = -1;             // the served client's leg for sent counts, -1 off
    uint64_t reports = 0;            // Distribution-Count REPORTs received
    uint64_t last_distribution = 0;  // the latest Distribution-Count
    std::string accept_types;        // from the SDP (a=accept-types), empty: any
    std::string wrapped_types;       // a=accept-wrapped-types (inside CPIM), empty: as above
    uint64_t max_size = 0;           // from the SDP (a=max-size), 0: none
};

class relay {
   public:
    // Control thread at start-up: pools sized by p. Listens on p's ports.
    // nullptr where p.events is not a single-producer ring.
    static std::unique_ptr<relay> create(tcp::tcp_stack& s, const relay_params& p);
    ~relay();

    counters cnt{};  // dp: writes, cp: reads (relaxed)
    // The content policy in force: the dataplane loop sets it from the RCU
    // snapshot every poll; a message keeps the set it started with.
    const policy::policy_set* policy = nullptr;

    // Memory an idle relayed session holds: its session entry, two relay
    // connections (each with its parser and header buffer) and two TCP
    // control blocks. Queues and TCP buffers come on top while data flows.
    static size_t idle_session_bytes() noexcept;
    // What the pools take at start, in bytes.
    size_t pool_bytes() const noexcept;

    // --- the control API (owning lcore; the dataplane runs these from its
    // request ring on behalf of the control thread) ---
    // A new session; its two local URIs in `out`. False when full (counted).
    bool create_session(session_info& out) noexcept;
    // The peer's path of a leg (To-Path of what imsd sends there; its first
    // URI is the next hop) and who connects: active = imsd opens the
    // connection (RFC 6135 a=setup) and sends a bodiless SEND to bind it.
    bool set_remote(uint32_t id, int leg, std::string_view path, bool active) noexcept;
    // OMA IM 6.1.1.2.2: SENDs from `leg` (the served client's; -1: off)
    // ask for delivery reports with sent counts (docs/design/msrp.md).
    bool set_report_leg(uint32_t id, int leg) noexcept;
    // The session's own limits from its SDP, on top of the settings'
    // (RFC 4975 8.6): a=accept-types and a=accept-wrapped-types (space-
    // separated; empty: any, and for wrapped: as accept-types) and
    // a=max-size (0: none).
    bool set_media_policy(uint32_t id, std::string_view accept_types,
                          std::string_view wrapped_types, uint64_t max_size) noexcept;
    // Closes both legs with FIN once what is queued went out, frees the session.
    bool release(uint32_t id) noexcept;
    void list(std::vector<session_info>& out) const;
    // Every poll, after the poll's input: sends what that input relayed
    // (output leaves once per poll, so a burst's messages share segments)
    // and, every 10 ms, answers 408 for responses overdue.
    void poll(uint64_t now_tsc) noexcept;

    // Internal: the TCP callbacks and the parser sink reach these.
    struct conn;
    struct session;
    void on_accept_conn(tcp::tcp_conn c, void** user) noexcept;
    void on_data(conn& k) noexcept;
    void on_writable(conn& k) noexcept;
    void on_closed(conn& k, tcp::tcp_cause why) noexcept;
    void on_established(conn& k) noexcept;
    void on_head(conn& k, const head& h) noexcept;
    void on_body(conn& k, std::string_view b, bool copied) noexcept;
    void on_end(conn& k, char flag) noexcept;
    void on_error(conn& k, const error& e) noexcept;

   private:
    relay(tcp::tcp_stack& s, const relay_params& p);
    conn* alloc_conn() noexcept;
    // Frees a closed connection; every session leg on it is told `why`.
    void free_conn(conn& k, platform::leg_close_cause why) noexcept;
    // A session leg's connection: the newest carries what goes to the leg;
    // one connection may carry several sessions' legs (`users`).
    void bind_leg(session& s, int leg, conn& k) noexcept;
    void unbind_leg(session& s, int leg) noexcept;
    void bind_send(text& m, const session& s, int leg) const noexcept;
    // The index of the session one of whose legs has this id (and which
    // leg), or UINT32_MAX.
    uint32_t find_session(std::string_view sid, int& leg) noexcept;
    session* session_by_id(uint32_t id) noexcept;
    std::string local_uri(const session& s, int leg) const;  // control thread's use
    // Output: bytes and mbuf slices queued on a connection, pushed into TCP
    // as its send space allows.
    bool out_bytes(conn& k, std::string_view b) noexcept;
    bool out_slice(conn& k, rte_mbuf* seg, uint32_t off, uint32_t len) noexcept;
    // An empty mbuf at the tail: what out_bytes queues next starts there.
    void out_fresh(conn& k) noexcept;
    // An mbuf to write into, marked mark_copy_out, from p_.out_pool, or the
    // shared pool when that one is empty or absent; null when both are.
    rte_mbuf* out_alloc() noexcept;
    // Hands k's queue to TCP now, as much as its send space takes.
    void push_out(conn& k) noexcept;
    // Hands it over at the end of this poll (push_scheduled, from poll):
    // what one burst of input relays leaves in as few segments as it fits.
    void schedule_push(conn& k) noexcept;
    void push_scheduled() noexcept;
    void expire_pending(uint64_t now_tsc) noexcept;
    // pending_[idx], in use: its 408 if it is due.
    void expire_one(uint32_t idx, uint64_t now_tsc) noexcept;
    // When a request sent now times out (RFC 4975 7.3).
    uint64_t response_deadline() const noexcept {
        return s_.net.now_tsc + s_.tsc_per_ms() * p_.response_timeout_ms;
    }
    void resume_waiters(conn& k) noexcept;
    // A response on k with the paths of k's current session and leg, or of
    // the given ones (a response to a relayed request, on a connection that
    // may be shared).
    void respond(conn& k, std::string_view tid, uint16_t status, std::string_view comment) noexcept;
    void respond(conn& k, uint32_t session_index, uint8_t leg, std::string_view tid,
                 uint16_t status, std::string_view comment) noexcept;
    // A whole message of imsd's own (a response, a REPORT) onto k's queue,
    // or, while a relayed chunk is open there, onto its side queue
    // (`write` queues it on k either way).
    template <class Write>
    void own_message(conn& k, Write&& write) noexcept;
    // The relayed chunk open on o's queue has its end-line: what waited on
    // the side follows it.
    void close_chunk(conn& o) noexcept;
    // Fills exactly n bytes onto k's queue (relay.cpp: in place where the
    // last mbuf has room).
    template <class Fill>
    bool out_exact(conn& k, size_t n, Fill&& fill) noexcept;
    void connect_leg(session& s, int leg) noexcept;
    void close_conn(conn& k) noexcept;
    // Content policy: admit a SEND's chunk (false: refused and answered),
    // stop one mid-body, and end a message's scan.
    bool admit(conn& k, session& s, const head& h) noexcept;
    // end_queued: the far side's aborting end-line is already in place.
    void refuse(conn& k, uint16_t status, const char* comment, bool end_queued = false) noexcept;
    // Shared connections (RFC 4975 7.1): a request from another connection
    // is to be queued on `o` while a relayed chunk is open there. The open
    // chunk ends '+' where it is, and its sender's connection is marked
    // interrupted; resume() queues a new head for the rest (the same
    // headers, Byte-Range from the next byte, a new transaction id) before
    // that chunk's next byte or end-line. The far side's response to the
    // part cut off is not relayed; the one to the last part is.
    void interrupt(conn& o) noexcept;
    void resume(conn& k) noexcept;
    // At the end of a delivery whose last head opened a chunk still open:
    // its header lines (paths and Byte-Range left out, as relayed) kept in
    // the connection for a resume.
    void keep_head(conn& k) noexcept;
    void failure_report(conn& k, uint16_t status, const char* comment) noexcept;
    void end_message(conn& k) noexcept;
    // A queued byte's mbuf: m holds the bytes from m_seq on (conn::out_seq
    // places), unless the queue's cuts moved on since it was noted.
    struct queue_place {
        rte_mbuf* m = nullptr;
        uint64_t m_seq = 0;
        uint32_t cuts = 0;
    };
    // Scanning after queueing (the batch): a chunk whose body went onto its
    // out connection unscanned, from `body_from` (that queue's byte count,
    // conn::out_seq) to `body_to`, its end-line to `end_seq`, and what
    // answering it needs once its sender has moved on.
    struct batched_scan {
        const policy::policy_set* ps = nullptr;
        uint32_t in_conn = 0, in_gen = 0, out_conn = 0, out_gen = 0;
        uint32_t session = 0, session_id = 0;
        uint8_t leg = 0;
        bool wants_response = false, wants_report = false, send = false;
        uint8_t tid_len = 0, out_tid_len = 0, mid_len = 0, range_len = 0;
        uint32_t out_pending = UINT32_MAX;
        uint64_t body_from = 0, body_to = 0, end_seq = 0;
        uint64_t msg_bytes = 0;  // the message's bytes so far (its event)
        // The scan's outcome (flush_scans notes it, then acts on it).
        bool gone = false, opened = false, pass = false, allowed = false;
        uint32_t counted = 0, rule = 0;
        queue_place from_at;  // the mbuf holding body_from
        std::array<char, 32> tid{}, mid{};
        std::array<char, 16> out_tid{};
        std::array<char, 64> range{};
    };
    // What k's current message queued unscanned so far: scanned now with
    // its own stream; stay_deferred: its next pieces are queued unscanned
    // again (else scanned as they come). False: refused (cut, answered).
    bool catch_up(conn& k, bool stay_deferred) noexcept;
    // A piece of k's current (held) message was just queued on `out` from
    // `at` (`last`, then last_len long, was the queue's last mbuf before
    // it): notes where its body lies and holds the queue there.
    void hold_piece(conn& k, conn& out, uint64_t at, rte_mbuf* last, uint16_t last_len) noexcept;
    // k's chunk just ended ('$'), its body queued on `out` unscanned at
    // [body_from, body_to), its end-line up to end_seq: into the batch
    // (scanned there and then if full).
    void batch_chunk(conn& k, conn& out, uint64_t body_from, uint64_t body_to,
                     const queue_place& at, uint64_t end_seq) noexcept;
    // Scans every batched chunk, in order; the blocked ones are cut out.
    void flush_scans() noexcept;
    // out's queued bytes [from, to) where they lie in the one mbuf `hint`
    // names (the cursor moved there), or null.
    const char* queued_in_one(conn& o, uint64_t from, uint64_t to,
                              const queue_place* hint) noexcept;
    // out's queued bytes [from, to) in one piece: where they lie in one
    // mbuf, else copied together into gather_ if they fit; null if not.
    const char* queued_contiguous(conn& o, uint64_t from, uint64_t to,
                                  const queue_place* hint) noexcept;
    // Hands out's queued bytes [from, to) to piece(bytes, n, last) an mbuf's
    // part at a time, in order, while it returns true (`last`: nothing of
    // the range after it); the walk starts from the hint, the cursor or
    // else the head, and leaves the cursor where it stopped. False: piece
    // stopped it. The one walk of scan_queued and queued_contiguous.
    template <class Piece>
    bool for_each_queued(conn& o, uint64_t from, uint64_t to, const queue_place* hint,
                         Piece&& piece) noexcept;
    // Feeds out's queued bytes [from, to) to `scan`. False: blocked.
    bool scan_queued(conn& o, uint64_t from, uint64_t to, policy::message_scan& scan,
                     const queue_place* hint) noexcept;
    // Replaces out's queued bytes [from, end) with `with` (a blocked chunk's
    // body and end-line with its abort end-line); later batched chunks on
    // it move with the bytes.
    void cut_queued(conn& o, uint64_t from, uint64_t end, std::string_view with) noexcept;
    // o's hold: the first byte of its earliest batched chunk, or none.
    void rehold(conn& o) noexcept;
    // Events to the sigplane; a full ring drops (counted).
    // Any record but a message's: to the ring at once, after the message
    // records this poll has written.
    void emit(platform::media_event& ev) noexcept;
    // A slot for a message record in this poll's reservation of the event
    // ring (taken at the first, up to events_reserved_max), or nullptr when
    // the ring is full. events_publish hands the written ones to the
    // consumer; poll calls it at its end.
    platform::media_event* event_slot() noexcept;
    void events_publish() noexcept;
    static constexpr uint32_t events_reserved_max = 64;
    platform::media_event* ev_zc_ptr1_ = nullptr;
    platform::media_event* ev_zc_ptr2_ = nullptr;
    uint32_t ev_zc_n1_ = 0, ev_reserved_ = 0, ev_written_ = 0;
    void message_event(const conn& k, platform::message_verdict v, uint32_t rule) noexcept;
    void message_event(uint32_t session_index, uint8_t leg, uint64_t bytes, std::string_view mid,
                       platform::message_verdict v, uint32_t rule) noexcept;
    void failure_report(conn& k, uint32_t session_index, uint8_t leg, std::string_view mid,
                        std::string_view range, uint16_t status, const char* comment) noexcept;
    void leg_event(const session& s, int leg, platform::media_event_kind kind,
                   platform::leg_close_cause cause) noexcept;
    // Whether a Content-Type passes the settings' list and the session's
    // (`wrapped`: the type inside a CPIM payload).
    bool type_allowed(const conn& k, std::string_view type, bool wrapped) const noexcept;

    tcp::tcp_stack& s_;
    relay_params p_;
    std::vector<std::unique_ptr<conn>> conns_;
    std::vector<uint32_t> free_conns_;
    std::vector<std::unique_ptr<session>> sessions_;
    uint32_t next_id_ = 1;
    struct pending {
        bool in_use = false;
        uint32_t nonce = 0;
        uint32_t from_conn = UINT32_MAX;  // who sent the request
        uint32_t session = UINT32_MAX;
        uint8_t from_leg = 0;
        uint8_t tid_len = 0;
        std::array<char, 32> tid{};  // the sender's transaction id
        uint64_t deadline_tsc = 0;
        bool swallow = false;  // the relayed chunk was aborted or interrupted: drop its response
        bool partial = false;  // Failure-Report: partial: failures only go back; silence is success
        uint32_t session_id = 0;  // the session's id (its slot may be reused)
    };
    bool sender_alive(const pending& pd) const noexcept;
    // A bit per pending_ entry in use: expire_pending looks at those only,
    // not at the whole table (4,096 entries, ~300 KB through the cache
    // every 10 ms); 512 bytes for 4,096 entries.
    void pending_taken(uint32_t idx) noexcept {
        pending_used_[idx >> 6] |= uint64_t{1} << (idx & 63);
    }
    void pending_freed(uint32_t idx) noexcept {
        pending_used_[idx >> 6] &= ~(uint64_t{1} << (idx & 63));
    }
    std::vector<uint64_t> pending_used_;
    // Content scanning's time (counter scan_cycles) from t0 to now: stream
    // opens, feeds and finishes, less what the two TSC reads themselves cost
    // (tsc_read_cycles_, measured at start), so that scan_bytes over
    // scan_cycles is the scanning's own rate.
    void scan_time(uint64_t t0) noexcept;
    uint64_t tsc_read_cycles_ = 0;
    // Whether a request's To-Path starts with the URI, byte for byte, of the
    // session leg its connection carries: the lookup's fast path.
    bool on_own_session(const conn& k, std::string_view to_path) const noexcept;
    std::vector<pending> pending_;
    std::vector<uint32_t> free_pending_;
    uint32_t next_nonce_ = 0;  // the last pending nonce given (low 24 bits used)
    uint64_t next_scan_tsc_ = 0;
    std::vector<uint32_t> push_list_;  // connections with push_due set
    std::vector<batched_scan> batch_;  // reserved: max_batched_scans
    // Connections whose message in progress has bytes queued unscanned:
    // (index, gen), caught up by flush_scans. Reserved: twice max_conns.
    std::vector<std::pair<uint32_t, uint32_t>> catch_up_list_;
    policy::message_scan batch_scan_;  // the batch's stream, one at a time
    struct {
        uint32_t conn = UINT32_MAX, gen = 0;
        rte_mbuf* m = nullptr;
        uint64_t m_seq = 0;
    } cursor_;  // where scan_queued stopped on a queue (the next chunk starts there or later)
    // A body spread over several queued mbufs is copied here, up to
    // scan_gather_bytes at a time, and scanned in one call: Hyperscan's
    // streaming call costs ~150 cycles of its own per call on 100
    // literals, a copy of a 1,448-byte segment's payload ~40.
    static constexpr size_t scan_gather_bytes = 16384;
    std::unique_ptr<char[]> gather_;
    std::array<char, max_uri_prefix_bytes> uri_prefix_{};  // "msrp://<media-addr>:<port>/"
    uint8_t uri_prefix_len_ = 0;
};

}  // namespace imsd::dp::msrp

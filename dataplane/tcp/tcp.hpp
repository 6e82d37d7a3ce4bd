#pragma once

// A per-lcore TCP (RFC 9293) for the dataplane: shared-nothing, no heap on
// the fast path (connections come from a pool sized at start), received
// payload kept in the mbufs it arrived in. One tcp_stack per polling lcore,
// reached from that lcore's net_ctx.
//
// The upper layer (the MSRP relay, the lab's echo and sink services) talks
// to a connection through tcp_conn handles and the callbacks below, all on
// the owning lcore.

#include <rte_hash.h>
#include <rte_mbuf.h>
#include <rte_reciprocal.h>

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "dataplane/net/context.hpp"
#include "dataplane/tcp/counters.hpp"
#include "dataplane/tcp/seq.hpp"

namespace imsd::dp::tcp {

enum class tcp_state : uint8_t {
    closed,
    listen,
    syn_sent,
    syn_received,
    established,
    fin_wait_1,
    fin_wait_2,
    close_wait,
    closing,
    last_ack,
    time_wait,
};
const char* state_name(tcp_state s);

// Why a connection ended, for on_closed.
enum class tcp_cause : uint8_t {
    closed,         // orderly close completed
    reset_by_peer,  // RST received
    refused,        // RST in answer to our SYN
    timed_out,      // retransmissions exhausted
    aborted,        // tcp_abort by the user
    shutdown,       // the lcore is stopping
};
const char* cause_name(tcp_cause c);

struct tcp_conn {
    uint32_t index = UINT32_MAX;
    bool valid() const { return index != UINT32_MAX; }
};

class tcp_stack;

// Upper-layer callbacks; every one runs on the owning lcore. `user` is what
// on_accept / tcp_connect set for the connection.
struct tcp_callbacks {
    // A new connection on a listener; set *user. Return false to refuse (RST).
    bool (*on_accept)(tcp_stack& s, tcp_conn c, void* listener_user, void** user) = nullptr;
    // The three-way handshake completed.
    void (*on_established)(tcp_stack& s, tcp_conn c, void* user) = nullptr;
    // In-order payload is waiting: take it with tcp_recv.
    void (*on_data)(tcp_stack& s, tcp_conn c, void* user) = nullptr;
    // The peer closed its side (FIN): no more data will arrive.
    void (*on_peer_fin)(tcp_stack& s, tcp_conn c, void* user) = nullptr;
    // Send space opened after tcp_send refused for lack of it.
    void (*on_writable)(tcp_stack& s, tcp_conn c, void* user) = nullptr;
    // The connection is gone; the handle is invalid after this returns.
    void (*on_closed)(tcp_stack& s, tcp_conn c, void* user, tcp_cause why) = nullptr;
};

// Source connections (start_source) one lcore runs at a time.
inline constexpr uint32_t max_sources = 64;

struct tcp_params {
    uint32_t max_connections = 4096;
    uint32_t max_half_open = 1024;  // SYN-RECEIVED connections
    uint32_t max_time_wait = 1024;  // beyond it the oldest TIME-WAIT is freed
    uint32_t rcv_buffer_bytes = 256 * 1024;
    uint32_t snd_buffer_bytes = 256 * 1024;
    uint32_t rto_min_ms = 200;  // RFC 6298 says 1 s; 200 ms as Linux does
    uint32_t rto_max_ms = 60000;
    uint32_t rto_initial_ms = 1000;  // RFC 6298 2.1
    uint32_t max_retries = 8;        // then the connection is aborted
    uint32_t syn_retries = 5;
    uint32_t delack_ms = 40;
    uint32_t time_wait_ms = 2000;    // 2*MSL; bounded for an appliance
    uint32_t keepalive_idle_ms = 0;  // 0: off (RFC 1122 4.2.3.6: off by default)
    uint32_t keepalive_interval_ms = 75000;
    uint32_t keepalive_probes = 9;
    uint32_t ooo_max_segs = 512;        // per connection
    uint32_t ooo_pool_entries = 16384;  // per lcore, shared by its connections
    uint64_t tsc_hz = 0;
};

// The connection control block. Owned by its lcore's stack; addressed by index.
// The fields a segment of an established connection touches (sequence
// space, windows, congestion state, the two timers data transfer arms, the
// queue pointers, the user pointer) fill the first two cache lines; the
// callbacks pointer starts the third; the rest is touched on connection
// set-up, loss, or timers. 320 bytes in all (tcp_layout_test checks both).
struct alignas(RTE_CACHE_LINE_SIZE) tcb {
    // --- hot: cache lines 0 and 1 ---------------------------------------------------
    // Send sequence space (RFC 9293 3.3.1)
    tcp_seq snd_una, snd_nxt, snd_max, snd_wl1, snd_wl2;
    uint32_t snd_wnd = 0;  // peer's window, scaled
    // Receive sequence space
    tcp_seq rcv_nxt;
    uint32_t rcv_adv_right = 0;  // highest right window edge advertised (raw seq)
    // Congestion control (RFC 5681, NewReno RFC 6582; with SACK, RFC 6675)
    uint32_t cwnd = 0, ssthresh = 0;
    uint32_t ts_recent = 0;          // the peer's TSval to echo (RFC 7323 4.3)
    uint32_t snd_cur_off = 0;        // snd_cur's first byte's offset from sndq's start
    uint32_t ooo_head = UINT32_MAX;  // out-of-order segments, by sequence number
    uint16_t snd_mss = 536;
    uint8_t snd_wscale = 0;  // peer's shift
    uint8_t rcv_wscale = 0;  // ours
    tcp_state state = tcp_state::closed;
    uint8_t dupacks = 0;
    uint8_t segs_since_ack = 0;
    bool ts_ok : 1 = false;        // RFC 7323 timestamps on every segment
    bool sack_ok : 1 = false;      // RFC 2018 negotiated: SACK blocks both ways
    bool in_recovery : 1 = false;  // fast recovery (NewReno or SACK)
    bool ack_now : 1 = false;      // an ACK is owed at once
    bool ack_listed : 1 = false;   // on the stack's list for flush_acks
    bool fin_queued : 1 = false;   // user closed: FIN after the queued data
    bool fin_sent : 1 = false;
    bool peer_fin : 1 = false;
    bool want_writable : 1 = false;  // on_writable owed when send space frees
    bool flush_due : 1 = false;      // tcp_flush_at_poll_end: output at flush_acks
    // Timers data transfer arms: deadlines in TSC cycles, 0 when off.
    uint64_t rto_at = 0, delack_at = 0;
    // Data, each queue one multi-segment packet: the send queue holds the
    // bytes from snd_una on (sent or not), the receive queue the in-order
    // bytes the user has not taken. Appends and reads never walk a queue
    // from its head: a 1 MiB send queue is ~700 segments.
    rte_mbuf* sndq = nullptr;
    rte_mbuf* sndq_last = nullptr;  // last segment of sndq
    rte_mbuf* rcvq = nullptr;
    rte_mbuf* rcvq_last = nullptr;  // last segment of rcvq
    rte_mbuf* snd_cur = nullptr;    // a segment of sndq near snd_nxt, or null
    void* user = nullptr;           // the upper layer's, for its callbacks

    // --- warm / cold: line 2 on --------------------------------------------------------
    const tcp_callbacks* cb = nullptr;
    uint32_t ooo_tail = UINT32_MAX;  // the highest out-of-order entry: most arrivals append
    uint16_t ooo_count = 0;
    bool in_use = false;
    bool wscale_ok = false;
    tcp_seq ooo_last;  // the latest out-of-order arrival (first SACK block)
    tcp_seq recover;
    // RFC 6675 scoreboard: the peer's SACKed ranges above snd_una (sorted,
    // merged; the lowest kept when more arrive), and where the next
    // retransmission of a hole may start (NextSeg).
    static constexpr uint8_t max_sacked = 6;
    uint8_t n_sacked = 0;
    std::array<std::array<uint32_t, 2>, max_sacked> sacked{};  // raw [left, right)
    tcp_seq rexmit_nxt;

    // Identification
    uint32_t local_ip = 0, remote_ip = 0;      // network order
    uint16_t local_port = 0, remote_port = 0;  // network order
    uint16_t port_index = 0;
    tcp_seq iss, irs;

    // RTT and RTO (RFC 6298)
    uint32_t srtt_us = 0, rttvar_us = 0, rto_ms = 1000;
    bool rtt_timing = false;
    uint8_t retries = 0;
    uint8_t ka_probes = 0;
    tcp_seq rtt_seq;
    uint64_t rtt_start_tsc = 0;

    // Other timers: deadlines in TSC cycles, 0 when off.
    uint64_t persist_at = 0, tw_at = 0, ka_at = 0;
    uint64_t last_rx_tsc = 0;  // keepalive: the last segment from the peer
    uint32_t wheel_slot = UINT32_MAX, wheel_next = UINT32_MAX, wheel_prev = UINT32_MAX;
    // The age list the connection is on: TIME-WAIT or half-open (never both).
    uint32_t age_next = UINT32_MAX, age_prev = UINT32_MAX;
};

// A passive open on one port or a range of them (the MSRP relay listens on
// the media ports the settings give).
struct listener {
    uint32_t ip = 0;               // 0: any owned address
    uint16_t first = 0, last = 0;  // host order, inclusive
    const tcp_callbacks* cb = nullptr;
    void* user = nullptr;
};

class tcp_stack {
   public:
    // Control thread at start-up. nullptr when the EAL cannot give the memory.
    static std::unique_ptr<tcp_stack> create(const char* name, const tcp_params& p,
                                             net::net_ctx& net, int socket_id);
    ~tcp_stack();

    // The owning lcore from here on. False when the ports overlap a
    // listener's on the same address (or any address), or 64 exist.
    bool listen(uint32_t ip_be, uint16_t port_be, const tcp_callbacks* cb, void* user);
    // Every port from first to last (host order, inclusive).
    bool listen_range(uint32_t ip_be, uint16_t first, uint16_t last, const tcp_callbacks* cb,
                      void* user);

    counters cnt{};  // dp: writes, cp: reads (relaxed)
    tcp_params params;
    net::net_ctx& net;

    // Internal to dataplane/tcp.
    tcb& at(tcp_conn c) { return tcbs_[c.index]; }
    tcp_conn handle(const tcb& t) const {
        return tcp_conn{static_cast<uint32_t>(&t - tcbs_.data())};
    }
    tcb* lookup(uint32_t local_ip, uint16_t local_port, uint32_t remote_ip, uint16_t remote_port,
                uint16_t port_index);
    tcb* alloc(uint32_t local_ip, uint16_t local_port, uint32_t remote_ip, uint16_t remote_port,
               uint16_t port_index);
    void release(tcb& t, tcp_cause why);  // calls on_closed, frees queues, returns to pool
    const listener* find_listener(uint32_t ip, uint16_t port) const;

    void timer_set(tcb& t);  // (re)insert at its earliest deadline
    // Whole milliseconds of a TSC reading (the wheel's ticks, the RFC 7323
    // clock), by a reciprocal multiply: a 64-bit DIV per segment sent, per
    // ACK and per timer set cost 10-40 cycles each, on the data path.
    uint64_t tsc_ms(uint64_t tsc) const noexcept {
        return rte_reciprocal_divide_u64(tsc, &ms_div_);
    }
    // TSC cycles in a millisecond (timer deadlines: a multiply, not a DIV).
    uint64_t tsc_per_ms() const noexcept { return wheel_tick_tsc_; }
    void timer_cancel(tcb& t);
    void timers_run(uint64_t now_tsc);

    // The ACKs input owes go out once per poll, after the upper layer's
    // output had its chance to carry them (as VPP's tcp-input programs an
    // ACK per connection and frame): a burst of segments on one connection
    // gets one ACK, not one per two segments, and a response sent in the
    // same poll carries it. The owning lcore calls flush_acks every poll,
    // after its input and the relay's output, before the tx burst.
    void defer_ack(tcb& t) noexcept;
    // The queued data leaves at this poll's flush_acks (tcp_flush_at_poll_end).
    void defer_flush(tcb& t) noexcept;
    void flush_acks() noexcept;

    void time_wait_enter(tcb& t);
    void time_wait_leave(tcb& t);

    uint32_t connections() const { return used_; }
    // Every state change goes through here, so the per-state gauges (what
    // "show tcp" lists as connections by state) stay exact.
    void set_state(tcb& t, tcp_state st) {
        --state_count[static_cast<size_t>(t.state)];
        ++state_count[static_cast<size_t>(st)];
        t.state = st;
    }
    static constexpr size_t n_states = static_cast<size_t>(tcp_state::time_wait) + 1;
    std::array<uint64_t, n_states> state_count{};  // dp: writes, cp: reads (relaxed)
    // SYN-RECEIVED connections, oldest first. When the table is full, a new
    // SYN evicts the oldest (counted syn_evicted): under a SYN flood the
    // table turns over and a real client's handshake still has the time a
    // full table of newer SYNs takes to arrive (RFC 4987 3.3).
    void half_open_enter(tcb& t);
    void half_open_leave(tcb& t);
    uint32_t half_open() const { return ho_.count; }
    uint32_t time_wait_count() const { return tw_.count; }
    uint16_t next_ephemeral = 32768;  // RFC 6056 range 32768-60999, in turn
    struct source {
        bool busy = false;
        uint64_t total = 0;
        uint64_t sent = 0;
    };
    std::array<source, max_sources> sources{};
    std::vector<tcb>& all() { return tcbs_; }
    // Out-of-order segments: entries from one per-lcore pool, a sorted list
    // per connection.
    struct ooo_entry {
        tcp_seq seq;
        rte_mbuf* m;
        bool fin;
        uint32_t next;
    };
    enum class ooo_result { kept, duplicate, full };
    // Takes m unless duplicate (same sequence number held) or full (the
    // connection's or the lcore's share is used up).
    ooo_result ooo_insert(tcb& t, tcp_seq seq, rte_mbuf* m, bool fin);
    ooo_entry* ooo_front(const tcb& t) {
        return t.ooo_head == UINT32_MAX ? nullptr : &ooo_pool_[t.ooo_head];
    }
    void ooo_pop_front(tcb& t);  // the entry's mbuf is the caller's
    void ooo_clear(tcb& t);      // frees the mbufs
    template <typename F>
    void ooo_for_each(const tcb& t, F&& f) const {
        for (uint32_t i = t.ooo_head; i != UINT32_MAX; i = ooo_pool_[i].next) {
            f(ooo_pool_[i]);
        }
    }

   private:
    tcp_stack(const tcp_params& p, net::net_ctx& n) : params(p), net(n) {}

    rte_hash* table_ = nullptr;
    std::array<unsigned char, 16> last_key_{};  // lookup's last hit (a conn_key), valid
    int32_t last_pos_ = -1;                     // while this is >= 0
    std::vector<tcb> tcbs_;                     // indexed by rte_hash key position
    std::vector<uint32_t> ack_list_;            // tcbs with ack_listed set; reserved, never grows
    std::vector<ooo_entry> ooo_pool_;           // sized at start, never grows
    uint32_t ooo_free_ = UINT32_MAX;
    uint32_t used_ = 0;
    std::vector<listener> listeners_;

    // Hashed timer wheel: 1 ms slots, 4096 of them; a deadline further out
    // waits in the last slot it can reach and is re-inserted when it fires.
    static constexpr uint32_t wheel_slots = 4096;
    std::vector<uint32_t> wheel_;  // head tcb index per slot
    uint64_t wheel_tick_tsc_ = 0;
    rte_reciprocal_u64 ms_div_{};  // divides by wheel_tick_tsc_ (tsc_ms)
    uint64_t wheel_now_tick_ = 0;
    uint64_t next_tick_tsc_ = 0;  // timers_run does nothing before this
    struct age_list {
        uint32_t oldest = UINT32_MAX, newest = UINT32_MAX;
        uint32_t count = 0;
    };
    void age_push(age_list& l, tcb& t);
    void age_remove(age_list& l, tcb& t);
    age_list tw_;  // TIME-WAIT
    age_list ho_;  // half-open
};

// --- the packet path (owning lcore) -------------------------------------------------------

// A TCP segment for a local address; takes ownership of m.
void tcp_input(net::net_ctx& net, uint16_t port_index, rte_mbuf* m, void* ip_hdr,
               uint16_t ihl_bytes) noexcept;

// --- the upper-layer API (owning lcore) -------------------------------------------------------

// Active open: a SYN to remote_ip:remote_port from local_ip and an ephemeral
// port. Returns an invalid handle (and counts why) when the table is full or
// no port is free. on_established or on_closed(refused / timed_out) follows.
tcp_conn tcp_connect(tcp_stack& s, uint16_t port_index, uint32_t local_ip, uint32_t remote_ip,
                     uint16_t remote_port_be, const tcp_callbacks* cb, void* user) noexcept;

// A slice shorter than this is copied rather than referred to: an indirect
// mbuf costs an allocation, a reference count on the direct one and a gather
// entry for the NIC, which a short copy undercuts (bench_dp_tcp BM_ours_rr
// sends 256 B messages; BM_ours_bulk full segments by reference).
inline constexpr uint32_t zc_min_bytes = 512;

// Marks data its sender wrote itself into `m` (a direct mbuf), short and hot
// in this core's cache: the MSRP relay's heads, end-lines and short bodies.
// Output copies such data into the segment's own mbuf whatever its length,
// instead of referring to it: a segment of small messages then leaves as one
// buffer (one descriptor for the NIC, no indirect mbuf to allocate, attach
// and free, no reference count touched). Received data sent on, and data
// not marked, keep the zc_min_bytes rule. Any thread; a no-op where the
// mbuf flag could not be registered (tcp_stack::create registers it).
void mark_copy_out(rte_mbuf* m) noexcept;

// Queues `m` (a packet, possibly chained) for sending; false, and nothing
// taken, when the send buffer lacks room (on_writable follows when it frees).
// Sends what the window allows at once, unless `more` says that more data
// follows before a tcp_flush (as MSG_MORE does): then several small writes
// leave in full-sized segments instead of one segment each.
bool tcp_send(tcp_stack& s, tcp_conn c, rte_mbuf* m, bool more = false) noexcept;
// Bytes tcp_send would take now.
uint32_t tcp_send_space(tcp_stack& s, tcp_conn c) noexcept;
// Takes all in-order payload received so far as one (multi-segment) packet,
// or nullptr; the caller owns it. The receive window opens by its length.
rte_mbuf* tcp_recv(tcp_stack& s, tcp_conn c) noexcept;
// Bytes tcp_recv would return now.
uint32_t tcp_recv_bytes(tcp_stack& s, tcp_conn c) noexcept;
// Sends the queued data the window allows now; an ACK owed that no data
// carried (a window update after tcp_recv) leaves at the poll's flush_acks.
void tcp_flush(tcp_stack& s, tcp_conn c) noexcept;
// As tcp_flush, at the end of this poll (the loop's flush_acks): what a
// poll's input answers on c leaves in as few segments as it fits, as a
// kernel socket's reader writes what one read brought in at once.
void tcp_flush_at_poll_end(tcp_stack& s, tcp_conn c) noexcept;
// Orderly close: FIN after the queued data.
void tcp_close(tcp_stack& s, tcp_conn c) noexcept;
// The user hears no more of c: its callbacks are cleared, so it may forget
// the handle (and reuse what `user` pointed at) while the connection ends on
// its own (closing, TIME-WAIT).
void tcp_detach(tcp_stack& s, tcp_conn c) noexcept;
// RST now, on_closed(aborted).
void tcp_abort(tcp_stack& s, tcp_conn c) noexcept;
tcp_state tcp_state_of(tcp_stack& s, tcp_conn c) noexcept;

// The echo (RFC 862) and discard (RFC 863) services the lab and the load
// generator use. Call on the owning lcore before traffic.
bool start_echo_service(tcp_stack& s, uint32_t ip_be, uint16_t port_be);
bool start_sink_service(tcp_stack& s, uint32_t ip_be, uint16_t port_be);

// The source: an active open that sends `bytes` of the lab pattern (byte k
// of the stream is (7k + 3) mod 256), discards what comes back, and closes.
// Its outcome is counted (source_completed / source_failed). At most
// max_sources at a time per lcore. False when none is free or the connect
// fails at once.
bool start_source(tcp_stack& s, uint16_t port_index, uint32_t local_ip, uint32_t remote_ip,
                  uint16_t remote_port_be, uint64_t bytes) noexcept;
// The pattern's bytes [offset, offset + len) into dst.
void fill_pattern(uint8_t* dst, uint64_t offset, uint32_t len) noexcept;

// Frees every connection (on_closed(shutdown)). The owning lcore, on its way out.
void tcp_drain(tcp_stack& s) noexcept;

}  // namespace imsd::dp::tcp

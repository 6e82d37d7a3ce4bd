#pragma once

// The dataplane as a whole: the mbuf pool, the ports, one net context per
// polling lcore, the RCU-published net config, and the run-to-completion loop.

#include <rte_mempool.h>

#include <atomic>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "dataplane/msrp/relay.hpp"
#include "dataplane/net/context.hpp"
#include "dataplane/policy/policy.hpp"
#include "dataplane/port/impair.hpp"
#include "dataplane/port/port.hpp"
#include "dataplane/punt/punt.hpp"
#include "dataplane/sip/udp.hpp"
#include "dataplane/tcp/tcp.hpp"
#include "platform/eal/eal.hpp"
#include "platform/error.hpp"
#include "platform/policy/content_db.hpp"
#include "platform/rcu/rcu.hpp"
#include "platform/settings/settings.hpp"
#include "platform/stats/registry.hpp"

namespace imsd::dp {

struct pool_state {
    std::string name;
    uint32_t size = 0;
    uint32_t available = 0;  // in the pool and the per-lcore caches
    // At most this many may be missing after shutdown without a leak of
    // ours: the ports' drivers keep them (mbufs_held_past_close).
    uint32_t held_by_drivers_max = 0;
};

class dataplane {
   public:
    // Main thread, after EAL init: creates the pool, opens the ports, builds
    // one context per polling lcore.
    static std::expected<std::unique_ptr<dataplane>, platform::error> create(
        const platform::settings& s, const platform::lcore_roles& roles);
    ~dataplane();
    dataplane(const dataplane&) = delete;
    dataplane& operator=(const dataplane&) = delete;

    // Main thread: starts the loop on every worker lcore. In single-core mode
    // it starts nothing; the caller then runs run_main_lcore().
    std::expected<void, platform::error> launch();
    // Main thread, single-core mode only: polls until stop() is asked.
    void run_main_lcore();
    // Main thread, before run_main_lcore: in single-core mode the polling
    // loop also runs `fn` every `period_ms` (control-plane housekeeping that
    // would otherwise wake a thread on the poller's only CPU: measured, such
    // wake-ups every 10-50 ms cost the relay half its throughput). `fn` runs
    // on the polling lcore: it must be short and must not block.
    void set_single_core_service(std::function<void()> fn, uint32_t period_ms);

    // Any thread: asks every loop to finish its burst and leave.
    void request_stop() noexcept { stop_.store(true, std::memory_order_relaxed); }

    // Control thread: hold(true) makes every loop leave the ports alone (no
    // rx or tx burst, no TCP timers) and returns once each has left its
    // burst, false if one did not within `timeout_ms`; hold(false) lets them
    // go on. For a vdev whose peer may go away: DPDK 22.11's memif server
    // unmaps the client's rings from its control thread when the client
    // disconnects, while an lcore may be reading them (seen: imsgen --serve
    // crashed in memif rx as imsd, its client, stopped).
    bool hold_ports(bool hold, uint32_t timeout_ms = 1000) noexcept;

    // Main thread: waits for the loops, frees what they hold, closes the
    // ports. After it, every pool's available == size unless mbufs leaked.
    void shutdown();

    // Control thread: new addresses and gateways take effect for the next
    // burst of every lcore (RCU publication; no packet is dropped for it).
    // Returns once no lcore can still see the old ones.
    std::expected<void, platform::error> apply(const platform::settings& s);

    // Control thread: asks an lcore to open a TCP connection to ip:port and
    // send `bytes` of the lab pattern (tcp::start_source). Returns which
    // lcore took it; the outcome shows in the tcp source_* counters.
    std::expected<unsigned, platform::error> start_tcp_source(uint32_t ip_be, uint16_t port,
                                                              uint64_t bytes);

    // Control thread: has every polling lcore run fn(its stack, arg) once,
    // from its loop (how the load generator starts its work). fn runs on the
    // fast path: it must not block; arg is the caller's and must outlive it.
    std::expected<void, platform::error> call_on_lcores(void (*fn)(tcp::tcp_stack&, void*),
                                                        void* arg);

    // --- the MSRP relay's control API (control thread). Sessions are spread
    // over the polling lcores (each serves its own MSRP port; a session's id
    // names its lcore); each call is answered from that lcore's loop within
    // a poll.
    struct msrp_job {
        enum class op {
            create,
            set_remote,
            report_leg,
            media_policy,
            release,
            list
        } what = op::list;
        uint32_t id = 0;
        int leg = 0;
        std::string path;
        std::string types, wrapped;  // media_policy
        uint64_t max_size = 0;
        bool active = false;
        bool ok = false;
        msrp::session_info info;
        std::vector<msrp::session_info> rows;
        msrp::relay* relay = nullptr;
        std::atomic<bool> done{false};
    };
    std::expected<msrp::session_info, platform::error> msrp_create();
    std::expected<void, platform::error> msrp_set_remote(uint32_t id, int leg,
                                                         const std::string& path, bool active);
    std::expected<void, platform::error> msrp_release(uint32_t id);
    // OMA IM 6.1.1.2.2 sent counts on the served client's leg (-1: off).
    std::expected<void, platform::error> msrp_report_leg(uint32_t id, int leg);
    std::expected<std::vector<msrp::session_info>, platform::error> msrp_sessions();
    // RFC 4975 8.6 from the session's SDP: a=accept-types, a=accept-wrapped-types
    // (space-separated, empty: any) and a=max-size (0: none).
    std::expected<void, platform::error> msrp_media_policy(uint32_t id, const std::string& types,
                                                           const std::string& wrapped,
                                                           uint64_t max_size);

    // Control thread: the content rules and message limits every relay
    // holds new messages to from its next poll (messages in flight finish on
    // the rules they started with). Refused (nothing changes) when the rules
    // need more scan state than dataplane/msrp/scan-stream-bytes. A replaced
    // policy is freed by a later apply (or shutdown) once no lcore can see it
    // and none scans with it: a message in flight keeps its rules alive.
    std::expected<void, platform::error> apply_policy(platform::content_db db, policy::limits lim);

    // The relay's event rings to the sigplane, one per polling lcore
    // (platform/media/media_event.hpp; single consumer). Empty when the
    // relay is off. Valid until shutdown(); stop consuming before it.
    std::vector<rte_ring*> event_rings() const;

    // One TCP connection as "show connections" lists it.
    struct conn_row {
        unsigned lcore = 0;
        const char* state = "";
        uint32_t local_ip = 0, remote_ip = 0;  // network order
        uint16_t local_port = 0, remote_port = 0;
        uint32_t send_queued = 0, recv_queued = 0, ooo_segs = 0;
        uint32_t cwnd = 0, srtt_us = 0, rto_ms = 0;
    };
    struct dump_job {
        std::vector<conn_row> rows;  // reserved by the asker; the lcore only appends
        std::atomic<bool> done{false};
    };
    // Control thread: every lcore's connections, asked through the request
    // rings (each lcore answers from its own loop; nothing is read racily).
    std::expected<std::vector<conn_row>, platform::error> connections();

    // The packet pool and the indirect-mbuf pool.
    std::vector<pool_state> pools() const;
    // Main thread, before the CLI starts: "dataplane" counters, "ports" and
    // "pools" tables.
    void register_stats(platform::registry& reg);

   private:
    struct poller {
        unsigned lcore = 0;
        uint16_t queue = 0;
        std::unique_ptr<net::net_ctx> ctx;
        // Declared before tcp so it outlives it: draining the stack calls
        // back into the relay.
        std::unique_ptr<msrp::relay> msrp;
        std::unique_ptr<tcp::tcp_stack> tcp;
        rte_ring* requests = nullptr;     // cp: enqueues, this lcore: dequeues
        rte_ring* events = nullptr;       // this lcore: enqueues, the sigplane: dequeues
        rte_mempool* out_pool = nullptr;  // the relay's own buffers; freed with the pools
        rte_ring* steer = nullptr;        // other lcores: enqueue TCP segments, this one: dequeues
        std::unique_ptr<sip::sip_ctx> sip;  // SIP over UDP; null when SIP is off
        // Lab impairment, per port and direction; null when off.
        std::unique_ptr<std::array<impair_stage, 2 * net::max_ports>> impair;
    };

    dataplane() = default;
    static int loop_entry(void* arg);
    static void dump_connections(poller& p, dump_job& job) noexcept;
    void loop(poller& p) noexcept;

    platform::settings settings_;
    platform::lcore_roles roles_;
    std::function<void()> service_;  // single-core mode: run by the loop
    uint32_t service_period_ms_ = 0;
    // Declared before pollers_ so they outlive the relays' open streams.
    std::atomic<const policy::policy_set*> policy_{nullptr};  // cp: writes, dp: reads
    std::unique_ptr<policy::policy_set> policy_live_;
    std::vector<std::unique_ptr<policy::policy_set>> policy_retired_;
    std::mutex policy_mu_;
    rte_mempool* pool_ = nullptr;
    rte_mempool* clone_pool_ = nullptr;  // indirect mbufs for zero-copy transmit
    std::unique_ptr<port_set> ports_;
    punt::punt_port punt_{};  // the exception path; ring null when SIP is off
    bool punt_open_ = false;
    // The net config for `s`: the ports' view plus what SIP needs.
    static void fill_sip(net::net_config& cfg, const platform::settings& s);
    std::unique_ptr<platform::rcu_domain> rcu_;
    std::unique_ptr<platform::rcu_snapshot<net::net_config>> config_;
    std::vector<poller> pollers_;
    std::atomic<bool> stop_{false};  // cp: writes, dp: reads
    std::atomic<bool> hold_{false};  // cp: writes, dp: reads (hold_ports)
    std::atomic<uint32_t> held_{0};  // dp: loops holding now; cp: reads
    uint64_t config_generation_ = 1;
    std::atomic<uint32_t> next_poller_{0};  // round-robin for requests
    std::mutex late_mu_;
    std::vector<std::unique_ptr<dump_job>> late_jobs_;  // asked, never answered
    std::vector<std::unique_ptr<msrp_job>> late_msrp_jobs_;
    std::expected<void, platform::error> run_msrp_job(std::unique_ptr<msrp_job>& job,
                                                      size_t poller_index);
    size_t msrp_owner(uint32_t id) const;
    // A job on one session, run by its lcore; `refused` says why when the
    // relay answered no.
    std::expected<void, platform::error> run_session_job(std::unique_ptr<msrp_job>& job,
                                                         const char* refused);
    std::atomic<uint32_t> next_msrp_{0};  // round-robin for new sessions
    bool launched_ = false;
    bool shut_ = false;
};

}  // namespace imsd::dp

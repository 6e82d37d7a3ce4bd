#include "dataplane/worker/dataplane.hpp"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "platform/log/log.hpp"
#include "platform/signal/shutdown.hpp"

namespace imsd::dp {

using platform::make_error;

namespace {

// How often an lcore runs its neighbour timers.
constexpr uint64_t timer_period_us = 10000;
// Neighbour updates one lcore may have pending from the others.
constexpr unsigned neigh_inbox_size = 1024;

// A request from the control plane to one lcore (an rte_ring element).
struct request {
    enum : uint32_t { source = 1, dump = 2, call = 3 } kind;
    uint32_t remote_ip;  // network order
    uint32_t local_ip;
    uint16_t remote_port;  // network order
    uint16_t port_index;
    uint64_t bytes;
    dataplane::dump_job* job;                      // kind dump: where the lcore writes
    void (*fn)(tcp::tcp_stack&, void*) = nullptr;  // kind call
    void* arg = nullptr;
};
static_assert(sizeof(request) % 4 == 0);

struct loop_arg {
    dataplane* self;
    void* poller;
};

}  // namespace

std::expected<std::unique_ptr<dataplane>, platform::error> dataplane::create(
    const platform::settings& s, const platform::lcore_roles& roles) {
    std::unique_ptr<dataplane> dp(new dataplane());
    dp->settings_ = s;
    dp->roles_ = roles;
    const auto pollers = roles.pollers();
    const int socket = static_cast<int>(rte_socket_id());

    dp->pool_ = rte_pktmbuf_pool_create("imsd_mbufs", s.dataplane.mbufs, s.dataplane.mbuf_cache, 0,
                                        RTE_MBUF_DEFAULT_BUF_SIZE, socket);
    if (dp->pool_ == nullptr) {
        return std::unexpected(make_error(
            "dataplane/mbufs", "cannot create a pool of " + std::to_string(s.dataplane.mbufs) +
                                   " mbufs: " + rte_strerror(rte_errno) +
                                   " (raise system/memory-mb or lower dataplane/mbufs)"));
    }
    // As many indirect mbufs as packets: each one a transmitted segment refers
    // its payload through (dataplane/tcp zero-copy transmit).
    dp->clone_pool_ = rte_pktmbuf_pool_create("imsd_clones", s.dataplane.mbufs,
                                              s.dataplane.mbuf_cache, 0, 0, socket);
    if (dp->clone_pool_ == nullptr) {
        return std::unexpected(make_error(
            "dataplane/mbufs", "cannot create a pool of " + std::to_string(s.dataplane.mbufs) +
                                   " indirect mbufs: " + rte_strerror(rte_errno) +
                                   " (raise system/memory-mb or lower dataplane/mbufs)"));
    }
    auto ports = port_set::open(s, dp->pool_, static_cast<uint16_t>(pollers.size()));
    if (!ports) {
        return std::unexpected(ports.error());
    }
    dp->ports_ = std::move(*ports);

    auto rcu = platform::rcu_domain::create(static_cast<uint32_t>(pollers.size()));
    if (!rcu) {
        return std::unexpected(rcu.error());
    }
    dp->rcu_ = std::move(*rcu);
    auto first_cfg = std::make_unique<net::net_config>(dp->ports_->config());
    fill_sip(*first_cfg, s);
    dp->config_ =
        std::make_unique<platform::rcu_snapshot<net::net_config>>(*dp->rcu_, std::move(first_cfg));
    if (s.dataplane.sip.enabled()) {
        // The signaling address is the first port's first address: the
        // kernel side of the TAP takes it, the media port keeps answering
        // ARP and ICMP for it.
        const auto& a = s.ports[0].addresses[0];
        auto pp = punt::open(s.dataplane.sip.punt_interface, dp->pool_, a.addr_be, a.len, 4096);
        if (!pp) {
            return std::unexpected(pp.error());
        }
        dp->punt_ = *pp;
        dp->punt_open_ = true;
        IMSD_LOG(dataplane, INFO,
                 "SIP on port {} (UDP framed and policed here, {} per s and source, burst {}); "
                 "exception path to the kernel through {}",
                 s.dataplane.sip.port, s.dataplane.sip.rate_per_source,
                 s.dataplane.sip.burst_per_source, s.dataplane.sip.punt_interface);
    }

    if (s.dataplane.msrp.enabled()) {
        if (auto r = policy::install_stream_pool(s.dataplane.msrp.scan_streams,
                                                 s.dataplane.msrp.scan_stream_bytes);
            !r) {
            return std::unexpected(r.error());
        }
    }
    const uint64_t hz = rte_get_tsc_hz();
    for (size_t i = 0; i < pollers.size(); ++i) {
        poller p;
        p.lcore = pollers[i];
        p.queue = static_cast<uint16_t>(i);
        p.ctx = std::make_unique<net::net_ctx>();
        std::string name = "imsd_neigh_" + std::to_string(p.lcore);
        p.ctx->neigh =
            net::neighbour_table::create(name.c_str(), s.dataplane.neighbour_entries,
                                         static_cast<int>(rte_lcore_to_socket_id(p.lcore)));
        if (!p.ctx->neigh) {
            return std::unexpected(make_error("dataplane/neighbour-entries",
                                              "cannot create a neighbour table of " +
                                                  std::to_string(s.dataplane.neighbour_entries) +
                                                  " entries: " + rte_strerror(rte_errno)));
        }
        p.ctx->pool = dp->pool_;
        p.ctx->poller_index = static_cast<uint16_t>(i);
        p.ctx->n_pollers = static_cast<uint16_t>(pollers.size());
        p.ctx->steer_port_first =
            s.dataplane.msrp.enabled() && pollers.size() > 1 ? s.dataplane.msrp.port_first : 0;
        p.ctx->clone_pool = dp->clone_pool_;
        p.ctx->queue = p.queue;
        p.ctx->neigh_cfg.timeout_tsc = hz / 1000 * s.dataplane.neighbour_timeout_ms;
        p.ctx->neigh_cfg.retry_tsc = hz / 1000 * s.dataplane.arp_retry_ms;
        p.ctx->neigh_cfg.retries = static_cast<uint8_t>(s.dataplane.arp_retries);
        if (s.dataplane.sip.enabled()) {
            p.sip = std::make_unique<sip::sip_ctx>();
            std::string pname = "imsd_sipsrc_" + std::to_string(p.lcore);
            p.sip->policer =
                sip::source_policer::create(pname.c_str(), s.dataplane.sip.max_sources,
                                            static_cast<int>(rte_lcore_to_socket_id(p.lcore)), hz);
            if (!p.sip->policer) {
                return std::unexpected(make_error("dataplane/sip/max-sources",
                                                  "cannot create a policing table of " +
                                                      std::to_string(s.dataplane.sip.max_sources) +
                                                      " sources: " + rte_strerror(rte_errno) +
                                                      " (raise system/memory-mb or lower it)"));
            }
            p.sip->lim.max_headers =
                static_cast<uint16_t>(std::min<uint32_t>(s.limits.max_sip_headers, UINT16_MAX));
            p.sip->lim.max_message_bytes = std::min<uint32_t>(s.limits.max_message_bytes, 65535);
            p.sip->server = "IM-serv/OMA2.0 imsd";
            p.sip->sweep_period_tsc = hz;  // every second
            p.sip->idle_tsc = hz * 60;
            p.ctx->sip = p.sip.get();
            p.ctx->sip_udp_input = sip::udp_input;
            p.ctx->punt_ring = dp->punt_.ring;
        }
        if (s.dataplane.impair.enabled()) {
            const auto& is = s.dataplane.impair;
            p.impair = std::make_unique<std::array<impair_stage, 2 * net::max_ports>>();
            for (size_t k = 0; k < p.impair->size(); ++k) {
                // Even stages see received packets, odd ones transmitted.
                (*p.impair)[k].init(impair_params{is.loss_ppm, is.duplicate_ppm, is.reorder_ppm,
                                                  is.reorder_hold_us, is.delay_us},
                                    hz, k % 2 == 0);
            }
            IMSD_LOG(dataplane, WARNING,
                     "lcore {}: LAB IMPAIRMENT ON (loss {} ppm, duplicate {} ppm, reorder {} ppm, "
                     "delay {} us): not for production",
                     p.lcore, is.loss_ppm, is.duplicate_ppm, is.reorder_ppm, is.delay_us);
        }
        if (s.dataplane.tcp.enabled() || s.dataplane.msrp.enabled()) {
            const auto& ts = s.dataplane.tcp;
            tcp::tcp_params tp;
            tp.max_connections = s.limits.max_connections_per_lcore;
            tp.max_half_open = ts.max_half_open;
            tp.max_time_wait = ts.max_time_wait;
            tp.rcv_buffer_bytes = ts.rcv_buffer_bytes;
            tp.snd_buffer_bytes = ts.snd_buffer_bytes;
            tp.rto_min_ms = ts.rto_min_ms;
            tp.max_retries = ts.max_retries;
            tp.delack_ms = ts.delack_ms;
            tp.time_wait_ms = ts.time_wait_ms;
            tp.keepalive_idle_ms = ts.keepalive_idle_s * 1000;
            tp.keepalive_interval_ms = ts.keepalive_interval_s * 1000;
            tp.keepalive_probes = ts.keepalive_probes;
            tp.tsc_hz = hz;
            std::string tname = "imsd_tcp_" + std::to_string(p.lcore);
            p.ctx->now_tsc = rte_rdtsc();
            p.tcp = tcp::tcp_stack::create(tname.c_str(), tp, *p.ctx,
                                           static_cast<int>(rte_lcore_to_socket_id(p.lcore)));
            if (!p.tcp) {
                return std::unexpected(make_error("limits/max-connections-per-lcore",
                                                  "cannot create a TCP connection table of " +
                                                      std::to_string(tp.max_connections) + ": " +
                                                      rte_strerror(rte_errno)));
            }
            std::string rname = "imsd_req_" + std::to_string(p.lcore);
            p.requests = rte_ring_create_elem(rname.c_str(), sizeof(request), 64,
                                              static_cast<int>(rte_lcore_to_socket_id(p.lcore)),
                                              RING_F_SC_DEQ);
            if (p.requests == nullptr) {
                return std::unexpected(make_error(
                    "dataplane",
                    "cannot create the request ring " + rname + ": " + rte_strerror(rte_errno)));
            }
            p.ctx->tcp = p.tcp.get();
            p.ctx->tcp_input = tcp::tcp_input;
            if (ts.echo_port != 0) {
                tcp::start_echo_service(*p.tcp, 0, rte_cpu_to_be_16(ts.echo_port));
            }
            if (ts.sink_port != 0) {
                tcp::start_sink_service(*p.tcp, 0, rte_cpu_to_be_16(ts.sink_port));
            }
            if (s.dataplane.msrp.enabled()) {
                const auto& ms = s.dataplane.msrp;
                msrp::relay_params rp;
                rp.max_sessions = ms.max_sessions;
                rp.max_conns = ms.max_connections;
                rp.max_pending = ms.max_connections * 2;
                rp.out_limit_bytes = ms.out_limit_bytes;
                rp.response_timeout_ms = s.im.msrp_response_timeout_ms;
                rp.parse.max_headers = static_cast<uint16_t>(
                    std::min<uint32_t>(s.limits.max_sip_headers, msrp::max_header_slots));
                rp.parse.max_body_bytes = s.limits.max_message_bytes;
                rp.media_ip_be = s.ports[0].addresses[0].addr_be;
                rp.port_first = ms.port_first;
                rp.port_last = ms.port_last == 0 ? ms.port_first : ms.port_last;
                rp.lcore_index = static_cast<unsigned>(i);
                rp.lcores = static_cast<unsigned>(pollers.size());
                if (pollers.size() > 1) {
                    // One MSRP port per lcore: a session's URIs name its
                    // lcore's port, and connections to it are steered there
                    // whichever queue they arrive on (net::steer_owner).
                    if (rp.port_last - rp.port_first + 1u < pollers.size()) {
                        return std::unexpected(make_error(
                            "dataplane/msrp/port-last",
                            "with " + std::to_string(pollers.size()) +
                                " polling lcores the MSRP port range needs at least as many "
                                "ports (one per lcore); port-first " +
                                std::to_string(rp.port_first) + ", port-last " +
                                std::to_string(rp.port_last)));
                    }
                    rp.port_first = rp.port_last = static_cast<uint16_t>(ms.port_first + i);
                }
                const std::string ename = "imsd_events_" + std::to_string(p.lcore);
                // A record per message: 32,768 hold ~70 ms of the fastest
                // small-message relaying measured (470k messages/s).
                p.events = rte_ring_create_elem(ename.c_str(), sizeof(platform::media_event), 32768,
                                                static_cast<int>(rte_lcore_to_socket_id(p.lcore)),
                                                RING_F_SP_ENQ | RING_F_SC_DEQ);
                if (p.events == nullptr) {
                    return std::unexpected(make_error(
                        "dataplane",
                        "cannot create the event ring " + ename + ": " + rte_strerror(rte_errno)));
                }
                rp.events = p.events;
                if (ms.out_mbufs != 0) {
                    const std::string oname = "imsd_out_" + std::to_string(p.lcore);
                    p.out_pool = rte_pktmbuf_pool_create(
                        oname.c_str(), ms.out_mbufs,
                        std::min<uint32_t>(s.dataplane.mbuf_cache, ms.out_mbufs / 2), 0,
                        RTE_MBUF_DEFAULT_BUF_SIZE,
                        static_cast<int>(rte_lcore_to_socket_id(p.lcore)));
                    if (p.out_pool == nullptr) {
                        return std::unexpected(make_error(
                            "dataplane/msrp/out-mbufs",
                            "cannot create a pool of " + std::to_string(ms.out_mbufs) +
                                " mbufs for lcore " + std::to_string(p.lcore) + ": " +
                                rte_strerror(rte_errno) +
                                " (raise system/memory-mb, or lower or set 0 out-mbufs)"));
                    }
                    rp.out_pool = p.out_pool;
                }
                p.msrp = msrp::relay::create(*p.tcp, rp);
                if (p.msrp) {
                    IMSD_LOG(dataplane, INFO,
                             "lcore {}: MSRP relay on ports {}-{}: {} sessions, {} connections, "
                             "{} bytes per idle session, {} KiB of pools",
                             p.lcore, rp.port_first, rp.port_last, rp.max_sessions, rp.max_conns,
                             msrp::relay::idle_session_bytes(), p.msrp->pool_bytes() / 1024);
                }
                if (!p.msrp) {
                    rte_mempool_free(p.out_pool);  // p is not among pollers_ yet
                    p.out_pool = nullptr;
                    return std::unexpected(
                        make_error("dataplane/msrp", "cannot listen on the MSRP ports " +
                                                         std::to_string(rp.port_first) + "-" +
                                                         std::to_string(rp.port_last)));
                }
            }
        }
        dp->pollers_.push_back(std::move(p));
    }
    if (dp->pollers_.size() > 1) {
        if (dp->pollers_.size() > net::max_pollers) {
            return std::unexpected(make_error(
                "system/lcores",
                "at most " + std::to_string(net::max_pollers) + " polling lcores are supported"));
        }
        for (auto& p : dp->pollers_) {
            std::string name = "imsd_nsync_" + std::to_string(p.lcore);
            p.ctx->neigh_inbox = rte_ring_create_elem(
                name.c_str(), sizeof(net::neigh_update), neigh_inbox_size,
                static_cast<int>(rte_lcore_to_socket_id(p.lcore)), RING_F_SC_DEQ);
            if (p.ctx->neigh_inbox == nullptr) {
                return std::unexpected(
                    make_error("dataplane", "cannot create the neighbour sync ring " + name + ": " +
                                                rte_strerror(rte_errno)));
            }
        }
        for (auto& p : dp->pollers_) {
            // TCP segments another lcore received for a port of this one.
            std::string name = "imsd_steer_" + std::to_string(p.lcore);
            p.steer =
                rte_ring_create(name.c_str(), 2048,
                                static_cast<int>(rte_lcore_to_socket_id(p.lcore)), RING_F_SC_DEQ);
            if (p.steer == nullptr) {
                return std::unexpected(make_error(
                    "dataplane",
                    "cannot create the steering ring " + name + ": " + rte_strerror(rte_errno)));
            }
        }
        for (auto& p : dp->pollers_) {
            for (size_t k = 0; k < dp->pollers_.size(); ++k) {
                p.ctx->steer_inbox[k] = dp->pollers_[k].steer;
            }
            for (auto& other : dp->pollers_) {
                if (&other != &p) {
                    p.ctx->peers[p.ctx->n_peers++] = other.ctx->neigh_inbox;
                }
            }
        }
    }
    return dp;
}

dataplane::~dataplane() {
    shutdown();
    if (pool_ != nullptr) {
        rte_mempool_free(pool_);
    }
    if (clone_pool_ != nullptr) {
        rte_mempool_free(clone_pool_);
    }
    for (auto& p : pollers_) {
        rte_mempool_free(p.out_pool);  // after the relay and TCP stack drew from it
        p.out_pool = nullptr;
    }
}

int dataplane::loop_entry(void* arg) {
    auto* a = static_cast<loop_arg*>(arg);
    a->self->loop(*static_cast<poller*>(a->poller));
    delete a;
    return 0;
}

std::expected<void, platform::error> dataplane::launch() {
    if (roles_.single_core()) {
        return {};
    }
    for (auto& p : pollers_) {
        auto* arg = new loop_arg{this, &p};
        if (int rc = rte_eal_remote_launch(loop_entry, arg, p.lcore); rc != 0) {
            delete arg;
            request_stop();
            return std::unexpected(
                make_error("lcore " + std::to_string(p.lcore), "cannot launch the dataplane loop"));
        }
    }
    launched_ = true;
    return {};
}

void dataplane::run_main_lcore() {
    if (!roles_.single_core() || pollers_.empty()) {
        return;
    }
    IMSD_LOG(dataplane, INFO, "single-core mode: lcore {} polls the ports", pollers_[0].lcore);
    loop(pollers_[0]);
}

void dataplane::set_single_core_service(std::function<void()> fn, uint32_t period_ms) {
    service_ = std::move(fn);
    service_period_ms_ = period_ms;
}

void dataplane::loop(poller& p) noexcept {
    net::net_ctx& ctx = *p.ctx;
    const uint32_t reader = p.queue;
    const uint16_t burst = settings_.dataplane.burst;
    const uint32_t idle_sleep_us = settings_.dataplane.idle_sleep_us;
    const uint64_t timer_tsc = rte_get_tsc_hz() / 1000000 * timer_period_us;
    uint64_t next_timer = rte_rdtsc() + timer_tsc;
    // Single-core mode: the control plane's housekeeping, from this loop.
    const bool serves = roles_.single_core() && service_ && p.lcore == pollers_[0].lcore;
    const uint64_t service_tsc = rte_get_tsc_hz() / 1000 * std::max(service_period_ms_, 1u);
    uint64_t next_service = rte_rdtsc() + service_tsc;
    rte_mbuf* rx[2 * net::max_burst];  // room for duplicates of the impairment stage
    // The first poller owns the exception path's TAP.
    const bool owns_punt = punt_open_ && &p == &pollers_[0];

    rcu_->reader_online(reader);
    // The lcore's load: each poll's cycles (start to next start, so no extra
    // TSC read) go to busy or idle by whether it had work.
    uint64_t poll_start = rte_rdtsc();
    bool had_work = false;
    while (!stop_.load(std::memory_order_relaxed) && !platform::shutdown_requested()) {
        ctx.now_tsc = rte_rdtsc();
        (had_work ? ctx.cnt.poll_busy_cycles : ctx.cnt.poll_idle_cycles) +=
            ctx.now_tsc - poll_start;
        ctx.cnt.polls_busy += had_work ? 1 : 0;
        poll_start = ctx.now_tsc;
        if (hold_.load(std::memory_order_acquire)) [[unlikely]] {
            held_.fetch_add(1, std::memory_order_acq_rel);
            while (hold_.load(std::memory_order_acquire) &&
                   !stop_.load(std::memory_order_relaxed) && !platform::shutdown_requested()) {
                rcu_->quiescent(reader);
                rte_delay_us_sleep(100);
            }
            held_.fetch_sub(1, std::memory_order_acq_rel);
            poll_start = rte_rdtsc();  // the time held is neither busy nor idle
            had_work = false;
            continue;
        }
        ctx.cfg = config_->get();
        if (p.msrp) {
            p.msrp->policy = policy_.load(std::memory_order_acquire);
        }
        if (ctx.n_pollers > 1) {  // nothing to take from other lcores otherwise
            net::neighbour_sync_input(ctx);
            net::steer_input(ctx);
        }
        uint32_t received = 0;
        for (uint16_t i = 0; i < ctx.cfg->n_ports; ++i) {
            uint16_t n = rte_eth_rx_burst(ctx.cfg->ports[i].port_id, p.queue, rx, burst);
            if (p.impair) [[unlikely]] {
                impair_stage& st = (*p.impair)[2 * i];
                n = st.apply(rx, n, 2 * net::max_burst, ctx.now_tsc, ctx.cnt);
                n = st.release(rx, n, 2 * net::max_burst, ctx.now_tsc);
            }
            if (n != 0) {
                received += n;
                net::net_input(ctx, i, std::span<rte_mbuf*>(rx, n));
            }
        }
        if (p.tcp) {
            request reqs[8];
            const unsigned nreq =
                rte_ring_sc_dequeue_burst_elem(p.requests, reqs, sizeof(request), 8, nullptr);
            for (unsigned r = 0; r < nreq; ++r) {
                if (reqs[r].kind == request::dump) {
                    dump_connections(p, *reqs[r].job);
                } else if (reqs[r].kind == request::call) {
                    reqs[r].fn(*p.tcp, reqs[r].arg);
                } else {
                    tcp::start_source(*p.tcp, reqs[r].port_index, reqs[r].local_ip,
                                      reqs[r].remote_ip, reqs[r].remote_port, reqs[r].bytes);
                }
            }
            p.tcp->timers_run(ctx.now_tsc);
            if (p.msrp) {
                p.msrp->poll(ctx.now_tsc);  // what the input relayed leaves now
            }
            p.tcp->flush_acks();  // ACKs no data carried: one per connection per poll
        }
        if (owns_punt) {
            received += punt::poll(ctx, punt_, burst);
        }
        if (ctx.now_tsc >= next_timer) {
            net::neighbour_timers(ctx);
            sip::sip_timers(ctx);
            next_timer = ctx.now_tsc + timer_tsc;
        }
        bool served = false;
        if (serves && ctx.now_tsc >= next_service) [[unlikely]] {
            // The housekeeping is imsd's work like any other (the relay's
            // per-message events are drained here): its poll counts busy.
            const uint64_t t0 = rte_rdtsc();
            service_();
            ctx.cnt.service_cycles += rte_rdtsc() - t0;
            next_service = ctx.now_tsc + service_tsc;
            served = true;
        }
        bool sent_any = false;
        for (uint16_t i = 0; i < ctx.cfg->n_ports; ++i) {
            net::tx_buffer& tx = ctx.tx[i];
            if (p.impair) [[unlikely]] {
                impair_stage& st = (*p.impair)[2 * i + 1];
                tx.count =
                    st.apply(tx.pkts.data(), tx.count, net::tx_capacity, ctx.now_tsc, ctx.cnt);
                tx.count = st.release(tx.pkts.data(), tx.count, net::tx_capacity, ctx.now_tsc);
            }
            if (tx.count == 0) {
                continue;
            }
            sent_any = true;
            const uint16_t sent =
                rte_eth_tx_burst(ctx.cfg->ports[i].port_id, p.queue, tx.pkts.data(), tx.count);
            for (uint16_t k = 0; k < sent; ++k) {
                ctx.cnt.tx_bytes += rte_pktmbuf_pkt_len(tx.pkts[k]);
            }
            ctx.cnt.tx_packets += sent;
            for (uint16_t k = sent; k < tx.count; ++k) {
                ++ctx.cnt.tx_full;
                rte_pktmbuf_free(tx.pkts[k]);
            }
            tx.count = 0;
        }
        ctx.cfg = nullptr;
        rcu_->quiescent(reader);
        had_work = received != 0 || sent_any || served;
        if (received == 0 && idle_sleep_us != 0) {
            // Lab boxes share cores with their peers; production polls.
            rte_delay_us_sleep(idle_sleep_us);
        }
    }
    if (p.tcp) {
        ctx.cfg = config_->get();
        tcp::tcp_drain(*p.tcp);  // connections gone, their mbufs back
        ctx.cfg = nullptr;
    }
    if (p.impair) {
        for (auto& st : *p.impair) {
            st.drain();
        }
    }
    net::net_ctx_drain(ctx);
    rcu_->reader_offline(reader);
}

bool dataplane::hold_ports(bool hold, uint32_t timeout_ms) noexcept {
    hold_.store(hold, std::memory_order_release);
    if (!hold) {
        return true;
    }
    const uint64_t until = rte_get_timer_cycles() + rte_get_timer_hz() / 1000 * timeout_ms;
    while (held_.load(std::memory_order_acquire) < pollers_.size()) {
        if (rte_get_timer_cycles() > until) {
            return false;
        }
        rte_delay_us_sleep(100);
    }
    return true;
}

void dataplane::shutdown() {
    if (shut_) {
        return;
    }
    shut_ = true;
    request_stop();
    if (launched_) {
        for (const auto& p : pollers_) {
            rte_eal_wait_lcore(p.lcore);
        }
        launched_ = false;
    }
    for (auto& p : pollers_) {
        rte_ring_free(p.requests);
        p.requests = nullptr;
        if (p.tcp) {
            p.ctx->cfg = config_->get();
            p.tcp.reset();  // drains what a loop that never ran still holds
            p.ctx->cfg = nullptr;
        }
        p.msrp.reset();  // its scan streams closed: the policies can go
        rte_ring_free(p.events);
        p.events = nullptr;
        if (p.impair) {
            for (auto& st : *p.impair) {
                st.drain();
            }
        }
        net::net_ctx_drain(*p.ctx);
        p.ctx->neigh.reset();
        rte_ring_free(p.ctx->neigh_inbox);
        p.ctx->neigh_inbox = nullptr;
        if (p.steer != nullptr) {
            void* m = nullptr;
            while (rte_ring_dequeue(p.steer, &m) == 0) {
                rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
            }
            rte_ring_free(p.steer);
            p.steer = nullptr;
        }
        p.ctx->steer_inbox.fill(nullptr);
        p.ctx->n_peers = 0;
    }
    if (punt_open_) {
        punt::close(punt_);
        punt_open_ = false;
    }
    for (auto& p : pollers_) {
        p.ctx->punt_ring = nullptr;
    }
    if (ports_) {
        ports_->close();
    }
    std::lock_guard lock(policy_mu_);
    policy_.store(nullptr);
    policy_live_.reset();
    policy_retired_.clear();
}

std::expected<void, platform::error> dataplane::apply_policy(platform::content_db db,
                                                             policy::limits lim) {
    auto ps = policy::policy_set::create(
        std::move(db), std::move(lim), static_cast<unsigned>(std::max<size_t>(pollers_.size(), 1)));
    if (!ps) {
        return std::unexpected(ps.error());
    }
    std::lock_guard lock(policy_mu_);
    std::unique_ptr<policy::policy_set> old = std::move(policy_live_);
    policy_live_ = std::move(*ps);
    policy_.store(policy_live_.get(), std::memory_order_release);
    if (old) {
        rcu_->synchronize();  // no lcore takes the old one for a new message now
        policy_retired_.push_back(std::move(old));
    }
    std::erase_if(policy_retired_, [](const auto& r) { return r->idle(); });
    return {};
}

std::vector<rte_ring*> dataplane::event_rings() const {
    std::vector<rte_ring*> out;
    for (const auto& p : pollers_) {
        if (p.events != nullptr) {
            out.push_back(p.events);
        }
    }
    return out;
}

std::expected<unsigned, platform::error> dataplane::start_tcp_source(uint32_t ip_be, uint16_t port,
                                                                     uint64_t bytes) {
    if (pollers_.empty() || !pollers_[0].tcp) {
        return std::unexpected(
            make_error("dataplane/tcp", "TCP is off (no echo-port or sink-port in the settings)"));
    }
    const net::net_config cfg = ports_->config();
    request req{request::source, ip_be, 0, rte_cpu_to_be_16(port), 0, bytes, nullptr};
    bool found = false;
    for (uint16_t i = 0; i < cfg.n_ports && !found; ++i) {
        if (cfg.ports[i].on_link(ip_be) || (i + 1 == cfg.n_ports && cfg.ports[i].gateway_be)) {
            req.port_index = i;
            req.local_ip = cfg.ports[i].source_for(ip_be);
            found = true;
        }
    }
    if (!found) {
        return std::unexpected(make_error(format_ipv4(ip_be),
                                          "no port reaches this address (no on-link prefix, no "
                                          "gateway)"));
    }
    poller& p = pollers_[next_poller_.fetch_add(1) % pollers_.size()];
    if (rte_ring_mp_enqueue_elem(p.requests, &req, sizeof(req)) != 0) {
        return std::unexpected(
            make_error("lcore " + std::to_string(p.lcore), "its request queue is full; try again"));
    }
    return p.lcore;
}

std::expected<void, platform::error> dataplane::call_on_lcores(void (*fn)(tcp::tcp_stack&, void*),
                                                               void* arg) {
    if (pollers_.empty() || !pollers_[0].tcp) {
        return std::unexpected(
            make_error("dataplane/tcp", "TCP is off (no echo-port or sink-port in the settings)"));
    }
    for (poller& p : pollers_) {
        request req{request::call, 0, 0, 0, 0, 0, nullptr, fn, arg};
        if (rte_ring_mp_enqueue_elem(p.requests, &req, sizeof(req)) != 0) {
            return std::unexpected(make_error("lcore " + std::to_string(p.lcore),
                                              "its request queue is full; try again"));
        }
    }
    return {};
}

std::expected<void, platform::error> dataplane::run_session_job(std::unique_ptr<msrp_job>& job,
                                                                const char* refused) {
    if (auto r = run_msrp_job(job, msrp_owner(job->id)); !r) {
        return r;
    }
    if (!job->ok) {
        return std::unexpected(make_error("session " + std::to_string(job->id), refused));
    }
    return {};
}

size_t dataplane::msrp_owner(uint32_t id) const {
    // Session ids name their lcore: id = n * k + index + 1 (msrp::relay).
    return id == 0 ? 0 : (id - 1) % pollers_.size();
}

std::expected<void, platform::error> dataplane::run_msrp_job(std::unique_ptr<msrp_job>& job,
                                                             size_t poller_index) {
    if (pollers_.empty() || !pollers_[0].msrp) {
        return std::unexpected(make_error(
            "dataplane/msrp", "the MSRP relay is off (no dataplane/msrp in the settings)"));
    }
    poller& p = pollers_[poller_index % pollers_.size()];
    job->relay = p.msrp.get();
    request req{request::call,
                0,
                0,
                0,
                0,
                0,
                nullptr,
                [](tcp::tcp_stack&, void* arg) {
                    auto& j = *static_cast<msrp_job*>(arg);
                    switch (j.what) {
                        case msrp_job::op::create:
                            j.ok = j.relay->create_session(j.info);
                            break;
                        case msrp_job::op::set_remote:
                            j.ok = j.relay->set_remote(j.id, j.leg, j.path, j.active);
                            break;
                        case msrp_job::op::release:
                            j.ok = j.relay->release(j.id);
                            break;
                        case msrp_job::op::media_policy:
                            j.ok = j.relay->set_media_policy(j.id, j.types, j.wrapped, j.max_size);
                            break;
                        case msrp_job::op::report_leg:
                            j.ok = j.relay->set_report_leg(j.id, j.leg);
                            break;
                        case msrp_job::op::list:
                            j.relay->list(j.rows);
                            j.ok = true;
                            break;
                    }
                    j.done.store(true, std::memory_order_release);
                },
                job.get()};
    if (rte_ring_mp_enqueue_elem(p.requests, &req, sizeof(req)) != 0) {
        return std::unexpected(
            make_error("lcore " + std::to_string(p.lcore), "its request queue is full; try again"));
    }
    const uint64_t deadline = rte_get_tsc_cycles() + rte_get_tsc_hz();
    while (!job->done.load(std::memory_order_acquire) && rte_get_tsc_cycles() < deadline) {
        rte_delay_us_sleep(100);
    }
    if (!job->done.load(std::memory_order_acquire)) {
        std::lock_guard lock(late_mu_);
        late_msrp_jobs_.push_back(std::move(job));
        return std::unexpected(
            make_error("lcore " + std::to_string(p.lcore), "did not answer within 1 s"));
    }
    return {};
}

std::expected<msrp::session_info, platform::error> dataplane::msrp_create() {
    auto job = std::make_unique<msrp_job>();
    job->what = msrp_job::op::create;
    // New sessions go round the lcores (each serves its own MSRP port).
    if (auto r = run_msrp_job(job, next_msrp_.fetch_add(1) % pollers_.size()); !r) {
        return std::unexpected(r.error());
    }
    if (!job->ok) {
        return std::unexpected(
            make_error("dataplane/msrp/max-sessions", "the session table is full"));
    }
    return job->info;
}

std::expected<void, platform::error> dataplane::msrp_set_remote(uint32_t id, int leg,
                                                                const std::string& path,
                                                                bool active) {
    auto job = std::make_unique<msrp_job>();
    job->what = msrp_job::op::set_remote;
    job->id = id;
    job->leg = leg;
    job->path = path;
    job->active = active;
    return run_session_job(job,
                           "no such session, or a path that is empty or longer "
                           "than 512 bytes");
}

std::expected<void, platform::error> dataplane::msrp_release(uint32_t id) {
    auto job = std::make_unique<msrp_job>();
    job->what = msrp_job::op::release;
    job->id = id;
    return run_session_job(job, "no such session");
}

std::expected<void, platform::error> dataplane::msrp_report_leg(uint32_t id, int leg) {
    auto job = std::make_unique<msrp_job>();
    job->what = msrp_job::op::report_leg;
    job->id = id;
    job->leg = leg;
    return run_session_job(job, "no such session");
}

std::expected<void, platform::error> dataplane::msrp_media_policy(uint32_t id,
                                                                  const std::string& types,
                                                                  const std::string& wrapped,
                                                                  uint64_t max_size) {
    auto job = std::make_unique<msrp_job>();
    job->what = msrp_job::op::media_policy;
    job->id = id;
    job->types = types;
    job->wrapped = wrapped;
    job->max_size = max_size;
    return run_session_job(job, "no such session, or a type list over 256 bytes");
}

std::expected<std::vector<msrp::session_info>, platform::error> dataplane::msrp_sessions() {
    std::vector<msrp::session_info> rows;
    for (size_t i = 0; i < pollers_.size(); ++i) {
        auto job = std::make_unique<msrp_job>();
        job->what = msrp_job::op::list;
        job->rows.reserve(settings_.dataplane.msrp.max_sessions);
        if (auto r = run_msrp_job(job, i); !r) {
            return std::unexpected(r.error());
        }
        for (auto& row : job->rows) {
            rows.push_back(std::move(row));
        }
    }
    return rows;
}

// The owning lcore: what a "show connections" asked for, written into
// memory the control thread reserved (no allocation here).
void dataplane::dump_connections(poller& p, dump_job& job) noexcept {
    for (auto& t : p.tcp->all()) {
        if (!t.in_use || job.rows.size() == job.rows.capacity()) {
            continue;
        }
        conn_row r;
        r.lcore = p.lcore;
        r.state = tcp::state_name(t.state);
        r.local_ip = t.local_ip;
        r.local_port = rte_be_to_cpu_16(t.local_port);
        r.remote_ip = t.remote_ip;
        r.remote_port = rte_be_to_cpu_16(t.remote_port);
        r.send_queued = t.sndq != nullptr ? rte_pktmbuf_pkt_len(t.sndq) : 0;
        r.recv_queued = t.rcvq != nullptr ? rte_pktmbuf_pkt_len(t.rcvq) : 0;
        r.ooo_segs = t.ooo_count;
        r.cwnd = t.cwnd;
        r.srtt_us = t.srtt_us;
        r.rto_ms = t.rto_ms;
        job.rows.push_back(r);
    }
    job.done.store(true, std::memory_order_release);
}

std::expected<std::vector<dataplane::conn_row>, platform::error> dataplane::connections() {
    std::vector<conn_row> all;
    if (pollers_.empty() || !pollers_[0].tcp) {
        return std::unexpected(
            make_error("dataplane/tcp", "TCP is off (no echo-port or sink-port in the settings)"));
    }
    for (auto& p : pollers_) {
        auto job = std::make_unique<dump_job>();
        job->rows.reserve(settings_.limits.max_connections_per_lcore);
        request req{request::dump, 0, 0, 0, 0, 0, job.get()};
        if (rte_ring_mp_enqueue_elem(p.requests, &req, sizeof(req)) != 0) {
            return std::unexpected(make_error("lcore " + std::to_string(p.lcore),
                                              "its request queue is full; try again"));
        }
        // The lcore answers within a poll; a stopped one never does.
        const uint64_t deadline = rte_get_tsc_cycles() + rte_get_tsc_hz();
        while (!job->done.load(std::memory_order_acquire) && rte_get_tsc_cycles() < deadline) {
            rte_delay_us_sleep(100);
        }
        if (!job->done.load(std::memory_order_acquire)) {
            // Keep the job alive: the lcore may still write it.
            std::lock_guard lock(late_mu_);
            late_jobs_.push_back(std::move(job));
            return std::unexpected(
                make_error("lcore " + std::to_string(p.lcore), "did not answer within 1 s"));
        }
        all.insert(all.end(), job->rows.begin(), job->rows.end());
    }
    return all;
}

std::expected<void, platform::error> dataplane::apply(const platform::settings& s) {
    auto cfg = ports_->readdress(s);
    if (!cfg) {
        return std::unexpected(cfg.error());
    }
    fill_sip(*cfg, s);
    config_->publish(std::make_unique<const net::net_config>(*cfg));
    ++config_generation_;
    IMSD_LOG(dataplane, INFO, "port addresses updated (dataplane config generation {})",
             config_generation_);
    return {};
}

void dataplane::fill_sip(net::net_config& cfg, const platform::settings& s) {
    const auto& sp = s.dataplane.sip;
    cfg.sip = net::sip_config{};
    if (!sp.enabled()) {
        return;
    }
    cfg.sip.port_be = rte_cpu_to_be_16(sp.port);
    cfg.sip.rate_per_s = sp.rate_per_source;
    cfg.sip.burst = sp.burst_per_source;
    for (const auto& t : s.im.trusted_peers) {
        if (cfg.sip.n_trusted == net::max_trusted_peers) {
            break;  // the schema allows no more
        }
        const uint32_t mask = t.len == 0 ? 0 : rte_cpu_to_be_32(~uint32_t{0} << (32 - t.len));
        cfg.sip.trusted[cfg.sip.n_trusted++] = net::port_addr{t.addr_be & mask, mask};
    }
}

std::vector<pool_state> dataplane::pools() const {
    std::vector<pool_state> out;
    for (const rte_mempool* mp : {pool_, clone_pool_}) {
        if (mp != nullptr) {
            out.push_back({mp->name, mp->size, rte_mempool_avail_count(mp), 0});
        }
    }
    for (const auto& p : pollers_) {
        if (p.out_pool != nullptr) {
            out.push_back(
                {p.out_pool->name, p.out_pool->size, rte_mempool_avail_count(p.out_pool), 0});
        }
    }
    // Only the packet pool feeds the rx queues and the drivers' rings.
    if (pool_ != nullptr && ports_ && !out.empty()) {
        for (const port_info& p : ports_->ports()) {
            out.front().held_by_drivers_max += mbufs_held_past_close(p.device, p.queues);
        }
    }
    return out;
}

void dataplane::register_stats(platform::registry& reg) {
    platform::counter_group g;
    g.name = "dataplane";
    for (const auto& info : net::counter_infos) {
        g.names.emplace_back(info.name);
        g.descriptions.emplace_back(info.description);
    }
    g.read = [this] {
        std::vector<platform::counter_instance> out;
        for (const auto& p : pollers_) {
            auto values = net::read_counters(p.ctx->cnt);
            out.push_back({"lcore " + std::to_string(p.lcore), p.lcore,
                           std::vector<uint64_t>(values.begin(), values.end())});
        }
        return out;
    };
    reg.add_counters(std::move(g));
    // Whenever there is a stack: the MSRP relay's alone counts too (its
    // retransmissions, bad checksums, carried sums), not only the services'.
    if (!pollers_.empty() && pollers_[0].tcp) {
        platform::counter_group t;
        t.name = "tcp";
        for (const auto& info : tcp::counter_infos) {
            t.names.emplace_back(info.name);
            t.descriptions.emplace_back(info.description);
        }
        t.read = [this] {
            std::vector<platform::counter_instance> out;
            for (const auto& p : pollers_) {
                auto a = tcp::read_counters(p.tcp->cnt);
                std::vector<uint64_t> v(a.begin(), a.end());
                out.push_back({"lcore " + std::to_string(p.lcore), p.lcore, std::move(v)});
            }
            return out;
        };
        reg.add_counters(std::move(t));
    }
    if (!pollers_.empty() && pollers_[0].tcp) {
        // Connections by state: gauges each lcore keeps exact on its own.
        platform::counter_group t;
        t.name = "tcp_states";
        // From SYN-SENT: CLOSED is transient, listeners are not connections.
        for (size_t i = 2; i < tcp::tcp_stack::n_states; ++i) {
            t.names.emplace_back(tcp::state_name(static_cast<tcp::tcp_state>(i)));
            t.descriptions.emplace_back("connections in this state now");
        }
        t.read = [this] {
            std::vector<platform::counter_instance> out;
            for (const auto& p : pollers_) {
                std::vector<uint64_t> v;
                for (size_t i = 2; i < tcp::tcp_stack::n_states; ++i) {
                    v.push_back(__atomic_load_n(&p.tcp->state_count[i], __ATOMIC_RELAXED));
                }
                out.push_back({"lcore " + std::to_string(p.lcore), p.lcore, std::move(v)});
            }
            return out;
        };
        reg.add_counters(std::move(t));
    }
    if (!pollers_.empty() && pollers_[0].msrp) {
        platform::counter_group m;
        m.name = "msrp";
        for (const auto& info : msrp::counter_infos) {
            m.names.emplace_back(info.name);
            m.descriptions.emplace_back(info.description);
        }
        m.read = [this] {
            std::vector<platform::counter_instance> out;
            for (const auto& p : pollers_) {
                if (p.msrp) {
                    auto a = msrp::read_counters(p.msrp->cnt);
                    out.push_back({"lcore " + std::to_string(p.lcore), p.lcore,
                                   std::vector<uint64_t>(a.begin(), a.end())});
                }
            }
            return out;
        };
        reg.add_counters(std::move(m));
    }
    if (!pollers_.empty() && pollers_[0].sip) {
        platform::counter_group g2;
        g2.name = "sip";
        for (const auto& info : sip::counter_infos) {
            g2.names.emplace_back(info.name);
            g2.descriptions.emplace_back(info.description);
        }
        g2.read = [this] {
            std::vector<platform::counter_instance> out;
            for (const auto& p : pollers_) {
                auto a = sip::read_counters(p.sip->cnt);
                std::vector<uint64_t> v(a.begin(), a.end());
                out.push_back({"lcore " + std::to_string(p.lcore), p.lcore, std::move(v)});
            }
            return out;
        };
        reg.add_counters(std::move(g2));
    }
    reg.add_table("ports", "ports, their link state and NIC counters",
                  [this] { return ports_->table(); });
    reg.add_table("pools", "mbuf pools: size and free objects", [this] {
        platform::table t;
        t.columns = {"name", "size", "available", "in_use"};
        for (const pool_state& st : pools()) {
            t.rows.push_back({st.name, uint64_t{st.size}, uint64_t{st.available},
                              uint64_t{st.size - st.available}});
        }
        return t;
    });
}

}  // namespace imsd::dp

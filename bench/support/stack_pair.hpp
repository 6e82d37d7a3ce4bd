#pragma once

// Two per-lcore TCP stacks back to back in one thread, no NIC: what one end
// transmits is the other end's next rx burst. Each end's input runs as the
// dataplane loop runs it (net_input, then the end's `after_input` hook, e.g.
// the relay's output, then the ACKs the poll owes), and may be timed on its
// own, so a benchmark can count the cycles of one end apart from its peer.
// Used by bench_dp_tcp and bench_dp_msrp_relay.

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/net/context.hpp"
#include "dataplane/tcp/tcp.hpp"
#include "tests/support/frames.hpp"

namespace imsd::bench {

// The pool, with every buffer touched once: without hugepages the EAL's
// memory is faulted in page by page, which would be counted against the
// first benchmark otherwise.
inline rte_mempool* pair_pool() {
    static rte_mempool* p = [] {
        rte_mempool* mp = rte_pktmbuf_pool_create("pair_bench_pool", 32767, 256, 0,
                                                  RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
        std::vector<rte_mbuf*> all;
        while (rte_mbuf* m = rte_pktmbuf_alloc(mp)) {
            std::memset(rte_pktmbuf_mtod(m, char*), 0, rte_pktmbuf_tailroom(m));
            all.push_back(m);
        }
        for (rte_mbuf* m : all) {
            rte_pktmbuf_free(m);
        }
        return mp;
    }();
    return p;
}

// Indirect mbufs for zero-copy transmit (IMSD_BENCH_COPY=1: none, so every
// segment copies its payload, for comparison).
inline rte_mempool* pair_clone_pool() {
    static rte_mempool* p = [] {
        const char* copy = std::getenv("IMSD_BENCH_COPY");
        if (copy != nullptr && copy[0] == '1') {
            return static_cast<rte_mempool*>(nullptr);
        }
        return rte_pktmbuf_pool_create("pair_bench_clones", 32767, 256, 0, 0, SOCKET_ID_ANY);
    }();
    return p;
}

// The clock every end runs on: wire() advances it by a fixed step. Ends made
// later start at its reading, not the TSC's, so time never runs backwards
// for them (it would for a second benchmark in the same process).
inline uint64_t& pair_clock() {
    static uint64_t now = rte_rdtsc();
    return now;
}

// One end: a net context (198.18.0.<self>, its one neighbour <other>) with
// its TCP.
struct stack_end {
    dp::net::net_ctx ctx;
    dp::net::net_config cfg;
    std::unique_ptr<dp::tcp::tcp_stack> stack;
    std::function<void()> after_input;  // as the loop's work after net_input
    bool timed = false;                 // count this end's input cycles
    uint64_t busy_cycles = 0;
    uint64_t polls = 0, packets_in = 0;

    stack_end(const char* name, uint8_t self, uint8_t other, uint32_t max_connections = 64) {
        static int n = 0;
        std::string nn = std::string(name) + "_neigh" + std::to_string(n++);
        ctx.neigh = dp::net::neighbour_table::create(nn.c_str(), 64, SOCKET_ID_ANY);
        ctx.pool = pair_pool();
        ctx.clone_pool = pair_clone_pool();
        ctx.now_tsc = pair_clock();
        cfg.n_ports = 1;
        cfg.ports[0].mac = test::mac(self);
        cfg.ports[0].n_addrs = 1;
        cfg.ports[0].addrs[0] = {addr(self), test::addr("255.255.255.0")};
        ctx.cfg = &cfg;
        auto* nb = ctx.neigh->add(0, addr(other));
        nb->mac = test::mac(other);
        nb->state = dp::net::neigh_state::reachable;
        nb->stamp_tsc = ctx.now_tsc;
        dp::tcp::tcp_params p;
        p.tsc_hz = rte_get_tsc_hz();
        p.max_connections = max_connections;
        p.rcv_buffer_bytes = 1 << 20;
        p.snd_buffer_bytes = 1 << 20;
        std::string sn = std::string(name) + "_tcp" + std::to_string(n++);
        stack = dp::tcp::tcp_stack::create(sn.c_str(), p, ctx, SOCKET_ID_ANY);
        ctx.tcp = stack.get();
        ctx.tcp_input = dp::tcp::tcp_input;
    }
    static uint32_t addr(uint8_t host) {
        std::string a = "198.18.0." + std::to_string(host);
        return test::addr(a.c_str());
    }
    // One poll with `n` packets received: input, the hook, the owed ACKs.
    // The timed end's polls run in a function of their own name, so a
    // profile (perf record --call-graph fp) can tell its samples from the
    // peer's.
    void poll(rte_mbuf** pkts, uint16_t n) {
        if (timed) {
            const uint64_t t0 = rte_rdtsc();
            timed_poll(*this, pkts, n);
            busy_cycles += rte_rdtsc() - t0;
        } else {
            peer_poll(*this, pkts, n);
        }
        ++polls;
        packets_in += n;
    }
    void run_poll(rte_mbuf** pkts, uint16_t n) {
        if (n != 0) {
            dp::net::net_input(ctx, 0, std::span<rte_mbuf*>(pkts, n));
        }
        if (after_input) {
            after_input();
        }
        stack->flush_acks();
    }
    [[gnu::noinline]] static void timed_poll(stack_end& e, rte_mbuf** pkts, uint16_t n) {
        e.run_poll(pkts, n);
    }
    [[gnu::noinline]] static void peer_poll(stack_end& e, rte_mbuf** pkts, uint16_t n) {
        e.run_poll(pkts, n);
    }
};

// Moves everything in flight from one end to the other until both are quiet,
// or for at most `max_rounds` exchanges (a workload that answers every
// answer with a new request is never quiet).
// Time advances by a fixed step per call instead of a TSC reading: on this
// virtual machine a TSC read per exchange cost more than the stacks did
// (16 MiB: 33 ms with, 8 ms without). The step keeps timers meaningful.
inline void wire(stack_end& a, stack_end& b, uint64_t max_rounds = UINT64_MAX) {
    uint64_t& now = pair_clock();
    now += rte_get_tsc_hz() / 1000000;  // 1 us per exchange
    a.ctx.now_tsc = now;
    b.ctx.now_tsc = now;
    a.stack->flush_acks();  // what a timer or a send outside a poll owes
    b.stack->flush_acks();
    for (uint64_t round = 0; round < max_rounds; ++round) {
        auto& ta = a.ctx.tx[0];
        auto& tb = b.ctx.tx[0];
        if (ta.count == 0 && tb.count == 0) {
            return;
        }
        rte_mbuf* burst[dp::net::tx_capacity];
        uint16_t n = ta.count;
        std::memcpy(burst, ta.pkts.data(), n * sizeof(rte_mbuf*));
        ta.count = 0;
        if (n != 0) {
            b.poll(burst, n);
        }
        n = tb.count;
        std::memcpy(burst, tb.pkts.data(), n * sizeof(rte_mbuf*));
        tb.count = 0;
        if (n != 0) {
            a.poll(burst, n);
        }
    }
}

}  // namespace imsd::bench

// imsgen: a DPDK load generator built on imsd's own dataplane and TCP. It
// owns one port (a net_memif client in the benchmark: imsd is the memif
// server), polls it on one lcore, and runs one workload against imsd's echo
// or sink service:
//   bulk  --bytes N [--conns C]     C sources sending N bytes in all to a sink
//   rr    --messages M --size B --conns C   request/response over C connections
//   churn --messages M --size B --conns C   M connections, one exchange each
//   msrp  --uri-a U --messages M --size B --window W   both legs of one relayed
//         MSRP session (bench/imsgen/msrp_load.hpp): prints "listening" on
//         stderr once leg B listens, then waits for imsd to connect to it;
//         with --serve, one session per line of standard input
// It prints one JSON line: elapsed seconds, what was moved, and its own CPU
// use (process CPU seconds, and the busy cycles of its polling lcore).

#include <arpa/inet.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "bench/imsgen/msrp_load.hpp"
#include "bench/imsgen/workloads.hpp"
#include "bench/support/cpu_time.hpp"
#include "dataplane/worker/dataplane.hpp"
#include "platform/eal/eal.hpp"
#include "platform/log/log.hpp"
#include "platform/signal/shutdown.hpp"
#include "platform/stats/registry.hpp"

using namespace imsd;

namespace {

// The total of one counter of a group ("dataplane", "tcp") over its lcores.
uint64_t counter(const platform::registry& reg, const std::string& group, const std::string& name) {
    for (const auto& g : reg.counter_groups()) {
        if (g.name != group) {
            continue;
        }
        const auto total = platform::sum(g.read(), g.names.size());
        for (size_t i = 0; i < g.names.size(); ++i) {
            if (g.names[i] == name) {
                return total[i];
            }
        }
    }
    return 0;
}

struct options {
    std::string body_file;
    std::string device;
    std::string addr = "198.18.20.2/24";
    std::string peer = "198.18.20.1";
    std::string prefix = "imsgen";
    std::string lcores = "0";
    std::string mode = "bulk";
    uint16_t port = 9;
    uint64_t bytes = 1 << 30;
    uint32_t conns = 1;
    uint64_t messages = 100000;
    uint32_t size = 256;
    uint32_t timeout_s = 120;
    uint32_t mbufs = 32767;
    std::string uri_a;
    uint16_t listen_port = 7000;
    uint32_t window = 32;
    bool serve = false;
};

bool wait_for(const std::function<bool()>& cond, uint32_t timeout_s) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    while (!cond()) {
        if (std::chrono::steady_clock::now() > end || platform::shutdown_requested()) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
}

// One MSRP run: what the control thread is told, from the command line or,
// with --serve, from one line of standard input.
struct msrp_run {
    std::string uri_a;         // empty: options::uri_a
    uint32_t size = 0;         // 0: options::size
    uint64_t messages = 0;     // 0: options::messages
    std::string body_file;     // empty: options::body_file
    uint16_t listen_port = 0;  // 0: options::listen_port
};

// Runs one relayed MSRP session on the lcore (bench/imsgen/msrp_load.hpp):
// leg B listens, "listening <uri>" goes to stderr, then once imsd has bound
// leg B, leg A sends. Sets `result` to the JSON line; 0 when every message
// was answered 200. Control thread only.
int run_msrp(dp::dataplane& dp, const options& o, uint32_t local_be, uint32_t peer_be,
             const msrp_run& r, std::string& result) {
    const uint32_t size = r.size != 0 ? r.size : o.size;
    const uint16_t listen_port = r.listen_port != 0 ? r.listen_port : o.listen_port;
    const std::string& body_file = r.body_file.empty() ? o.body_file : r.body_file;
    auto wait_msrp = [&](const std::atomic<bool>& flag) {
        return wait_for([&] { return flag.load(std::memory_order_acquire); }, o.timeout_s);
    };
    auto& m = *new bench::msrp_load();  // lives until exit: its listener's callbacks hold it
    m.local_ip = local_be;
    m.imsd_ip = peer_be;
    m.imsd_port = o.port;
    m.listen_port = listen_port;
    m.uri_a = r.uri_a.empty() ? o.uri_a : r.uri_a;
    char ip[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &local_be, ip, sizeof(ip));
    m.our_uri_a = "msrp://" + std::string(ip) + ":40000/imsgenlegA0001;tcp";
    m.our_uri_b =
        "msrp://" + std::string(ip) + ":" + std::to_string(listen_port) + "/imsgenlegB0001;tcp";
    m.messages = r.messages != 0 ? r.messages : o.messages;
    m.msg_bytes = size;
    if (!body_file.empty()) {
        std::ifstream in(body_file, std::ios::binary);
        if (!in) {
            result =
                "{\"mode\": \"msrp\", \"ok\": false, \"error\": \"cannot read the body file\"}";
            return 1;
        }
        m.body_text.assign(std::istreambuf_iterator<char>(in), {});
    }
    // Keep what is outstanding within the TCP send buffer.
    m.window = std::max<uint32_t>(1, std::min<uint32_t>(o.window, (192u * 1024) / (size + 300)));
    (void)dp.call_on_lcores(bench::msrp_listen, &m);
    std::fprintf(stderr, "listening %s\n", m.our_uri_b.c_str());
    std::fflush(stderr);
    if (!wait_msrp(m.b_bound)) {
        result = "{\"mode\": \"msrp\", \"ok\": false, \"error\": \"imsd never connected leg B\"}";
        return 1;
    }
    (void)dp.call_on_lcores(bench::msrp_start, &m);
    const bool ok = wait_msrp(m.done);
    const double secs =
        static_cast<double>(m.end_tsc - m.start_tsc) / static_cast<double>(rte_get_tsc_hz());
    const bool good = ok && m.errors == 0;
    char line[512];
    std::snprintf(line, sizeof(line),
                  "{\"mode\": \"msrp\", \"ok\": %s, \"seconds\": %.4f, "
                  "\"messages\": %llu, \"received_b\": %llu, \"errors\": %llu, "
                  "\"size\": %u, \"window\": %u}",
                  good ? "true" : "false", secs, static_cast<unsigned long long>(m.answered),
                  static_cast<unsigned long long>(m.received_b),
                  static_cast<unsigned long long>(m.errors), size, m.window);
    result = line;
    return good ? 0 : 1;
}

// --serve: imsgen stays up (and its memif port with it, so that imsd can be
// a zero-copy memif client, which cannot outlive its server) and runs one
// MSRP session per line of standard input:
//   <imsd's leg A URI> <body bytes> <messages> [<body file>]
// or "hold": the lcore leaves the port alone ("held" on stderr once it
// does) until the next run line, so that the memif client can stop.
// Each run's leg B listens on its own port (--listen-port + the run's
// number). Each run's JSON line goes to stdout; a bad line gets an
// {"ok": false, "error": ...} line. Ends at end of input; 0 when every run
// passed. Control thread only.
int serve_msrp(dp::dataplane& dp, const options& o, uint32_t local_be, uint32_t peer_be) {
    int status = 0;
    uint16_t run_no = 0;
    std::string text;
    while (!platform::shutdown_requested() && std::getline(std::cin, text)) {
        if (text.empty() || text[0] == '#') {
            continue;
        }
        if (text == "hold") {
            // Before the client goes: no burst may be reading its rings when
            // memif unmaps them (dataplane::hold_ports). The next run line
            // lets the lcore go on.
            std::fprintf(stderr, dp.hold_ports(true) ? "held\n" : "hold failed\n");
            std::fflush(stderr);
            continue;
        }
        (void)dp.hold_ports(false);
        std::istringstream in(text);
        msrp_run r;
        in >> r.uri_a >> r.size >> r.messages;
        if (!in || r.size == 0 || r.size > (1u << 20) || r.messages == 0) {
            std::cout << "{\"mode\": \"msrp\", \"ok\": false, \"error\": \"bad run line\"}"
                      << std::endl;
            status = 1;
            continue;
        }
        in >> r.body_file;
        if (run_no >= 60) {  // the stack's 64 listeners
            std::cout << "{\"mode\": \"msrp\", \"ok\": false, \"error\": \"too many runs\"}"
                      << std::endl;
            status = 1;
            continue;
        }
        r.listen_port = static_cast<uint16_t>(o.listen_port + run_no++);
        std::string result;
        if (run_msrp(dp, o, local_be, peer_be, r, result) != 0) {
            status = 1;
        }
        std::cout << result << std::endl;
    }
    return status;
}

}  // namespace

int main(int argc, char** argv) {
    options o;
    CLI::App app{"imsgen: DPDK TCP load generator on imsd's dataplane library"};
    app.add_option("--device", o.device, "the DPDK vdev (e.g. net_memif0,role=client,socket=...)")
        ->required();
    app.add_option("--addr", o.addr, "our address/len");
    app.add_option("--peer", o.peer, "imsd's address");
    app.add_option("--file-prefix", o.prefix, "EAL file prefix");
    app.add_option("--lcores", o.lcores, "EAL lcores (one: single-core), e.g. 0@1");
    app.add_option("--mode", o.mode, "bulk | rr | churn | msrp")
        ->check(CLI::IsMember({"bulk", "rr", "churn", "msrp"}));
    app.add_option("--uri-a", o.uri_a, "msrp: imsd's URI on leg A");
    app.add_option("--listen-port", o.listen_port, "msrp: leg B's port");
    app.add_flag("--serve", o.serve,
                 "msrp: stay up and run one session per stdin line "
                 "(<uri-a> <size> <messages> [<body file>])");
    app.add_option("--window", o.window, "msrp: SENDs outstanding")->check(CLI::Range(1u, 1024u));
    app.add_option("--port", o.port, "imsd's service port (sink for bulk, echo otherwise)");
    app.add_option("--bytes", o.bytes, "bulk: bytes in all");
    app.add_option("--conns", o.conns, "connections at a time")->check(CLI::Range(1u, 4096u));
    app.add_option("--messages", o.messages, "rr / churn: messages (exchanges) in all");
    app.add_option("--size", o.size, "rr / churn: message bytes (msrp: body bytes)")
        ->check(CLI::Range(1u, 1u << 20));
    app.add_option("--timeout", o.timeout_s, "seconds before giving up");
    app.add_option("--body-file", o.body_file, "msrp: cut bodies from this file (default: 'm's)")
        ->check(CLI::ExistingFile);
    app.add_option("--mbufs", o.mbufs, "mbuf pool size");
    CLI11_PARSE(app, argc, argv);

    platform::settings s;
    s.system.file_prefix = o.prefix;
    s.system.lcores = o.lcores;
    s.system.hugepages = platform::hugepage_mode::automatic;
    s.system.log_level = "warning";
    s.dataplane.mbufs = o.mbufs;
    s.dataplane.tcp.sink_port = 9;  // TCP on (nothing connects to it)
    s.dataplane.tcp.max_time_wait = 256;
    s.limits.max_connections_per_lcore = 16384;
    platform::port_settings ps;
    ps.name = "gen0";
    ps.device = o.device;
    const auto slash = o.addr.find('/');
    platform::ipv4_prefix pfx;
    if (inet_pton(AF_INET, o.addr.substr(0, slash).c_str(), &pfx.addr_be) != 1) {
        std::cerr << "imsgen: bad --addr " << o.addr << "\n";
        return 2;
    }
    pfx.len =
        slash == std::string::npos ? 24 : static_cast<uint8_t>(std::stoi(o.addr.substr(slash + 1)));
    ps.addresses.push_back(pfx);
    s.ports.push_back(ps);
    uint32_t peer_be = 0;
    if (inet_pton(AF_INET, o.peer.c_str(), &peer_be) != 1) {
        std::cerr << "imsgen: bad --peer " << o.peer << "\n";
        return 2;
    }

    platform::log_init(RTE_LOG_WARNING);
    platform::install_shutdown_signals();
    auto plan = platform::plan_eal(s, platform::probe_host_memory(), 1);
    if (!plan) {
        std::cerr << "imsgen: " << plan.error().to_string() << "\n";
        return 2;
    }
    auto roles = platform::eal_start(*plan);
    if (!roles) {
        std::cerr << "imsgen: " << roles.error().to_string() << "\n";
        return 3;
    }
    int status = 0;
    {
        auto dp = dp::dataplane::create(s, *roles);
        if (!dp) {
            std::cerr << "imsgen: " << dp.error().to_string() << "\n";
            platform::eal_stop();
            return 3;
        }
        platform::registry reg;
        (*dp)->register_stats(reg);
        if (auto l = (*dp)->launch(); !l) {
            std::cerr << "imsgen: " << l.error().to_string() << "\n";
            return 3;
        }
        bench::workload w;
        std::string result;
        // The lcore's busy cycles so far, and what they come to in seconds.
        auto busy_cycles = [&] { return counter(reg, "dataplane", "poll_busy_cycles"); };
        auto busy_seconds_since = [&](uint64_t from) {
            return static_cast<double>(busy_cycles() - from) /
                   static_cast<double>(rte_get_tsc_hz());
        };
        auto tsc_seconds = [](uint64_t from, uint64_t to) {
            return static_cast<double>(to - from) / static_cast<double>(rte_get_tsc_hz());
        };
        std::thread control([&] {
            // The memif link comes up once imsd (the server) accepts us.
            const bool up = wait_for(
                [] {
                    rte_eth_link link{};
                    return rte_eth_link_get_nowait(0, &link) == 0 &&
                           link.link_status == RTE_ETH_LINK_UP;
                },
                o.timeout_s);
            if (!up) {
                result = "link never came up";
                status = 1;
                (*dp)->request_stop();
                return;
            }
            if (o.mode == "msrp") {
                status = o.serve ? serve_msrp(**dp, o, pfx.addr_be, peer_be)
                                 : run_msrp(**dp, o, pfx.addr_be, peer_be, msrp_run{}, result);
                (*dp)->request_stop();
                return;
            }
            // Warm-up: one small transfer, so ARP is resolved on both sides.
            auto run = [&](bench::workload& wl) {
                if (!(*dp)->call_on_lcores(bench::start_workload, &wl)) {
                    return false;
                }
                return wait_for([&] { return wl.done.load(std::memory_order_acquire); },
                                o.timeout_s);
            };
            auto setup = [&](bench::workload& wl, bench::workload::kind k, uint32_t conns) {
                wl.what = k;
                wl.port_index = 0;
                wl.local_ip = pfx.addr_be;
                wl.remote_ip = peer_be;
                wl.remote_port_be = htons(o.port);
                wl.conns = conns;
                wl.messages = o.messages;
                wl.msg_bytes = o.size;
                wl.bytes = o.bytes;
                wl.slots.resize(conns);
            };
            bench::workload warm;
            setup(warm, bench::workload::kind::bulk, 1);
            warm.bytes = 1448;
            if (!run(warm) || warm.failed != 0) {
                result = "warm-up transfer failed";
                status = 1;
                (*dp)->request_stop();
                return;
            }
            setup(w,
                  o.mode == "bulk" ? bench::workload::kind::bulk
                  : o.mode == "rr" ? bench::workload::kind::rr
                                   : bench::workload::kind::churn,
                  o.conns);
            const uint64_t busy0 = busy_cycles();
            const uint64_t retrans0 = counter(reg, "tcp", "retrans_segs");
            const double cpu0 = imsd::bench::process_cpu_seconds();
            const bool ok = run(w);
            const uint64_t moved =
                o.mode == "bulk" ? w.completed * (o.bytes / o.conns) : w.completed;
            const uint64_t failed = w.failed, corrupt = w.corrupt;
            const double secs = tsc_seconds(w.start_tsc, w.end_tsc);
            const double busy_s = busy_seconds_since(busy0);
            char line[512];
            std::snprintf(
                line, sizeof(line),
                "{\"mode\": \"%s\", \"ok\": %s, \"seconds\": %.4f, \"%s\": %llu, "
                "\"failed\": %llu, \"corrupt\": %llu, \"gen_cpu_s\": %.4f, "
                "\"gen_busy_s\": %.4f, \"retrans\": %llu}",
                o.mode.c_str(), ok && failed == 0 && corrupt == 0 ? "true" : "false", secs,
                o.mode == "bulk" ? "bytes" : "messages", static_cast<unsigned long long>(moved),
                static_cast<unsigned long long>(failed), static_cast<unsigned long long>(corrupt),
                imsd::bench::process_cpu_seconds() - cpu0, busy_s,
                static_cast<unsigned long long>(counter(reg, "tcp", "retrans_segs") - retrans0));
            result = line;
            status = ok && failed == 0 && corrupt == 0 ? 0 : 1;
            (*dp)->request_stop();
        });
        if (roles->single_core()) {
            (*dp)->run_main_lcore();
        }
        control.join();
        (*dp)->shutdown();
        std::cout << result << std::endl;
    }
    platform::eal_stop();
    return status;
}

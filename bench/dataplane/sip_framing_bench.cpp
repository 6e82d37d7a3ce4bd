// SIP-over-UDP framing (dataplane/sip/framing) on a typical INVITE with SDP
// and on its 180 Ringing: messages/s, bytes/s and cycles per message.

#include <benchmark/benchmark.h>
#include <rte_cycles.h>

#include <string>

#include "dataplane/sip/framing.hpp"

namespace {

using namespace imsd::dp::sip;

const std::string sdp =
    "v=0\r\no=alice 2890844526 2890844526 IN IP4 198.18.0.2\r\ns=-\r\nc=IN IP4 198.18.0.2\r\n"
    "t=0 0\r\nm=message 7654 TCP/MSRP *\r\na=accept-types:message/cpim text/plain\r\n"
    "a=path:msrp://198.18.0.2:7654/jshA7weztas;tcp\r\n";

const std::string invite =
    "INVITE sip:bob@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 198.18.0.9:5060;branch=z9hG4bK776asdhds\r\n"
    "Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bKnashds8;received=198.18.0.2\r\n"
    "Max-Forwards: 69\r\n"
    "To: <sip:bob@example.com>\r\n"
    "From: \"Alice\" <sip:alice@example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:alice@198.18.0.2:5060>;+g.oma.sip-im\r\n"
    "P-Asserted-Identity: <sip:alice@example.com>\r\n"
    "Accept-Contact: *;+g.oma.sip-im\r\n"
    "User-Agent: IM-client/OMA2.0 lab/1.0\r\n"
    "Allow: INVITE, ACK, CANCEL, BYE, MESSAGE, OPTIONS\r\n"
    "Supported: timer\r\n"
    "Session-Expires: 1800;refresher=uac\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: " +
    std::to_string(sdp.size()) + "\r\n\r\n" + sdp;

const std::string ringing =
    "SIP/2.0 180 Ringing\r\n"
    "Via: SIP/2.0/UDP 198.18.0.9:5060;branch=z9hG4bK776asdhds\r\n"
    "To: <sip:bob@example.com>;tag=8321234356\r\n"
    "From: \"Alice\" <sip:alice@example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Content-Length: 0\r\n\r\n";

void run(benchmark::State& state, const std::string& msg) {
    limits lim;
    message_view m;
    if (frame_udp(msg, lim, m) != verdict::ok) {
        state.SkipWithError(m.reason);
        return;
    }
    const uint64_t c0 = rte_rdtsc();
    for (auto _ : state) {
        const verdict v = frame_udp(msg, lim, m);
        benchmark::DoNotOptimize(v);
        benchmark::DoNotOptimize(m);
    }
    const uint64_t cycles = rte_rdtsc() - c0;
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * msg.size()));
    state.counters["cycles_per_msg"] =
        benchmark::Counter(static_cast<double>(cycles) / static_cast<double>(state.iterations()));
}

void BM_sip_frame_invite(benchmark::State& s) { run(s, invite); }
void BM_sip_frame_180(benchmark::State& s) { run(s, ringing); }
BENCHMARK(BM_sip_frame_invite);
BENCHMARK(BM_sip_frame_180);

}  // namespace

BENCHMARK_MAIN();

#include "dataplane/sip/udp.hpp"

#include <rte_ip.h>
#include <rte_udp.h>

#include <cstring>

#include "dataplane/net/cksum.hpp"
#include "platform/text/ascii.hpp"

namespace imsd::dp::sip {

namespace {

constexpr uint32_t eth_len = sizeof(rte_ether_hdr);

void bump(counters& c, verdict v) noexcept {
    switch (v) {
        case verdict::ok:
            return;
        case verdict::not_sip:
            ++c.not_sip;
            return;
        case verdict::malformed:
            ++c.malformed;
            return;
        case verdict::too_large:
            ++c.too_large;
            return;
        case verdict::too_many_headers:
            ++c.too_many_headers;
            return;
        case verdict::missing_header:
            ++c.missing_header;
            return;
        case verdict::cseq_mismatch:
            ++c.cseq_mismatch;
            return;
        case verdict::body_truncated:
            ++c.body_truncated;
            return;
    }
}

struct writer {
    char* p;
    size_t room;
    size_t len = 0;
    bool ok = true;
    void put(std::string_view s) noexcept {
        if (!ok || s.size() > room - len) {
            ok = false;
            return;
        }
        std::memcpy(p + len, s.data(), s.size());
        len += s.size();
    }
};

bool has_tag(std::string_view to) noexcept {
    // A ";tag=" parameter outside the <...> of the name-addr.
    const size_t gt = to.rfind('>');
    std::string_view params = gt == std::string_view::npos ? to : to.substr(gt);
    for (size_t i = 0; i + 4 <= params.size(); ++i) {
        if (params[i] == ';') {
            std::string_view rest = params.substr(i + 1);
            while (!rest.empty() && (rest[0] == ' ' || rest[0] == '\t')) {
                rest.remove_prefix(1);
            }
            if (rest.size() >= 3 && platform::iequal(rest.substr(0, 3), "tag")) {
                return true;
            }
        }
    }
    return false;
}

// Sends the answer to a refused request back to where it came from: a new
// packet, addresses and ports swapped.
void answer(net::net_ctx& ctx, sip_ctx& s, uint16_t port_index, const rte_ipv4_hdr* ip,
            const rte_udp_hdr* uh, const message_view& v, verdict why) noexcept {
    rte_mbuf* r = rte_pktmbuf_alloc(ctx.pool);
    if (r == nullptr) {
        ++s.cnt.answer_failed;
        return;
    }
    const uint32_t hdrs = eth_len + sizeof(rte_ipv4_hdr) + sizeof(rte_udp_hdr);
    char* base = rte_pktmbuf_mtod(r, char*);
    const size_t room = rte_pktmbuf_tailroom(r);
    char agent[16];
    const uint32_t local = rte_be_to_cpu_32(ip->dst_addr);
    const int alen = snprintf(agent, sizeof(agent), "%u.%u.%u.%u", local >> 24, (local >> 16) & 255,
                              (local >> 8) & 255, local & 255);
    const bool large = why == verdict::too_large;
    const size_t n =
        room > hdrs
            ? build_answer(v, large ? 513 : 400, large ? "Message Too Large" : "Bad Request",
                           v.reason, s.server, std::string_view(agent, static_cast<size_t>(alen)),
                           base + hdrs, room - hdrs)
            : 0;
    if (n == 0) {
        rte_pktmbuf_free(r);
        ++s.cnt.answer_failed;
        return;
    }
    rte_pktmbuf_append(r, static_cast<uint16_t>(hdrs + n));
    auto* oip = reinterpret_cast<rte_ipv4_hdr*>(base + eth_len);
    std::memset(oip, 0, sizeof(*oip));
    oip->version_ihl = RTE_IPV4_VHL_DEF;
    oip->total_length =
        rte_cpu_to_be_16(static_cast<uint16_t>(sizeof(rte_ipv4_hdr) + sizeof(rte_udp_hdr) + n));
    oip->time_to_live = 64;
    oip->next_proto_id = IPPROTO_UDP;
    oip->src_addr = ip->dst_addr;
    oip->dst_addr = ip->src_addr;
    oip->hdr_checksum = rte_ipv4_cksum(oip);
    auto* ouh = reinterpret_cast<rte_udp_hdr*>(oip + 1);
    ouh->src_port = uh->dst_port;
    ouh->dst_port = uh->src_port;
    ouh->dgram_len = rte_cpu_to_be_16(static_cast<uint16_t>(sizeof(rte_udp_hdr) + n));
    ouh->dgram_cksum = 0;
    ouh->dgram_cksum = rte_ipv4_udptcp_cksum(oip, ouh);
    r->l2_len = eth_len;
    r->l3_len = sizeof(rte_ipv4_hdr);
    ++s.cnt.answered;
    net::ipv4_output(ctx, port_index, r, oip->dst_addr);
}

}  // namespace

size_t build_answer(const message_view& v, uint16_t status, std::string_view reason_phrase,
                    std::string_view warning, std::string_view server, std::string_view agent,
                    char* out, size_t room) noexcept {
    if (!v.request || v.method == "ACK" || v.via.empty() || v.from.empty() || v.to.empty() ||
        v.call_id.empty() || v.cseq.empty()) {
        return 0;  // 17.2.1 / 8.2: nothing to answer with, or an ACK (never answered)
    }
    char code[4] = {static_cast<char>('0' + status / 100),
                    static_cast<char>('0' + status / 10 % 10), static_cast<char>('0' + status % 10),
                    0};
    writer w{out, room};
    w.put("SIP/2.0 ");
    w.put(std::string_view(code, 3));
    w.put(" ");
    w.put(reason_phrase);
    w.put("\r\nVia: ");
    w.put(v.via);
    w.put("\r\nFrom: ");
    w.put(v.from);
    w.put("\r\nTo: ");
    w.put(v.to);
    if (!has_tag(v.to)) {
        w.put(";tag=imsd-dp");  // 8.2.6.2: a UAS adds a To tag
    }
    w.put("\r\nCall-ID: ");
    w.put(v.call_id);
    w.put("\r\nCSeq: ");
    w.put(v.cseq);
    if (!server.empty()) {
        w.put("\r\nServer: ");
        w.put(server);
    }
    // 20.43: warn-code 399 (miscellaneous), our address, a quoted text.
    w.put("\r\nWarning: 399 ");
    w.put(agent);
    w.put(" \"");
    for (char c : warning) {
        if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
            c = ' ';
        }
        w.put(std::string_view(&c, 1));
    }
    w.put("\"\r\nContent-Length: 0\r\n\r\n");
    return w.ok ? w.len : 0;
}

void udp_input(net::net_ctx& ctx, uint16_t port_index, rte_mbuf* m, void* ip_hdr,
               uint16_t ihl_bytes) noexcept {
    auto& s = *static_cast<sip_ctx*>(ctx.sip);
    ++s.cnt.udp_in;
    auto* ip = static_cast<rte_ipv4_hdr*>(ip_hdr);
    const uint32_t l4_off = eth_len + ihl_bytes;
    const uint16_t ip_len = rte_be_to_cpu_16(ip->total_length);
    const uint32_t l4_len = static_cast<uint32_t>(ip_len - ihl_bytes);
    if (l4_len < sizeof(rte_udp_hdr) || rte_pktmbuf_data_len(m) < l4_off + sizeof(rte_udp_hdr)) {
        ++s.cnt.udp_malformed;
        rte_pktmbuf_free(m);
        return;
    }
    const auto* uh = rte_pktmbuf_mtod_offset(m, const rte_udp_hdr*, l4_off);
    const uint16_t udp_len = rte_be_to_cpu_16(uh->dgram_len);
    if (udp_len < sizeof(rte_udp_hdr) || udp_len > l4_len) {
        ++s.cnt.udp_malformed;
        rte_pktmbuf_free(m);
        return;
    }
    if (uh->dst_port != ctx.cfg->sip.port_be) {
        ++s.cnt.udp_port_other;
        rte_pktmbuf_free(m);
        return;
    }
    // RFC 768: checksum 0 means none was computed.
    if (uh->dgram_cksum != 0 &&
        (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) != RTE_MBUF_F_RX_L4_CKSUM_GOOD) {
        // The pseudo-header's sum from the values (net::ipv4_phdr_sum: no
        // stack copy read back), its length the IP header's, as DPDK's.
        const uint16_t sum =
            net::sum_add(net::raw_sum_mbuf(m, l4_off, udp_len),
                         net::ipv4_phdr_sum(ip->src_addr, ip->dst_addr, IPPROTO_UDP,
                                            static_cast<uint16_t>(l4_len)));
        if (sum != 0xffff) {
            ++s.cnt.udp_checksum_bad;
            rte_pktmbuf_free(m);
            return;
        }
    }
    // Police before framing: a flood costs a table look-up, not a parse.
    const net::sip_config& sc = ctx.cfg->sip;
    if (sc.trusted_source(ip->src_addr)) {
        ++s.cnt.trusted_in;
    } else {
        switch (s.policer->admit(ip->src_addr, ctx.now_tsc, police_rate{sc.rate_per_s, sc.burst})) {
            case source_policer::outcome::admitted:
                break;
            case source_policer::outcome::admitted_overflow:
                ++s.cnt.overflow_admitted;
                break;
            case source_policer::outcome::dropped:
                ++s.cnt.policed;
                rte_pktmbuf_free(m);
                return;
            case source_policer::outcome::dropped_overflow:
                ++s.cnt.policed_overflow;
                rte_pktmbuf_free(m);
                return;
        }
    }
    const uint32_t payload_off = l4_off + sizeof(rte_udp_hdr);
    const uint32_t payload_len = udp_len - sizeof(rte_udp_hdr);
    std::string_view dgram;
    if (rte_pktmbuf_data_len(m) >= payload_off + payload_len) {
        dgram = std::string_view(rte_pktmbuf_mtod_offset(m, const char*, payload_off), payload_len);
    } else {
        ++s.cnt.udp_chained;
        const void* p = rte_pktmbuf_read(m, payload_off, payload_len, s.scratch.data());
        if (p == nullptr) {
            ++s.cnt.udp_malformed;
            rte_pktmbuf_free(m);
            return;
        }
        dgram = std::string_view(static_cast<const char*>(p), payload_len);
    }
    message_view v;
    const verdict vd = frame_udp(dgram, s.lim, v);
    if (vd != verdict::ok) [[unlikely]] {
        bump(s.cnt, vd);
        if (vd == verdict::too_large && dgram.size() > s.lim.max_message_bytes) {
            // Over the size limit as a whole: read it once more without
            // that limit, only to find what a 513 copies (21.5.12).
            limits wide = s.lim;
            wide.max_message_bytes = static_cast<uint32_t>(dgram.size());
            message_view again;
            frame_udp(dgram, wide, again);
            v = again;
            v.reason = "message larger than limits/max-message-bytes";
        }
        if (vd != verdict::not_sip && v.request) {
            answer(ctx, s, port_index, ip, uh, v, vd);
        }
        rte_pktmbuf_free(m);
        return;
    }
    ++(v.request ? s.cnt.requests_punted : s.cnt.responses_punted);
    net::punt_to_kernel(ctx, m);
}

void sip_timers(net::net_ctx& ctx) noexcept {
    auto* s = static_cast<sip_ctx*>(ctx.sip);
    if (s == nullptr || ctx.now_tsc < s->next_sweep_tsc) {
        return;
    }
    s->next_sweep_tsc = ctx.now_tsc + s->sweep_period_tsc;
    const net::sip_config& sc = ctx.cfg->sip;
    s->cnt.sources_expired +=
        s->policer->sweep(ctx.now_tsc, s->idle_tsc, police_rate{sc.rate_per_s, sc.burst});
}

}  // namespace imsd::dp::sip

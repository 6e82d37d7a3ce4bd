// TCP output: a segment is one mbuf of headers followed by its payload, which
// refers to the send queue's mbufs through indirect mbufs (zero copy) or, for
// short slices and data its sender marked (mark_copy_out), is copied behind
// the headers; the IPv4 layer's next-hop resolution addresses it.

#include <rte_ether.h>
#include <rte_mbuf_dyn.h>
#include <rte_random.h>

#include <algorithm>
#include <cstring>

#include "dataplane/net/cksum.hpp"
#include "dataplane/tcp/internal.hpp"

namespace imsd::dp::tcp {

namespace {

constexpr uint32_t hdrs = sizeof(rte_ether_hdr) + sizeof(rte_ipv4_hdr) + sizeof(rte_tcp_hdr);

// The TCP checksum of a segment (headers and payload, which may span mbufs);
// payload referred to through the clone pool brings its sum along. The
// payload is summed first and the TCP header, written just before, last:
// loads of it right after its narrow stores could not be forwarded from
// them. The pseudo-header's sum comes from the values, not the IP header.
uint16_t tcp_cksum(tcp_stack& s, const rte_mbuf* m, uint32_t src, uint32_t dst, uint32_t th_len,
                   uint32_t l4_len) noexcept {
    const uint32_t l4_off = sizeof(rte_ether_hdr) + sizeof(rte_ipv4_hdr);
    // th_len is a multiple of 4: the payload's words start even, unswapped.
    const uint16_t payload = net::raw_sum_mbuf_carried(
        m, l4_off + th_len, l4_len - th_len, s.net.clone_pool, &s.cnt.tx_sum_carried_bytes);
    const uint16_t header =
        net::raw_sum(rte_pktmbuf_mtod_offset(m, const uint8_t*, l4_off), th_len);
    const uint16_t sum =
        net::sum_add(net::sum_add(payload, header),
                     net::ipv4_phdr_sum(src, dst, IPPROTO_TCP, static_cast<uint16_t>(l4_len)));
    const auto c = static_cast<uint16_t>(~sum & 0xffff);
    return c == 0 ? 0xffff : c;  // as DPDK does: 0 and 0xffff are the same sum
}

// Fills IPv4 and TCP headers after the Ethernet header of m (whose length
// covers everything) and hands it to the IPv4 output.
void finish(tcp_stack& s, uint16_t port_index, rte_mbuf* m, uint32_t src, uint32_t dst,
            uint16_t opt_len, uint32_t payload) noexcept {
    auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv4_hdr*, sizeof(rte_ether_hdr));
    auto* th = reinterpret_cast<rte_tcp_hdr*>(ip + 1);
    const uint32_t th_len = sizeof(rte_tcp_hdr) + opt_len;
    const auto total = static_cast<uint16_t>(sizeof(rte_ipv4_hdr) + th_len + payload);
    const rte_be16_t total_raw = rte_cpu_to_be_16(total);
    const rte_be16_t frag_raw = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
    constexpr uint8_t ttl = 64;
    ip->version_ihl = 0x45;
    ip->type_of_service = 0;
    ip->total_length = total_raw;
    ip->packet_id = 0;
    ip->fragment_offset = frag_raw;
    ip->time_to_live = ttl;
    ip->next_proto_id = IPPROTO_TCP;
    ip->src_addr = src;
    ip->dst_addr = dst;
    ip->hdr_checksum = net::ipv4_hdr_cksum(0, total_raw, 0, frag_raw, ttl, IPPROTO_TCP, src, dst);
    th->cksum = 0;
    th->cksum = tcp_cksum(s, m, src, dst, th_len, th_len + payload);
    ++s.cnt.segs_out;
    net::ipv4_output(s.net, port_index, m, dst);
}

// RFC 2018 4: the blocks of out-of-order data held, the one holding the
// latest arrival first, then the others from the lowest; at most `max`.
uint16_t sack_blocks(tcp_stack& s, const tcb& t, uint32_t (*out)[2], uint16_t max) noexcept {
    uint32_t blocks[64][2];
    uint16_t n = 0;
    s.ooo_for_each(t, [&](const auto& e) {
        const uint32_t l = e.seq.raw;
        const uint32_t r = l + (e.m != nullptr ? rte_pktmbuf_pkt_len(e.m) : 0);
        if (n > 0 && seq_ge(tcp_seq{blocks[n - 1][1]}, tcp_seq{l})) {
            if (seq_gt(tcp_seq{r}, tcp_seq{blocks[n - 1][1]})) {
                blocks[n - 1][1] = r;
            }
        } else if (n < 64) {
            blocks[n][0] = l;
            blocks[n][1] = r;
            ++n;
        }
    });
    uint16_t k = 0;
    for (uint16_t i = 0; i < n && k < max; ++i) {
        if (seq_in(t.ooo_last, tcp_seq{blocks[i][0]}, tcp_seq{blocks[i][1]})) {
            out[k][0] = blocks[i][0];
            out[k][1] = blocks[i][1];
            ++k;
            blocks[i][0] = blocks[i][1];  // taken
        }
    }
    for (uint16_t i = 0; i < n && k < max; ++i) {
        if (blocks[i][0] != blocks[i][1]) {
            out[k][0] = blocks[i][0];
            out[k][1] = blocks[i][1];
            ++k;
        }
    }
    return k;
}

}  // namespace

bool queue_append(rte_mbuf** head, rte_mbuf** last, rte_mbuf* m) noexcept {
    if (*head == nullptr) {
        *head = m;
        *last = rte_pktmbuf_lastseg(m);
        return true;
    }
    if ((*head)->nb_segs + m->nb_segs > RTE_MBUF_MAX_NB_SEGS) {
        return false;
    }
    (*last)->next = m;
    (*head)->nb_segs = static_cast<uint16_t>((*head)->nb_segs + m->nb_segs);
    (*head)->pkt_len += m->pkt_len;
    *last = rte_pktmbuf_lastseg(m);  // m's own segments only
    m->pkt_len = m->data_len;        // pkt_len is only the head's business
    return true;
}

void sndq_drop_front(tcb& t, uint32_t n) noexcept {
    if (t.snd_cur != nullptr) {
        if (t.snd_cur_off + t.snd_cur->data_len <= n) {
            t.snd_cur = nullptr;  // freed with the acknowledged segments
        } else if (t.snd_cur_off <= n) {
            t.snd_cur = nullptr;  // becomes the (trimmed) head: read from there
        } else {
            t.snd_cur_off -= n;
        }
    }
    chain_drop_front(&t.sndq, n);
    if (t.sndq == nullptr) {
        t.sndq_last = nullptr;
        t.snd_cur = nullptr;
    }
}

namespace {

// Room for n more bytes at the end of the packet whose last segment is
// *last: in it when it is a direct mbuf with tailroom, else in a new direct
// mbuf chained after it. Null when the pool is empty.
char* append_room(tcp_stack& s, rte_mbuf* head, rte_mbuf** last, uint32_t n) noexcept {
    rte_mbuf* l = *last;
    if (!RTE_MBUF_DIRECT(l) || rte_pktmbuf_tailroom(l) < n) {
        l = rte_pktmbuf_alloc(s.net.pool);
        if (l == nullptr || rte_pktmbuf_tailroom(l) < n) {
            rte_pktmbuf_free(l);
            ++s.net.cnt.mbuf_alloc_failed;
            return nullptr;
        }
        (*last)->next = l;
        ++head->nb_segs;
        *last = l;
    }
    char* p = rte_pktmbuf_mtod_offset(l, char*, l->data_len);
    l->data_len = static_cast<uint16_t>(l->data_len + n);
    head->pkt_len += n;
    return p;
}

}  // namespace

uint64_t g_copy_out_flag = 0;

bool copy_out_enable() noexcept {
    if (g_copy_out_flag != 0) {
        return true;
    }
    const rte_mbuf_dynflag desc = {.name = "imsd_copy_out", .flags = 0};
    const int bit = rte_mbuf_dynflag_register(&desc);
    if (bit < 0) {
        return false;
    }
    g_copy_out_flag = uint64_t{1} << bit;
    return true;
}

void mark_copy_out(rte_mbuf* m) noexcept { m->ol_flags |= g_copy_out_flag; }

bool sndq_attach(tcp_stack& s, tcb& t, rte_mbuf* head, uint32_t off, uint32_t len) noexcept {
    rte_mbuf* seg = t.sndq;
    uint32_t base = 0;
    if (t.snd_cur != nullptr && off >= t.snd_cur_off) {
        seg = t.snd_cur;
        base = t.snd_cur_off;
    }
    while (seg != nullptr && off >= base + seg->data_len) {
        base += seg->data_len;
        seg = seg->next;
    }
    t.snd_cur = seg;
    t.snd_cur_off = base;
    rte_mbuf* last = rte_pktmbuf_lastseg(head);
    uint32_t in_seg = off - base;
    while (len > 0 && seg != nullptr) {
        const uint32_t n = std::min<uint32_t>(len, seg->data_len - in_seg);
        rte_mbuf* mi = nullptr;
        // Referred to, unless short or marked (mark_copy_out): memif 256 B
        // relaying, see docs/design/msrp.md (stop 22).
        if (n >= zc_min_bytes && (seg->ol_flags & g_copy_out_flag) == 0 &&
            s.net.clone_pool != nullptr && head->nb_segs < RTE_MBUF_MAX_NB_SEGS) {
            mi = rte_pktmbuf_alloc(s.net.clone_pool);
            if (mi == nullptr) [[unlikely]] {
                ++s.cnt.zc_fallback_copies;  // copied below instead
            }
        }
        if (mi != nullptr) {
            // Refers to seg's buffer (its direct one if seg is itself
            // indirect); the buffer lives until the last reference goes.
            rte_pktmbuf_attach(mi, seg);
            mi->data_off = static_cast<uint16_t>(seg->data_off + in_seg);
            mi->data_len = static_cast<uint16_t>(n);
            mi->pkt_len = n;
            // Only a clone-pool segment's carried sum is known to be its own.
            if (seg->pool == s.net.clone_pool) {
                net::data_sum_derive(mi, seg);
            } else {
                net::data_sum_clear(mi);
            }
            last->next = mi;
            last = mi;
            ++head->nb_segs;
            head->pkt_len += n;
        } else {
            char* dst = append_room(s, head, &last, n);
            if (dst == nullptr) [[unlikely]] {
                return false;
            }
            std::memcpy(dst, rte_pktmbuf_mtod_offset(seg, const char*, in_seg), n);
        }
        len -= n;
        in_seg = 0;
        seg = seg->next;
    }
    return len == 0;
}

uint32_t rcv_window(const tcp_stack& s, const tcb& t) noexcept {
    const uint32_t used = rcvq_bytes(t);
    return used >= s.params.rcv_buffer_bytes ? 0 : s.params.rcv_buffer_bytes - used;
}

void arm_rto(tcp_stack& s, tcb& t) noexcept {
    t.rto_at = s.net.now_tsc + ms_to_tsc(s, t.rto_ms);
    s.timer_set(t);
}

void send_segment(tcp_stack& s, tcb& t, tcp_seq seq, uint8_t flags, uint32_t data_off,
                  uint32_t len) noexcept {
    rte_mbuf* m = rte_pktmbuf_alloc(s.net.pool);
    if (m == nullptr) [[unlikely]] {
        ++s.net.cnt.mbuf_alloc_failed;
        return;
    }
    // SYN: MSS (4), NOP + window scale (4), NOP NOP + SACK-permitted (4) and
    // timestamps (12): always in our SYN, in a SYN-ACK each only when the
    // peer offered it. Other segments: timestamps, and SACK blocks while
    // out-of-order data waits.
    const bool syn = (flags & flag_syn) != 0;
    const bool active_syn = syn && t.state == tcp_state::syn_sent;
    // RFC 7323 2.2: window scale in a SYN-ACK only if the SYN had it.
    const bool syn_ws = syn && (active_syn || t.wscale_ok);
    const bool ts = t.ts_ok || active_syn;
    const bool sack_perm = syn && (active_syn || t.sack_ok);
    uint32_t sack[4][2];
    const uint16_t n_sack =
        (!syn && t.sack_ok && (flags & flag_ack) != 0) ? sack_blocks(s, t, sack, ts ? 3 : 4) : 0;
    const uint16_t opt_len =
        static_cast<uint16_t>((syn ? 4 : 0) + (syn_ws ? 4 : 0) + (sack_perm ? 4 : 0) +
                              (ts ? ts_opt_bytes : 0) + (n_sack ? 4 + 8 * n_sack : 0));
    char* p = rte_pktmbuf_append(m, static_cast<uint16_t>(hdrs + opt_len));
    if (p == nullptr) {
        rte_pktmbuf_free(m);
        return;
    }
    auto* th = reinterpret_cast<rte_tcp_hdr*>(p + sizeof(rte_ether_hdr) + sizeof(rte_ipv4_hdr));
    th->src_port = t.local_port;
    th->dst_port = t.remote_port;
    th->sent_seq = rte_cpu_to_be_32(seq.raw);
    th->recv_ack = (flags & flag_ack) ? rte_cpu_to_be_32(t.rcv_nxt.raw) : 0;
    th->data_off = static_cast<uint8_t>(((sizeof(rte_tcp_hdr) + opt_len) / 4) << 4);
    th->tcp_flags = flags;
    // RFC 7323 2.2: the window in a SYN is never scaled.
    uint32_t wnd = rcv_window(s, t);
    // RFC 9293 3.8.6.2.2: never move the right edge left.
    const tcp_seq right = t.rcv_nxt + wnd;
    if (t.rcv_adv_right != 0 && seq_lt(right, tcp_seq{t.rcv_adv_right})) {
        wnd = static_cast<uint32_t>(tcp_seq{t.rcv_adv_right} - t.rcv_nxt);
    }
    const uint32_t shifted =
        syn ? std::min<uint32_t>(wnd, 65535) : std::min<uint32_t>(wnd >> t.rcv_wscale, 65535);
    th->rx_win = rte_cpu_to_be_16(static_cast<uint16_t>(shifted));
    if ((flags & flag_ack) != 0) {
        const uint32_t advertised = syn ? shifted : shifted << t.rcv_wscale;
        const tcp_seq edge = t.rcv_nxt + advertised;
        if (t.rcv_adv_right == 0 || seq_gt(edge, tcp_seq{t.rcv_adv_right})) {
            t.rcv_adv_right = edge.raw;
        }
    }
    th->tcp_urp = 0;
    if (syn) {
        auto* o = reinterpret_cast<uint8_t*>(th + 1);
        const uint16_t mss = s.net.cfg->ports[t.port_index].mtu - 40;
        o[0] = 2;  // MSS
        o[1] = 4;
        o[2] = static_cast<uint8_t>(mss >> 8);
        o[3] = static_cast<uint8_t>(mss & 0xff);
        if (syn_ws) {
            o[4] = 1;  // NOP
            o[5] = 3;  // window scale
            o[6] = 3;
            o[7] = t.rcv_wscale;
        }
    }
    uint8_t* opt = reinterpret_cast<uint8_t*>(th + 1) + (syn ? 4 : 0) + (syn_ws ? 4 : 0);
    if (sack_perm) {
        opt[0] = 1;
        opt[1] = 1;
        opt[2] = 4;  // SACK-permitted
        opt[3] = 2;
        opt += 4;
    }
    if (ts) {
        auto* o = opt;
        opt += ts_opt_bytes;
        o[0] = 1;
        o[1] = 1;
        o[2] = 8;
        o[3] = 10;
        const uint32_t val = rte_cpu_to_be_32(ts_now(s));
        const uint32_t ecr = rte_cpu_to_be_32(t.ts_recent);
        std::memcpy(o + 4, &val, 4);
        std::memcpy(o + 8, &ecr, 4);
    }
    if (n_sack != 0) {
        opt[0] = 1;
        opt[1] = 1;
        opt[2] = 5;  // SACK
        opt[3] = static_cast<uint8_t>(2 + 8 * n_sack);
        for (uint16_t i = 0; i < n_sack; ++i) {
            const uint32_t l = rte_cpu_to_be_32(sack[i][0]);
            const uint32_t r = rte_cpu_to_be_32(sack[i][1]);
            std::memcpy(opt + 4 + 8 * i, &l, 4);
            std::memcpy(opt + 8 + 8 * i, &r, 4);
        }
    }
    if (len != 0 && !sndq_attach(s, t, m, data_off, len)) [[unlikely]] {
        rte_pktmbuf_free(m);  // the retransmission timer sends it again
        return;
    }
    if (len == 0 && flags == flag_ack) {
        ++s.cnt.acks_out;
    }
    t.ack_now = false;
    t.segs_since_ack = 0;
    if ((flags & flag_ack) != 0 && t.delack_at != 0) {
        t.delack_at = 0;
        s.timer_set(t);
    }
    finish(s, t.port_index, m, t.local_ip, t.remote_ip, opt_len, len);
}

void send_ack(tcp_stack& s, tcb& t) noexcept { send_segment(s, t, t.snd_nxt, flag_ack, 0, 0); }

void send_reset_reply(tcp_stack& s, uint16_t port_index, const rte_ipv4_hdr* ip,
                      const rte_tcp_hdr* th, uint32_t seg_len) noexcept {
    rte_mbuf* m = rte_pktmbuf_alloc(s.net.pool);
    if (m == nullptr) [[unlikely]] {
        ++s.net.cnt.mbuf_alloc_failed;
        return;
    }
    char* p = rte_pktmbuf_append(m, hdrs);
    auto* out = reinterpret_cast<rte_tcp_hdr*>(p + sizeof(rte_ether_hdr) + sizeof(rte_ipv4_hdr));
    out->src_port = th->dst_port;
    out->dst_port = th->src_port;
    // RFC 9293 3.10.7.1: with ACK, <SEQ=SEG.ACK><CTL=RST>; without,
    // <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
    if ((th->tcp_flags & flag_ack) != 0) {
        out->sent_seq = th->recv_ack;
        out->recv_ack = 0;
        out->tcp_flags = flag_rst;
    } else {
        out->sent_seq = 0;
        out->recv_ack = rte_cpu_to_be_32(rte_be_to_cpu_32(th->sent_seq) + seg_len);
        out->tcp_flags = flag_rst | flag_ack;
    }
    out->data_off = (sizeof(rte_tcp_hdr) / 4) << 4;
    out->rx_win = 0;
    out->tcp_urp = 0;
    ++s.cnt.rst_out;
    finish(s, port_index, m, ip->dst_addr, ip->src_addr, 0, 0);
}

void retransmit_first(tcp_stack& s, tcb& t) noexcept {
    ++s.cnt.retrans_segs;
    switch (t.state) {
        case tcp_state::syn_received:
            send_segment(s, t, t.iss, flag_syn | flag_ack, 0, 0);
            return;
        case tcp_state::syn_sent:
            send_segment(s, t, t.iss, flag_syn, 0, 0);
            return;
        default:
            break;
    }
    const uint32_t queued = sndq_bytes(t);
    if (queued > 0) {
        // Never beyond the peer's window (at least one byte, as a probe).
        const uint32_t len = std::min({queued, seg_payload(t), std::max<uint32_t>(t.snd_wnd, 1)});
        const bool fin = t.fin_sent && len == queued;
        send_segment(s, t, t.snd_una, flag_ack | flag_psh | (fin ? flag_fin : 0), 0, len);
    } else if (t.fin_sent) {
        send_segment(s, t, t.snd_una, flag_fin | flag_ack, 0, 0);
    }
}

void tcp_output(tcp_stack& s, tcb& t) noexcept {
    if (t.state == tcp_state::syn_sent || t.state == tcp_state::syn_received ||
        t.state == tcp_state::closed || t.state == tcp_state::listen) {
        return;
    }
    bool sent = false;
    const uint32_t queued = sndq_bytes(t);
    const uint32_t wnd = std::min(t.snd_wnd, t.cwnd);
    for (;;) {
        const uint32_t off = static_cast<uint32_t>(t.snd_nxt - t.snd_una);
        if (t.fin_sent || off >= queued) {
            break;
        }
        const uint32_t in_flight = off;
        if (in_flight >= wnd) {
            break;
        }
        const uint32_t len = std::min({queued - off, seg_payload(t), wnd - in_flight});
        // Silly window avoidance (RFC 9293 3.8.6.2.1): while data is in
        // flight, send no runt segment when more data waits than the window
        // takes; the ACKs will open room for a full one.
        if (len < seg_payload(t) && len < queued - off && in_flight > 0) {
            break;
        }
        const bool last = off + len == queued;
        const bool fin = last && t.fin_queued;
        if (!t.rtt_timing && seq_ge(t.snd_nxt, t.snd_max)) {
            // Karn: time only first transmissions.
            t.rtt_timing = true;
            t.rtt_seq = t.snd_nxt;
            t.rtt_start_tsc = s.net.now_tsc;
        }
        send_segment(s, t, t.snd_nxt, flag_ack | (last ? flag_psh : 0) | (fin ? flag_fin : 0), off,
                     len);
        if (seq_ge(t.snd_nxt, t.snd_max)) {
            s.cnt.bytes_out += len;
        }
        t.snd_nxt = t.snd_nxt + len + (fin ? 1u : 0u);
        t.fin_sent = t.fin_sent || fin;
        t.snd_max = seq_max(t.snd_max, t.snd_nxt);
        sent = true;
    }
    // A FIN with no data left to carry it.
    if (t.fin_queued && !t.fin_sent && t.snd_nxt == t.snd_una + queued) {
        send_segment(s, t, t.snd_nxt, flag_fin | flag_ack, 0, 0);
        t.snd_nxt = t.snd_nxt + 1;
        t.fin_sent = true;
        t.snd_max = seq_max(t.snd_max, t.snd_nxt);
        sent = true;
    }
    if (sent && t.rto_at == 0) {
        arm_rto(s, t);
    }
    // Zero window with data waiting and nothing in flight: probe (RFC 9293 3.8.6.1).
    if (t.snd_wnd == 0 && queued > 0 && t.snd_nxt == t.snd_una && t.persist_at == 0 &&
        t.rto_at == 0) {
        t.persist_at = s.net.now_tsc + ms_to_tsc(s, t.rto_ms);
        s.timer_set(t);
    }
    if (!sent && t.ack_now) {
        s.defer_ack(t);  // tcp_stack::flush_acks, unless data carries it first
    }
}

}  // namespace imsd::dp::tcp

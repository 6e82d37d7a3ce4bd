// Our Internet checksum against DPDK's on buffers, and on chains split anywhere
// against the same bytes made contiguous.

#include "dataplane/net/cksum.hpp"

#include <gtest/gtest.h>
#include <rte_ip.h>

#include <cstring>
#include <random>
#include <vector>

#include "tests/support/eal_env.hpp"

namespace imsd::test {
namespace {

TEST(cksum, raw_sum_matches_dpdk_for_every_length_and_alignment) {
    std::mt19937 rng(7);
    std::vector<uint8_t> buf(2100);
    for (auto& b : buf) {
        b = static_cast<uint8_t>(rng());
    }
    for (size_t off = 0; off < 8; ++off) {
        for (size_t len = 0; len < 2000; len += (len < 80 ? 1 : 37)) {
            ASSERT_EQ(dp::net::raw_sum(buf.data() + off, len), rte_raw_cksum(buf.data() + off, len))
                << "offset " << off << " length " << len;
        }
    }
    std::vector<uint8_t> ones(1500, 0xff);
    EXPECT_EQ(dp::net::raw_sum(ones.data(), ones.size()), 0xffff) << "carries fold back in";
}

// The IPv4 header checksum and pseudo-header sum computed from field values
// against DPDK's, which read the header they are given.
TEST(cksum, ipv4_sums_from_values_match_dpdk_reading_the_header) {
    std::mt19937 rng(11);
    for (int k = 0; k < 200000; ++k) {
        rte_ipv4_hdr ip{};
        ip.version_ihl = 0x45;
        ip.type_of_service = static_cast<uint8_t>(rng());
        // Edges as often as random values: lengths around the fold's carries.
        const auto total = static_cast<uint16_t>(k % 4 == 0 ? 40 + k % 64 : rng());
        ip.total_length = rte_cpu_to_be_16(total);
        ip.packet_id = static_cast<rte_be16_t>(rng());
        const rte_be16_t df = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
        ip.fragment_offset = k % 2 == 0 ? df : static_cast<rte_be16_t>(rng());
        ip.time_to_live = static_cast<uint8_t>(rng());
        ip.next_proto_id = k % 3 == 0 ? uint8_t{IPPROTO_TCP} : static_cast<uint8_t>(rng());
        ip.src_addr = k % 5 == 0 ? 0xffffffffu : static_cast<uint32_t>(rng());
        ip.dst_addr = k % 7 == 0 ? 0u : static_cast<uint32_t>(rng());
        ip.hdr_checksum = 0;
        ASSERT_EQ(dp::net::ipv4_hdr_cksum(ip.type_of_service, ip.total_length, ip.packet_id,
                                          ip.fragment_offset, ip.time_to_live, ip.next_proto_id,
                                          ip.src_addr, ip.dst_addr),
                  rte_ipv4_cksum(&ip))
            << "case " << k;
        if (total >= sizeof(rte_ipv4_hdr)) {
            ASSERT_EQ(dp::net::ipv4_phdr_sum(ip.src_addr, ip.dst_addr, ip.next_proto_id,
                                             static_cast<uint16_t>(total - sizeof(rte_ipv4_hdr))),
                      rte_ipv4_phdr_cksum(&ip, 0))
                << "case " << k;
        }
    }
}

// RFC 1071 the plain way: 16-bit words in memory order into 64 bits, folded.
// (DPDK's rte_raw_cksum sums into 32 bits and is wrong past ~128 KiB.)
uint16_t reference_sum(const uint8_t* p, size_t len) {
    uint64_t acc = 0;
    size_t i = 0;
    for (; i + 2 <= len; i += 2) {
        uint16_t w;
        std::memcpy(&w, p + i, 2);
        acc += w;
    }
    if (i < len) {
        const uint8_t pad[2] = {p[i], 0};
        uint16_t w;
        std::memcpy(&w, pad, 2);
        acc += w;
    }
    while ((acc >> 16) != 0) {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    return static_cast<uint16_t>(acc);
}

TEST(cksum, raw_sum_is_exact_past_the_vector_accumulators_limit) {
    // The AVX2 sum adds into 32-bit lanes for at most 1 MiB before widening:
    // buffers of all-ones words (each lane's worst case) and random bytes
    // across several such rounds, at lengths just around them.
    std::mt19937 rng(11);
    std::vector<uint8_t> ones((3u << 20) + 200, 0xff), random(ones.size());
    for (auto& b : random) {
        b = static_cast<uint8_t>(rng());
    }
    for (const size_t len : {size_t{1} << 20, (size_t{1} << 20) + 64, (size_t{1} << 20) - 4,
                             (size_t{2} << 20) + 63, (size_t{3} << 20) + 131}) {
        EXPECT_EQ(dp::net::raw_sum(ones.data(), len), reference_sum(ones.data(), len))
            << "ones, length " << len;
        EXPECT_EQ(dp::net::raw_sum(random.data() + 1, len), reference_sum(random.data() + 1, len))
            << "random, length " << len;
    }
}

TEST(cksum, raw_sum_mbuf_matches_dpdk_over_chains_split_at_odd_places) {
    eal_init_for_tests();
    static rte_mempool* pool =
        rte_pktmbuf_pool_create("cksum_test", 255, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    ASSERT_NE(pool, nullptr);
    std::mt19937 rng(11);
    for (int round = 0; round < 200; ++round) {
        rte_mbuf* head = nullptr;
        const int segs = 1 + static_cast<int>(rng() % 5);
        for (int k = 0; k < segs; ++k) {
            rte_mbuf* m = rte_pktmbuf_alloc(pool);
            ASSERT_NE(m, nullptr);
            const auto n = static_cast<uint16_t>(1 + rng() % 700);  // odd lengths too
            auto* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, n));
            for (uint16_t i = 0; i < n; ++i) {
                p[i] = static_cast<uint8_t>(rng());
            }
            if (head == nullptr) {
                head = m;
            } else {
                ASSERT_EQ(rte_pktmbuf_chain(head, m), 0);
            }
        }
        const uint32_t total = rte_pktmbuf_pkt_len(head);
        const uint32_t off = rng() % total;
        const uint32_t len = rng() % (total - off + 1);
        // The reference: the same bytes made contiguous. (DPDK 22.11's own
        // rte_raw_cksum_mbuf is no reference: it truncates the unfolded sum
        // of a segment that starts at an odd offset before swapping it.)
        std::vector<uint8_t> flat(len);
        const void* p = rte_pktmbuf_read(head, off, len, flat.data());
        ASSERT_NE(p, nullptr);
        const uint16_t want = rte_raw_cksum(p, len);
        EXPECT_EQ(dp::net::raw_sum_mbuf(head, off, len), want)
            << "round " << round << ": " << segs << " segments, offset " << off << " length "
            << len;
        rte_pktmbuf_free(head);
    }
    EXPECT_EQ(rte_mempool_avail_count(pool), pool->size);
}

// --- carried sums -------------------------------------------------------------------------

struct carried_pools {
    rte_mempool* direct = nullptr;
    rte_mempool* clones = nullptr;
};

carried_pools& pools() {
    static carried_pools p = [] {
        eal_init_for_tests();
        carried_pools q;
        q.direct = rte_pktmbuf_pool_create("carried_direct", 255, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                           SOCKET_ID_ANY);
        q.clones = rte_pktmbuf_pool_create("carried_clones", 1023, 0, 0, 0, SOCKET_ID_ANY);
        return q;
    }();
    return p;
}

// EAL first: the field lives in DPDK's shared memory.
bool carried_ready() {
    return pools().direct != nullptr && pools().clones != nullptr && dp::net::data_sum_enable();
}

rte_mbuf* random_chain(std::mt19937& rng, int segs) {
    rte_mbuf* head = nullptr;
    for (int k = 0; k < segs; ++k) {
        rte_mbuf* m = rte_pktmbuf_alloc(pools().direct);
        const auto n = static_cast<uint16_t>(1 + rng() % 1400);
        auto* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, n));
        for (uint16_t i = 0; i < n; ++i) {
            p[i] = static_cast<uint8_t>(rng());
        }
        if (head == nullptr) {
            head = m;
        } else {
            (void)rte_pktmbuf_chain(head, m);
        }
    }
    return head;
}

// A clone of [off, off + len) of segment seg, its sum derived as the relay's
// out_slice and TCP's sndq_attach derive it.
rte_mbuf* slice_of(rte_mbuf* seg, uint32_t off, uint32_t len) {
    rte_mbuf* mi = rte_pktmbuf_alloc(pools().clones);
    rte_pktmbuf_attach(mi, seg);
    mi->data_off = static_cast<uint16_t>(seg->data_off + off);
    mi->data_len = static_cast<uint16_t>(len);
    mi->pkt_len = len;
    dp::net::data_sum_derive(mi, seg);
    return mi;
}

TEST(cksum_carried, noting_sums_as_raw_sum_mbuf_does) {
    ASSERT_TRUE(carried_ready());
    std::mt19937 rng(21);
    for (int round = 0; round < 300; ++round) {
        rte_mbuf* head = random_chain(rng, 1 + static_cast<int>(rng() % 4));
        const uint32_t total = rte_pktmbuf_pkt_len(head);
        const uint32_t off = rng() % total;
        const uint32_t len = rng() % (total - off + 1);
        EXPECT_EQ(dp::net::raw_sum_mbuf_noting(head, off, len),
                  dp::net::raw_sum_mbuf(head, off, len))
            << "round " << round;
        rte_pktmbuf_free(head);
    }
}

TEST(cksum_carried, a_slice_of_a_noted_segment_carries_its_exact_sum_at_every_parity) {
    ASSERT_TRUE(carried_ready());
    std::mt19937 rng(23);
    uint64_t carried = 0;
    for (int round = 0; round < 2000; ++round) {
        // A received segment: headers of hdr bytes, then the payload; TCP
        // input notes the sum from the TCP header on, then strips headers.
        rte_mbuf* seg = random_chain(rng, 1);
        const uint32_t n = seg->data_len;
        const uint32_t noted_from = rng() % std::min<uint32_t>(n, 60);
        (void)dp::net::raw_sum_mbuf_noting(seg, noted_from, n - noted_from);
        const uint32_t strip = noted_from + rng() % (n - noted_from);
        rte_pktmbuf_adj(seg, static_cast<uint16_t>(strip));
        const uint32_t left = seg->data_len;
        const uint32_t off = rng() % left;
        const uint32_t len = 1 + rng() % (left - off);
        rte_mbuf* mi = slice_of(seg, off, len);
        const uint16_t want = rte_raw_cksum(rte_pktmbuf_mtod(mi, const void*), len);
        ASSERT_EQ(dp::net::raw_sum_mbuf_carried(mi, 0, len, pools().clones, &carried), want)
            << "round " << round << ": noted from " << noted_from << " of " << n << ", slice "
            << strip + off << "+" << len;
        // A clone of the clone (TCP's send queue referring to the relay's).
        const uint32_t off2 = rng() % len;
        const uint32_t len2 = 1 + rng() % (len - off2);
        rte_mbuf* mi2 = slice_of(mi, off2, len2);
        ASSERT_EQ(dp::net::raw_sum_mbuf_carried(mi2, 0, len2, pools().clones, &carried),
                  rte_raw_cksum(rte_pktmbuf_mtod(mi2, const void*), len2))
            << "round " << round;
        rte_pktmbuf_free(mi2);
        rte_pktmbuf_free(mi);
        rte_pktmbuf_free(seg);
    }
    EXPECT_GT(carried, 0u) << "some slices were derived, not summed";
    EXPECT_EQ(rte_mempool_avail_count(pools().clones), pools().clones->size);
    EXPECT_EQ(rte_mempool_avail_count(pools().direct), pools().direct->size);
}

TEST(cksum_carried, the_carried_sum_is_what_output_uses) {
    // Changing bytes behind a carried sum (which nothing in imsd does) shows
    // that output took the carried sum instead of reading the payload: the
    // saving is real, not a fallback that merely agrees.
    ASSERT_TRUE(carried_ready());
    std::mt19937 rng(29);
    uint64_t carried = 0;
    rte_mbuf* seg = random_chain(rng, 1);
    const uint32_t n = seg->data_len;
    (void)dp::net::raw_sum_mbuf_noting(seg, 0, n);
    rte_mbuf* mi = slice_of(seg, 0, n);
    const uint16_t before = rte_raw_cksum(rte_pktmbuf_mtod(seg, const void*), n);
    rte_pktmbuf_mtod(seg, uint8_t*)[n / 2] ^= 0x5a;
    EXPECT_EQ(dp::net::raw_sum_mbuf_carried(mi, 0, n, pools().clones, &carried), before);
    EXPECT_NE(dp::net::raw_sum_mbuf(mi, 0, n), before);
    EXPECT_EQ(carried, n) << "every byte's sum came with it";
    rte_pktmbuf_free(mi);
    rte_pktmbuf_free(seg);
}

TEST(cksum_carried, only_the_trusted_pool_and_covering_sums_are_believed) {
    ASSERT_TRUE(carried_ready());
    std::mt19937 rng(31);
    uint64_t carried = 0;
    rte_mbuf* seg = random_chain(rng, 1);
    const uint32_t n = seg->data_len;
    (void)dp::net::raw_sum_mbuf_noting(seg, 0, n);
    rte_pktmbuf_mtod(seg, uint8_t*)[0] ^= 0x77;  // the noted sum is now stale
    const uint16_t now = rte_raw_cksum(rte_pktmbuf_mtod(seg, const void*), n);
    // A direct mbuf's field may be left from an earlier life: never believed.
    EXPECT_EQ(dp::net::raw_sum_mbuf_carried(seg, 0, n, pools().clones, &carried), now);
    // A clone attached to a segment whose field is cleared carries nothing.
    dp::net::data_sum_clear(seg);
    rte_mbuf* mi = slice_of(seg, 0, n);
    EXPECT_EQ(dp::net::raw_sum_mbuf_carried(mi, 0, n, pools().clones, &carried), now);
    rte_pktmbuf_free(mi);
    // A small slice of a big noted segment
    // is summed directly (deriving would read more bytes than it saves).
    (void)dp::net::raw_sum_mbuf_noting(seg, 0, n);
    if (n >= 8) {
        rte_pktmbuf_mtod(seg, uint8_t*)[2] ^= 0x11;
        rte_mbuf* small = slice_of(seg, 1, 3);
        EXPECT_EQ(dp::net::raw_sum_mbuf_carried(small, 0, 3, pools().clones, &carried),
                  rte_raw_cksum(rte_pktmbuf_mtod(small, const void*), 3));
        rte_pktmbuf_free(small);
    }
    EXPECT_EQ(carried, 0u) << "nothing believed";
    rte_pktmbuf_free(seg);
}

}  // namespace
}  // namespace imsd::test

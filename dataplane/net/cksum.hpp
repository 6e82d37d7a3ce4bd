#pragma once

// The Internet checksum (RFC 1071) over buffers and mbuf chains, faster than
// DPDK 22.11's rte_raw_cksum: 16-bit halves of 32-bit words summed in AVX2
// lanes where the CPU has AVX2 (checked at run time, so one binary runs on
// any x86-64), a plain 64-bit accumulator elsewhere. bench_dp_net
// BM_cksum_ours / BM_cksum_dpdk, 1448 B: see cksum.cpp for the figures.

#include <rte_mbuf.h>

#include <bit>
#include <cstddef>
#include <cstdint>

namespace imsd::dp::net {

// The one's-complement sum of len bytes at p, folded to 16 bits (not
// inverted), in the byte order of the data (as rte_raw_cksum).
uint16_t raw_sum(const void* p, size_t len) noexcept;

// The same over len bytes of the chain m from offset off (any segment
// boundaries, odd ones included).
uint16_t raw_sum_mbuf(const rte_mbuf* m, uint32_t off, uint32_t len) noexcept;

// --- sums carried with mbufs ---------------------------------------------------------------
// TCP input verifies every payload byte's sum; a relay then forwards the same
// bytes by reference (indirect mbufs) and TCP output would sum them again,
// a second pass over cold data (a third of the relay's cycles at 64 KiB in
// bench_dp_msrp_relay). Instead each piece's sum rides with its mbuf, in a
// dynamic field naming the buffer range it covers, and output uses it.
// A carried sum is trusted only where the code that wrote the mbuf in its
// current life also wrote the field: the receive chains TCP input hands up
// (raw_sum_mbuf_noting) and the indirect mbufs of the clone pool, every one
// of which is set or cleared where it is attached (data_sum_derive).

// Main thread, after EAL init: registers the field; idempotent. false: no
// field (then nothing is carried and every sum is computed).
bool data_sum_enable() noexcept;

// As raw_sum_mbuf, and notes on every segment of m the sum of its piece of
// [off, off+len) (clearing the others). Any thread owning m.
uint16_t raw_sum_mbuf_noting(rte_mbuf* m, uint32_t off, uint32_t len) noexcept;

// mi was just attached to src (its data a range of the same buffer): mi
// carries the sum of its data when src's carried sum covers it and less
// summing than mi's own length derives it; else mi carries none. src's field
// must be trusted (see above).
void data_sum_derive(rte_mbuf* mi, const rte_mbuf* src) noexcept;

// Clears what m carries.
void data_sum_clear(rte_mbuf* m) noexcept;

// As raw_sum_mbuf, taking the carried sum of the segments of m that come
// from `trusted` (the clone pool) where it covers their piece; adds the
// bytes it did not read to *carried_bytes.
uint16_t raw_sum_mbuf_carried(const rte_mbuf* m, uint32_t off, uint32_t len,
                              const rte_mempool* trusted, uint64_t* carried_bytes) noexcept;

// a + b in one's complement, folded.
inline uint16_t sum_add(uint32_t a, uint32_t b) noexcept {
    uint32_t s = a + b;
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    return static_cast<uint16_t>(s);
}

// a - b in one's complement (a plus b's complement).
inline uint16_t sum_sub(uint32_t a, uint32_t b) noexcept { return sum_add(a, ~b & 0xffff); }

// The 16-bit word of two consecutive bytes as a load from memory sees it:
// sums of such words are the raw sums raw_sum takes of the same bytes.
inline uint32_t mem_word(uint8_t first, uint8_t second) noexcept {
    if constexpr (std::endian::native == std::endian::little) {
        return first | (uint32_t{second} << 8);
    } else {
        return (uint32_t{first} << 8) | second;
    }
}

// A 32-bit field as stored (network order, kept raw): its two words.
inline uint32_t mem_words(uint32_t raw) noexcept { return (raw & 0xffff) + (raw >> 16); }

// The header checksum of an option-less IPv4 header from the values its
// fields were given (16- and 32-bit ones raw, as stored), to store raw in
// hdr_checksum as rte_ipv4_cksum would. Computed without reading the header
// back: read back right after its narrow stores, its loads could not be
// forwarded from them (perf annotate of tcp's finish(): 40% of its samples).
inline uint16_t ipv4_hdr_cksum(uint8_t tos, uint16_t total_length_raw, uint16_t packet_id_raw,
                               uint16_t fragment_offset_raw, uint8_t ttl, uint8_t proto,
                               uint32_t src_raw, uint32_t dst_raw) noexcept {
    const uint32_t sum = mem_word(0x45, tos) + total_length_raw + packet_id_raw +
                         fragment_offset_raw + mem_word(ttl, proto) + mem_words(src_raw) +
                         mem_words(dst_raw);
    return static_cast<uint16_t>(~sum_add(sum & 0xffff, sum >> 16) & 0xffff);
}

// The raw sum of the IPv4 pseudo-header (RFC 9293 3.1, RFC 768) from its
// values, as rte_ipv4_phdr_cksum gives it, without a header to read.
inline uint16_t ipv4_phdr_sum(uint32_t src_raw, uint32_t dst_raw, uint8_t proto,
                              uint16_t l4_len) noexcept {
    const uint32_t len_raw = mem_word(static_cast<uint8_t>(l4_len >> 8), l4_len & 0xff);
    const uint32_t sum = mem_words(src_raw) + mem_words(dst_raw) + mem_word(0, proto) + len_raw;
    return sum_add(sum & 0xffff, sum >> 16);
}

}  // namespace imsd::dp::net

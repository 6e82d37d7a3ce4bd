#pragma once

// What every X-macro counter list of the packet path shares: the kind of a
// counter, its description, and reading another lcore's block of counters.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace imsd::platform {

// `info` counts traffic; `drop` names why a packet was freed unanswered.
enum class counter_kind : uint8_t { info, drop };

struct counter_info {
    std::string_view name;
    counter_kind kind;
    std::string_view description;
};

// Control thread: a copy of another lcore's block of N uint64_t counters,
// each read atomically (the block is not a snapshot).
template <size_t N, typename Block>
std::array<uint64_t, N> read_counter_block(const Block& b) noexcept {
    static_assert(sizeof(Block) == N * sizeof(uint64_t), "a counter block is N uint64_t");
    std::array<uint64_t, N> out{};
    const auto* raw = reinterpret_cast<const uint64_t*>(&b);
    for (size_t i = 0; i < N; ++i) {
        out[i] = __atomic_load_n(raw + i, __ATOMIC_RELAXED);
    }
    return out;
}

}  // namespace imsd::platform

// One X-macro list (entries `_(name, kind, "description")`) defines, in the
// namespace where it is used: the per-lcore block `counters` (one uint64_t
// per entry, in list order, so the control plane can read it as an array),
// `counter_infos`, `counter_count` and `read_counters` (control thread:
// another lcore's block).
#define IMSD_COUNTER_FIELD_(name, kind, desc) uint64_t name;
#define IMSD_COUNTER_INFO_(name, kind, desc) \
    ::imsd::platform::counter_info{#name, ::imsd::platform::counter_kind::kind, desc},
#define IMSD_DEFINE_COUNTERS(LIST)                                                         \
    struct counters {                                                                      \
        LIST(IMSD_COUNTER_FIELD_)                                                          \
    };                                                                                     \
    inline constexpr std::array counter_infos = {LIST(IMSD_COUNTER_INFO_)};                \
    inline constexpr size_t counter_count = counter_infos.size();                          \
    static_assert(sizeof(counters) == counter_count * sizeof(uint64_t));                   \
    inline std::array<uint64_t, counter_count> read_counters(const counters& c) noexcept { \
        return ::imsd::platform::read_counter_block<counter_count>(c);                     \
    }

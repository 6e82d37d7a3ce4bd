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

#pragma once

// Events from the dataplane's MSRP relay to the sigplane: one single-
// producer / single-consumer rte_ring per polling lcore, elements of this
// fixed size (rte_ring_*_elem). The relay's lcore enqueues (never blocks: a
// full ring drops the event and counts it, `events_dropped`); the sigplane
// drains. What an event says is complete in itself: the sigplane matches
// records to its sessions by `session` and to its history by Message-ID.

#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace imsd::platform {

enum class media_event_kind : uint8_t {
    leg_connected = 1,  // a leg's connection is up and bound (leg, lcore)
    leg_closed,         // a leg's connection went away (leg, cause)
    message,            // a message ended on its way through (Message-ID, bytes, verdict)
    distribution,       // OMA IM 6.1.1.2.2: a REPORT's Distribution-Count (Message-ID, count)
    session_end,        // released: totals per leg (bytes, messages)
};

enum class leg_close_cause : uint8_t {
    closed,     // orderly close by the peer
    reset,      // RST from the peer
    refused,    // our connection attempt was refused
    timed_out,  // TCP retransmissions exhausted
    framing,    // the MSRP framing was lost (imsd aborted it)
    released,   // the session was released
    shutdown,   // imsd is stopping
};

enum class message_verdict : uint8_t {
    relayed,       // the last chunk ('$') went to the far side
    aborted,       // the sender ended it with '#'
    blocked,       // a content rule blocked it (403)
    type_refused,  // 415
    size_refused,  // 413
    cut_off,       // a connection of either side closed in mid-chunk
    refused,       // 403 for want of room, not for its content: a third message
                   // interleaved, no scan state left, a chunk cut off unresumable
};

// 64 bytes, one cache line a record in the ring: at a record per relayed
// message the relay writes, and the sigplane reads, one line a message
// instead of 1.4 (88 bytes before). session_end, which has no Message-ID,
// keeps leg b's totals where a Message-ID goes.
struct media_event {
    media_event_kind kind = media_event_kind::message;
    uint8_t leg = 0;  // 0: a, 1: b (message: the leg it came from)
    leg_close_cause cause = leg_close_cause::closed;
    message_verdict verdict = message_verdict::relayed;
    uint8_t mid_len = 0;
    uint8_t lcore = 0;  // the relay's lcore index (its poller, not the EAL lcore id)
    uint8_t pad[2] = {};
    uint32_t session = 0;
    uint32_t rule = 0;   // blocked: the operator's rule id
    uint64_t bytes = 0;  // message: body bytes; session_end: leg a's bytes in
    uint64_t count = 0;  // distribution: recipients; session_end: leg a's messages in
    std::array<char, 32> message_id{};
    std::string_view mid() const { return {message_id.data(), mid_len}; }
    // session_end: leg b's bytes and messages in.
    uint64_t bytes_b() const { return word(0); }
    uint64_t count_b() const { return word(1); }
    void set_b(uint64_t bytes_in, uint64_t messages_in) {
        std::memcpy(message_id.data(), &bytes_in, 8);
        std::memcpy(message_id.data() + 8, &messages_in, 8);
    }

   private:
    uint64_t word(size_t i) const {
        uint64_t v;
        std::memcpy(&v, message_id.data() + 8 * i, 8);
        return v;
    }
};
static_assert(sizeof(media_event) == 64);

inline std::string_view kind_name(media_event_kind k) {
    switch (k) {
        case media_event_kind::leg_connected:
            return "leg_connected";
        case media_event_kind::leg_closed:
            return "leg_closed";
        case media_event_kind::message:
            return "message";
        case media_event_kind::distribution:
            return "distribution";
        case media_event_kind::session_end:
            return "session_end";
    }
    return "?";
}

inline std::string_view cause_name(leg_close_cause c) {
    constexpr std::array<std::string_view, 7> names = {
        "closed", "reset", "refused", "timed_out", "framing", "released", "shutdown"};
    const auto i = static_cast<size_t>(c);
    return i < names.size() ? names[i] : "?";
}

inline std::string_view verdict_name(message_verdict v) {
    constexpr std::array<std::string_view, 7> names = {
        "relayed", "aborted", "blocked", "type_refused", "size_refused", "cut_off", "refused"};
    const auto i = static_cast<size_t>(v);
    return i < names.size() ? names[i] : "?";
}

}  // namespace imsd::platform

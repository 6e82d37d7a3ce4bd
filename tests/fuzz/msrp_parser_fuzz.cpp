// libFuzzer target for the MSRP parser: the input is a byte stream cut into
// pieces at positions the input itself chooses (its first byte seeds the
// cuts), parsed with small limits so every limit path is reached. Checks
// what must hold whatever the input: views stay inside the bytes fed or
// the parser's own buffers (ASan), body pieces never exceed the limit, an
// end follows every head, and nothing is reported after a fatal error.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "dataplane/msrp/parser.hpp"

namespace {

using namespace imsd::dp::msrp;

struct checker : sink {
    uint64_t body_in_message = 0;
    bool in_message = false;
    bool dead = false;
    uint32_t max_body = 0;
    void on_head(const head& h) override {
        if (dead || h.n_headers > max_header_slots) {
            std::abort();
        }
        for (uint16_t i = 0; i < h.n_headers; ++i) {
            volatile size_t n = h.headers[i].name.size() + h.headers[i].value.size();
            (void)n;
        }
        in_message = true;
        body_in_message = 0;
    }
    void on_body(std::string_view b, bool) override {
        if (dead || !in_message) {
            std::abort();
        }
        body_in_message += b.size();
        if (body_in_message > max_body) {
            std::abort();
        }
        volatile char first = b.empty() ? 0 : b[0];
        volatile char last = b.empty() ? 0 : b.back();
        (void)first;
        (void)last;
    }
    void on_end(char flag) override {
        if (dead || (flag != '$' && flag != '+' && flag != '#')) {
            std::abort();
        }
        in_message = false;
    }
    void on_error(const error& e) override {
        if (dead) {
            std::abort();
        }
        dead = e.fatal;
        in_message = false;
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) {
        return 0;
    }
    limits l;
    l.max_start_line_bytes = 64;
    l.max_header_bytes = 512;
    l.max_headers = 8;
    l.max_body_bytes = 256;
    parse_counters c;
    parser p(l, &c);
    checker k;
    k.max_body = l.max_body_bytes;
    uint32_t seed = data[0] | 1u;
    std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
    while (!in.empty()) {
        seed = seed * 1103515245u + 12345u;
        const size_t n = std::min<size_t>(in.size(), 1 + (seed >> 16) % 64);
        p.feed(in.substr(0, n), k);
        in.remove_prefix(n);
    }
    return 0;
}

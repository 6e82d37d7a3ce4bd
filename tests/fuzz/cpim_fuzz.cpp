// libFuzzer target for the content policy's readers of message bodies: a
// message/cpim payload's headers (cpim_reader) cut where the input says,
// and Content-Type lists. Checks what must hold whatever the input: the
// reader never takes more than it is given, stops taking once done or
// failed, reads the same whether fed whole or byte by byte, and keeps the
// type within its buffer.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "dataplane/policy/cpim.hpp"

using imsd::dp::policy::cpim_reader;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) {
        return 0;
    }
    const size_t cut_seed = data[0];
    const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);

    cpim_reader pieces;
    size_t taken = 0;
    size_t off = 0;
    size_t step = 1 + cut_seed % 17;
    while (off < in.size()) {
        const size_t n = std::min(step, in.size() - off);
        const size_t t = pieces.feed(in.substr(off, n));
        if (t > n) {
            std::abort();
        }
        taken += t;
        if ((pieces.done() || pieces.failed()) && pieces.feed(in.substr(off + t)) != 0) {
            std::abort();  // nothing more is taken once it stopped
        }
        if (pieces.done() || pieces.failed()) {
            break;
        }
        off += n;
        step = 1 + (step * 7 + cut_seed) % 23;
    }
    cpim_reader whole;
    const size_t taken_whole = whole.feed(in);
    cpim_reader bytes;
    size_t taken_bytes = 0;
    for (size_t i = 0; i < in.size() && !bytes.done() && !bytes.failed(); ++i) {
        taken_bytes += bytes.feed(in.substr(i, 1));
    }
    if (whole.done() != pieces.done() || whole.failed() != pieces.failed() ||
        whole.done() != bytes.done() || whole.failed() != bytes.failed() ||
        whole.content_type() != pieces.content_type() ||
        whole.content_type() != bytes.content_type() || taken_whole != taken ||
        taken_whole != taken_bytes || whole.content_type().size() > 80) {
        std::abort();
    }
    // Lists: the input's first half as a type, the rest as a list.
    const std::string_view type = in.substr(0, in.size() / 2);
    const std::string_view list = in.substr(in.size() / 2);
    volatile bool a = imsd::dp::policy::type_accepted(type, list);
    volatile bool c = imsd::dp::policy::is_cpim(type);
    (void)a;
    (void)c;
    return 0;
}

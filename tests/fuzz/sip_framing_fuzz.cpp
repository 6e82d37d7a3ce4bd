// libFuzzer target for the dataplane's SIP-over-UDP framing: any datagram,
// with the default limits and small ones (the first input byte picks).
// Checks what must hold whatever arrives: every view lies inside the
// datagram, an ok message has the headers RFC 3261 8.1.1 requires and a
// body within the datagram, and the verdict names a known reason.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "dataplane/sip/framing.hpp"

using namespace imsd::dp::sip;

namespace {

void inside(std::string_view v, std::string_view d) {
    if (!v.empty() && (v.data() < d.data() || v.data() + v.size() > d.data() + d.size())) {
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) {
        return 0;
    }
    limits lim;
    if ((data[0] & 1) != 0) {
        lim.max_headers = 4;
        lim.max_line_bytes = 48;
        lim.max_message_bytes = 512;
    }
    const std::string_view d(reinterpret_cast<const char*>(data) + 1, size - 1);
    message_view m;
    const verdict v = frame_udp(d, lim, m);
    for (std::string_view x : {m.method, m.request_uri, m.via, m.from, m.to, m.call_id, m.cseq,
                               m.max_forwards, m.cseq_method, m.body}) {
        inside(x, d);
    }
    if (verdict_name(v) == "?" || m.reason == nullptr) {
        std::abort();
    }
    if (v == verdict::ok) {
        if (m.via.empty() || m.from.empty() || m.to.empty() || m.call_id.empty() ||
            m.cseq.empty() || (m.request && (m.method.empty() || m.max_forwards.empty())) ||
            (!m.request && (m.status < 100 || m.status > 699)) || m.headers > lim.max_headers) {
            std::abort();
        }
    }
    return 0;
}

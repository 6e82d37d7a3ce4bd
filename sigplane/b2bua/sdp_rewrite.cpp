#include "sigplane/b2bua/sdp_rewrite.hpp"

#include <charconv>

#include "platform/text/ascii.hpp"

namespace imsd::sig {

msrp_setup parse_setup(std::string_view v) noexcept {
    v = platform::trim_blanks(v);
    if (platform::iequal(v, "active")) {
        return msrp_setup::active;
    }
    if (platform::iequal(v, "passive")) {
        return msrp_setup::passive;
    }
    if (platform::iequal(v, "actpass")) {
        return msrp_setup::actpass;
    }
    return msrp_setup::unspecified;
}

namespace {

// host:port of an msrp(s) URI's authority.
std::string_view authority(std::string_view uri) noexcept {
    const size_t s = uri.find("://");
    if (s == std::string_view::npos) {
        return {};
    }
    uri.remove_prefix(s + 3);
    return uri.substr(0, uri.find('/'));
}

const char* setup_name(msrp_setup s) noexcept {
    return s == msrp_setup::active ? "active" : s == msrp_setup::passive ? "passive" : "actpass";
}

}  // namespace

uint16_t msrp_uri_port(std::string_view uri) noexcept {
    const std::string_view a = authority(uri);
    const size_t colon = a.rfind(':');
    if (colon == std::string_view::npos) {
        return 0;
    }
    uint16_t port = 0;
    const auto p = a.substr(colon + 1);
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
    return ec == std::errc() && end == p.data() + p.size() ? port : 0;
}

std::string msrp_uri_host(std::string_view uri) {
    const std::string_view a = authority(uri);
    return std::string(a.substr(0, a.rfind(':')));
}

std::string rewrite_msrp_sdp(std::string_view sdp, const sdp_leg& leg) {
    std::string out;
    bool in_msrp = false;
    const uint16_t port = msrp_uri_port(leg.path);
    size_t pos = 0;
    while (pos < sdp.size()) {
        size_t end = sdp.find('\n', pos);
        if (end == std::string_view::npos) {
            end = sdp.size();
        }
        std::string_view line = sdp.substr(pos, end - pos);
        pos = end + 1;
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        if (line.empty()) {
            continue;
        }
        if (line.starts_with("o=")) {
            out += "o=imsd " + std::to_string(leg.session_id) + " " + std::to_string(leg.version) +
                   " IN IP4 " + leg.address + "\r\n";
            continue;
        }
        if (line.starts_with("c=")) {
            out += "c=IN IP4 " + leg.address + "\r\n";
            continue;
        }
        if (line.starts_with("m=")) {
            // m=message <port> TCP/MSRP *
            in_msrp =
                line.starts_with("m=message ") && line.find("/MSRP") != std::string_view::npos;
            if (in_msrp) {
                const size_t sp1 = line.find(' ');
                const size_t sp2 = line.find(' ', sp1 + 1);
                out += "m=message " + std::to_string(port) +
                       std::string(sp2 == std::string_view::npos ? std::string_view(" TCP/MSRP *")
                                                                 : line.substr(sp2)) +
                       "\r\n";
                if (leg.setup != msrp_setup::unspecified) {
                    out += std::string("a=setup:") + setup_name(leg.setup) + "\r\n";
                }
                continue;
            }
        }
        if (in_msrp && line.starts_with("a=path:")) {
            out += "a=path:" + leg.path + "\r\n";
            continue;
        }
        if (in_msrp && line.starts_with("a=setup:")) {
            continue;  // written below, for imsd's own leg
        }
        out += std::string(line) + "\r\n";
    }
    return out;
}

bool imsd_connects(msrp_setup peer, bool imsd_offered) noexcept {
    switch (peer) {
        case msrp_setup::active:
            return false;  // the peer connects
        case msrp_setup::passive:
            return true;
        case msrp_setup::actpass:
            return !imsd_offered;  // imsd answered actpass with active
        case msrp_setup::unspecified:
            break;
    }
    return imsd_offered;  // RFC 4975 5.4: the offerer connects
}

}  // namespace imsd::sig

#include "mgmt/settings/settings_doc.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <set>

namespace imsd::embedded {
extern const std::string_view settings_xsd;
extern const std::string_view settings_xml;
}  // namespace imsd::embedded

namespace imsd::mgmt {

using platform::error;
using platform::make_error;
using xml::for_elements;
using xml::local_name;
using xml::problem;
using xml::text_of;

std::string_view settings_schema_text() { return embedded::settings_xsd; }
std::string_view default_settings_text() { return embedded::settings_xml; }

namespace {

template <typename T>
T number(const std::string& s) {
    return xml::to_number<T>(s);
}

bool boolean(const std::string& s) { return xml::to_bool(s); }

uint32_t ipv4(const std::string& s) {
    in_addr a{};
    inet_pton(AF_INET, s.c_str(), &a);
    return a.s_addr;
}

platform::ipv4_prefix prefix(const std::string& s) {
    auto slash = s.find('/');
    if (slash == std::string::npos) {
        return platform::ipv4_prefix{ipv4(s), 32};
    }
    return platform::ipv4_prefix{ipv4(s.substr(0, slash)), number<uint8_t>(s.substr(slash + 1))};
}

uint32_t mask_of(uint8_t len) {
    return len == 0 ? 0 : htonl(static_cast<uint32_t>(~uint64_t{0} << (32 - len)));
}

std::string ipv4_text(uint32_t a) {
    char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &a, buf, sizeof(buf));
    return buf;
}

std::string prefix_text(const platform::ipv4_prefix& p) {
    return ipv4_text(p.addr_be) + "/" + std::to_string(p.len);
}

void map_system(xmlNode* node, platform::system_settings& s) {
    for_elements(node, [&](xmlNode* c) {
        auto n = local_name(c);
        std::string v = text_of(c);
        if (n == "node-name") {
            s.node_name = v;
        } else if (n == "cli-socket") {
            s.cli_socket = v;
        } else if (n == "cli-group") {
            s.cli_group = v;
        } else if (n == "lcores") {
            s.lcores = v;
        } else if (n == "file-prefix") {
            s.file_prefix = v;
        } else if (n == "hugepages") {
            s.hugepages = v == "on"    ? platform::hugepage_mode::on
                          : v == "off" ? platform::hugepage_mode::off
                                       : platform::hugepage_mode::automatic;
        } else if (n == "memory-mb") {
            s.memory_mb = number<uint32_t>(v);
        } else if (n == "shutdown-timeout-ms") {
            s.shutdown_timeout_ms = number<uint32_t>(v);
        } else if (n == "log-level") {
            s.log_level = v;
        } else if (n == "store-path") {
            s.store_path = v;
        }
    });
}

void map_tcp(xmlNode* node, platform::tcp_settings& t) {
    for_elements(node, [&](xmlNode* c) {
        auto n = local_name(c);
        std::string v = text_of(c);
        if (n == "echo-port") {
            t.echo_port = number<uint16_t>(v);
        } else if (n == "sink-port") {
            t.sink_port = number<uint16_t>(v);
        } else if (n == "rcv-buffer-bytes") {
            t.rcv_buffer_bytes = number<uint32_t>(v);
        } else if (n == "snd-buffer-bytes") {
            t.snd_buffer_bytes = number<uint32_t>(v);
        } else if (n == "rto-min-ms") {
            t.rto_min_ms = number<uint32_t>(v);
        } else if (n == "max-retries") {
            t.max_retries = number<uint32_t>(v);
        } else if (n == "delack-ms") {
            t.delack_ms = number<uint32_t>(v);
        } else if (n == "time-wait-ms") {
            t.time_wait_ms = number<uint32_t>(v);
        } else if (n == "max-time-wait") {
            t.max_time_wait = number<uint32_t>(v);
        } else if (n == "max-half-open") {
            t.max_half_open = number<uint32_t>(v);
        } else if (n == "keepalive-idle-s") {
            t.keepalive_idle_s = number<uint32_t>(v);
        } else if (n == "keepalive-interval-s") {
            t.keepalive_interval_s = number<uint32_t>(v);
        } else if (n == "keepalive-probes") {
            t.keepalive_probes = number<uint32_t>(v);
        }
    });
}

void map_dataplane(xmlNode* node, platform::dataplane_settings& d) {
    for_elements(node, [&](xmlNode* c) {
        auto n = local_name(c);
        std::string v = text_of(c);
        if (n == "mbufs") {
            d.mbufs = number<uint32_t>(v);
        } else if (n == "mbuf-cache") {
            d.mbuf_cache = number<uint32_t>(v);
        } else if (n == "burst") {
            d.burst = number<uint16_t>(v);
        } else if (n == "idle-sleep-us") {
            d.idle_sleep_us = number<uint32_t>(v);
        } else if (n == "neighbour-entries") {
            d.neighbour_entries = number<uint32_t>(v);
        } else if (n == "neighbour-timeout-ms") {
            d.neighbour_timeout_ms = number<uint32_t>(v);
        } else if (n == "arp-retry-ms") {
            d.arp_retry_ms = number<uint32_t>(v);
        } else if (n == "arp-retries") {
            d.arp_retries = number<uint32_t>(v);
        } else if (n == "tcp") {
            map_tcp(c, d.tcp);
        } else if (n == "msrp") {
            for_elements(c, [&](xmlNode* e) {
                auto en = local_name(e);
                auto ev = text_of(e);
                if (en == "port-first") {
                    d.msrp.port_first = number<uint16_t>(ev);
                } else if (en == "port-last") {
                    d.msrp.port_last = number<uint16_t>(ev);
                } else if (en == "max-sessions") {
                    d.msrp.max_sessions = number<uint32_t>(ev);
                } else if (en == "max-connections") {
                    d.msrp.max_connections = number<uint32_t>(ev);
                } else if (en == "out-limit-bytes") {
                    d.msrp.out_limit_bytes = number<uint32_t>(ev);
                } else if (en == "out-mbufs") {
                    d.msrp.out_mbufs = number<uint32_t>(ev);
                } else if (en == "scan-streams") {
                    d.msrp.scan_streams = number<uint32_t>(ev);
                } else if (en == "scan-stream-bytes") {
                    d.msrp.scan_stream_bytes = number<uint32_t>(ev);
                }
            });
        } else if (n == "sip") {
            for_elements(c, [&](xmlNode* e) {
                auto en = local_name(e);
                auto ev = text_of(e);
                if (en == "port") {
                    d.sip.port = number<uint16_t>(ev);
                } else if (en == "punt-interface") {
                    d.sip.punt_interface = ev;
                } else if (en == "rate-per-source") {
                    d.sip.rate_per_source = number<uint32_t>(ev);
                } else if (en == "burst-per-source") {
                    d.sip.burst_per_source = number<uint32_t>(ev);
                } else if (en == "max-sources") {
                    d.sip.max_sources = number<uint32_t>(ev);
                }
            });
        } else if (n == "impair") {
            for_elements(c, [&](xmlNode* e) {
                auto en = local_name(e);
                auto ev = number<uint32_t>(text_of(e));
                if (en == "loss-ppm") {
                    d.impair.loss_ppm = ev;
                } else if (en == "duplicate-ppm") {
                    d.impair.duplicate_ppm = ev;
                } else if (en == "reorder-ppm") {
                    d.impair.reorder_ppm = ev;
                } else if (en == "reorder-hold-us") {
                    d.impair.reorder_hold_us = ev;
                } else if (en == "delay-us") {
                    d.impair.delay_us = ev;
                }
            });
        }
    });
}

platform::port_settings map_port(xmlNode* node) {
    platform::port_settings p;
    p.line = xml::line_of(node);
    p.name = xml::attr(node, "name");
    for_elements(node, [&](xmlNode* c) {
        auto n = local_name(c);
        std::string v = text_of(c);
        if (n == "device") {
            p.device = v;
        } else if (n == "address") {
            p.addresses.push_back(prefix(v));
        } else if (n == "gateway") {
            p.gateway_be = ipv4(v);
        } else if (n == "mtu") {
            p.mtu = number<uint16_t>(v);
        } else if (n == "rx-desc") {
            p.rx_desc = number<uint16_t>(v);
        } else if (n == "tx-desc") {
            p.tx_desc = number<uint16_t>(v);
        }
    });
    return p;
}

void map_limits(xmlNode* node, platform::limits_settings& l) {
    for_elements(node, [&](xmlNode* c) {
        auto n = local_name(c);
        auto v = number<uint32_t>(text_of(c));
        if (n == "max-sessions") {
            l.max_sessions = v;
        } else if (n == "max-message-bytes") {
            l.max_message_bytes = v;
        } else if (n == "max-sip-headers") {
            l.max_sip_headers = v;
        } else if (n == "max-connections-per-lcore") {
            l.max_connections_per_lcore = v;
        }
    });
}

platform::content_policy map_content_policy(xmlNode* node) {
    platform::content_policy p;
    for_elements(node, [&](xmlNode* c) {
        if (local_name(c) == "content-type") {
            std::string t = text_of(c);
            std::transform(t.begin(), t.end(), t.begin(),
                           [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
            p.content_types.push_back(t);
        } else if (local_name(c) == "max-size-bytes") {
            p.max_size_bytes = number<uint64_t>(text_of(c));
        }
    });
    return p;
}

void map_im(xmlNode* node, platform::im_settings& im) {
    for_elements(node, [&](xmlNode* c) {
        auto n = local_name(c);
        if (n == "media-path") {
            std::string v = text_of(c);
            im.media_path = v == "always"  ? platform::media_path_policy::always
                            : v == "never" ? platform::media_path_policy::never
                                           : platform::media_path_policy::dynamic;
        } else if (n == "request-sent-counts") {
            im.request_sent_counts = boolean(text_of(c));
        } else if (n == "charging-needs-media-path") {
            im.charging_needs_media_path = boolean(text_of(c));
        } else if (n == "client-releases") {
            im.require_client_release = boolean(xml::attr(c, "required"));
            im.client_releases.clear();
            for_elements(c, [&](xmlNode* r) { im.client_releases.push_back(text_of(r)); });
        } else if (n == "pager") {
            im.pager = map_content_policy(c);
        } else if (n == "session") {
            im.session = map_content_policy(c);
        } else if (n == "large-message") {
            im.large_message = map_content_policy(c);
        } else if (n == "file-transfer") {
            im.file_transfer = map_content_policy(c);
        } else if (n == "expired-pager") {
            im.deliver_expired_pager = text_of(c) == "deliver";
        } else if (n == "system-message-timeout-s") {
            im.system_message_timeout_s = number<uint32_t>(text_of(c));
        } else if (n == "deferred-retention-s") {
            im.deferred_retention_s = number<uint32_t>(text_of(c));
        } else if (n == "trusted-peers") {
            for_elements(c, [&](xmlNode* p) { im.trusted_peers.push_back(prefix(text_of(p))); });
        } else if (n == "core-uri") {
            im.core_uri = text_of(c);
        } else if (n == "session-expires-s") {
            im.session_expires_s = number<uint32_t>(text_of(c));
        } else if (n == "min-se-s") {
            im.min_se_s = number<uint32_t>(text_of(c));
        } else if (n == "msrp-response-timeout-ms") {
            im.msrp_response_timeout_ms = number<uint32_t>(text_of(c));
        }
    });
}

void map_rules(xmlNode* node, std::vector<platform::content_rule>& rules) {
    for_elements(node, [&](xmlNode* r) {
        platform::content_rule rule;
        rule.line = xml::line_of(r);
        rule.id = number<uint32_t>(xml::attr(r, "id"));
        std::string action = xml::attr(r, "action");
        rule.action = action == "allow"   ? platform::rule_action::allow
                      : action == "count" ? platform::rule_action::count
                                          : platform::rule_action::block;
        std::string flags = xml::attr(r, "flags");
        rule.caseless = flags.find('i') != std::string::npos;
        rule.dotall = flags.find('s') != std::string::npos;
        rule.multiline = flags.find('m') != std::string::npos;
        for_elements(r, [&](xmlNode* c) {
            if (local_name(c) == "expression") {
                // The expression is taken as written: no trimming.
                xmlChar* raw = xmlNodeGetContent(c);
                rule.expression = raw != nullptr ? reinterpret_cast<const char*>(raw) : "";
                xmlFree(raw);
            } else if (local_name(c) == "description") {
                rule.description = text_of(c);
            }
        });
        rules.push_back(std::move(rule));
    });
}

// What the schema cannot say.
std::vector<problem> cross_check(const platform::settings& s, int im_line) {
    std::vector<problem> out;
    std::set<std::string> names;
    std::set<std::string> devices;
    std::set<uint32_t> addrs;
    for (const auto& p : s.ports) {
        if (!names.insert(p.name).second) {
            out.push_back({p.line, "port name '" + p.name + "' is used twice"});
        }
        std::string dev = p.device.substr(0, p.device.find(','));
        if (!devices.insert(dev).second) {
            out.push_back({p.line, "device '" + dev + "' is used by two ports"});
        }
        for (const auto& a : p.addresses) {
            const std::string text = ipv4_text(a.addr_be);
            const uint32_t m = mask_of(a.len);
            if (!addrs.insert(a.addr_be).second) {
                out.push_back({p.line, "address " + text + " is given twice"});
            }
            if (a.len <= 30 && ((a.addr_be & ~m) == 0 || (a.addr_be | m) == 0xffffffffu)) {
                out.push_back({p.line, "address " + prefix_text(a) +
                                           " is the network or broadcast address of its prefix"});
            }
            const uint8_t first = static_cast<uint8_t>(ntohl(a.addr_be) >> 24);
            if (first == 0 || first == 127 || first >= 224) {
                out.push_back({p.line, "address " + text + " is not a unicast host address"});
            }
        }
        if (p.gateway_be) {
            bool on_link = false;
            for (const auto& a : p.addresses) {
                const uint32_t m = mask_of(a.len);
                on_link |= (a.addr_be & m) == (*p.gateway_be & m);
            }
            if (!on_link) {
                out.push_back({p.line, "gateway of port '" + p.name +
                                           "' is not on the link of any of its addresses"});
            }
        }
    }
    if (s.dataplane.msrp.enabled()) {
        const auto& mr = s.dataplane.msrp;
        const uint16_t last = mr.port_last == 0 ? mr.port_first : mr.port_last;
        if (last < mr.port_first) {
            out.push_back({0, "dataplane/msrp: port-last is below port-first"});
        }
        for (uint16_t svc : {s.dataplane.tcp.echo_port, s.dataplane.tcp.sink_port}) {
            if (svc != 0 && svc >= mr.port_first && svc <= last) {
                out.push_back({0, "dataplane/msrp: the MSRP ports include the echo or sink port"});
            }
        }
        if (s.ports.empty() || s.ports[0].addresses.empty()) {
            out.push_back({0, "dataplane/msrp: the relay needs a media address on the first port"});
        }
    }
    if (s.dataplane.sip.enabled()) {
        const auto& sp = s.dataplane.sip;
        const auto& mr = s.dataplane.msrp;
        const uint16_t last = mr.port_last == 0 ? mr.port_first : mr.port_last;
        if (mr.enabled() && sp.port >= mr.port_first && sp.port <= last) {
            out.push_back(
                {0, "dataplane/sip/port " + std::to_string(sp.port) + " is one of the MSRP ports"});
        }
        if (sp.port == s.dataplane.tcp.echo_port || sp.port == s.dataplane.tcp.sink_port) {
            out.push_back({0, "dataplane/sip/port " + std::to_string(sp.port) +
                                  " is the TCP echo or sink port"});
        }
        if (s.ports.empty() || s.ports[0].addresses.empty()) {
            out.push_back({0, "dataplane/sip: SIP needs a signaling address on the first port"});
        }
        if (sp.rate_per_source != 0 && sp.burst_per_source == 0) {
            out.push_back({0, "dataplane/sip/burst-per-source is 0 while rate-per-source is not"});
        }
    }
    if (s.dataplane.tcp.echo_port != 0 && s.dataplane.tcp.echo_port == s.dataplane.tcp.sink_port) {
        out.push_back({0, "dataplane/tcp: echo-port and sink-port are the same port"});
    }
    if (s.im.min_se_s > s.im.session_expires_s) {
        out.push_back({im_line, "im/min-se-s (" + std::to_string(s.im.min_se_s) +
                                    ") is larger than im/session-expires-s (" +
                                    std::to_string(s.im.session_expires_s) + ")"});
    }
    std::set<uint32_t> ids;
    for (const auto& r : s.content_rules) {
        if (!ids.insert(r.id).second) {
            out.push_back({r.line, "content rule id " + std::to_string(r.id) + " is used twice"});
        }
    }
    return out;
}

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& x : v) {
        out += (out.empty() ? "" : ",") + x;
    }
    return out;
}

void flatten_policy(std::map<std::string, std::string>& m, const std::string& base,
                    const platform::content_policy& p) {
    m[base + "/content-types"] = p.content_types.empty() ? "any" : join(p.content_types);
    m[base + "/max-size-bytes"] = std::to_string(p.max_size_bytes);
}

}  // namespace

std::expected<platform::settings, error> parse_settings(std::string_view text,
                                                        const std::string& name) {
    static const xml::schema schema(embedded::settings_xsd);
    auto doc = schema.parse(text, name);
    if (!doc) {
        return std::unexpected(doc.error());
    }
    platform::settings s;
    s.source = name;
    int im_line = 0;
    xmlNode* root = xmlDocGetRootElement(doc->get());
    for_elements(root, [&](xmlNode* c) {
        auto n = local_name(c);
        if (n == "system") {
            map_system(c, s.system);
        } else if (n == "dataplane") {
            map_dataplane(c, s.dataplane);
        } else if (n == "ports") {
            for_elements(c, [&](xmlNode* p) { s.ports.push_back(map_port(p)); });
        } else if (n == "limits") {
            map_limits(c, s.limits);
        } else if (n == "im") {
            im_line = xml::line_of(c);
            map_im(c, s.im);
        } else if (n == "content-rules") {
            map_rules(c, s.content_rules);
        }
    });
    auto problems = cross_check(s, im_line);
    if (!problems.empty()) {
        return std::unexpected(xml::to_error(name, problems));
    }
    return s;
}

std::expected<platform::settings, error> load_settings_file(const std::string& path) {
    auto text = xml::read_file(path);
    if (!text) {
        return std::unexpected(text.error());
    }
    return parse_settings(*text, path);
}

std::map<std::string, std::string> flatten(const platform::settings& s) {
    std::map<std::string, std::string> m;
    const auto& sys = s.system;
    m["system/node-name"] = sys.node_name;
    m["system/cli-socket"] = sys.cli_socket;
    m["system/cli-group"] = sys.cli_group;
    m["system/lcores"] = sys.lcores;
    m["system/file-prefix"] = sys.file_prefix;
    m["system/hugepages"] = sys.hugepages == platform::hugepage_mode::on    ? "on"
                            : sys.hugepages == platform::hugepage_mode::off ? "off"
                                                                            : "auto";
    m["system/memory-mb"] = std::to_string(sys.memory_mb);
    m["system/shutdown-timeout-ms"] = std::to_string(sys.shutdown_timeout_ms);
    m["system/log-level"] = sys.log_level;
    m["system/store-path"] = sys.store_path;
    const auto& d = s.dataplane;
    m["dataplane/mbufs"] = std::to_string(d.mbufs);
    m["dataplane/mbuf-cache"] = std::to_string(d.mbuf_cache);
    m["dataplane/burst"] = std::to_string(d.burst);
    m["dataplane/idle-sleep-us"] = std::to_string(d.idle_sleep_us);
    m["dataplane/neighbour-entries"] = std::to_string(d.neighbour_entries);
    m["dataplane/neighbour-timeout-ms"] = std::to_string(d.neighbour_timeout_ms);
    m["dataplane/arp-retry-ms"] = std::to_string(d.arp_retry_ms);
    m["dataplane/arp-retries"] = std::to_string(d.arp_retries);
    m["dataplane/impair/loss-ppm"] = std::to_string(d.impair.loss_ppm);
    m["dataplane/impair/duplicate-ppm"] = std::to_string(d.impair.duplicate_ppm);
    m["dataplane/impair/reorder-ppm"] = std::to_string(d.impair.reorder_ppm);
    m["dataplane/impair/reorder-hold-us"] = std::to_string(d.impair.reorder_hold_us);
    m["dataplane/impair/delay-us"] = std::to_string(d.impair.delay_us);
    m["dataplane/msrp/port-first"] = std::to_string(d.msrp.port_first);
    m["dataplane/msrp/port-last"] = std::to_string(d.msrp.port_last);
    m["dataplane/msrp/max-sessions"] = std::to_string(d.msrp.max_sessions);
    m["dataplane/msrp/max-connections"] = std::to_string(d.msrp.max_connections);
    m["dataplane/msrp/out-limit-bytes"] = std::to_string(d.msrp.out_limit_bytes);
    m["dataplane/msrp/out-mbufs"] = std::to_string(d.msrp.out_mbufs);
    m["dataplane/msrp/scan-streams"] = std::to_string(d.msrp.scan_streams);
    m["dataplane/msrp/scan-stream-bytes"] = std::to_string(d.msrp.scan_stream_bytes);
    m["dataplane/sip/port"] = std::to_string(d.sip.port);
    m["dataplane/sip/punt-interface"] = d.sip.punt_interface;
    m["dataplane/sip/rate-per-source"] = std::to_string(d.sip.rate_per_source);
    m["dataplane/sip/burst-per-source"] = std::to_string(d.sip.burst_per_source);
    m["dataplane/sip/max-sources"] = std::to_string(d.sip.max_sources);
    m["dataplane/tcp/echo-port"] = std::to_string(d.tcp.echo_port);
    m["dataplane/tcp/sink-port"] = std::to_string(d.tcp.sink_port);
    m["dataplane/tcp/rcv-buffer-bytes"] = std::to_string(d.tcp.rcv_buffer_bytes);
    m["dataplane/tcp/snd-buffer-bytes"] = std::to_string(d.tcp.snd_buffer_bytes);
    m["dataplane/tcp/rto-min-ms"] = std::to_string(d.tcp.rto_min_ms);
    m["dataplane/tcp/max-retries"] = std::to_string(d.tcp.max_retries);
    m["dataplane/tcp/delack-ms"] = std::to_string(d.tcp.delack_ms);
    m["dataplane/tcp/time-wait-ms"] = std::to_string(d.tcp.time_wait_ms);
    m["dataplane/tcp/max-time-wait"] = std::to_string(d.tcp.max_time_wait);
    m["dataplane/tcp/max-half-open"] = std::to_string(d.tcp.max_half_open);
    m["dataplane/tcp/keepalive-idle-s"] = std::to_string(d.tcp.keepalive_idle_s);
    m["dataplane/tcp/keepalive-interval-s"] = std::to_string(d.tcp.keepalive_interval_s);
    m["dataplane/tcp/keepalive-probes"] = std::to_string(d.tcp.keepalive_probes);
    for (const auto& p : s.ports) {
        const std::string b = "ports/" + p.name + "/";
        m[b + "device"] = p.device;
        std::vector<std::string> addrs;
        for (const auto& a : p.addresses) {
            addrs.push_back(prefix_text(a));
        }
        m[b + "address"] = join(addrs);
        m[b + "gateway"] = p.gateway_be ? ipv4_text(*p.gateway_be) : "none";
        m[b + "mtu"] = std::to_string(p.mtu);
        m[b + "rx-desc"] = std::to_string(p.rx_desc);
        m[b + "tx-desc"] = std::to_string(p.tx_desc);
    }
    m["limits/max-sessions"] = std::to_string(s.limits.max_sessions);
    m["limits/max-message-bytes"] = std::to_string(s.limits.max_message_bytes);
    m["limits/max-sip-headers"] = std::to_string(s.limits.max_sip_headers);
    m["limits/max-connections-per-lcore"] = std::to_string(s.limits.max_connections_per_lcore);
    const auto& im = s.im;
    m["im/media-path"] = im.media_path == platform::media_path_policy::always  ? "always"
                         : im.media_path == platform::media_path_policy::never ? "never"
                                                                               : "dynamic";
    m["im/charging-needs-media-path"] = im.charging_needs_media_path ? "true" : "false";
    m["im/request-sent-counts"] = im.request_sent_counts ? "true" : "false";
    m["im/client-releases"] = join(im.client_releases);
    m["im/client-releases/required"] = im.require_client_release ? "true" : "false";
    flatten_policy(m, "im/pager", im.pager);
    flatten_policy(m, "im/session", im.session);
    flatten_policy(m, "im/large-message", im.large_message);
    flatten_policy(m, "im/file-transfer", im.file_transfer);
    m["im/expired-pager"] = im.deliver_expired_pager ? "deliver" : "reject";
    m["im/system-message-timeout-s"] = std::to_string(im.system_message_timeout_s);
    m["im/deferred-retention-s"] = std::to_string(im.deferred_retention_s);
    std::vector<std::string> peers;
    for (const auto& p : im.trusted_peers) {
        peers.push_back(prefix_text(p));
    }
    m["im/trusted-peers"] = peers.empty() ? "none" : join(peers);
    m["im/core-uri"] = im.core_uri.empty() ? "none" : im.core_uri;
    m["im/session-expires-s"] = std::to_string(im.session_expires_s);
    m["im/min-se-s"] = std::to_string(im.min_se_s);
    m["im/msrp-response-timeout-ms"] = std::to_string(im.msrp_response_timeout_ms);
    for (const auto& r : s.content_rules) {
        const char* action = r.action == platform::rule_action::allow   ? "allow"
                             : r.action == platform::rule_action::count ? "count"
                                                                        : "block";
        std::string flags =
            std::string(r.caseless ? "i" : "") + (r.dotall ? "s" : "") + (r.multiline ? "m" : "");
        m["content-rules/" + std::to_string(r.id)] =
            std::string(action) + " /" + r.expression + "/" + flags;
    }
    return m;
}

bool applies_live(const std::string& path) {
    if (path.starts_with("im/") || path.starts_with("limits/") ||
        path.starts_with("content-rules/") || path == "system/log-level" ||
        path == "system/node-name" || path == "dataplane/sip/rate-per-source" ||
        path == "dataplane/sip/burst-per-source") {
        return true;
    }
    if (path.starts_with("ports/")) {
        return path.ends_with("/address") || path.ends_with("/gateway");
    }
    return false;
}

std::vector<setting_change> diff(const platform::settings& from, const platform::settings& to) {
    auto a = flatten(from);
    auto b = flatten(to);
    std::set<std::string> paths;
    for (const auto& [k, v] : a) {
        paths.insert(k);
    }
    for (const auto& [k, v] : b) {
        paths.insert(k);
    }
    std::vector<setting_change> out;
    for (const auto& p : paths) {
        auto ia = a.find(p);
        auto ib = b.find(p);
        std::string before = ia != a.end() ? ia->second : "";
        std::string after = ib != b.end() ? ib->second : "";
        if (before == after) {
            continue;
        }
        // A port that appears or disappears needs a restart, whatever the field.
        bool port_set_changed = p.starts_with("ports/") && (ia == a.end() || ib == b.end());
        out.push_back({p, before, after, port_set_changed || !applies_live(p)});
    }
    return out;
}

}  // namespace imsd::mgmt

#include "mgmt/settings/settings_doc.hpp"

#include <arpa/inet.h>
#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <vector>

namespace imsd::embedded {
extern const std::string_view settings_xsd;
extern const std::string_view settings_xml;
}  // namespace imsd::embedded

namespace imsd::mgmt {

using platform::error;
using platform::make_error;

std::string_view settings_schema_text() { return embedded::settings_xsd; }
std::string_view default_settings_text() { return embedded::settings_xml; }

namespace {

struct doc_deleter {
    void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
struct schema_parser_deleter {
    void operator()(xmlSchemaParserCtxt* c) const { xmlSchemaFreeParserCtxt(c); }
};
struct schema_deleter {
    void operator()(xmlSchema* s) const { xmlSchemaFree(s); }
};
struct valid_deleter {
    void operator()(xmlSchemaValidCtxt* c) const { xmlSchemaFreeValidCtxt(c); }
};
struct parser_deleter {
    void operator()(xmlParserCtxt* c) const { xmlFreeParserCtxt(c); }
};
using doc_ptr = std::unique_ptr<xmlDoc, doc_deleter>;

struct problem {
    int line;
    std::string text;
};

// Collects libxml2's structured errors for one document.
struct collector {
    std::vector<problem> problems;

    static void on_error(void* self, xmlErrorPtr e) {
        auto* c = static_cast<collector*>(self);
        if (e == nullptr || c->problems.size() >= 20) {
            return;
        }
        std::string msg = e->message != nullptr ? e->message : "unknown error";
        while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) {
            msg.pop_back();
        }
        c->problems.push_back({e->line, std::move(msg)});
    }
};

error to_error(const std::string& name, const std::vector<problem>& problems) {
    std::string all;
    for (const auto& p : problems) {
        all += (all.empty() ? "" : "\n") + name + ":" + std::to_string(p.line) + ": " + p.text;
    }
    const problem& first = problems.front();
    return make_error(name + ":" + std::to_string(first.line),
                      problems.size() == 1 ? first.text : first.text + "\n" + all);
}

// The schema, compiled once per thread on first use.
xmlSchema* compiled_schema() {
    thread_local std::unique_ptr<xmlSchema, schema_deleter> schema = [] {
        std::unique_ptr<xmlSchemaParserCtxt, schema_parser_deleter> pc(xmlSchemaNewMemParserCtxt(
            settings_schema_text().data(), static_cast<int>(settings_schema_text().size())));
        return std::unique_ptr<xmlSchema, schema_deleter>(pc ? xmlSchemaParse(pc.get()) : nullptr);
    }();
    return schema.get();
}

std::string text_of(xmlNode* n) {
    xmlChar* c = xmlNodeGetContent(n);
    std::string s = c != nullptr ? reinterpret_cast<const char*>(c) : "";
    xmlFree(c);
    // The schema allows surrounding whitespace in simple types.
    const auto b = s.find_first_not_of(" \t\r\n");
    const auto e = s.find_last_not_of(" \t\r\n");
    return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::string_view local_name(const xmlNode* n) { return reinterpret_cast<const char*>(n->name); }

template <typename T>
T number(const std::string& s) {
    T v{};
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
}

uint32_t ipv4(const std::string& s) {
    in_addr a{};
    inet_pton(AF_INET, s.c_str(), &a);
    return a.s_addr;
}

platform::ipv4_prefix prefix(const std::string& s) {
    auto slash = s.find('/');
    return platform::ipv4_prefix{ipv4(s.substr(0, slash)), number<uint8_t>(s.substr(slash + 1))};
}

uint32_t mask_of(uint8_t len) {
    return len == 0 ? 0 : htonl(static_cast<uint32_t>(~uint64_t{0} << (32 - len)));
}

template <typename F>
void for_elements(xmlNode* parent, F&& f) {
    for (xmlNode* c = parent->children; c != nullptr; c = c->next) {
        if (c->type == XML_ELEMENT_NODE) {
            f(c);
        }
    }
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
        }
    });
}

platform::port_settings map_port(xmlNode* node) {
    platform::port_settings p;
    p.line = static_cast<int>(xmlGetLineNo(node));
    xmlChar* name = xmlGetProp(node, reinterpret_cast<const xmlChar*>("name"));
    p.name = name != nullptr ? reinterpret_cast<const char*>(name) : "";
    xmlFree(name);
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

// What the schema cannot say.
std::vector<problem> cross_check(const platform::settings& s) {
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
            char buf[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, &a.addr_be, buf, sizeof(buf));
            const uint32_t m = mask_of(a.len);
            if (!addrs.insert(a.addr_be).second) {
                out.push_back({p.line, std::string("address ") + buf + " is given twice"});
            }
            if (a.len <= 30 && ((a.addr_be & ~m) == 0 || (a.addr_be | m) == 0xffffffffu)) {
                out.push_back({p.line, std::string("address ") + buf + "/" + std::to_string(a.len) +
                                           " is the network or broadcast address of its prefix"});
            }
            const uint8_t first = static_cast<uint8_t>(ntohl(a.addr_be) >> 24);
            if (first == 0 || first == 127 || first >= 224) {
                out.push_back(
                    {p.line, std::string("address ") + buf + " is not a unicast host address"});
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
    return out;
}

}  // namespace

std::expected<platform::settings, error> parse_settings(std::string_view text,
                                                        const std::string& name) {
    if (text.size() > max_settings_bytes) {
        return std::unexpected(make_error(
            name, "document is larger than " + std::to_string(max_settings_bytes) + " bytes"));
    }
    // No DTD is ever processed: no external entities, no entity expansion.
    if (auto pos = text.find("<!DOCTYPE"); pos != std::string_view::npos) {
        int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + pos, '\n'));
        return std::unexpected(make_error(name + ":" + std::to_string(line),
                                          "DTDs are not allowed in settings documents"));
    }
    collector errors;
    std::unique_ptr<xmlParserCtxt, parser_deleter> pctx(xmlNewParserCtxt());
    if (!pctx) {
        return std::unexpected(make_error(name, "out of memory"));
    }
    xmlSetStructuredErrorFunc(&errors, collector::on_error);
    doc_ptr doc(xmlCtxtReadMemory(pctx.get(), text.data(), static_cast<int>(text.size()),
                                  name.c_str(), nullptr,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
    xmlSetStructuredErrorFunc(nullptr, nullptr);
    if (!doc || !errors.problems.empty()) {
        if (errors.problems.empty()) {
            errors.problems.push_back({0, "not a well-formed XML document"});
        }
        return std::unexpected(to_error(name, errors.problems));
    }
    if (doc->intSubset != nullptr || doc->extSubset != nullptr) {
        return std::unexpected(make_error(name, "DTDs are not allowed in settings documents"));
    }

    xmlSchema* schema = compiled_schema();
    if (schema == nullptr) {
        return std::unexpected(make_error("imsd.xsd", "the built-in schema does not compile"));
    }
    std::unique_ptr<xmlSchemaValidCtxt, valid_deleter> vctx(xmlSchemaNewValidCtxt(schema));
    xmlSchemaSetValidStructuredErrors(vctx.get(), collector::on_error, &errors);
    int rc = xmlSchemaValidateDoc(vctx.get(), doc.get());
    if (rc != 0) {
        if (errors.problems.empty()) {
            errors.problems.push_back({0, "document does not validate against imsd.xsd"});
        }
        return std::unexpected(to_error(name, errors.problems));
    }

    platform::settings s;
    s.source = name;
    xmlNode* root = xmlDocGetRootElement(doc.get());
    for_elements(root, [&](xmlNode* c) {
        auto n = local_name(c);
        if (n == "system") {
            map_system(c, s.system);
        } else if (n == "dataplane") {
            map_dataplane(c, s.dataplane);
        } else if (n == "ports") {
            for_elements(c, [&](xmlNode* p) { s.ports.push_back(map_port(p)); });
        }
    });
    auto problems = cross_check(s);
    if (!problems.empty()) {
        return std::unexpected(to_error(name, problems));
    }
    return s;
}

std::expected<platform::settings, error> load_settings_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) {
        return std::unexpected(make_error(path, "cannot open: " + std::string(strerror(errno))));
    }
    std::string text;
    text.resize(max_settings_bytes + 1);
    f.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<size_t>(f.gcount()));
    return parse_settings(text, path);
}

}  // namespace imsd::mgmt

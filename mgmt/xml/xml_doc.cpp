#include "mgmt/xml/xml_doc.hpp"

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>

namespace imsd::mgmt::xml {

using platform::make_error;

namespace {

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

xmlSchema* compiled(std::string_view text) {
    thread_local std::map<const char*, std::unique_ptr<xmlSchema, schema_deleter>> cache;
    auto it = cache.find(text.data());
    if (it != cache.end()) {
        return it->second.get();
    }
    std::unique_ptr<xmlSchemaParserCtxt, schema_parser_deleter> pc(
        xmlSchemaNewMemParserCtxt(text.data(), static_cast<int>(text.size())));
    std::unique_ptr<xmlSchema, schema_deleter> s(pc ? xmlSchemaParse(pc.get()) : nullptr);
    xmlSchema* raw = s.get();
    cache.emplace(text.data(), std::move(s));
    return raw;
}

}  // namespace

platform::error to_error(const std::string& name, const std::vector<problem>& problems) {
    std::string all;
    for (const auto& p : problems) {
        all += (all.empty() ? "" : "\n") + name + ":" + std::to_string(p.line) + ": " + p.text;
    }
    const problem& first = problems.front();
    return make_error(name + ":" + std::to_string(first.line),
                      problems.size() == 1 ? first.text : first.text + "\n" + all);
}

std::expected<doc_ptr, platform::error> schema::parse(std::string_view text,
                                                      const std::string& name) const {
    if (text.size() > max_document_bytes) {
        return std::unexpected(make_error(
            name, "document is larger than " + std::to_string(max_document_bytes) + " bytes"));
    }
    // No DTD is ever processed: no external entities, no entity expansion.
    if (auto pos = text.find("<!DOCTYPE"); pos != std::string_view::npos) {
        int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + pos, '\n'));
        return std::unexpected(make_error(name + ":" + std::to_string(line),
                                          "DTDs are not allowed in imsd documents"));
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
        return std::unexpected(make_error(name, "DTDs are not allowed in imsd documents"));
    }
    xmlSchema* s = compiled(text_);
    if (s == nullptr) {
        return std::unexpected(make_error(name, "the built-in schema does not compile"));
    }
    std::unique_ptr<xmlSchemaValidCtxt, valid_deleter> vctx(xmlSchemaNewValidCtxt(s));
    xmlSchemaSetValidStructuredErrors(vctx.get(), collector::on_error, &errors);
    if (xmlSchemaValidateDoc(vctx.get(), doc.get()) != 0) {
        if (errors.problems.empty()) {
            errors.problems.push_back({0, "document does not validate against its schema"});
        }
        return std::unexpected(to_error(name, errors.problems));
    }
    return doc;
}

std::string text_of(xmlNode* n) {
    xmlChar* c = xmlNodeGetContent(n);
    std::string s = c != nullptr ? reinterpret_cast<const char*>(c) : "";
    xmlFree(c);
    const auto b = s.find_first_not_of(" \t\r\n");
    const auto e = s.find_last_not_of(" \t\r\n");
    return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::string_view local_name(const xmlNode* n) { return reinterpret_cast<const char*>(n->name); }

std::string_view ns_of(const xmlNode* n) {
    return n->ns != nullptr && n->ns->href != nullptr ? reinterpret_cast<const char*>(n->ns->href)
                                                      : "";
}

std::string attr(xmlNode* n, const char* name) {
    xmlChar* v = xmlGetProp(n, reinterpret_cast<const xmlChar*>(name));
    std::string s = v != nullptr ? reinterpret_cast<const char*>(v) : "";
    xmlFree(v);
    return s;
}

int line_of(xmlNode* n) { return static_cast<int>(xmlGetLineNo(n)); }

std::expected<std::string, platform::error> read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) {
        return std::unexpected(
            make_error(path, "cannot open: " + std::string(std::strerror(errno))));
    }
    std::string text;
    text.resize(max_document_bytes + 1);
    f.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<size_t>(f.gcount()));
    return text;
}

}  // namespace imsd::mgmt::xml

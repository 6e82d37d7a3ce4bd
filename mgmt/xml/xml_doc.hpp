#pragma once

// Reading untrusted XML documents: size-bounded, DTDs refused (no external
// entities, no entity expansion), no network, validated against an XSD that
// is compiled into the binary, errors as "name:line: reason". Control threads
// only (libxml2 keeps error state per thread).

#include <libxml/tree.h>

#include <charconv>
#include <expected>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "platform/error.hpp"

namespace imsd::mgmt::xml {

inline constexpr size_t max_document_bytes = 1 << 20;

struct doc_deleter {
    void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
using doc_ptr = std::unique_ptr<xmlDoc, doc_deleter>;

struct problem {
    int line;
    std::string text;
};

// Several problems as one error: `where` is "name:line" of the first, `what`
// the first reason followed by every problem, one per line.
platform::error to_error(const std::string& name, const std::vector<problem>& problems);

// A schema compiled once (per thread) from its text. `schema_text` must
// outlive the program (a string literal or embedded file).
class schema {
   public:
    explicit schema(std::string_view schema_text) : text_(schema_text) {}
    // Parses `text` (named `name` in errors) and validates it.
    std::expected<doc_ptr, platform::error> parse(std::string_view text,
                                                  const std::string& name) const;

   private:
    std::string_view text_;
};

// Helpers for walking a validated document.
std::string text_of(xmlNode* n);  // content, surrounding whitespace trimmed
std::string_view local_name(const xmlNode* n);
std::string_view ns_of(const xmlNode* n);  // "" when none
std::string attr(xmlNode* n, const char* name);
int line_of(xmlNode* n);

template <typename F>
void for_elements(xmlNode* parent, F&& f) {
    for (xmlNode* c = parent->children; c != nullptr; c = c->next) {
        if (c->type == XML_ELEMENT_NODE) {
            f(c);
        }
    }
}

// Values of a validated document (the schema already checked the syntax).
template <typename T>
T to_number(const std::string& s) {
    T v{};
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
}
inline bool to_bool(const std::string& s) { return s == "true" || s == "1"; }

// Reads a file of at most max_document_bytes (+1 so callers see "too large").
std::expected<std::string, platform::error> read_file(const std::string& path);

}  // namespace imsd::mgmt::xml

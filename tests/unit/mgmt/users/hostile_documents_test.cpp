// Every document type imsd reads from outside refuses the same hostile
// inputs: DTDs (XXE, billion laughs), oversized and deeply nested documents,
// and bytes that are not UTF-8. None of them crashes or leaks (the suite runs
// under the fuzz build's sanitizers for the packet path; here we check the
// answers).

#include <gtest/gtest.h>

#include <functional>

#include "mgmt/settings/settings_doc.hpp"
#include "mgmt/users/documents.hpp"

namespace imsd::mgmt {
namespace {

struct doc_type {
    const char* name;
    const char* open;   // root start tag
    const char* close;  // root end tag
    std::function<bool(std::string_view)> parses;
};

std::vector<doc_type> doc_types() {
    return {
        {"settings", "<imsd xmlns=\"urn:imsd:params:xml:ns:settings:1\" version=\"1\">", "</imsd>",
         [](std::string_view t) { return parse_settings(t, "x").has_value(); }},
        {"service_settings", "<im-service-settings xmlns=\"urn:oma:xml:im:im-service-settings\">",
         "</im-service-settings>",
         [](std::string_view t) { return parse_service_settings(t, "x").has_value(); }},
        {"shared_policy", "<ruleset xmlns=\"urn:ietf:params:xml:ns:common-policy\">", "</ruleset>",
         [](std::string_view t) { return parse_shared_policy(t, "x").has_value(); }},
    };
}

void PrintTo(const doc_type& d, std::ostream* os) { *os << d.name; }

class hostile : public ::testing::TestWithParam<doc_type> {};

TEST_P(hostile, external_entity_is_refused) {
    const auto& d = GetParam();
    std::string doc = std::string(
                          "<?xml version=\"1.0\"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "
                          "\"file:///etc/passwd\">]>\n") +
                      d.open + "&x;" + d.close;
    EXPECT_FALSE(d.parses(doc));
}

TEST_P(hostile, billion_laughs_is_refused) {
    const auto& d = GetParam();
    std::string doc = "<?xml version=\"1.0\"?>\n<!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\">";
    for (int i = 1; i < 9; ++i) {
        std::string prev = i == 1 ? "a" : "a" + std::to_string(i - 1);
        doc += "<!ENTITY a" + std::to_string(i) + " \"";
        for (int k = 0; k < 10; ++k) {
            doc += "&" + prev + ";";
        }
        doc += "\">";
    }
    doc += "]>\n" + std::string(d.open) + "&a8;" + d.close;
    EXPECT_FALSE(d.parses(doc));
}

TEST_P(hostile, oversized_document_is_refused) {
    const auto& d = GetParam();
    std::string doc =
        std::string(d.open) + "<!--" + std::string(xml::max_document_bytes, 'x') + "-->" + d.close;
    EXPECT_FALSE(d.parses(doc));
}

TEST_P(hostile, deep_nesting_is_refused_without_recursion_trouble) {
    const auto& d = GetParam();
    std::string doc = d.open;
    for (int i = 0; i < 100000; ++i) {
        doc += "<x>";
    }
    for (int i = 0; i < 100000; ++i) {
        doc += "</x>";
    }
    doc += d.close;
    EXPECT_FALSE(d.parses(doc));
}

TEST_P(hostile, bytes_that_are_not_utf8_are_refused) {
    const auto& d = GetParam();
    for (const char* bad : {"\xff", "\xc3\x28", "\xe2\x82", "\xed\xa0\x80"}) {
        std::string doc = std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?>") + d.open +
                          "<!--" + bad + "-->" + d.close;
        EXPECT_FALSE(d.parses(doc)) << d.name;
    }
}

TEST_P(hostile, truncated_documents_are_refused) {
    const auto& d = GetParam();
    std::string doc = std::string("<?xml version=\"1.0\"?>") + d.open + d.close;
    for (size_t n = 0; n + 1 < doc.size(); n += 7) {
        EXPECT_FALSE(d.parses(doc.substr(0, n))) << n;
    }
}

INSTANTIATE_TEST_SUITE_P(every_document_type, hostile, ::testing::ValuesIn(doc_types()),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

}  // namespace
}  // namespace imsd::mgmt

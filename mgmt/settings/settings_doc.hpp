#pragma once

// The operator settings document: XML validated against conf/imsd.xsd (the
// schema is compiled into the binary), then mapped onto platform::settings
// with the cross-field rules the schema cannot say. Control threads only.

#include <expected>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "mgmt/xml/xml_doc.hpp"
#include "platform/error.hpp"
#include "platform/settings/settings.hpp"

namespace imsd::mgmt {

inline constexpr size_t max_settings_bytes = xml::max_document_bytes;

// Parses and validates `text`; `name` is what error messages call it
// (a file name). On failure the error's `where` is "name:line" of the first
// problem and `what` lists every problem found, one per line.
std::expected<platform::settings, platform::error> parse_settings(std::string_view text,
                                                                  const std::string& name);

// Reads and parses a file.
std::expected<platform::settings, platform::error> load_settings_file(const std::string& path);

// The documents compiled into the binary.
std::string_view settings_schema_text();
std::string_view default_settings_text();
inline constexpr const char* default_settings_name = "<embedded default conf/imsd.xml>";

// Every effective setting, defaults included, as "section/name" -> value.
std::map<std::string, std::string> flatten(const platform::settings& s);

struct setting_change {
    std::string path;
    std::string before;  // "" when added
    std::string after;   // "" when removed
    bool needs_restart;  // cannot be applied to a running imsd
};

// What changes from `from` to `to`, in path order.
std::vector<setting_change> diff(const platform::settings& from, const platform::settings& to);

// True for settings a running imsd can take (im/, limits/, content-rules/,
// port addresses and gateways, the log level, the node name).
bool applies_live(const std::string& path);

}  // namespace imsd::mgmt

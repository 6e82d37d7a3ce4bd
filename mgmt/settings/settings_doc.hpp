#pragma once

// The operator settings document: XML validated against conf/imsd.xsd (the
// schema is compiled into the binary), then mapped onto platform::settings
// with the cross-field rules the schema cannot say. Control threads only
// (libxml2's error state is per thread).

#include <cstddef>
#include <expected>
#include <string>
#include <string_view>

#include "platform/error.hpp"
#include "platform/settings/settings.hpp"

namespace imsd::mgmt {

inline constexpr size_t max_settings_bytes = 1 << 20;

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

}  // namespace imsd::mgmt

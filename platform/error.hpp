#pragma once

#include <string>
#include <utility>

namespace imsd::platform {

// The error every fallible control-plane call returns in std::expected.
// `where` names the place the operator must look at (file:line, a setting,
// a device); `what` says what is wrong in words an operator understands.
struct error {
    std::string where;
    std::string what;

    std::string to_string() const { return where.empty() ? what : where + ": " + what; }
};

inline error make_error(std::string where, std::string what) {
    return error{std::move(where), std::move(what)};
}

}  // namespace imsd::platform

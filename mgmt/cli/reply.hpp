#pragma once

// What a command answers, and the exit codes imsctl passes on to scripts.

#include <string>

namespace imsd::mgmt::cli {

// Exit codes imsctl returns; scripts may rely on them.
enum exit_code : int {
    exit_ok = 0,
    exit_failed = 1,       // the command ran and failed (bad plane name, ...)
    exit_usage = 2,        // the command line is wrong
    exit_unreachable = 3,  // no daemon at the socket
    exit_protocol = 4,     // the daemon's answer was not understood
};

struct reply {
    int exit = exit_ok;
    std::string out;
    std::string err;
};

}  // namespace imsd::mgmt::cli

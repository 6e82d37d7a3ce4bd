#pragma once

// This process's CPU time (user + system, every thread), for the benchmarks
// that compare it between stacks.

#include <sys/resource.h>

namespace imsd::bench {

inline double process_cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

}  // namespace imsd::bench

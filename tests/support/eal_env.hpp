#pragma once

// A minimal EAL for tests and benchmarks that need mbufs or rte_hash: no
// hugepages, no PCI, no shared files, no telemetry, main lcore only.

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace imsd::test {

inline void eal_init_for_tests() {
    static bool done = false;
    if (done) {
        return;
    }
    std::string prefix = "--file-prefix=imsd_test_" + std::to_string(getpid());
    std::vector<std::string> args = {"imsd-test",
                                     "-l",
                                     "0",
                                     "--no-huge",
                                     "-m",
                                     "256",
                                     "--no-pci",
                                     "--no-shconf",
                                     "--no-telemetry",
                                     prefix,
                                     "--log-level=lib.*:error"};
    std::vector<char*> argv;
    for (auto& a : args) {
        argv.push_back(a.data());
    }
    if (rte_eal_init(static_cast<int>(argv.size()), argv.data()) < 0) {
        std::fprintf(stderr, "test EAL init failed\n");
        std::abort();
    }
    done = true;
}

}  // namespace imsd::test

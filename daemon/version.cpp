#include "daemon/version.hpp"

#include <hs.h>
#include <libxml/xmlversion.h>
#include <rte_cycles.h>
#include <rte_version.h>
#include <sofia-sip/su_config.h>
// su_config.h first: it defines the export macros sofia_features.h uses.
#include <sofia-sip/sofia_features.h>
#include <unistd.h>

#include "daemon/build_info.hpp"

namespace imsd::daemon {

std::string server_token() { return std::string("IM-serv/OMA2.0 imsd/") + build::version; }

nlohmann::json version_info(const platform::settings& s, const platform::lcore_roles& roles,
                            std::chrono::steady_clock::time_point started) {
    std::string workers;
    for (unsigned w : roles.workers) {
        workers += (workers.empty() ? "" : ",") + std::to_string(w);
    }
    const auto up =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started)
            .count();
    return nlohmann::json{
        {"imsd", build::version},
        {"build", build::build_type},
        {"server_token", server_token()},
        {"dpdk", rte_version()},
        {"sofia_sip", sofia_sip_name_version},
        {"hyperscan", hs_version()},
        {"libxml2", LIBXML_DOTTED_VERSION},
        {"node", s.system.node_name},
        {"pid", static_cast<int64_t>(getpid())},
        {"uptime_s", static_cast<int64_t>(up)},
        {"settings", s.source},
        {"main_lcore", roles.main_lcore},
        {"worker_lcores", workers.empty() ? "none (single-core mode)" : workers},
        // The rate of the cycle counters (poll_busy_cycles, scan_cycles...):
        // cycles over this are seconds.
        {"tsc_hz", static_cast<int64_t>(rte_get_tsc_hz())},
    };
}

}  // namespace imsd::daemon

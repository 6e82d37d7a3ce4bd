#include "platform/rcu/rcu.hpp"

#include <rte_common.h>

#include <cstdlib>
#include <string>

namespace imsd::platform {

std::expected<std::unique_ptr<rcu_domain>, error> rcu_domain::create(uint32_t max_readers) {
    ssize_t size = rte_rcu_qsbr_get_memsize(max_readers);
    if (size <= 0) {
        return std::unexpected(
            make_error("rcu", "invalid reader count " + std::to_string(max_readers)));
    }
    size_t rounded = RTE_ALIGN_CEIL(static_cast<size_t>(size), RTE_CACHE_LINE_SIZE);
    auto* q = static_cast<rte_rcu_qsbr*>(std::aligned_alloc(RTE_CACHE_LINE_SIZE, rounded));
    if (q == nullptr) {
        return std::unexpected(make_error("rcu", "out of memory"));
    }
    if (rte_rcu_qsbr_init(q, max_readers) != 0) {
        std::free(q);
        return std::unexpected(make_error("rcu", "rte_rcu_qsbr_init failed"));
    }
    return std::unique_ptr<rcu_domain>(new rcu_domain(q, max_readers));
}

rcu_domain::~rcu_domain() { std::free(qsbr_); }

void rcu_domain::reader_online(uint32_t id) noexcept {
    rte_rcu_qsbr_thread_register(qsbr_, id);
    rte_rcu_qsbr_thread_online(qsbr_, id);
}

void rcu_domain::reader_offline(uint32_t id) noexcept {
    rte_rcu_qsbr_thread_offline(qsbr_, id);
    rte_rcu_qsbr_thread_unregister(qsbr_, id);
}

}  // namespace imsd::platform

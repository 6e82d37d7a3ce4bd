#pragma once

// The sigplane's questions about users (sig::user_source), answered from
// mgmt's user directory: the daemon is where the planes meet.

#include <chrono>

#include "mgmt/users/directory.hpp"
#include "mgmt/users/documents.hpp"
#include "sigplane/agent/agent.hpp"

namespace imsd::daemon {

class directory_users final : public sig::user_source {
   public:
    explicit directory_users(const mgmt::user_directory& dir) : dir_(dir) {}

    std::optional<sig::served_user> find(const std::string& uri) const override {
        auto docs = dir_.find(mgmt::normalize_uri(uri));
        if (!docs) {
            return std::nullopt;
        }
        sig::served_user u;
        u.provisioned = true;  // a user with documents here is one this node serves
        if (docs->settings) {
            u.isb_active = docs->settings->isb_active;
            u.ipab_active = docs->settings->ipab_active;
            u.history_active = docs->settings->history_active;
        }
        return u;
    }

    sig::invite_permission allow_invite(const std::string& recipient, const std::string& sender,
                                        bool anonymous, sig::im_kind kind) const override {
        auto docs = dir_.find(mgmt::normalize_uri(recipient));
        if (!docs || !docs->policy) {
            return sig::invite_permission::none;
        }
        mgmt::policy_request rq;
        rq.sender = mgmt::normalize_uri(sender);
        rq.anonymous = anonymous;
        rq.kind = kind == sig::im_kind::pager           ? mgmt::im_request::pager
                  : kind == sig::im_kind::large_message ? mgmt::im_request::large_message
                  : kind == sig::im_kind::file_transfer ? mgmt::im_request::file_transfer
                                                        : mgmt::im_request::session;
        rq.now_s = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
        switch (mgmt::evaluate(*docs->policy, rq).allow_invite) {
            case mgmt::invite_permission::reject:
                return sig::invite_permission::reject;
            case mgmt::invite_permission::allow:
                return sig::invite_permission::allow;
            case mgmt::invite_permission::none:
                break;
        }
        return sig::invite_permission::none;
    }

   private:
    const mgmt::user_directory& dir_;
};

}  // namespace imsd::daemon

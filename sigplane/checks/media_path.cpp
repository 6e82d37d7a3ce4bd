#include "sigplane/checks/media_path.hpp"

namespace imsd::sig {

bool stays_in_media_path(const platform::im_settings& s, const served_user* user,
                         im_kind kind) noexcept {
    if (kind == im_kind::pager) {
        return false;  // a MESSAGE carries its body in SIP: no media to stay in
    }
    switch (s.media_path) {
        case platform::media_path_policy::always:
            return true;
        case platform::media_path_policy::never:
            return false;
        case platform::media_path_policy::dynamic:
            // 6.1.1: "If the History function is supported and a user has his
            // history settings active ..."; "If the Participating function
            // needs to do charging".
            return (user != nullptr && user->history_active) || s.charging_needs_media_path;
    }
    return false;
}

}  // namespace imsd::sig

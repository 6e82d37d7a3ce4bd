#pragma once

// OMA IM 6.1.1 (and 6.1.2 by reference): whether the Participating Function
// stays in the media path for a request, per the operator's settings -
// static (im/media-path always / never) or dynamic: when the served user's
// history setting is active, or when charging needs it
// (im/charging-needs-media-path). Pager Mode has no media path. A pure
// function; any thread.

#include "platform/settings/settings.hpp"
#include "sigplane/checks/facts.hpp"

namespace imsd::sig {

// `user` is null when the served user is not known here.
bool stays_in_media_path(const platform::im_settings& s, const served_user* user,
                         im_kind kind) noexcept;

}  // namespace imsd::sig

// Internal: report a progress event to an optional callback.
#pragma once

#include <oras/ops/progress.hpp>

namespace oras::ops::detail {

inline void emit(const progress_fn& p, progress_event::kind k, const descriptor& d,
                 const std::string& name, std::uint64_t done = 0) {
    if (p) {
        p({k, d, name, done});
    }
}

}  // namespace oras::ops::detail

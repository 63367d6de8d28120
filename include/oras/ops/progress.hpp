// progress: what push, pull and copy report while they work.
#pragma once

#include <oras/descriptor.hpp>

#include <cstdint>
#include <functional>
#include <string>

namespace oras::ops {

struct progress_event {
    enum class kind {
        started,   ///< a transfer begins
        bytes,     ///< `done` bytes of `desc.size` (0 when unknown) have moved
        finished,  ///< the transfer completed
        exists,    ///< already at the destination: nothing moved
        skipped,   ///< left out (a filter, or a layer without a title)
        mounted,   ///< made to exist at the destination by a cross-repository mount: no bytes
    };
    kind what = kind::started;
    descriptor desc{};
    std::string name{};  ///< the title or path, when there is one
    std::uint64_t done = 0;
};

/// Called on the operation's executor; must not throw or block.
using progress_fn = std::function<void(const progress_event&)>;

}  // namespace oras::ops

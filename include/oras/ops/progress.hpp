// progress: what push, pull and copy report while they work.
#pragma once

#include <oras/descriptor.hpp>

#include <cstdint>
#include <functional>
#include <string>

#pragma GCC visibility push(default)

namespace oras::ops {

/// One step of one node's transfer, reported to a `progress_fn`.
struct progress_event {
    /// What happened to `desc`.
    enum class kind {
        started,   ///< a transfer begins
        bytes,     ///< `done` bytes of `desc.size` (0 when unknown) are at the destination
        finished,  ///< the transfer completed
        exists,    ///< already at the destination: nothing moved
        skipped,   ///< left out (a filter, or a layer without a title)
        mounted,   ///< made to exist at the destination by a cross-repository mount: no bytes
        /// continues after `done` bytes an interrupted transfer left at the destination (a
        /// partial file); the `bytes` events that follow count from there, the kept bytes
        /// included, though they did not move again. `done` 0: those bytes turned out unusable
        /// and the transfer starts over
        resumed,
    };
    kind what = kind::started;  ///< the step reported
    descriptor desc{};          ///< the blob or manifest concerned
    std::string name{};         ///< the title or path, when there is one
    /// Bytes at the destination so far for `bytes`; the bytes kept for `resumed`; the size for
    /// `finished`; 0 for the other kinds.
    std::uint64_t done = 0;
};

/// Called on the operation's executor; must not throw or block.
using progress_fn = std::function<void(const progress_event&)>;

}  // namespace oras::ops

#pragma GCC visibility pop

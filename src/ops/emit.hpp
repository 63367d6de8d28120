// Internal: report progress events to an optional callback.
#pragma once

#include <oras/content/target.hpp>
#include <oras/ops/progress.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace oras::ops::detail {

inline void emit(const progress_fn& p, progress_event::kind k, const descriptor& d,
                 const std::string& name, std::uint64_t done = 0) {
    if (p) {
        p({k, d, name, done});
    }
}

/// Counts the bytes a reader hands out, for progress, from `from` (the bytes of `desc` already at
/// the destination when `r` continues a partial transfer).
inline byte_source counted(byte_source r, const progress_fn& progress, const descriptor& desc,
                           const std::string& name, std::uint64_t from = 0) {
    if (!progress) {
        return r;
    }
    auto done = std::make_shared<std::uint64_t>(from);
    // Counting needs no bytes: the source keeps its file or memory, and with them the
    // transport's fast path (sendfile), which reports what it sent.
    return byte_source::counting(
        std::move(r),
        [done, progress, desc, name](std::uint64_t n) {
            *done += n;
            progress({progress_event::kind::bytes, desc, name, *done});
        },
        [done, from] { *done = from; });
}

}  // namespace oras::ops::detail

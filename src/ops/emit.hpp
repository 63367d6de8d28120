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

/// Counts the bytes a reader hands out, for progress.
inline byte_source counted(byte_source r, const progress_fn& progress, const descriptor& desc,
                           const std::string& name) {
    if (!progress) {
        return r;
    }
    auto done = std::make_shared<std::uint64_t>(0);
    auto next = [r, done, progress, desc,
                 name](std::span<std::byte> buf) -> boost::asio::awaitable<std::size_t> {
        const auto n = co_await r.read(buf);
        *done += n;
        progress({progress_event::kind::bytes, desc, name, *done});
        co_return n;
    };
    std::function<void()> rewind;
    if (r.replayable()) {
        rewind = [r, done] {
            r.rewind();
            *done = 0;
        };
    }
    // Made anew, without `file()`: the counting wrapper must see the bytes.
    auto out = byte_source::from_generator(std::move(next), r.length(), std::move(rewind));
    out.set_checked(r.checked());
    return out;
}

}  // namespace oras::ops::detail

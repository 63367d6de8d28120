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
inline content::blob_reader counted(content::blob_reader r, const progress_fn& progress,
                                    const descriptor& desc, const std::string& name) {
    if (!progress) {
        return r;
    }
    auto done = std::make_shared<std::uint64_t>(0);
    auto inner = std::move(r.read);
    r.read = [inner, done, progress, desc,
              name](std::span<std::byte> buf) -> boost::asio::awaitable<std::size_t> {
        const auto n = co_await inner(buf);
        *done += n;
        progress({progress_event::kind::bytes, desc, name, *done});
        co_return n;
    };
    if (r.rewind) {
        r.rewind = [inner_rewind = r.rewind, done] {
            inner_rewind();
            *done = 0;
        };
    }
    r.file.reset();  // the counting wrapper must see the bytes
    return r;
}

}  // namespace oras::ops::detail

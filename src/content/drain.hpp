// Internal: read a blob reader to its end, chunk by chunk.
#pragma once

#include <oras/content/target.hpp>
#include <oras/error.hpp>

#include <boost/asio/awaitable.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace oras::content::detail {

/// Reads `src` to its end in chunks of at most `chunk_size` bytes and hands each to `consume`
/// (synchronous; it may throw to stop). A reader that claims more bytes than its buffer holds is
/// refused. `src` must outlive the returned awaitable; pass `consume` as a named object (GCC 12
/// mishandles lambda temporaries inside co_await expressions).
template <class Consume>
boost::asio::awaitable<void> drain(blob_reader& src, std::size_t chunk_size, Consume consume) {
    // Sized to the blob when its length is known (many small blobs are the common case of a
    // bulk pull) and not zero-filled: a 1 MiB buffer per small file cost a page-faulting
    // allocation each.
    const auto size = static_cast<std::size_t>(
        src.length ? std::clamp<std::uint64_t>(*src.length + 1, 4096, chunk_size) : chunk_size);
    const auto storage = std::make_unique_for_overwrite<std::byte[]>(size);
    const std::span<std::byte> buf(storage.get(), size);
    for (;;) {
        const std::size_t n = co_await src.read(buf);
        if (n == 0) {
            co_return;
        }
        if (n > buf.size()) {
            throw error(errc::invalid_argument, "blob reader returned more bytes than asked for");
        }
        consume(std::span<const std::byte>(buf.data(), n));
    }
}

}  // namespace oras::content::detail

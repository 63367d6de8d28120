// Internal: read a byte source to its end, chunk by chunk.
#pragma once

#include <oras/content/target.hpp>
#include <oras/error.hpp>

#include <boost/asio/awaitable.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

namespace oras::content::detail {

/// A buffer for streaming a blob of `length` bytes (unknown: `max`): sized to the blob, between
/// 4 KiB and `max`, with room to see the end, and not zero-filled. Many small blobs are the
/// common case of a bulk pull; a 1 MiB zeroed buffer for each cost a page-faulting allocation.
inline std::span<std::byte> blob_buffer(std::unique_ptr<std::byte[]>& storage,
                                        std::optional<std::uint64_t> length, std::size_t max) {
    const auto size =
        static_cast<std::size_t>(length ? std::clamp<std::uint64_t>(*length + 1, 4096, max) : max);
    storage = std::make_unique_for_overwrite<std::byte[]>(size);
    return {storage.get(), size};
}

/// Reads `src` to its end in chunks of at most `chunk_size` bytes and hands each to `consume`
/// (synchronous; it may throw to stop). A reader that claims more bytes than its buffer holds is
/// refused. `src` must outlive the returned awaitable; pass `consume` as a named object (GCC 12
/// mishandles lambda temporaries inside co_await expressions).
template <class Consume>
boost::asio::awaitable<void> drain(byte_source& src, std::size_t chunk_size, Consume consume) {
    std::unique_ptr<std::byte[]> storage;
    const auto buf = blob_buffer(storage, src.length(), chunk_size);
    for (;;) {
        const std::size_t n = co_await src.read(buf);
        if (n == 0) {
            co_return;
        }
        if (n > buf.size()) {
            throw error(errc::invalid_argument, "a byte source returned more bytes than asked for");
        }
        consume(std::span<const std::byte>(buf.data(), n));
    }
}

}  // namespace oras::content::detail

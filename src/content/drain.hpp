// Internal: read a byte source to its end, chunk by chunk.
#pragma once

#include <oras/content/target.hpp>
#include <oras/error.hpp>
#include <oras/hasher.hpp>
#include <oras/verifier.hpp>

#include <boost/asio/awaitable.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

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

/// Reads `src` to its end into `sink`, which may offer memory of its own (`room()`, possibly
/// empty) that the bytes are read into and then given with `put(n)`, not copied again; when it
/// offers none they are read into a buffer and given with `write(chunk)`. `check` sees every chunk
/// before the sink takes it, and may throw to stop. Chunks are of at most `chunk_size` bytes in a
/// buffer of its own; a reader that claims more bytes than it was given room for is refused. `src`
/// and `sink` must outlive the returned awaitable; pass `check` as a named object (GCC 12
/// mishandles lambda temporaries inside co_await expressions).
template <class Sink, class Check>
boost::asio::awaitable<void> drain_to(byte_source& src, std::size_t chunk_size, Sink& sink,
                                      Check check) {
    std::unique_ptr<std::byte[]> storage;
    std::span<std::byte> own;
    for (;;) {
        std::span<std::byte> buf = sink.room();
        const bool in_place = !buf.empty();
        if (in_place && storage) {
            storage.reset();  // the sink's memory from here on: not held twice
            own = {};
        } else if (!in_place) {
            if (own.empty()) {
                own = blob_buffer(storage, src.length(), chunk_size);
            }
            buf = own;
        }
        const std::size_t n = co_await src.read(buf);
        if (n == 0) {
            co_return;
        }
        if (n > buf.size()) {
            throw error(errc::invalid_argument, "a byte source returned more bytes than asked for");
        }
        const std::span<const std::byte> chunk(buf.data(), n);
        check(chunk);
        if (in_place) {
            sink.put(n);
        } else {
            sink.write(chunk);
        }
    }
}

/// Reads `src` to its end into `sink` as `drain_to` does, checking the bytes against `desc`
/// (size and digest) unless `src` verifies itself, and returns them when `keep` (a manifest read
/// to see whether it is a referrer), else nothing. Throws `size_mismatch` or `digest_mismatch`.
/// `src` and `sink` must outlive the returned awaitable.
template <class Sink>
boost::asio::awaitable<std::string> drain_verified(byte_source& src, std::size_t chunk_size,
                                                   Sink& sink, descriptor desc, bool keep) {
    // A reader that verifies itself (`content::verified`) is not hashed a second time.
    const bool hash_here = !src.verified();
    std::string kept;
    verifier v(desc.digest, desc.size);
    const auto checked = [&](std::span<const std::byte> chunk) {
        if (auto ok = hash_here ? v.update(chunk) : result<void>{}; !ok) {
            throw error(ok.error());
        }
        if (keep) {
            kept.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
        }
    };
    co_await drain_to(src, chunk_size, sink, checked);
    if (auto ok = hash_here ? v.finish() : result<void>{}; !ok) {
        throw error(ok.error());
    }
    co_return kept;
}

/// Reads `src` to its end into `sink` as `drain_to` does, and describes what passed: `media_type`,
/// the SHA-256 digest and the size of the bytes (a push of content whose digest is not known
/// ahead). `src` and `sink` must outlive the returned awaitable.
template <class Sink>
boost::asio::awaitable<descriptor> drain_described(byte_source& src, std::size_t chunk_size,
                                                   Sink& sink, std::string media_type) {
    hasher h(digest_algorithm::sha256);
    std::int64_t size = 0;
    const auto hashed = [&](std::span<const std::byte> chunk) {
        h.update(chunk);
        size += static_cast<std::int64_t>(chunk.size());
    };
    co_await drain_to(src, chunk_size, sink, hashed);
    descriptor out;
    out.media_type = std::move(media_type);
    out.digest = h.finish();
    out.size = size;
    co_return out;
}

/// A sink for `drain_to` with no memory of its own: every chunk goes to `consume`.
template <class Consume>
struct consuming_sink {
    Consume& consume;

    std::span<std::byte> room() const noexcept { return {}; }
    void put(std::size_t) const noexcept {}
    void write(std::span<const std::byte> chunk) const { consume(chunk); }
};

/// Reads `src` to its end in chunks of at most `chunk_size` bytes and hands each to `consume`
/// (synchronous; it may throw to stop), as `drain_to` does into a sink without memory of its
/// own. `src` must outlive the returned awaitable; pass `consume` as a named object.
template <class Consume>
boost::asio::awaitable<void> drain(byte_source& src, std::size_t chunk_size, Consume consume) {
    consuming_sink<Consume> sink{consume};
    const auto unchecked = [](std::span<const std::byte>) {};
    co_await drain_to(src, chunk_size, sink, unchecked);
}

}  // namespace oras::content::detail

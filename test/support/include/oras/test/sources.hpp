// Byte sources shaped the way a test needs: a stream that does not say its length, or one
// that cannot start again.
#pragma once

#include <oras/byte_source.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <span>

namespace oras::test {

/// The bytes of `src`, read through it, with no length announced and no memory or file
/// shape: what a stream looks like. Replayable when `src` is.
inline oras::byte_source unsized(oras::byte_source src) {
    auto next = [src](std::span<std::byte> buf) { return src.read(buf); };
    std::function<void()> rewind;
    if (src.replayable()) {
        rewind = [src] { src.rewind(); };
    }
    return oras::byte_source::from_generator(std::move(next), std::nullopt, std::move(rewind));
}

/// The bytes of `src`, with its length, that can be read only once.
inline oras::byte_source once(oras::byte_source src) {
    auto next = [src](std::span<std::byte> buf) { return src.read(buf); };
    return oras::byte_source::from_generator(std::move(next), src.length());
}

}  // namespace oras::test

// verifier: checks a stream's size and digest as it passes.
#pragma once

#include <oras/digest.hpp>
#include <oras/hasher.hpp>
#include <oras/result.hpp>

#include <cstddef>
#include <cstdint>
#include <span>

#pragma GCC visibility push(default)

namespace oras {

/// Feeds every chunk of a stream through a hasher and counts it against the expected size, so
/// that a transfer is refused as soon as it runs long and, at the end, for the one check that
/// failed: `size_mismatch` or `digest_mismatch`.
class verifier {
  public:
    /// `expected_size` < 0 means the size is unknown and only the digest is checked.
    verifier(digest expected, std::int64_t expected_size);

    /// Fails with `size_mismatch` as soon as the stream exceeds the expected size; the chunk is
    /// then not hashed. After a failure every further call fails the same way.
    result<void> update(std::span<const std::byte> chunk);

    /// Checks the size, then the digest. Call once, at the end of the stream.
    result<void> finish();

    /// Bytes accepted (and hashed) so far; a chunk refused for running long is not counted.
    std::int64_t received() const noexcept { return received_; }
    /// The digest given at construction.
    const digest& expected() const noexcept { return expected_; }

  private:
    digest expected_;
    std::int64_t expected_size_;
    std::int64_t received_ = 0;
    bool overrun_ = false;
    hasher hasher_;
};

}  // namespace oras

#pragma GCC visibility pop

// memory_store: a target that keeps content and tags in memory.
#pragma once

#include <oras/content/target.hpp>
#include <oras/descriptor.hpp>
#include <oras/digest.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#pragma GCC visibility push(default)

namespace oras::content {

/// Content by digest and tags, in memory: for tests, and to stage small artifacts before a copy.
///
/// Verifies on push (size, then digest; nothing is stored on a mismatch), so what it serves was
/// verified when it came in and is not hashed again on fetch. Pushing content it already holds
/// completes at once without reading the source. Content is never evicted.
///
/// Not thread-safe, and it takes no lock: like an Asio I/O object, use one store from one strand
/// (or one thread) at a time. Coroutines interleaved on that strand are fine: no member is left
/// half-updated across a suspension point.
class memory_store final : public target {
  public:
    memory_store() = default;

    boost::asio::awaitable<bool> exists(descriptor desc) override;
    boost::asio::awaitable<byte_source> open(descriptor desc) override;
    boost::asio::awaitable<void> push(descriptor desc, byte_source src) override;
    boost::asio::awaitable<descriptor> push_unknown(std::string media_type,
                                                    byte_source src) override;
    /// A tag, or a digest of stored content (which is then described as it was pushed).
    boost::asio::awaitable<descriptor> resolve(std::string reference) override;
    /// `reference` must be a valid tag and `desc` stored; a tag already in use is moved.
    boost::asio::awaitable<void> tag(descriptor desc, std::string reference) override;

    /// Number of stored blobs and manifests.
    std::size_t size() const noexcept { return blobs_.size(); }

  private:
    struct entry {
        descriptor desc{};
        std::shared_ptr<const std::string> bytes{};
    };

    std::unordered_map<digest, entry> blobs_{};
    std::map<std::string, descriptor, std::less<>> tags_{};
};

}  // namespace oras::content

#pragma GCC visibility pop

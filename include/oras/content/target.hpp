// target: what push, pull and copy work on — a remote repository, an OCI image layout, a
// directory of files, memory. Storage (exists, fetch, push), resolver and tagger in one.
#pragma once

#include <oras/descriptor.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace oras::content {

/// Fills the buffer with the next bytes of a blob and returns how many; 0 ends it.
using read_fn = std::function<boost::asio::awaitable<std::size_t>(std::span<std::byte>)>;

/// Receives a blob's bytes in order.
using write_fn = std::function<boost::asio::awaitable<void>(std::span<const std::byte>)>;

/// The bytes of a blob to push. Readers made from memory or a file can start again (`rewind`),
/// which lets a remote push be retried; a file reader also tells where the file is.
struct blob_reader {
    read_fn read{};
    /// Restarts `read` from the first byte; empty when the source cannot.
    std::function<void()> rewind{};
    /// Length in bytes, when known ahead.
    std::optional<std::uint64_t> length{};
    /// Set when the bytes are `length` bytes of this file from `offset`.
    std::optional<std::filesystem::path> file{};
    std::uint64_t offset = 0;
    /// The bytes were hashed to the descriptor's digest just before (push hashes a file to
    /// decide whether to upload it): a store may skip hashing them again. A registry still
    /// checks the digest on its side, so a file changed in between is refused there.
    bool digest_checked = false;

    static blob_reader from_string(std::string data);
    static blob_reader from_shared(std::shared_ptr<const std::string> data);
    /// `length` bytes of `path` from `offset`, read in slices when pulled (never whole).
    static blob_reader from_file(std::filesystem::path path, std::uint64_t offset,
                                 std::uint64_t length);
};

/// Storage, resolver and tagger. Blobs and manifests alike: an implementation routes by media
/// type where it must (a registry stores manifests apart from blobs).
///
/// Every implementation verifies what it stores and what it serves: `push` refuses content
/// whose size or digest differs from the descriptor (nothing is stored), `fetch` fails instead
/// of completing with other bytes. Failures throw `oras::error`.
class target {
  public:
    virtual ~target() = default;

    /// Whether the content `desc` names is stored.
    virtual boost::asio::awaitable<bool> exists(descriptor desc) = 0;

    /// Streams the content of `desc` into `sink`, verified as it streams: the sink may see
    /// bytes of a fetch that fails at the end, and must then discard them.
    virtual boost::asio::awaitable<void> fetch(descriptor desc, write_fn sink) = 0;

    /// Stores `src` as the content of `desc`.
    virtual boost::asio::awaitable<void> push(descriptor desc, blob_reader src) = 0;

    /// Stores content whose size and digest are not known ahead (a directory being archived)
    /// and returns its descriptor with `media_type`.
    virtual boost::asio::awaitable<descriptor> push_unknown(std::string media_type,
                                                            blob_reader src) = 0;

    /// The descriptor of the manifest `reference` (a tag, or a digest) names.
    virtual boost::asio::awaitable<descriptor> resolve(std::string reference) = 0;

    /// Makes `reference` (a tag) name the stored manifest `desc`.
    virtual boost::asio::awaitable<void> tag(descriptor desc, std::string reference) = 0;

    /// Stores a manifest and names it by each of `references`. The default pushes, then tags;
    /// a registry does both in one PUT per reference.
    virtual boost::asio::awaitable<void> push_tagged(descriptor desc, blob_reader src,
                                                     std::vector<std::string> references);
};

/// Reads the whole content of `desc` from `t` under `limit` bytes (manifests, configs).
boost::asio::awaitable<std::string> fetch_all(target& t, descriptor desc,
                                              std::size_t limit = 4 * 1024 * 1024);

}  // namespace oras::content

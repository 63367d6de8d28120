// blob_cache: a local content-addressed cache of blobs, shared by processes (ORAS_CACHE).
#pragma once

#include <oras/content/target.hpp>
#include <oras/descriptor.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>

#pragma GCC visibility push(default)

namespace oras::content {

/// How a `blob_cache` bounds itself.
struct blob_cache_options {
    /// `trim` removes the least recently used entries until the cache holds at most this many
    /// bytes. 0: no bound.
    std::uint64_t max_bytes = 0;
};

/// What a `blob_cache` did, for reports and tests.
struct blob_cache_stats {
    std::size_t hits = 0;    ///< entries opened to be read (a damaged one included)
    std::size_t misses = 0;  ///< blobs not there, or of the wrong size
    std::size_t stored = 0;  ///< blobs added
    /// Entries whose size or bytes did not match their name, removed: found when opened (the
    /// size) or while read (the digest), by this object or a reader it handed out.
    std::size_t corrupt = 0;
    std::size_t evicted = 0;  ///< entries removed by `trim`
};

/// Blobs by digest under a directory, `DIR/blobs/ALGORITHM/ENCODED` (the layout of an OCI image
/// layout's blobs), for pull and copy to read instead of a remote (the ORAS CLI's
/// `ORAS_CACHE`).
///
/// Safe to share between processes and threads on one machine without a lock: an entry is
/// written under a temporary name beside its final one and renamed into place only once its
/// digest is verified, so every name holds complete content. A reader hashes an entry as it
/// serves it (one pass, never the whole file before the first byte) and fails before handing
/// out the last bytes of one that does not match its name (a disk error, a hand edit); the
/// entry is then removed, so the caller fetches the blob elsewhere (`ops::copy` does). A hit
/// marks the entry as used (its modification time), which is what `trim` evicts by.
///
/// The object itself is not thread-safe (its statistics are plain counters): one per strand.
/// File I/O blocks the calling thread (local disk).
class blob_cache {
  public:
    /// `dir` is created when the first entry is stored.
    explicit blob_cache(std::filesystem::path dir, blob_cache_options opts = {});

    /// As given at construction.
    const std::filesystem::path& dir() const noexcept { return dir_; }

    /// A reader of the cached content of `desc`, verified as it is read (`check::verified`):
    /// a read of bytes that do not match fails, before the last of them, removes the entry and
    /// calls `on_damaged` (when set) first, so that a caller can tell the cache's failure from
    /// its destination's. Nothing when it is not cached or has the wrong size (then removed).
    /// The reader keeps the entry open: it reads what it opened whatever happens to the name.
    std::optional<byte_source> open(const descriptor& desc, std::function<void()> on_damaged = {});

    /// `src`, the content of `desc` read from elsewhere, as a reader that also writes what it
    /// hands out into the cache: once `src` has been read to its end and the bytes match `desc`,
    /// they become an entry. A reader abandoned before its end, or failing, leaves nothing.
    /// `src` is hashed here unless it verifies itself (`verified`); the reader rewinds when
    /// `src` does. When an entry of that size is already there, `src` itself (nothing written,
    /// and the entry not marked as used). The reader shares state with nothing in this object: it
    /// may outlive it.
    byte_source tee(const descriptor& desc, byte_source src);

    /// Removes the least recently used entries until at most `max_bytes` remain (nothing when
    /// there is no bound), and temporary files that processes killed mid-write left behind for
    /// more than an hour. Returns the bytes the cache then holds.
    std::uint64_t trim();

    /// Counters since construction (stored: by readers from `tee` that have finished).
    blob_cache_stats stats() const;

  private:
    std::filesystem::path entry_path(const descriptor& desc) const;

    std::filesystem::path dir_;
    blob_cache_options opts_;
    blob_cache_stats stats_{};
    std::shared_ptr<std::size_t> stored_ = std::make_shared<std::size_t>(0);
    std::shared_ptr<std::size_t> corrupt_ = std::make_shared<std::size_t>(0);
};

}  // namespace oras::content

#pragma GCC visibility pop

// tree_cache: the digests of archived directories, remembered by the metadata of their trees, so
// that an unchanged directory is not archived again only to learn that a registry has it.
#pragma once

#include <oras/digest.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace oras::content::detail {

/// A digest of everything in a tree that changing a file's content, name, type, mode or link
/// target changes: per entry (depth first, names sorted) its relative name, type, mode, size,
/// inode, device, mtime and ctime in nanoseconds, and a symlink's target. Files are not read.
struct tree_fingerprint {
    oras::digest value{};
    /// False when an entry changed within a timestamp granule before the walk: a second change
    /// in that granule could leave the fingerprint as it is, so such a tree is not remembered.
    bool settled = true;
};

/// Walks `dir` (a symlink to a directory is followed for the root only, as the archive does).
/// Throws `oras::error` (`invalid_argument`) naming what cannot be read.
tree_fingerprint fingerprint_tree(const std::filesystem::path& dir);

/// What archiving a tree produced: the layer's digest and size, and the tar's digest.
struct archived_tree {
    oras::digest compressed{};
    std::uint64_t compressed_size = 0;
    oras::digest tar{};
    /// False for an entry remembered from a tree that was not settled: a hint that the tree is
    /// probably unchanged (worth archiving to check, rather than sending blind), never a
    /// description to use without reading the tree.
    bool settled = true;
};

/// Entries under `root` (created 0700 on first use), one small file per archived directory,
/// named by the digest of its path, member name and compression level, holding the fingerprint
/// the results belong to. Written through a temporary file and a rename, so processes share it
/// without a lock; an entry that cannot be read or parsed is a miss. Never throws: the cache
/// only saves work, so failing to use it costs an archive pass and nothing else.
///
/// Bounded by use: a hit marks its entry as used (its modification time), and each `remember`
/// removes the entries, and the temporary files of killed processes, unused for `max_age`
/// (directories pushed once, moved or deleted since).
class tree_cache {
  public:
    /// How long an entry is kept unused by default: a directory not pushed for 30 days.
    static constexpr std::chrono::hours default_max_age{24 * 30};

    explicit tree_cache(std::filesystem::path root, std::chrono::seconds max_age = default_max_age);

    /// What archiving `dir` as `name` at `level` produced when the tree had fingerprint `fp`.
    std::optional<archived_tree> find(const std::filesystem::path& dir, const std::string& name,
                                      int level, const oras::digest& fp) const noexcept;

    /// Remembers `out` for the tree as fingerprinted (before it was archived) by `fp`, marked
    /// as settled or not as `fp` is (`out.settled` is ignored).
    void remember(const std::filesystem::path& dir, const std::string& name, int level,
                  const tree_fingerprint& fp, const archived_tree& out) const noexcept;

    /// Removes what has not been used for `max_age`; returns how many files it removed.
    std::size_t trim() const noexcept;

    const std::filesystem::path& root() const noexcept { return root_; }

  private:
    std::filesystem::path entry(const std::filesystem::path& dir, const std::string& name,
                                int level) const;

    std::filesystem::path root_;
    std::chrono::seconds max_age_;
};

}  // namespace oras::content::detail

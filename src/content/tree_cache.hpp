// tree_cache: the digests of archived directories, remembered by the metadata of their trees, so
// that an unchanged directory is not archived again only to learn that a registry has it; and
// the digests of large files, so that an unchanged file is not read again to learn its digest.
#pragma once

#include <oras/digest.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct stat;

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

/// The system clock in nanoseconds since the epoch, as file times are stamped.
std::int64_t clock_ns();

/// How long a file must have been unchanged, before it is read, for its digest to be
/// remembered. Longer than a tree's timestamp granule: the kernel stamps a write(2) when it
/// starts, so a single long write (gigabytes into the page cache, or throttled by a slow disk)
/// can still be changing the bytes well after its stamp. A miss costs one hash.
inline constexpr std::int64_t file_settle_ns = 2'000'000'000;

/// The fingerprint of one file as `st` describes it: its type, mode, size, inode, device,
/// mtime and ctime (a write changes the ctime, which no program can set). `now` is the clock
/// read before `st` was taken; the fingerprint is settled when both times are older than
/// `settle` then (twice that on a file system whose stamps have no nanoseconds).
tree_fingerprint fingerprint_file(const struct stat& st, std::int64_t now,
                                  std::int64_t settle = file_settle_ns);

/// What hashing a file produced.
struct hashed_file {
    oras::digest digest{};
    std::uint64_t size = 0;
};

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
/// named by the digest of its path, member name and compression level, and one per hashed
/// file, named by the digest of its path; each holds the fingerprint the results belong to.
/// Only entries owned by this user, in a root no other user can write, are read: a poisoned
/// entry would describe a file by bytes it does not hold. Written through a temporary file and
/// a rename, so processes share it without a lock; an entry that cannot be read or parsed is a
/// miss. Never throws: the cache only saves work, so failing to use it costs an archive or a
/// hashing pass and nothing else.
///
/// Bounded by use: a hit marks its entry as used (its modification time), and each `remember`
/// (`remember_file` once per process and root: a push remembers many files) removes the entries,
/// and the temporary files of killed processes, unused for `max_age` (directories and files
/// pushed once, moved or deleted since).
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

    /// The digest of `file` when it had fingerprint `fp`: only ever remembered from a settled
    /// fingerprint, so a hit describes the bytes as they are.
    std::optional<hashed_file> find_file(const std::filesystem::path& file,
                                         const oras::digest& fp) const noexcept;

    /// Remembers `out` for `file` as fingerprinted (before it was read) by `fp`; nothing when
    /// `fp` is not settled (the bytes read may predate a change the fingerprint does not show).
    void remember_file(const std::filesystem::path& file, const tree_fingerprint& fp,
                       const hashed_file& out) const noexcept;

    /// Removes the entry of `file`, if any.
    void forget_file(const std::filesystem::path& file) const noexcept;

    /// Removes what has not been used for `max_age`; returns how many files it removed.
    std::size_t trim() const noexcept;

    const std::filesystem::path& root() const noexcept { return root_; }

  private:
    std::filesystem::path entry(const std::filesystem::path& dir, const std::string& name,
                                int level) const;
    std::filesystem::path file_entry(const std::filesystem::path& file) const;
    std::optional<std::vector<std::string>> read(const std::filesystem::path& entry,
                                                 std::string_view format,
                                                 const oras::digest& fp) const;
    void write(const std::filesystem::path& entry, const std::string& text) const;

    std::filesystem::path root_;
    std::chrono::seconds max_age_;
};

}  // namespace oras::content::detail

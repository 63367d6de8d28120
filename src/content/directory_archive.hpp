// Internal: the tar+gzip layer ORAS makes of a directory.
//
// A pushed directory is one layer: a tar whose members are prefixed with the directory's name
// (`dir/`, `dir/a.txt`, `dir/sub/`, ...), gzip-compressed, annotated with the digest of the
// uncompressed tar (`io.deis.oras.content.digest`) and `io.deis.oras.content.unpack: "true"`.
#pragma once

#include <oras/content/target.hpp>
#include <oras/digest.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>

namespace oras::content::detail {

struct archive_options {
    /// The prefix of every member (the layer's title); empty takes the directory's own name.
    std::string name{};
    /// zlib compression level, 0 to 9.
    int level = 6;
};

/// A reproducible tar.gz of a directory, produced as it is read: a pull generator with no temp
/// file and memory bounded by a few MiB whatever the size of the tree.
///
/// Members, in the order Go's filepath.Walk (and so oras-go) visits them: the directory itself
/// as `name/`, then each directory's entries sorted bytewise by name, depth first. Regular
/// files, directories and symlinks (stored as symlinks, never followed) only; a device, fifo
/// or socket fails the read with `invalid_argument`. This library's temporary files
/// (`is_internal_name`: what a pull into the tree leaves) are left out. Headers are ustar, with a
/// PAX extended header only for what ustar cannot hold (long or non-ASCII names and link targets,
/// sizes of 8 GiB and more), as Go's archive/tar chooses; uid/gid 0, no user or group names, mtime
/// 0, mode the permission bits on disk (& 0777). Names are written as the bytes on disk,
/// independent of the process locale.
///
/// Not thread-safe. Files are read in slices of 1 MiB; a file that shrinks while it is read
/// fails with `size_mismatch` (the header already promised its size), one that grows is cut at
/// the size it had when its header was written.
class directory_archive {
  public:
    /// Throws `invalid_argument` unless `dir` is a directory (a symlink to one is followed,
    /// for the root only) or `opts.name` is not a relative path without `.` or `..`.
    explicit directory_archive(std::filesystem::path dir, archive_options opts = {});
    ~directory_archive();
    directory_archive(directory_archive&&) noexcept;
    directory_archive& operator=(directory_archive&&) noexcept;
    directory_archive(const directory_archive&) = delete;
    directory_archive& operator=(const directory_archive&) = delete;

    /// Fills `out` with the next compressed bytes and returns how many; 0 once the archive is
    /// complete. Throws `oras::error` naming the member for anything unreadable or unsupported.
    std::size_t read(std::span<std::byte> out);

    /// Starts again from the first byte (walks the tree anew, so changes since show up).
    void rewind();

    /// Whether `read` has returned 0 (the digests and sizes below are then final).
    bool done() const noexcept;

    /// The member prefix.
    const std::string& name() const noexcept;
    /// Digest and length of the uncompressed tar (`io.deis.oras.content.digest`).
    const oras::digest& tar_digest() const noexcept;
    std::uint64_t tar_size() const noexcept;
    /// Digest and length of the compressed bytes (the layer's descriptor).
    const oras::digest& compressed_digest() const noexcept;
    std::uint64_t compressed_size() const noexcept;

    /// A source over this archive, of `length` when the caller knows it (unknown: for
    /// `target::push_unknown`), whose `rewind` restarts it. It shares the archive's state, so it
    /// stays valid after the archive object is gone, and reading through it is reading the archive.
    byte_source reader(std::optional<std::uint64_t> length = std::nullopt) const;

  private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

}  // namespace oras::content::detail

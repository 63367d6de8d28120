// Internal: the tar+gzip layer ORAS makes of a directory, and its safe extraction.
//
// A pushed directory is one layer: a tar whose members are prefixed with the directory's name
// (`dir/`, `dir/a.txt`, `dir/sub/`, ...), gzip-compressed, annotated with the digest of the
// uncompressed tar (`io.deis.oras.content.digest`) and `io.deis.oras.content.unpack: "true"`.
#pragma once

#include <oras/content/target.hpp>
#include <oras/digest.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace oras::content::detail {

/// Gzip compression with a fixed header (mtime 0, no name, OS byte 255 "unknown" as Go's
/// compress/gzip writes it), so that the same input gives the same bytes on every host that
/// has the same zlib. Move-only.
class gzip_encoder {
  public:
    /// `level` is zlib's, 0 (stored) to 9.
    explicit gzip_encoder(int level = 6);
    ~gzip_encoder();
    gzip_encoder(gzip_encoder&& other) noexcept;
    gzip_encoder& operator=(gzip_encoder&& other) noexcept;
    gzip_encoder(const gzip_encoder&) = delete;
    gzip_encoder& operator=(const gzip_encoder&) = delete;

    /// Compresses `in`, appending whatever output is ready to `out`.
    void write(std::span<const std::byte> in, std::vector<std::byte>& out);
    /// Ends the stream, appending the rest to `out`; `write` may then start a new stream.
    void finish(std::vector<std::byte>& out);

    /// One-shot helper.
    static std::vector<std::byte> compress(std::span<const std::byte> in, int level = 6);

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

/// Gzip decompression of a stream fed in chunks of any size; concatenated gzip members are one
/// stream (as gzip(1) and Go's reader take them). Move-only.
class gzip_decoder {
  public:
    gzip_decoder();
    ~gzip_decoder();
    gzip_decoder(gzip_decoder&& other) noexcept;
    gzip_decoder& operator=(gzip_decoder&& other) noexcept;
    gzip_decoder(const gzip_decoder&) = delete;
    gzip_decoder& operator=(const gzip_decoder&) = delete;

    using sink_fn = std::function<void(std::span<const std::byte>)>;

    /// Decompresses `in`, handing the output to `sink` in pieces of at most 256 KiB. Throws
    /// `oras::error` (`invalid_response`) for data that is not gzip or is corrupt.
    void write(std::span<const std::byte> in, const sink_fn& sink);

    /// Throws `invalid_response` unless at least one member ended and none is cut short.
    void finish();

    /// One-shot helper.
    static std::vector<std::byte> decompress(std::span<const std::byte> in);

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

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
/// or socket fails the read with `invalid_argument`. Headers are ustar, with a PAX extended
/// header only for what ustar cannot hold (long or non-ASCII names and link targets, sizes of
/// 8 GiB and more), as Go's archive/tar chooses; uid/gid 0, no user or group names, mtime 0,
/// mode the permission bits on disk (& 0777). Names are written as the bytes on disk,
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

    /// A blob reader over this archive (length unknown: for `target::push_unknown`) whose
    /// `rewind` restarts it. It shares the archive's state, so it stays valid after the archive
    /// object is gone, and reading through it is reading the archive.
    blob_reader reader() const;

  private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

struct unpack_options {
    /// The digest the uncompressed tar must have (`io.deis.oras.content.digest`, as text);
    /// empty skips the check. A malformed one fails the extractor's construction
    /// (`invalid_digest`, `unsupported_digest_algorithm`).
    std::string expected_tar_digest{};
    /// Refuse (`already_exists`) to replace anything already in the output directory, instead
    /// of replacing files and symlinks.
    bool keep_old_files = false;
    /// When set, every member must be this path or lie under it (the layer's title), and
    /// symlinks must not point out of it either, as oras-go requires.
    std::string required_prefix{};
    /// Limits against archive bombs (a few MiB of gzip can expand to many GiB and millions of
    /// members); each is refused with `size_exceeds_limit` naming it. 0 switches one off.
    /// The uncompressed tar's size.
    std::uint64_t max_tar_bytes = std::uint64_t{64} << 30;
    /// Members (files, directories, links, extended headers count as part of their member).
    std::uint64_t max_members = 1'000'000;
    /// Uncompressed bytes per compressed byte, once the tar is past `ratio_checked_after`:
    /// deflate tops out near 1032:1 (long runs of one byte), so only a layer of mostly zeros
    /// (a sparse disk image) goes past the default; big layers only, so small ones never do.
    std::uint64_t max_expansion_ratio = 256;
    std::uint64_t ratio_checked_after = std::uint64_t{1} << 30;
};

/// Extracts a tar.gz pushed into it chunk by chunk (`write`, then `finish`), as a network sink
/// receives it: nothing is buffered beyond one chunk's decompressed output.
///
/// Everything lands under `out_dir` (created if missing): members named with `..` or an
/// absolute path, members whose path goes through a symlink (one from this archive or already
/// on disk), symlinks whose target is absolute or leaves `out_dir` (or `required_prefix`), and
/// hard links to anything but a regular file extracted earlier from the same archive are
/// refused with `invalid_response`, before anything is created for them. Directories are
/// walked with O_NOFOLLOW at every step, so no symlink, however it got there, is followed.
/// Regular files are written to a temp file in their directory and renamed into place. Modes
/// are the member's & 0777 under the umask (directories keep owner rwx so that they can be
/// filled); owners are not restored; regular files get the member's mtime unless it is 0.
/// Devices, fifos and other special members are skipped, as oras-go skips them.
///
/// On any error (thrown as `oras::error`: `invalid_response` for a malformed or unsafe archive,
/// `digest_mismatch`, `already_exists`, `invalid_argument` for a local failure) the members
/// extracted so far stay: removing them is the caller's business. The digest is known only at
/// the end, so a caller that must not expose unverified content extracts into a fresh
/// directory and moves it into place after `finish`.
class tar_extractor {
  public:
    tar_extractor(std::filesystem::path out_dir, unpack_options opts = {});
    ~tar_extractor();
    tar_extractor(const tar_extractor&) = delete;
    tar_extractor& operator=(const tar_extractor&) = delete;

    /// Feeds the next compressed bytes. After a throw, every further call throws.
    void write(std::span<const std::byte> compressed);

    /// Checks that the stream ended cleanly and that the tar has the expected digest.
    void finish();

    /// Digest (with the expected digest's algorithm, else SHA-256) and length of the
    /// uncompressed tar, valid after `finish`.
    const oras::digest& tar_digest() const noexcept;
    std::uint64_t tar_size() const noexcept;

    /// A write_fn feeding `self`.
    static write_fn sink(std::shared_ptr<tar_extractor> self);

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

/// Reads `compressed` to its end through a `tar_extractor`; returns the tar's digest.
boost::asio::awaitable<oras::digest> unpack(read_fn compressed, std::filesystem::path out_dir,
                                            unpack_options opts = {});

}  // namespace oras::content::detail

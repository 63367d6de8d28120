// Internal: safe extraction of the tar+gzip layer ORAS makes of a directory, fed as it arrives.
#pragma once

#include <oras/content/target.hpp>
#include <oras/digest.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

namespace oras::content::detail {

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
/// `digest_mismatch`, `already_exists`, `invalid_argument` for a local failure), and when it is
/// destroyed before `finish`, the members extracted so far stay, except with `keep_old_files`:
/// nothing was replaced then, and what was extracted is removed again. The digest is known only at
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

    /// With `keep_old_files`, after `finish`: removes what this extraction created, for a
    /// caller that gives up later (see `safe_tree_writer::take_back`). Otherwise nothing is
    /// removed.
    void take_back() noexcept;

    /// Digest (with the expected digest's algorithm, else SHA-256) and length of the
    /// uncompressed tar, valid after `finish`.
    const oras::digest& tar_digest() const noexcept;
    std::uint64_t tar_size() const noexcept;

    /// A byte_sink feeding `self`.
    static byte_sink sink(std::shared_ptr<tar_extractor> self);

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

/// Reads `compressed` to its end through a `tar_extractor`; returns the tar's digest.
boost::asio::awaitable<oras::digest> unpack(byte_source::read_fn compressed,
                                            std::filesystem::path out_dir,
                                            unpack_options opts = {});

}  // namespace oras::content::detail

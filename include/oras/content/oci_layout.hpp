// oci_layout: a target over a directory in the OCI image layout (image-spec image-layout.md).
#pragma once

#include <oras/content/target.hpp>
#include <oras/descriptor.hpp>
#include <oras/digest.hpp>
#include <oras/image_index.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#pragma GCC visibility push(default)

namespace oras::content {

// Internal state, not exported.
#pragma GCC visibility push(hidden)
namespace detail {
struct archive_members;  // where a plain tar archive's files are (layout_tar.cpp)
}  // namespace detail
#pragma GCC visibility pop

/// How an `oci_layout` opens its directory.
struct oci_layout_options {
    /// Create what is missing of the layout: the directory, `oci-layout`, `index.json` and
    /// `blobs/`. When false, a directory without `oci-layout` or `index.json` is refused with
    /// `not_found`.
    bool create = true;

    /// Never write anything: `push`, `push_unknown` and `tag` fail with `unsupported`, and
    /// nothing is created whatever `create` says.
    bool read_only = false;

    /// `index.json` is read whole; a larger one is refused with `size_exceeds_limit`. An entry
    /// takes about 300 bytes, so the default leaves room for some 200 000 tags.
    std::size_t max_index_size = 64 * 1024 * 1024;

    /// `remove` of a manifest also deletes what goes with it, as oras-go's layout store does by
    /// default (its AutoGC): the manifest's referrers, recursively and whatever their tags, and
    /// the manifests and blobs that nothing else reachable from `index.json` points to, unless
    /// a tag names them. When some manifest of the layout cannot be read or parsed, only the
    /// manifest asked for goes. False: only the manifest asked for (its entries and its file).
    bool auto_gc = true;
};

/// A directory in the OCI image layout: `oci-layout` (`{"imageLayoutVersion":"1.0.0"}`),
/// `index.json` (an OCI image index whose entries with the annotation
/// `org.opencontainers.image.ref.name` are the tags) and `blobs/<algorithm>/<encoded>`.
///
/// Blobs are streamed in 1 MiB chunks, never held whole in memory. A push writes a temporary
/// file beside its destination, hashing as it writes, and renames it into place only when size
/// and digest match (after fsync); the temporary file is removed on any failure, so a blob file
/// is always complete. Pushing content whose file is already there (with the descriptor's size)
/// completes at once without reading the source. A fetch verifies size and digest as it streams:
/// a damaged file fails with `size_mismatch` or `digest_mismatch`.
///
/// `tag` rewrites `index.json` atomically (a temporary file renamed over it) under an exclusive
/// `flock` on `<root>/.oras-index.lock`, so threads and processes may push and tag into one
/// layout at once without losing each other's tags; readers never see a partial file. Members of
/// `index.json` and of its entries that this library does not know are kept. A malformed
/// `index.json` or `oci-layout` fails with `invalid_manifest` naming the file, and is never
/// overwritten. Every manifest pushed (a referrer, an index's child, one pushed with no tag) is
/// listed in `index.json`, untagged, as oras-go's layout lists every manifest it holds: so that
/// `referrers` finds a referrer, and nothing stored is unreachable; tagging it replaces that
/// entry.
///
/// The object holds no mutable state: one object may be used from several threads at once.
/// File I/O blocks the calling thread (local disk); no lock is held across a suspension point.
class oci_layout final : public target, public referrer_lister, public tag_lister, public deleter {
  public:
    /// Opens (and unless told otherwise creates) the layout at `root`. Throws `oras::error`:
    /// `not_found` for a missing layout that may not be created, `invalid_manifest` for a
    /// malformed `oci-layout`, `unsupported` for an image layout version other than 1.x, or a
    /// system error code when the file system refuses.
    explicit oci_layout(std::filesystem::path root, oci_layout_options opts = {});

    /// The layout in the tar archive at `tar` (plain, or compressed with gzip), read-only, as
    /// the ORAS CLI reads `--oci-layout layout.tar`. A plain archive is read in place: its
    /// member headers are read once (their data skipped over, not read) to learn where each
    /// file's bytes lie, and a blob is then read from the archive itself, verified as it is
    /// read, so that nothing is copied and an archive larger than the free space can be read.
    /// A gzip-compressed one (or one holding a sparse file) cannot be read that way: it is
    /// extracted to a temporary directory, which the returned layout removes when it goes. Only
    /// regular files (and directories) are taken (a layout has nothing else). A member named with
    /// `..`, an absolute path or a NUL, members past `max_members`, or (extracted) past
    /// `max_tar_bytes`, fail it with `invalid_argument`. The layout itself is then opened as the
    /// constructor does. Read in place, its `root()` is `tar`, and the archive must not change
    /// while the layout is in use (a blob read after a change fails its digest check).
    static std::unique_ptr<oci_layout> from_tar(const std::filesystem::path& tar,
                                                std::size_t max_index_size = 64 * 1024 * 1024,
                                                std::uint64_t max_tar_bytes = std::uint64_t{64}
                                                                              << 30,
                                                std::uint64_t max_members = 1'000'000);

    /// Writes the layout into a tar archive at `tar` (plain tar, pax format), as `oras backup`
    /// exports one: `oci-layout`, `index.json` and `blobs/`, members named relative to the
    /// layout, directories and regular files only (symlinks and the like are left out, as are
    /// hidden names: temporary files). The archive is written under a temporary name beside
    /// `tar`, synced and renamed over it when complete: a failure leaves whatever was at `tar`
    /// as it was. Returns its size in bytes. Throws `oras::error` (`invalid_argument`) naming
    /// what could not be read or written, `unsupported` for a layout read in place from an
    /// archive (`from_tar`: copy the archive instead). The layout must not change meanwhile.
    std::uint64_t write_tar(const std::filesystem::path& tar) const;

    /// The layout's directory, as given at construction (the archive, for one read in place by
    /// `from_tar`).
    const std::filesystem::path& root() const noexcept { return root_; }
    /// Where the content of `d` is (or would be) stored: `root/blobs/<algorithm>/<encoded>`
    /// (for a layout read in place from an archive, that member's name under the archive's
    /// path: not a file).
    std::filesystem::path blob_path(const digest& d) const;
    /// The size of the blob of digest `d` as stored (not verified), or nothing when no regular
    /// file of that digest is stored.
    std::optional<std::int64_t> stored_size(const digest& d) const;

    /// Whether a blob file of `desc`'s digest and size is stored (not verified: see `fetch`).
    boost::asio::awaitable<bool> exists(descriptor desc) override;
    boost::asio::awaitable<byte_source> open(descriptor desc) override;
    /// A manifest (or index) pushed is listed in `index.json`, untagged until a tag names it,
    /// as oras-go's layout lists every manifest it holds.
    boost::asio::awaitable<void> push(descriptor desc, byte_source src) override;
    /// `push`, then each of `references` as `tag` does, with no untagged entry in between.
    boost::asio::awaitable<void> push_tagged(descriptor desc, byte_source src,
                                             std::vector<std::string> references) override;
    /// Hashes with SHA-256 into a temporary file in `blobs/sha256/`, then renames it.
    boost::asio::awaitable<descriptor> push_unknown(std::string media_type,
                                                    byte_source src) override;
    /// A tag: the last entry of `index.json` with that ref.name, as written there. A digest:
    /// the first entry of `index.json` with that digest, else a stored blob that is a manifest
    /// or index with a `mediaType` (read and verified, up to 4 MiB).
    boost::asio::awaitable<descriptor> resolve(std::string reference) override;
    /// Adds or replaces the `index.json` entry for the tag `reference` (a valid tag: `ref.name`
    /// may be more general in the spec, but names that are empty or path-like are refused with
    /// `invalid_reference`). The manifest must be stored. A replaced entry keeps its position,
    /// and its unknown members when it named the same digest. `reference` equal to the
    /// manifest's digest lists it untagged (unless it is listed already), as oras-go does.
    boost::asio::awaitable<void> tag(descriptor desc, std::string reference) override;
    /// A tag, or any reference name of the image-layout spec (`validate_ref_name`).
    result<void> check_tag(std::string_view tag) const override;

    /// The manifests listed in index.json whose `subject` is `subject` (a manifest pushed with
    /// a subject is listed there untagged, so that it can be found). Reads each listed manifest.
    boost::asio::awaitable<std::vector<descriptor>> referrers(descriptor subject,
                                                              std::string artifact_type) override;

    /// The tags of `index.json` (its entries' `org.opencontainers.image.ref.name`), each once,
    /// sorted bytewise, as oras-go's OCI store lists them and a registry does.
    boost::asio::awaitable<std::vector<std::string>> tags() override;

    /// Drops every `index.json` entry of `desc`'s digest (its tags, or its untagged referrer
    /// entry) and the blob file; for a manifest, under `oci_layout_options::auto_gc` (the
    /// default), also what goes with it (its referrers, what only it held). `index.json` is
    /// rewritten once, before any file goes. `not_found` when `desc` is neither listed nor
    /// stored.
    boost::asio::awaitable<void> remove(descriptor desc) override;

  private:
    // A layout read in place from the archive `members` describes.
    oci_layout(std::shared_ptr<const detail::archive_members> members, oci_layout_options opts);
    void check_layout() const;
    void check_writable(const char* operation) const;
    std::string read_index() const;
    // The file `name` (relative to the root) read whole, or nothing when there is none.
    std::optional<std::string> read_layout_file(std::string_view name, std::size_t limit) const;
    // The size of the regular file `name` (relative to the root), or nothing.
    std::optional<std::int64_t> layout_file_size(const std::string& name) const;
    // Lists `desc` untagged in index.json (its own ref.name annotation dropped) once it is
    // checked, under the index's lock, to be stored: `not_found` otherwise.
    void list_stored(descriptor desc) const;
    // `push`, listing a manifest untagged only when `list`.
    boost::asio::awaitable<void> store(descriptor desc, byte_source src, bool list);
    // What `remove(desc)` deletes under `auto_gc`, `desc` first, from `idx` (index.json as
    // read under its lock).
    std::vector<digest> collectable(const descriptor& desc, const image_index& idx) const;

    std::filesystem::path root_;
    oci_layout_options opts_;
    std::shared_ptr<const void> extracted_{};  // removes the directory of `from_tar`
    std::shared_ptr<const detail::archive_members> archive_{};  // read in place: its files
};

}  // namespace oras::content

#pragma GCC visibility pop

// layout_tar_writer: a target that writes an OCI image layout straight into a tar archive, in one
// pass, as `oras backup --output NAME.tar` exports one.
#pragma once

#include <oras/content/target.hpp>
#include <oras/descriptor.hpp>
#include <oras/result.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#pragma GCC visibility push(default)

namespace oras::content {

// Internal state, not exported.
#pragma GCC visibility push(hidden)
namespace detail {
struct layout_tar_state;  // the archive being written (layout_tar_writer.cpp)
}  // namespace detail
#pragma GCC visibility pop

/// An OCI image layout (`oci-layout`, `index.json`, `blobs/<algorithm>/<encoded>`) written as a
/// plain tar archive (pax format) while it is filled, without a layout directory first: a copy
/// into it writes every blob once, where a layout written and then archived writes it twice and
/// needs the space twice.
///
/// Each pushed blob is given its member's place in the archive as its push starts (its size is
/// known from its descriptor), so pushes run at once and each writes its bytes where they stay,
/// verified as they pass (size and digest; a source that verifies itself is not hashed again).
/// A member's header is written only once its bytes are complete and verified. A push that
/// fails gives its place back when nothing was placed after it; otherwise the place becomes a
/// hidden member of its length (`.oras-discarded-<offset>`, a GNU tar header), so the archive
/// stays well formed (`tar -xf` then extracts that file too; a layout reader ignores it).
/// `index.json` is kept in memory (tags and referrers listed as `oci_layout` lists them) and
/// written by `commit`, last.
///
/// The archive is written under a temporary name beside the destination (removed if the object
/// goes without `commit`) and renamed over the destination by `commit`, after one fsync of the
/// whole: until then, whatever was at the destination is left as it was. Nothing is synced per
/// blob. `oci_layout::from_tar` reads the result in place; `tar -xf` extracts a layout.
///
/// The object may be used from several threads at once; it must outlive every operation
/// started on it. `open` reads back a blob pushed before (after `commit`, from the archive at
/// its destination). Pushes and tags after `commit` are refused (`invalid_argument`).
class layout_tar_writer final : public target, public tag_lister {
  public:
    /// Creates the temporary archive beside `tar` (whose directory must exist) and writes its
    /// first members (`oci-layout`, `blobs/`). Throws `oras::error` (`invalid_argument`)
    /// naming what could not be created or written.
    explicit layout_tar_writer(std::filesystem::path tar);
    /// Removes the temporary archive unless `commit` published it.
    ~layout_tar_writer() override;
    layout_tar_writer(const layout_tar_writer&) = delete;
    layout_tar_writer& operator=(const layout_tar_writer&) = delete;

    /// Whether a blob of `desc`'s digest and size was pushed and completed.
    boost::asio::awaitable<bool> exists(descriptor desc) override;
    /// A verified reader of a blob pushed before, read back from the archive; `not_found`
    /// otherwise.
    boost::asio::awaitable<byte_source> open(descriptor desc) override;
    /// Writes `src` as the member `blobs/<algorithm>/<encoded>` (nothing when that blob is
    /// there already). `size_mismatch` or `digest_mismatch` when the bytes are not `desc`'s; a
    /// manifest with a `subject` is also listed in `index.json`, untagged, as `oci_layout` lists
    /// referrers.
    boost::asio::awaitable<void> push(descriptor desc, byte_source src) override;
    /// Hashes `src` with SHA-256 into a temporary file beside the archive (its size is needed
    /// before its member can be placed), then pushes it.
    boost::asio::awaitable<descriptor> push_unknown(std::string media_type,
                                                    byte_source src) override;
    /// A tag: the last `index.json` entry with that name. A digest: its first `index.json`
    /// entry, else a pushed manifest or index. `not_found` otherwise.
    boost::asio::awaitable<descriptor> resolve(std::string reference) override;
    /// Makes `reference` (a reference name of the image-layout spec) name the pushed manifest
    /// `desc` in `index.json`, by `oci_layout::tag`'s rules.
    boost::asio::awaitable<void> tag(descriptor desc, std::string reference) override;
    /// A tag, or any reference name of the image-layout spec (`validate_ref_name`).
    result<void> check_tag(std::string_view tag) const override;
    /// The tags given so far, each once, sorted bytewise.
    boost::asio::awaitable<std::vector<std::string>> tags() override;

    /// Writes `index.json` and the end of the archive, syncs it and renames it over the
    /// destination. Returns the archive's size in bytes. Throws `oras::error`: `invalid_argument`
    /// when a push is still running, when it was committed already, or naming what could not be
    /// written (a write that failed earlier, a full disk); the temporary archive is then
    /// removed with the object and the destination left as it was. The one failure after the
    /// rename, a directory that cannot be synced, says the archive is in place.
    std::uint64_t commit();

    /// The destination, as given.
    const std::filesystem::path& path() const noexcept;

  private:
    std::unique_ptr<detail::layout_tar_state> state_;
};

}  // namespace oras::content

#pragma GCC visibility pop

// Internal: where the files of a plain tar archive lie in it, so that an OCI layout in an archive
// is read in place (oci_layout::from_tar) rather than extracted first.
#pragma once

#include <oras/error.hpp>

#include "core/posix_file.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

struct archive;  // libarchive's reader and its entries, kept out of what includes this
struct archive_entry;

namespace oras::content::detail {

/// The regular files of a plain (uncompressed) tar archive, by name: the byte range of each one's
/// data in the archive. Names are relative and normalised (`./blobs/x` is `blobs/x`); a name given
/// twice is its last member's, as extracting the archive would leave it.
struct archive_members {
    struct member {
        std::uint64_t offset = 0;
        std::uint64_t size = 0;
    };

    std::filesystem::path archive;
    /// The archive as it was indexed, open for reading: a file renamed over its name meanwhile
    /// (as a new backup replaces an archive) is not read at the old offsets.
    oras::detail::unique_fd fd;
    std::unordered_map<std::string, member> files;

    const member* find(std::string_view name) const {
        const auto it = files.find(std::string(name));
        return it == files.end() ? nullptr : &it->second;
    }
};

/// Frees a libarchive reader (`archive_read_free`).
struct archive_read_closer {
    void operator()(archive* a) const noexcept;
};

/// libarchive's message for `a`, never null.
std::string archive_message(archive* a);

/// `invalid_argument`: the OCI layout archive at `path` cannot be read, for `why`.
error layout_archive_error(const std::filesystem::path& path, const std::string& why);

/// The next member of the tar reader `in` (the archive at `path`), or null at its end, with its
/// name in `name`: the archive's root entry (`.`) is passed over. Throws `layout_archive_error`
/// for a header libarchive cannot read, a name that would land outside the layout (`..`, an
/// absolute path, a NUL) or a member past `max_members` (0: no bound; `seen` counts them).
archive_entry* next_member(archive* in, std::uint64_t& seen, std::uint64_t max_members,
                           const std::filesystem::path& path, std::string& name);

/// Whether the file at `path` starts as gzip data does (then it cannot be read in place).
bool is_gzip_file(const std::filesystem::path& path);

/// Reads the member headers of the plain tar archive at `path` through libarchive, skipping over
/// their data. Null when a member's bytes are not the one range its header gives (a sparse file,
/// a size the header overrides): such an archive is to be extracted instead.
/// Throws `invalid_argument` naming the archive for an archive libarchive cannot read as tar, a
/// member named with `..`, an absolute path or a NUL, more than `max_members` members (0: no
/// bound), or a member whose data would lie past the archive's end.
std::shared_ptr<const archive_members> index_archive(const std::filesystem::path& path,
                                                     std::uint64_t max_members);

/// Member `name` of `members` read whole with pread, or nothing when it is not there. Throws
/// `size_exceeds_limit` when it is larger than `limit`, `invalid_argument` when it cannot be read.
std::optional<std::string> read_member(const archive_members& members, std::string_view name,
                                       std::size_t limit);

}  // namespace oras::content::detail

// Internal: the path-safety rules for writing titled content into a directory, shared by pull
// and the file store so that there is one implementation of them.
#pragma once

#include "content/dir_claim.hpp"
#include "core/file_writer.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace oras {
class verifier;
struct descriptor;
}  // namespace oras

namespace oras::content::detail {

/// Where `title` lands under `root` (canonical), refusing (`invalid_argument`) anything that
/// could leave it: empty titles, NULs and backslashes, absolute names, `..`, paths that pass
/// through a symlink already on disk, and `root` itself.
std::filesystem::path title_destination(const std::filesystem::path& root,
                                        const std::string& title);

/// `given` (taken relative to `dir` unless absolute) relative to `dir`, with symlinks resolved
/// on both sides; nothing when it lies outside `dir` or is `dir` itself.
std::optional<std::filesystem::path> relative_inside(const std::filesystem::path& dir,
                                                     const std::filesystem::path& given);

/// A file written beside its destination (`.<name>.oras-<token>-XXXXXX`, given
/// the mode a new file gets under the umask when closed) and renamed
/// over it only when complete; removed on destruction unless committed. Its name is made under
/// a `dir_claim`, so a process killed while holding it leaves it for the next one to remove.
class temp_file {
  public:
    /// Throws `invalid_argument` when the file cannot be created.
    explicit temp_file(const std::filesystem::path& dest);
    /// Under the stable name `.<name>.oras-partial-<tag>` instead of a random one, opened as it
    /// is (a process killed while writing it left what it had for this one to continue: see
    /// `size_at_open`) and locked (flock) while open, so that two processes never write it at
    /// once; when another process holds it, a random name as above. Once closed it moves to a
    /// name of this process's (`dir_claim::kept_template`), so that the stable one never reaches
    /// the destination from under another writer; should the process die before `publish`, the
    /// next sweep hands it back to the stable name, whole.
    temp_file(const std::filesystem::path& dest, const std::string& partial_tag);
    ~temp_file();
    temp_file(const temp_file&) = delete;
    temp_file& operator=(const temp_file&) = delete;

    void write(std::span<const std::byte> b);
    /// Memory the next bytes may be read into, to be written without a copy (often none): the
    /// bytes put there are then given with `put`.
    std::span<std::byte> room() noexcept { return writer_->room(); }
    void put(std::size_t n);
    /// Waits until every byte given is in the file (readable through `fd()`); writes may follow.
    void flush();

    /// Syncs and moves the file to its destination. With `keep_old`, an existing destination
    /// is kept and the commit fails with `already_exists` (link(2) never replaces).
    void commit(bool keep_old);

    /// The two halves of `commit`, for callers that sync many files at once (one syncfs)
    /// between them: `close` sets the mode and closes, syncing first only when asked;
    /// `publish` links or renames the closed file to its destination.
    void close(bool sync);
    void publish(bool keep_old);

    /// Gives the file, as it is published, the owner and group `uid`/`gid` (where this process may:
    /// best effort) and the permission bits of `mode` instead of a new file's mode: for a file
    /// that replaces one whose attributes stay. No set-id bits are copied.
    void keep_attributes(std::uint32_t mode, std::uint32_t uid, std::uint32_t gid) noexcept {
        kept_ = attributes{mode & 0777U, uid, gid};
    }

    /// The temporary name (readable once closed, until published).
    const std::string& path() const noexcept { return path_; }
    /// Bytes the file held when opened (a partial file left by an earlier process).
    std::uint64_t size_at_open() const noexcept { return size_at_open_; }
    /// Cuts the file to its first `n` bytes; writes continue from there.
    void truncate(std::uint64_t n);
    /// The open descriptor (to read back what the file holds), -1 once closed.
    int fd() const noexcept { return fd_; }
    const std::filesystem::path& destination() const noexcept { return dest_; }

  private:
    void open_own();                  // a random name beside the destination
    void check_write(int err) const;  // throws for a non-zero errno
    std::string own_template() const;

    struct attributes {
        std::uint32_t mode, uid, gid;
    };

    dir_claim claim_;  // first: outlives the temporary name
    std::filesystem::path dest_;
    std::string path_;
    int fd_ = -1;
    std::uint64_t size_at_open_ = 0;
    bool partial_ = false;
    std::optional<attributes> kept_;  // a replaced file's, else a new file's mode
    // Set once fd_ is open, and at each truncate; reset before fd_ is closed (its thread
    // writes to fd_).
    std::unique_ptr<oras::detail::file_writer> writer_;
};

/// A hidden directory under `root` (`.oras-unpack-<token>-XXXXXX`, made under a `dir_claim`)
/// where a tree is unpacked before it is moved into place, so that unverified content never
/// appears under its name; removed with whatever is left in it.
class staging_dir {
  public:
    explicit staging_dir(const std::filesystem::path& root);
    ~staging_dir();
    staging_dir(const staging_dir&) = delete;
    staging_dir& operator=(const staging_dir&) = delete;

    const std::filesystem::path& path() const noexcept { return path_; }

    /// Renames `path() / title` (what was unpacked) to `dest`.
    void move_into_place(const std::string& title, const std::filesystem::path& dest);

  private:
    dir_claim claim_;
    std::filesystem::path path_;
};

/// Whether `name` (one path component) is a name this library gives its own temporary files:
/// an owner file or a name made under one (`dir_claim`), or a partial file's stable name
/// (`.NAME.oras-partial-` and 32 hex digits). Such files are never content: a pull refuses a
/// title named so, and a pushed directory leaves them out.
bool is_internal_name(std::string_view name);

/// The stable part of a partial file's name for `desc`: which content it is the beginning of
/// (32 hex digits of its digest), as every writer of `desc` into a file names it.
std::string partial_tag(const descriptor& desc);

/// Where `temp_file(dest, tag)` keeps a partial file.
std::filesystem::path partial_path(const std::filesystem::path& dest, const std::string& tag);

/// Removes the partial files beside `dest` of any content (another version of the same title
/// that a killed pull left) that no process is writing: called once `dest` holds its content.
void remove_stale_partials(const std::filesystem::path& dest);

/// Bytes of the partial file `temp_file(dest, tag)` would take up; 0 when there is none it
/// would take (see that constructor). Sweeps the directory first when due, so that a file a
/// killed process finished but never published counts (whole).
std::uint64_t partial_size(const std::filesystem::path& dest, const std::string& tag);

/// Hands the first `n` bytes of the open file `fd` to `consume`, in chunks of at most 1 MiB.
/// Throws `invalid_argument` naming `named` when the file cannot be read or is shorter, and
/// whatever `consume` throws.
void read_back(int fd, std::uint64_t n, const std::filesystem::path& named,
               const std::function<void(std::span<const std::byte>)>& consume);

/// Feeds the first `n` bytes of the open file `fd` into `v`. Throws `invalid_argument` naming
/// `named` when the file cannot be read or is shorter, and `v`'s error when it refuses a chunk.
void hash_file(int fd, std::uint64_t n, verifier& v, const std::filesystem::path& named);

/// Makes a rename in `dir` survive a crash (fsync of the directory; a file system that cannot
/// sync one, EINVAL, has nothing to make durable). Throws the errno, naming `dir`.
void sync_directory(const std::filesystem::path& dir);

/// Makes everything written to the file system holding `dir` durable (syncfs(2)): one call for
/// any number of files. Throws `invalid_argument` naming `dir` when it fails.
void sync_file_system(const std::filesystem::path& dir);

/// `dirs` with one directory kept per file system (the first seen of each); one that cannot be
/// inspected is kept, for its sync to report it.
std::vector<std::filesystem::path> one_per_file_system(std::vector<std::filesystem::path> dirs);

}  // namespace oras::content::detail

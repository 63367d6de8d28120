// Internal: creates a tree of files, directories and links under one directory without ever
// following a symlink or leaving it, whatever the names it is given.
#pragma once

#include "core/posix_file.hpp"
#include "core/write_behind.hpp"

#include <sys/types.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace oras::content::detail {

using ::oras::detail::unique_fd;

/// The components of a relative member name: refuses (`invalid_response`, as an unsafe
/// archive) empty names, NULs, absolute names and `..`; drops `.` and empty components
/// (`./a//b/` is `a/b`). `what` names the name in errors ("member").
std::vector<std::string> split_member_name(std::string_view name, const std::string& what);

struct tree_writer_options {
    /// Refuse (`already_exists`) to replace anything already there, instead of replacing files
    /// and symlinks.
    bool keep_old_files = false;
    /// When set, symlinks must not point out of this directory (given as a member name).
    std::string required_prefix{};
};

/// Writes members under `root` (created if missing). Directories are walked with O_NOFOLLOW at
/// every step from a descriptor of `root`, so a member whose path goes through a symlink (one
/// written here or already on disk) is refused (`invalid_response`) before anything is created
/// for it. Files, symlinks and hard links are made under a temporary name in their directory
/// and renamed into place, the one step that makes a member visible. Symlink targets are
/// checked lexically; hard links may only point to a regular file this writer made.
///
/// Each call takes `member`, the name to quote in errors. Local failures are `invalid_argument`
/// naming `root`. Not thread-safe; the last directory opened is kept, since archives come
/// grouped by directory.
class safe_tree_writer {
  public:
    explicit safe_tree_writer(std::filesystem::path root, tree_writer_options opts = {});
    ~safe_tree_writer();
    safe_tree_writer(const safe_tree_writer&) = delete;
    safe_tree_writer& operator=(const safe_tree_writer&) = delete;

    /// Creates the directory (mode & 0777, owner rwx kept so it can be filled), or keeps the
    /// one there; a file or symlink in the way is replaced (or refused with keep_old_files).
    /// Empty `parts` is `root` itself: nothing to do.
    void make_directory(const std::vector<std::string>& parts, std::int64_t mode,
                        const std::string& member);

    /// Starts a regular file (mode & 0777 under the umask); `write_file` feeds it, `end_file`
    /// sets its mtime (unless 0) and renames it into place.
    void begin_file(const std::vector<std::string>& parts, std::int64_t mode, std::int64_t mtime,
                    const std::string& member);
    void write_file(std::span<const std::byte> data);
    void end_file();

    /// A symlink to `target`, which must be relative, may climb only with leading `..`, and
    /// must stay inside `root` (or `required_prefix`).
    void make_symlink(const std::vector<std::string>& parts, const std::string& target,
                      const std::string& member);

    /// A hard link to `target`, a member name relative to `root` that this writer made as a
    /// regular file.
    void make_hard_link(const std::vector<std::string>& parts, const std::string& target,
                        const std::string& member);

    /// Removes the file being written, if any (after a failure).
    void abandon() noexcept;

    /// With keep_old_files, after a failure: removes, newest first, every file, link and
    /// directory this writer created, so that the tree is as it was (nothing was replaced). An
    /// entry that is no longer the one made here, or a directory no longer empty, stays.
    /// Without keep_old_files nothing is recorded, and this is `abandon`.
    void take_back() noexcept;

    /// Whether a member named by `parts` lies in `required_prefix` (always, without one).
    bool under_prefix(const std::vector<std::string>& parts) const noexcept {
        return parts.size() >= prefix_.size()
               && std::equal(prefix_.begin(), prefix_.end(), parts.begin());
    }

  private:
    [[noreturn]] void local(const std::string& what, int err) const;
    unique_fd open_subdir(int at, const std::string& name, const std::string& path_so_far,
                          bool create);
    int open_parent(const std::vector<std::string>& parts, std::size_t n, bool create = true);
    void refuse_existing(int dir, const std::string& last) const;
    std::string next_tmp_name();
    void place(int dir, const std::string& tmp, const std::string& last);
    template <class Make>
    void create_temp_and_place(int dir, const std::string& last, Make make);

    std::filesystem::path root_path_;
    tree_writer_options opts_;
    std::vector<std::string> prefix_;
    unique_fd root_;
    std::string member_;  // of the call under way, for messages

    // The regular file being written.
    unique_fd file_;
    oras::detail::write_behind file_behind_{-1};  // set with file_
    unique_fd file_dir_;
    std::string file_tmp_;
    std::string file_last_;
    std::string file_key_;
    std::int64_t file_mtime_ = 0;

    std::string cached_key_;
    unique_fd cached_fd_;
    std::unordered_set<std::string> made_files_;
    // What this writer created (keep_old_files only), oldest first, for `take_back`.
    struct created_entry {
        std::string key;  // member path relative to root, '/'-joined
        bool directory = false;
        dev_t dev = 0;
        ino_t ino = 0;
    };
    void record_created(int dir, const std::string& last, std::string key, bool directory);
    std::vector<created_entry> created_;
    unsigned tmp_counter_ = 0;
};

}  // namespace oras::content::detail

#include "content/safe_tree_writer.hpp"

#include "core/quote.hpp"

#include <oras/error.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>

namespace oras::content::detail {

namespace fs = std::filesystem;
using oras::detail::quote;
using ::oras::detail::write_all;

namespace {

[[noreturn]] void fail(errc code, const std::string& message) {
    throw error(make_error_code(code), message);
}

[[noreturn]] void unsafe(const std::string& message) {
    fail(errc::invalid_response, message);
}

std::string join(const std::vector<std::string>& parts, std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) {
        if (i > 0) {
            s += '/';
        }
        s += parts[i];
    }
    return s;
}

}  // namespace

std::vector<std::string> split_member_name(std::string_view name, const std::string& what) {
    if (name.empty()) {
        unsafe(what + " is empty");
    }
    if (name.find('\0') != std::string_view::npos) {
        unsafe(what + " " + quote(name) + " contains a NUL byte");
    }
    if (name.front() == '/') {
        unsafe(what + " " + quote(name) + " is an absolute path");
    }
    std::vector<std::string> parts;
    std::size_t pos = 0;
    while (pos <= name.size()) {
        const auto slash = std::min(name.find('/', pos), name.size());
        const auto part = name.substr(pos, slash - pos);
        if (part == "..") {
            unsafe(what + " " + quote(name) + " contains \"..\"");
        }
        if (!part.empty() && part != ".") {
            parts.emplace_back(part);
        }
        pos = slash + 1;
    }
    return parts;
}

safe_tree_writer::safe_tree_writer(fs::path root, tree_writer_options opts)
    : root_path_(std::move(root)), opts_(std::move(opts)) {
    if (!opts_.required_prefix.empty()) {
        prefix_ = split_member_name(opts_.required_prefix, "required prefix");
        if (prefix_.empty()) {
            fail(errc::invalid_argument,
                 "required prefix " + quote(opts_.required_prefix) + " names no directory");
        }
    }
    std::error_code ec;
    fs::create_directories(root_path_, ec);
    root_.reset(::open(root_path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root_) {
        fail(errc::invalid_argument, "cannot open output directory " + quote(root_path_.string())
                                         + ": " + (ec ? ec.message() : std::strerror(errno)));
    }
}

safe_tree_writer::~safe_tree_writer() {
    abandon();
}

void safe_tree_writer::abandon() noexcept {
    if (file_) {
        file_.reset();
        ::unlinkat(file_dir_.get(), file_tmp_.c_str(), 0);
    }
    file_dir_.reset();
}

void safe_tree_writer::record_created(int dir, const std::string& last, std::string key,
                                      bool directory) {
    if (!opts_.keep_old_files) {
        return;
    }
    struct stat st {};
    if (::fstatat(dir, last.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
        created_.push_back({std::move(key), directory, st.st_dev, st.st_ino});
    }
}

void safe_tree_writer::take_back() noexcept {
    abandon();
    for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
        try {
            const auto parts = split_member_name(it->key, "member");
            const int dir = open_parent(parts, parts.size() - 1, false);
            struct stat st {};
            // Only what is still the entry made here: never a name someone else took since.
            if (::fstatat(dir, parts.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0
                && st.st_dev == it->dev && st.st_ino == it->ino) {
                ::unlinkat(dir, parts.back().c_str(), it->directory ? AT_REMOVEDIR : 0);
            }
        } catch (...) {
            // A parent that can no longer be walked safely: what is under it stays.
        }
    }
    created_.clear();
    cached_key_.clear();
    cached_fd_.reset();
}

void safe_tree_writer::local(const std::string& what, int err) const {
    fail(errc::invalid_argument,
         what + " under " + quote(root_path_.string()) + ": " + std::strerror(err));
}

unique_fd safe_tree_writer::open_subdir(int at, const std::string& name,
                                        const std::string& path_so_far, bool create) {
    for (int attempt = 0; attempt < 2; ++attempt) {
        const int fd = ::openat(at, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0) {
            return unique_fd(fd);
        }
        const int err = errno;
        if (err == ENOENT && create && attempt == 0) {
            if (::mkdirat(at, name.c_str(), 0777) == 0) {
                record_created(at, name, path_so_far, true);
            } else if (errno != EEXIST) {
                local("cannot create directory " + quote(path_so_far), errno);
            }
            continue;
        }
        struct stat st {};
        if (::fstatat(at, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
            if (S_ISLNK(st.st_mode)) {
                unsafe(quote(member_) + " goes through the symlink " + quote(path_so_far));
            }
            if (!S_ISDIR(st.st_mode)) {
                unsafe(quote(member_) + " goes through " + quote(path_so_far)
                       + ", which is not a directory");
            }
        }
        local("cannot open directory " + quote(path_so_far), err);
    }
    local("cannot open directory " + quote(path_so_far), ENOENT);
}

// The directory holding parts[0, n), created as needed; owned by the cache (or `root`).
int safe_tree_writer::open_parent(const std::vector<std::string>& parts, std::size_t n,
                                  bool create) {
    if (n == 0) {
        return root_.get();
    }
    auto key = join(parts, n);
    if (cached_fd_ && key == cached_key_) {
        return cached_fd_.get();
    }
    unique_fd cur;
    for (std::size_t i = 0; i < n; ++i) {
        cur = open_subdir(i == 0 ? root_.get() : cur.get(), parts[i], join(parts, i + 1), create);
    }
    cached_key_ = std::move(key);
    cached_fd_ = std::move(cur);
    return cached_fd_.get();
}

void safe_tree_writer::refuse_existing(int dir, const std::string& last) const {
    struct stat st {};
    if (::fstatat(dir, last.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
        fail(errc::already_exists, quote(member_) + " already exists in "
                                       + quote(root_path_.string()) + " (and old files are kept)");
    }
}

std::string safe_tree_writer::next_tmp_name() {
    return ".oras-tmp-" + std::to_string(::getpid()) + "-" + std::to_string(tmp_counter_++);
}

// Moves the temp entry `tmp` to `last` in `dir`, the one step that makes a member visible.
void safe_tree_writer::place(int dir, const std::string& tmp, const std::string& last) {
    if (opts_.keep_old_files) {
        int rc = ::renameat2(dir, tmp.c_str(), dir, last.c_str(), RENAME_NOREPLACE);
        if (rc != 0 && (errno == EINVAL || errno == ENOSYS)) {
            // No RENAME_NOREPLACE on this filesystem: link(2) refuses to replace too.
            rc = ::linkat(dir, tmp.c_str(), dir, last.c_str(), 0);
            if (rc == 0) {
                ::unlinkat(dir, tmp.c_str(), 0);
            }
        }
        if (rc != 0) {
            const int err = errno;
            ::unlinkat(dir, tmp.c_str(), 0);
            if (err == EEXIST) {
                fail(errc::already_exists, quote(member_) + " already exists in "
                                               + quote(root_path_.string())
                                               + " (and old files are kept)");
            }
            local("cannot create " + quote(member_), err);
        }
        return;
    }
    if (::renameat(dir, tmp.c_str(), dir, last.c_str()) != 0) {
        const int err = errno;
        ::unlinkat(dir, tmp.c_str(), 0);
        local("cannot create " + quote(member_), err);
    }
    // rename(2) does nothing when both names are links to one file (a hard link member
    // onto its own target): the temp name must go.
    ::unlinkat(dir, tmp.c_str(), 0);
}

template <class Make>
void safe_tree_writer::create_temp_and_place(int dir, const std::string& last, Make make) {
    for (int attempt = 0;; ++attempt) {
        const auto tmp = next_tmp_name();
        if (make(tmp)) {
            place(dir, tmp, last);
            return;
        }
        if (errno != EEXIST || attempt > 100) {
            local("cannot create " + quote(member_), errno);
        }
    }
}

void safe_tree_writer::make_directory(const std::vector<std::string>& parts, std::int64_t mode,
                                      const std::string& member) {
    member_ = member;
    if (parts.empty()) {
        return;  // the output directory itself
    }
    const int dir = open_parent(parts, parts.size() - 1);
    const auto& last = parts.back();
    // Owner rwx always: members still have to be created inside.
    const auto perm = static_cast<mode_t>((mode & 0777) | 0700);
    if (::mkdirat(dir, last.c_str(), perm) == 0) {
        record_created(dir, last, join(parts, parts.size()), true);
        return;
    }
    if (errno != EEXIST) {
        local("cannot create directory " + quote(member_), errno);
    }
    struct stat st {};
    if (::fstatat(dir, last.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        local("cannot create directory " + quote(member_), errno);
    }
    if (S_ISDIR(st.st_mode)) {
        return;
    }
    if (opts_.keep_old_files) {
        refuse_existing(dir, last);
    }
    // A file or symlink is in the way: replace it (never following the symlink).
    if (::unlinkat(dir, last.c_str(), 0) != 0 || ::mkdirat(dir, last.c_str(), perm) != 0) {
        local("cannot create directory " + quote(member_), errno);
    }
}

void safe_tree_writer::begin_file(const std::vector<std::string>& parts, std::int64_t mode,
                                  std::int64_t mtime, const std::string& member) {
    member_ = member;
    if (parts.empty()) {
        unsafe("member " + quote(member_) + " names the output directory itself");
    }
    const int dir = open_parent(parts, parts.size() - 1);
    if (opts_.keep_old_files) {
        refuse_existing(dir, parts.back());  // early, before writing the data
    }
    file_dir_.reset(::dup(dir));
    if (!file_dir_) {
        local("cannot create " + quote(member_), errno);
    }
    for (int attempt = 0; !file_; ++attempt) {
        file_tmp_ = next_tmp_name();
        file_.reset(::openat(dir, file_tmp_.c_str(),
                             O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                             static_cast<mode_t>(mode & 0777)));
        if (!file_ && (errno != EEXIST || attempt > 100)) {
            local("cannot create " + quote(member_), errno);
        }
    }
    file_behind_ = oras::detail::write_behind(file_.get());
    file_last_ = parts.back();
    file_key_ = join(parts, parts.size());
    file_mtime_ = mtime;
}

void safe_tree_writer::write_file(std::span<const std::byte> data) {
    if (const int err = write_all(file_.get(), data); err != 0) {
        local("cannot write " + quote(member_), err);
    }
    file_behind_.wrote(data.size());
}

void safe_tree_writer::end_file() {
    if (file_mtime_ > 0) {
        const timespec times[2] = {{file_mtime_, 0}, {file_mtime_, 0}};
        ::futimens(file_.get(), times);  // cosmetic: a failure is not worth an error
    }
    if (file_.close() != 0) {
        const int err = errno;
        ::unlinkat(file_dir_.get(), file_tmp_.c_str(), 0);
        local("cannot write " + quote(member_), err);
    }
    place(file_dir_.get(), file_tmp_, file_last_);
    record_created(file_dir_.get(), file_last_, file_key_, false);
    file_dir_.reset();
    made_files_.insert(file_key_);
}

void safe_tree_writer::make_symlink(const std::vector<std::string>& parts,
                                    const std::string& target, const std::string& member) {
    member_ = member;
    if (parts.empty()) {
        unsafe("member " + quote(member_) + " names the output directory itself");
    }
    // The target is checked lexically from the link's directory, and only leading ".."
    // are allowed: the directories they climb were created here with O_NOFOLLOW, so they
    // are real, and a ".." after a name could climb out of whatever that name turns out
    // to be (a symlink to "." makes "l/.." the parent of the output directory).
    if (target.empty()) {
        unsafe("symlink " + quote(member_) + " has an empty target");
    }
    if (target.find('\0') != std::string::npos) {
        unsafe("symlink " + quote(member_) + " has a target with a NUL byte");
    }
    if (target.front() == '/') {
        unsafe("symlink " + quote(member_) + " points to the absolute path " + quote(target));
    }
    std::size_t ups = 0;
    bool named = false;
    std::size_t pos = 0;
    while (pos <= target.size()) {
        const auto slash = std::min(target.find('/', pos), target.size());
        const std::string_view part(target.data() + pos, slash - pos);
        if (part == "..") {
            if (named) {
                unsafe("symlink " + quote(member_) + " points to " + quote(target)
                       + ", which has \"..\" after a name");
            }
            ++ups;
        } else if (!part.empty() && part != ".") {
            named = true;
        }
        pos = slash + 1;
    }
    const auto depth = parts.size() - 1;  // of the link's directory
    if (parts.size() <= prefix_.size() || ups > depth - prefix_.size()) {
        unsafe("symlink " + quote(member_) + " points to " + quote(target) + ", outside "
               + (prefix_.empty() ? "the output directory" : quote(opts_.required_prefix)));
    }
    const int dir = open_parent(parts, parts.size() - 1);
    if (opts_.keep_old_files) {
        refuse_existing(dir, parts.back());
    }
    create_temp_and_place(dir, parts.back(), [&](const std::string& tmp) {
        return ::symlinkat(target.c_str(), dir, tmp.c_str()) == 0;
    });
    record_created(dir, parts.back(), join(parts, parts.size()), false);
}

void safe_tree_writer::make_hard_link(const std::vector<std::string>& parts,
                                      const std::string& target, const std::string& member) {
    member_ = member;
    if (parts.empty()) {
        unsafe("member " + quote(member_) + " names the output directory itself");
    }
    // A hard link's target is another member's name, relative to the archive's root.
    const auto tparts = split_member_name(target, "target of hard link " + quote(member_));
    const auto tkey = join(tparts, tparts.size());
    if (tparts.empty() || !made_files_.contains(tkey)) {
        unsafe("hard link " + quote(member_) + " points to " + quote(target)
               + ", which is not a regular file extracted from this archive");
    }
    unique_fd tdir(::dup(open_parent(tparts, tparts.size() - 1, false)));
    if (!tdir) {
        local("cannot create " + quote(member_), errno);
    }
    struct stat st {};
    if (::fstatat(tdir.get(), tparts.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0
        || !S_ISREG(st.st_mode)) {
        unsafe("hard link " + quote(member_) + " points to " + quote(target)
               + ", which is no longer a regular file");
    }
    const int dir = open_parent(parts, parts.size() - 1);
    if (opts_.keep_old_files) {
        refuse_existing(dir, parts.back());
    }
    create_temp_and_place(dir, parts.back(), [&](const std::string& tmp) {
        // Flags 0: linkat does not follow a symlink, which the check above excludes anyway.
        return ::linkat(tdir.get(), tparts.back().c_str(), dir, tmp.c_str(), 0) == 0;
    });
    record_created(dir, parts.back(), join(parts, parts.size()), false);
    made_files_.insert(join(parts, parts.size()));
}

}  // namespace oras::content::detail

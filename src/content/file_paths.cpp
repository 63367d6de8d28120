#include <oras/descriptor.hpp>
#include <oras/error.hpp>
#include <oras/verifier.hpp>

#include "content/file_paths.hpp"
#include "core/posix_file.hpp"
#include "core/quote.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <vector>

namespace oras::content::detail {

namespace fs = std::filesystem;
using oras::detail::quote;
using ::oras::detail::write_all;

namespace {

// The tag of a partial file's stable name: 32 lower-case hex digits (`partial_path`).
bool is_partial_tag(std::string_view tag) {
    return tag.size() == 32 && tag.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

}  // namespace

bool is_internal_name(std::string_view name) {
    if (is_claimed_name(name)) {
        return true;
    }
    constexpr std::string_view marker = ".oras-partial-";
    const auto at = name.rfind(marker);
    if (!name.starts_with('.') || at == std::string_view::npos) {
        return false;
    }
    return is_partial_tag(name.substr(at + marker.size()));
}

fs::path title_destination(const fs::path& root, const std::string& title) {
    const auto refuse = [&](const std::string& why) {
        return error(errc::invalid_argument,
                     "refusing the layer title " + quote(title) + ": " + why);
    };
    if (title.empty()) {
        throw refuse("it is empty");
    }
    if (title.find('\0') != std::string::npos || title.find('\\') != std::string::npos) {
        throw refuse("it holds a NUL or a backslash");
    }
    const fs::path t(title);
    if (t.is_absolute() || t.has_root_name() || t.has_root_directory()) {
        throw refuse("it is an absolute path");
    }
    fs::path dest = root;
    for (const auto& part : t) {
        if (part == "..") {
            throw refuse("it climbs out of the output directory");
        }
        if (part == "." || part.empty()) {
            continue;
        }
        // A later pull or sweep in that directory would take such a file for its own, and
        // remove it or write on it.
        if (is_internal_name(part.string())) {
            throw refuse("it is named like a temporary file of this library");
        }
        dest /= part;
        std::error_code ec;
        if (fs::is_symlink(fs::symlink_status(dest, ec))) {
            throw refuse("it goes through the symlink " + quote(dest.string()));
        }
    }
    if (dest == root) {
        throw refuse("it names the output directory itself");
    }
    return dest;
}

std::optional<fs::path> relative_inside(const fs::path& dir, const fs::path& given) {
    std::error_code ec;
    const auto base = fs::weakly_canonical(dir, ec);
    if (ec) {
        return std::nullopt;
    }
    const auto full = fs::weakly_canonical(given.is_absolute() ? given : dir / given, ec);
    if (ec) {
        return std::nullopt;
    }
    auto rel = full.lexically_relative(base);
    if (rel.empty() || rel == "." || *rel.begin() == "..") {
        return std::nullopt;
    }
    return rel;
}

namespace {

// `.<name>` for a temporary name beside `dest`, cut so that what follows it still fits in a
// file name (NAME_MAX 255), never inside a UTF-8 sequence.
std::string hidden_stem(const fs::path& dest) {
    constexpr std::size_t keep = 200;
    auto name = dest.filename().string();
    if (name.size() > keep) {
        auto cut = keep;
        while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) {
            --cut;
        }
        name.resize(cut);
    }
    return "." + name;
}

// A partial file is taken only as a plain file of this user's with no other name: a hard link
// planted at the stable name would be truncated through.
bool usable_partial(const struct stat& st) {
    return S_ISREG(st.st_mode) && st.st_nlink == 1 && st.st_uid == ::geteuid();
}

// Takes the writer's lock on an open partial file and checks that, locked, it is still the file
// under `name` (a writer that finished moves it away before it unlocks) and usable as a partial
// file. On success `st` describes it.
bool lock_own_partial(int fd, const char* name, struct stat& st) {
    struct stat named {};
    return ::flock(fd, LOCK_EX | LOCK_NB) == 0 && ::fstat(fd, &st) == 0
           && ::lstat(name, &named) == 0 && st.st_dev == named.st_dev && st.st_ino == named.st_ino
           && usable_partial(st);
}

}  // namespace

fs::path partial_path(const fs::path& dest, const std::string& tag) {
    return dest.parent_path() / (hidden_stem(dest) + ".oras-partial-" + tag);
}

void remove_stale_partials(const fs::path& dest) {
    const auto stem = hidden_stem(dest);
    if (stem.size() != dest.filename().string().size() + 1) {
        return;  // a cut name: its stem may be another title's too
    }
    const auto prefix = stem + ".oras-partial-";
    std::error_code ec;
    fs::directory_iterator it(dest.parent_path(), ec);
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
        const auto name = it->path().filename().string();
        // `.NAME.oras-partial-` and a tag (32 hex digits): not the partial file of a title
        // that merely begins so (`NAME.oras-partial-x`).
        const auto tag = std::string_view(name).substr(std::min(name.size(), prefix.size()));
        if (!name.starts_with(prefix) || !is_partial_tag(tag)) {
            continue;
        }
        // Only a file no process is writing (it would hold the lock), still under that name.
        const int fd = ::open(it->path().c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
            continue;
        }
        struct stat st {};
        if (lock_own_partial(fd, it->path().c_str(), st)) {
            ::unlink(it->path().c_str());  // while locked, as a writer lets a stable name go
        }
        ::close(fd);
    }
}

std::string partial_tag(const descriptor& desc) {
    return std::string(desc.digest.encoded().substr(0, 32));
}

std::uint64_t partial_size(const fs::path& dest, const std::string& tag) {
    // A file a killed process had finished is back under the stable name only once swept.
    sweep_if_due(dest.parent_path());
    struct stat st {};
    if (::lstat(partial_path(dest, tag).c_str(), &st) != 0 || !usable_partial(st)) {
        return 0;
    }
    return static_cast<std::uint64_t>(st.st_size);
}

temp_file::temp_file(const fs::path& dest) : claim_(dest.parent_path()), dest_(dest) {
    open_own();
}

std::string temp_file::own_template() const {
    return claim_.name_template(hidden_stem(dest_) + ".oras");
}

void temp_file::open_own() {
    std::string name = own_template();
    fd_ = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd_ < 0) {
        throw error(errc::invalid_argument, "cannot create a temporary file beside "
                                                + quote(dest_.string()) + ": "
                                                + std::strerror(errno));
    }
    path_ = name;
    writer_ = std::make_unique<oras::detail::file_writer>(fd_);
}

temp_file::temp_file(const fs::path& dest, const std::string& partial_tag)
    : claim_(dest.parent_path()), dest_(dest) {
    const auto name = partial_path(dest, partial_tag).string();
    const int fd = ::open(name.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    struct stat st {};
    if (fd >= 0 && lock_own_partial(fd, name.c_str(), st)) {
        fd_ = fd;
        path_ = name;
        partial_ = true;
        size_at_open_ = static_cast<std::uint64_t>(st.st_size);
        if (::lseek(fd_, 0, SEEK_END) < 0) {
            throw error(errc::invalid_argument,
                        "cannot write " + quote(dest_.string()) + ": " + std::strerror(errno));
        }
        writer_ = std::make_unique<oras::detail::file_writer>(fd_, size_at_open_);
        return;
    }
    if (fd >= 0) {
        ::close(fd);  // another process is writing it: a name of our own instead
    }
    open_own();
}

void temp_file::truncate(std::uint64_t n) {
    // Everything given is in the file first: a cut that keeps more than was written must not
    // keep a hole where blocks still queued were dropped.
    check_write(writer_->flush());
    if (::ftruncate(fd_, static_cast<off_t>(n)) != 0
        || ::lseek(fd_, static_cast<off_t>(n), SEEK_SET) < 0) {
        throw error(errc::invalid_argument,
                    "cannot write " + quote(dest_.string()) + ": " + std::strerror(errno));
    }
    writer_ = std::make_unique<oras::detail::file_writer>(fd_, n);  // written on from `n`
}

void temp_file::check_write(int err) const {
    if (err != 0) {
        throw error(errc::invalid_argument,
                    "cannot write " + quote(dest_.string()) + ": " + std::strerror(err));
    }
}

temp_file::~temp_file() {
    // Unlinked before it is closed: a stable name is let go while still locked, so that the
    // next process to lock that name never has its own file removed from under it.
    writer_.reset();  // its thread is done with fd_ before fd_ goes
    if (!path_.empty()) {
        ::unlink(path_.c_str());
    }
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

void temp_file::write(std::span<const std::byte> b) {
    check_write(writer_->write(b));
}

void temp_file::put(std::size_t n) {
    check_write(writer_->put(n));
}

void temp_file::flush() {
    check_write(writer_->flush());
}

void temp_file::commit(bool keep_old) {
    close(true);
    publish(keep_old);
}

void temp_file::close(bool sync) {
    check_write(writer_->flush());
    // Its thread has ended; one without a descriptor from here on, so that a write after
    // close fails rather than reaching whatever file takes the number next.
    writer_ = std::make_unique<oras::detail::file_writer>();
    if (::fchmod(fd_, oras::detail::new_file_mode()) != 0 || (sync && ::fsync(fd_) != 0)) {
        throw error(errc::invalid_argument,
                    "cannot write " + quote(dest_.string()) + ": " + std::strerror(errno));
    }
    if (partial_) {
        // Complete: off the stable name while still locked, so that a process opening that
        // name next starts a file of its own instead of truncating this one. Under a kept name:
        // should this process die before it publishes the file, the next one finds it whole
        // under the stable name again (`dir_claim::kept_template`) instead of fetching it anew.
        std::string own = claim_.kept_template(fs::path(path_).filename().string());
        int placeholder = own.empty() ? -1 : ::mkostemp(own.data(), O_CLOEXEC);
        if (placeholder < 0 && (own.empty() || errno == ENAMETOOLONG)) {
            // A file system whose names are shorter than NAME_MAX (eCryptfs: 143 bytes): an
            // ordinary name, which the next process sweeps instead of taking up.
            own = own_template();
            placeholder = ::mkostemp(own.data(), O_CLOEXEC);
        }
        if (placeholder < 0 || ::rename(path_.c_str(), own.c_str()) != 0) {
            const int saved = errno;
            if (placeholder >= 0) {
                ::close(placeholder);
                ::unlink(own.c_str());
            }
            throw error(errc::invalid_argument,
                        "cannot write " + quote(dest_.string()) + ": " + std::strerror(saved));
        }
        ::close(placeholder);
        path_ = own;
        partial_ = false;
    }
    const int fd = fd_;
    fd_ = -1;
    // Linux closes the descriptor even when close fails; a write error it reports is real.
    if (::close(fd) != 0 && errno != EINTR) {
        throw error(errc::invalid_argument,
                    "cannot write " + quote(dest_.string()) + ": " + std::strerror(errno));
    }
}

void temp_file::publish(bool keep_old) {
    if (kept_) {
        // Only now, just before the rename: a file left under a name a later process takes up
        // (killed before this) keeps the mode that process can open it with.
        const int fd = ::open(path_.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            throw error(errc::invalid_argument,
                        "cannot write " + quote(dest_.string()) + ": " + std::strerror(errno));
        }
        // Owner first: chown clears set-id bits. Refused (not root, another owner): the file
        // stays this process's, as a copy made by a user would.
        const int owned = ::fchown(fd, kept_->uid, kept_->gid);
        (void)owned;
        const int moded = ::fchmod(fd, static_cast<mode_t>(kept_->mode));
        const int err = errno;
        ::close(fd);
        if (moded != 0) {
            throw error(errc::invalid_argument,
                        "cannot write " + quote(dest_.string()) + ": " + std::strerror(err));
        }
    }
    if (keep_old) {
        // link() refuses to replace: an existing file is kept and the commit fails.
        if (::link(path_.c_str(), dest_.c_str()) != 0) {
            throw error(errc::already_exists,
                        quote(dest_.string()) + " exists (and old files are kept)");
        }
        return;  // the destructor unlinks the temporary name
    }
    if (::rename(path_.c_str(), dest_.c_str()) != 0) {
        throw error(errc::invalid_argument,
                    "cannot rename into " + quote(dest_.string()) + ": " + std::strerror(errno));
    }
    path_.clear();
}

staging_dir::staging_dir(const fs::path& root) : claim_(root) {
    std::string name = claim_.name_template(".oras-unpack");
    if (::mkdtemp(name.data()) == nullptr) {
        throw error(errc::invalid_argument, "cannot create a directory in " + quote(root.string())
                                                + ": " + std::strerror(errno));
    }
    path_ = name;
}

staging_dir::~staging_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

void staging_dir::move_into_place(const std::string& title, const fs::path& dest) {
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(path_ / fs::path(title), ec))) {
        // Every entry skipped (devices, FIFOs), or none at all.
        throw error(errc::invalid_argument, "the layer titled " + quote(title)
                                                + " unpacked nothing under that name: it is "
                                                  "empty, or holds only entries that are skipped");
    }
    fs::rename(path_ / fs::path(title), dest, ec);
    if (ec) {
        throw error(errc::invalid_argument,
                    "cannot move the unpacked " + quote(title) + " into place: " + ec.message());
    }
}

void read_back(int fd, std::uint64_t n, const fs::path& named,
               const std::function<void(std::span<const std::byte>)>& consume) {
    std::vector<std::byte> buf(static_cast<std::size_t>(std::clamp<std::uint64_t>(n, 1, 1 << 20)));
    for (std::uint64_t at = 0; at < n;) {
        const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), n - at));
        const auto got = ::oras::detail::pread_some(fd, std::span(buf).first(want), at);
        if (got <= 0) {
            throw error(errc::invalid_argument,
                        "cannot read back " + quote(named.string()) + ": "
                            + (got < 0 ? std::strerror(errno) : "it is shorter"));
        }
        consume(std::span<const std::byte>(buf).first(static_cast<std::size_t>(got)));
        at += static_cast<std::uint64_t>(got);
    }
}

void hash_file(int fd, std::uint64_t n, verifier& v, const fs::path& named) {
    read_back(fd, n, named, [&v](std::span<const std::byte> chunk) {
        if (auto ok = v.update(chunk); !ok) {
            throw error(ok.error());
        }
    });
}

void sync_directory(const fs::path& dir) {
    const oras::detail::unique_fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) {
        const int err = errno;
        throw error(std::error_code(err, std::system_category()),
                    "cannot open directory " + dir.string());
    }
    if (::fsync(fd.get()) != 0 && errno != EINVAL) {
        const int err = errno;
        throw error(std::error_code(err, std::system_category()),
                    "cannot sync directory " + dir.string());
    }
}

void sync_file_system(const fs::path& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        throw error(errc::invalid_argument,
                    "cannot open " + quote(dir.string()) + ": " + std::strerror(errno));
    }
    const int rc = ::syncfs(fd);
    const int saved = errno;
    ::close(fd);
    if (rc != 0) {
        throw error(errc::invalid_argument, "cannot sync the files written under "
                                                + quote(dir.string()) + ": "
                                                + std::strerror(saved));
    }
}

std::vector<fs::path> one_per_file_system(std::vector<fs::path> dirs) {
    std::vector<fs::path> out;
    std::vector<dev_t> seen;
    for (auto& d : dirs) {
        struct stat st {};
        if (::stat(d.c_str(), &st) != 0) {
            out.push_back(std::move(d));  // its sync reports what is wrong with it
            continue;
        }
        if (std::find(seen.begin(), seen.end(), st.st_dev) == seen.end()) {
            seen.push_back(st.st_dev);
            out.push_back(std::move(d));
        }
    }
    return out;
}

}  // namespace oras::content::detail

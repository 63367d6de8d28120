#include "content/directory_archive.hpp"

#include "content/file_paths.hpp"
#include "content/gzip.hpp"
#include "core/posix_file.hpp"
#include "core/quote.hpp"

#include <oras/error.hpp>
#include <oras/hasher.hpp>

#include <boost/asio/awaitable.hpp>

#include <archive.h>
#include <archive_entry.h>

#include <dirent.h>
#include <fcntl.h>
#include <locale.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

namespace oras::content::detail {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using oras::detail::quote;
using ::oras::detail::read_some;
using ::oras::detail::unique_fd;

namespace {

[[noreturn]] void fail(errc code, const std::string& message) {
    throw error(make_error_code(code), message);
}

std::string os_error(int err) {
    return std::strerror(err);
}

constexpr std::size_t file_chunk = 1024 * 1024;  // slice of a file read per step

// libarchive turns names into the PAX header's UTF-8 with the charset of the calling thread's
// locale, and falls back to a `hdrcharset=BINARY` record when that fails: under the "C" locale
// every non-ASCII name would differ from the same archive made under a UTF-8 locale. Pinning
// the thread to C.UTF-8 while headers are written makes the bytes independent of the program's
// locale: names that are UTF-8 go as they are, others as BINARY, everywhere.
locale_t archive_locale() {
    static const locale_t loc = [] {
        locale_t l = ::newlocale(LC_CTYPE_MASK, "C.UTF-8", nullptr);
        if (l == nullptr) {
            l = ::newlocale(LC_CTYPE_MASK, "C.utf8", nullptr);
        }
        if (l == nullptr) {
            l = ::newlocale(LC_CTYPE_MASK, "C", nullptr);
        }
        return l;
    }();
    return loc;
}

class locale_scope {
  public:
    locale_scope() {
        if (const auto l = archive_locale(); l != nullptr) {
            prev_ = ::uselocale(l);
        }
    }
    ~locale_scope() {
        if (prev_ != nullptr) {
            ::uselocale(prev_);
        }
    }
    locale_scope(const locale_scope&) = delete;
    locale_scope& operator=(const locale_scope&) = delete;

  private:
    locale_t prev_ = nullptr;
};

std::vector<std::string> list_directory(int dir_fd, const std::string& member) {
    const int fd = ::dup(dir_fd);
    if (fd < 0) {
        fail(errc::invalid_argument,
             "cannot read directory " + quote(member) + ": " + os_error(errno));
    }
    DIR* d = ::fdopendir(fd);
    if (d == nullptr) {
        const int err = errno;
        ::close(fd);
        fail(errc::invalid_argument,
             "cannot read directory " + quote(member) + ": " + os_error(err));
    }
    std::vector<std::string> names;
    errno = 0;
    while (const dirent* e = ::readdir(d)) {
        const std::string_view n = e->d_name;
        // This library's temporary files (a pull into the tree, killed or running) are never
        // content: pushed, they would be unpacked as stale partial files wherever it is pulled.
        if (n != "." && n != ".." && !is_internal_name(n)) {
            names.emplace_back(n);
        }
        errno = 0;
    }
    const int err = errno;
    ::closedir(d);
    if (err != 0) {
        fail(errc::invalid_argument,
             "cannot read directory " + quote(member) + ": " + os_error(err));
    }
    // Bytewise, as Go sorts the names filepath.Walk visits (std::string compares as unsigned).
    std::sort(names.begin(), names.end());
    return names;
}

std::string read_link(int dir_fd, const std::string& name, const std::string& member,
                      std::size_t hint) {
    std::string target(std::max<std::size_t>(hint, 64) + 1, '\0');
    for (;;) {
        const auto n = ::readlinkat(dir_fd, name.c_str(), target.data(), target.size());
        if (n < 0) {
            fail(errc::invalid_argument,
                 "cannot read symlink " + quote(member) + ": " + os_error(errno));
        }
        if (static_cast<std::size_t>(n) < target.size()) {
            target.resize(static_cast<std::size_t>(n));
            return target;
        }
        target.resize(target.size() * 2);
    }
}

}  // namespace

struct directory_archive::impl {
    struct frame {
        unique_fd fd;
        std::string member;
        std::vector<std::string> names;
        std::size_t next = 0;
    };
    enum class phase { start, walking, done };

    fs::path root;
    std::string name;
    int level = 6;

    // One run; `reset` starts another.
    phase ph = phase::start;
    archive* ar = nullptr;
    archive_entry* entry = nullptr;
    std::optional<gzip_encoder> gz;
    hasher tar_hash;
    hasher out_hash;
    std::vector<std::byte> out;
    std::size_t out_pos = 0;
    std::vector<frame> stack;
    unique_fd file;
    std::string file_member;
    std::uint64_t file_left = 0;
    std::vector<std::byte> chunk;
    oras::digest tar_digest;
    oras::digest out_digest;
    std::uint64_t tar_size = 0;
    std::uint64_t out_size = 0;
    std::exception_ptr callback_error;
    std::exception_ptr failed;
    bool discarding = false;

    impl() = default;
    impl(const impl&) = delete;
    impl& operator=(const impl&) = delete;
    ~impl() { close_archive(); }

    void close_archive() noexcept {
        // Freeing an open archive closes it, which writes the end-of-archive blocks through
        // the callback: they are dropped.
        discarding = true;
        if (ar != nullptr) {
            archive_write_free(ar);
            ar = nullptr;
        }
        if (entry != nullptr) {
            archive_entry_free(entry);
            entry = nullptr;
        }
        discarding = false;
    }

    void reset() {
        close_archive();
        ph = phase::start;
        gz.reset();
        tar_hash = hasher();
        out_hash = hasher();
        out.clear();
        out_pos = 0;
        stack.clear();
        file.reset();
        file_member.clear();
        file_left = 0;
        tar_digest = {};
        out_digest = {};
        tar_size = 0;
        out_size = 0;
        callback_error = nullptr;
        failed = nullptr;
    }

    static la_ssize_t on_write(archive*, void* self, const void* buf, size_t n) {
        auto& s = *static_cast<impl*>(self);
        if (s.discarding) {
            return static_cast<la_ssize_t>(n);
        }
        try {
            s.compress(std::span<const std::byte>(static_cast<const std::byte*>(buf), n));
            return static_cast<la_ssize_t>(n);
        } catch (...) {
            s.callback_error = std::current_exception();
            return -1;
        }
    }

    void compress(std::span<const std::byte> tar_bytes) {
        tar_hash.update(tar_bytes);
        tar_size += tar_bytes.size();
        const auto old = out.size();
        gz->write(tar_bytes, out);
        produced(old);
    }

    void produced(std::size_t old) {
        const auto fresh = std::span<const std::byte>(out).subspan(old);
        out_hash.update(fresh);
        out_size += fresh.size();
    }

    void check(int rc, const std::string& what) {
        if (callback_error) {
            std::rethrow_exception(std::exchange(callback_error, nullptr));
        }
        if (rc < ARCHIVE_WARN) {
            const char* msg = archive_error_string(ar);
            fail(errc::invalid_argument, what + ": " + (msg ? msg : "libarchive failed"));
        }
    }

    void open() {
        gz.emplace(level);
        ar = archive_write_new();
        entry = archive_entry_new();
        if (ar == nullptr || entry == nullptr) {
            throw std::bad_alloc();
        }
        // Restricted pax: ustar headers, with a PAX extended header only when a field does not
        // fit ustar, which is the choice Go's archive/tar (and so oras-go) makes. No blocking:
        // the tar ends right after its two zero blocks instead of being padded to 10 KiB
        // records, so its digest does not depend on a record size.
        check(archive_write_set_format_pax_restricted(ar), "tar");
        check(archive_write_set_bytes_per_block(ar, 0), "tar");
        check(archive_write_set_bytes_in_last_block(ar, 1), "tar");
        check(archive_write_open2(ar, this, nullptr, &impl::on_write, nullptr, nullptr), "tar");

        unique_fd fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        struct stat st {};
        if (!fd || ::fstat(fd.get(), &st) != 0) {
            fail(errc::invalid_argument,
                 "cannot open directory " + quote(root.string()) + ": " + os_error(errno));
        }
        header(name, AE_IFDIR, st.st_mode, 0, nullptr);
        auto names = list_directory(fd.get(), name);
        stack.push_back(frame{std::move(fd), name, std::move(names), 0});
        ph = phase::walking;
    }

    void header(const std::string& member, unsigned type, mode_t mode, std::int64_t size,
                const char* symlink) {
        archive_entry_clear(entry);
        archive_entry_copy_pathname(entry, member.c_str());
        archive_entry_set_filetype(entry, type);
        archive_entry_set_perm(entry, mode & 0777);
        archive_entry_set_size(entry, size);
        archive_entry_set_mtime(entry, 0, 0);
        if (symlink != nullptr) {
            archive_entry_copy_symlink(entry, symlink);
        }
        int rc = 0;
        {
            const locale_scope pinned;
            rc = archive_write_header(ar, entry);
        }
        check(rc, "cannot archive " + quote(member));
    }

    void visit(frame& parent, const std::string& child) {
        const std::string member = parent.member + "/" + child;
        struct stat st {};
        if (::fstatat(parent.fd.get(), child.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
            fail(errc::invalid_argument,
                 "cannot archive " + quote(member) + ": " + os_error(errno));
        }
        if (S_ISLNK(st.st_mode)) {
            const auto target =
                read_link(parent.fd.get(), child, member, static_cast<std::size_t>(st.st_size));
            header(member, AE_IFLNK, st.st_mode, 0, target.c_str());
        } else if (S_ISDIR(st.st_mode)) {
            unique_fd fd(::openat(parent.fd.get(), child.c_str(),
                                  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (!fd || ::fstat(fd.get(), &st) != 0) {
                fail(errc::invalid_argument,
                     "cannot archive " + quote(member) + ": " + os_error(errno));
            }
            header(member, AE_IFDIR, st.st_mode, 0, nullptr);
            auto names = list_directory(fd.get(), member);
            // `parent` dies here when the stack grows: nothing uses it afterwards.
            stack.push_back(frame{std::move(fd), member, std::move(names), 0});
        } else if (S_ISREG(st.st_mode)) {
            // O_NONBLOCK: should a fifo replace the file meanwhile, open must not wait on it.
            unique_fd fd(::openat(parent.fd.get(), child.c_str(),
                                  O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
            if (!fd || ::fstat(fd.get(), &st) != 0) {
                fail(errc::invalid_argument,
                     "cannot archive " + quote(member) + ": " + os_error(errno));
            }
            if (!S_ISREG(st.st_mode)) {
                fail(errc::invalid_argument,
                     "cannot archive " + quote(member) + ": it changed while being archived");
            }
            header(member, AE_IFREG, st.st_mode, st.st_size, nullptr);
            file_left = static_cast<std::uint64_t>(st.st_size);
            if (file_left > 0) {
                file = std::move(fd);
                file_member = member;
            }
        } else {
            fail(errc::invalid_argument,
                 "cannot archive " + quote(member)
                     + ": not a regular file, directory or symlink (devices, fifos and sockets "
                       "cannot be pushed)");
        }
    }

    void copy_file_slice() {
        if (chunk.empty()) {
            chunk.resize(file_chunk);
        }
        const auto want =
            static_cast<std::size_t>(std::min<std::uint64_t>(file_left, chunk.size()));
        std::size_t got = 0;
        while (got < want) {
            const auto n = read_some(file.get(), std::span(chunk).subspan(got, want - got));
            if (n < 0) {
                fail(errc::invalid_argument,
                     "cannot read " + quote(file_member) + ": " + os_error(errno));
            }
            if (n == 0) {
                fail(errc::size_mismatch, quote(file_member) + " shrank while being archived");
            }
            got += static_cast<std::size_t>(n);
        }
        const auto n = archive_write_data(ar, chunk.data(), got);
        check(n < 0 ? static_cast<int>(n) : ARCHIVE_OK, "cannot archive " + quote(file_member));
        if (static_cast<std::size_t>(n) != got) {
            fail(errc::invalid_argument, "cannot archive " + quote(file_member) + ": short write");
        }
        file_left -= got;
        if (file_left == 0) {
            file.reset();
        }
    }

    void step() {
        if (ph == phase::start) {
            open();
            return;
        }
        if (file_left > 0) {
            copy_file_slice();
            return;
        }
        while (!stack.empty() && stack.back().next == stack.back().names.size()) {
            stack.pop_back();
        }
        if (stack.empty()) {
            check(archive_write_close(ar), "tar");
            const auto old = out.size();
            gz->finish(out);
            produced(old);
            close_archive();
            tar_digest = tar_hash.finish();
            out_digest = out_hash.finish();
            ph = phase::done;
            return;
        }
        auto& top = stack.back();
        const auto child = top.names[top.next++];
        visit(top, child);
    }

    std::size_t read(std::span<std::byte> buf) {
        if (buf.empty()) {
            return 0;  // not the end: there is just no room
        }
        if (failed) {
            std::rethrow_exception(failed);
        }
        try {
            while (out_pos == out.size() && ph != phase::done) {
                out.clear();
                out_pos = 0;
                step();
            }
        } catch (...) {
            failed = std::current_exception();
            close_archive();
            throw;
        }
        const auto n = std::min(buf.size(), out.size() - out_pos);
        std::memcpy(buf.data(), out.data() + out_pos, n);
        out_pos += n;
        return n;
    }
};

namespace {

bool one_component(std::string_view n) {
    return !n.empty() && n != "." && n != ".." && n.find('/') == std::string_view::npos;
}

/// A relative name of one or more components, none of them `.` or `..` (a layer title such as
/// `site/assets`): members are then `site/assets/...`, as oras-go names them.
bool relative_name(std::string_view n) {
    if (n.empty() || n.front() == '/' || n.back() == '/') {
        return false;
    }
    for (std::size_t start = 0;;) {
        const auto slash = n.find('/', start);
        if (!one_component(n.substr(start, slash - start))) {
            return false;
        }
        if (slash == std::string_view::npos) {
            return true;
        }
        start = slash + 1;
    }
}

std::string archive_name(const fs::path& dir, std::string name) {
    if (name.empty()) {
        auto p = dir.lexically_normal();
        if (!p.has_filename()) {
            p = p.parent_path();
        }
        name = p.filename().string();
        if (!one_component(name)) {
            std::error_code ec;
            name = fs::weakly_canonical(dir, ec).filename().string();
        }
    }
    if (!relative_name(name)) {
        fail(errc::invalid_argument, "cannot name the archive of " + quote(dir.string()) + " "
                                         + quote(name)
                                         + ": the name must be a relative path without . or ..");
    }
    return name;
}

}  // namespace

directory_archive::directory_archive(fs::path dir, archive_options opts)
    : impl_(std::make_shared<impl>()) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        fail(errc::invalid_argument, quote(dir.string()) + " is not a directory");
    }
    if (opts.level < 0 || opts.level > 9) {
        fail(errc::invalid_argument,
             "gzip level " + std::to_string(opts.level) + " is not between 0 and 9");
    }
    impl_->name = archive_name(dir, std::move(opts.name));
    impl_->root = std::move(dir);
    impl_->level = opts.level;
}

directory_archive::~directory_archive() = default;
directory_archive::directory_archive(directory_archive&&) noexcept = default;
directory_archive& directory_archive::operator=(directory_archive&&) noexcept = default;

std::size_t directory_archive::read(std::span<std::byte> out) {
    return impl_->read(out);
}

void directory_archive::rewind() {
    impl_->reset();
}

bool directory_archive::done() const noexcept {
    return impl_->ph == impl::phase::done;
}

const std::string& directory_archive::name() const noexcept {
    return impl_->name;
}

const oras::digest& directory_archive::tar_digest() const noexcept {
    return impl_->tar_digest;
}

std::uint64_t directory_archive::tar_size() const noexcept {
    return impl_->tar_size;
}

const oras::digest& directory_archive::compressed_digest() const noexcept {
    return impl_->out_digest;
}

std::uint64_t directory_archive::compressed_size() const noexcept {
    return impl_->out_size;
}

byte_source directory_archive::reader(std::optional<std::uint64_t> length) const {
    auto st = impl_;
    return byte_source::from_generator(
        [st](std::span<std::byte> buf) -> asio::awaitable<std::size_t> { co_return st->read(buf); },
        length, [st] { st->reset(); });
}

}  // namespace oras::content::detail

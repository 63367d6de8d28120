#include "content/archive.hpp"

#include "core/quote.hpp"

#include <oras/error.hpp>
#include <oras/hasher.hpp>

#define ZLIB_CONST
#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>

#include <dirent.h>
#include <fcntl.h>
#include <locale.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <limits>
#include <optional>
#include <unordered_set>
#include <utility>

namespace oras::content::detail {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using oras::detail::quote;

namespace {

[[noreturn]] void fail(errc code, const std::string& message) {
    throw error(make_error_code(code), message);
}

std::string os_error(int err) {
    return std::strerror(err);
}

class unique_fd {
  public:
    unique_fd() = default;
    explicit unique_fd(int fd) noexcept : fd_(fd) {}
    ~unique_fd() { reset(); }
    unique_fd(unique_fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    unique_fd& operator=(unique_fd&& other) noexcept {
        if (this != &other) {
            reset(std::exchange(other.fd_, -1));
        }
        return *this;
    }
    unique_fd(const unique_fd&) = delete;
    unique_fd& operator=(const unique_fd&) = delete;

    int get() const noexcept { return fd_; }
    explicit operator bool() const noexcept { return fd_ >= 0; }
    void reset(int fd = -1) noexcept {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        fd_ = fd;
    }
    /// Closes and reports close's own failure (a delayed write error on some filesystems).
    int close() noexcept {
        const int fd = std::exchange(fd_, -1);
        return fd >= 0 ? ::close(fd) : 0;
    }

  private:
    int fd_ = -1;
};

constexpr std::size_t file_chunk = 1024 * 1024;    // slice of a file read per step
constexpr std::size_t inflate_chunk = 256 * 1024;  // decompressed output per inflate call
constexpr std::size_t meta_limit = 1024 * 1024;    // PAX / GNU long name headers
constexpr std::size_t name_limit = 4095;           // PATH_MAX without the NUL
constexpr std::size_t block = 512;

// zlib counts in uInt; spans are handed over in pieces it can take.
constexpr std::size_t zlib_max = std::numeric_limits<uInt>::max() / 2;

}  // namespace

// ---------------------------------------------------------------------------------------------
// gzip

struct gzip_encoder::impl {
    z_stream strm{};
    gz_header header{};
    bool init = false;

    explicit impl(int level) {
        if (level < 0 || level > 9) {
            fail(errc::invalid_argument,
                 "gzip level " + std::to_string(level) + " is not between 0 and 9");
        }
        if (deflateInit2(&strm, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
            throw std::bad_alloc();
        }
        init = true;
        set_header();
    }
    ~impl() {
        if (init) {
            deflateEnd(&strm);
        }
    }
    impl(const impl&) = delete;
    impl& operator=(const impl&) = delete;

    // zlib's default header carries its build's OS code (3 on Unix, 19 on macOS since 1.2.12);
    // a fixed one keeps the bytes the same across hosts. 255 "unknown" is what Go writes.
    void set_header() {
        header = gz_header{};
        header.os = 255;
        deflateSetHeader(&strm, &header);
    }

    void run(std::span<const std::byte> in, std::vector<std::byte>& out, int flush) {
        do {
            const auto piece = std::min(in.size(), zlib_max);
            strm.next_in = reinterpret_cast<const Bytef*>(in.data());
            strm.avail_in = static_cast<uInt>(piece);
            const bool last = piece == in.size();
            const int mode = last ? flush : Z_NO_FLUSH;
            int rc = Z_OK;
            do {
                const auto old = out.size();
                const std::size_t room = 64 * 1024;
                out.resize(old + room);
                strm.next_out = reinterpret_cast<Bytef*>(out.data() + old);
                strm.avail_out = static_cast<uInt>(room);
                rc = deflate(&strm, mode);
                out.resize(old + room - strm.avail_out);
                if (rc == Z_STREAM_ERROR) {
                    fail(errc::invalid_argument, "gzip compression failed");
                }
            } while (strm.avail_in > 0 || strm.avail_out == 0
                     || (mode == Z_FINISH && rc != Z_STREAM_END));
            in = in.subspan(piece);
        } while (!in.empty());
    }
};

gzip_encoder::gzip_encoder(int level) : impl_(std::make_unique<impl>(level)) {}
gzip_encoder::~gzip_encoder() = default;
gzip_encoder::gzip_encoder(gzip_encoder&& other) noexcept = default;
gzip_encoder& gzip_encoder::operator=(gzip_encoder&& other) noexcept = default;

void gzip_encoder::write(std::span<const std::byte> in, std::vector<std::byte>& out) {
    if (!in.empty()) {
        impl_->run(in, out, Z_NO_FLUSH);
    }
}

void gzip_encoder::finish(std::vector<std::byte>& out) {
    impl_->run({}, out, Z_FINISH);
    deflateReset(&impl_->strm);
    impl_->set_header();
}

std::vector<std::byte> gzip_encoder::compress(std::span<const std::byte> in, int level) {
    gzip_encoder e(level);
    std::vector<std::byte> out;
    e.write(in, out);
    e.finish(out);
    return out;
}

struct gzip_decoder::impl {
    z_stream strm{};
    bool init = false;
    bool in_member = false;  // bytes of a member that has not ended yet were fed
    bool ended = false;      // the last member fed has ended
    bool any_ended = false;
    std::vector<std::byte> buf;

    impl() {
        if (inflateInit2(&strm, 15 + 16) != Z_OK) {
            throw std::bad_alloc();
        }
        init = true;
    }
    ~impl() {
        if (init) {
            inflateEnd(&strm);
        }
    }
    impl(const impl&) = delete;
    impl& operator=(const impl&) = delete;

    [[noreturn]] void corrupt() const {
        fail(errc::invalid_response,
             std::string("layer is not valid gzip: ") + (strm.msg ? strm.msg : "corrupt data"));
    }
};

gzip_decoder::gzip_decoder() : impl_(std::make_unique<impl>()) {}
gzip_decoder::~gzip_decoder() = default;
gzip_decoder::gzip_decoder(gzip_decoder&& other) noexcept = default;
gzip_decoder& gzip_decoder::operator=(gzip_decoder&& other) noexcept = default;

void gzip_decoder::write(std::span<const std::byte> in, const sink_fn& sink) {
    auto& d = *impl_;
    if (d.buf.empty()) {
        d.buf.resize(inflate_chunk);
    }
    while (!in.empty()) {
        const auto piece = std::min(in.size(), zlib_max);
        d.strm.next_in = reinterpret_cast<const Bytef*>(in.data());
        d.strm.avail_in = static_cast<uInt>(piece);
        for (;;) {
            if (d.ended) {
                if (d.strm.avail_in == 0) {
                    break;
                }
                // Another member follows (gzip's multi-member streams); anything but a gzip
                // header fails inflate as "incorrect header check".
                inflateReset(&d.strm);
                d.ended = false;
            }
            d.in_member = true;
            const auto before_in = d.strm.avail_in;
            d.strm.next_out = reinterpret_cast<Bytef*>(d.buf.data());
            d.strm.avail_out = static_cast<uInt>(d.buf.size());
            const int rc = inflate(&d.strm, Z_NO_FLUSH);
            const auto produced = d.buf.size() - d.strm.avail_out;
            if (rc == Z_STREAM_END) {
                d.ended = true;
                d.any_ended = true;
                d.in_member = false;
            } else if (rc == Z_MEM_ERROR) {
                throw std::bad_alloc();
            } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
                d.corrupt();
            }
            if (produced > 0) {
                sink(std::span<const std::byte>(d.buf.data(), produced));
            }
            if (rc != Z_STREAM_END && d.strm.avail_out != 0) {
                if (d.strm.avail_in != 0 && d.strm.avail_in == before_in && produced == 0) {
                    d.corrupt();  // no progress with input and room: cannot happen with zlib
                }
                if (d.strm.avail_in == 0) {
                    break;
                }
            }
        }
        in = in.subspan(piece);
    }
}

void gzip_decoder::finish() {
    const auto& d = *impl_;
    if (d.in_member) {
        fail(errc::invalid_response, "layer is truncated: the gzip stream does not end");
    }
    if (!d.any_ended) {
        fail(errc::invalid_response, "layer is empty: no gzip stream");
    }
}

std::vector<std::byte> gzip_decoder::decompress(std::span<const std::byte> in) {
    gzip_decoder d;
    std::vector<std::byte> out;
    d.write(in,
            [&out](std::span<const std::byte> b) { out.insert(out.end(), b.begin(), b.end()); });
    d.finish();
    return out;
}

// ---------------------------------------------------------------------------------------------
// directory_archive

namespace {

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
        if (n != "." && n != "..") {
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
            const auto n = ::read(file.get(), chunk.data() + got, want - got);
            if (n < 0 && errno == EINTR) {
                continue;
            }
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

blob_reader directory_archive::reader() const {
    blob_reader r;
    auto st = impl_;
    r.read = [st](std::span<std::byte> buf) -> asio::awaitable<std::size_t> {
        co_return st->read(buf);
    };
    r.rewind = [st] { st->reset(); };
    return r;
}

// ---------------------------------------------------------------------------------------------
// tar_extractor
//
// The tar is parsed here rather than with libarchive's reader: libarchive pulls its input
// through a callback that must return bytes synchronously, while a network sink pushes chunks
// as they arrive, so libarchive would need the whole layer buffered (or a thread). Inflating
// pushed chunks with zlib and running a small tar state machine over the output keeps memory at
// one chunk, lets the tar bytes be hashed on the way, and puts every name through the checks
// below before anything is created. What is understood: ustar/v7/GNU headers (octal and
// base-256 numbers), PAX 'x' records (path, linkpath, size, mtime; 'g' is ignored), GNU long
// names 'L' and long link names 'K'.

namespace {

struct tar_header_view {
    const unsigned char* b;

    std::string field(std::size_t off, std::size_t len) const {
        const auto* p = reinterpret_cast<const char*>(b + off);
        return std::string(p, strnlen(p, len));
    }
    bool is_zero() const {
        return std::all_of(b, b + block, [](unsigned char c) { return c == 0; });
    }
    bool is_ustar() const { return std::memcmp(b + 257, "ustar\0", 6) == 0; }
    char type() const { return static_cast<char>(b[156]); }
};

// Octal (space or NUL padded) or base-256 (high bit of the first byte set, GNU and star).
std::optional<std::int64_t> parse_number(const unsigned char* p, std::size_t len) {
    if ((p[0] & 0x80) != 0) {
        if (p[0] == 0xff) {
            return std::nullopt;  // negative: no field we use may be
        }
        std::uint64_t v = p[0] & 0x7f;
        for (std::size_t i = 1; i < len; ++i) {
            if (v > (std::numeric_limits<std::uint64_t>::max() >> 8)) {
                return std::nullopt;
            }
            v = (v << 8) | p[i];
        }
        if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            return std::nullopt;
        }
        return static_cast<std::int64_t>(v);
    }
    std::size_t i = 0;
    while (i < len && (p[i] == ' ' || p[i] == 0)) {
        ++i;
    }
    std::size_t end = len;
    while (end > i && (p[end - 1] == ' ' || p[end - 1] == 0)) {
        --end;
    }
    std::uint64_t v = 0;
    for (; i < end; ++i) {
        if (p[i] < '0' || p[i] > '7' || v > (std::numeric_limits<std::uint64_t>::max() >> 3)) {
            return std::nullopt;
        }
        v = (v << 3) | static_cast<unsigned>(p[i] - '0');
    }
    if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return std::nullopt;
    }
    return static_cast<std::int64_t>(v);
}

std::optional<std::int64_t> parse_decimal(std::string_view s, bool allow_sign) {
    bool negative = false;
    if (allow_sign && !s.empty() && s[0] == '-') {
        negative = true;
        s.remove_prefix(1);
    }
    if (s.empty() || s.size() > 18) {
        return std::nullopt;
    }
    std::int64_t v = 0;
    for (const char c : s) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        v = v * 10 + (c - '0');
    }
    return negative ? -v : v;
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

struct tar_extractor::impl {
    enum class stage { header, file_data, meta_data, skip_data, padding, end };

    fs::path out_dir;
    unpack_options opts;
    std::vector<std::string> prefix;
    oras::digest expected;
    unique_fd root;
    gzip_decoder gz;
    hasher hash;
    oras::digest actual;
    std::uint64_t tar_size = 0;
    std::uint64_t compressed_size = 0;
    std::uint64_t members = 0;
    bool failed = false;

    // Parser.
    stage cur_stage = stage::header;
    std::array<unsigned char, block> hdr{};
    std::size_t hdr_fill = 0;
    std::uint64_t body_left = 0;
    std::uint64_t pad_left = 0;
    int zero_blocks = 0;
    char meta_kind = 0;
    std::string meta;
    std::optional<std::string> pax_path;
    std::optional<std::string> pax_linkpath;
    std::optional<std::int64_t> pax_size;
    std::optional<std::int64_t> pax_mtime;
    std::optional<std::string> long_name;
    std::optional<std::string> long_link;
    std::string member;  // of the entry whose body is being read, for messages

    // The regular file being written.
    unique_fd file;
    unique_fd file_dir;
    std::string file_tmp;
    std::string file_last;
    std::string file_key;
    std::int64_t file_mtime = 0;

    // The last directory opened, since members come grouped by directory.
    std::string cached_key;
    unique_fd cached_fd;
    std::unordered_set<std::string> extracted_files;
    unsigned tmp_counter = 0;

    impl(fs::path dir, unpack_options o)
        : out_dir(std::move(dir)), opts(std::move(o)), hash(digest_algorithm::sha256) {
        if (!opts.expected_tar_digest.empty()) {
            auto d = oras::digest::parse(opts.expected_tar_digest);
            if (!d) {
                throw error(d.error().code, "expected tar digest: " + d.error().message);
            }
            expected = *d;
            hash = hasher(expected.algorithm());
        }
        if (!opts.required_prefix.empty()) {
            prefix = split_name(opts.required_prefix, "required prefix");
            if (prefix.empty()) {
                fail(errc::invalid_argument,
                     "required prefix " + quote(opts.required_prefix) + " names no directory");
            }
        }
        std::error_code ec;
        fs::create_directories(out_dir, ec);
        root.reset(::open(out_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!root) {
            fail(errc::invalid_argument, "cannot open output directory " + quote(out_dir.string())
                                             + ": " + (ec ? ec.message() : os_error(errno)));
        }
    }
    impl(const impl&) = delete;
    impl& operator=(const impl&) = delete;
    ~impl() { drop_temp(); }

    void drop_temp() noexcept {
        if (file) {
            file.reset();
            ::unlinkat(file_dir.get(), file_tmp.c_str(), 0);
        }
        file_dir.reset();
    }

    std::string after() const {
        return member.empty() ? "at the start of the archive" : "after " + quote(member);
    }

    [[noreturn]] static void unsafe(const std::string& message) {
        fail(errc::invalid_response, message);
    }
    [[noreturn]] void local(const std::string& what, int err) const {
        fail(errc::invalid_argument,
             what + " under " + quote(out_dir.string()) + ": " + os_error(err));
    }

    // Splits a member name into its components: refuses absolute names and `..`, drops `.`
    // and empty components (`./a//b/` is `a/b`).
    static std::vector<std::string> split_name(std::string_view name, const std::string& what) {
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

    bool under_prefix(const std::vector<std::string>& parts) const {
        return parts.size() >= prefix.size()
               && std::equal(prefix.begin(), prefix.end(), parts.begin());
    }

    // ---- filesystem, always relative to `root` and never through a symlink

    unique_fd open_subdir(int at, const std::string& name, const std::string& path_so_far,
                          bool create) {
        for (int attempt = 0; attempt < 2; ++attempt) {
            const int fd =
                ::openat(at, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd >= 0) {
                return unique_fd(fd);
            }
            const int err = errno;
            if (err == ENOENT && create && attempt == 0) {
                if (::mkdirat(at, name.c_str(), 0777) != 0 && errno != EEXIST) {
                    local("cannot create directory " + quote(path_so_far), errno);
                }
                continue;
            }
            struct stat st {};
            if (::fstatat(at, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
                if (S_ISLNK(st.st_mode)) {
                    unsafe(quote(member) + " goes through the symlink " + quote(path_so_far));
                }
                if (!S_ISDIR(st.st_mode)) {
                    unsafe(quote(member) + " goes through " + quote(path_so_far)
                           + ", which is not a directory");
                }
            }
            local("cannot open directory " + quote(path_so_far), err);
        }
        local("cannot open directory " + quote(path_so_far), ENOENT);
    }

    // The directory holding parts[0, n), created as needed; owned by the cache (or `root`).
    int open_parent(const std::vector<std::string>& parts, std::size_t n, bool create = true) {
        if (n == 0) {
            return root.get();
        }
        auto key = join(parts, n);
        if (cached_fd && key == cached_key) {
            return cached_fd.get();
        }
        unique_fd cur;
        for (std::size_t i = 0; i < n; ++i) {
            cur =
                open_subdir(i == 0 ? root.get() : cur.get(), parts[i], join(parts, i + 1), create);
        }
        cached_key = std::move(key);
        cached_fd = std::move(cur);
        return cached_fd.get();
    }

    void refuse_existing(int dir, const std::string& last) const {
        struct stat st {};
        if (::fstatat(dir, last.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
            fail(errc::already_exists, quote(member) + " already exists in "
                                           + quote(out_dir.string())
                                           + " and keep_old_files is set");
        }
    }

    std::string next_tmp_name() {
        return ".oras-tmp-" + std::to_string(::getpid()) + "-" + std::to_string(tmp_counter++);
    }

    // Moves the temp entry `tmp` to `last` in `dir`, the one step that makes a member visible.
    void place(int dir, const std::string& tmp, const std::string& last) {
        if (opts.keep_old_files) {
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
                    fail(errc::already_exists, quote(member) + " already exists in "
                                                   + quote(out_dir.string())
                                                   + " and keep_old_files is set");
                }
                local("cannot create " + quote(member), err);
            }
            return;
        }
        if (::renameat(dir, tmp.c_str(), dir, last.c_str()) != 0) {
            const int err = errno;
            ::unlinkat(dir, tmp.c_str(), 0);
            local("cannot create " + quote(member), err);
        }
        // rename(2) does nothing when both names are links to one file (a hard link member
        // onto its own target): the temp name must go.
        ::unlinkat(dir, tmp.c_str(), 0);
    }

    template <class Make>
    void create_temp_and_place(int dir, const std::string& last, Make make) {
        for (int attempt = 0;; ++attempt) {
            const auto tmp = next_tmp_name();
            if (make(tmp)) {
                place(dir, tmp, last);
                return;
            }
            if (errno != EEXIST || attempt > 100) {
                local("cannot create " + quote(member), errno);
            }
        }
    }

    void make_directory(const std::vector<std::string>& parts, std::int64_t mode) {
        if (parts.empty()) {
            return;  // the output directory itself
        }
        const int dir = open_parent(parts, parts.size() - 1);
        const auto& last = parts.back();
        // Owner rwx always: members still have to be created inside.
        const auto perm = static_cast<mode_t>((mode & 0777) | 0700);
        if (::mkdirat(dir, last.c_str(), perm) == 0) {
            return;
        }
        if (errno != EEXIST) {
            local("cannot create directory " + quote(member), errno);
        }
        struct stat st {};
        if (::fstatat(dir, last.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
            local("cannot create directory " + quote(member), errno);
        }
        if (S_ISDIR(st.st_mode)) {
            return;
        }
        if (opts.keep_old_files) {
            refuse_existing(dir, last);
        }
        // A file or symlink is in the way: replace it (never following the symlink).
        if (::unlinkat(dir, last.c_str(), 0) != 0 || ::mkdirat(dir, last.c_str(), perm) != 0) {
            local("cannot create directory " + quote(member), errno);
        }
    }

    void begin_file(const std::vector<std::string>& parts, std::int64_t mode, std::int64_t mtime,
                    std::uint64_t size) {
        if (parts.empty()) {
            unsafe("member " + quote(member) + " names the output directory itself");
        }
        const int dir = open_parent(parts, parts.size() - 1);
        if (opts.keep_old_files) {
            refuse_existing(dir, parts.back());  // early, before writing the data
        }
        file_dir.reset(::dup(dir));
        if (!file_dir) {
            local("cannot create " + quote(member), errno);
        }
        for (int attempt = 0; !file; ++attempt) {
            file_tmp = next_tmp_name();
            file.reset(::openat(dir, file_tmp.c_str(),
                                O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                static_cast<mode_t>(mode & 0777)));
            if (!file && (errno != EEXIST || attempt > 100)) {
                local("cannot create " + quote(member), errno);
            }
        }
        file_last = parts.back();
        file_key = join(parts, parts.size());
        file_mtime = mtime;
        begin_body(stage::file_data, size);
    }

    void write_file(std::span<const std::byte> data) {
        while (!data.empty()) {
            const auto n = ::write(file.get(), data.data(), data.size());
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                local("cannot write " + quote(member), n < 0 ? errno : EIO);
            }
            data = data.subspan(static_cast<std::size_t>(n));
        }
    }

    void end_file() {
        if (file_mtime > 0) {
            const timespec times[2] = {{file_mtime, 0}, {file_mtime, 0}};
            ::futimens(file.get(), times);  // cosmetic: a failure is not worth an error
        }
        if (file.close() != 0) {
            const int err = errno;
            ::unlinkat(file_dir.get(), file_tmp.c_str(), 0);
            local("cannot write " + quote(member), err);
        }
        place(file_dir.get(), file_tmp, file_last);
        file_dir.reset();
        extracted_files.insert(file_key);
    }

    void make_symlink(const std::vector<std::string>& parts, const std::string& target) {
        if (parts.empty()) {
            unsafe("member " + quote(member) + " names the output directory itself");
        }
        // The target is checked lexically from the link's directory, and only leading ".."
        // are allowed: the directories they climb were created here with O_NOFOLLOW, so they
        // are real, and a ".." after a name could climb out of whatever that name turns out
        // to be (a symlink to "." makes "l/.." the parent of the output directory).
        if (target.empty()) {
            unsafe("symlink " + quote(member) + " has an empty target");
        }
        if (target.find('\0') != std::string::npos) {
            unsafe("symlink " + quote(member) + " has a target with a NUL byte");
        }
        if (target.front() == '/') {
            unsafe("symlink " + quote(member) + " points to the absolute path " + quote(target));
        }
        std::size_t ups = 0;
        bool named = false;
        std::size_t pos = 0;
        while (pos <= target.size()) {
            const auto slash = std::min(target.find('/', pos), target.size());
            const std::string_view part(target.data() + pos, slash - pos);
            if (part == "..") {
                if (named) {
                    unsafe("symlink " + quote(member) + " points to " + quote(target)
                           + ", which has \"..\" after a name");
                }
                ++ups;
            } else if (!part.empty() && part != ".") {
                named = true;
            }
            pos = slash + 1;
        }
        const auto depth = parts.size() - 1;  // of the link's directory
        if (parts.size() <= prefix.size() || ups > depth - prefix.size()) {
            unsafe("symlink " + quote(member) + " points to " + quote(target) + ", outside "
                   + (prefix.empty() ? "the output directory" : quote(opts.required_prefix)));
        }
        const int dir = open_parent(parts, parts.size() - 1);
        if (opts.keep_old_files) {
            refuse_existing(dir, parts.back());
        }
        create_temp_and_place(dir, parts.back(), [&](const std::string& tmp) {
            return ::symlinkat(target.c_str(), dir, tmp.c_str()) == 0;
        });
    }

    void make_hard_link(const std::vector<std::string>& parts, const std::string& target) {
        if (parts.empty()) {
            unsafe("member " + quote(member) + " names the output directory itself");
        }
        // A hard link's target is another member's name, relative to the archive's root.
        const auto tparts = split_name(target, "target of hard link " + quote(member));
        const auto tkey = join(tparts, tparts.size());
        if (tparts.empty() || !extracted_files.contains(tkey)) {
            unsafe("hard link " + quote(member) + " points to " + quote(target)
                   + ", which is not a regular file extracted from this archive");
        }
        unique_fd tdir(::dup(open_parent(tparts, tparts.size() - 1, false)));
        if (!tdir) {
            local("cannot create " + quote(member), errno);
        }
        struct stat st {};
        if (::fstatat(tdir.get(), tparts.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0
            || !S_ISREG(st.st_mode)) {
            unsafe("hard link " + quote(member) + " points to " + quote(target)
                   + ", which is no longer a regular file");
        }
        const int dir = open_parent(parts, parts.size() - 1);
        if (opts.keep_old_files) {
            refuse_existing(dir, parts.back());
        }
        create_temp_and_place(dir, parts.back(), [&](const std::string& tmp) {
            // Flags 0: linkat does not follow a symlink, which the check above excludes anyway.
            return ::linkat(tdir.get(), tparts.back().c_str(), dir, tmp.c_str(), 0) == 0;
        });
        extracted_files.insert(join(parts, parts.size()));
    }

    // ---- tar parsing

    void begin_body(stage s, std::uint64_t size) {
        cur_stage = s;
        body_left = size;
        pad_left = (block - size % block) % block;
        if (size == 0) {
            end_body();
        }
    }

    void end_body() {
        if (cur_stage == stage::file_data) {
            end_file();
        } else if (cur_stage == stage::meta_data) {
            end_meta();
        }
        cur_stage = pad_left > 0 ? stage::padding : stage::header;
    }

    void parse_pax(bool global) {
        std::string_view rest = meta;
        while (!rest.empty()) {
            const auto space = rest.find(' ');
            const auto len = space == std::string_view::npos
                                 ? std::nullopt
                                 : parse_decimal(rest.substr(0, space), false);
            if (!len || *len <= static_cast<std::int64_t>(space) + 1
                || static_cast<std::uint64_t>(*len) > rest.size()
                || rest[static_cast<std::size_t>(*len) - 1] != '\n') {
                unsafe("malformed PAX header " + after());
            }
            const auto record = rest.substr(space + 1, static_cast<std::size_t>(*len) - space - 2);
            rest.remove_prefix(static_cast<std::size_t>(*len));
            const auto eq = record.find('=');
            if (eq == std::string_view::npos || eq == 0) {
                unsafe("malformed PAX record " + quote(record));
            }
            const auto key = record.substr(0, eq);
            const auto value = record.substr(eq + 1);
            if (key.starts_with("GNU.sparse.")) {
                unsafe("sparse files are not supported (PAX record " + quote(key) + ")");
            }
            if (global) {
                continue;  // defaults for later members: nothing we use is taken from them
            }
            // An empty value removes the keyword (POSIX pax).
            if (key == "path") {
                pax_path = value.empty() ? std::nullopt : std::optional<std::string>(value);
            } else if (key == "linkpath") {
                pax_linkpath = value.empty() ? std::nullopt : std::optional<std::string>(value);
            } else if (key == "size") {
                pax_size = value.empty() ? std::nullopt : parse_decimal(value, false);
                if (!value.empty() && !pax_size) {
                    unsafe("malformed PAX size " + quote(value));
                }
            } else if (key == "mtime") {
                const auto whole = value.substr(0, value.find('.'));
                pax_mtime = whole.empty() ? std::nullopt : parse_decimal(whole, true);
            }
        }
    }

    void end_meta() {
        switch (meta_kind) {
            case 'x':
                parse_pax(false);
                break;
            case 'g':
                parse_pax(true);
                break;
            case 'L':
                long_name = meta.substr(0, meta.find('\0'));
                break;
            case 'K':
                long_link = meta.substr(0, meta.find('\0'));
                break;
            default:
                break;
        }
        meta.clear();
    }

    void on_header() {
        const tar_header_view h{hdr.data()};
        if (h.is_zero()) {
            if (++zero_blocks == 2) {
                cur_stage = stage::end;
            }
            return;
        }
        if (zero_blocks > 0) {
            unsafe("malformed tar: a lone zero block before the end of the archive");
        }
        // Checksum: the header's bytes with the checksum field as spaces, summed unsigned (or
        // signed, as some old tars did).
        std::uint64_t usum = 0;
        std::int64_t ssum = 0;
        for (std::size_t i = 0; i < block; ++i) {
            const unsigned char c = (i >= 148 && i < 156) ? ' ' : hdr[i];
            usum += c;
            ssum += static_cast<signed char>(c);
        }
        const auto chk = parse_number(hdr.data() + 148, 8);
        if (!chk || (static_cast<std::uint64_t>(*chk) != usum && *chk != ssum)) {
            unsafe("malformed tar: bad header checksum " + after());
        }
        const auto size = parse_number(hdr.data() + 124, 12);
        if (!size) {
            unsafe("malformed tar: bad size in the header " + after());
        }
        const char type = h.type();
        if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
            if (static_cast<std::uint64_t>(*size) > meta_limit) {
                unsafe("malformed tar: an extended header of " + std::to_string(*size)
                       + " bytes (more than " + std::to_string(meta_limit) + ") " + after());
            }
            meta_kind = type;
            meta.clear();
            meta.reserve(static_cast<std::size_t>(*size));
            begin_body(stage::meta_data, static_cast<std::uint64_t>(*size));
            return;
        }
        on_member(h, type, *size);
    }

    void on_member(const tar_header_view& h, char type, std::int64_t header_size) {
        if (opts.max_members != 0 && ++members > opts.max_members) {
            fail(errc::size_exceeds_limit,
                 "layer has more than " + std::to_string(opts.max_members)
                     + " members, the limit (unpack_options::max_members)");
        }
        std::string name;
        if (pax_path) {
            name = *pax_path;
        } else if (long_name) {
            name = *long_name;
        } else {
            name = h.field(0, 100);
            if (h.is_ustar()) {  // POSIX ustar; GNU's "ustar  " keeps other data there
                const auto pre = h.field(345, 155);
                if (!pre.empty()) {
                    name = pre + "/" + name;
                }
            }
        }
        std::string link = pax_linkpath ? *pax_linkpath
                           : long_link  ? *long_link
                                        : h.field(157, 100);
        const std::int64_t size = pax_size.value_or(header_size);
        const auto mode = parse_number(hdr.data() + 100, 8).value_or(0644);
        std::int64_t mtime =
            pax_mtime ? *pax_mtime : parse_number(hdr.data() + 136, 12).value_or(0);
        pax_path.reset();
        pax_linkpath.reset();
        pax_size.reset();
        pax_mtime.reset();
        long_name.reset();
        long_link.reset();

        member = name.substr(0, std::min<std::size_t>(name.size(), 512));
        if (name.size() > name_limit) {
            unsafe("member " + quote(name) + " has a name of " + std::to_string(name.size())
                   + " bytes, more than " + std::to_string(name_limit));
        }
        if (link.size() > name_limit) {
            unsafe("member " + quote(name) + " has a link target of " + std::to_string(link.size())
                   + " bytes, more than " + std::to_string(name_limit));
        }
        const auto usize = static_cast<std::uint64_t>(size);
        const bool regular = type == '0' || type == '\0' || type == '7';
        const bool directory = type == '5' || (regular && name.back() == '/');
        if (type == 'S') {
            unsafe("member " + quote(name) + " is a GNU sparse file, which is not supported");
        }
        if (!directory && !regular && type != '1' && type != '2') {
            begin_body(stage::skip_data, usize);  // devices, fifos, vendor types: skipped
            return;
        }
        const auto parts = split_name(name, "member");
        if (!prefix.empty() && !under_prefix(parts)) {
            unsafe("member " + quote(name) + " is not under " + quote(opts.required_prefix));
        }
        if (directory) {
            make_directory(parts, mode);
            begin_body(stage::skip_data, usize);
        } else if (regular) {
            begin_file(parts, mode, mtime, usize);
        } else if (type == '2') {
            make_symlink(parts, link);
            begin_body(stage::skip_data, usize);
        } else {
            make_hard_link(parts, link);
            begin_body(stage::skip_data, usize);
        }
    }

    void consume(std::span<const std::byte> data) {
        while (!data.empty()) {
            switch (cur_stage) {
                case stage::header: {
                    const auto n = std::min(block - hdr_fill, data.size());
                    std::memcpy(hdr.data() + hdr_fill, data.data(), n);
                    hdr_fill += n;
                    data = data.subspan(n);
                    if (hdr_fill == block) {
                        hdr_fill = 0;
                        on_header();
                    }
                    break;
                }
                case stage::file_data:
                case stage::meta_data:
                case stage::skip_data: {
                    const auto n =
                        static_cast<std::size_t>(std::min<std::uint64_t>(body_left, data.size()));
                    if (cur_stage == stage::file_data) {
                        write_file(data.first(n));
                    } else if (cur_stage == stage::meta_data) {
                        meta.append(reinterpret_cast<const char*>(data.data()), n);
                    }
                    body_left -= n;
                    data = data.subspan(n);
                    if (body_left == 0) {
                        end_body();
                    }
                    break;
                }
                case stage::padding: {
                    const auto n =
                        static_cast<std::size_t>(std::min<std::uint64_t>(pad_left, data.size()));
                    pad_left -= n;
                    data = data.subspan(n);
                    if (pad_left == 0) {
                        cur_stage = stage::header;
                    }
                    break;
                }
                case stage::end:
                    return;  // after the two zero blocks: record padding, hashed, not parsed
            }
        }
    }

    void check_expansion() const {
        if (opts.max_tar_bytes != 0 && tar_size > opts.max_tar_bytes) {
            fail(errc::size_exceeds_limit,
                 "layer expands past " + std::to_string(opts.max_tar_bytes)
                     + " bytes of tar, the limit (unpack_options::max_tar_bytes)");
        }
        const auto ratio = tar_size / std::max<std::uint64_t>(compressed_size, 1);
        if (opts.max_expansion_ratio != 0 && tar_size > opts.ratio_checked_after
            && ratio > opts.max_expansion_ratio) {
            fail(errc::size_exceeds_limit,
                 "layer expands " + std::to_string(ratio)
                     + " times its compressed size, past the limit of "
                     + std::to_string(opts.max_expansion_ratio)
                     + " (unpack_options::max_expansion_ratio): a gzip bomb?");
        }
    }

    void write(std::span<const std::byte> compressed) {
        if (failed) {
            fail(errc::invalid_argument,
                 "the extraction into " + quote(out_dir.string()) + " has already failed");
        }
        try {
            compressed_size += compressed.size();
            gz.write(compressed, [this](std::span<const std::byte> tar) {
                hash.update(tar);
                tar_size += tar.size();
                check_expansion();
                consume(tar);
            });
        } catch (...) {
            failed = true;
            drop_temp();
            throw;
        }
    }

    void finish() {
        if (failed) {
            fail(errc::invalid_argument,
                 "the extraction into " + quote(out_dir.string()) + " has already failed");
        }
        try {
            gz.finish();
            // A tar may end without its two zero blocks (Go's reader accepts that too), but not
            // in the middle of a header or an entry.
            if ((cur_stage != stage::header && cur_stage != stage::end) || hdr_fill != 0) {
                unsafe("layer is truncated: the tar ends inside " + quote(member));
            }
            if (pax_path || pax_linkpath || long_name || long_link) {
                unsafe("malformed tar: an extended header without a member at the end");
            }
            actual = hash.finish();
            if (!expected.empty() && actual != expected) {
                fail(errc::digest_mismatch,
                     "the layer's tar has digest " + actual.str() + ", expected " + expected.str());
            }
        } catch (...) {
            failed = true;
            drop_temp();
            throw;
        }
    }
};

tar_extractor::tar_extractor(fs::path out_dir, unpack_options opts)
    : impl_(std::make_unique<impl>(std::move(out_dir), std::move(opts))) {}

tar_extractor::~tar_extractor() = default;

void tar_extractor::write(std::span<const std::byte> compressed) {
    impl_->write(compressed);
}

void tar_extractor::finish() {
    impl_->finish();
}

const oras::digest& tar_extractor::tar_digest() const noexcept {
    return impl_->actual;
}

std::uint64_t tar_extractor::tar_size() const noexcept {
    return impl_->tar_size;
}

write_fn tar_extractor::sink(std::shared_ptr<tar_extractor> self) {
    return [self](std::span<const std::byte> b) -> asio::awaitable<void> {
        self->write(b);
        co_return;
    };
}

asio::awaitable<oras::digest> unpack(read_fn compressed, fs::path out_dir, unpack_options opts) {
    tar_extractor x(std::move(out_dir), std::move(opts));
    std::vector<std::byte> buf(256 * 1024);
    for (;;) {
        const auto n = co_await compressed(std::span<std::byte>(buf));
        if (n == 0) {
            break;
        }
        x.write(std::span<const std::byte>(buf.data(), n));
    }
    x.finish();
    co_return x.tar_digest();
}

}  // namespace oras::content::detail

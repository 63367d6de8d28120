// oci_layout::from_tar: an OCI layout read from a tar archive, through libarchive.
#include <oras/content/oci_layout.hpp>
#include <oras/error.hpp>

#include "content/file_paths.hpp"
#include "content/layout_archive.hpp"
#include "core/posix_file.hpp"
#include "core/quote.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace oras::content {

namespace fs = std::filesystem;

namespace {

using oras::detail::quote;

struct read_closer {
    void operator()(archive* a) const noexcept { archive_read_free(a); }
};
struct write_closer {
    void operator()(archive* a) const noexcept { archive_write_free(a); }
};

/// Removes the directory it names when the last copy goes.
struct extracted_dir {
    explicit extracted_dir(fs::path p) : path(std::move(p)) {}
    extracted_dir(const extracted_dir&) = delete;  // one owner, or the directory goes early
    extracted_dir& operator=(const extracted_dir&) = delete;
    fs::path path;
    ~extracted_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

/// libarchive's message for `a`, never null.
std::string why(archive* a) {
    const char* s = archive_error_string(a);
    return s != nullptr ? s : "an unknown error";
}

/// Whether `name` is a relative path with no `..`, made only of what a layout member can be.
bool safe_member_name(std::string_view name) {
    if (name.empty() || name.front() == '/' || name.find('\0') != std::string_view::npos) {
        return false;
    }
    for (const auto& part : fs::path(std::string(name))) {
        if (part == "..") {
            return false;
        }
    }
    return true;
}

/// The next member of `in`, or null at its end, with its name in `name`: the archive's root
/// entry (`.`) is passed over, a name that would land outside the layout or a member past
/// `max_members` (0: no bound; `seen` counts them) fails with `fail(why)`.
template <class Fail>
archive_entry* next_member(archive* in, std::uint64_t& seen, std::uint64_t max_members,
                           const Fail& fail, std::string& name) {
    for (;;) {
        archive_entry* entry = nullptr;
        const int r = archive_read_next_header(in, &entry);
        if (r == ARCHIVE_EOF) {
            return nullptr;
        }
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            throw fail(why(in));
        }
        if (max_members != 0 && ++seen > max_members) {
            throw fail("more than " + std::to_string(max_members) + " members");
        }
        const char* raw = archive_entry_pathname(entry);
        name = raw != nullptr ? raw : "";
        if (name == "./" || name == ".") {
            continue;
        }
        if (!safe_member_name(name)) {
            throw fail("the member " + quote(name) + " would land outside the layout");
        }
        return entry;
    }
}

}  // namespace

namespace detail {

bool is_gzip_file(const fs::path& path) {
    const oras::detail::unique_fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    std::array<std::byte, 2> magic{};
    return fd && oras::detail::pread_some(fd.get(), magic, 0) == 2 && magic[0] == std::byte{0x1f}
           && magic[1] == std::byte{0x8b};
}

std::shared_ptr<const archive_members> index_archive(const fs::path& path,
                                                     std::uint64_t max_members) {
    const auto fail = [&path](const std::string& why) {
        return error(errc::invalid_argument,
                     "cannot read the OCI layout archive " + quote(path.string()) + ": " + why);
    };
    auto out = std::make_shared<archive_members>();
    out->archive = path;
    out->fd.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat st {};
    if (!out->fd || ::fstat(out->fd.get(), &st) != 0) {
        throw fail(std::strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) {
        throw fail("not a regular file");
    }
    const auto archive_size = static_cast<std::uint64_t>(st.st_size);
    // Walked through a descriptor of its own (libarchive moves its offset, reading and skipping
    // with lseek) on the same file: members are read later with pread on `out->fd`.
    const auto again = "/proc/self/fd/" + std::to_string(out->fd.get());
    oras::detail::unique_fd walk(::open(again.c_str(), O_RDONLY | O_CLOEXEC));
    if (!walk) {
        walk.reset(::fcntl(out->fd.get(), F_DUPFD_CLOEXEC,
                           0));  // no /proc: the shared offset is not used after this
    }
    if (!walk) {
        throw fail(std::strerror(errno));
    }
    std::unique_ptr<archive, read_closer> in(archive_read_new());
    if (!in) {
        throw std::bad_alloc();
    }
    // No filter but none: a compressed archive is not taken for a tar one.
    archive_read_support_format_tar(in.get());
    // A small block: the headers are what is read, the data between them is skipped (lseek).
    if (archive_read_open_fd(in.get(), walk.get(), 64 * 1024) != ARCHIVE_OK) {
        throw fail(why(in.get()));
    }
    std::uint64_t members = 0;
    std::string name;
    while (archive_entry* entry = next_member(in.get(), members, max_members, fail, name)) {
        if (archive_entry_filetype(entry) != AE_IFREG || archive_entry_hardlink(entry) != nullptr) {
            continue;  // directories, links, devices: nothing read from a layout
        }
        if (archive_entry_sparse_count(entry) > 0) {
            return nullptr;  // its bytes are not one range of the archive: extracted instead
        }
        // The format reader has consumed the member's headers and none of its data: what it
        // has consumed of the archive is where the data starts.
        const auto offset = archive_filter_bytes(in.get(), 0);
        const auto size = archive_entry_size(entry);
        if (offset < 0 || size < 0 || static_cast<std::uint64_t>(size) > archive_size
            || static_cast<std::uint64_t>(offset)
                   > archive_size - static_cast<std::uint64_t>(size)) {
            throw fail("the member " + quote(name) + " lies past the end of the archive");
        }
        // The data must be what the header's size says, one range: a header whose size is
        // overridden (GNU realsize, a multi-volume part) is read right only by extracting.
        if (archive_read_data_skip(in.get()) != ARCHIVE_OK) {
            throw fail(why(in.get()));
        }
        const auto padded = (static_cast<std::uint64_t>(size) + 511) / 512 * 512;
        if (static_cast<std::uint64_t>(archive_filter_bytes(in.get(), 0))
            != static_cast<std::uint64_t>(offset) + padded) {
            return nullptr;
        }
        out->files.insert_or_assign(fs::path(name).lexically_normal().string(),
                                    archive_members::member{static_cast<std::uint64_t>(offset),
                                                            static_cast<std::uint64_t>(size)});
    }
    return out;
}

std::optional<std::string> read_member(const archive_members& members, std::string_view name,
                                       std::size_t limit) {
    const auto* m = members.find(name);
    const auto shown = (members.archive / std::string(name)).string();
    if (m == nullptr) {
        return std::nullopt;
    }
    if (m->size > limit) {
        throw error(errc::size_exceeds_limit, shown + " has " + std::to_string(m->size)
                                                  + " bytes, more than the limit of "
                                                  + std::to_string(limit));
    }
    std::string out(static_cast<std::size_t>(m->size), '\0');
    std::size_t done = 0;
    while (done < out.size()) {
        const auto n = oras::detail::pread_some(
            members.fd.get(),
            std::as_writable_bytes(std::span(out.data() + done, out.size() - done)),
            m->offset + done);
        if (n <= 0) {
            throw error(errc::invalid_argument,
                        "cannot read " + shown + ": "
                            + (n < 0 ? std::strerror(errno) : "the archive ends early"));
        }
        done += static_cast<std::size_t>(n);
    }
    return out;
}

}  // namespace detail

std::unique_ptr<oci_layout> oci_layout::from_tar(const fs::path& tar, std::size_t max_index_size,
                                                 std::uint64_t max_tar_bytes,
                                                 std::uint64_t max_members) {
    const auto fail = [&tar](const std::string& why) {
        return error(errc::invalid_argument,
                     "cannot read the OCI layout archive " + quote(tar.string()) + ": " + why);
    };
    const oci_layout_options read_only{
        .create = false, .read_only = true, .max_index_size = max_index_size};
    // Both ways, an archive with no layout at its top is named as such.
    const auto open_layout = [&tar](const auto& make) {
        try {
            return make();
        } catch (const error& e) {
            if (e.code() == make_error_code(errc::not_found)) {
                throw error(errc::not_found,
                            "the archive " + quote(tar.string())
                                + " holds no OCI layout (oci-layout and index.json at its top)");
            }
            throw;
        }
    };
    auto in_place = detail::is_gzip_file(tar) ? nullptr : detail::index_archive(tar, max_members);
    if (in_place) {
        return open_layout([&] {
            return std::unique_ptr<oci_layout>(new oci_layout(std::move(in_place), read_only));
        });
    }
    std::string tmpl = (fs::temp_directory_path() / "oras-layout-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
        throw fail(std::string("cannot make a directory to extract it to: ")
                   + std::strerror(errno));
    }
    auto dir = std::make_shared<extracted_dir>(tmpl);
    // Members are written under this path with libarchive's checks, which refuse a symlink or
    // `..` anywhere in it: a TMPDIR reached through a symlink must not look like an attack.
    std::error_code ec;
    auto resolved = fs::canonical(dir->path, ec);
    if (ec) {
        throw fail("cannot resolve the directory to extract it to: " + ec.message());
    }
    dir->path = std::move(resolved);
    // gzip can expand a small archive into a full disk: past 1 GiB, no more than 256 bytes per
    // byte of the archive (deflate tops out near 1032:1, on long runs of one byte).
    const auto archive_size = fs::file_size(tar, ec);

    std::unique_ptr<archive, read_closer> in(archive_read_new());
    std::unique_ptr<archive, write_closer> out(archive_write_disk_new());
    if (!in || !out) {
        throw std::bad_alloc();
    }
    archive_read_support_format_tar(in.get());
    archive_read_support_filter_gzip(in.get());
    // Nothing this does not create itself is written through: no symlink on the way, no `..`.
    archive_write_disk_set_options(
        out.get(), ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT);
    if (archive_read_open_filename(in.get(), tar.c_str(), 1 << 20) != ARCHIVE_OK) {
        throw fail(why(in.get()));
    }
    std::uint64_t bytes = 0;
    std::uint64_t members = 0;
    std::string name;
    while (archive_entry* entry = next_member(in.get(), members, max_members, fail, name)) {
        const auto type = archive_entry_filetype(entry);
        if ((type != AE_IFREG && type != AE_IFDIR) || archive_entry_hardlink(entry) != nullptr) {
            continue;  // links, devices: nothing a layout holds
        }
        const auto size = archive_entry_size(entry);
        bytes += static_cast<std::uint64_t>(std::max<la_int64_t>(size, 0));
        if (max_tar_bytes != 0 && bytes > max_tar_bytes) {
            throw fail("more than " + std::to_string(max_tar_bytes) + " bytes");
        }
        if (!ec && archive_filter_code(in.get(), 0) != ARCHIVE_FILTER_NONE
            && bytes > (std::uint64_t{1} << 30) && bytes / 256 > archive_size) {
            throw fail("it decompresses to more than 256 times its size");
        }
        archive_entry_set_pathname(entry, (dir->path / name).c_str());
        archive_entry_set_perm(entry, type == AE_IFDIR ? 0755 : 0644);
        if (archive_write_header(out.get(), entry) != ARCHIVE_OK) {
            throw fail(why(out.get()));
        }
        if (type == AE_IFREG) {
            const void* block = nullptr;
            size_t length = 0;
            la_int64_t offset = 0;
            for (;;) {
                const int d = archive_read_data_block(in.get(), &block, &length, &offset);
                if (d == ARCHIVE_EOF) {
                    break;
                }
                if (d != ARCHIVE_OK && d != ARCHIVE_WARN) {
                    throw fail(why(in.get()));
                }
                if (archive_write_data_block(out.get(), block, length, offset) != ARCHIVE_OK) {
                    throw fail(why(out.get()));
                }
            }
        }
        if (archive_write_finish_entry(out.get()) != ARCHIVE_OK) {
            throw fail(why(out.get()));
        }
    }
    if (archive_write_close(out.get()) != ARCHIVE_OK) {
        throw fail(why(out.get()));
    }
    auto layout = open_layout([&] { return std::make_unique<oci_layout>(dir->path, read_only); });
    layout->extracted_ = std::move(dir);
    return layout;
}

namespace {

// The members of a layout under `root`, relative, parents before their children, sorted: what a
// layout holds and nothing hidden (a temporary file of a writer, an owner file).
std::vector<fs::path> layout_members(const fs::path& root) {
    std::vector<fs::path> out;
    std::error_code ec;
    fs::recursive_directory_iterator it(root, fs::directory_options::none, ec);
    if (ec) {
        throw error(errc::invalid_argument,
                    "cannot read the OCI layout " + quote(root.string()) + ": " + ec.message());
    }
    const auto fail = [&root](const std::error_code& why) {
        return error(errc::invalid_argument,
                     "cannot read the OCI layout " + quote(root.string()) + ": " + why.message());
    };
    // A failed step ends the walk as if it were done (libstdc++ makes the iterator the end one):
    // `ec` is checked after the loop too, or the archive would lack what could not be read.
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        const auto name = it->path().filename().string();
        const auto type = it->symlink_status(ec).type();
        if (ec) {
            throw fail(ec);
        }
        if (name.starts_with(".")) {
            if (type == fs::file_type::directory) {
                it.disable_recursion_pending();
            }
            continue;
        }
        // Nothing a layout holds otherwise: a symlink, a FIFO (which an open would wait on).
        if (type == fs::file_type::regular || type == fs::file_type::directory) {
            out.push_back(it->path().lexically_relative(root));
        }
    }
    if (ec) {
        throw fail(ec);
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

std::uint64_t oci_layout::write_tar(const fs::path& tar) const {
    const auto fail = [&tar](const std::string& why) {
        return error(errc::invalid_argument,
                     "cannot write the OCI layout archive " + quote(tar.string()) + ": " + why);
    };
    if (archive_) {
        throw error(errc::unsupported, "the OCI layout " + quote(root_.string())
                                           + " is read from an archive: copy the archive instead");
    }
    const auto members = layout_members(root_);
    detail::temp_file file(tar);
    std::uint64_t written = 0;
    struct sink {
        detail::temp_file* file;
        std::uint64_t* written;
    } to{&file, &written};
    const auto write = [](archive* a, void* data, const void* buf, size_t n) -> la_ssize_t {
        auto* s = static_cast<sink*>(data);
        try {
            s->file->write(std::span(static_cast<const std::byte*>(buf), n));
        } catch (const std::exception& e) {
            archive_set_error(a, EIO, "%s", e.what());
            return -1;
        }
        *s->written += n;
        return static_cast<la_ssize_t>(n);
    };
    std::unique_ptr<archive, write_closer> out(archive_write_new());
    if (!out) {
        throw std::bad_alloc();
    }
    archive_write_set_format_pax_restricted(out.get());
    archive_write_set_bytes_in_last_block(out.get(), 1);
    if (archive_write_open2(out.get(), &to, nullptr, write, nullptr, nullptr) != ARCHIVE_OK) {
        throw fail(why(out.get()));
    }
    for (const auto& rel : members) {
        const auto path = root_ / rel;
        const oras::detail::unique_fd fd(
            ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
        struct stat st {};
        if (!fd || ::fstat(fd.get(), &st) != 0) {
            throw fail("cannot read " + quote(path.string()) + ": " + std::strerror(errno));
        }
        if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
            continue;  // nothing a layout holds
        }
        std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(),
                                                                            &archive_entry_free);
        archive_entry_set_pathname(entry.get(),
                                   (rel.string() + (S_ISDIR(st.st_mode) ? "/" : "")).c_str());
        archive_entry_set_filetype(entry.get(), S_ISDIR(st.st_mode) ? AE_IFDIR : AE_IFREG);
        archive_entry_set_perm(entry.get(), S_ISDIR(st.st_mode) ? 0755 : 0644);
        archive_entry_set_size(entry.get(), S_ISDIR(st.st_mode) ? 0 : st.st_size);
        archive_entry_set_mtime(entry.get(), st.st_mtim.tv_sec, 0);
        if (archive_write_header(out.get(), entry.get()) != ARCHIVE_OK) {
            throw fail(why(out.get()));
        }
        if (S_ISREG(st.st_mode)) {
            detail::read_back(
                fd.get(), static_cast<std::uint64_t>(st.st_size), path,
                [&](std::span<const std::byte> chunk) {
                    const auto n = static_cast<la_ssize_t>(chunk.size());
                    if (archive_write_data(out.get(), chunk.data(), chunk.size()) != n) {
                        throw fail(why(out.get()));
                    }
                });
        }
    }
    if (archive_write_close(out.get()) != ARCHIVE_OK) {
        throw fail(why(out.get()));
    }
    file.commit(false);
    return written;
}

}  // namespace oras::content

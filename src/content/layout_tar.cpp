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

}  // namespace

std::unique_ptr<oci_layout> oci_layout::from_tar(const fs::path& tar, std::size_t max_index_size,
                                                 std::uint64_t max_tar_bytes,
                                                 std::uint64_t max_members) {
    const auto fail = [&tar](const std::string& why) {
        return detail::layout_archive_error(tar, why);
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

    std::unique_ptr<archive, detail::archive_read_closer> in(archive_read_new());
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
        throw fail(detail::archive_message(in.get()));
    }
    std::uint64_t bytes = 0;
    std::uint64_t members = 0;
    std::string name;
    while (archive_entry* entry = detail::next_member(in.get(), members, max_members, tar, name)) {
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
            throw fail(detail::archive_message(out.get()));
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
                    throw fail(detail::archive_message(in.get()));
                }
                if (archive_write_data_block(out.get(), block, length, offset) != ARCHIVE_OK) {
                    throw fail(detail::archive_message(out.get()));
                }
            }
        }
        if (archive_write_finish_entry(out.get()) != ARCHIVE_OK) {
            throw fail(detail::archive_message(out.get()));
        }
    }
    if (archive_write_close(out.get()) != ARCHIVE_OK) {
        throw fail(detail::archive_message(out.get()));
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
        throw fail(detail::archive_message(out.get()));
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
            throw fail(detail::archive_message(out.get()));
        }
        if (S_ISREG(st.st_mode)) {
            detail::read_back(
                fd.get(), static_cast<std::uint64_t>(st.st_size), path,
                [&](std::span<const std::byte> chunk) {
                    const auto n = static_cast<la_ssize_t>(chunk.size());
                    if (archive_write_data(out.get(), chunk.data(), chunk.size()) != n) {
                        throw fail(detail::archive_message(out.get()));
                    }
                });
        }
    }
    if (archive_write_close(out.get()) != ARCHIVE_OK) {
        throw fail(detail::archive_message(out.get()));
    }
    file.commit(false);
    return written;
}

}  // namespace oras::content

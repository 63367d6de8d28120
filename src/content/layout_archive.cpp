// The members of a plain tar archive where they lie in it: read once through libarchive, then
// each member read with pread (see layout_archive.hpp).
#include "content/layout_archive.hpp"

#include <oras/error.hpp>

#include "core/quote.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <span>

namespace oras::content::detail {

namespace fs = std::filesystem;
using oras::detail::quote;

namespace {

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

}  // namespace

void archive_read_closer::operator()(archive* a) const noexcept {
    archive_read_free(a);
}

std::string archive_message(archive* a) {
    const char* s = archive_error_string(a);
    return s != nullptr ? s : "an unknown error";
}

error layout_archive_error(const fs::path& path, const std::string& why) {
    return error(errc::invalid_argument,
                 "cannot read the OCI layout archive " + quote(path.string()) + ": " + why);
}

archive_entry* next_member(archive* in, std::uint64_t& seen, std::uint64_t max_members,
                           const fs::path& path, std::string& name) {
    for (;;) {
        archive_entry* entry = nullptr;
        const int r = archive_read_next_header(in, &entry);
        if (r == ARCHIVE_EOF) {
            return nullptr;
        }
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            throw layout_archive_error(path, archive_message(in));
        }
        if (max_members != 0 && ++seen > max_members) {
            throw layout_archive_error(path,
                                       "more than " + std::to_string(max_members) + " members");
        }
        const char* raw = archive_entry_pathname(entry);
        name = raw != nullptr ? raw : "";
        if (name == "./" || name == ".") {
            continue;
        }
        if (!safe_member_name(name)) {
            throw layout_archive_error(
                path, "the member " + quote(name) + " would land outside the layout");
        }
        return entry;
    }
}

bool is_gzip_file(const fs::path& path) {
    const oras::detail::unique_fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    std::array<std::byte, 2> magic{};
    return fd && oras::detail::pread_some(fd.get(), magic, 0) == 2 && magic[0] == std::byte{0x1f}
           && magic[1] == std::byte{0x8b};
}

std::shared_ptr<const archive_members> index_archive(const fs::path& path,
                                                     std::uint64_t max_members) {
    const auto fail = [&path](const std::string& why) { return layout_archive_error(path, why); };
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
    std::unique_ptr<archive, archive_read_closer> in(archive_read_new());
    if (!in) {
        throw std::bad_alloc();
    }
    // No filter but none: a compressed archive is not taken for a tar one.
    archive_read_support_format_tar(in.get());
    // A small block: the headers are what is read, the data between them is skipped (lseek).
    if (archive_read_open_fd(in.get(), walk.get(), 64 * 1024) != ARCHIVE_OK) {
        throw fail(archive_message(in.get()));
    }
    std::uint64_t members = 0;
    std::string name;
    while (archive_entry* entry = next_member(in.get(), members, max_members, path, name)) {
        if (archive_entry_filetype(entry) == AE_IFDIR) {
            // Extracting puts a directory where a file of that name was: no file is left there.
            auto dir = fs::path(name).lexically_normal().string();
            while (dir.size() > 1 && dir.back() == '/') {
                dir.pop_back();
            }
            out->files.erase(dir);
            continue;
        }
        if (archive_entry_filetype(entry) != AE_IFREG || archive_entry_hardlink(entry) != nullptr) {
            continue;  // links, devices: nothing read from a layout (nor extracted)
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
            throw fail(archive_message(in.get()));
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

}  // namespace oras::content::detail

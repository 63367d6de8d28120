// An OCI layout archive read in place (`oci_layout::from_tar` of a plain tar): the member index
// that says where each file's bytes lie in the archive, and the reads at those offsets. Whatever
// the input, every indexed member lies inside the archive under a name that stays inside the
// layout, and reads back as exactly the bytes libarchive gives for it when it extracts the
// archive from start to end: reading in place never differs from extracting.
#include <oras/error.hpp>

#include "content/layout_archive.hpp"
#include "fuzz.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace fs = std::filesystem;

namespace {

/// The regular files extracting the archive at `path` leaves (as `oci_layout::from_tar` extracts
/// one: regular files and directories only), by normalised name: a name given twice is its last
/// member's, and a directory replaces a file of its name. Nothing when libarchive cannot read the
/// whole archive.
std::optional<std::map<std::string, std::string>> extracted(const fs::path& path) {
    std::map<std::string, std::string> out;
    std::unique_ptr<archive, oras::content::detail::archive_read_closer> in(archive_read_new());
    archive_read_support_format_tar(in.get());
    if (archive_read_open_filename(in.get(), path.c_str(), 10240) != ARCHIVE_OK) {
        return std::nullopt;
    }
    archive_entry* entry = nullptr;
    for (;;) {
        const int r = archive_read_next_header(in.get(), &entry);
        if (r == ARCHIVE_EOF) {
            return out;
        }
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            return std::nullopt;
        }
        const char* raw = archive_entry_pathname(entry);
        const std::string name = raw != nullptr ? raw : "";
        if (archive_entry_filetype(entry) == AE_IFDIR) {
            // Extracted, a directory replaces a file of its name.
            auto dir = fs::path(name).lexically_normal().string();
            while (dir.size() > 1 && dir.back() == '/') {
                dir.pop_back();
            }
            out.erase(dir);
            continue;
        }
        // Links, devices: never extracted from a layout archive.
        if (archive_entry_filetype(entry) != AE_IFREG || archive_entry_hardlink(entry) != nullptr
            || name.empty()) {
            continue;
        }
        std::string data;
        char buf[4096];
        for (;;) {
            const auto n = archive_read_data(in.get(), buf, sizeof buf);
            if (n < 0) {
                return std::nullopt;
            }
            if (n == 0) {
                break;
            }
            data.append(buf, static_cast<std::size_t>(n));
        }
        out.insert_or_assign(fs::path(name).lexically_normal().string(), std::move(data));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace oras;
    char pattern[] = "/tmp/oras-fuzz-layout-XXXXXX";
    const int fd = ::mkstemp(pattern);
    fuzz::require(fd >= 0, "a temp file can be made");
    const fs::path path(pattern);
    std::size_t done = 0;
    while (done < size) {
        const auto n = ::write(fd, data + done, size - done);
        fuzz::require(n > 0, "the input is written");
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);

    std::shared_ptr<const content::detail::archive_members> members;
    try {
        members = content::detail::index_archive(path, 1000);
    } catch (const oras::error&) {
        // Refused with a message: fine.
    }
    if (members) {
        const auto whole = extracted(path);
        for (const auto& [name, m] : members->files) {
            fuzz::require(!name.empty() && name.front() != '/', "a member name is relative");
            for (const auto& part : fs::path(name)) {
                fuzz::require(part != "..", "a member name stays inside the layout");
            }
            fuzz::require(m.size <= size && m.offset <= size - m.size,
                          "a member lies inside the archive");
            std::optional<std::string> bytes;
            try {
                bytes = content::detail::read_member(*members, name, 1 << 20);
            } catch (const oras::error&) {
                fuzz::require(false, "an indexed member can be read");
            }
            fuzz::require(bytes.has_value() && bytes->size() == m.size,
                          "a member reads back whole");
            fuzz::require(*bytes
                              == std::string(reinterpret_cast<const char*>(data) + m.offset,
                                             static_cast<std::size_t>(m.size)),
                          "a member is read at its offset");
            if (whole) {
                const auto it = whole->find(name);
                fuzz::require(it != whole->end() && it->second == *bytes,
                              "a member read in place is what extracting gives");
            }
        }
    }
    std::error_code ec;
    fs::remove(path, ec);
    return 0;
}

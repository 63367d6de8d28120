#include "cli/files.hpp"

#include "core/posix_file.hpp"

#include <oras/error.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <system_error>
#include <vector>

namespace oras::cli {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(std::string_view what, const std::string& path, int err) {
    throw error(errc::invalid_argument, "cannot write the " + std::string(what) + " \"" + path
                                            + "\": " + std::strerror(err));
}

/// Where `-o path` writes: the file it names through symbolic links (a dangling one: the file a
/// write would create), or nothing when `path` is written to in place (`out_stream`): a device,
/// a pipe, a socket, or a descriptor's link. `st` gets what stat(2) says of an existing `path`.
std::optional<fs::path> output_behind(const fs::path& path, std::string_view what, struct stat& st,
                                      bool& exists) {
    const auto shown = path.string();
    exists = ::stat(path.c_str(), &st) == 0;  // through symbolic links
    if (!exists && errno != ENOENT) {
        fail(what, shown, errno);
    }
    if (exists && S_ISDIR(st.st_mode)) {
        fail(what, shown, EISDIR);
    }
    if (exists && !S_ISREG(st.st_mode)) {
        // A device, a pipe, a socket (`-o /dev/stdout`, `-o >(gzip)`): written to, as oras
        // writes, never replaced by a regular file (as root, renaming over /dev/null would).
        return std::nullopt;
    }
    // Through symbolic links to the file they name: the links stay, that file is replaced, as
    // a write through them would change it.
    fs::path p = path;
    std::error_code ec;
    for (int hops = 0; fs::is_symlink(p, ec); ++hops) {
        auto next = hops < 40 ? fs::read_symlink(p, ec) : fs::path();
        if (hops == 40 || ec) {
            fail(what, shown, hops == 40 ? ELOOP : ec.value());
        }
        if (p.string().starts_with("/proc/") || p.string().starts_with("/dev/fd/")) {
            // A descriptor's link (`-o /dev/stdout` with stdout on a file): the open file the
            // shell holds is written, not replaced by another under its name.
            return std::nullopt;
        }
        p = next.is_absolute() ? std::move(next) : p.parent_path() / next;
    }
    return p;
}

}  // namespace

bool written_in_place(const std::filesystem::path& path, std::string_view what) {
    struct stat st {};
    bool exists = false;
    return !output_behind(path, what, st, exists);
}

void check_input_file(const std::string& path, std::string_view what, bool regular_only) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        throw error(errc::invalid_argument, "the " + std::string(what) + " \"" + path + "\" "
                                                + (errno == ENOENT ? "does not exist"
                                                                   : std::string("cannot be read: ")
                                                                         + std::strerror(errno)));
    }
    if (S_ISDIR(st.st_mode)) {
        throw error(errc::invalid_argument,
                    "the " + std::string(what) + " \"" + path + "\" is a directory, not a file");
    }
    if (regular_only && !S_ISREG(st.st_mode)) {
        throw error(errc::invalid_argument,
                    "the " + std::string(what) + " \"" + path + "\" is not a regular file");
    }
}

std::string read_input(const std::string& path, std::string_view what, std::size_t limit) {
    std::string out;
    std::istream* in = &std::cin;
    std::ifstream file;
    if (path != "-") {
        check_input_file(path, what, false);  // a pipe (`<(jq ...)`, /dev/stdin) is read too
        file.open(path, std::ios::binary);
        if (!file) {
            throw error(errc::invalid_argument, "cannot read the " + std::string(what) + " \""
                                                    + path + "\": " + std::strerror(errno));
        }
        in = &file;
    }
    std::vector<char> buf(64 * 1024);
    while (*in) {
        in->read(buf.data(), static_cast<std::streamsize>(buf.size()));
        out.append(buf.data(), static_cast<std::size_t>(in->gcount()));
        if (out.size() > limit) {
            throw error(errc::size_exceeds_limit, "the " + std::string(what) + " is larger than "
                                                      + std::to_string(limit) + " bytes");
        }
    }
    if (in->bad()) {
        throw error(errc::invalid_argument, "cannot read the " + std::string(what));
    }
    return out;
}

output_file::output_file(fs::path path, std::string_view what)
    : path_(std::move(path)), what_(what) {
    const auto shown = path_.string();
    struct stat st {};
    bool exists = false;
    auto behind = output_behind(path_, what_, st, exists);
    if (!behind) {
        open_in_place(shown);
        return;
    }
    path_ = std::move(*behind);
    const auto dir = path_.has_parent_path() ? path_.parent_path() : fs::path(".");
    std::string tmpl = (dir / ("." + path_.filename().string() + ".oras-XXXXXX")).string();
    fd_.reset(::mkstemp(tmpl.data()));
    if (!fd_) {
        fail(what_, shown, errno);
    }
    temp_ = std::move(tmpl);
    if (exists) {
        // The file replaced keeps its mode (a 0600 file stays private) and, where this process
        // may set them, its owner and group.
        // Best effort: a process that may not give it away leaves the new file its own. Owner
        // first (chown clears set-id bits), and no set-id bits copied onto downloaded bytes.
        const int owned = ::fchown(fd_.get(), st.st_uid, st.st_gid);
        (void)owned;
        ::fchmod(fd_.get(), st.st_mode & 0777);
    } else {
        ::fchmod(fd_.get(), oras::detail::new_file_mode());  // as a new file's, not mkstemp's
    }
    behind_ = oras::detail::write_behind(fd_.get());
}

void output_file::open_in_place(const std::string& shown) {
    // O_TRUNC for a file reached through a descriptor's link; devices and pipes ignore it.
    fd_.reset(::open(path_.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY));
    if (!fd_) {
        fail(what_, shown, errno);
    }
    stream_ = true;
}

output_file::~output_file() {
    fd_.reset();
    if (!temp_.empty()) {
        ::unlink(temp_.c_str());
    }
}

void output_file::write(std::string_view bytes) {
    const auto data = std::as_bytes(std::span(bytes.data(), bytes.size()));
    if (const int err = oras::detail::write_all(fd_.get(), data); err != 0) {
        fail(what_, path_.string(), err);
    }
    if (!stream_) {
        behind_.wrote(data.size());
    }
}

void output_file::commit() {
    if (stream_) {
        // A pipe or a device: nothing to rename, and fsync means nothing to most of them.
        if (fd_.close() != 0) {
            fail(what_, path_.string(), errno);
        }
        return;
    }
    if (::fsync(fd_.get()) != 0) {
        fail(what_, path_.string(), errno);
    }
    if (fd_.close() != 0) {
        fail(what_, path_.string(), errno);
    }
    if (::rename(temp_.c_str(), path_.c_str()) != 0) {
        fail(what_, path_.string(), errno);
    }
    temp_.clear();
}

void write_output(const std::string& path, std::string_view bytes, std::string_view what) {
    if (path == "-") {
        std::cout.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        std::cout.flush();
        if (!std::cout) {
            throw error(errc::invalid_argument,
                        "cannot write the " + std::string(what) + " to stdout");
        }
        return;
    }
    output_file f(path, what);
    f.write(bytes);
    f.commit();
}

}  // namespace oras::cli

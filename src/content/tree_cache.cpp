#include "content/tree_cache.hpp"

#include <oras/error.hpp>
#include <oras/hasher.hpp>

#include "content/file_paths.hpp"
#include "core/posix_file.hpp"
#include "core/quote.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <set>
#include <sstream>
#include <vector>

namespace oras::content::detail {

namespace fs = std::filesystem;
using oras::detail::quote;

namespace {

// v2: the archive leaves this library's temporary files out, so a v1 entry for a tree that held
// some names other bytes.
constexpr std::string_view format = "oras-cpp tree cache v2";
constexpr std::string_view file_format = "oras-cpp file digest v1";
// Whether this process has trimmed `root` yet: a push remembers many files, and one trim each
// is enough.
bool first_trim_here(const fs::path& root) {
    static std::mutex m;
    static std::set<std::string> trimmed;
    const std::lock_guard lock(m);
    return trimmed.insert(root.native()).second;
}

bool is_count(const std::string& s) {
    return !s.empty() && s.size() <= 19 && s.find_first_not_of("0123456789") == std::string::npos;
}

std::int64_t nanoseconds(const timespec& t) {
    return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

struct walk {
    hasher h;
    std::int64_t started = 0;  // ns since the epoch, before the first stat
    bool settled = true;

    [[noreturn]] static void unreadable(const fs::path& p, int err) {
        throw error(errc::invalid_argument,
                    "cannot read " + quote(p.string()) + ": " + std::strerror(err));
    }

    void field(std::int64_t v) {
        h.update(std::span(reinterpret_cast<const std::byte*>(&v), sizeof v));
    }

    void entry(const fs::path& p, const std::string& rel, const struct stat& st) {
        // The name and its length, so that no two different trees feed the same bytes.
        field(static_cast<std::int64_t>(rel.size()));
        h.update(rel);
        field(st.st_mode);
        field(st.st_size);
        field(static_cast<std::int64_t>(st.st_ino));
        field(static_cast<std::int64_t>(st.st_dev));
        field(nanoseconds(st.st_mtim));
        field(nanoseconds(st.st_ctim));
        // File systems stamp times from a coarse clock (a tick, up to 10 ms) or in whole seconds
        // (or two, on FAT; their stamps have no nanoseconds): a change in the same granule as
        // one before the walk could leave every field above as it was.
        const std::int64_t granule =
            st.st_ctim.tv_nsec == 0 && st.st_mtim.tv_nsec == 0 ? 2'000'000'000 : 20'000'000;
        if (nanoseconds(st.st_ctim) > started - granule
            || nanoseconds(st.st_mtim) > started - granule) {
            settled = false;
        }
        if (S_ISLNK(st.st_mode)) {
            std::error_code ec;
            const auto target = fs::read_symlink(p, ec);
            if (ec) {
                unreadable(p, ec.value());
            }
            const auto& t = target.native();
            field(static_cast<std::int64_t>(t.size()));
            h.update(t);
        }
    }

    void directory(const fs::path& dir, const std::string& rel) {
        std::vector<std::string> names;
        std::error_code ec;
        for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
            names.push_back(it->path().filename().native());
        }
        if (ec) {
            unreadable(dir, ec.value());
        }
        std::sort(names.begin(), names.end());
        for (const auto& n : names) {
            const auto p = dir / n;
            const auto r = rel + "/" + n;
            struct stat st {};
            if (::lstat(p.c_str(), &st) != 0) {
                unreadable(p, errno);
            }
            entry(p, r, st);
            if (S_ISDIR(st.st_mode)) {
                directory(p, r);
            }
        }
    }
};

std::string hex_of(const std::string& text) {
    const auto d = digest::of(text);
    return std::string(d.encoded());
}

}  // namespace

tree_fingerprint fingerprint_tree(const fs::path& dir) {
    walk w;
    w.started = clock_ns();
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) {
        walk::unreadable(dir, errno);
    }
    if (!S_ISDIR(st.st_mode)) {
        throw error(errc::invalid_argument, quote(dir.string()) + " is not a directory");
    }
    w.h.update(format);
    w.entry(dir, ".", st);
    w.directory(dir, ".");
    return {w.h.finish(), w.settled};
}

std::int64_t clock_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

tree_fingerprint fingerprint_file(const struct stat& st, std::int64_t now, std::int64_t settle) {
    walk w;
    w.started = now;
    w.h.update(file_format);
    w.entry({}, ".", st);
    // Settled by `settle`, which takes the place of the walk's granule.
    const std::int64_t whole_seconds = st.st_ctim.tv_nsec == 0 && st.st_mtim.tv_nsec == 0 ? 2 : 1;
    const bool settled = nanoseconds(st.st_ctim) <= now - settle * whole_seconds
                         && nanoseconds(st.st_mtim) <= now - settle * whole_seconds;
    return {w.h.finish(), settled};
}

tree_cache::tree_cache(fs::path root, std::chrono::seconds max_age)
    : root_(std::move(root)), max_age_(max_age) {}

fs::path tree_cache::entry(const fs::path& dir, const std::string& name, int level) const {
    std::error_code ec;
    auto canonical = fs::weakly_canonical(fs::absolute(dir, ec), ec);
    std::string key(format);
    key += '\0';
    key += canonical.native();
    key += '\0';
    key += name;
    key += '\0';
    key += std::to_string(level);
    return root_ / hex_of(key);
}

fs::path tree_cache::file_entry(const fs::path& file) const {
    // Throws when the path cannot be made canonical: every such file would share one key.
    auto canonical = fs::weakly_canonical(fs::absolute(file));
    std::string key(file_format);
    key += '\0';
    key += canonical.native();
    return root_ / hex_of(key);
}

std::optional<std::vector<std::string>> tree_cache::read(const fs::path& entry,
                                                         std::string_view head,
                                                         const oras::digest& fp) const {
    // Ours, in a root only we can write: another user's entry could name any digest.
    struct stat root_st {};
    if (::stat(root_.c_str(), &root_st) != 0 || root_st.st_uid != ::geteuid()
        || (root_st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        return std::nullopt;
    }
    const oras::detail::unique_fd fd(::open(entry.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) {
        return std::nullopt;
    }
    struct stat st {};
    std::string text;
    if (::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == ::geteuid()
        && st.st_size < 4096) {
        text.resize(static_cast<std::size_t>(st.st_size));
        const auto n = ::read(fd.get(), text.data(), text.size());
        text.resize(n < 0 ? 0 : static_cast<std::size_t>(n));
    }
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        lines.push_back(std::move(line));
    }
    if (lines.size() < 2 || lines[0] != head || lines[1] != fp.str() || text.back() != '\n') {
        return std::nullopt;
    }
    lines.erase(lines.begin(), lines.begin() + 2);
    return lines;
}

void tree_cache::write(const fs::path& entry, const std::string& text) const {
    std::error_code ec;
    if (!fs::is_directory(root_, ec)) {
        fs::create_directories(root_, ec);
        fs::permissions(root_, fs::perms::owner_all, ec);
    }
    temp_file t(entry);
    t.write(std::as_bytes(std::span(text)));
    // Not synced: an entry lost to a crash costs one pass; one found is checked against the
    // metadata it describes before it is used.
    t.close(false);
    t.publish(false);
}

std::optional<archived_tree> tree_cache::find(const fs::path& dir, const std::string& name,
                                              int level, const oras::digest& fp) const noexcept {
    try {
        const auto path = entry(dir, name, level);
        const auto lines = read(path, format, fp);
        if (!lines || lines->size() != 4 || ((*lines)[3] != "settled" && (*lines)[3] != "racy")) {
            return std::nullopt;
        }
        auto c = digest::parse((*lines)[0]);
        auto t = digest::parse((*lines)[2]);
        if (!c || !t || !is_count((*lines)[1])) {
            return std::nullopt;
        }
        // Used now: `trim` keeps it.
        ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0);
        return archived_tree{std::move(*c), std::stoull((*lines)[1]), std::move(*t),
                             (*lines)[3] == "settled"};
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

void tree_cache::remember(const fs::path& dir, const std::string& name, int level,
                          const tree_fingerprint& fp, const archived_tree& out) const noexcept {
    try {
        std::ostringstream text;
        text << format << '\n'
             << fp.value.str() << '\n'
             << out.compressed.str() << '\n'
             << out.compressed_size << '\n'
             << out.tar.str() << '\n'
             << (fp.settled ? "settled" : "racy") << '\n';
        write(entry(dir, name, level), text.str());
    } catch (const std::exception&) {
        // A read-only or full cache directory: nothing remembered, nothing else lost.
    }
    trim();
}

std::optional<hashed_file> tree_cache::find_file(const fs::path& file,
                                                 const oras::digest& fp) const noexcept {
    try {
        const auto path = file_entry(file);
        const auto lines = read(path, file_format, fp);
        if (!lines || lines->size() != 2 || !is_count((*lines)[1])) {
            return std::nullopt;
        }
        auto d = digest::parse((*lines)[0]);
        if (!d) {
            return std::nullopt;
        }
        ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0);
        return hashed_file{std::move(*d), std::stoull((*lines)[1])};
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

void tree_cache::remember_file(const fs::path& file, const tree_fingerprint& fp,
                               const hashed_file& out) const noexcept {
    if (!fp.settled) {
        return;
    }
    try {
        std::ostringstream text;
        text << file_format << '\n'
             << fp.value.str() << '\n'
             << out.digest.str() << '\n'
             << out.size << '\n';
        write(file_entry(file), text.str());
        if (first_trim_here(root_)) {
            trim();
        }
    } catch (const std::exception&) {
        // As in `remember`.
    }
}

void tree_cache::forget_file(const fs::path& file) const noexcept {
    try {
        std::error_code ec;
        fs::remove(file_entry(file), ec);
    } catch (const std::exception&) {
        // Nothing to forget under a path that has no key.
    }
}

std::size_t tree_cache::trim() const noexcept {
    std::size_t removed = 0;
    try {
        const auto cutoff = fs::file_time_type::clock::now() - max_age_;
        std::error_code ec;
        for (fs::directory_iterator it(root_, ec), end; !ec && it != end; it.increment(ec)) {
            std::error_code fec;
            if (it->is_regular_file(fec) && it->last_write_time(fec) < cutoff && !fec
                && fs::remove(it->path(), fec)) {
                ++removed;
            }
        }
    } catch (const std::exception&) {
        // Trimming only saves space: a failure leaves entries, nothing else.
    }
    return removed;
}

}  // namespace oras::content::detail

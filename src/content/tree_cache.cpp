#include "content/tree_cache.hpp"

#include <oras/error.hpp>
#include <oras/hasher.hpp>

#include "content/file_paths.hpp"
#include "core/quote.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

namespace oras::content::detail {

namespace fs = std::filesystem;
using oras::detail::quote;

namespace {

constexpr std::string_view format = "oras-cpp tree cache v1";

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
    w.started = std::chrono::duration_cast<std::chrono::nanoseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
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

std::optional<archived_tree> tree_cache::find(const fs::path& dir, const std::string& name,
                                              int level, const oras::digest& fp) const noexcept {
    try {
        const auto path = entry(dir, name, level);
        std::ifstream in(path, std::ios::binary);
        std::string head, fingerprint, compressed, size, tar, settled, rest;
        if (!std::getline(in, head) || head != format || !std::getline(in, fingerprint)
            || fingerprint != fp.str() || !std::getline(in, compressed) || !std::getline(in, size)
            || !std::getline(in, tar) || !std::getline(in, settled)
            || (settled != "settled" && settled != "racy") || std::getline(in, rest)) {
            return std::nullopt;
        }
        auto c = digest::parse(compressed);
        auto t = digest::parse(tar);
        if (!c || !t || size.empty() || size.size() > 19
            || size.find_first_not_of("0123456789") != std::string::npos) {
            return std::nullopt;
        }
        // Used now: `trim` keeps it.
        ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0);
        return archived_tree{std::move(*c), std::stoull(size), std::move(*t), settled == "settled"};
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

void tree_cache::remember(const fs::path& dir, const std::string& name, int level,
                          const tree_fingerprint& fp, const archived_tree& out) const noexcept {
    try {
        std::error_code ec;
        if (!fs::is_directory(root_, ec)) {
            fs::create_directories(root_, ec);
            fs::permissions(root_, fs::perms::owner_all, ec);
        }
        std::ostringstream text;
        text << format << '\n'
             << fp.value.str() << '\n'
             << out.compressed.str() << '\n'
             << out.compressed_size << '\n'
             << out.tar.str() << '\n'
             << (fp.settled ? "settled" : "racy") << '\n';
        const auto bytes = text.str();
        temp_file t(entry(dir, name, level));
        t.write(std::as_bytes(std::span(bytes)));
        // Not synced: an entry lost to a crash costs one archive pass; one found is checked
        // against the tree it describes before it is used.
        t.close(false);
        t.publish(false);
    } catch (const std::exception&) {
        // A read-only or full cache directory: nothing remembered, nothing else lost.
    }
    trim();
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

#include <oras/error.hpp>

#include "content/dir_claim.hpp"
#include "core/posix_file.hpp"
#include "core/quote.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <system_error>
#include <vector>

namespace oras::content::detail {

namespace fs = std::filesystem;
using oras::detail::quote;
using oras::detail::unique_fd;

namespace {

constexpr std::string_view owner_prefix = ".oras-owner-";
constexpr std::size_t token_size = 16;
constexpr std::size_t unique_size = 6;  // the XXXXXX of mkstemp
constexpr std::string_view kept_marker = ".kept";
constexpr std::size_t name_max = 255;

bool is_token(std::string_view s) {
    return s.size() == token_size && std::all_of(s.begin(), s.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

std::string new_token() {
    thread_local std::mt19937_64 rng{(std::uint64_t{std::random_device{}()} << 32)
                                     ^ std::random_device{}()};
    static constexpr char hex[] = "0123456789abcdef";
    std::string out(token_size, '0');
    auto bits = rng();
    for (auto& c : out) {
        c = hex[bits & 0xf];
        bits >>= 4;
    }
    return out;
}

// Whether `name` is a temporary name of the owner `token`: hidden, ending in
// `-<token>-XXXXXX`.
bool made_under(std::string_view name, std::string_view token) {
    const auto tail = token.size() + unique_size + 2;
    if (name.size() <= tail || name.front() != '.') {
        return false;
    }
    const auto end = name.substr(name.size() - tail);
    return end.front() == '-' && end.substr(1, token.size()) == token
           && end[token.size() + 1] == '-';
}

bool same_file(int fd, const fs::path& p) {
    struct stat held {};
    struct stat named {};
    return ::fstat(fd, &held) == 0 && ::lstat(p.c_str(), &named) == 0 && held.st_dev == named.st_dev
           && held.st_ino == named.st_ino;
}

// What an owner file looks like when this library made it: a plain file of this user's, mode
// 0600, with no other name. A pulled file may have that mode too (umask 077), which is why a
// layer title named like an owner file is refused (`title_destination`).
bool looks_like_an_owner_file(int fd) {
    struct stat st {};
    return ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0600
           && st.st_nlink == 1 && st.st_uid == ::geteuid();
}

std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> out;
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) {
        return out;
    }
    while (const dirent* e = ::readdir(d)) {
        out.emplace_back(e->d_name);
    }
    ::closedir(d);
    return out;
}

// A sweep when a directory is claimed again within this long would find what the last one did:
// a cache that claims its directory once per entry does not read it once per entry.
constexpr auto sweep_interval = std::chrono::seconds(60);

// The tokens of this process's live owner files: never swept, even where locks taken twice by
// one process would not conflict (some file systems implement flock with per-process locks).
struct own_tokens {
    std::mutex mutex;
    std::set<std::string, std::less<>> tokens;
};

own_tokens& ours() {
    static own_tokens t;
    return t;
}

bool is_ours(std::string_view token) {
    auto& o = ours();
    std::lock_guard lock(o.mutex);
    return o.tokens.contains(token);
}

}  // namespace

struct dir_claim::owner {
    fs::path dir;
    fs::path path;  // empty: no owner file (none made, or not ours)
    std::string token;
    unique_fd fd;

    ~owner() {
        // Unlinked while still locked: no sweeper can take it for a dead owner's in between.
        if (!path.empty()) {
            ::unlink(path.c_str());
            auto& o = ours();
            std::lock_guard lock(o.mutex);
            o.tokens.erase(token);
        }
    }
};

namespace {

struct claims {
    std::mutex mutex;
    std::map<std::string, std::weak_ptr<dir_claim::owner>, std::less<>> owners;
    std::map<std::string, std::chrono::steady_clock::time_point, std::less<>> swept;
};

claims& registry() {
    static claims c;
    return c;
}

fs::path claimed_dir(const fs::path& given) {
    return given.empty() ? fs::path(".") : given;
}

// With the registry's mutex held.
void sweep_if_due_locked(claims& all, const fs::path& dir, const std::string& key) {
    const auto now = std::chrono::steady_clock::now();
    if (auto it = all.swept.find(key);
        it == all.swept.end() || now - it->second >= sweep_interval) {
        sweep_dead_owners(dir);
        all.swept[key] = now;
    }
}

}  // namespace

void sweep_if_due(const fs::path& given) {
    const fs::path dir = claimed_dir(given);
    auto& all = registry();
    std::lock_guard lock(all.mutex);
    sweep_if_due_locked(all, dir, dir.lexically_normal().string());
}

dir_claim::dir_claim(const fs::path& given) {
    const fs::path dir = claimed_dir(given);
    auto& all = registry();
    const auto key = dir.lexically_normal().string();
    std::lock_guard lock(all.mutex);
    if (auto it = all.owners.find(key); it != all.owners.end()) {
        if (auto held = it->second.lock()) {
            owner_ = std::move(held);
            return;
        }
    }
    sweep_if_due_locked(all, dir, key);
    for (int attempt = 0; attempt < 16; ++attempt) {
        auto o = std::make_shared<owner>();
        o->dir = dir;
        o->token = new_token();
        o->path = dir / (std::string(owner_prefix) + o->token);
        o->fd.reset(
            ::open(o->path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
        if (!o->fd) {
            if (errno == EEXIST) {
                continue;
            }
            throw error(errc::invalid_argument, "cannot create a temporary file in "
                                                    + quote(dir.string()) + ": "
                                                    + std::strerror(errno));
        }
        if (::flock(o->fd.get(), LOCK_EX | LOCK_NB) != 0) {
            if (errno != EWOULDBLOCK) {
                // A file system without locks (some FUSE mounts): no owner file, and names
                // without a token, which no sweep ever takes for a dead owner's.
                ::unlink(o->path.c_str());
                o->path.clear();
                o->token.clear();
                o->fd.reset();
                all.owners[key] = o;
                owner_ = std::move(o);
                return;
            }
            o->path.clear();  // a sweep holds it, as a dead owner's: it removes it
            o->fd.reset();
            continue;
        }
        // Between the create and the lock a sweep may have taken it for a dead owner's and
        // unlinked it: then it is not ours, and another name is tried.
        if (!same_file(o->fd.get(), o->path)) {
            o->path.clear();
            o->fd.reset();
            continue;
        }
        // 0600 whatever the umask: the mode is how a sweep knows an owner file.
        if (::fchmod(o->fd.get(), 0600) != 0) {
            throw error(errc::invalid_argument, "cannot create a temporary file in "
                                                    + quote(dir.string()) + ": "
                                                    + std::strerror(errno));
        }
        {
            auto& mine = ours();
            std::lock_guard held(mine.mutex);
            mine.tokens.insert(o->token);
        }
        all.owners[key] = o;
        owner_ = std::move(o);
        return;
    }
    throw error(errc::invalid_argument,
                "cannot create a temporary file in " + quote(dir.string()) + ": no free name");
}

const std::string& dir_claim::token() const noexcept {
    return owner_->token;
}

std::string dir_claim::name_template(std::string_view prefix) const {
    std::string name(prefix);
    name += '-';
    if (!owner_->token.empty()) {
        name += owner_->token;
        name += '-';
    }
    name += "XXXXXX";
    return (owner_->dir / name).string();
}

std::string dir_claim::kept_template(std::string_view stable) const {
    const auto& token = owner_->token;
    if (token.empty() || stable.empty()
        || stable.size() + kept_marker.size() + token.size() + unique_size + 2 > name_max) {
        return {};
    }
    std::string name(stable);
    name += kept_marker;
    name += '-';
    name += token;
    name += '-';
    name += "XXXXXX";
    return (owner_->dir / name).string();
}

bool is_claimed_name(std::string_view name) {
    // `.oras-owner-x.oras-TOKEN-XXXXXX` is no owner file, but still a name made under one.
    if (name.starts_with(owner_prefix) && is_token(name.substr(owner_prefix.size()))) {
        return true;
    }
    const auto tail = token_size + unique_size + 2;  // -TOKEN-XXXXXX
    if (name.size() <= tail) {
        return false;
    }
    const auto token = name.substr(name.size() - tail + 1, token_size);
    return is_token(token) && made_under(name, token);
}

namespace {

// Renames a dead owner's kept file `name` to its stable name, which it never replaces (a live
// process may hold a file there). False when `name` is not a kept file or was not moved. Only
// this user's: another user's would lie at the stable name unused and never swept.
bool hand_on(const fs::path& dir, std::string_view name, std::string_view token) {
    const auto suffix = kept_marker.size() + token.size() + unique_size + 2;
    if (name.size() <= suffix
        || name.substr(name.size() - suffix, kept_marker.size()) != kept_marker) {
        return false;
    }
    const auto from = dir / std::string(name);
    struct stat st {};
    if (::lstat(from.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid()
        || st.st_nlink != 1) {
        return false;
    }
    const auto to = dir / std::string(name.substr(0, name.size() - suffix));
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
        return true;
    }
    // A file system without that flag: link(2) never replaces either.
    return (errno == EINVAL || errno == ENOSYS) && ::link(from.c_str(), to.c_str()) == 0
           && ::unlink(from.c_str()) == 0;
}

}  // namespace

std::size_t sweep_dead_owners(const fs::path& dir) {
    const auto names = names_in(dir);
    std::size_t removed = 0;
    for (const auto& candidate : names) {
        if (!candidate.starts_with(owner_prefix)) {
            continue;
        }
        const auto token = std::string_view(candidate).substr(owner_prefix.size());
        if (!is_token(token) || is_ours(token)) {
            continue;
        }
        const auto owner_path = dir / candidate;
        const unique_fd fd(::open(owner_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
        // A lock taken means its owner is gone; the name must still be that file, or its owner
        // ended cleanly after this sweep opened it.
        if (!fd || !looks_like_an_owner_file(fd.get()) || ::flock(fd.get(), LOCK_EX | LOCK_NB) != 0
            || !same_file(fd.get(), owner_path)) {
            continue;
        }
        for (const auto& name : names) {
            if (!made_under(name, token)) {
                continue;
            }
            std::error_code ec;
            const auto p = dir / name;
            if (fs::is_directory(fs::symlink_status(p, ec))) {
                removed += fs::remove_all(p, ec) > 0 ? 1 : 0;
            } else if (hand_on(dir, name, token) || ::unlink(p.c_str()) == 0) {
                ++removed;
            }
        }
        ::unlink(owner_path.c_str());
    }
    return removed;
}

}  // namespace oras::content::detail

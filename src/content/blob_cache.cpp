#include <oras/content/blob_cache.hpp>
#include <oras/digest.hpp>
#include <oras/error.hpp>
#include <oras/verifier.hpp>

#include "content/file_paths.hpp"
#include "core/file_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace oras::content {

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

// What a reader made by `tee` carries: the source, and the entry being written beside its name.
struct tee_state {
    byte_source src;
    descriptor desc;
    fs::path dest;
    std::shared_ptr<std::size_t> stored;
    std::unique_ptr<detail::temp_file> tmp{};
    std::optional<verifier> check{};  // when the source does not verify itself
    bool dropped = false;             // not cached after all (a write failed, a mismatch)
    bool finished = false;            // the end was seen (a reader may be asked again after it)

    void start() {
        tmp.reset();
        dropped = false;
        finished = false;
        check.reset();
        if (!src.verified()) {
            check.emplace(desc.digest, desc.size);
        }
    }

    void feed(std::span<const std::byte> chunk) {
        if (dropped) {
            return;
        }
        // The cache is a help, never a cause of failure: any trouble writing it (a full disk,
        // a read-only directory) only means this blob is not cached.
        try {
            if (!tmp) {
                fs::create_directories(dest.parent_path());
                tmp = std::make_unique<detail::temp_file>(dest);
            }
            if (check && !check->update(chunk)) {
                dropped = true;
            } else {
                tmp->write(chunk);
            }
        } catch (const std::exception&) {
            dropped = true;
        }
        if (dropped) {
            tmp.reset();
        }
    }

    void finish() {
        if (finished) {
            return;
        }
        finished = true;
        feed({});  // creates the file of an empty blob
        if (dropped || !tmp || (check && !check->finish())) {
            tmp.reset();
            return;
        }
        try {
            // Not synced: an entry a crash truncates fails the check on its next read and is
            // fetched again.
            tmp->close(false);
            tmp->publish(false);
            ++*stored;
        } catch (const std::exception&) {
        }
        tmp.reset();
    }
};

asio::awaitable<std::size_t> tee_read(std::shared_ptr<tee_state> st, std::span<std::byte> buf) {
    const std::size_t n = co_await st->src.read(buf);
    if (n == 0) {
        st->finish();
    } else {
        st->feed(std::span<const std::byte>(buf.data(), n));
    }
    co_return n;
}

// Whether the file at `p` holds exactly the content `desc` names.
/// `p` opened, checked to hold `desc` (size and digest), and left open: what is served is what
/// was checked, whatever a concurrent `trim` or writer does to the name meanwhile. -1 when the
/// file does not match, -2 when it is not there (trimmed since it was looked up).
int open_matching(const fs::path& p, const descriptor& desc) {
    const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return -2;
    }
    struct stat st {};
    verifier v(desc.digest, desc.size);
    bool ok = false;
    try {
        if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == desc.size) {
            detail::hash_file(fd, static_cast<std::uint64_t>(desc.size), v, p);
            ok = v.finish().has_value();
        }
    } catch (const std::exception&) {
    }
    if (!ok) {
        ::close(fd);
        return -1;
    }
    return fd;
}

}  // namespace

blob_cache::blob_cache(fs::path dir, blob_cache_options opts) : dir_(std::move(dir)), opts_(opts) {}

fs::path blob_cache::entry_path(const descriptor& desc) const {
    return dir_ / "blobs" / std::string(to_string(desc.digest.algorithm()))
           / std::string(desc.digest.encoded());
}

std::optional<byte_source> blob_cache::open(const descriptor& desc) {
    if (desc.digest.empty() || desc.size < 0) {
        ++stats_.misses;
        return std::nullopt;
    }
    const auto p = entry_path(desc);
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
        ++stats_.misses;
        return std::nullopt;
    }
    const int fd = open_matching(p, desc);
    if (fd == -2) {
        ++stats_.misses;
        return std::nullopt;
    }
    if (fd < 0) {
        // Another process may be renaming a good copy over it right now; removing that one
        // costs only a fetch.
        ::unlink(p.c_str());
        ++stats_.corrupt;
        ++stats_.misses;
        return std::nullopt;
    }
    // Used now: `trim` evicts the least recently used first.
    ::utimensat(AT_FDCWD, p.c_str(), nullptr, 0);
    ++stats_.hits;
    auto r = oras::detail::file_reader(fd, p, 0, static_cast<std::uint64_t>(desc.size));
    // Hashed just above, through the descriptor it is read from.
    r.set_checked(byte_source::check::verified);
    return r;
}

byte_source blob_cache::tee(const descriptor& desc, byte_source src) {
    if (desc.digest.empty() || desc.size < 0) {
        return src;
    }
    auto st =
        std::make_shared<tee_state>(tee_state{std::move(src), desc, entry_path(desc), stored_});
    st->start();
    std::function<void()> rewind;
    if (st->src.replayable()) {
        rewind = [st] {
            st->src.rewind();
            st->start();
        };
    }
    auto out =
        byte_source::from_generator([st](std::span<std::byte> buf) { return tee_read(st, buf); },
                                    st->src.length(), std::move(rewind));
    out.set_checked(st->src.checked());
    return out;
}

std::uint64_t blob_cache::trim() {
    struct entry {
        fs::path path;
        std::uint64_t size;
        fs::file_time_type used;
    };
    std::vector<entry> entries;
    std::uint64_t total = 0;
    std::error_code ec;
    const auto stale_before = fs::file_time_type::clock::now() - std::chrono::hours(1);
    for (fs::recursive_directory_iterator it(dir_ / "blobs", ec), end; !ec && it != end;
         it.increment(ec)) {
        std::error_code e;
        if (!it->is_regular_file(e)) {
            continue;
        }
        const auto used = it->last_write_time(e);
        const auto size = it->file_size(e);
        if (e) {
            continue;  // removed meanwhile by another process
        }
        if (it->path().filename().string().starts_with(".")) {
            if (used < stale_before) {
                fs::remove(it->path(), e);  // a write killed mid-way
            }
            continue;
        }
        entries.push_back({it->path(), size, used});
        total += size;
    }
    if (opts_.max_bytes == 0 || total <= opts_.max_bytes) {
        return total;
    }
    std::sort(entries.begin(), entries.end(),
              [](const entry& a, const entry& b) { return a.used < b.used; });
    for (const auto& e : entries) {
        if (total <= opts_.max_bytes) {
            break;
        }
        std::error_code rm;
        if (fs::remove(e.path, rm)) {
            ++stats_.evicted;
        }
        total -= e.size;
    }
    return total;
}

blob_cache_stats blob_cache::stats() const {
    auto s = stats_;
    s.stored = *stored_;
    return s;
}

}  // namespace oras::content

#include <oras/content/blob_cache.hpp>
#include <oras/digest.hpp>
#include <oras/error.hpp>
#include <oras/verifier.hpp>

#include "content/dir_claim.hpp"
#include "content/file_paths.hpp"
#include "core/file_reader.hpp"
#include "core/quote.hpp"

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

}  // namespace

blob_cache::blob_cache(fs::path dir, blob_cache_options opts) : dir_(std::move(dir)), opts_(opts) {}

fs::path blob_cache::entry_path(const descriptor& desc) const {
    return dir_ / "blobs" / std::string(to_string(desc.digest.algorithm()))
           / std::string(desc.digest.encoded());
}

std::optional<byte_source> blob_cache::open(const descriptor& desc,
                                            std::function<void()> on_damaged) {
    if (desc.digest.empty() || desc.size < 0) {
        ++stats_.misses;
        return std::nullopt;
    }
    const auto p = entry_path(desc);
    // Opened once and read through that descriptor: what is served is the file that was
    // looked at, whatever a concurrent `trim` or writer does to the name meanwhile.
    const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        ++stats_.misses;
        return std::nullopt;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size != desc.size) {
        ::close(fd);
        // Another process may be renaming a good copy over it right now; removing that one
        // costs only a fetch.
        ::unlink(p.c_str());
        ++*corrupt_;
        ++stats_.misses;
        return std::nullopt;
    }
    // Used now: `trim` evicts the least recently used first.
    ::utimensat(AT_FDCWD, p.c_str(), nullptr, 0);
    ++stats_.hits;
    // Hashed as it is read, not before: one pass over the entry, and no whole-file hash on the
    // caller's thread. Bytes that do not match fail the read before the last of them is handed
    // out, and the entry is dropped.
    auto checked =
        verified(oras::detail::file_reader(fd, p, 0, static_cast<std::uint64_t>(desc.size)), desc,
                 "the cache entry " + oras::detail::quote(p.string()));
    auto corrupt = corrupt_;
    auto next = [checked, corrupt, p,
                 on_damaged](std::span<std::byte> buf) -> asio::awaitable<std::size_t> {
        std::size_t n = 0;
        std::exception_ptr failed;
        try {
            n = co_await checked.read(buf);
        } catch (...) {
            failed = std::current_exception();
        }
        if (failed) {
            ::unlink(p.c_str());
            ++*corrupt;
            if (on_damaged) {
                on_damaged();
            }
            std::rethrow_exception(failed);
        }
        co_return n;
    };
    auto r = byte_source::from_generator(std::move(next), checked.length(),
                                         [checked] { checked.rewind(); });
    r.set_checked(byte_source::check::verified);
    return r;
}

byte_source blob_cache::tee(const descriptor& desc, byte_source src) {
    if (desc.digest.empty() || desc.size < 0) {
        return src;
    }
    // Already kept (by an earlier fetch, or another process meanwhile): not written again, as
    // the ORAS CLI's cache skips content it has; the entry is verified whenever it is read. Not
    // marked as used either: an entry that is only ever passed over (a manifest, which is
    // always fetched from the registry) ages out.
    const auto p = entry_path(desc);
    struct stat held {};
    if (::stat(p.c_str(), &held) == 0 && S_ISREG(held.st_mode) && held.st_size == desc.size) {
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
    // `blobs` is this cache's own: anything else there (a symlink planted in a shared cache
    // directory) is not walked, or trimming would delete files wherever it points.
    if (!fs::is_directory(fs::symlink_status(dir_ / "blobs", ec))) {
        return 0;
    }
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
        if (const auto name = it->path().filename().string(); name.starts_with(".")) {
            // A write killed mid-way. One made under a claim is removed by the next claim's
            // sweep, once its owner is gone, however long it took; older names by their age.
            if (used < stale_before && !detail::is_claimed_name(name)) {
                fs::remove(it->path(), e);
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
        } else if (rm) {
            continue;  // still there (permissions): still counted, a younger entry goes instead
        }
        total -= e.size;  // removed, or gone already (another process's trim)
    }
    return total;
}

blob_cache_stats blob_cache::stats() const {
    auto s = stats_;
    s.stored = *stored_;
    s.corrupt = *corrupt_;
    return s;
}

}  // namespace oras::content

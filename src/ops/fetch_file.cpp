// fetch_blob_to_file: one blob into one file, continued where a killed fetch stopped.
#include <oras/content/blob_cache.hpp>
#include <oras/error.hpp>
#include <oras/ops/manage.hpp>
#include <oras/verifier.hpp>

#include "content/drain.hpp"
#include "content/file_paths.hpp"
#include "core/quote.hpp"
#include "ops/emit.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <optional>

namespace oras::ops {

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using oras::detail::quote;

// Bytes read from the target per chunk when the file offers no pages of its own.
constexpr std::size_t chunk_size = 1024 * 1024;

[[noreturn]] void refuse(const fs::path& given, const std::string& why) {
    throw error(errc::invalid_argument,
                "cannot write the blob to " + quote(given.string()) + ": " + why);
}

/// Refuses the link `link` where the kernel would not follow it (fs.protected_symlinks): in a
/// sticky directory anyone may write (/tmp), a link neither this user's nor the directory
/// owner's may have been planted by another user to aim the write at this user's files.
void check_link_owner(const fs::path& given, const fs::path& link) {
    const auto dir = link.has_parent_path() ? link.parent_path() : fs::path(".");
    struct stat d {};
    struct stat l {};
    if (::stat(dir.c_str(), &d) != 0 || ::lstat(link.c_str(), &l) != 0) {
        refuse(given, std::strerror(errno));
    }
    const bool shared = (d.st_mode & S_ISVTX) != 0 && (d.st_mode & S_IWOTH) != 0;
    if (shared && l.st_uid != ::geteuid() && l.st_uid != d.st_uid) {
        refuse(given, "it is a symbolic link another user owns in a shared directory");
    }
}

/// The regular file `given` stands for, through symbolic links (a dangling one: the file a
/// write would create), and its attributes when it exists.
fs::path file_behind(const fs::path& given, std::optional<struct stat>& existing) {
    struct stat st {};
    if (::stat(given.c_str(), &st) == 0) {  // through the links
        if (S_ISDIR(st.st_mode)) {
            refuse(given, "it is a directory");
        }
        if (!S_ISREG(st.st_mode)) {
            refuse(given, "it is not a regular file (write a device or a pipe as a stream)");
        }
        existing = st;
    } else if (errno != ENOENT) {
        refuse(given, std::strerror(errno));
    }
    fs::path p = given;
    std::error_code ec;
    for (int hops = 0; fs::is_symlink(p, ec); ++hops) {
        if (hops == 40) {
            refuse(given, std::strerror(ELOOP));
        }
        if (p.string().starts_with("/proc/") || p.string().starts_with("/dev/fd/")) {
            // Replacing the name would leave the open file its link stands for unwritten.
            refuse(given, "it is the link of an open descriptor (write it as a stream)");
        }
        check_link_owner(given, p);
        auto next = fs::read_symlink(p, ec);
        if (ec) {
            refuse(given, ec.message());
        }
        p = next.is_absolute() ? std::move(next) : p.parent_path() / next;
    }
    if (content::detail::is_internal_name(p.filename().string())) {
        // A later pull or fetch beside it would take it for its own temporary file.
        refuse(given, "the name is one this library gives its temporary files");
    }
    auto whole = fs::absolute(p, ec);
    if (ec) {
        refuse(given, ec.message());
    }
    return whole;
}

void check(const result<void>& r) {
    if (!r) {
        throw error(r.error());
    }
}

/// Reads `src` to its end into `file`, verified: hashed into `v` (which may hold a prefix
/// already) unless `src` verifies itself and nothing came before it.
asio::awaitable<void> write_verified(byte_source& src, content::detail::temp_file& file,
                                     verifier& v, bool prefix) {
    const bool hash_here = prefix || !src.verified();
    const auto hashed = [&](std::span<const std::byte> chunk) {
        if (hash_here) {
            check(v.update(chunk));
        }
    };
    co_await content::detail::drain_to(src, chunk_size, file, hashed);
    if (hash_here) {
        check(v.finish());
    }
}

void put_in_place(content::detail::temp_file& file, const std::optional<struct stat>& existing) {
    if (existing) {
        file.keep_attributes(existing->st_mode, existing->st_uid, existing->st_gid);
    }
    file.commit(false);
}

/// The whole blob from the target (through the cache when there is one) into `file`.
asio::awaitable<void> write_whole(content::target& src, descriptor desc,
                                  content::detail::temp_file& file,
                                  std::shared_ptr<content::blob_cache> cache, progress_fn progress,
                                  std::string name) {
    auto opened = co_await src.open(desc);
    auto reader = content::verified(std::move(opened), desc);
    if (cache) {
        reader = cache->tee(desc, std::move(reader));
    }
    reader = detail::counted(std::move(reader), progress, desc, name);
    verifier v(desc.digest, desc.size);
    co_await write_verified(reader, file, v, false);
}

/// The rest of `desc` from byte `have` on: nothing to read when `have` is all of it (a file
/// written before a commit that never came), none at all when `src` will not serve it (no
/// ranges, not from `have`: the whole blob may still come). A cancellation, or a failure the
/// target might not repeat, is the fetch's.
asio::awaitable<std::optional<byte_source>> rest_of(content::target& src, descriptor desc,
                                                    std::uint64_t have) {
    if (have == static_cast<std::uint64_t>(desc.size)) {
        co_return byte_source::from_string({});
    }
    auto* ranged = dynamic_cast<content::ranged_opener*>(&src);
    if (ranged == nullptr) {
        co_return std::nullopt;
    }
    try {
        co_return co_await ranged->open_from(desc, have);
    } catch (const error&) {
        const auto e = std::current_exception();
        if (is_cancelled(e) || is_transient(e)) {
            throw;
        }
    }
    co_return std::nullopt;
}

/// Continues `file`, which holds at least `have` bytes of `desc`, with `rest`. False, with
/// `file` cut to nothing, when the bytes kept were not the blob's (the rest, from a target at
/// fault, would fail a whole fetch on its own).
asio::awaitable<bool> write_rest(descriptor desc, content::detail::temp_file& file,
                                 std::uint64_t have, byte_source rest) {
    verifier v(desc.digest, desc.size);
    bool kept_wrong = false;
    try {
        file.truncate(have);
        content::detail::hash_file(file.fd(), have, v, file.path());
        co_await write_verified(rest, file, v, true);
    } catch (const error& e) {
        if (e.code() != errc::digest_mismatch && e.code() != errc::size_mismatch) {
            throw;
        }
        kept_wrong = true;
    }
    if (kept_wrong) {
        file.truncate(0);
        co_return false;
    }
    co_return true;
}

}  // namespace

asio::awaitable<fetched_blob_file> fetch_blob_to_file(content::target& src, descriptor desc,
                                                      fs::path path, fetch_blob_file_options o) {
    std::optional<struct stat> existing;
    const auto dest = file_behind(path, existing);
    const auto name = path.filename().string();
    const auto size = static_cast<std::uint64_t>(desc.size);
    detail::emit(o.progress, progress_event::kind::started, desc, name);
    fetched_blob_file out;
    if (o.cache) {
        auto broke = std::make_shared<bool>(false);
        if (auto hit = o.cache->open(desc, [broke] { *broke = true; })) {
            content::detail::temp_file file(dest);
            verifier v(desc.digest, desc.size);
            auto watched = detail::counted(std::move(*hit), o.progress, desc, name);
            std::exception_ptr failed;
            try {
                co_await write_verified(watched, file, v, false);
            } catch (...) {
                failed = std::current_exception();
            }
            if (!failed) {
                put_in_place(file, existing);
                if (size >= o.resume_min_size) {
                    // A partial file a killed fetch of it left is of no use now.
                    content::detail::remove_stale_partials(dest);
                }
                out.from_cache = true;
                detail::emit(o.progress, progress_event::kind::finished, desc, name, size);
                co_return out;
            }
            if (!*broke) {
                std::rethrow_exception(failed);
            }
            // The entry was damaged and is gone; its bytes go with `file`.
        }
    }
    if (size < o.resume_min_size) {
        content::detail::temp_file file(dest);
        co_await write_whole(src, desc, file, o.cache, o.progress, name);
        put_in_place(file, existing);
        detail::emit(o.progress, progress_event::kind::finished, desc, name, size);
        co_return out;
    }
    // Under the stable name a killed fetch left (or leaves): locked while open. The rest is
    // asked for before the file is opened, so that a failed request leaves the file as it was
    // for the next run.
    const auto tag = content::detail::partial_tag(desc);
    const auto have = content::detail::partial_size(dest, tag);
    std::optional<byte_source> rest;
    if (have != 0 && have <= size) {
        rest = co_await rest_of(src, desc, have);
    }
    content::detail::temp_file file(dest, tag);
    bool done = false;
    bool rest_tried = false;
    if (rest && file.size_at_open() >= have) {
        rest_tried = true;
        detail::emit(o.progress, progress_event::kind::resumed, desc, name, have);
        auto watched = detail::counted(std::move(*rest), o.progress, desc, name, have);
        done = co_await write_rest(desc, file, have, std::move(watched));
    } else if (file.size_at_open() != 0) {
        file.truncate(0);  // nothing to continue it with, or taken and changed since measured
    }
    rest.reset();  // an unused response holds a connection the whole fetch may wait for
    if (done) {
        out.resumed_from = have;
    } else {
        if (rest_tried) {
            // Started again from nothing: said so, as a bar counts from what was kept.
            detail::emit(o.progress, progress_event::kind::resumed, desc, name, 0);
        }
        co_await write_whole(src, desc, file, o.cache, o.progress, name);
    }
    put_in_place(file, existing);
    content::detail::remove_stale_partials(dest);
    detail::emit(o.progress, progress_event::kind::finished, desc, name, size);
    co_return out;
}

asio::awaitable<fetched_blob_file> fetch_blob_to_file(content::target& src, descriptor desc,
                                                      fs::path path) {
    fetch_blob_file_options defaults;
    co_return co_await fetch_blob_to_file(src, std::move(desc), std::move(path),
                                          std::move(defaults));
}

}  // namespace oras::ops

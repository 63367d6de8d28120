#include <oras/content/file_store.hpp>
#include <oras/error.hpp>
#include <oras/hasher.hpp>
#include <oras/media_type.hpp>
#include <oras/reference.hpp>
#include <oras/verifier.hpp>

#include "content/directory_archive.hpp"
#include "content/drain.hpp"
#include "content/file_paths.hpp"
#include "content/tar_extractor.hpp"
#include "content/tree_cache.hpp"
#include "core/posix_file.hpp"
#include "core/quote.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace oras::content {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using oras::detail::quote;

namespace {

// Files and archives move through memory in slices of this size: few system calls, and memory
// that does not grow with the size of a layer.
constexpr std::size_t chunk_size = 1024 * 1024;

// What push.cpp (and oras-go's file store) give a file or a directory without a media type.
constexpr std::string_view file_layer_type = "application/vnd.oci.image.layer.v1.tar";
constexpr std::string_view directory_layer_type = "application/vnd.oci.image.layer.v1.tar+gzip";

[[noreturn]] void fail(errc e, const std::string& message) {
    throw error(make_error_code(e), message);
}

[[noreturn]] void fail_errno(const char* what, const fs::path& p) {
    const int err = errno;  // before building the message can change it
    throw error(errc::invalid_argument,
                std::string(what) + " " + quote(p.string()) + ": " + std::strerror(err));
}

void check_descriptor(const descriptor& desc) {
    if (desc.digest.empty()) {
        fail(errc::invalid_argument, "descriptor has no digest");
    }
    if (desc.size < 0) {
        fail(errc::invalid_argument, "descriptor of " + desc.digest.str() + " has negative size "
                                         + std::to_string(desc.size));
    }
}

// An open file to read, or `invalid_argument` naming it.
oras::detail::unique_fd open_to_read(const fs::path& p) {
    oras::detail::unique_fd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        fail_errno("cannot open", p);
    }
    return fd;
}

std::size_t read_some(int fd, std::span<std::byte> buf, const fs::path& p) {
    const auto n = oras::detail::read_some(fd, buf);
    if (n < 0) {
        fail_errno("cannot read", p);
    }
    return static_cast<std::size_t>(n);
}

void check(const result<void>& ok) {
    if (!ok) {
        throw error(ok.error());
    }
}

}  // namespace

file_store::file_store(fs::path working_dir, file_store_options opts)
    : working_dir_(std::move(working_dir)), opts_(opts) {
    if (working_dir_.empty()) {
        fail(errc::invalid_argument, "the working directory is an empty path");
    }
}

struct file_store::pending {
    std::string title;
    fs::path dest;
    std::unique_ptr<detail::temp_file> file;       // a file, closed unsynced
    std::unique_ptr<detail::staging_dir> staging;  // or a new directory, unpacked aside
};

struct file_store::unpacked_in_place {
    std::string title;
    fs::path dir;
    // With keep_old_files: what the unpacking created, taken back unless committed.
    std::unique_ptr<detail::tar_extractor> extractor;
    bool committed = false;

    unpacked_in_place(std::string t, fs::path d, std::unique_ptr<detail::tar_extractor> x)
        : title(std::move(t)), dir(std::move(d)), extractor(std::move(x)) {}
    ~unpacked_in_place() {
        if (!committed && extractor) {
            extractor->take_back();
        }
    }
    unpacked_in_place(const unpacked_in_place&) = delete;
    unpacked_in_place& operator=(const unpacked_in_place&) = delete;
};

fs::path file_store::root(bool create) const {
    std::error_code ec;
    if (create) {
        fs::create_directories(working_dir_, ec);
    }
    auto out = fs::canonical(working_dir_, ec);
    if (ec) {
        fail(errc::invalid_argument, "cannot use the working directory "
                                         + quote(working_dir_.string()) + ": " + ec.message());
    }
    return out;
}

const file_store::file_entry* file_store::find(const descriptor& desc) const {
    const auto matches = [&desc](const file_entry& e) {
        return e.desc.digest == desc.digest && e.desc.size == desc.size;
    };
    const auto title = desc.annotation(annotation::title);
    if (!title.empty()) {
        const auto it = files_.find(title);
        return it != files_.end() && matches(it->second) ? &it->second : nullptr;
    }
    const auto by_digest = titles_by_digest_.find(desc.digest);
    if (by_digest == titles_by_digest_.end()) {
        return nullptr;
    }
    const auto& e = files_.at(by_digest->second);
    return matches(e) ? &e : nullptr;
}

bool file_store::forget_cached_digest(const descriptor& desc) noexcept {
    const auto* e = find(desc);
    if (e == nullptr || !e->from_cache) {
        return false;
    }
    detail::tree_cache(opts_.tree_cache).forget_file(e->path);
    return true;
}

void file_store::record(std::string title, file_entry e) {
    titles_by_digest_.try_emplace(e.desc.digest, title);
    files_.insert_or_assign(std::move(title), std::move(e));
}

file_store::prepared file_store::prepare(const std::string& title, fs::path path,
                                         std::string media_type) const {
    if (title.empty()) {
        fail(errc::invalid_argument, "cannot add " + quote(path.string()) + ": no title");
    }
    if (title.find('\0') != std::string::npos) {
        fail(errc::invalid_argument, "the title " + quote(title) + " holds a NUL");
    }
    if (files_.contains(title) || pushing_.contains(title)) {
        fail(errc::already_exists, "the title " + quote(title) + " is in use in the store");
    }
    if (path.empty()) {
        path = title;
    }
    std::error_code ec;
    prepared p;
    p.full = fs::absolute(path.is_absolute() ? path : working_dir_ / path, ec);
    if (!fs::exists(fs::symlink_status(p.full, ec))) {
        fail(errc::invalid_argument, quote(path.string()) + " does not exist");
    }
    const auto st = fs::status(p.full, ec);
    p.directory = fs::is_directory(st);
    if (!p.directory && !fs::is_regular_file(st)) {
        fail(errc::invalid_argument,
             quote(path.string()) + " is neither a regular file nor a directory");
    }
    // Symlinks resolved: a link inside pointing out is outside, as push.cpp decides.
    if (!opts_.disable_path_validation && !detail::relative_inside(working_dir_, path)) {
        fail(errc::invalid_argument, quote(path.string()) + " is outside the working directory "
                                         + quote(working_dir_.string()));
    }
    if (media_type.empty()) {
        media_type = std::string(p.directory ? directory_layer_type : file_layer_type);
    }
    if (!media_type::is_valid(media_type)) {
        fail(errc::invalid_media_type,
             quote(media_type) + " (for " + quote(title) + ") is not a media type");
    }
    p.media_type = std::move(media_type);
    return p;
}

descriptor file_store::describe_file(const std::string& title, const prepared& p,
                                     bool& from_cache) {
    from_cache = false;
    descriptor d;
    d.media_type = p.media_type;
    d.annotations[std::string(annotation::title)] = title;
    const auto fd = open_to_read(p.full);
    // The clock, then the metadata, both before the file is read: a write that starts while it
    // is hashed changes the ctime, so what is remembered below is never found for its bytes
    // (one already under way is what `fingerprint_file`'s settling time is for).
    const auto now = detail::clock_ns();
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        fail_errno("cannot inspect", p.full);
    }
    std::optional<detail::tree_fingerprint> fp;
    if (!opts_.tree_cache.empty() && S_ISREG(st.st_mode) && st.st_size >= digest_cache_min_size) {
        fp = detail::fingerprint_file(st, now);
        if (fp->settled) {
            if (auto known = detail::tree_cache(opts_.tree_cache).find_file(p.full, fp->value);
                known && known->size == static_cast<std::uint64_t>(st.st_size)) {
                d.size = st.st_size;
                d.digest = std::move(known->digest);
                from_cache = true;
                return d;
            }
        }
    }
    // Sized to the file: a buffer of a whole chunk, zeroed and faulted in for each of a
    // thousand small files, cost more than hashing them.
    const auto want = static_cast<std::size_t>(std::clamp<std::uint64_t>(
        static_cast<std::uint64_t>(std::max<off_t>(st.st_size, 0)), 4096, chunk_size));
    std::vector<std::byte> buf(want);
    hasher h;
    while (const auto n = read_some(fd.get(), buf, p.full)) {
        h.update(std::span(buf).first(n));
    }
    ++files_hashed_;
    d.size = static_cast<std::int64_t>(h.bytes());
    d.digest = h.finish();
    if (fp && d.size == st.st_size) {
        detail::tree_cache(opts_.tree_cache)
            .remember_file(p.full, *fp, {d.digest, static_cast<std::uint64_t>(d.size)});
    }
    return d;
}

namespace {

descriptor directory_layer(const std::string& title, const std::string& media_type,
                           const detail::archived_tree& a) {
    descriptor d;
    d.media_type = media_type;
    d.digest = a.compressed;
    d.size = static_cast<std::int64_t>(a.compressed_size);
    d.annotations[std::string(annotation::content_digest)] = a.tar.str();
    d.annotations[std::string(annotation::content_unpack)] = "true";
    d.annotations[std::string(annotation::title)] = title;
    return d;
}

detail::archived_tree archived(const detail::directory_archive& a) {
    return {a.compressed_digest(), a.compressed_size(), a.tar_digest()};
}

/// The directory's fingerprint, taken before anything archives it (so that a change made
/// meanwhile shows on the next look), and what the tree cache at `cache_dir` remembers for it.
struct recall {
    std::optional<detail::tree_fingerprint> fingerprint{};
    std::optional<detail::archived_tree> known{};
};

recall look_up(const fs::path& cache_dir, const fs::path& dir, const std::string& title) {
    recall r;
    if (!cache_dir.empty()) {
        r.fingerprint = detail::fingerprint_tree(dir);
        r.known = detail::tree_cache(cache_dir).find(dir, title, detail::archive_options{}.level,
                                                     r.fingerprint->value);
    }
    return r;
}

void remember(const fs::path& cache_dir, const fs::path& dir, const std::string& title,
              const recall& r, const detail::archived_tree& out) {
    if (r.fingerprint) {
        detail::tree_cache(cache_dir).remember(dir, title, detail::archive_options{}.level,
                                               *r.fingerprint, out);
    }
}

/// Archives `dir` to learn its digests, keeping nothing of the bytes (a fetch archives it
/// again), and remembers them in the tree cache.
descriptor dry_pass(const std::string& title, const fs::path& dir, const std::string& media_type,
                    const fs::path& cache_dir, const recall& r, std::size_t& passes) {
    detail::archive_options ao;
    ao.name = title;
    detail::directory_archive archive(dir, ao);
    ++passes;
    std::vector<std::byte> buf(chunk_size);
    while (archive.read(buf) != 0) {
    }
    const auto out = archived(archive);
    remember(cache_dir, dir, title, r, out);
    return directory_layer(title, media_type, out);
}

/// A directory described without sending it: from the tree cache when it holds a settled
/// entry for it, else by a dry pass (a racy entry is only a hint).
descriptor described(const std::string& title, const fs::path& dir, const std::string& media_type,
                     const fs::path& cache_dir, const recall& r, std::size_t& passes) {
    if (r.known && r.known->settled) {
        return directory_layer(title, media_type, *r.known);
    }
    return dry_pass(title, dir, media_type, cache_dir, r, passes);
}

}  // namespace

result<descriptor> file_store::add(std::string title, fs::path path, std::string media_type) {
    try {
        const auto p = prepare(title, std::move(path), std::move(media_type));
        if (!p.directory) {
            bool cached = false;
            auto d = describe_file(title, p, cached);
            record(title, file_entry{d, p.full, false, cached});
            return d;
        }
        const auto r = look_up(opts_.tree_cache, p.full, title);
        auto d = described(title, p.full, p.media_type, opts_.tree_cache, r, archive_passes_);
        record(title, file_entry{d, p.full, true});
        return d;
    } catch (const std::system_error& e) {  // oras::error, and file system errors
        return failure{e.code(), e.what()};
    }
}

asio::awaitable<file_store::added> file_store::add_to(
    std::string title, fs::path path, std::string media_type, target& dst,
    std::function<byte_source(byte_source)> watch) {
    const auto p = prepare(title, std::move(path), std::move(media_type));
    if (!p.directory) {
        bool cached = false;
        auto d = describe_file(title, p, cached);
        record(title, file_entry{d, p.full, false, cached});
        co_return added{std::move(d), false};
    }
    const auto r = look_up(opts_.tree_cache, p.full, title);
    if (r.known) {
        // Known, even only as a hint: probably the same bytes as pushed before, so described
        // (archived to check, for a hint) rather than sent blind.
        auto d = described(title, p.full, p.media_type, opts_.tree_cache, r, archive_passes_);
        record(title, file_entry{d, p.full, true});
        co_return added{std::move(d), false};
    }
    // Reserved while it streams: a second add of the title meanwhile fails as a duplicate.
    pushing_.insert(title);
    struct release {
        std::set<std::string, std::less<>>& set;
        const std::string& title;
        ~release() { set.erase(title); }
    } const reserved{pushing_, title};

    detail::archive_options ao;
    ao.name = title;
    const detail::directory_archive archive(p.full, ao);
    ++archive_passes_;
    auto reader = archive.reader();
    if (watch) {
        reader = watch(std::move(reader));
    }
    const auto sent = co_await dst.push_unknown(p.media_type, std::move(reader));
    if (!archive.done() || sent.digest != archive.compressed_digest()
        || sent.size != static_cast<std::int64_t>(archive.compressed_size())) {
        fail(errc::digest_mismatch, "the archive of " + quote(p.full.string()) + " was received as "
                                        + sent.digest.str() + " (" + std::to_string(sent.size)
                                        + " bytes), not as archived");
    }
    const auto out = archived(archive);
    remember(opts_.tree_cache, p.full, title, r, out);
    auto d = directory_layer(title, p.media_type, out);
    record(title, file_entry{d, p.full, true});
    co_return added{std::move(d), true};
}

asio::awaitable<bool> file_store::exists(descriptor desc) {
    if (find(desc) != nullptr) {
        co_return true;
    }
    // A titled layer is a file under its title: content held otherwise does not count.
    if (!desc.annotation(annotation::title).empty()) {
        co_return false;
    }
    const bool held = co_await memory_.exists(std::move(desc));
    co_return held;
}

asio::awaitable<byte_source> file_store::open(descriptor desc) {
    check_descriptor(desc);
    const file_entry* e = find(desc);
    if (e == nullptr && !desc.annotation(annotation::title).empty()) {
        auto untitled = desc;
        untitled.annotations.erase(std::string(annotation::title));
        e = find(untitled);
    }
    if (e == nullptr) {
        if (!co_await memory_.exists(desc)) {
            fail(errc::not_found, desc.digest.str() + " is not in the file store of "
                                      + quote(working_dir_.string()));
        }
        co_return co_await memory_.open(std::move(desc));
    }
    if (e->directory) {
        // Reproducible: the same tree gives the same bytes, which the verifier checks.
        detail::archive_options ao;
        ao.name = std::string(e->desc.annotation(annotation::title));
        const detail::directory_archive archive(e->path, ao);
        ++archive_passes_;
        auto r = archive.reader(static_cast<std::uint64_t>(desc.size));
        co_return verified(std::move(r), desc, e->path.string());
    }
    struct stat st {};
    if (::stat(e->path.c_str(), &st) != 0) {
        fail_errno("cannot inspect", e->path);
    }
    if (st.st_size != desc.size) {
        fail(errc::size_mismatch, e->path.string() + " has " + std::to_string(st.st_size)
                                      + " bytes, the descriptor says " + std::to_string(desc.size));
    }
    // Hashed when added, or described by the tree cache from its metadata (or verified when
    // written): handed out as is, marked checked, so that a push reads the file once. Every
    // destination checks again on its own side (a registry refuses a changed file at its PUT
    // ?digest=, the local stores verify as they write).
    auto r = byte_source::from_file(e->path, 0, static_cast<std::uint64_t>(desc.size));
    r.set_checked(byte_source::check::hashed);
    co_return r;
}

asio::awaitable<void> file_store::push(descriptor desc, byte_source src) {
    co_await push_from(std::move(desc), std::move(src), 0);
}

std::uint64_t file_store::partial_size(const descriptor& desc) {
    const std::string title(desc.annotation(annotation::title));
    if (title.empty() || desc.size < resume_min_size || files_.contains(title)
        || pushing_.contains(title) || desc.annotation(annotation::content_unpack) == "true") {
        return 0;
    }
    try {
        const auto dest = detail::title_destination(root(false), title);
        const auto kept = detail::partial_size(dest, detail::partial_tag(desc));
        return kept <= static_cast<std::uint64_t>(desc.size) ? kept : 0;
    } catch (const std::exception&) {
        return 0;  // a title push would refuse: nothing to continue
    }
}

asio::awaitable<void> file_store::push_rest(descriptor desc, std::uint64_t offset,
                                            byte_source rest) {
    co_await push_from(std::move(desc), std::move(rest), offset);
}

asio::awaitable<void> file_store::push_from(descriptor desc, byte_source src,
                                            std::uint64_t offset) {
    check_descriptor(desc);
    const std::string title(desc.annotation(annotation::title));
    if (offset != 0
        && (title.empty() || desc.annotation(annotation::content_unpack) == "true"
            || offset > static_cast<std::uint64_t>(desc.size))) {
        fail(errc::invalid_argument, "cannot continue " + desc.digest.str() + " from byte "
                                         + std::to_string(offset) + ": no partial file of it");
    }
    if (title.empty()) {
        co_await memory_.push(std::move(desc), std::move(src));
        co_return;
    }
    if (src.length() && *src.length() + offset != static_cast<std::uint64_t>(desc.size)) {
        fail(errc::size_mismatch, "source of " + desc.digest.str() + " has "
                                      + std::to_string(*src.length())
                                      + " bytes, the descriptor says " + std::to_string(desc.size));
    }
    if (const auto it = files_.find(title); it != files_.end()) {
        if (it->second.desc.digest == desc.digest && it->second.desc.size == desc.size) {
            co_return;  // the same content under the same title: the source is not read
        }
        fail(errc::already_exists, "the title " + quote(title) + " already holds "
                                       + it->second.desc.digest.str() + " in the file store");
    }
    if (pushing_.contains(title)) {
        fail(errc::already_exists, "the title " + quote(title) + " is being pushed already");
    }
    // Every check on the title comes before anything is created.
    const auto base = root(true);
    const auto dest = detail::title_destination(base, title);
    const bool unpack = desc.annotation(annotation::content_unpack) == "true";
    std::error_code ec;
    if (opts_.keep_old_files && !unpack && fs::exists(fs::symlink_status(dest, ec))) {
        fail(errc::already_exists, quote(dest.string()) + " exists (and old files are kept)");
    }

    // Reserved across the suspensions below; released however the push ends.
    pushing_.insert(title);
    struct release {
        std::set<std::string, std::less<>>& set;
        const std::string& title;
        ~release() { set.erase(title); }
    } reserved{pushing_, title};

    fs::create_directories(dest.parent_path(), ec);
    if (ec) {
        fail(errc::invalid_argument,
             "cannot create " + quote(dest.parent_path().string()) + ": " + ec.message());
    }
    verifier v(desc.digest, desc.size);
    // A reader that verifies itself (`content::verified`) is not hashed a second time; the rest
    // of a partial file is hashed here, after the bytes kept.
    const bool hash_here = !src.verified() || offset != 0;
    // Reads the source to its end, checking each chunk before `consume` sees it.
    const auto read_verified = [&](auto consume) -> asio::awaitable<void> {
        const auto checked = [&](std::span<const std::byte> chunk) {
            if (hash_here) {
                check(v.update(chunk));
            }
            consume(chunk);
        };
        co_await detail::drain(src, chunk_size, checked);
        if (hash_here) {
            check(v.finish());
        }
    };
    if (unpack) {
        detail::unpack_options uo;
        uo.expected_tar_digest = std::string(desc.annotation(annotation::content_digest));
        uo.keep_old_files = opts_.keep_old_files;
        uo.required_prefix = title;
        // As pull does: a new directory is unpacked aside and moved in once verified; an
        // existing one is updated in place.
        const bool fresh = !fs::exists(fs::symlink_status(dest, ec));
        std::unique_ptr<detail::staging_dir> staging;
        if (fresh) {
            staging = std::make_unique<detail::staging_dir>(base);
        }
        auto extractor =
            std::make_unique<detail::tar_extractor>(fresh ? staging->path() : base, uo);
        const auto feed = [&extractor](std::span<const std::byte> chunk) {
            extractor->write(chunk);
        };
        if (fresh) {
            co_await read_verified(feed);  // aside: moved in only once verified
        } else {
            // An existing directory is written in place, where an entry cannot be taken back:
            // the layer is kept aside and checked whole before the first entry is written, so
            // that wrong bytes (a registry serving what the digest does not name) change
            // nothing.
            detail::temp_file held(dest);
            std::uint64_t size = 0;
            const auto keep = [&held, &size](std::span<const std::byte> chunk) {
                held.write(chunk);
                size += chunk.size();
            };
            co_await read_verified(keep);
            held.flush();
            detail::read_back(held.fd(), size, held.path(), feed);
        }
        extractor->finish();
        if (fresh && opts_.deferred_commit) {
            record(title, file_entry{desc, staging->path() / fs::path(title), true});
            pending_.push_back(
                std::make_shared<pending>(pending{title, dest, {}, std::move(staging)}));
            co_return;
        }
        if (opts_.deferred_commit) {
            // Synced by the commit, with the rest; with keep_old_files taken back without it.
            if (!opts_.keep_old_files) {
                extractor.reset();
            }
            written_in_place_.items.push_back(
                std::make_shared<unpacked_in_place>(title, dest, std::move(extractor)));
        } else {
            // As a file is synced before its rename: the entries on disk before the name.
            detail::sync_file_system(fresh ? staging->path() : dest);
            ++syncs_;
        }
        if (fresh) {
            staging->move_into_place(title, dest);
        }
    } else {
        // A large file is written under a stable name that a process killed mid-way leaves
        // for the next one to continue (`partial_size`, `push_rest`).
        auto tmp = desc.size >= resume_min_size
                       ? std::make_unique<detail::temp_file>(dest, detail::partial_tag(desc))
                       : std::make_unique<detail::temp_file>(dest);
        if (offset != 0) {
            if (tmp->size_at_open() < offset) {
                fail(errc::invalid_argument, "cannot continue " + quote(dest.string())
                                                 + " from byte " + std::to_string(offset)
                                                 + ": its partial file is gone or shorter");
            }
            tmp->truncate(offset);
            detail::hash_file(tmp->fd(), offset, v, tmp->path());
        } else if (tmp->size_at_open() != 0) {
            tmp->truncate(0);
        }
        // Read into the file's own blocks where it writes them directly: no copy.
        const auto checked = [&](std::span<const std::byte> chunk) {
            if (hash_here) {
                check(v.update(chunk));
            }
        };
        co_await detail::drain_to(src, chunk_size, *tmp, checked);
        if (hash_here) {
            check(v.finish());
        }
        if (opts_.deferred_commit) {
            tmp->close(false);
            record(title, file_entry{desc, tmp->path(), false});
            pending_.push_back(std::make_shared<pending>(pending{title, dest, std::move(tmp), {}}));
            co_return;
        }
        tmp->commit(opts_.keep_old_files);
        if (desc.size >= resume_min_size) {
            detail::remove_stale_partials(dest);
        }
    }
    record(title, file_entry{desc, dest, unpack});
}

void file_store::commit() {
    if (pending_.empty() && written_in_place_.items.empty()) {
        return;
    }
    // Declared first, gone last: on a failure the pending files go before the unpacks in
    // place are taken back.
    auto in_place = std::move(written_in_place_);
    written_in_place_.items.clear();
    auto batch = std::move(pending_);
    pending_.clear();
    std::size_t done = 0;
    try {
        // One directory on each file system written to: a title may lie under a mount point
        // inside the working directory, which a sync of the working directory's misses.
        std::vector<fs::path> roots{root(false)};
        for (const auto& p : batch) {
            roots.push_back(p->dest.parent_path());
        }
        for (const auto& u : in_place.items) {
            roots.push_back(u->dir);
        }
        roots = detail::one_per_file_system(std::move(roots));
        const auto sync_all = [&] {
            for (const auto& r : roots) {
                detail::sync_file_system(r);
                ++syncs_;
            }
        };
        // Data first, then the names: a crash leaves either the old state or complete files.
        sync_all();
        for (; done < batch.size(); ++done) {
            auto& p = *batch[done];
            if (p.file) {
                p.file->publish(opts_.keep_old_files);
                if (files_.at(p.title).desc.size >= resume_min_size) {
                    detail::remove_stale_partials(p.dest);
                }
            } else {
                p.staging->move_into_place(p.title, p.dest);
            }
            files_.at(p.title).path = p.dest;
        }
        // Every name is in place: what a failed sync leaves is kept whole, not taken back.
        for (const auto& u : in_place.items) {
            u->committed = true;
        }
        if (!batch.empty()) {
            sync_all();
        }
    } catch (...) {
        const auto forget = [this](const std::string& title) {
            if (const auto it = files_.find(title); it != files_.end()) {
                if (const auto t = titles_by_digest_.find(it->second.desc.digest);
                    t != titles_by_digest_.end() && t->second == title) {
                    titles_by_digest_.erase(t);
                }
                files_.erase(it);
            }
        };
        // What was not put in place goes with `batch`, and what is taken back with
        // `in_place`: the store forgets both.
        for (auto i = done; i < batch.size(); ++i) {
            forget(batch[i]->title);
        }
        for (const auto& u : in_place.items) {
            if (!u->committed && u->extractor) {
                forget(u->title);
            }
        }
        throw;
    }
}

asio::awaitable<descriptor> file_store::push_unknown(std::string media_type, byte_source src) {
    co_return co_await memory_.push_unknown(std::move(media_type), std::move(src));
}

asio::awaitable<descriptor> file_store::resolve(std::string reference) {
    if (reference.find(':') != std::string::npos) {
        const auto d = digest::parse(reference).value();  // throws invalid_digest
        if (const auto it = titles_by_digest_.find(d); it != titles_by_digest_.end()) {
            co_return files_.at(it->second).desc;
        }
        try {
            co_return co_await memory_.resolve(reference);
        } catch (const error& e) {
            if (e.code() != errc::not_found) {
                throw;
            }
        }
        fail(errc::not_found,
             d.str() + " is not in the file store of " + quote(working_dir_.string()));
    }
    if (auto ok = validate_tag(reference); !ok) {
        throw error(ok.error());
    }
    const auto it = tags_.find(reference);
    if (it == tags_.end()) {
        fail(errc::not_found,
             "tag " + reference + " is not in the file store of " + quote(working_dir_.string()));
    }
    co_return it->second;
}

asio::awaitable<void> file_store::tag(descriptor desc, std::string reference) {
    if (auto ok = validate_tag(reference); !ok) {
        throw error(ok.error());
    }
    check_descriptor(desc);
    if (!co_await exists(desc)) {
        fail(errc::not_found, "cannot tag " + desc.digest.str() + " as " + reference
                                  + ": it is not in the file store");
    }
    tags_.insert_or_assign(std::move(reference), std::move(desc));
}

}  // namespace oras::content

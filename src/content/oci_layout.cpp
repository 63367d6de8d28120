#include <oras/content/oci_layout.hpp>
#include <oras/error.hpp>
#include <oras/image_index.hpp>
#include <oras/image_manifest.hpp>
#include <oras/media_type.hpp>
#include <oras/reference.hpp>
#include <oras/verifier.hpp>

#include "content/dir_claim.hpp"
#include "content/drain.hpp"
#include "content/file_paths.hpp"
#include "content/layout_archive.hpp"
#include "content/layout_index.hpp"
#include "core/async/run_blocking.hpp"
#include "core/children.hpp"
#include "core/file_reader.hpp"
#include "core/file_writer.hpp"
#include "core/posix_file.hpp"
#include "core/quote.hpp"
#include "core/reads_as_digest.hpp"
#include "core/subject_link.hpp"

#include <boost/json.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

namespace oras::content {

namespace asio = boost::asio;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

using detail::blob_member;
using detail::blobs_name;
using detail::check_descriptor;
using detail::empty_index;
using detail::index_name;
using detail::layout_json;
using detail::layout_name;
using detail::max_resolved_manifest;
using detail::may_refer;
using oras::detail::subject_link_of;

// Blobs move through memory in slices of this size: large enough for few system calls, small
// enough that memory does not grow with blob size.
constexpr std::size_t chunk_size = 1024 * 1024;
// `oci-layout` holds one short member; anything much larger is not one.
constexpr std::size_t max_layout_file = 64 * 1024;

// Never removed: unlinking a lock file lets two writers lock two different files.
constexpr std::string_view lock_name = ".oras-index.lock";
// Hidden, so that nothing listing blobs/<algorithm>/ mistakes one for a blob.
constexpr std::string_view temp_prefix = ".oras-tmp";

[[noreturn]] void fail(errc e, const std::string& message) {
    throw error(make_error_code(e), message);
}

[[noreturn]] void fail_system(int err, const std::string& message) {
    throw error(std::error_code(err, std::system_category()), message);
}

// The failed system call's errno, taken before anything (building a message) can change it.
[[noreturn]] void fail_errno(const char* what, const fs::path& p) {
    const int err = errno;
    fail_system(err, what + (" " + p.string()));
}

// A failure of a pure check, told about the file it concerns.
[[noreturn]] void fail_in(const fs::path& p, const failure& f) {
    throw error(f.code, p.string() + ": " + f.message);
}

using oras::detail::unique_fd;

std::size_t read_some(int fd, std::span<std::byte> buf, const fs::path& p) {
    const auto n = oras::detail::read_some(fd, buf);
    if (n < 0) {
        fail_errno("cannot read", p);
    }
    return static_cast<std::size_t>(n);
}

// The status of `p`, or nothing when it does not exist.
std::optional<struct stat> stat_path(const fs::path& p) {
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0) {
        return st;
    }
    if (errno == ENOENT || errno == ENOTDIR) {
        return std::nullopt;
    }
    fail_errno("cannot inspect", p);
}

// mkdir -p that tolerates another writer creating the same directories at the same time.
void ensure_directory(const fs::path& p) {
    // Looked at first: mkdir of an existing directory on a read-only mount may fail with EROFS.
    if (const auto st = stat_path(p); st && S_ISDIR(st->st_mode)) {
        return;
    }
    if (::mkdir(p.c_str(), 0777) == 0) {
        return;
    }
    int err = errno;
    if (err == ENOENT) {
        const auto parent = p.parent_path();
        if (!parent.empty() && parent != p) {
            ensure_directory(parent);
            if (::mkdir(p.c_str(), 0777) == 0) {
                return;
            }
            err = errno;
        }
    }
    if (err == EEXIST) {
        const auto st = stat_path(p);
        if (st && S_ISDIR(st->st_mode)) {
            return;
        }
        fail(errc::invalid_argument, p.string() + " exists and is not a directory");
    }
    fail_system(err, "cannot create directory " + p.string());
}

// A small file read whole, or nothing when it does not exist.
std::optional<std::string> read_small_file(const fs::path& p, std::size_t limit) {
    const unique_fd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT) {
            return std::nullopt;
        }
        fail_errno("cannot open", p);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        fail_errno("cannot inspect", p);
    }
    if (!S_ISREG(st.st_mode)) {
        fail(errc::invalid_argument, p.string() + " is not a regular file");
    }
    if (static_cast<std::uint64_t>(st.st_size) > limit) {
        fail(errc::size_exceeds_limit, p.string() + " has " + std::to_string(st.st_size)
                                           + " bytes, more than the limit of "
                                           + std::to_string(limit));
    }
    std::string out;
    out.reserve(static_cast<std::size_t>(st.st_size));
    std::vector<std::byte> buf(64 * 1024);
    for (;;) {
        // The file may have grown since fstat: the limit is checked on what is actually read.
        const auto n = read_some(fd.get(), std::span(buf), p);
        if (n == 0) {
            return out;
        }
        if (n > limit - out.size()) {
            fail(errc::size_exceeds_limit,
                 p.string() + " is larger than the limit of " + std::to_string(limit));
        }
        out.append(reinterpret_cast<const char*>(buf.data()), n);
    }
}

// A new file beside a destination, removed unless `commit` renamed it into place. Its name
// (`.oras-tmp-<token>-XXXXXX`) is made under a claim on the directory, so that what a killed
// process left is removed by the next one to write there.
class temp_file {
  public:
    explicit temp_file(const fs::path& dir) : claim_(dir) {
        thread_local std::mt19937_64 rng{(std::uint64_t{std::random_device{}()} << 32)
                                         ^ std::random_device{}()};
        static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
        const auto pattern = claim_.name_template(temp_prefix);
        for (int attempt = 0; attempt < 100; ++attempt) {
            // Not mkstemp: its mode 0600 would reach the blob; this one follows the umask.
            std::string candidate = pattern;
            for (auto it = candidate.end() - 6; it != candidate.end(); ++it) {
                *it = alphabet[rng() % (sizeof alphabet - 1)];
            }
            const int fd = ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
            if (fd >= 0) {
                path_ = std::move(candidate);
                fd_ = unique_fd(fd);
                writer_ = std::make_unique<oras::detail::file_writer>(fd);
                return;
            }
            if (errno != EEXIST) {
                fail_errno("cannot create a temporary file in", dir);
            }
        }
        fail(errc::already_exists, "no unused temporary file name in " + dir.string());
    }
    ~temp_file() {
        writer_.reset();  // its thread is done with the file before the file goes
        if (!path_.empty()) {
            ::unlink(path_.c_str());
        }
    }
    temp_file(const temp_file&) = delete;
    temp_file& operator=(const temp_file&) = delete;

    void write(std::span<const std::byte> data) {
        if (const int err = writer_->write(data); err != 0) {
            fail_system(err, "cannot write " + path_.string());
        }
    }
    // Memory to read the next bytes into (often none), given then with `put`: no copy.
    std::span<std::byte> room() noexcept { return writer_->room(); }
    void put(std::size_t n) {
        if (const int err = writer_->put(n); err != 0) {
            fail_system(err, "cannot write " + path_.string());
        }
    }

    // Makes the content durable, then atomically replaces `target` with it.
    void commit(const fs::path& target) {
        if (const int err = writer_->flush(); err != 0) {
            fail_system(err, "cannot write " + path_.string());
        }
        writer_ = std::make_unique<oras::detail::file_writer>();  // no descriptor from here on
        if (::fsync(fd_.get()) != 0) {
            fail_errno("cannot sync", path_);
        }
        if (fd_.close() != 0) {
            fail_errno("cannot close", path_);
        }
        if (::rename(path_.c_str(), target.c_str()) != 0) {
            const int err = errno;
            fail_system(err, "cannot rename " + path_.string() + " to " + target.string());
        }
        path_.clear();
        detail::sync_directory(target.parent_path());
    }

  private:
    detail::dir_claim claim_;  // first: outlives the temporary name
    fs::path path_{};
    unique_fd fd_{};
    std::unique_ptr<oras::detail::file_writer> writer_;  // set once fd_ is open
};

void write_atomically(const fs::path& p, std::string_view content) {
    temp_file tmp(p.parent_path());
    tmp.write(std::as_bytes(std::span(content)));
    tmp.commit(p);
}

// An exclusive flock on the layout's lock file, held while the object lives. Every oci_layout
// object opens its own file description, so objects in one process exclude each other too.
class index_lock {
  public:
    explicit index_lock(const fs::path& root) : fd_(open_lock(root)) {
        while (::flock(fd_.get(), LOCK_EX) != 0) {
            if (errno != EINTR) {
                const int err = errno;
                fail_system(err, "cannot lock " + (root / lock_name).string());
            }
        }
    }

  private:
    static int open_lock(const fs::path& root) {
        const auto p = root / lock_name;
        const int fd = ::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
        if (fd < 0) {
            fail_errno("cannot open", p);
        }
        return fd;
    }

    unique_fd fd_;  // closing it releases the lock
};

void check_layout_file(const fs::path& p, std::string_view text) {
    boost::system::error_code ec;
    const json::value v = json::parse(text, ec);
    if (ec) {
        fail(errc::invalid_manifest, p.string() + " is not valid JSON: " + ec.message());
    }
    const auto* obj = v.if_object();
    const auto* version = obj ? obj->if_contains("imageLayoutVersion") : nullptr;
    if (!version || !version->is_string()) {
        fail(errc::invalid_manifest,
             p.string() + " is not an image layout file: no string \"imageLayoutVersion\"");
    }
    const std::string_view s = version->get_string();
    if (!s.starts_with("1.")) {
        fail(errc::unsupported, p.string() + " has image layout version " + oras::detail::quote(s)
                                    + ", this client reads 1.x");
    }
}

image_index parse_index(const fs::path& p, std::string_view text, std::size_t limit) {
    parse_options po;
    po.max_size = limit;
    auto idx = image_index::parse(text, po);
    if (!idx) {
        fail_in(p, idx.error());
    }
    return std::move(*idx);
}

// The read-modify-write of index.json: synchronous, so that the lock is never held across a
// suspension point (another coroutine on this thread waiting for it would deadlock). `edit`
// changes the `manifests` array (given the index as parsed, when it takes a second argument)
// and says whether to write the document back; `after` runs once it is written, still under
// the lock.
template <class Edit>
void edit_index(const fs::path& root, std::size_t limit, Edit edit,
                const std::function<void()>& after = {}) {
    const index_lock lock(root);
    const auto path = root / index_name;
    const auto text = read_small_file(path, limit);
    if (!text) {
        fail(errc::not_found, path.string() + " does not exist");
    }
    // Refuses a malformed document before anything is written: it stays as it is.
    const auto parsed = parse_index(path, *text, limit);
    boost::system::error_code ec;
    json::value doc = json::parse(*text, ec);
    auto* manifests = (!ec && doc.is_object()) ? doc.as_object().if_contains("manifests") : nullptr;
    if (!manifests || !manifests->is_array()) {
        fail(errc::invalid_manifest, path.string() + " is not an image index");  // parsed above
    }
    bool changed = false;
    if constexpr (std::is_invocable_v<Edit, json::array&, const image_index&>) {
        changed = edit(manifests->as_array(), parsed);
    } else {
        changed = edit(manifests->as_array());
    }
    if (changed) {
        write_atomically(path, json::serialize(doc));
    }
    if (after) {
        after();
    }
}

}  // namespace

oci_layout::oci_layout(fs::path root, oci_layout_options opts)
    : root_(std::move(root)), opts_(opts) {
    if (root_.empty()) {
        fail(errc::invalid_argument, "the OCI layout directory is an empty path");
    }
    const auto layout_path = root_ / layout_name;
    const auto index_path = root_ / index_name;
    if (opts_.create && !opts_.read_only) {
        ensure_directory(root_);
        if (!stat_path(layout_path) || !stat_path(index_path)) {
            const index_lock lock(root_);
            // Looked at again under the lock: another writer may just have created them. An
            // existing oci-layout is checked first so that a foreign directory gets no index.
            if (const auto text = read_small_file(layout_path, max_layout_file)) {
                check_layout_file(layout_path, *text);
            } else {
                write_atomically(layout_path, layout_json);
            }
            if (!stat_path(index_path)) {
                write_atomically(index_path, empty_index());
            }
        }
        ensure_directory(root_ / blobs_name);
    }
    check_layout();
}

oci_layout::oci_layout(std::shared_ptr<const detail::archive_members> members,
                       oci_layout_options opts)
    : root_(members->archive), opts_(opts), archive_(std::move(members)) {
    opts_.read_only = true;
    check_layout();
}

void oci_layout::check_layout() const {
    const auto layout_path = root_ / layout_name;
    const auto text = read_layout_file(layout_name, max_layout_file);
    if (!text) {
        fail(errc::not_found,
             layout_path.string() + " does not exist: not an OCI image layout (or not created)");
    }
    check_layout_file(layout_path, *text);
    const bool has_index = archive_ ? archive_->find(index_name) != nullptr
                                    : stat_path(root_ / index_name).has_value();
    if (!has_index) {
        fail(errc::not_found, (root_ / index_name).string() + " does not exist");
    }
}

std::optional<std::string> oci_layout::read_layout_file(std::string_view name,
                                                        std::size_t limit) const {
    if (archive_) {
        return detail::read_member(*archive_, name, limit);
    }
    return read_small_file(root_ / name, limit);
}

fs::path oci_layout::blob_path(const digest& d) const {
    return root_ / blob_member(d);
}

std::optional<std::int64_t> oci_layout::stored_size(const digest& d) const {
    if (archive_) {
        const auto* m = archive_->find(blob_member(d));
        if (m == nullptr) {
            return std::nullopt;
        }
        return static_cast<std::int64_t>(m->size);
    }
    const auto st = stat_path(blob_path(d));
    if (!st || !S_ISREG(st->st_mode)) {
        return std::nullopt;
    }
    return static_cast<std::int64_t>(st->st_size);
}

void oci_layout::check_writable(const char* operation) const {
    if (opts_.read_only) {
        fail(errc::unsupported, std::string("cannot ") + operation + ": the OCI layout "
                                    + root_.string() + " is opened read-only");
    }
}

std::string oci_layout::read_index() const {
    const auto path = root_ / index_name;
    auto text = read_layout_file(index_name, opts_.max_index_size);
    if (!text) {
        fail(errc::not_found, path.string() + " does not exist");
    }
    return std::move(*text);
}

asio::awaitable<bool> oci_layout::exists(descriptor desc) {
    if (desc.digest.empty()) {
        co_return false;
    }
    const auto size = stored_size(desc.digest);
    co_return size&&* size == desc.size;
}

asio::awaitable<byte_source> oci_layout::open(descriptor desc) {
    check_descriptor(desc);
    const auto path = blob_path(desc.digest);
    const auto size = stored_size(desc.digest);
    if (!size) {
        fail(errc::not_found, desc.digest.str() + " is not in the OCI layout " + root_.string());
    }
    if (*size != desc.size) {
        fail(errc::size_mismatch, path.string() + " has " + std::to_string(*size)
                                      + " bytes, the descriptor says " + std::to_string(desc.size));
    }
    if (archive_) {
        // The member's bytes where they lie in the archive as it was indexed.
        // Close-on-exec: a credential helper started meanwhile must not inherit it.
        const int fd = ::fcntl(archive_->fd.get(), F_DUPFD_CLOEXEC, 0);
        if (fd < 0) {
            fail_errno("cannot read", root_);
        }
        auto bytes =
            oras::detail::file_reader(fd, path, archive_->find(blob_member(desc.digest))->offset,
                                      static_cast<std::uint64_t>(desc.size));
        co_return verified(std::move(bytes), desc, path.string());
    }
    co_return verified(byte_source::from_file(path, 0, static_cast<std::uint64_t>(desc.size)), desc,
                       path.string());
}

asio::awaitable<void> oci_layout::push(descriptor desc, byte_source src) {
    co_await store(std::move(desc), std::move(src), true);
}

asio::awaitable<void> oci_layout::push_tagged(descriptor desc, byte_source src,
                                              std::vector<std::string> references) {
    // Every name checked before the bytes are stored: a refused one leaves nothing unlisted.
    for (const auto& r : references) {
        if (r == desc.digest.str()) {
            continue;
        }
        if (auto ok = validate_ref_name(r); !ok) {
            throw error(ok.error());
        }
    }
    // Tagged at once: no untagged entry first, which the tag would replace (a rewrite of
    // index.json saved per manifest).
    co_await store(desc, std::move(src), references.empty());
    bool tagged = false;
    try {
        for (auto& r : references) {
            co_await tag(desc, std::move(r));
            tagged = true;
        }
    } catch (...) {
        if (!tagged) {
            // Stored but named by nothing: listed untagged, or a delete could take its blobs.
            try {
                list_stored(desc);
            } catch (const error&) {  // the tag's failure is the one to report
            }
        }
        throw;
    }
}

void oci_layout::list_stored(descriptor desc) const {
    desc.annotations.erase(std::string(annotation::ref_name));  // a manifest's own: no tag
    edit_index(root_, opts_.max_index_size, [&](json::array& arr) {
        // Checked under the index's lock: a delete running beside this may just have taken it,
        // and an entry must not name what is gone.
        if (stored_size(desc.digest) != std::optional<std::int64_t>(desc.size)) {
            fail(errc::not_found,
                 desc.digest.str() + " is not stored in the OCI layout " + root_.string());
        }
        return detail::list_untagged(arr, desc);
    });
}

asio::awaitable<void> oci_layout::store(descriptor desc, byte_source src, bool list) {
    check_writable("push");
    check_descriptor(desc);
    if (src.length() && *src.length() != static_cast<std::uint64_t>(desc.size)) {
        fail(errc::size_mismatch, "source of " + desc.digest.str() + " has "
                                      + std::to_string(*src.length())
                                      + " bytes, the descriptor says " + std::to_string(desc.size));
    }
    // Every manifest stored is listed in index.json (untagged until a tag names it), as
    // oras-go's layout lists every manifest pushed: one that is not listed is unreachable, and
    // deleting another manifest could take blobs it shares.
    const bool listed_manifest = list && media_type::is_graph_manifest(desc.media_type);
    // Already there: blob files are only ever renamed into place complete and verified. A file
    // of another size is damaged (or the descriptor wrong): the push below settles which.
    if (co_await exists(desc)) {
        if (listed_manifest) {
            list_stored(desc);
        }
        co_return;
    }
    const auto path = blob_path(desc.digest);
    ensure_directory(path.parent_path());
    // Shared with the thread that syncs it, which must not outlive it.
    const auto tmp_ptr = std::make_shared<temp_file>(path.parent_path());
    auto& tmp = *tmp_ptr;
    // A manifest's bytes are kept as they pass, to see whether it is a referrer.
    const bool keep = may_refer(desc);
    const auto kept = co_await detail::drain_verified(src, chunk_size, tmp, desc, keep);
    // fsync waits for the disk (4 MiB: a few ms, of a journal commit for the directory too):
    // on a thread of its own, so that the event loop goes on receiving the other blobs.
    std::function<bool()> commit = [tmp_ptr, path] {
        tmp_ptr->commit(path);
        return true;
    };
    co_await oras::detail::run_blocking<bool>(std::move(commit));
    if (auto entry = keep && list ? subject_link_of(desc, kept) : std::nullopt) {
        list_stored(entry->referrer);
    } else if (listed_manifest) {
        list_stored(desc);
    }
}

asio::awaitable<std::vector<descriptor>> oci_layout::referrers(descriptor subject,
                                                               std::string artifact_type) {
    const auto index_path = root_ / index_name;
    const auto idx = parse_index(index_path, read_index(), opts_.max_index_size);
    std::vector<descriptor> out;
    std::set<std::string, std::less<>> looked_at;
    for (const auto& m : idx.manifests) {
        if (m.digest == subject.digest || !looked_at.insert(m.digest.str()).second
            || !co_await exists(m)) {
            continue;
        }
        if (!may_refer(m)) {
            continue;
        }
        const auto bytes = co_await fetch_all(*this, m, max_resolved_manifest);
        auto entry = subject_link_of(m, bytes);
        if (entry && entry->subject == subject.digest
            && (artifact_type.empty() || entry->referrer.artifact_type == artifact_type)) {
            out.push_back(std::move(entry->referrer));
        }
    }
    co_return out;
}

asio::awaitable<descriptor> oci_layout::push_unknown(std::string media_type, byte_source src) {
    check_writable("push");
    if (!media_type::is_valid(media_type)) {
        fail(errc::invalid_media_type,
             "media type " + oras::detail::quote(media_type) + " is not valid");
    }
    const auto dir = root_ / blobs_name / std::string(to_string(digest_algorithm::sha256));
    ensure_directory(dir);
    temp_file tmp(dir);
    auto desc = co_await detail::drain_described(src, chunk_size, tmp, std::move(media_type));
    // Same digest and size is the same content: the temporary file is then just dropped.
    if (!co_await exists(desc)) {
        tmp.commit(blob_path(desc.digest));
    }
    co_return desc;
}

asio::awaitable<descriptor> oci_layout::resolve(std::string reference) {
    const auto index_path = root_ / index_name;
    // A digest, or a name that could only be a malformed one; other names may hold `:` (the
    // image-layout spec's `example.com/app:v1`).
    auto parsed = digest::parse(reference);
    if (parsed || oras::detail::reads_as_digest(reference)) {
        const auto d = std::move(parsed).value();  // throws invalid_digest
        const auto idx = parse_index(index_path, read_index(), opts_.max_index_size);
        for (const auto& m : idx.manifests) {
            if (m.digest == d) {
                // Plain, as oras-go's layout store answers a digest: what index.json adds to
                // an entry (its tag's annotations, a platform) belongs to the entry, not to
                // the manifest, which the registry's answer to a digest would not carry either.
                descriptor plain;
                plain.media_type = m.media_type;
                plain.digest = m.digest;
                plain.size = m.size;
                co_return plain;
            }
        }
        const auto size = stored_size(d);
        if (!size) {
            fail(errc::not_found, d.str() + " is not in the OCI layout " + root_.string());
        }
        if (static_cast<std::uint64_t>(*size) > max_resolved_manifest) {
            fail(errc::not_found, d.str() + " is stored but too large for a manifest");
        }
        descriptor probe;
        probe.digest = d;
        probe.size = *size;
        const auto bytes = co_await fetch_all(*this, probe, max_resolved_manifest);
        boost::system::error_code ec;
        const json::value v = json::parse(bytes, ec);
        const auto* obj = ec ? nullptr : v.if_object();
        const auto* mt = obj ? obj->if_contains("mediaType") : nullptr;
        if (mt && mt->is_string()) {
            const std::string_view s = mt->get_string();
            if (media_type::is_graph_manifest(s)) {
                probe.media_type = std::string(s);
                co_return probe;
            }
        }
        fail(errc::not_found,
             d.str() + " is stored but is not a manifest or index with a mediaType");
    }
    if (auto ok = validate_ref_name(reference); !ok) {
        throw error(ok.error());
    }
    const auto idx = parse_index(index_path, read_index(), opts_.max_index_size);
    // The last entry wins, as in other readers, should a foreign writer have left duplicates.
    for (auto it = idx.manifests.rbegin(); it != idx.manifests.rend(); ++it) {
        if (it->annotation(annotation::ref_name) == reference) {
            co_return *it;
        }
    }
    fail(errc::not_found, "tag " + reference + " is not in " + index_path.string());
}

asio::awaitable<void> oci_layout::tag(descriptor desc, std::string reference) {
    check_writable("tag");
    if (reference == desc.digest.str()) {
        // "Tagged" by its digest: listed untagged, as oras-go's layout lists every manifest.
        check_descriptor(desc);
        list_stored(std::move(desc));
        co_return;
    }
    if (auto ok = validate_ref_name(reference); !ok) {
        throw error(ok.error());
    }
    check_descriptor(desc);
    if (!media_type::is_valid(desc.media_type)) {
        fail(errc::invalid_media_type, "cannot tag " + desc.digest.str() + ": media type "
                                           + oras::detail::quote(desc.media_type)
                                           + " is not valid");
    }
    if (!co_await exists(desc)) {
        fail(errc::not_found, "cannot tag " + desc.digest.str() + " as " + reference
                                  + ": it is not in the OCI layout " + root_.string());
    }
    desc.annotations.insert_or_assign(std::string(annotation::ref_name), reference);
    edit_index(root_, opts_.max_index_size, [&](json::array& arr) {
        // Again under the lock: a delete running beside this may just have taken it.
        if (stored_size(desc.digest) != std::optional<std::int64_t>(desc.size)) {
            fail(errc::not_found, "cannot tag " + desc.digest.str() + " as " + reference
                                      + ": it was removed from the OCI layout " + root_.string());
        }
        detail::put_tagged(arr, detail::index_entry(desc), reference, desc.digest);
        return true;
    });
}

result<void> oci_layout::check_tag(std::string_view tag) const {
    return validate_ref_name(tag);
}

asio::awaitable<std::vector<std::string>> oci_layout::tags() {
    const auto index_path = root_ / "index.json";
    const auto idx = parse_index(index_path, read_index(), opts_.max_index_size);
    std::vector<std::string> out;
    for (const auto& m : idx.manifests) {
        if (const auto name = m.annotation(annotation::ref_name); !name.empty()) {
            out.emplace_back(name);
        }
    }
    // Sorted, as oras-go's store lists them: `--last` then means what it means for a registry.
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    co_return out;
}

std::vector<digest> oci_layout::collectable(const descriptor& desc, const image_index& idx) const {
    // The graph index.json holds: every manifest reachable from its entries (and `desc`), with
    // the nodes each points to and the subject it refers to. As in oras-go's graph, a referrer
    // holds its subject as a manifest holds its layers.
    struct node {
        std::set<std::string, std::less<>> held;  // children and subject, each once
        std::optional<digest> subject;
    };
    const std::vector<digest> only_desc{desc.digest};
    std::map<std::string, node, std::less<>> graph;
    std::set<std::string, std::less<>> tagged;
    std::deque<descriptor> todo{desc};
    for (const auto& m : idx.manifests) {
        if (!m.annotation(annotation::ref_name).empty()) {
            tagged.insert(m.digest.str());
        }
        todo.push_back(m);
    }
    while (!todo.empty()) {
        auto d = std::move(todo.front());
        todo.pop_front();
        if (!media_type::is_graph_manifest(d.media_type) || graph.contains(d.digest.str())) {
            continue;  // a blob, or a type that holds nothing this client knows of
        }
        std::optional<std::string> bytes;
        try {
            bytes = read_small_file(blob_path(d.digest), max_resolved_manifest);
        } catch (const error&) {
            return only_desc;  // unreadable, or too large to be read: it may hold anything
        }
        if (!bytes) {
            continue;  // listed but not stored: it holds nothing here
        }
        // A manifest that is not what its entry says may hold anything: nothing but `desc`
        // goes rather than a blob it might still need.
        if (bytes->size() != static_cast<std::uint64_t>(d.size)
            || digest::of(*bytes, d.digest.algorithm()) != d.digest) {
            return only_desc;
        }
        std::vector<descriptor> children;
        try {
            children = oras::detail::children_of(d, *bytes);
        } catch (const error&) {
            return only_desc;
        }
        node n;
        if (auto link = subject_link_of(d, *bytes)) {
            n.subject = link->subject;
            n.held.insert(link->subject.str());
        }
        for (auto& c : children) {
            n.held.insert(c.digest.str());
            todo.push_back(std::move(c));
        }
        graph.emplace(d.digest.str(), std::move(n));
    }
    // How many nodes hold each one, and each subject's referrers.
    std::map<std::string, std::size_t, std::less<>> holders;
    std::map<std::string, std::vector<digest>, std::less<>> referrers;
    for (const auto& [d, n] : graph) {
        for (const auto& h : n.held) {
            ++holders[h];
        }
        if (n.subject) {
            referrers[n.subject->str()].push_back(digest::parse(d).value());
        }
    }
    // What goes with `desc`: its referrers, whatever their tags (as oras-go's), and what only
    // the nodes going held, unless a tag names it.
    std::vector<digest> out;
    std::set<std::string, std::less<>> going;
    std::deque<digest> queue{desc.digest};
    while (!queue.empty()) {
        auto d = std::move(queue.front());
        queue.pop_front();
        if (!going.insert(d.str()).second) {
            continue;
        }
        if (const auto r = referrers.find(d.str()); r != referrers.end()) {
            queue.insert(queue.end(), r->second.begin(), r->second.end());
        }
        if (const auto n = graph.find(d.str()); n != graph.end()) {
            for (const auto& h : n->second.held) {
                if (--holders[h] == 0 && !tagged.contains(h)) {
                    queue.push_back(digest::parse(h).value());
                }
            }
        }
        out.push_back(std::move(d));
    }
    return out;
}

asio::awaitable<void> oci_layout::remove(descriptor desc) {
    check_writable("delete");
    check_descriptor(desc);
    const bool collect = opts_.auto_gc && media_type::is_graph_manifest(desc.media_type);
    std::vector<digest> going;
    // The graph read, index.json rewritten once and the files removed under the index's lock:
    // a tag or a referrer another writer adds is seen, or waits for the delete to end.
    // (A blob pushed beside a delete by another process takes no lock: a manifest pushed then
    // that shares a blob going may lose it, as with oras-go's layout.)
    const auto edit = [&](json::array& arr, const image_index& idx) {
        const bool listed =
            std::any_of(idx.manifests.begin(), idx.manifests.end(),
                        [&](const descriptor& m) { return m.digest == desc.digest; });
        if (!listed && !stored_size(desc.digest)) {
            fail(errc::not_found,
                 desc.digest.str() + " is not in the OCI layout " + root_.string());
        }
        going = collect ? collectable(desc, idx) : std::vector<digest>{desc.digest};
        bool changed = false;
        for (const auto& d : going) {
            const bool had = detail::remove_entries(arr, d);
            changed = changed || had;
        }
        return changed;  // index.json first: a crash after it leaves only unlisted files
    };
    const std::function<void()> remove_files = [&] {
        for (const auto& d : going) {
            std::error_code ec;
            fs::remove(blob_path(d), ec);
            if (ec) {
                fail(errc::invalid_argument, "cannot delete " + d.str() + " from the OCI layout "
                                                 + root_.string() + ": " + ec.message());
            }
        }
    };
    edit_index(root_, opts_.max_index_size, edit, remove_files);
    co_return;
}

}  // namespace oras::content

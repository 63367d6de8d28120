// layout_tar_writer: members placed as their pushes start, headers written once their bytes are.
#include <oras/content/layout_tar_writer.hpp>
#include <oras/error.hpp>
#include <oras/image_index.hpp>
#include <oras/media_type.hpp>
#include <oras/reference.hpp>
#include <oras/verifier.hpp>

#include "content/drain.hpp"
#include "content/file_paths.hpp"
#include "content/layout_archive.hpp"
#include "content/layout_index.hpp"
#include "core/file_writer.hpp"
#include "core/posix_file.hpp"
#include "core/quote.hpp"
#include "core/reads_as_digest.hpp"
#include "core/subject_link.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <boost/json.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <limits>
#include <mutex>
#include <set>
#include <unordered_map>
#include <utility>

namespace oras::content {

namespace asio = boost::asio;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

using oras::detail::quote;

constexpr std::uint64_t block_size = 512;  // tar's unit: headers, and data padded to it
constexpr std::size_t chunk_size = 1024 * 1024;

std::uint64_t padded(std::uint64_t n) {
    return (n + block_size - 1) / block_size * block_size;
}

struct write_closer {
    void operator()(archive* a) const noexcept { archive_write_free(a); }
};

// How a member's header is written: pax (restricted: a pax extended header first only where
// ustar's fields cannot hold the name or the size), or GNU tar's, whose single block holds any
// size (base-256): what a filler of a known length needs.
enum class header_format { pax, gnu };

// What libarchive writes: the header, then nothing (see member_header).
struct header_sink {
    std::string out;
    bool header_done = false;
};

// The header block(s) libarchive writes for a member, and nothing else: once the header is
// written every further write fails, so that closing the archive (which frees its writer's state:
// archive_write_fail would leak it) stops at once instead of writing the member's `size` bytes
// of padding and the end blocks.
std::string member_header(const std::string& name, bool directory, std::uint64_t size,
                          std::time_t mtime, header_format format = header_format::pax) {
    header_sink sink;
    std::unique_ptr<archive, write_closer> a(archive_write_new());
    if (!a) {
        throw std::bad_alloc();
    }
    const auto collect = [](archive* ar, void* data, const void* buf, size_t n) -> la_ssize_t {
        auto* s = static_cast<header_sink*>(data);
        if (s->header_done) {
            archive_set_error(ar, ECANCELED, "the header alone is wanted");
            return -1;
        }
        s->out.append(static_cast<const char*>(buf), n);
        return static_cast<la_ssize_t>(n);
    };
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(),
                                                                        &archive_entry_free);
    if (!entry) {
        throw std::bad_alloc();
    }
    archive_entry_set_pathname(entry.get(), (name + (directory ? "/" : "")).c_str());
    archive_entry_set_filetype(entry.get(), directory ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(entry.get(), directory ? 0755 : 0644);
    archive_entry_set_size(entry.get(), directory ? 0 : static_cast<la_int64_t>(size));
    archive_entry_set_mtime(entry.get(), mtime, 0);
    // Unblocked: every write reaches `collect` as made.
    const int set = format == header_format::pax ? archive_write_set_format_pax_restricted(a.get())
                                                 : archive_write_set_format_gnutar(a.get());
    if (set != ARCHIVE_OK || archive_write_set_bytes_per_block(a.get(), 0) != ARCHIVE_OK
        || archive_write_open2(a.get(), &sink, nullptr, collect, nullptr, nullptr) != ARCHIVE_OK
        || archive_write_header(a.get(), entry.get()) != ARCHIVE_OK) {
        throw error(errc::invalid_argument, "cannot make the tar header of " + quote(name) + ": "
                                                + detail::archive_message(a.get()));
    }
    sink.header_done = true;
    archive_write_close(a.get());  // fails at its first write, as meant
    auto& out = sink.out;
    if (out.empty() || out.size() % block_size != 0) {
        throw error(errc::invalid_argument, "cannot make the tar header of " + quote(name)
                                                + ": libarchive wrote " + std::to_string(out.size())
                                                + " bytes");
    }
    return std::move(out);
}

void write_at(int fd, std::string_view bytes, std::uint64_t at, const fs::path& tar) {
    if (const int err = oras::detail::pwrite_all(fd, std::as_bytes(std::span(bytes)), at);
        err != 0) {
        throw error(errc::invalid_argument,
                    "cannot write the archive " + quote(tar.string()) + ": " + std::strerror(err));
    }
}

}  // namespace

namespace detail {

struct layout_tar_state {
    explicit layout_tar_state(fs::path dest)
        : tar(std::move(dest)), file(tar), temp_path(file.path()) {}

    struct blob {
        std::uint64_t data_at = 0;
        descriptor desc;
    };

    // Places a member at the end of what is placed: where its header goes; its data follows
    // the header, padded to a block. The caller holds `mutex`.
    std::uint64_t place(const std::string& header, std::uint64_t size) {
        check_open();
        // Offsets stay within off_t: a place past it would wrap onto the members before it.
        constexpr std::uint64_t max_offset = std::numeric_limits<std::int64_t>::max();
        if (size > max_offset / 4 || next > max_offset / 2
            || header.size() + padded(size) > max_offset / 2 - next) {
            throw error(errc::size_exceeds_limit,
                        "a member of " + std::to_string(size) + " bytes does not fit in the "
                            "archive " + quote(tar.string()));
        }
        const auto at = next;
        next += header.size() + padded(size);
        return at;
    }

    // Refuses a change once committed: the archive is written and will not be again. The caller
    // holds `mutex`.
    void check_open() const {
        if (committed) {
            throw error(errc::invalid_argument,
                        "the archive " + quote(tar.string()) + " was completed already");
        }
    }

    // A member written whole at once (oci-layout, a directory, index.json); on a failure its
    // place is given back, so that no block of zeros is left to end the archive there. The
    // caller holds `mutex`.
    void write_member(const std::string& name, bool directory, std::string_view content) {
        const auto header = member_header(name, directory, content.size(), mtime);
        const auto at = place(header, content.size());
        try {
            write_at(file.fd(), header, at, tar);
            write_at(file.fd(), content, at + header.size(), tar);
        } catch (...) {
            next = at;
            throw;
        }
    }

    // `blobs/<algorithm>/` once, before the first blob of that algorithm. The caller holds
    // `mutex`.
    void ensure_directory(const digest& d) {
        auto dir = std::string(detail::blobs_name) + "/" + std::string(to_string(d.algorithm()));
        if (!dirs.contains(dir)) {
            write_member(dir, true, {});
            dirs.insert(std::move(dir));
        }
    }

    // Where a blob's bytes are read back from: the temporary archive, or once committed the
    // archive itself. The caller holds `mutex`.
    const std::string& readable_path() const { return committed ? tar.native() : temp_path; }

    const blob* find(const descriptor& desc) const {
        const auto it = blobs.find(desc.digest.str());
        return it != blobs.end() && it->second.desc.size == desc.size ? &it->second : nullptr;
    }

    json::array& manifests() { return index.as_object()["manifests"].as_array(); }

    fs::path tar;
    detail::temp_file file;
    const std::string temp_path;  // file.path() as made: publish clears that
    std::time_t mtime = std::time(nullptr);
    std::mutex mutex;
    std::uint64_t next = 0;  // where the next member goes
    std::set<std::string> dirs;
    std::unordered_map<std::string, blob> blobs;  // completed, by digest
    unsigned running = 0;                         // pushes with a place and no header yet
    std::string broken;  // why the archive cannot be completed (a place left unmarked)
    bool committed = false;
    json::value index = json::parse(empty_index());
};

}  // namespace detail

namespace {

using state = detail::layout_tar_state;

// A blob's place in the archive. Unless `complete` wrote its header, when the slot goes (a push
// that failed, or was abandoned) the place is given back if it is the last, else marked as a
// hidden member of its length, so that the archive reads on past it.
class slot {
  public:
    slot(state& s, const descriptor& desc) : s_(s) {
        const auto name = detail::blob_member(desc.digest);
        header_ = member_header(name, false, static_cast<std::uint64_t>(desc.size), s_.mtime);
        const std::lock_guard lock(s_.mutex);
        s_.ensure_directory(desc.digest);
        at_ = s_.place(header_, static_cast<std::uint64_t>(desc.size));
        length_ = header_.size() + padded(static_cast<std::uint64_t>(desc.size));
        path_ = s_.temp_path;
        ++s_.running;
    }
    ~slot() {
        const std::lock_guard lock(s_.mutex);
        --s_.running;
        if (done_) {
            return;
        }
        if (at_ + length_ == s_.next) {
            s_.next = at_;  // the last place: given back, for the next member to take
            return;
        }
        try {
            const auto filler = member_header(".oras-discarded-" + std::to_string(at_), false,
                                              length_ - block_size, s_.mtime, header_format::gnu);
            if (filler.size() != block_size) {
                throw error(errc::invalid_argument,
                            "a filler header of " + std::to_string(filler.size()) + " bytes");
            }
            write_at(s_.file.fd(), filler, at_, s_.tar);
        } catch (const std::exception& e) {
            if (s_.broken.empty()) {
                s_.broken = e.what();
            }
        }
    }
    slot(const slot&) = delete;
    slot& operator=(const slot&) = delete;

    std::uint64_t data_at() const noexcept { return at_ + header_.size(); }
    // The temporary archive's name, to open another descriptor on.
    const std::string& path() const noexcept { return path_; }

    // The bytes are in place and verified: the header makes them a member.
    void complete(const descriptor& desc) {
        write_at(s_.file.fd(), header_, at_, s_.tar);
        const std::lock_guard lock(s_.mutex);
        s_.blobs.insert_or_assign(desc.digest.str(), state::blob{data_at(), desc});
        done_ = true;
    }

  private:
    state& s_;
    std::string header_;
    std::uint64_t at_ = 0;
    std::uint64_t length_ = 0;
    std::string path_;
    bool done_ = false;
};

// A sink for `drain_to` writing a place's bytes through its own descriptor (direct writes turn
// O_DIRECT on for their file description only) and never past the place's end.
class place_sink {
  public:
    place_sink(const std::string& file, const fs::path& tar, std::uint64_t at, std::uint64_t size)
        : tar_(tar), size_(size) {
        fd_ = oras::detail::unique_fd(::open(file.c_str(), O_WRONLY | O_CLOEXEC));
        if (!fd_) {
            fail(errno);
        }
        // Direct writes only past the first `direct_after` bytes of this blob, as for a file of
        // its own: a small blob far into the archive stays in the page cache.
        writer_ = std::make_unique<oras::detail::file_writer>(
            fd_.get(), at, at + oras::detail::file_writer::direct_after);
    }
    ~place_sink() { writer_.reset(); }  // its thread is done with fd_ before fd_ goes
    place_sink(const place_sink&) = delete;
    place_sink& operator=(const place_sink&) = delete;

    std::span<std::byte> room() noexcept {
        const auto r = writer_->room();
        return r.first(std::min<std::uint64_t>(r.size(), size_ - given_));
    }
    void put(std::size_t n) {
        count(n);
        check(writer_->put(n));
    }
    void write(std::span<const std::byte> b) {
        count(b.size());
        check(writer_->write(b));
    }
    // Waits until every byte given is in the file; `size_mismatch` unless they were all.
    void finish() {
        check(writer_->flush());
        if (given_ != size_) {
            throw error(errc::size_mismatch, "a source ended after " + std::to_string(given_)
                                                 + " of the " + std::to_string(size_)
                                                 + " bytes its descriptor says");
        }
    }

  private:
    void count(std::size_t n) {
        // The next member's header lies past the end: a source that hands out more than its
        // descriptor says must not reach it, whatever it claims to have verified.
        if (n > size_ - given_) {
            throw error(errc::size_mismatch,
                        "a source handed out more than the " + std::to_string(size_) + " bytes "
                            "its descriptor says");
        }
        given_ += n;
    }
    void check(int err) const {
        if (err != 0) {
            fail(err);
        }
    }
    [[noreturn]] void fail(int err) const {
        throw error(errc::invalid_argument,
                    "cannot write the archive " + quote(tar_.string()) + ": " + std::strerror(err));
    }

    const fs::path& tar_;
    std::uint64_t size_;
    std::uint64_t given_ = 0;
    oras::detail::unique_fd fd_;
    std::unique_ptr<oras::detail::file_writer> writer_;
};

}  // namespace

layout_tar_writer::layout_tar_writer(fs::path tar) {
    if (tar.empty()) {
        throw error(errc::invalid_argument, "the archive to write is an empty path");
    }
    state_ = std::make_unique<detail::layout_tar_state>(std::move(tar));
    const std::lock_guard lock(state_->mutex);
    state_->write_member(std::string(detail::layout_name), false, detail::layout_json);
    state_->write_member(std::string(detail::blobs_name), true, {});
}

layout_tar_writer::~layout_tar_writer() = default;

const fs::path& layout_tar_writer::path() const noexcept {
    return state_->tar;
}

asio::awaitable<bool> layout_tar_writer::exists(descriptor desc) {
    const std::lock_guard lock(state_->mutex);
    co_return !desc.digest.empty() && state_->find(desc) != nullptr;
}

asio::awaitable<byte_source> layout_tar_writer::open(descriptor desc) {
    detail::check_descriptor(desc);
    std::uint64_t at = 0;
    std::string path;
    {
        const std::lock_guard lock(state_->mutex);
        const auto* b = state_->find(desc);
        if (b == nullptr) {
            throw error(errc::not_found, desc.digest.str()
                                             + " is not in the archive being written, "
                                             + quote(state_->tar.string()));
        }
        at = b->data_at;
        path = state_->readable_path();
    }
    co_return verified(byte_source::from_file(path, at, static_cast<std::uint64_t>(desc.size)),
                       desc, state_->tar.string());
}

asio::awaitable<void> layout_tar_writer::push(descriptor desc, byte_source src) {
    detail::check_descriptor(desc);
    if (src.length() && *src.length() != static_cast<std::uint64_t>(desc.size)) {
        throw error(errc::size_mismatch,
                    "source of " + desc.digest.str() + " has " + std::to_string(*src.length())
                        + " bytes, the descriptor says " + std::to_string(desc.size));
    }
    {
        const std::lock_guard lock(state_->mutex);
        state_->check_open();
    }
    if (co_await exists(desc)) {
        co_return;
    }
    slot place(*state_, desc);
    place_sink sink(place.path(), state_->tar, place.data_at(),
                    static_cast<std::uint64_t>(desc.size));
    // A manifest's bytes are kept as they pass, to see whether it is a referrer.
    const bool keep = detail::may_refer(desc);
    const auto kept = co_await detail::drain_verified(src, chunk_size, sink, desc, keep);
    sink.finish();
    place.complete(desc);
    if (auto entry = keep ? oras::detail::subject_link_of(desc, kept) : std::nullopt) {
        entry->referrer.annotations.erase(std::string(annotation::ref_name));  // no tag
        const std::lock_guard lock(state_->mutex);
        detail::list_untagged(state_->manifests(), entry->referrer);
    }
}

asio::awaitable<descriptor> layout_tar_writer::push_unknown(std::string media_type,
                                                            byte_source src) {
    if (!media_type::is_valid(media_type)) {
        throw error(errc::invalid_media_type, "media type " + quote(media_type) + " is not valid");
    }
    {
        const std::lock_guard lock(state_->mutex);
        state_->check_open();
    }
    detail::temp_file spool(state_->tar);
    auto desc = co_await detail::drain_described(src, chunk_size, spool, std::move(media_type));
    spool.flush();
    auto bytes = byte_source::from_file(spool.path(), 0, static_cast<std::uint64_t>(desc.size));
    co_await push(desc, std::move(bytes));
    co_return desc;
}

asio::awaitable<descriptor> layout_tar_writer::resolve(std::string reference) {
    auto parsed = digest::parse(reference);
    const bool by_digest = parsed || oras::detail::reads_as_digest(reference);
    if (!by_digest) {
        if (auto ok = validate_ref_name(reference); !ok) {
            throw error(ok.error());
        }
    }
    const std::lock_guard lock(state_->mutex);
    auto idx = image_index::parse(json::serialize(state_->index));
    if (!idx) {
        throw error(idx.error().code,
                    "index.json of " + quote(state_->tar.string()) + ": " + idx.error().message);
    }
    if (by_digest) {
        const auto d = std::move(parsed).value();  // throws invalid_digest
        for (const auto& m : idx->manifests) {
            if (m.digest == d) {
                co_return m;
            }
        }
        const auto it = state_->blobs.find(d.str());
        if (it != state_->blobs.end()
            && media_type::is_graph_manifest(it->second.desc.media_type)) {
            descriptor out;
            out.media_type = it->second.desc.media_type;
            out.digest = d;
            out.size = it->second.desc.size;
            co_return out;
        }
        throw error(errc::not_found, d.str() + " is not a manifest in the archive being written, "
                                         + quote(state_->tar.string()));
    }
    // The last entry wins, as in a layout's index.json.
    for (auto it = idx->manifests.rbegin(); it != idx->manifests.rend(); ++it) {
        if (it->annotation(annotation::ref_name) == reference) {
            co_return *it;
        }
    }
    throw error(errc::not_found, "tag " + reference + " is not in the archive being written, "
                                     + quote(state_->tar.string()));
}

asio::awaitable<void> layout_tar_writer::tag(descriptor desc, std::string reference) {
    detail::check_descriptor(desc);
    const bool untagged = reference == desc.digest.str();
    if (!untagged) {
        if (auto ok = validate_ref_name(reference); !ok) {
            throw error(ok.error());
        }
        if (!media_type::is_valid(desc.media_type)) {
            throw error(errc::invalid_media_type, "cannot tag " + desc.digest.str()
                                                      + ": media type " + quote(desc.media_type)
                                                      + " is not valid");
        }
    }
    const std::lock_guard lock(state_->mutex);
    state_->check_open();
    if (state_->find(desc) == nullptr) {
        throw error(errc::not_found, "cannot tag " + desc.digest.str() + " as " + reference
                                         + ": it is not in the archive being written, "
                                         + quote(state_->tar.string()));
    }
    if (untagged) {
        // "Tagged" by its digest: listed untagged, as a layout lists every manifest.
        desc.annotations.erase(std::string(annotation::ref_name));
        detail::list_untagged(state_->manifests(), desc);
        co_return;
    }
    desc.annotations.insert_or_assign(std::string(annotation::ref_name), reference);
    detail::put_tagged(state_->manifests(), detail::index_entry(desc), reference, desc.digest);
}

result<void> layout_tar_writer::check_tag(std::string_view tag) const {
    return validate_ref_name(tag);
}

asio::awaitable<std::vector<std::string>> layout_tar_writer::tags() {
    std::vector<std::string> out;
    {
        const std::lock_guard lock(state_->mutex);
        for (const auto& e : state_->manifests()) {
            if (const auto name = detail::ref_name_of(e); !name.empty()) {
                out.emplace_back(name);
            }
        }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    co_return out;
}

std::uint64_t layout_tar_writer::commit() {
    auto& s = *state_;
    const std::lock_guard lock(s.mutex);
    const auto fail = [&s](const std::string& why) {
        return error(errc::invalid_argument,
                     "cannot complete the archive " + quote(s.tar.string()) + ": " + why);
    };
    if (s.committed) {
        throw fail("it was completed already");
    }
    if (s.running != 0) {
        throw fail(std::to_string(s.running) + " blob(s) still being written");
    }
    if (!s.broken.empty()) {
        throw fail(s.broken);
    }
    s.write_member(std::string(detail::index_name), false, json::serialize(s.index));
    // Two zero blocks end a tar archive. Written, not left to a hole: a place given back may
    // have left bytes there; and the file is cut after them.
    const auto size = s.next + 2 * block_size;
    write_at(s.file.fd(), std::string(2 * block_size, '\0'), s.next, s.tar);
    if (::ftruncate(s.file.fd(), static_cast<off_t>(size)) != 0) {
        throw fail(std::strerror(errno));
    }
    s.file.close(true);
    s.file.publish(false);
    s.committed = true;
    // The rename survives a crash once the directory is synced too.
    const auto dir = s.tar.has_parent_path() ? s.tar.parent_path() : fs::path(".");
    try {
        detail::sync_directory(dir);
    } catch (const error& e) {
        throw error(errc::invalid_argument,
                    "the archive " + quote(s.tar.string())
                        + " is complete and in place, but its directory cannot be synced (a "
                          "crash may still lose the new name): "
                        + e.what());
    }
    return size;
}

}  // namespace oras::content

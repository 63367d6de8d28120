// The remote repository: blob, manifest and tag operations over the authenticating client.
#include <oras/content/target.hpp>
#include <oras/error.hpp>
#include <oras/media_type.hpp>
#include <oras/reference.hpp>
#include <oras/registry/repository.hpp>
#include <oras/verifier.hpp>

#include "content/drain.hpp"
#include "core/async/shared_flight.hpp"
#include "core/quote.hpp"
#include "http/headers.hpp"
#include "http/policy.hpp"
#include "registry/blob_download.hpp"
#include "registry/protocol.hpp"
#include "registry/repository_state.hpp"

#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <filesystem>

namespace oras::registry {

namespace asio = boost::asio;

namespace detail {

namespace {

/// A body source read in order, as the content layer reads blobs: files in slices with pread
/// (never whole), memory by slices, streams as they are. `rewind` is empty when the source
/// cannot start again.
content::blob_reader reader_of(const http::body_source& src) {
    if (const auto* f = std::get_if<http::body_source::file_range>(&src.source())) {
        return content::blob_reader::from_file(f->path, f->offset, f->length);
    }
    if (const auto* s = std::get_if<http::body_source::stream>(&src.source())) {
        content::blob_reader r;
        r.read = s->next;
        r.rewind = s->rewind;
        r.length = s->length;
        return r;
    }
    const auto* m = std::get_if<http::body_source::memory>(&src.source());
    return m != nullptr && m->data ? content::blob_reader::from_shared(m->data)
                                   : content::blob_reader::from_string({});
}

/// A body of known digest that is hashed as it is sent and never completes with the wrong
/// bytes: the last chunk is withheld (the server sees a short body, so no blob) when size or
/// digest differ.
http::body_source verifying_body(http::body_source src, const descriptor& desc) {
    if (const auto* mem = std::get_if<http::body_source::memory>(&src.source())) {
        // Memory is checked up front and stays replayable.
        verifier check(desc.digest, desc.size);
        const std::string_view bytes = mem->data ? std::string_view(*mem->data) : "";
        auto ok = check.update(std::as_bytes(std::span(bytes.data(), bytes.size())));
        if (ok) {
            ok = check.finish();
        }
        if (!ok) {
            throw error(ok.error());
        }
        return src;
    }
    auto rd = content::verified(reader_of(src), desc);
    return http::body_source::from_generator(std::move(rd.read), src.length(),
                                             std::move(rd.rewind));
}

/// A body of unknown digest, hashed as it streams.
http::body_source hashing_body(http::body_source src, std::shared_ptr<hasher> hash) {
    if (const auto* mem = std::get_if<http::body_source::memory>(&src.source())) {
        if (mem->data) {
            hash->update(std::string_view(*mem->data));
        }
        return src;
    }
    auto rd = reader_of(src);
    auto next = [hash, read = rd.read](std::span<std::byte> buf) -> asio::awaitable<std::size_t> {
        const auto n = co_await read(buf);
        hash->update(buf.first(n));
        co_return n;
    };
    std::function<void()> rewind;
    if (rd.rewind) {
        rewind = [hash, inner = rd.rewind] {
            inner();
            *hash = hasher(hash->algorithm());
        };
    }
    return http::body_source::from_generator(std::move(next), src.length(), std::move(rewind));
}

}  // namespace

}  // namespace detail

using detail::repository_state;

repository::repository(auth::client client, std::string_view registry, std::string_view name,
                       repository_options options)
    : state_(std::make_shared<repository_state>(std::move(client), registry, name, options)) {}

const std::string& repository::registry() const noexcept {
    return state_->registry_;
}
const std::string& repository::name() const noexcept {
    return state_->name_;
}
const std::string& repository::base_url() const noexcept {
    return state_->base_url_;
}
asio::any_io_executor repository::get_executor() const noexcept {
    return state_->client_.http().get_executor();
}
auth::client& repository::client() noexcept {
    return state_->client_;
}

// --- blobs ---------------------------------------------------------------------------------------

asio::awaitable<std::optional<descriptor>> repository::blob_exists(digest d) {
    auto st = state_;
    auto resp = co_await st->send("HEAD", st->blob_url(d), st->pull_);
    if (resp.status() == 404) {
        co_return std::nullopt;
    }
    if (resp.status() != 200) {
        co_await st->fail(resp, "HEAD", "cannot check blob " + d.str() + " in " + st->where());
    }
    const auto size = resp.content_length();
    if (!size) {
        throw error(errc::invalid_response,
                    st->where() + " answered HEAD for blob " + d.str() + " without a size",
                    diagnostics{"HEAD", resp.status(), redact_url(resp.url().buffer()), {}});
    }
    descriptor out;
    out.media_type = "application/octet-stream";
    out.digest = d;
    out.size = static_cast<std::int64_t>(*size);
    co_return out;
}

namespace {

/// A failed upload worth starting again from the first byte in a new session: a transfer
/// failure, or a session the registry no longer accepts.
bool restartable(const std::exception_ptr& e) {
    if (is_transient(e)) {
        return true;
    }
    try {
        std::rethrow_exception(e);
    } catch (const error& x) {
        return x.code() == errc::upload_invalid || x.code() == errc::upload_unknown;
    } catch (...) {
        return false;
    }
}

/// Sends GET for a blob from byte `offset` (0: the whole blob) and returns a response whose body
/// starts at `offset`: a 206 whose Content-Range starts there, or a 200 whose first `offset`
/// bytes were skipped (a registry that ignores Range).
asio::awaitable<http::response> get_blob_from(repository_state& st, const digest& d,
                                              std::uint64_t offset, std::string_view what) {
    http::fields headers;
    if (offset != 0) {
        headers.set("Range", "bytes=" + std::to_string(offset) + "-");
    }
    auto resp = co_await st.send("GET", st.blob_url(d), st.pull_, {}, std::move(headers));
    const diagnostics diag{"GET", resp.status(), redact_url(resp.url().buffer()), {}};
    if (offset != 0 && resp.status() == 206) {
        auto range = http::detail::parse_content_range(resp.headers().get("Content-Range"));
        if (!range || range->first != offset) {
            resp.abandon();
            throw error(errc::invalid_response,
                        std::string(what) + ": the registry answered a resume from byte "
                            + std::to_string(offset) + " with "
                            + oras::detail::quote(resp.headers().get("Content-Range")),
                        diag);
        }
        co_return resp;
    }
    if (resp.status() != 200) {
        co_await st.fail(resp, "GET", std::string(what));
    }
    std::array<std::byte, 64 * 1024> skip{};
    for (std::uint64_t left = offset; left != 0;) {
        const auto n = co_await resp.read_some(std::span(skip).first(
            static_cast<std::size_t>(std::min<std::uint64_t>(left, skip.size()))));
        if (n == 0) {
            throw error(
                errc::size_mismatch,
                std::string(what) + ": the blob ended before byte " + std::to_string(offset), diag);
        }
        left -= n;
    }
    co_return resp;
}

}  // namespace

namespace {

asio::awaitable<content::blob_reader> open_rest(std::shared_ptr<repository_state> st,
                                                descriptor desc, std::uint64_t offset) {
    auto repo = detail::repository_access::make(std::move(st));
    co_return co_await repo.open_blob_from(std::move(desc), offset);
}

}  // namespace

asio::awaitable<content::blob_reader> repository::open_blob(descriptor desc) {
    const auto what = "blob " + desc.digest.str() + " from " + state_->where();
    const auto& o = state_->options_;
    if (o.parallel_download_min_size != 0 && desc.size > 0
        && static_cast<std::uint64_t>(desc.size) >= o.parallel_download_min_size
        && o.parallel_download_parts >= 2 && !state_->ranges_ignored_) {
        detail::rest_opener rest = [st = state_, desc](std::uint64_t offset) {
            return open_rest(st, desc, offset);
        };
        auto opened = co_await detail::open_striped(state_, desc, o.parallel_download_parts,
                                                    o.parallel_download_chunk,
                                                    o.parallel_download_fast_rate, std::move(rest));
        if (opened.ranges_ignored) {
            state_->ranges_ignored_ = true;
        }
        co_return content::verified(std::move(opened.reader), desc, what);
    }
    auto raw = co_await open_blob_from(desc, 0);
    co_return content::verified(std::move(raw), desc, what);
}

asio::awaitable<content::blob_reader> repository::open_blob_from(descriptor desc,
                                                                 std::uint64_t offset) {
    if (desc.size < 0 || offset > static_cast<std::uint64_t>(desc.size)) {
        throw error(errc::invalid_argument, "cannot read blob " + desc.digest.str() + " from byte "
                                                + std::to_string(offset) + " of "
                                                + std::to_string(desc.size));
    }
    // One GET now (so a missing blob fails here, before a caller opens an upload session for
    // it); the body is then read straight into the caller's buffer, and a connection dropped
    // mid-body is resumed with a Range request from the first byte not yet handed out.
    struct state {
        std::shared_ptr<repository_state> repo;
        descriptor desc;
        std::string what;
        http::response resp;
        std::uint64_t delivered = 0;
        unsigned resumes = 0;
        bool open = false;
    };
    auto st = std::make_shared<state>();
    st->repo = state_;
    st->what = "cannot fetch blob " + desc.digest.str() + " from " + state_->where();
    st->desc = desc;
    st->delivered = offset;
    const auto start = [](
                           std::shared_ptr<state> s) -> asio::
                                                         awaitable<void> {
                                                             s->resp = co_await get_blob_from(
                                                                 *s->repo, s->desc.digest,
                                                                 s->delivered, s->what);
                                                             s->open = true;
                                                             if (s->delivered != 0) {
                                                                 co_return;
                                                             }
                                                             if (const auto len =
                                                                     s->resp.content_length();
                                                                 len
                                                                 && *len
                                                                        != static_cast<
                                                                            std::uint64_t>(
                                                                            s->desc.size)) {
                                                                 s->resp.abandon();
                                                                 throw error(errc::size_mismatch,
                        "blob " + s->desc.digest.str() + " from " + s->repo->where()
                            + ": the registry announced " + std::to_string(*len)
                            + " bytes, expected " + std::to_string(s->desc.size),
                        diagnostics{"GET", s->resp.status(), redact_url(s->resp.url().buffer()),
                                    {}});
                                                             }
                                                         };
    co_await start(st);
    content::blob_reader raw;
    raw.length = static_cast<std::uint64_t>(desc.size) - offset;
    raw.read = [st, start](std::span<std::byte> buf) -> asio::awaitable<std::size_t> {
        for (;;) {
            if (!st->open) {
                co_await start(st);
            }
            std::size_t n = 0;
            std::exception_ptr broken;
            try {
                n = co_await st->resp.read_some(buf);
            } catch (...) {
                broken = std::current_exception();
            }
            if (!broken) {
                st->delivered += n;
                co_return n;
            }
            // A dropped connection costs only what was not received yet: ask for the rest.
            if (!is_transient(broken) || st->resumes == st->repo->options_.max_resumes) {
                std::rethrow_exception(broken);
            }
            ++st->resumes;
            st->open = false;
        }
    };
    raw.rewind = [st, offset] {
        // Read again from the first byte (an upload that is retried): a fresh GET on next read.
        // A body not read from yet still starts at the first byte: keep it (a client rewinds
        // before every send, the first included; dropping it cost a second GET per blob).
        if (st->open && st->delivered == offset) {
            return;
        }
        st->resp = http::response();
        st->open = false;
        st->delivered = offset;
    };
    co_return raw;
}

asio::awaitable<void> repository::fetch_blob(descriptor desc, blob_sink sink) {
    std::unique_ptr<std::byte[]> storage;
    const auto buf = content::detail::blob_buffer(
        storage, static_cast<std::uint64_t>(std::max<std::int64_t>(desc.size, 0)), 1 << 20);
    auto src = co_await open_blob(std::move(desc));
    for (;;) {
        const auto n = co_await src.read(buf);
        if (n == 0) {
            co_return;
        }
        co_await sink(std::span<const std::byte>(buf).first(n));
    }
}

asio::awaitable<void> repository::fetch_blob_range(digest d, std::uint64_t offset,
                                                   std::uint64_t length, blob_sink sink) {
    auto st = state_;
    const std::string what = "cannot fetch bytes " + std::to_string(offset) + "+"
                             + std::to_string(length) + " of blob " + d.str() + " from "
                             + st->where();
    if (length == 0) {
        co_return;
    }
    http::fields headers;
    headers.set("Range",
                "bytes=" + std::to_string(offset) + "-" + std::to_string(offset + length - 1));
    auto resp = co_await st->send("GET", st->blob_url(d), st->pull_, {}, std::move(headers));
    const diagnostics diag{"GET", resp.status(), redact_url(resp.url().buffer()), {}};
    std::uint64_t skip = 0;
    if (resp.status() == 206) {
        auto range = http::detail::parse_content_range(resp.headers().get("Content-Range"));
        if (!range || range->first != offset || range->last + 1 - range->first != length) {
            resp.abandon();
            throw error(errc::invalid_response,
                        what + ": the registry answered with "
                            + oras::detail::quote(resp.headers().get("Content-Range")),
                        diag);
        }
    } else if (resp.status() == 200) {
        skip = offset;  // the registry ignored Range: the range is cut from the whole blob
    } else {
        co_await st->fail(resp, "GET", what);
    }
    std::unique_ptr<std::byte[]> storage;
    const auto buf = content::detail::blob_buffer(storage, length, 1 << 20);
    std::uint64_t delivered = 0;
    while (delivered < length) {
        const auto n = co_await resp.read_some(buf);
        if (n == 0) {
            throw error(errc::size_mismatch,
                        what + ": the body ended after " + std::to_string(delivered) + " bytes",
                        diag);
        }
        auto chunk = std::span<const std::byte>(buf).first(n);
        const auto dropped = static_cast<std::size_t>(std::min<std::uint64_t>(skip, n));
        skip -= dropped;
        chunk = chunk.subspan(dropped);
        chunk = chunk.first(
            static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), length - delivered)));
        delivered += chunk.size();
        if (!chunk.empty()) {
            co_await sink(chunk);
        }
    }
    if (resp.status() == 206) {
        co_await resp.discard();
    } else {
        resp.abandon();
    }
}

namespace {

struct upload_session {
    boost::urls::url location{};
    std::optional<std::uint64_t> chunk_min{};  // OCI-Chunk-Min-Length
};

http::fields octet_stream() {
    http::fields h;
    h.set("Content-Type", "application/octet-stream");
    return h;
}

/// Best effort: a failed upload's session is cancelled so the registry can free it.
asio::awaitable<void> cancel_upload(repository_state& st, boost::urls::url location) {
    try {
        auto resp = co_await st.send("DELETE", std::move(location), st.push_);
        co_await resp.discard();
    } catch (const std::exception&) {
    }
}

/// Starts an upload session with POST. nullopt when the registry answered 201: the blob is
/// there already (a mount, or a single-POST upload that carried the body).
asio::awaitable<std::optional<upload_session>> start_upload(repository_state& st,
                                                            boost::urls::url u,
                                                            const auth::scope_set& scopes,
                                                            const std::string& what,
                                                            http::body_source body = {}) {
    auto headers = body.empty() ? http::fields{} : octet_stream();
    auto resp = co_await st.send("POST", u, scopes, std::move(body), std::move(headers));
    if (resp.status() == 201) {
        co_await resp.discard();
        co_return std::nullopt;
    }
    if (resp.status() != 202) {
        co_await st.fail(resp, "POST", what);
    }
    const diagnostics diag{"POST", 202, redact_url(u.buffer()), {}};
    auto loc = detail::resolve_upload_location(resp.headers().get("Location"), resp.url());
    auto min = detail::parse_chunk_min_length(resp.headers().get("OCI-Chunk-Min-Length"));
    std::exception_ptr broken;
    try {
        co_await resp.discard();
    } catch (...) {
        broken = std::current_exception();  // a cancellation, most likely
    }
    if (broken) {
        // The session is open on the registry: close it before giving up.
        if (loc) {
            co_await asio::this_coro::reset_cancellation_state();
            co_await cancel_upload(st, *loc);
        }
        std::rethrow_exception(broken);
    }
    if (!loc) {
        throw error(loc.error().code, what + ": " + loc.error().message, diag);
    }
    if (!min) {
        throw error(min.error().code, what + ": " + min.error().message, diag);
    }
    co_return upload_session{*loc, *min};
}

/// The closing PUT `?digest=`, with the rest of the content as its body (or none).
asio::awaitable<void> complete_upload(repository_state& st, const boost::urls::url& location,
                                      const digest& d, http::body_source body,
                                      const std::string& what) {
    auto resp = co_await st.send("PUT", detail::upload_complete_url(location, d), st.push_,
                                 std::move(body), octet_stream());
    if (resp.status() != 201) {
        co_await st.fail(resp, "PUT", what);
    }
    if (auto got = resp.headers().find("Docker-Content-Digest"); got && *got != d.str()) {
        throw error(errc::digest_mismatch,
                    what + ": the registry stored it as " + oras::detail::quote(*got),
                    diagnostics{"PUT", 201, redact_url(resp.url().buffer()), {}});
    }
    co_await resp.discard();
}

/// Runs `steps` on an open session; on any failure the session is cancelled, then the failure
/// rethrown.
template <class Steps>
asio::awaitable<void> within_session(repository_state& st, const boost::urls::url& location,
                                     Steps steps) {
    std::exception_ptr failed;
    try {
        co_await steps();
    } catch (...) {
        failed = std::current_exception();
    }
    if (failed) {
        // Cancelled or not, the session is closed: a cancelled coroutine would otherwise fail
        // this request at once.
        co_await asio::this_coro::reset_cancellation_state();
        co_await cancel_upload(st, location);  // the latest Location: older `_state`s are stale
        std::rethrow_exception(failed);
    }
}

/// How many bytes of the upload the registry holds (GET on the session), and where to go on.
asio::awaitable<std::uint64_t> upload_status(repository_state& st, boost::urls::url& location,
                                             const std::string& what) {
    auto resp = co_await st.send("GET", location, st.push_);
    if (resp.status() != 204 && resp.status() != 200) {
        co_await st.fail(resp, "GET", what + ": the upload cannot be resumed");
    }
    const auto range = resp.headers().get("Range");
    if (const auto loc = resp.headers().find("Location")) {
        auto next = detail::resolve_upload_location(*loc, resp.url());
        if (!next) {
            throw error(next.error().code, what + ": " + next.error().message);
        }
        location = *next;
    }
    co_await resp.discard();
    if (range.empty() || range == "0-0") {
        co_return 0;  // distribution's answer for an empty upload (it cannot say "one byte")
    }
    auto held = detail::parse_upload_range(range);
    if (!held) {
        throw error(held.error().code, what + ": " + held.error().message);
    }
    co_return *held;
}

/// Streams an upload in PATCH requests of `chunk` bytes. Each chunk is kept in memory until the
/// registry confirms it, so a 416 or a dropped connection costs a status query and the rest of
/// that chunk, not the upload.
asio::awaitable<void> patch_chunks(repository_state& st, boost::urls::url& location,
                                   content::blob_reader rd, hasher& hash, std::size_t chunk,
                                   const std::string& what) {
    std::string buffer(chunk, '\0');
    std::uint64_t start = 0;  // bytes the registry holds before this chunk
    for (bool eof = false; !eof;) {
        std::size_t filled = 0;
        while (filled < chunk) {
            const auto n =
                co_await rd.read(std::as_writable_bytes(std::span(buffer)).subspan(filled));
            if (n == 0) {
                eof = true;
                break;
            }
            filled += n;
        }
        if (filled == 0) {
            break;
        }
        hash.update(std::string_view(buffer).substr(0, filled));
        const auto data = std::make_shared<const std::string>(buffer, 0, filled);
        std::size_t pos = 0;
        std::optional<error> refused;  // thrown outside the try: never mistaken for a drop
        for (unsigned attempt = 0; pos < filled; ++attempt) {
            std::exception_ptr broken;
            try {
                http::fields headers = octet_stream();
                headers.set("Content-Range",
                            detail::chunk_content_range(start + pos, filled - pos));
                auto body = pos == 0 ? http::body_source::from_shared(data)
                                     : http::body_source::from_string(data->substr(pos));
                auto resp = co_await st.send("PATCH", location, st.push_, std::move(body),
                                             std::move(headers));
                if (resp.status() == 202) {
                    auto next =
                        detail::resolve_upload_location(resp.headers().get("Location"), resp.url());
                    auto check =
                        detail::check_upload_range(resp.headers().get("Range"), start + filled);
                    co_await resp.discard();
                    if (!next) {
                        refused = error(next.error().code, what + ": " + next.error().message);
                        break;
                    }
                    location = *next;
                    if (check) {
                        pos = filled;
                        break;
                    }
                    // The registry kept less than it was sent: ask what it holds.
                } else if (resp.status() != 416) {
                    co_await st.fail(resp, "PATCH", what);
                } else {
                    co_await resp.discard();
                }
            } catch (...) {
                broken = std::current_exception();
                if (!is_transient(broken)) {
                    throw;
                }
            }
            if (attempt == st.options_.max_resumes) {
                if (broken) {
                    std::rethrow_exception(broken);
                }
                throw error(errc::upload_invalid,
                            what + ": the registry kept refusing the chunk at byte "
                                + std::to_string(start + pos));
            }
            const auto held = co_await upload_status(st, location, what);
            if (held < start || held > start + filled) {
                throw error(errc::upload_invalid,
                            what + ": the registry holds " + std::to_string(held)
                                + " bytes, outside the chunk in hand (" + std::to_string(start)
                                + "-" + std::to_string(start + filled) + ")");
            }
            pos = static_cast<std::size_t>(held - start);
        }
        if (refused) {
            throw *refused;
        }
        start += filled;
    }
}

}  // namespace

namespace {

asio::awaitable<void> upload_blob(std::shared_ptr<repository_state> st, descriptor desc,
                                  http::body_source body, bool verify) {
    const std::string what = "cannot push blob " + desc.digest.str() + " to " + st->where();
    if (body.length() && *body.length() != static_cast<std::uint64_t>(desc.size)) {
        throw error(errc::size_mismatch, what + ": the content has "
                                             + std::to_string(*body.length()) + " bytes, expected "
                                             + std::to_string(desc.size));
    }
    auto checked = verify ? detail::verifying_body(std::move(body), desc) : std::move(body);
    std::optional<upload_session> session;
    if (st->options_.single_post_max != 0
        && static_cast<std::uint64_t>(desc.size) <= st->options_.single_post_max
        && checked.replayable()) {
        auto u = st->uploads_url();
        u.params().append({"digest", desc.digest.str()});
        session = co_await start_upload(*st, u, st->push_, what, checked);
    } else {
        session = co_await start_upload(*st, st->uploads_url(), st->push_, what);
    }
    for (unsigned attempt = 0;; ++attempt) {
        if (!session) {
            co_return;  // the registry completed the upload on POST
        }
        std::exception_ptr failed;
        try {
            co_await within_session(*st, session->location, [&]() -> asio::awaitable<void> {
                co_await complete_upload(*st, session->location, desc.digest, checked, what);
            });
            co_return;
        } catch (...) {
            failed = std::current_exception();
        }
        // A PUT cut mid-body leaves distribution's session unusable: a body that can be sent
        // again goes to a fresh session (the client rewinds it before sending).
        if (!checked.replayable() || attempt == st->options_.max_resumes || !restartable(failed)) {
            std::rethrow_exception(failed);
        }
        session = co_await start_upload(*st, st->uploads_url(), st->push_, what);
    }
}

}  // namespace

asio::awaitable<void> repository::push_blob(descriptor desc, http::body_source body, bool verify) {
    auto st = state_;
    // Concurrent pushes of one blob to one repository (artifacts sharing a layer) upload it
    // once, the others waiting for it: distribution mishandles simultaneous commits of one
    // digest (a HEAD answers 500, a manifest PUT then finds the blob unknown).
    auto key = desc.digest.str();
    const auto upload = [&]() -> asio::awaitable<bool> {
        co_await upload_blob(st, std::move(desc), std::move(body), verify);
        co_return true;
    };
    co_await oras::detail::share_flight<bool>(st->uploads_, std::move(key), upload);
}

asio::awaitable<descriptor> repository::push_blob_stream(http::body_source body,
                                                         std::string media_type) {
    auto st = state_;
    const std::string what = "cannot push a blob to " + st->where();
    const auto length = body.length();
    auto source = detail::reader_of(body);
    auto hash = std::make_shared<hasher>();
    descriptor out;
    out.media_type = std::move(media_type);
    for (unsigned attempt = 0;; ++attempt) {
        auto session = co_await start_upload(*st, st->uploads_url(), st->push_, what);
        if (!session) {
            throw error(errc::invalid_response,
                        what + ": the registry completed an upload of unknown content on POST");
        }
        const auto chunk = static_cast<std::size_t>(
            std::max<std::uint64_t>(st->options_.chunk_size, session->chunk_min.value_or(0)));
        auto location = session->location;
        std::exception_ptr failed;
        try {
            co_await within_session(*st, location, [&]() -> asio::awaitable<void> {
                if (chunk == 0) {
                    auto streamed = detail::hashing_body(
                        http::body_source::from_generator(source.read, length, source.rewind),
                        hash);
                    auto patched = co_await st->send("PATCH", location, st->push_,
                                                     std::move(streamed), octet_stream());
                    if (patched.status() != 202) {
                        co_await st->fail(patched, "PATCH", what);
                    }
                    auto next = detail::resolve_upload_location(patched.headers().get("Location"),
                                                                patched.url());
                    co_await patched.discard();
                    if (!next) {
                        throw error(next.error().code, what + ": " + next.error().message);
                    }
                    location = *next;
                } else {
                    co_await patch_chunks(*st, location, source, *hash, chunk, what);
                }
                out.size = static_cast<std::int64_t>(hash->bytes());
                out.digest = hash->finish();
                co_await complete_upload(*st, location, out.digest, {}, what);
            });
            co_return out;
        } catch (...) {
            failed = std::current_exception();
        }
        // Distribution cannot resume a session whose PATCH was cut mid-body: its status answers
        // 404 BLOB_UPLOAD_INVALID, the stored size no longer matching the session's state. A
        // source that can start again is then uploaded anew in a fresh session.
        if (!source.rewind || attempt == st->options_.max_resumes || !restartable(failed)) {
            std::rethrow_exception(failed);
        }
        source.rewind();
        *hash = hasher();
    }
}

asio::awaitable<bool> repository::mount_blob(descriptor desc, std::string from_repository,
                                             std::optional<http::body_source> fallback) {
    auto st = state_;
    if (auto v = validate_repository(from_repository); !v) {
        throw error(v.error());
    }
    const std::string what = "cannot mount blob " + desc.digest.str() + " from " + from_repository
                             + " into " + st->where();
    std::optional<http::body_source> checked;
    if (fallback) {
        checked = detail::verifying_body(std::move(*fallback), desc);
    }
    auto scopes = st->push_;
    scopes.add(auth::repository_scope(from_repository, {"pull"}));
    auto session = co_await start_upload(
        *st,
        detail::mount_url(boost::urls::url(st->base_url_), st->name_, desc.digest, from_repository),
        scopes, what);
    if (!session) {
        co_return true;
    }
    if (!checked) {
        co_await cancel_upload(*st, session->location);
        co_return false;
    }
    // 202: the registry could not mount but opened an ordinary session: upload into it.
    co_await within_session(*st, session->location, [&]() -> asio::awaitable<void> {
        co_await complete_upload(*st, session->location, desc.digest, std::move(*checked), what);
    });
    co_return false;
}

asio::awaitable<void> repository::delete_blob(digest d) {
    auto st = state_;
    auto resp = co_await st->send("DELETE", st->blob_url(d), st->delete_);
    if (resp.status() != 202 && resp.status() != 200) {
        co_await st->fail(resp, "DELETE", "cannot delete blob " + d.str() + " in " + st->where());
    }
    co_await resp.discard();
}

// --- manifests -----------------------------------------------------------------------------------

namespace {

http::fields manifest_headers() {
    http::fields h;
    h.set("Accept", detail::manifest_accept());
    return h;
}

/// A reference that is a digest is checked against what came back.
std::optional<digest> digest_in(std::string_view reference) {
    if (reference.find(':') == std::string_view::npos) {
        return std::nullopt;
    }
    auto d = digest::parse(reference);
    if (!d) {
        throw error(d.error());
    }
    return *d;
}

void check_reference(std::string_view reference) {
    if (reference.find(':') != std::string_view::npos) {
        digest_in(reference);
    } else if (auto v = validate_tag(reference); !v) {
        throw error(v.error());
    }
}

}  // namespace

asio::awaitable<descriptor> repository::resolve(std::string reference) {
    auto st = state_;
    check_reference(reference);
    const auto expected = digest_in(reference);
    auto resp =
        co_await st->send("HEAD", st->manifest_url(reference), st->pull_, {}, manifest_headers());
    if (resp.status() != 200) {
        co_await st->fail(resp, "HEAD", "cannot resolve " + st->where() + ":" + reference);
    }
    const auto media = resp.headers().get("Content-Type");
    const auto header = resp.headers().find("Docker-Content-Digest");
    const auto size = resp.content_length();
    co_await resp.discard();
    if (!header || media.empty() || !size) {
        // Without a digest from the registry the bytes must be fetched to know it.
        co_return (co_await fetch_manifest(std::move(reference))).desc;
    }
    auto d = detail::parse_content_digest(*header);
    if (!d) {
        throw error(d.error().code, st->where() + ":" + reference + ": " + d.error().message);
    }
    if (expected && *d != *expected) {
        throw error(errc::digest_mismatch,
                    st->where() + " resolved " + reference + " to " + d->str());
    }
    descriptor out;
    out.media_type = std::string(media.substr(0, media.find(';')));
    out.digest = *d;
    out.size = static_cast<std::int64_t>(*size);
    co_return out;
}

asio::awaitable<manifest_content> repository::fetch_manifest(std::string reference) {
    auto st = state_;
    check_reference(reference);
    const auto expected = digest_in(reference);
    const std::string what = st->where() + (expected ? "@" : ":") + reference;
    auto resp =
        co_await st->send("GET", st->manifest_url(reference), st->pull_, {}, manifest_headers());
    if (resp.status() != 200) {
        co_await st->fail(resp, "GET", "cannot fetch manifest " + what);
    }
    const diagnostics diag{"GET", resp.status(), redact_url(resp.url().buffer()), {}};
    if (const auto len = resp.content_length(); len && *len > st->options_.max_manifest_size) {
        resp.abandon();
        throw error(errc::size_exceeds_limit,
                    "manifest " + what + " has " + std::to_string(*len)
                        + " bytes, more than the limit of "
                        + std::to_string(st->options_.max_manifest_size),
                    diag);
    }
    manifest_content out;
    out.bytes = co_await resp.read_all(st->options_.max_manifest_size);
    const auto media = resp.headers().get("Content-Type");
    out.desc.media_type = std::string(media.substr(0, media.find(';')));
    while (!out.desc.media_type.empty() && out.desc.media_type.back() == ' ') {
        out.desc.media_type.pop_back();
    }
    if (out.desc.media_type.empty()) {
        throw error(errc::invalid_response, "manifest " + what + " came without a Content-Type",
                    diag);
    }
    const auto algorithm = expected ? expected->algorithm() : digest_algorithm::sha256;
    out.desc.digest = digest::of(out.bytes, algorithm);
    out.desc.size = static_cast<std::int64_t>(out.bytes.size());
    if (expected && out.desc.digest != *expected) {
        throw error(errc::digest_mismatch,
                    "manifest " + what + " has the digest " + out.desc.digest.str(), diag);
    }
    if (const auto header = resp.headers().find("Docker-Content-Digest")) {
        auto d = detail::parse_content_digest(*header);
        if (!d) {
            throw error(d.error().code, "manifest " + what + ": " + d.error().message, diag);
        }
        if (d->algorithm() == algorithm && *d != out.desc.digest) {
            throw error(errc::digest_mismatch,
                        "manifest " + what + ": the registry says " + d->str()
                            + " but the bytes hash to " + out.desc.digest.str(),
                        diag);
        }
    }
    co_return out;
}

asio::awaitable<descriptor> repository::push_manifest(std::string media_type, std::string bytes,
                                                      std::string reference) {
    std::vector<std::string> references;
    if (!reference.empty()) {
        references.push_back(std::move(reference));
    }
    co_return co_await push_manifest_tags(std::move(media_type), std::move(bytes),
                                          std::move(references));
}

asio::awaitable<descriptor> repository::push_manifest_tags(std::string media_type,
                                                           std::string bytes,
                                                           std::vector<std::string> references) {
    auto st = state_;
    if (!media_type::is_valid(media_type)) {
        throw error(errc::invalid_media_type, "cannot push a manifest with the media type "
                                                  + oras::detail::quote(media_type));
    }
    descriptor out;
    out.media_type = media_type;
    out.digest = digest::of(bytes);
    out.size = static_cast<std::int64_t>(bytes.size());
    if (references.empty()) {
        references.push_back(out.digest.str());
    }
    for (const auto& reference : references) {
        check_reference(reference);
        if (const auto expected = digest_in(reference); expected && *expected != out.digest) {
            throw error(errc::digest_mismatch, "cannot push a manifest as " + reference
                                                   + ": its bytes hash to " + out.digest.str());
        }
    }
    auto link = detail::referrer_of(out, bytes);
    const auto shared = std::make_shared<const std::string>(std::move(bytes));
    bool indexed = false;
    for (const auto& reference : references) {
        http::fields headers;
        headers.set("Content-Type", media_type);
        auto resp = co_await st->send("PUT", st->manifest_url(reference), st->push_,
                                      http::body_source::from_shared(shared), std::move(headers));
        if (resp.status() != 201) {
            // Built apart: GCC 12 destroys a ?: temporary inside a co_await expression twice.
            std::string what = "cannot push manifest " + out.digest.str() + " to " + st->where();
            if (reference != out.digest.str()) {
                what += " as " + reference;
            }
            co_await st->fail(resp, "PUT", std::move(what));
        }
        if (auto d = resp.headers().find("Docker-Content-Digest"); d && *d != out.digest.str()) {
            throw error(errc::digest_mismatch, "pushed manifest " + out.digest.str() + " to "
                                                   + st->where() + " but the registry stored "
                                                   + oras::detail::quote(*d));
        }
        indexed = indexed || resp.headers().contains("OCI-Subject");
        co_await resp.discard();
    }
    if (link) {
        co_await detail::index_referrer(st, std::move(*link), indexed);
    }
    co_return out;
}

asio::awaitable<void> repository::delete_tag(std::string tag_name) {
    auto st = state_;
    if (auto v = validate_tag(tag_name); !v) {
        throw error(v.error());
    }
    const std::string what = "cannot delete the tag " + tag_name + " of " + st->where();
    auto resp = co_await st->send("DELETE", st->manifest_url(tag_name), st->delete_);
    if (resp.status() == 400 || resp.status() == 405) {
        // Distribution answers 400 UNSUPPORTED: only manifests, by digest, can go there.
        const auto body = co_await st->error_body(resp);
        const auto e =
            detail::status_error("DELETE", resp.url(), resp.status(), resp.headers(), body, what);
        throw error(errc::unsupported,
                    what + ": the registry does not delete tags (delete the manifest by digest)",
                    e.diag());
    }
    if (resp.status() != 202 && resp.status() != 200) {
        co_await st->fail(resp, "DELETE", what);
    }
    co_await resp.discard();
}

asio::awaitable<descriptor> repository::tag(std::string reference, std::string tag_name) {
    if (auto v = validate_tag(tag_name); !v) {
        throw error(v.error());
    }
    auto m = co_await fetch_manifest(std::move(reference));
    co_return co_await push_manifest(m.desc.media_type, std::move(m.bytes), std::move(tag_name));
}

asio::awaitable<void> repository::delete_manifest(digest d) {
    auto st = state_;
    auto link = co_await detail::referrer_before_delete(st, d);
    auto resp = co_await st->send("DELETE", st->manifest_url(d.str()), st->delete_);
    if (resp.status() != 202 && resp.status() != 200) {
        co_await st->fail(resp, "DELETE",
                          "cannot delete manifest " + d.str() + " in " + st->where());
    }
    co_await resp.discard();
    if (link) {
        co_await detail::unindex_referrer(st, std::move(*link));
    }
}

asio::awaitable<std::vector<std::string>> repository::tags() {
    auto st = state_;
    std::vector<std::string> out;
    auto u = st->tags_url(st->options_.page_size);
    for (unsigned page = 0;; ++page) {
        if (page == st->options_.max_pages) {
            throw error(errc::invalid_response, "the tag list of " + st->where() + " has more than "
                                                    + std::to_string(page) + " pages");
        }
        auto resp = co_await st->send("GET", u, st->pull_);
        if (resp.status() != 200) {
            co_await st->fail(resp, "GET", "cannot list the tags of " + st->where());
        }
        const auto body = co_await resp.read_all(detail::max_list_body);
        auto page_tags = detail::parse_tag_list(body, st->name_);
        if (!page_tags) {
            throw error(page_tags.error().code, page_tags.error().message,
                        diagnostics{"GET", resp.status(), redact_url(resp.url().buffer()), {}});
        }
        out.insert(out.end(), page_tags->begin(), page_tags->end());
        auto next = http::detail::parse_link_next(resp.headers().get_all("Link"), resp.url());
        if (!next) {
            throw error(next.error().code,
                        "the tag list of " + st->where() + ": " + next.error().message);
        }
        if (!*next) {
            co_return out;
        }
        u = **next;
    }
}

}  // namespace oras::registry

// Blob uploads: sessions, monolithic and chunked PUTs, resumes, mounts.
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

#include <optional>

namespace oras::registry {

namespace asio = boost::asio;

namespace detail {

namespace {

/// A body of known digest that is hashed as it is sent and never completes with the wrong
/// bytes: the last chunk is withheld (the server sees a short body, so no blob) when size or
/// digest differ.
byte_source verifying_body(byte_source src, const descriptor& desc) {
    if (const auto& mem = src.memory()) {
        // Memory is checked up front and stays replayable.
        verifier check(desc.digest, desc.size);
        auto ok = check.update(std::as_bytes(std::span(mem->data(), mem->size())));
        if (ok) {
            ok = check.finish();
        }
        if (!ok) {
            throw error(ok.error());
        }
        return src;
    }
    return content::verified(std::move(src), desc);
}

/// A body of unknown digest, hashed as it streams.
byte_source hashing_body(byte_source src, std::shared_ptr<hasher> hash) {
    if (const auto& mem = src.memory()) {
        hash->update(std::string_view(*mem));
        return src;
    }
    auto next = [hash, src](std::span<std::byte> buf) -> asio::awaitable<std::size_t> {
        const auto n = co_await src.read(buf);
        hash->update(buf.first(n));
        co_return n;
    };
    std::function<void()> rewind;
    if (src.replayable()) {
        rewind = [hash, src] {
            src.rewind();
            *hash = hasher(hash->algorithm());
        };
    }
    return byte_source::from_generator(std::move(next), src.length(), std::move(rewind));
}

}  // namespace

}  // namespace detail

using detail::repository_state;

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

}  // namespace

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

/// The session a POST answered 202 opened: its Location and chunk size.
asio::awaitable<upload_session> open_session(repository_state& st, http::response resp,
                                             boost::urls::url u, std::string what) {
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
        co_await cancel_upload(st, *loc);  // the session is open on the registry
        throw error(min.error().code, what + ": " + min.error().message, diag);
    }
    co_return upload_session{*loc, *min};
}

/// Starts an upload session with POST. nullopt when the registry answered 201: the blob is
/// there already (a mount, or a single-POST upload that carried the body).
asio::awaitable<std::optional<upload_session>> start_upload(repository_state& st,
                                                            boost::urls::url u,
                                                            const auth::scope_set& scopes,
                                                            const std::string& what,
                                                            byte_source body = {}) {
    auto headers = body.empty() ? http::fields{} : octet_stream();
    auto resp = co_await st.send("POST", u, scopes, std::move(body), std::move(headers));
    if (resp.status() == 201) {
        co_await resp.discard();
        co_return std::nullopt;
    }
    if (resp.status() != 202) {
        co_await st.fail(resp, "POST", what);
    }
    co_return co_await open_session(st, std::move(resp), std::move(u), what);
}

/// The closing PUT `?digest=`, with the rest of the content as its body (or none).
asio::awaitable<void> complete_upload(repository_state& st, const boost::urls::url& location,
                                      const digest& d, byte_source body, const std::string& what) {
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
asio::awaitable<void> patch_chunks(repository_state& st, boost::urls::url& location, byte_source rd,
                                   hasher& hash, std::size_t chunk, const std::string& what) {
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
        // After a status query, distribution may still show the offset from before a PATCH that
        // was cut, then refuse the PATCH sent from there: the session is lost.
        const std::string lost = what + ": the upload cannot be resumed";
        bool resumed = false;
        for (unsigned attempt = 0; pos < filled; ++attempt) {
            std::exception_ptr broken;
            try {
                http::fields headers = octet_stream();
                headers.set("Content-Range",
                            detail::chunk_content_range(start + pos, filled - pos));
                auto body = pos == 0 ? byte_source::from_shared(data)
                                     : byte_source::from_string(data->substr(pos));
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
                    const auto& context = resumed ? lost : what;
                    co_await st.fail(resp, "PATCH", context);
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
            resumed = true;
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

/// Uploads `body` as `desc`: into `opened` when a session is open already (it is cancelled
/// when the body is refused up front), else into a new one.
asio::awaitable<void> upload_blob(std::shared_ptr<repository_state> st, descriptor desc,
                                  byte_source body, bool verify,
                                  std::optional<upload_session> opened = std::nullopt) {
    const std::string what = "cannot push blob " + desc.digest.str() + " to " + st->where();
    byte_source checked;
    std::exception_ptr refused;
    try {
        if (body.length() && *body.length() != static_cast<std::uint64_t>(desc.size)) {
            throw error(errc::size_mismatch, what + ": the content has "
                                                 + std::to_string(*body.length())
                                                 + " bytes, expected " + std::to_string(desc.size));
        }
        checked = verify ? detail::verifying_body(std::move(body), desc) : std::move(body);
    } catch (...) {
        refused = std::current_exception();
    }
    if (refused) {
        if (opened) {
            co_await cancel_upload(*st, opened->location);
        }
        std::rethrow_exception(refused);
    }
    std::optional<upload_session> session;
    if (opened) {
        session = std::move(opened);
    } else if (st->options_.single_post_max != 0
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
            // Named, not a temporary inside the co_await: GCC 12 mishandles the latter.
            auto complete = [&]() -> asio::awaitable<void> {
                co_await complete_upload(*st, session->location, desc.digest, checked, what);
            };
            co_await within_session(*st, session->location, complete);
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

asio::awaitable<void> repository::push_blob(descriptor desc, byte_source body, bool verify) {
    auto st = state_;
    // Concurrent pushes of one blob to one repository (artifacts sharing a layer) upload it
    // once, the others waiting for it: distribution mishandles simultaneous commits of one
    // digest (a HEAD answers 500, a manifest PUT then finds the blob unknown).
    auto key = desc.digest.str();
    // Another call's upload that failed may have failed for its own body's sake (bytes that
    // were not the blob's): this one then sends its own (`desc` and `body` are untouched).
    const auto upload = [&]() -> asio::awaitable<bool> {
        co_await upload_blob(st, std::move(desc), std::move(body), verify);
        co_return true;
    };
    co_await oras::detail::share_flight_or_own<bool>(st->uploads_, key, upload);
    st->remember_blob(key);
}

namespace {

/// Asks for `desc` with a mount from the repository into itself (or HEAD), then uploads what
/// `open` gives when it is missing. True when the blob was there.
asio::awaitable<bool> push_unless_present(std::shared_ptr<repository_state> st, descriptor desc,
                                          content::opener open) {
    const auto limit = st->options_.self_mount_max;
    std::optional<upload_session> session;
    if (limit != 0 && desc.size >= 0 && static_cast<std::uint64_t>(desc.size) <= limit
        && !st->self_mount_refused_) {
        const std::string what = "cannot push blob " + desc.digest.str() + " to " + st->where();
        auto u =
            detail::mount_url(boost::urls::url(st->base_url_), st->name_, desc.digest, st->name_);
        auto resp = co_await st->send("POST", u, st->push_);
        const auto status = resp.status();
        if (status == 201) {
            co_await resp.discard();
            co_return true;
        }
        if (status == 202) {
            session = co_await open_session(*st, std::move(resp), std::move(u), what);
        } else if (status >= 400 && status < 500 && status != 429) {
            // A registry that takes no `mount` (or no mount into the same repository, or not
            // with these credentials): asked the usual way from now on, which reports a real
            // refusal on its own.
            co_await resp.discard();
            st->self_mount_refused_ = true;
        } else if (status >= 500) {
            // A POST is not retried, a HEAD is: this blob is asked about the usual way (a
            // registry under load, or distribution racing a commit of the same digest).
            co_await resp.discard();
        } else {
            co_await st->fail(resp, "POST", what);
        }
    }
    if (!session) {
        auto repo = detail::repository_access::make(st);
        if (co_await repo.blob_exists(desc.digest)) {
            co_return true;
        }
    }
    std::exception_ptr failed;
    byte_source body;
    try {
        body = co_await open();
    } catch (...) {
        failed = std::current_exception();
    }
    if (failed) {
        if (session) {
            co_await asio::this_coro::reset_cancellation_state();
            co_await cancel_upload(*st, session->location);
        }
        std::rethrow_exception(failed);
    }
    const bool verify = !body.digest_checked();
    co_await upload_blob(st, std::move(desc), std::move(body), verify, std::move(session));
    co_return false;
}

}  // namespace

asio::awaitable<bool> repository::push_blob_unless_present(descriptor desc, content::opener open) {
    auto st = state_;
    auto key = desc.digest.str();
    if (st->known_blob(key)) {
        co_return true;  // see `repository_state::known_blobs_`
    }
    bool mine = false;
    const auto probe = [&]() -> asio::awaitable<bool> {
        mine = true;
        co_return co_await push_unless_present(st, std::move(desc), std::move(open));
    };
    // Another call's attempt that failed may have failed for its own source: this one then
    // tries on its own (`desc` and `open` are untouched, its probe never ran).
    const bool present = co_await oras::detail::share_flight_or_own<bool>(st->uploads_, key, probe);
    st->remember_blob(key);
    // Another call's upload of the same digest: here, it was there.
    co_return !mine || present;
}

asio::awaitable<descriptor> repository::push_blob_stream(byte_source body, std::string media_type) {
    auto st = state_;
    const std::string what = "cannot push a blob to " + st->where();
    auto hash = std::make_shared<hasher>();
    descriptor out;
    out.media_type = std::move(media_type);
    for (unsigned attempt = 0;; ++attempt) {
        auto session = co_await start_upload(*st, st->uploads_url(), st->push_, what);
        if (!session) {
            throw error(errc::invalid_response,
                        what + ": the registry completed an upload of unknown content on POST");
        }
        // The registry's minimum is what it says, not what this process can hold: each chunk
        // is one buffer, so a minimum past the bound fails here rather than allocating it.
        const auto max_chunk = std::max<std::uint64_t>(256u << 20, st->options_.chunk_size);
        if (session->chunk_min.value_or(0) > max_chunk) {
            co_await cancel_upload(*st, session->location);
            throw error(errc::invalid_response,
                        what + ": the registry asks for chunks of at least "
                            + std::to_string(*session->chunk_min)
                            + " bytes (OCI-Chunk-Min-Length), more than the "
                            + std::to_string(max_chunk) + " this client buffers");
        }
        const auto chunk = static_cast<std::size_t>(
            std::max<std::uint64_t>(st->options_.chunk_size, session->chunk_min.value_or(0)));
        auto location = session->location;
        std::exception_ptr failed;
        try {
            // Named, not a temporary inside the co_await: GCC 12 mishandles the latter.
            auto send_body = [&]() -> asio::awaitable<void> {
                if (chunk == 0) {
                    auto streamed = detail::hashing_body(body, hash);
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
                    co_await patch_chunks(*st, location, body, *hash, chunk, what);
                }
                out.size = static_cast<std::int64_t>(hash->bytes());
                out.digest = hash->finish();
                co_await complete_upload(*st, location, out.digest, {}, what);
            };
            co_await within_session(*st, location, send_body);
            co_return out;
        } catch (...) {
            failed = std::current_exception();
        }
        // Distribution cannot resume a session whose PATCH was cut mid-body: its status answers
        // 404 BLOB_UPLOAD_INVALID, the stored size no longer matching the session's state. A
        // source that can start again is then uploaded anew in a fresh session.
        if (!body.replayable() || attempt == st->options_.max_resumes || !restartable(failed)) {
            std::rethrow_exception(failed);
        }
        body.rewind();
        *hash = hasher();
    }
}

asio::awaitable<bool> repository::mount_blob(descriptor desc, std::string from_repository,
                                             std::optional<byte_source> fallback) {
    auto st = state_;
    if (auto v = validate_repository(from_repository); !v) {
        throw error(v.error());
    }
    const std::string what = "cannot mount blob " + desc.digest.str() + " from " + from_repository
                             + " into " + st->where();
    std::optional<byte_source> checked;
    if (fallback) {
        // As push_blob: bytes already checked against their digest are not hashed again.
        checked = fallback->digest_checked() ? std::move(*fallback)
                                             : detail::verifying_body(std::move(*fallback), desc);
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
    // Named, not a temporary inside the co_await: GCC 12 mishandles the latter.
    auto complete = [&]() -> asio::awaitable<void> {
        co_await complete_upload(*st, session->location, desc.digest, std::move(*checked), what);
    };
    co_await within_session(*st, session->location, complete);
    co_return false;
}

}  // namespace oras::registry

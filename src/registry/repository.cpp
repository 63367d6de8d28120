// The remote repository: blob, manifest and tag operations over the authenticating client.
#include <oras/error.hpp>
#include <oras/media_type.hpp>
#include <oras/reference.hpp>
#include <oras/registry/repository.hpp>
#include <oras/verifier.hpp>

#include "core/quote.hpp"
#include "http/policy.hpp"
#include "registry/protocol.hpp"

#include <boost/asio/this_coro.hpp>
#include <boost/url/parse.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace oras::registry {

namespace asio = boost::asio;

namespace detail {

class repository_state {
  public:
    repository_state(auth::client client, std::string_view registry, std::string_view name,
                     repository_options options)
        : client_(std::move(client)), registry_(registry), name_(name), options_(options) {
        if (auto v = validate_registry(registry_); !v) {
            throw error(v.error());
        }
        if (auto v = validate_repository(name_); !v) {
            throw error(v.error());
        }
        auto ref = reference::parse(registry_ + "/" + name_);
        if (!ref) {
            throw error(ref.error());
        }
        const bool loopback = http::detail::is_loopback_host(ref->host());
        const bool plain = options_.plain_http || (loopback && !options_.force_https);
        base_url_ = std::string(plain ? "http" : "https") + "://" + ref->endpoint();
        pull_ = {auth::repository_scope(name_, {"pull"})};
        push_ = {auth::repository_scope(name_, {"pull", "push"})};
        delete_ = {auth::repository_scope(name_, {"delete"})};
    }

    boost::urls::url url(std::string_view suffix) const {
        return boost::urls::url(base_url_ + "/v2/" + name_ + std::string(suffix));
    }

    std::string where() const { return registry_ + "/" + name_; }

    /// Reads at most `cap` bytes of an error body; the rest is not waited for.
    asio::awaitable<std::string> error_body(http::response& resp) const {
        std::string body;
        std::array<std::byte, 4096> buf{};
        try {
            while (body.size() < options_.max_error_body) {
                const auto n = co_await resp.read_some(std::span(buf).first(
                    std::min(buf.size(), options_.max_error_body - body.size())));
                if (n == 0) {
                    co_return body;
                }
                body.append(reinterpret_cast<const char*>(buf.data()), n);
            }
        } catch (const std::exception&) {
            // The status is the error; a body cut short only loses detail.
        }
        resp.abandon();
        co_return body;
    }

    /// Throws the registry's error for an unexpected status.
    asio::awaitable<void> fail(http::response& resp, std::string_view method,
                               std::string what) const {
        const auto body = co_await error_body(resp);
        throw detail::status_error(method, resp.url(), resp.status(), resp.headers(), body, what);
    }

    asio::awaitable<http::response> send(std::string method, boost::urls::url u,
                                         const auth::scope_set& scopes, http::body_source body = {},
                                         http::fields headers = {}) {
        http::request req;
        req.method = std::move(method);
        req.url = std::move(u);
        req.headers = std::move(headers);
        req.body = std::move(body);
        co_return co_await client_.send(std::move(req), scopes);
    }

    auth::client client_;
    std::string registry_;
    std::string name_;
    std::string base_url_;
    repository_options options_;
    auth::scope_set pull_;
    auth::scope_set push_;
    auth::scope_set delete_;
};

namespace {

/// A body source read in order: files with pread (a file range is never read whole), memory by
/// slices, streams as they are. `rewind` is empty when the source cannot start again.
struct reader {
    http::body_source::generator next;
    std::function<void()> rewind;
};

reader reader_of(const http::body_source& src) {
    if (const auto* f = std::get_if<http::body_source::file_range>(&src.source())) {
        struct file_state {
            std::filesystem::path path;
            int fd = -1;
            std::uint64_t offset = 0;
            std::uint64_t remaining = 0;
            ~file_state() {
                if (fd >= 0) {
                    ::close(fd);
                }
            }
        };
        auto st = std::make_shared<file_state>();
        st->path = f->path;
        st->offset = f->offset;
        st->remaining = f->length;
        auto rewind = [st, offset = f->offset, length = f->length] {
            st->offset = offset;
            st->remaining = length;
        };
        auto next = [st](std::span<std::byte> buf) -> asio::awaitable<std::size_t> {
            if (st->fd < 0) {
                st->fd = ::open(st->path.c_str(), O_RDONLY | O_CLOEXEC);
                if (st->fd < 0) {
                    throw error(errc::invalid_argument,
                                "cannot open " + st->path.string() + ": " + std::strerror(errno));
                }
            }
            const auto want =
                static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), st->remaining));
            std::size_t n = 0;
            while (n < want) {
                const auto r =
                    ::pread(st->fd, buf.data() + n, want - n, static_cast<off_t>(st->offset + n));
                if (r < 0 && errno == EINTR) {
                    continue;
                }
                if (r <= 0) {
                    throw error(errc::size_mismatch,
                                st->path.string() + " shrank or failed while it was uploaded");
                }
                n += static_cast<std::size_t>(r);
            }
            st->offset += n;
            st->remaining -= n;
            co_return n;
        };
        return {std::move(next), std::move(rewind)};
    }
    if (const auto* s = std::get_if<http::body_source::stream>(&src.source())) {
        return {s->next, s->rewind};
    }
    std::shared_ptr<const std::string> data;
    if (const auto* m = std::get_if<http::body_source::memory>(&src.source())) {
        data = m->data;
    }
    auto pos = std::make_shared<std::size_t>(0);
    auto next = [data, pos](std::span<std::byte> buf) -> asio::awaitable<std::size_t> {
        const std::size_t n = data ? std::min(buf.size(), data->size() - *pos) : 0;
        if (n != 0) {
            std::memcpy(buf.data(), data->data() + *pos, n);
            *pos += n;
        }
        co_return n;
    };
    return {std::move(next), [pos] { *pos = 0; }};
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
    struct check_state {
        verifier check;
        std::int64_t size = 0;
        bool finished = false;
    };
    auto st = std::make_shared<check_state>(
        check_state{verifier(desc.digest, desc.size), desc.size, false});
    auto rd = reader_of(src);
    auto next = [st, read = rd.next](std::span<std::byte> buf) -> asio::awaitable<std::size_t> {
        const auto n = st->finished ? 0 : co_await read(buf);
        if (auto ok = st->check.update(buf.first(n)); !ok) {
            throw error(ok.error());
        }
        if (!st->finished && (n == 0 || st->check.received() == st->size)) {
            st->finished = true;
            if (auto ok = st->check.finish(); !ok) {
                throw error(ok.error());
            }
        }
        co_return n;
    };
    std::function<void()> rewind;
    if (rd.rewind) {
        // A replay (a retry after a dropped connection) hashes from the first byte again.
        rewind = [st, inner = rd.rewind, d = desc.digest, size = desc.size] {
            inner();
            st->check = verifier(d, size);
            st->finished = false;
        };
    }
    return http::body_source::from_generator(std::move(next), src.length(), std::move(rewind));
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
    auto next = [hash, read = rd.next](std::span<std::byte> buf) -> asio::awaitable<std::size_t> {
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
    auto resp = co_await st->send("HEAD", st->url("/blobs/" + d.str()), st->pull_);
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

asio::awaitable<void> repository::fetch_blob(descriptor desc, blob_sink sink) {
    auto st = state_;
    auto resp = co_await st->send("GET", st->url("/blobs/" + desc.digest.str()), st->pull_);
    if (resp.status() != 200) {
        co_await st->fail(resp, "GET",
                          "cannot fetch blob " + desc.digest.str() + " from " + st->where());
    }
    const auto mismatch = [&](const failure& f) {
        resp.abandon();
        return error(f.code,
                     "blob " + desc.digest.str() + " from " + st->where() + ": " + f.message,
                     diagnostics{"GET", resp.status(), redact_url(resp.url().buffer()), {}});
    };
    if (const auto len = resp.content_length();
        len && *len != static_cast<std::uint64_t>(desc.size)) {
        throw mismatch(failure{make_error_code(errc::size_mismatch),
                               "the registry announced " + std::to_string(*len)
                                   + " bytes, expected " + std::to_string(desc.size)});
    }
    verifier check(desc.digest, desc.size);
    // Sized to the blob (small blobs are the common case in bulk pulls) and not zero-filled.
    const auto buf_size =
        static_cast<std::size_t>(std::clamp<std::int64_t>(desc.size + 1, 4096, 1024 * 1024));
    const auto buf_data = std::make_unique_for_overwrite<std::byte[]>(buf_size);
    const std::span<std::byte> buf(buf_data.get(), buf_size);
    for (;;) {
        const auto n = co_await resp.read_some(buf);
        if (n == 0) {
            break;
        }
        const auto chunk = std::span<const std::byte>(buf).first(n);
        if (auto ok = check.update(chunk); !ok) {
            throw mismatch(ok.error());
        }
        co_await sink(chunk);
    }
    if (auto ok = check.finish(); !ok) {
        throw mismatch(ok.error());
    }
}

namespace {

/// Starts an upload session; returns its location, or nullopt when a mount answered 201.
asio::awaitable<std::optional<boost::urls::url>> start_upload(repository_state& st,
                                                              boost::urls::url u,
                                                              const auth::scope_set& scopes,
                                                              std::string what) {
    auto resp = co_await st.send("POST", u, scopes);
    if (resp.status() == 201) {
        co_await resp.discard();
        co_return std::nullopt;
    }
    if (resp.status() != 202) {
        co_await st.fail(resp, "POST", std::move(what));
    }
    auto loc = detail::resolve_upload_location(resp.headers().get("Location"), resp.url());
    co_await resp.discard();
    if (!loc) {
        throw error(loc.error().code, what + ": " + loc.error().message,
                    diagnostics{"POST", 202, redact_url(u.buffer()), {}});
    }
    co_return *loc;
}

/// Best effort: a failed upload's session is cancelled so the registry can free it.
asio::awaitable<void> cancel_upload(repository_state& st, boost::urls::url location) {
    try {
        auto resp = co_await st.send("DELETE", std::move(location), st.push_);
        co_await resp.discard();
    } catch (const std::exception&) {
    }
}

}  // namespace

asio::awaitable<void> repository::push_blob(descriptor desc, http::body_source body) {
    auto st = state_;
    const std::string what = "cannot push blob " + desc.digest.str() + " to " + st->where();
    if (body.length() && *body.length() != static_cast<std::uint64_t>(desc.size)) {
        throw error(errc::size_mismatch, what + ": the content has "
                                             + std::to_string(*body.length()) + " bytes, expected "
                                             + std::to_string(desc.size));
    }
    auto checked = detail::verifying_body(std::move(body), desc);
    auto location = co_await start_upload(*st, st->url("/blobs/uploads/"), st->push_, what);
    if (!location) {
        co_return;  // a registry that completed the upload on POST alone
    }
    auto put_url = *location;
    put_url.params().append({"digest", desc.digest.str()});
    http::fields headers;
    headers.set("Content-Type", "application/octet-stream");
    std::exception_ptr failed;
    try {
        auto resp =
            co_await st->send("PUT", put_url, st->push_, std::move(checked), std::move(headers));
        if (resp.status() != 201) {
            co_await st->fail(resp, "PUT", what);
        }
        if (auto d = resp.headers().find("Docker-Content-Digest"); d && *d != desc.digest.str()) {
            throw error(errc::digest_mismatch,
                        what + ": the registry stored it as " + oras::detail::quote(*d));
        }
        co_await resp.discard();
        co_return;
    } catch (...) {
        failed = std::current_exception();
    }
    co_await cancel_upload(*st, *location);
    std::rethrow_exception(failed);
}

asio::awaitable<descriptor> repository::push_blob_stream(http::body_source body,
                                                         std::string media_type) {
    auto st = state_;
    const std::string what = "cannot push a blob to " + st->where();
    auto hash = std::make_shared<hasher>();
    auto wrapped = detail::hashing_body(std::move(body), hash);
    auto location = co_await start_upload(*st, st->url("/blobs/uploads/"), st->push_, what);
    if (!location) {
        throw error(errc::invalid_response, what + ": the registry completed an upload of "
                                                   "unknown content on POST");
    }
    std::exception_ptr failed;
    try {
        http::fields headers;
        headers.set("Content-Type", "application/octet-stream");
        auto patched = co_await st->send("PATCH", *location, st->push_, std::move(wrapped),
                                         std::move(headers));
        if (patched.status() != 202) {
            co_await st->fail(patched, "PATCH", what);
        }
        auto next =
            detail::resolve_upload_location(patched.headers().get("Location"), patched.url());
        co_await patched.discard();
        if (!next) {
            throw error(next.error().code, what + ": " + next.error().message);
        }
        descriptor out;
        out.media_type = std::move(media_type);
        out.size = static_cast<std::int64_t>(hash->bytes());
        out.digest = hash->finish();
        auto put_url = *next;
        put_url.params().append({"digest", out.digest.str()});
        location = *next;
        auto done = co_await st->send("PUT", put_url, st->push_);
        if (done.status() != 201) {
            co_await st->fail(done, "PUT", what);
        }
        co_await done.discard();
        co_return out;
    } catch (...) {
        failed = std::current_exception();
    }
    co_await cancel_upload(*st, *location);
    std::rethrow_exception(failed);
}

asio::awaitable<bool> repository::mount_blob(descriptor desc, std::string from_repository) {
    auto st = state_;
    if (auto v = validate_repository(from_repository); !v) {
        throw error(v.error());
    }
    auto u = st->url("/blobs/uploads/");
    u.params().append({"mount", desc.digest.str()});
    u.params().append({"from", from_repository});
    auto scopes = st->push_;
    scopes.add(auth::repository_scope(from_repository, {"pull"}));
    auto location = co_await start_upload(*st, u, scopes,
                                          "cannot mount blob " + desc.digest.str() + " from "
                                              + from_repository + " into " + st->where());
    if (!location) {
        co_return true;
    }
    co_await cancel_upload(*st, *location);
    co_return false;
}

asio::awaitable<void> repository::delete_blob(digest d) {
    auto st = state_;
    auto resp = co_await st->send("DELETE", st->url("/blobs/" + d.str()), st->delete_);
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
    auto resp = co_await st->send("HEAD", st->url("/manifests/" + reference), st->pull_, {},
                                  manifest_headers());
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
    auto resp = co_await st->send("GET", st->url("/manifests/" + reference), st->pull_, {},
                                  manifest_headers());
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
    auto st = state_;
    if (!media_type::is_valid(media_type)) {
        throw error(errc::invalid_media_type, "cannot push a manifest with the media type "
                                                  + oras::detail::quote(media_type));
    }
    descriptor out;
    out.media_type = media_type;
    out.digest = digest::of(bytes);
    out.size = static_cast<std::int64_t>(bytes.size());
    if (reference.empty()) {
        reference = out.digest.str();
    } else {
        check_reference(reference);
        if (const auto expected = digest_in(reference); expected && *expected != out.digest) {
            throw error(errc::digest_mismatch, "cannot push a manifest as " + reference
                                                   + ": its bytes hash to " + out.digest.str());
        }
    }
    http::fields headers;
    headers.set("Content-Type", media_type);
    auto resp =
        co_await st->send("PUT", st->url("/manifests/" + reference), st->push_,
                          http::body_source::from_string(std::move(bytes)), std::move(headers));
    if (resp.status() != 201) {
        co_await st->fail(resp, "PUT",
                          "cannot push manifest " + out.digest.str() + " to " + st->where());
    }
    if (auto d = resp.headers().find("Docker-Content-Digest"); d && *d != out.digest.str()) {
        throw error(errc::digest_mismatch, "pushed manifest " + out.digest.str() + " to "
                                               + st->where() + " but the registry stored "
                                               + oras::detail::quote(*d));
    }
    co_await resp.discard();
    co_return out;
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
    auto resp = co_await st->send("DELETE", st->url("/manifests/" + d.str()), st->delete_);
    if (resp.status() != 202 && resp.status() != 200) {
        co_await st->fail(resp, "DELETE",
                          "cannot delete manifest " + d.str() + " in " + st->where());
    }
    co_await resp.discard();
}

asio::awaitable<std::vector<std::string>> repository::tags() {
    auto st = state_;
    std::vector<std::string> out;
    auto u = st->url("/tags/list");
    if (st->options_.page_size != 0) {
        u.params().append({"n", std::to_string(st->options_.page_size)});
    }
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
        auto next = detail::parse_link_next(resp.headers().get_all("Link"), resp.url());
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

// The remote repository: construction, accessors, and reading blobs (exists, open, fetch, ranges,
// delete). Uploads are in blob_upload.cpp, manifests in manifests.cpp, tags in tags.cpp, the
// parallel ranged download in blob_download.cpp.
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

/// Sends GET for a blob from byte `offset` (0: the whole blob) and returns a response whose body
/// starts at `offset`: a 206 whose Content-Range starts there, or a 200 whose first `offset`
/// bytes were skipped (a registry that ignores Range).
asio::awaitable<http::response> get_blob_from(repository_state& st, const digest& d,
                                              std::uint64_t offset, std::string_view what) {
    http::fields headers;
    // A registry (or proxy) that answered a Range request with other bytes is asked for the
    // whole blob instead, whose first `offset` bytes are skipped below.
    if (offset != 0 && !st.ranges_ignored_) {
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

asio::awaitable<byte_source> open_rest(std::shared_ptr<repository_state> st, descriptor desc,
                                       std::uint64_t offset) {
    auto repo = detail::repository_access::make(std::move(st));
    co_return co_await repo.open_blob_from(std::move(desc), offset);
}

}  // namespace

asio::awaitable<byte_source> repository::open_blob(descriptor desc) {
    const auto what = "blob " + desc.digest.str() + " from " + state_->where();
    const auto& o = state_->options_;
    if (o.parallel_download_min_size != 0 && desc.size > 0
        && static_cast<std::uint64_t>(desc.size) >= o.parallel_download_min_size
        && o.parallel_download_parts >= 2 && !state_->ranges_ignored_) {
        detail::rest_opener rest = [st = state_, desc](std::uint64_t offset) {
            return open_rest(st, desc, offset);
        };
        auto opened = co_await detail::open_striped(
            state_, desc, o.parallel_download_parts, o.parallel_download_chunk,
            o.parallel_download_fast_rate, o.parallel_download_max_blobs, std::move(rest));
        if (opened.ranges_ignored) {
            state_->ranges_ignored_ = true;
        }
        co_return content::verified(std::move(opened.reader), desc, what);
    }
    auto raw = co_await open_blob_from(desc, 0);
    co_return content::verified(std::move(raw), desc, what);
}

asio::awaitable<byte_source> repository::open_blob_from(descriptor desc, std::uint64_t offset) {
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
    auto next = [st, start](std::span<std::byte> buf) -> asio::awaitable<std::size_t> {
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
    auto rewind = [st, offset] {
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
    co_return byte_source::from_generator(
        std::move(next), static_cast<std::uint64_t>(desc.size) - offset, std::move(rewind));
}

asio::awaitable<void> repository::fetch_blob(descriptor desc, byte_sink sink) {
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
                                                   std::uint64_t length, byte_sink sink) {
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

asio::awaitable<void> repository::delete_blob(digest d) {
    auto st = state_;
    st->forget_blob(d.str());
    auto resp = co_await st->send("DELETE", st->blob_url(d), st->delete_);
    // Again: a push that found the blob present while the DELETE was on its way remembered it.
    st->forget_blob(d.str());
    if (resp.status() != 202 && resp.status() != 200) {
        co_await st->fail(resp, "DELETE", "cannot delete blob " + d.str() + " in " + st->where());
    }
    co_await resp.discard();
}

}  // namespace oras::registry

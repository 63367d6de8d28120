// Manifests: resolve, fetch, push (with tags and the referrers fallback), delete.
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

using detail::repository_state;

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
        co_await st->fail(
            resp, "HEAD",
            "cannot resolve " + st->where() + (digest_in(reference) ? "@" : ":") + reference);
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
        throw error(d.error().code,
                    st->where() + (expected ? "@" : ":") + reference + ": " + d.error().message);
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
    std::optional<digest> announced;
    if (const auto header = resp.headers().find("Docker-Content-Digest")) {
        auto d = detail::parse_content_digest(*header);
        if (!d) {
            throw error(d.error().code, "manifest " + what + ": " + d.error().message, diag);
        }
        announced = *d;
    }
    // By tag, the bytes are hashed with the registry's algorithm, so that its digest is checked
    // and kept (what resolve reports for the same tag).
    const auto algorithm = expected    ? expected->algorithm()
                           : announced ? announced->algorithm()
                                       : digest_algorithm::sha256;
    out.desc.digest = digest::of(out.bytes, algorithm);
    out.desc.size = static_cast<std::int64_t>(out.bytes.size());
    if (expected && out.desc.digest != *expected) {
        throw error(errc::digest_mismatch,
                    "manifest " + what + " has the digest " + out.desc.digest.str(), diag);
    }
    if (const auto& d = announced) {
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
                                      byte_source::from_shared(shared), std::move(headers));
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

}  // namespace oras::registry

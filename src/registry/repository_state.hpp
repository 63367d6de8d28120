// Internal: what a repository and its copies share, for the translation units of the registry
// layer (blobs, manifests and tags in repository.cpp; referrers in referrers.cpp).
#pragma once

#include <oras/error.hpp>
#include <oras/reference.hpp>
#include <oras/registry/repository.hpp>

#include "core/async/keyed_mutex.hpp"
#include "core/async/shared_flight.hpp"
#include "registry/protocol.hpp"

#include <array>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>

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
        auto base = registry_base_url(registry_, options_.plain_http, options_.force_https);
        if (!base) {
            throw error(base.error());
        }
        base_url_ = std::move(*base);
        pull_ = {auth::repository_scope(name_, {"pull"})};
        push_ = {auth::repository_scope(name_, {"pull", "push"})};
        delete_ = {auth::repository_scope(name_, {"delete"})};
        switch (options_.referrers) {
            case referrers_capability::api:
                referrers_ = referrers_mode::api;
                referrers_fixed_ = true;
                break;
            case referrers_capability::tag_schema:
                referrers_ = referrers_mode::fallback;
                referrers_fixed_ = true;
                break;
            case referrers_capability::automatic:
                break;
        }
    }

    // Every URL comes from the protocol's tested builders (protocol.hpp).
    boost::urls::url blob_url(const digest& d) const {
        return detail::blob_url(boost::urls::url_view(base_url_), name_, d);
    }
    boost::urls::url manifest_url(std::string_view reference) const {
        return detail::manifest_url(boost::urls::url_view(base_url_), name_, reference);
    }
    boost::urls::url uploads_url() const {
        return detail::upload_start_url(boost::urls::url_view(base_url_), name_);
    }
    boost::urls::url tags_url(std::size_t n) const {
        return detail::tags_url(boost::urls::url_view(base_url_), name_, n);
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
                                         const auth::scope_set& scopes, byte_source body = {},
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

    /// How this repository's referrers are found; learned once (referrers.cpp).
    enum class referrers_mode { unknown, api, fallback };
    referrers_mode referrers_ = referrers_mode::unknown;
    /// Set by `repository_options::referrers`: never learned or overridden.
    bool referrers_fixed_ = false;
    /// Blob uploads in flight, by digest: a second push of one blob waits for the first.
    oras::detail::flight_map<bool> uploads_{};

    /// Blobs this process uploaded to, or found in, this repository lately: pushed again, they
    /// are known to be there and are not asked about. Asking would mount such a blob into the
    /// repository once more, and distribution rewrites its link file then (truncated, then
    /// written): a manifest PUT that reads it meanwhile finds the blob unknown (artifacts sharing
    /// a blob, pushed at once). Known for `known_blob_time` only, in case it is deleted (or
    /// collected) behind this process's back; at most `max_known_blobs`.
    static constexpr std::chrono::seconds known_blob_time{60};
    static constexpr std::size_t max_known_blobs = 65536;
    std::unordered_map<std::string, std::chrono::steady_clock::time_point> known_blobs_{};

    bool known_blob(const std::string& digest) const {
        const auto it = known_blobs_.find(digest);
        return it != known_blobs_.end()
               && std::chrono::steady_clock::now() - it->second < known_blob_time;
    }
    void remember_blob(const std::string& digest) {
        if (known_blobs_.size() >= max_known_blobs) {
            known_blobs_.clear();  // a bound, not knowledge worth keeping
        }
        known_blobs_.insert_or_assign(digest, std::chrono::steady_clock::now());
    }
    void forget_blob(const std::string& digest) { known_blobs_.erase(digest); }
    /// In-process locks that serialise updates of a fallback referrers index per subject (and
    /// the capability probe); made on first use by referrers.cpp, shared by copies.
    std::shared_ptr<oras::detail::keyed_mutex> referrers_locks_{};
    /// Set once the registry answered a Range request with a whole blob: parallel downloads
    /// are not tried again (blob_download.cpp).
    bool ranges_ignored_ = false;
    /// Set once the registry refused a mount from this repository into itself (a 4xx): blobs
    /// are then checked with HEAD before they are pushed (blob_upload.cpp).
    bool self_mount_refused_ = false;
};

/// A repository handle over an existing state, for the layer's own translation units.
struct repository_access {
    static repository make(std::shared_ptr<repository_state> st) {
        return repository(std::move(st));
    }
};

/// A manifest that refers to a subject (referrers.cpp).
struct referrer_link {
    descriptor manifest{};  ///< with artifactType and annotations, as listed in an index
    oras::digest subject{};
};

/// The subject link of manifest bytes just pushed as `pushed`, if they have a subject.
std::optional<referrer_link> referrer_of(const descriptor& pushed, std::string_view bytes);

/// After a manifest with a subject was pushed: on registries without the referrers API, adds it
/// to the subject's fallback index. `indexed_by_registry`: the PUT response carried
/// `OCI-Subject` (the registry has the API and indexed it itself).
asio::awaitable<void> index_referrer(std::shared_ptr<repository_state> st, referrer_link link,
                                     bool indexed_by_registry);

/// Before deleting manifest `d`: what it refers to, when a fallback index may need upkeep
/// (fetches the manifest unless the repository is known to have the referrers API).
asio::awaitable<std::optional<referrer_link>> referrer_before_delete(
    std::shared_ptr<repository_state> st, oras::digest d);

/// After that manifest was deleted: removes it from its subject's fallback index.
asio::awaitable<void> unindex_referrer(std::shared_ptr<repository_state> st, referrer_link link);

}  // namespace detail
}  // namespace oras::registry

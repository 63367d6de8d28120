// client: the HTTP client with registry authentication on top (Basic and Bearer tokens).
#pragma once

#include <oras/auth/credential_store.hpp>
#include <oras/auth/scope.hpp>
#include <oras/auth/token_cache.hpp>
#include <oras/http/client.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <memory>
#include <string>

#pragma GCC visibility push(default)

namespace oras::auth {

// Internal state, not exported.
#pragma GCC visibility push(hidden)
namespace detail {
class client_state;
}
#pragma GCC visibility pop

/// How an `auth::client` finds credentials and asks token services for tokens. Every field has a
/// default.
struct client_options {
    /// Where credentials come from; null: anonymous only.
    std::shared_ptr<credential_store> credentials{};
    /// `client_id` sent with OAuth2 form requests to token services.
    std::string client_id = "oras-cpp";
    /// Exchange a username and password through an OAuth2 POST (`grant_type=password`) instead
    /// of a GET with Basic credentials. Identity (refresh) tokens always use the POST form.
    bool force_oauth2 = false;
    /// Token cache policy (refresh margin before expiry, lifetime assumed when none is given).
    token_cache::options cache{};
    /// Largest token response accepted.
    std::size_t max_token_response = 128 * 1024;
};

/// Counters for tests and benchmarks.
struct client_stats {
    std::size_t challenges = 0;      ///< 401 answers that carried a challenge
    std::size_t retried = 0;         ///< requests sent again after answering a challenge
    std::size_t token_requests = 0;  ///< requests to token services
    std::size_t discoveries = 0;     ///< `GET /v2/` sent to learn a registry's scheme first
    /// Calls of the credential store's `get`: one per registry until `clear()` (concurrent
    /// requests share one), again after a failed lookup.
    std::size_t credential_lookups = 0;
    /// Requests that waited for an earlier one to learn the registry's scheme instead of being
    /// challenged themselves.
    std::size_t held = 0;
};

/// Sends registry requests with the right Authorization, learning each registry's scheme from
/// its challenges:
///
/// - Basic: the registry's credentials, sent before any challenge once the scheme is known.
/// - Bearer: a token from the realm the challenge names (GET with `service` and `scope`, Basic
///   credentials if any; or an OAuth2 POST with a refresh token or a password), cached by
///   registry and scope set until shortly before it expires. Concurrent requests that need the
///   same token share one fetch. A 401 with `insufficient_scope` or `invalid_token` gets a new
///   token for the scopes the operation and the challenge name together, and one retry.
///
/// Each request names the scopes its operation needs (`repository:R:pull`, ...), so a request is
/// normally authorised before it is sent: no 401 round trip. A request with a body to a registry
/// whose scheme is not known yet first learns it with `GET /v2/`, so a large body is never sent
/// twice because of authentication; a body that cannot be replayed is never re-sent at all (the
/// 401 is returned).
///
/// Safety: tokens realms must be http or https, and https when the registry is; credentials go
/// only to the registry they belong to and the realm it names; a token is sent only to the
/// registry (scheme, host, port) it was issued for. Redirects to another origin never carry
/// Authorization (the HTTP client drops it).
///
/// Threading: like `http::client`, run it on one strand. Copies share state.
class client {
  public:
    /// Sends through `http` (a copy: copies of an HTTP client share its pools). Nothing is sent
    /// and no credential is looked up before the first request.
    explicit client(http::client http, client_options options = {});

    /// Sends `req` authorised for `scopes` and returns once the response head has arrived.
    /// A 401 that could not be answered is returned, not thrown, so that the caller can report
    /// it with its own context. Throws `oras::error` when a token could not be had (with the
    /// token service's answer in the diagnostics) or the credential store failed.
    ///
    /// Lifetime: `req` is moved in; `scopes` is copied before the first suspension.
    boost::asio::awaitable<http::response> send(http::request req, scope_set scopes);

    /// Like `send`, reading the whole body under `limit` (the HTTP client's default when 0).
    boost::asio::awaitable<http::client::buffered_response> fetch(http::request req,
                                                                  scope_set scopes,
                                                                  std::size_t limit = 0);

    /// Forgets cached tokens, schemes and credentials of every registry.
    void clear();

    /// The HTTP client requests go through, shared by every copy of this client.
    http::client& http() noexcept;
    /// As given at construction.
    const client_options& options() const noexcept;
    /// A snapshot of the counters, which every copy of this client adds to.
    client_stats stats() const noexcept;

  private:
    std::shared_ptr<detail::client_state> state_;
};

}  // namespace oras::auth

#pragma GCC visibility pop

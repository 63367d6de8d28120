// login and logout: verify credentials against a registry, then keep or forget them.
#pragma once

#include <oras/auth/credential_store.hpp>
#include <oras/detail/async.hpp>
#include <oras/http/client.hpp>
#include <oras/registry/repository.hpp>
#include <oras/result.hpp>

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

#pragma GCC visibility push(default)

namespace oras::registry {

/// How `login` reaches the registry, and whether it keeps the credentials.
struct login_options {
    /// The scheme, as for any repository of the registry: https, except plain http with
    /// `plain_http` or for a loopback host (localhost, 127.0.0.0/8, ::1) unless `force_https`.
    /// Other fields (`max_error_body`, ...) apply to the check as well.
    repository_options repository{};
    /// Save the credentials after verifying them. False: only verify.
    bool save = true;
    /// Passed to the token service with OAuth2 requests.
    std::string client_id = "oras-cpp";
};

/// Verifies `cred` against `registry` (host[:port]) with the registry's `ping` (`GET /v2/`),
/// offering `cred` to that registry only, by Basic or through a token from its realm. Then
/// saves them in `store` (a helper, or Docker's config file).
///
/// Throws `oras::error`: `errc::unauthorized` when the registry or its token service refuses
/// them (the message names the registry and the user, never the password), `invalid_reference`
/// for an invalid host, other codes when the registry cannot be reached or the store fails. A
/// registry that asks for no authentication at all accepts any credentials, as with
/// `docker login`.
///
/// Lifetime: `store` is shared until the returned awaitable completes; the http client is
/// copied (copies share their connection pools).
boost::asio::awaitable<void> login(http::client http, std::string registry, auth::credential cred,
                                   std::shared_ptr<auth::credential_store> store,
                                   login_options options);
/// `login` with default options (an overload, not a default argument: GCC 12 destroys a default
/// argument's temporary twice inside a `co_await`).
inline boost::asio::awaitable<void> login(http::client http, std::string registry,
                                          auth::credential cred,
                                          std::shared_ptr<auth::credential_store> store) {
    return login(std::move(http), std::move(registry), std::move(cred), std::move(store),
                 login_options{});
}

/// Completion-token form of `login`. With the default `deferred` (or `use_awaitable`) it is an
/// `awaitable<void>` to `co_await` on `http`'s executor; any other token runs it there with the
/// handler signature `void(std::exception_ptr)`. Everything it needs is moved into it.
template <class Token = boost::asio::deferred_t>
auto async_login(http::client http, std::string registry, auth::credential cred,
                 std::shared_ptr<auth::credential_store> store, login_options options,
                 Token&& token = {}) {
    auto ex = http.get_executor();
    return oras::detail::start(std::move(ex),
                               login(std::move(http), std::move(registry), std::move(cred),
                                     std::move(store), std::move(options)),
                               std::forward<Token>(token));
}
/// `async_login` with default options.
template <class Token = boost::asio::deferred_t>
requires(!std::is_convertible_v<Token, login_options>) auto async_login(
    http::client http, std::string registry, auth::credential cred,
    std::shared_ptr<auth::credential_store> store, Token&& token = {}) {
    return async_login(std::move(http), std::move(registry), std::move(cred), std::move(store),
                       login_options{}, std::forward<Token>(token));
}

/// Forgets the credentials of `registry` in `store` (a helper's `erase`, or the config file's
/// entry). Fails with `errc::not_found` when none were stored. Blocking.
result<void> logout(std::string_view registry, auth::credential_store& store);

}  // namespace oras::registry

#pragma GCC visibility pop

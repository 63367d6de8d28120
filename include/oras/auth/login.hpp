// login and logout: verify credentials against a registry, then keep or forget them.
#pragma once

#include <oras/auth/credential_store.hpp>
#include <oras/http/client.hpp>

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <string>
#include <string_view>

#pragma GCC visibility push(default)

namespace oras::auth {

/// How `login` reaches the registry, and whether it keeps the credentials.
struct login_options {
    /// "https" or "http". Empty: https, except plain http for loopback hosts (localhost,
    /// 127.0.0.0/8, ::1), the way `http::detail::default_scheme` picks.
    std::string scheme{};
    /// Save the credentials after verifying them. False: only verify.
    bool save = true;
    /// Passed to the token service with OAuth2 requests.
    std::string client_id = "oras-cpp";
};

/// Verifies `cred` against `registry` (host[:port]): `GET /v2/` must answer 200 when the
/// registry's challenge is answered with them (Basic directly, or through a token from its
/// realm). Then saves them in `store` (a helper, or Docker's config file).
///
/// Throws `oras::error`: `errc::unauthorized` when the registry or its token service refuses
/// them (the message names the registry and the user, never the password), other codes when the
/// registry cannot be reached or the store fails. A registry that asks for no authentication at
/// all accepts any credentials, as with `docker login`.
///
/// Lifetime: `store` must stay valid until the returned awaitable completes; the http client
/// is copied (copies share their connection pools).
boost::asio::awaitable<void> login(http::client http, std::string registry, credential cred,
                                   std::shared_ptr<credential_store> store,
                                   login_options options = {});

/// Forgets the credentials of `registry` in `store` (a helper's `erase`, or the config file's
/// entry). Fails with `errc::not_found` when none were stored. Blocking.
result<void> logout(std::string_view registry, credential_store& store);

}  // namespace oras::auth

#pragma GCC visibility pop

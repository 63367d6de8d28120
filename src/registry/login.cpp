#include <oras/auth/client.hpp>
#include <oras/error.hpp>
#include <oras/reference.hpp>
#include <oras/registry/login.hpp>
#include <oras/registry/registry.hpp>

#include "core/async/run_blocking.hpp"
#include "core/quote.hpp"

#include <functional>
#include <utility>

namespace oras::registry {

namespace asio = boost::asio;

asio::awaitable<void> login(http::client http, std::string host, auth::credential cred,
                            std::shared_ptr<auth::credential_store> store, login_options options) {
    if (auto valid = validate_registry(host); !valid) {
        throw error(valid.error().code, "login: " + valid.error().message);
    }
    if (cred.empty()) {
        throw error(errc::invalid_argument, "login to " + host + ": no credentials given");
    }
    auth::client_options copts;
    copts.credentials = std::make_shared<auth::static_credentials>(host, cred);
    copts.client_id = options.client_id;
    registry reg(auth::client(std::move(http), std::move(copts)), host, options.repository);
    const std::string who = cred.username.empty() || cred.username == "<token>"
                                ? std::string("the identity token")
                                : "user " + oras::detail::quote(cred.username);
    try {
        co_await reg.ping();
    } catch (const error& e) {
        // The cause's text (with its request summary) stays in the message; its diagnostics
        // are not repeated beside it.
        if (e.code() == errc::unauthorized || e.code() == errc::denied) {
            throw error(errc::unauthorized, "login to " + host + " failed: the registry refused "
                                                + who + ": " + e.what());
        }
        throw error(e.code(), "login to " + host + " failed: " + e.what());
    }
    if (!options.save) {
        co_return;
    }
    // Named, not a temporary inside the co_await: GCC 12 mishandles the latter.
    std::function<result<void>()> save = [store, host, cred] { return store->store(host, cred); };
    auto saved = co_await oras::detail::run_blocking<result<void>>(std::move(save));
    if (!saved) {
        throw error(saved.error().code, "login to " + host
                                            + " succeeded but the credentials were not saved: "
                                            + saved.error().message);
    }
}

result<void> logout(std::string_view registry, auth::credential_store& store) {
    if (auto valid = validate_registry(registry); !valid) {
        return valid.error();
    }
    return store.erase(registry);
}

}  // namespace oras::registry

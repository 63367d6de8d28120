#include <oras/auth/client.hpp>
#include <oras/auth/login.hpp>
#include <oras/error.hpp>
#include <oras/reference.hpp>

#include "auth/run_blocking.hpp"
#include "core/quote.hpp"
#include "http/policy.hpp"

namespace oras::auth {

namespace asio = boost::asio;

boost::asio::awaitable<void> login(http::client http, std::string registry, credential cred,
                                   std::shared_ptr<credential_store> store, login_options options) {
    if (auto valid = validate_registry(registry); !valid) {
        throw error(valid.error().code, "login: " + valid.error().message);
    }
    if (cred.empty()) {
        throw error(errc::invalid_argument, "login to " + registry + ": no credentials given");
    }
    std::string scheme = options.scheme;
    if (scheme.empty()) {
        auto origin = http::detail::origin_of(boost::urls::url("http://" + registry + "/"));
        if (!origin) {
            throw error(errc::invalid_argument, "login: " + origin.error().message);
        }
        scheme = http::detail::default_scheme(origin->host, false);
    }
    if (scheme != "https" && scheme != "http") {
        throw error(errc::invalid_argument, "login to " + registry
                                                + ": scheme must be http or https, not "
                                                + oras::detail::quote(scheme));
    }
    boost::urls::url url(scheme + "://" + registry + "/v2/");

    client_options copts;
    copts.credentials = std::make_shared<static_credentials>(registry, cred);
    copts.client_id = options.client_id;
    client verifier(std::move(http), std::move(copts));
    http::request req;
    req.method = "GET";
    req.url = url;
    const std::string who = cred.username.empty() || cred.username == "<token>"
                                ? std::string("the identity token")
                                : "user " + oras::detail::quote(cred.username);
    {
        auto resp = co_await verifier.fetch(std::move(req), {}, 8 * 1024);
        if (resp.status == 401 || resp.status == 403) {
            diagnostics diag{"GET", resp.status, redact_url(resp.url.buffer()), {}};
            if (auto errs = parse_registry_errors(resp.body)) {
                diag.errors = std::move(*errs);
            }
            throw error(errc::unauthorized,
                        "login to " + registry + " failed: the registry refused " + who,
                        std::move(diag));
        }
        if (resp.status / 100 != 2) {
            diagnostics diag{"GET", resp.status, redact_url(resp.url.buffer()), {}};
            if (auto errs = parse_registry_errors(resp.body)) {
                diag.errors = std::move(*errs);
            }
            throw error(errc_from_status(resp.status),
                        "login to " + registry + " failed: GET /v2/ answered "
                            + std::to_string(resp.status),
                        std::move(diag));
        }
    }
    if (!options.save) {
        co_return;
    }
    // Named, not a temporary inside the co_await: GCC 12 mishandles the latter.
    std::function<result<void>()> save = [store, registry, cred] {
        return store->store(registry, cred);
    };
    auto saved = co_await detail::run_blocking<result<void>>(std::move(save));
    if (!saved) {
        throw error(saved.error().code, "login to " + registry
                                            + " succeeded but the credentials were not saved: "
                                            + saved.error().message);
    }
}

result<void> logout(std::string_view registry, credential_store& store) {
    if (auto valid = validate_registry(registry); !valid) {
        return valid.error();
    }
    return store.erase(registry);
}

}  // namespace oras::auth

// registry: a remote registry as a whole — its API root, its catalog, its repositories.
#pragma once

#include <oras/detail/async.hpp>
#include <oras/registry/repository.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#pragma GCC visibility push(default)

namespace oras::registry {

// Internal state, not exported.
#pragma GCC visibility push(hidden)
namespace detail {
struct registry_state;
}
#pragma GCC visibility pop

/// `host[:port]` reached through an `auth::client`. Threading and failures as for
/// `repository`.
class registry {
  public:
    /// Throws `oras::error` (`errc::invalid_reference`) for an invalid host.
    registry(auth::client client, std::string_view host, repository_options options = {});

    /// As given: `host[:port]`.
    const std::string& host() const noexcept;
    /// "https://host[:port]" (http with `plain_http`, or for a loopback host unless
    /// `force_https`); `docker.io` is reached at registry-1.docker.io.
    const std::string& base_url() const noexcept;
    /// The executor of the client's `http::client`, on which operations run.
    boost::asio::any_io_executor get_executor() const noexcept;

    /// Lifetime: `ping` and `catalog` hold the registry's state from the call on; the registry
    /// object need not outlive them (the `auth::client` must).
    ///
    /// `GET /v2/`: returns when the registry answers 200 (after authentication); throws
    /// `errc::unauthorized` when it refuses the credentials, `errc::not_found` when the host
    /// serves no distribution API, other errors when it cannot be reached.
    boost::asio::awaitable<void> ping();

    /// Every repository name, following the catalog's pagination (`n`, `last`, `Link`).
    /// Needs `registry:catalog:*`; many registries refuse it.
    boost::asio::awaitable<std::vector<std::string>> catalog();

    /// A repository of this registry sharing its client and options.
    repository repo(std::string_view name) const;

    /// `ping` for a completion token: with the default `deferred` (or `use_awaitable`) the
    /// awaitable itself; with any other token spawned on `get_executor()`, the handler getting
    /// `void(std::exception_ptr)`.
    template <class Token = boost::asio::deferred_t>
    auto async_ping(Token&& token = {}) {
        return oras::detail::start(get_executor(), ping(), std::forward<Token>(token));
    }
    /// `catalog` for a completion token, as `async_ping`; the handler gets
    /// `void(std::exception_ptr, std::vector<std::string>)`.
    template <class Token = boost::asio::deferred_t>
    auto async_catalog(Token&& token = {}) {
        return oras::detail::start(get_executor(), catalog(), std::forward<Token>(token));
    }

  private:
    std::shared_ptr<detail::registry_state> state_;
};

}  // namespace oras::registry

#pragma GCC visibility pop

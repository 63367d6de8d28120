// The registry: API root and catalog; repositories are made from its client and options.
#include <oras/error.hpp>
#include <oras/reference.hpp>
#include <oras/registry/registry.hpp>

#include "http/headers.hpp"
#include "registry/protocol.hpp"

namespace oras::registry {

namespace asio = boost::asio;

namespace detail {

struct registry_state {
    auth::client client_;
    std::string host_;
    std::string base_url_;
    repository_options options_;
};

}  // namespace detail

registry::registry(auth::client client, std::string_view host, repository_options options) {
    if (auto v = validate_registry(host); !v) {
        throw error(v.error());
    }
    auto base = detail::registry_base_url(host, options.plain_http, options.force_https);
    if (!base) {
        throw error(base.error());
    }
    state_ = std::make_shared<detail::registry_state>(
        detail::registry_state{std::move(client), std::string(host), std::move(*base), options});
}

const std::string& registry::host() const noexcept {
    return state_->host_;
}
const std::string& registry::base_url() const noexcept {
    return state_->base_url_;
}
asio::any_io_executor registry::get_executor() const noexcept {
    return state_->client_.http().get_executor();
}

repository registry::repo(std::string_view name) const {
    return repository(state_->client_, state_->host_, name, state_->options_);
}

namespace {

/// Reads an error body (bounded) and throws the registry's error for it.
asio::awaitable<void> fail(http::response& resp, std::string_view method, std::string what,
                           std::size_t cap) {
    std::string body;
    try {
        body = co_await resp.read_all(cap);
    } catch (const std::exception&) {
        resp.abandon();  // too long or cut short: the status says enough
    }
    throw detail::status_error(method, resp.url(), resp.status(), resp.headers(), body, what);
}

}  // namespace

namespace {

// The operations proper, owning the state they use: the registry object that started one may be
// gone before it first resumes.
asio::awaitable<void> ping_with(std::shared_ptr<detail::registry_state> st) {
    http::request req;
    req.url = detail::ping_url(boost::urls::url(st->base_url_));
    auto resp = co_await st->client_.send(std::move(req), {});
    if (resp.status() == 200) {
        co_await resp.discard();
        co_return;
    }
    co_await fail(resp, "GET", st->host_ + " is not usable as a registry",
                  st->options_.max_error_body);
}

asio::awaitable<std::vector<std::string>> catalog_with(std::shared_ptr<detail::registry_state> st) {
    const auth::scope_set scopes{auth::catalog_scope()};
    std::vector<std::string> out;
    auto u = detail::catalog_url(boost::urls::url(st->base_url_), st->options_.page_size);
    std::size_t total = 0;
    for (unsigned page = 0;; ++page) {
        if (page == st->options_.max_pages) {
            throw error(errc::invalid_response, "the catalog of " + st->host_ + " has more than "
                                                    + std::to_string(page) + " pages");
        }
        http::request req;
        req.url = u;
        auto resp = co_await st->client_.send(std::move(req), scopes);
        if (resp.status() != 200) {
            co_await fail(resp, "GET", "cannot list the repositories of " + st->host_,
                          st->options_.max_error_body);
        }
        const auto body = co_await resp.read_all(detail::max_list_body);
        if (!detail::add_list_page(total, body.size())) {
            throw error(errc::invalid_response, "the catalog of " + st->host_ + " is larger than "
                                                    + std::to_string(detail::max_list_total)
                                                    + " bytes across its pages");
        }
        auto names = detail::parse_catalog(body);
        if (!names) {
            throw error(names.error().code,
                        "the catalog of " + st->host_ + ": " + names.error().message);
        }
        out.insert(out.end(), names->begin(), names->end());
        auto next = http::detail::parse_link_next(resp.headers().get_all("Link"), resp.url());
        if (!next) {
            throw error(next.error().code,
                        "the catalog of " + st->host_ + ": " + next.error().message);
        }
        if (!*next) {
            co_return out;
        }
        u = **next;
    }
}

}  // namespace

asio::awaitable<void> registry::ping() {
    return ping_with(state_);
}

asio::awaitable<std::vector<std::string>> registry::catalog() {
    return catalog_with(state_);
}

}  // namespace oras::registry

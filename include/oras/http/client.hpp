// client: an async HTTP/1.1 client with per-origin connection pools.
#pragma once

#include <oras/http/client_options.hpp>
#include <oras/http/request.hpp>
#include <oras/http/response.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <memory>

#pragma GCC visibility push(default)

namespace oras::http {

// Internal state, not exported.
#pragma GCC visibility push(hidden)
namespace detail {
class client_state;
}
#pragma GCC visibility pop

/// Counters for tests and benchmarks.
struct client_stats {
    std::size_t connections_opened = 0;  ///< TCP connections established (incl. via proxies)
    std::size_t connections_reused = 0;  ///< requests sent on a pooled keep-alive connection
    std::size_t requests_sent = 0;       ///< attempts, including retries and redirects
    std::size_t retries = 0;             ///< attempts sent again after a backoff
    std::size_t redirects = 0;           ///< redirects followed
    /// Requests held back because their origin had answered 429 or 503 with Retry-After.
    std::size_t paused = 0;
    /// Pooled connections closed for having been idle `timeouts.idle_connection` or longer:
    /// found so when their origin was asked again, or when any request of the client ended.
    std::size_t idle_connections_closed = 0;
};

/// Sends requests over pooled keep-alive connections: at most `max_connections_per_origin` per
/// (scheme, host, port), further requests queue. TLS on OpenSSL with SNI and hostname
/// verification; HTTP proxies with CONNECT tunnels; redirects that never carry Authorization or
/// cookies to another origin nor downgrade https to http; bounded retries with backoff for
/// replayable requests.
///
/// Threading: like Asio's I/O objects, a client is not thread-safe. Run its operations on one
/// strand: a single-threaded io_context, or construct it with a strand executor. Copies share
/// the same pools.
class client {
  public:
    /// Runs on `executor`. Reads the proxy environment (see `proxy_options`) and loads the TLS
    /// files of `options.tls` now: throws `oras::error` when one cannot be loaded, or when only
    /// one of the client certificate and key is given. Nothing is sent before the first request.
    explicit client(boost::asio::any_io_executor executor, client_options options = {});

    /// Sends `req` and returns once the response head has arrived; read the body from the
    /// returned response. Throws `oras::error` (with diagnostics) when no response could be had
    /// after the retries allowed, or `std::system_error` with Asio's error codes for
    /// cancellation. Cancellation: through the awaiting coroutine's cancellation slot.
    boost::asio::awaitable<response> send(request req);

    /// A response read whole by `fetch`, whatever its status.
    struct buffered_response {
        unsigned status = 0;   ///< of the final response, after redirects
        fields headers;        ///< its header fields, in order received
        std::string body;      ///< the whole body, an error body too
        boost::urls::url url;  ///< the URL that answered, after redirects
    };
    /// Sends `req` and reads the whole body under `limit` (`options().default_body_limit` when
    /// 0). For metadata: manifests, tag lists, tokens, error bodies. An error status is returned
    /// like any other; a body over the limit throws `errc::size_exceeds_limit`.
    boost::asio::awaitable<buffered_response> fetch(request req, std::size_t limit = 0);

    /// As given at construction.
    const client_options& options() const noexcept;
    /// A snapshot of the counters, which every copy of this client adds to.
    client_stats stats() const noexcept;
    /// The executor given at construction, on which the client's operations run.
    boost::asio::any_io_executor get_executor() const noexcept;

    /// Closes every idle pooled connection.
    void close_idle();

  private:
    std::shared_ptr<detail::client_state> state_;
};

}  // namespace oras::http

#pragma GCC visibility pop

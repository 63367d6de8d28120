// Internal: the state behind `http::client` — connections, per-origin pools, TLS settings, the
// send loop's bookkeeping — shared by the client's translation units: connect.cpp (dialling,
// proxies, TLS), pool.cpp (connection slots and reuse), exchange.cpp (writing requests, reading
// response heads and bodies) and client.cpp (the send loop and the public types). Only those
// include it: it pulls in Beast and Asio's SSL templates.
#pragma once

#include <oras/detail/base64.hpp>
#include <oras/error.hpp>
#include <oras/http/client.hpp>

#include "core/async/fifo_semaphore.hpp"
#include "core/cancelled.hpp"
#include "core/quote.hpp"
#include "http/policy.hpp"
#include "http/send_machine.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/write.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <map>
#include <random>

namespace oras::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using asio::use_awaitable;

namespace detail {

inline constexpr std::size_t header_limit = 64 * 1024;
inline constexpr std::size_t body_chunk = 1024 * 1024;

using tls_stream = beast::ssl_stream<beast::tcp_stream>;

/// One TCP connection, plain or TLS, to an origin (possibly through a proxy).
struct connection {
    std::string pool_key;
    std::optional<beast::tcp_stream> plain;
    std::unique_ptr<tls_stream> tls;
    // Bytes read past the last response head. Bounded: framing that never ends (a chunk-size
    // line, trailers) is no body, so no body limit stops it; Beast then fails the read.
    beast::flat_buffer buffer{header_limit + body_chunk};
    std::chrono::steady_clock::time_point idle_since{};
    bool proxied_http = false;        // requests go in absolute-form to a plain-HTTP proxy
    std::string proxy_authorization;  // sent with each request through a plain-HTTP proxy

    beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

    template <class F>
    auto with_stream(F&& f) {
        return tls ? f(*tls) : f(*plain);
    }

    // A pooled connection the server has closed (or sent anything unrequested on) is stale.
    bool looks_alive() {
        if (buffer.size() != 0) {
            return false;
        }
        auto& sock = lowest().socket();
        if (!sock.is_open()) {
            return false;
        }
        char c;
        const auto n = ::recv(sock.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }

    void close() {
        beast::error_code ec;
        lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
        lowest().socket().close(ec);
    }
};

/// A TCP-level failure while connecting (refused, reset, timed out): nothing was sent yet.
struct connect_failure : std::runtime_error {
    connect_failure(beast::error_code code, const std::string& what)
        : std::runtime_error(what), ec(code) {}
    beast::error_code ec;
};

/// A failure while sending the request or reading the response head.
struct exchange_failure : std::runtime_error {
    exchange_failure(beast::error_code code, const std::string& what)
        : std::runtime_error(what), ec(code) {}
    beast::error_code ec;
};

struct origin_pool {
    explicit origin_pool(std::size_t max_connections) : slots(max_connections) {}
    // One permit per connection checked out or being opened.
    oras::detail::fifo_semaphore slots;
    std::deque<std::unique_ptr<connection>> idle;
};

// What a server's close of a pooled connection looks like to the next request on it.
inline bool is_stale_error(const beast::error_code& ec) {
    return ec == asio::error::eof || ec == asio::error::connection_reset
           || ec == asio::error::broken_pipe || ec == bhttp::error::end_of_stream
           || ec == asio::ssl::error::stream_truncated;
}

// Malformed responses (bad status line, oversized head): retrying will not fix them.
inline bool is_protocol_error(const beast::error_code& ec) {
    return ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category()
           && ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
}

class body_reader;

class client_state : public std::enable_shared_from_this<client_state> {
  public:
    client_state(asio::any_io_executor ex, client_options opts)
        : executor_(std::move(ex)),
          options_(std::move(opts)),
          proxies_(proxy_settings::from(options_.proxy)),
          ssl_(ssl::context::tls_client),
          rng_(std::random_device{}()) {
        configure_tls();
    }

    asio::awaitable<response> send(request req);

    const client_options& options() const noexcept { return options_; }
    client_stats stats() const noexcept { return stats_; }
    const asio::any_io_executor& executor() const noexcept { return executor_; }

    /// Closes every idle connection (pool.cpp).
    void close_idle();

    /// Closes the idle connections of every origin idle for `idle_connection` or longer
    /// (pool.cpp); does nothing when it last looked less than a quarter of that ago.
    void close_expired_idle(std::chrono::steady_clock::time_point now);

    /// Returns a slot, and the connection if it may be reused (pool.cpp).
    void release(const std::string& key, std::unique_ptr<connection> conn, bool reusable);

  private:
    struct attempt_failure {
        beast::error_code ec;
        bool stale_candidate = false;  // a reused connection failed before any response byte
        bool nothing_sent = false;     // failed while connecting: safe to retry any method
        std::string what;
    };

    void configure_tls();
    void load_system_trust();
    asio::awaitable<std::unique_ptr<connection>> acquire(const std::string& key, bool& reused);
    asio::awaitable<std::unique_ptr<connection>> connect(
        const origin& target, const std::optional<boost::urls::url>& proxy, const std::string& key);
    asio::awaitable<void> write_request(connection& c, const request& req, const origin& target);
    asio::awaitable<response> attempt(const request& req, const origin& target,
                                      attempt_failure& failure);
    void log(const request& req, unsigned status, const fields& response_headers,
             std::error_code ec, unsigned attempt_no, std::chrono::steady_clock::time_point start);

    /// Waits the backoff for retry `n` (at least `at_least`, a server's Retry-After).
    asio::awaitable<void> pause_before_retry(unsigned n, std::chrono::milliseconds at_least) {
        const auto delay = std::max(
            at_least,
            backoff_delay(n, options_.retry, std::uniform_real_distribution<>(0, 1)(rng_)));
        ++stats_.retries;
        asio::steady_timer t(executor_, delay);
        co_await t.async_wait(use_awaitable);
    }

    asio::any_io_executor executor_;
    client_options options_;
    proxy_settings proxies_;
    ssl::context ssl_;
    bool system_trust_loaded_ = false;
    std::map<std::string, origin_pool> pools_;
    std::chrono::steady_clock::time_point last_sweep_{};  // of close_expired_idle

    origin_pool& pool_of(const std::string& key) {
        return pools_.try_emplace(key, options_.max_connections_per_origin).first->second;
    }
    client_stats stats_;
    std::mt19937_64 rng_;
    /// Origins that answered 429 or 503 with Retry-After: no new request goes to them before
    /// this time, so that one throttled request holds back its siblings too.
    std::map<std::string, std::chrono::steady_clock::time_point> paused_until_;

    /// Waits while `o` is paused by an earlier Retry-After.
    asio::awaitable<void> wait_if_paused(const origin& o) {
        const auto it = paused_until_.find(o.str());
        if (it == paused_until_.end()) {
            co_return;
        }
        if (it->second <= std::chrono::steady_clock::now()) {
            paused_until_.erase(it);
            co_return;
        }
        ++stats_.paused;
        asio::steady_timer t(executor_, it->second);
        co_await t.async_wait(use_awaitable);
    }

    void pause_origin(const origin& o, std::chrono::milliseconds delay) {
        const auto until = std::chrono::steady_clock::now() + delay;
        auto& at = paused_until_[o.str()];
        at = std::max(at, until);
    }
};

}  // namespace detail
}  // namespace oras::http

// The HTTP client: the one translation unit of the transport that instantiates Asio, Beast and
// Asio's SSL templates. Everything else of the layer is pure (policy.cpp) or light.
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
namespace {

constexpr std::size_t header_limit = 64 * 1024;
constexpr std::size_t body_chunk = 1024 * 1024;

using tls_stream = beast::ssl_stream<beast::tcp_stream>;

/// One TCP connection, plain or TLS, to an origin (possibly through a proxy).
struct connection {
    std::string pool_key;
    std::optional<beast::tcp_stream> plain;
    std::unique_ptr<tls_stream> tls;
    beast::flat_buffer buffer;  // bytes read past the last response head
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

}  // namespace

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

    void close_idle() {
        for (auto& [key, pool] : pools_) {
            for (auto& c : pool.idle) {
                c->close();
            }
            pool.idle.clear();
        }
    }

    /// Returns a slot, and the connection if it may be reused.
    void release(const std::string& key, std::unique_ptr<connection> conn, bool reusable) {
        auto& pool = pool_of(key);
        if (conn) {
            if (reusable && options_.keep_alive && conn->buffer.size() == 0
                && pool.idle.size() < options_.max_idle_per_origin) {
                conn->idle_since = std::chrono::steady_clock::now();
                pool.idle.push_back(std::move(conn));
            } else {
                conn->close();
            }
        }
        // The slot passes to the longest waiter directly, so that newcomers cannot starve it.
        pool.slots.release();
    }

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

// ---------------------------------------------------------------------------------------------
// Response bodies

class body_reader {
  public:
    enum class mode { done, length, parsed };

    body_reader(std::shared_ptr<client_state> state, std::unique_ptr<connection> conn,
                bhttp::response_parser<bhttp::empty_body>&& head_parser, bool head_request,
                bool reusable)
        : state_(std::move(state)),
          conn_(std::move(conn)),
          key_(conn_->pool_key),
          reusable_(reusable),
          watchdog_(state_->executor()) {
        keep_alive_ = head_parser.keep_alive() && reusable_;
        if (head_request || head_parser.is_done()) {
            mode_ = mode::done;
        } else if (head_parser.content_length() && !head_parser.chunked()) {
            mode_ = *head_parser.content_length() == 0 ? mode::done : mode::length;
            remaining_ = *head_parser.content_length();
        } else {
            mode_ = mode::parsed;
            parser_.emplace(std::move(head_parser));
            parser_->body_limit(boost::none);
            parser_->eager(true);
        }
        if (mode_ == mode::done) {
            finish(keep_alive_);
        }
    }

    ~body_reader() {
        watchdog_.cancel();
        if (conn_) {
            state_->release(key_, std::move(conn_), false);
        }
    }

    bool complete() const noexcept { return mode_ == mode::done && !failure_; }

    asio::awaitable<std::size_t> read_some(std::span<std::byte> out) {
        if (failure_) {
            std::rethrow_exception(failure_);  // a failed body stays failed
        }
        if (mode_ == mode::done || out.empty()) {
            co_return 0;
        }
        const auto io_timeout = state_->options().timeouts.io;
        if (mode_ == mode::length) {
            const std::size_t want =
                static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, out.size()));
            std::size_t n = 0;
            if (conn_->buffer.size() > 0) {
                // Body bytes that arrived with the head.
                n = asio::buffer_copy(asio::buffer(out.data(), want), conn_->buffer.data());
                conn_->buffer.consume(n);
            } else {
                guard_progress(io_timeout);
                auto [ec, got] = co_await conn_->with_stream([&](auto& s) {
                    return s.async_read_some(asio::buffer(out.data(), want),
                                             asio::as_tuple(use_awaitable));
                });
                if (ec) {
                    fail(stalled_ ? beast::error::timeout : ec, "reading the body ("
                                                                    + std::to_string(remaining_)
                                                                    + " bytes still expected)");
                }
                last_progress_ = std::chrono::steady_clock::now();
                reading_ = false;
                n = got;
            }
            remaining_ -= n;
            if (remaining_ == 0) {
                finish(keep_alive_);
            }
            co_return n;
        }
        // Chunked or close-delimited: Beast's parser removes the framing. One parser step may
        // consume only framing (a chunk-size line), so keep going until body bytes arrive or
        // the message ends: 0 must mean "complete", never "nothing this time".
        auto& p = *parser_;
        std::size_t n = 0;
        while (n == 0 && !p.is_done()) {
            p.get().body().data = out.data();
            p.get().body().size = out.size();
            p.get().body().more = true;
            guard_progress(io_timeout);
            auto [ec, ignored] = co_await conn_->with_stream([&](auto& s) {
                return bhttp::async_read_some(s, conn_->buffer, p, asio::as_tuple(use_awaitable));
            });
            (void)ignored;
            if (ec == bhttp::error::need_buffer) {
                ec = {};
            }
            if (ec) {
                fail(stalled_ ? beast::error::timeout : ec, "reading the body");
            }
            last_progress_ = std::chrono::steady_clock::now();
            reading_ = false;
            n = out.size() - p.get().body().size;
        }
        if (p.is_done()) {
            finish(p.keep_alive() && reusable_);
        }
        co_return n;
    }

  private:
    // The io timeout for body reads. Arming Beast's per-operation timer around every read cost
    // about 0.05 CPU-seconds per GiB (bench/transport_bench); instead one watchdog per body
    // checks for progress and cancels the socket once none came for `timeout`.
    // Only a read in flight can stall: a reader that pauses (a copy whose destination is slow
    // to take the bytes) is not the server's fault, and its next read gets the whole timeout.
    void guard_progress(std::chrono::milliseconds timeout) {
        conn_->lowest().expires_never();
        last_progress_ = std::chrono::steady_clock::now();
        reading_ = true;
        if (watching_) {
            return;
        }
        watching_ = true;
        arm_watchdog(last_progress_ + timeout, timeout);
    }

    void arm_watchdog(std::chrono::steady_clock::time_point at, std::chrono::milliseconds timeout) {
        watchdog_.expires_at(at);
        // The handler runs with operation_aborted when the reader goes away first, and then
        // touches nothing.
        watchdog_.async_wait([this, timeout](const beast::error_code& ec) {
            if (ec || !conn_) {
                return;
            }
            const auto now = std::chrono::steady_clock::now();
            const auto deadline = last_progress_ + timeout;
            if (!reading_ || now < deadline) {
                arm_watchdog(reading_ ? deadline : now + timeout, timeout);
                return;
            }
            stalled_ = true;
            beast::error_code ignored;
            conn_->lowest().socket().cancel(ignored);
        });
    }

    void finish(bool reusable) {
        watchdog_.cancel();
        mode_ = mode::done;
        parser_.reset();
        state_->release(key_, std::move(conn_), reusable);
    }

    [[noreturn]] void fail(beast::error_code ec, const std::string& what) {
        watchdog_.cancel();
        mode_ = mode::done;
        parser_.reset();
        state_->release(key_, std::move(conn_), false);
        const bool truncated = ec == asio::error::eof || ec == bhttp::error::partial_message
                               || ec == asio::ssl::error::stream_truncated;
        try {
            if (truncated) {
                // One code for every way a body is cut (a closed socket, a chunked body that
                // stops, TLS without close_notify): a transport failure, worth resuming.
                throw error(make_error_code(bhttp::error::partial_message),
                            "the connection closed before the end of the body, " + what);
            }
            if (ec == beast::error::timeout) {
                throw error(make_error_code(asio::error::timed_out), what + " (timed out)");
            }
            if (ec == asio::error::operation_aborted) {
                throw oras::detail::cancelled_error("cancelled " + what);
            }
            throw error(ec, what);
        } catch (...) {
            failure_ = std::current_exception();
            throw;
        }
    }

    std::shared_ptr<client_state> state_;
    std::unique_ptr<connection> conn_;
    std::string key_;
    mode mode_ = mode::done;
    std::uint64_t remaining_ = 0;
    bool reusable_ = true;
    bool keep_alive_ = false;
    std::optional<bhttp::response_parser<bhttp::buffer_body>> parser_;
    std::exception_ptr failure_;
    asio::steady_timer watchdog_;
    std::chrono::steady_clock::time_point last_progress_{};
    bool watching_ = false;
    bool reading_ = false;  // a body read is in flight
    bool stalled_ = false;
};

// ---------------------------------------------------------------------------------------------
// Connections

void client_state::load_system_trust() {
    if (system_trust_loaded_ || !options_.tls.use_system_ca || options_.tls.insecure_skip_verify) {
        return;
    }
    system_trust_loaded_ = true;
    boost::system::error_code ec;
    ssl_.set_default_verify_paths(ec);
    if (ec) {
        throw error(ec, "cannot load the system's CA certificates");
    }
}

void client_state::configure_tls() {
    ssl_.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2
                     | ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    const auto& t = options_.tls;
    if (t.insecure_skip_verify) {
        ssl_.set_verify_mode(ssl::verify_none);
    } else {
        ssl_.set_verify_mode(ssl::verify_peer);
    }
    try {
        // The system's CA bundle is parsed on the first TLS connection, not here: parsing it
        // costs about 30 ms of CPU, which a process that only talks plain http (a loopback
        // registry, a mirror between local registries) should not pay per client.
        if (!t.ca_file.empty()) {
            ssl_.load_verify_file(t.ca_file);
        }
        if (t.client_certificate_file.empty() != t.client_key_file.empty()) {
            throw error(errc::invalid_argument,
                        "a client certificate needs both a certificate file and a key file");
        }
        if (!t.client_certificate_file.empty()) {
            ssl_.use_certificate_chain_file(t.client_certificate_file);
            ssl_.use_private_key_file(t.client_key_file, ssl::context::pem);
        }
    } catch (const boost::system::system_error& e) {
        throw error(e.code(), "cannot set up TLS (" + std::string(e.what()) + ")");
    }
}

asio::awaitable<std::unique_ptr<connection>> client_state::acquire(const std::string& key,
                                                                   bool& reused) {
    reused = false;
    std::string what = "cancelled while waiting for a connection";
    co_await pool_of(key).slots.acquire(std::move(what));
    auto& idle = pool_of(key).idle;
    const auto now = std::chrono::steady_clock::now();
    while (!idle.empty()) {
        auto c = std::move(idle.back());
        idle.pop_back();
        if (now - c->idle_since < options_.timeouts.idle_connection && c->looks_alive()) {
            reused = true;
            ++stats_.connections_reused;
            co_return c;
        }
        c->close();
    }
    co_return nullptr;
}

namespace {

std::string basic_proxy_credentials(const boost::urls::url& proxy) {
    if (!proxy.has_userinfo()) {
        return {};
    }
    return "Basic " + oras::detail::base64_encode(proxy.user() + ":" + proxy.password());
}

// What a server's close of a pooled connection looks like to the next request on it.
bool is_stale_error(const beast::error_code& ec) {
    return ec == asio::error::eof || ec == asio::error::connection_reset
           || ec == asio::error::broken_pipe || ec == bhttp::error::end_of_stream
           || ec == asio::ssl::error::stream_truncated;
}

// Malformed responses (bad status line, oversized head): retrying will not fix them.
bool is_protocol_error(const beast::error_code& ec) {
    return ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category()
           && ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
}

bool is_ip_literal(const std::string& host) {
    beast::error_code ec;
    asio::ip::make_address(host, ec);
    return !ec;
}

}  // namespace

asio::awaitable<std::unique_ptr<connection>> client_state::connect(
    const origin& target, const std::optional<boost::urls::url>& proxy, const std::string& key) {
    auto c = std::make_unique<connection>();
    c->pool_key = key;
    c->plain.emplace(executor_);
    std::string host = proxy ? std::string(proxy->host_address()) : target.host;
    std::uint16_t port = proxy ? proxy->port_number() : target.port;
    if (!proxy) {
        if (auto to = dial_override(options_.resolve, target)) {
            host = std::move(to->first);
            port = to->second;
        }
    }
    const auto where = proxy ? "proxy " + redact_url(proxy->buffer()) : target.str();

    tcp::resolver resolver(executor_);
    auto [rec, endpoints] =
        co_await resolver.async_resolve(host, std::to_string(port), asio::as_tuple(use_awaitable));
    if (rec) {
        throw error(rec, "cannot resolve " + where);
    }
    // Each address gets the whole connect timeout: a black-holed first address (often IPv6)
    // must not use up the time of the next one.
    beast::error_code cec = asio::error::host_not_found;
    for (const auto& entry : endpoints) {
        c->plain.emplace(executor_);
        c->plain->expires_after(options_.timeouts.connect);
        auto [e] =
            co_await c->plain->async_connect(entry.endpoint(), asio::as_tuple(use_awaitable));
        cec = e;
        if (!cec || cec == asio::error::operation_aborted) {
            break;
        }
    }
    if (cec == asio::error::operation_aborted) {
        throw boost::system::system_error(cec);
    }
    if (cec) {
        throw connect_failure(
            cec == beast::error::timeout ? make_error_code(asio::error::timed_out) : cec,
            "cannot connect to " + where);
    }
    ++stats_.connections_opened;
    c->plain->socket().set_option(tcp::no_delay(true));

    if (proxy && target.tls()) {
        // A CONNECT tunnel through the proxy; TLS then runs end to end with the target.
        const std::string host_port =
            (target.host.find(':') != std::string::npos ? "[" + target.host + "]" : target.host)
            + ":" + std::to_string(target.port);
        std::string head = "CONNECT " + host_port + " HTTP/1.1\r\nHost: " + host_port + "\r\n";
        if (auto creds = basic_proxy_credentials(*proxy); !creds.empty()) {
            head += "Proxy-Authorization: " + creds + "\r\n";
        }
        head += "User-Agent: " + options_.user_agent + "\r\n\r\n";
        c->plain->expires_after(options_.timeouts.io);
        auto [wec, wn] = co_await asio::async_write(*c->plain, asio::buffer(head),
                                                    asio::as_tuple(use_awaitable));
        (void)wn;
        if (wec) {
            throw error(wec, "cannot write CONNECT to " + where);
        }
        bhttp::response_parser<bhttp::empty_body> p;
        p.skip(true);  // a 2xx answer to CONNECT has no body: the tunnel starts right after
        p.header_limit(header_limit);
        c->plain->expires_after(options_.timeouts.io);
        auto [hec, hn] = co_await bhttp::async_read_header(*c->plain, c->buffer, p,
                                                           asio::as_tuple(use_awaitable));
        (void)hn;
        if (hec) {
            throw error(hec, "no answer to CONNECT from " + where);
        }
        const unsigned status = p.get().result_int();
        if (status < 200 || status > 299) {
            diagnostics d;
            d.method = "CONNECT";
            d.status = status;
            d.url = target.str();
            throw error(status == 407 ? errc::unauthorized : errc::unexpected_status,
                        where + " refused the tunnel", std::move(d));
        }
        if (c->buffer.size() != 0) {
            throw error(errc::invalid_response, where + " sent bytes after its CONNECT answer");
        }
    } else if (proxy) {
        c->proxied_http = true;
        c->proxy_authorization = basic_proxy_credentials(*proxy);
    }

    if (target.tls()) {
        load_system_trust();
        c->tls = std::make_unique<tls_stream>(std::move(*c->plain), ssl_);
        c->plain.reset();
        SSL* native = c->tls->native_handle();
        const bool ip = is_ip_literal(target.host);
        // SSL_set_tlsext_host_name, without the macro's C cast.
        if (!ip
            && SSL_ctrl(native, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                        const_cast<char*>(target.host.c_str()))
                   != 1) {
            throw error(errc::invalid_argument, "cannot set SNI for " + target.host);
        }
        if (!options_.tls.insecure_skip_verify) {
            X509_VERIFY_PARAM* param = SSL_get0_param(native);
            X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            const int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, target.host.c_str())
                              : X509_VERIFY_PARAM_set1_host(param, target.host.c_str(), 0);
            if (ok != 1) {
                throw error(errc::invalid_argument, "cannot verify host " + target.host);
            }
        }
        beast::get_lowest_layer(*c->tls).expires_after(options_.timeouts.tls_handshake);
        auto [tec] = co_await c->tls->async_handshake(ssl::stream_base::client,
                                                      asio::as_tuple(use_awaitable));
        if (tec == asio::error::operation_aborted) {
            throw boost::system::system_error(tec);
        }
        if (tec) {
            const long verify = SSL_get_verify_result(native);
            if (verify != X509_V_OK) {
                // Verification failures are final: retrying cannot change a certificate.
                throw error(tec, "TLS handshake with " + target.str()
                                     + " failed: " + X509_verify_cert_error_string(verify));
            }
            // Resets and timeouts during the handshake may pass.
            throw connect_failure(
                tec == beast::error::timeout ? make_error_code(asio::error::timed_out) : tec,
                "TLS handshake with " + target.str() + " failed: " + tec.message());
        }
    }
    co_return c;
}

// ---------------------------------------------------------------------------------------------
// Requests

asio::awaitable<void> client_state::write_request(connection& c, const request& req,
                                                  const origin& target) {
    const auto& body = req.body;
    const auto length = body.length();
    const bool has_body_semantics =
        req.method == "POST" || req.method == "PUT" || req.method == "PATCH";

    std::string head;
    head.reserve(512);
    head += req.method;
    head += ' ';
    if (c.proxied_http) {
        head += target.str();
    }
    head += request_target(req.url);
    head += " HTTP/1.1\r\nHost: ";
    head += target.authority();
    head += "\r\n";
    bool has_agent = false;
    for (const auto& [name, value] : req.headers) {
        // Framing is the client's; proxy credentials never come from the request (they would
        // reach the origin through a tunnel).
        if (iequals(name, "host") || iequals(name, "content-length")
            || iequals(name, "transfer-encoding") || iequals(name, "connection")
            || iequals(name, "proxy-authorization")) {
            continue;
        }
        has_agent = has_agent || iequals(name, "user-agent");
        head += name;
        head += ": ";
        head += value;
        head += "\r\n";
    }
    if (!has_agent) {
        head += "User-Agent: " + options_.user_agent + "\r\n";
    }
    if (!options_.keep_alive) {
        head += "Connection: close\r\n";
    }
    if (!c.proxy_authorization.empty()) {
        head += "Proxy-Authorization: " + c.proxy_authorization + "\r\n";
    }
    if (length) {
        if (*length > 0 || has_body_semantics) {
            head += "Content-Length: " + std::to_string(*length) + "\r\n";
        }
    } else {
        head += "Transfer-Encoding: chunked\r\n";
    }
    head += "\r\n";

    const auto io = options_.timeouts.io;
    auto write = [&](asio::const_buffer b) -> asio::awaitable<void> {
        c.lowest().expires_after(io);
        auto [ec, n] = co_await c.with_stream(
            [&](auto& s) { return asio::async_write(s, b, asio::as_tuple(use_awaitable)); });
        (void)n;
        if (ec) {
            throw exchange_failure(ec, "cannot send the request");
        }
    };

    const auto& src = body.source();
    if (const auto* mem = std::get_if<body_source::memory>(&src)) {
        // The head and the first slice in one gathered write, then slices: the io timeout
        // bounds each slice's progress, not the whole body's.
        const std::string empty;
        const std::string_view data = mem->data ? std::string_view(*mem->data) : empty;
        const auto first = std::min(data.size(), body_chunk);
        std::array<asio::const_buffer, 2> bufs{asio::buffer(head),
                                               asio::buffer(data.data(), first)};
        c.lowest().expires_after(io);
        auto [ec, n] = co_await c.with_stream(
            [&](auto& s) { return asio::async_write(s, bufs, asio::as_tuple(use_awaitable)); });
        (void)n;
        if (ec) {
            throw exchange_failure(ec, "cannot send the request");
        }
        for (std::size_t off = first; off < data.size(); off += body_chunk) {
            co_await write(
                asio::buffer(data.data() + off, std::min(body_chunk, data.size() - off)));
        }
        co_return;
    }
    co_await write(asio::buffer(head));
    if (const auto* file = std::get_if<body_source::file_range>(&src)) {
        const int fd = ::open(file->path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            throw error(std::error_code(errno, std::generic_category()),
                        "cannot open " + oras::detail::quote(file->path.string()));
        }
        struct closer {
            int fd;
            ~closer() { ::close(fd); }
        } guard{fd};
        std::vector<std::byte> buf(static_cast<std::size_t>(
            std::min<std::uint64_t>(body_chunk, std::max<std::uint64_t>(file->length, 1))));
        std::uint64_t done = 0;
        while (done < file->length) {
            const auto want =
                static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), file->length - done));
            const auto n = ::pread(fd, buf.data(), want, static_cast<off_t>(file->offset + done));
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                throw error(n == 0 ? make_error_code(errc::size_mismatch)
                                   : std::error_code(errno, std::generic_category()),
                            oras::detail::quote(file->path.string()) + " ended or failed after "
                                + std::to_string(done) + " of " + std::to_string(file->length)
                                + " bytes");
            }
            co_await write(asio::buffer(buf.data(), static_cast<std::size_t>(n)));
            done += static_cast<std::uint64_t>(n);
        }
    } else if (const auto* gen = std::get_if<body_source::stream>(&src)) {
        if (gen->rewind) {
            gen->rewind();  // a replay (retry, redirect, auth) starts from the first byte
        }
        std::vector<std::byte> buf(body_chunk);
        std::uint64_t total = 0;
        for (;;) {
            const std::size_t n = co_await gen->next(std::span(buf));
            if (n > buf.size()) {
                throw error(errc::invalid_argument, "a body generator overran its buffer");
            }
            total += n;
            if (gen->length && total > *gen->length) {
                throw error(errc::size_mismatch, "a body generator produced more than the "
                                                     + std::to_string(*gen->length)
                                                     + " bytes announced");
            }
            if (!gen->length) {
                char size_line[24];
                const int len = std::snprintf(size_line, sizeof size_line, "%zx\r\n", n);
                if (n == 0) {
                    co_await write(asio::buffer("0\r\n\r\n", 5));
                    break;
                }
                std::array<asio::const_buffer, 3> bufs{
                    asio::buffer(size_line, static_cast<std::size_t>(len)),
                    asio::buffer(buf.data(), n), asio::buffer("\r\n", 2)};
                c.lowest().expires_after(io);
                auto [ec, w] = co_await c.with_stream([&](auto& s) {
                    return asio::async_write(s, bufs, asio::as_tuple(use_awaitable));
                });
                (void)w;
                if (ec) {
                    throw exchange_failure(ec, "cannot send the request");
                }
                continue;
            }
            if (n == 0) {
                if (total != *gen->length) {
                    throw error(errc::size_mismatch,
                                "a body generator ended after " + std::to_string(total) + " of the "
                                    + std::to_string(*gen->length) + " bytes announced");
                }
                break;
            }
            co_await write(asio::buffer(buf.data(), n));
        }
    }
}

void client_state::log(const request& req, unsigned status, const fields& response_headers,
                       std::error_code ec, unsigned attempt_no,
                       std::chrono::steady_clock::time_point start) {
    if (!options_.log) {
        return;
    }
    log_event e;
    e.method = req.method;
    e.url = redact_url(req.url.buffer());
    e.status = status;
    e.request_headers = redact_fields(req.headers, options_.extra_headers);
    e.response_headers = redact_fields(response_headers);
    e.error = ec;
    e.attempt = attempt_no;
    e.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - start);
    try {
        options_.log(e);
    } catch (...) {
        // A logging hook must not break a transfer.
    }
}

}  // namespace detail

/// Grants the client access to response's private members.
class client_impl_access {
  public:
    static response make(unsigned status, std::string reason, fields f,
                         std::optional<std::uint64_t> length, boost::urls::url url,
                         std::unique_ptr<detail::body_reader> body) {
        response r;
        r.status_ = status;
        r.reason_ = std::move(reason);
        r.fields_ = std::move(f);
        r.content_length_ = length;
        r.url_ = std::move(url);
        r.body_ = std::move(body);
        return r;
    }
};

namespace detail {

asio::awaitable<response> client_state::attempt(const request& req, const origin& target,
                                                attempt_failure& failure) {
    auto proxy = select_proxy(target, proxies_);
    if (!proxy) {
        throw error(proxy.error());
    }
    const std::string key =
        target.str() + (*proxy ? " via " + std::string((*proxy)->encoded_host_and_port()) : "");
    bool reused = false;
    // The pool slot (and connection) is ours from here; the guard gives it back on every path
    // that does not hand it to a response, cancellation included.
    struct slot_guard {
        client_state* state;
        const std::string& key;
        std::unique_ptr<connection> conn;
        bool held = true;
        ~slot_guard() {
            if (held) {
                state->release(key, std::move(conn), false);
            }
        }
    };
    // (Not inside the braces below: GCC 12 mishandles co_await in aggregate initialisers.)
    auto acquired = co_await acquire(key, reused);
    slot_guard slot{this, key, std::move(acquired)};
    if (!slot.conn) {
        try {
            slot.conn = co_await connect(target, *proxy, key);
        } catch (const connect_failure& e) {
            // Refused, reset or timed out while connecting: nothing was sent, so any request
            // may be retried. (TLS verification failures, refused tunnels and unknown hosts are
            // thrown as oras::error and are not retried: retrying cannot help them.)
            failure.ec = e.ec;
            failure.nothing_sent = true;
            failure.what = e.what();
            co_return response{};
        }
    }
    ++stats_.requests_sent;
    auto& conn = slot.conn;
    bool any_response_byte = false;
    bool write_failed = false;
    try {
        co_await write_request(*conn, req, target);
    } catch (const exchange_failure& e) {
        failure.ec = e.ec;
        failure.what = e.what();
        failure.stale_candidate = reused && is_stale_error(e.ec);
        // A server may answer before reading the whole body (401, 413) and close: its answer
        // tells more than our write error, so look for it before giving up.
        if (e.ec != asio::error::broken_pipe && e.ec != asio::error::connection_reset) {
            co_return response{};
        }
        write_failed = true;
    }
    try {
        for (unsigned informational = 0;;) {
            bhttp::response_parser<bhttp::empty_body> parser;
            parser.header_limit(header_limit);
            parser.body_limit(boost::none);
            if (req.method == "HEAD") {
                parser.skip(true);
            }
            conn->lowest().expires_after(options_.timeouts.io);
            const auto before = conn->buffer.size();
            auto [ec, n] = co_await conn->with_stream([&](auto& st) {
                return bhttp::async_read_header(st, conn->buffer, parser,
                                                asio::as_tuple(use_awaitable));
            });
            any_response_byte = any_response_byte || n > 0 || conn->buffer.size() > before;
            if (ec) {
                if (write_failed) {
                    co_return response{};  // no answer after all: report the write error
                }
                throw exchange_failure(
                    ec, any_response_byte ? "cannot read the response head" : "no response");
            }
            const unsigned status = parser.get().result_int();
            if (status == 101) {
                throw error(errc::invalid_response,
                            "unexpected 101 Switching Protocols from " + target.str());
            }
            if (status >= 100 && status < 200) {
                // 100 Continue and friends: the real answer follows, but not forever.
                if (++informational > 5) {
                    throw error(errc::invalid_response,
                                "more than 5 informational responses from " + target.str());
                }
                continue;
            }
            fields f;
            for (const auto& h : parser.get()) {
                f.add(h.name_string(), h.value());
            }
            std::optional<std::uint64_t> length;
            if (parser.content_length() && !parser.chunked()) {
                length = *parser.content_length();
            }
            std::string reason(parser.get().reason());
            // A connection whose request body was cut short cannot carry another request.
            auto reader = std::make_unique<body_reader>(shared_from_this(), std::move(conn),
                                                        std::move(parser), req.method == "HEAD",
                                                        !write_failed);
            slot.held = false;  // the body reader owns the slot now
            failure = attempt_failure{};
            co_return client_impl_access::make(status, std::move(reason), std::move(f), length,
                                               req.url, std::move(reader));
        }
    } catch (const exchange_failure& e) {
        failure.ec = e.ec;
        failure.stale_candidate = reused && !any_response_byte && is_stale_error(e.ec);
        failure.what = e.what();
    }
    co_return response{};
}

asio::awaitable<response> client_state::send(request req) {
    // Extra fields the request does not set itself; named so that a redirect to another origin
    // drops them with the credentials.
    std::vector<std::string> extra_names;
    for (const auto& field : options_.extra_headers) {
        const auto& name = field.first;
        const bool own = req.headers.contains(name)
                         && std::none_of(extra_names.begin(), extra_names.end(),
                                         [&](const std::string& n) { return iequals(n, name); });
        if (!own) {
            req.headers.add(name, field.second);
            extra_names.push_back(name);
        }
    }
    for (const auto& [name, value] : req.headers) {
        if (auto ok = validate_field(name, value); !ok) {
            throw error(ok.error());
        }
    }
    if (!validate_field(req.method, "")) {
        throw error(errc::invalid_argument,
                    "invalid HTTP method " + oras::detail::quote(req.method));
    }
    if (auto ok = validate_field("User-Agent", options_.user_agent); !ok) {
        throw error(ok.error());
    }
    send_machine machine(options_.retry, options_.max_redirects);
    for (unsigned attempt_no = 0;; ++attempt_no) {
        auto target = origin_of(req.url);
        if (!target) {
            throw error(target.error());
        }
        co_await wait_if_paused(*target);
        const auto start = std::chrono::steady_clock::now();
        attempt_failure failure;
        response r = co_await attempt(req, *target, failure);
        const request_traits traits{.replayable = req.body.replayable(),
                                    .idempotent = req.idempotent(),
                                    .body_empty = req.body.empty()};
        if (failure.ec) {
            log(req, 0, {}, failure.ec, attempt_no, start);
            const auto act =
                machine.on_failed({.cancelled = failure.ec == asio::error::operation_aborted,
                                   .stale_candidate = failure.stale_candidate,
                                   .nothing_sent = failure.nothing_sent,
                                   .protocol_error = is_protocol_error(failure.ec)},
                                  traits);
            diagnostics d;
            d.method = req.method;
            d.url = redact_url(req.url.buffer());
            switch (act.what) {
                case send_action::kind::cancelled:
                    throw oras::detail::cancelled_error("cancelled", std::move(d));
                case send_action::kind::retry:
                    if (act.backoff) {
                        co_await pause_before_retry(act.retry_number, act.backoff_at_least);
                    }
                    continue;
                default: {
                    const bool timeout = failure.ec == beast::error::timeout;
                    const std::string message =
                        timeout ? failure.what + " (timed out)" : failure.what;
                    throw error(timeout ? make_error_code(asio::error::timed_out) : failure.ec,
                                message, std::move(d));
                }
            }
        }
        log(req, r.status(), r.headers(), {}, attempt_no, start);

        attempt_answered answer{.status = r.status()};
        std::optional<boost::urls::url> next;
        if (auto location = r.headers().find("location");
            location && r.status() >= 300 && r.status() < 400) {
            auto resolved = resolve_location(req.url, *location);
            if (!resolved) {
                throw error(resolved.error());
            }
            auto to = origin_of(*resolved);
            auto plan = plan_redirect(r.status(), req.method, *target, *to, traits.replayable);
            if (!plan) {
                throw error(plan.error());
            }
            answer.redirect = std::move(*plan);
            next = std::move(*resolved);
        }
        if (r.status() == 429 || r.status() == 503) {
            if (auto ra = r.headers().find("retry-after")) {
                answer.retry_after = parse_retry_after(*ra, std::chrono::system_clock::now());
            }
        }
        const auto act = machine.on_answered(answer, traits);
        if (act.pause_origin) {
            pause_origin(*target, *act.pause_origin);
        }
        switch (act.what) {
            case send_action::kind::too_many_redirects:
                throw error(errc::unexpected_status,
                            "stopped after " + std::to_string(machine.redirects())
                                + " redirects at " + redact_url(req.url.buffer()));
            case send_action::kind::follow_redirect: {
                co_await r.discard();
                ++stats_.redirects;
                req.url = std::move(*next);
                const auto& plan = *act.redirect;
                if (plan.method != req.method) {
                    req.method = plan.method;
                }
                if (!plan.keep_body) {
                    req.body = body_source();
                    for (const char* h : {"content-type", "content-encoding", "content-range",
                                          "content-md5", "digest"}) {
                        req.headers.erase(h);
                    }
                }
                if (plan.drop_credentials) {
                    req.headers.erase("authorization");
                    req.headers.erase("proxy-authorization");
                    req.headers.erase("cookie");
                    for (const auto& name : extra_names) {
                        req.headers.erase(name);
                    }
                }
                continue;
            }
            case send_action::kind::retry:
                co_await r.discard();
                co_await pause_before_retry(act.retry_number, act.backoff_at_least);
                continue;
            default:
                co_return r;
        }
    }
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Public types

response::response() = default;
response::response(response&&) noexcept = default;
response& response::operator=(response&&) noexcept = default;
response::~response() = default;

bool response::complete() const noexcept {
    return !abandoned_ && (!body_ || body_->complete());
}

void response::abandon() noexcept {
    body_.reset();  // closes the connection: its unread bytes cannot be reused
    abandoned_ = true;
}

asio::awaitable<std::size_t> response::read_some(std::span<std::byte> buffer) {
    if (abandoned_) {
        throw error(errc::invalid_argument, "the body of this response was abandoned");
    }
    if (!body_) {
        co_return 0;
    }
    co_return co_await body_->read_some(buffer);
}

asio::awaitable<std::string> response::read_all(std::size_t limit) {
    std::string out;
    if (complete()) {
        co_return out;  // HEAD, 204, 304: a Content-Length but no body
    }
    if (content_length_) {
        if (*content_length_ > limit) {
            abandon();  // rather than reading what we refuse
            throw error(errc::size_exceeds_limit,
                        "response body of " + std::to_string(*content_length_)
                            + " bytes exceeds the limit of " + std::to_string(limit));
        }
        out.reserve(static_cast<std::size_t>(*content_length_));
    }
    std::array<std::byte, 16 * 1024> buf;
    for (;;) {
        const std::size_t n = co_await read_some(buf);
        if (n == 0) {
            break;
        }
        if (out.size() + n > limit) {
            abandon();
            throw error(errc::size_exceeds_limit,
                        "response body exceeds the limit of " + std::to_string(limit) + " bytes");
        }
        out.append(reinterpret_cast<const char*>(buf.data()), n);
    }
    co_return out;
}

asio::awaitable<void> response::discard(std::size_t limit) {
    if (!body_ || body_->complete()) {
        co_return;
    }
    if (content_length_ && *content_length_ > limit) {
        abandon();
        co_return;
    }
    std::array<std::byte, 16 * 1024> buf;
    std::size_t total = 0;
    try {
        for (;;) {
            const std::size_t n = co_await read_some(buf);
            total += n;
            if (n == 0) {
                break;
            }
            if (total > limit) {
                abandon();
                break;
            }
        }
    } catch (const std::exception&) {
        abandon();  // a body we were going to drop anyway
    }
}

client::client(asio::any_io_executor executor, client_options options)
    : state_(std::make_shared<detail::client_state>(std::move(executor), std::move(options))) {}

namespace {

// Asio reports cancellation and timer failures as boost::system::system_error; callers of the
// client see oras::error only, and every cancellation as errc::cancelled.
[[noreturn]] void rethrow_as_oras(const boost::system::system_error& e, const request& req) {
    diagnostics d;
    d.method = req.method;
    d.url = redact_url(req.url.buffer());
    if (e.code() == asio::error::operation_aborted) {
        throw oras::detail::cancelled_error("cancelled", std::move(d));
    }
    throw error(e.code(), "request failed", std::move(d));
}

}  // namespace

asio::awaitable<response> client::send(request req) {
    const std::string method = req.method;
    const boost::urls::url where = req.url;
    // The state lives as long as this operation, even if the last client copy goes away.
    const auto state = state_;
    try {
        co_return co_await state->send(std::move(req));
    } catch (const boost::system::system_error& e) {
        request context;
        context.method = method;
        context.url = where;
        rethrow_as_oras(e, context);
    }
}

asio::awaitable<client::buffered_response> client::fetch(request req, std::size_t limit) {
    auto r = co_await send(std::move(req));
    buffered_response out;
    out.body = co_await r.read_all(limit == 0 ? state_->options().default_body_limit : limit);
    out.status = r.status();
    out.headers = r.headers();
    out.url = r.url();
    co_return out;
}

const client_options& client::options() const noexcept {
    return state_->options();
}
client_stats client::stats() const noexcept {
    return state_->stats();
}
asio::any_io_executor client::get_executor() const noexcept {
    return state_->executor();
}
void client::close_idle() {
    state_->close_idle();
}

}  // namespace oras::http

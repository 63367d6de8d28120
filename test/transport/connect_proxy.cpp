// The test forward proxy: Asio C++20 coroutines, Beast's parser for the client's requests.
#include "connect_proxy.hpp"
#include "loopback.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include <array>
#include <atomic>
#include <charconv>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <unordered_map>

namespace oras::test {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using namespace asio::experimental::awaitable_operators;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::chrono::milliseconds linger_limit{1000};

struct proxy_connection : std::enable_shared_from_this<proxy_connection> {
    proxy_connection(tcp::socket s, std::size_t i)
        : client(std::move(s)),
          upstream(client.get_executor()),
          timer(client.get_executor()),
          id(i) {}

    tcp::socket client;
    tcp::socket upstream;
    asio::steady_timer timer;
    std::size_t id;

    void close() {
        error_code ec;
        client.close(ec);
        upstream.close(ec);
        timer.cancel();
    }
    void close_after(std::chrono::milliseconds d) {
        timer.expires_after(d);
        timer.async_wait([w = weak_from_this()](error_code ec) {
            if (!ec) {
                if (auto c = w.lock()) {
                    c->close();
                }
            }
        });
    }
};

// "host:port" -> port, when host is a loopback name we are willing to connect to.
std::optional<std::uint16_t> loopback_port(std::string_view authority, std::uint16_t dflt) {
    std::string_view host = authority;
    std::uint16_t port = dflt;
    if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        const auto digits = authority.substr(colon + 1);
        unsigned value = 0;
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        if (ec != std::errc{} || end != digits.data() + digits.size() || value == 0
            || value > 65535) {
            return std::nullopt;
        }
        port = static_cast<std::uint16_t>(value);
    }
    if (host == "127.0.0.1" || beast::iequals(host, "localhost")) {
        return port;
    }
    return std::nullopt;
}

bool hop_by_hop(std::string_view name) {
    for (const std::string_view h :
         {"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authorization", "TE", "Trailer",
          "Transfer-Encoding", "Upgrade", "Expect", "Content-Length"}) {
        if (beast::iequals(name, h)) {
            return true;
        }
    }
    return false;
}

}  // namespace

struct connect_proxy::impl {
    std::unique_ptr<asio::io_context> io_ = std::make_unique<asio::io_context>(1);
    std::optional<tcp::acceptor> acceptor_{};
    std::uint16_t port_ = 0;
    std::thread thread_{};

    // Proxy thread only.
    std::unordered_map<std::size_t, std::shared_ptr<proxy_connection>> connections_{};
    bool stopping_ = false;
    std::size_t next_id_ = 0;

    // Shared with the test thread.
    mutable std::mutex mutex_{};
    std::size_t accepted_ = 0;
    std::size_t tunnels_ = 0;
    std::size_t forwarded_ = 0;
    std::vector<std::string> connect_targets_{};
    std::vector<std::string> forwarded_targets_{};
    std::vector<std::string> authorizations_{};

    void start() {
        acceptor_.emplace(detail::listen_on_loopback(*io_));
        port_ = acceptor_->local_endpoint().port();
        asio::co_spawn(*io_, accept_loop(), asio::detached);
        thread_ = std::thread([this] { detail::run_server_loop(*io_); });
    }

    void stop() { detail::stop_server(io_, thread_, acceptor_, connections_, stopping_); }

    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, socket] = co_await acceptor_->async_accept(use_tuple);
            if (stopping_ || ec == asio::error::operation_aborted) {
                co_return;
            }
            if (ec) {
                asio::steady_timer t(*io_, std::chrono::milliseconds(5));
                co_await t.async_wait(use_tuple);
                continue;
            }
            error_code ignored;
            socket.set_option(tcp::no_delay(true), ignored);
            auto c = std::make_shared<proxy_connection>(std::move(socket), ++next_id_);
            connections_.emplace(c->id, c);
            {
                std::lock_guard lock(mutex_);
                ++accepted_;
            }
            asio::co_spawn(*io_, session(std::move(c)), asio::detached);
        }
    }

    asio::awaitable<void> session(std::shared_ptr<proxy_connection> c) {
        try {
            co_await serve(*c);
        } catch (...) {
        }
        c->close();
        connections_.erase(c->id);
    }

    // Sends a short error response and closes.
    asio::awaitable<void> fail(proxy_connection& c, std::string_view status) {
        const auto msg = "HTTP/1.1 " + std::string(status)
                         + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        auto [ec, n] = co_await asio::async_write(c.client, asio::buffer(msg), use_tuple);
        if (!ec) {
            co_await finish_client(c);
        }
    }

    // Shuts the client's send side, drains what it still sends (bounded), closes.
    static asio::awaitable<void> finish_client(proxy_connection& c) {
        c.close_after(linger_limit);
        error_code ec;
        c.client.shutdown(tcp::socket::shutdown_send, ec);
        std::array<char, 4096> sink{};
        while (!ec) {
            std::size_t n = 0;
            std::tie(ec, n) = co_await c.client.async_read_some(asio::buffer(sink), use_tuple);
        }
        c.close();
    }

    // Copies bytes one way until EOF (then half-closes the other side) or an error (then closes
    // both sides, which ends the other direction too).
    static asio::awaitable<void> pump(proxy_connection& c, tcp::socket& from, tcp::socket& to) {
        std::array<char, 16 * 1024> data{};
        for (;;) {
            auto [ec, n] = co_await from.async_read_some(asio::buffer(data), use_tuple);
            if (n > 0) {
                auto [wec, wn] =
                    co_await asio::async_write(to, asio::buffer(data.data(), n), use_tuple);
                if (wec) {
                    c.close();
                    co_return;
                }
            }
            if (ec) {
                if (ec == asio::error::eof) {
                    error_code ignored;
                    to.shutdown(tcp::socket::shutdown_send, ignored);
                } else {
                    c.close();
                }
                co_return;
            }
        }
    }

    asio::awaitable<bool> connect_upstream(proxy_connection& c, std::uint16_t port) {
        const tcp::endpoint ep(asio::ip::make_address_v4("127.0.0.1"), port);
        auto [ec] = co_await c.upstream.async_connect(ep, use_tuple);
        if (!ec) {
            error_code ignored;
            c.upstream.set_option(tcp::no_delay(true), ignored);
        }
        co_return !ec && !stopping_;
    }

    asio::awaitable<void> serve(proxy_connection& c) {
        beast::flat_buffer buffer;
        http::request_parser<http::string_body> parser;
        parser.header_limit(64 * 1024);
        parser.body_limit(std::uint64_t{64} << 20);
        {
            auto [ec, n] = co_await http::async_read_header(c.client, buffer, parser, use_tuple);
            if (ec) {
                if (ec != http::error::end_of_stream && ec != asio::error::eof
                    && ec != asio::error::operation_aborted) {
                    co_await fail(c, "400 Bad Request");
                }
                co_return;
            }
        }
        auto& msg = parser.get();
        {
            std::lock_guard lock(mutex_);
            for (const auto& f : msg) {
                if (beast::iequals(f.name_string(), "Proxy-Authorization")) {
                    authorizations_.emplace_back(f.value());
                }
            }
        }
        const std::string target(msg.target());

        if (msg.method() == http::verb::connect) {
            {
                std::lock_guard lock(mutex_);
                connect_targets_.push_back(target);
            }
            const auto port = loopback_port(target, 443);
            if (!port || target.find(':') == std::string::npos) {
                co_await fail(c, "403 Forbidden");
                co_return;
            }
            if (!(co_await connect_upstream(c, *port))) {
                co_await fail(c, "502 Bad Gateway");
                co_return;
            }
            {
                std::lock_guard lock(mutex_);
                ++tunnels_;
            }
            static constexpr std::string_view ok = "HTTP/1.1 200 Connection Established\r\n\r\n";
            {
                auto [ec, n] = co_await asio::async_write(
                    c.client, asio::buffer(ok.data(), ok.size()), use_tuple);
                if (ec) {
                    co_return;
                }
            }
            if (buffer.size() > 0) {  // the client did not wait for our 200
                auto [ec, n] = co_await asio::async_write(c.upstream, buffer.data(), use_tuple);
                if (ec) {
                    co_return;
                }
                buffer.consume(buffer.size());
            }
            co_await (pump(c, c.client, c.upstream) && pump(c, c.upstream, c.client));
            co_return;
        }

        // Absolute-form plain HTTP.
        constexpr std::string_view scheme = "http://";
        if (target.size() < scheme.size()
            || !beast::iequals(std::string_view(target).substr(0, scheme.size()), scheme)) {
            co_await fail(c, "400 Bad Request");
            co_return;
        }
        const auto rest = std::string_view(target).substr(scheme.size());
        const auto slash = rest.find_first_of("/?");
        const auto authority = rest.substr(0, slash);
        std::string path(slash == std::string_view::npos ? "/" : rest.substr(slash));
        if (path.front() == '?') {
            path.insert(path.begin(), '/');
        }
        const auto port = loopback_port(authority, 80);
        if (!port) {
            co_await fail(c, "403 Forbidden");
            co_return;
        }
        if (!parser.is_done()) {
            if (beast::iequals(msg[http::field::expect], "100-continue")) {
                static constexpr std::string_view cont = "HTTP/1.1 100 Continue\r\n\r\n";
                auto [ec, n] = co_await asio::async_write(
                    c.client, asio::buffer(cont.data(), cont.size()), use_tuple);
                if (ec) {
                    co_return;
                }
            }
            auto [ec, n] = co_await http::async_read(c.client, buffer, parser, use_tuple);
            if (ec) {
                if (ec == http::error::body_limit) {
                    co_await fail(c, "413 Payload Too Large");
                }
                co_return;
            }
        }
        {
            std::lock_guard lock(mutex_);
            forwarded_targets_.push_back(target);
        }

        std::string out = std::string(msg.method_string()) + " " + path + " HTTP/1.1\r\n";
        for (const auto& f : msg) {
            if (!hop_by_hop(f.name_string())) {
                out += f.name_string();
                out += ": ";
                out += f.value();
                out += "\r\n";
            }
        }
        const auto& body = msg.body();
        if (!body.empty() || msg.has_content_length() || parser.chunked()) {
            out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
        }
        out += "Connection: close\r\n\r\n";
        out += body;

        if (!(co_await connect_upstream(c, *port))) {
            co_await fail(c, "502 Bad Gateway");
            co_return;
        }
        {
            std::lock_guard lock(mutex_);
            ++forwarded_;
        }
        {
            auto [ec, n] = co_await asio::async_write(c.upstream, asio::buffer(out), use_tuple);
            if (ec) {
                co_return;
            }
        }
        // The origin closes after its response (Connection: close): relay until then.
        std::array<char, 16 * 1024> data{};
        for (;;) {
            auto [ec, n] = co_await c.upstream.async_read_some(asio::buffer(data), use_tuple);
            if (n > 0) {
                auto [wec, wn] =
                    co_await asio::async_write(c.client, asio::buffer(data.data(), n), use_tuple);
                if (wec) {
                    co_return;
                }
            }
            if (ec) {
                break;
            }
        }
        error_code ignored;
        c.upstream.close(ignored);
        co_await finish_client(c);
    }
};

connect_proxy::connect_proxy() : impl_(std::make_unique<impl>()) {
    impl_->start();
}

connect_proxy::~connect_proxy() {
    impl_->stop();
}

std::uint16_t connect_proxy::port() const {
    return impl_->port_;
}

std::string connect_proxy::url() const {
    return "http://127.0.0.1:" + std::to_string(port());
}

std::size_t connect_proxy::tunnels() const {
    std::lock_guard lock(impl_->mutex_);
    return impl_->tunnels_;
}

std::size_t connect_proxy::forwarded() const {
    std::lock_guard lock(impl_->mutex_);
    return impl_->forwarded_;
}

std::size_t connect_proxy::connections_accepted() const {
    std::lock_guard lock(impl_->mutex_);
    return impl_->accepted_;
}

std::vector<std::string> connect_proxy::connect_targets() const {
    std::lock_guard lock(impl_->mutex_);
    return impl_->connect_targets_;
}

std::vector<std::string> connect_proxy::forwarded_targets() const {
    std::lock_guard lock(impl_->mutex_);
    return impl_->forwarded_targets_;
}

std::vector<std::string> connect_proxy::proxy_authorizations() const {
    std::lock_guard lock(impl_->mutex_);
    return impl_->authorizations_;
}

}  // namespace oras::test

// The scripted HTTP/1.1 server: Asio C++20 coroutines, Beast's parser for requests, responses
// written by hand (so that framing can be wrong on purpose).
#include "scripted_server.hpp"
#include "loopback.hpp"

#include <oras/test/pki.hpp>
#include <oras/test/temp_dir.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <exception>
#include <future>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <unordered_map>

namespace oras::test {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t npos = std::string::npos;

// How long a closing connection waits for the peer (close_notify reply, then EOF) before the
// socket is closed regardless.
constexpr std::chrono::milliseconds linger_limit{1000};

template <class Stream>
struct is_tls : std::false_type {};
template <class Next>
struct is_tls<asio::ssl::stream<Next>> : std::true_type {};

enum class conn_state { handshake, idle, busy, writing, closing };

struct connection : std::enable_shared_from_this<connection> {
    connection(tcp::socket s, std::size_t i)
        : socket(std::move(s)), timer(socket.get_executor()), id(i) {}

    tcp::socket socket;
    asio::steady_timer timer;  // one use at a time: idle limit, delays, linger limit
    std::size_t id;
    conn_state state = conn_state::handshake;
    bool close_when_idle = false;  // close_idle_connections() saw it finishing a response

    void close() {
        error_code ec;
        socket.close(ec);
        timer.cancel();
    }
    // Closes the socket when the timer fires (unless cancelled first); with `only_idle`, only
    // if the connection is still waiting for a request then.
    void close_after(std::chrono::milliseconds d, bool only_idle) {
        timer.expires_after(d);
        timer.async_wait([w = weak_from_this(), only_idle](error_code ec) {
            if (ec) {
                return;
            }
            if (auto c = w.lock(); c && (!only_idle || c->state == conn_state::idle)) {
                error_code ignored;
                c->socket.close(ignored);
            }
        });
    }
};

bool has_header(const std::vector<std::pair<std::string, std::string>>& headers,
                std::string_view name) {
    return std::any_of(headers.begin(), headers.end(),
                       [&](const auto& h) { return beast::iequals(h.first, name); });
}

std::string header_value(const std::vector<std::pair<std::string, std::string>>& headers,
                         std::string_view name) {
    for (const auto& [n, v] : headers) {
        if (beast::iequals(n, name)) {
            return v;
        }
    }
    return {};
}

std::string reason_phrase(unsigned status) {
    const auto r = http::obsolete_reason(static_cast<http::status>(status));
    if (r.empty() || r.front() == '<') {
        return "Status";
    }
    return std::string(r);
}

std::string to_hex(std::size_t n) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string s;
    do {
        s.insert(s.begin(), digits[n % 16]);
        n /= 16;
    } while (n != 0);
    return s;
}

// The body as it goes on the wire (chunk-encoded or not), with the wire offsets that correspond
// to the payload offsets in `marks` (npos marks are ignored). A mark at a chunk boundary maps
// to the start of the next chunk's size line (or of the last chunk); inside a chunk, to that
// byte of the chunk's data.
std::string encode_body(const std::string& body, bool chunked, std::size_t chunk_size,
                        const std::array<std::size_t, 2>& marks,
                        std::array<std::size_t, 2>& wire_marks) {
    wire_marks = {npos, npos};
    if (!chunked) {
        for (std::size_t i = 0; i < marks.size(); ++i) {
            wire_marks[i] = marks[i];
        }
        return body;
    }
    chunk_size = std::max<std::size_t>(chunk_size, 1);
    std::string wire;
    wire.reserve(body.size() + (body.size() / chunk_size + 2) * 12);
    const auto note_boundary = [&](std::size_t payload_offset) {
        for (std::size_t i = 0; i < marks.size(); ++i) {
            if (marks[i] == payload_offset && wire_marks[i] == npos) {
                wire_marks[i] = wire.size();
            }
        }
    };
    std::size_t off = 0;
    while (off < body.size()) {
        const auto n = std::min(chunk_size, body.size() - off);
        note_boundary(off);
        wire += to_hex(n);
        wire += "\r\n";
        for (std::size_t i = 0; i < marks.size(); ++i) {
            if (marks[i] != npos && marks[i] > off && marks[i] < off + n) {
                wire_marks[i] = wire.size() + (marks[i] - off);
            }
        }
        wire.append(body, off, n);
        wire += "\r\n";
        off += n;
    }
    note_boundary(off);
    wire += "0\r\n\r\n";
    return wire;
}

// The status that answers a request the parser refused; 0 when the client just went away.
unsigned refusal_status(const error_code& ec) {
    static const auto& category = http::make_error_code(http::error::bad_target).category();
    if (ec == http::error::body_limit) {
        return 413;
    }
    if (ec == http::error::header_limit) {
        return 431;
    }
    if (ec.category() == category && ec != http::error::end_of_stream
        && ec != http::error::partial_message) {
        return 400;
    }
    return 0;
}

}  // namespace

std::string scripted_request::header(std::string_view name) const {
    return header_value(headers, name);
}

bool scripted_request::has_header(std::string_view name) const {
    return oras::test::has_header(headers, name);
}

struct scripted_server::impl {
    impl(handler h, server_options o) : handler_(std::move(h)), options_(o) {}

    handler handler_;
    server_options options_;
    std::optional<temp_dir> pki_dir_{};
    std::string ca_file_{};
    std::string client_cert_{};
    std::string client_key_{};
    std::unique_ptr<asio::io_context> io_ = std::make_unique<asio::io_context>(1);
    std::unique_ptr<asio::ssl::context> tls_{};
    std::optional<tcp::acceptor> acceptor_{};
    std::uint16_t port_ = 0;
    std::thread thread_{};

    // Server thread only.
    std::unordered_map<std::size_t, std::shared_ptr<connection>> connections_{};
    bool stopping_ = false;

    // Shared with the test thread.
    std::atomic<std::size_t> accepted_{0};
    std::atomic<std::size_t> open_{0};
    std::atomic<std::size_t> max_open_{0};
    mutable std::mutex mutex_{};
    std::vector<scripted_request> requests_{};

    void start() {
        if (options_.tls) {
            pki_dir_.emplace("oras-scripted-server-");
            const auto pki = make_test_pki(pki_dir_->path(), {"localhost"}, {"127.0.0.1"});
            ca_file_ = pki.ca_cert.string();
            client_cert_ = pki.client_cert.string();
            client_key_ = pki.client_key.string();
            tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
            tls_->use_certificate_chain_file(pki.server_cert.string());
            tls_->use_private_key_file(pki.server_key.string(), asio::ssl::context::pem);
            if (options_.require_client_certificate) {
                tls_->load_verify_file(ca_file_);
                tls_->set_verify_mode(asio::ssl::verify_peer
                                      | asio::ssl::verify_fail_if_no_peer_cert);
            }
        }
        acceptor_.emplace(detail::listen_on_loopback(*io_));
        port_ = acceptor_->local_endpoint().port();
        asio::co_spawn(*io_, accept_loop(), asio::detached);
        thread_ = std::thread([this] { detail::run_server_loop(*io_); });
    }

    void stop() { detail::stop_server(io_, thread_, acceptor_, connections_, stopping_); }

    void close_idle() {
        auto work = [this] {
            for (auto& [id, c] : connections_) {
                if (c->state == conn_state::idle) {
                    c->close();
                } else if (c->state == conn_state::writing) {
                    c->close_when_idle = true;
                }
            }
        };
        if (std::this_thread::get_id() == thread_.get_id()) {
            work();
            return;
        }
        std::promise<void> done;
        auto f = done.get_future();
        asio::post(*io_, [&] {
            work();
            done.set_value();
        });
        f.wait();
    }

    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, socket] = co_await acceptor_->async_accept(use_tuple);
            if (stopping_ || ec == asio::error::operation_aborted) {
                co_return;
            }
            if (ec) {  // e.g. out of descriptors: back off a little
                asio::steady_timer t(*io_, std::chrono::milliseconds(5));
                co_await t.async_wait(use_tuple);
                continue;
            }
            error_code ignored;
            socket.set_option(tcp::no_delay(true), ignored);
            const auto id = accepted_.load() + 1;
            auto c = std::make_shared<connection>(std::move(socket), id);
            connections_.emplace(id, c);
            const auto n = open_.load() + 1;
            open_.store(n);
            if (n > max_open_.load()) {
                max_open_.store(n);
            }
            accepted_.store(id);
            asio::co_spawn(*io_, session(std::move(c)), asio::detached);
        }
    }

    asio::awaitable<void> session(std::shared_ptr<connection> c) {
        try {
            if (tls_) {
                asio::ssl::stream<tcp::socket&> stream(c->socket, *tls_);
                auto [ec] =
                    co_await stream.async_handshake(asio::ssl::stream_base::server, use_tuple);
                if (!ec && !stopping_) {
                    co_await serve(stream, c);
                }
            } else {
                co_await serve(c->socket, c);
            }
        } catch (...) {
            // Any failure ends the connection, never the server.
        }
        c->close();
        connections_.erase(c->id);
        open_.store(open_.load() - 1);
    }

    // Waits `d` on the connection's timer; false when the connection was closed meanwhile.
    asio::awaitable<bool> sleep(connection& c, std::chrono::milliseconds d) {
        c.timer.expires_after(d);
        co_await c.timer.async_wait(use_tuple);
        co_return !stopping_ && c.socket.is_open();
    }

    // Reads and discards until the peer closes (or the socket is closed by us).
    static asio::awaitable<void> discard_until_eof(connection& c) {
        std::array<char, 4096> sink{};
        for (;;) {
            auto [ec, n] = co_await c.socket.async_read_some(asio::buffer(sink), use_tuple);
            if (ec) {
                co_return;
            }
        }
    }

    // Closes after a response. Graceful: over TLS a close_notify goes first. Either way the TCP
    // send side is shut and what the client still sends is drained (so the kernel does not
    // answer it with a reset that could destroy the response), for at most linger_limit.
    template <class Stream>
    asio::awaitable<void> finish(Stream& stream, connection& c, bool graceful) {
        c.state = conn_state::closing;
        c.close_after(linger_limit, false);
        if constexpr (is_tls<Stream>::value) {
            if (graceful) {
                co_await stream.async_shutdown(use_tuple);
            }
        }
        error_code ec;
        c.socket.shutdown(tcp::socket::shutdown_send, ec);
        if (!ec) {
            co_await discard_until_eof(c);
        }
        c.close();
    }

    template <class Stream>
    asio::awaitable<void> reject(Stream& stream, connection& c, unsigned status) {
        const auto msg = "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status)
                         + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        auto [ec, n] = co_await asio::async_write(stream, asio::buffer(msg), use_tuple);
        if (!ec) {
            co_await finish(stream, c, true);
        }
    }

    template <class Stream>
    asio::awaitable<void> serve(Stream& stream, std::shared_ptr<connection> cp) {
        connection& c = *cp;
        beast::flat_buffer buffer;
        for (std::size_t index = 0;; ++index) {
            if (stopping_ || !c.socket.is_open()) {
                co_return;
            }
            if (buffer.size() == 0) {
                // Idle: waiting for the first byte of the next request.
                if (c.close_when_idle) {
                    co_return;
                }
                c.state = conn_state::idle;
                if (options_.idle_close.count() > 0) {
                    c.close_after(options_.idle_close, true);
                }
                auto [ec, n] =
                    co_await stream.async_read_some(buffer.prepare(16 * 1024), use_tuple);
                if (options_.idle_close.count() > 0) {
                    c.timer.cancel();
                }
                if (ec || stopping_ || !c.socket.is_open()) {
                    co_return;
                }
                buffer.commit(n);
            }
            c.state = conn_state::busy;

            http::request_parser<http::string_body> parser;
            parser.header_limit(64 * 1024);
            parser.body_limit(static_cast<std::uint64_t>(options_.max_request_body));
            {
                auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, use_tuple);
                if (ec) {
                    if (const auto status = refusal_status(ec)) {
                        co_await reject(stream, c, status);
                    }
                    co_return;
                }
            }
            if (!parser.is_done()) {
                const auto expect = parser.get()[http::field::expect];
                if (parser.get().version() >= 11 && beast::iequals(expect, "100-continue")) {
                    static constexpr std::string_view cont = "HTTP/1.1 100 Continue\r\n\r\n";
                    auto [ec, n] = co_await asio::async_write(
                        stream, asio::buffer(cont.data(), cont.size()), use_tuple);
                    if (ec) {
                        co_return;
                    }
                }
                auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_tuple);
                if (ec) {
                    if (const auto status = refusal_status(ec)) {
                        co_await reject(stream, c, status);
                    }
                    co_return;
                }
            }
            if (stopping_) {
                co_return;
            }

            auto& msg = parser.get();
            scripted_request req;
            req.method = std::string(msg.method_string());
            req.target = std::string(msg.target());
            req.version = msg.version();
            for (const auto& f : msg) {
                req.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
            }
            req.chunked = parser.chunked();
            req.body = std::move(msg.body());
            req.connection_id = c.id;
            req.index_on_connection = index;
            const bool keep_alive = parser.keep_alive();
            {
                std::lock_guard lock(mutex_);
                requests_.push_back(req);
            }

            action act;
            try {
                act = handler_(req);
            } catch (const std::exception& e) {
                act = action{.status = 500, .body = e.what(), .close = true};
            } catch (...) {
                act = action{.status = 500, .body = "handler failed", .close = true};
            }
            if (!(co_await respond(stream, c, req, act, keep_alive))) {
                co_return;
            }
        }
    }

    // Sends the response `a` describes; false when the connection is finished.
    template <class Stream>
    asio::awaitable<bool> respond(Stream& stream, connection& c, const scripted_request& req,
                                  const action& a, bool keep_alive) {
        if (a.drop) {
            co_await finish(stream, c, false);
            co_return false;
        }
        if (a.delay_before_head.count() > 0 && !(co_await sleep(c, a.delay_before_head))) {
            co_return false;
        }
        if (a.stall_forever) {
            co_await discard_until_eof(c);
            co_return false;
        }

        const bool no_body_status =
            (a.status >= 100 && a.status < 200) || a.status == 204 || a.status == 304;
        const bool head_only = a.head_request || beast::iequals(req.method, "HEAD");
        const bool send_body = !no_body_status && !head_only;
        const bool user_length = has_header(a.headers, "Content-Length");
        const bool user_encoding = has_header(a.headers, "Transfer-Encoding");
        const bool user_connection = has_header(a.headers, "Connection");

        std::string head =
            "HTTP/1.1 " + std::to_string(a.status) + " " + reason_phrase(a.status) + "\r\n";
        for (const auto& [name, value] : a.headers) {
            head += name;
            head += ": ";
            head += value;
            head += "\r\n";
        }
        if (!no_body_status && !a.no_content_length) {
            if (a.chunked) {
                if (!user_encoding) {
                    head += "Transfer-Encoding: chunked\r\n";
                }
            } else if (!user_length && !user_encoding) {
                head += "Content-Length: " + std::to_string(a.body.size()) + "\r\n";
            }
        }
        const bool close_requested = a.close || !keep_alive;
        if (close_requested && !user_connection) {
            head += "Connection: close\r\n";
        }
        head += "\r\n";
        const bool close_after =
            close_requested || a.no_content_length
            || (user_connection && beast::iequals(header_value(a.headers, "Connection"), "close"));

        std::string wire;
        std::size_t end = 0;
        std::size_t mid = npos;
        if (send_body) {
            const auto end_payload =
                a.truncate_body_at ? std::min(*a.truncate_body_at, a.body.size()) : a.body.size();
            const auto mid_payload = a.delay_mid_body.count() > 0 ? end_payload / 2 : npos;
            std::array<std::size_t, 2> wire_marks{};
            wire = encode_body(a.body, a.chunked, a.chunk_size,
                               {a.truncate_body_at ? end_payload : npos, mid_payload}, wire_marks);
            end = a.truncate_body_at ? wire_marks[0] : wire.size();
            if (mid_payload != npos) {
                mid = std::min(wire_marks[1], end);
            }
        }

        c.state = conn_state::writing;
        {
            const std::array<asio::const_buffer, 2> first{
                asio::buffer(head), asio::buffer(wire.data(), mid == npos ? end : mid)};
            auto [ec, n] = co_await asio::async_write(stream, first, use_tuple);
            if (ec) {
                co_return false;
            }
        }
        if (mid != npos) {
            c.state = conn_state::busy;
            if (!(co_await sleep(c, a.delay_mid_body))) {
                co_return false;
            }
            c.state = conn_state::writing;
            auto [ec, n] = co_await asio::async_write(
                stream, asio::buffer(wire.data() + mid, end - mid), use_tuple);
            if (ec) {
                co_return false;
            }
        }
        if (a.truncate_body_at && send_body) {
            co_await finish(stream, c, false);
            co_return false;
        }
        if (close_after) {
            co_await finish(stream, c, true);
            co_return false;
        }
        co_return true;
    }
};

scripted_server::scripted_server(handler h, server_options options)
    : impl_(std::make_unique<impl>(std::move(h), options)) {
    impl_->start();
}

scripted_server::~scripted_server() {
    impl_->stop();
}

std::uint16_t scripted_server::port() const {
    return impl_->port_;
}

std::string scripted_server::host() const {
    return "127.0.0.1:" + std::to_string(impl_->port_);
}

std::string scripted_server::url() const {
    return (impl_->options_.tls ? "https://" : "http://") + host();
}

std::string scripted_server::ca_file() const {
    return impl_->ca_file_;
}

std::string scripted_server::client_certificate_file() const {
    return impl_->client_cert_;
}

std::string scripted_server::client_key_file() const {
    return impl_->client_key_;
}

std::size_t scripted_server::connections_accepted() const {
    return impl_->accepted_.load();
}

std::size_t scripted_server::requests_served() const {
    std::lock_guard lock(impl_->mutex_);
    return impl_->requests_.size();
}

std::size_t scripted_server::max_concurrent_connections() const {
    return impl_->max_open_.load();
}

std::size_t scripted_server::open_connections() const {
    return impl_->open_.load();
}

std::vector<scripted_request> scripted_server::requests() const {
    std::lock_guard lock(impl_->mutex_);
    return impl_->requests_;
}

void scripted_server::close_idle_connections() {
    impl_->close_idle();
}

}  // namespace oras::test

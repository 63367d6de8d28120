// http::client's exchanges: writing a request, reading its response head, streaming the body
// to the caller (body_reader), and the public response type over it.
#include "http/client_state.hpp"

#include "core/posix_file.hpp"
#include "core/sigpipe_guard.hpp"

#include <fcntl.h>
#include <sys/sendfile.h>

namespace oras::http {

namespace detail {

namespace {

/// How sending a file with sendfile(2) ended when it did not send it all.
enum class file_send : std::uint8_t {
    sent,      ///< every byte
    unusable,  ///< nothing sent: this file cannot be sent so (the caller reads it instead)
};

/// Whether sendfile(2) failing with `err` is the connection's doing rather than the file's.
bool is_socket_errno(int err) {
    switch (err) {
        case EPIPE:
        case ECONNRESET:
        case ECONNABORTED:
        case ENOTCONN:
        case ETIMEDOUT:
        case EHOSTUNREACH:
        case ENETUNREACH:
        case ENETDOWN:
        case ENETRESET:
        case EHOSTDOWN:
            return true;
        default:
            return false;
    }
}

/// Sends `f` on the plain TCP socket of `c` with sendfile(2): the bytes go from the page cache
/// to the socket without passing through this process, where a read and a write copy them
/// twice. The io timeout bounds each wait for the socket to take more. `body` is told what was
/// sent (its counters: progress).
asio::awaitable<file_send> send_file(connection& c, byte_source::file_range f,
                                     std::chrono::milliseconds io, byte_source body) {
    oras::detail::unique_fd fd(::open(f.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        throw error(std::error_code(errno, std::generic_category()),
                    "cannot open " + oras::detail::quote(f.path.string()));
    }
    auto& sock = c.plain->socket();
    const bool was_non_blocking = sock.native_non_blocking();
    if (!was_non_blocking) {
        sock.native_non_blocking(true);
    }
    struct restore {
        tcp::socket& sock;
        bool on;
        ~restore() {
            beast::error_code ignored;
            sock.native_non_blocking(on, ignored);
        }
    } const restored{sock, was_non_blocking};

    // A wait that the timer's cancel ended is a timeout. Each wait has a number: a timer
    // handler queued before its cancel (the socket became writable as the timer expired) acts
    // only on the wait it was armed for, never on a later one.
    struct watch {
        std::uint64_t wait = 0;  // the wait in flight; 0: none
        std::uint64_t waits = 0;
        bool fired = false;
    };
    auto w = std::make_shared<watch>();
    asio::steady_timer timer(sock.get_executor());
    auto off = static_cast<off_t>(f.offset);
    std::uint64_t left = f.length;
    while (left != 0) {
        ssize_t n = 0;
        int err = 0;
        {
            oras::detail::sigpipe_guard guard;  // sendfile has no MSG_NOSIGNAL
            const auto want =
                static_cast<std::size_t>(std::min<std::uint64_t>(left, std::uint64_t{1} << 30));
            n = ::sendfile(sock.native_handle(), fd.get(), &off, want);
            err = n < 0 ? errno : 0;
        }
        if (n > 0) {
            left -= static_cast<std::uint64_t>(n);
            body.consumed(static_cast<std::uint64_t>(n));
            continue;
        }
        if (n == 0) {
            throw error(errc::size_mismatch, oras::detail::quote(f.path.string()) + " ended after "
                                                 + std::to_string(f.length - left) + " of "
                                                 + std::to_string(f.length) + " bytes");
        }
        if (err == EINTR) {
            continue;
        }
        if ((err == EINVAL || err == ENOSYS || err == EOPNOTSUPP) && left == f.length) {
            co_return file_send::unusable;
        }
        if (err != EAGAIN && err != EWOULDBLOCK) {
            if (is_socket_errno(err)) {
                throw exchange_failure(beast::error_code(err, asio::error::get_system_category()),
                                       "cannot send the request");
            }
            // The file's side (EIO, EOVERFLOW...): not the network's, not worth a retry.
            throw error(std::error_code(err, std::generic_category()),
                        "cannot read " + oras::detail::quote(f.path.string()) + " after "
                            + std::to_string(f.length - left) + " of " + std::to_string(f.length)
                            + " bytes");
        }
        const auto this_wait = ++w->waits;
        w->wait = this_wait;
        w->fired = false;
        timer.expires_after(io);
        timer.async_wait([w, this_wait, &sock](const beast::error_code& ec) {
            if (!ec && w->wait == this_wait) {
                w->fired = true;
                beast::error_code ignored;
                sock.cancel(ignored);
            }
        });
        auto [ec] =
            co_await sock.async_wait(tcp::socket::wait_write, asio::as_tuple(use_awaitable));
        w->wait = 0;
        timer.cancel();
        if (ec) {
            throw exchange_failure(w->fired ? beast::error_code(beast::error::timeout) : ec,
                                   "cannot send the request");
        }
    }
    co_return file_send::sent;
}

}  // namespace

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
        if (self_) {
            *self_ = nullptr;
        }
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
                    fail(read_error(ec), "reading the body (" + std::to_string(remaining_)
                                             + " bytes still expected)");
                }
                note_progress();
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
                fail(read_error(ec), "reading the body");
            }
            note_progress();
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
        if (self_) {
            return;  // armed by an earlier read: it re-arms itself until the body ends
        }
        self_ = std::make_shared<body_reader*>(this);
        arm_watchdog(last_progress_ + timeout, timeout);
    }

    // What a failed read reports: a timeout when the watchdog's cancel ended it, else its own
    // error (a read that failed by itself after a cancel that hit nothing, e.g. a reset).
    beast::error_code read_error(beast::error_code ec) const {
        return stalled_ && ec == asio::error::operation_aborted
                   ? beast::error_code(beast::error::timeout)
                   : ec;
    }

    // A read came back: whatever the watchdog decided meanwhile, the server is not stalled.
    void note_progress() {
        last_progress_ = std::chrono::steady_clock::now();
        reading_ = false;
        stalled_ = false;
    }

    void arm_watchdog(std::chrono::steady_clock::time_point at, std::chrono::milliseconds timeout) {
        watchdog_.expires_at(at);
        watchdog_.async_wait([cell = self_, timeout](const beast::error_code& ec) {
            body_reader* const self = *cell;
            if (!ec && self != nullptr) {
                self->on_watchdog(timeout);
            }
        });
    }

    void on_watchdog(std::chrono::milliseconds timeout) {
        if (!conn_) {
            return;
        }
        const auto now = std::chrono::steady_clock::now();
        const auto deadline = last_progress_ + timeout;
        if (!reading_ || now < deadline) {
            arm_watchdog(reading_ ? deadline : now + timeout, timeout);
            return;
        }
        // The cancel may hit nothing: the read's completion can be queued already, behind this
        // handler, when other work held the loop up past the deadline; and one read_some may be
        // several socket reads (a TLS record, a chunk header), the next of which starts after
        // this. So keep watching: a read still overdue a timeout from now is cancelled again.
        stalled_ = true;
        beast::error_code ignored;
        conn_->lowest().socket().cancel(ignored);
        arm_watchdog(now + timeout, timeout);
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
    // The watchdog's handler reaches the reader only through this cell, which the destructor
    // empties: cancel() does not reach a handler already queued (its timer expired in a turn
    // before the response was dropped), and that handler still runs, with success. Made when
    // the first socket read arms the watchdog.
    std::shared_ptr<body_reader*> self_;
    std::chrono::steady_clock::time_point last_progress_{};
    bool reading_ = false;  // a body read is in flight
    bool stalled_ = false;
};

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

    if (body.replayable()) {
        body.rewind();  // a replay (retry, redirect, auth) starts from the first byte, and so
                        // do its counters
    }
    if (const auto& mem = body.memory()) {
        // The head and the first slice in one gathered write, then slices: the io timeout
        // bounds each slice's progress, not the whole body's.
        const std::string_view data = *mem;
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
        body.consumed(first);
        for (std::size_t off = first; off < data.size(); off += body_chunk) {
            const auto slice = std::min(body_chunk, data.size() - off);
            co_await write(asio::buffer(data.data() + off, slice));
            body.consumed(slice);
        }
        co_return;
    }
    co_await write(asio::buffer(head));
    if (const auto& f = body.file(); f && c.plain && length == f->length) {
        const auto file = *f;
        const auto sent = co_await send_file(c, file, io, body);
        if (sent == file_send::sent) {
            co_return;
        }
    }
    std::vector<std::byte> buf(static_cast<std::size_t>(std::min<std::uint64_t>(
        body_chunk, std::max<std::uint64_t>(length.value_or(body_chunk), 1))));
    std::uint64_t total = 0;
    for (;;) {
        const std::size_t n = co_await body.read(std::span(buf));
        if (n > buf.size()) {
            throw error(errc::invalid_argument, "a request body overran its buffer");
        }
        total += n;
        if (length && total > *length) {
            throw error(errc::size_mismatch, "a request body produced more than the "
                                                 + std::to_string(*length) + " bytes announced");
        }
        if (!length) {
            char size_line[24];
            const int len = std::snprintf(size_line, sizeof size_line, "%zx\r\n", n);
            if (n == 0) {
                co_await write(asio::buffer("0\r\n\r\n", 5));
                break;
            }
            std::array<asio::const_buffer, 3> bufs{
                asio::buffer(size_line, static_cast<std::size_t>(len)), asio::buffer(buf.data(), n),
                asio::buffer("\r\n", 2)};
            c.lowest().expires_after(io);
            auto [ec, w] = co_await c.with_stream(
                [&](auto& s) { return asio::async_write(s, bufs, asio::as_tuple(use_awaitable)); });
            (void)w;
            if (ec) {
                throw exchange_failure(ec, "cannot send the request");
            }
            continue;
        }
        if (n == 0) {
            if (total != *length) {
                throw error(errc::size_mismatch,
                            "a request body ended after " + std::to_string(total) + " of the "
                                + std::to_string(*length) + " bytes announced");
            }
            break;
        }
        co_await write(asio::buffer(buf.data(), n));
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

}  // namespace oras::http

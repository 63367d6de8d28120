// An in-process HTTP/1.1 server for transport tests, scripted per request by a handler.
//
// It produces the faults a real registry will not produce on demand: dropped connections,
// stalls, truncated bodies, odd framing, server-side closes of idle keep-alive connections.
// It listens on 127.0.0.1 (an ephemeral port), runs its own io_context on its own thread and
// serves any number of concurrent connections. The destructor closes every socket (stalled or
// not) and joins the thread. This header does not include Asio or Beast.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oras::test {

/// One request as the server received it (after the whole body was read).
struct scripted_request {
    std::string method{};
    /// The request target as sent: origin-form ("/v2/x?y") or absolute-form ("http://h/p").
    std::string target{};
    /// In the order received, names as sent.
    std::vector<std::pair<std::string, std::string>> headers{};
    /// The body, de-chunked when it was sent with Transfer-Encoding: chunked.
    std::string body{};
    /// The request used Transfer-Encoding: chunked.
    bool chunked = false;
    /// 1, 2, ... in accept order (per server).
    std::size_t connection_id = 0;
    /// 0 for the first request on a connection, 1 for the next, ...
    std::size_t index_on_connection = 0;
    /// HTTP version: 11 for HTTP/1.1, 10 for HTTP/1.0.
    unsigned version = 11;

    /// The first header named `name` (ASCII case-insensitive), or "" when there is none.
    std::string header(std::string_view name) const;
    /// Whether a header named `name` is present (case-insensitive).
    bool has_header(std::string_view name) const;
};

/// What to do with one request. The defaults send `200 OK` with a Content-Length body and keep
/// the connection open (unless the request asked to close it).
struct action {
    unsigned status = 200;
    /// Sent as given, in order. A Content-Length, Transfer-Encoding or Connection header given
    /// here replaces the one the server would add (useful for wrong framing on purpose, or a
    /// HEAD whose Content-Length differs from the GET body).
    std::vector<std::pair<std::string, std::string>> headers{};
    std::string body{};
    /// Send the body with Transfer-Encoding: chunked, in chunks of `chunk_size` bytes (min 1).
    bool chunked = false;
    std::size_t chunk_size = 1024;
    /// Send `Connection: close` and close the connection after the response.
    bool close = false;
    /// No Content-Length and no Transfer-Encoding: the body ends when the server closes the
    /// connection (HTTP/1.0 style). No Connection header is added unless `close` is set too.
    /// Over TLS the close is preceded by a close_notify.
    bool no_content_length = false;
    /// Advertise the full length (or chunked framing), send only the first N body bytes, then
    /// close abruptly (no close_notify over TLS). With `chunked`, the cut may fall inside a
    /// chunk (N not a multiple of chunk_size) or at a chunk boundary; the last chunk never goes.
    std::optional<std::size_t> truncate_body_at{};
    /// Read the request, then close the connection without sending a single byte.
    bool drop = false;
    /// Stall this long before the status line.
    std::chrono::milliseconds delay_before_head{0};
    /// Send the head and half the body, stall this long, then send the rest.
    std::chrono::milliseconds delay_mid_body{0};
    /// Never answer. The connection stays open until the client closes it or the server is
    /// destroyed.
    bool stall_forever = false;
    /// Send the head (with the Content-Length of `body`) but no body. Set automatically for
    /// HEAD requests. 1xx, 204 and 304 responses never carry a body or an added Content-Length.
    bool head_request = false;
};

/// Called on the server thread, one request at a time (never concurrently with itself); it must
/// synchronise with the test thread for any state they share. A handler that throws makes the
/// server answer 500 with the exception's message and close the connection.
using handler = std::function<action(const scripted_request&)>;

struct server_options {
    /// Serve HTTPS with a server certificate (SAN: IP 127.0.0.1, DNS localhost) signed by a
    /// fresh test CA; see scripted_server::ca_file().
    bool tls = false;
    /// 0: never. Otherwise keep-alive connections left idle (waiting for a request, no byte of
    /// it received yet) this long are closed by the server.
    std::chrono::milliseconds idle_close{0};
    /// Larger request bodies are answered with 413 and the connection closed.
    std::size_t max_request_body = std::size_t{64} << 20;
    /// TLS: refuse clients without a certificate signed by the test CA (mutual TLS); see
    /// scripted_server::client_certificate_file().
    bool require_client_certificate = false;
};

class scripted_server {
  public:
    /// Starts listening and serving before returning. Throws std::runtime_error (or
    /// std::system_error) when it cannot.
    explicit scripted_server(handler h, server_options options = {});
    /// Closes the listener and every connection (including stalled ones) and joins the thread.
    ~scripted_server();
    scripted_server(const scripted_server&) = delete;
    scripted_server& operator=(const scripted_server&) = delete;

    std::uint16_t port() const;
    /// "127.0.0.1:PORT" (what a client sends as Host).
    std::string host() const;
    /// "http://127.0.0.1:PORT" or "https://127.0.0.1:PORT" (no trailing slash).
    std::string url() const;
    /// TLS only: path of the PEM file of the CA that signed the server certificate ("" without
    /// TLS). Valid for the server's lifetime.
    std::string ca_file() const;
    /// TLS: a client certificate and key signed by the same CA, for mutual TLS.
    std::string client_certificate_file() const;
    std::string client_key_file() const;

    /// TCP connections accepted so far.
    std::size_t connections_accepted() const;
    /// Complete requests received and handed to the handler (including those then dropped or
    /// stalled); equals requests().size().
    std::size_t requests_served() const;
    /// High-water mark of simultaneously open connections.
    std::size_t max_concurrent_connections() const;
    /// Connections open now (a connection the server is closing counts until it is closed).
    std::size_t open_connections() const;
    /// Copies of every request received, in the order they were received.
    std::vector<scripted_request> requests() const;

    /// Closes, server side, every connection waiting for its next request (no byte of it
    /// received yet), as a server whose keep-alive timeout fired. Returns once they are closed.
    void close_idle_connections();

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace oras::test

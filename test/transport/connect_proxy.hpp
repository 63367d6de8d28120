// An in-process forward HTTP proxy for transport tests.
//
// Listens on 127.0.0.1 (an ephemeral port) on its own thread and serves:
//   - CONNECT host:port  -> "200 Connection Established", then a raw byte tunnel (the client
//                           does TLS through it; the proxy never looks inside);
//   - absolute-form plain HTTP requests (GET http://host:port/path HTTP/1.1) -> forwarded to
//     the origin in origin-form with Connection: close, the response relayed back unchanged,
//     then the client connection closed.
// Only 127.0.0.1 / localhost targets are allowed (others get 403). Proxy-Authorization is
// recorded (never checked) and not forwarded. This header does not include Asio or Beast.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace oras::test {

class connect_proxy {
  public:
    /// Starts listening before returning. Throws std::system_error when it cannot.
    connect_proxy();
    /// Closes the listener, every tunnel and connection, and joins the thread.
    ~connect_proxy();
    connect_proxy(const connect_proxy&) = delete;
    connect_proxy& operator=(const connect_proxy&) = delete;

    std::uint16_t port() const;
    /// "http://127.0.0.1:PORT"
    std::string url() const;

    /// CONNECT tunnels established (the origin accepted the TCP connection).
    std::size_t tunnels() const;
    /// Absolute-form requests forwarded to an origin.
    std::size_t forwarded() const;
    /// Client connections accepted by the proxy.
    std::size_t connections_accepted() const;
    /// The target of every CONNECT received ("127.0.0.1:PORT"), in order, refused ones too.
    std::vector<std::string> connect_targets() const;
    /// The target of every absolute-form request received ("http://127.0.0.1:PORT/path").
    std::vector<std::string> forwarded_targets() const;
    /// The value of every Proxy-Authorization header received, in order.
    std::vector<std::string> proxy_authorizations() const;

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace oras::test

// A TCP relay in front of a local server that behaves like a long link: every burst of bytes is
// delivered `delay` after it was read, in each direction, and a connection carries at most
// `window` bytes per `delay` (what a TCP window does over a path with that latency). One stream
// is then bounded to window / delay, several streams get several times that: the setting where
// parallel downloads of one blob pay off.
//
//   oras::test::latency_proxy proxy(reg.port(), {.delay = 20ms, .window = 256 * 1024});
//   ... use proxy.host() ("127.0.0.1:PORT") as the registry ...
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace oras::test {

struct latency_options {
    /// One-way delay of every burst.
    std::chrono::milliseconds delay{20};
    /// Bytes relayed per burst, per direction and connection.
    std::size_t window = 256 * 1024;
};

class latency_proxy {
  public:
    /// Listens on a free 127.0.0.1 port and relays to 127.0.0.1:`target_port`. Throws
    /// std::system_error when it cannot listen.
    latency_proxy(std::uint16_t target_port, latency_options options = {});
    /// Stops accepting, closes every relayed connection and joins its threads.
    ~latency_proxy();
    latency_proxy(const latency_proxy&) = delete;
    latency_proxy& operator=(const latency_proxy&) = delete;

    /// "127.0.0.1:PORT".
    std::string host() const;
    /// Connections accepted so far.
    std::size_t connections() const;

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace oras::test

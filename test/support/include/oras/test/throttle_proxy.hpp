// A TCP relay in front of a local server that throttles: the first bodiless request on each of
// the first `throttled_connections` connections is answered `429 Too Many Requests` with
// `Retry-After`, and that connection closed; everything else is relayed byte for byte. For
// tests of clients that must wait out a registry's rate limit.
//
//   oras::test::throttle_proxy proxy(reg.port(), 3, 1);
//   ... use proxy.host() ("127.0.0.1:PORT") as the registry ...
//   EXPECT_EQ(proxy.throttled(), 3u);
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace oras::test {

class throttle_proxy {
  public:
    /// Listens on a free 127.0.0.1 port and relays to 127.0.0.1:`target_port`. Throws
    /// std::system_error when it cannot listen.
    throttle_proxy(std::uint16_t target_port, std::size_t throttled_connections,
                   unsigned retry_after_seconds);
    /// Stops accepting, closes every relayed connection and joins its threads.
    ~throttle_proxy();
    throttle_proxy(const throttle_proxy&) = delete;
    throttle_proxy& operator=(const throttle_proxy&) = delete;

    /// "127.0.0.1:PORT".
    std::string host() const;
    /// Requests answered 429 so far.
    std::size_t throttled() const;
    /// Connections accepted so far.
    std::size_t connections() const;

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace oras::test

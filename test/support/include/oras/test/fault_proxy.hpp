// A TCP relay in front of a local server that injects the faults of a bad network into a share
// of its connections, chosen by a seeded random generator: connection resets and clean closes in
// the middle of a response, stalls, slow drips, a corrupted byte, and 500 / 502 / 503 / 429 (with
// Retry-After) answered in the registry's place. For soak tests of clients that must end every
// operation in a success or a clear error.
//
//   oras::test::fault_proxy proxy(reg.port(), {.seed = 7, .fault_rate = 0.3});
//   ... use proxy.host() ("127.0.0.1:PORT") as the registry ...
//   proxy.counts();  // faults injected, by kind
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace oras::test {

struct fault_options {
    std::uint64_t seed = 1;
    /// Share of connections that get a fault (0 to 1); the others are relayed untouched.
    double fault_rate = 0.25;
    /// How long a stall lasts: longer than the client's I/O timeout makes it a timeout.
    std::chrono::milliseconds stall{1500};
    /// Only this kind of fault ("reset", "truncate", "stall", "drip", "corrupt", "status");
    /// empty: any.
    std::string only{};
};

class fault_proxy {
  public:
    /// Listens on a free 127.0.0.1 port and relays to 127.0.0.1:`target_port`. Throws
    /// std::system_error when it cannot listen.
    fault_proxy(std::uint16_t target_port, fault_options options = {});
    /// Stops accepting, closes every relayed connection and joins its threads.
    ~fault_proxy();
    fault_proxy(const fault_proxy&) = delete;
    fault_proxy& operator=(const fault_proxy&) = delete;

    /// "127.0.0.1:PORT".
    std::string host() const;
    /// Faults injected so far, by kind ("reset", "truncate", "stall", "drip", "corrupt",
    /// "status 503", ...), and "connections" for every connection accepted.
    std::map<std::string, std::size_t> counts() const;
    /// From now on relay everything untouched (or fault again).
    void set_fault_rate(double rate);

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace oras::test

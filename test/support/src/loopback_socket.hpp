// Internal to the test support: blocking loopback TCP helpers shared by the relays that sit
// between a client and a local server (throttle_proxy, fault_proxy, latency_proxy).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace oras::test::detail {

/// A socket connected to 127.0.0.1:`port`, or -1.
inline int connect_local(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

/// Sends all `n` bytes; false when the peer is gone.
inline bool send_all(int fd, const char* p, std::size_t n) {
    while (n > 0) {
        const auto k = ::send(fd, p, n, MSG_NOSIGNAL);
        if (k <= 0) {
            return false;
        }
        p += k;
        n -= static_cast<std::size_t>(k);
    }
    return true;
}

/// A listening socket on a free 127.0.0.1 port; its port in `port`. Throws std::system_error
/// naming `who`.
inline int listen_local(std::uint16_t& port, const char* who) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        throw std::system_error(errno, std::generic_category(), who);
    }
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 128) != 0
        || ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        const int e = errno;
        ::close(fd);
        throw std::system_error(e, std::generic_category(), who);
    }
    port = ntohs(a.sin_port);
    return fd;
}

/// A connection accepted on `listener` within 100 ms, or -1: accept loops stay responsive to
/// their stop flag.
inline int accept_within_100ms(int listener) {
    pollfd p{listener, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) {
        return -1;
    }
    return ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
}

/// The accepting half of a relay: a listener on a free 127.0.0.1 port, and for each connection
/// `accept(fd)` called on the accepting thread, whose result runs on a thread of its own.
/// Destroyed, it raises `stop`, stops accepting and joins every thread: declare it last in its
/// owner, so that what those threads use outlives them. Threads poll `stop` (every 100 ms).
class relay_listener {
  public:
    using accept_fn = std::function<std::function<void()>(int fd)>;

    /// Throws std::system_error naming `who` when it cannot listen.
    relay_listener(const char* who, accept_fn accept)
        : accept_(std::move(accept)), fd_(listen_local(port_, who)), acceptor_([this] { run(); }) {}
    ~relay_listener() {
        stop = true;
        acceptor_.join();
        std::vector<std::thread> threads;
        {
            std::lock_guard lock(m_);
            threads.swap(threads_);
        }
        for (auto& t : threads) {
            t.join();
        }
        ::close(fd_);
    }
    relay_listener(const relay_listener&) = delete;
    relay_listener& operator=(const relay_listener&) = delete;

    std::uint16_t port() const { return port_; }

    std::atomic<bool> stop{false};

  private:
    void run() {
        while (!stop) {
            const int c = accept_within_100ms(fd_);
            if (c < 0) {
                continue;
            }
            auto serve = accept_(c);
            std::lock_guard lock(m_);
            threads_.emplace_back(std::move(serve));
        }
    }

    accept_fn accept_;
    std::uint16_t port_ = 0;
    int fd_;
    std::mutex m_;
    std::vector<std::thread> threads_;
    std::thread acceptor_;  // last: started once everything it uses is there
};

}  // namespace oras::test::detail

// latency_proxy: POSIX sockets, two threads per relayed connection (one per direction), poll()
// with a short timeout so that the destructor can stop every thread.
#include <oras/test/latency_proxy.hpp>

#include "loopback_socket.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace oras::test {

struct latency_proxy::impl {
    std::uint16_t target = 0;
    latency_options o;
    int listener = -1;
    std::uint16_t port = 0;
    std::atomic<bool> stop{false};
    std::atomic<std::size_t> connections{0};
    std::mutex m;
    std::vector<std::thread> threads;
    std::thread acceptor;

    /// Bytes from `from` to `to`, a window at a time, each `delay` after it was read; the other
    /// direction is shut down when this one ends.
    void pump(int from, int to) {
        std::vector<char> buf(o.window);
        while (!stop) {
            std::size_t got = 0;
            // A burst: what arrives within a millisecond or two of its first byte, up to a
            // window, as a TCP sender fills its window.
            while (!stop && got < buf.size()) {
                pollfd p{from, POLLIN, 0};
                const int ready = ::poll(&p, 1, got == 0 ? 100 : 2);
                if (ready <= 0) {
                    if (got == 0) {
                        continue;
                    }
                    break;
                }
                const auto k = ::recv(from, buf.data() + got, buf.size() - got, 0);
                if (k <= 0) {
                    if (got > 0) {
                        std::this_thread::sleep_for(o.delay);
                        detail::send_all(to, buf.data(), got);
                    }
                    ::shutdown(to, SHUT_WR);
                    return;
                }
                got += static_cast<std::size_t>(k);
            }
            if (got == 0) {
                continue;
            }
            std::this_thread::sleep_for(o.delay);
            if (!detail::send_all(to, buf.data(), got)) {
                ::shutdown(from, SHUT_RD);
                return;
            }
        }
    }

    void relay(int client) {
        const int upstream = detail::connect_local(target);
        if (upstream < 0) {
            ::close(client);
            return;
        }
        std::thread back([this, client, upstream] { pump(upstream, client); });
        pump(client, upstream);
        back.join();
        ::close(upstream);
        ::close(client);
    }

    void accept_loop() {
        while (!stop) {
            const int c = detail::accept_within_100ms(listener);
            if (c < 0) {
                continue;
            }
            ++connections;
            std::lock_guard lock(m);
            threads.emplace_back([this, c] { relay(c); });
        }
    }
};

latency_proxy::latency_proxy(std::uint16_t target_port, latency_options options)
    : impl_(std::make_unique<impl>()) {
    impl_->target = target_port;
    impl_->o = options;
    impl_->listener = detail::listen_local(impl_->port, "latency_proxy listen");
    impl_->acceptor = std::thread([this] { impl_->accept_loop(); });
}

latency_proxy::~latency_proxy() {
    impl_->stop = true;
    impl_->acceptor.join();
    std::lock_guard lock(impl_->m);
    for (auto& t : impl_->threads) {
        t.join();
    }
    ::close(impl_->listener);
}

std::string latency_proxy::host() const {
    return "127.0.0.1:" + std::to_string(impl_->port);
}

std::size_t latency_proxy::connections() const {
    return impl_->connections;
}

}  // namespace oras::test

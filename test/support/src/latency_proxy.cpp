// latency_proxy: POSIX sockets, two threads per relayed connection (one per direction), poll()
// with a short timeout so that the destructor can stop every thread.
#include <oras/test/latency_proxy.hpp>

#include "loopback_socket.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace oras::test {

struct latency_proxy::impl {
    std::uint16_t target = 0;
    latency_options o;
    std::atomic<std::size_t> connections{0};
    std::optional<detail::relay_listener> listener;  // last: joins the relays first

    bool stopping() const { return listener->stop; }

    /// Bytes from `from` to `to`, a window at a time, each `delay` after it was read; the other
    /// direction is shut down when this one ends.
    void pump(int from, int to) {
        std::vector<char> buf(o.window);
        while (!stopping()) {
            std::size_t got = 0;
            // A burst: what arrives within a millisecond or two of its first byte, up to a
            // window, as a TCP sender fills its window.
            while (!stopping() && got < buf.size()) {
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
};

latency_proxy::latency_proxy(std::uint16_t target_port, latency_options options)
    : impl_(std::make_unique<impl>()) {
    impl_->target = target_port;
    impl_->o = options;
    impl_->listener.emplace("latency_proxy listen", [this](int c) -> std::function<void()> {
        ++impl_->connections;
        return [this, c] { impl_->relay(c); };
    });
}

latency_proxy::~latency_proxy() = default;

std::string latency_proxy::host() const {
    return "127.0.0.1:" + std::to_string(impl_->listener->port());
}

std::size_t latency_proxy::connections() const {
    return impl_->connections;
}

}  // namespace oras::test

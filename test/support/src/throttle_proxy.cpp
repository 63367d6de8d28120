// throttle_proxy: POSIX sockets, one thread per relayed connection, poll() with a short timeout
// so that the destructor can stop every thread.
#include <oras/test/throttle_proxy.hpp>

#include "loopback_socket.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <functional>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace oras::test {

namespace {

using detail::connect_local;
using detail::send_all;

/// Whether a request head announces a body.
bool has_body(std::string head) {
    std::transform(head.begin(), head.end(), head.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (head.find("\r\ntransfer-encoding:") != std::string::npos) {
        return true;
    }
    const auto cl = head.find("\r\ncontent-length:");
    if (cl == std::string::npos) {
        return false;
    }
    auto i = cl + 17;
    while (i < head.size() && head[i] == ' ') {
        ++i;
    }
    return i < head.size() && head[i] != '0';
}

}  // namespace

struct throttle_proxy::impl {
    std::uint16_t target = 0;
    std::size_t throttle_budget = 0;
    unsigned retry_after = 1;
    std::atomic<std::size_t> throttled{0};
    std::atomic<std::size_t> connections{0};
    std::optional<detail::relay_listener> listener;  // last: joins the relays first

    bool stopping() const { return listener->stop; }

    void relay(int client, bool throttle) {
        std::string pending;
        char buf[64 * 1024];
        if (throttle) {
            // Read the head of the first request.
            while (!stopping() && pending.find("\r\n\r\n") == std::string::npos) {
                pollfd p{client, POLLIN, 0};
                if (::poll(&p, 1, 100) <= 0) {
                    continue;
                }
                const auto k = ::recv(client, buf, sizeof buf, 0);
                if (k <= 0) {
                    ::close(client);
                    return;
                }
                pending.append(buf, static_cast<std::size_t>(k));
            }
            const auto head = pending.substr(0, pending.find("\r\n\r\n") + 2);
            if (!stopping() && !has_body(head)) {
                ++throttled;
                const std::string r =
                    "HTTP/1.1 429 Too Many Requests\r\nRetry-After: " + std::to_string(retry_after)
                    + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
                send_all(client, r.data(), r.size());
                ::shutdown(client, SHUT_WR);
                ::close(client);
                return;
            }
        }
        const int upstream = connect_local(target);
        if (upstream < 0) {
            ::close(client);
            return;
        }
        bool ok = pending.empty() || send_all(upstream, pending.data(), pending.size());
        while (ok && !stopping()) {
            pollfd p[2] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}};
            const int n = ::poll(p, 2, 100);
            if (n < 0) {
                break;
            }
            for (int i = 0; i < 2 && ok; ++i) {
                if ((p[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
                    continue;
                }
                const auto k = ::recv(p[i].fd, buf, sizeof buf, 0);
                ok = k > 0 && send_all(p[1 - i].fd, buf, static_cast<std::size_t>(k));
            }
        }
        ::close(upstream);
        ::close(client);
    }
};

throttle_proxy::throttle_proxy(std::uint16_t target_port, std::size_t throttled_connections,
                               unsigned retry_after_seconds)
    : impl_(std::make_unique<impl>()) {
    impl_->target = target_port;
    impl_->throttle_budget = throttled_connections;
    impl_->retry_after = retry_after_seconds;
    impl_->listener.emplace("throttle_proxy listen", [this](int c) -> std::function<void()> {
        const bool throttle = impl_->connections++ < impl_->throttle_budget;
        return [this, c, throttle] { impl_->relay(c, throttle); };
    });
}

throttle_proxy::~throttle_proxy() = default;

std::string throttle_proxy::host() const {
    return "127.0.0.1:" + std::to_string(impl_->listener->port());
}
std::size_t throttle_proxy::throttled() const {
    return impl_->throttled;
}
std::size_t throttle_proxy::connections() const {
    return impl_->connections;
}

}  // namespace oras::test

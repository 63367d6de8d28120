// fault_proxy: POSIX sockets, one thread per relayed connection, poll() with a short timeout so
// that the destructor can stop every thread. Faults act on the response direction, at a random
// offset into it, so that they land in heads and bodies of any request on a keep-alive
// connection.
#include <oras/test/fault_proxy.hpp>

#include "loopback_socket.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace oras::test {

namespace {

using detail::connect_local;
using detail::send_all;

/// Closes with a TCP reset instead of a FIN.
void reset(int fd) {
    linger l{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ::close(fd);
}

enum class fault { none, reset, truncate, stall, drip, corrupt, status };

struct plan {
    fault kind = fault::none;
    std::size_t at = 0;  // response bytes relayed before it acts
    unsigned status = 0;
};

}  // namespace

struct fault_proxy::impl {
    std::uint16_t target = 0;
    fault_options opts;
    std::atomic<double> rate{0};
    mutable std::mutex m;
    std::mt19937_64 rng;
    std::map<std::string, std::size_t> counts;
    std::optional<detail::relay_listener> listener;  // last: joins the relays first

    bool stopping() const { return listener->stop; }

    void count(const std::string& what) {
        std::lock_guard lock(m);
        ++counts[what];
    }

    plan choose() {
        std::lock_guard lock(m);
        std::uniform_real_distribution<double> unit(0, 1);
        plan p;
        if (unit(rng) >= rate.load()) {
            // No fault for a while: the dice are thrown again further into the connection, so
            // that long-lived keep-alive connections meet faults too.
            p.at = std::uniform_int_distribution<std::size_t>(1, 200'000)(rng);
            return p;
        }
        static constexpr fault kinds[] = {fault::reset, fault::truncate, fault::stall,
                                          fault::drip,  fault::corrupt,  fault::status};
        p.kind = kinds[std::uniform_int_distribution<std::size_t>(0, std::size(kinds) - 1)(rng)];
        static constexpr const char* names[] = {"reset", "truncate", "stall",
                                                "drip",  "corrupt",  "status"};
        for (std::size_t k = 0; k < std::size(kinds); ++k) {
            if (opts.only == names[k]) {
                p.kind = kinds[k];
            }
        }
        // Mostly early (heads, small bodies), sometimes deep into a blob.
        p.at = unit(rng) < 0.5 ? std::uniform_int_distribution<std::size_t>(0, 400)(rng)
                               : std::uniform_int_distribution<std::size_t>(0, 300'000)(rng);
        static constexpr unsigned statuses[] = {500, 502, 503, 429};
        p.status = statuses[std::uniform_int_distribution<std::size_t>(0, 3)(rng)];
        return p;
    }

    /// Answers the first request on `client` with `status` in the registry's place.
    void answer_status(int client, unsigned status) {
        char buf[16 * 1024];
        std::string head;
        while (!stopping() && head.find("\r\n\r\n") == std::string::npos
               && head.size() < 64 * 1024) {
            pollfd p{client, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) {
                continue;
            }
            const auto k = ::recv(client, buf, sizeof buf, 0);
            if (k <= 0) {
                break;
            }
            head.append(buf, static_cast<std::size_t>(k));
        }
        const std::string reason = status == 429   ? "Too Many Requests"
                                   : status == 503 ? "Service Unavailable"
                                   : status == 502 ? "Bad Gateway"
                                                   : "Internal Server Error";
        std::string r = "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\n";
        if (status == 429 || status == 503) {
            r += "Retry-After: 1\r\n";
        }
        const std::string body = R"({"errors":[{"code":"UNAVAILABLE","message":"injected"}]})";
        r += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size())
             + "\r\nConnection: close\r\n\r\n" + body;
        send_all(client, r.data(), r.size());
        ::shutdown(client, SHUT_WR);
        ::close(client);
    }

    void relay(int client, plan p) {
        if (p.kind == fault::status) {
            count("status " + std::to_string(p.status));
            answer_status(client, p.status);
            return;
        }
        const int upstream = connect_local(target);
        if (upstream < 0) {
            ::close(client);
            return;
        }
        char buf[64 * 1024];
        std::size_t relayed = 0;  // response bytes sent to the client
        bool acted = false;
        bool ok = true;
        while (ok && !stopping()) {
            pollfd fds[2] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}};
            if (::poll(fds, 2, 100) < 0) {
                break;
            }
            if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
                const auto k = ::recv(client, buf, sizeof buf, 0);
                ok = k > 0 && send_all(upstream, buf, static_cast<std::size_t>(k));
            }
            if (!ok || (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
                continue;
            }
            const auto k = ::recv(upstream, buf, sizeof buf, 0);
            if (k <= 0) {
                break;
            }
            auto n = static_cast<std::size_t>(k);
            if (p.kind == fault::none && relayed + n > p.at) {
                // The quiet stretch is over: draw the next plan, counted from here. A status
                // answer can only replace a whole response, so mid-connection it is a reset.
                const auto base = relayed;
                p = choose();
                p.at += base;
                acted = false;
                if (p.kind == fault::status) {
                    p.kind = fault::reset;
                }
            }
            if (acted || p.kind == fault::none || relayed + n <= p.at) {
                if (p.kind == fault::drip && acted) {
                    for (std::size_t i = 0; ok && i < n && !stopping(); i += 512) {
                        ok = send_all(client, buf + i, std::min<std::size_t>(512, n - i));
                        std::this_thread::sleep_for(std::chrono::milliseconds(2));
                    }
                } else {
                    ok = send_all(client, buf, n);
                }
                relayed += n;
                continue;
            }
            // The fault's offset falls in this read: relay up to it, then act.
            const auto before = p.at - relayed;
            ok = send_all(client, buf, before);
            acted = true;
            switch (p.kind) {
                case fault::reset:
                    count("reset");
                    reset(client);
                    ::close(upstream);
                    return;
                case fault::truncate:
                    count("truncate");
                    ::shutdown(client, SHUT_WR);
                    ::close(client);
                    ::close(upstream);
                    return;
                case fault::stall:
                    count("stall");
                    for (auto left = opts.stall; left.count() > 0 && !stopping();
                         left -= std::chrono::milliseconds(50)) {
                        std::this_thread::sleep_for(std::chrono::milliseconds(50));
                    }
                    break;
                case fault::drip:
                    count("drip");
                    break;
                case fault::corrupt:
                    count("corrupt");
                    buf[before] = static_cast<char>(buf[before] ^ 0x20);
                    break;
                default:
                    break;
            }
            ok = ok && send_all(client, buf + before, n - before);
            relayed += n;
            if (p.kind == fault::stall || p.kind == fault::corrupt) {
                // Survived (or not): quiet again until the next draw.
                p.kind = fault::none;
                p.at = relayed;
            }
        }
        ::close(upstream);
        ::close(client);
    }
};

fault_proxy::fault_proxy(std::uint16_t target_port, fault_options options)
    : impl_(std::make_unique<impl>()) {
    impl_->target = target_port;
    impl_->opts = options;
    impl_->rate = options.fault_rate;
    impl_->rng.seed(options.seed);
    // Each connection's plan is drawn as it is accepted, in order: one seed, one sequence.
    impl_->listener.emplace("fault_proxy listen", [this](int c) -> std::function<void()> {
        impl_->count("connections");
        const auto chosen = impl_->choose();
        return [this, c, chosen] { impl_->relay(c, chosen); };
    });
}

fault_proxy::~fault_proxy() = default;

std::string fault_proxy::host() const {
    return "127.0.0.1:" + std::to_string(impl_->listener->port());
}

std::map<std::string, std::size_t> fault_proxy::counts() const {
    std::lock_guard lock(impl_->m);
    return impl_->counts;
}

void fault_proxy::set_fault_rate(double rate) {
    impl_->rate = rate;
}

}  // namespace oras::test

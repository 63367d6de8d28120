// http::client's connection slots per origin and the reuse of idle connections.
#include "http/client_state.hpp"

namespace oras::http {

namespace detail {

void client_state::close_idle() {
    for (auto& [key, pool] : pools_) {
        for (auto& c : pool.idle) {
            c->close();
        }
        pool.idle.clear();
    }
}

void client_state::close_expired_idle(std::chrono::steady_clock::time_point now) {
    // At most a few times per idle period: a release is frequent, the origins few.
    if (now - last_sweep_ < options_.timeouts.idle_connection / 4) {
        return;
    }
    last_sweep_ = now;
    for (auto& [key, pool] : pools_) {
        // Oldest first: each is pushed at the back when it goes idle.
        while (!pool.idle.empty()
               && now - pool.idle.front()->idle_since >= options_.timeouts.idle_connection) {
            pool.idle.front()->close();
            pool.idle.pop_front();
            ++stats_.idle_connections_closed;
        }
    }
}

/// Returns a slot, and the connection if it may be reused.
void client_state::release(const std::string& key, std::unique_ptr<connection> conn,
                           bool reusable) {
    // Idle connections to origins not asked again (a redirect's blob host, a registry used
    // once) are closed here, as any request ends, rather than held until the client goes.
    close_expired_idle(std::chrono::steady_clock::now());
    auto& pool = pool_of(key);
    if (conn) {
        if (reusable && options_.keep_alive && conn->buffer.size() == 0
            && pool.idle.size() < options_.max_idle_per_origin) {
            conn->idle_since = std::chrono::steady_clock::now();
            pool.idle.push_back(std::move(conn));
        } else {
            conn->close();
        }
    }
    // The slot passes to the longest waiter directly, so that newcomers cannot starve it.
    pool.slots.release();
}

asio::awaitable<std::unique_ptr<connection>> client_state::acquire(const std::string& key,
                                                                   bool& reused) {
    reused = false;
    std::string what = "cancelled while waiting for a connection";
    co_await pool_of(key).slots.acquire(std::move(what));
    auto& idle = pool_of(key).idle;
    const auto now = std::chrono::steady_clock::now();
    while (!idle.empty()) {
        auto c = std::move(idle.back());
        idle.pop_back();
        if (now - c->idle_since < options_.timeouts.idle_connection && c->looks_alive()) {
            reused = true;
            ++stats_.connections_reused;
            co_return c;
        }
        if (now - c->idle_since >= options_.timeouts.idle_connection) {
            ++stats_.idle_connections_closed;
        }
        c->close();
    }
    co_return nullptr;
}

}  // namespace detail

}  // namespace oras::http

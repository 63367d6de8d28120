// Internal: run a task per item with at most `limit` of them in flight, on the caller's executor.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>

namespace oras::ops::detail {

/// Calls `task(i)` for i in [0, count), at most `limit` at once. After the first failure no new
/// task starts; the ones running finish, then the first failure is rethrown. The caller's
/// cancellation is not forwarded to running tasks (they are bounded by their own timeouts).
inline boost::asio::awaitable<void> for_each_limited(
    std::size_t count, std::size_t limit,
    std::function<boost::asio::awaitable<void>(std::size_t)> task) {
    namespace asio = boost::asio;
    if (count == 0) {
        co_return;
    }
    struct shared {
        explicit shared(const asio::any_io_executor& ex)
            : done(ex, asio::steady_timer::time_point::max()) {}
        asio::steady_timer done;
        std::size_t next = 0;
        std::size_t running = 0;
        std::exception_ptr failure;
    };
    const auto ex = co_await asio::this_coro::executor;
    auto st = std::make_shared<shared>(ex);
    auto worker = [st, count, task]() -> asio::awaitable<void> {
        while (!st->failure && st->next < count) {
            const auto i = st->next++;
            try {
                co_await task(i);
            } catch (...) {
                if (!st->failure) {
                    st->failure = std::current_exception();
                }
            }
        }
    };
    const auto workers = std::max<std::size_t>(1, std::min(limit, count));
    for (std::size_t w = 0; w < workers; ++w) {
        ++st->running;
        asio::co_spawn(ex, worker, [st](std::exception_ptr e) {
            if (e && !st->failure) {
                st->failure = e;
            }
            if (--st->running == 0) {
                st->done.cancel();
            }
        });
    }
    while (st->running != 0) {
        boost::system::error_code ec;
        co_await st->done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (st->failure) {
        std::rethrow_exception(st->failure);
    }
}

}  // namespace oras::ops::detail

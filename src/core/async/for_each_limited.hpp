// Internal: run a task per item with at most `limit` of them in flight, on the caller's executor.
// (See core/async/fifo_semaphore.hpp for the family.)
#pragma once

#include "core/cancelled.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <utility>

namespace oras::detail {

/// Calls `task(i)` for i in [0, count), at most `limit` at once. After the first failure no new
/// task starts; the ones running finish, then the first failure is rethrown. The caller's
/// cancellation is forwarded to every running task (their transfers are cut, their upload
/// sessions cancelled), and this returns only once all of them have finished — tasks may
/// therefore refer to the caller's locals — then throws `errc::cancelled`.
inline boost::asio::awaitable<void> for_each_limited(
    std::size_t count, std::size_t limit,
    std::function<boost::asio::awaitable<void>(std::size_t)> task) {
    namespace asio = boost::asio;
    if (count == 0) {
        co_return;
    }
    const auto workers = std::max<std::size_t>(1, std::min(limit, count));
    struct shared {
        shared(const asio::any_io_executor& ex, std::size_t n)
            : done(ex, asio::steady_timer::time_point::max()),
              signals(std::make_unique<asio::cancellation_signal[]>(n)) {}
        asio::steady_timer done;
        std::unique_ptr<asio::cancellation_signal[]> signals;
        std::size_t next = 0;
        std::size_t running = 0;
        std::exception_ptr failure;
    };
    const auto ex = co_await asio::this_coro::executor;
    auto st = std::make_shared<shared>(ex, workers);
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
    for (std::size_t w = 0; w < workers; ++w) {
        ++st->running;
        asio::co_spawn(
            ex, worker,
            asio::bind_cancellation_slot(st->signals[w].slot(), [st](std::exception_ptr e) {
                if (e && !st->failure) {
                    st->failure = e;
                }
                if (--st->running == 0) {
                    st->done.cancel();
                }
            }));
    }
    bool cancelled = false;
    while (st->running != 0) {
        boost::system::error_code ec;
        co_await st->done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        const auto state = co_await asio::this_coro::cancellation_state;
        if (state.cancelled() != asio::cancellation_type::none) {
            cancelled = true;
            st->next = count;  // nothing new starts
            for (std::size_t w = 0; w < workers; ++w) {
                st->signals[w].emit(asio::cancellation_type::terminal);
            }
            // Keep waiting for the workers, whatever else the caller says.
            co_await asio::this_coro::reset_cancellation_state();
        }
    }
    if (cancelled) {
        throw oras::detail::cancelled_error();
    }
    if (st->failure) {
        std::rethrow_exception(st->failure);
    }
}

}  // namespace oras::detail

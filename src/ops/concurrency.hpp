// Internal: run a task per item with at most `limit` of them in flight, on the caller's executor.
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

namespace oras::ops::detail {

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

/// A counting semaphore for coroutines on one executor (strand): `acquire` waits for one of
/// `permits` permits, first come first served, and the returned guard gives it back.
class semaphore {
  public:
    class permit {
      public:
        permit() = default;
        explicit permit(semaphore* s) : s_(s) {}
        permit(permit&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
        permit& operator=(permit&& o) noexcept {
            if (this != &o) {
                reset();
                s_ = std::exchange(o.s_, nullptr);
            }
            return *this;
        }
        ~permit() { reset(); }
        void reset() noexcept {
            if (s_ != nullptr) {
                std::exchange(s_, nullptr)->release();
            }
        }
        explicit operator bool() const noexcept { return s_ != nullptr; }

      private:
        semaphore* s_ = nullptr;
    };

    explicit semaphore(std::size_t permits) : free_(std::max<std::size_t>(1, permits)) {}
    semaphore(const semaphore&) = delete;
    semaphore& operator=(const semaphore&) = delete;

    /// Waits for a permit. Cancelling the wait throws `errc::cancelled` and takes no permit.
    boost::asio::awaitable<permit> acquire() {
        namespace asio = boost::asio;
        if (free_ > 0 && waiters_.empty()) {
            --free_;
            co_return permit(this);
        }
        auto w = std::make_shared<waiter>(co_await asio::this_coro::executor);
        waiters_.push_back(w);
        boost::system::error_code ec;
        co_await w->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (!w->granted) {
            std::erase(waiters_, w);
            throw oras::detail::cancelled_error();
        }
        co_return permit(this);
    }

    std::size_t available() const noexcept { return free_; }
    std::size_t waiting() const noexcept { return waiters_.size(); }

  private:
    struct waiter {
        explicit waiter(const boost::asio::any_io_executor& ex)
            : timer(ex, boost::asio::steady_timer::time_point::max()) {}
        boost::asio::steady_timer timer;
        bool granted = false;
    };

    void release() noexcept {
        if (waiters_.empty()) {
            ++free_;
            return;
        }
        // Straight to the longest waiter, so that newcomers cannot overtake it.
        auto w = std::move(waiters_.front());
        waiters_.pop_front();
        w->granted = true;
        w->timer.cancel();
    }

    std::size_t free_;
    std::deque<std::shared_ptr<waiter>> waiters_;
};

}  // namespace oras::ops::detail

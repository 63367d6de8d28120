// Internal: a counting semaphore for coroutines, first come first served.
//
// The library's async primitives (this, keyed_mutex, shared_flight, for_each_limited) live in
// core/async: they do no I/O, only make coroutines on one executor wait for each other, so they
// need no thread synchronisation. Each has its own tests (test/unit/core/async_test.cpp).
#pragma once

#include "core/cancelled.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <utility>

namespace oras::detail {

/// `permits` permits for coroutines on one executor (or strand). `acquire` takes one, waiting
/// in line when none is free; `release` hands it straight to the longest waiter, so newcomers
/// never overtake a waiter. Move-free: waiters point at it.
class fifo_semaphore {
  public:
    /// A permit held; released when destroyed (or `reset`).
    class permit {
      public:
        permit() = default;
        explicit permit(fifo_semaphore* s) noexcept : s_(s) {}
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
        fifo_semaphore* s_ = nullptr;
    };

    /// At least one permit.
    explicit fifo_semaphore(std::size_t permits) noexcept
        : free_(std::max<std::size_t>(1, permits)) {}
    fifo_semaphore(const fifo_semaphore&) = delete;
    fifo_semaphore& operator=(const fifo_semaphore&) = delete;

    /// Waits for a permit, which the caller then owes a `release`. Cancelling the wait throws
    /// `errc::cancelled` (`what` says what was waited for) and takes none; a permit handed to a
    /// waiter whose frame is destroyed before it resumes goes on to the next.
    boost::asio::awaitable<void> acquire(std::string what = "cancelled while waiting") {
        namespace asio = boost::asio;
        if (free_ > 0 && waiters_.empty()) {
            --free_;
            co_return;
        }
        auto w = std::make_shared<waiter>(co_await asio::this_coro::executor);
        waiters_.push_back(w);
        struct leave_line {
            fifo_semaphore& s;
            const std::shared_ptr<waiter>& w;
            bool taken = false;
            ~leave_line() {
                if (!w->granted) {
                    std::erase(s.waiters_, w);
                } else if (!taken) {
                    s.release();
                }
            }
        } guard{*this, w};
        co_await w->timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (!w->granted) {
            throw cancelled_error(what);
        }
        guard.taken = true;
    }

    /// `acquire` with the permit held by a guard.
    boost::asio::awaitable<permit> acquire_permit() {
        // Named, not a default argument inside the co_await: GCC 12 mishandles the latter.
        std::string what = "cancelled while waiting";
        co_await acquire(std::move(what));
        co_return permit(this);
    }

    /// Gives a permit back: to the longest waiter, else to the free count.
    void release() noexcept {
        if (waiters_.empty()) {
            ++free_;
            return;
        }
        auto w = std::move(waiters_.front());
        waiters_.pop_front();
        w->granted = true;
        w->timer.cancel();
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

    std::size_t free_;
    std::deque<std::shared_ptr<waiter>> waiters_;
};

}  // namespace oras::detail

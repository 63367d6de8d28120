// The library's async primitives, each alone: who gets a permit or a lock, in what order, and
// what cancellation and destroyed waiters leave behind.
#include "core/async/fifo_semaphore.hpp"
#include "core/async/for_each_limited.hpp"
#include "core/async/keyed_mutex.hpp"
#include "core/async/shared_flight.hpp"

#include <oras/error.hpp>

#include <gtest/gtest.h>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;

// Lets other coroutines run: one trip through the executor's queue.
asio::awaitable<void> yield_once() {
    co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
}

TEST(fifo_semaphore, grants_in_order_and_a_cancelled_wait_takes_nothing) {
    asio::io_context io;
    oras::detail::fifo_semaphore sem(2);
    std::vector<int> order;
    std::vector<oras::detail::fifo_semaphore::permit> held;
    asio::cancellation_signal cancel_third;
    const auto take = [&](int id) -> asio::awaitable<void> {
        auto p = co_await sem.acquire_permit();
        order.push_back(id);
        held.push_back(std::move(p));
    };
    for (int id = 1; id <= 4; ++id) {
        auto op = take(id);
        if (id == 3) {
            asio::co_spawn(io, std::move(op),
                           asio::bind_cancellation_slot(cancel_third.slot(), asio::detached));
        } else {
            asio::co_spawn(io, std::move(op), asio::detached);
        }
    }
    io.poll();
    EXPECT_EQ(order, (std::vector<int>{1, 2}));
    EXPECT_EQ(sem.available(), 0u);
    EXPECT_EQ(sem.waiting(), 2u);
    cancel_third.emit(asio::cancellation_type::terminal);
    io.poll();
    EXPECT_EQ(sem.waiting(), 1u);
    held.erase(held.begin());  // gives a permit back: to 4, the next waiter, not to 3
    io.poll();
    EXPECT_EQ(order, (std::vector<int>{1, 2, 4}));
    held.clear();
    io.poll();
    EXPECT_EQ(sem.available(), 2u);
}

// A permit handed to a waiter whose frame is destroyed before it resumes (its io_context shut
// down) is not lost.
TEST(fifo_semaphore, a_waiter_destroyed_after_its_grant_passes_the_permit_on) {
    oras::detail::fifo_semaphore sem(1);
    {
        asio::io_context io;
        asio::co_spawn(
            io, [&]() -> asio::awaitable<void> { co_await sem.acquire(); }, asio::detached);
        io.poll();
        EXPECT_EQ(sem.available(), 0u);
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
                co_await sem.acquire();
                ADD_FAILURE() << "the waiter resumed";
            },
            asio::detached);
        io.restart();  // poll() stops the context once it runs out of work
        io.poll();
        EXPECT_EQ(sem.waiting(), 1u);
        sem.release();  // the first holder's permit, handed to the waiter, not yet resumed
        EXPECT_EQ(sem.waiting(), 0u);
        EXPECT_EQ(sem.available(), 0u);
    }
    EXPECT_EQ(sem.available(), 1u);
}

TEST(keyed_mutex, one_holder_per_key_in_arrival_order) {
    asio::io_context io;
    auto m = std::make_shared<oras::detail::keyed_mutex>();
    std::vector<std::string> log;
    const auto use = [&](std::string key, int id) -> asio::awaitable<void> {
        auto g = co_await m->lock(key);
        log.push_back(key + std::to_string(id) + "+");
        co_await yield_once();
        co_await yield_once();
        log.push_back(key + std::to_string(id) + "-");
    };
    asio::co_spawn(io, use("a", 1), asio::detached);
    asio::co_spawn(io, use("a", 2), asio::detached);
    asio::co_spawn(io, use("b", 1), asio::detached);
    asio::co_spawn(io, use("a", 3), asio::detached);
    io.run();
    // Key a: 1, 2, 3 one after another; b beside them.
    EXPECT_EQ(log,
              (std::vector<std::string>{"a1+", "b1+", "a1-", "b1-", "a2+", "a2-", "a3+", "a3-"}));
    EXPECT_EQ(m->size(), 0u);  // no key kept once nobody holds or waits
}

TEST(keyed_mutex, a_cancelled_wait_holds_nothing_and_the_line_moves_on) {
    asio::io_context io;
    auto m = std::make_shared<oras::detail::keyed_mutex>();
    std::optional<oras::detail::keyed_mutex::guard> first;
    std::vector<int> order;
    std::exception_ptr cancelled;
    asio::co_spawn(
        io, [&]() -> asio::awaitable<void> { first.emplace(co_await m->lock("k")); },
        asio::detached);
    io.poll();
    asio::cancellation_signal cancel;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            auto g = co_await m->lock("k", "waiting for k");
            order.push_back(2);
        },
        asio::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr e) { cancelled = e; }));
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            auto g = co_await m->lock("k");
            order.push_back(3);
        },
        asio::detached);
    io.restart();  // poll() stops the context once it runs out of work
    io.poll();
    cancel.emit(asio::cancellation_type::terminal);
    io.restart();  // poll() stops the context once it runs out of work
    io.poll();
    ASSERT_TRUE(cancelled);
    EXPECT_TRUE(oras::is_cancelled(cancelled));
    try {
        std::rethrow_exception(cancelled);
    } catch (const oras::error& e) {
        EXPECT_EQ(e.code(), oras::errc::cancelled);
        EXPECT_NE(std::string(e.what()).find("waiting for k"), std::string::npos);
    }
    EXPECT_TRUE(order.empty());
    first.reset();
    io.restart();  // poll() stops the context once it runs out of work
    io.poll();
    EXPECT_EQ(order, std::vector<int>{3});
    EXPECT_EQ(m->size(), 0u);
}

TEST(shared_flight, later_callers_share_the_first_result) {
    asio::io_context io;
    oras::detail::flight_map<int> flights;
    int runs = 0;
    std::vector<int> got;
    const auto ask = [&]() -> asio::awaitable<void> {
        const int v =
            co_await oras::detail::share_flight<int>(flights, "key", [&]() -> asio::awaitable<int> {
                ++runs;
                co_await yield_once();
                co_return 42;
            });
        got.push_back(v);
    };
    for (int i = 0; i < 3; ++i) {
        asio::co_spawn(io, ask(), asio::detached);
    }
    io.run();
    EXPECT_EQ(runs, 1);
    EXPECT_EQ(got, (std::vector<int>{42, 42, 42}));
    EXPECT_TRUE(flights.empty());
    // Once landed, a new ask runs again.
    asio::co_spawn(io, ask(), asio::detached);
    io.restart();
    io.run();
    EXPECT_EQ(runs, 2);
}

TEST(shared_flight, a_failure_reaches_every_waiter) {
    asio::io_context io;
    oras::detail::flight_map<int> flights;
    int failures = 0;
    const auto ask = [&]() -> asio::awaitable<void> {
        try {
            co_await oras::detail::share_flight<int>(flights, "key", []() -> asio::awaitable<int> {
                co_await yield_once();
                throw std::runtime_error("boom");
            });
        } catch (const std::runtime_error&) {
            ++failures;
        }
    };
    asio::co_spawn(io, ask(), asio::detached);
    asio::co_spawn(io, ask(), asio::detached);
    io.run();
    EXPECT_EQ(failures, 2);
}

TEST(for_each_limited, at_most_limit_at_once_and_the_first_failure_wins) {
    asio::io_context io;
    int running = 0;
    int peak = 0;
    std::vector<std::size_t> done;
    const auto task = [&](std::size_t i) -> asio::awaitable<void> {
        peak = std::max(peak, ++running);
        co_await yield_once();
        --running;
        if (i == 4) {
            throw std::runtime_error("item 4");
        }
        done.push_back(i);
    };
    std::string failure;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            try {
                co_await oras::detail::for_each_limited(10, 3, task);
            } catch (const std::runtime_error& e) {
                failure = e.what();
            }
        },
        asio::detached);
    io.run();
    EXPECT_EQ(peak, 3);
    EXPECT_EQ(failure, "item 4");
    EXPECT_EQ(running, 0);       // every started task finished first
    EXPECT_LT(done.size(), 9u);  // and nothing new started after the failure
}

TEST(for_each_limited, cancellation_waits_for_the_running_tasks_then_is_cancelled) {
    asio::io_context io;
    int finished = 0;
    const auto task = [&](std::size_t) -> asio::awaitable<void> {
        asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::hours(1));
        try {
            co_await t.async_wait(asio::use_awaitable);
        } catch (...) {
            ++finished;
            throw;
        }
    };
    asio::cancellation_signal cancel;
    std::exception_ptr outcome;
    asio::co_spawn(
        io, oras::detail::for_each_limited(5, 2, task),
        asio::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr e) { outcome = e; }));
    io.poll();
    cancel.emit(asio::cancellation_type::terminal);
    io.run();
    EXPECT_EQ(finished, 2);  // both running tasks were cut, none of the 3 others started
    EXPECT_TRUE(oras::is_cancelled(outcome));
}

}  // namespace

// Internal: run a blocking call (a credential helper, a config file write, an fsync) off the
// event loop.
#pragma once

#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <functional>
#include <thread>

namespace oras::detail {

/// Runs a blocking function (a credential helper, a sync to disk) on a thread of its own, resuming
/// the caller on its executor, so that the event loop keeps serving other transfers meanwhile.
/// The thread holds work on that executor until it has posted its result: the io_context must
/// outlive it (not be stopped and destroyed while such a call is under way).
template <class T>
boost::asio::awaitable<T> run_blocking(std::function<T()> fn) {
    const auto ex = co_await boost::asio::this_coro::executor;
    // Named, not a temporary inside the co_await: GCC 12 mishandles the latter.
    auto initiate = [&fn, ex](auto handler) {
        auto work = boost::asio::make_work_guard(ex);
        std::thread([fn = std::move(fn), handler = std::move(handler),
                     work = std::move(work)]() mutable {
            std::exception_ptr error;
            T value{};
            try {
                value = fn();
            } catch (...) {
                error = std::current_exception();
            }
            const auto home = work.get_executor();
            boost::asio::post(
                home, [handler = std::move(handler), error, value = std::move(value)]() mutable {
                    std::move(handler)(error, std::move(value));
                });
        }).detach();
    };
    co_return co_await boost::asio::async_initiate<const boost::asio::use_awaitable_t<>,
                                                   void(std::exception_ptr, T)>(
        initiate, boost::asio::use_awaitable);
}

}  // namespace oras::detail

// Runs a coroutine to completion on an io_context, for tests that call async APIs step by step.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace oras::test {

/// Runs `a` (and whatever else is queued on `io`) until `io` has no more work; returns its
/// result or rethrows its exception.
template <class T>
T run(boost::asio::io_context& io, boost::asio::awaitable<T> a) {
    auto f = boost::asio::co_spawn(io, std::move(a), boost::asio::use_future);
    io.restart();
    io.run();
    return f.get();
}

}  // namespace oras::test

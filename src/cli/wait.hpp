// Runs a coroutine to completion on a command's io_context: each command is one event loop.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace oras::cli {

template <class T>
T wait(boost::asio::io_context& io, boost::asio::awaitable<T> a) {
    auto f = boost::asio::co_spawn(io, std::move(a), boost::asio::use_future);
    io.restart();  // a command may wait more than once on its io_context
    io.run();
    return f.get();
}

}  // namespace oras::cli

// Internal: how the library's async_ forms start an operation for a completion token.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <type_traits>
#include <utility>

#pragma GCC visibility push(default)

namespace oras::detail {

/// Tokens for which an async_ form hands back the coroutine itself, to be co_awaited: Boost
/// 1.81's awaitable cannot resume an operation completing with `(std::exception_ptr, T)` (its
/// `resume` does not compile), which is what `co_spawn` completes with.
template <class Token>
inline constexpr bool awaited_directly =
    std::is_same_v<
        std::decay_t<Token>,
        boost::asio::
            deferred_t> || std::is_same_v<std::decay_t<Token>, boost::asio::use_awaitable_t<>>;

/// `op` itself for `deferred` and `use_awaitable`; otherwise `op` spawned on `executor` and
/// completed through `token` with `void(std::exception_ptr, T)`.
template <class T, class Token>
auto start(boost::asio::any_io_executor executor, boost::asio::awaitable<T> op, Token&& token) {
    if constexpr (awaited_directly<Token>) {
        return op;
    } else {
        return boost::asio::co_spawn(std::move(executor), std::move(op),
                                     std::forward<Token>(token));
    }
}

}  // namespace oras::detail

#pragma GCC visibility pop

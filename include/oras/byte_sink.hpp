// byte_sink: where fetched bytes go, in order.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <functional>
#include <span>

#pragma GCC visibility push(default)

namespace oras {

/// Receives bytes in order, one chunk per call, and returns when it is done with them (the
/// chunk is not valid after). Throwing stops the transfer. What a target's `fetch` and a
/// registry's `fetch_blob` write into. A fetch that fails may have handed some bytes to the
/// sink already: the sink must then discard them.
using byte_sink = std::function<boost::asio::awaitable<void>(std::span<const std::byte>)>;

}  // namespace oras

#pragma GCC visibility pop

// Internal: one asynchronous operation shared by every caller that asks for the same key while
// it runs (a token fetch, a credential lookup, a blob upload).
#pragma once

#include "core/cancelled.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

namespace oras::detail {

namespace asio = boost::asio;

/// One operation in flight that later callers with the same key wait for instead of repeating.
template <class T>
struct flight {
    explicit flight(const asio::any_io_executor& ex)
        : wake(ex, asio::steady_timer::time_point::max()) {}
    asio::steady_timer wake;
    bool done = false;
    std::optional<T> value;
    std::exception_ptr error;
};

template <class T>
using flight_map = std::map<std::string, std::shared_ptr<flight<T>>, std::less<>>;

/// Waits for `f` to end. Throws `errc::cancelled` when woken by the caller's cancellation.
template <class T>
asio::awaitable<void> wait_for(std::shared_ptr<flight<T>> f) {
    boost::system::error_code ec;
    co_await f->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!f->done) {
        throw oras::detail::cancelled_error();
    }
}

/// Runs `make` unless a flight with `key` is under way, in which case its result is shared. A
/// flight cancelled by its own caller does not fail the others: they start a new one.
template <class T, class Make>
asio::awaitable<T> share_flight(flight_map<T>& flights, std::string key, Make make) {
    for (;;) {
        if (const auto it = flights.find(key); it != flights.end()) {
            const auto f = it->second;
            co_await wait_for(f);
            if (f->error) {
                if (oras::is_cancelled(f->error)) {
                    continue;
                }
                std::rethrow_exception(f->error);
            }
            co_return *f->value;
        }
        const auto f = std::make_shared<flight<T>>(co_await asio::this_coro::executor);
        flights.emplace(key, f);
        try {
            f->value = co_await make();
        } catch (...) {
            f->error = std::current_exception();
        }
        f->done = true;
        flights.erase(key);
        f->wake.cancel();
        if (f->error) {
            std::rethrow_exception(f->error);
        }
        co_return *f->value;
    }
}

/// `share_flight`, except that a caller whose wait ends in the other caller's failure (not a
/// cancellation) runs `make` itself, outside the flight: that failure may be the leader's own
/// (its source, its body), not this caller's. Waiters that retry do so at once, not in turn.
template <class T, class Make>
asio::awaitable<T> share_flight_or_own(flight_map<T>& flights, std::string key, Make make) {
    bool led = false;
    auto tracked = [&led, &make]() -> asio::awaitable<T> {
        led = true;
        co_return co_await make();
    };
    std::exception_ptr failed;
    try {
        co_return co_await share_flight<T>(flights, std::move(key), tracked);
    } catch (...) {
        failed = std::current_exception();
    }
    if (led || oras::is_cancelled(failed)) {
        std::rethrow_exception(failed);
    }
    co_return co_await make();
}

}  // namespace oras::detail

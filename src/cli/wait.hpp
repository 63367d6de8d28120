// Runs a coroutine to completion on a command's io_context: each command is one event loop.
// SIGINT and SIGTERM cancel it (temp files go, open upload sessions are cancelled as the
// operation unwinds) and the command exits 128 + the signal; a second signal exits at once.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <exception>
#include <optional>
#include <type_traits>

namespace oras::cli {

/// Thrown by `wait` when a signal stopped the operation; `run` prints it on one line and exits
/// 128 + `signal`.
class interrupted : public std::exception {
  public:
    explicit interrupted(int signal) : signal_(signal) {}
    int signal() const noexcept { return signal_; }
    const char* what() const noexcept override;

  private:
    int signal_;
};

/// Watches SIGINT and SIGTERM on `io` while one operation runs: the first cancels the operation
/// through `slot()`, a second ends the process at once. `done()` stops watching.
class interrupt_guard {
  public:
    explicit interrupt_guard(boost::asio::io_context& io);
    interrupt_guard(const interrupt_guard&) = delete;
    interrupt_guard& operator=(const interrupt_guard&) = delete;

    boost::asio::cancellation_slot slot() { return cancel_.slot(); }
    void done();
    /// The signal received, 0 for none.
    int received() const noexcept { return received_; }

  private:
    void arm();

    boost::asio::signal_set signals_;
    boost::asio::cancellation_signal cancel_;
    int received_ = 0;
    bool done_ = false;
};

template <class T>
T wait(boost::asio::io_context& io, boost::asio::awaitable<T> a) {
    interrupt_guard guard(io);
    std::exception_ptr failure;
    std::optional<std::conditional_t<std::is_void_v<T>, bool, T>> value;
    auto finish = [&](std::exception_ptr e, auto... v) {
        failure = e;
        if constexpr (!std::is_void_v<T>) {
            if (!e) {
                value.emplace(std::move(v)...);
            }
        }
        guard.done();
    };
    auto handler = boost::asio::bind_cancellation_slot(guard.slot(), std::move(finish));
    boost::asio::co_spawn(io, std::move(a), std::move(handler));
    io.restart();  // a command may wait more than once on its io_context
    io.run();
    if (failure) {
        if (guard.received() != 0) {
            throw interrupted(guard.received());
        }
        std::rethrow_exception(failure);
    }
    if constexpr (!std::is_void_v<T>) {
        return std::move(*value);
    }
}

}  // namespace oras::cli

#include "cli/wait.hpp"

#include <unistd.h>

#include <csignal>

namespace oras::cli {

const char* interrupted::what() const noexcept {
    // What was cleaned up depends on where the operation stood; the docs say what is attempted.
    return signal_ == SIGTERM ? "terminated (SIGTERM)" : "interrupted (SIGINT)";
}

interrupt_guard::interrupt_guard(boost::asio::io_context& io) : signals_(io, SIGINT, SIGTERM) {
    arm();
}

void interrupt_guard::arm() {
    signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
        // done() cancels the wait, but a handler already queued (the signal came as the
        // operation ended) still runs, with success: it must not arm again, or run() would keep
        // waiting for a signal after the command is over.
        if (ec || done_) {
            return;
        }
        if (received_ != 0) {
            // Asked twice: no more waiting for a clean stop.
            ::_exit(128 + signal);
        }
        received_ = signal;
        cancel_.emit(boost::asio::cancellation_type::terminal);
        arm();
    });
}

void interrupt_guard::done() {
    done_ = true;
    boost::system::error_code ignored;
    signals_.cancel(ignored);
}

}  // namespace oras::cli

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
        if (ec) {
            return;  // done(): the operation ended
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
    boost::system::error_code ignored;
    signals_.cancel(ignored);
}

}  // namespace oras::cli

// cli::wait: the interrupt guard around one operation on the CLI's io_context.
#include "cli/wait.hpp"

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>

namespace {

namespace asio = boost::asio;

// Raises SIGINT, then ends after `turns` more turns of the loop: the signal's handler is queued
// by the next run of the reactor, so in some round it sits behind the operation's end, out of
// reach of the cancel in done().
asio::awaitable<int> signal_then_end(int turns) {
    std::raise(SIGINT);
    auto ex = co_await asio::this_coro::executor;
    for (int i = 0; i < turns; ++i) {
        co_await asio::post(ex, asio::use_awaitable);
    }
    co_return turns;
}

TEST(cli_wait, a_signal_that_comes_as_the_operation_ends_does_not_keep_the_command_waiting) {
    for (int turns = 0; turns < 4; ++turns) {
        asio::io_context io;
        std::atomic<bool> returned{false};
        std::atomic<bool> had_to_stop{false};
        // A guard that re-armed after done() would keep run() waiting for a signal that never
        // comes: stop it from outside after a while, and say so.
        std::thread watchdog([&] {
            for (int i = 0; i < 500 && !returned; ++i) {
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
            if (!returned) {
                had_to_stop = true;
                io.stop();
            }
        });
        int got = -1;
        try {
            got = oras::cli::wait(io, signal_then_end(turns));
        } catch (const oras::cli::interrupted& e) {
            // The signal reached the operation before it ended: a clean stop, also fine.
            EXPECT_EQ(e.signal(), SIGINT);
            got = turns;
        }
        returned = true;
        watchdog.join();
        EXPECT_EQ(got, turns);
        EXPECT_FALSE(had_to_stop) << "wait() still ran after its operation ended (" << turns
                                  << " turns)";
    }
}

}  // namespace

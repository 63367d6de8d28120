// The HTTP client against an in-process scripted server that misbehaves on purpose.
#include <oras/error.hpp>
#include <oras/http/client.hpp>

#include "connect_proxy.hpp"
#include "scripted_server.hpp"

#include <oras/test/files.hpp>
#include <oras/test/run.hpp>
#include <oras/test/temp_dir.hpp>

#include <gtest/gtest.h>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/url/parse.hpp>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using oras::test::action;
using oras::test::scripted_request;
using oras::test::scripted_server;

boost::urls::url url(const std::string& s) {
    return boost::urls::url(boost::urls::parse_uri(s).value());
}

oras::http::request get(const std::string& u) {
    oras::http::request r;
    r.url = url(u);
    return r;
}

using oras::test::run;

oras::http::client_options fast_options() {
    oras::http::client_options o;
    o.retry.base_delay = 1ms;
    o.retry.max_delay = 5ms;
    o.proxy.from_environment = false;
    return o;
}

TEST(http_client, keep_alive_reuses_one_connection) {
    scripted_server server([](const scripted_request&) { return action{.body = "hello"}; });
    asio::io_context io;
    oras::http::client client(io.get_executor(), fast_options());
    for (int i = 0; i < 10; ++i) {
        auto r = run(io, client.fetch(get(server.url() + "/v2/")));
        EXPECT_EQ(r.status, 200u);
        EXPECT_EQ(r.body, "hello");
    }
    EXPECT_EQ(server.connections_accepted(), 1u);
    EXPECT_EQ(client.stats().connections_opened, 1u);
    EXPECT_EQ(client.stats().connections_reused, 9u);
    const auto reqs = server.requests();
    ASSERT_EQ(reqs.size(), 10u);
    EXPECT_EQ(reqs[0].header("Host"), server.host());
    EXPECT_EQ(reqs[0].header("User-Agent").rfind("oras-cpp/", 0), 0u);
}

TEST(http_client, per_origin_limit_holds_under_100_concurrent_requests) {
    scripted_server server(
        [](const scripted_request&) { return action{.body = "x", .delay_before_head = 5ms}; });
    asio::io_context io;
    auto opts = fast_options();
    opts.max_connections_per_origin = 4;
    oras::http::client client(io.get_executor(), opts);
    int ok = 0;
    for (int i = 0; i < 100; ++i) {
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
                auto r = co_await client.fetch(get(server.url() + "/x"));
                ok += r.status == 200;
            },
            [](std::exception_ptr e) {
                if (e) {
                    std::rethrow_exception(e);
                }
            });
    }
    io.run();
    EXPECT_EQ(ok, 100);
    EXPECT_LE(server.max_concurrent_connections(), 4u);
    EXPECT_LE(server.connections_accepted(), 4u);
    EXPECT_EQ(server.requests_served(), 100u);
}

TEST(http_client, connection_closed_by_server_while_idle_is_not_reused) {
    scripted_server server([](const scripted_request&) { return action{.body = "ok"}; });
    asio::io_context io;
    oras::http::client client(io.get_executor(), fast_options());
    EXPECT_EQ(run(io, client.fetch(get(server.url() + "/a"))).status, 200u);
    server.close_idle_connections();
    std::this_thread::sleep_for(50ms);  // let the FIN arrive
    EXPECT_EQ(run(io, client.fetch(get(server.url() + "/b"))).status, 200u);
    EXPECT_EQ(server.connections_accepted(), 2u);
    EXPECT_EQ(client.stats().retries, 0u);
}

// An origin asked once (a redirect's blob host) must not hold its idle connection for as long
// as the client lives: the next request to any origin that ends closes it once expired.
TEST(http_client, an_expired_idle_connection_to_another_origin_is_closed) {
    scripted_server once([](const scripted_request&) { return action{.body = "a"}; });
    scripted_server busy([](const scripted_request&) { return action{.body = "b"}; });
    asio::io_context io;
    auto opts = fast_options();
    opts.timeouts.idle_connection = 500ms;  // far above a loaded machine's pauses
    oras::http::client client(io.get_executor(), opts);
    EXPECT_EQ(run(io, client.fetch(get(once.url() + "/a"))).status, 200u);
    EXPECT_EQ(run(io, client.fetch(get(busy.url() + "/b"))).status, 200u);
    EXPECT_EQ(client.stats().idle_connections_closed, 0u);  // not expired yet
    std::this_thread::sleep_for(600ms);
    EXPECT_EQ(run(io, client.fetch(get(busy.url() + "/b"))).status, 200u);
    EXPECT_EQ(client.stats().idle_connections_closed, 2u);  // `once`'s, and `busy`'s own
    for (int i = 0; i < 400 && (once.open_connections() != 0 || busy.open_connections() != 1);
         ++i) {
        std::this_thread::sleep_for(5ms);  // the servers see the closes
    }
    EXPECT_EQ(once.open_connections(), 0u);
    EXPECT_EQ(busy.open_connections(), 1u);  // the connection just used stays pooled
}

TEST(http_client, stale_pooled_connection_is_retried_once_on_a_fresh_one) {
    // The second request on any connection is dropped unanswered, as a server that closed a
    // keep-alive connection just as the client reused it.
    scripted_server server([](const scripted_request& r) {
        return action{.body = "fresh", .drop = r.index_on_connection > 0};
    });
    asio::io_context io;
    oras::http::client client(io.get_executor(), fast_options());
    EXPECT_EQ(run(io, client.fetch(get(server.url() + "/a"))).body, "fresh");
    auto put = get(server.url() + "/b");
    put.method = "PUT";
    put.body = oras::byte_source::from_string("payload");
    auto r = run(io, client.fetch(std::move(put)));
    EXPECT_EQ(r.body, "fresh");
    EXPECT_EQ(server.connections_accepted(), 2u);
    const auto reqs = server.requests();
    ASSERT_EQ(reqs.size(), 3u);
    EXPECT_EQ(reqs[2].body, "payload");
}

TEST(http_client, non_replayable_body_is_never_resent) {
    scripted_server server([](const scripted_request& r) {
        return action{.body = "ok", .drop = r.index_on_connection > 0};
    });
    asio::io_context io;
    oras::http::client client(io.get_executor(), fast_options());
    EXPECT_EQ(run(io, client.fetch(get(server.url() + "/a"))).status, 200u);
    auto patch = get(server.url() + "/b");
    patch.method = "PATCH";
    bool produced = false;
    patch.body = oras::byte_source::from_generator(
        [&](std::span<std::byte> out) -> asio::awaitable<std::size_t> {
            if (produced) {
                co_return 0;
            }
            produced = true;
            out[0] = std::byte{'z'};
            co_return 1;
        });
    EXPECT_THROW(run(io, client.fetch(std::move(patch))), oras::error);
    EXPECT_EQ(server.requests().size(), 2u);  // the PATCH went out once
}

TEST(http_client, stale_retry_never_resends_a_patch_with_a_body) {
    // Replayable or not, a PATCH may have been applied by a server that then closed.
    scripted_server server([](const scripted_request& r) {
        return action{.body = "ok", .drop = r.index_on_connection > 0};
    });
    asio::io_context io;
    oras::http::client client(io.get_executor(), fast_options());
    EXPECT_EQ(run(io, client.fetch(get(server.url() + "/a"))).status, 200u);
    auto patch = get(server.url() + "/b");
    patch.method = "PATCH";
    patch.body = oras::byte_source::from_string("chunk");
    EXPECT_THROW(run(io, client.fetch(std::move(patch))), oras::error);
    EXPECT_EQ(server.requests().size(), 2u);
}

TEST(http_client, chunked_response_is_decoded) {
    std::string body;
    for (int i = 0; i < 10000; ++i) {
        body += static_cast<char>('a' + i % 26);
    }
    scripted_server server([&](const scripted_request&) {
        return action{.body = body, .chunked = true, .chunk_size = 7};
    });
    asio::io_context io;
    oras::http::client client(io.get_executor(), fast_options());
    for (int i = 0; i < 2; ++i) {
        auto r = run(io, client.fetch(get(server.url() + "/c")));
        EXPECT_EQ(r.body, body);
    }
    EXPECT_EQ(server.connections_accepted(), 1u);  // the chunked body ended cleanly: reused
}

TEST(http_client, close_delimited_response_is_read_to_the_end) {
    scripted_server server([](const scripted_request&) {
        return action{.body = std::string(5000, 'q'), .no_content_length = true};
    });
    asio::io_context io;
    oras::http::client client(io.get_executor(), fast_options());
    EXPECT_EQ(run(io, client.fetch(get(server.url() + "/e"))).body, std::string(5000, 'q'));
}

TEST(http_client, truncated_body_is_an_error_never_a_success) {
    for (const bool chunked : {false, true}) {
        scripted_server server([&](const scripted_request&) {
            return action{.body = std::string(1000, 'b'),
                          .chunked = chunked,
                          .chunk_size = 64,
                          .truncate_body_at = 100};
        });
        asio::io_context io;
        oras::http::client client(io.get_executor(), fast_options());
        try {
            run(io, client.fetch(get(server.url() + "/t")));
            FAIL() << "a truncated body was accepted (chunked=" << chunked << ")";
        } catch (const oras::error& e) {
            EXPECT_EQ(e.code(), std::error_code(boost::system::error_code(
                                    boost::beast::http::error::partial_message)))
                << e.what();
            EXPECT_TRUE(oras::is_transient(std::current_exception()));
        }
        // Streaming: the failure sticks; reading again never looks like a clean end.
        run(io, [&]() -> asio::awaitable<void> {
            auto r = co_await client.send(get(server.url() + "/t"));
            std::array<std::byte, 64> buf;
            bool failed = false;
            try {
                while (co_await r.read_some(buf) > 0) {
                }
            } catch (const oras::error&) {
                failed = true;
            }
            EXPECT_TRUE(failed);
            EXPECT_FALSE(r.complete());
            EXPECT_THROW(co_await r.read_some(buf), oras::error);
        }());
    }
}

TEST(http_client, stalled_server_hits_the_io_timeout) {
    scripted_server server([](const scripted_request& r) {
        return action{.body = std::string(100000, 's'),
                      .delay_mid_body = r.target == "/mid" ? 5000ms : 0ms,
                      .stall_forever = r.target == "/head"};
    });
    asio::io_context io;
    auto opts = fast_options();
    opts.timeouts.io = 200ms;
    opts.retry.max_retries = 0;
    oras::http::client client(io.get_executor(), opts);
    const auto t0 = std::chrono::steady_clock::now();
    try {
        run(io, client.fetch(get(server.url() + "/head")));
        FAIL() << "no timeout";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code(), std::errc::timed_out) << e.what();
    }
    try {
        run(io, client.fetch(get(server.url() + "/mid")));
        FAIL() << "no timeout mid-body";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code(), std::errc::timed_out) << e.what();
        EXPECT_TRUE(oras::is_transient(std::current_exception()));
    }
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 4s);
}

TEST(http_client, a_reader_that_pauses_is_not_a_stalled_server) {
    // A copy reads a GET body only as fast as its destination takes the bytes: a pause between
    // reads longer than the io timeout must not cut the body.
    const std::string body(300000, 'p');
    scripted_server server([&](const scripted_request&) { return action{.body = body}; });
    asio::io_context io;
    auto opts = fast_options();
    opts.timeouts.io = 150ms;
    opts.retry.max_retries = 0;
    oras::http::client client(io.get_executor(), opts);
    const auto read_slowly = [&]() -> asio::awaitable<std::string> {
        oras::http::request req = get(server.url() + "/slow");
        auto resp = co_await client.send(std::move(req));
        std::string got;
        std::vector<std::byte> buf(64 * 1024);
        asio::steady_timer pause(co_await asio::this_coro::executor);
        for (int i = 0;; ++i) {
            const auto n = co_await resp.read_some(buf);
            if (n == 0) {
                break;
            }
            got.append(reinterpret_cast<const char*>(buf.data()), n);
            if (i < 2) {
                pause.expires_after(500ms);
                co_await pause.async_wait(asio::use_awaitable);
            }
        }
        co_return got;
    };
    EXPECT_EQ(run(io, read_slowly()), body);

    // And a server that stalls after such a pause is still caught by the io timeout.
    scripted_server stalling(
        [&](const scripted_request&) { return action{.body = body, .delay_mid_body = 5000ms}; });
    const auto pause_then_stall = [&]() -> asio::awaitable<void> {
        oras::http::request req = get(stalling.url() + "/stall");
        auto resp = co_await client.send(std::move(req));
        std::vector<std::byte> buf(16 * 1024);
        co_await resp.read_some(buf);
        asio::steady_timer pause(co_await asio::this_coro::executor, 500ms);
        co_await pause.async_wait(asio::use_awaitable);
        while (co_await resp.read_some(buf) != 0) {
        }
    };
    const auto t0 = std::chrono::steady_clock::now();
    try {
        run(io, pause_then_stall());
        ADD_FAILURE() << "the stall went unnoticed";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code(), std::errc::timed_out) << e.what();
    }
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
}

TEST(http_client, a_response_dropped_as_its_body_watchdog_fires_is_never_touched_again) {
    // The io watchdog of a body can expire, and its handler be queued, before the caller drops
    // the response in a later turn: cancel() no longer reaches a queued handler, which then runs
    // with success after the reader is gone (a heap-use-after-free that ASan caught in the chaos
    // soak). The loop is held up past the timeout, then the response is dropped after 0-3 more
    // turns, so that the handler is queued ahead of the drop in at least one round.
    const std::string body(300000, 'w');
    scripted_server server([&](const scripted_request&) { return action{.body = body}; });
    asio::io_context io;
    auto opts = fast_options();
    opts.timeouts.io = 20ms;
    opts.retry.max_retries = 0;
    oras::http::client client(io.get_executor(), opts);
    const auto drop_while_due = [&]() -> asio::awaitable<int> {
        auto ex = co_await asio::this_coro::executor;
        int dropped = 0;
        for (int turns = 0; turns < 4; ++turns) {
            oras::http::request req = get(server.url() + "/watched");
            auto resp = co_await client.send(std::move(req));
            std::vector<std::byte> buf(16 * 1024);
            // The first read may take what came with the head; the later ones arm the watchdog.
            for (int i = 0; i < 3; ++i) {
                co_await resp.read_some(buf);
            }
            std::this_thread::sleep_for(60ms);
            for (int i = 0; i < turns; ++i) {
                co_await asio::post(ex, asio::use_awaitable);
            }
            ++dropped;
        }
        // Let every handler still queued run while the test watches.
        asio::steady_timer settle(ex, 100ms);
        co_await settle.async_wait(asio::use_awaitable);
        co_return dropped;
    };
    EXPECT_EQ(run(io, drop_while_due()), 4);
    // The client is still usable: the dropped bodies gave their connections back.
    EXPECT_EQ(run(io, client.fetch(get(server.url() + "/after"))).body, body);
}

TEST(http_client, a_stall_is_caught_after_the_watchdog_found_a_read_already_done) {
    // Other work can hold the loop up between a read's start and the watchdog's handler, while
    // the read's completion is already queued behind that handler: the handler finds the read
    // past its deadline and its cancel hits nothing. The watchdog must go on watching, so that
    // a stall of the server later still ends the body as timed out instead of hanging it.
    //
    // The order is made with timers that expire in one run of the reactor, which queues ready
    // timers by deadline: the reader's wake-up, then a handler that holds the loop up, then the
    // watchdog (its deadline is at least the io timeout after `before`).
    const std::string body(4 * 1024 * 1024, 'h');
    scripted_server server(
        [&](const scripted_request&) { return action{.body = body, .delay_mid_body = 60s}; });
    asio::io_context io;
    auto opts = fast_options();
    opts.timeouts.io = 200ms;
    opts.retry.max_retries = 0;
    oras::http::client client(io.get_executor(), opts);
    std::optional<std::error_code> outcome;
    const auto read_all = [&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        try {
            oras::http::request req = get(server.url() + "/stalls");
            auto resp = co_await client.send(std::move(req));
            std::vector<std::byte> buf(64 * 1024);
            const auto before = std::chrono::steady_clock::now();
            for (int i = 0; i < 3; ++i) {  // the first may take only what came with the head
                co_await resp.read_some(buf);
            }
            asio::steady_timer wake(ex, before + 190ms);
            asio::steady_timer hold_up(ex, before + 191ms);
            hold_up.async_wait([](auto) { std::this_thread::sleep_for(300ms); });
            std::this_thread::sleep_for(before + 300ms - std::chrono::steady_clock::now());
            co_await wake.async_wait(asio::use_awaitable);
            // This read completes at once (the first half of the body is there), behind the
            // hold-up and the watchdog.
            while (co_await resp.read_some(buf) != 0) {
            }
            outcome = std::error_code{};
        } catch (const std::system_error& e) {
            outcome = e.code();
        }
    };
    asio::co_spawn(io, read_all(), asio::detached);
    io.run_for(10s);
    ASSERT_TRUE(outcome) << "the body read hung through the server's stall";
    EXPECT_EQ(*outcome, std::errc::timed_out) << outcome->message();
}

TEST(http_client, retries_429_and_503_then_succeeds) {
    std::atomic<int> n{0};
    scripted_server server([&](const scripted_request&) {
        const int i = n++;
        if (i == 0) {
            return action{.status = 429, .headers = {{"Retry-After", "0"}}};
        }
        if (i == 1) {
            return action{.status = 503, .body = "busy"};
        }
        return action{.body = "done"};
    });
    asio::io_context io;
    oras::http::client client(io.get_executor(), fast_options());
    auto put = get(server.url() + "/r");
    put.method = "PUT";
    put.body = oras::byte_source::from_string("replayable");
    auto r = run(io, client.fetch(std::move(put)));
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.body, "done");
    EXPECT_EQ(client.stats().retries, 2u);
    for (const auto& req : server.requests()) {
        EXPECT_EQ(req.body, "replayable");
    }
}

TEST(http_client, retry_after_holds_back_every_new_request_to_that_origin) {
    std::mutex m;
    std::map<std::string, std::chrono::steady_clock::time_point> arrived;
    std::atomic<int> throttled{0};
    scripted_server server([&](const scripted_request& r) {
        {
            std::lock_guard lock(m);
            arrived.try_emplace(r.target, std::chrono::steady_clock::now());
        }
        if (r.target == "/a" && throttled++ == 0) {
            return action{.status = 429, .headers = {{"Retry-After", "1"}}};
        }
        return action{.body = "ok"};
    });
    asio::io_context io;
    auto opts = fast_options();
    std::optional<std::chrono::steady_clock::time_point> throttled_at;
    opts.log = [&](const oras::http::log_event& e) {
        if (e.status == 429 && !throttled_at) {
            throttled_at = std::chrono::steady_clock::now();
        }
    };
    oras::http::client client(io.get_executor(), opts);
    // /b is sent only once /a has been throttled: it must wait for the Retry-After too.
    const auto both = [&]() -> asio::awaitable<void> {
        const auto ex = co_await asio::this_coro::executor;
        auto a = asio::co_spawn(ex, client.fetch(get(server.url() + "/a")), asio::use_future);
        while (!throttled_at) {
            asio::steady_timer t(ex, 1ms);
            co_await t.async_wait(asio::use_awaitable);
        }
        const auto b = co_await client.fetch(get(server.url() + "/b"));
        EXPECT_EQ(b.status, 200u);
        while (a.wait_for(0s) != std::future_status::ready) {
            asio::steady_timer t(ex, 1ms);
            co_await t.async_wait(asio::use_awaitable);
        }
        EXPECT_EQ(a.get().status, 200u);
    };
    run(io, both());
    ASSERT_TRUE(throttled_at);
    std::lock_guard lock(m);
    ASSERT_TRUE(arrived.contains("/b"));
    EXPECT_GE(arrived["/b"] - *throttled_at, 900ms);
    EXPECT_GE(client.stats().paused, 1u);
}

TEST(http_client, a_generator_that_can_rewind_is_replayed_from_its_first_byte) {
    std::atomic<int> n{0};
    scripted_server server([&](const scripted_request&) {
        return n++ == 0 ? action{.status = 503} : action{.status = 201};
    });
    asio::io_context io;
    oras::http::client client(io.get_executor(), fast_options());
    const std::string data(300'000, 'g');
    auto pos = std::make_shared<std::size_t>(0);
    auto rewinds = std::make_shared<int>(0);
    auto put = get(server.url() + "/r");
    put.method = "PUT";
    put.body = oras::byte_source::from_generator(
        [&data, pos](std::span<std::byte> buf) -> asio::awaitable<std::size_t> {
            const auto k = std::min(buf.size(), data.size() - *pos);
            std::memcpy(buf.data(), data.data() + *pos, k);
            *pos += k;
            co_return k;
        },
        data.size(),
        [pos, rewinds] {
            *pos = 0;
            ++*rewinds;
        });
    EXPECT_TRUE(put.body.replayable());
    EXPECT_EQ(run(io, client.fetch(std::move(put))).status, 201u);
    EXPECT_EQ(client.stats().retries, 1u);
    EXPECT_EQ(*rewinds, 2);  // before each send
    const auto reqs = server.requests();
    ASSERT_EQ(reqs.size(), 2u);
    EXPECT_EQ(reqs[0].body, data);
    EXPECT_EQ(reqs[1].body, data);
}

TEST(http_client, retries_are_bounded_and_long_retry_after_is_not_waited_for) {
    scripted_server server([](const scripted_request& r) {
        if (r.target == "/long") {
            return action{.status = 429, .headers = {{"Retry-After", "3600"}}};
        }
        return action{.status = 502};
    });
    asio::io_context io;
    auto opts = fast_options();
    opts.retry.max_retries = 2;
    oras::http::client client(io.get_executor(), opts);
    EXPECT_EQ(run(io, client.fetch(get(server.url() + "/bad"))).status, 502u);
    EXPECT_EQ(server.requests_served(), 3u);
    EXPECT_EQ(run(io, client.fetch(get(server.url() + "/long"))).status, 429u);
    EXPECT_EQ(server.requests_served(), 4u);
}

TEST(http_client, cross_origin_redirect_drops_authorization) {
    scripted_server other([](const scripted_request&) { return action{.body = "blob"}; });
    scripted_server origin([&](const scripted_request& r) {
        if (r.target == "/same") {
            return action{.status = 307, .headers = {{"Location", "/final"}}};
        }
        if (r.target == "/final") {
            return action{.body = "same-origin"};
        }
        return action{.status = 302, .headers = {{"Location", other.url() + "/blob?sig=x"}}};
    });
    asio::io_context io;
    oras::http::client client(io.get_executor(), fast_options());
    auto req = get(origin.url() + "/v2/app/blobs/sha256:1");
    req.headers.add("Authorization", "Bearer secret-token");
    req.headers.add("Cookie", "session=1");
    auto r = run(io, client.fetch(std::move(req)));
    EXPECT_EQ(r.body, "blob");
    EXPECT_EQ(r.url.buffer(), other.url() + "/blob?sig=x");
    ASSERT_EQ(other.requests().size(), 1u);
    EXPECT_EQ(other.requests()[0].header("Authorization"), "");
    EXPECT_EQ(other.requests()[0].header("Cookie"), "");
    EXPECT_EQ(origin.requests()[0].header("Authorization"), "Bearer secret-token");

    auto same = get(origin.url() + "/same");
    same.headers.add("Authorization", "Bearer secret-token");
    EXPECT_EQ(run(io, client.fetch(std::move(same))).body, "same-origin");
    EXPECT_EQ(origin.requests().back().header("Authorization"), "Bearer secret-token");
}

TEST(http_client, redirect_loops_stop) {
    scripted_server server([](const scripted_request&) {
        return action{.status = 302, .headers = {{"Location", "/again"}}};
    });
    asio::io_context io;
    auto opts = fast_options();
    opts.max_redirects = 3;
    oras::http::client client(io.get_executor(), opts);
    try {
        run(io, client.fetch(get(server.url() + "/start")));
        FAIL() << "loop followed forever";
    } catch (const oras::error& e) {
        EXPECT_NE(std::string(e.what()).find("3 redirects"), std::string::npos) << e.what();
    }
    EXPECT_EQ(server.requests_served(), 4u);
}

TEST(http_client, tls_with_a_test_ca) {
    scripted_server server([](const scripted_request&) { return action{.body = "secure"}; },
                           {.tls = true});
    ASSERT_EQ(server.url().rfind("https://", 0), 0u);
    asio::io_context io;
    {
        auto opts = fast_options();
        opts.tls.ca_file = server.ca_file();
        oras::http::client client(io.get_executor(), opts);
        EXPECT_EQ(run(io, client.fetch(get(server.url() + "/"))).body, "secure");
        // Hostname verification: the certificate names 127.0.0.1 and localhost.
        const auto local = "https://localhost:" + std::to_string(server.port()) + "/";
        EXPECT_EQ(run(io, client.fetch(get(local))).body, "secure");
    }
    {
        oras::http::client client(io.get_executor(), fast_options());
        try {
            run(io, client.fetch(get(server.url() + "/")));
            FAIL() << "an unknown CA was accepted";
        } catch (const oras::error& e) {
            EXPECT_NE(std::string(e.what()).find("TLS handshake"), std::string::npos) << e.what();
        }
    }
    {
        auto opts = fast_options();
        opts.tls.insecure_skip_verify = true;
        oras::http::client client(io.get_executor(), opts);
        EXPECT_EQ(run(io, client.fetch(get(server.url() + "/"))).body, "secure");
    }
}

TEST(http_client, mutual_tls_with_a_client_certificate) {
    scripted_server server([](const scripted_request&) { return action{.body = "mutual"}; },
                           {.tls = true, .require_client_certificate = true});
    asio::io_context io;
    auto opts = fast_options();
    opts.tls.ca_file = server.ca_file();
    opts.retry.max_retries = 0;
    {
        auto with_cert = opts;
        with_cert.tls.client_certificate_file = server.client_certificate_file();
        with_cert.tls.client_key_file = server.client_key_file();
        oras::http::client client(io.get_executor(), with_cert);
        EXPECT_EQ(run(io, client.fetch(get(server.url() + "/"))).body, "mutual");
    }
    {
        oras::http::client client(io.get_executor(), opts);
        EXPECT_THROW(run(io, client.fetch(get(server.url() + "/"))), oras::error);
    }
    // A certificate without its key is a configuration error, reported at construction.
    auto half = opts;
    half.tls.client_certificate_file = server.client_certificate_file();
    EXPECT_THROW(oras::http::client(io.get_executor(), half), oras::error);
    EXPECT_EQ(server.requests_served(), 1u);
}

TEST(http_client, https_to_http_redirect_is_refused) {
    scripted_server plain([](const scripted_request&) { return action{.body = "leak"}; });
    scripted_server secure(
        [&](const scripted_request&) {
            return action{.status = 302, .headers = {{"Location", plain.url() + "/x"}}};
        },
        {.tls = true});
    asio::io_context io;
    auto opts = fast_options();
    opts.tls.ca_file = secure.ca_file();
    oras::http::client client(io.get_executor(), opts);
    try {
        run(io, client.fetch(get(secure.url() + "/")));
        FAIL() << "downgrade followed";
    } catch (const oras::error& e) {
        EXPECT_NE(std::string(e.what()).find("downgrade"), std::string::npos) << e.what();
    }
    EXPECT_EQ(plain.requests_served(), 0u);
}

TEST(http_client, https_through_a_connect_proxy) {
    scripted_server server([](const scripted_request&) { return action{.body = "tunnelled"}; },
                           {.tls = true});
    oras::test::connect_proxy proxy;
    asio::io_context io;
    auto opts = fast_options();
    opts.tls.ca_file = server.ca_file();
    opts.proxy.https_proxy = proxy.url();
    oras::http::client client(io.get_executor(), opts);
    EXPECT_EQ(run(io, client.fetch(get(server.url() + "/v2/"))).body, "tunnelled");
    EXPECT_EQ(run(io, client.fetch(get(server.url() + "/v2/"))).body, "tunnelled");
    EXPECT_EQ(proxy.tunnels(), 1u);  // the tunnelled connection was pooled and reused
    ASSERT_EQ(proxy.connect_targets().size(), 1u);
    EXPECT_EQ(proxy.connect_targets()[0], server.host());
}

TEST(http_client, plain_http_through_a_proxy_with_credentials) {
    scripted_server server([](const scripted_request&) { return action{.body = "forwarded"}; });
    oras::test::connect_proxy proxy;
    asio::io_context io;
    auto opts = fast_options();
    auto proxy_url = proxy.url();
    proxy_url.insert(7, "user:p%40ss@");
    opts.proxy.http_proxy = proxy_url;
    oras::http::client client(io.get_executor(), opts);
    EXPECT_EQ(run(io, client.fetch(get(server.url() + "/v2/"))).body, "forwarded");
    EXPECT_EQ(proxy.forwarded(), 1u);
    ASSERT_FALSE(proxy.proxy_authorizations().empty());
    EXPECT_EQ(proxy.proxy_authorizations()[0], "Basic dXNlcjpwQHNz");  // user:p@ss
}

TEST(http_client, file_range_and_generator_bodies) {
    scripted_server server([](const scripted_request&) { return action{.status = 201}; });
    const auto path = std::filesystem::temp_directory_path()
                      / ("oras-transport-body-" + std::to_string(::getpid()));
    std::string content;
    for (int i = 0; i < 700000; ++i) {
        content += static_cast<char>(i * 7);
    }
    std::ofstream(path, std::ios::binary) << content;
    asio::io_context io;
    oras::http::client client(io.get_executor(), fast_options());

    auto put = get(server.url() + "/file");
    put.method = "PUT";
    put.body = oras::byte_source::from_file(path, 1000, 600000);
    EXPECT_EQ(run(io, client.fetch(std::move(put))).status, 201u);

    auto patch = get(server.url() + "/stream");
    patch.method = "PATCH";
    std::size_t offset = 0;
    patch.body = oras::byte_source::from_generator(
        [&](std::span<std::byte> out) -> asio::awaitable<std::size_t> {
            const auto n = std::min<std::size_t>({out.size(), 100000, content.size() - offset});
            std::memcpy(out.data(), content.data() + offset, n);
            offset += n;
            co_return n;
        });
    EXPECT_EQ(run(io, client.fetch(std::move(patch))).status, 201u);
    std::filesystem::remove(path);

    const auto reqs = server.requests();
    ASSERT_EQ(reqs.size(), 2u);
    EXPECT_EQ(reqs[0].header("Content-Length"), "600000");
    EXPECT_TRUE(reqs[0].body == content.substr(1000, 600000));
    EXPECT_TRUE(reqs[1].chunked);
    EXPECT_TRUE(reqs[1].body == content);
}

// A file body over plain HTTP goes with sendfile(2): counters on it still see every byte, a
// file that shrinks fails with a size mismatch, a peer that stops reading hits the io timeout,
// and a peer that closes fails the request without a SIGPIPE ending the process.
/// A peer on a loopback port, for answers no HTTP server gives: `serve` runs on a thread of its
/// own with the accepted socket, which stays open until the peer is destroyed.
class raw_peer {
  public:
    explicit raw_peer(std::function<void(asio::ip::tcp::socket&)> serve)
        : acceptor_(io_, asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), 0)),
          thread_([this, serve = std::move(serve)] {
              asio::ip::tcp::socket sock(io_);
              acceptor_.accept(sock);
              serve(sock);
              done_.get_future().wait();
          }) {}
    ~raw_peer() {
        done_.set_value();
        thread_.join();
    }
    raw_peer(const raw_peer&) = delete;
    raw_peer& operator=(const raw_peer&) = delete;
    std::string url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + path;
    }

  private:
    asio::io_context io_;
    asio::ip::tcp::acceptor acceptor_;
    std::promise<void> done_;
    std::thread thread_;
};

TEST(http_client, a_file_body_sent_with_sendfile) {
    oras::test::temp_dir dir;
    const auto content = oras::test::pattern(3'000'000, 9);
    oras::test::write_file(dir / "f", content);
    {
        scripted_server server([](const scripted_request&) { return action{.status = 201}; });
        asio::io_context io;
        oras::http::client client(io.get_executor(), fast_options());
        std::uint64_t counted = 0;
        auto put = get(server.url() + "/counted");
        put.method = "PUT";
        put.body = oras::byte_source::counting(
            oras::byte_source::from_file(dir / "f", 5, 2'999'000),
            [&](std::uint64_t n) { counted += n; }, [&] { counted = 0; });
        EXPECT_EQ(run(io, client.fetch(std::move(put))).status, 201u);
        EXPECT_EQ(counted, 2'999'000u);
        const auto reqs = server.requests();
        ASSERT_EQ(reqs.size(), 1u);
        EXPECT_TRUE(reqs[0].body == content.substr(5, 2'999'000));

        // Announced longer than the file is: the request fails, naming the file.
        auto put_short = get(server.url() + "/short");
        put_short.method = "PUT";
        put_short.body = oras::byte_source::from_file(dir / "f", 0, content.size() + 10);
        const auto e = oras::test::error_of([&] { run(io, client.fetch(std::move(put_short))); });
        EXPECT_EQ(e, oras::errc::size_mismatch);
    }
    // A peer that reads nothing, and one that closes after the head.
    const auto big = dir / "big";
    {
        std::ofstream(big, std::ios::binary).close();
        std::filesystem::resize_file(big, 64 << 20);  // sparse: more than the socket buffers
    }
    for (const bool closes : {false, true}) {
        SCOPED_TRACE(closes ? "the peer closes" : "the peer stops reading");
        raw_peer peer([closes](asio::ip::tcp::socket& sock) {
            if (closes) {
                char head[512];
                boost::system::error_code ec;
                sock.read_some(asio::buffer(head), ec);
                sock.close();
            }
        });
        asio::io_context io;
        auto opts = fast_options();
        opts.timeouts.io = 300ms;
        opts.retry.max_retries = 0;
        oras::http::client client(io.get_executor(), opts);
        auto put = get(peer.url("/big"));
        put.method = "PUT";
        put.body = oras::byte_source::from_file(big);
        try {
            run(io, client.fetch(std::move(put)));
            ADD_FAILURE() << "sent";
        } catch (const std::system_error& e) {
            if (!closes) {
                EXPECT_EQ(e.code(), std::errc::timed_out) << e.what();
            }
            EXPECT_TRUE(oras::is_transient(std::current_exception())) << e.what();
        }
    }
}

TEST(http_client, endless_chunk_framing_is_refused_not_buffered) {
    // A chunk-size line that never ends (and endless trailers) is framing, not body: no body
    // limit applies to it, so the connection's buffer bounds it.
    for (const std::string start : {"1;", "0\r\nX-Trailer: "}) {
        SCOPED_TRACE(start);
        raw_peer peer([start](asio::ip::tcp::socket& sock) {
            char head[512];
            boost::system::error_code ec;
            sock.read_some(asio::buffer(head), ec);
            const std::string response =
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + start;
            asio::write(sock, asio::buffer(response), ec);
            const std::string filler(64 * 1024, 'a');
            for (int i = 0; i < 256 && !ec; ++i) {  // up to 16 MiB, as long as it is read
                asio::write(sock, asio::buffer(filler), ec);
            }
        });
        asio::io_context io;
        auto opts = fast_options();
        opts.timeouts.io = 5s;
        opts.retry.max_retries = 0;
        oras::http::client client(io.get_executor(), opts);
        try {
            run(io, client.fetch(get(peer.url("/x"))));
            ADD_FAILURE() << "read";
        } catch (const std::system_error& e) {
            EXPECT_NE(e.code(), std::errc::timed_out)
                << "buffered until the peer stopped: " << e.what();
        }
    }
}

TEST(http_client, head_response_has_length_but_no_body) {
    scripted_server server([](const scripted_request& r) {
        return action{.headers = {{"Docker-Content-Digest", "sha256:x"}},
                      .body = r.method == "HEAD" ? std::string(1234, 'h') : "get"};
    });
    asio::io_context io;
    oras::http::client client(io.get_executor(), fast_options());
    auto head = get(server.url() + "/m");
    head.method = "HEAD";
    auto r = run(io, [&]() -> asio::awaitable<oras::http::response> {
        co_return co_await client.send(std::move(head));
    }());
    EXPECT_EQ(r.content_length(), 1234u);
    EXPECT_TRUE(r.complete());
    EXPECT_EQ(run(io, client.fetch(get(server.url() + "/m"))).body, "get");
    EXPECT_EQ(server.connections_accepted(), 1u);
}

TEST(http_client, size_limit_on_buffered_bodies) {
    scripted_server server(
        [](const scripted_request&) { return action{.body = std::string(10000, 'L')}; });
    asio::io_context io;
    oras::http::client client(io.get_executor(), fast_options());
    try {
        run(io, client.fetch(get(server.url() + "/big"), 1000));
        FAIL() << "limit ignored";
    } catch (const oras::error& e) {
        EXPECT_EQ(e.code(), oras::errc::size_exceeds_limit);
    }
    EXPECT_EQ(run(io, client.fetch(get(server.url() + "/big"), 10000)).body.size(), 10000u);
}

TEST(http_client, header_injection_is_refused_before_sending) {
    scripted_server server([](const scripted_request&) { return action{}; });
    asio::io_context io;
    oras::http::client client(io.get_executor(), fast_options());
    auto req = get(server.url() + "/");
    req.headers.add("X-Evil", "a\r\nInjected: yes");
    try {
        run(io, client.fetch(std::move(req)));
        FAIL() << "injection sent";
    } catch (const oras::error& e) {
        EXPECT_EQ(e.code(), oras::errc::invalid_argument);
    }
    EXPECT_EQ(server.requests_served(), 0u);
}

TEST(http_client, cancellation_releases_the_connection_slot) {
    scripted_server server([](const scripted_request& r) {
        return action{.body = "late", .stall_forever = r.target == "/stall"};
    });
    asio::io_context io;
    auto opts = fast_options();
    opts.max_connections_per_origin = 1;
    oras::http::client client(io.get_executor(), opts);
    asio::cancellation_signal cancel;
    std::exception_ptr outcome;
    asio::co_spawn(io, client.fetch(get(server.url() + "/stall")),
                   asio::bind_cancellation_slot(
                       cancel.slot(), [&](std::exception_ptr e, auto&&...) { outcome = e; }));
    asio::steady_timer t(io, 100ms);
    t.async_wait([&](auto) { cancel.emit(asio::cancellation_type::terminal); });
    io.run();
    ASSERT_TRUE(outcome);
    try {
        std::rethrow_exception(outcome);
    } catch (const oras::error& e) {
        EXPECT_EQ(e.code(), oras::errc::cancelled) << e.what();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "cancellation surfaced as another exception: " << e.what();
    }
    // The only slot came back: the next request is served.
    EXPECT_EQ(run(io, client.fetch(get(server.url() + "/ok"))).body, "late");
}

TEST(http_client, log_hook_sees_redacted_requests) {
    scripted_server server([](const scripted_request&) {
        return action{.headers = {{"Set-Cookie", "s=1"}}, .body = "x"};
    });
    asio::io_context io;
    auto opts = fast_options();
    std::vector<oras::http::log_event> events;
    opts.log = [&](const oras::http::log_event& e) { events.push_back(e); };
    oras::http::client client(io.get_executor(), opts);
    auto req = get(server.url() + "/token?access_token=abc&scope=x");
    req.headers.add("Authorization", "Basic c2VjcmV0");
    run(io, client.fetch(std::move(req)));
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].status, 200u);
    EXPECT_EQ(events[0].request_headers.get("Authorization"), "REDACTED");
    EXPECT_EQ(events[0].response_headers.get("Set-Cookie"), "REDACTED");
    EXPECT_EQ(events[0].url.find("abc"), std::string::npos) << events[0].url;
}

TEST(http_client, extra_headers_go_to_the_origin_and_never_across_a_redirect) {
    scripted_server other([](const scripted_request&) { return action{.body = "blob"}; });
    scripted_server origin([&](const scripted_request& r) {
        if (r.target == "/own") {
            return action{.body = "own"};
        }
        return action{.status = 307, .headers = {{"Location", other.url() + "/blob"}}};
    });
    asio::io_context io;
    auto opts = fast_options();
    opts.extra_headers.add("X-Api-Key", "k-123");
    opts.extra_headers.add("X-Trace", "a");
    opts.extra_headers.add("X-Trace", "b");
    std::vector<oras::http::log_event> events;
    opts.log = [&](const oras::http::log_event& e) { events.push_back(e); };
    oras::http::client client(io.get_executor(), opts);
    EXPECT_EQ(run(io, client.fetch(get(origin.url() + "/v2/r/blobs/sha256:1"))).body, "blob");
    ASSERT_EQ(origin.requests().size(), 1u);
    EXPECT_EQ(origin.requests()[0].header("X-Api-Key"), "k-123");
    ASSERT_EQ(other.requests().size(), 1u);
    EXPECT_EQ(other.requests()[0].header("X-Api-Key"), "");
    EXPECT_EQ(other.requests()[0].header("X-Trace"), "");
    // The log shows which fields went, never their values.
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events[0].request_headers.get("X-Api-Key"), "REDACTED");

    // A request's own field wins over the extra one of that name.
    auto own = get(origin.url() + "/own");
    own.headers.add("x-api-key", "mine");
    EXPECT_EQ(run(io, client.fetch(std::move(own))).body, "own");
    EXPECT_EQ(origin.requests().back().header("X-Api-Key"), "mine");
}

TEST(http_client, an_extra_header_with_a_line_break_is_refused_before_sending) {
    scripted_server server([](const scripted_request&) { return action{.body = "x"}; });
    asio::io_context io;
    auto opts = fast_options();
    opts.extra_headers.add("X-Evil", "a\r\nHost: elsewhere");
    oras::http::client client(io.get_executor(), opts);
    EXPECT_THROW(run(io, client.fetch(get(server.url() + "/"))), oras::error);
    EXPECT_EQ(server.requests_served(), 0u);
}

TEST(http_client, resolve_override_dials_another_address_under_the_same_name) {
    scripted_server server(
        [](const scripted_request& r) { return action{.body = std::string(r.header("Host"))}; });
    asio::io_context io;
    auto opts = fast_options();
    // ".invalid" never resolves (RFC 6761): only the override can reach the server.
    opts.resolve.push_back({"registry.invalid", 5000, "127.0.0.1", server.port()});
    oras::http::client client(io.get_executor(), opts);
    EXPECT_EQ(run(io, client.fetch(get("http://registry.invalid:5000/v2/"))).body,
              "registry.invalid:5000");
    // Without an override for that port the name is resolved, and fails.
    EXPECT_THROW(run(io, client.fetch(get("http://registry.invalid:5001/v2/"))), oras::error);
}

}  // namespace

// Self-check of the transport test support: the scripted server and the forward proxy, driven by
// a tiny raw client (Asio + Beast, every operation bounded by a deadline).
#include "connect_proxy.hpp"
#include "scripted_server.hpp"

#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using namespace std::chrono_literals;
using oras::test::action;
using oras::test::connect_proxy;
using oras::test::scripted_request;
using oras::test::scripted_server;
using oras::test::server_options;

using response = http::response<http::string_body>;

// One client connection (plain, or TLS once tls() was called). Every operation runs with a
// deadline, so a misbehaving server fails the test instead of hanging it.
class raw_client {
  public:
    explicit raw_client(std::uint16_t port) {
        socket_.connect(tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), port));
    }

    // TLS handshake on the connection (possibly a proxy tunnel), verifying against `ca_file`
    // (empty: the system store) and the name `host`.
    error_code tls(const std::string& ca_file, const std::string& host) {
        ctx_.emplace(asio::ssl::context::tls_client);
        if (ca_file.empty()) {
            ctx_->set_default_verify_paths();
        } else {
            ctx_->load_verify_file(ca_file);
        }
        ctx_->set_verify_mode(asio::ssl::verify_peer);
        ctx_->set_verify_callback(asio::ssl::host_name_verification(host));
        tls_.emplace(socket_, *ctx_);
        return run([&](auto h) { tls_->async_handshake(asio::ssl::stream_base::client, h); });
    }

    void write(std::string_view data) {
        const auto ec = with_stream([&](auto& s) {
            return run([&](auto h) { asio::async_write(s, asio::buffer(data), h); });
        });
        if (ec) {
            throw boost::system::system_error(ec, "write");
        }
    }

    // Reads one response with Beast's parser; `head`: the response to a HEAD request.
    response read_response(bool head = false) {
        http::response_parser<http::string_body> parser;
        parser.skip(head);
        parser.body_limit(std::uint64_t{1} << 30);
        const auto ec = with_stream(
            [&](auto& s) { return run([&](auto h) { http::async_read(s, buffer_, parser, h); }); });
        if (ec) {
            throw boost::system::system_error(ec, "read_response");
        }
        return parser.release();
    }

    error_code read_response_error() {
        http::response_parser<http::string_body> parser;
        return with_stream(
            [&](auto& s) { return run([&](auto h) { http::async_read(s, buffer_, parser, h); }); });
    }

    // Raw bytes (including what the parser had buffered) until EOF or an error.
    std::string read_to_eof() {
        std::string out(static_cast<const char*>(buffer_.data().data()), buffer_.size());
        buffer_.consume(buffer_.size());
        for (;;) {
            std::array<char, 4096> data{};
            std::size_t got = 0;
            const auto ec = with_stream([&](auto& s) {
                return run([&](auto h) {
                    s.async_read_some(asio::buffer(data), [&, h](error_code e, std::size_t n) {
                        got = n;
                        h(e);
                    });
                });
            });
            out.append(data.data(), got);
            if (ec) {
                last_error_ = ec;
                return out;
            }
        }
    }

    // Reads up to and including "\r\n\r\n" (raw).
    std::string read_head() {
        std::string out;
        const auto ec = with_stream([&](auto& s) {
            return run([&](auto h) {
                asio::async_read_until(s, asio::dynamic_buffer(out), "\r\n\r\n",
                                       [h](error_code e, std::size_t) { h(e); });
            });
        });
        if (ec) {
            throw boost::system::system_error(ec, "read_head");
        }
        return out;
    }

    error_code last_error() const { return last_error_; }
    tcp::socket& socket() { return socket_; }

  private:
    template <class F>
    error_code with_stream(F&& f) {
        if (tls_) {
            return f(*tls_);
        }
        return f(socket_);
    }

    template <class Init>
    error_code run(Init&& init) {
        std::optional<error_code> result;
        init([&](error_code ec, auto&&...) { result = ec; });
        io_.restart();
        io_.run_for(10s);
        if (!result) {
            error_code ignored;
            socket_.close(ignored);
            io_.restart();
            io_.run();
            return asio::error::timed_out;
        }
        return *result;
    }

    asio::io_context io_;
    tcp::socket socket_{io_};
    std::optional<asio::ssl::context> ctx_;
    std::optional<asio::ssl::stream<tcp::socket&>> tls_;
    beast::flat_buffer buffer_;
    error_code last_error_;
};

std::string get(std::string_view target, std::string_view extra = "") {
    return "GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra)
           + "\r\n";
}

std::string body_after_head(const std::string& raw) {
    const auto at = raw.find("\r\n\r\n");
    return at == std::string::npos ? std::string() : raw.substr(at + 4);
}

TEST(scripted_server, keep_alive_serves_two_requests_on_one_connection) {
    scripted_server server([](const scripted_request& r) { return action{.body = r.target}; });
    raw_client c(server.port());
    c.write(get("/one", "X-Test: a\r\n"));
    EXPECT_EQ(c.read_response().body(), "/one");
    c.write(get("/two"));
    const auto res = c.read_response();
    EXPECT_EQ(res.body(), "/two");
    EXPECT_TRUE(res.keep_alive());
    EXPECT_EQ(server.connections_accepted(), 1u);
    EXPECT_EQ(server.requests_served(), 2u);
    const auto reqs = server.requests();
    ASSERT_EQ(reqs.size(), 2u);
    EXPECT_EQ(reqs[0].connection_id, 1u);
    EXPECT_EQ(reqs[0].index_on_connection, 0u);
    EXPECT_EQ(reqs[1].index_on_connection, 1u);
    EXPECT_EQ(reqs[0].header("x-TEST"), "a");
    EXPECT_EQ(reqs[0].header("Absent"), "");
    EXPECT_EQ(reqs[1].method, "GET");
    EXPECT_EQ(server.host(), "127.0.0.1:" + std::to_string(server.port()));
    EXPECT_EQ(server.url(), "http://" + server.host());
}

TEST(scripted_server, chunked_response_decodes_and_keeps_the_connection) {
    std::string body;
    for (int i = 0; i < 1000; ++i) {
        body += static_cast<char>('a' + i % 26);
    }
    scripted_server server([&](const scripted_request&) {
        return action{.body = body, .chunked = true, .chunk_size = 7};
    });
    raw_client c(server.port());
    for (int i = 0; i < 2; ++i) {
        c.write(get("/c"));
        const auto res = c.read_response();
        EXPECT_TRUE(res.chunked());
        EXPECT_EQ(res.body(), body);
    }
    EXPECT_EQ(server.connections_accepted(), 1u);
}

TEST(scripted_server, truncate_advertises_the_length_and_closes_early) {
    scripted_server server([](const scripted_request& r) {
        return action{.body = std::string(1000, 'b'),
                      .chunked = r.target == "/chunked",
                      .chunk_size = 64,
                      .truncate_body_at = 100};
    });
    {
        raw_client c(server.port());
        c.write(get("/plain"));
        const auto raw = c.read_to_eof();
        EXPECT_NE(raw.find("Content-Length: 1000\r\n"), std::string::npos) << raw;
        EXPECT_EQ(body_after_head(raw), std::string(100, 'b'));
    }
    {
        raw_client c(server.port());
        c.write(get("/chunked"));
        EXPECT_EQ(c.read_response_error(), http::error::partial_message);
    }
}

TEST(scripted_server, drop_closes_without_a_byte) {
    scripted_server server([](const scripted_request&) { return action{.drop = true}; });
    raw_client c(server.port());
    c.write("PUT /x HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc");
    EXPECT_EQ(c.read_to_eof(), "");
    EXPECT_EQ(c.last_error(), asio::error::eof);
    ASSERT_EQ(server.requests().size(), 1u);
    EXPECT_EQ(server.requests()[0].body, "abc");
}

TEST(scripted_server, head_has_a_length_but_no_body) {
    scripted_server server([](const scripted_request& r) {
        if (r.target == "/own") {
            return action{.headers = {{"Content-Length", "77"}}};
        }
        return action{.body = r.method == "HEAD" ? std::string(1234, 'h') : "get"};
    });
    raw_client c(server.port());
    c.write("HEAD /m HTTP/1.1\r\nHost: t\r\n\r\n");
    auto res = c.read_response(true);
    EXPECT_EQ(res[http::field::content_length], "1234");
    c.write("HEAD /own HTTP/1.1\r\nHost: t\r\n\r\n");
    const auto head = c.read_head();
    EXPECT_NE(head.find("Content-Length: 77\r\n"), std::string::npos) << head;
    EXPECT_EQ(head.find("Content-Length: 0"), std::string::npos) << head;
    c.write(get("/m"));  // would read the HEAD's body bytes if any had been sent
    EXPECT_EQ(c.read_response().body(), "get");
    EXPECT_EQ(server.connections_accepted(), 1u);
}

TEST(scripted_server, no_content_length_body_ends_at_close) {
    scripted_server server([](const scripted_request&) {
        return action{.body = std::string(5000, 'q'), .no_content_length = true};
    });
    raw_client c(server.port());
    c.write(get("/e"));
    const auto raw = c.read_to_eof();
    EXPECT_EQ(raw.find("Content-Length"), std::string::npos);
    EXPECT_EQ(body_after_head(raw), std::string(5000, 'q'));
}

TEST(scripted_server, delays_and_handler_failure) {
    scripted_server server([](const scripted_request& r) {
        if (r.target == "/throw") {
            throw std::runtime_error("scripted failure");
        }
        return action{.body = std::string(3000, 'd'),
                      .chunked = true,
                      .chunk_size = 1000,
                      .delay_before_head = 20ms,
                      .delay_mid_body = 20ms};
    });
    raw_client c(server.port());
    c.write(get("/d"));
    EXPECT_EQ(c.read_response().body(), std::string(3000, 'd'));
    c.write(get("/throw"));
    const auto res = c.read_response();
    EXPECT_EQ(res.result_int(), 500u);
    EXPECT_EQ(res.body(), "scripted failure");
    EXPECT_FALSE(res.keep_alive());
}

TEST(scripted_server, close_idle_connections_and_idle_close) {
    {
        scripted_server server([](const scripted_request&) { return action{.body = "ok"}; });
        raw_client c(server.port());
        c.write(get("/a"));
        EXPECT_EQ(c.read_response().body(), "ok");
        server.close_idle_connections();
        EXPECT_EQ(c.read_to_eof(), "");
        EXPECT_EQ(c.last_error(), asio::error::eof);
    }
    {
        scripted_server server([](const scripted_request&) { return action{.body = "ok"}; },
                               {.idle_close = 50ms});
        raw_client c(server.port());
        c.write(get("/a"));
        EXPECT_EQ(c.read_response().body(), "ok");
        EXPECT_EQ(c.read_to_eof(), "");
        EXPECT_EQ(c.last_error(), asio::error::eof);
    }
}

TEST(scripted_server, chunked_and_expect_continue_request_bodies) {
    scripted_server server([](const scripted_request&) { return action{.status = 202}; });
    raw_client c(server.port());
    c.write(
        "PATCH /u HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n");
    EXPECT_EQ(c.read_response().result_int(), 202u);
    c.write("PUT /p HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
    EXPECT_EQ(c.read_head(), "HTTP/1.1 100 Continue\r\n\r\n");
    c.write("data");
    EXPECT_EQ(c.read_response().result_int(), 202u);
    const auto reqs = server.requests();
    ASSERT_EQ(reqs.size(), 2u);
    EXPECT_TRUE(reqs[0].chunked);
    EXPECT_EQ(reqs[0].body, "hello world");
    EXPECT_FALSE(reqs[1].chunked);
    EXPECT_EQ(reqs[1].body, "data");
}

TEST(scripted_server, malformed_and_oversized_requests_are_refused) {
    scripted_server server([](const scripted_request&) { return action{}; },
                           {.max_request_body = 10});
    {
        raw_client c(server.port());
        c.write("NOT HTTP AT ALL\r\n\r\n");
        EXPECT_EQ(c.read_response().result_int(), 400u);
    }
    {
        raw_client c(server.port());
        c.write("PUT / HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\n12345678901");
        EXPECT_EQ(c.read_response().result_int(), 413u);
    }
    EXPECT_EQ(server.requests_served(), 0u);
}

TEST(scripted_server, tls_verifies_with_the_test_ca) {
    scripted_server server([](const scripted_request&) { return action{.body = "secure"}; },
                           {.tls = true});
    EXPECT_EQ(server.url(), "https://" + server.host());
    ASSERT_FALSE(server.ca_file().empty());
    for (const std::string name : {"127.0.0.1", "localhost"}) {
        raw_client c(server.port());
        ASSERT_FALSE(c.tls(server.ca_file(), name)) << name;
        c.write(get("/"));
        EXPECT_EQ(c.read_response().body(), "secure");
        c.write(get("/"));
        EXPECT_EQ(c.read_response().body(), "secure");
    }
    {
        // Connection: close over TLS ends with a close_notify (a clean EOF, not a truncation).
        raw_client c(server.port());
        ASSERT_FALSE(c.tls(server.ca_file(), "localhost"));
        c.write(get("/", "Connection: close\r\n"));
        EXPECT_FALSE(c.read_response().keep_alive());
        EXPECT_EQ(c.read_to_eof(), "");
        EXPECT_EQ(c.last_error(), asio::error::eof);
    }
    {
        raw_client c(server.port());
        EXPECT_TRUE(c.tls(server.ca_file(), "example.com"));  // wrong name
    }
    {
        raw_client c(server.port());
        EXPECT_TRUE(c.tls("", "127.0.0.1"));  // CA not trusted
    }
    EXPECT_EQ(server.connections_accepted(), 5u);
    EXPECT_EQ(server.requests_served(), 5u);
}

TEST(connect_proxy, tunnels_connect_to_a_tls_server) {
    scripted_server server([](const scripted_request&) { return action{.body = "tunnelled"}; },
                           {.tls = true});
    connect_proxy proxy;
    raw_client c(proxy.port());
    c.write("CONNECT " + server.host() + " HTTP/1.1\r\nHost: " + server.host()
            + "\r\nProxy-Authorization: Basic dTpw\r\n\r\n");
    EXPECT_EQ(c.read_head().rfind("HTTP/1.1 200", 0), 0u);
    ASSERT_FALSE(c.tls(server.ca_file(), "127.0.0.1"));
    for (int i = 0; i < 2; ++i) {
        c.write(get("/v2/"));
        EXPECT_EQ(c.read_response().body(), "tunnelled");
    }
    EXPECT_EQ(proxy.tunnels(), 1u);
    EXPECT_EQ(proxy.connect_targets(), std::vector<std::string>{server.host()});
    EXPECT_EQ(proxy.proxy_authorizations(), std::vector<std::string>{"Basic dTpw"});
    EXPECT_EQ(server.connections_accepted(), 1u);

    raw_client refused(proxy.port());
    refused.write("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
    EXPECT_EQ(refused.read_response().result_int(), 403u);
    EXPECT_EQ(proxy.tunnels(), 1u);
}

TEST(connect_proxy, forwards_absolute_form_requests) {
    scripted_server server(
        [](const scripted_request& r) { return action{.body = "fwd:" + r.body}; });
    connect_proxy proxy;
    {
        raw_client c(proxy.port());
        c.write("GET " + server.url() + "/v2/?n=1 HTTP/1.1\r\nHost: " + server.host()
                + "\r\nProxy-Authorization: Basic eDp5\r\n\r\n");
        EXPECT_EQ(c.read_response().body(), "fwd:");
    }
    {
        raw_client c(proxy.port());
        c.write("PATCH " + server.url() + "/up HTTP/1.1\r\nHost: " + server.host()
                + "\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
        EXPECT_EQ(c.read_response().body(), "fwd:abc");
    }
    EXPECT_EQ(proxy.forwarded(), 2u);
    EXPECT_EQ(proxy.proxy_authorizations(), std::vector<std::string>{"Basic eDp5"});
    const auto reqs = server.requests();
    ASSERT_EQ(reqs.size(), 2u);
    EXPECT_EQ(reqs[0].target, "/v2/?n=1");
    EXPECT_EQ(reqs[0].header("Proxy-Authorization"), "");
    EXPECT_EQ(reqs[1].body, "abc");
}

TEST(scripted_server, many_concurrent_connections) {
    scripted_server server([](const scripted_request&) { return action{.body = "x"}; });
    std::vector<std::unique_ptr<raw_client>> clients;
    for (int i = 0; i < 200; ++i) {
        clients.push_back(std::make_unique<raw_client>(server.port()));
        clients.back()->write(get("/"));
    }
    for (auto& c : clients) {
        EXPECT_EQ(c->read_response().body(), "x");
    }
    EXPECT_EQ(server.connections_accepted(), 200u);
    EXPECT_EQ(server.max_concurrent_connections(), 200u);
    EXPECT_EQ(server.open_connections(), 200u);
}

TEST(scripted_server, destructor_closes_stalled_connections) {
    std::vector<std::unique_ptr<raw_client>> clients;
    {
        scripted_server server([](const scripted_request& r) {
            return action{.body = std::string(100, 'm'),
                          .delay_mid_body = r.target == "/mid" ? 60s : 0ms,
                          .stall_forever = r.target == "/stall"};
        });
        for (const auto* req :
             {"GET /stall HTTP/1.1\r\nHost: t\r\n\r\n", "GET /mid HTTP/1.1\r\nHost: t\r\n\r\n",
              "GET /partial HTTP/1.1\r\nHo", ""}) {
            clients.push_back(std::make_unique<raw_client>(server.port()));
            if (*req != '\0') {
                clients.back()->write(req);
            }
        }
        while (server.requests_served() < 2) {
            std::this_thread::sleep_for(1ms);
        }
    }  // must not hang
    for (auto& c : clients) {
        c->read_to_eof();
        EXPECT_NE(c->last_error(), asio::error::timed_out);
    }
}

}  // namespace

// The HTTP client against the real registry: the distribution API root in anonymous and TLS
// modes, and a blob pushed and pulled back with the streamed bodies of the transport.
#include <oras/digest.hpp>
#include <oras/error.hpp>
#include <oras/http/client.hpp>
#include <oras/test/registry_process.hpp>
#include <oras/test/run.hpp>
#include <oras/verifier.hpp>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/url/parse.hpp>

#include <filesystem>
#include <fstream>

namespace {

namespace asio = boost::asio;

boost::urls::url url(const std::string& s) {
    return boost::urls::url(boost::urls::parse_uri(s).value());
}

using oras::test::run;

oras::http::request make(std::string method, const std::string& u) {
    oras::http::request r;
    r.method = std::move(method);
    r.url = url(u);
    return r;
}

oras::http::client_options options_for(const oras::test::registry_process& reg) {
    oras::http::client_options o;
    o.proxy.from_environment = false;
    o.tls.ca_file = reg.ca_file();
    return o;
}

TEST(http_registry, api_root_anonymous) {
    oras::test::registry_process reg;
    asio::io_context io;
    oras::http::client client(io.get_executor(), options_for(reg));
    auto r = run(io, client.fetch(make("GET", reg.base_url() + "/v2/")));
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.headers.get("Docker-Distribution-API-Version"), "registry/2.0");
}

TEST(http_registry, api_root_over_tls_with_the_test_ca) {
    oras::test::registry_process reg({.tls = true});
    asio::io_context io;
    oras::http::client client(io.get_executor(), options_for(reg));
    for (const auto& base : {reg.base_url(), reg.localhost_url()}) {
        auto r = run(io, client.fetch(make("GET", base + "/v2/")));
        EXPECT_EQ(r.status, 200u) << base;
        EXPECT_EQ(r.headers.get("Docker-Distribution-API-Version"), "registry/2.0");
    }
    EXPECT_EQ(client.stats().connections_opened, 2u);  // one per origin (IP, then localhost)

    oras::http::client_options no_ca;
    no_ca.proxy.from_environment = false;
    oras::http::client untrusting(io.get_executor(), no_ca);
    EXPECT_THROW(run(io, untrusting.fetch(make("GET", reg.base_url() + "/v2/"))), oras::error);
}

TEST(http_registry, basic_mode_challenges_through_the_client) {
    oras::test::registry_process reg({.auth = oras::test::auth_mode::basic, .tls = true});
    asio::io_context io;
    oras::http::client client(io.get_executor(), options_for(reg));
    auto r = run(io, client.fetch(make("GET", reg.base_url() + "/v2/")));
    EXPECT_EQ(r.status, 401u);
    EXPECT_EQ(r.headers.get("WWW-Authenticate").rfind("Basic realm=", 0), 0u)
        << r.headers.get("WWW-Authenticate");
}

TEST(http_registry, blob_round_trip_with_streamed_bodies) {
    for (const bool relative : {false, true}) {
        oras::test::registry_process reg({.relative_urls = relative});
        asio::io_context io;
        oras::http::client client(io.get_executor(), options_for(reg));

        // 3 MiB from a file range, pushed as POST + PUT ?digest= with Content-Length.
        std::string content(3 << 20, '\0');
        for (std::size_t i = 0; i < content.size(); ++i) {
            content[i] = static_cast<char>((i * 2654435761u) >> 13);
        }
        const auto path = reg.dir() / "blob.bin";
        std::ofstream(path, std::ios::binary) << "junk" << content;
        const auto digest = oras::digest::of(std::string_view(content));

        auto start = run(io, client.fetch(make("POST", reg.base_url() + "/v2/it/blobs/uploads/")));
        ASSERT_EQ(start.status, 202u);
        auto location = std::string(start.headers.get("Location"));
        ASSERT_FALSE(location.empty());
        if (relative) {
            EXPECT_EQ(location.front(), '/') << location;
            location = reg.base_url() + location;
        }
        auto put_url = url(location);
        put_url.params().append({"digest", digest.str()});
        oras::http::request put;
        put.method = "PUT";
        put.url = put_url;
        put.headers.add("Content-Type", "application/octet-stream");
        put.body = oras::byte_source::from_file(path, 4, content.size());
        auto done = run(io, client.fetch(std::move(put)));
        ASSERT_EQ(done.status, 201u) << done.body;
        EXPECT_EQ(done.headers.get("Docker-Content-Digest"), digest.str());

        // Pulled back in chunks through the verifier.
        auto ok = run(io, [&]() -> asio::awaitable<bool> {
            auto r =
                co_await client.send(make("GET", reg.base_url() + "/v2/it/blobs/" + digest.str()));
            EXPECT_EQ(r.status(), 200u);
            EXPECT_EQ(r.content_length(), content.size());
            oras::verifier v(digest, static_cast<std::int64_t>(content.size()));
            std::vector<std::byte> buf(64 * 1024);
            while (const auto n = co_await r.read_some(buf)) {
                if (!v.update(std::span(buf).first(n))) {
                    co_return false;
                }
            }
            co_return static_cast<bool>(v.finish());
        }());
        EXPECT_TRUE(ok);
        EXPECT_LE(client.stats().connections_opened, 2u);
    }
}

}  // namespace

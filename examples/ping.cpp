// Asks a registry whether it speaks the distribution API: GET /v2/ through the oras-cpp HTTP
// client, then reports the status, the API version header and any authentication challenge.
//
//   oras_example_ping REGISTRY [--ca-file PEM] [--insecure]
//
// REGISTRY is host[:port]; loopback registries are reached over plain HTTP, others over https.
#include <oras/error.hpp>
#include <oras/http/client.hpp>
#include <oras/reference.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/url/parse.hpp>

#include <iostream>
#include <string>

namespace asio = boost::asio;

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: " << argv[0] << " REGISTRY [--ca-file PEM] [--insecure]\n";
        return 2;
    }
    const std::string registry = argv[1];
    oras::http::client_options opts;
    for (int i = 2; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--ca-file" && i + 1 < argc) {
            opts.tls.ca_file = argv[++i];
        } else if (arg == "--insecure") {
            opts.tls.insecure_skip_verify = true;
        } else {
            std::cerr << "unknown argument " << arg << "\n";
            return 2;
        }
    }
    if (auto ok = oras::validate_registry(registry); !ok) {
        std::cerr << "error: " << ok.error().message << "\n";
        return 2;
    }
    auto ref = oras::reference::parse(registry + "/x").value();
    const bool loopback =
        ref.host() == "localhost" || ref.host().starts_with("127.") || ref.host() == "::1";
    const std::string url =
        (loopback && opts.tls.ca_file.empty() ? "http://" : "https://") + registry + "/v2/";

    asio::io_context io;
    oras::http::client client(io.get_executor(), opts);
    auto result = asio::co_spawn(
        io,
        [&]() -> asio::awaitable<oras::http::client::buffered_response> {
            oras::http::request req;
            req.url = boost::urls::url(boost::urls::parse_uri(url).value());
            co_return co_await client.fetch(std::move(req), 64 * 1024);
        },
        asio::use_future);
    io.run();
    try {
        auto r = result.get();
        std::cout << "GET " << url << " -> " << r.status << "\n";
        if (auto v = r.headers.find("Docker-Distribution-API-Version")) {
            std::cout << "api version: " << *v << "\n";
        }
        if (auto c = r.headers.find("WWW-Authenticate")) {
            std::cout << "challenge: " << *c << "\n";
        }
        return r.status == 200 || r.status == 401 ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}

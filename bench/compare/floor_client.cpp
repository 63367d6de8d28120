// The registry's floor for a data set of bench/compare: the fewest requests the protocol allows,
// sent by the library with nothing else to do, so that a client's wall can be set beside what
// the registry itself needs. No files are written, none but the layout's are read, nothing is
// hashed but the bytes pulled (checked as they are dropped); only the requests are what a pull
// or push of the artifact must send.
//
//   oras_bench_floor push HOST REPO LAYOUT CONCURRENCY
//       pushes each blob of the layout's `v1` (layers and config, read from their files as
//       they are sent, not hashed again) with POST ?mount=<digest>&from=REPO and PUT
//       (push_blob_unless_present), CONCURRENCY at a time, then the manifest under the tag `v1`;
//   oras_bench_floor pull HOST REPO CONCURRENCY
//       GET of the manifest by tag `v1`, then a GET of each layer, CONCURRENCY at a time.
//
// Prints the requests sent on stdout; exits non-zero with the error when an operation fails.
#include <oras/auth/client.hpp>
#include <oras/byte_sink.hpp>
#include <oras/byte_source.hpp>
#include <oras/content/oci_layout.hpp>
#include <oras/descriptor.hpp>
#include <oras/error.hpp>
#include <oras/http/client.hpp>
#include <oras/image_manifest.hpp>
#include <oras/registry/repository.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

std::string read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) {
        throw std::runtime_error("cannot read " + p.string());
    }
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs `count` workers spawned by `make` on `io` to the end; rethrows the first failure.
template <class Make>
void run_workers(asio::io_context& io, std::size_t count, Make make) {
    std::exception_ptr failure;
    for (std::size_t i = 0; i < count; ++i) {
        asio::co_spawn(io, make(), [&failure](std::exception_ptr e) {
            if (e && !failure) {
                failure = e;
            }
        });
    }
    io.run();
    io.restart();
    if (failure) {
        std::rethrow_exception(failure);
    }
}

}  // namespace

int main(int argc, char** argv) try {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (!((mode == "push" && argc == 6) || (mode == "pull" && argc == 5))) {
        std::fprintf(stderr,
                     "usage: oras_bench_floor push HOST REPO LAYOUT CONCURRENCY\n"
                     "       oras_bench_floor pull HOST REPO CONCURRENCY\n");
        return 2;
    }
    const std::string host = argv[2];
    const std::string name = argv[3];
    const auto workers = static_cast<std::size_t>(std::stoul(argv[mode == "push" ? 5 : 4]));

    asio::io_context io;
    oras::http::client_options ho;
    ho.proxy.from_environment = false;
    ho.max_connections_per_origin = workers;
    ho.max_idle_per_origin = workers;
    oras::auth::client auth(oras::http::client(io.get_executor(), ho));
    oras::registry::repository repo(auth, host, name);

    if (mode == "push") {
        // The bench writes one artifact per layout, tagged `v1`.
        oras::content::oci_layout layout(argv[4], {.create = false, .read_only = true});
        oras::descriptor mdesc;
        auto resolve = [&]() -> asio::awaitable<void> { mdesc = co_await layout.resolve("v1"); };
        run_workers(io, 1, resolve);
        const auto mbytes = read_all(layout.blob_path(mdesc.digest));
        const auto m = oras::image_manifest::parse(mbytes).value();
        std::vector<oras::descriptor> blobs = m.layers;
        blobs.push_back(m.config);
        std::size_t next = 0;
        auto worker = [&]() -> asio::awaitable<void> {
            while (next < blobs.size()) {
                const auto i = next++;
                // The layout's file, read as it is sent; named by its digest, so not hashed
                // again here (the registry checks it).
                const auto path = layout.blob_path(blobs[i].digest);
                oras::content::opener open = [path]() -> asio::awaitable<oras::byte_source> {
                    auto src = oras::byte_source::from_file(path);
                    src.set_checked(oras::byte_source::check::hashed);
                    co_return src;
                };
                co_await repo.push_blob_unless_present(blobs[i], std::move(open));
            }
        };
        run_workers(io, workers, worker);
        auto put = [&]() -> asio::awaitable<void> {
            co_await repo.push_manifest(mdesc.media_type, mbytes, "v1");
        };
        run_workers(io, 1, put);
    } else {
        std::optional<oras::registry::manifest_content> got;
        auto get = [&]() -> asio::awaitable<void> { got = co_await repo.fetch_manifest("v1"); };
        run_workers(io, 1, get);
        const auto m = oras::image_manifest::parse(got->bytes).value();
        std::size_t next = 0;
        auto worker = [&]() -> asio::awaitable<void> {
            oras::byte_sink drop = [](std::span<const std::byte>) -> asio::awaitable<void> {
                co_return;
            };
            while (next < m.layers.size()) {
                const auto i = next++;
                co_await repo.fetch_blob(m.layers[i], drop);
            }
        };
        run_workers(io, workers, worker);
    }
    std::printf("%llu requests\n",
                static_cast<unsigned long long>(auth.http().stats().requests_sent));
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "oras_bench_floor: %s\n", e.what());
    return 1;
}

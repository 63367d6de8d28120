// Parallel ranged download of one large blob against the real distribution registry (loopback,
// anonymous, plain http): the same blob fetched (digest verified, bytes dropped) as one stream
// and as `parts` streams of Range requests, directly and through a proxy that behaves like a
// long link (each connection carries a window of 256 KiB per 20 ms one-way delay: about
// 13 MB/s for one stream, as TCP over a 40 ms round trip with that window). Three settings: one
// stream, the default (the first chunk timed: one stream after it when it came at loopback
// speed), and ranges always. Each runs ROUNDS times, rotated; medians are printed with the
// ratio to one stream. Nothing is asserted.
//
//   oras_bench_ranged [MiB=256 [ROUNDS=3 [PARTS=4 [CHUNK_KiB=2048]]]]
#include "bench_util.hpp"

#include <oras/descriptor.hpp>
#include <oras/hasher.hpp>
#include <oras/registry/repository.hpp>
#include <oras/test/latency_proxy.hpp>
#include <oras/test/registry_process.hpp>
#include <oras/test/temp_dir.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

struct sample {
    double wall = 0;
    double cpu = 0;
    std::uint64_t requests = 0;
};

double thread_cpu() {
    rusage u{};
    ::getrusage(RUSAGE_THREAD, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec)
           + static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

/// Fetches `desc` from `host` once, in a fresh client, with the given parallel settings.
sample fetch(const std::string& host, const oras::descriptor& desc, std::size_t parts,
             std::size_t chunk, std::uint64_t fast_rate) {
    asio::io_context io;
    oras::http::client_options h;
    h.proxy.from_environment = false;
    oras::auth::client auth(oras::http::client(io.get_executor(), h));
    oras::registry::repository_options ro;
    ro.plain_http = true;
    ro.parallel_download_min_size = parts < 2 ? 0 : 1;
    ro.parallel_download_parts = parts;
    ro.parallel_download_chunk = chunk;
    ro.parallel_download_fast_rate = fast_rate;
    oras::registry::repository repo(auth, host, "bench/ranged", ro);
    std::uint64_t received = 0;
    oras::byte_sink sink = [&received](std::span<const std::byte> b) -> asio::awaitable<void> {
        received += b.size();
        co_return;
    };
    std::exception_ptr failure;
    const double cpu0 = thread_cpu();
    const auto t0 = std::chrono::steady_clock::now();
    asio::co_spawn(io, repo.fetch_blob(desc, sink),
                   [&failure](std::exception_ptr e) { failure = e; });
    io.run();
    sample s;
    s.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    s.cpu = thread_cpu() - cpu0;
    s.requests = auth.http().stats().requests_sent;
    if (failure) {
        std::rethrow_exception(failure);
    }
    if (received != static_cast<std::uint64_t>(desc.size)) {
        throw std::runtime_error("received " + std::to_string(received) + " bytes");
    }
    return s;
}

sample median(std::vector<sample> v) {
    std::sort(v.begin(), v.end(), [](const sample& a, const sample& b) { return a.wall < b.wall; });
    return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const std::uint64_t mib = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 256;
        const int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
        const std::size_t parts = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 4;
        const std::size_t chunk = (argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 2048) << 10;
        if (argc > 5 || mib == 0 || rounds < 1 || parts < 2 || chunk == 0) {
            std::fprintf(stderr,
                         "usage: oras_bench_ranged [MiB=256 [ROUNDS=3 [PARTS=4 "
                         "[CHUNK_KiB=2048]]]]\n");
            return 2;
        }
        oras::test::temp_dir work("oras-bench-ranged-");
        oras::bench::isolate_environment(work.path());
        const auto file = work / "blob.bin";
        oras::bench::write_data(file, mib << 20, 42);

        oras::test::registry_process reg({.log_level = "error"});
        oras::descriptor desc;
        {
            asio::io_context io;
            oras::http::client_options h;
            h.proxy.from_environment = false;
            oras::auth::client auth(oras::http::client(io.get_executor(), h));
            oras::registry::repository repo(auth, reg.host(), "bench/ranged");
            std::exception_ptr failure;
            asio::co_spawn(
                io,
                [&]() -> asio::awaitable<void> {
                    desc = co_await repo.push_blob_stream(oras::byte_source::from_file(file),
                                                          "application/octet-stream");
                },
                [&failure](std::exception_ptr e) { failure = e; });
            io.run();
            if (failure) {
                std::rethrow_exception(failure);
            }
        }
        oras::test::latency_proxy slow(
            reg.port(), {.delay = std::chrono::milliseconds(20), .window = 256 * 1024});
        std::printf(
            "one blob of %llu MiB; %zu streams of %zu KiB ranges against one stream; "
            "%d round(s), medians\n",
            static_cast<unsigned long long>(mib), parts, chunk >> 10, rounds);
        std::printf("  %-42s %8s %8s %8s %8s %8s\n", "", "wall s", "MB/s", "CPU s", "requests",
                    "wall/one");
        const auto bytes = static_cast<double>(mib << 20);
        for (const auto& [label, host] : std::vector<std::pair<std::string, std::string>>{
                 {"loopback", reg.host()}, {"long link (20 ms, 256 KiB window)", slow.host()}}) {
            // One stream; the default (the first chunk timed, several streams unless it came
            // at loopback speed); several streams always. Rotated each round.
            const oras::registry::repository_options defaults;
            struct variant {
                std::string label;
                std::size_t parts;
                std::uint64_t fast_rate;
                std::vector<sample> runs{};
            };
            std::vector<variant> variants = {
                {"one stream", 1, 0},
                {"default (first chunk timed)", parts, defaults.parallel_download_fast_rate},
                {std::to_string(parts) + " streams of ranges, always", parts, 0},
            };
            for (int r = 0; r < rounds; ++r) {
                for (std::size_t i = 0; i < variants.size(); ++i) {
                    auto& v = variants[(i + static_cast<std::size_t>(r)) % variants.size()];
                    v.runs.push_back(fetch(host, desc, v.parts, chunk, v.fast_rate));
                }
            }
            std::printf("%s\n", label.c_str());
            const auto base = median(variants[0].runs);
            for (const auto& v : variants) {
                const auto m = median(v.runs);
                std::printf("  %-42s %8.3f %8.1f %8.3f %8llu %7.2fx\n", v.label.c_str(), m.wall,
                            bytes / 1e6 / m.wall, m.cpu,
                            static_cast<unsigned long long>(m.requests), m.wall / base.wall);
            }
        }
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "oras_bench_ranged: %s\n", e.what());
        return 1;
    }
}

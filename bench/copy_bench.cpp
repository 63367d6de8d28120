// Registry-to-registry copy between two real distribution registries (docker-registry, started
// on loopback by oras_test_support, anonymous, plain http):
//  (a) one artifact with one large blob (default 1 GiB): `oras-cpp cp` as a child process,
//      three rounds into fresh repositories, the median by CPU; wall, client user+sys CPU,
//      peak RSS and both registries' CPU, beside `openssl dgst -sha256` over the same bytes.
//      Targets: client CPU <= 1.5x openssl, peak RSS <= 32 MiB.
//  (b) 100 artifacts of 3 blobs each: copied one `oras-cpp cp` process at a time, then all in
//      one process through the library (`ops::copy`, 8 artifacts at once on one io_context
//      and one connection pool per registry), then with `skopeo copy` (when installed), one
//      process per artifact. Wall, client CPU and registry requests per artifact (counted in
//      the registries' access logs).
// Numbers are printed, never asserted; exits non-zero only when a command fails.
//
//   oras_bench_copy [DIVISOR=1]     (the large blob is 1 GiB / DIVISOR, the artifact count
//                                    100 / DIVISOR, at least 10)
#include "bench_util.hpp"

#include <oras/auth/client.hpp>
#include <oras/http/client.hpp>
#include <oras/ops/copy.hpp>
#include <oras/registry/repository.hpp>
#include <oras/registry/repository_target.hpp>
#include <oras/test/process.hpp>
#include <oras/test/registry_process.hpp>
#include <oras/test/temp_dir.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#ifndef ORAS_BENCH_CLI_PATH
#error "ORAS_BENCH_CLI_PATH must name the oras-cpp binary"
#endif

namespace fs = std::filesystem;
namespace asio = boost::asio;

namespace {

using oras::bench::median_by_cpu;
using oras::bench::run;
using oras::bench::run_stats;
using oras::bench::seconds;
using oras::bench::write_data;

constexpr double cpu_target = 1.5;  // x openssl
constexpr double rss_target_mib = 32.0;

/// Requests a registry has answered so far: the lines of its access log.
std::size_t requests(const oras::test::registry_process& reg) {
    return oras::bench::access_log_requests(reg.log());
}

double self_cpu() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return seconds(u.ru_utime) + seconds(u.ru_stime);
}

/// Copies `count` artifacts `many/aI:v1` from `a` to `b` (repositories `prefix/aI`) in this
/// process: one HTTP client and one auth client per registry, `parallel` copies at once.
void copy_in_process(const oras::test::registry_process& a, const oras::test::registry_process& b,
                     std::size_t count, const std::string& prefix, std::size_t parallel) {
    asio::io_context io;
    oras::http::client_options ho;
    ho.proxy.from_environment = false;
    oras::auth::client from(oras::http::client(io.get_executor(), ho), {});
    oras::auth::client to(oras::http::client(io.get_executor(), ho), {});
    std::size_t next = 0;
    std::size_t failures = 0;
    std::string first_error;
    auto worker = [&]() -> asio::awaitable<void> {
        while (next < count) {
            const auto i = next++;
            const auto name = "a" + std::to_string(i);
            oras::registry::repository_target src(
                oras::registry::repository(from, a.host(), "many/" + name));
            oras::registry::repository_target dst(
                oras::registry::repository(to, b.host(), prefix + "/" + name));
            try {
                co_await oras::ops::copy(src, "v1", dst, {});
            } catch (const std::exception& e) {
                if (failures++ == 0) {
                    first_error = e.what();
                }
            }
        }
    };
    for (std::size_t w = 0; w < parallel; ++w) {
        asio::co_spawn(io, worker, asio::detached);
    }
    io.run();
    if (failures != 0) {
        throw std::runtime_error(std::to_string(failures)
                                 + " in-process copies failed: " + first_error);
    }
}

struct many_row {
    std::string label;
    double wall = 0;
    double cpu = 0;
    double requests_per_artifact = 0;
    double registry_cpu = 0;
};

void print_many(const many_row& r, std::size_t count) {
    std::printf("  %-34s %8.3f %9.2f %8.3f %12.1f %9.2f\n", r.label.c_str(), r.wall,
                r.wall * 1000.0 / static_cast<double>(count), r.cpu, r.requests_per_artifact,
                r.registry_cpu);
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const std::uint64_t divisor = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1;
        if (argc > 2 || divisor == 0) {
            std::fprintf(stderr, "usage: oras_bench_copy [DIVISOR=1]\n");
            return 2;
        }
        const std::string cli = oras::bench::cli_path(ORAS_BENCH_CLI_PATH);
        const std::uint64_t large = std::max<std::uint64_t>((1024ULL << 20) / divisor, 1 << 20);
        const std::size_t count = std::max<std::size_t>(100 / divisor, 10);

        oras::test::temp_dir work("oras-bench-copy-");
        oras::bench::isolate_environment(work.path());
        ::setenv("HOME", work.path().c_str(), 1);
        const auto log = work / "log.txt";

        oras::test::registry_process a({.log_level = "warn"});
        oras::test::registry_process b({.log_level = "warn"});
        const auto registries_cpu = [&] {
            return oras::bench::process_cpu(a.pid()) + oras::bench::process_cpu(b.pid());
        };
        std::printf("client: %s\nregistries: distribution at %s and %s, anonymous, plain http\n",
                    cli.c_str(), a.host().c_str(), b.host().c_str());
        std::printf("machine: %ld CPUs\n\n", sysconf(_SC_NPROCESSORS_ONLN));

        // (a) One large blob.
        write_data(work / "data.bin", large, 7);
        run({cli, "push", a.host() + "/big:v1", "data.bin", "--no-tty"}, work.path(), log, 0);
        const double openssl =
            run({"openssl", "dgst", "-sha256", "data.bin"}, work.path(), log, 0).cpu();
        std::vector<run_stats> rounds;
        std::vector<double> registry_cpu;
        for (int round = 0; round < 3; ++round) {
            const double r0 = registries_cpu();
            rounds.push_back(run({cli, "cp", a.host() + "/big:v1",
                                  b.host() + "/big-" + std::to_string(round) + ":v1", "--no-tty"},
                                 work.path(), log, 0));
            rounds.back().registry_cpu = registries_cpu() - r0;
        }
        const auto m = median_by_cpu(rounds);
        const double mib = static_cast<double>(large) / (1024.0 * 1024.0);
        std::printf("(a) cp of one %.0f MiB blob, registry -> registry (median of 3 by CPU)\n",
                    mib);
        std::printf("  %7s %8s %7s %7s %7s %8s %8s %9s %12s\n", "wall s", "MB/s", "user s", "sys s",
                    "CPU s", "openssl", "client/", "peak RSS", "registries");
        std::printf("  %7.3f %8.1f %7.3f %7.3f %7.3f %8.3f %7.2fx %8.1fM %11.2fs\n", m.wall,
                    static_cast<double>(large) / 1e6 / m.wall, m.user, m.sys, m.cpu(), openssl,
                    m.cpu() / openssl, m.max_rss_mib, m.registry_cpu);
        std::printf("  targets: client CPU <= %.1fx openssl: %s; peak RSS <= %.0f MiB: %s\n\n",
                    cpu_target, m.cpu() <= cpu_target * openssl ? "met" : "MISSED", rss_target_mib,
                    m.max_rss_mib <= rss_target_mib ? "met" : "MISSED");
        fs::remove(work / "data.bin");

        // (b) Many small artifacts.
        for (std::size_t i = 0; i < count; ++i) {
            const auto dir = work / "many" / std::to_string(i);
            fs::create_directories(dir);
            write_data(dir / "small.bin", 4096, 100 + i);
            write_data(dir / "medium.bin", 64 * 1024, 10'000 + i);
            run({cli, "push", a.host() + "/many/a" + std::to_string(i) + ":v1", "small.bin",
                 "medium.bin", "--no-tty"},
                dir, log, 0);
        }
        std::printf(
            "(b) %zu artifacts of 3 blobs (4 KiB, 64 KiB, config) + manifest, registry -> "
            "registry\n",
            count);
        std::printf("  %-34s %8s %9s %8s %12s %9s\n", "how", "wall s", "ms/artif", "CPU s",
                    "requests/art", "registry");
        const auto measure = [&](const std::string& label, const auto& body) {
            const auto req0 = requests(a) + requests(b);
            const double r0 = registries_cpu();
            rusage before{};
            getrusage(RUSAGE_CHILDREN, &before);
            const double self0 = self_cpu();
            const auto t0 = std::chrono::steady_clock::now();
            body();
            const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - t0;
            rusage after{};
            getrusage(RUSAGE_CHILDREN, &after);
            many_row r;
            r.label = label;
            r.wall = wall.count();
            r.cpu = seconds(after.ru_utime) + seconds(after.ru_stime) - seconds(before.ru_utime)
                    - seconds(before.ru_stime) + self_cpu() - self0;
            r.registry_cpu = registries_cpu() - r0;
            // The access log is written as requests complete: give the last lines a moment.
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            r.requests_per_artifact =
                static_cast<double>(requests(a) + requests(b) - req0) / static_cast<double>(count);
            print_many(r, count);
        };
        measure("oras-cpp cp, a process each", [&] {
            for (std::size_t i = 0; i < count; ++i) {
                const auto n = "a" + std::to_string(i);
                run({cli, "cp", a.host() + "/many/" + n + ":v1", b.host() + "/one/" + n + ":v1",
                     "--no-tty"},
                    work.path(), log, 0);
            }
        });
        measure("oras-cpp cp again (all there)", [&] {
            for (std::size_t i = 0; i < count; ++i) {
                const auto n = "a" + std::to_string(i);
                run({cli, "cp", a.host() + "/many/" + n + ":v1", b.host() + "/one/" + n + ":v1",
                     "--no-tty"},
                    work.path(), log, 0);
            }
        });
        measure("ops::copy in one process, 8 at once",
                [&] { copy_in_process(a, b, count, "lib", 8); });
        measure("ops::copy again (all there)", [&] { copy_in_process(a, b, count, "lib", 8); });
        const auto skopeo = oras::test::find_executable("skopeo");
        if (skopeo.empty()) {
            std::printf("  skopeo: not installed (Debian package `skopeo`), not compared\n");
        } else {
            const auto policy = work / "policy.json";
            std::FILE* f = std::fopen(policy.c_str(), "w");
            std::fputs(R"({"default":[{"type":"insecureAcceptAnything"}]})", f);
            std::fclose(f);
            measure("skopeo copy, a process each", [&] {
                for (std::size_t i = 0; i < count; ++i) {
                    const auto n = "a" + std::to_string(i);
                    run({skopeo, "--policy", policy.string(), "copy", "--src-tls-verify=false",
                         "--dest-tls-verify=false", "docker://" + a.host() + "/many/" + n + ":v1",
                         "docker://" + b.host() + "/skopeo/" + n + ":v1"},
                        work.path(), log, 0);
                }
            });
        }
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "oras_bench_copy: %s\n", e.what());
        return 1;
    }
}

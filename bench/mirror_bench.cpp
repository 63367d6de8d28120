// Bulk mirror between two real distribution registries (docker-registry on loopback, anonymous,
// plain http): 20 repositories × 5 tags under `team/` (a config shared by all, a 64 KiB layer
// shared by a repository's artifacts, a unique 1 MiB and a unique 4 KiB layer per artifact),
// mirrored by prefix with `oras-cpp mirror`, then again (nothing changed); then `skopeo sync`
// (when installed) on the same data, one process for all 20 repositories, and its rerun.
// Printed: wall, client CPU, peak RSS, registry requests per artifact (from the registries'
// access logs), and the ratios. Targets (not asserted): wall <= 0.5x skopeo sync, rerun <= 2
// requests per tag, RSS <= 64 MiB.
//
//   oras_bench_mirror [REPOSITORIES=20]
#include "bench_util.hpp"

#include <oras/auth/client.hpp>
#include <oras/content/target.hpp>
#include <oras/digest.hpp>
#include <oras/image_manifest.hpp>
#include <oras/media_type.hpp>
#include <oras/registry/repository.hpp>
#include <oras/registry/repository_target.hpp>
#include <oras/test/files.hpp>
#include <oras/test/process.hpp>
#include <oras/test/registry_process.hpp>
#include <oras/test/temp_dir.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#ifndef ORAS_BENCH_CLI_PATH
#error "ORAS_BENCH_CLI_PATH must name the oras-cpp binary"
#endif

namespace fs = std::filesystem;
namespace asio = boost::asio;

namespace {

using oras::bench::run;
using oras::bench::run_stats;

constexpr std::size_t tags_per_repo = 5;

std::size_t requests(const oras::test::registry_process& reg) {
    return oras::bench::access_log_requests(reg.log());
}

/// Of those, catalog and tag-list requests.
std::size_t listings(const oras::test::registry_process& reg) {
    const auto log = reg.log();
    return oras::bench::occurrences(log, "/_catalog") + oras::bench::occurrences(log, "/tags/list");
}

using oras::test::describe;

/// `team/rNN` (not built in a coroutine frame: GCC 12 cannot keep a char array there).
std::string repo_name(std::size_t r) {
    char name[32];
    std::snprintf(name, sizeof name, "team/r%02zu", r);
    return name;
}

asio::awaitable<void> seed(oras::auth::client client, std::string host, std::size_t repos) {
    const std::string config = R"({"bench":"mirror"})";
    const auto config_desc = describe(config, "application/vnd.bench.config+json");
    for (std::size_t r = 0; r < repos; ++r) {
        const auto name = repo_name(r);
        oras::registry::repository_target t(oras::registry::repository(client, host, name));
        const auto push = [&t](std::string data,
                               oras::descriptor d) -> asio::awaitable<oras::descriptor> {
            co_await t.push(d, oras::byte_source::from_string(data));
            co_return d;
        };
        co_await push(config, config_desc);
        const auto shared_data = oras::test::pattern(64 * 1024, static_cast<unsigned>(r + 1));
        const auto shared_desc = describe(shared_data, "application/vnd.bench.shared");
        const auto shared = co_await push(shared_data, shared_desc);
        for (std::size_t k = 0; k < tags_per_repo; ++k) {
            const auto big_data =
                oras::test::pattern(1024 * 1024, static_cast<unsigned>(1000 + r * 100 + k));
            const auto small_data =
                oras::test::pattern(4096, static_cast<unsigned>(50'000 + r * 100 + k));
            const auto big_desc = describe(big_data, "application/vnd.bench.big");
            const auto small_desc = describe(small_data, "application/vnd.bench.small");
            const auto big = co_await push(big_data, big_desc);
            const auto small = co_await push(small_data, small_desc);
            oras::image_manifest m;
            m.media_type = std::string(oras::media_type::image_manifest);
            m.artifact_type = "application/vnd.bench.mirror";
            m.config = config_desc;
            m.layers = {shared, big, small};
            const auto bytes = m.serialize();
            const auto md = describe(bytes, m.media_type);
            std::vector<std::string> tags{"v" + std::to_string(k)};
            auto reader = oras::byte_source::from_string(bytes);
            co_await t.push_tagged(md, std::move(reader), std::move(tags));
        }
    }
}

struct row {
    std::string label;
    run_stats s;
    std::size_t requests = 0;
    std::size_t listings = 0;
};

}  // namespace

int main(int argc, char** argv) {
    try {
        const std::size_t repos = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 20;
        if (argc > 2 || repos == 0) {
            std::fprintf(stderr, "usage: oras_bench_mirror [REPOSITORIES=20]\n");
            return 2;
        }
        const std::size_t artifacts = repos * tags_per_repo;
        const std::string cli = oras::bench::cli_path(ORAS_BENCH_CLI_PATH);
        oras::test::temp_dir work("oras-bench-mirror-");
        oras::bench::isolate_environment(work.path());
        ::setenv("HOME", work.path().c_str(), 1);
        const auto log = work / "log.txt";

        oras::test::registry_process a({.log_level = "warn"});
        oras::test::registry_process b({.log_level = "warn"});
        {
            asio::io_context io;
            oras::http::client_options ho;
            ho.proxy.from_environment = false;
            oras::auth::client client(oras::http::client(io.get_executor(), ho), {});
            auto done = asio::co_spawn(io, seed(client, a.host(), repos), asio::use_future);
            io.run();
            done.get();
        }
        std::printf("client: %s\nregistries: distribution at %s and %s, anonymous, plain http\n",
                    cli.c_str(), a.host().c_str(), b.host().c_str());
        std::printf(
            "data: %zu repositories x %zu tags (shared config, 64 KiB per repository, "
            "1 MiB + 4 KiB per artifact)\nmachine: %ld CPUs\n\n",
            repos, tags_per_repo, sysconf(_SC_NPROCESSORS_ONLN));

        std::vector<row> rows;
        // Several commands make one row: wall and CPU add up, the peak RSS is the largest.
        const auto measure = [&](const std::string& label,
                                 const std::vector<std::vector<std::string>>& cmds) {
            const auto before = requests(a) + requests(b);
            const auto listed = listings(a) + listings(b);
            row out{label, {}, 0, 0};
            for (const auto& cmd : cmds) {
                const auto s = run(cmd, work.path(), log, 0);
                out.s.wall += s.wall;
                out.s.user += s.user;
                out.s.sys += s.sys;
                out.s.max_rss_mib = std::max(out.s.max_rss_mib, s.max_rss_mib);
            }
            out.requests = requests(a) + requests(b) - before;
            out.listings = listings(a) + listings(b) - listed;
            rows.push_back(out);
        };
        const std::vector<std::string> mirror = {cli,
                                                 "mirror",
                                                 "--no-tty",
                                                 "--from-plain-http",
                                                 "--to-plain-http",
                                                 a.host() + "/team/",
                                                 b.host() + "/oras/"};
        measure("oras-cpp mirror", {mirror});
        measure("oras-cpp mirror, rerun", {mirror});

        const auto skopeo = oras::test::find_executable("skopeo");
        if (!skopeo.empty()) {
            // skopeo sync takes one repository per run from a registry (its YAML source puts
            // the source host:port into destination paths, which fails), so one run each.
            const auto policy = work / "policy.json";
            std::ofstream(policy) << R"({"default":[{"type":"insecureAcceptAnything"}]})";
            std::vector<std::vector<std::string>> sync;
            for (std::size_t r = 0; r < repos; ++r) {
                sync.push_back({skopeo, "--policy", policy.string(), "sync", "--src", "docker",
                                "--dest", "docker", "--src-tls-verify=false",
                                "--dest-tls-verify=false", a.host() + "/" + repo_name(r),
                                b.host() + "/skopeo"});
            }
            measure("skopeo sync (per repo)", sync);
            measure("skopeo sync, rerun", sync);
        }

        const auto per_tag = [artifacts](std::size_t n) {
            return static_cast<double>(n) / static_cast<double>(artifacts);
        };
        std::printf("%-26s %8s %8s %9s %13s %13s\n", "", "wall s", "CPU s", "peak RSS",
                    "requests/tag", "w/o listing");
        for (const auto& r : rows) {
            std::printf("%-26s %8.3f %8.3f %8.1fM %13.2f %13.2f\n", r.label.c_str(), r.s.wall,
                        r.s.cpu(), r.s.max_rss_mib, per_tag(r.requests),
                        per_tag(r.requests - r.listings));
        }
        if (rows.size() == 4) {
            std::printf("\nwall, oras-cpp / skopeo sync: %.2fx (target <= 0.5x: %s); rerun %.2fx\n",
                        rows[0].s.wall / rows[2].s.wall,
                        rows[0].s.wall <= 0.5 * rows[2].s.wall ? "met" : "MISSED",
                        rows[1].s.wall / rows[3].s.wall);
        } else {
            std::printf("\nskopeo: not installed (Debian package `skopeo`), not compared\n");
        }
        std::printf("rerun <= 2 requests per tag besides listing: %s; peak RSS <= 64 MiB: %s\n",
                    per_tag(rows[1].requests - rows[1].listings) <= 2.0 ? "met" : "MISSED",
                    rows[0].s.max_rss_mib <= 64 ? "met" : "MISSED");
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "oras_bench_mirror: %s\n", e.what());
        return 1;
    }
}

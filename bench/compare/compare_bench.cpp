// oras-cpp beside skopeo (containers/image, Debian's `skopeo`) on the same data, the same fresh
// registry (distribution, loopback, anonymous, plain http) and the same machine, in one run:
//  (a) 1 file of 1 GiB, (b) 64 files of 4 MiB, (c) 1,000 files of 4 KiB.
// Each data set is put into an OCI image layout first (not timed). Then, each as a fresh process:
//   push  oras-cpp push FILES...                      (the files themselves)
//         oras-cpp cp --from-oci-layout LAYOUT REF    (the same blobs as skopeo sends)
//         skopeo copy oci:LAYOUT docker://REF
//   pull  oras-cpp pull REF -o DIR                    (files, verified, synced)
//         oras-cpp cp REF --to-oci-layout DIR         (a layout, as skopeo writes it)
//         skopeo copy docker://REF oci:DIR
// and, when Debian's golang-go and golang-oras-oras-go-dev are installed, oras-go v1 pushing the
// files and pulling them back (orasgo/main.go, built here in GOPATH mode, not timed). For the
// data sets of many files, the registry's floor (floor_client.cpp): the same requests sent by
// the library with nothing else to do, at concurrency 8 and 32 — a push that hashes nothing (the
// layout's files are named by their digests), a pull that writes nothing (bytes checked and
// dropped). It is what the registry needs, not what a client can reach; oras-cpp's wall is set
// beside the floor at its own concurrency (8).
// Printed per command: wall seconds, client CPU (user + sys, RUSAGE_CHILDREN around the wait),
// the registry's CPU over the same window (/proc), the client's peak RSS (wait4), and the
// ratios to skopeo. Last, a directory of 256 MiB / DIVISOR (text) pushed new and then unchanged,
// beside `tar | gzip -6` over the same tree. Nothing is asserted; a failing command ends the run
// with its output.
//
//   oras_bench_compare [DIVISOR=1 [ROUNDS=1]]
//
// DIVISOR scales the data down (1 GiB / DIVISOR, 4 MiB / DIVISOR, 1,000 / DIVISOR files, at
// least 16); with ROUNDS > 1 each command runs that many times (a fresh repository each) and
// the median by wall time is printed. ORAS_CPP overrides the oras-cpp binary.
#include "../bench_util.hpp"

#include <oras/test/process.hpp>
#include <oras/test/registry_process.hpp>
#include <oras/test/temp_dir.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#ifndef ORAS_BENCH_CLI_PATH
#error "ORAS_BENCH_CLI_PATH must name the oras-cpp binary"
#endif
#ifndef ORAS_BENCH_FLOOR_PATH
#error "ORAS_BENCH_FLOOR_PATH must name the oras_bench_floor binary"
#endif
#ifndef ORAS_BENCH_ORASGO_SOURCE
#error "ORAS_BENCH_ORASGO_SOURCE must name bench/compare/orasgo/main.go"
#endif

namespace fs = std::filesystem;

namespace {

using oras::bench::run;
using oras::bench::run_stats;

struct data_set {
    std::string label;  ///< "64 x 4096 KiB"
    std::string name;   ///< repository and directory name
    std::size_t files = 0;
    std::uint64_t file_size = 0;
    std::uint64_t bytes() const { return files * file_size; }
};

struct command {
    std::string label;  ///< what the row says
    bool skopeo = false;
    /// argv for round `round` (a fresh repository or directory each).
    std::function<std::vector<std::string>(int round)> argv;
};

/// skopeo remembers where it saw each blob and mounts it from there into a new repository:
/// after the first round it would send nothing. Run as root it keeps that cache in
/// /var/lib/containers/cache whatever $HOME says, so each of its runs starts without it.
void forget_skopeo_blob_locations() {
    if (::geteuid() == 0) {
        std::error_code ec;
        fs::remove("/var/lib/containers/cache/blob-info-cache-v1.boltdb", ec);
    }
}

run_stats median_of(std::vector<run_stats> v) {
    std::sort(v.begin(), v.end(),
              [](const run_stats& a, const run_stats& b) { return a.wall < b.wall; });
    return v[v.size() / 2];
}

void print_row(const std::string& label, const run_stats& r, const run_stats& skopeo,
               double bytes) {
    std::printf("  %-34s %7.3f %8.1f %7.3f %9.3f %8.1f %7.2fx %7.2fx\n", label.c_str(), r.wall,
                bytes / 1e6 / r.wall, r.cpu(), r.registry_cpu, r.max_rss_mib,
                skopeo.wall > 0 ? r.wall / skopeo.wall : 0.0,
                skopeo.cpu() > 0 ? r.cpu() / skopeo.cpu() : 0.0);
}

/// The oras-go v1 driver (orasgo/main.go) built into `work` in GOPATH mode against Debian's
/// golang-oras-oras-go-dev, or empty (with the reason printed) when `go` or the library is not
/// installed or the build fails.
std::string build_orasgo(const fs::path& work) {
    const auto go = oras::test::find_executable("go");
    const fs::path library = "/usr/share/gocode/src/oras.land/oras-go/pkg/oras";
    if (go.empty() || !fs::exists(library)) {
        std::printf(
            "oras-go v1: not installed (Debian packages golang-go and "
            "golang-oras-oras-go-dev); its rows are left out\n");
        return {};
    }
    const auto out = (work / "orasgo").string();
    const auto r = oras::test::run_process({"env", "GO111MODULE=off", "GOPATH=/usr/share/gocode",
                                            "GOFLAGS=", "GOCACHE=" + (work / "go-cache").string(),
                                            go, "build", "-o", out, ORAS_BENCH_ORASGO_SOURCE},
                                           {}, std::chrono::seconds{600});
    if (r.exit_code != 0) {
        std::printf("oras-go v1: the driver did not build; its rows are left out\n%s\n",
                    r.err.c_str());
        return {};
    }
    return out;
}

/// Text-like bytes (words picked by a xorshift generator), about 3:1 under gzip -6.
void write_text(const fs::path& path, std::uint64_t size, std::uint64_t seed) {
    static constexpr const char* words[] = {
        "registry ", "artifact ", "manifest ", "layer ", "digest ", "blob ",   "oras ",
        "push ",     "pull ",     "copy ",     "tag\n",  "index ",  "config ", "media ",
        "type ",     "size ",     "json ",     "tar\n",  "gzip ",   "stream "};
    std::ofstream out(path, std::ios::binary);
    std::uint64_t x = 0x9e3779b97f4a7c15ULL * (seed + 1);
    std::string buf;
    for (std::uint64_t done = 0; done < size;) {
        buf.clear();
        while (buf.size() < (1 << 16)) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            buf += words[x % std::size(words)];
            buf += static_cast<char>('a' + (x >> 40) % 26);
        }
        const auto n = std::min<std::uint64_t>(buf.size(), size - done);
        out.write(buf.data(), static_cast<std::streamsize>(n));
        done += n;
    }
    if (!out.flush()) {
        throw std::runtime_error("cannot write " + path.string());
    }
}

/// A new directory of 256 MiB / DIVISOR pushed as one tar+gzip layer, beside `tar | gzip -6`
/// over the same tree: a push that archives once costs about that (plus two SHA-256 passes
/// and the upload). Then the same directory again, unchanged: a walk of its metadata (the tree
/// cache), and the registry's answer that it has the layer.
void push_directory(const std::string& cli, const std::string& host, int registry_pid,
                    const fs::path& work, std::uint64_t divisor) {
    const std::uint64_t total = std::max<std::uint64_t>((256ULL << 20) / divisor, 1 << 20);
    const auto dir = work / "directory";
    const auto in = dir / "in";
    for (int i = 0; i < 64; ++i) {
        const auto sub = in / "tree" / ("d" + std::to_string(i % 8));
        fs::create_directories(sub);
        write_text(sub / ("f" + std::to_string(i) + ".txt"), total / 64, i);
    }
    const auto log = dir / "log.txt";
    const std::string ref = host + "/compare/directory";
    const std::vector<std::pair<std::string, std::vector<std::string>>> commands = {
        {"tar | gzip -6 (baseline)", {"sh", "-c", "tar -cf - tree | gzip -6 > /dev/null"}},
        {"oras-cpp push (new directory)", {cli, "push", ref + ":v1", "tree", "--no-tty"}},
        {"oras-cpp push (unchanged)", {cli, "push", ref + ":v2", "tree", "--no-tty"}},
    };
    std::printf("a directory of %.0f MB in 64 text files (new, then unchanged)\n",
                static_cast<double>(total) / 1e6);
    std::printf("  %-34s %7s %8s %7s %9s %8s %8s %8s\n", "", "", "", "", "", "", "wall/", "CPU/");
    std::printf("  %-34s %7s %8s %7s %9s %8s %8s %8s\n", "", "", "", "", "", "", "baseline",
                "baseline");
    run_stats baseline;
    for (const auto& [label, argv] : commands) {
        const auto r = run(argv, in, log, registry_pid);
        if (baseline.wall == 0) {
            baseline = r;
        }
        print_row(label, r, baseline, static_cast<double>(total));
    }
    fs::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const std::uint64_t divisor = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1;
        const int rounds = argc > 2 ? std::atoi(argv[2]) : 1;
        if (argc > 3 || divisor == 0 || rounds < 1) {
            std::fprintf(stderr, "usage: oras_bench_compare [DIVISOR=1 [ROUNDS=1]]\n");
            return 2;
        }
        const std::string cli = oras::bench::cli_path(ORAS_BENCH_CLI_PATH);
        const std::string floor_client = ORAS_BENCH_FLOOR_PATH;
        const std::string skopeo = oras::test::find_executable("skopeo");
        if (skopeo.empty()) {
            std::fprintf(stderr, "skopeo is not installed (Debian package `skopeo`)\n");
            return 2;
        }
        const std::uint64_t large = std::max<std::uint64_t>((1024ULL << 20) / divisor, 1 << 20);
        const std::uint64_t medium = std::max<std::uint64_t>((4ULL << 20) / divisor, 4096);
        const std::size_t small_count = std::max<std::size_t>(1000 / divisor, 16);
        const std::vector<data_set> sets = {
            {"1 x " + std::to_string(large >> 20) + " MiB", "large", 1, large},
            {"64 x " + std::to_string(medium >> 10) + " KiB", "medium", 64, medium},
            {std::to_string(small_count) + " x 4 KiB", "small", small_count, 4096},
        };

        oras::test::temp_dir work("oras-bench-compare-");
        oras::bench::isolate_environment(work.path());
        // skopeo keeps a blob-info cache under $HOME when not root: a private, empty one for
        // this run (as root: forget_skopeo_blob_locations).
        ::setenv("HOME", work.path().c_str(), 1);
        const auto policy = work / "policy.json";
        std::ofstream(policy) << R"({"default":[{"type":"insecureAcceptAnything"}]})";

        const auto orasgo = build_orasgo(work.path());
        oras::test::registry_process reg({.log_level = "error"});
        const auto host = reg.host();
        std::printf(
            "oras-cpp: %s\nskopeo: %s\noras-go v1: %s\nregistry: distribution at %s (pid %d), "
            "loopback, "
            "plain http\nmachine: %ld CPUs; every command a fresh process, data in the "
            "page cache; %d round(s), median by wall\n",
            cli.c_str(), skopeo.c_str(), orasgo.empty() ? "(none)" : orasgo.c_str(), host.c_str(),
            reg.pid(), sysconf(_SC_NPROCESSORS_ONLN), rounds);
        std::printf("  %-34s %7s %8s %7s %9s %8s %8s %8s\n", "", "wall s", "MB/s", "CPU s",
                    "registry", "RSS MiB", "wall/", "CPU/");
        std::printf("  %-34s %7s %8s %7s %9s %8s %8s %8s\n", "", "", "", "", "CPU s", "", "skopeo",
                    "skopeo");

        for (const auto& s : sets) {
            const auto dir = work / s.name;
            const auto in = dir / "in";
            fs::create_directories(in);
            std::vector<std::string> names;
            for (std::size_t i = 0; i < s.files; ++i) {
                names.push_back(s.files == 1 ? "data.bin" : "f" + std::to_string(i) + ".bin");
                oras::bench::write_data(in / names.back(), s.file_size,
                                        std::hash<std::string>{}(s.name) + i);
            }
            const auto log = dir / "log.txt";
            const auto layout = (dir / "layout").string();
            std::vector<std::string> make_layout = {cli, "push", "--oci-layout", layout + ":v1",
                                                    "--no-tty"};
            make_layout.insert(make_layout.end(), names.begin(), names.end());
            run(make_layout, in, log, 0);

            const auto ref = [&](const std::string& who, int round) {
                return host + "/compare/" + s.name + "-" + who + "-" + std::to_string(round)
                       + ":v1";
            };
            const auto out = [&](const std::string& who, int round) {
                return (dir / ("out-" + who + "-" + std::to_string(round))).string();
            };
            std::vector<std::string> push_files = {cli, "push", "--no-tty", "--concurrency", "8"};
            std::vector<command> pushes = {
                {"push  oras-cpp push (files)", false,
                 [&](int r) {
                     auto a = push_files;
                     a.insert(a.begin() + 2, ref("files", r));
                     a.insert(a.end(), names.begin(), names.end());
                     return a;
                 }},
                {"push  oras-cpp cp (from layout)", false,
                 [&](int r) {
                     return std::vector<std::string>{
                         cli,          "cp",       "--from-oci-layout", layout + ":v1",
                         ref("cp", r), "--no-tty", "--concurrency",     "8"};
                 }},
                {"push  skopeo copy (from layout)", true,
                 [&](int r) {
                     return std::vector<std::string>{skopeo,
                                                     "--policy",
                                                     policy.string(),
                                                     "copy",
                                                     "--dest-tls-verify=false",
                                                     "oci:" + layout + ":v1",
                                                     "docker://" + ref("skopeo", r)};
                 }},
            };
            std::vector<command> pulls = {
                {"pull  oras-cpp pull (files)", false,
                 [&](int r) {
                     return std::vector<std::string>{cli,
                                                     "pull",
                                                     ref("files", r),
                                                     "-o",
                                                     out("files", r),
                                                     "--no-tty",
                                                     "--concurrency",
                                                     "8"};
                 }},
                {"pull  oras-cpp cp (to layout)", false,
                 [&](int r) {
                     return std::vector<std::string>{cli,
                                                     "cp",
                                                     ref("cp", r),
                                                     "--to-oci-layout",
                                                     out("cp", r) + ":v1",
                                                     "--no-tty",
                                                     "--concurrency",
                                                     "8"};
                 }},
                {"pull  skopeo copy (to layout)", true,
                 [&](int r) {
                     return std::vector<std::string>{skopeo,
                                                     "--policy",
                                                     policy.string(),
                                                     "copy",
                                                     "--src-tls-verify=false",
                                                     "docker://" + ref("skopeo", r),
                                                     "oci:" + out("skopeo", r) + ":v1"};
                 }},
            };
            if (!orasgo.empty()) {
                pushes.push_back(
                    {"push  oras-go v1 (files)", false, [&](int r) {
                         std::vector<std::string> a = {orasgo, "push", ref("orasgo", r)};
                         a.insert(a.end(), names.begin(), names.end());
                         return a;
                     }});
                pulls.push_back({"pull  oras-go v1 (files)", false, [&](int r) {
                                     return std::vector<std::string>{
                                         orasgo, "pull", ref("orasgo", r), out("orasgo", r)};
                                 }});
            }
            if (s.files > 1) {
                // What the registry itself needs: the same requests with nothing else to do
                // (floor_client.cpp), at the clients' concurrency and at 32.
                for (const int c : {8, 32}) {
                    const auto conc = std::to_string(c);
                    const auto repo = [&s, conc](int r) {
                        return "compare/" + s.name + "-floor" + conc + "-" + std::to_string(r);
                    };
                    pushes.push_back({"push  floor, requests only (c=" + conc + ")", false,
                                      [&, repo, conc](int r) {
                                          return std::vector<std::string>{
                                              floor_client, "push", host, repo(r), layout, conc};
                                      }});
                    pulls.push_back({"pull  floor, requests only (c=" + conc + ")", false,
                                     [&, repo, conc](int r) {
                                         return std::vector<std::string>{floor_client, "pull", host,
                                                                         repo(r), conc};
                                     }});
                }
            }
            std::printf("%s (%.0f MB)\n", s.label.c_str(), static_cast<double>(s.bytes()) / 1e6);
            for (const auto* group : {&pushes, &pulls}) {
                std::vector<run_stats> results;
                run_stats skopeo_stats;
                for (const auto& c : *group) {
                    std::vector<run_stats> runs;
                    for (int r = 0; r < rounds; ++r) {
                        if (c.skopeo) {
                            forget_skopeo_blob_locations();
                        }
                        runs.push_back(run(c.argv(r), in, log, reg.pid()));
                    }
                    results.push_back(median_of(runs));
                    if (c.skopeo) {
                        skopeo_stats = results.back();
                    }
                }
                for (std::size_t i = 0; i < group->size(); ++i) {
                    print_row((*group)[i].label, results[i], skopeo_stats,
                              static_cast<double>(s.bytes()));
                }
                for (std::size_t i = 0; i < group->size(); ++i) {
                    // The first row is oras-cpp with the files, at concurrency 8.
                    if ((*group)[i].label.find("floor, requests only (c=8)") != std::string::npos) {
                        std::printf("  %-34s %7.2fx\n", "  oras-cpp (files) / floor (c=8)",
                                    results[0].wall / results[i].wall);
                    }
                }
            }
            // Every pull got every byte (each client verified the digests on its own).
            for (int r = 0; r < rounds; ++r) {
                for (const auto* who : {"files", "orasgo"}) {
                    if (std::string_view(who) == "orasgo" && orasgo.empty()) {
                        continue;
                    }
                    for (const auto& n : names) {
                        if (fs::file_size(fs::path(out(who, r)) / n) != s.file_size) {
                            throw std::runtime_error(n + " was pulled short by " + who);
                        }
                    }
                }
            }
            fs::remove_all(dir);
        }
        push_directory(cli, host, reg.pid(), work.path(), divisor);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "oras_bench_compare: %s\n", e.what());
        return 1;
    }
}

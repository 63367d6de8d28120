// Streaming SHA-256 throughput of oras::hasher and oras::verifier, beside `openssl dgst -sha256`
// over the same bytes. Prints numbers; asserts nothing.
//
//   oras_bench_hash [MiB=1024] [chunk KiB=1024]
#include <oras/hasher.hpp>
#include <oras/verifier.hpp>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace {

double cpu_seconds(int who) {
    rusage ru{};
    getrusage(who, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)
           + static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

struct sample {
    double wall;
    double cpu;
};

template <class F>
sample measure(F&& f) {
    const auto cpu0 = cpu_seconds(RUSAGE_SELF);
    const auto t0 = std::chrono::steady_clock::now();
    f();
    const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - t0;
    return {wall.count(), cpu_seconds(RUSAGE_SELF) - cpu0};
}

void report(const char* name, double gib, sample s) {
    std::printf("%-34s %8.1f MB/s  %6.3f CPU-s/GiB  (wall %.3f s)\n", name,
                gib * 1073.741824 / s.wall, s.cpu / gib, s.wall);
}

}  // namespace

int main(int argc, char** argv) {
    const std::size_t mib = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 1024;
    const std::size_t chunk = (argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 1024) * 1024;
    const double gib = static_cast<double>(mib) / 1024.0;

    // One MiB of random bytes repeated: hashing cost does not depend on the values.
    std::vector<std::byte> block(1 << 20);
    std::mt19937_64 rng(7);
    for (auto& b : block) {
        b = static_cast<std::byte>(rng());
    }
    auto feed = [&](auto&& sink) {
        for (std::size_t m = 0; m < mib; ++m) {
            for (std::size_t off = 0; off < block.size(); off += chunk) {
                sink(std::span(block).subspan(off, std::min(chunk, block.size() - off)));
            }
        }
    };

    std::printf("hashing %zu MiB in %zu KiB chunks\n", mib, chunk / 1024);
    oras::digest expected;
    report("oras::hasher (sha256)", gib, measure([&] {
               oras::hasher h;
               feed([&](auto s) { h.update(s); });
               expected = h.finish();
           }));
    report("oras::verifier (sha256 + size)", gib, measure([&] {
               oras::verifier v(expected, static_cast<std::int64_t>(mib) << 20);
               feed([&](auto s) { (void)v.update(s); });
               if (!v.finish()) {
                   std::abort();
               }
           }));

    // The baseline: the openssl command over a file of the same bytes (page-cached).
    const auto path =
        std::filesystem::temp_directory_path() / ("oras-bench-hash-" + std::to_string(getpid()));
    {
        std::ofstream out(path, std::ios::binary);
        for (std::size_t m = 0; m < mib; ++m) {
            out.write(reinterpret_cast<const char*>(block.data()),
                      static_cast<std::streamsize>(block.size()));
        }
    }
    const auto children0 = cpu_seconds(RUSAGE_CHILDREN);
    const auto t0 = std::chrono::steady_clock::now();
    const std::string cmd = "openssl dgst -sha256 " + path.string() + " > /dev/null";
    const int rc = std::system(cmd.c_str());
    const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - t0;
    std::filesystem::remove(path);
    if (rc != 0) {
        std::printf("openssl dgst failed (%d)\n", rc);
        return 1;
    }
    report("openssl dgst -sha256 (baseline)", gib,
           {wall.count(), cpu_seconds(RUSAGE_CHILDREN) - children0});
    std::printf("digest %s\n", expected.str().c_str());
    return 0;
}

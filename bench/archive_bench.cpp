// A backup into a tar archive, two ways, through the library alone (no registry): the tagged
// artifact of a source OCI layout copied with `ops::copy_tags`
//  (a) into a `content::layout_tar_writer` and committed: every blob written once, in place;
//  (b) into an `oci_layout` directory, then `oci_layout::write_tar`, then the directory removed:
//      what a backup to an archive did before (every blob written twice, the space needed twice);
// beside `tar -cf` of the source layout's directory (the bytes read and written once, nothing
// hashed or synced). Rounds alternate (a) and (b); the median by CPU of each is printed with its
// wall time, CPU (this process, all threads) and the disk the copy needed at its peak. Numbers
// are printed, never asserted.
//
//   oras_bench_archive [MIB=1024] [BLOBS=1] [ROUNDS=3]   (in $TMPDIR; MIB spread over BLOBS)
#include "bench_util.hpp"

#include <oras/byte_source.hpp>
#include <oras/content/layout_tar_writer.hpp>
#include <oras/content/oci_layout.hpp>
#include <oras/image_manifest.hpp>
#include <oras/media_type.hpp>
#include <oras/ops/copy_tags.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace fs = std::filesystem;
namespace asio = boost::asio;

namespace {

using oras::bench::seconds;

struct cost {
    double wall = 0;
    double cpu = 0;
    std::uint64_t peak_disk = 0;
};

// Times `f` in this process: wall, and user + system CPU of every thread.
template <class F>
cost timed(F f) {
    rusage before{};
    ::getrusage(RUSAGE_SELF, &before);
    const auto start = std::chrono::steady_clock::now();
    f();
    cost c;
    c.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rusage after{};
    ::getrusage(RUSAGE_SELF, &after);
    c.cpu = seconds(after.ru_utime) - seconds(before.ru_utime) + seconds(after.ru_stime)
            - seconds(before.ru_stime);
    return c;
}

template <class T>
T wait(asio::io_context& io, asio::awaitable<T> op) {
    auto f = asio::co_spawn(io, std::move(op), asio::use_future);
    io.restart();
    io.run();
    return f.get();
}

cost median_by_cpu(std::vector<cost> v) {
    std::sort(v.begin(), v.end(), [](const cost& a, const cost& b) { return a.cpu < b.cpu; });
    return v[v.size() / 2];
}

void print(const char* name, const cost& c, const cost& base) {
    std::printf(
        "  %-34s wall %7.3f s  cpu %7.3f s  disk at peak %7.1f MiB  wall %.2fx, cpu %.2fx\n", name,
        c.wall, c.cpu, static_cast<double>(c.peak_disk) / (1 << 20), c.wall / base.wall,
        c.cpu / base.cpu);
}

}  // namespace

int main(int argc, char** argv) {
    const std::uint64_t mib = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1024;
    const std::uint64_t blobs =
        std::max<std::uint64_t>(argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1, 1);
    const int rounds = std::max(argc > 3 ? std::atoi(argv[3]) : 3, 1);
    const fs::path work =
        fs::temp_directory_path() / ("oras-bench-archive-" + std::to_string(::getpid()));
    fs::create_directories(work);
    asio::io_context io;
    try {
        // The source: one artifact of `blobs` layers, tagged v1.
        const auto src_dir = work / "src";
        oras::content::oci_layout src(src_dir);
        oras::image_manifest m;
        m.config.media_type = std::string(oras::media_type::empty_json);
        m.config.digest = oras::digest::of(std::string_view("{}"));
        m.config.size = 2;
        wait(io, src.push(m.config, oras::byte_source::from_string("{}")));
        const auto each = (mib << 20) / blobs;
        for (std::uint64_t i = 0; i < blobs; ++i) {
            const auto file = work / ("layer" + std::to_string(i));
            oras::bench::write_data(file, each, i);
            auto d = wait(io, src.push_unknown("application/octet-stream",
                                               oras::byte_source::from_file(file)));
            fs::remove(file);
            m.layers.push_back(d);
        }
        const auto bytes = m.serialize();
        oras::descriptor md;
        md.media_type = std::string(oras::media_type::image_manifest);
        md.digest = oras::digest::of(bytes);
        md.size = static_cast<std::int64_t>(bytes.size());
        wait(io, src.push(md, oras::byte_source::from_string(bytes)));
        wait(io, src.tag(md, "v1"));
        std::printf("oras_bench_archive: %llu MiB in %llu blob(s), %d round(s), in %s\n",
                    static_cast<unsigned long long>(mib), static_cast<unsigned long long>(blobs),
                    rounds, work.c_str());

        const auto copy_into = [&](oras::content::target& dst) {
            oras::ops::copy_tags_options o;
            o.tags = {"v1"};
            wait(io, oras::ops::copy_tags(src, dst, std::move(o)));
        };
        std::vector<cost> one, two, floor;
        for (int r = 0; r < rounds; ++r) {
            const auto out = work / "out.tar";
            auto a = timed([&] {
                oras::content::layout_tar_writer w(out);
                copy_into(w);
                w.commit();
            });
            a.peak_disk = fs::file_size(out);
            fs::remove(out);
            one.push_back(a);

            std::uint64_t layout_bytes = 0;
            auto b = timed([&] {
                const auto dir = work / "layout";
                {
                    oras::content::oci_layout l(dir);
                    copy_into(l);
                    for (const auto& e : fs::recursive_directory_iterator(dir)) {
                        if (e.is_regular_file()) {
                            layout_bytes += e.file_size();
                        }
                    }
                    l.write_tar(out);
                }
                fs::remove_all(dir);
            });
            b.peak_disk = layout_bytes + fs::file_size(out);
            fs::remove(out);
            two.push_back(b);

            const auto tar_log = work / "tar.log";
            const auto t = oras::bench::run(
                {"tar", "-cf", out.string(), "-C", src_dir.string(), "."}, work, tar_log, 0);
            floor.push_back(cost{t.wall, t.cpu(), fs::file_size(out)});
            fs::remove(out);
        }
        const auto a = median_by_cpu(one);
        const auto b = median_by_cpu(two);
        const auto f = median_by_cpu(floor);
        std::printf("medians by CPU, ratios against (b):\n");
        print("(a) layout_tar_writer, one pass", a, b);
        print("(b) oci_layout, then write_tar", b, b);
        print("tar -cf of the source (no hash/sync)", f, b);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "oras_bench_archive: %s\n", e.what());
        fs::remove_all(work);
        return 1;
    }
    fs::remove_all(work);
    return 0;
}

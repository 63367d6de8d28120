// Remote repository benchmark: oras::registry::repository against the real distribution registry
// (docker-registry, started on loopback by oras_test_support, anonymous, plain http).
//  1. push of one large blob from a file (default 1 GiB) with a known descriptor
//  2. pull of it into a sink that drops the bytes (digest verified while streaming)
//  3. push of many 4 KiB blobs (default 1000), 32 coroutines in flight on one io_context
//  4. pull of them, likewise
// Per scenario: wall seconds, MB/s, CPU-seconds of the client thread (the one running the
// io_context) and per GiB, the registry process's CPU for context (another process: not counted
// as client cost), peak RSS and HTTP requests. The large-blob CPU is set beside
// `openssl dgst -sha256` over the same file (targets: push <= 1.5x, pull <= 2x) and beside
// raw-socket floors (blocking GET/PUT of the same bytes to the same registry, no HTTP client, no
// hashing). Prints numbers and "target met/missed"; asserts nothing: exits non-zero only when an
// operation throws.
//
//   oras_bench_registry [MiB=1024] [small blobs=1000]
#include "bench_util.hpp"

#include <oras/descriptor.hpp>
#include <oras/digest.hpp>
#include <oras/hasher.hpp>
#include <oras/registry/repository.hpp>
#include <oras/test/registry_process.hpp>
#include <oras/test/temp_dir.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;

extern char** environ;

namespace {

using oras::bench::fill;
using oras::bench::process_cpu;
using oras::bench::seconds;

constexpr std::size_t small_size = 4096;
constexpr int workers = 32;
constexpr double mib_d = 1024.0 * 1024.0;
constexpr double gib_d = 1024.0 * mib_d;
const char* const repo_name = "bench/blobs";

double cpu_seconds(int who) {
    rusage ru{};
    getrusage(who, &ru);
    return seconds(ru.ru_utime) + seconds(ru.ru_stime);
}

/// A line of /proc/self/status in KiB ("VmHWM", "VmRSS"); 0 if absent.
long status_kib(const char* key) {
    std::ifstream in("/proc/self/status");
    std::string line;
    const std::string prefix = std::string(key) + ":";
    while (std::getline(in, line)) {
        if (line.rfind(prefix, 0) == 0) {
            return std::strtol(line.c_str() + prefix.size(), nullptr, 10);
        }
    }
    return 0;
}

std::string small_blob(std::size_t index) {
    std::string s(small_size, '\0');
    std::uint64_t x = 0x9e3779b97f4a7c15ULL * (index + 1);
    fill(std::as_writable_bytes(std::span(s.data(), s.size())), x);
    return s;
}

oras::descriptor describe(oras::digest d, std::uint64_t size) {
    oras::descriptor out;
    out.media_type = "application/octet-stream";
    out.digest = std::move(d);
    out.size = static_cast<std::int64_t>(size);
    return out;
}

// --- scenarios run in child processes --------------------------------------------------------

/// What a scenario child reports to the parent through a pipe (trivially copyable).
struct result {
    double wall = 0;
    double client_cpu = 0;    ///< getrusage(RUSAGE_THREAD) of the io_context thread
    double registry_cpu = 0;  ///< /proc/<registry>/stat utime+stime delta
    long max_rss_kib = 0;     ///< getrusage(RUSAGE_SELF).ru_maxrss of the child
    long hwm_kib = 0;         ///< VmHWM of the child
    std::uint64_t requests = 0;
    std::uint64_t bytes = 0;
    char error[1024] = {};
};

void write_all(int fd, const void* data, std::size_t n) {
    const auto* p = static_cast<const char*>(data);
    while (n > 0) {
        const auto w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return;
        }
        p += w;
        n -= static_cast<std::size_t>(w);
    }
}

// Peak RSS per scenario: every scenario runs in its own fork()ed child, which starts with the
// parent's (small) RSS as its high-water mark and reports its own peak. The alternative, writing
// "5" to /proc/self/clear_refs to reset VmHWM between scenarios in one process, needs a writable
// /proc and a kernel that honours it (containers and sandboxes often refuse it, and
// getrusage's ru_maxrss may keep the old peak), so it would silently report the largest
// scenario's peak for every later one. fork() works everywhere and also gives every scenario a
// fresh client (pools, tokens, allocator state). The parent is single-threaded (the registry is
// a separate process), so forking is safe; the child leaves with _exit() so that it never runs
// the parent's destructors (which would stop the registry).
template <class F>
result in_child(F&& scenario) {
    std::fflush(stdout);
    std::fflush(stderr);
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    }
    const pid_t pid = ::fork();
    if (pid < 0) {
        throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    }
    if (pid == 0) {
        ::close(fds[0]);
        result r;
        try {
            r = scenario();
        } catch (const std::exception& e) {
            std::snprintf(r.error, sizeof r.error, "%s", e.what());
        } catch (...) {
            std::snprintf(r.error, sizeof r.error, "unknown exception");
        }
        rusage ru{};
        getrusage(RUSAGE_SELF, &ru);
        r.max_rss_kib = ru.ru_maxrss;
        r.hwm_kib = status_kib("VmHWM");
        write_all(fds[1], &r, sizeof r);
        std::fflush(stdout);
        ::_exit(0);
    }
    ::close(fds[1]);
    result r;
    std::size_t got = 0;
    auto* p = reinterpret_cast<char*>(&r);
    while (got < sizeof r) {
        const auto n = ::read(fds[0], p + got, sizeof r - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        got += static_cast<std::size_t>(n);
    }
    ::close(fds[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (got != sizeof r) {
        throw std::runtime_error("a scenario process died (status " + std::to_string(status) + ")");
    }
    if (r.error[0] != '\0') {
        throw std::runtime_error(r.error);
    }
    return r;
}

/// A fresh client in the child: io_context run on this (the main) thread.
struct bench_client {
    explicit bench_client(const std::string& host) {
        oras::http::client_options o;
        o.proxy.from_environment = false;
        o.max_connections_per_origin = workers;
        o.max_idle_per_origin = workers;
        auth.emplace(oras::http::client(io.get_executor(), o));
        repo.emplace(*auth, host, repo_name);
    }

    asio::io_context io;
    std::optional<oras::auth::client> auth;
    std::optional<oras::registry::repository> repo;
};

/// Spawns `count` coroutines made by `make` on c.io, runs the io_context on this thread and
/// measures that run.
template <class Make>
result run_timed(bench_client& c, int registry_pid, int count, Make& make) {
    std::exception_ptr failure;
    result r;
    const auto req0 = c.auth->http().stats().requests_sent;
    const double reg0 = process_cpu(registry_pid);
    const double cpu0 = cpu_seconds(RUSAGE_THREAD);
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < count; ++i) {
        asio::co_spawn(c.io, make(), [&failure](std::exception_ptr e) {
            if (e && !failure) {
                failure = e;
            }
        });
    }
    c.io.run();
    const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - t0;
    r.client_cpu = cpu_seconds(RUSAGE_THREAD) - cpu0;
    r.registry_cpu = process_cpu(registry_pid) - reg0;
    r.wall = wall.count();
    r.requests = c.auth->http().stats().requests_sent - req0;
    if (failure) {
        std::rethrow_exception(failure);
    }
    return r;
}

result push_large(const std::string& host, int registry_pid, const fs::path& file,
                  const oras::descriptor& desc) {
    bench_client c(host);
    const auto size = static_cast<std::uint64_t>(desc.size);
    auto body = fs::file_size(file) == size ? oras::byte_source::from_file(file)
                                            : oras::byte_source::from_file(file, 0, size);
    auto push = [&]() -> asio::awaitable<void> { co_await c.repo->push_blob(desc, body); };
    auto r = run_timed(c, registry_pid, 1, push);
    r.bytes = size;
    return r;
}

result pull_large(const std::string& host, int registry_pid, const oras::descriptor& desc) {
    bench_client c(host);
    std::uint64_t received = 0;
    oras::byte_sink sink = [&received](std::span<const std::byte> b) -> asio::awaitable<void> {
        received += b.size();
        co_return;
    };
    auto pull = [&]() -> asio::awaitable<void> { co_await c.repo->fetch_blob(desc, sink); };
    auto r = run_timed(c, registry_pid, 1, pull);
    if (received != static_cast<std::uint64_t>(desc.size)) {
        throw std::runtime_error("pull: received " + std::to_string(received) + " bytes");
    }
    r.bytes = received;
    return r;
}

result push_small(const std::string& host, int registry_pid,
                  const std::vector<oras::descriptor>& descs) {
    bench_client c(host);
    std::vector<std::shared_ptr<const std::string>> data;  // made before timing
    for (std::size_t i = 0; i < descs.size(); ++i) {
        data.push_back(std::make_shared<const std::string>(small_blob(i)));
    }
    std::size_t next = 0;
    auto worker = [&]() -> asio::awaitable<void> {
        while (next < descs.size()) {
            const auto i = next++;
            co_await c.repo->push_blob(descs[i], oras::byte_source::from_shared(data[i]));
        }
    };
    auto r = run_timed(c, registry_pid, workers, worker);
    r.bytes = descs.size() * small_size;
    return r;
}

result pull_small(const std::string& host, int registry_pid,
                  const std::vector<oras::descriptor>& descs) {
    bench_client c(host);
    std::uint64_t received = 0;
    oras::byte_sink sink = [&received](std::span<const std::byte> b) -> asio::awaitable<void> {
        received += b.size();
        co_return;
    };
    std::size_t next = 0;
    auto worker = [&]() -> asio::awaitable<void> {
        while (next < descs.size()) {
            const auto i = next++;
            co_await c.repo->fetch_blob(descs[i], sink);
        }
    };
    auto r = run_timed(c, registry_pid, workers, worker);
    if (received != descs.size() * small_size) {
        throw std::runtime_error("small pulls: received " + std::to_string(received) + " bytes");
    }
    r.bytes = received;
    return r;
}

// --- raw-socket floors -------------------------------------------------------------------------

/// The response head of a blocking request (status line and headers), body left in `rest`.
std::string read_head(tcp::socket& s, asio::streambuf& rest) {
    const auto n = asio::read_until(s, rest, "\r\n\r\n");
    std::string head(asio::buffers_begin(rest.data()), asio::buffers_begin(rest.data()) + n);
    rest.consume(n);
    return head;
}

unsigned status_of(const std::string& head) {
    return head.size() > 12 ? static_cast<unsigned>(std::atoi(head.c_str() + 9)) : 0;
}

/// GET of the blob with blocking reads into a 1 MiB buffer, no parsing, no hashing.
result raw_get(std::uint16_t port, int registry_pid, const oras::descriptor& desc) {
    result r;
    const double reg0 = process_cpu(registry_pid);
    const double cpu0 = cpu_seconds(RUSAGE_THREAD);
    const auto t0 = std::chrono::steady_clock::now();
    asio::io_context io;
    tcp::socket s(io);
    s.connect({asio::ip::make_address("127.0.0.1"), port});
    const std::string req = "GET /v2/" + std::string(repo_name) + "/blobs/" + desc.digest.str()
                            + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port)
                            + "\r\nConnection: close\r\n\r\n";
    asio::write(s, asio::buffer(req));
    asio::streambuf rest;
    const auto head = read_head(s, rest);
    if (status_of(head) != 200) {
        throw std::runtime_error("raw GET: " + head.substr(0, head.find('\r')));
    }
    std::uint64_t got = rest.size();
    std::vector<char> buf(1 << 20);
    boost::system::error_code ec;
    while (!ec) {
        got += s.read_some(asio::buffer(buf), ec);
    }
    const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - t0;
    r.client_cpu = cpu_seconds(RUSAGE_THREAD) - cpu0;
    r.registry_cpu = process_cpu(registry_pid) - reg0;
    r.wall = wall.count();
    r.requests = 1;
    r.bytes = got;
    if (got != static_cast<std::uint64_t>(desc.size)) {
        throw std::runtime_error("raw GET: received " + std::to_string(got) + " bytes");
    }
    return r;
}

/// POST + PUT of the file with blocking 1 MiB pread()s and writes, to another repository (the
/// registry still reads and hashes every byte).
result raw_put(std::uint16_t port, int registry_pid, const fs::path& file,
               const oras::descriptor& desc) {
    result r;
    const double reg0 = process_cpu(registry_pid);
    const double cpu0 = cpu_seconds(RUSAGE_THREAD);
    const auto t0 = std::chrono::steady_clock::now();
    asio::io_context io;
    const tcp::endpoint ep{asio::ip::make_address("127.0.0.1"), port};
    const std::string host = "\r\nHost: 127.0.0.1:" + std::to_string(port);
    std::string location;
    {
        tcp::socket s(io);
        s.connect(ep);
        const std::string req = "POST /v2/bench/raw/blobs/uploads/ HTTP/1.1" + host
                                + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        asio::write(s, asio::buffer(req));
        asio::streambuf rest;
        const auto head = read_head(s, rest);
        const auto at = head.find("\r\nLocation: ");
        const auto path = at == std::string::npos ? at : head.find("/v2/", at);
        if (status_of(head) != 202 || path == std::string::npos) {
            throw std::runtime_error("raw POST: " + head.substr(0, head.find('\r')));
        }
        location = head.substr(path, head.find('\r', path) - path);
    }
    tcp::socket s(io);
    s.connect(ep);
    s.set_option(tcp::no_delay(true));
    const std::string req = "PUT " + location
                            + (location.find('?') == std::string::npos ? "?" : "&")
                            + "digest=" + desc.digest.str() + " HTTP/1.1" + host
                            + "\r\nContent-Type: application/octet-stream\r\nContent-Length: "
                            + std::to_string(desc.size) + "\r\nConnection: close\r\n\r\n";
    asio::write(s, asio::buffer(req));
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        throw std::runtime_error("open " + file.string() + ": " + std::strerror(errno));
    }
    std::vector<char> buf(1 << 20);
    std::uint64_t sent = 0;
    const auto size = static_cast<std::uint64_t>(desc.size);
    while (sent < size) {
        const auto want =
            static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), size - sent));
        const auto n = ::pread(fd, buf.data(), want, static_cast<off_t>(sent));
        if (n <= 0) {
            ::close(fd);
            throw std::runtime_error("raw PUT: short read of " + file.string());
        }
        asio::write(s, asio::buffer(buf.data(), static_cast<std::size_t>(n)));
        sent += static_cast<std::uint64_t>(n);
    }
    ::close(fd);
    asio::streambuf rest;
    const auto head = read_head(s, rest);
    const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - t0;
    if (status_of(head) != 201) {
        throw std::runtime_error("raw PUT: " + head.substr(0, head.find('\r')));
    }
    r.client_cpu = cpu_seconds(RUSAGE_THREAD) - cpu0;
    r.registry_cpu = process_cpu(registry_pid) - reg0;
    r.wall = wall.count();
    r.requests = 2;
    r.bytes = sent;
    return r;
}

// --- the parent ---------------------------------------------------------------------------------

/// `openssl dgst -sha256 file` by posix_spawn, its CPU from getrusage(RUSAGE_CHILDREN) around
/// the wait (every earlier child has been reaped already). Negative when it failed.
double openssl_cpu(const fs::path& file) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    std::string prog = "openssl", cmd = "dgst", alg = "-sha256", path = file.string();
    char* argv[] = {prog.data(), cmd.data(), alg.data(), path.data(), nullptr};
    const double c0 = cpu_seconds(RUSAGE_CHILDREN);
    pid_t pid = 0;
    const int rc = posix_spawnp(&pid, "openssl", &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        return -1;
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        return -1;
    }
    return cpu_seconds(RUSAGE_CHILDREN) - c0;
}

struct data_file {
    oras::descriptor whole;
    oras::descriptor prefix;  ///< its first `prefix_size` bytes
};

/// Writes `size` pseudo-random bytes to `path`; digests of the whole and of the first
/// `prefix_size` bytes (a smaller blob for the RSS comparison).
data_file write_data(const fs::path& path, std::uint64_t size, std::uint64_t prefix_size) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        throw std::runtime_error("create " + path.string() + ": " + std::strerror(errno));
    }
    std::vector<std::byte> buf(1 << 20);
    std::uint64_t x = 88172645463325252ULL;
    oras::hasher whole, prefix;
    for (std::uint64_t done = 0; done < size;) {
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), size - done));
        const auto chunk = std::span(buf).first(n);
        fill(chunk, x);
        whole.update(chunk);
        if (done < prefix_size) {
            prefix.update(chunk.first(
                static_cast<std::size_t>(std::min<std::uint64_t>(n, prefix_size - done))));
        }
        for (std::size_t w = 0; w < n;) {
            const auto k = ::write(fd, chunk.data() + w, n - w);
            if (k <= 0) {
                ::close(fd);
                throw std::runtime_error("write " + path.string() + ": " + std::strerror(errno));
            }
            w += static_cast<std::size_t>(k);
        }
        done += n;
    }
    ::close(fd);
    return {describe(whole.finish(), size), describe(prefix.finish(), prefix_size)};
}

void print_header() {
    std::printf("  %-34s %7s %8s %9s %9s %9s %8s %8s\n", "scenario", "wall s", "MB/s", "client s",
                "CPU-s/GiB", "registry", "peak RSS", "requests");
    std::printf("  %-34s %7s %8s %9s %9s %9s %8s %8s\n", "", "", "", "CPU", "(client)", "CPU s",
                "MiB", "");
}

void print_row(const std::string& name, const result& r) {
    const double gib = static_cast<double>(r.bytes) / gib_d;
    char rss[32] = "-";
    if (r.max_rss_kib > 0) {
        std::snprintf(rss, sizeof rss, "%.1f", static_cast<double>(r.max_rss_kib) / 1024.0);
    }
    std::printf("  %-34s %7.3f %8.1f %9.3f %9.3f %9.2f %8s %8llu\n", name.c_str(), r.wall,
                static_cast<double>(r.bytes) / 1e6 / r.wall, r.client_cpu, r.client_cpu / gib,
                r.registry_cpu, rss, static_cast<unsigned long long>(r.requests));
}

const char* verdict(bool met) {
    return met ? "target met" : "target missed";
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const std::uint64_t mib = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1024;
        const std::size_t count = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1000;
        if (mib == 0 || count == 0) {
            std::fprintf(stderr, "usage: oras_bench_registry [MiB=1024] [small blobs=1000]\n");
            return 2;
        }
        const std::uint64_t size = mib << 20;
        // The smaller blob of the RSS comparison: 64 MiB, or a quarter of a smaller size.
        const std::uint64_t prefix_mib = mib > 64 ? 64 : std::max<std::uint64_t>(1, mib / 4);

        // The data first (not timed), then the registry (on this, the main, thread: its
        // PR_SET_PDEATHSIG follows the thread that started it).
        oras::test::temp_dir dir("oras-bench-registry-");
        const auto file = dir / "blob.bin";
        const auto data = write_data(file, size, prefix_mib << 20);
        std::vector<oras::descriptor> small;
        for (std::size_t i = 0; i < count; ++i) {
            small.push_back(describe(oras::digest::of(small_blob(i)), small_size));
        }
        oras::test::registry_process reg({.log_level = "error"});
        const auto host = reg.host();
        const int rpid = reg.pid();
        const auto port = reg.port();
        const long parent_rss = status_kib("VmRSS");

        std::printf(
            "registry: distribution at %s (pid %d), repository %s; client: one thread,\n"
            "one io_context, each scenario in its own fork()ed process (parent RSS "
            "%.1f MiB)\n",
            host.c_str(), rpid, repo_name, static_cast<double>(parent_rss) / 1024.0);
        print_header();

        const std::string big = std::to_string(mib) + " MiB";
        const auto push = in_child([&] { return push_large(host, rpid, file, data.whole); });
        print_row("push " + big + " blob (file)", push);
        const auto put_floor = in_child([&] { return raw_put(port, rpid, file, data.whole); });
        print_row("  raw-socket POST+PUT floor", put_floor);
        const auto pull = in_child([&] { return pull_large(host, rpid, data.whole); });
        print_row("pull " + big + " blob (verified)", pull);
        const auto get_floor = in_child([&] { return raw_get(port, rpid, data.whole); });
        print_row("  raw-socket GET floor", get_floor);

        const std::string mid = std::to_string(prefix_mib) + " MiB";
        const auto push_mid = in_child([&] { return push_large(host, rpid, file, data.prefix); });
        print_row("push " + mid + " blob (file)", push_mid);
        const auto pull_mid = in_child([&] { return pull_large(host, rpid, data.prefix); });
        print_row("pull " + mid + " blob (verified)", pull_mid);

        const auto n = std::to_string(count);
        const auto spush = in_child([&] { return push_small(host, rpid, small); });
        print_row("push " + n + " x 4 KiB (32 in flight)", spush);
        const auto spull = in_child([&] { return pull_small(host, rpid, small); });
        print_row("pull " + n + " x 4 KiB (32 in flight)", spull);

        const double count_d = static_cast<double>(count);
        std::printf(
            "\nsmall blobs: push %.0f blobs/s, %.2f requests/blob (target <= 3: %s); "
            "pull %.0f blobs/s, %.2f requests/blob\n",
            count_d / spush.wall, static_cast<double>(spush.requests) / count_d,
            verdict(static_cast<double>(spush.requests) <= 3 * count_d), count_d / spull.wall,
            static_cast<double>(spull.requests) / count_d);
        std::printf("             client CPU %.1f us/blob push, %.1f us/blob pull\n",
                    1e6 * spush.client_cpu / count_d, 1e6 * spull.client_cpu / count_d);

        const double ossl = openssl_cpu(file);
        const double gib = static_cast<double>(size) / gib_d;
        std::printf("\nbaseline: openssl dgst -sha256 over the same %s file\n", big.c_str());
        if (ossl <= 0) {
            std::printf("  openssl dgst failed or took no measurable CPU: no ratios\n");
        } else {
            std::printf("  %-34s %9.3f CPU-s  %6.3f CPU-s/GiB\n", "openssl dgst -sha256", ossl,
                        ossl / gib);
            std::printf("  %-34s %9.3f CPU-s  %5.2fx openssl  (target <= 1.5x: %s)\n",
                        "push client CPU", push.client_cpu, push.client_cpu / ossl,
                        verdict(push.client_cpu <= 1.5 * ossl));
            std::printf("  %-34s %9.3f CPU-s  %5.2fx openssl\n", "  raw-socket PUT floor",
                        put_floor.client_cpu, put_floor.client_cpu / ossl);
            std::printf("  %-34s %9.3f CPU-s  %5.2fx openssl  (target <= 2x: %s)\n",
                        "pull client CPU", pull.client_cpu, pull.client_cpu / ossl,
                        verdict(pull.client_cpu <= 2 * ossl));
            std::printf("  %-34s %9.3f CPU-s  %5.2fx openssl\n", "  raw-socket GET floor",
                        get_floor.client_cpu, get_floor.client_cpu / ossl);
        }

        const auto kib_mib = [](long k) { return static_cast<double>(k) / 1024.0; };
        std::printf(
            "\npeak RSS (VmHWM of each scenario process; it starts at the parent's "
            "%.1f MiB):\n",
            kib_mib(parent_rss));
        std::printf("  %-8s blob: push %6.1f MiB, pull %6.1f MiB\n", mid.c_str(),
                    kib_mib(push_mid.hwm_kib), kib_mib(pull_mid.hwm_kib));
        std::printf(
            "  %-8s blob: push %6.1f MiB, pull %6.1f MiB  (%+.1f / %+.1f MiB for %llux "
            "the bytes)\n",
            big.c_str(), kib_mib(push.hwm_kib), kib_mib(pull.hwm_kib),
            kib_mib(push.hwm_kib - push_mid.hwm_kib), kib_mib(pull.hwm_kib - pull_mid.hwm_kib),
            static_cast<unsigned long long>(mib / prefix_mib));
        std::printf("  %zu x 4 KiB, 32 in flight: push %6.1f MiB, pull %6.1f MiB\n", count,
                    kib_mib(spush.hwm_kib), kib_mib(spull.hwm_kib));
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "oras_bench_registry: %s\n", e.what());
        return 1;
    }
}

// Helpers shared by the benchmarks: CPU time of processes, fast pseudo-random data, a child
// process run and measured.
#pragma once

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace oras::bench {

namespace fs = std::filesystem;

inline double seconds(const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
}

/// utime + stime of another process, from /proc/<pid>/stat (fields 14 and 15, in clock ticks).
inline double process_cpu(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close = stat.rfind(')');
    if (close == std::string::npos) {
        return 0;
    }
    // After ")": state is field 3, so utime (14) is the 12th token and stime the 13th.
    std::vector<std::string> fields;
    std::size_t p = close + 2;
    while (p < stat.size() && fields.size() < 13) {
        const auto e = stat.find(' ', p);
        fields.push_back(stat.substr(p, e - p));
        p = e == std::string::npos ? stat.size() : e + 1;
    }
    if (fields.size() < 13) {
        return 0;
    }
    const auto ticks =
        std::strtod(fields[11].c_str(), nullptr) + std::strtod(fields[12].c_str(), nullptr);
    return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

/// xorshift64: fast, incompressible bytes, the same for the same seed.
template <class Byte>
void fill(std::span<Byte> out, std::uint64_t& x) {
    static_assert(sizeof(Byte) == 1);
    std::size_t i = 0;
    for (; i + 8 <= out.size(); i += 8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        std::memcpy(out.data() + i, &x, 8);
    }
    for (; i < out.size(); ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out[i] = static_cast<Byte>(x);
    }
}

/// What one child process cost.
struct run_stats {
    double wall = 0;
    double user = 0;  ///< RUSAGE_CHILDREN delta around the wait
    double sys = 0;
    double max_rss_mib = 0;  ///< wait4's ru_maxrss of this child
    double registry_cpu = 0;
    double cpu() const { return user + sys; }
};

/// The run of median CPU among `v` (not empty): the kernel's share (page cache, loopback) varies
/// a lot between runs.
inline run_stats median_by_cpu(std::vector<run_stats> v) {
    std::sort(v.begin(), v.end(),
              [](const run_stats& a, const run_stats& b) { return a.cpu() < b.cpu(); });
    return v[v.size() / 2];
}

/// Runs `argv` in `cwd` with stdout and stderr to `log`, and measures it. Throws with the tail
/// of the log when the command fails.
inline run_stats run(const std::vector<std::string>& argv, const fs::path& cwd, const fs::path& log,
                     int registry_pid) {
    std::vector<char*> args;
    for (const auto& a : argv) {
        args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    std::fflush(stdout);
    std::fflush(stderr);
    // A quiet disk at the start: what the previous command left dirty (a peer that does not
    // fsync its files) is written back now, not on this command's time and disk.
    ::sync();

    rusage before{};
    getrusage(RUSAGE_CHILDREN, &before);
    const double registry0 = registry_pid > 0 ? process_cpu(registry_pid) : 0;
    const auto t0 = std::chrono::steady_clock::now();
    const pid_t pid = ::fork();
    if (pid < 0) {
        throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    }
    if (pid == 0) {
        // Only async-signal-safe calls between fork and exec. The environment was prepared in
        // main (no proxies, an empty Docker config) before the registry started.
        const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || ::chdir(cwd.c_str()) != 0 || ::dup2(fd, 1) < 0 || ::dup2(fd, 2) < 0) {
            ::_exit(126);
        }
        ::execvp(args[0], args.data());
        ::_exit(127);
    }
    int status = 0;
    rusage own{};
    while (::wait4(pid, &status, 0, &own) < 0 && errno == EINTR) {
    }
    const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - t0;
    rusage after{};
    getrusage(RUSAGE_CHILDREN, &after);

    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::ifstream in(log);
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (text.size() > 2000) {
            text = "..." + text.substr(text.size() - 2000);
        }
        throw std::runtime_error(argv[0] + " " + argv[1] + " failed (status "
                                 + std::to_string(status) + "):\n" + text);
    }
    run_stats r;
    r.wall = wall.count();
    r.user = seconds(after.ru_utime) - seconds(before.ru_utime);
    r.sys = seconds(after.ru_stime) - seconds(before.ru_stime);
    r.max_rss_mib = static_cast<double>(own.ru_maxrss) / 1024.0;
    r.registry_cpu = registry_pid > 0 ? process_cpu(registry_pid) - registry0 : 0;
    return r;
}

inline void write_data(const fs::path& path, std::uint64_t size, std::uint64_t seed) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        throw std::runtime_error("create " + path.string() + ": " + std::strerror(errno));
    }
    std::vector<char> buf(static_cast<std::size_t>(std::min<std::uint64_t>(size, 1 << 20)));
    std::uint64_t x = 0x9e3779b97f4a7c15ULL * (seed + 1);
    for (std::uint64_t done = 0; done < size;) {
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), size - done));
        fill(std::span(buf).first(n), x);
        for (std::size_t w = 0; w < n;) {
            const auto k = ::write(fd, buf.data() + w, n - w);
            if (k <= 0) {
                ::close(fd);
                throw std::runtime_error("write " + path.string() + ": " + std::strerror(errno));
            }
            w += static_cast<std::size_t>(k);
        }
        done += n;
    }
    ::close(fd);
}

/// The oras-cpp binary to run: `ORAS_CPP` from the environment, else the one built with the
/// benchmark.
/// How often `needle` occurs in `text` (requests in a registry's access log, say).
inline std::size_t occurrences(std::string_view text, std::string_view needle) {
    std::size_t n = 0;
    for (std::size_t pos = 0; (pos = text.find(needle, pos)) != std::string_view::npos; ++pos) {
        ++n;
    }
    return n;
}

/// Requests a distribution registry has answered, from its access log (`reg.log()`).
inline std::size_t access_log_requests(std::string_view log) {
    return occurrences(log, " HTTP/1.1\" ");
}

inline std::string cli_path(const char* built) {
    const char* override_cli = std::getenv("ORAS_CPP");
    return override_cli && *override_cli ? override_cli : built;
}

/// Children must reach the loopback registries directly and anonymously, whatever the
/// benchmark's environment says: no proxies, no ORAS_USER/ORAS_PASS, an empty Docker config in
/// `work`. Call before any thread exists (setenv is not thread-safe).
inline void isolate_environment(const fs::path& work) {
    for (const char* v : {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                          "all_proxy", "ORAS_USER", "ORAS_PASS"}) {
        ::unsetenv(v);
    }
    fs::create_directories(work / "docker-config");
    ::setenv("DOCKER_CONFIG", (work / "docker-config").c_str(), 1);
}

}  // namespace oras::bench

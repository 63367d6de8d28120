#include "spawn.hpp"

#include <oras/test/process.hpp>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace oras::test {
namespace detail {
namespace {

[[noreturn]] void throw_errno(const std::string& what) {
    throw std::system_error(errno, std::generic_category(), what);
}

struct fd_guard {
    int fd = -1;
    fd_guard() = default;
    explicit fd_guard(int f) : fd(f) {}
    fd_guard(const fd_guard&) = delete;
    fd_guard& operator=(const fd_guard&) = delete;
    ~fd_guard() { reset(); }
    void reset() noexcept {
        if (fd >= 0)
            ::close(fd);
        fd = -1;
    }
};

// Closes every descriptor >= 3 except `keep`, in the child between fork and exec (only
// async-signal-safe calls).
void close_other_fds(int keep) noexcept {
#ifdef SYS_close_range
    bool ok = true;
    if (keep > 3 && ::syscall(SYS_close_range, 3u, static_cast<unsigned>(keep - 1), 0u) != 0) {
        ok = false;
    }
    if (ok && ::syscall(SYS_close_range, static_cast<unsigned>(keep + 1), ~0u, 0u) == 0)
        return;
#endif
    rlimit rl{};
    long max_fd = 65536;
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
        && rl.rlim_cur < 65536) {
        max_fd = static_cast<long>(rl.rlim_cur);
    }
    for (long fd = 3; fd < max_fd; ++fd) {
        if (fd != keep)
            ::close(static_cast<int>(fd));
    }
}

}  // namespace

int spawn(const spawn_spec& spec) {
    if (spec.argv.empty())
        throw std::invalid_argument("spawn: empty argv");

    // Everything the child needs is prepared before fork: after it, only async-signal-safe
    // calls are allowed (the parent has other threads).
    std::vector<char*> argv;
    for (const auto& a : spec.argv)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        bool drop = false;
        for (const auto& prefix : spec.drop_env_prefixes) {
            if (std::strncmp(*e, prefix.c_str(), prefix.size()) == 0)
                drop = true;
        }
        if (!drop)
            envp.push_back(*e);
    }
    envp.push_back(nullptr);

    fd_guard dev_null{::open("/dev/null", O_RDWR | O_CLOEXEC)};
    if (dev_null.fd < 0)
        throw_errno("open /dev/null");
    const int in = spec.stdin_fd >= 0 ? spec.stdin_fd : dev_null.fd;
    const int out = spec.stdout_fd >= 0 ? spec.stdout_fd : dev_null.fd;
    const int err = spec.stderr_fd >= 0 ? spec.stderr_fd : dev_null.fd;

    int report[2];
    if (::pipe2(report, O_CLOEXEC) != 0)
        throw_errno("pipe2");
    fd_guard report_read{report[0]};
    fd_guard report_write{report[1]};

    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0)
        throw_errno("fork");
    if (pid == 0) {
        auto fail = [&] {
            const int e = errno;
            [[maybe_unused]] auto n = ::write(report[1], &e, sizeof e);
            ::_exit(127);
        };
        ::setpgid(0, 0);
        if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
            fail();
        if (::getppid() != parent)
            ::_exit(126);  // the parent died before prctl took effect
        sigset_t none;
        ::sigemptyset(&none);
        ::pthread_sigmask(SIG_SETMASK, &none, nullptr);
        ::signal(SIGPIPE, SIG_DFL);
        ::signal(SIGTERM, SIG_DFL);
        ::signal(SIGINT, SIG_DFL);
        // Move the report pipe out of the way of 0-2 before the dup2s.
        int rep = report[1];
        if (rep <= 2) {
            rep = ::fcntl(rep, F_DUPFD_CLOEXEC, 3);
            if (rep < 0)
                fail();
            report[1] = rep;
        }
        if (::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0)
            fail();
        close_other_fds(rep);
        ::execve(spec.exe.c_str(), argv.data(), envp.data());
        fail();
    }
    report_write.reset();
    int child_errno = 0;
    ssize_t n;
    do {
        n = ::read(report_read.fd, &child_errno, sizeof child_errno);
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        throw std::system_error(child_errno, std::generic_category(), "cannot execute " + spec.exe);
    }
    return static_cast<int>(pid);
}

bool wait_for_exit(int pid, int timeout_ms, int* status) {
    timespec start{};
    ::clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        int st = 0;
        const pid_t r = ::waitpid(pid, &st, WNOHANG);
        if (r == pid) {
            if (status != nullptr)
                *status = st;
            return true;
        }
        if (r < 0 && errno != EINTR) {  // ECHILD: already reaped (or SIGCHLD ignored)
            if (status != nullptr)
                *status = 0;
            return true;
        }
        timespec now{};
        ::clock_gettime(CLOCK_MONOTONIC, &now);
        const long elapsed =
            (now.tv_sec - start.tv_sec) * 1000L + (now.tv_nsec - start.tv_nsec) / 1'000'000L;
        if (elapsed >= timeout_ms)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

int terminate(int pid, int grace_ms) {
    int status = 0;
    ::kill(-pid, SIGTERM);  // the child leads its own process group
    ::kill(pid, SIGTERM);
    if (wait_for_exit(pid, grace_ms, &status))
        return status;
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
}

}  // namespace detail

namespace {

void set_nonblocking(int fd) {
    const int flags = ::fcntl(fd, F_GETFL);
    ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

}  // namespace

std::string find_executable(std::string_view name) {
    auto usable = [](const std::string& p) {
        struct stat st {};
        return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
    };
    if (name.empty())
        return {};
    if (name.find('/') != std::string_view::npos) {
        std::string p(name);
        return usable(p) ? p : std::string{};
    }
    const char* path_env = std::getenv("PATH");
    std::string_view path = path_env != nullptr ? path_env : "/usr/local/bin:/usr/bin:/bin";
    while (true) {
        const auto colon = path.find(':');
        std::string dir(path.substr(0, colon));
        if (dir.empty())
            dir = ".";
        std::string candidate = dir + "/" + std::string(name);
        if (usable(candidate))
            return candidate;
        if (colon == std::string_view::npos)
            break;
        path.remove_prefix(colon + 1);
    }
    return {};
}

bool process_exists(int pid) {
    if (pid <= 0)
        return false;
    return ::kill(pid, 0) == 0 || errno != ESRCH;
}

process_result run_process(const std::vector<std::string>& argv, std::string_view input,
                           std::chrono::milliseconds timeout) {
    if (argv.empty())
        throw std::invalid_argument("run_process: empty argv");
    const std::string exe = find_executable(argv[0]);
    if (exe.empty())
        throw std::runtime_error("run_process: " + argv[0] + " not found");

    int in_pipe[2], out_pipe[2], err_pipe[2];
    if (::pipe2(in_pipe, O_CLOEXEC) != 0)
        detail::throw_errno("pipe2");
    detail::fd_guard in_r{in_pipe[0]}, in_w{in_pipe[1]};
    if (::pipe2(out_pipe, O_CLOEXEC) != 0)
        detail::throw_errno("pipe2");
    detail::fd_guard out_r{out_pipe[0]}, out_w{out_pipe[1]};
    if (::pipe2(err_pipe, O_CLOEXEC) != 0)
        detail::throw_errno("pipe2");
    detail::fd_guard err_r{err_pipe[0]}, err_w{err_pipe[1]};

    detail::spawn_spec spec;
    spec.exe = exe;
    spec.argv = argv;
    spec.stdin_fd = in_r.fd;
    spec.stdout_fd = out_w.fd;
    spec.stderr_fd = err_w.fd;
    const int pid = detail::spawn(spec);
    in_r.reset();
    out_w.reset();
    err_w.reset();
    if (input.empty())
        in_w.reset();
    if (in_w.fd >= 0)
        set_nonblocking(in_w.fd);

    // A child that closes stdin early must not kill us with SIGPIPE: block it on this thread
    // and swallow a pending one afterwards.
    sigset_t pipe_set, old_set;
    ::sigemptyset(&pipe_set);
    ::sigaddset(&pipe_set, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);

    process_result result;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::size_t written = 0;
    while (out_r.fd >= 0 || err_r.fd >= 0) {
        pollfd fds[3];
        nfds_t count = 0;
        auto add = [&](int fd, short events) {
            if (fd >= 0)
                fds[count++] = pollfd{fd, events, 0};
        };
        add(out_r.fd, POLLIN);
        add(err_r.fd, POLLIN);
        add(in_w.fd, POLLOUT);
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            result.timed_out = true;
            break;
        }
        const int r = ::poll(fds, count, static_cast<int>(left.count()));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (nfds_t i = 0; i < count; ++i) {
            if (fds[i].revents == 0)
                continue;
            if (fds[i].fd == in_w.fd) {
                const ssize_t n = ::write(in_w.fd, input.data() + written, input.size() - written);
                if (n > 0)
                    written += static_cast<std::size_t>(n);
                if ((n < 0 && errno != EAGAIN && errno != EINTR) || written == input.size()) {
                    in_w.reset();
                }
                continue;
            }
            char buf[65536];
            const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
            if (n > 0) {
                (fds[i].fd == out_r.fd ? result.out : result.err)
                    .append(buf, static_cast<std::size_t>(n));
            } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                if (fds[i].fd == out_r.fd) {
                    out_r.reset();
                } else {
                    err_r.reset();
                }
            }
        }
    }
    in_w.reset();
    int status = 0;
    if (result.timed_out) {
        ::kill(-pid, SIGKILL);
        ::kill(pid, SIGKILL);
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
    } else {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (!detail::wait_for_exit(pid, static_cast<int>(std::max<long long>(left.count(), 0)),
                                   &status)) {
            result.timed_out = true;
            ::kill(-pid, SIGKILL);
            ::kill(pid, SIGKILL);
            while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
        }
    }
    timespec zero{};
    while (::sigtimedwait(&pipe_set, nullptr, &zero) > 0) {
    }
    ::pthread_sigmask(SIG_SETMASK, &old_set, nullptr);

    if (WIFEXITED(status)) {
        result.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        result.signal = WTERMSIG(status);
    }
    return result;
}

}  // namespace oras::test

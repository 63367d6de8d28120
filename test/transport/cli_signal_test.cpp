// SIGINT and SIGTERM against the CLI in the middle of a transfer, with an in-process registry
// that stalls on purpose: the command stops with one line and 128 + the signal, removes what it
// had half-written, and cancels the upload session it had opened; a second signal ends it at
// once even when the clean stop hangs.
#include "scripted_server.hpp"

#include <oras/test/cli_sandbox.hpp>

#include <oras/image_manifest.hpp>

#include <poll.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <map>
#include <mutex>

namespace oras::cli_test {
namespace {

using oras::test::action;
using oras::test::scripted_request;
using oras::test::scripted_server;
using namespace std::chrono_literals;

/// A registry holding one artifact (`r:v1`, one titled 4 MiB layer) whose blob download stalls
/// halfway, and whose uploads stall once their body has arrived. DELETEs of upload sessions are
/// recorded; with `stall_deletes` they stall too.
struct stalling_registry {
    std::string layer = pattern(4 * 1024 * 1024, 11);
    descriptor layer_desc = [this] {
        auto d = oras::test::describe(layer, "application/vnd.oci.image.layer.v1.tar");
        d.annotations["org.opencontainers.image.title"] = "big.bin";
        return d;
    }();
    std::string manifest = [this] {
        oras::image_manifest m;
        m.config = oras::test::describe("{}", "application/vnd.oci.empty.v1+json");
        m.layers = {layer_desc};
        return m.serialize();
    }();
    bool stall_deletes = false;
    /// Created when an upload session opens: a shell can wait for it.
    fs::path posted_marker;
    mutable std::mutex mu;
    std::vector<std::string> deletes;
    std::size_t posts = 0;

    action answer(const scripted_request& r) {
        const std::string manifest_path = "/v2/r/manifests/v1";
        if (r.target == "/v2/" || r.target == "/v2") {
            return action{.body = "{}"};
        }
        if (r.target == manifest_path || r.target.ends_with(oras::digest::of(manifest).str())) {
            return action{
                .headers = {{"Content-Type", "application/vnd.oci.image.manifest.v1+json"},
                            {"Docker-Content-Digest", oras::digest::of(manifest).str()}},
                .body = manifest};
        }
        if (r.target.starts_with("/v2/r/blobs/sha256:")) {
            if (r.method == "HEAD") {
                return action{.status = 404};
            }
            if (r.target.ends_with(layer_desc.digest.str())) {
                return action{.body = layer, .delay_mid_body = 60s};
            }
            return action{.body = "{}"};  // the config
        }
        if (r.method == "POST" && r.target.starts_with("/v2/r/blobs/uploads/")) {
            std::lock_guard lock(mu);
            ++posts;
            if (!posted_marker.empty()) {
                write_file(posted_marker, "");
            }
            return action{.status = 202,
                          .headers = {{"Location", "/v2/r/blobs/uploads/session-1"}}};
        }
        if (r.target.starts_with("/v2/r/blobs/uploads/session-1")) {
            if (r.method == "DELETE") {
                std::lock_guard lock(mu);
                deletes.push_back(r.target);
                if (stall_deletes) {
                    return action{.stall_forever = true};
                }
                return action{.status = 204};
            }
            return action{.stall_forever = true};  // the upload's body arrived; never answer
        }
        return action{.status = 404};
    }
};

/// Runs oras-cpp in `s` in the background, sends `signals` (0.2 s apart) once `ready` (a shell
/// test) holds, and reports how it ended.
process_result interrupt(const sandbox& s, const std::vector<std::string>& args,
                         const std::string& ready, const std::vector<int>& signals) {
    std::string cmd = "cd '" + s.work.string() + "' && HOME='" + s.home.string() + "' "
                      + "DOCKER_CONFIG='" + (s.home / ".docker").string()
                      + "' '" ORAS_CPP_BINARY "'";
    for (const auto& a : args) {
        cmd += " '" + a + "'";
    }
    cmd += " & pid=$!; i=0; until " + ready
           + "; do i=$((i+1)); [ $i -gt 200 ] && break; sleep 0.05; done; ";
    for (const int sig : signals) {
        cmd += "kill -" + std::to_string(sig) + " $pid; sleep 0.2; ";
    }
    cmd += "wait $pid";
    return oras::test::run_process({"sh", "-c", cmd}, {}, std::chrono::seconds{40});
}

void expect_interrupted(const process_result& r, int signal) {
    EXPECT_EQ(r.exit_code, 128 + signal) << dump(r);
    // Progress lines may come first; the stop itself is one line, the last.
    ASSERT_TRUE(r.err.ends_with("\n")) << dump(r);
    const auto start = r.err.rfind('\n', r.err.size() - 2);
    const auto last = r.err.substr(start == std::string::npos ? 0 : start + 1);
    EXPECT_TRUE(last.starts_with("Error: ")) << dump(r);
    EXPECT_NE(last.find(signal == SIGINT ? "interrupted (SIGINT)" : "terminated (SIGTERM)"),
              std::string::npos)
        << dump(r);
    EXPECT_EQ(r.err.find("Error"), r.err.size() - last.size()) << dump(r);
}

TEST(cli_signals, sigint_stops_a_pull_and_leaves_no_file) {
    stalling_registry reg;
    scripted_server server([&](const scripted_request& r) { return reg.answer(r); });
    sandbox s;
    const auto out = s.scratch / "out";
    // Ready once the download has begun: a temporary file exists in the output directory.
    const auto r = interrupt(s, {"pull", "--no-tty", "-o", out.string(), server.host() + "/r:v1"},
                             "[ -n \"$(ls -A '" + out.string() + "' 2>/dev/null)\" ]", {SIGINT});
    expect_interrupted(r, SIGINT);
    // Nothing left, not even the output directory the pull made.
    EXPECT_FALSE(fs::exists(out)) << "left behind in " << out;
    // Into a directory that was there, the directory stays, empty.
    fs::create_directories(out);
    const auto again =
        interrupt(s, {"pull", "--no-tty", "-o", out.string(), server.host() + "/r:v1"},
                  "[ -n \"$(ls -A '" + out.string() + "' 2>/dev/null)\" ]", {SIGINT});
    expect_interrupted(again, SIGINT);
    EXPECT_TRUE(fs::is_empty(out)) << "left behind in " << out;
}

TEST(cli_signals, sigterm_stops_a_push_and_cancels_its_upload_session) {
    stalling_registry reg;
    sandbox s;
    write_file(s.work / "big.bin", pattern(1024 * 1024, 5));
    // Ready once the upload session is open (the server saw the POST).
    reg.posted_marker = s.scratch / "posted";
    scripted_server server([&](const scripted_request& r) { return reg.answer(r); });
    const auto r = interrupt(s, {"push", "--no-tty", server.host() + "/r:v1", "big.bin"},
                             "[ -e '" + reg.posted_marker.string() + "' ]", {SIGTERM});
    expect_interrupted(r, SIGTERM);
    // Every session opened (one per blob: the file and the empty config) was cancelled.
    std::lock_guard lock(reg.mu);
    EXPECT_EQ(reg.deletes.size(), reg.posts) << dump(r);
    EXPECT_GE(reg.posts, 1u);
    for (const auto& d : reg.deletes) {
        EXPECT_TRUE(d.starts_with("/v2/r/blobs/uploads/session-1")) << d;
    }
}

TEST(cli_signals, a_second_signal_exits_at_once_when_the_clean_stop_hangs) {
    stalling_registry reg;
    reg.stall_deletes = true;  // cancelling the session never completes
    sandbox s;
    write_file(s.work / "big.bin", pattern(1024 * 1024, 6));
    reg.posted_marker = s.scratch / "posted";
    scripted_server server([&](const scripted_request& r) { return reg.answer(r); });
    const auto r = interrupt(s, {"push", "--no-tty", server.host() + "/r:v1", "big.bin"},
                             "[ -e '" + reg.posted_marker.string() + "' ]", {SIGINT, SIGINT});
    // Without the second signal it would wait for the DELETE past the process's timeout.
    EXPECT_FALSE(r.timed_out) << dump(r);
    EXPECT_EQ(r.exit_code, 128 + SIGINT) << dump(r);
}

/// `oras-cpp login localhost:1 -u alice` on a terminal of its own (a pseudo-terminal), stopped
/// at its silent password prompt.
struct login_on_a_terminal {
    sandbox s;
    int master = -1;
    int slave = -1;
    pid_t pid = -1;
    std::string seen;

    /// `ignore_sighup`: started with SIGHUP ignored, as under `nohup`.
    explicit login_on_a_terminal(bool ignore_sighup = false) {
        if (::openpty(&master, &slave, nullptr, nullptr, nullptr) != 0) {
            ADD_FAILURE() << "openpty: " << std::strerror(errno);
            return;
        }
        // Everything the child needs is made before fork: after it, only exec-safe calls.
        const std::string cfg = (s.root / "auth.json").string();
        const std::string home = "HOME=" + s.home.string();
        const char* argv[] = {"oras-cpp",          "login",     "localhost:1", "-u", "alice",
                              "--registry-config", cfg.c_str(), nullptr};
        const char* envp[] = {home.c_str(), "PATH=/usr/bin:/bin", nullptr};
        pid = ::fork();
        if (pid == 0) {
            // A session of its own with the terminal as its controlling one, as a shell starts it.
            ::setsid();
            ::ioctl(slave, TIOCSCTTY, 0);
            ::dup2(slave, 0);
            ::dup2(slave, 1);
            ::dup2(slave, 2);
            ::close(master);
            ::close(slave);
            if (ignore_sighup) {
                ::signal(SIGHUP, SIG_IGN);
            }
            ::execve(ORAS_CPP_BINARY, const_cast<char* const*>(argv),
                     const_cast<char* const*>(envp));
            ::_exit(127);
        }
    }
    ~login_on_a_terminal() {
        if (pid > 0 && ::waitpid(pid, nullptr, WNOHANG) == 0) {
            ::kill(pid, SIGKILL);  // a failed assertion left it running
            ::waitpid(pid, nullptr, 0);
        }
        ::close(master);
        ::close(slave);
    }
    login_on_a_terminal(const login_on_a_terminal&) = delete;
    login_on_a_terminal& operator=(const login_on_a_terminal&) = delete;

    bool echo() {
        struct termios mode {};
        return ::tcgetattr(slave, &mode) == 0 && (mode.c_lflag & ECHO) != 0;
    }
    void read_some() {
        pollfd p{master, POLLIN, 0};
        if (::poll(&p, 1, 50) == 1) {
            char buf[256];
            const auto n = ::read(master, buf, sizeof buf);
            if (n > 0) {
                seen.append(buf, static_cast<std::size_t>(n));
            }
        }
    }
    /// Waits for the prompt, then for echo to go off (the prompt is printed first).
    bool at_silent_prompt() {
        const auto deadline = std::chrono::steady_clock::now() + 30s;
        while (std::chrono::steady_clock::now() < deadline) {
            read_some();
            if (seen.find("Password: ") != std::string::npos && !echo()) {
                return true;
            }
        }
        return false;
    }
    /// The child's wait status; -1 if it is still running after 30 s (then it is killed).
    int wait_exit() {
        int status = 0;
        const auto deadline = std::chrono::steady_clock::now() + 30s;
        while (::waitpid(pid, &status, WNOHANG) == 0) {
            if (std::chrono::steady_clock::now() > deadline) {
                ::kill(pid, SIGKILL);
                ::waitpid(pid, nullptr, 0);
                pid = -1;
                return -1;
            }
            read_some();  // a full terminal buffer would block the child's output
        }
        pid = -1;
        return status;
    }
};

// A signal while login reads a password without echo ends it, as before, but the terminal gets
// its echo back first: the user's shell is not left typing blind.
TEST(cli_signals, a_signal_at_a_silent_login_prompt_gives_the_terminal_its_echo_back) {
    for (const int signal : {SIGINT, SIGTERM, SIGHUP}) {
        SCOPED_TRACE(signal);
        login_on_a_terminal t;
        ASSERT_GT(t.pid, 0);
        ASSERT_TRUE(t.at_silent_prompt()) << "seen: " << t.seen;
        ::kill(t.pid, signal);
        const int status = t.wait_exit();
        // Ended by the signal itself, as without the prompt.
        EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == signal) << status;
        EXPECT_TRUE(t.echo()) << "echo left off";
        EXPECT_FALSE(fs::exists(t.s.root / "auth.json"));
    }
}

// A signal the process was started ignoring stays ignored at the prompt (`nohup oras-cpp login`).
TEST(cli_signals, a_signal_ignored_from_the_start_stays_ignored_at_a_silent_login_prompt) {
    login_on_a_terminal t(true);
    ASSERT_GT(t.pid, 0);
    ASSERT_TRUE(t.at_silent_prompt()) << "seen: " << t.seen;
    ::kill(t.pid, SIGHUP);
    const std::string answer = "typed-blind\n";
    ASSERT_EQ(::write(t.master, answer.data(), answer.size()), static_cast<ssize_t>(answer.size()));
    const int status = t.wait_exit();
    // Not ended by SIGHUP: it read the answer and failed to reach localhost:1.
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << status;
    EXPECT_TRUE(t.echo());
}

// Answered, the prompt puts echo back and ends its line; what was typed is not shown.
TEST(cli_signals, a_silent_login_prompt_answered_gives_the_terminal_its_echo_back) {
    login_on_a_terminal t;
    ASSERT_GT(t.pid, 0);
    ASSERT_TRUE(t.at_silent_prompt()) << "seen: " << t.seen;
    const std::string answer = "typed-blind\n";
    ASSERT_EQ(::write(t.master, answer.data(), answer.size()), static_cast<ssize_t>(answer.size()));
    const int status = t.wait_exit();
    // Nothing listens on localhost:1: the login itself fails.
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << status;
    EXPECT_TRUE(t.echo()) << "echo left off";
    EXPECT_EQ(t.seen.find("typed-blind"), std::string::npos) << t.seen;
    EXPECT_NE(t.seen.find("Password: \r\n"), std::string::npos) << t.seen;
}

}  // namespace
}  // namespace oras::cli_test

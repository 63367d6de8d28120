#include <oras/auth/credential_store.hpp>

#include "auth/helper_protocol.hpp"
#include "core/json_reader.hpp"
#include "core/json_writer.hpp"
#include "core/posix_file.hpp"
#include "core/quote.hpp"
#include "core/sigpipe_guard.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <optional>
#include <tuple>
#include <utility>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char** environ;  // POSIX requires programs to declare it themselves

namespace oras::auth {
namespace detail {
namespace {

constexpr std::string_view docker_hub_server_url = "https://index.docker.io/v1/";

std::string_view trim(std::string_view s) {
    const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!s.empty() && space(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && space(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

std::string_view first_line(std::string_view text) {
    text = trim(text);
    return trim(text.substr(0, text.find('\n')));
}

bool says_not_found(const helper_output& output) {
    return output.out.find(helper_not_found_message) != std::string::npos
           || output.err.find(helper_not_found_message) != std::string::npos;
}

std::string program_name(std::string_view name) {
    return "docker-credential-" + std::string(name);
}

// What a line quoting a credential has in it: a JSON key or a `name=value`/`name: value` pair
// (not the bare word: "org.freedesktop.secrets" is the Secret Service's own diagnostic).
constexpr std::string_view credential_markers[] = {
    "\"secret\"", "secret=", "secret:", "password=", "password:", "token=", "token:"};

// ": <first line of stderr, else stdout>", or nothing. A line holding JSON (a `{` anywhere) or
// naming a secret may be a credential, and a line holding one of `secrets` is the helper
// echoing its input: none is shown.
std::string helper_says(const helper_output& output,
                        std::initializer_list<std::string_view> secrets) {
    auto line = first_line(output.err);
    if (line.empty()) {
        line = first_line(output.out);
    }
    if (line.empty()) {
        return {};
    }
    std::string lower(line);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const bool credential_like =
        std::any_of(std::begin(credential_markers), std::end(credential_markers),
                    [&](std::string_view m) { return lower.find(m) != std::string::npos; });
    if (line.front() == '[' || lower.find('{') != std::string::npos || credential_like) {
        return " (its output is not shown: it may hold a secret)";
    }
    for (auto secret : secrets) {
        if (!secret.empty() && line.find(secret) != std::string_view::npos) {
            return " (its output is not shown: it contains the secret)";
        }
    }
    return ": " + oras::display(line, 256);
}

std::string failed(std::string_view name, std::string_view action, std::string_view server_url,
                   const helper_output& output) {
    return "credential helper " + program_name(name) + " " + std::string(action) + " for "
           + oras::detail::quote(server_url) + " failed with exit status "
           + std::to_string(output.status);
}

}  // namespace

std::string helper_server_url(std::string_view registry) {
    if (normalize_registry_key(registry) == "docker.io") {
        return std::string(docker_hub_server_url);
    }
    if (const auto scheme = registry.find("://"); scheme != std::string_view::npos) {
        registry.remove_prefix(scheme + 3);
    }
    return std::string(registry.substr(0, registry.find('/')));
}

bool valid_helper_name(std::string_view name) {
    if (name.empty() || name == "." || name == "..") {
        return false;
    }
    for (const char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                        || c == '.' || c == '_' || c == '-';
        if (!ok) {
            return false;
        }
    }
    return true;
}

std::string helper_get_input(std::string_view server_url) {
    return std::string(server_url);
}

std::string helper_erase_input(std::string_view server_url) {
    return std::string(server_url);
}

result<std::string> helper_store_input(std::string_view server_url, const credential& cred) {
    const bool token = !cred.identity_token.empty();
    if (!token && cred.username.empty()) {
        return make_failure(errc::invalid_argument,
                            "a credential helper can store only a user name and password or an "
                            "identity token for "
                                + oras::detail::quote(server_url));
    }
    oras::detail::json_writer w;
    w.begin_object();
    w.key("ServerURL");
    w.value(server_url);
    w.key("Username");
    w.value(token ? helper_token_username : std::string_view(cred.username));
    w.key("Secret");
    w.value(token ? cred.identity_token : cred.password);
    w.end_object();
    return w.take() + "\n";  // json.Encoder's newline, as Docker sends it
}

result<credential> parse_helper_get(std::string_view name, std::string_view server_url,
                                    const helper_output& output) {
    if (output.status != 0) {
        if (says_not_found(output)) {
            return credential{};
        }
        return make_failure(errc::unavailable,
                            failed(name, "get", server_url, output) + helper_says(output, {}));
    }
    const auto malformed = [&] {
        return make_failure(errc::invalid_response,
                            "credential helper " + program_name(name) + " get for "
                                + oras::detail::quote(server_url)
                                + " printed malformed output (expected a JSON object with the "
                                  "strings ServerURL, Username and Secret)");
    };
    oras::detail::json_document doc;
    const oras::detail::json_reader rd(errc::invalid_response);
    auto root = doc.parse(output.out, output.out.size(), "helper output", errc::invalid_response);
    if (!root) {
        return malformed();
    }
    auto obj = rd.object(*root, "");
    if (!obj) {
        return malformed();
    }
    std::string username;
    std::string secret;
    for (auto field : *obj) {
        if (field.key != "ServerURL" && field.key != "Username" && field.key != "Secret") {
            continue;
        }
        std::string_view value;
        if (field.value.get_string().get(value)) {
            return malformed();
        }
        if (field.key == "Username") {
            username = value;
        } else if (field.key == "Secret") {
            secret = value;
        }
    }
    credential cred;
    if (username == helper_token_username) {
        cred.identity_token = std::move(secret);
    } else {
        cred.username = std::move(username);
        cred.password = std::move(secret);
    }
    return cred;
}

result<void> check_helper_result(std::string_view name, std::string_view action,
                                 std::string_view server_url, const helper_output& output,
                                 std::initializer_list<std::string_view> secrets) {
    if (output.status == 0) {
        return {};
    }
    if (action == "erase" && says_not_found(output)) {
        return make_failure(errc::not_found, "not logged in to " + oras::detail::quote(server_url)
                                                 + ": credential helper " + program_name(name)
                                                 + " holds no credentials for it");
    }
    return make_failure(errc::unavailable,
                        failed(name, action, server_url, output) + helper_says(output, secrets));
}

}  // namespace detail

namespace {

using oras::detail::unique_fd;

struct pipe_pair {
    unique_fd read{};
    unique_fd write{};
};

std::string errno_text(int err) {
    return std::strerror(err);  // glibc's is thread-safe for the codes it knows
}

// A pipe whose ends stay above the standard descriptors: if this process runs with stdin
// closed, a pipe end could be descriptor 0, and dup2 onto itself would keep its close-on-exec
// flag, leaving the child without stdin.
result<pipe_pair> make_pipe() {
    int fds[2] = {-1, -1};
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        return make_failure(errc::unavailable, "cannot create a pipe: " + errno_text(errno));
    }
    pipe_pair p;
    p.read.reset(fds[0]);
    p.write.reset(fds[1]);
    for (unique_fd* end : {&p.read, &p.write}) {
        if (end->get() <= STDERR_FILENO) {
            const int moved = ::fcntl(end->get(), F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
            if (moved < 0) {
                return make_failure(errc::unavailable,
                                    "cannot create a pipe: " + errno_text(errno));
            }
            end->reset(moved);
        }
    }
    return p;
}

bool set_nonblocking(int fd) {
    const int flags = ::fcntl(fd, F_GETFL);
    return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

// Waits for `pid`, retrying on EINTR; the exit code, or 128 + the signal that ended it.
int reap(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return -1;
        }
    }
    if (WIFSIGNALED(status)) {
        return 128 + WTERMSIG(status);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The spawned process: killed and reaped unless waited for, so that no early return (or
// exception) leaves a running helper or a zombie behind.
class child_process {
  public:
    explicit child_process(pid_t pid) : pid_(pid) {}
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;
    ~child_process() { kill(); }

    void kill() noexcept {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            reap(pid_);
            pid_ = -1;
        }
    }

    // The exit status once the process has ended, or nullopt when it is still running.
    std::optional<int> try_wait() noexcept {
        int status = 0;
        pid_t r = 0;
        do {
            r = ::waitpid(pid_, &status, WNOHANG);
        } while (r < 0 && errno == EINTR);
        if (r == 0) {
            return std::nullopt;
        }
        pid_ = -1;
        if (r < 0) {
            return -1;
        }
        if (WIFSIGNALED(status)) {
            return 128 + WTERMSIG(status);
        }
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

  private:
    pid_t pid_ = -1;
};

class spawn_setup {
  public:
    spawn_setup() {
        ok_ = posix_spawn_file_actions_init(&actions_) == 0;
        if (ok_ && posix_spawnattr_init(&attr_) != 0) {
            posix_spawn_file_actions_destroy(&actions_);
            ok_ = false;
        }
    }
    spawn_setup(const spawn_setup&) = delete;
    spawn_setup& operator=(const spawn_setup&) = delete;
    ~spawn_setup() {
        if (ok_) {
            posix_spawn_file_actions_destroy(&actions_);
            posix_spawnattr_destroy(&attr_);
        }
    }

    bool ok() const noexcept { return ok_; }
    posix_spawn_file_actions_t* actions() noexcept { return &actions_; }
    posix_spawnattr_t* attr() noexcept { return &attr_; }

  private:
    posix_spawn_file_actions_t actions_{};
    posix_spawnattr_t attr_{};
    bool ok_ = false;
};

/// Where `program` is on PATH: the first absolute entry holding an executable regular file of
/// that name; empty when none does. Empty and relative entries (a trailing `:`, `.`) are not
/// searched, as Go's exec.LookPath refuses them: a checkout that ships its own
/// `docker-credential-*` must not be run by a command started inside it.
std::string find_on_path(const std::string& program) {
    const char* env = std::getenv("PATH");
    const std::string_view path = env != nullptr ? env : "/usr/local/bin:/usr/bin:/bin";
    for (std::size_t start = 0; start <= path.size();) {
        const auto end = std::min(path.find(':', start), path.size());
        const auto dir = path.substr(start, end - start);
        start = end + 1;
        if (dir.empty() || dir.front() != '/') {
            continue;
        }
        std::string candidate(dir);
        candidate += '/';
        candidate += program;
        struct stat st {};
        if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode)
            && ::access(candidate.c_str(), X_OK) == 0) {
            return candidate;
        }
    }
    return {};
}

struct run_request {
    std::string_view name{};    // the helper, for messages
    std::string_view action{};  // get, store or erase
    std::string_view input{};
    helper_options options{};
};

// Runs `docker-credential-<name> <action>` with `input` on stdin; its exit status and output.
result<detail::helper_output> run_helper(const run_request& req) {
    const std::string program = detail::program_name(req.name);
    const std::string what = "credential helper " + program + " " + std::string(req.action);
    const auto fail = [&](const std::string& why) {
        return make_failure(errc::unavailable, what + ": " + why);
    };

    auto in = make_pipe();
    if (!in) {
        return in.error();
    }
    auto out = make_pipe();
    if (!out) {
        return out.error();
    }
    auto err = make_pipe();
    if (!err) {
        return err.error();
    }

    spawn_setup setup;
    if (!setup.ok()) {
        return fail("cannot prepare to run it");
    }
    // The pipes are close-on-exec; dup2 makes the child's copies on 0, 1 and 2 inheritable.
    posix_spawn_file_actions_adddup2(setup.actions(), in->read.get(), STDIN_FILENO);
    posix_spawn_file_actions_adddup2(setup.actions(), out->write.get(), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(setup.actions(), err->write.get(), STDERR_FILENO);
    // The child must not inherit this thread's signal mask (sigpipe_guard's, or a server's that
    // blocks signals in its I/O threads) nor an ignored SIGPIPE.
    sigset_t none;
    sigemptyset(&none);
    sigset_t pipe_set;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    posix_spawnattr_setsigmask(setup.attr(), &none);
    posix_spawnattr_setsigdefault(setup.attr(), &pipe_set);
    posix_spawnattr_setflags(setup.attr(),
                             static_cast<short>(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF));

    std::string action(req.action);
    std::string program_arg = program;
    char* argv[] = {program_arg.data(), action.data(), nullptr};
    pid_t pid = -1;
    const auto found = find_on_path(program);
    if (found.empty()) {
        return make_failure(errc::invalid_argument,
                            "credential helper " + program
                                + " not found on PATH (whose relative entries are not searched)");
    }
    if (const int rc =
            ::posix_spawn(&pid, found.c_str(), setup.actions(), setup.attr(), argv, environ);
        rc != 0) {
        if (rc == ENOENT) {
            // Found, yet not there to run: its interpreter (`#!`) is missing, or it went away.
            return make_failure(errc::invalid_argument,
                                "credential helper " + found + " cannot be run: " + errno_text(rc));
        }
        return fail("cannot run it: " + errno_text(rc));
    }
    child_process child(pid);
    in->read.reset();
    out->write.reset();
    err->write.reset();
    unique_fd& to_child = in->write;
    if (!set_nonblocking(to_child.get()) || !set_nonblocking(out->read.get())
        || !set_nonblocking(err->read.get())) {
        return fail("cannot set up its pipes: " + errno_text(errno));
    }

    oras::detail::sigpipe_guard sigpipe;
    detail::helper_output result;
    std::size_t written = 0;
    if (req.input.empty()) {
        to_child.reset();
    }
    const auto timed_out = [&] {
        return make_failure(
            errc::unavailable,
            what + " timed out after " + std::to_string(req.options.timeout.count()) + " ms");
    };
    const auto deadline = std::chrono::steady_clock::now() + req.options.timeout;
    const auto remaining_ms = [&]() -> int {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            return 0;
        }
        return left.count() > INT_MAX ? INT_MAX : static_cast<int>(left.count());
    };

    char buffer[16 * 1024];
    while (to_child || out->read || err->read) {
        const int wait_ms = remaining_ms();
        if (wait_ms == 0) {
            return timed_out();  // child_process kills and reaps it
        }
        pollfd fds[3] = {};
        nfds_t n = 0;
        int in_slot = -1;
        int out_slot = -1;
        int err_slot = -1;
        if (to_child) {
            in_slot = static_cast<int>(n);
            fds[n++] = pollfd{to_child.get(), POLLOUT, 0};
        }
        if (out->read) {
            out_slot = static_cast<int>(n);
            fds[n++] = pollfd{out->read.get(), POLLIN, 0};
        }
        if (err->read) {
            err_slot = static_cast<int>(n);
            fds[n++] = pollfd{err->read.get(), POLLIN, 0};
        }
        const int ready = ::poll(fds, n, wait_ms);
        if (ready < 0) {
            if (errno == EINTR) {
                continue;
            }
            return fail("poll failed: " + errno_text(errno));
        }
        if (in_slot >= 0 && fds[in_slot].revents != 0) {
            const auto chunk = req.input.substr(written);
            const ssize_t w = ::write(to_child.get(), chunk.data(), chunk.size());
            if (w >= 0) {
                written += static_cast<std::size_t>(w);
                if (written == req.input.size()) {
                    to_child.reset();  // EOF tells the helper that the input is complete
                }
            } else if (errno == EPIPE) {
                // The helper exited or closed stdin without reading it all; its exit status
                // and output say why.
                to_child.reset();
            } else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
                return fail("cannot write its input: " + errno_text(errno));
            }
        }
        for (const auto& [slot, fd, text] : {std::tuple{out_slot, &out->read, &result.out},
                                             std::tuple{err_slot, &err->read, &result.err}}) {
            if (slot < 0 || fds[slot].revents == 0) {
                continue;
            }
            const ssize_t r = ::read(fd->get(), buffer, sizeof buffer);
            if (r > 0) {
                text->append(buffer, static_cast<std::size_t>(r));
                if (result.out.size() + result.err.size() > req.options.max_output) {
                    return make_failure(errc::size_exceeds_limit,
                                        what + " printed more than "
                                            + std::to_string(req.options.max_output) + " bytes");
                }
            } else if (r == 0) {
                fd->reset();
            } else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
                return fail("cannot read its output: " + errno_text(errno));
            }
        }
    }
    // Both outputs are closed; the helper normally exits now, but one that closed them and
    // kept running is still bound by the timeout.
    auto pause = std::chrono::milliseconds(1);
    for (;;) {
        if (auto status = child.try_wait()) {
            result.status = *status;
            return result;
        }
        const int wait_ms = remaining_ms();
        if (wait_ms == 0) {
            return timed_out();
        }
        ::poll(nullptr, 0, std::min(wait_ms, static_cast<int>(pause.count())));
        pause = std::min(pause * 2, std::chrono::milliseconds(50));
    }
}

result<void> check_name(const std::string& name) {
    if (!detail::valid_helper_name(name)) {
        return make_failure(errc::invalid_argument,
                            "invalid credential helper name " + oras::detail::quote(name)
                                + ": only letters, digits, '.', '_' and '-' are allowed");
    }
    return {};
}

result<std::string> server_url_of(std::string_view registry) {
    if (normalize_registry_key(registry).empty()) {
        return make_failure(errc::invalid_argument, "empty registry name");
    }
    return detail::helper_server_url(registry);
}

}  // namespace

helper_credentials::helper_credentials(std::string name, helper_options options)
    : name_(std::move(name)), options_(options) {}

result<credential> helper_credentials::get(std::string_view registry) {
    if (auto ok = check_name(name_); !ok) {
        return ok.error();
    }
    auto url = server_url_of(registry);
    if (!url) {
        return url.error();
    }
    auto output = run_helper({.name = name_,
                              .action = "get",
                              .input = detail::helper_get_input(*url),
                              .options = options_});
    if (!output) {
        return output.error();
    }
    return detail::parse_helper_get(name_, *url, *output);
}

result<void> helper_credentials::store(std::string_view registry, const credential& cred) {
    if (auto ok = check_name(name_); !ok) {
        return ok.error();
    }
    auto url = server_url_of(registry);
    if (!url) {
        return url.error();
    }
    auto input = detail::helper_store_input(*url, cred);
    if (!input) {
        return input.error();
    }
    auto output =
        run_helper({.name = name_, .action = "store", .input = *input, .options = options_});
    if (!output) {
        return output.error();
    }
    return detail::check_helper_result(name_, "store", *url, *output,
                                       {cred.password, cred.identity_token, cred.registry_token});
}

result<void> helper_credentials::erase(std::string_view registry) {
    if (auto ok = check_name(name_); !ok) {
        return ok.error();
    }
    auto url = server_url_of(registry);
    if (!url) {
        return url.error();
    }
    auto output = run_helper({.name = name_,
                              .action = "erase",
                              .input = detail::helper_erase_input(*url),
                              .options = options_});
    if (!output) {
        return output.error();
    }
    return detail::check_helper_result(name_, "erase", *url, *output);
}

}  // namespace oras::auth

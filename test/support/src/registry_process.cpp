// registry_process: the real `docker-registry` for integration tests.
#include "spawn.hpp"

#include <oras/detail/base64.hpp>
#include <oras/test/http.hpp>
#include <oras/test/pki.hpp>
#include <oras/test/process.hpp>
#include <oras/test/registry_process.hpp>
#include <oras/test/secrets.hpp>
#include <oras/test/temp_dir.hpp>

#include <cerrno>
#include <cstdlib>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef ORAS_TEST_REGISTRY_DEFAULT
#define ORAS_TEST_REGISTRY_DEFAULT ""
#endif
#ifndef ORAS_TEST_HTPASSWD_DEFAULT
#define ORAS_TEST_HTPASSWD_DEFAULT ""
#endif

namespace oras::test {
namespace {

constexpr std::string_view dir_prefix = "oras-test-registry-";
constexpr std::string_view instance_header = "X-Oras-Test-Instance";
constexpr int max_attempts = 6;
constexpr int stop_grace_ms = 2000;

std::string random_hex(std::size_t bytes) {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < bytes; ++i) {
        const auto b = static_cast<unsigned>(rng() & 0xffu);
        out += digits[b >> 4];
        out += digits[b & 0xfu];
    }
    return out;
}

std::string tool(const char* env, const char* configured, std::string_view name) {
    if (const char* e = std::getenv(env); e != nullptr && *e != '\0') {
        std::string found = find_executable(e);
        if (found.empty())
            throw std::runtime_error(std::string(env) + "=" + e + " is not executable");
        return found;
    }
    if (*configured != '\0') {
        if (std::string found = find_executable(configured); !found.empty())
            return found;
    }
    std::string found = find_executable(name);
    if (found.empty()) {
        throw std::runtime_error("registry_process: `" + std::string(name)
                                 + "` not found in PATH (set " + env + ")");
    }
    return found;
}

// A port that was free a moment ago. Another process may take it before the registry binds
// it; the caller retries then.
std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        throw std::system_error(errno, std::generic_category(), "socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = 0;
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0
        || ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        const int e = errno;
        ::close(fd);
        throw std::system_error(e, std::generic_category(), "bind 127.0.0.1:0");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

// Removes directories of registries whose owning test process is gone (crashed, killed).
void sweep_stale_dirs() {
    std::error_code ec;
    const auto tmp = std::filesystem::temp_directory_path(ec);
    if (ec)
        return;
    for (const auto& entry : std::filesystem::directory_iterator(tmp, ec)) {
        const std::string name = entry.path().filename().string();
        if (!name.starts_with(dir_prefix))
            continue;
        try {
            const std::string owner = read_file(entry.path() / "owner.pid");
            const int pid = std::stoi(owner);
            if (pid > 0 && !process_exists(pid))
                std::filesystem::remove_all(entry.path(), ec);
        } catch (...) {
            // no owner file yet (being created) or unreadable: leave it
        }
    }
}

std::string yaml_quote(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + "\"";
}

std::string describe_status(int status) {
    if (WIFEXITED(status))
        return "exited with status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status))
        return "killed by signal " + std::to_string(WTERMSIG(status));
    return "ended (wait status " + std::to_string(status) + ")";
}

}  // namespace

struct registry_process::impl {
    registry_options opts;
    std::filesystem::path dir;
    std::unique_ptr<token_issuer> issuer;
    std::string ca_file;
    std::string instance_id = random_hex(16);
    std::uint16_t port = 0;
    int pid = -1;
    bool alive = false;  // started and not reaped
    bool stopped = false;
    std::string final_log;

    std::filesystem::path log_path() const { return dir / "registry.log"; }
    std::filesystem::path config_path() const { return dir / "config.yml"; }

    std::string base_url() const {
        return std::string(opts.tls ? "https://" : "http://") + "127.0.0.1:" + std::to_string(port);
    }

    std::string read_log() const {
        try {
            return read_file(log_path());
        } catch (...) {
            return {};
        }
    }

    // Reaps the process if it has exited; returns whether it is still running.
    bool poll_alive(int* status = nullptr) {
        if (!alive)
            return false;
        int st = 0;
        const pid_t r = ::waitpid(pid, &st, WNOHANG);
        if (r == 0)
            return true;
        if (r == pid || (r < 0 && errno == ECHILD)) {
            alive = false;
            if (status != nullptr)
                *status = st;
        }
        return alive;
    }

    void write_htpasswd() {
        const std::string htpasswd =
            tool("ORAS_TEST_HTPASSWD", ORAS_TEST_HTPASSWD_DEFAULT, "htpasswd");
        std::string contents;
        for (const auto& u : opts.users) {
            const auto r = run_process({htpasswd, "-Bbn", u.name, u.password});
            if (r.exit_code != 0) {
                throw std::runtime_error("registry_process: htpasswd failed for " + u.name + ": "
                                         + r.err);
            }
            std::string line = r.out;
            while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
                line.pop_back();
            contents += line + "\n";
        }
        write_file(dir / "htpasswd", contents);
    }

    void write_config() const {
        std::ostringstream c;
        c << "version: 0.1\n"
          << "log:\n"
          << "  level: " << opts.log_level << "\n"
          << "  formatter: text\n"
          << "storage:\n"
          << "  filesystem:\n"
          << "    rootdirectory: " << yaml_quote((dir / "storage").string()) << "\n"
          << "  delete:\n"
          << "    enabled: true\n"
          << "  maintenance:\n"
          << "    uploadpurging:\n"
          << "      enabled: false\n"
          << "http:\n"
          << "  addr: 127.0.0.1:" << port << "\n"
          << "  secret: " << yaml_quote(random_hex(32)) << "\n"
          << "  relativeurls: " << (opts.relative_urls ? "true" : "false") << "\n"
          << "  headers:\n"
          << "    " << instance_header << ": [" << yaml_quote(instance_id) << "]\n";
        if (opts.tls) {
            c << "  tls:\n"
              << "    certificate: " << yaml_quote((dir / "tls" / "server.pem").string()) << "\n"
              << "    key: " << yaml_quote((dir / "tls" / "server.key").string()) << "\n";
        }
        c << "health:\n"
          << "  storagedriver:\n"
          << "    enabled: false\n";
        if (opts.auth == auth_mode::basic) {
            c << "auth:\n"
              << "  htpasswd:\n"
              << "    realm: \"oras-test-registry\"\n"
              << "    path: " << yaml_quote((dir / "htpasswd").string()) << "\n";
        } else if (opts.auth == auth_mode::token) {
            c << "auth:\n"
              << "  token:\n"
              << "    realm: " << yaml_quote(issuer->realm()) << "\n"
              << "    service: " << yaml_quote(issuer->service()) << "\n"
              << "    issuer: " << yaml_quote(issuer->issuer_name()) << "\n"
              << "    rootcertbundle: " << yaml_quote((dir / "token-root.pem").string()) << "\n";
        }
        write_file(config_path(), c.str());
    }

    void spawn_registry(const std::string& exe) {
        const int log_fd =
            ::open(log_path().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
        if (log_fd < 0)
            throw std::system_error(errno, std::generic_category(), "open registry.log");
        detail::spawn_spec spec;
        spec.exe = exe;
        spec.argv = {exe, "serve", config_path().string()};
        spec.stdout_fd = log_fd;
        spec.stderr_fd = log_fd;
        spec.drop_env_prefixes = {"REGISTRY_", "OTEL_"};
        try {
            pid = detail::spawn(spec);
        } catch (...) {
            ::close(log_fd);
            throw;
        }
        ::close(log_fd);
        alive = true;
    }

    enum class wait_result { ready, exited, timeout };

    wait_result wait_ready(std::string& why) {
        request_options probe;
        probe.ca_file = ca_file;
        probe.timeout = std::chrono::milliseconds(2000);
        const auto deadline = std::chrono::steady_clock::now() + opts.ready_timeout;
        std::string last_error = "no answer yet";
        for (;;) {
            int status = 0;
            if (!poll_alive(&status)) {
                why = "registry " + describe_status(status) + " before it was ready";
                return wait_result::exited;
            }
            try {
                const auto r = http_request("GET", base_url() + "/v2/", probe);
                if (r.header(instance_header) == instance_id)
                    return wait_result::ready;
                last_error = "another server answers on port " + std::to_string(port);
            } catch (const std::exception& e) {
                last_error = e.what();
            }
            if (std::chrono::steady_clock::now() >= deadline) {
                why = "registry not ready after " + std::to_string(opts.ready_timeout.count())
                      + " ms (last probe: " + last_error + ")";
                return wait_result::timeout;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }

    void start() {
        static std::once_flag swept;
        std::call_once(swept, sweep_stale_dirs);

        const std::string exe =
            tool("ORAS_TEST_REGISTRY", ORAS_TEST_REGISTRY_DEFAULT, "docker-registry");
        temp_dir tmp{dir_prefix};
        dir = tmp.release();
        write_file(dir / "owner.pid", std::to_string(::getpid()) + "\n");
        std::filesystem::create_directories(dir / "storage");

        if (opts.auth == auth_mode::basic)
            write_htpasswd();
        if (opts.auth == auth_mode::token) {
            token_issuer::options io;
            io.users = opts.users;
            io.token_lifetime = opts.token_lifetime;
            io.anonymous_pull = opts.anonymous_pull;
            issuer = std::make_unique<token_issuer>(std::move(io));
            issuer->write_certificate((dir / "token-root.pem").string());
        }
        if (opts.tls) {
            std::filesystem::create_directories(dir / "tls");
            ca_file = make_test_pki(dir / "tls").ca_cert.string();
        }

        std::string history;
        for (int attempt = 1;; ++attempt) {
            port = free_port();
            write_config();
            spawn_registry(exe);
            std::string why;
            const wait_result r = wait_ready(why);
            if (r == wait_result::ready)
                return;
            if (r == wait_result::timeout)
                detail::terminate(pid, stop_grace_ms);
            alive = false;
            const std::string log = read_log();
            history += "--- attempt " + std::to_string(attempt) + " on port " + std::to_string(port)
                       + ": " + why + "\n" + log;
            if (r == wait_result::timeout || attempt >= max_attempts) {
                throw std::runtime_error("registry_process: cannot start " + exe + " in "
                                         + dir.string() + "\n" + history);
            }
        }
    }

    void stop() {
        if (stopped)
            return;
        stopped = true;
        if (alive) {
            detail::terminate(pid, stop_grace_ms);
            alive = false;
        }
        final_log = read_log();
        const char* keep = std::getenv("ORAS_TEST_KEEP_DIR");
        if (!dir.empty() && (keep == nullptr || std::string_view(keep) != "1")) {
            std::error_code ec;
            std::filesystem::remove_all(dir, ec);
        }
    }
};

registry_process::registry_process(registry_options options) : impl_(std::make_unique<impl>()) {
    impl_->opts = std::move(options);
    for (const auto& u : impl_->opts.users) {
        note_secret(u.password);
        note_secret(oras::detail::base64_encode(u.name + ":" + u.password));
    }
    try {
        impl_->start();
    } catch (...) {
        impl_->stop();
        throw;
    }
}

registry_process::~registry_process() {
    if (impl_)
        impl_->stop();
}

registry_process::registry_process(registry_process&&) noexcept = default;
registry_process& registry_process::operator=(registry_process&& other) noexcept {
    if (this != &other) {
        if (impl_)
            impl_->stop();
        impl_ = std::move(other.impl_);
    }
    return *this;
}

std::string registry_process::host() const {
    return "127.0.0.1:" + std::to_string(impl_->port);
}
std::uint16_t registry_process::port() const {
    return impl_->port;
}
std::string registry_process::base_url() const {
    return impl_->base_url();
}
std::string registry_process::localhost_url() const {
    return std::string(impl_->opts.tls ? "https://" : "http://")
           + "localhost:" + std::to_string(impl_->port);
}
bool registry_process::tls() const {
    return impl_->opts.tls;
}
std::string registry_process::ca_file() const {
    return impl_->ca_file;
}
token_issuer* registry_process::issuer() const {
    return impl_->issuer.get();
}
const registry_options& registry_process::options() const {
    return impl_->opts;
}
int registry_process::pid() const {
    return impl_->pid;
}
const std::filesystem::path& registry_process::dir() const {
    return impl_->dir;
}
std::filesystem::path registry_process::storage_dir() const {
    return impl_->dir / "storage";
}
std::string registry_process::log() const {
    return impl_->stopped ? impl_->final_log : impl_->read_log();
}
bool registry_process::running() const {
    return impl_->poll_alive();
}
void registry_process::stop() {
    impl_->stop();
}

}  // namespace oras::test

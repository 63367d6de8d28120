// A real distribution registry (the Debian `docker-registry`, CNCF distribution 2.8.2) started
// for a test on a free 127.0.0.1 port, in its own temporary directory, and stopped again.
//
//   oras::test::registry_process reg;                                  // anonymous, http
//   oras::test::registry_process reg({.auth = auth_mode::basic, .tls = true});
//   auto r = oras::test::http_request("GET", reg.base_url() + "/v2/", {.ca_file = reg.ca_file()});
//
// The constructor writes a config (storage, deletes enabled, upload purging off, a random
// http.secret, the auth section, TLS files), starts the registry and waits until it answers
// `GET /v2/`. The process cannot outlive the test: the child gets PR_SET_PDEATHSIG(SIGKILL),
// runs in its own process group, and the destructor stops it (SIGTERM, then SIGKILL after ~2 s,
// always reaped) and removes the directory. Directories are named
// `$TMPDIR/oras-test-registry-XXXXXX`; leftovers of crashed test processes are swept the next
// time a registry starts.
//
// Note: PR_SET_PDEATHSIG fires when the *thread* that started the registry exits, so construct
// registry_process on a thread that lives as long as the registry (e.g. the test's main thread).
//
// Environment: ORAS_TEST_REGISTRY overrides the registry executable, ORAS_TEST_HTPASSWD the
// htpasswd executable, ORAS_TEST_KEEP_DIR=1 keeps the temp dir after stop (for debugging).
#pragma once

#include <oras/test/token_issuer.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace oras::test {

enum class auth_mode {
    none,   // anonymous: everything allowed
    basic,  // htpasswd (bcrypt, made with `htpasswd -Bbn` at start-up) for `users`
    token,  // bearer tokens from an in-process token_issuer that knows `users`
};

struct registry_options {
    auth_mode auth = auth_mode::none;
    /// Serve https with a server certificate (SAN IP:127.0.0.1, DNS:localhost) signed by a test
    /// CA made at start-up; clients trust ca_file(). Combines with any auth mode (the token
    /// issuer itself stays on plain http).
    bool tls = false;
    /// http.relativeurls: upload Locations relative to the host.
    bool relative_urls = false;
    /// Users for basic and token modes. In basic mode every user may do everything (htpasswd has
    /// no notion of actions); in token mode `actions` limit what the issuer grants.
    std::vector<user> users = {{"alice", "alice-secret"}, {"reader", "reader-secret", {"pull"}}};
    /// Token mode: lifetime of issued tokens (`expires_in`).
    std::chrono::seconds token_lifetime{300};
    /// Token mode: may anonymous callers get pull tokens.
    bool anonymous_pull = false;
    /// Registry log level: error, warn, info or debug.
    std::string log_level = "info";
    /// How long to wait for the first answer to `GET /v2/`.
    std::chrono::milliseconds ready_timeout{15'000};
};

class registry_process {
  public:
    /// Starts the registry and waits until it serves. Retries a few times with a new port if the
    /// registry exits early (the free port can be taken by a parallel test). Throws
    /// std::runtime_error, with the registry's log, when it cannot be started.
    explicit registry_process(registry_options options = {});
    ~registry_process();
    registry_process(registry_process&&) noexcept;
    registry_process& operator=(registry_process&&) noexcept;
    registry_process(const registry_process&) = delete;
    registry_process& operator=(const registry_process&) = delete;

    /// "127.0.0.1:PORT" (what goes in a reference: "127.0.0.1:PORT/repo:tag").
    std::string host() const;
    std::uint16_t port() const;
    /// "http://127.0.0.1:PORT" or "https://127.0.0.1:PORT".
    std::string base_url() const;
    /// "https://localhost:PORT" (TLS: the DNS name in the certificate) or "http://localhost:PORT".
    std::string localhost_url() const;
    bool tls() const;
    /// TLS: the PEM file of the test CA; otherwise empty.
    std::string ca_file() const;
    /// Token mode: the issuer; otherwise nullptr.
    token_issuer* issuer() const;
    const registry_options& options() const;
    /// The registry's process id (also after stop(); then the process no longer exists).
    int pid() const;
    /// The instance's temporary directory (config.yml, registry.log, storage/, ...).
    const std::filesystem::path& dir() const;
    /// The storage root directory.
    std::filesystem::path storage_dir() const;
    /// The registry's stdout and stderr so far (after stop(): as captured before removal).
    std::string log() const;
    /// Whether the registry process is still running.
    bool running() const;
    /// Stops the registry, reaps it and removes the directory. Idempotent.
    void stop();

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace oras::test

// credential_store: where a registry's credentials come from and where `login` keeps them.
#pragma once

#include <oras/auth/docker_config.hpp>
#include <oras/result.hpp>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#pragma GCC visibility push(default)

namespace oras::auth {

/// A source (and, for stores that can, a sink) of credentials, keyed by registry host
/// (`host[:port]` as in references; "docker.io" for Docker Hub).
///
/// The functions block (a store may run a credential helper program); the authenticating client
/// calls them off its event loop, possibly from another thread, so implementations must be
/// thread-safe. Messages of failures never contain secrets.
class credential_store {
  public:
    virtual ~credential_store() = default;

    /// The credential for `registry`; an empty credential when the store has none.
    virtual result<credential> get(std::string_view registry) = 0;

    /// Saves `cred` for `registry`. Stores that cannot save fail with `errc::unsupported`.
    virtual result<void> store(std::string_view registry, const credential& cred) = 0;

    /// Forgets `registry`; `errc::not_found` when nothing was stored for it.
    virtual result<void> erase(std::string_view registry) = 0;
};

/// Fixed credentials held in memory, each for one registry only: never offered to any other.
class static_credentials final : public credential_store {
  public:
    static_credentials() = default;
    /// Credentials by registry (`host[:port]`). Keys are normalised as `normalize_registry_key`
    /// does; those that normalise to nothing are dropped.
    explicit static_credentials(std::map<std::string, credential, std::less<>> by_registry);
    /// `cred` for `registry` only.
    static_credentials(std::string_view registry, credential cred);

    result<credential> get(std::string_view registry) override;
    result<void> store(std::string_view registry, const credential& cred) override;
    result<void> erase(std::string_view registry) override;

  private:
    mutable std::mutex mutex_;
    std::map<std::string, credential, std::less<>> by_registry_;  // by normalize_registry_key
};

/// Options of a credential helper run (`docker-credential-<name>`).
struct helper_options {
    /// Longest a helper may run before it is killed and the call fails.
    std::chrono::milliseconds timeout{60'000};
    /// Largest helper output accepted.
    std::size_t max_output = 1024 * 1024;
};

/// A Docker credential helper: the program `docker-credential-<name>` found on PATH, run as
/// `get`, `store` or `erase` with Docker's protocol (the server URL, or a JSON object
/// {"ServerURL","Username","Secret"}, on stdin; JSON on stdout; the user `<token>` marks an
/// identity token).
class helper_credentials final : public credential_store {
  public:
    /// Fails (on use) with `errc::invalid_argument` unless `name` is made of letters, digits,
    /// '.', '_' and '-' only, and is not "." or "..": a config file must not be able to name an
    /// arbitrary path. A program missing from PATH, and a run exceeding `options.timeout`, fail
    /// with `errc::unavailable`; output beyond `options.max_output` with
    /// `errc::size_exceeds_limit`. The server URL given to the helper is
    /// "https://index.docker.io/v1/" for Docker Hub, `host[:port]` otherwise, as Docker does.
    explicit helper_credentials(std::string name, helper_options options = {});

    result<credential> get(std::string_view registry) override;
    result<void> store(std::string_view registry, const credential& cred) override;
    result<void> erase(std::string_view registry) override;

    /// As given: the program run is `docker-credential-<name>`.
    const std::string& name() const noexcept { return name_; }

  private:
    std::string name_;
    helper_options options_;
};

/// Docker's configuration file and the helpers it names, the way `docker login` uses them:
/// `credHelpers[registry]`, else `credsStore`, else the file's `auths` entries (which also answer
/// when the helper holds nothing, as with the Docker CLI). `store` writes to that helper, or into
/// the file: atomically (a temporary file beside it, renamed over it; through a symbolic link to
/// its target), mode 0600, every other key of the file kept, an existing entry for the registry
/// replaced under its own spelling (e.g. "https://host:5000"). Entries are written as Docker
/// writes them: `auth` = base64("user:password") (omitted when both are empty), `identitytoken`
/// and `registrytoken`; a new entry's key is "https://index.docker.io/v1/" for Docker Hub,
/// `host[:port]` otherwise. `erase` asks the registry's helper, if any, to forget it, and removes
/// every entry of the file naming the registry (which `get` would fall back to), as the Docker
/// CLI's logout does. A malformed file is an error and is never rewritten.
class docker_credentials final : public credential_store {
  public:
    /// `path` empty: `docker_config::default_path()` ($DOCKER_CONFIG/config.json, else
    /// ~/.docker/config.json), read at each call so that outside changes are seen.
    explicit docker_credentials(std::filesystem::path path = {}, helper_options options = {});

    result<credential> get(std::string_view registry) override;
    result<void> store(std::string_view registry, const credential& cred) override;
    result<void> erase(std::string_view registry) override;

    /// As given; empty stands for the default path, looked up at each call.
    const std::filesystem::path& path() const noexcept { return path_; }

  private:
    std::filesystem::path path_;
    helper_options options_;
};

/// Asks each store in turn; `get` returns the first non-empty credential. `store` and `erase`
/// go to the last store (the persistent one, by convention).
class credential_chain final : public credential_store {
  public:
    /// Asks `stores` in the order given; null entries are dropped. With no store left, `get`
    /// returns an empty credential and `store` and `erase` fail with `errc::unsupported`.
    explicit credential_chain(std::vector<std::shared_ptr<credential_store>> stores);

    result<credential> get(std::string_view registry) override;
    result<void> store(std::string_view registry, const credential& cred) override;
    result<void> erase(std::string_view registry) override;

  private:
    std::vector<std::shared_ptr<credential_store>> stores_;
};

/// What `default_credentials` assembles.
struct credential_options {
    /// Credentials the user gave explicitly (a CLI's -u/-p), for `registries` only.
    credential explicit_credential{};
    /// The registries (host[:port]) the user named; explicit and environment credentials are
    /// offered to these and never to any other registry.
    std::vector<std::string> registries{};
    /// Read ORAS_USER and ORAS_PASS (used when no explicit credential is given). They name no
    /// registry: a program reaching several should set this for one of them at most.
    bool use_environment = true;
    /// The Docker config file; empty for `docker_config::default_path()`.
    std::filesystem::path config_path{};
    /// Further Docker config files, asked in order when `config_path` has no credential for a
    /// registry, and never written: a login saves to (a logout removes from) `config_path`
    /// only, as the ORAS CLI treats `--registry-config` given more than once.
    std::vector<std::filesystem::path> fallback_config_paths{};
    /// Timeout and output cap of the credential helpers the Docker config names.
    helper_options helpers{};
};

/// Explicit credentials, then ORAS_USER / ORAS_PASS, then Docker's config and helpers.
std::shared_ptr<credential_store> default_credentials(const credential_options& options = {});

}  // namespace oras::auth

#pragma GCC visibility pop

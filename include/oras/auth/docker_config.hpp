// docker_config: credentials from Docker's config.json, read-only.
#pragma once

#include <oras/result.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#pragma GCC visibility push(default)

namespace oras::auth {

/// What a config entry (or a credential helper) holds for one registry.
struct credential {
    std::string username{};  ///< with `password`: Basic credentials, or a password token grant
    std::string password{};  ///< the secret of `username`
    std::string identity_token{};  ///< a refresh token for the registry's token service
    std::string registry_token{};  ///< a bearer token to send as is

    /// True when no field is set: the store holds nothing for the registry, which is then
    /// reached anonymously.
    bool empty() const noexcept {
        return username.empty() && password.empty() && identity_token.empty()
               && registry_token.empty();
    }
    /// Member-wise, secrets included.
    friend bool operator==(const credential&, const credential&) = default;
};

/// The `auths`, `credHelpers` and `credsStore` of a Docker config.json. Keys are matched the way
/// the Docker CLI does: `registry.example:5000`, `https://registry.example:5000` and
/// `https://registry.example:5000/v1/` name the same registry, and Docker Hub (`docker.io`,
/// `index.docker.io`, `registry-1.docker.io`) is the legacy key `https://index.docker.io/v1/`.
class docker_config {
  public:
    /// Parses config.json text. Fails with `invalid_argument` naming the file and the entry for
    /// malformed JSON, wrong types, or an `auth` that is not base64 of `user:password`.
    static result<docker_config> parse(std::string_view json,
                                       std::string_view origin = "config.json");

    /// Reads and parses a file; a missing or empty file is an empty config, not an error.
    static result<docker_config> load(const std::filesystem::path& path);

    /// `$DOCKER_CONFIG/config.json`, else `$HOME/.docker/config.json`.
    static std::filesystem::path default_path();

    /// The stored credential for `registry` (host[:port]), if any.
    std::optional<credential> find(std::string_view registry) const;

    /// The credential helper to ask for `registry`: its `credHelpers` entry, else `credsStore`,
    /// else empty. The helper program is `docker-credential-<name>`.
    std::string helper_for(std::string_view registry) const;

  private:
    std::map<std::string, credential, std::less<>> auths_;  // by normalised registry
    std::map<std::string, std::string, std::less<>> helpers_;
    std::string store_;
};

/// The registry a config key names: scheme, path and a trailing '/' dropped, lowercase, Docker Hub
/// aliases folded into `docker.io`.
std::string normalize_registry_key(std::string_view key);

}  // namespace oras::auth

#pragma GCC visibility pop

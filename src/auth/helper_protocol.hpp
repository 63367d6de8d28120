// Internal: the Docker credential-helper protocol (docker-credential-helpers' client), as pure
// functions so that its framing can be tested without running programs.
#pragma once

#include <oras/auth/docker_config.hpp>
#include <oras/result.hpp>

#include <initializer_list>
#include <string>
#include <string_view>

namespace oras::auth::detail {

/// The user name with which helpers mark an identity token stored as the secret.
inline constexpr std::string_view helper_token_username = "<token>";

/// What helpers print (docker-credential-helpers' `errCredentialsNotFoundMessage`) when they hold
/// nothing for a server.
inline constexpr std::string_view helper_not_found_message =
    "credentials not found in native keychain";

/// The server URL Docker passes to helpers for `registry`: the legacy "https://index.docker.io/v1/"
/// for Docker Hub, `host[:port]` (scheme and path dropped) for any other registry.
std::string helper_server_url(std::string_view registry);

/// Whether `name` may follow "docker-credential-": letters, digits, '.', '_' and '-', and not "."
/// or "..", so that a config file cannot name a program by path.
bool valid_helper_name(std::string_view name);

/// stdin of `get` and `erase`: the server URL alone, without a newline (as Docker sends it).
std::string helper_get_input(std::string_view server_url);
std::string helper_erase_input(std::string_view server_url);

/// stdin of `store`: {"ServerURL","Username","Secret"} and a newline. An identity token is sent as
/// the secret of the user `<token>`; otherwise the password is the secret. Fails with
/// `invalid_argument` when the credential has neither a user name nor an identity token.
result<std::string> helper_store_input(std::string_view server_url, const credential& cred);

/// How a helper run ended.
struct helper_output {
    int status = 0;     ///< exit code; 128 + the signal number when killed by a signal
    std::string out{};  ///< stdout
    std::string err{};  ///< stderr
};

/// The credential in the output of `get` for `server_url` by the helper `name`. A helper that
/// reports "credentials not found" gives an empty credential. Other failures name the helper and
/// quote the first line of its stderr (else stdout) unless that line looks like JSON; malformed
/// JSON is never quoted: it may hold a secret.
result<credential> parse_helper_get(std::string_view name, std::string_view server_url,
                                    const helper_output& output);

/// The outcome of `store` or `erase` (`action`) by the helper `name`: `errc::not_found` when an
/// `erase` helper reports "credentials not found"; `errc::unavailable` for other failures, quoting
/// the first line of the helper's output unless it contains one of `secrets` (store's stdin held
/// them; a helper that echoes its input must not leak them into a message).
result<void> check_helper_result(std::string_view name, std::string_view action,
                                 std::string_view server_url, const helper_output& output,
                                 std::initializer_list<std::string_view> secrets = {});

}  // namespace oras::auth::detail

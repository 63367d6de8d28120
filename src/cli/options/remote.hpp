// The flags that say how to reach a registry (the ORAS CLI's "remote" option group).
#pragma once

#include <oras/registry/connect.hpp>

#include <CLI/CLI.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oras::cli {

/// `--plain-http`, `--ca-file`, `-u`... or, for one end of `cp` / `mirror`, the same with a
/// `--from-` / `--to-` prefix.
struct remote_flags {
    bool plain_http = false;
    bool insecure = false;
    std::string ca_file;
    std::string username;
    std::string password;
    bool password_stdin = false;
    std::string identity_token;
    bool identity_token_stdin = false;
    std::string cert_file;
    std::string key_file;
    /// `--registry-config`, repeatable as in oras: the first is read and written, the others
    /// only read, in order, for a registry the first has no credential for.
    std::vector<std::string> registry_config;
    /// The credential files `registry_config` names, into `into`.
    void apply_registry_config(auth::credential_options& into) const;
    /// `-H/--header "Name: value"`, repeatable: sent with every request to the registry.
    std::vector<std::string> headers;
    /// `--resolve host:port:address[:address_port]`, repeatable.
    std::vector<std::string> resolve;
    /// Set by `--debug` (see `common_flags`): every request and response to stderr.
    bool debug = false;

    /// `prefix` is "" or "from-" / "to-"; `whose` says which registry in the help texts.
    void add(CLI::App& cmd, const std::string& prefix = "", const std::string& whose = "");

    /// Refuses `-H` beside `--oci-layout` (`layout`), in oras's words: a layout has nothing
    /// to send a header to, and a header given there is a mistake. (oras says nothing for
    /// `--oci-layout-path`; neither does this.)
    void refuse_headers_on_layout(bool layout) const;

    /// The options these flags give; reads the password from stdin for `--password-stdin`.
    registry::connect_options remote();
    /// `remote()` for `registry` (`host[:port]`) with the ORAS CLI's scheme rule: a
    /// `--plain-http` given (true or false) decides; otherwise `localhost` is plain http, TLS
    /// flags or not.
    registry::connect_options remote_for(std::string_view registry);

    /// Set by `add`: whether `--plain-http` was given, true or false.
    CLI::Option* plain_http_option = nullptr;
    /// The warning about a secret on the command line is printed (once per command).
    bool warned_secret = false;
};

/// `ORAS_USER`/`ORAS_PASS` name no registry: a command that reaches several (`cp` or `mirror`
/// between registries; `hosts` the registries of `remotes`) offers them to none, rather than
/// send one registry's password to another's token service, and says so once on stderr, with
/// `advice`, when they are set and a side without credentials of its own would have used them.
void environment_credentials_for_one_registry(
    const std::vector<std::string>& hosts, const std::vector<registry::connect_options*>& remotes,
    std::string_view advice);

/// Turns on `-d/--debug`'s log of every request and response (secrets redacted, on stderr) for
/// the registry these options reach.
void log_requests(registry::connect_options& remote);

/// A `--header` value: "Name: value" (both trimmed; the name must not be empty).
std::pair<std::string, std::string> parse_header(std::string_view text);

/// A `--resolve` value, as curl and the ORAS CLI write it: `host:port:address[:address_port]`,
/// an IPv6 address in brackets.
http::address_override parse_resolve(std::string_view text);

/// `-d/--debug` and `--no-tty`, on every command.
struct common_flags {
    bool debug = false;
    bool no_tty = false;
    /// Deprecated `-v` (true unless `--verbose=false`): discover's table prints each referrer's
    /// descriptor, as oras v1.3 does by default.
    bool verbose = true;
    void add(CLI::App& cmd, bool with_tty = true);
};

}  // namespace oras::cli

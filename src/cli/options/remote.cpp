#include "cli/options/remote.hpp"

#include "cli/options/target.hpp"
#include "core/quote.hpp"
#include "core/text.hpp"

#include <oras/diagnostics.hpp>
#include <oras/error.hpp>

#include <boost/url/grammar/parse.hpp>
#include <boost/url/rfc/ipv4_address_rule.hpp>
#include <boost/url/rfc/ipv6_address_rule.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <iostream>
#include <set>

namespace oras::cli {

void remote_flags::add(CLI::App& cmd, const std::string& prefix, const std::string& whose) {
    const std::string of = whose.empty() ? "" : " (" + whose + ")";
    plain_http_option = cmd.add_flag("--" + prefix + "plain-http", plain_http,
                                     "Use plain http instead of https (default for localhost; "
                                     "=false forces https)"
                                         + of);
    cmd.add_flag("--" + prefix + "insecure", insecure,
                 "Do not verify the registry's TLS certificate" + of);
    cmd.add_option("--" + prefix + "ca-file", ca_file,
                   "Trust the CA certificates in this PEM file" + of)
        ->check(CLI::ExistingFile);
    const std::string u = prefix.empty() ? "-u,--username" : "--" + prefix + "username";
    const std::string p = prefix.empty() ? "-p,--password" : "--" + prefix + "password";
    cmd.add_option(u, username, "Registry user name" + of);
    cmd.add_option(p, password, "Registry password or identity token" + of);
    cmd.add_flag("--" + prefix + "password-stdin", password_stdin,
                 "Read the password from stdin" + of);
    cmd.add_option("--" + prefix + "identity-token", identity_token,
                   "Registry identity (refresh) token" + of);
    cmd.add_flag("--" + prefix + "identity-token-stdin", identity_token_stdin,
                 "Read the identity token from stdin" + of);
    cmd.add_option("--" + prefix + "cert-file", cert_file,
                   "Client certificate (PEM) for mutual TLS, with --" + prefix + "key-file" + of)
        ->check(CLI::ExistingFile);
    cmd.add_option("--" + prefix + "key-file", key_file,
                   "The client certificate's private key (PEM)" + of)
        ->check(CLI::ExistingFile);
    add_repeatable(cmd, "--" + prefix + "registry-config", registry_config,
                   "Credentials file (default: Docker's config.json); repeated: the first is "
                   "read and written, the others read after it"
                       + of);
    const std::string h = prefix.empty() ? "-H,--header" : "--" + prefix + "header";
    add_repeatable(cmd, h, headers, "Add a header to every request, \"Name: value\"" + of);
    add_repeatable(
        cmd, "--" + prefix + "resolve", resolve,
        "Connect to another address for a registry, host:port:address[:address_port]" + of);
}

namespace {

std::optional<std::uint16_t> parse_port(std::string_view s) {
    unsigned v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || s.empty() || v == 0 || v > 65535) {
        return std::nullopt;
    }
    return static_cast<std::uint16_t>(v);
}

}  // namespace

void remote_flags::refuse_headers_on_layout(bool layout) const {
    if (layout && !headers.empty()) {
        throw error(errc::invalid_argument,
                    "custom header flags cannot be used on an OCI image layout target");
    }
}

std::pair<std::string, std::string> parse_header(std::string_view text) {
    const auto colon = text.find(':');
    const auto name = oras::detail::trim(text.substr(0, colon));
    if (colon == std::string_view::npos || name.empty()) {
        // Not quoted: a header given on the command line often carries a key.
        throw oras::error(oras::errc::invalid_argument,
                          "a --header value is not \"Name: value\" (a name, a colon, the value)");
    }
    return {std::string(name), std::string(oras::detail::trim(text.substr(colon + 1)))};
}

http::address_override parse_resolve(std::string_view text) {
    const auto bad = [&](const std::string& why) {
        return oras::error(oras::errc::invalid_argument,
                           "--resolve " + oras::detail::quote(text) + ": " + why);
    };
    http::address_override o;
    const auto c1 = text.find(':');
    const auto c2 = c1 == std::string_view::npos ? c1 : text.find(':', c1 + 1);
    if (c2 == std::string_view::npos || c1 == 0) {
        throw bad("expecting host:port:address[:address_port]");
    }
    o.host = std::string(text.substr(0, c1));
    const auto port = parse_port(text.substr(c1 + 1, c2 - c1 - 1));
    if (!port) {
        throw bad("the host's port is not a number from 1 to 65535");
    }
    o.port = *port;
    auto rest = text.substr(c2 + 1);
    std::string_view address;
    std::string_view address_port;
    bool v6 = false;
    if (!rest.empty() && rest.front() == '[') {
        const auto close = rest.find(']');
        if (close == std::string_view::npos) {
            throw bad("an IPv6 address is missing its ']'");
        }
        address = rest.substr(1, close - 1);
        rest = rest.substr(close + 1);
        if (!rest.empty() && rest.front() != ':') {
            throw bad("expecting ':' after the IPv6 address");
        }
        address_port = rest.empty() ? rest : rest.substr(1);
        v6 = true;
    } else {
        const auto c3 = rest.find(':');
        address = rest.substr(0, c3);
        address_port = c3 == std::string_view::npos ? std::string_view{} : rest.substr(c3 + 1);
    }
    const bool valid =
        v6 ? boost::urls::grammar::parse(address, boost::urls::ipv6_address_rule).has_value()
           : boost::urls::grammar::parse(address, boost::urls::ipv4_address_rule).has_value();
    if (!valid) {
        throw bad("invalid IP address " + oras::detail::quote(address));
    }
    o.address = std::string(address);
    if (!address_port.empty() || rest.find(':') != std::string_view::npos) {
        const auto p = parse_port(address_port);
        if (!p) {
            throw bad("the address's port is not a number from 1 to 65535");
        }
        o.address_port = *p;
    }
    return o;
}

namespace {

/// One request per line, then its headers (secrets already redacted by the transport).
void log_request(const http::log_event& e) {
    std::string line = "[debug] " + e.method + " " + e.url + " -> ";
    line += e.status != 0 ? std::to_string(e.status) : "failed: " + e.error.message();
    line += " (" + std::to_string(e.elapsed.count() / 1000) + " ms";
    line += e.attempt != 0 ? ", retry " + std::to_string(e.attempt) + ")" : ")";
    line += "\n";
    // Header values are the server's: control bytes (C1 included) must not reach a terminal.
    for (const auto& [k, v] : e.request_headers) {
        line += "[debug]   > " + k + ": " + display(v, 4096) + "\n";
    }
    for (const auto& [k, v] : e.response_headers) {
        line += "[debug]   < " + k + ": " + display(v, 4096) + "\n";
    }
    std::cerr << line << std::flush;
}

/// All of stdin less one line ending, as oras reads a secret: a multi-line one (a service
/// account's JSON key) is sent whole.
std::string stdin_secret() {
    std::string secret{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
    if (secret.ends_with('\n')) {
        secret.pop_back();
    }
    if (secret.ends_with('\r')) {
        secret.pop_back();
    }
    return secret;
}

}  // namespace

void remote_flags::apply_registry_config(auth::credential_options& into) const {
    into.config_path = registry_config.empty() ? std::string() : registry_config.front();
    into.fallback_config_paths.assign(registry_config.begin() + (registry_config.empty() ? 0 : 1),
                                      registry_config.end());
}

void environment_credentials_for_one_registry(
    const std::vector<std::string>& hosts, const std::vector<registry::connect_options*>& remotes,
    std::string_view advice) {
    std::set<std::string, std::less<>> distinct;
    for (const auto& h : hosts) {
        std::string host = h;  // host names are case-insensitive
        std::transform(host.begin(), host.end(), host.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        distinct.insert(std::move(host));
    }
    if (distinct.size() < 2) {
        return;
    }
    bool would_use = false;  // by a side that has no credentials of its own
    for (auto* r : remotes) {
        would_use = would_use || r->credentials.explicit_credential.empty();
        r->credentials.use_environment = false;
    }
    if (would_use && (std::getenv("ORAS_USER") != nullptr || std::getenv("ORAS_PASS") != nullptr)) {
        std::string names;
        for (const auto& h : distinct) {
            names += (names.empty() ? "" : ", ") + h;
        }
        std::cerr << "Warning: ORAS_USER/ORAS_PASS are not used: they name no registry, and this "
                     "command reaches several ("
                  << names << "). " << advice << "\n";
    }
}

registry::connect_options remote_flags::remote_for(std::string_view registry) {
    auto r = remote();
    const bool given = plain_http_option != nullptr && plain_http_option->count() > 0;
    const auto host = registry.substr(0, registry.rfind(':'));
    if (!given && (registry == "localhost" || host == "localhost")) {
        r.plain_http = true;
    }
    return r;
}

registry::connect_options remote_flags::remote() {
    registry::connect_options r;
    r.plain_http = plain_http;
    r.force_https = !plain_http && plain_http_option != nullptr && plain_http_option->count() > 0;
    r.insecure = insecure;
    r.ca_file = ca_file;
    if (cert_file.empty() != key_file.empty()) {
        throw oras::error(oras::errc::invalid_argument, "--cert-file and --key-file go together");
    }
    r.http.tls.client_certificate_file = cert_file;
    r.http.tls.client_key_file = key_file;
    const int secrets =
        !password.empty() + password_stdin + !identity_token.empty() + identity_token_stdin;
    if (secrets > 1) {
        throw oras::error(oras::errc::invalid_argument,
                          "give one of --password, --password-stdin, --identity-token and "
                          "--identity-token-stdin");
    }
    if (!username.empty() && (!identity_token.empty() || identity_token_stdin)) {
        throw oras::error(oras::errc::invalid_argument,
                          "--username and --identity-token exclude each other");
    }
    if (!warned_secret) {
        // As oras, once: a secret on the command line is in the shell history and `ps`.
        warned_secret = true;
        if (!identity_token.empty()) {
            std::cerr << "WARNING! Using --identity-token via the CLI is insecure. Use "
                         "--identity-token-stdin.\n";
        } else if (!password.empty()) {
            std::cerr << "WARNING! Using --password via the CLI is insecure. Use "
                         "--password-stdin.\n";
        }
    }
    if (password_stdin) {
        password = stdin_secret();
    }
    if (identity_token_stdin) {
        identity_token = stdin_secret();
    }
    if (!identity_token.empty()) {
        r.credentials.explicit_credential.identity_token = identity_token;
    } else if (!username.empty() || !password.empty()) {
        r.credentials.explicit_credential.username = username;
        if (username.empty()) {
            r.credentials.explicit_credential.identity_token = password;
        } else {
            r.credentials.explicit_credential.password = password;
        }
    }
    apply_registry_config(r.credentials);
    for (const auto& h : headers) {
        auto [name, value] = parse_header(h);
        r.http.extra_headers.add(name, value);
    }
    for (const auto& entry : resolve) {
        r.http.resolve.push_back(parse_resolve(entry));
    }
    if (debug) {
        log_requests(r);
    }
    return r;
}

void log_requests(registry::connect_options& remote) {
    remote.http.log = log_request;
}

void common_flags::add(CLI::App& cmd, bool with_tty) {
    cmd.add_flag("-d,--debug", debug,
                 "Print every request and response (secrets redacted) to stderr");
    if (with_tty) {
        cmd.add_flag("--no-tty", no_tty, "Plain output even on a terminal");
    }
    // Deprecated in oras, where every command still takes it (only discover's table reads it):
    // command lines copied from older docs keep working, with the same warning.
    cmd.add_flag("-v,--verbose", verbose, "Deprecated")
        ->each([](const std::string&) {
            std::cerr << "Flag --verbose has been deprecated, and will be removed in a future "
                         "release.\n";
        })
        ->group("");
}

}  // namespace oras::cli

#include "cli/options/remote.hpp"

#include <oras/error.hpp>

#include <iostream>

namespace oras::cli {

void remote_flags::add(CLI::App& cmd, const std::string& prefix, const std::string& whose) {
    const std::string of = whose.empty() ? "" : " (" + whose + ")";
    cmd.add_flag("--" + prefix + "plain-http", plain_http, "Use plain http instead of https" + of);
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
    cmd.add_option("--" + prefix + "registry-config", registry_config,
                   "Credentials file (default: Docker's config.json)" + of);
}

namespace {

/// One request per line, then its headers (secrets already redacted by the transport).
void log_request(const http::log_event& e) {
    std::string line = "[debug] " + e.method + " " + e.url + " -> ";
    line += e.status != 0 ? std::to_string(e.status) : "failed: " + e.error.message();
    line += " (" + std::to_string(e.elapsed.count() / 1000) + " ms";
    line += e.attempt != 0 ? ", retry " + std::to_string(e.attempt) + ")" : ")";
    line += "\n";
    for (const auto& [k, v] : e.request_headers) {
        line += "[debug]   > " + k + ": " + v + "\n";
    }
    for (const auto& [k, v] : e.response_headers) {
        line += "[debug]   < " + k + ": " + v + "\n";
    }
    std::cerr << line << std::flush;
}

/// One line of stdin, without its line ending.
std::string stdin_line() {
    std::string line;
    std::getline(std::cin, line);
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) {
        line.pop_back();
    }
    return line;
}

}  // namespace

registry::connect_options remote_flags::remote() {
    registry::connect_options r;
    r.plain_http = plain_http;
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
    if (password_stdin) {
        password = stdin_line();
    }
    if (identity_token_stdin) {
        identity_token = stdin_line();
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
    r.credentials.config_path = registry_config;
    if (debug) {
        r.http.log = log_request;
    }
    return r;
}

void common_flags::add(CLI::App& cmd, bool with_tty) {
    cmd.add_flag("-d,--debug", debug,
                 "Print every request and response (secrets redacted) to stderr");
    if (with_tty) {
        cmd.add_flag("--no-tty", no_tty, "Plain output even on a terminal");
    }
}

}  // namespace oras::cli

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

}  // namespace

registry::connect_options remote_flags::remote() {
    registry::connect_options r;
    r.plain_http = plain_http;
    r.insecure = insecure;
    r.ca_file = ca_file;
    if (password_stdin) {
        if (!password.empty()) {
            throw oras::error(oras::errc::invalid_argument,
                              "--password and --password-stdin exclude each other");
        }
        std::getline(std::cin, password);
        while (!password.empty() && (password.back() == '\r' || password.back() == '\n')) {
            password.pop_back();
        }
    }
    if (!username.empty() || !password.empty()) {
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

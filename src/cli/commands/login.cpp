// oras-cpp login / logout: verify and store, or forget, a registry's credentials.
#include "cli/commands/commands.hpp"
#include "cli/options/remote.hpp"
#include "cli/options/target.hpp"
#include "core/text.hpp"

#include <oras/error.hpp>
#include <oras/ops/blocking.hpp>

#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <string>

namespace oras::cli {

namespace {

struct login_flags {
    std::string registry;
    remote_flags remote;
    common_flags common;
};

/// Prints `prompt` on stdout and reads a line of stdin, without its line ending; `silent` on a
/// terminal, without echo (then a newline is printed after it), as oras's readLine.
std::string prompt_line(const char* prompt, bool silent) {
    std::cout << prompt << std::flush;
    struct termios before {};
    const bool hide =
        silent && ::isatty(STDIN_FILENO) == 1 && ::tcgetattr(STDIN_FILENO, &before) == 0;
    struct echo_back {
        const struct termios* saved;
        ~echo_back() {
            if (saved != nullptr) {
                ::tcsetattr(STDIN_FILENO, TCSANOW, saved);
            }
        }
    } restore{nullptr};
    if (hide) {
        auto quiet = before;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        // TCSANOW, not TCSAFLUSH: a password pasted with the username is not thrown away.
        if (::tcsetattr(STDIN_FILENO, TCSANOW, &quiet) == 0) {
            restore.saved = &before;
        }
    }
    std::string line;
    std::getline(std::cin, line);
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) {
        line.pop_back();
    }
    if (hide) {
        std::cout << "\n" << std::flush;
    }
    return line;
}

int run_login(login_flags& f) {
    f.remote.debug = f.common.debug;
    auto remote = f.remote.remote_for(f.registry);
    auto cred = remote.credentials.explicit_credential;
    // As oras: whatever was not given is asked for, on stdout, read from stdin (a secret without
    // echo on a terminal): a username, then its password, or with no username an identity
    // token. A user without a secret is no login; saving `user:` would fail every later command
    // instead of this one.
    if (cred.password.empty() && cred.identity_token.empty() && cred.registry_token.empty()) {
        if (cred.username.empty()) {
            cred.username = std::string(oras::detail::trim(prompt_line("Username: ", false)));
        }
        if (cred.username.empty()) {
            cred.identity_token = prompt_line("Token: ", true);
            if (cred.identity_token.empty()) {
                throw error(errc::invalid_argument, "token required");
            }
        } else {
            cred.password = prompt_line("Password: ", true);
            if (cred.password.empty()) {
                throw error(errc::invalid_argument, "password required");
            }
        }
    }
    remote.credentials.explicit_credential = {};
    blocking::login(f.registry, std::move(cred), remote);
    std::cout << "Login Succeeded\n";
    return 0;
}

}  // namespace

void add_login(app& a) {
    auto f = std::make_shared<login_flags>();
    auto* cmd = a.cli.add_subcommand("login", "Verify and save a registry's credentials");
    cmd->footer(
        "Examples:\n"
        "  oras-cpp login localhost:5000   (asks for a username and password)\n"
        "  oras-cpp login -u username --password-stdin localhost:5000\n"
        "  oras-cpp login -u username -p password --registry-config auth.json "
        "localhost:5000");
    cmd->add_option("registry", f->registry, "REGISTRY[:PORT]")->required();
    f->remote.add(*cmd);
    f->common.add(*cmd, false);
    a.commands.push_back({cmd, [f] { return run_login(*f); }, [f] { return f->registry; }});
}

void add_logout(app& a) {
    auto f = std::make_shared<login_flags>();
    auto* cmd = a.cli.add_subcommand("logout", "Forget a registry's credentials");
    cmd->footer("Example:\n  oras-cpp logout localhost:5000");
    cmd->add_option("registry", f->registry, "REGISTRY[:PORT]")->required();
    add_repeatable(*cmd, "--registry-config", f->remote.registry_config,
                   "Credentials file (repeated: credentials are removed from the first)");
    f->common.add(*cmd, false);
    a.commands.push_back({cmd,
                          [f] {
                              blocking::remote_options remote;
                              f->remote.apply_registry_config(remote.credentials);
                              // As oras: silent, and nothing to remove is no failure (a CI
                              // clean-up step under `set -e` logs out whether or not it
                              // logged in).
                              try {
                                  blocking::logout(f->registry, remote);
                              } catch (const error& e) {
                                  if (e.code() != errc::not_found) {
                                      throw;
                                  }
                              }
                              return 0;
                          },
                          [f] { return f->registry; }});
}

}  // namespace oras::cli

// oras-cpp login / logout: verify and store, or forget, a registry's credentials.
#include "cli/commands/commands.hpp"
#include "cli/options/remote.hpp"
#include "cli/options/target.hpp"
#include "core/text.hpp"

#include <oras/error.hpp>
#include <oras/ops/blocking.hpp>

#include <termios.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <iostream>
#include <optional>
#include <string>

namespace oras::cli {

namespace {

struct login_flags {
    std::string registry;
    remote_flags remote;
    common_flags common;
};

// The terminal settings a silent prompt replaced, for a signal that ends the process meanwhile:
// without them back, the user's shell is left typing blind. Set only while echo is off.
struct termios echo_saved {};
volatile std::sig_atomic_t echo_off = 0;

// Only async-signal-safe calls: the settings go back, the line the prompt left open is ended,
// and the signal is raised again under its default action, so the process ends as it would
// have (the shell sees 128 + the signal).
void restore_echo_and_die(int sig) {
    if (echo_off != 0) {
        ::tcsetattr(STDIN_FILENO, TCSANOW, &echo_saved);
        [[maybe_unused]] const auto n = ::write(STDOUT_FILENO, "\n", 1);
    }
    ::signal(sig, SIG_DFL);
    ::raise(sig);
}

// The signals whose default action ends the process and that a terminal or a supervisor sends.
constexpr std::array<int, 4> fatal_signals{SIGINT, SIGTERM, SIGHUP, SIGQUIT};

/// Echo off on stdin (a terminal) for its lifetime; a fatal signal meanwhile puts it back first.
class echo_hidden {
  public:
    echo_hidden() {
        if (::isatty(STDIN_FILENO) != 1 || ::tcgetattr(STDIN_FILENO, &echo_saved) != 0) {
            return;
        }
        struct sigaction act {};
        act.sa_handler = restore_echo_and_die;
        ::sigemptyset(&act.sa_mask);
        for (std::size_t i = 0; i < fatal_signals.size(); ++i) {
            // A signal the process was started ignoring (`nohup`, `trap '' INT`) stays ignored:
            // it would not have ended the prompt.
            if (::sigaction(fatal_signals[i], nullptr, &previous_[i]) == 0
                && previous_[i].sa_handler != SIG_IGN) {
                ::sigaction(fatal_signals[i], &act, nullptr);
            }
        }
        auto quiet = echo_saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        echo_off = 1;
        // TCSANOW, not TCSAFLUSH: a password pasted with the username is not thrown away.
        if (::tcsetattr(STDIN_FILENO, TCSANOW, &quiet) == 0) {
            active_ = true;
        } else {
            echo_off = 0;
            put_handlers_back();
        }
    }
    ~echo_hidden() {
        if (active_) {
            ::tcsetattr(STDIN_FILENO, TCSANOW, &echo_saved);
            echo_off = 0;
            put_handlers_back();
        }
    }
    echo_hidden(const echo_hidden&) = delete;
    echo_hidden& operator=(const echo_hidden&) = delete;

    /// Whether echo was turned off (stdin is a terminal).
    bool active() const noexcept { return active_; }

  private:
    void put_handlers_back() {
        for (std::size_t i = 0; i < fatal_signals.size(); ++i) {
            ::sigaction(fatal_signals[i], &previous_[i], nullptr);
        }
    }

    std::array<struct sigaction, fatal_signals.size()> previous_{};
    bool active_ = false;
};

/// Prints `prompt` on stdout and reads a line of stdin, without its line ending; `silent` on a
/// terminal, without echo (then a newline is printed after it), as oras's readLine.
std::string prompt_line(const char* prompt, bool silent) {
    std::cout << prompt << std::flush;
    std::optional<echo_hidden> hidden;
    if (silent) {
        hidden.emplace();
    }
    std::string line;
    std::getline(std::cin, line);
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) {
        line.pop_back();
    }
    if (hidden && hidden->active()) {
        hidden.reset();
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

// oras-cpp login / logout: verify and store, or forget, a registry's credentials.
#include "cli/commands/commands.hpp"
#include "cli/options/remote.hpp"

#include <oras/error.hpp>
#include <oras/ops/blocking.hpp>

#include <iostream>

namespace oras::cli {

namespace {

struct login_flags {
    std::string registry;
    remote_flags remote;
    common_flags common;
};

int run_login(login_flags& f) {
    f.remote.debug = f.common.debug;
    auto remote = f.remote.remote_for(f.registry);
    auto cred = remote.credentials.explicit_credential;
    if (cred.empty()) {
        throw error(errc::invalid_argument, "give -u USER with -p PASSWORD or --password-stdin");
    }
    // As oras: a user without a secret (`-p ''`, an empty stdin) is no login; saving `user:`
    // would fail every later command instead of this one.
    if (cred.password.empty() && cred.identity_token.empty() && cred.registry_token.empty()) {
        throw error(errc::invalid_argument, "password required");
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
    cmd->add_option("--registry-config", f->remote.registry_config, "Credentials file");
    f->common.add(*cmd, false);
    a.commands.push_back({cmd,
                          [f] {
                              blocking::remote_options remote;
                              remote.credentials.config_path = f->remote.registry_config;
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

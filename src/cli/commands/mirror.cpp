// oras-cpp mirror: repositories and tags between registries, or into OCI layouts, in bulk.
#include "cli/commands/commands.hpp"
#include "cli/display/progress.hpp"
#include "cli/display/results.hpp"
#include "cli/files.hpp"
#include "cli/mirror_config.hpp"
#include "cli/options/target.hpp"
#include "cli/wait.hpp"

#include <oras/error.hpp>
#include <oras/ops/mirror.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>

namespace oras::cli {

namespace {

struct mirror_flags {
    std::string config;
    std::string from;
    std::string to;
    std::vector<std::string> tags;
    std::vector<std::string> exclude_tags;
    bool recursive = false;
    platform_flags platform;
    std::size_t concurrency = 8;
    bool dry_run = false;
    std::string shard;
    remote_flags from_remote;
    remote_flags to_remote;
    common_flags common;
    format_flags format;
    CLI::App* cmd = nullptr;
};

/// The registry of a mirror source or destination (`host/...`), or "" for a layout.
std::string registry_of(const std::string& location) {
    if (location.starts_with("oci-layout:")) {
        return {};
    }
    return location.substr(0, location.find('/'));
}

int run_mirror(mirror_flags& f) {
    ops::mirror_options o;
    ops::mirror_plan plan;
    f.from_remote.debug = f.to_remote.debug = f.common.debug;
    if (!f.config.empty()) {
        if (!f.from.empty() || !f.to.empty()) {
            throw error(errc::invalid_argument, "give either --config FILE or FROM TO, not both");
        }
        auto parsed = parse_mirror_config(
            read_input(f.config, "mirror configuration"), f.config,
            [](const std::string& name) -> std::optional<std::string> {
                const char* v = std::getenv(name.c_str());
                return v == nullptr ? std::nullopt : std::optional<std::string>(v);
            });
        if (!parsed) {
            throw error(parsed.error());
        }
        // What the file says is not also said on the command line, where it would be left
        // unread: only how this run goes (its part, its output) joins the file.
        for (const auto* opt : f.cmd->get_options()) {
            const auto& names = opt->get_lnames();
            const bool per_run = std::any_of(names.begin(), names.end(), [](const std::string& n) {
                return n == "config" || n == "concurrency" || n == "dry-run" || n == "shard"
                       || n == "format" || n == "debug" || n == "no-tty" || n == "verbose"
                       || n == "help";
            });
            if (opt->count() > 0 && !per_run && !names.empty()) {
                throw error(errc::invalid_argument,
                            "--" + names.front()
                                + " is not taken with --config: say it in the configuration "
                                  "file (see docs/mirror.md)");
            }
        }
        plan = std::move(parsed->plan);
        // Read when the first connection is made, after the plan: checked first, as the
        // command line's --ca-file is, so that a typo is one error naming the key.
        for (const auto& [host, remote] : plan.registries) {
            if (!remote.ca_file.empty()) {
                check_input_file(remote.ca_file, f.config + ": registries." + host + ".ca-file",
                                 false);
            }
        }
        if (parsed->concurrency && f.cmd->count("--concurrency") == 0) {
            f.concurrency = *parsed->concurrency;
        }
        if (f.common.debug) {
            log_requests(plan.defaults);
            for (auto& [host, remote] : plan.registries) {
                log_requests(remote);
            }
        }
    } else {
        if (f.from.empty() || f.to.empty()) {
            throw error(errc::invalid_argument, "give FROM and TO, or --config FILE");
        }
        ops::mirror_rule rule;
        rule.from = f.from;
        rule.to = f.to;
        rule.tags.allow = f.tags;
        rule.tags.deny = f.exclude_tags;
        rule.referrers = f.recursive;
        rule.platform = f.platform.get();
        if (f.from_remote.password_stdin && f.to_remote.password_stdin) {
            throw error(errc::invalid_argument,
                        "--from-password-stdin and --to-password-stdin exclude each other");
        }
        const auto from_host = registry_of(f.from);
        const auto to_host = registry_of(f.to);
        if (!to_host.empty() && to_host != from_host) {
            plan.registries[to_host] = f.to_remote.remote_for(to_host);
        }
        if (!from_host.empty()) {
            plan.registries[from_host] = f.from_remote.remote_for(from_host);
        }
        plan.rules.push_back(std::move(rule));
    }
    {
        std::vector<std::string> hosts;
        for (const auto& rule : plan.rules) {
            for (const auto* side : {&rule.from, &rule.to}) {
                if (auto host = registry_of(*side); !host.empty()) {
                    hosts.push_back(std::move(host));
                }
            }
        }
        std::vector<registry::connect_options*> remotes{&plan.defaults};
        for (auto& [host, remote] : plan.registries) {
            remotes.push_back(&remote);
        }
        environment_credentials_for_one_registry(
            hosts, remotes,
            f.config.empty() ? "Give each side its own (--from-username, --to-username) or log in."
                             : "Name them per registry in the config (registries.HOST.username, "
                               "password-env) or log in.");
    }
    if (!f.shard.empty()) {
        auto shard = ops::parse_shard(f.shard);
        if (!shard) {
            throw error(shard.error());
        }
        o.shard = *shard;
    }
    o.concurrency = f.concurrency;
    o.dry_run = f.dry_run;
    const bool text = !f.format.json();
    mirror_display display(std::cout,
                           text && !f.common.no_tty && !f.common.debug && ::isatty(2) != 0, text);
    display.attach(o);
    const auto start = std::chrono::steady_clock::now();
    boost::asio::io_context io;
    const auto r = wait(io, ops::mirror(std::move(plan), std::move(o)));
    display.done();
    print_mirror(std::cout, f.format.value, r, std::chrono::steady_clock::now() - start);
    return r.ok() ? 0 : 1;
}

}  // namespace

void add_mirror(app& a) {
    auto f = std::make_shared<mirror_flags>();
    auto* cmd = a.cli.add_subcommand(
        "mirror", "Mirror repositories and tags between registries (or into OCI layouts)");
    f->cmd = cmd;
    cmd->footer(
        "Examples:\n"
        "  oras-cpp mirror localhost:5000/team/ localhost:6000/mirror/ --tags '^v[0-9]'\n"
        "  oras-cpp mirror localhost:5000/tools/lint oci-layout:/srv/mirror/lint\n"
        "  oras-cpp mirror --config mirror.yaml --shard 0/4 --format json\n"
        "A source ending in '/' is every repository under it (the catalog API); a repository is\n"
        "all its tags; REPO:TAG or REPO@DIGEST one artifact. See docs/mirror.md for --config.");
    cmd->add_option("from", f->from, "Source: REGISTRY/PREFIX/, REGISTRY/REPO[:TAG|@DIGEST]");
    cmd->add_option("to", f->to, "Destination: REGISTRY/PREFIX/, REGISTRY/REPO, oci-layout:DIR");
    cmd->add_option("--config", f->config, "A YAML (or JSON) mirror configuration")
        ->check(CLI::ExistingFile);
    add_repeatable(*cmd, "--tags", f->tags, "Only tags matching this regular expression");
    add_repeatable(*cmd, "--exclude-tags", f->exclude_tags,
                   "Leave out tags matching this regular expression");
    cmd->add_flag("-r,--recursive", f->recursive, "Also copy referrers, recursively");
    f->platform.add(*cmd, "From an index, copy only os[/arch][/variant][:os_version]");
    add_concurrency(*cmd, f->concurrency, "Blobs transferred at once, across all artifacts", 256);
    cmd->add_flag("--dry-run", f->dry_run, "Print the plan; write nothing");
    cmd->add_option("--shard", f->shard,
                    "Mirror only part I of N (I/N, from 0) of the artifacts, e.g. one per "
                    "machine");
    f->from_remote.add(*cmd, "from-", "source");
    f->to_remote.add(*cmd, "to-", "destination");
    f->common.add(*cmd);
    f->format.add(*cmd, {"text", "json"});
    a.commands.push_back({cmd, [f] { return run_mirror(*f); },
                          [f] { return f->config.empty() ? "mirror" : "mirror --config"; }});
}

}  // namespace oras::cli

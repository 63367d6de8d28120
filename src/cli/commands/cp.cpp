// oras-cpp cp: an artifact's graph between registries and OCI layouts.
#include "cli/commands/commands.hpp"
#include "cli/display/progress.hpp"
#include "cli/display/results.hpp"
#include "cli/options/cache.hpp"
#include "cli/options/target.hpp"
#include "cli/wait.hpp"

#include <oras/digest.hpp>
#include <oras/error.hpp>
#include <oras/ops/location.hpp>

#include <unistd.h>

#include <iostream>

namespace oras::cli {

namespace {

struct cp_flags {
    std::string from;
    std::string to;
    remote_flags from_remote;
    remote_flags to_remote;
    common_flags common;
    bool from_layout = false;
    bool to_layout = false;
    std::string from_layout_path;
    std::string to_layout_path;
    bool recursive = false;
    bool force = false;
    platform_flags platform;
    std::size_t concurrency = 3;
    format_flags format;
    std::string from_spec;
    std::string to_spec;
    /// `--resolve`: rules for both ends, before (so overridden by) each end's own.
    std::vector<std::string> resolve;
};

int run_cp(cp_flags& f) {
    ops::copy_options o;
    o.recursive = f.recursive;
    o.traverse_existing = f.force;
    o.concurrency = f.concurrency;
    o.platform = f.platform.get();
    const bool platform_given = o.platform.has_value();
    o.cache = cache_from_environment();
    ops::location from{f.from, f.from_layout, {}, f.from_layout_path};
    ops::location to{f.to, f.to_layout, {}, f.to_layout_path};
    if (f.from_remote.password_stdin && f.to_remote.password_stdin) {
        throw error(errc::invalid_argument,
                    "--from-password-stdin and --to-password-stdin exclude each other");
    }
    f.from_remote.refuse_headers_on_layout(f.from_layout);
    f.to_remote.refuse_headers_on_layout(f.to_layout);
    f.from_remote.debug = f.to_remote.debug = f.common.debug;
    f.from_remote.resolve.insert(f.from_remote.resolve.begin(), f.resolve.begin(), f.resolve.end());
    f.to_remote.resolve.insert(f.to_remote.resolve.begin(), f.resolve.begin(), f.resolve.end());
    if (!from.is_layout()) {
        from.remote = f.from_remote.remote_for(registry_part(f.from));
        apply_distribution_spec(f.from_spec, from.remote);
    }
    if (!to.is_layout()) {
        to.remote = f.to_remote.remote_for(registry_part(f.to));
        apply_distribution_spec(f.to_spec, to.remote);
    }
    if (!from.is_layout() && !to.is_layout()) {
        environment_credentials_for_one_registry({registry_part(f.from), registry_part(f.to)},
                                                 {&from.remote, &to.remote},
                                                 "Give each side its own (--from-username, "
                                                 "--to-username) or log in.");
    }
    const bool from_layout = from.is_layout();
    const bool to_layout = to.is_layout();
    const bool text = !f.format.json();
    progress_display display(text && !f.common.no_tty && !f.common.debug && ::isatty(2) != 0, text,
                             "Copying", "Copied");
    o.progress = display.callback();
    boost::asio::io_context io;
    const auto cache = o.cache;
    const auto r = wait(
        io, ops::copy_locations(io.get_executor(), std::move(from), std::move(to), std::move(o)));
    display.done();
    if (cache) {
        cache->trim();
    }
    // A source named by the digest of an index that --platform chose a manifest from is shown
    // by the digest copied, as oras corrects it.
    std::string from_shown = f.from;
    if (const auto at = from_shown.rfind('@');
        platform_given && at != std::string::npos
        && digest::parse(std::string_view(from_shown).substr(at + 1)).has_value()
        && from_shown.compare(at + 1, std::string::npos, r.root.digest.str()) != 0) {
        from_shown = from_shown.substr(0, at + 1) + r.root.digest.str();
    }
    const std::string from_text = (from_layout ? "[oci-layout] " : "[registry] ") + from_shown;
    // A layout path's names may hold `/`: its first name cut here, not by the printer.
    const std::string to_text =
        (to_layout ? "[oci-layout] " : "[registry] ")
        + (f.to_layout_path.empty() ? f.to : f.to.substr(0, f.to.find(',')));
    print_copy(std::cout, f.format.value, from_text, to_text, r);
    return 0;
}

}  // namespace

void add_cp(app& a) {
    auto f = std::make_shared<cp_flags>();
    auto* cmd = a.cli.add_subcommand(
        "cp", "Copy an artifact and its graph between registries and OCI layouts");
    cmd->alias("copy");
    cmd->footer(
        "Examples:\n"
        "  oras-cpp cp localhost:5000/net-monitor:v1 localhost:6000/net-monitor-copy:v1\n"
        "  oras-cpp cp -r localhost:5000/net-monitor:v1 localhost:6000/net-monitor-copy:v1\n"
        "  oras-cpp cp --to-oci-layout localhost:5000/net-monitor:v1 layout-dir:v1\n"
        "  oras-cpp cp --platform linux/arm64 localhost:5000/app:v1 localhost:6000/app:v1-arm64\n"
        "  oras-cpp cp localhost:5000/net-monitor:v1 localhost:6000/net-monitor:v1,stable");
    cmd->add_option("from", f->from, "SOURCE{:TAG|@DIGEST} (a registry reference, or DIR:TAG)")
        ->required();
    cmd->add_option("to", f->to, "DESTINATION[:TAG[,TAG...]|@DIGEST] (no tag: copied untagged)")
        ->required();
    cmd->add_flag("-r,--recursive", f->recursive, "Also copy the referrers, recursively");
    cmd->add_flag("--force", f->force,
                  "Look into every manifest of the graph, even those the destination has, and "
                  "copy what it lacks before tagging the root (a partly populated destination, "
                  "such as a registry cache)");
    f->platform.add(*cmd, "From an index, copy only os[/arch][/variant][:os_version]");
    add_concurrency(*cmd, f->concurrency, "Blobs transferred at once");
    add_layout_flags(*cmd, "from-", f->from_layout, f->from_layout_path, "source");
    add_layout_flags(*cmd, "to-", f->to_layout, f->to_layout_path, "destination");
    add_distribution_spec(*cmd, "--from-distribution-spec", f->from_spec, " (source)");
    add_distribution_spec(*cmd, "--to-distribution-spec", f->to_spec, " (destination)");
    f->from_remote.add(*cmd, "from-", "source");
    f->to_remote.add(*cmd, "to-", "destination");
    add_repeatable(*cmd, "--resolve", f->resolve,
                   "Connect to another address for a registry, "
                   "host:port:address[:address_port], for both ends (before --from-resolve and "
                   "--to-resolve, which override it)");
    f->common.add(*cmd);
    f->format.add(*cmd, {"text", "json"});
    a.commands.push_back({cmd, [f] { return run_cp(*f); }, [f] { return f->from; }});
}

}  // namespace oras::cli

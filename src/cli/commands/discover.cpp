// oras-cpp discover: the referrers of an artifact, as a tree, a table or JSON.
#include "cli/commands/commands.hpp"
#include "cli/display/tree.hpp"
#include "cli/options/target.hpp"
#include "cli/wait.hpp"

#include <oras/error.hpp>
#include <oras/ops/discover.hpp>

#include <cstdlib>
#include <iostream>

namespace oras::cli {

namespace {

struct discover_flags {
    std::string ref;
    std::string artifact_type;
    std::size_t depth = 0;
    target_flags target;
    platform_flags platform;
    format_flags format;
    CLI::App* cmd = nullptr;
};

int run_discover(discover_flags& f) {
    if (f.cmd->count("--format") > 0 && f.cmd->count("--output") > 0) {
        // As oras: the deprecated spelling and the new one are not mixed.
        throw error(errc::invalid_argument,
                    "--format and --output cannot be used at the same time");
    }
    if (f.format.value == "table") {
        std::cerr << "Format \"table\" is deprecated and will be removed in a future release.\n";
    }
    ops::discover_options o;
    o.artifact_type = f.artifact_type;
    // Deeper than the library's bound (a chain a misbehaving registry invents, whose tree grows
    // with the square of its depth) is cut there, and marked as the default depth is.
    const bool capped = f.depth == 0 || f.depth > o.max_depth;
    if (!capped) {
        o.max_depth = f.depth;
    }
    if (f.format.value == "table") {
        o.max_depth = 1;
    }
    o.platform = f.platform.get();
    boost::asio::io_context io;
    auto t = ops::open_target(io.get_executor(), f.target.location(f.ref), ops::open_mode::read);
    require_one_tag(t);
    if (t.reference.empty()) {
        throw error(errc::invalid_reference, "name the subject by tag or digest");
    }
    const auto r = wait(io, ops::discover(*t.target, t.reference, std::move(o)));
    if (f.format.value == "json") {
        print_discover_json(std::cout, f.target.repository(f.ref), r);
    } else if (f.format.value == "table") {
        print_table(std::cout, f.ref, r, f.target.common.verbose);
    } else {
        // A depth the user chose needs no marking on every node it cut, as in oras; annotations
        // only while verbose (the deprecated flag's default), as oras's tree handler.
        print_tree(std::cout, f.target.repository(f.ref), r, f.target.common.verbose, capped);
    }
    return 0;
}

}  // namespace

void add_discover(app& a) {
    auto f = std::make_shared<discover_flags>();
    auto* cmd = a.cli.add_subcommand("discover", "Discover the referrers of an artifact");
    f->cmd = cmd;
    cmd->footer(
        "Examples:\n"
        "  oras-cpp discover localhost:5000/hello:v1\n"
        "  oras-cpp discover --artifact-type doc/example localhost:5000/hello:v1\n"
        "  oras-cpp discover --format json --depth 1 localhost:5000/hello:v1\n"
        "  oras-cpp discover --oci-layout layout-dir:v1");
    cmd->add_option("reference", f->ref, "The subject: REGISTRY/REPOSITORY{:TAG|@DIGEST}")
        ->required();
    cmd->add_option("--artifact-type", f->artifact_type, "Only referrers of this artifact type");
    cmd->add_option("--depth", f->depth, "Levels of referrers shown (default: all, up to 1000)")
        ->check(CLI::Validator(
            [](std::string& v) -> std::string {
                // As oras words it; a value that is no integer is left to the conversion.
                const auto n = std::strtoll(v.c_str(), nullptr, 10);
                return n < 1 && v.find_first_not_of("+-0123456789") == std::string::npos
                           ? "depth value should be at least 1"
                           : "";
            },
            "INT >= 1"));
    f->platform.add(*cmd);
    f->target.add(*cmd, true, true);
    f->format.add(*cmd, {"tree", "table", "json"}, true);
    // Deprecated in oras and still taken there, with this warning: older docs use it.
    cmd->add_option_function<std::string>(
           "-o,--output",
           [f](const std::string& v) {
               std::cerr << "[DEPRECATED] --output is deprecated, try `--format " << v
                         << "` instead\n";
               f->format.value = v;
           },
           "Deprecated: --format")
        ->check(CLI::IsMember({"tree", "table", "json"}))
        ->group("");
    a.commands.push_back(
        {cmd, [f] { return run_discover(*f); }, [f] { return f->ref; }, &f->format});
}

}  // namespace oras::cli

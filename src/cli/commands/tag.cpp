// oras-cpp tag: more tags for an existing manifest.
#include "cli/commands/commands.hpp"
#include "cli/options/target.hpp"
#include "cli/wait.hpp"

#include <oras/error.hpp>
#include <oras/ops/manage.hpp>

#include <iostream>

namespace oras::cli {

namespace {

struct tag_flags {
    std::string ref;
    std::vector<std::string> tags;
    std::size_t concurrency = 5;
    target_flags target;
};

int run_tag(tag_flags& f) {
    if (f.ref == "list" || f.ref == "ls") {
        throw error(errc::invalid_argument,
                    "there is no \"" + f.ref + "\" sub-command: use 'oras-cpp repo tags REPO'");
    }
    if (f.tags.empty()) {
        // Checked here, not by the parser: `tag list` gets the hint above first, as in oras.
        throw error(errc::invalid_argument, "name the tags to add after the manifest");
    }
    boost::asio::io_context io;
    auto t = ops::open_target(io.get_executor(), f.target.location(f.ref), ops::open_mode::update);
    if (t.reference.empty()) {
        throw error(errc::invalid_reference, "name the manifest to tag by tag or digest");
    }
    if (t.tags.size() > 1) {
        throw error(errc::invalid_reference, "name one source tag; the new tags follow it");
    }
    const auto d = wait(io, ops::tag(*t.target, t.reference, f.tags, f.concurrency));
    std::cout << "Tagging " << (f.target.layout() ? "[oci-layout] " : "[registry] ")
              << f.target.repository(f.ref) << "@" << d.digest.str() << "\n";
    for (const auto& tag : f.tags) {
        std::cout << "Tagged " << tag << "\n";
    }
    return 0;
}

}  // namespace

void add_tag(app& a) {
    auto f = std::make_shared<tag_flags>();
    auto* cmd = a.cli.add_subcommand("tag", "Tag a manifest in a registry or an OCI layout");
    cmd->footer(
        "Examples:\n"
        "  oras-cpp tag localhost:5000/hello:v1.0.1 v1.0.2 latest\n"
        "  oras-cpp tag localhost:5000/hello@sha256:9a20... v1.0.2\n"
        "  oras-cpp tag --oci-layout layout-dir:v1.0.1 v1.0.2");
    cmd->add_option("reference", f->ref, "REGISTRY/REPOSITORY{:TAG|@DIGEST}")->required();
    cmd->add_option("tags", f->tags, "NEW_TAG...");
    add_concurrency(*cmd, f->concurrency, "Tags set at once");
    f->target.add(*cmd, true, false, false);
    a.commands.push_back({cmd, [f] { return run_tag(*f); }, [f] { return f->ref; }});
}

}  // namespace oras::cli

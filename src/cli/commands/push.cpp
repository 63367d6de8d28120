// oras-cpp push: files and directories as one artifact, to a registry or an OCI layout.
#include "cli/commands/commands.hpp"
#include "cli/display/progress.hpp"
#include "cli/display/results.hpp"
#include "cli/files.hpp"
#include "cli/options/cache.hpp"
#include "cli/options/packing.hpp"
#include "cli/options/target.hpp"
#include "cli/wait.hpp"

#include <oras/error.hpp>
#include <oras/ops/platform.hpp>
#include <oras/ops/push.hpp>

#include <iostream>

namespace oras::cli {

namespace {

struct push_flags {
    std::string ref;
    std::vector<std::string> files;
    std::string config;
    std::string artifact_type;
    packing_flags packing;
    std::string image_spec = "v1.1";
    CLI::Option* image_spec_flag = nullptr;  // whether --image-spec was given
    CLI::Option* config_flag = nullptr;
    std::string artifact_platform;
    CLI::Option* artifact_platform_flag = nullptr;
    std::size_t concurrency = 5;
    bool force = false;
    target_flags target;
    format_flags format;
};

int run_push(push_flags& f) {
    ops::push_options o;
    for (const auto& file : f.files) {
        o.files.push_back(parse_file_arg(file));
    }
    if (!f.config.empty()) {
        o.config = parse_config_arg(f.config);
    }
    o.artifact_type = f.artifact_type;
    // As oras: a config without an artifact type makes an image-spec v1.0 manifest (v1.1 asks
    // for an artifact type then), unless v1.1 was asked for, which is then refused.
    if (!f.config.empty() && f.artifact_type.empty()) {
        if (f.image_spec_flag->count() == 0) {
            f.image_spec = "v1.0";
        } else if (f.image_spec == "v1.1") {
            throw error(errc::invalid_argument,
                        "missing artifact type for OCI image-spec v1.1 artifacts: set one with "
                        "--artifact-type, or use --image-spec v1.0");
        }
    }
    if (f.config_flag->count() > 0 && f.artifact_platform_flag->count() > 0) {
        throw error(errc::invalid_argument,
                    "--config, --artifact-platform cannot be used at the same time");
    }
    if (f.image_spec == "v1.0" && !f.config.empty() && !f.artifact_type.empty()) {
        throw error(errc::invalid_argument,
                    "--artifact-type and --config cannot both be provided for 1.0 OCI image");
    }
    if (!f.artifact_platform.empty()) {
        auto p = ops::parse_platform(f.artifact_platform);
        if (!p) {
            throw error(p.error());
        }
        o.artifact_platform = std::move(*p);
    }
    o.annotations = f.packing.annotations_map();
    o.version = f.image_spec == "v1.0" ? ops::manifest_version::v1_0 : ops::manifest_version::v1_1;
    o.concurrency = f.concurrency;
    o.traverse_existing = f.force;
    o.disable_path_validation = f.packing.disable_path_validation;
    f.packing.check_paths(o.files);
    o.tree_cache = tree_cache_from_environment();

    auto inputs = o.files;
    if (o.config) {
        inputs.push_back(*o.config);
    }
    f.packing.check_export(inputs, f.format.json());
    boost::asio::io_context io;
    auto t = ops::open_target(io.get_executor(), f.target.location(f.ref), ops::open_mode::write);
    created_layout cleanup(t);
    if (!f.target.layout() && !t.reference.empty() && t.tags.empty()) {
        throw error(errc::invalid_reference, "a digest cannot be pushed to");
    }
    o.tags = t.tags;
    const auto tags = t.tags;
    progress_display display(f.target.tty(!f.format.json()), !f.format.json(), "Uploading",
                             "Uploaded");
    if (o.files.empty()) {
        display.note("Uploading empty artifact");  // as oras, when no file is given
    }
    o.progress = display.callback();
    const auto r = wait(io, ops::push(*t.target, std::move(o)));
    f.packing.warn_unused(r.unused_annotation_keys);
    cleanup.keep();
    display.done();
    f.packing.export_manifest(r.manifest_bytes);
    const auto shown = std::string(f.target.layout() ? "[oci-layout] " : "[registry] ")
                       + f.ref.substr(0, f.ref.find(','));
    print_push(std::cout, f.format.value, shown, f.target.repository(f.ref), tags, r);
    return 0;
}

}  // namespace

void add_push(app& a) {
    auto f = std::make_shared<push_flags>();
    auto* cmd = a.cli.add_subcommand("push", "Push files and directories as an artifact");
    cmd->footer(
        "Examples:\n"
        "  oras-cpp push localhost:5000/hello:v1 hi.txt\n"
        "  oras-cpp push localhost:5000/hello:v1,latest hi.txt:text/plain dir/\n"
        "  oras-cpp push --artifact-type application/vnd.example+type "
        "-a org.example.k=v localhost:5000/hello:v1 hi.txt\n"
        "  oras-cpp push --oci-layout layout-dir:v1 hi.txt\n"
        "  oras-cpp push --artifact-platform linux/arm/v5 localhost:5000/hello:v1 hi.txt");
    cmd->add_option("reference", f->ref, "REGISTRY/REPOSITORY[:TAG[,TAG...]] (or DIR[:TAG])")
        ->required();
    cmd->add_option("files", f->files, "FILE[:TYPE] or DIR[:TYPE]");
    f->config_flag = cmd->add_option("--config", f->config, "Config file, PATH[:TYPE]");
    cmd->add_option("--artifact-type", f->artifact_type, "Artifact type");
    f->packing.add(*cmd);
    f->image_spec_flag =
        cmd->add_option("--image-spec", f->image_spec,
                        "Manifest version: v1.1 or v1.0 (default v1.1; v1.0 for a --config "
                        "without --artifact-type)")
            ->check(CLI::IsMember({"v1.1", "v1.0"}));
    f->artifact_platform_flag =
        cmd->add_option("--artifact-platform", f->artifact_platform,
                        "[Experimental] The platform the artifact is for, "
                        "os[/arch][/variant][:os_version], written as its config");
    cmd->add_flag("--force", f->force,
                  "When the destination has the manifest already, still check what it references "
                  "and push it again (a partly populated destination)");
    add_concurrency(*cmd, f->concurrency, "Blobs transferred at once");
    f->target.add(*cmd);
    f->format.add(*cmd, {"text", "json"}, true);
    a.commands.push_back({cmd, [f] { return run_push(*f); }, [f] { return f->ref; }, &f->format});
}

}  // namespace oras::cli

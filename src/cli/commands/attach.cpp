// oras-cpp attach: an artifact that refers to another (a signature, an SBOM).
#include "cli/commands/commands.hpp"
#include "cli/display/json.hpp"
#include "cli/display/progress.hpp"
#include "cli/options/cache.hpp"
#include "cli/options/packing.hpp"
#include "cli/options/target.hpp"
#include "cli/wait.hpp"

#include <oras/error.hpp>
#include <oras/ops/attach.hpp>

#include <iostream>

namespace oras::cli {

namespace {

struct attach_flags {
    std::string ref;
    std::vector<std::string> files;
    std::string artifact_type;
    std::string config;
    packing_flags packing;
    std::size_t concurrency = 5;
    target_flags target;
    platform_flags platform;
    format_flags format;
};

int run_attach(attach_flags& f) {
    ops::attach_options o;
    o.artifact_type = f.artifact_type;
    for (const auto& file : f.files) {
        o.files.push_back(parse_file_arg(file));
    }
    o.annotations = f.packing.annotations_map();
    o.platform = f.platform.get();
    if (!f.config.empty()) {
        if (o.platform) {
            throw error(errc::invalid_argument,
                        "--config, --platform cannot be used at the same time");
        }
        o.config = parse_config_arg(f.config);
    }
    o.concurrency = f.concurrency;
    o.disable_path_validation = f.packing.disable_path_validation;
    f.packing.check_paths(o.files);
    o.tree_cache = tree_cache_from_environment();
    auto inputs = o.files;
    if (o.config) {
        inputs.push_back(*o.config);
    }
    f.packing.check_export(inputs, f.format.json());
    boost::asio::io_context io;
    auto t = ops::open_target(io.get_executor(), f.target.location(f.ref), ops::open_mode::update);
    require_one_tag(t);
    if (t.reference.empty()) {
        throw error(errc::invalid_reference, "name the subject by tag or digest");
    }
    progress_display display(f.target.tty(!f.format.json()), !f.format.json(), "Uploading",
                             "Uploaded");
    if (o.files.empty()) {
        display.note("Uploading empty artifact");  // as oras, when no file is given
    }
    o.progress = display.callback();
    const auto r = wait(io, ops::attach(*t.target, t.reference, std::move(o)));
    f.packing.warn_unused(r.unused_annotation_keys);
    display.done();
    f.packing.export_manifest(r.manifest_bytes);
    if (f.format.json()) {
        std::cout << pretty(reference_json(
            f.target.repository(f.ref) + "@" + (r.manifest.digest.str()), r.manifest));
        return 0;
    }
    std::cout << "Attached to " << (f.target.layout() ? "[oci-layout] " : "[registry] ")
              << f.target.repository(f.ref) + "@" + (r.subject.digest.str()) << "\n"
              << "Digest: " << r.manifest.digest.str() << "\n";
    return 0;
}

}  // namespace

void add_attach(app& a) {
    auto f = std::make_shared<attach_flags>();
    auto* cmd =
        a.cli.add_subcommand("attach", "Attach files to an existing artifact as a referrer");
    cmd->footer(
        "Examples:\n"
        "  oras-cpp attach --artifact-type doc/example localhost:5000/hello:v1 hi.txt\n"
        "  oras-cpp attach --artifact-type doc/example localhost:5000/hello:v1 "
        "hi.txt:application/vnd.me.hi\n"
        "  oras-cpp attach --artifact-type doc/example -a key=value "
        "localhost:5000/hello@sha256:9a20...\n"
        "  oras-cpp attach --oci-layout --artifact-type doc/example layout-dir:v1 hi.txt");
    cmd->add_option("reference", f->ref, "The subject: REGISTRY/REPOSITORY{:TAG|@DIGEST}")
        ->required();
    cmd->add_option("files", f->files, "FILE[:TYPE] to attach");
    cmd->add_option("--artifact-type", f->artifact_type, "The referrer's artifact type")
        ->required();
    cmd->add_option("--config", f->config, "Config file of the referrer, PATH[:TYPE]");
    f->packing.add(*cmd);
    add_concurrency(*cmd, f->concurrency, "Blobs transferred at once");
    f->platform.add(*cmd, "Attach to the subject's manifest for os[/arch][/variant][:os_version]");
    f->target.add(*cmd, true, true);
    f->format.add(*cmd, {"text", "json"}, true);
    a.commands.push_back({cmd, [f] { return run_attach(*f); }, [f] { return f->ref; }, &f->format});
}

}  // namespace oras::cli

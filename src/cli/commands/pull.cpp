// oras-cpp pull: an artifact's titled files into a directory.
#include "cli/commands/commands.hpp"
#include "cli/display/progress.hpp"
#include "cli/display/results.hpp"
#include "cli/options/cache.hpp"
#include "cli/options/packing.hpp"
#include "cli/options/target.hpp"
#include "cli/wait.hpp"

#include <oras/error.hpp>
#include <oras/ops/pull.hpp>

#include <filesystem>
#include <iostream>

namespace oras::cli {

namespace {

struct pull_flags {
    std::string ref;
    std::string output = ".";
    bool keep_old_files = false;
    bool include_subject = false;
    bool allow_path_traversal = false;
    std::string config;
    std::vector<std::string> media_types;
    std::size_t concurrency = 5;
    target_flags target;
    platform_flags platform;
    format_flags format;
};

int run_pull(pull_flags& f) {
    if (f.allow_path_traversal) {
        // Not a flag to take and ignore: the files it is for would not be written.
        throw error(errc::invalid_argument,
                    "--allow-path-traversal is not supported: oras-cpp writes nothing outside the "
                    "output directory, whatever the titles say (pull into a directory that holds "
                    "every path instead)");
    }
    ops::pull_options o;
    o.output = f.output;
    o.keep_old_files = f.keep_old_files;
    o.include_subject = f.include_subject;
    if (!f.config.empty()) {
        const auto c = parse_file_arg(f.config);
        o.config_title = c.path;
        o.config_media_type = c.media_type;
    }
    o.media_types = f.media_types;
    o.concurrency = f.concurrency;
    o.platform = f.platform.get();
    o.cache = cache_from_environment();
    boost::asio::io_context io;
    auto t = ops::open_target(io.get_executor(), f.target.location(f.ref), ops::open_mode::read);
    if (t.reference.empty()) {
        throw error(errc::invalid_reference,
                    !f.target.oci_layout_path.empty()
                        ? "name a tag or digest in the layout " + f.target.oci_layout_path
                    : f.target.oci_layout
                        ? std::string("name a tag or digest of the layout: DIR:TAG or DIR@DIGEST")
                        : std::string("name a tag or a digest"));
    }
    if (t.tags.size() > 1) {
        throw error(errc::invalid_reference, "pull one tag at a time");
    }
    progress_display display(f.target.tty(!f.format.json()), !f.format.json(), "Downloading",
                             "Downloaded");
    o.progress = display.callback();
    const auto cache = o.cache;
    // The output directories this pull makes: a pull that fails takes back those it left
    // empty, as oras (which makes them only when it writes) leaves none.
    std::vector<std::filesystem::path> made;
    for (auto p = std::filesystem::absolute(o.output).lexically_normal();
         !p.empty() && !std::filesystem::exists(std::filesystem::symlink_status(p));
         p = p.parent_path()) {
        made.push_back(p);
        if (p == p.parent_path()) {
            break;
        }
    }
    ops::pull_result r;
    try {
        r = wait(io, ops::pull(*t.target, t.reference, std::move(o)));
    } catch (...) {
        for (const auto& dir : made) {  // deepest first; only empty ones go
            std::error_code ec;
            if (std::filesystem::is_empty(dir, ec) && !ec) {
                std::filesystem::remove(dir, ec);
            }
        }
        throw;
    }
    display.done();
    if (cache) {
        cache->trim();
    }
    const auto shown = std::string(f.target.layout() ? "[oci-layout] " : "[registry] ") + f.ref;
    print_pull(std::cout, f.format.value, shown, f.ref, f.target.repository(f.ref), r);
    return 0;
}

}  // namespace

void add_pull(app& a) {
    auto f = std::make_shared<pull_flags>();
    auto* cmd = a.cli.add_subcommand("pull", "Pull an artifact's files");
    cmd->footer(
        "Examples:\n"
        "  oras-cpp pull localhost:5000/hello:v1\n"
        "  oras-cpp pull -o out localhost:5000/hello@sha256:9a20...\n"
        "  oras-cpp pull --platform linux/arm64 localhost:5000/hello:v1\n"
        "  oras-cpp pull --oci-layout layout-dir:v1");
    cmd->add_option("reference", f->ref, "REGISTRY/REPOSITORY:TAG or @DIGEST (or DIR:TAG)")
        ->required();
    cmd->add_option("-o,--output", f->output, "Output directory");
    cmd->add_flag("-k,--keep-old-files", f->keep_old_files, "Do not replace existing files");
    cmd->add_flag("--include-subject", f->include_subject,
                  "Also pull the files of the artifact's subject, recursively");
    cmd->add_option("--config", f->config,
                    "PATH[:TYPE]: write the manifest's config (of that media type) to PATH in "
                    "the output directory");
    cmd->add_flag("-T,--allow-path-traversal", f->allow_path_traversal,
                  "Refused: nothing is written outside the output directory");
    add_repeatable(*cmd, "--media-type", f->media_types, "Only layers of this media type");
    add_concurrency(*cmd, f->concurrency, "Blobs transferred at once");
    f->platform.add(*cmd);
    f->target.add(*cmd);
    f->format.add(*cmd, {"text", "json"}, true);
    a.commands.push_back({cmd, [f] { return run_pull(*f); }, [f] { return f->ref; }, &f->format});
}

}  // namespace oras::cli

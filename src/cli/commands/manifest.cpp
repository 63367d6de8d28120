// oras-cpp manifest fetch / fetch-config / push / delete.
#include "cli/commands/commands.hpp"
#include "cli/commands/delete.hpp"
#include "cli/display/json.hpp"
#include "cli/display/results.hpp"
#include "cli/files.hpp"
#include "cli/options/cache.hpp"
#include "cli/options/target.hpp"
#include "cli/wait.hpp"

#include <oras/error.hpp>
#include <oras/ops/manage.hpp>

#include <algorithm>
#include <iostream>

namespace oras::cli {

namespace {

/// The bytes of a JSON document as `--pretty` asks: indented, or exactly as they are.
std::string shown(const std::string& bytes, bool pretty_json) {
    return pretty_json ? indented(bytes) : bytes;
}

struct manifest_fetch_flags {
    std::string ref;
    std::string output;
    std::vector<std::string> media_types;
    descriptor_flags desc;
    target_flags target;
    platform_flags platform;
    format_flags format;
    bool config = false;  // fetch-config
};

int run_manifest_fetch(manifest_fetch_flags& f) {
    if (f.desc.descriptor && f.output == "-") {
        throw error(errc::invalid_argument, "--descriptor and --output - exclude each other");
    }
    if (f.format.json() && f.output == "-") {
        // As oras: both would be printed to stdout.
        throw error(errc::invalid_argument,
                    "`--output -` cannot be used with `--format json` at the same time");
    }
    if (f.format.json() && (f.desc.pretty || f.desc.descriptor)) {
        throw error(errc::invalid_argument, "--format json excludes --pretty and --descriptor");
    }
    if (f.target.layout() && !f.media_types.empty()) {
        throw error(errc::invalid_argument, "--media-type and --oci-layout exclude each other");
    }
    ops::fetch_manifest_options o;
    o.platform = f.platform.get();
    // A comma-separated list, as oras's string-slice flag takes it, or the flag repeated.
    for (const auto& given : f.media_types) {
        for (std::size_t start = 0; start <= given.size();) {
            const auto comma = std::min(given.find(',', start), given.size());
            if (comma > start) {
                o.media_types.push_back(given.substr(start, comma - start));
            }
            start = comma + 1;
        }
    }
    o.cache = cache_from_environment();
    const auto cache = o.cache;
    boost::asio::io_context io;
    auto t = ops::open_target(io.get_executor(), f.target.location(f.ref), ops::open_mode::read);
    require_one_tag(t);
    if (t.reference.empty()) {
        throw error(errc::invalid_reference, "name a tag or digest to fetch");
    }
    const auto m = f.config ? wait(io, ops::fetch_config(*t.target, t.reference, std::move(o)))
                            : wait(io, ops::fetch_manifest(*t.target, t.reference, std::move(o)));
    if (cache && cache->stats().stored > 0) {  // only a cache that grew can exceed its bound
        cache->trim();
    }
    if (!f.output.empty() && f.output != "-") {
        write_output(f.output, m.bytes, f.config ? "config" : "manifest");
    }
    if (f.format.json()) {
        auto j = reference_json(f.target.repository(f.ref) + "@" + m.desc.digest.str(), m.desc);
        boost::system::error_code ec;
        j["content"] = boost::json::parse(m.bytes, ec);
        std::cout << pretty(j);
        return 0;
    }
    if (f.desc.descriptor) {
        print_descriptor(std::cout, m.desc, f.desc.pretty);
    } else if (f.output.empty() || f.output == "-") {
        const auto out = shown(m.bytes, f.desc.pretty);
        std::cout.write(out.data(), static_cast<std::streamsize>(out.size()));
    }
    return 0;
}

struct manifest_push_flags {
    std::string ref;
    std::string file;
    std::string media_type;
    std::size_t concurrency = 5;
    descriptor_flags desc;
    target_flags target;
};

int run_manifest_push(manifest_push_flags& f) {
    if (f.file == "-" && f.target.remote.password_stdin) {
        throw error(errc::invalid_argument,
                    "the manifest and --password-stdin cannot both be read from stdin");
    }
    const auto bytes = read_input(f.file, "manifest file", 4 * 1024 * 1024);
    // Checked before connecting: a bad manifest sends nothing.
    const auto type = ops::check_manifest(bytes, f.media_type);
    if (!type) {
        throw error(type.error());
    }
    boost::asio::io_context io;
    auto t = ops::open_target(io.get_executor(), f.target.location(f.ref), ops::open_mode::write);
    created_layout cleanup(t);
    if (!t.reference.empty() && t.tags.empty()) {
        // A digest: the manifest must be that one.
        if (digest::of(bytes).str() != t.reference) {
            throw error(errc::digest_mismatch, "the manifest's digest is " + digest::of(bytes).str()
                                                   + ", not " + t.reference);
        }
    }
    const auto r = wait(io, ops::push_manifest(*t.target, bytes, *type, t.tags, f.concurrency));
    cleanup.keep();
    if (f.desc.descriptor) {
        print_descriptor(std::cout, r.desc, f.desc.pretty);
        return 0;
    }
    print_pushed_item(std::cout, r.desc, r.existed);
    // As oras: the reference as given, its first tag or its digest.
    const auto named = !t.tags.empty()       ? ":" + t.tags.front()
                       : t.reference.empty() ? std::string()
                                             : "@" + t.reference;
    if (!f.target.oci_layout_path.empty()) {
        // The reference is all of it: as oras, the name given (the first of a list).
        std::cout << "Pushed: " << t.display.substr(0, t.display.find(',')) << "\n";
    } else {
        std::cout << "Pushed: " << (f.target.layout() ? "[oci-layout] " : "[registry] ")
                  << f.target.repository(f.ref) << named << "\n";
    }
    for (std::size_t i = 1; i < t.tags.size(); ++i) {
        std::cout << "Tagged " << t.tags[i] << "\n";
    }
    std::cout << "Digest: " << r.desc.digest.str() << "\n";
    return 0;
}

boost::asio::awaitable<descriptor> find_manifest(content::target& t, std::string reference) {
    co_return co_await t.resolve(std::move(reference));
}

boost::asio::awaitable<descriptor> remove_manifest(content::target& t, descriptor d) {
    co_return co_await ops::delete_manifest(t, d.digest.str());
}

}  // namespace

void add_manifest(app& a) {
    auto* group = a.cli.add_subcommand(
        "manifest", "Fetch, push and delete manifests; create and update indexes");
    group->require_subcommand(1);

    for (const bool config : {false, true}) {
        auto f = std::make_shared<manifest_fetch_flags>();
        f->config = config;
        auto* cmd = config ? group->add_subcommand("fetch-config", "Fetch a manifest's config")
                           : group->add_subcommand("fetch", "Fetch a manifest, byte for byte");
        cmd->alias(config ? "get-config" : "get");
        if (!config) {
            cmd->alias("show");
        }
        cmd->footer(config ? "Examples:\n"
                             "  oras-cpp manifest fetch-config localhost:5000/hello:v1\n"
                             "  oras-cpp manifest fetch-config --output config.json "
                             "localhost:5000/hello:v1\n"
                             "  oras-cpp manifest fetch-config --descriptor --pretty "
                             "localhost:5000/hello:v1"
                           : "Examples:\n"
                             "  oras-cpp manifest fetch localhost:5000/hello:v1\n"
                             "  oras-cpp manifest fetch --descriptor localhost:5000/hello:v1\n"
                             "  oras-cpp manifest fetch --pretty --platform linux/arm/v5 "
                             "localhost:5000/hello:v1\n"
                             "  oras-cpp manifest fetch -o manifest.json localhost:5000/hello:v1\n"
                             "  oras-cpp manifest fetch --oci-layout layout-dir:v1");
        cmd->add_option("reference", f->ref, "REGISTRY/REPOSITORY{:TAG|@DIGEST}")->required();
        cmd->add_option("-o,--output", f->output, "Write to this file (- for stdout)");
        f->desc.add(*cmd);
        f->platform.add(*cmd);
        f->target.add(*cmd, true, false, false);
        if (!config) {
            add_repeatable(*cmd, "--media-type", f->media_types,
                           "Accept only this media type (repeatable)");
            f->format.add(*cmd, {"text", "json"}, true);
        } else {
            f->format.value = "text";
        }
        a.commands.push_back({cmd, [f] { return run_manifest_fetch(*f); }, [f] { return f->ref; },
                              config ? nullptr : &f->format});
    }

    auto p = std::make_shared<manifest_push_flags>();
    auto* cmd = group->add_subcommand("push", "Push a manifest from a file or stdin");
    cmd->footer(
        "Examples:\n"
        "  oras-cpp manifest push localhost:5000/hello:v1 manifest.json\n"
        "  oras-cpp manifest push localhost:5000/hello:tag1,tag2,tag3 manifest.json\n"
        "  oras-cpp manifest push --media-type application/vnd.oci.image.manifest.v1+json "
        "localhost:5000/hello:v1 -\n"
        "  oras-cpp manifest push --oci-layout layout-dir:v1 manifest.json");
    cmd->add_option("reference", p->ref, "REGISTRY/REPOSITORY[:TAG[,TAG...]|@DIGEST]")->required();
    cmd->add_option("file", p->file, "The manifest file, or - for stdin")->required();
    cmd->add_option("--media-type", p->media_type,
                    "The manifest's media type (default: its mediaType)");
    add_concurrency(*cmd, p->concurrency, "Tags set at once");
    p->desc.add(*cmd);
    p->target.add(*cmd, true, true, false);
    a.commands.push_back({cmd, [p] { return run_manifest_push(*p); }, [p] { return p->ref; }});

    auto d = std::make_shared<delete_flags>();
    add_manifest_index(a, *group);

    cmd = group->add_subcommand("delete", "Delete a manifest and every tag on it");
    cmd->alias("remove");
    cmd->alias("rm");
    cmd->footer(
        "Examples:\n"
        "  oras-cpp manifest delete localhost:5000/hello:v1\n"
        "  oras-cpp manifest delete --force localhost:5000/hello@sha256:9a20...\n"
        "  oras-cpp manifest delete --descriptor --force localhost:5000/hello:v1");
    d->add(*cmd, "REGISTRY/REPOSITORY{:TAG|@DIGEST}", true);
    a.commands.push_back(
        {cmd,
         [d] {
             return run_delete(*d, find_manifest, remove_manifest, [](const descriptor& found) {
                 return "Are you sure you want to delete the "
                        "manifest \""
                        + found.digest.str() + "\" and all tags associated with it?";
             });
         },
         [d] { return d->ref; }});
}

}  // namespace oras::cli

// oras-cpp: the command-line tool. Flags follow the ORAS CLI's names.
#include <oras/error.hpp>
#include <oras/ops/blocking.hpp>
#include <oras/reference.hpp>
#include <oras/version.hpp>

#include "cli/mirror_config.hpp"
#include "cli/output.hpp"

#include <openssl/crypto.h>
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <boost/version.hpp>

#include <unistd.h>

#include <fstream>
#include <iostream>
#include <sstream>

namespace {

namespace fs = std::filesystem;

/// How to reach one registry: `--plain-http`, `--ca-file`, `-u`... or, for one end of `cp`,
/// the same with a `--from-` / `--to-` prefix.
struct remote_flags {
    bool plain_http = false;
    bool insecure = false;
    std::string ca_file;
    std::string username;
    std::string password;
    bool password_stdin = false;
    std::string registry_config;

    /// `prefix` is "" or "from-" / "to-"; `whose` says which registry in the help texts.
    void add(CLI::App& cmd, const std::string& prefix = "", const std::string& whose = "") {
        const std::string of = whose.empty() ? "" : " (" + whose + ")";
        cmd.add_flag("--" + prefix + "plain-http", plain_http,
                     "Use plain http instead of https" + of);
        cmd.add_flag("--" + prefix + "insecure", insecure,
                     "Do not verify the registry's TLS certificate" + of);
        cmd.add_option("--" + prefix + "ca-file", ca_file,
                       "Trust the CA certificates in this PEM file" + of)
            ->check(CLI::ExistingFile);
        const std::string u = prefix.empty() ? "-u,--username" : "--" + prefix + "username";
        const std::string p = prefix.empty() ? "-p,--password" : "--" + prefix + "password";
        cmd.add_option(u, username, "Registry user name" + of);
        cmd.add_option(p, password, "Registry password or identity token" + of);
        cmd.add_flag("--" + prefix + "password-stdin", password_stdin,
                     "Read the password from stdin" + of);
        cmd.add_option("--" + prefix + "registry-config", registry_config,
                       "Credentials file (default: Docker's config.json)" + of);
    }

    oras::blocking::remote_options remote() {
        oras::blocking::remote_options r;
        r.plain_http = plain_http;
        r.insecure = insecure;
        r.ca_file = ca_file;
        if (password_stdin) {
            if (!password.empty()) {
                throw oras::error(oras::errc::invalid_argument,
                                  "--password and --password-stdin exclude each other");
            }
            std::getline(std::cin, password);
            while (!password.empty() && (password.back() == '\r' || password.back() == '\n')) {
                password.pop_back();
            }
        }
        if (!username.empty() || !password.empty()) {
            r.credentials.explicit_credential.username = username;
            if (username.empty()) {
                r.credentials.explicit_credential.identity_token = password;
            } else {
                r.credentials.explicit_credential.password = password;
            }
        }
        r.credentials.config_path = registry_config;
        return r;
    }
};

struct common_flags {
    remote_flags remote_;
    std::string& registry_config = remote_.registry_config;
    bool no_tty = false;
    std::string format = "text";
    bool oci_layout = false;

    void add_remote(CLI::App& cmd) { remote_.add(cmd); }
    void add_output(CLI::App& cmd) {
        cmd.add_flag("--no-tty", no_tty, "Plain output even on a terminal");
        cmd.add_option("--format", format, "Output format: text or json")
            ->check(CLI::IsMember({"text", "json"}));
    }

    oras::blocking::remote_options remote() { return remote_.remote(); }

    bool tty() const { return !no_tty && format == "text" && ::isatty(STDERR_FILENO) != 0; }
};

/// `PATH[:TYPE]`: the media type after the last colon, if what follows looks like one.
oras::ops::push_file parse_file_arg(const std::string& arg) {
    oras::ops::push_file f;
    const auto colon = arg.rfind(':');
    if (colon != std::string::npos && colon + 1 < arg.size()
        && arg.find('/', colon) != std::string::npos) {
        f.path = arg.substr(0, colon);
        f.media_type = arg.substr(colon + 1);
    } else {
        f.path = arg;
    }
    return f;
}

/// `DIR[:TAG]` or `DIR@DIGEST` of --oci-layout.
std::pair<fs::path, std::string> parse_layout_arg(const std::string& arg) {
    auto split = oras::blocking::split_layout_reference(arg);
    return {std::move(split.dir), std::move(split.reference)};
}

std::string slurp(const fs::path& p, std::string_view what) {
    std::ifstream in(p, std::ios::binary);
    if (!in) {
        throw oras::error(oras::errc::invalid_argument,
                          "cannot read the " + std::string(what) + " \"" + p.string() + "\"");
    }
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

int run_push(common_flags& c, const std::string& ref, const std::vector<std::string>& files,
             const std::string& config, const std::string& artifact_type,
             const std::vector<std::string>& annotations, const std::string& annotation_file,
             const std::string& image_spec, std::size_t concurrency,
             const std::string& export_manifest, bool disable_path_validation) {
    oras::ops::push_options o;
    for (const auto& f : files) {
        o.files.push_back(parse_file_arg(f));
    }
    if (!config.empty()) {
        o.config = parse_file_arg(config);
    }
    o.artifact_type = artifact_type;
    if (!annotation_file.empty()) {
        auto parsed = oras::ops::parse_annotation_file(slurp(annotation_file, "annotation file"),
                                                       annotation_file);
        if (!parsed) {
            throw oras::error(parsed.error());
        }
        o.annotations = std::move(*parsed);
    }
    for (const auto& a : annotations) {
        const auto eq = a.find('=');
        if (eq == std::string::npos || eq == 0) {
            throw oras::error(oras::errc::invalid_argument,
                              "--annotation \"" + a + "\" is not KEY=VALUE");
        }
        o.annotations["$manifest"][a.substr(0, eq)] = a.substr(eq + 1);
    }
    o.version = image_spec == "v1.0" ? oras::ops::manifest_version::v1_0
                                     : oras::ops::manifest_version::v1_1;
    o.concurrency = concurrency;
    o.disable_path_validation = disable_path_validation;
    oras::cli::progress_display display(c.tty(), c.format == "text", "Uploading", "Uploaded");
    o.progress = display.callback();

    oras::ops::push_result r;
    std::string shown = ref;
    if (c.oci_layout) {
        auto [dir, tags] = parse_layout_arg(ref);
        if (!tags.empty()) {
            auto list = oras::parse_tag_list(tags);
            if (!list) {
                throw oras::error(list.error());
            }
            o.tags = std::move(*list);
        }
        r = oras::blocking::push_layout(dir, std::move(o));
    } else {
        r = oras::blocking::push(ref, std::move(o), c.remote());
    }
    display.done();
    if (!export_manifest.empty()) {
        std::ofstream(export_manifest, std::ios::binary) << r.manifest_bytes;
    }
    oras::cli::print_push(std::cout, c.format, shown, r);
    return 0;
}

int run_pull(common_flags& c, const std::string& ref, const std::string& output,
             bool keep_old_files, const std::vector<std::string>& media_types,
             std::size_t concurrency) {
    oras::ops::pull_options o;
    o.output = output;
    o.keep_old_files = keep_old_files;
    o.media_types = media_types;
    o.concurrency = concurrency;
    oras::cli::progress_display display(c.tty(), c.format == "text", "Downloading", "Downloaded");
    o.progress = display.callback();
    oras::ops::pull_result r;
    if (c.oci_layout) {
        auto [dir, tag] = parse_layout_arg(ref);
        if (tag.empty()) {
            throw oras::error(oras::errc::invalid_reference,
                              "name a tag or digest of the layout: DIR:TAG or DIR@DIGEST");
        }
        r = oras::blocking::pull_layout(dir, tag, std::move(o));
    } else {
        r = oras::blocking::pull(ref, std::move(o), c.remote());
    }
    display.done();
    oras::cli::print_pull(std::cout, c.format, ref, r);
    return 0;
}

struct copy_flags {
    remote_flags from;
    remote_flags to;
    bool from_layout = false;
    bool to_layout = false;
    bool recursive = false;
    std::string platform;
    std::size_t concurrency = 3;
};

int run_copy(common_flags& c, copy_flags& f, const std::string& src, const std::string& dst) {
    oras::ops::copy_options o;
    o.recursive = f.recursive;
    o.concurrency = f.concurrency;
    if (!f.platform.empty()) {
        auto p = oras::ops::parse_platform(f.platform);
        if (!p) {
            throw oras::error(p.error());
        }
        o.platform = std::move(*p);
    }
    oras::blocking::copy_endpoint from{src, f.from_layout, {}};
    oras::blocking::copy_endpoint to{dst, f.to_layout, {}};
    if (f.from.password_stdin && f.to.password_stdin) {
        throw oras::error(oras::errc::invalid_argument,
                          "--from-password-stdin and --to-password-stdin exclude each other");
    }
    if (!f.from_layout) {
        from.remote = f.from.remote();
    }
    if (!f.to_layout) {
        to.remote = f.to.remote();
    }
    oras::cli::progress_display display(c.tty(), c.format == "text", "Copying", "Copied");
    o.progress = display.callback();
    const auto r = oras::blocking::copy(from, to, std::move(o));
    display.done();
    const std::string from_text = (f.from_layout ? "[oci-layout] " : "[registry] ") + src;
    const std::string to_text = (f.to_layout ? "[oci-layout] " : "[registry] ") + dst;
    oras::cli::print_copy(std::cout, c.format, from_text, to_text, r);
    return 0;
}

struct mirror_flags {
    std::string config;
    std::string from;
    std::string to;
    std::vector<std::string> tags;
    std::vector<std::string> exclude_tags;
    bool recursive = false;
    std::string platform;
    std::size_t concurrency = 8;
    bool dry_run = false;
    std::string shard;
    remote_flags from_remote;
    remote_flags to_remote;
};

/// The compiler this binary was built with, for `version`.
std::string compiler() {
#if defined(__clang__)
    return "clang " __clang_version__;
#elif defined(__GNUC__)
    return "g++ " __VERSION__;
#else
    return "unknown";
#endif
}

/// The registry of a mirror source or destination (`host/...`), or "" for a layout.
std::string registry_of(const std::string& location) {
    if (location.starts_with("oci-layout:")) {
        return {};
    }
    return location.substr(0, location.find('/'));
}

int run_mirror(common_flags& c, mirror_flags& f, CLI::App& cmd) {
    oras::ops::mirror_options o;
    oras::ops::mirror_plan plan;
    if (!f.config.empty()) {
        if (!f.from.empty() || !f.to.empty()) {
            throw oras::error(oras::errc::invalid_argument,
                              "give either --config FILE or FROM TO, not both");
        }
        auto parsed = oras::cli::parse_mirror_config(
            slurp(f.config, "mirror configuration"), f.config,
            [](const std::string& name) -> std::optional<std::string> {
                const char* v = std::getenv(name.c_str());
                return v == nullptr ? std::nullopt : std::optional<std::string>(v);
            });
        if (!parsed) {
            throw oras::error(parsed.error());
        }
        plan = std::move(parsed->plan);
        if (parsed->concurrency && cmd.count("--concurrency") == 0) {
            f.concurrency = *parsed->concurrency;
        }
    } else {
        if (f.from.empty() || f.to.empty()) {
            throw oras::error(oras::errc::invalid_argument, "give FROM and TO, or --config FILE");
        }
        oras::ops::mirror_rule rule;
        rule.from = f.from;
        rule.to = f.to;
        rule.tags.allow = f.tags;
        rule.tags.deny = f.exclude_tags;
        rule.referrers = f.recursive;
        if (!f.platform.empty()) {
            auto p = oras::ops::parse_platform(f.platform);
            if (!p) {
                throw oras::error(p.error());
            }
            rule.platform = std::move(*p);
        }
        if (f.from_remote.password_stdin && f.to_remote.password_stdin) {
            throw oras::error(oras::errc::invalid_argument,
                              "--from-password-stdin and --to-password-stdin exclude each other");
        }
        const auto from_host = registry_of(f.from);
        const auto to_host = registry_of(f.to);
        if (!to_host.empty() && to_host != from_host) {
            plan.registries[to_host] = f.to_remote.remote();
        }
        if (!from_host.empty()) {
            plan.registries[from_host] = f.from_remote.remote();
        }
        plan.rules.push_back(std::move(rule));
    }
    if (!f.shard.empty()) {
        auto shard = oras::ops::parse_shard(f.shard);
        if (!shard) {
            throw oras::error(shard.error());
        }
        o.shard = *shard;
    }
    o.concurrency = f.concurrency;
    o.dry_run = f.dry_run;
    oras::cli::mirror_display display(std::cout, c.tty(), c.format == "text");
    display.attach(o);
    const auto start = std::chrono::steady_clock::now();
    const auto r = oras::blocking::mirror(std::move(plan), std::move(o));
    display.done();
    oras::cli::print_mirror(std::cout, c.format, r, std::chrono::steady_clock::now() - start);
    return r.ok() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"oras-cpp: push and pull OCI artifacts", "oras-cpp"};
    app.set_version_flag("--version", std::string("oras-cpp ") + ORAS_VERSION_STRING);
    app.require_subcommand(1);
    common_flags c;

    std::string ref, config, artifact_type, annotation_file, export_manifest, output = ".";
    std::string image_spec = "v1.1";
    std::vector<std::string> files, annotations, media_types;
    std::size_t concurrency = 5;
    bool disable_path_validation = false, keep_old_files = false;

    auto* push = app.add_subcommand("push", "Push files and directories as an artifact");
    push->add_option("reference", ref, "REGISTRY/REPOSITORY[:TAG[,TAG...]] (or DIR[:TAG])")
        ->required();
    push->add_option("files", files, "FILE[:TYPE] or DIR[:TYPE]");
    push->add_option("--config", config, "Config file, PATH[:TYPE]");
    push->add_option("--artifact-type", artifact_type, "Artifact type");
    // Repeatable flags take one value per occurrence (`-a k1=v1 -a k2=v2`), as in the ORAS CLI:
    // a value list would swallow the positional files that follow.
    push->add_option("-a,--annotation", annotations, "Manifest annotation KEY=VALUE")
        ->allow_extra_args(false);
    push->add_option("--annotation-file", annotation_file,
                     "JSON annotations keyed by $manifest, $config or a file's name");
    push->add_option("--image-spec", image_spec, "Manifest version: v1.1 or v1.0")
        ->check(CLI::IsMember({"v1.1", "v1.0"}));
    push->add_option("--concurrency", concurrency, "Blobs transferred at once")
        ->check(CLI::Range(1, 64));
    push->add_option("--export-manifest", export_manifest, "Also write the manifest here");
    push->add_flag("--disable-path-validation", disable_path_validation,
                   "Allow files outside the working directory");
    push->add_flag("--oci-layout", c.oci_layout, "REFERENCE is an OCI image layout directory");
    c.add_remote(*push);
    c.add_output(*push);

    auto* pull = app.add_subcommand("pull", "Pull an artifact's files");
    pull->add_option("reference", ref, "REGISTRY/REPOSITORY:TAG or @DIGEST (or DIR:TAG)")
        ->required();
    pull->add_option("-o,--output", output, "Output directory");
    pull->add_flag("--keep-old-files", keep_old_files, "Do not replace existing files");
    pull->add_option("--media-type", media_types, "Only layers of this media type")
        ->allow_extra_args(false);
    pull->add_option("--concurrency", concurrency, "Blobs transferred at once")
        ->check(CLI::Range(1, 64));
    pull->add_flag("--oci-layout", c.oci_layout, "REFERENCE is an OCI image layout directory");
    c.add_remote(*pull);
    c.add_output(*pull);

    copy_flags cf;
    std::string dst;
    auto* cp = app.add_subcommand(
        "cp", "Copy an artifact and its graph between registries and OCI layouts");
    cp->footer(
        "Examples:\n"
        "  oras-cpp cp localhost:5000/net-monitor:v1 localhost:6000/net-monitor-copy:v1\n"
        "  oras-cpp cp -r localhost:5000/net-monitor:v1 localhost:6000/net-monitor-copy:v1\n"
        "  oras-cpp cp --to-oci-layout localhost:5000/net-monitor:v1 layout-dir:v1\n"
        "  oras-cpp cp --platform linux/arm64 localhost:5000/app:v1 localhost:6000/app:v1-arm64\n"
        "  oras-cpp cp localhost:5000/net-monitor:v1 localhost:6000/net-monitor:v1,stable");
    cp->add_option("from", ref, "SOURCE{:TAG|@DIGEST} (a registry reference, or DIR:TAG)")
        ->required();
    cp->add_option("to", dst, "DESTINATION[:TAG[,TAG...]] (default: the source tag)")->required();
    cp->add_flag("-r,--recursive", cf.recursive, "Also copy the referrers, recursively");
    cp->add_option("--platform", cf.platform, "From an index, copy only os/arch[/variant]");
    cp->add_option("--concurrency", cf.concurrency, "Blobs transferred at once")
        ->default_val(3)
        ->check(CLI::Range(1, 64));
    cp->add_flag("--from-oci-layout", cf.from_layout, "The source is an OCI image layout");
    cp->add_flag("--to-oci-layout", cf.to_layout, "The destination is an OCI image layout");
    cf.from.add(*cp, "from-", "source");
    cf.to.add(*cp, "to-", "destination");
    c.add_output(*cp);

    mirror_flags mf;
    auto* mirror = app.add_subcommand(
        "mirror", "Mirror repositories and tags between registries (or into OCI layouts)");
    mirror->footer(
        "Examples:\n"
        "  oras-cpp mirror localhost:5000/team/ localhost:6000/mirror/ --tags '^v[0-9]'\n"
        "  oras-cpp mirror localhost:5000/tools/lint oci-layout:/srv/mirror/lint\n"
        "  oras-cpp mirror --config mirror.yaml --shard 0/4 --format json\n"
        "A source ending in '/' is every repository under it (the catalog API); a repository is\n"
        "all its tags; REPO:TAG or REPO@DIGEST one artifact. See docs/mirror.md for --config.");
    mirror->add_option("from", mf.from, "Source: REGISTRY/PREFIX/, REGISTRY/REPO[:TAG|@DIGEST]");
    mirror->add_option("to", mf.to, "Destination: REGISTRY/PREFIX/, REGISTRY/REPO, oci-layout:DIR");
    mirror->add_option("--config", mf.config, "A YAML (or JSON) mirror configuration")
        ->check(CLI::ExistingFile);
    mirror->add_option("--tags", mf.tags, "Only tags matching this regular expression")
        ->allow_extra_args(false);
    mirror
        ->add_option("--exclude-tags", mf.exclude_tags,
                     "Leave out tags matching this regular expression")
        ->allow_extra_args(false);
    mirror->add_flag("-r,--recursive", mf.recursive, "Also copy referrers, recursively");
    mirror->add_option("--platform", mf.platform, "From an index, copy only os/arch[/variant]");
    mirror
        ->add_option("--concurrency", mf.concurrency,
                     "Blobs transferred at once, across all artifacts")
        ->default_val(8)
        ->check(CLI::Range(1, 256));
    mirror->add_flag("--dry-run", mf.dry_run, "Print the plan; write nothing");
    mirror->add_option("--shard", mf.shard,
                       "Mirror only part I of N (I/N, from 0) of the artifacts, e.g. one per "
                       "machine");
    mf.from_remote.add(*mirror, "from-", "source");
    mf.to_remote.add(*mirror, "to-", "destination");
    c.add_output(*mirror);

    std::string registry;
    auto* login = app.add_subcommand("login", "Verify and save a registry's credentials");
    login->add_option("registry", registry, "REGISTRY[:PORT]")->required();
    c.add_remote(*login);
    auto* version = app.add_subcommand("version", "Show the version of oras-cpp and its parts");
    auto* logout = app.add_subcommand("logout", "Forget a registry's credentials");
    logout->add_option("registry", registry, "REGISTRY[:PORT]")->required();
    logout->add_option("--registry-config", c.registry_config, "Credentials file");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    std::string subject = registry.empty() ? ref : registry;
    if (mirror->parsed()) {
        subject = mf.config.empty() ? "mirror" : "mirror --config";
    }
    try {
        if (push->parsed()) {
            return run_push(c, ref, files, config, artifact_type, annotations, annotation_file,
                            image_spec, concurrency, export_manifest, disable_path_validation);
        }
        if (pull->parsed()) {
            return run_pull(c, ref, output, keep_old_files, media_types, concurrency);
        }
        if (cp->parsed()) {
            return run_copy(c, cf, ref, dst);
        }
        if (mirror->parsed()) {
            return run_mirror(c, mf, *mirror);
        }
        if (login->parsed()) {
            auto remote = c.remote();
            auto cred = remote.credentials.explicit_credential;
            if (cred.empty()) {
                throw oras::error(oras::errc::invalid_argument,
                                  "give -u USER with -p PASSWORD or --password-stdin");
            }
            remote.credentials.explicit_credential = {};
            oras::blocking::login(registry, std::move(cred), remote);
            std::cout << "Login Succeeded\n";
            return 0;
        }
        if (version->parsed()) {
            std::cout << "Version:        " << ORAS_VERSION_STRING << "\n"
                      << "Compiler:       " << compiler() << "\n"
                      << "Boost:          " << BOOST_VERSION / 100000 << "."
                      << BOOST_VERSION / 100 % 1000 << "." << BOOST_VERSION % 100 << "\n"
                      << "OpenSSL:        " << OpenSSL_version(OPENSSL_VERSION) << "\n";
            return 0;
        }
        if (logout->parsed()) {
            oras::blocking::remote_options remote;
            remote.credentials.config_path = c.registry_config;
            oras::blocking::logout(registry, remote);
            std::cout << "Removed login credentials for " << registry << "\n";
            return 0;
        }
    } catch (const std::exception& e) {
        oras::cli::print_error(std::cerr, subject, e);
        return 1;
    }
    return 2;
}

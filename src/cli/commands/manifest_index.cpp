// oras-cpp manifest index create / update: an image index built from manifests of one
// repository, as the ORAS CLI (v1.3) builds it, byte for byte.
#include "cli/commands/commands.hpp"
#include "cli/display/json.hpp"
#include "cli/files.hpp"
#include "cli/options/target.hpp"
#include "cli/wait.hpp"
#include "core/rethrow.hpp"

#include <oras/error.hpp>
#include <oras/image_index.hpp>
#include <oras/media_type.hpp>
#include <oras/ops/manage.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <iostream>
#include <set>

namespace oras::cli {

namespace {

namespace asio = boost::asio;

/// Where the index goes and how it is shown: `--output` (a file, or - for stdout, which
/// silences every status line) and `--pretty`.
struct index_output_flags {
    std::string output;
    bool pretty = false;

    void add(CLI::App& cmd) {
        cmd.add_option("-o,--output", output,
                       "Write the index to this file (- for stdout) instead of pushing it");
        cmd.add_flag("--pretty", pretty, "Indent the index written to stdout");
    }
    bool to_stdout() const { return output == "-"; }
    /// Status lines go to stdout unless the index itself does.
    std::ostream& status() const {
        static std::ostream discard(nullptr);
        return to_stdout() ? discard : std::cout;
    }
    /// Writes the index where `--output` asks; false when it is to be pushed instead.
    bool write(const std::string& bytes) const {
        if (output.empty()) {
            return false;
        }
        if (to_stdout()) {
            const std::string shown = pretty ? indented(bytes) : bytes;
            std::cout.write(shown.data(), static_cast<std::streamsize>(shown.size()));
            std::cout.flush();
        } else {
            write_output(output, bytes, "index");  // as oras: never indented in a file
        }
        return true;
    }
};

void check_artifact_type(const std::string& type) {
    if (!type.empty() && !media_type::is_valid(type)) {
        throw error(errc::invalid_media_type, type);  // "TYPE: invalid media type", as oras
    }
}

bool is_digest_text(const std::string& s) {
    return digest::parse(s).has_value();
}

/// `Fetched  DIGEST REF` as oras prints it (the digest once when REF is one).
void print_fetched(std::ostream& out, std::string_view verb, const std::string& ref,
                   const descriptor& d) {
    out << verb;
    if (!is_digest_text(ref)) {
        out << d.digest.str() << " ";
    }
    out << ref << "\n";
}

/// The entry for `ref`, with oras's status lines around the fetch.
descriptor fetch_entry(asio::io_context& io, content::target& t, const std::string& ref,
                       std::ostream& status) {
    status << "Fetching  " << ref << "\n";
    descriptor d;
    try {
        d = wait(io, ops::index_entry(t, ref));
    } catch (const error& e) {
        if (e.code() == errc::invalid_media_type) {
            throw error(e.code(), ref + " is not a manifest");
        }
        oras::detail::rethrow_with("could not find the manifest " + ref);
    }
    print_fetched(status, "Fetched   ", ref, d);
    return d;
}

/// The index `ref` names, with its descriptor.
std::pair<descriptor, image_index> fetch_index(asio::io_context& io, content::target& t,
                                               const std::string& ref, std::ostream& status) {
    status << "Fetching  " << ref << "\n";
    ops::fetched_manifest m;
    try {
        m = wait(io, ops::fetch_manifest(t, ref));
    } catch (const error&) {
        oras::detail::rethrow_with("could not find the index " + ref);
    }
    if (!media_type::is_index(m.desc.media_type)) {
        throw error(errc::invalid_media_type, ref + " is not an index");
    }
    auto parsed = image_index::parse(m.bytes);
    if (!parsed) {
        throw error(parsed.error().code, "index " + ref + ": " + parsed.error().message);
    }
    print_fetched(status, "Fetched   ", ref, m.desc);
    return {m.desc, std::move(*parsed)};
}

/// Pushes the index: tagged with `tags`, or by digest when there are none. `shown_as` names
/// what was pushed, with the first tag when `first_shown`; every other tag is printed as tagged.
void push_index(asio::io_context& io, content::target& t, const std::string& bytes,
                const std::string& type, const std::vector<std::string>& tags,
                const std::string& shown_as, bool first_shown) {
    wait(io, ops::push_manifest(t, bytes, type, tags));
    std::cout << "Pushed    " << shown_as << "\n";
    for (std::size_t i = first_shown ? 1 : 0; i < tags.size(); ++i) {
        std::cout << "Tagged " << tags[i] << "\n";
    }
}

struct index_create_flags {
    std::string ref;
    std::vector<std::string> sources;
    std::string artifact_type;
    std::vector<std::string> annotations;
    index_output_flags out;
    target_flags target;
};

int run_index_create(index_create_flags& f) {
    check_artifact_type(f.artifact_type);
    oras::annotations annotations;
    for (const auto& a : f.annotations) {
        const auto eq = a.find('=');
        if (eq == std::string::npos) {
            throw error(errc::invalid_argument, "--annotation \"" + a
                                                    + "\" is not KEY=VALUE: annotation value "
                                                      "doesn't match the required format");
        }
        if (!annotations.emplace(a.substr(0, eq), a.substr(eq + 1)).second) {
            throw error(errc::invalid_argument, "duplicate annotation key: " + a.substr(0, eq));
        }
    }
    asio::io_context io;
    const auto mode = f.out.output.empty() ? ops::open_mode::write : ops::open_mode::read;
    auto t = ops::open_target(io.get_executor(), f.target.location(f.ref), mode);
    created_layout cleanup(t);
    auto& status = f.out.status();

    image_index index;
    index.media_type = std::string(media_type::image_index);
    index.artifact_type = f.artifact_type;
    index.annotations = std::move(annotations);
    for (const auto& source : f.sources) {
        index.manifests.push_back(fetch_entry(io, *t.target, source, status));
    }
    const auto bytes = index.serialize();
    const auto d = digest::of(bytes);
    status << "Packed    " << d.encoded().substr(0, 12) << " " << media_type::image_index << "\n";
    if (!f.out.write(bytes)) {
        if (t.tags.empty() && !t.reference.empty() && t.reference != d.str()) {
            // oras would push it by its own digest all the same: a digest that is not the
            // index's is more likely a mistake than a wish.
            throw error(errc::digest_mismatch,
                        "the index's digest is " + d.str() + ", not " + t.reference);
        }
        const auto comma = t.display.find(',');
        push_index(io, *t.target, bytes, std::string(media_type::image_index), t.tags,
                   t.display.substr(0, comma), true);
    }
    cleanup.keep();
    if (!f.out.to_stdout()) {
        std::cout << "Digest: " << d.str() << "\n";
    }
    return 0;
}

struct index_update_flags {
    std::string ref;
    std::string artifact_type;
    CLI::Option* artifact_type_option = nullptr;
    std::vector<std::string> add;
    std::vector<std::string> merge;
    std::vector<std::string> remove;
    std::vector<std::string> tags;
    index_output_flags out;
    target_flags target;
};

int run_index_update(index_update_flags& f) {
    if (!f.tags.empty() && !f.out.output.empty()) {
        throw error(errc::invalid_argument, "--tag, --output cannot be used at the same time");
    }
    for (const auto& r : f.remove) {
        if (!is_digest_text(r)) {
            throw error(errc::invalid_argument, "remove: " + r + " is not a digest");
        }
    }
    const bool retype = f.artifact_type_option->count() > 0;
    if (f.add.empty() && f.merge.empty() && f.remove.empty() && !retype) {
        std::cout << "Nothing to update as no change is requested\n";
        return 0;
    }
    check_artifact_type(f.artifact_type);
    asio::io_context io;
    const auto mode = f.out.output.empty() ? ops::open_mode::write : ops::open_mode::read;
    auto t = ops::open_target(io.get_executor(), f.target.location(f.ref), mode);
    if (t.reference.empty()) {
        throw error(errc::invalid_reference,
                    "no tag or digest specified: name the index to update as " + f.ref + ":TAG or "
                        + f.ref + "@DIGEST");
    }
    if (t.tags.size() > 1) {
        throw error(errc::invalid_reference,
                    "name one index to update, not " + std::to_string(t.tags.size()) + " tags");
    }
    created_layout cleanup(t);
    auto& status = f.out.status();

    auto [found, index] = fetch_index(io, *t.target, t.reference, status);
    if (retype) {
        index.artifact_type = f.artifact_type;
    }
    // Removed first (so that what is added back stays), each digest named required.
    std::set<std::string, std::less<>> removed;
    std::vector<descriptor> kept;
    for (auto& m : index.manifests) {
        if (std::find(f.remove.begin(), f.remove.end(), m.digest.str()) != f.remove.end()) {
            removed.insert(m.digest.str());
        } else {
            kept.push_back(std::move(m));
        }
    }
    std::set<std::string, std::less<>> told;
    for (const auto& r : f.remove) {
        if (!removed.contains(r)) {
            throw error(errc::not_found, r + " does not exist in the index " + t.reference);
        }
        if (told.insert(r).second) {
            status << "Removed   " << r << "\n";
        }
    }
    index.manifests = std::move(kept);
    for (const auto& a : f.add) {
        auto d = fetch_entry(io, *t.target, a, status);
        print_fetched(status, "Added     ", a, d);
        index.manifests.push_back(std::move(d));
    }
    for (const auto& m : f.merge) {
        auto [merged_desc, merged] = fetch_index(io, *t.target, m, status);
        for (auto& e : merged.manifests) {
            index.manifests.push_back(std::move(e));
        }
        print_fetched(status, "Merged    ", m, merged_desc);
    }
    const auto bytes = index.serialize();
    const auto d = digest::of(bytes);
    status << "Updated   " << d.str() << "\n";
    if (!f.out.write(bytes)) {
        // A tag moves to the new index; a digest names the old one, which stays as it is.
        std::vector<std::string> tags;
        if (!t.tags.empty()) {
            tags.push_back(t.tags.front());
        }
        tags.insert(tags.end(), f.tags.begin(), f.tags.end());
        const auto type = index.media_type.empty() ? found.media_type : index.media_type;
        auto shown = t.tags.empty() ? t.display.substr(0, t.display.rfind('@')) : t.display;
        if (t.tags.empty() && !f.target.oci_layout_path.empty()) {
            // The whole argument is the digest of the index left as it was: the layout is
            // named by its path, as `--oci-layout DIR@DIGEST` names it.
            shown = "[oci-layout] " + f.target.oci_layout_path;
        } else if (t.tags.empty()) {
            // `repo:tag@digest` names the digest: the tag is not pushed, so not shown.
            const auto slash = shown.rfind('/');
            const auto colon = shown.rfind(':');
            if (colon != std::string::npos && slash != std::string::npos && colon > slash) {
                shown.resize(colon);
            }
        }
        // By digest, every --tag is printed as tagged; by tag, that tag is in `shown`.
        push_index(io, *t.target, bytes, type, tags, shown, !t.tags.empty());
    }
    cleanup.keep();
    if (!f.out.to_stdout()) {
        std::cout << "Digest: " << d.str() << "\n";
    }
    return 0;
}

}  // namespace

void add_manifest_index(app& a, CLI::App& manifest) {
    auto* group =
        manifest.add_subcommand("index", "[Experimental] Create and update image indexes");
    group->require_subcommand(1);

    auto c = std::make_shared<index_create_flags>();
    auto* cmd = group->add_subcommand(
        "create", "[Experimental] Create and push an index from manifests of one repository");
    cmd->alias("pack");
    cmd->footer(
        "Examples:\n"
        "  oras-cpp manifest index create localhost:5000/hello linux-amd64 linux-arm64\n"
        "  oras-cpp manifest index create localhost:5000/hello:v1 linux-amd64 sha256:99e4...\n"
        "  oras-cpp manifest index create localhost:5000/hello:tag1,tag2 linux-amd64\n"
        "  oras-cpp manifest index create localhost:5000/hello:v1 linux-amd64 -a key=val\n"
        "  oras-cpp manifest index create --artifact-type application/vnd.example+type "
        "localhost:5000/hello linux-amd64\n"
        "  oras-cpp manifest index create --oci-layout layout-dir:v1 linux-amd64\n"
        "  oras-cpp manifest index create localhost:5000/hello linux-amd64 --output index.json\n"
        "  oras-cpp manifest index create localhost:5000/hello linux-arm64 --output - --pretty");
    cmd->add_option("reference", c->ref, "REGISTRY/REPOSITORY[:TAG[,TAG...]] of the new index")
        ->required();
    cmd->add_option("sources", c->sources, "Manifests of the repository: tags or digests");
    cmd->add_option("--artifact-type", c->artifact_type, "The index's artifact type");
    add_repeatable(*cmd, "-a,--annotation", c->annotations, "Index annotation KEY=VALUE");
    c->out.add(*cmd);
    c->target.add(*cmd, true, false, false);
    a.commands.push_back({cmd, [c] { return run_index_create(*c); }, [c] { return c->ref; }});

    auto u = std::make_shared<index_update_flags>();
    cmd = group->add_subcommand("update", "[Experimental] Update and push an image index");
    cmd->footer(
        "Examples:\n"
        "  oras-cpp manifest index update localhost:5000/hello:v1 --add linux-amd64 "
        "--remove sha256:99e4...\n"
        "  oras-cpp manifest index update localhost:5000/hello:v2 --merge v2-windows\n"
        "  oras-cpp manifest index update localhost:5000/hello@sha256:99e4... --add linux-amd64 "
        "--tag v2.1.0 --tag v2\n"
        "  oras-cpp manifest index update localhost:5000/hello:v2 --add linux-amd64 "
        "--output index.json\n"
        "  oras-cpp manifest index update localhost:5000/hello:v1 --artifact-type \"\"");
    cmd->add_option("reference", u->ref, "REGISTRY/REPOSITORY{:TAG|@DIGEST} of the index")
        ->required();
    u->artifact_type_option = cmd->add_option("--artifact-type", u->artifact_type,
                                              "The index's new artifact type (\"\" removes it)");
    add_repeatable(*cmd, "--add", u->add, "Add this manifest (tag or digest; repeatable)");
    add_repeatable(*cmd, "--merge", u->merge,
                   "Add the manifests of this index (tag or digest; repeatable)");
    add_repeatable(*cmd, "--remove", u->remove, "Remove this manifest (digest; repeatable)");
    add_repeatable(*cmd, "--tag", u->tags, "Also tag the updated index (repeatable)");
    u->out.add(*cmd);
    u->target.add(*cmd, true, false, false);
    a.commands.push_back({cmd, [u] { return run_index_update(*u); }, [u] { return u->ref; }});
}

}  // namespace oras::cli

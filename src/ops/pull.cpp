// pull: resolve, read the manifest (through an index if need be), then write titled layers
// safely under the output directory with bounded concurrency.
#include <oras/artifact_manifest.hpp>
#include <oras/content/file_store.hpp>
#include <oras/error.hpp>
#include <oras/image_index.hpp>
#include <oras/image_manifest.hpp>
#include <oras/media_type.hpp>
#include <oras/ops/copy.hpp>
#include <oras/ops/pull.hpp>

#include "content/file_paths.hpp"
#include "core/quote.hpp"
#include "ops/emit.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>

namespace oras::ops {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using oras::detail::quote;

namespace {

constexpr unsigned max_index_depth = 4;

using detail::emit;

/// The source as the copy sees it: manifests already fetched to plan the pull are served from
/// memory, so that each is requested once.
class primed_source final : public content::target, public content::ranged_opener {
  public:
    explicit primed_source(content::target& inner) : inner_(inner) {}

    void prime(const descriptor& d, std::string bytes) {
        primed_.insert_or_assign(d.digest, std::make_shared<const std::string>(std::move(bytes)));
    }

    asio::awaitable<bool> exists(descriptor d) override {
        co_return primed_.contains(d.digest) || co_await inner_.exists(std::move(d));
    }
    asio::awaitable<byte_source> open(descriptor d) override {
        if (!primed_.contains(d.digest) && media_type::is_graph_manifest(d.media_type)) {
            // Whoever reads a manifest first (platform selection, the plan), the copy reads it
            // again: keep it.
            auto bytes = co_await content::fetch_all(inner_, d);
            prime(d, std::move(bytes));
        }
        if (const auto it = primed_.find(d.digest); it != primed_.end()) {
            auto r = byte_source::from_shared(it->second);
            r.set_checked(byte_source::check::verified);  // fetched and checked by the source
            co_return r;
        }
        co_return co_await inner_.open(std::move(d));
    }
    asio::awaitable<void> push(descriptor, byte_source) override {
        throw error(errc::unsupported, "a pull's source is not written to");
    }
    asio::awaitable<descriptor> push_unknown(std::string, byte_source) override {
        throw error(errc::unsupported, "a pull's source is not written to");
    }
    asio::awaitable<descriptor> resolve(std::string reference) override {
        co_return co_await inner_.resolve(std::move(reference));
    }
    asio::awaitable<byte_source> open_from(descriptor d, std::uint64_t offset) override {
        auto* ranged = dynamic_cast<content::ranged_opener*>(&inner_);
        if (ranged == nullptr) {
            throw error(errc::unsupported, "the source cannot be read from an offset");
        }
        co_return co_await ranged->open_from(std::move(d), offset);
    }
    asio::awaitable<void> tag(descriptor, std::string) override {
        throw error(errc::unsupported, "a pull's source is not written to");
    }

  private:
    content::target& inner_;
    std::unordered_map<digest, std::shared_ptr<const std::string>> primed_;
};

/// What `collect_layers` gathers, and how.
struct collector {
    primed_source& src;
    bool include_subject = false;
    std::string config_title{};       // the first config (of this media type, if any) as a file
    std::string config_media_type{};  // empty: any
    bool config_taken = false;
    std::vector<descriptor> layers{};
    std::set<digest> visited{};
    std::vector<descriptor> subjects{};  // followed (`include_subject`): copied as roots too
    /// Index entries, configs (but the empty one) and subjects without a title, met on the way.
    std::size_t untitled_nodes = 0;
};

bool titled(const descriptor& d) {
    return !d.annotation(annotation::title).empty();
}

/// Subjects followed one after another (`include_subject`) before a chain is refused.
constexpr unsigned max_subject_depth = 16;

/// Collects the layers of `desc`, following indexes into their manifests (and subjects, when
/// asked). A manifest or index listed more than once (`visited`) is read once: an index naming
/// one manifest of many layers thousands of times would otherwise cost a registry's few
/// megabytes a billion descriptors.
asio::awaitable<void> collect_layers(collector& c, const descriptor& desc, unsigned depth,
                                     unsigned subjects) {
    if (!c.visited.insert(desc.digest).second) {
        co_return;
    }
    const auto bytes = co_await content::fetch_all(c.src, desc);
    std::optional<descriptor> subject;
    if (media_type::is_index(desc.media_type)) {
        if (depth == max_index_depth) {
            throw error(errc::invalid_manifest,
                        "indexes nested deeper than " + std::to_string(max_index_depth));
        }
        auto index = image_index::parse(bytes);
        if (!index) {
            throw error(index.error().code,
                        "index " + desc.digest.str() + ": " + index.error().message);
        }
        for (const auto& m : index->manifests) {
            c.untitled_nodes += titled(m) ? 0 : 1;
            if (media_type::is_graph_manifest(m.media_type)) {
                co_await collect_layers(c, m, depth + 1, subjects);
            }
        }
        subject = index->subject;
    } else if (desc.media_type == media_type::artifact_manifest) {
        // As ORAS 1.0 pushed files as one: blobs with titles, no config.
        auto artifact = artifact_manifest::parse(bytes);
        if (!artifact) {
            throw error(artifact.error().code,
                        "artifact manifest " + desc.digest.str() + ": " + artifact.error().message);
        }
        c.layers.insert(c.layers.end(), artifact->blobs.begin(), artifact->blobs.end());
        subject = artifact->subject;
    } else {
        auto manifest = image_manifest::parse(bytes);
        if (!manifest) {
            throw error(manifest.error().code,
                        "manifest " + desc.digest.str() + ": " + manifest.error().message);
        }
        bool config_pulled = false;
        if (!c.config_title.empty() && !c.config_taken) {
            // As oras (getConfigOnce): the first config met is the one, pulled as a file under
            // the title asked for when it is of the type asked for.
            c.config_taken = true;
            if (c.config_media_type.empty() || manifest->config.media_type == c.config_media_type) {
                auto config = manifest->config;
                config.annotations[std::string(annotation::title)] = c.config_title;
                c.layers.push_back(std::move(config));
                config_pulled = true;
            }
        }
        const auto empty = empty_json_descriptor();
        const auto& config = manifest->config;
        if (!config_pulled && !titled(config)
            && (config.size != empty.size || config.digest != empty.digest)) {
            ++c.untitled_nodes;  // a config of its own, not a file here
        }
        c.layers.insert(c.layers.end(), manifest->layers.begin(), manifest->layers.end());
        subject = manifest->subject;
    }
    if (c.include_subject && subject) {
        if (subjects == max_subject_depth) {
            throw error(errc::invalid_manifest,
                        "subjects chained deeper than " + std::to_string(max_subject_depth));
        }
        const auto followed = *subject;
        c.untitled_nodes += titled(followed) ? 0 : 1;
        if (!c.visited.contains(followed.digest)) {
            c.subjects.push_back(followed);
        }
        co_await collect_layers(c, followed, 0, subjects + 1);  // a root of its own
    }
}

}  // namespace

asio::awaitable<pull_result> pull(content::target& src, std::string reference, pull_options o) {
    pull_result out;
    primed_source primed(src);
    if (auto* fetcher = dynamic_cast<content::reference_fetcher*>(&src)) {
        // The manifest is read anyway: one GET by reference instead of a HEAD, then a GET.
        auto fetched = co_await fetcher->fetch_reference(reference, 4 * 1024 * 1024);
        out.manifest = fetched.first;
        primed.prime(out.manifest, std::move(fetched.second));
    } else {
        out.manifest = co_await src.resolve(reference);
    }
    if (!media_type::is_graph_manifest(out.manifest.media_type)) {
        throw error(errc::invalid_media_type,
                    reference + " names " + out.manifest.media_type + ", not a manifest");
    }
    std::vector<descriptor> layers;
    if (o.platform) {
        out.manifest = co_await select_platform(primed, std::move(out.manifest), *o.platform);
    }
    collector c{primed, o.include_subject, o.config_title, o.config_media_type};
    co_await collect_layers(c, out.manifest, 0, 0);
    layers = std::move(c.layers);
    out.untitled_nodes = c.untitled_nodes;
    const auto subjects = std::move(c.subjects);

    std::error_code ec;
    fs::create_directories(o.output, ec);
    const auto root = fs::canonical(o.output, ec);
    if (ec) {
        throw error(errc::invalid_argument, "cannot use the output directory "
                                                + quote(o.output.string()) + ": " + ec.message());
    }
    // Plan before fetching: every destination is checked, and no two layers share one.
    struct job {
        descriptor desc;
        std::string title;
        fs::path dest;
        bool unpack = false;
    };
    std::vector<job> jobs;
    std::map<std::string, std::string> seen;  // destination -> the first title for it
    const auto empty = empty_json_descriptor();
    for (const auto& l : layers) {
        const std::string title(l.annotation(annotation::title));
        if (title.empty() && l.media_type == empty.media_type && l.digest == empty.digest
            && l.size == empty.size) {
            continue;  // the layer of an artifact of no files: nothing, reported as nothing (oras)
        }
        const bool wanted = o.media_types.empty()
                            || std::find(o.media_types.begin(), o.media_types.end(), l.media_type)
                                   != o.media_types.end();
        if (title.empty() || !wanted) {
            ++out.skipped;
            ++(title.empty() ? out.untitled : out.filtered);
            emit(o.progress, progress_event::kind::skipped, l, title);
            continue;
        }
        // By where it lands: `a`, `./a` and `a/` are one destination.
        auto dest = content::detail::title_destination(root, title);
        if (const auto [at, fresh] = seen.try_emplace(dest.string(), title); !fresh) {
            if (std::any_of(jobs.begin(), jobs.end(),
                            [&](const job& j) { return j.dest == dest && j.desc == l; })) {
                continue;  // the same layer twice (an index of similar manifests)
            }
            throw error(errc::invalid_manifest,
                        at->second == title ? "two different layers are both titled " + quote(title)
                                            : "two different layers land on one path, titled "
                                                  + quote(at->second) + " and " + quote(title));
        }
        job j{l, title, std::move(dest), l.annotation(annotation::content_unpack) == "true"};
        if (o.keep_old_files && !j.unpack && fs::exists(fs::symlink_status(j.dest, ec))) {
            throw error(errc::already_exists,
                        quote(j.dest.string()) + " exists (and old files are kept)");
        }
        jobs.push_back(std::move(j));
    }
    // One title inside another (`d` and `d/a`): which wins would depend on the layers' order,
    // and the loser fails after the other was written. Refused before anything is.
    for (const auto& [dest, title] : seen) {
        const auto inside = dest + "/";
        if (const auto it = seen.lower_bound(inside);
            it != seen.end() && it->first.starts_with(inside)) {
            throw error(errc::invalid_manifest, "two layers overlap: " + quote(it->second)
                                                    + " would land inside " + quote(title));
        }
    }

    // The transfer is a graph copy into the output directory as a file store, leaving out
    // every layer not planned: the store writes each file through a temporary file renamed
    // once verified, and unpacks directories aside before moving them in.
    std::set<std::pair<std::string, std::string>> planned;  // (digest, title)
    for (const auto& j : jobs) {
        planned.emplace(j.desc.digest.str(), j.title);
    }
    // Files stay under temporary names until the end: one sync per file system for all of them.
    content::file_store files(root, {.keep_old_files = o.keep_old_files, .deferred_commit = true});
    const auto options = [&] {
        copy_options co;
        co.concurrency = o.concurrency;
        co.cache = o.cache;
        co.include = [&planned](const descriptor& d) {
            return media_type::is_graph_manifest(d.media_type)
                   || planned.contains(
                       {d.digest.str(), std::string(d.annotation(annotation::title))});
        };
        if (o.progress) {
            // Manifests and layers left out were reported while planning.
            co.progress = [&o](const progress_event& e) {
                const bool manifest = media_type::is_graph_manifest(e.desc.media_type);
                if (e.what != progress_event::kind::skipped && !manifest) {
                    o.progress(e);
                }
            };
        }
        return co;
    };
    // The subjects followed are graphs of their own: a graph copy does not follow a subject.
    std::vector<descriptor> roots{out.manifest};
    roots.insert(roots.end(), subjects.begin(), subjects.end());
    for (const auto& r : roots) {
        auto co = options();
        const auto copied = co_await copy_graph(primed, r, files, std::move(co));
        out.cached += copied.cached;
        out.resumed += copied.resumed;
    }

    // A layer whose content another title carries too was copied once (a graph node per
    // digest): its other files come from the first one, locally. A file no graph node carries
    // (the config, under the title `config_title` gave it) comes from the source.
    for (const auto& j : jobs) {
        if (co_await files.exists(j.desc)) {
            continue;
        }
        std::optional<descriptor> sibling;
        for (const auto& k : jobs) {
            if (k.desc.digest == j.desc.digest && k.title != j.title
                && co_await files.exists(k.desc)) {
                sibling = k.desc;
                break;
            }
        }
        emit(o.progress, progress_event::kind::started, j.desc, j.title);
        byte_source reader;
        if (sibling) {
            reader = co_await files.open(*sibling);
        } else {
            reader = co_await primed.open(j.desc);
        }
        co_await files.push(j.desc, std::move(reader));
        emit(o.progress, progress_event::kind::finished, j.desc, j.title,
             static_cast<std::uint64_t>(j.desc.size));
    }
    files.commit();
    for (const auto& j : jobs) {
        out.files.push_back(pulled_file{j.desc, j.dest, j.unpack});
    }
    co_return out;
}

}  // namespace oras::ops

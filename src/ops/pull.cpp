// pull: resolve, read the manifest (through an index if need be), then write titled layers
// safely under the output directory with bounded concurrency.
#include <oras/error.hpp>
#include <oras/image_index.hpp>
#include <oras/image_manifest.hpp>
#include <oras/media_type.hpp>
#include <oras/ops/pull.hpp>

#include "content/archive.hpp"
#include "content/file_paths.hpp"
#include "core/quote.hpp"
#include "ops/concurrency.hpp"
#include "ops/emit.hpp"

#include <algorithm>
#include <set>

namespace oras::ops {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using oras::detail::quote;

namespace {

constexpr unsigned max_index_depth = 4;

using detail::emit;

/// Collects the layers of `desc`, following indexes into their manifests.
asio::awaitable<void> collect_layers(content::target& src, const descriptor& desc, unsigned depth,
                                     std::vector<descriptor>& out) {
    const auto bytes = co_await content::fetch_all(src, desc);
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
            if (media_type::is_manifest(m.media_type) || media_type::is_index(m.media_type)) {
                co_await collect_layers(src, m, depth + 1, out);
            }
        }
        co_return;
    }
    auto manifest = image_manifest::parse(bytes);
    if (!manifest) {
        throw error(manifest.error().code,
                    "manifest " + desc.digest.str() + ": " + manifest.error().message);
    }
    out.insert(out.end(), manifest->layers.begin(), manifest->layers.end());
}

}  // namespace

asio::awaitable<pull_result> pull(content::target& src, std::string reference, pull_options o) {
    pull_result out;
    out.manifest = co_await src.resolve(reference);
    if (!media_type::is_manifest(out.manifest.media_type)
        && !media_type::is_index(out.manifest.media_type)) {
        throw error(errc::invalid_media_type,
                    reference + " names " + out.manifest.media_type + ", not a manifest");
    }
    std::vector<descriptor> layers;
    co_await collect_layers(src, out.manifest, 0, layers);

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
    std::set<std::string, std::less<>> seen;
    for (const auto& l : layers) {
        const std::string title(l.annotation(annotation::title));
        const bool wanted = o.media_types.empty()
                            || std::find(o.media_types.begin(), o.media_types.end(), l.media_type)
                                   != o.media_types.end();
        if (title.empty() || !wanted) {
            ++out.skipped;
            ++(title.empty() ? out.untitled : out.filtered);
            emit(o.progress, progress_event::kind::skipped, l, title);
            continue;
        }
        if (!seen.insert(title).second) {
            if (std::any_of(jobs.begin(), jobs.end(),
                            [&](const job& j) { return j.title == title && j.desc == l; })) {
                continue;  // the same layer twice (an index of similar manifests)
            }
            throw error(errc::invalid_manifest,
                        "two different layers are both titled " + quote(title));
        }
        job j{l, title, content::detail::title_destination(root, title),
              l.annotation(annotation::content_unpack) == "true"};
        if (o.keep_old_files && !j.unpack && fs::exists(fs::symlink_status(j.dest, ec))) {
            throw error(errc::already_exists,
                        quote(j.dest.string()) + " exists (and old files are kept)");
        }
        jobs.push_back(std::move(j));
    }

    out.files.resize(jobs.size());
    std::function<asio::awaitable<void>(std::size_t)> task =
        [&](std::size_t i) -> asio::awaitable<void> {
        const auto& j = jobs[i];
        emit(o.progress, progress_event::kind::started, j.desc, j.title);
        auto done = std::make_shared<std::uint64_t>(0);
        const auto report = [&o, &j, done](std::size_t n) {
            *done += n;
            emit(o.progress, progress_event::kind::bytes, j.desc, j.title, *done);
        };
        std::error_code dir_ec;
        fs::create_directories(j.dest.parent_path(), dir_ec);
        if (dir_ec) {
            throw error(
                errc::invalid_argument,
                "cannot create " + quote(j.dest.parent_path().string()) + ": " + dir_ec.message());
        }
        if (j.unpack) {
            content::detail::unpack_options uo;
            uo.expected_tar_digest = std::string(j.desc.annotation(annotation::content_digest));
            uo.keep_old_files = o.keep_old_files;
            uo.required_prefix = j.title;
            // A new directory is unpacked aside and moved in only once its digest matched, so
            // unverified content never appears under its name. An existing one is updated in
            // place, as the ORAS CLI does.
            std::error_code exists_ec;
            const bool fresh = !fs::exists(fs::symlink_status(j.dest, exists_ec));
            auto staging = fresh ? std::make_shared<content::detail::staging_dir>(root) : nullptr;
            auto extractor = std::make_shared<content::detail::tar_extractor>(
                fresh ? staging->path() : root, uo);
            content::write_fn sink =
                [extractor, report](std::span<const std::byte> b) -> asio::awaitable<void> {
                extractor->write(b);
                report(b.size());
                co_return;
            };
            co_await src.fetch(j.desc, std::move(sink));
            extractor->finish();
            if (fresh) {
                staging->move_into_place(j.title, j.dest);
            }
        } else {
            auto file = std::make_shared<content::detail::temp_file>(j.dest);
            content::write_fn sink =
                [file, report](std::span<const std::byte> b) -> asio::awaitable<void> {
                file->write(b);
                report(b.size());
                co_return;
            };
            co_await src.fetch(j.desc, std::move(sink));  // size and digest verified
            file->commit(o.keep_old_files);
        }
        out.files[i] = pulled_file{j.desc, j.dest, j.unpack};
        emit(o.progress, progress_event::kind::finished, j.desc, j.title,
             static_cast<std::uint64_t>(j.desc.size));
    };
    co_await detail::for_each_limited(jobs.size(), o.concurrency, task);
    co_return out;
}

}  // namespace oras::ops

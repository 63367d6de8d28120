// pull: the titled layers of an artifact into a directory, from any target.
#pragma once

#include <oras/content/blob_cache.hpp>
#include <oras/content/target.hpp>
#include <oras/descriptor.hpp>
#include <oras/detail/async.hpp>
#include <oras/ops/platform.hpp>
#include <oras/ops/progress.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#pragma GCC visibility push(default)

namespace oras::ops {

/// What `pull` writes, and where. Every field has a default.
struct pull_options {
    /// Where titled layers are written; created if missing.
    std::filesystem::path output = ".";
    /// Refuse to replace existing files (the pull fails instead).
    bool keep_old_files = false;
    /// Only layers of these media types; empty: all.
    std::vector<std::string> media_types{};
    /// Blob transfers in flight at once.
    std::size_t concurrency = 5;
    /// Also pull the files of the artifact's subject, and of its subject's, and so on (at most
    /// 16 deep), as `oras pull --include-subject`.
    bool include_subject = false;
    /// Non-empty: the first manifest config met is written as a file under this title (when
    /// it is of `config_media_type`, if that is set), as `oras pull --config PATH[:TYPE]`.
    std::string config_title{};
    /// With `config_title`: only a config of this media type is written. Empty: any.
    std::string config_media_type{};
    /// From an index, pull only the manifest built for this platform (see `select_platform`);
    /// a manifest must then be for it. None: every manifest of an index.
    std::optional<oras::platform> platform{};
    /// Events of the layers (those left out reported as `skipped`); manifests are not reported.
    progress_fn progress{};
    /// Layers are read from this cache when it holds them and added to it when fetched (see
    /// `content::blob_cache`). Empty: no cache.
    std::shared_ptr<content::blob_cache> cache{};
};

/// One file or directory `pull` wrote.
struct pulled_file {
    descriptor desc{};             ///< the layer, whose title annotation names `path`
    std::filesystem::path path{};  ///< under `output`
    bool unpacked = false;         ///< a directory unpacked from a tar+gzip layer
};

/// What `pull` found and wrote.
struct pull_result {
    descriptor manifest{};             ///< what `reference` named, or the one chosen by `platform`
    std::vector<pulled_file> files{};  ///< one per titled layer written, in layer order
    std::size_t skipped = 0;           ///< layers not written: untitled + filtered
    std::size_t untitled = 0;          ///< layers without a title (not files: left alone)
    /// Other nodes without a title, which are not files either: an index's entries, a config of
    /// its own (not the empty one, nor one `config_title` names), followed subjects. oras
    /// reports them, as untitled layers, as "layers without file name" skipped.
    std::size_t untitled_nodes = 0;
    std::size_t filtered = 0;  ///< layers of a media type not asked for
    std::size_t cached = 0;    ///< layers read from `pull_options::cache`
    /// Layers continued from what a killed earlier pull into the same directory left
    /// (`content::file_store::partial_size`): only their missing ends were fetched.
    std::size_t resumed = 0;
};

/// Resolves `reference` in `src`, fetches the manifest (following an index into its manifests)
/// and writes every titled layer under `options.output`: files through a temporary file renamed
/// only once size and digest match, annotated directories unpacked with their tar digest
/// checked. Everything written is synced with a syncfs(2) of each file system written to before
/// it is renamed under its title, at the end: a pull that fails or is cancelled before then
/// leaves no new file under a title (a directory already there is updated in place; if a rename
/// itself fails, those before it stay), and one that returns has its files on disk. Layers
/// whose titles nest (`d` and `d/a`) are refused (`invalid_manifest`) before anything is
/// written. A file
/// past 32 MiB is written back as it is written and dropped from the page cache behind the
/// writer, so a large pull neither piles up dirty pages nor evicts what else was cached. Titles or
/// archive members that would land outside the output directory are refused.
boost::asio::awaitable<pull_result> pull(content::target& src, std::string reference,
                                         pull_options options);

/// Completion-token form of `pull`. With the default `deferred` (or `use_awaitable`) it is
/// an `awaitable<pull_result>` to `co_await` on `executor`'s coroutine; any other token runs it on
/// `executor` with the handler signature `void(std::exception_ptr, pull_result)`. `src` must
/// outlive the operation, which starts only when the token starts it; the options are moved into
/// it.
template <class Token = boost::asio::deferred_t>
auto async_pull(boost::asio::any_io_executor executor, content::target& src, std::string reference,
                pull_options options, Token&& token = {}) {
    return oras::detail::start(std::move(executor),
                               pull(src, std::move(reference), std::move(options)),
                               std::forward<Token>(token));
}

}  // namespace oras::ops

#pragma GCC visibility pop

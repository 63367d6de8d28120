// push: files and directories as the layers of an artifact manifest, to any target.
#pragma once

#include <oras/content/target.hpp>
#include <oras/descriptor.hpp>
#include <oras/detail/async.hpp>
#include <oras/ops/progress.hpp>
#include <oras/result.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#pragma GCC visibility push(default)

namespace oras::ops {

/// One file or directory to push. A directory becomes a tar+gzip layer that pull unpacks.
struct push_file {
    /// Relative to `push_options::working_dir` unless absolute. Its path relative to that
    /// directory is the layer's title.
    std::filesystem::path path{};
    /// Empty: `application/vnd.oci.image.layer.v1.tar` for files, `...tar+gzip` for directories.
    std::string media_type{};
};

enum class manifest_version {
    v1_1,  ///< image-spec 1.1: `artifactType`, empty config (`application/vnd.oci.empty.v1+json`)
    v1_0,  ///< image-spec 1.0: the artifact type is the config's media type
};

/// Annotations keyed by `$manifest`, `$config` or a file's title.
using annotation_map = std::map<std::string, oras::annotations, std::less<>>;

/// What `push` packs into the manifest, and how. Every field has a default.
struct push_options {
    /// The layers, in order; may be empty (an artifact of annotations only).
    std::vector<push_file> files{};
    /// A config blob from a file; none: the empty config `{}`.
    std::optional<push_file> config{};
    /// The platform the artifact is for, written as its config: an image config holding only
    /// the platform (`{"architecture":...,"os":...}`, members as Go's `ocispec.Platform`
    /// writes them), of type `application/vnd.oci.image.config.v1+json`, as
    /// `oras push --artifact-platform` packs it, so that `--platform` selects the artifact.
    /// Not with `config`, nor (1.0) with an `artifact_type` (`errc::invalid_argument`).
    std::optional<oras::platform> artifact_platform{};
    /// Empty: `application/vnd.unknown.artifact.v1` (1.1; none when `config` is set) or the
    /// config type (1.0).
    std::string artifact_type{};
    /// By `$manifest`, `$config` or a file's `push_file::path` as given, not its title, as oras
    /// looks them up; another key is passed over, as oras passes over it, and reported
    /// (`push_result::unused_annotation_keys`).
    annotation_map annotations{};
    /// The image-spec form of the manifest (see `manifest_version`).
    manifest_version version = manifest_version::v1_1;
    /// Add `org.opencontainers.image.created` (now) unless given.
    bool created_annotation = true;
    /// The manifest this artifact refers to (its `subject`: a signature, an SBOM...). Only its
    /// media type, digest and size are written. See `attach`, which resolves it.
    std::optional<descriptor> subject{};
    /// Tags the manifest is pushed under; empty: only by digest.
    std::vector<std::string> tags{};
    /// Blob transfers in flight at once.
    std::size_t concurrency = 5;
    /// When the destination already has the manifest (one pushed before with the same
    /// annotations, its creation time included), still check its config and push it again
    /// (`copy_options::traverse_existing`, the ORAS CLI's `push --force`). Layers are checked
    /// one by one either way.
    bool traverse_existing = false;
    /// Files must lie inside this directory (titles are paths relative to it)...
    std::filesystem::path working_dir = ".";
    /// ...unless this is set; then files outside are titled by their file name.
    bool disable_path_validation = false;
    /// Events of every blob and of the manifest, named by title, `$config` or `$manifest`.
    /// A directory archived as it is sent reports `started` with a descriptor that has no
    /// digest yet (its size 0: unknown), then `bytes`, then `finished` with its descriptor.
    progress_fn progress{};
    /// Where the digests of pushed directories and large files are remembered by their
    /// metadata (see `content::file_store_options::tree_cache`): an unchanged directory is then
    /// described without archiving it, an unchanged file without reading it, and skipped when
    /// `dst` has it. Empty: every directory is archived once per push, streamed into `dst` as it
    /// is produced, whether `dst` has it or not, and every file is hashed.
    std::filesystem::path tree_cache{};
};

/// What `push` built and sent.
struct push_result {
    /// Media type, digest, size and artifact type (for an image-spec v1.0 manifest, which has
    /// none, its config's media type, as oras-go reports a v1.0 pack).
    descriptor manifest{};
    std::string manifest_bytes{};      ///< exactly as pushed
    std::vector<descriptor> layers{};  ///< one per file, in order, with their annotations
    std::size_t blobs_uploaded = 0;    ///< the rest were already there
    std::size_t archive_passes = 0;    ///< times a directory was archived (tar and gzip)
    std::size_t files_hashed = 0;      ///< files read to learn their digests (see `tree_cache`)
    /// Keys of `push_options::annotations` that are neither `$manifest`, `$config` nor a pushed
    /// file's path as given: not used, as oras passes over them (a caller may warn of a typo).
    std::vector<std::string> unused_annotation_keys{};
};

/// Builds the manifest from `options` and pushes blobs (skipping those `dst` has), then the
/// manifest under its tags. Throws `oras::error`: a missing file, a path outside the working
/// directory, a duplicate title, a bad annotation file are refused before anything is sent.
boost::asio::awaitable<push_result> push(content::target& dst, push_options options);

/// Completion-token form of `push`. With the default `deferred` (or `use_awaitable`) it is
/// an `awaitable<push_result>` to `co_await` on `executor`'s coroutine; any other token runs it on
/// `executor` with the handler signature `void(std::exception_ptr, push_result)`. `dst` must
/// outlive the operation, which starts only when the token starts it; the options are moved into
/// it.
template <class Token = boost::asio::deferred_t>
auto async_push(boost::asio::any_io_executor executor, content::target& dst, push_options options,
                Token&& token = {}) {
    return oras::detail::start(std::move(executor), push(dst, std::move(options)),
                               std::forward<Token>(token));
}

/// Parses an `--annotation-file` (JSON object of objects: `{"$manifest": {"k": "v"}, ...}`).
result<annotation_map> parse_annotation_file(std::string_view json, std::string_view origin);

}  // namespace oras::ops

#pragma GCC visibility pop

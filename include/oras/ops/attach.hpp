// attach: an artifact that refers to another (a signature, an SBOM), found later as a referrer.
#pragma once

#include <oras/content/target.hpp>
#include <oras/descriptor.hpp>
#include <oras/detail/async.hpp>
#include <oras/ops/platform.hpp>
#include <oras/ops/push.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/deferred.hpp>

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#pragma GCC visibility push(default)

namespace oras::ops {

/// What `attach` pushes, and how. Every field but `artifact_type` has a default.
struct attach_options {
    /// The referrer's `artifactType`; required (the ORAS CLI's `--artifact-type`).
    std::string artifact_type{};
    /// Layers, as for `push`; may be empty when annotations say it all.
    std::vector<push_file> files{};
    /// Keyed by `$manifest`, `$config` (the config's descriptor, the empty one included) or a
    /// file's `push_file::path` as given, not its title, as for `push`.
    annotation_map annotations{};
    /// A config blob from a file (oras v1.3's `--config PATH[:TYPE]`); none: the empty config.
    std::optional<push_file> config{};
    /// When the subject names an index, attach to its manifest for this platform instead.
    std::optional<oras::platform> platform{};
    /// Add `org.opencontainers.image.created` (now) unless given.
    bool created_annotation = true;
    /// Blob transfers in flight at once.
    std::size_t concurrency = 5;
    /// Files must lie inside this directory unless `disable_path_validation` (see `push`).
    std::filesystem::path working_dir = ".";
    /// As for `push`: files outside `working_dir` are taken, titled by their file name.
    bool disable_path_validation = false;
    /// As for `push`: events of every blob and of the manifest. Empty: none.
    progress_fn progress{};
    /// As for `push`: where the digests of attached directories are remembered.
    std::filesystem::path tree_cache{};
};

/// What `attach` attached, and to what.
struct attach_result {
    /// What was attached to: the subject as resolved (after `platform` selection).
    descriptor subject{};
    /// The referrer manifest (image-spec 1.1, its `subject` the one above; the descriptor
    /// carries the manifest's annotations) and its bytes.
    descriptor manifest{};
    std::string manifest_bytes{};    ///< exactly as pushed: `manifest.digest` is their digest
    std::size_t blobs_uploaded = 0;  ///< blobs sent; the rest were already there
    /// Annotation keys naming no attached file (`push_result::unused_annotation_keys`).
    std::vector<std::string> unused_annotation_keys{};
};

/// Resolves `subject` (a tag or digest) in `dst`, then pushes a manifest of `artifact_type`
/// whose `subject` it is, untagged. A registry with the referrers API indexes it; on one without
/// (and on an OCI layout) the referrers index is kept by this library, so `referrers` lists it
/// either way. Throws `oras::error`: `invalid_argument` without an artifact type, with neither
/// files nor annotations, or with bad files (checked before anything is sent); `not_found` for
/// a missing subject.
///
/// Lifetime: `dst` must outlive the operation.
boost::asio::awaitable<attach_result> attach(content::target& dst, std::string subject,
                                             attach_options options);

/// `attach` for a completion token: the handler gets `void(std::exception_ptr, attach_result)`
/// and runs on `executor` (the target's). With the default `deferred` the result is the
/// awaitable, to be co_awaited on that executor. `dst` must outlive the operation, which starts
/// only when the token starts it.
template <class Token = boost::asio::deferred_t>
auto async_attach(boost::asio::any_io_executor executor, content::target& dst, std::string subject,
                  attach_options options, Token&& token = {}) {
    return oras::detail::start(std::move(executor),
                               attach(dst, std::move(subject), std::move(options)),
                               std::forward<Token>(token));
}

}  // namespace oras::ops

#pragma GCC visibility pop

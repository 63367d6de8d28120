// manage: single manifests, blobs and tags of a target — what `oras manifest`, `oras blob`,
// `oras tag` and `oras repo` do, for programs.
#pragma once

#include <oras/content/target.hpp>
#include <oras/descriptor.hpp>
#include <oras/detail/async.hpp>
#include <oras/digest.hpp>
#include <oras/ops/platform.hpp>
#include <oras/ops/progress.hpp>
#include <oras/registry/registry.hpp>
#include <oras/result.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/deferred.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#pragma GCC visibility push(default)

namespace oras::content {
class blob_cache;
}  // namespace oras::content

// Each operation is an awaitable function and an `async_` form taking an executor (the target's)
// and a completion token: with the default `deferred` (or `use_awaitable`) the awaitable itself,
// to be co_awaited on that executor; with any other token (`use_future`, a callback) it runs on
// the executor and completes with `void(std::exception_ptr, T)`.
//
// Defaults come as overloads, not default arguments: GCC 12 destroys a default argument's
// temporary twice when the call is inside a `co_await` (a crash, not a leak), so an omitted
// options struct is built inside the library, never in the caller's `co_await` expression.
//
// Lifetime, for every operation here: the target (or registry) must outlive the operation, which
// starts only when the token starts it; arguments are taken by value. Failures are
// `oras::error`s naming what was wrong.

namespace oras::ops {

// --- manifests -------------------------------------------------------------------------------

/// A manifest (or, from `fetch_config`, a config blob) and its bytes.
struct fetched_manifest {
    /// As the target resolved it (after platform selection); from `fetch_config`, the config
    /// descriptor the manifest names.
    descriptor desc{};
    std::string bytes{};  ///< exactly as stored, digest checked
};

/// Which manifest `fetch_manifest` and `fetch_config` accept.
struct fetch_manifest_options {
    /// From an index, fetch the manifest for this platform instead.
    std::optional<oras::platform> platform{};
    /// Refuse (`invalid_media_type`) a manifest of any other media type; empty: any.
    std::vector<std::string> media_types{};
    /// Manifests larger than this are refused.
    std::size_t max_size = 4 * 1024 * 1024;
    /// A blob cache (`ORAS_CACHE`): the manifest is always fetched from the target (a tag may
    /// have moved, and the target confirms that the digest is still there) and kept in the
    /// cache; `fetch_config` reads the config from the cache when it holds a sound copy, and
    /// keeps it there otherwise. (The ORAS CLI also asks the registry, then serves the bytes
    /// from its cache when it has them.)
    std::shared_ptr<content::blob_cache> cache{};
};

/// The manifest or index `reference` (a tag or digest) names, exactly as stored.
boost::asio::awaitable<fetched_manifest> fetch_manifest(content::target& src, std::string reference,
                                                        fetch_manifest_options options);
inline boost::asio::awaitable<fetched_manifest> fetch_manifest(content::target& src,
                                                               std::string reference) {
    return fetch_manifest(src, std::move(reference), fetch_manifest_options{});
}

/// The config blob of the image manifest `reference` names (after platform selection): its
/// descriptor and bytes, verified. `invalid_media_type` when it names no image manifest.
boost::asio::awaitable<fetched_manifest> fetch_config(content::target& src, std::string reference,
                                                      fetch_manifest_options options);
inline boost::asio::awaitable<fetched_manifest> fetch_config(content::target& src,
                                                             std::string reference) {
    return fetch_config(src, std::move(reference), fetch_manifest_options{});
}

/// Checks that `bytes` can be pushed as a manifest: a JSON object whose `mediaType` (if any)
/// agrees with `media_type`, and whose descriptors parse for the OCI and Docker manifest and
/// index types. `media_type` empty: taken from the JSON. Returns the media type to push with.
result<std::string> check_manifest(std::string_view bytes, std::string_view media_type);

/// What `push_manifest` pushed.
struct pushed_manifest {
    descriptor desc{};  ///< the media type pushed with, the SHA-256 digest and size of the bytes
    /// The first tag already named these bytes (with no tags: the target already had a
    /// manifest of this digest), as oras's `Exists`: nothing was sent for it; the other tags
    /// were still set. A manifest stored under other names only is pushed under this one.
    bool existed = false;
};

/// Pushes `bytes` (checked with `check_manifest` before anything is sent) under each of `tags`,
/// or by digest only when there are none: under the first tag, then the others `concurrency`
/// at once (oras tags 5 at once).
boost::asio::awaitable<pushed_manifest> push_manifest(content::target& dst, std::string bytes,
                                                      std::string media_type,
                                                      std::vector<std::string> tags,
                                                      std::size_t concurrency);
inline boost::asio::awaitable<pushed_manifest> push_manifest(content::target& dst,
                                                             std::string bytes,
                                                             std::string media_type,
                                                             std::vector<std::string> tags) {
    return push_manifest(dst, std::move(bytes), std::move(media_type), std::move(tags), 5);
}

/// Points each of `tags` at what `reference` names, at most `concurrency` at once (oras tags
/// 5 at once); returns that descriptor. Every tag is checked before any is set; after a
/// failure no new tag is started, and the first failure is thrown once the others end.
boost::asio::awaitable<descriptor> tag(content::target& dst, std::string reference,
                                       std::vector<std::string> tags, std::size_t concurrency);
inline boost::asio::awaitable<descriptor> tag(content::target& dst, std::string reference,
                                              std::vector<std::string> tags) {
    return tag(dst, std::move(reference), std::move(tags), 5);
}

/// Deletes the manifest `reference` names (a tag is resolved first: the manifest and every tag
/// on it go), from a target that deletes (`content::deleter`: registries, OCI layouts;
/// `unsupported` otherwise). From an OCI layout (`oci_layout_options::auto_gc`, the default)
/// its referrers and what only it held go too, as from oras-go's. Returns the manifest asked
/// for.
boost::asio::awaitable<descriptor> delete_manifest(content::target& dst, std::string reference);

// --- indexes ---------------------------------------------------------------------------------

/// The entry an image index lists for the manifest or index `reference` (a tag or digest) names
/// in `src`, as `oras manifest index create` lists it: the media type, digest and size; for an
/// image manifest, its `artifactType` and the platform its config names (`architecture`, `os`,
/// `os.version`, `os.features`, `variant`; none when the config is not such a JSON object or
/// names neither os nor architecture); for an index, its `artifactType`. `invalid_media_type`
/// when `reference` names something else; a config over 4 MiB is refused (`size_exceeds_limit`).
boost::asio::awaitable<descriptor> index_entry(content::target& src, std::string reference);

// --- blobs -----------------------------------------------------------------------------------

/// The descriptor (size, digest; media type `application/octet-stream`) of the blob `d` in
/// `src`; `not_found` when it is not there.
boost::asio::awaitable<descriptor> stat_blob(content::target& src, oras::digest d);

/// How `fetch_blob` reads.
struct fetch_blob_options {
    /// A blob cache (`ORAS_CACHE`): a blob it holds is read from it instead of the target (no
    /// request at all), one it lacks is kept in it once fetched whole and verified. A cached
    /// copy found damaged as it is read fails the fetch like a wrong download (the sink has seen
    /// some bytes, not the last) and is removed from the cache. None: the target only.
    std::shared_ptr<content::blob_cache> cache{};
    /// Called, before the fetch fails, when the failure is a damaged cached copy (not the
    /// sink's, nor the target's): a caller that can discard what the sink took fetches again,
    /// and the blob then comes from the target.
    std::function<void()> on_cache_damaged{};
};

/// Streams the blob `desc` into `sink`, verified: a wrong size or digest throws before the
/// last bytes reach the sink, so a caller writing a temporary file never commits bad content.
boost::asio::awaitable<void> fetch_blob(content::target& src, descriptor desc, byte_sink sink,
                                        fetch_blob_options options);
inline boost::asio::awaitable<void> fetch_blob(content::target& src, descriptor desc,
                                               byte_sink sink) {
    return fetch_blob(src, std::move(desc), std::move(sink), fetch_blob_options{});
}

/// How `fetch_blob_to_file` writes.
struct fetch_blob_file_options {
    /// A blob cache (`ORAS_CACHE`), as `fetch_blob_options::cache`. A cached copy found damaged
    /// is removed from the cache, what was written of it discarded, and the blob fetched from
    /// the target instead. A blob completed from a partial file is not added to the cache.
    std::shared_ptr<content::blob_cache> cache{};
    /// A blob of at least this many bytes is written under a stable name beside the file
    /// (`.NAME.oras-partial-` and 32 hex digits of its digest), which a process killed mid-way
    /// leaves behind: the next fetch of the same blob to the same file hashes those bytes again
    /// and asks a target that serves ranges (`content::ranged_opener`) for the rest only. A
    /// smaller blob is written under a random name. 0: every blob can be continued.
    std::uint64_t resume_min_size = std::uint64_t{1} << 20;
    /// Told `started`, `resumed` (a fetch that continues a partial file: the bytes kept),
    /// `bytes` and `finished`, named by the file's name. None: nothing is reported.
    progress_fn progress{};
};

/// What `fetch_blob_to_file` did.
struct fetched_blob_file {
    /// Bytes kept from a partial file an earlier fetch left (verified with the rest); 0 when
    /// the whole blob was read.
    std::uint64_t resumed_from = 0;
    /// Read from the cache: the target was not asked for it.
    bool from_cache = false;
};

/// Writes the blob `desc` of `src` to the regular file `path`, verified: into a temporary file
/// beside it, synced and renamed over `path` only once size and digest match, so that `path`
/// never holds part of a blob or a wrong one. The bytes are read into the file's own pages
/// where the target allows (no copy through a buffer). When `path` is a symbolic link the file
/// it names is replaced (a dangling one: created) and the link stays. A replaced file keeps
/// its permission bits (and its owner and group, where this process may set them); a new one
/// gets `0666 & ~umask`. Refuses (`invalid_argument`, before any request) a directory, a path
/// that exists and is not a regular file (a device, a pipe: use `fetch_blob` with a sink
/// instead), a link through `/proc` or `/dev/fd`, a link the kernel would not follow in a
/// sticky shared directory (another user's, in `/tmp`), and a name like this library's
/// temporary files; a directory that cannot be written fails as the file is created. A
/// failure or a cancellation removes what was written, except a partial file whose rest could
/// not be asked for: it stays for the next fetch. File I/O blocks the calling thread.
///
/// Lifetimes: `src` must outlive the returned awaitable's completion; the rest is taken by
/// value.
boost::asio::awaitable<fetched_blob_file> fetch_blob_to_file(content::target& src, descriptor desc,
                                                             std::filesystem::path path,
                                                             fetch_blob_file_options options);
/// `fetch_blob_to_file` with the default options.
boost::asio::awaitable<fetched_blob_file> fetch_blob_to_file(content::target& src, descriptor desc,
                                                             std::filesystem::path path);

/// What `push_blob` pushed.
struct pushed_blob {
    descriptor desc{};     ///< the media type given; the digest and size given or computed
    bool existed = false;  ///< the target had it: nothing was sent
};

/// How `push_blob` reports.
struct push_blob_options {
    /// Told `started` (once the digest and size are known: a file is hashed first), `bytes` as
    /// the upload moves, then `finished`, or `exists` when the target had the blob. Events carry
    /// `name`. None: nothing is reported.
    progress_fn progress{};
    /// The name the events carry (a file's), for display; may be empty.
    std::string name{};
};

/// Pushes `src` as a blob of `media_type`. With `expected` digest and size (both required for a
/// reader that cannot be rewound, such as stdin), they are checked as the bytes go; a reader
/// of a file is hashed first. Skips the upload when the target has the blob.
///
/// Lifetimes: `dst` must outlive the returned awaitable's completion; the rest is taken by
/// value.
boost::asio::awaitable<pushed_blob> push_blob(content::target& dst, byte_source src,
                                              std::string media_type,
                                              std::optional<oras::digest> expected,
                                              std::optional<std::uint64_t> expected_size,
                                              push_blob_options options);
/// `push_blob` with the default options.
inline boost::asio::awaitable<pushed_blob> push_blob(content::target& dst, byte_source src,
                                                     std::string media_type,
                                                     std::optional<oras::digest> expected,
                                                     std::optional<std::uint64_t> expected_size) {
    return push_blob(dst, std::move(src), std::move(media_type), std::move(expected), expected_size,
                     push_blob_options{});
}
inline boost::asio::awaitable<pushed_blob> push_blob(content::target& dst, byte_source src,
                                                     std::string media_type,
                                                     std::optional<oras::digest> expected) {
    return push_blob(dst, std::move(src), std::move(media_type), std::move(expected), std::nullopt);
}
inline boost::asio::awaitable<pushed_blob> push_blob(content::target& dst, byte_source src,
                                                     std::string media_type) {
    return push_blob(dst, std::move(src), std::move(media_type), std::nullopt, std::nullopt);
}

/// Deletes blob `d` from a target that deletes (`unsupported` otherwise); `not_found` when
/// absent.
boost::asio::awaitable<descriptor> delete_blob(content::target& dst, oras::digest d);

// --- listings --------------------------------------------------------------------------------

/// Which tags `list_tags` returns.
struct list_tags_options {
    /// Only tags that sort after this one (a bytewise comparison made by the client, whatever
    /// order the registry lists in).
    std::string last{};
    /// Leave out tags that are digests with `-` for `:` (`sha256-<hex>`: referrers indexes).
    bool exclude_digest_tags = false;
    /// Only names that start with this, returned without it (an OCI layout's names of one
    /// repository: `localhost:5000/hello:` gives `v1` for `localhost:5000/hello:v1`). `last`
    /// compares whole names; `exclude_digest_tags` looks at what is left.
    std::string scope{};
};

/// The tags of a target that lists them (a registry repository, an OCI layout).
boost::asio::awaitable<std::vector<std::string>> list_tags(content::target& src,
                                                           list_tags_options options);
inline boost::asio::awaitable<std::vector<std::string>> list_tags(content::target& src) {
    return list_tags(src, list_tags_options{});
}

/// Whether `tag` is a digest with its first `-` for `:` (the referrers tag schema).
bool is_digest_tag(std::string_view tag);

/// The repositories of `reg` under `prefix` (`team/` or empty), after `last`.
boost::asio::awaitable<std::vector<std::string>> list_repositories(registry::registry reg,
                                                                   std::string prefix,
                                                                   std::string last);
inline boost::asio::awaitable<std::vector<std::string>> list_repositories(registry::registry reg,
                                                                          std::string prefix) {
    return list_repositories(std::move(reg), std::move(prefix), std::string{});
}

// --- completion-token forms ------------------------------------------------------------------

#define ORAS_MANAGE_ASYNC(name, T, params, args)                                                   \
    template <class Token = boost::asio::deferred_t>                                               \
    auto async_##name(boost::asio::any_io_executor executor, params, Token&& token = {}) {         \
        return oras::detail::start<T>(std::move(executor), name args, std::forward<Token>(token)); \
    }
// A form leaving out trailing parameters: a token that would convert to the first one left
// out is taken as that parameter (by the full form above), never as the token.
#define ORAS_MANAGE_ASYNC_SHORT(name, T, omitted, params, args)                                    \
    template <class Token = boost::asio::deferred_t>                                               \
    requires(!std::is_convertible_v<Token, omitted>) auto async_##name(                            \
        boost::asio::any_io_executor executor, params, Token&& token = {}) {                       \
        return oras::detail::start<T>(std::move(executor), name args, std::forward<Token>(token)); \
    }
#define ORAS_P(...) __VA_ARGS__

ORAS_MANAGE_ASYNC(fetch_manifest, fetched_manifest,
                  ORAS_P(content::target& src, std::string reference,
                         fetch_manifest_options options),
                  (src, std::move(reference), std::move(options)))
ORAS_MANAGE_ASYNC_SHORT(fetch_manifest, fetched_manifest, fetch_manifest_options,
                        ORAS_P(content::target& src, std::string reference),
                        (src, std::move(reference)))
ORAS_MANAGE_ASYNC(fetch_config, fetched_manifest,
                  ORAS_P(content::target& src, std::string reference,
                         fetch_manifest_options options),
                  (src, std::move(reference), std::move(options)))
ORAS_MANAGE_ASYNC_SHORT(fetch_config, fetched_manifest, fetch_manifest_options,
                        ORAS_P(content::target& src, std::string reference),
                        (src, std::move(reference)))
ORAS_MANAGE_ASYNC(push_manifest, pushed_manifest,
                  ORAS_P(content::target& dst, std::string bytes, std::string media_type,
                         std::vector<std::string> tags, std::size_t concurrency),
                  (dst, std::move(bytes), std::move(media_type), std::move(tags), concurrency))
ORAS_MANAGE_ASYNC_SHORT(push_manifest, pushed_manifest, std::size_t,
                        ORAS_P(content::target& dst, std::string bytes, std::string media_type,
                               std::vector<std::string> tags),
                        (dst, std::move(bytes), std::move(media_type), std::move(tags)))
ORAS_MANAGE_ASYNC(tag, descriptor,
                  ORAS_P(content::target& dst, std::string reference, std::vector<std::string> tags,
                         std::size_t concurrency),
                  (dst, std::move(reference), std::move(tags), concurrency))
ORAS_MANAGE_ASYNC_SHORT(tag, descriptor, std::size_t,
                        ORAS_P(content::target& dst, std::string reference,
                               std::vector<std::string> tags),
                        (dst, std::move(reference), std::move(tags)))
ORAS_MANAGE_ASYNC(delete_manifest, descriptor, ORAS_P(content::target& dst, std::string reference),
                  (dst, std::move(reference)))
ORAS_MANAGE_ASYNC(index_entry, descriptor, ORAS_P(content::target& src, std::string reference),
                  (src, std::move(reference)))
ORAS_MANAGE_ASYNC(stat_blob, descriptor, ORAS_P(content::target& src, oras::digest d),
                  (src, std::move(d)))
ORAS_MANAGE_ASYNC(fetch_blob, void,
                  ORAS_P(content::target& src, descriptor desc, byte_sink sink,
                         fetch_blob_options options),
                  (src, std::move(desc), std::move(sink), std::move(options)))
ORAS_MANAGE_ASYNC_SHORT(fetch_blob, void, fetch_blob_options,
                        ORAS_P(content::target& src, descriptor desc, byte_sink sink),
                        (src, std::move(desc), std::move(sink)))
ORAS_MANAGE_ASYNC(fetch_blob_to_file, fetched_blob_file,
                  ORAS_P(content::target& src, descriptor desc, std::filesystem::path path,
                         fetch_blob_file_options options),
                  (src, std::move(desc), std::move(path), std::move(options)))
ORAS_MANAGE_ASYNC_SHORT(fetch_blob_to_file, fetched_blob_file, fetch_blob_file_options,
                        ORAS_P(content::target& src, descriptor desc, std::filesystem::path path),
                        (src, std::move(desc), std::move(path)))
ORAS_MANAGE_ASYNC(push_blob, pushed_blob,
                  ORAS_P(content::target& dst, byte_source src, std::string media_type,
                         std::optional<oras::digest> expected,
                         std::optional<std::uint64_t> expected_size, push_blob_options options),
                  (dst, std::move(src), std::move(media_type), std::move(expected), expected_size,
                   std::move(options)))
ORAS_MANAGE_ASYNC_SHORT(push_blob, pushed_blob, push_blob_options,
                        ORAS_P(content::target& dst, byte_source src, std::string media_type,
                               std::optional<oras::digest> expected,
                               std::optional<std::uint64_t> expected_size),
                        (dst, std::move(src), std::move(media_type), std::move(expected),
                         expected_size))
ORAS_MANAGE_ASYNC_SHORT(push_blob, pushed_blob, std::optional<std::uint64_t>,
                        ORAS_P(content::target& dst, byte_source src, std::string media_type,
                               std::optional<oras::digest> expected),
                        (dst, std::move(src), std::move(media_type), std::move(expected)))
ORAS_MANAGE_ASYNC_SHORT(push_blob, pushed_blob, std::optional<oras::digest>,
                        ORAS_P(content::target& dst, byte_source src, std::string media_type),
                        (dst, std::move(src), std::move(media_type)))
ORAS_MANAGE_ASYNC(delete_blob, descriptor, ORAS_P(content::target& dst, oras::digest d),
                  (dst, std::move(d)))
ORAS_MANAGE_ASYNC(list_tags, std::vector<std::string>,
                  ORAS_P(content::target& src, list_tags_options options),
                  (src, std::move(options)))
ORAS_MANAGE_ASYNC_SHORT(list_tags, std::vector<std::string>, list_tags_options,
                        ORAS_P(content::target& src), (src))
ORAS_MANAGE_ASYNC(list_repositories, std::vector<std::string>,
                  ORAS_P(registry::registry reg, std::string prefix, std::string last),
                  (std::move(reg), std::move(prefix), std::move(last)))
ORAS_MANAGE_ASYNC_SHORT(list_repositories, std::vector<std::string>, std::string,
                        ORAS_P(registry::registry reg, std::string prefix),
                        (std::move(reg), std::move(prefix)))

#undef ORAS_P
#undef ORAS_MANAGE_ASYNC_SHORT
#undef ORAS_MANAGE_ASYNC

}  // namespace oras::ops

#pragma GCC visibility pop

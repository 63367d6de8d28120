// copy: the graph rooted at a reference, from any target into any other, byte for byte.
#pragma once

#include <oras/content/blob_cache.hpp>
#include <oras/content/target.hpp>
#include <oras/descriptor.hpp>
#include <oras/detail/async.hpp>
#include <oras/ops/copy_context.hpp>
#include <oras/ops/platform.hpp>
#include <oras/ops/progress.hpp>
#include <oras/result.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#pragma GCC visibility push(default)

namespace oras::ops {

/// How `copy` walks a graph and moves it. Every field has a default.
struct copy_options {
    /// Tags the root gets at the destination. Empty: the source tag when the source reference
    /// is a tag; a root named by digest is then stored by digest only.
    std::vector<std::string> tags{};
    /// Also copy every referrer of every copied manifest, and theirs (signatures, SBOMs...),
    /// found through the source's `content::referrer_lister`.
    bool recursive = false;
    /// From an index root, copy only the manifest for this platform (os, architecture, and
    /// variant when not empty) and make it the root; a manifest root must match it.
    std::optional<oras::platform> platform{};
    /// Look into the manifests the destination already has as well, and copy whatever they
    /// reference that it lacks (each such manifest is pushed again: the same bytes), as
    /// `oras cp --force` does: for a destination only partly populated (a pull-through cache
    /// that fetched one platform, a blob deleted since). Off: a manifest the destination has is
    /// taken to come with its whole graph, and a root its tags already name is not looked into.
    bool traverse_existing = false;
    /// Blob transfers (and manifest fetches) in flight at once, for the whole copy.
    std::size_t concurrency = 5;
    /// Indexes nested deeper than this, or referrers of referrers deeper than this, are refused
    /// (a cycle or a hostile graph).
    unsigned max_depth = 16;
    /// Manifests and indexes larger than this are refused without being read whole.
    std::size_t max_manifest_size = 4 * 1024 * 1024;
    /// Per node: `exists` (skipped, already there), `mounted`, `started`/`bytes`/`finished`
    /// (copied), `skipped` (left out by `include`); called on the copy's executor.
    progress_fn progress{};
    /// Which nodes below the root to copy; empty: all. A node left out is neither copied nor
    /// looked into (pull leaves out untitled layers this way).
    std::function<bool(const descriptor&)> include{};
    /// The name progress events give a node; empty: its title annotation.
    std::function<std::string(const descriptor&)> name{};
    /// Shared with other copies run at the same time (see `copy_context`): one budget of blob
    /// transfers instead of `concurrency`, each blob moved once per destination, mounts from
    /// destinations of the same registry. Empty: this copy alone.
    std::shared_ptr<copy_context> context{};
    /// Blobs are read from this cache when it holds them, and those read from the source are
    /// added to it (see `content::blob_cache`). Empty: no cache.
    std::shared_ptr<content::blob_cache> cache{};
};

/// What `copy` found and did.
struct copy_result {
    descriptor root{};                ///< what the destination tags name
    std::vector<std::string> tags{};  ///< the tags given to the root
    std::size_t nodes = 0;            ///< distinct nodes of the graph (referrers included)
    std::size_t copied = 0;           ///< nodes whose bytes crossed
    std::size_t blobs_copied = 0;     ///< of which blobs (not manifests or indexes)
    std::size_t excluded = 0;         ///< nodes left out by `include`
    std::size_t skipped = 0;          ///< nodes the destination had (not looked into further)
    std::size_t mounted = 0;          ///< blobs mounted from another repository, no bytes
    std::size_t cached = 0;           ///< copied blobs read from `copy_options::cache`
    /// Copied blobs continued from what an interrupted earlier copy left at the destination
    /// (`content::resumable`): only the rest crossed, and counts in `bytes_copied`.
    std::size_t resumed = 0;
    std::uint64_t bytes_copied = 0;   ///< bytes of the copied nodes
    std::uint64_t bytes_skipped = 0;  ///< bytes the destination had or mounted
    std::size_t referrers = 0;        ///< referrer manifests found (with `recursive`)
};

/// Copies the graph `reference` (a tag or digest) names in `src` into `dst`, the way oras-go's
/// `Copy` does: image manifests (config and layers; a `subject` is not followed), indexes
/// (every child, recursively), Docker manifests and manifest lists; any other media type is
/// copied as an opaque blob. One existence check per node, top-down: a manifest the destination
/// has is taken to have its whole graph. Bytes move bottom-up (blobs, then the manifests that
/// name them, children before their index), each blob streamed from `src.open` into `dst.push`
/// with no temporary file and verified on the way (the last bytes of wrong content never reach
/// the destination, so no manifest is pushed over a failed blob); the root is tagged last.
/// Blobs are mounted instead when `dst` is a `content::mounter` that can mount from `src`.
///
/// Throws `oras::error`: a missing reference (`errc::not_found`), a malformed manifest, a
/// failed transfer (the first failure; transfers already running finish first).
///
/// Lifetime: `src` and `dst` must outlive the returned awaitable.
boost::asio::awaitable<copy_result> copy(content::target& src, std::string reference,
                                         content::target& dst, copy_options options);
/// `copy` with default options (an overload, not a default argument: see `ops/manage.hpp`).
inline boost::asio::awaitable<copy_result> copy(content::target& src, std::string reference,
                                                content::target& dst) {
    return copy(src, std::move(reference), dst, copy_options{});
}

/// As `copy`, from a descriptor already resolved in `src`; the root is tagged with
/// `options.tags` only.
boost::asio::awaitable<copy_result> copy_graph(content::target& src, descriptor root,
                                               content::target& dst, copy_options options);
inline boost::asio::awaitable<copy_result> copy_graph(content::target& src, descriptor root,
                                                      content::target& dst) {
    return copy_graph(src, std::move(root), dst, copy_options{});
}

/// Completion-token form of `copy`. With the default `deferred` (or `use_awaitable`) it is an
/// `awaitable<copy_result>` to `co_await` on `executor`'s coroutine (Boost 1.81's awaitable
/// cannot resume an operation completing with `(std::exception_ptr, T)`); any other token runs
/// it on `executor` with the handler signature `void(std::exception_ptr, copy_result)`. `src`
/// and `dst` must outlive the operation, which starts only when the token starts it.
template <class Token = boost::asio::deferred_t>
auto async_copy(boost::asio::any_io_executor executor, content::target& src, std::string reference,
                content::target& dst, copy_options options, Token&& token = {}) {
    return oras::detail::start(std::move(executor),
                               copy(src, std::move(reference), dst, std::move(options)),
                               std::forward<Token>(token));
}

/// Completion-token form of `copy_graph`, as `async_copy`.
template <class Token = boost::asio::deferred_t>
auto async_copy_graph(boost::asio::any_io_executor executor, content::target& src, descriptor root,
                      content::target& dst, copy_options options, Token&& token = {}) {
    return oras::detail::start(std::move(executor),
                               copy_graph(src, std::move(root), dst, std::move(options)),
                               std::forward<Token>(token));
}

}  // namespace oras::ops

#pragma GCC visibility pop

// mirror: many repositories and tags copied between registries (or into OCI layouts) in one
// run — one budget of blob transfers, every distinct blob moved once per destination, and an
// unchanged tag costing one request on each side.
#pragma once

#include <oras/descriptor.hpp>
#include <oras/detail/async.hpp>
#include <oras/ops/copy_context.hpp>
#include <oras/ops/progress.hpp>
#include <oras/registry/connect.hpp>
#include <oras/result.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/deferred.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#pragma GCC visibility push(default)

namespace oras::ops {

/// Names kept: those matching one of `allow` (every name when empty) and none of `deny`.
/// Patterns are ECMAScript regular expressions found anywhere in the name (`std::regex_search`;
/// anchor them with `^` and `$`).
struct name_filter {
    std::vector<std::string> allow{};  ///< a name must match one of these; empty: any name
    std::vector<std::string> deny{};   ///< a name matching any of these is left out
};

/// One entry of a mirror plan.
struct mirror_rule {
    /// What to copy, from a registry:
    /// - `host/repo:tag` or `host/repo@digest`: that artifact;
    /// - `host/repo`: every tag of the repository that `tags` keeps;
    /// - `host/prefix/` (ending in `/`), or `host/` for all: every repository the registry's
    ///   catalog lists under the prefix that `repositories` keeps, each with its tags.
    std::string from{};
    /// Where to:
    /// - `host/repo`: that repository (for one artifact, `host/repo:tag[,tag...]` renames it);
    /// - `host/prefix/`: each source repository below it, by its path under the source prefix
    ///   (for a repository or artifact source, by its last path component);
    /// - `oci-layout:DIR`: an OCI image layout (for a prefix source, `DIR/<path>` per
    ///   repository), created when missing.
    /// Artifacts keep their tag; one named by digest only is stored by digest.
    std::string to{};
    /// Applied to the tags listed for a repository or prefix source; not to an artifact named
    /// by tag or digest.
    name_filter tags{};
    /// Applied to repository names without the registry (`team/app`).
    name_filter repositories{};
    /// Also copy referrers (signatures, SBOMs...), and theirs.
    bool referrers = false;
    /// From an index, copy only the manifest of this platform.
    std::optional<oras::platform> platform{};
};

/// What `mirror` copies, and how it reaches each registry.
struct mirror_plan {
    /// Expanded in order; every rule is checked (see `validate`) before the first request.
    std::vector<mirror_rule> rules{};
    /// How to reach each registry, keyed by the registry as references write it
    /// (`ghcr.io`, `localhost:5000`): scheme, CA, credentials, `http.max_connections_per_origin`
    /// (the cap on concurrent requests). Registries not listed use `defaults`.
    std::map<std::string, registry::connect_options, std::less<>> registries{};
    /// For every registry not in `registries`.
    registry::connect_options defaults{};
};

/// Checks a rule before anything is sent: references, the destination form, the regular
/// expressions. The error names the field.
result<void> validate(const mirror_rule& rule);

/// One artifact of an expanded plan.
struct mirror_item {
    std::string source{};       ///< `host/repo:tag` or `host/repo@digest`
    std::string destination{};  ///< `host/repo[:tag[,tag...]]` or `oci-layout:DIR[:tag]`
    std::size_t rule = 0;       ///< index in `mirror_plan::rules`
};

enum class mirror_action {
    copied,   ///< something crossed (blobs, mounts, or at least the manifest and its tag)
    skipped,  ///< the destination tag already named the source digest
    failed,   ///< see `error`
    planned,  ///< a dry run: would be copied
};
std::string_view to_string(mirror_action a) noexcept;

/// The outcome of one entry of an expanded plan.
struct mirror_artifact {
    /// What was (to be) copied; for a source that could not be listed, that rule's `from` and
    /// `to`.
    mirror_item item{};
    /// `planned` only in a dry run, which never gives `copied`.
    mirror_action action = mirror_action::planned;
    std::string digest{};          ///< the source root's digest, once resolved
    std::uint64_t bytes = 0;       ///< bytes that crossed
    std::size_t blobs_copied = 0;  ///< blobs streamed
    std::size_t mounted = 0;       ///< blobs mounted, no bytes
    std::error_code code{};        ///< failed: the error's code
    std::string error{};           ///< failed: what went wrong
    bool transient = false;        ///< failed: whether a later run may succeed (`is_transient`)
};

/// Part `index` of `count` (0 <= index < count) of an expanded plan.
struct mirror_shard {
    std::size_t index = 0;  ///< this part, from 0
    std::size_t count = 1;  ///< parts in all; 1: the whole plan
};

/// Parses `I/N` (e.g. `0/4`).
result<mirror_shard> parse_shard(std::string_view text);

/// Whether the artifact `source` (a `mirror_item::source`) belongs to `shard`: a stable hash
/// (FNV-1a, 64 bits) of the text modulo `count`, the same in every process and on every machine,
/// so that processes given shards 0..n-1 of one plan mirror disjoint parts that together make
/// the whole.
bool in_shard(std::string_view source, mirror_shard shard) noexcept;

/// How `mirror` runs. Every field has a default.
struct mirror_options {
    /// Blobs handled at once across the whole mirror, every artifact together (one
    /// `copy_context`).
    std::size_t concurrency = 8;
    /// Artifacts resolved, walked and finished at once; 0: twice `concurrency`.
    std::size_t artifacts_in_flight = 0;
    /// Expand the plan and resolve both sides, but write nothing: each artifact comes back
    /// `skipped` (up to date) or `planned`.
    bool dry_run = false;
    /// Only the artifacts `in_shard` of this part: the whole plan by default. A count of 0 or an
    /// index not below the count is refused (`errc::invalid_argument`).
    mirror_shard shard{};
    /// Referrer and index depth limit, and manifest size limit, of every copy.
    unsigned max_depth = 16;
    /// Manifests larger than this are refused by every copy (`copy_options::max_manifest_size`).
    std::size_t max_manifest_size = 4 * 1024 * 1024;
    /// Called once the plan is expanded (and sharded), with the number of entries the result
    /// will have (artifacts, and sources that could not be listed).
    std::function<void(std::size_t)> on_planned{};
    /// Called as each entry ends, in completion order (sources that could not be listed first).
    std::function<void(const mirror_artifact&)> on_artifact{};
    /// Every copy's node and byte events (for a byte count or rate).
    progress_fn progress{};
};

/// The report of a whole `mirror` run.
struct mirror_result {
    /// Sources that could not be listed first (as failed entries), then the plan in order.
    std::vector<mirror_artifact> artifacts{};
    std::size_t copied = 0;                ///< entries copied
    std::size_t skipped = 0;               ///< entries already up to date
    std::size_t failed = 0;                ///< entries failed, unlisted sources included
    std::size_t planned = 0;               ///< entries a dry run would copy
    std::uint64_t bytes = 0;               ///< bytes that crossed, all entries together
    copy_context::statistics transfers{};  ///< the counters of the run's shared `copy_context`
    /// Whether no entry failed.
    bool ok() const noexcept { return failed == 0; }
};

/// Expands `plan` (catalog and tag lists, filters, `shard`), then copies every artifact with
/// `ops::copy` under one shared `copy_context`: blobs of all artifacts share one budget of
/// `concurrency`, a blob needed by several artifacts in one destination repository crosses once,
/// and is mounted into other repositories of the same destination registry. Each registry gets
/// one HTTP client (connection pools, tokens) for the whole run.
///
/// One artifact's failure does not stop the others: it is reported in the result (and to
/// `on_artifact`). Throws only for a plan that does not validate (`errc::invalid_argument`,
/// `errc::invalid_reference`, before any request), and `errc::cancelled` when cancelled (every
/// transfer in flight is cut, its upload session cancelled).
///
/// Runs on the awaiting coroutine's executor; everything it makes lives in its frame.
boost::asio::awaitable<mirror_result> mirror(mirror_plan plan, mirror_options options);
/// `mirror` with default options (an overload, not a default argument: see `ops/manage.hpp`).
inline boost::asio::awaitable<mirror_result> mirror(mirror_plan plan) {
    return mirror(std::move(plan), mirror_options{});
}

/// Completion-token form of `mirror`: with `deferred` (the default) or `use_awaitable`, an
/// awaitable to `co_await` on `executor`; any other token runs it on `executor` with the handler
/// signature `void(std::exception_ptr, mirror_result)`. It starts only when the token starts it.
template <class Token = boost::asio::deferred_t>
auto async_mirror(boost::asio::any_io_executor executor, mirror_plan plan, mirror_options options,
                  Token&& token = {}) {
    return oras::detail::start(std::move(executor), mirror(std::move(plan), std::move(options)),
                               std::forward<Token>(token));
}

}  // namespace oras::ops

#pragma GCC visibility pop

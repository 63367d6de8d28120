// discover: the referrers of an artifact, and theirs in turn, as a tree.
#pragma once

#include <oras/content/target.hpp>
#include <oras/descriptor.hpp>
#include <oras/detail/async.hpp>
#include <oras/ops/platform.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/deferred.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#pragma GCC visibility push(default)

namespace oras::ops {

/// Which referrers `discover` lists, and how deep.
struct discover_options {
    /// Only referrers of this artifact type (at every level); empty: all.
    std::string artifact_type{};
    /// Levels of referrers listed: 1 lists the subject's referrers only (0 is refused with
    /// `errc::invalid_argument`). Deeper graphs are cut here (`referrer_node::truncated`), not
    /// refused. The default lists every level of any real graph (as the ORAS CLI does with no
    /// depth); it bounds a chain a misbehaving registry invents, whose printed tree grows with
    /// the square of its depth.
    std::size_t max_depth = 1000;
    /// Referrers listed in all before the operation fails (`errc::size_exceeds_limit`): a
    /// registry (or a graph) that never ends.
    std::size_t max_referrers = 100'000;
    /// When the subject names an index, discover the referrers of its manifest for this
    /// platform instead.
    std::optional<oras::platform> platform{};
};

/// One referrer in the tree `discover` returns.
struct referrer_node {
    descriptor desc{};  ///< the referrer manifest, as the target listed it
    /// Its own referrers, in the order the target listed them.
    std::vector<referrer_node> referrers{};
    /// Referrers below this node, if any, were not listed: `max_depth` was reached (the node
    /// itself was not asked for its referrers).
    bool truncated = false;
    /// This manifest is already in the tree above (a cycle through `subject`s): not expanded.
    bool cycle = false;
};

/// The subject and the tree of its referrers.
struct discover_result {
    descriptor subject{};                    ///< as resolved, after `platform` selection
    std::vector<referrer_node> referrers{};  ///< its own referrers, theirs below each
};

/// Resolves `subject` (a tag or digest) in `src` and lists its referrers — through the
/// referrers API or the fallback index, whichever the target has — level by level to
/// `max_depth`. A manifest that refers back to one of its ancestors is listed once, marked
/// `cycle`. Throws `oras::error`: `unsupported` when `src` cannot list referrers, `not_found`
/// for a missing subject.
///
/// Lifetime: `src` must outlive the operation.
boost::asio::awaitable<discover_result> discover(content::target& src, std::string subject,
                                                 discover_options options);

/// `discover` for a completion token: `void(std::exception_ptr, discover_result)` on
/// `executor`; with the default `deferred` the awaitable itself. `src` must outlive the
/// operation, which starts only when the token starts it.
template <class Token = boost::asio::deferred_t>
auto async_discover(boost::asio::any_io_executor executor, content::target& src,
                    std::string subject, discover_options options, Token&& token = {}) {
    return oras::detail::start(std::move(executor),
                               discover(src, std::move(subject), std::move(options)),
                               std::forward<Token>(token));
}

}  // namespace oras::ops

#pragma GCC visibility pop

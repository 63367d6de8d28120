// copy_tags: the tagged artifacts of one repository or layout copied into another under the same
// tags, with their referrers if asked — what `oras backup` and `oras restore` do.
#pragma once

#include <oras/content/target.hpp>
#include <oras/descriptor.hpp>
#include <oras/detail/async.hpp>
#include <oras/ops/copy.hpp>
#include <oras/ops/progress.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/deferred.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#pragma GCC visibility push(default)

namespace oras::content {
class blob_cache;
}

namespace oras::ops {

/// One tag `copy_tags` copied (or, in a dry run, would copy).
struct tag_copy {
    std::string tag{};  ///< the tag, the same at both ends
    descriptor root{};  ///< what it names in the source
    /// What refers to it in the source, and to an index's manifests, and theirs, each counted
    /// once (with `referrers`; the same in a dry run).
    std::size_t referrers = 0;
    std::size_t copied = 0;   ///< nodes whose bytes crossed for it (0 in a dry run)
    std::uint64_t bytes = 0;  ///< bytes of those nodes
};

/// What `copy_tags` copies, and how. Every field has a default.
struct copy_tags_options {
    /// The tags to copy, each resolved in the source before anything is copied (one that is
    /// missing fails the operation first). Empty: every tag the source lists (it must be a
    /// `content::tag_lister`), in the order it lists them.
    std::vector<std::string> tags{};
    /// Also copy the referrers of each artifact (of an index's manifests too), and theirs.
    bool referrers = false;
    /// Copy nothing: check and resolve the tags and, with `referrers`, count what refers to
    /// each in the source (`oras restore --dry-run`). No request reaches the destination.
    bool dry_run = false;
    /// Blob transfers in flight at once, shared by every tag's copy.
    std::size_t concurrency = 3;
    /// Per node of every copy, as `copy_options::progress`.
    progress_fn progress{};
    /// Called once with the tags to copy, after they all resolved and before the first copy.
    std::function<void(const std::vector<std::string>&)> on_tags{};
    /// Called after each tag is copied (or, in a dry run, counted).
    std::function<void(const tag_copy&)> on_copied{};
    /// As `copy_options::cache`.
    std::shared_ptr<content::blob_cache> cache{};
};

/// What `copy_tags` did.
struct copy_tags_result {
    std::vector<tag_copy> tags{};  ///< in the order copied
    std::size_t copied = 0;        ///< nodes whose bytes crossed, over every tag
    std::uint64_t bytes = 0;       ///< bytes of those nodes
};

/// Copies each tag of `options.tags` (or every tag `src` lists) from `src` into `dst` under the
/// same tag, one tag after the other, as `copy_graph` does (existing content skipped, the tag
/// set last), sharing one `copy_context` (one budget of transfers). Every tag is checked against
/// `dst` (`target::check_tag`) and resolved first, so that a bad or missing one fails before
/// anything is written.
///
/// Throws `oras::error`: `unsupported` when no tag is given and `src` cannot list its tags,
/// `not_found` for one that does not resolve, and what a copy throws, its message saying which
/// tag (the tags copied before it stay copied). No tag at all is not an error: the result is
/// empty.
///
/// Lifetime: `src` and `dst` must outlive the returned awaitable.
boost::asio::awaitable<copy_tags_result> copy_tags(content::target& src, content::target& dst,
                                                   copy_tags_options options);

/// Completion-token form of `copy_tags`, as `async_copy`: with the default `deferred` an
/// awaitable to `co_await` on `executor`; any other token runs it there with the handler
/// signature `void(std::exception_ptr, copy_tags_result)`. `src` and `dst` must outlive the
/// operation, which starts only when the token starts it.
template <class Token = boost::asio::deferred_t>
auto async_copy_tags(boost::asio::any_io_executor executor, content::target& src,
                     content::target& dst, copy_tags_options options, Token&& token = {}) {
    return oras::detail::start(std::move(executor), copy_tags(src, dst, std::move(options)),
                               std::forward<Token>(token));
}

}  // namespace oras::ops

#pragma GCC visibility pop

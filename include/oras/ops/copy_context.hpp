// copy_context: what many copies run together share — one budget of blob transfers, each
// distinct blob moved once per destination, and mounts from destinations that already have it.
#pragma once

#include <cstddef>
#include <memory>

#pragma GCC visibility push(default)

namespace oras::ops {

// Internal state, not exported.
#pragma GCC visibility push(hidden)
namespace detail {
struct copy_context_state;
}
#pragma GCC visibility pop

/// Shared by every copy given it in `copy_options::context` (a mirror gives one to all of its
/// copies):
/// - at most `max_transfers` blobs are handled at once across all of them (checked, mounted or
///   streamed), whatever each copy's own `concurrency`;
/// - a blob that several copies need in the same destination is moved once: the others wait
///   for it and count it as already there, with no request of their own;
/// - a blob moved into, or found in, one destination is mounted into another destination of
///   the same registry instead of being sent again.
///
/// Destinations are told apart by identity: copies into one repository must be given the same
/// target object, and every destination target must outlive the copies that use the context
/// (it remembers them by address).
///
/// Threading: use it on one executor (strand), as the targets themselves.
class copy_context {
  public:
    /// Counters over the context's life (a mirror reports them as `mirror_result::transfers`).
    struct statistics {
        std::size_t transfers = 0;       ///< blobs handled under the budget
        std::size_t shared = 0;          ///< times a copy waited for another's transfer instead
        std::size_t known = 0;           ///< blobs found in the context's memory: no request
        std::size_t sibling_mounts = 0;  ///< blobs mounted from another destination repository
    };

    /// A context whose copies handle at most `max_transfers` blobs at once (0 is taken as 1).
    explicit copy_context(std::size_t max_transfers = 8);
    ~copy_context();
    copy_context(const copy_context&) = delete;
    copy_context& operator=(const copy_context&) = delete;

    /// The budget of blobs handled at once: at least 1.
    std::size_t max_transfers() const noexcept;
    /// A snapshot of the counters.
    statistics stats() const noexcept;

    /// Internal state, for the copy algorithm.
    detail::copy_context_state& state() noexcept { return *state_; }

  private:
    std::unique_ptr<detail::copy_context_state> state_;
};

}  // namespace oras::ops

#pragma GCC visibility pop

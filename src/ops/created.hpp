// Internal: the check oras-go's pack makes of a manifest's `created` annotation, shared by push
// and attach (which makes it before it resolves its subject).
#pragma once

#include <oras/ops/push.hpp>

namespace oras::ops::detail {

/// Throws `invalid_argument` when `annotations` give the manifest (`$manifest`) a `created`
/// annotation that is not an RFC 3339 date and time, in oras-go's words.
void check_created(const annotation_map& annotations);

}  // namespace oras::ops::detail

// Internal: the check oras-go's pack makes of a manifest's `created` annotation, shared by push
// and attach (which makes it before it resolves its subject).
#pragma once

#include <oras/ops/push.hpp>

#include <string_view>

namespace oras::ops::detail {

/// Whether `s` is a date and time as Go's time.Parse(time.RFC3339, s) takes one.
bool is_rfc3339(std::string_view s);

/// Throws `invalid_argument` when `annotations` give the manifest (`$manifest`) a `created`
/// annotation that is not an RFC 3339 date and time, in oras-go's words.
void check_created(const annotation_map& annotations);

}  // namespace oras::ops::detail

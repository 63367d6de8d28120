// Internal: the nodes a manifest or index points to, read one way for a graph copy and for an
// OCI layout's garbage collection.
#pragma once

#include <oras/descriptor.hpp>

#include <string_view>
#include <vector>

namespace oras::detail {

/// The nodes the manifest or index `desc` with these bytes points to, in copy order: an index's
/// manifests; an image manifest's config, then its layers; an artifact manifest's blobs. The
/// subject is not among them: a referrer points at its subject, it does not hold it. Throws
/// `oras::error` naming `desc` when the bytes do not parse as its media type.
std::vector<descriptor> children_of(const descriptor& desc, std::string_view bytes,
                                    const parse_options& po = {});

}  // namespace oras::detail

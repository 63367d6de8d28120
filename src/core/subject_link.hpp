// Internal: what a manifest with a subject says of itself as a referrer, read one way for the
// registry's fallback index and an OCI layout's referrers list.
#pragma once

#include <oras/descriptor.hpp>
#include <oras/digest.hpp>

#include <optional>
#include <string_view>

namespace oras::detail {

struct subject_link {
    descriptor referrer;  ///< as a referrers list shows it: with artifactType and annotations
    digest subject;
};

/// The link of the image manifest, index or artifact manifest `desc` with these bytes, if it has
/// a subject; nothing for other types, or bytes that do not parse under `opts`. An image
/// manifest without an artifactType is listed under its config's media type, as the
/// distribution spec says.
std::optional<subject_link> subject_link_of(const descriptor& desc, std::string_view bytes,
                                            const parse_options& opts = {});

}  // namespace oras::detail

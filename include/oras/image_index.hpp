// image_index: an OCI image index (image-spec 1.1) or a Docker manifest list.
#pragma once

#include <oras/descriptor.hpp>
#include <oras/result.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#pragma GCC visibility push(default)

namespace oras {

/// An OCI image index (image-spec 1.1) or a Docker manifest list: manifests (or further
/// indexes) listed in order, typically one per platform. Plain data: `parse` checks what comes
/// from outside, `serialize` writes it back.
struct image_index {
    /// 2 in every parsed index (`parse` refuses anything else); serialised as it is.
    int schema_version = 2;
    std::string media_type;     ///< OCI index or Docker list type; empty omits the field
    std::string artifact_type;  ///< optional (1.1)
    /// The entries, in order; each entry's `platform` tells which image it is. Required in the
    /// JSON, but may be an empty list; always serialised.
    std::vector<descriptor> manifests;
    std::optional<descriptor> subject;  ///< optional (1.1)
    oras::annotations annotations;      ///< optional; empty omits the field

    /// Parses untrusted JSON with the same rules as `image_manifest::parse`; a manifest's
    /// mediaType is refused.
    static result<image_index> parse(std::string_view json, const parse_options& opts = {});

    /// Deterministic compact JSON, as `image_manifest::serialize`.
    std::string serialize() const;

    /// The nodes this index points to: subject, then manifests.
    std::vector<descriptor> successors() const;

    /// Member-wise: compares the values, not any JSON they came from.
    friend bool operator==(const image_index&, const image_index&) = default;
};

}  // namespace oras

#pragma GCC visibility pop

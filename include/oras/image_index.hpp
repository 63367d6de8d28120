// image_index: an OCI image index (image-spec 1.1) or a Docker manifest list.
#pragma once

#include <oras/descriptor.hpp>
#include <oras/result.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oras {

struct image_index {
    int schema_version = 2;
    std::string media_type;     ///< OCI index or Docker list type; empty omits the field
    std::string artifact_type;  ///< optional (1.1)
    std::vector<descriptor> manifests;
    std::optional<descriptor> subject;  ///< optional (1.1)
    oras::annotations annotations;

    /// Parses untrusted JSON with the same rules as `image_manifest::parse`; a manifest's
    /// mediaType is refused.
    static result<image_index> parse(std::string_view json, const parse_options& opts = {});

    /// Deterministic compact JSON, as `image_manifest::serialize`.
    std::string serialize() const;

    /// The nodes this index points to: subject, then manifests.
    std::vector<descriptor> successors() const;

    friend bool operator==(const image_index&, const image_index&) = default;
};

}  // namespace oras

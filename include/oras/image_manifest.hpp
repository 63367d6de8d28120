// image_manifest: an OCI image manifest (image-spec 1.1) or a Docker v2 schema 2 manifest.
#pragma once

#include <oras/descriptor.hpp>
#include <oras/result.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#pragma GCC visibility push(default)

namespace oras {

/// An OCI image manifest (image-spec 1.1) or a Docker v2 schema 2 manifest: a config and
/// layers, which ORAS uses for artifacts of any kind. Plain data: `parse` checks what comes from
/// outside, `serialize` writes it back.
struct image_manifest {
    /// 2 in every parsed manifest (`parse` refuses anything else); serialised as it is.
    int schema_version = 2;
    std::string media_type;     ///< OCI or Docker manifest type; empty omits the field
    std::string artifact_type;  ///< optional (1.1)
    /// Required; an artifact without a config of its own uses `empty_json_descriptor()`.
    descriptor config;
    /// In order. Required in the JSON, but may be an empty list (an artifact of annotations only).
    std::vector<descriptor> layers;
    std::optional<descriptor> subject;  ///< optional (1.1): what this artifact refers to
    oras::annotations annotations;      ///< optional; empty omits the field

    /// Parses untrusted JSON. Unknown members are ignored; malformed JSON, wrong types, missing
    /// required members, duplicate members, bad digests or media types, an index's mediaType,
    /// and documents over `opts.max_size` are refused, naming the offending member.
    static result<image_manifest> parse(std::string_view json, const parse_options& opts = {});

    /// Compact JSON in a fixed member order (that of the image spec's Go types), annotations
    /// sorted, strings escaped as Go's encoding/json does: the same value always gives the same
    /// bytes, hence the same digest.
    std::string serialize() const;

    /// The nodes this manifest points to, in graph-copy order: subject, config, layers.
    std::vector<descriptor> successors() const;

    /// Member-wise: compares the values, not any JSON they came from.
    friend bool operator==(const image_manifest&, const image_manifest&) = default;
};

}  // namespace oras

#pragma GCC visibility pop

// artifact_manifest: the deprecated ORAS artifact manifest, read so that graphs holding one copy.
#pragma once

#include <oras/descriptor.hpp>
#include <oras/result.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#pragma GCC visibility push(default)

namespace oras {

/// The artifact manifest (`application/vnd.oci.artifact.manifest.v1+json`) of image-spec's 1.1
/// release candidates, dropped before 1.1.0 but still stored in registries that took it (Azure
/// Container Registry, zot) and in OCI layouts that ORAS 1.0 (`--image-spec v1.1-artifact`)
/// and its release candidates wrote: blobs and a subject, no config.
/// Read, never produced: a graph copy follows its blobs, the referrers it lists are found.
struct artifact_manifest {
    std::string media_type;     ///< always `media_type::artifact_manifest`
    std::string artifact_type;  ///< the artifact's type; may be empty
    /// In order; optional in the JSON (absent reads as empty).
    std::vector<descriptor> blobs;
    std::optional<descriptor> subject;  ///< what this artifact refers to, if anything
    oras::annotations annotations;      ///< optional

    /// Parses untrusted JSON. `mediaType` is required and must be the artifact manifest's;
    /// unknown members are ignored; malformed JSON, wrong types, duplicate members, bad digests
    /// or media types, and documents over `opts.max_size` are refused, naming the offending
    /// member.
    static result<artifact_manifest> parse(std::string_view json, const parse_options& opts = {});

    /// The nodes this manifest points to, in graph-copy order: subject, blobs.
    std::vector<descriptor> successors() const;

    /// Member-wise: compares the values, not any JSON they came from.
    friend bool operator==(const artifact_manifest&, const artifact_manifest&) = default;
};

}  // namespace oras

#pragma GCC visibility pop

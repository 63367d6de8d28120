// Media types and annotation keys of the OCI image spec, Docker and ORAS.
#pragma once

#include <string_view>

#pragma GCC visibility push(default)

namespace oras::media_type {

inline constexpr std::string_view image_manifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view image_index = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view image_config = "application/vnd.oci.image.config.v1+json";
/// The empty descriptor's media type (image-spec 1.1): content `{}`.
inline constexpr std::string_view empty_json = "application/vnd.oci.empty.v1+json";
inline constexpr std::string_view image_layer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view image_layer_gzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view image_layer_zstd = "application/vnd.oci.image.layer.v1.tar+zstd";
/// ORAS's config type for artifacts pushed without one (image-spec 1.0 mode).
inline constexpr std::string_view unknown_config = "application/vnd.unknown.config.v1+json";
/// ORAS's default layer type for files pushed without a type.
inline constexpr std::string_view unknown_layer = "application/vnd.unknown.layer.v1+json";
/// The deprecated ORAS artifact manifest; recognised, never produced.
inline constexpr std::string_view artifact_manifest =
    "application/vnd.oci.artifact.manifest.v1+json";

inline constexpr std::string_view docker_manifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view docker_manifest_list =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view docker_config = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view docker_layer_gzip =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";

/// True for the manifest types this client parses as `image_manifest`.
constexpr bool is_manifest(std::string_view t) noexcept {
    return t == image_manifest || t == docker_manifest;
}
/// True for the index types this client parses as `image_index`.
constexpr bool is_index(std::string_view t) noexcept {
    return t == image_index || t == docker_manifest_list;
}
/// True for every type stored at a registry's manifests endpoint and followed by a graph copy:
/// `is_manifest`, `is_index`, and the deprecated `artifact_manifest` (read as
/// `oras::artifact_manifest`).
constexpr bool is_graph_manifest(std::string_view t) noexcept {
    return is_manifest(t) || is_index(t) || t == artifact_manifest;
}

/// True if `t` is `type/subtype` per RFC 6838 section 4.2 (restricted names of at most 127
/// characters each, no parameters), as the image spec requires of every mediaType.
bool is_valid(std::string_view t) noexcept;

}  // namespace oras::media_type

namespace oras::annotation {

inline constexpr std::string_view title = "org.opencontainers.image.title";
inline constexpr std::string_view created = "org.opencontainers.image.created";
inline constexpr std::string_view ref_name = "org.opencontainers.image.ref.name";
/// ORAS: digest of the uncompressed tar of a directory pushed as tar+gzip.
inline constexpr std::string_view content_digest = "io.deis.oras.content.digest";
/// ORAS: "true" when a layer is a directory to unpack on pull.
inline constexpr std::string_view content_unpack = "io.deis.oras.content.unpack";

}  // namespace oras::annotation

#pragma GCC visibility pop

// manage: single manifests, blobs and tags of a target — what `oras manifest`, `oras blob`,
// `oras tag` and `oras repo` do, for programs.
#pragma once

#include <oras/content/target.hpp>
#include <oras/descriptor.hpp>
#include <oras/digest.hpp>
#include <oras/ops/platform.hpp>
#include <oras/registry/registry.hpp>
#include <oras/result.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// Lifetime, for every operation here: the target (or registry) must outlive the operation;
// arguments are taken by value. Failures are `oras::error`s naming what was wrong.

namespace oras::ops {

// --- manifests -------------------------------------------------------------------------------

struct fetched_manifest {
    descriptor desc{};
    std::string bytes{};  ///< exactly as stored, digest checked
};

struct fetch_manifest_options {
    /// From an index, fetch the manifest for this platform instead.
    std::optional<oras::platform> platform{};
    /// Refuse (`invalid_media_type`) a manifest of any other media type; empty: any.
    std::vector<std::string> media_types{};
    /// Manifests larger than this are refused.
    std::size_t max_size = 4 * 1024 * 1024;
};

/// The manifest or index `reference` (a tag or digest) names, exactly as stored.
boost::asio::awaitable<fetched_manifest> fetch_manifest(content::target& src, std::string reference,
                                                        fetch_manifest_options options = {});

/// The config blob of the image manifest `reference` names (after platform selection): its
/// descriptor and bytes, verified. `invalid_media_type` when it names no image manifest.
boost::asio::awaitable<fetched_manifest> fetch_config(content::target& src, std::string reference,
                                                      fetch_manifest_options options = {});

/// Checks that `bytes` can be pushed as a manifest: a JSON object whose `mediaType` (if any)
/// agrees with `media_type`, and whose descriptors parse for the OCI and Docker manifest and
/// index types. `media_type` empty: taken from the JSON. Returns the media type to push with.
result<std::string> check_manifest(std::string_view bytes, std::string_view media_type);

struct pushed_manifest {
    descriptor desc{};
    /// The target already had it under the first reference (nothing was uploaded).
    bool existed = false;
};

/// Pushes `bytes` (checked with `check_manifest` before anything is sent) under each of `tags`,
/// or by digest only when there are none.
boost::asio::awaitable<pushed_manifest> push_manifest(content::target& dst, std::string bytes,
                                                      std::string media_type,
                                                      std::vector<std::string> tags);

/// Points each of `tags` at what `reference` names; returns that descriptor.
boost::asio::awaitable<descriptor> tag(content::target& dst, std::string reference,
                                       std::vector<std::string> tags);

/// Deletes the manifest `reference` names (a tag is resolved first: the manifest and every tag
/// on it go), from a target that deletes (`content::deleter`: registries, OCI layouts;
/// `unsupported` otherwise). Returns what was deleted.
boost::asio::awaitable<descriptor> delete_manifest(content::target& dst, std::string reference);

// --- blobs -----------------------------------------------------------------------------------

/// The descriptor (size, digest; media type `application/octet-stream`) of the blob `d` in
/// `src`; `not_found` when it is not there.
boost::asio::awaitable<descriptor> stat_blob(content::target& src, oras::digest d);

/// Streams the blob `desc` into `sink`, verified: a wrong size or digest throws before the
/// last bytes reach the sink, so a caller writing a temporary file never commits bad content.
boost::asio::awaitable<void> fetch_blob(content::target& src, descriptor desc,
                                        content::write_fn sink);

struct pushed_blob {
    descriptor desc{};
    bool existed = false;  ///< the target had it: nothing was sent
};

/// Pushes `src` as a blob of `media_type`. With `expected` digest and size (both required for a
/// reader that cannot be rewound, such as stdin), they are checked as the bytes go; a reader
/// of a file is hashed first. Skips the upload when the target has the blob.
boost::asio::awaitable<pushed_blob> push_blob(content::target& dst, content::blob_reader src,
                                              std::string media_type,
                                              std::optional<oras::digest> expected = {},
                                              std::optional<std::uint64_t> expected_size = {});

/// Deletes blob `d` from a target that deletes (`unsupported` otherwise); `not_found` when
/// absent.
boost::asio::awaitable<descriptor> delete_blob(content::target& dst, oras::digest d);

// --- listings --------------------------------------------------------------------------------

struct list_tags_options {
    /// Only tags after this one (in the registry's lexical order).
    std::string last{};
    /// Leave out tags that are digests with `-` for `:` (`sha256-<hex>`: referrers indexes).
    bool exclude_digest_tags = false;
};

/// The tags of a target that lists them (a registry repository, an OCI layout).
boost::asio::awaitable<std::vector<std::string>> list_tags(content::target& src,
                                                           list_tags_options options = {});

/// Whether `tag` is a digest with its first `-` for `:` (the referrers tag schema).
bool is_digest_tag(std::string_view tag);

/// The repositories of `reg` under `prefix` (`team/` or empty), after `last`.
boost::asio::awaitable<std::vector<std::string>> list_repositories(registry::registry reg,
                                                                   std::string prefix,
                                                                   std::string last = {});

}  // namespace oras::ops

// descriptor: what a manifest says about one piece of content.
#pragma once

#include <oras/digest.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#pragma GCC visibility push(default)

namespace oras {

/// Annotations are a JSON object of strings; kept sorted so that serialisation is deterministic.
using annotations = std::map<std::string, std::string, std::less<>>;

/// The platform an image in an index runs on.
struct platform {
    std::string architecture;              ///< required, e.g. "amd64"
    std::string os;                        ///< required, e.g. "linux"
    std::string os_version;                ///< "os.version", optional
    std::vector<std::string> os_features;  ///< "os.features", optional
    std::string variant;                   ///< optional, e.g. "v8"

    /// Member-wise: `os_features` must match in order.
    friend bool operator==(const platform&, const platform&) = default;
};

/// An OCI content descriptor (image-spec 1.1). Empty strings and containers are omitted when
/// serialised, as in the spec's reference implementation.
struct descriptor {
    std::string media_type;                  ///< required
    oras::digest digest;                     ///< required
    std::int64_t size = 0;                   ///< required, in bytes
    std::vector<std::string> urls;           ///< optional
    oras::annotations annotations;           ///< optional
    std::optional<std::string> data;         ///< optional embedded content, base64 as in the JSON
    std::optional<oras::platform> platform;  ///< optional, in index entries
    std::string artifact_type;               ///< optional

    /// The annotation `key`, or empty.
    std::string_view annotation(std::string_view key) const noexcept;

    /// Member-wise, annotations, urls and `data` included: the same content described with other
    /// annotations is a different descriptor.
    friend bool operator==(const descriptor&, const descriptor&) = default;
};

/// The descriptor of `{}` with `application/vnd.oci.empty.v1+json`, used as the config (and
/// layer) of artifacts that have none (image-spec 1.1).
descriptor empty_json_descriptor();

/// Limits applied when parsing untrusted manifests.
struct parse_options {
    /// Documents larger than this are refused with `size_exceeds_limit` before parsing.
    std::size_t max_size = 4 * 1024 * 1024;
};

}  // namespace oras

#pragma GCC visibility pop

#include "core/children.hpp"

#include <oras/artifact_manifest.hpp>
#include <oras/error.hpp>
#include <oras/image_index.hpp>
#include <oras/image_manifest.hpp>
#include <oras/media_type.hpp>

namespace oras::detail {

std::vector<descriptor> children_of(const descriptor& desc, std::string_view bytes,
                                    const parse_options& po) {
    if (media_type::is_index(desc.media_type)) {
        auto index = image_index::parse(bytes, po);
        if (!index) {
            throw error(index.error().code,
                        "index " + desc.digest.str() + ": " + index.error().message);
        }
        return std::move(index->manifests);
    }
    if (desc.media_type == media_type::artifact_manifest) {
        auto artifact = artifact_manifest::parse(bytes, po);
        if (!artifact) {
            throw error(artifact.error().code,
                        "artifact manifest " + desc.digest.str() + ": " + artifact.error().message);
        }
        return std::move(artifact->blobs);
    }
    auto manifest = image_manifest::parse(bytes, po);
    if (!manifest) {
        throw error(manifest.error().code,
                    "manifest " + desc.digest.str() + ": " + manifest.error().message);
    }
    std::vector<descriptor> out;
    out.reserve(manifest->layers.size() + 1);
    out.push_back(std::move(manifest->config));
    for (auto& l : manifest->layers) {
        out.push_back(std::move(l));
    }
    return out;
}

}  // namespace oras::detail

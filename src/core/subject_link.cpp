#include "core/subject_link.hpp"

#include <oras/artifact_manifest.hpp>
#include <oras/image_index.hpp>
#include <oras/image_manifest.hpp>
#include <oras/media_type.hpp>

namespace oras::detail {

namespace {

// The members every kind of manifest shares, once parsed.
template <class Parsed>
std::optional<subject_link> link_of(const descriptor& desc, Parsed& parsed,
                                    std::string artifact_type) {
    if (!parsed || !parsed->subject) {
        return std::nullopt;
    }
    subject_link out;
    out.referrer.media_type = desc.media_type;
    out.referrer.digest = desc.digest;
    out.referrer.size = desc.size;
    out.referrer.artifact_type = std::move(artifact_type);
    out.referrer.annotations = std::move(parsed->annotations);
    out.subject = parsed->subject->digest;
    return out;
}

}  // namespace

std::optional<subject_link> subject_link_of(const descriptor& desc, std::string_view bytes,
                                            const parse_options& opts) {
    if (media_type::is_index(desc.media_type)) {
        // "If the `artifactType` is empty or missing in an index, the `artifactType` MUST be
        // omitted."
        auto idx = image_index::parse(bytes, opts);
        auto type = idx ? idx->artifact_type : std::string();
        return link_of(desc, idx, std::move(type));
    }
    if (desc.media_type == media_type::artifact_manifest) {
        auto a = artifact_manifest::parse(bytes, opts);
        auto type = a ? a->artifact_type : std::string();
        return link_of(desc, a, std::move(type));
    }
    if (media_type::is_manifest(desc.media_type)) {
        // "If the `artifactType` is empty or missing in the image manifest, the value of
        // `artifactType` MUST be set to the config descriptor `mediaType` value."
        auto m = image_manifest::parse(bytes, opts);
        auto type = !m                         ? std::string()
                    : m->artifact_type.empty() ? m->config.media_type
                                               : m->artifact_type;
        return link_of(desc, m, std::move(type));
    }
    return std::nullopt;
}

}  // namespace oras::detail
